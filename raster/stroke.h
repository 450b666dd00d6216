/* stroke.h -- turns polylines into the outline of their stroke (width, joins, caps,
 * dashes). The outline is a set of contours to fill with the non-zero rule. */
#ifndef LS_RASTER_STROKE_H
#define LS_RASTER_STROKE_H

#include "path.h"

typedef enum { RASTER_JOIN_MITER, RASTER_JOIN_ROUND, RASTER_JOIN_BEVEL } raster_join_t;
typedef enum { RASTER_CAP_BUTT, RASTER_CAP_ROUND, RASTER_CAP_SQUARE } raster_cap_t;

#define RASTER_MAX_DASHES 16

typedef struct {
    double width;              /* > 0, in the path's units */
    raster_join_t join;
    raster_cap_t cap;
    double miter_limit;        /* ratio miter length / width as in SVG; <= 1 means 4 */
    double dashes[RASTER_MAX_DASHES]; /* on, off, on, ... lengths; ndashes 0 = solid */
    size_t ndashes;
    double dash_offset;
} raster_stroke_t;

/* A solid 1-unit stroke with miter joins (limit 4) and butt caps, like SVG's default. */
raster_stroke_t raster_stroke_default(double width);

/* Strokes every contour of in (open ones get caps, closed ones joins all round) into
 * out (appended). tol bounds the error of round joins and caps, in the same units.
 * The inner side of a join is the exact crossing of the two offsets when both segments
 * are long enough, else it goes through the vertex itself (the Skia way), which keeps
 * every part of one outline turning the same way, so non-zero fills it whole.
 * Dashes whose pattern is invalid (negative, all zero, or over 100,000 dashes on one
 * contour) are ignored and the stroke is solid. Returns 0 or -ENOMEM. */
int raster_stroke_poly(const raster_poly_t *in, const raster_stroke_t *st, double tol,
                       raster_poly_t *out);

/* Cuts in into the "on" pieces of the dash pattern (open contours) appended to out;
 * returns 0, -ENOMEM, or -EINVAL when the pattern is unusable (out untouched then). */
int raster_poly_dash(const raster_poly_t *in, const double *dashes, size_t n, double offset,
                     raster_poly_t *out);

#endif
