/* egress.h -- the egress proxy: every connection a captured page makes goes through one of
 * these listeners (one per browser context, so each connection belongs to one capture).
 *   - CONNECT host:port is an opaque TCP tunnel, whatever the port (https, wss, ws);
 *   - absolute-form plain http (GET http://host/path) is forwarded in origin form, with
 *     keep-alive, Content-Length and chunked bodies both ways, and 101 upgrades;
 *   - names are resolved with the resolver (c-ares on the loop), every address is checked
 *     with the address rules (guard.h), and the connection goes to exactly the address
 *     that was checked; a refusal or a failed lookup is a refusal (fails closed);
 *   - the capture's network side (public or private) is fixed once, by the address the
 *     link's own first connection used: a public capture never reaches a loopback or
 *     private address; a host answering addresses of both sides is refused;
 *   - only our browser may use a listener: on loopback the peer socket's owner must be the
 *     browser's uid, a remote browser's listener takes only its address;
 *   - a request head must arrive within head_timeout_ms; connections are capped per
 *     listener and in total (egress_limits_t), so that the daemon keeps descriptors;
 *   - requests, bytes and refusals are counted; each refusal is logged naming the
 *     listener's label (the job) and reported to the owner.
 * Loop thread only. Knows nothing of jobs, the store or DevTools. */
#ifndef LS_EGRESS_H
#define LS_EGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "resolver.h"

typedef struct egress egress_t;

typedef struct {
    uint64_t requests;     /* tunnels opened + plain http requests forwarded or refused */
    uint64_t bytes;        /* payload relayed, both directions */
    uint64_t refused;      /* by the address rules or a failed lookup */
    uint64_t unauthorised; /* connections from a peer other than the browser, closed unread */
    uint64_t over_cap;     /* connections closed unread: a connection cap was reached */
    uint64_t head_timeouts;/* connections closed: no complete request head in time */
    uint64_t open;         /* not a count: the browser's connections open now */
} egress_stats_t;

/* The connection caps every listener of a daemon shares (the owner keeps it, and it must
 * outlive every listener given it). Each proxied connection holds two descriptors (the
 * browser's side and the server's); the rest of the process limit stays free for the
 * control socket, the web page, the store and the browser's pipes. */
typedef struct {
    int max_open;          /* proxied connections across every listener at once */
    int open;              /* now; kept by egress.c */
} egress_limits_t;

#define EGRESS_MAX_CONNS 256          /* per listener, unless egress_opts_t says */
#define EGRESS_HEAD_TIMEOUT_MS 10000  /* for a request head, unless egress_opts_t says */

/* Sizes l->max_open from RLIMIT_NOFILE: (limit - reserve) / 2, where reserve = 0 means a
 * quarter of the limit, at least 256 descriptors. */
void egress_limits_init(egress_limits_t *l, int reserve);

/* A connection was refused. host is the name or address asked for; top = 1 when it is the
 * capture's top document host (egress_set_top_host). */
typedef void (*egress_refused_cb)(egress_t *x, const char *host, int port, int top,
                                  const char *why, void *ud);

typedef struct {
    resolver_t *resolver;      /* borrowed; must outlive the listener */
    int deny_private;
    const char *bind_ip;       /* NULL or "" = 127.0.0.1 */
    const char *peer_ip;       /* a remote browser: only this address may connect; NULL or ""
                                * = a local browser: only sockets of peer_uid may connect */
    int peer_uid_set;          /* 0 = peer_uid is this process's effective uid (the browser
                                * runs as linksnapd) */
    uid_t peer_uid;
    egress_limits_t *limits;   /* borrowed; NULL = no cap across listeners */
    int max_conns;             /* this listener's cap; 0 = EGRESS_MAX_CONNS */
    int head_timeout_ms;       /* 0 = EGRESS_HEAD_TIMEOUT_MS */
    const char *label;         /* "job 12": names the capture in refusals */
    egress_refused_cb refused; /* optional */
    void *ud;
} egress_opts_t;

/* Binds bind_ip on a port the kernel chooses and listens. NULL with err on failure. */
egress_t *egress_new(uv_loop_t *loop, const egress_opts_t *o, char *err, size_t errlen);
/* The listening port. */
int egress_port(const egress_t *x);
/* "ip:port" for Target.createBrowserContext's proxyServer. */
const char *egress_address(const egress_t *x);
/* The host of the capture's top document (the link's, then each redirect's or
 * navigation's): a refusal of a connection to it is reported with top = 1. The first host
 * given is the link's: the first connection made to it fixes the capture's network side
 * for the life of the listener, from the address that connection used (private only when
 * that address is, which deny_private refuses). Until then, and for ever on a public
 * side, loopback and private addresses are refused for every other host; later top hosts
 * never change the side. A listener never given a top host refuses every connection. */
void egress_set_top_host(egress_t *x, const char *host);
void egress_get_stats(const egress_t *x, egress_stats_t *out);
/* Hands the listener to a new owner (a context made ahead of its capture): the label its
 * log lines carry and the refusal callback. */
void egress_set_owner(egress_t *x, const char *label, egress_refused_cb refused, void *ud);
/* 1 when a connection to host was refused (among the last EGRESS_REFUSALS_KEPT refusals),
 * with the reason in why; else 0. */
#define EGRESS_REFUSALS_KEPT 32
int egress_refusal(const egress_t *x, const char *host, char *why, size_t whylen);
/* Stops listening, closes every connection; memory goes once libuv closed the handles.
 * Accepts NULL. The refused callback is not called afterwards. */
void egress_free(egress_t *x);

#endif
