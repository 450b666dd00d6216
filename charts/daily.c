/* daily.c -- the per-day charts: "timeline" (links added per day, bars or an area,
 * optionally for one tag) and "outcomes" (captures per day stacked by final state).
 * Both share one builder: a value axis with nice ticks, one slot per UTC day, a date
 * axis whose labels never collide. Data in, scene ops out. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_int.h"

#define DAY_MS 86400000LL
#define MAX_SERIES 5

typedef struct {
    int64_t first_day_ms;
    size_t days;
    const int64_t *series[MAX_SERIES]; /* NULL counts as zeros */
    const char *names[MAX_SERIES];     /* legend; NULL = no legend */
    raster_color_t colors[MAX_SERIES];
    int nseries;
    int area;
    const char *unit; /* a format with one %s for a count: "%s links" */
} daily_t;

static double value(const daily_t *d, int s, size_t i)
{
    return d->series[s] ? (double)d->series[s][i] : 0;
}

/* The legend entries' text: a name and the series' total. */
static void legend_text(chart_ctx_t *c, const daily_t *d, const double *totals, int s,
                        char text[96])
{
    char num[40];
    chart_fill(text, 96, chart_strings(c->lang)->legend_item, d->names[s],
               chart_format_count(totals[s], num));
}

/* The legend's width on one line: a swatch (10 px and a 6 px gap) and the text per
 * series, 14 px between series. */
static int legend_width(chart_ctx_t *c, const daily_t *d, const double *totals, double *out)
{
    double sum = 0;
    for (int s = 0; s < d->nseries; s++) {
        char text[96];
        double w;
        legend_text(c, d, totals, s, text);
        int rc = chart_text_width(c, c->th->small_size, 0, text, &w);
        if (rc)
            return rc;
        sum += (s ? 14 : 0) + 16 + w;
    }
    *out = sum;
    return 0;
}

/* The legend on one line, right-aligned at the top, or (below) left-aligned from x = pad
 * on the line centred on y. */
static int legend(chart_ctx_t *c, const daily_t *d, const double *totals, double y, int below)
{
    const chart_theme_t *th = c->th;
    int rc = 0;
    if (below) {
        double x = th->pad;
        for (int s = 0; s < d->nseries && !rc; s++) {
            char text[96];
            double w = 0;
            legend_text(c, d, totals, s, text);
            rc = raster_scene_rect(c->scene, chart_snap(c, x), chart_snap(c, y - 5), 10, 10,
                                   d->colors[s]);
            if (!rc)
                rc = chart_text_width(c, th->small_size, 0, text, &w);
            if (!rc)
                rc = chart_text(c, th->small_size, 0, th->text, RASTER_ANCHOR_START, x + 16,
                                chart_baseline(y, th->small_size), text);
            x += 16 + w + 14;
        }
        return rc;
    }
    double x = c->w - th->pad;
    for (int s = d->nseries - 1; s >= 0 && !rc; s--) {
        char text[96];
        double w = 0;
        legend_text(c, d, totals, s, text);
        rc = chart_text_width(c, th->small_size, 0, text, &w);
        if (!rc)
            rc = chart_text(c, th->small_size, 0, th->text, RASTER_ANCHOR_END, x,
                            chart_baseline(y, th->small_size), text);
        x -= w + 6 + 10;
        if (!rc)
            rc = raster_scene_rect(c->scene, chart_snap(c, x), chart_snap(c, y - 5), 10, 10,
                                   d->colors[s]);
        x -= 14;
    }
    return rc;
}

/* The exact numbers of day i, for its hover text: "12 links" or "ok 3 · partial 1 ·
 * failed 0". */
static void day_numbers(chart_ctx_t *c, const daily_t *d, size_t i, char *out, size_t n)
{
    const chart_strings_t *tr = chart_strings(c->lang);
    char num[40];
    if (!d->names[0]) {
        chart_fill(out, n, d->unit, chart_format_count(value(d, 0, i), num), NULL);
        return;
    }
    size_t l = 0;
    out[0] = '\0';
    for (int s = 0; s < d->nseries && l < n; s++)
        l += (size_t)snprintf(out + l, n - l, "%s%s %s", s ? tr->sep : "", d->names[s],
                              chart_format_count(value(d, s, i), num));
}

static int build_daily(chart_ctx_t *c, const char *title, const daily_t *d, int64_t generated,
                       const char *empty_msg)
{
    const chart_theme_t *th = c->th;
    double totals[MAX_SERIES] = {0}, vmax = 0, all = 0;
    for (size_t i = 0; i < d->days; i++) {
        double t = 0;
        for (int s = 0; s < d->nseries; s++) {
            t += value(d, s, i);
            totals[s] += value(d, s, i);
        }
        all += t;
        if (t > vmax)
            vmax = t;
    }
    const chart_strings_t *tr = chart_strings(c->lang);
    char sub[300] = "", a[40], b[40], num[40], when[40], total[96], part[120];
    if (d->days) {
        int64_t last = d->first_day_ms + (int64_t)(d->days - 1) * DAY_MS;
        chart_fill(total, sizeof total, d->unit, chart_format_count(all, num), NULL);
        int n = snprintf(sub, sizeof sub, "%s \xE2\x80\x93 %s%s%s",
                         chart_format_day(c->lang, d->first_day_ms, 1, a),
                         chart_format_day(c->lang, last, 1, b), tr->sep, total);
        /* A phone has no room for the time: the page says when it loaded. */
        if (generated && !c->narrow && n > 0 && (size_t)n < sizeof sub) {
            chart_fill(part, sizeof part, tr->as_of, chart_format_time(generated, when), NULL);
            snprintf(sub + n, sizeof sub - (size_t)n, "%s%s", tr->sep, part);
        }
    }
    int rc = chart_header(c, title, sub);
    if (rc)
        return rc;
    if (d->days == 0)
        return chart_empty(c, tr->no_days);
    if (!(vmax > 0))
        return chart_empty(c, empty_msg);

    double plot_top = c->top + 4;
    double axis_h = th->small_size + 12, legend_h = 0;
    int legend_below = 0;
    if (d->names[0]) {
        /* At the top right while it fits beside nothing else, else under the date axis. */
        double lw = 0;
        rc = legend_width(c, d, totals, &lw);
        legend_below = !rc && (c->narrow || lw > (c->w - 2 * th->pad) * 0.7);
        if (!rc && !legend_below) {
            rc = legend(c, d, totals, c->top + 2, 0);
            plot_top += 14;
        } else if (!rc) {
            legend_h = th->small_size + 10;
            rc = legend(c, d, totals, c->h - th->pad - th->small_size / 2, 1);
        }
    }
    double plot_bottom = c->h - th->pad - axis_h - legend_h;
    if (plot_bottom < plot_top + 10)
        plot_bottom = plot_top + 10;
    chart_ticks_t ticks;
    int target = (int)((plot_bottom - plot_top) / 50);
    chart_nice_ticks(vmax, target < 2 ? 2 : target > 8 ? 8 : target, &ticks);
    double ylabel_w = 0;
    if (!rc)
        rc = chart_text_width(c, th->small_size, 0, chart_format_count(ticks.max, num), &ylabel_w);
    if (rc)
        return rc;
    double x0 = chart_snap(c, th->pad + ylabel_w + 8), x1 = chart_snap(c, c->w - th->pad);
    double yscale = (plot_bottom - plot_top) / ticks.max;

    /* Value grid: horizontal lines with labels at the left. */
    for (int i = 0; i <= ticks.n && !rc; i++) {
        double v = ticks.step * i, y = chart_snap_mid(c, plot_bottom - v * yscale);
        rc = chart_hline(c, x0, x1, y, i == 0 ? th->axis : th->grid);
        if (!rc)
            rc = chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_END, x0 - 6,
                            chart_baseline(y, th->small_size), chart_format_count(v, num));
    }
    double day_w = (x1 - x0) / (double)d->days;
    double base = chart_snap(c, plot_bottom);

    if (d->area) {
        /* One series as an area: a translucent fill under a line through day centres. */
        raster_path_t fill, line;
        raster_path_init(&fill);
        raster_path_init(&line);
        for (size_t i = 0; i < d->days; i++) {
            double x = x0 + ((double)i + 0.5) * day_w, y = base - value(d, 0, i) * yscale;
            if (i == 0) {
                raster_path_move_to(&fill, x, base);
                raster_path_move_to(&line, x, y);
            } else {
                raster_path_line_to(&line, x, y);
            }
            raster_path_line_to(&fill, x, y);
        }
        raster_path_line_to(&fill, x0 + ((double)d->days - 0.5) * day_w, base);
        raster_path_close(&fill);
        raster_stroke_t st = raster_stroke_default(1.5);
        st.join = RASTER_JOIN_ROUND;
        st.cap = RASTER_CAP_ROUND;
        if (!rc)
            rc = raster_scene_fill(c->scene, &fill, RASTER_FILL_NONZERO, th->area_fill);
        if (!rc)
            rc = raster_scene_stroke(c->scene, &line, &st, d->colors[0]);
        raster_path_free(&fill);
        raster_path_free(&line);
    } else {
        /* Bars, stacked bottom up; a gap between days while there is room for one. */
        double gap = day_w >= 4 ? (day_w * 0.2 > 6 ? 6 : day_w * 0.2) : 0;
        for (size_t i = 0; i < d->days && !rc; i++) {
            double xa = chart_snap(c, x0 + (double)i * day_w + gap / 2);
            double xb = chart_snap(c, x0 + (double)(i + 1) * day_w - gap / 2);
            if (xb - xa < 1 / c->scale)
                xb = xa + 1 / c->scale;
            double acc = 0;
            for (int s = 0; s < d->nseries && !rc; s++) {
                double v = value(d, s, i);
                if (!(v > 0))
                    continue;
                double ya = chart_snap(c, base - (acc + v) * yscale);
                double yb = chart_snap(c, base - acc * yscale);
                if (yb - ya < 1 / c->scale)
                    ya = yb - 1 / c->scale; /* a value above zero always shows */
                rc = raster_scene_rect(c->scene, xa, ya, xb - xa, yb - ya, d->colors[s]);
                acc += v;
            }
        }
    }

    /* Every day answers a hover with its date and exact numbers. */
    for (size_t i = 0; c->hints && i < d->days && !rc; i++) {
        char day[40], nums[200], hint[260];
        chart_format_day(c->lang, d->first_day_ms + (int64_t)i * DAY_MS, 1, day);
        day_numbers(c, d, i, nums, sizeof nums);
        chart_fill(hint, sizeof hint, tr->day_hint, day, nums);
        rc = raster_scene_hint(c->scene, x0 + (double)i * day_w, plot_top, day_w,
                               base - plot_top, hint);
    }

    /* Date axis under the plot. */
    chart_date_tick_t *t = NULL;
    size_t nt = 0;
    if (!rc)
        rc = chart_date_ticks(c, d->first_day_ms, d->days, day_w, &t, &nt);
    for (size_t k = 0; k < nt && !rc; k++) {
        double x = chart_snap_mid(c, x0 + ((double)t[k].day + 0.5) * day_w), w;
        rc = chart_vline(c, x, base, base + 4, th->axis);
        if (!rc)
            rc = chart_text_width(c, th->small_size, 0, t[k].label, &w);
        if (rc)
            break;
        double lx = x;
        if (lx - w / 2 < th->pad / 2)
            lx = th->pad / 2 + w / 2;
        if (lx + w / 2 > c->w - th->pad / 2)
            lx = c->w - th->pad / 2 - w / 2;
        rc = chart_text(c, th->small_size, 0, th->muted, RASTER_ANCHOR_MIDDLE, lx,
                        base + 8 + th->small_size * 0.8, t[k].label);
    }
    free(t);
    return rc;
}

int chart_build_timeline(chart_ctx_t *c, const charts_request_t *req,
                         const charts_timeline_data_t *d)
{
    daily_t dd;
    memset(&dd, 0, sizeof dd);
    dd.first_day_ms = d->first_day_ms;
    dd.days = d->days;
    dd.series[0] = d->counts;
    dd.colors[0] = c->th->bar;
    dd.nseries = 1;
    const chart_strings_t *tr = chart_strings(c->lang);
    dd.unit = tr->links_n;
    double day_w = (c->w - 2 * c->th->pad - 40) / (double)(d->days ? d->days : 1);
    dd.area = req->style == CHARTS_STYLE_AREA || (req->style == CHARTS_STYLE_AUTO && day_w < 4);
    char title[400];
    if (d->tag) {
        char tag[301];
        size_t n = chart_cut_len(d->tag, 300);
        memcpy(tag, d->tag, n);
        tag[n] = '\0';
        chart_fill(title, sizeof title, tr->timeline_tag, tag, NULL);
    }
    else
        snprintf(title, sizeof title, "%s", tr->timeline_title);
    char empty[160];
    char days[24];
    snprintf(days, sizeof days, "%zu", d->days);
    chart_fill(empty, sizeof empty, tr->timeline_empty, days, NULL);
    return build_daily(c, req->title ? req->title : title, &dd, d->generated_at_ms, empty);
}

int chart_build_outcomes(chart_ctx_t *c, const charts_request_t *req,
                         const charts_outcomes_data_t *d)
{
    daily_t dd;
    memset(&dd, 0, sizeof dd);
    dd.first_day_ms = d->first_day_ms;
    dd.days = d->days;
    dd.series[0] = d->ok;
    dd.series[1] = d->partial;
    dd.series[2] = d->failed;
    const chart_strings_t *tr = chart_strings(c->lang);
    dd.names[0] = tr->ok;
    dd.names[1] = tr->partial;
    dd.names[2] = tr->failed;
    dd.colors[0] = c->th->ok;
    dd.colors[1] = c->th->partial;
    dd.colors[2] = c->th->failed;
    dd.nseries = 3;
    int any_blocked = 0;
    for (size_t i = 0; d->blocked && i < d->days; i++)
        any_blocked |= d->blocked[i] > 0;
    if (any_blocked) {   /* drawn only when there is one: older charts stay as they were */
        dd.series[dd.nseries] = d->blocked;
        dd.names[dd.nseries] = tr->blocked;
        dd.colors[dd.nseries++] = c->th->blocked;
    }
    int any_http = 0;
    for (size_t i = 0; d->http_error && i < d->days; i++)
        any_http |= d->http_error[i] > 0;
    if (any_http) {      /* likewise: a series of its own, in its own colour */
        dd.series[dd.nseries] = d->http_error;
        dd.names[dd.nseries] = tr->http_error;
        dd.colors[dd.nseries++] = c->th->http_error;
    }
    dd.unit = tr->captures_n;
    char empty[160];
    char days[24];
    snprintf(days, sizeof days, "%zu", d->days);
    chart_fill(empty, sizeof empty, tr->outcomes_empty, days, NULL);
    return build_daily(c, req->title ? req->title : tr->outcomes_title, &dd,
                       d->generated_at_ms, empty);
}
