/* jobs.c -- the capture engine's writes and the job events: claiming due jobs with their
 * site rules, finishing and retrying them, all as writer calls (the engine writes nothing
 * itself), and job.started/finished/retry on the event bus. Knows the store's job calls;
 * nothing of the browser or of captures. */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "json_link.h"
#include "log.h"
#include "sites.h"
#include "util.h"

#define HOST_PAUSE_MS 60000

/* What a site rule asks of the endpoint that captures it: the names it is pinned to
 * (fidelity_rule_endpoints_json; 0 = any, -1 = the rule does not read) and whether it
 * carries secrets (cookies or headers). The rule's text is parsed once, here. */
typedef struct {
    char names[16][CONFIG_ENDPOINT_NAME_MAX];
    int n;
    int secrets;
} needs_t;

static void rule_needs(const store_site_rule_t *r, needs_t *nd)
{
    nd->n = 0;
    nd->secrets = 0;
    if (!r || !r->rule)
        return;
    json_t *o = json_loads(r->rule, 0, NULL);
    nd->n = fidelity_rule_endpoints_json(o, nd->names, (int)LS_ARRAY_LEN(nd->names));
    json_t *c = json_object_get(o, "cookies"), *h = json_object_get(o, "headers");
    nd->secrets = (c && json_array_size(c) + json_object_size(c) > 0) ||
                  (h && json_object_size(h) + json_array_size(h) > 0);
    json_decref(o);
}

static int pinned_to(const needs_t *nd, const char *name)
{
    if (nd->n == 0)
        return 1;
    for (int i = 0; i < nd->n; i++)
        if (!strcmp(nd->names[i], name))
            return 1;
    return 0;
}

/* The writer's side of a claim across the fleet: each claimed job goes to a free place of
 * an endpoint its site rule allows, the least loaded for its size first; a job whose
 * endpoints are all busy or down goes back to the queue for a moment, its attempt given
 * back; one that no endpoint of the fleet may ever take gets refuse[i] (it fails). */
int jobs_assign(store_t *db, op_t *op)
{
    op->assign = calloc(op->njobs, sizeof *op->assign);
    op->refuse = calloc(op->njobs, sizeof *op->refuse);
    if (!op->assign || !op->refuse)
        return STORE_ENOMEM;   /* the claim rolls back; its jobs stay queued */
    int64_t now = util_now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < op->njobs; i++) {
        needs_t nd;
        rule_needs(op->rules ? op->rules[i] : NULL, &nd);
        int best = -1, any_free = -1, possible = 0;
        for (int k = 0; k < op->ncaps; k++) {
            if (op->caps[k].free > 0 && any_free < 0)
                any_free = k;
            if (nd.n < 0 || !pinned_to(&nd, op->caps[k].name) ||
                (nd.secrets && !op->caps[k].secrets_ok))
                continue;
            possible = 1;
            if (op->caps[k].free <= 0)
                continue;
            /* a working endpoint before a broken one; then the most free places for its
             * size: a 4-slot endpoint takes twice a 2-slot's */
            if (best < 0 || op->caps[k].broken < op->caps[best].broken ||
                (op->caps[k].broken == op->caps[best].broken &&
                 (int64_t)op->caps[k].free * op->caps[best].slots >
                 (int64_t)op->caps[best].free * op->caps[k].slots))
                best = k;
        }
        char why[400] = "";
        if (!possible) {
            if (nd.n < 0)
                snprintf(why, sizeof why, "its site rule cannot be read (not a JSON object)");
            else if (nd.n > 0)
                snprintf(why, sizeof why, "its site rule pins it to endpoints this linksnapd "
                         "does not have (%s%s)", nd.names[0], nd.n > 1 ? ", ..." : "");
            else
                snprintf(why, sizeof why, "its site rule sends cookies or headers, and every "
                         "endpoint is a plain ws:// or http:// one off this host, where they "
                         "would cross the network in clear");
        }
        if (!possible && any_free >= 0) {
            op->refuse[kept] = strdup(why);
            best = any_free;
        }
        if (best < 0) {
            /* busy or down: it waits in the queue, not failed, and runs when one frees */
            int rc = store_job_release(db, op->jobs[i]->id, now + 2000,
                                       "waiting for a browser endpoint its site rule allows", now);
            if (rc != STORE_OK && rc != STORE_ENOTFOUND && rc != STORE_ECONFLICT)
                return rc;
            op->deferred++;
            store_job_free(op->jobs[i]);
            if (op->rules)
                store_site_rule_free(op->rules[i]);
            continue;
        }
        op->caps[best].free--;
        op->assign[kept] = best;
        op->jobs[kept] = op->jobs[i];
        if (op->rules)
            op->rules[kept] = op->rules[i];
        kept++;
    }
    op->njobs = kept;
    return STORE_OK;
}

int jobs_op_fn(method_call_t *call)
{
    op_t *op = (op_t *)call;
    switch (op->kind) {
    case OP_CLAIM:
        op->rc = store_job_claim(call->db, util_now_ms(), op->max, &op->jobs, &op->njobs);
        if (op->rc == STORE_OK && op->njobs && !(op->rules = calloc(op->njobs, sizeof *op->rules)))
            log_warn("out of memory reading site rules: the claimed jobs run without them");
        for (size_t i = 0; op->rc == STORE_OK && op->rules && i < op->njobs; i++) {
            int rc = store_site_match(call->db, op->jobs[i]->url, &op->rules[i]);
            /* a failed lookup leaves the job without a rule; the claim stands */
            if (rc != STORE_OK && rc != STORE_ENOTFOUND)
                log_warn("job %lld: cannot read its site rule: %s", (long long)op->jobs[i]->id,
                         store_errmsg(call->db));
        }
        if (op->rc == STORE_OK && op->njobs)
            op->rc = jobs_assign(call->db, op);
        break;
    case OP_FINISH:
        op->result.now_ms = util_now_ms();
        op->rc = store_job_finish(call->db, &op->result);
        if (op->rc == STORE_OK) {
            /* a watched link's history pruned in this transaction; its files go after
             * the commit (daemon/retain.c). A failure here costs only the pruning. */
            store_retain_opts_t ro = {op->keep_last, op->keep_mb, op->result.now_ms};
            if (store_retain_link(call->db, op->link_id, &ro, &op->pruned, &op->npruned))
                log_warn("link %lld: retention skipped: %s", (long long)op->link_id,
                         store_errmsg(call->db));
        }
        break;
    case OP_RETRY:
        op->rc = (op->uncounted ? store_job_release : store_job_retry)(
            call->db, op->result.job_id, op->not_before, op->error, util_now_ms());
        break;
    }
    if (op->rc == STORE_OK && op->kind != OP_CLAIM && op->host_until) {
        int64_t n = 0;
        op->rc = store_job_delay_host(call->db, op->result.job_id, op->host_until, &n);
        if (op->rc == STORE_OK && n)
            log_notice("job %lld: its host asked to wait; %lld queued jobs of it wait %lld s",
                       (long long)op->result.job_id, (long long)n,
                       (long long)((op->host_until - util_now_ms()) / 1000));
    }
    if (op->rc)
        snprintf(op->errmsg, sizeof op->errmsg, "%s", store_errmsg(call->db));
    /* ENOTFOUND / ECONFLICT are answers (the link was deleted, the job canceled): they
     * must not roll back the other calls of the batch, so the call itself succeeds */
    return op->rc == STORE_OK || op->rc == STORE_ENOTFOUND || op->rc == STORE_ECONFLICT
        ? 0 : method_fail_store(call, op->rc, "capture queue");
}

void jobs_op_clear(op_t *op)
{
    for (size_t i = 0; op->refuse && i < op->njobs; i++)
        free(op->refuse[i]);
    free(op->refuse);
    free(op->assign);
    if (op->rules)
        store_site_rule_list_free(op->rules, op->njobs);
    store_job_list_free(op->jobs, op->njobs);
    free(op->timings);
    free(op->redirects);
    free(op->error);
    free(op->blocks);
    free(op->files);
    store_snapshot_list_free(op->pruned, op->npruned);
    json_decref(op->call.params);
    json_decref(op->call.result);
    json_decref(op->call.err_data);
    json_decref(op->call.events);
    memset(op, 0, sizeof *op);
}

void jobs_op_free(op_t *op)
{
    if (!op)
        return;
    jobs_op_clear(op);
    free(op);
}

op_t *jobs_op_new(engine_t *e, op_kind_t kind, slot_t *slot)
{
    op_t *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->e = e;
    op->kind = kind;
    op->slot = slot;
    op->call.method = "capture";
    op->call.params = json_object();
    op->call.cfg = &e->d->cfg;
    op->link_id = slot ? slot->job->link_id : 0;
    op->keep_last = e->d->cfg.watch_keep_last;
    op->keep_mb = e->d->cfg.watch_keep_mb;
    /* per-host politeness: a 429 (a minute when it names no time) or a Retry-After holds
     * back the host's other queued jobs, whatever becomes of this one */
    if (slot && kind != OP_CLAIM) {
        int64_t wait = slot->wall.retry_after > 0 ? (int64_t)slot->wall.retry_after * 1000
                     : slot->wall.kind == BOTWALL_RATE_LIMITED ? HOST_PAUSE_MS : 0;
        if (wait)
            op->host_until = util_now_ms() + (wait < 86400000 ? wait : 86400000);
    }
    return op;
}

void jobs_submit(engine_t *e, op_t *op, writer_done_cb cb)
{
    if (writer_submit(e->d->writer, &op->call, jobs_op_fn, cb, NULL) != 0) {
        /* the writer is closing: the job stays running in the store and is requeued at
         * the next start */
        slot_t *s = op->slot;
        jobs_op_free(op);
        if (s)
            slot_release(s);
    }
}

void jobs_publish(engine_t *e, const char *topic, json_t *fields)
{
    if (!fields)
        return;
    json_object_set_new(fields, "topic", json_string(topic));
    events_publish(e->d->events, fields);
    json_decref(fields);
}

void jobs_publish_finished(engine_t *e, const store_job_t *job, const char *state,
                             const char *error)
{
    store_snapshot_t *snap = NULL;
    if (store_snapshot_get(e->d->reader, job->snapshot_id, &snap) != STORE_OK)
        snap = NULL;
    jobs_publish(e, "job.finished",
            json_pack("{s:I,s:I,s:s,s:i,s:s?,s:o,s:o}", "job_id", (json_int_t)job->id,
                      "link_id", (json_int_t)job->link_id, "state", state, "attempt", job->attempt,
                      "error", error, "http_status", snap && snap->http_status
                          ? json_integer(snap->http_status) : json_null(),
                      "snapshot", wire_snapshot(snap)));
    store_snapshot_free(snap);
}
