/* shot.c -- the steps of one capture as a chain of CDP replies and events:
 *
 *   new context -> open tab -> attach (flat session) -> configure (Network, viewport,
 *   Page) -> navigate -> wait for load -> wait for network quiet -> title -> load lazy
 *   content -> measure -> capture
 *
 * Each step runs under the capture's deadline; the first failure ends the capture with
 * the step's name in the error. Waiting is bounded twice: the load event and network
 * quiet together get the timeout minus a reserve for measuring and capturing, and past it
 * the page is captured as it is, marked partial with the reason. The screenshot's base64
 * text is handed to the owner untouched (decoding and writing happen off the loop). */
#include "shot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct {
    cdp_t *cdp;
    uv_loop_t *loop;
    shot_request_t req;
    char url[8192];
    char context_id[128], target_id[128], session[128];
    shot_result_t res;
    shot_done_cb done;
    void *ud;
    uv_timer_t deadline;
    const char *step;
    int finished, loaded, navigated, nav_sent;
    int inflight;          /* commands sent with this capture as their ud */
    int timer_closed;
    uv_timer_t idle;       /* polls for load / network quiet */
    int idle_closed;
    int requests;          /* page requests in flight (Network events) */
    uint64_t last_net_ms;  /* loop time of the last request start or end */
    uint64_t started_ms, t_mark, wait_until_ms, loaded_ms;
} shot_t;

#define QUIET_MS 500       /* no request in flight for this long: the page is done */
#define IDLE_CAP_MS 10000  /* at most this long waiting for quiet after load */

static void maybe_free(shot_t *s)
{
    if (s->finished && s->timer_closed && s->idle_closed && s->inflight == 0)
        free(s);
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

/* fmt gets the step name and detail: "%s failed: %s". NULL fmt = success. */
static void finish(shot_t *s, const char *fmt, const char *detail)
{
    if (s->finished)
        return;
    s->finished = 1;
    if (fmt) {
        s->res.ok = 0;
        char msg[4096];
        snprintf(msg, sizeof msg, fmt, s->step, detail ? detail : "");
        copy_text(s->res.error, sizeof s->res.error, msg);
        if (s->res.png_b64) {
            json_decref(s->res.png_b64);
            s->res.png_b64 = NULL;
        }
    }
    uv_timer_stop(&s->deadline);
    uv_timer_stop(&s->idle);
    uv_close((uv_handle_t *)&s->idle, timer_closed_cb);
    if (s->context_id[0] && !cdp_is_closed(s->cdp))
        cdp_send(s->cdp, "Target.disposeBrowserContext",
                 json_pack("{s:s}", "browserContextId", s->context_id), NULL, NULL, NULL);
    s->done(&s->res, s->ud);
    uv_close((uv_handle_t *)&s->deadline, timer_closed_cb);
}

static void deadline_cb(uv_timer_t *t)
{
    shot_t *s = t->data;
    finish(s, "timed out (step: %s)%s", NULL);
}

#define CHECK(s, err) do { if (enter(s)) return; if (err) { finish(s, "%s failed: %s", err); return; } } while (0)

static void screenshot_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    CHECK(s, err);
    json_t *data = json_object_get(r, "data");
    if (!json_is_string(data) || json_string_length(data) < 12) {
        finish(s, "%s failed: %s", "the browser sent no image");
        return;
    }
    s->res.png_b64 = json_incref(data);   /* decoded and written off the loop by the owner */
    s->res.ok = 1;
    s->res.t_capture_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    finish(s, NULL, NULL);
}

static void metrics_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    json_t *size = json_object_get(r, "cssContentSize");
    double w = json_number_value(json_object_get(size, "width"));
    double h = json_number_value(json_object_get(size, "height"));
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

static void scrolled_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    CHECK(s, err);
    s->res.t_wait_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    s->step = "measure";
    send_cmd(s, "Page.getLayoutMetrics", NULL, s->session, metrics_cb);
}

/* Lazy content: a full-page screenshot paints below the fold without scrolling, so
 * loading=lazy images and IntersectionObserver loaders never start (the blank areas users
 * of other tools report). Scroll down one viewport at a time (instant scrolling, a short
 * pause per step, as many steps as the height cap allows, at most 200), back to the top,
 * then wait for images still loading (each at most 3 s) and for web fonts. Pages no
 * taller than the viewport skip the scrolling. */
static const char lazy_script[] =
    "(async (cap) => {"
    " const root = document.documentElement;"
    " if (!root || root.scrollHeight <= innerHeight) { await document.fonts.ready; return 0; }"
    " root.style.scrollBehavior = 'auto';"
    " const pause = (ms) => new Promise((r) => setTimeout(r, ms));"
    " let steps = 0;"
    " for (let y = innerHeight; y < Math.min(root.scrollHeight, cap) && steps < 200; y += innerHeight, steps++) {"
    "  window.scrollTo(0, y); await pause(60); }"
    " window.scrollTo(0, Math.min(root.scrollHeight, cap)); await pause(60);"
    " window.scrollTo(0, 0); await pause(60);"
    " await Promise.all(Array.from(document.images).filter((i) => !i.complete).map((i) =>"
    "  new Promise((r) => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 3000); })));"
    " await document.fonts.ready;"
    " return steps; })";

static void title_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    CHECK(s, err);
    json_t *v = json_object_get(json_object_get(r, "result"), "value");
    if (json_is_string(v))
        copy_text(s->res.title, sizeof s->res.title, json_string_value(v));
    s->step = "load lazy content";
    char expr[sizeof lazy_script + 32];
    snprintf(expr, sizeof expr, "%s(%d)", lazy_script, s->req.height_cap);
    send_cmd(s, "Runtime.evaluate",
             json_pack("{s:s,s:b,s:b}", "expression", expr, "awaitPromise", 1, "returnByValue", 1),
             s->session, scrolled_cb);
}

static void after_wait(shot_t *s)
{
    uv_timer_stop(&s->idle);
    s->step = "title";
    send_cmd(s, "Runtime.evaluate",
             json_pack("{s:s,s:b}", "expression", "document.title", "returnByValue", 1),
             s->session, title_cb);
}

/* Polls every 50 ms once navigation committed: first for the load event, then for
 * QUIET_MS without a request in flight (counted from Network events as Playwright does;
 * CDP's own networkIdle may never fire). Past the wait budget (or IDLE_CAP_MS after load)
 * the page is captured as it is, marked partial with the reason. */
static void wait_poll_cb(uv_timer_t *t)
{
    shot_t *s = t->data;
    if (s->finished)
        return;
    uint64_t now = uv_now(s->loop);
    if (!s->loaded) {
        if (now >= s->wait_until_ms) {
            s->res.partial = 1;
            snprintf(s->res.partial_reason, sizeof s->res.partial_reason,
                     "the page did not finish loading within %d s (%d requests in flight)",
                     (int)((s->wait_until_ms - s->started_ms) / 1000), s->requests);
            after_wait(s);
        }
        return;
    }
    if (!strcmp(s->step, "wait for load"))
        s->step = "wait for network idle";
    if (s->requests <= 0 && now - s->last_net_ms >= QUIET_MS) {
        after_wait(s);
    } else if (now >= s->wait_until_ms || now - s->loaded_ms >= IDLE_CAP_MS) {
        s->res.partial = 1;
        snprintf(s->res.partial_reason, sizeof s->res.partial_reason,
                 "the network was not quiet after the load event (%d requests in flight)",
                 s->requests);
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
        finish(s, "%s failed: %s", "the URL is a download, not a page (downloads are refused)");
        return;
    }
    if (et && *et) {
        snprintf(s->res.net_error, sizeof s->res.net_error, "%s", et);
        const char *human = shot_net_error_text(et);
        char detail[256];
        snprintf(detail, sizeof detail, "%s%s%s", et, human ? ": " : "", human ? human : "");
        finish(s, "%s failed: %s", detail);
        return;
    }
    s->navigated = 1;
    s->res.t_navigate_ms = (int64_t)(uv_now(s->loop) - s->t_mark);
    s->t_mark = uv_now(s->loop);
    s->step = "wait for load";
    uv_timer_start(&s->idle, wait_poll_cb, 50, 50);
}

static void enabled_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)r;
    CHECK(s, err);
    s->step = "navigate";
    s->t_mark = uv_now(s->loop);
    s->nav_sent = 1;
    send_cmd(s, "Page.navigate", json_pack("{s:s}", "url", s->url), s->session, navigate_cb);
}

static void attached_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    snprintf(s->session, sizeof s->session, "%s", json_string_value(json_object_get(r, "sessionId")));
    s->step = "configure";
    cdp_send(c, "Network.enable", NULL, s->session, NULL, NULL);
    cdp_send(c, "Emulation.setDeviceMetricsOverride",
             json_pack("{s:i,s:i,s:f,s:b}", "width", s->req.viewport_w, "height", s->req.viewport_h,
                       "deviceScaleFactor", s->req.scale > 0 ? s->req.scale : 1.0, "mobile", 0),
             s->session, NULL, NULL);
    send_cmd(s, "Page.enable", NULL, s->session, enabled_cb);
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

static void context_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    CHECK(s, err);
    snprintf(s->context_id, sizeof s->context_id, "%s", json_string_value(json_object_get(r, "browserContextId")));
    /* downloads never happen: a URL that is one fails at navigate with isDownload */
    cdp_send(c, "Browser.setDownloadBehavior",
             json_pack("{s:s,s:s}", "behavior", "deny", "browserContextId", s->context_id), NULL,
             NULL, NULL);
    s->step = "open tab";
    send_cmd(s, "Target.createTarget", json_pack("{s:s,s:s}", "url", "about:blank", "browserContextId", s->context_id),
             NULL, target_cb);
}

static int is_main_frame(shot_t *s, json_t *params)
{
    const char *frame = json_string_value(json_object_get(params, "frameId"));
    const char *type = json_string_value(json_object_get(params, "type"));
    return frame && type && !strcmp(type, "Document") && !strcmp(frame, s->target_id);
}

static void check_remote(shot_t *s, json_t *resp)
{
    const char *ip = json_string_value(json_object_get(resp, "remoteIPAddress"));
    char why[256];
    if (ip && *ip && s->req.addr_check && !s->req.addr_check(ip, why, sizeof why, s->req.addr_check_ud))
        finish(s, "%s failed: %s", why);
}

void shot_on_event(void *handle, const char *method, json_t *params, const char *session)
{
    shot_t *s = handle;
    if (s->finished || !session || strcmp(session, s->session) != 0)
        return;
    if (!strcmp(method, "Network.requestWillBeSent")) {
        const char *type = json_string_value(json_object_get(params, "type"));
        json_t *redirect = json_object_get(params, "redirectResponse");
        /* a redirect reuses the request id: it is still the same request in flight */
        if (!redirect && !(type && (!strcmp(type, "WebSocket") || !strcmp(type, "EventSource"))))
            s->requests++;
        s->last_net_ms = uv_now(s->loop);
        if (redirect && is_main_frame(s, params)) {
            if (!s->res.redirects)
                s->res.redirects = json_array();
            json_array_append_new(s->res.redirects,
                json_pack("{s:O?,s:O?}", "url", json_object_get(redirect, "url"),
                          "status", json_object_get(redirect, "status")));
            check_remote(s, redirect);
        }
    } else if (!strcmp(method, "Network.loadingFinished") || !strcmp(method, "Network.loadingFailed")) {
        if (s->requests > 0)
            s->requests--;
        s->last_net_ms = uv_now(s->loop);
    } else if (!strcmp(method, "Network.responseReceived")) {
        json_t *resp = json_object_get(params, "response");
        if (is_main_frame(s, params)) {
            s->res.http_status = (int)json_integer_value(json_object_get(resp, "status"));
            const char *u = json_string_value(json_object_get(resp, "url"));
            copy_text(s->res.final_url, sizeof s->res.final_url, u);
        }
        check_remote(s, resp);
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
        s->res.crashed = 1;
        finish(s, "%s failed: %s", "the page's renderer crashed");
    }
}

void shot_cancel(void *handle, const char *reason)
{
    shot_t *s = handle;
    if (s->finished)
        return;
    s->res.canceled = 1;
    finish(s, "%s: %s", reason);
}

void shot_fail(void *handle, const char *reason)
{
    shot_t *s = handle;
    finish(s, "%s failed: %s", reason);
}

const char *shot_frame_id(const void *handle)
{
    const shot_t *s = handle;
    return s->target_id;
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

void *shot_begin(cdp_t *c, uv_loop_t *loop, const shot_request_t *req, shot_done_cb done, void *ud)
{
    shot_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cdp = c;
    s->loop = loop;
    s->req = *req;
    snprintf(s->url, sizeof s->url, "%s", req->url);
    s->req.url = s->url;
    s->done = done;
    s->ud = ud;
    s->step = "new context";
    int timeout = req->timeout_ms > 0 ? req->timeout_ms : 30000;
    /* waiting gets the timeout minus a reserve for measuring and capturing a tall page */
    int reserve = timeout / 3 < 10000 ? timeout / 3 : 10000;
    s->started_ms = s->t_mark = uv_now(loop);
    s->wait_until_ms = s->started_ms + (uint64_t)(timeout - reserve);
    uv_timer_init(loop, &s->deadline);
    s->deadline.data = s;
    uv_timer_init(loop, &s->idle);
    s->idle.data = s;
    uv_timer_start(&s->deadline, deadline_cb, (uint64_t)timeout, 0);
    if (send_cmd(s, "Target.createBrowserContext", json_pack("{s:b}", "disposeOnDetach", 1), NULL,
                 context_cb) < 0) {
        s->finished = 1;
        uv_close((uv_handle_t *)&s->deadline, timer_closed_cb);
        uv_close((uv_handle_t *)&s->idle, timer_closed_cb);
        return NULL;
    }
    return s;
}
