/* test_retain.c -- retention of watched links' history against a real SQLite file: which
 * captures store_retain_link deletes for keep_last, keep_mb and the thinning of unchanged
 * captures to one a UTC day after a week; what it never deletes (the newest, the newest
 * good, a baseline a kept capture was compared with, the coming baseline of a capture not
 * compared yet, an unfinished capture, history from before schema 17); links no watch
 * covers left alone; a link's own watch beating its tag's; bad keep figures refused. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "test.h"
#include "store_test.h"

#define DAY 86400000LL
#define NOW (40 * DAY)

static int64_t add(store_t *s, const char *url, const char *tag)
{
    const char *tags[] = {tag};
    store_link_add_t in = {.url = url, .tags = tags, .ntags = tag ? 1 : 0, .now_ms = 1000};
    int64_t id = 0;
    int c;
    if (store_begin(s) || store_link_add(s, &in, &id, &c) || store_commit(s))
        return -1;
    return id;
}

/* A link's or a tag's watch with keep figures (0: the defaults). */
static int watch(store_t *s, int64_t link_id, const char *tag, int64_t keep_last, int64_t keep_mb)
{
    store_watch_in_t in = {.link_id = link_id, .tag = tag, .every_s = 3600, .jitter_s = 0,
                           .threshold = -1, .keep_last = keep_last, .keep_mb = keep_mb,
                           .now_ms = NOW};
    store_watch_t *w = NULL;
    int created = 0;
    if (store_begin(s))
        return -1;
    int rc = store_watch_set(s, &in, &w, &created);
    store_watch_free(w);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    return store_commit(s);
}

/* A finished capture row written as the writer would leave it: state, when, the bytes of
 * its PNG and MHTML, its baseline (0: none) and whether it changed. Returns its id. */
static int64_t snap(sqlite3 *db, int64_t link, const char *state, int64_t at, int64_t png,
                    int64_t mhtml, int64_t against, int changed)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO snapshots(link_id, state, http_status, path, bytes, "
                           "files, created_at, finished_at, change_against, change_changed) VALUES "
                           "(?1, ?2, 200, CASE WHEN ?2 IN ('ok','partial') THEN '/x.png' END, ?4, "
                           "CASE WHEN ?5 > 0 THEN json_object('mhtml', json_object('path', '/x.mhtml',"
                           " 'bytes', ?5)) END, ?3, CASE WHEN ?2 IN ('queued','running') THEN NULL "
                           "ELSE ?3 + 1000 END, nullif(?6, 0), CASE WHEN ?6 > 0 THEN ?7 END)",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  prepare a snapshot insert: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, link);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, png);
    sqlite3_bind_int64(st, 5, mhtml);
    sqlite3_bind_int64(st, 6, against);
    sqlite3_bind_int(st, 7, changed);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        fprintf(stderr, "  insert a snapshot: %s\n", sqlite3_errmsg(db));
    return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(db) : -1;
}

/* Runs retention on link with defaults keep_last / keep_mb; the deleted ids into gone
 * (oldest first), their count returned (-1 on failure). */
static int retain(store_t *s, int64_t link, int64_t keep_last, int64_t keep_mb, int64_t *gone)
{
    store_retain_opts_t o = {.keep_last = keep_last, .keep_mb = keep_mb, .now_ms = NOW};
    store_snapshot_t **v = NULL;
    size_t n = 0;
    if (store_begin(s))
        return -1;
    if (store_retain_link(s, link, &o, &v, &n)) {
        fprintf(stderr, "  retain: %s\n", store_errmsg(s));
        store_rollback(s);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        gone[i] = v[i]->id;
    store_snapshot_list_free(v, n);
    return store_commit(s) ? -1 : (int)n;
}

static int64_t count_of(sqlite3 *db, const char *sql, int64_t a)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, a);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static sqlite3 *raw(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* A fresh database called name open in the store (*s) and with plain SQLite (returned),
 * for the test to write rows as the writer would leave them. */
static sqlite3 *open_both(const char *name, store_t **s)
{
    char path[600];
    return (*s = open_fresh_at(name, path, sizeof path)) ? raw(path) : NULL;
}

TEST(keep_last_oldest_first_own_watch_beats_tag)
{
    store_t *s = NULL;
    sqlite3 *db = open_both("last.db", &s);
    ASSERT_NOT_NULL(db);
    int64_t a = add(s, "https://a.test/", "t");
    ASSERT_GT(a, 0);
    int64_t id[6];
    for (int i = 0; i < 6; i++)
        ASSERT_GT(id[i] = snap(db, a, "ok", NOW - (6 - i) * 3600000, 1000, 0, i ? id[i - 1] : 0, 1), 0);
    ASSERT_EQ(watch(s, 0, "t", 2, 0), STORE_OK);
    ASSERT_EQ(watch(s, a, NULL, 3, 0), STORE_OK);    /* the link's own: 3, not the tag's 2 */
    int64_t gone[16];
    ASSERT_EQ(retain(s, a, 50, 200, gone), 3);
    ASSERT_EQ(gone[0], id[0]);
    ASSERT_EQ(gone[1], id[1]);
    ASSERT_EQ(gone[2], id[2]);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 3);
    ASSERT_EQ(count_of(db, "SELECT value FROM counters WHERE name = 'snapshots_pruned' AND ?1", 1), 3);
    store_watch_counts_t wc;
    ASSERT_EQ(store_watch_counts(s, NOW, &wc), STORE_OK);
    ASSERT_EQ(wc.pruned, 3);
    /* again: nothing more to do */
    ASSERT_EQ(retain(s, a, 50, 200, gone), 0);
    /* without its own watch the tag's keep_last 2 applies */
    int deleted = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_watch_delete(s, a, NULL, NOW, &deleted), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(retain(s, a, 50, 200, gone), 1);
    ASSERT_EQ(gone[0], id[3]);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(unwatched_link_untouched_and_defaults_apply)
{
    store_t *s = NULL;
    sqlite3 *db = open_both("unwatched.db", &s);
    ASSERT_NOT_NULL(db);
    int64_t a = add(s, "https://a.test/", NULL), b = add(s, "https://b.test/", "daily");
    int64_t prev_a = 0, prev_b = 0;
    for (int i = 0; i < 8; i++) {
        ASSERT_GT(prev_a = snap(db, a, "ok", NOW - (8 - i) * 3600000, 10 << 20, 0, prev_a, 1), 0);
        ASSERT_GT(prev_b = snap(db, b, "ok", NOW - (8 - i) * 3600000, 1000, 0, prev_b, 1), 0);
    }
    int64_t gone[16];
    ASSERT_EQ(retain(s, a, 1, 1, gone), 0);      /* no watch covers a: kept whatever the figures */
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 8);
    ASSERT_EQ(watch(s, 0, "daily", 0, 0), STORE_OK);   /* keeps nothing itself: the defaults */
    ASSERT_EQ(retain(s, b, 4, 200, gone), 4);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", b), 4);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 8);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(keep_mb_counts_every_file_and_keeps_unfinished)
{
    store_t *s = NULL;
    sqlite3 *db = open_both("mb.db", &s);
    ASSERT_NOT_NULL(db);
    int64_t a = add(s, "https://a.test/", NULL);
    int64_t stuck = snap(db, a, "running", NOW - 9 * 3600000, 0, 0, 0, 0);
    ASSERT_GT(stuck, 0);
    int64_t id[6];
    /* 200 KiB of PNG and 200 KiB of MHTML each: 2.4 MiB, over a budget of 1 MiB */
    for (int i = 0; i < 6; i++)
        ASSERT_GT(id[i] = snap(db, a, "ok", NOW - (6 - i) * 3600000, 204800, 204800,
                               i ? id[i - 1] : 0, 1), 0);
    ASSERT_EQ(watch(s, a, NULL, 0, 1), STORE_OK);
    int64_t gone[16];
    ASSERT_EQ(retain(s, a, 50, 200, gone), 4);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(gone[i], id[i]);
    /* the unfinished capture stays, older as it is; the two newest weigh 800 KiB */
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", stuck), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 3);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(baselines_and_the_newest_good_stay)
{
    store_t *s = NULL;
    sqlite3 *db = open_both("base.db", &s);
    ASSERT_NOT_NULL(db);
    int64_t a = add(s, "https://a.test/", NULL);
    int64_t t = NOW - 10 * 3600000;
    int64_t g1 = snap(db, a, "ok", t, 1000, 0, 0, 0);
    int64_t g2 = snap(db, a, "ok", t + 1, 1000, 0, g1, 1);
    int64_t f1 = snap(db, a, "failed", t + 2, 0, 0, 0, 0);
    int64_t f2 = snap(db, a, "failed", t + 3, 0, 0, 0, 0);
    int64_t g3 = snap(db, a, "ok", t + 4, 1000, 0, g2, 1);   /* compared with g2 */
    int64_t f3 = snap(db, a, "failed", t + 5, 0, 0, 0, 0);    /* the newest */
    ASSERT_GT(f3, 0);
    ASSERT_EQ(watch(s, a, NULL, 1, 0), STORE_OK);
    int64_t gone[16];
    /* keep_last 1: g3 (the newest good) and f3 (the newest) stay, and g2, g3's baseline */
    ASSERT_EQ(retain(s, a, 50, 200, gone), 3);
    ASSERT_EQ(gone[0], g1);
    ASSERT_EQ(gone[1], f1);
    ASSERT_EQ(gone[2], f2);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id IN (?1)", g2), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id IN (?1)", g3), 1);
    /* a good capture not compared yet: its coming baseline (g3) stays for the comparison
     * (g3's own baseline need not) */
    int64_t g4 = snap(db, a, "ok", t + 6, 1000, 0, 0, 0);
    ASSERT_GT(g4, 0);
    ASSERT_EQ(retain(s, a, 50, 200, gone), 2);
    ASSERT_EQ(gone[0], g2);
    ASSERT_EQ(gone[1], f3);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", g3), 1);
    /* compared now (with g3): g3 stays as g4's baseline, though over keep_last */
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE snapshots SET change_against = %lld, change_changed = 0 "
             "WHERE id = %lld", (long long)g3, (long long)g4);
    ASSERT_EQ(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ(retain(s, a, 50, 200, gone), 0);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 2);
    /* two captures saved before either was compared (a comparison still running when the
     * next capture is saved): each one's coming baseline stays */
    int64_t g5 = snap(db, a, "ok", t + 7, 1000, 0, 0, 0);
    int64_t g6 = snap(db, a, "ok", t + 8, 1000, 0, 0, 0);
    ASSERT_GT(g6, 0);
    ASSERT_EQ(retain(s, a, 50, 200, gone), 1);
    ASSERT_EQ(gone[0], g3);   /* g4 stays: g5 will be compared with it */
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", g4), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", g5), 1);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(unchanged_thinned_to_one_a_day_after_a_week)
{
    store_t *s = NULL;
    sqlite3 *db = open_both("thin.db", &s);
    ASSERT_NOT_NULL(db);
    int64_t a = add(s, "https://a.test/", NULL);
    int64_t h = 3600000, d10 = 10 * DAY, d11 = 11 * DAY;
    int64_t first = snap(db, a, "ok", d10, 1000, 0, 0, 0);
    int64_t u1 = snap(db, a, "ok", d10 + 1 * h, 1000, 0, first, 0);   /* the day's earliest unchanged */
    int64_t u2 = snap(db, a, "ok", d10 + 2 * h, 1000, 0, u1, 0);      /* goes */
    int64_t u3 = snap(db, a, "ok", d10 + 3 * h, 1000, 0, u2, 0);      /* stays: u4's baseline */
    int64_t c1 = snap(db, a, "ok", d10 + 4 * h, 1000, 0, u3, 1);      /* changed: never thinned */
    int64_t u4 = snap(db, a, "ok", d10 + 5 * h, 1000, 0, c1, 0);      /* goes */
    int64_t v1 = snap(db, a, "ok", d11 + 1 * h, 1000, 0, u4, 0);      /* the next day's earliest */
    int64_t v2 = snap(db, a, "ok", d11 + 2 * h, 1000, 0, v1, 0);      /* stays: r1's baseline */
    int64_t r1 = snap(db, a, "ok", NOW - 2 * DAY, 1000, 0, v2, 0);    /* within the week */
    int64_t r2 = snap(db, a, "ok", NOW - 2 * DAY + h, 1000, 0, r1, 0);
    ASSERT_GT(r2, 0);
    (void)c1;
    ASSERT_EQ(watch(s, a, NULL, 0, 0), STORE_OK);
    int64_t gone[16];
    ASSERT_EQ(retain(s, a, 50, 200, gone), 1);
    ASSERT_EQ(gone[0], u2);
    /* u4 went too? it is c1's follower and named by v1, the next day's keeper: it stays */
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", u4), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", u3), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id = ?1", v2), 1);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE link_id = ?1", a), 9);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(history_before_the_upgrade_is_never_pruned)
{
    const char *path = NULL;
    sqlite3 *db = open_old("old.db", 16, &path);
    ASSERT_NOT_NULL(db);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO links(id, url, created_at, updated_at) VALUES "
                               "(1, 'https://a.test/', 1, 1)", NULL, NULL, NULL), SQLITE_OK);
    int64_t prev = 0;
    for (int i = 0; i < 6; i++)
        ASSERT_GT(prev = snap(db, 1, i % 2 ? "failed" : "ok", 20 * DAY + i * 60000, 1 << 20, 0, 0,
                              0), 0);
    sqlite3_close(db);
    store_t *s = NULL;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    int64_t floor_id = 0;
    ASSERT_EQ(store_retain_floor(s, &floor_id), STORE_OK);
    ASSERT_EQ(floor_id, prev);
    ASSERT_NOT_NULL(db = raw(path));
    int64_t n1 = snap(db, 1, "ok", NOW - 3000, 1000, 0, 0, 1);
    int64_t n2 = snap(db, 1, "failed", NOW - 2000, 0, 0, 0, 0);
    int64_t n3 = snap(db, 1, "ok", NOW - 1000, 1000, 0, n1, 1);
    ASSERT_GT(n3, 0);
    ASSERT_EQ(watch(s, 1, NULL, 1, 1), STORE_OK);
    int64_t gone[16];
    /* keep_last 1 and 1 MiB: of the new captures only n2 can go (n1 is n3's baseline);
     * the six older ones (6 MiB) stay and do not count against the new ones */
    ASSERT_EQ(retain(s, 1, 50, 200, gone), 1);
    ASSERT_EQ(gone[0], n2);
    ASSERT_EQ(count_of(db, "SELECT count(*) FROM snapshots WHERE id <= ?1", floor_id), 6);
    sqlite3_close(db);
    store_close(s);
    return 0;
}

TEST(bad_keep_figures_refused)
{
    store_t *s = open_fresh("bad.db");
    ASSERT_NOT_NULL(s);
    int64_t a = add(s, "https://a.test/", NULL);
    ASSERT_EQ(watch(s, a, NULL, STORE_KEEP_LAST_MAX + 1, 0), STORE_EINVAL);
    ASSERT(strstr(store_errmsg(s), "keep_last must be from 1 to 10000") != NULL);
    ASSERT_EQ(watch(s, a, NULL, -1, 0), STORE_EINVAL);
    ASSERT_EQ(watch(s, a, NULL, 0, STORE_KEEP_MB_MAX + 1), STORE_EINVAL);
    ASSERT(strstr(store_errmsg(s), "keep_mb must be from 1 to 1000000") != NULL);
    ASSERT_EQ(watch(s, a, NULL, 0, -3), STORE_EINVAL);
    ASSERT_EQ(watch(s, a, NULL, STORE_KEEP_LAST_MAX, STORE_KEEP_MB_MAX), STORE_OK);
    store_watch_t **v = NULL;
    size_t n = 0;
    ASSERT_EQ(store_watch_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->keep_last, STORE_KEEP_LAST_MAX);
    ASSERT_EQ(v[0]->keep_mb, STORE_KEEP_MB_MAX);
    store_watch_list_free(v, n);
    store_close(s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(keep_last_oldest_first_own_watch_beats_tag),
    TEST_ENTRY(unwatched_link_untouched_and_defaults_apply),
    TEST_ENTRY(keep_mb_counts_every_file_and_keeps_unfinished),
    TEST_ENTRY(baselines_and_the_newest_good_stay),
    TEST_ENTRY(unchanged_thinned_to_one_a_day_after_a_week),
    TEST_ENTRY(history_before_the_upgrade_is_never_pruned),
    TEST_ENTRY(bad_keep_figures_refused),
    TEST_END,
};
STORE_TEST_MAIN()
