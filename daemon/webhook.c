/* webhook.c -- snapshot.changed for people: the event on the bus, and a POST of it to
 * each address that asked (a watch's notify, the config's notify_url). A delivery is a
 * store row written in the transaction that keeps the capture's change, so a kill -9
 * loses none; this file sends the pending rows with libcurl's multi interface driven by
 * the loop (curl_multi_socket_action, one uv_poll per socket curl opens, one uv_timer for
 * curl's timeouts, one for the next row due) and records each attempt through the writer:
 * a 2xx is done, anything else waits a back-off (webhook_backoff_s, doubling) and is
 * tried again, five attempts at most. The addresses are the owner's: the egress rules do
 * not apply to them, and logs show them masked. Knows no browser and no socket client. */
#include "webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "daemon.h"
#include "json_link.h"
#include "log.h"
#include "util.h"
#include "writer.h"

#define MAX_INFLIGHT 8
#define STORE_RETRY_MS 30000       /* the store could not say what is due: look again */
#define MAX_SLEEP_MS 3600000
#define MASK "********"            /* as site-rule values are shown */

typedef struct transfer transfer_t;

struct webhook {
    daemon_t *d;
    CURLM *multi;
    uv_timer_t curl_timer;         /* curl's own timeouts (CURLMOPT_TIMERFUNCTION) */
    uv_timer_t due_timer;          /* the next pending row's time */
    events_sub_t *sub;             /* snapshot.changed: rows were just committed */
    int timeout_s, backoff_s;      /* loop thread only */
    transfer_t *inflight[MAX_INFLIGHT];   /* sent, or its outcome being written */
    size_t ninflight;
    int closing, open_handles;
    struct sock *socks;            /* one uv_poll per socket curl watches */
    uv_mutex_t mu;                 /* guards what the writer thread reads: */
    char notify_url[2048];
    char web_base[256];
};

struct transfer {
    webhook_t *w;
    CURL *easy;
    struct curl_slist *hdrs;
    int64_t id;
    int attempts;                  /* before this one */
    char shown[300];               /* the masked URL */
};

typedef struct {
    method_call_t call;            /* first: the writer's fn finds the rest */
    transfer_t *t;
    char error[300];               /* "" = delivered */
    int64_t next_at;               /* 0 with an error: the last attempt */
} outcome_t;

typedef struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    webhook_t *w;
    struct sock *next;             /* webhook_t.socks */
} sock_t;

static void due_cb(uv_timer_t *t);

/* ---- addresses ------------------------------------------------------------------------ */

int webhook_url_ok(const char *what, const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u) {
        snprintf(err, errlen, "%s: out of memory", what);
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        snprintf(err, errlen, "%s: expected an http:// or https:// address with a host", what);
    else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        snprintf(err, errlen, "%s: the address must be http:// or https://, not %.16s://", what,
                 scheme);
    else
        rc = 0;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

void webhook_mask_url(const char *url, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
            port = NULL;
        snprintf(out, outlen, "%s://%s%s%s/" MASK, scheme, host, port ? ":" : "", port ? port : "");
    } else {
        snprintf(out, outlen, "(an address that is not a URL)");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* ---- the change: event and rows (writer thread) ---------------------------------------- */

/* The delivery's body: what a receiver needs to say what changed and where to look. */
static char *delivery_body(const store_link_t *l, const char *title, const json_t *p,
                           const char *web_base, int64_t now_ms)
{
    int64_t id = json_integer_value(json_object_get(p, "id"));
    int64_t against = json_integer_value(json_object_get(p, "against"));
    char diff[512];
    int n = snprintf(diff, sizeof diff, "%s/changes/%lld/%lld", web_base, (long long)against,
                     (long long)id);
    json_t *body = json_pack(
        "{s:s,s:{s:I,s:s,s:s?},s:I,s:I,s:f,s:I,s:{s:I,s:I},s:o,s:o}", "event", "snapshot.changed",
        "link", "id", (json_int_t)l->id, "url", l->url, "title", title,
        "snapshot_id", (json_int_t)id, "against", (json_int_t)against,
        "changed_fraction", json_number_value(json_object_get(p, "changed_fraction")),
        "regions", json_integer_value(json_object_get(p, "regions")),
        "text", "added", json_integer_value(json_object_get(p, "text_added")),
                "removed", json_integer_value(json_object_get(p, "text_removed")),
        "diff_url", web_base[0] && n > 0 && (size_t)n < sizeof diff ? json_string(diff) : json_null(),
        "time", wire_time(now_ms));
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return s;
}

int webhook_change_saved(method_call_t *call, webhook_t *w)
{
    const json_t *p = call->params;
    if (!json_is_true(json_object_get(p, "changed")))
        return 0;
    int64_t id = json_integer_value(json_object_get(p, "id"));
    store_snapshot_t *snap = NULL;
    store_link_t *link = NULL;
    char **targets = NULL, *body = NULL;
    size_t ntargets = 0;
    int rc = store_snapshot_get(call->db, id, &snap);
    if (!rc)
        rc = store_link_get(call->db, snap->link_id, &link);
    if (rc == STORE_ENOTFOUND)
        goto done;   /* deleted meanwhile: nobody to tell about it */
    if (rc) {
        method_fail_store(call, rc, "snapshot.changed");
        goto done;
    }
    const char *title = link->title ? link->title : snap->title;
    if (method_emit(call, "snapshot.changed",
                    json_pack("{s:I,s:I,s:I,s:f,s:s,s:s?,s:I,s:{s:I,s:I}}", "link_id",
                              (json_int_t)link->id, "snapshot_id", (json_int_t)id, "against",
                              json_integer_value(json_object_get(p, "against")),
                              "changed_fraction",
                              json_number_value(json_object_get(p, "changed_fraction")),
                              "url", link->url, "title", title,
                              "regions", json_integer_value(json_object_get(p, "regions")),
                              "text", "added", json_integer_value(json_object_get(p, "text_added")),
                              "removed", json_integer_value(json_object_get(p, "text_removed")))) != 0) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto done;
    }
    if (!w)
        goto done;
    char notify_url[sizeof w->notify_url], web_base[sizeof w->web_base];
    uv_mutex_lock(&w->mu);
    memcpy(notify_url, w->notify_url, sizeof notify_url);
    memcpy(web_base, w->web_base, sizeof web_base);
    uv_mutex_unlock(&w->mu);
    if ((rc = store_delivery_targets(call->db, link->id, &targets, &ntargets))) {
        method_fail_store(call, rc, "webhooks");
        goto done;
    }
    int global = notify_url[0] != '\0';
    for (size_t i = 0; global && i < ntargets; i++)
        if (!strcmp(targets[i], notify_url))
            global = 0;   /* one POST per address */
    if (!ntargets && !global)
        goto done;
    if (!(body = delivery_body(link, title, p, web_base, call->now_ms ? call->now_ms : util_now_ms()))) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ntargets + (size_t)global; i++) {
        const char *url = i < ntargets ? targets[i] : notify_url;
        if ((rc = store_delivery_add(call->db, url, body, id, util_now_ms(), NULL))) {
            method_fail_store(call, rc, "webhooks");
            goto done;
        }
    }
done:
    for (size_t i = 0; i < ntargets; i++)
        free(targets[i]);
    free(targets);
    free(body);
    store_link_free(link);
    store_snapshot_free(snap);
    return call->err_code ? -1 : 0;
}

/* ---- curl on the loop ------------------------------------------------------------------ */

static void sock_closed_cb(uv_handle_t *h) { free(h->data); }

/* Unlinks s and closes its poll (freed in the close callback). */
static void sock_close(webhook_t *w, sock_t *s)
{
    for (sock_t **pp = &w->socks; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, sock_closed_cb);
}

static void transfer_free(transfer_t *t)
{
    if (!t)
        return;
    if (t->easy) {
        curl_multi_remove_handle(t->w->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->hdrs);
    free(t);
}

static void inflight_drop(webhook_t *w, transfer_t *t)
{
    for (size_t i = 0; i < w->ninflight; i++)
        if (w->inflight[i] == t) {
            w->inflight[i] = w->inflight[--w->ninflight];
            break;
        }
    transfer_free(t);
}

static void kick(webhook_t *w)
{
    if (!w->closing && !w->d->stopping)
        uv_timer_start(&w->due_timer, due_cb, 0, 0);
}

static int outcome_fn(method_call_t *call)
{
    outcome_t *o = (outcome_t *)call;
    int rc = store_delivery_attempted(call->db, o->t->id, o->error[0] ? o->error : NULL,
                                      o->next_at, util_now_ms());
    /* a row no longer pending (edited by hand) has nothing to record */
    return rc && rc != STORE_ENOTFOUND ? method_fail_store(call, rc, "webhook delivery") : 0;
}

static void outcome_done_cb(method_call_t *call, void *ud)
{
    outcome_t *o = (outcome_t *)call;
    webhook_t *w = ud;
    if (call->err_code)
        log_warn("webhook delivery %lld: cannot record its attempt (it is sent again): %s",
                 (long long)o->t->id, call->err_msg);
    inflight_drop(w, o->t);
    method_call_clear(call);
    free(o);
    kick(w);
}

/* A transfer ended: its outcome goes to the store; the row stays in flight until then so
 * that it is not picked twice. */
static void transfer_ended(webhook_t *w, transfer_t *t, CURLcode code, long status)
{
    outcome_t *o = calloc(1, sizeof *o);
    if (!o) {
        log_warn("webhook delivery %lld: out of memory; it is sent again", (long long)t->id);
        inflight_drop(w, t);
        return;
    }
    o->t = t;
    int attempt = t->attempts + 1;
    if (code == CURLE_OPERATION_TIMEDOUT)
        snprintf(o->error, sizeof o->error, "no answer within %d s", w->timeout_s);
    else if (code != CURLE_OK)
        snprintf(o->error, sizeof o->error, "%s", curl_easy_strerror(code));
    else if (status < 200 || status > 299)
        snprintf(o->error, sizeof o->error, "HTTP %ld", status);
    if (!o->error[0]) {
        log_info("webhook delivery %lld to %s: HTTP %ld", (long long)t->id, t->shown, status);
    } else if (attempt >= STORE_DELIVERY_ATTEMPTS) {
        log_err("webhook delivery %lld to %s: %s; that was attempt %d of %d, it is given up",
                (long long)t->id, t->shown, o->error, attempt, STORE_DELIVERY_ATTEMPTS);
    } else {
        /* back-off: webhook_backoff_s, then twice that, and so on */
        int64_t wait = (int64_t)w->backoff_s * 1000 * ((int64_t)1 << (attempt - 1));
        o->next_at = util_now_ms() + wait;
        log_warn("webhook delivery %lld to %s: %s; attempt %d of %d, next in %lld s",
                 (long long)t->id, t->shown, o->error, attempt, STORE_DELIVERY_ATTEMPTS,
                 (long long)(wait / 1000));
    }
    o->call.method = "webhook";
    o->call.cfg = &w->d->cfg;
    if (!w->d->writer || writer_submit(w->d->writer, &o->call, outcome_fn, outcome_done_cb, w) != 0) {
        inflight_drop(w, t);   /* stopping: the row is sent again at the next start */
        free(o);
    }
}

static void check_done(webhook_t *w)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(w->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        transfer_t *t = NULL;
        long status = 0;
        CURLcode code = m->data.result;
        CURL *easy = m->easy_handle;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(w->multi, easy);
        curl_easy_cleanup(easy);
        if (!t)
            continue;
        t->easy = NULL;
        transfer_ended(w, t, code, status);
    }
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    sock_t *s = h->data;
    int flags = status < 0 ? CURL_CSELECT_ERR
              : ((events & UV_READABLE) ? CURL_CSELECT_IN : 0) |
                ((events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(s->w->multi, s->fd, flags, &running);
    check_done(s->w);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    webhook_t *w = userp;
    sock_t *s = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            sock_close(w, s);
            curl_multi_assign(w->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return -1;
        if (uv_poll_init_socket(w->d->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->w = w;
        s->poll.data = s;
        s->next = w->socks;
        w->socks = s;
        curl_multi_assign(w->multi, fd, s);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&s->poll, ev, poll_cb);
    return 0;
}

static void curl_timeout_cb(uv_timer_t *h)
{
    webhook_t *w = h->data;
    int running;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(w);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    webhook_t *w = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&w->curl_timer);
    else   /* 0: as soon as the loop comes round, never from inside curl's call */
        uv_timer_start(&w->curl_timer, curl_timeout_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Starts the POST of one row; on failure the row is left for the next look. */
static int transfer_start(webhook_t *w, const store_delivery_t *x)
{
    transfer_t *t = calloc(1, sizeof *t);
    char hdr[64];
    if (!t)
        return -1;
    t->w = w;
    t->id = x->id;
    t->attempts = x->attempts;
    webhook_mask_url(x->url, t->shown, sizeof t->shown);
    snprintf(hdr, sizeof hdr, "X-Linksnap-Delivery: %lld", (long long)x->id);
    struct curl_slist *h1 = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h1 ? curl_slist_append(h1, "X-Linksnap-Event: snapshot.changed") : NULL;
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, hdr) : NULL;
    t->hdrs = h3 ? h3 : h2 ? h2 : h1;
    if (!h3 || !(t->easy = curl_easy_init()))
        goto fail;
    long timeout_ms = (long)w->timeout_s * 1000;
    if (curl_easy_setopt(t->easy, CURLOPT_URL, x->url) != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS, x->body) != CURLE_OK)
        goto fail;
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->hdrs);
    curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "linksnapd/" LINKSNAP_VERSION);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, (char *)t);
    if (curl_multi_add_handle(w->multi, t->easy) != CURLM_OK)
        goto fail;
    w->inflight[w->ninflight++] = t;
    log_debug("webhook delivery %lld to %s: attempt %d", (long long)t->id, t->shown,
              t->attempts + 1);
    return 0;
fail:
    if (t->easy)
        curl_easy_cleanup(t->easy);
    t->easy = NULL;
    transfer_free(t);
    return -1;
}

/* What is due now goes out (MAX_INFLIGHT at once); the timer waits for the next row. */
static void due_cb(uv_timer_t *h)
{
    webhook_t *w = h->data;
    if (w->closing || w->d->stopping || !w->d->reader)
        return;
    int room = MAX_INFLIGHT - (int)w->ninflight;
    if (room <= 0)
        return;   /* a transfer's end looks again */
    int64_t skip[MAX_INFLIGHT], now = util_now_ms(), next_at = 0;
    for (size_t i = 0; i < w->ninflight; i++)
        skip[i] = w->inflight[i]->id;
    store_delivery_t **v = NULL;
    size_t n = 0;
    int rc = store_delivery_due(w->d->reader, now, skip, w->ninflight, room, &v, &n, &next_at);
    if (rc) {
        log_warn("webhooks: cannot read the pending deliveries (looking again in %d s): %s",
                 STORE_RETRY_MS / 1000, store_errmsg(w->d->reader));
        uv_timer_start(&w->due_timer, due_cb, STORE_RETRY_MS, 0);
        return;
    }
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        if (transfer_start(w, v[i]) != 0)
            failed = 1;
    store_delivery_list_free(v, n);
    if (failed) {
        log_warn("webhooks: out of memory starting a delivery; looking again in %d s",
                 STORE_RETRY_MS / 1000);
        next_at = next_at && next_at < now + STORE_RETRY_MS ? next_at : now + STORE_RETRY_MS;
    }
    if (next_at) {
        int64_t wait = next_at - now;
        uv_timer_start(&w->due_timer, due_cb,
                       (uint64_t)(wait < 0 ? 0 : wait > MAX_SLEEP_MS ? MAX_SLEEP_MS : wait), 0);
    }
}

static void changed_cb(json_t *event, void *ud)
{
    (void)event;
    kick(ud);
}

/* ---- life ------------------------------------------------------------------------------- */

void webhook_settings(webhook_t *w, const config_t *cfg)
{
    if (!w)
        return;
    w->timeout_s = cfg->webhook_timeout_s;
    w->backoff_s = cfg->webhook_backoff_s;
    uv_mutex_lock(&w->mu);
    snprintf(w->notify_url, sizeof w->notify_url, "%s", cfg->notify_url);
    uv_mutex_unlock(&w->mu);
}

webhook_t *webhook_new(daemon_t *d, const char *web_base, char *err, size_t errlen)
{
    webhook_t *w = calloc(1, sizeof *w);
    if (!w || uv_mutex_init(&w->mu) != 0) {
        free(w);
        snprintf(err, errlen, "webhooks: out of memory");
        return NULL;
    }
    w->d = d;
    snprintf(w->web_base, sizeof w->web_base, "%s", web_base ? web_base : "");
    webhook_settings(w, &d->cfg);
    if (!(w->multi = curl_multi_init())) {
        uv_mutex_destroy(&w->mu);
        free(w);
        snprintf(err, errlen, "webhooks: cannot start libcurl's multi interface");
        return NULL;
    }
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    uv_timer_init(d->loop, &w->curl_timer);
    uv_timer_init(d->loop, &w->due_timer);
    w->curl_timer.data = w->due_timer.data = w;
    w->open_handles = 2;
    json_t *topics = json_pack("[s]", "snapshot.changed");
    w->sub = topics ? events_subscribe(d->events, topics, changed_cb, w) : NULL;
    json_decref(topics);
    if (!w->sub)
        log_warn("webhooks: out of memory subscribing to changes; deliveries wait for the "
                 "next look");
    /* what a stop or a kill -9 left pending goes out now */
    uv_timer_start(&w->due_timer, due_cb, 0, 0);
    return w;
}

static void timer_closed_cb(uv_handle_t *h)
{
    webhook_t *w = h->data;
    if (--w->open_handles == 0) {
        uv_mutex_destroy(&w->mu);
        free(w);
    }
}

void webhook_close(webhook_t *w)
{
    if (!w || w->closing)
        return;
    w->closing = 1;
    events_unsubscribe(w->d->events, w->sub);
    w->sub = NULL;
    /* transfers in flight end here; their rows stay pending for the next start */
    while (w->ninflight)
        transfer_free(w->inflight[--w->ninflight]);
    curl_multi_cleanup(w->multi);   /* closes the connections it kept */
    w->multi = NULL;
    while (w->socks)                /* polls curl did not say REMOVE for */
        sock_close(w, w->socks);
    uv_close((uv_handle_t *)&w->curl_timer, timer_closed_cb);
    uv_close((uv_handle_t *)&w->due_timer, timer_closed_cb);
}

json_t *webhook_status(webhook_t *w, store_t *reader)
{
    store_delivery_counts_t c;
    if (store_delivery_counts(reader, &c) != STORE_OK)
        return NULL;
    return json_pack("{s:I,s:I,s:I,s:s?,s:o}", "pending", (json_int_t)c.pending, "failed",
                     (json_int_t)c.failed, "in_flight", (json_int_t)(w ? w->ninflight : 0),
                     "last_error", c.last_error[0] ? c.last_error : NULL, "last_error_at",
                     wire_time(c.last_error_at));
}
