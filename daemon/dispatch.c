/* dispatch.c -- where a method call runs: READ and LOOP on the loop at once, WRITE through
 * the writer's group commit, HEAVY on the thread pool with a readpool connection; then the
 * call's `after` hook and its events, then the caller's callback. Also the whole-document
 * runner POST /rpc uses. Knows no sockets and no method's semantics. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "util.h"

/* ---- one call ------------------------------------------------------------------------ */

typedef struct {
    uv_work_t work;
    daemon_t *d;
    const method_def_t *def;
    method_call_t *call;
    dispatch_done_cb cb;
    void *ud;
} job_t;

static void finish(daemon_t *d, const method_def_t *def, method_call_t *call,
                   dispatch_done_cb cb, void *ud)
{
    if (call->err_code == 0 && def->after)
        def->after(call, d);
    if (call->has_fd) { /* opened by the prepare hook and not taken by the after hook */
        close(call->fd);
        call->has_fd = 0;
    }
    if (call->err_code == 0 && call->events) {
        size_t i;
        json_t *ev;
        json_array_foreach(call->events, i, ev)
            events_publish(d->events, ev);
    }
    cb(call, ud);
}

static void write_done_cb(method_call_t *call, void *ud)
{
    job_t *j = ud;
    finish(j->d, j->def, call, j->cb, j->ud);
    free(j);
}

static void heavy_work_cb(uv_work_t *w)
{
    job_t *j = w->data;
    char err[256];
    store_t *db = readpool_take(j->d->readpool, err, sizeof err);
    if (!db) {
        method_fail(j->call, RPC_STORE_FAILED, "%s", err);
        return;
    }
    j->call->db = db;
    if (j->def->fn(j->call) != 0 && j->call->err_code == 0)
        method_fail(j->call, RPC_INTERNAL_ERROR, "%s failed", j->call->method);
    j->call->db = NULL;
    readpool_give(j->d->readpool, db);
}

static void heavy_after_cb(uv_work_t *w, int status)
{
    job_t *j = w->data;
    if (status == UV_ECANCELED)
        method_fail(j->call, RPC_SHUTTING_DOWN, "linksnapd is stopping");
    finish(j->d, j->def, j->call, j->cb, j->ud);
    free(j);
}

static void submit(job_t *j);

static void prepare_work_cb(uv_work_t *w)
{
    job_t *j = w->data;
    if (j->def->prepare(j->call) != 0 && j->call->err_code == 0)
        method_fail(j->call, RPC_INTERNAL_ERROR, "%s failed", j->call->method);
}

static void prepare_after_cb(uv_work_t *w, int status)
{
    job_t *j = w->data;
    if (status == UV_ECANCELED && j->call->err_code == 0)
        method_fail(j->call, RPC_SHUTTING_DOWN, "linksnapd is stopping");
    if (j->call->err_code != 0 || j->d->stopping) {
        if (j->call->err_code == 0)
            method_fail(j->call, RPC_SHUTTING_DOWN, "linksnapd is stopping; retry after it restarts");
        finish(j->d, j->def, j->call, j->cb, j->ud);   /* closes what prepare opened */
        free(j);
        return;
    }
    submit(j);
}

void dispatch_run(daemon_t *d, const method_def_t *def, method_call_t *call,
                  dispatch_done_cb cb, void *ud)
{
    call->now_ms = util_now_ms();
    call->cfg = &d->cfg;
    /* loop-owned settings a reload may change, for the handlers off the loop that read them */
    call->nendpoint_names = 0;
    for (int k = 0; def->endpoint_names && k < d->cfg.nendpoints && k < CONFIG_ENDPOINTS_MAX; k++)
        memcpy(call->endpoint_names[call->nendpoint_names++], d->cfg.endpoints[k].name,
               CONFIG_ENDPOINT_NAME_MAX);
    d->calls++;
    if (d->stopping && def->kind == METHOD_WRITE) {
        method_fail(call, RPC_SHUTTING_DOWN, "linksnapd is stopping; retry after it restarts");
        cb(call, ud);
        return;
    }
    if (def->kind == METHOD_READ || def->kind == METHOD_LOOP) {
        call->db = d->reader;
        call->daemon = def->kind == METHOD_LOOP ? d : NULL;
        if (def->fn(call) != 0 && call->err_code == 0)
            method_fail(call, RPC_INTERNAL_ERROR, "%s failed", call->method);
        call->db = NULL;
        finish(d, def, call, cb, ud);
        return;
    }
    job_t *j = calloc(1, sizeof *j);
    if (!j) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        cb(call, ud);
        return;
    }
    *j = (job_t){.d = d, .def = def, .call = call, .cb = cb, .ud = ud};
    if (def->kind == METHOD_WRITE && def->prepare) {
        j->work.data = j;
        if (uv_queue_work(d->loop, &j->work, prepare_work_cb, prepare_after_cb) != 0) {
            free(j);
            method_fail(call, RPC_INTERNAL_ERROR, "cannot queue work");
            cb(call, ud);
        }
        return;
    }
    submit(j);
}

/* A WRITE to the writer, a HEAVY call to the thread pool. */
static void submit(job_t *j)
{
    daemon_t *d = j->d;
    const method_def_t *def = j->def;
    method_call_t *call = j->call;
    dispatch_done_cb cb = j->cb;
    void *ud = j->ud;
    if (def->kind == METHOD_WRITE) {
        if (writer_submit(d->writer, call, def->fn, write_done_cb, j) != 0) {
            free(j);
            method_fail(call, RPC_SHUTTING_DOWN, "linksnapd is stopping; retry after it restarts");
            finish(d, def, call, cb, ud);
        }
        return;
    }
    j->work.data = j;
    if (uv_queue_work(d->loop, &j->work, heavy_work_cb, heavy_after_cb) != 0) {
        free(j);
        method_fail(call, RPC_INTERNAL_ERROR, "cannot queue work");
        finish(d, def, call, cb, ud);
    }
}

json_t *dispatch_reply(method_call_t *call, json_t *id)
{
    json_t *reply;
    if (call->err_code != 0) {
        reply = rpc_error(id, call->err_code, call->err_msg, call->err_data);
        call->err_data = NULL;
    } else {
        reply = rpc_result(id, call->result ? call->result : json_object());
        call->result = NULL;
    }
    if (!reply)
        reply = rpc_error(id, RPC_INTERNAL_ERROR, "reply could not be built", NULL);
    return reply;
}

int dispatch_prepare(json_t *msg, const method_def_t *extra, const method_def_t **def,
                     json_t **params, json_t **id, json_t **reply)
{
    rpc_msg_t m;
    rpc_classify(msg, &m);
    *reply = NULL;
    *params = NULL;
    *id = NULL;
    if (m.kind == RPC_MSG_INVALID) {
        *reply = rpc_error(m.id, m.err_code, m.err_msg, NULL);
        return -1;
    }
    int request = m.kind == RPC_MSG_REQUEST;
    const method_def_t *found = methods_find(m.method);
    for (const method_def_t *x = extra; !found && x && x->name; x++)
        if (!strcmp(x->name, m.method))
            found = x;
    if (!found) {
        if (request) {
            char msgbuf[160];
            snprintf(msgbuf, sizeof msgbuf, "method '%.100s' not found", m.method);
            *reply = rpc_error(m.id, RPC_METHOD_NOT_FOUND, msgbuf, NULL);
        }
        return -1;
    }
    if (m.params && !json_is_object(m.params)) {
        if (request)
            *reply = rpc_error(m.id, RPC_INVALID_PARAMS, "params must be an object (named params)", NULL);
        return -1;
    }
    *params = m.params ? json_incref(m.params) : json_object();
    if (!*params) {
        if (request)
            *reply = rpc_error(m.id, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return -1;
    }
    *def = found;
    *id = request ? m.id : NULL;
    return 0;
}

/* ---- a whole document ---------------------------------------------------------------- */

typedef struct doc_run doc_run_t;

typedef struct {
    doc_run_t *run;
    method_call_t call;
    const method_def_t *def;
    json_t *id;            /* borrowed from run->doc; NULL for notifications */
    int notify;
    int done;
    json_t *reply;         /* owned; NULL when nothing is owed */
} doc_item_t;

struct doc_run {
    daemon_t *d;
    json_t *doc;           /* owned reference: keeps ids and params alive */
    int is_batch;
    size_t n, next, remaining;
    int inflight, inflight_nonwrite;
    int pumping;
    doc_item_t *items;
    dispatch_doc_cb cb;
    void *ud;
};

static void doc_finish(doc_run_t *r)
{
    json_t *reply = NULL;
    if (!r->is_batch) {
        reply = r->items[0].reply;
        r->items[0].reply = NULL;
    } else {
        reply = json_array();
        for (size_t i = 0; i < r->n; i++) {
            if (r->items[i].reply && reply)
                json_array_append(reply, r->items[i].reply);
            json_decref(r->items[i].reply);
        }
        if (reply && json_array_size(reply) == 0) { /* only notifications: no reply */
            json_decref(reply);
            reply = NULL;
        }
    }
    dispatch_doc_cb cb = r->cb;
    void *ud = r->ud;
    json_decref(r->doc);
    free(r->items);
    free(r);
    cb(reply, ud);
}

static void doc_pump(doc_run_t *r);

static void doc_item_done_cb(method_call_t *call, void *ud)
{
    doc_item_t *it = ud;
    doc_run_t *r = it->run;
    if (!it->notify)
        it->reply = dispatch_reply(call, it->id);
    r->inflight--;
    if (it->def->kind != METHOD_WRITE)
        r->inflight_nonwrite--;
    method_call_clear(call);
    it->done = 1;
    r->remaining--;
    doc_pump(r);
}

static void doc_pump(doc_run_t *r)
{
    if (r->pumping)
        return;   /* a call that finished at once: the outer loop goes on */
    r->pumping = 1;
    while (r->next < r->n) {
        doc_item_t *it = &r->items[r->next];
        if (it->done) {
            r->next++;
            continue;
        }
        int is_write = it->def->kind == METHOD_WRITE;
        if (is_write ? r->inflight_nonwrite > 0 : r->inflight > 0)
            break;
        r->next++;
        r->inflight++;
        if (!is_write)
            r->inflight_nonwrite++;
        dispatch_run(r->d, it->def, &it->call, doc_item_done_cb, it);
    }
    r->pumping = 0;
    if (r->remaining == 0)
        doc_finish(r);
}

int dispatch_doc(daemon_t *d, json_t *doc, int via_http, dispatch_doc_cb cb, void *ud)
{
    int is_batch = json_is_array(doc);
    size_t n = is_batch ? json_array_size(doc) : 1;
    if (is_batch && (n == 0 || n > RPC_MAX_BATCH)) {
        char msg[128];
        if (n == 0)
            snprintf(msg, sizeof msg, "invalid request: empty batch");
        else
            snprintf(msg, sizeof msg, "invalid request: batch of %zu (at most %d)", n, RPC_MAX_BATCH);
        json_t *reply = rpc_error(NULL, RPC_INVALID_REQUEST, msg, NULL);
        if (!reply)
            return -1;
        cb(reply, ud);
        return 0;
    }
    doc_run_t *r = calloc(1, sizeof *r);
    doc_item_t *items = calloc(n, sizeof *items);
    if (!r || !items) {
        free(r);
        free(items);
        return -1;
    }
    *r = (doc_run_t){.d = d, .doc = json_incref(doc), .is_batch = is_batch, .n = n,
                     .remaining = n, .items = items, .cb = cb, .ud = ud};
    for (size_t i = 0; i < n; i++) {
        doc_item_t *it = &items[i];
        json_t *msg = is_batch ? json_array_get(doc, i) : doc;
        json_t *params, *id;
        it->run = r;
        if (dispatch_prepare(msg, NULL, &it->def, &params, &id, &it->reply) != 0) {
            it->done = 1;
            r->remaining--;
            continue;
        }
        it->id = id;
        it->notify = id == NULL;
        it->call.method = it->def->name;
        it->call.params = params;
        it->call.via_http = via_http;
    }
    doc_pump(r);
    return 0;
}
