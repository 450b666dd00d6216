/* watch.c -- `linksnap watch`, `watches` and `unwatch`: captures on a schedule (the watch.*
 * methods), and the one line `status` and `jobs` print about what is scheduled. Its options
 * (--every, --jitter, --threshold, --notify, --keep-last, --keep-mb, -t) are its own,
 * parsed here. Durations go to linksnapd as written: it is the one that knows what it
 * accepts; a threshold written as a percent is made a fraction here. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"

/* Seconds as people write them: 21600 -> "6h", 5400 -> "1h30m", 0 -> "0s". */
static const char *fmt_duration(long long s, char *out, size_t n)
{
    static const struct { char unit; long long s; } units[] = {
        {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof units / sizeof units[0] && s > 0; i++) {
        long long k = s / units[i].s;
        if (!k)
            continue;
        s -= k * units[i].s;
        int w = snprintf(out + len, n - len, "%lld%c", k, units[i].unit);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    if (!len)
        snprintf(out, n, "0s");
    return out;
}

/* An RFC 3339 time from linksnapd ("2026-12-05T11:10:16.725Z") to the minute, "2026-12-05
 * 11:10 UTC"; "-" for null. */
static const char *fmt_time(const json_t *v, char *out, size_t n)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) < 16)
        snprintf(out, n, "%s", s ? s : "-");
    else
        snprintf(out, n, "%.10s %.5s UTC", s, s + 11);
    return out;
}

/* "link #5" or "tag news". */
static const char *fmt_target(const json_t *w, char *out, size_t n)
{
    if (json_object_get(w, "link_id"))
        snprintf(out, n, "link #%lld", cli_int(w, "link_id"));
    else
        snprintf(out, n, "tag %s", cli_str(w, "tag"));
    return out;
}

void cli_watch_summary(cli_t *cli, const json_t *wc, const char *label)
{
    if (!json_is_object(wc) || cli_int(wc, "watches") == 0)
        return;
    char next[64];
    long long n = cli_int(wc, "watches"), links = cli_int(wc, "links"), due = cli_int(wc, "due");
    long long pruned = cli_int(wc, "pruned");
    fprintf(cli->out, "%s%lld watch%s over %lld link%s, %lld due now, next run %s", label, n,
            n == 1 ? "" : "es", links, links == 1 ? "" : "s", due,
            fmt_time(json_object_get(wc, "next_run"), next, sizeof next));
    /* retention: what it deleted so far (daemon.status counts it) */
    if (pruned > 0)
        fprintf(cli->out, "; %lld old capture%s pruned", pruned, pruned == 1 ? "" : "s");
    fprintf(cli->out, "\n");
}

void cli_watch_footer(cli_t *cli)
{
    json_t *r = NULL, *error = NULL;
    if (cli_call_ex(cli, "daemon.status", json_object(), 0, &r, &error) == CLI_EXIT_OK)
        cli_watch_summary(cli, json_object_get(r, "watches"), "\nscheduled: ");
    json_decref(r);
    json_decref(error);
}

/* What `watch` and `unwatch` were given: the target and the watch's settings, as
 * written (NULL: not given). */
typedef struct {
    const char *id, *tag;
    const char *every, *jitter, *threshold, *notify, *keep_last, *keep_mb;
} watch_args_t;

/* -t TAG | --tag TAG | --tag=TAG, the settings (--every V, --jitter V, --threshold F,
 * --notify URL, --keep-last N, --keep-mb N; only when `settings`) and at most one
 * operand (a link id) from argv[first..]. */
static int parse_args(cli_t *cli, int argc, char **argv, int first, int settings,
                      watch_args_t *w)
{
    memset(w, 0, sizeof *w);
    static const struct { const char *name; int setting; size_t off; } opts[] = {
        {"--tag", 0, offsetof(watch_args_t, tag)},
        {"--every", 1, offsetof(watch_args_t, every)},
        {"--jitter", 1, offsetof(watch_args_t, jitter)},
        {"--threshold", 1, offsetof(watch_args_t, threshold)},
        {"--notify", 1, offsetof(watch_args_t, notify)},
        {"--keep-last", 1, offsetof(watch_args_t, keep_last)},
        {"--keep-mb", 1, offsetof(watch_args_t, keep_mb)}};
    int only_operands = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || !a[1]) {
            if (w->id)
                return cli_usage_error(cli, "give one link id (or -t TAG), not '%s' too", a);
            w->id = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_operands = 1;
            continue;
        }
        const char *name = !strcmp(a, "-t") ? "--tag" : a, *v = NULL;
        size_t k = 0;
        for (; k < sizeof opts / sizeof opts[0]; k++) {
            size_t len = strlen(opts[k].name);
            if (!strncmp(name, opts[k].name, len) && (name[len] == '\0' || name[len] == '=')) {
                v = name[len] == '=' ? name + len + 1 : NULL;
                break;
            }
        }
        if (k == sizeof opts / sizeof opts[0])
            return cli_usage_error(cli, "unknown option '%s'", a);
        if (opts[k].setting && !settings)
            return cli_usage_error(cli, "%s does not take %s", cli->cmd, opts[k].name);
        if (!v && (v = i + 1 < argc ? argv[++i] : NULL) == NULL)
            return cli_usage_error(cli, "%s needs a value", a);
        if (!*v)
            return cli_usage_error(cli, "%s needs a value", opts[k].name);
        const char **slot = (const char **)((char *)w + opts[k].off);
        if (*slot)
            return cli_usage_error(cli, "give %s once", opts[k].name);
        *slot = v;
    }
    if (!w->id == !w->tag)
        return cli_usage_error(cli, w->id ? "give a link id or -t TAG, not both"
                                          : "give a link id or -t TAG");
    return CLI_EXIT_OK;
}

/* --threshold: a fraction of the page ("0.005") or a percent ("0.5%") into *out. The
 * range (0 to 1) is linksnapd's to check. */
static int parse_threshold(cli_t *cli, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    int pct = end && *end == '%';
    if (errno || end == s || (pct ? end[1] != '\0' : *end != '\0') || !isfinite(v))
        return cli_usage_error(cli, "--threshold: expected a fraction of the page (0.005) or a "
                               "percent (0.5%%), not '%s'", s);
    *out = pct ? v / 100 : v;
    return CLI_EXIT_OK;
}

/* --keep-last / --keep-mb: a whole number into *out (its range is linksnapd's to check). */
static int parse_count(cli_t *cli, const char *opt, const char *s, json_int_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return cli_usage_error(cli, "%s: expected a whole number, not '%s'", opt, s);
    *out = v;
    return CLI_EXIT_OK;
}

/* {link_id} or {tag} into a new params object. */
static int target_params(cli_t *cli, const char *id, const char *tag, json_t **p)
{
    json_int_t link_id = 0;
    int rc;
    *p = NULL;
    if (id && (rc = cli_parse_id(cli, id, &link_id)))
        return rc;
    *p = id ? json_pack("{s:I}", "link_id", link_id) : json_pack("{s:s}", "tag", tag);
    return *p ? CLI_EXIT_OK : cli_fail(cli, "-t: the tag is not UTF-8 text");
}

static int watch_row_cb(cli_t *cli, table_t *t, const json_t *w, void *ud)
{
    (void)cli;
    (void)ud;
    char id[32], what[256], every[64], jitter[64], links[32], next[64];
    snprintf(id, sizeof id, "%lld", cli_int(w, "id"));
    snprintf(links, sizeof links, "%lld", cli_int(w, "links"));
    const char *cells[] = {id, fmt_target(w, what, sizeof what),
                           fmt_duration(cli_int(w, "every"), every, sizeof every),
                           fmt_duration(cli_int(w, "jitter"), jitter, sizeof jitter), links,
                           fmt_time(json_object_get(w, "next_run"), next, sizeof next)};
    return table_add(t, cells);
}

static int watch_list(cli_t *cli, int argc, char **argv, int first)
{
    static const char *const header[] = {"WATCH", "WHAT", "EVERY", "JITTER", "LINKS", "NEXT RUN"};
    if (first < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[first]);
    json_t *r = NULL;
    int rc = cli_call(cli, "watch.list", json_object(), &r);
    if (!rc)
        rc = cli_print_list(cli, r, "watches", "no watches (linksnap watch ID --every 6h adds one)",
                            header, 6, 1, watch_row_cb, NULL);
    json_decref(r);
    return rc;
}

int cli_cmd_watches(cli_t *cli, int argc, char **argv)
{
    return watch_list(cli, argc, argv, 1);
}

/* The settings given besides every and jitter into p (watch.set's params). */
static int setting_params(cli_t *cli, const watch_args_t *a, json_t *p)
{
    double th = 0;
    json_int_t n = 0;
    int rc;
    if (a->threshold) {
        if ((rc = parse_threshold(cli, a->threshold, &th)))
            return rc;
        json_object_set_new(p, "threshold", json_real(th));
    }
    if (a->notify)
        json_object_set_new(p, "notify", json_string(a->notify));
    if (a->keep_last) {
        if ((rc = parse_count(cli, "--keep-last", a->keep_last, &n)))
            return rc;
        json_object_set_new(p, "keep_last", json_integer(n));
    }
    if (a->keep_mb) {
        if ((rc = parse_count(cli, "--keep-mb", a->keep_mb, &n)))
            return rc;
        json_object_set_new(p, "keep_mb", json_integer(n));
    }
    return CLI_EXIT_OK;
}

int cli_cmd_watch(cli_t *cli, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")))
        return watch_list(cli, argc, argv, 2);
    watch_args_t a;
    json_t *p = NULL, *r = NULL;
    int rc = parse_args(cli, argc, argv, 1, 1, &a);
    if (!rc && !a.every)
        rc = cli_usage_error(cli, "give --every, such as --every 6h (30m, 1d, 2w; seconds alone)");
    if (rc || (rc = target_params(cli, a.id, a.tag, &p)))
        goto done;
    json_object_set_new(p, "every", json_string(a.every));
    if (a.jitter)
        json_object_set_new(p, "jitter", json_string(a.jitter));
    if ((rc = setting_params(cli, &a, p))) {
        json_decref(p);
        goto done;
    }
    if ((rc = cli_call(cli, "watch.set", p, &r)))   /* takes p */
        goto done;
    if (cli->json) {
        cli_print_json(cli, r);
        goto done;
    }
    const json_t *w = json_object_get(r, "watch");
    char what[256], ev[64], ji[64], next[64];
    long long links = cli_int(w, "links");
    fprintf(cli->out, "%s %s every %s (jitter %s): %lld link%s, next run %s\n",
            json_is_true(json_object_get(r, "created")) ? "watching" : "changed the watch of",
            fmt_target(w, what, sizeof what), fmt_duration(cli_int(w, "every"), ev, sizeof ev),
            fmt_duration(cli_int(w, "jitter"), ji, sizeof ji), links, links == 1 ? "" : "s",
            fmt_time(json_object_get(w, "next_run"), next, sizeof next));
    /* what the watch sets besides its timing, as linksnapd keeps it */
    const json_t *th = json_object_get(w, "threshold");
    if (json_is_number(th))
        fprintf(cli->out, "  changed above %g%% of the page\n", json_number_value(th) * 100);
    if (json_is_string(json_object_get(w, "notify")))
        fprintf(cli->out, "  notify %s\n", cli_str(w, "notify"));
    if (json_object_get(w, "keep_last") || json_object_get(w, "keep_mb")) {
        fprintf(cli->out, "  keeps");
        if (json_object_get(w, "keep_last"))
            fprintf(cli->out, " the last %lld captures", cli_int(w, "keep_last"));
        if (json_object_get(w, "keep_mb"))
            fprintf(cli->out, "%s at most %lld MiB", json_object_get(w, "keep_last") ? "," : "",
                    cli_int(w, "keep_mb"));
        fprintf(cli->out, "\n");
    }
done:
    json_decref(r);
    return rc;
}

int cli_cmd_unwatch(cli_t *cli, int argc, char **argv)
{
    watch_args_t a;
    json_t *p = NULL, *r = NULL;
    int rc = parse_args(cli, argc, argv, 1, 0, &a);
    const char *id = a.id, *tag = a.tag;
    if (rc || (rc = target_params(cli, id, tag, &p)) ||
        (rc = cli_call(cli, "watch.delete", p, &r)))
        goto done;
    char what[256];
    if (id)
        snprintf(what, sizeof what, "link #%s", id);
    else
        snprintf(what, sizeof what, "tag %s", tag);
    if (cli->json)
        cli_print_json(cli, r);
    else if (json_is_true(json_object_get(r, "deleted")))
        fprintf(cli->out, "stopped watching %s\n", what);
    else
        fprintf(cli->out, "%s had no watch of its own (nothing changed)\n", what);
done:
    json_decref(r);
    return rc;
}
