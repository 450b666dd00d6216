/* main.c -- linksnapd: reads its settings, claims the state dir (lock file), opens the
 * store, starts the writer thread and the control socket on one libuv loop, tells
 * systemd it is ready, and on SIGTERM/SIGINT stops in order: stop accepting, finish
 * in-flight writes, flush replies, close the store. The only place that may exit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "charts.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "importer.h"
#include "jsonmem.h"
#include "log.h"
#include "memtrim.h"
#include "scheduler.h"
#include "server.h"
#include "util.h"
#include "webhook.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: linksnapd [options]\n"
        "  --state-dir DIR         database, snapshots and browser profile (default: %s)\n"
        "  --socket PATH           control socket (default: %s)\n"
        "  --config FILE           config file (default: /etc/linksnap/linksnapd.conf as root,\n"
        "                          $XDG_CONFIG_HOME/linksnap/linksnapd.conf otherwise; optional)\n"
        "  --jobs N                captures at once (default 4)\n"
        "  --browser-endpoint URL  attach to a running Chromium (http://host:port)\n"
        "  --http-listen ADDR:PORT the web page's address (default 127.0.0.1:8750; off disables)\n"
        "  --no-capture            keep jobs queued; never start a browser\n"
        "  --set KEY=VALUE         any config key (linksnapd.conf(5)); may repeat\n"
        "  -v, --verbose           more log output (twice for debug)\n"
        "  -q, --quiet             warnings and errors only\n"
        "  --version, --help\n",
        geteuid() == 0 ? "/var/lib/linksnap" : "$XDG_STATE_HOME/linksnap",
        geteuid() == 0 ? "/run/linksnap/linksnap.sock" : "$XDG_RUNTIME_DIR/linksnap.sock");
}

static int prepare_state_dir(daemon_t *d, char *err, size_t errlen)
{
    const char *dir = d->cfg.state_dir;
    /* /tmp/linksnap-UID is anyone's to create first: it must be ours and private */
    if (util_fallback_dir_check(dir, 1, err, errlen) != 0)
        return -1;
    int rc = util_mkdir_p(dir, 0700);
    if (rc) {
        snprintf(err, errlen, "cannot create state dir %s: %s", dir, strerror(-rc));
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "state dir %s is not a directory", dir);
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        if (chmod(dir, 0700) != 0) {
            snprintf(err, errlen, "cannot make state dir %s private (0700): %s", dir, strerror(errno));
            return -1;
        }
        log_notice("made state dir %s private (0700)", dir);
    }
    char lockpath[UTIL_PATH_MAX];
    if (util_path(lockpath, "%s/linksnapd.lock", dir) != 0) {
        snprintf(err, errlen, "state dir %s: its path is too long", dir);
        return -1;
    }
    int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open lock file %s: %s", lockpath, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        if (n > 0)
            pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "another linksnapd%s%s%s is using state dir %s",
                 n > 0 ? " (pid " : "", n > 0 ? pid : "", n > 0 ? ")" : "", dir);
        close(fd);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        log_warn("cannot record pid in %s", lockpath);
    d->lock_fd = fd;
    util_path(d->db_path, "%s/linksnap.db", dir);   /* fits: the lock file's name is longer */
    return 0;
}

static int prepare_socket_dir(const char *sock)
{
    char dir[UTIL_PATH_MAX];
    if (util_path(dir, "%s", sock) != 0)
        return -ENAMETOOLONG;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return util_mkdir_p(dir, strncmp(dir, "/tmp/", 5) == 0 ? 0700 : 0755);
}

/* ---- stopping ----------------------------------------------------------------------- */

static void handle_close_cb(uv_handle_t *h) { (void)h; }

static void writer_closed_cb(void *ud)
{
    daemon_t *d = ud;
    d->writer = NULL;
    scheduler_close(d->scheduler);   /* no writer call of it is left */
    d->scheduler = NULL;
    webhook_close(d->webhook);       /* nor of this one */
    d->webhook = NULL;
    store_close(d->reader);
    d->reader = NULL;
    /* the readers' pool stays until the loop has run dry (daemon_run's end): work on the
     * thread pool may still hold one of its connections (a capture's comparison with the
     * last good one, started as the capture finished) */
    uv_close((uv_handle_t *)&d->sig_term, handle_close_cb);
    uv_close((uv_handle_t *)&d->sig_int, handle_close_cb);
    uv_close((uv_handle_t *)&d->sig_hup, handle_close_cb);
    if (d->watchdog_on)
        uv_close((uv_handle_t *)&d->watchdog, handle_close_cb);
    uv_close((uv_handle_t *)&d->cron, handle_close_cb);
    log_info("store closed");
}

static void engine_closed_cb(void *ud)
{
    daemon_t *d = ud;
    if (d->engine)
        engine_close_handles(d->engine);
    writer_close(d->writer, writer_closed_cb, d);
}

static void importer_closed_cb(void *ud)
{
    daemon_t *d = ud;
    free(d->importer);
    d->importer = NULL;
    if (d->engine)
        engine_close(d->engine, engine_closed_cb, d);
    else
        engine_closed_cb(d);
}

static void server_closed_cb(void *ud)
{
    daemon_t *d = ud;
    d->server = NULL;
    if (d->importer)
        importer_close(d->importer, importer_closed_cb, d);
    else
        importer_closed_cb(d);
}

void daemon_stop(daemon_t *d)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    sd_notify(0, "STOPPING=1");
    log_info("stopping: finishing in-flight work");
    http_close(d->http);   /* its requests in flight finish through the writer as usual */
    if (d->server)
        server_close(d->server, server_closed_cb, d);
    else
        server_closed_cb(d);
}

/* per_host_jobs changed by a reload: the writer's connection (the claim) learns it on the
 * writer thread, the loop's reader (the due probe) here; the engine then looks again, as a
 * higher limit may free queued jobs. */
typedef struct {
    method_call_t call;   /* first: the writer's fn finds the rest */
    int per_host;
} host_limit_op_t;

static int host_limit_fn(method_call_t *call)
{
    store_job_set_host_limit(call->db, ((host_limit_op_t *)call)->per_host);
    return 0;
}

static void host_limit_done_cb(method_call_t *call, void *ud)
{
    daemon_t *d = ud;
    free(call);
    if (d->engine && !d->stopping)
        engine_kick(d->engine);
}

static void host_limit_reload(daemon_t *d)
{
    store_job_set_host_limit(d->reader, d->cfg.per_host_jobs);
    host_limit_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        log_err("reload: out of memory: per_host_jobs stays as it was for claims");
        return;
    }
    op->call.method = "reload";
    op->per_host = d->cfg.per_host_jobs;
    if (!d->writer || writer_submit(d->writer, &op->call, host_limit_fn, host_limit_done_cb, d) != 0)
        free(op);   /* stopping: no claim is left to make */
}

static void signal_cb(uv_signal_t *h, int signum)
{
    daemon_t *d = h->data;
    if (signum == SIGHUP) {
        config_t nc = d->cfg;
        char err[1024];
        /* the fleet is the file's list as it is now (named endpoints given on the command
         * line do not survive a reload that has a file) */
        if (d->cfg.config_path[0])
            nc.nnamed = 0;
        if ((d->cfg.config_path[0] &&
             config_load_file(&nc, d->cfg.config_path, 0, err, sizeof err) != 0) ||
            config_finish(&nc, err, sizeof err) != 0) {
            log_err("reload refused, keeping the running settings: %s", err);
            return;
        }
        /* what can change live: log level, job timeout, height cap, deny_private,
         * hide_consent, blocked_retries, per_host_jobs, notify_url, the webhooks'
         * timeout and back-off, retention's defaults (read at each capture's save), and
         * the browser endpoints (browser.endpoint.NAME...) and browser.quarantine_s */
        d->cfg.log_level = nc.log_level;
        d->cfg.job_timeout_s = nc.job_timeout_s;
        d->cfg.height_cap = nc.height_cap;
        if (nc.deny_private != d->cfg.deny_private) {
            d->cfg.deny_private = nc.deny_private;
            engine_settings_changed(d->engine);   /* the warm contexts carry it */
        }
        d->cfg.hide_consent = nc.hide_consent;
        if (strcmp(nc.notify_url, d->cfg.notify_url) != 0)
            log_info("notify_url changed");
        memcpy(d->cfg.notify_url, nc.notify_url, sizeof d->cfg.notify_url);
        d->cfg.webhook_timeout_s = nc.webhook_timeout_s;
        d->cfg.webhook_backoff_s = nc.webhook_backoff_s;
        webhook_settings(d->webhook, &d->cfg);
        d->cfg.blocked_retries = nc.blocked_retries;
        d->cfg.watch_keep_last = nc.watch_keep_last;
        d->cfg.watch_keep_mb = nc.watch_keep_mb;
        if (nc.per_host_jobs != d->cfg.per_host_jobs) {
            log_info("per_host_jobs %d -> %d", d->cfg.per_host_jobs, nc.per_host_jobs);
            d->cfg.per_host_jobs = nc.per_host_jobs;
            host_limit_reload(d);
        }
        d->cfg.quarantine_s = nc.quarantine_s;
        if (nc.nendpoints != d->cfg.nendpoints ||
            memcmp(nc.endpoints, d->cfg.endpoints, sizeof nc.endpoints) != 0) {
            memcpy(d->cfg.named, nc.named, sizeof nc.named);
            d->cfg.nnamed = nc.nnamed;
            memcpy(d->cfg.endpoints, nc.endpoints, sizeof nc.endpoints);
            d->cfg.nendpoints = nc.nendpoints;
            engine_endpoints_changed(d->engine);   /* added ones start, removed ones drain */
        }
        log_set_level(d->cfg.log_level);
        log_notice("reloaded %s", d->cfg.config_path[0] ? d->cfg.config_path : "(no config file)");
        return;
    }
    log_notice("received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon_stop(d);
}

/* The trim threshold while the daemon works (process_setup says why it is high). */
#define TRIM_THRESHOLD_BUSY (32u << 20)

/* Giving memory back at idle has parts on other threads: the writer's and the pool's. Each
 * arena's top goes back only while memtrim's threshold is lowered (common/memtrim.h): the
 * last part to finish puts it back and trims what is left. */
static void trim_part_done(daemon_t *d)
{
    if (d->trim_parts > 0 && --d->trim_parts == 0) {
        memtrim_end(TRIM_THRESHOLD_BUSY);
        log_info("quiet: memory given back (page caches, pool connections, tile cache, "
                 "every thread's free heap)");
    }
}

/* The writer thread's part of giving memory back: its connection's page cache, and its
 * arena's top. */
static int release_writer_memory_fn(method_call_t *call)
{
    store_release_memory(call->db);
    memtrim_thread();
    return 0;
}

static void release_done_cb(method_call_t *call, void *ud)
{
    free(call);
    trim_part_done(ud);
}

/* The pool threads' part: each thread's spare chart buffers and its arena's top (a
 * thread's own, so each of the pool's threads must run one of these). The barrier holds
 * every item until all have started: with as many items as the pool has threads, each runs
 * on a thread of its own. */
typedef struct {
    uv_barrier_t barrier;
    int left;
    daemon_t *d;
} pool_trim_t;

typedef struct {
    uv_work_t w;
    pool_trim_t *t;
} pool_trim_work_t;

static void pool_trim_fn(uv_work_t *w)
{
    pool_trim_work_t *pw = (pool_trim_work_t *)w;
    charts_release_thread_memory();
    memtrim_thread();
    uv_barrier_wait(&pw->t->barrier);
}

static void pool_trim_after_cb(uv_work_t *w, int status)
{
    pool_trim_work_t *pw = (pool_trim_work_t *)w;
    pool_trim_t *t = pw->t;
    (void)status;
    free(pw);
    if (--t->left == 0) {
        daemon_t *d = t->d;
        uv_barrier_destroy(&t->barrier);
        free(t);
        trim_part_done(d);
    }
}

/* The size of libuv's pool, as libuv reads it (UV_THREADPOOL_SIZE, default 4). */
static int pool_threads(void)
{
    const char *v = getenv("UV_THREADPOOL_SIZE");
    int n = v ? atoi(v) : 4;
    return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

/* 0 when the pool's part is queued (it ends with trim_part_done), -1 when it could not be. */
static int pool_trim(daemon_t *d)
{
    int n = pool_threads();
    pool_trim_t *t = calloc(1, sizeof *t);
    if (!t || uv_barrier_init(&t->barrier, (unsigned)n) != 0) {
        free(t);
        return -1;
    }
    t->d = d;
    /* every item exists before any is queued: a barrier short of one would hold the
     * pool's threads for ever */
    pool_trim_work_t **items = calloc((size_t)n, sizeof *items);
    int made = 0;
    while (items && made < n && (items[made] = calloc(1, sizeof **items)))
        items[made++]->t = t;
    if (made < n) {
        for (int i = 0; i < made; i++)
            free(items[i]);
        free(items);
        uv_barrier_destroy(&t->barrier);
        free(t);
        return -1;
    }
    t->left = n;
    for (int i = 0; i < n; i++)   /* uv_queue_work fails only without a work callback */
        uv_queue_work(d->loop, &items[i]->w, pool_trim_fn, pool_trim_after_cb);
    free(items);
    return 0;
}

/* Housekeeping, every 5 s:
 *  - after a quiet period (no request since the last tick, no write pending, no import),
 *    give memory back once: the page caches of every connection, idle thread-pool
 *    connections, the tile cache, and free heap pages, the top of every thread's malloc
 *    arena included (memtrim), so an idle daemon stays small;
 *  - STATUS= for systemd with the queue figures. */
static void cron_cb(uv_timer_t *t)
{
    daemon_t *d = t->data;
    if (d->stopping)
        return;
    int quiet = d->calls == d->calls_at_cron && writer_pending(d->writer) == 0 &&
                (!d->importer || importer_running(d->importer) == 0);
    d->calls_at_cron = d->calls;
    if (!quiet) {
        d->trimmed = 0;
    } else if (!d->trimmed) {
        d->trimmed = 1;
        /* the parts on other threads hold the threshold low until the last has run; one
         * more for this one, so that none ends it before all are queued */
        if (d->trim_parts == 0)
            memtrim_begin();
        d->trim_parts++;
        store_release_memory(d->reader);
        readpool_trim(d->readpool);
        http_release_memory(d->http);   /* the tile cache: cut again on the next look */
        if (pool_trim(d) == 0)          /* each pool thread's spare chart buffers */
            d->trim_parts++;
        method_call_t *call = calloc(1, sizeof *call);
        if (call) {
            call->method = "housekeeping";
            if (writer_submit(d->writer, call, release_writer_memory_fn, release_done_cb, d) == 0)
                d->trim_parts++;
            else
                free(call);
        }
        trim_part_done(d);              /* the loop's part is done; the last part to end trims */
    }
    store_stats_t st;
    if (store_stats(d->reader, &st) == STORE_OK)
        sd_notifyf(0, "STATUS=%lld links, %lld queued, %lld running", (long long)st.links,
                   (long long)st.jobs_queued, (long long)st.jobs_running);
}

static void watchdog_cb(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

/* ---- main --------------------------------------------------------------------------- */

enum { OPT_STATE_DIR = 256, OPT_SOCKET, OPT_CONFIG, OPT_JOBS, OPT_ENDPOINT, OPT_HTTP_LISTEN,
       OPT_NO_CAPTURE, OPT_SET, OPT_VERSION, OPT_HELP };
#define MAX_SETS 32

/* Schema 5 gave tags one key for what reads as one word; say what it merged. */
static void log_tag_merges(const store_t *s)
{
    size_t n;
    const store_tag_merged_t *m = store_open_merged(s, &n);
    for (size_t i = 0; i < n; i++)
        log_notice("tags: '%s' merged into '%s' (%lld links): they read as one word",
                   m[i].from, m[i].into, (long long)m[i].links);
    if (n)
        log_notice("tags: the store merged %zu tags that differed only in width, case or "
                   "compatibility form", n);
}

/* The command line, before anything else is read. */
typedef struct {
    const char *state, *socket, *config, *jobs, *endpoint, *http;
    const char *sets[MAX_SETS];
    int nsets, no_capture, verbose, quiet;
} args_t;

/* Returns -1 to go on, or the exit code (help, version, a usage error). */
static int parse_args(int argc, char **argv, args_t *a)
{
    static const struct option opts[] = {
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"browser-endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"http-listen", required_argument, NULL, OPT_HTTP_LISTEN},
        {"no-capture", no_argument, NULL, OPT_NO_CAPTURE},
        {"set", required_argument, NULL, OPT_SET},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    int c;
    while ((c = getopt_long(argc, argv, "vq", opts, NULL)) != -1) {
        switch (c) {
        case OPT_STATE_DIR: a->state = optarg; break;
        case OPT_SOCKET: a->socket = optarg; break;
        case OPT_CONFIG: a->config = optarg; break;
        case OPT_JOBS: a->jobs = optarg; break;
        case OPT_ENDPOINT: a->endpoint = optarg; break;
        case OPT_HTTP_LISTEN: a->http = optarg; break;
        case OPT_NO_CAPTURE: a->no_capture = 1; break;
        case OPT_SET:
            if (a->nsets == MAX_SETS || !strchr(optarg, '=')) {
                fprintf(stderr, "linksnapd: --set: expected KEY=VALUE (at most %d)\n", MAX_SETS);
                return 2;
            }
            a->sets[a->nsets++] = optarg;
            break;
        case 'v': a->verbose++; break;
        case 'q': a->quiet = 1; break;
        case OPT_VERSION: printf("linksnapd %s\n", LINKSNAP_VERSION); return 0;
        case OPT_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "linksnapd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The settings: defaults, the config file, the command line over it, then the checks.
 * Returns -1 to go on, or the exit code after saying what is wrong on stderr. */
static int load_settings(config_t *cfg, const args_t *a)
{
    char err[2048];
    config_defaults(cfg);
    if (a->config) {
        if (config_load_file(cfg, a->config, 0, err, sizeof err) != 0) {
            fprintf(stderr, "linksnapd: %s\n", err);
            return 1;
        }
    } else {
        char path[4096];
        const char *xc = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (geteuid() == 0)
            snprintf(path, sizeof path, "/etc/linksnap/linksnapd.conf");
        else if (xc && *xc)
            snprintf(path, sizeof path, "%s/linksnap/linksnapd.conf", xc);
        else
            snprintf(path, sizeof path, "%s/.config/linksnap/linksnapd.conf", home ? home : "/");
        err[0] = '\0';
        if (config_load_file(cfg, path, 1, err, sizeof err) != 0 && err[0]) {
            fprintf(stderr, "linksnapd: %s\n", err);
            return 1;
        }
    }
    struct { const char *key, *value; } overrides[] = {
        {"state_dir", a->state}, {"socket", a->socket}, {"jobs", a->jobs},
        {"browser.endpoint", a->endpoint}, {"http.listen", a->http},
    };
    for (size_t i = 0; i < LS_ARRAY_LEN(overrides); i++)
        if (overrides[i].value &&
            config_set(cfg, overrides[i].key, overrides[i].value, err, sizeof err) != 0) {
            fprintf(stderr, "linksnapd: --%s\n", err);
            return 2;
        }
    for (int i = 0; i < a->nsets; i++) {
        char key[128];
        const char *eq = strchr(a->sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->sets[i]), a->sets[i]);
        if (config_set(cfg, key, eq + 1, err, sizeof err) != 0) {
            fprintf(stderr, "linksnapd: --set %s\n", err);
            return 2;
        }
    }
    if (a->no_capture)
        cfg->capture = 0;
    if (config_finish(cfg, err, sizeof err) != 0 || http_check_config(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "linksnapd: %s\n", err);
        return 1;
    }
    if (a->verbose)   /* the default is notice: -v info, -vv debug */
        cfg->log_level = a->verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
    if (a->quiet)
        cfg->log_level = LOG_LVL_WARNING;
    return -1;
}

/* What the process needs before any thread starts: signals, malloc and the locale. */
static void process_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* screenshots pass through in buffers of several MB: a fixed mmap threshold makes
     * every such buffer its own mapping, returned to the kernel when freed (glibc's
     * adaptive threshold would otherwise grow and keep them in the heap) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    /* ... and a fixed threshold also pins the trim threshold at 128 KiB: every chart render
     * gave its arena's top back (MADV_DONTNEED) and faulted it in again on the next, which
     * on a paravirtualised VM cost ~100 us a page, more than drawing. Idle memory goes back
     * in cron_cb's housekeeping (common/memtrim.h: every arena's top, then malloc_trim). */
    mallopt(M_TRIM_THRESHOLD, (int)TRIM_THRESHOLD_BUSY);
    /* libidn2 (behind curl's punycode conversion of IDN hosts) reads the locale's charset:
     * without a UTF-8 LC_CTYPE every non-ASCII host fails. Set before any thread starts. */
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8") &&
        !setlocale(LC_CTYPE, "en_US.UTF-8"))
        log_warn("no UTF-8 locale available: internationalised host names will be refused");
}

/* The store: the writer's connection (migrated), the loop's reader, the read pool and the
 * event bus, and what the last stop interrupted put back; then the writer thread. Returns
 * 0, or -1 after logging why (nothing that daemon_stop closes exists yet). */
static int open_store(daemon_t *d)
{
    char err[2048];
    store_t *wdb = NULL;
    if (store_open(d->db_path, STORE_OPEN_MIGRATE, &wdb, err, sizeof err) != STORE_OK) {
        log_err("cannot open the store: %s", err);
        return -1;
    }
    log_tag_merges(wdb);
    if (store_open(d->db_path, STORE_OPEN_READONLY, &d->reader, err, sizeof err) != STORE_OK) {
        log_err("cannot open the store for reading: %s", err);
        store_close(wdb);
        return -1;
    }
    store_job_set_host_limit(wdb, d->cfg.per_host_jobs);   /* the claim and the due probe */
    store_job_set_host_limit(d->reader, d->cfg.per_host_jobs);
    d->readpool = readpool_new(d->db_path, 4);
    d->events = events_new();
    if (!d->readpool || !d->events) {
        log_err("out of memory");
        store_close(wdb);
        return -1;
    }
    if (store_import_interrupt_running(wdb, util_now_ms()) != STORE_OK)
        log_warn("cannot mark interrupted imports: %s", store_errmsg(wdb));
    int64_t requeued = 0;
    if (store_begin(wdb) != STORE_OK ||
        store_job_requeue_running(wdb, util_now_ms(), &requeued) != STORE_OK ||
        store_commit(wdb) != STORE_OK) {
        log_err("cannot requeue interrupted captures: %s", store_errmsg(wdb));
        store_rollback(wdb);
    } else if (requeued) {
        log_notice("%lld captures interrupted by the last stop are queued again", (long long)requeued);
    }
    d->writer = writer_new(d->loop, wdb, 1000, err, sizeof err);
    if (!d->writer) {
        log_err("%s", err);
        store_close(wdb);
        return -1;
    }
    return 0;
}

enum { START_OK, START_STOP, START_LEAVE };

/* Everything on the loop: signals, the cron timer, the importer and the capture engine,
 * the control socket and the web page. START_STOP: something failed once handles exist
 * (the caller stops the daemon and drains the loop); START_LEAVE: the web server could
 * not be made at all, and the loop must not run. Both have logged why. *listen_fd is the
 * socket systemd passed, or -1. */
static int start_parts(daemon_t *d, int *listen_fd)
{
    char err[2048];
    /* handles that daemon_stop closes exist from here on, whatever fails next */
    uv_signal_init(d->loop, &d->sig_term);
    uv_signal_init(d->loop, &d->sig_int);
    uv_signal_init(d->loop, &d->sig_hup);
    d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
    uv_signal_start(&d->sig_term, signal_cb, SIGTERM);
    uv_signal_start(&d->sig_int, signal_cb, SIGINT);
    uv_signal_start(&d->sig_hup, signal_cb, SIGHUP);
    uv_timer_init(d->loop, &d->cron);
    d->cron.data = d;
    uv_timer_start(&d->cron, cron_cb, 5000, 5000);
    d->importer = importer_new(d);
    err[0] = '\0';
    d->engine = d->importer ? engine_new(d, err, sizeof err) : NULL;
    d->scheduler = d->engine ? scheduler_new(d) : NULL;
    if (!d->importer || !d->engine || !d->scheduler) {
        log_err("%s", err[0] ? err : "out of memory");
        return START_STOP;
    }

    *listen_fd = -1;
    int nfds = sd_listen_fds(1);
    if (nfds == 1) {
        *listen_fd = SD_LISTEN_FDS_START;
        log_info("using the socket passed by systemd");
    } else if (nfds > 1) {
        log_err("systemd passed %d sockets; expected one", nfds);
        return START_STOP;
    } else {
        /* /tmp/linksnap-UID is anyone's to create first: it must be ours and private */
        if (util_fallback_dir_check(d->cfg.socket_path, 1, err, sizeof err) != 0) {
            log_err("%s", err);
            return START_STOP;
        }
        int e = prepare_socket_dir(d->cfg.socket_path);
        if (e)
            log_warn("cannot create the socket's directory: %s", strerror(-e));
    }
    d->server = server_new(d, *listen_fd, err, sizeof err);
    if (!d->server) {
        log_err("%s", err);
        return START_STOP;
    }

    if (strcmp(d->cfg.http_listen, "off") != 0) {
        d->http = http_start(d, err, sizeof err);
        if (!d->http) {
            /* the loop has served nobody yet, and may hold a half-made lws context that
             * cannot be torn down (http.c, listen_probe): leave without running it */
            log_err("%s", err);
            return START_LEAVE;
        }
        if (!http_listening(d->http) && d->cfg.http_listen_set) {
            log_err("the web page: %s; http.listen = %s was set explicitly, so linksnapd "
                    "stops (choose a free address, or http.listen = off)",
                    http_error(d->http), d->cfg.http_listen);
            return START_STOP;
        }
        if (http_listening(d->http))
            log_notice("web page at %s", http_url(d->http));
        else
            log_warn("no web page: %s; http.listen is at its default, so linksnapd runs without "
                     "it (set http.listen to a free address, or off)", http_error(d->http));
    }

    /* webhooks: after the web page, whose address the diff's URL names */
    d->webhook = webhook_new(d, d->http && http_listening(d->http) ? http_url(d->http) : "", err,
                             sizeof err);
    if (!d->webhook) {
        log_err("%s", err);
        return START_STOP;
    }

    uint64_t wd_usec = 0;
    if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
        uv_timer_init(d->loop, &d->watchdog);
        uv_timer_start(&d->watchdog, watchdog_cb, wd_usec / 2000, wd_usec / 2000);
        d->watchdog_on = 1;
    }
    return START_OK;
}

/* After the loop: the second halves of the lws teardowns, then everything else. */
static void finish_daemon(daemon_t *d)
{
    if (d->http) { /* second half of the lws teardown, once the loop drained the first */
        http_free(d->http);
        d->http = NULL;
        uv_run(d->loop, UV_RUN_DEFAULT);
    }
    if (d->engine) {
        engine_free(d->engine);   /* the websocket context's second phase */
        d->engine = NULL;
        uv_run(d->loop, UV_RUN_DEFAULT);
    }
    if (uv_loop_close(d->loop) != 0) {
        uv_run(d->loop, UV_RUN_DEFAULT);
        uv_loop_close(d->loop);
    }
    events_free(d->events);
    readpool_free(d->readpool);
    store_close(d->reader);
    charts_shutdown(); /* the font cache; no render runs once the loop has closed */
    if (d->lock_fd >= 0)
        close(d->lock_fd);
}

int main(int argc, char **argv)
{
    jsonmem_init();   /* jansson's allocator, before any thread uses jansson */
    args_t args;
    int rc = parse_args(argc, argv, &args);
    if (rc >= 0)
        return rc;
    static daemon_t daemon_storage;
    daemon_t *d = &daemon_storage;
    d->lock_fd = -1;
    if ((rc = load_settings(&d->cfg, &args)) >= 0)
        return rc;
    log_set_level(d->cfg.log_level);
    log_debug("settings: state_dir=%s socket=%s config=%s jobs=%d capture=%d http.listen=%s",
              d->cfg.state_dir, d->cfg.socket_path,
              d->cfg.config_path[0] ? d->cfg.config_path : "(none)", d->cfg.jobs, d->cfg.capture,
              d->cfg.http_listen);
    process_setup();

    rc = 1;
    d->loop = uv_default_loop();
    d->started_mono_ms = util_mono_ms();
    char err[2048];
    if (prepare_state_dir(d, err, sizeof err) != 0) {
        log_err("%s", err);
        return 1;
    }
    if (open_store(d) != 0)
        goto out;
    int listen_fd;
    switch (start_parts(d, &listen_fd)) {
    case START_LEAVE:
        return 1;
    case START_STOP:
        daemon_stop(d);
        uv_run(d->loop, UV_RUN_DEFAULT);
        goto out;
    }

    store_stats_t st = {0};
    store_stats(d->reader, &st);
    log_notice("linksnapd %s ready: %s, %lld links, socket %s", LINKSNAP_VERSION, d->db_path,
               (long long)st.links, listen_fd >= 0 ? "(systemd)" : d->cfg.socket_path);
    sd_notifyf(0, "READY=1\nSTATUS=%lld links, %lld queued\nMAINPID=%ld", (long long)st.links,
               (long long)st.jobs_queued, (long)getpid());

    uv_run(d->loop, UV_RUN_DEFAULT);
    rc = 0;
out:
    finish_daemon(d);
    if (rc == 0)
        log_info("stopped");
    return rc;
}
