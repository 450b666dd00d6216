/* methods_watch.c -- watch.set, watch.list and watch.delete: captures on a schedule. Reads
 * the figures people write ("6h", 3600), checks them against the config's minimum and a
 * year, and the retention figures (keep_last, keep_mb) against their ranges, and leaves
 * the rest to store/watch.c; the scheduler is woken after a change. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "json_link.h"
#include "method.h"
#include "scheduler.h"
#include "webhook.h"

/* Seconds from a JSON integer or a duration "90s", "30m", "6h", "1d", "2w" (a bare
 * number is seconds). Returns 0, or fails the call (-32602) naming the param. */
static int param_duration(method_call_t *call, const char *name, int64_t *out)
{
    json_t *v = json_object_get(call->params, name);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    char *end = NULL;
    long long n = s && isdigit((unsigned char)*s) ? strtoll(s, &end, 10) : -1;
    static const struct { char unit; int64_t s; } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    int64_t mult = end && !*end ? 1 : 0;
    for (size_t i = 0; end && !mult && i < sizeof units / sizeof units[0]; i++)
        if (end[0] == units[i].unit && !end[1])
            mult = units[i].s;
    if (n < 0 || !mult || n > STORE_WATCH_MAX_S)
        return method_fail(call, RPC_INVALID_PARAMS, "param '%s' must be seconds or a duration "
                           "such as 90s, 30m, 6h, 1d, 2w", name);
    *out = n * mult;
    return 0;
}

/* link_id or tag, exactly one. */
static int param_target(method_call_t *call, int64_t *link_id, const char **tag)
{
    *link_id = 0;
    *tag = NULL;
    if (param_int(call, "link_id", 0, 1, INT64_MAX, link_id) || param_string(call, "tag", 0, tag))
        return -1;
    if (!*link_id == !*tag)
        return method_fail(call, RPC_INVALID_PARAMS, "give either 'link_id' or 'tag'");
    return 0;
}

/* Unknown links and tags, and figures the store refuses, are the caller's to fix. */
static int fail_watch(method_call_t *call, int rc)
{
    if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
        return method_fail(call, RPC_INVALID_PARAMS, "%s", store_errmsg(call->db));
    return method_fail_store(call, rc, "watch");
}

static json_t *wire_watch(const store_watch_t *w)
{
    /* times as everywhere else in the protocol: RFC 3339 strings (null for none) */
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)w->id, "every",
                          (json_int_t)w->every_s, "jitter", (json_int_t)w->jitter_s, "links",
                          (json_int_t)w->links, "next_run", wire_time(w->next_run),
                          "last_run", wire_time(w->last_run),
                          "created_at", wire_time(w->created_at),
                          "updated_at", wire_time(w->updated_at));
    if (!o)
        return NULL;
    if (w->link_id)
        json_object_set_new(o, "link_id", json_integer(w->link_id));
    else
        json_object_set_new(o, "tag", json_string(w->tag ? w->tag : ""));
    if (w->threshold >= 0)
        json_object_set_new(o, "threshold", json_real(w->threshold));
    if (w->notify)
        json_object_set_new(o, "notify", json_string(w->notify));
    /* retention: only what the watch sets itself (else the config's defaults apply) */
    if (w->keep_last)
        json_object_set_new(o, "keep_last", json_integer(w->keep_last));
    if (w->keep_mb)
        json_object_set_new(o, "keep_mb", json_integer(w->keep_mb));
    return o;
}

static int m_watch_set(method_call_t *call)
{
    static const char *const known[] = {"link_id", "tag", "every", "jitter", "threshold",
                                        "notify", "keep_last", "keep_mb", NULL};
    store_watch_in_t in = {.jitter_s = -1, .threshold = -1, .now_ms = call->now_ms};
    if (param_reject_unknown(call, known) || param_target(call, &in.link_id, &in.tag))
        return -1;
    if (!json_object_get(call->params, "every"))
        return method_fail(call, RPC_INVALID_PARAMS, "param 'every' is required (seconds or 6h, 1d)");
    if (param_duration(call, "every", &in.every_s))
        return -1;
    int64_t min = call->cfg->watch_min_interval_s;
    if (in.every_s < min || in.every_s > STORE_WATCH_MAX_S)
        return method_fail(call, RPC_INVALID_PARAMS, "every must be from %lld s to a year "
                           "(%lld s), not %lld s", (long long)min, STORE_WATCH_MAX_S,
                           (long long)in.every_s);
    if (json_object_get(call->params, "jitter") && param_duration(call, "jitter", &in.jitter_s))
        return -1;
    if (param_int(call, "keep_last", 0, 1, STORE_KEEP_LAST_MAX, &in.keep_last) ||
        param_int(call, "keep_mb", 0, 1, STORE_KEEP_MB_MAX, &in.keep_mb))
        return -1;
    json_t *th = json_object_get(call->params, "threshold");
    if (th) {
        if (!json_is_number(th) || json_number_value(th) < 0 || json_number_value(th) > 1)
            return method_fail(call, RPC_INVALID_PARAMS, "param 'threshold' must be a fraction "
                               "of the page from 0 to 1 (0.001 is 0.1%%)");
        in.threshold = json_number_value(th);
    }
    char uerr[200];
    if (param_string(call, "notify", 0, &in.notify))
        return -1;
    if (in.notify && *in.notify && webhook_url_ok("notify", in.notify, uerr, sizeof uerr) != 0)
        return method_fail(call, RPC_INVALID_PARAMS, "%s", uerr);
    store_watch_t *w = NULL;
    int created = 0;
    int rc = store_watch_set(call->db, &in, &w, &created);
    if (rc)
        return fail_watch(call, rc);
    json_t *wire = wire_watch(w);
    store_watch_free(w);
    call->result = json_pack("{s:o*,s:b}", "watch", wire, "created", created);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return method_emit(call, "watch.set", json_pack("{s:O}", "watch", wire));
}

static int m_watch_list(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    store_watch_t **v = NULL;
    size_t n = 0;
    int rc = store_watch_list(call->db, &v, &n);
    if (rc)
        return method_fail_store(call, rc, "watch.list");
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, wire_watch(v[i]));
    store_watch_list_free(v, n);
    call->result = arr ? json_pack("{s:o}", "watches", arr) : NULL;
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_watch_delete(method_call_t *call)
{
    static const char *const known[] = {"link_id", "tag", NULL};
    int64_t link_id;
    const char *tag;
    if (param_reject_unknown(call, known) || param_target(call, &link_id, &tag))
        return -1;
    int deleted = 0;
    int rc = store_watch_delete(call->db, link_id, tag, call->now_ms, &deleted);
    if (rc)
        return fail_watch(call, rc);
    call->result = json_pack("{s:b}", "deleted", deleted);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return deleted ? method_emit(call, "watch.deleted", json_deep_copy(call->params)) : 0;
}

/* A changed watch may be due now: the scheduler looks at once. */
static void watch_after(method_call_t *call, daemon_t *d)
{
    (void)call;
    scheduler_kick(d->scheduler);
}

const method_def_t methods_watch[] = {
    {.name = "watch.set", .fn = m_watch_set, .kind = METHOD_WRITE, .after = watch_after},
    {.name = "watch.list", .fn = m_watch_list, .kind = METHOD_READ},
    {.name = "watch.delete", .fn = m_watch_delete, .kind = METHOD_WRITE, .after = watch_after},
    {.name = NULL},
};
