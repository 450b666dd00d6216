/* jsonrpc.h -- JSON-RPC 2.0 over newline-delimited JSON, the wire contract: the error
 * codes, the line framer, message classification (request, notification, batch) and the
 * request, response and error objects. linksnapd and the client (client.c) both frame and
 * build their messages here; knows nothing of the store or the daemon. */
#ifndef LS_JSONRPC_H
#define LS_JSONRPC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RPC_MAX_LINE (1024 * 1024)   /* a request line over 1 MiB is refused */
#define RPC_MAX_BATCH 1000           /* elements in one batch */

/* ---- error codes: the wire contract (the -32000 range is ours; docs/protocol.md lists
 * every one). The daemon answers with them, clients compare against them. ---------------- */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_NOT_FOUND = -32001,        /* link, tag, snapshot, job or import id unknown */
    RPC_CONFLICT = -32002,         /* state does not allow it (cancel a finished job, ...) */
    RPC_STORE_BUSY = -32003,       /* the database stayed locked past busy_timeout */
    RPC_STORE_FAILED = -32004,     /* disk full, I/O error: nothing was written */
    RPC_LINE_TOO_LONG = -32005,    /* request line over 1 MiB: the connection is closed */
    RPC_SHUTTING_DOWN = -32006,    /* daemon is stopping: retry after it restarts */
    RPC_IO_ERROR = -32007,         /* a file the request named could not be read/written */
    RPC_UNAVAILABLE = -32008,      /* a subsystem is off or not ready (browser, http) */
    RPC_TOO_MANY_CLIENTS = -32009, /* this uid holds max_clients_per_uid connections already */
};

/* ---- framing ---------------------------------------------------------------------- */

/* Splits a byte stream into lines. Lines are handed out without the '\n' (and without a
 * trailing '\r'). A line longer than max_line puts the framer in the overflow state. */
typedef struct {
    buf_t in;
    size_t off;         /* start of the bytes not yet handed out */
    size_t scan;        /* bytes before this offset are known to hold no '\n' */
    size_t max_line;
    int overflow;
} rpc_framer_t;

void rpc_framer_init(rpc_framer_t *f, size_t max_line);
void rpc_framer_free(rpc_framer_t *f);
/* Appends received bytes. Returns 0, or -1 when the current line passed max_line (the
 * framer then refuses everything: the connection should answer and close). */
int rpc_framer_feed(rpc_framer_t *f, const char *data, size_t len);
/* Returns 1 and points *line and *len at the next complete line (valid until the next call to
 * rpc_framer_next or rpc_framer_feed), or 0 when no complete line is buffered. */
int rpc_framer_next(rpc_framer_t *f, const char **line, size_t *len);

/* ---- messages --------------------------------------------------------------------- */

typedef enum {
    RPC_MSG_REQUEST,        /* has an id: expects a response */
    RPC_MSG_NOTIFICATION,   /* no id: no response, ever */
    RPC_MSG_INVALID,        /* answer with err_code/err_msg and id (may be null) */
} rpc_msg_kind_t;

typedef struct {
    rpc_msg_kind_t kind;
    json_t *id;             /* borrowed from the parsed document; json null if unknown */
    const char *method;     /* borrowed */
    json_t *params;         /* borrowed; NULL when absent */
    int err_code;
    const char *err_msg;    /* static string */
} rpc_msg_t;

/* Parses one line into a JSON document. Returns the document (owned) or NULL with
 * RPC_PARSE_ERROR to answer with and a message in err (the caller answers with id null). */
json_t *rpc_parse_line(const char *line, size_t len, char *err, size_t errlen);

/* Classifies one element (the whole document, or one element of a batch). */
void rpc_classify(json_t *msg, rpc_msg_t *out);

/* ---- requests and responses ------------------------------------------------------- */

/* A request object (owned by the caller) with a numeric id; params is borrowed (NULL or
 * json null: none). */
json_t *rpc_request(int64_t id, const char *method, json_t *params);

/* Each returns a new object (owned by the caller). `id` is borrowed (copied by
 * reference); NULL means json null. result is stolen. data is stolen (may be NULL). */
json_t *rpc_result(json_t *id, json_t *result);
json_t *rpc_error(json_t *id, int code, const char *message, json_t *data);
json_t *rpc_notification(const char *method, json_t *params);   /* params stolen */

/* Serialises a message compactly, followed by '\n', onto out. Returns 0 or -1. */
int rpc_write(buf_t *out, const json_t *msg);

#endif
