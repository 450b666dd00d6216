/* deliveries.c -- webhook deliveries as rows (schema 14): added in the transaction that
 * keeps a capture's change, picked when due, and their attempts recorded with the
 * back-off time the caller chose. Knows nothing of HTTP or the loop: daemon/webhook.c
 * sends them and decides the back-off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define DONE_KEEP_MS (30LL * 86400 * 1000)

void store_delivery_free(store_delivery_t *x)
{
    if (!x)
        return;
    free(x->url);
    free(x->body);
    free(x);
}

STORE_DEFINE_LIST_FREE(store_delivery_list_free, store_delivery_t, store_delivery_free)

int store_delivery_targets(store_t *s, int64_t link_id, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    /* a link's own watch wins over its tags' watches, as it does for the schedule */
    int rc = sqlite3_prepare_v2(s->db,
        "SELECT DISTINCT notify FROM watches WHERE coalesce(notify, '') <> '' AND (link_id = ?1 "
        "OR (tag_id IN (SELECT tag_id FROM link_tags WHERE link_id = ?1) "
        "AND NOT EXISTS (SELECT 1 FROM watches o WHERE o.link_id = ?1))) ORDER BY notify",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a link's webhooks");
    sqlite3_bind_int64(st, 1, link_id);
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, cnt, cap, 4) || !(v[cnt] = store_col_strdup(st, 0))) {
            rc = SQLITE_NOMEM;
            break;
        }
        cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < cnt; i++)
            free(v[i]);
        free(v);
        return rc == SQLITE_NOMEM ? store_fail(s, STORE_ENOMEM, "out of memory finding webhooks")
                                  : store_fail_sqlite(s, rc, "find a link's webhooks");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

int store_delivery_add(store_t *s, const char *url, const char *body, int64_t snapshot_id,
                       int64_t now_ms, int64_t *id)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
        "INSERT INTO deliveries(url, body, snapshot_id, next_at, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?4, ?4)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "queue a webhook delivery");
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
    if (snapshot_id)
        sqlite3_bind_int64(st, 3, snapshot_id);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "queue a webhook delivery");
    if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    return STORE_OK;
}

static int skipped(int64_t id, const int64_t *skip, size_t nskip)
{
    for (size_t i = 0; i < nskip; i++)
        if (skip[i] == id)
            return 1;
    return 0;
}

int store_delivery_due(store_t *s, int64_t now_ms, const int64_t *skip, size_t nskip, int max,
                       store_delivery_t ***out, size_t *n, int64_t *next_at)
{
    *out = NULL;
    *n = 0;
    *next_at = 0;
    sqlite3_stmt *st = NULL;
    /* the rows being sent are pending too: read past them (there are few) */
    int rc = sqlite3_prepare_v2(s->db,
        "SELECT id, url, body, attempts, next_at FROM deliveries WHERE state = 'pending' "
        "ORDER BY next_at, id LIMIT ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find due webhook deliveries");
    sqlite3_bind_int64(st, 1, (int64_t)max + (int64_t)nskip + 1);
    store_delivery_t **v = NULL;
    size_t cnt = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 4);
        if (skipped(id, skip, nskip))
            continue;
        if (at > now_ms) {
            *next_at = at;   /* ordered by next_at: nothing after it is due */
            rc = SQLITE_DONE;
            break;
        }
        if (cnt == (size_t)max)
            continue;
        store_delivery_t *x = calloc(1, sizeof *x);
        if (!x || STORE_GROW(v, cnt, cap, 8)) {
            free(x);
            rc = SQLITE_NOMEM;
            break;
        }
        v[cnt++] = x;
        x->id = id;
        x->attempts = sqlite3_column_int(st, 3);
        x->next_at = at;
        if (!(x->url = store_col_strdup(st, 1)) || !(x->body = store_col_strdup(st, 2))) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_delivery_list_free(v, cnt);
        return rc == SQLITE_NOMEM ? store_fail(s, STORE_ENOMEM, "out of memory reading deliveries")
                                  : store_fail_sqlite(s, rc, "find due webhook deliveries");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

int store_delivery_attempted(store_t *s, int64_t id, const char *error, int64_t next_at,
                             int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
        "UPDATE deliveries SET attempts = attempts + 1, updated_at = ?4, "
        "last_error = coalesce(?2, last_error), "
        "state = CASE WHEN ?2 IS NULL THEN 'done' WHEN ?3 = 0 THEN 'failed' ELSE 'pending' END, "
        "next_at = CASE WHEN ?2 IS NULL OR ?3 = 0 THEN ?4 ELSE ?3 END "
        "WHERE id = ?1 AND state = 'pending'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "record a webhook attempt");
    sqlite3_bind_int64(st, 1, id);
    if (error)
        sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, next_at);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "record a webhook attempt");
    if (sqlite3_changes(s->db) == 0)
        return store_fail(s, STORE_ENOTFOUND, "webhook delivery %lld is not pending", (long long)id);
    /* delivered rows are kept a while for whoever looks, then go (next_at is when) */
    return store_exec_i2(s, "DELETE FROM deliveries WHERE state = 'done' AND next_at < ?1",
                         now_ms - DONE_KEEP_MS, 0, NULL, "prune delivered webhooks");
}

int store_delivery_counts(store_t *s, store_delivery_counts_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
        "SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending'),"
        " (SELECT count(*) FROM deliveries WHERE state = 'failed'),"
        " (SELECT last_error FROM deliveries WHERE state <> 'done' AND last_error IS NOT NULL"
        "  ORDER BY updated_at DESC, id DESC LIMIT 1),"
        " (SELECT max(updated_at) FROM deliveries WHERE state <> 'done' AND last_error IS NOT NULL)",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "count webhook deliveries");
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out->pending = sqlite3_column_int64(st, 0);
        out->failed = sqlite3_column_int64(st, 1);
        const unsigned char *e = sqlite3_column_text(st, 2);
        snprintf(out->last_error, sizeof out->last_error, "%s", e ? (const char *)e : "");
        out->last_error_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_fail_sqlite(s, rc, "count webhook deliveries");
}
