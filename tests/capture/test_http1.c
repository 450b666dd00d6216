/* test_http1.c -- the egress proxy's HTTP/1 parsing (capture/http1.c) on bytes alone: where
 * a head ends and when it is too large (issue 24 finding 12: a 40 KB head that arrives in
 * one read is refused like one that never ends), request lines with CONNECT and absolute
 * form targets, the origin-form head for the server, response status lines, and body
 * framing fed whole and a byte at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "test.h"

/* A request head of exactly `total` bytes: a GET, then X-Pad lines, then the empty line
 * (ended = 0: no empty line at all). Returns it owned. */
static char *big_head(size_t total, int ended)
{
    char *h = malloc(total + 1);
    if (!h)
        return NULL;
    const char *first = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n";
    size_t n = strlen(first);
    memcpy(h, first, n);
    size_t stop = ended ? total - 2 : total;
    while (n < stop) {
        size_t line = stop - n;
        if (line > 4000)   /* leave the last line room for its name */
            line = stop - n - 4000 < 10 ? stop - n - 10 : 4000;
        memcpy(h + n, "X-Pad: ", 7);
        memset(h + n + 7, 'a', line - 9);
        memcpy(h + n + line - 2, "\r\n", 2);
        n += line;
    }
    if (ended)
        memcpy(h + n, "\r\n", 2);
    h[total] = '\0';
    return h;
}

TEST(head_end_and_size)
{
    ASSERT_EQ(http1_head_end("GET / HTTP/1.1\r\n\r\nrest", 22), 18);
    ASSERT_EQ(http1_head_end("GET / HTTP/1.1\n\nrest", 20), 16);
    ASSERT_EQ(http1_head_end("GET / HTTP/1.1\n\r\n", 17), 17);
    ASSERT_EQ(http1_head_end("GET / HTTP/1.1\r\nHost: h\r\n", 25), 0);
    ASSERT_EQ(http1_head_end("", 0), 0);
    size_t end = 99;
    ASSERT_EQ(http1_head_status("GET / HTTP/1.1\r\n", 16, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_MORE);
    ASSERT_EQ(end, 0);

    /* finding 12: a complete 40 KB head in one buffer is too large, as is one that never
     * ends; a head of exactly the cap is fine, one byte more is not */
    char *h = big_head(40000, 1);
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(http1_head_end(h, 40000), 40000);
    ASSERT_EQ(http1_head_status(h, 40000, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_TOO_LARGE);
    http1_request_t r;
    const char *why = NULL;
    ASSERT_EQ(http1_parse_request(h, 40000, &r, &why), 431);
    ASSERT(why && strstr(why, "too large"));
    free(h);
    h = big_head(HTTP1_HEAD_MAX, 1);
    ASSERT_EQ(http1_head_status(h, HTTP1_HEAD_MAX, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_DONE);
    ASSERT_EQ(end, HTTP1_HEAD_MAX);
    ASSERT_EQ(http1_parse_request(h, end, &r, &why), 0);
    free(h);
    h = big_head(HTTP1_HEAD_MAX + 1, 1);
    ASSERT_EQ(http1_head_status(h, HTTP1_HEAD_MAX + 1, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_TOO_LARGE);
    ASSERT_EQ(http1_parse_request(h, HTTP1_HEAD_MAX + 1, &r, &why), 431);
    free(h);
    h = big_head(HTTP1_HEAD_MAX, 0);
    ASSERT_EQ(http1_head_status(h, HTTP1_HEAD_MAX - 1, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_MORE);
    ASSERT_EQ(http1_head_status(h, HTTP1_HEAD_MAX, HTTP1_HEAD_MAX, &end), HTTP1_HEAD_TOO_LARGE);
    free(h);
    return 0;
}

TEST(request_lines)
{
    http1_request_t r;
    const char *why = NULL;
    const char *c = "CONNECT Example.COM.:443 HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_EQ(r.connect, 1);
    ASSERT_STR_EQ(r.host, "example.com");
    ASSERT_EQ(r.port, 443);
    c = "CONNECT [::1]:8443 HTTP/1.1\r\n\r\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_STR_EQ(r.host, "::1");
    ASSERT_EQ(r.port, 8443);
    /* numeric spellings are handed on as written: guard_parse_target decides what they are */
    c = "CONNECT 0x7f000001:80 HTTP/1.1\r\n\r\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_STR_EQ(r.host, "0x7f000001");
    c = "GET http://127.1:8080/a?b=c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_EQ(r.connect, 0);
    ASSERT_STR_EQ(r.host, "127.1");
    ASSERT_EQ(r.port, 8080);
    ASSERT_EQ(r.plen, 6);
    ASSERT(!strncmp(r.path, "/a?b=c", 6));
    ASSERT_EQ(r.hi.has_len, 1);
    ASSERT_EQ(r.hi.len, 5);
    c = "HEAD http://h HTTP/1.0\n\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_EQ(r.head, 1);
    ASSERT_EQ(r.http10, 1);
    ASSERT_EQ(r.port, 80);
    ASSERT_EQ(r.plen, 0);

    static const struct { const char *req; const char *why; } bad[] = {
        {"garbage\r\n\r\n", "request line"},
        {"GET /relative HTTP/1.1\r\n\r\n", "CONNECT or absolute-form"},
        {"GET ftp://h/ HTTP/1.1\r\n\r\n", "CONNECT or absolute-form"},
        {"CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n", "host:port"},
        {"CONNECT 127.0.0.1:123456 HTTP/1.1\r\n\r\n", "host:port"},
        {"CONNECT ::1:80 HTTP/1.1\r\n\r\n", "host:port"},
        {"CONNECT [::1:80 HTTP/1.1\r\n\r\n", "host:port"},
        {"CONNECT a b:80 HTTP/1.1\r\n\r\n", "request line"},
        {"GET http://user:pw@127.0.0.1/ HTTP/1.1\r\n\r\n", "no usable host"},
        {"GET http://bad_host!/ HTTP/1.1\r\n\r\n", "no usable host"},
        {"GET http:///x HTTP/1.1\r\n\r\n", "no usable host"},
        {"GET http://127.0.0.1/ HTTP/2.0\r\n\r\n", "request line"},
        {"POST http://h/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "framing"},
        {"POST http://h/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "framing"},
        {"POST http://h/ HTTP/1.1\r\nContent-Length: x\r\n\r\n", "framing"},
        {"POST http://h/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "framing"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(bad); i++) {
        why = NULL;
        int code = http1_parse_request(bad[i].req, strlen(bad[i].req), &r, &why);
        ASSERT_MSG(code == 400 && why && strstr(why, bad[i].why), "%s: %d %s", bad[i].req, code,
                   why ? why : "(none)");
        ASSERT_MSG(memchr(r.host, '\0', sizeof r.host) != NULL, "%s: host unterminated", bad[i].req);
    }
    /* a CONNECT port of 0 or 65536+ parses: the proxy refuses it with 403 */
    c = "CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    ASSERT_EQ(r.port, 99999);
    return 0;
}

TEST(origin_form_head)
{
    const char *c = "GET http://h:81/p?q HTTP/1.1\r\nHost: h\r\nProxy-Connection: keep-alive\r\n"
                    "proxy-authorization: Basic eDp5\r\nAccept: */*\r\n\r\n";
    http1_request_t r;
    const char *why;
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    size_t n;
    char *o = http1_origin_head(c, strlen(c), &r, &n);
    ASSERT_NOT_NULL(o);
    const char *want = "GET /p?q HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
    ASSERT_EQ(n, strlen(want));
    ASSERT(!memcmp(o, want, n));
    free(o);
    c = "OPTIONS http://h HTTP/1.0\nX: y\n\n";
    ASSERT_EQ(http1_parse_request(c, strlen(c), &r, &why), 0);
    o = http1_origin_head(c, strlen(c), &r, &n);
    want = "OPTIONS / HTTP/1.0\r\nX: y\n\r\n";
    ASSERT_EQ(n, strlen(want));
    ASSERT(!memcmp(o, want, n));
    ASSERT_LE(n, strlen(c) + 16);
    free(o);
    return 0;
}

TEST(response_heads)
{
    int status;
    http1_head_info_t hi;
    const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), 0);
    ASSERT_EQ(status, 200);
    ASSERT_EQ(hi.len, 12);
    ASSERT_EQ(hi.close, 1);
    h = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), 0);
    ASSERT_EQ(status, 101);
    ASSERT_EQ(hi.upgrade, 1);
    h = "HTTP/1.1 204\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), 0);
    ASSERT_EQ(status, 204);
    h = "HTTP/1.1 OK\r\n\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), -1);
    h = "ICY 200 OK\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), -1);
    h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), -1);
    /* blanks after the status line's end are not read as the status */
    h = "HTTP/1.1         \r\n\r\n";
    ASSERT_EQ(http1_parse_response(h, strlen(h), &status, &hi), -1);
    return 0;
}

/* Feeds a body a byte at a time: the bytes taken, or -1. */
static long take_bytewise(http1_frame_t *f, const char *p, size_t n)
{
    long total = 0;
    for (size_t i = 0; i < n; i++) {
        long k = http1_frame_take(f, p + i, 1);
        if (k < 0)
            return -1;
        total += k;
        if (!k)
            break;
    }
    return total;
}

TEST(body_framing)
{
    const char *b = "3\r\nabc\r\n6;x=y\r\n world\r\n0\r\nTrailer: t\r\n\r\nNEXT";
    size_t body = strlen(b) - 4;
    http1_frame_t f;
    http1_frame_init(&f, HTTP1_F_CHUNKED, 0);
    ASSERT_EQ(http1_frame_take(&f, b, strlen(b)), (long)body);
    ASSERT_EQ(f.done, 1);
    http1_frame_init(&f, HTTP1_F_CHUNKED, 0);
    ASSERT_EQ(take_bytewise(&f, b, strlen(b)), (long)body);
    ASSERT_EQ(f.done, 1);
    /* bare LF line ends too */
    const char *lf = "2\nab\n0\n\nX";
    http1_frame_init(&f, HTTP1_F_CHUNKED, 0);
    ASSERT_EQ(http1_frame_take(&f, lf, strlen(lf)), (long)strlen(lf) - 1);
    ASSERT_EQ(f.done, 1);
    static const char *const bad[] = {"zz\r\n", "3\r\nabcX\r\n", "\r\n", "fffffffffffffffff\r\n",
                                      "0\r\n\rX"};
    for (size_t i = 0; i < LS_TEST_LEN(bad); i++) {
        http1_frame_init(&f, HTTP1_F_CHUNKED, 0);
        ASSERT_MSG(http1_frame_take(&f, bad[i], strlen(bad[i])) == -1, "case %zu", i);
        http1_frame_init(&f, HTTP1_F_CHUNKED, 0);
        ASSERT_MSG(take_bytewise(&f, bad[i], strlen(bad[i])) == -1, "case %zu bytewise", i);
    }
    http1_frame_init(&f, HTTP1_F_LEN, 5);
    ASSERT_EQ(http1_frame_take(&f, "abc", 3), 3);
    ASSERT_EQ(f.done, 0);
    ASSERT_EQ(http1_frame_take(&f, "defgh", 5), 2);
    ASSERT_EQ(f.done, 1);
    http1_frame_init(&f, HTTP1_F_LEN, 0);
    ASSERT_EQ(f.done, 1);
    ASSERT_EQ(http1_frame_take(&f, "x", 1), 0);
    http1_frame_init(&f, HTTP1_F_CLOSE, 0);
    ASSERT_EQ(http1_frame_take(&f, "xyz", 3), 3);
    ASSERT_EQ(f.done, 0);
    return 0;
}

TEST(hosts_and_authorities)
{
    char h[HTTP1_HOST_MAX];
    int port = -7;
    ASSERT_EQ(http1_set_host(h, "[FE80::1]", 9), 0);
    ASSERT_STR_EQ(h, "fe80::1");
    ASSERT_EQ(http1_set_host(h, "Example.COM..", 13), 0);
    ASSERT_STR_EQ(h, "example.com");
    ASSERT_EQ(http1_set_host(h, "a b", 3), -1);
    ASSERT_STR_EQ(h, "");
    ASSERT_EQ(http1_set_host(h, "[]", 2), -1);
    ASSERT_EQ(http1_set_host(h, "...", 3), -1);
    char longer[300];
    memset(longer, 'a', sizeof longer);
    ASSERT_EQ(http1_set_host(h, longer, HTTP1_HOST_MAX), -1);
    ASSERT_EQ(http1_set_host(h, longer, HTTP1_HOST_MAX - 1), 0);
    ASSERT_EQ(http1_parse_authority("h:8080", 6, -1, h, &port), 0);
    ASSERT_EQ(port, 8080);
    ASSERT_EQ(http1_parse_authority("h", 1, -1, h, &port), -1);
    ASSERT_EQ(http1_parse_authority("h", 1, 80, h, &port), 0);
    ASSERT_EQ(port, 80);
    ASSERT_EQ(http1_parse_authority("[::1]x", 6, 80, h, &port), -1);
    ASSERT_EQ(http1_parse_authority("h:", 2, 80, h, &port), -1);
    ASSERT_EQ(http1_parse_authority("h:8o", 4, 80, h, &port), -1);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(head_end_and_size),
    TEST_ENTRY(request_lines),
    TEST_ENTRY(origin_form_head),
    TEST_ENTRY(response_heads),
    TEST_ENTRY(body_framing),
    TEST_ENTRY(hosts_and_authorities),
    TEST_END,
};
TEST_MAIN()
