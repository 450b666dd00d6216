/* client.c -- blocking JSON-RPC client over a Unix stream socket: newline-delimited JSON
 * out and in through the protocol's codec (jsonrpc.h: the request builder, rpc_write and
 * the capped line framer), replies matched to requests by id, notifications kept aside
 * until asked for. Knows sockets and JSON-RPC; nothing of the daemon, the
 * store or the CLI's output. */
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

#include "util.h"

#define RECV_CHUNK 65536

/* ---- socket path --------------------------------------------------------------------- */

void client_socket_path(const char *env_socket, const char *xdg_runtime_dir, unsigned uid,
                        int (*exists_cb)(const char *path), char *out, size_t outlen)
{
    if (env_socket && *env_socket) {
        snprintf(out, outlen, "%s", env_socket);
        return;
    }
    if (uid == 0) {
        snprintf(out, outlen, "%s", CLIENT_SYSTEM_SOCKET);
        return;
    }
    if (xdg_runtime_dir && *xdg_runtime_dir)
        snprintf(out, outlen, "%s/linksnap.sock", xdg_runtime_dir);
    else
        snprintf(out, outlen, "/tmp/linksnap-%u/linksnap.sock", uid);
    /* members of group linksnap use the system service */
    if (!exists_cb(out) && exists_cb(CLIENT_SYSTEM_SOCKET))
        snprintf(out, outlen, "%s", CLIENT_SYSTEM_SOCKET);
}

static int path_exists_cb(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void client_default_socket(char *out, size_t outlen)
{
    client_socket_path(getenv("LINKSNAP_SOCKET"), getenv("XDG_RUNTIME_DIR"),
                       (unsigned)geteuid(), path_exists_cb, out, outlen);
}

/* ---- connection ---------------------------------------------------------------------- */

int client_connect(client_t *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->next_id = 1;
    rpc_framer_init(&c->in, CLIENT_MAX_LINE);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s",
                 strlen(path), sizeof sa.sun_path - 1, path);
        return CLIENT_EIO;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    /* the fallback /tmp/linksnap-UID: a socket there may be another user's trap */
    char derr[512];
    if (access(path, F_OK) == 0 && util_fallback_dir_check(path, 0, derr, sizeof derr) != 0) {
        snprintf(err, errlen, "refusing %s: %s", path, derr);
        return CLIENT_EIO;
    }
    c->events = json_array();
    if (!c->events) {
        snprintf(err, errlen, "out of memory");
        return CLIENT_ENOMEM;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
        goto fail;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) {
            snprintf(err, errlen, "no linksnapd listening on %s (start it with `linksnapd` or "
                     "`systemctl start linksnapd`)", path);
            json_decref(c->events);
            c->events = NULL;
            return CLIENT_ENOCONN;
        }
        if (e == EACCES || e == EPERM)
            snprintf(err, errlen, "cannot connect to %s: %s (the system socket is for "
                     "members of group linksnap)", path, strerror(e));
        else
            snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
        goto fail;
    }
    c->fd = fd;
    return CLIENT_OK;

fail:
    json_decref(c->events);
    c->events = NULL;
    return CLIENT_EIO;
}

void client_close(client_t *c)
{
    if (!c)
        return;
    if (c->events && c->fd >= 0)   /* only a connected client has both */
        close(c->fd);
    c->fd = -1;
    rpc_framer_free(&c->in);
    json_decref(c->events);
    c->events = NULL;
}

static int send_all(client_t *c, const char *p, size_t n, char *err, size_t errlen)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE || errno == ECONNRESET)
                snprintf(err, errlen, "linksnapd closed the connection");
            else
                snprintf(err, errlen, "cannot send to linksnapd: %s", strerror(errno));
            return CLIENT_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return CLIENT_OK;
}

/* Reads one JSON message (owned): the lines come from the protocol's own framer
 * (jsonrpc.h), capped at c->in.max_line. timeout_ms -1 waits forever; otherwise the whole
 * read must finish before the deadline. */
static int read_msg(client_t *c, int timeout_ms, json_t **msg, char *err, size_t errlen)
{
    uint64_t deadline = timeout_ms >= 0 ? util_mono_ms() + (uint64_t)timeout_ms : 0;
    for (;;) {
        const char *line;
        size_t n;
        if (rpc_framer_next(&c->in, &line, &n)) {
            json_error_t je;
            *msg = json_loadb(line, n, JSON_DECODE_ANY, &je);
            if (!*msg) {
                snprintf(err, errlen, "linksnapd sent a line that is not JSON: %s", je.text);
                return CLIENT_EPROTO;
            }
            return CLIENT_OK;
        }
        if (c->in.overflow) {
            snprintf(err, errlen, "a reply line from linksnapd is over %zu bytes",
                     c->in.max_line);
            return CLIENT_EPROTO;
        }
        if (timeout_ms >= 0) {
            uint64_t now = util_mono_ms();
            int left = now >= deadline ? 0 : (int)(deadline - now);
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, left);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0) {
                snprintf(err, errlen, "poll: %s", strerror(errno));
                return CLIENT_EIO;
            }
            if (pr == 0) {
                snprintf(err, errlen, "nothing from linksnapd for %d ms", timeout_ms);
                return CLIENT_ETIMEOUT;
            }
        }
        char chunk[RECV_CHUNK];
        ssize_t r = recv(c->fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "linksnapd closed the connection%s%s", r < 0 ? ": " : "",
                     r < 0 ? strerror(errno) : "");
            return CLIENT_EIO;
        }
        rpc_framer_feed(&c->in, chunk, (size_t)r);   /* overflow: reported above */
    }
}

static int is_notification(json_t *msg)
{
    return json_is_object(msg) && !json_object_get(msg, "id") &&
           json_is_string(json_object_get(msg, "method"));
}

/* Keeps a notification's params for client_next_event. Takes msg. */
static int keep_event(client_t *c, json_t *msg)
{
    json_t *params = json_object_get(msg, "params");
    int rc = json_is_object(params) ? json_array_append(c->events, params) : 0;
    json_decref(msg);
    return rc ? CLIENT_ENOMEM : CLIENT_OK;
}

/* Reads until a reply (not a notification) arrives; *reply owned. */
static int read_reply(client_t *c, json_t **reply, char *err, size_t errlen)
{
    for (;;) {
        json_t *m;
        int rc = read_msg(c, -1, &m, err, errlen);
        if (rc)
            return rc;
        if (!is_notification(m)) {
            if (!json_is_object(m) || (!json_object_get(m, "result") && !json_object_get(m, "error"))) {
                json_decref(m);
                snprintf(err, errlen, "linksnapd sent something that is not a JSON-RPC reply");
                return CLIENT_EPROTO;
            }
            *reply = m;
            return CLIENT_OK;
        }
        if ((rc = keep_event(c, m))) {
            snprintf(err, errlen, "out of memory");
            return rc;
        }
    }
}

static const char *error_message(json_t *error)
{
    const char *s = json_string_value(json_object_get(error, "message"));
    return s ? s : "linksnapd gave no message";
}

/* Appends one request line; returns 0 or -1 (out of memory). */
static int add_request(buf_t *out, int64_t id, const char *method, json_t *params)
{
    json_t *r = rpc_request(id, method, params);
    int rc = r ? rpc_write(out, r) : -1;
    json_decref(r);
    return rc;
}

int client_pipeline(client_t *c, json_t *calls, json_t **replies, char *err, size_t errlen)
{
    *replies = NULL;
    size_t n = json_array_size(calls);
    int64_t base = c->next_id;
    json_t *got = json_array();
    buf_t out;
    buf_init(&out, 0);
    int rc = CLIENT_ENOMEM;
    snprintf(err, errlen, "out of memory");
    if (!got)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *call = json_array_get(calls, i);
        const char *method = json_string_value(json_array_get(call, 0));
        if (!method || add_request(&out, base + (int64_t)i, method, json_array_get(call, 1)))
            goto fail;
        if (json_array_append_new(got, json_null()))
            goto fail;
    }
    c->next_id += (int64_t)n;
    if ((rc = send_all(c, out.data, out.len, err, errlen)))
        goto fail;
    for (size_t left = n; left > 0; left--) {
        json_t *reply;
        if ((rc = read_reply(c, &reply, err, errlen)))
            goto fail;
        json_t *id = json_object_get(reply, "id");
        json_int_t k = json_is_integer(id) ? json_integer_value(id) - base : -1;
        if (k < 0 || (size_t)k >= n || !json_is_null(json_array_get(got, (size_t)k))) {
            /* id null: the daemon could not read a request (the error says why) */
            json_t *e = json_object_get(reply, "error");
            snprintf(err, errlen, "%s", e ? error_message(e) : "linksnapd replied to a request not sent");
            json_decref(reply);
            rc = CLIENT_EPROTO;
            goto fail;
        }
        json_array_set_new(got, (size_t)k, reply);
    }
    buf_free(&out);
    *replies = got;
    err[0] = '\0';
    return CLIENT_OK;

fail:
    buf_free(&out);
    json_decref(got);
    return rc;
}

int client_call(client_t *c, const char *method, json_t *params, json_t **result,
                json_t **error, char *err, size_t errlen)
{
    *result = NULL;
    if (error)
        *error = NULL;
    json_t *calls = json_pack("[[s,O?]]", method, params);
    if (!calls) {
        snprintf(err, errlen, "out of memory");
        return CLIENT_ENOMEM;
    }
    json_t *replies;
    int rc = client_pipeline(c, calls, &replies, err, errlen);
    json_decref(calls);
    if (rc)
        return rc;
    json_t *reply = json_array_get(replies, 0);
    json_t *e = json_object_get(reply, "error");
    if (e) {
        snprintf(err, errlen, "%s", error_message(e));
        if (error)
            *error = json_incref(e);
        rc = CLIENT_ERPC;
    } else {
        *result = json_incref(json_object_get(reply, "result"));
    }
    json_decref(replies);
    return rc;
}

int client_next_event(client_t *c, int timeout_ms, json_t **event, char *err, size_t errlen)
{
    *event = NULL;
    if (json_array_size(c->events) > 0) {
        *event = json_incref(json_array_get(c->events, 0));
        json_array_remove(c->events, 0);
        return CLIENT_OK;
    }
    uint64_t deadline = timeout_ms >= 0 ? util_mono_ms() + (uint64_t)timeout_ms : 0;
    for (;;) {
        int left = -1;
        if (timeout_ms >= 0) {
            uint64_t now = util_mono_ms();
            left = now >= deadline ? 0 : (int)(deadline - now);
        }
        json_t *m;
        int rc = read_msg(c, left, &m, err, errlen);
        if (rc)
            return rc;
        if (is_notification(m) && json_is_object(json_object_get(m, "params"))) {
            *event = json_incref(json_object_get(m, "params"));
            json_decref(m);
            return CLIENT_OK;
        }
        json_decref(m);   /* a reply nobody waits for */
    }
}
