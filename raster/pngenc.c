/* pngenc.c -- the one PNG writer (charts, thumbnails, screenshot tiles): IHDR/PLTE/tRNS,
 * the rows filtered into one buffer, that buffer deflated in one call (libdeflate, or
 * raster/deflate.c for drawn images) into a single IDAT, IEND. Also the canvas front end:
 * picks the smallest exact pixel format (palette, RGB or RGBA) and un-premultiplies. No
 * state outside one call but the thread's scratch; knows nothing of what the image shows. */
#include "pngenc.h"

#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

/* ---- the thread's scratch: a compressor and the filtered-rows buffer ----------------------
 * A libdeflate compressor is 2 MB at level 2 and the rows of a chart 1.6 MB: allocated
 * per image, both are fresh mappings faulted in page by page, which measured slower than
 * the compression itself. Each thread keeps its last compressor and a buffer of up to
 * RAW_KEEP_MAX bytes; both go when the thread exits or on raster_png_release_scratch. */
#define RAW_KEEP_MAX (16u << 20)

typedef struct {
    struct libdeflate_compressor *z;
    int level;
    uint8_t *raw, *zout;    /* filtered rows; deflated bytes, before they go to out */
    size_t cap, zcap;
    void *runs_work;        /* raster_deflate_zlib's tokens and hash table */
} scratch_t;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_ok;

static void scratch_free_cb(void *p)
{
    scratch_t *s = p;
    if (s) {
        libdeflate_free_compressor(s->z);
        free(s->raw);
        free(s->zout);
        free(s->runs_work);
    }
    free(s);
}

static void scratch_key_init(void)
{
    scratch_ok = pthread_key_create(&scratch_key, scratch_free_cb) == 0;
}

static scratch_t *scratch_get(int create)
{
    pthread_once(&scratch_once, scratch_key_init);
    if (!scratch_ok)
        return NULL;
    scratch_t *s = pthread_getspecific(scratch_key);
    if (!s && create && (s = calloc(1, sizeof *s)) && pthread_setspecific(scratch_key, s)) {
        free(s);
        s = NULL;
    }
    return s;
}

void raster_png_release_scratch(void)
{
    scratch_t *s = scratch_get(0);
    if (s) {
        pthread_setspecific(scratch_key, NULL);
        scratch_free_cb(s);
    }
}

/* ---- the writer ------------------------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Appends one chunk whose data is already at out->data + out->len + 8 (n bytes): writes
 * the length and type in front and the CRC behind. The caller reserved n + 12 bytes. */
static void chunk_close(buf_t *out, const char *type, size_t n)
{
    uint8_t *p = (uint8_t *)out->data + out->len;
    put32(p, (uint32_t)n);
    memcpy(p + 4, type, 4);
    put32(p + 8 + n, libdeflate_crc32(0, p + 4, n + 4));
    out->len += n + 12;
    out->data[out->len] = '\0';
}

static int chunk(buf_t *out, const char *type, const void *data, size_t n)
{
    int rc = buf_reserve(out, n + 12);
    if (rc)
        return rc;
    if (n)
        memcpy(out->data + out->len + 8, data, n);
    chunk_close(out, type, n);
    return 0;
}

static inline uint8_t paeth(int a, int b, int c)
{
    int p = a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Filters raw (with prev, the raw row above, or NULL for the first row) with filter f
 * into dst (n bytes); bpp is the byte distance to the pixel on the left. */
static void filter_row(int f, const uint8_t *raw, const uint8_t *prev, size_t n, size_t bpp,
                       uint8_t *dst)
{
    size_t i;
    switch (f) {
    case 1: /* sub */
        for (i = 0; i < bpp && i < n; i++)
            dst[i] = raw[i];
        for (; i < n; i++)
            dst[i] = (uint8_t)(raw[i] - raw[i - bpp]);
        break;
    case 2: /* up */
        for (i = 0; i < n; i++)
            dst[i] = (uint8_t)(raw[i] - (prev ? prev[i] : 0));
        break;
    case 3: /* average */
        for (i = 0; i < n; i++) {
            unsigned left = i >= bpp ? raw[i - bpp] : 0, up = prev ? prev[i] : 0;
            dst[i] = (uint8_t)(raw[i] - ((left + up) >> 1));
        }
        break;
    case 4: /* paeth */
        for (i = 0; i < n; i++) {
            int left = i >= bpp ? raw[i - bpp] : 0, up = prev ? prev[i] : 0;
            int ul = i >= bpp && prev ? prev[i - bpp] : 0;
            dst[i] = (uint8_t)(raw[i] - paeth(left, up, ul));
        }
        break;
    default:
        memcpy(dst, raw, n);
    }
}

/* The usual heuristic for choosing a filter per row: the smallest sum of the filtered
 * bytes read as signed values. */
static unsigned long row_cost(const uint8_t *d, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i++)
        s += d[i] < 128 ? d[i] : 256u - d[i];
    return s;
}

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    if (errlen)
        snprintf(err, errlen, "%s", msg);
    return rc;
}

int raster_png_write(const raster_png_image_t *im, buf_t *out, char *err, size_t errlen)
{
    int pal = im->type == RASTER_PNG_TYPE_PALETTE;
    int channels = im->type == RASTER_PNG_TYPE_RGB ? 3 : im->type == RASTER_PNG_TYPE_RGBA ? 4 : 1;
    if (im->type != RASTER_PNG_TYPE_RGB && im->type != RASTER_PNG_TYPE_RGBA && !pal)
        return fail(err, errlen, -EINVAL, "PNG: unknown colour type");
    if (im->depth != 8 && !(pal && (im->depth == 1 || im->depth == 2 || im->depth == 4)))
        return fail(err, errlen, -EINVAL, "PNG: bit depth must be 8 (or 1, 2, 4 for a palette)");
    if (pal && (!im->plte || im->nplte < 1 || im->nplte > (1 << im->depth) ||
                im->ntrns < 0 || im->ntrns > im->nplte || (im->ntrns && !im->trns)))
        return fail(err, errlen, -EINVAL, "PNG: the palette does not match the bit depth");
    if (im->width < 1 || im->height < 1 || im->width > 0x7fffffffu || im->height > 0x7fffffffu)
        return fail(err, errlen, -EINVAL, "PNG: the image is empty or too large");
    if (!im->px && !im->row_cb)
        return fail(err, errlen, -EINVAL, "PNG: no rows given");
    if ((im->level < 0 && im->level != RASTER_PNG_LEVEL_RUNS) || im->level > RASTER_PNG_MAX_LEVEL)
        return fail(err, errlen, -EINVAL, "PNG: compression level must be 0 to 12 (or runs)");
    int runs = im->level == RASTER_PNG_LEVEL_RUNS;
    size_t rowbytes = ((size_t)im->width * (size_t)(channels * im->depth) + 7) / 8;
    size_t bpp = pal ? 1 : (size_t)channels;
    if (rowbytes + 1 > (SIZE_MAX / 4) / im->height)
        return fail(err, errlen, -E2BIG, "PNG: the image is too large to buffer");
    size_t rawlen = (rowbytes + 1) * im->height;
    int filters = im->filters & RASTER_PNG_FILTER_ALL;
    if (!filters || pal)
        filters = RASTER_PNG_FILTER_NONE; /* filters do not help indexed rows */
    int nfilters = 0, only = 0;
    for (int f = 0; f < 5; f++)
        if (filters & (1 << f)) {
            nfilters++;
            only = f;
        }

    int rc = -ENOMEM;
    const char *msg = "PNG: out of memory";
    size_t start = out->len; /* on failure out is left as it was */
    struct libdeflate_compressor *z = NULL;
    uint8_t *raw = NULL, *rows = NULL, *trial = NULL;
    void *work = NULL;
    scratch_t *sc = scratch_get(1);
    if (sc && rawlen <= RAW_KEEP_MAX) {
        if (sc->cap < rawlen) {
            free(sc->raw);
            sc->cap = 0;
            if ((sc->raw = malloc(rawlen)))
                sc->cap = rawlen;
        }
        raw = sc->raw; /* borrowed from the thread's scratch */
    } else {
        raw = malloc(rawlen);
    }
    /* With a callback or a filter that looks up, raw rows are kept: this one and the last. */
    int need_rows = im->row_cb && (nfilters > 1 || only != 0);
    if (need_rows)
        rows = malloc(rowbytes * 2);
    if (nfilters > 1)
        trial = malloc(rowbytes);
    if (!raw || (need_rows && !rows) || (nfilters > 1 && !trial))
        goto done;

    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < im->height; y++) {
        uint8_t *dst = raw + (size_t)y * (rowbytes + 1);
        const uint8_t *cur;
        if (!im->row_cb) {
            cur = im->px + (size_t)y * im->stride;
        } else if (!need_rows) {
            im->row_cb(im->ud, y, dst + 1); /* unfiltered: straight into place */
            dst[0] = 0;
            continue;
        } else {
            uint8_t *r = rows + (y & 1) * rowbytes;
            im->row_cb(im->ud, y, r);
            cur = r;
        }
        if (nfilters == 1) {
            dst[0] = (uint8_t)only;
            filter_row(only, cur, prev, rowbytes, bpp, dst + 1);
        } else {
            unsigned long best = (unsigned long)-1;
            for (int f = 0; f < 5; f++) {
                if (!(filters & (1 << f)))
                    continue;
                filter_row(f, cur, prev, rowbytes, bpp, trial);
                unsigned long cost = row_cost(trial, rowbytes);
                if (cost < best) {
                    best = cost;
                    dst[0] = (uint8_t)f;
                    memcpy(dst + 1, trial, rowbytes);
                }
            }
        }
        prev = cur;
    }

    if (runs) {
        work = sc && sc->runs_work ? sc->runs_work : malloc(RASTER_DEFLATE_WORK_BYTES);
        if (!work)
            goto done;
        if (sc)
            sc->runs_work = work;
    } else if (sc && sc->z && sc->level == im->level) {
        z = sc->z;
    } else {
        z = libdeflate_alloc_compressor(im->level);
        if (z && sc) {
            libdeflate_free_compressor(sc->z);
            sc->z = z;
            sc->level = im->level;
        }
    }
    if (!z && !work)
        goto done;
    uint8_t ihdr[13];
    put32(ihdr, im->width);
    put32(ihdr + 4, im->height);
    ihdr[8] = (uint8_t)im->depth;
    ihdr[9] = (uint8_t)im->type;
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
    rc = buf_append(out, "\x89PNG\r\n\x1a\n", 8);
    if (!rc)
        rc = chunk(out, "IHDR", ihdr, sizeof ihdr);
    if (!rc && pal) {
        uint8_t plte[768];
        memcpy(plte, im->plte, (size_t)im->nplte * 3);
        rc = chunk(out, "PLTE", plte, (size_t)im->nplte * 3);
        if (!rc && im->ntrns)
            rc = chunk(out, "tRNS", im->trns, (size_t)im->ntrns);
    }
    if (rc)
        goto done;
    /* Deflate into the thread's buffer (room for the worst case, mapped once), then copy
     * the few bytes it takes into out: reserving the worst case in out would map fresh
     * memory for every image. */
    size_t bound = runs ? raster_deflate_bound(rawlen) : libdeflate_zlib_compress_bound(z, rawlen);
    uint8_t *zout = NULL;
    if (sc && bound <= RAW_KEEP_MAX) {
        if (sc->zcap < bound) {
            free(sc->zout);
            sc->zcap = 0;
            if ((sc->zout = malloc(bound)))
                sc->zcap = bound;
        }
        zout = sc->zout;
    } else {
        zout = malloc(bound);
    }
    if (!zout) {
        rc = -ENOMEM;
        goto done;
    }
    /* the runs encoder's distances: the byte above (filter byte included) and the pixel
     * on the left (a byte, below 8 bits a pixel) */
    size_t n = runs ? raster_deflate_zlib(raw, rawlen, rowbytes + 1, bpp, work, zout, bound)
                    : libdeflate_zlib_compress(z, raw, rawlen, zout, bound);
    rc = n ? buf_reserve(out, n + 24) : -EIO;
    if (!rc) {
        memcpy(out->data + out->len + 8, zout, n);
        chunk_close(out, "IDAT", n);
    }
    if (!sc || zout != sc->zout)
        free(zout);
    if (rc)
        goto done;
    rc = chunk(out, "IEND", NULL, 0);
done:
    if (rc == -E2BIG)
        msg = "PNG: output over its size cap";
    if (rc) {
        fail(err, errlen, rc, msg);
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    if (!sc || z != sc->z)
        libdeflate_free_compressor(z);
    if (!sc)
        free(work);
    if (!sc || raw != sc->raw)
        free(raw);
    free(trial);
    free(rows);
    return rc;
}

/* ---- the canvas front end ---------------------------------------------------------------- */

raster_png_opts_t raster_png_defaults(void)
{
    /* Measured on the 12-tag 1200x440 chart (docs/benchmarks.md, "Charts"): raster/
     * deflate.c without row filters, 0.65 ms and 32.6 kB, against libdeflate 1.14's best,
     * level 2 unfiltered, 2.4 ms and 32.2 kB (its level 1 takes twice as long on long
     * runs; levels 3-6 are 0-10% slower for at most 3% fewer bytes). Flat colour areas
     * deflate better unfiltered, as runs of identical pixels. */
    raster_png_opts_t o = {RASTER_PNG_LEVEL_RUNS, RASTER_PNG_FILTER_NONE, RASTER_PNG_AUTO};
    return o;
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
    /* Pixels are compared as they are stored, premultiplied: a run of one value (most of
     * a chart) costs a compare a pixel, and only a new value is un-premultiplied and
     * looked up. Past 256 colours only the alpha is left to check. */
    int op = 1, over = 0;
    const uint8_t *px = c->px;
    size_t n = (size_t)c->w * (size_t)c->h, i = 0;
    uint32_t last;
    memcpy(&last, px, 4);
    last = ~last; /* differs from the first pixel */
    for (; i < n; i++) {
        uint32_t v;
        memcpy(&v, px + i * 4, 4);
        if (v == last)
            continue;
        last = v;
        const uint8_t *p = px + i * 4;
        if (p[3] != 255)
            op = 0;
        uint8_t o[4];
        unpremultiply(p, o);
        if (palette_index(pal, pack(o)) < 0) {
            over = 1;
            break;
        }
    }
    /* The alpha bytes of the rest, 64 pixels at a time. */
    while (op && i < n) {
        size_t end = n - i < 64 ? n : i + 64;
        unsigned a = 255;
        for (; i < end; i++)
            a &= px[i * 4 + 3];
        op = a == 255;
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
    palette_t *pal;
    int channels, depth;
} rows_t;

/* One canvas row in the chosen format. */
static void canvas_row_cb(void *ud, uint32_t y, uint8_t *row)
{
    const rows_t *r = ud;
    const uint8_t *p = r->c->px + (size_t)y * (size_t)r->c->w * 4;
    int w = r->c->w;
    if (r->channels == 1) {
        /* the last stored pixel's index is kept: a run is looked up once */
        int per = 8 / r->depth, acc = 0, k = 0, idx = 0;
        size_t o = 0;
        uint32_t last;
        memcpy(&last, p, 4);
        last = ~last;
        for (int x = 0; x < w; x++) {
            uint32_t v;
            memcpy(&v, p + x * 4, 4);
            if (v != last) {
                uint8_t px[4];
                unpremultiply(p + x * 4, px);
                idx = palette_index(r->pal, pack(px));
                last = v;
            }
            acc = acc << r->depth | idx;
            if (++k == per) {
                row[o++] = (uint8_t)acc;
                acc = k = 0;
            }
        }
        if (k)
            row[o] = (uint8_t)(acc << (r->depth * (per - k)));
    } else if (r->channels == 3) {
        /* Opaque: nothing to undo. Four bytes a store, each overlapping the next pixel's
         * first byte, which the next store rewrites; the last pixel takes three. */
        int x = 0;
        for (; x + 1 < w; x++) {
            uint32_t v;
            memcpy(&v, p + x * 4, 4);
            memcpy(row + x * 3, &v, 4);
        }
        memcpy(row + x * 3, p + x * 4, 3);
    } else {
        for (int x = 0; x < w; x++)
            unpremultiply(p + x * 4, row + x * 4);
    }
}

int raster_png_encode(const raster_canvas_t *c, const raster_png_opts_t *opts, buf_t *out,
                      char *err, size_t errlen)
{
    if (c->w < 1 || c->h < 1 || !c->px)
        return fail(err, errlen, -EINVAL, "empty canvas");
    raster_png_opts_t o = opts ? *opts : raster_png_defaults();
    palette_t *pal = calloc(1, sizeof *pal);
    if (!pal)
        return fail(err, errlen, -ENOMEM, "out of memory encoding PNG");
    int colors = 257, opaque = 0;
    if (o.color == RASTER_PNG_AUTO) {
        analyse(c, pal, &colors, &opaque);
    } else if (o.color == RASTER_PNG_TRUECOLOR) {
        opaque = 1;
        for (size_t i = 0; opaque && i < (size_t)c->w * (size_t)c->h; i++)
            opaque = c->px[i * 4 + 3] == 255;
    }
    int use_palette = o.color == RASTER_PNG_AUTO && colors <= 256;
    rows_t r = {c, pal, use_palette ? 1 : (opaque && o.color != RASTER_PNG_RGBA) ? 3 : 4, 8};
    raster_png_image_t im = {(uint32_t)c->w, (uint32_t)c->h, RASTER_PNG_TYPE_RGBA, 8,
                             NULL, 0, NULL, 0, o.level, o.filters, NULL, 0, canvas_row_cb, &r};
    uint8_t plte[768], trns[256];
    if (use_palette) {
        r.depth = im.depth = colors <= 2 ? 1 : colors <= 4 ? 2 : colors <= 16 ? 4 : 8;
        im.type = RASTER_PNG_TYPE_PALETTE;
        for (int i = 0; i < colors; i++) {
            uint32_t v = pal->list[i];
            plte[i * 3] = (uint8_t)(v >> 24);
            plte[i * 3 + 1] = (uint8_t)(v >> 16);
            plte[i * 3 + 2] = (uint8_t)(v >> 8);
            trns[i] = (uint8_t)v;
            if (trns[i] != 255)
                im.ntrns = i + 1;
        }
        im.plte = plte;
        im.nplte = colors;
        im.trns = trns;
    } else if (r.channels == 3) {
        im.type = RASTER_PNG_TYPE_RGB;
    }
    char msg[160];
    int rc = raster_png_write(&im, out, msg, sizeof msg);
    if (rc)
        fail(err, errlen, rc, msg);
    free(pal);
    return rc;
}
