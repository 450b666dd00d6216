/* commands.c -- every linksnap command: turns its arguments into JSON-RPC requests, sends
 * them through the conn, and prints the results as text (tables aligned by display width)
 * or as raw JSON with --json. One function per command and one row in cli_commands[].
 * Knows the methods of docs/protocol.md; nothing of sockets. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "jsonrpc.h"
#include "opts.h"
#include "table.h"
#include "util.h"
#include "wait.h"

#define IMPORT_CONTENT_MAX ((size_t)64 << 20)   /* import.start content cap (protocol.md) */

/* ---- helpers ------------------------------------------------------------------------ */

/* Tags of a link joined by ", " into b. */
static int join_tags(const json_t *tags, buf_t *b)
{
    size_t i;
    json_t *t;
    buf_reset(b);
    if (buf_append(b, "", 0))
        return -1;
    json_array_foreach(tags, i, t)
        if (buf_printf(b, "%s%s", i ? ", " : "", json_string_value(t) ? json_string_value(t) : ""))
            return -1;
    return 0;
}

/* The address as people read it (display_url, from a daemon that sends it) or as stored. */
static const char *shown_url(const json_t *o)
{
    const char *d = cli_str(o, "display_url");
    return *d ? d : cli_str(o, "url");
}

/* A URL without its scheme: what the TITLE column shows for a link with no title. */
static const char *url_short(const char *url)
{
    const char *p = strstr(url, "://");
    return p ? p + 3 : url;
}

static const char *state_color(const char *state)
{
    if (!strcmp(state, "ok") || !strcmp(state, "done"))
        return "\033[32m";
    if (!strcmp(state, "failed") || !strcmp(state, "canceled"))
        return "\033[31m";
    if (!strcmp(state, "partial"))
        return "\033[33m";
    if (!strcmp(state, "blocked"))
        return "\033[35m";
    return "\033[2m";
}

/* The state as text, coloured on a terminal; out must hold 64 bytes. */
static const char *paint(cli_t *cli, const char *state, char *out, size_t n)
{
    if (cli->color && *state)
        snprintf(out, n, "%s%s\033[0m", state_color(state), state);
    else
        snprintf(out, n, "%s", *state ? state : "-");
    return out;
}

/* A snapshot's state for a cell: its state, and when the site answered 4xx/5xx the code
 * beside it ("ok 404 Not Found", red on a terminal): the state stays ok (the picture is
 * what the site showed) but the link is not healthy. out must hold 64 bytes. */
static const char *paint_snapshot(cli_t *cli, const json_t *snap, char *out, size_t n)
{
    const char *state = cli_str(snap, "state");
    long long code = cli_int(snap, "http_status");
    if (code < 400 || code > 599 || (strcmp(state, "ok") && strcmp(state, "partial")))
        return paint(cli, state, out, n);
    const char *why = cli_http_reason(code);
    snprintf(out, n, "%s%s %lld%s%s%s", cli->color ? "\033[31m" : "", state, code, *why ? " " : "",
             why, cli->color ? "\033[0m" : "");
    return out;
}

/* {key: id} for a positive integer, {url: arg} for anything that looks like a URL; a
 * usage error otherwise. *params owned on success. */
static int link_ref(cli_t *cli, const char *arg, const char *key, json_t **params)
{
    *params = NULL;
    if (strstr(arg, "://") || !strncmp(arg, "www.", 4))
        *params = json_pack("{s:s}", "url", arg);
    else {
        json_int_t id;
        int rc = cli_parse_id(cli, arg, &id);
        if (rc)
            return rc;
        *params = json_pack("{s:I}", key, id);
    }
    return *params ? CLI_EXIT_OK : cli_fail(cli, "out of memory");
}

static json_t *string_array(char **v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Parses options that a command without options still must reject, and checks the
 * operand count. */
static int plain_args(cli_t *cli, int argc, char **argv, int min, int max, const char *what,
                      opts_t *o)
{
    int rc = opts_parse(cli, argc, argv, 0, o);
    if (rc)
        return rc;
    if (o->nargs < min || (max >= 0 && o->nargs > max))
        return max == 0 ? cli_usage_error(cli, "unexpected argument '%s'", o->args[0])
                        : cli_usage_error(cli, "%s", what);
    return CLI_EXIT_OK;
}

/* Prints a whole-result command's outcome: raw JSON, or the line fmt built. */
#define PRINT_RESULT(cli, r, ...)                                                          \
    do {                                                                                   \
        if ((cli)->json)                                                                   \
            cli_print_json((cli), (r));                                                    \
        else                                                                               \
            fprintf((cli)->out, __VA_ARGS__);                                              \
    } while (0)

/* ---- add ---------------------------------------------------------------------------- */

/* 1 for what people type for a site without its scheme ("example.com", "例子.测试/a"):
 * no "://", no blank, a dot before any '/' and not at the start. What it suggests goes
 * through linksnapd like anything else; nothing is added on a guess. */
static int looks_like_host(const char *arg)
{
    if (strstr(arg, "://") || arg[0] == '.' || arg[0] == '/')
        return 0;
    int dot = 0;
    for (const char *p = arg; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n')
            return 0;
        if (*p == '/' || *p == '?' || *p == '#')
            break;
        dot |= *p == '.';
    }
    return dot;
}

static int cmd_add(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *calls = NULL, *replies = NULL, *out = NULL;
    wait_target_t *targets = NULL;
    size_t ntargets = 0;
    int rc = opts_parse(cli, argc, argv,
                        OPT_TAG | OPT_TITLE | OPT_DESCRIPTION | OPT_NO_CAPTURE | OPT_WAIT, &o);
    if (rc)
        goto done;
    if (o.nargs == 0) {
        rc = cli_usage_error(cli, "give at least one URL");
        goto done;
    }
    if (o.wait && o.no_capture) {
        rc = cli_usage_error(cli, "--wait and --no-capture do not go together");
        goto done;
    }
    if (o.wait && (rc = wait_prepare(cli, json_pack("[s]", "job"))))
        goto done;
    calls = json_array();
    out = json_array();
    targets = calloc((size_t)o.nargs, sizeof *targets);
    if (!calls || !out || !targets) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    for (int i = 0; i < o.nargs; i++) {
        json_t *p = json_pack("{s:s,s:b}", "url", o.args[i], "capture", !o.no_capture);
        if (p && json_array_size(o.tags))
            json_object_set(p, "tags", o.tags);
        if (p && o.title)
            json_object_set_new(p, "title", json_string(o.title));
        if (p && o.description)
            json_object_set_new(p, "description", json_string(o.description));
        if (!p || json_array_append_new(calls, json_pack("[s,o]", "link.add", p))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
    }
    if ((rc = cli_pipeline(cli, calls, &replies)))
        goto done;
    int failed = 0;
    size_t i;
    json_t *rep;
    json_array_foreach(replies, i, rep) {
        json_t *e = json_object_get(rep, "error");
        if (e) {
            cli_print_rpc_error(cli, o.args[i], e);
            if (looks_like_host(o.args[i]))
                fprintf(cli->err, "linksnap: did you mean https://%s?\n", o.args[i]);
            json_array_append_new(out, json_pack("{s:O}", "error", e));
            failed = 1;
            continue;
        }
        json_t *res = json_object_get(rep, "result"), *link = json_object_get(res, "link");
        json_array_append(out, res);
        const json_t *snap = json_object_get(link, "last_snapshot");
        const char *state = cli_str(snap, "state");
        if (o.wait && (!strcmp(state, "queued") || !strcmp(state, "running"))) {
            targets[ntargets].link_id = (json_int_t)cli_int(link, "id");
            targets[ntargets].job_id = (json_int_t)(cli_int(res, "job_id") ? cli_int(res, "job_id")
                                                                          : cli_int(snap, "job_id"));
            ntargets++;
        }
        /* a saved link is captured again when it had no good capture (link.add) */
        int created = json_is_true(json_object_get(res, "created"));
        if (!cli->json)
            fprintf(cli->out, "%s #%lld %s%s\n", created ? "added" : "exists",
                    cli_int(link, "id"), shown_url(link),
                    !created && json_is_true(json_object_get(res, "job_created"))
                        ? " (no good snapshot yet: capture queued)" : "");
    }
    if (cli->json)
        cli_print_json(cli, out);
    fflush(cli->out);
    rc = failed ? CLI_EXIT_RPC : CLI_EXIT_OK;
    if (o.wait && ntargets) {
        int wrc = wait_targets(cli, targets, ntargets);
        if (!rc)
            rc = wrc;
    }
done:
    free(targets);
    json_decref(calls);
    json_decref(replies);
    json_decref(out);
    opts_free(&o);
    return rc;
}

/* ---- ls ----------------------------------------------------------------------------- */

typedef struct {
    buf_t tags, snippet;
} link_rows_t;

/* The line under a link found in its page's text: its match snippet indented, the hit
 * segments bold on a colour terminal, every run of whitespace one space (the strings came
 * scrubbed of control characters; newlines and tabs were kept for this). Empty (len 0)
 * when the link has no text match. 0, or -1 out of memory. */
static int snippet_line(cli_t *cli, const json_t *l, buf_t *b)
{
    const json_t *m = json_object_get(l, "match");
    buf_reset(b);
    if (strcmp(cli_str(m, "in"), "text"))
        return 0;
    int space = 1;   /* drops leading blanks and folds runs */
    size_t i;
    const json_t *seg;
    if (buf_append(b, "    ", 4))
        return -1;
    json_array_foreach(json_object_get(m, "snippet"), i, seg) {
        int hit = json_is_true(json_object_get(seg, "hit")) && cli->color;
        if (hit && buf_append(b, "\033[1m", 4))
            return -1;
        for (const char *c = cli_str(seg, "text"); *c; c++) {
            int ws = *c == ' ' || *c == '\n' || *c == '\t';
            if (ws && space)
                continue;
            space = ws;
            if (buf_append(b, ws ? " " : c, 1))
                return -1;
        }
        if (hit && buf_append(b, "\033[22m", 5))
            return -1;
    }
    if (b->len == 4)   /* no words: no line */
        buf_reset(b);
    return buf_append(b, "", 0);
}

static int link_row_cb(cli_t *cli, table_t *t, const json_t *l, void *ud)
{
    link_rows_t *rows = ud;
    char id[32], added[16], snap[64];
    snprintf(id, sizeof id, "%lld", cli_int(l, "id"));
    snprintf(added, sizeof added, "%.10s", cli_str(l, "created_at"));
    const char *title = cli_str(l, "title");
    if (join_tags(json_object_get(l, "tags"), &rows->tags) || snippet_line(cli, l, &rows->snippet))
        return -1;
    const char *cells[] = {id, *title ? title : url_short(shown_url(l)), rows->tags.data,
                           paint_snapshot(cli, json_object_get(l, "last_snapshot"), snap,
                                          sizeof snap),
                           added};
    if (table_add(t, cells))
        return -1;
    return rows->snippet.len ? table_note(t, rows->snippet.data) : 0;
}

static int print_links(cli_t *cli, const json_t *links)
{
    static const char *const header[] = {"ID", "TITLE", "TAGS", "SNAPSHOT", "ADDED"};
    link_rows_t rows;
    buf_init(&rows.tags, 0);
    buf_init(&rows.snippet, 0);
    int rc = cli_print_table(cli, links, header, 5, 1, link_row_cb, &rows);
    buf_free(&rows.tags);
    buf_free(&rows.snippet);
    return rc;
}

/* After a listing came back empty: which of the -t and --any tags does no link carry?
 * A tag exists only while a link carries it, so one link.list {tags_all: [tag], limit: 1}
 * per tag asks linksnapd, which matches tags by their key as every filter does. Each
 * unknown one is named on err; 1 when any was, else 0 (or the exit code of a failure). */
static int name_unknown_tags(cli_t *cli, const opts_t *o)
{
    json_t *calls = json_array(), *replies = NULL, *names = json_array();
    int rc = calls && names ? CLI_EXIT_OK : cli_fail(cli, "out of memory");
    if (!rc && (json_array_extend(names, o->tags) || json_array_extend(names, o->any)))
        rc = cli_fail(cli, "out of memory");
    size_t i;
    json_t *t;
    json_array_foreach(names, i, t)
        if (!rc && json_array_append_new(calls, json_pack("[s,{s:[O],s:i}]", "link.list",
                                                          "tags_all", t, "limit", 1)))
            rc = cli_fail(cli, "out of memory");
    if (rc || !json_array_size(calls) || (rc = cli_pipeline(cli, calls, &replies)))
        goto done;
    json_array_foreach(names, i, t) {
        const json_t *rep = json_array_get(replies, i);
        const json_t *found = json_object_get(json_object_get(rep, "result"), "links");
        if (json_object_get(rep, "error") || json_array_size(found))
            continue;   /* a failed check says nothing either way */
        char *safe = util_text_safe(json_string_value(t), 0);
        fprintf(cli->err, "linksnap: no link has the tag '%s' (`linksnap tags` lists them)\n",
                safe ? safe : json_string_value(t));
        free(safe);
        rc = CLI_EXIT_RPC;
    }
done:
    json_decref(calls);
    json_decref(replies);
    json_decref(names);
    return rc;
}

static int cmd_ls(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *links = NULL, *r = NULL, *filter = NULL;
    char *cursor = NULL;
    int rc = opts_parse(cli, argc, argv, OPT_TAG | OPT_ANY | OPT_NOT | OPT_UNTAGGED |
                        OPT_QUERY | OPT_LIMIT | OPT_ALL | OPT_BROKEN | OPT_SORT, &o);
    if (rc)
        goto done;
    if (o.nargs) {
        rc = cli_usage_error(cli, "unexpected argument '%s' (filter with -t, --any, --not, -q)",
                             o.args[0]);
        goto done;
    }
    if (!(links = json_array()) || !(filter = json_object())) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    long limit = o.limit ? o.limit : o.all ? 500 : 0;
    if (json_array_size(o.tags))
        json_object_set(filter, "tags_all", o.tags);
    if (json_array_size(o.any))
        json_object_set(filter, "tags_any", o.any);
    if (json_array_size(o.not_))
        json_object_set(filter, "tags_none", o.not_);
    if (o.untagged)
        json_object_set_new(filter, "untagged", json_true());
    if (o.broken)
        json_object_set_new(filter, "broken", json_true());
    if (o.q)
        json_object_set_new(filter, "q", json_string(o.q));
    if (o.sort)
        json_object_set_new(filter, "sort", json_string(o.sort));
    for (;;) {
        json_t *p = json_copy(filter);
        if (p && limit)
            json_object_set_new(p, "limit", json_integer(limit));
        if (p && cursor)
            json_object_set_new(p, "cursor", json_string(cursor));
        json_decref(r);
        /* newlines kept: the snippet folds them to spaces, the table cells too */
        if ((rc = cli_call_ex(cli, "link.list", p, 1, &r, NULL)))
            goto done;
        json_array_extend(links, json_object_get(r, "links"));
        free(cursor);
        cursor = NULL;
        const char *next = json_string_value(json_object_get(r, "next_cursor"));
        if (!next || !o.all)
            break;
        if (!(cursor = strdup(next))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
    }
    const char *next = json_string_value(json_object_get(r, "next_cursor"));
    if (cli->json) {
        /* the raw result; with --all every page's links in one */
        json_t *all = json_pack("{s:O,s:O?}", "links", links, "next_cursor",
                                o.all ? NULL : json_object_get(r, "next_cursor"));
        if (!all) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
        cli_print_json(cli, all);
        json_decref(all);
        if (json_array_size(links) == 0)
            rc = name_unknown_tags(cli, &o);
    } else if (json_array_size(links) == 0) {
        int filtered = json_array_size(o.tags) || json_array_size(o.any) ||
                       json_array_size(o.not_) || o.untagged || o.q;
        if ((rc = name_unknown_tags(cli, &o)) == CLI_EXIT_OK)
            fprintf(cli->out, "%s\n", filtered ? "no links match" : o.broken ? "no broken links"
                                                                            : "no links yet");
    } else {
        rc = print_links(cli, links);
        /* a page of more: how many in all, asked only then (link.count, one scan; an
         * older linksnapd without it gets the line without the number) */
        json_t *c = NULL, *err = NULL;
        if (!rc && next && cli_call_ex(cli, "link.count", json_copy(filter), 0, &c, &err) == 0)
            fprintf(cli->err, "(%lld links in all: --all lists every page, --limit N up to 500 "
                    "a page)\n", (long long)json_integer_value(json_object_get(c, "count")));
        else if (!rc && next)
            fprintf(cli->err, "(more links: --all lists every page, --limit N up to 500 a page)\n");
        json_decref(c);
        json_decref(err);
    }
done:
    json_decref(filter);
    free(cursor);
    json_decref(r);
    json_decref(links);
    opts_free(&o);
    return rc;
}

/* ---- show, rm, edit, tag, untag ------------------------------------------------------ */

/* What shaped the picture, on one line: the site rule, the consent layers and what they
 * hid, the rule's hidden selectors, a wall, a wait_for. Nothing when nothing acted. */
static void print_fidelity(cli_t *cli, const json_t *fid)
{
    if (!json_is_object(fid))
        return;
    buf_t b;
    buf_init(&b, 0);
    const char *rule = json_string_value(json_object_get(fid, "rule"));
    if (rule)
        buf_printf(&b, "site rule %s", rule);
    json_t *consent = json_object_get(fid, "consent");
    json_t *layers = json_object_get(consent, "layers"), *v;
    size_t i;
    if (json_array_size(layers)) {
        buf_printf(&b, "%sconsent hidden (", b.len ? "; " : "");
        json_array_foreach(layers, i, v)
            buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
        json_t *managers = json_object_get(consent, "managers");
        json_array_foreach(managers, i, v)
            buf_printf(&b, "%s%s", i ? ", " : ": ", json_string_value(v) ? json_string_value(v) : "?");
        size_t hidden = json_array_size(json_object_get(consent, "hidden"));
        if (hidden)
            buf_printf(&b, "; %zu element%s", hidden, hidden == 1 ? "" : "s");
        buf_printf(&b, ")");
    }
    json_t *hide = json_object_get(fid, "hidden_by_rule");
    if (json_array_size(hide)) {
        buf_printf(&b, "%shidden by the rule: ", b.len ? "; " : "");
        json_array_foreach(hide, i, v)
            buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
    }
    const char *wall = json_string_value(json_object_get(fid, "wall"));
    if (wall)
        buf_printf(&b, "%sbot wall: %s", b.len ? "; " : "", wall);
    const char *wait = json_string_value(json_object_get(fid, "wait_for"));
    if (wait)
        buf_printf(&b, "%swait_for %s", b.len ? "; " : "", wait);
    if (b.len && b.data) {
        char *safe = util_text_safe(b.data, 0);
        fprintf(cli->out, "shaped by:   %s\n", safe ? safe : b.data);
        free(safe);
    }
    buf_free(&b);
}

static void print_snapshot(cli_t *cli, const json_t *s)
{
    FILE *f = cli->out;
    char state[64];
    fprintf(f, "snapshot:    %s", paint(cli, cli_str(s, "state"), state, sizeof state));
    if (cli_int(s, "http_status"))
        fprintf(f, ", HTTP %lld%s%s", cli_int(s, "http_status"),
                *cli_http_reason(cli_int(s, "http_status")) ? " " : "", cli_http_reason(cli_int(s, "http_status")));
    if (cli_int(s, "width") && cli_int(s, "height"))
        fprintf(f, ", %lldx%lld px", cli_int(s, "width"), cli_int(s, "height"));
    if (json_is_true(json_object_get(s, "truncated")))
        fprintf(f, ", truncated");
    if (json_is_true(json_object_get(s, "blank")))
        fprintf(f, ", blank page");
    if (*cli_str(s, "finished_at"))
        fprintf(f, ", %s", cli_str(s, "finished_at"));
    fputc('\n', f);
    if (*cli_str(s, "path"))
        fprintf(f, "file:        %s\n", cli_str(s, "path"));
    if (*cli_str(s, "final_url"))
        fprintf(f, "final url:   %s\n", *cli_str(s, "display_final_url") ? cli_str(s, "display_final_url")
                                                                     : cli_str(s, "final_url"));
    if (*cli_str(s, "error"))
        fprintf(f, "error:       %s\n", cli_str(s, "error"));
    print_fidelity(cli, json_object_get(s, "fidelity"));
}

static int cmd_show(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *p, *r = NULL;
    buf_t tags;
    buf_init(&tags, 0);
    int rc = plain_args(cli, argc, argv, 1, 1, "give one link id or URL", &o);
    if (rc || (rc = link_ref(cli, o.args[0], "id", &p)) || (rc = cli_call(cli, "link.get", p, &r)))
        goto done;
    if (cli->json) {
        cli_print_json(cli, r);
        goto done;
    }
    const json_t *l = json_object_get(r, "link");
    FILE *f = cli->out;
    const char *title = cli_str(l, "title");
    fprintf(f, "#%lld  %s\n", cli_int(l, "id"), *title ? title : "(no title)");
    fprintf(f, "url:         %s\n", shown_url(l));
    if (strcmp(shown_url(l), cli_str(l, "url")))
        fprintf(f, "stored as:   %s\n", cli_str(l, "url"));
    if (*cli_str(l, "description"))
        fprintf(f, "description: %s\n", cli_str(l, "description"));
    if (join_tags(json_object_get(l, "tags"), &tags)) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    fprintf(f, "tags:        %s\n", tags.len ? tags.data : "(none)");
    fprintf(f, "added:       %s\n", cli_str(l, "created_at"));
    if (*cli_str(l, "updated_at") && strcmp(cli_str(l, "updated_at"), cli_str(l, "created_at")))
        fprintf(f, "updated:     %s\n", cli_str(l, "updated_at"));
    const json_t *s = json_object_get(l, "last_snapshot");
    if (json_is_object(s))
        print_snapshot(cli, s);
    else
        fprintf(f, "snapshot:    none\n");
done:
    buf_free(&tags);
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_rm(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *calls = NULL, *replies = NULL, *out = NULL;
    int rc = plain_args(cli, argc, argv, 1, -1, "give the id of each link to delete", &o);
    if (rc)
        goto done;
    calls = json_array();
    out = json_array();
    if (!calls || !out) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    for (int i = 0; i < o.nargs; i++) {   /* every id checked before anything is deleted */
        json_int_t id;
        if ((rc = cli_parse_id(cli, o.args[i], &id)))
            goto done;
        if (json_array_append_new(calls, json_pack("[s,{s:I}]", "link.delete", "id", id))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
    }
    if ((rc = cli_pipeline(cli, calls, &replies)))
        goto done;
    size_t i;
    json_t *rep;
    json_array_foreach(replies, i, rep) {
        json_t *e = json_object_get(rep, "error");
        if (e) {
            char what[64];
            snprintf(what, sizeof what, "#%s", o.args[i]);
            cli_print_rpc_error(cli, what, e);
            json_array_append_new(out, json_pack("{s:O}", "error", e));
            rc = CLI_EXIT_RPC;
            continue;
        }
        json_array_append(out, json_object_get(rep, "result"));
        if (!cli->json)
            fprintf(cli->out, "deleted #%s\n", o.args[i]);
    }
    if (cli->json)
        cli_print_json(cli, out);
done:
    json_decref(calls);
    json_decref(replies);
    json_decref(out);
    opts_free(&o);
    return rc;
}

static int cmd_edit(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    json_int_t id;
    int rc = opts_parse(cli, argc, argv, OPT_TITLE | OPT_DESCRIPTION, &o);
    if (rc)
        goto done;
    if (o.nargs != 1 || (!o.title && !o.description)) {
        rc = cli_usage_error(cli, "give one id and --title and/or --description");
        goto done;
    }
    if ((rc = cli_parse_id(cli, o.args[0], &id)))
        goto done;
    json_t *p = json_pack("{s:I}", "id", id);
    if (p && o.title)
        json_object_set_new(p, "title", json_string(o.title));
    if (p && o.description)
        json_object_set_new(p, "description", json_string(o.description));
    if ((rc = cli_call(cli, "link.update", p, &r)))
        goto done;
    const json_t *l = json_object_get(r, "link");
    PRINT_RESULT(cli, r, "updated #%lld %s\n", cli_int(l, "id"),
                 *cli_str(l, "title") ? cli_str(l, "title") : shown_url(l));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* What tag and untag print for a link.tag result r: "#ID tags: a, b" (or r with --json). */
static int print_link_tags(cli_t *cli, const json_t *r)
{
    const json_t *l = json_object_get(r, "link");
    buf_t tags;
    buf_init(&tags, 0);
    if (join_tags(json_object_get(l, "tags"), &tags)) {
        buf_free(&tags);
        return cli_fail(cli, "out of memory");
    }
    PRINT_RESULT(cli, r, "#%lld tags: %s\n", cli_int(l, "id"), tags.len ? tags.data : "(none)");
    buf_free(&tags);
    return CLI_EXIT_OK;
}

static int cmd_tag(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    json_int_t id;
    int rc = plain_args(cli, argc, argv, 2, -1, "give a link id and at least one tag", &o);
    if (rc || (rc = cli_parse_id(cli, o.args[0], &id)))
        goto done;
    json_t *list = string_array(o.args + 1, o.nargs - 1);
    if (!(rc = cli_call(cli, "link.tag", list ? json_pack("{s:I,s:o}", "id", id, "add", list) : NULL, &r)))
        rc = print_link_tags(cli, r);
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* untag: link.get, then one link.tag {remove: [tag]} per tag in one pipeline, so a tag
 * the link did not have is the one whose removal left the count as it was. Tags match by
 * their key (NFKC casefold) in linksnapd, which is why the count is asked rather than the
 * names compared here. */
static int cmd_untag(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *calls = NULL, *replies = NULL;
    json_int_t id;
    int rc = plain_args(cli, argc, argv, 2, -1, "give a link id and at least one tag", &o);
    if (rc || (rc = cli_parse_id(cli, o.args[0], &id)))
        goto done;
    if (!(calls = json_pack("[[s,{s:I}]]", "link.get", "id", id))) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    for (int i = 1; i < o.nargs; i++)
        if (json_array_append_new(calls, json_pack("[s,{s:I,s:[s]}]", "link.tag", "id", id,
                                                   "remove", o.args[i]))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
    if ((rc = cli_pipeline(cli, calls, &replies)))
        goto done;
    const json_t *e = json_object_get(json_array_get(replies, 0), "error");
    if (e) {   /* no such link: every removal failed the same way */
        cli_print_rpc_error(cli, NULL, e);
        rc = CLI_EXIT_RPC;
        goto done;
    }
    const json_t *last = json_object_get(json_array_get(replies, 0), "result");
    size_t before = json_array_size(json_object_get(json_object_get(last, "link"), "tags"));
    for (int i = 1; i < o.nargs; i++) {
        const json_t *rep = json_array_get(replies, (size_t)i);
        if ((e = json_object_get(rep, "error"))) {
            cli_print_rpc_error(cli, o.args[i], e);
            rc = CLI_EXIT_RPC;
            continue;
        }
        last = json_object_get(rep, "result");
        size_t after = json_array_size(json_object_get(json_object_get(last, "link"), "tags"));
        if (after == before) {
            fprintf(cli->err, "linksnap: #%lld has no tag '%s'\n", (long long)id, o.args[i]);
            rc = CLI_EXIT_RPC;
        }
        before = after;
    }
    int prc = print_link_tags(cli, last);
    if (!rc)
        rc = prc;
done:
    json_decref(calls);
    json_decref(replies);
    opts_free(&o);
    return rc;
}

/* ---- tags ---------------------------------------------------------------------------- */

static int tag_row_cb(cli_t *cli, table_t *t, const json_t *tg, void *ud)
{
    char count[32];
    snprintf(count, sizeof count, "%lld", cli_int(tg, "count"));
    const char *cells[] = {cli_str(tg, "name"), count};
    return table_add(t, cells);
}

/* A command without operands that prints method's list `key` as two columns. */
static int two_column_list(cli_t *cli, int argc, char **argv, const char *method, const char *key,
                           const char *empty, const char *const *header, cli_row_cb row_cb)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 0, 0, "", &o);
    if (!rc && !(rc = cli_call(cli, method, json_object(), &r)))
        rc = cli_print_list(cli, r, key, empty, header, 2, 0, row_cb, NULL);
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_tags(cli_t *cli, int argc, char **argv)
{
    static const char *const header[] = {"TAG", "LINKS"};
    return two_column_list(cli, argc, argv, "tag.list", "tags", "no tags yet", header, tag_row_cb);
}

static int cmd_tag_rename(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 2, 2, "give the old and the new name", &o);
    if (rc || (rc = cli_call(cli, "tag.rename", json_pack("{s:s,s:s}", "from", o.args[0],
                                                          "to", o.args[1]), &r)))
        goto done;
    const json_t *tag = json_object_get(r, "tag");
    PRINT_RESULT(cli, r, "renamed %s to %s (%lld links)\n", o.args[0], cli_str(tag, "name"),
                 cli_int(tag, "count"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_tag_merge(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    buf_t from;
    buf_init(&from, 0);
    int rc = opts_parse(cli, argc, argv, OPT_INTO, &o);
    if (rc)
        goto done;
    if (!o.into || o.nargs == 0) {
        rc = cli_usage_error(cli, "give the tags to merge and --into TAG");
        goto done;
    }
    json_t *list = string_array(o.args, o.nargs);
    if ((rc = cli_call(cli, "tag.merge", list ? json_pack("{s:o,s:s}", "from", list, "into", o.into)
                                              : NULL, &r)))
        goto done;
    for (int i = 0; i < o.nargs; i++)
        buf_printf(&from, "%s%s", i ? ", " : "", o.args[i]);
    const json_t *tag = json_object_get(r, "tag");
    PRINT_RESULT(cli, r, "merged %s into %s (%lld links)\n", from.data ? from.data : "",
                 cli_str(tag, "name"), cli_int(tag, "count"));
done:
    buf_free(&from);
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int alias_row_cb(cli_t *cli, table_t *t, const json_t *a, void *ud)
{
    (void)cli;
    (void)ud;
    const char *cells[] = {cli_str(a, "alias"), cli_str(a, "tag")};
    return table_add(t, cells);
}

/* tag-aliases: the old names merges and renames left, and the tag each now names. */
static int cmd_tag_aliases(cli_t *cli, int argc, char **argv)
{
    static const char *const header[] = {"ALIAS", "TAG"};
    return two_column_list(cli, argc, argv, "tag.aliases", "aliases",
                           "no tag aliases (a merge or rename leaves one)", header, alias_row_cb);
}

static int cmd_tag_unalias(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 1, 1, "give one alias (`linksnap tag-aliases` lists them)", &o);
    if (rc || (rc = cli_call(cli, "tag.unalias", json_pack("{s:s}", "key", o.args[0]), &r)))
        goto done;
    PRINT_RESULT(cli, r, "%s no longer names %s\n", cli_str(r, "alias"), cli_str(r, "tag"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_tag_delete(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 1, 1, "give one tag", &o);
    if (rc || (rc = cli_call(cli, "tag.delete", json_pack("{s:s}", "name", o.args[0]), &r)))
        goto done;
    PRINT_RESULT(cli, r, "deleted tag %s (removed from %lld links)\n", cli_str(r, "name"),
                 cli_int(r, "links"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* ---- status, call ----------------------------------------------------------------------- */

static int cmd_status(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 0, 0, "", &o);
    if (rc || (rc = cli_call(cli, "daemon.status", json_object(), &r)))
        goto done;
    if (cli->json) {
        cli_print_json(cli, r);
        goto done;
    }
    FILE *f = cli->out;
    const json_t *q = json_object_get(r, "queue"), *b = json_object_get(r, "browser");
    long long up = cli_int(r, "uptime_s");
    fprintf(f, "linksnapd %s, up %lldh %02lldm %02llds\n", cli_str(r, "version"), up / 3600,
            up / 60 % 60, up % 60);
    fprintf(f, "links:     %lld\n", cli_int(r, "links"));
    fprintf(f, "tags:      %lld\n", cli_int(r, "tags"));
    fprintf(f, "snapshots: %lld\n", cli_int(r, "snapshots"));
    fprintf(f, "queue:     %lld queued, %lld running\n", cli_int(q, "queued"), cli_int(q, "running"));
    if (json_is_object(b))
        fprintf(f, "browser:   %s%s%s\n", cli_str(b, "state"), *cli_str(b, "version") ? ", " : "",
                cli_str(b, "version"));
    else if (json_is_string(b))
        fprintf(f, "browser:   %s\n", json_string_value(b));
    else
        fprintf(f, "browser:   not running (captures stay queued)\n");
    /* the fleet, one line an endpoint, when there is more than the one browser */
    const json_t *eps = json_object_get(b, "endpoints");
    size_t i;
    const json_t *ep;
    if (json_array_size(eps) > 1 || (json_array_size(eps) == 1 &&
        strcmp(cli_str(json_array_get(eps, 0), "name"), "managed") != 0)) {
        json_array_foreach(eps, i, ep) {
            fprintf(f, "  %-12s %-11s %lld/%lld running, %lld done, %lld failed, %lld retried",
                    cli_str(ep, "name"), cli_str(ep, "state"), cli_int(ep, "running"),
                    cli_int(ep, "slots"), cli_int(ep, "done"), cli_int(ep, "failed"),
                    cli_int(ep, "retried"));
            if (json_is_integer(json_object_get(ep, "rtt_ms")))
                fprintf(f, ", rtt %lld ms", cli_int(ep, "rtt_ms"));
            if (*cli_str(ep, "last_error"))
                fprintf(f, "; last error: %s", cli_str(ep, "last_error"));
            fprintf(f, "\n");
        }
    }
    cli_watch_summary(cli, json_object_get(r, "watches"), "scheduled: ");
    const json_t *wh = json_object_get(r, "webhooks");
    if (json_is_object(wh) && (cli_int(wh, "pending") || cli_int(wh, "failed")))
        fprintf(f, "webhooks:  %lld pending, %lld failed%s%s\n", cli_int(wh, "pending"),
                cli_int(wh, "failed"), *cli_str(wh, "last_error") ? "; last error: " : "",
                cli_str(wh, "last_error"));
    if (*cli_str(r, "state_dir"))
        fprintf(f, "state dir: %s\n", cli_str(r, "state_dir"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* Reads all of f, at most max bytes; NULL with errno set (E2BIG when over max). */
static char *read_all(FILE *f, size_t max, size_t *len)
{
    buf_t b;
    buf_init(&b, max);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        int rc = buf_append(&b, tmp, n);
        if (rc) {
            buf_free(&b);
            errno = -rc;
            return NULL;
        }
    }
    if (ferror(f) || buf_append(&b, "", 0)) {
        buf_free(&b);
        errno = errno ? errno : EIO;
        return NULL;
    }
    return buf_take(&b, len);
}

static int cmd_call(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *params = NULL, *r = NULL;
    char *text = NULL;
    int rc = plain_args(cli, argc, argv, 1, 2, "give a method and optionally its params as JSON "
                        "(or - to read them from standard input)", &o);
    if (rc)
        goto done;
    if (o.nargs == 2) {
        json_error_t je;
        size_t n;
        if (!strcmp(o.args[1], "-")) {
            if (!(text = read_all(stdin, (size_t)1 << 20, &n))) {
                rc = cli_fail(cli, "cannot read params from standard input: %s", strerror(errno));
                goto done;
            }
            params = json_loadb(text, n, 0, &je);
        } else {
            params = json_loads(o.args[1], 0, &je);
        }
        if (!params) {
            rc = cli_usage_error(cli, "params are not valid JSON: %s", je.text);
            goto done;
        }
    } else if (!(params = json_object())) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    if ((rc = cli_call(cli, o.args[0], params, &r)))
        goto done;
    cli_print_json(cli, r);
done:
    free(text);
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* ---- capture: snap, jobs, cancel ----------------------------------------------------------- */

static int cmd_snap(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *p = NULL, *r = NULL;
    int rc = opts_parse(cli, argc, argv, OPT_WAIT, &o);
    if (rc)
        goto done;
    if (o.nargs != 1) {
        rc = cli_usage_error(cli, "give one link id or URL");
        goto done;
    }
    if ((rc = link_ref(cli, o.args[0], "link_id", &p)))
        goto done;
    if (o.wait && (rc = wait_prepare(cli, json_pack("[s]", "job")))) {
        json_decref(p);
        goto done;
    }
    json_int_t link_id = (json_int_t)cli_int(p, "link_id");
    if ((rc = cli_call(cli, "snapshot.request", p, &r)))
        goto done;
    if (cli_int(r, "link_id"))
        link_id = (json_int_t)cli_int(r, "link_id");
    PRINT_RESULT(cli, r, "queued capture job #%lld for link #%lld\n", cli_int(r, "job_id"),
                 (long long)link_id);
    fflush(cli->out);
    if (o.wait) {
        wait_target_t t = {.link_id = link_id, .job_id = (json_int_t)cli_int(r, "job_id")};
        rc = wait_targets(cli, &t, 1);
    }
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int job_row_cb(cli_t *cli, table_t *t, const json_t *j, void *ud)
{
    char id[32], link[32], attempt[16], state[64], shown[80];
    snprintf(id, sizeof id, "%lld", cli_int(j, "id"));
    snprintf(link, sizeof link, "%lld", cli_int(j, "link_id"));
    snprintf(attempt, sizeof attempt, "%lld", cli_int(j, "attempt"));
    snprintf(shown, sizeof shown, "%s%s", paint(cli, cli_str(j, "state"), state, sizeof state),
             json_is_true(json_object_get(j, "scheduled")) ? " (watch)" : "");
    const char *cells[] = {id, link, shown,
                           attempt, *cli_str(j, "error") ? cli_str(j, "error") : shown_url(j)};
    return table_add(t, cells);
}

static int cmd_jobs(cli_t *cli, int argc, char **argv)
{
    static const char *const header[] = {"JOB", "LINK", "STATE", "TRY", "URL / ERROR"};
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 0, 1, "give at most one state", &o);
    if (!rc && !(rc = cli_call(cli, "job.list", o.nargs ? json_pack("{s:s}", "state", o.args[0])
                                                         : json_object(), &r)))
        rc = cli_print_list(cli, r, "jobs", "no jobs", header, 5, 4, job_row_cb, NULL);
    if (!rc && !cli->json)
        cli_watch_footer(cli);   /* what is scheduled next */
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_cancel(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    json_int_t id;
    int rc = plain_args(cli, argc, argv, 1, 1, "give one job id", &o);
    if (rc || (rc = cli_parse_id(cli, o.args[0], &id)) ||
        (rc = cli_call(cli, "job.cancel", json_pack("{s:I}", "id", id), &r)))
        goto done;
    PRINT_RESULT(cli, r, "cancelled job #%lld\n", (long long)id);
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* ---- import, backup ---------------------------------------------------------------------- */

/* Starts the import: by path when linksnapd can read the file, else inline. *id set. */
static int import_start(cli_t *cli, const char *file, json_t *p, json_int_t *id)
{
    char real[PATH_MAX];
    json_t *r = NULL, *error = NULL;
    char err[1024];
    int rc;
    if (strcmp(file, "-") && realpath(file, real)) {
        json_t *pp = json_deep_copy(p);
        if (!pp || json_object_set_new(pp, "path", json_string(real))) {
            json_decref(pp);
            return cli_fail(cli, "out of memory");
        }
        int crc = conn_call(cli->conn, "import.start", pp, &r, &error, err, sizeof err);
        cli_clean(cli, r);
        json_decref(pp);
        if (crc == CLIENT_OK) {
            *id = (json_int_t)cli_int(r, "import_id");
            json_decref(r);
            return CLI_EXIT_OK;
        }
        int io = crc == CLIENT_ERPC && cli_int(error, "code") == RPC_IO_ERROR;
        if (!io) {
            if (crc == CLIENT_ERPC)
                cli_print_rpc_error(cli, file, error);
            else
                fprintf(cli->err, "linksnap: %s\n", err);
            json_decref(error);
            return cli_exit_code(crc);
        }
        json_decref(error);   /* the daemon cannot read it: send the content */
    }
    FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
    if (!f)
        return cli_fail(cli, "cannot read %s: %s", file, strerror(errno));
    size_t n;
    char *text = read_all(f, IMPORT_CONTENT_MAX, &n);
    int e = errno;
    if (f != stdin)
        fclose(f);
    if (!text)
        return e == E2BIG ? cli_fail(cli, "%s is over 64 MiB: make it readable by linksnapd's "
                                          "user so it reads the file itself", file)
                          : cli_fail(cli, "cannot read %s: %s", file, strerror(e));
    json_t *content = json_stringn(text, n);
    free(text);
    if (!content)
        return cli_fail(cli, "%s is not UTF-8 text", file);
    json_t *pp = json_deep_copy(p);
    if (!pp || json_object_set_new(pp, "content", content)) {
        json_decref(pp);
        return cli_fail(cli, "out of memory");
    }
    if ((rc = cli_call(cli, "import.start", pp, &r)))
        return rc;
    *id = (json_int_t)cli_int(r, "import_id");
    json_decref(r);
    return CLI_EXIT_OK;
}

static void import_progress(cli_t *cli, const json_t *imp)
{
    if (!cli->progress)
        return;
    fprintf(cli->err, "\r\033[Kimporting: %lld lines, %lld added, %lld existing, %lld invalid",
            cli_int(imp, "lines"), cli_int(imp, "added"), cli_int(imp, "existing"),
            cli_int(imp, "invalid"));
    fflush(cli->err);
}

/* Follows an import to its end: events when they come, import.get after a quiet spell.
 * *imp gets the final import.get result (owned). */
static int import_follow(cli_t *cli, json_int_t id, json_t **imp)
{
    int rc;
    for (;;) {
        if ((rc = cli_call(cli, "import.get", json_pack("{s:I}", "id", id), imp)))
            return rc;
        if (strcmp(cli_str(*imp, "state"), "running"))
            break;
        import_progress(cli, *imp);
        json_decref(*imp);
        *imp = NULL;
        for (;;) {   /* until the import ends or nothing is heard for idle_ms */
            json_t *ev;
            char err[1024];
            int crc = conn_next_event(cli->conn, cli->idle_ms, &ev, err, sizeof err);
            cli_clean(cli, ev);
            if (crc == CLIENT_ETIMEOUT)
                break;
            if (crc) {
                fprintf(cli->err, "%slinksnap: %s\n", cli->progress ? "\r\033[K" : "", err);
                return cli_exit_code(crc);
            }
            const char *topic = cli_str(ev, "topic");
            int mine = !strncmp(topic, "import.", 7) && cli_int(ev, "id") == (long long)id;
            int finished = mine && !strcmp(topic, "import.finished");
            if (mine)
                import_progress(cli, ev);
            json_decref(ev);
            if (finished)
                break;
        }
    }
    if (cli->progress)
        fprintf(cli->err, "\r\033[K");
    return CLI_EXIT_OK;
}

static void import_summary(cli_t *cli, json_int_t id, const json_t *imp)
{
    FILE *f = cli->out;
    fprintf(f, "import #%lld %s: %lld lines, %lld added, %lld existing, %lld invalid\n",
            (long long)id, cli_str(imp, "state"), cli_int(imp, "lines"), cli_int(imp, "added"),
            cli_int(imp, "existing"), cli_int(imp, "invalid"));
    const json_t *errors = json_object_get(imp, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        if (i == 5) {
            fprintf(f, "  ... and %lld more (linksnap call import.get '{\"id\":%lld}')\n",
                    cli_int(imp, "invalid") - 5, (long long)id);
            break;
        }
        fprintf(f, "  line %lld: %s\n", cli_int(e, "line"), cli_str(e, "reason"));
    }
    if (*cli_str(imp, "error"))
        fprintf(f, "error: %s\n", cli_str(imp, "error"));
}

static int cmd_import(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *p = NULL, *imp = NULL, *r = NULL;
    json_int_t id = 0;
    int rc = opts_parse(cli, argc, argv, OPT_TAG | OPT_FORMAT | OPT_NO_CAPTURE | OPT_WAIT, &o);
    if (rc)
        goto done;
    if (o.nargs != 1) {
        rc = cli_usage_error(cli, "give one file (- for standard input)");
        goto done;
    }
    if (o.wait && o.no_capture) {
        rc = cli_usage_error(cli, "--wait and --no-capture do not go together");
        goto done;
    }
    const char *file = o.args[0];
    if (strcmp(file, "-") && access(file, R_OK) != 0) {
        rc = cli_fail(cli, "cannot read %s: %s", file, strerror(errno));
        goto done;
    }
    /* subscribed before the import starts, so no event of it is missed */
    if (o.wait)
        rc = wait_prepare(cli, json_pack("[s,s]", "import", "job"));
    else
        rc = cli_call(cli, "events.subscribe", json_pack("{s:[s]}", "topics", "import"), &r);
    if (rc)
        goto done;
    p = json_pack("{s:b}", "capture", !o.no_capture);
    if (p && json_array_size(o.tags))
        json_object_set(p, "tags", o.tags);
    if (p && o.format)
        json_object_set_new(p, "format", json_string(o.format));
    if (!p) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    if ((rc = import_start(cli, file, p, &id)) || (rc = import_follow(cli, id, &imp)))
        goto done;
    if (cli->json)
        cli_print_json(cli, imp);
    else
        import_summary(cli, id, imp);
    fflush(cli->out);
    rc = strcmp(cli_str(imp, "state"), "done") ? CLI_EXIT_RPC : CLI_EXIT_OK;
    if (!rc && o.wait)
        rc = wait_queue(cli);
done:
    json_decref(r);
    json_decref(p);
    json_decref(imp);
    opts_free(&o);
    return rc;
}

/* ---- reindex ------------------------------------------------------------------------ */

static void reindex_progress(cli_t *cli, long long done, long long total)
{
    if (!cli->progress)
        return;
    int width = 30, fill = total > 0 ? (int)(done * width / total) : width;
    if (fill > width)
        fill = width;
    fprintf(cli->err, "\r\033[Kreindexing [%.*s%*s] %3lld%% %lld/%lld links",
            fill, "##############################", width - fill, "",
            total > 0 ? done * 100 / total : 100, done, total);
    fflush(cli->err);
}

static int cmd_reindex(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = opts_parse(cli, argc, argv, 0, &o);
    if (rc)
        goto done;
    if (o.nargs) {
        rc = cli_usage_error(cli, "reindex takes no arguments");
        goto done;
    }
    /* subscribed first, so no event of this rebuild is missed */
    if ((rc = cli_call(cli, "events.subscribe", json_pack("{s:[s]}", "topics", "search.reindex"), &r)))
        goto done;
    json_decref(r);
    r = NULL;
    if ((rc = cli_call(cli, "search.reindex", json_object(), &r)))
        goto done;
    long long total = cli_int(r, "total"), done_n = 0;
    reindex_progress(cli, 0, total);
    const char *state = "running";
    json_t *last = NULL;
    while (!strcmp(state, "running")) {
        json_t *ev;
        char err[1024];
        int crc = conn_next_event(cli->conn, -1, &ev, err, sizeof err);
        cli_clean(cli, ev);
        if (crc) {
            fprintf(cli->err, "%slinksnap: %s\n", cli->progress ? "\r\033[K" : "", err);
            rc = cli_exit_code(crc);
            goto done;
        }
        if (strcmp(cli_str(ev, "topic"), "search.reindex")) {
            json_decref(ev);
            continue;
        }
        json_decref(last);
        last = ev;
        state = cli_str(ev, "state");
        done_n = cli_int(ev, "done");
        total = cli_int(ev, "total");
        reindex_progress(cli, done_n, total);
    }
    if (cli->progress)
        fprintf(cli->err, "\r\033[K");
    if (cli->json)
        cli_print_json(cli, last);
    else if (!strcmp(state, "done"))
        fprintf(cli->out, "reindexed the text of %lld links\n", done_n);
    fflush(cli->out);
    if (strcmp(state, "done"))
        rc = cli_fail(cli, "reindex %s after %lld of %lld links: %s", state, done_n, total,
                      cli_str(last, "error"));
    json_decref(last);
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_backup(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 0, 1, "give at most one file name", &o);
    if (rc)
        goto done;
    /* linksnapd writes only into its backup_dir: a name there, never a path */
    if (o.nargs == 1 && strchr(o.args[0], '/')) {
        rc = cli_usage_error(cli, "'%s': give a file name, not a path; linksnapd writes backups "
                             "into its backup_dir (linksnapd.conf(5))", o.args[0]);
        goto done;
    }
    json_t *p = o.nargs == 1 ? json_pack("{s:s}", "name", o.args[0]) : json_object();
    if ((rc = cli_call(cli, "daemon.backup", p, &r)))
        goto done;
    if (cli->json)
        cli_print_json(cli, r);
    else
        fprintf(cli->out, "%s\n", cli_str(r, "path"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_web(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    int rc = plain_args(cli, argc, argv, 0, 0, "takes no arguments", &o);
    if (rc)
        goto done;
    if ((rc = cli_call(cli, "web.login_url", json_object(), &r)))
        goto done;
    if (cli->json)
        cli_print_json(cli, r);
    else
        fprintf(cli->out, "%s\n", cli_str(r, "url"));
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}

/* ---- the table ------------------------------------------------------------------------- */

const cli_command_t cli_commands[] = {
    {"add", cmd_add, "URL... [-t TAG]... [--title T] [--description D] [--no-capture] [--wait]",
     "Adds links (a URL already kept merges the tags) and queues their captures. --wait\n"
     "waits for the captures, with a progress bar on a terminal, and prints how each ended\n"
     "(state, HTTP status, reason): exit 0 when all are good, 1 when one failed or was\n"
     "blocked, 4 when one was taken but the site answered 4xx/5xx. It exits 1 at once when\n"
     "linksnapd has no browser running."},
    {"ls", cmd_ls, "[-t TAG]... [--any TAG]... [--not TAG]... [--untagged] [--broken] [-q TEXT] [--sort S] [--limit N] [--all]",
     "Lists links, newest first (--sort added|title|captured|host, or relevance with -q,\n"
     "the default then): -t all of these tags, --any at least one of these, --not\n"
     "none of these, -q text in the URL, title or description, or words of the page (best\n"
     "matches first; under a link found in its page's text, the passage, hits in bold on a\n"
     "terminal). --broken: only links whose last capture failed because of the site (a\n"
     "4xx/5xx answer, a name that does not resolve, a refused or reset connection).\n"
     "--limit sets the page size (1-500, default 50); --all follows every page. Nothing\n"
     "listed and a -t or --any tag no link has: the tag is named and the exit is 1."},
    {"export", cli_cmd_export, "[--format netscape|jsonl|csv] [-o FILE [--force]] [-t TAG]... [--any TAG]... [--not TAG]... [--untagged] [--broken] [-q TEXT] [--sort S]",
     "Writes every link, or those the filters of `ls` match, as Netscape bookmark HTML\n"
     "(the default; every tag in TAGS, which `import` reads back), JSON Lines or CSV, into\n"
     "FILE (an existing one only with --force) or onto stdout. A CSV cell starting with\n"
     "= + - @ gets a leading '."},
    {"show", cmd_show, "ID|URL", "Shows one link: its fields, tags and last snapshot."},
    {"rm", cmd_rm, "ID...", "Deletes links; their snapshots go with them."},
    {"edit", cmd_edit, "ID [--title T] [--description D]",
     "Changes a link's title or description (an empty value clears it)."},
    {"tag", cmd_tag, "ID TAG...", "Adds tags to a link."},
    {"untag", cmd_untag, "ID TAG...",
     "Removes tags from a link; a tag it did not have is named, and the exit is 1."},
    {"tags", cmd_tags, "", "Lists every tag with its number of links, most used first."},
    {"tag-rename", cmd_tag_rename, "OLD NEW",
     "Renames a tag; renaming onto an existing tag merges the two. OLD stays an alias."},
    {"tag-merge", cmd_tag_merge, "TAG... --into TAG",
     "Merges tags into one; the merged names stay aliases of it."},
    {"tag-delete", cmd_tag_delete, "TAG", "Deletes a tag and its aliases; its links stay."},
    {"tag-aliases", cmd_tag_aliases, "",
     "Lists the old names merges and renames left: adding, filtering or importing with one\n"
     "uses the tag it names."},
    {"tag-unalias", cmd_tag_unalias, "ALIAS",
     "Forgets an old name, so it can be a tag of its own again."},
    {"text", cli_cmd_text, "ID|URL | --snapshot N",
     "Prints the words of a link's newest capture that kept them (or of snapshot N): title,\n"
     "byline, then the article as plain text, or the page's visible text when it was not\n"
     "an article. --json prints snapshot.text's object."},
    {"get", cli_cmd_get, "ID|URL | --snapshot N  --png|--mhtml|--pdf|--text -o FILE [--force]",
     "Saves a file of a link's newest capture that has it (or of snapshot N) as FILE, or\n"
     "onto standard output with -o - (not a PNG, MHTML or PDF onto a terminal). An\n"
     "existing FILE is replaced only with --force. linksnap reads the file from\n"
     "linksnapd's state dir itself, so it must run as a user who may read it."},
    {"diff", cli_cmd_diff, "ID [A B]",
     "Shows what changed between the link's last two good captures, or its snapshots A\n"
     "(old) and B (new): regions of the picture added, removed or modified, blocks of text\n"
     "added and removed, and the path of a picture with the changes marked."},
    {"history", cli_cmd_history, "ID [--limit N] [--all]",
     "Lists a link's captures, newest first: id, time, state, HTTP status, and whether the\n"
     "page changed against the good capture before it (and by how much of its area).\n"
     "--limit sets the page size (1-500, default 50); --all follows every page."},
    {"snap", cmd_snap, "ID|URL [--wait]",
     "Queues a new capture of a link; --wait waits for it and exits as add --wait does."},
    {"jobs", cmd_jobs, "[STATE]", "Lists capture jobs (queued, running, done, failed, canceled)."},
    {"cancel", cmd_cancel, "JOB", "Cancels a queued or running capture job."},
    {"import", cmd_import, "FILE [--format F] [-t TAG]... [--no-capture] [--wait]",
     "Imports a browser bookmark export, CSV, JSON (Lines) or a list of URLs (- reads\n"
     "standard input) and prints a summary. --format is auto, text, netscape, csv, jsonl\n"
     "or json. --wait then waits until the capture queue is empty."},
    {"reindex", cmd_reindex, "",
     "Rebuilds the full-text index from the stored page texts (after an upgrade that\n"
     "changes how words are found), with a progress bar on a terminal."},
    {"backup", cmd_backup, "[NAME]",
     "Writes a consistent copy of the database while linksnapd runs, as a new file NAME\n"
     "(default linksnap-DATE-TIME.db) in linksnapd's backup_dir, and prints its path."},
    {"web", cmd_web, "",
     "Prints the web page's login address (http://HOST:PORT/?token=...). Opening it logs\n"
     "the browser in; anyone who may use the control socket may get it."},
    {"chart", cli_cmd_chart, "tags|timeline|outcomes [-o FILE] [--svg] [--size WxH] [--scale S] [--top N] [--days N] [--tag TAG] [--style S] [--lang en|zh]",
     "Draws a chart of the tags (top N by links), links added per day (of one tag with\n"
     "--tag) or captures per day by outcome, as PNG (or SVG with --svg), into FILE or onto\n"
     "standard output. --days is the period (default 90), --size 1200x440 by default,\n"
     "--scale 2 for HiDPI, --style auto, bars or area for the timeline. Titles and dates\n"
     "are in Chinese when the locale (LC_ALL, LC_MESSAGES, LANG) is zh_*, else English;\n"
     "--lang overrides it."},
    {"site", cli_cmd_site, "set MATCH [options] | list | delete MATCH | import-cookies MATCH FILE",
     "Site rules: how captures of a host, host:port or URL prefix are made. set takes\n"
     "--cookie NAME, --header NAME (the value is asked for without echo on a terminal, or\n"
     "read as one line of standard input), --cookie-file FILE (name=value lines),\n"
     "--header-file FILE ('Name: value' lines; - is standard input), --user-agent UA,\n"
     "--viewport WxH, --wait-for SELECTOR, --hide SELECTOR, --ignore SELECTOR (in the shot,\n"
     "left out of the comparison with the capture before; each repeatable where it makes\n"
     "sense), --delay MS, --[no-]scroll, --[no-]hide-consent, --endpoints NAME,NAME (the\n"
     "browser endpoints of linksnapd.conf that capture the site). On an existing rule it\n"
     "changes only what is given (cookies by name, domain and path, headers by name); --clear\n"
     "SETTING removes one (cookies, headers, delay...), --replace makes the options the whole\n"
     "rule.\n"
     "--cookie NAME=VALUE and --header 'Name: value' work too, with a warning:\n"
     "other users can read the command line, and the shell keeps it.\n"
     "import-cookies adds a Netscape cookies.txt (- reads standard input). Cookie and\n"
     "header values are never shown again."},
    {"watch", cli_cmd_watch, "ID|-t TAG --every DURATION [--jitter DURATION] | ls",
     "Captures a link, or every link with a tag (now or later), again every DURATION: 90s,\n"
     "30m, 6h, 1d, 2w or seconds, from 5 minutes to a year. --jitter (default a tenth of\n"
     "it) spreads the runs. Scheduled captures wait behind the ones people ask for. A link's\n"
     "own watch beats its tags'; among tags the shortest wins. Again on the same link or\n"
     "tag changes the watch. `watch ls` lists them, as `watches` does."},
    {"watches", cli_cmd_watches, "", "Lists the watches, with what each covers and its next run."},
    {"unwatch", cli_cmd_unwatch, "ID|-t TAG", "Stops a link's or a tag's watch."},
    {"status", cmd_status, "", "Shows the version, counts, the capture queue and the browser."},
    {"call", cmd_call, "METHOD [JSON|-]",
     "Sends one raw JSON-RPC call (params from the argument, or standard input with -) and\n"
     "prints the result as JSON. docs/protocol.md lists every method."},
    {NULL, NULL, NULL, NULL},
};
