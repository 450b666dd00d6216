/* engine_int.h -- what the capture engine's files share, and nothing outside them may
 * use: the engine's, an endpoint's and a slot's state, the writer calls, and the functions
 * one file calls in another. engine.c owns the fleet and the schedule; endpoint.c one
 * endpoint's browser generation and health; slot.c a capture slot's life; warm.c the
 * contexts made ahead; jobs.c the writes and the job events. */
#ifndef LS_ENGINE_INT_H
#define LS_ENGINE_INT_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "browser.h"
#include "cdp.h"
#include "daemon.h"
#include "egress.h"
#include "engine.h"
#include "fidelity.h"
#include "postproc.h"
#include "resolver.h"
#include "shot.h"

#define MAX_ATTEMPTS 3
#define THUMB_WIDTH 320
#define TICK_MS 1000
#define CONNECT_TIMEOUT_MS 10000

typedef enum { B_OFF, B_STARTING, B_READY, B_STOPPING } browser_state_t;
typedef enum { SLOT_FREE, SLOT_SHOT, SLOT_WAIT, SLOT_POST, SLOT_WRITE } slot_phase_t;

struct endpoint;

typedef struct slot {
    struct engine *e;
    struct endpoint *ep;          /* the endpoint whose browser runs it (owns this struct) */
    slot_phase_t phase;
    store_job_t *job;
    shot_t *shot;
    shot_result_t res;            /* png_b64 and redirects owned while set */
    postproc_request_t pq;
    postproc_result_t pr;
    char out_path[UTIL_PATH_MAX], thumb_path[UTIL_PATH_MAX];
    char mhtml_path[UTIL_PATH_MAX], pdf_path[UTIL_PATH_MAX];   /* "" = not kept */
    int64_t mhtml_bytes, pdf_bytes;
    char pdf_sha256[65];          /* hex, "" = none */
    char files_error[300];        /* writing the MHTML or the PDF failed (thread pool) */
    uv_work_t work;
    uv_timer_t wait;              /* blank retry delay */
    int blank_retried, canceled, browser_lost;
    int64_t queue_ms;             /* due (created or not_before) -> claimed */
    uint64_t shot_done_ms;        /* loop time the screenshot arrived */
    int64_t post_ms;              /* screenshot arrived -> post-processing done */
    int64_t teardown_ms;          /* context disposed, ms after the shot; -1 = not yet */
    char block_reason[256];       /* its top document was refused by the address rules */
    char lost_reason[256];
    egress_t *egress;             /* the proxy of the capture's browser context */
    egress_stats_t net;           /* its counters, kept when the capture ends */
    char top_host[256];           /* of the top document's latest URL */
    store_site_rule_t *rule;      /* the site rule that applies to the job; NULL = none */
    fidelity_t fid;               /* the capture's options from it and the config */
    botwall_result_t wall;        /* what the result met (kind BOTWALL_NONE: no wall) */
} slot_t;

#define MAX_TABS 64

typedef struct {
    char id[64];
    char url[512];
} tab_t;

/* A context and tab made ahead of a capture, with its own proxy listener. */
#define WARM_MAX 16
typedef struct {
    shot_t *shot;                 /* NULL = an empty place */
    egress_t *egress;             /* handed to the slot that takes it */
    int ready;
} warm_t;

/* Down, probed again with back-off (1 s doubling, at most DOWN_BACKOFF_MAX_MS); after
 * QUARANTINE_DOWNS downs within QUARANTINE_WINDOW_MS, quarantined (cfg) */
#define DOWN_BACKOFF_MAX_MS 300000u
#define MANAGED_BACKOFF_MAX_MS 32000u
#define QUARANTINE_DOWNS 3
#define QUARANTINE_WINDOW_MS 600000u
#define PING_EVERY_MS 10000u
/* a job that was running on this many browsers that went away is retried as a counted
 * attempt (a page that kills browsers must not go round the fleet for ever) */
#define LOST_UNCOUNTED_MAX 4

/* One browser endpoint of the fleet (endpoint.c): a browser generation at a time, its own
 * slots, contexts made ahead, health and counters. The managed one starts Chromium; the
 * others attach to a remote DevTools websocket. */
typedef struct endpoint {
    struct engine *e;
    config_endpoint_t cfg;        /* a copy: a reload makes a new endpoint, never edits it */
    browser_state_t bstate;
    int draining;                 /* removed (or changed) by a reload: finishes what it runs */
    int gone;                     /* drained and stopped: its handles are closing */
    int handles_closing;          /* uv_close callbacks still to come before it is freed */
    browser_t *browser;           /* the managed endpoint's Chromium */
    cdp_ctx_t *ctx;               /* borrowed from the engine's (one per CA file) */
    cdp_t *cdp;
    unsigned gen;                 /* bumps with every browser: late callbacks check it */
    int torn_down;                /* this generation's teardown ran */
    int recycling;
    char recycle_reason[128];
    int captures;                 /* by this browser */
    uint64_t started_ms, last_busy_ms;
    int64_t pss_kb;
    unsigned failures;            /* browser starts/connections failed in a row */
    uint64_t next_start_ms;
    uint64_t downs[QUARANTINE_DOWNS];   /* loop ms of the latest downs, a ring */
    int ndowns;
    uint64_t quarantine_until;    /* 0 = not quarantined */
    int probing;                  /* the start after a quarantine: one failure re-quarantines */
    int probe_now;                /* a remote endpoint is tried once at start, work or not:
                                   * a bad URL, certificate or token shows at once */
    slot_t *slots;
    int nslots;                   /* captures in the browser at once (.slots) */
    int nalloc;                   /* slot structs: 2 x nslots, so a finished capture's
                                   * post-processing and write do not hold a tab's place */
    uv_timer_t connect_timer, health_timer;
    int health_pending;
    uint64_t ping_sent_ms, last_ping_ms;
    int rtt_ms;                   /* the latest Browser.getVersion round trip; -1 = none */
    int discovering;              /* a /json/version request in flight */
    char peer[64];                /* a remote endpoint's IP: the only peer of its proxies */
    const char *bind_ip;          /* its proxies' listen address (NULL = loopback) */
    char error[300];              /* why captures cannot run on it (set at creation) */
    warm_t warm[WARM_MAX];        /* contexts and tabs made ahead of the next captures */
    int warm_failures;            /* in a row: after 3, captures make their own */
    tab_t tabs[MAX_TABS];         /* page targets the browser reported (discovery events) */
    int ntabs;
    int64_t done_total, failed_total, retried_total;
    int64_t unauthorised, over_cap;   /* proxy connections closed unread (all its listeners) */
    char last_error[256];
} endpoint_t;

#define ENGINE_EP_MAX (2 * CONFIG_ENDPOINTS_MAX)
#define ENGINE_CTX_MAX CONFIG_ENDPOINTS_MAX

struct engine {
    daemon_t *d;
    uv_loop_t *loop;
    endpoint_t *eps[ENGINE_EP_MAX];   /* the fleet, and endpoints draining after a reload */
    int neps;
    struct { char ca_file[1024]; cdp_ctx_t *ctx; } ctxs[ENGINE_CTX_MAX];   /* websocket
                                   * contexts, one per CA file, kept until engine_free */
    int nctxs;
    int claim_inflight;
    int closing;
    void (*close_cb)(void *);
    void *close_ud;
    int handles_open;             /* discovery requests in flight (they call back) */
    uv_timer_t tick;
    events_sub_t *sub;
    resolver_t *resolver;         /* the egress proxies' (c-ares on the loop) */
    egress_limits_t egress_limits;/* the connection cap every proxy listener shares */
    struct { int64_t job_id; int lost; } lost[64];   /* jobs whose browser went away */
    char profile_dir[UTIL_PATH_MAX], pid_file[UTIL_PATH_MAX], shots_dir[UTIL_PATH_MAX];
    char chromium[1100];
    int cjk_font;
};

/* ---- engine.c ---- */

/* Starts browsers, claims due jobs for free slots, recycles: whatever is due now. */
void engine_schedule(engine_t *e);
/* An endpoint finished stopping or freed a slot while linksnapd stops: the engine's close
 * callback runs once every endpoint is off and every slot free. */
void engine_check_closed(engine_t *e);
/* The websocket context for a CA file ("" = the system's), made on first use. */
cdp_ctx_t *engine_ctx(engine_t *e, const char *ca_file, char *err, size_t errlen);
/* A job's browser went away under it: 1 when this may be retried without using one of
 * its attempts (endpoint faults are not the job's), 0 once it happened too often. */
int engine_lost_uncounted(engine_t *e, int64_t job_id);

/* ---- endpoint.c: one endpoint's browser generation, health and counters ---- */

endpoint_t *endpoint_new(engine_t *e, const config_endpoint_t *cfg, char *err, size_t errlen);
/* Starts its browser when work is due and its back-off or quarantine allows; recycles. */
void endpoint_schedule(endpoint_t *ep, int due);
/* Ends this browser generation: captures it runs go back to the queue, the connection is
 * closed, a managed Chromium's process group killed. failure=1 marks it down (back-off,
 * quarantine). Safe to call more than once. */
void endpoint_teardown(endpoint_t *ep, const char *reason, int failure);
/* After a capture timed out: is the browser itself still answering? */
void endpoint_health_check(endpoint_t *ep);
/* Slots in phase `only`; SLOT_FREE counts the busy ones (any phase but free). */
int endpoint_slots_busy(const endpoint_t *ep, slot_phase_t only);
/* Captures it could start now (0 unless ready, not draining and not recycling). */
int endpoint_free_slots(const endpoint_t *ep);
/* The engine's once-a-second look: memory, idle stop, the ping. */
void endpoint_tick(endpoint_t *ep, uint64_t now);
/* Its state's name: off|starting|ready|down|draining|quarantined|stopping. */
const char *endpoint_state(const endpoint_t *ep);
/* Its entry of daemon.status's browser.endpoints. */
json_t *endpoint_status(endpoint_t *ep);
/* Closes its handles; it frees itself once they are closed (ep->gone set first). */
void endpoint_close_handles(endpoint_t *ep);
/* Frees one of its proxy listeners (NULL accepted), adding what it refused unread (another
 * peer, the connection cap) to the endpoint's counters. */
void endpoint_egress_free(endpoint_t *ep, egress_t *x);
/* Frees what endpoint_new allocated (after its handles closed). */
void endpoint_free(endpoint_t *ep);

/* ---- jobs.c: the writer calls and the job events ---- */

typedef enum { OP_CLAIM, OP_FINISH, OP_RETRY } op_kind_t;

/* A write the engine submits: the method_call_t comes first so the writer's fn can find
 * the rest. Inputs are copied in; outputs are read in done. */
typedef struct {
    method_call_t call;
    engine_t *e;
    op_kind_t kind;
    slot_t *slot;
    int max;
    store_job_t **jobs;
    store_site_rule_t **rules;    /* OP_CLAIM: the rule of each job (NULL = none) */
    size_t njobs;
    store_job_result_t result;
    char *timings, *redirects, *error;
    char *blocks, *files;         /* OP_FINISH: the text's blocks and the files, as JSON */
    store_page_text_t text;       /* OP_FINISH: borrows from the slot's result */
    int64_t not_before;
    int64_t host_until;           /* FINISH/RETRY: the host said 429 or Retry-After; its
                                     queued jobs wait until then (0: it did not) */
    int64_t link_id;              /* FINISH/RETRY: the job's link */
    int64_t keep_last, keep_mb;   /* FINISH: retention's defaults (the config's, at submit) */
    store_snapshot_t **pruned;    /* FINISH: the captures retention deleted (files still
                                     on disk until the commit) */
    size_t npruned;
    /* OP_CLAIM: the fleet's free places, and where each claimed job goes */
    struct {
        char name[CONFIG_ENDPOINT_NAME_MAX];
        endpoint_t *ep;
        int free, slots;
        int secrets_ok;           /* a site rule's cookies and headers may go to it */
        int broken;               /* its configuration cannot work: last choice (fails) */
    } caps[ENGINE_EP_MAX];
    int ncaps;
    int *assign;                  /* per claimed job: its caps index */
    char **refuse;                /* per claimed job: why it can run nowhere (NULL = runs) */
    int64_t deferred;             /* jobs put back: their endpoints were busy or down */
    int uncounted;                /* OP_RETRY: the attempt is given back (endpoint fault) */
    int rc;
    char errmsg[512];
} op_t;

/* Places a claim's jobs on the fleet (writer thread; see jobs.c). */
int jobs_assign(store_t *db, op_t *op);
/* The writer's side of an op (runs on the writer thread). */
int jobs_op_fn(method_call_t *call);
op_t *jobs_op_new(engine_t *e, op_kind_t kind, slot_t *slot);
/* Frees what op owns (its jobs, rules, placements, copied inputs, the call's JSON) and
 * leaves it zeroed, as calloc left it; op itself stays (a caller's own op_t). */
void jobs_op_clear(op_t *op);
/* jobs_op_clear, then frees op (from jobs_op_new; NULL accepted). */
void jobs_op_free(op_t *op);
/* Submits op; when the writer is closing, op is freed and its slot released. */
void jobs_submit(engine_t *e, op_t *op, writer_done_cb cb);
/* Publishes fields (taken) under topic. */
void jobs_publish(engine_t *e, const char *topic, json_t *fields);
/* job.finished with the job's snapshot as the store has it now. */
void jobs_publish_finished(engine_t *e, const store_job_t *job, const char *state,
                           const char *error);

/* ---- slot.c: one capture slot's life ---- */

/* Starts the capture of the job the slot holds (a warm context when one is ready). */
void slot_start_shot(slot_t *s);
/* Frees what the slot holds and makes it free; schedules the next work. */
void slot_release(slot_t *s);
/* The writer's answer to a claim: each job gets a free slot and its capture starts. */
void slot_claim_done_cb(method_call_t *call, void *ud);
/* The user canceled the slot's job. */
void slot_cancel(slot_t *s);

/* ---- warm.c: the contexts made ahead of the next captures ---- */

/* Makes contexts and tabs ahead while others capture, when the browser is ready: one
 * when nothing more is due, one per slot while jobs wait (so that slots freed together
 * each find one), none past half of browser.memory_limit_mb. */
void warm_prepare(endpoint_t *ep);
/* Lets every warm context go (the browser is going, or they are no longer wanted). */
void warm_drop(endpoint_t *ep, const char *reason);
/* Hands a ready warm context and its proxy to a capture: its proxy's owner becomes
 * label/refused/ud. Returns the context (and sets *egress), or NULL when none is ready. */
shot_t *warm_take(endpoint_t *ep, const char *label, egress_refused_cb refused, void *ud,
                  egress_t **egress);

#endif
