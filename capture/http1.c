/* http1.c -- HTTP/1 heads and body framing for the egress proxy (see http1.h): pure
 * functions over bytes a website controls, every read bounded by the length given. Knows
 * nothing of sockets, the loop or the address rules; egress.c does the I/O and guard.c
 * judges the host this finds. */
#include "http1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ---- body framing ---------------------------------------------------------------------- */

enum { CS_SIZE, CS_EXT, CS_DATA, CS_DATA_CR, CS_DATA_LF, CS_TR_START, CS_TR_LINE, CS_END_LF };

void http1_frame_init(http1_frame_t *f, http1_fmode_t mode, uint64_t len)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->left = len;
    f->cs = CS_SIZE;
    f->done = mode == HTTP1_F_NONE || (mode == HTTP1_F_LEN && len == 0);
}

long http1_frame_take(http1_frame_t *f, const char *p, size_t n)
{
    if (f->done)
        return 0;
    if (f->mode == HTTP1_F_CLOSE)
        return (long)n;
    if (f->mode == HTTP1_F_LEN) {
        size_t k = n < f->left ? n : (size_t)f->left;
        f->left -= k;
        f->done = f->left == 0;
        return (long)k;
    }
    size_t i = 0;
    while (i < n && !f->done) {
        char c = p[i];
        switch (f->cs) {
        case CS_SIZE: {
            int v = util_hexval((unsigned char)c);
            if (v >= 0) {
                if (f->left >> 56)
                    return -1;
                f->left = f->left * 16 + (uint64_t)v;
                f->digits++;
                i++;
            } else {
                if (!f->digits)
                    return -1;
                f->cs = CS_EXT;
            }
            break;
        }
        case CS_EXT:       /* extensions, then the line's end */
            i++;
            if (c == '\n')
                f->cs = f->left ? CS_DATA : CS_TR_START;
            break;
        case CS_DATA: {
            size_t k = n - i < f->left ? n - i : (size_t)f->left;
            i += k;
            f->left -= k;
            if (!f->left)
                f->cs = CS_DATA_CR;
            break;
        }
        case CS_DATA_CR:
            i++;
            if (c == '\r')
                f->cs = CS_DATA_LF;
            else if (c == '\n')
                f->cs = CS_SIZE, f->digits = 0;
            else
                return -1;
            break;
        case CS_DATA_LF:
            i++;
            if (c != '\n')
                return -1;
            f->cs = CS_SIZE;
            f->digits = 0;
            break;
        case CS_TR_START:  /* after the last chunk: trailers, then an empty line */
            i++;
            if (c == '\r')
                f->cs = CS_END_LF;
            else if (c == '\n')
                f->done = 1;
            else
                f->cs = CS_TR_LINE;
            break;
        case CS_TR_LINE:
            i++;
            if (c == '\n')
                f->cs = CS_TR_START;
            break;
        case CS_END_LF:
            i++;
            if (c != '\n')
                return -1;
            f->done = 1;
            break;
        }
    }
    return (long)i;
}

/* ---- heads ------------------------------------------------------------------------------ */

size_t http1_head_end(const char *buf, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return i + 2;
        if (buf[i] == '\n' && i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

int http1_head_status(const char *buf, size_t n, size_t max, size_t *end)
{
    *end = http1_head_end(buf, n);
    if (*end)
        return *end > max ? HTTP1_HEAD_TOO_LARGE : HTTP1_HEAD_DONE;
    return n >= max ? HTTP1_HEAD_TOO_LARGE : HTTP1_HEAD_MORE;
}

const char *http1_header_value(const char *line, size_t n, const char *name, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return NULL;
    const char *v = line + k + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

/* token is one of the comma-separated items of the value v (n bytes), any case. */
static int has_token(const char *v, size_t n, const char *token)
{
    size_t k = strlen(token);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(v + i, token, k) && (i == 0 || v[i - 1] == ',' || v[i - 1] == ' ') &&
            (i + k == n || v[i + k] == ',' || v[i + k] == ' ' || v[i + k] == ';'))
            return 1;
    return 0;
}

int http1_head_scan(const char *p, size_t n, http1_head_info_t *hi)
{
    memset(hi, 0, sizeof *hi);
    const char *end = p + n, *line = memchr(p, '\n', n);
    if (!line)
        return -1;
    line++;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ln = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (ln && line[ln - 1] == '\r')
            ln--;
        size_t vl;
        const char *v;
        if ((v = http1_header_value(line, ln, "Transfer-Encoding", &vl))) {
            if (has_token(v, vl, "chunked"))
                hi->chunked = 1;
            else
                return -1;   /* another coding we cannot frame */
        } else if ((v = http1_header_value(line, ln, "Content-Length", &vl))) {
            uint64_t x = 0;
            if (!vl)
                return -1;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - 9) / 10)
                    return -1;
                x = x * 10 + (uint64_t)(v[i] - '0');
            }
            if (hi->has_len && x != hi->len)
                return -1;
            hi->has_len = 1;
            hi->len = x;
        } else if ((v = http1_header_value(line, ln, "Connection", &vl))) {
            if (has_token(v, vl, "close"))
                hi->close = 1;
            if (has_token(v, vl, "upgrade"))
                hi->upgrade = 1;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    if (hi->chunked && hi->has_len)
        return -1;   /* both: a smuggling attempt or a broken client */
    return 0;
}

/* ---- the request ------------------------------------------------------------------------ */

int http1_set_host(char *out, const char *h, size_t n)
{
    out[0] = '\0';
    if (n && h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    }
    while (n && h[n - 1] == '.')
        n--;
    if (!n || n >= HTTP1_HOST_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
              ch == ':' || ch == '_')) {
            out[0] = '\0';
            return -1;
        }
        out[i] = ch;
    }
    out[n] = '\0';
    return 0;
}

int http1_parse_authority(const char *a, size_t n, int default_port, char *host, int *port)
{
    const char *colon = NULL;
    host[0] = '\0';
    if (n && a[0] == '[') {
        const char *rb = memchr(a, ']', n);
        if (!rb)
            return -1;
        if ((size_t)(rb - a) + 1 < n) {
            if (rb[1] != ':')
                return -1;
            colon = rb + 1;
        }
    } else {
        colon = memchr(a, ':', n);
        if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - a)))
            return -1;   /* a bare IPv6 address without brackets */
    }
    size_t hlen = colon ? (size_t)(colon - a) : n;
    if (http1_set_host(host, a, hlen) != 0)
        return -1;
    if (!colon) {
        if (default_port < 0)
            return -1;
        *port = default_port;
        return 0;
    }
    const char *p = colon + 1, *end = a + n;
    if (p == end || end - p > 5)
        return -1;
    int v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *port = v;
    return 0;
}

int http1_parse_request(const char *p, size_t hlen, http1_request_t *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (hlen > HTTP1_HEAD_MAX) {
        *why = "the request head is too large";
        return 431;
    }
    const char *eol = memchr(p, '\n', hlen);
    if (!eol) {
        *why = "not an HTTP/1.x request line";
        return 400;
    }
    size_t l1 = (size_t)(eol - p);
    r->line_end = l1 + 1;
    if (l1 && p[l1 - 1] == '\r')
        l1--;
    const char *sp1 = memchr(p, ' ', l1);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', l1 - (size_t)(sp1 + 1 - p)) : NULL;
    if (!sp1 || !sp2 || (size_t)(p + l1 - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
        *why = "not an HTTP/1.x request line";
        return 400;
    }
    r->method = p;
    r->mlen = (size_t)(sp1 - p);
    r->version = sp2 + 1;
    r->http10 = !strncmp(r->version, "HTTP/1.0", 8);
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target);
    if (http1_head_scan(p, hlen, &r->hi) != 0) {
        *why = "the request's framing headers are malformed";
        return 400;
    }
    if (r->mlen == 7 && !strncmp(p, "CONNECT", 7)) {
        r->connect = 1;
        if (http1_parse_authority(target, tlen, -1, r->host, &r->port) != 0) {
            *why = "CONNECT needs host:port";
            return 400;
        }
        return 0;
    }
    if (tlen < 8 || strncasecmp(target, "http://", 7) != 0) {
        *why = "this proxy takes CONNECT or absolute-form http:// requests only";
        return 400;
    }
    const char *auth = target + 7, *tend = target + tlen, *path = auth;
    while (path < tend && *path != '/' && *path != '?' && *path != '#')
        path++;
    if (memchr(auth, '@', (size_t)(path - auth)) ||
        http1_parse_authority(auth, (size_t)(path - auth), 80, r->host, &r->port) != 0) {
        *why = "the request's URL has no usable host";
        return 400;
    }
    r->path = path;
    r->plen = (size_t)(tend - path);
    r->head = r->mlen == 4 && !strncmp(p, "HEAD", 4);
    return 0;
}

char *http1_origin_head(const char *p, size_t hlen, const http1_request_t *r, size_t *outlen)
{
    size_t cap = hlen + 16;
    char *h = malloc(cap), *o = h;
    if (!h)
        return NULL;
    memcpy(o, r->method, r->mlen + 1);   /* with its space */
    o += r->mlen + 1;
    if (!r->plen) {
        *o++ = '/';
    } else {
        memcpy(o, r->path, r->plen);
        o += r->plen;
    }
    *o++ = ' ';
    memcpy(o, r->version, 8);            /* "HTTP/1.x" */
    o += 8;
    *o++ = '\r';
    *o++ = '\n';
    const char *line = p + r->line_end, *end = p + hlen;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break;                       /* a complete head ends every line */
        size_t ln = (size_t)(nl - line) + 1;
        size_t bare = ln - 1 - (ln >= 2 && line[ln - 2] == '\r');
        size_t vl;
        if (bare == 0)
            break;
        if (!http1_header_value(line, bare, "Proxy-Connection", &vl) &&
            !http1_header_value(line, bare, "Proxy-Authorization", &vl)) {
            memcpy(o, line, ln);
            o += ln;
        }
        line = nl + 1;
    }
    *o++ = '\r';
    *o++ = '\n';
    *outlen = (size_t)(o - h);
    return h;
}

/* ---- the response ----------------------------------------------------------------------- */

int http1_parse_response(const char *p, size_t hlen, int *status, http1_head_info_t *hi)
{
    *status = 0;
    memset(hi, 0, sizeof *hi);
    if (hlen < 12 || strncmp(p, "HTTP/1.", 7) != 0)
        return -1;
    size_t i = 9, digits = 0;
    int s = 0;
    while (i < hlen && (p[i] == ' ' || p[i] == '\t'))
        i++;
    while (i < hlen && digits < 3 && p[i] >= '0' && p[i] <= '9') {
        s = s * 10 + (p[i] - '0');
        digits++;
        i++;
    }
    if (!digits)
        return -1;
    if (http1_head_scan(p, hlen, hi) != 0)
        return -1;
    *status = s;
    return 0;
}
