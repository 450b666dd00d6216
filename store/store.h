/* store.h -- the SQLite store: links, tags, snapshots, jobs, imports. Knows SQLite and
 * nothing of the loop or the wire format. One store_t is one connection, used by one thread
 * at a time. Every function returns 0 or a negative STORE_E* code; store_errmsg() then
 * holds a sentence a user can act on.
 *
 * This header opens with the core the daemon needs (open, transactions, stats); the
 * domain API (links, tags, jobs, ...) follows below it. */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

enum {
    STORE_OK = 0,
    STORE_ENOTFOUND = -1,   /* no such row */
    STORE_EINVAL = -2,      /* bad input (message says which) */
    STORE_ECONFLICT = -3,   /* the state does not allow it */
    STORE_EBUSY = -4,       /* database locked past busy_timeout */
    STORE_EIO = -5,         /* disk full, I/O error, read-only file system */
    STORE_ENOMEM = -6,
    STORE_ETOONEW = -7,     /* database schema newer than this binary */
    STORE_ECORRUPT = -8,    /* not a database, or damaged */
    STORE_EINTERNAL = -9,   /* anything else SQLite reported */
};

enum {
    STORE_OPEN_MIGRATE = 1,   /* create the file if missing and migrate the schema (writer) */
    STORE_OPEN_READONLY = 2,  /* query-only connection (loop reader, thread-pool readers) */
};

/* Opens (and with STORE_OPEN_MIGRATE creates/migrates) the database at path: WAL,
 * synchronous=FULL, foreign_keys=ON, busy_timeout. On failure *out is NULL and err holds
 * the reason. */
int store_open(const char *path, int flags, store_t **out, char *err, size_t errlen);
/* The same, migrating only up to `version` (tests build old databases with it). */
int store_open_at_version(const char *path, int flags, int version, store_t **out, char *err,
                          size_t errlen);
void store_close(store_t *s);                 /* accepts NULL */
const char *store_errmsg(const store_t *s);  /* last error of this connection */
int store_schema_version(store_t *s);         /* PRAGMA user_version */
int store_latest_version(void);               /* the version this binary migrates to */

/* Transactions. begin = BEGIN IMMEDIATE. Savepoints nest inside. */
int store_begin(store_t *s);
int store_commit(store_t *s);
int store_rollback(store_t *s);
int store_savepoint(store_t *s, const char *name);
int store_release(store_t *s, const char *name);
int store_rollback_to(store_t *s, const char *name);

typedef struct {
    int64_t links, tags, snapshots;
    int64_t jobs_queued, jobs_running;
    int64_t data_version;   /* moves once per committed transaction that changed anything */
} store_stats_t;
int store_stats(store_t *s, store_stats_t *out);

/* Gives back the connection's page cache memory (idle housekeeping). Same thread rules as
 * every other call on the connection. */
void store_release_memory(store_t *s);

/* PRAGMA integrity_check + foreign_key_check, and on a writable connection the FTS5
 * integrity-check of the search indexes; 0 when all are clean. */
int store_integrity_check(store_t *s);

/* Consistent copy of the whole database to dest with SQLite's online backup API. */
int store_backup(store_t *s, const char *dest_path);

/* ---- normalisation (pure; any thread) ---------------------------------------------- */

#define STORE_MAX_URL 8192
#define STORE_MAX_TAG_CHARS 64
#define STORE_MAX_TAG_BYTES (STORE_MAX_TAG_CHARS * 4)
/* 64 characters, each decomposing to at most 18 code points of at most 4 bytes */
#define STORE_MAX_TAG_KEY_BYTES (STORE_MAX_TAG_CHARS * 18 * 4)

/* Tracking parameters removed from URLs: exact names and name prefixes (NULL-terminated
 * lists, case-insensitive). */
typedef struct {
    const char *const *exact;
    const char *const *prefixes;
} store_url_rules_t;
const store_url_rules_t *store_url_default_rules(void);

/* Normalises a URL (rules NULL = the defaults); *out is owned by the caller. STORE_EINVAL
 * with err naming the problem (the scheme, the host, the length). */
int store_normalize_url(const store_url_rules_t *rules, const char *in, char **out, char *err,
                        size_t errlen);
/* The form of a normalised URL that people read (*out owned): punycode labels in Unicode
 * where the browsers' IDN rules would show them (mixed-script and lookalike labels stay
 * punycode), percent-encoded non-ASCII UTF-8 decoded in path, query and fragment except
 * spaces, controls, bidi and invisible characters. Never the identity: only shown.
 * STORE_ENOMEM is its one failure. */
int store_display_url(const char *url, char **out);
/* Normalises a tag into out (at least STORE_MAX_TAG_BYTES + 1 bytes). */
int store_normalize_tag(const char *in, char *out, size_t outlen, char *err, size_t errlen);
/* The match key of a normalised tag name (NFKC_Casefold, white space collapsed) into out.
 * Keys can be longer than names (ß -> ss, ㍻ -> 平成, U+FDFA -> 18 characters):
 * STORE_MAX_TAG_KEY_BYTES + 1 always holds one. STORE_EINVAL when out is too small,
 * STORE_ENOMEM. */
int store_tag_key(const char *name, char *out, size_t outlen);


/* A tag the migration at open merged into another (schema 5 made their keys equal). */
typedef struct {
    char from[STORE_MAX_TAG_BYTES + 1], into[STORE_MAX_TAG_BYTES + 1];
    int64_t links;   /* links that carried `from` */
} store_tag_merged_t;
/* What store_open's migration merged, for the caller to log (the store does not log);
 * borrowed, valid until store_close. *n 0 when nothing was. */
const store_tag_merged_t *store_open_merged(const store_t *s, size_t *n);

/* ---- rows ------------------------------------------------------------------------- */

/* Why a capture failed when the site is the cause (a snapshot's cause column; links whose
 * last capture has one, or a 4xx/5xx answer, are broken). Stored as these numbers. */
typedef enum {
    STORE_CAUSE_NONE = 0,           /* not the site's doing, or not known */
    STORE_CAUSE_DNS = 1,            /* the host name did not resolve */
    STORE_CAUSE_CONNECTION = 2,     /* the server refused, reset or closed the connection */
} store_cause_t;

/* What kind of partial a snapshot is (its partial_kind column; the daemon maps capture's
 * kinds to these). Stored as these numbers: never renumber. */
typedef enum {
    STORE_PARTIAL_NONE = 0,         /* not partial */
    STORE_PARTIAL_NOT_QUIET = 1,    /* partial only because the network never went quiet */
    STORE_PARTIAL_OTHER = 2,        /* any other reason, alone or beside that one */
} store_partial_t;

typedef struct {
    int64_t id, link_id;
    char state[16];                 /* queued|running|ok|partial|failed|blocked */
    int http_status;                /* 0 = none yet */
    char *final_url, *title, *path, *thumb_path, *sha256, *error, *timings;  /* or NULL */
    char *redirects;                /* JSON array text [{url, status}] or NULL */
    char *files;                    /* JSON object text {mhtml, pdf: {path, bytes}} or NULL */
    int64_t width, height, bytes;   /* 0 = none */
    int truncated, blank, attempt;
    int64_t created_at, finished_at;   /* ms; finished_at 0 = not finished */
    store_partial_t partial_kind;
    /* the comparison with the link's good capture before (schema 13): change_against 0 =
     * not compared; then change_changed and change_fraction mean nothing */
    int64_t change_against;
    int change_changed;
    double change_fraction;
    /* its link's url and title: only from store_snapshot_changes (else NULL) */
    char *link_url, *link_title;
} store_snapshot_t;

typedef struct {
    int64_t id;
    char *url, *title, *description;   /* title/description may be NULL */
    int64_t created_at, updated_at;
    char **tags;                       /* names as first written, by key */
    size_t ntags;
    store_snapshot_t *last_snapshot;   /* NULL when never captured */
    int broken;                        /* links.broken: the newest finished capture failed
                                          because of the site (store_filter_t.broken) */
} store_link_t;

void store_link_free(store_link_t *l);          /* frees the row and everything in it */
void store_snapshot_free(store_snapshot_t *s);

typedef struct {
    char name[STORE_MAX_TAG_BYTES + 1];
    int64_t count;
} store_tag_t;

/* A link.list filter. Tag names are raw (normalised inside); unknown tags simply match
 * nothing (tags_all) or exclude nothing (tags_none). */
typedef struct {
    const char *const *all;  size_t nall;
    const char *const *any;  size_t nany;
    const char *const *none; size_t nnone;
    int untagged;
    int broken;              /* only links whose last capture failed because of the site */
    const char *q;           /* substring of url, title or description, or every word in
                              * the page's text (store_fts_query); NULL = any */
} store_filter_t;

/* ---- links (writes need a transaction around them: the writer's) --------------------- */

typedef struct {
    const char *url;                      /* raw: normalised here with `rules` */
    const store_url_rules_t *rules;       /* NULL = defaults */
    const char *const *tags;              /* raw names, normalised here */
    size_t ntags;
    const char *title, *description;      /* NULL = none; fill empty fields of an existing link */
    int64_t created_at;                   /* ms; 0 = now_ms (imports pass ADD_DATE) */
    int capture;                          /* a new link gets a queued job + snapshot */
    int64_t now_ms;
} store_link_add_t;

/* Adds a link or, when its normalised URL exists, merges tags into it. */
int store_link_add(store_t *s, const store_link_add_t *in, int64_t *id, int *created);
int store_link_get(store_t *s, int64_t id, store_link_t **out);
/* Finds by raw URL (normalised first). */
int store_link_find(store_t *s, const store_url_rules_t *rules, const char *url, int64_t *id);
/* set_title/set_description choose which fields change; NULL clears. */
int store_link_update(store_t *s, int64_t id, int set_title, const char *title,
                      int set_description, const char *description, int64_t now_ms);
int store_link_delete(store_t *s, int64_t id);
int store_link_tag(store_t *s, int64_t id, const char *const *add, size_t nadd,
                   const char *const *remove, size_t nremove, int64_t now_ms);
/* Newest first (id DESC). before_id 0 = from the newest. *next_before is 0 at the end. */
int store_link_list(store_t *s, const store_filter_t *f, int limit, int64_t before_id,
                    store_link_t ***out, size_t *n, int64_t *next_before);
void store_link_list_free(store_link_t **v, size_t n);
/* How many links the filter matches: the set link.list pages through and tag.apply
 * changes (one scan, no rows read). */
int store_link_count(store_t *s, const store_filter_t *f, int64_t *count);
/* The ids the filter matches, newest first, at most max + 1 of them (so a caller can tell
 * "more than max"); *ids is malloc'ed (free it), NULL when none. */
int store_link_ids(store_t *s, const store_filter_t *f, int64_t max, int64_t **ids, size_t *n);
/* Adds/removes tags on every link the filter matches; *changed counts links touched. */
int store_tag_apply(store_t *s, const store_filter_t *f, const char *const *add, size_t nadd,
                    const char *const *remove, size_t nremove, int64_t now_ms, int64_t *changed);

/* ---- snapshots and the capture queue (store/snapshots.c, store/jobs.c) ---------------
 * A job is one capture request of a link and owns one snapshot row for its whole life:
 * queued -> running -> ok|partial|failed|blocked, retries included (attempt counts them). */

int store_snapshot_get(store_t *s, int64_t id, store_snapshot_t **out);
/* A link's snapshots, newest first, at most limit. STORE_ENOTFOUND for an unknown link. */
int store_snapshot_list(store_t *s, int64_t link_id, int limit, store_snapshot_t ***out,
                        size_t *n);
/* The same, a page at a time: only snapshots with id < before_id (0 = from the newest). */
int store_snapshot_page(store_t *s, int64_t link_id, int limit, int64_t before_id,
                        store_snapshot_t ***out, size_t *n);
void store_snapshot_list_free(store_snapshot_t **v, size_t n);
/* The baseline of snapshot id: the newest good capture (store_snapshot_good) of the same
 * link before it that has a screenshot, in *out (owned), or *out NULL when there is none.
 * A capture that is not good is never a baseline. */
int store_snapshot_baseline(store_t *s, int64_t id, store_snapshot_t **out);
/* Stores the comparison of snapshot id with its baseline `against` (a writer call). */
int store_snapshot_set_change(store_t *s, int64_t id, int64_t against, int changed,
                              double fraction);
/* The captures of all links whose comparison with their baseline found a change, newest
 * first, at most limit, only ids below before_id (0 = from the newest), each with its
 * link's link_url and link_title (NULL when the link has none). */
int store_snapshot_changes(store_t *s, int limit, int64_t before_id, store_snapshot_t ***out,
                           size_t *n);

typedef struct {
    int64_t id, link_id, snapshot_id;
    char state[16];                 /* queued|running|done|failed|canceled */
    int attempt;
    int64_t not_before, created_at, updated_at;
    char *url;                      /* the link's URL */
    char *error;                    /* or NULL */
    int formats;                    /* what snapshot.request asked to keep; 0 = the defaults */
    int priority;                   /* STORE_PRIORITY_*: the claim takes the lower first */
    char *host;                     /* the exact host of url, or NULL */
} store_job_t;
#define STORE_PRIORITY_PERSON 0     /* a person asked (add, import, snapshot.request) */
#define STORE_PRIORITY_SCHEDULED 1  /* a watch's run (store/watch.c) */
void store_job_free(store_job_t *j);
void store_job_list_free(store_job_t **v, size_t n);

/* Queues a capture of a link: a snapshot row (queued) and its job. */
int store_job_enqueue(store_t *s, int64_t link_id, int64_t now_ms);
/* The same, returning the job id (and failing with STORE_ENOTFOUND for an unknown link);
 * when the link already has a queued or running job, that one is returned (*created 0). */
int store_job_request(store_t *s, int64_t link_id, int64_t now_ms, int64_t *job_id,
                      int *created);
int store_job_get(store_t *s, int64_t id, store_job_t **out);
/* Jobs newest first; state NULL = all. before_id 0 = from the newest. */
int store_job_list(store_t *s, const char *state, int limit, int64_t before_id,
                   store_job_t ***out, size_t *n);
/* Takes up to max queued jobs due at now_ms (oldest first) and marks them running: the
 * job's attempt goes up by one and its snapshot becomes running. */
int store_job_claim(store_t *s, int64_t now_ms, int max, store_job_t ***out, size_t *n);

/* *due = 1 when some queued job is due at now_ms (one index probe; the loop may call it). */
int store_job_due(store_t *s, int64_t now_ms, int *due);
/* Per-host politeness for this connection's claims and store_job_due: a queued job whose
 * exact host has per_host running jobs is skipped (0, the default: no limit). */
void store_job_set_host_limit(store_t *s, int per_host);
/* A 429 or Retry-After from job_id's host: every queued job of that host waits until
 * until_ms at least. *n counts the jobs delayed. */
int store_job_delay_host(store_t *s, int64_t job_id, int64_t until_ms, int64_t *n);

/* ---- watches: captures on a schedule (store/watch.c) ---------------------------------
 * A watch names a link or a tag and an interval. A link's own watch beats its tags'; among
 * tag watches the shortest interval wins. watch_runs keeps each watched link's next run. */
#define STORE_WATCH_MAX_S (366LL * 86400)   /* a year (a leap one) */
typedef struct {
    int64_t id, link_id, tag_id;     /* one of link_id / tag_id is 0 */
    char *tag;                       /* the tag's name (tag watches), else NULL */
    int64_t every_s, jitter_s;
    double threshold;                /* < 0: not set */
    char *notify;                    /* or NULL */
    int64_t created_at, updated_at;
    int64_t links;                   /* links this watch schedules now */
    int64_t next_run;                /* the earliest of their next runs (ms), 0 none */
    int64_t last_run;                /* the latest of their runs (ms), 0 none yet */
    int64_t keep_last, keep_mb;      /* retention (store/retain.c); 0: the config's */
} store_watch_t;
void store_watch_free(store_watch_t *w);
void store_watch_list_free(store_watch_t **v, size_t n);

typedef struct {
    int64_t link_id;                 /* or 0 and a tag name */
    const char *tag;
    int64_t every_s, jitter_s;       /* jitter_s < 0: 10% of every_s */
    double threshold;                /* < 0: not set */
    const char *notify;              /* or NULL */
    int64_t keep_last;               /* 0: not set (the config's); else 1..STORE_KEEP_LAST_MAX */
    int64_t keep_mb;                 /* 0: not set; else 1..STORE_KEEP_MB_MAX */
    int64_t now_ms;
} store_watch_in_t;
/* Sets (creates or replaces) the watch of a link or tag; *out (owned) is the watch as
 * stored. STORE_ENOTFOUND for an unknown link or tag, STORE_EINVAL for bad figures. */
int store_watch_set(store_t *s, const store_watch_in_t *in, store_watch_t **out, int *created);
/* Every watch, link watches first, then tags by name. */
int store_watch_list(store_t *s, store_watch_t ***out, size_t *n);
/* Deletes a link's or a tag's watch; *deleted 0 when there was none. */
int store_watch_delete(store_t *s, int64_t link_id, const char *tag, int64_t now_ms,
                       int *deleted);
/* Brings watch_runs in step with the watches: links newly covered get a next run (due at
 * once when their newest capture is older than every), links no longer covered go, a
 * changed interval moves the next run no later than the new one. */
int store_watch_sync(store_t *s, int64_t now_ms);
/* The scheduler's one writer call: syncs; when catchup (the first call after a start),
 * every run missed while linksnapd was down is moved to now + an offset fixed by its
 * link id within its interval (store_watch_spread), so that they do not fire together
 * and each runs once; then queues up to max due runs behind people's jobs
 * (STORE_PRIORITY_SCHEDULED; a link with a job queued or running is not queued twice) and
 * moves their next run one interval on from when it was due (from now if that has passed
 * too), +- a jitter fixed by link and time. *queued
 * counts the jobs, *next_ms is the next run after that (0: none). */
int store_watch_run_due(store_t *s, int64_t now_ms, int catchup, int max, int64_t *queued,
                        int64_t *next_ms);
/* The catch-up offset of a link within an interval, in ms: [0, every_s * 1000). */
int64_t store_watch_spread(int64_t link_id, int64_t every_s);
typedef struct {
    int64_t watches, links, due, next_run;
    int64_t pruned;                  /* captures retention deleted, ever (store/retain.c) */
} store_watch_counts_t;
int store_watch_counts(store_t *s, int64_t now_ms, store_watch_counts_t *out);
/* A link's next scheduled run (ms), 0 when it is not watched. */
int store_watch_next_run(store_t *s, int64_t link_id, int64_t *next_ms);
/* The threshold of the watch that schedules a link (its own, else its tag's), -1 when it
 * is not watched or the watch has none. */
int store_watch_threshold(store_t *s, int64_t link_id, double *threshold);

/* ---- retention of watched links' history (store/retain.c) ----------------------------
 * After a capture of a link that a watch covers (the watch the scheduler picks: its own,
 * else its tags' shortest), the link's captures beyond keep_last (newest kept) go, oldest
 * first; then the oldest while the link's files weigh more than keep_mb MiB; and
 * unchanged captures older than STORE_THIN_AFTER_MS are thinned to the earliest of each
 * UTC day. Never deleted: the newest capture, the newest good one and the newest good
 * one with a screenshot (the next baseline), the coming baseline of any good capture not
 * compared yet (its comparison may be running), a capture that is not finished, one at or below the store's
 * retain_floor (history from before schema 17), and the baseline (change_against) of
 * each capture the rules keep and of the newest and newest good ones, so that every such
 * change can still be shown (a capture kept only as a baseline may name one that went).
 * keep_last and keep_mb count the captures above the floor that stay, baselines too. */
#define STORE_KEEP_LAST_MAX 10000
#define STORE_KEEP_MB_MAX 1000000
#define STORE_THIN_AFTER_MS (7LL * 86400000)
typedef struct {
    int64_t keep_last, keep_mb;      /* for a watch that sets none (the config's) */
    int64_t now_ms;
} store_retain_opts_t;
/* Prunes one link's history as above, in a savepoint of its own (on failure nothing is
 * deleted and the caller's transaction stands). *out: the deleted rows (owned; their
 * files are the caller's to remove once the transaction committed), oldest first; none
 * when no watch covers the link. */
int store_retain_link(store_t *s, int64_t link_id, const store_retain_opts_t *o,
                      store_snapshot_t ***out, size_t *n);
/* The store's retain_floor: no snapshot id at or below it is pruned. */
int store_retain_floor(store_t *s, int64_t *floor_id);

/* ---- webhook deliveries (store/deliveries.c) -----------------------------------------
 * One row per POST owed to an address: pending until a 2xx (done) or the last attempt
 * (failed). The store keeps the rows and the counts; daemon/webhook.c sends them. */
#define STORE_DELIVERY_ATTEMPTS 5
typedef struct {
    int64_t id;
    char *url, *body;
    int attempts;                    /* made so far */
    int64_t next_at;                 /* ms */
} store_delivery_t;
void store_delivery_free(store_delivery_t *x);   /* accepts NULL */
void store_delivery_list_free(store_delivery_t **v, size_t n);
/* The notify addresses of a link's watches (its own watch's, else those of the tag watches
 * that cover it), each once: *out owned (free each and the array). */
int store_delivery_targets(store_t *s, int64_t link_id, char ***out, size_t *n);
/* A pending delivery due at now_ms. */
int store_delivery_add(store_t *s, const char *url, const char *body, int64_t snapshot_id,
                       int64_t now_ms, int64_t *id);
/* Up to max pending deliveries due at now_ms, oldest due first, leaving out the ids in
 * skip (those being sent); *next_at is the earliest next_at of the pending rows not
 * skipped that are not due yet (0: none). */
int store_delivery_due(store_t *s, int64_t now_ms, const int64_t *skip, size_t nskip, int max,
                       store_delivery_t ***out, size_t *n, int64_t *next_at);
/* An attempt's outcome: error NULL = delivered (done); else the attempt counts, and the row
 * waits until next_at, or becomes failed when next_at is 0. Done rows older than 30 days
 * go. STORE_ENOTFOUND when the row is gone. */
int store_delivery_attempted(store_t *s, int64_t id, const char *error, int64_t next_at,
                             int64_t now_ms);
typedef struct {
    int64_t pending, failed;
    char last_error[512];            /* of the newest row not done that has one; "" none */
    int64_t last_error_at;           /* ms; 0 none */
} store_delivery_counts_t;
int store_delivery_counts(store_t *s, store_delivery_counts_t *out);

/* What a capture produced, for store_job_finish. */
typedef struct {
    int64_t job_id;
    const char *state;              /* snapshot state: ok|partial|failed|blocked */
    int http_status;
    const char *final_url, *title, *path, *thumb_path, *sha256, *error;  /* NULL = none */
    const char *timings_json, *redirects_json;                           /* NULL = none */
    int64_t width, height, bytes;
    int truncated, blank;
    int64_t now_ms;
    const struct store_page_text *text;   /* the page's words; NULL = none (nothing changes) */
    const char *files_json;         /* {mhtml, pdf: {path, bytes}}; NULL = none */
    store_partial_t partial_kind;   /* with state partial: why (STORE_PARTIAL_NONE is
                                     * taken as STORE_PARTIAL_OTHER there) */
    store_cause_t cause;            /* with state failed: the site's part in it */
} store_job_result_t;
/* Ends a running job: the snapshot gets the result, the job becomes done (ok, partial) or
 * failed (failed, blocked), and the link's title is filled from the page when it had none. STORE_ENOTFOUND
 * when the job is gone (its link was deleted meanwhile); STORE_ECONFLICT when the job is
 * no longer running (canceled meanwhile): the caller then drops the files. */
int store_job_finish(store_t *s, const store_job_result_t *r);
/* The path of another snapshot's PNG (kind "png") or PDF ("pdf") whose SHA-256 (hex) is
 * sha256, for keeping one file under both names; *path NULL when there is none (owned:
 * free it). */
int store_snapshot_twin(store_t *s, const char *kind, const char *sha256, int64_t except_id,
                        char **path);
/* Sets what a queued or running job's capture keeps (a bit set the daemon defines; 0 =
 * its defaults). */
int store_job_set_formats(store_t *s, int64_t job_id, int formats);
/* Puts a running job back in the queue, due at not_before, with the reason. */
int store_job_retry(store_t *s, int64_t job_id, int64_t not_before, const char *error,
                    int64_t now_ms);
/* As store_job_retry, and the attempt the claim counted is given back: the browser
 * endpoint failed, or none could take the job yet (issue 21), not the job itself. */
int store_job_release(store_t *s, int64_t job_id, int64_t not_before, const char *error,
                      int64_t now_ms);
/* At start: jobs left running by a crash go back to the queue; *n counts them. */
int store_job_requeue_running(store_t *s, int64_t now_ms, int64_t *n);
/* Cancels a queued or running job (its snapshot ends failed, "canceled"); *was_running
 * tells the caller to close the capture. STORE_ECONFLICT when it already ended. */
int store_job_cancel(store_t *s, int64_t id, int64_t now_ms, int *was_running);

/* ---- page text and full-text search (store/text.c, store/fts.c) -----------------------
 * Every capture that brought text keeps it (page_texts); each link's newest GOOD capture
 * is the one in the full-text index, so a later 404 or bot wall never takes words away. */

/* The one definition of a good capture: state ok, the main document answered 1..399 and
 * the picture is not blank; or such a partial whose only reason is that the network never
 * went quiet (partial_kind STORE_PARTIAL_NOT_QUIET). The history and daily-tool code call
 * this too. */
int store_capture_good(const char *state, int http_status, int blank,
                       store_partial_t partial_kind);
int store_snapshot_good(const store_snapshot_t *snap);
/* *yes = 1 when one of the link's snapshots is a good capture (store/snapshots.c). */
int store_link_has_good(store_t *s, int64_t link_id, int *yes);

/* What the capture side extracted from a page. text is required (may be ""); the rest
 * may be NULL. blocks_json is a JSON array text of {kind, text}. Invalid UTF-8 is
 * repaired and control characters other than tab and newline are dropped on the way in. */
typedef struct store_page_text {
    const char *title, *byline, *lang, *excerpt;
    const char *blocks_json;
    const char *text;
    int cut;                     /* the page's text was longer than the cap and was cut */
} store_page_text_t;

/* Keeps a snapshot's text and brings the link's index entry up to date (inside the
 * caller's transaction; store_job_finish calls it when its result has text). */
int store_text_put(store_t *s, int64_t snapshot_id, const store_page_text_t *t);

/* A stored text (all fields owned; free with store_text_free). */
typedef struct {
    int64_t snapshot_id, link_id;
    char *title, *byline, *lang, *excerpt, *blocks_json, *text;
    int cut, indexed;
} store_text_t;
int store_text_get(store_t *s, int64_t snapshot_id, store_text_t **out);
void store_text_free(store_text_t *t);

/* Rebuilding the index from the stored texts, in chunks the caller commits one by one:
 * begin empties the index (and counts the links to do into *total); each step indexes
 * the links with id > after (at most max), sets *next (0 = finished) and adds to *done. */
int store_text_reindex_begin(store_t *s, int64_t *total);
int store_text_reindex_step(store_t *s, int64_t after, int max, int64_t *next, int64_t *done);

/* The tokenizer, for tests and tools: calls cb for each token of text. Flags:
 * STORE_TOKENIZE_QUERY, the rules for a query (no trailing unigram after a CJK run of two
 * or more); STORE_TOKENIZE_UNIGRAMS, the alternative measured in docs/benchmarks.md (a
 * unigram for every CJK character, each bigram at its first character). *last_kind (may
 * be NULL) gets the kind of the last token. Returns 0, STORE_ENOMEM, or what cb returned. */
enum { STORE_TOK_WORD = 1, STORE_TOK_CJK1 = 2, STORE_TOK_CJK2 = 3 };
enum { STORE_TOK_COLOCATED = 1 };
enum { STORE_TOKENIZE_QUERY = 1, STORE_TOKENIZE_UNIGRAMS = 2 };
typedef int (*store_tok_cb)(void *ud, int flags, const char *tok, int n, int start, int end);
int store_fts_tokenize(const char *text, int len, int flags, store_tok_cb cb, void *ud,
                       int *last_kind);
/* The FTS5 MATCH expression for a user's q (*out owned; NULL when q has no word): every
 * word must appear, the last as a prefix; quotes, *, NEAR, OR, - are plain text. With a
 * store, a one-token prefix with at most 64 completions in the index's vocabulary becomes
 * their OR (the same documents, read lazily; fts.c); without (NULL), FTS5's own prefix. */
int store_fts_query(store_t *s, const char *q, char **out);

/* ---- searching and sorting links ---------------------------------------------------- */

typedef enum {
    STORE_SORT_DEFAULT = 0,   /* relevance with q, added without */
    STORE_SORT_RELEVANCE, STORE_SORT_ADDED, STORE_SORT_TITLE, STORE_SORT_CAPTURED,
    STORE_SORT_HOST,
} store_sort_t;
/* "relevance" -> STORE_SORT_RELEVANCE ...; -1 for an unknown name. */
int store_sort_parse(const char *name);

#define STORE_MAX_Q_CHARS 1000

/* One segment of a text snippet: hit says whether it is a matched word. */
typedef struct {
    char *text;
    int hit;
} store_snip_t;
/* How a listed link matched: in its text (with a snippet) or not. */
typedef struct {
    int in_text;
    store_snip_t *snip;
    size_t nsnip;
} store_match_t;
void store_match_free(store_match_t *m, size_t n);   /* frees n matches and the array */

/* A page of links under a filter and a sort. cursor: NULL for the first page, else the
 * next_cursor of the page before (STORE_EINVAL when it is not one of this sort).
 * *matches (may be NULL to skip) gets one store_match_t per link. *next_cursor is owned,
 * NULL at the end. */
int store_link_search(store_t *s, const store_filter_t *f, store_sort_t sort, int limit,
                      const char *cursor, store_link_t ***out, store_match_t **matches,
                      size_t *n, char **next_cursor);

/* ---- tags --------------------------------------------------------------------------- */

/* Tags in use, by count desc then name. *out is malloc'ed. */
int store_tag_list(store_t *s, store_tag_t **out, size_t *n);
/* Renaming onto an existing tag merges into it; a case-only rename changes the display. */
int store_tag_rename(store_t *s, const char *from, const char *to, store_tag_t *out);
int store_tag_merge(store_t *s, const char *const *from, size_t nfrom, const char *into,
                    store_tag_t *out);
int store_tag_delete(store_t *s, const char *name, store_tag_t *deleted);
/* An old tag name a merge or rename left pointing at the tag it went into (schema 14).
 * Every lookup by name (link.add, link.tag, filters, watches, imports) goes through it. */
typedef struct {
    char alias[STORE_MAX_TAG_BYTES + 1];   /* the old name as it was written */
    char tag[STORE_MAX_TAG_BYTES + 1];     /* the live tag it names */
} store_tag_alias_t;
/* Every alias, by tag then alias. *out is malloc'ed. */
int store_tag_aliases(store_t *s, store_tag_alias_t **out, size_t *n);
/* Drops the alias `name` (matched by key), so the name can be a tag of its own again;
 * *dropped says which. STORE_ENOTFOUND when it is not an alias. */
int store_tag_unalias(store_t *s, const char *name, store_tag_alias_t *dropped);

/* ---- chart data (charts.c) ---------------------------------------------------------- */

/* counts[0..days) = links added on each UTC day from first_day_ms (a UTC midnight), of
 * the one tag when tag is not NULL (matched like every tag name; an unknown tag counts
 * nothing). STORE_EINVAL for a negative start, over 100,000 days or an invalid tag. */
int store_chart_links_per_day(store_t *s, int64_t first_day_ms, size_t days, const char *tag,
                              int64_t *counts);
/* Captures finished on each UTC day from first_day_ms, by final state. A capture taken (ok
 * or partial) whose main document answered 4xx/5xx is in none of these: it is counted by
 * store_chart_http_error_per_day. */
int store_chart_outcomes_per_day(store_t *s, int64_t first_day_ms, size_t days, int64_t *ok,
                                 int64_t *partial, int64_t *failed);
/* Captures that ended blocked (a bot wall or a 429) on each UTC day from first_day_ms. */
int store_chart_blocked_per_day(store_t *s, int64_t first_day_ms, size_t days, int64_t *blocked);
/* Captures taken (ok or partial) whose main document answered 400..599, on each UTC day
 * from first_day_ms: the picture is the site's error page (issue 23). */
int store_chart_http_error_per_day(store_t *s, int64_t first_day_ms, size_t days,
                                   int64_t *http_error);

/* ---- imports --------------------------------------------------------------------------- */

int store_import_create(store_t *s, const char *source, const char *format,
                        const char *tags_json, int capture, int64_t now_ms, int64_t *id);
/* One imported entry (raw URL and tags). STORE_EINVAL with err for an invalid URL/tag. */
int store_import_entry(store_t *s, const char *url, const char *const *tags, size_t ntags,
                       const char *title, const char *description, int64_t created_ms,
                       int capture, int64_t now_ms, int *created, char *err, size_t errlen);
/* Adds a batch's figures; errors_json is a JSON array text of {line, reason} appended to
 * the import's list, which keeps at most max_errors entries. A non-NULL state ends it. */
int store_import_progress(store_t *s, int64_t id, int64_t lines, int64_t added,
                          int64_t existing, int64_t invalid, const char *errors_json,
                          int max_errors, const char *state, const char *error,
                          int64_t now_ms);
/* An import's row. Strings owned (store_import_free); errors and tags are the JSON texts
 * as stored: [{line, reason}] and [name]. */
typedef struct {
    int64_t id;
    char *source, *format, *state;
    int64_t lines, added, existing, invalid;
    char *errors_json, *error, *tags_json;   /* error NULL = none */
    int capture;
    int64_t created_at, finished_at;         /* ms; finished_at 0 = not finished */
} store_import_t;
void store_import_free(store_import_t *x);      /* accepts NULL */
/* Reads import id into *out (owned: store_import_free). STORE_ENOTFOUND for none. */
int store_import_get(store_t *s, int64_t id, store_import_t **out);
/* At start: imports left running by a crash become "interrupted". */
int store_import_interrupt_running(store_t *s, int64_t now_ms);

#endif
