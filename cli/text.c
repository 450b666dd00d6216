/* text.c -- what a capture kept, out of linksnapd: `linksnap text` prints a page's words
 * (snapshot.text) as plain text, `linksnap get` saves one of its files (PNG, MHTML, PDF)
 * or its text. There is no method that sends a file's bytes, so get reads the path that
 * the snapshot's `files` names: linksnap must be able to read linksnapd's state dir.
 * Knows the snapshot methods of docs/protocol.md and local files; nothing of sockets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "jsonrpc.h"
#include "opts.h"

/* ---- which snapshot ------------------------------------------------------------------ */

/* The link id an ID or URL operand names (a URL is looked up with link.get). */
static int link_id_of(cli_t *cli, const char *arg, json_int_t *id)
{
    if (!strstr(arg, "://"))
        return cli_parse_id(cli, arg, id);
    json_t *r;
    int rc = cli_call(cli, "link.get", json_pack("{s:s}", "url", arg), &r);
    if (rc)
        return rc;
    *id = (json_int_t)cli_int(json_object_get(r, "link"), "id");
    json_decref(r);
    return CLI_EXIT_OK;
}

/* The link's snapshots, newest first (snapshot.list); *snaps owned. */
static int list_snapshots(cli_t *cli, json_int_t link_id, json_t **snaps)
{
    json_t *r;
    int rc = cli_call(cli, "snapshot.list", json_pack("{s:I}", "link_id", link_id), &r);
    if (rc)
        return rc;
    *snaps = json_incref(json_object_get(r, "snapshots"));
    json_decref(r);
    return *snaps ? CLI_EXIT_OK : cli_fail(cli, "linksnapd sent no snapshot list");
}

/* snapshot.text of one snapshot, newlines kept. No text: *t NULL and 0 (quiet) when
 * quiet, else the message and 1. */
static int snapshot_text(cli_t *cli, json_int_t sid, int quiet, json_t **t)
{
    json_t *error;
    int rc = cli_call_ex(cli, "snapshot.text", json_pack("{s:I}", "id", sid), 1, t, &error);
    if (rc && error) {
        int none = cli_int(error, "code") == RPC_NOT_FOUND;
        if (!none)
            cli_print_rpc_error(cli, NULL, error);
        json_decref(error);
        if (!none)
            return rc;
        if (quiet)
            return CLI_EXIT_OK;
        return cli_fail(cli, "snapshot #%lld has no text: it is unknown, not finished, failed, "
                        "or text was not among its formats", (long long)sid);
    }
    return rc;
}

/* The text of the given snapshot (sid > 0), or of the link's newest snapshot that has
 * text. *t owned. None: a message and 1. */
static int find_text(cli_t *cli, json_int_t sid, const char *link, json_t **t)
{
    *t = NULL;
    if (sid)
        return snapshot_text(cli, sid, 0, t);
    json_int_t link_id;
    json_t *snaps = NULL;
    int rc = link_id_of(cli, link, &link_id);
    if (rc || (rc = list_snapshots(cli, link_id, &snaps)))
        return rc;
    size_t i;
    json_t *s;
    json_array_foreach(snaps, i, s) {
        const char *state = cli_str(s, "state");
        if (!strcmp(state, "queued") || !strcmp(state, "running"))
            continue;
        if ((rc = snapshot_text(cli, (json_int_t)cli_int(s, "id"), 1, t)) || *t)
            break;
    }
    json_decref(snaps);
    if (!rc && !*t)
        rc = cli_fail(cli, "link #%lld has no snapshot with text (a new capture takes it: "
                      "linksnap snap %lld)", (long long)link_id, (long long)link_id);
    return rc;
}

/* ---- text ---------------------------------------------------------------------------- */

/* s with `first` before its first line and `rest` before each further one. */
static void put_lines(FILE *f, const char *first, const char *rest, const char *s)
{
    fputs(first, f);
    for (; *s; s++) {
        fputc(*s, f);
        if (*s == '\n' && s[1])
            fputs(rest, f);
    }
    fputc('\n', f);
}

/* The page's words as plain text: title, byline, then the article's blocks (headings,
 * paragraphs, "- " list items, "> " quotes, pre as it is), or the visible text when
 * Readability found no article. Headings and the title bold with colour. */
static void print_text(const json_t *t, int color, FILE *f)
{
    const char *bold = color ? "\033[1m" : "", *unbold = color ? "\033[22m" : "";
    const char *title = cli_str(t, "title"), *byline = cli_str(t, "byline");
    if (*title) {
        fputs(bold, f);
        for (const char *c = title; *c; c++)   /* one line */
            fputc(*c == '\n' || *c == '\t' ? ' ' : *c, f);
        fprintf(f, "%s\n", unbold);
    }
    if (*byline)
        put_lines(f, "", "", byline);
    int started = *title || *byline;
    const json_t *blocks = json_object_get(t, "blocks");
    if (!json_array_size(blocks)) {
        const char *text = cli_str(t, "text");
        if (*text) {
            if (started)
                fputc('\n', f);
            fputs(text, f);
            if (text[strlen(text) - 1] != '\n')
                fputc('\n', f);
        }
        return;
    }
    const char *prev = NULL;
    size_t i;
    const json_t *b;
    json_array_foreach(blocks, i, b) {
        const char *kind = cli_str(b, "kind"), *text = cli_str(b, "text");
        if (!*text)
            continue;
        if ((prev || started) && !(prev && !strcmp(prev, "li") && !strcmp(kind, "li")))
            fputc('\n', f);   /* a blank line between blocks; list items stay together */
        prev = kind;
        if (kind[0] == 'h' && kind[1] >= '1' && kind[1] <= '6' && !kind[2]) {
            fputs(bold, f);
            for (const char *c = text; *c; c++)
                fputc(*c == '\n' || *c == '\t' ? ' ' : *c, f);
            fprintf(f, "%s\n", unbold);
        } else if (!strcmp(kind, "li")) {
            put_lines(f, "- ", "  ", text);
        } else if (!strcmp(kind, "quote")) {
            put_lines(f, "> ", "> ", text);
        } else if (!strcmp(kind, "pre")) {
            fputs(text, f);
            if (text[strlen(text) - 1] != '\n')
                fputc('\n', f);
        } else {
            put_lines(f, "", "", text);
        }
    }
}

int cli_cmd_text(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *t = NULL;
    int rc = opts_parse(cli, argc, argv, OPT_SNAPSHOT, &o);
    if (rc)
        goto done;
    if (o.nargs > 1 || (o.nargs == 0) == (o.snapshot == 0)) {
        rc = cli_usage_error(cli, "give one link id or URL, or --snapshot N");
        goto done;
    }
    if ((rc = find_text(cli, (json_int_t)o.snapshot, o.nargs ? o.args[0] : NULL, &t)))
        goto done;
    if (cli->json) {
        cli_print_json(cli, t);
        goto done;
    }
    print_text(t, cli->color, cli->out);
    if (json_is_true(json_object_get(t, "cut")))
        fprintf(cli->err, "linksnap: the page had more text than linksnapd keeps (text_max_kb): "
                "this is its beginning\n");
done:
    json_decref(t);
    opts_free(&o);
    return rc;
}

/* ---- get ----------------------------------------------------------------------------- */

static const char *kind_name(const char *kind)
{
    return !strcmp(kind, "png") ? "PNG" : !strcmp(kind, "mhtml") ? "MHTML"
         : !strcmp(kind, "pdf") ? "PDF" : "text";
}

/* The snapshot whose files have `kind`: the given one (sid > 0) or the link's newest.
 * *snap owned. None: a message and 1. */
static int find_file(cli_t *cli, json_int_t sid, const char *link, const char *kind,
                     json_t **snap)
{
    *snap = NULL;
    const char *hint = !strcmp(kind, "pdf")
        ? " (PDF is made only when asked for: formats in linksnapd.conf, a site rule, or "
          "snapshot.request's formats)" : "";
    json_t *r = NULL, *snaps = NULL;
    int rc;
    if (sid) {
        if ((rc = cli_call(cli, "snapshot.get", json_pack("{s:I}", "id", sid), &r)))
            return rc;
        json_t *s = json_object_get(r, "snapshot");
        if (json_object_get(json_object_get(s, "files"), kind))
            *snap = json_incref(s);
        else
            rc = cli_fail(cli, "snapshot #%lld has no %s file%s", (long long)sid,
                          kind_name(kind), hint);
        json_decref(r);
        return rc;
    }
    json_int_t link_id;
    if ((rc = link_id_of(cli, link, &link_id)) || (rc = list_snapshots(cli, link_id, &snaps)))
        return rc;
    size_t i;
    json_t *s;
    json_array_foreach(snaps, i, s)
        if (json_object_get(json_object_get(s, "files"), kind)) {
            *snap = json_incref(s);
            break;
        }
    json_decref(snaps);
    if (!*snap)
        return cli_fail(cli, "link #%lld has no snapshot with a %s file%s", (long long)link_id,
                        kind_name(kind), hint);
    return CLI_EXIT_OK;
}

/* Copies src (a file of linksnapd's, or -1) then mem[0..memlen) to f and flushes it;
 * *total counts the bytes. 0, or a message and 1 (from and to name the two ends). */
static int copy_to(cli_t *cli, int src, const char *from, const char *mem, size_t memlen,
                   FILE *f, const char *to, long long *total)
{
    char chunk[65536];
    *total = 0;
    for (;;) {
        ssize_t n = src >= 0 ? read(src, chunk, sizeof chunk) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cli_fail(cli, "cannot read %s: %s", from, strerror(errno));
        if (n == 0)
            break;
        if (fwrite(chunk, 1, (size_t)n, f) != (size_t)n)
            return cli_fail(cli, "cannot write %s: %s", to, strerror(errno));
        *total += n;
    }
    if (memlen && fwrite(mem, 1, memlen, f) != memlen)
        return cli_fail(cli, "cannot write %s: %s", to, strerror(errno));
    *total += (long long)memlen;
    if (fflush(f) != 0)
        return cli_fail(cli, "cannot write %s: %s", to, strerror(errno));
    return CLI_EXIT_OK;
}

/* Writes the data into `out` by way of a temporary file beside it, renamed over it with
 * force, else put in place only if nothing is there yet (never overwriting a file that
 * appeared meanwhile). */
static int save_file(cli_t *cli, const char *out, int force, int src, const char *from,
                     const char *mem, size_t memlen, long long *total)
{
    char tmp[4200];
    int fd = -1;
    for (int i = 0; fd < 0 && i < 100; i++) {
        if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%d", out, (long)getpid(), i) >= (int)sizeof tmp)
            return cli_fail(cli, "%s: the name is too long", out);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return cli_fail(cli, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (fd < 0)
        return cli_fail(cli, "cannot make a temporary file beside %s", out);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return cli_fail(cli, "out of memory");
    }
    int rc = copy_to(cli, src, from, mem, memlen, f, tmp, total);
    if (!rc && fsync(fd) != 0)
        rc = cli_fail(cli, "cannot write %s: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && !rc)
        rc = cli_fail(cli, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && force && rename(tmp, out) != 0)
        rc = cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
    else if (!rc && !force) {
        /* link() fails with EEXIST rather than replace: no window for a file made meanwhile */
        if (link(tmp, out) != 0)
            rc = errno == EEXIST
                ? cli_fail(cli, "%s exists: give --force to overwrite it", out)
                : cli_fail(cli, "cannot write %s: %s", out, strerror(errno));
        unlink(tmp);
    }
    if (rc)
        unlink(tmp);
    return rc;
}

int cli_cmd_get(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *snap = NULL, *t = NULL;
    char *mem = NULL;
    size_t memlen = 0;
    int src = -1;
    int rc = opts_parse(cli, argc, argv, OPT_KIND | OPT_OUTPUT | OPT_FORCE | OPT_SNAPSHOT, &o);
    if (rc)
        goto done;
    if (o.nargs > 1 || (o.nargs == 0) == (o.snapshot == 0)) {
        rc = cli_usage_error(cli, "give one link id or URL, or --snapshot N");
        goto done;
    }
    if (!o.kind) {
        rc = cli_usage_error(cli, "say which file: --png, --mhtml, --pdf or --text");
        goto done;
    }
    if (!o.output || !*o.output) {
        rc = cli_usage_error(cli, "give -o FILE (- for standard output)");
        goto done;
    }
    int to_stdout = !strcmp(o.output, "-"), text = !strcmp(o.kind, "text");
    if (to_stdout && !text && cli->tty) {
        rc = cli_usage_error(cli, "a %s is not for the terminal: give -o FILE or redirect",
                             kind_name(o.kind));
        goto done;
    }
    struct stat st;
    if (!to_stdout && !o.force && lstat(o.output, &st) == 0) {
        rc = cli_fail(cli, "%s exists: give --force to overwrite it", o.output);
        goto done;
    }
    json_int_t sid = (json_int_t)o.snapshot;
    const char *link = o.nargs ? o.args[0] : NULL, *from = "the page's text";
    if (text) {
        /* the words as `linksnap text` prints them, never with colour */
        FILE *m;
        if ((rc = find_text(cli, sid, link, &t)))
            goto done;
        if (!(m = open_memstream(&mem, &memlen))) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
        print_text(t, 0, m);
        if (fclose(m) != 0) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
        sid = (json_int_t)cli_int(t, "snapshot_id");
    } else {
        if ((rc = find_file(cli, sid, link, o.kind, &snap)))
            goto done;
        sid = (json_int_t)cli_int(snap, "id");
        from = cli_str(json_object_get(json_object_get(snap, "files"), o.kind), "path");
        if (!*from) {
            rc = cli_fail(cli, "linksnapd named no file for the %s of snapshot #%lld",
                          kind_name(o.kind), (long long)sid);
            goto done;
        }
        if ((src = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
            rc = cli_fail(cli, "cannot read %s: %s (linksnap reads the file from linksnapd's "
                          "state dir itself: run it as a user who may read it)", from,
                          strerror(errno));
            goto done;
        }
    }
    long long total = 0;
    if (to_stdout) {
        rc = copy_to(cli, src, from, mem, memlen, cli->out, "standard output", &total);
        goto done;
    }
    if ((rc = save_file(cli, o.output, o.force, src, from, mem, memlen, &total)))
        goto done;
    if (cli->json) {
        json_t *j = json_pack("{s:I,s:s,s:s,s:I}", "snapshot_id", sid, "format", o.kind,
                              "output", o.output, "bytes", (json_int_t)total);
        if (!j) {
            rc = cli_fail(cli, "out of memory");
            goto done;
        }
        cli_print_json(cli, j);
        json_decref(j);
    } else {
        fprintf(cli->err, "saved the %s of snapshot #%lld to %s (%lld bytes)\n",
                kind_name(o.kind), (long long)sid, o.output, total);
    }
done:
    if (src >= 0)
        close(src);
    free(mem);
    json_decref(t);
    json_decref(snap);
    opts_free(&o);
    return rc;
}
