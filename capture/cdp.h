/* cdp.h -- a Chrome DevTools Protocol client: commands with ids and their replies, and
 * events, with flattened target sessions (every message may carry a sessionId), over one
 * of two transports on the caller's libuv loop:
 *   - the pipe: the browser linksnapd starts reads NUL-ended JSON texts on its fd 3 and
 *     writes them on its fd 4 (--remote-debugging-pipe); no port, nothing another local
 *     user could connect to;
 *   - a websocket (libwebsockets client, ws or wss, optional `Authorization: Bearer`) for
 *     a remote browser (browser.endpoint).
 * Messages are assembled in a capped buffer. Knows transports and the CDP message shape;
 * nothing of what a capture does with them. */
#ifndef LS_CDP_H
#define LS_CDP_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

typedef struct cdp cdp_t;
/* The websocket context: one per process lifetime, shared by every websocket connection
 * (a browser restart reconnects; it does not make a new context). The pipe needs none.
 * ca_file: PEM file of the authorities a wss endpoint may be signed by (NULL = the
 * system's). */
typedef struct cdp_ctx cdp_ctx_t;

cdp_ctx_t *cdp_ctx_new(uv_loop_t *loop, const char *ca_file, char *err, size_t errlen);
/* Teardown of a libuv-backed lws context is two-phase: call _begin (outside any lws
 * callback), let the loop run until it has nothing left, then call _finish. */
void cdp_ctx_destroy_begin(cdp_ctx_t *x);
void cdp_ctx_destroy_finish(cdp_ctx_t *x);

/* result is borrowed (NULL on error); error is a sentence (NULL on success). */
typedef void (*cdp_reply_cb)(cdp_t *c, json_t *result, const char *error, void *ud);
/* An event: method, params (borrowed), session id or NULL. */
typedef void (*cdp_event_cb)(cdp_t *c, const char *method, json_t *params, const char *session,
                             void *ud);
/* Connected (err NULL; websocket only: a pipe is usable as soon as it is open) or
 * failed / closed (err says why; both transports). */
typedef void (*cdp_state_cb)(cdp_t *c, int connected, const char *err, void *ud);

/* x may be NULL for a pipe-only client. max_message caps one incoming message (0 = 256
 * MiB). */
cdp_t *cdp_new(uv_loop_t *loop, cdp_ctx_t *x, size_t max_message, cdp_event_cb on_event,
               cdp_state_cb on_state, void *ud, char *err, size_t errlen);

typedef struct {
    const char *host;
    int port;
    const char *path;      /* "/devtools/browser/<id>" */
    int tls;               /* wss: the certificate is verified against the host name */
    const char *token;     /* sent as `Authorization: Bearer <token>`; NULL or "" = none */
} cdp_ws_target_t;

/* Websocket transport (needs a context). Strings are copied. 0, or -1 (closed). */
int cdp_connect(cdp_t *c, const cdp_ws_target_t *t);
/* Pipe transport: to_browser is the write end of the browser's fd 3, from_browser the
 * read end of its fd 4; both are taken (closed by cdp_close, even on failure). 0 or a
 * negative libuv error. */
int cdp_open_pipe(cdp_t *c, int to_browser, int from_browser);

/* Sends a command; params is stolen (NULL = {}); session may be NULL. Returns the id, or
 * -1 (then cb is not called). Every pending command fails when the connection closes. */
long cdp_send(cdp_t *c, const char *method, json_t *params, const char *session,
              cdp_reply_cb cb, void *ud);
/* Closes the connection (asynchronously) and frees c; safe inside a cdp callback. */
void cdp_close(cdp_t *c);
int cdp_is_closed(const cdp_t *c);

#endif
