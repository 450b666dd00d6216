/* client.h -- a blocking JSON-RPC client over the Unix socket, for the CLI, tests and
 * benchmarks: connect, call (one request or a pipelined list), and read notifications. */
#ifndef LS_CLIENT_H
#define LS_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

typedef struct {
    int fd;
    buf_t in;
    long next_id;
    char path[108];
    json_t *pending_events;   /* notifications read while waiting for a reply */
} client_t;

enum { CLIENT_OK = 0, CLIENT_ENOCONN = -1, CLIENT_EIO = -2, CLIENT_EPROTO = -3, CLIENT_ERPC = -4,
       CLIENT_ETIMEOUT = -5 };

/* Connects; CLIENT_ENOCONN when nothing listens on path (err says so). */
int client_connect(client_t *c, const char *path, char *err, size_t errlen);
void client_close(client_t *c);

/* One call. On CLIENT_OK *result is owned by the caller. On CLIENT_ERPC *error holds the
 * daemon's error object (owned). params is borrowed (NULL = none). */
int client_call(client_t *c, const char *method, json_t *params, json_t **result,
                json_t **error, char *err, size_t errlen);

/* Sends every request of `calls` (array of [method, params]) before reading; *replies
 * is an array of reply objects in order (owned). */
int client_pipeline(client_t *c, json_t *calls, json_t **replies, char *err, size_t errlen);

/* Next notification's params (owned), waiting up to timeout_ms (-1 = forever). */
int client_next_event(client_t *c, int timeout_ms, json_t **event, char *err, size_t errlen);

/* The default socket path: $LINKSNAP_SOCKET, else the system socket as root, else
 * $XDG_RUNTIME_DIR/linksnap.sock (or /tmp/linksnap-UID/...), falling back to the system
 * socket when only that one exists. */
void client_default_socket(char *out, size_t outlen);

#endif
