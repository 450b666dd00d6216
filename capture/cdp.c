/* cdp.c -- DevTools protocol over a libwebsockets client on a foreign libuv loop.
 * Outgoing messages wait in a queue and leave one per LWS_CALLBACK_CLIENT_WRITEABLE;
 * incoming fragments are appended to a capped buffer (geometric growth, so a 30 MB
 * screenshot reply costs linear copying) and parsed when the final fragment arrives.
 * No Origin header and no subprotocol: Chromium refuses a handshake with an Origin it was
 * not told to allow. */
#include "cdp.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

typedef struct pending {
    struct pending *next;
    long id;
    cdp_reply_cb cb;
    void *ud;
} pending_t;

typedef struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char data[];   /* LWS_PRE bytes of headroom, then the text */
} outmsg_t;

struct cdp_ctx {
    uv_loop_t *loop;
    struct lws_context *ctx;
};

struct cdp {
    uv_loop_t *loop;
    struct lws_context *ctx;
    struct lws *wsi;
    buf_t in;
    long next_id;
    pending_t *pending;
    outmsg_t *out, **out_tail;
    cdp_event_cb on_event;
    cdp_state_cb on_state;
    void *ud;
    int connected, closed, closing;
    int busy;              /* inside one of our lws callbacks: freeing must wait */
};

static void cdp_free(cdp_t *c)
{
    buf_free(&c->in);
    free(c);
}

static void fail_all(cdp_t *c, const char *why)
{
    while (c->pending) {
        pending_t *p = c->pending;
        c->pending = p->next;
        if (p->cb)
            p->cb(c, NULL, why, p->ud);
        free(p);
    }
    while (c->out) {
        outmsg_t *m = c->out;
        c->out = m->next;
        free(m);
    }
    c->out_tail = &c->out;
}

static void dispatch(cdp_t *c, const char *text, size_t len)
{
    json_error_t je;
    json_t *msg = json_loadb(text, len, 0, &je);
    if (!msg) {
        log_warn("cdp: unreadable message from the browser: %s", je.text);
        return;
    }
    json_t *id = json_object_get(msg, "id");
    if (json_is_integer(id)) {
        long want = (long)json_integer_value(id);
        for (pending_t **pp = &c->pending; *pp; pp = &(*pp)->next) {
            if ((*pp)->id != want)
                continue;
            pending_t *p = *pp;
            *pp = p->next;
            json_t *e = json_object_get(msg, "error");
            if (p->cb) {
                if (e) {
                    char why[512];
                    snprintf(why, sizeof why, "%s", json_string_value(json_object_get(e, "message"))
                             ? json_string_value(json_object_get(e, "message")) : "error");
                    p->cb(c, NULL, why, p->ud);
                } else {
                    json_t *r = json_object_get(msg, "result");
                    p->cb(c, r ? r : json_object(), NULL, p->ud);
                }
            }
            free(p);
            break;
        }
    } else if (json_is_string(json_object_get(msg, "method")) && c->on_event) {
        c->on_event(c, json_string_value(json_object_get(msg, "method")),
                    json_object_get(msg, "params"),
                    json_string_value(json_object_get(msg, "sessionId")), c->ud);
    }
    json_decref(msg);
}

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
        if (lws_is_first_fragment(wsi))
            buf_reset(&c->in);
        if (buf_append(&c->in, in, len) != 0) {
            log_err("cdp: a message from the browser passed %zu MiB; dropping the connection",
                    c->in.max >> 20);
            return -1;
        }
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            dispatch(c, c->in.data, c->in.len);
            if (!c->closing)
                buf_reset(&c->in);
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
            c->closed = 1;
            c->connected = 0;
            char why[300];
            snprintf(why, sizeof why, "DevTools connection %s%s%.200s",
                     reason == LWS_CALLBACK_CLIENT_CLOSED ? "closed" : "failed",
                     in && len ? ": " : "", in && len ? (const char *)in : "");
            fail_all(c, why);
            if (c->on_state)
                c->on_state(c, 0, why, c->ud);
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

cdp_ctx_t *cdp_ctx_new(uv_loop_t *loop, char *err, size_t errlen)
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
    info.options = LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = foreign;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    x->ctx = lws_create_context(&info);
    if (!x->ctx) {
        snprintf(err, errlen, "cannot create the websocket context (is libwebsockets-evlib-uv installed?)");
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

cdp_t *cdp_new(cdp_ctx_t *x, size_t max_message, cdp_event_cb on_event, cdp_state_cb on_state,
               void *ud, char *err, size_t errlen)
{
    cdp_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->loop = x->loop;
    c->ctx = x->ctx;
    c->on_event = on_event;
    c->on_state = on_state;
    c->ud = ud;
    c->next_id = 1;
    c->out_tail = &c->out;
    buf_init(&c->in, max_message ? max_message : (256u << 20));
    return c;
}

int cdp_connect(cdp_t *c, const char *host, int port, const char *path)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = host;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = NULL;            /* Chromium refuses unknown Origins */
    ci.protocol = NULL;          /* no subprotocol */
    ci.local_protocol_name = "cdp";
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
    if (c->closed || c->closing) {
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
    outmsg_t *m = text ? malloc(sizeof *m + LWS_PRE + n) : NULL;
    pending_t *p = malloc(sizeof *p);
    if (!text || !m || !p) {
        free(text);
        free(m);
        free(p);
        return -1;
    }
    memcpy(m->data + LWS_PRE, text, n);
    m->len = n;
    m->next = NULL;
    free(text);
    *c->out_tail = m;
    c->out_tail = &m->next;
    p->id = id;
    p->cb = cb;
    p->ud = ud;
    p->next = c->pending;
    c->pending = p;
    if (c->wsi && c->connected)
        lws_callback_on_writable(c->wsi);
    return id;
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
    if (c->wsi) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    if (!c->busy)
        cdp_free(c);
}
