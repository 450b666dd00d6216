/* test_commands.c -- every linksnap command line run against a scripted daemon: the cases
 * in commands.cases give argv, the exact requests the CLI must send (method and params),
 * the replies and events the fake daemon gives, and the exit code and output expected.
 * Adding a case adds no code. Also: exit-code mapping and the browser check. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "test.h"
#include "wait.h"

/* ---- the scripted daemon ------------------------------------------------------------- */

typedef struct {
    conn_t conn;
    json_t *sends;     /* expected [method, params] */
    json_t *replies;   /* reply for each send: {result}|{error}|{noconn}|{eio} */
    json_t *events;    /* next_event script: event params or {"timeout": true} */
    size_t next, next_event;
    char failure[1024];
} fake_t;

static int fake_one(fake_t *f, const char *method, json_t *params, json_t **reply, char *err,
                    size_t errlen)
{
    *reply = NULL;
    if (f->next >= json_array_size(f->sends)) {
        if (!f->failure[0]) {
            char *p = json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY);
            snprintf(f->failure, sizeof f->failure, "unexpected call %s %s", method, p ? p : "");
            free(p);
        }
        snprintf(err, errlen, "fake: no more replies");
        return CLIENT_EIO;
    }
    json_t *want = json_array_get(f->sends, f->next);
    json_t *got = json_pack("[s,O?]", method, params);
    if (!json_equal(want, got) && !f->failure[0]) {
        char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
        snprintf(f->failure, sizeof f->failure, "request %zu:\n    want %s\n    got  %s",
                 f->next + 1, a, b);
        free(a);
        free(b);
    }
    json_decref(got);
    json_t *r = json_array_get(f->replies, f->next++);
    if (json_object_get(r, "noconn")) {
        snprintf(err, errlen, "no linksnapd listening on %s (start it with `linksnapd` or "
                 "`systemctl start linksnapd`)", f->conn.path);
        return CLIENT_ENOCONN;
    }
    if (json_object_get(r, "eio")) {
        snprintf(err, errlen, "linksnapd closed the connection");
        return CLIENT_EIO;
    }
    *reply = json_incref(r);
    return CLIENT_OK;
}

static int fake_call_cb(conn_t *c, const char *method, json_t *params, json_t **result,
                        json_t **error, char *err, size_t errlen)
{
    fake_t *f = c->ctx;
    json_t *reply;
    *result = NULL;
    if (error)
        *error = NULL;
    int rc = fake_one(f, method, params, &reply, err, errlen);
    if (rc)
        return rc;
    json_t *e = json_object_get(reply, "error");
    if (e) {
        snprintf(err, errlen, "%s", json_string_value(json_object_get(e, "message")));
        if (error)
            *error = json_incref(e);
        rc = CLIENT_ERPC;
    } else {
        *result = json_incref(json_object_get(reply, "result"));
    }
    json_decref(reply);
    return rc;
}

static int fake_pipeline_cb(conn_t *c, json_t *calls, json_t **replies, char *err, size_t errlen)
{
    fake_t *f = c->ctx;
    *replies = json_array();
    size_t i;
    json_t *call;
    json_array_foreach(calls, i, call) {
        json_t *reply;
        int rc = fake_one(f, json_string_value(json_array_get(call, 0)), json_array_get(call, 1),
                          &reply, err, errlen);
        if (rc) {
            json_decref(*replies);
            *replies = NULL;
            return rc;
        }
        json_array_append_new(*replies, reply);
    }
    return CLIENT_OK;
}

static int fake_next_event_cb(conn_t *c, int timeout_ms, json_t **event, char *err, size_t errlen)
{
    fake_t *f = c->ctx;
    *event = NULL;
    json_t *ev = json_array_get(f->events, f->next_event);
    if (!ev || json_object_get(ev, "timeout")) {
        if (ev)
            f->next_event++;
        else if (f->next_event++ > 100 && !f->failure[0])
            snprintf(f->failure, sizeof f->failure, "the CLI keeps waiting for events");
        if (f->next_event > 200) {
            snprintf(err, errlen, "fake: giving up");
            return CLIENT_EIO;
        }
        snprintf(err, errlen, "nothing from linksnapd for %d ms", timeout_ms);
        return CLIENT_ETIMEOUT;
    }
    f->next_event++;
    *event = json_incref(ev);
    return CLIENT_OK;
}

static const conn_ops_t fake_ops = {fake_call_cb, fake_pipeline_cb, fake_next_event_cb};

/* ---- cases ----------------------------------------------------------------------------- */

typedef struct {
    char name[128];
    int line;
    json_t *argv, *sends, *replies, *events, *out, *err, *noout, *noerr, *flags;
    char *stdin_text;   /* what the CLI reads as standard input (NULL: empty) */
    int exit_code;
} case_t;

static void case_clear(case_t *c)
{
    json_decref(c->argv);
    json_decref(c->sends);
    json_decref(c->replies);
    json_decref(c->events);
    json_decref(c->out);
    json_decref(c->err);
    json_decref(c->noout);
    json_decref(c->noerr);
    json_decref(c->flags);
    free(c->stdin_text);
    memset(c, 0, sizeof *c);
    c->exit_code = -1;
}

/* Replaces "$CWD" at the start of any string in v by the working directory. */
static void expand_cwd(json_t *v)
{
    if (json_is_string(v) && !strncmp(json_string_value(v), "$CWD", 4)) {
        char cwd[4096], s[8192];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(s, sizeof s, "%s%s", cwd, json_string_value(v) + 4);
            json_string_set(v, s);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            expand_cwd(x);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
            expand_cwd(x);
    }
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Runs one case; returns 0 or 1 (failure printed). */
static int run_case(case_t *c)
{
    fake_t f = {.conn = {.ops = &fake_ops, .path = "/fake/linksnap.sock"}};
    f.conn.ctx = &f;
    f.sends = c->sends;
    f.replies = c->replies;
    f.events = c->events;
    expand_cwd(c->sends);

    char *outbuf = NULL, *errbuf = NULL;
    size_t outlen = 0, errlen = 0;
    FILE *out = open_memstream(&outbuf, &outlen), *err = open_memstream(&errbuf, &errlen);
    static char empty[1];
    const char *in_text = c->stdin_text ? c->stdin_text : empty;
    FILE *in = fmemopen((void *)in_text, strlen(in_text) + !in_text[0], "r");
    if (!out || !err || !in)
        return 1;
    if (!in_text[0])
        getc(in);   /* fmemopen wants a size of 1 at least: read it, and stdin is empty */
    cli_t cli = {.conn = &f.conn, .out = out, .err = err, .in = in, .idle_ms = 1000, .cols = 100};
    cli.tty = json_is_true(json_object_get(c->flags, "tty"));
    cli.color = json_is_true(json_object_get(c->flags, "color"));
    if (json_integer_value(json_object_get(c->flags, "cols")))
        cli.cols = (size_t)json_integer_value(json_object_get(c->flags, "cols"));

    int argc = (int)json_array_size(c->argv) + 1;
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    argv[0] = strdup("linksnap");
    for (int i = 1; i < argc; i++)
        argv[i] = strdup(json_string_value(json_array_get(c->argv, (size_t)i - 1)));
    int rc = cli_run(&cli, argc, argv);
    fclose(out);
    fclose(err);
    fclose(in);

    int bad = 0;
#define CASE_FAIL(...) do { if (!bad) fprintf(stderr, "  case %s (line %d):\n", c->name, c->line); \
        fprintf(stderr, "    " __VA_ARGS__); fputc('\n', stderr); bad = 1; } while (0)
    if (json_array_size(c->replies) != json_array_size(c->sends))
        CASE_FAIL("%zu send: lines but %zu reply: lines", json_array_size(c->sends),
                  json_array_size(c->replies));
    if (f.failure[0])
        CASE_FAIL("%s", f.failure);
    if (f.next != json_array_size(c->sends))
        CASE_FAIL("%zu of %zu expected requests sent", f.next, json_array_size(c->sends));
    if (rc != c->exit_code)
        CASE_FAIL("exit %d, want %d", rc, c->exit_code);
    size_t i;
    json_t *s;
    json_array_foreach(c->out, i, s)
        if (!contains(outbuf, json_string_value(s)))
            CASE_FAIL("stdout lacks \"%s\"", json_string_value(s));
    json_array_foreach(c->err, i, s)
        if (!contains(errbuf, json_string_value(s)))
            CASE_FAIL("stderr lacks \"%s\"", json_string_value(s));
    json_array_foreach(c->noout, i, s)
        if (contains(outbuf, json_string_value(s)))
            CASE_FAIL("stdout has \"%s\"", json_string_value(s));
    json_array_foreach(c->noerr, i, s)
        if (contains(errbuf, json_string_value(s)))
            CASE_FAIL("stderr has \"%s\"", json_string_value(s));
    if (bad)
        fprintf(stderr, "    stdout:\n%s    stderr:\n%s", outbuf, errbuf);
#undef CASE_FAIL
    for (int k = 0; k < argc; k++)
        free(argv[k]);
    free(argv);
    free(outbuf);
    free(errbuf);
    return bad;
}

/* Reads commands.cases: blocks of "key: JSON" lines, a case per "case:" line. */
TEST(command_cases)
{
    FILE *fp = fopen("commands.cases", "r");
    ASSERT_MSG(fp, "commands.cases not found (run from tests/cli)");
    case_t c = {0};
    c.exit_code = -1;
    char line[65536];
    int lineno = 0, ncases = 0, failed = 0, in_case = 0;
    for (;;) {
        char *l = fgets(line, sizeof line, fp);
        lineno += l != NULL;
        if (l)
            l[strcspn(l, "\n")] = '\0';
        if (!l || !strncmp(l, "case:", 5)) {
            if (in_case) {
                ASSERT_MSG(c.exit_code >= 0, "case %s: no exit:", c.name);
                failed += run_case(&c);
                ncases++;
                case_clear(&c);
            }
            if (!l)
                break;
            in_case = 1;
            c.line = lineno;
            snprintf(c.name, sizeof c.name, "%s", l + 5 + strspn(l + 5, " "));
            c.sends = json_array();
            c.replies = json_array();
            c.events = json_array();
            c.out = json_array();
            c.err = json_array();
            c.noout = json_array();
            c.noerr = json_array();
            continue;
        }
        if (!*l || l[0] == '#')
            continue;
        char *colon = strchr(l, ':');
        ASSERT_MSG(colon && in_case, "commands.cases:%d: expected 'key: JSON'", lineno);
        *colon = '\0';
        json_error_t je;
        json_t *v = json_loads(colon + 1, JSON_DECODE_ANY, &je);
        ASSERT_MSG(v, "commands.cases:%d: %s", lineno, je.text);
        if (!strcmp(l, "argv")) c.argv = v;
        else if (!strcmp(l, "send")) json_array_append_new(c.sends, v);
        else if (!strcmp(l, "reply")) json_array_append_new(c.replies, v);
        else if (!strcmp(l, "event")) json_array_append_new(c.events, v);
        else if (!strcmp(l, "out")) json_array_append_new(c.out, v);
        else if (!strcmp(l, "err")) json_array_append_new(c.err, v);
        else if (!strcmp(l, "noout")) json_array_append_new(c.noout, v);
        else if (!strcmp(l, "noerr")) json_array_append_new(c.noerr, v);
        else if (!strcmp(l, "stdin")) {
            ASSERT_MSG(json_is_string(v), "commands.cases:%d: stdin wants a string", lineno);
            free(c.stdin_text);
            c.stdin_text = strdup(json_string_value(v));
            json_decref(v);
        }
        else if (!strcmp(l, "flags")) c.flags = v;
        else if (!strcmp(l, "exit")) { c.exit_code = (int)json_integer_value(v); json_decref(v); }
        else ASSERT_MSG(0, "commands.cases:%d: unknown key '%s'", lineno, l);
    }
    fclose(fp);
    printf("  %d cases, %d failed\n", ncases, failed);
    ASSERT_GT(ncases, 0);
    ASSERT_EQ(failed, 0);
    return 0;
}

TEST(exit_code_mapping)
{
    ASSERT_EQ(cli_exit_code(CLIENT_OK), CLI_EXIT_OK);
    ASSERT_EQ(cli_exit_code(CLIENT_ENOCONN), CLI_EXIT_NODAEMON);
    ASSERT_EQ(cli_exit_code(CLIENT_ERPC), CLI_EXIT_RPC);
    ASSERT_EQ(cli_exit_code(CLIENT_EIO), CLI_EXIT_RPC);
    ASSERT_EQ(cli_exit_code(CLIENT_EPROTO), CLI_EXIT_RPC);
    ASSERT_EQ(cli_exit_code(CLIENT_ETIMEOUT), CLI_EXIT_RPC);
    ASSERT_EQ(cli_exit_code(CLIENT_ENOMEM), CLI_EXIT_RPC);
    return 0;
}

static int usable(const char *status_json)
{
    json_t *st = json_loads(status_json, 0, NULL);
    int u = wait_browser_usable(st);
    json_decref(st);
    return u;
}

TEST(browser_check)
{
    ASSERT_EQ(usable("{\"browser\": null}"), 0);
    ASSERT_EQ(usable("{}"), 0);
    ASSERT_EQ(usable("{\"browser\": \"disabled\"}"), 0);
    ASSERT_EQ(usable("{\"browser\": \"unavailable\"}"), 0);
    ASSERT_EQ(usable("{\"browser\": {\"state\": \"disabled\", \"available\": false}}"), 0);
    /* "off" is linksnapd's idle browser: it starts on demand */
    ASSERT_EQ(usable("{\"browser\": {\"state\": \"off\", \"available\": true}}"), 1);
    ASSERT_EQ(usable("{\"browser\": {\"state\": \"ready\", \"available\": false}}"), 0);
    ASSERT_EQ(usable("{\"browser\": {\"state\": \"ready\", \"version\": \"120\"}}"), 1);
    ASSERT_EQ(usable("{\"browser\": \"running\"}"), 1);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(command_cases),
    TEST_ENTRY(exit_code_mapping),
    TEST_ENTRY(browser_check),
    TEST_END,
};
TEST_MAIN()
