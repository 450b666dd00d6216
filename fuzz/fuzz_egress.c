/* fuzz_egress.c -- libFuzzer harness for what the egress proxy parses from pages and
 * servers (capture/http1.c) and the one parse of a target host (capture/guard.c): the
 * input is a request head (CONNECT line or absolute-form http://) with what follows it.
 * It checks, besides memory safety:
 *   - a complete head over HTTP1_HEAD_MAX is never accepted (issue 24 finding 12);
 *   - a parsed request's host is a terminated string the guard parses into an address
 *     whose text round-trips, or a name; a refused target is cleared (finding 5);
 *   - the origin-form head fits the size the proxy allocates and keeps the request line;
 *   - chunked and Content-Length framing consume the same bytes and fail the same way
 *     whether the body arrives in one piece or in pieces of random sizes. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "http1.h"

/* A body fed whole and in pieces: the same bytes taken, the same outcome. */
static void check_frame(const char *p, size_t n, http1_fmode_t mode, uint64_t len, uint32_t seed)
{
    http1_frame_t whole, split;
    http1_frame_init(&whole, mode, len);
    http1_frame_init(&split, mode, len);
    long k1 = http1_frame_take(&whole, p, n);
    if (k1 > (long)n)
        abort();
    size_t off = 0;
    long k2 = 0;
    while (off < n) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = 1 + (seed >> 16) % 17;
        if (piece > n - off)
            piece = n - off;
        long k = http1_frame_take(&split, p + off, piece);
        if (k < 0) {
            k2 = -1;
            break;
        }
        if ((size_t)k > piece)
            abort();
        k2 += k;
        off += (size_t)k;
        if ((size_t)k < piece)   /* the body ended inside this piece */
            break;
    }
    if ((k1 < 0) != (k2 < 0) || (k1 >= 0 && (k1 != k2 || whole.done != split.done)))
        abort();
}

/* guard_parse_target's promises for any host text. */
static void check_target(const char *host)
{
    guard_target_t t;
    char why[256];
    memset(&t, 0xa5, sizeof t);
    if (guard_parse_target(host, &t, why, sizeof why) != 0) {
        static const uint8_t zero[16] = {0};
        if (t.is_addr || t.name[0] || memcmp(t.addr, zero, 16) || !why[0])
            abort();
        return;
    }
    if (!memchr(t.name, '\0', sizeof t.name) || !t.name[0])
        abort();
    uint8_t back[16];
    if (t.is_addr) {
        /* the text stands for the same address, and parses back to it */
        guard_target_t again;
        if (guard_parse_target(t.name, &again, why, sizeof why) != 0 || !again.is_addr ||
            memcmp(again.addr, t.addr, 16) != 0)
            abort();
        if (strchr(t.name, ':') && inet_pton(AF_INET6, t.name, back) != 1)
            abort();
        guard_rules_t r = {.top_public = 1};
        guard_check_addr(&r, t.addr, why, sizeof why);
    } else {
        guard_target_t again;   /* a name is stable: parsing it again gives it back */
        if (guard_parse_target(t.name, &again, why, sizeof why) != 0 || again.is_addr ||
            strcmp(again.name, t.name) != 0)
            abort();
        guard_rules_t r = {.deny_private = 1};
        guard_check_name(&r, t.name, why, sizeof why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that any read past the end is caught */
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = (seed ^ (uint8_t)p[i]) * 16777619u;

    size_t end;
    int hs = http1_head_status(p, size, HTTP1_HEAD_MAX, &end);
    if (hs == HTTP1_HEAD_DONE && (end == 0 || end > size || end > HTTP1_HEAD_MAX))
        abort();
    if (hs == HTTP1_HEAD_MORE && size >= HTTP1_HEAD_MAX)
        abort();
    size_t hlen = http1_head_end(p, size);
    if (hlen) {
        http1_request_t r;
        const char *why = NULL;
        int code = http1_parse_request(p, hlen, &r, &why);
        if ((hlen > HTTP1_HEAD_MAX) != (code == 431) || (code && !why))
            abort();
        if (code == 0) {
            size_t hl = strnlen(r.host, sizeof r.host);
            if (hl == 0 || hl >= sizeof r.host || r.port < 0 || r.port > 99999)
                abort();
            check_target(r.host);
            if (!r.connect) {
                if (r.path < p || r.path + r.plen > p + hlen)
                    abort();
                size_t ol;
                char *o = http1_origin_head(p, hlen, &r, &ol);
                if (o) {
                    if (ol > hlen + 16 || ol < r.mlen + 13 || memcmp(o, r.method, r.mlen) != 0 ||
                        o[r.mlen] != ' ' || memcmp(o + ol - 2, "\r\n", 2) != 0)
                        abort();
                    free(o);
                }
                /* the body after the head, framed as the head says */
                if (r.hi.chunked)
                    check_frame(p + hlen, size - hlen, HTTP1_F_CHUNKED, 0, seed);
                else if (r.hi.has_len)
                    check_frame(p + hlen, size - hlen, HTTP1_F_LEN, r.hi.len, seed);
            }
        }
        int status;
        http1_head_info_t hi;
        if (http1_parse_response(p, hlen, &status, &hi) == 0 && (status < 0 || status > 999))
            abort();
    }
    /* whatever the input: chunked framing, a CONNECT authority, a host */
    check_frame(p, size, HTTP1_F_CHUNKED, 0, seed);
    char host[HTTP1_HOST_MAX];
    int port;
    size_t line = size;
    const char *nl = memchr(p, '\n', size);
    if (nl)
        line = (size_t)(nl - p);
    if (http1_parse_authority(p, line, (int)(seed & 1) ? 80 : -1, host, &port) == 0) {
        if (!host[0] || strnlen(host, sizeof host) >= sizeof host)
            abort();
        check_target(host);
    }
    if (line < 300) {
        char s[300];
        memcpy(s, p, line);
        s[line] = '\0';
        check_target(s);
    }
    free(p);
    return 0;
}
