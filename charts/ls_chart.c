/* ls_chart.c -- ls-chart: reads chart data as JSON from a file and writes the chart as
 * PNG or SVG, without the daemon. For tests, golden images and the benchmark.
 *
 *   ls-chart [options] DATA.json        (DATA "-" reads stdin)
 *     -o FILE          output file (default: stdout)
 *     --svg            SVG instead of PNG
 *     --size WxH       CSS px (default 1200x440)
 *     --scale S        device px per CSS px, 1..3 (default 1)
 *     --top N          tags: bars at most (default 20)
 *     --style S        timeline: auto, bars or area
 *     --title T        replaces the chart's own title
 *     --lang L         en or zh (default: from LC_ALL, LC_MESSAGES or LANG, else en)
 *     --repeat N       render N times and print the best timings (bench)
 *
 * DATA is one of
 *   {"kind": "tags", "generated_at": "2026-11-25T10:00:00Z",
 *    "tags": [{"name": "linux", "count": 120}, ...]}
 *   {"kind": "timeline", "start": "2026-09-01", "tag": "linux", "counts": [3, 0, 5, ...]}
 *   {"kind": "outcomes", "start": "2026-09-01", "ok": [...], "partial": [...], "failed": [...]}
 * where times are RFC 3339 strings or ms since the epoch. Talks to nothing else. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts.h"
#include "util.h"

typedef struct {
    charts_request_t req;
    charts_format_t fmt;
    const char *in, *out;
    int repeat;
} opts_t;

typedef struct {
    charts_tags_data_t tags;
    charts_timeline_data_t timeline;
    charts_outcomes_data_t outcomes;
    const char **names;
    int64_t *a, *b, *c;
} data_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: ls-chart [-o FILE] [--svg] [--size WxH] [--scale S] [--top N]\n"
               "                [--style auto|bars|area] [--title T] [--repeat N] DATA.json\n");
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    charts_request_init(&o->req, CHARTS_TAGS);
    /* The first locale variable that is set decides, as for messages; unknown means en. */
    const char *loc = getenv("LC_ALL");
    if (!loc || !*loc)
        loc = getenv("LC_MESSAGES");
    if (!loc || !*loc)
        loc = getenv("LANG");
    charts_lang_parse(loc, &o->req.lang);
    o->fmt = CHARTS_PNG;
    o->in = o->out = NULL;
    o->repeat = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--svg") == 0) {
            o->fmt = CHARTS_SVG;
            takes = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->in) {
                fprintf(stderr, "ls-chart: one data file only (got %s and %s)\n", o->in, a);
                return -1;
            }
            o->in = a;
            takes = 0;
        } else if (!v) {
            fprintf(stderr, "ls-chart: %s needs a value\n", a);
            return -1;
        } else if (strcmp(a, "-o") == 0) {
            o->out = v;
        } else if (strcmp(a, "--size") == 0) {
            if (sscanf(v, "%dx%d", &o->req.width, &o->req.height) != 2) {
                fprintf(stderr, "ls-chart: --size wants WIDTHxHEIGHT, like 1200x440\n");
                return -1;
            }
        } else if (strcmp(a, "--scale") == 0) {
            char *end;
            o->req.scale = strtod(v, &end);
            if (*end || end == v) {
                fprintf(stderr, "ls-chart: --scale wants a number from 1 to 3\n");
                return -1;
            }
        } else if (strcmp(a, "--top") == 0) {
            o->req.top = atoi(v);
            if (o->req.top <= 0) {
                fprintf(stderr, "ls-chart: --top wants a number from 1 to %d\n", CHARTS_MAX_TOP);
                return -1;
            }
        } else if (strcmp(a, "--style") == 0) {
            if (strcmp(v, "auto") == 0)
                o->req.style = CHARTS_STYLE_AUTO;
            else if (strcmp(v, "bars") == 0)
                o->req.style = CHARTS_STYLE_BARS;
            else if (strcmp(v, "area") == 0)
                o->req.style = CHARTS_STYLE_AREA;
            else {
                fprintf(stderr, "ls-chart: --style is auto, bars or area\n");
                return -1;
            }
        } else if (strcmp(a, "--title") == 0) {
            o->req.title = v;
        } else if (strcmp(a, "--lang") == 0) {
            if (charts_lang_parse(v, &o->req.lang)) {
                fprintf(stderr, "ls-chart: --lang is en or zh\n");
                return -1;
            }
        } else if (strcmp(a, "--repeat") == 0) {
            o->repeat = atoi(v);
        } else {
            fprintf(stderr, "ls-chart: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        i += takes;
    }
    if (!o->in) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static int get_time(json_t *root, const char *key, int64_t *ms, int required)
{
    json_t *v = json_object_get(root, key);
    *ms = 0;
    if (!v)
        return required ? (fprintf(stderr, "ls-chart: \"%s\" is missing\n", key), -1) : 0;
    if (json_is_integer(v)) {
        *ms = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && util_parse_time(json_string_value(v), ms) == 0)
        return 0;
    fprintf(stderr, "ls-chart: \"%s\" must be an RFC 3339 time or ms since the epoch\n", key);
    return -1;
}

/* An array of counts under key (NULL when absent and optional); *n gets its length,
 * which must match *n when it is not 0 already. */
static int get_counts(json_t *root, const char *key, int64_t **out, size_t *n, int required)
{
    json_t *arr = json_object_get(root, key);
    *out = NULL;
    if (!arr)
        return required ? (fprintf(stderr, "ls-chart: \"%s\" is missing\n", key), -1) : 0;
    if (!json_is_array(arr)) {
        fprintf(stderr, "ls-chart: \"%s\" must be an array of counts\n", key);
        return -1;
    }
    size_t len = json_array_size(arr);
    if (*n && len != *n) {
        fprintf(stderr, "ls-chart: \"%s\" has %zu days, the others %zu\n", key, len, *n);
        return -1;
    }
    *n = len;
    *out = calloc(len ? len : 1, sizeof **out);
    if (!*out) {
        fprintf(stderr, "ls-chart: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v)) {
            fprintf(stderr, "ls-chart: %s[%zu] must be a whole number\n", key, i);
            return -1;
        }
        (*out)[i] = json_integer_value(v);
    }
    return 0;
}

static int load(json_t *root, opts_t *o, data_t *d)
{
    const char *kind = json_string_value(json_object_get(root, "kind"));
    if (!kind) {
        fprintf(stderr, "ls-chart: \"kind\" (tags, timeline or outcomes) is missing\n");
        return -1;
    }
    int64_t gen;
    if (get_time(root, "generated_at", &gen, 0))
        return -1;
    if (strcmp(kind, "tags") == 0) {
        o->req.kind = CHARTS_TAGS;
        json_t *tags = json_object_get(root, "tags");
        if (!json_is_array(tags)) {
            fprintf(stderr, "ls-chart: \"tags\" must be an array of {name, count}\n");
            return -1;
        }
        size_t n = json_array_size(tags);
        d->names = calloc(n ? n : 1, sizeof *d->names);
        d->a = calloc(n ? n : 1, sizeof *d->a);
        if (!d->names || !d->a) {
            fprintf(stderr, "ls-chart: out of memory\n");
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *t = json_array_get(tags, i);
            json_t *name = json_object_get(t, "name"), *count = json_object_get(t, "count");
            if (!json_is_string(name) || !json_is_integer(count)) {
                fprintf(stderr, "ls-chart: tags[%zu] needs a string \"name\" and a whole "
                        "number \"count\"\n", i);
                return -1;
            }
            d->names[i] = json_string_value(name);
            d->a[i] = json_integer_value(count);
        }
        charts_tags_data_t td = {d->names, d->a, n, gen};
        d->tags = td;
        return 0;
    }
    int64_t start;
    if (get_time(root, "start", &start, 1))
        return -1;
    size_t n = 0;
    if (strcmp(kind, "timeline") == 0) {
        o->req.kind = CHARTS_TIMELINE;
        if (get_counts(root, "counts", &d->a, &n, 1))
            return -1;
        charts_timeline_data_t td = {start, d->a, n,
                                     json_string_value(json_object_get(root, "tag")), gen};
        d->timeline = td;
        return 0;
    }
    if (strcmp(kind, "outcomes") == 0) {
        o->req.kind = CHARTS_OUTCOMES;
        if (get_counts(root, "ok", &d->a, &n, 0) || get_counts(root, "partial", &d->b, &n, 0) ||
            get_counts(root, "failed", &d->c, &n, 0))
            return -1;
        charts_outcomes_data_t od = {start, d->a, d->b, d->c, n, gen, NULL, NULL};
        d->outcomes = od;
        return 0;
    }
    fprintf(stderr, "ls-chart: unknown kind \"%s\" (tags, timeline or outcomes)\n", kind);
    return -1;
}

static const void *data_for(const opts_t *o, const data_t *d)
{
    switch (o->req.kind) {
    case CHARTS_TAGS: return &d->tags;
    case CHARTS_TIMELINE: return &d->timeline;
    default: return &d->outcomes;
    }
}

static int write_out(const char *path, const buf_t *b)
{
    FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "ls-chart: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fwrite(b->data, 1, b->len, f) == b->len;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    else
        ok = fflush(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "ls-chart: writing %s failed: %s\n", path ? path : "stdout",
                strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts_t o;
    data_t d;
    memset(&d, 0, sizeof d);
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    json_error_t jerr;
    json_t *root = strcmp(o.in, "-") == 0 ? json_loadf(stdin, 0, &jerr)
                                          : json_load_file(o.in, 0, &jerr);
    if (!root) {
        fprintf(stderr, "ls-chart: %s:%d: %s\n", o.in, jerr.line, jerr.text);
        return 1;
    }
    rc = load(root, &o, &d) ? 1 : 0;
    buf_t out;
    buf_init(&out, 0);
    char err[256];
    if (!rc) {
        charts_timing_t best = {1e9, 1e9, 1e9}, t;
        double best_total = 1e9;
        int n = o.repeat > 0 ? o.repeat : 1;
        for (int i = 0; i < n && !rc; i++) {
            buf_reset(&out);
            int e = charts_render_timed(&o.req, data_for(&o, &d), o.fmt, &out, &t, err, sizeof err);
            if (e) {
                fprintf(stderr, "ls-chart: %s\n", err);
                rc = 1;
                break;
            }
            double total = t.build_ms + t.draw_ms + t.encode_ms;
            if (total < best_total)
                best_total = total;
            if (t.build_ms < best.build_ms) best.build_ms = t.build_ms;
            if (t.draw_ms < best.draw_ms) best.draw_ms = t.draw_ms;
            if (t.encode_ms < best.encode_ms) best.encode_ms = t.encode_ms;
        }
        if (!rc && o.repeat > 0)
            fprintf(stderr, "best of %d: build %.3f ms, draw %.3f ms, encode %.3f ms, "
                    "total %.3f ms, %zu bytes\n", n, best.build_ms, best.draw_ms,
                    best.encode_ms, best_total, out.len);
    }
    if (!rc)
        rc = write_out(o.out, &out) ? 1 : 0;
    buf_free(&out);
    free(d.names);
    free(d.a);
    free(d.b);
    free(d.c);
    json_decref(root);
    charts_shutdown();
    return rc;
}
