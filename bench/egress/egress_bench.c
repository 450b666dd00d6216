/* egress_bench.c -- the latency the egress proxy (capture/egress.c) adds to a request, against
 * the same request sent directly, on 127.0.0.1. The proxy runs on its own libuv loop thread
 * (as in linksnapd); an origin server (a thread per connection) answers every GET with a
 * 1 KiB body; the client is this thread, with blocking sockets. Three shapes:
 *   new     a connection per request: direct GET vs absolute-form GET through the proxy
 *   keep    one connection, requests one after another: direct vs through the proxy
 *   tunnel  a connection per request: direct GET vs CONNECT + GET inside the tunnel
 * Rounds alternate ours and the peer (direct); each round measures N requests; reported:
 * the best round's p50 and p99 of each, and the spread over rounds.
 * Usage: egress_bench [N] [ROUNDS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "egress.h"
#include "resolver.h"

static int origin_port, proxy_port;
static uv_loop_t ploop;
static uv_async_t stop_async;
static egress_t *proxy;
static resolver_t *res;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- origin ---------------------------------------------------------------------------- */

static void *origin_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[8192], body[1024];
    memset(body, 'x', sizeof body);
    char reply[2048];
    int hl = snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof body);
    memcpy(reply + hl, body, sizeof body);
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        char *end;
        while ((end = memmem(buf, have, "\r\n\r\n", 4))) {
            size_t used = (size_t)(end - buf) + 4;
            if (write(fd, reply, (size_t)hl + sizeof body) < 0)
                goto out;
            memmove(buf, buf + used, have - used);
            have -= used;
        }
    }
out:
    close(fd);
    return NULL;
}

static void *origin_main(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, NULL, origin_conn, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

/* ---- the proxy's loop -------------------------------------------------------------------- */

static void stop_cb(uv_async_t *a)
{
    egress_free(proxy);
    resolver_free(res);
    uv_close((uv_handle_t *)a, NULL);
}

static void *proxy_main(void *arg)
{
    (void)arg;
    uv_run(&ploop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- the client -------------------------------------------------------------------------- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Sends req, reads one response (head + Content-Length body, or a bare 200 head). */
static void exchange(int fd, const char *req, int bare_head)
{
    if (write(fd, req, strlen(req)) < 0) {
        perror("write");
        exit(1);
    }
    char buf[8192];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have - 1);
        if (n <= 0) {
            fprintf(stderr, "short response (%zd)\n", n);
            exit(1);
        }
        have += (size_t)n;
        buf[have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        size_t head = (size_t)(end - buf) + 4;
        if (bare_head)
            return;
        char *cl = strstr(buf, "Content-Length: ");
        size_t len = cl ? (size_t)atol(cl + 16) : 0;
        if (have >= head + len)
            return;
    }
}

typedef enum { NEW, KEEP, TUNNEL } shape_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One round of n requests; fills p50 and p99 in µs. */
static void round_run(shape_t shape, int via_proxy, int n, double *p50, double *p99)
{
    double *t = malloc(sizeof *t * (size_t)n);
    char direct[256], absolute[256], connect_req[256];
    snprintf(direct, sizeof direct, "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    snprintf(absolute, sizeof absolute, "GET http://127.0.0.1:%d/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", origin_port);
    snprintf(connect_req, sizeof connect_req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n", origin_port);
    int keep_fd = -1;
    if (shape == KEEP)
        keep_fd = dial(via_proxy ? proxy_port : origin_port);
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (shape == KEEP) {
            exchange(keep_fd, via_proxy ? absolute : direct, 0);
        } else {
            int fd = dial(via_proxy ? proxy_port : origin_port);
            if (via_proxy && shape == TUNNEL) {
                exchange(fd, connect_req, 1);
                exchange(fd, direct, 0);
            } else {
                exchange(fd, via_proxy ? absolute : direct, 0);
            }
            close(fd);
        }
        t[i] = now_us() - t0;
    }
    if (keep_fd >= 0)
        close(keep_fd);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    *p50 = t[n / 2];
    *p99 = t[(n * 99) / 100];
    free(t);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 100 || rounds < 1) {
        fprintf(stderr, "usage: egress_bench [N >= 100] [ROUNDS >= 1]\n");
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 512) ||
        getsockname(lfd, (struct sockaddr *)&a, &al)) {
        perror("origin");
        return 1;
    }
    origin_port = ntohs(a.sin_port);
    pthread_t ot, pt;
    pthread_create(&ot, NULL, origin_main, (void *)(intptr_t)lfd);

    char err[256];
    uv_loop_init(&ploop);
    res = resolver_new(&ploop, "127.0.0.1:1", 1000, err, sizeof err);
    egress_opts_t o = {.resolver = res, .label = "bench"};
    proxy = res ? egress_new(&ploop, &o, err, sizeof err) : NULL;
    if (!proxy) {
        fprintf(stderr, "egress: %s\n", err);
        return 1;
    }
    proxy_port = egress_port(proxy);
    uv_async_init(&ploop, &stop_async, stop_cb);
    pthread_create(&pt, NULL, proxy_main, NULL);

    static const char *const names[] = {"new connection per request", "keep-alive",
                                        "CONNECT tunnel per request"};
    printf("egress_bench: %d requests per round, %d rounds, 1 KiB bodies, 127.0.0.1\n", n, rounds);
    for (int s = 0; s < 3; s++) {
        double best50[2] = {1e18, 1e18}, best99[2] = {1e18, 1e18}, worst50[2] = {0, 0}, worst99[2] = {0, 0};
        for (int r = 0; r < rounds; r++) {
            for (int via = 0; via < 2; via++) {   /* alternate: peer (direct), then ours */
                double p50, p99;
                round_run((shape_t)s, via, n, &p50, &p99);
                if (p50 < best50[via]) best50[via] = p50;
                if (p99 < best99[via]) best99[via] = p99;
                if (p50 > worst50[via]) worst50[via] = p50;
                if (p99 > worst99[via]) worst99[via] = p99;
            }
        }
        printf("%-28s direct   p50 %7.1f us (spread %5.1f)  p99 %7.1f us (spread %6.1f)\n", names[s],
               best50[0], worst50[0] - best50[0], best99[0], worst99[0] - best99[0]);
        printf("%-28s proxied  p50 %7.1f us (spread %5.1f)  p99 %7.1f us (spread %6.1f)\n", "",
               best50[1], worst50[1] - best50[1], best99[1], worst99[1] - best99[1]);
        printf("%-28s added    p50 %+7.1f us  p99 %+7.1f us  (ratio p50 %.2fx)\n", "",
               best50[1] - best50[0], best99[1] - best99[0], best50[1] / best50[0]);
    }
    egress_stats_t st;
    egress_get_stats(proxy, &st);   /* read while the loop runs: a snapshot, good enough */
    printf("proxy counters: %llu requests, %llu bytes, %llu refused\n", (unsigned long long)st.requests,
           (unsigned long long)st.bytes, (unsigned long long)st.refused);
    uv_async_send(&stop_async);
    pthread_join(pt, NULL);
    uv_loop_close(&ploop);
    close(lfd);
    return 0;
}
