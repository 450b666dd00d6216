/* dispatch.h -- runs JSON-RPC method calls where their kind says (loop, writer thread,
 * thread pool) and hands back the reply. Shared by the two transports: server.c (the Unix
 * socket, which adds per-connection ordering and event subscriptions on top of
 * dispatch_run) and http.c (POST /rpc, which runs a whole request document at once with
 * dispatch_doc). Knows the method table, protocol/ and the daemon's parts; knows no
 * sockets. */
#ifndef LS_DISPATCH_H
#define LS_DISPATCH_H

#include <jansson.h>

#include "daemon.h"
#include "method.h"

/* Called once the call finished: its `after` hook ran and its events were published.
 * The call's outputs (result, err_*) are still in `call`; dispatch_reply turns them into
 * a reply. May run before dispatch_run returns (loop methods, refusals). */
typedef void (*dispatch_done_cb)(method_call_t *call, void *ud);

/* Runs one call: fills now_ms and cfg, runs def->fn by def->kind. `call` (method, params
 * set by the caller) must stay alive until cb. cb is always called exactly once. */
void dispatch_run(daemon_t *d, const method_def_t *def, method_call_t *call,
                  dispatch_done_cb cb, void *ud);

/* The reply object for a finished call with this id (borrowed); takes the call's result
 * or error data out of it. Returns owned; never NULL except out of memory twice over. */
json_t *dispatch_reply(method_call_t *call, json_t *id);

/* One request object out of a line or a batch: classifies it and finds its method, first
 * in the method table, then in `extra` (NULL or a {NULL}-terminated table of transport
 * methods such as events.subscribe). Returns 0 with *def, *params (owned, {} when
 * absent), *id (borrowed from msg, NULL for a notification); or -1 with *reply set to the
 * error reply (owned; NULL when the request was a notification, which gets no reply). */
int dispatch_prepare(json_t *msg, const method_def_t *extra, const method_def_t **def,
                     json_t **params, json_t **id, json_t **reply);

/* Runs a whole parsed request document -- one request or a batch -- with the socket's
 * ordering rules (writes may overlap earlier writes, anything else waits for every
 * earlier call) and calls cb once with the reply document: an object, an array, or NULL
 * when nothing is owed (notifications only). The reply is owned by cb. Returns 0, or -1
 * out of memory (then cb is not called). doc is borrowed. */
typedef void (*dispatch_doc_cb)(json_t *reply, void *ud);
/* via_http marks every call as coming from POST /rpc (method_call_t.via_http): methods
 * that would read or write a server path refuse it there. */
int dispatch_doc(daemon_t *d, json_t *doc, int via_http, dispatch_doc_cb cb, void *ud);

#endif
