/* test_charts.c -- unit tests for charts/: golden images of every chart kind (Chinese
 * labels included), compared pixel by pixel with a tolerance; axis arithmetic; and
 * every kind of bad or unusual input, which must give an error with a message or a
 * correct chart, never a crash.
 *
 * Goldens live in tests/charts/golden/. To regenerate them on purpose (after a
 * deliberate change of the look, or on a machine with other font versions):
 *     LINKSNAP_REGEN_GOLDEN=1 ctest -R test_charts     (or run the binary directly)
 * then look at the new PNGs before committing them. */
#include "chart_int.h"
#include "charts.h"
#include "png_util.h"
#include "test.h"
#include "utf8.h"

#include <errno.h>

#define DAY_MS 86400000LL
#define NOV_25_2026 1795600800000LL /* 2026-11-25T10:00:00Z */
#define AUG_28_2026 1787875200000LL /* 2026-08-28T00:00:00Z */

/* ---- sample data (like the JSON files in tests/charts/data, built here) ------------- */

static const char *TAG_NAMES[12] = {
    "linux", "programming", "rust", "编程", "databases", "machine-learning", "networking",
    "机器学习", "security",
    "a-very-long-tag-name-about-distributed-systems-and-consensus-protocols", "c",
    "emoji-\xF0\x9F\x98\x80-tag"};
static const int64_t TAG_COUNTS[12] = {1843, 1502, 1210, 987, 812, 640, 533, 421, 388, 256, 97, 12};

static charts_tags_data_t sample_tags(void)
{
    charts_tags_data_t d = {TAG_NAMES, TAG_COUNTS, 12, NOV_25_2026};
    return d;
}

/* Deterministic daily counts: a weekly rhythm, a slow wave and a hash for noise. */
static void sample_days(int64_t *v, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)(i * 2654435761u) ^ (uint32_t)seed * 40503u;
        h ^= h >> 13;
        h *= 0x5bd1e995u;
        h ^= h >> 15;
        int64_t wave = (int64_t)(25 + 15 * sin((double)i / 9.0));
        v[i] = wave + (i % 7 == 1 || i % 7 == 2 ? 20 : 0) + (int64_t)(h % 12);
    }
}

/* ---- golden images ------------------------------------------------------------------- */

static int golden_check(const char *name, const buf_t *png)
{
    char path[256];
    snprintf(path, sizeof path, "golden/%s.png", name);
    if (getenv("LINKSNAP_REGEN_GOLDEN")) {
        ASSERT_EQ(test_write_file(path, png->data, png->len), 0);
        printf("    regenerated %s\n", path);
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    ASSERT_MSG(test_read_file(path, &data, &len) == 0,
               "missing %s (run with LINKSNAP_REGEN_GOLDEN=1 to create it)", path);
    test_image_t want, got;
    ASSERT_EQ(test_png_decode(data, len, &want), 0);
    ASSERT_EQ(test_png_decode(png->data, png->len, &got), 0);
    ASSERT_EQ(got.w, want.w);
    ASSERT_EQ(got.h, want.h);
    test_diff_t d;
    ASSERT_EQ(test_image_diff(&got, &want, 32, &d), 0);
    /* Tolerance for another FreeType or font version: a few levels on glyph edges,
     * never a moved bar or a missing label. */
    size_t px = (size_t)got.w * (size_t)got.h;
    printf("    %-24s max %3d  mean %.4f  over 32: %zu px\n", name, d.max_diff, d.mean_diff,
           d.over);
    if (d.over > px / 500 || d.mean_diff > 0.5) {
        snprintf(path, sizeof path, "golden/%s.actual.png", name);
        test_write_file(path, png->data, png->len);
        TEST_FAIL_("%s differs from its golden: %zu px over 32 levels, mean %.3f; the render "
                   "is in %s", name, d.over, d.mean_diff, path);
    }
    free(want.px);
    free(got.px);
    free(data);
    return 0;
}

static int render_golden(const char *name, const charts_request_t *req, const void *data)
{
    buf_t b;
    buf_init(&b, 0);
    char err[256];
    int rc = charts_render(req, data, CHARTS_PNG, &b, err, sizeof err);
    ASSERT_MSG(rc == 0, "%s: %s", name, err);
    rc = golden_check(name, &b);
    buf_free(&b);
    return rc;
}

TEST(golden_tags)
{
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    charts_tags_data_t d = sample_tags();
    if (render_golden("tags", &r, &d))
        return 1;
    /* HiDPI and small: 480x300 CSS px at scale 2. */
    r.width = 480;
    r.height = 300;
    r.scale = 2;
    r.top = 8;
    return render_golden("tags-480x300@2", &r, &d);
}

TEST(golden_timeline)
{
    int64_t v[730];
    sample_days(v, 730, 1);
    charts_request_t r;
    charts_request_init(&r, CHARTS_TIMELINE);
    charts_timeline_data_t d = {AUG_28_2026, v, 90, "编程", NOV_25_2026};
    if (render_golden("timeline-tag", &r, &d))
        return 1;
    /* Two years: an area with month ticks. */
    charts_timeline_data_t y2 = {AUG_28_2026 - 640 * DAY_MS, v, 730, NULL, NOV_25_2026};
    return render_golden("timeline-2y", &r, &y2);
}

TEST(golden_outcomes)
{
    int64_t ok[90], partial[90], failed[90];
    sample_days(ok, 90, 2);
    sample_days(partial, 90, 3);
    sample_days(failed, 90, 4);
    for (int i = 0; i < 90; i++) {
        partial[i] /= 6;
        failed[i] /= 9;
    }
    charts_request_t r;
    charts_request_init(&r, CHARTS_OUTCOMES);
    r.title = "抓取结果 (captures by outcome)";
    charts_outcomes_data_t d = {AUG_28_2026, ok, partial, failed, 90, NOV_25_2026, NULL, NULL};
    return render_golden("outcomes", &r, &d);
}

TEST(golden_empty)
{
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    charts_tags_data_t d = {NULL, NULL, 0, NOV_25_2026};
    return render_golden("tags-empty", &r, &d);
}

/* ---- axis arithmetic ----------------------------------------------------------------- */

TEST(nice_ticks_1_2_5)
{
    chart_ticks_t t;
    chart_nice_ticks(1843, 5, &t);
    ASSERT_NEAR(t.step, 500, 0);
    ASSERT_NEAR(t.max, 2000, 0);
    ASSERT_EQ(t.n, 4);
    chart_nice_ticks(7, 5, &t);
    ASSERT_NEAR(t.step, 2, 0);
    ASSERT_NEAR(t.max, 8, 0);
    chart_nice_ticks(1, 5, &t); /* never a fractional step for counts */
    ASSERT_NEAR(t.step, 1, 0);
    ASSERT_NEAR(t.max, 1, 0);
    chart_nice_ticks(100, 4, &t);
    ASSERT_NEAR(t.step, 50, 0);
    ASSERT_NEAR(t.max, 100, 0);
    chart_nice_ticks((double)INT64_MAX, 5, &t);
    ASSERT(t.max >= (double)INT64_MAX && t.n >= 1 && t.n <= 10);
    chart_nice_ticks(0, 5, &t);
    ASSERT_NEAR(t.max, 1, 0);
    chart_nice_ticks(NAN, 5, &t);
    ASSERT_NEAR(t.max, 1, 0);
    return 0;
}

TEST(format_counts_and_dates)
{
    char b[40];
    ASSERT_STR_EQ(chart_format_count(0, b), "0");
    ASSERT_STR_EQ(chart_format_count(999, b), "999");
    ASSERT_STR_EQ(chart_format_count(1000, b), "1,000");
    ASSERT_STR_EQ(chart_format_count(1234567, b), "1,234,567");
    ASSERT_STR_EQ(chart_format_count(9223372036854775807.0, b), "9,223,372,036,854,775,808");
    ASSERT_STR_EQ(chart_format_time(NOV_25_2026, b), "2026-11-25 10:00 UTC");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_EN, AUG_28_2026, 0, b), "Aug 28");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_EN, AUG_28_2026, 1, b), "Aug 28, 2026");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_EN, AUG_28_2026, 2, b), "Aug 2026");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_ZH, AUG_28_2026, 0, b), "8月28日");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_ZH, AUG_28_2026, 1, b), "2026年8月28日");
    ASSERT_STR_EQ(chart_format_day(CHARTS_LANG_ZH, AUG_28_2026, 2, b), "2026年8月");
    ASSERT_EQ(charts_utc_day_start(NOV_25_2026), NOV_25_2026 - 10 * 3600000LL);
    ASSERT_EQ(charts_utc_day_start(-1), -DAY_MS);
    ASSERT_EQ(charts_days_between(AUG_28_2026, NOV_25_2026), 89);
    return 0;
}

TEST(date_ticks_do_not_collide)
{
    raster_scene_t s;
    raster_scene_init(&s, 1200, 440, raster_rgba(255, 255, 255, 255));
    char err[256];
    chart_ctx_t c = {&s, chart_theme(CHARTS_THEME_LIGHT), 1200, 440, 1, err, sizeof err, 0, CHARTS_LANG_EN, 0, 0};
    struct { size_t days; double day_w; size_t min, max; } cases[] = {
        {7, 160, 7, 7},      /* every day */
        {90, 12.5, 12, 14},  /* weekly */
        {730, 1.5, 11, 25},  /* every month or two */
        {3660, 0.3, 9, 41},  /* quarterly or yearly */
    };
    for (size_t k = 0; k < 2 * LS_TEST_LEN(cases); k++) {
        chart_date_tick_t *t;
        size_t n;
        c.lang = k % 2 ? CHARTS_LANG_ZH : CHARTS_LANG_EN; /* each case in both */
        size_t j = k / 2;
        ASSERT_EQ(chart_date_ticks(&c, AUG_28_2026, cases[j].days, cases[j].day_w, &t, &n), 0);
        ASSERT_MSG(n >= cases[j].min && n <= cases[j].max, "%zu days: %zu ticks", cases[j].days, n);
        for (size_t i = 1; i < n; i++) {
            double w;
            ASSERT_EQ(chart_text_width(&c, 11, 0, t[i - 1].label, &w), 0);
            ASSERT_GT((double)(t[i].day - t[i - 1].day) * cases[j].day_w, w);
        }
        free(t);
    }
    raster_scene_free(&s);
    return 0;
}

/* ---- bad and unusual input ----------------------------------------------------------- */

static int render_err(const charts_request_t *r, const void *data, charts_format_t fmt,
                      char *err, size_t errlen)
{
    buf_t b;
    buf_init(&b, 0);
    int rc = charts_render(r, data, fmt, &b, err, errlen);
    buf_free(&b);
    return rc;
}

#define ASSERT_REFUSED(r, data, fmt, word)                                               \
    do {                                                                                  \
        char e_[256] = "";                                                                \
        ASSERT_EQ(render_err(r, data, fmt, e_, sizeof e_), -EINVAL);                      \
        ASSERT_MSG(strstr(e_, word) != NULL, "message \"%s\" lacks \"%s\"", e_, word);     \
    } while (0)

TEST(bad_sizes_and_scales)
{
    charts_tags_data_t d = sample_tags();
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    r.width = 199;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "width must be between 200 and 4000");
    r.width = 4001;
    ASSERT_REFUSED(&r, &d, CHARTS_SVG, "width");
    r.width = -5;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "width");
    charts_request_init(&r, CHARTS_TAGS);
    r.height = 149;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "height must be between 150 and 4000");
    r.height = 100000;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "height");
    charts_request_init(&r, CHARTS_TAGS);
    const double scales[] = {NAN, INFINITY, -INFINITY, 0.5, 3.01, -1};
    for (size_t i = 0; i < LS_TEST_LEN(scales); i++) {
        r.scale = scales[i];
        ASSERT_REFUSED(&r, &d, CHARTS_PNG, "scale must be a number from 1 to 3");
    }
    /* Big but allowed as SVG, too many pixels as PNG. */
    r.width = r.height = 4000;
    r.scale = 2;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "lower the scale or the size");
    char err[256];
    ASSERT_EQ(render_err(&r, &d, CHARTS_SVG, err, sizeof err), 0);
    charts_request_init(&r, CHARTS_TAGS);
    r.top = -1;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "top must be between 1 and 100");
    r.top = 101;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "top");
    charts_request_init(&r, CHARTS_TAGS);
    r.kind = (charts_kind_t)7;
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "unknown chart kind");
    r.kind = CHARTS_TIMELINE;
    r.style = (charts_style_t)9;
    charts_timeline_data_t td = {AUG_28_2026, NULL, 0, NULL, 0};
    ASSERT_REFUSED(&r, &td, CHARTS_PNG, "unknown style");
    r.style = CHARTS_STYLE_AUTO;
    ASSERT_REFUSED(&r, &td, (charts_format_t)5, "unknown format");
    ASSERT_REFUSED(&r, NULL, CHARTS_PNG, "no data");
    ASSERT_REFUSED(NULL, &td, CHARTS_PNG, "no chart request");
    /* err may be NULL. */
    buf_t b;
    buf_init(&b, 0);
    ASSERT_EQ(charts_render(&r, NULL, CHARTS_PNG, &b, NULL, 0), -EINVAL);
    buf_free(&b);
    return 0;
}

TEST(bad_data)
{
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    const char *names[2] = {"ok", "bad \xff tag"};
    int64_t counts[2] = {3, -4};
    charts_tags_data_t d = {names, counts, 2, 0};
    ASSERT_REFUSED(&r, &d, CHARTS_PNG, "tag \"bad \xEF\xBF\xBD tag\" has a negative count (-4)");
    const char *nulls[2] = {"ok", NULL};
    counts[1] = 4;
    charts_tags_data_t dn = {nulls, counts, 2, 0};
    ASSERT_REFUSED(&r, &dn, CHARTS_PNG, "tag 1 has no name");
    charts_tags_data_t dm = {NULL, counts, 2, 0};
    ASSERT_REFUSED(&r, &dm, CHARTS_PNG, "no names or counts");
    charts_tags_data_t dt = {names, counts, 2, -5};
    ASSERT_REFUSED(&r, &dt, CHARTS_PNG, "generated_at must be a time");

    int64_t v[3] = {1, -2, 3};
    charts_request_init(&r, CHARTS_TIMELINE);
    charts_timeline_data_t t = {AUG_28_2026, v, 3, NULL, 0};
    ASSERT_REFUSED(&r, &t, CHARTS_PNG, "the links count for Aug 29, 2026 is negative (-2)");
    t.days = CHARTS_MAX_DAYS + 1;
    ASSERT_REFUSED(&r, &t, CHARTS_PNG, "at most 3660 days");
    t.days = 3;
    t.first_day_ms = -DAY_MS;
    ASSERT_REFUSED(&r, &t, CHARTS_PNG, "the first day must be a time between 1970 and 9999");
    t.first_day_ms = INT64_MAX;
    ASSERT_REFUSED(&r, &t, CHARTS_SVG, "first day");
    t.first_day_ms = AUG_28_2026;
    t.counts = NULL;
    ASSERT_REFUSED(&r, &t, CHARTS_PNG, "3 days but no counts");

    charts_request_init(&r, CHARTS_OUTCOMES);
    charts_outcomes_data_t o = {AUG_28_2026, NULL, NULL, v, 3, 0, NULL, NULL};
    ASSERT_REFUSED(&r, &o, CHARTS_PNG, "failed count");
    return 0;
}

/* Renders as SVG into *svg (caller frees) and as PNG (checked to decode), both OK. */
static int render_both(const charts_request_t *r, const void *data, char **svg)
{
    char err[256];
    buf_t b;
    buf_init(&b, 0);
    int rc = charts_render(r, data, CHARTS_PNG, &b, err, sizeof err);
    ASSERT_MSG(rc == 0, "PNG: %s", err);
    test_image_t img;
    ASSERT_EQ(test_png_decode(b.data, b.len, &img), 0);
    ASSERT_EQ(img.w, (int)ceil((r->width ? r->width : 1200) * (r->scale ? r->scale : 1) - 1e-9));
    free(img.px);
    buf_reset(&b);
    rc = charts_render(r, data, CHARTS_SVG, &b, err, sizeof err);
    ASSERT_MSG(rc == 0, "SVG: %s", err);
    /* The SVG is valid UTF-8 with no control characters, whatever came in. */
    char *clean = raster_utf8_sanitize(b.data, b.len);
    for (char *p = clean; *p; p++)
        if (*p == ' ' && b.data[p - clean] == '\n')
            *p = '\n';
    ASSERT_STR_EQ(clean, b.data);
    free(clean);
    size_t len;
    *svg = buf_take(&b, &len);
    return 0;
}

TEST(ten_thousand_tags)
{
    enum { N = 10000 };
    char **names = malloc(N * sizeof *names);
    int64_t *counts = malloc(N * sizeof *counts);
    ASSERT(names && counts);
    for (int i = 0; i < N; i++) {
        names[i] = malloc(32);
        snprintf(names[i], 32, "tag-%05d", i);
        counts[i] = (i * 7919) % 10007; /* scrambled, with one zero */
    }
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    charts_tags_data_t d = {(const char *const *)names, counts, N, NOV_25_2026};
    char *svg = NULL;
    if (render_both(&r, &d, &svg))
        return 1;
    ASSERT(strstr(svg, "Top 20 tags by number of links"));
    ASSERT(strstr(svg, "10,000 tags"));
    /* The largest count is 10006 (i*7919 % 10007 hits every residue). */
    ASSERT(strstr(svg, ">10,006</text>"));
    free(svg);
    for (int i = 0; i < N; i++)
        free(names[i]);
    free(names);
    free(counts);
    return 0;
}

TEST(long_and_invalid_labels)
{
    char *big = malloc(5001);
    ASSERT_NOT_NULL(big);
    for (int i = 0; i < 5000; i++)
        big[i] = (char)('a' + i % 26);
    big[5000] = '\0';
    const char *names[4] = {big, "bad \xff\xfe utf8 \xe6\xa0", "ctl\x01\x1b[31m", "ok"};
    int64_t counts[4] = {50, 40, 30, INT64_MAX};
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    r.title = "title with \xc0\xaf bad bytes <and> & markup";
    charts_tags_data_t d = {names, counts, 4, 0};
    char *svg = NULL;
    if (render_both(&r, &d, &svg))
        return 1;
    ASSERT(strstr(svg, "abcdefghij"));
    ASSERT(strstr(svg, "\xE2\x80\xA6</text>")); /* ellipsised */
    ASSERT(strlen(svg) < 20000);                 /* the 5,000 characters are not all there */
    ASSERT(strstr(svg, "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD"));
    ASSERT(strstr(svg, "ctl\xEF\xBF\xBD\xEF\xBF\xBD[31m"));
    ASSERT(strstr(svg, "&lt;and&gt; &amp; markup"));
    ASSERT(strstr(svg, ">9,223,372,036,854,775,807</text>"));
    free(svg);
    /* A 5,000-character tag name in a timeline title, and a title of 10 KB. */
    int64_t v[5] = {1, 2, 3, 4, 5};
    charts_request_init(&r, CHARTS_TIMELINE);
    charts_timeline_data_t t = {AUG_28_2026, v, 5, big, 0};
    if (render_both(&r, &t, &svg))
        return 1;
    free(svg);
    char *huge = malloc(10001);
    memset(huge, 'T', 10000);
    huge[10000] = '\0';
    r.title = huge;
    if (render_both(&r, &t, &svg))
        return 1;
    ASSERT(strstr(svg, "<title>TTTT"));
    ASSERT(strlen(strstr(svg, "<title>")) > 0 && strstr(svg, "<title>")[7 + 201] != 'T');
    free(svg);
    free(huge);
    free(big);
    return 0;
}

TEST(empty_and_zero_data)
{
    charts_request_t r;
    char *svg;
    charts_request_init(&r, CHARTS_TAGS);
    charts_tags_data_t none = {NULL, NULL, 0, 0};
    ASSERT_EQ(render_both(&r, &none, &svg), 0);
    ASSERT(strstr(svg, "No tags yet"));
    free(svg);
    const char *names[2] = {"a", "b"};
    int64_t zeros[90] = {0};
    charts_tags_data_t zero = {names, zeros, 2, 0};
    ASSERT_EQ(render_both(&r, &zero, &svg), 0);
    ASSERT(strstr(svg, "No tag has any links yet"));
    free(svg);
    charts_request_init(&r, CHARTS_TIMELINE);
    charts_timeline_data_t t = {AUG_28_2026, zeros, 90, NULL, 0};
    ASSERT_EQ(render_both(&r, &t, &svg), 0);
    ASSERT(strstr(svg, "No links added in these 90 days"));
    free(svg);
    t.days = 0;
    t.counts = NULL;
    ASSERT_EQ(render_both(&r, &t, &svg), 0);
    ASSERT(strstr(svg, "No days to show"));
    free(svg);
    charts_request_init(&r, CHARTS_OUTCOMES);
    charts_outcomes_data_t o = {AUG_28_2026, NULL, NULL, NULL, 30, 0, NULL, NULL};
    ASSERT_EQ(render_both(&r, &o, &svg), 0);
    ASSERT(strstr(svg, "No captures finished in these 30 days"));
    free(svg);
    return 0;
}

TEST(sizes_scales_and_styles)
{
    int64_t v[400];
    sample_days(v, 400, 5);
    const int sizes[][2] = {{200, 150}, {1200, 440}, {333, 4000}, {4000, 151}};
    const double scales[] = {1, 1.5, 3};
    for (size_t i = 0; i < LS_TEST_LEN(sizes); i++) {
        for (size_t k = 0; k < LS_TEST_LEN(scales); k++) {
            if (sizes[i][0] * sizes[i][1] * scales[k] * scales[k] > CHARTS_MAX_PIXELS)
                continue;
            for (int kind = 0; kind < 3; kind++) {
                charts_request_t r;
                charts_request_init(&r, (charts_kind_t)kind);
                r.width = sizes[i][0];
                r.height = sizes[i][1];
                r.scale = scales[k];
                r.style = (charts_style_t)((i + k) % 3);
                charts_tags_data_t td = sample_tags();
                charts_timeline_data_t tl = {AUG_28_2026, v, 400, "rust", NOV_25_2026};
                charts_outcomes_data_t oc = {AUG_28_2026, v, v + 1, v + 2, 300, NOV_25_2026, NULL, NULL};
                const void *data = kind == 0 ? (const void *)&td : kind == 1 ? (const void *)&tl
                                                                              : (const void *)&oc;
                char *svg;
                ASSERT_EQ(render_both(&r, data, &svg), 0);
                free(svg);
            }
        }
    }
    /* A short chart shows fewer bars, and says how many. */
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    r.height = 150;
    r.top = 100;
    charts_tags_data_t td = sample_tags();
    char *svg;
    ASSERT_EQ(render_both(&r, &td, &svg), 0);
    ASSERT(strstr(svg, ">Top 4 tags by number of links<"));
    free(svg);
    return 0;
}

TEST(output_cap_and_determinism)
{
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    charts_tags_data_t d = sample_tags();
    buf_t b;
    buf_init(&b, 1000);
    char err[256];
    ASSERT_EQ(charts_render(&r, &d, CHARTS_PNG, &b, err, sizeof err), -E2BIG);
    ASSERT(strstr(err, "larger than the output limit (1000 bytes)"));
    ASSERT_EQ(charts_render(&r, &d, CHARTS_SVG, &b, err, sizeof err), -E2BIG);
    buf_free(&b);
    buf_t x, y;
    buf_init(&x, 0);
    buf_init(&y, 0);
    ASSERT_EQ(charts_render(&r, &d, CHARTS_PNG, &x, err, sizeof err), 0);
    charts_shutdown(); /* a cold font cache gives the same bytes */
    ASSERT_EQ(charts_render(&r, &d, CHARTS_PNG, &y, err, sizeof err), 0);
    ASSERT_EQ(x.len, y.len);
    ASSERT(memcmp(x.data, y.data, x.len) == 0);
    raster_canvas_t c;
    ASSERT_EQ(charts_render_canvas(&r, &d, &c, err, sizeof err), 0);
    ASSERT_EQ(c.w, 1200);
    ASSERT_EQ(c.h, 440);
    raster_canvas_free(&c);
    buf_free(&x);
    buf_free(&y);
    return 0;
}


/* ---- sizes the page asks for, both languages ---------------------------------------- */

/* The stats page's figures: a desktop column and a phone, CSS px. */
static const struct { const char *name; int w, h; } PAGE_SIZES[] = {
    {"desktop", 600, 320},
    {"phone", 358, 260},
};

static int sample_render(charts_kind_t kind, int w, int h, double scale, charts_lang_t lang,
                         charts_format_t fmt, buf_t *out, char *err, size_t errlen)
{
    static int64_t v[90], ok[90], partial[90], failed[90];
    sample_days(v, 90, 1);
    sample_days(ok, 90, 2);
    sample_days(partial, 90, 3);
    sample_days(failed, 90, 4);
    for (int i = 0; i < 90; i++) {
        partial[i] /= 6;
        failed[i] /= 9;
    }
    charts_request_t r;
    charts_request_init(&r, kind);
    r.width = w;
    r.height = h;
    r.scale = scale;
    r.lang = lang;
    r.top = 15;
    charts_tags_data_t td = sample_tags();
    charts_timeline_data_t tl = {AUG_28_2026, v, 90, NULL, NOV_25_2026};
    charts_outcomes_data_t oc = {AUG_28_2026, ok, partial, failed, 90, NOV_25_2026, NULL, NULL};
    const void *data = kind == CHARTS_TAGS ? (const void *)&td
                       : kind == CHARTS_TIMELINE ? (const void *)&tl : (const void *)&oc;
    return charts_render(&r, data, fmt, out, err, errlen);
}

static const char *const KIND_NAMES[] = {"tags", "timeline", "outcomes"};

TEST(golden_page_sizes_languages_scales)
{
    for (int kind = 0; kind < 3; kind++)
        for (size_t z = 0; z < LS_TEST_LEN(PAGE_SIZES); z++)
            for (int lang = 0; lang < 2; lang++)
                for (int scale = 1; scale <= 2; scale++) {
                    char name[96], err[256];
                    snprintf(name, sizeof name, "page-%s-%s-%s@%d", KIND_NAMES[kind],
                             PAGE_SIZES[z].name, lang ? "zh" : "en", scale);
                    buf_t b;
                    buf_init(&b, 0);
                    int rc = sample_render((charts_kind_t)kind, PAGE_SIZES[z].w, PAGE_SIZES[z].h,
                                           scale, (charts_lang_t)lang, CHARTS_PNG, &b, err,
                                           sizeof err);
                    ASSERT_MSG(rc == 0, "%s: %s", name, err);
                    rc = golden_check(name, &b);
                    buf_free(&b);
                    if (rc)
                        return rc;
                }
    return 0;
}

/* Every font-size in an SVG, in order; returns how many (at most max). */
static size_t svg_font_sizes(const char *svg, double *out, size_t max)
{
    size_t n = 0;
    for (const char *p = svg; n < max && (p = strstr(p, "font-size=\"")); p += 11)
        out[n++] = strtod(p + 11, NULL);
    return n;
}

TEST(no_text_below_11px_at_any_page_size)
{
    /* From the narrowest chart to a wide one, every text is at least 11 CSS px. */
    static const int widths[] = {CHARTS_MIN_WIDTH, 280, 358, 420, 600, 900, 1200};
    for (int kind = 0; kind < 3; kind++)
        for (size_t k = 0; k < LS_TEST_LEN(widths); k++)
            for (int lang = 0; lang < 2; lang++) {
                buf_t b;
                buf_init(&b, 0);
                char err[256];
                ASSERT_EQ(sample_render((charts_kind_t)kind, widths[k], 260, 1,
                                        (charts_lang_t)lang, CHARTS_SVG, &b, err, sizeof err), 0);
                double sizes[512];
                size_t n = svg_font_sizes(b.data, sizes, LS_TEST_LEN(sizes));
                ASSERT_GT(n, 3);
                for (size_t i = 0; i < n; i++)
                    ASSERT_MSG(sizes[i] >= 11, "%s at %d px: text of %g px", KIND_NAMES[kind],
                               widths[k], sizes[i]);
                buf_free(&b);
            }
    return 0;
}

TEST(languages_and_exact_numbers)
{
    char err[256];
    buf_t b;
    buf_init(&b, 0);
    /* English: titles, units, dates; each bar's hover text has the exact count. */
    ASSERT_EQ(sample_render(CHARTS_TAGS, 600, 320, 1, CHARTS_LANG_EN, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(strstr(b.data, ">Tags by number of links</text>"));
    ASSERT(strstr(b.data, "<title>linux: 1,843 links</title>"));
    ASSERT(strstr(b.data, "<title>编程: 987 links</title>"));
    buf_reset(&b);
    ASSERT_EQ(sample_render(CHARTS_TAGS, 600, 320, 1, CHARTS_LANG_ZH, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(strstr(b.data, ">各标签的链接数</text>"));
    ASSERT(strstr(b.data, "12 个标签"));
    ASSERT(strstr(b.data, "<title>linux：1,843 条链接</title>"));
    ASSERT(!strstr(b.data, "links"));
    buf_reset(&b);
    ASSERT_EQ(sample_render(CHARTS_TIMELINE, 600, 320, 1, CHARTS_LANG_ZH, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(strstr(b.data, ">每日新增链接</text>"));
    ASSERT(strstr(b.data, "2026年8月28日 – 2026年11月25日"));
    ASSERT(strstr(b.data, "<title>2026年8月28日："));
    ASSERT(strstr(b.data, "条链接</title>"));
    ASSERT(strstr(b.data, ">9月</text>") || strstr(b.data, "9月"));
    buf_reset(&b);
    ASSERT_EQ(sample_render(CHARTS_OUTCOMES, 600, 320, 1, CHARTS_LANG_ZH, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(strstr(b.data, ">每日快照结果</text>"));
    ASSERT(strstr(b.data, "成功 "));
    ASSERT(strstr(b.data, "失败 "));
    ASSERT(!strstr(b.data, "partial"));
    buf_reset(&b);
    ASSERT_EQ(sample_render(CHARTS_OUTCOMES, 1200, 440, 1, CHARTS_LANG_EN, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    /* 90 days, each with its date and three exact numbers on hover. */
    size_t hints = 0;
    for (const char *p = b.data; (p = strstr(p, "<title>")); p++)
        hints++;
    ASSERT_EQ(hints, 1 + 90);
    ASSERT(strstr(b.data, "<title>Aug 28, 2026: ok "));
    ASSERT(strstr(b.data, " \xC2\xB7 partial "));
    /* PNG has no hover: no hint ops are built for it (and nothing of them is drawn). */
    buf_free(&b);

    charts_lang_t l;
    ASSERT_EQ(charts_lang_parse("zh", &l), 0);
    ASSERT_EQ(l, CHARTS_LANG_ZH);
    ASSERT_EQ(charts_lang_parse("zh_CN.UTF-8", &l), 0);
    ASSERT_EQ(l, CHARTS_LANG_ZH);
    ASSERT_EQ(charts_lang_parse("zh-Hant", &l), 0);
    ASSERT_EQ(charts_lang_parse("en_US.UTF-8", &l), 0);
    ASSERT_EQ(l, CHARTS_LANG_EN);
    ASSERT_EQ(charts_lang_parse("EN", &l), 0);
    ASSERT_EQ(charts_lang_parse("fr", &l), -EINVAL);
    ASSERT_EQ(l, CHARTS_LANG_EN);
    ASSERT_EQ(charts_lang_parse("zhx", &l), -EINVAL);
    ASSERT_EQ(charts_lang_parse("", &l), -EINVAL);
    ASSERT_EQ(charts_lang_parse("C", &l), -EINVAL);
    ASSERT_EQ(charts_lang_parse(NULL, &l), -EINVAL);
    charts_request_t r;
    charts_request_init(&r, CHARTS_TAGS);
    r.lang = (charts_lang_t)7;
    charts_tags_data_t d = sample_tags();
    ASSERT_REFUSED(&r, &d, CHARTS_SVG, "language");
    return 0;
}

TEST(narrow_layouts_adapt)
{
    char err[256];
    buf_t b;
    buf_init(&b, 0);
    /* A phone: the legend goes under the plot (left-aligned, text-anchor start) and the
     * subtitle loses its time but keeps the range and total. */
    ASSERT_EQ(sample_render(CHARTS_OUTCOMES, 358, 260, 1, CHARTS_LANG_EN, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(!strstr(b.data, "as of"));
    ASSERT(strstr(b.data, "Aug 28, 2026 – Nov 25, 2026"));
    const char *ok = strstr(b.data, ">ok ");
    ASSERT(ok != NULL);
    /* the legend's text starts at x = 16 + 16 on its own line near the bottom */
    const char *tag = ok;
    while (tag > b.data && strncmp(tag, "<text", 5))
        tag--;
    ASSERT(strncmp(tag, "<text x=\"32\" y=\"2", 17) == 0);
    buf_reset(&b);
    /* The desktop keeps it at the top right, with the time. */
    ASSERT_EQ(sample_render(CHARTS_OUTCOMES, 1200, 440, 1, CHARTS_LANG_EN, CHARTS_SVG, &b, err,
                            sizeof err), 0);
    ASSERT(strstr(b.data, "as of 2026-11-25 10:00 UTC"));
    buf_free(&b);
    return 0;
}

/* ---- the dark theme ------------------------------------------------------------------- */

/* The share of pixels of a PNG chart darker than luma 48, and its corner pixel's luma. */
static int dark_share(const buf_t *png, double *share, int *corner)
{
    test_image_t img;
    ASSERT_EQ(test_png_decode(png->data, png->len, &img), 0);
    size_t dark = 0, n = (size_t)img.w * (size_t)img.h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = img.px + 4 * i;
        dark += (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000 < 48;
    }
    *share = (double)dark / (double)n;
    *corner = (img.px[0] * 299 + img.px[1] * 587 + img.px[2] * 114) / 1000;
    free(img.px);
    return 0;
}

TEST(dark_theme_draws_on_dark)
{
    static int64_t ok[90], partial[90], failed[90];
    sample_days(ok, 90, 2);
    sample_days(partial, 90, 3);
    sample_days(failed, 90, 4);
    charts_outcomes_data_t o = {AUG_28_2026, ok, partial, failed, 90, 0, NULL, NULL};
    charts_tags_data_t t = sample_tags();
    const void *data[] = {&o, &t};
    const charts_kind_t kinds[] = {CHARTS_OUTCOMES, CHARTS_TAGS};
    charts_theme_t th;
    ASSERT_EQ(charts_theme_parse("dark", &th), 0);
    ASSERT_EQ(th, CHARTS_THEME_DARK);
    ASSERT_EQ(charts_theme_parse("dim", &th), -EINVAL);
    for (size_t k = 0; k < 2; k++) {
        charts_request_t r;
        charts_request_init(&r, kinds[k]);
        r.width = 600;
        r.height = 320;
        r.scale = 2;
        char err[256];
        buf_t light, dark;
        buf_init(&light, 0);
        buf_init(&dark, 0);
        ASSERT_EQ(charts_render(&r, data[k], CHARTS_PNG, &light, err, sizeof err), 0);
        r.theme = CHARTS_THEME_DARK;
        ASSERT_EQ(charts_render(&r, data[k], CHARTS_PNG, &dark, err, sizeof err), 0);
        double ls, ds;
        int lc, dc;
        ASSERT_EQ(dark_share(&light, &ls, &lc), 0);
        ASSERT_EQ(dark_share(&dark, &ds, &dc), 0);
        ASSERT_MSG(lc > 240 && dc < 32, "corners: light %d, dark %d", lc, dc);
        /* the background is dark; bars, text and lines are what is not */
        ASSERT_MSG(ds > 0.6 && ls < 0.05, "dark pixels: light %.3f, dark %.3f", ls, ds);
        ASSERT(ds < 0.995);   /* something is drawn on it */
        /* the SVG takes the same colours */
        buf_reset(&dark);
        ASSERT_EQ(charts_render(&r, data[k], CHARTS_SVG, &dark, err, sizeof err), 0);
        ASSERT(strstr(dark.data, "#111418") != NULL);
        ASSERT(strstr(dark.data, "#ffffff") == NULL);
        buf_free(&light);
        buf_free(&dark);
    }
    return 0;
}

/* Captures of 4xx/5xx pages (issue 23): a series of their own, in their own colour and
 * legend (zh and en), beside blocked; absent (like blocked) when there are none; a bad
 * count in it is refused by name. */
TEST(outcomes_http_error_series)
{
    static int64_t ok[30], partial[30], failed[30], blocked[30], http[30], zero[30];
    for (int i = 0; i < 30; i++) {
        ok[i] = 5;
        partial[i] = 1;
        failed[i] = i % 2;
        blocked[i] = i == 3;
        http[i] = i % 10 == 0 ? 2 : 0;   /* 6 in all */
    }
    charts_outcomes_data_t o = {AUG_28_2026, ok, partial, failed, 30, 0, blocked, http};
    charts_request_t r;
    charts_request_init(&r, CHARTS_OUTCOMES);
    char *svg = NULL;
    ASSERT_EQ(render_both(&r, &o, &svg), 0);
    ASSERT(strstr(svg, ">http error 6</text>"));
    ASSERT(strstr(svg, ">blocked 1</text>"));
    ASSERT(strstr(svg, ">ok 150</text>"));
    ASSERT(strstr(svg, "#bc4c00"));                    /* its own colour */
    ASSERT(strstr(svg, "<title>Aug 28, 2026: ok 5 \xC2\xB7 partial 1 \xC2\xB7 failed 0 "
                       "\xC2\xB7 blocked 0 \xC2\xB7 http error 2</title>"));
    free(svg);
    r.lang = CHARTS_LANG_ZH;
    ASSERT_EQ(render_both(&r, &o, &svg), 0);
    ASSERT(strstr(svg, ">HTTP 错误 6</text>"));
    ASSERT(!strstr(svg, "http error"));
    free(svg);
    r.lang = CHARTS_LANG_EN;
    o.http_error = zero;                               /* none: not drawn, no legend */
    ASSERT_EQ(render_both(&r, &o, &svg), 0);
    ASSERT(!strstr(svg, "http error"));
    ASSERT(!strstr(svg, "#bc4c00"));
    free(svg);
    http[4] = -1;
    o.http_error = http;
    ASSERT_REFUSED(&r, &o, CHARTS_SVG, "http_error count");
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(dark_theme_draws_on_dark),
    TEST_ENTRY(outcomes_http_error_series),
    TEST_ENTRY(golden_page_sizes_languages_scales),
    TEST_ENTRY(no_text_below_11px_at_any_page_size),
    TEST_ENTRY(languages_and_exact_numbers),
    TEST_ENTRY(narrow_layouts_adapt),
    TEST_ENTRY(golden_tags),
    TEST_ENTRY(golden_timeline),
    TEST_ENTRY(golden_outcomes),
    TEST_ENTRY(golden_empty),
    TEST_ENTRY(nice_ticks_1_2_5),
    TEST_ENTRY(format_counts_and_dates),
    TEST_ENTRY(date_ticks_do_not_collide),
    TEST_ENTRY(bad_sizes_and_scales),
    TEST_ENTRY(bad_data),
    TEST_ENTRY(ten_thousand_tags),
    TEST_ENTRY(long_and_invalid_labels),
    TEST_ENTRY(empty_and_zero_data),
    TEST_ENTRY(sizes_scales_and_styles),
    TEST_ENTRY(output_cap_and_determinism),
    TEST_END,
};

TEST_RUNNER_()

int main(int argc, char **argv)
{
    int rc = test_main_(argc, argv);
    charts_shutdown();
    return rc;
}
