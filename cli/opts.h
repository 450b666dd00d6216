/* opts.h -- the options of linksnap's commands: one getopt_long table for all of them, each
 * command naming which it accepts; anything else is a usage error. */
#ifndef LS_OPTS_H
#define LS_OPTS_H

#include <jansson.h>

#include "cli.h"

enum {
    OPT_TAG = 1u << 0,          /* -t, --tag TAG (repeatable) */
    OPT_ANY = 1u << 1,          /* --any TAG (repeatable) */
    OPT_NOT = 1u << 2,          /* --not TAG (repeatable) */
    OPT_UNTAGGED = 1u << 3,     /* --untagged */
    OPT_QUERY = 1u << 4,        /* -q, --query TEXT */
    OPT_LIMIT = 1u << 5,        /* --limit N (1..500) */
    OPT_ALL = 1u << 6,          /* --all */
    OPT_NO_CAPTURE = 1u << 7,   /* --no-capture */
    OPT_WAIT = 1u << 8,         /* --wait */
    OPT_TITLE = 1u << 9,        /* --title T */
    OPT_DESCRIPTION = 1u << 10, /* --description D */
    OPT_INTO = 1u << 11,        /* --into TAG */
    OPT_FORMAT = 1u << 12,      /* --format F */
    OPT_OUTPUT = 1u << 13,      /* -o, --output FILE */
    OPT_FORCE = 1u << 14,       /* --force */
    OPT_SNAPSHOT = 1u << 15,    /* --snapshot N */
    OPT_KIND = 1u << 16,        /* one of --png, --mhtml, --pdf, --text */
    OPT_BROKEN = 1u << 17,      /* --broken */
    OPT_SORT = 1u << 18,        /* --sort added|title|captured|host|relevance */
};

typedef struct {
    json_t *tags, *any, *not_;  /* owned arrays of strings (never NULL after parse) */
    int untagged, all, no_capture, wait, force, broken;
    long limit;                 /* 0 when not given */
    long long snapshot;         /* --snapshot: 0 when not given */
    const char *q, *title, *description, *into, *format;   /* borrowed from argv; NULL if absent */
    const char *output;         /* -o: borrowed; NULL if absent */
    const char *kind;           /* "png", "mhtml", "pdf" or "text"; NULL if absent */
    const char *sort;           /* --sort: borrowed, checked against link.list's sorts */
    char **args;                /* the operands (borrowed from argv) */
    int nargs;
} opts_t;

/* Parses argv (argv[0] is the command name; argv is permuted). Returns 0, or prints a
 * usage error and returns 2. opts_free is needed in both cases. */
int opts_parse(cli_t *cli, int argc, char **argv, unsigned allowed, opts_t *o);
void opts_free(opts_t *o);

#endif
