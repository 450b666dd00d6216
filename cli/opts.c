/* opts.c -- option parsing for linksnap's commands: GNU getopt_long over one shared table,
 * filtered by the set each command accepts. Knows argv and JSON arrays; nothing of the
 * daemon or of output beyond usage errors. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { C_ANY = 256, C_NOT, C_UNTAGGED, C_LIMIT, C_ALL, C_NO_CAPTURE, C_WAIT, C_TITLE,
       C_DESCRIPTION, C_INTO, C_FORMAT, C_FORCE, C_SNAPSHOT, C_PNG, C_MHTML, C_PDF, C_TEXT,
       C_BROKEN, C_SORT };

static const struct option long_opts[] = {
    {"tag", required_argument, NULL, 't'},
    {"any", required_argument, NULL, C_ANY},
    {"not", required_argument, NULL, C_NOT},
    {"untagged", no_argument, NULL, C_UNTAGGED},
    {"broken", no_argument, NULL, C_BROKEN},
    {"sort", required_argument, NULL, C_SORT},
    {"query", required_argument, NULL, 'q'},
    {"limit", required_argument, NULL, C_LIMIT},
    {"all", no_argument, NULL, C_ALL},
    {"no-capture", no_argument, NULL, C_NO_CAPTURE},
    {"wait", no_argument, NULL, C_WAIT},
    {"title", required_argument, NULL, C_TITLE},
    {"description", required_argument, NULL, C_DESCRIPTION},
    {"into", required_argument, NULL, C_INTO},
    {"format", required_argument, NULL, C_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"force", no_argument, NULL, C_FORCE},
    {"snapshot", required_argument, NULL, C_SNAPSHOT},
    {"png", no_argument, NULL, C_PNG},
    {"mhtml", no_argument, NULL, C_MHTML},
    {"pdf", no_argument, NULL, C_PDF},
    {"text", no_argument, NULL, C_TEXT},
    {NULL, 0, NULL, 0},
};

static unsigned flag_of(int ch)
{
    switch (ch) {
    case 't': return OPT_TAG;
    case C_ANY: return OPT_ANY;
    case C_NOT: return OPT_NOT;
    case C_UNTAGGED: return OPT_UNTAGGED;
    case C_BROKEN: return OPT_BROKEN;
    case C_SORT: return OPT_SORT;
    case 'q': return OPT_QUERY;
    case C_LIMIT: return OPT_LIMIT;
    case C_ALL: return OPT_ALL;
    case C_NO_CAPTURE: return OPT_NO_CAPTURE;
    case C_WAIT: return OPT_WAIT;
    case C_TITLE: return OPT_TITLE;
    case C_DESCRIPTION: return OPT_DESCRIPTION;
    case C_INTO: return OPT_INTO;
    case C_FORMAT: return OPT_FORMAT;
    case 'o': return OPT_OUTPUT;
    case C_FORCE: return OPT_FORCE;
    case C_SNAPSHOT: return OPT_SNAPSHOT;
    case C_PNG: case C_MHTML: case C_PDF: case C_TEXT: return OPT_KIND;
    default: return 0;
    }
}

static int append(json_t *a, const char *s)
{
    return json_array_append_new(a, json_string(s));
}

int opts_parse(cli_t *cli, int argc, char **argv, unsigned allowed, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->tags = json_array();
    o->any = json_array();
    o->not_ = json_array();
    if (!o->tags || !o->any || !o->not_)
        return cli_fail(cli, "out of memory");
    optind = 0;   /* glibc: full re-initialisation, so commands can be parsed again */
    opterr = 0;
    int ch, longindex;
    while ((longindex = -1, ch = getopt_long(argc, argv, ":t:q:o:", long_opts, &longindex)) != -1) {
        if (ch == '?') {
            if (optopt && optopt < 256)
                return cli_usage_error(cli, "unknown option '-%c'", optopt);
            return cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
        if (ch == ':')
            return cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
        unsigned f = flag_of(ch);
        if (!(allowed & f)) {
            if (longindex >= 0)
                return cli_usage_error(cli, "%s does not take --%s", cli->cmd,
                                       long_opts[longindex].name);
            return cli_usage_error(cli, "%s does not take -%c", cli->cmd, ch);
        }
        int bad = 0;
        switch (ch) {
        case 't': bad = append(o->tags, optarg); break;
        case C_ANY: bad = append(o->any, optarg); break;
        case C_NOT: bad = append(o->not_, optarg); break;
        case C_UNTAGGED: o->untagged = 1; break;
        case C_BROKEN: o->broken = 1; break;
        case C_SORT:
            if (strcmp(optarg, "added") && strcmp(optarg, "title") && strcmp(optarg, "captured") &&
                strcmp(optarg, "host") && strcmp(optarg, "relevance"))
                return cli_usage_error(cli, "--sort takes added, title, captured, host or "
                                       "relevance (with -q), not '%s'", optarg);
            o->sort = optarg;
            break;
        case 'q': o->q = optarg; break;
        case C_LIMIT: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > 500)
                return cli_usage_error(cli, "--limit takes a number from 1 to 500, not '%s'", optarg);
            o->limit = v;
            break;
        }
        case C_ALL: o->all = 1; break;
        case C_NO_CAPTURE: o->no_capture = 1; break;
        case C_WAIT: o->wait = 1; break;
        case C_TITLE: o->title = optarg; break;
        case C_DESCRIPTION: o->description = optarg; break;
        case C_INTO: o->into = optarg; break;
        case C_FORMAT: o->format = optarg; break;
        case 'o': o->output = optarg; break;
        case C_FORCE: o->force = 1; break;
        case C_SNAPSHOT: {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || optarg[0] == '+')
                return cli_usage_error(cli, "--snapshot takes a snapshot id (a positive whole "
                                       "number), not '%s'", optarg);
            o->snapshot = v;
            break;
        }
        case C_PNG: case C_MHTML: case C_PDF: case C_TEXT: {
            const char *k = long_opts[longindex].name;
            if (o->kind && strcmp(o->kind, k))
                return cli_usage_error(cli, "give one of --png, --mhtml, --pdf or --text, not "
                                       "--%s and --%s", o->kind, k);
            o->kind = k;
            break;
        }
        }
        if (bad)
            return cli_fail(cli, "out of memory");
    }
    o->args = argv + optind;
    o->nargs = argc - optind;
    return CLI_EXIT_OK;
}

void opts_free(opts_t *o)
{
    json_decref(o->tags);
    json_decref(o->any);
    json_decref(o->not_);
    o->tags = o->any = o->not_ = NULL;
}
