/* watch.c -- captures on a schedule. A watch names a link or a tag and an interval;
 * watch_runs holds each watched link's own next run, which store_watch_sync keeps in step
 * with the watches (a link's own watch beats its tags', the shortest tag watch wins) and
 * store_watch_run_due turns into queued jobs behind people's. Knows nothing of the loop:
 * daemon/scheduler.c decides when to call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

void store_watch_free(store_watch_t *w)
{
    if (!w)
        return;
    free(w->tag);
    free(w->notify);
    free(w);
}

STORE_DEFINE_LIST_FREE(store_watch_list_free, store_watch_t, store_watch_free)

/* Each watched link with the watch that schedules it: its own, else its tags' shortest. */
#define EFFECTIVE                                                                          \
    "WITH eff(link_id, watch_id, every_s, jitter_s) AS ("                                  \
    " SELECT link_id, id, every_s, jitter_s FROM watches WHERE link_id IS NOT NULL"        \
    " UNION ALL"                                                                           \
    " SELECT lt.link_id, w.id, min(w.every_s), w.jitter_s FROM watches w"                  \
    " JOIN link_tags lt ON lt.tag_id = w.tag_id WHERE w.tag_id IS NOT NULL"                \
    " AND NOT EXISTS (SELECT 1 FROM watches o WHERE o.link_id = lt.link_id)"              \
    " GROUP BY lt.link_id) "

/* The columns of one watch with its tag's name and what it schedules now. */
#define WATCH_SELECT                                                                       \
    "SELECT w.id, coalesce(w.link_id, 0), coalesce(w.tag_id, 0), t.name, w.every_s,"       \
    " w.jitter_s, w.threshold, w.notify, w.created_at, w.updated_at,"                      \
    " (SELECT count(*) FROM watch_runs r WHERE r.watch_id = w.id),"                        \
    " (SELECT coalesce(min(next_run), 0) FROM watch_runs r WHERE r.watch_id = w.id),"      \
    " (SELECT coalesce(max(last_run), 0) FROM watch_runs r WHERE r.watch_id = w.id),"      \
    " coalesce(w.keep_last, 0), coalesce(w.keep_mb, 0)"                                    \
    " FROM watches w LEFT JOIN tags t ON t.id = w.tag_id "

static store_watch_t *watch_from_row(sqlite3_stmt *st)
{
    store_watch_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->id = sqlite3_column_int64(st, 0);
    w->link_id = sqlite3_column_int64(st, 1);
    w->tag_id = sqlite3_column_int64(st, 2);
    w->every_s = sqlite3_column_int64(st, 4);
    w->jitter_s = sqlite3_column_int64(st, 5);
    w->threshold = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 6);
    w->created_at = sqlite3_column_int64(st, 8);
    w->updated_at = sqlite3_column_int64(st, 9);
    w->links = sqlite3_column_int64(st, 10);
    w->next_run = sqlite3_column_int64(st, 11);
    w->last_run = sqlite3_column_int64(st, 12);
    w->keep_last = sqlite3_column_int64(st, 13);
    w->keep_mb = sqlite3_column_int64(st, 14);
    if ((sqlite3_column_type(st, 3) != SQLITE_NULL && !(w->tag = store_col_strdup(st, 3))) ||
        (sqlite3_column_type(st, 7) != SQLITE_NULL && !(w->notify = store_col_strdup(st, 7)))) {
        store_watch_free(w);
        return NULL;
    }
    return w;
}

static int watch_query(store_t *s, const char *where, int64_t id, store_watch_t ***out, size_t *n)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "%s%s", WATCH_SELECT, where);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "list watches");
    sqlite3_bind_int64(st, 1, id);
    store_watch_t **v = NULL;
    size_t cnt = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, cnt, cap, 16) || !(v[cnt] = watch_from_row(st))) {
            rc = SQLITE_NOMEM;
            break;
        }
        cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_watch_list_free(v, cnt);
        return rc == SQLITE_NOMEM ? store_fail(s, STORE_ENOMEM, "out of memory listing watches")
                                  : store_fail_sqlite(s, rc, "list watches");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

int store_watch_list(store_t *s, store_watch_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    return watch_query(s, "ORDER BY w.link_id IS NULL, w.link_id, t.key", 0, out, n);
}

int store_watch_sync(store_t *s, int64_t now_ms)
{
    int rc = store_exec_i2(s, EFFECTIVE "DELETE FROM watch_runs WHERE link_id NOT IN (SELECT link_id FROM eff)", 0, 0, NULL, "drop runs of unwatched links");
    if (rc)
        return rc;
    /* a newly watched link is due when its newest capture is `every` old (at once if it
     * is older); a changed interval brings the next run no later than one new interval */
    return store_exec_i2(s, EFFECTIVE "INSERT INTO watch_runs(link_id, watch_id, every_s, jitter_s, next_run) "
                   "SELECT e.link_id, e.watch_id, e.every_s, e.jitter_s, max(?1, coalesce("
                   "(SELECT created_at FROM snapshots p WHERE p.id = l.last_snapshot_id), l.created_at)"
                   " + e.every_s * 1000) FROM eff e JOIN links l ON l.id = e.link_id WHERE true "
                   "ON CONFLICT(link_id) DO UPDATE SET watch_id = excluded.watch_id, "
                   "every_s = excluded.every_s, jitter_s = excluded.jitter_s, "
                   "next_run = CASE WHEN every_s = excluded.every_s THEN next_run "
                   "ELSE min(next_run, ?1 + excluded.every_s * 1000) END "
                   "WHERE watch_id <> excluded.watch_id OR every_s <> excluded.every_s "
                   "OR jitter_s <> excluded.jitter_s", now_ms, 0, NULL, "schedule watched links");
}

/* The watch id of a link (link_id) or a tag (tag_id), 0 when it has none. */
static int watch_find(store_t *s, int64_t link_id, int64_t tag_id, int64_t *id)
{
    *id = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, link_id ? "SELECT id FROM watches WHERE link_id = ?1"
                                               : "SELECT id FROM watches WHERE tag_id = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a watch");
    sqlite3_bind_int64(st, 1, link_id ? link_id : tag_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "find a watch");
}

/* The link or the tag a watch call names: *tag_id set for a tag. */
static int watch_target(store_t *s, int64_t link_id, const char *tag, int64_t *tag_id)
{
    *tag_id = 0;
    if (link_id)
        return store_link_require(s, link_id);
    if (!tag)
        return store_fail(s, STORE_EINVAL, "name a link (link_id) or a tag");
    char name[STORE_MAX_TAG_BYTES + 1];
    int rc = store_tag_find(s, tag, name, tag_id);
    if (!rc && !*tag_id)
        rc = store_fail(s, STORE_ENOTFOUND, "no tag named '%.64s'", tag);
    return rc;
}

int store_watch_set(store_t *s, const store_watch_in_t *in, store_watch_t **out, int *created)
{
    *out = NULL;
    *created = 0;
    if (in->every_s <= 0 || in->every_s > STORE_WATCH_MAX_S)
        return store_fail(s, STORE_EINVAL, "every must be from 1 s to a year (%lld s), not %lld s",
                          STORE_WATCH_MAX_S, (long long)in->every_s);
    int64_t jitter = in->jitter_s < 0 ? in->every_s / 10 : in->jitter_s;
    if (jitter > in->every_s / 2)
        return store_fail(s, STORE_EINVAL, "jitter (%lld s) must be at most half of every (%lld s)",
                          (long long)jitter, (long long)in->every_s);
    if (in->keep_last < 0 || in->keep_last > STORE_KEEP_LAST_MAX)
        return store_fail(s, STORE_EINVAL, "keep_last must be from 1 to %d captures, not %lld",
                          STORE_KEEP_LAST_MAX, (long long)in->keep_last);
    if (in->keep_mb < 0 || in->keep_mb > STORE_KEEP_MB_MAX)
        return store_fail(s, STORE_EINVAL, "keep_mb must be from 1 to %d MiB, not %lld",
                          STORE_KEEP_MB_MAX, (long long)in->keep_mb);
    int64_t tag_id = 0, id = 0;
    int rc = watch_target(s, in->link_id, in->tag, &tag_id);
    if (!rc)
        rc = watch_find(s, in->link_id, tag_id, &id);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, id
        ? "UPDATE watches SET every_s = ?3, jitter_s = ?4, threshold = ?5, notify = ?6, "
          "updated_at = ?7, keep_last = ?9, keep_mb = ?10 WHERE id = ?8"
        : "INSERT INTO watches(link_id, tag_id, every_s, jitter_s, threshold, notify, created_at, "
          "updated_at, keep_last, keep_mb) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?9, ?10)",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "save a watch");
    if (in->link_id)
        sqlite3_bind_int64(st, 1, in->link_id);
    if (tag_id)
        sqlite3_bind_int64(st, 2, tag_id);
    sqlite3_bind_int64(st, 3, in->every_s);
    sqlite3_bind_int64(st, 4, jitter);
    if (in->threshold >= 0)
        sqlite3_bind_double(st, 5, in->threshold);
    if (in->notify && *in->notify)
        sqlite3_bind_text(st, 6, in->notify, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, in->now_ms);
    sqlite3_bind_int64(st, 8, id);
    if (in->keep_last)
        sqlite3_bind_int64(st, 9, in->keep_last);
    if (in->keep_mb)
        sqlite3_bind_int64(st, 10, in->keep_mb);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "save a watch");
    if (!id) {
        id = sqlite3_last_insert_rowid(s->db);
        *created = 1;
    }
    if ((rc = store_watch_sync(s, in->now_ms)))
        return rc;
    store_watch_t **v = NULL;
    size_t n = 0;
    if ((rc = watch_query(s, "WHERE w.id = ?1", id, &v, &n)))
        return rc;
    if (n != 1) {
        store_watch_list_free(v, n);
        return store_fail(s, STORE_EINTERNAL, "watch %lld vanished", (long long)id);
    }
    *out = v[0];
    free(v);
    return STORE_OK;
}

int store_watch_delete(store_t *s, int64_t link_id, const char *tag, int64_t now_ms, int *deleted)
{
    *deleted = 0;
    int64_t tag_id = 0, id = 0;
    int rc = watch_target(s, link_id, tag, &tag_id);
    if (!rc)
        rc = watch_find(s, link_id, tag_id, &id);
    if (rc || !id)
        return rc;
    if ((rc = store_exec_i2(s, "DELETE FROM watches WHERE id = ?1", id, 0, NULL, "delete a watch")))
        return rc;
    *deleted = 1;
    return store_watch_sync(s, now_ms);
}

int store_watch_move_tag(store_t *s, int64_t from, int64_t into)
{
    /* the tag vocabulary's own migration (schema 5) runs before watches exist */
    if (sqlite3_table_column_metadata(s->db, "main", "watches", "tag_id", NULL, NULL, NULL, NULL,
                                      NULL) != SQLITE_OK)
        return STORE_OK;
    return store_exec_i2(s, "UPDATE OR IGNORE watches SET tag_id = ?2 WHERE tag_id = ?1", from, into,
                         NULL, "move a tag's watch");
}

int64_t store_watch_spread(int64_t link_id, int64_t every_s)
{
    uint64_t h = ((uint64_t)link_id * 2654435761u) & 0xffffffffu;
    return (int64_t)(h % (uint64_t)(every_s * 1000));
}

/* The jitter of a run in [-jitter_ms, +jitter_ms], fixed by link and the run it follows. */
static int64_t run_jitter(int64_t link_id, int64_t prev_run, int64_t jitter_s)
{
    if (jitter_s <= 0)
        return 0;
    uint64_t h = (uint64_t)link_id * 0x9e3779b97f4a7c15u ^ (uint64_t)prev_run;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 29;
    uint64_t span = (uint64_t)jitter_s * 2000 + 1;
    return (int64_t)(h % span) - jitter_s * 1000;
}

typedef struct {
    int64_t link_id, every_s, jitter_s, next_run;
} run_t;

/* Up to max rows of watch_runs due at now_ms (all overdue ones for max 0), oldest first. */
static int due_runs(store_t *s, int64_t now_ms, int max, run_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT link_id, every_s, jitter_s, next_run FROM watch_runs "
                                "WHERE next_run <= ?1 ORDER BY next_run, link_id LIMIT ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find due runs");
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, max > 0 ? max : -1);
    run_t *v = NULL;
    size_t cnt = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, cnt, cap, 64)) {
            rc = SQLITE_NOMEM;
            break;
        }
        v[cnt++] = (run_t){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return rc == SQLITE_NOMEM ? store_fail(s, STORE_ENOMEM, "out of memory finding due runs")
                                  : store_fail_sqlite(s, rc, "find due runs");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

static int set_next(store_t *s, int64_t link_id, int64_t next_run, int64_t last_run)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE watch_runs SET next_run = ?2, "
                                "last_run = coalesce(?3, last_run) WHERE link_id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "move a run");
    sqlite3_bind_int64(st, 1, link_id);
    sqlite3_bind_int64(st, 2, next_run);
    if (last_run)
        sqlite3_bind_int64(st, 3, last_run);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "move a run");
}

/* Queues a scheduled capture of a link unless one is queued or running. */
static int queue_run(store_t *s, int64_t link_id, int64_t now_ms, int *queued)
{
    *queued = 0;
    sqlite3_stmt *st = store_stmt(s, ST_JOB_ACTIVE_OF_LINK);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find a link's job");
    if ((rc = store_job_enqueue(s, link_id, now_ms)))
        return rc;
    *queued = 1;
    return store_exec_i2(s, "UPDATE jobs SET priority = ?2 WHERE id = ?1", sqlite3_last_insert_rowid(s->db),
                   STORE_PRIORITY_SCHEDULED, NULL, "mark a scheduled job");
}

int store_watch_run_due(store_t *s, int64_t now_ms, int catchup, int max, int64_t *queued,
                        int64_t *next_ms)
{
    *queued = 0;
    *next_ms = 0;
    run_t *v = NULL;
    size_t n = 0;
    int rc = store_watch_sync(s, now_ms);
    /* runs missed while linksnapd was down: once each, spread over their interval */
    if (!rc && catchup && !(rc = due_runs(s, now_ms, 0, &v, &n)))
        for (size_t i = 0; !rc && i < n; i++)
            rc = set_next(s, v[i].link_id, now_ms + store_watch_spread(v[i].link_id, v[i].every_s), 0);
    free(v);
    v = NULL;
    if (!rc)
        rc = due_runs(s, now_ms, max, &v, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        int q = 0;
        if ((rc = queue_run(s, v[i].link_id, now_ms, &q)))
            break;
        *queued += q;
        /* one interval after the time it was due keeps the cadence; a run so late that
         * this has passed too counts from now (once, not once per missed period) */
        int64_t step = v[i].every_s * 1000 + run_jitter(v[i].link_id, v[i].next_run, v[i].jitter_s);
        int64_t next = v[i].next_run + step > now_ms ? v[i].next_run + step : now_ms + step;
        rc = set_next(s, v[i].link_id, next, now_ms);
    }
    free(v);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if ((rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(min(next_run), 0) FROM watch_runs", -1, &st,
                                 NULL)) != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find the next run");
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *next_ms = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_fail_sqlite(s, rc, "find the next run");
}

int store_watch_counts(store_t *s, int64_t now_ms, store_watch_counts_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM watches), count(*), "
                                "coalesce(sum(next_run <= ?1), 0), coalesce(min(next_run), 0), "
                                "(SELECT coalesce(max(value), 0) FROM counters "
                                "WHERE name = 'snapshots_pruned') FROM watch_runs", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "count watches");
    sqlite3_bind_int64(st, 1, now_ms);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (store_watch_counts_t){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                      sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                                      sqlite3_column_int64(st, 4)};
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : store_fail_sqlite(s, rc, "count watches");
}

int store_watch_next_run(store_t *s, int64_t link_id, int64_t *next_ms)
{
    *next_ms = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT next_run FROM watch_runs WHERE link_id = ?1", -1, &st,
                                NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a link's next run");
    sqlite3_bind_int64(st, 1, link_id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *next_ms = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
                                                 : store_fail_sqlite(s, rc, "find a link's next run");
}

int store_watch_threshold(store_t *s, int64_t link_id, double *threshold)
{
    *threshold = -1;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT w.threshold FROM watch_runs r JOIN watches w "
                                "ON w.id = r.watch_id WHERE r.link_id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a link's watch threshold");
    sqlite3_bind_int64(st, 1, link_id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *threshold = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? STORE_OK : store_fail_sqlite(s, rc, "find a link's watch threshold");
}
