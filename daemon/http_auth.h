/* http_auth.h -- who may use the web server: the Host and Origin rules, the access token
 * and the session cookies the page gets for it. Pure bookkeeping (strings in, yes/no
 * out); http.c asks, and knows nothing of how the answers are reached.
 *
 * The rules (docs/web.md, "Security model"):
 *  - a listener on 127.0.0.1, ::1 or localhost is "local": without a token it is open to
 *    every local user. Any other address -- including other 127.x addresses, which
 *    container port forwarding publishes -- needs a token, or linksnapd refuses to start;
 *  - Host must name the listener (its address, or localhost for a local one): a page
 *    reached through DNS rebinding carries its own host name and is refused;
 *  - every state-changing request (POST, websocket upgrade) carries an Origin equal to
 *    the listener's own origin, http://HOST:PORT as in Host;
 *  - with a token, a request is let in by `Authorization: Bearer TOKEN` or by a session
 *    cookie that POST /login handed out for the token (HttpOnly, SameSite=Strict). */
#ifndef LS_HTTP_AUTH_H
#define LS_HTTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_AUTH_MAX_SESSIONS 256
#define HTTP_AUTH_COOKIE "linksnap_session"

typedef struct {
    char id[65];            /* 32 random bytes, hex; "" = free slot */
    uint64_t last_ms;       /* monotonic */
} http_session_t;

typedef struct {
    char host[128];         /* listen address as given ("127.0.0.1", "::1", "0.0.0.0") */
    int port;
    int local;              /* bound to loopback 127.0.0.1 / ::1 / localhost */
    int wildcard;           /* 0.0.0.0 or :: -- any Host is accepted (a token is required) */
    char token[256];        /* "" = none */
    http_session_t sessions[HTTP_AUTH_MAX_SESSIONS];
} http_auth_t;

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port. Returns 0 or -1 with err. */
int http_auth_parse_listen(const char *listen, char *host, size_t hostlen, int *port, char *err,
                           size_t errlen);
/* Sets up the rules for a listener. token may be "" (then a non-local address fails
 * with a message naming the keys). Returns 0 or -1 with err. */
int http_auth_init(http_auth_t *a, const char *host, int port, const char *token, char *err,
                   size_t errlen);
/* Reads the token from the first line of path (must not be world-readable). */
int http_auth_read_token_file(const char *path, char *out, size_t outlen, char *err,
                              size_t errlen);
/* The port the listener really got (after binding port 0). */
void http_auth_set_port(http_auth_t *a, int port);

/* Host header value acceptable? (NULL or "" is refused.) */
int http_auth_host_ok(const http_auth_t *a, const char *host);
/* Origin header equal to http://<Host>? (NULL is refused.) host is the request's Host. */
int http_auth_origin_ok(const http_auth_t *a, const char *origin, const char *host);
/* Does the request carry the right to use the API? Always 1 without a token. cookie is
 * the whole Cookie header, authorization the Authorization header; either may be NULL. */
int http_auth_allowed(http_auth_t *a, const char *cookie, const char *authorization);
/* 1 when a token is configured (the page must log in). */
int http_auth_required(const http_auth_t *a);
/* Checks a token given to POST /login; on success writes a new session id (65 bytes) into
 * out and returns 0; -1 for a wrong token. Constant time in the token's length. */
int http_auth_login(http_auth_t *a, const char *token, char out[65]);
/* Drops the session named in the cookie header (POST /logout). */
void http_auth_logout(http_auth_t *a, const char *cookie);

#endif
