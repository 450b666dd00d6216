/* resolver.h -- asynchronous host name lookups for the egress proxy: c-ares driven on the
 * libuv loop (uv_poll per socket, one timer), never on the thread pool. Answers are cached
 * (positive ones for their TTL, at most RESOLVER_MAX_TTL_S; failures, timeouts included,
 * for RESOLVER_NEG_TTL_S), and concurrent lookups of one name share one query. Loop
 * thread only. */
#ifndef LS_RESOLVER_H
#define LS_RESOLVER_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define RESOLVER_MAX_ADDRS 16
#define RESOLVER_MAX_TTL_S 300
#define RESOLVER_NEG_TTL_S 30

typedef struct resolver resolver_t;
typedef struct resolver_query resolver_query_t;

typedef struct {
    int n;
    struct sockaddr_storage addr[RESOLVER_MAX_ADDRS];   /* port 0 */
} resolver_addrs_t;

typedef struct {
    uint64_t queries;      /* sent to the name servers */
    uint64_t coalesced;    /* lookups that joined a query already in flight */
    uint64_t cache_hits;   /* answered from the cache, positive */
    uint64_t negative_hits;/* answered from the cache, a cached failure */
    uint64_t failures;     /* queries that ended without an address */
} resolver_stats_t;

/* status 0: addrs holds at least one address (borrowed for the callback's duration);
 * else a negative code and err a sentence naming the host. */
typedef void (*resolver_done_cb)(int status, const resolver_addrs_t *addrs, const char *err,
                                 void *ud);

/* servers: "" = the system's (/etc/resolv.conf), else c-ares CSV "ip[:port],..." (IPv6 as
 * [ip]:port). timeout_ms: per try; 0 = 5000. Returns NULL with err filled on failure. */
resolver_t *resolver_new(uv_loop_t *loop, const char *servers, int timeout_ms, char *err,
                         size_t errlen);
/* Looks host up (a name, not an address literal). A cached answer calls done before this
 * returns, and NULL is returned; otherwise done runs later from the loop and the query's
 * handle is returned (for resolver_cancel). Out of memory also calls done at once. */
resolver_query_t *resolver_lookup(resolver_t *r, const char *host, resolver_done_cb done, void *ud);
/* The waiter behind q will not be called back. q is invalid afterwards. */
void resolver_cancel(resolver_query_t *q);
void resolver_get_stats(const resolver_t *r, resolver_stats_t *out);
/* Drops the cache (tests, SIGHUP). */
void resolver_flush(resolver_t *r);
/* Ends every lookup (their callbacks are not called), closes the handles; memory is
 * released once libuv closed them. Accepts NULL. */
void resolver_free(resolver_t *r);

#endif
