/* cdp.h -- a Chrome DevTools Protocol client: one websocket (libwebsockets, client role,
 * on the caller's libuv loop) carrying commands with ids and their replies, and events,
 * with flattened target sessions (every message may carry a sessionId). Messages arrive
 * in fragments and are assembled in a capped buffer. Knows websockets and the CDP message
 * shape; nothing of what a capture does with them. */
#ifndef LS_CDP_H
#define LS_CDP_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

typedef struct cdp cdp_t;
/* The websocket context: one per process lifetime, shared by every connection (a browser
 * restart reconnects; it does not make a new context). */
typedef struct cdp_ctx cdp_ctx_t;

cdp_ctx_t *cdp_ctx_new(uv_loop_t *loop, char *err, size_t errlen);
/* Teardown of a libuv-backed lws context is two-phase: call _begin (outside any lws
 * callback), let the loop run until it has nothing left, then call _finish. */
void cdp_ctx_destroy_begin(cdp_ctx_t *x);
void cdp_ctx_destroy_finish(cdp_ctx_t *x);

/* result is borrowed (NULL on error); error is a sentence (NULL on success). */
typedef void (*cdp_reply_cb)(cdp_t *c, json_t *result, const char *error, void *ud);
/* An event: method, params (borrowed), session id or NULL. */
typedef void (*cdp_event_cb)(cdp_t *c, const char *method, json_t *params, const char *session,
                             void *ud);
/* Connected (err NULL) or failed / closed (err says why). */
typedef void (*cdp_state_cb)(cdp_t *c, int connected, const char *err, void *ud);

cdp_t *cdp_new(cdp_ctx_t *x, size_t max_message, cdp_event_cb on_event, cdp_state_cb on_state,
               void *ud, char *err, size_t errlen);
int cdp_connect(cdp_t *c, const char *host, int port, const char *path);
/* Sends a command; params is stolen (NULL = {}); session may be NULL. Returns the id, or
 * -1 (then cb is not called). Every pending command fails when the connection closes. */
long cdp_send(cdp_t *c, const char *method, json_t *params, const char *session,
              cdp_reply_cb cb, void *ud);
/* Closes the connection (asynchronously) and frees c; safe inside a cdp callback. */
void cdp_close(cdp_t *c);
int cdp_is_closed(const cdp_t *c);

#endif
