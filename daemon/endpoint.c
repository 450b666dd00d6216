/* endpoint.c -- one browser endpoint of the fleet (engine_int.h): its browser generation
 * (the managed Chromium over its pipe, or a remote one over a DevTools websocket, found
 * by /json/version when the URL is http/https), the connection's health (a ping every
 * PING_EVERY_MS, which also gives rtt_ms), and what happens when it goes: its captures
 * are abandoned (slot.c puts their jobs back without using an attempt), it is marked down
 * and started again with back-off (1 s doubling, at most 5 minutes; 32 s for the managed
 * browser), and after QUARANTINE_DOWNS downs within 10 minutes it is quarantined for
 * browser.quarantine_s. It leaves quarantine by one probe when that time is over: a start
 * that reaches `ready` clears its record, a failed one quarantines it again. A reload
 * that changes its settings makes a new endpoint, which starts with a clean record.
 * The schedule (which endpoint takes which job) is engine.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "engine_int.h"
#include "log.h"
#include "remote.h"
#include "util.h"

int endpoint_slots_busy(const endpoint_t *ep, slot_phase_t only)
{
    int n = 0;
    for (int i = 0; i < ep->nalloc; i++)
        if (only == SLOT_FREE ? ep->slots[i].phase != SLOT_FREE : ep->slots[i].phase == only)
            n++;
    return n;
}

int endpoint_free_slots(const endpoint_t *ep)
{
    if (ep->error[0] && !ep->draining)   /* its jobs fail at once, saying why (slot.c) */
        return ep->nalloc - endpoint_slots_busy(ep, SLOT_FREE);
    if (ep->bstate != B_READY || ep->draining || ep->recycling)
        return 0;
    /* a capture holds a place from its claim until its screenshot arrives (or while it
     * waits to be shot again); post-processing and the write run beside the next ones */
    int in_browser = endpoint_slots_busy(ep, SLOT_SHOT) + endpoint_slots_busy(ep, SLOT_WAIT);
    int free_slots = ep->nslots - in_browser;
    int free_structs = ep->nalloc - endpoint_slots_busy(ep, SLOT_FREE);
    return free_structs < free_slots ? free_structs : free_slots;
}

const char *endpoint_state(const endpoint_t *ep)
{
    if (ep->quarantine_until && ep->bstate == B_OFF)
        return "quarantined";
    if (ep->draining)
        return ep->bstate == B_OFF ? "off" : "draining";
    switch (ep->bstate) {
    case B_STARTING: return "starting";
    case B_READY: return "ready";
    case B_STOPPING: return "stopping";
    case B_OFF: break;
    }
    return ep->failures ? "down" : "off";
}

/* ---- health ---------------------------------------------------------------------------- */

static void health_reply_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    endpoint_t *ep = ud;
    (void)r;
    (void)err;
    if (c != ep->cdp || !ep->health_pending)
        return;
    ep->health_pending = 0;
    ep->rtt_ms = (int)(uv_now(ep->e->loop) - ep->ping_sent_ms);
    uv_timer_stop(&ep->health_timer);
}

static void health_timeout_cb(uv_timer_t *t)
{
    endpoint_t *ep = t->data;
    if (!ep->health_pending)
        return;
    ep->health_pending = 0;
    log_warn("endpoint %s: the browser did not answer a health check within %d ms: dropping it",
             ep->cfg.name, ep->e->d->cfg.health_timeout_ms);
    endpoint_teardown(ep, "the browser stopped answering", 1);
}

void endpoint_health_check(endpoint_t *ep)
{
    if (ep->health_pending || ep->bstate != B_READY || !ep->cdp)
        return;
    if (cdp_send(ep->cdp, "Browser.getVersion", NULL, NULL, health_reply_cb, ep) < 0)
        return;
    ep->health_pending = 1;
    ep->ping_sent_ms = ep->last_ping_ms = uv_now(ep->e->loop);
    uv_timer_start(&ep->health_timer, health_timeout_cb, (uint64_t)ep->e->d->cfg.health_timeout_ms, 0);
}

/* ---- the browser ------------------------------------------------------------------------ */

/* The browser's own list of tabs, kept from target discovery events, so daemon.status can
 * show what is open without a DevTools port to ask. */
static void tabs_on_event(endpoint_t *ep, const char *method, json_t *params)
{
    json_t *info = json_object_get(params, "targetInfo");
    const char *id = json_string_value(info ? json_object_get(info, "targetId")
                                            : json_object_get(params, "targetId"));
    if (!id)
        return;
    int at = -1;
    for (int i = 0; i < ep->ntabs && at < 0; i++)
        if (!strcmp(ep->tabs[i].id, id))
            at = i;
    if (!strcmp(method, "Target.targetDestroyed") || !strcmp(method, "Target.targetCrashed")) {
        if (at >= 0)
            ep->tabs[at] = ep->tabs[--ep->ntabs];
        return;
    }
    const char *type = json_string_value(json_object_get(info, "type"));
    const char *url = json_string_value(json_object_get(info, "url"));
    if (!type || strcmp(type, "page") != 0)
        return;
    if (at < 0) {
        if (ep->ntabs >= MAX_TABS)
            return;
        at = ep->ntabs++;
        snprintf(ep->tabs[at].id, sizeof ep->tabs[at].id, "%s", id);
    }
    snprintf(ep->tabs[at].url, sizeof ep->tabs[at].url, "%s", url ? url : "");
}

static void on_cdp_event_cb(cdp_t *c, const char *method, json_t *params, const char *session,
                            void *ud)
{
    endpoint_t *ep = ud;
    (void)c;
    if (!session && !strncmp(method, "Target.target", 13)) {
        tabs_on_event(ep, method, params);
        return;
    }
    if (!session)
        return;
    for (int i = 0; i < ep->nalloc; i++)
        if (ep->slots[i].phase == SLOT_SHOT && ep->slots[i].shot)
            shot_on_event(ep->slots[i].shot, method, params, session);
}

static void browser_ready(endpoint_t *ep)
{
    if (ep->bstate != B_STARTING)
        return;
    uv_timer_stop(&ep->connect_timer);
    ep->bstate = B_READY;
    ep->started_ms = ep->last_busy_ms = ep->last_ping_ms = uv_now(ep->e->loop);
    ep->captures = 0;
    ep->recycling = 0;
    if (!ep->cfg.managed)   /* it answers: its back-off starts again (downs still count) */
        ep->failures = 0;
    if (ep->probing) {   /* out of quarantine: its record starts again */
        ep->probing = 0;
        ep->ndowns = 0;
        ep->quarantine_until = 0;
    }
    log_info("endpoint %s: browser ready%s", ep->cfg.name,
             ep->browser ? "" : " (attached to an external Chromium)");
    engine_schedule(ep->e);
}

static void first_reply_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    endpoint_t *ep = ud;
    (void)r;
    if (c != ep->cdp || ep->bstate != B_STARTING)
        return;
    if (err) {
        char msg[300];
        snprintf(msg, sizeof msg, "the browser did not answer its first command: %s", err);
        endpoint_teardown(ep, msg, 1);
        return;
    }
    ep->rtt_ms = (int)(uv_now(ep->e->loop) - ep->ping_sent_ms);
    browser_ready(ep);
}

/* The DevTools connection is open: the pipe at once, a websocket once established. The
 * browser is ready when it answered a first command: captures started before that (a
 * pipe is writable long before Chromium reads it) lost their tabs' events on a slow
 * machine. */
static void on_cdp_connected(endpoint_t *ep, cdp_t *c)
{
    /* the tabs the browser has, for daemon.status (page targets only) */
    cdp_send(c, "Target.setDiscoverTargets", json_pack("{s:b}", "discover", 1), NULL, NULL, NULL);
    /* no interception: each capture's context sends every connection through its own
     * egress proxy, which applies the address rules (slot_start_shot) */
    ep->ping_sent_ms = uv_now(ep->e->loop);
    if (cdp_send(c, "Browser.getVersion", NULL, NULL, first_reply_cb, ep) < 0)
        endpoint_teardown(ep, "cannot talk to the browser", 1);
}

static void on_cdp_state_cb(cdp_t *c, int connected, const char *err, void *ud)
{
    endpoint_t *ep = ud;
    if (c != ep->cdp)
        return;
    if (connected) {
        on_cdp_connected(ep, c);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "lost the DevTools connection: %s", err ? err : "closed");
    endpoint_teardown(ep, msg, 1);   /* closes (and so frees) c once this callback returns */
}

/* `?token=` for browserless (token_in = query): the token URL-encoded after path. */
static int with_query_token(const endpoint_t *ep, const char *path, char *out, size_t outlen)
{
    if (ep->cfg.token_in != CONFIG_TOKEN_QUERY || !ep->cfg.token[0])
        return snprintf(out, outlen, "%s", path) < (int)outlen ? 0 : -1;
    char *enc = curl_easy_escape(NULL, ep->cfg.token, 0);
    if (!enc)
        return -1;
    int n = snprintf(out, outlen, "%s%stoken=%s", path, strchr(path, '?') ? "&" : "?", enc);
    curl_free(enc);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* A remote browser over a websocket, ws or wss, with the token. */
static void connect_cdp(endpoint_t *ep, const remote_ws_t *ws)
{
    char err[256], path[1200];
    if (with_query_token(ep, ws->path, path, sizeof path) != 0) {
        endpoint_teardown(ep, "the endpoint's websocket path and token are too long", 1);
        return;
    }
    ep->cdp = cdp_new(ep->e->loop, ep->ctx, (size_t)ep->e->d->cfg.max_message_mb << 20,
                      on_cdp_event_cb, on_cdp_state_cb, ep, err, sizeof err);
    if (!ep->cdp) {
        endpoint_teardown(ep, err, 1);
        return;
    }
    cdp_ws_target_t t = {.host = ws->host, .port = ws->port, .path = path, .tls = ws->tls,
                         .token = ep->cfg.token_in == CONFIG_TOKEN_HEADER ? ep->cfg.token : ""};
    if (cdp_connect(ep->cdp, &t) != 0) {
        cdp_close(ep->cdp);
        ep->cdp = NULL;
        endpoint_teardown(ep, "cannot connect to the browser's DevTools endpoint", 1);
    }
}

/* The browser we started: CDP over its pipe, usable at once (Chromium reads the first
 * command when it is up; the connect timer bounds that). */
static void open_pipe(endpoint_t *ep)
{
    char err[256];
    int to_b = -1, from_b = -1;
    ep->cdp = cdp_new(ep->e->loop, NULL, (size_t)ep->e->d->cfg.max_message_mb << 20,
                      on_cdp_event_cb, on_cdp_state_cb, ep, err, sizeof err);
    if (!ep->cdp) {
        endpoint_teardown(ep, err, 1);
        return;
    }
    int rc = browser_take_pipe(ep->browser, &to_b, &from_b);
    if (rc == 0)
        rc = cdp_open_pipe(ep->cdp, to_b, from_b);
    if (rc != 0) {
        snprintf(err, sizeof err, "cannot open the browser's DevTools pipe: %s",
                 rc == -1 ? "already taken" : uv_strerror(rc));
        endpoint_teardown(ep, err, 1);
        return;
    }
    on_cdp_connected(ep, ep->cdp);
}

static void on_browser_exit_cb(browser_t *b, int64_t status, int sig, void *ud)
{
    endpoint_t *ep = ud;
    if (!ep->torn_down) {
        char msg[160];
        if (sig)
            snprintf(msg, sizeof msg, "the browser was killed (signal %d)", sig);
        else
            snprintf(msg, sizeof msg, "the browser exited (status %lld)", (long long)status);
        log_warn("%s", msg);
        endpoint_teardown(ep, msg, 1);
    }
    browser_free(b);
    if (ep->browser == b)
        ep->browser = NULL;
    unlink(ep->e->pid_file);
    ep->bstate = B_OFF;
    if (ep->e->closing || ep->draining) {
        engine_check_closed(ep->e);
        return;
    }
    engine_schedule(ep->e);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    endpoint_t *ep = t->data;
    if (ep->bstate == B_STARTING)
        endpoint_teardown(ep, "the browser did not accept the DevTools connection in time (step: connect)", 1);
}

/* Discovery's end (capture/remote.c): a late answer, for a browser generation torn down
 * meanwhile, is dropped. */
static void on_remote_found_cb(const remote_ws_t *ws, const char *err, unsigned gen, void *ud)
{
    endpoint_t *ep = ud;
    engine_t *e = ep->e;
    e->handles_open--;
    ep->discovering = 0;
    if (gen == ep->gen && ep->bstate == B_STARTING && !e->closing) {
        if (err)
            endpoint_teardown(ep, err, 1);
        else
            connect_cdp(ep, ws);
    }
    engine_check_closed(e);
}

/* A remote browser: its websocket as given, or discovered first. */
static void start_remote(endpoint_t *ep)
{
    char err[512];
    if (!ep->ctx && !(ep->ctx = engine_ctx(ep->e, ep->cfg.ca_file, err, sizeof err))) {
        endpoint_teardown(ep, err, 1);
        return;
    }
    remote_ws_t ws;
    int discover;
    if (remote_parse(ep->cfg.url, &ws, &discover, err, sizeof err) != 0) {
        endpoint_teardown(ep, err, 1);
        return;
    }
    if (!discover) {
        connect_cdp(ep, &ws);
        return;
    }
    ep->e->handles_open++;
    ep->discovering = 1;
    if (remote_discover(ep->e->loop, ep->cfg.url, ep->cfg.token,
                        ep->cfg.token_in == CONFIG_TOKEN_QUERY, ep->cfg.ca_file, ep->gen,
                        on_remote_found_cb, ep, err, sizeof err) != 0) {
        ep->e->handles_open--;
        ep->discovering = 0;
        endpoint_teardown(ep, err, 1);
    }
}

static void start_browser(endpoint_t *ep)
{
    engine_t *e = ep->e;
    char err[512];
    ep->gen++;
    ep->torn_down = 0;
    ep->bstate = B_STARTING;
    if (ep->quarantine_until)
        ep->probing = 1;
    uv_timer_start(&ep->connect_timer, connect_timeout_cb,
                   CONNECT_TIMEOUT_MS + (ep->cfg.managed ? 30000 : 0), 0);
    if (!ep->cfg.managed) {
        start_remote(ep);
        return;
    }
    browser_profile_discard(e->loop, e->profile_dir, ep->gen);
    browser_opts_t bo = {.chromium = e->chromium, .profile_dir = e->profile_dir,
                         .no_sandbox = geteuid() == 0};
    ep->browser = browser_start(e->loop, &bo, on_browser_exit_cb, ep, err, sizeof err);
    if (!ep->browser) {
        endpoint_teardown(ep, err, 1);
        return;
    }
    browser_write_pid_file(ep->browser, e->pid_file, e->profile_dir);
    open_pipe(ep);
}

/* A failure: down with back-off; the third within the window (or a failed probe after a
 * quarantine) quarantines it. */
static void mark_down(endpoint_t *ep, const char *reason)
{
    uint64_t now = uv_now(ep->e->loop);
    ep->failures++;
    unsigned shift = ep->failures > 9 ? 9 : ep->failures - 1;
    uint64_t wait = (uint64_t)1000 << shift;
    uint64_t cap = ep->cfg.managed ? MANAGED_BACKOFF_MAX_MS : DOWN_BACKOFF_MAX_MS;
    if (wait > cap)
        wait = cap;
    ep->next_start_ms = now + wait;
    snprintf(ep->last_error, sizeof ep->last_error, "%s", reason);
    ep->downs[ep->ndowns++ % QUARANTINE_DOWNS] = now;
    int recent = 0;
    for (int i = 0; i < QUARANTINE_DOWNS && i < ep->ndowns; i++)
        recent += now - ep->downs[i] <= QUARANTINE_WINDOW_MS;
    if (!ep->cfg.managed && (ep->probing || recent >= QUARANTINE_DOWNS)) {
        uint64_t q = (uint64_t)ep->e->d->cfg.quarantine_s * 1000;
        ep->quarantine_until = now + q;
        ep->next_start_ms = now + q;
        ep->probing = 0;
        log_warn("endpoint %s: %s; quarantined for %llu s (%d downs within %u min)", ep->cfg.name,
                 reason, (unsigned long long)(q / 1000), recent, QUARANTINE_WINDOW_MS / 60000);
        return;
    }
    log_warn("endpoint %s: %s (down; tried again in %llu s when work is due)", ep->cfg.name,
             reason, (unsigned long long)(wait / 1000));
}

void endpoint_teardown(endpoint_t *ep, const char *reason, int failure)
{
    engine_t *e = ep->e;
    if (!ep->torn_down && ep->bstate != B_OFF) {
        ep->torn_down = 1;
        uv_timer_stop(&ep->connect_timer);
        uv_timer_stop(&ep->health_timer);
        ep->health_pending = 0;
        if (failure)
            mark_down(ep, reason);
        else
            log_info("endpoint %s: browser stopped: %s", ep->cfg.name, reason);
        for (int i = 0; i < ep->nalloc; i++) {
            slot_t *s = &ep->slots[i];
            if (s->phase == SLOT_SHOT && s->shot) {
                s->browser_lost = 1;
                snprintf(s->lost_reason, sizeof s->lost_reason, "%s", reason);
                shot_cancel(s->shot, reason);   /* done runs now: the job is retried */
            }
        }
        warm_drop(ep, reason);
        if (ep->cdp) {
            cdp_t *c = ep->cdp;
            ep->cdp = NULL;
            cdp_close(c);
        }
        ep->ntabs = 0;
        if (ep->browser) {
            ep->bstate = B_STOPPING;
            browser_kill(ep->browser);   /* browser_exit_cb finishes the teardown */
        } else {
            ep->bstate = B_OFF;
        }
    }
    if (e->closing || ep->draining)
        engine_check_closed(e);
    else if (ep->bstate == B_OFF)
        engine_schedule(e);
}

void endpoint_schedule(endpoint_t *ep, int due)
{
    engine_t *e = ep->e;
    uint64_t now = uv_now(e->loop);
    if (ep->draining || ep->error[0])
        return;
    if (ep->bstate == B_OFF) {
        if ((!due && !ep->probe_now) || now < ep->next_start_ms)
            return;   /* the tick comes back after the back-off */
        ep->probe_now = 0;
        if (ep->cfg.managed)   /* one managed Chromium at a time: a reload's old one first */
            for (int i = 0; i < e->neps; i++)
                if (e->eps[i] != ep && e->eps[i]->cfg.managed && e->eps[i]->bstate != B_OFF)
                    return;
        start_browser(ep);
        return;
    }
    if (ep->bstate != B_READY)
        return;
    if (!ep->recycling && ep->cfg.managed && ep->captures >= e->d->cfg.recycle_after) {
        ep->recycling = 1;
        snprintf(ep->recycle_reason, sizeof ep->recycle_reason, "%d captures done", ep->captures);
    }
    if (ep->recycling && endpoint_slots_busy(ep, SLOT_SHOT) == 0 &&
        endpoint_slots_busy(ep, SLOT_WAIT) == 0 && !e->claim_inflight) {
        char msg[192];
        snprintf(msg, sizeof msg, "recycled: %s", ep->recycle_reason);
        endpoint_teardown(ep, msg, 0);
    }
}

void endpoint_tick(endpoint_t *ep, uint64_t now)
{
    engine_t *e = ep->e;
    if (ep->bstate != B_READY)
        return;
    int busy = endpoint_slots_busy(ep, SLOT_FREE) > 0;
    if (busy)
        ep->last_busy_ms = now;
    if (ep->browser && (now / TICK_MS) % 5 == 0) {
        ep->pss_kb = browser_group_pss_kb(browser_pid(ep->browser));
        if (!ep->recycling && ep->pss_kb > (int64_t)e->d->cfg.memory_limit_mb * 1024) {
            ep->recycling = 1;
            snprintf(ep->recycle_reason, sizeof ep->recycle_reason,
                     "its memory (%lld MB) passed browser.memory_limit_mb", (long long)(ep->pss_kb / 1024));
        }
    }
    if (!ep->cfg.managed && now - ep->last_ping_ms >= PING_EVERY_MS)
        endpoint_health_check(ep);   /* a hung endpoint is found without a capture */
    int idle_s = e->d->cfg.idle_stop_s;
    if (!busy && !e->claim_inflight && idle_s > 0 && now - ep->last_busy_ms >= (uint64_t)idle_s * 1000) {
        int due = 0;
        store_job_due(e->d->reader, util_now_ms(), &due);
        if (!due) {
            char msg[96];
            snprintf(msg, sizeof msg, "idle for %d s", idle_s);
            endpoint_teardown(ep, msg, 0);
        }
    }
}

json_t *endpoint_status(endpoint_t *ep)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:I}", "name", ep->cfg.name,
                          "url", ep->cfg.url, "state", endpoint_state(ep), "slots", ep->nslots,
                          "running", endpoint_slots_busy(ep, SLOT_FREE),
                          "done", (json_int_t)ep->done_total, "failed", (json_int_t)ep->failed_total,
                          "retried", (json_int_t)ep->retried_total);
    if (!o)
        return NULL;
    json_object_set_new(o, "last_error", ep->error[0] ? json_string(ep->error)
                        : ep->last_error[0] ? json_string(ep->last_error) : json_null());
    json_object_set_new(o, "rtt_ms", ep->rtt_ms >= 0 ? json_integer(ep->rtt_ms) : json_null());
    /* the captures holding one of its slots (in a tab, or waiting to be shot again);
     * `running` counts those being post-processed and written too */
    json_object_set_new(o, "in_browser", json_integer(endpoint_slots_busy(ep, SLOT_SHOT) +
                                                      endpoint_slots_busy(ep, SLOT_WAIT)));
    /* connections to its proxies refused before anything was read: from another address
     * (or, on loopback, another user), or over the connection cap */
    json_object_set_new(o, "proxy_refused", json_pack("{s:I,s:I}", "other_peer",
                        (json_int_t)ep->unauthorised, "over_cap", (json_int_t)ep->over_cap));
    if (ep->quarantine_until) {
        uint64_t now = uv_now(ep->e->loop);
        json_object_set_new(o, "quarantine_s", json_integer(ep->quarantine_until > now
                            ? (json_int_t)((ep->quarantine_until - now + 999) / 1000) : 0));
    }
    return o;
}

static void ep_handle_closed_cb(uv_handle_t *h)
{
    endpoint_t *ep = h->data;
    if (--ep->handles_closing == 0 && ep->gone)
        endpoint_free(ep);
}

endpoint_t *endpoint_new(engine_t *e, const config_endpoint_t *cfg, char *err, size_t errlen)
{
    const config_t *c = &e->d->cfg;
    endpoint_t *ep = calloc(1, sizeof *ep);
    int slots = cfg->slots > 0 ? cfg->slots : c->jobs;
    if (!ep || !(ep->slots = calloc((size_t)slots * 2, sizeof *ep->slots))) {
        free(ep);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ep->e = e;
    ep->cfg = *cfg;
    ep->nslots = slots;
    ep->nalloc = slots * 2;
    ep->rtt_ms = -1;
    ep->probe_now = !cfg->managed && e->d->cfg.capture;
    for (int i = 0; i < ep->nalloc; i++) {
        ep->slots[i].e = e;
        ep->slots[i].ep = ep;
        uv_timer_init(e->loop, &ep->slots[i].wait);
        ep->slots[i].wait.data = &ep->slots[i];
    }
    uv_timer_init(e->loop, &ep->connect_timer);
    uv_timer_init(e->loop, &ep->health_timer);
    ep->connect_timer.data = ep->health_timer.data = ep;
    /* its proxies: on loopback for the managed browser and one on this host (only sockets
     * of our uid may connect); else on proxy_listen, for the endpoint's address alone */
    if (!cfg->managed && !cfg->loopback) {
        const char *listen = cfg->proxy_listen[0] ? cfg->proxy_listen : c->proxy_listen;
        if (!listen[0])
            snprintf(ep->error, sizeof ep->error,
                     "endpoint %s is remote but no proxy_listen is set: a remote browser cannot "
                     "reach linksnapd's egress proxy, and pages are never captured without it "
                     "(see linksnapd.conf(5))", cfg->name);
        else if (remote_peer_ip(cfg->url, ep->peer, sizeof ep->peer) != 0)
            snprintf(ep->error, sizeof ep->error,
                     "endpoint %s must name the browser by its IP address: only that address "
                     "may connect to the egress proxy", cfg->name);
        ep->bind_ip = listen;
    }
    return ep;
}

void endpoint_close_handles(endpoint_t *ep)
{
    ep->handles_closing = ep->nalloc + 2;
    for (int i = 0; i < ep->nalloc; i++) {
        ep->slots[i].wait.data = ep;
        uv_close((uv_handle_t *)&ep->slots[i].wait, ep_handle_closed_cb);
    }
    uv_close((uv_handle_t *)&ep->connect_timer, ep_handle_closed_cb);
    uv_close((uv_handle_t *)&ep->health_timer, ep_handle_closed_cb);
    for (int i = 0; i < ep->nalloc; i++) {
        endpoint_egress_free(ep, ep->slots[i].egress);
        ep->slots[i].egress = NULL;
    }
}

void endpoint_egress_free(endpoint_t *ep, egress_t *x)
{
    if (!x)
        return;
    egress_stats_t st;
    egress_get_stats(x, &st);
    ep->unauthorised += (int64_t)st.unauthorised;
    ep->over_cap += (int64_t)st.over_cap;
    egress_free(x);
}

void endpoint_free(endpoint_t *ep)
{
    if (!ep)
        return;
    free(ep->slots);
    free(ep);
}
