/* http_export.c -- GET /export?format=netscape|jsonl|csv&<link.list's filter>: the
 * library, or what a filter shows, as a download (Content-Disposition: attachment),
 * written by common/export.c. It is streamed: one page of link.list (500 links, through
 * dispatch.c like POST /rpc, so the store is read off the loop) is formatted and sent,
 * and the next page is asked for only when that one has gone out, so memory stays a page
 * whatever the library's size and a slow reader slows the reading. No length is known
 * beforehand: the response ends when the connection closes (HTTP/1.1) or with the last
 * frame (HTTP/2). Routing and authentication are http.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "http_int.h"
#include "log.h"

#define EXPORT_PAGE 500

struct http_export {
    export_format_t fmt;
    json_t *params;        /* link.list's, the cursor replaced page by page */
    buf_t out;             /* formatted, not yet sent */
    size_t off;            /* of out, sent */
    int asking;            /* a page is on its way */
    int last;              /* the last page came: out ends with the tail */
    int64_t seq;
};

void http_export_free(http_export_t *x)
{
    if (!x)
        return;
    json_decref(x->params);
    buf_free(&x->out);
    free(x);
}

/* A comma-separated list (tags hold no comma) as link.list's array under key. */
static int put_list(json_t *p, const char *key, const char *v)
{
    if (!v || !*v)
        return 0;
    json_t *a = json_array();
    if (!a || json_object_set_new(p, key, a))
        return -1;
    for (const char *s = v; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n && json_array_append_new(a, json_stringn(s, n)))
            return -1;
        s += n + (e != NULL);
    }
    return 0;
}

/* Refused before a byte of the body went: a plain error answer, not a download. */
static void refuse(hreq_t *r, int status, const char *msg)
{
    http_export_free(r->exp);
    r->exp = NULL;
    buf_reset(&r->hdrs);
    http_respond_error(r, status, "%s", msg);
}

static int yes(const char *v) { return v && (!strcmp(v, "1") || !strcmp(v, "true")); }

static void page_cb(json_t *reply, void *ud);

static void ask_page(hreq_t *r)
{
    http_export_t *x = r->exp;
    json_t *doc = rpc_request(++x->seq, "link.list", x->params);   /* borrows */
    r->busy++;
    x->asking = 1;
    if (!doc || dispatch_doc(r->h->d, doc, 1, page_cb, r) != 0) {
        json_decref(doc);
        x->asking = 0;
        if (http_req_unbusy(r))
            return;
        log_warn("http: /export ran out of memory; the download is cut short");
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    json_decref(doc);
}

static void page_cb(json_t *reply, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r)) {
        json_decref(reply);
        return;
    }
    http_export_t *x = r->exp;
    x->asking = 0;
    json_t *res = json_object_get(reply, "result");
    if (!json_is_object(res)) {
        const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
        if (!r->ready) {   /* nothing sent yet: a plain error answer */
            refuse(r, 400, msg ? msg : "the export failed");
        } else {
            log_warn("http: /export stopped: %s", msg ? msg : "no result");
            lws_set_timeout(r->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
        json_decref(reply);
        return;
    }
    size_t i;
    json_t *l;
    int bad = 0;
    json_array_foreach(json_object_get(res, "links"), i, l)
        bad = bad || export_write_link(x->fmt, l, &x->out);
    json_t *next = json_object_get(res, "next_cursor");
    if (json_is_string(next))
        bad = bad || json_object_set(x->params, "cursor", next);
    else {
        x->last = 1;
        bad = bad || export_write_tail(x->fmt, &x->out);
    }
    json_decref(reply);
    if (bad) {
        log_warn("http: /export ran out of memory; the download is cut short");
        lws_set_timeout(r->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    if (!r->ready) {
        r->status = 200;
        r->ready = 1;
    }
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 300);   /* per page, not the whole */
    lws_callback_on_writable(r->wsi);
}

void http_route_export(hreq_t *r)
{
    const char *fname = http_arg_get(r, "format");
    int fmt = export_format_parse(fname ? fname : "netscape");
    if (fmt < 0) {
        http_respond_error(r, 400, "format must be netscape, jsonl or csv");
        return;
    }
    http_export_t *x = calloc(1, sizeof *x);
    if (!x) {
        http_respond_error(r, 500, "out of memory");
        return;
    }
    r->exp = x;
    x->fmt = (export_format_t)fmt;
    buf_init(&x->out, 0);
    json_t *p = x->params = json_pack("{s:i}", "limit", EXPORT_PAGE);
    const char *q = http_arg_get(r, "q"), *sort = http_arg_get(r, "sort");
    if (!p || put_list(p, "tags_all", http_arg_get(r, "tags_all")) ||
        put_list(p, "tags_any", http_arg_get(r, "tags_any")) ||
        put_list(p, "tags_none", http_arg_get(r, "tags_none")) ||
        (yes(http_arg_get(r, "untagged")) && json_object_set_new(p, "untagged", json_true())) ||
        (yes(http_arg_get(r, "broken")) && json_object_set_new(p, "broken", json_true())) ||
        (q && *q && json_object_set_new(p, "q", json_string(q))) ||
        (sort && *sort && json_object_set_new(p, "sort", json_string(sort))) ||
        export_write_head(x->fmt, &x->out)) {
        refuse(r, 500, "out of memory");
        return;
    }
    char disp[64];
    snprintf(disp, sizeof disp, "attachment; filename=\"linksnap-export.%s\"",
             export_format_ext(x->fmt));
    http_req_header(r, "content-disposition:", disp);
    http_req_header(r, "cache-control:", "no-store");
    r->ctype = export_format_type(x->fmt);
    /* no length: lws says `connection: close` itself on HTTP/1.1 and closes at the end */
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 300);
    ask_page(r);
}

int http_export_write(http_t *h, hreq_t *r, struct lws *wsi)
{
    http_export_t *x = r->exp;
    size_t n = x->out.len - x->off;
    if (n == 0 && !x->last) {
        if (!x->asking)
            ask_page(r);
        return 0;
    }
    if (n > WRITE_CHUNK)
        n = WRITE_CHUNK;
    int final = x->last && x->off + n >= x->out.len;
    if (n)
        memcpy(h->wbuf + LWS_PRE, x->out.data + x->off, n);
    if (lws_write(wsi, h->wbuf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
        return -1;
    x->off += n;
    if (final)
        return 1;
    if (x->off == x->out.len) {   /* the page went out: the next one */
        buf_reset(&x->out);
        x->off = 0;
        if (!x->asking)
            ask_page(r);
        return 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}
