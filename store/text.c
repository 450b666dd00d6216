/* text.c -- the words of captured pages: what a good capture is, each snapshot's text
 * (page_texts), which text of a link is in the full-text index (text_indexed, text_fts)
 * and the chunked rebuild of that index. The tokenizer and the MATCH expression are
 * fts.c's; listing and sorting is links.c's. Callers provide the transaction. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

int store_capture_good(const char *state, int http_status, int blank,
                       store_partial_t partial_kind)
{
    if (!state || blank || http_status < 1 || http_status >= 400)
        return 0;
    if (!strcmp(state, "ok"))
        return 1;
    return !strcmp(state, "partial") && partial_kind == STORE_PARTIAL_NOT_QUIET;
}

int store_snapshot_good(const store_snapshot_t *x)
{
    return x && store_capture_good(x->state, x->http_status, x->blank, x->partial_kind);
}

/* linksnap_good(state, http_status, blank, partial_kind) for SQL: the same rule. */
static void good_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(ctx, store_capture_good((const char *)sqlite3_value_text(argv[0]),
                                               sqlite3_value_int(argv[1]),
                                               sqlite3_value_int(argv[2]),
                                               (store_partial_t)sqlite3_value_int(argv[3])));
}

/* linksnap_host(url): the host of a normalised URL, for sort=host. */
static void host_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *u = (const char *)sqlite3_value_text(argv[0]);
    if (!u) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *p = strstr(u, "://");
    p = p ? p + 3 : u;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t h = n;
    if (n && p[0] == '[') {             /* [v6]:port */
        const char *close = memchr(p, ']', n);
        h = close ? (size_t)(close - p) + 1 : n;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon)
            h = (size_t)(colon - p);
    }
    if (h > 4 && !strncmp(p, "www.", 4)) {   /* www.example.com sorts with example.com */
        p += 4;
        h -= 4;
    }
    sqlite3_result_text(ctx, p, (int)h, SQLITE_TRANSIENT);
}

int store_text_register(store_t *s)
{
    int rc = sqlite3_create_function(s->db, "linksnap_good", 4,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     good_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(s->db, "linksnap_host", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     host_fn, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "register the text functions");
    return store_fts_register(s);
}

/* ---- writing ------------------------------------------------------------------------- */

/* Valid UTF-8 without control characters but tab and newline (the snippet's markers are
 * control characters). Returns s itself when it is clean, else an owned copy in *owned. */
static const char *clean(const char *s, char **owned)
{
    *owned = NULL;
    if (!s)
        return NULL;
    size_t len = strlen(s);
    int dirty = !util_utf8_valid(s, len);
    for (size_t i = 0; !dirty && i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
            dirty = 1;
    if (!dirty)
        return s;
    char *c = util_utf8_valid(s, len) ? strdup(s) : util_utf8_repair(s, len, NULL);
    if (!c)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; c[i]; i++)
        if ((unsigned char)c[i] >= 0x20 || c[i] == '\n' || c[i] == '\t')
            c[w++] = c[i];
        else if (w && c[w - 1] != ' ')
            c[w++] = ' ';
    c[w] = '\0';
    *owned = c;
    return c;
}

static int query_id(store_t *s, const char *sql, int64_t a, int64_t *out, const char *what)
{
    sqlite3_stmt *st;
    *out = 0;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, what);
    sqlite3_bind_int64(st, 1, a);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, what);
}

/* query_id with one of the connection's kept statements. */
static int stmt_id(store_t *s, stmt_id_t which, int64_t a, int64_t *out, const char *what)
{
    *out = 0;
    sqlite3_stmt *st = store_stmt(s, which);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, a);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, what);
}

/* Puts one snapshot's text into text_fts (ST_FTS_INSERT) or takes it out (ST_FTS_DELETE,
 * which needs the very text that went in), under its link's id. A one-row VALUES with
 * the text bound, not an INSERT ... SELECT: that one has a statement journal, and FTS5
 * writes its pending terms to a new segment at the end of every such statement. */
static int fts_write(store_t *s, stmt_id_t which, int64_t snapshot)
{
    sqlite3_stmt *get = store_stmt(s, ST_TEXT_OF);
    if (!get)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(get, 1, snapshot);
    int rc = sqlite3_step(get);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(get);
        return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "read a page text");
    }
    sqlite3_stmt *put = store_stmt(s, which);
    if (!put) {
        sqlite3_reset(get);
        return STORE_EINTERNAL;
    }
    sqlite3_bind_int64(put, 1, sqlite3_column_int64(get, 0));
    /* the text stays where the row has it until get's reset, after put's step */
    sqlite3_bind_text(put, 2, (const char *)sqlite3_column_text(get, 1),
                      sqlite3_column_bytes(get, 1), SQLITE_STATIC);
    rc = store_step_done(s, put, which == ST_FTS_DELETE ? "unindex text" : "index text");
    sqlite3_clear_bindings(put);
    sqlite3_reset(get);
    return rc;
}

/* Puts the link's newest good text in the index (and its older one out). The caller
 * collects the terms around it (store_fts_terms_collect / _flush). */
static int index_link(store_t *s, int64_t link)
{
    int64_t cur, best;
    int rc = stmt_id(s, ST_TEXT_INDEXED_OF, link, &cur, "find indexed text");
    if (rc || (rc = stmt_id(s, ST_TEXT_BEST_OF_LINK, link, &best, "find the newest good text")))
        return rc;
    if (cur == best)
        return STORE_OK;
    if (cur && ((rc = fts_write(s, ST_FTS_DELETE, cur)) ||
                (rc = stmt_id(s, ST_TEXT_INDEXED_DELETE, link, &cur, "unindex text"))))
        return rc;
    if (!best)
        return STORE_OK;
    sqlite3_stmt *st = store_stmt(s, ST_TEXT_INDEXED_INSERT);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link);
    sqlite3_bind_int64(st, 2, best);
    if ((rc = store_step_done(s, st, "index text")))
        return rc;
    /* the tokenizer notes the text's terms for text_terms on the way (fts.c) */
    return fts_write(s, ST_FTS_INSERT, best);
}

/* index_link for n links, their terms collected together and written once. */
static int index_links(store_t *s, const int64_t *links, size_t n)
{
    int rc = store_fts_terms_collect(s);
    for (size_t i = 0; i < n && !rc; i++)
        rc = i && links[i] == links[i - 1] ? STORE_OK : index_link(s, links[i]);
    int r2 = store_fts_terms_flush(s);
    return rc ? rc : r2;
}

void store_text_pending_clear(store_t *s)
{
    s->ntext_links = 0;
}

int store_text_index_pending(store_t *s)
{
    if (!s->ntext_links)
        return STORE_OK;
    int rc = index_links(s, s->text_links, s->ntext_links);
    s->ntext_links = 0;
    return rc;
}

/* Indexes the link at the commit when a transaction is open (store_commit), else now. */
static int index_later(store_t *s, int64_t link)
{
    if (sqlite3_get_autocommit(s->db))
        return index_links(s, &link, 1);
    if (s->ntext_links && s->text_links[s->ntext_links - 1] == link)
        return STORE_OK;
    if (s->ntext_links == s->captext_links) {
        size_t nc = s->captext_links ? s->captext_links * 2 : 64;
        int64_t *v = realloc(s->text_links, nc * sizeof *v);
        if (!v)
            return store_fail(s, STORE_ENOMEM, "out of memory");
        s->text_links = v;
        s->captext_links = nc;
    }
    s->text_links[s->ntext_links++] = link;
    return STORE_OK;
}

int store_text_put(store_t *s, int64_t snapshot_id, const store_page_text_t *t)
{
    if (!t || !t->text)
        return store_fail(s, STORE_EINVAL, "a page text needs its text");
    int64_t link;
    int rc = stmt_id(s, ST_SNAPSHOT_LINK, snapshot_id, &link, "find snapshot");
    if (rc)
        return rc;
    if (!link)
        return store_fail(s, STORE_ENOTFOUND, "snapshot %lld not found", (long long)snapshot_id);
    const char *in[6] = {t->title, t->byline, t->lang, t->excerpt, t->text, t->blocks_json};
    char *owned[6] = {0};
    const char *v[6];
    sqlite3_stmt *st = NULL;
    for (int i = 0; i < 6; i++) {
        v[i] = clean(in[i], &owned[i]);
        if (in[i] && !v[i]) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!(st = store_stmt(s, ST_TEXT_PUT))) {
        rc = STORE_EINTERNAL;
        goto out;
    }
    sqlite3_bind_int64(st, 1, snapshot_id);
    sqlite3_bind_int64(st, 2, link);
    sqlite3_bind_int(st, 3, t->cut != 0);
    for (int i = 0; i < 6; i++)
        if (v[i])
            sqlite3_bind_text(st, 4 + i, v[i], -1, SQLITE_STATIC);
    rc = store_step_done(s, st, "save page text");
    sqlite3_clear_bindings(st);   /* nothing keeps pointing at the texts freed below */
    if (!rc)
        rc = index_later(s, link);
out:
    for (int i = 0; i < 6; i++)
        free(owned[i]);
    return rc;
}

void store_text_free(store_text_t *t)
{
    if (!t)
        return;
    free(t->title);
    free(t->byline);
    free(t->lang);
    free(t->excerpt);
    free(t->blocks_json);
    free(t->text);
    free(t);
}

int store_text_get(store_t *s, int64_t snapshot_id, store_text_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(s->db, "SELECT p.snapshot_id, p.link_id, p.cut, p.title, p.byline, "
                                "p.lang, p.excerpt, p.blocks, p.text, i.link_id IS NOT NULL FROM "
                                "page_texts p LEFT JOIN text_indexed i ON i.snapshot_id = "
                                "p.snapshot_id WHERE p.snapshot_id = ?1", -1,
                                SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "get page text");
    sqlite3_bind_int64(st, 1, snapshot_id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
            return store_fail(s, STORE_ENOTFOUND, "snapshot %lld has no text",
                              (long long)snapshot_id);
        return store_fail_sqlite(s, rc, "get page text");
    }
    store_text_t *t = calloc(1, sizeof *t);
    if (!t) {
        sqlite3_finalize(st);
        return store_fail(s, STORE_ENOMEM, "out of memory");
    }
    t->snapshot_id = sqlite3_column_int64(st, 0);
    t->link_id = sqlite3_column_int64(st, 1);
    t->cut = sqlite3_column_int(st, 2);
    char **f[] = {&t->title, &t->byline, &t->lang, &t->excerpt, &t->blocks_json, &t->text};
    int nomem = 0;
    for (int i = 0; i < 6; i++)
        if (sqlite3_column_type(st, 3 + i) != SQLITE_NULL && !(*f[i] = store_col_strdup(st, 3 + i)))
            nomem = 1;
    t->indexed = sqlite3_column_int(st, 9);
    sqlite3_finalize(st);
    if (nomem) {
        store_text_free(t);
        return store_fail(s, STORE_ENOMEM, "out of memory");
    }
    *out = t;
    return STORE_OK;
}

/* ---- rebuilding the index ------------------------------------------------------------ */

int store_text_reindex_begin(store_t *s, int64_t *total)
{
    store_fts_terms_forget(s);
    int rc = store_exec(s, "INSERT INTO text_fts(text_fts) VALUES ('delete-all');"
                           "DELETE FROM text_indexed; DELETE FROM text_terms;");
    if (rc)
        return rc;
    return query_id(s, "SELECT count(DISTINCT link_id) FROM page_texts WHERE ?1", 1, total,
                    "count texts");
}

int store_text_reindex_step(store_t *s, int64_t after, int max, int64_t *next, int64_t *done)
{
    *next = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(s->db, "SELECT DISTINCT link_id FROM page_texts WHERE "
                                "link_id > ?1 ORDER BY link_id LIMIT ?2", -1,
                                SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "reindex");
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, max > 0 ? max : 1);
    int64_t *ids = calloc((size_t)(max > 0 ? max : 1), sizeof *ids);
    int n = 0;
    if (!ids) {
        sqlite3_finalize(st);
        return store_fail(s, STORE_ENOMEM, "out of memory");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(ids);
        return store_fail_sqlite(s, rc, "reindex");
    }
    rc = index_links(s, ids, (size_t)n);
    if (!rc) {
        *done += n;
        *next = n == (max > 0 ? max : 1) ? ids[n - 1] : 0;
    }
    free(ids);
    return rc;
}
