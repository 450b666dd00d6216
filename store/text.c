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

/* Puts the link's newest good text in the index (and its older one out). */
static int index_link(store_t *s, int64_t link)
{
    int64_t cur, best;
    int rc = query_id(s, "SELECT snapshot_id FROM text_indexed WHERE link_id = ?1", link, &cur,
                      "find indexed text");
    if (rc || (rc = query_id(s, "SELECT p.snapshot_id FROM page_texts p JOIN snapshots n ON "
                                "n.id = p.snapshot_id WHERE p.link_id = ?1 AND "
                                "linksnap_good(n.state, n.http_status, n.blank, n.partial_kind) "
                                "ORDER BY p.snapshot_id DESC LIMIT 1", link, &best,
                             "find the newest good text")))
        return rc;
    if (cur == best)
        return STORE_OK;
    if (cur) {
        if ((rc = store_exec_i2(s, "INSERT INTO text_fts(text_fts, rowid, text) SELECT 'delete', "
                                   "link_id, text FROM page_texts WHERE snapshot_id = ?1 AND ?2",
                                cur, 1, NULL, "unindex text")) ||
            (rc = store_exec_i2(s, "DELETE FROM text_indexed WHERE link_id = ?1 AND ?2", link, 1,
                                NULL, "unindex text")))
            return rc;
    }
    if (best) {
        if ((rc = store_exec_i2(s, "INSERT INTO text_indexed(link_id, snapshot_id) VALUES (?1, ?2)",
                                link, best, NULL, "index text")) ||
            (rc = store_fts_terms_collect(s)))
            return rc;
        /* the tokenizer notes the text's terms for text_terms on the way (fts.c) */
        rc = store_exec_i2(s, "INSERT INTO text_fts(rowid, text) SELECT link_id, text FROM "
                           "page_texts WHERE snapshot_id = ?1 AND ?2", best, 1, NULL, "index text");
        int r2 = store_fts_terms_flush(s);
        if (rc || (rc = r2))
            return rc;
    }
    return STORE_OK;
}

int store_text_put(store_t *s, int64_t snapshot_id, const store_page_text_t *t)
{
    if (!t || !t->text)
        return store_fail(s, STORE_EINVAL, "a page text needs its text");
    int64_t link;
    int rc = query_id(s, "SELECT link_id FROM snapshots WHERE id = ?1", snapshot_id, &link,
                      "find snapshot");
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
    rc = sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO page_texts(snapshot_id, link_id, cut, "
                            "title, byline, lang, excerpt, text, blocks) VALUES (?1, ?2, ?3, ?4, "
                            "?5, ?6, ?7, ?8, ?9)", -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "save page text");
        goto out;
    }
    sqlite3_bind_int64(st, 1, snapshot_id);
    sqlite3_bind_int64(st, 2, link);
    sqlite3_bind_int(st, 3, t->cut != 0);
    for (int i = 0; i < 6; i++)
        if (v[i])
            sqlite3_bind_text(st, 4 + i, v[i], -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    rc = rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "save page text");
    if (!rc)
        rc = index_link(s, link);
out:
    sqlite3_finalize(st);
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
    rc = STORE_OK;
    for (int i = 0; i < n && !rc; i++)
        rc = index_link(s, ids[i]);
    if (!rc) {
        *done += n;
        *next = n == (max > 0 ? max : 1) ? ids[n - 1] : 0;
    }
    free(ids);
    return rc;
}
