/* engine.c -- the capture engine (see engine.h). The flow of one job:
 *
 *   queued job --claim (writer)--> endpoint's slot --shot (CDP, loop)--> image --postproc
 *   (thread pool)--> files --finish (writer)--> job.finished event
 *
 * The engine runs a fleet of browser endpoints (config_t.endpoints: the managed Chromium,
 * remote DevTools websockets, or both), each with its own slots (endpoint.c owns a
 * browser generation and its health). A claim asks the writer for as many due jobs as
 * the ready endpoints have free places; the writer gives each claimed job to an endpoint
 * with a free place that its site rule allows (pinned endpoints; a rule's cookies and
 * headers never go to a plain ws:// endpoint off loopback), the least loaded relative to
 * its slots first, and puts back the ones whose endpoints are busy or down, without
 * using an attempt. per_host_jobs counts running jobs in the store, so across the fleet.
 * Browsers live only while there is work: started when a job is due, recycled (the
 * managed one) after recycle_after captures or past its memory limit, stopped after
 * idle_stop seconds without work. Every capture gets its own egress proxy listener
 * (capture/egress.c) as its browser context's proxyServer: each connection of the page is
 * resolved (c-ares, capture/resolver.c) and checked with the address rules
 * (capture/guard.c) there. A reload (engine_endpoints_changed) adds endpoints, and drains
 * removed or changed ones: their captures finish, they take no new ones.
 * The engine writes nothing itself: claims, results and retries are writer calls.
 * Its rooms (engine_int.h): this file owns the fleet, the schedule and the life cycle;
 * endpoint.c a browser generation; slot.c a capture slot's life; warm.c the contexts
 * made ahead; jobs.c the writes and the job events. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"
#include "util.h"

cdp_ctx_t *engine_ctx(engine_t *e, const char *ca_file, char *err, size_t errlen)
{
    for (int i = 0; i < e->nctxs; i++)
        if (!strcmp(e->ctxs[i].ca_file, ca_file))
            return e->ctxs[i].ctx;
    if (e->nctxs >= ENGINE_CTX_MAX) {
        snprintf(err, errlen, "too many distinct ca_file settings since linksnapd started "
                 "(%d at most): restart linksnapd", ENGINE_CTX_MAX);
        return NULL;
    }
    cdp_ctx_t *ctx = cdp_ctx_new(e->loop, ca_file, err, errlen);
    if (!ctx)
        return NULL;
    snprintf(e->ctxs[e->nctxs].ca_file, sizeof e->ctxs[e->nctxs].ca_file, "%s", ca_file);
    e->ctxs[e->nctxs++].ctx = ctx;
    return ctx;
}

int engine_lost_uncounted(engine_t *e, int64_t job_id)
{
    int at = -1, oldest = 0;
    for (int i = 0; i < (int)LS_ARRAY_LEN(e->lost); i++) {
        if (e->lost[i].job_id == job_id)
            at = i;
        if (e->lost[i].lost < e->lost[oldest].lost)
            oldest = i;
    }
    if (at < 0) {
        at = oldest;
        e->lost[at].job_id = job_id;
        e->lost[at].lost = 0;
    }
    return ++e->lost[at].lost <= LOST_UNCOUNTED_MAX;
}

static int engine_busy(const engine_t *e)
{
    int n = 0;
    for (int i = 0; i < e->neps; i++)
        n += endpoint_slots_busy(e->eps[i], SLOT_FREE);
    return n;
}

/* Drained endpoints leave the fleet: their handles close and they free themselves. */
static void engine_reap_drained(engine_t *e)
{
    for (int i = 0; i < e->neps; i++) {
        endpoint_t *ep = e->eps[i];
        /* not while a claim is in flight: its answer may still name this endpoint */
        if (!ep->draining || ep->bstate != B_OFF || ep->discovering ||
            endpoint_slots_busy(ep, SLOT_FREE) || e->closing || e->claim_inflight)
            continue;
        log_info("endpoint %s: drained, removed", ep->cfg.name);
        warm_drop(ep, "removed");
        ep->gone = 1;
        endpoint_close_handles(ep);
        memmove(&e->eps[i], &e->eps[i + 1], (size_t)(e->neps - i - 1) * sizeof e->eps[0]);
        e->neps--;
        i--;
    }
}

void engine_check_closed(engine_t *e)
{
    if (!e->closing) {
        /* pointers first: a teardown comes back here and may reap (freed only later, by
         * the handles' close callbacks) */
        endpoint_t *stop[ENGINE_EP_MAX];
        int n = 0;
        for (int i = 0; i < e->neps; i++) {
            endpoint_t *ep = e->eps[i];
            if (ep->draining && ep->bstate == B_READY && endpoint_slots_busy(ep, SLOT_FREE) == 0)
                stop[n++] = ep;
        }
        for (int i = 0; i < n; i++)
            endpoint_teardown(stop[i], "removed by a reload", 0);
        engine_reap_drained(e);
        engine_schedule(e);
        return;
    }
    for (int i = 0; i < e->neps; i++)
        if (e->eps[i]->bstate != B_OFF || endpoint_slots_busy(e->eps[i], SLOT_FREE))
            return;
    if (e->handles_open == 0 && e->close_cb) {
        void (*cb)(void *) = e->close_cb;
        e->close_cb = NULL;
        uv_timer_stop(&e->tick);
        cb(e->close_ud);
    }
}

static void tick_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (e->closing)
        return;
    uint64_t now = uv_now(e->loop);
    for (int i = 0; i < e->neps; i++)
        endpoint_tick(e->eps[i], now);
    engine_check_closed(e);
}

void engine_schedule(engine_t *e)
{
    if (e->closing || !e->d->cfg.capture || e->d->stopping)
        return;
    int due = 0;
    if (store_job_due(e->d->reader, util_now_ms(), &due) != STORE_OK)
        due = 0;
    for (int i = 0; i < e->neps; i++)
        endpoint_schedule(e->eps[i], due);
    if (!due || e->claim_inflight)
        return;
    int total = 0;
    for (int i = 0; i < e->neps; i++)
        total += endpoint_free_slots(e->eps[i]);
    if (total <= 0)
        return;
    op_t *op = jobs_op_new(e, OP_CLAIM, NULL);
    if (!op)
        return;
    op->max = total;
    /* every endpoint of the fleet, with its free places (0 while down or busy): a job
     * whose endpoints are all busy waits, one that none could ever take fails */
    for (int i = 0; i < e->neps && op->ncaps < ENGINE_EP_MAX; i++) {
        endpoint_t *ep = e->eps[i];
        if (ep->draining)
            continue;
        int k = op->ncaps++;
        snprintf(op->caps[k].name, sizeof op->caps[k].name, "%s", ep->cfg.name);
        op->caps[k].ep = ep;
        op->caps[k].free = endpoint_free_slots(ep);
        op->caps[k].slots = ep->nslots;
        op->caps[k].secrets_ok = ep->cfg.managed || ep->cfg.loopback || !ep->cfg.plain;
        op->caps[k].broken = ep->error[0] != 0;
    }
    e->claim_inflight = 1;
    if (writer_submit(e->d->writer, &op->call, jobs_op_fn, slot_claim_done_cb, NULL) != 0) {
        e->claim_inflight = 0;
        jobs_op_free(op);
    }
}

/* A reload changed the fleet: new names join, removed ones drain, and one whose settings
 * changed drains while its successor (same name, new settings) takes new jobs. */
void engine_endpoints_changed(engine_t *e)
{
    if (!e || e->closing)
        return;
    const config_t *c = &e->d->cfg;
    int keep[ENGINE_EP_MAX] = {0};
    for (int k = 0; k < c->nendpoints; k++) {
        const config_endpoint_t *ce = &c->endpoints[k];
        int found = 0;
        for (int i = 0; i < e->neps && !found; i++) {
            endpoint_t *ep = e->eps[i];
            if (!ep->draining && !strcmp(ep->cfg.name, ce->name) &&
                !memcmp(&ep->cfg, ce, sizeof *ce)) {
                keep[i] = found = 1;
            }
        }
        if (found)
            continue;
        char err[256];
        endpoint_t *ep = e->neps < ENGINE_EP_MAX ? endpoint_new(e, ce, err, sizeof err) : NULL;
        if (!ep) {
            log_err("reload: endpoint %s not added: %s", ce->name,
                    e->neps < ENGINE_EP_MAX ? err : "too many endpoints still draining");
            continue;
        }
        keep[e->neps] = 1;
        e->eps[e->neps++] = ep;
        log_notice("reload: endpoint %s (%s) added, %d slots", ce->name, ce->url, ep->nslots);
    }
    for (int i = 0; i < e->neps; i++) {
        endpoint_t *ep = e->eps[i];
        if (keep[i] || ep->draining)
            continue;
        ep->draining = 1;
        log_notice("reload: endpoint %s drains: its %d running captures finish, it takes no new ones",
                   ep->cfg.name, endpoint_slots_busy(ep, SLOT_FREE));
        warm_drop(ep, "removed by a reload");
        if (ep->bstate == B_STARTING)
            endpoint_teardown(ep, "removed by a reload", 0);
    }
    engine_check_closed(e);
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void event_cb(json_t *event, void *ud)
{
    (void)event;
    engine_kick(ud);
}

engine_t *engine_new(daemon_t *d, char *err, size_t errlen)
{
    engine_t *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->d = d;
    e->loop = d->loop;
    /* the state dir is at most 4095 bytes (config.c): these names fit UTIL_PATH_MAX */
    util_path(e->profile_dir, "%s/browser", d->cfg.state_dir);
    util_path(e->pid_file, "%s/browser.pid", d->cfg.state_dir);
    util_path(e->shots_dir, "%s/snapshots", d->cfg.state_dir);
    browser_binary(d->cfg.chromium_path, e->chromium, sizeof e->chromium);
    e->resolver = resolver_new(e->loop, d->cfg.dns_servers, d->cfg.dns_timeout_ms, err, errlen);
    if (!e->resolver) {
        free(e);
        return NULL;
    }
    int managed = 0;
    for (int k = 0; k < d->cfg.nendpoints; k++) {
        endpoint_t *ep = endpoint_new(e, &d->cfg.endpoints[k], err, errlen);
        if (!ep) {
            for (int i = 0; i < e->neps; i++) {
                e->eps[i]->gone = 1;
                endpoint_close_handles(e->eps[i]);
            }
            resolver_free(e->resolver);
            free(e);   /* the endpoints free themselves as their handles close */
            return NULL;
        }
        if (ep->error[0])
            log_warn("%s", ep->error);
        managed |= ep->cfg.managed;
        e->eps[e->neps++] = ep;
    }
    /* proxied connections may take at most half of what the descriptor limit leaves after
     * a reserve for the control socket, the web page, the store and the browser's pipes */
    egress_limits_init(&e->egress_limits, 0);
    uv_timer_init(e->loop, &e->tick);
    e->tick.data = e;
    int pid = browser_reap(e->pid_file, e->profile_dir);
    if (pid)
        log_warn("killed a browser left over by an earlier linksnapd (pid %d)", pid);
    e->cjk_font = browser_has_cjk_font();
    if (!e->cjk_font)
        log_warn("no CJK font installed: Chinese, Japanese and Korean pages will show boxes "
                 "(install fonts-noto-cjk)");
    if (d->cfg.capture && managed && access(e->chromium, X_OK) != 0)
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
    for (int i = 0; i < e->neps; i++)
        warm_drop(e->eps[i], "the settings changed");
    engine_schedule(e);
}

void engine_cancel_job(engine_t *e, int64_t job_id)
{
    for (int i = 0; e && i < e->neps; i++) {
        endpoint_t *ep = e->eps[i];
        for (int k = 0; k < ep->nalloc; k++) {
            slot_t *s = &ep->slots[k];
            if (s->phase != SLOT_FREE && s->job && s->job->id == job_id)
                slot_cancel(s);
        }
    }
}

/* The endpoint daemon.status's single-browser fields describe: the managed one, else the
 * first. */
static endpoint_t *engine_main_endpoint(engine_t *e)
{
    for (int i = 0; i < e->neps; i++)
        if (e->eps[i]->cfg.managed && !e->eps[i]->draining)
            return e->eps[i];
    return e->neps ? e->eps[0] : NULL;
}

json_t *engine_status(engine_t *e)
{
    static const char *const names[] = {"off", "starting", "ready", "stopping"};
    endpoint_t *m = engine_main_endpoint(e);
    /* the fleet's state: ready when one endpoint is, else the best any reaches */
    browser_state_t best = B_OFF;
    int slots = 0, captures = 0, warm = 0, managed = 0;
    int64_t done = 0, failed = 0, retried = 0;
    const char *last_error = NULL;
    for (int i = 0; i < e->neps; i++) {
        endpoint_t *ep = e->eps[i];
        if (ep->bstate == B_READY || (best != B_READY && ep->bstate > best))
            best = ep->bstate;
        if (!ep->draining)
            slots += ep->nslots;
        captures += ep->captures;
        done += ep->done_total;
        failed += ep->failed_total;
        retried += ep->retried_total;
        managed |= ep->cfg.managed;
        for (int k = 0; k < WARM_MAX; k++)
            warm += ep->warm[k].shot && ep->warm[k].ready;
        if (!last_error && (ep->error[0] || ep->last_error[0]))
            last_error = ep->error[0] ? ep->error : ep->last_error;
    }
    const char *state = !e->d->cfg.capture ? "disabled" : names[best];
    json_t *o = json_pack("{s:s,s:b,s:i,s:i,s:i,s:I,s:I,s:I,s:b,s:s}", "state", state,
                          "available", e->d->cfg.capture, "jobs", slots,
                          "running", engine_busy(e), "captures", captures,
                          "done", (json_int_t)done, "failed", (json_int_t)failed,
                          "retried", (json_int_t)retried, "cjk_font", e->cjk_font,
                          "mode", managed ? "managed" : "endpoint");
    if (!o)
        return NULL;
    if (m && m->browser) {
        json_object_set_new(o, "pid", json_integer(browser_pid(m->browser)));
        json_object_set_new(o, "pss_mb", json_integer(m->pss_kb / 1024));
    }
    if (managed)   /* the executable browser.path resolved to (browser_binary) */
        json_object_set_new(o, "binary", json_string(e->chromium));
    json_object_set_new(o, "warm", json_integer(warm));   /* contexts made ahead, ready */
    if (m && m->bstate == B_READY)
        json_object_set_new(o, "uptime_s", json_integer((json_int_t)((uv_now(e->loop) - m->started_ms) / 1000)));
    if (last_error)
        json_object_set_new(o, "last_error", json_string(last_error));
    if (e->resolver) {
        resolver_stats_t rs;
        resolver_get_stats(e->resolver, &rs);
        json_object_set_new(o, "dns", json_pack("{s:I,s:I,s:I,s:I,s:I}",
            "queries", (json_int_t)rs.queries, "coalesced", (json_int_t)rs.coalesced,
            "cache_hits", (json_int_t)rs.cache_hits, "negative_hits", (json_int_t)rs.negative_hits,
            "failures", (json_int_t)rs.failures));
    }
    json_t *tabs = json_array(), *eps = json_array();
    for (int n = 0; n < e->neps; n++) {
        endpoint_t *ep = e->eps[n];
        json_array_append_new(eps, endpoint_status(ep));
        for (int i = 0; tabs && i < ep->ntabs; i++) {
            json_t *t = json_pack("{s:s,s:s,s:s}", "id", ep->tabs[i].id, "url", ep->tabs[i].url,
                                  "endpoint", ep->cfg.name);
            for (int k = 0; t && k < ep->nalloc; k++) {
                slot_t *s = &ep->slots[k];
                if (s->phase == SLOT_SHOT && s->shot && s->job && !strcmp(shot_frame_id(s->shot), ep->tabs[i].id))
                    json_object_set_new(t, "job_id", json_integer((json_int_t)s->job->id));
            }
            json_array_append_new(tabs, t);
        }
    }
    if (tabs)
        json_object_set_new(o, "tabs", tabs);
    if (eps)
        json_object_set_new(o, "endpoints", eps);
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
    for (int n = 0; n < e->neps; n++) {
        endpoint_t *ep = e->eps[n];
        for (int i = 0; i < ep->nalloc; i++) {
            slot_t *s = &ep->slots[i];
            if (s->phase == SLOT_WAIT) {
                uv_timer_stop(&s->wait);
                slot_release(s);
            }
        }
    }
    /* running captures are abandoned (their jobs stay running in the store and are
     * requeued at the next start); post-processing and writes in flight finish */
    endpoint_t *all[ENGINE_EP_MAX];
    int n = e->neps;
    memcpy(all, e->eps, (size_t)n * sizeof all[0]);
    for (int i = 0; i < n; i++)
        endpoint_teardown(all[i], "linksnapd is stopping", 0);
    engine_check_closed(e);
}

static void handle_closed_cb(uv_handle_t *h)
{
    (void)h;
}

void engine_free(engine_t *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nctxs; i++)
        cdp_ctx_destroy_finish(e->ctxs[i].ctx);
    free(e);
}

void engine_close_handles(engine_t *e)
{
    for (int i = 0; i < e->neps; i++) {
        e->eps[i]->gone = 1;
        endpoint_close_handles(e->eps[i]);   /* each frees itself when they are closed */
    }
    e->neps = 0;
    uv_close((uv_handle_t *)&e->tick, handle_closed_cb);
    resolver_free(e->resolver);   /* its memory goes with its handles' close callbacks */
    e->resolver = NULL;
    for (int i = 0; i < e->nctxs; i++)
        cdp_ctx_destroy_begin(e->ctxs[i].ctx);
}
