/* import.c -- the import parser object: holds the first bytes until the format is known
 * (BOM, detection), then passes every chunk to the format's tokenizer and keeps the sticky
 * return code. Knows no format syntax itself; detect.c and the fmt_*.c files do. */
#include "import_int.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIFF_MAX 65536

struct import_parser {
    import_ctx_t ctx;
    import_format_t fmt;      /* requested, then detected */
    const iformat_ops_t *ops; /* NULL while detecting */
    void *st;                 /* the format's state, owned */
    buf_t sniff;              /* first bytes, until the format is known */
    int rc;                   /* sticky: IMPORT_STOPPED or a negative code */
    int finished;
};

static const iformat_ops_t *ops_for(import_format_t fmt)
{
    switch (fmt) {
    case IMPORT_FMT_NETSCAPE: return &import_netscape_ops;
    case IMPORT_FMT_CSV: return &import_csv_ops;
    case IMPORT_FMT_JSONL: return &import_jsonl_ops;
    case IMPORT_FMT_JSON: return &import_json_ops;
    case IMPORT_FMT_TEXT:
    case IMPORT_FMT_AUTO:
    default: return &import_text_ops;
    }
}

import_parser_t *import_parser_new(import_format_t fmt, import_entry_cb entry_cb,
                                   import_error_cb error_cb, void *ud)
{
    if (!entry_cb || (int)fmt < (int)IMPORT_FMT_AUTO || (int)fmt > (int)IMPORT_FMT_JSON)
        return NULL;
    import_parser_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (ient_init(&p->ctx.ent) != 0) {
        free(p);
        return NULL;
    }
    p->ctx.entry_cb = entry_cb;
    p->ctx.error_cb = error_cb;
    p->ctx.ud = ud;
    p->ctx.line = 1;
    p->fmt = fmt;
    buf_init(&p->sniff, SNIFF_MAX);
    return p;
}

void import_parser_free(import_parser_t *p)
{
    if (!p)
        return;
    if (p->ops && p->st)
        p->ops->destroy(p->st);
    buf_free(&p->sniff);
    ient_free(&p->ctx.ent);
    free(p);
}

/* Decides the format from s[0..n) (the held bytes, or a whole chunk when nothing is held)
 * and, when decided, starts the format's tokenizer on them. *started tells which. */
static int try_start(import_parser_t *p, const unsigned char *s, size_t n, int eof,
                     int *started)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    size_t skip = 0;
    *started = 0;
    if (!s)
        s = (const unsigned char *)"";
    if (n < 3 && !eof && (n == 0 || memcmp(s, bom, n) == 0))
        return IMPORT_OK; /* could still be a BOM */
    if (n >= 3 && memcmp(s, bom, 3) == 0)
        skip = 3;
    import_format_t fmt = p->fmt;
    if (fmt == IMPORT_FMT_AUTO && !import_detect((const char *)s + skip, n - skip, eof, &fmt))
        return IMPORT_OK;
    p->fmt = fmt;
    p->ops = ops_for(fmt);
    p->st = p->ops->create(&p->ctx);
    if (!p->st) {
        p->ops = NULL;
        snprintf(p->ctx.errmsg, sizeof(p->ctx.errmsg), "out of memory");
        return IMPORT_ENOMEM;
    }
    *started = 1;
    p->ctx.ent.collapse_desc = fmt == IMPORT_FMT_NETSCAPE;
    return n > skip ? p->ops->feed(p->st, &p->ctx, s + skip, n - skip) : IMPORT_OK;
}

int import_parser_feed(import_parser_t *p, const char *data, size_t len)
{
    if (!p)
        return IMPORT_EINVAL;
    if (p->rc)
        return p->rc;
    if (p->finished) {
        snprintf(p->ctx.errmsg, sizeof(p->ctx.errmsg), "feed after finish");
        return IMPORT_EINVAL;
    }
    const unsigned char *s = (const unsigned char *)data;
    int rc = IMPORT_OK, started = 0;
    if (!p->ops && p->sniff.len == 0) {
        /* usually the first chunk decides: no copy */
        rc = try_start(p, s, len, 0, &started);
        if (started || rc != IMPORT_OK)
            return p->rc = rc;
    }
    if (!p->ops) {
        size_t take = SNIFF_MAX - p->sniff.len;
        if (take > len)
            take = len;
        if (buf_append(&p->sniff, s, take) != 0) {
            snprintf(p->ctx.errmsg, sizeof(p->ctx.errmsg), "out of memory");
            return p->rc = IMPORT_ENOMEM;
        }
        s += take;
        len -= take;
        rc = try_start(p, (const unsigned char *)p->sniff.data, p->sniff.len,
                       p->sniff.len >= SNIFF_MAX, &started);
        if (started)
            buf_free(&p->sniff);
        if (rc != IMPORT_OK || !started)
            return p->rc = rc;
    }
    if (len)
        rc = p->ops->feed(p->st, &p->ctx, s, len);
    return p->rc = rc;
}

int import_parser_finish(import_parser_t *p)
{
    if (!p)
        return IMPORT_EINVAL;
    if (p->rc)
        return p->rc;
    if (p->finished)
        return IMPORT_OK;
    p->finished = 1;
    int rc = IMPORT_OK, started = 0;
    if (!p->ops) {
        rc = try_start(p, (const unsigned char *)p->sniff.data, p->sniff.len, 1, &started);
        buf_free(&p->sniff);
    }
    if (rc == IMPORT_OK && p->ops)
        rc = p->ops->finish(p->st, &p->ctx);
    return p->rc = rc;
}

import_format_t import_parser_format(const import_parser_t *p) { return p->fmt; }

uint64_t import_parser_lines(const import_parser_t *p) { return p->ctx.line; }

const char *import_parser_errmsg(const import_parser_t *p)
{
    if (!p || p->rc >= 0)
        return "";
    /* the formats return IMPORT_ENOMEM without a sentence of their own */
    return p->rc == IMPORT_ENOMEM && !p->ctx.errmsg[0] ? "out of memory" : p->ctx.errmsg;
}

/* ---- format names ---- */

static const char *const fmt_names[] = {"auto", "text", "netscape", "csv", "jsonl", "json"};

const char *import_format_name(import_format_t fmt)
{
    if ((int)fmt < (int)IMPORT_FMT_AUTO || (int)fmt > (int)IMPORT_FMT_JSON)
        return "unknown";
    return fmt_names[fmt];
}

int import_format_parse(const char *name, import_format_t *out)
{
    static const struct {
        const char *name;
        import_format_t fmt;
    } aliases[] = {{"html", IMPORT_FMT_NETSCAPE}, {"txt", IMPORT_FMT_TEXT},
                   {"ndjson", IMPORT_FMT_JSONL}};
    if (!name)
        return -1;
    for (int f = IMPORT_FMT_AUTO; f <= IMPORT_FMT_JSON; f++) {
        if (strcasecmp(name, fmt_names[f]) == 0) {
            *out = (import_format_t)f;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcasecmp(name, aliases[i].name) == 0) {
            *out = aliases[i].fmt;
            return 0;
        }
    }
    return -1;
}
