/* tags.c -- the "tags" chart: horizontal bars for the top N tags by link count, the
 * count at each bar's end, labels ellipsised to a third of the width, a value axis
 * with nice ticks. Data in (charts_tags_data_t), scene ops out. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_int.h"
#include "utf8.h"

/* A label never needs more than this many bytes of its tag: the rest is ellipsised. */
#define LABEL_BYTES_MAX 1024

typedef struct {
    const char *name;
    int64_t count;
    size_t index;
} entry_t;

static int by_count_cb(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

int chart_build_tags(chart_ctx_t *c, const charts_request_t *req, const charts_tags_data_t *d)
{
    const chart_theme_t *th = c->th;
    int rc = 0;
    entry_t *e = NULL;
    char **labels = NULL;
    size_t k = 0, nonzero = 0;
    char sub[200] = "", when[40], num[40];
    const chart_strings_t *tr = chart_strings(c->lang);

    for (size_t i = 0; i < d->n; i++)
        if (d->counts[i] > 0)
            nonzero++;
    if (d->n || d->generated_at_ms) {
        char part[120];
        chart_fill(sub, sizeof sub, tr->tags_count, chart_format_int((int64_t)d->n, num), NULL);
        /* A phone has no room for the time: the page says when it loaded. */
        if (d->generated_at_ms && !c->narrow) {
            chart_fill(part, sizeof part, tr->as_of, chart_format_time(d->generated_at_ms, when),
                       NULL);
            size_t l = strlen(sub);
            snprintf(sub + l, sizeof sub - l, "%s%s", tr->sep, part);
        }
    }

    double label_size = th->label_size;
    double plot_top = 0, plot_bottom = 0, axis_h = th->small_size + 10;
    int top = req->top > 0 ? req->top : CHARTS_DEFAULT_TOP;
    /* Rows need room for a label; a short chart shows fewer bars rather than a blur. */
    double min_row = label_size + 4;
    char title[200];
    /* The number of bars decides the title, and the title whether the subtitle needs a
     * line of its own, which takes room from the bars: one line first, then two. */
    plot_bottom = c->h - th->pad - axis_h;
    for (int lines = 1; lines <= 2; lines++) {
        double header_h = th->pad + th->title_size + 14 + (lines == 2 ? th->small_size + 4 : 0);
        size_t fit = plot_bottom > header_h ? (size_t)((plot_bottom - header_h) / min_row) : 0;
        k = nonzero < (size_t)top ? nonzero : (size_t)top;
        if (k > fit)
            k = fit;
        if (k == 0 && nonzero > 0)
            k = 1;
        char shown[24];
        snprintf(shown, sizeof shown, "%zu", k);
        if (k == nonzero)
            snprintf(title, sizeof title, "%s", tr->tags_title);
        else
            chart_fill(title, sizeof title, tr->tags_top_title, shown, NULL);
        int wraps = 0;
        rc = chart_header_wraps(c, req->title ? req->title : title, sub, &wraps);
        if (rc)
            return rc;
        if (!wraps)
            break;
    }
    rc = chart_header(c, req->title ? req->title : title, sub);
    if (rc)
        return rc;
    plot_top = c->top;
    if (nonzero == 0)
        return chart_empty(c, d->n ? tr->tags_none_linked : tr->tags_none);

    e = malloc(nonzero * sizeof *e);
    labels = calloc(k, sizeof *labels);
    if (!e || !labels) {
        rc = -ENOMEM;
        snprintf(c->err, c->errlen, "out of memory sorting %zu tags", d->n);
        goto fail;
    }
    size_t m = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->counts[i] > 0) {
            entry_t x = {d->names[i], d->counts[i], i};
            e[m++] = x;
        }
    qsort(e, m, sizeof *e, by_count_cb);

    /* Columns: labels (at most 30% of the width), bars, counts. */
    double inner = c->w - 2 * th->pad;
    double label_max = inner * (c->narrow ? 0.4 : 0.3), label_w = 0, count_w = 0;
    for (size_t i = 0; i < k && !rc; i++) {
        rc = chart_fit(c, label_size, 0, e[i].name, chart_cut_len(e[i].name, LABEL_BYTES_MAX),
                       label_max, &labels[i]);
        double w = 0;
        if (!rc)
            rc = chart_text_width(c, label_size, 0, labels[i], &w);
        if (w > label_w)
            label_w = w;
    }
    if (!rc)
        rc = chart_text_width(c, th->small_size, 0, chart_format_int(e[0].count, num),
                              &count_w);
    if (rc)
        goto fail;
    double x0 = chart_snap(c, th->pad + label_w + 10);
    double x1 = c->w - th->pad - count_w - 8;
    if (x1 < x0 + 10)
        x1 = x0 + 10;
    chart_ticks_t ticks;
    /* One tick per 110 px at most, and never more than the widest number's room. */
    double tick_w = 0;
    rc = chart_text_width(c, th->small_size, 0, chart_format_int(e[0].count, num), &tick_w);
    if (rc)
        goto fail;
    double per_tick = tick_w + 24 > 110 ? tick_w + 24 : 110;
    int target = (int)((x1 - x0) / per_tick);
    chart_nice_ticks((double)e[0].count, target < 2 ? 2 : target > 10 ? 10 : target, &ticks);
    double scale = (x1 - x0) / ticks.max;

    /* Grid and value axis. */
    double gy0 = plot_top - 4, gy1 = plot_bottom;
    for (int i = 0; i <= ticks.n && !rc; i++) {
        double v = ticks.step * i, x = chart_snap_mid(c, x0 + v * scale);
        rc = chart_vline(c, x, gy0, gy1, i == 0 ? th->axis : th->grid);
        if (!rc)
            rc = chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_MIDDLE, x,
                            gy1 + 6 + th->small_size * 0.8, chart_format_count(v, num));
    }

    /* Bars, labels, counts. */
    double row_h = (plot_bottom - plot_top) / (double)k;
    double bar_h = row_h * 0.72 > 28 ? 28 : row_h * 0.72;
    for (size_t i = 0; i < k && !rc; i++) {
        double cy = plot_top + row_h * ((double)i + 0.5);
        double bx1 = x0 + (double)e[i].count * scale;
        double by0 = chart_snap(c, cy - bar_h / 2), by1 = chart_snap(c, cy + bar_h / 2);
        double bw = chart_snap(c, bx1) - x0;
        if (bw < 1 / c->scale)
            bw = 1 / c->scale; /* a count above zero always shows */
        rc = raster_scene_rect(c->scene, x0, by0, bw, by1 - by0, th->bar);
        if (!rc)
            rc = chart_text(c, label_size, 0, th->text, RASTER_ANCHOR_END, x0 - 8,
                            chart_baseline(cy, label_size), labels[i]);
        if (!rc)
            rc = chart_text(c, th->small_size, 0, th->title, RASTER_ANCHOR_START, x0 + bw + 5,
                            chart_baseline(cy, th->small_size),
                            chart_format_int(e[i].count, num));
        if (!rc && c->hints) {
            /* The whole row answers a hover with the tag's full name and exact count. */
            char *name = raster_utf8_sanitize(e[i].name, chart_cut_len(e[i].name, 300));
            char *hint = name ? malloc(strlen(name) + 120) : NULL;
            if (!hint) {
                free(name);
                rc = -ENOMEM;
                snprintf(c->err, c->errlen, "out of memory labelling the bars");
                break;
            }
            chart_fill(hint, strlen(name) + 120, tr->tag_hint, name, chart_format_int(e[i].count, num));
            rc = raster_scene_hint(c->scene, th->pad, cy - row_h / 2, c->w - 2 * th->pad, row_h,
                                   hint);
            free(hint);
            free(name);
        }
    }
fail:
    for (size_t i = 0; labels && i < k; i++)
        free(labels[i]);
    free(labels);
    free(e);
    return rc;
}
