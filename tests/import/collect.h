/* collect.h -- test helper for import/: runs a parser over a buffer in chunks of a given
 * size and records every entry and error, plus a canonical text of both so that two runs
 * can be compared byte for byte. Also checks the entry contract on every callback (valid
 * UTF-8, no NUL, caps) and counts violations. */
#ifndef LS_TEST_IMPORT_COLLECT_H
#define LS_TEST_IMPORT_COLLECT_H

#include "buf.h"
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECT_MAX 64

typedef struct {
    char url[256], title[256], desc[256], tags[512];
    int64_t created;
    uint64_t line;
    size_t ntags;
} rec_t;

typedef struct {
    rec_t rec[COLLECT_MAX];
    size_t n;                    /* entries seen (records kept for the first COLLECT_MAX) */
    size_t nerr;
    char err[COLLECT_MAX][160];
    uint64_t err_line[COLLECT_MAX];
    size_t violations;           /* contract broken by an entry */
    size_t stop_after;           /* 0: never stop */
    buf_t canon;
} collect_t;

static int collect_valid_str(const char *s, size_t cap)
{
    size_t n = strlen(s);
    return n <= cap && util_utf8_valid(s, n);
}

static int collect_entry_cb(const import_entry_t *e, void *ud)
{
    collect_t *c = ud;
    if (!e->url || !collect_valid_str(e->url, IMPORT_MAX_URL) || e->url[0] == '\0' ||
        (e->title && (!collect_valid_str(e->title, IMPORT_MAX_TITLE) || !*e->title)) ||
        (e->description && !collect_valid_str(e->description, IMPORT_MAX_DESCRIPTION)) ||
        e->ntags > IMPORT_MAX_TAGS || e->line == 0)
        c->violations++;
    for (size_t i = 0; i < e->ntags; i++)
        if (!collect_valid_str(e->tags[i], IMPORT_MAX_TAG) || !*e->tags[i])
            c->violations++;
    if (c->n < COLLECT_MAX) {
        rec_t *r = &c->rec[c->n];
        snprintf(r->url, sizeof(r->url), "%s", e->url);
        snprintf(r->title, sizeof(r->title), "%s", e->title ? e->title : "(null)");
        snprintf(r->desc, sizeof(r->desc), "%s", e->description ? e->description : "(null)");
        r->tags[0] = '\0';
        for (size_t i = 0; i < e->ntags; i++) {
            size_t l = strlen(r->tags);
            snprintf(r->tags + l, sizeof(r->tags) - l, "%s%s", i ? "|" : "", e->tags[i]);
        }
        r->created = e->created_ms;
        r->line = e->line;
        r->ntags = e->ntags;
    }
    c->n++;
    buf_printf(&c->canon, "E %llu %s\t%s\t%s\t%lld", (unsigned long long)e->line, e->url,
               e->title ? e->title : "-", e->description ? e->description : "-",
               (long long)e->created_ms);
    for (size_t i = 0; i < e->ntags; i++)
        buf_printf(&c->canon, "\t#%s", e->tags[i]);
    buf_append_str(&c->canon, "\n");
    return c->stop_after && c->n >= c->stop_after;
}

static void collect_error_cb(uint64_t line, const char *reason, void *ud)
{
    collect_t *c = ud;
    if (c->nerr < COLLECT_MAX) {
        snprintf(c->err[c->nerr], sizeof(c->err[0]), "%s", reason);
        c->err_line[c->nerr] = line;
    }
    c->nerr++;
    buf_printf(&c->canon, "X %llu %s\n", (unsigned long long)line, reason);
}

static void collect_init(collect_t *c)
{
    memset(c, 0, sizeof(*c));
    buf_init(&c->canon, 64u << 20);
}

static void collect_free(collect_t *c) { buf_free(&c->canon); }

/* Parses data in chunks of `chunk` bytes (0: one feed). Returns the final code and the
 * format in use through *fmt_out (may be NULL). */
static int collect_run(collect_t *c, import_format_t fmt, const char *data, size_t len,
                       size_t chunk, import_format_t *fmt_out)
{
    import_parser_t *p = import_parser_new(fmt, collect_entry_cb, collect_error_cb, c);
    if (!p)
        return IMPORT_ENOMEM;
    int rc = IMPORT_OK;
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len && rc == IMPORT_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = import_parser_feed(p, data + off, n);
    }
    if (rc == IMPORT_OK)
        rc = import_parser_finish(p);
    buf_printf(&c->canon, "RC %d %s\n", rc, import_format_name(import_parser_format(p)));
    if (fmt_out)
        *fmt_out = import_parser_format(p);
    import_parser_free(p);
    return rc;
}

/* Reads a whole file; NULL if it cannot. */
static char *collect_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf_t b;
    buf_init(&b, 0);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        if (buf_append(&b, tmp, n) != 0)
            break;
    fclose(f);
    return buf_take(&b, len);
}

#endif
