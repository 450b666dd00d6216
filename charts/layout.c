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

const chart_theme_t *chart_theme(charts_theme_t which)
{
    /* the page's dark colours (app.css): its background, text and lines, and series
     * colours lifted to read on it */
    static const chart_theme_t dark = {
        .background = {17, 20, 24, 255}, /* #111418, the page's --bg */
        .title = {230, 233, 237, 255},   /* #e6e9ed */
        .text = {201, 208, 216, 255},    /* #c9d0d8 */
        .muted = {163, 173, 184, 255},   /* #a3adb8 */
        .grid = {46, 54, 65, 255},       /* #2e3641 */
        .axis = {110, 119, 129, 255},    /* #6e7781 */
        .bar = {122, 162, 255, 255},     /* #7aa2ff, the page's accent */
        .area_fill = {122, 162, 255, 72},
        .ok = {95, 208, 138, 255},       /* #5fd08a */
        .partial = {240, 192, 90, 255},  /* #f0c05a */
        .failed = {255, 138, 128, 255},  /* #ff8a80 */
        .blocked = {177, 140, 255, 255}, /* #b18cff */
        .http_error = {255, 166, 87, 255},   /* #ffa657 */
        .title_size = 16,
        .label_size = 12,
        .small_size = 11,
        .pad = 16,
    };
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
        .http_error = {188, 76, 0, 255},     /* #bc4c00 */
        .title_size = 16,
        .label_size = 12,
        .small_size = 11,
        .pad = 16,
    };
    return which == CHARTS_THEME_DARK ? &dark : &theme;
}

const chart_strings_t *chart_strings(charts_lang_t lang)
{
    static const chart_strings_t en = {
        .tags_title = "Tags by number of links",
        .tags_top_title = "Top %s tags by number of links",
        .tags_count = "%s tags",
        .as_of = "as of %s",
        .sep = " \xC2\xB7 ",
        .tags_none_linked = "No tag has any links yet",
        .tags_none = "No tags yet",
        .tag_hint = "%s: %s links",
        .timeline_title = "Links added per day",
        .timeline_tag = "Links added per day \xC2\xB7 tag: %s",
        .timeline_empty = "No links added in these %s days",
        .outcomes_title = "Captures per day by outcome",
        .outcomes_empty = "No captures finished in these %s days",
        .ok = "ok",
        .partial = "partial",
        .failed = "failed",
        .blocked = "blocked",
        .http_error = "http error",
        .links_n = "%s links",
        .captures_n = "%s captures",
        .day_hint = "%s: %s",
        .no_days = "No days to show",
        .legend_item = "%s %s",
    };
    /* 标签 · 截至 · 每日新增链接 ... in UTF-8 escapes, so the file stays ASCII. */
    static const chart_strings_t zh = {
        .tags_title = "\xE5\x90\x84\xE6\xA0\x87\xE7\xAD\xBE\xE7\x9A\x84\xE9\x93\xBE"
                      "\xE6\x8E\xA5\xE6\x95\xB0",                       /* 各标签的链接数 */
        .tags_top_title = "\xE9\x93\xBE\xE6\x8E\xA5\xE6\x95\xB0\xE6\x9C\x80\xE5\xA4\x9A"
                          "\xE7\x9A\x84\xE5\x89\x8D %s \xE4\xB8\xAA\xE6\xA0\x87\xE7\xAD\xBE",
                          /* 链接数最多的前 N 个标签 */
        .tags_count = "%s \xE4\xB8\xAA\xE6\xA0\x87\xE7\xAD\xBE",       /* N 个标签 */
        .as_of = "\xE6\x88\xAA\xE8\x87\xB3 %s",                         /* 截至 */
        .sep = " \xC2\xB7 ",
        .tags_none_linked = "\xE8\xBF\x98\xE6\xB2\xA1\xE6\x9C\x89\xE5\xB8\xA6\xE9\x93"
                            "\xBE\xE6\x8E\xA5\xE7\x9A\x84\xE6\xA0\x87\xE7\xAD\xBE",
                            /* 还没有带链接的标签 */
        .tags_none = "\xE8\xBF\x98\xE6\xB2\xA1\xE6\x9C\x89\xE6\xA0\x87\xE7\xAD\xBE",
                     /* 还没有标签 */
        .tag_hint = "%s\xEF\xBC\x9A%s \xE6\x9D\xA1\xE9\x93\xBE\xE6\x8E\xA5", /* ：N 条链接 */
        .timeline_title = "\xE6\xAF\x8F\xE6\x97\xA5\xE6\x96\xB0\xE5\xA2\x9E\xE9\x93\xBE"
                          "\xE6\x8E\xA5",                                 /* 每日新增链接 */
        .timeline_tag = "\xE6\xAF\x8F\xE6\x97\xA5\xE6\x96\xB0\xE5\xA2\x9E\xE9\x93\xBE"
                        "\xE6\x8E\xA5 \xC2\xB7 \xE6\xA0\x87\xE7\xAD\xBE\xEF\xBC\x9A%s",
                        /* 每日新增链接 · 标签：T */
        .timeline_empty = "\xE8\xBF\x99 %s \xE5\xA4\xA9\xE6\xB2\xA1\xE6\x9C\x89\xE6\x96"
                          "\xB0\xE5\xA2\x9E\xE9\x93\xBE\xE6\x8E\xA5", /* 这 N 天没有新增链接 */
        .outcomes_title = "\xE6\xAF\x8F\xE6\x97\xA5\xE5\xBF\xAB\xE7\x85\xA7\xE7\xBB\x93"
                          "\xE6\x9E\x9C",                                 /* 每日快照结果 */
        .outcomes_empty = "\xE8\xBF\x99 %s \xE5\xA4\xA9\xE6\xB2\xA1\xE6\x9C\x89\xE5\xAE"
                          "\x8C\xE6\x88\x90\xE7\x9A\x84\xE5\xBF\xAB\xE7\x85\xA7",
                          /* 这 N 天没有完成的快照 */
        .ok = "\xE6\x88\x90\xE5\x8A\x9F",                               /* 成功 */
        .partial = "\xE9\x83\xA8\xE5\x88\x86",                          /* 部分 */
        .failed = "\xE5\xA4\xB1\xE8\xB4\xA5",                           /* 失败 */
        .blocked = "\xE8\xA2\xAB\xE6\x8B\xA6\xE6\x88\xAA",            /* 被拦截 */
        .http_error = "HTTP \xE9\x94\x99\xE8\xAF\xAF",                   /* HTTP 错误 */
        .links_n = "%s \xE6\x9D\xA1\xE9\x93\xBE\xE6\x8E\xA5",          /* N 条链接 */
        .captures_n = "%s \xE6\xAC\xA1\xE5\xBF\xAB\xE7\x85\xA7",       /* N 次快照 */
        .day_hint = "%s\xEF\xBC\x9A%s",                                   /* D：… */
        .no_days = "\xE6\xB2\xA1\xE6\x9C\x89\xE5\x8F\xAF\xE6\x98\xBE\xE7\xA4\xBA\xE7"
                   "\x9A\x84\xE6\x97\xA5\xE6\x9C\x9F",                   /* 没有可显示的日期 */
        .legend_item = "%s %s",
    };
    return lang == CHARTS_LANG_ZH ? &zh : &en;
}

char *chart_fill(char *out, size_t outlen, const char *tmpl, const char *a, const char *b)
{
    if (outlen == 0)
        return out;
    const char *args[2] = {a, b};
    size_t o = 0, next = 0;
    for (const char *p = tmpl; *p;) {
        const char *piece = p;
        size_t len = 1;
        if (p[0] == '%' && p[1] == 's') {
            piece = next < 2 && args[next] ? args[next] : "";
            next++;
            len = strlen(piece);
            p += 2;
        } else {
            p++;
        }
        if (o + len >= outlen) {   /* cut whole characters only */
            len = chart_cut_len(piece, outlen - 1 - o);
            memcpy(out + o, piece, len);
            o += len;
            break;
        }
        memcpy(out + o, piece, len);
        o += len;
    }
    out[o] = '\0';
    return out;
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

int chart_header_wraps(chart_ctx_t *c, const char *title, const char *subtitle, int *wraps)
{
    double tw = 0, sw = 0;
    *wraps = 0;
    if (!subtitle || !*subtitle)
        return 0;
    int rc = chart_text_width(c, c->th->title_size, 1, title, &tw);
    if (!rc)
        rc = chart_text_width(c, c->th->small_size, 0, subtitle, &sw);
    *wraps = !rc && tw + 16 + sw > c->w - 2 * c->th->pad;
    return rc;
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
    int below = 0; /* the subtitle on a line of its own */
    if (!rc && subtitle && *subtitle) {
        rc = chart_header_wraps(c, title, subtitle, &below);
        /* On one line the title keeps up to 60% of the width, the subtitle the rest. */
        double keep = title_w < avail * 0.6 ? title_w : avail * 0.6;
        if (!rc)
            rc = chart_fit(c, th->small_size, 0, subtitle, strlen(subtitle),
                           below ? avail : avail - keep - 16, &s);
        if (!rc)
            rc = chart_text_width(c, th->small_size, 0, s, &sub_w);
    }
    if (!rc)
        rc = chart_fit(c, th->title_size, 1, title, strlen(title),
                       avail - (sub_w > 0 && !below ? sub_w + 16 : 0), &t);
    if (!rc)
        rc = chart_text(c, th->title_size, 1, th->title, RASTER_ANCHOR_START, th->pad,
                        chart_baseline(y, th->title_size), t);
    double y2 = y + th->title_size * 0.5 + 4 + th->small_size * 0.5;
    if (!rc && s && *s)
        rc = below ? chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_START, th->pad,
                                chart_baseline(y2, th->small_size), s)
                   : chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_END, c->w - th->pad,
                                chart_baseline(y, th->title_size), s);
    free(t);
    free(s);
    c->top = th->pad + th->title_size + 14 + (below ? th->small_size + 4 : 0);
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
