/* cdp.c -- the DevTools protocol client: one message layer (ids, pending replies, events,
 * the capped assembly buffer) under two transports.
 *   - Pipe: two uv_pipe_t on the loop; each message is a JSON text ended by a NUL byte,
 *     cut out by cdpframe.c. Reads land directly in its buffer (a 40 MB screenshot reply
 *     is not copied again), writes are queued by libuv in order.
 *   - Websocket: a libwebsockets client on a foreign libuv loop; outgoing messages wait in
 *     a queue and leave one per LWS_CALLBACK_CLIENT_WRITEABLE; incoming fragments are
 *     appended and parsed when the final fragment arrives. No Origin header and no
 *     subprotocol (Chromium refuses an Origin it was not told to allow); TLS and a bearer
 *     token for remote browsers.
 * A message over the cap (max_message) or one that is not JSON costs only itself on either
 * transport: it is dropped, and the command it answers (when its id can be read) fails with
 * the reason; the connection stays up. */
#include "cdp.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cdpframe.h"
#include "log.h"

#define PIPE_READ_CHUNK (256u << 10)   /* free room offered to each pipe read */

typedef struct pending {
    struct pending *next;
    long id;
    char method[48];        /* for the sentence when its reply is dropped */
    cdp_reply_cb cb;
    void *ud;
} pending_t;

typedef struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char data[];   /* LWS_PRE bytes of headroom, then the text */
} outmsg_t;

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
    cdp_t *c;
    char data[];            /* the text and its NUL */
} pipe_write_t;

struct cdp_ctx {
    uv_loop_t *loop;
    struct lws_context *ctx;
};

typedef enum { T_NONE, T_WS, T_PIPE } transport_t;

struct cdp {
    uv_loop_t *loop;
    struct lws_context *ctx;
    transport_t transport;
    /* websocket */
    struct lws *wsi;
    outmsg_t *out, **out_tail;
    char auth[600];         /* "Bearer <token>" or "" */
    int busy;               /* inside one of our lws callbacks: freeing must wait */
    /* pipe */
    uv_pipe_t wpipe, rpipe;
    int pipes_open;         /* handles initialised and not yet closed */
    int pipes_closing;
    /* message layer */
    cdpframe_t frame;       /* the pipe's */
    buf_t in;               /* the websocket's: one message from its fragments */
    size_t max_message;
    int ws_dropping;        /* the websocket message being received is over the cap */
    uint64_t ws_drop_len;
    long ws_drop_id;
    long next_id;
    pending_t *pending;
    cdp_event_cb on_event;
    cdp_state_cb on_state;
    void *ud;
    int connected, closed, closing;
};

static void cdp_free(cdp_t *c)
{
    buf_free(&c->in);
    cdpframe_free(&c->frame);
    memset(c->auth, 0, sizeof c->auth);
    free(c);
}

/* Answers a pending command with an error and frees it (p may be NULL). */
static void pending_fail(cdp_t *c, pending_t *p, const char *why)
{
    if (p && p->cb)
        p->cb(c, NULL, why, p->ud);
    free(p);
}

static void fail_all(cdp_t *c, const char *why)
{
    while (c->pending) {
        pending_t *p = c->pending;
        c->pending = p->next;
        pending_fail(c, p, why);
    }
    while (c->out) {
        outmsg_t *m = c->out;
        c->out = m->next;
        free(m);
    }
    c->out_tail = &c->out;
}

/* ---- the message layer ---------------------------------------------------------------- */

/* The pending command with this id, taken off the list (the caller answers and frees it);
 * NULL when none waits for it (id -1: not known). */
static pending_t *pending_take(cdp_t *c, long id)
{
    for (pending_t **pp = &c->pending; id >= 0 && *pp; pp = &(*pp)->next) {
        if ((*pp)->id != id)
            continue;
        pending_t *p = *pp;
        *pp = p->next;
        return p;
    }
    return NULL;
}

/* A message that is not JSON: when it starts as a reply does ({"id":N,...), the command
 * it answers fails now, naming why, rather than waiting for its deadline; anything else
 * (an event, a reply whose id cannot be read) is logged and dropped. */
static void unreadable(cdp_t *c, const char *text, size_t len, const char *why)
{
    pending_t *p = pending_take(c, cdpframe_peek_id(text, len));
    if (!p) {
        log_warn("cdp: dropped an unreadable message from the browser (%zu bytes): %s", len, why);
        return;
    }
    char msg[400];
    snprintf(msg, sizeof msg, "the browser's reply to %s could not be read (%s); it was "
             "dropped (the connection stays up)", p->method, why);
    log_warn("cdp: %s", msg);
    pending_fail(c, p, msg);
}

static void dispatch(cdp_t *c, const char *text, size_t len)
{
    json_error_t je;
    json_t *msg = json_loadb(text, len, 0, &je);
    if (!msg) {
        unreadable(c, text, len, je.text);
        return;
    }
    json_t *id = json_object_get(msg, "id");
    if (json_is_integer(id)) {
        pending_t *p = pending_take(c, (long)json_integer_value(id));
        json_t *e = json_object_get(msg, "error");
        if (p && p->cb) {
            if (e) {
                char why[512];
                const char *m = json_string_value(json_object_get(e, "message"));
                snprintf(why, sizeof why, "%s", m ? m : "error");
                p->cb(c, NULL, why, p->ud);
            } else {
                json_t *r = json_object_get(msg, "result");
                p->cb(c, r ? r : json_object(), NULL, p->ud);
            }
        }
        free(p);
    } else if (json_is_string(json_object_get(msg, "method")) && c->on_event) {
        c->on_event(c, json_string_value(json_object_get(msg, "method")),
                    json_object_get(msg, "params"),
                    json_string_value(json_object_get(msg, "sessionId")), c->ud);
    }
    json_decref(msg);
}

/* A message over the cap was dropped: the command it answers (id, -1 = an event or an
 * unknown one) fails with the reason; the connection goes on. */
static void dropped(cdp_t *c, long id, uint64_t len)
{
    pending_t *p = pending_take(c, id);
    if (p) {
        char why[300];
        snprintf(why, sizeof why, "the browser's reply to %s was %.1f MiB, over the %zu MiB a "
                 "message may have; it was dropped (the connection stays up)", p->method,
                 (double)len / 1048576.0, c->max_message >> 20);
        log_warn("cdp: %s", why);
        pending_fail(c, p, why);
        return;
    }
    log_warn("cdp: dropped a %.1f MiB message from the browser (over the %zu MiB cap)%s",
             (double)len / 1048576.0, c->max_message >> 20, id >= 0 ? " answering no pending command" : "");
}

/* The connection ended (not by cdp_close): every pending command fails, the owner hears. */
static void lost(cdp_t *c, const char *why)
{
    if (c->closed)
        return;
    c->closed = 1;
    c->connected = 0;
    fail_all(c, why);
    if (c->on_state)
        c->on_state(c, 0, why, c->ud);
}

/* A screenshot leaves tens of MB behind: give them back, keep small buffers. */
static void in_trim(cdp_t *c)
{
    if (c->in.len == 0 && c->in.cap > (1u << 20))
        buf_free(&c->in);
    cdpframe_trim(&c->frame);
}

/* ---- pipe transport ------------------------------------------------------------------- */

static void maybe_free_pipe(cdp_t *c)
{
    if (c->closing && c->pipes_open == 0 && c->busy == 0)
        cdp_free(c);
}

static void pipe_closed_cb(uv_handle_t *h)
{
    cdp_t *c = h->data;
    c->pipes_open--;
    maybe_free_pipe(c);
}

static void pipes_close(cdp_t *c)
{
    if (c->pipes_closing)
        return;
    c->pipes_closing = 1;
    uv_close((uv_handle_t *)&c->wpipe, pipe_closed_cb);
    uv_close((uv_handle_t *)&c->rpipe, pipe_closed_cb);
}

static void pipe_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    cdp_t *c = h->data;
    (void)suggested;
    size_t room = 0;
    char *at = cdpframe_room(&c->frame, PIPE_READ_CHUNK, &room);
    *buf = at ? uv_buf_init(at, (unsigned)room) : uv_buf_init(NULL, 0);   /* NULL: UV_ENOBUFS */
}

static int pipe_msg_cb(const char *text, size_t len, void *ud)
{
    cdp_t *c = ud;
    dispatch(c, text, len);
    return c->closing;
}

static int pipe_drop_cb(long id, uint64_t len, void *ud)
{
    cdp_t *c = ud;
    dropped(c, id, len);
    return c->closing;
}

static void pipe_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    cdp_t *c = st->data;
    (void)buf;
    if (nread == 0 || c->closing)
        return;
    if (nread < 0) {
        char why[200];
        if (nread == UV_EOF)
            snprintf(why, sizeof why, "DevTools pipe closed by the browser");
        else if (nread == UV_ENOBUFS)
            snprintf(why, sizeof why, "out of memory reading from the browser");
        else
            snprintf(why, sizeof why, "DevTools pipe: %s", uv_strerror((int)nread));
        if (nread != UV_EOF)
            log_err("cdp: %s", why);
        uv_read_stop(st);
        lost(c, why);
        return;
    }
    c->busy++;
    int rc = cdpframe_commit(&c->frame, (size_t)nread, pipe_msg_cb, pipe_drop_cb, c);
    c->busy--;
    if (c->closing) {
        maybe_free_pipe(c);
        return;
    }
    if (rc < 0) {
        uv_read_stop(st);
        lost(c, "out of memory reading from the browser");
        return;
    }
    in_trim(c);
}

static void pipe_write_cb(uv_write_t *req, int status)
{
    pipe_write_t *w = req->data;
    cdp_t *c = w->c;
    free(w);
    if (status < 0 && status != UV_ECANCELED && !c->closing) {
        char why[160];
        snprintf(why, sizeof why, "DevTools pipe: cannot write: %s", uv_strerror(status));
        lost(c, why);
    }
}

int cdp_open_pipe(cdp_t *c, int to_browser, int from_browser)
{
    int rc;
    c->transport = T_PIPE;
    c->closed = 1;   /* until both ends are open and read */
    /* both handles are initialised before anything can fail, so cdp_close closes both */
    if ((rc = uv_pipe_init(c->loop, &c->wpipe, 0)) != 0 ||
        (rc = uv_pipe_init(c->loop, &c->rpipe, 0)) != 0) {
        /* uv_pipe_init cannot fail for a non-IPC pipe; if it ever did, nothing is open */
        c->pipes_closing = 1;
        close(to_browser);
        close(from_browser);
        return rc;
    }
    c->wpipe.data = c->rpipe.data = c;
    c->pipes_open = 2;
    if ((rc = uv_pipe_open(&c->wpipe, to_browser)) != 0) {
        close(to_browser);
        close(from_browser);
        return rc;
    }
    if ((rc = uv_pipe_open(&c->rpipe, from_browser)) != 0) {
        close(from_browser);
        return rc;
    }
    if ((rc = uv_read_start((uv_stream_t *)&c->rpipe, pipe_alloc_cb, pipe_read_cb)) != 0)
        return rc;
    c->closed = 0;
    c->connected = 1;
    return 0;
}

static int pipe_send(cdp_t *c, const char *text, size_t n)
{
    pipe_write_t *w = malloc(sizeof *w + n + 1);
    if (!w)
        return -1;
    memcpy(w->data, text, n);
    w->data[n] = '\0';     /* the frame's end */
    w->c = c;
    w->req.data = w;
    w->buf = uv_buf_init(w->data, (unsigned)(n + 1));
    if (uv_write(&w->req, (uv_stream_t *)&c->wpipe, &w->buf, 1, pipe_write_cb) != 0) {
        free(w);
        return -1;
    }
    return 0;
}

/* ---- websocket transport -------------------------------------------------------------- */

static int lws_cb_inner(cdp_t *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                        size_t len);

static int lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    cdp_t *c = lws_get_opaque_user_data(wsi);
    (void)user;
    if (!c)
        return lws_cb_inner(NULL, wsi, reason, in, len);
    c->busy++;
    int rc = lws_cb_inner(c, wsi, reason, in, len);
    if (--c->busy == 0 && c->closing) {   /* closed by our own caller during the callback */
        lws_set_opaque_user_data(wsi, NULL);   /* lws may call back for this wsi again */
        cdp_free(c);
        return -1;
    }
    return rc;
}

static int lws_cb_inner(cdp_t *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                        size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!c || !c->auth[0])
            return 0;
        unsigned char **p = (unsigned char **)in, *end = *p + len;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                         (const unsigned char *)c->auth, (int)strlen(c->auth), p, end))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            return -1;
        c->connected = 1;
        if (c->out)
            lws_callback_on_writable(wsi);
        if (c->on_state)
            c->on_state(c, 1, NULL, c->ud);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c)
            return -1;
        if (lws_is_first_fragment(wsi)) {
            buf_reset(&c->in);
            c->ws_dropping = 0;
            c->ws_drop_len = 0;
        }
        if (c->ws_dropping) {
            c->ws_drop_len += len;
        } else if (buf_append(&c->in, in, len) != 0) {
            if (c->in.len + len <= c->in.max)
                return -1;   /* out of memory */
            /* over the cap: counted, not kept; its command fails once it has all come */
            c->ws_dropping = 1;
            c->ws_drop_id = cdpframe_peek_id(c->in.len ? c->in.data : in, c->in.len ? c->in.len : len);
            c->ws_drop_len = c->in.len + len;
            buf_free(&c->in);
        }
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            if (c->ws_dropping) {
                c->ws_dropping = 0;
                dropped(c, c->ws_drop_id, c->ws_drop_len);
            } else {
                dispatch(c, c->in.data, c->in.len);
            }
            if (!c->closing) {
                buf_reset(&c->in);
                in_trim(c);
            }
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!c || !c->out)
            return 0;
        outmsg_t *m = c->out;
        c->out = m->next;
        if (!c->out)
            c->out_tail = &c->out;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        free(m);
        if (n < 0)
            return -1;
        if (c->out)
            lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c)
            return 0;
        c->wsi = NULL;
        if (!c->closed) {
            char why[300];
            snprintf(why, sizeof why, "DevTools connection %s%s%.200s",
                     reason == LWS_CALLBACK_CLIENT_CLOSED ? "closed" : "failed",
                     in && len ? ": " : "", in && len ? (const char *)in : "");
            lost(c, why);
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"cdp", lws_cb, 0, 1 << 20, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

cdp_ctx_t *cdp_ctx_new(uv_loop_t *loop, const char *ca_file, char *err, size_t errlen)
{
    cdp_ctx_t *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->loop = loop;
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *foreign[1] = {loop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = foreign;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    if (ca_file && *ca_file)
        info.client_ssl_ca_filepath = ca_file;
    x->ctx = lws_create_context(&info);
    if (!x->ctx) {
        snprintf(err, errlen, "cannot create the websocket context (is libwebsockets-evlib-uv "
                 "installed%s?)", ca_file && *ca_file ? ", is browser.ca_file a readable PEM file" : "");
        free(x);
        return NULL;
    }
    return x;
}

void cdp_ctx_destroy_begin(cdp_ctx_t *x)
{
    if (x)
        lws_context_destroy(x->ctx);
}

void cdp_ctx_destroy_finish(cdp_ctx_t *x)
{
    if (!x)
        return;
    lws_context_destroy(x->ctx);
    free(x);
}

cdp_t *cdp_new(uv_loop_t *loop, cdp_ctx_t *x, size_t max_message, cdp_event_cb on_event,
               cdp_state_cb on_state, void *ud, char *err, size_t errlen)
{
    cdp_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->loop = loop;
    c->ctx = x ? x->ctx : NULL;
    c->on_event = on_event;
    c->on_state = on_state;
    c->ud = ud;
    c->next_id = 1;
    c->out_tail = &c->out;
    c->max_message = max_message ? max_message : ((size_t)256 << 20);
    buf_init(&c->in, c->max_message);
    cdpframe_init(&c->frame, c->max_message);
    return c;
}

int cdp_connect(cdp_t *c, const cdp_ws_target_t *t)
{
    c->transport = T_WS;
    if (!c->ctx) {
        c->closed = 1;
        return -1;
    }
    if (t->token && *t->token)
        snprintf(c->auth, sizeof c->auth, "Bearer %s", t->token);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = t->host;
    ci.port = t->port;
    ci.path = t->path;
    ci.host = t->host;
    ci.origin = NULL;            /* Chromium refuses unknown Origins */
    ci.protocol = NULL;          /* no subprotocol */
    ci.local_protocol_name = "cdp";
    ci.ssl_connection = t->tls ? LCCSCF_USE_SSL : 0;
    ci.pwsi = &c->wsi;
    ci.opaque_user_data = c;
    if (!lws_client_connect_via_info(&ci)) {
        c->closed = 1;
        return -1;
    }
    return 0;
}

long cdp_send(cdp_t *c, const char *method, json_t *params, const char *session,
              cdp_reply_cb cb, void *ud)
{
    if (c->closed || c->closing || c->transport == T_NONE) {
        json_decref(params);
        return -1;
    }
    long id = c->next_id++;
    json_t *msg = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "method", method,
                            "params", params ? params : json_object());
    if (msg && session)
        json_object_set_new(msg, "sessionId", json_string(session));
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    size_t n = text ? strlen(text) : 0;
    pending_t *p = malloc(sizeof *p);
    if (!text || !p)
        goto fail;
    if (c->transport == T_PIPE) {
        if (pipe_send(c, text, n) != 0)
            goto fail;
    } else {
        outmsg_t *m = malloc(sizeof *m + LWS_PRE + n);
        if (!m)
            goto fail;
        memcpy(m->data + LWS_PRE, text, n);
        m->len = n;
        m->next = NULL;
        *c->out_tail = m;
        c->out_tail = &m->next;
        if (c->wsi && c->connected)
            lws_callback_on_writable(c->wsi);
    }
    free(text);
    p->id = id;
    snprintf(p->method, sizeof p->method, "%s", method);
    p->cb = cb;
    p->ud = ud;
    p->next = c->pending;
    c->pending = p;
    return id;
fail:
    free(text);
    free(p);
    return -1;
}

int cdp_is_closed(const cdp_t *c) { return c->closed; }

void cdp_close(cdp_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    fail_all(c, "DevTools connection closed by linksnapd");
    c->on_state = NULL;
    c->on_event = NULL;
    if (c->transport == T_PIPE) {
        /* closing our write end is also what makes the browser exit by itself */
        pipes_close(c);
        maybe_free_pipe(c);
        return;
    }
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    if (!c->busy)
        cdp_free(c);
}
