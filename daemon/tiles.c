/* tiles.c -- screenshot PNG -> tiles of tile_height rows, each a PNG (RGB, 8 bit) written
 * by raster/pngenc.c one tile at a time. Reading errors from libpng come back through
 * longjmp into the function that set it up; nothing here is shared between threads. */
#include "tiles.h"

#include <png.h>

#include "pngenc.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Encodes rows (rgb, width*3 bytes each) as a PNG with the one writer (raster/pngenc.c):
 * libdeflate level 2 (faster than its level 1 on screenshots, benchmarks.md), SUB filter
 * (screenshots are photos and gradients as often as flat colour). Returns 0 or -1. */
static int encode_tile(const unsigned char *rows, uint32_t width, uint32_t nrows,
                       unsigned char **out, size_t *outlen)
{
    raster_png_image_t im = {width, nrows, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 2,
                             RASTER_PNG_FILTER_SUB, rows, (size_t)width * 3, NULL, NULL};
    buf_t b;
    buf_init(&b, 0);
    char err[160];
    if (raster_png_write(&im, &b, err, sizeof err) != 0) {
        buf_free(&b);
        return -1;
    }
    *out = (unsigned char *)buf_take(&b, outlen);
    return 0;
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
