/* export.c -- `linksnap export`: the library, or what a filter of `ls` shows, as Netscape
 * bookmark HTML, JSON Lines or CSV (common/export.c), into a file or onto stdout. It pages
 * through link.list (500 links a call, by its cursor) and writes each page before asking
 * for the next: memory stays one page however large the library, and linksnapd needs no
 * method of its own (GET /export streams the same formats over HTTP). A file is written
 * beside its name and renamed into place when whole; an existing one only with --force. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "export.h"
#include "opts.h"

/* The link.list params of one page: the filter of o, the page size and the cursor. */
static json_t *page_params(const opts_t *o, const char *cursor)
{
    json_t *p = json_object();
    if (p && json_array_size(o->tags))
        json_object_set(p, "tags_all", o->tags);
    if (p && json_array_size(o->any))
        json_object_set(p, "tags_any", o->any);
    if (p && json_array_size(o->not_))
        json_object_set(p, "tags_none", o->not_);
    if (p && o->untagged)
        json_object_set_new(p, "untagged", json_true());
    if (p && o->broken)
        json_object_set_new(p, "broken", json_true());
    if (p && o->q)
        json_object_set_new(p, "q", json_string(o->q));
    if (p && o->sort)
        json_object_set_new(p, "sort", json_string(o->sort));
    if (p)
        json_object_set_new(p, "limit", json_integer(500));
    if (p && cursor)
        json_object_set_new(p, "cursor", json_string(cursor));
    return p;
}

static int flush(cli_t *cli, FILE *f, buf_t *b, const char *path)
{
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        return cli_fail(cli, "cannot write %s: %s", path, strerror(errno));
    buf_reset(b);
    return CLI_EXIT_OK;
}

int cli_cmd_export(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    char *cursor = NULL;
    FILE *f = NULL;
    char tmp[4200] = "";
    buf_t b;
    buf_init(&b, 0);
    long long n = 0;
    int rc = opts_parse(cli, argc, argv, OPT_TAG | OPT_ANY | OPT_NOT | OPT_UNTAGGED | OPT_QUERY |
                        OPT_BROKEN | OPT_SORT | OPT_FORMAT | OPT_OUTPUT | OPT_FORCE, &o);
    if (rc)
        goto done;
    int fmt = export_format_parse(o.format ? o.format : "netscape");
    if (fmt < 0) {
        rc = cli_usage_error(cli, "--format takes netscape, jsonl or csv, not '%s'", o.format);
        goto done;
    }
    if (o.nargs) {
        rc = cli_usage_error(cli, "unexpected argument '%s' (filter with -t, --any, --not, -q; "
                             "-o FILE names the file)", o.args[0]);
        goto done;
    }
    const char *path = o.output && strcmp(o.output, "-") ? o.output : NULL;
    struct stat st;
    if (path && !o.force && lstat(path, &st) == 0) {
        rc = cli_fail(cli, "%s exists: give --force to overwrite it", path);
        goto done;
    }
    if (path && snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        rc = cli_fail(cli, "%s: the name is too long", path);
        goto done;
    }
    if (path && !(f = fopen(tmp, "wbx"))) {
        rc = cli_fail(cli, "cannot create %s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto done;
    }
    FILE *out = f ? f : cli->out;
    const char *name = path ? path : "standard output";
    if (export_write_head(fmt, &b)) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    for (;;) {
        json_t *p = page_params(&o, cursor);
        json_decref(r);
        r = NULL;
        if ((rc = cli_call_ex(cli, "link.list", p, 1, &r, NULL)))
            goto done;
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(r, "links"), i, l) {
            if (export_write_link(fmt, l, &b)) {
                rc = cli_fail(cli, "out of memory");
                goto done;
            }
            n++;
        }
        if ((rc = flush(cli, out, &b, name)))
            goto done;
        free(cursor);
        cursor = NULL;
        const char *next = json_string_value(json_object_get(r, "next_cursor"));
        if (!next)
            break;
        if (!(cursor = strdup(next))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
    }
    if (export_write_tail(fmt, &b)) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    if ((rc = flush(cli, out, &b, name)))
        goto done;
    if (fflush(out) != 0) {
        rc = cli_fail(cli, "cannot write %s: %s", name, strerror(errno));
        goto done;
    }
done:
    if (f) {
        if (fclose(f) != 0 && !rc)
            rc = cli_fail(cli, "cannot write %s: %s", tmp, strerror(errno));
        if (!rc && rename(tmp, o.output) != 0)
            rc = cli_fail(cli, "cannot write %s: %s", o.output, strerror(errno));
        if (rc)
            unlink(tmp);   /* no half a file that looks whole */
        else
            fprintf(cli->err, "exported %lld link%s to %s\n", n, n == 1 ? "" : "s", o.output);
    }
    buf_free(&b);
    free(cursor);
    json_decref(r);
    opts_free(&o);
    return rc;
}
