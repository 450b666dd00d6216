/* writer.c -- the group-commit writer: one thread owns the write connection. The loop
 * gathers write calls in `pending`; a uv_check handle (which runs after the turn's I/O
 * callbacks) hands them to the thread as one batch. A uv_idle handle is active while
 * calls wait, so that the loop's poll does not block: a call submitted outside an I/O
 * callback (from a timer, or before uv_run) would otherwise wait in the poll for the next
 * timer or event. The batch: BEGIN IMMEDIATE, each call in a
 * SAVEPOINT (a failing call rolls back alone), COMMIT. A uv_async brings the finished
 * batch back and the callbacks run on the loop. Knows the store's transaction calls and
 * method.h; nothing of sockets or JSON-RPC framing. */
#include "writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

typedef struct item {
    struct item *next;
    method_call_t *call;
    method_fn fn;
    writer_done_cb cb;
    void *ud;
    int flags;
} item_t;

struct writer {
    uv_loop_t *loop;
    store_t *db;
    size_t max_batch;

    /* loop side */
    item_t *pending, **pending_tail;
    size_t npending;
    int busy;                    /* a batch is with the thread */
    int closing;
    void (*closed_cb)(void *);
    void *closed_ud;
    int handles_open;
    int close_started;         /* uv_close was called on both handles */
    uv_check_t check;
    uv_idle_t idle;              /* active while pending calls wait for the check */
    uv_async_t async;
    writer_stats_t stats;

    /* shared, under mu */
    uv_mutex_t mu;
    uv_cond_t cond;
    item_t *batch;               /* handed to the thread */
    item_t *done;                /* handed back */
    size_t batch_len;
    int stop;

    uv_thread_t thread;
    int thread_started;
};

static void run_batch(writer_t *w, item_t *batch)
{
    int rc = store_begin(w->db);
    if (rc != STORE_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", store_errmsg(w->db));
        for (item_t *it = batch; it; it = it->next) {
            it->call->db = w->db;
            method_fail_store(it->call, rc, "cannot start a transaction");
        }
        return;
    }
    int doomed = 0;   /* a bulk call failed: nothing of this transaction may commit */
    for (item_t *it = batch; it && !doomed; it = it->next) {
        method_call_t *c = it->call;
        c->db = w->db;
        if (it->flags & WRITER_BULK) {
            if (it->fn(c) != 0 || c->err_code != 0) {
                if (c->err_code == 0)
                    method_fail(c, RPC_INTERNAL_ERROR, "%s failed", c->method ? c->method : "write");
                doomed = 1;
            }
            continue;
        }
        if (store_savepoint(w->db, "call") != STORE_OK) {
            method_fail_store(c, STORE_EINTERNAL, "savepoint");
            continue;
        }
        int hrc = it->fn(c);
        if (hrc != 0 || c->err_code != 0) {
            if (c->err_code == 0)
                method_fail(c, RPC_INTERNAL_ERROR, "%s failed", c->method ? c->method : "write");
            store_rollback_to(w->db, "call");
            json_decref(c->events);
            c->events = NULL;
        }
        store_release(w->db, "call");
    }
    if (doomed) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", store_errmsg(w->db));
        store_rollback(w->db);
        for (item_t *it = batch; it; it = it->next) {
            method_call_t *c = it->call;
            json_decref(c->events);
            c->events = NULL;
            if (c->err_code == 0) {
                json_decref(c->result);
                c->result = NULL;
                method_fail(c, RPC_STORE_FAILED, "the write was not saved: %s", msg);
            }
        }
        log_err("a bulk write failed; its transaction was rolled back: %s", msg);
        return;
    }
    rc = store_commit(w->db);
    if (rc != STORE_OK) {
        /* nothing of this batch is durable: every call that looked fine fails now */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", store_errmsg(w->db));
        store_rollback(w->db);
        for (item_t *it = batch; it; it = it->next) {
            method_call_t *c = it->call;
            if (c->err_code == 0) {
                json_decref(c->result);
                c->result = NULL;
                json_decref(c->events);
                c->events = NULL;
                method_fail(c, rc == STORE_EBUSY ? RPC_STORE_BUSY : RPC_STORE_FAILED,
                            "the write was not saved: %s", msg);
            }
        }
        log_err("commit failed: %s", msg);
    }
}

static void thread_main(void *arg)
{
    writer_t *w = arg;
    uv_mutex_lock(&w->mu);
    for (;;) {
        while (!w->batch && !w->stop)
            uv_cond_wait(&w->cond, &w->mu);
        if (!w->batch && w->stop)
            break;
        item_t *batch = w->batch;
        w->batch = NULL;
        uv_mutex_unlock(&w->mu);

        run_batch(w, batch);

        uv_mutex_lock(&w->mu);
        w->done = batch;
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->mu);
}

static void dispatch(writer_t *w)
{
    /* what waits for the running batch is dispatched from async_cb, an I/O callback:
     * the poll need not spin meanwhile */
    if (w->busy || !w->pending) {
        uv_idle_stop(&w->idle);
        return;
    }
    item_t *head = w->pending, *it = head;
    size_t n = 1;
    while (it->next && n < w->max_batch) {
        it = it->next;
        n++;
    }
    w->pending = it->next;
    it->next = NULL;
    if (!w->pending)
        w->pending_tail = &w->pending;
    w->npending -= n;
    w->busy = 1;
    uv_idle_stop(&w->idle);
    w->stats.batches++;
    w->stats.calls += n;
    if (n > w->stats.largest_batch)
        w->stats.largest_batch = n;
    uv_mutex_lock(&w->mu);
    w->batch = head;
    w->batch_len = n;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
}

static void handle_closed_cb(uv_handle_t *h)
{
    writer_t *w = h->data;
    if (--w->handles_open > 0)
        return;
    store_close(w->db);
    void (*cb)(void *) = w->closed_cb;
    void *ud = w->closed_ud;
    uv_mutex_destroy(&w->mu);
    uv_cond_destroy(&w->cond);
    free(w);
    if (cb)
        cb(ud);
}

/* Runs from every place the last piece of work may end (writer_close, the end of a
 * commit, a failed start); a done callback inside async_cb may itself close the writer,
 * so the handles are closed once, whoever gets here first. */
static void maybe_finish_close(writer_t *w)
{
    if (!w->closing || w->busy || w->pending || w->close_started)
        return;
    w->close_started = 1;
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    if (w->thread_started)
        uv_thread_join(&w->thread);
    w->thread_started = 0;
    uv_close((uv_handle_t *)&w->check, handle_closed_cb);
    uv_close((uv_handle_t *)&w->idle, handle_closed_cb);
    uv_close((uv_handle_t *)&w->async, handle_closed_cb);
}

static void check_cb(uv_check_t *h)
{
    writer_t *w = h->data;
    dispatch(w);
}

/* Nothing to do: an active idle handle only makes the poll return at once. */
static void idle_cb(uv_idle_t *h)
{
    (void)h;
}

static void async_cb(uv_async_t *h)
{
    writer_t *w = h->data;
    uv_mutex_lock(&w->mu);
    item_t *done = w->done;
    w->done = NULL;
    uv_mutex_unlock(&w->mu);
    if (!done)
        return;
    w->busy = 0;
    while (done) {
        item_t *next = done->next;
        if (done->call->err_code != 0)
            w->stats.failed_calls++;
        done->cb(done->call, done->ud);
        free(done);
        done = next;
    }
    /* more may have gathered while we committed: start the next batch right away */
    dispatch(w);
    maybe_finish_close(w);
}

writer_t *writer_new(uv_loop_t *loop, store_t *db, size_t max_batch, char *err, size_t errlen)
{
    writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->loop = loop;
    w->db = db;
    w->max_batch = max_batch ? max_batch : 1000;
    w->pending_tail = &w->pending;
    if (uv_mutex_init(&w->mu) || uv_cond_init(&w->cond)) {
        snprintf(err, errlen, "cannot create writer locks");
        free(w);
        return NULL;
    }
    uv_check_init(loop, &w->check);
    uv_idle_init(loop, &w->idle);
    uv_async_init(loop, &w->async, async_cb);
    w->check.data = w->idle.data = w->async.data = w;
    w->handles_open = 3;
    uv_check_start(&w->check, check_cb);
    int rc = uv_thread_create(&w->thread, thread_main, w);
    if (rc) {
        snprintf(err, errlen, "cannot start the writer thread: %s", uv_strerror(rc));
        w->closing = 1;
        w->db = NULL; /* the caller keeps db on failure */
        maybe_finish_close(w);
        return NULL;
    }
    w->thread_started = 1;
    return w;
}

int writer_submit(writer_t *w, method_call_t *call, method_fn fn, writer_done_cb cb, void *ud)
{
    return writer_submit_flags(w, call, fn, cb, ud, 0);
}

int writer_submit_flags(writer_t *w, method_call_t *call, method_fn fn, writer_done_cb cb,
                        void *ud, int flags)
{
    if (w->closing)
        return -1;
    item_t *it = malloc(sizeof *it);
    if (!it)
        return -1;
    it->next = NULL;
    it->call = call;
    it->fn = fn;
    it->cb = cb;
    it->ud = ud;
    it->flags = flags;
    *w->pending_tail = it;
    w->pending_tail = &it->next;
    w->npending++;
    if (!w->busy)
        uv_idle_start(&w->idle, idle_cb);
    return 0;
}

size_t writer_pending(const writer_t *w) { return w->npending + (w->busy ? w->batch_len : 0); }

void writer_get_stats(const writer_t *w, writer_stats_t *out) { *out = w->stats; }

void writer_close(writer_t *w, void (*cb)(void *ud), void *ud)
{
    w->closing = 1;
    w->closed_cb = cb;
    w->closed_ud = ud;
    dispatch(w);
    maybe_finish_close(w);
}
