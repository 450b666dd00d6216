/* http_assets.c -- the page's compiled-in files (web/static): found by path, gzip'ed once
 * at start (libdeflate) when that makes them smaller, served with an ETag (a 64-bit FNV-1a
 * of the bytes) and revalidated with If-None-Match. The page's own addresses (/, /links,
 * /links/N, ...) all get index.html. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>

#include "http_int.h"
#include "util.h"

const asset_t *http_asset_find(http_t *h, const char *path)
{
    for (size_t i = 0; i < h->nassets; i++)
        if (!strcmp(h->assets[i].a->path, path))
            return &h->assets[i];
    return NULL;
}

int http_is_page(const char *p)
{
    static const char *const pages[] = {"/", "/links", "/tags", "/stats", "/import", "/login",
                                        "/sites", "/changes"};
    for (size_t i = 0; i < LS_ARRAY_LEN(pages); i++)
        if (!strcmp(p, pages[i]))
            return 1;
    int64_t id;
    const char *diff = !strncmp(p, "/changes/", 9) ? p + 9 : NULL;   /* /changes/FROM/TO */
    const char *to = diff ? strchr(diff, '/') : NULL;
    return (!strncmp(p, "/links/", 7) && http_parse_id(p + 7, strlen(p + 7), &id) == 0) ||
           (!strncmp(p, "/read/", 6) && http_parse_id(p + 6, strlen(p + 6), &id) == 0) ||
           (to && http_parse_id(diff, (size_t)(to - diff), &id) == 0 &&
            http_parse_id(to + 1, strlen(to + 1), &id) == 0);
}

void http_serve_asset(hreq_t *r, const asset_t *as)
{
    char inm[128], ae[256];
    if (http_hdr(r->wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, inm, sizeof inm) > 0 && strstr(inm, as->etag)) {
        http_req_header(r, "etag:", as->etag);
        http_req_header(r, "cache-control:", "no-cache");
        http_respond_static(r, 304, NULL, (const unsigned char *)"", 0);
        return;
    }
    http_req_header(r, "etag:", as->etag);
    http_req_header(r, "cache-control:", "no-cache");
    http_req_header(r, "vary:", "Accept-Encoding");
    if (as->gz && http_hdr(r->wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, ae, sizeof ae) > 0 && strstr(ae, "gzip")) {
        http_req_header(r, "content-encoding:", "gzip");
        http_respond_static(r, 200, as->a->type, as->gz, as->gzlen);
        return;
    }
    http_respond_static(r, 200, as->a->type, as->a->data, as->a->len);
}

int http_assets_prepare(http_t *h)
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
        uint64_t fnv = util_fnv1a64(as->a->data, as->a->len);
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
