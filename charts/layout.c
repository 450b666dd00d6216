/* layout.c -- the look shared by every chart: the theme, the title block, the empty
 * state, text placement and pixel snapping. Builds scene ops; knows nothing of any
 * chart kind's data. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_int.h"
#include "utf8.h"

const chart_theme_t *chart_theme(void)
{
    static const chart_theme_t theme = {
        .background = {255, 255, 255, 255},
        .title = {31, 35, 40, 255},      /* #1f2328 */
        .text = {65, 72, 80, 255},       /* #414850 */
        .muted = {110, 119, 129, 255},   /* #6e7781 */
        .grid = {216, 222, 228, 255},    /* #d8dee4 */
        .axis = {140, 149, 159, 255},    /* #8c959f */
        .bar = {76, 120, 168, 255},      /* #4c78a8 */
        .area_fill = {76, 120, 168, 72}, /* the bar colour, translucent */
        .ok = {45, 164, 78, 255},        /* #2da44e */
        .partial = {212, 167, 44, 255},  /* #d4a72c */
        .failed = {207, 34, 46, 255},    /* #cf222e */
        .blocked = {130, 80, 223, 255},  /* #8250df */
        .title_size = 16,
        .label_size = 12,
        .small_size = 11,
        .pad = 16,
    };
    return &theme;
}

int chart_text_width(chart_ctx_t *c, double size, int bold, const char *s, double *w)
{
    raster_font_t f = {NULL, bold};
    return raster_text_measure(&f, size, s, strlen(s), w, c->err, c->errlen);
}

int chart_fit(chart_ctx_t *c, double size, int bold, const char *s, size_t len, double max_w,
              char **out)
{
    char *clean = raster_utf8_sanitize(s, len);
    if (!clean) {
        snprintf(c->err, c->errlen, "out of memory preparing a label");
        return -ENOMEM;
    }
    raster_font_t f = {NULL, bold};
    int rc = raster_text_ellipsize(&f, size, clean, strlen(clean), max_w, out, c->err, c->errlen);
    free(clean);
    return rc;
}

int chart_text(chart_ctx_t *c, double size, int bold, raster_color_t col, raster_anchor_t a,
               double x, double y, const char *s)
{
    raster_text_style_t st = {NULL, bold, size, col, a};
    return raster_scene_text(c->scene, &st, s, x, y);
}

double chart_baseline(double y, double size)
{
    /* Latin capitals and CJK both sit visually centred with the baseline 0.36 em below. */
    return y + 0.36 * size;
}

int chart_header(chart_ctx_t *c, const char *title, const char *subtitle)
{
    const chart_theme_t *th = c->th;
    double y = c->th->pad + th->title_size * 0.5;
    double sub_w = 0;
    int rc = 0;
    char *t = NULL, *s = NULL;
    double avail = c->w - 2 * th->pad;
    double title_w = 0;
    rc = chart_text_width(c, th->title_size, 1, title, &title_w);
    if (!rc && subtitle && *subtitle) {
        /* The title keeps up to 60% of the width; the subtitle gets the rest. */
        double keep = title_w < avail * 0.6 ? title_w : avail * 0.6;
        rc = chart_fit(c, th->small_size, 0, subtitle, strlen(subtitle), avail - keep - 16, &s);
        if (!rc)
            rc = chart_text_width(c, th->small_size, 0, s, &sub_w);
    }
    if (!rc)
        rc = chart_fit(c, th->title_size, 1, title, strlen(title),
                       avail - (sub_w > 0 ? sub_w + 16 : 0), &t);
    if (!rc)
        rc = chart_text(c, th->title_size, 1, th->title, RASTER_ANCHOR_START, th->pad,
                        chart_baseline(y, th->title_size), t);
    if (!rc && s && *s)
        rc = chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_END, c->w - th->pad,
                        chart_baseline(y, th->title_size), s);
    free(t);
    free(s);
    c->top = th->pad + th->title_size + 14;
    return rc;
}

int chart_empty(chart_ctx_t *c, const char *message)
{
    double y = (c->top + c->h - c->th->pad) / 2;
    int rc = chart_hline(c, c->th->pad, c->w - c->th->pad, chart_snap_mid(c, c->h - c->th->pad),
                         c->th->grid);
    char *m = NULL;
    if (!rc)
        rc = chart_fit(c, c->th->label_size + 2, 0, message, strlen(message),
                       c->w - 2 * c->th->pad, &m);
    if (!rc)
        rc = chart_text(c, c->th->label_size + 2, 0, c->th->muted, RASTER_ANCHOR_MIDDLE, c->w / 2,
                        chart_baseline(y, c->th->label_size + 2), m);
    free(m);
    return rc;
}

double chart_snap(const chart_ctx_t *c, double v)
{
    return round(v * c->scale) / c->scale;
}

/* Lines are one CSS px wide, rounded to whole device pixels. */
static double line_device_px(const chart_ctx_t *c)
{
    double w = round(c->scale);
    return w < 1 ? 1 : w;
}

double chart_snap_mid(const chart_ctx_t *c, double v)
{
    return (floor(v * c->scale) + line_device_px(c) / 2) / c->scale;
}

int chart_hline(chart_ctx_t *c, double x0, double x1, double y, raster_color_t col)
{
    raster_stroke_t st = raster_stroke_default(line_device_px(c) / c->scale);
    return raster_scene_line(c->scene, x0, y, x1, y, &st, col);
}

int chart_vline(chart_ctx_t *c, double x, double y0, double y1, raster_color_t col)
{
    raster_stroke_t st = raster_stroke_default(line_device_px(c) / c->scale);
    return raster_scene_line(c->scene, x, y0, x, y1, &st, col);
}

size_t chart_cut_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}
