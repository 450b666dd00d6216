/* stroke.c -- the stroker: polylines in, fill outlines out (joins, caps, dashes). Works in
 * the path's own units, so a transform applied afterwards scales the width with the
 * shape. Knows nothing of pixels; draw.c fills what this returns with coverage.c. */
#include "stroke.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DASHES_PER_CONTOUR 100000.0

raster_stroke_t raster_stroke_default(double width)
{
    raster_stroke_t st;
    memset(&st, 0, sizeof st);
    st.width = width;
    st.join = RASTER_JOIN_MITER;
    st.cap = RASTER_CAP_BUTT;
    st.miter_limit = 4;
    return st;
}

static raster_point_t pt_add(raster_point_t a, raster_point_t b, double k)
{
    raster_point_t r = {a.x + b.x * k, a.y + b.y * k};
    return r;
}

static double dist(raster_point_t a, raster_point_t b)
{
    return sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y));
}

static raster_point_t unit_dir(raster_point_t a, raster_point_t b)
{
    double dx = b.x - a.x, dy = b.y - a.y, len = sqrt(dx * dx + dy * dy);
    raster_point_t u = {dx / len, dy / len};
    return u;
}

/* Normal on the left of direction u (u turned by +90 degrees). */
static raster_point_t left_of(raster_point_t u)
{
    raster_point_t n = {-u.y, u.x};
    return n;
}

/* Appends the points of an arc around c of radius r from angle a0 turning by delta,
 * the start excluded and the end included, in steps whose chord error is <= tol. */
static int emit_arc(raster_poly_t *out, raster_point_t c, double r, double a0, double delta,
                    double tol)
{
    double step = tol < r ? 2 * acos(1 - tol / r) : M_PI / 2;
    if (!(step > 0.01))
        step = 0.01; /* caps the points per full turn at ~630 */
    int n = (int)ceil(fabs(delta) / step);
    if (n < 1)
        n = 1;
    for (int i = 1; i <= n; i++) {
        double a = a0 + delta * i / n;
        raster_point_t q = {c.x + r * cos(a), c.y + r * sin(a)};
        int err = raster_poly_add(out, q);
        if (err)
            return err;
    }
    return 0;
}

typedef struct {
    raster_poly_t *out;
    const raster_stroke_t *st;
    double hw, tol, limit;
} stroker_t;

/* The offset's corner at vertex p between incoming direction u0 (of a segment len0
 * long) and outgoing u1 (len1 long). */
static int emit_join(stroker_t *s, raster_point_t p, raster_point_t u0, double len0,
                     raster_point_t u1, double len1)
{
    raster_point_t n0 = left_of(u0), n1 = left_of(u1);
    raster_point_t a = pt_add(p, n0, s->hw), b = pt_add(p, n1, s->hw);
    double cross = u0.x * u1.y - u0.y * u1.x, dot = u0.x * u1.x + u0.y * u1.y;
    if (fabs(cross) < 1e-12 && dot > 0)
        return raster_poly_add(s->out, a); /* straight on */
    if (cross > 0) {
        /* Inner side. Where the two offset lines cross within the nearer half of both
         * segments (so the joins at either end of a segment cannot overlap), that
         * crossing is the exact corner of the outline. Otherwise (short segments, sharp
         * turns) go through the vertex itself, the Skia way: the loops this makes turn
         * the same way as the outline, so non-zero still fills them; only pixels where
         * such a loop meets the outside are approximate. */
        double reach = dot > -1 + 1e-12 ? s->hw * cross / (1 + dot) : INFINITY;
        if (reach <= len0 / 2 && reach <= len1 / 2) {
            raster_point_t m = {n0.x + n1.x, n0.y + n1.y};
            return raster_poly_add(s->out, pt_add(p, m, s->hw / (1 + dot)));
        }
        int err = raster_poly_add(s->out, a);
        if (!err)
            err = raster_poly_add(s->out, p);
        return err ? err : raster_poly_add(s->out, b);
    }
    int err = raster_poly_add(s->out, a);
    if (err)
        return err;
    switch (s->st->join) {
    case RASTER_JOIN_ROUND: {
        double delta = cross == 0 ? -M_PI : atan2(cross, dot);
        return emit_arc(s->out, p, s->hw, atan2(n0.y, n0.x), delta, s->tol);
    }
    case RASTER_JOIN_MITER: {
        double cos_half = sqrt((1 + dot) / 2);
        if (cos_half > 1e-9 && 1 / cos_half <= s->limit) {
            raster_point_t m = {n0.x + n1.x, n0.y + n1.y};
            double len = sqrt(m.x * m.x + m.y * m.y);
            raster_point_t q = pt_add(p, m, s->hw / (cos_half * len));
            err = raster_poly_add(s->out, q);
            if (err)
                return err;
        }
        return raster_poly_add(s->out, b);
    }
    default:
        return raster_poly_add(s->out, b);
    }
}

/* The end cap at p for a line arriving in direction u, from p + left*hw to p - left*hw. */
static int emit_cap(stroker_t *s, raster_point_t p, raster_point_t u)
{
    raster_point_t n = left_of(u);
    switch (s->st->cap) {
    case RASTER_CAP_ROUND:
        return emit_arc(s->out, p, s->hw, atan2(n.y, n.x), -M_PI, s->tol);
    case RASTER_CAP_SQUARE: {
        raster_point_t e = pt_add(p, u, s->hw);
        int err = raster_poly_add(s->out, pt_add(e, n, s->hw));
        return err ? err : raster_poly_add(s->out, pt_add(e, n, -s->hw));
    }
    default:
        return 0;
    }
}

#define AT(k) (rev ? p[n - 1 - (k)] : p[(k)])

/* The left offset of p walked forwards (rev 0) or backwards (rev 1). */
static int emit_side(stroker_t *s, const raster_point_t *p, size_t n, int closed, int rev)
{
    int err = 0;
    if (closed) {
        for (size_t k = 0; k < n && !err; k++) {
            raster_point_t prev = AT((k + n - 1) % n), next = AT((k + 1) % n);
            err = emit_join(s, AT(k), unit_dir(prev, AT(k)), dist(prev, AT(k)),
                            unit_dir(AT(k), next), dist(AT(k), next));
        }
        return err;
    }
    raster_point_t u = unit_dir(AT(0), AT(1));
    double len = dist(AT(0), AT(1));
    err = raster_poly_add(s->out, pt_add(AT(0), left_of(u), s->hw));
    for (size_t k = 1; k + 1 < n && !err; k++) {
        raster_point_t u1 = unit_dir(AT(k), AT(k + 1));
        double len1 = dist(AT(k), AT(k + 1));
        err = emit_join(s, AT(k), u, len, u1, len1);
        u = u1;
        len = len1;
    }
    if (!err)
        err = raster_poly_add(s->out, pt_add(AT(n - 1), left_of(u), s->hw));
    if (!err)
        err = emit_cap(s, AT(n - 1), u);
    return err;
}

#undef AT

/* A contour that is a single point: a dot for round and square caps, nothing else. */
static int emit_dot(stroker_t *s, raster_point_t p)
{
    int err = 0;
    if (s->st->cap == RASTER_CAP_ROUND) {
        raster_point_t q = {p.x + s->hw, p.y};
        err = raster_poly_begin(s->out);
        if (!err)
            err = raster_poly_add(s->out, q);
        if (!err)
            err = emit_arc(s->out, p, s->hw, 0, 2 * M_PI, s->tol);
    } else if (s->st->cap == RASTER_CAP_SQUARE) {
        double h = s->hw;
        raster_point_t q[4] = {{p.x - h, p.y - h}, {p.x + h, p.y - h}, {p.x + h, p.y + h},
                               {p.x - h, p.y + h}};
        err = raster_poly_begin(s->out);
        for (int i = 0; i < 4 && !err; i++)
            err = raster_poly_add(s->out, q[i]);
    }
    if (!err)
        raster_poly_end(s->out, 1);
    return err;
}

static int stroke_contour(stroker_t *s, raster_point_t *p, size_t n, int closed)
{
    /* Drop repeated points; they have no direction. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(p[i].x) || !isfinite(p[i].y))
            continue;
        if (m && fabs(p[i].x - p[m - 1].x) < 1e-9 && fabs(p[i].y - p[m - 1].y) < 1e-9)
            continue;
        p[m++] = p[i];
    }
    while (closed && m > 1 && fabs(p[m - 1].x - p[0].x) < 1e-9 &&
           fabs(p[m - 1].y - p[0].y) < 1e-9)
        m--;
    if (m == 0)
        return 0;
    if (m == 1)
        return emit_dot(s, p[0]);
    int err = raster_poly_begin(s->out);
    if (err)
        return err;
    if (closed) {
        err = emit_side(s, p, m, 1, 0);
        raster_poly_end(s->out, 1);
        if (!err)
            err = raster_poly_begin(s->out);
        if (!err)
            err = emit_side(s, p, m, 1, 1);
    } else {
        err = emit_side(s, p, m, 0, 0);
        if (!err)
            err = emit_side(s, p, m, 0, 1);
    }
    raster_poly_end(s->out, 1);
    return err;
}

int raster_poly_dash(const raster_poly_t *in, const double *dashes, size_t n, double offset,
                     raster_poly_t *out)
{
    if (n == 0 || n > RASTER_MAX_DASHES || !isfinite(offset))
        return -EINVAL;
    double pat[2 * RASTER_MAX_DASHES], period = 0;
    size_t np = n % 2 ? 2 * n : n; /* an odd list repeats twice, as in SVG */
    for (size_t i = 0; i < np; i++) {
        pat[i] = dashes[i % n];
        if (!isfinite(pat[i]) || pat[i] < 0)
            return -EINVAL;
        period += pat[i];
    }
    if (!(period > 0))
        return -EINVAL;
    for (size_t c = 0; c < in->ncs; c++) {
        const raster_contour_t *ct = &in->cs[c];
        double len = 0;
        for (size_t i = 0; i + 1 < ct->n + (ct->closed ? 1 : 0); i++) {
            raster_point_t a = in->pts[ct->first + i], b = in->pts[ct->first + (i + 1) % ct->n];
            len += hypot(b.x - a.x, b.y - a.y);
        }
        if (!(len / period <= MAX_DASHES_PER_CONTOUR))
            return -EINVAL;
    }
    int err = 0;
    for (size_t c = 0; c < in->ncs && !err; c++) {
        const raster_contour_t *ct = &in->cs[c];
        /* Each contour starts the pattern afresh at the offset. */
        double phase = fmod(offset, period);
        if (phase < 0)
            phase += period;
        size_t di = 0;
        while (phase >= pat[di]) {
            phase -= pat[di];
            di = (di + 1) % np;
        }
        double left = pat[di] - phase; /* of the current dash or gap */
        int on = di % 2 == 0;
        if (ct->n == 0)
            continue;
        if (on) {
            err = raster_poly_begin(out);
            if (!err)
                err = raster_poly_add(out, in->pts[ct->first]);
        }
        size_t nseg = ct->n - 1 + (ct->closed ? 1 : 0);
        for (size_t i = 0; i < nseg && !err; i++) {
            raster_point_t a = in->pts[ct->first + i], b = in->pts[ct->first + (i + 1) % ct->n];
            double sl = hypot(b.x - a.x, b.y - a.y), done = 0;
            while (!err && sl - done > left) {
                done += left;
                raster_point_t q = {a.x + (b.x - a.x) * done / sl, a.y + (b.y - a.y) * done / sl};
                if (on) {
                    err = raster_poly_add(out, q);
                    raster_poly_end(out, 0);
                } else {
                    err = raster_poly_begin(out);
                    if (!err)
                        err = raster_poly_add(out, q);
                }
                on = !on;
                di = (di + 1) % np;
                left = pat[di];
            }
            left -= sl - done;
            if (on && !err)
                err = raster_poly_add(out, b);
        }
        if (on)
            raster_poly_end(out, 0);
    }
    return err;
}

int raster_stroke_poly(const raster_poly_t *in, const raster_stroke_t *st, double tol,
                       raster_poly_t *out)
{
    if (!(st->width > 0) || !isfinite(st->width))
        return 0;
    raster_poly_t dashed;
    raster_poly_init(&dashed);
    const raster_poly_t *src = in;
    int err = 0;
    if (st->ndashes) {
        err = raster_poly_dash(in, st->dashes, st->ndashes, st->dash_offset, &dashed);
        if (err == -ENOMEM)
            goto fail;
        if (err == 0)
            src = &dashed;
        err = 0; /* an unusable pattern: solid */
    }
    size_t maxn = 0;
    for (size_t c = 0; c < src->ncs; c++)
        if (src->cs[c].n > maxn)
            maxn = src->cs[c].n;
    raster_point_t *tmp = maxn ? malloc(maxn * sizeof *tmp) : NULL;
    if (maxn && !tmp) {
        err = -ENOMEM;
        goto fail;
    }
    stroker_t s = {out, st, st->width / 2, tol > 0 ? tol : 0.1,
                   st->miter_limit > 1 ? st->miter_limit : 4};
    for (size_t c = 0; c < src->ncs && !err; c++) {
        const raster_contour_t *ct = &src->cs[c];
        memcpy(tmp, src->pts + ct->first, ct->n * sizeof *tmp);
        err = stroke_contour(&s, tmp, ct->n, ct->closed);
    }
    free(tmp);
fail:
    raster_poly_free(&dashed);
    return err;
}
