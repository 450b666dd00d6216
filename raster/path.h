/* path.h -- vector paths (lines, quadratic and cubic Béziers), affine matrices, and
 * flattening into polylines within an error bound. Pure data: no pixels, no fonts, no
 * global state; every function is safe to call from any thread on its own objects. */
#ifndef LS_RASTER_PATH_H
#define LS_RASTER_PATH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double x, y;
} raster_point_t;

/* x' = xx*x + xy*y + x0;  y' = yx*x + yy*y + y0  (cairo's layout). */
typedef struct {
    double xx, yx, xy, yy, x0, y0;
} raster_matrix_t;

typedef struct {
    double x0, y0, x1, y1; /* x0 <= x1, y0 <= y1 when not empty */
} raster_rect_t;

raster_matrix_t raster_matrix_identity(void);
raster_matrix_t raster_matrix_translate(double tx, double ty);
raster_matrix_t raster_matrix_scale(double sx, double sy);
raster_matrix_t raster_matrix_rotate(double radians);
/* The matrix that applies a first, then b. */
raster_matrix_t raster_matrix_multiply(const raster_matrix_t *a, const raster_matrix_t *b);
raster_point_t raster_matrix_apply(const raster_matrix_t *m, raster_point_t p);
/* Largest factor by which m stretches a length (the larger singular value). */
double raster_matrix_max_scale(const raster_matrix_t *m);
int raster_matrix_is_identity(const raster_matrix_t *m);
/* 1 if m only scales and translates (no rotation or shear). */
int raster_matrix_is_axis_aligned(const raster_matrix_t *m);
/* Returns 0 and the inverse, or -EDOM when m is singular or not finite. */
int raster_matrix_invert(const raster_matrix_t *m, raster_matrix_t *out);

typedef enum {
    RASTER_VERB_MOVE,
    RASTER_VERB_LINE,
    RASTER_VERB_QUAD,
    RASTER_VERB_CUBIC,
    RASTER_VERB_CLOSE,
} raster_verb_t;

/* A path owns its arrays. Building calls return 0 or -ENOMEM; an error is also kept in
 * err (sticky), so a builder may make many calls and check once at the end. A line_to or
 * curve with no current point starts at (0,0), as in SVG. */
typedef struct {
    uint8_t *verbs;
    size_t nverbs, cap_verbs;
    raster_point_t *pts;
    size_t npts, cap_pts;
    int err;
    int has_current;
    raster_point_t start, current;
} raster_path_t;

void raster_path_init(raster_path_t *p);
void raster_path_free(raster_path_t *p); /* accepts NULL; the path stays usable */
void raster_path_reset(raster_path_t *p); /* empties, keeps memory */
int raster_path_move_to(raster_path_t *p, double x, double y);
int raster_path_line_to(raster_path_t *p, double x, double y);
int raster_path_quad_to(raster_path_t *p, double x1, double y1, double x, double y);
int raster_path_cubic_to(raster_path_t *p, double x1, double y1, double x2, double y2,
                         double x, double y);
int raster_path_close(raster_path_t *p);
/* A closed rectangle, clockwise on screen (y down). */
int raster_path_rect(raster_path_t *p, double x, double y, double w, double h);
/* A closed circle from four cubic arcs (radial error under 0.03% of r). */
int raster_path_circle(raster_path_t *p, double cx, double cy, double r);
/* Appends src with every point mapped by m (m may be NULL for identity). */
int raster_path_append(raster_path_t *p, const raster_path_t *src, const raster_matrix_t *m);
/* Bounds of every point (control points included) after m; returns 0 if the path has
 * no points. */
int raster_path_bounds(const raster_path_t *p, const raster_matrix_t *m, raster_rect_t *out);

/* A set of polylines: contour i is pts[cs[i].first .. cs[i].first + cs[i].n). */
typedef struct {
    size_t first, n;
    int closed;
} raster_contour_t;

typedef struct {
    raster_point_t *pts;
    size_t npts, cap_pts;
    raster_contour_t *cs;
    size_t ncs, cap_cs;
} raster_poly_t;

void raster_poly_init(raster_poly_t *pl);
void raster_poly_free(raster_poly_t *pl);
void raster_poly_reset(raster_poly_t *pl);
int raster_poly_begin(raster_poly_t *pl);                  /* starts a new contour */
int raster_poly_add(raster_poly_t *pl, raster_point_t pt); /* to the last contour */
void raster_poly_end(raster_poly_t *pl, int closed);       /* marks the last contour */
/* Maps every point in place. */
void raster_poly_transform(raster_poly_t *pl, const raster_matrix_t *m);

/* Flattens p, mapped by m (NULL = identity), into out (appended): curves become chords
 * whose distance from the true curve is at most tol (in the units after m). The step
 * count comes from the curve's second differences (Wang's formula), so it is a pure
 * function of the input: the same path always gives the same points. */
int raster_path_flatten(const raster_path_t *p, const raster_matrix_t *m, double tol,
                        raster_poly_t *out);

#endif
