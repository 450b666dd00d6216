/* site.c -- `linksnap site set|list|delete|import-cookies`: site rules (site.* methods).
 * Its options are its own (parsed here, not in opts.c). Cookie and header values go to
 * linksnapd and never come back: listings show their names only. They are best kept off
 * the command line: files, standard input and a no-echo prompt are read here. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "table.h"
#include "util.h"

#define SECRET_LINE_MAX (64 * 1024)   /* one cookie or header line read from a file or stdin */
#define SECRET_FILE_MAX (1024 * 1024) /* a --cookie-file or --header-file */

/* Where a value came from, for messages: argv may be echoed back (it is on the command line
 * already); a value from a file, stdin or the terminal never is. */
typedef enum { FROM_ARGV, FROM_FILE, FROM_STDIN } source_t;

/* "Name: value" -> headers[Name] = value. */
static int add_header(cli_t *cli, json_t *headers, const char *arg, source_t from, const char *where)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg) {
        if (from == FROM_ARGV)
            return cli_usage_error(cli, "--header wants \"Name: value\", got '%s'", arg);
        return cli_usage_error(cli, "%s: expected \"Name: value\"", where);
    }
    char name[256];
    if ((size_t)(colon - arg) >= sizeof name)
        return cli_usage_error(cli, "%s: the header name is over %zu bytes", where, sizeof name - 1);
    snprintf(name, sizeof name, "%.*s", (int)(colon - arg), arg);
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    json_t *js = json_string(v);
    if (!js || json_object_set_new(headers, name, js))
        return cli_fail(cli, "%s: the header is not UTF-8 text", where);
    return CLI_EXIT_OK;
}

/* "NAME=VALUE" -> {name, value}; the domain is the rule's host unless the daemon is told. */
static int add_cookie(cli_t *cli, json_t *cookies, const char *arg, source_t from, const char *where)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        if (from == FROM_ARGV)
            return cli_usage_error(cli, "--cookie wants NAME=VALUE, got '%s'", arg);
        return cli_usage_error(cli, "%s: expected NAME=VALUE", where);
    }
    json_t *c = json_pack("{s:s%,s:s}", "name", arg, (size_t)(eq - arg), "value", eq + 1);
    if (!c)
        return cli_fail(cli, "%s: the cookie is not UTF-8 text", where);
    if (json_array_append_new(cookies, c))
        return cli_fail(cli, "out of memory");
    return CLI_EXIT_OK;
}

/* ---- secret values off the command line --------------------------------------------------
 * A value in argv is readable by every local user in /proc/PID/cmdline while linksnap runs,
 * and the shell keeps it in its history. So values also come from a file (--cookie-file,
 * --header-file; - is standard input), or, for --cookie NAME / --header NAME without a
 * value, from the terminal without echo, or one line of standard input when that is not a
 * terminal. */

/* One line of in into line (without its \n or \r\n). 1 a line, 0 end of input with nothing
 * read, -1 a read error or a line over SECRET_LINE_MAX. */
static int read_line(FILE *in, buf_t *line)
{
    buf_reset(line);
    if (buf_append(line, "", 0))
        return -1;
    int ch, any = 0;
    while ((ch = getc(in)) != EOF) {
        any = 1;
        if (ch == '\n')
            break;
        char c = (char)ch;
        if (buf_append(line, &c, 1))
            return -1;
    }
    if (ferror(in))
        return -1;
    if (line->len && line->data[line->len - 1] == '\r')
        line->data[--line->len] = '\0';
    return any;
}

static void wipe(buf_t *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap);
    buf_free(b);
}

static volatile sig_atomic_t prompt_signal;

static void prompt_signal_cb(int sig) { prompt_signal = sig; }

/* Shows the prompt on err and reads one line from the terminal fd (in is on it) with echo
 * off; the prompt comes once echo is off, so nothing typed after it is shown or flushed. A
 * signal that ends or stops the process restores the terminal first, then takes its
 * course; the read fails. Returns as read_line. */
static int read_hidden(FILE *err, const char *prompt, FILE *in, int fd, buf_t *line)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction old_sa[LS_ARRAY_LEN(sigs)], sa;
    struct termios old, quiet;
    if (tcgetattr(fd, &old) != 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = prompt_signal_cb;   /* no SA_RESTART: the read returns at once */
    sigemptyset(&sa.sa_mask);
    prompt_signal = 0;
    for (size_t i = 0; i < LS_ARRAY_LEN(sigs); i++)
        sigaction(sigs[i], &sa, &old_sa[i]);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;   /* the Enter still moves to the next line */
    int rc = -1;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
        fputs(prompt, err);
        fflush(err);
        rc = read_line(in, line);
    }
    tcsetattr(fd, TCSADRAIN, &old);   /* keeps what was typed ahead for the next prompt */
    for (size_t i = 0; i < LS_ARRAY_LEN(sigs); i++)
        sigaction(sigs[i], &old_sa[i], NULL);
    if (prompt_signal) {
        raise(prompt_signal);   /* as if it had come now, with its own disposition */
        clearerr(in);
        return -1;
    }
    return rc;
}

/* The value of cookie or header `name` (kind "cookie" or "header"): asked for on a
 * terminal, else one line of standard input. */
static int read_value(cli_t *cli, const char *opt, const char *kind, const char *name, buf_t *value)
{
    FILE *in = cli->in ? cli->in : stdin;
    int fd = fileno(in);
    int rc;
    if (fd >= 0 && isatty(fd)) {
        char prompt[512];
        snprintf(prompt, sizeof prompt, "value of %s %.200s (not shown): ", kind, name);
        rc = read_hidden(cli->err, prompt, in, fd, value);
    } else {
        rc = read_line(in, value);
    }
    if (rc < 0)
        return cli_fail(cli, "%s %s: cannot read its value%s", opt, name,
                        value->len >= SECRET_LINE_MAX ? " (over 64 KiB)" : "");
    if (rc == 0)
        return cli_usage_error(cli, "%s %s: no value on standard input (give %s alone to be asked "
                               "for it on a terminal or read it from standard input, %s, or "
                               "%s-file FILE)", opt, name, opt,
                               !strcmp(kind, "cookie") ? "NAME=VALUE" : "'Name: value'", opt);
    return CLI_EXIT_OK;
}

/* --cookie-file / --header-file: one "name=value" / "Name: value" a line; empty lines and
 * lines starting with # are skipped. */
static int add_from_file(cli_t *cli, json_t *to, const char *opt, const char *path, int cookie)
{
    FILE *in = cli->in ? cli->in : stdin;
    FILE *f = !strcmp(path, "-") ? in : fopen(path, "r");
    if (!f)
        return cli_fail(cli, "%s: cannot read %s: %s", opt, path, strerror(errno));
    buf_t line;
    buf_init(&line, SECRET_LINE_MAX);
    char where[4200];
    int rc = CLI_EXIT_OK, got, lineno = 0, n = 0;
    size_t total = 0;
    while (!rc && (got = read_line(f, &line)) != 0) {
        lineno++;
        snprintf(where, sizeof where, "%s %s: line %d", opt, path, lineno);
        total += line.len + 1;
        if (got < 0 || total > SECRET_FILE_MAX) {
            rc = cli_fail(cli, "%s: %s", where, got < 0 ? "cannot read it (or over 64 KiB)"
                                                         : "the file is over 1 MiB");
            break;
        }
        if (!line.len || line.data[0] == '#')
            continue;
        rc = cookie ? add_cookie(cli, to, line.data, FROM_FILE, where)
                    : add_header(cli, to, line.data, FROM_FILE, where);
        n++;
    }
    if (f != in)
        fclose(f);
    wipe(&line);
    if (!rc && n == 0)
        rc = cli_usage_error(cli, "%s %s: no %s in it", opt, path, cookie ? "cookies" : "headers");
    return rc;
}

/* --cookie ARG / --header ARG: with a value (NAME=VALUE, "Name: value") from argv, with a
 * warning; a name alone has its value read. */
static int add_option(cli_t *cli, json_t *to, const char *arg, int cookie, int *warned)
{
    const char *opt = cookie ? "--cookie" : "--header", *kind = cookie ? "cookie" : "header";
    const char *sep = strchr(arg, cookie ? '=' : ':');
    if (sep || !*arg) {
        if (sep && sep != arg && !*warned) {
            fprintf(cli->err, "linksnap: warning: the value of %s %.*s is on the command line: "
                    "other users can read it in /proc/PID/cmdline (ps) while linksnap runs, and "
                    "the shell keeps it in its history. Give %s %.*s alone to be asked for it (or "
                    "to read it from standard input), or use %s-file FILE\n",
                    opt, (int)(sep - arg), arg, opt, (int)(sep - arg), arg, opt);
            *warned = 1;
        }
        return cookie ? add_cookie(cli, to, arg, FROM_ARGV, opt)
                      : add_header(cli, to, arg, FROM_ARGV, opt);
    }
    buf_t value, full;
    buf_init(&value, SECRET_LINE_MAX);
    buf_init(&full, 0);
    int rc = read_value(cli, opt, kind, arg, &value);
    if (!rc && buf_printf(&full, "%s%s%s", arg, cookie ? "=" : ": ", value.data))
        rc = cli_fail(cli, "out of memory");
    if (!rc)
        rc = cookie ? add_cookie(cli, to, full.data, FROM_STDIN, opt)
                    : add_header(cli, to, full.data, FROM_STDIN, opt);
    wipe(&value);
    wipe(&full);
    return rc;
}

/* --clear FIELD: the option's name (or the setting's) -> the setting site.set clears. */
static const char *clear_field(const char *name)
{
    static const char *const map[][2] = {
        {"cookie", "cookies"}, {"cookies", "cookies"}, {"header", "headers"},
        {"headers", "headers"}, {"user-agent", "user_agent"}, {"viewport", "viewport"},
        {"wait-for", "wait_for"}, {"hide", "hide"}, {"ignore", "ignore"}, {"delay", "delay_ms"},
        {"scroll", "scroll"}, {"hide-consent", "hide_consent"}, {"formats", "formats"},
        {"endpoints", "endpoints"},
    };
    for (size_t i = 0; i < LS_ARRAY_LEN(map); i++)
        if (!strcmp(map[i][0], name) || !strcmp(map[i][1], name))
            return map[i][1];
    return NULL;
}

/* An edit of an existing rule changes only the settings given (site.set merges): cookies
 * by name, domain and path, headers by name; --clear FIELD removes one setting, --replace
 * makes the options given the whole rule. */
static int site_set(cli_t *cli, int argc, char **argv)
{
    json_t *p = json_object(), *cookies = json_array(), *headers = json_object(),
           *hide = json_array(), *ignore = json_array(), *cleared = json_object(), *r = NULL;
    int rc = p && cookies && headers && hide && ignore && cleared ? CLI_EXIT_OK
                                                        : cli_fail(cli, "out of memory");
    const char *match = NULL;
    int warned_cookie = 0, warned_header = 0;
    for (int i = 2; i < argc && !rc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (match) {
                rc = cli_usage_error(cli, "give one MATCH (a host, host:port or URL prefix)");
                break;
            }
            match = a;
            continue;
        }
        if (!strcmp(a, "--scroll") || !strcmp(a, "--no-scroll")) {
            json_object_set_new(p, "scroll", json_boolean(a[2] == 's'));
            continue;
        }
        if (!strcmp(a, "--hide-consent") || !strcmp(a, "--no-hide-consent")) {
            json_object_set_new(p, "hide_consent", json_boolean(a[2] == 'h'));
            continue;
        }
        if (!strcmp(a, "--replace")) {
            json_object_set_new(p, "replace", json_true());
            continue;
        }
        if (!v) {
            rc = cli_usage_error(cli, "%s needs a value", a);
            break;
        }
        i++;
        long n = 0;
        if (!strcmp(a, "--cookie") || !strcmp(a, "--header")) {
            int cookie = a[2] == 'c';
            rc = add_option(cli, cookie ? cookies : headers, v, cookie,
                            cookie ? &warned_cookie : &warned_header);
        } else if (!strcmp(a, "--cookie-file") || !strcmp(a, "--header-file")) {
            int cookie = a[2] == 'c';
            rc = add_from_file(cli, cookie ? cookies : headers, a, v, cookie);
        } else if (!strcmp(a, "--clear")) {
            const char *f = clear_field(v);
            if (!f)
                rc = cli_usage_error(cli, "--clear wants a setting: cookies, headers, user-agent, "
                                     "viewport, wait-for, hide, ignore, delay, scroll, hide-consent, "
                                     "formats or endpoints; got '%s'", v);
            else
                json_object_set_new(cleared, f, json_string(v));   /* f -> the name given */
        } else if (!strcmp(a, "--hide") || !strcmp(a, "--ignore")) {
            json_array_append_new(a[2] == 'h' ? hide : ignore, json_string(v));
        } else if (!strcmp(a, "--endpoints")) {
            /* NAME,NAME: the daemon checks the names against its endpoints */
            json_t *names = json_array();
            for (const char *q = v; names; q++) {
                size_t len = strcspn(q, ",");
                if (json_array_append_new(names, json_stringn(q, len))) {
                    json_decref(names);
                    names = NULL;
                }
                q += len;
                if (!*q)
                    break;
            }
            if (!names || json_object_set_new(p, "endpoints", names))
                rc = cli_fail(cli, "out of memory");
        } else if (!strcmp(a, "--wait-for")) {
            json_object_set_new(p, "wait_for", json_string(v));
        } else if (!strcmp(a, "--user-agent")) {
            json_object_set_new(p, "user_agent", json_string(v));
        } else if (!strcmp(a, "--delay")) {
            if (!(rc = cli_number_arg(cli, a, v, 0, 60000, &n)))
                json_object_set_new(p, "delay_ms", json_integer(n));
        } else if (!strcmp(a, "--viewport")) {
            int w, h;
            char tail;
            if (sscanf(v, "%dx%d%c", &w, &h, &tail) != 2)
                rc = cli_usage_error(cli, "--viewport wants WIDTHxHEIGHT, got '%s'", v);
            else
                json_object_set_new(p, "viewport", json_pack("{s:i,s:i}", "width", w, "height", h));
        } else {
            rc = cli_usage_error(cli, "unknown option '%s'", a);
        }
    }
    if (!rc && !match)
        rc = cli_usage_error(cli, "give the MATCH: a host, host:port or URL prefix");
    if (rc)
        goto done;
    json_object_set_new(p, "match", json_string(match));
    if (json_array_size(cookies))
        json_object_set(p, "cookies", cookies);
    if (json_object_size(headers))
        json_object_set(p, "headers", headers);
    if (json_array_size(hide))
        json_object_set(p, "hide", hide);
    if (json_array_size(ignore))
        json_object_set(p, "ignore", ignore);
    const char *f;
    json_t *nv;
    json_object_foreach(cleared, f, nv) {
        if (json_object_get(p, f)) {
            rc = cli_usage_error(cli, "--clear %s and a new value for it: give one",
                                 json_string_value(nv));
            goto done;
        }
        json_object_set_new(p, f, json_null());
    }
    json_incref(p);
    if ((rc = cli_call(cli, "site.set", p, &r)))
        goto done;
    if (cli->json)
        cli_print_json(cli, r);
    else
        fprintf(cli->out, "%s site rule for %s\n",
                json_is_true(json_object_get(r, "created")) ? "added"
                : json_is_true(json_object_get(r, "replaced")) ? "replaced" : "updated",
                cli_str(json_object_get(r, "rule"), "match"));
done:
    json_decref(p);
    json_decref(cookies);
    json_decref(headers);
    json_decref(hide);
    json_decref(ignore);
    json_decref(cleared);
    json_decref(r);
    return rc;
}

/* The settings of a rule as one line: names of cookies and headers, never their values. */
static int describe(const json_t *rule, buf_t *b)
{
    buf_reset(b);
    if (buf_append(b, "", 0))
        return -1;
    const json_t *c = json_object_get(rule, "cookies"), *v;
    size_t i;
    if (json_array_size(c)) {
        if (buf_printf(b, "cookies:"))
            return -1;
        json_array_foreach(c, i, v)
            if (buf_printf(b, "%s%s", i ? "," : " ", cli_str(v, "name")))
                return -1;
    }
    const json_t *h = json_object_get(rule, "headers");
    const char *k;
    int first = 1;
    json_object_foreach((json_t *)h, k, v) {
        if (buf_printf(b, "%s%s", first ? (b->len ? "  headers: " : "headers: ") : ",", k))
            return -1;
        first = 0;
    }
    static const char *const texts[] = {"wait_for", "user_agent"};
    for (size_t t = 0; t < 2; t++)
        if (*cli_str(rule, texts[t]) &&
            buf_printf(b, "%s%s=%s", b->len ? "  " : "", texts[t], cli_str(rule, texts[t])))
            return -1;
    static const char *const lists[] = {"hide", "ignore", "endpoints"};
    for (size_t l = 0; l < 3; l++) {
        const json_t *sel = json_object_get(rule, lists[l]);
        json_array_foreach(sel, i, v)
            if ((i ? buf_printf(b, ",") : buf_printf(b, "%s%s=", b->len ? "  " : "", lists[l])) ||
                buf_printf(b, "%s", json_string_value(v)))
                return -1;
    }
    if (json_object_get(rule, "delay_ms") &&
        buf_printf(b, "%sdelay=%lldms", b->len ? "  " : "", cli_int(rule, "delay_ms")))
        return -1;
    const json_t *vp = json_object_get(rule, "viewport");
    if (vp && buf_printf(b, "%sviewport=%lldx%lld", b->len ? "  " : "", cli_int(vp, "width"),
                         cli_int(vp, "height")))
        return -1;
    static const char *const bools[] = {"scroll", "hide_consent"};
    for (size_t t = 0; t < 2; t++) {
        const json_t *x = json_object_get(rule, bools[t]);
        if (x && buf_printf(b, "%s%s=%s", b->len ? "  " : "", bools[t], json_is_true(x) ? "on" : "off"))
            return -1;
    }
    return 0;
}

static int site_row_cb(cli_t *cli, table_t *t, const json_t *rule, void *ud)
{
    buf_t *b = ud;
    if (describe(rule, b))
        return -1;
    const char *cells[] = {cli_str(rule, "match"), cli_str(rule, "kind"), b->data};
    return table_add(t, cells);
}

static int site_list(cli_t *cli, int argc, char **argv)
{
    static const char *const header[] = {"MATCH", "KIND", "SETTINGS"};
    if (argc > 2)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[2]);
    json_t *r = NULL;
    buf_t b;
    buf_init(&b, 0);
    int rc = cli_call(cli, "site.list", json_object(), &r);
    if (!rc)
        rc = cli_print_list(cli, r, "rules", "no site rules", header, 3, 2, site_row_cb, &b);
    buf_free(&b);
    json_decref(r);
    return rc;
}

static int site_delete(cli_t *cli, int argc, char **argv)
{
    if (argc != 3)
        return cli_usage_error(cli, "give one MATCH");
    json_t *r = NULL;
    int rc = cli_call(cli, "site.delete", json_pack("{s:s}", "match", argv[2]), &r);
    if (!rc) {
        if (cli->json)
            cli_print_json(cli, r);
        else
            fprintf(cli->out, "deleted site rule for %s\n", cli_str(json_object_get(r, "rule"), "match"));
    }
    json_decref(r);
    return rc;
}

#define COOKIES_FILE_MAX (1024 * 1024)

static int site_import_cookies(cli_t *cli, int argc, char **argv)
{
    if (argc != 4)
        return cli_usage_error(cli, "give the MATCH and the cookies.txt FILE");
    const char *path = argv[3];
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (!f)
        return cli_fail(cli, "cannot read %s: %s", path, strerror(errno));
    char *text = malloc(COOKIES_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, COOKIES_FILE_MAX + 1, f) : 0;
    int bad = text && ferror(f);
    if (f != stdin)
        fclose(f);
    if (!text)
        return cli_fail(cli, "out of memory");
    if (bad || n > COOKIES_FILE_MAX) {
        free(text);
        return cli_fail(cli, bad ? "cannot read %s" : "%s is over 1 MiB: not a cookies.txt", path);
    }
    json_t *r = NULL;
    json_t *p = json_pack("{s:s,s:s%}", "match", argv[2], "text", text, n);
    free(text);
    if (!p)
        return cli_fail(cli, "%s is not UTF-8 text", path);
    int rc = cli_call(cli, "site.import_cookies", p, &r);
    if (rc)
        goto done;
    if (cli->json) {
        cli_print_json(cli, r);
        goto done;
    }
    fprintf(cli->out, "%lld cookies imported into the site rule for %s\n", cli_int(r, "imported"),
            cli_str(json_object_get(r, "rule"), "match"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "errors"), i, e)
        fprintf(cli->err, "linksnap: %s: line %lld: %s\n", path, cli_int(e, "line"), cli_str(e, "reason"));
    long long more = cli_int(r, "error_count") - (long long)json_array_size(json_object_get(r, "errors"));
    if (more > 0)
        fprintf(cli->err, "linksnap: %s: %lld more bad lines\n", path, more);
done:
    json_decref(r);
    return rc;
}

int cli_cmd_site(cli_t *cli, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (!strcmp(sub, "set"))
        return site_set(cli, argc, argv);
    if (!strcmp(sub, "list"))
        return site_list(cli, argc, argv);
    if (!strcmp(sub, "delete"))
        return site_delete(cli, argc, argv);
    if (!strcmp(sub, "import-cookies"))
        return site_import_cookies(cli, argc, argv);
    return cli_usage_error(cli, "site wants set, list, delete or import-cookies");
}
