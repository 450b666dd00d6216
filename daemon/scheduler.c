/* scheduler.c -- watches on the loop: one uv timer that asks the store, in one writer call
 * (store_watch_run_due), to queue the runs that are due; it sleeps until the next run (30 s
 * at most, so links tagged meanwhile are covered) and is woken early by link and tag
 * events. Decides nothing about what is due: the store does. */
#include <stdlib.h>

#include "daemon.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "scheduler.h"
#include "util.h"
#include "writer.h"

#define WATCH_MAX_SLEEP_MS 30000
#define WATCH_KICK_MS 200
#define WATCH_RUN_BATCH 256

typedef struct {
    method_call_t call;           /* first: the writer's fn finds the rest */
    int catchup;
    int64_t queued, next_ms;
    int rc;
} sched_op_t;

struct scheduler {
    daemon_t *d;
    uv_timer_t timer;
    events_sub_t *sub;
    int started;                  /* the catch-up run committed */
    int inflight, closing;
};

static void tick_cb(uv_timer_t *t);

static int run_fn(method_call_t *call)
{
    sched_op_t *op = (sched_op_t *)call;
    op->rc = store_watch_run_due(call->db, util_now_ms(), op->catchup, WATCH_RUN_BATCH, &op->queued,
                                 &op->next_ms);
    return op->rc ? method_fail_store(call, op->rc, "schedule") : 0;
}

static void run_done_cb(method_call_t *call, void *ud)
{
    scheduler_t *sc = ud;
    sched_op_t *op = (sched_op_t *)call;
    sc->inflight = 0;
    uint64_t delay = WATCH_MAX_SLEEP_MS;
    if (call->err_code) {
        log_err("watches: cannot queue the due runs: %s", call->err_msg);
    } else {
        if (op->catchup)
            sc->started = 1;
        if (op->queued) {
            log_info("watches: %lld scheduled captures queued", (long long)op->queued);
            if (sc->d->engine)
                engine_kick(sc->d->engine);
        }
        int64_t now = util_now_ms();
        if (op->next_ms)
            delay = op->next_ms <= now ? 0 : (uint64_t)(op->next_ms - now);
        if (delay > WATCH_MAX_SLEEP_MS)
            delay = WATCH_MAX_SLEEP_MS;
    }
    method_call_clear(call);
    free(op);
    if (sc->closing) {
        scheduler_close(sc);
        return;
    }
    if (!sc->d->stopping)
        uv_timer_start(&sc->timer, tick_cb, delay, 0);
}

static void tick_cb(uv_timer_t *t)
{
    scheduler_t *sc = t->data;
    if (sc->d->stopping || sc->inflight || sc->closing)
        return;
    sched_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        uv_timer_start(&sc->timer, tick_cb, WATCH_MAX_SLEEP_MS, 0);
        return;
    }
    op->call.method = "scheduler";
    op->call.cfg = &sc->d->cfg;
    op->catchup = !sc->started;
    sc->inflight = 1;
    if (writer_submit(sc->d->writer, &op->call, run_fn, run_done_cb, sc) != 0) {
        sc->inflight = 0;
        free(op);
    }
}

void scheduler_kick(scheduler_t *sc)
{
    if (!sc || sc->closing || sc->d->stopping || sc->inflight)
        return;
    if (uv_timer_get_due_in(&sc->timer) > WATCH_KICK_MS || !uv_is_active((uv_handle_t *)&sc->timer))
        uv_timer_start(&sc->timer, tick_cb, WATCH_KICK_MS, 0);
}

static void event_cb(json_t *event, void *ud)
{
    (void)event;
    scheduler_kick(ud);
}

scheduler_t *scheduler_new(daemon_t *d)
{
    scheduler_t *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->d = d;
    uv_timer_init(d->loop, &sc->timer);
    sc->timer.data = sc;
    static const char *const topics[] = {"link.*", "tag.*", NULL};
    json_t *t = json_array();
    for (int i = 0; t && topics[i]; i++)
        json_array_append_new(t, json_string(topics[i]));
    sc->sub = t ? events_subscribe(d->events, t, event_cb, sc) : NULL;
    json_decref(t);
    uv_timer_start(&sc->timer, tick_cb, 0, 0);
    return sc;
}

static void closed_cb(uv_handle_t *h)
{
    free(h->data);
}

void scheduler_close(scheduler_t *sc)
{
    if (!sc)
        return;
    sc->closing = 1;
    if (sc->inflight)
        return;   /* run_done_cb comes back here */
    events_unsubscribe(sc->d->events, sc->sub);
    sc->sub = NULL;
    uv_close((uv_handle_t *)&sc->timer, closed_cb);
}
