/* remote.h -- a remote browser (browser.endpoint): where its DevTools websocket is, and
 * which address may reach our egress proxy. `ws://` / `wss://host:port/path` is the
 * browser's websocket, used as given. `http://` / `https://host:port` is discovered:
 * /json/version (libcurl, on the thread pool, with the token) names the websocket, and
 * only its path is taken: the connection goes to the configured host and port (wss when
 * https), so the token never goes to a host the answer names. Knows URLs and HTTP;
 * nothing of CDP sessions, captures or the engine. */
#ifndef LS_REMOTE_H
#define LS_REMOTE_H

#include <stddef.h>
#include <uv.h>

/* Where to open the DevTools websocket. */
typedef struct {
    char host[256];            /* an IPv6 literal without its brackets */
    int port;
    char path[512];
    int tls;                   /* wss */
} remote_ws_t;

/* Splits endpoint into ws (host, port, tls and, for ws/wss, the path). *discover is set to
 * 1 for http/https (remote_discover finds the path), 0 for ws/wss (ws is complete).
 * On the loop: parsing only. 0, or -1 with a sentence in err. */
int remote_parse(const char *endpoint, remote_ws_t *ws, int *discover, char *err, size_t errlen);

/* Discovery's end: ws filled when err is NULL, else err says why. tag as given. */
typedef void (*remote_found_cb)(const remote_ws_t *ws, const char *err, unsigned tag, void *ud);

/* Asks endpoint's /json/version on the thread pool (5 s at most; token as a bearer, or as
 * `?token=` with token_query (browserless; never in an error message),
 * ca_file "" = the system's). found runs exactly once on the loop, also when the loop is
 * stopping (with err). 0, or -1 with err (found does not run). */
int remote_discover(uv_loop_t *loop, const char *endpoint, const char *token, int token_query,
                    const char *ca_file, unsigned tag, remote_found_cb found, void *ud,
                    char *err, size_t errlen);

/* The endpoint's host when it is an IP literal (brackets dropped) into out: the only
 * peer a remote browser's egress proxy accepts. 0, or -1 when the host is a name. */
int remote_peer_ip(const char *endpoint, char *out, size_t outlen);

#endif
