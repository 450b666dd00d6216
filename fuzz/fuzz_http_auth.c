/* fuzz_http_auth.c -- libFuzzer harness for the web server's request rules
 * (daemon/http_auth.c), the part of the HTTP request path that is ours (lws parses the
 * request line and headers): the listen address, then the Host, Origin, Cookie and
 * Authorization values of a request and a token given to /login, split at NUL bytes. A
 * request must never be let in without the token or a session made for it. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_auth.h"

#define FIELDS 6
#define TOKEN "fuzz-token-0123456789abcdef"   /* 24 or more: the shortest allowed */

static http_auth_t auth;   /* big (the session table): one, reset for each input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *f[FIELDS] = {"127.0.0.1:8750", NULL, NULL, NULL, NULL, NULL};
    char *p = copy;
    for (int i = 0; i < FIELDS && p <= copy + size; i++) {
        f[i] = p;
        p += strlen(p) + 1;
    }
    char host[128], err[512];
    int port;
    if (http_auth_parse_listen(f[0], host, sizeof host, &port, err, sizeof err) != 0 ||
        http_auth_init(&auth, host, port, TOKEN, (int)(size & 1), err, sizeof err) != 0) {
        free(copy);
        return 0;
    }
    http_auth_check_listener(host, port, (int)(size & 1), 0, err, sizeof err);
    http_auth_host_ok(&auth, f[1]);
    http_auth_origin_ok(&auth, f[2], f[1]);
    http_peer_t peer;
    http_auth_peer_init(&peer, -1);   /* no socket: every caller is one unknown client */
    int bearer = http_auth_bearer(&auth, f[4], &peer);
    int allowed = http_auth_allowed(&auth, f[3], f[4], &peer);
    /* no session exists yet: only the exact token gets in */
    int right = f[4] && !strncasecmp(f[4], "Bearer ", 7) && !strcmp(f[4] + 7, TOKEN);
    if (allowed != right || (bearer == 1) != right)
        abort();
    char session[65];
    int lrc = http_auth_login(&auth, f[5], &peer, session);
    if (lrc == 0 && (!f[5] || strcmp(f[5], TOKEN)))
        abort();
    if (lrc == 0) {
        char cookie[128];
        strcpy(cookie, HTTP_AUTH_COOKIE "=");
        strcat(cookie, session);
        if (!http_auth_allowed(&auth, cookie, NULL, &peer))
            abort();
        http_auth_logout(&auth, cookie);
        if (http_auth_allowed(&auth, cookie, NULL, &peer))
            abort();
    }
    free(copy);
    return 0;
}
