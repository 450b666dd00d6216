/* test_fleet_assign.c -- where a claim's jobs go on the fleet (daemon/jobs.c jobs_assign),
 * on a real SQLite file, as the writer thread runs it: the most free places for an
 * endpoint's size first; a site rule's `endpoints` pin; a rule with cookies or headers
 * never placed on a plain ws:// endpoint off loopback; a job whose endpoints are all busy
 * put back queued with its attempt given back (not failed); a job no endpoint could ever
 * take refused with the reason; a rule that does not read refused. Each case's op lives
 * on the stack and is emptied with jobs_op_clear between claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "sites.h"
#include "store.h"
#include "test.h"
#include "util.h"

typedef struct {
    char dir[64];
    char path[128];
    store_t *s;
} db_t;

static int db_open(db_t *db)
{
    snprintf(db->dir, sizeof db->dir, "/tmp/ls-assign-XXXXXX");
    if (!mkdtemp(db->dir))
        return -1;
    snprintf(db->path, sizeof db->path, "%s/t.db", db->dir);
    char err[256];
    return store_open(db->path, STORE_OPEN_MIGRATE, &db->s, err, sizeof err) == STORE_OK ? 0 : -1;
}

static void db_close(db_t *db)
{
    store_close(db->s);
    char p[200];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < LS_TEST_LEN(sfx); i++) {
        snprintf(p, sizeof p, "%s%s", db->path, sfx[i]);
        unlink(p);
    }
    rmdir(db->dir);
}

static int64_t add_link(db_t *db, const char *url)
{
    store_link_add_t in = {.url = url, .now_ms = 1000};
    int64_t id = 0;
    int created = 0;
    if (store_link_add(db->s, &in, &id, &created) != STORE_OK ||
        store_job_enqueue(db->s, id, 1000) != STORE_OK)
        return 0;
    return id;
}

static void cap(op_t *op, const char *name, int free, int slots, int secrets_ok)
{
    int k = op->ncaps++;
    snprintf(op->caps[k].name, sizeof op->caps[k].name, "%s", name);
    op->caps[k].free = free;
    op->caps[k].slots = slots;
    op->caps[k].secrets_ok = secrets_ok;
}

/* Claims up to max jobs due at now with their rules, as jobs_op_fn does, then places them. */
static int claim(db_t *db, op_t *op, int max, int64_t now)
{
    if (store_job_claim(db->s, now, max, &op->jobs, &op->njobs) != STORE_OK)
        return -1;
    op->rules = calloc(op->njobs + 1, sizeof *op->rules);
    for (size_t i = 0; op->rules && i < op->njobs; i++)
        store_site_match(db->s, op->jobs[i]->url, &op->rules[i]);
    return op->rules ? jobs_assign(db->s, op) : -1;
}

/* The link's job: its state and attempt, and its snapshot's attempt (the two move
 * together). */
static int job_state_of(db_t *db, int64_t link, char state[16], int *attempt, int *snap_attempt)
{
    store_job_t **v = NULL;
    size_t n = 0;
    int64_t snap_id = 0;
    int rc = store_job_list(db->s, NULL, 100, 0, &v, &n);
    for (size_t i = 0; rc == STORE_OK && i < n; i++)
        if (v[i]->link_id == link) {
            snprintf(state, 16, "%s", v[i]->state);
            *attempt = v[i]->attempt;
            snap_id = v[i]->snapshot_id;
        }
    store_job_list_free(v, n);
    store_snapshot_t *snap = NULL;
    if (rc == STORE_OK && (rc = store_snapshot_get(db->s, snap_id, &snap)) == STORE_OK)
        *snap_attempt = snap->attempt;
    store_snapshot_free(snap);
    return rc;
}

TEST(weighted_by_free_places_for_size)
{
    db_t db;
    ASSERT_EQ(db_open(&db), 0);
    for (int i = 0; i < 8; i++) {
        char u[64];
        snprintf(u, sizeof u, "http://h%d.test/", i);
        ASSERT_GT(add_link(&db, u), 0);
    }
    op_t op = {0};
    cap(&op, "small", 2, 2, 1);
    cap(&op, "big", 6, 6, 1);
    ASSERT_EQ(claim(&db, &op, 8, 5000), STORE_OK);
    ASSERT_EQ((int)op.njobs, 8);
    int on[2] = {0, 0};
    for (size_t i = 0; i < op.njobs; i++) {
        ASSERT_NULL(op.refuse[i]);
        on[op.assign[i]]++;
    }
    ASSERT_EQ(on[0], 2);   /* every place used: 2 on the 2-slot, 6 on the 6-slot */
    ASSERT_EQ(on[1], 6);
    ASSERT_EQ(op.caps[0].free + op.caps[1].free, 0);
    jobs_op_clear(&op);
    db_close(&db);
    return 0;
}

TEST(pinned_busy_waits_queued_with_its_attempt)
{
    db_t db;
    ASSERT_EQ(db_open(&db), 0);
    int created;
    ASSERT_EQ(store_site_set(db.s, "pinned.test", "{\"endpoints\":[\"b\"]}", 1000, NULL, &created), STORE_OK);
    int64_t pinned = add_link(&db, "http://pinned.test/a");
    int64_t other = add_link(&db, "http://free.test/a");
    op_t op = {0};
    cap(&op, "a", 2, 2, 1);
    cap(&op, "b", 0, 2, 1);   /* busy (or down) */
    ASSERT_EQ(claim(&db, &op, 2, 5000), STORE_OK);
    ASSERT_EQ((int)op.njobs, 1);   /* the free one; the pinned one went back */
    ASSERT_EQ(op.jobs[0]->link_id, other);
    ASSERT_EQ(op.assign[0], 0);
    ASSERT_EQ((int)op.deferred, 1);
    char state[16] = "";
    int attempt = -1, snap_attempt = -1;
    ASSERT_EQ(job_state_of(&db, pinned, state, &attempt, &snap_attempt), STORE_OK);
    ASSERT_STR_EQ(state, "queued");
    ASSERT_EQ(attempt, 0);   /* the claim's attempt was given back */
    ASSERT_EQ(snap_attempt, 0);   /* its snapshot's too */
    jobs_op_clear(&op);
    /* the op on the stack is as new again: no endpoints, no jobs (ASan sees the frees) */
    ASSERT_EQ(op.ncaps, 0);
    ASSERT_EQ((int)op.njobs, 0);
    ASSERT_NULL(op.jobs);
    ASSERT_NULL(op.assign);
    /* b frees: it takes it once its 2 s wait is over */
    cap(&op, "a", 2, 2, 1);
    cap(&op, "b", 2, 2, 1);
    ASSERT_EQ(claim(&db, &op, 2, util_now_ms() + 3000), STORE_OK);
    ASSERT_EQ((int)op.njobs, 1);
    ASSERT_EQ(op.jobs[0]->link_id, pinned);
    ASSERT_STR_EQ(op.caps[op.assign[0]].name, "b");
    ASSERT_EQ(op.jobs[0]->attempt, 1);
    jobs_op_clear(&op);
    db_close(&db);
    return 0;
}

TEST(secrets_never_to_a_plain_remote_endpoint)
{
    db_t db;
    ASSERT_EQ(db_open(&db), 0);
    int created;
    ASSERT_EQ(store_site_set(db.s, "members.test",
                             "{\"cookies\":[{\"name\":\"sid\",\"value\":\"x\"}]}", 1000, NULL, &created),
              STORE_OK);
    ASSERT_EQ(store_site_set(db.s, "hdr.test", "{\"headers\":{\"X-Key\":\"y\"}}", 1000, NULL, &created),
              STORE_OK);
    add_link(&db, "http://members.test/");
    add_link(&db, "http://hdr.test/");
    op_t op = {0};
    cap(&op, "plain", 4, 4, 0);   /* ws:// off loopback */
    cap(&op, "tls", 1, 4, 1);
    ASSERT_EQ(claim(&db, &op, 2, 5000), STORE_OK);
    /* the first goes to tls; the second has nowhere free that may take it: it waits */
    ASSERT_EQ((int)op.njobs, 1);
    ASSERT_STR_EQ(op.caps[op.assign[0]].name, "tls");
    ASSERT_NULL(op.refuse[0]);
    ASSERT_EQ((int)op.deferred, 1);
    jobs_op_clear(&op);
    /* a fleet of plain remote endpoints only: refused with the reason, never sent */
    cap(&op, "plain", 4, 4, 0);
    ASSERT_EQ(claim(&db, &op, 2, util_now_ms() + 3000), STORE_OK);
    ASSERT_EQ((int)op.njobs, 1);
    ASSERT_NOT_NULL(op.refuse[0]);
    ASSERT(strstr(op.refuse[0], "cookies or headers") != NULL);
    jobs_op_clear(&op);
    db_close(&db);
    return 0;
}

TEST(pin_to_an_unknown_endpoint_or_an_unreadable_rule_is_refused)
{
    db_t db;
    ASSERT_EQ(db_open(&db), 0);
    int created;
    ASSERT_EQ(store_site_set(db.s, "gone.test", "{\"endpoints\":[\"removed\"]}", 1000, NULL, &created),
              STORE_OK);
    ASSERT_EQ(store_site_set(db.s, "bad.test", "not json", 1000, NULL, &created), STORE_OK);
    add_link(&db, "http://gone.test/");
    add_link(&db, "http://bad.test/");
    op_t op = {0};
    cap(&op, "a", 4, 4, 1);
    ASSERT_EQ(claim(&db, &op, 2, 5000), STORE_OK);
    ASSERT_EQ((int)op.njobs, 2);
    int pins = 0, unreadable = 0;
    for (size_t i = 0; i < op.njobs; i++) {
        ASSERT_NOT_NULL(op.refuse[i]);
        pins += strstr(op.refuse[i], "does not have (removed)") != NULL;
        unreadable += strstr(op.refuse[i], "cannot be read") != NULL;
    }
    ASSERT_EQ(pins, 1);
    ASSERT_EQ(unreadable, 1);
    jobs_op_clear(&op);
    db_close(&db);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(weighted_by_free_places_for_size),
    TEST_ENTRY(pinned_busy_waits_queued_with_its_attempt),
    TEST_ENTRY(secrets_never_to_a_plain_remote_endpoint),
    TEST_ENTRY(pin_to_an_unknown_endpoint_or_an_unreadable_rule_is_refused),
    TEST_END,
};

TEST_MAIN()
