/* test_oom.c -- out of memory, tested the way SQLite tests it: a small workload runs once
 * with every allocation allowed (it must succeed and give the right data), then again and
 * again with allocation number N failed, for N = 1, 2, 3, ... until a run completes without
 * reaching its Nth allocation. Every failed run must end in a clean error return that says
 * out of memory (never a crash, never success with data missing; a run that absorbed the
 * failure, as SQLite does with some, must give exactly the right data), and must give back
 * every block it took: the hook's live count is checked after each run (after a first run
 * that makes what lives for the process), and ASan's leak check at exit catches the rest.
 * A workload that never failed would prove nothing, so each test also asserts that the
 * injection did make some run fail.
 *
 * Workloads (one ctest entry each, `oom_NAME`, labels unit and oom):
 *   store     two sweeps. Open and migrate: a fresh database file opened with migrate and
 *             closed; the file must then hold exactly what a template migrated once with
 *             no failure holds (schema, rows, integrity_check). After the migration: a copy
 *             of that template opened with migrate (nothing to migrate, as the daemon
 *             reopens its file), links added with tags, a filtered list, a tag renamed, a
 *             job enqueued, claimed and finished, the link watched with keep_last 1 and
 *             captured twice more (failed), retention pruning the middle capture, the file
 *             closed
 *   import    a small Netscape HTML, a JSON and a CSV input through import_parser_*
 *   protocol  the rpc framer, parse and classify, results built and written with rpc_write
 *   raster    a small tags chart through charts_render to PNG (FreeType and fontconfig
 *             allocate outside the hook: only our own allocations fail), with the font
 *             cache kept between runs, then built anew in each run
 *   wire      daemon/json_link.c's builders (compiled into this binary, as fuzz/ does)
 *
 * Each N runs once failing only allocation N (SQLite's "transient" mode) and once failing
 * N and every allocation after it ("persistent"). The allocator hook is tests/lib/failmalloc.c:
 * SQLite, jansson and our own code are failed; the other shared libraries are not. Three
 * sweeps are sampled to keep the label under a minute under ASan: the store's two (the
 * migration some 34,700 allocations, most of them SQLite creating the schema; the rest
 * some 8,900) and the chart built from an empty font cache; the constants below say how,
 * and OOM_STRIDE=1 runs every N.
 *
 * To look at one run: OOM_FROM=N starts the sweep at N (each of the store's two), and
 * FAILMALLOC_TRACE=1 prints the stack of each refused allocation (ASan builds), e.g.
 *   OOM_FROM=7618 FAILMALLOC_TRACE=1 build/tests/oom/test_oom store */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <unistd.h>

#include "buf.h"
#include "charts.h"
#include "failmalloc.h"
#include "import.h"
#include "json_link.h"
#include "log.h"
#include "jsonrpc.h"
#include "store.h"
#include "store_schema.h"
#include "test.h"
#include "util.h"

/* What one run of a workload ended in. */
enum {
    WL_OK = 0,      /* completed, every result checked */
    WL_ENOMEM = 1,  /* a clean out-of-memory error return */
    WL_BAD = -1,    /* a crash-free but wrong outcome (printed): the test fails */
};

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  %s:%d: %s: ", __FILE__, __LINE__, #cond);                 \
            fprintf(stderr, __VA_ARGS__);                                                \
            fprintf(stderr, "\n");                                                       \
            out = WL_BAD;                                                                \
            goto done;                                                                   \
        }                                                                                \
    } while (0)

/* ---- store -------------------------------------------------------------------------------- */

static char dir_path[256], db_path[300], tmpl_path[300];

static void fresh_file(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[320];
    for (size_t i = 0; i < LS_TEST_LEN(suffix); i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static void fresh_db(void) { fresh_file(db_path); }

/* Copies the migrated template (closed, so all of it is in the main file) to db_path with
 * read and write alone: no allocation, nothing for the hook to count. 0 or -1. */
static int copy_template(void)
{
    char chunk[16384];
    int in = open(tmpl_path, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in < 0)
        goto done;
    out = open(db_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        goto done;
    for (;;) {
        ssize_t got = read(in, chunk, sizeof chunk);
        if (got < 0)
            goto done;
        if (got == 0)
            break;
        for (ssize_t off = 0; off < got;) {
            ssize_t put = write(out, chunk + off, (size_t)(got - off));
            if (put < 0)
                goto done;
            off += put;
        }
    }
    rc = 0;
done:
    if (out >= 0 && close(out) != 0)
        rc = -1;
    if (in >= 0)
        close(in);
    return rc;
}

/* What a database file holds, as one FNV-1a hash: its user_version, every row of
 * sqlite_schema (the SQL of each table, index, trigger and view) and every row of every
 * table (FTS5's shadow tables too), each value as text; and PRAGMA integrity_check must say
 * ok. Run with the hook disarmed: *h is set and 0 returned, or -1 (printed). */

static int db_fingerprint(const char *path, uint64_t *h)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *tables = NULL, *rows = NULL;
    int rc = -1;
    *h = 0xcbf29ce484222325ull;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &rows, NULL) != SQLITE_OK ||
        sqlite3_step(rows) != SQLITE_ROW || !sqlite3_column_text(rows, 0) ||
        strcmp((const char *)sqlite3_column_text(rows, 0), "ok") != 0)
        goto fail;
    sqlite3_finalize(rows);
    rows = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema ORDER BY type, name", -1,
                           &tables, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &rows, NULL) != SQLITE_OK ||
        sqlite3_step(rows) != SQLITE_ROW)
        goto fail;
    *h = (*h ^ (uint64_t)sqlite3_column_int64(rows, 0)) * 0x100000001b3ull;
    sqlite3_finalize(rows);
    rows = NULL;
    int step;
    while ((step = sqlite3_step(tables)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);
        const char *sql = (const char *)sqlite3_column_text(tables, 1);
        *h ^= util_fnv1a64(name, strlen(name));
        *h = *h * 0x100000001b3ull ^ (sql ? util_fnv1a64(sql, strlen(sql)) : 1);
        if (!sql || strncmp(sql, "CREATE TABLE", 12) != 0)
            continue;   /* indexes, triggers, views; virtual tables are read through shadows */
        char q[512];
        snprintf(q, sizeof q, "SELECT * FROM \"%s\"", name);
        if (sqlite3_prepare_v2(db, q, -1, &rows, NULL) != SQLITE_OK)
            goto fail;
        while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                const unsigned char *t = sqlite3_column_text(rows, c);
                *h = *h * 0x100000001b3ull ^
                     (t ? util_fnv1a64((const char *)t, strlen((const char *)t)) : 2);
            }
        }
        if (step != SQLITE_DONE)
            goto fail;
        sqlite3_finalize(rows);
        rows = NULL;
    }
    if (step != SQLITE_DONE)
        goto fail;
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "  store: cannot read %s: %s\n", path, db ? sqlite3_errmsg(db) : "open");
    sqlite3_finalize(rows);
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return rc;
}

/* An error return of the store for a failed allocation: STORE_ENOMEM with a message (at
 * times SQLite's own, "unable to open a temporary database file" when the temp database
 * could not be made), or STORE_EINTERNAL with a message that says out of memory (the code
 * of a statement that could not be prepared; the daemon answers both with
 * RPC_INTERNAL_ERROR and the message). Anything else (not found, invalid, corrupt, I/O)
 * would tell the user something untrue. */
static int store_refused(int rc, const char *msg, const char *what)
{
    if (rc == STORE_ENOMEM && msg && msg[0])
        return WL_ENOMEM;
    if (rc == STORE_EINTERNAL && msg && strstr(msg, "out of memory"))
        return WL_ENOMEM;
    fprintf(stderr, "  store: %s returned %d (%s) for a failed allocation\n", what, rc,
            msg ? msg : "(no message)");
    return WL_BAD;
}

#define STORE_STEP(call)                                                                 \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != STORE_OK) {                                                           \
            out = store_refused(rc_, store_errmsg(s), #call);                            \
            goto done;                                                                   \
        }                                                                                \
    } while (0)

static int64_t tag_count(const store_tag_t *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return v[i].count;
    return -1;
}

/* The template's fingerprint (db_fingerprint), made once with no failure. */
static uint64_t tmpl_hash;

/* Makes the migrated template (a fresh file opened with migrate, closed) and its
 * fingerprint; before the sweeps, the hook counting only. 0 or -1. */
static int make_template(void)
{
    store_t *s = NULL;
    char err[512] = "";
    fresh_file(tmpl_path);
    if (store_open(tmpl_path, STORE_OPEN_MIGRATE, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "  store: the template: %s\n", err);
        return -1;
    }
    store_close(s);
    return db_fingerprint(tmpl_path, &tmpl_hash);
}

/* (a) A fresh file opened with migrate and closed, the allocations failed; then, with the
 * hook disarmed (the sweep's runs end where a run no longer reaches N), the file must hold
 * exactly what the template holds: a failure the open absorbed must leave no table, index,
 * trigger or row missing or different. */
static int wl_store_migrate(void)
{
    store_t *s = NULL;
    char err[512] = "";
    fresh_db();
    int orc = store_open(db_path, STORE_OPEN_MIGRATE, &s, err, sizeof err);
    if (orc != STORE_OK) {
        if (s != NULL) {
            fprintf(stderr, "  store: a failed open hands out a store\n");
            return WL_BAD;
        }
        return store_refused(orc, err, "store_open");
    }
    int v = store_schema_version(s);
    store_close(s);
    failmalloc_disarm();
    uint64_t h;
    if (v != store_schema_count() || db_fingerprint(db_path, &h) != 0 || h != tmpl_hash) {
        fprintf(stderr, "  store: the migrated file (version %d) is not the template\n", v);
        return WL_BAD;
    }
    return WL_OK;
}

/* (b) Everything after the migration, on a copy of the template: opened with migrate (as
 * the daemon reopens its file: nothing to migrate), then links, tags, jobs, watch and
 * retention. */
static int wl_store(void)
{
    int out = WL_OK, in_tx = 0;
    store_t *s = NULL;
    store_link_t **v = NULL, *l = NULL;
    size_t n = 0, ntags = 0, njobs = 0;
    store_tag_t *tags = NULL;
    store_job_t **jobs = NULL, *job = NULL;
    store_watch_t *watch = NULL;
    store_snapshot_t **pruned = NULL;
    size_t npruned = 0;
    char err[512] = "";
    const int64_t now = 1700000000000;

    fresh_db();
    if (copy_template() != 0) {
        perror("  store: copying the template");
        return WL_BAD;
    }
    int orc = store_open(db_path, STORE_OPEN_MIGRATE, &s, err, sizeof err);
    if (orc != STORE_OK) {
        CHECK(s == NULL, "a failed open hands out a store");
        return store_refused(orc, err, "store_open");
    }

    const char *t1[] = {"Rust", "数据库"}, *t2[] = {"rust", "later"};
    store_link_add_t a1 = {.url = "https://Example.com/a?utm_source=x", .tags = t1, .ntags = 2,
                           .title = "A", .now_ms = now};
    store_link_add_t a2 = {.url = "https://example.org/b", .tags = t2, .ntags = 2, .now_ms = now};
    store_link_add_t a3 = {.url = "https://xn--r8jz45g.jp/c", .now_ms = now};
    int64_t id1 = 0, id2 = 0, id3 = 0;
    int created = 0;
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_link_add(s, &a1, &id1, &created));
    CHECK(created == 1, "link 1 not created");
    STORE_STEP(store_link_add(s, &a2, &id2, &created));
    STORE_STEP(store_link_add(s, &a3, &id3, &created));
    STORE_STEP(store_commit(s));
    in_tx = 0;

    const char *want[] = {"rust"};
    store_filter_t f = {.all = want, .nall = 1};
    int64_t next = -1;
    STORE_STEP(store_link_list(s, &f, 10, 0, &v, &n, &next));
    CHECK(n == 2, "%zu links tagged rust", n);
    CHECK(v[0]->id == id2 && v[1]->id == id1, "order %lld %lld", (long long)v[0]->id,
          (long long)v[1]->id);
    CHECK(!strcmp(v[1]->url, "https://example.com/a"), "url %s", v[1]->url);
    CHECK(v[1]->title && !strcmp(v[1]->title, "A"), "title lost");
    CHECK(v[0]->ntags == 2 && v[1]->ntags == 2, "tags %zu %zu", v[0]->ntags, v[1]->ntags);
    CHECK(next == 0, "next %lld", (long long)next);

    store_tag_t renamed;
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_tag_rename(s, "rust", "Rust-lang", &renamed));
    STORE_STEP(store_commit(s));
    in_tx = 0;
    CHECK(!strcmp(renamed.name, "Rust-lang") && renamed.count == 2, "renamed %s %lld",
          renamed.name, (long long)renamed.count);
    STORE_STEP(store_tag_list(s, &tags, &ntags));
    CHECK(ntags == 3, "%zu tags", ntags);
    CHECK(tag_count(tags, ntags, "Rust-lang") == 2 && tag_count(tags, ntags, "later") == 1 &&
              tag_count(tags, ntags, "数据库") == 1,
          "tag counts");

    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_job_enqueue(s, id3, now));
    STORE_STEP(store_commit(s));
    in_tx = 0;
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_job_claim(s, now + 1, 4, &jobs, &njobs));
    STORE_STEP(store_commit(s));
    in_tx = 0;
    CHECK(njobs == 1, "%zu jobs claimed", njobs);
    CHECK(jobs[0]->link_id == id3 && !strcmp(jobs[0]->state, "running") && jobs[0]->attempt == 1,
          "job %lld %s", (long long)jobs[0]->link_id, jobs[0]->state);
    CHECK(!strcmp(jobs[0]->url, "https://xn--r8jz45g.jp/c"), "job url %s", jobs[0]->url);
    int64_t job_id = jobs[0]->id;
    store_job_result_t r = {.job_id = job_id, .state = "ok", .http_status = 200,
                            .final_url = "https://xn--r8jz45g.jp/c", .title = "Example C",
                            .path = "c.png", .timings_json = "{\"load\":12}",
                            .width = 1280, .height = 800, .bytes = 4321, .now_ms = now + 2};
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_job_finish(s, &r));
    STORE_STEP(store_commit(s));
    in_tx = 0;

    STORE_STEP(store_job_get(s, job_id, &job));
    CHECK(!strcmp(job->state, "done"), "job state %s", job->state);
    STORE_STEP(store_link_get(s, id3, &l));
    CHECK(l->title && !strcmp(l->title, "Example C"), "title not filled from the page");
    CHECK(l->last_snapshot && !strcmp(l->last_snapshot->state, "ok") &&
              l->last_snapshot->width == 1280 && l->last_snapshot->timings &&
              strstr(l->last_snapshot->timings, "\"load\""),
          "snapshot not as finished");

    /* retention: watched with keep_last 1, two more captures (failed): the middle one goes
     * (the first is the newest good, the last the newest) */
    store_watch_in_t wi = {.link_id = id3, .every_s = 3600, .jitter_s = 0, .threshold = -1,
                           .keep_last = 1, .now_ms = now + 3};
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_watch_set(s, &wi, &watch, &created));
    STORE_STEP(store_commit(s));
    in_tx = 0;
    int64_t middle = 0;
    for (int k = 0; k < 2; k++) {
        store_job_list_free(jobs, njobs);
        jobs = NULL;
        njobs = 0;
        STORE_STEP(store_begin(s));
        in_tx = 1;
        STORE_STEP(store_job_enqueue(s, id3, now + 4 + k));
        STORE_STEP(store_job_claim(s, now + 5 + k, 4, &jobs, &njobs));
        CHECK(njobs == 1, "%zu jobs claimed", njobs);
        if (!k)
            middle = jobs[0]->snapshot_id;
        store_job_result_t fr = {.job_id = jobs[0]->id, .state = "failed", .error = "x",
                                 .now_ms = now + 6 + k};
        STORE_STEP(store_job_finish(s, &fr));
        STORE_STEP(store_commit(s));
        in_tx = 0;
    }
    store_retain_opts_t ro = {.keep_last = 50, .keep_mb = 200, .now_ms = now + 10};
    STORE_STEP(store_begin(s));
    in_tx = 1;
    STORE_STEP(store_retain_link(s, id3, &ro, &pruned, &npruned));
    STORE_STEP(store_commit(s));
    in_tx = 0;
    CHECK(npruned == 1 && pruned[0]->id == middle, "%zu pruned", npruned);

done:
    if (in_tx && store_rollback(s) != STORE_OK && out == WL_OK)
        out = WL_BAD;
    store_watch_free(watch);
    store_snapshot_list_free(pruned, npruned);
    store_link_free(l);
    store_job_free(job);
    store_job_list_free(jobs, njobs);
    free(tags);
    store_link_list_free(v, n);
    store_close(s);
    return out;
}

/* ---- import ------------------------------------------------------------------------------- */

static const char html_in[] =
    "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n"
    "<DL><p>\n"
    "<DT><H3 ADD_DATE=\"1700000000\">Work &amp; play</H3>\n<DL><p>\n"
    "<DT><A HREF=\"https://example.com/one\" ADD_DATE=\"1700000001\" TAGS=\"x,y\">One</A>\n"
    "<DD>the first\n"
    "<DT><A HREF=\"https://example.com/two\">Two &#39;2&#39;</A>\n"
    "</DL><p>\n"
    "<DT><A HREF=\"https://example.com/three\">Three</A>\n"
    "</DL><p>\n";
static const char json_in[] =
    "[{\"href\":\"https://example.com/j1\",\"description\":\"J one\",\"tags\":\"a b\","
    "\"time\":\"2020-01-01T00:00:00Z\"},\n"
    " {\"href\":\"https://example.com/j2\",\"description\":\"J two\",\"extended\":\"long\","
    "\"tags\":\"\"}]\n";
static const char csv_in[] = "url,title,tags,created\r\n"
                             "https://example.com/c1,\"Title, one\",\"x,y\",1600000000\r\n"
                             "https://example.com/c2,Two,,\r\n";

typedef struct {
    size_t entries, errors, tags;
    char urls[4][64];
    char titles[4][64];
} collect_t;

static int collect_cb(const import_entry_t *e, void *ud)
{
    collect_t *c = ud;
    if (c->entries < 4) {
        snprintf(c->urls[c->entries], sizeof c->urls[0], "%s", e->url);
        snprintf(c->titles[c->entries], sizeof c->titles[0], "%s", e->title ? e->title : "");
    }
    c->entries++;
    c->tags += e->ntags;
    return 0;
}

static void errors_cb(uint64_t line, const char *reason, void *ud)
{
    collect_t *c = ud;
    (void)line;
    (void)reason;
    c->errors++;
}

/* Parses one input fed in 16-byte pieces; WL_OK with *c filled, or WL_ENOMEM. */
static int parse_one(const char *in, size_t len, collect_t *c)
{
    int out = WL_OK;
    memset(c, 0, sizeof *c);
    import_parser_t *p = import_parser_new(IMPORT_FMT_AUTO, collect_cb, errors_cb, c);
    if (!p)
        return WL_ENOMEM;
    int rc = IMPORT_OK;
    for (size_t off = 0; off < len && rc == IMPORT_OK; off += 16)
        rc = import_parser_feed(p, in + off, len - off < 16 ? len - off : 16);
    if (rc == IMPORT_OK)
        rc = import_parser_finish(p);
    if (rc != IMPORT_OK) {
        CHECK(rc == IMPORT_ENOMEM, "parser returned %d (%s)", rc, import_parser_errmsg(p));
        CHECK(import_parser_errmsg(p)[0], "no message with IMPORT_ENOMEM");
        out = WL_ENOMEM;
    }
done:
    import_parser_free(p);
    return out;
}

static int wl_import(void)
{
    int out = WL_OK;
    collect_t c;
    if ((out = parse_one(html_in, sizeof html_in - 1, &c)) != WL_OK)
        return out;
    CHECK(c.entries == 3 && c.errors == 0, "html: %zu entries, %zu errors", c.entries, c.errors);
    CHECK(!strcmp(c.urls[0], "https://example.com/one") && !strcmp(c.urls[2], "https://example.com/three"),
          "html urls %s %s", c.urls[0], c.urls[2]);
    CHECK(!strcmp(c.titles[1], "Two '2'"), "html title %s", c.titles[1]);
    CHECK(c.tags == 4, "html: %zu tags", c.tags);   /* folder + x, y; folder */
    if ((out = parse_one(json_in, sizeof json_in - 1, &c)) != WL_OK)
        return out;
    CHECK(c.entries == 2 && c.errors == 0, "json: %zu entries, %zu errors", c.entries, c.errors);
    CHECK(!strcmp(c.urls[1], "https://example.com/j2") && !strcmp(c.titles[0], "J one"),
          "json %s %s", c.urls[1], c.titles[0]);
    CHECK(c.tags == 2, "json: %zu tags", c.tags);
    if ((out = parse_one(csv_in, sizeof csv_in - 1, &c)) != WL_OK)
        return out;
    CHECK(c.entries == 2 && c.errors == 0, "csv: %zu entries, %zu errors", c.entries, c.errors);
    CHECK(!strcmp(c.urls[0], "https://example.com/c1") && !strcmp(c.titles[0], "Title, one"),
          "csv %s %s", c.urls[0], c.titles[0]);
    CHECK(c.tags == 2, "csv: %zu tags", c.tags);
done:
    return out;
}

/* ---- protocol ----------------------------------------------------------------------------- */

static const char rpc_in[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"link.add\",\"params\":{\"url\":\"https://a.example/\",\"tags\":[\"x\",\"y\"]}}\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"}\r\n"
    "[{\"jsonrpc\":\"2.0\",\"id\":\"b1\",\"method\":\"tag.list\"},{\"jsonrpc\":\"2.0\",\"id\":2}]\n";
static const char rpc_want[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"method\":\"link.add\",\"params\":{\"url\":\"https://a.example/\",\"tags\":[\"x\",\"y\"]}}}\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"seen\",\"params\":{\"method\":\"daemon.ping\"}}\n"
    "[{\"jsonrpc\":\"2.0\",\"id\":\"b1\",\"result\":{\"method\":\"tag.list\",\"params\":null}},"
    "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32600,\"message\":\"invalid request: \\\"method\\\" must be a string\"}}]\n";

/* The answer to one element: a result echoing method and params, or the error. */
static json_t *answer(json_t *msg)
{
    rpc_msg_t m;
    rpc_classify(msg, &m);
    if (m.kind == RPC_MSG_INVALID)
        return rpc_error(m.id, m.err_code, m.err_msg, NULL);
    if (m.kind == RPC_MSG_NOTIFICATION) {
        json_t *p = json_pack("{s:s}", "method", m.method);
        return p ? rpc_notification("seen", p) : NULL;
    }
    json_t *res = json_pack("{s:s,s:O?}", "method", m.method, "params", m.params);
    return res ? rpc_result(m.id, res) : NULL;
}

static int wl_protocol(void)
{
    int out = WL_OK;
    rpc_framer_t f;
    buf_t wire;
    json_t *doc = NULL, *reply = NULL;
    rpc_framer_init(&f, 4096);
    buf_init(&wire, 1 << 16);
    size_t half = sizeof rpc_in / 2;
    if (rpc_framer_feed(&f, rpc_in, half) != 0 ||
        rpc_framer_feed(&f, rpc_in + half, sizeof rpc_in - 1 - half) != 0) {
        out = WL_ENOMEM;   /* the input is far below the cap: only memory can refuse it */
        goto done;
    }
    const char *line;
    size_t len, lines = 0;
    while (rpc_framer_next(&f, &line, &len)) {
        char err[256] = "";
        lines++;
        doc = rpc_parse_line(line, len, err, sizeof err);
        if (!doc) {
            CHECK(strstr(err, "out of memory"), "parse error that is not out of memory: %s", err);
            out = WL_ENOMEM;
            goto done;
        }
        if (json_is_array(doc)) {
            reply = json_array();
            for (size_t i = 0; reply && i < json_array_size(doc); i++) {
                json_t *a = answer(json_array_get(doc, i));
                if (!a || json_array_append_new(reply, a) != 0) {
                    json_decref(reply);
                    reply = NULL;
                }
            }
        } else {
            reply = answer(doc);
        }
        if (!reply || rpc_write(&wire, reply) != 0) {
            out = WL_ENOMEM;
            goto done;
        }
        json_decref(reply);
        json_decref(doc);
        reply = doc = NULL;
    }
    CHECK(lines == 3, "%zu lines", lines);
    CHECK(wire.data && !strcmp(wire.data, rpc_want), "wrote\n%s", wire.data ? wire.data : "");
done:
    json_decref(reply);
    json_decref(doc);
    buf_free(&wire);
    rpc_framer_free(&f);
    return out;
}

/* ---- raster ------------------------------------------------------------------------------- */

/* The PNG of the run with no failure, by length and FNV-1a hash (kept out of the heap so
 * that the live count after that run compares). */
static size_t png_ref_len;
static uint64_t png_ref_hash;


/* 1: every run starts with an empty font cache (fontconfig reloads its configuration, some
 * 25 ms a run under ASan); 0: the cache the first run filled serves the later ones. */
static int raster_cold;

static int wl_raster(void)
{
    int out = WL_OK;
    static const char *const names[] = {"rust", "数据库", "later"};
    static const int64_t counts[] = {12, 7, 3};
    charts_tags_data_t data = {.names = names, .counts = counts, .n = 3};
    charts_request_t req;
    charts_request_init(&req, CHARTS_TAGS);
    req.width = 240;
    req.height = 160;
    buf_t png;
    buf_init(&png, 1 << 22);
    char err[256] = "";
    int rc = charts_render(&req, &data, CHARTS_PNG, &png, err, sizeof err);
    if (rc != 0) {
        CHECK(rc == -ENOMEM && err[0], "charts_render returned %d (%s)", rc, err);
        out = WL_ENOMEM;
        goto done;
    }
    CHECK(png.len > 8 && !memcmp(png.data, "\x89PNG\r\n\x1a\n", 8), "not a PNG");
    if (!png_ref_len) {
        png_ref_len = png.len;
        png_ref_hash = util_fnv1a64(png.data, png.len);
    } else {
        CHECK(png.len == png_ref_len && util_fnv1a64(png.data, png.len) == png_ref_hash,
              "a different picture (%zu bytes, %zu without failures)", png.len, png_ref_len);
    }
done:
    buf_free(&png);
    if (raster_cold)
        charts_shutdown();   /* the font cache and this thread's scratch: the next run starts empty */
    return out;
}

/* ---- wire builders ------------------------------------------------------------------------- */

static const char wire_want[] =
    "{\"id\":7,\"url\":\"https://xn--r8jz45g.jp/c\",\"display_url\":\"https://例え.jp/c\","
    "\"title\":\"Example C\",\"description\":null,\"tags\":[\"Rust\",\"later\"],"
    "\"created_at\":\"2023-11-14T22:13:20.000Z\",\"updated_at\":null,"
    "\"last_snapshot\":{\"id\":9,\"link_id\":7,\"state\":\"ok\",\"http_status\":200,"
    "\"final_url\":\"https://xn--r8jz45g.jp/c\",\"display_final_url\":\"https://例え.jp/c\","
    "\"title\":\"C \xef\xbf\xbd\",\"width\":1280,\"height\":800,\"truncated\":false,"
    "\"blank\":false,\"path\":\"c.png\",\"thumb_path\":null,\"bytes\":4321,\"sha256\":null,"
    "\"error\":null,\"attempt\":1,\"created_at\":\"2023-11-14T22:13:20.000Z\","
    "\"finished_at\":\"2023-11-14T22:13:21.000Z\",\"timings\":{\"load\":12},"
    "\"redirects\":[{\"url\":\"http://xn--r8jz45g.jp/c\",\"status\":301}],"
    "\"network\":{\"requests\":3},\"fidelity\":{\"wall\":null},"
    "\"files\":{\"mhtml\":{\"path\":\"c.mhtml\",\"bytes\":99},"
    "\"png\":{\"path\":\"c.png\",\"bytes\":4321}},\"reasons\":[{\"code\":\"dns_failed\","
    "\"params\":{\"host\":\"a.example\"},\"text\":\"t\"}],\"change\":null},"
    "\"broken\":false,\"http_status\":200}\n"
    "{\"name\":\"Rust\",\"key\":\"rust\",\"count\":2}\n";

static int wl_wire(void)
{
    int out = WL_OK;
    json_t *link = NULL, *tag = NULL;
    buf_t text;
    buf_init(&text, 0);
    store_snapshot_t snap = {.id = 9, .link_id = 7, .state = "ok", .http_status = 200,
                             .final_url = "https://xn--r8jz45g.jp/c", .title = "C \xff",
                             .path = "c.png",
                             .timings = "{\"load\":12,\"network\":{\"requests\":3},"
                                        "\"fidelity\":{\"wall\":null},\"reasons\":[{\"code\":"
                                        "\"dns_failed\",\"params\":{\"host\":\"a.example\"},"
                                        "\"text\":\"t\"}]}",
                             .redirects = "[{\"url\":\"http://xn--r8jz45g.jp/c\",\"status\":301}]",
                             .files = "{\"mhtml\":{\"path\":\"c.mhtml\",\"bytes\":99}}",
                             .width = 1280, .height = 800, .bytes = 4321, .attempt = 1,
                             .created_at = 1700000000000, .finished_at = 1700000001000};
    char *tags[] = {"Rust", "later"};
    store_link_t l = {.id = 7, .url = "https://xn--r8jz45g.jp/c", .title = "Example C",
                      .created_at = 1700000000000, .tags = tags, .ntags = 2,
                      .last_snapshot = &snap};
    store_tag_t t = {.name = "Rust", .count = 2};
    /* written as the daemon writes them: rpc_write */
    if (!(link = wire_link(&l)) || !(tag = wire_tag(&t)) || rpc_write(&text, link) != 0 ||
        rpc_write(&text, tag) != 0) {
        out = WL_ENOMEM;
        goto done;
    }
    CHECK(!strcmp(text.data, wire_want), "built\n%s", text.data);
done:
    json_decref(link);
    json_decref(tag);
    buf_free(&text);
    return out;
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* The store is swept in two parts (a run takes some 5 to 15 ms under ASan, most of it
 * fixed: files, the connection, the schema):
 *   open and migrate   a fresh file (some 34,700 allocations, SQLite creating the schema's
 *                      17 migrations in one transaction): transient, every N up to 500, then
 *                      every 67th; persistent, every N up to 100, then every 229th (about
 *                      1,250 runs).
 *   after migration    a copy of the template reopened, then the links, tags, jobs, watch
 *                      and retention (some 8,900 allocations, 1,900 of them the reopen):
 *                      transient, every N up to 200, then every 17th; persistent, every N
 *                      up to 100, then every 43rd (about 1,000 runs). Before the split these
 *                      came after the migration's 34,700 and were sampled at its strides
 *                      (29 and 83).
 * The strides are odd and prime so that no allocation pattern of a fixed period is skipped.
 * OOM_STRIDE=K samples every K-th instead (OOM_STRIDE=1: every N, some minutes). */
#define MIGRATE_FULL 500
#define MIGRATE_STRIDE 67
#define MIGRATE_FULL_P 100
#define MIGRATE_STRIDE_P 229
#define OPS_FULL 200
#define OPS_STRIDE 17
#define OPS_FULL_P 100
#define OPS_STRIDE_P 43
/* A chart from an empty font cache reloads fontconfig (about 25 ms a run under ASan):
 * every N up to 60, then every 5th, transient only. */
#define RASTER_COLD_FULL 60
#define RASTER_COLD_STRIDE 5

/* How a workload is swept, in each mode: every N up to full_upto, then every stride-th
 * (persistent: full_upto 0 = that mode is not run). */
typedef struct {
    const char *name;
    int (*fn)(void);
    uint64_t full_upto, stride;       /* transient */
    uint64_t full_upto_p, stride_p;   /* persistent */
} sweep_t;

/* Runs fn once without failures, then with allocation N failed for every N (transient and
 * persistent) until a run no longer reaches its Nth allocation. Returns 0 or 1 (failed). */
static int oom_loop(const sweep_t *sw)
{
    const char *name = sw->name;
    int (*fn)(void) = sw->fn;
    failmalloc_arm(0, 0);
    int rc = fn();   /* a first run makes what lives for the process (pthread keys, caches) */
    ASSERT_MSG(rc == WL_OK, "%s: the workload fails with no allocation failed (%d)", name, rc);
    int64_t live0 = failmalloc_live_blocks();
    failmalloc_arm(0, 0);
    rc = fn();
    uint64_t total = failmalloc_count();
    ASSERT_MSG(rc == WL_OK, "%s: the workload fails with no allocation failed (%d)", name, rc);
    ASSERT_GT(total, 0);
    ASSERT_MSG(failmalloc_live_blocks() == live0, "%s: %lld blocks left after a clean run", name,
               (long long)(failmalloc_live_blocks() - live0));
    for (int persist = 0; persist <= (sw->full_upto_p > 0); persist++) {
        uint64_t full = persist ? sw->full_upto_p : sw->full_upto;
        uint64_t stride = persist ? sw->stride_p : sw->stride;
        /* OOM_STRIDE=K samples every K-th N past the full stretch instead (1: every N) */
        if (getenv("OOM_STRIDE") && strtoull(getenv("OOM_STRIDE"), NULL, 10) > 0)
            stride = strtoull(getenv("OOM_STRIDE"), NULL, 10);
        uint64_t runs = 0, refused = 0, survived = 0, n;
        /* OOM_FROM=N starts at N (to reproduce one run with FAILMALLOC_TRACE=1) */
        n = getenv("OOM_FROM") ? strtoull(getenv("OOM_FROM"), NULL, 10) : 1;
        for (;; n = n < full ? n + 1 : n + stride) {
            live0 = failmalloc_live_blocks();
            failmalloc_arm(n, persist);
            rc = fn();
            uint64_t hit = failmalloc_failed();
            failmalloc_disarm();
            runs++;
            ASSERT_MSG(rc != WL_BAD, "%s: allocation %llu failed (%s): wrong outcome (above)",
                       name, (unsigned long long)n, persist ? "persistent" : "transient");
            int64_t left = failmalloc_live_blocks() - live0;
            ASSERT_MSG(left == 0, "%s: allocation %llu failed (%s): %lld blocks not freed", name,
                       (unsigned long long)n, persist ? "persistent" : "transient",
                       (long long)left);
            if (!hit) {
                ASSERT_MSG(rc == WL_OK, "%s: run %llu failed with no allocation failed", name,
                           (unsigned long long)n);
                break;
            }
            if (rc == WL_ENOMEM)
                refused++;
            else
                survived++;   /* the failure was absorbed (a cache, a retry) and the data is right */
        }
        fprintf(stderr, "  %s (%s): %llu allocations, %llu runs: %llu ended out of memory, "
                "%llu completed correctly anyway\n", name, persist ? "persistent" : "transient",
                (unsigned long long)total, (unsigned long long)runs, (unsigned long long)refused,
                (unsigned long long)survived);
        ASSERT_MSG(refused > 0, "%s: no failed allocation made the workload fail", name);
    }
    return 0;
}

#define ALL UINT64_MAX

TEST(store)
{
    sweep_t mig = {"store, open and migrate", wl_store_migrate, MIGRATE_FULL, MIGRATE_STRIDE,
                   MIGRATE_FULL_P, MIGRATE_STRIDE_P};
    sweep_t ops = {"store, after the migration", wl_store, OPS_FULL, OPS_STRIDE, OPS_FULL_P,
                   OPS_STRIDE_P};
    ASSERT_MSG(make_template() == 0, "store: cannot make the migrated template");
    int rc = oom_loop(&mig);
    if (!rc)
        rc = oom_loop(&ops);
    return rc;
}

TEST(import)
{
    sweep_t sw = {"import", wl_import, ALL, 1, ALL, 1};
    return oom_loop(&sw);
}

TEST(protocol)
{
    sweep_t sw = {"protocol", wl_protocol, ALL, 1, ALL, 1};
    return oom_loop(&sw);
}

/* Warm: every N, both modes, the font cache kept between runs. Cold: every run builds the
 * font cache (the fontset, the faces) first; every N up to RASTER_COLD_FULL, then every
 * RASTER_COLD_STRIDE-th, transient only (each cold run reloads fontconfig). */
TEST(raster)
{
    sweep_t warm = {"raster, warm font cache", wl_raster, ALL, 1, ALL, 1};
    sweep_t cold = {"raster, cold font cache", wl_raster, RASTER_COLD_FULL, RASTER_COLD_STRIDE, 0, 0};
    raster_cold = 0;
    int rc = oom_loop(&warm);
    charts_shutdown();
    raster_cold = 1;
    if (!rc)
        rc = oom_loop(&cold);
    charts_shutdown();
    return rc;
}

TEST(wire)
{
    sweep_t sw = {"wire", wl_wire, ALL, 1, ALL, 1};
    return oom_loop(&sw);
}

TEST_LIST = {
    TEST_ENTRY(store),
    TEST_ENTRY(import),
    TEST_ENTRY(protocol),
    TEST_ENTRY(raster),
    TEST_ENTRY(wire),
    TEST_END,
};

TEST_RUNNER_()

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    if (failmalloc_init() != 0) {
        fprintf(stderr, "failmalloc_init: SQLite refused the allocator\n");
        return 1;
    }
    /* tmpfs where there is one: the store's fsyncs would otherwise dominate the runs */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir_path, sizeof dir_path, "%s/linksnap-oom-XXXXXX", base);
    if (!mkdtemp(dir_path)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(db_path, sizeof db_path, "%s/oom.db", dir_path);
    snprintf(tmpl_path, sizeof tmpl_path, "%s/template.db", dir_path);
    log_set_level(LOG_LVL_ERR);   /* the wire workload's repaired title warns on every run */
    int rc = test_main_(argc, argv);
    nftw(dir_path, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}
