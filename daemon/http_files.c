/* http_files.c -- the web server's snapshot files and images: GET /snapshots/ID/full.png|
 * thumb.png, page.mhtml, page.pdf (files under the snapshot directory only, streamed by
 * http.c; ?download=1 on full.png and always on the others: an attachment), text.txt (the
 * page's words from snapshot.text, as a plain-text attachment), /snapshots/ID/tiles.json
 * and tile/N.png (from the tile cache, tilecache.c), /chart/KIND.svg|png (chart.render
 * through dispatch.c) and /diff/FROM/TO.png (snapshot.diff's overlay, drawn on the thread
 * pool on first request and kept). Who may ask is decided before (http.c, http_auth.c). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "jsonmem.h"
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

/* ---- downloads -------------------------------------------------------------------------- */

/* The length of the UTF-8 character at s (valid UTF-8) when it may reorder or hide what a
 * file name shows -- bidi marks, embeddings, overrides and isolates, zero-width and
 * invisible characters, the byte order mark -- else 0. */
static size_t invisible_len(const unsigned char *s)
{
    if (s[0] == 0xD8 && s[1] == 0x9C)                                  /* U+061C */
        return 2;
    if (s[0] == 0xE2 && s[1] == 0x80 && ((s[2] >= 0x8B && s[2] <= 0x8F) || (s[2] >= 0xAA && s[2] <= 0xAE)))
        return 3;                                                      /* U+200B-200F, 202A-202E */
    if (s[0] == 0xE2 && s[1] == 0x81 && s[2] >= 0xA0 && s[2] <= 0xAF)
        return 3;                                                      /* U+2060-206F */
    if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 3;                                                      /* U+FEFF */
    return 0;
}

static void append(char *out, size_t outlen, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *out, size_t outlen, size_t *o, const char *fmt, ...)
{
    if (*o >= outlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *o, outlen - *o, fmt, ap);
    va_end(ap);
    *o = n < 0 ? outlen : *o + (size_t)n;
}

#define DOWNLOAD_TITLE_MAX 150   /* bytes of the title in filename* */

/* Content-Disposition: attachment for a file of snapshot id (RFC 6266): filename=
 * "linksnap-ID-SLUG.EXT", SLUG the title's ASCII letters and digits with '-' for the rest,
 * and, when the title is valid UTF-8 with more than that, filename*=UTF-8''TITLE.EXT
 * percent-encoded (RFC 8187), path separators and control characters as '_' and the
 * characters that reorder or hide text dropped, so no title can disguise the extension. */
static void download_header(hreq_t *r, int64_t id, const char *title, const char *ext)
{
    char slug[49], value[1024];
    size_t n = 0, o = 0, tlen = title ? strlen(title) : 0;
    int dash = 0, wide = 0;
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)title[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            dash = 1;
            wide |= c >= 0x80;
            continue;
        }
        if (n + 2 >= sizeof slug)
            break;
        if (dash && n)
            slug[n++] = '-';
        dash = 0;
        slug[n++] = (char)c;
    }
    slug[n] = '\0';
    append(value, sizeof value, &o, "attachment; filename=\"linksnap-%lld%s%s.%s\"", (long long)id,
           n ? "-" : "", slug, ext);
    if (wide && util_utf8_valid(title, tlen)) {
        size_t mark = o, used = 0;
        append(value, sizeof value, &o, "; filename*=UTF-8''");
        size_t start = o;
        for (size_t i = 0; i < tlen;) {
            const unsigned char *c = (const unsigned char *)title + i;
            size_t len = invisible_len(c);
            if (len) {
                i += len;
                continue;
            }
            len = c[0] < 0x80 ? 1 : c[0] < 0xE0 ? 2 : c[0] < 0xF0 ? 3 : 4;
            if (used + len > DOWNLOAD_TITLE_MAX)
                break;
            for (size_t k = 0; k < len; k++) {
                unsigned char b = c[k];
                if (b < 0x20 || b == 0x7F || b == '/' || b == '\\')
                    b = '_';
                if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                    strchr("!#$&+-.^_`|~", b))
                    append(value, sizeof value, &o, "%c", b);
                else
                    append(value, sizeof value, &o, "%%%02X", b);
            }
            i += len;
            used += len;
        }
        if (o == start)        /* nothing shown was left */
            o = mark;
        else
            append(value, sizeof value, &o, ".%s", ext);
    }
    value[o < sizeof value ? o : sizeof value - 1] = '\0';
    http_req_header(r, "content-disposition:", value);
}

/* The page's words as a .txt: the title, the byline, then the article's blocks (headings,
 * paragraphs, "- " list items, "> " quotes, preformatted text) with blank lines between, or
 * the visible text when the page was no article; a note at the end when it was cut. */
static int text_render(const json_t *t, buf_t *b)
{
    const char *title = json_string_value(json_object_get(t, "title"));
    const char *byline = json_string_value(json_object_get(t, "byline"));
    const json_t *blocks = json_object_get(t, "blocks");
    int rc = 0;
    if (title && *title)
        rc |= buf_printf(b, "%s\n", title);
    if (byline && *byline)
        rc |= buf_printf(b, "%s\n", byline);
    if (b->len)
        rc |= buf_append_str(b, "\n");
    size_t i;
    const json_t *blk;
    json_array_foreach(blocks, i, blk) {
        const char *kind = json_string_value(json_object_get(blk, "kind"));
        const char *text = json_string_value(json_object_get(blk, "text"));
        if (!kind || !text)
            continue;
        const char *lead = !strcmp(kind, "li") ? "- " : !strcmp(kind, "quote") ? "> " : "";
        rc |= buf_printf(b, "%s%s\n\n", lead, text);
    }
    if (json_array_size(blocks) == 0) {
        const char *text = json_string_value(json_object_get(t, "text"));
        rc |= buf_printf(b, "%s\n", text ? text : "");
    }
    if (json_is_true(json_object_get(t, "cut")))
        rc |= buf_append_str(b, "\n[The page had more text than linksnapd keeps (text_max_kb): "
                                "the rest is cut.]\n");
    return rc;
}

/* Runs def with params (taken) for r through dispatch.c; cb answers (http_req_unbusy first). */
static void run_call(hreq_t *r, const method_def_t *def, json_t *params, dispatch_done_cb cb)
{
    r->call.method = def->name;
    r->call.params = params;
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 120);
    dispatch_run(r->h->d, def, &r->call, cb, r);
}

/* A method call made for a GET (snapshot.text, chart.render) failed: answers its message
 * with the HTTP status of its code and returns 1; 0 when it succeeded. */
static int call_failed(hreq_t *r, const method_call_t *call)
{
    if (!call->err_code)
        return 0;
    int c = call->err_code;
    http_respond_error(r, c == RPC_INVALID_PARAMS ? 400 : c == RPC_NOT_FOUND ? 404 : c == RPC_UNAVAILABLE ? 503 : 500,
                       "%s", call->err_msg);
    return 1;
}

static void text_done_cb(method_call_t *call, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r) || call_failed(r, call))
        return;
    buf_t b;
    buf_init(&b, 0);
    if (text_render(call->result, &b) != 0) {
        buf_free(&b);
        http_respond_error(r, 500, "out of memory");
        return;
    }
    size_t len;
    char *data = buf_take(&b, &len);
    if (!data) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    download_header(r, json_integer_value(json_object_get(call->params, "id")),
                    json_string_value(json_object_get(call->result, "title")), "txt");
    http_req_header(r, "cache-control:", "private, no-cache");
    http_respond_owned(r, 200, "text/plain; charset=utf-8", (unsigned char *)data, len);
}

/* /snapshots/ID/text.txt -> snapshot.text (on the store's readers, through dispatch.c) */
static void route_text(hreq_t *r, int64_t id)
{
    const method_def_t *def = methods_find("snapshot.text");
    json_t *params = def ? json_pack("{s:I}", "id", (json_int_t)id) : NULL;
    if (!params) {
        http_respond_error(r, 500, def ? "out of memory" : "snapshot.text is missing from linksnapd's method table");
        return;
    }
    run_call(r, def, params, text_done_cb);
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

/* The path the snapshot's files record names for kind ("mhtml", "pdf") into out: 1, 0 when
 * it kept none (or the record is not what the store writes), -1 out of memory. */
static int files_path(const store_snapshot_t *snap, const char *kind, char *out, size_t outlen)
{
    json_error_t jerr;
    int nomem = 0;
    json_t *f = snap->files ? jsonmem_loadb(snap->files, strlen(snap->files), 0, &jerr, &nomem) : NULL;
    if (nomem)
        return -1;
    const char *path = json_string_value(json_object_get(json_object_get(f, kind), "path"));
    int found = path && strlen(path) < outlen;
    if (found)
        memcpy(out, path, strlen(path) + 1);
    json_decref(f);
    return found;
}

static const char SNAPSHOT_ROUTES[] =
    "expected /snapshots/ID/full.png, thumb.png, page.mhtml, page.pdf, text.txt, tiles.json or tile/N.png";

/* /snapshots/ID/full.png | thumb.png | page.mhtml | page.pdf | text.txt | tiles.json | tile/N.png */
void http_route_snapshot(hreq_t *r, const char *rest)
{
    const char *slash = strchr(rest, '/');
    int64_t id, n = 0;
    if (!slash || http_parse_id(rest, (size_t)(slash - rest), &id) != 0) {
        http_respond_error(r, 404, "%s", SNAPSHOT_ROUTES);
        return;
    }
    const char *what = slash + 1;
    int full = !strcmp(what, "full.png"), thumb = !strcmp(what, "thumb.png");
    int meta = !strcmp(what, "tiles.json");
    int mhtml = !strcmp(what, "page.mhtml"), pdf = !strcmp(what, "page.pdf");
    int tile = 0;
    if (!strcmp(what, "text.txt")) {
        route_text(r, id);
        return;
    }
    if (!strncmp(what, "tile/", 5)) {
        const char *num = what + 5, *dot = strstr(num, ".png");
        if (dot && dot[4] == '\0' && (dot == num + 1 && num[0] == '0' ? (n = 0, 1)
                                                                      : http_parse_id(num, (size_t)(dot - num), &n) == 0))
            tile = 1;
    }
    if (!full && !thumb && !meta && !tile && !mhtml && !pdf) {
        http_respond_error(r, 404, "%s", SNAPSHOT_ROUTES);
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
    char kept[UTIL_PATH_MAX];
    const char *path = thumb ? snap->thumb_path : snap->path;
    const char *name = thumb ? "thumbnail" : "image";
    if (mhtml || pdf) {
        name = mhtml ? "MHTML" : "PDF";
        int got = files_path(snap, mhtml ? "mhtml" : "pdf", kept, sizeof kept);
        if (got < 0) {
            store_snapshot_free(snap);
            http_respond_error(r, 500, "out of memory");
            return;
        }
        path = got ? kept : NULL;
    }
    char resolved[PATH_MAX];
    const char *download = http_arg_get(r, "download");
    if (!path) {
        http_respond_error(r, 404, "snapshot %lld has no %s%s (state %s)", (long long)id, name,
                           mhtml || pdf ? "" : " yet", snap->state);
    } else if (!snapshot_path_ok(r->h, path, resolved)) {
        log_warn("http: snapshot %lld points outside the snapshot directory; refused", (long long)id);
        http_respond_error(r, 404, "snapshot %lld has no readable file", (long long)id);
    } else if (meta || tile) {
        r->tile_n = meta ? -1 : (int)(n > INT_MAX ? INT_MAX : n);
        route_tiles(r, id, resolved);
    } else {
        /* MHTML and PDF open from a file only (or should: a PDF viewer is a program of its
         * own), so they are always downloads; the picture is one on ?download=1 */
        if (mhtml || pdf || (download && strcmp(download, "0")))
            download_header(r, id, snap->title, mhtml ? "mhtml" : pdf ? "pdf" : "png");
        http_req_header(r, "cache-control:", "private, max-age=86400");
        http_respond_file(r, resolved, mhtml ? "multipart/related" : pdf ? "application/pdf" : "image/png");
    }
    store_snapshot_free(snap);
}

static void chart_done_cb(method_call_t *call, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r) || call_failed(r, call))
        return;
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

/* /chart/KIND.svg|png?days=&tag=&top=&width=&height=&scale=&lang=&theme= -> chart.render inline
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
    const char *theme = http_arg_get(r, "theme");
    if (params && theme && *theme)
        json_object_set_new(params, "theme", json_string(theme));
    if (!params) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    run_call(r, def, params, chart_done_cb);
}

/* ---- /diff/FROM/TO.png: the overlay of snapshot.diff ------------------------------------ */

/* Sends the overlay file at path (it must be under the snapshot directory). */
static void diff_serve(hreq_t *r, const char *path)
{
    char resolved[PATH_MAX];
    if (!snapshot_path_ok(r->h, path, resolved)) {
        http_respond_error(r, 500, "the diff's picture is not where linksnapd keeps diffs");
        return;
    }
    http_req_header(r, "cache-control:", "private, max-age=86400");
    http_respond_file(r, resolved, "image/png");
}

static void diff_done_cb(method_call_t *call, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r) || call_failed(r, call))
        return;
    const char *path = json_string_value(json_object_get(json_object_get(call->result, "image"), "path"));
    if (!path) {   /* the same picture twice: nothing to outline */
        http_respond_error(r, 404, "snapshots %lld and %lld have the same screenshot: there is no "
                           "diff picture", (long long)json_integer_value(json_object_get(call->result, "from")),
                           (long long)json_integer_value(json_object_get(call->result, "to")));
        return;
    }
    diff_serve(r, path);
}

/* /diff/FROM/TO.png -> the kept overlay, else snapshot.diff {from, to} (off the loop), which
 * draws and keeps it; its errors (unknown snapshot, different links, no screenshot) answer
 * with their HTTP status. */
void http_route_diff(hreq_t *r, const char *rest)
{
    const char *slash = strchr(rest, '/'), *dot = slash ? strstr(slash, ".png") : NULL;
    int64_t from, to;
    if (!slash || !dot || dot[4] || http_parse_id(rest, (size_t)(slash - rest), &from) ||
        http_parse_id(slash + 1, (size_t)(dot - slash - 1), &to)) {
        http_respond_error(r, 404, "expected /diff/FROM/TO.png (two snapshot ids)");
        return;
    }
    char kept[UTIL_PATH_MAX], resolved[PATH_MAX];
    if (util_path(kept, "%s/snapshots/diffs/%lld-%lld.png", r->h->d->cfg.state_dir, (long long)from,
                  (long long)to) == 0 && snapshot_path_ok(r->h, kept, resolved)) {
        diff_serve(r, resolved);
        return;
    }
    const method_def_t *def = methods_find("snapshot.diff");
    json_t *params = def ? json_pack("{s:I,s:I}", "from", (json_int_t)from, "to", (json_int_t)to) : NULL;
    if (!params) {
        http_respond_error(r, 500, def ? "out of memory" : "snapshot.diff is missing from linksnapd's method table");
        return;
    }
    run_call(r, def, params, diff_done_cb);
}
