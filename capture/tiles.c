/* tiles.c -- screenshot PNG -> tiles of tile_height rows, each a PNG (RGB, 8 bit) written
 * by raster/pngenc.c one tile at a time, read by the one reader (pngread.c), whose errors
 * carry libpng's message. Nothing here is shared between threads. */
#include "tiles.h"

#include "pngenc.h"
#include "pngread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Encodes rows (rgb, width*3 bytes each) as a PNG with the one writer (raster/pngenc.c):
 * libdeflate level 2 (faster than its level 1 on screenshots, benchmarks.md), SUB filter
 * (screenshots are photos and gradients as often as flat colour). Returns 0 or -1. */
static int encode_tile(const unsigned char *rows, uint32_t width, uint32_t nrows,
                       unsigned char **out, size_t *outlen)
{
    raster_png_image_t im = {.width = width, .height = nrows, .type = RASTER_PNG_TYPE_RGB,
                             .depth = 8, .level = 2, .filters = RASTER_PNG_FILTER_SUB,
                             .px = rows, .stride = (size_t)width * 3};
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
    unsigned char *rows = NULL;
    pngread_t *pr = pngread_open_file(path, 1u << 20, 1u << 20, err, errlen);
    if (!pr)
        return -1;
    uint32_t w = pngread_width(pr), h = pngread_height(pr);
    if (w == 0 || h == 0 || (uint64_t)w * h > max_pixels) {
        snprintf(err, errlen, "%s is %ux%u, over the %llu pixels tiles are cut from", path, w, h,
                 (unsigned long long)max_pixels);
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
        if (pngread_rows(pr, rows, n, err, errlen) != 0)
            goto fail;
        if (encode_tile(rows, w, n, &t->data[i], &t->len[i]) != 0) {
            snprintf(err, errlen, "out of memory encoding tile %u", i);
            goto fail;
        }
        t->total += t->len[i];
    }
    free(rows);
    pngread_close(pr);
    return 0;
fail:
    free(rows);
    tiles_free(t);
    pngread_close(pr);
    return -1;
}
