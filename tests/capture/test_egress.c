/* test_egress.c -- the egress proxy (capture/egress.c) and its resolver (capture/resolver.c)
 * on one loop against real sockets on 127.0.0.1: a tiny DNS server of our own (UDP, with
 * answers, NXDOMAIN, silence, delays and rebinding per name), an HTTP origin server that
 * records what reached it, an echo server for tunnels, and raw clients speaking to the
 * proxy. Nothing leaves loopback: no name ever resolves outside 127.0.0.0/8 except to
 * addresses the rules refuse before any connection. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "egress.h"
#include "resolver.h"
#include "test.h"

static uv_loop_t *loop;

/* ---- a DNS server ----------------------------------------------------------------------- */

enum { DNS_ANSWER, DNS_NXDOMAIN, DNS_SILENT, DNS_REBIND };

typedef struct {
    const char *name;
    int mode;
    const char *ips[4];    /* DNS_REBIND: the n-th A query gets ips[min(n, last)] */
    int delay_ms;
    int ttl;
    int queries;           /* A and AAAA packets seen for this name */
    int a_queries;
} dns_rule_t;

static dns_rule_t rules[] = {
    {"echo.test", DNS_ANSWER, {"127.0.0.1"}, 0, 300, 0, 0},
    {"slow.test", DNS_ANSWER, {"127.0.0.1"}, 300, 300, 0, 0},
    {"nx.test", DNS_NXDOMAIN, {NULL}, 0, 0, 0, 0},
    {"silent.test", DNS_SILENT, {NULL}, 0, 0, 0, 0},
    {"rebind.test", DNS_REBIND, {"127.0.0.1", "169.254.169.254"}, 0, 0, 0, 0},
    {"meta.test", DNS_ANSWER, {"169.254.169.254"}, 0, 300, 0, 0},
    {"mixed.test", DNS_ANSWER, {"127.0.0.1", "169.254.169.254"}, 0, 300, 0, 0},
    {"v6meta.test", DNS_ANSWER, {"64:ff9b::a9fe:a9fe"}, 0, 300, 0, 0},
    /* both sides of the private network rule in one answer (never connected to) */
    {"mixed1.test", DNS_ANSWER, {"10.255.0.1", "203.0.113.5"}, 0, 0, 0, 0},
    {"mixed2.test", DNS_ANSWER, {"203.0.113.5", "127.0.0.1"}, 0, 0, 0, 0},
};

static uv_udp_t dns_sock;
static int dns_port;

typedef struct {
    uv_timer_t t;
    struct sockaddr_storage to;
    size_t len;
    unsigned char pkt[512];
} dns_delayed_t;

static void dns_sent_cb(uv_udp_send_t *req, int status)
{
    (void)status;
    free(req);
}

static void dns_send(const struct sockaddr *to, const unsigned char *pkt, size_t len)
{
    struct { uv_udp_send_t req; unsigned char data[512]; } *s = malloc(sizeof *s);
    if (!s)
        return;
    memcpy(s->data, pkt, len);
    uv_buf_t b = uv_buf_init((char *)s->data, (unsigned)len);
    if (uv_udp_send(&s->req, &dns_sock, &b, 1, to, dns_sent_cb) != 0)
        free(s);
}

static void delayed_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

static void delayed_cb(uv_timer_t *t)
{
    dns_delayed_t *d = t->data;
    dns_send((struct sockaddr *)&d->to, d->pkt, d->len);
    uv_close((uv_handle_t *)t, delayed_closed_cb);
}

static void dns_alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    static char buf[2048];
    (void)h;
    (void)sz;
    b->base = buf;
    b->len = sizeof buf;
}

static void dns_recv_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                        unsigned flags)
{
    (void)h;
    (void)flags;
    if (n < 17 || !from)
        return;
    const unsigned char *q = (const unsigned char *)b->base;
    char name[256];
    size_t pos = 12, nl = 0;
    while (pos < (size_t)n && q[pos]) {
        size_t l = q[pos++];
        if (pos + l > (size_t)n || nl + l + 1 >= sizeof name)
            return;
        if (nl)
            name[nl++] = '.';
        for (size_t i = 0; i < l; i++)
            name[nl++] = (char)((q[pos + i] >= 'A' && q[pos + i] <= 'Z') ? q[pos + i] + 32 : q[pos + i]);
        pos += l;
    }
    name[nl] = '\0';
    pos++;
    if (pos + 4 > (size_t)n)
        return;
    int qtype = q[pos] << 8 | q[pos + 1];
    size_t qend = pos + 4;
    dns_rule_t *r = NULL;
    for (size_t i = 0; i < LS_TEST_LEN(rules); i++)
        if (!strcmp(rules[i].name, name))
            r = &rules[i];
    unsigned char out[512];
    memcpy(out, q, qend);
    out[2] = 0x81;                 /* QR, RD */
    out[3] = 0x80;                 /* RA, NOERROR */
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    size_t len = qend;
    if (!r) {
        out[3] |= 3;               /* NXDOMAIN */
    } else {
        r->queries++;
        if (r->mode == DNS_SILENT)
            return;
        if (r->mode == DNS_NXDOMAIN) {
            out[3] |= 3;
        } else {
            int count = 0;
            const char *ips[4] = {NULL};
            if (r->mode == DNS_REBIND) {
                if (qtype == 1) {
                    int k = r->a_queries < 1 ? r->a_queries : 1;
                    ips[0] = r->ips[k];
                    r->a_queries++;
                }
            } else {
                memcpy(ips, r->ips, sizeof ips);
            }
            for (int i = 0; i < 4 && ips[i]; i++) {
                unsigned char a[16];
                int is6 = strchr(ips[i], ':') != NULL;
                if ((qtype == 1 && is6) || (qtype == 28 && !is6) || (qtype != 1 && qtype != 28))
                    continue;
                inet_pton(is6 ? AF_INET6 : AF_INET, ips[i], a);
                unsigned char *p = out + len;
                p[0] = 0xc0, p[1] = 12;                      /* the question's name */
                p[2] = 0, p[3] = (unsigned char)qtype, p[4] = 0, p[5] = 1;
                p[6] = (unsigned char)(r->ttl >> 24), p[7] = (unsigned char)(r->ttl >> 16);
                p[8] = (unsigned char)(r->ttl >> 8), p[9] = (unsigned char)r->ttl;
                p[10] = 0, p[11] = is6 ? 16 : 4;
                memcpy(p + 12, a, is6 ? 16 : 4);
                len += 12 + (is6 ? 16 : 4);
                count++;
            }
            out[7] = (unsigned char)count;
        }
    }
    if (r && r->delay_ms) {
        dns_delayed_t *d = calloc(1, sizeof *d);
        if (!d)
            return;
        memcpy(&d->to, from, from->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
        memcpy(d->pkt, out, len);
        d->len = len;
        uv_timer_init(loop, &d->t);
        d->t.data = d;
        uv_timer_start(&d->t, delayed_cb, (uint64_t)r->delay_ms, 0);
        return;
    }
    dns_send(from, out, len);
}

static int dns_start(void)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    if (uv_udp_init(loop, &dns_sock) || uv_udp_bind(&dns_sock, (struct sockaddr *)&a, 0))
        return -1;
    struct sockaddr_in b;
    int len = sizeof b;
    uv_udp_getsockname(&dns_sock, (struct sockaddr *)&b, &len);
    dns_port = ntohs(b.sin_port);
    return uv_udp_recv_start(&dns_sock, dns_alloc_cb, dns_recv_cb);
}

static dns_rule_t *rule(const char *name)
{
    for (size_t i = 0; i < LS_TEST_LEN(rules); i++)
        if (!strcmp(rules[i].name, name))
            return &rules[i];
    return NULL;
}

/* ---- an HTTP origin server and an echo server ------------------------------------------ */

typedef struct {
    uv_tcp_t lis;
    int port, echo;
    int accepts, requests;
    char last_head[4096];
    long last_body;
} server_t;

typedef struct {
    uv_tcp_t h;
    server_t *srv;
    char *buf;
    size_t n;
} sconn_t;

static server_t origin, echo_srv;

static void sconn_closed_cb(uv_handle_t *h)
{
    sconn_t *s = h->data;
    free(s->buf);
    free(s);
}

static void swrite_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void swrite(sconn_t *s, const char *p, size_t n)
{
    struct { uv_write_t w; char d[]; } *wr = malloc(sizeof *wr + n);
    if (!wr)
        return;
    memcpy(wr->d, p, n);
    uv_buf_t b = uv_buf_init(wr->d, (unsigned)n);
    if (uv_write(&wr->w, (uv_stream_t *)&s->h, &b, 1, swrite_cb) != 0)
        free(wr);
}

static void salloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    (void)sz;
    b->base = malloc(65536);
    b->len = b->base ? 65536 : 0;
}

/* Answers every complete request in s->buf. */
static void serve(sconn_t *s)
{
    for (;;) {
        char *end = s->n ? memmem(s->buf, s->n, "\r\n\r\n", 4) : NULL;
        if (!end)
            return;
        size_t hlen = (size_t)(end - s->buf) + 4;
        long body = 0;
        size_t total = hlen;
        char head[4096];
        snprintf(head, sizeof head, "%.*s", (int)(hlen < sizeof head ? hlen : sizeof head - 1), s->buf);
        char *cl = strcasestr(head, "\r\nContent-Length:");
        if (strcasestr(head, "\r\nTransfer-Encoding: chunked")) {
            char *t = memmem(s->buf + hlen, s->n - hlen, "0\r\n\r\n", 5);
            if (!t)
                return;
            total = (size_t)(t - s->buf) + 5;
            body = (long)(total - hlen);
        } else if (cl) {
            body = atol(cl + 17);
            total = hlen + (size_t)body;
            if (s->n < total)
                return;
        }
        s->srv->requests++;
        snprintf(s->srv->last_head, sizeof s->srv->last_head, "%s", head);
        s->srv->last_body = body;
        char reply[512];
        if (!strncmp(head, "GET /len ", 9) || !strncmp(head, "HEAD /len ", 10)) {
            snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n%s",
                     head[0] == 'H' ? "" : "hello");
        } else if (!strncmp(head, "GET /chunked ", 13)) {
            snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: t\r\n\r\n");
        } else if (!strncmp(head, "POST /echo ", 11)) {
            char b[32];
            int bl = snprintf(b, sizeof b, "got %ld", body);
            snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", bl, b);
        } else if (!strncmp(head, "GET /close ", 11)) {
            snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close");
            swrite(s, reply, strlen(reply));
            uv_read_stop((uv_stream_t *)&s->h);
            uv_close((uv_handle_t *)&s->h, sconn_closed_cb);
            return;
        } else {
            snprintf(reply, sizeof reply, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
        swrite(s, reply, strlen(reply));
        memmove(s->buf, s->buf + total, s->n - total);
        s->n -= total;
    }
}

static void sread_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    sconn_t *s = st->data;
    if (n > 0) {
        if (s->srv->echo) {
            swrite(s, b->base, (size_t)n);
        } else {
            char *nb = realloc(s->buf, s->n + (size_t)n);
            if (nb) {
                memcpy(nb + s->n, b->base, (size_t)n);
                s->buf = nb;
                s->n += (size_t)n;
                serve(s);
            }
        }
    }
    free(b->base);
    if (n < 0 && !uv_is_closing((uv_handle_t *)st))
        uv_close((uv_handle_t *)st, sconn_closed_cb);
}

static void saccept_cb(uv_stream_t *l, int status)
{
    server_t *srv = l->data;
    if (status < 0)
        return;
    sconn_t *s = calloc(1, sizeof *s);
    uv_tcp_init(loop, &s->h);
    s->h.data = s;
    s->srv = srv;
    if (uv_accept(l, (uv_stream_t *)&s->h) == 0) {
        srv->accepts++;
        uv_read_start((uv_stream_t *)&s->h, salloc_cb, sread_cb);
    } else {
        uv_close((uv_handle_t *)&s->h, sconn_closed_cb);
    }
}

static int server_start(server_t *srv, int echo)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    srv->echo = echo;
    uv_tcp_init(loop, &srv->lis);
    srv->lis.data = srv;
    if (uv_tcp_bind(&srv->lis, (struct sockaddr *)&a, 0) || uv_listen((uv_stream_t *)&srv->lis, 64, saccept_cb))
        return -1;
    struct sockaddr_in b;
    int len = sizeof b;
    uv_tcp_getsockname(&srv->lis, (struct sockaddr *)&b, &len);
    srv->port = ntohs(b.sin_port);
    return 0;
}

/* ---- clients of the proxy --------------------------------------------------------------- */

typedef struct {
    uv_tcp_t h;
    uv_connect_t cr;
    char in[65536];
    size_t n;
    int connected, eof, closed;
} client_t;

static void calloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    client_t *c = h->data;
    (void)sz;
    b->base = c->in + c->n;
    b->len = sizeof c->in - 1 - c->n;
}

static void cread_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    client_t *c = st->data;
    (void)b;
    if (n > 0) {
        c->n += (size_t)n;
        c->in[c->n] = '\0';
    } else if (n < 0) {
        c->eof = 1;
        uv_read_stop(st);
    }
}

static void cconnect_cb(uv_connect_t *r, int status)
{
    client_t *c = r->data;
    c->connected = status == 0 ? 1 : -1;
    if (status == 0)
        uv_read_start((uv_stream_t *)&c->h, calloc_cb, cread_cb);
}

static int run_guard_fired;
static void guard_cb(uv_timer_t *t)
{
    (void)t;
    run_guard_fired = 1;
}

/* Runs the loop until *flag is set (a hang guard of 30 s ends a stuck test). */
static int run_until(int (*cond)(void *), void *arg)
{
    uv_timer_t g;
    run_guard_fired = 0;
    uv_timer_init(loop, &g);
    uv_timer_start(&g, guard_cb, 30000, 0);
    while (!cond(arg) && !run_guard_fired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&g, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return cond(arg) ? 0 : -1;
}

static int is_connected(void *a) { return ((client_t *)a)->connected != 0; }
static int is_eof(void *a) { return ((client_t *)a)->eof; }

static const char *want_text;
static int has_text(void *a)
{
    client_t *c = a;
    return strstr(c->in, want_text) != NULL || c->eof;
}

static client_t *client_new(int port)
{
    client_t *c = calloc(1, sizeof *c);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", port, &a);
    uv_tcp_init(loop, &c->h);
    c->h.data = c;
    c->cr.data = c;
    uv_tcp_connect(&c->cr, &c->h, (struct sockaddr *)&a, cconnect_cb);
    run_until(is_connected, c);
    return c;
}

static void cw_cb(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

/* Sends len bytes as they are (NULs included). */
static void client_send_raw(client_t *c, const char *data, size_t len)
{
    struct { uv_write_t w; char d[8192]; } *wr = malloc(sizeof *wr);
    memcpy(wr->d, data, len);
    uv_buf_t b = uv_buf_init(wr->d, (unsigned)len);
    if (uv_write(&wr->w, (uv_stream_t *)&c->h, &b, 1, cw_cb) != 0)
        free(wr);
}

static void client_send(client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void client_send(client_t *c, const char *fmt, ...)
{
    char tmp[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    client_send_raw(c, tmp, (size_t)n);
}

/* Waits until the client has received text (or the proxy closed). 0 if it is there. */
static int client_wait(client_t *c, const char *text)
{
    want_text = text;
    run_until(has_text, c);
    return strstr(c->in, text) ? 0 : -1;
}

static void client_reset(client_t *c)
{
    c->n = 0;
    c->in[0] = '\0';
}

static void cclosed_cb(uv_handle_t *h)
{
    free(h->data);
}

static void client_free(client_t *c)
{
    uv_close((uv_handle_t *)&c->h, cclosed_cb);
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static resolver_t *res;
static int refusals_seen, refused_top;
static char refused_host[256], refused_why[300];

static void refused_cb(egress_t *x, const char *host, int port, int top, const char *why, void *ud)
{
    (void)x;
    (void)port;
    (void)ud;
    refusals_seen++;
    refused_top = top;
    snprintf(refused_host, sizeof refused_host, "%s", host);
    snprintf(refused_why, sizeof refused_why, "%s", why);
}

/* A listener with no capture yet (no top host). */
static egress_t *proxy_bare(int deny_private, int timeout_ms)
{
    char err[256], servers[64];
    snprintf(servers, sizeof servers, "127.0.0.1:%d", dns_port);
    resolver_free(res);
    res = resolver_new(loop, servers, timeout_ms, err, sizeof err);
    if (!res) {
        fprintf(stderr, "resolver: %s\n", err);
        return NULL;
    }
    egress_opts_t o = {.resolver = res, .deny_private = deny_private, .label = "job 7",
                       .refused = refused_cb};
    refusals_seen = refused_top = 0;
    refused_host[0] = refused_why[0] = '\0';
    egress_t *x = egress_new(loop, &o, err, sizeof err);
    if (!x)
        fprintf(stderr, "egress: %s\n", err);
    return x;
}

/* The listener of a capture whose link is on loopback (127.0.0.1) and was reached: the
 * capture is on a private network, so the tests' servers on 127.0.0.1 may be used. With
 * deny_private, the link is a public address not reached yet. The counts start after the
 * link's own connection (egress_set_owner starts them again, as for a warm context). */
static egress_t *proxy_new(int deny_private, int timeout_ms)
{
    egress_t *x = proxy_bare(deny_private, timeout_ms);
    if (!x)
        return NULL;
    egress_set_top_host(x, deny_private ? "8.8.8.8" : "127.0.0.1");
    if (!deny_private) {
        client_t *c = client_new(egress_port(x));
        client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
        if (client_wait(c, "200 Connection") != 0)
            fprintf(stderr, "the link's connection was not made: %s\n", c->in);
        client_free(c);
        egress_set_owner(x, "job 7", refused_cb, NULL);
        refusals_seen = refused_top = 0;
    }
    return x;
}

static void proxy_free(egress_t *x)
{
    egress_free(x);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* Every lookup the resolver was asked for, however it answered. */
static uint64_t lookups(const resolver_stats_t *r)
{
    return r->queries + r->cache_hits + r->negative_hits + r->coalesced;
}

/* ---- tests -------------------------------------------------------------------------------- */

TEST(connect_is_an_opaque_tunnel)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    client_t *c = client_new(egress_port(x));
    ASSERT_EQ(c->connected, 1);
    /* the TLS bytes a browser sends may follow the CONNECT head at once */
    client_send(c, "CONNECT echo.test:%d HTTP/1.1\r\nHost: echo.test:%d\r\n\r\nping-1", echo_srv.port,
                echo_srv.port);
    ASSERT_EQ(client_wait(c, "ping-1"), 0);
    ASSERT(!strncmp(c->in, "HTTP/1.1 200", 12));
    static const char binary[] = "\x16\x03\x01 binary \x00 bytes";   /* NUL and all */
    client_send_raw(c, binary, sizeof binary - 1);
    ASSERT_EQ(client_wait(c, "binary"), 0);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.requests, 1);
    ASSERT_EQ(st.refused, 0);
    ASSERT_GE(st.bytes, 2 * 6);
    /* any port: a tunnel to an IP literal, no lookup */
    client_t *d = client_new(egress_port(x));
    client_send(d, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(d, "200 Connection Established"), 0);
    client_free(c);
    client_free(d);
    proxy_free(x);
    return 0;
}

TEST(absolute_form_keep_alive_and_chunked)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    int accepts = origin.accepts, requests = origin.requests;
    client_t *c = client_new(egress_port(x));
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    ASSERT(strstr(origin.last_head, "GET /len HTTP/1.1\r\n") == origin.last_head);
    ASSERT(strstr(origin.last_head, "Proxy-") == NULL);
    ASSERT(strstr(origin.last_head, "Host: 127.0.0.1\r\n") != NULL);
    client_reset(c);
    client_send(c, "GET http://127.0.0.1:%d/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "0\r\nTrailer: t\r\n\r\n"), 0);
    ASSERT(strstr(c->in, "6;x=y\r\n world\r\n") != NULL);
    /* a chunked request body, then a Content-Length one, then HEAD, all on one connection */
    client_reset(c);
    client_send(c, "POST http://127.0.0.1:%d/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "got "), 0);
    ASSERT_EQ(origin.last_body, (long)strlen("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
    client_reset(c);
    client_send(c, "POST http://127.0.0.1:%d/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\nabcdefg",
                origin.port);
    ASSERT_EQ(client_wait(c, "got 7"), 0);
    client_reset(c);
    client_send(c, "HEAD http://127.0.0.1:%d/len HTTP/1.1\r\nHost: h\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "Content-Length: 5\r\n\r\n"), 0);
    client_reset(c);
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: h\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    ASSERT_EQ(origin.requests - requests, 6);
    ASSERT_EQ(origin.accepts - accepts, 1);    /* keep-alive: one upstream connection */
    /* a body delimited by the server's close ends the browser's connection too */
    client_reset(c);
    client_send(c, "GET http://127.0.0.1:%d/close HTTP/1.1\r\nHost: h\r\n\r\n", origin.port);
    run_until(is_eof, c);
    ASSERT(strstr(c->in, "until close") != NULL);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.requests, 7);
    ASSERT_EQ(st.refused, 0);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(keep_alive_to_another_host_reconnects)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    int accepts = origin.accepts;
    client_t *c = client_new(egress_port(x));
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: a\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    client_reset(c);
    client_send(c, "GET http://echo.test:%d/len HTTP/1.1\r\nHost: b\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    ASSERT_EQ(origin.accepts - accepts, 2);
    /* the next request is refused: the refusal ends the connection, nothing reaches anyone */
    client_reset(c);
    client_send(c, "GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: m\r\n\r\n");
    ASSERT_EQ(client_wait(c, "403 Forbidden"), 0);
    run_until(is_eof, c);
    ASSERT(c->eof);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(refusals_name_the_rule_and_the_job)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    const char *targets[] = {
        "169.254.169.254:80", "[::ffff:169.254.169.254]:80", "[64:ff9b::a9fe:a9fe]:80",
        "[fe80::1]:443", "metadata.google.internal:80", "meta.test:80", "mixed.test:80",
        "v6meta.test:80", "100.100.100.200:80",
    };
    for (size_t i = 0; i < LS_TEST_LEN(targets); i++) {
        client_t *c = client_new(egress_port(x));
        client_send(c, "CONNECT %s HTTP/1.1\r\n\r\n", targets[i]);
        ASSERT_MSG(client_wait(c, "403 Forbidden") == 0, "%s: not refused: %s", targets[i], c->in);
        ASSERT(strstr(c->in, "refused") != NULL);
        run_until(is_eof, c);
        client_free(c);
    }
    ASSERT_EQ(refusals_seen, (int)LS_TEST_LEN(targets));
    ASSERT(strstr(refused_why, "100.100.100.200") != NULL);   /* the last one */
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.refused, LS_TEST_LEN(targets));
    ASSERT_EQ(st.requests, LS_TEST_LEN(targets));
    ASSERT_EQ(rule("meta.test")->queries > 0, 1);
    proxy_free(x);

    /* deny_private: loopback too, and plain http the same way */
    x = proxy_new(1, 2000);
    client_t *c = client_new(egress_port(x));
    int before = origin.requests;
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: h\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "deny_private") != NULL);
    ASSERT_EQ(origin.requests, before);
    client_free(c);
    c = client_new(egress_port(x));
    client_send(c, "CONNECT localhost:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(failed_lookups_are_refusals_and_cached)
{
    egress_t *x = proxy_new(0, 300);
    ASSERT_NOT_NULL(x);
    int q0 = rule("nx.test")->queries;
    for (int i = 0; i < 3; i++) {
        client_t *c = client_new(egress_port(x));
        client_send(c, "CONNECT nx.test:443 HTTP/1.1\r\n\r\n");
        ASSERT_EQ(client_wait(c, "403"), 0);
        ASSERT(strstr(c->in, "no such host") != NULL);
        client_free(c);
    }
    /* one query per type (A, AAAA), then the negative cache */
    ASSERT_LE(rule("nx.test")->queries - q0, 2);
    ASSERT_GE(rule("nx.test")->queries - q0, 1);
    resolver_stats_t rs;
    resolver_get_stats(res, &rs);
    ASSERT_EQ(rs.queries, 1);
    ASSERT_EQ(rs.negative_hits, 2);
    ASSERT_EQ(rs.failures, 1);

    /* a name server that never answers: a refusal after dns_timeout_ms, then cached */
    int s0 = rule("silent.test")->queries;
    for (int i = 0; i < 2; i++) {
        client_t *c = client_new(egress_port(x));
        client_send(c, "GET http://silent.test/ HTTP/1.1\r\nHost: silent.test\r\n\r\n");
        ASSERT_EQ(client_wait(c, "403"), 0);
        ASSERT(strstr(c->in, "did not answer") != NULL);
        client_free(c);
    }
    ASSERT_LE(rule("silent.test")->queries - s0, 2);
    resolver_get_stats(res, &rs);
    ASSERT_EQ(rs.queries, 2);
    ASSERT_EQ(rs.negative_hits, 3);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.refused, 5);
    proxy_free(x);
    return 0;
}

TEST(slow_lookups_are_coalesced)
{
    egress_t *x = proxy_new(0, 5000);
    ASSERT_NOT_NULL(x);
    int q0 = rule("slow.test")->queries;
    client_t *c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = client_new(egress_port(x));
        client_send(c[i], "CONNECT slow.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    }
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(client_wait(c[i], "200 Connection Established"), 0);
        client_send(c[i], "x%d", i);
        char want[8];
        snprintf(want, sizeof want, "x%d", i);
        ASSERT_EQ(client_wait(c[i], want), 0);
        client_free(c[i]);
    }
    resolver_stats_t rs;
    resolver_get_stats(res, &rs);
    ASSERT_EQ(rs.queries, 1);
    ASSERT_EQ(rs.coalesced, 3);
    ASSERT_LE(rule("slow.test")->queries - q0, 2);
    /* later: from the cache */
    client_t *d = client_new(egress_port(x));
    client_send(d, "CONNECT slow.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(d, "200 Connection"), 0);
    resolver_get_stats(res, &rs);
    ASSERT_EQ(rs.cache_hits, 1);
    ASSERT_EQ(rs.queries, 1);
    client_free(d);
    proxy_free(x);
    return 0;
}

TEST(rebinding_meets_the_rules_on_every_connection)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    int accepts = echo_srv.accepts;
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT rebind.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "200 Connection"), 0);
    client_free(c);
    /* TTL 0: the next connection looks the name up again and gets the metadata address;
     * it is refused, and the connection is never made */
    c = client_new(egress_port(x));
    client_send(c, "CONNECT rebind.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "169.254.169.254") != NULL);
    ASSERT_EQ(echo_srv.accepts - accepts, 1);
    ASSERT_EQ(rule("rebind.test")->a_queries, 2);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(private_network_access)
{
    /* the link is on a public address, not reached yet: loopback is refused (no
     * connection to the public address is made) */
    egress_t *x = proxy_bare(0, 2000);
    ASSERT_NOT_NULL(x);
    egress_set_top_host(x, "8.8.8.8");
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "private network access") != NULL);
    ASSERT_EQ(refused_top, 0);
    client_free(c);
    proxy_free(x);
    /* a link the user added on a private address may load from private addresses */
    x = proxy_bare(0, 2000);
    egress_set_top_host(x, "echo.test");
    c = client_new(egress_port(x));
    client_send(c, "CONNECT echo.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "200 Connection"), 0);
    client_free(c);
    c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "200 Connection"), 0);
    client_free(c);
    /* but never link-local, and the top's own refusal is flagged as the top's */
    egress_set_top_host(x, "meta.test");
    c = client_new(egress_port(x));
    client_send(c, "CONNECT meta.test:80 HTTP/1.1\r\n\r\n");
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT_EQ(refused_top, 1);
    client_free(c);
    proxy_free(x);
    /* before the link's own connection, other private hosts are refused */
    x = proxy_bare(0, 2000);
    egress_set_top_host(x, "slow.test");
    c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(bad_requests)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    static const struct { const char *req; const char *want; } cases[] = {
        {"garbage\r\n\r\n", "400"},
        {"GET /relative HTTP/1.1\r\nHost: h\r\n\r\n", "400"},
        {"GET ftp://127.0.0.1/ HTTP/1.1\r\n\r\n", "400"},
        {"CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n", "400"},
        {"CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n", "403"},
        {"CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n", "403"},
        {"CONNECT 127.0.0.1:123456 HTTP/1.1\r\n\r\n", "400"},
        {"CONNECT ::1:80 HTTP/1.1\r\n\r\n", "400"},
        {"CONNECT [::1:80 HTTP/1.1\r\n\r\n", "400"},
        {"CONNECT a b:80 HTTP/1.1\r\n\r\n", "400"},
        {"GET http://user:pw@127.0.0.1/ HTTP/1.1\r\n\r\n", "400"},
        {"GET http://bad_host!/ HTTP/1.1\r\n\r\n", "400"},
        {"GET http://127.0.0.1/ HTTP/2.0\r\n\r\n", "400"},
        {"POST http://127.0.0.1/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400"},
        {"POST http://127.0.0.1/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "400"},
        {"POST http://127.0.0.1/ HTTP/1.1\r\nContent-Length: x\r\n\r\n", "400"},
        {"POST http://127.0.0.1/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "400"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        client_t *c = client_new(egress_port(x));
        client_send(c, "%s", cases[i].req);
        ASSERT_MSG(client_wait(c, cases[i].want) == 0, "case %zu (%s): got '%s'", i, cases[i].req, c->in);
        run_until(is_eof, c);
        ASSERT(c->eof);
        client_free(c);
    }
    /* a malformed chunked request body */
    client_t *c = client_new(egress_port(x));
    client_send(c, "POST http://127.0.0.1:%d/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                origin.port);
    ASSERT_EQ(client_wait(c, "400"), 0);
    client_free(c);
    /* a head that never ends */
    c = client_new(egress_port(x));
    char big[4000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    client_send(c, "GET http://127.0.0.1/ HTTP/1.1\r\n");
    for (int i = 0; i < 10 && !c->eof; i++) {
        client_send(c, "X-Pad: %s\r\n", big);
        uv_run(loop, UV_RUN_NOWAIT);
    }
    ASSERT_EQ(client_wait(c, "431"), 0);
    client_free(c);
    proxy_free(x);
    return 0;
}

/* issue 24 findings 5 and 12 through a real listener: a numeric spelling of an address is
 * that address, checked before any lookup (no lookup at all: nothing reaches the resolver,
 * so no unwritten name and no stale one from the previous request); a head over 32 KiB
 * that arrives in one piece gets 431 and reaches no server. */
TEST(numeric_hosts_and_large_heads)
{
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    static const char *const loopback[] = {"127.1", "0x7f000001", "2130706433", "0177.0.0.1",
                                           "0x7f.0.0.1", "127.0.1"};
    resolver_stats_t r0, r1;
    /* the previous request goes to a name, so a stale name would be at hand */
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT echo.test:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "200 Connection"), 0);
    client_free(c);
    /* no top document yet: loopback is allowed, and reached as the address it is */
    resolver_get_stats(res, &r0);
    for (size_t i = 0; i < LS_TEST_LEN(loopback); i++) {
        c = client_new(egress_port(x));
        client_send(c, "CONNECT %s:%d HTTP/1.1\r\n\r\nping-%zu", loopback[i], echo_srv.port, i);
        char want[16];
        snprintf(want, sizeof want, "ping-%zu", i);
        ASSERT_MSG(client_wait(c, want) == 0, "%s: %s", loopback[i], c->in);
        ASSERT(!strncmp(c->in, "HTTP/1.1 200", 12));
        client_free(c);
    }
    resolver_get_stats(res, &r1);
    ASSERT_EQ(lookups(&r1), lookups(&r0));

    /* a capture of a public link: every spelling is refused as loopback, in plain text that
     * names the address, and nothing is connected to */
    proxy_free(x);
    x = proxy_bare(0, 2000);
    ASSERT_NOT_NULL(x);
    egress_set_top_host(x, "8.8.8.8");
    egress_set_owner(x, "job 7", refused_cb, NULL);
    resolver_get_stats(res, &r1);
    int echo_accepts = echo_srv.accepts, origin_requests = origin.requests;
    for (size_t i = 0; i < 2 * LS_TEST_LEN(loopback) + 2; i++) {
        const char *h = i < 2 * LS_TEST_LEN(loopback) ? loopback[i / 2] : "0";
        c = client_new(egress_port(x));
        if (i % 2)
            client_send(c, "GET http://%s:%d/len HTTP/1.1\r\nHost: h\r\n\r\n", h, origin.port);
        else
            client_send(c, "CONNECT %s:%d HTTP/1.1\r\n\r\n", h, echo_srv.port);
        run_until(is_eof, c);
        ASSERT_MSG(strstr(c->in, "403 Forbidden") != NULL, "%s: %s", h, c->in);
        ASSERT_MSG(strstr(c->in, strcmp(h, "0") ? "127.0.0.1 is a loopback address" : "0.0.0.0 is an unspecified")
                   && strstr(c->in, "private network access"), "%s: %s", h, c->in);
        for (size_t k = 0; k < c->n; k++)
            ASSERT_MSG(c->in[k] == '\r' || c->in[k] == '\n' || (c->in[k] >= ' ' && c->in[k] < 127),
                       "%s: byte %zu of the answer is 0x%02x", h, k, (unsigned char)c->in[k]);
        ASSERT_STR_EQ(refused_host, strcmp(h, "0") ? "127.0.0.1" : "0.0.0.0");
        client_free(c);
    }
    ASSERT_EQ(echo_srv.accepts, echo_accepts);
    ASSERT_EQ(origin.requests, origin_requests);
    /* the engine's spelling of a host meets the proxy's: the refusal is found by any */
    char why[300];
    ASSERT_EQ(egress_refusal(x, "0x7f.1", why, sizeof why), 1);
    ASSERT(strstr(why, "loopback") != NULL);
    /* a host that ends in a number but is no address: refused, not looked up */
    c = client_new(egress_port(x));
    client_send(c, "CONNECT 1.2.3.4.5:443 HTTP/1.1\r\n\r\n");
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "not an IPv4 address") != NULL);
    client_free(c);
    resolver_get_stats(res, &r0);
    ASSERT_EQ(lookups(&r0), lookups(&r1));
    proxy_free(x);

    /* finding 12: a 40 KB head in one write, complete, to a server the rules allow */
    x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    static char head[40960];
    int n = snprintf(head, sizeof head, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: h\r\n", origin.port);
    while (n < 40000) {
        memcpy(head + n, "X-Pad: ", 7);
        memset(head + n + 7, 'a', 3991);
        memcpy(head + n + 3998, "\r\n", 2);
        n += 4000;
    }
    memcpy(head + n, "\r\n", 2);
    n += 2;
    origin_requests = origin.requests;
    c = client_new(egress_port(x));
    uv_buf_t b = uv_buf_init(head, (unsigned)n);
    int w = uv_try_write((uv_stream_t *)&c->h, &b, 1);
    ASSERT_GT(w, 0);
    if (w < n) {   /* the rest, if the socket took less at once */
        uv_write_t *wr = malloc(sizeof *wr);
        b = uv_buf_init(head + w, (unsigned)(n - w));
        ASSERT_EQ(uv_write(wr, (uv_stream_t *)&c->h, &b, 1, cw_cb), 0);
    }
    run_until(is_eof, c);
    ASSERT_MSG(strstr(c->in, "431 Request Header Fields Too Large") != NULL, "got '%.100s'", c->in);
    ASSERT_EQ(origin.requests, origin_requests);
    client_free(c);
    /* one just under the cap still goes through */
    c = client_new(egress_port(x));
    n = snprintf(head, sizeof head, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nX-Pad: ", origin.port);
    memset(head + n, 'a', 30000);
    n += 30000;
    memcpy(head + n, "\r\n\r\n", 4);
    b = uv_buf_init(head, (unsigned)n + 4);
    w = uv_try_write((uv_stream_t *)&c->h, &b, 1);
    ASSERT_EQ(w, n + 4);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    ASSERT_EQ(origin.requests, origin_requests + 1);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(only_the_browser_may_connect)
{
    char err[256];
    egress_opts_t o = {.resolver = res, .peer_ip = "127.0.0.2", .label = "job 9"};
    egress_t *x = egress_new(loop, &o, err, sizeof err);
    ASSERT_NOT_NULL(x);
    client_t *c = client_new(egress_port(x));   /* from 127.0.0.1 */
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    run_until(is_eof, c);
    ASSERT(c->eof);
    ASSERT_EQ(c->n, 0);
    client_free(c);
    proxy_free(x);
    egress_opts_t bad = {.resolver = res, .bind_ip = "not-an-ip"};
    ASSERT_NULL(egress_new(loop, &bad, err, sizeof err));
    ASSERT(strstr(err, "not-an-ip") != NULL);
    egress_opts_t badpeer = {.resolver = res, .peer_ip = "nope"};
    ASSERT_NULL(egress_new(loop, &badpeer, err, sizeof err));
    char e2[256];
    ASSERT_NULL(resolver_new(loop, "not a server list", 100, e2, sizeof e2));
    ASSERT(strstr(e2, "dns_servers") != NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return 0;
}

/* ---- the network side, listeners without a capture, limits (issue 24) ------------------- */

/* A listener with o's options, the shared resolver and the test's refusal callback. */
static egress_t *proxy_custom(egress_opts_t o)
{
    char err[256], servers[64];
    if (!res) {
        snprintf(servers, sizeof servers, "127.0.0.1:%d", dns_port);
        res = resolver_new(loop, servers, 2000, err, sizeof err);
        if (!res)
            return NULL;
    }
    o.resolver = res;
    o.label = o.label ? o.label : "job 8";
    o.refused = refused_cb;
    refusals_seen = refused_top = 0;
    egress_t *x = egress_new(loop, &o, err, sizeof err);
    if (!x)
        fprintf(stderr, "egress: %s\n", err);
    return x;
}

TEST(the_side_is_fixed_by_the_links_first_connection)
{
    int accepts = echo_srv.accepts;
    /* the link's name answers a private and a public address (either order): refused as
     * the top document, naming the mixed answer; nothing is connected to */
    const char *mixed[] = {"mixed1.test", "mixed2.test"};
    for (size_t i = 0; i < LS_TEST_LEN(mixed); i++) {
        egress_t *x = proxy_bare(0, 2000);
        ASSERT_NOT_NULL(x);
        egress_set_top_host(x, mixed[i]);
        client_t *c = client_new(egress_port(x));
        client_send(c, "CONNECT %s:%d HTTP/1.1\r\n\r\n", mixed[i], echo_srv.port);
        ASSERT_MSG(client_wait(c, "403") == 0, "%s: %s", mixed[i], c->in);
        ASSERT(strstr(c->in, "mixed answer") != NULL);
        ASSERT_EQ(refused_top, 1);
        client_free(c);
        proxy_free(x);
    }
    /* a private capture refuses a mixed answer too */
    egress_t *x = proxy_new(0, 2000);
    ASSERT_NOT_NULL(x);
    client_t *c = client_new(egress_port(x));
    client_send(c, "GET http://mixed2.test:%d/len HTTP/1.1\r\nHost: mixed2.test\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "mixed answer") != NULL);
    client_free(c);
    /* once private, a later top host (a redirect to a public name) does not change it */
    egress_set_top_host(x, "8.8.8.8");
    c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "200 Connection"), 0);
    client_free(c);
    proxy_free(x);
    accepts = echo_srv.accepts;
    /* a redirect of a public link to loopback: the new top host is not the link, so it
     * cannot make the capture private; refused as the top document */
    x = proxy_bare(0, 2000);
    egress_set_top_host(x, "8.8.8.8");
    egress_set_top_host(x, "127.0.0.1");
    c = client_new(egress_port(x));
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "private network access") != NULL);
    ASSERT_EQ(refused_top, 1);
    ASSERT_EQ(echo_srv.accepts, accepts);
    client_free(c);
    proxy_free(x);
    return 0;
}

TEST(a_listener_without_a_capture_allows_nothing)
{
    int accepts = echo_srv.accepts, requests = origin.requests;
    egress_t *x = proxy_bare(0, 2000);
    ASSERT_NOT_NULL(x);
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    ASSERT(strstr(c->in, "no capture") != NULL);
    client_free(c);
    c = client_new(egress_port(x));
    client_send(c, "GET http://echo.test:%d/len HTTP/1.1\r\nHost: echo.test\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "403"), 0);
    client_free(c);
    ASSERT_EQ(echo_srv.accepts, accepts);
    ASSERT_EQ(origin.requests, requests);
    /* handed to a capture: what was refused before is not the new owner's */
    egress_set_owner(x, "job 10", refused_cb, NULL);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.refused, 0);
    char why[300];
    ASSERT_EQ(egress_refusal(x, "127.0.0.1", why, sizeof why), 0);
    proxy_free(x);
    return 0;
}

TEST(request_heads_time_out)
{
    egress_t *x = proxy_custom((egress_opts_t){.head_timeout_ms = 300});
    ASSERT_NOT_NULL(x);
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:");   /* and nothing more */
    run_until(is_eof, c);
    ASSERT(c->eof);
    ASSERT_EQ(c->n, 0);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.head_timeouts, 1);
    ASSERT_EQ(st.open, 0);
    ASSERT_EQ(refusals_seen, 0);
    client_free(c);
    /* an idle keep-alive connection waits for its next head no longer */
    egress_set_top_host(x, "127.0.0.1");
    c = client_new(egress_port(x));
    client_send(c, "GET http://127.0.0.1:%d/len HTTP/1.1\r\nHost: h\r\n\r\n", origin.port);
    ASSERT_EQ(client_wait(c, "hello"), 0);
    run_until(is_eof, c);
    ASSERT(c->eof);
    egress_get_stats(x, &st);
    ASSERT_EQ(st.head_timeouts, 2);
    ASSERT_EQ(st.requests, 1);
    client_free(c);
    proxy_free(x);
    return 0;
}

static egress_limits_t *lim_watch;
static int lim_want;
static int limits_at(void *a)
{
    (void)a;
    return lim_watch->open == lim_want;
}

TEST(connections_are_capped_per_listener_and_in_total)
{
    egress_limits_t lim;
    egress_limits_init(&lim, 0);
    ASSERT_GE(lim.max_open, 16);
    ASSERT_EQ(lim.open, 0);
    lim.max_open = 4;
    lim_watch = &lim;
    egress_opts_t o = {.limits = &lim, .max_conns = 3, .head_timeout_ms = 60000};
    egress_t *a = proxy_custom(o), *b = proxy_custom(o);
    egress_opts_t ou = {.limits = &lim, .peer_ip = "127.0.0.2"};
    egress_t *u = proxy_custom(ou);
    ASSERT(a && b && u);
    client_t *ca[3];
    for (int i = 0; i < 3; i++) {   /* half-sent heads: they hold their places */
        ca[i] = client_new(egress_port(a));
        client_send(ca[i], "CONNECT 1");
        lim_want = i + 1;
        ASSERT_EQ(run_until(limits_at, NULL), 0);
    }
    /* the listener's cap: a fourth is closed unread */
    client_t *c = client_new(egress_port(a));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    run_until(is_eof, c);
    ASSERT(c->eof);
    ASSERT_EQ(c->n, 0);
    client_free(c);
    egress_stats_t st;
    egress_get_stats(a, &st);
    ASSERT_EQ(st.over_cap, 1);
    ASSERT_EQ(st.open, 3);
    ASSERT_EQ(lim.open, 3);
    /* the total: another listener gets the one place left, then nothing */
    client_t *cb = client_new(egress_port(b));
    client_send(cb, "CONNECT 1");
    lim_want = 4;
    ASSERT_EQ(run_until(limits_at, NULL), 0);
    c = client_new(egress_port(b));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    run_until(is_eof, c);
    ASSERT(c->eof);
    ASSERT_EQ(c->n, 0);
    client_free(c);
    egress_get_stats(b, &st);
    ASSERT_EQ(st.over_cap, 1);
    /* a peer other than the browser is closed unread and takes no place */
    c = client_new(egress_port(u));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    run_until(is_eof, c);
    ASSERT_EQ(c->n, 0);
    client_free(c);
    egress_get_stats(u, &st);
    ASSERT_EQ(st.unauthorised, 1);
    ASSERT_EQ(st.over_cap, 0);
    ASSERT_EQ(lim.open, 4);
    ASSERT_EQ(refusals_seen, 0);
    /* a place freed is a place taken again */
    client_free(ca[0]);
    lim_want = 3;
    ASSERT_EQ(run_until(limits_at, NULL), 0);
    c = client_new(egress_port(b));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    ASSERT_EQ(client_wait(c, "403"), 0);   /* served: refused, as b has no capture */
    client_free(c);
    client_free(ca[1]);
    client_free(ca[2]);
    client_free(cb);
    proxy_free(a);
    proxy_free(b);
    proxy_free(u);
    ASSERT_EQ(lim.open, 0);
    return 0;
}

static int child_status = -1;
static pid_t child_pid;
static void child_poll_cb(uv_timer_t *t)
{
    int st;
    if (waitpid(child_pid, &st, WNOHANG) == child_pid) {
        child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 100;
        uv_timer_stop(t);
    }
}
static int child_done(void *a)
{
    (void)a;
    return child_status >= 0;
}

/* In a child as uid: connects to port, sends a CONNECT to the echo server, and exits with
 * 0 when the proxy closed the connection without a byte, 1 when bytes came back. */
static int connect_as(uid_t uid, int port)
{
    child_status = -1;
    child_pid = fork();
    if (child_pid == 0) {
        if (setgid(65534) != 0 || setuid(uid) != 0)
            _exit(3);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        uv_ip4_addr("127.0.0.1", port, &a);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            _exit(4);
        char req[128], buf[256];
        int n = snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\nping", echo_srv.port);
        if (write(fd, req, (size_t)n) != n)
            _exit(5);
        _exit(read(fd, buf, sizeof buf) > 0 ? 1 : 0);
    }
    uv_timer_t t;
    uv_timer_init(loop, &t);
    uv_timer_start(&t, child_poll_cb, 10, 10);
    run_until(child_done, NULL);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return child_status;
}

TEST(only_the_browsers_uid_may_connect)
{
    egress_limits_t lim = {.max_open = 100};
    int accepts = echo_srv.accepts;
    /* a listener for a browser of another uid: our own connection is closed unread */
    egress_t *x = proxy_custom((egress_opts_t){.limits = &lim, .peer_uid_set = 1,
                                               .peer_uid = geteuid() + 12345});
    ASSERT_NOT_NULL(x);
    egress_set_top_host(x, "127.0.0.1");
    client_t *c = client_new(egress_port(x));
    client_send(c, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", echo_srv.port);
    run_until(is_eof, c);
    ASSERT(c->eof);
    ASSERT_EQ(c->n, 0);
    client_free(c);
    egress_stats_t st;
    egress_get_stats(x, &st);
    ASSERT_EQ(st.unauthorised, 1);
    ASSERT_EQ(st.requests, 0);
    ASSERT_EQ(refusals_seen, 0);      /* the capture never hears of it */
    ASSERT_EQ(lim.open, 0);
    proxy_free(x);
    /* as root: another user's connection to a listener of ours is closed unread, while
     * ours is served */
    if (geteuid() == 0) {
        x = proxy_custom((egress_opts_t){.limits = &lim});
        ASSERT_NOT_NULL(x);
        egress_set_top_host(x, "127.0.0.1");
        ASSERT_EQ(connect_as(65534, egress_port(x)), 0);
        egress_get_stats(x, &st);
        ASSERT_EQ(st.unauthorised, 1);
        ASSERT_EQ(refusals_seen, 0);
        ASSERT_EQ(echo_srv.accepts, accepts);
        ASSERT_EQ(connect_as(0, egress_port(x)), 1);
        ASSERT_EQ(echo_srv.accepts, accepts + 1);
        proxy_free(x);
    } else {
        fprintf(stderr, "only_the_browsers_uid_may_connect: not root, the other-user part is skipped\n");
    }
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(connect_is_an_opaque_tunnel),
    TEST_ENTRY(absolute_form_keep_alive_and_chunked),
    TEST_ENTRY(keep_alive_to_another_host_reconnects),
    TEST_ENTRY(refusals_name_the_rule_and_the_job),
    TEST_ENTRY(failed_lookups_are_refusals_and_cached),
    TEST_ENTRY(slow_lookups_are_coalesced),
    TEST_ENTRY(rebinding_meets_the_rules_on_every_connection),
    TEST_ENTRY(private_network_access),
    TEST_ENTRY(bad_requests),
    TEST_ENTRY(numeric_hosts_and_large_heads),
    TEST_ENTRY(only_the_browser_may_connect),
    TEST_ENTRY(the_side_is_fixed_by_the_links_first_connection),
    TEST_ENTRY(a_listener_without_a_capture_allows_nothing),
    TEST_ENTRY(request_heads_time_out),
    TEST_ENTRY(connections_are_capped_per_listener_and_in_total),
    TEST_ENTRY(only_the_browsers_uid_may_connect),
    TEST_END,
};

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    /* the servers' connections still open own their sconn_t */
    if (getenv("WALK_DEBUG"))
        fprintf(stderr, "open handle: %s data=%p origin=%p echo=%p h=%p\n", uv_handle_type_name(h->type), h->data, (void *)&origin, (void *)&echo_srv, (void *)h);
    if (h->type == UV_TCP && h->data != &origin && h->data != &echo_srv)
        uv_close(h, sconn_closed_cb);
    else
        uv_close(h, NULL);
}

TEST_RUNNER_()

int main(int argc, char **argv)
{
    loop = uv_default_loop();
    if (dns_start() != 0 || server_start(&origin, 0) != 0 || server_start(&echo_srv, 1) != 0) {
        fprintf(stderr, "cannot start the test servers on 127.0.0.1\n");
        return 1;
    }
    int rc = test_main_(argc, argv);
    resolver_free(res);
    res = NULL;
    uv_run(loop, UV_RUN_NOWAIT);
    uv_walk(loop, close_walk_cb, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return rc;
}
