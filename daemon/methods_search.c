/* methods_search.c -- search.reindex: empties the full-text index in one write call, then
 * rebuilds it from the stored page texts in chunks of REINDEX_CHUNK links, one writer
 * call each, so other writes interleave and neither the loop nor the writer is held for
 * long. Publishes search.reindex events {state: running|done|failed, done, total}. Knows
 * the writer and the event bus; the SQL is store/text.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "method.h"
#include "util.h"

#define REINDEX_CHUNK 200

typedef struct {
    method_call_t call;
    daemon_t *d;
    int64_t after, next, done, total;   /* next and done are the writer's during a step */
    int restart;                         /* loop: the index was emptied again meanwhile */
    int64_t restart_total;
} reindex_t;

static reindex_t *running;   /* loop thread only: at most one rebuild at a time */

static void publish(reindex_t *r, const char *state, const char *error)
{
    json_t *ev = json_pack("{s:s,s:s,s:I,s:I}", "topic", "search.reindex", "state", state,
                           "done", (json_int_t)r->done, "total", (json_int_t)r->total);
    if (!ev)
        return;
    if (error)
        json_object_set_new(ev, "error", json_string(error));
    events_publish(r->d->events, ev);
    json_decref(ev);
}

/* Writer thread: one chunk. */
static int step_fn(method_call_t *call)
{
    reindex_t *r = (reindex_t *)call;   /* call is the first member */
    int rc = store_text_reindex_step(call->db, r->after, REINDEX_CHUNK, &r->next, &r->done);
    return rc ? method_fail_store(call, rc, "reindex") : 0;
}

static void step_done_cb(method_call_t *call, void *ud)
{
    reindex_t *r = ud;
    if (call->err_code) {
        log_err("search.reindex stopped after %lld of %lld links: %s; run it again",
                (long long)r->done, (long long)r->total, call->err_msg);
        publish(r, "failed", call->err_msg);
        goto end;
    }
    method_call_clear(call);
    if (!r->next && !r->restart) {
        log_info("search.reindex: %lld links indexed", (long long)r->done);
        publish(r, "done", NULL);
        goto end;
    }
    r->after = r->next;
    if (r->restart) {
        r->restart = 0;
        r->after = 0;
        r->done = 0;
        r->total = r->restart_total;
    }
    publish(r, "running", NULL);
    r->call.now_ms = util_now_ms();
    if (r->d->stopping ||
        writer_submit(r->d->writer, &r->call, step_fn, step_done_cb, r) != 0) {
        log_warn("search.reindex interrupted after %lld of %lld links (linksnapd is stopping); "
                 "run it again", (long long)r->done, (long long)r->total);
        publish(r, "failed", "linksnapd stopped; run linksnap reindex again");
        goto end;
    }
    return;
end:
    method_call_clear(&r->call);
    free(r);
    running = NULL;
}

/* Writer thread: the index emptied, in the caller's transaction. */
static int m_search_reindex(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    int64_t total = 0;
    int rc = store_text_reindex_begin(call->db, &total);
    if (rc)
        return method_fail_store(call, rc, "reindex");
    call->result = json_pack("{s:b,s:I}", "started", 1, "total", (json_int_t)total);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

/* Loop, after the commit: the chunks. A second call while one runs emptied the index
 * again; the running rebuild starts over from the first link. */
static void reindex_after(method_call_t *call, struct daemon *d)
{
    int64_t total = json_integer_value(json_object_get(call->result, "total"));
    if (running) {   /* a step is in flight: its callback starts over */
        running->restart = 1;
        running->restart_total = total;
        return;
    }
    reindex_t *r = calloc(1, sizeof *r);
    if (!r) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    r->d = d;
    r->total = total;
    r->call.method = "search.reindex";
    r->call.params = json_object();
    r->call.cfg = &d->cfg;
    r->call.now_ms = util_now_ms();
    if (!r->call.params || writer_submit(d->writer, &r->call, step_fn, step_done_cb, r) != 0) {
        method_call_clear(&r->call);
        free(r);
        method_fail(call, RPC_SHUTTING_DOWN, "linksnapd is stopping");
        return;
    }
    running = r;
    publish(r, "running", NULL);
}

const method_def_t methods_search[] = {
    {.name = "search.reindex", .fn = m_search_reindex, .kind = METHOD_WRITE, .after = reindex_after},
    {.name = NULL},
};
