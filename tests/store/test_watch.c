/* test_watch.c -- schedules in the store against a real SQLite file: the claim's order (a
 * person's jobs before scheduled ones) and per-host limit, a host's delay after a 429,
 * watches on links and tags (bad figures, precedence, later tags, merges, deletions) and
 * the runs: due once, catch-up spread by link id, never queued twice. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "test.h"
#include "store_test.h"

static int64_t add(store_t *s, const char *url, const char *tag, int capture, int64_t now)
{
    const char *tags[] = {tag};
    store_link_add_t in = {.url = url, .tags = tags, .ntags = tag ? 1 : 0, .now_ms = now,
                           .capture = capture};
    int64_t id = 0;
    int c;
    if (store_begin(s) || store_link_add(s, &in, &id, &c) || store_commit(s))
        return -1;
    return id;
}

/* Claims up to max at now; returns how many, their link ids in links. */
static size_t claim(store_t *s, int64_t now, int max, int64_t *links)
{
    store_job_t **v = NULL;
    size_t n = 0;
    if (store_begin(s) || store_job_claim(s, now, max, &v, &n) || store_commit(s))
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        links[i] = v[i]->link_id;
    store_job_list_free(v, n);
    return n;
}

TEST(claim_skips_a_busy_host)
{
    store_t *s = open_fresh("host.db");
    ASSERT_NOT_NULL(s);
    int64_t a1 = add(s, "https://a.test/1", NULL, 1, 1000);
    int64_t a2 = add(s, "https://a.test/2", NULL, 1, 1001);
    int64_t a3 = add(s, "https://A.test:8443/3", NULL, 1, 1002);   /* the port is the same host */
    int64_t b1 = add(s, "https://b.test/1", NULL, 1, 1003);
    int64_t v6 = add(s, "http://[::1]:9/x", NULL, 1, 1004);
    ASSERT_GT(v6, 0);
    store_job_set_host_limit(s, 2);
    int64_t got[8];
    ASSERT_EQ(claim(s, 5000, 8, got), 4);
    ASSERT_EQ(got[0], a1);
    ASSERT_EQ(got[1], a2);
    ASSERT_EQ(got[2], b1);      /* a.test is at its limit: the third of it waits */
    ASSERT_EQ(got[3], v6);
    int due = 1;
    ASSERT_EQ(store_job_due(s, 5000, &due), STORE_OK);
    ASSERT_EQ(due, 0);          /* the only queued job is of a busy host */
    store_job_t *j = NULL;
    store_job_t **v = NULL;
    size_t n = 0;
    ASSERT_EQ(store_job_list(s, "queued", 10, 0, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->link_id, a3);
    ASSERT_STR_EQ(v[0]->host, "a.test");
    int64_t a3job = v[0]->id;
    store_job_list_free(v, n);
    /* one of a.test's ends: its third is claimed */
    ASSERT_EQ(store_job_list(s, "running", 10, 0, &v, &n), STORE_OK);
    int64_t a1job = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i]->link_id == a1)
            a1job = v[i]->id;
    store_job_list_free(v, n);
    store_job_result_t r = {.job_id = a1job, .state = "failed", .error = "x", .now_ms = 6000};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_finish(s, &r), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(claim(s, 6000, 8, got), 1);
    ASSERT_EQ(got[0], a3);
    ASSERT_EQ(store_job_get(s, a3job, &j), STORE_OK);
    ASSERT_STR_EQ(j->state, "running");
    store_job_free(j);
    store_close(s);
    return 0;
}

TEST(persons_job_before_scheduled_and_host_delay)
{
    store_t *s = open_fresh("prio.db");
    ASSERT_NOT_NULL(s);
    int64_t w = add(s, "https://w.test/", NULL, 0, 1000);
    int64_t p = add(s, "https://p.test/", NULL, 0, 1000);
    store_watch_in_t in = {.link_id = w, .every_s = 600, .jitter_s = 0, .threshold = -1,
                           .now_ms = 1000};
    store_watch_t *out = NULL;
    int created = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_watch_set(s, &in, &out, &created), STORE_OK);
    ASSERT_EQ(created, 1);
    ASSERT_EQ(out->next_run, 1000 + 600000);   /* never captured: one interval after it was added */
    store_watch_free(out);
    int64_t queued = 0, next = 0;
    ASSERT_EQ(store_watch_run_due(s, 601000, 0, 100, &queued, &next), STORE_OK);
    ASSERT_EQ(queued, 1);
    ASSERT_EQ(next, 601000 + 600000);
    /* due again later while its job still waits: not queued twice */
    ASSERT_EQ(store_watch_run_due(s, 1201000, 0, 100, &queued, &next), STORE_OK);
    ASSERT_EQ(queued, 0);
    int64_t job = 0;
    ASSERT_EQ(store_job_request(s, p, 700000, &job, &created), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    int64_t got[4];
    ASSERT_EQ(claim(s, 800000, 1, got), 1);
    ASSERT_EQ(got[0], p);       /* the person's, though queued later */
    ASSERT_EQ(claim(s, 800000, 1, got), 1);
    ASSERT_EQ(got[0], w);

    /* a 429: every queued job of that host waits, others do not */
    int64_t h1 = add(s, "https://slow.test/1", NULL, 1, 900000);
    int64_t h2 = add(s, "https://slow.test/2", NULL, 1, 900001);
    int64_t o = add(s, "https://other.test/", NULL, 1, 900002);
    ASSERT_GT(h2, 0);
    ASSERT_EQ(claim(s, 900100, 1, got), 1);
    ASSERT_EQ(got[0], h1);
    store_job_t **v = NULL;
    size_t n = 0;
    ASSERT_EQ(store_job_list(s, "running", 1, 0, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    int64_t delayed = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_delay_host(s, v[0]->id, 960000, &delayed), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_job_list_free(v, n);
    ASSERT_EQ(delayed, 1);
    ASSERT_EQ(claim(s, 900200, 4, got), 1);
    ASSERT_EQ(got[0], o);
    ASSERT_EQ(claim(s, 960000, 4, got), 1);
    ASSERT_EQ(got[0], h2);
    store_close(s);
    return 0;
}

static store_watch_t *set_watch(store_t *s, int64_t link, const char *tag, int64_t every, int *rc)
{
    store_watch_in_t in = {.link_id = link, .tag = tag, .every_s = every, .jitter_s = -1,
                           .threshold = -1, .now_ms = 2000};
    store_watch_t *out = NULL;
    int created;
    *rc = store_begin(s);
    if (!*rc)
        *rc = store_watch_set(s, &in, &out, &created);
    if (*rc)
        store_rollback(s);
    else
        *rc = store_commit(s);
    return out;
}

TEST(watch_rules)
{
    store_t *s = open_fresh("rules.db");
    ASSERT_NOT_NULL(s);
    int64_t l1 = add(s, "https://n.test/1", "news", 0, 1000);
    int64_t l2 = add(s, "https://n.test/2", "news", 0, 1000);
    ASSERT_GT(add(s, "https://n.test/3", "daily", 0, 1000), 0);
    int rc;
    store_watch_t *w;
    /* bad figures and unknown targets */
    ASSERT_NULL(set_watch(s, l1, NULL, 0, &rc));
    ASSERT_EQ(rc, STORE_EINVAL);
    ASSERT_NULL(set_watch(s, l1, NULL, -5, &rc));
    ASSERT_EQ(rc, STORE_EINVAL);
    ASSERT_NULL(set_watch(s, l1, NULL, STORE_WATCH_MAX_S + 1, &rc));
    ASSERT_EQ(rc, STORE_EINVAL);
    ASSERT_NULL(set_watch(s, 999, NULL, 600, &rc));
    ASSERT_EQ(rc, STORE_ENOTFOUND);
    ASSERT_NULL(set_watch(s, 0, "nosuch", 600, &rc));
    ASSERT_EQ(rc, STORE_ENOTFOUND);
    /* a tag watch covers its links, jitter 10% by default */
    ASSERT_NOT_NULL(w = set_watch(s, 0, "NEWS", 86400, &rc));
    ASSERT_STR_EQ(w->tag, "news");
    ASSERT_EQ(w->jitter_s, 8640);
    ASSERT_EQ(w->links, 2);
    int64_t news_watch = w->id;
    store_watch_free(w);
    /* a link's own watch beats it, even when longer */
    ASSERT_NOT_NULL(w = set_watch(s, l1, NULL, 7 * 86400, &rc));
    ASSERT_EQ(w->links, 1);
    store_watch_free(w);
    /* a shorter tag watch wins among tags: l2 gets daily too */
    ASSERT_NOT_NULL(w = set_watch(s, 0, "daily", 3600, &rc));
    ASSERT_EQ(w->links, 1);
    store_watch_free(w);
    const char *add_daily[] = {"daily"};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_link_tag(s, l2, add_daily, 1, NULL, 0, 3000), STORE_OK);   /* tagged later */
    ASSERT_EQ(store_watch_sync(s, 3000), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_watch_t **v = NULL;
    size_t n = 0;
    ASSERT_EQ(store_watch_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(v[0]->link_id, l1);       /* link watches first, then tags by name */
    ASSERT_STR_EQ(v[1]->tag, "daily");
    ASSERT_EQ(v[1]->links, 2);          /* l2 and l3 */
    ASSERT_STR_EQ(v[2]->tag, "news");
    ASSERT_EQ(v[2]->links, 0);          /* l1 has its own, l2 follows daily */
    store_watch_list_free(v, n);
    /* a merge carries the watch to the tag merged into (which had none) */
    const char *from[] = {"news"};
    store_tag_t t;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_tag_merge(s, from, 1, "press", &t), STORE_OK);
    ASSERT_EQ(store_watch_sync(s, 3000), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_watch_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(v[1]->tag, "daily");
    ASSERT_STR_EQ(v[2]->tag, "press");
    ASSERT_EQ(v[2]->id, news_watch);
    store_watch_list_free(v, n);
    /* the tag deleted: its watch goes; the link deleted: its watch goes */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_tag_delete(s, "press", &t), STORE_OK);
    ASSERT_EQ(store_link_delete(s, l1), STORE_OK);
    ASSERT_EQ(store_watch_sync(s, 3000), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(store_watch_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(v[0]->tag, "daily");
    store_watch_list_free(v, n);
    int deleted = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_watch_delete(s, 0, "Daily", 4000, &deleted), STORE_OK);
    ASSERT_EQ(deleted, 1);
    ASSERT_EQ(store_watch_delete(s, 0, "Daily", 4000, &deleted), STORE_OK);
    ASSERT_EQ(deleted, 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_watch_counts_t c;
    ASSERT_EQ(store_watch_counts(s, 4000, &c), STORE_OK);
    ASSERT_EQ(c.watches, 0);
    ASSERT_EQ(c.links, 0);
    store_close(s);
    return 0;
}

TEST(catch_up_is_spread_and_runs_once)
{
    store_t *s = open_fresh("catch.db");
    ASSERT_NOT_NULL(s);
    int64_t ids[5];
    char url[64];
    for (int i = 0; i < 5; i++) {
        snprintf(url, sizeof url, "https://c%d.test/", i);
        ASSERT_GT(ids[i] = add(s, url, "all", 0, 1000), 0);
    }
    int rc;
    store_watch_t *w = set_watch(s, 0, "all", 3600, &rc);
    ASSERT_NOT_NULL(w);
    ASSERT_EQ(w->links, 5);
    ASSERT_EQ(w->next_run, 1000 + 3600000);
    store_watch_free(w);
    /* linksnapd was down for ten intervals; it starts at t */
    int64_t t = 1000 + 36000000, queued = 0, next = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_watch_run_due(s, t, 1, 100, &queued, &next), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    int64_t lowest = -1;
    for (int i = 0; i < 5; i++) {
        int64_t nr = 0, off = store_watch_spread(ids[i], 3600);
        ASSERT_EQ(store_watch_next_run(s, ids[i], &nr), STORE_OK);
        ASSERT_EQ(nr, t + off);
        ASSERT_LT(off, 3600000);
        if (off == 0)
            ASSERT_EQ(queued, 1);   /* an offset of 0 is due at once */
        if (lowest < 0 || nr < lowest)
            lowest = nr;
    }
    ASSERT_EQ(next, lowest);
    /* the offsets differ: not fired together */
    ASSERT_NE(store_watch_spread(ids[0], 3600), store_watch_spread(ids[1], 3600));
    /* at the end of the first interval each has run once */
    int64_t total = queued;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_watch_run_due(s, t + 3600000, 0, 100, &queued, &next), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    total += queued;
    ASSERT_EQ(total, 5);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_queued, 5);
    /* the next runs are one interval on, within the jitter (10%) */
    for (int i = 0; i < 5; i++) {
        int64_t nr = 0, base = t + store_watch_spread(ids[i], 3600) + 3600000;
        ASSERT_EQ(store_watch_next_run(s, ids[i], &nr), STORE_OK);
        ASSERT_GE(nr, base - 360000);
        ASSERT_LE(nr, base + 360000);
    }
    store_close(s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(claim_skips_a_busy_host),
    TEST_ENTRY(persons_job_before_scheduled_and_host_delay),
    TEST_ENTRY(watch_rules),
    TEST_ENTRY(catch_up_is_spread_and_runs_once),
    TEST_END,
};
STORE_TEST_MAIN()
