/* store.c -- the store's connection: open with the pragmas that make writes durable (WAL,
 * synchronous=FULL, foreign keys, busy timeout), forward-only migrations at open,
 * transactions and savepoints, the prepared-statement cache, counters, integrity check and
 * online backup. SQLite result codes become STORE_E* codes and sentences here only. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"
#include "store_schema.h"

int store_fail(store_t *s, int code, const char *fmt, ...)
{
    if (s) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, sizeof s->err, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int code_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return STORE_EBUSY;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM: return STORE_EIO;
    case SQLITE_NOMEM: return STORE_ENOMEM;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return STORE_ECORRUPT;
    case SQLITE_CONSTRAINT: return STORE_ECONFLICT;
    default: return STORE_EINTERNAL;
    }
}

int store_fail_sqlite(store_t *s, int rc, const char *what)
{
    int code = code_of(rc);
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    switch (code) {
    case STORE_EBUSY:
        return store_fail(s, code, "%s: the database is locked by another process (%s)", what, msg);
    case STORE_EIO:
        return store_fail(s, code, "%s: %s (is the disk full or read-only?)", what, msg);
    case STORE_ECORRUPT:
        return store_fail(s, code, "%s: %s: the file is not a linksnap database or is damaged; "
                          "restore it from a backup", what, msg);
    default:
        return store_fail(s, code, "%s: %s", what, msg);
    }
}

const char *store_errmsg(const store_t *s) { return s ? s->err : "out of memory"; }

int store_step_done(store_t *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, what);
}

char *store_col_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

int store_exec(store_t *s, const char *sql)
{
    char *emsg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &emsg);
    sqlite3_free(emsg);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "SQL");
    return STORE_OK;
}

#define SNAPSHOT_COLS STORE_SNAPSHOT_COLS
#define JOB_COLS STORE_JOB_COLS
static const char *const stmt_sql[ST__COUNT] = {
    [ST_LINK_INSERT] = "INSERT INTO links(url, title, description, created_at, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(url) DO NOTHING",
    [ST_LINK_BY_URL] = "SELECT id FROM links WHERE url = ?1",
    [ST_LINK_BY_ID] = "SELECT id, url, title, description, created_at, updated_at, last_snapshot_id, "
                      "broken FROM links WHERE id = ?1",
    [ST_LINK_FILL_TEXT] = "UPDATE links SET title = coalesce(title, ?2), "
                          "description = coalesce(description, ?3), updated_at = ?4 "
                          "WHERE id = ?1 AND ((title IS NULL AND ?2 IS NOT NULL) OR "
                          "(description IS NULL AND ?3 IS NOT NULL))",
    [ST_LINK_TAGS] = "SELECT t.name FROM link_tags lt JOIN tags t ON t.id = lt.tag_id "
                     "WHERE lt.link_id = ?1 ORDER BY t.key",
    [ST_LINK_UPDATE] = "UPDATE links SET title = CASE WHEN ?2 THEN ?3 ELSE title END, "
                       "description = CASE WHEN ?4 THEN ?5 ELSE description END, updated_at = ?6 "
                       "WHERE id = ?1",
    [ST_LINK_DELETE] = "DELETE FROM links WHERE id = ?1",
    [ST_LINK_TOUCH] = "UPDATE links SET updated_at = ?2 WHERE id = ?1",
    [ST_LINK_SET_SNAPSHOT] = "UPDATE links SET last_snapshot_id = ?2 WHERE id = ?1",
    /* an alias's key names its tag (schema 14): never a tag of its own */
    [ST_TAG_INSERT] = "INSERT INTO tags(name, key) SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 "
                      "FROM tag_aliases WHERE key = ?2) ON CONFLICT(key) DO NOTHING",
    /* the fourth column: 1 when the key is the tag's own, 0 when it is an alias of it */
    [ST_TAG_BY_KEY] = "SELECT id, name, count, 1 FROM tags WHERE key = ?1 UNION ALL "
                      "SELECT t.id, t.name, t.count, 0 FROM tag_aliases a JOIN tags t "
                      "ON t.id = a.tag_id WHERE a.key = ?1 LIMIT 1",
    [ST_LINK_TAG_INSERT] = "INSERT OR IGNORE INTO link_tags(link_id, tag_id) VALUES (?1, ?2)",
    [ST_LINK_TAG_DELETE] = "DELETE FROM link_tags WHERE link_id = ?1 AND tag_id = ?2",
    [ST_SNAPSHOT_INSERT] = "INSERT INTO snapshots(link_id, state, attempt, created_at) "
                           "VALUES (?1, 'queued', 0, ?2)",
    [ST_SNAPSHOT_BY_ID] = "SELECT " SNAPSHOT_COLS " FROM snapshots WHERE id = ?1",
    [ST_JOB_INSERT] = "INSERT INTO jobs(link_id, snapshot_id, state, created_at, updated_at) "
                      "VALUES (?1, ?2, 'queued', ?3, ?3)",
    [ST_SNAPSHOTS_OF_LINK] = "SELECT " SNAPSHOT_COLS " FROM snapshots WHERE link_id = ?1 "
                             "AND id < ?3 ORDER BY id DESC LIMIT ?2",
    [ST_JOB_BY_ID] = "SELECT " JOB_COLS " FROM jobs j JOIN links l ON l.id = j.link_id WHERE j.id = ?1",
    [ST_JOB_ACTIVE_OF_LINK] = "SELECT id FROM jobs WHERE link_id = ?1 AND state IN ('queued', 'running') "
                              "ORDER BY id LIMIT 1",
    /* a person's jobs first; a host with ?3 running is skipped (the (state, host) index
     * counts them), so a busy host never blocks the queue. `+not_before` keeps the planner
     * off jobs_by_state's not_before range: that plan sorted every queued job for each
     * pick (15 ms at 20,000 queued, linear in the queue, and the loop's due probe runs it
     * too); jobs_claim walks in ORDER BY order and stops at the first job it may take. */
    [ST_JOB_CLAIM_PICK] = "SELECT id FROM jobs WHERE state = 'queued' AND +not_before <= ?1 "
                          "AND (?3 <= 0 OR host IS NULL OR host NOT IN (SELECT host FROM jobs "
                          "WHERE state = 'running' AND host IS NOT NULL GROUP BY host "
                          "HAVING count(*) >= ?3)) ORDER BY priority, not_before, id LIMIT 1",
    [ST_JOB_SET_RUNNING] = "UPDATE jobs SET state = 'running', attempt = attempt + 1, error = NULL, "
                           "updated_at = ?2 WHERE id = ?1 AND state = 'queued'",
    [ST_SNAPSHOT_SET_STATE] = "UPDATE snapshots SET state = ?2, attempt = ?3, error = ?4, "
                              "finished_at = ?5 WHERE id = ?1",
    [ST_SNAPSHOT_FINISH] = "UPDATE snapshots SET state = ?2, http_status = ?3, final_url = ?4, "
                           "title = ?5, width = ?6, height = ?7, truncated = ?8, blank = ?9, "
                           "path = ?10, thumb_path = ?11, bytes = ?12, sha256 = ?13, error = ?14, "
                           "timings = ?15, redirects = ?16, finished_at = ?17, files = ?18, "
                           "partial_kind = ?19, cause = ?20 WHERE id = ?1",
    [ST_JOB_SET_STATE] = "UPDATE jobs SET state = ?2, not_before = ?3, error = ?4, updated_at = ?5 "
                         "WHERE id = ?1",
    [ST_LINK_FILL_TITLE] = "UPDATE links SET title = ?2 WHERE id = ?1 AND (title IS NULL OR title = '')",
    [ST_COUNTERS] = "SELECT name, value FROM counters",
    [ST_TAG_COUNT] = "SELECT count(*) FROM tags WHERE count > 0",
    /* page texts and the full-text index (text.c); text_fts's writes are one-row VALUES,
     * statements without a statement journal, so FTS5 does not write its pending terms
     * out at each one's end */
    [ST_SNAPSHOT_LINK] = "SELECT link_id FROM snapshots WHERE id = ?1",
    [ST_TEXT_PUT] = "INSERT OR REPLACE INTO page_texts(snapshot_id, link_id, cut, title, byline, "
                    "lang, excerpt, text, blocks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_TEXT_INDEXED_OF] = "SELECT snapshot_id FROM text_indexed WHERE link_id = ?1",
    [ST_TEXT_BEST_OF_LINK] = "SELECT p.snapshot_id FROM page_texts p JOIN snapshots n ON "
                             "n.id = p.snapshot_id WHERE p.link_id = ?1 AND "
                             "linksnap_good(n.state, n.http_status, n.blank, n.partial_kind) "
                             "ORDER BY p.snapshot_id DESC LIMIT 1",
    [ST_TEXT_OF] = "SELECT link_id, text FROM page_texts WHERE snapshot_id = ?1",
    [ST_TEXT_INDEXED_INSERT] = "INSERT INTO text_indexed(link_id, snapshot_id) VALUES (?1, ?2)",
    [ST_TEXT_INDEXED_DELETE] = "DELETE FROM text_indexed WHERE link_id = ?1",
    [ST_FTS_INSERT] = "INSERT INTO text_fts(rowid, text) VALUES (?1, ?2)",
    [ST_FTS_DELETE] = "INSERT INTO text_fts(text_fts, rowid, text) VALUES ('delete', ?1, ?2)",
};

int store_step_by_id(store_t *s, stmt_id_t which, int64_t id, const char *what, sqlite3_stmt **row)
{
    *row = NULL;
    sqlite3_stmt *st = store_stmt(s, which);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *row = st;
        return STORE_OK;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return store_fail(s, STORE_ENOTFOUND, "%s %lld not found", what, (long long)id);
    return store_fail_sqlite(s, rc, what);
}

sqlite3_stmt *store_stmt(store_t *s, stmt_id_t id)
{
    sqlite3_stmt *st = s->stmts[id];
    if (!st) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            store_fail_sqlite(s, rc, "prepare");
            return NULL;
        }
        s->stmts[id] = st;
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return st;
}

int store_latest_version(void) { return store_schema_count(); }

int store_schema_version(store_t *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* Runs the migrations from the database's version up to `target`, in one transaction. */
static int migrate(store_t *s, int target)
{
    int rc = store_exec(s, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    int v = store_schema_version(s);
    if (v < 0) {
        /* SQLite's own code: out of memory is not a damaged file */
        rc = store_fail_sqlite(s, sqlite3_errcode(s->db), "cannot read the schema version");
        goto fail;
    }
    if (v > store_schema_count()) {
        rc = store_fail(s, STORE_ETOONEW, "database schema version %d is newer than this linksnapd "
                        "(knows %d); upgrade linksnapd", v, store_schema_count());
        goto fail;
    }
    for (int next = v + 1; next <= target; next++) {
        if ((rc = store_exec(s, store_schema_step(next))) != STORE_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", s->err);
            rc = store_fail(s, rc, "migration to schema version %d failed: %s", next, msg);
            goto fail;
        }
        if ((rc = store_schema_code(s, next)) != STORE_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", s->err);
            rc = store_fail(s, rc, "migration to schema version %d failed: %s", next, msg);
            goto fail;
        }
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", next);
        if ((rc = store_exec(s, pragma)) != STORE_OK)
            goto fail;
    }
    return store_exec(s, "COMMIT");
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    free(s->merged);   /* nothing was merged after all */
    s->merged = NULL;
    s->nmerged = 0;
    return rc;
}

const store_tag_merged_t *store_open_merged(const store_t *s, size_t *n)
{
    *n = s->nmerged;
    return s->merged;
}

/* linksnap_display_url(url): store_display_url for SQL (link.list's text search). */
static void display_url_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *url = (const char *)sqlite3_value_text(argv[0]);
    char *shown = NULL;
    if (!url) {
        sqlite3_result_null(ctx);
        return;
    }
    if (store_display_url(url, &shown) != STORE_OK) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, shown, -1, free);
}

int store_open_at_version(const char *path, int flags, int version, store_t **out, char *err,
                          size_t errlen)
{
    *out = NULL;
    store_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return STORE_ENOMEM;
    }
    s->readonly = (flags & STORE_OPEN_READONLY) != 0;
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE |
                 ((flags & STORE_OPEN_MIGRATE) ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    rc = sqlite3_create_function(s->db, "linksnap_display_url", 1,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 display_url_fn, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "register linksnap_display_url");
        goto fail;
    }
    if ((rc = store_text_register(s)) != STORE_OK || (rc = store_jobs_register(s)) != STORE_OK)
        goto fail;
    /* journal_mode is persistent in the file; the reader needs no write to learn it */
    if ((rc = store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
                            "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192")) != STORE_OK)
        goto fail;
    if (flags & STORE_OPEN_MIGRATE) {
        /* site rules keep cookies and headers as plain rows: the file is the owner's alone
         * (the WAL and shm files take the database file's mode) */
        struct stat sb;
        if (stat(path, &sb) == 0 && (sb.st_mode & 0077) && chmod(path, 0600) != 0) {
            rc = store_fail(s, STORE_EIO, "cannot make %s private (0600): %s", path, strerror(errno));
            goto fail;
        }
        if ((rc = store_exec(s, "PRAGMA journal_mode = WAL")) != STORE_OK)
            goto fail;
        if ((rc = migrate(s, version)) != STORE_OK)
            goto fail;
    } else {
        int v = store_schema_version(s);
        if (v > store_schema_count()) {
            rc = store_fail(s, STORE_ETOONEW, "database schema version %d is newer than this "
                            "linksnapd (knows %d); upgrade linksnapd", v, store_schema_count());
            goto fail;
        }
        if (v < 0) {
            rc = store_fail_sqlite(s, sqlite3_errcode(s->db), path);
            goto fail;
        }
    }
    if (s->readonly && (rc = store_exec(s, "PRAGMA query_only = ON")) != STORE_OK)
        goto fail;
    *out = s;
    return STORE_OK;
fail:
    snprintf(err, errlen, "%s", s->err);
    store_close(s);
    return rc;
}

int store_open(const char *path, int flags, store_t **out, char *err, size_t errlen)
{
    return store_open_at_version(path, flags, store_schema_count(), out, err, errlen);
}

void store_close(store_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close_v2(s->db);
    free(s->tag_cache);
    store_fts_terms_free(s);
    free(s->text_links);
    free(s->merged);
    free(s);
}

void store_release_memory(store_t *s)
{
    if (s && s->db)
        sqlite3_db_release_memory(s->db);
    if (s)
        store_fts_terms_release(s);   /* up to ~3 MB of known terms on the writer's */
}

/* ---- tag id cache ---- */

static unsigned tag_hash(const char *key)
{
    unsigned h = 2166136261u;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % TAG_CACHE_SLOTS;
}

void store_tag_cache_clear(store_t *s)
{
    if (s->tag_cache && s->tag_cache_used) {
        memset(s->tag_cache, 0, TAG_CACHE_SLOTS * sizeof *s->tag_cache);
        s->tag_cache_used = 0;
    }
}

int64_t store_tag_cache_get(store_t *s, const char *key)
{
    if (!s->tag_cache)
        return 0;
    tag_cache_entry_t *e = &s->tag_cache[tag_hash(key)];
    return e->id && !strcmp(e->key, key) ? e->id : 0;
}

void store_tag_cache_put(store_t *s, const char *key, int64_t id)
{
    if (strlen(key) >= sizeof s->tag_cache->key)
        return;   /* a long folded key is looked up in SQLite each time */
    if (!s->tag_cache && !(s->tag_cache = calloc(TAG_CACHE_SLOTS, sizeof *s->tag_cache)))
        return;   /* no cache: every lookup goes to SQLite, which is only slower */
    tag_cache_entry_t *e = &s->tag_cache[tag_hash(key)];
    snprintf(e->key, sizeof e->key, "%s", key);
    e->id = id;
    s->tag_cache_used = 1;
}

/* ---- transactions ---- */

int store_begin(store_t *s)
{
    store_tag_cache_clear(s);
    store_text_pending_clear(s);
    s->changes_at_begin = sqlite3_total_changes64(s->db);
    return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(store_t *s)
{
    store_tag_cache_clear(s);
    int irc = store_text_index_pending(s);   /* before the commit: in its transaction */
    if (irc)
        return irc;
    /* one data_version step per transaction that changed anything (store_status reports it;
     * nothing caches on it) */
    if (sqlite3_get_autocommit(s->db) == 0 && sqlite3_total_changes64(s->db) != s->changes_at_begin) {
        int rc = store_exec(s, "UPDATE counters SET value = value + 1 WHERE name = 'data_version'");
        if (rc)
            return rc;
    }
    int rc = store_exec(s, "COMMIT");
    if (rc)
        store_fts_terms_forget(s);   /* text_terms' new rows may not stay */
    return rc;
}

int store_rollback(store_t *s)
{
    store_tag_cache_clear(s);
    store_text_pending_clear(s);
    store_fts_terms_forget(s);
    return store_exec(s, "ROLLBACK");
}

static int savepoint_op(store_t *s, const char *op, const char *name)
{
    char sql[128];
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return store_fail(s, STORE_EINVAL, "bad savepoint name");
    snprintf(sql, sizeof sql, "%s %s", op, name);
    return store_exec(s, sql);
}

int store_savepoint(store_t *s, const char *name) { return savepoint_op(s, "SAVEPOINT", name); }
int store_release(store_t *s, const char *name) { return savepoint_op(s, "RELEASE", name); }
int store_rollback_to(store_t *s, const char *name)
{
    store_tag_cache_clear(s);   /* tags created since the savepoint are gone again */
    store_fts_terms_forget(s);  /* and terms noted in text_terms */
    return savepoint_op(s, "ROLLBACK TO", name);
}

int store_stats(store_t *s, store_stats_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = store_stmt(s, ST_COUNTERS);
    if (!st)
        return STORE_EINTERNAL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t v = sqlite3_column_int64(st, 1);
        if (!strcmp(name, "links")) out->links = v;
        else if (!strcmp(name, "snapshots")) out->snapshots = v;
        else if (!strcmp(name, "jobs_queued")) out->jobs_queued = v;
        else if (!strcmp(name, "jobs_running")) out->jobs_running = v;
        else if (!strcmp(name, "data_version")) out->data_version = v;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "stats");
    if (!(st = store_stmt(s, ST_TAG_COUNT)))
        return STORE_EINTERNAL;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        return store_fail_sqlite(s, rc, "stats");
    out->tags = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return STORE_OK;
}

int store_integrity_check(store_t *s)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "integrity_check");
    int ok = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    if (!ok)
        store_fail(s, STORE_ECORRUPT, "integrity_check: %s",
                   sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "failed");
    sqlite3_finalize(st);
    if (!ok)
        return STORE_ECORRUPT;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "foreign_key_check");
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return store_fail(s, STORE_ECORRUPT, "foreign_key_check found dangling references");
    /* the full-text indexes against what they index (text_fts re-reads its content); FTS5
     * runs it as a write, so a query-only connection skips it */
    if (!s->readonly && store_schema_version(s) >= 7) {
        rc = sqlite3_exec(s->db, "INSERT INTO text_fts(text_fts) VALUES ('integrity-check');"
                                 "INSERT INTO link_trgm(link_trgm) VALUES ('integrity-check')",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return store_fail(s, STORE_ECORRUPT, "the search index does not match the stored "
                              "text (%s); run linksnap reindex", sqlite3_errmsg(s->db));
    }
    return STORE_OK;
}

int store_backup(store_t *s, const char *dest_path)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(dest_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        store_fail(s, code_of(rc), "cannot create %s: %s", dest_path,
                   dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close_v2(dst);
        return code_of(rc);
    }
    /* a backup holds what the database holds, site rules' cookies and headers too */
    if (chmod(dest_path, 0600) != 0) {
        rc = store_fail(s, STORE_EIO, "cannot make %s private (0600): %s", dest_path, strerror(errno));
        sqlite3_close_v2(dst);
        return rc;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b) {
        rc = store_fail(s, STORE_EIO, "backup to %s: %s", dest_path, sqlite3_errmsg(dst));
        sqlite3_close_v2(dst);
        return rc;
    }
    /* in steps, so a long copy never holds the read lock for the whole file at once */
    do {
        rc = sqlite3_backup_step(b, 1024);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(5);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    int out = STORE_OK;
    if (rc != SQLITE_DONE)
        out = store_fail(s, code_of(rc), "backup to %s: %s", dest_path, sqlite3_errmsg(dst));
    sqlite3_close_v2(dst);
    return out;
}

int store_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : first;
    if (nc > SIZE_MAX / elem)
        return -1;
    void *p = realloc(*v, nc * elem);
    if (!p)
        return -1;
    *v = p;
    *cap = nc;
    return 0;
}
