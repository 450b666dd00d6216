/* conn.h -- how the CLI's commands reach linksnapd: a small table of functions (call,
 * pipeline, next event) so the commands never see sockets, and unit tests can put a
 * scripted fake daemon in place of the real one. The real connection is opened on first
 * use, so `linksnap --help` and usage errors never touch the socket. */
#ifndef LS_CONN_H
#define LS_CONN_H

#include <jansson.h>
#include <stddef.h>

#include "client.h"

typedef struct conn conn_t;

/* Each returns a CLIENT_* code with the same contract as the client_* function of the
 * same name (client.h): results and replies are owned by the caller, params borrowed. */
typedef struct {
    int (*call_cb)(conn_t *c, const char *method, json_t *params, json_t **result,
                   json_t **error, char *err, size_t errlen);
    int (*pipeline_cb)(conn_t *c, json_t *calls, json_t **replies, char *err, size_t errlen);
    int (*next_event_cb)(conn_t *c, int timeout_ms, json_t **event, char *err, size_t errlen);
} conn_ops_t;

struct conn {
    const conn_ops_t *ops;
    char path[1024];      /* socket path; set before the first call */
    void *ctx;            /* the implementation's own state */
};

/* The real connection over the Unix socket at path (connects lazily). */
typedef struct {
    conn_t conn;
    client_t client;
    int connected;
} conn_socket_t;

void conn_socket_init(conn_socket_t *s, const char *path);
void conn_socket_close(conn_socket_t *s);

static inline int conn_call(conn_t *c, const char *method, json_t *params, json_t **result,
                            json_t **error, char *err, size_t errlen)
{
    return c->ops->call_cb(c, method, params, result, error, err, errlen);
}

static inline int conn_pipeline(conn_t *c, json_t *calls, json_t **replies, char *err,
                                size_t errlen)
{
    return c->ops->pipeline_cb(c, calls, replies, err, errlen);
}

static inline int conn_next_event(conn_t *c, int timeout_ms, json_t **event, char *err,
                                  size_t errlen)
{
    return c->ops->next_event_cb(c, timeout_ms, event, err, errlen);
}

#endif
