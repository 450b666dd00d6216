/* shot.c -- the steps of one capture as a chain of CDP replies and events:
 *
 *   new context (+ a site rule's cookies) -> open tab -> attach (flat session) ->
 *   configure (Network, viewport, user agent, lazy-loader probe, consent/hide style sheet,
 *   header interception, Page) -> navigate -> wait for load -> wait for network quiet ->
 *   wait_for + delay + lazy pass + images + fonts (one in-page script, with its own
 *   deadlines) -> consent pass -> measure -> capture
 *
 * One deadline per capture, cut into shares (shot.h): every wait ends at its point in
 * time and the page is shot as it is, marked partial with the reasons. The first real
 * failure (net error, crash, refused address, no commit, no image) ends the capture with
 * the step's name in the error. The screenshot's base64 text is handed to the owner
 * untouched (decoding and writing happen off the loop). */
#include "shot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "consent.h"
#include "ignore.h"
#include "pagetext.h"
#include "postproc.h"
#include "reasons.h"
#include "util.h"

/* What a script run in an isolated world gave (run_in_world): its value, or why the world
 * could not start (start_err) or the script failed (run_err). */
typedef void (*shot_world_cb)(shot_t *s, json_t *value, const char *start_err,
                              const char *run_err);

struct shot {
    cdp_t *cdp;
    uv_loop_t *loop;
    shot_request_t req;
    char url[8192];
    char proxy[128];
    char context_id[128], target_id[128], session[128];
    shot_result_t res;
    shot_done_cb done;
    void *ud;
    uv_timer_t deadline;
    const char *step;
    int finished, loaded, navigated, nav_sent;
    int inflight;          /* commands sent with this capture as their ud */
    int timer_closed;
    uv_timer_t idle;       /* polls: commit, load, network quiet, the script's answer */
    int idle_closed;
    int requests;          /* page requests in flight (Network events) */
    json_t *pending;       /* the same requests: request id -> host ("" = none), oldest
                            * first, to name them in a requests_pending reason; NULL when
                            * out of memory (the count still holds) */
    json_t *frame_docs;    /* subframe documents in flight: request id -> frame id. A frame
                            * that moves to a renderer of its own (an out-of-process iframe:
                            * Page.frameDetached, reason "swap") reports its document's end
                            * to the frame's own target, often before this capture has
                            * attached to it, so the swap ends that request here (the top
                            * document's load event still waits for the frame's). NULL
                            * when out of memory: not tracked. */
    json_t *swapped;       /* request ids a swap ended: a late end is not counted again */
    json_t *children;      /* sessions of the page's out-of-process frames (auto-attached,
                            * nested ones too) -> true. What a frame loads after its swap
                            * (its images, its fetches after its load event) counts toward
                            * network quiet like the page's. NULL when out of memory:
                            * frames run unwatched. */
    json_t *child_reqs;    /* their requests in flight: request id -> session id, ended if
                            * the frame goes away first */
    int waiting, lazy_sent, lazy_done, grace_used;
    int script_answered;   /* the in-page script came back: the page's thread is alive */
    int started;           /* a URL and its deadline were given (shot_begin, shot_start) */
    int parked;            /* a warm context waiting for shot_start */
    shot_ready_cb ready;   /* shot_warm's: the context is ready, or failed */
    void *ready_ud;
    uint64_t reserve_ms;   /* the screenshot's time at the end of the deadline */
    uint64_t last_net_ms;  /* loop time of the last request start or end */
    uint64_t started_ms, t_mark, loaded_ms;
    /* the deadline's shares, as loop times (shot.h) */
    uint64_t load_until, quiet_until, lazy_until, waits_until;
    double content_h;      /* CSS px of the page as measured for the shot */
    int archiving;         /* the shot is taken: MHTML and PDF steps (a deadline costs
                            * only the format under way) */
    int mhtml_done, pdf_done;
    char pdf_stream[128];  /* the IO handle of printToPDF's stream, while read */
    size_t pdf_cap;        /* bytes allocated for res.pdf */
    /* the script run_in_world evaluates once its world exists (owned), its time limit
     * (0 = none) and who hears the outcome */
    char *world_script;
    int64_t world_timeout_ms;
    shot_world_cb world_done;
};

#define POLL_MS 10         /* how often the waits look: the load event and the end of the
                            * quiet window are noticed this late at most (at 50 ms, two
                            * polls cost a capture 50 ms on average) */
#define IDLE_CAP_MS 10000  /* at most this long waiting for quiet after load */
#define IMAGE_CAP_MS 3000  /* one image's wait in the lazy pass */
#define SCRIPT_GRACE_MS 1000   /* past waits_until: the in-page script is not answering */

/* Marks the capture partial with one more reason of this kind (the kinds of shot.h: one
 * reason of a kind keeps it, a second kind makes it SHOT_PARTIAL_OTHER): its sentence is
 * appended to partial_reason, and {code, params, text} to reasons (params taken; NULL =
 * none). Memory running out loses the object, never the sentence. */
static void add_reason_v(shot_t *s, shot_partial_t kind, const char *code, json_t *params,
                         const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void add_reason_v(shot_t *s, shot_partial_t kind, const char *code, json_t *params,
                         const char *fmt, va_list ap)
{
    char one[200];
    vsnprintf(one, sizeof one, fmt, ap);
    size_t n = strlen(s->res.partial_reason);
    snprintf(s->res.partial_reason + n, sizeof s->res.partial_reason - n, "%s%s", n ? "; " : "", one);
    if (!s->res.reasons)
        s->res.reasons = json_array();
    json_t *item = reasons_item(code, params, one);
    if (!s->res.reasons || json_array_append_new(s->res.reasons, item))
        json_decref(item);
    if (s->res.partial && s->res.partial_kind != kind)
        kind = SHOT_PARTIAL_OTHER;
    s->res.partial = 1;
    s->res.partial_kind = kind;
}

/* A reason without params (code: docs/capture.md lists them). */
static void add_reason(shot_t *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_reason(shot_t *s, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_reason_v(s, SHOT_PARTIAL_OTHER, code, NULL, fmt, ap);
    va_end(ap);
}

/* A reason with params (taken), of its kind. */
static void add_reason_p(shot_t *s, shot_partial_t kind, const char *code, json_t *params,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_reason_p(shot_t *s, shot_partial_t kind, const char *code, json_t *params,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_reason_v(s, kind, code, params, fmt, ap);
    va_end(ap);
}

/* requests_pending: how many requests were in flight at the cut and the first distinct
 * hosts of them (the oldest first), of kind (SHOT_PARTIAL_NOT_QUIET after the load event,
 * when that is the only thing that was not over). prefix goes before the sentence. */
static void add_pending_reason(shot_t *s, shot_partial_t kind, const char *prefix)
{
    size_t distinct = 0;
    json_t *hosts = s->pending ? reasons_hosts(s->pending, REASONS_HOSTS_MAX, &distinct) : NULL;
    char text[180];
    reasons_requests_text(text, sizeof text, s->requests, hosts, distinct);
    json_t *params = json_pack("{s:i,s:o,s:I}", "count", s->requests,
                               "hosts", hosts ? hosts : json_array(), "distinct_hosts",
                               (json_int_t)distinct);
    add_reason_p(s, kind, "requests_pending", params, "%s%s", prefix, text);
}

static void maybe_free(shot_t *s)
{
    if (s->finished && s->timer_closed && s->idle_closed && s->inflight == 0) {
        json_decref(s->pending);
        json_decref(s->frame_docs);
        json_decref(s->swapped);
        json_decref(s->children);
        json_decref(s->child_reqs);
        free(s->world_script);
        free(s);
    }
}

static void timer_closed_cb(uv_handle_t *h)
{
    shot_t *s = h->data;
    if (h == (uv_handle_t *)&s->deadline)
        s->timer_closed = 1;
    else
        s->idle_closed = 1;
    maybe_free(s);
}

/* Every reply callback starts here: a reply for a capture that already finished (timed
 * out, crashed, canceled) only drops its reference. Returns 1 when the callback must stop. */
static int enter(shot_t *s)
{
    s->inflight--;
    if (s->finished) {
        maybe_free(s);
        return 1;
    }
    return 0;
}

static long send_cmd(shot_t *s, const char *method, json_t *params, const char *session,
                     cdp_reply_cb cb)
{
    long id = cdp_send(s->cdp, method, params, session, cb, s);
    if (id >= 0)
        s->inflight++;
    return id;
}

/* Copies a string Chromium sent into a fixed buffer, cut on a character boundary: a cut
 * inside a UTF-8 character made the stored text invalid, and a listing lost its row. Text
 * that is not valid UTF-8 to begin with is repaired (U+FFFD), so nothing invalid is kept. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    char *fixed = NULL;
    if (len && !util_utf8_valid(src, len)) {
        fixed = util_utf8_repair(src, len, NULL);
        src = fixed ? fixed : "";
        len = strlen(src);
    }
    size_t n = util_utf8_prefix(src ? src : "", len, size - 1);
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    free(fixed);
}

static void disposed_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    s->inflight--;
    if (!err && s->req.teardown)
        s->req.teardown((int64_t)(uv_now(s->loop) - s->t_mark), s->req.teardown_tag, s->req.teardown_ud);
    maybe_free(s);
}

/* Ends the capture: with fmt NULL a success, else a failure of kind `failure` whose
 * message fmt formats (callers name the step: "%s failed: %s", s->step, why). */
static void finish(shot_t *s, shot_failure_t failure, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(shot_t *s, shot_failure_t failure, const char *fmt, ...)
{
    if (s->finished)
        return;
    s->finished = 1;
    if (fmt) {
        s->res.ok = 0;
        s->res.failure = failure;
        char msg[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        copy_text(s->res.error, sizeof s->res.error, msg);
        if (s->res.png_b64) {
            json_decref(s->res.png_b64);
            s->res.png_b64 = NULL;
        }
    }
    uv_timer_stop(&s->deadline);
    uv_timer_stop(&s->idle);
    uv_close((uv_handle_t *)&s->idle, timer_closed_cb);
    s->t_mark = uv_now(s->loop);
    if (s->context_id[0] && !cdp_is_closed(s->cdp))
        send_cmd(s, "Target.disposeBrowserContext",
                 json_pack("{s:s}", "browserContextId", s->context_id), NULL, disposed_cb);
    if (s->started) {
        s->done(&s->res, s->ud);
    } else {
        /* a warm context that failed while being made (its owner hears it), or one its
         * owner let go of (shot_cancel: nothing to say) */
        if (!s->parked && s->ready)
            s->ready(s, s->res.error[0] ? s->res.error : "canceled", s->ready_ud);
        shot_result_clear(&s->res);
    }
    uv_close((uv_handle_t *)&s->deadline, timer_closed_cb);
}

static void archive_next(shot_t *s);

/* the reply to a stream's close sent as the capture ended */
static void closed_late_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    (void)c;
    (void)r;
    (void)err;
    enter(ud);
}

static void deadline_cb(uv_timer_t *t)
{
    shot_t *s = t->data;
    if (s->archiving) {
        /* the picture is kept; only the format under way is lost */
        add_reason(s, "format_timed_out", "%s: timed out", s->step);
        if (s->pdf_stream[0] && !cdp_is_closed(s->cdp))
            send_cmd(s, "IO.close", json_pack("{s:s}", "handle", s->pdf_stream), s->session,
                     closed_late_cb);
        free(s->res.pdf);
        s->res.pdf = NULL;
        s->res.pdf_len = 0;
        finish(s, SHOT_OK, NULL);
        return;
    }
    /* a screenshot under way is the picture itself: on a machine slower than planned it
     * gets the reserve once more rather than being thrown away */
    if (s->lazy_done && !s->grace_used) {
        s->grace_used = 1;
        uv_timer_start(&s->deadline, deadline_cb, s->reserve_ms, 0);
        return;
    }
    finish(s, SHOT_TIMED_OUT, "timed out (step: %s)", s->step);
}

#define CHECK(s, err) do { if (enter(s)) return; if (err) { finish(s, SHOT_PROTOCOL, "%s failed: %s", s->step, err); return; } } while (0)

static void screenshot_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    CHECK(s, err);
    json_t *data = json_object_get(r, "data");
    if (!json_is_string(data) || json_string_length(data) < 12) {
        finish(s, SHOT_NO_IMAGE, "%s failed: %s", s->step, "the browser sent no image");
        return;
    }
    s->res.png_b64 = json_incref(data);   /* decoded and written off the loop by the owner */
    s->res.ok = 1;
    s->res.t_capture_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    archive_next(s);
}

static void metrics_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    json_t *size = json_object_get(r, "cssContentSize");
    double w = json_number_value(json_object_get(size, "width"));
    double h = json_number_value(json_object_get(size, "height"));
    s->content_h = h;
    int width = s->req.viewport_w, height = (int)(h + 0.5);
    if (w > width)
        width = (int)(w + 0.5) > 16384 ? 16384 : (int)(w + 0.5);
    if (height < s->req.viewport_h)
        height = s->req.viewport_h;
    if (height > s->req.height_cap) {
        height = s->req.height_cap;
        s->res.truncated = 1;
    }
    s->res.width = width;
    s->res.height = height;
    s->step = "capture";
    send_cmd(s, "Page.captureScreenshot",
             /* optimizeForSpeed: Chromium's fast zlib setting; the default level spent
              * more CPU on encoding a tall page than on painting it */
             json_pack("{s:s,s:b,s:b,s:b,s:{s:i,s:i,s:i,s:i,s:i}}", "format", "png",
                       "captureBeyondViewport", 1, "fromSurface", 1, "optimizeForSpeed", 1,
                       "clip", "x", 0, "y", 0, "width", width, "height", height, "scale", 1),
             s->session, screenshot_cb);
}

/* ---- the page's text, after the consent pass and before the shot ---------------------- */

static void measure_now(shot_t *s)
{
    s->step = "measure";
    send_cmd(s, "Page.getLayoutMetrics", NULL, s->session, metrics_cb);
}

/* ---- a script in an isolated world of the main frame ----------------------------------
 * The consent and text passes run in a world of their own: it shares the page's DOM, not
 * its JavaScript, so the page's scripts cannot see the pass, replace what it calls
 * (JSON.stringify, Array.prototype.push, document.querySelectorAll) or forge its result. */

static void world_eval_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s))
        return;
    json_t *exc = json_object_get(r, "exceptionDetails");
    if (err || exc) {
        const char *why = err ? err : json_string_value(json_object_get(exc, "text"));
        s->world_done(s, NULL, NULL, why ? why : "the script failed");
        return;
    }
    s->world_done(s, json_object_get(json_object_get(r, "result"), "value"), NULL, NULL);
}

static void world_made_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s))
        return;
    json_t *ctx = json_object_get(r, "executionContextId");
    if (err || !json_is_integer(ctx)) {
        free(s->world_script);
        s->world_script = NULL;
        s->world_done(s, NULL, err ? err : "no execution context", NULL);
        return;
    }
    json_t *p = json_pack("{s:s,s:b,s:I}", "expression", s->world_script, "returnByValue", 1,
                          "contextId", json_integer_value(ctx));
    if (p && s->world_timeout_ms > 0)
        json_object_set_new(p, "timeout", json_integer((json_int_t)s->world_timeout_ms));
    free(s->world_script);
    s->world_script = NULL;
    send_cmd(s, "Runtime.evaluate", p, s->session, world_eval_cb);
}

/* Makes the world `name` in the main frame (its id is its target's) and evaluates script
 * there (taken: freed here; NULL means it could not be built), at most timeout_ms when
 * above 0; done hears the value, or why the world could not start (start_err) or the
 * script failed (run_err), exactly once. */
static void run_in_world(shot_t *s, const char *name, char *script, int64_t timeout_ms,
                         shot_world_cb done)
{
    if (!script) {
        done(s, NULL, "out of memory", NULL);
        return;
    }
    free(s->world_script);
    s->world_script = script;
    s->world_timeout_ms = timeout_ms;
    s->world_done = done;
    send_cmd(s, "Page.createIsolatedWorld",
             json_pack("{s:s,s:s,s:b}", "frameId", s->target_id, "worldName", name,
                       "grantUniveralAccess", 0),
             s->session, world_made_cb);
}

/* ---- a site rule's ignored elements, after the text and before the shot -------------- */

static void ignore_world_cb(shot_t *s, json_t *value, const char *start_err,
                            const char *run_err)
{
    char why[200];
    if (start_err || run_err)
        add_reason(s, "ignore_failed", "ignored elements: %.150s", start_err ? start_err : run_err);
    else if (!(s->res.ignored = ignore_check(value, s->req.scale, why, sizeof why)))
        add_reason(s, "ignore_failed", "ignored elements: %s", why);
    measure_now(s);
}

/* Measures the elements the rule's `ignore` selectors match, on the page as it will be
 * shot (run_in_world: the page's scripts cannot see or forge it). */
static void ignore_start(shot_t *s)
{
    if (!json_array_size(s->req.site.ignore)) {
        measure_now(s);
        return;
    }
    if (!s->script_answered) {   /* a stuck page would not answer this either */
        add_reason(s, "ignore_failed",
                   "ignored elements: not measured (the page's script did not answer)");
        measure_now(s);
        return;
    }
    s->step = "measure ignored elements";
    run_in_world(s, "linksnap-ignore", ignore_script(s->req.site.ignore),
                 (int64_t)(s->reserve_ms / 4 > 500 ? s->reserve_ms / 4 : 500), ignore_world_cb);
}

static void text_world_cb(shot_t *s, json_t *value, const char *start_err,
                          const char *run_err)
{
    if (start_err) {   /* not taken: no time of its own */
        add_reason(s, "text_failed", "text: could not start: %.120s", start_err);
        ignore_start(s);
        return;
    }
    if (run_err) {
        add_reason(s, "text_failed", "text: %.150s", run_err);
    } else {
        char why[200];
        s->res.text = pagetext_check(value, s->req.text_max ? s->req.text_max : 2u << 20, why,
                                     sizeof why);
        if (!s->res.text)
            add_reason(s, "text_failed", "text: %s", why);
    }
    s->res.t_text_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    ignore_start(s);
}

/* The text is taken in a world of its own (run_in_world); the script reads a clone of the
 * document, so the picture does not change. */
static void text_start(shot_t *s)
{
    if (s->req.text && !s->script_answered)   /* a page whose thread is stuck: said, not hidden */
        add_reason(s, "text_failed", "text: not taken (the page's script did not answer)");
    if (!s->req.text || !s->script_answered) {
        ignore_start(s);
        return;
    }
    s->step = "text";
    s->t_mark = uv_now(s->loop);
    /* the text may take at most half of the shot's reserve */
    char *script = pagetext_script(s->req.text_max ? s->req.text_max : 2u << 20, 30000);
    run_in_world(s, "linksnap-text", script,
                 (int64_t)(s->reserve_ms / 2 > 500 ? s->reserve_ms / 2 : 500), text_world_cb);
}

/* ---- the page itself, after the shot: MHTML, then PDF --------------------------------- */

static void mhtml_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s))
        return;
    json_t *data = json_object_get(r, "data");
    if (err) {
        add_reason(s, "mhtml_failed", "mhtml: %.150s", err);
    } else if (!json_is_string(data) || json_string_length(data) == 0) {
        add_reason(s, "mhtml_failed", "mhtml: the browser sent no snapshot");
    } else if (s->req.mhtml_max && json_string_length(data) > s->req.mhtml_max) {
        add_reason(s, "mhtml_too_big", "mhtml: %zu MB, over mhtml_max_mb (%zu)",
                   json_string_length(data) >> 20,
                   s->req.mhtml_max >> 20);
    } else {
        s->res.mhtml = json_incref(data);
    }
    s->res.t_mhtml_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    archive_next(s);
}

static void pdf_drop(shot_t *s)
{
    free(s->res.pdf);
    s->res.pdf = NULL;
    s->res.pdf_len = s->pdf_cap = 0;
}

static void pdf_closed_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    (void)err;
    if (enter(s))
        return;
    s->pdf_stream[0] = '\0';
    s->res.t_pdf_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    archive_next(s);
}

static void pdf_close(shot_t *s)
{
    send_cmd(s, "IO.close", json_pack("{s:s}", "handle", s->pdf_stream), s->session, pdf_closed_cb);
}

static void pdf_fail(shot_t *s, const char *why)
{
    add_reason(s, "pdf_failed", "pdf: %s", why);
    pdf_drop(s);
    pdf_close(s);
}

static void pdf_read_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s))
        return;
    json_t *data = json_object_get(r, "data");
    if (err || !json_is_string(data)) {
        pdf_fail(s, "reading the stream failed");
        return;
    }
    /* one chunk (at most 1 MiB) decoded per reply: the loop never holds on long */
    size_t len = json_string_length(data);
    int b64 = json_is_true(json_object_get(r, "base64Encoded"));
    size_t need = s->res.pdf_len + (b64 ? len / 4 * 3 + 3 : len);
    char over[64];
    snprintf(over, sizeof over, "over pdf_max_mb (%zu)", s->req.pdf_max >> 20);
    if (s->req.pdf_max && need > s->req.pdf_max + 3) {
        pdf_fail(s, over);
        return;
    }
    if (need > s->pdf_cap) {
        size_t cap = s->pdf_cap ? s->pdf_cap : 1u << 20;
        while (cap < need)
            cap *= 2;
        unsigned char *p = realloc(s->res.pdf, cap);
        if (!p) {
            pdf_fail(s, "out of memory");
            return;
        }
        s->res.pdf = p;
        s->pdf_cap = cap;
    }
    if (b64) {
        long n = postproc_base64_decode(json_string_value(data), len, s->res.pdf + s->res.pdf_len);
        if (n < 0) {
            pdf_fail(s, "the stream is not base64");
            return;
        }
        s->res.pdf_len += (size_t)n;
    } else {
        memcpy(s->res.pdf + s->res.pdf_len, json_string_value(data), len);
        s->res.pdf_len += len;
    }
    if (s->req.pdf_max && s->res.pdf_len > s->req.pdf_max) {
        pdf_fail(s, over);
        return;
    }
    if (json_is_true(json_object_get(r, "eof"))) {
        if (s->res.pdf_len < 5 || memcmp(s->res.pdf, "%PDF-", 5)) {
            add_reason(s, "pdf_failed", "pdf: the browser sent something other than a PDF");
            pdf_drop(s);
        }
        pdf_close(s);
        return;
    }
    send_cmd(s, "IO.read", json_pack("{s:s,s:i}", "handle", s->pdf_stream, "size", 1 << 20),
             s->session, pdf_read_cb);
}

static void pdf_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s))
        return;
    const char *stream = json_string_value(json_object_get(r, "stream"));
    if (err || !stream || strlen(stream) >= sizeof s->pdf_stream) {
        add_reason(s, "pdf_failed", "pdf: %.150s", err ? err : "the browser sent no stream");
        s->res.t_pdf_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
        archive_next(s);
        return;
    }
    snprintf(s->pdf_stream, sizeof s->pdf_stream, "%s", stream);
    send_cmd(s, "IO.read", json_pack("{s:s,s:i}", "handle", s->pdf_stream, "size", 1 << 20),
             s->session, pdf_read_cb);
}

/* The next format the request asked for, each with the shot's reserve (at least 5 s) as
 * its time; then the capture ends. */
static void archive_next(shot_t *s)
{
    s->archiving = 1;
    s->t_mark = uv_now(s->loop);
    uv_timer_start(&s->deadline, deadline_cb, s->reserve_ms > 5000 ? s->reserve_ms : 5000, 0);
    if (s->req.mhtml && !s->mhtml_done) {
        s->mhtml_done = 1;
        s->step = "mhtml";
        send_cmd(s, "Page.captureSnapshot", json_pack("{s:s}", "format", "mhtml"), s->session,
                 mhtml_cb);
        return;
    }
    if (s->req.pdf && !s->pdf_done) {
        s->pdf_done = 1;
        s->step = "pdf";
        json_t *p = json_pack("{s:s,s:b}", "transferMode", "ReturnAsStream", "printBackground", 1);
        /* a very tall page is printed only so far (a letter page is 1056 CSS px) */
        if (p && s->content_h > SHOT_PDF_MAX_PAGES * 1056.0) {
            char range[32];
            snprintf(range, sizeof range, "1-%d", SHOT_PDF_MAX_PAGES);
            json_object_set_new(p, "pageRanges", json_string(range));
            s->res.pdf_pages_cut = 1;
        }
        send_cmd(s, "Page.printToPDF", p, s->session, pdf_cb);
        return;
    }
    finish(s, SHOT_OK, NULL);
}

static void consent_world_cb(shot_t *s, json_t *value, const char *start_err,
                             const char *run_err)
{
    if (start_err) {
        add_reason(s, "consent_failed", "the consent pass could not start: %.120s", start_err);
    } else if (run_err) {
        /* a page that breaks the pass is shot as it is */
        add_reason(s, "consent_failed", "the consent pass failed: %.120s", run_err);
    } else {
        /* the report is checked here again: its size, its shape and its text (consent.h),
         * whatever the page managed to do to the script's world */
        s->res.consent = consent_report_check(json_string_value(value), json_is_string(value) ?
                                              json_string_length(value) : 0);
    }
    text_start(s);
}

static void measure(shot_t *s)
{
    s->lazy_done = 1;
    s->res.t_lazy_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    uv_timer_stop(&s->idle);
    /* the generic consent pass runs last, on the page as it will be shot; a page whose
     * script never answered would not answer it either */
    if (s->req.site.consent_pass && s->script_answered) {
        s->step = "hide consent notices";
        char *script = strdup(consent_script());
        run_in_world(s, "linksnap-consent", script, 0, consent_world_cb);
        return;
    }
    text_start(s);
}

static void lazy_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    if (enter(s) || s->lazy_done)
        return;
    if (err) {
        /* the page's script failed (a page can break Promise or timers): shoot anyway */
        add_reason(s, "lazy_failed", "the lazy-content pass failed: %.120s", err);
        measure(s);
        return;
    }
    s->script_answered = 1;
    json_t *v = json_object_get(json_object_get(r, "result"), "value");
    const char *title = json_string_value(json_object_get(v, "title"));
    if (title)
        copy_text(s->res.title, sizeof s->res.title, title);
    json_t *markup = json_object_get(v, "markup");
    if (json_is_string(markup) && json_string_length(markup) > 0) {
        size_t len = util_utf8_prefix(json_string_value(markup), json_string_length(markup),
                                      SHOT_MARKUP_MAX);
        free(s->res.markup);
        s->res.markup = malloc(len + 1);
        if (s->res.markup) {
            memcpy(s->res.markup, json_string_value(markup), len);
            s->res.markup[len] = '\0';
        }
    }
    if (s->req.site.wait_for)
        s->res.waited_for = json_is_true(json_object_get(v, "found")) ? 1 : -1;
    s->res.revealed = json_is_true(json_object_get(v, "revealed"));
    s->res.lazy_steps = (int)json_integer_value(json_object_get(v, "steps"));
    size_t i;
    json_t *cut;
    json_array_foreach(json_object_get(v, "cut"), i, cut) {
        const char *what = json_string_value(cut);
        if (!what)
            continue;
        if (!strcmp(what, "lazy")) {
            add_reason_p(s, SHOT_PARTIAL_OTHER, "lazy_cut",
                         json_pack("{s:i}", "steps", s->res.lazy_steps),
                         "the lazy-content pass was cut at its deadline after %d scroll steps",
                         s->res.lazy_steps);
        } else if (!strcmp(what, "images")) {
            int n = (int)json_integer_value(json_object_get(v, "pending"));
            add_reason_p(s, SHOT_PARTIAL_OTHER, "images_pending", json_pack("{s:i}", "count", n),
                         "%d image%s still loading", n, n == 1 ? " was" : "s were");
        } else if (!strcmp(what, "fonts")) {
            /* only said when a FontFace was loading at the cut (the script checks): a
             * document still loading keeps document.fonts.ready pending without any */
            char fam[120] = "";
            json_t *fams = json_array(), *f;
            size_t k;
            json_array_foreach(json_object_get(v, "fonts"), k, f) {
                const char *name = json_string_value(f);
                if (!name || k >= REASONS_HOSTS_MAX)
                    continue;
                size_t used = strlen(fam);
                char one[64];
                copy_text(one, sizeof one, name);
                snprintf(fam + used, sizeof fam - used, "%s%s", used ? ", " : "", one);
                if (fams)
                    json_array_append_new(fams, json_string(one));
            }
            add_reason_p(s, SHOT_PARTIAL_OTHER, "fonts_loading",
                         json_pack("{s:o}", "families", fams ? fams : json_array()),
                         "web fonts were still loading%s%s%s", fam[0] ? " (" : "", fam,
                         fam[0] ? ")" : "");
        } else if (!strcmp(what, "wait_for")) {
            const char *sel = s->req.site.wait_for ? s->req.site.wait_for : "";
            add_reason_p(s, SHOT_PARTIAL_OTHER, "wait_for_missing",
                         json_pack("{s:s}", "selector", sel),
                         "the wait_for selector %.120s did not appear in time", sel);
        }
    }
    measure(s);
}

/* Lazy content: a full-page screenshot paints below the fold without scrolling, so
 * loading=lazy images and IntersectionObserver loaders never start (the blank areas users
 * of other tools report). Pages with lazy loaders (the probe below counted an
 * IntersectionObserver or a scroll listener, or a loading=lazy element exists) are
 * scrolled one viewport at a time (instant, a short pause per step, as far as the height
 * cap allows, at most 200 steps) and back to the top; other pages skip the scrolling.
 * Then images still loading (each at most IMAGE_CAP_MS) and web fonts are waited for.
 * Every wait ends at its deadline (ms from the script's start), and the script says what
 * was cut. It returns the title too (one round trip less). */
static const char lazy_script[] =
    "(async (cap, lazyMs, endMs, imgMs, waitFor, delayMs, scroll, markupMax) => {"
    " const t0 = performance.now(), left = (u) => u - (performance.now() - t0);"
    " const pause = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));"
    " const within = (p, u) => Promise.race([p.then(() => true, () => true), pause(left(u)).then(() => false)]);"
    " const out = {title: '', steps: -1, cut: [], pending: 0, found: false, markup: '', revealed: false};"
    /* a lone UTF-16 surrogate (a page's script can make one; a cut can halve an emoji)
     * would make the whole reply JSON that does not parse, and the script seem silent */
    " const wf = (t) => String(t).replace(/[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/g, '\\uFFFD');"
    " if (waitFor) {"
    "  const has = () => { try { return !!document.querySelector(waitFor); } catch (e) { return false; } };"
    "  while (!(out.found = has()) && left(lazyMs) > 0) await pause(Math.min(100, left(lazyMs)));"
    "  if (!out.found) out.cut.push('wait_for'); }"
    " if (delayMs > 0) await pause(Math.min(delayMs, left(lazyMs)));"
    " const root = document.documentElement, body = document.body;"
    " const probe = window[Symbol.for('linksnap.lazy')];"
    " const lazy = probe === undefined || probe > 0 || !!window.onscroll || !!document.onscroll ||"
    "  !!(body && body.onscroll) || !!document.querySelector('img[loading=lazy],iframe[loading=lazy]');"
    " if (scroll && root && root.scrollHeight > innerHeight && lazy) {"
    "  root.style.scrollBehavior = 'auto'; out.steps = 0;"
    "  for (let y = innerHeight; y < Math.min(root.scrollHeight, cap) && out.steps < 200; y += innerHeight, out.steps++) {"
    "   if (left(lazyMs) <= 0) { out.cut.push('lazy'); break; }"
    "   window.scrollTo(0, y); await pause(60); }"
    "  if (!out.cut.length) { window.scrollTo(0, Math.min(root.scrollHeight, cap)); await pause(60); }"
    "  window.scrollTo(0, 0); await pause(60);"
    " }"
    " const imgs = Array.from(document.images).filter((i) => !i.complete);"
    " if (imgs.length) {"
    "  const one = (i) => new Promise((r) => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, imgMs); });"
    "  if (!await within(Promise.all(imgs.map(one)), endMs)) {"
    "   out.pending = imgs.filter((i) => !i.complete).length; if (out.pending) out.cut.push('images'); } }"
    /* fonts: said only when a FontFace is still loading at the cut, by family */
    " if (document.fonts && !await within(document.fonts.ready, endMs)) {"
    "  const fams = [];"
    "  try { document.fonts.forEach((f) => { if (f.status === 'loading') fams.push(wf(f.family)); }); } catch (e) {}"
    "  if (fams.length) { out.cut.push('fonts'); out.fonts = [...new Set(fams)].slice(0, 8); } }"
    " for (const el of [root, body]) { if (!el) continue; const cs = getComputedStyle(el);"
    "  if (parseFloat(cs.opacity) === 0) { el.style.setProperty('opacity', '1', 'important'); out.revealed = true; }"
    "  if (cs.visibility === 'hidden') { el.style.setProperty('visibility', 'visible', 'important'); out.revealed = true; } }"
    " if (out.revealed) await pause(50);"
    " out.title = wf(document.title);"
    " try { out.markup = root ? wf(root.outerHTML.slice(0, markupMax)) : ''; } catch (e) {}"
    " return out; })";

/* Runs in every document before its own scripts: counts what loads content lazily
 * (IntersectionObserver instances, scroll and wheel listeners on the window, document
 * or root elements), so pages without any skip the scroll pass. Constructors and
 * listeners behave exactly as before. */
static const char lazy_probe[] =
    "(() => { try {"
    " let n = 0; const k = Symbol.for('linksnap.lazy');"
    " Object.defineProperty(window, k, {get: () => n, configurable: false, enumerable: false});"
    " const IO = window.IntersectionObserver;"
    " if (IO) window.IntersectionObserver = new Proxy(IO, {construct(t, a, nt) { n++; return Reflect.construct(t, a, nt); }});"
    " const add = EventTarget.prototype.addEventListener;"
    " EventTarget.prototype.addEventListener = new Proxy(add, {apply(t, self, a) {"
    "  const o = self == null ? window : self;"   /* a bare addEventListener() call */
    "  if ((a[0] === 'scroll' || a[0] === 'wheel') && (o === window || o === document ||"
    "   o === document.documentElement || o === document.body)) n++;"
    "  return Reflect.apply(t, self, a); }});"
    "} catch (e) {} })()";

static void after_wait(shot_t *s)
{
    s->waiting = 0;
    s->res.t_wait_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    s->step = "load lazy content";
    uint64_t now = uv_now(s->loop);
    int lazy_ms = s->lazy_until > now ? (int)(s->lazy_until - now) : 0;
    int end_ms = s->waits_until > now ? (int)(s->waits_until - now) : 0;
    /* the selector goes in as a JSON string, which is a JavaScript string literal */
    json_t *sel = s->req.site.wait_for ? json_string(s->req.site.wait_for) : NULL;
    char *sel_js = sel ? json_dumps(sel, JSON_ENCODE_ANY) : NULL;
    json_decref(sel);
    size_t size = sizeof lazy_script + 128 + (sel_js ? strlen(sel_js) : 0);
    char *expr = malloc(size);
    if (!expr || (s->req.site.wait_for && !sel_js)) {
        free(expr);
        free(sel_js);
        finish(s, SHOT_NO_MEMORY, "%s failed: %s", s->step, "out of memory");
        return;
    }
    snprintf(expr, size, "%s(%d,%d,%d,%d,%s,%d,%s,%d)", lazy_script, s->req.height_cap, lazy_ms,
             end_ms, IMAGE_CAP_MS, sel_js ? sel_js : "null", s->req.site.delay_ms,
             s->req.site.no_scroll ? "false" : "true", SHOT_MARKUP_MAX);
    free(sel_js);
    s->lazy_sent = 1;
    send_cmd(s, "Runtime.evaluate",
             json_pack("{s:s,s:b,s:b}", "expression", expr, "awaitPromise", 1, "returnByValue", 1),
             s->session, lazy_cb);
    free(expr);
}

/* Polls every POLL_MS from the start: once the navigation committed, the load event, then
 * the quiet window (req.quiet_ms, else SHOT_QUIET_MS) without a request in flight (counted
 * from Network events as Playwright does; CDP's own networkIdle may never fire), each up
 * to its share of the deadline; then the in-page script must answer by the waits' end (a
 * page whose main thread is stuck is shot without it). */
static void wait_poll_cb(uv_timer_t *t)
{
    shot_t *s = t->data;
    if (s->finished)
        return;
    uint64_t now = uv_now(s->loop);
    if (s->lazy_sent) {
        if (!s->lazy_done && now >= s->waits_until + SCRIPT_GRACE_MS) {
            add_reason(s, "script_silent", "the page's script did not answer within its deadline");
            measure(s);
        }
        return;
    }
    if (!s->navigated)
        return;   /* until the commit only the deadline itself bounds setup and navigation */
    if (!s->waiting)
        return;
    if (!s->loaded) {
        if (now >= s->load_until) {
            int secs = (int)((s->load_until - s->started_ms + 500) / 1000);
            add_reason_p(s, SHOT_PARTIAL_OTHER, "load_event", json_pack("{s:i}", "seconds", secs),
                         "the page did not finish loading: the load event had not fired "
                         "within %d s", secs);
            if (s->requests > 0)
                add_pending_reason(s, SHOT_PARTIAL_OTHER, "");
            after_wait(s);
        }
        return;
    }
    if (!strcmp(s->step, "wait for load"))
        s->step = "wait for network idle";
    uint64_t quiet = s->req.quiet_ms > 0 ? (uint64_t)s->req.quiet_ms : SHOT_QUIET_MS;
    if (s->requests <= 0 && now - s->last_net_ms >= quiet) {
        after_wait(s);
    } else if (now >= s->quiet_until || now - s->loaded_ms >= IDLE_CAP_MS) {
        /* nothing in flight at the cut: the page had settled, only the quiet window was
         * not over yet */
        if (s->requests > 0)
            add_pending_reason(s, SHOT_PARTIAL_NOT_QUIET,
                               "the network was not quiet after the load event: ");
        after_wait(s);
    }
}

static void navigate_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    CHECK(s, err);
    const char *et = json_string_value(json_object_get(r, "errorText"));
    if (json_is_true(json_object_get(r, "isDownload"))) {
        finish(s, SHOT_DOWNLOAD, "%s failed: %s", s->step,
               "the URL is a download, not a page (downloads are refused)");
        return;
    }
    if (et && *et) {
        snprintf(s->res.net_error, sizeof s->res.net_error, "%s", et);
        const char *human = shot_net_error_text(et);
        char detail[256];
        snprintf(detail, sizeof detail, "%s%s%s", et, human ? ": " : "", human ? human : "");
        finish(s, SHOT_NET_ERROR, "%s failed: %s", s->step, detail);
        return;
    }
    s->navigated = 1;
    s->waiting = 1;
    /* the waits share what is left of their budget once there is a page (setup on a busy
     * machine must not eat the load event's share) */
    uint64_t now = uv_now(s->loop), left = s->waits_until > now ? s->waits_until - now : 0;
    s->load_until = now + left * 45 / 100;
    s->quiet_until = now + left * 60 / 100;
    s->lazy_until = now + left * 80 / 100;
    s->res.t_navigate_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    s->step = "wait for load";
}

static void navigate(shot_t *s)
{
    s->step = "navigate";
    s->res.t_setup_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    s->nav_sent = 1;
    send_cmd(s, "Page.navigate", json_pack("{s:s}", "url", s->url), s->session, navigate_cb);
}

static void cookies_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    CHECK(s, err);
    navigate(s);
}

/* What belongs to this capture's URL, on a tab that is ready: the viewport and agent, the
 * rule's header interception, the preload sheet, and its cookies (in this context only);
 * then the navigation. Commands on the page's session run in order, so each applies
 * before Page.navigate; the cookies' reply is waited for. */
static void configure_site(shot_t *s)
{
    cdp_t *c = s->cdp;
    const shot_site_t *site = &s->req.site;
    s->step = "configure";
    cdp_send(c, "Emulation.setDeviceMetricsOverride",
             json_pack("{s:i,s:i,s:f,s:b}", "width", s->req.viewport_w, "height", s->req.viewport_h,
                       "deviceScaleFactor", s->req.scale > 0 ? s->req.scale : 1.0, "mobile", 0),
             s->session, NULL, NULL);
    if (site->user_agent)
        cdp_send(c, "Emulation.setUserAgentOverride", json_pack("{s:s}", "userAgent", site->user_agent),
                 s->session, NULL, NULL);
    /* a rule's headers: only requests of this page that match the rule are paused and get
     * them (Network.setExtraHTTPHeaders would send them to every host) */
    if (site->headers && site->header_patterns && json_array_size(site->header_patterns)) {
        json_t *patterns = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(site->header_patterns, i, p)
            json_array_append_new(patterns, json_pack("{s:O,s:s}", "urlPattern", p,
                                                      "requestStage", "Request"));
        cdp_send(c, "Fetch.enable", json_pack("{s:o}", "patterns", patterns), s->session, NULL, NULL);
    }
    if (site->preload)
        cdp_send(c, "Page.addScriptToEvaluateOnNewDocument", json_pack("{s:s}", "source", site->preload),
                 s->session, NULL, NULL);
    if (site->cookies && json_array_size(site->cookies)) {
        s->step = "set the rule's cookies";
        send_cmd(s, "Storage.setCookies",
                 json_pack("{s:O,s:s}", "cookies", site->cookies, "browserContextId", s->context_id),
                 NULL, cookies_cb);
        return;
    }
    navigate(s);
}

static void enabled_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    CHECK(s, err);
    if (!s->started) {
        /* a warm context: ready for the next capture (shot_start) */
        s->parked = 1;
        s->step = "wait for a capture";
        s->ready(s, NULL, s->ready_ud);
        return;
    }
    configure_site(s);
}

/* Out-of-process frames of the page (and their own) attach to their parent's session,
 * paused before their first request so that nothing they load goes unseen. */
static void auto_attach(cdp_t *c, const char *session)
{
    cdp_send(c, "Target.setAutoAttach", json_pack("{s:b,s:b,s:b}", "autoAttach", 1,
             "waitForDebuggerOnStart", 1, "flatten", 1), session, NULL, NULL);
}

static void attached_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    snprintf(s->session, sizeof s->session, "%s", json_string_value(json_object_get(r, "sessionId")));
    s->step = "configure";
    /* the tab's own set-up, the same for every capture (the page's renderer starts here:
     * most of a capture's set-up time, which a warm context spends ahead) */
    cdp_send(c, "Network.enable", NULL, s->session, NULL, NULL);
    auto_attach(c, s->session);
    /* sent before Page.navigate, so it runs in the page's first document */
    cdp_send(c, "Page.addScriptToEvaluateOnNewDocument", json_pack("{s:s}", "source", lazy_probe),
             s->session, NULL, NULL);
    send_cmd(s, "Page.enable", NULL, s->session, enabled_cb);
}

static int has_header(json_t *headers, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v)
        if (!strcasecmp(k, name))
            return 1;
    return 0;
}

/* A request of the page matched the rule's header patterns: it goes on with the rule's
 * headers when the owner's exact match says so (a pattern's '*' also matches '/'), else
 * untouched. A header the page set under the same name is replaced. */
static void continue_paused(shot_t *s, json_t *params)
{
    const char *id = json_string_value(json_object_get(params, "requestId"));
    json_t *req = json_object_get(params, "request");
    const char *url = json_string_value(json_object_get(req, "url"));
    if (!id)
        return;
    const shot_site_t *site = &s->req.site;
    json_t *args = json_pack("{s:s}", "requestId", id);
    if (args && url && site->headers && site->header_match &&
        site->header_match(url, site->header_match_ud)) {
        json_t *list = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(req, "headers"), k, v) {
            if (json_is_string(v) && !has_header(site->headers, k))
                json_array_append_new(list, json_pack("{s:s,s:O}", "name", k, "value", v));
        }
        json_object_foreach(site->headers, k, v)
            json_array_append_new(list, json_pack("{s:s,s:O}", "name", k, "value", v));
        json_object_set_new(args, "headers", list);
    }
    cdp_send(s->cdp, "Fetch.continueRequest", args, s->session, NULL, NULL);
}

static void target_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    snprintf(s->target_id, sizeof s->target_id, "%s", json_string_value(json_object_get(r, "targetId")));
    s->step = "attach";
    send_cmd(s, "Target.attachToTarget", json_pack("{s:s,s:b}", "targetId", s->target_id, "flatten", 1),
             NULL, attached_cb);
}

static void open_tab(shot_t *s)
{
    s->step = "open tab";
    send_cmd(s, "Target.createTarget", json_pack("{s:s,s:s}", "url", "about:blank", "browserContextId", s->context_id),
             NULL, target_cb);
}

static void context_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    snprintf(s->context_id, sizeof s->context_id, "%s", json_string_value(json_object_get(r, "browserContextId")));
    /* downloads never happen: a URL that is one fails at navigate with isDownload */
    cdp_send(c, "Browser.setDownloadBehavior",
             json_pack("{s:s,s:s}", "behavior", "deny", "browserContextId", s->context_id), NULL,
             NULL, NULL);
    open_tab(s);
}

static int is_main_frame(shot_t *s, json_t *params)
{
    const char *frame = json_string_value(json_object_get(params, "frameId"));
    const char *type = json_string_value(json_object_get(params, "type"));
    return frame && type && !strcmp(type, "Document") && !strcmp(frame, s->target_id);
}

/* The top document's URL changes with each redirect: the owner's proxy decides private
 * network access by it. */
static void report_top_url(shot_t *s, json_t *params)
{
    const char *u = json_string_value(json_object_get(json_object_get(params, "request"), "url"));
    if (u && s->req.top_url)
        s->req.top_url(u, s->req.top_url_ud);
}

/* One request in flight fewer (rid may be NULL). rid is copied first: callers pass a key
 * of one of the maps it is deleted from (frame_docs, child_reqs). Chromium's request ids
 * are a few dozen bytes; a longer one is cut, and then only not found. */
static void end_request(shot_t *s, const char *rid_key)
{
    char buf[256];
    const char *rid = NULL;
    if (rid_key) {
        snprintf(buf, sizeof buf, "%s", rid_key);
        rid = buf;
    }
    if (s->requests > 0)
        s->requests--;
    if (rid && s->pending)
        json_object_del(s->pending, rid);
    if (rid && s->frame_docs)
        json_object_del(s->frame_docs, rid);
    if (rid && s->child_reqs)
        json_object_del(s->child_reqs, rid);
    s->last_net_ms = uv_now(s->loop);
}

/* A frame moved to a renderer of its own: its document request ends here (frame_docs
 * says why), and is kept in swapped so that an end reported after all is not counted. */
static void end_swapped_frame(shot_t *s, const char *frame)
{
    const char *rid;
    json_t *v, *tmp;
    if (!frame || !s->frame_docs)
        return;
    json_object_foreach_safe(s->frame_docs, tmp, rid, v) {
        if (strcmp(json_string_value(v), frame) != 0)
            continue;
        if (s->swapped && json_object_set_new(s->swapped, rid, json_true()) != 0) {
            json_decref(s->swapped);   /* out of memory: a late end would count twice, */
            s->swapped = NULL;         /* which only shortens the wait for quiet */
        }
        end_request(s, rid);   /* deletes rid from frame_docs: the _safe iteration */
    }
}

/* A target attached under the page: a frame is watched (its network, its own frames), a
 * dedicated worker too (its network: Chromium reports the worker's script request to the
 * page but its end to the worker); every kind is let run, or it would wait for ever. */
static void child_attached(shot_t *s, json_t *params)
{
    const char *child = json_string_value(json_object_get(params, "sessionId"));
    const char *type = json_string_value(json_object_get(json_object_get(params, "targetInfo"), "type"));
    if (!child)
        return;
    int frame = type && !strcmp(type, "iframe");
    if ((frame || (type && !strcmp(type, "worker"))) && s->children) {
        if (json_object_set_new(s->children, child, json_true()) != 0) {
            json_decref(s->children);   /* out of memory: frames run unwatched */
            s->children = NULL;
        } else {
            cdp_send(s->cdp, "Network.enable", NULL, child, NULL, NULL);
            if (frame) {
                cdp_send(s->cdp, "Page.enable", NULL, child, NULL, NULL);   /* its frames' swaps */
                auto_attach(s->cdp, child);
            }
        }
    }
    cdp_send(s->cdp, "Runtime.runIfWaitingForDebugger", NULL, child, NULL, NULL);
}

/* A frame's target went away (navigated, removed, its renderer gone): its requests in
 * flight will never report an end. */
static void child_detached(shot_t *s, json_t *params)
{
    const char *child = json_string_value(json_object_get(params, "sessionId"));
    const char *rid;
    json_t *v, *tmp;
    if (!child || !s->children || json_object_del(s->children, child) != 0)
        return;
    json_object_foreach_safe(s->child_reqs, tmp, rid, v)
        if (!strcmp(json_string_value(v), child))
            end_request(s, rid);   /* deletes rid from child_reqs: the _safe iteration */
}

/* Which events of a frame's session the capture reads: its network and its own frames
 * (attached, gone, swapped to a renderer of their own); its load, dialogs and crashes are
 * not the page's. */
static int child_event(const char *method)
{
    return !strcmp(method, "Network.requestWillBeSent") || !strcmp(method, "Network.loadingFinished") ||
           !strcmp(method, "Network.loadingFailed") || !strcmp(method, "Target.attachedToTarget") ||
           !strcmp(method, "Target.detachedFromTarget") || !strcmp(method, "Page.frameDetached");
}

/* Whether a Network.requestWillBeSent starts a request the wait for quiet counts: a
 * redirect reuses its request id (still the same request in flight, now to the host it was
 * sent on to), and WebSocket and EventSource connections stay open by design. */
static int counts_toward_quiet(json_t *params)
{
    const char *type = json_string_value(json_object_get(params, "type"));
    return !json_object_get(params, "redirectResponse") &&
           !(type && (!strcmp(type, "WebSocket") || !strcmp(type, "EventSource")));
}

/* A Network event of a frame's or worker's session: whether the page's handling below
 * should see it. A new request of the child is counted (and remembered as the child's);
 * one counted here already (the child's own, or one the page's session reported
 * starting: a frame's document, a worker's script) is not counted twice, and ends here
 * whichever session reports its end; the end of a request begun before the attach is not
 * ours to count. */
static int child_request_goes_on(shot_t *s, const char *method, json_t *params, const char *session)
{
    const char *rid = json_string_value(json_object_get(params, "requestId"));
    if (!rid)
        return 0;
    int known = json_object_get(s->child_reqs, rid) ||
                (s->swapped && json_object_get(s->swapped, rid)) ||
                (s->frame_docs && json_object_get(s->frame_docs, rid)) ||
                (s->pending && json_object_get(s->pending, rid));
    if (strcmp(method, "Network.requestWillBeSent") != 0)
        return known;
    if (json_object_get(params, "redirectResponse"))
        return 1;   /* the same request, to its next host */
    if (known)
        return 0;
    /* out of memory: not counted, so never waited for */
    return !counts_toward_quiet(params) ||
           json_object_set_new(s->child_reqs, rid, json_string(session)) == 0;
}

void shot_on_event(shot_t *handle, const char *method, json_t *params, const char *session)
{
    shot_t *s = handle;
    if (s->finished || !session)
        return;
    int child = strcmp(session, s->session) != 0;   /* an event of a frame's session */
    if (child && (!s->children || !json_object_get(s->children, session) || !child_event(method)))
        return;
    if (!strcmp(method, "Target.attachedToTarget")) {
        child_attached(s, params);
        return;
    }
    if (!strcmp(method, "Target.detachedFromTarget")) {
        child_detached(s, params);
        return;
    }
    if (child && strncmp(method, "Network.", 8) == 0 && !child_request_goes_on(s, method, params, session))
        return;
    if (!strcmp(method, "Network.requestWillBeSent")) {
        const char *type = json_string_value(json_object_get(params, "type"));
        json_t *redirect = json_object_get(params, "redirectResponse");
        const char *rid = json_string_value(json_object_get(params, "requestId"));
        int counted = counts_toward_quiet(params);
        if (counted)
            s->requests++;
        const char *frame = json_string_value(json_object_get(params, "frameId"));
        if (counted && rid && frame && s->frame_docs && type && !strcmp(type, "Document") &&
            strcmp(frame, s->target_id) != 0 &&
            json_object_set_new(s->frame_docs, rid, json_string(frame)) != 0) {
            json_decref(s->frame_docs);   /* out of memory: swaps are not followed */
            s->frame_docs = NULL;
        }
        if (rid && s->pending && (counted || json_object_get(s->pending, rid))) {
            char host[256];
            json_t *req = json_object_get(params, "request");
            reasons_url_host(json_string_value(json_object_get(req, "url")), host, sizeof host);
            if (json_object_set_new(s->pending, rid, json_string(host))) {
                json_decref(s->pending);   /* out of memory: the count alone, no hosts */
                s->pending = NULL;
            }
        }
        s->last_net_ms = uv_now(s->loop);
        if (redirect && is_main_frame(s, params)) {
            if (!s->res.redirects)
                s->res.redirects = json_array();
            json_array_append_new(s->res.redirects,
                json_pack("{s:O?,s:O?}", "url", json_object_get(redirect, "url"),
                          "status", json_object_get(redirect, "status")));
        }
        if (is_main_frame(s, params))
            report_top_url(s, params);   /* last: the owner may end the capture there */
    } else if (!strcmp(method, "Network.loadingFinished") || !strcmp(method, "Network.loadingFailed")) {
        const char *rid = json_string_value(json_object_get(params, "requestId"));
        if (rid && s->swapped && json_object_del(s->swapped, rid) == 0)
            return;   /* ended at its frame's swap already */
        end_request(s, rid);
    } else if (!strcmp(method, "Page.frameDetached")) {
        const char *reason = json_string_value(json_object_get(params, "reason"));
        if (reason && !strcmp(reason, "swap"))
            end_swapped_frame(s, json_string_value(json_object_get(params, "frameId")));
    } else if (!strcmp(method, "Network.responseReceived")) {
        json_t *resp = json_object_get(params, "response");
        if (is_main_frame(s, params)) {
            s->res.http_status = (int)json_integer_value(json_object_get(resp, "status"));
            json_t *h = json_object_get(resp, "headers");
            json_decref(s->res.headers);
            s->res.headers = json_is_object(h) ? json_incref(h) : NULL;
            const char *u = json_string_value(json_object_get(resp, "url"));
            copy_text(s->res.final_url, sizeof s->res.final_url, u);
        }
    } else if (!strcmp(method, "Fetch.requestPaused")) {
        continue_paused(s, params);
    } else if (!strcmp(method, "Page.loadEventFired")) {
        if (s->nav_sent && !s->loaded) {   /* not about:blank's, from before navigate */
            s->loaded_ms = uv_now(s->loop);
            s->loaded = 1;
        }
    } else if (!strcmp(method, "Page.javascriptDialogOpening")) {
        /* a pending alert/confirm/prompt blocks every command to the page, the screenshot
         * included: dismiss it (accept beforeunload, so navigation can go on) */
        const char *type = json_string_value(json_object_get(params, "type"));
        int accept = type && !strcmp(type, "beforeunload");
        cdp_send(s->cdp, "Page.handleJavaScriptDialog", json_pack("{s:b}", "accept", accept),
                 s->session, NULL, NULL);
    } else if (!strcmp(method, "Inspector.targetCrashed")) {
        finish(s, SHOT_CRASHED, "%s failed: %s", s->step, "the page's renderer crashed");
    }
}

void shot_cancel(shot_t *handle, const char *reason)
{
    shot_t *s = handle;
    if (s->finished)
        return;
    finish(s, SHOT_CANCELED, "%s: %s", s->step, reason);
}

void shot_fail(shot_t *handle, const char *reason)
{
    shot_t *s = handle;
    finish(s, SHOT_REFUSED, "%s failed: %s", s->step, reason);
}

const char *shot_frame_id(const shot_t *handle)
{
    const shot_t *s = handle;
    return s->target_id;
}

void shot_result_clear(shot_result_t *r)
{
    json_decref(r->png_b64);
    json_decref(r->redirects);
    json_decref(r->headers);
    json_decref(r->consent);
    json_decref(r->reasons);
    free(r->markup);
    json_decref(r->text);
    json_decref(r->ignored);
    json_decref(r->mhtml);
    free(r->pdf);
    memset(r, 0, sizeof *r);
}

const char *shot_net_error_text(const char *e)
{
    static const struct { const char *name, *text; } known[] = {
        {"net::ERR_NAME_NOT_RESOLVED", "the host name could not be resolved (DNS)"},
        {"net::ERR_NAME_RESOLUTION_FAILED", "the host name could not be resolved (DNS)"},
        {"net::ERR_CONNECTION_REFUSED", "the server refused the connection"},
        {"net::ERR_CONNECTION_RESET", "the connection was reset"},
        {"net::ERR_CONNECTION_CLOSED", "the server closed the connection without an answer"},
        {"net::ERR_EMPTY_RESPONSE", "the server closed the connection without an answer"},
        {"net::ERR_CONNECTION_TIMED_OUT", "the connection timed out"},
        {"net::ERR_TIMED_OUT", "the request timed out"},
        {"net::ERR_ADDRESS_UNREACHABLE", "the address is unreachable"},
        {"net::ERR_INTERNET_DISCONNECTED", "there is no network"},
        {"net::ERR_CERT_AUTHORITY_INVALID", "the TLS certificate is not trusted"},
        {"net::ERR_CERT_COMMON_NAME_INVALID", "the TLS certificate is for another host"},
        {"net::ERR_CERT_DATE_INVALID", "the TLS certificate has expired or is not yet valid"},
        {"net::ERR_SSL_PROTOCOL_ERROR", "the TLS handshake failed"},
        {"net::ERR_TOO_MANY_REDIRECTS", "the page redirects in a loop"},
        {"net::ERR_UNSAFE_REDIRECT", "the page redirects to a URL that is not http(s)"},
        {"net::ERR_BLOCKED_BY_CLIENT", "refused by linksnap's address rules"},
        {"net::ERR_ACCESS_DENIED", "refused by linksnap's address rules"},
        {"net::ERR_ABORTED", "the navigation was aborted"},
        {"net::ERR_INVALID_RESPONSE", "the server's answer is not valid HTTP"},
    };
    for (size_t i = 0; e && i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(e, known[i].name))
            return known[i].text;
    return NULL;
}

/* The capture's URL, options and deadline (shot_begin at once, shot_start on a warm
 * context). The proxy stays the context's. */
static void take_request(shot_t *s, const shot_request_t *req, shot_done_cb done, void *ud)
{
    char proxy[sizeof s->proxy];
    memcpy(proxy, s->proxy, sizeof proxy);
    s->req = *req;
    snprintf(s->url, sizeof s->url, "%s", req->url);
    s->req.url = s->url;
    memcpy(s->proxy, proxy, sizeof proxy);
    s->req.proxy_server = s->proxy[0] ? s->proxy : NULL;
    s->done = done;
    s->ud = ud;
    s->started = 1;
    int timeout = req->timeout_ms > 0 ? req->timeout_ms : 30000;
    /* the screenshot's time is reserved at the end; the waits share the rest (shot.h) */
    uint64_t reserve = (uint64_t)(timeout / 3 < 10000 ? timeout / 3 : 10000);
    uint64_t budget = (uint64_t)timeout - reserve;
    s->reserve_ms = reserve;
    s->started_ms = s->t_mark = uv_now(s->loop);
    s->waits_until = s->started_ms + budget;   /* the other shares are set at commit */
    uv_timer_start(&s->deadline, deadline_cb, (uint64_t)timeout, 0);
    uv_timer_start(&s->idle, wait_poll_cb, POLL_MS, POLL_MS);
}

/* A new context (with its proxy) and the chain up to a ready tab. NULL when the command
 * could not be sent. */
static shot_t *shot_new(cdp_t *c, uv_loop_t *loop, const char *proxy_server, int viewport_w,
                        int viewport_h, double scale)
{
    shot_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cdp = c;
    s->loop = loop;
    snprintf(s->proxy, sizeof s->proxy, "%s", proxy_server ? proxy_server : "");
    s->req.proxy_server = s->proxy[0] ? s->proxy : NULL;
    s->req.viewport_w = viewport_w;
    s->req.viewport_h = viewport_h;
    s->req.scale = scale;
    s->step = "new context";
    s->pending = json_object();
    s->frame_docs = json_object();
    s->swapped = json_object();
    s->children = json_object();
    s->child_reqs = json_object();
    if (!s->children || !s->child_reqs) {   /* out of memory: frames run unwatched */
        json_decref(s->children);
        s->children = NULL;
    }
    s->res.lazy_steps = -1;
    s->res.t_text_ms = s->res.t_mhtml_ms = s->res.t_pdf_ms = -1;
    s->t_mark = uv_now(loop);
    uv_timer_init(loop, &s->deadline);
    s->deadline.data = s;
    uv_timer_init(loop, &s->idle);
    s->idle.data = s;
    /* the context's every connection goes through its own proxy; "<-loopback>" takes away
     * Chromium's implicit bypass of localhost, so loopback is proxied (and checked) too */
    json_t *cp = s->proxy[0]
        ? json_pack("{s:b,s:s,s:s}", "disposeOnDetach", 1, "proxyServer", s->proxy,
                    "proxyBypassList", "<-loopback>")
        : json_pack("{s:b}", "disposeOnDetach", 1);
    if (send_cmd(s, "Target.createBrowserContext", cp, NULL, context_cb) < 0) {
        s->finished = 1;
        uv_close((uv_handle_t *)&s->deadline, timer_closed_cb);
        uv_close((uv_handle_t *)&s->idle, timer_closed_cb);
        return NULL;
    }
    return s;
}

shot_t *shot_begin(cdp_t *c, uv_loop_t *loop, const shot_request_t *req, shot_done_cb done, void *ud)
{
    shot_t *s = shot_new(c, loop, req->proxy_server, req->viewport_w, req->viewport_h, req->scale);
    if (s)
        take_request(s, req, done, ud);
    return s;
}

shot_t *shot_warm(cdp_t *c, uv_loop_t *loop, const char *proxy_server, int viewport_w,
                int viewport_h, double scale, shot_ready_cb ready, void *ud)
{
    shot_t *s = shot_new(c, loop, proxy_server, viewport_w, viewport_h, scale);
    if (s) {
        s->ready = ready;
        s->ready_ud = ud;
    }
    return s;
}

int shot_start(shot_t *handle, const shot_request_t *req, shot_done_cb done, void *ud)
{
    shot_t *s = handle;
    if (!s->parked || s->finished || s->started || cdp_is_closed(s->cdp))
        return -1;
    s->parked = 0;
    take_request(s, req, done, ud);
    configure_site(s);
    return 0;
}
