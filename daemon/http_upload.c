/* http_upload.c -- POST /import: the body streamed into <state_dir>/import-spool with
 * uv_fs writes (two buffers, reading paused while both are busy), then import.start on the
 * spooled file; the file is removed when its import finishes, and at the next start. Knows
 * the request (http_int.h) and dispatch; routing and authorisation are http.c's. */
#include "http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "upload_args.h"
#include "util.h"

static void spool_clean(const char *dir)
{
    uv_fs_t req;
    if (uv_fs_scandir(NULL, &req, dir, 0, NULL) < 0) {
        uv_fs_req_cleanup(&req);
        return;
    }
    uv_dirent_t ent;
    char path[UTIL_PATH_MAX];
    while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
        if (strncmp(ent.name, "upload-", 7))
            continue;
        if (util_path(path, "%s/%s", dir, ent.name) == 0)
            unlink(path);   /* an upload of an earlier run; its import was interrupted */
    }
    uv_fs_req_cleanup(&req);
}

static void spool_forget(http_t *h, int64_t import_id)
{
    for (spool_t **pp = &h->spools; *pp; pp = &(*pp)->next) {
        if ((*pp)->import_id != import_id)
            continue;
        spool_t *s = *pp;
        *pp = s->next;
        if (unlink(s->path) != 0 && errno != ENOENT)
            log_warn("http: cannot remove %s: %s", s->path, strerror(errno));
        free(s);
        return;
    }
}

static void spool_event_cb(json_t *event, void *ud)
{
    http_t *h = ud;
    const char *topic = json_string_value(json_object_get(event, "topic"));
    if (topic && !strcmp(topic, "import.finished"))
        spool_forget(h, json_integer_value(json_object_get(event, "id")));
}

static void import_done_cb(method_call_t *call, void *ud)
{
    hreq_t *r = ud;
    http_t *h = r->h;
    int64_t id = call->err_code ? 0 : json_integer_value(json_object_get(call->result, "import_id"));
    if (id > 0) {
        spool_t *s = calloc(1, sizeof *s);
        if (s) { /* removed when the import finishes */
            s->import_id = id;
            snprintf(s->path, sizeof s->path, "%s", r->up_path);
            s->next = h->spools;
            h->spools = s;
        }
    } else {
        unlink(r->up_path);
    }
    r->up_path[0] = '\0';
    if (http_req_unbusy(r))
        return;
    if (call->err_code) {
        http_respond_json(r, call->err_code == RPC_INVALID_PARAMS ? 400 : 500,
                     json_pack("{s:{s:i,s:s}}", "error", "code", call->err_code, "message", call->err_msg));
        return;
    }
    http_respond_json(r, 200, json_pack("{s:I}", "import_id", (json_int_t)id));
}

static void upload_start_import(hreq_t *r)
{
    const method_def_t *def = methods_find("import.start");
    char why[200];
    json_t *params = upload_args_params(r->up_path, http_arg_get(r, "format"), http_arg_get(r, "tags"),
                                        http_arg_get(r, "capture"), why, sizeof why);
    if (!def || !params) {
        json_decref(params);
        unlink(r->up_path);
        if (!def)
            http_respond_error(r, 500, "import.start is missing");
        else
            http_respond_error(r, strcmp(why, "out of memory") ? 400 : 500, "%s", why);
        return;
    }
    r->call.method = def->name;
    r->call.params = params;
    r->busy++;
    dispatch_run(r->h->d, def, &r->call, import_done_cb, r);
}

static void upload_flush(hreq_t *r);

static void upload_write_cb(uv_fs_t *fs)
{
    hreq_t *r = fs->data;
    ssize_t n = fs->result;
    uv_fs_req_cleanup(fs);
    r->up_writing = 0;
    if (http_req_unbusy(r))
        return;
    if (n < 0 || (size_t)n != r->up_wlen) {
        r->up_complete = 1;
        http_respond_error(r, 507, "cannot write the upload into %s: %s", r->h->spooldir,
                      n < 0 ? uv_strerror((int)n) : "short write");
        return;
    }
    r->up_wlen = 0;
    upload_flush(r);
}

/* Two buffers: lws fills one while the other is written with uv_fs. A full buffer is
 * written as soon as no write is in flight; while one is, reading pauses (rx flow
 * control), and what lws already holds still fits (UPLOAD_BUF has room past a chunk).
 * When the body is complete and everything is on disk, starts the import. */
static void upload_flush(hreq_t *r)
{
    if (r->up_writing || r->discard)
        return;
    if (r->up_complete && r->up_paused) {
        /* the body ended while reading was paused: lws holds a paused connection's
         * writes too, and the reply would never leave */
        r->up_paused = 0;
        lws_rx_flow_control(r->wsi, 1);
    }
    if (r->up_len >= UPLOAD_CHUNK || (r->up_complete && r->up_len > 0)) {
        char *t = r->up_wdata;
        r->up_wdata = r->up_data;
        r->up_data = t;
        r->up_wlen = r->up_len;
        r->up_len = 0;
        uv_buf_t b = uv_buf_init(r->up_wdata, (unsigned)r->up_wlen);
        r->upfs.data = r;
        if (uv_fs_write(r->h->d->loop, &r->upfs, r->up_fd, &b, 1, -1, upload_write_cb) != 0) {
            http_respond_error(r, 500, "cannot write the upload");
            return;
        }
        r->up_writing = 1;
        r->busy++;
        if (!r->up_complete && r->up_paused) {
            r->up_paused = 0;
            lws_rx_flow_control(r->wsi, 1);
        }
        return;
    }
    if (!r->up_complete) {
        if (r->up_paused) {
            r->up_paused = 0;
            lws_rx_flow_control(r->wsi, 1);
        }
        return;
    }
    close(r->up_fd);
    r->up_fd = -1;
    upload_start_import(r);
}

int http_upload_open(hreq_t *r)
{
    http_t *h = r->h;
    if (mkdir(h->spooldir, 0700) != 0 && errno != EEXIST) {
        http_respond_error(r, 500, "cannot create %s: %s", h->spooldir, strerror(errno));
        return -1;
    }
    unsigned char rnd[8];
    char hex[17];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        http_respond_error(r, 500, "no randomness");
        return -1;
    }
    util_hex(rnd, sizeof rnd, hex);
    if (util_path(r->up_path, "%s/upload-%lld-%s", h->spooldir, (long long)util_now_ms(), hex) != 0) {
        r->up_path[0] = '\0';
        http_respond_error(r, 500, "the import spool's path is too long");
        return -1;
    }
    r->up_fd = open(r->up_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    r->up_data = malloc(UPLOAD_BUF);
    r->up_wdata = malloc(UPLOAD_BUF);
    if (r->up_fd < 0 || !r->up_data || !r->up_wdata) {
        http_respond_error(r, 500, "cannot create %s: %s", r->up_path, strerror(errno));
        return -1;
    }
    return 0;
}

void http_upload_feed(hreq_t *r, const char *in, size_t len)
{
    r->up_total += len;
    if (r->up_total > UPLOAD_MAX) {
        http_respond_error(r, 413, "uploads are limited to %u MiB", UPLOAD_MAX >> 20);
        return;
    }
    if (len > UPLOAD_BUF - r->up_len) {   /* lws hands at most its rx buffer at once */
        http_respond_error(r, 500, "upload overran its buffer");
        return;
    }
    memcpy(r->up_data + r->up_len, in, len);
    r->up_len += len;
    if (r->up_len >= UPLOAD_CHUNK) {
        if (r->up_writing && !r->up_paused) {   /* both buffers busy: wait for the disk */
            r->up_paused = 1;
            lws_rx_flow_control(r->wsi, 0);
        }
        upload_flush(r);
    }
}

void http_upload_done(hreq_t *r)
{
    r->up_complete = 1;
    upload_flush(r);
}

int http_spool_start(http_t *h, char *err, size_t errlen)
{
    snprintf(h->spooldir, sizeof h->spooldir, "%s/import-spool", h->d->cfg.state_dir);
    spool_clean(h->spooldir);
    json_t *topics = json_pack("[s]", "import.finished");
    h->spool_sub = topics ? events_subscribe(h->d->events, topics, spool_event_cb, h) : NULL;
    json_decref(topics);
    if (!h->spool_sub) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void http_spool_stop(http_t *h)
{
    events_unsubscribe(h->d->events, h->spool_sub);
    h->spool_sub = NULL;
}

void http_spool_free(http_t *h)
{
    while (h->spools) {
        spool_t *s = h->spools;
        h->spools = s->next;
        free(s);   /* the file stays for an interrupted import; the next start removes it */
    }
}
