/* draw.h -- drawing onto one canvas: fill and stroke paths under an affine transform,
 * a rectangular clip, images. A raster_draw_t holds the scratch buffers of one render;
 * it is never shared between threads (make one per render, they are cheap). */
#ifndef LS_RASTER_DRAW_H
#define LS_RASTER_DRAW_H

#include "canvas.h"
#include "coverage.h"
#include "path.h"
#include "stroke.h"

typedef struct {
    raster_canvas_t *canvas; /* borrowed */
    raster_rect_t clip;      /* device pixels; fractional edges are anti-aliased */
    double tolerance;        /* curve flattening error bound, device pixels (0.1) */
    raster_rast_t rast;
    raster_poly_t poly, outline;
    uint8_t *mask;
    float *xfac;
    size_t cap_row;
} raster_draw_t;

/* The clip starts as the whole canvas. */
void raster_draw_init(raster_draw_t *d, raster_canvas_t *canvas);
void raster_draw_free(raster_draw_t *d);

/* Sets the clip to r (device pixels) intersected with the canvas; NULL resets it. */
void raster_draw_set_clip(raster_draw_t *d, const raster_rect_t *r);

/* Fills p mapped by m (NULL = identity) with col. Returns 0 or -ENOMEM. */
int raster_draw_fill(raster_draw_t *d, const raster_path_t *p, const raster_matrix_t *m,
                     raster_fill_rule_t rule, raster_color_t col);
/* Strokes p; the width, dashes and round parts are in p's units and m maps the result,
 * so a scale in m scales the width too. Returns 0 or -ENOMEM. */
int raster_draw_stroke(raster_draw_t *d, const raster_path_t *p, const raster_matrix_t *m,
                       const raster_stroke_t *st, raster_color_t col);
/* Fills polylines already in device pixels. */
int raster_draw_fill_poly(raster_draw_t *d, const raster_poly_t *poly, raster_fill_rule_t rule,
                          raster_color_t col);
/* Draws img with m mapping image pixels to device pixels, scaled by opacity (0..255).
 * Axis-aligned m: each device pixel gets the exact area average of the source under it
 * (good down-scaling, exact edges). Rotated or sheared m: 4x4 point samples per pixel. */
int raster_draw_image(raster_draw_t *d, const raster_image_t *img, const raster_matrix_t *m,
                      uint8_t opacity);

#endif
