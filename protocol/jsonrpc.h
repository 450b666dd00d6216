/* jsonrpc.h -- JSON-RPC 2.0 over newline-delimited JSON: the line framer, message
 * classification (request, notification, batch) and the response/error objects.
 * Shared by linksnapd and its clients; knows nothing of the store or the daemon. */
#ifndef LS_JSONRPC_H
#define LS_JSONRPC_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

#define RPC_MAX_LINE (1024 * 1024)   /* a request line over 1 MiB is refused */
#define RPC_MAX_BATCH 1000           /* elements in one batch */

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
 * *err_code = -32700 and a message in err (the caller answers with id null). */
json_t *rpc_parse_line(const char *line, size_t len, char *err, size_t errlen);

/* Classifies one element (the whole document, or one element of a batch). */
void rpc_classify(json_t *msg, rpc_msg_t *out);

/* ---- responses -------------------------------------------------------------------- */

/* Each returns a new object (owned by the caller). `id` is borrowed (copied by
 * reference); NULL means json null. result is stolen. data is stolen (may be NULL). */
json_t *rpc_result(json_t *id, json_t *result);
json_t *rpc_error(json_t *id, int code, const char *message, json_t *data);
json_t *rpc_notification(const char *method, json_t *params);   /* params stolen */

/* Serialises a message compactly, followed by '\n', onto out. Returns 0 or -1. */
int rpc_write(buf_t *out, const json_t *msg);

#endif
