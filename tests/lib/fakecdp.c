/* fakecdp.c -- a scripted stand-in for Chromium, for tests of the capture engine that need no
 * real browser (a test tool beside the real-Chromium tests, never instead of them).
 *
 * It speaks the DevTools protocol over either of Chromium's two transports:
 *   - the pipe: linksnapd starts it as it starts Chromium (browser.path = this binary) and
 *     it reads NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4,
 *     exiting when fd 3 reaches EOF (the lifeline);
 *   - a websocket: `fakecdp --listen 127.0.0.1:PORT [--token T [--token-in header|query]]`
 *     (PORT 0: the system picks one) prints `listening PORT` on stdout and serves what a
 *     remote Chromium or browserless serves: `GET /json/version` (200 JSON with "Browser"
 *     and "webSocketDebuggerUrl": ws://HOST:PORT/devtools/browser/ID) and the websocket
 *     upgrade (RFC 6455) on /devtools/browser/ID. With --token, a missing or wrong token
 *     (header: `Authorization: Bearer T`; query: `?token=T`) gets HTTP 401 on both. Client
 *     frames must be masked; text, binary and continuation frames make messages (64 MB at
 *     most), a ping gets its pong, a close its close; replies are unmasked text frames of
 *     any size. Several connections at once are served, each a browser of its own (its own
 *     tabs, counts and generation, and the scenario read again when it connects); the
 *     process keeps listening until it is killed or an "exit" fault ends it.
 * Both transports feed the same message handler: one session (sess_t) per pipe or
 * websocket connection keeps the state a capture touches (browser contexts, tabs, flat
 * sessions) and answers every method a capture sends with what Chromium would: a
 * navigation is followed by the main document's network events and the load event, the
 * in-page scripts get canned results, the screenshot is a real PNG of the clip's size; the
 * page's text, its MHTML (Page.captureSnapshot) and its PDF (Page.printToPDF as a stream,
 * IO.read, IO.close) are small canned answers.
 *
 * What it does is read from a scenario (JSON, the file named by FAKECDP_SCENARIO):
 *   { "msg_delay_ms": 0,   every reply and event leaves this much later (a slow endpoint)
 *     "capture_ms": 0,     a screenshot's reply waits this long more (a capture's fixed,
 *                          CPU-free cost; a page's own "capture_ms" wins)
 *     "pages": [ {"match": "substring of the URL", "status": 200, "title": "...",
 *                 "height": 1500, "width": 1280, "load_ms": 20, "no_load": false,
 *                 "inflight": 0, "blank": false, "noise": false, "net_error": "net::ERR_...",
 *                 "redirects": ["http://first/", ...], "headers": {...},
 *                 "markup": "<html>...", "script": "answer" | "hang" | "error",
 *                 "consent": "{...json text...}", "text": "the page's text",
 *                 "mhtml_bytes": 1000000, "capture_ms": 0} ...],        first match wins
 *     "faults": [ {"method": "Page.captureScreenshot", "url": "/crash", "times": 1,
 *                  "nth": 1, "generation": 1,
 *                  "do": "error" | "delay" | "hang" | "crash" | "exit" | "disconnect" |
 *                        "garbage",
 *                  "ms": 500, "message": "...", "code": 1} ...] }
 * A fault applies to a command of its method when every condition it names holds: url, a
 * substring of the tab's URL (or of Page.navigate's url); nth, the command is that method's
 * nth in this session (1 = the first); generation, the session is the nth started with the
 * same FAKECDP_STATE directory (1 = the first browser process or websocket connection, 2 =
 * the one after it, ...); times, it has applied fewer times than this, counted over every
 * session of the same FAKECDP_STATE directory (so a fault that kills the browser does not
 * strike again in the browser started after it). The first fault that applies acts.
 *   error: an error reply; delay: the normal answer ms later; hang: no answer ever;
 *   crash: Inspector.targetCrashed on the command's session instead of an answer;
 *   exit: the process exits at once with status code (over a websocket too: every
 *   connection and the listener go with it); disconnect: the pipe mode closes both pipes
 *   and lives on until it is killed, a websocket is closed (close frame 1001, then the TCP
 *   connection) while the listener keeps accepting; garbage: a reply that starts as one
 *   ({"id":N,) and is not JSON, then (with "event": true) an unreadable message with no
 *   id, and no answer ever.
 * Every command received is appended to FAKECDP_LOG (JSON lines: gen, method, session,
 * params, and which transport carried it: "transport" "pipe" or "ws", "conn" the
 * connection's number in this process (1 = the first), and for "ws" the listening "port"),
 * and every session's start as {"gen", "start": pid, "transport", "conn"[, "port"]}, so
 * that a test can check what the engine sent and which endpoint ran a capture. One thread,
 * one libuv loop. */
#include <jansson.h>
#include <openssl/evp.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "util.h"

#define MAX_TABS 256
#define WS_MESSAGE_MAX ((size_t)64 << 20)   /* one client message, all its frames */
#define HTTP_HEAD_MAX 16384                 /* a request's line and headers */

typedef struct {
    char target[32], session[32], context[32];
    char url[2048];        /* the last navigation's */
    json_t *page;          /* the scenario's page for the tab's URL (borrowed), or NULL */
    int used;
} tab_t;

typedef struct sess sess_t;
/* A transport's two duties: carry one message (text[0..n), no NUL) and hang up. */
typedef struct {
    void (*send)(sess_t *s, const char *text, size_t n);
    void (*hangup)(sess_t *s);
} sess_ops_t;

/* One CDP session: one browser's state over one pipe or one websocket connection. Counted:
 * its transport holds a reference while open, each pending timer one more. */
struct sess {
    int refs;
    int open;              /* its transport can still carry messages */
    const sess_ops_t *ops;
    void *owner;           /* the transport's own (NULL once it let go) */
    const char *transport; /* "pipe" or "ws" */
    int conn;              /* 1, 2, ... in this process */
    int generation;
    json_t *scenario;      /* owned */
    json_t *counts;        /* method -> how many received */
    tab_t tabs[MAX_TABS];
};

static struct {
    uv_loop_t *loop;
    FILE *log;
    json_t *scenario;      /* the last one read (the pipe's, or --listen's latest) */
    int conns;             /* sessions started */
    int exit_code, exiting;
    int serial;            /* names of contexts, targets, sessions, streams */
    /* listen mode */
    uv_tcp_t server;
    char host[64];
    int port;
    char browser_id[40];
    const char *token;     /* NULL = none needed */
    int token_in_query;
} F;

/* ---- sessions and output ----------------------------------------------------------------- */

static sess_t *sess_new(const char *transport, const sess_ops_t *ops, void *owner);

static void sess_unref(sess_t *s)
{
    if (--s->refs > 0)
        return;
    json_decref(s->scenario);
    json_decref(s->counts);
    free(s);
}

/* The transport is gone: nothing more is sent; the last reference frees. */
static void sess_detach(sess_t *s)
{
    s->open = 0;
    s->owner = NULL;
    sess_unref(s);
}

/* ---- later ------------------------------------------------------------------------------ */

typedef void (*later_fn)(sess_t *s, json_t *arg);
typedef struct {
    uv_timer_t t;
    sess_t *s;             /* a reference */
    later_fn fn;
    json_t *arg;           /* owned */
    char *text;            /* a message to send as it is (msg_delay_ms), owned */
    size_t n;
} later_t;

static void later_closed_cb(uv_handle_t *h)
{
    later_t *l = h->data;
    json_decref(l->arg);
    free(l->text);
    sess_unref(l->s);
    free(l);
}

static void later_fire_cb(uv_timer_t *t)
{
    later_t *l = t->data;
    if (l->text) {
        if (l->s->open)
            l->s->ops->send(l->s, l->text, l->n);
    } else if (l->s->open && !F.exiting) {
        l->fn(l->s, l->arg);
    }
    uv_close((uv_handle_t *)&l->t, later_closed_cb);
}

/* Runs fn(s, arg) ms from now (not once s's transport is gone), or sends text[0..n) then
 * (fn NULL). Takes arg and text. */
static void later_any(sess_t *s, uint64_t ms, later_fn fn, json_t *arg, char *text, size_t n)
{
    later_t *l = calloc(1, sizeof *l);
    if (!l) {
        json_decref(arg);
        free(text);
        return;
    }
    l->s = s;
    s->refs++;
    l->fn = fn;
    l->arg = arg;
    l->text = text;
    l->n = n;
    uv_timer_init(F.loop, &l->t);
    l->t.data = l;
    uv_timer_start(&l->t, later_fire_cb, ms, 0);
}

static void later(sess_t *s, uint64_t ms, later_fn fn, json_t *arg)
{
    later_any(s, ms, fn, arg, NULL, 0);
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

/* Every reply and event: now, or msg_delay_ms later (in order: equal delays fire in the
 * order they were set). */
static void send_raw(sess_t *s, const char *text)
{
    if (!s->open)
        return;
    size_t n = strlen(text);
    json_int_t delay = page_int(s->scenario, "msg_delay_ms", 0);
    if (delay <= 0) {
        s->ops->send(s, text, n);
        return;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return;
    memcpy(copy, text, n + 1);
    later_any(s, (uint64_t)delay, NULL, NULL, copy, n);
}

static void send_json(sess_t *s, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text)
        send_raw(s, text);
    free(text);
}

static void reply(sess_t *s, json_int_t id, const char *session, json_t *result)
{
    json_t *m = json_pack("{s:I,s:o}", "id", id, "result", result ? result : json_object());
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(s, m);
}

static void reply_error(sess_t *s, json_int_t id, const char *session, const char *message)
{
    json_t *m = json_pack("{s:I,s:{s:i,s:s}}", "id", id, "error", "code", -32000, "message", message);
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(s, m);
}

static void event(sess_t *s, const char *method, const char *session, json_t *params)
{
    json_t *m = json_pack("{s:s,s:o}", "method", method, "params", params ? params : json_object());
    if (session)
        json_object_set_new(m, "sessionId", json_string(session));
    send_json(s, m);
}

/* ---- the scenario ------------------------------------------------------------------------ */

/* Reads FAKECDP_SCENARIO (none: an empty scenario). NULL with a sentence on stderr when the
 * file is not JSON. */
static json_t *scenario_load(void)
{
    const char *scen = getenv("FAKECDP_SCENARIO");
    json_error_t jerr;
    json_t *sc = scen && *scen ? json_load_file(scen, 0, &jerr) : json_object();
    if (!sc)
        fprintf(stderr, "fakecdp: %s: %s (line %d)\n", scen, jerr.text, jerr.line);
    return sc;
}

/* A new websocket connection reads the scenario again (a test may rewrite it between
 * browsers, as it may between the pipe mode's processes); a file that does not read keeps
 * the last one. */
static void scenario_refresh(void)
{
    json_t *sc = scenario_load();
    if (sc) {
        json_decref(F.scenario);
        F.scenario = sc;
    }
}

static json_t *page_for(sess_t *s, const char *url)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(s->scenario, "pages"), i, p) {
        const char *m = json_string_value(json_object_get(p, "match"));
        if (!m || (url && strstr(url, m)))
            return p;
    }
    return NULL;
}

/* How often fault i has acted, over every session of the state directory; add = 1 counts
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
static json_t *fault_for(sess_t *s, const char *method, json_int_t nth, const char *url)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(s->scenario, "faults"), i, f) {
        const char *m = json_string_value(json_object_get(f, "method"));
        const char *u = json_string_value(json_object_get(f, "url"));
        json_t *want = json_object_get(f, "nth"), *gen = json_object_get(f, "generation");
        json_t *times = json_object_get(f, "times");
        json_int_t used = fault_used(i, 0);
        if (!m || strcmp(m, method) != 0 || (u && (!url || !strstr(url, u))) ||
            (json_is_integer(want) && json_integer_value(want) != nth) ||
            (json_is_integer(gen) && json_integer_value(gen) != s->generation) ||
            (json_is_integer(times) && used >= json_integer_value(times)))
            continue;
        fault_used(i, 1);
        return f;
    }
    return NULL;
}

static tab_t *tab_by_session(sess_t *s, const char *session)
{
    for (int i = 0; session && i < MAX_TABS; i++)
        if (s->tabs[i].used && !strcmp(s->tabs[i].session, session))
            return &s->tabs[i];
    return NULL;
}

static tab_t *tab_by_target(sess_t *s, const char *target)
{
    for (int i = 0; target && i < MAX_TABS; i++)
        if (s->tabs[i].used && !strcmp(s->tabs[i].target, target))
            return &s->tabs[i];
    return NULL;
}

/* ---- a page's life ----------------------------------------------------------------------- */

/* After a navigation: the main document's requests (redirects first), its response, its
 * end, then the load event; "inflight" more requests start and never end. */
static void page_events(sess_t *s, json_t *arg)
{
    const char *session = json_string_value(json_object_get(arg, "session"));
    const char *url = json_string_value(json_object_get(arg, "url"));
    tab_t *t = tab_by_session(s, session);
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
        event(s, "Network.requestWillBeSent", session, p);
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
    event(s, "Network.requestWillBeSent", session, first);
    json_t *headers = json_object_get(page, "headers");
    event(s, "Network.responseReceived", session,
          json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:I,s:O}}", "requestId", "main", "loaderId", "L",
                    "frameId", frame, "type", "Document", "response", "url", doc_url, "status",
                    page_int(page, "status", 200), "headers",
                    json_is_object(headers) ? headers : json_object()));
    event(s, "Network.loadingFinished", session, json_pack("{s:s}", "requestId", "main"));
    json_int_t inflight = page_int(page, "inflight", 0);
    for (json_int_t k = 0; k < inflight; k++) {
        char id[32];
        snprintf(id, sizeof id, "hang%lld", (long long)k);
        event(s, "Network.requestWillBeSent", session,
              json_pack("{s:s,s:s,s:s,s:{s:s}}", "requestId", id, "frameId", frame, "type", "XHR",
                        "request", "url", doc_url));
    }
    if (!json_is_true(json_object_get(page, "no_load")))
        event(s, "Page.loadEventFired", session, json_pack("{s:f}", "timestamp", 1.0));
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


/* The screenshot of w x h in base64 (malloc'ed), or NULL. The last few pictures that are
 * not "noise" are kept, so that many captures of one size cost one PNG: a benchmark
 * measures the engine, not this process's CPU. Noise is drawn anew each time (two
 * captures of it differ, as tests of change detection need). */
#define SHOT_CACHE 4
static char *shot_png_b64(int w, int h, int blank, int noise)
{
    static struct {
        int w, h, blank;
        char *b64;
    } cache[SHOT_CACHE];
    static int next;
    if (noise)
        return make_png_b64(w, h, blank, noise);
    for (int i = 0; i < SHOT_CACHE; i++)
        if (cache[i].b64 && cache[i].w == w && cache[i].h == h && cache[i].blank == blank)
            return strdup(cache[i].b64);
    char *b64 = make_png_b64(w, h, blank, 0);
    char *keep = b64 ? strdup(b64) : NULL;
    if (keep) {
        free(cache[next].b64);
        cache[next].w = w;
        cache[next].h = h;
        cache[next].blank = blank;
        cache[next].b64 = keep;
        next = (next + 1) % SHOT_CACHE;
    }
    return b64;
}

/* ---- commands ---------------------------------------------------------------------------- */

static void answer(sess_t *s, json_t *msg);

static void answer_later_cb(sess_t *s, json_t *msg)
{
    answer(s, msg);
}

static void crash_later_cb(sess_t *s, json_t *arg)
{
    event(s, "Inspector.targetCrashed", json_string_value(json_object_get(arg, "session")), NULL);
}

/* The normal answer to a command. */
static void answer(sess_t *s, json_t *msg)
{
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    const char *method = json_string_value(json_object_get(msg, "method"));
    const char *session = json_string_value(json_object_get(msg, "sessionId"));
    json_t *params = json_object_get(msg, "params");
    tab_t *t = tab_by_session(s, session);
    char name[32];
    if (!method) {
        reply_error(s, id, session, "no method");
    } else if (!strcmp(method, "Browser.getVersion")) {
        reply(s, id, NULL, json_pack("{s:s,s:s,s:s,s:s}", "protocolVersion", "1.3", "product",
                                  "HeadlessChrome/156.0.0.0 (fakecdp)", "userAgent",
                                  "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 fakecdp",
                                  "jsVersion", "0"));
    } else if (!strcmp(method, "Target.createBrowserContext")) {
        snprintf(name, sizeof name, "CTX%d", ++F.serial);
        reply(s, id, NULL, json_pack("{s:s}", "browserContextId", name));
    } else if (!strcmp(method, "Target.createTarget")) {
        int i = 0;
        while (i < MAX_TABS && s->tabs[i].used)
            i++;
        if (i == MAX_TABS) {
            reply_error(s, id, session, "too many tabs");
            return;
        }
        tab_t *nt = &s->tabs[i];
        memset(nt, 0, sizeof *nt);
        nt->used = 1;
        snprintf(nt->target, sizeof nt->target, "T%d", ++F.serial);
        snprintf(nt->context, sizeof nt->context, "%s",
                 page_str(params, "browserContextId", ""));
        reply(s, id, NULL, json_pack("{s:s}", "targetId", nt->target));
    } else if (!strcmp(method, "Target.attachToTarget")) {
        tab_t *at = tab_by_target(s, json_string_value(json_object_get(params, "targetId")));
        if (!at) {
            reply_error(s, id, session, "No target with given id found");
            return;
        }
        snprintf(at->session, sizeof at->session, "S%d", ++F.serial);
        reply(s, id, NULL, json_pack("{s:s}", "sessionId", at->session));
    } else if (!strcmp(method, "Target.disposeBrowserContext") || !strcmp(method, "Target.closeTarget")) {
        const char *ctx = json_string_value(json_object_get(params, "browserContextId"));
        const char *tg = json_string_value(json_object_get(params, "targetId"));
        for (int i = 0; i < MAX_TABS; i++)
            if (s->tabs[i].used && ((ctx && !strcmp(s->tabs[i].context, ctx)) ||
                                   (tg && !strcmp(s->tabs[i].target, tg))))
                s->tabs[i].used = 0;
        reply(s, id, NULL, NULL);
    } else if (!strcmp(method, "Page.navigate")) {
        const char *url = json_string_value(json_object_get(params, "url"));
        if (!t) {
            reply_error(s, id, session, "Session with given id not found");
            return;
        }
        t->page = page_for(s, url);
        snprintf(t->url, sizeof t->url, "%s", url ? url : "");
        const char *ne = json_string_value(json_object_get(t->page, "net_error"));
        if (ne) {
            reply(s, id, session, json_pack("{s:s,s:s,s:s}", "frameId", t->target, "loaderId", "L",
                                         "errorText", ne));
            return;
        }
        reply(s, id, session, json_pack("{s:s,s:s}", "frameId", t->target, "loaderId", "L"));
        later(s, (uint64_t)page_int(t->page, "load_ms", 10), page_events,
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
                reply(s, id, session, json_pack("{s:{s:s,s:s},s:{s:s}}", "result", "type", "object",
                                             "subtype", "error", "exceptionDetails", "text", "Uncaught"));
                return;
            }
            char markup[512];
            snprintf(markup, sizeof markup, "<html><head><title>%s</title></head><body>fake page</body></html>",
                     page_str(page, "title", "Fake page"));
            reply(s, id, session,
                  json_pack("{s:{s:s,s:{s:s,s:i,s:[],s:i,s:b,s:s,s:b}}}", "result", "type", "object",
                            "value", "title", page_str(page, "title", "Fake page"), "steps", 0,
                            "cut", "pending", 0, "found", 1, "markup",
                            page_str(page, "markup", markup), "revealed", 0));
        } else if (expr && strstr(expr, "linksnapText(")) {   /* the page's text (pagetext.c) */
            if (!strcmp(how, "error")) {
                reply(s, id, session, json_pack("{s:{s:s,s:s},s:{s:s}}", "result", "type", "object",
                                             "subtype", "error", "exceptionDetails", "text", "Uncaught"));
                return;
            }
            const char *text = page_str(page, "text", "Fake page text");
            reply(s, id, session,
                  json_pack("{s:{s:s,s:{s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:b,s:b}}}", "result",
                            "type", "object", "value", "title", page_str(page, "title", "Fake page"),
                            "byline", "", "lang", "en", "excerpt", "", "blocks", "kind", "p",
                            "text", text, "text", text, "cut", 0, "article", 1));
        } else {
            /* the consent pass, and anything else: a JSON text report */
            reply(s, id, session, json_pack("{s:{s:s,s:s}}", "result", "type", "string", "value",
                                         page_str(page, "consent", "{\"layers\":0,\"managers\":[],\"hidden\":[],\"kept\":[]}")));
        }
    } else if (!strcmp(method, "Page.createIsolatedWorld")) {
        reply(s, id, session, json_pack("{s:i}", "executionContextId", ++F.serial));
    } else if (!strcmp(method, "Page.getLayoutMetrics")) {
        json_t *page = t ? t->page : NULL;
        json_int_t w = page_int(page, "width", 1280), h = page_int(page, "height", 1500);
        reply(s, id, session, json_pack("{s:{s:i,s:i,s:I,s:I},s:{s:i,s:i,s:i,s:i}}", "cssContentSize",
                                     "x", 0, "y", 0, "width", w, "height", h, "cssLayoutViewport",
                                     "pageX", 0, "pageY", 0, "clientWidth", 1280, "clientHeight", 800));
    } else if (!strcmp(method, "Page.captureScreenshot")) {
        json_t *clip = json_object_get(params, "clip");
        int w = (int)json_number_value(json_object_get(clip, "width"));
        int h = (int)json_number_value(json_object_get(clip, "height"));
        if (w <= 0 || h <= 0 || w > 16384 || h > 200000) {
            reply_error(s, id, session, "Unable to capture screenshot");
            return;
        }
        char *b64 = shot_png_b64(w, h, t && json_is_true(json_object_get(t->page, "blank")),
                                 t && json_is_true(json_object_get(t->page, "noise")));
        if (!b64) {
            reply_error(s, id, session, "Unable to capture screenshot");
            return;
        }
        reply(s, id, session, json_pack("{s:s}", "data", b64));
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
            reply_error(s, id, session, "out of memory");
            return;
        }
        size_t at = (size_t)snprintf(m, len + 1, "%s", head);
        while (at + 8 < len)
            m[at++] = 'x';
        snprintf(m + at, len + 1 - at, "\r\n--B--\r\n");
        reply(s, id, session, json_pack("{s:s}", "data", m));
        free(m);
    } else if (!strcmp(method, "Page.printToPDF")) {
        char stream[32];
        snprintf(stream, sizeof stream, "pdf-%d", ++F.serial);
        reply(s, id, session, json_pack("{s:s}", "stream", stream));
    } else if (!strcmp(method, "IO.read")) {
        /* "%PDF-1.4 fake\n%%EOF\n" in one base64 chunk */
        reply(s, id, session, json_pack("{s:b,s:s,s:b}", "base64Encoded", 1, "data",
                                     "JVBERi0xLjQgZmFrZQolJUVPRgo=", "eof", 1));
    } else {
        reply(s, id, session, NULL);   /* enable, set..., addScript..., IO.close: nothing to say */
    }
}

/* The process ends now with code (the "exit" fault): every transport stops with it. */
static void fake_exit(int code)
{
    F.exit_code = code;
    F.exiting = 1;
    uv_stop(F.loop);
}

static void log_line(json_t *line)
{
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text) {
        fprintf(F.log, "%s\n", text);
        fflush(F.log);
    }
    free(text);
    json_decref(line);
}

/* Which session a log line is about: its transport, connection and, over a websocket, the
 * port it came in on. */
static void log_where(sess_t *s, json_t *line)
{
    json_object_set_new(line, "transport", json_string(s->transport));
    json_object_set_new(line, "conn", json_integer(s->conn));
    if (!strcmp(s->transport, "ws"))
        json_object_set_new(line, "port", json_integer(F.port));
}

/* One message from either transport: logged, counted, matched against the faults, and
 * answered (or not) as the scenario says. */
static void handle_message(sess_t *s, const char *text, size_t n)
{
    json_error_t jerr;
    json_t *msg = json_loadb(text, n, 0, &jerr);
    if (!msg)
        return;
    s->refs++;   /* a hang-up below lets the transport go of s; s lives to the end here */
    const char *method = json_string_value(json_object_get(msg, "method"));
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    const char *session = json_string_value(json_object_get(msg, "sessionId"));
    json_int_t nth = 0;
    if (method) {
        nth = json_integer_value(json_object_get(s->counts, method)) + 1;
        json_object_set_new(s->counts, method, json_integer(nth));
    }
    if (F.log) {
        json_t *line = json_pack("{s:i,s:s?,s:s?,s:O?}", "gen", s->generation, "method", method,
                                 "session", session, "params", json_object_get(msg, "params"));
        if (line)
            log_where(s, line);
        log_line(line);
    }
    const char *about = method && !strcmp(method, "Page.navigate")
        ? json_string_value(json_object_get(json_object_get(msg, "params"), "url")) : NULL;
    if (!about && tab_by_session(s, session))
        about = tab_by_session(s, session)->url;
    json_t *fault = method ? fault_for(s, method, nth, about) : NULL;
    const char *what = fault ? json_string_value(json_object_get(fault, "do")) : NULL;
    tab_t *t = tab_by_session(s, session);
    json_int_t capture_ms = page_int(t ? t->page : NULL, "capture_ms",
                                     page_int(s->scenario, "capture_ms", 0));
    if (!what && method && !strcmp(method, "Page.captureScreenshot") && capture_ms > 0) {
        later(s, (uint64_t)capture_ms, answer_later_cb, json_incref(msg));
    } else if (!what) {
        answer(s, msg);
    } else if (!strcmp(what, "error")) {
        reply_error(s, id, session, page_str(fault, "message", "fakecdp: a scripted error"));
    } else if (!strcmp(what, "delay")) {
        later(s, (uint64_t)page_int(fault, "ms", 100), answer_later_cb, json_incref(msg));
    } else if (!strcmp(what, "hang")) {
        /* never answered */
    } else if (!strcmp(what, "crash")) {
        later(s, 1, crash_later_cb, json_pack("{s:s}", "session", session ? session : ""));
    } else if (!strcmp(what, "exit")) {
        fake_exit((int)page_int(fault, "code", 1));
    } else if (!strcmp(what, "disconnect")) {
        s->ops->hangup(s);
    } else if (!strcmp(what, "garbage")) {
        char bad[64];
        snprintf(bad, sizeof bad, "{\"id\":%lld,\"result\":{\"data\":tru", (long long)id);
        send_raw(s, bad);
        if (json_is_true(json_object_get(fault, "event")))
            send_raw(s, "{\"method\":\"Page.frameNavigated\",\"params\":{");
    } else {
        answer(s, msg);
    }
    json_decref(msg);
    sess_unref(s);
}

/* The generation: how many sessions started before this one with the same state
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

/* A new session on the latest scenario, its start logged; NULL out of memory. */
static sess_t *sess_new(const char *transport, const sess_ops_t *ops, void *owner)
{
    sess_t *s = calloc(1, sizeof *s);
    json_t *counts = json_object();
    if (!s || !counts) {
        free(s);
        json_decref(counts);
        return NULL;
    }
    s->refs = 1;
    s->open = 1;
    s->ops = ops;
    s->owner = owner;
    s->transport = transport;
    s->conn = ++F.conns;
    s->generation = next_generation(getenv("FAKECDP_STATE"));
    s->scenario = json_incref(F.scenario);
    s->counts = counts;
    if (F.log) {
        json_t *line = json_pack("{s:i,s:i}", "gen", s->generation, "start", (int)getpid());
        if (line)
            log_where(s, line);
        log_line(line);
    }
    return s;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    b->base = malloc(65536);
    b->len = b->base ? 65536 : 0;
}

static void write_done_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

/* Writes len bytes of data (taken, malloc'ed) to stream; frees them when it cannot. */
static void stream_write(uv_stream_t *stream, char *data, size_t len)
{
    uv_write_t *w = malloc(sizeof *w);
    if (!w) {
        free(data);
        return;
    }
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    if (uv_write(w, stream, &b, 1, write_done_cb) != 0) {
        free(data);
        free(w);
    }
}

/* ---- the pipe ---------------------------------------------------------------------------- */

static struct {
    uv_pipe_t in, out;
    int in_open, out_open;
    char *rbuf;
    size_t rlen, rcap;
    sess_t *s;
} P;

static void pipe_send(sess_t *s, const char *text, size_t n)
{
    (void)s;
    if (!P.out_open)
        return;
    char *data = malloc(n + 1);
    if (!data)
        return;
    memcpy(data, text, n);
    data[n] = '\0';   /* the NUL is the frame's end */
    stream_write((uv_stream_t *)&P.out, data, n + 1);
}

static void pipe_close(void)
{
    if (P.out_open) {
        uv_close((uv_handle_t *)&P.out, NULL);
        P.out_open = 0;
    }
    if (P.in_open) {
        uv_close((uv_handle_t *)&P.in, NULL);
        P.in_open = 0;
    }
    if (P.s) {
        sess_t *s = P.s;
        P.s = NULL;
        sess_detach(s);
    }
}

/* "disconnect": both pipes closed; the process lives on (main waits to be killed). */
static void pipe_hangup(sess_t *s)
{
    (void)s;
    pipe_close();
}

static const sess_ops_t pipe_ops = {pipe_send, pipe_hangup};

static void pipe_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    (void)st;
    if (nread < 0) {   /* the lifeline: linksnapd is gone or let go of us */
        free(b->base);
        pipe_close();
        fake_exit(0);
        return;
    }
    if (P.rlen + (size_t)nread + 1 > P.rcap) {
        size_t cap = (P.rlen + (size_t)nread + 1) * 2;
        char *nb = realloc(P.rbuf, cap);
        if (!nb) {
            free(b->base);
            return;
        }
        P.rbuf = nb;
        P.rcap = cap;
    }
    memcpy(P.rbuf + P.rlen, b->base, (size_t)nread);
    P.rlen += (size_t)nread;
    free(b->base);
    size_t start = 0;
    for (size_t i = 0; i < P.rlen && !F.exiting && P.s; i++) {
        if (P.rbuf[i] == '\0') {
            handle_message(P.s, P.rbuf + start, i - start);
            start = i + 1;
        }
    }
    if (F.exiting || !P.s)
        return;
    memmove(P.rbuf, P.rbuf + start, P.rlen - start);
    P.rlen -= start;
}

static int pipe_run(void)
{
    if (uv_pipe_init(F.loop, &P.in, 0) != 0 || uv_pipe_open(&P.in, 3) != 0 ||
        uv_pipe_init(F.loop, &P.out, 0) != 0 || uv_pipe_open(&P.out, 4) != 0) {
        fprintf(stderr, "fakecdp: fds 3 and 4 must be the DevTools pipe (--remote-debugging-pipe)\n");
        return 2;
    }
    P.in_open = P.out_open = 1;
    if (!(P.s = sess_new("pipe", &pipe_ops, &P))) {
        fprintf(stderr, "fakecdp: out of memory\n");
        return 2;
    }
    uv_read_start((uv_stream_t *)&P.in, alloc_cb, pipe_read_cb);
    uv_run(F.loop, UV_RUN_DEFAULT);
    if (!F.exiting && !P.in_open && !P.out_open) {
        /* disconnected on purpose: live on until killed, as a wedged browser would */
        for (;;)
            pause();
    }
    free(P.rbuf);
    return F.exit_code;
}

/* ---- the websocket ----------------------------------------------------------------------- */

typedef struct {
    uv_tcp_t tcp;
    char *rbuf;
    size_t rlen, rcap;
    int upgraded;
    int closing;           /* no more reading; closed once the writes are out */
    sess_t *s;             /* once upgraded */
    char *msg;             /* a message being assembled from its fragments */
    size_t mlen, mcap;
    int in_msg;
} wsconn_t;

static void ws_closed_cb(uv_handle_t *h)
{
    wsconn_t *c = h->data;
    free(c->rbuf);
    free(c->msg);
    free(c);
}

/* Closes c at once (the peer is gone): pending writes are dropped. */
static void ws_drop(wsconn_t *c)
{
    if (c->s) {
        sess_t *s = c->s;
        c->s = NULL;
        sess_detach(s);
    }
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, ws_closed_cb);
}

static void ws_shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)status;
    wsconn_t *c = req->data;
    free(req);
    ws_drop(c);
}

/* Closes c once what was written is out: reading stops now, the session too. */
static void ws_finish(wsconn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->s) {
        sess_t *s = c->s;
        c->s = NULL;
        sess_detach(s);
    }
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, ws_shutdown_cb) != 0) {
        free(req);
        ws_drop(c);
        return;
    }
    req->data = c;
}

/* One unmasked frame of opcode op with payload p[0..n): 2, 4 or 10 bytes of header as n
 * needs (7-bit, 16-bit or 64-bit length). */
static void ws_write_frame(wsconn_t *c, int op, const char *p, size_t n)
{
    if (c->closing)
        return;
    unsigned char head[10];
    size_t hl;
    head[0] = (unsigned char)(0x80 | op);
    if (n < 126) {
        head[1] = (unsigned char)n;
        hl = 2;
    } else if (n <= 0xffff) {
        head[1] = 126;
        head[2] = (unsigned char)(n >> 8);
        head[3] = (unsigned char)n;
        hl = 4;
    } else {
        head[1] = 127;
        for (int i = 0; i < 8; i++)
            head[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    char *data = malloc(hl + n);
    if (!data)
        return;
    memcpy(data, head, hl);
    if (n)
        memcpy(data + hl, p, n);
    stream_write((uv_stream_t *)&c->tcp, data, hl + n);
}

/* Sends a close frame with code (and reason) and closes c when it is out. */
static void ws_close(wsconn_t *c, int code, const char *reason)
{
    char body[125];
    size_t rl = strlen(reason);
    if (rl > sizeof body - 2)
        rl = sizeof body - 2;
    body[0] = (char)(code >> 8);
    body[1] = (char)code;
    memcpy(body + 2, reason, rl);
    ws_write_frame(c, 0x8, body, rl + 2);
    ws_finish(c);
}

static void ws_send(sess_t *s, const char *text, size_t n)
{
    wsconn_t *c = s->owner;
    if (c)
        ws_write_frame(c, 0x1, text, n);
}

/* "disconnect": the websocket closes (going away); the listener keeps accepting. */
static void ws_hangup(sess_t *s)
{
    wsconn_t *c = s->owner;
    if (c)
        ws_close(c, 1001, "fakecdp: scripted disconnect");
}

static const sess_ops_t ws_ops = {ws_send, ws_hangup};

/* An HTTP answer with a small body, then the connection closes. */
static void http_answer(wsconn_t *c, const char *status, const char *ctype, const char *body)
{
    size_t bl = strlen(body);
    size_t cap = bl + 256;
    char *data = malloc(cap);
    if (!data) {
        ws_drop(c);
        return;
    }
    int n = snprintf(data, cap, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s", status, ctype, bl, body);
    stream_write((uv_stream_t *)&c->tcp, data, (size_t)n);
    ws_finish(c);
}

/* The value of header name in head (the request's header lines, NUL-terminated) into
 * out, spaces around it trimmed. 0, or -1 when it is not there. */
static int http_header(const char *head, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
        l += 2;
        if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
            continue;
        const char *v = l + nl + 1, *end = strstr(v, "\r\n");
        if (!end)
            end = v + strlen(v);
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        snprintf(out, outlen, "%.*s", (int)(end - v), v);
        return 0;
    }
    return -1;
}

/* Whether the request carries the token as --token-in says (always, without --token). */
static int http_token_ok(const char *head, const char *query)
{
    if (!F.token)
        return 1;
    if (F.token_in_query) {
        size_t tl = strlen(F.token);
        for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
            if (!strncmp(p, "token=", 6) && !strncmp(p + 6, F.token, tl) &&
                (p[6 + tl] == '\0' || p[6 + tl] == '&'))
                return 1;
        return 0;
    }
    char auth[1024], want[1024];
    snprintf(want, sizeof want, "Bearer %s", F.token);
    return http_header(head, "Authorization", auth, sizeof auth) == 0 && !strcmp(auth, want);
}

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + the RFC's GUID)), malloc'ed; NULL on
 * failure. */
static char *ws_accept_for(const char *key)
{
    char joined[512];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int n = snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    if (n < 0 || (size_t)n >= sizeof joined ||
        EVP_Digest(joined, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1)
        return NULL;
    return util_base64_encode(md, mdlen);
}

/* One HTTP request, head[0..) its line and headers: /json/version, the upgrade, or an
 * error. */
static void http_request(wsconn_t *c, char *head)
{
    char method[16], target[2048], path[2048], upgrade[64], key[256], version[16];
    if (sscanf(head, "%15s %2047s HTTP/1.", method, target) != 2) {
        http_answer(c, "400 Bad Request", "text/plain", "fakecdp: not an HTTP request\n");
        return;
    }
    char *q = strchr(target, '?');
    snprintf(path, sizeof path, "%.*s", (int)(q ? q - target : (long)strlen(target)), target);
    if (!http_token_ok(head, q ? q + 1 : NULL)) {
        http_answer(c, "401 Unauthorized", "text/plain", "fakecdp: a missing or wrong token\n");
        return;
    }
    if (strcmp(method, "GET") != 0) {
        http_answer(c, "405 Method Not Allowed", "text/plain", "fakecdp: GET only\n");
        return;
    }
    char wspath[128];
    snprintf(wspath, sizeof wspath, "/devtools/browser/%s", F.browser_id);
    int wants_ws = http_header(head, "Upgrade", upgrade, sizeof upgrade) == 0 &&
                   !strcasecmp(upgrade, "websocket");
    if (!wants_ws && (!strcmp(path, "/json/version") || !strcmp(path, "/json/version/"))) {
        char url[256];
        snprintf(url, sizeof url, "ws://%s%s%s:%d%s", strchr(F.host, ':') ? "[" : "", F.host,
                 strchr(F.host, ':') ? "]" : "", F.port, wspath);
        json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Browser",
                              "HeadlessChrome/156.0.0.0 (fakecdp)", "Protocol-Version", "1.3",
                              "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 fakecdp",
                              "V8-Version", "0", "WebKit-Version", "0", "webSocketDebuggerUrl", url);
        char *body = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!body) {
            http_answer(c, "500 Internal Server Error", "text/plain", "fakecdp: out of memory\n");
            return;
        }
        http_answer(c, "200 OK", "application/json; charset=UTF-8", body);
        free(body);
        return;
    }
    if (!wants_ws || strcmp(path, wspath) != 0) {
        http_answer(c, "404 Not Found", "text/plain", "fakecdp: no such page\n");
        return;
    }
    if (http_header(head, "Sec-WebSocket-Key", key, sizeof key) != 0 || !key[0] ||
        http_header(head, "Sec-WebSocket-Version", version, sizeof version) != 0 ||
        strcmp(version, "13") != 0) {
        http_answer(c, "400 Bad Request", "text/plain",
                    "fakecdp: a websocket upgrade needs Sec-WebSocket-Key and version 13\n");
        return;
    }
    scenario_refresh();
    char *accept = ws_accept_for(key);
    if (!accept || !(c->s = sess_new("ws", &ws_ops, c))) {
        free(accept);
        http_answer(c, "500 Internal Server Error", "text/plain", "fakecdp: out of memory\n");
        return;
    }
    char *data = malloc(256);
    if (!data) {
        free(accept);
        ws_drop(c);
        return;
    }
    int n = snprintf(data, 256, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    free(accept);
    stream_write((uv_stream_t *)&c->tcp, data, (size_t)n);
    c->upgraded = 1;
}

/* A whole message (text or binary, its fragments joined) for the session. */
static void ws_message(wsconn_t *c, const char *p, size_t n)
{
    if (c->s)
        handle_message(c->s, p, n);
}

/* Adds a fragment to the message being assembled. 0, or -1 out of memory. */
static int ws_append(wsconn_t *c, const char *p, size_t n)
{
    if (c->mlen + n > c->mcap) {
        size_t cap = (c->mlen + n) * 2;
        char *nb = realloc(c->msg, cap);
        if (!nb)
            return -1;
        c->msg = nb;
        c->mcap = cap;
    }
    if (n)
        memcpy(c->msg + c->mlen, p, n);
    c->mlen += n;
    return 0;
}

/* Cuts the frames out of c->rbuf from at on and acts on each. Returns where the first
 * frame not yet whole begins; stops (c closing) at a protocol error or a close, and when
 * the process is exiting. */
static size_t ws_frames(wsconn_t *c, size_t at)
{
    while (!c->closing && !F.exiting && c->rlen - at >= 2) {
        unsigned char *b = (unsigned char *)c->rbuf + at;
        size_t avail = c->rlen - at;
        int fin = b[0] & 0x80, op = b[0] & 0x0f, masked = b[1] & 0x80;
        uint64_t len = b[1] & 0x7f;
        size_t hl = 2;
        if (b[0] & 0x70) {
            ws_close(c, 1002, "fakecdp: reserved bits set (no extension was agreed)");
            break;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)b[2] << 8 | b[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | b[2 + i];
            hl = 10;
        }
        if (!masked) {
            ws_close(c, 1002, "fakecdp: a client's frame must be masked");
            break;
        }
        if (op >= 0x8 && (len > 125 || !fin)) {
            ws_close(c, 1002, "fakecdp: a control frame over 125 bytes or fragmented");
            break;
        }
        if (op < 0x8 && len > WS_MESSAGE_MAX - (op == 0 ? c->mlen : 0)) {
            ws_close(c, 1009, "fakecdp: a message over 64 MB");
            break;
        }
        if (avail - hl < 4 || avail - hl - 4 < len)
            break;   /* the rest of the frame is still on its way */
        unsigned char *mask = b + hl;
        char *p = (char *)b + hl + 4;
        for (uint64_t i = 0; i < len; i++)
            p[i] = (char)(p[i] ^ mask[i % 4]);
        at += hl + 4 + (size_t)len;
        switch (op) {
        case 0x0:   /* continuation */
            if (!c->in_msg) {
                ws_close(c, 1002, "fakecdp: a continuation frame with no message begun");
                break;
            }
            if (ws_append(c, p, (size_t)len) != 0) {
                ws_close(c, 1011, "fakecdp: out of memory");
                break;
            }
            if (fin) {
                c->in_msg = 0;
                ws_message(c, c->msg, c->mlen);
                c->mlen = 0;
            }
            break;
        case 0x1:   /* text */
        case 0x2:   /* binary: a message all the same */
            if (c->in_msg) {
                ws_close(c, 1002, "fakecdp: a new message before the last one's end");
                break;
            }
            if (fin) {
                ws_message(c, p, (size_t)len);
            } else if (ws_append(c, p, (size_t)len) != 0) {
                ws_close(c, 1011, "fakecdp: out of memory");
            } else {
                c->in_msg = 1;
            }
            break;
        case 0x8: {   /* close: answered with its code, then the connection ends */
            int code = len >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 1000;
            ws_close(c, code, "");
            break;
        }
        case 0x9:     /* ping */
            ws_write_frame(c, 0xA, p, (size_t)len);
            break;
        case 0xA:     /* pong: nothing to do */
            break;
        default:
            ws_close(c, 1002, "fakecdp: an unknown opcode");
            break;
        }
    }
    return at;
}

static void ws_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    wsconn_t *c = st->data;
    if (nread < 0) {   /* the peer is gone */
        free(b->base);
        ws_drop(c);
        return;
    }
    if (c->rlen + (size_t)nread + 1 > c->rcap) {
        size_t cap = (c->rlen + (size_t)nread + 1) * 2;
        char *nb = realloc(c->rbuf, cap);
        if (!nb) {
            free(b->base);
            ws_drop(c);
            return;
        }
        c->rbuf = nb;
        c->rcap = cap;
    }
    memcpy(c->rbuf + c->rlen, b->base, (size_t)nread);
    c->rlen += (size_t)nread;
    free(b->base);
    size_t used = 0;
    if (!c->upgraded) {
        c->rbuf[c->rlen] = '\0';
        char *end = strstr(c->rbuf, "\r\n\r\n");
        if ((end ? (size_t)(end - c->rbuf) : c->rlen) > HTTP_HEAD_MAX) {
            http_answer(c, "431 Request Header Fields Too Large", "text/plain",
                        "fakecdp: a request head over 16 KB\n");
            return;
        }
        if (!end)
            return;   /* the rest of the head is on its way */
        end[2] = '\0';   /* the head, each header line ended by \r\n */
        used = (size_t)(end - c->rbuf) + 4;
        http_request(c, c->rbuf);
        if (!c->upgraded)
            return;
    }
    size_t at = ws_frames(c, used);
    if (c->closing || F.exiting)
        return;
    memmove(c->rbuf, c->rbuf + at, c->rlen - at);
    c->rlen -= at;
}

static void ws_accept_cb(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    wsconn_t *c = calloc(1, sizeof *c);
    if (!c)
        return;
    uv_tcp_init(F.loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, ws_read_cb) != 0) {
        ws_drop(c);
        return;
    }
}

/* --listen HOST:PORT: binds, prints `listening PORT`, and serves until killed or an "exit"
 * fault. */
static int listen_run(const char *where)
{
    const char *colon = strrchr(where, ':');
    struct sockaddr_storage sa;
    if (!colon || colon == where) {
        fprintf(stderr, "fakecdp: --listen wants HOST:PORT (127.0.0.1:0), not %s\n", where);
        return 2;
    }
    snprintf(F.host, sizeof F.host, "%.*s", (int)(colon - where), where);
    if (F.host[0] == '[') {   /* [::1]:PORT */
        size_t hl = strlen(F.host);
        memmove(F.host, F.host + 1, hl);
        if (hl >= 2 && F.host[hl - 2] == ']')
            F.host[hl - 2] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 ||
        (uv_ip4_addr(F.host, (int)port, (struct sockaddr_in *)&sa) != 0 &&
         uv_ip6_addr(F.host, (int)port, (struct sockaddr_in6 *)&sa) != 0)) {
        fprintf(stderr, "fakecdp: --listen %s: HOST must be an IP address and PORT 0..65535\n", where);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a peer gone mid-write is an error return, not our end */
    int rc = uv_tcp_init(F.loop, &F.server);
    if (rc == 0)
        rc = uv_tcp_bind(&F.server, (struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&F.server, 64, ws_accept_cb);
    int len = sizeof sa;
    if (rc == 0)
        rc = uv_tcp_getsockname(&F.server, (struct sockaddr *)&sa, &len);
    if (rc != 0) {
        fprintf(stderr, "fakecdp: --listen %s: %s\n", where, uv_strerror(rc));
        return 2;
    }
    F.port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&sa)->sin_port);
    snprintf(F.browser_id, sizeof F.browser_id, "fakecdp-%d-%d", (int)getpid(), F.port);
    printf("listening %d\n", F.port);
    fflush(stdout);
    uv_run(F.loop, UV_RUN_DEFAULT);
    return F.exit_code;
}

static int usage(void)
{
    fprintf(stderr, "usage: fakecdp                (the DevTools pipe on fds 3 and 4)\n"
                    "       fakecdp --listen HOST:PORT [--token T [--token-in header|query]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *listen_at = NULL, *token_in = "header";
    int listening = 0;
    for (int i = 1; i < argc; i++)
        listening |= !strcmp(argv[i], "--listen");
    /* without --listen: the pipe mode, Chromium's own flags (as linksnapd passes them)
     * ignored */
    for (int i = 1; listening && i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen_at = argv[++i];
        else if (!strcmp(argv[i], "--token") && i + 1 < argc && argv[i + 1][0])
            F.token = argv[++i];
        else if (!strcmp(argv[i], "--token-in") && i + 1 < argc)
            token_in = argv[++i];
        else
            return usage();
    }
    if (listening && !listen_at)
        return usage();
    if (strcmp(token_in, "header") != 0 && strcmp(token_in, "query") != 0)
        return usage();
    F.token_in_query = !strcmp(token_in, "query");
    if (!(F.scenario = scenario_load()))
        return 2;
    const char *logp = getenv("FAKECDP_LOG");
    if (logp && *logp)
        F.log = fopen(logp, "a");
    F.loop = uv_default_loop();
    int rc = listen_at ? listen_run(listen_at) : pipe_run();
    if (F.log)
        fclose(F.log);
    json_decref(F.scenario);
    return rc;
}
