/* test_store.c -- the store against real SQLite files in a temp dir: links and tags through
 * add/merge/rename/delete with counts checked at every step, filters and pagination,
 * migrations (a v1 file opened by the current binary), refusing a newer or non-database
 * file, the counters, integrity check and online backup. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"   /* the claim statement, for its plan */
#include "test.h"
#include "store_test.h"

static int64_t add(store_t *s, const char *url, const char *const *tags, size_t ntags, int *created)
{
    store_link_add_t in = {.url = url, .tags = tags, .ntags = ntags, .now_ms = 1000, .capture = 0};
    int64_t id = 0;
    int c;
    if (store_link_add(s, &in, &id, created ? created : &c) != STORE_OK)
        return -1;
    return id;
}

static int64_t tag_count(store_t *s, const char *name)
{
    store_tag_t *tags;
    size_t n;
    if (store_tag_list(s, &tags, &n) != STORE_OK)
        return -2;
    int64_t c = -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tags[i].name, name))
            c = tags[i].count;
    free(tags);
    return c;
}

TEST(add_merge_and_counts)
{
    store_t *s = open_fresh("a.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    const char *t1[] = {"Rust", "数据库"}, *t2[] = {"rust", "later"};
    int created;
    int64_t id = add(s, "https://Example.com/a?utm_source=x", t1, 2, &created);
    ASSERT_GT(id, 0);
    ASSERT_EQ(created, 1);
    ASSERT_EQ(add(s, "https://example.com/a", t2, 2, &created), id);
    ASSERT_EQ(created, 0);
    ASSERT_EQ(tag_count(s, "Rust"), 1);      /* displayed as first written, matched by key */
    ASSERT_EQ(tag_count(s, "rust"), -1);
    ASSERT_EQ(tag_count(s, "later"), 1);
    store_link_t *l;
    ASSERT_EQ(store_link_get(s, id, &l), STORE_OK);
    ASSERT_STR_EQ(l->url, "https://example.com/a");
    ASSERT_EQ(l->ntags, 3);
    store_link_free(l);
    /* a bad tag changes nothing */
    const char *bad[] = {"ok", "a,b"};
    ASSERT_EQ(add(s, "https://example.com/b", bad, 2, NULL), -1);
    ASSERT_EQ(tag_count(s, "ok"), -1);
    /* untag to zero removes the tag; deleting the link drops its tags' counts */
    const char *rm[] = {"LATER"};
    ASSERT_EQ(store_link_tag(s, id, NULL, 0, rm, 1, 2000), STORE_OK);
    ASSERT_EQ(tag_count(s, "later"), -1);
    ASSERT_EQ(store_link_delete(s, id), STORE_OK);
    ASSERT_EQ(tag_count(s, "Rust"), -1);
    ASSERT_EQ(store_link_get(s, id, &l), STORE_ENOTFOUND);
    ASSERT(strstr(store_errmsg(s), "not found") != NULL);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

TEST(rename_merge_delete)
{
    store_t *s = open_fresh("b.db");
    ASSERT_NOT_NULL(s);
    const char *a[] = {"alpha", "beta"}, *b[] = {"beta", "gamma"}, *c[] = {"gamma"};
    add(s, "http://x.example/1", a, 2, NULL);
    add(s, "http://x.example/2", b, 2, NULL);
    add(s, "http://x.example/3", c, 1, NULL);
    store_tag_t t;
    ASSERT_EQ(store_tag_rename(s, "ALPHA", "Alpha", &t), STORE_OK);     /* case only */
    ASSERT_STR_EQ(t.name, "Alpha");
    ASSERT_EQ(t.count, 1);
    ASSERT_EQ(store_tag_rename(s, "gamma", "beta", &t), STORE_OK);      /* onto existing: merge */
    ASSERT_STR_EQ(t.name, "beta");
    ASSERT_EQ(t.count, 3);
    ASSERT_EQ(tag_count(s, "gamma"), -1);
    const char *from[] = {"Alpha", "nope"};
    ASSERT_EQ(store_tag_merge(s, from, 2, "beta", &t), STORE_OK);
    ASSERT_EQ(t.count, 3);
    ASSERT_EQ(store_tag_rename(s, "missing", "x", &t), STORE_ENOTFOUND);
    ASSERT_EQ(store_tag_delete(s, "BETA", &t), STORE_OK);
    ASSERT_EQ(t.count, 3);
    store_tag_t *tags;
    size_t n;
    ASSERT_EQ(store_tag_list(s, &tags, &n), STORE_OK);
    ASSERT_EQ(n, 0);
    free(tags);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.links, 3);
    ASSERT_EQ(st.tags, 0);
    store_close(s);
    return 0;
}

/* The tags a link carries, joined by commas, for comparing. */
static const char *link_tags(store_t *s, int64_t id)
{
    static char buf[256];
    store_link_t *l;
    buf[0] = '\0';
    if (store_link_get(s, id, &l) != STORE_OK)
        return "(no link)";
    for (size_t i = 0; i < l->ntags; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "", l->tags[i]);
    store_link_free(l);
    return buf;
}

static size_t list_count(store_t *s, const char *tag)
{
    const char *all[] = {tag};
    store_filter_t f = {.all = all, .nall = 1};
    store_link_t **v;
    size_t n = 0;
    int64_t next;
    if (store_link_list(s, &f, 500, 0, &v, &n, &next) != STORE_OK)
        return (size_t)-1;
    store_link_list_free(v, n);
    return n;
}

TEST(tag_aliases_follow_merges)
{
    store_t *s = open_fresh("aliases.db");
    ASSERT_NOT_NULL(s);
    const char *k[] = {"kernel"}, *l[] = {"Linux"}, *o[] = {"os"};
    int64_t a = add(s, "http://al.example/1", k, 1, NULL);
    int64_t b = add(s, "http://al.example/2", l, 1, NULL);
    store_tag_t t;
    const char *from[] = {"kernel"};
    ASSERT_EQ(store_tag_merge(s, from, 1, "linux", &t), STORE_OK);
    ASSERT_STR_EQ(t.name, "Linux");
    /* the old name, in any case, names the tag it went into: adding, filtering, watching */
    const char *kk[] = {"KERNEL"};
    int64_t c = add(s, "http://al.example/3", kk, 1, NULL);
    ASSERT_STR_EQ(link_tags(s, c), "Linux");
    ASSERT_EQ(tag_count(s, "kernel"), -1);
    ASSERT_EQ(tag_count(s, "Linux"), 3);
    ASSERT_EQ(list_count(s, "kernel"), 3);
    ASSERT_EQ(store_link_tag(s, a, k, 1, NULL, 0, 2000), STORE_OK);
    ASSERT_STR_EQ(link_tags(s, a), "Linux");
    store_watch_t *w = NULL;
    int created;
    store_watch_in_t win = {.tag = "kernel", .every_s = 3600, .jitter_s = 0, .threshold = -1,
                            .now_ms = 1000};
    ASSERT_EQ(store_watch_set(s, &win, &w, &created), STORE_OK);
    ASSERT_STR_EQ(w->tag, "Linux");
    store_watch_free(w);
    int64_t per_day[1];   /* the links were added at 1000 ms: day 0 */
    ASSERT_EQ(store_chart_links_per_day(s, 0, 1, "kernel", per_day), STORE_OK);
    ASSERT_EQ(per_day[0], 3);
    /* a chain resolves when written: linux renamed to os, kernel now names os */
    ASSERT_EQ(store_tag_rename(s, "linux", "os", &t), STORE_OK);
    ASSERT_STR_EQ(t.name, "os");
    int64_t d = add(s, "http://al.example/4", k, 1, NULL);
    ASSERT_STR_EQ(link_tags(s, d), "os");
    store_tag_alias_t *v;
    size_t n;
    ASSERT_EQ(store_tag_aliases(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(v[0].alias, "kernel");
    ASSERT_STR_EQ(v[0].tag, "os");
    ASSERT_STR_EQ(v[1].alias, "Linux");
    ASSERT_STR_EQ(v[1].tag, "os");
    free(v);
    /* an alias is not the tag: deleting or renaming it by the old name is refused */
    ASSERT_EQ(store_tag_delete(s, "kernel", &t), STORE_ENOTFOUND);
    ASSERT(strstr(store_errmsg(s), "alias of 'os'") != NULL);
    ASSERT_EQ(tag_count(s, "os"), 4);
    /* renaming back onto an old name of its own: that alias goes, no loop forms */
    ASSERT_EQ(store_tag_rename(s, "os", "linux", &t), STORE_OK);
    ASSERT_STR_EQ(t.name, "linux");
    ASSERT_EQ(store_tag_aliases(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 2);   /* kernel and os */
    ASSERT_STR_EQ(v[0].alias, "kernel");
    ASSERT_STR_EQ(v[1].alias, "os");
    free(v);
    ASSERT_STR_EQ(link_tags(s, add(s, "http://al.example/5", o, 1, NULL)), "linux");
    /* unalias: the name is free to be a tag of its own */
    store_tag_alias_t gone;
    ASSERT_EQ(store_tag_unalias(s, "Kernel", &gone), STORE_OK);
    ASSERT_STR_EQ(gone.alias, "Kernel");
    ASSERT_STR_EQ(gone.tag, "linux");
    ASSERT_EQ(store_tag_unalias(s, "kernel", &gone), STORE_ENOTFOUND);
    ASSERT_EQ(store_tag_unalias(s, "linux", &gone), STORE_ENOTFOUND);
    ASSERT(strstr(store_errmsg(s), "is a tag, not an alias") != NULL);
    int64_t e = add(s, "http://al.example/6", k, 1, NULL);
    ASSERT_STR_EQ(link_tags(s, e), "kernel");
    ASSERT_EQ(list_count(s, "kernel"), 1);
    /* deleting a tag deletes its aliases */
    ASSERT_EQ(store_tag_delete(s, "linux", &t), STORE_OK);
    ASSERT_EQ(store_tag_aliases(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 0);
    free(v);
    ASSERT_STR_EQ(link_tags(s, add(s, "http://al.example/7", o, 1, NULL)), "os");
    ASSERT_EQ(b > 0, 1);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

TEST(list_filters_and_pagination)
{
    store_t *s = open_fresh("c.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    int64_t ids[100];
    for (int i = 0; i < 100; i++) {
        const char *tags[3];
        size_t nt = 0;
        tags[nt++] = i % 2 ? "odd" : "even";
        if (i % 5 == 0)
            tags[nt++] = "five";
        char url[64];
        snprintf(url, sizeof url, "https://list.example/%d", i);
        ids[i] = add(s, url, nt ? tags : NULL, (i == 99) ? 0 : nt, NULL);
        ASSERT_GT(ids[i], 0);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    /* all 100, 7 per page: newest first, no gaps, no repeats */
    store_filter_t f = {0};
    int64_t before = 0, expect = 99;
    int pages = 0;
    do {
        store_link_t **v;
        size_t n;
        int64_t next;
        ASSERT_EQ(store_link_list(s, &f, 7, before, &v, &n, &next), STORE_OK);
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ(v[i]->id, ids[expect--]);
        store_link_list_free(v, n);
        before = next;
        pages++;
    } while (before);
    ASSERT_EQ(expect, -1);
    ASSERT_EQ(pages, 15);
    /* tags_all even+five: i % 10 == 0 */
    const char *all[] = {"five", "even"};
    store_filter_t f2 = {.all = all, .nall = 2};
    store_link_t **v;
    size_t n;
    int64_t next;
    ASSERT_EQ(store_link_list(s, &f2, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 10);
    ASSERT_EQ(next, 0);
    store_link_list_free(v, n);
    /* tags_none five, untagged, q */
    const char *none[] = {"five"};
    store_filter_t f3 = {.none = none, .nnone = 1};
    ASSERT_EQ(store_link_list(s, &f3, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 80);
    store_link_list_free(v, n);
    store_filter_t f4 = {.untagged = 1};
    ASSERT_EQ(store_link_list(s, &f4, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->id, ids[99]);
    store_link_list_free(v, n);
    store_filter_t f5 = {.q = "list.example/1"};   /* 1, 10..19 */
    ASSERT_EQ(store_link_list(s, &f5, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 11);
    store_link_list_free(v, n);
    store_filter_t f6 = {.q = "100%_"};             /* LIKE wildcards are literal */
    ASSERT_EQ(store_link_list(s, &f6, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 0);
    store_link_list_free(v, n);
    const char *unknown[] = {"no-such-tag"};
    store_filter_t f7 = {.all = unknown, .nall = 1};
    ASSERT_EQ(store_link_list(s, &f7, 500, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 0);
    store_link_list_free(v, n);
    /* apply: add "x" to all odd ones, remove "odd" */
    const char *odd[] = {"odd"}, *x[] = {"x"};
    store_filter_t f8 = {.all = odd, .nall = 1};
    int64_t changed;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_tag_apply(s, &f8, x, 1, odd, 1, 5000, &changed), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(changed, 49);               /* 50 odd numbers, but 99 was added untagged */
    ASSERT_EQ(tag_count(s, "x"), 49);
    ASSERT_EQ(tag_count(s, "odd"), -1);
    store_close(s);
    return 0;
}

TEST(capture_enqueues_job_and_snapshot)
{
    store_t *s = open_fresh("d.db");
    ASSERT_NOT_NULL(s);
    store_link_add_t in = {.url = "https://q.example/", .now_ms = 1000, .capture = 1};
    int64_t id;
    int created;
    ASSERT_EQ(store_link_add(s, &in, &id, &created), STORE_OK);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_queued, 1);
    ASSERT_EQ(st.snapshots, 1);
    store_link_t *l;
    ASSERT_EQ(store_link_get(s, id, &l), STORE_OK);
    ASSERT_NOT_NULL(l->last_snapshot);
    ASSERT_STR_EQ(l->last_snapshot->state, "queued");
    store_link_free(l);
    /* adding the same URL again does not queue a second capture */
    ASSERT_EQ(store_link_add(s, &in, &id, &created), STORE_OK);
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_queued, 1);
    store_close(s);
    return 0;
}

/* The queue: claim takes due jobs oldest first and marks them running (attempt 1), retry
 * puts one back with a not_before that claim respects, finish fills the snapshot and the
 * link's empty title, cancel refuses an ended job, requeue brings back what a crash left
 * running; counters follow every step. */
TEST(job_lifecycle)
{
    store_t *s = open_fresh("jobs.db");
    ASSERT_NOT_NULL(s);
    int64_t ids[3];
    int created;
    const char *urls[] = {"https://a.example/", "https://b.example/", "https://c.example/"};
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 0; i < 3; i++) {
        store_link_add_t in = {.url = urls[i], .now_ms = 1000 + i, .capture = 1};
        ASSERT_EQ(store_link_add(s, &in, &ids[i], &created), STORE_OK);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);

    store_job_t **v;
    size_t n;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_claim(s, 5000, 2, &v, &n), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(v[0]->link_id, ids[0]);
    ASSERT_EQ(v[1]->link_id, ids[1]);
    ASSERT_STR_EQ(v[0]->state, "running");
    ASSERT_EQ(v[0]->attempt, 1);
    ASSERT_STR_EQ(v[0]->url, "https://a.example/");
    int64_t j0 = v[0]->id, j1 = v[1]->id, snap0 = v[0]->snapshot_id;
    store_job_list_free(v, n);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_running, 2);
    ASSERT_EQ(st.jobs_queued, 1);

    /* a second request for a link with an active job returns that job */
    int64_t again;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_request(s, ids[0], 6000, &again, &created), STORE_OK);
    ASSERT_EQ(again, j0);
    ASSERT_EQ(created, 0);
    ASSERT_EQ(store_job_request(s, 99999, 6000, &again, &created), STORE_ENOTFOUND);

    /* retry j1 into the future: the next claim skips it, takes c */
    ASSERT_EQ(store_job_retry(s, j1, 20000, "the browser went away", 6000), STORE_OK);
    ASSERT_EQ(store_job_claim(s, 7000, 4, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->link_id, ids[2]);
    int64_t j2 = v[0]->id;
    store_job_list_free(v, n);
    ASSERT_EQ(store_job_claim(s, 20000, 4, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->id, j1);
    ASSERT_EQ(v[0]->attempt, 2);
    store_job_list_free(v, n);

    store_job_result_t r = {.job_id = j0, .state = "ok", .http_status = 200,
                            .final_url = "https://a.example/", .title = "Page A",
                            .path = "/x/1.png", .thumb_path = "/x/1.thumb.png", .sha256 = "ab",
                            .timings_json = "{\"navigate_ms\":1}", .width = 1280, .height = 5000,
                            .bytes = 1234, .now_ms = 8000};
    ASSERT_EQ(store_job_finish(s, &r), STORE_OK);
    ASSERT_EQ(store_job_finish(s, &r), STORE_ECONFLICT);   /* not running any more */
    int was_running;
    ASSERT_EQ(store_job_cancel(s, j0, 8000, &was_running), STORE_ECONFLICT);
    ASSERT_EQ(store_job_cancel(s, j2, 8000, &was_running), STORE_OK);
    ASSERT_EQ(was_running, 1);
    ASSERT_EQ(store_commit(s), STORE_OK);

    store_link_t *l;
    ASSERT_EQ(store_link_get(s, ids[0], &l), STORE_OK);
    ASSERT_STR_EQ(l->title, "Page A");
    ASSERT_NOT_NULL(l->last_snapshot);
    ASSERT_EQ(l->last_snapshot->id, snap0);
    ASSERT_STR_EQ(l->last_snapshot->state, "ok");
    ASSERT_EQ(l->last_snapshot->height, 5000);
    ASSERT_STR_EQ(l->last_snapshot->thumb_path, "/x/1.thumb.png");
    ASSERT_STR_EQ(l->last_snapshot->timings, "{\"navigate_ms\":1}");
    store_link_free(l);
    store_job_t *j;
    ASSERT_EQ(store_job_get(s, j2, &j), STORE_OK);
    ASSERT_STR_EQ(j->state, "canceled");
    store_job_free(j);

    /* a crash leaves j1 running: requeue at start */
    int64_t requeued;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_requeue_running(s, 9000, &requeued), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(requeued, 1);
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_running, 0);
    ASSERT_EQ(st.jobs_queued, 1);

    ASSERT_EQ(store_job_list(s, "queued", 10, 0, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->id, j1);
    store_job_list_free(v, n);
    ASSERT_EQ(store_job_list(s, NULL, 10, 0, &v, &n), STORE_OK);
    ASSERT_EQ(n, 3);
    ASSERT_GT(v[0]->id, v[1]->id);
    store_job_list_free(v, n);
    ASSERT_EQ(store_job_list(s, "bogus", 10, 0, &v, &n), STORE_EINVAL);

    /* history: a second capture of a, newest first */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_request(s, ids[0], 9500, &again, &created), STORE_OK);
    ASSERT_EQ(created, 1);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_snapshot_t **sv;
    ASSERT_EQ(store_snapshot_list(s, ids[0], 10, &sv, &n), STORE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(sv[0]->state, "queued");
    ASSERT_STR_EQ(sv[1]->state, "ok");
    int64_t newest = sv[0]->id, older = sv[1]->id;
    store_snapshot_list_free(sv, n);
    /* a page at a time: ids below `before`, newest first, none below the oldest */
    ASSERT_EQ(store_snapshot_page(s, ids[0], 1, 0, &sv, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(sv[0]->id, newest);
    store_snapshot_list_free(sv, n);
    ASSERT_EQ(store_snapshot_page(s, ids[0], 1, newest, &sv, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(sv[0]->id, older);
    store_snapshot_list_free(sv, n);
    ASSERT_EQ(store_snapshot_page(s, ids[0], 10, older, &sv, &n), STORE_OK);
    ASSERT_EQ(n, 0);
    store_snapshot_list_free(sv, n);
    ASSERT_EQ(store_snapshot_list(s, 424242, 10, &sv, &n), STORE_ENOTFOUND);

    /* deleting the link takes its jobs and snapshots along */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_link_delete(s, ids[0]), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_job_get(s, j0, &j), STORE_ENOTFOUND);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

TEST(migration_from_v1)
{
    const char *path;
    /* v1 has no counters table: write a link with plain SQL as an old linksnapd would */
    sqlite3 *db = open_old("v1.db", 1, &path);
    ASSERT_NOT_NULL(db);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO links(url, created_at, updated_at) VALUES "
                               "('https://old.example/', 1, 1)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_schema_version(s), store_latest_version());
    ASSERT_GE(store_latest_version(), 2);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.links, 1);   /* the counter was seeded from the existing rows */
    int64_t id;
    ASSERT_EQ(store_link_find(s, NULL, "https://old.example/", &id), STORE_OK);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

/* One capture of link ending as given: requested, claimed, finished at time t. */
static int finish_capture(store_t *s, int64_t link, const char *state, int status,
                          store_cause_t cause, int64_t t)
{
    int64_t job;
    int created;
    store_job_t **v;
    size_t n;
    if (store_begin(s) || store_job_request(s, link, t, &job, &created) ||
        store_job_claim(s, t, 8, &v, &n))
        return -1;
    store_job_list_free(v, n);
    store_job_result_t r = {.job_id = job, .state = state, .http_status = status, .cause = cause,
                            .width = 1280, .height = 800, .now_ms = t};
    if (store_job_finish(s, &r))
        return -1;
    return store_commit(s);
}

/* The ids the filter lists, newest first, as one number in base 100 (ids under 100). */
static int64_t listed(store_t *s, const store_filter_t *f)
{
    store_link_t **v;
    size_t n;
    int64_t next, out = 0;
    if (store_link_list(s, f, 100, 0, &v, &n, &next) != STORE_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        out = out * 100 + v[i]->id;
    store_link_list_free(v, n);
    return out;
}

/* links.broken follows each link's newest finished capture: a 4xx/5xx answer (ok or
 * partial) or a failure the site caused (DNS, the connection) makes it broken; a good
 * capture, a bot wall (blocked) or a failure of ours does not. The filter combines with
 * tags and text; store_link_has_good sees any good capture. */
TEST(broken_follows_the_last_capture)
{
    store_t *s = open_fresh("broken.db");
    ASSERT_NOT_NULL(s);
    static const char *const urls[] = {"https://a.example/", "https://b.example/",
                                       "https://c.example/", "https://d.example/",
                                       "https://e.example/"};
    const char *tag = "dead";
    int64_t id[5];
    for (int i = 0; i < 5; i++) {
        store_link_add_t in = {.url = urls[i], .now_ms = 1000, .tags = &tag, .ntags = i == 1};
        int created;
        ASSERT_EQ(store_begin(s), STORE_OK);
        ASSERT_EQ(store_link_add(s, &in, &id[i], &created), STORE_OK);
        ASSERT_EQ(store_commit(s), STORE_OK);
    }
    ASSERT_EQ(finish_capture(s, id[0], "ok", 404, STORE_CAUSE_NONE, 2000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[1], "failed", 0, STORE_CAUSE_DNS, 2000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[2], "failed", 0, STORE_CAUSE_NONE, 2000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[3], "blocked", 403, STORE_CAUSE_NONE, 2000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[4], "ok", 200, STORE_CAUSE_NONE, 2000), STORE_OK);
    store_filter_t f = {.broken = 1};
    ASSERT_EQ(listed(s, &f), id[1] * 100 + id[0]);
    int good;
    ASSERT_EQ(store_link_has_good(s, id[0], &good), STORE_OK);
    ASSERT_EQ(good, 0);
    ASSERT_EQ(store_link_has_good(s, id[4], &good), STORE_OK);
    ASSERT_EQ(good, 1);

    /* the newest capture decides: a good one mends a, a 503 breaks c, a refused
     * connection breaks e (its good capture stays good) */
    ASSERT_EQ(finish_capture(s, id[0], "ok", 200, STORE_CAUSE_NONE, 3000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[2], "partial", 503, STORE_CAUSE_NONE, 3000), STORE_OK);
    ASSERT_EQ(finish_capture(s, id[4], "failed", 0, STORE_CAUSE_CONNECTION, 3000), STORE_OK);
    ASSERT_EQ(listed(s, &f), (id[4] * 100 + id[2]) * 100 + id[1]);
    ASSERT_EQ(store_link_has_good(s, id[0], &good), STORE_OK);
    ASSERT_EQ(good, 1);
    ASSERT_EQ(store_link_has_good(s, id[4], &good), STORE_OK);
    ASSERT_EQ(good, 1);

    /* with tags (the link_tags path) and with text (the links path) */
    const char *all[] = {"dead"};
    store_filter_t ft = {.broken = 1, .all = all, .nall = 1};
    ASSERT_EQ(listed(s, &ft), id[1]);
    store_filter_t fq = {.broken = 1, .q = "c.example"};
    ASSERT_EQ(listed(s, &fq), id[2]);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

/* A database from before schema 12: a link whose last capture answered 404 is broken
 * after the migration, one whose last capture was good (after a 404) is not. */
/* One capture of link with a screenshot, ending as given; its snapshot id, or -1. */
static int64_t shot_capture(store_t *s, int64_t link, const char *state, int status, int64_t t)
{
    int64_t job, snap;
    int created;
    store_job_t **v;
    size_t n;
    if (store_begin(s) || store_job_request(s, link, t, &job, &created) ||
        store_job_claim(s, t, 8, &v, &n) || n != 1)
        return -1;
    snap = v[0]->snapshot_id;
    store_job_list_free(v, n);
    store_job_result_t r = {.job_id = job, .state = state, .http_status = status,
                            .path = "/x/shot.png", .sha256 = "ab", .width = 1280,
                            .height = 800, .now_ms = t};
    if (store_job_finish(s, &r) || store_commit(s))
        return -1;
    return snap;
}

/* History: a capture's baseline is the newest good capture of its link before it; one
 * that is not good (a 503, a failure) is skipped, never the baseline. The change kept
 * on a snapshot reads back. */
TEST(baseline_skips_captures_that_are_not_good)
{
    store_t *s = open_fresh("baseline.db");
    ASSERT_NOT_NULL(s);
    int64_t link, other;
    int created;
    store_link_add_t in = {.url = "https://h.example/", .now_ms = 1000};
    store_link_add_t in2 = {.url = "https://i.example/", .now_ms = 1000};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_link_add(s, &in, &link, &created), STORE_OK);
    ASSERT_EQ(store_link_add(s, &in2, &other, &created), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    int64_t s1 = shot_capture(s, link, "ok", 200, 2000);
    int64_t o1 = shot_capture(s, other, "ok", 200, 2500);   /* another link's: never */
    int64_t s2 = shot_capture(s, link, "partial", 503, 3000);
    int64_t s3 = shot_capture(s, link, "failed", 0, 3500);
    int64_t s4 = shot_capture(s, link, "ok", 200, 4000);
    ASSERT_GT(s1, 0);
    ASSERT_GT(o1, 0);
    ASSERT_GT(s2, 0);
    ASSERT_GT(s3, 0);
    ASSERT_GT(s4, 0);
    store_snapshot_t *b;
    ASSERT_EQ(store_snapshot_baseline(s, s1, &b), STORE_OK);
    ASSERT_NULL(b);                                   /* the first good capture */
    ASSERT_EQ(store_snapshot_baseline(s, s4, &b), STORE_OK);
    ASSERT_NOT_NULL(b);
    ASSERT_EQ(b->id, s1);                             /* the 503 and the failure skipped */
    store_snapshot_free(b);

    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_snapshot_set_change(s, s4, s1, 1, 0.25), STORE_OK);
    ASSERT_EQ(store_snapshot_set_change(s, 424242, s1, 0, 0), STORE_ENOTFOUND);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_snapshot_t *x;
    ASSERT_EQ(store_snapshot_get(s, s4, &x), STORE_OK);
    ASSERT_EQ(x->change_against, s1);
    ASSERT_EQ(x->change_changed, 1);
    ASSERT(x->change_fraction == 0.25);
    store_snapshot_free(x);
    ASSERT_EQ(store_snapshot_get(s, s2, &x), STORE_OK);
    ASSERT_EQ(x->change_against, 0);                  /* never compared */
    store_snapshot_free(x);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

TEST(broken_migration_reads_old_captures)
{
    const char *path;
    sqlite3 *db = open_old("v11.db", 11, &path);
    ASSERT_NOT_NULL(db);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO links(id, url, created_at, updated_at) VALUES "
                               "(1, 'https://gone.example/', 1, 1), (2, 'https://back.example/', 1, 1);"
                               "INSERT INTO snapshots(link_id, state, http_status, created_at) VALUES "
                               "(1, 'ok', 200, 1), (1, 'ok', 404, 2), (2, 'ok', 410, 1), (2, 'ok', 200, 2);",
                           NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    store_filter_t f = {.broken = 1};
    ASSERT_EQ(listed(s, &f), 1);
    store_close(s);
    return 0;
}

TEST(newer_database_refused)
{
    const char *path = tmp_path("new.db");
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    store_close(s);
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_ETOONEW);
    ASSERT_NULL(s);
    ASSERT(strstr(err, "99") && strstr(err, "upgrade linksnapd"));
    ASSERT_EQ(store_open(path, STORE_OPEN_READONLY, &s, err, sizeof err), STORE_ETOONEW);
    return 0;
}

TEST(not_a_database_refused)
{
    const char *path = tmp_path("junk.db");
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database, it is a text file. ", f);
    fclose(f);
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_ECORRUPT);
    ASSERT(strstr(err, "not a linksnap database") != NULL);
    return 0;
}

TEST(backup_is_consistent)
{
    store_t *s = open_fresh("e.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 0; i < 500; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://backup.example/%d", i);
        const char *t[] = {"bk"};
        ASSERT_GT(add(s, url, t, 1, NULL), 0);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    const char *dest = tmp_path("backup.db");
    ASSERT_EQ(store_backup(s, dest), STORE_OK);
    store_close(s);
    char err[512];
    ASSERT_EQ(store_open(dest, STORE_OPEN_READONLY, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.links, 500);
    ASSERT_EQ(tag_count(s, "bk"), 500);
    store_close(s);
    return 0;
}

/* The claim's pick (also the loop's due probe) walks the jobs_claim index in its ORDER BY
 * order and stops at the first job it may take: no sort of every queued job per pick,
 * which made each claim cost linear in the queue (bench/queue, docs/benchmarks.md). */
TEST(claim_pick_does_not_sort_the_queue)
{
    store_t *s = open_fresh("pick.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 0; i < 200; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://h%d.pick.example/%d", i % 7, i);
        store_link_add_t in = {.url = url, .now_ms = 1000 + i, .capture = 1};
        int64_t id;
        int created;
        ASSERT_EQ(store_link_add(s, &in, &id, &created), STORE_OK);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_job_set_host_limit(s, 2);
    store_job_t **v;
    size_t n;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_claim(s, 5000, 4, &v, &n), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(n, 4);
    store_job_list_free(v, n);

    /* run as the store runs it: no sorter step */
    sqlite3_stmt *pick = store_stmt(s, ST_JOB_CLAIM_PICK);
    ASSERT_NOT_NULL(pick);
    sqlite3_stmt_status(pick, SQLITE_STMTSTATUS_SORT, 1);
    int due = 0;
    ASSERT_EQ(store_job_due(s, 5000, &due), STORE_OK);
    ASSERT_EQ(due, 1);
    ASSERT_EQ(sqlite3_stmt_status(pick, SQLITE_STMTSTATUS_SORT, 0), 0);

    /* and its plan: the jobs_claim index, no temporary B-tree for the ORDER BY */
    char sql[2048];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(pick));
    sqlite3_stmt *plan = NULL;
    ASSERT_EQ(sqlite3_prepare_v2(s->db, sql, -1, &plan, NULL), SQLITE_OK);
    int uses_claim = 0, sorts = 0;
    while (sqlite3_step(plan) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(plan, 3);
        if (detail && strstr(detail, "INDEX jobs_claim"))
            uses_claim = 1;
        if (detail && strstr(detail, "TEMP B-TREE"))
            sorts = 1;
    }
    sqlite3_finalize(plan);
    ASSERT_EQ(uses_claim, 1);
    ASSERT_EQ(sorts, 0);
    store_close(s);
    return 0;
}

TEST(savepoint_rolls_back_one_call)
{
    store_t *s = open_fresh("f.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_savepoint(s, "call"), STORE_OK);
    ASSERT_GT(add(s, "https://sp.example/1", NULL, 0, NULL), 0);
    ASSERT_EQ(store_rollback_to(s, "call"), STORE_OK);
    ASSERT_EQ(store_release(s, "call"), STORE_OK);
    ASSERT_EQ(store_savepoint(s, "call"), STORE_OK);
    ASSERT_GT(add(s, "https://sp.example/2", NULL, 0, NULL), 0);
    ASSERT_EQ(store_release(s, "call"), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    int64_t id;
    ASSERT_EQ(store_link_find(s, NULL, "https://sp.example/1", &id), STORE_ENOTFOUND);
    ASSERT_EQ(store_link_find(s, NULL, "https://sp.example/2", &id), STORE_OK);
    store_close(s);
    return 0;
}

TEST(data_version_moves_once_per_changing_transaction)
{
    store_t *s = open_fresh("g.db");
    ASSERT_NOT_NULL(s);
    store_stats_t a, b, c;
    ASSERT_EQ(store_stats(s, &a), STORE_OK);
    ASSERT_EQ(store_begin(s), STORE_OK);
    const char *t[] = {"x", "y", "z"};
    ASSERT_GT(add(s, "https://dv.example/1", t, 3, NULL), 0);
    ASSERT_GT(add(s, "https://dv.example/2", t, 3, NULL), 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_stats(s, &b), STORE_OK);
    ASSERT_GT(b.data_version, a.data_version);
    ASSERT_EQ(store_begin(s), STORE_OK);       /* a transaction that changes nothing */
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_stats(s, &c), STORE_OK);
    ASSERT_EQ(c.data_version, b.data_version);
    /* tag ids cached in a transaction never outlive the tag */
    int64_t id1 = add(s, "https://dv.example/3", t, 1, NULL);
    ASSERT_EQ(store_begin(s), STORE_OK);
    const char *x[] = {"x"}, *w[] = {"w"};
    ASSERT_EQ(store_link_tag(s, id1, w, 1, NULL, 0, 9), STORE_OK);
    store_tag_t del;
    ASSERT_EQ(store_tag_delete(s, "x", &del), STORE_OK);
    ASSERT_EQ(store_link_tag(s, id1, x, 1, NULL, 0, 10), STORE_OK);  /* x comes back, new id */
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(tag_count(s, "x"), 1);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

/* The outcomes chart's day buckets: a capture taken (ok or partial) of a page that
 * answered 4xx/5xx counts as an http error, in neither ok nor partial; a failure that
 * came with a 500 stays failed, a bot wall's 403 stays blocked (issue 23). */
TEST(chart_counts_error_pages_apart)
{
    store_t *s = open_fresh("chart_http.db");
    ASSERT_NOT_NULL(s);
    /* a 0 is no answer (stored NULL): still ok */
    static const char *const states[] = {"ok", "ok", "partial", "partial", "failed", "blocked",
                                         "ok", "ok"};
    static const int status[] = {200, 404, 503, 200, 500, 403, 599, 0};
    int64_t id[8];
    for (int i = 0; i < 8; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://chart%d.example/", i);
        store_link_add_t in = {.url = url, .now_ms = 1000};
        int created;
        ASSERT_EQ(store_begin(s), STORE_OK);
        ASSERT_EQ(store_link_add(s, &in, &id[i], &created), STORE_OK);
        ASSERT_EQ(store_commit(s), STORE_OK);
        /* the last one a day later */
        ASSERT_EQ(finish_capture(s, id[i], states[i], status[i], STORE_CAUSE_NONE,
                                 i >= 6 ? 86400000 + 5000 : 2000), STORE_OK);
    }
    int64_t ok[2], partial[2], failed[2], blocked[2], http[2];
    ASSERT_EQ(store_chart_outcomes_per_day(s, 0, 2, ok, partial, failed), STORE_OK);
    ASSERT_EQ(store_chart_blocked_per_day(s, 0, 2, blocked), STORE_OK);
    ASSERT_EQ(store_chart_http_error_per_day(s, 0, 2, http), STORE_OK);
    ASSERT_EQ(ok[0], 1);          /* the 200 only; the 404 is not ok */
    ASSERT_EQ(partial[0], 1);     /* likewise the 503 */
    ASSERT_EQ(failed[0], 1);
    ASSERT_EQ(blocked[0], 1);
    ASSERT_EQ(http[0], 2);
    ASSERT_EQ(ok[1], 1);
    ASSERT_EQ(http[1], 1);        /* 599, the top of the range, on its own day; the one
                                   * with no answer is ok */
    ASSERT_EQ(store_chart_http_error_per_day(s, -1, 2, http), STORE_EINVAL);
    store_close(s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(add_merge_and_counts),
    TEST_ENTRY(rename_merge_delete),
    TEST_ENTRY(tag_aliases_follow_merges),
    TEST_ENTRY(list_filters_and_pagination),
    TEST_ENTRY(capture_enqueues_job_and_snapshot),
    TEST_ENTRY(job_lifecycle),
    TEST_ENTRY(claim_pick_does_not_sort_the_queue),
    TEST_ENTRY(migration_from_v1),
    TEST_ENTRY(broken_follows_the_last_capture),
    TEST_ENTRY(chart_counts_error_pages_apart),
    TEST_ENTRY(baseline_skips_captures_that_are_not_good),
    TEST_ENTRY(broken_migration_reads_old_captures),
    TEST_ENTRY(newer_database_refused),
    TEST_ENTRY(not_a_database_refused),
    TEST_ENTRY(backup_is_consistent),
    TEST_ENTRY(savepoint_rolls_back_one_call),
    TEST_ENTRY(data_version_moves_once_per_changing_transaction),
    TEST_END,
};
STORE_TEST_MAIN()
