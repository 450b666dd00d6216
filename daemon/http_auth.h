/* http_auth.h -- who may use the web server: the Host and Origin rules, the access token
 * and the session cookies the page gets for it, and whom a wrong token is counted against.
 * Bookkeeping (strings in, yes/no out), plus naming the client of a socket when a wrong
 * token must be counted; http.c asks, and knows nothing of how the answers are reached.
 *
 * The rules (docs/web.md, "Security model"):
 *  - there is always a token, on loopback too (http.token, http.token_file, or one made at
 *    first start in <state_dir>/http.token): every local user can reach 127.0.0.1;
 *  - a listener on 127.0.0.1, ::1 or localhost is "local". Any other address -- including
 *    other 127.x addresses, which container port forwarding publishes -- needs TLS
 *    (http.tls_cert/key) or http.allow_plain = true (a TLS proxy in front);
 *  - Host must name the listener (its address, or localhost for a local one): a page
 *    reached through DNS rebinding carries its own host name and is refused;
 *  - a request is let in by `Authorization: Bearer TOKEN` (scripts: no Origin needed) or
 *    by a session cookie that POST /login or GET /?token= handed out (HttpOnly,
 *    SameSite=Strict); a state-changing request on a cookie (POST, websocket upgrade)
 *    carries an Origin equal to the listener's own, http(s)://HOST:PORT as in Host;
 *  - the right token is checked first, in constant time, and is never refused for a rate
 *    limit: nobody can lock the owner out. Wrong tokens are counted per client -- the uid
 *    owning the peer socket on loopback (common/sockowner), the address off loopback (an
 *    IPv6 client by its /64) -- and HTTP_AUTH_FAIL_MAX of them within a minute make that
 *    client's wrong tokens answer "throttled" until the oldest leaves the window. The table
 *    of clients is bounded (HTTP_AUTH_CLIENTS); when every entry is in use, newcomers share
 *    one overflow entry. */
#ifndef LS_HTTP_AUTH_H
#define LS_HTTP_AUTH_H

/* The shortest token a person may set: the right token is checked first and never
 * throttled (a wrong guesser cannot lock the owner out), so a token must be too long to
 * guess at any rate. 24 characters of a random hex token are 96 bits. */
#define HTTP_AUTH_TOKEN_MIN 24

#include <stddef.h>
#include <stdint.h>

#define HTTP_AUTH_MAX_SESSIONS 256
#define HTTP_AUTH_COOKIE "linksnap_session"
#define HTTP_AUTH_FAIL_MAX 10
#define HTTP_AUTH_FAIL_WINDOW_MS 60000u
#define HTTP_AUTH_CLIENTS 256     /* clients whose wrong tokens are counted apart */

/* What a client is counted by. */
enum { HTTP_PEER_FREE = 0, HTTP_PEER_UID, HTTP_PEER_ADDR, HTTP_PEER_UNKNOWN };

/* Who sent a request: the connection's socket, named (uid or address) only when a wrong
 * token has to be counted. http_auth_peer_init, or fill kind and key directly (tests). */
typedef struct {
    int fd;                 /* the connection's socket; -1: unknown */
    int named;              /* kind and key are filled */
    unsigned char kind;     /* HTTP_PEER_UID / _ADDR / _UNKNOWN */
    unsigned char key[16];  /* the uid, or the address (IPv4 in 4 bytes, IPv6 its /64) */
} http_peer_t;

/* The wrong tokens of one client: a ring of their times. */
typedef struct {
    unsigned char kind;     /* HTTP_PEER_FREE: unused */
    unsigned char key[16];
    uint64_t fail_ms[HTTP_AUTH_FAIL_MAX];   /* monotonic; 0 = none */
    unsigned fail_next;
} http_fails_t;

typedef struct {
    char id[65];            /* 32 random bytes, hex; "" = free slot */
    uint64_t last_ms;       /* monotonic */
} http_session_t;

typedef struct {
    char host[128];         /* listen address as given ("127.0.0.1", "::1", "0.0.0.0") */
    int port;
    int local;              /* bound to loopback 127.0.0.1 / ::1 / localhost */
    int wildcard;           /* 0.0.0.0 or :: -- any Host is accepted (a token is required) */
    int tls;                /* served over HTTPS: the Origin is https:// */
    char token[256];
    http_session_t sessions[HTTP_AUTH_MAX_SESSIONS];
    http_fails_t fails[HTTP_AUTH_CLIENTS];  /* wrong tokens by client */
    http_fails_t overflow;                  /* every client the table had no room for */
} http_auth_t;

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port. Returns 0 or -1 with err. */
int http_auth_parse_listen(const char *listen, char *host, size_t hostlen, int *port, char *err,
                           size_t errlen);
/* 1 for 127.0.0.1, ::1 and localhost. */
int http_auth_is_local(const char *host);
/* A non-loopback listener needs TLS or allow_plain. Returns 0 or -1 with err naming keys. */
int http_auth_check_listener(const char *host, int port, int tls, int allow_plain, char *err,
                             size_t errlen);
/* Sets up the rules for a listener with its token (8 to 255 bytes). Returns 0 or -1. */
int http_auth_init(http_auth_t *a, const char *host, int port, const char *token, int tls,
                   char *err, size_t errlen);
/* Reads the token from the first line of path (must not be world-readable). */
int http_auth_read_token_file(const char *path, char *out, size_t outlen, char *err,
                              size_t errlen);
/* The port the listener really got (after binding port 0). */
void http_auth_set_port(http_auth_t *a, int port);

/* Host header value acceptable? (NULL or "" is refused.) */
int http_auth_host_ok(const http_auth_t *a, const char *host);
/* Origin header equal to http://<Host>? (NULL is refused.) host is the request's Host. */
int http_auth_origin_ok(const http_auth_t *a, const char *origin, const char *host);
/* The client on connected socket fd (-1: unknown); named lazily. */
void http_auth_peer_init(http_peer_t *p, int fd);
/* Does the request carry the right to use the API? cookie is the whole Cookie header,
 * authorization the Authorization header; either may be NULL. peer: who sent it. */
int http_auth_allowed(http_auth_t *a, const char *cookie, const char *authorization,
                      http_peer_t *peer);
/* The Authorization header alone: 1 the right Bearer token (never throttled), 0 none
 * given, -1 a wrong one (counted against peer), -2 a wrong one while peer is throttled. */
int http_auth_bearer(http_auth_t *a, const char *authorization, http_peer_t *peer);
/* 1 when a token is configured (the page must log in). */
int http_auth_required(const http_auth_t *a);
/* Checks a token given to POST /login or GET /?token=; on success writes a new session id
 * (65 bytes) into out and returns 0 (the right token is never throttled); -1 for a wrong
 * token (counted against peer), -2 a wrong one while peer is throttled. Constant time
 * whatever the lengths. */
int http_auth_login(http_auth_t *a, const char *token, http_peer_t *peer, char out[65]);
/* Drops the session named in the cookie header (POST /logout). */
void http_auth_logout(http_auth_t *a, const char *cookie);

#endif
