/* coverage.h -- anti-aliasing by exact area coverage. Polylines go in, one row of
 * coverage values in [0,1] per pixel row comes out to a callback.
 *
 * Each line segment adds, to every cell it crosses, the signed change in covered area
 * that it causes (the way font-rs and stb_truetype's v2 rasterizer do it); a running sum
 * along the row turns those differences into coverage. For a single contour without
 * self-overlap the result is the exact area of the pixel inside the shape (up to float
 * rounding). Where contours overlap, the summed signed area is folded by the fill rule
 * (non-zero: |a| clamped to 1; even-odd: a folded into [0,1]); a pixel that an edge of
 * both shapes crosses is then approximate, as with every area-accumulation rasterizer.
 *
 * The scratch buffer belongs to one raster_rast_t: use one per thread (or per render). */
#ifndef LS_RASTER_COVERAGE_H
#define LS_RASTER_COVERAGE_H

#include "path.h"

typedef enum {
    RASTER_FILL_NONZERO,
    RASTER_FILL_EVENODD,
} raster_fill_rule_t;

typedef struct {
    float *acc;      /* (w + 2) * band rows of signed area differences */
    size_t cap_acc;
    int *row_lo, *row_hi; /* per band row: cells touched, lo > hi when none */
    size_t cap_rows;
    float *cov;      /* one row of output */
    size_t cap_cov;
} raster_rast_t;

/* Receives coverage cov[0..n) for pixels (x .. x+n-1, y). Pixels not reported have zero
 * coverage. */
typedef void (*raster_row_cb)(void *ctx, int y, int x, int n, const float *cov);

void raster_rast_init(raster_rast_t *r);
/* Keeps the band buffer as the calling thread's spare for its next raster_rast_t (freed
 * when the thread exits, or by raster_rast_release_spare). */
void raster_rast_free(raster_rast_t *r);
void raster_rast_release_spare(void);

/* Fills every contour of poly (each implicitly closed) with the rule, inside the pixel
 * region [x0, x0+w) x [y0, y0+h); geometry outside the region is clipped exactly (what
 * lies left of the region still counts for the winding). Works in bands of rows so the
 * scratch stays near 4 MiB whatever the region. Segments with a non-finite coordinate
 * are skipped. Returns 0 or -ENOMEM. */
int raster_rast_fill(raster_rast_t *r, const raster_poly_t *poly, int x0, int y0, int w, int h,
                     raster_fill_rule_t rule, raster_row_cb cb, void *ctx);

#endif
