/* snapshots.c -- snapshot rows: load one, a link's history newest first (a page at a time),
 * the changed captures of all links (the changes view), a capture's baseline and its
 * change. A snapshot is written only through its job (store/jobs.c), and its change here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

void store_snapshot_free(store_snapshot_t *x)
{
    if (!x)
        return;
    free(x->final_url);
    free(x->title);
    free(x->path);
    free(x->thumb_path);
    free(x->sha256);
    free(x->error);
    free(x->timings);
    free(x->redirects);
    free(x->files);
    free(x->link_url);
    free(x->link_title);
    free(x);
}

STORE_DEFINE_LIST_FREE(store_snapshot_list_free, store_snapshot_t, store_snapshot_free)

/* The current row of a statement selecting SNAPSHOT_COLS; NULL when out of memory. */
static store_snapshot_t *snapshot_from_row(sqlite3_stmt *st)
{
    store_snapshot_t *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->id = sqlite3_column_int64(st, 0);
    x->link_id = sqlite3_column_int64(st, 1);
    snprintf(x->state, sizeof x->state, "%s", (const char *)sqlite3_column_text(st, 2));
    x->http_status = sqlite3_column_int(st, 3);
    x->width = sqlite3_column_int64(st, 6);
    x->height = sqlite3_column_int64(st, 7);
    x->truncated = sqlite3_column_int(st, 8);
    x->blank = sqlite3_column_int(st, 9);
    x->bytes = sqlite3_column_int64(st, 12);
    x->attempt = sqlite3_column_int(st, 15);
    x->created_at = sqlite3_column_int64(st, 16);
    x->finished_at = sqlite3_column_int64(st, 17);
    x->partial_kind = (store_partial_t)sqlite3_column_int(st, 21);
    x->change_against = sqlite3_column_int64(st, 22);
    x->change_changed = sqlite3_column_int(st, 23);
    x->change_fraction = sqlite3_column_double(st, 24);
    static const int text_cols[] = {4, 5, 10, 11, 13, 14, 18, 19, 20, 25, 26};
    char **text_fields[] = {&x->final_url, &x->title, &x->path, &x->thumb_path, &x->sha256,
                            &x->error, &x->timings, &x->redirects, &x->files, &x->link_url,
                            &x->link_title};
    /* the link's url and title follow SNAPSHOT_COLS only in store_snapshot_changes */
    size_t ntext = sqlite3_column_count(st) > 25 ? 11 : 9;
    for (size_t i = 0; i < ntext; i++) {
        if (sqlite3_column_type(st, text_cols[i]) == SQLITE_NULL)
            continue;
        if (!(*text_fields[i] = store_col_strdup(st, text_cols[i]))) {
            store_snapshot_free(x);
            return NULL;
        }
    }
    return x;
}

int store_snapshot_get(store_t *s, int64_t id, store_snapshot_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = store_step_by_id(s, ST_SNAPSHOT_BY_ID, id, "snapshot", &st);
    if (rc != STORE_OK)
        return rc;
    *out = snapshot_from_row(st);
    sqlite3_reset(st);
    return *out ? STORE_OK : store_fail(s, STORE_ENOMEM, "out of memory reading a snapshot");
}

/* Every row of st (bound, selecting SNAPSHOT_COLS) into *out; the caller resets st. */
static int snapshot_rows(store_t *s, sqlite3_stmt *st, store_snapshot_t ***out, size_t *n)
{
    store_snapshot_t **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, cnt, cap, 8) || !(v[cnt] = snapshot_from_row(st))) {
            store_snapshot_list_free(v, cnt);
            return store_fail(s, STORE_ENOMEM, "out of memory listing snapshots");
        }
        cnt++;
    }
    if (rc != SQLITE_DONE) {
        store_snapshot_list_free(v, cnt);
        return store_fail_sqlite(s, rc, "list snapshots");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

int store_snapshot_list(store_t *s, int64_t link_id, int limit, store_snapshot_t ***out,
                        size_t *n)
{
    return store_snapshot_page(s, link_id, limit, 0, out, n);
}

int store_snapshot_page(store_t *s, int64_t link_id, int limit, int64_t before_id,
                        store_snapshot_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int rc = store_link_require(s, link_id);
    if (rc)
        return rc;
    sqlite3_stmt *st = store_stmt(s, ST_SNAPSHOTS_OF_LINK);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link_id);
    sqlite3_bind_int(st, 2, limit);
    /* keyset paging: ids below before_id, through the (link_id, id) index */
    sqlite3_bind_int64(st, 3, before_id > 0 ? before_id : INT64_MAX);
    rc = snapshot_rows(s, st, out, n);
    sqlite3_reset(st);
    return rc;
}

int store_snapshot_twin(store_t *s, const char *kind, const char *sha256, int64_t except_id,
                        char **path)
{
    *path = NULL;
    int pdf = !strcmp(kind, "pdf");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, pdf
        ? "SELECT json_extract(files, '$.pdf.path') FROM snapshots WHERE files IS NOT NULL "
          "AND json_extract(files, '$.pdf.sha256') = ?1 AND id <> ?2 LIMIT 1"
        : "SELECT path FROM snapshots WHERE sha256 = ?1 AND id <> ?2 AND path IS NOT NULL "
          "LIMIT 1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a file's twin");
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, except_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
        !(*path = store_col_strdup(st, 0))) {
        sqlite3_finalize(st);
        return store_fail(s, STORE_ENOMEM, "out of memory finding a file's twin");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find a file's twin");
    return STORE_OK;
}

int store_link_has_good(store_t *s, int64_t link_id, int *yes)
{
    *yes = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(s->db, "SELECT EXISTS (SELECT 1 FROM snapshots WHERE link_id = ?1"
                                " AND linksnap_good(state, http_status, blank, partial_kind))",
                                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "look for a good capture");
    sqlite3_bind_int64(st, 1, link_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *yes = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_fail_sqlite(s, rc, "look for a good capture");
}

int store_snapshot_baseline(store_t *s, int64_t id, store_snapshot_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(s->db, "SELECT " STORE_SNAPSHOT_COLS " FROM snapshots WHERE "
                                "link_id = (SELECT link_id FROM snapshots WHERE id = ?1) AND "
                                "id < ?1 AND path IS NOT NULL AND "
                                "linksnap_good(state, http_status, blank, partial_kind) "
                                "ORDER BY id DESC LIMIT 1",
                                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a capture's baseline");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !(*out = snapshot_from_row(st))) {
        sqlite3_finalize(st);
        return store_fail(s, STORE_ENOMEM, "out of memory finding a capture's baseline");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find a capture's baseline");
    return STORE_OK;
}

int store_snapshot_set_change(store_t *s, int64_t id, int64_t against, int changed,
                              double fraction)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v3(s->db, "UPDATE snapshots SET change_against = ?2, "
                                "change_changed = ?3, change_fraction = ?4 WHERE id = ?1",
                                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "save a capture's change");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, against);
    sqlite3_bind_int(st, 3, changed);
    sqlite3_bind_double(st, 4, fraction);
    rc = sqlite3_step(st);
    int gone = sqlite3_changes(s->db) == 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "save a capture's change");
    /* the capture (its link) was deleted meanwhile */
    return gone ? store_fail(s, STORE_ENOTFOUND, "snapshot %lld not found", (long long)id)
                : STORE_OK;
}


int store_snapshot_changes(store_t *s, int limit, int64_t before_id, store_snapshot_t ***out,
                           size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    /* the inner select walks the partial index snapshots_changed (schema 14) backwards */
    int rc = sqlite3_prepare_v3(s->db, "SELECT c.*, l.url, l.title FROM (SELECT "
                                STORE_SNAPSHOT_COLS " FROM snapshots WHERE change_changed = 1 "
                                "AND id < ?2 ORDER BY id DESC LIMIT ?1) c "
                                "JOIN links l ON l.id = c.link_id ORDER BY c.id DESC",
                                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "list changed captures");
    sqlite3_bind_int(st, 1, limit);
    sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
    rc = snapshot_rows(s, st, out, n);
    sqlite3_finalize(st);
    return rc;
}
