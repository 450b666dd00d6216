/* test_raster.c -- unit tests for raster/: exact-area coverage, fill rules, strokes,
 * clip, transforms, compositing, text and fonts, UTF-8, PNG and SVG output. */
#include "draw.h"
#include "font.h"
#include "pngenc.h"
#include "png_util.h"

#include <png.h>
#include "scene.h"
#include "svg.h"
#include "test.h"
#include "text.h"
#include "utf8.h"

#include <errno.h>

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct {
    double sum;
    int w, h;
    float *cov; /* optional w*h capture */
} cov_sum_t;

static void sum_cb(void *ctx, int y, int x, int n, const float *cov)
{
    cov_sum_t *s = ctx;
    for (int i = 0; i < n; i++) {
        s->sum += cov[i];
        if (s->cov && x + i >= 0 && x + i < s->w && y >= 0 && y < s->h)
            s->cov[(size_t)y * (size_t)s->w + (size_t)(x + i)] = cov[i];
    }
}

/* Float coverage of a path flattened with tol over the region [0,w)x[0,h). */
static double coverage_of(const raster_path_t *p, const raster_matrix_t *m, double tol, int w,
                          int h, raster_fill_rule_t rule, float *capture)
{
    raster_poly_t poly;
    raster_rast_t r;
    raster_poly_init(&poly);
    raster_rast_init(&r);
    raster_path_flatten(p, m, tol, &poly);
    cov_sum_t s = {0, w, h, capture};
    raster_rast_fill(&r, &poly, 0, 0, w, h, rule, sum_cb, &s);
    raster_poly_free(&poly);
    raster_rast_free(&r);
    return s.sum;
}

static double shoelace(const raster_poly_t *pl)
{
    double a = 0;
    for (size_t c = 0; c < pl->ncs; c++) {
        const raster_point_t *p = pl->pts + pl->cs[c].first;
        size_t n = pl->cs[c].n;
        for (size_t i = 0; i < n; i++) {
            raster_point_t q = p[(i + 1) % n];
            a += p[i].x * q.y - q.x * p[i].y;
        }
    }
    return fabs(a) / 2;
}

/* Sum of alpha over the canvas, in pixels. */
static double alpha_sum(const raster_canvas_t *c)
{
    double s = 0;
    for (size_t i = 0; i < (size_t)c->w * (size_t)c->h; i++)
        s += c->px[i * 4 + 3] / 255.0;
    return s;
}

static uint8_t alpha_at(const raster_canvas_t *c, int x, int y)
{
    return c->px[((size_t)y * (size_t)c->w + (size_t)x) * 4 + 3];
}

static const raster_color_t BLACK = {0, 0, 0, 255};

/* ---- coverage ------------------------------------------------------------------------ */

TEST(coverage_unit_square_is_exact)
{
    /* Wherever a unit square lands, its coverage sums to exactly one pixel. */
    const double offs[][2] = {{10, 10}, {10.5, 10.5}, {10.3, 10.7}, {3.999, 7.001}, {0.25, 0.75}};
    for (size_t i = 0; i < LS_TEST_LEN(offs); i++) {
        raster_path_t p;
        raster_path_init(&p);
        raster_path_rect(&p, offs[i][0], offs[i][1], 1, 1);
        double s = coverage_of(&p, NULL, 0.1, 32, 32, RASTER_FILL_NONZERO, NULL);
        ASSERT_NEAR(s, 1.0, 1e-5);
        raster_path_free(&p);
    }
    /* And on the canvas, after 8-bit quantisation, within the rounding of 4 pixels. */
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 16, 16), 0);
    raster_draw_t d;
    raster_draw_init(&d, &c);
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, 5.3, 6.6, 1, 1);
    ASSERT_EQ(raster_draw_fill(&d, &p, NULL, RASTER_FILL_NONZERO, BLACK), 0);
    ASSERT_NEAR(alpha_sum(&c), 1.0, 4 * 0.5 / 255 + 1e-9);
    raster_path_free(&p);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    return 0;
}

TEST(coverage_circle_matches_area)
{
    /* Against the exact polygon (shoelace) and, with a fine tolerance, against pi r^2. */
    const double cx[] = {32, 32.5, 31.27}, r[] = {20, 13.3, 2.2};
    for (size_t i = 0; i < LS_TEST_LEN(cx); i++) {
        raster_path_t p;
        raster_poly_t pl;
        raster_path_init(&p);
        raster_poly_init(&pl);
        raster_path_circle(&p, cx[i], cx[i] - 0.37, r[i]);
        raster_path_flatten(&p, NULL, 0.1, &pl);
        double exact_poly = shoelace(&pl);
        double s = coverage_of(&p, NULL, 0.1, 64, 64, RASTER_FILL_NONZERO, NULL);
        ASSERT_NEAR(s, exact_poly, 1e-3);
        double fine = coverage_of(&p, NULL, 0.0005, 64, 64, RASTER_FILL_NONZERO, NULL);
        ASSERT_NEAR(fine, M_PI * r[i] * r[i], M_PI * r[i] * r[i] * 6e-4);
        raster_poly_free(&pl);
        raster_path_free(&p);
    }
    return 0;
}

TEST(coverage_random_triangles_exact)
{
    /* Slanted edges crossing many cells per row, in both directions, partly outside. */
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        double v[6];
        for (int k = 0; k < 6; k++) {
            seed = seed * 1103515245u + 12345u;
            v[k] = (seed >> 8) % 10000 / 10000.0 * 80 - 8; /* -8 .. 72 on a 64 px region */
        }
        raster_path_t p;
        raster_path_init(&p);
        raster_path_move_to(&p, v[0], v[1]);
        raster_path_line_to(&p, v[2], v[3]);
        raster_path_line_to(&p, v[4], v[5]);
        raster_path_close(&p);
        /* Exact area of the part inside the region: clip the triangle with a big region
         * instead, where it is entirely inside. */
        raster_matrix_t shift = raster_matrix_translate(20, 20);
        raster_poly_t pl;
        raster_poly_init(&pl);
        raster_path_flatten(&p, &shift, 0.1, &pl);
        double exact = shoelace(&pl);
        double s = coverage_of(&p, &shift, 0.1, 120, 120, RASTER_FILL_NONZERO, NULL);
        ASSERT_NEAR(s, exact, 2e-3 + exact * 1e-5);
        raster_poly_free(&pl);
        raster_path_free(&p);
    }
    return 0;
}

TEST(coverage_half_pixel_translate)
{
    /* A shape and its half-pixel translate cover the same area; an integer-aligned
     * square moved by half a pixel has half-covered edge pixels. */
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, 4, 4, 8, 6);
    float a[32 * 32] = {0}, b[32 * 32] = {0};
    double s0 = coverage_of(&p, NULL, 0.1, 32, 32, RASTER_FILL_NONZERO, a);
    raster_matrix_t half = raster_matrix_translate(0.5, 0.5);
    double s1 = coverage_of(&p, &half, 0.1, 32, 32, RASTER_FILL_NONZERO, b);
    ASSERT_NEAR(s0, 48, 1e-4);
    ASSERT_NEAR(s1, 48, 1e-4);
    ASSERT_NEAR(a[4 * 32 + 4], 1.0, 1e-6);
    ASSERT_NEAR(b[4 * 32 + 4], 0.25, 1e-6); /* corner: half by half */
    ASSERT_NEAR(b[6 * 32 + 4], 0.5, 1e-6);  /* left edge */
    ASSERT_NEAR(b[6 * 32 + 8], 1.0, 1e-6);  /* inside */
    ASSERT_NEAR(b[6 * 32 + 12], 0.5, 1e-6); /* right edge */
    /* The same for a circle: total area is translation-invariant. */
    raster_path_reset(&p);
    raster_path_circle(&p, 15, 15, 9);
    s0 = coverage_of(&p, NULL, 0.1, 32, 32, RASTER_FILL_NONZERO, NULL);
    s1 = coverage_of(&p, &half, 0.1, 32, 32, RASTER_FILL_NONZERO, NULL);
    ASSERT_NEAR(s0, s1, 0.05);
    raster_path_free(&p);
    return 0;
}

static void star(raster_path_t *p, double cx, double cy, double r)
{
    /* A pentagram drawn as one self-intersecting contour. */
    for (int i = 0; i < 5; i++) {
        double a = -M_PI / 2 + i * 4 * M_PI / 5;
        if (i == 0)
            raster_path_move_to(p, cx + r * cos(a), cy + r * sin(a));
        else
            raster_path_line_to(p, cx + r * cos(a), cy + r * sin(a));
    }
    raster_path_close(p);
}

TEST(fill_rules_star)
{
    raster_path_t p;
    raster_path_init(&p);
    star(&p, 32, 32, 28);
    float nz[64 * 64] = {0}, eo[64 * 64] = {0};
    double snz = coverage_of(&p, NULL, 0.1, 64, 64, RASTER_FILL_NONZERO, nz);
    double seo = coverage_of(&p, NULL, 0.1, 64, 64, RASTER_FILL_EVENODD, eo);
    ASSERT_NEAR(nz[32 * 64 + 32], 1.0, 1e-6); /* the pentagon in the middle: winding 2 */
    ASSERT_NEAR(eo[32 * 64 + 32], 0.0, 1e-6);
    ASSERT_NEAR(nz[10 * 64 + 32], 1.0, 1e-6); /* inside the top tip: winding 1 */
    ASSERT_NEAR(eo[10 * 64 + 32], 1.0, 1e-6);
    ASSERT_NEAR(nz[2 * 64 + 2], 0.0, 1e-6);   /* outside */
    /* Non-zero covers the whole star; even-odd lacks the inner pentagon. The inner
     * pentagon of a regular pentagram of radius R has circumradius R*0.381966. */
    double rin = 28 * 0.38196601125;
    double pent = 2.5 * rin * rin * sin(2 * M_PI / 5);
    /* Pixels at the pentagon's corners, where windings 0, 1 and 2 meet, are folded
     * approximately (see coverage.h); everywhere else the difference is exact. */
    ASSERT_NEAR(snz - seo, pent, 1.0);
    raster_path_free(&p);
    return 0;
}

TEST(fill_evenodd_nested_squares)
{
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, 2, 2, 20, 20);
    raster_path_rect(&p, 7, 7, 10, 10); /* same direction: a hole only under even-odd */
    ASSERT_NEAR(coverage_of(&p, NULL, 0.1, 32, 32, RASTER_FILL_EVENODD, NULL), 300, 1e-3);
    ASSERT_NEAR(coverage_of(&p, NULL, 0.1, 32, 32, RASTER_FILL_NONZERO, NULL), 400, 1e-3);
    raster_path_free(&p);
    return 0;
}

/* ---- strokes ------------------------------------------------------------------------- */

static double stroke_area(const raster_path_t *p, const raster_stroke_t *st)
{
    raster_poly_t in, out;
    raster_poly_init(&in);
    raster_poly_init(&out);
    raster_path_flatten(p, NULL, 0.01, &in);
    raster_stroke_poly(&in, st, 0.001, &out);
    raster_rast_t r;
    raster_rast_init(&r);
    cov_sum_t s = {0, 0, 0, NULL};
    raster_rast_fill(&r, &out, 0, 0, 256, 256, RASTER_FILL_NONZERO, sum_cb, &s);
    raster_rast_free(&r);
    raster_poly_free(&in);
    raster_poly_free(&out);
    return s.sum;
}

TEST(stroke_width_times_length)
{
    const double widths[] = {0.5, 1, 2.5, 7};
    const double angles[] = {0, 0.3, M_PI / 4, M_PI / 2, 2.0};
    for (size_t wi = 0; wi < LS_TEST_LEN(widths); wi++) {
        for (size_t ai = 0; ai < LS_TEST_LEN(angles); ai++) {
            double L = 100, w = widths[wi], a = angles[ai];
            raster_path_t p;
            raster_path_init(&p);
            raster_path_move_to(&p, 128 - cos(a) * L / 2, 128 - sin(a) * L / 2);
            raster_path_line_to(&p, 128 + cos(a) * L / 2, 128 + sin(a) * L / 2);
            raster_stroke_t st = raster_stroke_default(w);
            ASSERT_NEAR(stroke_area(&p, &st), w * L, w * L * 1e-4);
            st.cap = RASTER_CAP_SQUARE;
            ASSERT_NEAR(stroke_area(&p, &st), w * (L + w), w * L * 1e-4);
            st.cap = RASTER_CAP_ROUND;
            ASSERT_NEAR(stroke_area(&p, &st), w * L + M_PI * w * w / 4, w * L * 1e-3);
            raster_path_free(&p);
        }
    }
    return 0;
}

TEST(stroke_joins_area)
{
    /* An L of two 40 px legs, 4 px wide: 320 with a miter, 318 bevel, 316 + pi round. */
    raster_path_t p;
    raster_path_init(&p);
    raster_path_move_to(&p, 10, 50);
    raster_path_line_to(&p, 50, 50);
    raster_path_line_to(&p, 50, 10);
    raster_stroke_t st = raster_stroke_default(4);
    st.join = RASTER_JOIN_MITER;
    ASSERT_NEAR(stroke_area(&p, &st), 320, 0.01);
    st.join = RASTER_JOIN_BEVEL;
    ASSERT_NEAR(stroke_area(&p, &st), 318, 0.01);
    st.join = RASTER_JOIN_ROUND;
    ASSERT_NEAR(stroke_area(&p, &st), 316 + M_PI, 0.01);
    /* A sharp turn past the miter limit falls back to a bevel. */
    raster_path_reset(&p);
    raster_path_move_to(&p, 10, 100);
    raster_path_line_to(&p, 110, 100);
    raster_path_line_to(&p, 10, 104);
    st.join = RASTER_JOIN_MITER;
    double miter = stroke_area(&p, &st);
    st.join = RASTER_JOIN_BEVEL;
    ASSERT_NEAR(miter, stroke_area(&p, &st), 1e-6);
    raster_path_free(&p);
    return 0;
}

TEST(stroke_closed_square_ring)
{
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, 20, 20, 100, 100);
    raster_stroke_t st = raster_stroke_default(6);
    /* Miter ring: outer 106^2 minus inner 94^2. */
    ASSERT_NEAR(stroke_area(&p, &st), 106.0 * 106 - 94.0 * 94, 0.01);
    raster_path_free(&p);
    return 0;
}

TEST(stroke_dashes)
{
    raster_path_t p;
    raster_path_init(&p);
    raster_path_move_to(&p, 20, 20);
    raster_path_line_to(&p, 120, 20);
    raster_stroke_t st = raster_stroke_default(2);
    st.dashes[0] = 10;
    st.dashes[1] = 10;
    st.ndashes = 2;
    ASSERT_NEAR(stroke_area(&p, &st), 100, 0.01); /* 5 dashes of 10 x 2 */
    st.dash_offset = 5;                           /* 5 + 4*10 + 5 on */
    ASSERT_NEAR(stroke_area(&p, &st), 100, 0.01);
    st.dashes[0] = 3; /* {3, 10}: 7 whole periods in 100, then 3 more on */
    st.dash_offset = 0;
    ASSERT_NEAR(stroke_area(&p, &st), 8 * 3 * 2, 0.01);
    /* An unusable pattern draws solid. */
    st.dashes[0] = -1;
    ASSERT_NEAR(stroke_area(&p, &st), 200, 0.01);
    st.dashes[0] = 1e-9;
    st.dashes[1] = 1e-9; /* 5e10 dashes: refused, solid */
    ASSERT_NEAR(stroke_area(&p, &st), 200, 0.01);
    raster_path_free(&p);
    return 0;
}

/* ---- canvas: clip, transforms, compositing ------------------------------------------- */

TEST(clip_fractional_rect)
{
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 64, 64), 0);
    raster_draw_t d;
    raster_draw_init(&d, &c);
    raster_rect_t clip = {10.5, 20, 30.25, 40};
    raster_draw_set_clip(&d, &clip);
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, -100, -100, 300, 300);
    ASSERT_EQ(raster_draw_fill(&d, &p, NULL, RASTER_FILL_NONZERO, BLACK), 0);
    ASSERT_NEAR(alpha_sum(&c), 19.75 * 20, 20 * 2 * 0.5 / 255 + 1e-9);
    ASSERT_EQ(alpha_at(&c, 9, 25), 0);
    ASSERT_EQ(alpha_at(&c, 10, 25), 128);
    ASSERT_EQ(alpha_at(&c, 20, 25), 255);
    ASSERT_EQ(alpha_at(&c, 30, 25), 64);
    ASSERT_EQ(alpha_at(&c, 20, 40), 0);
    raster_draw_set_clip(&d, NULL);
    ASSERT_NEAR(d.clip.x1, 64, 0);
    raster_path_free(&p);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    return 0;
}

TEST(transform_rotated_scaled_rect)
{
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, -5, -5, 10, 10);
    raster_matrix_t s = raster_matrix_scale(2, 1.5), r = raster_matrix_rotate(0.7);
    raster_matrix_t t = raster_matrix_translate(40, 40);
    raster_matrix_t m = raster_matrix_multiply(&s, &r);
    m = raster_matrix_multiply(&m, &t);
    ASSERT_NEAR(coverage_of(&p, &m, 0.1, 80, 80, RASTER_FILL_NONZERO, NULL), 300, 1e-3);
    /* Stroke width scales with the transform. */
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 200, 200), 0);
    raster_draw_t d;
    raster_draw_init(&d, &c);
    raster_path_reset(&p);
    raster_path_move_to(&p, 10, 10);
    raster_path_line_to(&p, 60, 10);
    raster_stroke_t st = raster_stroke_default(2);
    raster_matrix_t two = raster_matrix_scale(2, 2);
    ASSERT_EQ(raster_draw_stroke(&d, &p, &two, &st, BLACK), 0);
    ASSERT_NEAR(alpha_sum(&c), 100 * 4, 1);
    raster_matrix_t inv;
    ASSERT_EQ(raster_matrix_invert(&m, &inv), 0);
    raster_point_t q = raster_matrix_apply(&inv, raster_matrix_apply(&m, (raster_point_t){3, -4}));
    ASSERT_NEAR(q.x, 3, 1e-9);
    ASSERT_NEAR(q.y, -4, 1e-9);
    raster_matrix_t zero = raster_matrix_scale(0, 1);
    ASSERT_EQ(raster_matrix_invert(&zero, &inv), -EDOM);
    raster_path_free(&p);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    return 0;
}

TEST(composite_source_over)
{
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 4, 4), 0);
    raster_canvas_clear(&c, raster_rgba(255, 255, 255, 255));
    raster_draw_t d;
    raster_draw_init(&d, &c);
    raster_path_t p;
    raster_path_init(&p);
    raster_path_rect(&p, 0, 0, 2, 4);
    ASSERT_EQ(raster_draw_fill(&d, &p, NULL, RASTER_FILL_NONZERO, raster_rgba(255, 0, 0, 128)), 0);
    const uint8_t *px = c.px;
    ASSERT_EQ(px[0], 255);
    ASSERT_NEAR(px[1], 127, 1);
    ASSERT_NEAR(px[2], 127, 1);
    ASSERT_EQ(px[3], 255);
    ASSERT_EQ(c.px[2 * 4 + 1], 255); /* untouched */
    /* Over transparent: premultiplied. */
    raster_canvas_clear(&c, raster_rgba(0, 0, 0, 0));
    ASSERT_EQ(raster_draw_fill(&d, &p, NULL, RASTER_FILL_NONZERO, raster_rgba(200, 100, 0, 128)), 0);
    ASSERT_EQ(px[3], 128);
    ASSERT_EQ(px[0], raster_mul255(200, 128));
    raster_color_t col;
    ASSERT_EQ(raster_color_parse("#1f2328", &col), 0);
    ASSERT_EQ(col.r, 0x1f);
    ASSERT_EQ(col.a, 255);
    ASSERT_EQ(raster_color_parse("#abc", &col), 0);
    ASSERT_EQ(col.b, 0xcc);
    ASSERT_EQ(raster_color_parse("#12345", &col), -EINVAL);
    ASSERT_EQ(raster_color_parse("red", &col), -EINVAL);
    raster_path_free(&p);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    return 0;
}

TEST(hostile_geometry_does_not_crash)
{
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 50, 50), 0);
    raster_draw_t d;
    raster_draw_init(&d, &c);
    raster_path_t p;
    raster_path_init(&p);
    raster_path_move_to(&p, -1e300, 5);
    raster_path_line_to(&p, 1e300, 1e300);
    raster_path_cubic_to(&p, NAN, 3, INFINITY, -INFINITY, 25, 25);
    raster_path_quad_to(&p, 1e12, -1e12, 10, 10);
    raster_path_close(&p);
    ASSERT_EQ(raster_draw_fill(&d, &p, NULL, RASTER_FILL_NONZERO, BLACK), 0);
    raster_stroke_t st = raster_stroke_default(3);
    ASSERT_EQ(raster_draw_stroke(&d, &p, NULL, &st, BLACK), 0);
    st.width = NAN;
    ASSERT_EQ(raster_draw_stroke(&d, &p, NULL, &st, BLACK), 0);
    raster_path_free(&p);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    ASSERT_EQ(raster_canvas_init(&c, 0, 10), -EINVAL);
    ASSERT_EQ(raster_canvas_init(&c, 40000, 10), -EINVAL);
    ASSERT_EQ(raster_canvas_init(&c, 20000, 20000), -EINVAL);
    return 0;
}

/* ---- UTF-8 and text ------------------------------------------------------------------ */

TEST(utf8_replacement)
{
    const char bad[] = "a\xff" "b\xe6\xa0" "c\xed\xa0\x80" "d\xc0\xaf" "e\x01\t\xe6\xa0\x87";
    char *s = raster_utf8_sanitize(bad, sizeof bad - 1);
    ASSERT_NOT_NULL(s);
    /* \xff, truncated \xe6\xa0 (2 bytes -> 2 U+FFFD), surrogate (3), overlong (2),
     * control -> U+FFFD, tab -> space, then a valid 标. */
    ASSERT_STR_EQ(s, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD"
                     "\xEF\xBF\xBD" "d\xEF\xBF\xBD\xEF\xBF\xBD" "e\xEF\xBF\xBD \xe6\xa0\x87");
    size_t i = 0;
    ASSERT_EQ(raster_utf8_next("\xf0\x9f\x98\x80", 4, &i), 0x1F600);
    ASSERT_EQ(i, 4);
    char out[4];
    ASSERT_EQ(raster_utf8_encode(0xD800, out), 3); /* not a scalar: U+FFFD */
    free(s);
    return 0;
}

TEST(text_fallback_chinese_and_emoji)
{
    raster_font_t f = {NULL, 0};
    char err[256] = "";
    raster_run_t run;
    raster_run_init(&run);
    const char *s = "Tag 标签 编程 \xF0\x9F\x98\x80";
    ASSERT_EQ(raster_font_layout(&f, 20, s, strlen(s), &run, err, sizeof err), 0);
    ASSERT_EQ(run.missing, 0);
    ASSERT_EQ(run.n, 11);
    ASSERT_NE(run.g[0].face, run.g[4].face); /* Latin and CJK from different fonts */
    ASSERT_EQ(run.g[10].bitmap, 1);          /* the emoji in colour */
    ASSERT_GT(run.width, 100);
    ASSERT_GT(run.ascent, 10);
    /* Kerning: "AV" is narrower than "A" + "V". */
    double av, a, v;
    ASSERT_EQ(raster_text_measure(&f, 40, "AV", 2, &av, err, sizeof err), 0);
    ASSERT_EQ(raster_text_measure(&f, 40, "A", 1, &a, err, sizeof err), 0);
    ASSERT_EQ(raster_text_measure(&f, 40, "V", 1, &v, err, sizeof err), 0);
    ASSERT_LT(av, a + v - 1);
    /* Every glyph draws ink: each CJK character's cell has dark pixels. */
    raster_canvas_t c;
    ASSERT_EQ(raster_canvas_init(&c, 300, 40), 0);
    raster_draw_t d;
    raster_draw_init(&d, &c);
    ASSERT_EQ(raster_text_draw(&d, &f, 20, s, strlen(s), 5, 28, RASTER_ANCHOR_START, NULL,
                               BLACK, err, sizeof err), 0);
    for (size_t k = 0; k < run.n; k++) {
        if (s[run.g[k].byte] == ' ')
            continue;
        double ink = 0;
        for (int y = 0; y < 40; y++)
            for (int x = (int)(5 + run.g[k].x); x < (int)(5 + run.g[k].x + run.g[k].advance); x++)
                ink += alpha_at(&c, x, y) / 255.0;
        ASSERT_MSG(ink > 5, "glyph %zu drew only %.1f px of ink", k, ink);
    }
    /* The emoji is in colour: some pixel with R far from B. */
    int colour = 0;
    for (int y = 0; y < 40; y++)
        for (int x = (int)(5 + run.g[10].x); x < 300; x++) {
            const uint8_t *px = c.px + ((size_t)y * 300 + (size_t)x) * 4;
            if (px[3] > 200 && abs(px[0] - px[2]) > 100)
                colour = 1;
        }
    ASSERT(colour);
    raster_draw_free(&d);
    raster_canvas_free(&c);
    raster_run_free(&run);
    return 0;
}

TEST(text_ellipsize)
{
    raster_font_t f = {NULL, 0};
    char err[256] = "", *out = NULL;
    ASSERT_EQ(raster_text_ellipsize(&f, 12, "short", 5, 200, &out, err, sizeof err), 0);
    ASSERT_STR_EQ(out, "short");
    free(out);
    /* A 5,000-character label comes back within the width, ending in an ellipsis. */
    char *big = malloc(5001 * 3 + 1);
    ASSERT_NOT_NULL(big);
    size_t n = 0;
    for (int i = 0; i < 5000; i++)
        n += (size_t)(i % 3 ? (big[n] = (char)('a' + i % 26), 1)
                            : (memcpy(big + n, "\xe7\xbc\x96", 3), 3));
    big[n] = '\0';
    ASSERT_EQ(raster_text_ellipsize(&f, 12, big, n, 150, &out, err, sizeof err), 0);
    double w;
    ASSERT_EQ(raster_text_measure(&f, 12, out, strlen(out), &w, err, sizeof err), 0);
    ASSERT_LE(w, 150);
    ASSERT_GT(w, 120);
    size_t ol = strlen(out);
    ASSERT(ol > 3 && strcmp(out + ol - 3, "\xE2\x80\xA6") == 0);
    char *clean = raster_utf8_sanitize(out, ol);
    ASSERT_STR_EQ(clean, out); /* cut on a code point boundary */
    free(clean);
    free(out);
    free(big);
    /* Not even the ellipsis fits. */
    ASSERT_EQ(raster_text_ellipsize(&f, 12, "abcdef", 6, 1, &out, err, sizeof err), 0);
    ASSERT_STR_EQ(out, "");
    free(out);
    return 0;
}

TEST(font_unknown_family_falls_back)
{
    raster_font_t f = {"No Such Font Family 123, sans-serif", 1};
    char err[256] = "";
    double w;
    ASSERT_EQ(raster_text_measure(&f, 12, "Hello 世界", strlen("Hello 世界"), &w, err, sizeof err), 0);
    ASSERT_GT(w, 20);
    ASSERT_EQ(raster_text_measure(&f, NAN, "x", 1, &w, err, sizeof err), -EINVAL);
    raster_font_stats_t st;
    raster_font_stats(&st);
    ASSERT_GT(st.faces, 1);
    ASSERT_GT(st.glyphs, 0);
    return 0;
}

/* ---- outputs ------------------------------------------------------------------------- */

static void demo_scene(raster_scene_t *s)
{
    raster_scene_init(s, 120, 60, raster_rgba(255, 255, 255, 255));
    raster_scene_set_title(s, "demo <&> \"chart\"");
    raster_scene_rect(s, 10, 10, 50.5, 20, raster_rgba(76, 120, 168, 255));
    raster_stroke_t st = raster_stroke_default(1);
    st.dashes[0] = 3;
    st.dashes[1] = 2;
    st.ndashes = 2;
    raster_scene_line(s, 0, 45.5, 120, 45.5, &st, raster_rgba(200, 200, 200, 255));
    raster_scene_clip(s, 0, 0, 100, 60);
    raster_text_style_t ts = {NULL, 1, 11, raster_rgba(31, 35, 40, 255), RASTER_ANCHOR_END};
    raster_scene_text(s, &ts, "a<b & \"标签\" \xff", 110, 40);
    raster_scene_unclip(s);
}

TEST(png_roundtrip_all_formats)
{
    raster_scene_t s;
    demo_scene(&s);
    raster_canvas_t c;
    char err[256] = "";
    ASSERT_EQ(raster_scene_render(&s, 2, &c, err, sizeof err), 0);
    ASSERT_EQ(c.w, 240);
    ASSERT_EQ(c.h, 120);
    /* Partly transparent corner, to exercise RGBA. */
    c.px[3] = 100;
    c.px[0] = c.px[1] = c.px[2] = 50;
    const raster_png_color_t modes[] = {RASTER_PNG_AUTO, RASTER_PNG_TRUECOLOR, RASTER_PNG_RGBA};
    for (size_t m = 0; m < LS_TEST_LEN(modes); m++) {
        for (int level = 0; level <= 12; level += 4) {
            raster_png_opts_t o = {level, RASTER_PNG_FILTER_SUB | RASTER_PNG_FILTER_UP, modes[m]};
            buf_t b;
            buf_init(&b, 0);
            ASSERT_EQ(raster_png_encode(&c, &o, &b, err, sizeof err), 0);
            test_image_t img;
            ASSERT_EQ(test_png_decode(b.data, b.len, &img), 0);
            ASSERT_EQ(img.w, 240);
            for (size_t i = 0; i < (size_t)c.w * (size_t)c.h; i++) {
                const uint8_t *p = c.px + i * 4, *q = img.px + i * 4;
                ASSERT_EQ(q[3], p[3]);
                for (int k = 0; k < 3 && p[3] == 255; k++)
                    ASSERT_EQ(q[k], p[k]);
            }
            free(img.px);
            buf_free(&b);
        }
    }
    /* A few flat colours come out as a small palette image. */
    raster_canvas_t f;
    ASSERT_EQ(raster_canvas_init(&f, 100, 100), 0);
    raster_canvas_clear(&f, raster_rgba(10, 20, 30, 255));
    int colors, opaque;
    raster_png_analyse(&f, &colors, &opaque);
    ASSERT_EQ(colors, 1);
    ASSERT_EQ(opaque, 1);
    buf_t b;
    buf_init(&b, 0);
    ASSERT_EQ(raster_png_encode(&f, NULL, &b, err, sizeof err), 0);
    ASSERT_LT(b.len, 200);
    ASSERT_EQ((unsigned char)b.data[25], 3); /* IHDR colour type: palette */
    buf_free(&b);
    /* Opaque white packs to 0xffffffff: it once wrapped the palette's empty marker. */
    raster_canvas_clear(&f, raster_rgba(255, 255, 255, 255));
    raster_png_analyse(&f, &colors, &opaque);
    ASSERT_EQ(colors, 1);
    buf_init(&b, 0);
    ASSERT_EQ(raster_png_encode(&f, NULL, &b, err, sizeof err), 0);
    ASSERT_EQ((unsigned char)b.data[25], 3);
    test_image_t white;
    ASSERT_EQ(test_png_decode(b.data, b.len, &white), 0);
    ASSERT_EQ(white.px[0], 255);
    ASSERT_EQ(white.px[4 * 5000 + 3], 255);
    free(white.px);
    buf_free(&b);
    /* A capped output buffer fails cleanly. */
    buf_init(&b, 100);
    ASSERT_EQ(raster_png_encode(&c, NULL, &b, err, sizeof err), -E2BIG);
    ASSERT(strstr(err, "cap") != NULL);
    buf_free(&b);
    raster_canvas_free(&f);
    raster_canvas_free(&c);
    raster_scene_free(&s);
    return 0;
}

/* ---- the PNG writer: libpng decodes what it writes, at sizes like zlib's -------------- */

static void noise(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
}

typedef struct {
    const uint8_t *px;
    size_t stride, len; /* len: the row's bytes, without the stride's padding */
} rows_src_t;

static void rows_cb(void *ud, uint32_t y, uint8_t *row)
{
    const rows_src_t *r = ud;
    memcpy(row, r->px + y * r->stride, r->len);
}

/* Writes w x h of px (type, depth) every way (px or row_cb, every filter and several
 * levels) and checks libpng decodes the exact pixels (expand: the straight RGBA wanted). */
static int write_and_check(raster_png_type_t type, int depth, const uint8_t *plte, int nplte,
                           const uint8_t *trns, int ntrns, const uint8_t *px, uint32_t w,
                           uint32_t h, size_t stride, const uint8_t *want)
{
    static const int filters[] = {RASTER_PNG_FILTER_NONE, RASTER_PNG_FILTER_SUB,
                                  RASTER_PNG_FILTER_UP, RASTER_PNG_FILTER_AVG,
                                  RASTER_PNG_FILTER_PAETH, RASTER_PNG_FILTER_ALL};
    for (size_t f = 0; f < LS_TEST_LEN(filters); f++)
        for (int level = RASTER_PNG_LEVEL_RUNS; level <= RASTER_PNG_MAX_LEVEL;
             level += level < 0 ? 1 : 6)
            for (int cb = 0; cb < 2; cb++) {
                size_t bits = (size_t)depth * (type == RASTER_PNG_TYPE_RGB ? 3
                                               : type == RASTER_PNG_TYPE_RGBA ? 4 : 1);
                rows_src_t src = {px, stride, ((size_t)w * bits + 7) / 8};
                raster_png_image_t im = {w, h, type, depth, plte, nplte, trns, ntrns, level,
                                         filters[f], cb ? NULL : px, stride,
                                         cb ? rows_cb : NULL, &src};
                buf_t b;
                buf_init(&b, 0);
                char err[160];
                ASSERT_MSG(raster_png_write(&im, &b, err, sizeof err) == 0, "%s", err);
                test_image_t img;
                ASSERT_EQ(test_png_decode(b.data, b.len, &img), 0);
                ASSERT_EQ(img.w, (int)w);
                ASSERT_EQ(img.h, (int)h);
                ASSERT_MSG(memcmp(img.px, want, (size_t)w * h * 4) == 0,
                           "type %d depth %d filter %d level %d: pixels differ", (int)type, depth,
                           filters[f], level);
                free(img.px);
                buf_free(&b);
            }
    return 0;
}

TEST(png_writer_roundtrips_through_libpng)
{
    /* RGB and RGBA noise (every filter has work to do), odd sizes, a stride with padding. */
    enum { W = 37, H = 23 };
    uint8_t rgb[H * (W * 3 + 5)], rgba[H * W * 4], want[H * W * 4];
    noise(rgb, sizeof rgb, 1);
    noise(rgba, sizeof rgba, 2);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            memcpy(want + (y * W + x) * 4, rgb + y * (W * 3 + 5) + x * 3, 3);
            want[(y * W + x) * 4 + 3] = 255;
        }
    if (write_and_check(RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, rgb, W, H, W * 3 + 5, want))
        return 1;
    if (write_and_check(RASTER_PNG_TYPE_RGBA, 8, NULL, 0, NULL, 0, rgba, W, H, W * 4, rgba))
        return 1;
    /* Palettes of every depth, with transparency on some entries. */
    for (int depth = 1; depth <= 8; depth *= 2) {
        int n = 1 << depth;
        uint8_t plte[768], trns[256], idx[H * W], packed[H * W];
        noise(plte, sizeof plte, 3 + (uint32_t)depth);
        for (int i = 0; i < 256; i++)
            trns[i] = (uint8_t)(i % 3 ? 255 : i);
        noise(idx, sizeof idx, 7);
        size_t stride = ((size_t)W * (size_t)depth + 7) / 8;
        memset(packed, 0, sizeof packed);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int v = idx[y * W + x] % n;
                idx[y * W + x] = (uint8_t)v;
                size_t bit = (size_t)x * (size_t)depth;
                packed[(size_t)y * stride + bit / 8] |= (uint8_t)(v << (8 - depth - (int)(bit % 8)));
                memcpy(want + (y * W + x) * 4, plte + v * 3, 3);
                want[(y * W + x) * 4 + 3] = v < n / 2 ? trns[v] : 255;
            }
        if (write_and_check(RASTER_PNG_TYPE_PALETTE, depth, plte, n, trns, n / 2, packed, W, H,
                            stride, want))
            return 1;
    }
    /* One pixel. */
    uint8_t one[3] = {1, 2, 3}, one_want[4] = {1, 2, 3, 255};
    return write_and_check(RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, one, 1, 1, 3, one_want);
}

TEST(png_writer_refuses_bad_images)
{
    uint8_t px[64] = {0}, plte[6] = {0};
    char err[160];
    buf_t b;
    buf_init(&b, 0);
    struct { raster_png_image_t im; const char *word; } cases[] = {
        {{4, 4, (raster_png_type_t)4, 8, NULL, 0, NULL, 0, 2, 1, px, 12, NULL, NULL}, "colour type"},
        {{4, 4, RASTER_PNG_TYPE_RGB, 4, NULL, 0, NULL, 0, 2, 1, px, 12, NULL, NULL}, "depth"},
        {{4, 4, RASTER_PNG_TYPE_RGB, 16, NULL, 0, NULL, 0, 2, 1, px, 12, NULL, NULL}, "depth"},
        {{4, 4, RASTER_PNG_TYPE_PALETTE, 8, NULL, 2, NULL, 0, 2, 1, px, 4, NULL, NULL}, "palette"},
        {{4, 4, RASTER_PNG_TYPE_PALETTE, 1, plte, 3, NULL, 0, 2, 1, px, 1, NULL, NULL}, "palette"},
        {{4, 4, RASTER_PNG_TYPE_PALETTE, 8, plte, 2, NULL, 1, 2, 1, px, 4, NULL, NULL}, "palette"},
        {{0, 4, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 2, 1, px, 12, NULL, NULL}, "empty"},
        {{4, 0x80000000u, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 2, 1, px, 12, NULL, NULL}, "large"},
        {{4, 4, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 2, 1, NULL, 12, NULL, NULL}, "rows"},
        {{4, 4, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 13, 1, px, 12, NULL, NULL}, "level"},
        {{4, 4, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, -2, 1, px, 12, NULL, NULL}, "level"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        err[0] = '\0';
        ASSERT_EQ(raster_png_write(&cases[i].im, &b, err, sizeof err), -EINVAL);
        ASSERT_MSG(strstr(err, cases[i].word), "case %zu: \"%s\" lacks \"%s\"", i, err,
                   cases[i].word);
        ASSERT_EQ(b.len, 0);
    }
    /* An output cap too small for the image: -E2BIG, a message, nothing half-written
     * past the cap. */
    buf_free(&b);
    uint8_t big[64 * 64 * 3];
    noise(big, sizeof big, 9);
    raster_png_image_t im = {64, 64, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, 2, 1, big, 192,
                             NULL, NULL};
    for (size_t cap = 10; cap < 13000; cap *= 3) {
        buf_init(&b, cap);
        ASSERT_EQ(raster_png_write(&im, &b, err, sizeof err), -E2BIG);
        ASSERT(strstr(err, "cap"));
        ASSERT_EQ(b.len, 0); /* nothing half-written is left behind */
        buf_free(&b);
    }
    buf_free(&b);
    raster_png_release_scratch(); /* and the writer works again after */
    buf_init(&b, 0);
    ASSERT_EQ(raster_png_write(&im, &b, err, sizeof err), 0);
    buf_free(&b);
    return 0;
}

/* libpng + zlib as libpng's simplified API writes RGB: zlib's default level 6. */
static size_t zlib_png_size(const uint8_t *rgb, int w, int h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    im.format = PNG_FORMAT_RGB;
    png_alloc_size_t n = 0;
    if (!png_image_write_to_memory(&im, NULL, &n, 0, rgb, 0, NULL))
        return 0;
    return (size_t)n;
}

TEST(png_writer_sizes_like_zlib)
{
    /* A chart-like image (flat areas, bars, anti-aliased text) and a noisy one: libdeflate
     * at our settings is at most 10% larger than libpng + zlib's default level. */
    raster_scene_t s;
    demo_scene(&s);
    raster_canvas_t c;
    char err[256];
    ASSERT_EQ(raster_scene_render(&s, 2, &c, err, sizeof err), 0);
    uint8_t *rgb = malloc((size_t)c.w * (size_t)c.h * 3);
    ASSERT(rgb != NULL);
    for (size_t i = 0; i < (size_t)c.w * (size_t)c.h; i++)
        memcpy(rgb + i * 3, c.px + i * 4, 3);
    size_t zsize = zlib_png_size(rgb, c.w, c.h);
    ASSERT_GT(zsize, 0);
    buf_t b;
    buf_init(&b, 0);
    raster_png_opts_t o = {2, RASTER_PNG_FILTER_NONE, RASTER_PNG_TRUECOLOR};
    ASSERT_EQ(raster_png_encode(&c, &o, &b, err, sizeof err), 0);
    printf("    chart-like %dx%d: libdeflate level 2 %zu bytes, zlib level 6 %zu bytes\n", c.w,
           c.h, b.len, zsize);
    ASSERT_LT((double)b.len, zsize * 1.10);
    buf_free(&b);
    /* The charts' own encoder (the default), RGB like zlib's: within 10% too. */
    o.level = RASTER_PNG_LEVEL_RUNS;
    buf_init(&b, 0);
    ASSERT_EQ(raster_png_encode(&c, &o, &b, err, sizeof err), 0);
    printf("    chart-like %dx%d: runs encoder %zu bytes, zlib level 6 %zu bytes\n", c.w, c.h,
           b.len, zsize);
    ASSERT_LT((double)b.len, zsize * 1.10);
    buf_free(&b);
    /* A photo-like gradient with noise, SUB as the thumbnails and tiles use. */
    int w = 200, h = 150;
    uint8_t *g = malloc((size_t)w * (size_t)h * 3);
    ASSERT(g != NULL);
    noise(g, (size_t)w * (size_t)h * 3, 5);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < 3; k++) {
                uint8_t *p = g + ((size_t)y * (size_t)w + (size_t)x) * 3 + k;
                *p = (uint8_t)((x + y + k * 40) / 2 + (*p & 7));
            }
    zsize = zlib_png_size(g, w, h);
    raster_png_image_t im = {(uint32_t)w, (uint32_t)h, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0,
                             2, RASTER_PNG_FILTER_SUB, g, (size_t)w * 3, NULL, NULL};
    buf_init(&b, 0);
    ASSERT_EQ(raster_png_write(&im, &b, err, sizeof err), 0);
    printf("    gradient %dx%d: libdeflate level 2 SUB %zu bytes, zlib level 6 %zu bytes\n", w,
           h, b.len, zsize);
    ASSERT_LT((double)b.len, zsize * 1.10);
    buf_free(&b);
    free(g);
    free(rgb);
    raster_canvas_free(&c);
    raster_scene_free(&s);
    return 0;
}

/* Encodes px (w x h RGB, or RGBA when channels is 4) with the runs encoder, unfiltered,
 * and checks libpng decodes exactly px; returns the PNG's size in *size. */
static int runs_roundtrip(const uint8_t *px, uint32_t w, uint32_t h, int channels, size_t *size)
{
    raster_png_image_t im = {w, h, channels == 4 ? RASTER_PNG_TYPE_RGBA : RASTER_PNG_TYPE_RGB,
                             8, NULL, 0, NULL, 0, RASTER_PNG_LEVEL_RUNS, RASTER_PNG_FILTER_NONE,
                             px, (size_t)w * (size_t)channels, NULL, NULL};
    buf_t b;
    buf_init(&b, 0);
    char err[160];
    ASSERT_MSG(raster_png_write(&im, &b, err, sizeof err) == 0, "%s", err);
    test_image_t img;
    ASSERT_MSG(test_png_decode(b.data, b.len, &img) == 0, "libpng refused %ux%u", w, h);
    ASSERT_EQ(img.w, (int)w);
    ASSERT_EQ(img.h, (int)h);
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int k = 0; k < 4; k++)
            ASSERT_MSG(img.px[i * 4 + k] == (k < channels ? px[i * channels + k] : 255),
                       "%ux%u: pixel %zu channel %d", w, h, i, k);
    free(img.px);
    *size = b.len;
    buf_free(&b);
    return 0;
}

TEST(png_runs_encoder_roundtrips)
{
    /* Shapes that take every path of raster/deflate.c: noise (stored blocks, over 65535
     * bytes of them), one colour (matches of 258 on the left and above), more than 64 Ki
     * tokens (several Huffman blocks), rows further apart than the 32 KiB window, tiny
     * images, and a chart-like mix. */
    static const struct { uint32_t w, h; int channels, kind; } cases[] = {
        {1, 1, 3, 0}, {1, 1, 3, 1}, {2, 1, 4, 0}, {3, 2, 3, 2}, {37, 23, 3, 0},
        {300, 300, 3, 0}, {300, 300, 4, 1}, {640, 480, 3, 2}, {700, 400, 4, 3},
        {12000, 3, 3, 2}, {11000, 2, 3, 0}, {1200, 440, 3, 3},
    };
    for (size_t t = 0; t < LS_TEST_LEN(cases); t++) {
        uint32_t w = cases[t].w, h = cases[t].h;
        int ch = cases[t].channels;
        size_t n = (size_t)w * h * (size_t)ch, size;
        uint8_t *px = malloc(n);
        ASSERT(px != NULL);
        noise(px, n, 11 + (uint32_t)t);
        for (uint32_t y = 0; y < h && cases[t].kind; y++)
            for (uint32_t x = 0; x < w; x++) {
                uint8_t *p = px + ((size_t)y * w + x) * (size_t)ch;
                if (cases[t].kind == 1) {
                    memset(p, 200, (size_t)ch);
                } else if (cases[t].kind == 2) {
                    /* noisy rows with a band of flat columns, and every third row a copy */
                    if (x % 50 < 30)
                        memset(p, (int)(x / 50 * 17), (size_t)ch);
                    if (y % 3 == 2)
                        memcpy(p, p - (size_t)w * (size_t)ch, (size_t)ch);
                } else {
                    /* white, flat bars, anti-aliased-ish edges, a few specks of noise */
                    int bar = y % 40 < 24 && x < 100 + (y / 40) * 90;
                    uint8_t v[4] = {255, 255, 255, 255};
                    if (bar)
                        v[0] = 76, v[1] = 120, v[2] = 168;
                    if (x == 100 + (y / 40) * 90 || (x * 7 + y * 3) % 997 == 0)
                        v[0] = p[0], v[1] = p[1];
                    if (ch == 4 && x % 200 < 3)
                        v[3] = (uint8_t)(y & 255);
                    memcpy(p, v, (size_t)ch);
                }
            }
        if (runs_roundtrip(px, w, h, ch, &size))
            return 1;
        if ((t == LS_TEST_LEN(cases) - 1 || cases[t].kind == 1) && n > 10000)
            ASSERT_LT(size, n / 20); /* flat images compress */
        if (cases[t].kind == 0)
            ASSERT_LT(size, n + h + n / 1000 + 100); /* noise: stored, little over its rows */
        free(px);
    }
    return 0;
}

/* Fills c with n distinct opaque colours in runs of three pixels; when transparent, the
 * colours i % 16 == 1 become one half-transparent colour and i % 16 == 3 transparent. */
static void palette_canvas(raster_canvas_t *c, int n, int transparent)
{
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            int i = (y * c->w + x) / 3 % n;
            uint8_t *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 4;
            p[0] = (uint8_t)(i * 37);
            p[1] = (uint8_t)(i * 11 + 5);
            p[2] = (uint8_t)(i >> 8 ? 255 - i % 256 : i);
            p[3] = 255;
            if (transparent && i % 16 == 1) {
                /* premultiplied: straight (200, 100, 50) at alpha 51 */
                p[0] = 40, p[1] = 20, p[2] = 10, p[3] = 51;
            }
            if (transparent && i % 16 == 3)
                memset(p, 0, 4);
        }
}

TEST(png_palette_exact_and_fallback)
{
    /* Up to 256 colours: a palette PNG at the smallest depth that holds them, whose
     * decoded pixels are exactly the canvas (un-premultiplied). 257: RGB, also exact. */
    static const struct { int colors, transparent, type, depth; } cases[] = {
        {2, 0, 3, 1}, {4, 0, 3, 2}, {5, 0, 3, 4}, {16, 1, 3, 4}, {17, 0, 3, 8},
        {200, 1, 3, 8}, {256, 0, 3, 8}, {257, 0, 2, 8}, {700, 0, 2, 8}, {300, 1, 6, 8},
    };
    char err[160];
    for (size_t t = 0; t < LS_TEST_LEN(cases); t++) {
        raster_canvas_t c;
        ASSERT_EQ(raster_canvas_init(&c, 131, 67), 0);
        palette_canvas(&c, cases[t].colors, cases[t].transparent);
        int colors, opaque;
        raster_png_analyse(&c, &colors, &opaque);
        if (!cases[t].transparent) /* (transparency merges some of the colours) */
            ASSERT_EQ(colors, cases[t].colors > 256 ? 257 : cases[t].colors);
        ASSERT_EQ(opaque, !cases[t].transparent);
        for (int runs = 0; runs < 2; runs++) {
            raster_png_opts_t o = raster_png_defaults();
            if (!runs)
                o.level = 2;
            buf_t b;
            buf_init(&b, 0);
            ASSERT_EQ(raster_png_encode(&c, &o, &b, err, sizeof err), 0);
            ASSERT_MSG((uint8_t)b.data[25] == cases[t].type, "case %zu: colour type %d", t,
                       (uint8_t)b.data[25]);
            ASSERT_EQ((uint8_t)b.data[24], cases[t].depth);
            test_image_t img;
            ASSERT_EQ(test_png_decode(b.data, b.len, &img), 0);
            for (size_t i = 0; i < (size_t)c.w * (size_t)c.h; i++) {
                const uint8_t *p = c.px + i * 4, *q = img.px + i * 4;
                uint8_t want[4] = {p[0], p[1], p[2], p[3]};
                if (p[3] == 51)
                    want[0] = 200, want[1] = 100, want[2] = 50;
                ASSERT_MSG(!memcmp(q, want, 4), "case %zu pixel %zu: %d,%d,%d,%d", t, i, q[0],
                           q[1], q[2], q[3]);
            }
            free(img.px);
            buf_free(&b);
        }
        raster_canvas_free(&c);
    }
    return 0;
}

TEST(svg_escapes_and_formats)
{
    raster_scene_t s;
    demo_scene(&s);
    buf_t b;
    buf_init(&b, 0);
    ASSERT_EQ(raster_svg_write(&s, &b), 0);
    ASSERT(strstr(b.data, "<title>demo &lt;&amp;&gt; &quot;chart&quot;</title>"));
    ASSERT(strstr(b.data, ">a&lt;b &amp; &quot;标签&quot; \xEF\xBF\xBD</text>"));
    ASSERT(strstr(b.data, "font-family=\"'DejaVu Sans', 'Noto Sans CJK SC', 'Noto Color Emoji', sans-serif\""));
    ASSERT(strstr(b.data, "text-anchor=\"end\""));
    ASSERT(strstr(b.data, "M10 10L60.5 10L60.5 30L10 30Z"));
    ASSERT(strstr(b.data, "stroke-dasharray=\"3 2\""));
    ASSERT(strstr(b.data, "<g clip-path=\"url(#c1)\">"));
    ASSERT(strstr(b.data, "</g>\n</svg>\n"));
    char n[32];
    ASSERT_STR_EQ(raster_svg_number(-0.004, n), "0");
    ASSERT_STR_EQ(raster_svg_number(12.5, n), "12.5");
    ASSERT_STR_EQ(raster_svg_number(-3.057, n), "-3.06");
    ASSERT_STR_EQ(raster_svg_number(NAN, n), "0");
    buf_free(&b);
    raster_scene_free(&s);
    return 0;
}

TEST(render_is_deterministic)
{
    raster_scene_t s;
    demo_scene(&s);
    char err[256];
    buf_t a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    for (int i = 0; i < 2; i++) {
        raster_canvas_t c;
        ASSERT_EQ(raster_scene_render(&s, 1.5, &c, err, sizeof err), 0);
        ASSERT_EQ(raster_png_encode(&c, NULL, i ? &b : &a, err, sizeof err), 0);
        raster_canvas_free(&c);
        if (i == 0)
            raster_font_cache_clear(); /* a cold cache draws the same */
    }
    ASSERT_EQ(a.len, b.len);
    ASSERT(memcmp(a.data, b.data, a.len) == 0);
    raster_canvas_t c;
    ASSERT_EQ(raster_scene_render(&s, 0, &c, err, sizeof err), -EINVAL);
    ASSERT(strstr(err, "scale"));
    buf_free(&a);
    buf_free(&b);
    raster_scene_free(&s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(png_writer_roundtrips_through_libpng),
    TEST_ENTRY(png_writer_refuses_bad_images),
    TEST_ENTRY(png_writer_sizes_like_zlib),
    TEST_ENTRY(png_runs_encoder_roundtrips),
    TEST_ENTRY(png_palette_exact_and_fallback),
    TEST_ENTRY(coverage_unit_square_is_exact),
    TEST_ENTRY(coverage_circle_matches_area),
    TEST_ENTRY(coverage_random_triangles_exact),
    TEST_ENTRY(coverage_half_pixel_translate),
    TEST_ENTRY(fill_rules_star),
    TEST_ENTRY(fill_evenodd_nested_squares),
    TEST_ENTRY(stroke_width_times_length),
    TEST_ENTRY(stroke_joins_area),
    TEST_ENTRY(stroke_closed_square_ring),
    TEST_ENTRY(stroke_dashes),
    TEST_ENTRY(clip_fractional_rect),
    TEST_ENTRY(transform_rotated_scaled_rect),
    TEST_ENTRY(composite_source_over),
    TEST_ENTRY(hostile_geometry_does_not_crash),
    TEST_ENTRY(utf8_replacement),
    TEST_ENTRY(text_fallback_chinese_and_emoji),
    TEST_ENTRY(text_ellipsize),
    TEST_ENTRY(font_unknown_family_falls_back),
    TEST_ENTRY(png_roundtrip_all_formats),
    TEST_ENTRY(svg_escapes_and_formats),
    TEST_ENTRY(render_is_deterministic),
    TEST_END,
};

static int run_all(int argc, char **argv);
TEST_RUNNER_()
static int run_all(int argc, char **argv)
{
    int rc = test_main_(argc, argv);
    raster_font_cache_clear();
    return rc;
}

int main(int argc, char **argv)
{
    return run_all(argc, argv);
}
