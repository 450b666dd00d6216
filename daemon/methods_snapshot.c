/* methods_snapshot.c -- the capture queue over the protocol: snapshot.request (queue a
 * capture of a link, adding the link when a URL is new, or of every link a filter
 * matches), snapshot.list / snapshot.get (history), snapshot.changes (changed captures of
 * all links), snapshot.diff (daemon/snapdiff.c), job.get / job.list (the queue as it is)
 * and job.cancel (a running job's tab is closed by the engine, in the after hook). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "formats.h"
#include "json_link.h"
#include "method.h"
#include "snapdiff.h"

static json_t *json_job(const store_job_t *j)
{
    return json_pack("{s:I,s:I,s:I,s:s,s:i,s:s,s:o,s:s?,s:o,s:o,s:o,s:b}", "id", (json_int_t)j->id,
                     "link_id", (json_int_t)j->link_id, "snapshot_id", (json_int_t)j->snapshot_id,
                     "state", j->state, "attempt", j->attempt, "url", j->url,
                     "display_url", wire_display_url(j->url), "error", j->error,
                     "not_before", j->not_before ? wire_time(j->not_before) : json_null(),
                     "created_at", wire_time(j->created_at), "updated_at", wire_time(j->updated_at),
                     "scheduled", j->priority == STORE_PRIORITY_SCHEDULED);
}

/* At most this many links re-captured by one snapshot.request {filter}: a bounded
 * transaction on the writer and a queue a person meant to fill. */
#define SNAPSHOT_FILTER_MAX 1000

/* snapshot.request {filter}: a capture for every link the filter matches (link.list's
 * keys), at most SNAPSHOT_FILTER_MAX, all or none. -> {matched, queued, already_queued} */
static int request_filter(method_call_t *call, int formats)
{
    const char **bufs[3] = {NULL, NULL, NULL};
    store_filter_t f;
    int64_t *ids = NULL, queued = 0;
    size_t n = 0;
    int ret = -1, rc;
    if (methods_parse_filter_in(call, "filter", &f, bufs))
        goto out;
    if ((rc = store_link_ids(call->db, &f, SNAPSHOT_FILTER_MAX, &ids, &n))) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    if (n > SNAPSHOT_FILTER_MAX) {
        method_fail(call, RPC_INVALID_PARAMS, "the filter matches more than %d links; "
                    "snapshot.request re-captures at most %d at once: narrow the filter",
                    SNAPSHOT_FILTER_MAX, SNAPSHOT_FILTER_MAX);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t job_id;
        int created;
        if ((rc = store_job_request(call->db, ids[i], call->now_ms, &job_id, &created)) ||
            (formats && (rc = store_job_set_formats(call->db, job_id, formats)))) {
            method_fail_store(call, rc, NULL);
            goto out;
        }
        queued += created;
        if (created && method_emit(call, "job.queued", json_pack("{s:I,s:I}", "job_id",
                                                                 (json_int_t)job_id, "link_id",
                                                                 (json_int_t)ids[i])))
            goto out;
    }
    call->result = json_pack("{s:I,s:I,s:I}", "matched", (json_int_t)n, "queued",
                             (json_int_t)queued, "already_queued", (json_int_t)(n - queued));
    ret = call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
out:
    free(ids);
    for (int i = 0; i < 3; i++)
        free(bufs[i]);
    return ret;
}

static int m_snapshot_request(method_call_t *call)
{
    static const char *const known[] = {"link_id", "url", "filter", "formats", NULL};
    int64_t link_id = 0;
    const char *url = NULL;
    if (param_reject_unknown(call, known) || param_int(call, "link_id", 0, 1, INT64_MAX, &link_id) ||
        param_string(call, "url", 0, &url))
        return -1;
    int formats = 0;
    json_t *fj = json_object_get(call->params, "formats");
    char ferr[200];
    if (fj && formats_parse_json(fj, &formats, ferr, sizeof ferr))
        return method_fail(call, RPC_INVALID_PARAMS, "param 'formats': %s", ferr);
    if (json_object_get(call->params, "filter")) {
        if (link_id || url)
            return method_fail(call, RPC_INVALID_PARAMS, "give 'filter', 'link_id' or 'url', "
                               "only one");
        return request_filter(call, formats);
    }
    if (link_id && url)
        return method_fail(call, RPC_INVALID_PARAMS, "give 'link_id' or 'url', not both");
    if (!link_id && !url)
        return method_fail(call, RPC_INVALID_PARAMS, "missing param 'link_id' (or 'url')");
    int link_created = 0, rc;
    if (url) {
        /* a URL not saved yet becomes a link (without a capture of its own: this is it) */
        store_link_add_t in = {.url = url, .rules = call->cfg ? call->cfg->url_rules : NULL,
                               .capture = 0, .now_ms = call->now_ms};
        if ((rc = store_link_add(call->db, &in, &link_id, &link_created)))
            return method_fail_store(call, rc, NULL);
    }
    int64_t job_id;
    int created;
    if ((rc = store_job_request(call->db, link_id, call->now_ms, &job_id, &created)))
        return method_fail_store(call, rc, NULL);
    /* a job already queued takes the formats asked for now */
    if (formats && (rc = store_job_set_formats(call->db, job_id, formats)))
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:I,s:I,s:b,s:b}", "job_id", (json_int_t)job_id,
                             "link_id", (json_int_t)link_id, "created", created,
                             "link_created", link_created);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    if (created)
        return method_emit(call, "job.queued", json_pack("{s:I,s:I}", "job_id", (json_int_t)job_id,
                                                         "link_id", (json_int_t)link_id));
    return 0;
}

/* {KEY: [item(v[i])], next_before} into call->result; takes v. */
static int page_result(method_call_t *call, store_snapshot_t **v, size_t n, int64_t limit,
                       const char *key, json_t *(*item)(const store_snapshot_t *))
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, item(v[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    /* a full page may have more behind it; the next call passes this as before */
    json_int_t next = n == (size_t)limit ? (json_int_t)v[n - 1]->id : 0;
    store_snapshot_list_free(v, n);
    call->result = arr ? json_pack("{s:o,s:o}", key, arr, "next_before",
                                   next ? json_integer(next) : json_null()) : NULL;
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

/* A link's captures, newest first, a page at a time: {snapshots, next_before}. */
static int m_snapshot_list(method_call_t *call)
{
    static const char *const known[] = {"link_id", "limit", "before", NULL};
    int64_t link_id, limit = 50, before = 0;
    if (param_reject_unknown(call, known) || param_int(call, "link_id", 1, 1, INT64_MAX, &link_id) ||
        param_int(call, "limit", 0, 1, 1000, &limit) ||
        param_int(call, "before", 0, 1, INT64_MAX, &before))
        return -1;
    store_snapshot_t **v;
    size_t n;
    int rc = store_snapshot_page(call->db, link_id, (int)limit, before, &v, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    return page_result(call, v, n, limit, "snapshots", wire_snapshot);
}

/* {snapshot, link: {id, url, display_url, title}} of a row of store_snapshot_changes. */
static json_t *wire_change(const store_snapshot_t *x)
{
    const char *url = x->link_url ? x->link_url : "";
    return json_pack("{s:o,s:{s:I,s:s,s:o,s:s?}}", "snapshot", wire_snapshot(x), "link", "id",
                     (json_int_t)x->link_id, "url", url, "display_url", wire_display_url(url),
                     "title", x->link_title);
}

/* The changed captures of all links, newest first, a page at a time: {changes: [{snapshot,
 * link: {id, url, display_url, title}}], next_before} (the web page's changes view). */
static int m_snapshot_changes(method_call_t *call)
{
    static const char *const known[] = {"limit", "before", NULL};
    int64_t limit = 50, before = 0;
    if (param_reject_unknown(call, known) || param_int(call, "limit", 0, 1, 1000, &limit) ||
        param_int(call, "before", 0, 1, INT64_MAX, &before))
        return -1;
    store_snapshot_t **v;
    size_t n;
    int rc = store_snapshot_changes(call->db, (int)limit, before, &v, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    return page_result(call, v, n, limit, "changes", wire_change);
}

static int m_snapshot_get(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    store_snapshot_t *s;
    int rc = store_snapshot_get(call->db, id, &s);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o}", "snapshot", wire_snapshot(s));
    store_snapshot_free(s);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

/* {title, byline, lang, excerpt, blocks: [{kind, text}], text, cut} of a snapshot. */
static int m_snapshot_text(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    store_text_t *t;
    int rc = store_text_get(call->db, id, &t);
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *blocks = t->blocks_json ? json_loads(t->blocks_json, 0, NULL) : NULL;
    if (!json_is_array(blocks)) {
        json_decref(blocks);
        blocks = json_array();
    }
    call->result = json_pack("{s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:o,s:s,s:b}",
                             "snapshot_id", (json_int_t)t->snapshot_id,
                             "link_id", (json_int_t)t->link_id, "title", t->title,
                             "byline", t->byline, "lang", t->lang, "excerpt", t->excerpt,
                             "blocks", blocks, "text", t->text ? t->text : "", "cut", t->cut);
    store_text_free(t);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_job_get(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    store_job_t *j;
    int rc = store_job_get(call->db, id, &j);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o}", "job", json_job(j));
    store_job_free(j);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_job_list(method_call_t *call)
{
    static const char *const known[] = {"state", "limit", "before", NULL};
    const char *state = NULL;
    int64_t limit = 100, before = 0;
    if (param_reject_unknown(call, known) || param_string(call, "state", 0, &state) ||
        param_int(call, "limit", 0, 1, 1000, &limit) || param_int(call, "before", 0, 1, INT64_MAX, &before))
        return -1;
    store_job_t **v;
    size_t n;
    int rc = store_job_list(call->db, state, (int)limit, before, &v, &n);
    if (rc == STORE_EINVAL)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'state': %s", store_errmsg(call->db));
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_job(v[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_int_t next = n == (size_t)limit ? (json_int_t)v[n - 1]->id : 0;
    store_job_list_free(v, n);
    call->result = arr ? json_pack("{s:o,s:o}", "jobs", arr, "next_before",
                                   next ? json_integer(next) : json_null()) : NULL;
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_job_cancel(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    int was_running;
    int rc = store_job_cancel(call->db, id, call->now_ms, &was_running);
    if (rc)
        return method_fail_store(call, rc, NULL);
    store_job_t *j;
    if ((rc = store_job_get(call->db, id, &j)))
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o,s:b}", "job", json_job(j), "was_running", was_running);
    call->handoff = json_pack("{s:I}", "id", (json_int_t)id);
    int ret = method_emit(call, "job.canceled", json_pack("{s:I,s:I}", "job_id", (json_int_t)id,
                                                          "link_id", (json_int_t)j->link_id));
    store_job_free(j);
    if (!call->result || !call->handoff)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return ret;
}

static void job_cancel_after(method_call_t *call, daemon_t *d)
{
    json_int_t id = json_integer_value(json_object_get(call->handoff, "id"));
    engine_cancel_job(d->engine, id);
}

const method_def_t methods_snapshot[] = {
    {.name = "snapshot.request", .fn = m_snapshot_request, .kind = METHOD_WRITE},
    {.name = "snapshot.list", .fn = m_snapshot_list, .kind = METHOD_READ},
    {.name = "snapshot.get", .fn = m_snapshot_get, .kind = METHOD_READ},
    {.name = "snapshot.changes", .fn = m_snapshot_changes, .kind = METHOD_READ},
    {.name = "snapshot.text", .fn = m_snapshot_text, .kind = METHOD_READ},
    /* seconds for two 30,000 px shots: always off the loop (daemon/snapdiff.c) */
    {.name = "snapshot.diff", .fn = snapdiff_method, .kind = METHOD_HEAVY},
    {.name = "job.get", .fn = m_job_get, .kind = METHOD_READ},
    {.name = "job.list", .fn = m_job_list, .kind = METHOD_READ},
    {.name = "job.cancel", .fn = m_job_cancel, .kind = METHOD_WRITE, .after = job_cancel_after},
    {.name = NULL},
};
