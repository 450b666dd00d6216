/* axis.c -- axis arithmetic for the charts: "nice" value ticks (1-2-5), counts with
 * thousands separators, UTC dates in English or Chinese, and date ticks that do not
 * collide.
 * Locale-independent on purpose: a chart reads the same whatever LC_* the daemon has. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart_int.h"

#define DAY_MS 86400000LL

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void chart_nice_ticks(double vmax, int target, chart_ticks_t *t)
{
    if (target < 1)
        target = 1;
    if (!(vmax > 0) || !isfinite(vmax)) {
        t->step = 1;
        t->n = 1;
        t->max = 1;
        return;
    }
    double raw = vmax / target;
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    if (step < 1)
        step = 1;
    t->step = step;
    t->n = (int)ceil(vmax / step - 1e-9);
    if (t->n < 1)
        t->n = 1;
    t->max = t->n * step;
}

static char *group_digits(const char *digits, char out[40])
{
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < 40; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

char *chart_format_count(double v, char out[40])
{
    char digits[40];
    if (!(v >= 0) || !isfinite(v))
        v = 0;
    snprintf(digits, sizeof digits, "%.0f", v);
    return group_digits(digits, out);
}

char *chart_format_int(int64_t v, char out[40])
{
    char digits[40];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? 0 : v));
    return group_digits(digits, out);
}

static int utc_tm(int64_t ms, struct tm *tm)
{
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)s;
    return gmtime_r(&t, tm) ? 0 : -1;
}

char *chart_format_time(int64_t ms, char out[40])
{
    struct tm tm;
    if (utc_tm(ms, &tm)) {
        snprintf(out, 40, "?");
        return out;
    }
    snprintf(out, 40, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min);
    return out;
}

char *chart_format_day(charts_lang_t lang, int64_t day_ms, int with_year, char out[40])
{
    struct tm tm;
    if (utc_tm(day_ms, &tm)) {
        snprintf(out, 40, "?");
        return out;
    }
    if (lang == CHARTS_LANG_ZH) {
        if (with_year == 2)
            snprintf(out, 40, "%d\xE5\xB9\xB4%d\xE6\x9C\x88", tm.tm_year + 1900, tm.tm_mon + 1);
        else if (with_year)
            snprintf(out, 40, "%d\xE5\xB9\xB4%d\xE6\x9C\x88%d\xE6\x97\xA5", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday);
        else
            snprintf(out, 40, "%d\xE6\x9C\x88%d\xE6\x97\xA5", tm.tm_mon + 1, tm.tm_mday);
        return out;
    }
    if (with_year == 2)
        snprintf(out, 40, "%s %d", MONTHS[tm.tm_mon], tm.tm_year + 1900);
    else if (with_year)
        snprintf(out, 40, "%s %d, %d", MONTHS[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
    else
        snprintf(out, 40, "%s %d", MONTHS[tm.tm_mon], tm.tm_mday);
    return out;
}

int64_t charts_utc_day_start(int64_t ms)
{
    int64_t d = ms / DAY_MS;
    if (ms % DAY_MS < 0)
        d--;
    return d * DAY_MS;
}

int64_t charts_days_between(int64_t day_ms, int64_t ms)
{
    return (charts_utc_day_start(ms) - charts_utc_day_start(day_ms)) / DAY_MS;
}

/* Widest label of a kind, measured over every month name. */
static int widest(chart_ctx_t *c, int months_only, double *w)
{
    *w = 0;
    for (int m = 0; m < 12; m++) {
        char s[40];
        /* the 28th of month m of 2000 (or the month itself) in the chart's language:
         * digits have one width, so any two-digit day measures the same */
        static const int starts[12] = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335};
        int64_t day = (10957 + starts[m] + (months_only ? 0 : 27)) * DAY_MS;
        chart_format_day(c->lang, day, months_only ? 2 : 0, s);
        double x;
        int rc = chart_text_width(c, c->th->small_size, 0, s, &x);
        if (rc)
            return rc;
        if (x > *w)
            *w = x;
    }
    return 0;
}

int chart_date_ticks(chart_ctx_t *c, int64_t first_day_ms, size_t days, double day_w,
                     chart_date_tick_t **ticks, size_t *n)
{
    *ticks = NULL;
    *n = 0;
    if (days == 0)
        return 0;
    double day_label, month_label;
    int rc = widest(c, 0, &day_label);
    if (!rc)
        rc = widest(c, 1, &month_label);
    if (rc)
        return rc;
    const double gap = 14;
    /* Day steps first (1, 2, 7, 14), then month steps (1, 2, 3, 6, 12). */
    static const int day_steps[] = {1, 2, 7, 14};
    static const int month_steps[] = {1, 2, 3, 6, 12, 24, 60, 120};
    int use_days = 0, step = 0;
    for (size_t i = 0; i < sizeof day_steps / sizeof day_steps[0]; i++) {
        if (day_steps[i] * day_w >= day_label + gap) {
            use_days = 1;
            step = day_steps[i];
            break;
        }
    }
    if (!use_days) {
        step = month_steps[sizeof month_steps / sizeof month_steps[0] - 1];
        for (size_t i = 0; i < sizeof month_steps / sizeof month_steps[0]; i++) {
            /* The shortest run of months (28 days per month) must hold a label. */
            if (month_steps[i] * 28 * day_w >= month_label + gap) {
                step = month_steps[i];
                break;
            }
        }
    }
    chart_date_tick_t *t = calloc(days, sizeof *t);
    if (!t) {
        snprintf(c->err, c->errlen, "out of memory laying out the date axis");
        return -ENOMEM;
    }
    size_t k = 0;
    int64_t first_epoch_day = charts_utc_day_start(first_day_ms) / DAY_MS;
    for (size_t i = 0; i < days; i++) {
        int64_t eday = first_epoch_day + (int64_t)i;
        int64_t day_ms = eday * DAY_MS;
        int pick = 0, year_label = 0;
        if (use_days) {
            /* 1970-01-01 was a Thursday: eday + 3 is a multiple of 7 on Mondays. */
            int64_t base = step >= 7 ? eday + 3 : eday;
            pick = ((base % step) + step) % step == 0;
        } else {
            struct tm tm;
            if (utc_tm(day_ms, &tm) == 0 && tm.tm_mday == 1) {
                int months = (tm.tm_year + 1900) * 12 + tm.tm_mon;
                pick = months % step == 0;
                year_label = 1;
            }
        }
        if (!pick)
            continue;
        t[k].day = i;
        if (year_label) {
            struct tm tm;
            utc_tm(day_ms, &tm);
            int zh = c->lang == CHARTS_LANG_ZH;
            if (step >= 12)
                snprintf(t[k].label, sizeof t[k].label, zh ? "%d\xE5\xB9\xB4" : "%d",
                         tm.tm_year + 1900);
            else if (tm.tm_mon == 0 || k == 0)
                chart_format_day(c->lang, day_ms, 2, t[k].label);
            else if (zh)
                snprintf(t[k].label, sizeof t[k].label, "%d\xE6\x9C\x88", tm.tm_mon + 1);
            else
                snprintf(t[k].label, sizeof t[k].label, "%s", MONTHS[tm.tm_mon]);
        } else {
            chart_format_day(c->lang, day_ms, 0, t[k].label);
        }
        k++;
    }
    *ticks = t;
    *n = k;
    return 0;
}
