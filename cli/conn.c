/* conn.c -- the CLI's real connection to linksnapd: the blocking protocol client behind
 * the conn_ops_t table, connecting on first use. Knows the client; nothing of commands or
 * output. */
#include "conn.h"

#include <stdio.h>
#include <string.h>

static int ensure_connected(conn_socket_t *s, char *err, size_t errlen)
{
    if (s->connected)
        return CLIENT_OK;
    int rc = client_connect(&s->client, s->conn.path, err, errlen);
    if (rc == CLIENT_OK)
        s->connected = 1;
    return rc;
}

static int socket_call_cb(conn_t *c, const char *method, json_t *params, json_t **result,
                          json_t **error, char *err, size_t errlen)
{
    conn_socket_t *s = c->ctx;
    *result = NULL;
    if (error)
        *error = NULL;
    int rc = ensure_connected(s, err, errlen);
    return rc ? rc : client_call(&s->client, method, params, result, error, err, errlen);
}

static int socket_pipeline_cb(conn_t *c, json_t *calls, json_t **replies, char *err,
                              size_t errlen)
{
    conn_socket_t *s = c->ctx;
    *replies = NULL;
    int rc = ensure_connected(s, err, errlen);
    return rc ? rc : client_pipeline(&s->client, calls, replies, err, errlen);
}

static int socket_next_event_cb(conn_t *c, int timeout_ms, json_t **event, char *err,
                                size_t errlen)
{
    conn_socket_t *s = c->ctx;
    *event = NULL;
    int rc = ensure_connected(s, err, errlen);
    return rc ? rc : client_next_event(&s->client, timeout_ms, event, err, errlen);
}

static const conn_ops_t socket_ops = {
    .call_cb = socket_call_cb,
    .pipeline_cb = socket_pipeline_cb,
    .next_event_cb = socket_next_event_cb,
};

void conn_socket_init(conn_socket_t *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->client.fd = -1;
    s->conn.ops = &socket_ops;
    s->conn.ctx = s;
    snprintf(s->conn.path, sizeof s->conn.path, "%s", path);
}

void conn_socket_close(conn_socket_t *s)
{
    if (s->connected)
        client_close(&s->client);
    s->connected = 0;
}
