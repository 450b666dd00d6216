/* http1.h -- the HTTP/1 parsing the egress proxy (capture/egress.c) does on bytes every
 * website and every page controls: where a head ends, its framing headers, the request
 * line with its CONNECT authority or absolute-form http:// target, the origin-form head
 * sent on to the server, a response's status line, and body framing (Content-Length or
 * chunked, fed in any splits). Pure functions over caller-owned memory: no libuv, no
 * sockets, no allocation except http1_origin_head's result. Any thread. */
#ifndef LS_HTTP1_H
#define LS_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#define HTTP1_HEAD_MAX 32768       /* a request or response head, its empty line included */
#define HTTP1_HOST_MAX 256         /* a host with its terminating NUL */

/* ---- body framing ---- */

typedef enum { HTTP1_F_NONE, HTTP1_F_LEN, HTTP1_F_CHUNKED, HTTP1_F_CLOSE } http1_fmode_t;

typedef struct {
    http1_fmode_t mode;
    uint64_t left;         /* F_LEN: bytes to go; F_CHUNKED: of the current chunk */
    int cs, digits, done;  /* chunked: parser state; done: the body is complete */
} http1_frame_t;

/* A body of `mode` (len: its Content-Length for HTTP1_F_LEN). */
void http1_frame_init(http1_frame_t *f, http1_fmode_t mode, uint64_t len);
/* How many of the n bytes at p belong to the body (the rest is what follows it); -1 when a
 * chunked body is malformed. Takes the body in pieces of any size. */
long http1_frame_take(http1_frame_t *f, const char *p, size_t n);

/* ---- heads ---- */

/* The length of the head at the start of buf (up to and including its empty line), or 0
 * when the n bytes hold no complete head. */
size_t http1_head_end(const char *buf, size_t n);

enum { HTTP1_HEAD_MORE = 0, HTTP1_HEAD_DONE = 1, HTTP1_HEAD_TOO_LARGE = -1 };
/* Whether the n bytes at buf start with a complete head of at most max bytes: DONE (its
 * length in *end), MORE (read on), or TOO_LARGE -- a complete head longer than max, or
 * max bytes without an end. */
int http1_head_status(const char *buf, size_t n, size_t max, size_t *end);

/* line (n bytes, without its line end) is header `name` (any case): its value without the
 * surrounding blanks, its length in *vlen; NULL when the line is another header. */
const char *http1_header_value(const char *line, size_t n, const char *name, size_t *vlen);

typedef struct {
    int chunked, has_len, close, upgrade;   /* Transfer-Encoding: chunked; Connection: ... */
    uint64_t len;                           /* Content-Length when has_len */
} http1_head_info_t;

/* Reads the framing headers of a head's lines after its first (p, n: the whole head).
 * -1 when they are malformed: an unknown transfer coding, a bad or conflicting
 * Content-Length, or both Content-Length and chunked. */
int http1_head_scan(const char *p, size_t n, http1_head_info_t *hi);

/* ---- the request ---- */

/* h (n bytes) as a host: brackets and trailing dots removed, lower case, into out (at
 * least HTTP1_HOST_MAX bytes). -1 when it cannot be a host (empty, too long, or a byte
 * other than a-z 0-9 - . : _); out is then an empty string. */
int http1_set_host(char *out, const char *h, size_t n);

/* "host:port" or "[v6]:port" (a bare v6 address is refused) into host (HTTP1_HOST_MAX
 * bytes, as http1_set_host) and *port (0 to 99999: the caller checks the range); without
 * a port *port is default_port, or -1 is returned when default_port < 0. */
int http1_parse_authority(const char *a, size_t n, int default_port, char *host, int *port);

typedef struct {
    int connect;                /* CONNECT host:port: a tunnel */
    int head;                   /* a HEAD request (its response has no body) */
    int http10;                 /* HTTP/1.0 (no keep-alive unless asked) */
    const char *method;         /* into the head: the method, mlen bytes */
    size_t mlen;
    const char *path;           /* absolute form: path and query, plen bytes (0 = "/") */
    size_t plen;
    const char *version;        /* "HTTP/1.x", 8 bytes */
    size_t line_end;            /* the offset of the first header line */
    char host[HTTP1_HOST_MAX];  /* always a string: the target's host, or "" */
    int port;
    http1_head_info_t hi;
} http1_request_t;

/* Parses the complete request head p[0..hlen) (hlen from http1_head_end) into r, which
 * borrows from p. Returns 0, or the HTTP status to answer with a reason in *why: 431 for a
 * head over HTTP1_HEAD_MAX, 400 for a malformed request line, framing headers, a CONNECT
 * without host:port, a target other than CONNECT's or absolute-form http://, userinfo, or
 * a host that cannot be one. The port is not range-checked (0 and 65536+ come back). */
int http1_parse_request(const char *p, size_t hlen, http1_request_t *r, const char **why);

/* The head to send the server for the absolute-form request r (parsed from p, hlen):
 * origin form, the same header lines but Proxy-Connection and Proxy-Authorization.
 * Returns it owned (free()) with its length in *outlen, at most hlen + 16 bytes; NULL
 * when out of memory. */
char *http1_origin_head(const char *p, size_t hlen, const http1_request_t *r, size_t *outlen);

/* ---- the response ---- */

/* A complete response head's status (100-999) into *status and its framing into hi;
 * -1 when it is not an HTTP/1.x status line or its framing headers are malformed. */
int http1_parse_response(const char *p, size_t hlen, int *status, http1_head_info_t *hi);

#endif
