/* http_int.h -- what the web server's files share (http.c, http_upload.c, http_ws.c): the
 * server, a request and a connection, and the few request helpers the upload path and the
 * websocket use. Private to linksnapd's web server; http.h is its face to the daemon. */
#ifndef LS_HTTP_INT_H
#define LS_HTTP_INT_H

#include <libwebsockets.h>
#include <limits.h>
#include <uv.h>

#include "buf.h"
#include "dispatch.h"
#include "http.h"
#include "http_auth.h"
#include "jsonrpc.h"
#include "tilecache.h"
#include "web_assets.h"

#define RPC_BODY_MAX RPC_MAX_LINE         /* as for a socket line */
#define SMALL_BODY_MAX 4096               /* /login */
#define UPLOAD_MAX (256u << 20)
#define UPLOAD_CHUNK (1u << 20)
#define UPLOAD_BUF (UPLOAD_CHUNK + (256u << 10))   /* a chunk, and what lws holds past it */
#define FILE_CHUNK (256u << 10)
#define WRITE_CHUNK 65536
#define WS_QUEUE_MAX (16u << 20)          /* a page this far behind on events is closed */
#define TILE_HEIGHT 1024
#define TILE_CACHE_MAX (48u << 20)
#define TILE_MAX_PIXELS (4096ull * 200000)
#define MAX_ARGS 16
#define ARG_MAX 4352            /* one "name=value": an upload's 4096 bytes of tags, and more */

enum { M_GET, M_HEAD, M_POST, M_OTHER };
enum { B_NONE, B_RPC, B_LOGIN, B_UPLOAD };

typedef struct {
    const web_asset_t *a;
    unsigned char *gz;         /* gzip of the file when smaller, else NULL */
    size_t gzlen;
    char etag[24];
} asset_t;

typedef struct hreq hreq_t;
typedef struct http_export http_export_t;   /* GET /export's stream (http_export.c) */

typedef struct wsmsg {
    struct wsmsg *next;
    size_t len;
    unsigned char data[];          /* LWS_PRE headroom, then the text */
} wsmsg_t;

typedef struct spool {
    struct spool *next;
    int64_t import_id;
    char path[UTIL_PATH_MAX];
} spool_t;

/* per connection (lws allocates it): an HTTP request in progress, or a websocket */
typedef struct pss {
    hreq_t *r;
    struct lws *wsi;
    struct pss *ws_next, *ws_prev;
    int is_ws, ws_close;
    events_sub_t *sub;
    char topics[256];
    wsmsg_t *q, **qtail;
    size_t qbytes;
} pss_t;

struct hreq {
    http_t *h;
    struct lws *wsi;               /* NULL once the connection closed */
    int method;
    char path[512];
    char host[160];
    char args[MAX_ARGS][ARG_MAX];  /* "name=value", decoded by lws */
    int nargs;
    int body_kind;
    buf_t body;
    int discard;                   /* answered early: drop the rest of the body */
    int busy;                      /* async operations in flight */
    /* response */
    int ready, status, hdr_sent, close_after;
    const char *ctype;
    buf_t hdrs;                    /* "name:" NUL "value" NUL, ... */
    const unsigned char *out;
    size_t out_len, out_off;
    unsigned char *owned;          /* freed with the request */
    /* file streaming */
    int fd;
    uint64_t file_size, file_off;
    unsigned char *fbuf;
    size_t fbuf_len;
    int fbuf_ready, reading;
    uv_fs_t fs;
    /* upload */
    int up_fd;
    char up_path[UTIL_PATH_MAX];
    uv_fs_t upfs;
    int up_writing, up_complete;
    char *up_data, *up_wdata;      /* filling, being written */
    size_t up_len, up_wlen, up_total;
    int up_paused;
    /* method calls (chart, import) */
    method_call_t call;
    /* tiles */
    tilecache_wait_t tile_wait;
    int64_t tile_snap;
    int tile_n;                    /* -1: tiles.json */
    /* GET /export */
    http_export_t *exp;
};

struct http {
    daemon_t *d;
    struct lws_context *ctx;
    http_auth_t auth;
    char url[200];
    int listening;
    char error[300];               /* why it is not listening */
    char login_base[200];          /* scheme://host:port a login link names */
    lws_retry_bo_t idle_policy;    /* websocket pings and the idle hang-up */
    asset_t *assets;
    size_t nassets;
    const asset_t *index;
    pss_t *ws;
    int closing, destroyed;
    char snapdir[PATH_MAX];        /* realpath of <state_dir>/snapshots, once it exists */
    char spooldir[UTIL_PATH_MAX];
    events_sub_t *spool_sub;
    spool_t *spools;
    tilecache_t *tiles;
    unsigned char wbuf[LWS_PRE + WRITE_CHUNK];
};

/* ---- requests (http.c) ---------------------------------------------------------------- */

/* The connection went away: free now, or when the last async operation ends. */
void http_req_detach(hreq_t *r);
/* Ends one async operation; returns 1 when the request is gone (freed). */
int http_req_unbusy(hreq_t *r);
/* Answers with doc (taken) as JSON. */
void http_respond_json(hreq_t *r, int status, json_t *doc);
/* Answers {"error": {code: status, message}}; the rest of a refused body is not read. */
void http_respond_error(hreq_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The value of query argument name, or NULL. */
const char *http_arg_get(const hreq_t *r, const char *name);
/* Copies header t into out: 1, 0 when absent, -1 when longer than outlen. */
int http_hdr(struct lws *wsi, enum lws_token_indexes t, char *out, int outlen);
/* Adds a response header ("name:" with its colon, as lws wants it). */
void http_req_header(hreq_t *r, const char *name, const char *value);
/* Sends body (borrowed: it must outlive the request) with this status and type. */
void http_respond_static(hreq_t *r, int status, const char *ctype, const unsigned char *body,
                         size_t len);
/* Takes body (malloc'ed). */
void http_respond_owned(hreq_t *r, int status, const char *ctype, unsigned char *body, size_t len);
/* Streams the file at path (uv_fs on the thread pool, FILE_CHUNK at a time). */
void http_respond_file(hreq_t *r, const char *path, const char *ctype);
/* A positive decimal id of at most 18 digits: 0 and *out, else -1. */
int http_parse_id(const char *s, size_t len, int64_t *out);

/* ---- the page's files (http_assets.c) ------------------------------------------------- */

/* Makes h->assets from web/static (gzip'ed where smaller) and h->index. 0 or -1. */
int http_assets_prepare(http_t *h);
const asset_t *http_asset_find(http_t *h, const char *path);
/* 1 when p is one of the page's own addresses (index.html answers it). */
int http_is_page(const char *p);
void http_serve_asset(hreq_t *r, const asset_t *as);

/* ---- images: snapshots, tiles, charts (http_files.c) --------------------------------- */

void http_route_snapshot(hreq_t *r, const char *rest);   /* after "/snapshots/" */
void http_route_chart(hreq_t *r, const char *rest);      /* after "/chart/" */
void http_route_diff(hreq_t *r, const char *rest);       /* after "/diff/" */

/* ---- GET /export (http_export.c) ------------------------------------------------------ */

void http_route_export(hreq_t *r);          /* authorized already */
/* One step of the stream: -1 to close, 0 more to come, 1 the last byte went. */
int http_export_write(http_t *h, hreq_t *r, struct lws *wsi);
void http_export_free(http_export_t *x);

/* ---- the API and the token's ways in (http_api.c) ------------------------------------- */

void http_run_rpc(hreq_t *r);       /* POST /rpc's body is complete */
void http_run_login(hreq_t *r);     /* POST /login's body is complete */
void http_login_link(hreq_t *r);    /* GET PAGE?token=T */
/* The session cookie's Set-Cookie value (max_age 0 ends it). */
void http_cookie_header(char *out, size_t outlen, const char *value, int max_age, int secure);

/* ---- set-up from the config (http_listen.c) ------------------------------------------- */

/* The address to bind for host: a literal as it is, a name resolved once. 0 or -1. */
int http_listen_resolve(const char *host, char *out, size_t outlen, char *err, size_t errlen);
/* Tries the bind lws will do, without listening. 0, or -1 with why. */
int http_listen_probe(const char *addr, int port, char *why, size_t whylen);
/* The token: http.token, http.token_file, or the state dir's own (made at first start);
 * state_dir NULL = a check only. 0 or -1 with err. */
int http_token_resolve(const config_t *cfg, const char *state_dir, char *out, size_t outlen,
                       char *err, size_t errlen);
/* 1 when both TLS files are set and readable, 0 when neither is set, -1 with err. */
int http_tls_wanted(const config_t *cfg, char *err, size_t errlen);

/* ---- POST /import: uploads into the import spool (http_upload.c) ---------------------- */

/* Makes <state_dir>/import-spool's name, removes what an earlier run left there and
 * listens for import.finished. Returns 0 or -1 with err. */
int http_spool_start(http_t *h, char *err, size_t errlen);
void http_spool_stop(http_t *h);    /* http_close: no more events */
void http_spool_free(http_t *h);    /* http_free: forgets the spooled files (they stay) */
/* Opens the spool file for r's body; on failure it has answered and returns -1. */
int http_upload_open(hreq_t *r);
void http_upload_feed(hreq_t *r, const char *in, size_t len);
/* The body is complete: the rest is written, then import.start is called. */
void http_upload_done(hreq_t *r);

/* ---- GET /events: the websocket (http_ws.c) ------------------------------------------ */

/* The upgrade: Host, Origin and the token, like a POST. Returns nonzero to refuse. */
int http_ws_filter(http_t *h, struct lws *wsi, pss_t *ps);
int http_ws_open(http_t *h, struct lws *wsi, pss_t *ps);     /* subscribes; -1 to close */
int http_ws_write(struct lws *wsi, pss_t *ps);               /* sends the next event */
void http_ws_closed(http_t *h, pss_t *ps);                  /* unsubscribes, frees the queue */

#endif
