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
 *   GET  /diff/FROM/TO.png                              snapshot.diff's overlay picture
 *   POST /import                                        upload into the import spool
 * Everything slow leaves the loop: files are read with uv_fs, tiles are cut on the thread
 * pool, method calls run where dispatch.c puts them. This file owns requests, responses,
 * routing and the server's life; who may do what is http_auth.c's, the page's files
 * http_assets.c's, images http_files.c's (tiles from tilecache.c), /rpc and /login
 * http_api.c's, the set-up from the config http_listen.c's, the upload path
 * http_upload.c's and the websocket's events http_ws.c's. */
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

#include "errcode.h"
#include "log.h"
#include "util.h"

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

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
    http_export_free(r->exp);
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

void http_req_header(hreq_t *r, const char *name, const char *value)
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
void http_respond_static(hreq_t *r, int status, const char *ctype, const unsigned char *body,
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
void http_respond_owned(hreq_t *r, int status, const char *ctype, unsigned char *body, size_t len)
{
    free(r->owned);
    r->owned = body;
    http_respond_static(r, status, ctype, body, len);
}

void http_respond_json(hreq_t *r, int status, json_t *doc)   /* takes doc */
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";
        http_respond_static(r, 500, "application/json", (const unsigned char *)oom, sizeof oom - 1);
        return;
    }
    http_req_header(r, "cache-control:", "no-store");
    http_respond_owned(r, status, "application/json", (unsigned char *)text, strlen(text));
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
    json_t *body = json_pack("{s:{s:i,s:s}}", "error", "code", status, "message", msg);
    json_t *data = errcode_data(msg);   /* the page translates it (protocol/errcode.c) */
    if (body && data)
        json_object_set_new(json_object_get(body, "error"), "data", data);
    else
        json_decref(data);
    http_respond_json(r, status, body);
}

static int write_headers(http_t *h, hreq_t *r, struct lws *wsi)
{
    unsigned char *start = h->wbuf + LWS_PRE, *p = start, *end = h->wbuf + sizeof h->wbuf - 1;
    uint64_t len = r->exp ? LWS_ILLEGAL_HTTP_CONTENT_LEN : r->fd >= 0 ? r->file_size : r->out_len;
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
        uint64_t len = r->exp ? 1 : r->fd >= 0 ? r->file_size : r->out_len;
        if (r->method != M_HEAD && len > 0) {
            if (r->fd >= 0)
                file_read_next(r);
            else
                lws_callback_on_writable(wsi);
            return 0;
        }
        goto done;
    }
    if (r->exp) {
        int x = http_export_write(h, r, wsi);
        if (x <= 0)
            return x;
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
void http_respond_file(hreq_t *r, const char *path, const char *ctype)
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

/* ---- tiles ----------------------------------------------------------------------------- */

/* ---- routes: snapshots and charts ------------------------------------------------------ */

const char *http_arg_get(const hreq_t *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->nargs; i++)
        if (!strncmp(r->args[i], name, n) && r->args[i][n] == '=')
            return r->args[i] + n + 1;
    return NULL;
}

/* ---- POST bodies: /rpc, /login, /import ------------------------------------------------ */

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
    case B_RPC: http_run_rpc(r); break;
    case B_LOGIN: http_run_login(r); break;
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
        http_req_header(r, "retry-after:", "60");
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
        http_cookie_header(set, sizeof set, "", 0, r->h->auth.tls);
        http_req_header(r, "set-cookie:", set);
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
    if (http_is_page(p)) {
        if (http_arg_get(r, "token"))
            http_login_link(r);
        else
            http_serve_asset(r, h->index);
        return;
    }
    const asset_t *as = http_asset_find(h, p);
    if (as && strcmp(p, "/index.html")) {
        http_serve_asset(r, as);
        return;
    }
    if (!strcmp(p, "/auth")) {
        http_respond_json(r, 200, json_pack("{s:b,s:b}", "required", http_auth_required(&h->auth),
                                       "ok", authorized(r)));
        return;
    }
    int snap = !strncmp(p, "/snapshots/", 11), chart = !strncmp(p, "/chart/", 7);
    int diff = !strncmp(p, "/diff/", 6), exp = !strcmp(p, "/export");
    if (!strcmp(p, "/events")) {
        http_respond_error(r, 426, "/events is a websocket");
        return;
    }
    if (!snap && !chart && !diff && !exp) {
        http_respond_error(r, 404, "nothing at %s", p);
        return;
    }
    if (!authorized(r)) {
        http_respond_error(r, 401, "log in first: this linksnapd needs its access token");
        return;
    }
    if (exp)
        http_route_export(r);
    else if (snap)
        http_route_snapshot(r, p + 11);
    else if (diff)
        http_route_diff(r, p + 6);
    else
        http_route_chart(r, p + 7);
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
        http_req_header(r, "allow:", "GET, HEAD, POST");
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
    {.name = "linksnap", .callback = cb_http, .per_session_data_size = sizeof(pss_t),
     .rx_buffer_size = 65536},
    {.name = NULL},
};

/* ---- start and stop --------------------------------------------------------------------- */

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
    if ((tls = http_tls_wanted(&d->cfg, err, errlen)) < 0 ||
        http_auth_check_listener(host, port, tls, d->cfg.http_allow_plain, err, errlen) != 0)
        goto fail;
    if (http_token_resolve(&d->cfg, d->cfg.state_dir, token, sizeof token, err, errlen) != 0)
        goto fail;
    if (http_auth_init(&h->auth, host, port, token, tls, err, errlen) != 0)
        goto fail;
    memset(token, 0, sizeof token);
    char addr[INET6_ADDRSTRLEN];
    if (http_listen_resolve(host, addr, sizeof addr, err, errlen) != 0)
        goto fail;
    char why[120];
    if (http_listen_probe(addr, port, why, sizeof why) != 0) {
        snprintf(h->error, sizeof h->error, "cannot listen on %s: %s", d->cfg.http_listen, why);
        h->closing = 1;   /* no lws context to close or free */
        return h;
    }
    if (http_assets_prepare(h) != 0) {
        snprintf(err, errlen, "out of memory (or no index.html compiled in)");
        goto fail;
    }
    if (!(h->tiles = tilecache_new(d->loop, TILE_CACHE_MAX, TILE_HEIGHT, TILE_MAX_PIXELS))) {
        snprintf(err, errlen, "out of memory");
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
    tilecache_free(h->tiles);
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

void http_release_memory(http_t *h)
{
    if (h)
        tilecache_release(h->tiles);
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
    tilecache_free(h->tiles);
    http_spool_free(h);
    for (size_t i = 0; i < h->nassets; i++)
        free(h->assets[i].gz);
    free(h->assets);
    free(h);
}
