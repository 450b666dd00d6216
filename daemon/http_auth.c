/* http_auth.c -- Host/Origin rules, the token and session cookies, and the wrong-token
 * count per client (http_auth.h says the rules). Sessions and counts live in memory: a
 * restart of linksnapd asks for the token again. */
#include "http_auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sockowner.h"
#include "util.h"

#define SESSION_IDLE_MS (30ull * 24 * 3600 * 1000)   /* a month without use ends a session */

int http_auth_parse_listen(const char *listen, char *host, size_t hostlen, int *port, char *err,
                           size_t errlen)
{
    const char *colon;
    size_t hl;
    const char *h = listen;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "http.listen: expected [IPV6]:PORT, got '%s'", listen);
            return -1;
        }
        h = listen + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || strchr(listen, ':') != colon) {
            snprintf(err, errlen, "http.listen: expected HOST:PORT (or [IPV6]:PORT, or off), got '%s'",
                     listen);
            return -1;
        }
        hl = (size_t)(colon - listen);
    }
    if (hl == 0 || hl >= hostlen) {
        snprintf(err, errlen, "http.listen: missing or over-long host in '%s'", listen);
        return -1;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "http.listen: port must be 0 to 65535 in '%s'", listen);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int http_auth_is_local(const char *host)
{
    return !strcmp(host, "127.0.0.1") || !strcmp(host, "::1") || !strcasecmp(host, "localhost");
}

int http_auth_check_listener(const char *host, int port, int tls, int allow_plain, char *err,
                             size_t errlen)
{
    if (http_auth_is_local(host) || tls || allow_plain)
        return 0;
    snprintf(err, errlen,
             "http.listen = %s:%d is not a loopback address (127.0.0.1, ::1 or localhost), and "
             "without TLS the token and every page would cross the network in clear: set "
             "http.tls_cert and http.tls_key, or put a TLS reverse proxy in front and set "
             "http.allow_plain = true (docs/deployment.md), or http.listen = off", host, port);
    return -1;
}

int http_auth_init(http_auth_t *a, const char *host, int port, const char *token, int tls,
                   char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    snprintf(a->host, sizeof a->host, "%s", host);
    a->port = port;
    a->tls = tls;
    a->local = http_auth_is_local(host);
    a->wildcard = !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
    if (strlen(token) >= sizeof a->token) {
        snprintf(err, errlen, "http.token: at most %zu bytes", sizeof a->token - 1);
        return -1;
    }
    if (strlen(token) < HTTP_AUTH_TOKEN_MIN) {
        snprintf(err, errlen, "http.token: at least %d characters (the right token is never "
                 "throttled, so only its length keeps guessing out; leave it unset and "
                 "linksnapd makes a 64-character one)", HTTP_AUTH_TOKEN_MIN);
        return -1;
    }
    snprintf(a->token, sizeof a->token, "%s", token);
    return 0;
}

void http_auth_set_port(http_auth_t *a, int port) { a->port = port; }

int http_auth_read_token_file(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "http.token_file: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 007)) {
        snprintf(err, errlen, "http.token_file: %s is readable by others; chmod o-rwx it", path);
        close(fd);
        return -1;
    }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "http.token_file: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    size_t len = strlen(buf);
    if (len < HTTP_AUTH_TOKEN_MIN || len >= outlen) {
        snprintf(err, errlen, "http.token_file: the token in %s must be %d to %zu characters",
                 path, HTTP_AUTH_TOKEN_MIN, outlen - 1);
        return -1;
    }
    memcpy(out, buf, len + 1);
    return 0;
}

/* "host:port" as a browser writes it for this listener's address and port */
static int hostport_eq(const char *value, size_t vlen, const char *host, int port)
{
    char want[160];
    int n = strchr(host, ':') ? snprintf(want, sizeof want, "[%s]:%d", host, port)
                              : snprintf(want, sizeof want, "%s:%d", host, port);
    if (n > 0 && (size_t)n == vlen && !strncasecmp(value, want, vlen))
        return 1;
    if (port == 80) { /* browsers leave the default port out */
        n = strchr(host, ':') ? snprintf(want, sizeof want, "[%s]", host)
                              : snprintf(want, sizeof want, "%s", host);
        if (n > 0 && (size_t)n == vlen && !strncasecmp(value, want, vlen))
            return 1;
    }
    return 0;
}

static int host_value_ok(const http_auth_t *a, const char *v, size_t vlen)
{
    if (vlen == 0)
        return 0;
    for (size_t i = 0; i < vlen; i++) { /* no spaces, controls, paths or user info */
        unsigned char ch = (unsigned char)v[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '@' || ch == '\\')
            return 0;
    }
    if (a->wildcard)
        return 1;
    if (hostport_eq(v, vlen, a->host, a->port))
        return 1;
    if (a->local) {
        if (hostport_eq(v, vlen, "localhost", a->port) || hostport_eq(v, vlen, "127.0.0.1", a->port) ||
            hostport_eq(v, vlen, "::1", a->port))
            return 1;
    }
    return 0;
}

int http_auth_host_ok(const http_auth_t *a, const char *host)
{
    return host && host_value_ok(a, host, strlen(host));
}

int http_auth_origin_ok(const http_auth_t *a, const char *origin, const char *host)
{
    if (!origin || !host || !http_auth_host_ok(a, host))
        return 0;
    const char *scheme = a->tls ? "https://" : "http://";
    size_t sl = strlen(scheme);
    if (strncmp(origin, scheme, sl) != 0)
        return 0;
    const char *rest = origin + sl;
    size_t rl = strlen(rest);
    if (rl > 0 && rest[rl - 1] == '/')
        rl--;
    /* the page's own origin: what the browser was pointed at, which Host also names */
    return rl == strlen(host) && !strncasecmp(rest, host, rl) && host_value_ok(a, rest, rl);
}

int http_auth_required(const http_auth_t *a) { return a->token[0] != '\0'; }

/* Equal? Constant time whatever the two strings hold and however long they are: both are
 * padded with zeros to `width` bytes and every byte is compared, then the lengths. A string
 * of width bytes or more is never equal (the token and session ids are shorter). */
static int secret_eq(const char *given, const char *secret, size_t width)
{
    size_t lg = strnlen(given, width), ls = strnlen(secret, width);
    unsigned char diff = (unsigned char)(lg >= width) | (unsigned char)(ls >= width);
    for (size_t i = 0; i < width; i++) {
        unsigned char g = i < lg ? (unsigned char)given[i] : 0;
        unsigned char s = i < ls ? (unsigned char)secret[i] : 0;
        diff |= g ^ s;
    }
    diff |= (unsigned char)(lg != ls);
    return diff == 0;
}

/* ---- who is asking: the client a wrong token is counted against ------------------------ */

void http_auth_peer_init(http_peer_t *p, int fd)
{
    memset(p, 0, sizeof *p);
    p->fd = fd;
}

/* Names the client of p->fd: on loopback the uid owning the peer socket (every local user
 * reaches 127.0.0.1, and their addresses are alike); off loopback its address, an IPv6
 * one by its /64 (a host has a whole /64 to pick addresses from). */
static void peer_name(http_peer_t *p)
{
    if (p->named)
        return;
    p->named = 1;
    p->kind = HTTP_PEER_UNKNOWN;
    memset(p->key, 0, sizeof p->key);
    struct sockaddr_storage local, peer;
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (p->fd < 0 || getsockname(p->fd, (struct sockaddr *)&local, &ll) != 0 ||
        getpeername(p->fd, (struct sockaddr *)&peer, &pl) != 0)
        return;
    sockowner_t o;
    if (sockowner_is_loopback((struct sockaddr *)&peer) &&
        sockowner_lookup((struct sockaddr *)&local, (struct sockaddr *)&peer, &o) == 0) {
        p->kind = HTTP_PEER_UID;
        memcpy(p->key, &o.uid, sizeof o.uid);
        return;
    }
    if (peer.ss_family == AF_INET) {
        p->kind = HTTP_PEER_ADDR;
        memcpy(p->key, &((struct sockaddr_in *)&peer)->sin_addr, 4);
    } else if (peer.ss_family == AF_INET6) {
        const unsigned char *a6 = ((struct sockaddr_in6 *)&peer)->sin6_addr.s6_addr;
        p->kind = HTTP_PEER_ADDR;
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a6))
            memcpy(p->key, a6 + 12, 4);   /* as the same client over IPv4 */
        else
            memcpy(p->key + 4, a6, 8);    /* bytes 0-3 zero: no IPv4 key looks like it */
    }
}

static void peer_describe(const http_peer_t *p, char *out, size_t outlen)
{
    if (p->kind == HTTP_PEER_UID) {
        uid_t uid;
        memcpy(&uid, p->key, sizeof uid);
        snprintf(out, outlen, "uid %u", (unsigned)uid);
    } else if (p->kind == HTTP_PEER_ADDR && !memcmp(p->key + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12)) {
        inet_ntop(AF_INET, p->key, out, (socklen_t)outlen);
    } else if (p->kind == HTTP_PEER_ADDR) {
        unsigned char a6[16] = {0};
        memcpy(a6, p->key + 4, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, a6, text, sizeof text);
        snprintf(out, outlen, "%s/64", text);
    } else {
        snprintf(out, outlen, "an unknown client");
    }
}

/* ---- the rate limit: HTTP_AUTH_FAIL_MAX wrong tokens within HTTP_AUTH_FAIL_WINDOW_MS from
 * one client, and that client's wrong tokens answer "throttled" until the oldest of them
 * leaves the window. A right token never comes here. */

static int fails_throttled(const http_fails_t *f, uint64_t now)
{
    uint64_t oldest = f->fail_ms[f->fail_next];
    return oldest != 0 && now - oldest < HTTP_AUTH_FAIL_WINDOW_MS;
}

/* The newest wrong token of f is older than the window: its entry can be reused. */
static int fails_stale(const http_fails_t *f, uint64_t now)
{
    uint64_t newest = f->fail_ms[(f->fail_next + HTTP_AUTH_FAIL_MAX - 1) % HTTP_AUTH_FAIL_MAX];
    return newest == 0 || now - newest >= HTTP_AUTH_FAIL_WINDOW_MS;
}

/* The entry of peer: its own, else a free or stale one, else the overflow entry every
 * newcomer shares while the table is full (a flood of addresses cannot grow the table, nor
 * push out a client that is being counted). */
static http_fails_t *fails_find(http_auth_t *a, const http_peer_t *p, uint64_t now)
{
    http_fails_t *reuse = NULL;
    for (size_t i = 0; i < HTTP_AUTH_CLIENTS; i++) {
        http_fails_t *f = &a->fails[i];
        if (f->kind == p->kind && !memcmp(f->key, p->key, sizeof f->key))
            return f;
        if (!reuse && (f->kind == HTTP_PEER_FREE || fails_stale(f, now)))
            reuse = f;
    }
    if (!reuse)
        return &a->overflow;
    memset(reuse, 0, sizeof *reuse);
    reuse->kind = p->kind;
    memcpy(reuse->key, p->key, sizeof reuse->key);
    return reuse;
}

/* A wrong token from peer: -2 while it is throttled (not counted again), else counted: -1. */
static int count_wrong(http_auth_t *a, http_peer_t *peer)
{
    uint64_t now = util_mono_ms();
    peer_name(peer);
    http_fails_t *f = fails_find(a, peer, now);
    if (fails_throttled(f, now))
        return -2;
    f->fail_ms[f->fail_next] = now ? now : 1;
    f->fail_next = (f->fail_next + 1) % HTTP_AUTH_FAIL_MAX;
    if (fails_throttled(f, now)) {
        char who[INET6_ADDRSTRLEN + 8];
        peer_describe(peer, who, sizeof who);
        log_notice("http: %d wrong tokens in a minute from %s%s: its wrong tokens are refused "
                   "for a minute (the right one still works)", HTTP_AUTH_FAIL_MAX, who,
                   f == &a->overflow ? " (among the clients beyond the table's room)" : "");
    }
    return -1;
}

int http_auth_bearer(http_auth_t *a, const char *authorization, http_peer_t *peer)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7))
        return 0;
    if (a->token[0] && secret_eq(authorization + 7, a->token, sizeof a->token))
        return 1;
    return count_wrong(a, peer);
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static int cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= outlen)
                return -1;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return 0;
        }
        p = end;
    }
    return -1;
}

static http_session_t *session_find(http_auth_t *a, const char *cookie)
{
    char id[80];
    if (!cookie || cookie_get(cookie, HTTP_AUTH_COOKIE, id, sizeof id) != 0 || strlen(id) != 64)
        return NULL;
    uint64_t now = util_mono_ms();
    for (size_t i = 0; i < HTTP_AUTH_MAX_SESSIONS; i++) {
        http_session_t *s = &a->sessions[i];
        if (s->id[0] && secret_eq(id, s->id, sizeof s->id)) {
            if (now - s->last_ms > SESSION_IDLE_MS) {
                s->id[0] = '\0';
                return NULL;
            }
            s->last_ms = now;
            return s;
        }
    }
    return NULL;
}

int http_auth_allowed(http_auth_t *a, const char *cookie, const char *authorization,
                      http_peer_t *peer)
{
    if (http_auth_bearer(a, authorization, peer) == 1)
        return 1;
    return session_find(a, cookie) != NULL;
}

int http_auth_login(http_auth_t *a, const char *token, http_peer_t *peer, char out[65])
{
    if (!a->token[0] || !token || !secret_eq(token, a->token, sizeof a->token))
        return count_wrong(a, peer);
    unsigned char rnd[32];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;
    util_hex(rnd, sizeof rnd, out);
    /* a free slot, or the one used longest ago */
    http_session_t *slot = &a->sessions[0];
    for (size_t i = 0; i < HTTP_AUTH_MAX_SESSIONS; i++) {
        if (!a->sessions[i].id[0]) {
            slot = &a->sessions[i];
            break;
        }
        if (a->sessions[i].last_ms < slot->last_ms)
            slot = &a->sessions[i];
    }
    memcpy(slot->id, out, 65);
    slot->last_ms = util_mono_ms();
    return 0;
}

void http_auth_logout(http_auth_t *a, const char *cookie)
{
    http_session_t *s = session_find(a, cookie);
    if (s)
        memset(s, 0, sizeof *s);
}
