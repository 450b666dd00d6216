/* store_int.h -- what the store's files share and nobody else sees: the connection
 * struct, the prepared-statement cache and error helpers. */
#ifndef LS_STORE_INT_H
#define LS_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Statements prepared once per connection (SQLITE_PREPARE_PERSISTENT). */
typedef enum {
    ST_LINK_INSERT, ST_LINK_BY_URL, ST_LINK_BY_ID, ST_LINK_FILL_TEXT, ST_LINK_TAGS,
    ST_LINK_UPDATE, ST_LINK_DELETE, ST_LINK_TOUCH, ST_LINK_SET_SNAPSHOT,
    ST_TAG_INSERT, ST_TAG_BY_KEY, ST_LINK_TAG_INSERT, ST_LINK_TAG_DELETE,
    ST_SNAPSHOT_INSERT, ST_SNAPSHOT_BY_ID, ST_JOB_INSERT, ST_SNAPSHOTS_OF_LINK,
    ST_JOB_BY_ID, ST_JOB_ACTIVE_OF_LINK, ST_JOB_CLAIM_PICK, ST_JOB_SET_RUNNING,
    ST_SNAPSHOT_SET_STATE, ST_SNAPSHOT_FINISH, ST_JOB_SET_STATE, ST_LINK_FILL_TITLE,
    ST_COUNTERS, ST_TAG_COUNT, ST_SNAPSHOT_LINK, ST_TEXT_PUT, ST_TEXT_INDEXED_OF,
    ST_TEXT_BEST_OF_LINK, ST_TEXT_OF, ST_TEXT_INDEXED_INSERT, ST_TEXT_INDEXED_DELETE,
    ST_FTS_INSERT, ST_FTS_DELETE,
    ST__COUNT
} stmt_id_t;

/* Column lists shared by the statements and the row readers (snapshots.c, jobs.c). */
#define STORE_SNAPSHOT_COLS "id, link_id, state, http_status, final_url, title, width, height, " \
                            "truncated, blank, path, thumb_path, bytes, sha256, error, attempt, " \
                            "created_at, finished_at, timings, redirects, files, partial_kind, " \
                            "change_against, change_changed, change_fraction"
#define STORE_JOB_COLS "j.id, j.link_id, j.snapshot_id, j.state, j.attempt, j.not_before, " \
                       "j.created_at, j.updated_at, l.url, j.error, j.formats, j.priority, j.host"

/* Links whose address people read differently from how it is stored (punycode labels,
 * percent escapes): a partial index (schema 7) lists them, so a q that is not ASCII can
 * look at their display form without reading every link. Keep the two texts equal. */
#define STORE_ENCODED_URL "(instr(url, 'xn--') OR instr(url, '%'))"

/* Tag key -> id, so a batch that names the same tags thousands of times looks each up
 * once. Cleared at every transaction boundary and by anything that can delete a tag. */
#define TAG_CACHE_SLOTS 1024
typedef struct {
    char key[STORE_MAX_TAG_BYTES + 1];   /* longer keys are not cached */
    int64_t id;
} tag_cache_entry_t;

typedef struct store_terms store_terms_t;

struct store {
    sqlite3 *db;
    int readonly;
    char err[512];
    sqlite3_stmt *stmts[ST__COUNT];
    tag_cache_entry_t *tag_cache;   /* TAG_CACHE_SLOTS entries, allocated on first use */
    int tag_cache_used;
    int64_t changes_at_begin;       /* total_changes when the transaction began */
    store_tag_merged_t *merged;     /* what the migration at open merged (store_open_merged) */
    size_t nmerged;
    store_terms_t *terms;           /* the terms of the text being indexed (fts.c) */
    int64_t *text_links;            /* links whose page text this transaction put: indexed */
    size_t ntext_links, captext_links;   /* at store_commit (text.c) */
    int per_host_jobs;              /* the claim's running jobs per host; 0 = no limit (jobs.c) */
};

/* Registers linksnap_url_host(url), the exact host the jobs table's trigger stores
 * (jobs.c). */
int store_jobs_register(store_t *s);
/* Looks a tag up by the name a person gave: *id 0 when there is none; name (at least
 * STORE_MAX_TAG_BYTES + 1) gets its stored spelling (tags.c). */
int store_tag_find(store_t *s, const char *raw, char *name, int64_t *id);
/* Runs one statement with the integer parameters ?1 and ?2; *changes (may be NULL) counts
 * the rows it changed; what names it in the error (jobs.c). */
int store_exec_i2(store_t *s, const char *sql, int64_t a, int64_t b, int64_t *changes,
                  const char *what);
/* A tag merge moves `from`'s watch onto `into` unless that has one (watch.c). */
int store_watch_move_tag(store_t *s, int64_t from, int64_t into);

void store_tag_cache_clear(store_t *s);
int64_t store_tag_cache_get(store_t *s, const char *key);
void store_tag_cache_put(store_t *s, const char *key, int64_t id);

/* Returns the cached statement, reset and with bindings cleared; NULL on error (message
 * set). */
sqlite3_stmt *store_stmt(store_t *s, stmt_id_t id);
/* Steps the cached statement `which`, whose ?1 is a row id, to that row. STORE_OK: the
 * statement stands on the row; the caller reads it and then calls sqlite3_reset. Otherwise
 * the statement is reset and the error is "<what> <id> not found" (STORE_ENOTFOUND) or
 * SQLite's. The one by-id lookup of links, snapshots and jobs. */
int store_step_by_id(store_t *s, stmt_id_t which, int64_t id, const char *what, sqlite3_stmt **row);
/* Records an error for a SQLite result code and returns the STORE_E* code. */
int store_fail_sqlite(store_t *s, int rc, const char *what);
/* Records a message and returns code. */
int store_fail(store_t *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Room for one more element in a growing row array: when the n elements in use fill
 * cap, the array is doubled (first: the first size). Returns 0, or -1 out of memory
 * with the array as it was. STORE_GROW(v, n, cap, first) for a typed pointer v. */
int store_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first);
#define STORE_GROW(v, n, cap, first) store_grow((void **)&(v), &(cap), (n), sizeof *(v), (first))

/* Defines `void name(type **v, size_t n)`: frees each of the n rows with one_free (which
 * accepts NULL), then the array (v may be NULL). One body for every *_list_free. */
#define STORE_DEFINE_LIST_FREE(name, type, one_free)                                     \
    void name(type **v, size_t n)                                                      \
    {                                                                                   \
        for (size_t i = 0; v && i < n; i++)                                             \
            one_free(v[i]);                                                             \
        free(v);                                                                        \
    }
int store_exec(store_t *s, const char *sql);
/* Steps a statement that returns no rows and resets it; the error names `what`. */
int store_step_done(store_t *s, sqlite3_stmt *st, const char *what);
/* strdup of a text column, NULL for SQL NULL (and on allocation failure). */
char *store_col_strdup(sqlite3_stmt *st, int i);
/* STORE_OK when the link exists, else STORE_ENOTFOUND with "link N not found". */
int store_link_require(store_t *s, int64_t link_id);
/* Migration 5: re-keys every tag with store_tag_key and merges the tags that become equal
 * into the oldest (its spelling stays), keeping every link's tags; records the merges. */
int store_tags_rekey(store_t *s);
/* store_tag_key into a STORE_MAX_TAG_KEY_BYTES + 1 buffer, with the connection's message set. */
int store_tag_key_or_fail(store_t *s, const char *name, char *key);
/* A tag as the user wrote it: its normal name (STORE_MAX_TAG_BYTES + 1) and its match key
 * (STORE_MAX_TAG_KEY_BYTES + 1); STORE_EINVAL with the reason when it is not a tag. */
int store_tag_name_key(store_t *s, const char *raw, char *name, char *key);
/* The tag whose key (or an alias's) is `key`; only a tag whose own key it is when `own`.
 * *id 0 when there is none. Its stored name into `name` and its link count into *count,
 * each when not NULL. */
int store_tag_by_key(store_t *s, const char *key, int own, char *name, int64_t *id,
                     int64_t *count);

/* text.c, fts.c: the SQL functions linksnap_good and linksnap_host and the FTS5 tokenizer
 * "linksnap", on every connection before its migration. */
int store_text_register(store_t *s);
int store_fts_register(store_t *s);
/* text_terms, the index's vocabulary (fts.c): between collect and flush, the tokenizer
 * notes every term that goes into text_fts on this connection; flush adds the new ones
 * to text_terms and stops noting. rebuild fills text_terms from the indexed
 * texts (migration 10). terms_free releases the collector (store_close). */
int store_fts_terms_collect(store_t *s);
int store_fts_terms_flush(store_t *s);
int store_fts_terms_rebuild(store_t *s);
void store_fts_terms_free(store_t *s);
/* Gives back the memory of the known-terms cache and the batch set (linksnapd's idle
 * housekeeping, store_release_memory): they fill again at the next index. */
void store_fts_terms_release(store_t *s);
/* Flush skips the terms it knows to be in text_terms already (up to 65,536 of them,
 * forgotten when another connection commits); forget drops them: call it whenever
 * text_terms may have lost rows on this connection (rollback, rollback to a savepoint,
 * a failed commit, a reindex). */
void store_fts_terms_forget(store_t *s);
/* The links whose page text store_text_put saved in this transaction go into the
 * full-text index together, just before the commit (store_commit): FTS5 then writes one
 * segment for the batch, and each distinct term goes to text_terms once. index_pending
 * indexes them (and forgets them); pending_clear forgets them (a rollback). */
int store_text_index_pending(store_t *s);
void store_text_pending_clear(store_t *s);
/* A snippet of text around q's first hits: about max_tokens tokens, from a few before the
 * first hit, cut into segments (*out owned, *n of them; none when no token matches). */
int store_fts_snippet(const char *text, const char *q, int max_tokens, store_snip_t **out,
                      size_t *n);

#endif
