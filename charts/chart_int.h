/* chart_int.h -- what the chart files share and nobody else sees: the theme, the build
 * context, and the helpers of layout.c (titles, text, pixel snapping) and axis.c
 * (nice ticks, numbers, dates). */
#ifndef LS_CHART_INT_H
#define LS_CHART_INT_H

#include <stdint.h>

#include "charts.h"
#include "scene.h"

typedef struct {
    raster_color_t background, title, text, muted, grid, axis, bar, area_fill;
    raster_color_t ok, partial, failed;
    raster_color_t blocked, http_error;
    double title_size, label_size, small_size;
    double pad; /* outer margin, CSS px */
} chart_theme_t;

/* The constant colours and sizes of a theme (layout.c). */
const chart_theme_t *chart_theme(charts_theme_t theme);

/* One chart being built. */
typedef struct {
    raster_scene_t *scene;
    const chart_theme_t *th;
    double w, h;     /* CSS px */
    double scale;    /* device px per CSS px, for snapping */
    char *err;
    size_t errlen;
    double top;      /* y below the title block */
    charts_lang_t lang;
    int narrow;      /* a phone-sized chart: subtitle and legend on lines of their own */
    int hints;       /* add the exact-number hover rects (SVG only: pixels cannot hover) */
} chart_ctx_t;

/* Below this width (CSS px) a chart lays out for a phone. */
#define CHART_NARROW_WIDTH 560

/* Every word a chart prints, per language. A template's "%s" marks take the strings
 * their comment names, in order, through chart_fill (templates are data, never printf
 * formats, so a translation cannot name an argument that is not there). */
typedef struct {
    const char *tags_title;     /* all the tags with links fit */
    const char *tags_top_title; /* %s: how many are shown */
    const char *tags_count;     /* %s: number of tags */
    const char *as_of;          /* %s: the time */
    const char *sep;            /* between subtitle parts */
    const char *tags_none_linked, *tags_none;
    const char *tag_hint;       /* %s tag, %s count */
    const char *timeline_title;
    const char *timeline_tag;   /* %s tag */
    const char *timeline_empty; /* %s days */
    const char *outcomes_title;
    const char *outcomes_empty; /* %s days */
    const char *ok, *partial, *failed, *blocked, *http_error;
    const char *links_n;        /* %s count */
    const char *captures_n;     /* %s count */
    const char *day_hint;       /* %s day, %s the day's numbers */
    const char *no_days;
    const char *legend_item;    /* %s name, %s total */
} chart_strings_t;

const chart_strings_t *chart_strings(charts_lang_t lang);
/* Copies tmpl into out (outlen bytes, cut at a character boundary), the first "%s" replaced
 * by a and the second by b (NULL: nothing). Returns out. */
char *chart_fill(char *out, size_t outlen, const char *tmpl, const char *a, const char *b);

/* Text helpers: fail with a message in ctx->err. */
int chart_text_width(chart_ctx_t *c, double size, int bold, const char *s, double *w);
/* A new string (caller frees): s sanitised and ellipsised to max_w. */
int chart_fit(chart_ctx_t *c, double size, int bold, const char *s, size_t len, double max_w,
              char **out);
int chart_text(chart_ctx_t *c, double size, int bold, raster_color_t col, raster_anchor_t a,
               double x, double y, const char *s);
/* strlen(s) but at most max, cut back to a code point boundary. */
size_t chart_cut_len(const char *s, size_t max);
/* The baseline that centres text of size on y. */
double chart_baseline(double y, double size);

/* Title at top left (ellipsised to leave room for the subtitle), subtitle at top right,
 * or on a line of its own under the title when both do not fit; sets c->top. */
int chart_header(chart_ctx_t *c, const char *title, const char *subtitle);
/* Whether chart_header would put the subtitle on a line of its own. */
int chart_header_wraps(chart_ctx_t *c, const char *title, const char *subtitle, int *wraps);
/* The empty state: message centred in the area under the header. */
int chart_empty(chart_ctx_t *c, const char *message);

/* Pixel snapping for crisp lines and bar edges at the render's scale: to a device
 * pixel edge, and to a device pixel centre (for 1-device-px lines). */
double chart_snap(const chart_ctx_t *c, double v);
double chart_snap_mid(const chart_ctx_t *c, double v);
/* A horizontal or vertical line one CSS px wide (whole device pixels); pass a
 * coordinate from chart_snap_mid for a crisp line. */
int chart_hline(chart_ctx_t *c, double x0, double x1, double y, raster_color_t col);
int chart_vline(chart_ctx_t *c, double x, double y0, double y1, raster_color_t col);

/* "1,234,567" for a non-negative integral value (up to ~1e19). out: 40 bytes. */
char *chart_format_count(double v, char out[40]);
/* The same for an exact count (a double loses digits past 2^53). */
char *chart_format_int(int64_t v, char out[40]);
/* "2026-11-25 10:00 UTC". out: 40 bytes. */
char *chart_format_time(int64_t ms, char out[40]);
/* "Nov 25" / "Nov 25, 2026" / "Nov 2026" (with_year 0, 1, 2), or in Chinese
 * "11月25日" / "2026年11月25日" / "2026年11月". */
char *chart_format_day(charts_lang_t lang, int64_t day_ms, int with_year, char out[40]);

/* Ticks 0, step, 2*step .. max covering vmax with about target intervals, steps of
 * 1, 2 or 5 times a power of ten, never below 1. */
typedef struct {
    double step, max;
    int n; /* intervals: ticks are i*step for i in 0..n */
} chart_ticks_t;

void chart_nice_ticks(double vmax, int target, chart_ticks_t *t);

/* Date ticks for days consecutive UTC days from first_day_ms, each day_w px wide:
 * every day, 2 days, week (Mondays), 2 weeks, or month starts every 1, 2, 3, 6 or 12
 * months, whichever is the finest whose labels do not collide. */
typedef struct {
    size_t day;
    char label[40];
} chart_date_tick_t;

int chart_date_ticks(chart_ctx_t *c, int64_t first_day_ms, size_t days, double day_w,
                     chart_date_tick_t **ticks, size_t *n);

/* The builders, one per kind (tags.c, daily.c); data already checked by charts.c. */
int chart_build_tags(chart_ctx_t *c, const charts_request_t *req, const charts_tags_data_t *d);
int chart_build_timeline(chart_ctx_t *c, const charts_request_t *req,
                         const charts_timeline_data_t *d);
int chart_build_outcomes(chart_ctx_t *c, const charts_request_t *req,
                         const charts_outcomes_data_t *d);

#endif
