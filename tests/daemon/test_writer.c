/* test_writer.c -- the group-commit writer (daemon/writer.c) on a real SQLite file and a
 * loop of the test's own. What it shows: a call submitted from a timer callback -- as the
 * engine's tick and the watch scheduler submit their claims -- is handed to the writer
 * thread in the same loop turn, not after the poll has slept until the next timer; and
 * calls submitted together still commit as one batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "method.h"
#include "store.h"
#include "test.h"
#include "writer.h"

#define FAR_MS 30000   /* a timer the poll would otherwise sleep until */

typedef struct {
    writer_t *w;
    uv_timer_t submit, far;
    method_call_t calls[3];
    int done, far_fired, closed;
    char dir[64];
} run_t;

static int noop_fn(method_call_t *call)
{
    (void)call;
    return 0;
}

static void done_cb(method_call_t *call, void *ud)
{
    run_t *r = ud;
    (void)call;
    r->done++;
}

static void submit_cb(uv_timer_t *t)
{
    run_t *r = t->data;
    for (int i = 0; i < 3; i++)
        writer_submit(r->w, &r->calls[i], noop_fn, done_cb, r);
}

static void far_cb(uv_timer_t *t)
{
    run_t *r = t->data;
    r->far_fired = 1;
}

static void closed_cb(void *ud)
{
    run_t *r = ud;
    r->closed = 1;
    uv_close((uv_handle_t *)&r->submit, NULL);
    uv_close((uv_handle_t *)&r->far, NULL);
}

TEST(timer_submit_dispatched_in_the_same_turn)
{
    run_t r = {0};
    char err[512], path[128];
    snprintf(r.dir, sizeof r.dir, "/tmp/linksnap-writer-test-XXXXXX");
    ASSERT(mkdtemp(r.dir) != NULL);
    snprintf(path, sizeof path, "%s/w.db", r.dir);
    store_t *db = NULL;
    ASSERT_MSG(store_open(path, STORE_OPEN_MIGRATE, &db, err, sizeof err) == STORE_OK, "%s", err);
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_MSG((r.w = writer_new(&loop, db, 100, err, sizeof err)) != NULL, "%s", err);
    uv_timer_init(&loop, &r.submit);
    uv_timer_init(&loop, &r.far);
    r.submit.data = r.far.data = &r;
    uv_timer_start(&r.submit, submit_cb, 0, 0);
    uv_timer_start(&r.far, far_cb, FAR_MS, 0);

    /* one turn: the timer submits; without something keeping the poll from blocking,
     * the batch would be handed over only once the poll returned, at the far timer */
    uv_run(&loop, UV_RUN_ONCE);
    writer_stats_t st;
    writer_get_stats(r.w, &st);
    ASSERT_EQ(r.far_fired, 0);
    ASSERT_EQ(st.batches, 1);
    ASSERT_EQ(st.calls, 3);            /* the three calls of that turn, one transaction */
    ASSERT_EQ(st.largest_batch, 3);

    /* the commit comes back through the async handle; nothing waits for the far timer */
    while (r.done < 3 && !r.far_fired)
        uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(r.done, 3);
    ASSERT_EQ(r.far_fired, 0);
    ASSERT_EQ(writer_pending(r.w), 0);

    writer_close(r.w, closed_cb, &r);
    uv_timer_stop(&r.far);
    while (!r.closed)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    unlink(path);
    char aux[160];
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
    rmdir(r.dir);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(timer_submit_dispatched_in_the_same_turn),
    TEST_END,
};
TEST_MAIN()
