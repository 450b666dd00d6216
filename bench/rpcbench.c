/* rpcbench.c -- JSON-RPC load generator for linksnapd benchmarks. N client threads, each
 * on its own connection, keep up to `depth` requests in flight (pipelining) and time each
 * reply (replies come back in request order on one connection). Request params come from
 * a template where %ID% is a random integer in [1, id_max], %SEQ% a unique sequence
 * number, %TAG% a uniform tag index in [1, tag_max] and %ZTAG% a Zipf-distributed one. Prints one JSON object of results.
 * Knows sockets and the line protocol; nothing of the daemon's internals. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *socket_path, *method, *params;
    long requests;      /* per client */
    int clients, depth;
    long id_max, tag_max;
    double rate;        /* requests/s per client, 0 = as fast as possible */
} opts_t;

typedef struct {
    const opts_t *o;
    int index;
    long done, errors;
    double *lat_ms;     /* one per request */
    uint64_t rng;
    char err[256];
} client_t;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static atomic_long seq_counter;
static double *zipf_cdf;   /* cumulative weights 1/k over [1, tag_max], built once in main */

/* A tag index drawn from a Zipf(1) distribution: tag 1 is the most common, as in real
 * collections where a few tags carry most links. */
static long zipf_draw(uint64_t *rng, long n)
{
    double u = (double)(xorshift(rng) >> 11) / (double)(1ull << 53) * zipf_cdf[n - 1];
    long lo = 0, hi = n - 1;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (zipf_cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo + 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int build_request(client_t *c, long id, char *out, size_t outlen)
{
    char params[4096];
    size_t n = 0;
    for (const char *p = c->o->params; *p && n < sizeof params - 32;) {
        if (!strncmp(p, "%ID%", 4)) {
            n += (size_t)snprintf(params + n, sizeof params - n, "%ld",
                                  (long)(xorshift(&c->rng) % (uint64_t)c->o->id_max) + 1);
            p += 4;
        } else if (!strncmp(p, "%SEQ%", 5)) {
            n += (size_t)snprintf(params + n, sizeof params - n, "%ld", atomic_fetch_add(&seq_counter, 1));
            p += 5;
        } else if (!strncmp(p, "%ZTAG%", 6)) {
            n += (size_t)snprintf(params + n, sizeof params - n, "%ld", zipf_draw(&c->rng, c->o->tag_max));
            p += 6;
        } else if (!strncmp(p, "%TAG%", 5)) {
            n += (size_t)snprintf(params + n, sizeof params - n, "%ld",
                                  (long)(xorshift(&c->rng) % (uint64_t)c->o->tag_max) + 1);
            p += 5;
        } else {
            params[n++] = *p++;
        }
    }
    params[n] = '\0';
    return snprintf(out, outlen, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\",\"params\":%s}\n",
                    id, c->o->method, params);
}

static void *client_main(void *arg)
{
    client_t *c = arg;
    const opts_t *o = c->o;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", o->socket_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(c->err, sizeof c->err, "connect %s: %s", o->socket_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    double *sent = calloc((size_t)o->requests, sizeof *sent);
    size_t cap = 1 << 20, len = 0;
    char *in = malloc(cap);
    char req[8192];
    long next = 0;
    double t0 = now_s();
    while (c->done < o->requests) {
        /* fill the window */
        char out[65536];
        size_t olen = 0;
        while (next < o->requests && next - c->done < o->depth && olen < sizeof out - sizeof req) {
            if (o->rate > 0 && now_s() < t0 + next / o->rate)
                break;
            int k = build_request(c, next, req, sizeof req);
            memcpy(out + olen, req, (size_t)k);
            olen += (size_t)k;
            sent[next++] = now_s();
        }
        for (size_t off = 0; off < olen;) {
            ssize_t w = write(fd, out + off, olen - off);
            if (w <= 0) {
                snprintf(c->err, sizeof c->err, "write: %s", strerror(errno));
                goto out;
            }
            off += (size_t)w;
        }
        if (c->done == next) { /* rate-limited and nothing in flight */
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        ssize_t r = read(fd, in + len, cap - len);
        if (r <= 0) {
            snprintf(c->err, sizeof c->err, "read: %s", r == 0 ? "daemon closed" : strerror(errno));
            goto out;
        }
        len += (size_t)r;
        char *start = in, *nl;
        while ((nl = memchr(start, '\n', (size_t)(in + len - start)))) {
            if (memmem(start, (size_t)(nl - start), "\"error\"", 7))
                c->errors++;
            if (memmem(start, (size_t)(nl - start), "\"method\":\"event\"", 16) == NULL) {
                c->lat_ms[c->done] = (now_s() - sent[c->done]) * 1000.0;
                c->done++;
            }
            start = nl + 1;
        }
        len = (size_t)(in + len - start);
        memmove(in, start, len);
        if (len == cap) {
            snprintf(c->err, sizeof c->err, "reply line over %zu bytes", cap);
            goto out;
        }
    }
out:
    free(sent);
    free(in);
    close(fd);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    opts_t o = {.method = "daemon.ping", .params = "{}", .requests = 10000, .clients = 1,
                .depth = 64, .id_max = 1, .tag_max = 1};
    static const struct option lo[] = {
        {"socket", 1, 0, 's'}, {"method", 1, 0, 'm'}, {"params", 1, 0, 'p'},
        {"requests", 1, 0, 'n'}, {"clients", 1, 0, 'c'}, {"depth", 1, 0, 'd'},
        {"id-max", 1, 0, 'i'}, {"tag-max", 1, 0, 't'}, {"rate", 1, 0, 'r'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': o.socket_path = optarg; break;
        case 'm': o.method = optarg; break;
        case 'p': o.params = optarg; break;
        case 'n': o.requests = atol(optarg); break;
        case 'c': o.clients = atoi(optarg); break;
        case 'd': o.depth = atoi(optarg); break;
        case 'i': o.id_max = atol(optarg); break;
        case 't': o.tag_max = atol(optarg); break;
        case 'r': o.rate = atof(optarg); break;
        default:
            fprintf(stderr, "usage: rpcbench --socket PATH [--method M] [--params JSON] [--requests N per client]\n"
                            "       [--clients N] [--depth N] [--id-max N] [--tag-max N] [--rate R per client]\n");
            return 2;
        }
    }
    if (!o.socket_path || o.clients < 1 || o.depth < 1 || o.requests < 1 || o.id_max < 1 || o.tag_max < 1) {
        fprintf(stderr, "rpcbench: --socket is required; counts must be positive\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a daemon that stops ends the run; we still report */
    atomic_store(&seq_counter, (long)time(NULL) * 1000);
    zipf_cdf = malloc((size_t)o.tag_max * sizeof *zipf_cdf);
    for (long k = 0; k < o.tag_max; k++)
        zipf_cdf[k] = (k ? zipf_cdf[k - 1] : 0) + 1.0 / (double)(k + 1);
    client_t *cs = calloc((size_t)o.clients, sizeof *cs);
    pthread_t *th = calloc((size_t)o.clients, sizeof *th);
    for (int i = 0; i < o.clients; i++) {
        cs[i].o = &o;
        cs[i].index = i;
        cs[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        cs[i].lat_ms = calloc((size_t)o.requests, sizeof(double));
    }
    double t0 = now_s();
    for (int i = 0; i < o.clients; i++)
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    for (int i = 0; i < o.clients; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    long total = 0, errors = 0;
    const char *stopped = NULL;
    for (int i = 0; i < o.clients; i++) {
        if (cs[i].err[0]) {
            fprintf(stderr, "rpcbench: client %d: %s\n", i, cs[i].err);
            stopped = cs[i].err;   /* still report what was measured before */
        }
        total += cs[i].done;
        errors += cs[i].errors;
    }
    if (total == 0)
        return 1;
    double *all = malloc((size_t)total * sizeof *all);
    long k = 0;
    for (int i = 0; i < o.clients; i++)
        for (long j = 0; j < cs[i].done; j++)
            all[k++] = cs[i].lat_ms[j];
    qsort(all, (size_t)total, sizeof *all, cmp_double);
    printf("{\"method\":\"%s\",\"clients\":%d,\"depth\":%d,\"requests\":%ld,\"errors\":%ld,"
           "\"seconds\":%.3f,\"rps\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"stopped_early\":%s}\n",
           o.method, o.clients, o.depth, total, errors, secs, total / secs,
           all[total / 2], all[(long)(total * 0.99)], all[total - 1], stopped ? "true" : "false");
    return stopped ? 4 : errors ? 3 : 0;
}
