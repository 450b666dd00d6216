/* egress.h -- the egress proxy: every connection a captured page makes goes through one of
 * these listeners (one per browser context, so each connection belongs to one capture).
 *   - CONNECT host:port is an opaque TCP tunnel, whatever the port (https, wss, ws);
 *   - absolute-form plain http (GET http://host/path) is forwarded in origin form, with
 *     keep-alive, Content-Length and chunked bodies both ways, and 101 upgrades;
 *   - names are resolved with the resolver (c-ares on the loop), every address is checked
 *     with the address rules (guard.h), and the connection goes to exactly the address
 *     that was checked; a refusal or a failed lookup is a refusal (fails closed);
 *   - requests, bytes and refusals are counted; each refusal is logged naming the
 *     listener's label (the job) and reported to the owner.
 * Loop thread only. Knows nothing of jobs, the store or DevTools. */
#ifndef LS_EGRESS_H
#define LS_EGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "resolver.h"

typedef struct egress egress_t;

typedef struct {
    uint64_t requests;     /* tunnels opened + plain http requests forwarded or refused */
    uint64_t bytes;        /* payload relayed, both directions */
    uint64_t refused;      /* by the address rules or a failed lookup */
} egress_stats_t;

/* A connection was refused. host is the name or address asked for; top = 1 when it is the
 * capture's top document host (egress_set_top_host). */
typedef void (*egress_refused_cb)(egress_t *x, const char *host, int port, int top,
                                  const char *why, void *ud);

typedef struct {
    resolver_t *resolver;      /* borrowed; must outlive the listener */
    int deny_private;
    const char *bind_ip;       /* NULL or "" = 127.0.0.1 */
    const char *peer_ip;       /* NULL or "" = any peer; else only this address may connect */
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
/* The host of the capture's top document (the link's, then each redirect's). The first
 * connection to it decides private network access: when its addresses are public (or
 * before it is known), loopback and private addresses are refused for the capture. */
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
