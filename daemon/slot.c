/* slot.c -- one capture slot's life: a claimed job's capture (its egress proxy, its site
 * rule's options, the shot), what the result means (saved, partial, blocked, failed or
 * retried), the image's processing on the thread pool, and the write of the outcome. The
 * browser, its connection and the schedule are engine.c's; a slot only asks for them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "engine_int.h"
#include "formats.h"
#include "json_link.h"
#include "log.h"
#include "reasons.h"
#include "retain.h"
#include "snapdiff.h"
#include "util.h"

/* The files of a capture nobody will point at (canceled, failed, gone, taken again). */
static void slot_unlink_files(slot_t *s)
{
    const char *paths[] = {s->out_path, s->thumb_path, s->mhtml_path, s->pdf_path};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (paths[i][0])
            unlink(paths[i]);
}

/* What this capture keeps: snapshot.request's formats, else its site rule's, else the
 * config's (formats.h). */
static int slot_formats(const slot_t *s)
{
    if (s->job->formats)
        return s->job->formats;
    if (s->rule && s->rule->rule) {
        json_t *r = json_loads(s->rule->rule, 0, NULL);
        int mask = 0;
        char err[200];
        int ok = r && json_object_get(r, "formats") &&
                 formats_parse_json(json_object_get(r, "formats"), &mask, err, sizeof err) == 0;
        json_decref(r);
        if (ok)
            return mask;
    }
    return s->e->d->cfg.formats;
}

static void slot_clear_result(slot_t *s)
{
    shot_result_clear(&s->res);
    memset(&s->wall, 0, sizeof s->wall);
}

void slot_release(slot_t *s)
{
    engine_t *e = s->e;
    slot_clear_result(s);
    store_job_free(s->job);
    s->job = NULL;
    store_site_rule_free(s->rule);
    s->rule = NULL;
    fidelity_clear(&s->fid);
    s->shot = NULL;
    endpoint_egress_free(s->ep, s->egress);
    s->egress = NULL;
    memset(&s->net, 0, sizeof s->net);
    s->phase = SLOT_FREE;
    s->blank_retried = s->canceled = s->browser_lost = 0;
    s->queue_ms = s->post_ms = 0;
    s->teardown_ms = -1;
    s->block_reason[0] = s->lost_reason[0] = '\0';
    s->top_host[0] = '\0';
    s->ep->last_busy_ms = uv_now(e->loop);
    if (e->closing || s->ep->draining) {
        engine_check_closed(e);
        return;
    }
    engine_schedule(e);
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
            slot_unlink_files(s);
        }
        if (call->err_code)
            log_err("job %lld: cannot save its outcome: %s", (long long)s->job->id, call->err_msg);
        else if (op->rc != STORE_ENOTFOUND && op->rc != STORE_ECONFLICT)
            log_err("job %lld: %s", (long long)s->job->id, op->errmsg);
        else if (s->canceled)
            jobs_publish_finished(e, s->job, "canceled", "canceled by the user");
    } else if (op->kind == OP_FINISH) {
        jobs_publish_finished(e, s->job, op->result.state, op->result.error);
        /* retention pruned older captures of a watched link in that transaction */
        retain_pruned(e->d, op->link_id, op->pruned, op->npruned);
        op->pruned = NULL;
        op->npruned = 0;
        /* history: a good capture is compared with the good one before it (off the loop) */
        if (!strcmp(op->result.state, "ok") || !strcmp(op->result.state, "partial"))
            snapdiff_after_capture(e->d, s->job->snapshot_id);
    } else {
        jobs_publish(e, "job.retry",
                json_pack("{s:I,s:I,s:i,s:s,s:I}", "job_id", (json_int_t)s->job->id,
                          "link_id", (json_int_t)s->job->link_id, "attempt", s->job->attempt,
                          "error", op->error ? op->error : "",
                          "not_before", (json_int_t)op->not_before));
    }
    jobs_op_free(op);
    slot_release(s);
}

/* {"network": {requests, bytes, refused}} of the capture's proxy: kept in the snapshot's
 * timings column, shown as the snapshot's `network` (json_link.c). */
static json_t *network_json(const slot_t *s)
{
    return json_pack("{s:I,s:I,s:I}", "requests", (json_int_t)s->net.requests,
                     "bytes", (json_int_t)s->net.bytes, "refused", (json_int_t)s->net.refused);
}

/* Puts the job back in the queue, due after delay_ms, as its next attempt (uncounted:
 * the attempt is given back, the endpoint failed, not the job). */
static void slot_retry(slot_t *s, const char *error, int64_t delay_ms, int uncounted)
{
    engine_t *e = s->e;
    s->phase = SLOT_WRITE;
    op_t *op = jobs_op_new(e, OP_RETRY, s);
    if (!op) {
        log_err("out of memory retrying job %lld", (long long)s->job->id);
        slot_release(s);
        return;
    }
    op->result.job_id = s->job->id;
    op->not_before = util_now_ms() + delay_ms;
    op->error = strdup(error);
    op->uncounted = uncounted;
    s->ep->retried_total++;
    log_notice("job %lld (%s): attempt %d failed on endpoint %s, retrying in %.1f s%s: %s",
               (long long)s->job->id, s->job->url, s->job->attempt, s->ep->cfg.name,
               (double)delay_ms / 1000, uncounted ? " (not counted: the browser went away)" : "",
               error);
    jobs_submit(e, op, finish_done_cb);
}

/* The site's part in a capture that failed, from its failure type and Chromium's net
 * error code (never from the sentence): what makes a link broken. */
static store_cause_t slot_cause(const slot_t *s)
{
    static const struct { const char *net; store_cause_t cause; } known[] = {
        {"net::ERR_NAME_NOT_RESOLVED", STORE_CAUSE_DNS},
        {"net::ERR_NAME_RESOLUTION_FAILED", STORE_CAUSE_DNS},
        {"net::ERR_CONNECTION_REFUSED", STORE_CAUSE_CONNECTION},
        {"net::ERR_CONNECTION_RESET", STORE_CAUSE_CONNECTION},
        {"net::ERR_CONNECTION_CLOSED", STORE_CAUSE_CONNECTION},
        {"net::ERR_EMPTY_RESPONSE", STORE_CAUSE_CONNECTION},
    };
    if (s->browser_lost || s->block_reason[0] || s->res.failure != SHOT_NET_ERROR)
        return STORE_CAUSE_NONE;
    for (size_t i = 0; i < LS_ARRAY_LEN(known); i++)
        if (!strcmp(s->res.net_error, known[i].net))
            return known[i].cause;
    return STORE_CAUSE_NONE;
}

/* Why a capture failed, as data ({code, params, text}: docs/capture.md), from the slot's
 * state and the failure's type, never from the sentence: the page translates the code, the
 * CLI prints text. attempts > 1 when the cause was passing and every attempt met it. */
static json_t *slot_failure_reason(const slot_t *s, const char *text, int attempts)
{
    const char *code = "capture_failed";
    json_t *params = json_object();
    if (!params)
        return NULL;
    if (s->browser_lost) {
        code = "browser_lost";
    } else if (s->block_reason[0]) {
        code = "address_refused";
        json_object_set_new(params, "host", json_string(s->top_host));
    } else {
        switch (s->res.failure) {
        case SHOT_TIMED_OUT: code = "timed_out"; break;
        case SHOT_CRASHED: code = "renderer_crashed"; break;
        case SHOT_REFUSED: code = "address_refused"; break;
        case SHOT_CANCELED: code = "canceled"; break;
        case SHOT_NO_IMAGE: code = "no_image"; break;
        case SHOT_DOWNLOAD: code = "download"; break;
        case SHOT_PROTOCOL: code = "browser_error"; break;
        case SHOT_NO_MEMORY: code = "out_of_memory"; break;
        case SHOT_NET_ERROR:
            switch (slot_cause(s)) {
            case STORE_CAUSE_DNS: code = "dns_failed"; break;
            case STORE_CAUSE_CONNECTION: code = "connection_failed"; break;
            default: code = "net_error"; break;
            }
            json_object_set_new(params, "net_error", json_string(s->res.net_error));
            json_object_set_new(params, "host", json_string(s->top_host));
            break;
        case SHOT_OK:   /* the image came: what failed is keeping it */
            code = s->res.ok ? "save_failed" : "capture_failed";
            break;
        }
    }
    if (attempts > 1)
        json_object_set_new(params, "attempts", json_integer(attempts));
    return reasons_item(code, params, text);
}

/* Ends a job that produced no image: retry when the cause is passing, else failed. */
static void slot_fail(slot_t *s, const char *error, int transient)
{
    engine_t *e = s->e;
    s->phase = SLOT_WRITE;
    if (s->browser_lost && transient && !e->closing && engine_lost_uncounted(e, s->job->id)) {
        /* the endpoint went away, not the page: at once, elsewhere if another is ready,
         * and without using one of the job's attempts */
        slot_retry(s, error, 0, 1);
        return;
    }
    if (transient && s->job->attempt < MAX_ATTEMPTS && !e->closing) {
        /* back-off: retry_backoff_ms (2 s), twice that, ... */
        slot_retry(s, error, (int64_t)e->d->cfg.retry_backoff_ms * (1 << (s->job->attempt - 1)), 0);
        return;
    }
    if (e->closing && transient) {
        /* stopping: leave the job running in the store; the next start requeues it */
        slot_release(s);
        return;
    }
    op_t *op = jobs_op_new(e, OP_FINISH, s);
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
    op->result.cause = slot_cause(s);
    op->result.final_url = s->res.final_url;
    if (s->res.redirects)
        op->redirects = json_dumps(s->res.redirects, JSON_COMPACT);
    op->result.redirects_json = op->redirects;
    json_t *t = json_pack("{s:o}", "network", network_json(s));
    json_t *why = slot_failure_reason(s, msg, transient ? s->job->attempt : 1);
    if (t && why)
        json_object_set_new(t, "reasons", json_pack("[o]", why));
    else
        json_decref(why);
    op->timings = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    op->result.timings_json = op->timings;
    s->ep->failed_total++;
    log_info("job %lld (%s) failed: %s", (long long)s->job->id, s->job->url, msg);
    jobs_submit(e, op, finish_done_cb);
    return;
oom:
    log_err("out of memory ending job %lld", (long long)s->job->id);
    slot_release(s);
}

/* The page's text and files into op's result (borrowing from the slot's result). */
static void slot_save_kept(slot_t *s, op_t *op)
{
    json_t *t = s->res.text;
    if (t) {
        op->blocks = json_dumps(json_object_get(t, "blocks"), JSON_COMPACT);
        op->text = (store_page_text_t){
            .title = json_string_value(json_object_get(t, "title")),
            .byline = json_string_value(json_object_get(t, "byline")),
            .lang = json_string_value(json_object_get(t, "lang")),
            .excerpt = json_string_value(json_object_get(t, "excerpt")),
            .blocks_json = op->blocks,
            .text = json_string_value(json_object_get(t, "text")),
            .cut = json_is_true(json_object_get(t, "cut"))};
        if (op->text.text)
            op->result.text = &op->text;
    }
    json_t *files = json_object();
    if (files && s->mhtml_path[0])
        json_object_set_new(files, "mhtml", json_pack("{s:s,s:I}", "path", s->mhtml_path,
                                                       "bytes", (json_int_t)s->mhtml_bytes));
    if (files && s->pdf_path[0])
        json_object_set_new(files, "pdf", json_pack("{s:s,s:I,s:s,s:b}", "path", s->pdf_path,
                                                     "bytes", (json_int_t)s->pdf_bytes,
                                                     "sha256", s->pdf_sha256,
                                                     "pages_cut", s->res.pdf_pages_cut));
    if (files && op->result.text)
        json_object_set_new(files, "text", json_pack("{s:n,s:I,s:b}", "path", "bytes",
                                                      (json_int_t)strlen(op->text.text),
                                                      "cut", op->text.cut));
    if (files && json_object_size(files))
        op->files = json_dumps(files, JSON_COMPACT);
    json_decref(files);
    op->result.files_json = op->files;
}

/* A PNG or PDF another snapshot already has (the same SHA-256) is kept once: this
 * snapshot's name becomes one more link to that file. The link count is the reference
 * count, and the data goes with the last name, when the last snapshot holding it is
 * deleted. A twin deleted meanwhile (link fails) leaves this snapshot its own copy. */
static void slot_share_twin(slot_t *s, const char *kind, const char *sha256, const char *path)
{
    char *twin = NULL, tmp[UTIL_PATH_MAX];
    if (!sha256[0] || !path[0] ||
        store_snapshot_twin(s->e->d->reader, kind, sha256, s->job->snapshot_id, &twin) || !twin)
        return;
    if (strcmp(twin, path) && util_path(tmp, "%s.twin", path) == 0 && link(twin, tmp) == 0 &&
        rename(tmp, path) != 0)
        unlink(tmp);
    free(twin);
}

static void slot_save(slot_t *s)
{
    slot_share_twin(s, "png", s->pr.sha256, s->out_path);
    slot_share_twin(s, "pdf", s->pdf_sha256, s->pdf_path);
    engine_t *e = s->e;
    op_t *op = jobs_op_new(e, OP_FINISH, s);
    if (!op) {
        slot_fail(s, "out of memory saving the snapshot", 1);
        return;
    }
    s->phase = SLOT_WRITE;
    store_job_result_t *r = &op->result;
    r->job_id = s->job->id;
    int blocked = s->wall.kind != BOTWALL_NONE;
    if (s->files_error[0]) {      /* a file that could not be written: partial, named */
        size_t n = strlen(s->res.partial_reason);
        snprintf(s->res.partial_reason + n, sizeof s->res.partial_reason - n, "%s%s",
                 n ? "; " : "", s->files_error);
        if (!s->res.reasons)
            s->res.reasons = json_array();
        json_t *item = reasons_item("files_error", NULL, s->files_error);
        if (!s->res.reasons || json_array_append_new(s->res.reasons, item))
            json_decref(item);
        s->res.partial = 1;
        s->res.partial_kind = SHOT_PARTIAL_OTHER;
    }
    r->state = blocked ? "blocked" : s->res.partial ? "partial" : "ok";
    r->partial_kind = s->res.partial_kind == SHOT_PARTIAL_NOT_QUIET ? STORE_PARTIAL_NOT_QUIET
                                                                     : STORE_PARTIAL_OTHER;
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
    static const char *const kept_keys[] = {"text_ms", "mhtml_ms", "pdf_ms"};
    const int64_t kept_ms[] = {s->res.t_text_ms, s->res.t_mhtml_ms, s->res.t_pdf_ms};
    for (int i = 0; t && i < 3; i++)
        if (kept_ms[i] >= 0)
            json_object_set_new(t, kept_keys[i], json_integer((json_int_t)kept_ms[i]));
    if (t && s->teardown_ms >= 0)
        json_object_set_new(t, "teardown_ms", json_integer((json_int_t)s->teardown_ms));
    if (t) {
        json_object_set_new(t, "network", network_json(s));
        json_t *fid = fidelity_record(&s->fid, &s->res, &s->wall);
        if (fid)
            json_object_set_new(t, "fidelity", fid);
        /* a partial's reasons as data, kept with the timings like network (shown on their
         * own as the snapshot's `reasons`, json_link.c); a blocked capture has none */
        if (s->res.partial && !blocked && s->res.reasons)
            json_object_set(t, "reasons", s->res.reasons);
        /* a bot wall, named by its kind (the page says "blocked by Cloudflare's challenge") */
        if (blocked) {
            const char *kind = s->wall.name ? s->wall.name : botwall_kind_name(s->wall.kind);
            json_t *wall = reasons_item("blocked", json_pack("{s:s,s:i}", "wall", kind,
                                                             "http_status", s->res.http_status),
                                        s->wall.error);
            if (wall)
                json_object_set_new(t, "reasons", json_pack("[o]", wall));
        }
    }
    op->timings = t ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    r->timings_json = op->timings;
    if (s->res.redirects)
        op->redirects = json_dumps(s->res.redirects, JSON_COMPACT);
    r->redirects_json = op->redirects;
    slot_save_kept(s, op);
    if (blocked)
        s->ep->failed_total++;
    else
        s->ep->done_total++;
    s->ep->failures = 0;
    jobs_submit(e, op, finish_done_cb);
}
/* ---- post-processing on the thread pool ------------------------------------------------ */

static void post_work_cb(uv_work_t *w)
{
    slot_t *s = w->data;
    char dir[UTIL_PATH_MAX];
    util_path(dir, "%s", s->out_path);   /* as long as out_path: it fits */
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int rc = util_mkdir_p(dir, 0755);
    if (rc != 0) {
        memset(&s->pr, 0, sizeof s->pr);
        snprintf(s->pr.error, sizeof s->pr.error, "cannot create %s: %s", dir, strerror(-rc));
        return;
    }
    postproc_run(&s->pq, &s->pr);
    if (!s->pr.ok)
        return;
    /* the page itself, beside its picture; a file that cannot be written costs only itself */
    if (s->mhtml_path[0]) {
        size_t len = json_string_length(s->res.mhtml);
        if (util_write_file_atomic(s->mhtml_path, json_string_value(s->res.mhtml), len) == 0) {
            s->mhtml_bytes = (int64_t)len;
        } else {
            snprintf(s->files_error, sizeof s->files_error, "mhtml: cannot write %s: %s",
                     s->mhtml_path, strerror(errno));
            s->mhtml_path[0] = '\0';
        }
    }
    if (s->pdf_path[0]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        s->pdf_sha256[0] = '\0';
        if (EVP_Digest(s->res.pdf, s->res.pdf_len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
            util_hex(md, 32, s->pdf_sha256);
        if (util_write_file_atomic(s->pdf_path, s->res.pdf, s->res.pdf_len) == 0) {
            s->pdf_bytes = (int64_t)s->res.pdf_len;
        } else {
            size_t n = strlen(s->files_error);
            snprintf(s->files_error + n, sizeof s->files_error - n, "%spdf: cannot write %s: %s",
                     n ? "; " : "", s->pdf_path, strerror(errno));
            s->pdf_path[0] = '\0';
        }
    }
}

static void blank_wait_cb(uv_timer_t *t)
{
    slot_t *s = t->data;
    if (s->canceled || s->e->closing) {
        slot_release(s);
        return;
    }
    if (s->ep->bstate != B_READY) {
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
    json_decref(s->res.mhtml);
    s->res.mhtml = NULL;
    free(s->res.pdf);
    s->res.pdf = NULL;
    s->post_ms = (int64_t)(uv_now(e->loop) - s->shot_done_ms);
    if (status == UV_ECANCELED || !s->pr.ok) {
        slot_fail(s, status == UV_ECANCELED ? "linksnapd is stopping" : s->pr.error, status == UV_ECANCELED);
        return;
    }
    if (s->canceled) {
        slot_unlink_files(s);
        jobs_publish_finished(e, s->job, "canceled", "canceled by the user");
        slot_release(s);
        return;
    }
    if (s->pr.blank && s->res.partial && s->job->attempt == 1 && !e->closing) {
        /* nothing painted yet and the page was cut short: one more chance later, with the
         * whole budget, as the job's next attempt (queued meanwhile) */
        char msg[600];
        slot_unlink_files(s);
        snprintf(msg, sizeof msg, "the shot was one flat colour after a partial load (%s); "
                 "trying again later with the full time", s->res.partial_reason);
        slot_fail(s, msg, 1);
        return;
    }
    if (s->pr.blank && !s->blank_retried && !e->closing) {
        /* a single flat colour: the page had not painted yet; once more after a pause */
        s->blank_retried = 1;
        slot_unlink_files(s);
        log_info("job %lld: the shot is one flat colour; capturing again in %d ms",
                 (long long)s->job->id, e->d->cfg.blank_retry_ms);
        slot_clear_result(s);
        s->phase = SLOT_WAIT;
        uv_timer_start(&s->wait, blank_wait_cb, (uint64_t)e->d->cfg.blank_retry_ms, 0);
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


static void on_shot_done_cb(shot_result_t *r, void *ud)
{
    slot_t *s = ud;
    engine_t *e = s->e;
    s->shot = NULL;
    s->res = *r;                  /* takes png_b64 and redirects */
    s->ep->captures++;
    if (s->egress) {              /* the context is gone: so are its connections */
        char why[300];
        if (!s->block_reason[0] && s->top_host[0] && egress_refusal(s->egress, s->top_host, why, sizeof why))
            snprintf(s->block_reason, sizeof s->block_reason, "%s", why);
        egress_get_stats(s->egress, &s->net);
        endpoint_egress_free(s->ep, s->egress);
        s->egress = NULL;
    }
    if (r->ok && s->block_reason[0]) {
        /* the top document was refused over plain http: what came back is our 403 */
        r->ok = s->res.ok = 0;
        r->failure = s->res.failure = SHOT_REFUSED;
        json_decref(s->res.png_b64);
        s->res.png_b64 = r->png_b64 = NULL;
    }
    if (s->canceled) {
        jobs_publish_finished(e, s->job, "canceled", "canceled by the user");
        slot_release(s);
        return;
    }
    if (!r->ok && !s->browser_lost && (!s->ep->cdp || cdp_is_closed(s->ep->cdp))) {
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
        int transient = r->failure == SHOT_CRASHED ||
                        (r->failure == SHOT_NET_ERROR && transient_net_error(r->net_error));
        if (s->block_reason[0]) {   /* the top document was refused: that is the cause */
            snprintf(msg, sizeof msg, "navigate failed: %s", s->block_reason);
            why = msg;
            transient = 0;
        }
        if (r->failure == SHOT_TIMED_OUT)
            endpoint_health_check(s->ep);
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
            slot_retry(s, msg, delay, 0);
            return;
        }
    }
    /* the image goes to the thread pool: decode, hash, write, thumbnail */
    int64_t snap = s->job->snapshot_id;
    if (util_path(s->out_path, "%s/%03lld/%lld.png", e->shots_dir,
                  (long long)(snap / 1000 % 1000), (long long)snap) != 0 ||
        util_path(s->thumb_path, "%s/%03lld/%lld.thumb.png", e->shots_dir,
                  (long long)(snap / 1000 % 1000), (long long)snap) != 0) {
        s->out_path[0] = s->thumb_path[0] = '\0';
        slot_fail(s, "the snapshot's file name is too long for the state dir", 0);
        return;
    }
    /* the page itself beside its picture (a name too long for the state dir costs only
     * that file, named in the reasons) */
    if (s->res.mhtml && util_path(s->mhtml_path, "%s/%03lld/%lld.mhtml", e->shots_dir,
                                  (long long)(snap / 1000 % 1000), (long long)snap) != 0) {
        s->mhtml_path[0] = '\0';
        snprintf(s->files_error, sizeof s->files_error, "mhtml: the file name is too long");
    }
    if (s->res.pdf && util_path(s->pdf_path, "%s/%03lld/%lld.pdf", e->shots_dir,
                                (long long)(snap / 1000 % 1000), (long long)snap) != 0) {
        s->pdf_path[0] = '\0';
        snprintf(s->files_error, sizeof s->files_error, "pdf: the file name is too long");
    }
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
    engine_schedule(e);   /* its place in the browser is free: the next capture starts now */
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


void slot_start_shot(slot_t *s)
{
    engine_t *e = s->e;
    endpoint_t *ep = s->ep;
    const config_t *cfg = &e->d->cfg;
    char err[300], label[48];
    s->block_reason[0] = '\0';
    if (ep->error[0]) {
        s->phase = SLOT_WRITE;
        slot_fail(s, ep->error, 0);
        return;
    }
    /* one listener per browser context: each connection belongs to this capture */
    snprintf(label, sizeof label, "job %lld", (long long)s->job->id);
    /* the context made ahead, with its proxy, becomes this capture's */
    egress_t *warm_egress = NULL;
    shot_t *warm = warm_take(ep, label, on_refused_cb, s, &warm_egress);
    if (warm) {
        endpoint_egress_free(ep, s->egress);
        s->egress = warm_egress;
    }
    egress_opts_t eo = {.resolver = e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = ep->bind_ip, .peer_ip = ep->bind_ip ? ep->peer : NULL,
                        .limits = &e->egress_limits,
                        .label = label, .refused = on_refused_cb, .ud = s};
    if (!warm) {
        endpoint_egress_free(ep, s->egress);
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
        .quiet_ms = cfg->quiet_ms,
        .teardown = on_teardown_cb, .teardown_tag = s->job->id, .teardown_ud = s,
        .proxy_server = egress_address(s->egress), .top_url = top_url_cb, .top_url_ud = s,
        .site = s->fid.site};
    int formats = slot_formats(s);
    req.text = !!(formats & FORMAT_TEXT);
    req.text_max = (size_t)cfg->text_max_kb << 10;
    req.mhtml = !!(formats & FORMAT_MHTML);
    req.mhtml_max = (size_t)cfg->mhtml_max_mb << 20;
    req.pdf = !!(formats & FORMAT_PDF);
    req.pdf_max = (size_t)cfg->pdf_max_mb << 20;
    s->mhtml_path[0] = s->pdf_path[0] = s->files_error[0] = s->pdf_sha256[0] = '\0';
    s->mhtml_bytes = s->pdf_bytes = 0;
    s->teardown_ms = -1;
    s->phase = SLOT_SHOT;
    if (warm && shot_start(warm, &req, on_shot_done_cb, s) == 0) {
        s->shot = warm;
    } else {
        if (warm)
            shot_cancel(warm, "its context was gone");
        s->shot = shot_begin(ep->cdp, e->loop, &req, on_shot_done_cb, s);
    }
    if (!s->shot) {
        s->phase = SLOT_WRITE;
        slot_fail(s, "cannot start the capture: the browser connection is gone", 1);
        return;
    }
    warm_prepare(ep);   /* the next one's, while this one captures */
}

void slot_claim_done_cb(method_call_t *call, void *ud)
{
    op_t *op = (op_t *)call;
    engine_t *e = op->e;
    (void)ud;
    e->claim_inflight = 0;
    if (call->err_code || op->rc) {
        log_err("cannot take jobs from the queue: %s", call->err_code ? call->err_msg : op->errmsg);
        jobs_op_free(op);
        return;
    }
    for (size_t i = 0; i < op->njobs; i++) {
        store_job_t *job = op->jobs[i];
        endpoint_t *ep = op->assign ? op->caps[op->assign[i]].ep : NULL;
        slot_t *s = NULL;
        for (int k = 0; ep && k < ep->nalloc && !s; k++)
            if (ep->slots[k].phase == SLOT_FREE)
                s = &ep->slots[k];
        op->jobs[i] = NULL;
        if (!s) {   /* cannot happen: we claimed at most the free slots */
            log_err("job %lld: no free place for it: it runs at linksnapd's next start",
                    (long long)job->id);
            store_job_free(job);
            continue;
        }
        s->job = job;
        s->rule = op->rules ? op->rules[i] : NULL;
        if (op->rules)
            op->rules[i] = NULL;
        int64_t due = job->not_before > job->created_at ? job->not_before : job->created_at;
        s->queue_ms = util_now_ms() - due > 0 ? util_now_ms() - due : 0;
        jobs_publish(e, "job.started", json_pack("{s:I,s:I,s:s,s:o*,s:i,s:s}", "job_id", (json_int_t)job->id,
                                             "link_id", (json_int_t)job->link_id, "url", job->url,
                                             "display_url", wire_display_url(job->url),
                                             "attempt", job->attempt, "endpoint", ep->cfg.name));
        if (op->refuse && op->refuse[i]) {
            s->phase = SLOT_WRITE;
            slot_fail(s, op->refuse[i], 0);
            continue;
        }
        if (!ep->error[0] && (ep->bstate != B_READY || ep->draining || e->closing)) {
            s->phase = SLOT_WRITE;
            s->browser_lost = 1;
            slot_fail(s, "the browser went away before the capture started", 1);
            continue;
        }
        slot_start_shot(s);
    }
    jobs_op_free(op);
    engine_schedule(e);
}

void slot_cancel(slot_t *s)
{
    s->canceled = 1;
    if (s->phase == SLOT_SHOT && s->shot) {
        shot_cancel(s->shot, "canceled by the user");   /* closes its tab and context */
    } else if (s->phase == SLOT_WAIT) {
        uv_timer_stop(&s->wait);
        jobs_publish_finished(s->e, s->job, "canceled", "canceled by the user");
        slot_release(s);
    }
    /* SLOT_POST: post_after_cb sees canceled; SLOT_WRITE: the store refuses the result */
}
