/* path.c -- vector paths, affine matrices and curve flattening for the rasterizer.
 * Owns the path and polyline containers; the stroker (stroke.c) and the coverage
 * rasterizer (coverage.c) consume what this file produces. No pixels here. */
#include "path.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Curves never split into more chords than this, whatever their size: a hostile or
 * huge coordinate costs bounded work (it is clipped away by the rasterizer anyway). */
#define MAX_CURVE_STEPS 512

/* ---- matrices ---------------------------------------------------------------------- */

raster_matrix_t raster_matrix_identity(void)
{
    raster_matrix_t m = {1, 0, 0, 1, 0, 0};
    return m;
}

raster_matrix_t raster_matrix_translate(double tx, double ty)
{
    raster_matrix_t m = {1, 0, 0, 1, tx, ty};
    return m;
}

raster_matrix_t raster_matrix_scale(double sx, double sy)
{
    raster_matrix_t m = {sx, 0, 0, sy, 0, 0};
    return m;
}

raster_matrix_t raster_matrix_rotate(double radians)
{
    double c = cos(radians), s = sin(radians);
    raster_matrix_t m = {c, s, -s, c, 0, 0};
    return m;
}

raster_matrix_t raster_matrix_multiply(const raster_matrix_t *a, const raster_matrix_t *b)
{
    raster_matrix_t r;
    r.xx = b->xx * a->xx + b->xy * a->yx;
    r.yx = b->yx * a->xx + b->yy * a->yx;
    r.xy = b->xx * a->xy + b->xy * a->yy;
    r.yy = b->yx * a->xy + b->yy * a->yy;
    r.x0 = b->xx * a->x0 + b->xy * a->y0 + b->x0;
    r.y0 = b->yx * a->x0 + b->yy * a->y0 + b->y0;
    return r;
}

raster_point_t raster_matrix_apply(const raster_matrix_t *m, raster_point_t p)
{
    raster_point_t r = {m->xx * p.x + m->xy * p.y + m->x0, m->yx * p.x + m->yy * p.y + m->y0};
    return r;
}

double raster_matrix_max_scale(const raster_matrix_t *m)
{
    /* Larger singular value of [xx xy; yx yy]. */
    double a = m->xx, b = m->xy, c = m->yx, d = m->yy;
    double s1 = a * a + b * b + c * c + d * d;
    double det = a * d - b * c;
    double disc = s1 * s1 - 4 * det * det;
    if (disc < 0)
        disc = 0;
    return sqrt((s1 + sqrt(disc)) / 2);
}

int raster_matrix_is_identity(const raster_matrix_t *m)
{
    return m->xx == 1 && m->yx == 0 && m->xy == 0 && m->yy == 1 && m->x0 == 0 && m->y0 == 0;
}

int raster_matrix_is_axis_aligned(const raster_matrix_t *m)
{
    return m->yx == 0 && m->xy == 0;
}

int raster_matrix_invert(const raster_matrix_t *m, raster_matrix_t *out)
{
    double det = m->xx * m->yy - m->xy * m->yx;
    if (det == 0 || !isfinite(det) || !isfinite(m->x0) || !isfinite(m->y0))
        return -EDOM;
    raster_matrix_t r;
    r.xx = m->yy / det;
    r.xy = -m->xy / det;
    r.yx = -m->yx / det;
    r.yy = m->xx / det;
    r.x0 = -(r.xx * m->x0 + r.xy * m->y0);
    r.y0 = -(r.yx * m->x0 + r.yy * m->y0);
    *out = r;
    return 0;
}

/* ---- paths -------------------------------------------------------------------------- */

void raster_path_init(raster_path_t *p)
{
    memset(p, 0, sizeof *p);
}

void raster_path_free(raster_path_t *p)
{
    if (!p)
        return;
    free(p->verbs);
    free(p->pts);
    raster_path_init(p);
}

void raster_path_reset(raster_path_t *p)
{
    p->nverbs = 0;
    p->npts = 0;
    p->err = 0;
    p->has_current = 0;
}

/* Makes room for one verb and n points. */
static int path_reserve(raster_path_t *p, size_t n)
{
    if (p->err)
        return p->err;
    if (p->nverbs == p->cap_verbs) {
        size_t nc = p->cap_verbs ? p->cap_verbs * 2 : 16;
        uint8_t *v = realloc(p->verbs, nc);
        if (!v)
            return p->err = -ENOMEM;
        p->verbs = v;
        p->cap_verbs = nc;
    }
    if (p->npts + n > p->cap_pts) {
        size_t nc = p->cap_pts ? p->cap_pts * 2 : 32;
        while (nc < p->npts + n)
            nc *= 2;
        raster_point_t *q = realloc(p->pts, nc * sizeof *q);
        if (!q)
            return p->err = -ENOMEM;
        p->pts = q;
        p->cap_pts = nc;
    }
    return 0;
}

static int path_push(raster_path_t *p, raster_verb_t verb, const double *xy, size_t n)
{
    int err = path_reserve(p, n);
    if (err)
        return err;
    p->verbs[p->nverbs++] = (uint8_t)verb;
    for (size_t i = 0; i < n; i++) {
        raster_point_t pt = {xy[2 * i], xy[2 * i + 1]};
        p->pts[p->npts++] = pt;
    }
    return 0;
}

int raster_path_move_to(raster_path_t *p, double x, double y)
{
    double xy[2] = {x, y};
    int err = path_push(p, RASTER_VERB_MOVE, xy, 1);
    if (err)
        return err;
    p->has_current = 1;
    p->start.x = p->current.x = x;
    p->start.y = p->current.y = y;
    return 0;
}

static int path_ensure_current(raster_path_t *p)
{
    return p->has_current ? 0 : raster_path_move_to(p, 0, 0);
}

int raster_path_line_to(raster_path_t *p, double x, double y)
{
    double xy[2] = {x, y};
    int err = path_ensure_current(p);
    if (!err)
        err = path_push(p, RASTER_VERB_LINE, xy, 1);
    if (err)
        return err;
    p->current.x = x;
    p->current.y = y;
    return 0;
}

int raster_path_quad_to(raster_path_t *p, double x1, double y1, double x, double y)
{
    double xy[4] = {x1, y1, x, y};
    int err = path_ensure_current(p);
    if (!err)
        err = path_push(p, RASTER_VERB_QUAD, xy, 2);
    if (err)
        return err;
    p->current.x = x;
    p->current.y = y;
    return 0;
}

int raster_path_cubic_to(raster_path_t *p, double x1, double y1, double x2, double y2,
                         double x, double y)
{
    double xy[6] = {x1, y1, x2, y2, x, y};
    int err = path_ensure_current(p);
    if (!err)
        err = path_push(p, RASTER_VERB_CUBIC, xy, 3);
    if (err)
        return err;
    p->current.x = x;
    p->current.y = y;
    return 0;
}

int raster_path_close(raster_path_t *p)
{
    if (!p->has_current)
        return p->err;
    int err = path_push(p, RASTER_VERB_CLOSE, NULL, 0);
    if (err)
        return err;
    p->current = p->start;
    /* After close the next segment starts at the contour's start point; a later
     * move_to replaces it. */
    return 0;
}

int raster_path_rect(raster_path_t *p, double x, double y, double w, double h)
{
    raster_path_move_to(p, x, y);
    raster_path_line_to(p, x + w, y);
    raster_path_line_to(p, x + w, y + h);
    raster_path_line_to(p, x, y + h);
    return raster_path_close(p);
}

int raster_path_circle(raster_path_t *p, double cx, double cy, double r)
{
    /* Each quarter is a cubic with handles k*r long; k makes the midpoint exact. */
    const double k = 0.55228474983079334 * r;
    raster_path_move_to(p, cx + r, cy);
    raster_path_cubic_to(p, cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    raster_path_cubic_to(p, cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    raster_path_cubic_to(p, cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    raster_path_cubic_to(p, cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    return raster_path_close(p);
}

int raster_path_append(raster_path_t *p, const raster_path_t *src, const raster_matrix_t *m)
{
    if (src->err)
        return p->err = src->err;
    size_t pi = 0;
    for (size_t v = 0; v < src->nverbs; v++) {
        raster_point_t q[3];
        size_t n = 0;
        switch (src->verbs[v]) {
        case RASTER_VERB_MOVE:
        case RASTER_VERB_LINE: n = 1; break;
        case RASTER_VERB_QUAD: n = 2; break;
        case RASTER_VERB_CUBIC: n = 3; break;
        default: n = 0; break;
        }
        for (size_t i = 0; i < n; i++)
            q[i] = m ? raster_matrix_apply(m, src->pts[pi + i]) : src->pts[pi + i];
        pi += n;
        switch (src->verbs[v]) {
        case RASTER_VERB_MOVE: raster_path_move_to(p, q[0].x, q[0].y); break;
        case RASTER_VERB_LINE: raster_path_line_to(p, q[0].x, q[0].y); break;
        case RASTER_VERB_QUAD: raster_path_quad_to(p, q[0].x, q[0].y, q[1].x, q[1].y); break;
        case RASTER_VERB_CUBIC:
            raster_path_cubic_to(p, q[0].x, q[0].y, q[1].x, q[1].y, q[2].x, q[2].y);
            break;
        default: raster_path_close(p); break;
        }
    }
    return p->err;
}

int raster_path_bounds(const raster_path_t *p, const raster_matrix_t *m, raster_rect_t *out)
{
    if (p->npts == 0)
        return 0;
    raster_rect_t r = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < p->npts; i++) {
        raster_point_t q = m ? raster_matrix_apply(m, p->pts[i]) : p->pts[i];
        if (q.x < r.x0) r.x0 = q.x;
        if (q.y < r.y0) r.y0 = q.y;
        if (q.x > r.x1) r.x1 = q.x;
        if (q.y > r.y1) r.y1 = q.y;
    }
    *out = r;
    return 1;
}

/* ---- polylines ---------------------------------------------------------------------- */

void raster_poly_init(raster_poly_t *pl)
{
    memset(pl, 0, sizeof *pl);
}

void raster_poly_free(raster_poly_t *pl)
{
    if (!pl)
        return;
    free(pl->pts);
    free(pl->cs);
    raster_poly_init(pl);
}

void raster_poly_reset(raster_poly_t *pl)
{
    pl->npts = 0;
    pl->ncs = 0;
}

int raster_poly_begin(raster_poly_t *pl)
{
    if (pl->ncs == pl->cap_cs) {
        size_t nc = pl->cap_cs ? pl->cap_cs * 2 : 8;
        raster_contour_t *c = realloc(pl->cs, nc * sizeof *c);
        if (!c)
            return -ENOMEM;
        pl->cs = c;
        pl->cap_cs = nc;
    }
    raster_contour_t c = {pl->npts, 0, 0};
    pl->cs[pl->ncs++] = c;
    return 0;
}

int raster_poly_add(raster_poly_t *pl, raster_point_t pt)
{
    if (pl->ncs == 0) {
        int err = raster_poly_begin(pl);
        if (err)
            return err;
    }
    if (pl->npts == pl->cap_pts) {
        size_t nc = pl->cap_pts ? pl->cap_pts * 2 : 64;
        raster_point_t *q = realloc(pl->pts, nc * sizeof *q);
        if (!q)
            return -ENOMEM;
        pl->pts = q;
        pl->cap_pts = nc;
    }
    pl->pts[pl->npts++] = pt;
    pl->cs[pl->ncs - 1].n++;
    return 0;
}

void raster_poly_end(raster_poly_t *pl, int closed)
{
    if (pl->ncs)
        pl->cs[pl->ncs - 1].closed = closed;
}

void raster_poly_transform(raster_poly_t *pl, const raster_matrix_t *m)
{
    for (size_t i = 0; i < pl->npts; i++)
        pl->pts[i] = raster_matrix_apply(m, pl->pts[i]);
}

/* ---- flattening --------------------------------------------------------------------- */

static size_t curve_steps(double dd, double tol)
{
    /* dd already holds the bound's numerator; chords of n uniform steps deviate at most
     * dd / n^2 from the curve. */
    if (!(dd > 0) || !(tol > 0))
        return 1;
    double n = ceil(sqrt(dd / tol));
    if (!(n < MAX_CURVE_STEPS))
        return MAX_CURVE_STEPS;
    return n < 1 ? 1 : (size_t)n;
}

static double hypot2(double x, double y)
{
    return sqrt(x * x + y * y);
}

static int flatten_quad(raster_poly_t *out, raster_point_t p0, raster_point_t p1,
                        raster_point_t p2, double tol)
{
    /* For a quadratic, the deviation of n uniform chords is |p0 - 2p1 + p2| / (8 n^2). */
    double dd = hypot2(p0.x - 2 * p1.x + p2.x, p0.y - 2 * p1.y + p2.y) / 8;
    size_t n = curve_steps(dd, tol);
    for (size_t i = 1; i <= n; i++) {
        double t = (double)i / (double)n, u = 1 - t;
        raster_point_t q = {u * u * p0.x + 2 * u * t * p1.x + t * t * p2.x,
                            u * u * p0.y + 2 * u * t * p1.y + t * t * p2.y};
        if (i == n)
            q = p2;
        int err = raster_poly_add(out, q);
        if (err)
            return err;
    }
    return 0;
}

static int flatten_cubic(raster_poly_t *out, raster_point_t p0, raster_point_t p1,
                         raster_point_t p2, raster_point_t p3, double tol)
{
    /* Wang's formula: n >= sqrt(3/4 * max |second difference| / tol). */
    double d1 = hypot2(p0.x - 2 * p1.x + p2.x, p0.y - 2 * p1.y + p2.y);
    double d2 = hypot2(p1.x - 2 * p2.x + p3.x, p1.y - 2 * p2.y + p3.y);
    size_t n = curve_steps(0.75 * (d1 > d2 ? d1 : d2), tol);
    for (size_t i = 1; i <= n; i++) {
        double t = (double)i / (double)n, u = 1 - t;
        double a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
        raster_point_t q = {a * p0.x + b * p1.x + c * p2.x + d * p3.x,
                            a * p0.y + b * p1.y + c * p2.y + d * p3.y};
        if (i == n)
            q = p3;
        int err = raster_poly_add(out, q);
        if (err)
            return err;
    }
    return 0;
}

int raster_path_flatten(const raster_path_t *p, const raster_matrix_t *m, double tol,
                        raster_poly_t *out)
{
    if (p->err)
        return p->err;
    size_t pi = 0;
    int open = 0, err = 0;
    raster_point_t cur = {0, 0}, start = {0, 0};
    for (size_t v = 0; v < p->nverbs && !err; v++) {
        raster_point_t q[3];
        size_t n = p->verbs[v] == RASTER_VERB_QUAD ? 2 : p->verbs[v] == RASTER_VERB_CUBIC ? 3
                 : p->verbs[v] == RASTER_VERB_CLOSE ? 0 : 1;
        for (size_t i = 0; i < n; i++)
            q[i] = m ? raster_matrix_apply(m, p->pts[pi + i]) : p->pts[pi + i];
        pi += n;
        if (p->verbs[v] != RASTER_VERB_MOVE && p->verbs[v] != RASTER_VERB_CLOSE && !open) {
            /* A segment after close continues from the closed contour's start. */
            err = raster_poly_begin(out);
            if (!err)
                err = raster_poly_add(out, cur);
            open = 1;
            if (err)
                break;
        }
        switch (p->verbs[v]) {
        case RASTER_VERB_MOVE:
            if (open)
                raster_poly_end(out, 0);
            err = raster_poly_begin(out);
            if (!err)
                err = raster_poly_add(out, q[0]);
            open = 1;
            cur = start = q[0];
            break;
        case RASTER_VERB_LINE:
            err = raster_poly_add(out, q[0]);
            cur = q[0];
            break;
        case RASTER_VERB_QUAD:
            err = flatten_quad(out, cur, q[0], q[1], tol);
            cur = q[1];
            break;
        case RASTER_VERB_CUBIC:
            err = flatten_cubic(out, cur, q[0], q[1], q[2], tol);
            cur = q[2];
            break;
        default: /* close */
            if (open)
                raster_poly_end(out, 1);
            open = 0;
            cur = start;
            break;
        }
    }
    return err;
}
