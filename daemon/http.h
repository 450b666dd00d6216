/* http.h -- linksnapd's web server: the page, POST /rpc, the /events websocket,
 * snapshot images, charts and import uploads, on libwebsockets over the daemon's own
 * libuv loop. docs/web.md lists the routes and the security model. */
#ifndef LS_HTTP_H
#define LS_HTTP_H

#include <stddef.h>

#include "daemon.h"

typedef struct http http_t;

/* Checks the settings (address, token, TLS) without binding anything: main calls it before
 * the store opens, so a bad http.listen or a missing token stops linksnapd at once.
 * Returns 0 or -1 with err. */
int http_check_config(const config_t *cfg, char *err, size_t errlen);
/* Listens on d->cfg.http_listen (not "off"). Returns NULL with err for a bad setting or
 * no memory. When the address cannot be bound (in use, not an address of this machine)
 * it returns the server anyway, not listening: http_listening() is 0 and http_error()
 * says why; the caller decides whether that is fatal, and still closes and frees it. */
http_t *http_start(daemon_t *d, char *err, size_t errlen);
int http_listening(const http_t *h);
const char *http_error(const http_t *h);   /* "" while listening */
/* "http://127.0.0.1:8750" (with the port really bound; https with TLS); "" when not
 * listening. */
const char *http_url(const http_t *h);
/* The login address with the token, "http://127.0.0.1:8750/?token=..." (socket only:
 * web.login_url). Returns 0, or -1 when out is too small. */
int http_login_url(const http_t *h, char *out, size_t outlen);
/* First half of the stop: closes the listener, every connection and websocket. Call
 * outside lws callbacks; then let the loop run until it has nothing left and call
 * http_free (the two-phase teardown of an lws context on a foreign loop, see cdp.h). */
/* The daemon went quiet: gives back what the server keeps only to be faster (the tiles of
 * recently shown screenshots). Accepts NULL. */
void http_release_memory(http_t *h);
void http_close(http_t *h);
void http_free(http_t *h);   /* accepts NULL */

#endif
