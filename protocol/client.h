/* client.h -- a blocking JSON-RPC 2.0 client over linksnapd's Unix socket, for the CLI,
 * tests and benchmarks: connect (with a clear message when nothing listens), one call or a
 * pipelined list of calls with replies matched by id, and notifications for --wait.
 *
 * Every function that can fail returns a CLIENT_* code and writes a sentence a user can
 * act on into err (errlen bytes). A client_t is used by one thread at a time. */
#ifndef LS_CLIENT_H
#define LS_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jsonrpc.h"

/* A reply line longer than this is refused (the daemon caps its own replies far below). */
#define CLIENT_MAX_LINE ((size_t)64 << 20)

typedef struct {
    int fd;               /* -1 when not connected */
    rpc_framer_t in;      /* received bytes not yet handed out; in.max_line caps a reply */
    int64_t next_id;
    json_t *events;       /* params of notifications read while waiting for replies; owned */
} client_t;

enum {
    CLIENT_OK = 0,
    CLIENT_ENOCONN = -1,   /* nothing listens on the socket (or it does not exist) */
    CLIENT_EIO = -2,       /* the connection failed or was closed, or permission denied */
    CLIENT_EPROTO = -3,    /* the daemon sent something that is not a JSON-RPC reply */
    CLIENT_ERPC = -4,      /* the daemon answered with an error object */
    CLIENT_ETIMEOUT = -5,  /* nothing arrived within the timeout */
    CLIENT_ENOMEM = -6,
};

/* Connects to the socket at path. On failure the client is left closed (client_close is
 * still fine to call). */
int client_connect(client_t *c, const char *path, char *err, size_t errlen);
/* Closes and frees; accepts a zeroed or already closed client. */
void client_close(client_t *c);

/* One call. params is borrowed (NULL: none). On CLIENT_OK *result is owned by the caller.
 * On CLIENT_ERPC *error (when error is not NULL) is the daemon's error object, owned, and
 * err holds its message. */
int client_call(client_t *c, const char *method, json_t *params, json_t **result,
                json_t **error, char *err, size_t errlen);

/* Sends every call of `calls` (an array of [method, params-or-null], borrowed) before
 * reading any reply. On CLIENT_OK *replies (owned) holds one reply object per call, in the
 * order of `calls` whatever order they arrived in; each has "result" or "error". */
int client_pipeline(client_t *c, json_t *calls, json_t **replies, char *err, size_t errlen);

/* The params of the next notification (owned), waiting up to timeout_ms (-1: forever).
 * Replies to nothing pending are dropped. CLIENT_ETIMEOUT when none came in time. */
int client_next_event(client_t *c, int timeout_ms, json_t **event, char *err, size_t errlen);

/* The socket rule shared with linksnapd, as a pure function: env_socket (LINKSNAP_SOCKET)
 * when set, else the system socket for uid 0, else $XDG_RUNTIME_DIR/linksnap.sock
 * (/tmp/linksnap-UID/linksnap.sock without XDG_RUNTIME_DIR); a user whose own socket does
 * not exist while the system one does gets the system one. exists_cb says whether a path
 * exists. */
#define CLIENT_SYSTEM_SOCKET "/run/linksnap/linksnap.sock"
void client_socket_path(const char *env_socket, const char *xdg_runtime_dir, unsigned uid,
                        int (*exists_cb)(const char *path), char *out, size_t outlen);
/* The same with the real environment, uid and file system. */
void client_default_socket(char *out, size_t outlen);

#endif
