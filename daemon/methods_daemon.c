/* methods_daemon.c -- methods about the daemon itself: daemon.status (counts, queue,
 * uptime, browser) and daemon.ping. Runs on the loop (METHOD_LOOP) and reads the daemon. */
#include "formats.h"
#include "pagetext.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "json_link.h"
#include "method.h"
#include "server.h"
#include "util.h"
#include "webhook.h"

static int m_daemon_status(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    daemon_t *d = call->daemon;
    store_stats_t st;
    int rc = store_stats(d->reader, &st);
    if (rc != STORE_OK)
        return method_fail_store(call, rc, "status");
    writer_stats_t ws;
    writer_get_stats(d->writer, &ws);
    /* the web page: where it is, or why it is not there */
    json_t *web = !d->http ? json_pack("{s:s,s:b}", "listen", d->cfg.http_listen, "listening", 0)
                  : http_listening(d->http)
                      ? json_pack("{s:s,s:b,s:s}", "listen", d->cfg.http_listen, "listening", 1,
                                  "url", http_url(d->http))
                      : json_pack("{s:s,s:b,s:s}", "listen", d->cfg.http_listen, "listening", 0,
                                  "error", http_error(d->http));
    call->result = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:o,s:o*,s:{s:I,s:I,s:I},s:i,s:s}",
        "version", LINKSNAP_VERSION,
        "uptime_s", (json_int_t)((util_mono_ms() - d->started_mono_ms) / 1000),
        "links", (json_int_t)st.links,
        "tags", (json_int_t)st.tags,
        "snapshots", (json_int_t)st.snapshots,
        "queue", "queued", (json_int_t)st.jobs_queued, "running", (json_int_t)st.jobs_running,
        "browser", d->engine ? engine_status(d->engine) : json_null(),
        "http", web,
        "writer", "batches", (json_int_t)ws.batches, "calls", (json_int_t)ws.calls,
                  "pending", (json_int_t)writer_pending(d->writer),
        "clients", (int)server_client_count(d->server),
        "state_dir", d->cfg.state_dir);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    /* which build runs: with Readability compiled in (the page's article) or without
     * (-DLINKSNAP_TEXT=OFF: the visible text only); and what a capture keeps */
    char formats[64];
    formats_names(d->cfg.formats, formats, sizeof formats);
    json_object_set_new(call->result, "text", json_boolean(pagetext_has_readability()));
    json_object_set_new(call->result, "formats", json_string(formats));
    store_watch_counts_t wc;   /* schedules: how many, and when the next one runs */
    if (store_watch_counts(d->reader, call->now_ms, &wc) == STORE_OK)
        json_object_set_new(call->result, "watches", json_pack("{s:I,s:I,s:I,s:o,s:I,s:i,s:i}",
                            "watches", (json_int_t)wc.watches, "links", (json_int_t)wc.links,
                            "due", (json_int_t)wc.due, "next_run", wire_time(wc.next_run),
                            /* retention: captures pruned so far, and the defaults */
                            "pruned", (json_int_t)wc.pruned, "keep_last", d->cfg.watch_keep_last,
                            "keep_mb", d->cfg.watch_keep_mb));
    /* webhooks: what waits, what was given up, and why the last attempt failed */
    json_t *wh = webhook_status(d->webhook, d->reader);
    if (wh)
        json_object_set_new(call->result, "webhooks", wh);
    return 0;
}

static int m_daemon_ping(method_call_t *call)
{
    call->result = json_pack("{s:b}", "pong", 1);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

const method_def_t methods_daemon[] = {
    {.name = "daemon.status", .fn = m_daemon_status, .kind = METHOD_LOOP},
    {.name = "daemon.ping", .fn = m_daemon_ping, .kind = METHOD_LOOP},
    {.name = NULL},
};
