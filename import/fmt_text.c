/* fmt_text.c -- plain text imports: one URL per line. Blank lines and '#' comments are
 * skipped, whitespace around a URL is trimmed, LF, CRLF and CR all end a line, a line past
 * IMPORT_MAX_LINE is reported and skipped. Knows nothing of URLs: the line is the URL. */
#include "import_int.h"

#include <stdlib.h>

typedef struct {
    ifield_t line;       /* the line being read, capped */
    uint64_t start;      /* its line number */
} text_t;

static void *text_create(import_ctx_t *c)
{
    text_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (ifield_init(&t->line, IMPORT_MAX_LINE) != 0) {
        free(t);
        return NULL;
    }
    t->start = c->line;
    return t;
}

static void text_destroy(void *st)
{
    text_t *t = st;
    if (!t)
        return;
    ifield_free(&t->line);
    free(t);
}

static int is_blank(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\f' || ch == '\v'; }

static int end_line(text_t *t, import_ctx_t *c)
{
    int rc = IMPORT_OK;
    const char *s = t->line.data;
    size_t n = t->line.len;
    if (t->line.over) {
        ictx_error(c, t->start, "line longer than %d bytes", IMPORT_MAX_LINE);
        goto done;
    }
    while (n && is_blank((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && is_blank((unsigned char)s[n - 1]))
        n--;
    if (n == 0 || s[0] == '#')
        goto done;
    ient_reset(&c->ent);
    ifield_put(&c->ent.url, s, n);
    c->ent.line = t->start;
    rc = ient_emit(c);
done:
    ifield_reset(&t->line);
    return rc;
}

static int text_put(void *st, const char *p, size_t n)
{
    text_t *t = st;
    ifield_put(&t->line, p, n);   /* capped: the line's end reports an overlong one */
    return IMPORT_OK;
}

static int text_end(void *st, import_ctx_t *c)
{
    return end_line(st, c);
}

static int text_feed(void *st, import_ctx_t *c, const unsigned char *s, size_t n)
{
    text_t *t = st;
    return iline_feed(c, s, n, &t->start, text_put, text_end, t);
}

static int text_finish(void *st, import_ctx_t *c)
{
    text_t *t = st;
    return end_line(t, c);
}

const iformat_ops_t import_text_ops = {text_create, text_feed, text_finish, text_destroy};
