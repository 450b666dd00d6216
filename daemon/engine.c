/* engine.c -- the capture engine (see engine.h). The flow of one job:
 *
 *   queued job --claim (writer)--> slot --shot (CDP, loop)--> image --postproc (thread
 *   pool)--> files --finish (writer)--> job.finished event
 *
 * The browser lives only while there is work: started when a job is due, recycled after
 * recycle_after captures or when its process group's memory passes the limit, stopped
 * after idle_stop seconds without work. When it dies or stops answering, its whole
 * process group is killed, every capture it was running goes back to the queue (up to
 * MAX_ATTEMPTS, with back-off), and it is started again with back-off. Every capture
 * gets its own egress proxy listener (capture/egress.c) as its browser context's
 * proxyServer: each connection of the page is resolved (c-ares, capture/resolver.c) and
 * checked with the address rules (capture/guard.c) there, and counted for the snapshot.
 * The site rule that applies to a job is read with its claim; it and the consent settings
 * shape the capture (fidelity.c), and a bot wall in the result ends the job `blocked`
 * (or, while blocked_retries allow, puts it back with back-off).
 * The engine writes nothing itself: claims, results and retries are writer calls.
 * Its rooms (engine_int.h): this file owns the browser generation (start, connection,
 * health, teardown), the schedule and the life cycle; slot.c a capture slot's life;
 * warm.c the contexts made ahead; jobs.c the writes and the job events. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"
#include "remote.h"
#include "util.h"

int engine_slots_busy(const engine_t *e, slot_phase_t only)
{
    int n = 0;
    for (int i = 0; i < e->nalloc; i++)
        if (only == SLOT_FREE ? e->slots[i].phase != SLOT_FREE : e->slots[i].phase == only)
            n++;
    return n;
}

/* ---- the browser's health ------------------------------------------------------------- */

static void health_reply_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    engine_t *e = ud;
    (void)c;
    (void)r;
    (void)err;
    e->health_pending = 0;
    uv_timer_stop(&e->health_timer);
}

static void health_timeout_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (!e->health_pending)
        return;
    e->health_pending = 0;
    log_warn("chromium did not answer a health check within %d s: killing it", HEALTH_TIMEOUT_MS / 1000);
    engine_teardown(e, "the browser stopped answering", 1);
}

/* After a capture timed out: is the browser itself still answering? */
void engine_health_check(engine_t *e)
{
    if (e->health_pending || e->bstate != B_READY || !e->cdp)
        return;
    if (cdp_send(e->cdp, "Browser.getVersion", NULL, NULL, health_reply_cb, e) < 0)
        return;
    e->health_pending = 1;
    uv_timer_start(&e->health_timer, health_timeout_cb, HEALTH_TIMEOUT_MS, 0);
}


/* ---- the browser ---------------------------------------------------------------------- */

/* The browser's own list of tabs, kept from target discovery events, so daemon.status
 * can show what is open without a DevTools port to ask. */
static void tabs_on_event(engine_t *e, const char *method, json_t *params)
{
    json_t *info = json_object_get(params, "targetInfo");
    const char *id = json_string_value(info ? json_object_get(info, "targetId")
                                            : json_object_get(params, "targetId"));
    if (!id)
        return;
    int at = -1;
    for (int i = 0; i < e->ntabs && at < 0; i++)
        if (!strcmp(e->tabs[i].id, id))
            at = i;
    if (!strcmp(method, "Target.targetDestroyed") || !strcmp(method, "Target.targetCrashed")) {
        if (at >= 0)
            e->tabs[at] = e->tabs[--e->ntabs];
        return;
    }
    const char *type = json_string_value(json_object_get(info, "type"));
    const char *url = json_string_value(json_object_get(info, "url"));
    if (!type || strcmp(type, "page") != 0)
        return;
    if (at < 0) {
        if (e->ntabs >= MAX_TABS)
            return;
        at = e->ntabs++;
        snprintf(e->tabs[at].id, sizeof e->tabs[at].id, "%s", id);
    }
    snprintf(e->tabs[at].url, sizeof e->tabs[at].url, "%s", url ? url : "");
}

static void on_cdp_event_cb(cdp_t *c, const char *method, json_t *params, const char *session,
                         void *ud)
{
    engine_t *e = ud;
    (void)c;
    if (!session && !strncmp(method, "Target.target", 13)) {
        tabs_on_event(e, method, params);
        return;
    }
    if (!session)
        return;
    for (int i = 0; i < e->nalloc; i++)
        if (e->slots[i].phase == SLOT_SHOT && e->slots[i].shot)
            shot_on_event(e->slots[i].shot, method, params, session);
}

static void browser_ready(engine_t *e)
{
    if (e->bstate != B_STARTING)
        return;
    uv_timer_stop(&e->connect_timer);
    e->bstate = B_READY;
    e->browser_started_ms = e->last_busy_ms = uv_now(e->loop);
    e->captures = 0;
    e->recycling = 0;
    log_info("browser ready%s", e->browser ? "" : " (attached to an external Chromium)");
    engine_schedule(e);
}

static void first_reply_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    engine_t *e = ud;
    (void)r;
    if (c != e->cdp || e->bstate != B_STARTING)
        return;
    if (err) {
        char msg[300];
        snprintf(msg, sizeof msg, "the browser did not answer its first command: %s", err);
        engine_teardown(e, msg, 1);
        return;
    }
    browser_ready(e);
}

/* The DevTools connection is open: the pipe at once, a websocket once established. The
 * browser is ready when it answered a first command: captures started before that (a
 * pipe is writable long before Chromium reads it) lost their tabs' events on a slow
 * machine. */
static void on_cdp_connected(engine_t *e, cdp_t *c)
{
    /* the tabs the browser has, for daemon.status (page targets only) */
    cdp_send(c, "Target.setDiscoverTargets", json_pack("{s:b}", "discover", 1), NULL, NULL, NULL);
    /* no interception: each capture's context sends every connection through its own
     * egress proxy, which applies the address rules (slot_start_shot) */
    if (cdp_send(c, "Browser.getVersion", NULL, NULL, first_reply_cb, e) < 0)
        engine_teardown(e, "cannot talk to the browser", 1);
}

static void on_cdp_state_cb(cdp_t *c, int connected, const char *err, void *ud)
{
    engine_t *e = ud;
    if (c != e->cdp)
        return;
    if (connected) {
        on_cdp_connected(e, c);
        return;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "lost the DevTools connection: %s", err ? err : "closed");
    engine_teardown(e, msg, 1);   /* closes (and so frees) c once this callback returns */
}

/* A remote browser (browser.endpoint) over a websocket, ws or wss, with the token. */
static void connect_cdp(engine_t *e, const char *host, int port, const char *path, int tls)
{
    char err[256];
    e->cdp = cdp_new(e->loop, e->ctx, (size_t)e->d->cfg.max_message_mb << 20, on_cdp_event_cb, on_cdp_state_cb, e, err, sizeof err);
    if (!e->cdp) {
        engine_teardown(e, err, 1);
        return;
    }
    cdp_ws_target_t t = {.host = host, .port = port, .path = path, .tls = tls,
                         .token = e->d->cfg.browser_token};
    if (cdp_connect(e->cdp, &t) != 0) {
        cdp_close(e->cdp);
        e->cdp = NULL;
        engine_teardown(e, "cannot connect to the browser's DevTools endpoint", 1);
    }
}

/* The browser we started: CDP over its pipe, usable at once (Chromium reads the first
 * command when it is up; the connect timer bounds that). */
static void open_pipe(engine_t *e)
{
    char err[256];
    int to_b = -1, from_b = -1;
    e->cdp = cdp_new(e->loop, NULL, (size_t)e->d->cfg.max_message_mb << 20, on_cdp_event_cb, on_cdp_state_cb, e, err, sizeof err);
    if (!e->cdp) {
        engine_teardown(e, err, 1);
        return;
    }
    int rc = browser_take_pipe(e->browser, &to_b, &from_b);
    if (rc == 0)
        rc = cdp_open_pipe(e->cdp, to_b, from_b);
    if (rc != 0) {
        snprintf(err, sizeof err, "cannot open the browser's DevTools pipe: %s",
                 rc == -1 ? "already taken" : uv_strerror(rc));
        engine_teardown(e, err, 1);
        return;
    }
    on_cdp_connected(e, e->cdp);
}

static void on_browser_exit_cb(browser_t *b, int64_t status, int sig, void *ud)
{
    engine_t *e = ud;
    if (!e->torn_down) {
        char msg[160];
        if (sig)
            snprintf(msg, sizeof msg, "the browser was killed (signal %d)", sig);
        else
            snprintf(msg, sizeof msg, "the browser exited (status %lld)", (long long)status);
        log_warn("%s", msg);
        engine_teardown(e, msg, 1);
    }
    browser_free(b);
    if (e->browser == b)
        e->browser = NULL;
    unlink(e->pid_file);
    e->bstate = B_OFF;
    if (e->closing) {
        if (engine_slots_busy(e, SLOT_FREE) == 0)
            engine_teardown(e, "linksnapd is stopping", 0);
        return;
    }
    engine_schedule(e);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (e->bstate == B_STARTING)
        engine_teardown(e, "the browser did not accept the DevTools connection in time (step: connect)", 1);
}

/* Discovery's end (capture/remote.c): a late answer, for a browser generation torn down
 * meanwhile, is dropped. */
static void on_remote_found_cb(const remote_ws_t *ws, const char *err, unsigned gen, void *ud)
{
    engine_t *e = ud;
    e->handles_open--;
    if (gen == e->gen && e->bstate == B_STARTING && !e->closing) {
        if (err)
            engine_teardown(e, err, 1);
        else
            connect_cdp(e, ws->host, ws->port, ws->path, ws->tls);
    }
    if (e->closing && e->handles_open == 0 && e->close_cb)
        engine_teardown(e, "linksnapd is stopping", 0);
}

/* A remote browser (browser.endpoint): its websocket as given, or discovered first. */
static void start_remote(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    char err[512];
    if (!e->ctx && !(e->ctx = cdp_ctx_new(e->loop, cfg->browser_ca_file, err, sizeof err))) {
        engine_teardown(e, err, 1);
        return;
    }
    remote_ws_t ws;
    int discover;
    if (remote_parse(cfg->browser_endpoint, &ws, &discover, err, sizeof err) != 0) {
        engine_teardown(e, err, 1);
        return;
    }
    if (!discover) {
        connect_cdp(e, ws.host, ws.port, ws.path, ws.tls);
        return;
    }
    e->handles_open++;
    if (remote_discover(e->loop, cfg->browser_endpoint, cfg->browser_token, cfg->browser_ca_file,
                        e->gen, on_remote_found_cb, e, err, sizeof err) != 0) {
        e->handles_open--;
        engine_teardown(e, err, 1);
    }
}

static void start_browser(engine_t *e)
{
    char err[512];
    e->gen++;
    e->torn_down = 0;
    e->bstate = B_STARTING;
    uv_timer_start(&e->connect_timer, connect_timeout_cb,
                   CONNECT_TIMEOUT_MS + (e->d->cfg.browser_endpoint[0] ? 0 : 30000), 0);
    if (e->d->cfg.browser_endpoint[0]) {
        start_remote(e);
        return;
    }
    browser_profile_discard(e->loop, e->profile_dir, e->gen);
    browser_opts_t bo = {.chromium = e->chromium, .profile_dir = e->profile_dir,
                         .no_sandbox = geteuid() == 0};
    e->browser = browser_start(e->loop, &bo, on_browser_exit_cb, e, err, sizeof err);
    if (!e->browser) {
        engine_teardown(e, err, 1);
        return;
    }
    browser_write_pid_file(e->browser, e->pid_file, e->profile_dir);
    open_pipe(e);
}

/* Ends this browser generation: captures it was running are abandoned (retried), the
 * connection closed, our own Chromium's process group killed. failure=1 counts towards
 * the restart back-off. Safe to call more than once. */
void engine_teardown(engine_t *e, const char *reason, int failure)
{
    if (!e->torn_down && e->bstate != B_OFF) {
        e->torn_down = 1;
        uv_timer_stop(&e->connect_timer);
        uv_timer_stop(&e->health_timer);
        e->health_pending = 0;
        if (failure) {
            e->failures++;
            unsigned shift = e->failures > 5 ? 5 : e->failures - 1;
            e->next_start_ms = uv_now(e->loop) + (1000u << shift);   /* 1 s .. 32 s */
            snprintf(e->last_error, sizeof e->last_error, "%s", reason);
            log_warn("browser: %s (restart in %u s when work is due)", reason, 1u << shift);
        } else {
            log_info("browser stopped: %s", reason);
        }
        for (int i = 0; i < e->nalloc; i++) {
            slot_t *s = &e->slots[i];
            if (s->phase == SLOT_SHOT && s->shot) {
                s->browser_lost = 1;
                snprintf(s->lost_reason, sizeof s->lost_reason, "%s", reason);
                shot_cancel(s->shot, reason);   /* done runs now: the job is retried */
            }
        }
        warm_drop(e, reason);
        if (e->cdp) {
            cdp_t *c = e->cdp;
            e->cdp = NULL;
            cdp_close(c);
        }
        e->ntabs = 0;
        if (e->browser) {
            e->bstate = B_STOPPING;
            browser_kill(e->browser);   /* browser_exit_cb finishes the teardown */
        } else {
            e->bstate = B_OFF;
        }
    }
    if (e->closing && e->bstate == B_OFF && engine_slots_busy(e, SLOT_FREE) == 0 &&
        e->handles_open == 0 && e->close_cb) {
        void (*cb)(void *) = e->close_cb;
        e->close_cb = NULL;
        uv_timer_stop(&e->tick);
        cb(e->close_ud);
    } else if (!e->closing && e->bstate == B_OFF) {
        engine_schedule(e);
    }
}

static void tick_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (e->closing)
        return;
    uint64_t now = uv_now(e->loop);
    if (e->bstate == B_READY) {
        int busy = engine_slots_busy(e, SLOT_FREE) > 0 || e->claim_inflight;
        if (busy)
            e->last_busy_ms = now;
        if (e->browser && (now / TICK_MS) % 5 == 0) {
            e->browser_pss_kb = browser_group_pss_kb(browser_pid(e->browser));
            if (!e->recycling && e->browser_pss_kb > (int64_t)e->d->cfg.memory_limit_mb * 1024) {
                e->recycling = 1;
                snprintf(e->recycle_reason, sizeof e->recycle_reason,
                         "its memory (%lld MB) passed browser.memory_limit_mb", (long long)(e->browser_pss_kb / 1024));
            }
        }
        int idle_s = e->d->cfg.idle_stop_s;
        if (!busy && idle_s > 0 && now - e->last_busy_ms >= (uint64_t)idle_s * 1000) {
            int due = 0;
            store_job_due(e->d->reader, util_now_ms(), &due);
            if (!due) {
                char msg[96];
                snprintf(msg, sizeof msg, "idle for %d s", idle_s);
                engine_teardown(e, msg, 0);
                return;
            }
        }
    }
    engine_schedule(e);
}

void engine_schedule(engine_t *e)
{
    if (e->closing || !e->d->cfg.capture || e->d->stopping)
        return;
    uint64_t now = uv_now(e->loop);
    if (e->bstate == B_OFF) {
        int due = 0;
        if (store_job_due(e->d->reader, util_now_ms(), &due) != STORE_OK || !due)
            return;
        if (now >= e->next_start_ms)
            start_browser(e);
        return;   /* else the tick comes back after the back-off */
    }
    if (e->bstate != B_READY)
        return;
    if (!e->recycling && e->captures >= e->d->cfg.recycle_after) {
        e->recycling = 1;
        snprintf(e->recycle_reason, sizeof e->recycle_reason, "%d captures done", e->captures);
    }
    if (e->recycling) {
        if (engine_slots_busy(e, SLOT_SHOT) == 0 && engine_slots_busy(e, SLOT_WAIT) == 0 && !e->claim_inflight) {
            char msg[192];
            snprintf(msg, sizeof msg, "recycled: %s", e->recycle_reason);
            engine_teardown(e, msg, 0);
        }
        return;
    }
    /* a capture holds a place from its claim until its screenshot arrives (or while it
     * waits to be shot again); post-processing and the write run beside the next ones */
    int in_browser = engine_slots_busy(e, SLOT_SHOT) + engine_slots_busy(e, SLOT_WAIT);
    int free_slots = e->nslots - in_browser;
    int free_structs = e->nalloc - engine_slots_busy(e, SLOT_FREE);
    if (free_structs < free_slots)
        free_slots = free_structs;
    if (free_slots <= 0 || e->claim_inflight)
        return;
    int due = 0;
    if (store_job_due(e->d->reader, util_now_ms(), &due) != STORE_OK || !due)
        return;
    op_t *op = jobs_op_new(e, OP_CLAIM, NULL);
    if (!op)
        return;
    op->max = free_slots;
    e->claim_inflight = 1;
    if (writer_submit(e->d->writer, &op->call, jobs_op_fn, slot_claim_done_cb, NULL) != 0) {
        e->claim_inflight = 0;
        jobs_op_free(op);
    }
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void event_cb(json_t *event, void *ud)
{
    (void)event;
    engine_kick(ud);
}

/* A remote browser (browser.endpoint) reaches the egress proxy on browser.proxy_listen,
 * and only the endpoint's own address may connect to it. Without that, captures fail
 * closed with the reason (the remote browser would otherwise go out on its own). */
static void remote_policy(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    if (!cfg->browser_endpoint[0])
        return;
    if (!cfg->proxy_listen[0]) {
        snprintf(e->remote_error, sizeof e->remote_error,
                 "browser.endpoint is set but browser.proxy_listen is not: a remote browser cannot "
                 "reach linksnapd's egress proxy, and pages are never captured without it "
                 "(see linksnapd.conf(5))");
        return;
    }
    if (remote_peer_ip(cfg->browser_endpoint, e->remote_peer, sizeof e->remote_peer) != 0)
        snprintf(e->remote_error, sizeof e->remote_error,
                 "browser.endpoint must name the browser by its IP address when browser.proxy_listen "
                 "is used: only that address may connect to the egress proxy");
}

engine_t *engine_new(daemon_t *d, char *err, size_t errlen)
{
    engine_t *e = calloc(1, sizeof *e);
    if (!e || !(e->slots = calloc((size_t)d->cfg.jobs * 2, sizeof *e->slots))) {
        free(e);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->d = d;
    e->loop = d->loop;
    e->nslots = d->cfg.jobs;
    e->nalloc = d->cfg.jobs * 2;
    /* the state dir is at most 4095 bytes (config.c): these names fit UTIL_PATH_MAX */
    util_path(e->profile_dir, "%s/browser", d->cfg.state_dir);
    util_path(e->pid_file, "%s/browser.pid", d->cfg.state_dir);
    util_path(e->shots_dir, "%s/snapshots", d->cfg.state_dir);
    browser_binary(d->cfg.chromium_path, e->chromium, sizeof e->chromium);
    for (int i = 0; i < e->nalloc; i++) {
        e->slots[i].e = e;
        uv_timer_init(e->loop, &e->slots[i].wait);
        e->slots[i].wait.data = &e->slots[i];
    }
    e->resolver = resolver_new(e->loop, d->cfg.dns_servers, d->cfg.dns_timeout_ms, err, errlen);
    if (!e->resolver) {
        free(e->slots);
        free(e);
        return NULL;
    }
    remote_policy(e);
    /* proxied connections may take at most half of what the descriptor limit leaves after
     * a reserve for the control socket, the web page, the store and the browser's pipes */
    egress_limits_init(&e->egress_limits, 0);
    uv_timer_init(e->loop, &e->tick);
    uv_timer_init(e->loop, &e->connect_timer);
    uv_timer_init(e->loop, &e->health_timer);
    e->tick.data = e->connect_timer.data = e->health_timer.data = e;
    int pid = browser_reap(e->pid_file, e->profile_dir);
    if (pid)
        log_warn("killed a browser left over by an earlier linksnapd (pid %d)", pid);
    e->cjk_font = browser_has_cjk_font();
    if (!e->cjk_font)
        log_warn("no CJK font installed: Chinese, Japanese and Korean pages will show boxes "
                 "(install fonts-noto-cjk)");
    if (d->cfg.capture && !d->cfg.browser_endpoint[0] && access(e->chromium, X_OK) != 0)
        log_warn("%s is not an executable: captures will fail until Chromium is installed "
                 "(apt install chromium) or browser.path is set", e->chromium);
    static const char *const topics[] = {"link.added", "job.queued", "import", NULL};
    json_t *t = json_array();
    for (int i = 0; topics[i]; i++)
        json_array_append_new(t, json_string(topics[i]));
    e->sub = events_subscribe(d->events, t, event_cb, e);
    json_decref(t);
    uv_timer_start(&e->tick, tick_cb, TICK_MS, TICK_MS);
    return e;
}

void engine_kick(engine_t *e)
{
    if (e)
        engine_schedule(e);
}

void engine_settings_changed(engine_t *e)
{
    if (!e)
        return;
    warm_drop(e, "the settings changed");
    engine_schedule(e);
}

void engine_cancel_job(engine_t *e, int64_t job_id)
{
    for (int i = 0; e && i < e->nalloc; i++) {
        slot_t *s = &e->slots[i];
        if (s->phase != SLOT_FREE && s->job && s->job->id == job_id)
            slot_cancel(s);
    }
}

json_t *engine_status(engine_t *e)
{
    static const char *const names[] = {"off", "starting", "ready", "stopping"};
    const char *state = !e->d->cfg.capture ? "disabled" : names[e->bstate];
    json_t *o = json_pack("{s:s,s:b,s:i,s:i,s:i,s:I,s:I,s:I,s:b,s:s}", "state", state,
                          "available", e->d->cfg.capture, "jobs", e->nslots,
                          "running", engine_slots_busy(e, SLOT_FREE),
                          "captures", e->captures, "done", (json_int_t)e->done_total,
                          "failed", (json_int_t)e->failed_total, "retried", (json_int_t)e->retried_total,
                          "cjk_font", e->cjk_font,
                          "mode", e->d->cfg.browser_endpoint[0] ? "endpoint" : "managed");
    if (!o)
        return NULL;
    if (e->browser) {
        json_object_set_new(o, "pid", json_integer(browser_pid(e->browser)));
        json_object_set_new(o, "pss_mb", json_integer(e->browser_pss_kb / 1024));
    }
    int warm = 0;
    for (int i = 0; i < WARM_MAX; i++)
        warm += e->warm[i].shot && e->warm[i].ready;
    json_object_set_new(o, "warm", json_integer(warm));   /* contexts made ahead, ready */
    if (e->bstate == B_READY)
        json_object_set_new(o, "uptime_s", json_integer((json_int_t)((uv_now(e->loop) - e->browser_started_ms) / 1000)));
    if (e->last_error[0])
        json_object_set_new(o, "last_error", json_string(e->last_error));
    if (e->resolver) {
        resolver_stats_t rs;
        resolver_get_stats(e->resolver, &rs);
        json_object_set_new(o, "dns", json_pack("{s:I,s:I,s:I,s:I,s:I}",
            "queries", (json_int_t)rs.queries, "coalesced", (json_int_t)rs.coalesced,
            "cache_hits", (json_int_t)rs.cache_hits, "negative_hits", (json_int_t)rs.negative_hits,
            "failures", (json_int_t)rs.failures));
    }
    json_t *tabs = json_array();
    for (int i = 0; tabs && i < e->ntabs; i++) {
        json_t *t = json_pack("{s:s,s:s}", "id", e->tabs[i].id, "url", e->tabs[i].url);
        for (int k = 0; t && k < e->nalloc; k++) {
            slot_t *s = &e->slots[k];
            if (s->phase == SLOT_SHOT && s->shot && s->job && !strcmp(shot_frame_id(s->shot), e->tabs[i].id))
                json_object_set_new(t, "job_id", json_integer((json_int_t)s->job->id));
        }
        json_array_append_new(tabs, t);
    }
    if (tabs)
        json_object_set_new(o, "tabs", tabs);
    return o;
}

void engine_close(engine_t *e, void (*cb)(void *ud), void *ud)
{
    e->closing = 1;
    e->close_cb = cb;
    e->close_ud = ud;
    events_unsubscribe(e->d->events, e->sub);
    e->sub = NULL;
    uv_timer_stop(&e->tick);
    for (int i = 0; i < e->nalloc; i++) {
        slot_t *s = &e->slots[i];
        if (s->phase == SLOT_WAIT) {
            uv_timer_stop(&s->wait);
            slot_release(s);
        }
    }
    /* running captures are abandoned (their jobs stay running in the store and are
     * requeued at the next start); post-processing and writes in flight finish */
    engine_teardown(e, "linksnapd is stopping", 0);
}

static void handle_closed_cb(uv_handle_t *h)
{
    (void)h;
}

void engine_free(engine_t *e)
{
    if (!e)
        return;
    if (e->ctx)
        cdp_ctx_destroy_finish(e->ctx);
    free(e->slots);
    free(e);
}

void engine_close_handles(engine_t *e)
{
    for (int i = 0; i < e->nalloc; i++)
        uv_close((uv_handle_t *)&e->slots[i].wait, handle_closed_cb);
    uv_close((uv_handle_t *)&e->tick, handle_closed_cb);
    uv_close((uv_handle_t *)&e->connect_timer, handle_closed_cb);
    uv_close((uv_handle_t *)&e->health_timer, handle_closed_cb);
    for (int i = 0; i < e->nslots; i++) {
        egress_free(e->slots[i].egress);
        e->slots[i].egress = NULL;
    }
    resolver_free(e->resolver);   /* its memory goes with its handles' close callbacks */
    e->resolver = NULL;
    if (e->ctx)
        cdp_ctx_destroy_begin(e->ctx);
}
