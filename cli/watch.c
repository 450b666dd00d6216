/* watch.c -- `linksnap watch`, `watches` and `unwatch`: captures on a schedule (the watch.*
 * methods), and the one line `status` and `jobs` print about what is scheduled. Its options
 * (--every, --jitter, -t) are its own, parsed here. Durations go to linksnapd as written:
 * it is the one that knows what it accepts. */
#include <stdio.h>
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
    fprintf(cli->out, "%s%lld watch%s over %lld link%s, %lld due now, next run %s\n", label, n,
            n == 1 ? "" : "es", links, links == 1 ? "" : "s", due,
            fmt_time(json_object_get(wc, "next_run"), next, sizeof next));
}

void cli_watch_footer(cli_t *cli)
{
    json_t *r = NULL, *error = NULL;
    if (cli_call_ex(cli, "daemon.status", json_object(), 0, &r, &error) == CLI_EXIT_OK)
        cli_watch_summary(cli, json_object_get(r, "watches"), "\nscheduled: ");
    json_decref(r);
    json_decref(error);
}

/* -t TAG | --tag TAG | --tag=TAG, --every V, --jitter V and at most one operand (a link
 * id) from argv[first..]; *tag, *every, *jitter stay NULL when not given. */
static int parse_args(cli_t *cli, int argc, char **argv, int first, int timing,
                      const char **id, const char **tag, const char **every, const char **jitter)
{
    *id = *tag = *every = *jitter = NULL;
    int only_operands = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || !a[1]) {
            if (*id)
                return cli_usage_error(cli, "give one link id (or -t TAG), not '%s' too", a);
            *id = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_operands = 1;
            continue;
        }
        static const struct { const char *name; int timing; } opts[] = {
            {"--tag", 0}, {"--every", 1}, {"--jitter", 1}};
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
        if (opts[k].timing && !timing)
            return cli_usage_error(cli, "%s does not take %s", cli->cmd, opts[k].name);
        if (!v && (v = i + 1 < argc ? argv[++i] : NULL) == NULL)
            return cli_usage_error(cli, "%s needs a value", a);
        if (!*v)
            return cli_usage_error(cli, "%s needs a value", opts[k].name);
        const char **slot = k == 0 ? tag : k == 1 ? every : jitter;
        if (*slot)
            return cli_usage_error(cli, "give %s once", opts[k].name);
        *slot = v;
    }
    if (!*id == !*tag)
        return cli_usage_error(cli, *id ? "give a link id or -t TAG, not both"
                                        : "give a link id or -t TAG");
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

int cli_cmd_watch(cli_t *cli, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")))
        return watch_list(cli, argc, argv, 2);
    const char *id, *tag, *every, *jitter;
    json_t *p = NULL, *r = NULL;
    int rc = parse_args(cli, argc, argv, 1, 1, &id, &tag, &every, &jitter);
    if (!rc && !every)
        rc = cli_usage_error(cli, "give --every, such as --every 6h (30m, 1d, 2w; seconds alone)");
    if (rc || (rc = target_params(cli, id, tag, &p)))
        goto done;
    json_object_set_new(p, "every", json_string(every));
    if (jitter)
        json_object_set_new(p, "jitter", json_string(jitter));
    if ((rc = cli_call(cli, "watch.set", p, &r)))
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
done:
    json_decref(r);
    return rc;
}

int cli_cmd_unwatch(cli_t *cli, int argc, char **argv)
{
    const char *id, *tag, *every, *jitter;
    json_t *p = NULL, *r = NULL;
    int rc = parse_args(cli, argc, argv, 1, 0, &id, &tag, &every, &jitter);
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
