/* method.c -- helpers every method handler uses: failing a call with a JSON-RPC error,
 * emitting events, translating store errors, and validating params with messages that
 * name the param. Knows method.h and jansson; nothing of sockets or the loop. */
#include "method.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errcode.h"
#include "util.h"

/* Cuts s back so it does not end inside a UTF-8 sequence (messages quote user input). */
static void utf8_trim_tail(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && !util_utf8_valid(s, n))
        s[--n] = '\0';
}

/* The call's error: its JSON-RPC code and sentence, and data (taken; NULL: none). */
static int fail_v(method_call_t *call, int code, json_t *data, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int fail_v(method_call_t *call, int code, json_t *data, const char *fmt, va_list ap)
{
    vsnprintf(call->err_msg, sizeof call->err_msg, fmt, ap);
    utf8_trim_tail(call->err_msg);
    call->err_code = code;
    json_decref(call->err_data);
    call->err_data = data;
    return -1;
}

int method_fail(method_call_t *call, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(call, code, NULL, fmt, ap);
    va_end(ap);
    /* the stable code beside the sentence (protocol/errcode.c), when it is one we name */
    call->err_data = errcode_data(call->err_msg);
    return -1;
}

int method_fail_code(method_call_t *call, int code, const char *ecode, json_t *params,
                     const char *fmt, ...)
{
    json_t *data = json_pack("{s:s,s:o}", "code", ecode, "params", params ? params : json_object());
    va_list ap;
    va_start(ap, fmt);
    fail_v(call, code, data, fmt, ap);
    va_end(ap);
    return -1;
}

int method_emit(method_call_t *call, const char *topic, json_t *fields)
{
    json_t *ev = fields ? fields : json_object();
    if (!ev)
        return -1;
    if (!call->events && !(call->events = json_array()))
        goto fail;
    if (json_object_set_new(ev, "topic", json_string(topic)))
        goto fail;
    if (json_array_append_new(call->events, ev))
        return -1;
    return 0;
fail:
    json_decref(ev);
    return -1;
}

int method_fail_store(method_call_t *call, int rc, const char *what)
{
    const char *msg = call->db ? store_errmsg(call->db) : "";
    if (!msg || !*msg)
        msg = "store error";
    int code;
    switch (rc) {
    case STORE_ENOTFOUND: code = RPC_NOT_FOUND; break;
    case STORE_EINVAL: code = RPC_INVALID_PARAMS; break;
    case STORE_ECONFLICT: code = RPC_CONFLICT; break;
    case STORE_EBUSY: code = RPC_STORE_BUSY; break;
    case STORE_EIO: code = RPC_STORE_FAILED; break;
    default: code = RPC_INTERNAL_ERROR; break;
    }
    if (what && *what)
        return method_fail(call, code, "%s: %s", what, msg);
    return method_fail(call, code, "%s", msg);
}

/* {param: NAME}: the params of a code about one param */
#define PARAM_OF(n) json_pack("{s:s}", "param", (n))

static json_t *get_param(method_call_t *call, const char *name)
{
    return json_is_object(call->params) ? json_object_get(call->params, name) : NULL;
}

int param_string(method_call_t *call, const char *name, int required, const char **out)
{
    json_t *v = get_param(call, name);
    if (!v || json_is_null(v)) {
        *out = NULL;
        if (required)
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_missing", PARAM_OF(name),
                                    "missing param '%s' (a string)", name);
        return 0;
    }
    if (!json_is_string(v))
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_type", PARAM_OF(name),
                                "param '%s' must be a string", name);
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v))
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_nul", PARAM_OF(name),
                                "param '%s' must not contain NUL", name);
    return 0;
}

int param_int(method_call_t *call, const char *name, int required, int64_t min, int64_t max,
              int64_t *out)
{
    json_t *v = get_param(call, name);
    if (!v || json_is_null(v)) {
        if (required)
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_missing", PARAM_OF(name),
                                    "missing param '%s' (an integer)", name);
        return 0; /* *out keeps the caller's default */
    }
    if (!json_is_integer(v))
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_type", PARAM_OF(name),
                                "param '%s' must be an integer", name);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) {
        char smin[24], smax[24], sgot[24];
        snprintf(smin, sizeof smin, "%lld", (long long)min);
        snprintf(smax, sizeof smax, "%lld", (long long)max);
        snprintf(sgot, sizeof sgot, "%lld", (long long)i);
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_range",
                                json_pack("{s:s,s:s,s:s,s:s}", "param", name, "min", smin,
                                          "max", smax, "got", sgot),
                                "param '%s' must be from %s to %s, got %s", name, smin, smax, sgot);
    }
    *out = i;
    return 0;
}

int param_bool(method_call_t *call, const char *name, int required, int *out)
{
    json_t *v = get_param(call, name);
    if (!v || json_is_null(v)) {
        if (required)
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_missing", PARAM_OF(name),
                                    "missing param '%s' (true or false)", name);
        return 0;
    }
    if (!json_is_boolean(v))
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_type", PARAM_OF(name),
                                "param '%s' must be true or false", name);
    *out = json_is_true(v);
    return 0;
}

int param_string_array(method_call_t *call, const char *name, int required, json_t **out)
{
    json_t *v = get_param(call, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_missing", PARAM_OF(name),
                                    "missing param '%s' (an array of strings)", name);
        return 0;
    }
    if (json_is_string(v)) {
        /* a single string stands for a one-element array: keep it alive in params */
        json_t *arr = json_pack("[O]", v);
        if (!arr || json_object_set_new(call->params, name, arr))
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        *out = arr;
        return 0;
    }
    if (!json_is_array(v))
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_type", PARAM_OF(name),
                                "param '%s' must be an array of strings", name);
    if (json_array_size(v) > 10000)
        return method_fail_code(call, RPC_INVALID_PARAMS, "param_too_many", PARAM_OF(name),
                                "param '%s' has too many elements (at most 10000)", name);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_type", PARAM_OF(name),
                                    "param '%s'[%zu] must be a string", name, i);
    }
    *out = v;
    return 0;
}

int param_strv(method_call_t *call, const char *name, int required, const char ***out,
               size_t *n)
{
    json_t *arr;
    *out = NULL;
    *n = 0;
    if (param_string_array(call, name, required, &arr))
        return -1;
    if (!arr || json_array_size(arr) == 0)
        return 0;
    *out = malloc(json_array_size(arr) * sizeof **out);
    if (!*out)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
        (*out)[i] = json_string_value(e);
    *n = json_array_size(arr);
    return 0;
}

int param_reject_unknown(method_call_t *call, const char *const *known)
{
    if (!json_is_object(call->params))
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach(call->params, key, v) {
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            if (!strcmp(*k, key)) {
                ok = 1;
                break;
            }
        if (!ok)
            return method_fail_code(call, RPC_INVALID_PARAMS, "param_unknown", PARAM_OF(key),
                                    "unknown param '%s'", key);
    }
    return 0;
}

void method_call_clear(method_call_t *call)
{
    json_decref(call->handoff);
    json_decref(call->result);
    json_decref(call->err_data);
    json_decref(call->events);
    json_decref(call->params);
    memset(call, 0, sizeof *call);
}
