/* tags.c -- the "tags" chart: horizontal bars for the top N tags by link count, the
 * count at each bar's end, labels ellipsised to a third of the width, a value axis
 * with nice ticks. Data in (charts_tags_data_t), scene ops out. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_int.h"

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
    char sub[160] = "", when[40], num[40];

    for (size_t i = 0; i < d->n; i++)
        if (d->counts[i] > 0)
            nonzero++;
    if (d->generated_at_ms)
        snprintf(sub, sizeof sub, "%s tags \xC2\xB7 as of %s", chart_format_int((int64_t)d->n, num),
                 chart_format_time(d->generated_at_ms, when));
    else if (d->n)
        snprintf(sub, sizeof sub, "%s tags", chart_format_int((int64_t)d->n, num));

    double label_size = th->label_size;
    double plot_top = 0, plot_bottom = 0, axis_h = th->small_size + 10;
    int top = req->top > 0 ? req->top : CHARTS_DEFAULT_TOP;
    /* Rows need room for a label; a short chart shows fewer bars rather than a blur. */
    double min_row = label_size + 4;
    char title[96];
    {
        /* The number of bars decides the title, so work the rows out first. */
        double header_h = th->pad + th->title_size + 14;
        plot_top = header_h;
        plot_bottom = c->h - th->pad - axis_h;
        size_t fit = plot_bottom > plot_top ? (size_t)((plot_bottom - plot_top) / min_row) : 0;
        k = nonzero < (size_t)top ? nonzero : (size_t)top;
        if (k > fit)
            k = fit;
        if (k == 0 && nonzero > 0)
            k = 1;
        if (k == nonzero)
            snprintf(title, sizeof title, "Tags by number of links");
        else
            snprintf(title, sizeof title, "Top %zu tags by number of links", k);
    }
    rc = chart_header(c, req->title ? req->title : title, sub);
    if (rc)
        return rc;
    if (nonzero == 0)
        return chart_empty(c, d->n ? "No tag has any links yet" : "No tags yet");

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
    double label_max = inner * 0.3, label_w = 0, count_w = 0;
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
    int target = (int)((x1 - x0) / 110);
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
    }
fail:
    for (size_t i = 0; labels && i < k; i++)
        free(labels[i]);
    free(labels);
    free(e);
    return rc;
}
