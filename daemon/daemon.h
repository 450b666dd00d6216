/* daemon.h -- the linksnapd instance: the loop and everything hanging off it. One per
 * process; main.c builds it, the server and the METHOD_LOOP handlers read it. */
#ifndef LS_DAEMON_H
#define LS_DAEMON_H

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "events.h"
#include "readpool.h"
#include "store.h"
#include "util.h"
#include "writer.h"

struct server;
struct http;
struct importer;
struct engine;

typedef struct daemon {
    uv_loop_t *loop;
    config_t cfg;
    char db_path[UTIL_PATH_MAX];
    store_t *reader;          /* loop thread's read connection (METHOD_READ) */
    writer_t *writer;         /* owns the write connection (METHOD_WRITE) */
    readpool_t *readpool;     /* thread-pool read connections (METHOD_HEAVY) */
    events_t *events;
    struct server *server;
    struct http *http;        /* the web page; NULL when http.listen = off */
    struct importer *importer;
    struct engine *engine;    /* the capture engine (daemon/engine.c) */
    struct scheduler *scheduler;   /* watches' runs (daemon/scheduler.c) */
    struct webhook *webhook;  /* snapshot.changed to people (daemon/webhook.c); read by
                               * the writer thread, set before the loop runs */
    uint64_t started_mono_ms;
    int stopping;
    int lock_fd;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t watchdog;
    int watchdog_on;
    uv_timer_t cron;          /* housekeeping (main.c: cron_cb says what it does) */
    uint64_t calls;           /* requests started, for idle detection */
    uint64_t calls_at_cron;
    int trimmed;              /* memory already given back since the last activity */
    int trim_parts;           /* parts of that giving back still running (main.c) */
} daemon_t;

/* Starts an orderly stop (from a signal or a test): stop accepting, finish in-flight
 * writes, flush replies, close the store, leave the loop. */
void daemon_stop(daemon_t *d);

#endif
