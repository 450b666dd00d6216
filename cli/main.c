/* main.c -- linksnap, the command-line client: one command table, argument parsing per
 * command, one JSON-RPC conversation with linksnapd over its Unix socket, and output as
 * aligned tables (display width, so Chinese lines up) or raw JSON with --json.
 * Exit codes: 0 ok, 1 the daemon answered an error, 2 usage error, 3 no daemon. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "table.h"

enum { EXIT_OK = 0, EXIT_RPC = 1, EXIT_USAGE = 2, EXIT_NODAEMON = 3 };

typedef struct {
    char socket[108];
    int json, color, tty;
    size_t cols;
    client_t c;
    int connected;
} cli_t;

typedef int (*cmd_fn)(cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    cmd_fn fn;
    const char *args;
    const char *help;
} command_t;

static const command_t *find_command(const char *name);
static void usage(FILE *f);

/* ---- plumbing ------------------------------------------------------------------------ */

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "linksnap: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    const command_t *c = cmd ? find_command(cmd) : NULL;
    if (c)
        fprintf(stderr, "usage: linksnap %s %s\n", c->name, c->args);
    else
        usage(stderr);
    return EXIT_USAGE;
}

static int connect_daemon(cli_t *cli)
{
    if (cli->connected)
        return EXIT_OK;
    char err[512];
    int rc = client_connect(&cli->c, cli->socket, err, sizeof err);
    if (rc) {
        fprintf(stderr, "linksnap: %s\n", err);
        return rc == CLIENT_ENOCONN ? EXIT_NODAEMON : EXIT_RPC;
    }
    cli->connected = 1;
    return EXIT_OK;
}

/* Calls a method; prints the daemon's error. *result owned on success. */
static int call(cli_t *cli, const char *method, json_t *params, json_t **result)
{
    int rc = connect_daemon(cli);
    if (rc) {
        json_decref(params);
        return rc;
    }
    json_t *error = NULL;
    char err[512];
    rc = client_call(&cli->c, method, params, result, &error, err, sizeof err);
    json_decref(params);
    if (rc == CLIENT_ERPC) {
        long code = (long)json_integer_value(json_object_get(error, "code"));
        if (code == -32601)
            fprintf(stderr, "linksnap: this linksnapd does not know %s (%ld); is it older than this linksnap?\n", method, code);
        else
            fprintf(stderr, "linksnap: %s (%ld)\n", err, code);
        json_decref(error);
        return EXIT_RPC;
    }
    if (rc) {
        fprintf(stderr, "linksnap: %s\n", err);
        return EXIT_RPC;
    }
    return EXIT_OK;
}

static void print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s) {
        puts(s);
        free(s);
    }
}

static int parse_id(const char *cmd, const char *s, long long *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !*s || *end || v < 1)
        return usage_error(cmd, "'%s' is not an id (a positive whole number)", s);
    *id = v;
    return EXIT_OK;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void date_only(const char *rfc3339, char *out, size_t n)
{
    snprintf(out, n, "%.10s", rfc3339);
}

static const char *paint(cli_t *cli, const char *state)
{
    if (!cli->color)
        return "";
    if (!strcmp(state, "ok"))
        return "\033[32m";
    if (!strcmp(state, "failed"))
        return "\033[31m";
    if (!strcmp(state, "partial"))
        return "\033[33m";
    return "\033[2m";
}

/* Shared option table for commands that take tags. */
enum { O_ANY = 256, O_NOT, O_UNTAGGED, O_LIMIT, O_ALL, O_NOCAPTURE, O_WAIT, O_TITLE,
       O_DESCRIPTION, O_INTO, O_FORMAT, O_HELP };

static const struct option cmd_opts[] = {
    {"tag", required_argument, NULL, 't'}, {"any", required_argument, NULL, O_ANY},
    {"not", required_argument, NULL, O_NOT}, {"untagged", no_argument, NULL, O_UNTAGGED},
    {"query", required_argument, NULL, 'q'}, {"limit", required_argument, NULL, O_LIMIT},
    {"all", no_argument, NULL, O_ALL}, {"no-capture", no_argument, NULL, O_NOCAPTURE},
    {"wait", no_argument, NULL, O_WAIT}, {"title", required_argument, NULL, O_TITLE},
    {"description", required_argument, NULL, O_DESCRIPTION}, {"into", required_argument, NULL, O_INTO},
    {"format", required_argument, NULL, O_FORMAT}, {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct {
    json_t *tags, *any, *not_;
    int untagged, all, no_capture, wait, help;
    const char *q, *title, *description, *into, *format;
    long limit;
    int have_title, have_description;
} opts_t;

/* Parses the options `allowed` (characters of getopt codes as a set of ints) for cmd. */
static int parse_opts(const char *cmd, int argc, char **argv, const int *allowed, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->tags = json_array();
    o->any = json_array();
    o->not_ = json_array();
    o->limit = 50;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "t:q:", cmd_opts, NULL)) != -1) {
        if (ch == O_HELP) {
            o->help = 1;
            continue;
        }
        int ok = 0;
        for (const int *a = allowed; *a; a++)
            if (*a == ch)
                ok = 1;
        if (!ok || ch == '?' || ch == ':') {
            const char *bad = argv[optind - 1];
            return usage_error(cmd, ch == ':' ? "option '%s' needs a value" : "unknown option '%s'", bad);
        }
        switch (ch) {
        case 't': json_array_append_new(o->tags, json_string(optarg)); break;
        case O_ANY: json_array_append_new(o->any, json_string(optarg)); break;
        case O_NOT: json_array_append_new(o->not_, json_string(optarg)); break;
        case O_UNTAGGED: o->untagged = 1; break;
        case 'q': o->q = optarg; break;
        case O_LIMIT: {
            char *end;
            o->limit = strtol(optarg, &end, 10);
            if (*end || o->limit < 1 || o->limit > 500)
                return usage_error(cmd, "--limit takes a number from 1 to 500, not '%s'", optarg);
            break;
        }
        case O_ALL: o->all = 1; break;
        case O_NOCAPTURE: o->no_capture = 1; break;
        case O_WAIT: o->wait = 1; break;
        case O_TITLE: o->title = optarg; o->have_title = 1; break;
        case O_DESCRIPTION: o->description = optarg; o->have_description = 1; break;
        case O_INTO: o->into = optarg; break;
        case O_FORMAT: o->format = optarg; break;
        }
    }
    return EXIT_OK;
}

static void opts_free(opts_t *o)
{
    json_decref(o->tags);
    json_decref(o->any);
    json_decref(o->not_);
}

static int show_help(const char *cmd)
{
    const command_t *c = find_command(cmd);
    printf("usage: linksnap %s %s\n\n%s\n", c->name, c->args, c->help);
    return EXIT_OK;
}

/* ---- waiting for captures -------------------------------------------------------------- */

/* Waits until every job in `jobs` (array of ids) finished; shows progress on a TTY. */
static int wait_jobs(cli_t *cli, json_t *jobs)
{
    size_t total = json_array_size(jobs), done = 0, failed = 0;
    if (total == 0)
        return EXIT_OK;
    char err[512];
    while (done < total) {
        json_t *ev;
        int rc = client_next_event(&cli->c, 120000, &ev, err, sizeof err);
        if (rc) {
            fprintf(stderr, "\nlinksnap: %s\n", err);
            return EXIT_RPC;
        }
        const char *topic = str(ev, "topic");
        if (!strcmp(topic, "job.finished")) {
            json_int_t id = json_integer_value(json_object_get(ev, "job_id"));
            size_t i;
            json_t *j;
            json_array_foreach(jobs, i, j) {
                if (json_integer_value(j) == id) {
                    done++;
                    const char *state = str(ev, "state");
                    if (strcmp(state, "ok") && strcmp(state, "partial")) {
                        failed++;
                        fprintf(stderr, "%slink %lld: capture %s: %s\n", cli->tty ? "\r\033[K" : "",
                                (long long)json_integer_value(json_object_get(ev, "link_id")), state,
                                str(json_object_get(ev, "snapshot"), "error"));
                    }
                    json_array_set_new(jobs, i, json_integer(-1));
                    break;
                }
            }
        }
        json_decref(ev);
        if (cli->tty && !cli->json) {
            size_t barw = 30, fill = total ? done * barw / total : barw;
            fprintf(stderr, "\r[");
            for (size_t k = 0; k < barw; k++)
                fputs(k < fill ? "#" : "-", stderr);
            fprintf(stderr, "] %zu/%zu captured%s%zu failed", done, total, failed ? ", " : "", failed);
            if (!failed)
                fprintf(stderr, "\r\033[%zuC", (size_t)0);
            fflush(stderr);
        }
    }
    if (cli->tty && !cli->json)
        fputc('\n', stderr);
    return failed ? EXIT_RPC : EXIT_OK;
}

static int subscribe_jobs(cli_t *cli)
{
    json_t *r;
    int rc = call(cli, "daemon.status", json_object(), &r);
    if (rc)
        return rc;
    json_t *browser = json_object_get(r, "browser");
    int off = !browser || json_is_null(browser) || (json_is_string(browser) && !strcmp(json_string_value(browser), "off"));
    json_decref(r);
    if (off) {
        fprintf(stderr, "linksnap: --wait: this linksnapd has no capture engine running\n");
        return EXIT_RPC;
    }
    rc = call(cli, "events.subscribe", json_pack("{s:[s]}", "topics", "job"), &r);
    json_decref(r);
    return rc;
}

/* ---- commands -------------------------------------------------------------------------- */

static int cmd_add(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {'t', O_NOCAPTURE, O_WAIT, O_TITLE, O_DESCRIPTION, 0};
    opts_t o;
    int rc = parse_opts("add", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("add");
    }
    if (optind >= argc) {
        opts_free(&o);
        return usage_error("add", "%sgive at least one URL", "");
    }
    if (o.wait && o.no_capture) {
        opts_free(&o);
        return usage_error("add", "%s--wait and --no-capture do not go together", "");
    }
    if ((rc = connect_daemon(cli)) || (o.wait && (rc = subscribe_jobs(cli)))) {
        opts_free(&o);
        return rc;
    }
    json_t *calls = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *p = json_pack("{s:s,s:O,s:b}", "url", argv[i], "tags", o.tags, "capture", !o.no_capture);
        if (o.title)
            json_object_set_new(p, "title", json_string(o.title));
        if (o.description)
            json_object_set_new(p, "description", json_string(o.description));
        json_array_append_new(calls, json_pack("[s,o]", "link.add", p));
    }
    json_t *replies;
    char err[512];
    int crc = client_pipeline(&cli->c, calls, &replies, err, sizeof err);
    json_decref(calls);
    if (crc) {
        fprintf(stderr, "linksnap: %s\n", err);
        json_decref(replies);
        opts_free(&o);
        return EXIT_RPC;
    }
    json_t *jobs = json_array(), *out = json_array();
    int failed = 0;
    size_t i;
    json_t *rep;
    json_array_foreach(replies, i, rep) {
        json_t *e = json_object_get(rep, "error");
        const char *url = argv[optind + (int)i];
        if (e) {
            fprintf(stderr, "linksnap: %s: %s (%lld)\n", url, str(e, "message"),
                    (long long)json_integer_value(json_object_get(e, "code")));
            failed = 1;
            continue;
        }
        json_t *res = json_object_get(rep, "result"), *link = json_object_get(res, "link");
        json_array_append(out, res);
        json_t *snap = json_object_get(link, "last_snapshot");
        const char *state = str(snap, "state");
        if (o.wait && json_is_true(json_object_get(res, "created")) && !strcmp(state, "queued"))
            json_array_append(jobs, json_object_get(snap, "job_id") ? json_object_get(snap, "job_id")
                                                                     : json_object_get(snap, "id"));
        if (!cli->json)
            printf("%s #%lld %s\n", json_is_true(json_object_get(res, "created")) ? "added " : "exists",
                   (long long)json_integer_value(json_object_get(link, "id")), str(link, "url"));
    }
    json_decref(replies);
    if (o.wait && !failed)
        failed = wait_jobs(cli, jobs) != EXIT_OK;
    if (cli->json)
        print_json(out);
    json_decref(out);
    json_decref(jobs);
    opts_free(&o);
    return failed ? EXIT_RPC : EXIT_OK;
}

static void print_links(cli_t *cli, json_t *links)
{
    table_t *t = table_new(5);
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l) {
        char id[32], tags[1024] = "", added[16], snap[64];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(l, "id")));
        size_t k;
        json_t *tg;
        json_array_foreach(json_object_get(l, "tags"), k, tg) {
            if (k)
                strncat(tags, ", ", sizeof tags - strlen(tags) - 1);
            strncat(tags, json_string_value(tg), sizeof tags - strlen(tags) - 1);
        }
        date_only(str(l, "created_at"), added, sizeof added);
        json_t *s = json_object_get(l, "last_snapshot");
        snprintf(snap, sizeof snap, "%s", json_is_object(s) ? str(s, "state") : "-");
        const char *title = str(l, "title");
        const char *cells[] = {id, *title ? title : str(l, "url"), tags, snap, added};
        table_add(t, cells);
    }
    static const char *const header[] = {"ID", "TITLE", "TAGS", "SNAPSHOT", "ADDED"};
    table_print(t, header, 1, cli->tty ? cli->cols : 0, cli->color, stdout);
    table_free(t);
}

static int cmd_ls(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {'t', O_ANY, O_NOT, O_UNTAGGED, 'q', O_LIMIT, O_ALL, 0};
    opts_t o;
    int rc = parse_opts("ls", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("ls");
    }
    if (optind < argc) {
        opts_free(&o);
        return usage_error("ls", "unexpected argument '%s'", argv[optind]);
    }
    json_t *all = json_array();
    const char *cursor = NULL;
    char cursor_buf[64];
    do {
        json_t *p = json_pack("{s:O,s:O,s:O,s:i}", "tags_all", o.tags, "tags_any", o.any,
                              "tags_none", o.not_, "limit", (int)o.limit);
        if (o.untagged)
            json_object_set_new(p, "untagged", json_true());
        if (o.q)
            json_object_set_new(p, "q", json_string(o.q));
        if (cursor)
            json_object_set_new(p, "cursor", json_string(cursor));
        json_t *r;
        if ((rc = call(cli, "link.list", p, &r))) {
            json_decref(all);
            opts_free(&o);
            return rc;
        }
        json_array_extend(all, json_object_get(r, "links"));
        json_t *nc = json_object_get(r, "next_cursor");
        cursor = NULL;
        if (json_is_string(nc)) {
            snprintf(cursor_buf, sizeof cursor_buf, "%s", json_string_value(nc));
            cursor = cursor_buf;
        }
        json_decref(r);
    } while (o.all && cursor);
    if (cli->json)
        print_json(all);
    else if (json_array_size(all) == 0)
        printf("no links%s\n", json_array_size(o.tags) || o.q || json_array_size(o.any) ? " match" : " yet");
    else
        print_links(cli, all);
    json_decref(all);
    opts_free(&o);
    return EXIT_OK;
}

static json_t *link_ref(const char *cmd, const char *arg, int *rc)
{
    if (strstr(arg, "://") || !strncmp(arg, "http", 4))
        return json_pack("{s:s}", "url", arg);
    long long id = 0;
    if ((*rc = parse_id(cmd, arg, &id)))
        return NULL;
    return json_pack("{s:I}", "id", (json_int_t)id);
}

static int cmd_show(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("show");
    if (argc != 2)
        return usage_error("show", "%sgive one link id or URL", "");
    int rc = 0;
    json_t *p = link_ref("show", argv[1], &rc);
    if (!p)
        return rc;
    json_t *r;
    if ((rc = call(cli, "link.get", p, &r)))
        return rc;
    if (cli->json) {
        print_json(r);
        json_decref(r);
        return EXIT_OK;
    }
    json_t *l = json_object_get(r, "link");
    printf("#%lld  %s\n", (long long)json_integer_value(json_object_get(l, "id")),
           *str(l, "title") ? str(l, "title") : "(no title)");
    printf("url:         %s\n", str(l, "url"));
    if (*str(l, "description"))
        printf("description: %s\n", str(l, "description"));
    printf("tags:        ");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(l, "tags"), i, t)
        printf("%s%s", i ? ", " : "", json_string_value(t));
    printf("%s\n", json_array_size(json_object_get(l, "tags")) ? "" : "(none)");
    printf("added:       %s\n", str(l, "created_at"));
    json_t *s = json_object_get(l, "last_snapshot");
    if (json_is_object(s)) {
        printf("snapshot:    %s%s%s", paint(cli, str(s, "state")), str(s, "state"), cli->color ? "\033[0m" : "");
        if (json_integer_value(json_object_get(s, "http_status")))
            printf(" · HTTP %lld", (long long)json_integer_value(json_object_get(s, "http_status")));
        if (json_integer_value(json_object_get(s, "height")))
            printf(" · %lld×%lld px", (long long)json_integer_value(json_object_get(s, "width")),
                   (long long)json_integer_value(json_object_get(s, "height")));
        if (json_is_true(json_object_get(s, "truncated")))
            printf(" · truncated");
        if (json_is_true(json_object_get(s, "blank")))
            printf(" · blank");
        printf("\n");
        if (*str(s, "path"))
            printf("file:        %s\n", str(s, "path"));
        if (*str(s, "final_url") && strcmp(str(s, "final_url"), str(l, "url")))
            printf("final url:   %s\n", str(s, "final_url"));
        if (*str(s, "error"))
            printf("error:       %s\n", str(s, "error"));
    } else {
        printf("snapshot:    none\n");
    }
    json_decref(r);
    return EXIT_OK;
}

/* Commands that take one id and send {id} (plus extra params). */
static int simple_id_cmd(cli_t *cli, const char *cmd, const char *method, const char *arg,
                         json_t *extra, json_t **out)
{
    long long id = 0;
    int rc = parse_id(cmd, arg, &id);
    if (rc) {
        json_decref(extra);
        return rc;
    }
    json_t *p = extra ? extra : json_object();
    json_object_set_new(p, "id", json_integer(id));
    return call(cli, method, p, out);
}

static int cmd_rm(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("rm");
    if (argc < 2)
        return usage_error("rm", "%sgive the id of the link to delete", "");
    for (int i = 1; i < argc; i++) {
        long long id = 0;
        int rc = parse_id("rm", argv[i], &id);
        if (rc)
            return rc;
    }
    for (int i = 1; i < argc; i++) {
        json_t *r;
        int rc = simple_id_cmd(cli, "rm", "link.delete", argv[i], NULL, &r);
        if (rc)
            return rc;
        if (cli->json)
            print_json(r);
        else
            printf("deleted #%s\n", argv[i]);
        json_decref(r);
    }
    return EXIT_OK;
}

static int cmd_edit(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {O_TITLE, O_DESCRIPTION, 0};
    opts_t o;
    int rc = parse_opts("edit", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("edit");
    }
    if (optind + 1 != argc || (!o.have_title && !o.have_description)) {
        opts_free(&o);
        return usage_error("edit", "%sgive one id and --title and/or --description", "");
    }
    json_t *p = json_object();
    if (o.have_title)
        json_object_set_new(p, "title", *o.title ? json_string(o.title) : json_null());
    if (o.have_description)
        json_object_set_new(p, "description", *o.description ? json_string(o.description) : json_null());
    json_t *r;
    rc = simple_id_cmd(cli, "edit", "link.update", argv[optind], p, &r);
    opts_free(&o);
    if (rc)
        return rc;
    if (cli->json)
        print_json(r);
    else
        printf("updated #%s\n", argv[optind]);
    json_decref(r);
    return EXIT_OK;
}

static int tag_untag(cli_t *cli, int argc, char **argv, const char *cmd, const char *key)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help(cmd);
    if (argc < 3)
        return usage_error(cmd, "%sgive a link id and at least one tag", "");
    json_t *tags = json_array();
    for (int i = 2; i < argc; i++)
        json_array_append_new(tags, json_string(argv[i]));
    json_t *r;
    int rc = simple_id_cmd(cli, cmd, "link.tag", argv[1], json_pack("{s:o}", key, tags), &r);
    if (rc)
        return rc;
    if (cli->json) {
        print_json(r);
    } else {
        json_t *l = json_object_get(r, "link");
        printf("#%lld tags: ", (long long)json_integer_value(json_object_get(l, "id")));
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(l, "tags"), i, t)
            printf("%s%s", i ? ", " : "", json_string_value(t));
        printf("%s\n", json_array_size(json_object_get(l, "tags")) ? "" : "(none)");
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_tag(cli_t *cli, int argc, char **argv) { return tag_untag(cli, argc, argv, "tag", "add"); }
static int cmd_untag(cli_t *cli, int argc, char **argv) { return tag_untag(cli, argc, argv, "untag", "remove"); }

static int cmd_tags(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("tags");
    if (argc != 1)
        return usage_error("tags", "unexpected argument '%s'", argv[1]);
    json_t *r;
    int rc = call(cli, "tag.list", json_object(), &r);
    if (rc)
        return rc;
    json_t *tags = json_object_get(r, "tags");
    if (cli->json) {
        print_json(tags);
    } else if (json_array_size(tags) == 0) {
        printf("no tags yet\n");
    } else {
        table_t *t = table_new(2);
        size_t i;
        json_t *tg;
        json_array_foreach(tags, i, tg) {
            char count[32];
            snprintf(count, sizeof count, "%lld", (long long)json_integer_value(json_object_get(tg, "count")));
            const char *cells[] = {str(tg, "name"), count};
            table_add(t, cells);
        }
        static const char *const header[] = {"TAG", "LINKS"};
        table_print(t, header, 0, cli->tty ? cli->cols : 0, cli->color, stdout);
        table_free(t);
    }
    json_decref(r);
    return EXIT_OK;
}

static int print_tag_result(cli_t *cli, json_t *r, const char *verb)
{
    if (cli->json)
        print_json(r);
    else
        printf("%s %s (%lld links)\n", verb, str(json_object_get(r, "tag"), "name"),
               (long long)json_integer_value(json_object_get(json_object_get(r, "tag"), "count")));
    json_decref(r);
    return EXIT_OK;
}

static int cmd_tag_rename(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("tag-rename");
    if (argc != 3)
        return usage_error("tag-rename", "%sgive the old and the new name", "");
    json_t *r;
    int rc = call(cli, "tag.rename", json_pack("{s:s,s:s}", "from", argv[1], "to", argv[2]), &r);
    return rc ? rc : print_tag_result(cli, r, "renamed to");
}

static int cmd_tag_merge(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {O_INTO, 0};
    opts_t o;
    int rc = parse_opts("tag-merge", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("tag-merge");
    }
    if (!o.into || optind >= argc) {
        opts_free(&o);
        return usage_error("tag-merge", "%sgive the tags to merge and --into TAG", "");
    }
    json_t *from = json_array();
    for (int i = optind; i < argc; i++)
        json_array_append_new(from, json_string(argv[i]));
    json_t *r;
    rc = call(cli, "tag.merge", json_pack("{s:o,s:s}", "from", from, "into", o.into), &r);
    opts_free(&o);
    return rc ? rc : print_tag_result(cli, r, "merged into");
}

static int cmd_tag_delete(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("tag-delete");
    if (argc != 2)
        return usage_error("tag-delete", "%sgive one tag", "");
    json_t *r;
    int rc = call(cli, "tag.delete", json_pack("{s:s}", "name", argv[1]), &r);
    if (rc)
        return rc;
    if (cli->json)
        print_json(r);
    else
        printf("deleted tag %s (removed from %lld links)\n", str(r, "name"),
               (long long)json_integer_value(json_object_get(r, "links")));
    json_decref(r);
    return EXIT_OK;
}

static int cmd_status(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("status");
    if (argc != 1)
        return usage_error("status", "unexpected argument '%s'", argv[1]);
    json_t *r;
    int rc = call(cli, "daemon.status", json_object(), &r);
    if (rc)
        return rc;
    if (cli->json) {
        print_json(r);
    } else {
        json_t *q = json_object_get(r, "queue"), *b = json_object_get(r, "browser");
        printf("linksnapd %s, up %llds\n", str(r, "version"), (long long)json_integer_value(json_object_get(r, "uptime_s")));
        printf("links:     %lld\n", (long long)json_integer_value(json_object_get(r, "links")));
        printf("tags:      %lld\n", (long long)json_integer_value(json_object_get(r, "tags")));
        printf("snapshots: %lld\n", (long long)json_integer_value(json_object_get(r, "snapshots")));
        printf("queue:     %lld queued, %lld running\n", (long long)json_integer_value(json_object_get(q, "queued")),
               (long long)json_integer_value(json_object_get(q, "running")));
        if (json_is_object(b))
            printf("browser:   %s\n", str(b, "state"));
        else
            printf("browser:   %s\n", json_is_string(b) ? json_string_value(b) : "not running");
        if (*str(r, "state_dir"))
            printf("state dir: %s\n", str(r, "state_dir"));
    }
    json_decref(r);
    return EXIT_OK;
}

static char *read_all(FILE *f, size_t *len)
{
    buf_t b;
    buf_init(&b, 256u << 20);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (buf_append(&b, tmp, n) != 0) {
            buf_free(&b);
            return NULL;
        }
    if (ferror(f)) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b, len);
}

static int cmd_call(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("call");
    if (argc < 2 || argc > 3)
        return usage_error("call", "%sgive a method and optionally its params as JSON", "");
    json_t *params = NULL;
    if (argc == 3) {
        json_error_t je;
        if (!strcmp(argv[2], "-")) {
            size_t n;
            char *text = read_all(stdin, &n);
            params = text ? json_loadb(text, n, 0, &je) : NULL;
            free(text);
        } else {
            params = json_loads(argv[2], 0, &je);
        }
        if (!params)
            return usage_error("call", "params are not valid JSON: %s", je.text);
    }
    json_t *r;
    int rc = call(cli, argv[1], params, &r);
    if (rc)
        return rc;
    print_json(r);
    json_decref(r);
    return EXIT_OK;
}

static int cmd_snap(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {O_WAIT, 0};
    opts_t o;
    int rc = parse_opts("snap", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("snap");
    }
    if (optind + 1 != argc) {
        opts_free(&o);
        return usage_error("snap", "%sgive one link id or URL", "");
    }
    json_t *p = link_ref("snap", argv[optind], &rc);
    if (!p) {
        opts_free(&o);
        return rc;
    }
    if (json_object_get(p, "id")) {
        json_object_set(p, "link_id", json_object_get(p, "id"));
        json_object_del(p, "id");
    }
    if (o.wait && (rc = subscribe_jobs(cli))) {
        json_decref(p);
        opts_free(&o);
        return rc;
    }
    json_t *r;
    if ((rc = call(cli, "snapshot.request", p, &r))) {
        opts_free(&o);
        return rc;
    }
    if (!cli->json)
        printf("queued job #%lld\n", (long long)json_integer_value(json_object_get(r, "job_id")));
    else
        print_json(r);
    if (o.wait) {
        json_t *jobs = json_pack("[O]", json_object_get(r, "job_id"));
        rc = wait_jobs(cli, jobs);
        json_decref(jobs);
    }
    json_decref(r);
    opts_free(&o);
    return rc;
}

static int cmd_jobs(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("jobs");
    if (argc > 2)
        return usage_error("jobs", "unexpected argument '%s'", argv[2]);
    json_t *p = argc == 2 ? json_pack("{s:s}", "state", argv[1]) : json_object();
    json_t *r;
    int rc = call(cli, "job.list", p, &r);
    if (rc)
        return rc;
    json_t *jobs = json_object_get(r, "jobs");
    if (cli->json) {
        print_json(jobs);
    } else if (json_array_size(jobs) == 0) {
        printf("no jobs\n");
    } else {
        table_t *t = table_new(5);
        size_t i;
        json_t *j;
        json_array_foreach(jobs, i, j) {
            char id[32], link[32], attempt[16];
            snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(j, "id")));
            snprintf(link, sizeof link, "%lld", (long long)json_integer_value(json_object_get(j, "link_id")));
            snprintf(attempt, sizeof attempt, "%lld", (long long)json_integer_value(json_object_get(j, "attempt")));
            const char *cells[] = {id, link, str(j, "state"), attempt, *str(j, "error") ? str(j, "error") : str(j, "url")};
            table_add(t, cells);
        }
        static const char *const header[] = {"JOB", "LINK", "STATE", "TRY", "URL / ERROR"};
        table_print(t, header, 4, cli->tty ? cli->cols : 0, cli->color, stdout);
        table_free(t);
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_cancel(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("cancel");
    if (argc != 2)
        return usage_error("cancel", "%sgive one job id", "");
    json_t *r;
    int rc = simple_id_cmd(cli, "cancel", "job.cancel", argv[1], NULL, &r);
    if (rc)
        return rc;
    if (cli->json)
        print_json(r);
    else
        printf("cancelled job #%s\n", argv[1]);
    json_decref(r);
    return EXIT_OK;
}

static int cmd_import(cli_t *cli, int argc, char **argv)
{
    static const int allowed[] = {'t', O_FORMAT, O_NOCAPTURE, O_WAIT, 0};
    opts_t o;
    int rc = parse_opts("import", argc, argv, allowed, &o);
    if (rc || o.help) {
        opts_free(&o);
        return rc ? rc : show_help("import");
    }
    if (optind + 1 != argc) {
        opts_free(&o);
        return usage_error("import", "%sgive one file", "");
    }
    const char *file = argv[optind];
    FILE *f = !strcmp(file, "-") ? stdin : fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "linksnap: cannot read %s: %s\n", file, strerror(errno));
        opts_free(&o);
        return EXIT_RPC;
    }
    /* send by path when the daemon can read it (no copy); otherwise the content itself */
    char real[PATH_MAX];
    json_t *p = json_pack("{s:O,s:b}", "tags", o.tags, "capture", !o.no_capture);
    if (o.format)
        json_object_set_new(p, "format", json_string(o.format));
    json_t *r = NULL;
    if ((rc = connect_daemon(cli))) {
        if (f != stdin)
            fclose(f);
        json_decref(p);
        opts_free(&o);
        return rc;
    }
    json_t *sub;
    if ((rc = call(cli, "events.subscribe", json_pack("{s:[s]}", "topics", "import"), &sub))) {
        if (f != stdin)
            fclose(f);
        json_decref(p);
        opts_free(&o);
        return rc;
    }
    json_decref(sub);
    int sent = 0;
    if (f != stdin && realpath(file, real)) {
        json_t *pp = json_deep_copy(p);
        json_object_set_new(pp, "path", json_string(real));
        json_t *error = NULL;
        char err[512];
        int crc = client_call(&cli->c, "import.start", pp, &r, &error, err, sizeof err);
        json_decref(pp);
        if (crc == CLIENT_OK)
            sent = 1;
        else if (crc != CLIENT_ERPC || json_integer_value(json_object_get(error, "code")) != -32007) {
            fprintf(stderr, "linksnap: %s\n", err);
            json_decref(error);
            fclose(f);
            json_decref(p);
            opts_free(&o);
            return EXIT_RPC;
        }
        json_decref(error);
    }
    if (!sent) {
        size_t n;
        char *text = read_all(f, &n);
        if (!text) {
            fprintf(stderr, "linksnap: cannot read %s\n", file);
            if (f != stdin)
                fclose(f);
            json_decref(p);
            opts_free(&o);
            return EXIT_RPC;
        }
        json_object_set_new(p, "content", json_stringn(text, n));
        free(text);
        if (!json_object_get(p, "content")) {
            fprintf(stderr, "linksnap: %s is not UTF-8 text\n", file);
            if (f != stdin)
                fclose(f);
            json_decref(p);
            opts_free(&o);
            return EXIT_RPC;
        }
        if ((rc = call(cli, "import.start", json_incref(p), &r))) {
            if (f != stdin)
                fclose(f);
            json_decref(p);
            opts_free(&o);
            return rc;
        }
    }
    if (f != stdin)
        fclose(f);
    json_decref(p);
    json_int_t id = json_integer_value(json_object_get(r, "import_id"));
    json_decref(r);
    /* follow progress until the import ends */
    json_t *imp = NULL;
    for (;;) {
        json_decref(imp);
        if ((rc = call(cli, "import.get", json_pack("{s:I}", "id", id), &imp))) {
            opts_free(&o);
            return rc;
        }
        if (strcmp(str(imp, "state"), "running"))
            break;
        if (cli->tty && !cli->json)
            fprintf(stderr, "\rimporting: %lld lines, %lld added, %lld existing, %lld invalid",
                    (long long)json_integer_value(json_object_get(imp, "lines")),
                    (long long)json_integer_value(json_object_get(imp, "added")),
                    (long long)json_integer_value(json_object_get(imp, "existing")),
                    (long long)json_integer_value(json_object_get(imp, "invalid")));
        json_t *ev;
        char err[256];
        int erc = client_next_event(&cli->c, 500, &ev, err, sizeof err);
        if (erc == CLIENT_OK)
            json_decref(ev);
        else if (erc != CLIENT_ETIMEOUT) {
            fprintf(stderr, "\nlinksnap: %s\n", err);
            json_decref(imp);
            opts_free(&o);
            return EXIT_RPC;
        }
    }
    if (cli->tty && !cli->json)
        fprintf(stderr, "\r\033[K");
    int failed = strcmp(str(imp, "state"), "done") != 0;
    if (cli->json) {
        print_json(imp);
    } else {
        printf("import #%lld %s: %lld lines, %lld added, %lld existing, %lld invalid\n", (long long)id,
               str(imp, "state"), (long long)json_integer_value(json_object_get(imp, "lines")),
               (long long)json_integer_value(json_object_get(imp, "added")),
               (long long)json_integer_value(json_object_get(imp, "existing")),
               (long long)json_integer_value(json_object_get(imp, "invalid")));
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(imp, "errors"), i, e) {
            if (i == 5) {
                printf("  … and %zu more (linksnap call import.get '{\"id\":%lld}')\n",
                       json_array_size(json_object_get(imp, "errors")) - 5, (long long)id);
                break;
            }
            printf("  line %lld: %s\n", (long long)json_integer_value(json_object_get(e, "line")), str(e, "reason"));
        }
        if (*str(imp, "error"))
            printf("error: %s\n", str(imp, "error"));
    }
    json_decref(imp);
    opts_free(&o);
    return failed ? EXIT_RPC : EXIT_OK;
}

static int cmd_backup(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return show_help("backup");
    if (argc != 2)
        return usage_error("backup", "%sgive the file to write", "");
    char path[PATH_MAX];
    if (argv[1][0] == '/') {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            fprintf(stderr, "linksnap: %s\n", strerror(errno));
            return EXIT_RPC;
        }
        snprintf(path, sizeof path, "%s/%s", cwd, argv[1]);
    }
    json_t *r;
    int rc = call(cli, "daemon.backup", json_pack("{s:s}", "path", path), &r);
    if (rc)
        return rc;
    if (cli->json)
        print_json(r);
    else
        printf("backup written to %s (%lld bytes)\n", str(r, "path"), (long long)json_integer_value(json_object_get(r, "bytes")));
    json_decref(r);
    return EXIT_OK;
}

static const command_t commands[] = {
    {"add", cmd_add, "URL... [-t TAG]... [--title T] [--description D] [--no-capture] [--wait]",
     "Adds links (or merges tags into existing ones) and queues their captures."},
    {"ls", cmd_ls, "[-t TAG]... [--any TAG]... [--not TAG]... [--untagged] [-q TEXT] [--limit N] [--all]",
     "Lists links, newest first: -t all of these tags, --any one of these, --not none of these."},
    {"show", cmd_show, "ID|URL", "Shows one link, its tags and its last snapshot."},
    {"rm", cmd_rm, "ID...", "Deletes links (their snapshots go with them)."},
    {"edit", cmd_edit, "ID [--title T] [--description D]", "Changes a link's title or description (\"\" clears)."},
    {"tag", cmd_tag, "ID TAG...", "Adds tags to a link."},
    {"untag", cmd_untag, "ID TAG...", "Removes tags from a link."},
    {"tags", cmd_tags, "", "Lists every tag with its number of links."},
    {"tag-rename", cmd_tag_rename, "OLD NEW", "Renames a tag; renaming onto an existing tag merges them."},
    {"tag-merge", cmd_tag_merge, "TAG... --into TAG", "Merges tags into one."},
    {"tag-delete", cmd_tag_delete, "TAG", "Deletes a tag; its links stay."},
    {"snap", cmd_snap, "ID|URL [--wait]", "Queues a new capture of a link."},
    {"jobs", cmd_jobs, "[STATE]", "Lists capture jobs (queued, running, done, failed, canceled)."},
    {"cancel", cmd_cancel, "JOB", "Cancels a capture job."},
    {"import", cmd_import, "FILE [--format F] [-t TAG]... [--no-capture]",
     "Imports a bookmark export, CSV, JSON or a list of URLs and prints a summary."},
    {"backup", cmd_backup, "FILE", "Writes a consistent copy of the database while linksnapd runs."},
    {"status", cmd_status, "", "Shows counts, the queue and the browser."},
    {"call", cmd_call, "METHOD [JSON|-]", "Sends a raw JSON-RPC call and prints the result (for scripts)."},
};

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: linksnap [--socket PATH] [--json] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].args);
    fprintf(f, "\nlinksnap COMMAND --help tells more. Exit codes: 0 ok, 1 error from linksnapd, "
               "2 usage, 3 no linksnapd.\n");
}

int main(int argc, char **argv)
{
    if (!setlocale(LC_CTYPE, ""))
        setlocale(LC_CTYPE, "C.UTF-8");
    if (!strstr(setlocale(LC_CTYPE, NULL), "UTF-8") && !strstr(setlocale(LC_CTYPE, NULL), "utf8"))
        setlocale(LC_CTYPE, "C.UTF-8");
    cli_t cli = {0};
    client_default_socket(cli.socket, sizeof cli.socket);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json")) {
            cli.json = 1;
        } else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
            snprintf(cli.socket, sizeof cli.socket, "%s", argv[++i]);
        } else if (!strncmp(argv[i], "--socket=", 9)) {
            snprintf(cli.socket, sizeof cli.socket, "%s", argv[i] + 9);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("linksnap %s\n", LINKSNAP_VERSION);
            return EXIT_OK;
        } else {
            return usage_error(NULL, "unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc)
        return usage_error(NULL, "%sno command given", "");
    const command_t *cmd = find_command(argv[i]);
    if (!cmd)
        return usage_error(NULL, "unknown command '%s'", argv[i]);
    cli.tty = isatty(STDOUT_FILENO);
    const char *nc = getenv("NO_COLOR");
    cli.color = cli.tty && !nc;
    struct winsize ws;
    cli.cols = cli.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 100;
    int rc = cmd->fn(&cli, argc - i, argv + i);
    if (cli.connected)
        client_close(&cli.c);
    return rc;
}
