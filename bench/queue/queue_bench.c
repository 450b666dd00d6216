/* queue_bench.c -- the capture queue's claim + finish rate through linksnapd's group-commit
 * writer (daemon/writer.c), as the engine drives it, with no browser: a claim of up to the
 * free slots, then one finish per job with what a real capture brings (a snapshot row,
 * timings, files, ~8 KB of page text for the full-text index) and the retention pass.
 * Optionally, reader threads keep a real linksnapd's socket busy on the same database
 * meanwhile. Also: filling a store, this disk's fsync rate and a database's size.
 * Prints one JSON object per command. Owns nothing of the daemon; bench/queue/run.py
 * drives it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "method.h"
#include "sites.h"
#include "store.h"
#include "util.h"
#include "writer.h"

#define NTEXTS 256          /* page texts made before the clock starts, used in turn */
#define NVOCAB 30000        /* distinct words of the made-up language */

typedef struct {
    const char *db, *socket_path, *dir;
    long links, hosts, jobs_limit;
    double seconds;
    int slots, readers, text_bytes, per_host, no_queue;
} opts_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- page texts: words drawn Zipf-like from a made-up vocabulary, so that the index
 * sees many distinct terms and a few very common ones, as with real pages ---- */

static char **vocab;
static char *texts[NTEXTS], *blocks[NTEXTS];

static int vocab_make(void)
{
    static const char *syl[] = {"ka", "lo", "mi", "ne", "tu", "ra", "shi", "po", "ve", "zan",
                                "el", "or", "qui", "bar", "den", "fos", "gri", "hul", "jo", "wex"};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    if (!(vocab = calloc(NVOCAB, sizeof *vocab)))
        return -1;
    for (int i = 0; i < NVOCAB; i++) {
        char w[32] = "";
        int n = 2 + (int)(rng_next(&rng) % 3);
        for (int k = 0; k < n; k++)
            strcat(w, syl[rng_next(&rng) % 20]);
        char num[12];
        snprintf(num, sizeof num, "%d", i % 97);   /* keeps words distinct */
        if (i >= 200)
            strcat(w, num);
        if (!(vocab[i] = strdup(w)))
            return -1;
    }
    return 0;
}

/* A word index with P(k) ~ 1/k: u^2 scaled is cheap and skewed enough. */
static int word_draw(uint64_t *rng)
{
    double u = (double)(rng_next(rng) >> 11) / (double)(1ull << 53);
    return (int)(u * u * u * NVOCAB) % NVOCAB;
}

static int texts_make(int bytes)
{
    uint64_t rng = 12345;
    for (int t = 0; t < NTEXTS; t++) {
        char *s = malloc((size_t)bytes + 64);
        json_t *bl = json_array();
        if (!s || !bl) {
            free(s);
            json_decref(bl);
            return -1;
        }
        size_t len = 0, para = 0;
        while (len < (size_t)bytes) {
            const char *w = vocab[word_draw(&rng)];
            size_t wl = strlen(w);
            memcpy(s + len, w, wl);
            len += wl;
            s[len++] = (rng_next(&rng) % 14 == 0) ? '\n' : ' ';
            if (s[len - 1] == '\n') {
                json_array_append_new(bl, json_pack("{s:s,s:s%}", "kind", "p", "text",
                                                    s + para, len - 1 - para));
                para = len;
            }
        }
        s[len] = 0;
        texts[t] = s;
        blocks[t] = json_dumps(bl, JSON_COMPACT);
        json_decref(bl);
        if (!blocks[t])
            return -1;
    }
    return 0;
}

/* ---- fill: N links, each with a queued capture (as link.add with capture does) ---- */

static int cmd_fill(const opts_t *o)
{
    store_t *db = NULL;
    char err[512];
    if (store_open(o->db, STORE_OPEN_MIGRATE, &db, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "queue_bench: %s\n", err);
        return 1;
    }
    uint64_t rng = 777;
    double t0 = now_s();
    long done = 0;
    for (long i = 0; i < o->links;) {
        if (store_begin(db) != STORE_OK)
            goto fail;
        for (long k = 0; k < 5000 && i < o->links; k++, i++) {
            char url[256], title[128];
            long h = (long)(rng_next(&rng) % (uint64_t)o->hosts);
            snprintf(url, sizeof url, "https://h%05ld.example.test/%s/%ld-%s", h,
                     vocab[word_draw(&rng)], i, vocab[word_draw(&rng)]);
            snprintf(title, sizeof title, "%s %s %s", vocab[word_draw(&rng)],
                     vocab[word_draw(&rng)], vocab[word_draw(&rng)]);
            const char *tags[1] = {(i % 3) ? "reading" : "work"};
            store_link_add_t in = {.url = url, .tags = tags, .ntags = 1, .title = title,
                                   .capture = 1, .now_ms = util_now_ms()};
            int64_t id;
            int created;
            if (store_link_add(db, &in, &id, &created) != STORE_OK) {
                store_rollback(db);
                goto fail;
            }
            done++;
        }
        if (store_commit(db) != STORE_OK)
            goto fail;
    }
    printf("{\"cmd\":\"fill\",\"links\":%ld,\"seconds\":%.3f}\n", done, now_s() - t0);
    store_close(db);
    return 0;
fail:
    fprintf(stderr, "queue_bench: fill: %s\n", store_errmsg(db));
    store_close(db);
    return 1;
}

/* ---- run: the engine's writes, as fast as the writer takes them ---- */

typedef enum { Q_CLAIM, Q_FINISH } qkind_t;

typedef struct {
    method_call_t call;        /* first: the writer's fn finds the rest */
    qkind_t kind;
    int max;
    store_job_t **jobs;
    store_site_rule_t **rules;
    size_t njobs;
    store_job_t *job;          /* Q_FINISH: the job (owned) */
    store_job_result_t result;
    store_page_text_t text;
    char *timings, *files, *sha;
    char path[512], thumb[512], title[160];
    store_snapshot_t **pruned;
    size_t npruned;
    int rc;
} qop_t;

typedef struct {
    const opts_t *o;
    uv_loop_t *loop;
    writer_t *writer;
    store_t *reader;
    uv_timer_t timer;
    uv_async_t kick;
    int free_slots, claim_inflight, stopping, inflight, closed;
    writer_stats_t ws;
    double t0, t_end;
    long claims, claimed, finished, finished_in_window, failed, empty_claims;
    long text_next;
    uint64_t rng;
} run_t;

static void qop_free(qop_t *op)
{
    store_job_list_free(op->jobs, op->njobs);
    if (op->rules)
        store_site_rule_list_free(op->rules, op->njobs);
    store_job_free(op->job);
    store_snapshot_list_free(op->pruned, op->npruned);
    free(op->timings);
    free(op->files);
    free(op->sha);
    json_decref(op->call.params);
    json_decref(op->call.result);
    json_decref(op->call.err_data);
    json_decref(op->call.events);
    free(op);
}

/* The writer thread's side: the same store calls, in the same order, as the engine's
 * jobs_op_fn (daemon/jobs.c) -- the claim with each job's site rule, the finish with the
 * retention pass. Kept here rather than linked, so the bench does not depend on the
 * engine's private op type. */
static int qop_fn(method_call_t *call)
{
    qop_t *op = (qop_t *)call;
    if (op->kind == Q_CLAIM) {
        op->rc = store_job_claim(call->db, util_now_ms(), op->max, &op->jobs, &op->njobs);
        if (op->rc == STORE_OK && op->njobs && !(op->rules = calloc(op->njobs, sizeof *op->rules)))
            return method_fail(call, -32603, "out of memory");
        for (size_t i = 0; op->rc == STORE_OK && i < op->njobs; i++)
            (void)store_site_match(call->db, op->jobs[i]->url, &op->rules[i]);
    } else {
        op->result.now_ms = util_now_ms();
        op->rc = store_job_finish(call->db, &op->result);
        if (op->rc == STORE_OK) {
            store_retain_opts_t ro = {50, 200, op->result.now_ms};   /* config defaults */
            (void)store_retain_link(call->db, op->job->link_id, &ro, &op->pruned, &op->npruned);
        }
    }
    return op->rc == STORE_OK || op->rc == STORE_ENOTFOUND || op->rc == STORE_ECONFLICT
        ? 0 : method_fail_store(call, op->rc, "capture queue");
}

static qop_t *qop_new(qkind_t kind)
{
    qop_t *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->kind = kind;
    op->call.method = "capture";
    if (!(op->call.params = json_object())) {
        free(op);
        return NULL;
    }
    return op;
}

static void schedule(run_t *r);

static void maybe_close(run_t *r);

static void finish_done_cb(method_call_t *call, void *ud)
{
    run_t *r = ud;
    qop_t *op = (qop_t *)call;
    r->inflight--;
    if (call->err_code || op->rc)
        r->failed++;
    else {
        r->finished++;
        if (now_s() <= r->t_end)
            r->finished_in_window++;
        /* as jobs_publish_finished: the loop reads the snapshot back for job.finished */
        store_snapshot_t *snap = NULL;
        if (store_snapshot_get(r->reader, op->job->snapshot_id, &snap) == STORE_OK)
            store_snapshot_free(snap);
    }
    qop_free(op);
    r->free_slots++;
    if (r->o->jobs_limit && r->finished >= r->o->jobs_limit)
        r->stopping = 1;
    schedule(r);
    maybe_close(r);
}

/* What a good capture of job brings: the shape of slot_save's result (daemon/slot.c),
 * sizes from docs/benchmarks.md (PNG 752 KB, MHTML 28 KB, text 8 KB a page). */
static qop_t *finish_make(run_t *r, store_job_t *job)
{
    qop_t *op = qop_new(Q_FINISH);
    if (!op)
        return NULL;
    op->job = job;
    int t = (int)(r->text_next++ % NTEXTS);
    char *path = op->path, *thumb = op->thumb, *title = op->title;
    snprintf(path, sizeof op->path, "%s/snapshots/%lld/%lld.png", r->o->dir ? r->o->dir : ".",
             (long long)job->link_id, (long long)job->snapshot_id);
    snprintf(thumb, sizeof op->thumb, "%s/snapshots/%lld/%lld.thumb.png",
             r->o->dir ? r->o->dir : ".", (long long)job->link_id, (long long)job->snapshot_id);
    snprintf(title, sizeof op->title, "%s %s", vocab[word_draw(&r->rng)], vocab[word_draw(&r->rng)]);
    op->sha = malloc(65);
    json_t *tj = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:{s:i,s:i,s:i}}", "navigate_ms",
                           300 + (int)(rng_next(&r->rng) % 500), "load_ms", 900, "settle_ms", 500,
                           "text_ms", 80, "shot_ms", 700, "mhtml_ms", 90, "network", "requests",
                           14, "bytes", 812345, "refused", 0);
    json_t *fj = r->o->text_bytes
        ? json_pack("{s:{s:s,s:i},s:{s:n,s:i,s:b}}", "mhtml", "path", path, "bytes", 28200,
                    "text", "path", "bytes", (int)strlen(texts[t]), "cut", 0)
        : json_pack("{s:{s:s,s:i}}", "mhtml", "path", path, "bytes", 28200);
    if (!op->sha || !tj || !fj)
        goto fail;
    for (int i = 0; i < 64; i += 16)
        snprintf(op->sha + i, 17, "%016llx", (unsigned long long)rng_next(&r->rng));
    op->timings = json_dumps(tj, JSON_COMPACT);
    op->files = json_dumps(fj, JSON_COMPACT);
    json_decref(tj);
    json_decref(fj);
    tj = fj = NULL;
    if (!op->timings || !op->files)
        goto fail;
    op->text = (store_page_text_t){.title = title, .lang = "en", .excerpt = "",
                                   .blocks_json = blocks[t], .text = texts[t]};
    op->result = (store_job_result_t){
        .job_id = job->id, .state = "ok", .http_status = 200, .final_url = job->url,
        .title = title, .path = path, .thumb_path = thumb, .sha256 = op->sha,
        .timings_json = op->timings, .width = 1280, .height = 3200, .bytes = 752000,
        .text = r->o->text_bytes ? &op->text : NULL, .files_json = op->files};
    return op;
fail:
    json_decref(tj);
    json_decref(fj);
    op->job = NULL;   /* the caller still owns job */
    qop_free(op);
    return NULL;
}

static void claim_done_cb(method_call_t *call, void *ud)
{
    run_t *r = ud;
    qop_t *op = (qop_t *)call;
    r->inflight--;
    r->claim_inflight = 0;
    if (call->err_code || op->rc) {
        fprintf(stderr, "queue_bench: claim failed: %s\n", call->err_msg);
        r->failed++;
        r->stopping = 1;
    }
    r->claims++;
    if (!op->njobs)
        r->empty_claims++;
    r->claimed += (long)op->njobs;
    r->free_slots += op->max;
    for (size_t i = 0; i < op->njobs; i++) {
        /* the capture itself takes no time here: its finish goes straight to the writer */
        qop_t *f = finish_make(r, op->jobs[i]);
        if (!f) {
            fprintf(stderr, "queue_bench: out of memory\n");
            r->stopping = 1;
            continue;
        }
        op->jobs[i] = NULL;
        r->free_slots--;
        r->inflight++;
        if (writer_submit(r->writer, &f->call, qop_fn, finish_done_cb, r) != 0) {
            r->inflight--;
            r->free_slots++;
            qop_free(f);
        }
    }
    qop_free(op);
    if (!r->inflight && !r->claimed && r->claims == 1)
        r->stopping = 1;   /* an empty queue from the start */
    schedule(r);
    maybe_close(r);
}

/* engine_schedule's shape (daemon/engine.c): one claim in flight at most, of the free
 * slots, after the loop's due probe. */
static void schedule(run_t *r)
{
    if (r->stopping || r->free_slots <= 0 || r->claim_inflight)
        return;
    int due = 0;
    if (store_job_due(r->reader, util_now_ms(), &due) != STORE_OK || !due) {
        if (!r->inflight)
            r->stopping = 1;   /* the queue ran dry */
        return;
    }
    qop_t *op = qop_new(Q_CLAIM);
    if (!op)
        return;
    op->max = r->free_slots;
    r->free_slots = 0;
    r->claim_inflight = 1;
    r->inflight++;
    if (writer_submit(r->writer, &op->call, qop_fn, claim_done_cb, r) != 0) {
        r->free_slots = op->max;
        r->claim_inflight = 0;
        r->inflight--;
        qop_free(op);
    }
}

static void writer_closed_cb(void *ud)
{
    run_t *r = ud;
    uv_close((uv_handle_t *)&r->timer, NULL);
    uv_close((uv_handle_t *)&r->kick, NULL);
}

/* The first claim goes out from an I/O callback: the writer dispatches in a uv_check
 * handle, which runs after the loop's poll, and a write submitted before uv_run (or from
 * a timer) would wait in the poll until the next event -- here the end timer. */
static void kick_cb(uv_async_t *a)
{
    run_t *r = a->data;
    schedule(r);
    maybe_close(r);
}

static void maybe_close(run_t *r)
{
    if (r->stopping && !r->inflight && !r->closed) {
        r->closed = 1;
        uv_timer_stop(&r->timer);
        writer_get_stats(r->writer, &r->ws);
        writer_close(r->writer, writer_closed_cb, r);
    }
}

static void timer_cb(uv_timer_t *t)
{
    run_t *r = t->data;
    r->stopping = 1;
    maybe_close(r);
}

/* ---- readers: one connection each to linksnapd, one request at a time, in turn
 * link.list (a page), daemon.status, link.list with q (the full-text index) ---- */

typedef struct {
    const opts_t *o;
    int index;
    atomic_int *stop;
    long done[3], errors;
    double lat_sum[3];
    double cpu_s;              /* this thread's CPU, taken out of the queue's */
    char err[256];
} reader_t;

static double cpu_of(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void *reader_main(void *arg)
{
    reader_t *c = arg;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->o->socket_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(c->err, sizeof c->err, "connect %s: %s", c->o->socket_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    uint64_t rng = 99 + (uint64_t)c->index;
    static char in[1 << 20];   /* one reader at a time uses it: readers > 1 get their own */
    char *buf = c->index ? malloc(sizeof in) : in;
    if (!buf) {
        close(fd);
        return NULL;
    }
    long seq = 0;
    while (!atomic_load(c->stop)) {
        int m = (int)(seq % 3);
        char req[512];
        int n;
        if (m == 0)
            n = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"link.list\","
                         "\"params\":{\"limit\":50}}\n", seq);
        else if (m == 1)
            n = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"daemon.status\","
                         "\"params\":{}}\n", seq);
        else
            n = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"link.list\","
                         "\"params\":{\"q\":\"%s\",\"limit\":20}}\n", seq,
                         vocab[100 + word_draw(&rng) % 2000]);
        double t0 = now_s();
        if (write(fd, req, (size_t)n) != n) {
            snprintf(c->err, sizeof c->err, "write: %s", strerror(errno));
            break;
        }
        size_t len = 0;
        for (;;) {
            ssize_t k = read(fd, buf + len, sizeof in - 1 - len);
            if (k <= 0) {
                snprintf(c->err, sizeof c->err, "read: %s", k ? strerror(errno) : "closed");
                goto out;
            }
            len += (size_t)k;
            if (buf[len - 1] == '\n')
                break;
            if (len >= sizeof in - 1) {
                len = 0;   /* a long reply: keep reading to its end */
            }
        }
        buf[len] = 0;
        /* an error reply has a top-level "error" (a snapshot's "error": null is not one) */
        json_t *reply = json_loads(buf, 0, NULL);
        if (!reply || json_object_get(reply, "error") || !json_object_get(reply, "result"))
            c->errors++;
        json_decref(reply);
        c->done[m]++;
        c->lat_sum[m] += (now_s() - t0) * 1000.0;
        seq++;
    }
out:
    c->cpu_s = cpu_of(RUSAGE_THREAD);
    if (buf != in)
        free(buf);
    close(fd);
    return NULL;
}

static int cmd_run(const opts_t *o)
{
    store_t *wdb = NULL;
    run_t r = {.o = o, .free_slots = o->slots, .rng = 4242};
    char err[512];
    int rc = 1;
    reader_t *rd = NULL;
    pthread_t *th = NULL;
    atomic_int stop = 0;
    int nstarted = 0;
    if (!o->no_queue) {
        if (store_open(o->db, STORE_OPEN_MIGRATE, &wdb, err, sizeof err) != STORE_OK ||
            store_open(o->db, STORE_OPEN_READONLY, &r.reader, err, sizeof err) != STORE_OK) {
            fprintf(stderr, "queue_bench: %s\n", err);
            goto out;
        }
        store_job_set_host_limit(wdb, o->per_host);
        store_job_set_host_limit(r.reader, o->per_host);
    }
    if (o->readers && o->socket_path) {
        rd = calloc((size_t)o->readers, sizeof *rd);
        th = calloc((size_t)o->readers, sizeof *th);
        if (!rd || !th)
            goto out;
        for (int i = 0; i < o->readers; i++) {
            rd[i] = (reader_t){.o = o, .index = i, .stop = &stop};
            if (pthread_create(&th[i], NULL, reader_main, &rd[i]) != 0)
                goto out;
            nstarted++;
        }
    }
    double cpu0 = cpu_of(RUSAGE_SELF);
    double t0 = now_s();
    r.t0 = t0;
    r.t_end = t0 + o->seconds;
    if (!o->no_queue) {
        r.loop = uv_default_loop();
        if (!(r.writer = writer_new(r.loop, wdb, 1000, err, sizeof err))) {
            fprintf(stderr, "queue_bench: %s\n", err);
            goto out;
        }
        wdb = NULL;
        uv_timer_init(r.loop, &r.timer);
        r.timer.data = &r;
        uv_timer_start(&r.timer, timer_cb, (uint64_t)(o->seconds * 1000), 0);
        uv_async_init(r.loop, &r.kick, kick_cb);
        r.kick.data = &r;
        uv_async_send(&r.kick);
        uv_run(r.loop, UV_RUN_DEFAULT);
    } else {
        while (now_s() < r.t_end)
            usleep(20000);
    }
    double t1 = now_s();
    double window = o->jobs_limit ? t1 - t0 : (t1 < r.t_end ? t1 - t0 : o->seconds);
    atomic_store(&stop, 1);
    for (int i = 0; i < nstarted; i++)
        pthread_join(th[i], NULL);
    nstarted = 0;
    double cpu = cpu_of(RUSAGE_SELF) - cpu0;
    long rdone[3] = {0}, rerr = 0;
    double rlat[3] = {0};
    for (int i = 0; rd && i < o->readers; i++) {
        for (int m = 0; m < 3; m++) {
            rdone[m] += rd[i].done[m];
            rlat[m] += rd[i].lat_sum[m];
        }
        rerr += rd[i].errors;
        cpu -= rd[i].cpu_s;
        if (rd[i].err[0])
            fprintf(stderr, "queue_bench: reader %d: %s\n", i, rd[i].err);
    }
    /* the readers ran until after the queue's last commit: their window is the whole */
    double rwin = now_s() - t0;
    long rtot = rdone[0] + rdone[1] + rdone[2];
    long fin = o->jobs_limit ? r.finished : r.finished_in_window;
    printf("{\"cmd\":\"run\",\"slots\":%d,\"readers\":%d,\"text_bytes\":%d,\"per_host\":%d,"
           "\"seconds\":%.3f,\"finished\":%ld,\"finish_per_s\":%.1f,\"claims\":%ld,"
           "\"empty_claims\":%ld,\"claimed\":%ld,\"failed\":%ld,\"commits\":%llu,"
           "\"writer_calls\":%llu,\"largest_batch\":%zu,"
           "\"queue_cpu_s\":%.3f,\"queue_cpu_ms_per_finish\":%.3f,\"reader_requests\":%ld,\"reader_errors\":%ld,\"reader_per_s\":%.1f,"
           "\"reader_by_method\":{\"link.list\":%ld,\"daemon.status\":%ld,\"link.list_q\":%ld},"
           "\"reader_mean_ms\":{\"link.list\":%.2f,\"daemon.status\":%.2f,\"link.list_q\":%.2f}}\n",
           o->slots, o->readers, o->text_bytes, o->per_host, window, fin,
           window > 0 ? (double)fin / window : 0.0, r.claims, r.empty_claims, r.claimed,
           r.failed, (unsigned long long)r.ws.batches, (unsigned long long)r.ws.calls,
           r.ws.largest_batch, cpu, r.finished ? cpu * 1000.0 / (double)r.finished : 0.0, rtot, rerr, rwin > 0 ? (double)rtot / rwin : 0.0, rdone[0], rdone[1],
           rdone[2], rdone[0] ? rlat[0] / (double)rdone[0] : 0.0,
           rdone[1] ? rlat[1] / (double)rdone[1] : 0.0, rdone[2] ? rlat[2] / (double)rdone[2] : 0.0);
    rc = r.failed ? 1 : 0;
out:
    atomic_store(&stop, 1);
    for (int i = 0; i < nstarted; i++)
        pthread_join(th[i], NULL);
    free(rd);
    free(th);
    store_close(wdb);
    store_close(r.reader);
    if (r.loop)
        uv_loop_close(r.loop);
    return rc;
}

/* ---- fsync: what one commit per operation would allow on this disk ---- */

static int cmd_fsync(const opts_t *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-probe.bin", o->dir ? o->dir : ".");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "queue_bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char block[4096];
    memset(block, 'x', sizeof block);
    double t0 = now_s(), t = t0;
    long n = 0;
    /* appending 4 KiB then fdatasync, as a WAL commit does (the file is kept to 4 MiB) */
    while ((t = now_s()) - t0 < o->seconds) {
        off_t off = (off_t)(n % 1024) * 4096;
        if (pwrite(fd, block, sizeof block, off) != (ssize_t)sizeof block || fdatasync(fd) != 0) {
            fprintf(stderr, "queue_bench: %s: %s\n", path, strerror(errno));
            close(fd);
            unlink(path);
            return 1;
        }
        n++;
    }
    close(fd);
    unlink(path);
    printf("{\"cmd\":\"fsync\",\"writes\":%ld,\"seconds\":%.3f,\"per_s\":%.1f}\n", n, t - t0,
           (double)n / (t - t0));
    return 0;
}

/* ---- size: the database's bytes after a checkpoint, and its rows ---- */

static int cmd_size(const opts_t *o)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "queue_bench: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return 1;
    }
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    static const char *q[] = {"PRAGMA page_count", "PRAGMA page_size", "PRAGMA freelist_count",
                              "SELECT count(*) FROM links", "SELECT count(*) FROM snapshots",
                              "SELECT count(*) FROM snapshots WHERE state = 'ok'",
                              "SELECT count(*) FROM jobs", "SELECT count(*) FROM page_texts"};
    static const char *name[] = {"page_count", "page_size", "freelist_count", "links",
                                 "snapshots", "snapshots_ok", "jobs", "page_texts"};
    printf("{\"cmd\":\"size\"");
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
        sqlite3_stmt *st = NULL;
        long long v = -1;
        if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        printf(",\"%s\":%lld", name[i], v);
    }
    printf("}\n");
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    opts_t o = {.links = 20000, .hosts = 2000, .seconds = 8, .slots = 64, .readers = 1,
                .text_bytes = 8200, .per_host = 2};
    static const struct option lo[] = {
        {"db", 1, 0, 'b'}, {"dir", 1, 0, 'D'}, {"socket", 1, 0, 's'}, {"links", 1, 0, 'l'},
        {"hosts", 1, 0, 'H'}, {"seconds", 1, 0, 'S'}, {"slots", 1, 0, 'k'},
        {"readers", 1, 0, 'r'}, {"text-bytes", 1, 0, 't'}, {"per-host", 1, 0, 'p'},
        {"jobs", 1, 0, 'j'}, {"no-queue", 0, 0, 'n'}, {0, 0, 0, 0}};
    if (argc < 2) {
usage:
        fprintf(stderr, "usage: queue_bench fill|run|fsync|size [--db FILE] [--dir DIR] "
                        "[--socket PATH] [--links N] [--hosts N] [--seconds S] [--slots K] "
                        "[--readers R] [--text-bytes B] [--per-host N] [--jobs N] [--no-queue]\n");
        return 2;
    }
    const char *cmd = argv[1];
    optind = 2;
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'b': o.db = optarg; break;
        case 'D': o.dir = optarg; break;
        case 's': o.socket_path = optarg; break;
        case 'l': o.links = atol(optarg); break;
        case 'H': o.hosts = atol(optarg); break;
        case 'S': o.seconds = atof(optarg); break;
        case 'k': o.slots = atoi(optarg); break;
        case 'r': o.readers = atoi(optarg); break;
        case 't': o.text_bytes = atoi(optarg); break;
        case 'p': o.per_host = atoi(optarg); break;
        case 'j': o.jobs_limit = atol(optarg); break;
        case 'n': o.no_queue = 1; break;
        default: goto usage;
        }
    }
    /* --text-bytes 0: captures without text (formats png,mhtml): no full-text index work */
    if (o.slots < 1 || o.hosts < 1 || o.seconds <= 0 || o.text_bytes < 0 || o.readers < 0)
        goto usage;
    log_set_level(LOG_LVL_WARNING);
    if (!strcmp(cmd, "fsync"))
        return cmd_fsync(&o);
    if (!o.db)
        goto usage;
    if (!strcmp(cmd, "size"))
        return cmd_size(&o);
    if (vocab_make() != 0 || texts_make(o.text_bytes > 16 ? o.text_bytes : 16) != 0) {
        fprintf(stderr, "queue_bench: out of memory\n");
        return 1;
    }
    if (!strcmp(cmd, "fill"))
        return cmd_fill(&o);
    if (!strcmp(cmd, "run"))
        return cmd_run(&o);
    goto usage;
}
