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
 * The engine writes nothing itself: claims, results and retries are writer calls. */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "browser.h"
#include "cdp.h"
#include "daemon.h"
#include "egress.h"
#include "fidelity.h"
#include "guard.h"
#include "json_link.h"
#include "log.h"
#include "postproc.h"
#include "remote.h"
#include "shot.h"
#include "sites.h"
#include "util.h"

#define MAX_ATTEMPTS 3
#define THUMB_WIDTH 320
#define BLANK_RETRY_MS 1500
#define TICK_MS 1000
#define HEALTH_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 10000

typedef enum { B_OFF, B_STARTING, B_READY, B_STOPPING } browser_state_t;
typedef enum { SLOT_FREE, SLOT_SHOT, SLOT_WAIT, SLOT_POST, SLOT_WRITE } slot_phase_t;

typedef struct slot {
    struct engine *e;
    slot_phase_t phase;
    store_job_t *job;
    void *shot;
    shot_result_t res;            /* png_b64 and redirects owned while set */
    postproc_request_t pq;
    postproc_result_t pr;
    char out_path[4300], thumb_path[4300];
    uv_work_t work;
    uv_timer_t wait;              /* blank retry delay */
    int blank_retried, canceled, browser_lost;
    int64_t queue_ms;             /* due (created or not_before) -> claimed */
    uint64_t shot_done_ms;        /* loop time the screenshot arrived */
    int64_t post_ms;              /* screenshot arrived -> post-processing done */
    int64_t teardown_ms;          /* context disposed, ms after the shot; -1 = not yet */
    char block_reason[256];       /* its top document was refused by the address rules */
    char lost_reason[256];
    egress_t *egress;             /* the proxy of the capture's browser context */
    egress_stats_t net;           /* its counters, kept when the capture ends */
    char top_host[256];           /* of the top document's latest URL */
    store_site_rule_t *rule;      /* the site rule that applies to the job; NULL = none */
    fidelity_t fid;               /* the capture's options from it and the config */
    botwall_result_t wall;        /* what the result met (kind BOTWALL_NONE: no wall) */
} slot_t;

#define MAX_TABS 64

typedef struct {
    char id[64];
    char url[512];
} tab_t;

struct engine {
    daemon_t *d;
    uv_loop_t *loop;
    browser_state_t bstate;
    browser_t *browser;
    cdp_ctx_t *ctx;
    cdp_t *cdp;
    unsigned gen;                 /* bumps with every browser: late callbacks check it */
    int torn_down;                /* this generation's teardown ran */
    int recycling;
    char recycle_reason[128];
    int captures;                 /* by this browser */
    uint64_t browser_started_ms;
    int64_t browser_pss_kb;
    unsigned failures;            /* browser starts/connections failed in a row */
    uint64_t next_start_ms;
    uint64_t last_busy_ms;
    int claim_inflight;
    int closing;
    void (*close_cb)(void *);
    void *close_ud;
    slot_t *slots;
    int nslots;                   /* captures in the browser at once (--jobs) */
    int nalloc;                   /* slot structs: 2 x nslots, so a finished capture's
                                   * post-processing and write do not hold a tab's place */
    uv_timer_t tick, connect_timer, health_timer;
    int health_pending;
    int handles_open;
    events_sub_t *sub;
    resolver_t *resolver;         /* the egress proxies' (c-ares on the loop) */
    char remote_peer[64];         /* browser.endpoint's IP: the only peer of a remote proxy */
    void *warm;                   /* a context and tab made ahead of the next capture */
    egress_t *warm_egress;        /* its proxy, handed to the slot that takes it */
    int warm_ready;
    int warm_failures;            /* in a row: after 3, captures make their own */
    char remote_error[300];       /* why captures with browser.endpoint cannot run */
    tab_t tabs[MAX_TABS];         /* page targets the browser reported (discovery events) */
    int ntabs;
    char profile_dir[4300], pid_file[4300], shots_dir[4300];
    char chromium[1100];
    int cjk_font;
    int64_t done_total, failed_total, retried_total;
    char last_error[256];
};

static void schedule(engine_t *e);
static void teardown(engine_t *e, const char *reason, int failure);
static void slot_start_shot(slot_t *s);
static void slot_release(slot_t *s);

/* ---- writer calls --------------------------------------------------------------------- */

typedef enum { OP_CLAIM, OP_FINISH, OP_RETRY } op_kind_t;

/* A write the engine submits: the method_call_t comes first so the writer's fn can find
 * the rest. Inputs are copied in; outputs are read in done. */
typedef struct {
    method_call_t call;
    engine_t *e;
    op_kind_t kind;
    slot_t *slot;
    int max;
    store_job_t **jobs;
    store_site_rule_t **rules;    /* OP_CLAIM: the rule of each job (NULL = none) */
    size_t njobs;
    store_job_result_t result;
    char *timings, *redirects, *error;
    int64_t not_before;
    int rc;
    char errmsg[512];
} op_t;

static int op_fn(method_call_t *call)
{
    op_t *op = (op_t *)call;
    switch (op->kind) {
    case OP_CLAIM:
        op->rc = store_job_claim(call->db, util_now_ms(), op->max, &op->jobs, &op->njobs);
        if (op->rc == STORE_OK && op->njobs && !(op->rules = calloc(op->njobs, sizeof *op->rules)))
            log_warn("out of memory reading site rules: the claimed jobs run without them");
        for (size_t i = 0; op->rc == STORE_OK && op->rules && i < op->njobs; i++) {
            int rc = store_site_match(call->db, op->jobs[i]->url, &op->rules[i]);
            /* a failed lookup leaves the job without a rule; the claim stands */
            if (rc != STORE_OK && rc != STORE_ENOTFOUND)
                log_warn("job %lld: cannot read its site rule: %s", (long long)op->jobs[i]->id,
                         store_errmsg(call->db));
        }
        break;
    case OP_FINISH:
        op->result.now_ms = util_now_ms();
        op->rc = store_job_finish(call->db, &op->result);
        break;
    case OP_RETRY:
        op->rc = store_job_retry(call->db, op->result.job_id, op->not_before, op->error,
                                 util_now_ms());
        break;
    }
    if (op->rc)
        snprintf(op->errmsg, sizeof op->errmsg, "%s", store_errmsg(call->db));
    /* ENOTFOUND / ECONFLICT are answers (the link was deleted, the job canceled): they
     * must not roll back the other calls of the batch, so the call itself succeeds */
    return op->rc == STORE_OK || op->rc == STORE_ENOTFOUND || op->rc == STORE_ECONFLICT
        ? 0 : method_fail_store(call, op->rc, "capture queue");
}

static void op_free(op_t *op)
{
    if (op->rules)
        store_site_rule_list_free(op->rules, op->njobs);
    store_job_list_free(op->jobs, op->njobs);
    free(op->timings);
    free(op->redirects);
    free(op->error);
    json_decref(op->call.params);
    json_decref(op->call.result);
    json_decref(op->call.err_data);
    json_decref(op->call.events);
    free(op);
}

static op_t *op_new(engine_t *e, op_kind_t kind, slot_t *slot)
{
    op_t *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->e = e;
    op->kind = kind;
    op->slot = slot;
    op->call.method = "capture";
    op->call.params = json_object();
    op->call.cfg = &e->d->cfg;
    return op;
}

/* ---- events --------------------------------------------------------------------------- */

static void publish(engine_t *e, const char *topic, json_t *fields)
{
    if (!fields)
        return;
    json_object_set_new(fields, "topic", json_string(topic));
    events_publish(e->d->events, fields);
    json_decref(fields);
}

static void publish_finished(engine_t *e, const store_job_t *job, const char *state,
                             const char *error)
{
    store_snapshot_t *snap = NULL;
    if (store_snapshot_get(e->d->reader, job->snapshot_id, &snap) != STORE_OK)
        snap = NULL;
    publish(e, "job.finished",
            json_pack("{s:I,s:I,s:s,s:i,s:s?,s:o}", "job_id", (json_int_t)job->id,
                      "link_id", (json_int_t)job->link_id, "state", state, "attempt", job->attempt,
                      "error", error, "snapshot", wire_snapshot(snap)));
    store_snapshot_free(snap);
}

/* ---- slots ---------------------------------------------------------------------------- */

static int slots_busy(const engine_t *e, slot_phase_t only)
{
    int n = 0;
    for (int i = 0; i < e->nalloc; i++)
        if (only == SLOT_FREE ? e->slots[i].phase != SLOT_FREE : e->slots[i].phase == only)
            n++;
    return n;
}

static void slot_clear_result(slot_t *s)
{
    shot_result_clear(&s->res);
    memset(&s->wall, 0, sizeof s->wall);
}

static void slot_release(slot_t *s)
{
    engine_t *e = s->e;
    slot_clear_result(s);
    store_job_free(s->job);
    s->job = NULL;
    store_site_rule_free(s->rule);
    s->rule = NULL;
    fidelity_clear(&s->fid);
    s->shot = NULL;
    egress_free(s->egress);
    s->egress = NULL;
    memset(&s->net, 0, sizeof s->net);
    s->phase = SLOT_FREE;
    s->blank_retried = s->canceled = s->browser_lost = 0;
    s->queue_ms = s->post_ms = 0;
    s->teardown_ms = -1;
    s->block_reason[0] = s->lost_reason[0] = '\0';
    s->top_host[0] = '\0';
    e->last_busy_ms = uv_now(e->loop);
    if (e->closing) {
        if (slots_busy(e, SLOT_FREE) == 0)
            teardown(e, "linksnapd is stopping", 0);
        return;
    }
    schedule(e);
}

static void finish_done_cb(method_call_t *call, void *ud)
{
    op_t *op = (op_t *)call;
    slot_t *s = op->slot;
    engine_t *e = op->e;
    (void)ud;
    if (call->err_code || op->rc) {
        /* gone (link deleted) or canceled meanwhile, or the store failed: the files of a
         * result nobody will point at are removed */
        if (op->kind == OP_FINISH) {
            if (s->out_path[0])
                unlink(s->out_path);
            if (s->thumb_path[0])
                unlink(s->thumb_path);
        }
        if (call->err_code)
            log_err("job %lld: cannot save its outcome: %s", (long long)s->job->id, call->err_msg);
        else if (op->rc != STORE_ENOTFOUND && op->rc != STORE_ECONFLICT)
            log_err("job %lld: %s", (long long)s->job->id, op->errmsg);
        else if (s->canceled)
            publish_finished(e, s->job, "canceled", "canceled by the user");
    } else if (op->kind == OP_FINISH) {
        publish_finished(e, s->job, op->result.state, op->result.error);
    } else {
        publish(e, "job.retry",
                json_pack("{s:I,s:I,s:i,s:s,s:I}", "job_id", (json_int_t)s->job->id,
                          "link_id", (json_int_t)s->job->link_id, "attempt", s->job->attempt,
                          "error", op->error ? op->error : "",
                          "not_before", (json_int_t)op->not_before));
    }
    op_free(op);
    slot_release(s);
}

static void submit(engine_t *e, op_t *op, writer_done_cb cb)
{
    if (writer_submit(e->d->writer, &op->call, op_fn, cb, NULL) != 0) {
        /* the writer is closing: the job stays running in the store and is requeued at
         * the next start */
        slot_t *s = op->slot;
        op_free(op);
        if (s)
            slot_release(s);
    }
}

/* {"network": {requests, bytes, refused}} of the capture's proxy: kept in the snapshot's
 * timings column, shown as the snapshot's `network` (json_link.c). */
static json_t *network_json(const slot_t *s)
{
    return json_pack("{s:I,s:I,s:I}", "requests", (json_int_t)s->net.requests,
                     "bytes", (json_int_t)s->net.bytes, "refused", (json_int_t)s->net.refused);
}

/* Puts the job back in the queue, due after delay_ms, as its next attempt. */
static void slot_retry(slot_t *s, const char *error, int64_t delay_ms)
{
    engine_t *e = s->e;
    s->phase = SLOT_WRITE;
    op_t *op = op_new(e, OP_RETRY, s);
    if (!op) {
        log_err("out of memory retrying job %lld", (long long)s->job->id);
        slot_release(s);
        return;
    }
    op->result.job_id = s->job->id;
    op->not_before = util_now_ms() + delay_ms;
    op->error = strdup(error);
    e->retried_total++;
    log_notice("job %lld (%s): attempt %d failed, retrying in %lld s: %s", (long long)s->job->id,
               s->job->url, s->job->attempt, (long long)(delay_ms / 1000), error);
    submit(e, op, finish_done_cb);
}

/* Ends a job that produced no image: retry when the cause is passing, else failed. */
static void slot_fail(slot_t *s, const char *error, int transient)
{
    engine_t *e = s->e;
    s->phase = SLOT_WRITE;
    if (transient && s->job->attempt < MAX_ATTEMPTS && !e->closing) {
        /* back-off: 2 s, 4 s, ... */
        slot_retry(s, error, (int64_t)2000 * (1 << (s->job->attempt - 1)));
        return;
    }
    if (e->closing && transient) {
        /* stopping: leave the job running in the store; the next start requeues it */
        slot_release(s);
        return;
    }
    op_t *op = op_new(e, OP_FINISH, s);
    if (!op)
        goto oom;
    char msg[600];
    if (transient)
        snprintf(msg, sizeof msg, "%s (after %d attempts)", error, s->job->attempt);
    else
        snprintf(msg, sizeof msg, "%s", error);
    op->error = strdup(msg);
    op->result.job_id = s->job->id;
    op->result.state = "failed";
    op->result.error = op->error;
    op->result.http_status = s->res.http_status;
    op->result.final_url = s->res.final_url;
    if (s->res.redirects)
        op->redirects = json_dumps(s->res.redirects, JSON_COMPACT);
    op->result.redirects_json = op->redirects;
    json_t *t = json_pack("{s:o}", "network", network_json(s));
    op->timings = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    op->result.timings_json = op->timings;
    e->failed_total++;
    log_info("job %lld (%s) failed: %s", (long long)s->job->id, s->job->url, msg);
    submit(e, op, finish_done_cb);
    return;
oom:
    log_err("out of memory ending job %lld", (long long)s->job->id);
    slot_release(s);
}

static void slot_save(slot_t *s)
{
    engine_t *e = s->e;
    op_t *op = op_new(e, OP_FINISH, s);
    if (!op) {
        slot_fail(s, "out of memory saving the snapshot", 1);
        return;
    }
    s->phase = SLOT_WRITE;
    store_job_result_t *r = &op->result;
    r->job_id = s->job->id;
    int blocked = s->wall.kind != BOTWALL_NONE;
    r->state = blocked ? "blocked" : s->res.partial ? "partial" : "ok";
    r->http_status = s->res.http_status;
    r->final_url = s->res.final_url;
    r->title = s->res.title;
    r->path = s->out_path;
    r->thumb_path = s->pr.thumb_w ? s->thumb_path : NULL;
    r->sha256 = s->pr.sha256;
    r->width = s->res.width;
    r->height = s->res.height;
    r->truncated = s->res.truncated;
    r->blank = s->pr.blank;
    r->bytes = s->pr.bytes;
    if (blocked)
        op->error = strdup(s->wall.error);
    else if (s->res.partial)
        op->error = strdup(s->res.partial_reason);
    r->error = op->error;
    json_t *t = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i}",
                          "queue_ms", (json_int_t)s->queue_ms,
                          "setup_ms", (json_int_t)s->res.t_setup_ms,
                          "navigate_ms", (json_int_t)s->res.t_navigate_ms,
                          "wait_ms", (json_int_t)s->res.t_wait_ms,
                          "lazy_ms", (json_int_t)s->res.t_lazy_ms,
                          "capture_ms", (json_int_t)s->res.t_capture_ms,
                          "post_ms", (json_int_t)s->post_ms,
                          "encode_ms", (json_int_t)s->pr.elapsed_ms,
                          "lazy_steps", s->res.lazy_steps);
    if (t && s->teardown_ms >= 0)
        json_object_set_new(t, "teardown_ms", json_integer((json_int_t)s->teardown_ms));
    if (t) {
        json_object_set_new(t, "network", network_json(s));
        json_t *fid = fidelity_record(&s->fid, &s->res, &s->wall);
        if (fid)
            json_object_set_new(t, "fidelity", fid);
    }
    op->timings = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    r->timings_json = op->timings;
    if (s->res.redirects)
        op->redirects = json_dumps(s->res.redirects, JSON_COMPACT);
    r->redirects_json = op->redirects;
    if (blocked)
        e->failed_total++;
    else
        e->done_total++;
    e->failures = 0;
    submit(e, op, finish_done_cb);
}

/* ---- post-processing on the thread pool ------------------------------------------------ */

static int mkdir_p(const char *path)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void post_work_cb(uv_work_t *w)
{
    slot_t *s = w->data;
    char dir[4300];
    snprintf(dir, sizeof dir, "%s", s->out_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (mkdir_p(dir) != 0) {
        memset(&s->pr, 0, sizeof s->pr);
        snprintf(s->pr.error, sizeof s->pr.error, "cannot create %s: %s", dir, strerror(errno));
        return;
    }
    postproc_run(&s->pq, &s->pr);
}

static void blank_wait_cb(uv_timer_t *t)
{
    slot_t *s = t->data;
    if (s->canceled || s->e->closing) {
        slot_release(s);
        return;
    }
    if (s->e->bstate != B_READY) {
        slot_fail(s, "the browser went away before the blank page could be captured again", 1);
        return;
    }
    slot_start_shot(s);
}

static void post_after_cb(uv_work_t *w, int status)
{
    slot_t *s = w->data;
    engine_t *e = s->e;
    json_decref(s->res.png_b64);
    s->res.png_b64 = NULL;
    s->post_ms = (int64_t)(uv_now(e->loop) - s->shot_done_ms);
    if (status == UV_ECANCELED || !s->pr.ok) {
        slot_fail(s, status == UV_ECANCELED ? "linksnapd is stopping" : s->pr.error, status == UV_ECANCELED);
        return;
    }
    if (s->canceled) {
        unlink(s->out_path);
        unlink(s->thumb_path);
        publish_finished(e, s->job, "canceled", "canceled by the user");
        slot_release(s);
        return;
    }
    if (s->pr.blank && s->res.partial && s->job->attempt == 1 && !e->closing) {
        /* nothing painted yet and the page was cut short: one more chance later, with the
         * whole budget, as the job's next attempt (queued meanwhile) */
        char msg[600];
        unlink(s->out_path);
        unlink(s->thumb_path);
        snprintf(msg, sizeof msg, "the shot was one flat colour after a partial load (%s); "
                 "trying again later with the full time", s->res.partial_reason);
        slot_fail(s, msg, 1);
        return;
    }
    if (s->pr.blank && !s->blank_retried && !e->closing) {
        /* a single flat colour: the page had not painted yet; once more after a pause */
        s->blank_retried = 1;
        unlink(s->out_path);
        unlink(s->thumb_path);
        log_info("job %lld: the shot is one flat colour; capturing again in %d ms",
                 (long long)s->job->id, BLANK_RETRY_MS);
        slot_clear_result(s);
        s->phase = SLOT_WAIT;
        uv_timer_start(&s->wait, blank_wait_cb, BLANK_RETRY_MS, 0);
        return;
    }
    slot_save(s);
}

/* ---- one capture ---------------------------------------------------------------------- */

static int transient_net_error(const char *net)
{
    static const char *const passing[] = {
        "net::ERR_CONNECTION_RESET", "net::ERR_CONNECTION_CLOSED", "net::ERR_EMPTY_RESPONSE",
        "net::ERR_NETWORK_CHANGED", "net::ERR_HTTP2_PROTOCOL_ERROR", NULL,
    };
    for (int i = 0; passing[i]; i++)
        if (!strcmp(net, passing[i]))
            return 1;
    return 0;
}

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
    teardown(e, "the browser stopped answering", 1);
}

/* After a capture timed out: is the browser itself still answering? */
static void health_check(engine_t *e)
{
    if (e->health_pending || e->bstate != B_READY || !e->cdp)
        return;
    if (cdp_send(e->cdp, "Browser.getVersion", NULL, NULL, health_reply_cb, e) < 0)
        return;
    e->health_pending = 1;
    uv_timer_start(&e->health_timer, health_timeout_cb, HEALTH_TIMEOUT_MS, 0);
}

static void on_shot_done_cb(shot_result_t *r, void *ud)
{
    slot_t *s = ud;
    engine_t *e = s->e;
    s->shot = NULL;
    s->res = *r;                  /* takes png_b64 and redirects */
    e->captures++;
    if (s->egress) {              /* the context is gone: so are its connections */
        char why[300];
        if (!s->block_reason[0] && s->top_host[0] && egress_refusal(s->egress, s->top_host, why, sizeof why))
            snprintf(s->block_reason, sizeof s->block_reason, "%s", why);
        egress_get_stats(s->egress, &s->net);
        egress_free(s->egress);
        s->egress = NULL;
    }
    if (r->ok && s->block_reason[0]) {
        /* the top document was refused over plain http: what came back is our 403 */
        r->ok = s->res.ok = 0;
        json_decref(s->res.png_b64);
        s->res.png_b64 = r->png_b64 = NULL;
    }
    if (s->canceled) {
        publish_finished(e, s->job, "canceled", "canceled by the user");
        slot_release(s);
        return;
    }
    if (!r->ok && !s->browser_lost && (!e->cdp || cdp_is_closed(e->cdp))) {
        /* the connection dropped under the capture (its replies failed before the state
         * callback ran): the browser went away, not the page */
        s->browser_lost = 1;
        snprintf(s->lost_reason, sizeof s->lost_reason, "the browser went away during the capture (%s)",
                 r->error);
    }
    if (s->browser_lost) {
        slot_fail(s, s->lost_reason, 1);
        return;
    }
    if (!r->ok) {
        char msg[800];
        const char *why = r->error;
        int transient = r->crashed || (r->net_error[0] && transient_net_error(r->net_error));
        if (s->block_reason[0]) {   /* the top document was refused: that is the cause */
            snprintf(msg, sizeof msg, "navigate failed: %s", s->block_reason);
            why = msg;
            transient = 0;
        }
        if (!strncmp(r->error, "timed out", 9))
            health_check(e);
        slot_fail(s, why, transient);
        return;
    }
    /* a bot wall or a 429 is named, not saved as a success; while blocked_retries allow,
     * the job tries again later (30 s, 60 s, ... or the server's Retry-After if longer) */
    if (fidelity_classify(&s->res, &s->wall) != BOTWALL_NONE) {
        log_info("job %lld (%s): %s", (long long)s->job->id, s->job->url, s->wall.error);
        if (s->job->attempt <= e->d->cfg.blocked_retries && !e->closing) {
            int shift = s->job->attempt - 1 < 10 ? s->job->attempt - 1 : 10;
            int64_t delay = (int64_t)30000 << shift;
            if (s->wall.retry_after > 0 && s->wall.retry_after * 1000 > delay)
                delay = s->wall.retry_after * 1000 < 86400000 ? s->wall.retry_after * 1000 : 86400000;
            char msg[400];
            snprintf(msg, sizeof msg, "%s (attempt %d of %d)", s->wall.error, s->job->attempt,
                     e->d->cfg.blocked_retries + 1);
            slot_retry(s, msg, delay);
            return;
        }
    }
    /* the image goes to the thread pool: decode, hash, write, thumbnail */
    int64_t snap = s->job->snapshot_id;
    snprintf(s->out_path, sizeof s->out_path, "%s/%03lld/%lld.png", e->shots_dir,
             (long long)(snap / 1000 % 1000), (long long)snap);
    snprintf(s->thumb_path, sizeof s->thumb_path, "%s/%03lld/%lld.thumb.png", e->shots_dir,
             (long long)(snap / 1000 % 1000), (long long)snap);
    s->pq = (postproc_request_t){
        .b64 = json_string_value(s->res.png_b64), .b64_len = json_string_length(s->res.png_b64),
        .out_path = s->out_path, .thumb_path = s->thumb_path, .thumb_width = THUMB_WIDTH,
        .first_screen_rows = (int)(s->fid.viewport_h * e->d->cfg.scale)};
    s->phase = SLOT_POST;
    s->shot_done_ms = uv_now(e->loop);
    s->work.data = s;
    if (uv_queue_work(e->loop, &s->work, post_work_cb, post_after_cb) != 0) {
        slot_fail(s, "cannot queue the screenshot's processing", 1);
        return;
    }
    schedule(e);   /* its place in the browser is free: the next capture starts now */
}

/* A connection of a capture's page was refused by its proxy. The top document's refusal
 * ends the capture now, naming the rule; others only count. */
static void on_refused_cb(egress_t *x, const char *host, int port, int top, const char *why,
                          void *ud)
{
    slot_t *s = ud;
    (void)x;
    (void)port;
    (void)host;
    if (!top || s->phase != SLOT_SHOT || !s->shot || s->block_reason[0])
        return;
    snprintf(s->block_reason, sizeof s->block_reason, "%s", why);
    shot_fail(s->shot, why);   /* done runs now; the listener is freed there, safely */
}

static void top_url_cb(const char *url, void *ud)
{
    slot_t *s = ud;
    CURLU *u = curl_url();
    char *host = NULL;
    char why[300];
    if (u && s->egress && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        egress_set_top_host(s->egress, host);
        snprintf(s->top_host, sizeof s->top_host, "%s", host);
        /* a redirect whose connection the proxy refused before this event arrived */
        if (s->phase == SLOT_SHOT && s->shot && !s->block_reason[0] &&
            egress_refusal(s->egress, host, why, sizeof why)) {
            snprintf(s->block_reason, sizeof s->block_reason, "%s", why);
            shot_fail(s->shot, why);
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
}

static void on_teardown_cb(int64_t ms, int64_t job_id, void *ud)
{
    slot_t *s = ud;
    if (s->phase != SLOT_FREE && s->job && s->job->id == job_id)
        s->teardown_ms = ms;
}

/* ---- the warm context ------------------------------------------------------------------ */

static void warm_refused_cb(egress_t *x, const char *host, int port, int top, const char *why,
                            void *ud)
{
    (void)x; (void)host; (void)port; (void)top; (void)why; (void)ud;   /* nothing loads yet */
}

static void warm_drop(engine_t *e, const char *reason)
{
    void *w = e->warm;
    e->warm = NULL;
    e->warm_ready = 0;
    if (w)
        shot_cancel(w, reason);
    egress_free(e->warm_egress);
    e->warm_egress = NULL;
}

static void warm_ready_cb(void *handle, const char *err, void *ud)
{
    engine_t *e = ud;
    if (handle != e->warm)
        return;   /* one let go of meanwhile */
    if (err) {
        e->warm = NULL;   /* it frees itself */
        egress_free(e->warm_egress);
        e->warm_egress = NULL;
        e->warm_failures++;
        log_debug("the next capture's context could not be made ahead: %s", err);
        return;
    }
    e->warm_failures = 0;
    e->warm_ready = 1;
}

/* Makes the next capture's browser context and tab while others capture: starting the
 * tab's renderer is most of a capture's set-up (0.4-0.9 s measured), and a warm context
 * takes it off the capture's path. One at a time; not while stopping or recycling. */
static void warm_prepare(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    if (e->warm || e->bstate != B_READY || e->closing || e->recycling || !cfg->capture ||
        e->d->stopping || e->remote_error[0] || e->warm_failures >= 3 || !e->cdp ||
        cdp_is_closed(e->cdp))
        return;
    char err[300];
    egress_opts_t eo = {.resolver = e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = cfg->browser_endpoint[0] ? cfg->proxy_listen : NULL,
                        .peer_ip = cfg->browser_endpoint[0] ? e->remote_peer : NULL,
                        .label = "next capture", .refused = warm_refused_cb, .ud = e};
    e->warm_egress = egress_new(e->loop, &eo, err, sizeof err);
    if (!e->warm_egress) {
        e->warm_failures++;
        return;
    }
    e->warm = shot_warm(e->cdp, e->loop, egress_address(e->warm_egress), cfg->viewport_w,
                        cfg->viewport_h, cfg->scale, warm_ready_cb, e);
    if (!e->warm) {
        egress_free(e->warm_egress);
        e->warm_egress = NULL;
        e->warm_failures++;
    }
}

static void slot_start_shot(slot_t *s)
{
    engine_t *e = s->e;
    const config_t *cfg = &e->d->cfg;
    char err[300], label[48];
    s->block_reason[0] = '\0';
    if (e->remote_error[0]) {
        s->phase = SLOT_WRITE;
        slot_fail(s, e->remote_error, 0);
        return;
    }
    /* one listener per browser context: each connection belongs to this capture */
    snprintf(label, sizeof label, "job %lld", (long long)s->job->id);
    void *warm = NULL;
    if (e->warm && e->warm_ready) {
        /* the context made ahead, with its proxy, becomes this capture's */
        warm = e->warm;
        egress_free(s->egress);
        s->egress = e->warm_egress;
        egress_set_owner(s->egress, label, on_refused_cb, s);
        e->warm = NULL;
        e->warm_egress = NULL;
        e->warm_ready = 0;
    }
    egress_opts_t eo = {.resolver = e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = cfg->browser_endpoint[0] ? cfg->proxy_listen : NULL,
                        .peer_ip = cfg->browser_endpoint[0] ? e->remote_peer : NULL,
                        .label = label, .refused = on_refused_cb, .ud = s};
    if (!warm) {
        egress_free(s->egress);
        s->egress = egress_new(e->loop, &eo, err, sizeof err);
    }
    if (!s->egress) {
        s->phase = SLOT_WRITE;
        slot_fail(s, err, 1);
        return;
    }
    top_url_cb(s->job->url, s);
    fidelity_clear(&s->fid);   /* a blank page's second shot prepares it again */
    if (fidelity_prepare(&s->fid, s->rule, cfg, err, sizeof err) != 0) {
        if (warm)
            shot_cancel(warm, "the capture could not be prepared");
        s->phase = SLOT_WRITE;
        slot_fail(s, err, 0);
        return;
    }
    shot_request_t req = {
        .url = s->job->url, .viewport_w = s->fid.viewport_w, .viewport_h = s->fid.viewport_h,
        .scale = cfg->scale, .height_cap = cfg->height_cap, .timeout_ms = cfg->job_timeout_s * 1000,
        .teardown = on_teardown_cb, .teardown_tag = s->job->id, .teardown_ud = s,
        .proxy_server = egress_address(s->egress), .top_url = top_url_cb, .top_url_ud = s,
        .site = s->fid.site};
    s->teardown_ms = -1;
    s->phase = SLOT_SHOT;
    if (warm && shot_start(warm, &req, on_shot_done_cb, s) == 0) {
        s->shot = warm;
    } else {
        if (warm)
            shot_cancel(warm, "its context was gone");
        s->shot = shot_begin(e->cdp, e->loop, &req, on_shot_done_cb, s);
    }
    if (!s->shot) {
        s->phase = SLOT_WRITE;
        slot_fail(s, "cannot start the capture: the browser connection is gone", 1);
        return;
    }
    warm_prepare(e);   /* the next one's, while this one captures */
}

static void claim_done_cb(method_call_t *call, void *ud)
{
    op_t *op = (op_t *)call;
    engine_t *e = op->e;
    (void)ud;
    e->claim_inflight = 0;
    if (call->err_code || op->rc) {
        log_err("cannot take jobs from the queue: %s", call->err_code ? call->err_msg : op->errmsg);
        op_free(op);
        return;
    }
    for (size_t i = 0; i < op->njobs; i++) {
        store_job_t *job = op->jobs[i];
        slot_t *s = NULL;
        for (int k = 0; k < e->nalloc && !s; k++)
            if (e->slots[k].phase == SLOT_FREE)
                s = &e->slots[k];
        op->jobs[i] = NULL;
        if (!s) {   /* cannot happen: we claimed at most the free slots */
            store_job_free(job);
            continue;
        }
        s->job = job;
        s->rule = op->rules ? op->rules[i] : NULL;
        if (op->rules)
            op->rules[i] = NULL;
        int64_t due = job->not_before > job->created_at ? job->not_before : job->created_at;
        s->queue_ms = util_now_ms() - due > 0 ? util_now_ms() - due : 0;
        publish(e, "job.started", json_pack("{s:I,s:I,s:s,s:o*,s:i}", "job_id", (json_int_t)job->id,
                                             "link_id", (json_int_t)job->link_id, "url", job->url,
                                             "display_url", wire_display_url(job->url),
                                             "attempt", job->attempt));
        if (e->bstate != B_READY || e->closing) {
            s->phase = SLOT_WRITE;
            slot_fail(s, "the browser went away before the capture started", 1);
            continue;
        }
        slot_start_shot(s);
    }
    op_free(op);
    e->last_busy_ms = uv_now(e->loop);
    schedule(e);
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
    schedule(e);
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
        teardown(e, msg, 1);
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
        teardown(e, "cannot talk to the browser", 1);
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
    teardown(e, msg, 1);   /* closes (and so frees) c once this callback returns */
}

/* A remote browser (browser.endpoint) over a websocket, ws or wss, with the token. */
static void connect_cdp(engine_t *e, const char *host, int port, const char *path, int tls)
{
    char err[256];
    e->cdp = cdp_new(e->loop, e->ctx, (size_t)e->d->cfg.max_message_mb << 20, on_cdp_event_cb, on_cdp_state_cb, e, err, sizeof err);
    if (!e->cdp) {
        teardown(e, err, 1);
        return;
    }
    cdp_ws_target_t t = {.host = host, .port = port, .path = path, .tls = tls,
                         .token = e->d->cfg.browser_token};
    if (cdp_connect(e->cdp, &t) != 0) {
        cdp_close(e->cdp);
        e->cdp = NULL;
        teardown(e, "cannot connect to the browser's DevTools endpoint", 1);
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
        teardown(e, err, 1);
        return;
    }
    int rc = browser_take_pipe(e->browser, &to_b, &from_b);
    if (rc == 0)
        rc = cdp_open_pipe(e->cdp, to_b, from_b);
    if (rc != 0) {
        snprintf(err, sizeof err, "cannot open the browser's DevTools pipe: %s",
                 rc == -1 ? "already taken" : uv_strerror(rc));
        teardown(e, err, 1);
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
        teardown(e, msg, 1);
    }
    browser_free(b);
    if (e->browser == b)
        e->browser = NULL;
    unlink(e->pid_file);
    e->bstate = B_OFF;
    if (e->closing) {
        if (slots_busy(e, SLOT_FREE) == 0)
            teardown(e, "linksnapd is stopping", 0);
        return;
    }
    schedule(e);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (e->bstate == B_STARTING)
        teardown(e, "the browser did not accept the DevTools connection in time (step: connect)", 1);
}

/* Discovery's end (capture/remote.c): a late answer, for a browser generation torn down
 * meanwhile, is dropped. */
static void on_remote_found_cb(const remote_ws_t *ws, const char *err, unsigned gen, void *ud)
{
    engine_t *e = ud;
    e->handles_open--;
    if (gen == e->gen && e->bstate == B_STARTING && !e->closing) {
        if (err)
            teardown(e, err, 1);
        else
            connect_cdp(e, ws->host, ws->port, ws->path, ws->tls);
    }
    if (e->closing && e->handles_open == 0 && e->close_cb)
        teardown(e, "linksnapd is stopping", 0);
}

/* A remote browser (browser.endpoint): its websocket as given, or discovered first. */
static void start_remote(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    char err[512];
    if (!e->ctx && !(e->ctx = cdp_ctx_new(e->loop, cfg->browser_ca_file, err, sizeof err))) {
        teardown(e, err, 1);
        return;
    }
    remote_ws_t ws;
    int discover;
    if (remote_parse(cfg->browser_endpoint, &ws, &discover, err, sizeof err) != 0) {
        teardown(e, err, 1);
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
        teardown(e, err, 1);
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
        teardown(e, err, 1);
        return;
    }
    browser_write_pid_file(e->browser, e->pid_file, e->profile_dir);
    open_pipe(e);
}

/* Ends this browser generation: captures it was running are abandoned (retried), the
 * connection closed, our own Chromium's process group killed. failure=1 counts towards
 * the restart back-off. Safe to call more than once. */
static void teardown(engine_t *e, const char *reason, int failure)
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
    if (e->closing && e->bstate == B_OFF && slots_busy(e, SLOT_FREE) == 0 &&
        e->handles_open == 0 && e->close_cb) {
        void (*cb)(void *) = e->close_cb;
        e->close_cb = NULL;
        uv_timer_stop(&e->tick);
        cb(e->close_ud);
    } else if (!e->closing && e->bstate == B_OFF) {
        schedule(e);
    }
}

static void tick_cb(uv_timer_t *t)
{
    engine_t *e = t->data;
    if (e->closing)
        return;
    uint64_t now = uv_now(e->loop);
    if (e->bstate == B_READY) {
        int busy = slots_busy(e, SLOT_FREE) > 0 || e->claim_inflight;
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
                teardown(e, msg, 0);
                return;
            }
        }
    }
    schedule(e);
}

static void schedule(engine_t *e)
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
        if (slots_busy(e, SLOT_SHOT) == 0 && slots_busy(e, SLOT_WAIT) == 0 && !e->claim_inflight) {
            char msg[192];
            snprintf(msg, sizeof msg, "recycled: %s", e->recycle_reason);
            teardown(e, msg, 0);
        }
        return;
    }
    /* a capture holds a place from its claim until its screenshot arrives (or while it
     * waits to be shot again); post-processing and the write run beside the next ones */
    int in_browser = slots_busy(e, SLOT_SHOT) + slots_busy(e, SLOT_WAIT);
    int free_slots = e->nslots - in_browser;
    int free_structs = e->nalloc - slots_busy(e, SLOT_FREE);
    if (free_structs < free_slots)
        free_slots = free_structs;
    if (free_slots <= 0 || e->claim_inflight)
        return;
    int due = 0;
    if (store_job_due(e->d->reader, util_now_ms(), &due) != STORE_OK || !due)
        return;
    op_t *op = op_new(e, OP_CLAIM, NULL);
    if (!op)
        return;
    op->max = free_slots;
    e->claim_inflight = 1;
    if (writer_submit(e->d->writer, &op->call, op_fn, claim_done_cb, NULL) != 0) {
        e->claim_inflight = 0;
        op_free(op);
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
    snprintf(e->profile_dir, sizeof e->profile_dir, "%s/browser", d->cfg.state_dir);
    snprintf(e->pid_file, sizeof e->pid_file, "%s/browser.pid", d->cfg.state_dir);
    snprintf(e->shots_dir, sizeof e->shots_dir, "%s/snapshots", d->cfg.state_dir);
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
        schedule(e);
}

void engine_cancel_job(engine_t *e, int64_t job_id)
{
    for (int i = 0; e && i < e->nalloc; i++) {
        slot_t *s = &e->slots[i];
        if (s->phase == SLOT_FREE || !s->job || s->job->id != job_id)
            continue;
        s->canceled = 1;
        if (s->phase == SLOT_SHOT && s->shot)
            shot_cancel(s->shot, "canceled by the user");   /* closes its tab and context */
        else if (s->phase == SLOT_WAIT) {
            uv_timer_stop(&s->wait);
            publish_finished(e, s->job, "canceled", "canceled by the user");
            slot_release(s);
        }
        /* SLOT_POST: post_after_cb sees canceled; SLOT_WRITE: the store refuses the result */
    }
}

json_t *engine_status(engine_t *e)
{
    static const char *const names[] = {"off", "starting", "ready", "stopping"};
    const char *state = !e->d->cfg.capture ? "disabled" : names[e->bstate];
    json_t *o = json_pack("{s:s,s:b,s:i,s:i,s:i,s:I,s:I,s:I,s:b,s:s}", "state", state,
                          "available", e->d->cfg.capture, "jobs", e->nslots,
                          "running", slots_busy(e, SLOT_FREE),
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
    teardown(e, "linksnapd is stopping", 0);
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
