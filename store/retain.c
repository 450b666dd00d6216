/* retain.c -- retention of a watched link's history: after a capture, which of the link's
 * captures go (beyond keep_last, over keep_mb, unchanged ones thinned to one a UTC day
 * after a week), never one a history still needs (store.h lists them), and the deletion
 * of their rows in a savepoint of its own. The files are the caller's to remove once the
 * transaction committed (daemon/retain.c). */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define DAY_MS 86400000LL

typedef struct {
    int64_t id, created_at, bytes, against;
    int finished, good, shot, unchanged;
    int hard;         /* never deleted */
    int pin;          /* the newest, the newest good: its baseline stays too */
    int rule;         /* kept by the rules (keep_last, keep_mb, thinning) */
    int named;        /* captures kept by rule or pinned whose baseline this is */
    long base;        /* index of the baseline (change_against) in the array, -1 none */
} item_t;

typedef struct {
    item_t *v;
    size_t n;
    int64_t count, bytes;   /* of the staying captures above the floor */
    int64_t floor_id;
} plan_t;

static int stays(const item_t *x) { return x->hard || x->rule || x->named > 0; }

/* Counts x out of the plan's figures when it stopped staying. */
static void left(plan_t *p, const item_t *x, int was)
{
    if (was && !stays(x) && x->id > p->floor_id) {
        p->count--;
        p->bytes -= x->bytes;
    }
}

/* The rules no longer keep v[i]: it goes unless it is hard or a kept capture's baseline,
 * and its own baseline is no longer needed for it (unless it is pinned). */
static void drop_rule(plan_t *p, size_t i)
{
    item_t *x = &p->v[i];
    if (!x->rule)
        return;
    int was = stays(x);
    x->rule = 0;
    left(p, x, was);
    if (x->base >= 0 && !x->pin) {
        item_t *b = &p->v[x->base];
        int bwas = stays(b);
        b->named--;
        left(p, b, bwas);
    }
}

static long find_index(const item_t *v, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].id == id ? (long)lo : -1;
}

/* Which captures stay (plan_t.v[i] stays()), given the items loaded oldest first. */
static void plan_make(plan_t *p, int64_t keep_last, int64_t keep_mb, int64_t now_ms)
{
    item_t *v = p->v;
    size_t n = p->n;
    long good = -1, shot = -1;
    for (size_t i = 0; i < n; i++) {
        v[i].rule = 1;
        v[i].base = v[i].against ? find_index(v, n, v[i].against) : -1;
        v[i].hard = !v[i].finished || v[i].id <= p->floor_id;
        v[i].pin = i + 1 == n;
        if (v[i].finished && v[i].good) {
            if (v[i].shot) {
                /* not compared yet (its comparison may be running, even as a later
                 * capture is saved): its coming baseline stays */
                if (!v[i].against && shot >= 0)
                    v[shot].hard = 1;
                shot = (long)i;
            }
            good = (long)i;
        }
    }
    if (good >= 0)
        v[good].pin = 1;
    if (shot >= 0)
        v[shot].pin = 1;
    for (size_t i = 0; i < n; i++) {
        v[i].hard |= v[i].pin;
        if (v[i].base >= 0)
            v[v[i].base].named++;
        if (v[i].id > p->floor_id) {
            p->count++;
            p->bytes += v[i].bytes;
        }
    }
    /* unchanged captures older than a week: the earliest of each UTC day stays */
    int64_t day = -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i].id <= p->floor_id || !v[i].unchanged ||
            v[i].created_at >= now_ms - STORE_THIN_AFTER_MS)
            continue;
        int64_t d = v[i].created_at / DAY_MS;
        if (d == day)
            drop_rule(p, i);
        else
            day = d;
    }
    for (size_t i = 0; i < n && p->count > keep_last; i++)
        drop_rule(p, i);
    int64_t budget = keep_mb * 1024 * 1024;
    for (size_t i = 0; i < n && p->bytes > budget; i++)
        drop_rule(p, i);
}

/* The settings of the watch that schedules link_id; *watched 0 when none does. */
static int effective_watch(store_t *s, int64_t link_id, const store_retain_opts_t *o,
                           int *watched, int64_t *keep_last, int64_t *keep_mb)
{
    *watched = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(w.keep_last, ?2), coalesce(w.keep_mb, ?3) "
                                "FROM watch_runs r JOIN watches w ON w.id = r.watch_id "
                                "WHERE r.link_id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find a link's watch");
    sqlite3_bind_int64(st, 1, link_id);
    sqlite3_bind_int64(st, 2, o->keep_last);
    sqlite3_bind_int64(st, 3, o->keep_mb);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *watched = 1;
        *keep_last = sqlite3_column_int64(st, 0);
        *keep_mb = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
                                                 : store_fail_sqlite(s, rc, "find a link's watch");
}

int store_retain_floor(store_t *s, int64_t *floor_id)
{
    *floor_id = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'retain_floor'", -1,
                                &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "read the retention floor");
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *floor_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
                                                 : store_fail_sqlite(s, rc, "read the retention floor");
}

/* The link's captures above the floor, oldest first, with what the plan needs of each.
 * Those at or below it are never deleted and count for nothing, and whatever of them
 * would be kept for the newer ones (a baseline, the newest good one) is kept anyway: left
 * out, so that a long history from before schema 17 costs nothing at each capture. */
static int load_items(store_t *s, int64_t link_id, plan_t *p)
{
    sqlite3_stmt *st = NULL;
    /* a capture's weight: its screenshot, MHTML, PDF and text (thumbnails are small) */
    int rc = sqlite3_prepare_v2(s->db,
        "SELECT s.id, s.created_at, s.finished_at IS NOT NULL AND s.state NOT IN "
        "('queued', 'running'), linksnap_good(s.state, s.http_status, s.blank, s.partial_kind), "
        "s.path IS NOT NULL, coalesce(s.change_against, 0), s.change_changed IS 0, "
        "coalesce(s.bytes, 0) + CASE WHEN json_valid(s.files) THEN "
        "coalesce(json_extract(s.files, '$.mhtml.bytes'), 0) + "
        "coalesce(json_extract(s.files, '$.pdf.bytes'), 0) ELSE 0 END + "
        "coalesce((SELECT length(CAST(t.text AS BLOB)) FROM page_texts t "
        "WHERE t.snapshot_id = s.id), 0) "
        "FROM snapshots s WHERE s.link_id = ?1 AND s.id > ?2 ORDER BY s.id", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "read a link's history");
    sqlite3_bind_int64(st, 1, link_id);
    sqlite3_bind_int64(st, 2, p->floor_id);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(p->v, p->n, cap, 64)) {
            rc = SQLITE_NOMEM;
            break;
        }
        item_t *x = &p->v[p->n++];
        memset(x, 0, sizeof *x);
        x->id = sqlite3_column_int64(st, 0);
        x->created_at = sqlite3_column_int64(st, 1);
        x->finished = sqlite3_column_int(st, 2);
        x->good = sqlite3_column_int(st, 3);
        x->shot = sqlite3_column_int(st, 4);
        x->against = sqlite3_column_int64(st, 5);
        x->unchanged = x->against && sqlite3_column_int(st, 6);
        x->bytes = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_NOMEM)
        return store_fail(s, STORE_ENOMEM, "out of memory reading a link's history");
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "read a link's history");
}

/* Deletes the captures that do not stay; their rows (as they were) into *out. */
static int delete_gone(store_t *s, const plan_t *p, store_snapshot_t ***out, size_t *n)
{
    store_snapshot_t **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = STORE_OK;
    for (size_t i = 0; !rc && i < p->n; i++) {
        if (stays(&p->v[i]))
            continue;
        if (STORE_GROW(v, cnt, cap, 16)) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory pruning a link's history");
            break;
        }
        if ((rc = store_snapshot_get(s, p->v[i].id, &v[cnt])))
            break;
        cnt++;
        rc = store_exec_i2(s, "DELETE FROM snapshots WHERE id = ?1", p->v[i].id, 0, NULL,
                           "prune a capture");
    }
    if (!rc && cnt)
        rc = store_exec_i2(s, "UPDATE counters SET value = value + ?1 WHERE name = 'snapshots_pruned'",
                           (int64_t)cnt, 0, NULL, "count pruned captures");
    if (rc) {
        store_snapshot_list_free(v, cnt);
        return rc;
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
}

int store_retain_link(store_t *s, int64_t link_id, const store_retain_opts_t *o,
                      store_snapshot_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int watched = 0;
    int64_t keep_last = 0, keep_mb = 0;
    plan_t p = {0};
    int rc = store_savepoint(s, "retain");
    if (rc)
        return rc;
    if ((rc = effective_watch(s, link_id, o, &watched, &keep_last, &keep_mb)) || !watched)
        goto done;
    if ((rc = store_retain_floor(s, &p.floor_id)) || (rc = load_items(s, link_id, &p)))
        goto done;
    plan_make(&p, keep_last, keep_mb, o->now_ms);
    rc = delete_gone(s, &p, out, n);
done:
    free(p.v);
    if (rc) {
        char msg[sizeof s->err];
        memcpy(msg, s->err, sizeof msg);
        store_rollback_to(s, "retain");
        store_release(s, "retain");
        memcpy(s->err, msg, sizeof msg);   /* the first error is the one to tell */
        return rc;
    }
    if ((rc = store_release(s, "retain"))) {
        store_snapshot_list_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
