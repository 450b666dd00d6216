/* http_files.c -- the web server's images: GET /snapshots/ID/full.png|thumb.png (files
 * under the snapshot directory only, streamed by http.c), /snapshots/ID/tiles.json and
 * tile/N.png (from the tile cache, tilecache.c) and /chart/KIND.svg|png (chart.render
 * through dispatch.c). Who may ask is decided before (http.c, http_auth.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "log.h"
#include "method.h"
#include "util.h"

/* an SVG chart opened on its own must not run anything */
static const char CSP_SVG[] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/* realpath of path, and is it inside the snapshot directory? */
static int snapshot_path_ok(http_t *h, const char *path, char *resolved)
{
    if (!h->snapdir[0]) {
        char dir[UTIL_PATH_MAX];
        if (util_path(dir, "%s/snapshots", h->d->cfg.state_dir) != 0 || !realpath(dir, h->snapdir)) {
            h->snapdir[0] = '\0';
            return 0;
        }
    }
    if (!path || path[0] != '/' || !realpath(path, resolved))
        return 0;
    size_t n = strlen(h->snapdir);
    return strncmp(resolved, h->snapdir, n) == 0 && resolved[n] == '/';
}

/* ---- tiles: from the tile cache (tilecache.c) ------------------------------------------ */

static void tiles_serve(hreq_t *r, const tiles_t *t, const char *err)
{
    if (!t) {
        http_respond_error(r, 422, "%s", err);
        return;
    }
    http_req_header(r, "cache-control:", "private, max-age=86400");
    if (r->tile_n < 0) {
        http_respond_json(r, 200, json_pack("{s:I,s:i,s:i,s:i,s:i}", "snapshot_id", (json_int_t)r->tile_snap,
                                       "width", (int)t->width, "height", (int)t->height,
                                       "tile_height", (int)t->tile_height, "count", (int)t->count));
        return;
    }
    if ((uint32_t)r->tile_n >= t->count) {
        http_respond_error(r, 404, "tile %d does not exist (this snapshot has %u)", r->tile_n, t->count);
        return;
    }
    /* the tile may be evicted while we send it: send a copy */
    unsigned char *copy = malloc(t->len[r->tile_n]);
    if (!copy) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    memcpy(copy, t->data[r->tile_n], t->len[r->tile_n]);
    http_respond_owned(r, 200, "image/png", copy, t->len[r->tile_n]);
}

/* A cut the request waited for is done (or the loop stops). */
static void tiles_ready_cb(const tiles_t *t, const char *err, void *ud)
{
    hreq_t *r = ud;
    if (!http_req_unbusy(r))
        tiles_serve(r, t, err);
}

/* Answers now when the cache has them, else waits for the cut. */
static void route_tiles(hreq_t *r, int64_t snap_id, const char *png_path)
{
    char err[120];
    r->tile_snap = snap_id;
    r->busy++;   /* in case the answer is now: tiles_ready_cb ends it either way */
    int rc = tilecache_get(r->h->tiles, snap_id, png_path, &r->tile_wait, tiles_ready_cb, r,
                           err, sizeof err);
    if (rc < 0) {
        r->busy--;
        http_respond_error(r, 500, "%s", err);
    } else if (rc == 1) {
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
    }
}

/* ---- routes: snapshots and charts ------------------------------------------------------ */

int http_parse_id(const char *s, size_t len, int64_t *out)
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
void http_route_snapshot(hreq_t *r, const char *rest)
{
    const char *slash = strchr(rest, '/');
    int64_t id, n = 0;
    if (!slash || http_parse_id(rest, (size_t)(slash - rest), &id) != 0) {
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
                                                                      : http_parse_id(num, (size_t)(dot - num), &n) == 0))
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
        http_req_header(r, "cache-control:", "private, max-age=86400");
        http_respond_file(r, resolved, "image/png");
    }
    store_snapshot_free(snap);
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
    http_req_header(r, "cache-control:", "no-store");
    if (svg)
        http_req_header(r, "content-security-policy:", CSP_SVG);
    http_respond_owned(r, 200, svg ? "image/svg+xml" : "image/png", img, (size_t)n);
}

/* /chart/KIND.svg|png?days=&tag=&top=&width=&height=&scale=&lang= -> chart.render inline
 * (scale may have a fraction: devicePixelRatio is often 1.25, 1.5 or 2.625) */
void http_route_chart(hreq_t *r, const char *rest)
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
