/* draw.c -- ties the pieces together for one canvas: flatten (path.c), stroke
 * (stroke.c), cover (coverage.c), clip and composite (canvas.c), plus image drawing.
 * All state lives in the raster_draw_t the caller owns; no globals. */
#include "draw.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void raster_draw_init(raster_draw_t *d, raster_canvas_t *canvas)
{
    memset(d, 0, sizeof *d);
    d->canvas = canvas;
    d->tolerance = 0.1;
    raster_rast_init(&d->rast);
    raster_poly_init(&d->poly);
    raster_poly_init(&d->outline);
    raster_draw_set_clip(d, NULL);
}

void raster_draw_free(raster_draw_t *d)
{
    if (!d)
        return;
    raster_rast_free(&d->rast);
    raster_poly_free(&d->poly);
    raster_poly_free(&d->outline);
    free(d->mask);
    free(d->xfac);
    d->mask = NULL;
    d->xfac = NULL;
    d->cap_row = 0;
}

void raster_draw_set_clip(raster_draw_t *d, const raster_rect_t *r)
{
    raster_rect_t all = {0, 0, d->canvas->w, d->canvas->h};
    if (!r) {
        d->clip = all;
        return;
    }
    raster_rect_t c = *r;
    if (!(c.x0 >= all.x0)) c.x0 = all.x0; /* also catches NaN */
    if (!(c.y0 >= all.y0)) c.y0 = all.y0;
    if (!(c.x1 <= all.x1)) c.x1 = all.x1;
    if (!(c.y1 <= all.y1)) c.y1 = all.y1;
    if (c.x1 < c.x0) c.x1 = c.x0;
    if (c.y1 < c.y0) c.y1 = c.y0;
    d->clip = c;
}

/* Share of pixel [i, i+1) inside [a, b]. */
static float overlap(int i, double a, double b)
{
    double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
    return hi > lo ? (float)(hi - lo) : 0.0f;
}

static int reserve_row(raster_draw_t *d, size_t n)
{
    if (n <= d->cap_row)
        return 0;
    uint8_t *m = realloc(d->mask, n);
    if (!m)
        return -ENOMEM;
    d->mask = m;
    float *x = realloc(d->xfac, n * sizeof *x);
    if (!x)
        return -ENOMEM;
    d->xfac = x;
    d->cap_row = n;
    return 0;
}

/* The integer pixel box of r intersected with the clip; 0 when empty. */
static int clip_box(const raster_draw_t *d, raster_rect_t r, int *x0, int *y0, int *x1, int *y1)
{
    double a = r.x0 > d->clip.x0 ? r.x0 : d->clip.x0, b = r.y0 > d->clip.y0 ? r.y0 : d->clip.y0;
    double c = r.x1 < d->clip.x1 ? r.x1 : d->clip.x1, e = r.y1 < d->clip.y1 ? r.y1 : d->clip.y1;
    if (!(c > a) || !(e > b))
        return 0;
    *x0 = (int)floor(a);
    *y0 = (int)floor(b);
    *x1 = (int)ceil(c);
    *y1 = (int)ceil(e);
    return *x1 > *x0 && *y1 > *y0;
}

typedef struct {
    raster_draw_t *d;
    int rx0; /* region's first column */
    raster_color_t col;
} fill_ctx_t;

static void fill_row_cb(void *ctx, int y, int x, int n, const float *cov)
{
    fill_ctx_t *f = ctx;
    raster_draw_t *d = f->d;
    float yf = overlap(y, d->clip.y0, d->clip.y1);
    const float *xf = d->xfac + (x - f->rx0);
    for (int i = 0; i < n; i++) {
        float v = cov[i] * xf[i] * yf;
        d->mask[i] = (uint8_t)(v * 255.0f + 0.5f);
    }
    raster_canvas_blend_mask(d->canvas, y, x, n, d->mask, f->col);
}

/* If poly is one axis-aligned rectangle (4 corners, or 5 with the first repeated), its
 * bounds; bars, grid lines and their strokes mostly are. */
static int as_rect(const raster_poly_t *poly, raster_rect_t *r)
{
    if (poly->ncs != 1)
        return 0;
    size_t n = poly->cs[0].n;
    const raster_point_t *p = poly->pts + poly->cs[0].first;
    if (n == 5 && p[4].x == p[0].x && p[4].y == p[0].y)
        n = 4;
    if (n != 4)
        return 0;
    int a = p[0].x == p[1].x && p[1].y == p[2].y && p[2].x == p[3].x && p[3].y == p[0].y;
    int b = p[0].y == p[1].y && p[1].x == p[2].x && p[2].y == p[3].y && p[3].x == p[0].x;
    if (!a && !b)
        return 0;
    r->x0 = fmin(p[0].x, p[2].x);
    r->x1 = fmax(p[0].x, p[2].x);
    r->y0 = fmin(p[0].y, p[2].y);
    r->y1 = fmax(p[0].y, p[2].y);
    return isfinite(r->x0) && isfinite(r->x1) && isfinite(r->y0) && isfinite(r->y1);
}

/* The same coverage the rasterizer computes for a rectangle (the product of its
 * overlaps with each pixel's row and column), without accumulating anything. */
static int fill_rect(raster_draw_t *d, raster_rect_t r, raster_color_t col)
{
    raster_rect_t c = {fmax(r.x0, d->clip.x0), fmax(r.y0, d->clip.y0), fmin(r.x1, d->clip.x1),
                       fmin(r.y1, d->clip.y1)};
    if (!(c.x1 > c.x0) || !(c.y1 > c.y0))
        return 0;
    int x0 = (int)floor(c.x0), x1 = (int)ceil(c.x1), y0 = (int)floor(c.y0), y1 = (int)ceil(c.y1);
    int err = reserve_row(d, (size_t)(x1 - x0));
    if (err)
        return err;
    for (int x = x0; x < x1; x++)
        d->xfac[x - x0] = overlap(x, c.x0, c.x1);
    for (int y = y0; y < y1; y++) {
        float yf = overlap(y, c.y0, c.y1);
        for (int x = 0; x < x1 - x0; x++)
            d->mask[x] = (uint8_t)(d->xfac[x] * yf * 255.0f + 0.5f);
        raster_canvas_blend_mask(d->canvas, y, x0, x1 - x0, d->mask, col);
    }
    return 0;
}

int raster_draw_fill_poly(raster_draw_t *d, const raster_poly_t *poly, raster_fill_rule_t rule,
                          raster_color_t col)
{
    if (poly->npts == 0 || col.a == 0)
        return 0;
    raster_rect_t rect;
    if (as_rect(poly, &rect))
        return fill_rect(d, rect, col);
    raster_rect_t bb = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < poly->npts; i++) {
        raster_point_t p = poly->pts[i];
        if (!isfinite(p.x) || !isfinite(p.y))
            continue;
        if (p.x < bb.x0) bb.x0 = p.x;
        if (p.y < bb.y0) bb.y0 = p.y;
        if (p.x > bb.x1) bb.x1 = p.x;
        if (p.y > bb.y1) bb.y1 = p.y;
    }
    /* Geometry left of the clip still decides the winding inside it, so the region
     * keeps its left side at the clip and the rasterizer folds what lies beyond. */
    int x0, y0, x1, y1;
    if (!clip_box(d, bb, &x0, &y0, &x1, &y1))
        return 0;
    int err = reserve_row(d, (size_t)(x1 - x0));
    if (err)
        return err;
    for (int x = x0; x < x1; x++)
        d->xfac[x - x0] = overlap(x, d->clip.x0, d->clip.x1);
    fill_ctx_t f = {.d = d, .rx0 = x0, .col = col};
    return raster_rast_fill(&d->rast, poly, x0, y0, x1 - x0, y1 - y0, rule, fill_row_cb, &f);
}

int raster_draw_fill(raster_draw_t *d, const raster_path_t *p, const raster_matrix_t *m,
                     raster_fill_rule_t rule, raster_color_t col)
{
    raster_poly_reset(&d->poly);
    int err = raster_path_flatten(p, m, d->tolerance, &d->poly);
    return err ? err : raster_draw_fill_poly(d, &d->poly, rule, col);
}

int raster_draw_stroke(raster_draw_t *d, const raster_path_t *p, const raster_matrix_t *m,
                       const raster_stroke_t *st, raster_color_t col)
{
    raster_matrix_t id = raster_matrix_identity();
    if (!m)
        m = &id;
    double scale = raster_matrix_max_scale(m);
    if (!(scale > 0) || !isfinite(scale))
        return 0;
    double tol = d->tolerance / scale;
    raster_poly_reset(&d->poly);
    raster_poly_reset(&d->outline);
    int err = raster_path_flatten(p, NULL, tol, &d->poly);
    if (!err)
        err = raster_stroke_poly(&d->poly, st, tol, &d->outline);
    if (err)
        return err;
    raster_poly_transform(&d->outline, m);
    return raster_draw_fill_poly(d, &d->outline, RASTER_FILL_NONZERO, col);
}

/* ---- images ------------------------------------------------------------------------- */

static void image_axis_aligned(raster_draw_t *d, const raster_image_t *img,
                               const raster_matrix_t *m, uint8_t opacity, int x0, int y0,
                               int x1, int y1)
{
    for (int py = y0; py < y1; py++) {
        double sy0 = (py - m->y0) / m->yy, sy1 = (py + 1 - m->y0) / m->yy;
        if (sy0 > sy1) { double t = sy0; sy0 = sy1; sy1 = t; }
        double area_y = sy1 - sy0;
        int ry0 = (int)floor(sy0 > 0 ? sy0 : 0), ry1 = (int)ceil(sy1 < img->h ? sy1 : img->h);
        float yf = overlap(py, d->clip.y0, d->clip.y1);
        for (int px = x0; px < x1; px++) {
            double sx0 = (px - m->x0) / m->xx, sx1 = (px + 1 - m->x0) / m->xx;
            if (sx0 > sx1) { double t = sx0; sx0 = sx1; sx1 = t; }
            int rx0 = (int)floor(sx0 > 0 ? sx0 : 0), rx1 = (int)ceil(sx1 < img->w ? sx1 : img->w);
            double acc[4] = {0, 0, 0, 0};
            for (int sy = ry0; sy < ry1; sy++) {
                double wy = (sy + 1 < sy1 ? sy + 1 : sy1) - (sy > sy0 ? sy : sy0);
                if (wy <= 0)
                    continue;
                const uint8_t *row = img->px + (size_t)sy * (size_t)img->w * 4;
                for (int sx = rx0; sx < rx1; sx++) {
                    double wx = (sx + 1 < sx1 ? sx + 1 : sx1) - (sx > sx0 ? sx : sx0);
                    if (wx <= 0)
                        continue;
                    const uint8_t *s = row + (size_t)sx * 4;
                    double w = wx * wy;
                    for (int k = 0; k < 4; k++)
                        acc[k] += s[k] * w;
                }
            }
            double norm = 1 / ((sx1 - sx0) * area_y);
            uint8_t src[4];
            for (int k = 0; k < 4; k++) {
                double v = acc[k] * norm;
                src[k] = (uint8_t)(v > 255 ? 255 : v + 0.5);
            }
            float cov = overlap(px, d->clip.x0, d->clip.x1) * yf * (float)opacity;
            raster_canvas_blend_pixel(d->canvas, px, py, src, (uint8_t)(cov + 0.5f));
        }
    }
}

static void image_general(raster_draw_t *d, const raster_image_t *img, const raster_matrix_t *inv,
                          uint8_t opacity, int x0, int y0, int x1, int y1)
{
    for (int py = y0; py < y1; py++) {
        float yf = overlap(py, d->clip.y0, d->clip.y1);
        for (int px = x0; px < x1; px++) {
            unsigned acc[4] = {0, 0, 0, 0};
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 4; i++) {
                    raster_point_t q = {px + (i + 0.5) / 4, py + (j + 0.5) / 4};
                    raster_point_t s = raster_matrix_apply(inv, q);
                    if (!(s.x >= 0 && s.y >= 0 && s.x < img->w && s.y < img->h))
                        continue;
                    const uint8_t *p = img->px + ((size_t)s.y * (size_t)img->w + (size_t)s.x) * 4;
                    for (int k = 0; k < 4; k++)
                        acc[k] += p[k];
                }
            }
            uint8_t src[4];
            for (int k = 0; k < 4; k++)
                src[k] = (uint8_t)((acc[k] + 8) / 16);
            float cov = overlap(px, d->clip.x0, d->clip.x1) * yf * (float)opacity;
            raster_canvas_blend_pixel(d->canvas, px, py, src, (uint8_t)(cov + 0.5f));
        }
    }
}

int raster_draw_image(raster_draw_t *d, const raster_image_t *img, const raster_matrix_t *m,
                      uint8_t opacity)
{
    if (img->w <= 0 || img->h <= 0 || opacity == 0)
        return 0;
    raster_matrix_t inv;
    if (raster_matrix_invert(m, &inv))
        return 0; /* a degenerate transform draws nothing */
    raster_rect_t bb = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    raster_point_t corners[4] = {{0, 0}, {img->w, 0}, {0, img->h}, {img->w, img->h}};
    for (int i = 0; i < 4; i++) {
        raster_point_t q = raster_matrix_apply(m, corners[i]);
        if (q.x < bb.x0) bb.x0 = q.x;
        if (q.y < bb.y0) bb.y0 = q.y;
        if (q.x > bb.x1) bb.x1 = q.x;
        if (q.y > bb.y1) bb.y1 = q.y;
    }
    int x0, y0, x1, y1;
    if (!clip_box(d, bb, &x0, &y0, &x1, &y1))
        return 0;
    if (raster_matrix_is_axis_aligned(m))
        image_axis_aligned(d, img, m, opacity, x0, y0, x1, y1);
    else
        image_general(d, img, &inv, opacity, x0, y0, x1, y1);
    return 0;
}
