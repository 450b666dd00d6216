/* resolver.c -- c-ares on the libuv loop (see resolver.h): c-ares tells us which sockets it
 * wants watched (sock_state_cb) and we give each a uv_poll; one uv_timer follows
 * ares_timeout. On top: an answer cache (failures too, so a name that takes 5 s to fail
 * costs 5 s once) and coalescing (lookups of a name already in flight wait on that query).
 * Knows nothing of the proxy or the address rules. */
#include "resolver.h"

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 1024

typedef struct pending pending_t;

struct resolver_query {
    pending_t *p;
    resolver_done_cb done;
    void *ud;
    resolver_query_t *next, *prev;
};

struct pending {
    resolver_t *r;
    char host[256];
    resolver_query_t *waiters;
    int starting, finished;
    pending_t *next;
};

typedef struct {
    char host[256];
    int status;
    char err[200];
    resolver_addrs_t addrs;
    uint64_t expires;
} cache_entry_t;

typedef struct poll_ent {
    uv_poll_t h;
    resolver_t *r;
    ares_socket_t fd;
    struct poll_ent *next;
} poll_ent_t;

struct resolver {
    uv_loop_t *loop;
    ares_channel ch;
    int ch_ok;
    uv_timer_t timer;
    poll_ent_t *polls;
    pending_t *pending;
    cache_entry_t *cache;
    int ncache;
    int handles_open, freeing;
    resolver_stats_t stats;
};

static void maybe_release(resolver_t *r)
{
    if (r->freeing && r->handles_open == 0) {
        free(r->cache);
        free(r);
    }
}

static void handle_closed_cb(uv_handle_t *h)
{
    resolver_t *r;
    if (h->type == UV_POLL) {
        poll_ent_t *pe = h->data;
        r = pe->r;
        free(pe);
    } else {
        r = h->data;
    }
    r->handles_open--;
    maybe_release(r);
}

static void timer_cb(uv_timer_t *t);

static void reset_timer(resolver_t *r)
{
    if (r->freeing)
        return;
    struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);
    if (!tvp) {
        uv_timer_stop(&r->timer);
        return;
    }
    uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
    uv_timer_start(&r->timer, timer_cb, ms ? ms : 1, 0);
}

static void timer_cb(uv_timer_t *t)
{
    resolver_t *r = t->data;
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    reset_timer(r);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    poll_ent_t *pe = h->data;
    resolver_t *r = pe->r;
    ares_socket_t fd = pe->fd;
    /* an error on the socket: let c-ares read and write it and find out itself */
    ares_process_fd(r->ch, (status < 0 || (events & UV_READABLE)) ? fd : ARES_SOCKET_BAD,
                    (status < 0 || (events & UV_WRITABLE)) ? fd : ARES_SOCKET_BAD);
    reset_timer(r);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    resolver_t *r = data;
    poll_ent_t **pp = &r->polls, *pe;
    while ((pe = *pp) && pe->fd != fd)
        pp = &pe->next;
    if (!readable && !writable) {
        if (pe) {
            *pp = pe->next;
            uv_poll_stop(&pe->h);
            uv_close((uv_handle_t *)&pe->h, handle_closed_cb);
        }
        return;
    }
    if (!pe) {
        pe = calloc(1, sizeof *pe);
        if (!pe)
            return;   /* the query times out instead */
        if (uv_poll_init_socket(r->loop, &pe->h, fd) != 0) {
            free(pe);
            return;
        }
        pe->r = r;
        pe->fd = fd;
        pe->h.data = pe;
        pe->next = r->polls;
        r->polls = pe;
        r->handles_open++;
    }
    uv_poll_start(&pe->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), poll_cb);
}

static cache_entry_t *cache_find(resolver_t *r, const char *host)
{
    uint64_t now = uv_now(r->loop);
    for (int i = 0; i < r->ncache; i++)
        if (r->cache[i].expires > now && !strcmp(r->cache[i].host, host))
            return &r->cache[i];
    return NULL;
}

static void cache_store(resolver_t *r, const char *host, int status, const char *err,
                        const resolver_addrs_t *a, uint64_t ttl_ms)
{
    if (!r->cache)
        return;
    uint64_t now = uv_now(r->loop);
    cache_entry_t *slot = NULL;
    for (int i = 0; i < r->ncache && !slot; i++)
        if (r->cache[i].expires <= now || !strcmp(r->cache[i].host, host))
            slot = &r->cache[i];
    if (!slot && r->ncache < CACHE_MAX)
        slot = &r->cache[r->ncache++];
    if (!slot) {   /* full of live entries: the one that expires first goes */
        slot = &r->cache[0];
        for (int i = 1; i < r->ncache; i++)
            if (r->cache[i].expires < slot->expires)
                slot = &r->cache[i];
    }
    snprintf(slot->host, sizeof slot->host, "%s", host);
    slot->status = status;
    snprintf(slot->err, sizeof slot->err, "%s", err ? err : "");
    if (a)
        slot->addrs = *a;
    else
        slot->addrs.n = 0;
    slot->expires = now + ttl_ms;
}

static void waiter_unlink(resolver_query_t *q)
{
    pending_t *p = q->p;
    if (q->prev)
        q->prev->next = q->next;
    else
        p->waiters = q->next;
    if (q->next)
        q->next->prev = q->prev;
}

static void pending_unlink(resolver_t *r, pending_t *p)
{
    for (pending_t **pp = &r->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void addrinfo_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    pending_t *p = arg;
    resolver_t *r = p->r;
    (void)timeouts;
    if (r->freeing) {   /* ares_destroy ends every query: nobody waits any more */
        while (p->waiters) {
            resolver_query_t *q = p->waiters;
            waiter_unlink(q);
            free(q);
        }
        if (res)
            ares_freeaddrinfo(res);
        free(p);
        return;
    }
    resolver_addrs_t addrs = {0};
    int ttl = RESOLVER_MAX_TTL_S;
    char err[200] = "";
    if (status == ARES_SUCCESS && res) {
        for (struct ares_addrinfo_node *n = res->nodes; n && addrs.n < RESOLVER_MAX_ADDRS; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6)
                continue;
            size_t len = n->ai_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
            memset(&addrs.addr[addrs.n], 0, sizeof addrs.addr[0]);
            memcpy(&addrs.addr[addrs.n], n->ai_addr, len);
            if (n->ai_ttl >= 0 && n->ai_ttl < ttl)
                ttl = n->ai_ttl;
            addrs.n++;
        }
    }
    if (res)
        ares_freeaddrinfo(res);
    int rc = 0;
    if (addrs.n == 0) {
        rc = -1;
        r->stats.failures++;
        if (status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA)
            snprintf(err, sizeof err, "%s: no such host (DNS)", p->host);
        else if (status == ARES_ETIMEOUT)
            snprintf(err, sizeof err, "%s: the name servers did not answer in time (DNS)", p->host);
        else
            snprintf(err, sizeof err, "%s: lookup failed: %s (DNS)", p->host, ares_strerror(status));
        cache_store(r, p->host, rc, err, NULL, (uint64_t)RESOLVER_NEG_TTL_S * 1000);
    } else {
        cache_store(r, p->host, 0, NULL, &addrs, (uint64_t)ttl * 1000);
    }
    pending_unlink(r, p);
    p->finished = 1;
    /* one at a time: a callback may cancel another waiter of this query */
    while (p->waiters) {
        resolver_query_t *q = p->waiters;
        waiter_unlink(q);
        q->done(rc, rc ? NULL : &addrs, rc ? err : NULL, q->ud);
        free(q);
    }
    if (!p->starting)
        free(p);
}

/* Sends the query of a new pending entry. Returns 1 when c-ares answered before returning
 * (hosts file): the waiters were called back and p is freed. */
static int pending_send(resolver_t *r, pending_t *p)
{
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    r->stats.queries++;
    p->starting = 1;
    ares_getaddrinfo(r->ch, p->host, NULL, &hints, addrinfo_cb, p);
    p->starting = 0;
    reset_timer(r);
    if (p->finished) {
        free(p);
        return 1;
    }
    return 0;
}

resolver_t *resolver_new(uv_loop_t *loop, const char *servers, int timeout_ms, char *err,
                         size_t errlen)
{
    static int lib_ready;
    if (!lib_ready) {
        int lrc = ares_library_init(ARES_LIB_INIT_ALL);
        if (lrc != ARES_SUCCESS) {
            snprintf(err, errlen, "cannot initialise c-ares: %s", ares_strerror(lrc));
            return NULL;
        }
        lib_ready = 1;
    }
    resolver_t *r = calloc(1, sizeof *r);
    if (!r || !(r->cache = calloc(CACHE_MAX, sizeof *r->cache))) {
        if (r)
            free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->loop = loop;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = r;
    o.timeout = timeout_ms > 0 ? timeout_ms : 5000;
    o.tries = 1;
    int rc = ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "cannot start the DNS resolver: %s", ares_strerror(rc));
        goto fail;
    }
    r->ch_ok = 1;
    if (servers && *servers) {
        rc = ares_set_servers_ports_csv(r->ch, servers);
        if (rc != ARES_SUCCESS) {
            snprintf(err, errlen, "dns_servers: '%s' is not a list of ip[:port]: %s", servers,
                     ares_strerror(rc));
            goto fail;
        }
    }
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    r->handles_open = 1;
    return r;
fail:
    if (r->ch_ok)
        ares_destroy(r->ch);
    free(r->cache);
    free(r);
    return NULL;
}

resolver_query_t *resolver_lookup(resolver_t *r, const char *host, resolver_done_cb done, void *ud)
{
    cache_entry_t *c = cache_find(r, host);
    if (c) {
        if (c->status == 0) {
            r->stats.cache_hits++;
            resolver_addrs_t a = c->addrs;   /* the callback may start lookups that evict c */
            done(0, &a, NULL, ud);
        } else {
            r->stats.negative_hits++;
            char e[200];
            snprintf(e, sizeof e, "%s", c->err);
            done(c->status, NULL, e, ud);
        }
        return NULL;
    }
    resolver_query_t *q = calloc(1, sizeof *q);
    if (!q) {
        char e[300];
        snprintf(e, sizeof e, "%.255s: out of memory for the lookup", host);
        done(-1, NULL, e, ud);
        return NULL;
    }
    q->done = done;
    q->ud = ud;
    pending_t *p = r->pending;
    while (p && strcmp(p->host, host))
        p = p->next;
    int fresh = !p;
    if (p) {
        r->stats.coalesced++;
    } else {
        p = calloc(1, sizeof *p);
        if (!p) {
            free(q);
            char e[300];
            snprintf(e, sizeof e, "%.255s: out of memory for the lookup", host);
            done(-1, NULL, e, ud);
            return NULL;
        }
        p->r = r;
        snprintf(p->host, sizeof p->host, "%s", host);
        p->next = r->pending;
        r->pending = p;
    }
    q->p = p;
    q->next = p->waiters;
    if (p->waiters)
        p->waiters->prev = q;
    p->waiters = q;
    if (fresh && pending_send(r, p))
        return NULL;   /* answered at once: q was called back and freed */
    return q;
}

void resolver_cancel(resolver_query_t *q)
{
    if (!q)
        return;
    waiter_unlink(q);
    free(q);
}

void resolver_get_stats(const resolver_t *r, resolver_stats_t *out)
{
    *out = r->stats;
}

void resolver_flush(resolver_t *r)
{
    r->ncache = 0;
}

void resolver_free(resolver_t *r)
{
    if (!r)
        return;
    r->freeing = 1;
    uv_timer_stop(&r->timer);
    ares_destroy(r->ch);   /* each query's callback runs with ARES_EDESTRUCTION */
    while (r->polls) {     /* c-ares normally reported each socket closed already */
        poll_ent_t *pe = r->polls;
        r->polls = pe->next;
        uv_poll_stop(&pe->h);
        uv_close((uv_handle_t *)&pe->h, handle_closed_cb);
    }
    uv_close((uv_handle_t *)&r->timer, handle_closed_cb);
}
