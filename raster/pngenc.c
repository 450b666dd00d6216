/* pngenc.c -- the PNG writer: picks the smallest exact pixel format (palette, RGB or
 * RGBA), un-premultiplies, and drives libpng with speed-oriented zlib settings into a
 * capped buffer. No state outside one call; libpng's errors come back through longjmp
 * into this file only. */
#include "pngenc.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

raster_png_opts_t raster_png_defaults(void)
{
    /* Measured on the 12-tag 1200x440 chart (docs/benchmarks.md, "Charts"): zlib level
     * 1 without row filters is both the fastest setting that compresses and one of the
     * smallest below level 4 -- flat colour areas deflate better unfiltered, as runs of
     * identical pixels. Levels 4-9 save 20-30% of the bytes for 2-10x the time. */
    raster_png_opts_t o = {1, RASTER_PNG_FILTER_NONE, 0, RASTER_PNG_AUTO};
    return o;
}

typedef struct {
    buf_t *out;
    int err;
    char msg[160];
} sink_t;

static void write_cb(png_structp png, png_bytep data, size_t n)
{
    sink_t *s = png_get_io_ptr(png);
    if (s->err)
        return;
    s->err = buf_append(s->out, data, n);
    if (s->err)
        png_error(png, s->err == -E2BIG ? "output over its size cap" : "out of memory");
}

static void flush_cb(png_structp png)
{
    (void)png;
}

static void error_cb(png_structp png, png_const_charp msg)
{
    sink_t *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void warn_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static inline void unpremultiply(const uint8_t *p, uint8_t *o)
{
    unsigned a = p[3];
    if (a == 255) {
        memcpy(o, p, 4);
    } else if (a == 0) {
        memset(o, 0, 4);
    } else {
        for (int k = 0; k < 3; k++) {
            unsigned v = (p[k] * 255u + a / 2) / a;
            o[k] = (uint8_t)(v > 255 ? 255 : v);
        }
        o[3] = (uint8_t)a;
    }
}

/* A tiny set of up to 256 colours (straight RGBA as uint32), in order of appearance. */
typedef struct {
    uint64_t key[1024]; /* value + 1 (64-bit: opaque white is 0xffffffff), 0 empty */
    uint8_t idx[1024];
    uint32_t list[256];
    int n;
} palette_t;

/* Returns the colour's index, or -1 when it would be the 257th. */
static int palette_index(palette_t *p, uint32_t v)
{
    uint32_t h = (v * 2654435761u) >> 22;
    while (p->key[h]) {
        if (p->key[h] == (uint64_t)v + 1)
            return p->idx[h];
        h = (h + 1) & 1023;
    }
    if (p->n == 256)
        return -1;
    p->key[h] = (uint64_t)v + 1;
    p->idx[h] = (uint8_t)p->n;
    p->list[p->n] = v;
    return p->n++;
}

static uint32_t pack(const uint8_t *o)
{
    return (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
}

static void analyse(const raster_canvas_t *c, palette_t *pal, int *colors, int *opaque)
{
    int op = 1, over = 0;
    uint32_t last = 0;
    int have_last = 0;
    size_t n = (size_t)c->w * (size_t)c->h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = c->px + i * 4;
        if (p[3] != 255)
            op = 0;
        if (over)
            continue;
        uint8_t o[4];
        unpremultiply(p, o);
        uint32_t v = pack(o);
        if (have_last && v == last)
            continue;
        last = v;
        have_last = 1;
        if (palette_index(pal, v) < 0)
            over = 1;
    }
    *colors = over ? 257 : pal->n;
    *opaque = op;
}

void raster_png_analyse(const raster_canvas_t *c, int *colors, int *opaque)
{
    palette_t *pal = calloc(1, sizeof *pal);
    if (!pal) {
        *colors = 257;
        *opaque = 0;
        return;
    }
    analyse(c, pal, colors, opaque);
    free(pal);
}

typedef struct {
    const raster_canvas_t *c;
    raster_png_opts_t o;
    palette_t *pal;
    uint8_t *row;
    int colors, use_palette, channels;
} job_t;

/* Everything that may longjmp lives here; nothing local is changed after setjmp. */
static int write_png(png_structp png, png_infop info, const job_t *j)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    const raster_canvas_t *c = j->c;
    png_set_compression_level(png, j->o.level < 0 ? 0 : j->o.level > 9 ? 9 : j->o.level);
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE};
    png_set_compression_strategy(png, strategies[j->o.strategy >= 0 && j->o.strategy < 4
                                                     ? j->o.strategy : 0]);
    int f = 0;
    if (j->o.filters & RASTER_PNG_FILTER_NONE) f |= PNG_FILTER_NONE;
    if (j->o.filters & RASTER_PNG_FILTER_SUB) f |= PNG_FILTER_SUB;
    if (j->o.filters & RASTER_PNG_FILTER_UP) f |= PNG_FILTER_UP;
    if (j->o.filters & RASTER_PNG_FILTER_AVG) f |= PNG_FILTER_AVG;
    if (j->o.filters & RASTER_PNG_FILTER_PAETH) f |= PNG_FILTER_PAETH;
    if (j->use_palette)
        f = PNG_FILTER_NONE; /* filters do not help indexed rows */
    png_set_filter(png, PNG_FILTER_TYPE_BASE, f ? f : PNG_FILTER_NONE);

    if (j->use_palette) {
        int n = j->colors;
        int depth = n <= 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8;
        png_color plte[256];
        png_byte trns[256];
        int ntrns = 0;
        for (int i = 0; i < n; i++) {
            uint32_t v = j->pal->list[i];
            plte[i].red = (png_byte)(v >> 24);
            plte[i].green = (png_byte)(v >> 16);
            plte[i].blue = (png_byte)(v >> 8);
            trns[i] = (png_byte)v;
            if (trns[i] != 255)
                ntrns = i + 1;
        }
        png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, depth,
                     PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                     PNG_FILTER_TYPE_BASE);
        png_set_PLTE(png, info, plte, n);
        if (ntrns)
            png_set_tRNS(png, info, trns, ntrns, NULL);
        png_write_info(png, info);
        if (depth < 8)
            png_set_packing(png);
    } else {
        png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8,
                     j->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
        png_write_info(png, info);
    }
    uint8_t *row = j->row;
    for (int y = 0; y < c->h; y++) {
        const uint8_t *p = c->px + (size_t)y * (size_t)c->w * 4;
        if (j->use_palette) {
            for (int x = 0; x < c->w; x++) {
                uint8_t px[4];
                unpremultiply(p + x * 4, px);
                row[x] = (uint8_t)palette_index(j->pal, pack(px));
            }
        } else if (j->channels == 3) {
            for (int x = 0; x < c->w; x++)
                memcpy(row + x * 3, p + x * 4, 3); /* opaque: nothing to undo */
        } else {
            for (int x = 0; x < c->w; x++)
                unpremultiply(p + x * 4, row + x * 4);
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    return 0;
}

int raster_png_encode(const raster_canvas_t *c, const raster_png_opts_t *opts, buf_t *out,
                      char *err, size_t errlen)
{
    if (c->w < 1 || c->h < 1 || !c->px) {
        snprintf(err, errlen, "empty canvas");
        return -EINVAL;
    }
    sink_t sink = {out, 0, ""};
    job_t j = {c, opts ? *opts : raster_png_defaults(), calloc(1, sizeof(palette_t)),
               malloc((size_t)c->w * 4), 257, 0, 4};
    png_structp png = NULL;
    png_infop info = NULL;
    int rc = -ENOMEM;
    if (!j.pal || !j.row)
        goto fail;
    int opaque = 0;
    if (j.o.color == RASTER_PNG_AUTO) {
        analyse(c, j.pal, &j.colors, &opaque);
    } else if (j.o.color == RASTER_PNG_TRUECOLOR) {
        opaque = 1;
        for (size_t i = 0; opaque && i < (size_t)c->w * (size_t)c->h; i++)
            opaque = c->px[i * 4 + 3] == 255;
    }
    j.use_palette = j.o.color == RASTER_PNG_AUTO && j.colors <= 256;
    j.channels = j.use_palette ? 1 : (opaque && j.o.color != RASTER_PNG_RGBA) ? 3 : 4;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, error_cb, warn_cb);
    if (png)
        info = png_create_info_struct(png);
    if (!png || !info)
        goto fail;
    png_set_write_fn(png, &sink, write_cb, flush_cb);
    if (write_png(png, info, &j)) {
        rc = sink.err ? sink.err : -EIO;
        snprintf(err, errlen, "PNG encoding failed: %s", sink.msg[0] ? sink.msg : "libpng error");
        goto done;
    }
    rc = 0;
    goto done;
fail:
    snprintf(err, errlen, "out of memory encoding PNG");
done:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    free(j.row);
    free(j.pal);
    return rc;
}
