/* imports.c -- the imports table: one row per bulk import with running figures and the
 * first errors (line and reason), kept as JSON text by SQLite's own JSON functions; a row
 * is read back as a struct (the protocol's object is daemon/json_import.c's). Also the
 * per-entry add used by the importer. Callers provide the transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int store_import_create(store_t *s, const char *source, const char *format,
                        const char *tags_json, int capture, int64_t now_ms, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO imports(source, format, state, tags, capture, "
                                       "created_at) VALUES (?1, ?2, 'running', json(?3), ?4, ?5)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "create import");
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tags_json ? tags_json : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, capture);
    sqlite3_bind_int64(st, 5, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "create import");
    *id = sqlite3_last_insert_rowid(s->db);
    return STORE_OK;
}

int store_import_entry(store_t *s, const char *url, const char *const *tags, size_t ntags,
                       const char *title, const char *description, int64_t created_ms,
                       int capture, int64_t now_ms, int *created, char *err, size_t errlen)
{
    store_link_add_t in = {
        .url = url, .tags = tags, .ntags = ntags, .title = title, .description = description,
        .created_at = created_ms, .capture = capture, .now_ms = now_ms,
    };
    int64_t id;
    /* store_link_add validates the URL and every tag before it writes anything, so a bad
     * entry leaves nothing behind and needs no savepoint of its own */
    int rc = store_link_add(s, &in, &id, created);
    if (rc == STORE_EINVAL)
        snprintf(err, errlen, "%s", s->err);
    return rc;
}

int store_import_progress(store_t *s, int64_t id, int64_t lines, int64_t added,
                          int64_t existing, int64_t invalid, const char *errors_json,
                          int max_errors, const char *state, const char *error,
                          int64_t now_ms)
{
    static const char sql[] =
        "UPDATE imports SET lines = max(lines, ?2), added = added + ?3, existing = existing + ?4, "
        "invalid = invalid + ?5, "
        "errors = CASE WHEN json_array_length(errors) >= ?7 OR json_array_length(?6) = 0 THEN errors "
        "  ELSE (SELECT json_group_array(json(value)) FROM (SELECT value FROM ("
        "    SELECT 0 AS part, key, value FROM json_each(errors) UNION ALL "
        "    SELECT 1 AS part, key, value FROM json_each(?6)) ORDER BY part, key LIMIT ?7)) END, "
        "state = coalesce(?8, state), error = coalesce(?9, error), "
        "finished_at = CASE WHEN ?8 IS NULL THEN finished_at ELSE ?10 END "
        "WHERE id = ?1";
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "import progress");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, lines);
    sqlite3_bind_int64(st, 3, added);
    sqlite3_bind_int64(st, 4, existing);
    sqlite3_bind_int64(st, 5, invalid);
    sqlite3_bind_text(st, 6, errors_json ? errors_json : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, max_errors);
    if (state)
        sqlite3_bind_text(st, 8, state, -1, SQLITE_STATIC);
    if (error)
        sqlite3_bind_text(st, 9, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "import progress");
    return STORE_OK;
}

void store_import_free(store_import_t *x)
{
    if (!x)
        return;
    free(x->source);
    free(x->format);
    free(x->state);
    free(x->errors_json);
    free(x->error);
    free(x->tags_json);
    free(x);
}

int store_import_get(store_t *s, int64_t id, store_import_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT id, lines, added, existing, invalid, capture, "
                                "created_at, finished_at, source, format, state, errors, error, "
                                "tags FROM imports WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "get import");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
            return store_fail(s, STORE_ENOTFOUND, "import %lld not found", (long long)id);
        return store_fail_sqlite(s, rc, "get import");
    }
    store_import_t *x = calloc(1, sizeof *x);
    int nomem = !x;
    if (x) {
        int64_t *nums[] = {&x->id, &x->lines, &x->added, &x->existing, &x->invalid};
        for (int i = 0; i < 5; i++)
            *nums[i] = sqlite3_column_int64(st, i);
        x->capture = sqlite3_column_int(st, 5) != 0;
        x->created_at = sqlite3_column_int64(st, 6);
        x->finished_at = sqlite3_column_int64(st, 7);   /* NULL reads as 0 */
        char **texts[] = {&x->source, &x->format, &x->state, &x->errors_json, &x->error,
                          &x->tags_json};
        for (int i = 0; i < 6; i++)
            if (sqlite3_column_type(st, 8 + i) != SQLITE_NULL &&
                !(*texts[i] = store_col_strdup(st, 8 + i)))
                nomem = 1;
    }
    sqlite3_finalize(st);
    if (nomem) {
        store_import_free(x);
        return store_fail(s, STORE_ENOMEM, "out of memory reading an import");
    }
    *out = x;
    return STORE_OK;
}

int store_import_interrupt_running(store_t *s, int64_t now_ms)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE imports SET state = 'interrupted', finished_at = ?1, "
                                       "error = 'linksnapd stopped before the import finished; "
                                       "import the file again (entries already added are kept)' "
                                       "WHERE state = 'running'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "imports");
    sqlite3_bind_int64(st, 1, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "imports");
}
