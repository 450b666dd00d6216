/* method.h -- the contract between the daemon core and the JSON-RPC method handlers.
 *
 * A handler is a plain function that reads `call->params` and either sets `call->result`
 * or calls method_fail(). It never touches the loop, sockets or other clients, so the core
 * can run it wherever its kind says:
 *
 *   METHOD_READ   on the loop thread with the loop's read connection (fast, bounded
 *                 queries only: a few ms at most on a million links);
 *   METHOD_WRITE  on the writer thread inside the current group-commit transaction, with
 *                 the writer connection. The core wraps each call in a SAVEPOINT: if the
 *                 handler fails, its changes are rolled back and the others still commit.
 *                 The reply is sent only after COMMIT returned;
 *   METHOD_HEAVY  on a libuv thread-pool thread with a read connection of its own
 *                 (long queries, chart renders);
 *   METHOD_LOOP   on the loop thread with access to the daemon (`call->daemon`) for
 *                 methods that are about the daemon itself (status, subscribe, cancel);
 *                 no store writes here.
 *
 * Events a handler wants published (link.added, tag.renamed, ...) are appended to
 * `call->events` with method_emit(); the core publishes them on the loop after the
 * commit succeeded, in order. Handlers own nothing after they return: result and events
 * are handed to the core. */
#ifndef LS_METHOD_H
#define LS_METHOD_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "jsonrpc.h"
#include "store.h"

struct daemon;
struct config;

typedef enum { METHOD_READ, METHOD_WRITE, METHOD_HEAVY, METHOD_LOOP } method_kind_t;

typedef struct method_call {
    const char *method;            /* borrowed */
    json_t *params;                /* the handler borrows it (the core holds a reference);
                                      never NULL (an empty object if absent) */
    store_t *db;                   /* the connection for this kind (see above) */
    const struct config *cfg;      /* borrowed, read-only for handlers; but a SIGHUP
                                      reload rewrites some fields on the loop (main.c):
                                      a handler off the loop reads only the ones it
                                      leaves alone, and what it needs of the others is
                                      copied in below at dispatch */
    struct daemon *daemon;         /* only for METHOD_LOOP; NULL otherwise */
    int64_t now_ms;                /* wall clock when the call started */
    /* the fleet's endpoint names as the settings had them when the call started, copied
     * by dispatch_run on the loop for a method whose table entry asks (.endpoint_names):
     * site.set checks a rule's "endpoints" against them on the writer, while a reload may
     * replace cfg->endpoints; 0 names for every other method */
    char endpoint_names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    int nendpoint_names;

    /* outputs */
    json_t *result;                /* owned by the call once set */
    int err_code;                  /* 0 = success */
    char err_msg[512];
    json_t *err_data;              /* optional, owned */
    json_t *events;                /* array of {topic, ...}; owned; created on demand */
    json_t *handoff;               /* owned; what a handler passes to its `after` hook */

    /* where the call came from and what its prepare hook opened */
    int via_http;                  /* POST /rpc: no method may name a server path */
    int has_fd;                    /* fd is open and owned by the call; dispatch closes */
    int fd;                        /* it after the `after` hook unless the hook took it */
} method_call_t;

typedef int (*method_fn)(method_call_t *call);

/* Runs on the loop after the call succeeded (after COMMIT for writes), before the reply
 * leaves: for work that must start only once the call's rows exist (an import's reader).
 * May turn the reply into an error with method_fail. */
typedef void (*method_after_fn)(method_call_t *call, struct daemon *d);

/* Runs on a thread-pool thread before a WRITE call reaches the writer, with no store
 * connection: for work that may block (opening a file a client named), which must never
 * stall the writer's transaction. Fails the call with method_fail, or leaves what it
 * opened in call->fd / has_fd for the handler and the `after` hook. */
typedef int (*method_prepare_fn)(method_call_t *call);

/* One method. Tables use designated initialisers: what is not named is NULL. */
typedef struct {
    const char *name;
    method_fn fn;
    method_kind_t kind;
    method_after_fn after;         /* optional */
    method_prepare_fn prepare;     /* optional; WRITE methods only */
    int endpoint_names;            /* 1: dispatch copies the fleet's endpoint names into the
                                      call (call->endpoint_names), for a handler off the loop */
} method_def_t;

/* Drops what a finished call holds -- the core's reference to params, the result, the
 * error data, the events and the handoff -- and zeroes it. fd is not closed (dispatch
 * closes it when the `after` hook did not take it). */
void method_call_clear(method_call_t *call);

/* Sets the error (printf-style message) and returns -1, so handlers can
 * `return method_fail(call, RPC_INVALID_PARAMS, "tags: expected an array");` */
int method_fail(method_call_t *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Both set `error.data` to {code, params} (docs/protocol.md, "Error codes"): method_fail
 * finds the code of its sentence in protocol/errcode.c's table (no data when it has none);
 * method_fail_code names it (params stolen; NULL: none). */
int method_fail_code(method_call_t *call, int code, const char *ecode, json_t *params,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Appends an event {topic, ...fields of `fields`}; takes ownership of `fields` (may be
 * NULL). Returns 0 or -1 on allocation failure. */
int method_emit(method_call_t *call, const char *topic, json_t *fields);
/* Translates a store error (negative return of a store_* function) into the right RPC
 * error with the store's message. Always returns -1. */
int method_fail_store(method_call_t *call, int store_rc, const char *what);

/* ---- parameter helpers: each returns 0, or fails the call with -32602 naming the param
 * and returns -1. `required` distinguishes absent-is-ok from absent-is-error. ---- */
int param_string(method_call_t *call, const char *name, int required, const char **out);
int param_int(method_call_t *call, const char *name, int required, int64_t min, int64_t max,
              int64_t *out);
int param_bool(method_call_t *call, const char *name, int required, int *out);
/* An array of strings (a single string is accepted as a one-element array). The returned
 * array is borrowed from params. */
int param_string_array(method_call_t *call, const char *name, int required, json_t **out);
/* The same as a C array of borrowed strings (*out malloc'ed, free it; NULL when absent). */
int param_strv(method_call_t *call, const char *name, int required, const char ***out,
               size_t *n);
/* Fails with -32602 if params has a key not in the NULL-terminated list. */
int param_reject_unknown(method_call_t *call, const char *const *known);

/* The link filter shared by link.list and tag.apply (daemon/methods_link.c): reads
 * tags_all, tags_any, tags_none, untagged and q from call->params into f. bufs holds three
 * arrays the caller frees (f borrows them and the strings of params). Returns 0, or fails
 * the call with -32602 and returns -1. */
int methods_parse_filter(method_call_t *call, store_filter_t *f, const char ***bufs);
/* The same filter given as an object under params[key] (tag.apply's and snapshot.request's
 * "filter"), rejecting keys link.list's filter does not have. */
int methods_parse_filter_in(method_call_t *call, const char *key, store_filter_t *f,
                            const char ***bufs);

/* Method tables, one per group, each ending with {.name = NULL}. daemon/methods.c joins them. */
extern const method_def_t methods_link[];     /* daemon/methods_link.c */
extern const method_def_t methods_tag[];      /* daemon/methods_tag.c */
extern const method_def_t methods_daemon[];   /* daemon/methods_daemon.c */
extern const method_def_t methods_import[];   /* daemon/methods_import.c */
extern const method_def_t methods_backup[];   /* daemon/methods_backup.c */
extern const method_def_t methods_snapshot[]; /* daemon/methods_snapshot.c */
extern const method_def_t methods_search[];   /* daemon/methods_search.c */
extern const method_def_t methods_chart[];    /* daemon/methods_chart.c */
extern const method_def_t methods_web[];      /* daemon/methods_web.c */
extern const method_def_t methods_site[];     /* daemon/methods_site.c */
extern const method_def_t methods_watch[];    /* daemon/methods_watch.c */

const method_def_t *methods_find(const char *name);

#endif
