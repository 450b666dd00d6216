/* methods_chart.c -- chart.render: reads a chart's data from the store (tag counts, links
 * per day, captures per day by outcome) and draws it with charts/ as PNG or SVG in the
 * language asked for, returned either written to a file in the state dir (charts/,
 * atomically; the reply names it) or, with inline, base64-encoded in the reply; with table,
 * the same numbers as rows for the page's table view. Runs on a thread-pool thread (METHOD_HEAVY): a
 * render is a few ms of CPU and must not hold the loop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "charts.h"
#include "config.h"
#include "method.h"
#include "util.h"

#define DAY_MS 86400000LL
/* Chart files kept in the state dir; past this the oldest go (a render is cheap to redo). */
#define CHART_FILES_KEPT 256
/* A 4096x4096 PNG of noise would be ~50 MiB; charts are far below. */
#define CHART_MAX_BYTES (64u << 20)

typedef struct {
    store_tag_t *tags;
    const char **names;
    int64_t *counts, *a, *b, *c;
} chart_data_t;

static void chart_data_free(chart_data_t *d)
{
    free(d->tags);
    free(d->names);
    free(d->counts);
    free(d->a);
    free(d->b);
    free(d->c);
}

static int parse_enum(method_call_t *call, const char *name, const char *const *values,
                      int fallback, int *out)
{
    const char *v = NULL;
    if (param_string(call, name, 0, &v))
        return -1;
    *out = fallback;
    if (!v)
        return 0;
    for (int i = 0; values[i]; i++)
        if (!strcmp(v, values[i])) {
            *out = i;
            return 0;
        }
    return method_fail(call, RPC_INVALID_PARAMS, "param '%s' must be one of %s%s%s%s%s", name,
                       values[0], values[1] ? ", " : "", values[1] ? values[1] : "",
                       values[1] && values[2] ? ", " : "", values[1] && values[2] ? values[2] : "");
}

/* Keeps at most CHART_FILES_KEPT files in dir, removing the least recently written.
 * Runs on the render's pool thread; renders racing here may both remove a file: fine. */
static void chart_dir_trim(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct { char name[128]; struct timespec mtime; } *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (de->d_name[0] == '.' || strlen(de->d_name) >= 128 || !strcmp(de->d_name, keep) ||
            fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 512;
            void *nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", de->d_name);
        v[n++].mtime = st.st_mtim;
    }
    while (n + 1 > CHART_FILES_KEPT) {   /* + the file just written, never removed */
        size_t oldest = 0;
        for (size_t i = 1; i < n; i++)
            if (v[i].mtime.tv_sec < v[oldest].mtime.tv_sec ||
                (v[i].mtime.tv_sec == v[oldest].mtime.tv_sec && v[i].mtime.tv_nsec < v[oldest].mtime.tv_nsec))
                oldest = i;
        unlinkat(dirfd(d), v[oldest].name, 0);
        v[oldest] = v[--n];
    }
    free(v);
    closedir(d);
}

typedef struct {
    const char *name;
    int64_t count;
} tag_row_t;

static int tag_row_cmp_cb(const void *a, const void *b)
{
    const tag_row_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The rows' layout, named in the reply (table_version, table_columns) so a client knows
 * which columns a row has. Version 2 (issue 23) gave outcomes the http_error column: a
 * capture taken (ok, partial) of a 4xx/5xx page, no longer counted in ok or partial. */
#define CHART_TABLE_VERSION 2
static const char *const table_columns[][7] = {
    [CHARTS_TAGS] = {"tag", "links", NULL},
    [CHARTS_TIMELINE] = {"day", "links", NULL},
    [CHARTS_OUTCOMES] = {"day", "ok", "partial", "failed", "blocked", "http_error", NULL},
};

/* The chart's numbers as rows, in the chart's order: tags [name, links] (the top ones
 * with links, as drawn), days ["YYYY-MM-DD", links] or ["YYYY-MM-DD", ok, partial,
 * failed, blocked, http_error]. NULL when out of memory. */
static json_t *chart_table(charts_kind_t kind, const void *data, int top)
{
    json_t *rows = json_array();
    if (!rows)
        return NULL;
    if (kind == CHARTS_TAGS) {
        const charts_tags_data_t *d = data;
        tag_row_t *v = malloc((d->n ? d->n : 1) * sizeof *v);
        if (!v)
            goto fail;
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++)
            if (d->counts[i] > 0) {
                v[n].name = d->names[i];
                v[n++].count = d->counts[i];
            }
        qsort(v, n, sizeof *v, tag_row_cmp_cb);
        for (size_t i = 0; i < n && i < (size_t)top; i++)
            if (json_array_append_new(rows, json_pack("[s,I]", v[i].name, (json_int_t)v[i].count))) {
                free(v);
                goto fail;
            }
        free(v);
        return rows;
    }
    const charts_timeline_data_t *tl = kind == CHARTS_TIMELINE ? data : NULL;
    const charts_outcomes_data_t *oc = kind == CHARTS_OUTCOMES ? data : NULL;
    size_t days = tl ? tl->days : oc->days;
    int64_t first = tl ? tl->first_day_ms : oc->first_day_ms;
    for (size_t i = 0; i < days; i++) {
        time_t t = (time_t)((first + (int64_t)i * DAY_MS) / 1000);
        struct tm tm;
        char day[16];
        if (!gmtime_r(&t, &tm))
            goto fail;
        snprintf(day, sizeof day, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        json_t *row = tl ? json_pack("[s,I]", day, (json_int_t)tl->counts[i])
                         : json_pack("[s,I,I,I,I,I]", day, (json_int_t)(oc->ok ? oc->ok[i] : 0),
                                     (json_int_t)(oc->partial ? oc->partial[i] : 0),
                                     (json_int_t)(oc->failed ? oc->failed[i] : 0),
                                     (json_int_t)(oc->blocked ? oc->blocked[i] : 0),
                                     (json_int_t)(oc->http_error ? oc->http_error[i] : 0));
        if (json_array_append_new(rows, row))
            goto fail;
    }
    return rows;
fail:
    json_decref(rows);
    return NULL;
}

/* chart.render's params, checked: what to draw (req), in which format, and what the
 * reply carries. */
typedef struct {
    charts_request_t req;
    int kind, format, want_inline, want_table;
    int64_t days;
    const char *tag;   /* borrowed from params */
} render_args_t;

/* Reads and checks chart.render's params. Returns 0, or fails the call and returns -1. */
static int render_args(method_call_t *call, render_args_t *a)
{
    static const char *const known[] = {"kind", "format", "width", "height", "scale", "top",
                                        "days", "tag", "style", "inline", "lang", "table", "theme",
                                        NULL};
    static const char *const kinds[] = {"tags", "timeline", "outcomes", NULL};
    static const char *const formats[] = {"png", "svg", NULL};
    static const char *const styles[] = {"auto", "bars", "area", NULL};
    const char *kind_name = NULL, *lang = NULL, *theme = NULL;
    int style;
    int64_t width = 0, height = 0, top = 0;
    memset(a, 0, sizeof *a);
    a->days = CHARTS_DEFAULT_DAYS;
    if (param_reject_unknown(call, known) || param_string(call, "kind", 1, &kind_name) ||
        parse_enum(call, "kind", kinds, 0, &a->kind) ||
        parse_enum(call, "format", formats, 0, &a->format) ||
        parse_enum(call, "style", styles, 0, &style) ||
        param_int(call, "width", 0, 0, INT32_MAX, &width) ||
        param_int(call, "height", 0, 0, INT32_MAX, &height) ||
        param_int(call, "top", 0, 0, INT32_MAX, &top) ||
        param_int(call, "days", 0, 1, CHARTS_MAX_DAYS, &a->days) ||
        param_string(call, "tag", 0, &a->tag) || param_bool(call, "inline", 0, &a->want_inline) ||
        param_string(call, "lang", 0, &lang) || param_bool(call, "table", 0, &a->want_table) ||
        param_string(call, "theme", 0, &theme))
        return -1;
    charts_theme_t theme_id = CHARTS_THEME_LIGHT;
    if (theme && charts_theme_parse(theme, &theme_id))
        return method_fail(call, RPC_INVALID_PARAMS, "param 'theme' must be light or dark");
    charts_lang_t lang_id = CHARTS_LANG_EN;
    if (lang && charts_lang_parse(lang, &lang_id))
        return method_fail(call, RPC_INVALID_PARAMS, "param 'lang' must be en or zh");
    json_t *js = json_object_get(call->params, "scale");
    if (js && !json_is_number(js))
        return method_fail(call, RPC_INVALID_PARAMS, "param 'scale' must be a number from 1 to %d",
                           CHARTS_MAX_SCALE);
    if (a->tag && a->kind != CHARTS_TIMELINE)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'tag' applies to the timeline only");

    charts_request_init(&a->req, (charts_kind_t)a->kind);
    a->req.width = (int)width;
    a->req.height = (int)height;
    a->req.scale = js ? json_number_value(js) : 1;
    a->req.top = (int)top;
    a->req.style = (charts_style_t)style;
    a->req.lang = lang_id;
    a->req.theme = theme_id;
    return 0;
}

static int m_chart_render(method_call_t *call)
{
    static const char *const kinds[] = {"tags", "timeline", "outcomes", NULL};
    static const char *const formats[] = {"png", "svg", NULL};
    render_args_t args;
    if (render_args(call, &args))
        return -1;
    charts_request_t req = args.req;
    const int kind = args.kind, format = args.format, want_inline = args.want_inline,
              want_table = args.want_table;
    const int64_t days = args.days;
    const char *tag = args.tag;
    const charts_lang_t lang_id = req.lang;

    /* The last day is today (UTC); the first, days - 1 before it. */
    int64_t first = charts_utc_day_start(call->now_ms) - (days - 1) * DAY_MS;
    chart_data_t d;
    memset(&d, 0, sizeof d);
    charts_tags_data_t td;
    charts_timeline_data_t tl;
    charts_outcomes_data_t oc;
    int64_t *blocked = NULL;
    const void *data;
    int rc;
    if (kind == CHARTS_TAGS) {
        size_t n = 0;
        rc = store_tag_list(call->db, &d.tags, &n);
        if (rc)
            return method_fail_store(call, rc, NULL);
        d.names = malloc((n ? n : 1) * sizeof *d.names);
        d.counts = malloc((n ? n : 1) * sizeof *d.counts);
        if (!d.names || !d.counts) {
            chart_data_free(&d);
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            d.names[i] = d.tags[i].name;
            d.counts[i] = d.tags[i].count;
        }
        charts_tags_data_t x = {.names = d.names, .counts = d.counts, .n = n,
                                .generated_at_ms = call->now_ms};
        td = x;
        data = &td;
    } else if (kind == CHARTS_TIMELINE) {
        d.a = malloc((size_t)days * sizeof *d.a);
        if (!d.a)
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        rc = store_chart_links_per_day(call->db, first, (size_t)days, tag, d.a);
        if (rc) {
            chart_data_free(&d);
            return method_fail_store(call, rc, NULL);
        }
        charts_timeline_data_t x = {.first_day_ms = first, .counts = d.a, .days = (size_t)days,
                                    .tag = tag, .generated_at_ms = call->now_ms};
        tl = x;
        data = &tl;
    } else {
        d.a = malloc((size_t)days * sizeof *d.a);
        d.b = malloc((size_t)days * sizeof *d.b);
        d.c = malloc((size_t)days * sizeof *d.c);
        if (!d.a || !d.b || !d.c) {
            chart_data_free(&d);
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        }
        rc = store_chart_outcomes_per_day(call->db, first, (size_t)days, d.a, d.b, d.c);
        if (rc) {
            chart_data_free(&d);
            return method_fail_store(call, rc, NULL);
        }
        charts_outcomes_data_t x = {.first_day_ms = first, .ok = d.a, .partial = d.b, .failed = d.c,
                                    .days = (size_t)days, .generated_at_ms = call->now_ms};
        /* captures stopped by a bot wall, and captures of a 4xx/5xx page: series of their
         * own (one allocation, blocked then http_error) */
        if (!(blocked = malloc(2 * (size_t)days * sizeof *blocked))) {
            chart_data_free(&d);
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        }
        if ((rc = store_chart_blocked_per_day(call->db, first, (size_t)days, blocked)) ||
            (rc = store_chart_http_error_per_day(call->db, first, (size_t)days, blocked + days))) {
            free(blocked);
            chart_data_free(&d);
            return method_fail_store(call, rc, NULL);
        }
        x.blocked = blocked;
        x.http_error = blocked + days;
        oc = x;
        data = &oc;
    }

    buf_t out;
    buf_init(&out, CHART_MAX_BYTES);
    char err[256];
    rc = charts_render(&req, data, (charts_format_t)format, &out, err, sizeof err);
    json_t *table = NULL;
    if (!rc && want_table) {
        table = chart_table((charts_kind_t)kind, data, req.top ? req.top : CHARTS_DEFAULT_TOP);
        if (!table) {
            chart_data_free(&d);
            buf_free(&out);
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        }
    }
    chart_data_free(&d);
    free(blocked);
    if (rc) {
        buf_free(&out);
        int code = rc == -EINVAL ? RPC_INVALID_PARAMS : rc == -ENOENT ? RPC_UNAVAILABLE
                                                                     : RPC_INTERNAL_ERROR;
        return method_fail(call, code, "%s", err);
    }
    char path[UTIL_PATH_MAX] = "";
    if (!want_inline) {
        /* one file per distinct request, rewritten by each render: never older than the
         * data it was drawn from when the reply names it */
        char *canon = json_dumps(call->params, JSON_COMPACT | JSON_SORT_KEYS);
        uint64_t h = util_fnv1a64(canon ? canon : "", canon ? strlen(canon) : 0);
        free(canon);
        char dir[UTIL_PATH_MAX];
        if (util_path(dir, "%s/charts", call->cfg->state_dir) != 0 ||
            util_path(path, "%s/%s-%016llx.%s", dir, kinds[kind], (unsigned long long)h,
                      formats[format]) != 0) {
            buf_free(&out);
            json_decref(table);
            return method_fail(call, RPC_IO_ERROR, "the chart's path under %s is too long",
                               call->cfg->state_dir);
        }
        if ((mkdir(dir, 0755) != 0 && errno != EEXIST) ||
            util_write_file_atomic(path, out.data, out.len) != 0) {
            int e = errno;
            buf_free(&out);
            json_decref(table);
            return method_fail(call, RPC_IO_ERROR, "cannot write %s: %s", path, strerror(e));
        }
        chart_dir_trim(dir, strrchr(path, '/') + 1);
    }
    char *b64 = want_inline ? util_base64_encode(out.data, out.len) : NULL;
    size_t b64_len = (out.len + 2) / 3 * 4; /* with padding */
    if (want_inline && !b64) {
        buf_free(&out);
        json_decref(table);
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    }
    call->result = json_pack("{s:s,s:s,s:s,s:i,s:i,s:f,s:I,s:I}", "kind", kinds[kind], "format",
                             formats[format], "mime", format ? "image/svg+xml" : "image/png",
                             "width", req.width ? req.width : CHARTS_DEFAULT_WIDTH, "height",
                             req.height ? req.height : CHARTS_DEFAULT_HEIGHT, "scale",
                             req.scale ? req.scale : 1.0, "bytes", (json_int_t)out.len, "days",
                             (json_int_t)(kind == CHARTS_TAGS ? 0 : days));
    /* base64 is ASCII: no UTF-8 scan of the (tens of kB) string */
    if (call->result && b64)
        json_object_set_new(call->result, "data", json_stringn_nocheck(b64, b64_len));
    if (call->result && path[0])
        json_object_set_new(call->result, "path", json_string(path));
    if (call->result)
        json_object_set_new(call->result, "lang", json_string(lang_id == CHARTS_LANG_ZH ? "zh" : "en"));
    json_t *cols = table ? json_array() : NULL;
    for (int i = 0; cols && table_columns[kind][i]; i++)
        if (json_array_append_new(cols, json_string(table_columns[kind][i]))) {
            json_decref(cols);
            cols = NULL;
        }
    if (call->result && table && cols) {
        json_object_set_new(call->result, "table", table);
        json_object_set_new(call->result, "table_version", json_integer(CHART_TABLE_VERSION));
        json_object_set_new(call->result, "table_columns", cols);
    } else {
        json_decref(table);
        json_decref(cols);
        if (table) {   /* asked for and lost to memory */
            json_decref(call->result);
            call->result = NULL;
        }
    }
    free(b64);
    buf_free(&out);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

const method_def_t methods_chart[] = {
    {.name = "chart.render", .fn = m_chart_render, .kind = METHOD_HEAVY},
    {.name = NULL},
};
