/* server.c -- the control socket. Owns client connections: reading and framing lines,
 * turning them into calls (single requests, notifications, batches), running each call
 * through dispatch.c (which runs it where its kind says), and writing replies back in
 * request order with back-pressure. Knows the method table, protocol/ and the daemon's
 * parts; knows no SQL and no method's semantics.
 *
 * Every connection is counted against its peer's uid (SO_PEERCRED, max_clients_per_uid),
 * and one that stays silent with nothing in flight for idle_timeout is closed; a
 * subscriber is idle by design and gets a {"method":"ping"} notification instead.
 *
 * Ordering per connection: a write may start while earlier writes of the same client are
 * still committing (that is how pipelined writes share a group commit), but every other
 * call waits until all earlier calls of its client finished, so a client always reads its
 * own acknowledged writes. Replies leave in request order. */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dispatch.h"
#include "jsonrpc.h"
#include "log.h"
#include "method.h"
#include "util.h"

#define OUT_HIGH (8u << 20)     /* stop reading a client whose replies pile up */
#define OUT_LOW (1u << 20)      /* ...and resume below this */
#define OUT_MAX (64u << 20)     /* a subscriber this far behind is disconnected */
#define QUEUE_HIGH 4096         /* calls queued per client before we stop reading */
#define GRACE_MS 3000           /* how long a stop waits for replies to drain */

typedef struct conn conn_t;

typedef struct slot {
    struct slot *next;
    size_t remaining;      /* answers still outstanding */
    int is_batch;
    json_t *single;        /* the reply of a single request (NULL: none) */
    json_t **items;        /* batch replies by index (NULL: none) */
    size_t nitems;
} slot_t;

typedef struct req {
    struct req *next;
    conn_t *conn;
    slot_t *slot;
    size_t index;
    json_t *doc;           /* keeps id and params alive */
    json_t *id;            /* borrowed from doc; NULL for notifications */
    int notify;
    const method_def_t *def;
    method_call_t call;
} req_t;

struct conn {
    uv_pipe_t pipe;
    server_t *srv;
    conn_t *prev, *next;
    uint64_t id;
    rpc_framer_t framer;
    buf_t out;
    size_t writing;
    slot_t *slots, **slots_tail;
    req_t *queue, **queue_tail;
    size_t qlen;
    int inflight, inflight_nonwrite;
    int paused, eof, closed, close_after_flush;
    int discard;           /* after an overlong line: read and drop until the client closes */
    size_t discarded;
    int shutdown_sent;
    uv_shutdown_t shutdown_req;
    int refs;              /* the handle + each call in flight */
    int starting;          /* inside dispatch_run: a call finishing now finished at once */
    events_sub_t *sub;
    uid_t uid;             /* the peer's (SO_PEERCRED) */
    uint64_t last_ms;      /* monotonic: last byte read, or last ping sent to a subscriber */
};

struct server {
    daemon_t *d;
    uv_pipe_t listener;
    int listening;
    conn_t *conns;
    size_t nconns;
    uint64_t next_conn_id;
    char readbuf[65536];
    int readbuf_busy;
    int closing;
    uv_timer_t grace;
    uv_timer_t idle;         /* closes silent clients, pings subscribers */
    void (*closed_cb)(void *);
    void *closed_ud;
    int pending_handles;
    int owns_path;           /* we bound the socket file (not systemd): remove it at stop */
    int grace_closed;
};

static void conn_close(conn_t *c);
static void process_queue(conn_t *c);
static void flush_out(conn_t *c);
static void maybe_finish(server_t *s);

/* ---- lifetime ------------------------------------------------------------------------ */

static void slot_free(slot_t *sl)
{
    json_decref(sl->single);
    for (size_t i = 0; i < sl->nitems; i++)
        json_decref(sl->items[i]);
    free(sl->items);
    free(sl);
}

static void req_free(req_t *r)
{
    method_call_clear(&r->call);
    json_decref(r->doc);
    free(r);
}

static void conn_unref(conn_t *c)
{
    if (--c->refs > 0)
        return;
    server_t *s = c->srv;
    while (c->slots) {
        slot_t *n = c->slots->next;
        slot_free(c->slots);
        c->slots = n;
    }
    rpc_framer_free(&c->framer);
    buf_free(&c->out);
    free(c);
    maybe_finish(s);
}

static void conn_closed_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    server_t *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    conn_unref(c);
}

static void conn_close(conn_t *c)
{
    if (c->closed)
        return;
    c->closed = 1;
    events_unsubscribe(c->srv->d->events, c->sub);
    c->sub = NULL;
    while (c->queue) { /* calls not started yet are dropped with the client */
        req_t *n = c->queue->next;
        req_free(c->queue);
        c->queue = n;
    }
    c->qlen = 0;
    uv_close((uv_handle_t *)&c->pipe, conn_closed_cb);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    (void)status;
    /* our side is closed; the client's EOF (or the discard cap) closes the connection */
    conn_unref(c);
}

/* The client is done with us when it sent EOF (or we are stopping) and nothing is owed. */
static void conn_maybe_done(conn_t *c)
{
    if (c->closed)
        return;
    int idle = c->inflight == 0 && !c->queue && !c->slots && c->out.len == 0 && !c->writing;
    if (!idle)
        return;
    if (c->discard && !c->eof && !c->srv->closing) {
        /* lingering close: a reset now would destroy the error reply still in flight */
        if (!c->shutdown_sent) {
            c->shutdown_sent = 1;
            c->shutdown_req.data = c;
            if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, shutdown_cb) == 0)
                c->refs++;
            else
                conn_close(c);
        }
        return;
    }
    if (c->eof || c->close_after_flush || c->srv->closing)
        conn_close(c);
}

/* ---- output -------------------------------------------------------------------------- */

typedef struct {
    uv_write_t req;
    conn_t *conn;
    char *data;
    size_t len;
} wreq_t;

static void resume_reading(conn_t *c);

static void write_cb(uv_write_t *w, int status)
{
    wreq_t *wr = (wreq_t *)w;
    conn_t *c = wr->conn;
    free(wr->data);
    free(wr);
    c->writing = 0;
    if (status < 0) {
        if (status != UV_ECANCELED && status != UV_EPIPE && status != UV_ECONNRESET)
            log_info("client %llu: write failed: %s", (unsigned long long)c->id, uv_strerror(status));
        conn_close(c);
    } else if (!c->closed) {
        flush_out(c);
        resume_reading(c);
        conn_maybe_done(c);
    }
    conn_unref(c);
}

static void flush_out(conn_t *c)
{
    if (c->closed || c->writing || c->out.len == 0)
        return;
    wreq_t *wr = malloc(sizeof *wr);
    if (!wr) {
        conn_close(c);
        return;
    }
    wr->conn = c;
    wr->data = buf_take(&c->out, &wr->len);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->len);
    int rc = uv_write(&wr->req, (uv_stream_t *)&c->pipe, &b, 1, write_cb);
    if (rc) {
        free(wr->data);
        free(wr);
        conn_close(c);
        return;
    }
    c->writing = b.len;
    c->refs++;
}

static void emit_json(conn_t *c, json_t *msg)
{
    if (!msg)
        return;
    if (rpc_write(&c->out, msg) != 0)
        log_warn("client %llu: reply could not be serialised", (unsigned long long)c->id);
}

/* Writes every finished slot at the head, in order. */
static void flush_slots(conn_t *c)
{
    while (c->slots && c->slots->remaining == 0) {
        slot_t *sl = c->slots;
        c->slots = sl->next;
        if (!c->slots)
            c->slots_tail = &c->slots;
        if (!c->closed) {
            if (!sl->is_batch) {
                emit_json(c, sl->single);
            } else {
                json_t *arr = json_array();
                for (size_t i = 0; arr && i < sl->nitems; i++)
                    if (sl->items[i])
                        json_array_append(arr, sl->items[i]);
                if (arr && json_array_size(arr) > 0) /* all notifications: no reply */
                    emit_json(c, arr);
                json_decref(arr);
            }
        }
        slot_free(sl);
    }
    flush_out(c);
}

/* Takes reply (may be NULL: nothing to send for that element). */
static void slot_fill(conn_t *c, slot_t *sl, size_t index, json_t *reply)
{
    if (sl->is_batch)
        sl->items[index] = reply;
    else
        sl->single = reply;
    sl->remaining--;
    if (sl->remaining == 0)
        flush_slots(c);
}

static slot_t *slot_push(conn_t *c, size_t n, int is_batch)
{
    slot_t *sl = calloc(1, sizeof *sl);
    if (!sl)
        return NULL;
    sl->is_batch = is_batch;
    sl->remaining = n;
    if (is_batch) {
        sl->items = calloc(n, sizeof *sl->items);
        if (!sl->items) {
            free(sl);
            return NULL;
        }
        sl->nitems = n;
    }
    *c->slots_tail = sl;
    c->slots_tail = &sl->next;
    return sl;
}

/* ---- events -------------------------------------------------------------------------- */

static void sub_event_cb(json_t *event, void *ud)
{
    conn_t *c = ud;
    if (c->closed)
        return;
    json_t *n = rpc_notification("event", json_incref(event));
    emit_json(c, n);
    json_decref(n);
    if (c->out.len > OUT_MAX) {
        log_warn("client %llu: %u MiB of events unread; disconnecting it",
                 (unsigned long long)c->id, (unsigned)(c->out.len >> 20));
        conn_close(c);
        return;
    }
    flush_out(c);
}

static int m_events_subscribe(conn_t *c, method_call_t *call)
{
    json_t *topics = NULL;
    static const char *const known[] = {"topics", NULL};
    if (param_reject_unknown(call, known) || param_string_array(call, "topics", 0, &topics))
        return -1;
    size_t i;
    json_t *t;
    json_array_foreach(topics, i, t) {
        const char *s = json_string_value(t);
        if (!*s || strlen(s) > 64)
            return method_fail(call, RPC_INVALID_PARAMS, "param 'topics'[%zu] must be 1 to 64 characters", i);
    }
    events_unsubscribe(c->srv->d->events, c->sub);
    c->sub = events_subscribe(c->srv->d->events, topics, sub_event_cb, c);
    if (!c->sub)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    if (topics)
        call->result = json_pack("{s:O}", "subscribed", topics);
    else
        call->result = json_pack("{s:[s]}", "subscribed", "*");
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_events_unsubscribe(conn_t *c, method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    events_unsubscribe(c->srv->d->events, c->sub);
    c->sub = NULL;
    call->result = json_pack("{s:b}", "unsubscribed", 1);
    return 0;
}

/* ---- calls --------------------------------------------------------------------------- */

static int tracked_kind(const method_def_t *def)
{
    return def->kind == METHOD_WRITE || def->kind == METHOD_HEAVY;
}

/* Turns the finished call into its reply and puts it in its slot; frees r. */
static void req_complete(req_t *r)
{
    conn_t *c = r->conn;
    json_t *reply = r->notify ? NULL : dispatch_reply(&r->call, r->id);
    if (!c->closed)
        slot_fill(c, r->slot, r->index, reply);
    else
        json_decref(reply);
    req_free(r);
}

static void req_done_cb(method_call_t *call, void *ud)
{
    req_t *r = ud;
    conn_t *c = r->conn;
    int tracked = tracked_kind(r->def);
    int sync = c->starting;   /* finished inside dispatch_run: process_queue goes on */
    (void)call;
    if (tracked) {
        c->inflight--;
        if (r->def->kind == METHOD_HEAVY)
            c->inflight_nonwrite--;
    }
    req_complete(r);
    if (!sync && !c->closed) {
        process_queue(c);
        resume_reading(c);
        conn_maybe_done(c);
    }
    if (tracked)
        conn_unref(c);
}

static void req_start(conn_t *c, req_t *r)
{
    daemon_t *d = c->srv->d;
    if (r->def->fn == NULL) { /* events.subscribe / events.unsubscribe: this connection's */
        r->call.now_ms = util_now_ms();
        r->call.cfg = &d->cfg;
        d->calls++;
        if (r->def->name[7] == 's')
            m_events_subscribe(c, &r->call);
        else
            m_events_unsubscribe(c, &r->call);
        req_complete(r);
        return;
    }
    if (tracked_kind(r->def)) {
        c->inflight++;
        if (r->def->kind == METHOD_HEAVY)
            c->inflight_nonwrite++;
        c->refs++;
    }
    c->starting++;
    dispatch_run(d, r->def, &r->call, req_done_cb, r);
    c->starting--;
}

static void process_queue(conn_t *c)
{
    while (c->queue && !c->closed) {
        req_t *r = c->queue;
        int is_write = r->def->kind == METHOD_WRITE;
        if (is_write ? c->inflight_nonwrite > 0 : c->inflight > 0)
            break;
        c->queue = r->next;
        if (!c->queue)
            c->queue_tail = &c->queue;
        c->qlen--;
        r->next = NULL;
        req_start(c, r);
    }
}

/* Methods of the socket itself (fn NULL: req_start runs them on the connection). */
static const method_def_t conn_methods[] = {
    {.name = "events.subscribe", .kind = METHOD_LOOP},
    {.name = "events.unsubscribe", .kind = METHOD_LOOP},
    {.name = NULL},
};

/* One request object (alone or inside a batch). doc is the whole parsed line. */
static void handle_msg(conn_t *c, json_t *doc, json_t *msg, slot_t *sl, size_t index)
{
    const method_def_t *def;
    json_t *params, *id, *reply;
    if (dispatch_prepare(msg, conn_methods, &def, &params, &id, &reply) != 0) {
        slot_fill(c, sl, index, reply);
        return;
    }
    req_t *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(params);
        slot_fill(c, sl, index, id ? rpc_error(id, RPC_INTERNAL_ERROR, "out of memory", NULL) : NULL);
        return;
    }
    r->conn = c;
    r->slot = sl;
    r->index = index;
    r->doc = json_incref(doc);
    r->id = id;
    r->notify = id == NULL;
    r->def = def;
    r->call.method = def->name;
    r->call.params = params;
    *c->queue_tail = r;
    c->queue_tail = &r->next;
    c->qlen++;
}

static void handle_line(conn_t *c, const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return; /* blank lines are allowed between messages */
    char err[256];
    json_t *doc = rpc_parse_line(line, len, err, sizeof err);
    if (!doc) {
        slot_t *sl = slot_push(c, 1, 0);
        if (sl)
            slot_fill(c, sl, 0, rpc_error(NULL, RPC_PARSE_ERROR, err, NULL));
        return;
    }
    if (json_is_array(doc)) {
        size_t n = json_array_size(doc);
        if (n == 0 || n > RPC_MAX_BATCH) {
            slot_t *sl = slot_push(c, 1, 0);
            char msg[128];
            if (n == 0)
                snprintf(msg, sizeof msg, "invalid request: empty batch");
            else
                snprintf(msg, sizeof msg, "invalid request: batch of %zu (at most %d)", n, RPC_MAX_BATCH);
            if (sl)
                slot_fill(c, sl, 0, rpc_error(NULL, RPC_INVALID_REQUEST, msg, NULL));
            json_decref(doc);
            return;
        }
        slot_t *sl = slot_push(c, n, 1);
        if (sl)
            for (size_t k = 0; k < n; k++)
                handle_msg(c, doc, json_array_get(doc, k), sl, k);
    } else {
        slot_t *sl = slot_push(c, 1, 0);
        if (sl)
            handle_msg(c, doc, doc, sl, 0);
    }
    json_decref(doc);
}

/* ---- input --------------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn_t *c = h->data;
    server_t *s = c->srv;
    (void)suggested;
    if (s->readbuf_busy) { /* cannot happen on one loop, but never share by accident */
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    s->readbuf_busy = 1;
    *buf = uv_buf_init(s->readbuf, sizeof s->readbuf);
}

static void pause_reading(conn_t *c)
{
    if (!c->paused && !c->closed && !c->eof) {
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->paused = 1;
    }
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void resume_reading(conn_t *c)
{
    if (c->paused && !c->closed && !c->eof && !c->srv->closing &&
        c->out.len + c->writing < OUT_LOW && c->qlen < QUEUE_HIGH / 2) {
        c->paused = 0;
        uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
    }
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = st->data;
    c->srv->readbuf_busy = 0;
    if (nread == 0 || c->closed)
        return;
    if (c->discard && nread > 0) {
        c->discarded += (size_t)nread;
        if (c->discarded > (64u << 20))
            conn_close(c);
        return;
    }
    if (nread < 0) {
        /* EOF: the client may have half-closed after pipelining; answer what it sent */
        uv_read_stop(st);
        c->eof = 1;
        if (nread != UV_EOF && nread != UV_ECONNRESET)
            log_info("client %llu: read failed: %s", (unsigned long long)c->id, uv_strerror((int)nread));
        if (nread != UV_EOF || c->shutdown_sent) {
            conn_close(c);
            return;
        }
        conn_maybe_done(c);
        return;
    }
    c->last_ms = util_mono_ms();
    int overflow = rpc_framer_feed(&c->framer, buf->base, (size_t)nread) != 0;
    const char *line;
    size_t len;
    while (rpc_framer_next(&c->framer, &line, &len))
        handle_line(c, line, len);
    if (overflow || c->framer.overflow) {
        slot_t *sl = slot_push(c, 1, 0);
        if (sl)
            slot_fill(c, sl, 0, rpc_error(NULL, RPC_LINE_TOO_LONG,
                      "request line longer than 1 MiB; closing the connection", NULL));
        c->discard = 1;
        c->close_after_flush = 1;
    }
    process_queue(c);
    if (c->out.len + c->writing > OUT_HIGH || c->qlen > QUEUE_HIGH)
        pause_reading(c);
    conn_maybe_done(c);
}

/* ---- accept and listen --------------------------------------------------------------- */

static void connection_cb(uv_stream_t *ls, int status)
{
    server_t *s = ls->data;
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        log_err("out of memory accepting a client");
        return;
    }
    uv_pipe_init(s->d->loop, &c->pipe, 0);
    c->pipe.data = c;
    c->srv = s;
    c->refs = 1;
    c->id = ++s->next_conn_id;
    c->slots_tail = &c->slots;
    c->queue_tail = &c->queue;
    rpc_framer_init(&c->framer, RPC_MAX_LINE);
    buf_init(&c->out, 0);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    if (uv_accept(ls, (uv_stream_t *)&c->pipe) != 0) {
        conn_close(c);
        return;
    }
    c->last_ms = util_mono_ms();
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
        log_warn("client %llu: cannot tell its user (SO_PEERCRED); closed", (unsigned long long)c->id);
        conn_close(c);
        return;
    }
    c->uid = cred.uid;
    size_t same = 0;
    for (conn_t *o = s->conns; o; o = o->next)
        same += !o->closed && o->uid == c->uid;
    if (same > (size_t)s->d->cfg.max_clients_per_uid) {
        /* one user cannot take every descriptor: say why, then close */
        log_notice("client %llu: uid %u already holds %d connections (max_clients_per_uid); refused",
                   (unsigned long long)c->id, (unsigned)c->uid, s->d->cfg.max_clients_per_uid);
        char msg[256];
        snprintf(msg, sizeof msg, "uid %u already holds %d connections to linksnapd "
                 "(max_clients_per_uid); close some", (unsigned)c->uid, s->d->cfg.max_clients_per_uid);
        json_t *e = rpc_error(NULL, RPC_TOO_MANY_CLIENTS, msg, NULL);
        emit_json(c, e);
        json_decref(e);
        c->close_after_flush = 1;
        c->eof = 1;
        flush_out(c);
        conn_maybe_done(c);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb) != 0) {
        conn_close(c);
        return;
    }
}

/* Every idle_timeout/4: a client silent for idle_timeout with nothing owed is closed; a
 * subscriber silent for half of it is sent a ping (a notification without params, which
 * clients skip), so it stays while its peer reads. */
static void idle_cb(uv_timer_t *t)
{
    server_t *s = t->data;
    uint64_t now = util_mono_ms(), limit = (uint64_t)s->d->cfg.idle_timeout_s * 1000;
    static const char ping[] = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n";
    for (conn_t *c = s->conns; c; c = c->next) {
        if (c->closed || now - c->last_ms < (c->sub ? limit / 2 : limit))
            continue;
        if (c->sub) {
            c->last_ms = now;
            if (buf_append(&c->out, ping, sizeof ping - 1) == 0)
                flush_out(c);
            continue;
        }
        int busy = c->inflight || c->queue || c->slots || c->out.len || c->writing;
        if (busy)
            continue;
        log_info("client %llu: silent for %d s; closed (idle_timeout)", (unsigned long long)c->id,
                 s->d->cfg.idle_timeout_s);
        conn_close(c);
    }
}

/* A socket file at path: a live daemon (refuse), a dead one's leftover (remove), or not a
 * socket at all (refuse). */
static int claim_socket_path(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno)), -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket; remove it or choose --socket", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "another linksnapd is already listening on %s", path);
        return -1;
    }
    if (e == ECONNREFUSED || e == ENOENT) {
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
            return -1;
        }
        log_notice("removed stale socket %s", path);
        return 0;
    }
    snprintf(err, errlen, "cannot check socket %s: %s", path, strerror(e));
    return -1;
}

static void free_server_cb(uv_handle_t *h) { free(h->data); }

server_t *server_new(daemon_t *d, int listen_fd, char *err, size_t errlen)
{
    server_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->d = d;
    uv_pipe_init(d->loop, &s->listener, 0);
    s->listener.data = s;
    int rc;
    if (listen_fd >= 0) {
        rc = uv_pipe_open(&s->listener, listen_fd);
        if (rc) {
            snprintf(err, errlen, "cannot use the socket passed by systemd: %s", uv_strerror(rc));
            goto fail;
        }
    } else {
        const char *path = d->cfg.socket_path;
        if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            snprintf(err, errlen, "socket path too long (at most 107 bytes): %s", path);
            goto fail;
        }
        if (claim_socket_path(path, err, errlen) != 0)
            goto fail;
        mode_t old = umask(0117); /* the socket is born 0660 */
        rc = uv_pipe_bind(&s->listener, path);
        umask(old);
        if (rc) {
            snprintf(err, errlen, "cannot bind %s: %s", path, uv_strerror(rc));
            goto fail;
        }
        chmod(path, 0660);
        s->owns_path = 1;
    }
    rc = uv_listen((uv_stream_t *)&s->listener, 1024, connection_cb);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s: %s", d->cfg.socket_path, uv_strerror(rc));
        goto fail;
    }
    s->listening = 1;
    uv_timer_init(d->loop, &s->grace);
    s->grace.data = s;
    uv_timer_init(d->loop, &s->idle);
    s->idle.data = s;
    uint64_t every = (uint64_t)d->cfg.idle_timeout_s * 1000 / 4;
    uv_timer_start(&s->idle, idle_cb, every ? every : 250, every ? every : 250);
    return s;
fail:
    uv_close((uv_handle_t *)&s->listener, free_server_cb);
    return NULL;
}

static void server_handle_closed_cb(uv_handle_t *h)
{
    server_t *s = h->data;
    s->pending_handles--;
    maybe_finish(s);
}

static void maybe_finish(server_t *s)
{
    if (!s->closing || s->nconns > 0 || !s->closed_cb)
        return;
    if (!s->grace_closed) {
        s->grace_closed = 1;
        s->pending_handles += 2;
        uv_close((uv_handle_t *)&s->grace, server_handle_closed_cb);
        uv_close((uv_handle_t *)&s->idle, server_handle_closed_cb);
        return;
    }
    if (s->pending_handles > 0)
        return;
    void (*cb)(void *) = s->closed_cb;
    void *ud = s->closed_ud;
    s->closed_cb = NULL;
    free(s);
    cb(ud);
}

static void grace_cb(uv_timer_t *t)
{
    server_t *s = t->data;
    for (conn_t *c = s->conns; c; c = c->next)
        if (!c->closed)
            conn_close(c);
}

void server_close(server_t *s, void (*cb)(void *ud), void *ud)
{
    s->closing = 1;
    s->closed_cb = cb;
    s->closed_ud = ud;
    s->pending_handles = 1;
    uv_timer_stop(&s->idle);
    uv_close((uv_handle_t *)&s->listener, server_handle_closed_cb);
    if (s->owns_path) /* a socket passed by systemd stays systemd's */
        unlink(s->d->cfg.socket_path);
    uv_timer_start(&s->grace, grace_cb, GRACE_MS, 0);
    for (conn_t *c = s->conns; c; c = c->next) {
        if (c->closed)
            continue;
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->eof = 1;
        conn_maybe_done(c);
    }
    maybe_finish(s);
}

size_t server_client_count(const server_t *s) { return s->nconns; }
