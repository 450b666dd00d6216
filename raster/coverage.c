/* coverage.c -- the area-coverage scan converter: signed-area accumulation per cell, one
 * prefix sum per row, the fill rule applied to the sum. This is the plain scalar
 * reference; a faster version must give the same numbers. Knows nothing of colours or
 * canvases: it reports coverage rows to a callback (draw.c composites them). */
#include "coverage.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "spare.h"

/* Cells per band: bounds the scratch to 4 MiB of floats whatever the region size. */
#define BAND_CELLS (1u << 20)

/* Each thread keeps the last freed band buffer for its next render (spare.h). */
void raster_rast_release_spare(void) { raster_spare_release(RASTER_SPARE_BAND); }

void raster_rast_init(raster_rast_t *r)
{
    memset(r, 0, sizeof *r);
}

void raster_rast_free(raster_rast_t *r)
{
    if (!r)
        return;
    if (r->acc && raster_spare_give(RASTER_SPARE_BAND, r->acc, r->cap_acc * sizeof *r->acc) == 0)
        r->acc = NULL;
    free(r->acc);
    free(r->row_lo);
    free(r->row_hi);
    free(r->cov);
    raster_rast_init(r);
}

typedef struct {
    float *acc;
    int *lo, *hi;
    int w, h;      /* band size in cells */
    size_t stride; /* w + 2 */
} band_t;

/* Area of [0,t] under clamp(u, 0, 1): the integral that gives a cell's covered share. */
static double ramp_integral(double t)
{
    if (t <= 0)
        return 0;
    if (t < 1)
        return 0.5 * t * t;
    return t - 0.5;
}

/* One edge piece inside a single row: x from xa (at the top) to xb (at the bottom),
 * height dy (signed by direction). Adds, to each cell it crosses, the change in covered
 * area from the cell to its left. */
static void cell_span(band_t *b, int row, double xa, double xb, double d)
{
    float *a = b->acc + (size_t)row * b->stride;
    double lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;
    int c0 = (int)floor(lo);
    int last;
    if (hi <= c0 + 1) {
        /* Inside one cell: the covered share right of the edge is 1 - (mean x - c0). */
        double xm = 0.5 * (xa + xb) - c0;
        a[c0] += (float)(d * (1 - xm));
        a[c0 + 1] += (float)(d * xm);
        last = c0 + 1;
    } else {
        /* Across cells: cell c's share is the mean over the edge of clamp(c+1-x, 0, 1),
         * which is (R(c+1-lo) - R(c+1-hi)) / (hi - lo) with R the ramp's integral. */
        int c1 = (int)ceil(hi);
        double inv = 1 / (hi - lo), prev = 0;
        for (int c = c0; c < c1; c++) {
            double cov = (ramp_integral(c + 1 - lo) - ramp_integral(c + 1 - hi)) * inv;
            a[c] += (float)(d * (cov - prev));
            prev = cov;
        }
        a[c1] += (float)(d * (1 - prev));
        last = c1;
    }
    if (c0 < b->lo[row])
        b->lo[row] = c0;
    if (last > b->hi[row])
        b->hi[row] = last;
}

/* A piece with y0 < y1 inside the band and x inside [0, w]. */
static void band_piece(band_t *b, double x0, double y0, double x1, double y1, double dir)
{
    double dxdy = (x1 - x0) / (y1 - y0);
    int ys = (int)floor(y0), ye = (int)ceil(y1);
    if (ys < 0)
        ys = 0;
    if (ye > b->h)
        ye = b->h;
    for (int y = ys; y < ye; y++) {
        double ya = y > y0 ? y : y0, yb = y + 1 < y1 ? y + 1 : y1;
        double dy = yb - ya;
        if (!(dy > 0))
            continue;
        double xa = x0 + (ya - y0) * dxdy, xb = x0 + (yb - y0) * dxdy;
        if (xa < 0) xa = 0;
        if (xa > b->w) xa = b->w;
        if (xb < 0) xb = 0;
        if (xb > b->w) xb = b->w;
        cell_span(b, y, xa, xb, dir * dy);
    }
}

/* An edge in band coordinates: clipped to the band's rows, then split where it crosses
 * x = 0 and x = w; a part left of the band is moved onto x = 0 (it still counts for the
 * winding of every pixel), a part right of it onto x = w (it changes nothing visible). */
static void band_edge(band_t *b, double ax, double ay, double bx, double by)
{
    if (!isfinite(ax) || !isfinite(ay) || !isfinite(bx) || !isfinite(by) || ay == by)
        return;
    double dir = 1;
    if (ay > by) {
        double t = ax; ax = bx; bx = t;
        t = ay; ay = by; by = t;
        dir = -1;
    }
    if (by <= 0 || ay >= b->h)
        return;
    double dxdy = (bx - ax) / (by - ay);
    double y0 = ay > 0 ? ay : 0, y1 = by < b->h ? by : b->h;
    double x0 = ay > 0 ? ax : ax + (0 - ay) * dxdy;
    double x1 = by < b->h ? bx : ax + (b->h - ay) * dxdy;

    double ys[4] = {y0, 0, 0, 0};
    int n = 1;
    double bounds[2] = {0, (double)b->w};
    for (int i = 0; i < 2; i++) {
        double xc = bounds[i];
        if ((x0 < xc && x1 > xc) || (x0 > xc && x1 < xc)) {
            double yc = y0 + (xc - x0) / (x1 - x0) * (y1 - y0);
            if (yc > y0 && yc < y1)
                ys[n++] = yc;
        }
    }
    if (n == 3 && ys[2] < ys[1]) {
        double t = ys[1]; ys[1] = ys[2]; ys[2] = t;
    }
    ys[n++] = y1;
    for (int i = 0; i + 1 < n; i++) {
        double ya = ys[i], yb = ys[i + 1];
        if (!(yb > ya))
            continue;
        double xa = i == 0 ? x0 : x0 + (ya - y0) / (y1 - y0) * (x1 - x0);
        double xb = i + 2 == n ? x1 : x0 + (yb - y0) / (y1 - y0) * (x1 - x0);
        double xm = 0.5 * (xa + xb);
        if (xm <= 0)
            xa = xb = 0;
        else if (xm >= b->w)
            xa = xb = b->w;
        band_piece(b, xa, ya, xb, yb, dir);
    }
}

static int rast_reserve(raster_rast_t *r, size_t cells, size_t rows, size_t w)
{
    if (cells > r->cap_acc) {
        free(r->acc);
        size_t bytes;
        r->acc = raster_spare_take(RASTER_SPARE_BAND, cells * sizeof *r->acc, SIZE_MAX, &bytes);
        if (r->acc) {   /* the thread's spare, zeroed as calloc would */
            r->cap_acc = bytes / sizeof *r->acc;
            memset(r->acc, 0, cells * sizeof *r->acc);
            return rast_reserve(r, cells, rows, w);
        }
        r->acc = calloc(cells, sizeof *r->acc);
        r->cap_acc = r->acc ? cells : 0;
        if (!r->acc)
            return -ENOMEM;
    }
    if (rows > r->cap_rows) {
        int *lo = realloc(r->row_lo, rows * sizeof *lo);
        if (!lo)
            return -ENOMEM;
        r->row_lo = lo;
        int *hi = realloc(r->row_hi, rows * sizeof *hi);
        if (!hi)
            return -ENOMEM;
        r->row_hi = hi;
        r->cap_rows = rows;
    }
    if (w > r->cap_cov) {
        float *c = realloc(r->cov, w * sizeof *c);
        if (!c)
            return -ENOMEM;
        r->cov = c;
        r->cap_cov = w;
    }
    return 0;
}

/* Turns band row y's differences into coverage, reports it, and clears the row (the
 * accumulation buffer is all zeros between calls). */
static void band_sweep_row(band_t *b, raster_rast_t *r, int y, int dev_x, int dev_y,
                           raster_fill_rule_t rule, raster_row_cb cb, void *ctx)
{
    int lo = b->lo[y], hi = b->hi[y];
    if (lo > hi)
        return;
    float *a = b->acc + (size_t)y * b->stride;
    int end = hi < b->w - 1 ? hi : b->w - 1;
    float s = 0;
    for (int x = lo; x <= end; x++) {
        s += a[x];
        float v = fabsf(s);
        if (rule == RASTER_FILL_EVENODD) {
            v = fmodf(v, 2.0f);
            if (v > 1)
                v = 2 - v;
        } else if (v > 1) {
            v = 1;
        }
        r->cov[x - lo] = v;
    }
    memset(a + lo, 0, (size_t)(hi - lo + 1) * sizeof *a);
    b->lo[y] = INT32_MAX;
    b->hi[y] = -1;
    if (end >= lo)
        cb(ctx, dev_y + y, dev_x + lo, end - lo + 1, r->cov);
}

int raster_rast_fill(raster_rast_t *r, const raster_poly_t *poly, int x0, int y0, int w, int h,
                     raster_fill_rule_t rule, raster_row_cb cb, void *ctx)
{
    if (w <= 0 || h <= 0 || poly->npts == 0)
        return 0;
    size_t stride = (size_t)w + 2;
    size_t band_h = BAND_CELLS / stride;
    if (band_h < 1)
        band_h = 1;
    if (band_h > (size_t)h)
        band_h = (size_t)h;
    int err = rast_reserve(r, stride * band_h, band_h, (size_t)w);
    if (err)
        return err;
    band_t b = {.acc = r->acc, .lo = r->row_lo, .hi = r->row_hi, .w = w, .stride = stride};
    for (size_t i = 0; i < band_h; i++) {
        b.lo[i] = INT32_MAX;
        b.hi[i] = -1;
    }
    for (int top = 0; top < h; top += (int)band_h) {
        b.h = h - top < (int)band_h ? h - top : (int)band_h;
        double by0 = (double)y0 + top, by1 = by0 + b.h;
        for (size_t c = 0; c < poly->ncs; c++) {
            const raster_contour_t *ct = &poly->cs[c];
            if (ct->n < 2)
                continue;
            const raster_point_t *p = poly->pts + ct->first;
            for (size_t i = 0; i < ct->n; i++) {
                raster_point_t pa = p[i], pb = p[i + 1 < ct->n ? i + 1 : 0];
                if ((pa.y < by0 && pb.y < by0) || (pa.y > by1 && pb.y > by1))
                    continue;
                band_edge(&b, pa.x - x0, pa.y - by0, pb.x - x0, pb.y - by0);
            }
        }
        for (int y = 0; y < b.h; y++)
            band_sweep_row(&b, r, y, x0, y0 + top, rule, cb, ctx);
    }
    return 0;
}
