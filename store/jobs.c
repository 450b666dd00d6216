/* jobs.c -- the capture queue in SQLite. A job is one capture of a link and owns one
 * snapshot row for its whole life; the daemon's capture engine claims due jobs, and ends
 * each with finish (a result), retry (back to the queue with a back-off) or, from a user,
 * cancel. Every state change is one transaction of the daemon's writer, so a job is never
 * lost: after a crash, running jobs are requeued at start. The claim takes a person's jobs
 * before scheduled ones and skips hosts at their per_host_jobs limit; a host that answered
 * 429 or Retry-After has its queued jobs delayed. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

void store_job_free(store_job_t *j)
{
    if (!j)
        return;
    free(j->url);
    free(j->error);
    free(j->host);
    free(j);
}

STORE_DEFINE_LIST_FREE(store_job_list_free, store_job_t, store_job_free)

/* The current row of a statement selecting STORE_JOB_COLS; NULL when out of memory. */
static store_job_t *job_from_row(sqlite3_stmt *st)
{
    store_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->id = sqlite3_column_int64(st, 0);
    j->link_id = sqlite3_column_int64(st, 1);
    j->snapshot_id = sqlite3_column_int64(st, 2);
    snprintf(j->state, sizeof j->state, "%s", (const char *)sqlite3_column_text(st, 3));
    j->attempt = sqlite3_column_int(st, 4);
    j->not_before = sqlite3_column_int64(st, 5);
    j->created_at = sqlite3_column_int64(st, 6);
    j->updated_at = sqlite3_column_int64(st, 7);
    j->url = store_col_strdup(st, 8);
    if (sqlite3_column_type(st, 9) != SQLITE_NULL && !(j->error = store_col_strdup(st, 9))) {
        store_job_free(j);
        return NULL;
    }
    j->formats = sqlite3_column_int(st, 10);
    j->priority = sqlite3_column_int(st, 11);
    if (sqlite3_column_type(st, 12) != SQLITE_NULL && !(j->host = store_col_strdup(st, 12))) {
        store_job_free(j);
        return NULL;
    }
    if (!j->url) {
        store_job_free(j);
        return NULL;
    }
    return j;
}

static int job_load(store_t *s, int64_t id, store_job_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = store_step_by_id(s, ST_JOB_BY_ID, id, "job", &st);
    if (rc != STORE_OK)
        return rc;
    *out = job_from_row(st);
    sqlite3_reset(st);
    return *out ? STORE_OK : store_fail(s, STORE_ENOMEM, "out of memory reading a job");
}

int store_job_get(store_t *s, int64_t id, store_job_t **out)
{
    return job_load(s, id, out);
}

/* Collects the rows of an ad-hoc SELECT of STORE_JOB_COLS. */
static int job_rows(store_t *s, sqlite3_stmt *st, store_job_t ***out, size_t *n)
{
    store_job_t **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, cnt, cap, 16))
            goto nomem;
        if (!(v[cnt] = job_from_row(st)))
            goto nomem;
        cnt++;
    }
    if (rc != SQLITE_DONE) {
        store_job_list_free(v, cnt);
        return store_fail_sqlite(s, rc, "list jobs");
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
nomem:
    store_job_list_free(v, cnt);
    return store_fail(s, STORE_ENOMEM, "out of memory listing jobs");
}

int store_job_list(store_t *s, const char *state, int limit, int64_t before_id,
                   store_job_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (state && strcmp(state, "queued") && strcmp(state, "running") && strcmp(state, "done") &&
        strcmp(state, "failed") && strcmp(state, "canceled"))
        return store_fail(s, STORE_EINVAL,
                          "unknown job state '%.40s' (queued, running, done, failed, canceled)", state);
    /* newest first by id; with a state the (state, not_before, id) index narrows it */
    const char *sql = state
        ? "SELECT " STORE_JOB_COLS " FROM jobs j JOIN links l ON l.id = j.link_id "
          "WHERE j.state = ?1 AND (?2 = 0 OR j.id < ?2) ORDER BY j.id DESC LIMIT ?3"
        : "SELECT " STORE_JOB_COLS " FROM jobs j JOIN links l ON l.id = j.link_id "
          "WHERE (?2 = 0 OR j.id < ?2) ORDER BY j.id DESC LIMIT ?3";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "list jobs");
    if (state)
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    rc = job_rows(s, st, out, n);
    sqlite3_finalize(st);
    return rc;
}

int store_exec_i2(store_t *s, const char *sql, int64_t a, int64_t b, int64_t *changes,
                  const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, what);
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, what);
    if (changes)
        *changes = sqlite3_changes(s->db);
    return STORE_OK;
}

int store_job_request(store_t *s, int64_t link_id, int64_t now_ms, int64_t *job_id,
                      int *created)
{
    *created = 0;
    int rc = store_link_require(s, link_id);
    if (rc)
        return rc;
    sqlite3_stmt *st = store_stmt(s, ST_JOB_ACTIVE_OF_LINK);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *job_id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        /* a person asking for a capture a watch already queued: it becomes theirs */
        return store_exec_i2(s, "UPDATE jobs SET priority = ?2 WHERE id = ?1 AND priority > ?2",
                         *job_id, STORE_PRIORITY_PERSON, NULL, "raise a job's priority");
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find job");
    if ((rc = store_job_enqueue(s, link_id, now_ms)))
        return rc;
    /* the job is the last row enqueue inserted (its final UPDATE leaves the rowid alone) */
    *job_id = sqlite3_last_insert_rowid(s->db);
    *created = 1;
    return STORE_OK;
}

static int set_snapshot_state(store_t *s, int64_t snap, const char *state, int attempt,
                              const char *error, int64_t finished_at)
{
    sqlite3_stmt *st = store_stmt(s, ST_SNAPSHOT_SET_STATE);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, snap);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, attempt);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    if (finished_at)
        sqlite3_bind_int64(st, 5, finished_at);
    return store_step_done(s, st, "update snapshot");
}

static int set_job_state(store_t *s, int64_t id, const char *state, int64_t not_before,
                         const char *error, int64_t now_ms)
{
    sqlite3_stmt *st = store_stmt(s, ST_JOB_SET_STATE);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, not_before);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    return store_step_done(s, st, "update job");
}

/* The first job the claim would take now (*id 0: none). */
static int pick(store_t *s, int64_t now_ms, int64_t *id)
{
    *id = 0;
    sqlite3_stmt *st = store_stmt(s, ST_JOB_CLAIM_PICK);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 3, s->per_host_jobs);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "pick jobs");
    return STORE_OK;
}

int store_job_claim(store_t *s, int64_t now_ms, int max, store_job_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (max <= 0)
        return STORE_OK;
    if (max > 64)
        max = 64;
    store_job_t **v = calloc((size_t)max, sizeof *v);
    if (!v)
        return store_fail(s, STORE_ENOMEM, "out of memory claiming jobs");
    size_t cnt = 0;
    int rc = STORE_OK;
    /* one pick per job: each claimed job counts against its host for the next pick */
    for (int i = 0; i < max; i++) {
        int64_t id = 0;
        if ((rc = pick(s, now_ms, &id)))
            goto fail;
        if (!id)
            break;
        sqlite3_stmt *st = store_stmt(s, ST_JOB_SET_RUNNING);
        if (!st) {
            rc = STORE_EINTERNAL;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, now_ms);
        if ((rc = store_step_done(s, st, "claim job")))
            goto fail;
        if ((rc = job_load(s, id, &v[cnt])))
            goto fail;
        store_job_t *j = v[cnt++];
        if ((rc = set_snapshot_state(s, j->snapshot_id, "running", j->attempt, NULL, 0)))
            goto fail;
    }
    *out = v;
    *n = cnt;
    return STORE_OK;
fail:
    store_job_list_free(v, cnt);
    return rc;
}

/* The job's state and snapshot, for the transitions below. */
static int job_state(store_t *s, int64_t id, char state[16], int64_t *snap, int64_t *link,
                     int *attempt)
{
    store_job_t *j = NULL;
    int rc = job_load(s, id, &j);
    if (rc)
        return rc;
    snprintf(state, 16, "%s", j->state);
    *snap = j->snapshot_id;
    *link = j->link_id;
    *attempt = j->attempt;
    store_job_free(j);
    return STORE_OK;
}

/* s itself when it is valid UTF-8 (or NULL); else a repaired copy, also left in *owned
 * (free it), or "" when even that cannot be had. */
static const char *text_valid(const char *s, char **owned)
{
    if (!s || util_utf8_valid(s, strlen(s)))
        return s;
    *owned = util_utf8_repair(s, strlen(s), NULL);
    return *owned ? *owned : "";
}

int store_job_finish(store_t *s, const store_job_result_t *r)
{
    char state[16];
    int64_t snap, link;
    int attempt, rc;
    if ((rc = job_state(s, r->job_id, state, &snap, &link, &attempt)))
        return rc;
    if (strcmp(state, "running") != 0)
        return store_fail(s, STORE_ECONFLICT, "job %lld is %s, not running", (long long)r->job_id, state);
    if (strcmp(r->state, "ok") && strcmp(r->state, "partial") && strcmp(r->state, "failed") &&
        strcmp(r->state, "blocked"))
        return store_fail(s, STORE_EINVAL, "snapshot state '%s' is not a result", r->state);
    sqlite3_stmt *st = store_stmt(s, ST_SNAPSHOT_FINISH);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, snap);
    sqlite3_bind_text(st, 2, r->state, -1, SQLITE_STATIC);
    if (r->http_status)
        sqlite3_bind_int(st, 3, r->http_status);
    /* text from the browser is checked here, where it enters the store: what is not valid
     * UTF-8 is repaired (U+FFFD) rather than stored broken */
    char *fixed[3] = {NULL, NULL, NULL};
    const char *title = text_valid(r->title, &fixed[1]), *error = text_valid(r->error, &fixed[2]);
    const char *texts[] = {text_valid(r->final_url, &fixed[0]), title};
    /* SQLITE_STATIC: every text outlives the steps below, and a copy (TRANSIENT) that
     * cannot be allocated leaves the column NULL without failing the step */
    for (int i = 0; i < 2; i++)
        if (texts[i] && *texts[i])
            sqlite3_bind_text(st, 4 + i, texts[i], -1, SQLITE_STATIC);
    if (r->width)
        sqlite3_bind_int64(st, 6, r->width);
    if (r->height)
        sqlite3_bind_int64(st, 7, r->height);
    sqlite3_bind_int(st, 8, r->truncated);
    sqlite3_bind_int(st, 9, r->blank);
    const char *more[] = {r->path, r->thumb_path};
    for (int i = 0; i < 2; i++)
        if (more[i] && *more[i])
            sqlite3_bind_text(st, 10 + i, more[i], -1, SQLITE_STATIC);
    if (r->bytes)
        sqlite3_bind_int64(st, 12, r->bytes);
    const char *rest[] = {r->sha256, error, r->timings_json, r->redirects_json};
    for (int i = 0; i < 4; i++)
        if (rest[i] && *rest[i])
            sqlite3_bind_text(st, 13 + i, rest[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 17, r->now_ms);
    if (r->files_json && *r->files_json)
        sqlite3_bind_text(st, 18, r->files_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 19, strcmp(r->state, "partial") ? STORE_PARTIAL_NONE :
                     r->partial_kind == STORE_PARTIAL_NOT_QUIET ? STORE_PARTIAL_NOT_QUIET :
                     STORE_PARTIAL_OTHER);
    sqlite3_bind_int(st, 20, r->cause);
    if ((rc = store_step_done(s, st, "save snapshot")))
        goto out;
    /* a blocked capture (bot wall, 429) ends its job failed with the wall's name; its
     * picture is kept, but the wall's title is not the link's */
    int failed = !strcmp(r->state, "failed") || !strcmp(r->state, "blocked");
    if ((rc = set_job_state(s, r->job_id, failed ? "failed" : "done", 0, failed ? error : NULL,
                            r->now_ms)))
        goto out;
    if (!failed && title && *title) {
        if (!(st = store_stmt(s, ST_LINK_FILL_TITLE))) {
            rc = STORE_EINTERNAL;
            goto out;
        }
        sqlite3_bind_int64(st, 1, link);
        sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
        if ((rc = store_step_done(s, st, "fill link title")))
            goto out;
    }
    /* the page's words, in this same transaction: the index is never out of step */
    rc = r->text ? store_text_put(s, snap, r->text) : STORE_OK;
out:
    for (int i = 0; i < 3; i++)
        free(fixed[i]);
    return rc;
}

int store_job_retry(store_t *s, int64_t job_id, int64_t not_before, const char *error,
                    int64_t now_ms)
{
    char state[16];
    int64_t snap, link;
    int attempt, rc;
    if ((rc = job_state(s, job_id, state, &snap, &link, &attempt)))
        return rc;
    if (strcmp(state, "running") != 0)
        return store_fail(s, STORE_ECONFLICT, "job %lld is %s, not running", (long long)job_id, state);
    if ((rc = set_job_state(s, job_id, "queued", not_before, error, now_ms)))
        return rc;
    return set_snapshot_state(s, snap, "queued", attempt, error, 0);
}

int store_job_release(store_t *s, int64_t job_id, int64_t not_before, const char *error,
                      int64_t now_ms)
{
    int rc = store_job_retry(s, job_id, not_before, error, now_ms);
    if (rc)
        return rc;
    rc = store_exec_i2(s, "UPDATE jobs SET attempt = attempt - 1 WHERE id = ?1 AND attempt > 0",
                       job_id, 0, NULL, "give a job its attempt back");
    if (rc)
        return rc;
    return store_exec_i2(s, "UPDATE snapshots SET attempt = (SELECT attempt FROM jobs "
                         "WHERE id = ?1) WHERE id = (SELECT snapshot_id FROM jobs WHERE id = ?1)",
                         job_id, 0, NULL, "give a snapshot its attempt back");
}

int store_job_requeue_running(store_t *s, int64_t now_ms, int64_t *n)
{
    *n = 0;
    int rc = store_exec(s, "UPDATE snapshots SET state = 'queued' WHERE id IN "
                           "(SELECT snapshot_id FROM jobs WHERE state = 'running')");
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "UPDATE jobs SET state = 'queued', not_before = 0, "
                            "error = 'interrupted: linksnapd stopped during the capture', "
                            "updated_at = ?1 WHERE state = 'running'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "requeue jobs");
    sqlite3_bind_int64(st, 1, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "requeue jobs");
    *n = sqlite3_changes(s->db);
    return STORE_OK;
}

int store_job_set_formats(store_t *s, int64_t job_id, int formats)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "UPDATE jobs SET formats = ?2 WHERE id = ?1 AND "
                                "state IN ('queued', 'running')", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "set a job's formats");
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_int(st, 2, formats);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "set a job's formats");
    return STORE_OK;
}

int store_job_cancel(store_t *s, int64_t id, int64_t now_ms, int *was_running)
{
    char state[16];
    int64_t snap, link;
    int attempt, rc;
    *was_running = 0;
    if ((rc = job_state(s, id, state, &snap, &link, &attempt)))
        return rc;
    if (strcmp(state, "queued") && strcmp(state, "running"))
        return store_fail(s, STORE_ECONFLICT, "job %lld already ended (%s); nothing to cancel",
                          (long long)id, state);
    *was_running = !strcmp(state, "running");
    if ((rc = set_job_state(s, id, "canceled", 0, "canceled by the user", now_ms)))
        return rc;
    return set_snapshot_state(s, snap, "failed", attempt, "canceled by the user", now_ms);
}

int store_job_due(store_t *s, int64_t now_ms, int *due)
{
    int64_t id = 0;
    int rc = pick(s, now_ms, &id);
    *due = id != 0;
    return rc;
}

void store_job_set_host_limit(store_t *s, int per_host) { s->per_host_jobs = per_host; }

int store_job_delay_host(store_t *s, int64_t job_id, int64_t until_ms, int64_t *n)
{
    *n = 0;
    return store_exec_i2(s, "UPDATE jobs SET not_before = ?2 WHERE state = 'queued' AND not_before < ?2 "
                     "AND host = (SELECT host FROM jobs WHERE id = ?1)", job_id, until_ms, n,
                     "delay a host's jobs");
}

/* linksnap_url_host(url): the exact host of a stored (normalised) address, as the claim
 * counts hosts: lower-case, no port, no brackets; NULL when there is none. */
static void url_host_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *url = (const char *)sqlite3_value_text(argv[0]);
    CURLU *u = url ? curl_url() : NULL;
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        size_t n = strlen(host);
        const char *h = host;
        if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
            h++;
            n -= 2;
        }
        sqlite3_result_text(ctx, h, (int)n, SQLITE_TRANSIENT);
    } else {
        sqlite3_result_null(ctx);
    }
    curl_free(host);
    curl_url_cleanup(u);
}

int store_jobs_register(store_t *s)
{
    int rc = sqlite3_create_function(s->db, "linksnap_url_host", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     url_host_fn, NULL, NULL);
    return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, "register linksnap_url_host");
}
