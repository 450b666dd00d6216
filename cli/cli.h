/* cli.h -- the linksnap command line as a library: the context every command gets, the
 * command table entry, the helpers commands share (calls that report the daemon's error,
 * usage errors, JSON output), and cli_run, which is the whole program minus process
 * setup (main.c) so unit tests can run any command line against a scripted daemon. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "conn.h"
#include "table.h"

/* Exit codes (linksnap(1)). CLI_EXIT_SITE: --wait saw a capture that worked but the site
 * answered 4xx/5xx (not 3, which scripts already read as "no linksnapd"). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_RPC = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_NODAEMON = 3,
       CLI_EXIT_SITE = 4 };

typedef struct {
    conn_t *conn;          /* borrowed */
    FILE *out;             /* results; borrowed */
    FILE *err;             /* messages and progress; borrowed */
    FILE *in;              /* values read for `site set` (NULL: stdin); borrowed */
    int json;              /* --json: print raw results */
    int verbose;           /* -v: error messages end in their JSON-RPC code */
    int tty;               /* out is a terminal: cut long cells to cols */
    int color;             /* out is a terminal and NO_COLOR is not set */
    int progress;          /* err is a terminal: draw progress lines */
    size_t cols;           /* terminal width */
    int idle_ms;           /* --wait: quiet time after which linksnapd is asked again */
    const char *cmd;       /* name of the running command (for usage messages) */
} cli_t;

typedef int (*cli_cmd_fn)(cli_t *cli, int argc, char **argv);

/* One command: adding a command is one entry in cli_commands plus its function, which
 * gets argv starting at the command's name and returns an exit code. */
typedef struct {
    const char *name;
    cli_cmd_fn fn;
    const char *args;      /* synopsis after the name */
    const char *help;      /* one or a few sentences */
} cli_command_t;

extern const cli_command_t cli_commands[];   /* commands.c; ends with a NULL name */

/* `linksnap chart` (chart.c). */
int cli_cmd_chart(cli_t *cli, int argc, char **argv);
/* `linksnap site` (site.c). */
int cli_cmd_site(cli_t *cli, int argc, char **argv);
/* `linksnap text` and `linksnap get` (text.c). */
int cli_cmd_text(cli_t *cli, int argc, char **argv);
int cli_cmd_get(cli_t *cli, int argc, char **argv);
/* `linksnap diff` (diff.c). */
int cli_cmd_diff(cli_t *cli, int argc, char **argv);
/* `linksnap export` (export.c). */
int cli_cmd_export(cli_t *cli, int argc, char **argv);
/* `linksnap history` (history.c). */
int cli_cmd_history(cli_t *cli, int argc, char **argv);

/* `linksnap watch`, `watches`, `unwatch` (watch.c). */
int cli_cmd_watch(cli_t *cli, int argc, char **argv);
int cli_cmd_watches(cli_t *cli, int argc, char **argv);
int cli_cmd_unwatch(cli_t *cli, int argc, char **argv);
/* Prints "<label>N watches over M links, D due now, next run ..." for daemon.status's
 * `watches` object wc; nothing when there are no watches (or wc is not an object). */
void cli_watch_summary(cli_t *cli, const json_t *wc, const char *label);
/* The same line for `jobs`, from its own daemon.status call (a failing call prints nothing). */
void cli_watch_footer(cli_t *cli);

/* Global options, then the command. Returns the exit code. */
int cli_run(cli_t *cli, int argc, char **argv);

/* CLIENT_* code -> exit code: nothing listening 3, an error answer or a broken
 * connection 1. */
int cli_exit_code(int client_rc);

/* Prints "linksnap: <message>" and the running command's usage to err; returns 2. */
int cli_usage_error(cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "linksnap: <message>" to err; returns 1 (for failures of the CLI's own work, such
 * as a file that cannot be read). */
int cli_fail(cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One call; takes params (an object; NULL is taken as an allocation that failed). On success *result is owned and 0 is returned;
 * otherwise the error was printed and the exit code is returned. */
int cli_call(cli_t *cli, const char *method, json_t *params, json_t **result);
/* cli_call with two choices: with lines, '\n' and '\t' stay in the result's strings (the
 * command lays text out itself; other controls are still replaced); with error non-NULL,
 * an error answer is not printed but handed over in *error (owned) with exit code 1. */
int cli_call_ex(cli_t *cli, const char *method, json_t *params, int lines, json_t **result,
                json_t **error);
/* Pipelined calls ([method, params] pairs, borrowed); *replies owned. Transport errors are
 * printed and give the exit code; per-call errors stay in the replies. */
int cli_pipeline(cli_t *cli, json_t *calls, json_t **replies);
/* Replaces control characters (ESC, CSI, BEL...) and broken UTF-8 in every string of v
 * with U+FFFD, in place, unless the output is --json: text from linksnapd (titles from
 * any web page, imported files) must not drive the terminal. cli_call, cli_pipeline and
 * every event read go through it. */
void cli_clean(const cli_t *cli, json_t *v);
/* Prints a daemon error object: "linksnap: [what: ]<message>", with " (<code>)" after it
 * only with -v or --json (a person reads the sentence; a script reads the code). */
void cli_print_rpc_error(cli_t *cli, const char *what, const json_t *error);
/* The reason phrase of a 4xx/5xx status people meet ("Not Found"), else "". */
const char *cli_http_reason(long long code);

/* Parses a positive integer id; a usage error (2) otherwise. */
int cli_parse_id(cli_t *cli, const char *s, json_int_t *id);
/* A whole number from s into *out within [min, max], else a usage error naming opt. */
int cli_number_arg(cli_t *cli, const char *opt, const char *s, long min, long max, long *out);
/* Prints a value as indented JSON followed by a newline. */
void cli_print_json(cli_t *cli, const json_t *v);

/* Adds the row of one list element to t (table_add); 0, or -1 out of memory. */
typedef int (*cli_row_cb)(cli_t *cli, table_t *t, const json_t *item, void *ud);
/* Prints the elements of items as a table of ncols columns under header, cut to the
 * terminal's width by giving way on column flex; each row comes from row_cb. Returns an
 * exit code. */
int cli_print_table(cli_t *cli, const json_t *items, const char *const *header, size_t ncols,
                    int flex, cli_row_cb row_cb, void *ud);
/* What every list command prints for its reply r: r as it came with --json; `empty` when
 * r's array `key` has no element; else that array through cli_print_table. */
int cli_print_list(cli_t *cli, const json_t *r, const char *key, const char *empty,
                   const char *const *header, size_t ncols, int flex, cli_row_cb row_cb,
                   void *ud);
/* The string member key of o, or "" (never NULL). */
const char *cli_str(const json_t *o, const char *key);
/* The integer member key of o, or 0. */
long long cli_int(const json_t *o, const char *key);

#endif
