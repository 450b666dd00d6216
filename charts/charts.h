/* charts.h -- linksnap's statistics charts: data in, PNG or SVG bytes out.
 *
 * Three kinds, drawn by our own rasterizer (raster/) at a default 1200x440 CSS px:
 *   CHARTS_TAGS      horizontal bars, the top N tags by link count, counts at bar ends.
 *   CHARTS_TIMELINE  links added per day (bars, or an area for long ranges), optionally
 *                    for one tag.
 *   CHARTS_OUTCOMES  captures per day stacked by state: ok, partial, failed (, blocked,
 *                    http error).
 *
 * Knows nothing of SQLite or the daemon: the caller queries the store and fills one of
 * the data structs below. Everything is a pure function of its arguments: no global
 * drawing state, any number of renders may run at once on any threads, and the same
 * request and data always give the same bytes (on a machine with the same fonts).
 * Days are UTC days. Titles, legends, units and dates are in the request's language
 * (English "Nov 25" or Chinese "11月25日"), numbers with a comma every three digits,
 * whatever the process locale. Layouts follow the size asked for: fewer ticks, shortened
 * labels, the subtitle and the legend on lines of their own when the chart is narrow;
 * no text is smaller than 11 CSS px. In SVG every bar and day carries its exact numbers
 * (a <title> on an invisible rect).
 *
 * Errors: functions return 0 or a negative errno value, and write a sentence for the
 * user into err (errlen bytes, may be 0):
 *   -EINVAL  the request or data is invalid (size out of range, negative count, ...)
 *   -ENOMEM  out of memory
 *   -E2BIG   the output passed the cap of the caller's buf_t
 *   -ENOENT  no usable font is installed (the message says which package to install)
 * Data that is merely unusual is not an error: no data, all zeros, 10,000 tags, a
 * 5,000-character tag or invalid UTF-8 (drawn as U+FFFD) all give a correct chart. */
#ifndef LS_CHARTS_H
#define LS_CHARTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "canvas.h"

typedef enum {
    CHARTS_TAGS,
    CHARTS_TIMELINE,
    CHARTS_OUTCOMES,
} charts_kind_t;

typedef enum {
    CHARTS_PNG,
    CHARTS_SVG,
} charts_format_t;

typedef enum {
    CHARTS_STYLE_AUTO, /* timeline: bars while each day gets >= 4 px, else an area */
    CHARTS_STYLE_BARS,
    CHARTS_STYLE_AREA,
} charts_style_t;

#define CHARTS_DEFAULT_WIDTH 1200
#define CHARTS_DEFAULT_HEIGHT 440
#define CHARTS_MIN_WIDTH 200
#define CHARTS_MAX_WIDTH 4000
#define CHARTS_MIN_HEIGHT 150
#define CHARTS_MAX_HEIGHT 4000
#define CHARTS_MAX_SCALE 3
/* Device pixels (width x height x scale^2) of one PNG: 4096 x 4096, 64 MiB of canvas. */
#define CHARTS_MAX_PIXELS 16777216
#define CHARTS_DEFAULT_TOP 20
#define CHARTS_MAX_TOP 100
#define CHARTS_DEFAULT_DAYS 90 /* what the daemon asks the store for by default */
#define CHARTS_MAX_DAYS 3660
#define CHARTS_MAX_TITLE 200 /* bytes; a longer title is cut */

typedef enum {
    CHARTS_LANG_EN,
    CHARTS_LANG_ZH,
} charts_lang_t;

/* The colours: the light page's (the default) or the dark page's. Both are constant
 * tables, chosen per request, so renders of either may run at once on any threads. */
typedef enum {
    CHARTS_THEME_LIGHT,
    CHARTS_THEME_DARK,
} charts_theme_t;

/* "light" or "dark"; returns 0, or -EINVAL for anything else (then *out is light). */
int charts_theme_parse(const char *s, charts_theme_t *out);

/* "en", "zh", or a locale or language tag starting with either ("zh-CN", "zh_TW.UTF-8",
 * "en_US"); returns 0, or -EINVAL for anything else (then *out is CHARTS_LANG_EN). */
int charts_lang_parse(const char *s, charts_lang_t *out);

typedef struct {
    charts_kind_t kind;
    int width, height;    /* CSS px; 0 = default */
    double scale;         /* device px per CSS px for PNG (HiDPI), 1..3; 0 = 1 */
    int top;              /* CHARTS_TAGS: bars at most; 0 = CHARTS_DEFAULT_TOP */
    charts_style_t style; /* CHARTS_TIMELINE */
    const char *title;    /* NULL = the kind's own title */
    charts_lang_t lang;   /* titles, legends, units and dates */
    charts_theme_t theme; /* background, text and series colours (PNG and SVG alike) */
} charts_request_t;

/* CHARTS_TAGS: one entry per tag, in any order; the chart sorts by count (then name)
 * and keeps the top ones with a count above zero. */
typedef struct {
    const char *const *names; /* UTF-8, borrowed */
    const int64_t *counts;    /* >= 0 */
    size_t n;
    int64_t generated_at_ms;  /* ms since the epoch, shown as "as of"; 0 = not shown */
} charts_tags_data_t;

/* CHARTS_TIMELINE: counts[i] links were added on UTC day first_day_ms + i days. */
typedef struct {
    int64_t first_day_ms;    /* UTC midnight, ms since the epoch */
    const int64_t *counts;   /* days values >= 0 */
    size_t days;             /* 0 .. CHARTS_MAX_DAYS */
    const char *tag;         /* the tag filtered on, or NULL for all links */
    int64_t generated_at_ms;
} charts_timeline_data_t;

/* CHARTS_OUTCOMES: captures finished on each UTC day, by final state. A NULL array
 * counts as all zeros. */
typedef struct {
    int64_t first_day_ms;
    const int64_t *ok, *partial, *failed;
    size_t days;
    int64_t generated_at_ms;
    const int64_t *blocked;   /* bot walls; drawn (and in the legend) only when
                                 non-NULL with a capture in the period */
    const int64_t *http_error;   /* taken (ok or partial) but the main document answered
                                    4xx/5xx: the picture is the site's error page. Not in
                                    ok or partial; drawn like blocked, only when there is
                                    one */
} charts_outcomes_data_t;

/* Sets *req to the defaults for kind. */
void charts_request_init(charts_request_t *req, charts_kind_t kind);

/* Renders the chart req->kind describes from data (a charts_tags_data_t,
 * charts_timeline_data_t or charts_outcomes_data_t to match the kind) as PNG or SVG,
 * appended to out (the caller inits and frees it; its cap bounds the output). */
int charts_render(const charts_request_t *req, const void *data, charts_format_t fmt,
                  buf_t *out, char *err, size_t errlen);

/* charts_render, also reporting where the time went (ms): checking and building the
 * scene, drawing it (PNG only), encoding PNG or writing SVG. For the benchmark. */
typedef struct {
    double build_ms, draw_ms, encode_ms;
} charts_timing_t;

int charts_render_timed(const charts_request_t *req, const void *data, charts_format_t fmt,
                        buf_t *out, charts_timing_t *timing, char *err, size_t errlen);

/* The chart as pixels (premultiplied RGBA at the request's scale) instead of PNG bytes,
 * for tests and the PNG encoder measurements; free with raster_canvas_free. */
int charts_render_canvas(const charts_request_t *req, const void *data, raster_canvas_t *out,
                         char *err, size_t errlen);

/* Frees the process-wide font cache (raster/font.h) and the calling thread's scratch
 * (its spare canvas and PNG buffers; other threads' go when they exit). Call once at exit,
 * when no render runs any more (the daemon after its pool stopped); a later render starts
 * it over. */
/* Frees the calling thread's spare render buffers (kept for its next render: canvas,
 * coverage band, PNG scratch and compressor); the thread renders on as before, starting
 * cold. An idle daemon calls it on each of its pool's threads. */
void charts_release_thread_memory(void);
void charts_shutdown(void);

/* Helpers for the store side: the UTC midnight at or before ms, and the number of UTC
 * days from day_ms's day to ms's day (negative when ms is earlier). */
int64_t charts_utc_day_start(int64_t ms);
int64_t charts_days_between(int64_t day_ms, int64_t ms);

#endif
