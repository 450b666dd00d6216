/* charts.c -- the charts library's front door: checks a request and its data (every
 * error a sentence the user can act on), builds the scene with the kind's builder
 * (tags.c, daily.c) and turns it into PNG (raster_scene_render + pngenc) or SVG
 * (svg.c). Owns no state between calls. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chart_int.h"
#include "coverage.h"
#include "font.h"
#include "pngenc.h"
#include "svg.h"
#include "utf8.h"

#define DAY_MS 86400000LL
/* 9999-12-31T23:59:59.999Z: dates past it would not print as four digits. */
#define MAX_TIME_MS 253402300799999LL

int charts_lang_parse(const char *s, charts_lang_t *out)
{
    *out = CHARTS_LANG_EN;
    if (!s)
        return -EINVAL;
    static const struct { const char *name; charts_lang_t lang; } langs[] = {
        {"en", CHARTS_LANG_EN}, {"zh", CHARTS_LANG_ZH}};
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        size_t n = strlen(langs[i].name);
        /* "zh", "zh-CN", "zh_TW.UTF-8", "zh-Hans": the language, then nothing or a separator */
        if (strncasecmp(s, langs[i].name, n) == 0 &&
            (s[n] == '\0' || s[n] == '-' || s[n] == '_' || s[n] == '.' || s[n] == '@')) {
            *out = langs[i].lang;
            return 0;
        }
    }
    return -EINVAL;
}

int charts_theme_parse(const char *s, charts_theme_t *out)
{
    *out = CHARTS_THEME_LIGHT;
    if (s && !strcmp(s, "light"))
        return 0;
    if (s && !strcmp(s, "dark")) {
        *out = CHARTS_THEME_DARK;
        return 0;
    }
    return -EINVAL;
}

void charts_request_init(charts_request_t *req, charts_kind_t kind)
{
    memset(req, 0, sizeof *req);
    req->kind = kind;
    req->width = CHARTS_DEFAULT_WIDTH;
    req->height = CHARTS_DEFAULT_HEIGHT;
    req->scale = 1;
    req->top = CHARTS_DEFAULT_TOP;
    req->style = CHARTS_STYLE_AUTO;
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* A short, printable form of a user's string for a message. */
static void quote(const char *s, char *out, size_t outlen)
{
    char *clean = raster_utf8_sanitize(s, chart_cut_len(s, 60));
    snprintf(out, outlen, "%s%s", clean ? clean : "?", strlen(s) > 60 ? "..." : "");
    free(clean);
}

static int check_time(int64_t ms, const char *what, char *err, size_t errlen)
{
    if (ms < 0 || ms > MAX_TIME_MS)
        return fail(err, errlen, -EINVAL, "%s must be a time between 1970 and 9999 in ms since "
                    "the epoch (got %lld)", what, (long long)ms);
    return 0;
}

static int check_days(int64_t first, size_t days, char *err, size_t errlen)
{
    if (days > CHARTS_MAX_DAYS)
        return fail(err, errlen, -EINVAL, "at most %d days can be drawn (got %zu)",
                    CHARTS_MAX_DAYS, days);
    int rc = check_time(first, "the first day", err, errlen);
    if (!rc && first + (int64_t)days * DAY_MS > MAX_TIME_MS)
        return fail(err, errlen, -EINVAL, "the days run past the year 9999");
    return rc;
}

static int check_series(const int64_t *v, size_t days, int64_t first, const char *what,
                        char *err, size_t errlen)
{
    for (size_t i = 0; v && i < days; i++) {
        if (v[i] < 0) {
            char day[40];
            return fail(err, errlen, -EINVAL, "the %s count for %s is negative (%lld); counts "
                        "must be 0 or more", what,
                        chart_format_day(CHARTS_LANG_EN, first + (int64_t)i * DAY_MS, 1, day),
                        (long long)v[i]);
        }
    }
    return 0;
}

static int check_data(const charts_request_t *req, const void *data, char *err, size_t errlen)
{
    if (!data)
        return fail(err, errlen, -EINVAL, "no data given for the chart");
    int rc = 0;
    switch (req->kind) {
    case CHARTS_TAGS: {
        const charts_tags_data_t *d = data;
        if (d->n && (!d->names || !d->counts))
            return fail(err, errlen, -EINVAL, "%zu tags but no names or counts", d->n);
        for (size_t i = 0; i < d->n; i++) {
            if (!d->names[i])
                return fail(err, errlen, -EINVAL, "tag %zu has no name (NULL)", i);
            if (d->counts[i] < 0) {
                char q[80];
                quote(d->names[i], q, sizeof q);
                return fail(err, errlen, -EINVAL, "tag \"%s\" has a negative count (%lld); "
                            "counts must be 0 or more", q, (long long)d->counts[i]);
            }
        }
        if (d->generated_at_ms)
            rc = check_time(d->generated_at_ms, "generated_at", err, errlen);
        return rc;
    }
    case CHARTS_TIMELINE: {
        const charts_timeline_data_t *d = data;
        rc = check_days(d->first_day_ms, d->days, err, errlen);
        if (!rc && d->days && !d->counts)
            return fail(err, errlen, -EINVAL, "%zu days but no counts", d->days);
        if (!rc)
            rc = check_series(d->counts, d->days, d->first_day_ms, "links", err, errlen);
        if (!rc && d->generated_at_ms)
            rc = check_time(d->generated_at_ms, "generated_at", err, errlen);
        return rc;
    }
    case CHARTS_OUTCOMES: {
        const charts_outcomes_data_t *d = data;
        rc = check_days(d->first_day_ms, d->days, err, errlen);
        if (!rc)
            rc = check_series(d->ok, d->days, d->first_day_ms, "ok", err, errlen);
        if (!rc)
            rc = check_series(d->partial, d->days, d->first_day_ms, "partial", err, errlen);
        if (!rc)
            rc = check_series(d->failed, d->days, d->first_day_ms, "failed", err, errlen);
        if (!rc && d->blocked)
            rc = check_series(d->blocked, d->days, d->first_day_ms, "blocked", err, errlen);
        if (!rc && d->http_error)
            rc = check_series(d->http_error, d->days, d->first_day_ms, "http_error", err, errlen);
        if (!rc && d->generated_at_ms)
            rc = check_time(d->generated_at_ms, "generated_at", err, errlen);
        return rc;
    }
    }
    return fail(err, errlen, -EINVAL, "unknown chart kind %d (tags, timeline or outcomes)",
                (int)req->kind);
}

/* Fills *r from req with the defaults applied, or fails with a message. */
static int check_request(const charts_request_t *req, charts_format_t fmt, charts_request_t *r,
                         char *err, size_t errlen)
{
    if (!req)
        return fail(err, errlen, -EINVAL, "no chart request given");
    *r = *req;
    if (r->kind != CHARTS_TAGS && r->kind != CHARTS_TIMELINE && r->kind != CHARTS_OUTCOMES)
        return fail(err, errlen, -EINVAL, "unknown chart kind %d (tags, timeline or outcomes)",
                    (int)r->kind);
    if (fmt != CHARTS_PNG && fmt != CHARTS_SVG)
        return fail(err, errlen, -EINVAL, "unknown format %d (png or svg)", (int)fmt);
    if (r->width == 0)
        r->width = CHARTS_DEFAULT_WIDTH;
    if (r->height == 0)
        r->height = CHARTS_DEFAULT_HEIGHT;
    if (r->scale == 0)
        r->scale = 1;
    if (r->top == 0)
        r->top = CHARTS_DEFAULT_TOP;
    if (r->width < CHARTS_MIN_WIDTH || r->width > CHARTS_MAX_WIDTH)
        return fail(err, errlen, -EINVAL, "width must be between %d and %d px (got %d)",
                    CHARTS_MIN_WIDTH, CHARTS_MAX_WIDTH, r->width);
    if (r->height < CHARTS_MIN_HEIGHT || r->height > CHARTS_MAX_HEIGHT)
        return fail(err, errlen, -EINVAL, "height must be between %d and %d px (got %d)",
                    CHARTS_MIN_HEIGHT, CHARTS_MAX_HEIGHT, r->height);
    if (!(r->scale >= 1 && r->scale <= CHARTS_MAX_SCALE))
        return fail(err, errlen, -EINVAL, "scale must be a number from 1 to %d (got %g)",
                    CHARTS_MAX_SCALE, r->scale);
    if (r->top < 1 || r->top > CHARTS_MAX_TOP)
        return fail(err, errlen, -EINVAL, "top must be between 1 and %d (got %d)",
                    CHARTS_MAX_TOP, r->top);
    if (r->lang != CHARTS_LANG_EN && r->lang != CHARTS_LANG_ZH)
        return fail(err, errlen, -EINVAL, "unknown language %d (en or zh)", (int)r->lang);
    if (r->style != CHARTS_STYLE_AUTO && r->style != CHARTS_STYLE_BARS &&
        r->style != CHARTS_STYLE_AREA)
        return fail(err, errlen, -EINVAL, "unknown style %d (auto, bars or area)", (int)r->style);
    double px = ceil(r->width * r->scale - 1e-9) * ceil(r->height * r->scale - 1e-9);
    if (fmt == CHARTS_PNG && px > CHARTS_MAX_PIXELS)
        return fail(err, errlen, -EINVAL, "a %dx%d PNG at scale %g is %.0f device pixels, over "
                    "the limit of %d (4096x4096); lower the scale or the size", r->width,
                    r->height, r->scale, px, CHARTS_MAX_PIXELS);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The one pipeline behind every entry point: check, build, then either write fmt into
 * out or hand the canvas over in *canvas_out. */
static int render(const charts_request_t *req, const void *data, charts_format_t fmt,
                  buf_t *out, raster_canvas_t *canvas_out, charts_timing_t *timing, char *err,
                  size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    charts_timing_t tm = {0, 0, 0};
    double t0 = now_ms();
    charts_request_t r;
    int rc = check_request(req, fmt, &r, err, errlen);
    if (!rc)
        rc = check_data(&r, data, err, errlen);
    if (rc)
        return rc;
    char *title = NULL;
    if (r.title) {
        title = raster_utf8_sanitize(r.title, chart_cut_len(r.title, CHARTS_MAX_TITLE));
        if (!title)
            return fail(err, errlen, -ENOMEM, "out of memory copying the title");
        r.title = title;
    }
    raster_scene_t scene;
    raster_canvas_t canvas;
    raster_canvas_init(&canvas, 0, 0); /* empty, freeable */
    const chart_theme_t *th = chart_theme(r.theme);
    rc = raster_scene_init(&scene, r.width, r.height, th->background);
    chart_ctx_t c = {&scene, th, r.width, r.height, fmt == CHARTS_SVG ? 1 : r.scale, err,
                     errlen, 0, r.lang, r.width < CHART_NARROW_WIDTH, fmt == CHARTS_SVG};
    if (!rc) {
        switch (r.kind) {
        case CHARTS_TAGS: rc = chart_build_tags(&c, &r, data); break;
        case CHARTS_TIMELINE: rc = chart_build_timeline(&c, &r, data); break;
        default: rc = chart_build_outcomes(&c, &r, data); break;
        }
    }
    if (!rc && scene.err)
        rc = scene.err;
    if (!rc && title)
        rc = raster_scene_set_title(&scene, title);
    if (rc == -ENOMEM && !err[0])
        snprintf(err, errlen, "out of memory building the chart");
    if (rc)
        goto done;
    double t1 = now_ms();
    tm.build_ms = t1 - t0;
    if (fmt == CHARTS_SVG) {
        if (!scene.title) {
            /* The SVG's accessible name: the first text, which is the chart's title. */
            for (size_t i = 0; i < scene.nops && !rc; i++)
                if (scene.ops[i].kind == RASTER_OP_TEXT) {
                    rc = raster_scene_set_title(&scene, scene.ops[i].text);
                    break;
                }
        }
        if (!rc)
            rc = raster_svg_write(&scene, out);
        tm.encode_ms = now_ms() - t1;
    } else {
        rc = raster_scene_render(&scene, r.scale, &canvas, err, errlen);
        double t2 = now_ms();
        tm.draw_ms = t2 - t1;
        if (!rc && canvas_out) {
            *canvas_out = canvas;
            raster_canvas_init(&canvas, 0, 0);
        } else if (!rc) {
            rc = raster_png_encode(&canvas, NULL, out, err, errlen);
            tm.encode_ms = now_ms() - t2;
        }
    }
    if (rc == -E2BIG)
        snprintf(err, errlen, "the chart is larger than the output limit (%zu bytes)", out->max);
    else if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory writing the chart");
done:
    raster_canvas_free(&canvas);
    raster_scene_free(&scene);
    free(title);
    if (timing)
        *timing = tm;
    return rc;
}

int charts_render(const charts_request_t *req, const void *data, charts_format_t fmt,
                  buf_t *out, char *err, size_t errlen)
{
    return render(req, data, fmt, out, NULL, NULL, err, errlen);
}

int charts_render_timed(const charts_request_t *req, const void *data, charts_format_t fmt,
                        buf_t *out, charts_timing_t *timing, char *err, size_t errlen)
{
    return render(req, data, fmt, out, NULL, timing, err, errlen);
}

int charts_render_canvas(const charts_request_t *req, const void *data, raster_canvas_t *out,
                         char *err, size_t errlen)
{
    raster_canvas_init(out, 0, 0);
    return render(req, data, CHARTS_PNG, NULL, out, NULL, err, errlen);
}

void charts_release_thread_memory(void)
{
    raster_png_release_scratch();
    raster_canvas_release_spare();
    raster_rast_release_spare();
}

void charts_shutdown(void)
{
    raster_font_cache_clear();
    raster_png_release_scratch();
    raster_canvas_release_spare();
    raster_rast_release_spare();
}
