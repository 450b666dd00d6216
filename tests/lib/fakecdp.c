/* fakecdp.c -- a scripted stand-in for Chromium, for tests of the capture engine that need no
 * real browser (a test tool beside the real-Chromium tests, never instead of them).
 *
 * linksnapd starts it as it starts Chromium (browser.path = this binary): it speaks the
 * DevTools protocol over --remote-debugging-pipe, reading NUL-terminated JSON commands on
 * fd 3 and writing replies and events on fd 4, and exits when fd 3 reaches EOF (the lifeline).
 * It keeps the state a capture touches (browser contexts, tabs, flat sessions) and answers
 * every method a capture sends with what Chromium would: a navigation is followed by the
 * main document's network events and the load event, the in-page scripts get canned results,
 * the screenshot is a real PNG of the clip's size; the page's text, its MHTML
 * (Page.captureSnapshot) and its PDF (Page.printToPDF as a stream, IO.read, IO.close) are
 * small canned answers.
 *
 * What it does is read from a scenario (JSON, the file named by FAKECDP_SCENARIO):
 *   { "pages": [ {"match": "substring of the URL", "status": 200, "title": "...",
 *                 "height": 1500, "width": 1280, "load_ms": 20, "no_load": false,
 *                 "inflight": 0, "blank": false, "noise": false, "net_error": "net::ERR_...",
 *                 "redirects": ["http://first/", ...], "headers": {...},
 *                 "markup": "<html>...", "script": "answer" | "hang" | "error",
 *                 "consent": "{...json text...}", "text": "the page's text",
 *                 "mhtml_bytes": 1000000} ...],        first match wins
 *     "faults": [ {"method": "Page.captureScreenshot", "url": "/crash", "times": 1,
 *                  "nth": 1, "generation": 1,
 *                  "do": "error" | "delay" | "hang" | "crash" | "exit" | "disconnect" |
 *                        "garbage",
 *                  "ms": 500, "message": "...", "code": 1} ...] }
 * A fault applies to a command of its method when every condition it names holds: url, a
 * substring of the tab's URL (or of Page.navigate's url); nth, the command is that method's
 * nth in this process (1 = the first); generation, the process is the nth started with the
 * same FAKECDP_STATE directory (1 = the first browser, 2 = the one started after it, ...);
 * times, it has applied fewer times than this, counted over every process of the same
 * FAKECDP_STATE directory (so a fault that kills the browser does not strike again in the
 * browser started after it). The first fault that applies acts.
 *   error: an error reply; delay: the normal answer ms later; hang: no answer ever;
 *   crash: Inspector.targetCrashed on the command's session instead of an answer;
 *   exit: the process exits at once with status code; disconnect: both pipes are closed
 *   and the process lives on until it is killed; garbage: a reply that starts as one
 *   ({"id":N,) and is not JSON, then (with "event": true) an unreadable message with no
 *   id, and no answer ever.
 * Every command received is appended to FAKECDP_LOG (JSON lines: gen, method, session,
 * params) so that a test can check what the engine sent. One thread, one libuv loop. */
#include <png.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "util.h"

#define MAX_TABS 256

typedef struct {
    char target[32], session[32], context[32];
    char url[2048];        /* the last navigation's */
    json_t *page;          /* the scenario's page for the tab's URL (borrowed), or NULL */
    int used;
} tab_t;

typedef struct {
    uv_loop_t *loop;
    uv_pipe_t in, out;
    int out_open, in_open;
    char *rbuf;
    size_t rlen, rcap;
    json_t *scenario;
    json_t *counts;        /* method -> how many received */
    FILE *log;
    int generation;
    int next_id;
    int exit_code, exiting;
    tab_t tabs[MAX_TABS];
} fake_t;

static fake_t F;

/* ---- output ------------------------------------------------------------------------------ */

static void write_done_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

/* Writes one message as it is, with its NUL. */
static void send_raw(const char *text)
{
    if (!F.out_open)
        return;
    size_t n = strlen(text);
    uv_write_t *w = malloc(sizeof *w);
    char *data = malloc(n + 1);
    if (!w || !data) {
        free(w);
        free(data);
        return;
    }
    memcpy(data, text, n + 1);   /* the NUL is the frame's end */
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned)(n + 1));
    if (uv_write(w, (uv_stream_t *)&F.out, &b, 1, write_done_cb) != 0) {
        free(data);
        free(w);
    }
}

static void send_json(json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text)
        send_raw(text);
    free(text);
}

static void reply(json_int_t id, const char *session, json_t *result)
{
    json_t *m = json_pack("{s:I,s:o}", "id", id, "result", result ? result : json_object());
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(m);
}

static void reply_error(json_int_t id, const char *session, const char *message)
{
    json_t *m = json_pack("{s:I,s:{s:i,s:s}}", "id", id, "error", "code", -32000, "message", message);
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(m);
}

static void event(const char *method, const char *session, json_t *params)
{
    json_t *m = json_pack("{s:s,s:o}", "method", method, "params", params ? params : json_object());
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(m);
}

/* ---- later ------------------------------------------------------------------------------ */

typedef void (*later_fn)(json_t *arg);
typedef struct {
    uv_timer_t t;
    later_fn fn;
    json_t *arg;           /* owned */
} later_t;

static void later_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

static void later_fire_cb(uv_timer_t *t)
{
    later_t *l = t->data;
    l->fn(l->arg);
    json_decref(l->arg);
    uv_close((uv_handle_t *)&l->t, later_closed_cb);
}

static void later(uint64_t ms, later_fn fn, json_t *arg)
{
    later_t *l = calloc(1, sizeof *l);
    if (!l) {
        json_decref(arg);
        return;
    }
    l->fn = fn;
    l->arg = arg;
    uv_timer_init(F.loop, &l->t);
    l->t.data = l;
    uv_timer_start(&l->t, later_fire_cb, ms, 0);
}

/* ---- the scenario ------------------------------------------------------------------------ */

static json_t *page_for(const char *url)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(F.scenario, "pages"), i, p) {
        const char *m = json_string_value(json_object_get(p, "match"));
        if (!m || (url && strstr(url, m)))
            return p;
    }
    return NULL;
}

static json_int_t page_int(json_t *page, const char *key, json_int_t dflt)
{
    json_t *v = json_object_get(page, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static const char *page_str(json_t *page, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(page, key));
    return v ? v : dflt;
}

/* How often fault i has acted, over every process of the state directory; add = 1 counts
 * one more. Without a state directory, this process's own count. */
static json_int_t fault_used(size_t i, int add)
{
    static json_int_t own[256];
    const char *dir = getenv("FAKECDP_STATE");
    if (i >= 256)
        return 0;
    if (!dir || !*dir) {
        own[i] += add;
        return own[i];
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fakecdp.fault%zu", dir, i);
    long long n = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%lld", &n) != 1)
            n = 0;
        fclose(f);
    }
    if (add) {
        n += add;
        f = fopen(path, "w");
        if (f) {
            fprintf(f, "%lld\n", n);
            fclose(f);
        }
    }
    return (json_int_t)n;
}

/* The fault that applies to the nth command of method, about url (may be NULL), or NULL.
 * Counts the application (times). */
static json_t *fault_for(const char *method, json_int_t nth, const char *url)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(F.scenario, "faults"), i, f) {
        const char *m = json_string_value(json_object_get(f, "method"));
        const char *u = json_string_value(json_object_get(f, "url"));
        json_t *want = json_object_get(f, "nth"), *gen = json_object_get(f, "generation");
        json_t *times = json_object_get(f, "times");
        json_int_t used = fault_used(i, 0);
        if (!m || strcmp(m, method) != 0 || (u && (!url || !strstr(url, u))) ||
            (json_is_integer(want) && json_integer_value(want) != nth) ||
            (json_is_integer(gen) && json_integer_value(gen) != F.generation) ||
            (json_is_integer(times) && used >= json_integer_value(times)))
            continue;
        fault_used(i, 1);
        return f;
    }
    return NULL;
}

static tab_t *tab_by_session(const char *session)
{
    for (int i = 0; session && i < MAX_TABS; i++)
        if (F.tabs[i].used && !strcmp(F.tabs[i].session, session))
            return &F.tabs[i];
    return NULL;
}

static tab_t *tab_by_target(const char *target)
{
    for (int i = 0; target && i < MAX_TABS; i++)
        if (F.tabs[i].used && !strcmp(F.tabs[i].target, target))
            return &F.tabs[i];
    return NULL;
}

/* ---- a page's life ----------------------------------------------------------------------- */

/* After a navigation: the main document's requests (redirects first), its response, its
 * end, then the load event; "inflight" more requests start and never end. */
static void page_events(json_t *arg)
{
    const char *session = json_string_value(json_object_get(arg, "session"));
    const char *url = json_string_value(json_object_get(arg, "url"));
    tab_t *t = tab_by_session(session);
    if (!t || !url)
        return;
    json_t *page = t->page;
    const char *frame = t->target;
    const char *doc_url = url;
    size_t i;
    json_t *r;
    json_t *redirects = json_object_get(page, "redirects");
    json_array_foreach(redirects, i, r) {
        const char *from = i == 0 ? url : json_string_value(json_array_get(redirects, i - 1));
        json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "requestId", "main", "loaderId", "L",
                              "frameId", frame, "type", "Document", "request", "url", from);
        if (i > 0)
            json_object_set_new(p, "redirectResponse",
                                json_pack("{s:s,s:i}", "url", from, "status", 302));
        event("Network.requestWillBeSent", session, p);
    }
    json_t *first = json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "requestId", "main", "loaderId", "L",
                              "frameId", frame, "type", "Document", "request", "url",
                              json_array_size(redirects) ? json_string_value(json_array_get(redirects, json_array_size(redirects) - 1)) : url);
    if (json_array_size(redirects)) {
        doc_url = json_string_value(json_array_get(redirects, json_array_size(redirects) - 1));
        const char *prev = json_array_size(redirects) > 1
            ? json_string_value(json_array_get(redirects, json_array_size(redirects) - 2)) : url;
        json_object_set_new(first, "redirectResponse", json_pack("{s:s,s:i}", "url", prev, "status", 302));
    }
    event("Network.requestWillBeSent", session, first);
    json_t *headers = json_object_get(page, "headers");
    event("Network.responseReceived", session,
          json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:I,s:O}}", "requestId", "main", "loaderId", "L",
                    "frameId", frame, "type", "Document", "response", "url", doc_url, "status",
                    page_int(page, "status", 200), "headers",
                    json_is_object(headers) ? headers : json_object()));
    event("Network.loadingFinished", session, json_pack("{s:s}", "requestId", "main"));
    json_int_t inflight = page_int(page, "inflight", 0);
    for (json_int_t k = 0; k < inflight; k++) {
        char id[32];
        snprintf(id, sizeof id, "hang%lld", (long long)k);
        event("Network.requestWillBeSent", session,
              json_pack("{s:s,s:s,s:s,s:{s:s}}", "requestId", id, "frameId", frame, "type", "XHR",
                        "request", "url", doc_url));
    }
    if (!json_is_true(json_object_get(page, "no_load")))
        event("Page.loadEventFired", session, json_pack("{s:f}", "timestamp", 1.0));
}

/* Writes a PNG of w x h to f: bands of colour with dark marks in them, one flat colour
 * ("blank"), or random pixels that do not compress ("noise": a reply as large as its
 * pixels). 0, or -1 when libpng failed (its longjmp lands here: nothing this function
 * changes after setjmp is read afterwards). */
static int write_png(FILE *f, png_structp png, png_infop info, unsigned char *row, int w, int h,
                     int blank, int noise)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_init_io(png, f);
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char *p = row + x * 3;
            if (blank) {
                p[0] = p[1] = p[2] = 255;
            } else if (noise) {
                p[0] = (unsigned char)rand();
                p[1] = (unsigned char)rand();
                p[2] = (unsigned char)rand();
            } else if ((x / 8 + y / 8) % 7 == 0) {
                p[0] = p[1] = p[2] = 20;              /* a mark: text-like ink */
            } else {
                p[0] = (unsigned char)(200 + (y / 100) % 50);
                p[1] = (unsigned char)(220 - (y / 100) % 40);
                p[2] = 240;
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    return 0;
}

/* That PNG in base64 (malloc'ed), or NULL. */
static char *make_png_b64(int w, int h, int blank, int noise)
{
    char *out = NULL, *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    png_structp png = f ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    if (png && info && row && write_png(f, png, info, row, w, h, blank, noise) == 0 && fflush(f) == 0)
        out = util_base64_encode(mem, len);
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    if (f)
        fclose(f);
    free(mem);
    free(row);
    return out;
}

/* ---- commands ---------------------------------------------------------------------------- */

static void answer(json_t *msg);

static void answer_later_cb(json_t *msg)
{
    answer(msg);
}

static void crash_later_cb(json_t *arg)
{
    event("Inspector.targetCrashed", json_string_value(json_object_get(arg, "session")), NULL);
}

/* The normal answer to a command. */
static void answer(json_t *msg)
{
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    const char *method = json_string_value(json_object_get(msg, "method"));
    const char *session = json_string_value(json_object_get(msg, "sessionId"));
    json_t *params = json_object_get(msg, "params");
    tab_t *t = tab_by_session(session);
    static int serial;
    char name[32];
    if (!method) {
        reply_error(id, session, "no method");
    } else if (!strcmp(method, "Browser.getVersion")) {
        reply(id, NULL, json_pack("{s:s,s:s,s:s,s:s}", "protocolVersion", "1.3", "product",
                                  "HeadlessChrome/156.0.0.0 (fakecdp)", "userAgent",
                                  "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 fakecdp",
                                  "jsVersion", "0"));
    } else if (!strcmp(method, "Target.createBrowserContext")) {
        snprintf(name, sizeof name, "CTX%d", ++serial);
        reply(id, NULL, json_pack("{s:s}", "browserContextId", name));
    } else if (!strcmp(method, "Target.createTarget")) {
        int i = 0;
        while (i < MAX_TABS && F.tabs[i].used)
            i++;
        if (i == MAX_TABS) {
            reply_error(id, session, "too many tabs");
            return;
        }
        tab_t *nt = &F.tabs[i];
        memset(nt, 0, sizeof *nt);
        nt->used = 1;
        snprintf(nt->target, sizeof nt->target, "T%d", ++serial);
        snprintf(nt->context, sizeof nt->context, "%s",
                 page_str(params, "browserContextId", ""));
        reply(id, NULL, json_pack("{s:s}", "targetId", nt->target));
    } else if (!strcmp(method, "Target.attachToTarget")) {
        tab_t *at = tab_by_target(json_string_value(json_object_get(params, "targetId")));
        if (!at) {
            reply_error(id, session, "No target with given id found");
            return;
        }
        snprintf(at->session, sizeof at->session, "S%d", ++serial);
        reply(id, NULL, json_pack("{s:s}", "sessionId", at->session));
    } else if (!strcmp(method, "Target.disposeBrowserContext") || !strcmp(method, "Target.closeTarget")) {
        const char *ctx = json_string_value(json_object_get(params, "browserContextId"));
        const char *tg = json_string_value(json_object_get(params, "targetId"));
        for (int i = 0; i < MAX_TABS; i++)
            if (F.tabs[i].used && ((ctx && !strcmp(F.tabs[i].context, ctx)) ||
                                   (tg && !strcmp(F.tabs[i].target, tg))))
                F.tabs[i].used = 0;
        reply(id, NULL, NULL);
    } else if (!strcmp(method, "Page.navigate")) {
        const char *url = json_string_value(json_object_get(params, "url"));
        if (!t) {
            reply_error(id, session, "Session with given id not found");
            return;
        }
        t->page = page_for(url);
        snprintf(t->url, sizeof t->url, "%s", url ? url : "");
        const char *ne = json_string_value(json_object_get(t->page, "net_error"));
        if (ne) {
            reply(id, session, json_pack("{s:s,s:s,s:s}", "frameId", t->target, "loaderId", "L",
                                         "errorText", ne));
            return;
        }
        reply(id, session, json_pack("{s:s,s:s}", "frameId", t->target, "loaderId", "L"));
        later((uint64_t)page_int(t->page, "load_ms", 10), page_events,
              json_pack("{s:s,s:s}", "session", session, "url", url ? url : ""));
    } else if (!strcmp(method, "Runtime.evaluate") || !strcmp(method, "Runtime.callFunctionOn")) {
        const char *expr = json_string_value(json_object_get(params, "expression"));
        if (!expr)
            expr = json_string_value(json_object_get(params, "functionDeclaration"));
        json_t *page = t ? t->page : NULL;
        const char *how = page_str(page, "script", "answer");
        if (expr && strstr(expr, "async (cap")) {   /* the waits' in-page script */
            if (!strcmp(how, "hang"))
                return;
            if (!strcmp(how, "error")) {
                reply(id, session, json_pack("{s:{s:s,s:s},s:{s:s}}", "result", "type", "object",
                                             "subtype", "error", "exceptionDetails", "text", "Uncaught"));
                return;
            }
            char markup[512];
            snprintf(markup, sizeof markup, "<html><head><title>%s</title></head><body>fake page</body></html>",
                     page_str(page, "title", "Fake page"));
            reply(id, session,
                  json_pack("{s:{s:s,s:{s:s,s:i,s:[],s:i,s:b,s:s,s:b}}}", "result", "type", "object",
                            "value", "title", page_str(page, "title", "Fake page"), "steps", 0,
                            "cut", "pending", 0, "found", 1, "markup",
                            page_str(page, "markup", markup), "revealed", 0));
        } else if (expr && strstr(expr, "linksnapText(")) {   /* the page's text (pagetext.c) */
            if (!strcmp(how, "error")) {
                reply(id, session, json_pack("{s:{s:s,s:s},s:{s:s}}", "result", "type", "object",
                                             "subtype", "error", "exceptionDetails", "text", "Uncaught"));
                return;
            }
            const char *text = page_str(page, "text", "Fake page text");
            reply(id, session,
                  json_pack("{s:{s:s,s:{s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:b,s:b}}}", "result",
                            "type", "object", "value", "title", page_str(page, "title", "Fake page"),
                            "byline", "", "lang", "en", "excerpt", "", "blocks", "kind", "p",
                            "text", text, "text", text, "cut", 0, "article", 1));
        } else {
            /* the consent pass, and anything else: a JSON text report */
            reply(id, session, json_pack("{s:{s:s,s:s}}", "result", "type", "string", "value",
                                         page_str(page, "consent", "{\"layers\":0,\"managers\":[],\"hidden\":[],\"kept\":[]}")));
        }
    } else if (!strcmp(method, "Page.createIsolatedWorld")) {
        reply(id, session, json_pack("{s:i}", "executionContextId", ++serial));
    } else if (!strcmp(method, "Page.getLayoutMetrics")) {
        json_t *page = t ? t->page : NULL;
        json_int_t w = page_int(page, "width", 1280), h = page_int(page, "height", 1500);
        reply(id, session, json_pack("{s:{s:i,s:i,s:I,s:I},s:{s:i,s:i,s:i,s:i}}", "cssContentSize",
                                     "x", 0, "y", 0, "width", w, "height", h, "cssLayoutViewport",
                                     "pageX", 0, "pageY", 0, "clientWidth", 1280, "clientHeight", 800));
    } else if (!strcmp(method, "Page.captureScreenshot")) {
        json_t *clip = json_object_get(params, "clip");
        int w = (int)json_number_value(json_object_get(clip, "width"));
        int h = (int)json_number_value(json_object_get(clip, "height"));
        if (w <= 0 || h <= 0 || w > 16384 || h > 200000) {
            reply_error(id, session, "Unable to capture screenshot");
            return;
        }
        char *b64 = make_png_b64(w, h, t && json_is_true(json_object_get(t->page, "blank")),
                                 t && json_is_true(json_object_get(t->page, "noise")));
        if (!b64) {
            reply_error(id, session, "Unable to capture screenshot");
            return;
        }
        reply(id, session, json_pack("{s:s}", "data", b64));
        free(b64);
    } else if (!strcmp(method, "Page.captureSnapshot")) {
        /* a small MHTML; a page's "mhtml_bytes" pads it to that size */
        json_int_t n = page_int(t ? t->page : NULL, "mhtml_bytes", 0);
        static const char head[] = "From: <Saved by Blink>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n\tboundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/html\r\nContent-Location: fake:\r\n\r\n<html>fake</html>\r\n";
        size_t len = strlen(head) + 8 + (n > 0 ? (size_t)n : 0);
        char *m = malloc(len + 1);
        if (!m) {
            reply_error(id, session, "out of memory");
            return;
        }
        size_t at = (size_t)snprintf(m, len + 1, "%s", head);
        while (at + 8 < len)
            m[at++] = 'x';
        snprintf(m + at, len + 1 - at, "\r\n--B--\r\n");
        reply(id, session, json_pack("{s:s}", "data", m));
        free(m);
    } else if (!strcmp(method, "Page.printToPDF")) {
        char stream[32];
        snprintf(stream, sizeof stream, "pdf-%d", ++serial);
        reply(id, session, json_pack("{s:s}", "stream", stream));
    } else if (!strcmp(method, "IO.read")) {
        /* "%PDF-1.4 fake\n%%EOF\n" in one base64 chunk */
        reply(id, session, json_pack("{s:b,s:s,s:b}", "base64Encoded", 1, "data",
                                     "JVBERi0xLjQgZmFrZQolJUVPRgo=", "eof", 1));
    } else {
        reply(id, session, NULL);   /* enable, set..., addScript..., IO.close: nothing to say */
    }
}

static void close_pipes(void)
{
    if (F.out_open) {
        uv_close((uv_handle_t *)&F.out, NULL);
        F.out_open = 0;
    }
    if (F.in_open) {
        uv_close((uv_handle_t *)&F.in, NULL);
        F.in_open = 0;
    }
}

static void handle_message(const char *text, size_t n)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, n, 0, &jerr);
    if (!msg)
        return;
    const char *method = json_string_value(json_object_get(msg, "method"));
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    const char *session = json_string_value(json_object_get(msg, "sessionId"));
    json_int_t nth = 0;
    if (method) {
        nth = json_integer_value(json_object_get(F.counts, method)) + 1;
        json_object_set_new(F.counts, method, json_integer(nth));
    }
    if (F.log) {
        json_t *line = json_pack("{s:i,s:s?,s:s?,s:O?}", "gen", F.generation, "method", method,
                                 "session", session, "params", json_object_get(msg, "params"));
        char *s = json_dumps(line, JSON_COMPACT);
        if (s)
            fprintf(F.log, "%s\n", s);
        fflush(F.log);
        free(s);
        json_decref(line);
    }
    const char *about = method && !strcmp(method, "Page.navigate")
        ? json_string_value(json_object_get(json_object_get(msg, "params"), "url")) : NULL;
    if (!about && tab_by_session(session))
        about = tab_by_session(session)->url;
    json_t *fault = method ? fault_for(method, nth, about) : NULL;
    const char *what = fault ? json_string_value(json_object_get(fault, "do")) : NULL;
    if (!what) {
        answer(msg);
    } else if (!strcmp(what, "error")) {
        reply_error(id, session, page_str(fault, "message", "fakecdp: a scripted error"));
    } else if (!strcmp(what, "delay")) {
        later((uint64_t)page_int(fault, "ms", 100), answer_later_cb, json_incref(msg));
    } else if (!strcmp(what, "hang")) {
        /* never answered */
    } else if (!strcmp(what, "crash")) {
        later(1, crash_later_cb, json_pack("{s:s}", "session", session ? session : ""));
    } else if (!strcmp(what, "exit")) {
        F.exit_code = (int)page_int(fault, "code", 1);
        F.exiting = 1;
        close_pipes();
        uv_stop(F.loop);
    } else if (!strcmp(what, "disconnect")) {
        close_pipes();
    } else if (!strcmp(what, "garbage")) {
        char bad[64];
        snprintf(bad, sizeof bad, "{\"id\":%lld,\"result\":{\"data\":tru", (long long)id);
        send_raw(bad);
        if (json_is_true(json_object_get(fault, "event")))
            send_raw("{\"method\":\"Page.frameNavigated\",\"params\":{");
    } else {
        answer(msg);
    }
    json_decref(msg);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    b->base = malloc(65536);
    b->len = b->base ? 65536 : 0;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    (void)s;
    if (nread < 0) {   /* the lifeline: linksnapd is gone or let go of us */
        free(b->base);
        F.exiting = 1;
        F.exit_code = 0;
        close_pipes();
        uv_stop(F.loop);
        return;
    }
    if (F.rlen + (size_t)nread + 1 > F.rcap) {
        size_t cap = (F.rlen + (size_t)nread + 1) * 2;
        char *nb = realloc(F.rbuf, cap);
        if (!nb) {
            free(b->base);
            return;
        }
        F.rbuf = nb;
        F.rcap = cap;
    }
    memcpy(F.rbuf + F.rlen, b->base, (size_t)nread);
    F.rlen += (size_t)nread;
    free(b->base);
    size_t start = 0;
    for (size_t i = 0; i < F.rlen && !F.exiting; i++) {
        if (F.rbuf[i] == '\0') {
            handle_message(F.rbuf + start, i - start);
            start = i + 1;
        }
    }
    if (F.exiting)
        return;
    memmove(F.rbuf, F.rbuf + start, F.rlen - start);
    F.rlen -= start;
}

/* The generation: how many fake browsers started before this one with the same state
 * directory, plus one. */
static int next_generation(const char *dir)
{
    if (!dir || !*dir)
        return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/fakecdp.generation", dir);
    int g = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%d", &g) != 1)
            g = 0;
        fclose(f);
    }
    g++;
    f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", g);
        fclose(f);
    }
    return g;
}

int main(void)
{
    const char *scen = getenv("FAKECDP_SCENARIO");
    json_error_t jerr;
    F.scenario = scen && *scen ? json_load_file(scen, 0, &jerr) : json_object();
    if (!F.scenario) {
        fprintf(stderr, "fakecdp: %s: %s (line %d)\n", scen, jerr.text, jerr.line);
        return 2;
    }
    F.counts = json_object();
    const char *logp = getenv("FAKECDP_LOG");
    if (logp && *logp)
        F.log = fopen(logp, "a");
    F.generation = next_generation(getenv("FAKECDP_STATE"));
    if (F.log) {
        fprintf(F.log, "{\"gen\":%d,\"start\":%d}\n", F.generation, (int)getpid());
        fflush(F.log);
    }
    F.loop = uv_default_loop();
    if (uv_pipe_init(F.loop, &F.in, 0) != 0 || uv_pipe_open(&F.in, 3) != 0 ||
        uv_pipe_init(F.loop, &F.out, 0) != 0 || uv_pipe_open(&F.out, 4) != 0) {
        fprintf(stderr, "fakecdp: fds 3 and 4 must be the DevTools pipe (--remote-debugging-pipe)\n");
        return 2;
    }
    F.in_open = F.out_open = 1;
    uv_read_start((uv_stream_t *)&F.in, alloc_cb, read_cb);
    uv_run(F.loop, UV_RUN_DEFAULT);
    if (!F.exiting && !F.in_open && !F.out_open) {
        /* disconnected on purpose: live on until killed, as a wedged browser would */
        for (;;)
            pause();
    }
    if (F.log)
        fclose(F.log);
    json_decref(F.scenario);
    json_decref(F.counts);
    free(F.rbuf);
    return F.exiting ? F.exit_code : 0;
}
