/* http.c -- the web server: one libwebsockets context (HTTP/1.1 and websockets) on the
 * daemon's libuv loop as a foreign loop. Owns connections, routing and responses:
 *   GET  /, /links, /links/N, /tags, /stats, /import, /sites   the page (index.html)
 *   GET  /<asset>                                       compiled-in files (web/static)
 *   GET  /auth                                          does the page need to log in?
 *   POST /login, /logout                                token -> session cookie
 *   POST /rpc                                           JSON-RPC through dispatch.c
 *   GET  /events (websocket)                            the event bus
 *   GET  /snapshots/ID/full.png|thumb.png               screenshot files, by snapshot id
 *   GET  /snapshots/ID/tiles.json, /tile/N.png          a tall screenshot in tiles
 *   GET  /chart/KIND.svg|png                            chart.render
 *   POST /import                                        upload into the import spool
 * Everything slow leaves the loop: files are read with uv_fs, tiles are cut on the thread
 * pool, method calls run where dispatch.c puts them. Who may do what is http_auth.c's;
 * the upload path is http_upload.c's and the websocket's events http_ws.c's. */
#include "http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "log.h"
#include "util.h"

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
/* an SVG chart opened on its own must not run anything */
static const char CSP_SVG[] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/* ---- requests: life and responses ------------------------------------------------------ */

static hreq_t *req_new(http_t *h, struct lws *wsi)
{
    hreq_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->h = h;
    r->wsi = wsi;
    r->fd = -1;
    r->up_fd = -1;
    r->tile_n = -2;
    buf_init(&r->body, RPC_BODY_MAX);
    buf_init(&r->hdrs, 16384);
    return r;
}

static void req_free(hreq_t *r)
{
    if (!r)
        return;
    if (r->fd >= 0) {
        uv_fs_t req;
        uv_fs_close(NULL, &req, r->fd, NULL);
        uv_fs_req_cleanup(&req);
    }
    if (r->up_fd >= 0) {
        close(r->up_fd);
        unlink(r->up_path);   /* an upload that never became an import */
    }
    buf_free(&r->body);
    buf_free(&r->hdrs);
    free(r->owned);
    free(r->fbuf);
    free(r->up_data);
    free(r->up_wdata);
    method_call_clear(&r->call);
    free(r);
}

/* The connection went away: free now, or when the last async operation ends. */
void http_req_detach(hreq_t *r)
{
    r->wsi = NULL;
    if (r->busy == 0)
        req_free(r);
}

/* Ends one async operation; returns 1 when the request is gone (freed). */
int http_req_unbusy(hreq_t *r)
{
    r->busy--;
    if (!r->wsi && r->busy == 0) {
        req_free(r);
        return 1;
    }
    return !r->wsi;
}

static void req_header(hreq_t *r, const char *name, const char *value)
{
    buf_append(&r->hdrs, name, strlen(name) + 1);
    buf_append(&r->hdrs, value, strlen(value) + 1);
}

static void req_kick(hreq_t *r)
{
    if (r->wsi)
        lws_callback_on_writable(r->wsi);
}

/* Sends body (borrowed: it must outlive the request) with this status and type. */
static void respond_static(hreq_t *r, int status, const char *ctype, const unsigned char *body,
                           size_t len)
{
    r->status = status;
    r->ctype = ctype;
    r->out = body;
    r->out_len = len;
    r->ready = 1;
    req_kick(r);
}

/* Takes body (malloc'ed). */
static void respond_owned(hreq_t *r, int status, const char *ctype, unsigned char *body, size_t len)
{
    free(r->owned);
    r->owned = body;
    respond_static(r, status, ctype, body, len);
}

void http_respond_json(hreq_t *r, int status, json_t *doc)   /* takes doc */
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";
        respond_static(r, 500, "application/json", (const unsigned char *)oom, sizeof oom - 1);
        return;
    }
    req_header(r, "cache-control:", "no-store");
    respond_owned(r, status, "application/json", (unsigned char *)text, strlen(text));
}

/* {"error": {"code": status, "message": ...}} -- every HTTP-level refusal looks like this */
void http_respond_error(hreq_t *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->body_kind != B_NONE && !r->up_complete)
        r->close_after = 1;   /* the rest of a body we refused is not read */
    r->discard = 1;
    http_respond_json(r, status, json_pack("{s:{s:i,s:s}}", "error", "code", status, "message", msg));
}

static int write_headers(http_t *h, hreq_t *r, struct lws *wsi)
{
    unsigned char *start = h->wbuf + LWS_PRE, *p = start, *end = h->wbuf + sizeof h->wbuf - 1;
    uint64_t len = r->fd >= 0 ? r->file_size : r->out_len;
    if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->ctype ? r->ctype : "application/json",
                                    (lws_filepos_t)len, &p, end))
        return -1;
    static const char *const sec[][2] = {
        {"x-content-type-options:", "nosniff"},
        {"x-frame-options:", "DENY"},
        {"referrer-policy:", "no-referrer"},
        {"cross-origin-opener-policy:", "same-origin"},
        {"cross-origin-resource-policy:", "same-origin"},
    };
    int has_csp = 0;
    for (size_t off = 0; off < r->hdrs.len;) {
        const char *name = r->hdrs.data + off;
        const char *value = name + strlen(name) + 1;
        off += strlen(name) + strlen(value) + 2;
        if (!strcmp(name, "content-security-policy:"))
            has_csp = 1;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                        (int)strlen(value), &p, end))
            return -1;
    }
    if (!has_csp && lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                                (const unsigned char *)CSP, (int)strlen(CSP), &p, end))
        return -1;
    for (size_t i = 0; i < LS_ARRAY_LEN(sec); i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)sec[i][0],
                                        (const unsigned char *)sec[i][1], (int)strlen(sec[i][1]), &p, end))
            return -1;
    if (r->close_after &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                    (const unsigned char *)"close", 5, &p, end))
        return -1;
    return lws_finalize_write_http_header(wsi, start, &p, end) ? -1 : 0;
}

static void file_read_next(hreq_t *r);

/* One step of output per writable callback. Returns -1 to close the connection. */
static int on_writable(http_t *h, struct lws *wsi, pss_t *ps)
{
    hreq_t *r = ps->r;
    if (!r || !r->ready)
        return 0;
    if (!r->hdr_sent) {
        if (write_headers(h, r, wsi) != 0)
            return -1;
        r->hdr_sent = 1;
        uint64_t len = r->fd >= 0 ? r->file_size : r->out_len;
        if (r->method != M_HEAD && len > 0) {
            if (r->fd >= 0)
                file_read_next(r);
            else
                lws_callback_on_writable(wsi);
            return 0;
        }
        goto done;
    }
    if (r->fd >= 0) {
        if (!r->fbuf_ready)
            return 0;   /* the read callback asks again */
        int final = r->file_off >= r->file_size;
        memcpy(h->wbuf + LWS_PRE, r->fbuf, r->fbuf_len);
        if (lws_write(wsi, h->wbuf + LWS_PRE, r->fbuf_len, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
            return -1;
        r->fbuf_ready = 0;
        if (!final) {
            file_read_next(r);
            return 0;
        }
        goto done;
    }
    size_t n = r->out_len - r->out_off;
    if (n > WRITE_CHUNK)
        n = WRITE_CHUNK;
    int final = r->out_off + n >= r->out_len;
    memcpy(h->wbuf + LWS_PRE, r->out + r->out_off, n);
    if (lws_write(wsi, h->wbuf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
        return -1;
    r->out_off += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
done:
    if (r->close_after)
        return -1;
    ps->r = NULL;
    r->wsi = NULL;
    if (r->busy == 0)
        req_free(r);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- files ----------------------------------------------------------------------------- */

static void file_read_cb(uv_fs_t *fs)
{
    hreq_t *r = fs->data;
    ssize_t n = fs->result;
    uv_fs_req_cleanup(fs);
    r->reading = 0;
    if (http_req_unbusy(r))
        return;
    if (n <= 0) {   /* the file shrank or failed under us: the response cannot be finished */
        log_warn("http: reading %s failed after %llu bytes", r->path, (unsigned long long)r->file_off);
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    r->fbuf_len = (size_t)n;
    r->file_off += (uint64_t)n;
    r->fbuf_ready = 1;
    req_kick(r);
}

static void file_read_next(hreq_t *r)
{
    if (r->reading)
        return;
    uint64_t left = r->file_size - r->file_off;
    size_t n = left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK;
    uv_buf_t b = uv_buf_init((char *)r->fbuf, (unsigned)n);
    r->fs.data = r;
    if (uv_fs_read(r->h->d->loop, &r->fs, r->fd, &b, 1, (int64_t)r->file_off, file_read_cb) != 0) {
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    r->reading = 1;
    r->busy++;
}

static void file_open_cb(uv_fs_t *fs)
{
    hreq_t *r = fs->data;
    ssize_t fd = fs->result;
    uv_fs_req_cleanup(fs);
    if (fd >= 0)
        r->fd = (int)fd;
    if (http_req_unbusy(r))
        return;
    struct stat st;
    if (fd < 0 || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        http_respond_error(r, 404, "the snapshot's file is missing");
        return;
    }
    r->fbuf = malloc(WRITE_CHUNK);
    if (!r->fbuf) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    r->file_size = (uint64_t)st.st_size;
    r->status = 200;
    r->ready = 1;
    req_kick(r);
}

/* Streams a file the caller vetted (path under the snapshot directory). */
static void respond_file(hreq_t *r, const char *path, const char *ctype)
{
    r->ctype = ctype;
    r->fs.data = r;
    if (uv_fs_open(r->h->d->loop, &r->fs, path, O_RDONLY | O_CLOEXEC, 0, file_open_cb) != 0) {
        http_respond_error(r, 500, "cannot open the snapshot's file");
        return;
    }
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
}

/* realpath of path, and is it inside the snapshot directory? */
static int snapshot_path_ok(http_t *h, const char *path, char *resolved)
{
    if (!h->snapdir[0]) {
        char dir[4300];
        snprintf(dir, sizeof dir, "%s/snapshots", h->d->cfg.state_dir);
        if (!realpath(dir, h->snapdir)) {
            h->snapdir[0] = '\0';
            return 0;
        }
    }
    if (!path || path[0] != '/' || !realpath(path, resolved))
        return 0;
    size_t n = strlen(h->snapdir);
    return strncmp(resolved, h->snapdir, n) == 0 && resolved[n] == '/';
}

/* ---- tiles ----------------------------------------------------------------------------- */

static void tiles_serve(hreq_t *r, tileset_t *ts)
{
    if (ts->state < 0) {
        http_respond_error(r, 422, "%s", ts->err);
        return;
    }
    req_header(r, "cache-control:", "private, max-age=86400");
    if (r->tile_n < 0) {
        http_respond_json(r, 200, json_pack("{s:I,s:i,s:i,s:i,s:i}", "snapshot_id", (json_int_t)ts->snap_id,
                                       "width", (int)ts->t.width, "height", (int)ts->t.height,
                                       "tile_height", (int)ts->t.tile_height, "count", (int)ts->t.count));
        return;
    }
    if ((uint32_t)r->tile_n >= ts->t.count) {
        http_respond_error(r, 404, "tile %d does not exist (this snapshot has %u)", r->tile_n, ts->t.count);
        return;
    }
    /* the tile may be evicted while we send it: send a copy */
    unsigned char *copy = malloc(ts->t.len[r->tile_n]);
    if (!copy) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    memcpy(copy, ts->t.data[r->tile_n], ts->t.len[r->tile_n]);
    respond_owned(r, 200, "image/png", copy, ts->t.len[r->tile_n]);
}

static void tileset_unlink(http_t *h, tileset_t *ts)
{
    if (ts->prev)
        ts->prev->next = ts->next;
    else
        h->tiles = ts->next;
    if (ts->next)
        ts->next->prev = ts->prev;
    ts->prev = ts->next = NULL;
}

static void tileset_front(http_t *h, tileset_t *ts)
{
    ts->next = h->tiles;
    if (h->tiles)
        h->tiles->prev = ts;
    h->tiles = ts;
}

static void tiles_evict(http_t *h)
{
    tileset_t *last = h->tiles;
    while (last && last->next)
        last = last->next;
    while (h->tiles_bytes > TILE_CACHE_MAX && last && last != h->tiles) {
        tileset_t *prev = last->prev;
        if (last->state != 0) {
            tileset_unlink(h, last);
            h->tiles_bytes -= last->t.total;
            tiles_free(&last->t);
            free(last);
        }
        last = prev;
    }
}

static void tiles_work_cb(uv_work_t *w)
{
    tileset_t *ts = w->data;
    if (tiles_cut(ts->path, TILE_HEIGHT, TILE_MAX_PIXELS, &ts->t, ts->err, sizeof ts->err) != 0)
        ts->state = -1;
}

static void tiles_after_cb(uv_work_t *w, int status)
{
    tileset_t *ts = w->data;
    http_t *h = ts->h;
    if (status == UV_ECANCELED) {
        ts->state = -1;
        snprintf(ts->err, sizeof ts->err, "linksnapd is stopping");
    } else if (ts->state == 0) {
        ts->state = 1;
        h->tiles_bytes += ts->t.total;
    } else {
        log_warn("http: cannot cut tiles of snapshot %lld: %s", (long long)ts->snap_id, ts->err);
    }
    hreq_t *r = ts->waiters;
    ts->waiters = NULL;
    while (r) {
        hreq_t *next = r->wait_next;
        if (!http_req_unbusy(r))
            tiles_serve(r, ts);
        r = next;
    }
    if (ts->state < 0) { /* failures are not cached: the next request tries again */
        tileset_unlink(h, ts);
        tiles_free(&ts->t);
        free(ts);
    }
    tiles_evict(h);
}

static void route_tiles(hreq_t *r, int64_t snap_id, const char *png_path)
{
    http_t *h = r->h;
    for (tileset_t *ts = h->tiles; ts; ts = ts->next) {
        if (ts->snap_id != snap_id)
            continue;
        tileset_unlink(h, ts);
        tileset_front(h, ts);
        if (ts->state == 0) {
            r->wait_next = ts->waiters;
            ts->waiters = r;
            r->busy++;
            lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
        } else {
            tiles_serve(r, ts);
        }
        return;
    }
    tileset_t *ts = calloc(1, sizeof *ts);
    if (!ts) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    ts->h = h;
    ts->snap_id = snap_id;
    snprintf(ts->path, sizeof ts->path, "%s", png_path);
    ts->work.data = ts;
    if (uv_queue_work(h->d->loop, &ts->work, tiles_work_cb, tiles_after_cb) != 0) {
        free(ts);
        http_respond_error(r, 500, "cannot queue work");
        return;
    }
    tileset_front(h, ts);
    r->wait_next = NULL;
    ts->waiters = r;
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
}

/* ---- routes: snapshots and charts ------------------------------------------------------ */

static int parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return -1;
    *out = v;
    return 0;
}

/* /snapshots/ID/full.png | thumb.png | tiles.json | tile/N.png */
static void route_snapshot(hreq_t *r, const char *rest)
{
    const char *slash = strchr(rest, '/');
    int64_t id, n = 0;
    if (!slash || parse_id(rest, (size_t)(slash - rest), &id) != 0) {
        http_respond_error(r, 404, "expected /snapshots/ID/full.png, thumb.png, tiles.json or tile/N.png");
        return;
    }
    const char *what = slash + 1;
    int full = !strcmp(what, "full.png"), thumb = !strcmp(what, "thumb.png");
    int meta = !strcmp(what, "tiles.json");
    int tile = 0;
    if (!strncmp(what, "tile/", 5)) {
        const char *num = what + 5, *dot = strstr(num, ".png");
        if (dot && dot[4] == '\0' && (dot == num + 1 && num[0] == '0' ? (n = 0, 1)
                                                                      : parse_id(num, (size_t)(dot - num), &n) == 0))
            tile = 1;
    }
    if (!full && !thumb && !meta && !tile) {
        http_respond_error(r, 404, "expected /snapshots/ID/full.png, thumb.png, tiles.json or tile/N.png");
        return;
    }
    store_snapshot_t *snap = NULL;
    int rc = store_snapshot_get(r->h->d->reader, id, &snap);
    if (rc == STORE_ENOTFOUND || (rc == STORE_OK && !snap)) {
        http_respond_error(r, 404, "no snapshot %lld", (long long)id);
        return;
    }
    if (rc != STORE_OK) {
        http_respond_error(r, 503, "the store could not be read: %s", store_errmsg(r->h->d->reader));
        return;
    }
    const char *path = thumb ? snap->thumb_path : snap->path;
    char resolved[PATH_MAX];
    if (!path) {
        http_respond_error(r, 404, "snapshot %lld has no %s yet (state %s)", (long long)id,
                      thumb ? "thumbnail" : "image", snap->state);
    } else if (!snapshot_path_ok(r->h, path, resolved)) {
        log_warn("http: snapshot %lld points outside the snapshot directory; refused", (long long)id);
        http_respond_error(r, 404, "snapshot %lld has no readable file", (long long)id);
    } else if (meta || tile) {
        r->tile_n = meta ? -1 : (int)(n > INT_MAX ? INT_MAX : n);
        route_tiles(r, id, resolved);
    } else {
        req_header(r, "cache-control:", "private, max-age=86400");
        respond_file(r, resolved, "image/png");
    }
    store_snapshot_free(snap);
}

const char *http_arg_get(const hreq_t *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->nargs; i++)
        if (!strncmp(r->args[i], name, n) && r->args[i][n] == '=')
            return r->args[i] + n + 1;
    return NULL;
}

static void chart_done_cb(method_call_t *call, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r))
        return;
    if (call->err_code) {
        int status = call->err_code == RPC_INVALID_PARAMS ? 400 : call->err_code == RPC_UNAVAILABLE ? 503 : 500;
        http_respond_error(r, status, "%s", call->err_msg);
        return;
    }
    const char *data = json_string_value(json_object_get(call->result, "data"));
    const char *format = json_string_value(json_object_get(call->params, "format"));
    int svg = format && !strcmp(format, "svg");
    if (!data) {
        http_respond_error(r, 500, "chart.render answered without inline data");
        return;
    }
    size_t len = strlen(data);
    unsigned char *img = malloc(len / 4 * 3 + 4);
    long n = img ? util_base64_decode(data, len, img) : -1;
    if (n < 0) {
        free(img);
        http_respond_error(r, 500, "chart.render's data is not base64");
        return;
    }
    req_header(r, "cache-control:", "no-store");
    if (svg)
        req_header(r, "content-security-policy:", CSP_SVG);
    respond_owned(r, 200, svg ? "image/svg+xml" : "image/png", img, (size_t)n);
}

/* /chart/KIND.svg|png?days=&tag=&top=&width=&height=&scale=&lang= -> chart.render inline
 * (scale may have a fraction: devicePixelRatio is often 1.25, 1.5 or 2.625) */
static void route_chart(hreq_t *r, const char *rest)
{
    const method_def_t *def = methods_find("chart.render");
    if (!def) {   /* the method table always has it; a build that lost it says so */
        http_respond_error(r, 500, "chart.render is missing from linksnapd's method table");
        return;
    }
    const char *dot = strrchr(rest, '.');
    char kind[32];
    if (!dot || dot == rest || (size_t)(dot - rest) >= sizeof kind ||
        (strcmp(dot, ".svg") && strcmp(dot, ".png"))) {
        http_respond_error(r, 404, "expected /chart/KIND.svg or /chart/KIND.png");
        return;
    }
    memcpy(kind, rest, (size_t)(dot - rest));
    kind[dot - rest] = '\0';
    json_t *params = json_pack("{s:s,s:s,s:b}", "kind", kind, "format", dot + 1, "inline", 1);
    static const char *const ints[] = {"days", "top", "width", "height"};
    for (size_t i = 0; params && i < LS_ARRAY_LEN(ints); i++) {
        const char *v = http_arg_get(r, ints[i]);
        if (!v || !*v)
            continue;
        char *end;
        long x = strtol(v, &end, 10);
        if (*end || x < 0 || x > 100000) {
            json_decref(params);
            http_respond_error(r, 400, "query '%s' must be a whole number", ints[i]);
            return;
        }
        json_object_set_new(params, ints[i], json_integer(x));
    }
    const char *scale = http_arg_get(r, "scale");
    if (params && scale && *scale) {
        char *end;
        double x = strtod(scale, &end);
        if (*end || !(x >= 0 && x <= 100)) {
            json_decref(params);
            http_respond_error(r, 400, "query 'scale' must be a number");
            return;
        }
        json_object_set_new(params, "scale", json_real(x));
    }
    const char *tag = http_arg_get(r, "tag"), *lang = http_arg_get(r, "lang");
    if (params && tag && *tag)
        json_object_set_new(params, "tag", json_string(tag));
    if (params && lang && *lang)
        json_object_set_new(params, "lang", json_string(lang));
    if (!params) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    r->call.method = def->name;
    r->call.params = params;
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
    dispatch_run(r->h->d, def, &r->call, chart_done_cb, r);
}

/* ---- POST bodies: /rpc, /login, /import ------------------------------------------------ */

static void rpc_done_cb(json_t *reply, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r)) {
        json_decref(reply);
        return;
    }
    if (!reply) {
        respond_static(r, 204, "application/json", (const unsigned char *)"", 0);
        return;
    }
    http_respond_json(r, 200, reply);
}

static void run_rpc(hreq_t *r)
{
    char err[256];
    json_t *doc = rpc_parse_line(r->body.data ? r->body.data : "", r->body.len, err, sizeof err);
    if (!doc) {
        http_respond_json(r, 200, rpc_error(NULL, RPC_PARSE_ERROR, err, NULL));
        return;
    }
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 300);
    if (dispatch_doc(r->h->d, doc, 1, rpc_done_cb, r) != 0) {
        r->busy--;
        http_respond_error(r, 500, "out of memory");
    }
    json_decref(doc);
}

static void cookie_header(char *out, size_t outlen, const char *value, int max_age, int secure)
{
    snprintf(out, outlen, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", HTTP_AUTH_COOKIE,
             value, max_age, secure ? "; Secure" : "");
}

/* GET /PAGE?token=T (the address `linksnap web` prints): with the right token, a session
 * cookie and a redirect to the same page without the token, so it leaves the address bar
 * and the history, as Jupyter does. */
static void login_link(hreq_t *r)
{
    char session[65], cookie[256], loc[4096];
    http_peer_t peer;
    http_auth_peer_init(&peer, lws_get_socket_fd(r->wsi));
    int rc = http_auth_login(&r->h->auth, http_arg_get(r, "token"), &peer, session);
    if (rc == -2) {
        req_header(r, "retry-after:", "60");
        http_respond_error(r, 429, "too many wrong tokens; try again in a minute");
        return;
    }
    if (rc != 0) {
        log_notice("http: a wrong token was given in a login address");
        http_respond_error(r, 403, "wrong token: run `linksnap web` for the right address");
        return;
    }
    size_t o = (size_t)snprintf(loc, sizeof loc, "%s", r->path);
    char sep = '?';
    for (int i = 0; i < r->nargs && o < sizeof loc; i++) {
        if (!strncmp(r->args[i], "token=", 6))
            continue;
        /* lws decoded the arguments; encode what a URL may not carry as is */
        o += (size_t)snprintf(loc + o, sizeof loc - o, "%c", sep);
        sep = '&';
        for (const unsigned char *c = (const unsigned char *)r->args[i]; *c && o + 4 < sizeof loc; c++) {
            int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                       (*c && strchr("-_.~=,:/@!$()*;", *c));
            if (keep)
                loc[o++] = (char)*c;
            else
                o += (size_t)snprintf(loc + o, sizeof loc - o, "%%%02X", *c);
        }
        loc[o < sizeof loc ? o : sizeof loc - 1] = '\0';
    }
    cookie_header(cookie, sizeof cookie, session, 30 * 24 * 3600, r->h->auth.tls);
    req_header(r, "set-cookie:", cookie);
    req_header(r, "location:", loc);
    req_header(r, "cache-control:", "no-store");
    respond_static(r, 303, "text/plain", (const unsigned char *)"", 0);
}

static void run_login(hreq_t *r)
{
    json_t *doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "token"));
    char session[65], cookie[256];
    if (!token) {
        json_decref(doc);
        http_respond_error(r, 400, "expected {\"token\": \"...\"}");
        return;
    }
    http_peer_t peer;
    http_auth_peer_init(&peer, r->wsi ? lws_get_socket_fd(r->wsi) : -1);
    int rc = http_auth_login(&r->h->auth, token, &peer, session);
    json_decref(doc);
    if (rc == -2) {
        req_header(r, "retry-after:", "60");
        http_respond_error(r, 429, "too many wrong tokens; try again in a minute");
        return;
    }
    if (rc != 0) {
        log_notice("http: a wrong token was given to /login");
        http_respond_error(r, 403, "wrong token");
        return;
    }
    cookie_header(cookie, sizeof cookie, session, 30 * 24 * 3600, r->h->auth.tls);
    req_header(r, "set-cookie:", cookie);
    http_respond_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static int on_body(pss_t *ps, const char *in, size_t len)
{
    hreq_t *r = ps ? ps->r : NULL;
    if (!r || r->discard)
        return 0;
    if (r->body_kind == B_UPLOAD) {
        http_upload_feed(r, in, len);
        return 0;
    }
    if (buf_append(&r->body, in, len) != 0)
        http_respond_error(r, 413, "request body over %zu bytes", r->body.max);
    return 0;
}

static int on_body_done(pss_t *ps)
{
    hreq_t *r = ps ? ps->r : NULL;
    if (!r || r->discard)
        return 0;
    switch (r->body_kind) {
    case B_RPC: run_rpc(r); break;
    case B_LOGIN: run_login(r); break;
    case B_UPLOAD: http_upload_done(r); break;
    }
    return 0;
}

/* ---- routing ---------------------------------------------------------------------------- */

int http_hdr(struct lws *wsi, enum lws_token_indexes t, char *out, int outlen)
{
    out[0] = '\0';
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0)
        return 0;
    if (n >= outlen)
        return -1;
    return lws_hdr_copy(wsi, out, outlen, t) < 0 ? -1 : 1;
}

static const asset_t *asset_find(http_t *h, const char *path)
{
    for (size_t i = 0; i < h->nassets; i++)
        if (!strcmp(h->assets[i].a->path, path))
            return &h->assets[i];
    return NULL;
}

static int is_page(const char *p)
{
    static const char *const pages[] = {"/", "/links", "/tags", "/stats", "/import", "/login",
                                        "/sites"};
    for (size_t i = 0; i < LS_ARRAY_LEN(pages); i++)
        if (!strcmp(p, pages[i]))
            return 1;
    int64_t id;
    return !strncmp(p, "/links/", 7) && parse_id(p + 7, strlen(p + 7), &id) == 0;
}

static void serve_asset(hreq_t *r, const asset_t *as)
{
    char inm[128], ae[256];
    if (http_hdr(r->wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, inm, sizeof inm) > 0 && strstr(inm, as->etag)) {
        req_header(r, "etag:", as->etag);
        req_header(r, "cache-control:", "no-cache");
        respond_static(r, 304, NULL, (const unsigned char *)"", 0);
        return;
    }
    req_header(r, "etag:", as->etag);
    req_header(r, "cache-control:", "no-cache");
    req_header(r, "vary:", "Accept-Encoding");
    if (as->gz && http_hdr(r->wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, ae, sizeof ae) > 0 && strstr(ae, "gzip")) {
        req_header(r, "content-encoding:", "gzip");
        respond_static(r, 200, as->a->type, as->gz, as->gzlen);
        return;
    }
    respond_static(r, 200, as->a->type, as->a->data, as->a->len);
}

static int authorized(hreq_t *r)
{
    char cookie[2048], authz[512];
    int hc = http_hdr(r->wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof cookie);
    int ha = http_hdr(r->wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz, sizeof authz);
    http_peer_t peer;
    http_auth_peer_init(&peer, lws_get_socket_fd(r->wsi));
    return http_auth_allowed(&r->h->auth, hc > 0 ? cookie : NULL, ha > 0 ? authz : NULL, &peer);
}

/* The Authorization header: 1 right Bearer token, 0 none, -1 wrong, -2 throttled. */
static int bearer(hreq_t *r)
{
    char authz[512];
    http_peer_t peer;
    http_auth_peer_init(&peer, lws_get_socket_fd(r->wsi));
    return http_auth_bearer(&r->h->auth, http_hdr(r->wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz, sizeof authz) > 0
                                             ? authz : NULL, &peer);
}

static int origin_ok(hreq_t *r)
{
    char origin[256];
    return http_hdr(r->wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin) > 0 &&
           http_auth_origin_ok(&r->h->auth, origin, r->host);
}

static void route_post(hreq_t *r)
{
    char clen[32], ctype[128];
    const char *p = r->path;
    int rpc = !strcmp(p, "/rpc"), login = !strcmp(p, "/login"), logout = !strcmp(p, "/logout"),
        upload = !strcmp(p, "/import");
    if (!rpc && !login && !logout && !upload) {
        r->body_kind = B_RPC;   /* so the refusal closes rather than parse the body */
        http_respond_error(r, 404, "no POST route %s (POST /rpc, /login, /logout, /import)", p);
        return;
    }
    r->body_kind = upload ? B_UPLOAD : login ? B_LOGIN : B_RPC;
    /* a script with the token (Bearer) needs no Origin; a browser's cookie does, so another
     * site cannot make the page's browser post for it */
    int b = login || logout ? 0 : bearer(r);
    if (b == -2) {
        req_header(r, "retry-after:", "60");
        http_respond_error(r, 429, "too many wrong tokens; try again in a minute");
        return;
    }
    if (b == -1) {
        http_respond_error(r, 401, "wrong token in Authorization");
        return;
    }
    if (b != 1 && !origin_ok(r)) {
        http_respond_error(r, 403, "Origin must be this page's own (%s://%s)",
                      r->h->auth.tls ? "https" : "http", r->host);
        return;
    }
    if (logout) {
        char cookie[2048], set[256];
        if (http_hdr(r->wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof cookie) > 0)
            http_auth_logout(&r->h->auth, cookie);
        cookie_header(set, sizeof set, "", 0, r->h->auth.tls);
        req_header(r, "set-cookie:", set);
        r->body_kind = B_NONE;
        http_respond_json(r, 200, json_pack("{s:b}", "ok", 1));
        r->close_after = 1;
        return;
    }
    if (!login && b != 1 && !authorized(r)) {
        http_respond_error(r, 401, "log in first: this linksnapd needs its access token (`linksnap web` "
                      "prints the login address)");
        return;
    }
    if (http_hdr(r->wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, clen, sizeof clen) <= 0) {
        http_respond_error(r, 411, "a Content-Length is required");
        return;
    }
    char *end;
    unsigned long long n = strtoull(clen, &end, 10);
    size_t max = upload ? UPLOAD_MAX : login ? SMALL_BODY_MAX : RPC_BODY_MAX;
    if (*end || n > max) {
        http_respond_error(r, 413, "request body over %zu bytes", max);
        return;
    }
    if (!upload) {
        if (http_hdr(r->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof ctype) <= 0 ||
            strncasecmp(ctype, "application/json", 16) != 0) {
            http_respond_error(r, 415, "Content-Type must be application/json");
            return;
        }
        r->body.max = max;
    } else if (http_upload_open(r) != 0) {
        return;
    }
    if (n == 0) /* no body: lws will not call BODY_COMPLETION for us */
        on_body_done(lws_wsi_user(r->wsi));
}

static void route_get(hreq_t *r)
{
    const char *p = r->path;
    http_t *h = r->h;
    if (is_page(p)) {
        if (http_arg_get(r, "token"))
            login_link(r);
        else
            serve_asset(r, h->index);
        return;
    }
    const asset_t *as = asset_find(h, p);
    if (as && strcmp(p, "/index.html")) {
        serve_asset(r, as);
        return;
    }
    if (!strcmp(p, "/auth")) {
        http_respond_json(r, 200, json_pack("{s:b,s:b}", "required", http_auth_required(&h->auth),
                                       "ok", authorized(r)));
        return;
    }
    int snap = !strncmp(p, "/snapshots/", 11), chart = !strncmp(p, "/chart/", 7);
    if (!strcmp(p, "/events")) {
        http_respond_error(r, 426, "/events is a websocket");
        return;
    }
    if (!snap && !chart) {
        http_respond_error(r, 404, "nothing at %s", p);
        return;
    }
    if (!authorized(r)) {
        http_respond_error(r, 401, "log in first: this linksnapd needs its access token");
        return;
    }
    if (snap)
        route_snapshot(r, p + 11);
    else
        route_chart(r, p + 7);
}

static int on_http(http_t *h, struct lws *wsi, pss_t *ps, const char *uri)
{
    if (!ps)
        return -1;
    if (ps->r) { /* the previous request on this connection is done */
        http_req_detach(ps->r);
        ps->r = NULL;
    }
    hreq_t *r = req_new(h, wsi);
    if (!r)
        return -1;
    ps->r = r;
    ps->wsi = wsi;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
        r->method = M_GET;
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
        r->method = M_HEAD;
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
        r->method = M_POST;
    else
        r->method = M_OTHER;
    if (r->method == M_OTHER) {
        r->body_kind = B_RPC;   /* close afterwards: a body we never read may follow */
        req_header(r, "allow:", "GET, HEAD, POST");
        http_respond_error(r, 405, "only GET, HEAD and POST");
        return 0;
    }
    if (h->closing) {
        r->close_after = 1;
        http_respond_error(r, 503, "linksnapd is stopping");
        return 0;
    }
    if (strlen(uri) >= sizeof r->path) {
        r->close_after = 1;
        http_respond_error(r, 414, "path over %zu bytes", sizeof r->path - 1);
        return 0;
    }
    snprintf(r->path, sizeof r->path, "%s", uri);
    if (http_hdr(wsi, WSI_TOKEN_HOST, r->host, sizeof r->host) <= 0 || !http_auth_host_ok(&h->auth, r->host)) {
        r->close_after = 1;
        http_respond_error(r, 421, "Host must name this linksnapd (%s)", h->url);
        return 0;
    }
    /* every argument is kept whole or the request is refused: one too long for its buffer
     * was once skipped with all those after it, and an upload's tags went missing */
    for (int i = 0;; i++) {
        int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len <= 0)
            break;
        if (i == MAX_ARGS || (size_t)len >= sizeof r->args[0]) {
            r->close_after = 1;
            http_respond_error(r, 414, i == MAX_ARGS ? "more than %d query arguments"
                               : "a query argument over %d bytes", i == MAX_ARGS ? MAX_ARGS : ARG_MAX - 1);
            return 0;
        }
        if (lws_hdr_copy_fragment(wsi, r->args[r->nargs], sizeof r->args[0], WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
            break;
        r->nargs++;
    }
    if (r->method == M_POST)
        route_post(r);
    else
        route_get(r);
    return 0;
}

/* ---- the lws callback ------------------------------------------------------------------- */

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    http_t *h = lws_context_user(lws_get_context(wsi));
    pss_t *ps = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(h, wsi, ps, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(ps, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return on_body_done(ps);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return ps ? on_writable(h, wsi, ps) : -1;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (ps && ps->r) {
            http_req_detach(ps->r);
            ps->r = NULL;
        }
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return http_ws_filter(h, wsi, ps);
    case LWS_CALLBACK_ESTABLISHED:
        return ps ? http_ws_open(h, wsi, ps) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ps ? http_ws_write(wsi, ps) : -1;
    case LWS_CALLBACK_RECEIVE:
        return 0;   /* the page only listens */
    case LWS_CALLBACK_CLOSED:
        if (ps) {
            http_ws_closed(h, ps);
            if (ps->r) {
                http_req_detach(ps->r);
                ps->r = NULL;
            }
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"linksnap", cb_http, sizeof(pss_t), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- start and stop --------------------------------------------------------------------- */

static int assets_prepare(http_t *h)
{
    h->assets = calloc(web_assets_count, sizeof *h->assets);
    struct libdeflate_compressor *gzc = libdeflate_alloc_compressor(12);
    if (!h->assets || !gzc) {
        libdeflate_free_compressor(gzc);
        return -1;
    }
    h->nassets = web_assets_count;
    for (size_t i = 0; i < web_assets_count; i++) {
        asset_t *as = &h->assets[i];
        as->a = &web_assets[i];
        uint64_t fnv = 1469598103934665603ull;
        for (size_t k = 0; k < as->a->len; k++)
            fnv = (fnv ^ as->a->data[k]) * 1099511628211ull;
        snprintf(as->etag, sizeof as->etag, "\"%016llx\"", (unsigned long long)fnv);
        if (!strcmp(as->a->path, "/index.html"))
            h->index = as;
        if (as->a->len < 512 || !strncmp(as->a->type, "image/png", 9))
            continue;
        /* gzip'ed once at start with libdeflate, the deflater thumbnails and tiles use:
         * level 12, its smallest output, costs milliseconds for the page's few assets */
        size_t cap = libdeflate_gzip_compress_bound(gzc, as->a->len);
        unsigned char *gz = malloc(cap);
        size_t n = gz ? libdeflate_gzip_compress(gzc, as->a->data, as->a->len, gz, cap) : 0;
        if (n && n < as->a->len) {
            as->gz = gz;
            as->gzlen = n;
        } else {
            free(gz);
        }
    }
    libdeflate_free_compressor(gzc);
    return h->index ? 0 : -1;
}

/* The address to bind for http.listen's host: a literal stays as it is, a name
 * ("localhost") is resolved once at start (IPv4 first), so the listener is where the log
 * says it is, or linksnapd refuses to start. */
static int listen_resolve(const char *host, char *out, size_t outlen, char *err, size_t errlen)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1) {
        snprintf(out, outlen, "%s", host);
        return 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "http.listen: cannot resolve '%s' (%s); give an address such as "
                 "127.0.0.1", host, rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    rc = getnameinfo(pick->ai_addr, pick->ai_addrlen, out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    if (rc != 0) {
        snprintf(err, errlen, "http.listen: cannot use the address of '%s' (%s)", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

/* Tries the bind lws will do (same SO_REUSEADDR), without listening. libwebsockets on a
 * foreign loop builds a context even when its listener cannot bind, and tearing that
 * context down unloads its libuv glue under handles libuv still runs (a wild jump): so a
 * busy address is found here, before any lws context exists. 0, or -1 with why. */
static int listen_probe(const char *addr, int port, char *why, size_t whylen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, addr, &s4->sin_addr);
        sl = sizeof *s4;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&ss, sl);
    int e = errno;
    close(fd);
    if (rc == 0)
        return 0;
    snprintf(why, whylen, "%s", e == EADDRINUSE ? "the address is in use by another program"
                                : e == EADDRNOTAVAIL ? "it is not an address of this machine"
                                : e == EACCES ? "permission denied (a port below 1024 needs root)"
                                : strerror(e));
    return -1;
}

/* <state_dir>/http.token: read it, or make it at first start (32 random bytes, hex; 0600,
 * O_EXCL|O_NOFOLLOW). An existing one must be this user's own and private. */
static int token_auto(const char *state_dir, char *out, size_t outlen, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/http.token", state_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        unsigned char rnd[32];
        char hex[65];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
            snprintf(err, errlen, "no randomness for the web page's token");
            close(fd);
            unlink(path);
            return -1;
        }
        util_hex(rnd, sizeof rnd, hex);
        hex[64] = '\n';
        if (write(fd, hex, 65) != 65 || fsync(fd) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return -1;
        }
        close(fd);
        log_notice("made the web page's access token in %s (`linksnap web` prints the login address)",
                   path);
    } else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
        snprintf(err, errlen, "%s must be a regular file of this user with mode 0600; remove it "
                 "and linksnapd makes a new one", path);
        return -1;
    }
    return http_auth_read_token_file(path, out, outlen, err, errlen);
}

/* The token: http.token, else http.token_file, else the state dir's own (when state_dir is
 * NULL, a placeholder: the config check runs before the state dir exists). */
static int token_resolve(const config_t *cfg, const char *state_dir, char *out, size_t outlen,
                         char *err, size_t errlen)
{
    if (cfg->http_token[0]) {
        snprintf(out, outlen, "%s", cfg->http_token);
        return 0;
    }
    if (cfg->http_token_file[0])
        return http_auth_read_token_file(cfg->http_token_file, out, outlen, err, errlen);
    if (!state_dir) {   /* a check only: the token made at start is 64 hex characters */
        snprintf(out, outlen, "%s", "made-at-start:0000000000000000000000000000000000000000000000000");
        return 0;
    }
    return token_auto(state_dir, out, outlen, err, errlen);
}

static int tls_wanted(const config_t *cfg, char *err, size_t errlen)
{
    int c = cfg->http_tls_cert[0] != '\0', k = cfg->http_tls_key[0] != '\0';
    if (c != k) {
        snprintf(err, errlen, "http.tls_cert and http.tls_key go together: set both or neither");
        return -1;
    }
    const char *files[] = {cfg->http_tls_cert, cfg->http_tls_key};
    for (int i = 0; c && i < 2; i++) {
        if (access(files[i], R_OK) != 0) {
            snprintf(err, errlen, "%s: cannot read %s: %s", i ? "http.tls_key" : "http.tls_cert",
                     files[i], strerror(errno));
            return -1;
        }
    }
    return c;
}

int http_check_config(const config_t *cfg, char *err, size_t errlen)
{
    if (!strcmp(cfg->http_listen, "off"))
        return 0;
    char host[128], token[256];
    int port, tls;
    http_auth_t *a = malloc(sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    if (http_auth_parse_listen(cfg->http_listen, host, sizeof host, &port, err, errlen) != 0)
        goto out;
    if ((tls = tls_wanted(cfg, err, errlen)) < 0 ||
        http_auth_check_listener(host, port, tls, cfg->http_allow_plain, err, errlen) != 0)
        goto out;
    if (token_resolve(cfg, NULL, token, sizeof token, err, errlen) != 0)
        goto out;
    char addr[INET6_ADDRSTRLEN];
    if (listen_resolve(host, addr, sizeof addr, err, errlen) != 0)
        goto out;
    rc = http_auth_init(a, host, port, token, tls, err, errlen);
out:
    free(a);
    return rc;
}

http_t *http_start(daemon_t *d, char *err, size_t errlen)
{
    http_t *h = calloc(1, sizeof *h);
    char host[128], token[256];
    int port, tls;
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->d = d;
    if (http_auth_parse_listen(d->cfg.http_listen, host, sizeof host, &port, err, errlen) != 0)
        goto fail;
    if ((tls = tls_wanted(&d->cfg, err, errlen)) < 0 ||
        http_auth_check_listener(host, port, tls, d->cfg.http_allow_plain, err, errlen) != 0)
        goto fail;
    if (token_resolve(&d->cfg, d->cfg.state_dir, token, sizeof token, err, errlen) != 0)
        goto fail;
    if (http_auth_init(&h->auth, host, port, token, tls, err, errlen) != 0)
        goto fail;
    memset(token, 0, sizeof token);
    char addr[INET6_ADDRSTRLEN];
    if (listen_resolve(host, addr, sizeof addr, err, errlen) != 0)
        goto fail;
    char why[120];
    if (listen_probe(addr, port, why, sizeof why) != 0) {
        snprintf(h->error, sizeof h->error, "cannot listen on %s: %s", d->cfg.http_listen, why);
        h->closing = 1;   /* no lws context to close or free */
        return h;
    }
    if (assets_prepare(h) != 0) {
        snprintf(err, errlen, "out of memory (or no index.html compiled in)");
        goto fail;
    }
    if (http_spool_start(h, err, errlen) != 0)
        goto fail;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *foreign[1] = {d->loop};
    info.port = port;
    info.iface = addr;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (!strchr(addr, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = foreign;
    info.user = h;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.max_http_header_data = 8192;
    info.timeout_secs = 30;
    /* a connection silent this long (kept alive, or a request that never ends) is closed,
     * at most a minute as before; a websocket is pinged after half of idle_timeout and
     * closed when no pong came back by the end of it */
    info.keepalive_timeout = d->cfg.idle_timeout_s < 60 ? d->cfg.idle_timeout_s : 60;
    h->idle_policy.secs_since_valid_ping = (uint16_t)(d->cfg.idle_timeout_s / 2 > 0 ? d->cfg.idle_timeout_s / 2 : 1);
    h->idle_policy.secs_since_valid_hangup = (uint16_t)(d->cfg.idle_timeout_s + 1);
    info.retry_and_idle_policy = &h->idle_policy;
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = d->cfg.http_tls_cert;
        info.ssl_private_key_filepath = d->cfg.http_tls_key;
    }
    info.vhost_name = "linksnap";
    info.server_string = "linksnapd";
    lws_set_log_level(LLL_ERR, NULL);
    h->ctx = lws_create_context(&info);
    if (!h->ctx) {
        snprintf(err, errlen, "cannot listen on %s for the web page (in use, or not an address of "
                 "this machine? is libwebsockets-evlib-uv installed?)", d->cfg.http_listen);
        goto fail;
    }
    /* the probe above passed, but another program may have taken the address since: lws
     * then made a context without the vhost, which cannot be torn down safely (see
     * listen_probe). That is reported as a failure to start; main does not run the loop. */
    struct lws_vhost *vh = lws_get_vhost_by_name(h->ctx, "linksnap");
    int bound = vh ? lws_get_vhost_listen_port(vh) : -1;
    if (!vh || bound <= 0) {
        snprintf(err, errlen, "cannot listen on %s: the address was taken while linksnapd "
                 "started; start it again", d->cfg.http_listen);
        h->ctx = NULL;   /* left to the process's exit on purpose */
        goto fail;
    }
    http_auth_set_port(&h->auth, bound);
    h->listening = 1;
    const char *scheme = tls ? "https" : "http";
    snprintf(h->url, sizeof h->url, strchr(host, ':') ? "%s://[%s]:%d" : "%s://%s:%d", scheme, host,
             h->auth.port);
    /* the address a login link names: a wildcard listener is reached on loopback */
    const char *lh = !strcmp(host, "0.0.0.0") ? "127.0.0.1" : !strcmp(host, "::") ? "::1" : host;
    snprintf(h->login_base, sizeof h->login_base, strchr(lh, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
             scheme, lh, h->auth.port);
    return h;
fail:
    http_spool_stop(h);
    for (size_t i = 0; h->assets && i < h->nassets; i++)
        free(h->assets[i].gz);
    free(h->assets);
    free(h);
    return NULL;
}

const char *http_url(const http_t *h) { return h->url; }
int http_listening(const http_t *h) { return h && h->listening; }
const char *http_error(const http_t *h) { return h ? h->error : ""; }

int http_login_url(const http_t *h, char *out, size_t outlen)
{
    static const char hexd[] = "0123456789ABCDEF";
    int n = snprintf(out, outlen, "%s/?token=", h->login_base);
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    size_t o = (size_t)n;
    for (const unsigned char *t = (const unsigned char *)h->auth.token; *t; t++) {
        int plain = (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
                    *t == '-' || *t == '_' || *t == '.' || *t == '~';
        if (o + (plain ? 1 : 3) >= outlen)
            return -1;
        if (plain) {
            out[o++] = (char)*t;
        } else {
            out[o++] = '%';
            out[o++] = hexd[*t >> 4];
            out[o++] = hexd[*t & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

void http_close(http_t *h)
{
    if (!h || h->closing)
        return;
    h->closing = 1;
    http_spool_stop(h);
    lws_context_destroy(h->ctx);   /* first half: closes the listener and every connection */
}

void http_free(http_t *h)
{
    if (!h)
        return;
    if (h->ctx)
        lws_context_destroy(h->ctx);
    while (h->tiles) {
        tileset_t *ts = h->tiles;
        h->tiles = ts->next;
        tiles_free(&ts->t);
        free(ts);
    }
    http_spool_free(h);
    for (size_t i = 0; i < h->nassets; i++)
        free(h->assets[i].gz);
    free(h->assets);
    free(h);
}
