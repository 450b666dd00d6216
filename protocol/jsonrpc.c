/* jsonrpc.c -- JSON-RPC 2.0 framing and message objects for newline-delimited JSON.
 * The framer finds lines in a byte stream with a hard cap; the classifier applies the
 * spec's rules (jsonrpc "2.0", method a string, id a string/number/null, params an
 * object or array); the builders make response, error and notification objects.
 * Knows nothing of the store, the loop or the methods. */
#include "jsonrpc.h"

#include "jsonmem.h"

#include <stdio.h>
#include <string.h>

void rpc_framer_init(rpc_framer_t *f, size_t max_line)
{
    /* room for one line at the cap plus what one read can bring */
    buf_init(&f->in, max_line + 256 * 1024);
    f->off = 0;
    f->scan = 0;
    f->max_line = max_line;
    f->overflow = 0;
}

void rpc_framer_free(rpc_framer_t *f) { buf_free(&f->in); }

int rpc_framer_feed(rpc_framer_t *f, const char *data, size_t len)
{
    if (f->overflow)
        return -1;
    if (f->off > 0) { /* drop what was handed out: only a partial line remains */
        buf_consume(&f->in, f->off);
        f->scan = f->scan > f->off ? f->scan - f->off : 0;
        f->off = 0;
    }
    size_t old_len = f->in.len;
    if (buf_append(&f->in, data, len) != 0) {
        f->overflow = 1;
        return -1;
    }
    /* refuse early when the unterminated tail already passed the cap. Only bytes not yet
     * known to hold no '\n' are searched, so a long line fed in pieces costs no rescans. */
    const char *tail = f->in.data + f->in.len;
    const char *last_nl = memrchr(f->in.data + old_len, '\n', len);
    if (!last_nl && old_len > f->scan)
        last_nl = memrchr(f->in.data + f->scan, '\n', old_len - f->scan);
    const char *tail_start = last_nl ? last_nl + 1 : f->in.data;
    if ((size_t)(tail - tail_start) > f->max_line) {
        f->overflow = 1;
        return -1;
    }
    return 0;
}

int rpc_framer_next(rpc_framer_t *f, const char **line, size_t *len)
{
    /* complete lines before an overlong one are still handed out */
    if (f->off >= f->in.len)
        return 0;
    size_t from = f->scan > f->off ? f->scan : f->off;
    char *nl = memchr(f->in.data + from, '\n', f->in.len - from);
    if (!nl) {
        f->scan = f->in.len;
        return 0;
    }
    char *start = f->in.data + f->off;
    size_t n = (size_t)(nl - start);
    if (n > f->max_line) {
        f->overflow = 1;
        return 0;
    }
    *nl = '\0';
    if (n > 0 && start[n - 1] == '\r')
        start[--n] = '\0';
    *line = start;
    *len = n;
    f->off = (size_t)(nl - f->in.data) + 1;
    f->scan = f->off;
    return 1;
}

json_t *rpc_parse_line(const char *line, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    /* jansson validates UTF-8 and caps nesting depth (2048); duplicates are refused so
     * that what a handler reads is what the client meant. */
    int nomem;
    json_t *doc = jsonmem_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr,
                                &nomem);
    if (!doc && nomem)
        snprintf(err, errlen, "out of memory parsing the request");   /* not the client's */
    else if (!doc)
        snprintf(err, errlen, "parse error at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
    return doc;
}

static int valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id) || json_is_real(id) || json_is_null(id);
}

void rpc_classify(json_t *msg, rpc_msg_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = RPC_MSG_INVALID;
    out->id = NULL;
    out->err_code = RPC_INVALID_REQUEST;
    if (!json_is_object(msg)) {
        out->err_msg = "invalid request: expected a JSON object";
        return;
    }
    json_t *id = json_object_get(msg, "id");
    if (id && valid_id(id))
        out->id = id;
    json_t *ver = json_object_get(msg, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        out->err_msg = "invalid request: \"jsonrpc\" must be \"2.0\"";
        return;
    }
    if (id && !valid_id(id)) {
        out->err_msg = "invalid request: \"id\" must be a string, a number or null";
        return;
    }
    json_t *method = json_object_get(msg, "method");
    if (!json_is_string(method)) {
        out->err_msg = "invalid request: \"method\" must be a string";
        return;
    }
    json_t *params = json_object_get(msg, "params");
    if (params && !json_is_object(params) && !json_is_array(params)) {
        out->err_msg = "invalid request: \"params\" must be an object or an array";
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach(msg, key, value) {
        if (strcmp(key, "jsonrpc") && strcmp(key, "id") && strcmp(key, "method") &&
            strcmp(key, "params")) {
            out->err_msg = "invalid request: unknown member (allowed: jsonrpc, id, method, params)";
            return;
        }
    }
    out->kind = id ? RPC_MSG_REQUEST : RPC_MSG_NOTIFICATION;
    out->method = json_string_value(method);
    out->params = params;
    out->err_code = 0;
}

json_t *rpc_request(int64_t id, const char *method, json_t *params)
{
    json_t *o = json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", (json_int_t)id,
                          "method", method);
    if (!o || (params && !json_is_null(params) && json_object_set(o, "params", params))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *envelope(json_t *id)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "jsonrpc", json_string("2.0")) ||
        json_object_set(o, "id", id ? id : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rpc_result(json_t *id, json_t *result)
{
    json_t *o = envelope(id);
    if (!o) {
        json_decref(result);   /* stolen, whatever happens */
        return NULL;
    }
    if (json_object_set_new(o, "result", result ? result : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rpc_error(json_t *id, int code, const char *message, json_t *data)
{
    json_t *o = envelope(id);
    json_t *e = json_pack("{s:i,s:s}", "code", code, "message", message ? message : "");
    if (!o || !e)
        goto fail;
    if (data && json_object_set_new(e, "data", data)) {
        data = NULL;
        goto fail;
    }
    data = NULL;
    if (json_object_set_new(o, "error", e)) {
        e = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(o);
    json_decref(e);
    json_decref(data);
    return NULL;
}

json_t *rpc_notification(const char *method, json_t *params)
{
    json_t *o = json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method);
    if (!o) {
        json_decref(params);   /* stolen, whatever happens */
        return NULL;
    }
    if (json_object_set_new(o, "params", params ? params : json_object())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

typedef struct {
    buf_t *out;
    int failed;
} dump_ctx_t;

/* jansson does not check the write of an object's key and carries on after it failed (the
 * key is missing from the line): once one append fails, every later one fails too, and
 * rpc_write looks at the flag itself. */
static int dump_cb(const char *buffer, size_t size, void *data)
{
    dump_ctx_t *d = data;
    if (d->failed || buf_append(d->out, buffer, size) != 0) {
        d->failed = 1;
        return -1;
    }
    return 0;
}

int rpc_write(buf_t *out, const json_t *msg)
{
    size_t before = out->len;
    dump_ctx_t d = {out, 0};
    if (json_dump_callback(msg, dump_cb, &d, JSON_COMPACT) != 0 || d.failed ||
        buf_append(out, "\n", 1) != 0) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
        return -1;
    }
    return 0;
}
