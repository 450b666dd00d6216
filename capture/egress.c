/* egress.c -- the egress proxy (see egress.h): one loopback listener per browser context.
 * A connection reads one request head; CONNECT becomes an opaque tunnel, absolute-form
 * http is forwarded in origin form with its body framed (Content-Length or chunked) both
 * ways so that keep-alive works and the next request may go elsewhere. The bytes are
 * parsed by http1.c; this file does the I/O. Before any upstream connection the target
 * is parsed once by guard.c into an address or a name, a name resolved (resolver.c) and
 * every address checked (guard.c); the socket then connects to that checked address.
 * Knows nothing of jobs. */
#include "egress.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "buf.h"
#include "guard.h"
#include "http1.h"
#include "log.h"
#include "sockowner.h"

#define HEAD_MAX HTTP1_HEAD_MAX  /* request or response head */
#define HIGH_WATER (1u << 20)       /* queued for one side before the other stops reading */
#define IN_MAX (256u << 10)         /* the browser's bytes held while a lookup, a connect or a
                                     * response runs (reading pauses at 64 KiB; a read adds at
                                     * most 64 KiB more) */

/* ---- connections ------------------------------------------------------------------------ */

typedef enum { S_HEAD, S_LOOKUP, S_CONNECTING, S_TUNNEL, S_REQ_BODY, S_RESP, S_CLOSING } cstate_t;

typedef struct conn conn_t;

/* The capture's network side: fixed by the address of the link's first connection. */
typedef enum { SIDE_UNKNOWN, SIDE_PUBLIC, SIDE_PRIVATE } side_t;

typedef struct {
    uv_tcp_t h;
    conn_t *c;
} up_t;

struct conn {
    egress_t *x;
    uv_tcp_t down;
    uv_timer_t head_timer;     /* a request head must be complete before it fires */
    int counted;               /* held a place in the caps (an authorised peer) */
    up_t *up;                  /* NULL when no upstream connection */
    int up_connected, up_eof, down_eof, down_reading, up_reading;
    int handles;               /* open handles (down + upstreams), freed at 0 */
    cstate_t st;
    int tunnel;                /* CONNECT */
    char host[256];
    int port;
    char up_host[256];         /* host:port of the open upstream, for reuse */
    int up_port;
    uint8_t up_addr[16];       /* the checked address it connected to */
    buf_t in;                  /* bytes read from the browser not yet used (capped: IN_MAX) */
    char *up_head;             /* the request head for the server, origin form */
    size_t up_head_len;
    http1_frame_t req, resp;
    int head_req, client_close, resp_close, resp_in_head, upgrade_req;
    char rbuf[HEAD_MAX];       /* response head being read */
    size_t rlen;
    resolver_query_t *q;
    resolver_addrs_t addrs;
    int addr_i;
    uv_connect_t creq;
    int shutdowns, finishing;
    conn_t *next, *prev;
};

struct egress {
    uv_loop_t *loop;
    uv_tcp_t lis;
    int lis_open, freeing;
    int nconns;                /* conn structs alive (closing ones too) */
    int nactive;               /* authorised connections open: this listener's cap counts them */
    conn_t *conns;
    resolver_t *res;
    int deny_private;
    int port;
    char addr[80];
    char label[64];
    int have_peer;
    uint8_t peer[16];
    uid_t peer_uid;            /* a local browser's (when !have_peer) */
    egress_limits_t *limits;
    int max_conns, head_timeout_ms;
    char link_host[256];       /* the first top host: only its connection fixes the side */
    char top_host[256];
    side_t side;
    egress_stats_t stats;
    struct { char host[256]; char why[300]; } refusals[EGRESS_REFUSALS_KEPT];
    int nrefusals;             /* written so far; the ring holds the last ones */
    egress_refused_cb refused;
    void *ud;
};

static void conn_close(conn_t *c);
static void update_reading(conn_t *c);
static void process_down(conn_t *c);
static void head_timer_start(conn_t *c);

static void maybe_free_egress(egress_t *x)
{
    if (x->freeing && !x->lis_open && x->nconns == 0)
        free(x);
}

static void conn_handle_closed(conn_t *c)
{
    if (--c->handles > 0)
        return;
    egress_t *x = c->x;
    buf_free(&c->in);
    free(c->up_head);
    free(c);
    x->nconns--;
    maybe_free_egress(x);
}

static void down_closed_cb(uv_handle_t *h)
{
    conn_handle_closed(h->data);
}

static void head_timer_closed_cb(uv_handle_t *h)
{
    conn_handle_closed(h->data);
}

static void up_closed_cb(uv_handle_t *h)
{
    up_t *u = h->data;
    conn_t *c = u->c;
    free(u);
    conn_handle_closed(c);
}

static void up_drop(conn_t *c)
{
    if (!c->up)
        return;
    uv_close((uv_handle_t *)&c->up->h, up_closed_cb);
    c->up = NULL;
    c->up_connected = c->up_eof = c->up_reading = 0;
    c->up_host[0] = '\0';
}

static void conn_close(conn_t *c)
{
    if (c->st == S_CLOSING)
        return;
    c->st = S_CLOSING;
    if (c->q) {
        resolver_cancel(c->q);
        c->q = NULL;
    }
    up_drop(c);
    uv_close((uv_handle_t *)&c->head_timer, head_timer_closed_cb);
    uv_close((uv_handle_t *)&c->down, down_closed_cb);   /* the descriptor goes now */
    egress_t *x = c->x;
    if (c->counted) {
        c->counted = 0;
        x->nactive--;
        if (x->limits)
            x->limits->open--;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        x->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

typedef struct {
    uv_write_t w;
    conn_t *c;
    char data[];
} wreq_t;

static void write_cb(uv_write_t *w, int status)
{
    wreq_t *wr = (wreq_t *)w;
    conn_t *c = wr->c;
    free(wr);
    if (c->st == S_CLOSING)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    update_reading(c);
}

/* Queues n bytes for a stream of c; counts them as relayed when `relay`. */
static int send_bytes(conn_t *c, uv_stream_t *s, const char *p, size_t n, int relay)
{
    if (!n)
        return 0;
    wreq_t *wr = malloc(sizeof *wr + n);
    if (!wr)
        return -1;
    wr->c = c;
    memcpy(wr->data, p, n);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
    if (uv_write(&wr->w, s, &b, 1, write_cb) != 0) {
        free(wr);
        return -1;
    }
    if (relay)
        c->x->stats.bytes += n;
    return 0;
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    (void)status;
    free(req);
    if (c->st == S_CLOSING)
        return;
    if (--c->shutdowns <= 0 && (c->finishing || (c->down_eof && c->up_eof)))
        conn_close(c);
}

/* Ends c once what is queued for the browser has been written. */
static void conn_finish(conn_t *c)
{
    if (c->st == S_CLOSING)
        return;
    if (c->finishing)
        return;
    c->finishing = 1;
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->down, shutdown_cb) != 0) {
        free(req);
        conn_close(c);
        return;
    }
    req->data = c;
    c->shutdowns++;
    uv_read_stop((uv_stream_t *)&c->down);
    c->down_reading = 0;
    if (c->up) {
        uv_read_stop((uv_stream_t *)&c->up->h);
        c->up_reading = 0;
    }
}

static void reply_error(conn_t *c, int code, const char *reason, const char *why)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Connection: close\r\nContent-Length: %zu\r\n\r\n%s\n",
                     code, reason, strlen(why) + 1, why);
    if (n > (int)sizeof msg - 1)
        n = (int)sizeof msg - 1;
    send_bytes(c, (uv_stream_t *)&c->down, msg, (size_t)n, 0);
    conn_finish(c);
}

static void refuse(conn_t *c, const char *why)
{
    egress_t *x = c->x;
    x->stats.refused++;
    int top = x->top_host[0] && !strcmp(c->host, x->top_host);
    log_info("egress%s%s: refused %s:%d: %s", x->label[0] ? " " : "", x->label, c->host, c->port, why);
    int slot = x->nrefusals++ % EGRESS_REFUSALS_KEPT;
    snprintf(x->refusals[slot].host, sizeof x->refusals[slot].host, "%s", c->host);
    snprintf(x->refusals[slot].why, sizeof x->refusals[slot].why, "%s", why);
    if (x->refused && !x->freeing)
        x->refused(x, c->host, c->port, top, why, x->ud);
    reply_error(c, 403, "Forbidden", why);
}

/* ---- reading ---------------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    b->base = malloc(65536);
    b->len = b->base ? 65536 : 0;
}

static void down_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void up_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static void update_reading(conn_t *c)
{
    if (c->st == S_CLOSING || c->finishing)
        return;
    int up_full = c->up && c->up->h.write_queue_size > HIGH_WATER;
    int down_full = c->down.write_queue_size > HIGH_WATER;
    /* while a lookup, a connect or a response runs, the browser's next bytes wait in buf
     * (bounded); a body being forwarded and a tunnel go straight through */
    int want_down = !c->down_eof && !up_full &&
                    (c->st == S_TUNNEL || c->st == S_REQ_BODY || c->in.len < 65536);
    int want_up = c->up && c->up_connected && !c->up_eof && !down_full &&
                  (c->st == S_TUNNEL || c->st == S_REQ_BODY || c->st == S_RESP || c->st == S_HEAD);
    if (want_down && !c->down_reading) {
        if (uv_read_start((uv_stream_t *)&c->down, alloc_cb, down_read_cb) == 0)
            c->down_reading = 1;
    } else if (!want_down && c->down_reading) {
        uv_read_stop((uv_stream_t *)&c->down);
        c->down_reading = 0;
    }
    if (want_up && !c->up_reading) {
        if (uv_read_start((uv_stream_t *)&c->up->h, alloc_cb, up_read_cb) == 0)
            c->up_reading = 1;
    } else if (!want_up && c->up_reading && c->up) {
        uv_read_stop((uv_stream_t *)&c->up->h);
        c->up_reading = 0;
    }
}


/* The request of c is complete both ways: back to reading the next one. */
static void exchange_done(conn_t *c)
{
    if (c->client_close || c->resp_close) {
        conn_finish(c);
        return;
    }
    c->st = S_HEAD;
    head_timer_start(c);
    update_reading(c);
    if (c->in.len)
        process_down(c);
}

/* Feeds browser bytes of a request body to the server; keeps what follows it. */
static void feed_request_body(conn_t *c)
{
    if (c->req.done || !c->in.len)
        goto check;
    long k = http1_frame_take(&c->req, c->in.data, c->in.len);
    if (k < 0) {
        reply_error(c, 400, "Bad Request", "the request's chunked body is malformed");
        return;
    }
    if (send_bytes(c, (uv_stream_t *)&c->up->h, c->in.data, (size_t)k, 1) != 0) {
        conn_close(c);
        return;
    }
    buf_consume(&c->in, (size_t)k);
check:
    if (c->req.done && c->st == S_REQ_BODY) {
        c->st = S_RESP;
        update_reading(c);
        if (c->resp.done && !c->resp_in_head)
            exchange_done(c);
    }
}

/* Reads the response head in rbuf: sets the response's framing. 0 = fine, 1 = a 1xx that
 * another head follows, 2 = 101 Switching Protocols, -1 = malformed. */
static int response_head(conn_t *c, size_t hlen)
{
    int status;
    http1_head_info_t hi;
    if (http1_parse_response(c->rbuf, hlen, &status, &hi) != 0)
        return -1;
    if (status == 101)
        return c->upgrade_req ? 2 : -1;
    if (status >= 100 && status < 200)
        return 1;
    c->resp_close = hi.close;
    if (c->head_req || status == 204 || status == 304)
        http1_frame_init(&c->resp, HTTP1_F_NONE, 0);
    else if (hi.chunked)
        http1_frame_init(&c->resp, HTTP1_F_CHUNKED, 0);
    else if (hi.has_len)
        http1_frame_init(&c->resp, HTTP1_F_LEN, hi.len);
    else {
        http1_frame_init(&c->resp, HTTP1_F_CLOSE, 0);
        c->resp_close = 1;
    }
    return 0;
}

static void up_data(conn_t *c, const char *p, size_t n)
{
    if (c->st == S_TUNNEL) {
        if (send_bytes(c, (uv_stream_t *)&c->down, p, n, 1) != 0)
            conn_close(c);
        return;
    }
    while (n > 0 && c->st != S_CLOSING) {
        if (c->resp_in_head) {
            size_t room = sizeof c->rbuf - c->rlen, k = n < room ? n : room;
            memcpy(c->rbuf + c->rlen, p, k);
            size_t old = c->rlen;
            c->rlen += k;
            size_t end = http1_head_end(c->rbuf, c->rlen);
            if (!end) {
                if (c->rlen == sizeof c->rbuf) {
                    reply_error(c, 502, "Bad Gateway", "the server's response head is too large");
                    return;
                }
                return;   /* k == n */
            }
            size_t used = end - old;
            int rc = response_head(c, end);
            if (rc < 0) {
                reply_error(c, 502, "Bad Gateway", "the server's response is not valid HTTP/1.1");
                return;
            }
            if (send_bytes(c, (uv_stream_t *)&c->down, c->rbuf, end, 1) != 0) {
                conn_close(c);
                return;
            }
            c->rlen = 0;
            p += used;
            n -= used;
            if (rc == 1)
                continue;          /* 100 Continue: the real head follows */
            if (rc == 2) {         /* websocket over plain http: both ways opaque now */
                c->st = S_TUNNEL;
                c->resp_in_head = 0;
                if (c->in.len) {
                    send_bytes(c, (uv_stream_t *)&c->up->h, c->in.data, c->in.len, 1);
                    buf_reset(&c->in);
                }
                if (n)
                    send_bytes(c, (uv_stream_t *)&c->down, p, n, 1);
                update_reading(c);
                return;
            }
            c->resp_in_head = 0;
        } else if (!c->resp.done) {
            long k = http1_frame_take(&c->resp, p, n);
            if (k < 0) {
                conn_close(c);   /* mid-body: nothing sensible left to tell the browser */
                return;
            }
            if (send_bytes(c, (uv_stream_t *)&c->down, p, (size_t)k, 1) != 0) {
                conn_close(c);
                return;
            }
            p += k;
            n -= (size_t)k;
        } else {
            /* bytes after a complete response, before any request: a broken server */
            up_drop(c);
            return;
        }
        if (!c->resp_in_head && c->resp.done) {
            if (c->st == S_RESP)
                exchange_done(c);
            else if (n)
                break;
        }
    }
    if (n && c->st != S_CLOSING && c->up)
        up_drop(c);
}

static void up_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    up_t *u = s->data;
    conn_t *c = u->c;
    if (nread > 0)
        up_data(c, b->base, (size_t)nread);
    free(b->base);
    if (nread >= 0 || c->st == S_CLOSING || c->up != u)
        return;
    /* the server ended its side */
    c->up_eof = 1;
    uv_read_stop(s);
    c->up_reading = 0;
    if (c->st == S_TUNNEL) {
        conn_finish(c);
    } else if (!c->resp_in_head && c->resp.mode == HTTP1_F_CLOSE && !c->resp.done) {
        c->resp.done = 1;   /* a body delimited by the close */
        conn_finish(c);
    } else if (c->st == S_HEAD && !c->rlen) {
        up_drop(c);         /* an idle keep-alive connection went away */
    } else {
        conn_close(c);      /* mid-response */
    }
}

/* The rules a connection of the capture meets: private network access is refused unless
 * the capture's side was fixed private (until it is fixed, only the link's own host may be
 * private: check_addrs). */
static guard_rules_t side_rules(const egress_t *x)
{
    return (guard_rules_t){.deny_private = x->deny_private, .top_public = x->side != SIDE_PRIVATE};
}

/* 1 when the 16-byte address a is loopback, private, shared or unspecified. */
static int addr_is_private(const uint8_t a[16])
{
    char ip[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, a, ip, sizeof ip) && guard_is_private(ip);
}

/* ---- upstream --------------------------------------------------------------------------- */

static void try_connect(conn_t *c);

static void connect_cb(uv_connect_t *req, int status)
{
    up_t *u = (up_t *)req->handle;
    conn_t *c = u->c;
    if (c->st == S_CLOSING || c->up != u)
        return;
    if (status < 0) {
        up_drop(c);
        c->addr_i++;
        try_connect(c);
        return;
    }
    /* the side: fixed by the link's first connection, then held. Another connection to
     * the link's host may have been checked before that one fixed it (a TTL 0 answer that
     * changed in between): it must be on the same side or go. */
    int priv = addr_is_private(c->up_addr);
    if (c->x->side == SIDE_UNKNOWN && c->x->link_host[0] && !strcmp(c->host, c->x->link_host)) {
        c->x->side = priv ? SIDE_PRIVATE : SIDE_PUBLIC;
        log_debug("egress%s%s: the capture is on a %s network (%s)", c->x->label[0] ? " " : "",
                  c->x->label, priv ? "private" : "public", c->host);
    } else if (priv && c->x->side != SIDE_PRIVATE) {
        char why[300];
        guard_rules_t rules = side_rules(c->x);
        if (guard_check_addr(&rules, c->up_addr, why, sizeof why) == GUARD_ALLOW)
            snprintf(why, sizeof why, "refused: %s is on a private network and the capture is not", c->host);
        up_drop(c);
        refuse(c, why);
        return;
    }
    c->up_connected = 1;
    uv_tcp_nodelay(&u->h, 1);
    if (c->tunnel) {
        static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
        send_bytes(c, (uv_stream_t *)&c->down, ok, sizeof ok - 1, 0);
        c->st = S_TUNNEL;
        if (c->in.len) {   /* the browser spoke first (TLS after the CONNECT head) */
            send_bytes(c, (uv_stream_t *)&u->h, c->in.data, c->in.len, 1);
            buf_reset(&c->in);
        }
        update_reading(c);
        return;
    }
    snprintf(c->up_host, sizeof c->up_host, "%s", c->host);
    c->up_port = c->port;
    send_bytes(c, (uv_stream_t *)&u->h, c->up_head, c->up_head_len, 1);
    c->st = S_REQ_BODY;
    update_reading(c);
    feed_request_body(c);
}

static void try_connect(conn_t *c)
{
    char why[300];
    if (c->addr_i >= c->addrs.n) {
        snprintf(why, sizeof why, "cannot connect to %s port %d", c->host, c->port);
        reply_error(c, 502, "Bad Gateway", why);
        return;
    }
    struct sockaddr_storage *sa = &c->addrs.addr[c->addr_i];
    if (sa->ss_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)c->port);
    else
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)c->port);
    guard_addr_from_sockaddr((struct sockaddr *)sa, c->up_addr);
    up_t *u = calloc(1, sizeof *u);
    if (!u) {
        conn_close(c);
        return;
    }
    u->c = c;
    uv_tcp_init(c->x->loop, &u->h);
    u->h.data = u;
    c->up = u;
    c->handles++;
    c->st = S_CONNECTING;
    update_reading(c);
    if (uv_tcp_connect(&c->creq, &u->h, (struct sockaddr *)sa, connect_cb) != 0) {
        up_drop(c);
        c->addr_i++;
        try_connect(c);
    }
}

/* Checks every address of c's host: the rules that hold on either side first (metadata,
 * link-local, deny_private), then that all of them are on one side (which one a page
 * reaches is not ours to choose: a mixed answer is refused), then the capture's side.
 * While the side is not fixed yet, only the link's own host may answer private addresses.
 * 0 = all allowed. */
static int check_addrs(conn_t *c, char *why, size_t whylen)
{
    egress_t *x = c->x;
    guard_rules_t always = {.deny_private = x->deny_private};
    int npriv = 0, first_priv = -1, first_pub = -1;
    for (int i = 0; i < c->addrs.n; i++) {
        uint8_t a[16];
        if (guard_addr_from_sockaddr((struct sockaddr *)&c->addrs.addr[i], a) != 0) {
            snprintf(why, whylen, "refused: %s answered an address that is not IPv4 or IPv6", c->host);
            return -1;
        }
        if (guard_check_addr(&always, a, why, whylen) != GUARD_ALLOW)
            return -1;
        if (addr_is_private(a)) {
            npriv++;
            if (first_priv < 0)
                first_priv = i;
        } else if (first_pub < 0) {
            first_pub = i;
        }
    }
    if (npriv && npriv < c->addrs.n) {
        uint8_t a[16], b[16];
        char ipa[INET6_ADDRSTRLEN], ipb[INET6_ADDRSTRLEN];
        guard_addr_from_sockaddr((struct sockaddr *)&c->addrs.addr[first_priv], a);
        guard_addr_from_sockaddr((struct sockaddr *)&c->addrs.addr[first_pub], b);
        inet_ntop(AF_INET6, a, ipa, sizeof ipa);
        inet_ntop(AF_INET6, b, ipb, sizeof ipb);
        snprintf(why, whylen,
                 "refused: %s has a mixed answer, private (%s) and public (%s) addresses: "
                 "which one a connection reaches would decide what the page may read",
                 c->host, ipa, ipb);
        return -1;
    }
    if (!npriv || x->side == SIDE_PRIVATE)
        return 0;
    if (x->side == SIDE_UNKNOWN && x->link_host[0] && !strcmp(c->host, x->link_host))
        return 0;   /* the link itself on a private address: its connection fixes the side */
    uint8_t a[16];
    guard_rules_t rules = side_rules(x);
    guard_addr_from_sockaddr((struct sockaddr *)&c->addrs.addr[first_priv], a);
    if (guard_check_addr(&rules, a, why, whylen) == GUARD_ALLOW)   /* cannot be: say so */
        snprintf(why, whylen, "refused: %s is on a private network and the capture is not", c->host);
    return -1;
}

static void lookup_done_cb(int status, const resolver_addrs_t *addrs, const char *err, void *ud)
{
    conn_t *c = ud;
    c->q = NULL;
    if (c->st == S_CLOSING)
        return;
    if (status != 0) {
        char why[300];
        snprintf(why, sizeof why, "refused: %s", err ? err : "the lookup failed");
        refuse(c, why);
        return;
    }
    c->addrs = *addrs;
    c->addr_i = 0;
    char why[300];
    if (check_addrs(c, why, sizeof why) != 0) {
        refuse(c, why);
        return;
    }
    try_connect(c);
}

/* The request's target is in c->host / c->port: check, resolve, check, connect. */
static void start_target(conn_t *c)
{
    egress_t *x = c->x;
    x->stats.requests++;
    if (c->port <= 0 || c->port > 65535) {
        refuse(c, "refused: not a valid port");
        return;
    }
    if (!x->top_host[0]) {   /* a listener made ahead of its capture: nothing loads yet */
        refuse(c, "refused: this proxy has no capture yet");
        return;
    }
    /* the same server as the open upstream connection: reuse it, checked again */
    if (!c->tunnel && c->up && c->up_connected && !c->up_eof && c->up_port == c->port &&
        !strcmp(c->up_host, c->host)) {
        char why[300];
        guard_rules_t rules = side_rules(x);
        if (guard_check_addr(&rules, c->up_addr, why, sizeof why) != GUARD_ALLOW) {
            refuse(c, why);
            return;
        }
        send_bytes(c, (uv_stream_t *)&c->up->h, c->up_head, c->up_head_len, 1);
        c->st = S_REQ_BODY;
        update_reading(c);
        feed_request_body(c);
        return;
    }
    up_drop(c);
    /* one parse: an address in any spelling (127.1, 2130706433, 0x7f000001, ...) is
     * checked as the address it means and connected to without a lookup; anything else
     * is a name, or refused */
    guard_target_t t;
    char why[300];
    memset(&c->addrs, 0, sizeof c->addrs);
    if (guard_parse_target(c->host, &t, why, sizeof why) != 0) {
        refuse(c, why);
        return;
    }
    snprintf(c->host, sizeof c->host, "%s", t.name);   /* its usual spelling from now on */
    if (t.is_addr) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(t.addr, mapped, 12)) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&c->addrs.addr[0];
            sin->sin_family = AF_INET;
            memcpy(&sin->sin_addr, t.addr + 12, 4);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->addrs.addr[0];
            sin6->sin6_family = AF_INET6;
            memcpy(&sin6->sin6_addr, t.addr, 16);
        }
        c->addrs.n = 1;
        lookup_done_cb(0, &c->addrs, NULL, c);
        return;
    }
    /* a name: the rules on names first (metadata host names, localhost) */
    guard_rules_t rules = {.deny_private = x->deny_private};
    if (guard_check_name(&rules, t.name, why, sizeof why) == GUARD_DENY) {
        refuse(c, why);
        return;
    }
    c->st = S_LOOKUP;
    update_reading(c);
    c->q = resolver_lookup(x->res, t.name, lookup_done_cb, c);
}

/* A complete request head is at the start of c->in (hlen bytes): parsed by http1.c,
 * CONNECT becomes a tunnel, absolute form is rewritten to origin form. */
static void handle_head(conn_t *c, size_t hlen)
{
    http1_request_t r;
    const char *why = NULL;
    int code = http1_parse_request(c->in.data, hlen, &r, &why);
    if (code == 431) {
        reply_error(c, 431, "Request Header Fields Too Large", why);
        return;
    }
    if (code != 0) {
        reply_error(c, 400, "Bad Request", why);
        return;
    }
    snprintf(c->host, sizeof c->host, "%s", r.host);
    c->port = r.port;
    if (r.connect) {
        c->tunnel = 1;
        buf_consume(&c->in, hlen);   /* what follows belongs to the tunnel */
        start_target(c);
        return;
    }
    /* the head for the server: origin form, without the proxy's own headers */
    size_t hl;
    char *h = http1_origin_head(c->in.data, hlen, &r, &hl);
    if (!h) {
        conn_close(c);
        return;
    }
    free(c->up_head);
    c->up_head = h;
    c->up_head_len = hl;
    c->tunnel = 0;
    c->head_req = r.head;
    c->client_close = r.hi.close || r.http10;
    c->upgrade_req = r.hi.upgrade;
    c->resp_in_head = 1;
    c->rlen = 0;
    http1_frame_init(&c->resp, HTTP1_F_NONE, 0);
    c->resp.done = 0;
    if (r.hi.chunked)
        http1_frame_init(&c->req, HTTP1_F_CHUNKED, 0);
    else
        http1_frame_init(&c->req, r.hi.has_len ? HTTP1_F_LEN : HTTP1_F_NONE, r.hi.len);
    buf_consume(&c->in, hlen);
    start_target(c);
}

static void process_down(conn_t *c)
{
    switch (c->st) {
    case S_HEAD: {
        /* the head's length is checked whether or not it is complete: a head over the cap
         * that arrives in one read is refused as one that never ends */
        size_t end;
        int hs = http1_head_status(c->in.data, c->in.len, HEAD_MAX, &end);
        if (hs == HTTP1_HEAD_TOO_LARGE)
            reply_error(c, 431, "Request Header Fields Too Large", "the request head is too large");
        else if (hs == HTTP1_HEAD_DONE)
            handle_head(c, end);
        return;
    }
    case S_REQ_BODY:
        feed_request_body(c);
        return;
    case S_TUNNEL:
        if (c->in.len) {
            if (send_bytes(c, (uv_stream_t *)&c->up->h, c->in.data, c->in.len, 1) != 0) {
                conn_close(c);
                return;
            }
            buf_reset(&c->in);
        }
        return;
    default:
        return;   /* kept until the state reads them */
    }
}

static void down_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn_t *c = s->data;
    if (nread > 0) {
        if (c->st == S_TUNNEL && !c->in.len) {
            if (send_bytes(c, (uv_stream_t *)&c->up->h, b->base, (size_t)nread, 1) != 0)
                conn_close(c);
        } else if (buf_append(&c->in, b->base, (size_t)nread) != 0) {
            conn_close(c);
        } else {
            process_down(c);
        }
    }
    free(b->base);
    if (nread >= 0 || c->st == S_CLOSING)
        return;
    c->down_eof = 1;
    uv_read_stop(s);
    c->down_reading = 0;
    if (c->st == S_TUNNEL && c->up) {
        /* the browser is done sending: pass the half-close on, keep the other way open */
        uv_shutdown_t *req = malloc(sizeof *req);
        if (!req || uv_shutdown(req, (uv_stream_t *)&c->up->h, shutdown_cb) != 0) {
            free(req);
            conn_close(c);
            return;
        }
        req->data = c;
        c->shutdowns++;
        return;
    }
    conn_close(c);
}

/* ---- the listener ----------------------------------------------------------------------- */

static void listener_closed_cb(uv_handle_t *h)
{
    egress_t *x = h->data;
    x->lis_open = 0;
    maybe_free_egress(x);
}

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

/* No complete request head in time: the connection goes (a slow or stuck client holds
 * two descriptors at most this long). */
static void head_timeout_cb(uv_timer_t *t)
{
    conn_t *c = t->data;
    if (c->st != S_HEAD)
        return;   /* the head came; the timer was not stopped, only outlived */
    c->x->stats.head_timeouts++;
    log_debug("egress%s%s: no request head within %d ms; closed", c->x->label[0] ? " " : "",
              c->x->label, c->x->head_timeout_ms);
    conn_close(c);
}

static void head_timer_start(conn_t *c)
{
    uv_timer_start(&c->head_timer, head_timeout_cb, (uint64_t)c->x->head_timeout_ms, 0);
}

/* 1 when the peer of c is our browser: a remote browser by its address, a local one by
 * the owner of its socket (the kernel's record of the peer socket's uid: one exact
 * NETLINK_SOCK_DIAG request, sockowner.c). A peer the kernel cannot name is not ours. */
static int peer_allowed(egress_t *x, conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uint8_t a[16];
    if (uv_tcp_getpeername(&c->down, (struct sockaddr *)&ss, &len) != 0 ||
        guard_addr_from_sockaddr((struct sockaddr *)&ss, a) != 0)
        return 0;
    if (x->have_peer)
        return memcmp(a, x->peer, 16) == 0;
    uv_os_fd_t fd;
    sockowner_t so;
    if (uv_fileno((uv_handle_t *)&c->down, &fd) != 0 || sockowner_of_peer(fd, &so) != 0)
        return 0;
    return so.uid == x->peer_uid;
}

static void accept_cb(uv_stream_t *s, int status)
{
    egress_t *x = s->data;
    if (status < 0 || x->freeing)
        return;
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        uv_tcp_t *tmp = malloc(sizeof *tmp);   /* accept and drop, or the loop spins */
        if (tmp && uv_tcp_init(x->loop, tmp) == 0) {
            uv_accept(s, (uv_stream_t *)tmp);
            uv_close((uv_handle_t *)tmp, free_handle_cb);
        } else {
            free(tmp);
        }
        return;
    }
    c->x = x;
    buf_init(&c->in, IN_MAX);
    uv_tcp_init(x->loop, &c->down);
    c->down.data = c;
    uv_timer_init(x->loop, &c->head_timer);
    c->head_timer.data = c;
    c->handles = 2;
    x->nconns++;
    c->next = x->conns;
    if (x->conns)
        x->conns->prev = c;
    x->conns = c;
    if (uv_accept(s, (uv_stream_t *)&c->down) != 0) {
        conn_close(c);
        return;
    }
    /* not our browser: closed unread, before it counts toward any cap or can reach the
     * capture (no refusal, nothing logged per connection: a flood is one line) */
    if (!peer_allowed(x, c)) {
        x->stats.unauthorised++;
        if (x->stats.unauthorised == 1)   /* one line per owner: a flood is not a log */
            log_warn("egress%s%s: a connection from %s was closed unread (only the browser may "
                     "use its proxy)", x->label[0] ? " " : "", x->label,
                     x->have_peer ? "an address other than the browser's" : "another user's socket");
        conn_close(c);
        return;
    }
    if (x->nactive >= x->max_conns || (x->limits && x->limits->open >= x->limits->max_open)) {
        x->stats.over_cap++;
        if (x->stats.over_cap == 1)
            log_warn("egress%s%s: %d connections are open (%s); more are closed unread until some end",
                     x->label[0] ? " " : "", x->label,
                     x->nactive >= x->max_conns ? x->nactive : x->limits->open,
                     x->nactive >= x->max_conns ? "this capture's maximum"
                                                : "linksnapd's maximum across captures");
        conn_close(c);
        return;
    }
    c->counted = 1;
    x->nactive++;
    if (x->limits)
        x->limits->open++;
    uv_tcp_nodelay(&c->down, 1);
    c->st = S_HEAD;
    head_timer_start(c);
    update_reading(c);
}

void egress_limits_init(egress_limits_t *l, int reserve)
{
    struct rlimit rl;
    long lim = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        lim = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ? 1048576 : (long)rl.rlim_cur;
    if (reserve <= 0)
        reserve = (int)(lim / 4 > 256 ? lim / 4 : 256);
    long n = (lim - reserve) / 2;
    l->max_open = (int)(n > 16 ? n : 16);
    l->open = 0;
}

egress_t *egress_new(uv_loop_t *loop, const egress_opts_t *o, char *err, size_t errlen)
{
    egress_t *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->loop = loop;
    x->res = o->resolver;
    x->deny_private = o->deny_private;
    x->refused = o->refused;
    x->ud = o->ud;
    x->peer_uid = o->peer_uid_set ? o->peer_uid : geteuid();
    x->limits = o->limits;
    x->max_conns = o->max_conns > 0 ? o->max_conns : EGRESS_MAX_CONNS;
    x->head_timeout_ms = o->head_timeout_ms > 0 ? o->head_timeout_ms : EGRESS_HEAD_TIMEOUT_MS;
    snprintf(x->label, sizeof x->label, "%s", o->label ? o->label : "");
    const char *ip = o->bind_ip && *o->bind_ip ? o->bind_ip : "127.0.0.1";
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    int v6 = strchr(ip, ':') != NULL;
    if ((v6 ? uv_ip6_addr(ip, 0, (struct sockaddr_in6 *)&ss) : uv_ip4_addr(ip, 0, (struct sockaddr_in *)&ss)) != 0) {
        snprintf(err, errlen, "the proxy address '%s' is not an IP address", ip);
        free(x);
        return NULL;
    }
    if (o->peer_ip && *o->peer_ip) {
        char why[200];
        uint8_t a[16];
        struct sockaddr_storage ps;
        memset(&ps, 0, sizeof ps);
        int p6 = strchr(o->peer_ip, ':') != NULL;
        if ((p6 ? uv_ip6_addr(o->peer_ip, 0, (struct sockaddr_in6 *)&ps)
                : uv_ip4_addr(o->peer_ip, 0, (struct sockaddr_in *)&ps)) != 0 ||
            guard_addr_from_sockaddr((struct sockaddr *)&ps, a) != 0) {
            snprintf(why, sizeof why, "the browser's address '%s' is not an IP address", o->peer_ip);
            snprintf(err, errlen, "%s", why);
            free(x);
            return NULL;
        }
        memcpy(x->peer, a, 16);
        x->have_peer = 1;
    }
    uv_tcp_init(loop, &x->lis);
    x->lis.data = x;
    x->lis_open = 1;
    int rc = uv_tcp_bind(&x->lis, (struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&x->lis, 128, accept_cb);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    if (!rc)
        rc = uv_tcp_getsockname(&x->lis, (struct sockaddr *)&bound, &blen);
    if (rc) {
        snprintf(err, errlen, "the egress proxy cannot listen on %s: %s", ip, uv_strerror(rc));
        x->freeing = 1;
        uv_close((uv_handle_t *)&x->lis, listener_closed_cb);
        return NULL;
    }
    x->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    snprintf(x->addr, sizeof x->addr, v6 ? "[%s]:%d" : "%s:%d", ip, x->port);
    return x;
}

int egress_port(const egress_t *x) { return x->port; }

const char *egress_address(const egress_t *x) { return x->addr; }

/* host as start_target spells a request's host after its one parse: an address in its
 * usual text (127.1 and ::ffff:7f00:1 are 127.0.0.1), a name as http1_set_host gives it;
 * -1 when it cannot be a host. */
static int usual_host(char *out, const char *host)
{
    guard_target_t t;
    char why[200];
    if (http1_set_host(out, host, strlen(host)) != 0)
        return -1;
    if (guard_parse_target(out, &t, why, sizeof why) == 0 && t.is_addr)
        snprintf(out, HTTP1_HOST_MAX, "%s", t.name);
    return 0;
}

void egress_set_top_host(egress_t *x, const char *host)
{
    char h[HTTP1_HOST_MAX];
    if (usual_host(h, host) != 0)
        snprintf(h, sizeof h, "%s", "-");
    snprintf(x->top_host, sizeof x->top_host, "%s", h);
    if (!x->link_host[0])
        snprintf(x->link_host, sizeof x->link_host, "%s", h);   /* never changes */
}

void egress_set_owner(egress_t *x, const char *label, egress_refused_cb refused, void *ud)
{
    snprintf(x->label, sizeof x->label, "%s", label ? label : "");
    x->refused = refused;
    x->ud = ud;
    /* what happened before belongs to no capture: the new owner's count starts here */
    memset(&x->stats, 0, sizeof x->stats);
    x->nrefusals = 0;
}

void egress_get_stats(const egress_t *x, egress_stats_t *out)
{
    *out = x->stats;
    out->open = (uint64_t)x->nactive;
}

int egress_refusal(const egress_t *x, const char *host, char *why, size_t whylen)
{
    char h[HTTP1_HOST_MAX];
    if (usual_host(h, host) != 0)
        return 0;
    int n = x->nrefusals < EGRESS_REFUSALS_KEPT ? x->nrefusals : EGRESS_REFUSALS_KEPT;
    for (int i = 0; i < n; i++) {
        if (!strcmp(x->refusals[i].host, h)) {
            snprintf(why, whylen, "%s", x->refusals[i].why);
            return 1;
        }
    }
    return 0;
}

void egress_free(egress_t *x)
{
    if (!x)
        return;
    x->freeing = 1;
    while (x->conns)
        conn_close(x->conns);
    if (x->lis_open)
        uv_close((uv_handle_t *)&x->lis, listener_closed_cb);
    else
        maybe_free_egress(x);
}
