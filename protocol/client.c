/* client.c -- blocking JSON-RPC client over a Unix stream socket. Lines in, lines out,
 * replies matched by id, notifications kept aside. Knows protocol/jsonrpc and sockets;
 * nothing of the daemon. */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jsonrpc.h"

#define SYSTEM_SOCKET "/run/linksnap/linksnap.sock"
#define MAX_REPLY (256u << 20)

void client_default_socket(char *out, size_t outlen)
{
    const char *env = getenv("LINKSNAP_SOCKET");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return;
    }
    if (geteuid() == 0) {
        snprintf(out, outlen, "%s", SYSTEM_SOCKET);
        return;
    }
    const char *xr = getenv("XDG_RUNTIME_DIR");
    if (xr && *xr)
        snprintf(out, outlen, "%s/linksnap.sock", xr);
    else
        snprintf(out, outlen, "/tmp/linksnap-%u/linksnap.sock", (unsigned)geteuid());
    struct stat st;
    if (stat(out, &st) != 0 && stat(SYSTEM_SOCKET, &st) == 0)
        snprintf(out, outlen, "%s", SYSTEM_SOCKET);   /* members of group linksnap */
}

int client_connect(client_t *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->next_id = 1;
    buf_init(&c->in, MAX_REPLY);
    snprintf(c->path, sizeof c->path, "%s", path);
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(err, errlen, "socket path too long: %s", path);
        return CLIENT_ENOCONN;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return CLIENT_EIO;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED)
            snprintf(err, errlen, "no linksnapd listening on %s (start it with `linksnapd` or "
                     "`systemctl start linksnapd`)", path);
        else
            snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
        return e == EACCES ? CLIENT_EIO : CLIENT_ENOCONN;
    }
    c->fd = fd;
    c->pending_events = json_array();
    return CLIENT_OK;
}

void client_close(client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
    json_decref(c->pending_events);
    c->pending_events = NULL;
}

static int send_all(client_t *c, const char *p, size_t n, char *err, size_t errlen)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot send to linksnapd: %s", strerror(errno));
            return CLIENT_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return CLIENT_OK;
}

/* Reads one JSON message (owned), waiting up to timeout_ms (-1 forever). */
static int read_msg(client_t *c, int timeout_ms, json_t **msg, char *err, size_t errlen)
{
    for (;;) {
        char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->in.data);
            json_error_t je;
            *msg = json_loadb(c->in.data, n, JSON_DECODE_ANY, &je);
            buf_consume(&c->in, n + 1);
            if (!*msg) {
                snprintf(err, errlen, "linksnapd sent invalid JSON: %s", je.text);
                return CLIENT_EPROTO;
            }
            return CLIENT_OK;
        }
        if (timeout_ms >= 0) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, timeout_ms);
            if (pr == 0) {
                snprintf(err, errlen, "timed out waiting for linksnapd");
                return CLIENT_ETIMEOUT;
            }
        }
        char tmp[65536];
        ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "linksnapd closed the connection%s%s", r < 0 ? ": " : "",
                     r < 0 ? strerror(errno) : "");
            return CLIENT_EIO;
        }
        if (buf_append(&c->in, tmp, (size_t)r) != 0) {
            snprintf(err, errlen, "reply from linksnapd too large");
            return CLIENT_EPROTO;
        }
    }
}

static int is_event(json_t *msg)
{
    return json_is_object(msg) && !json_object_get(msg, "id") &&
           json_is_string(json_object_get(msg, "method"));
}

/* Reads until a reply (non-notification) arrives. */
static int read_reply(client_t *c, json_t **reply, char *err, size_t errlen)
{
    for (;;) {
        json_t *m;
        int rc = read_msg(c, -1, &m, err, errlen);
        if (rc)
            return rc;
        if (is_event(m)) {
            json_array_append(c->pending_events, json_object_get(m, "params"));
            json_decref(m);
            continue;
        }
        *reply = m;
        return CLIENT_OK;
    }
}

static json_t *request(client_t *c, const char *method, json_t *params)
{
    json_t *r = json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", (json_int_t)c->next_id++,
                          "method", method);
    if (r && params)
        json_object_set(r, "params", params);
    return r;
}

int client_call(client_t *c, const char *method, json_t *params, json_t **result,
                json_t **error, char *err, size_t errlen)
{
    *result = NULL;
    if (error)
        *error = NULL;
    json_t *req = request(c, method, params);
    buf_t out;
    buf_init(&out, 0);
    if (!req || rpc_write(&out, req) != 0) {
        json_decref(req);
        buf_free(&out);
        snprintf(err, errlen, "out of memory");
        return CLIENT_EIO;
    }
    json_int_t id = json_integer_value(json_object_get(req, "id"));
    json_decref(req);
    int rc = send_all(c, out.data, out.len, err, errlen);
    buf_free(&out);
    if (rc)
        return rc;
    json_t *reply;
    if ((rc = read_reply(c, &reply, err, errlen)))
        return rc;
    if (json_integer_value(json_object_get(reply, "id")) != id) {
        json_t *e = json_object_get(reply, "error");
        snprintf(err, errlen, "%s", e ? json_string_value(json_object_get(e, "message"))
                                      : "reply for another request");
        json_decref(reply);
        return CLIENT_EPROTO;
    }
    json_t *e = json_object_get(reply, "error");
    if (e) {
        snprintf(err, errlen, "%s", json_string_value(json_object_get(e, "message")));
        if (error)
            *error = json_incref(e);
        json_decref(reply);
        return CLIENT_ERPC;
    }
    *result = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return CLIENT_OK;
}

int client_pipeline(client_t *c, json_t *calls, json_t **replies, char *err, size_t errlen)
{
    *replies = json_array();
    buf_t out;
    buf_init(&out, 0);
    size_t i;
    json_t *call;
    json_array_foreach(calls, i, call) {
        json_t *req = request(c, json_string_value(json_array_get(call, 0)), json_array_get(call, 1));
        if (!req || rpc_write(&out, req) != 0) {
            json_decref(req);
            buf_free(&out);
            snprintf(err, errlen, "out of memory");
            return CLIENT_EIO;
        }
        json_decref(req);
    }
    int rc = send_all(c, out.data, out.len, err, errlen);
    buf_free(&out);
    for (i = 0; rc == CLIENT_OK && i < json_array_size(calls); i++) {
        json_t *reply;
        if ((rc = read_reply(c, &reply, err, errlen)) == CLIENT_OK)
            json_array_append_new(*replies, reply);
    }
    return rc;
}

int client_next_event(client_t *c, int timeout_ms, json_t **event, char *err, size_t errlen)
{
    if (json_array_size(c->pending_events) > 0) {
        *event = json_incref(json_array_get(c->pending_events, 0));
        json_array_remove(c->pending_events, 0);
        return CLIENT_OK;
    }
    for (;;) {
        json_t *m;
        int rc = read_msg(c, timeout_ms, &m, err, errlen);
        if (rc)
            return rc;
        if (is_event(m)) {
            *event = json_incref(json_object_get(m, "params"));
            json_decref(m);
            return CLIENT_OK;
        }
        json_decref(m);   /* a stray reply: not what we wait for */
    }
}
