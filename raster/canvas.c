/* canvas.c -- the pixel buffer and its compositing (source-over on premultiplied RGBA8,
 * integer arithmetic with exact rounding, so the same inputs give the same bytes on any
 * machine). Knows nothing of paths or fonts: it is handed coverage and pixels. Each
 * thread keeps the last freed pixel buffer (up to RASTER_SPARE_MAX bytes) for its next
 * canvas: memory already mapped is rewritten instead of a fresh mapping being faulted in
 * page by page, which cost more than drawing the chart (docs/benchmarks.md, "Charts"). */
#include "canvas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spare.h"
#include "util.h"

void raster_canvas_release_spare(void) { raster_spare_release(RASTER_SPARE_CANVAS); }

raster_color_t raster_rgba(uint8_t r, uint8_t g, uint8_t b, uint8_t a)
{
    raster_color_t c = {r, g, b, a};
    return c;
}

int raster_color_parse(const char *s, raster_color_t *out)
{
    if (!s || s[0] != '#')
        return -EINVAL;
    size_t n = strlen(s + 1);
    int d[8];
    for (size_t i = 0; i < n && i < 8; i++)
        if ((d[i] = util_hexval((unsigned char)s[1 + i])) < 0)
            return -EINVAL;
    if (n == 3) {
        *out = raster_rgba((uint8_t)(d[0] * 17), (uint8_t)(d[1] * 17), (uint8_t)(d[2] * 17), 255);
    } else if (n == 6 || n == 8) {
        out->r = (uint8_t)(d[0] * 16 + d[1]);
        out->g = (uint8_t)(d[2] * 16 + d[3]);
        out->b = (uint8_t)(d[4] * 16 + d[5]);
        out->a = n == 8 ? (uint8_t)(d[6] * 16 + d[7]) : 255;
    } else {
        return -EINVAL;
    }
    return 0;
}

static int canvas_alloc(raster_canvas_t *c, int w, int h, int zero)
{
    c->w = c->h = 0;
    c->px = NULL;
    if (w < 1 || h < 1 || w > RASTER_MAX_SIDE || h > RASTER_MAX_SIDE ||
        (uint64_t)w * (uint64_t)h > RASTER_MAX_PIXELS)
        return -EINVAL;
    size_t n = (size_t)w * (size_t)h * 4;
    size_t cap;
    /* the thread's spare, when not much larger than needed: a big one is not kept for a small one */
    c->px = raster_spare_take(RASTER_SPARE_CANVAS, n, 2 * n, &cap);
    if (c->px) {
        if (zero)
            memset(c->px, 0, n);
    } else {
        c->px = zero ? calloc(n, 1) : malloc(n);
    }
    if (!c->px)
        return -ENOMEM;
    c->w = w;
    c->h = h;
    return 0;
}

int raster_canvas_init(raster_canvas_t *c, int w, int h)
{
    return canvas_alloc(c, w, h, 1);
}

int raster_canvas_init_color(raster_canvas_t *c, int w, int h, raster_color_t col)
{
    int rc = canvas_alloc(c, w, h, 0);
    if (!rc)
        raster_canvas_clear(c, col);
    return rc;
}

void raster_canvas_free(raster_canvas_t *c)
{
    if (!c)
        return;
    size_t n = (size_t)c->w * (size_t)c->h * 4;
    if (!c->px || n > RASTER_SPARE_MAX || raster_spare_give(RASTER_SPARE_CANVAS, c->px, n) != 0)
        free(c->px);
    c->px = NULL;
    c->w = c->h = 0;
}

static void premultiply(raster_color_t col, uint8_t out[4])
{
    out[0] = raster_mul255(col.r, col.a);
    out[1] = raster_mul255(col.g, col.a);
    out[2] = raster_mul255(col.b, col.a);
    out[3] = col.a;
}

void raster_canvas_clear(raster_canvas_t *c, raster_color_t col)
{
    uint8_t p[4];
    premultiply(col, p);
    size_t n = (size_t)c->w * (size_t)c->h;
    uint8_t *d = c->px;
    if (n == 0)
        return;
    memcpy(d, p, 4);
    /* Doubling copies: a handful of memcpy calls for the whole canvas. */
    size_t done = 1;
    while (done < n) {
        size_t k = done < n - done ? done : n - done;
        memcpy(d + done * 4, d, k * 4);
        done += k;
    }
}

static inline void over(uint8_t *d, const uint8_t s[4])
{
    unsigned inv = 255u - s[3];
    d[0] = (uint8_t)(s[0] + raster_mul255(d[0], inv));
    d[1] = (uint8_t)(s[1] + raster_mul255(d[1], inv));
    d[2] = (uint8_t)(s[2] + raster_mul255(d[2], inv));
    d[3] = (uint8_t)(s[3] + raster_mul255(d[3], inv));
}

void raster_canvas_blend_mask(raster_canvas_t *c, int y, int x, int n, const uint8_t *mask,
                              raster_color_t col)
{
    uint8_t p[4];
    premultiply(col, p);
    uint8_t *d = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 4;
    for (int i = 0; i < n; i++, d += 4) {
        unsigned m = mask[i];
        if (m == 0)
            continue;
        if (m == 255) {
            if (p[3] == 255) {
                memcpy(d, p, 4);
                continue;
            }
            over(d, p);
            continue;
        }
        uint8_t s[4] = {raster_mul255(p[0], m), raster_mul255(p[1], m), raster_mul255(p[2], m),
                        raster_mul255(p[3], m)};
        over(d, s);
    }
}

void raster_canvas_blend_pixel(raster_canvas_t *c, int x, int y, const uint8_t src[4],
                               uint8_t cov)
{
    if (cov == 0 || x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    uint8_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = cov == 255 ? src[i] : raster_mul255(src[i], cov);
    over(c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 4, s);
}
