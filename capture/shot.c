/* shot.c -- the steps of one capture as a chain of CDP replies and events. Each step has
 * the capture's deadline; the first failure ends the capture with the step's name in the
 * error. The screenshot's base64 is decoded straight into the output buffer and written
 * with write + fsync + rename, so a reader never sees half a PNG. */
#include "shot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    cdp_t *cdp;
    uv_loop_t *loop;
    shot_request_t req;
    char url[8192], out_path[4096];
    char context_id[128], target_id[128], session[128];
    shot_result_t res;
    shot_done_cb done;
    void *ud;
    uv_timer_t deadline;
    const char *step;
    int finished, loaded;
    int inflight;          /* commands sent with this capture as their ud */
    int timer_closed;
    uv_timer_t idle;       /* polls for network quiet after the load event */
    int idle_closed;
    int requests;          /* page requests in flight (Network events) */
    uint64_t last_net_ms;  /* loop time of the last request start or end */
    uint64_t idle_since_ms;
} shot_t;

#define QUIET_MS 500       /* no request in flight for this long: the page is done */
#define IDLE_CAP_MS 10000  /* at most this long waiting for quiet; then capture, partial */

static void next_after_load(shot_t *s);

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

long shot_base64_decode(const char *in, size_t len, unsigned char *out)
{
    unsigned acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == '=')
            break;
        if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t')
            continue;
        int v = b64_value(ch);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

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
 * out, crashed) only drops its reference. Returns 1 when the callback must stop. */
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

static void finish(shot_t *s, const char *fmt, const char *detail)
{
    if (s->finished)
        return;
    s->finished = 1;
    if (fmt) {
        s->res.ok = 0;
        snprintf(s->res.error, sizeof s->res.error, fmt, s->step, detail ? detail : "");
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

static void shot_written(shot_t *s, const unsigned char *png, long n)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->out_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        finish(s, "%s failed: cannot write the PNG: %s", strerror(errno));
        return;
    }
    long off = 0;
    while (off < n) {
        ssize_t w = write(fd, png + off, (size_t)(n - off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            unlink(tmp);
            finish(s, "%s failed: cannot write the PNG: %s", strerror(errno));
            return;
        }
        off += w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, s->out_path) != 0) {
        unlink(tmp);
        finish(s, "%s failed: cannot save the PNG: %s", strerror(errno));
        return;
    }
    s->res.ok = 1;
    s->res.bytes = n;
    finish(s, NULL, NULL);
}

static void screenshot_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    CHECK(s, err);
    const char *data = json_string_value(json_object_get(r, "data"));
    size_t len = json_string_length(json_object_get(r, "data"));
    unsigned char *png = data ? malloc(len * 3 / 4 + 3) : NULL;
    long n = png ? shot_base64_decode(data, len, png) : -1;
    if (n < 8 || memcmp(png, "\x89PNG", 4) != 0) {
        free(png);
        finish(s, "%s failed: %s", "the browser sent no PNG");
        return;
    }
    shot_written(s, png, n);
    free(png);
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
             json_pack("{s:s,s:b,s:b,s:{s:i,s:i,s:i,s:i,s:i}}", "format", "png",
                       "captureBeyondViewport", 1, "fromSurface", 1, "clip", "x", 0, "y", 0,
                       "width", width, "height", height, "scale", 1),
             s->session, screenshot_cb);
}

static void scrolled_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)c;
    (void)r;
    CHECK(s, err);
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
        snprintf(s->res.title, sizeof s->res.title, "%s", json_string_value(v));
    s->step = "load lazy content";
    char expr[sizeof lazy_script + 32];
    snprintf(expr, sizeof expr, "%s(%d)", lazy_script, s->req.height_cap);
    send_cmd(s, "Runtime.evaluate",
             json_pack("{s:s,s:b,s:b}", "expression", expr, "awaitPromise", 1, "returnByValue", 1),
             s->session, scrolled_cb);
}

static void after_quiet(shot_t *s)
{
    s->step = "title";
    send_cmd(s, "Runtime.evaluate",
             json_pack("{s:s,s:b}", "expression", "document.title", "returnByValue", 1),
             s->session, title_cb);
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
        finish(s, "%s failed: %s", et);
        return;
    }
    s->step = "wait for load";
    if (s->loaded)
        next_after_load(s);
}

static void enabled_cb(cdp_t *c, json_t *r, const char *err, void *ud)
{
    shot_t *s = ud;
    (void)r;
    CHECK(s, err);
    s->step = "navigate";
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
             json_pack("{s:i,s:i,s:i,s:b}", "width", s->req.viewport_w, "height", s->req.viewport_h,
                       "deviceScaleFactor", 1, "mobile", 0), s->session, NULL, NULL);
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

/* After the load event: wait until no request has been in flight for QUIET_MS (counted
 * from Network events as Playwright does; CDP's own networkIdle may never fire), at most
 * IDLE_CAP_MS; hitting the cap still captures, marked partial with the reason. */
static void idle_poll_cb(uv_timer_t *t)
{
    shot_t *s = t->data;
    if (s->finished)
        return;
    uint64_t now = uv_now(s->loop);
    if (s->requests <= 0 && now - s->last_net_ms >= QUIET_MS) {
        uv_timer_stop(t);
        after_quiet(s);
    } else if (now - s->idle_since_ms >= IDLE_CAP_MS) {
        uv_timer_stop(t);
        s->res.partial = 1;
        snprintf(s->res.partial_reason, sizeof s->res.partial_reason,
                 "the network was not quiet after %d s (%d requests in flight)", IDLE_CAP_MS / 1000,
                 s->requests);
        after_quiet(s);
    }
}

static void next_after_load(shot_t *s)
{
    s->step = "wait for network idle";
    s->idle_since_ms = uv_now(s->loop);
    uv_timer_start(&s->idle, idle_poll_cb, 50, 50);
}

/* Events are routed here by the owner (see shot_on_event in ls-capture / the engine). */
void shot_on_event(void *handle, const char *method, json_t *params, const char *session)
{
    shot_t *s = handle;
    if (s->finished || !session || strcmp(session, s->session) != 0)
        return;
    if (!strcmp(method, "Network.requestWillBeSent")) {
        const char *type = json_string_value(json_object_get(params, "type"));
        /* a redirect reuses the request id: it is still the same request in flight */
        if (!json_object_get(params, "redirectResponse") &&
            !(type && (!strcmp(type, "WebSocket") || !strcmp(type, "EventSource"))))
            s->requests++;
        s->last_net_ms = uv_now(s->loop);
    } else if (!strcmp(method, "Network.loadingFinished") || !strcmp(method, "Network.loadingFailed")) {
        if (s->requests > 0)
            s->requests--;
        s->last_net_ms = uv_now(s->loop);
    }
    if (!strcmp(method, "Page.loadEventFired")) {
        s->loaded = 1;
        if (!strcmp(s->step, "wait for load"))
            next_after_load(s);
    } else if (!strcmp(method, "Network.responseReceived") &&
               !strcmp(json_string_value(json_object_get(params, "type")) ? json_string_value(json_object_get(params, "type")) : "", "Document") &&
               !s->res.http_status) {
        json_t *resp = json_object_get(params, "response");
        s->res.http_status = (int)json_integer_value(json_object_get(resp, "status"));
        snprintf(s->res.final_url, sizeof s->res.final_url, "%s", json_string_value(json_object_get(resp, "url")) ? json_string_value(json_object_get(resp, "url")) : "");
    } else if (!strcmp(method, "Page.javascriptDialogOpening")) {
        /* a pending alert/confirm/prompt blocks every command to the page, the screenshot
         * included: dismiss it (accept beforeunload, so navigation can go on) */
        const char *type = json_string_value(json_object_get(params, "type"));
        int accept = type && !strcmp(type, "beforeunload");
        cdp_send(s->cdp, "Page.handleJavaScriptDialog", json_pack("{s:b}", "accept", accept),
                 s->session, NULL, NULL);
    } else if (!strcmp(method, "Inspector.targetCrashed")) {
        finish(s, "%s failed: %s", "the page's renderer crashed");
    }
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
    snprintf(s->out_path, sizeof s->out_path, "%s", req->out_path);
    s->req.url = s->url;
    s->req.out_path = s->out_path;
    s->done = done;
    s->ud = ud;
    s->step = "new context";
    uv_timer_init(loop, &s->deadline);
    s->deadline.data = s;
    uv_timer_init(loop, &s->idle);
    s->idle.data = s;
    uv_timer_start(&s->deadline, deadline_cb, (uint64_t)(req->timeout_ms > 0 ? req->timeout_ms : 30000), 0);
    if (send_cmd(s, "Target.createBrowserContext", json_pack("{s:b}", "disposeOnDetach", 1), NULL,
                 context_cb) < 0) {
        uv_timer_stop(&s->deadline);
        uv_close((uv_handle_t *)&s->deadline, timer_closed_cb);
        return NULL;
    }
    return s;
}

