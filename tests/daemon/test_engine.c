/* test_engine.c -- the capture engine as a library (ls_daemon), without linksnapd and
 * without Chromium: a daemon_t made here (a real SQLite file, the writer thread, the event
 * bus) and the engine driving the scripted browser (tests/lib/fakecdp.c) as it would drive
 * Chromium. What it shows: a renderer crash (typed SHOT_CRASHED) puts the job back and the
 * next attempt saves the picture; a refused connection (SHOT_NET_ERROR, not a passing one)
 * fails the job at once with the browser's reason. One engine start, both jobs at once. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "readpool.h"
#include "store.h"
#include "test.h"

#ifndef FAKECDP_PATH
#error "FAKECDP_PATH names the fake browser (tests/CMakeLists.txt)"
#endif

#define GUARD_MS 60000   /* a hang guard only: the run ends long before it */

enum { L_CRASH, L_REFUSED, NLINKS };

typedef struct {
    daemon_t d;
    uv_timer_t guard;
    events_sub_t *sub;
    int64_t link[NLINKS];
    json_t *finished[NLINKS];    /* each link's job.finished */
    json_t *retries;             /* every job.retry */
    int guard_fired, stopping;
    char dir[64];
} run_t;

static void handle_closed_cb(uv_handle_t *h) { (void)h; }

static void writer_closed_cb(void *ud)
{
    run_t *r = ud;
    r->d.writer = NULL;
    uv_close((uv_handle_t *)&r->guard, handle_closed_cb);
}

static void engine_closed_cb(void *ud)
{
    run_t *r = ud;
    engine_close_handles(r->d.engine);
    writer_close(r->d.writer, writer_closed_cb, r);
}

static void stop(run_t *r)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    uv_timer_stop(&r->guard);
    events_unsubscribe(r->d.events, r->sub);
    r->sub = NULL;
    engine_close(r->d.engine, engine_closed_cb, r);
}

static void guard_cb(uv_timer_t *t)
{
    run_t *r = t->data;
    r->guard_fired = 1;
    stop(r);
}

static void event_cb(json_t *ev, void *ud)
{
    run_t *r = ud;
    const char *topic = json_string_value(json_object_get(ev, "topic"));
    int64_t link = json_integer_value(json_object_get(ev, "link_id"));
    if (topic && !strcmp(topic, "job.retry"))
        json_array_append(r->retries, ev);
    if (!topic || strcmp(topic, "job.finished") != 0)
        return;
    int done = 0;
    for (int i = 0; i < NLINKS; i++) {
        if (r->link[i] == link && !r->finished[i])
            r->finished[i] = json_incref(ev);
        done += r->finished[i] != NULL;
    }
    if (done == NLINKS)
        stop(r);
}

/* The links, added through the store before the writer takes its connection. */
static int add_links(store_t *db, run_t *r)
{
    static const char *const urls[NLINKS] = {"http://127.0.0.1:9/crash", "http://127.0.0.1:9/refused"};
    if (store_begin(db) != STORE_OK)
        return -1;
    for (int i = 0; i < NLINKS; i++) {
        store_link_add_t in = {.url = urls[i], .capture = 1, .now_ms = util_now_ms()};
        int created = 0;
        if (store_link_add(db, &in, &r->link[i], &created) != STORE_OK || !created)
            return -1;
    }
    return store_commit(db) == STORE_OK ? 0 : -1;
}

static int write_scenario(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/scenario.json", dir);
    json_t *s = json_pack("{s:[{s:s,s:s},{s:s,s:s}],s:[{s:s,s:s,s:i,s:s}]}",
                          "pages", "match", "/crash", "title", "crash target",
                          "match", "/refused", "net_error", "net::ERR_CONNECTION_REFUSED",
                          "faults", "method", "Page.captureScreenshot", "url", "/crash",
                          "times", 1, "do", "crash");
    int rc = s ? json_dump_file(s, path, 0) : -1;
    json_decref(s);
    if (rc == 0) {
        setenv("FAKECDP_SCENARIO", path, 1);
        setenv("FAKECDP_STATE", dir, 1);
    }
    return rc;
}

static int set(config_t *c, const char *k, const char *v)
{
    char err[256];
    if (config_set(c, k, v, err, sizeof err) != 0) {
        fprintf(stderr, "config %s: %s\n", k, err);
        return -1;
    }
    return 0;
}

TEST(engine_runs_jobs_without_chromium)
{
    static run_t run;
    run_t *r = &run;
    char err[512];
    snprintf(r->dir, sizeof r->dir, "/tmp/linksnap-engine-XXXXXX");
    ASSERT(mkdtemp(r->dir) != NULL);
    ASSERT_EQ(write_scenario(r->dir), 0);
    daemon_t *d = &r->d;
    d->lock_fd = -1;
    d->loop = uv_default_loop();
    config_defaults(&d->cfg);
    ASSERT_EQ(set(&d->cfg, "state_dir", r->dir), 0);
    ASSERT_EQ(set(&d->cfg, "capture", "on"), 0);
    ASSERT_EQ(set(&d->cfg, "jobs", "2"), 0);
    ASSERT_EQ(set(&d->cfg, "job_timeout", "10"), 0);
    ASSERT_EQ(set(&d->cfg, "browser.path", FAKECDP_PATH), 0);
    ASSERT_EQ(set(&d->cfg, "http.listen", "off"), 0);
    ASSERT_MSG(config_finish(&d->cfg, err, sizeof err) == 0, "%s", err);
    snprintf(d->db_path, sizeof d->db_path, "%s/linksnap.db", r->dir);

    store_t *wdb = NULL;
    ASSERT_MSG(store_open(d->db_path, STORE_OPEN_MIGRATE, &wdb, err, sizeof err) == STORE_OK, "%s", err);
    ASSERT_EQ(add_links(wdb, r), 0);
    ASSERT_MSG(store_open(d->db_path, STORE_OPEN_READONLY, &d->reader, err, sizeof err) == STORE_OK,
               "%s", err);
    /* the readers' pool: what runs after a capture (the comparison with the last good one)
     * reads through it, as in linksnapd */
    ASSERT((d->readpool = readpool_new(d->db_path, 1)) != NULL);
    ASSERT((d->events = events_new()) != NULL);
    ASSERT_MSG((d->writer = writer_new(d->loop, wdb, 100, err, sizeof err)) != NULL, "%s", err);
    ASSERT((r->retries = json_array()) != NULL);
    json_t *topics = json_pack("[s]", "job");
    r->sub = events_subscribe(d->events, topics, event_cb, r);
    json_decref(topics);
    ASSERT(r->sub != NULL);
    err[0] = '\0';
    ASSERT_MSG((d->engine = engine_new(d, err, sizeof err)) != NULL, "%s", err);
    uv_timer_init(d->loop, &r->guard);
    r->guard.data = r;
    uv_timer_start(&r->guard, guard_cb, GUARD_MS, 0);
    engine_kick(d->engine);
    uv_run(d->loop, UV_RUN_DEFAULT);
    engine_free(d->engine);
    d->engine = NULL;
    uv_run(d->loop, UV_RUN_DEFAULT);
    readpool_free(d->readpool);
    d->readpool = NULL;
    ASSERT_EQ(uv_loop_close(d->loop), 0);
    ASSERT_EQ(r->guard_fired, 0);

    /* the crash: retried once (the browser's sentence in the retry), then saved */
    json_t *crash = r->finished[L_CRASH];
    ASSERT(crash != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(crash, "state")), "ok");
    ASSERT_EQ(json_integer_value(json_object_get(crash, "attempt")), 2);
    ASSERT_EQ(json_array_size(r->retries), 1);
    json_t *retry = json_array_get(r->retries, 0);
    ASSERT_EQ(json_integer_value(json_object_get(retry, "link_id")), r->link[L_CRASH]);
    const char *why = json_string_value(json_object_get(retry, "error"));
    ASSERT_MSG(why && strstr(why, "renderer crashed"), "%s", why ? why : "(none)");
    int64_t snap = json_integer_value(json_object_get(json_object_get(crash, "snapshot"), "id"));
    char png[512];
    snprintf(png, sizeof png, "%s/snapshots/%03lld/%lld.png", r->dir,
             (long long)(snap / 1000 % 1000), (long long)snap);
    struct stat st;
    ASSERT_MSG(stat(png, &st) == 0 && st.st_size > 8, "no picture at %s", png);

    /* the refused connection: no retry, failed at the first attempt with the net error */
    json_t *refused = r->finished[L_REFUSED];
    ASSERT(refused != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(refused, "state")), "failed");
    ASSERT_EQ(json_integer_value(json_object_get(refused, "attempt")), 1);
    why = json_string_value(json_object_get(refused, "error"));
    ASSERT_MSG(why && strstr(why, "net::ERR_CONNECTION_REFUSED"), "%s", why ? why : "(none)");

    for (int i = 0; i < NLINKS; i++)
        json_decref(r->finished[i]);
    json_decref(r->retries);
    events_free(d->events);
    store_close(d->reader);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(engine_runs_jobs_without_chromium),
    TEST_END,
};
TEST_MAIN()
