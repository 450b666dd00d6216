/* tiles.c -- screenshot PNG -> tiles of tile_height rows, each a PNG (RGB, 8 bit, fast
 * zlib level). Errors from libpng come back through longjmp into the function that set
 * it up; nothing here is shared between threads. */
#include "tiles.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int oom;
} membuf_t;

static void mem_write_cb(png_structp png, png_bytep p, png_size_t n)
{
    membuf_t *m = png_get_io_ptr(png);
    if (m->oom)
        return;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536;
        while (cap < m->len + n)
            cap *= 2;
        unsigned char *d = realloc(m->data, cap);
        if (!d) {
            m->oom = 1;
            return;
        }
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, p, n);
    m->len += n;
}

static void mem_flush_cb(png_structp png) { (void)png; }

/* Encodes rows (rgb, width*3 bytes each) as a PNG. Returns 0 or -1. */
static int encode_tile(const unsigned char *rows, uint32_t width, uint32_t nrows,
                       unsigned char **out, size_t *outlen)
{
    membuf_t m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info)
        goto fail;
    if (setjmp(png_jmpbuf(png)))
        goto fail;
    png_set_write_fn(png, &m, mem_write_cb, mem_flush_cb);
    png_set_compression_level(png, 1);
    png_set_filter(png, 0, PNG_FILTER_SUB);
    png_set_IHDR(png, info, width, nrows, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < nrows; y++)
        png_write_row(png, (png_const_bytep)(rows + (size_t)y * width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (m.oom) {
        free(m.data);
        return -1;
    }
    *out = m.data;
    *outlen = m.len;
    return 0;
fail:
    png_destroy_write_struct(&png, &info);
    free(m.data);
    return -1;
}

void tiles_free(tiles_t *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; t->data && i < t->count; i++)
        free(t->data[i]);
    free(t->data);
    free(t->len);
    memset(t, 0, sizeof *t);
}

int tiles_cut(const char *path, uint32_t tile_height, uint64_t max_pixels, tiles_t *t,
              char *err, size_t errlen)
{
    FILE *f = fopen(path, "rbe");
    png_structp png = NULL;
    png_infop info = NULL;
    unsigned char *volatile rows = NULL;   /* set after setjmp */
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %m", path);
        return -1;
    }
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        snprintf(err, errlen, "%s is not a PNG file", path);
        goto fail;
    }
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(err, errlen, "%s is damaged or truncated", path);
        goto fail;
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) {
        snprintf(err, errlen, "%s is interlaced; tiles need a plain PNG", path);
        goto fail;
    }
    if (w == 0 || h == 0 || (uint64_t)w * h > max_pixels) {
        snprintf(err, errlen, "%s is %ux%u, over the %llu pixels tiles are cut from", path, w, h,
                 (unsigned long long)max_pixels);
        goto fail;
    }
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) {
        snprintf(err, errlen, "%s: unexpected pixel layout", path);
        goto fail;
    }
    t->width = w;
    t->height = h;
    t->tile_height = tile_height;
    t->count = (h + tile_height - 1) / tile_height;
    t->data = calloc(t->count, sizeof *t->data);
    t->len = calloc(t->count, sizeof *t->len);
    rows = malloc((size_t)w * 3 * tile_height);
    if (!t->data || !t->len || !rows) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < t->count; i++) {
        uint32_t n = h - i * tile_height < tile_height ? h - i * tile_height : tile_height;
        for (uint32_t y = 0; y < n; y++)
            png_read_row(png, rows + (size_t)y * w * 3, NULL);
        if (encode_tile(rows, w, n, &t->data[i], &t->len[i]) != 0) {
            snprintf(err, errlen, "out of memory encoding tile %u", i);
            goto fail;
        }
        t->total += t->len[i];
    }
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return 0;
fail:
    free(rows);
    tiles_free(t);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return -1;
}
