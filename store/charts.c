/* charts.c -- the day buckets the charts draw: links added per UTC day (optionally of one
 * tag) and captures finished per UTC day by final state. Read-only queries over the
 * indexes of schema step 4 (links_by_created, snapshots_by_finished); nothing here knows
 * how a chart looks. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

#define DAY_MS 86400000LL

/* The half-open range [first, first + days) in ms, refused when it would overflow. */
static int day_range(store_t *s, int64_t first_day_ms, size_t days, int64_t *end)
{
    if (first_day_ms < 0 || days > 100000 || first_day_ms > INT64_MAX - (int64_t)days * DAY_MS)
        return store_fail(s, STORE_EINVAL, "the days asked for are out of range");
    *end = first_day_ms + (int64_t)days * DAY_MS;
    return STORE_OK;
}

int store_chart_links_per_day(store_t *s, int64_t first_day_ms, size_t days, const char *tag,
                              int64_t *counts)
{
    int64_t end = 0;
    int rc = day_range(s, first_day_ms, days, &end);
    if (rc)
        return rc;
    memset(counts, 0, days * sizeof *counts);
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
    if (tag && (rc = store_tag_name_key(s, tag, name, key)))
        return rc;
    const char *sql = tag
        ? "SELECT (l.created_at - ?1) / 86400000, count(*) FROM tags t"
          " JOIN link_tags lt ON lt.tag_id = t.id JOIN links l ON l.id = lt.link_id"
          " WHERE t.id IN (SELECT id FROM tags WHERE key = ?3 UNION ALL"   /* or an alias's */
          "   SELECT tag_id FROM tag_aliases WHERE key = ?3)"
          " AND l.created_at >= ?1 AND l.created_at < ?2 GROUP BY 1"
        : "SELECT (created_at - ?1) / 86400000, count(*) FROM links"
          " WHERE created_at >= ?1 AND created_at < ?2 GROUP BY 1";
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "count links per day");
    sqlite3_bind_int64(st, 1, first_day_ms);
    sqlite3_bind_int64(st, 2, end);
    if (tag)
        sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        if (d >= 0 && (size_t)d < days)
            counts[d] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "count links per day");
}

/* A taken capture's main document answered with an error: counted apart from ok and
 * partial (store_chart_http_error_per_day). */
#define HTTP_ERROR_SQL "coalesce(http_status, 0) BETWEEN 400 AND 599"

int store_chart_outcomes_per_day(store_t *s, int64_t first_day_ms, size_t days, int64_t *ok,
                                 int64_t *partial, int64_t *failed)
{
    int64_t end = 0;
    int rc = day_range(s, first_day_ms, days, &end);
    if (rc)
        return rc;
    memset(ok, 0, days * sizeof *ok);
    memset(partial, 0, days * sizeof *partial);
    memset(failed, 0, days * sizeof *failed);
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT (finished_at - ?1) / 86400000, state, count(*) FROM snapshots"
                            " WHERE finished_at >= ?1 AND finished_at < ?2"
                            " AND state IN ('ok', 'partial', 'failed')"
                            " AND NOT (state IN ('ok', 'partial') AND " HTTP_ERROR_SQL ")"
                            " GROUP BY 1, 2",
                            -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "count captures per day");
    sqlite3_bind_int64(st, 1, first_day_ms);
    sqlite3_bind_int64(st, 2, end);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        if (d < 0 || (size_t)d >= days || !state)
            continue;
        int64_t n = sqlite3_column_int64(st, 2);
        if (!strcmp(state, "ok"))
            ok[d] = n;
        else if (!strcmp(state, "partial"))
            partial[d] = n;
        else
            failed[d] = n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "count captures per day");
}

/* counts[d] = snapshots finished on day d matching where (SQL over snapshots' columns). */
static int count_per_day(store_t *s, int64_t first_day_ms, size_t days, const char *where,
                         const char *what, int64_t *counts)
{
    int64_t end = 0;
    int rc = day_range(s, first_day_ms, days, &end);
    if (rc)
        return rc;
    memset(counts, 0, days * sizeof *counts);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT (finished_at - ?1) / 86400000, count(*) FROM snapshots"
             " WHERE finished_at >= ?1 AND finished_at < ?2 AND (%s) GROUP BY 1", where);
    sqlite3_stmt *st;
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, what);
    sqlite3_bind_int64(st, 1, first_day_ms);
    sqlite3_bind_int64(st, 2, end);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(st, 0);
        if (d >= 0 && (size_t)d < days)
            counts[d] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, what);
}

int store_chart_blocked_per_day(store_t *s, int64_t first_day_ms, size_t days, int64_t *blocked)
{
    return count_per_day(s, first_day_ms, days, "state = 'blocked'",
                         "count blocked captures per day", blocked);
}

int store_chart_http_error_per_day(store_t *s, int64_t first_day_ms, size_t days,
                                   int64_t *http_error)
{
    return count_per_day(s, first_day_ms, days, "state IN ('ok', 'partial') AND " HTTP_ERROR_SQL,
                         "count captures of error pages per day", http_error);
}
