/* cli.c -- the program around the commands: global options, dispatch through the command
 * table, help and usage, and the helpers every command uses to call linksnapd and report
 * errors with the right exit code. Knows the conn and the command table; nothing of any
 * one command. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "util.h"

static const cli_command_t *find_command(const char *name)
{
    for (const cli_command_t *c = cli_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

static void print_usage(FILE *f)
{
    fprintf(f, "usage: linksnap [--socket PATH] [--json] [-v] COMMAND [ARGS]\n\ncommands:\n");
    for (const cli_command_t *c = cli_commands; c->name; c++)
        fprintf(f, "  %-11s %s\n", c->name, c->args);
    fprintf(f, "\n`linksnap COMMAND --help` tells more. -v adds the JSON-RPC code to error "
               "messages.\nExit status: 0 ok, 1 linksnapd answered an error (or a capture "
               "failed), 2 usage error,\n3 no linksnapd listening, 4 --wait: captured, but the "
               "site answered 4xx/5xx.\n");
}

static void print_command_usage(const cli_command_t *c, FILE *f)
{
    fprintf(f, "usage: linksnap %s%s%s\n", c->name, *c->args ? " " : "", c->args);
}

int cli_exit_code(int client_rc)
{
    switch (client_rc) {
    case CLIENT_OK: return CLI_EXIT_OK;
    case CLIENT_ENOCONN: return CLI_EXIT_NODAEMON;
    default: return CLI_EXIT_RPC;
    }
}

/* "linksnap: <message>" on its own line of stderr. */
static void say(cli_t *cli, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void say(cli_t *cli, const char *fmt, va_list ap)
{
    fputs("linksnap: ", cli->err);
    vfprintf(cli->err, fmt, ap);
    fputc('\n', cli->err);
}

int cli_usage_error(cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cli, fmt, ap);
    va_end(ap);
    const cli_command_t *c = cli->cmd ? find_command(cli->cmd) : NULL;
    if (c)
        print_command_usage(c, cli->err);
    else
        print_usage(cli->err);
    return CLI_EXIT_USAGE;
}

int cli_fail(cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cli, fmt, ap);
    va_end(ap);
    return CLI_EXIT_RPC;
}

void cli_print_rpc_error(cli_t *cli, const char *what, const json_t *error)
{
    char *msg = util_text_safe(cli_str(error, "message"), 1);
    long long code = cli_int(error, "code");
    fprintf(cli->err, "linksnap: %s%s%s", what ? what : "", what ? ": " : "",
            msg && *msg ? msg : "linksnapd gave no message");
    if (cli->verbose || cli->json)
        fprintf(cli->err, " (%lld)", code);
    fputc('\n', cli->err);
    free(msg);
    /* a command of ours meeting an older linksnapd; `call` names any method, so for it
     * the server's message is the whole story */
    if (code == RPC_METHOD_NOT_FOUND && cli->cmd && strcmp(cli->cmd, "call"))
        fprintf(cli->err, "linksnap: this linksnapd does not offer `%s` yet (it may be older than "
                "this linksnap, or the feature has not landed)\n", cli->cmd);
}

const char *cli_http_reason(long long code)
{
    static const struct { int code; const char *text; } known[] = {
        {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
        {405, "Method Not Allowed"}, {408, "Request Timeout"}, {410, "Gone"},
        {429, "Too Many Requests"}, {451, "Unavailable For Legal Reasons"},
        {500, "Internal Server Error"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < LS_ARRAY_LEN(known); i++)
        if (known[i].code == code)
            return known[i].text;
    return "";
}

/* Every string in v, in place, made safe for a terminal (util_text_safe; newlines and
 * tabs kept with lines). */
static void clean_strings(json_t *v, int lines, int depth);

/* One member or element x of a container: a string is made safe in place, anything else
 * is descended into. */
static void clean_value(json_t *x, int lines, int depth)
{
    if (!json_is_string(x)) {
        clean_strings(x, lines, depth + 1);
        return;
    }
    char *safe = util_text_safe(json_string_value(x), lines);
    if (safe && strcmp(safe, json_string_value(x)))
        json_string_set(x, safe);
    free(safe);
}

static void clean_strings(json_t *v, int lines, int depth)
{
    if (depth > 64)
        return;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
            clean_value(x, lines, depth);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            clean_value(x, lines, depth);
    }
}

void cli_clean(const cli_t *cli, json_t *v)
{
    if (v && !cli->json)   /* --json escapes control characters itself (\u001b) */
        clean_strings(v, 0, 0);
}

int cli_call_ex(cli_t *cli, const char *method, json_t *params, int lines, json_t **result,
                json_t **error)
{
    *result = NULL;
    json_t *e = NULL;
    char err[1024];
    if (error)
        *error = NULL;
    if (!params)   /* every caller builds its params; NULL means that ran out of memory */
        return cli_fail(cli, "out of memory");
    int rc = conn_call(cli->conn, method, params, result, &e, err, sizeof err);
    json_decref(params);
    if (*result && !cli->json)
        clean_strings(*result, lines, 0);
    if (rc == CLIENT_ERPC && error) {
        *error = e;   /* the caller says what it means */
        return CLI_EXIT_RPC;
    }
    if (rc == CLIENT_ERPC)
        cli_print_rpc_error(cli, NULL, e);
    else if (rc)
        fprintf(cli->err, "linksnap: %s\n", err);
    json_decref(e);
    return cli_exit_code(rc);
}

int cli_call(cli_t *cli, const char *method, json_t *params, json_t **result)
{
    return cli_call_ex(cli, method, params, 0, result, NULL);
}

int cli_pipeline(cli_t *cli, json_t *calls, json_t **replies)
{
    char err[1024];
    int rc = conn_pipeline(cli->conn, calls, replies, err, sizeof err);
    cli_clean(cli, *replies);
    if (rc)
        fprintf(cli->err, "linksnap: %s\n", err);
    return cli_exit_code(rc);
}

int cli_parse_id(cli_t *cli, const char *s, json_int_t *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 1 || s[0] == '+' || s[0] == ' ')
        return cli_usage_error(cli, "'%s' is not an id (ids are positive whole numbers)", s);
    *id = (json_int_t)v;
    return CLI_EXIT_OK;
}

void cli_print_json(cli_t *cli, const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (!s) {
        fprintf(cli->err, "linksnap: out of memory\n");
        return;
    }
    /* jansson escapes C0 controls but writes C1 controls (U+0080-U+009F) raw, and a
     * terminal may act on them: escape those too, which is the same JSON */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
            fprintf(cli->out, "\\u%04x", p[1]);
            p++;
        } else {
            fputc(*p, cli->out);
        }
    }
    fputc('\n', cli->out);
    free(s);
}

const char *cli_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

long long cli_int(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* 1 when argv asks for help (before a "--" that ends the options). */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    }
    return 0;
}

int cli_run(cli_t *cli, int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            cli->json = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            cli->verbose = 1;
        } else if (!strcmp(a, "--socket") || !strncmp(a, "--socket=", 9)) {
            const char *path = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!path || !*path)
                return cli_usage_error(cli, "--socket needs a path");
            if (strlen(path) >= sizeof cli->conn->path)
                return cli_usage_error(cli, "--socket: path too long");
            snprintf(cli->conn->path, sizeof cli->conn->path, "%s", path);
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_usage(cli->out);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            fprintf(cli->out, "linksnap %s\n", LINKSNAP_VERSION);
            return CLI_EXIT_OK;
        } else {
            return cli_usage_error(cli, "unknown option '%s'", a);
        }
    }
    if (i >= argc)
        return cli_usage_error(cli, "no command given");
    const cli_command_t *c = find_command(argv[i]);
    if (!c)
        return cli_usage_error(cli, "unknown command '%s'", argv[i]);
    cli->cmd = c->name;
    if (wants_help(argc - i, argv + i)) {
        print_command_usage(c, cli->out);
        fprintf(cli->out, "\n%s\n", c->help);
        return CLI_EXIT_OK;
    }
    if (cli->json)
        cli->color = 0;
    return c->fn(cli, argc - i, argv + i);
}

int cli_print_table(cli_t *cli, const json_t *items, const char *const *header, size_t ncols,
                    int flex, cli_row_cb row_cb, void *ud)
{
    table_t *t = table_new(ncols);
    int rc = t ? 0 : -1;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (rc || (rc = row_cb(cli, t, item, ud)))
            break;
    }
    if (!rc)
        rc = table_print(t, header, flex, cli->tty ? cli->cols : 0, cli->color, cli->out);
    table_free(t);
    return rc ? cli_fail(cli, "out of memory") : CLI_EXIT_OK;
}

int cli_print_list(cli_t *cli, const json_t *r, const char *key, const char *empty,
                   const char *const *header, size_t ncols, int flex, cli_row_cb row_cb,
                   void *ud)
{
    if (cli->json) {
        cli_print_json(cli, r);
        return CLI_EXIT_OK;
    }
    const json_t *items = json_object_get(r, key);
    if (json_array_size(items) == 0) {
        fprintf(cli->out, "%s\n", empty);
        return CLI_EXIT_OK;
    }
    return cli_print_table(cli, items, header, ncols, flex, row_cb, ud);
}

int cli_number_arg(cli_t *cli, const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return cli_usage_error(cli, "%s wants a whole number from %ld to %ld", opt, min, max);
    *out = v;
    return CLI_EXIT_OK;
}
