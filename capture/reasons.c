/* reasons.c -- a partial capture's reasons as data (reasons.h): the host of a request's
 * URL, the distinct hosts of the requests still pending, their sentence, and the
 * {code, params, text} object each reason is kept as. Pure functions over strings and
 * jansson values; shot.c calls them at the cut, tests/capture/test_reasons.c checks them. */
#include "reasons.h"

#include <stdio.h>
#include <string.h>

int reasons_url_host(const char *url, char *out, size_t size)
{
    if (!out || size == 0)
        return -1;
    out[0] = '\0';
    if (!url)
        return -1;
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return -1;
    for (const char *p = url; p < sep; p++) {   /* a scheme: letters, digits, + - . */
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (p > url && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
            return -1;
    }
    const char *a = sep + 3;
    size_t n = strcspn(a, "/?#");
    /* userinfo goes: the host is after the last @ of the authority */
    for (size_t i = n; i > 0; i--)
        if (a[i - 1] == '@') {
            a += i;
            n -= i;
            break;
        }
    if (n == 0 || n >= size)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return 0;
}

json_t *reasons_hosts(const json_t *pending, size_t max, size_t *distinct)
{
    json_t *seen = json_object(), *hosts = json_array();
    size_t n = 0;
    if (!seen || !hosts)
        goto fail;
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)pending, id, v) {
        const char *h = json_string_value(v);
        if (!h || !*h || json_object_get(seen, h))
            continue;
        if (json_object_set_new(seen, h, json_true()))
            goto fail;
        if (n++ < max && json_array_append_new(hosts, json_string(h)))
            goto fail;
    }
    json_decref(seen);
    if (distinct)
        *distinct = n;
    return hosts;
fail:
    json_decref(seen);
    json_decref(hosts);
    return NULL;
}

void reasons_requests_text(char *out, size_t size, int count, const json_t *hosts,
                           size_t distinct)
{
    if (!out || size == 0)
        return;
    int w = snprintf(out, size, "%d request%s still pending", count, count == 1 ? "" : "s");
    size_t len = w < 0 ? 0 : (size_t)w < size ? (size_t)w : size - 1;
    size_t nh = json_array_size(hosts);
    for (size_t i = 0; i < nh && len < size - 1; i++) {
        w = snprintf(out + len, size - len, "%s%s", i ? ", " : " (",
                     json_string_value(json_array_get(hosts, i)));
        len = w < 0 ? len : len + (size_t)w < size ? len + (size_t)w : size - 1;
    }
    if (nh && len < size - 1) {
        w = snprintf(out + len, size - len, "%s)", distinct > nh ? ", ..." : "");
        (void)w;
    }
}

json_t *reasons_item(const char *code, json_t *params, const char *text)
{
    if (!params)
        params = json_object();
    if (!params)
        return NULL;
    return json_pack("{s:s,s:o,s:s}", "code", code, "params", params, "text", text);
}
