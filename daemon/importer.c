/* importer.c -- runs imports. The loop reads the source in 64 KiB chunks (uv_fs_read for a
 * path, slices of the string for inline content) and feeds the import/ parser; entries are
 * copied into a batch; a full batch (or the end) goes to the writer as one write call that
 * normalises every URL and adds or merges the links in one transaction, and updates the
 * import's row. Reading waits while a batch commits, so memory stays bounded and other
 * clients' writes interleave between batches. Knows the parser API, the writer and the
 * store's link/import calls; nothing of sockets. */
#include "importer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "log.h"
#include "method.h"
#include "store.h"
#include "util.h"

#define CHUNK (64 * 1024)
#define BATCH_ENTRIES 2000
#define MAX_ERRORS_KEPT 1000

typedef struct {
    char *url, *title, *description;
    char **tags;
    size_t ntags;
    int64_t created_ms;
    uint64_t line;
} ientry_t;

typedef struct job job_t;

/* One batch = one write call. Owned by its job until the writer hands it back. */
typedef struct {
    method_call_t call;
    job_t *job;
    ientry_t *v;
    size_t n, cap;
    json_t *parse_errors;   /* [{line, reason}] the parser reported in this batch */
    uint64_t lines;         /* lines seen when the batch was cut */
    int final;              /* last batch: mark the import done */
    const char *final_state;
    char final_error[600];
    /* results, filled on the writer thread */
    int64_t added, existing, invalid;
} batch_t;

struct job {
    importer_t *im;
    job_t *next;
    int64_t id;
    import_parser_t *parser;
    uv_file fd;
    uv_fs_t req;
    char *buf;
    const char *content;      /* inline content (owned copy) */
    char *content_owned;
    size_t content_len, content_off;
    int64_t offset;
    char **tags;              /* extra tags for every entry */
    size_t ntags;
    int capture;
    batch_t *batch;           /* being filled */
    int writing;              /* a batch is with the writer */
    int eof, failed, stopping;
    char last_byte;           /* of the input so far: a final newline ends no new line */
    char error[600];
    uint64_t added, existing, invalid;
};

struct importer {
    daemon_t *d;
    job_t *jobs;
    int running;
    int closing;
    void (*closed_cb)(void *);
    void *closed_ud;
};

static void read_next(job_t *j);
static void job_finish(job_t *j, const char *state, const char *error);

/* ---- batches ------------------------------------------------------------------------- */

static void entry_free(ientry_t *e)
{
    free(e->url);
    free(e->title);
    free(e->description);
    for (size_t i = 0; i < e->ntags; i++)
        free(e->tags[i]);
    free(e->tags);
}

static void batch_free(batch_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        entry_free(&b->v[i]);
    free(b->v);
    json_decref(b->parse_errors);
    json_decref(b->call.result);
    json_decref(b->call.events);
    json_decref(b->call.err_data);
    free(b);
}

static batch_t *batch_new(job_t *j)
{
    batch_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->job = j;
    b->parse_errors = json_array();
    b->call.method = "import.batch";
    b->call.params = NULL;
    if (!b->parse_errors) {
        free(b);
        return NULL;
    }
    return b;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int entry_cb(const import_entry_t *e, void *ud)
{
    job_t *j = ud;
    batch_t *b = j->batch;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        ientry_t *nv = realloc(b->v, ncap * sizeof *nv);
        if (!nv)
            return 1;
        b->v = nv;
        b->cap = ncap;
    }
    ientry_t *x = &b->v[b->n];
    memset(x, 0, sizeof *x);
    x->url = strdup(e->url);
    x->title = dup_or_null(e->title);
    x->description = dup_or_null(e->description);
    x->created_ms = e->created_ms;
    x->line = e->line;
    size_t nt = e->ntags + j->ntags;
    x->tags = nt ? calloc(nt, sizeof *x->tags) : NULL;
    if (!x->url || (nt && !x->tags)) {
        entry_free(x);
        return 1;
    }
    for (size_t i = 0; i < e->ntags; i++)
        if ((x->tags[x->ntags] = strdup(e->tags[i])))
            x->ntags++;
    for (size_t i = 0; i < j->ntags; i++)
        if ((x->tags[x->ntags] = strdup(j->tags[i])))
            x->ntags++;
    b->n++;
    return 0;
}

static void error_cb(uint64_t line, const char *reason, void *ud)
{
    job_t *j = ud;
    batch_t *b = j->batch;
    if (json_array_size(b->parse_errors) < MAX_ERRORS_KEPT)
        json_array_append_new(b->parse_errors, json_pack("{s:I,s:s}", "line", (json_int_t)line,
                                                         "reason", reason));
}

/* ---- the write call (writer thread) -------------------------------------------------- */

/* Applies one batch in the writer's transaction. Runs on the writer thread: touches only
 * the batch and the store. */
static int batch_apply_fn(method_call_t *call)
{
    batch_t *b = (batch_t *)call;   /* call is the first member */
    job_t *j = b->job;
    store_t *db = call->db;
    json_t *errors = json_array();
    if (!errors)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        ientry_t *e = &b->v[i];
        char err[512];
        int created = 0;
        int rc = store_import_entry(db, e->url, (const char *const *)e->tags, e->ntags, e->title,
                                    e->description, e->created_ms, j->capture, call->now_ms,
                                    &created, err, sizeof err);
        if (rc == STORE_OK) {
            if (created)
                b->added++;
            else
                b->existing++;
        } else if (rc == STORE_EINVAL) {
            b->invalid++;
            json_array_append_new(errors, json_pack("{s:I,s:s}", "line", (json_int_t)e->line, "reason", err));
        } else {
            json_decref(errors);
            return method_fail_store(call, rc, "import");
        }
    }
    json_array_extend(errors, b->parse_errors);
    /* parser-level errors count as invalid too */
    b->invalid += (int64_t)json_array_size(b->parse_errors);
    char *errors_text = json_dumps(errors, JSON_COMPACT);
    int rc = store_import_progress(db, j->id, (int64_t)b->lines, b->added, b->existing,
                                   b->invalid, errors_text, MAX_ERRORS_KEPT,
                                   b->final ? b->final_state : NULL,
                                   b->final && b->final_error[0] ? b->final_error : NULL,
                                   call->now_ms);
    free(errors_text);
    json_decref(errors);
    if (rc != STORE_OK)
        return method_fail_store(call, rc, "import progress");
    return 0;
}

/* ---- loop side ----------------------------------------------------------------------- */

static void publish_progress(job_t *j, const char *state)
{
    json_t *ev = json_pack("{s:s,s:I,s:s,s:I,s:I,s:I,s:I}", "topic", "import.progress",
                           "id", (json_int_t)j->id, "state", state,
                           "lines", (json_int_t)import_parser_lines(j->parser),
                           "added", (json_int_t)j->added, "existing", (json_int_t)j->existing,
                           "invalid", (json_int_t)j->invalid);
    if (ev) {
        if (!strcmp(state, "running"))
            events_publish(j->im->d->events, ev);
        else {
            json_object_set_new(ev, "topic", json_string("import.finished"));
            events_publish(j->im->d->events, ev);
        }
        json_decref(ev);
    }
}

/* Frees a job and everything it owns (an open file included); the job is on no list. */
static void job_release(job_t *j)
{
    if (j->fd >= 0) {
        uv_fs_t req;
        uv_fs_close(j->im->d->loop, &req, j->fd, NULL);
        uv_fs_req_cleanup(&req);
    }
    import_parser_free(j->parser);
    batch_free(j->batch);
    free(j->buf);
    free(j->content_owned);
    for (size_t i = 0; i < j->ntags; i++)
        free(j->tags[i]);
    free(j->tags);
    free(j);
}

static void job_free(job_t *j)
{
    importer_t *im = j->im;
    job_t **pp = &im->jobs;
    while (*pp && *pp != j)
        pp = &(*pp)->next;
    if (*pp)
        *pp = j->next;
    im->running--;
    job_release(j);
    if (im->closing && im->running == 0 && im->closed_cb) {
        void (*cb)(void *) = im->closed_cb;
        im->closed_cb = NULL;
        cb(im->closed_ud);
    }
}

static void batch_done_cb(method_call_t *call, void *ud)
{
    batch_t *b = ud;
    job_t *j = b->job;
    j->writing = 0;
    if (call->err_code != 0) {
        log_err("import %lld: batch failed: %s", (long long)j->id, call->err_msg);
        if (!b->final) {
            snprintf(j->error, sizeof j->error, "%s", call->err_msg);
            j->failed = 1;
        }
    } else {
        j->added += (uint64_t)b->added;
        j->existing += (uint64_t)b->existing;
        j->invalid += (uint64_t)b->invalid;
    }
    int final = b->final;
    const char *state = b->final_state;
    batch_free(b);
    if (final) {
        publish_progress(j, state ? state : "done");
        log_info("import %lld %s: %llu added, %llu existing, %llu invalid", (long long)j->id,
                 state ? state : "done", (unsigned long long)j->added,
                 (unsigned long long)j->existing, (unsigned long long)j->invalid);
        job_free(j);
        return;
    }
    publish_progress(j, "running");
    if (j->failed || j->stopping) {
        job_finish(j, j->stopping ? "interrupted" : "failed", j->failed ? j->error : "linksnapd stopped");
        return;
    }
    if (j->eof)
        job_finish(j, "done", NULL);
    else
        read_next(j);
}

/* Hands the current batch to the writer and starts a new one. */
static int submit_batch(job_t *j, int final, const char *state, const char *error)
{
    batch_t *b = j->batch;
    j->batch = NULL;
    b->lines = import_parser_lines(j->parser);
    if (j->eof && b->lines > 0 && (j->last_byte == '\n' || j->last_byte == 0))
        b->lines--;   /* the parser counts the empty line after the final newline */
    b->final = final;
    b->final_state = state;
    if (error)
        snprintf(b->final_error, sizeof b->final_error, "%s", error);
    b->call.now_ms = util_now_ms();
    b->call.cfg = &j->im->d->cfg;
    if (!final && !(j->batch = batch_new(j))) {
        batch_free(b);
        return -1;
    }
    if (writer_submit_flags(j->im->d->writer, &b->call, batch_apply_fn, batch_done_cb, b,
                            WRITER_BULK) != 0) {
        batch_free(b);
        return -1;
    }
    j->writing = 1;
    return 0;
}

static void job_finish(job_t *j, const char *state, const char *error)
{
    if (j->fd >= 0) {
        uv_fs_t req;
        uv_fs_close(j->im->d->loop, &req, j->fd, NULL);
        uv_fs_req_cleanup(&req);
        j->fd = -1;
    }
    if (!j->batch && !(j->batch = batch_new(j))) {
        job_free(j);
        return;
    }
    if (submit_batch(j, 1, state, error) != 0)
        job_free(j);
}

/* Feeds one chunk; returns -1 when the import must end (j->error says why). */
static int feed(job_t *j, const char *data, size_t len)
{
    if (len)
        j->last_byte = data[len - 1];
    int rc = len ? import_parser_feed(j->parser, data, len) : import_parser_finish(j->parser);
    if (rc < 0) {
        snprintf(j->error, sizeof j->error, "%s", import_parser_errmsg(j->parser));
        return -1;
    }
    if (rc == IMPORT_STOPPED) {
        snprintf(j->error, sizeof j->error, "out of memory while reading entries");
        return -1;
    }
    return 0;
}

static void after_chunk(job_t *j)
{
    if (j->batch->n >= BATCH_ENTRIES || j->eof) {
        if (j->eof)
            job_finish(j, "done", NULL);
        else if (submit_batch(j, 0, NULL, NULL) != 0)
            job_finish(j, "failed", "out of memory");
        return;
    }
    read_next(j);
}

static void read_cb(uv_fs_t *req)
{
    job_t *j = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (n < 0) {
        snprintf(j->error, sizeof j->error, "cannot read the file: %s", uv_strerror((int)n));
        job_finish(j, "failed", j->error);
        return;
    }
    j->offset += n;
    if (n == 0)
        j->eof = 1;
    if (j->offset > IMPORTER_MAX_FILE) {   /* it grew while we read */
        snprintf(j->error, sizeof j->error, "the file is over %u MiB", IMPORTER_MAX_FILE >> 20);
        job_finish(j, "failed", j->error);
        return;
    }
    if (feed(j, j->buf, (size_t)n) != 0) {
        job_finish(j, "failed", j->error);
        return;
    }
    after_chunk(j);
}

static void read_next(job_t *j)
{
    if (j->stopping) {
        job_finish(j, "interrupted", "linksnapd stopped");
        return;
    }
    if (j->content) {
        /* inline content: one slice per loop turn so other clients get their turn */
        size_t n = j->content_len - j->content_off;
        if (n > CHUNK)
            n = CHUNK;
        if (n == 0)
            j->eof = 1;
        if (feed(j, j->content + j->content_off, n) != 0) {
            job_finish(j, "failed", j->error);
            return;
        }
        j->content_off += n;
        after_chunk(j);
        return;
    }
    uv_buf_t b = uv_buf_init(j->buf, CHUNK);
    j->req.data = j;
    if (uv_fs_read(j->im->d->loop, &j->req, j->fd, &b, 1, j->offset, read_cb) != 0)
        job_finish(j, "failed", "cannot read the file");
}

importer_t *importer_new(daemon_t *d)
{
    importer_t *im = calloc(1, sizeof *im);
    if (im)
        im->d = d;
    return im;
}

int importer_start(importer_t *im, int64_t import_id, int fd, const char *content,
                   size_t content_len, const char *format, const json_t *tags, int capture,
                   char *err, size_t errlen)
{
    import_format_t fmt = IMPORT_FMT_AUTO;
    if (format && import_format_parse(format, &fmt) != 0) {
        snprintf(err, errlen, "unknown format '%s' (auto, text, netscape, csv, jsonl, json)", format);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    job_t *j = calloc(1, sizeof *j);
    if (!j)
        goto nomem;
    j->im = im;
    j->id = import_id;
    j->fd = -1;
    j->capture = capture;
    j->parser = import_parser_new(fmt, entry_cb, error_cb, j);
    j->batch = batch_new(j);
    if (!j->parser || !j->batch)
        goto nomem_free;
    size_t nt = json_array_size(tags);
    if (nt && !(j->tags = calloc(nt, sizeof *j->tags)))
        goto nomem_free;
    for (size_t i = 0; i < nt; i++) {
        if (!(j->tags[i] = strdup(json_string_value(json_array_get(tags, i)))))
            goto nomem_free;
        j->ntags++;
    }
    if (fd >= 0) {
        j->fd = fd;   /* taken: job_release closes it from here on */
        fd = -1;
        if (!(j->buf = malloc(CHUNK)))
            goto nomem_free;
    } else {
        if (!(j->content_owned = malloc(content_len + 1)))
            goto nomem_free;
        memcpy(j->content_owned, content, content_len);
        j->content = j->content_owned;
        j->content_len = content_len;
    }
    j->next = im->jobs;
    im->jobs = j;
    im->running++;
    read_next(j);
    return 0;
nomem_free:
    snprintf(err, errlen, "out of memory");
    job_release(j);
    if (fd >= 0)
        close(fd);
    return -1;
nomem:
    snprintf(err, errlen, "out of memory");
    if (fd >= 0)
        close(fd);
    return -1;
}

int importer_running(const importer_t *im) { return im->running; }

void importer_close(importer_t *im, void (*cb)(void *ud), void *ud)
{
    im->closing = 1;
    im->closed_cb = cb;
    im->closed_ud = ud;
    for (job_t *j = im->jobs; j; j = j->next)
        j->stopping = 1;   /* each ends at its next step, after its batch in flight */
    if (im->running == 0) {
        im->closed_cb = NULL;
        cb(ud);
    }
}
