/* remote.c -- a remote browser's DevTools websocket (see remote.h): parsing
 * browser.endpoint, discovering its websocket path over /json/version with libcurl on the
 * thread pool, and its address for the egress proxy's peer check. Knows nothing of the
 * connection made afterwards (cdp.c) nor of the engine that asks. */
#include "remote.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BODY_MAX 65536

typedef struct {
    uv_work_t work;
    unsigned tag;
    remote_found_cb found;
    void *ud;
    char endpoint[512];
    char token[512], ca_file[4096];
    int token_query;           /* the token goes as ?token= (browserless), not a header */
    remote_ws_t ws;
    char error[300];
} discovery_t;

int remote_parse(const char *endpoint, remote_ws_t *ws, int *discover, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = -1;
    memset(ws, 0, sizeof *ws);
    *discover = 0;
    if (!u || curl_url_set(u, CURLUPART_URL, endpoint, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        snprintf(err, errlen, "browser.endpoint '%s' is not a URL "
                 "(http://host:port, https://host:port, ws://... or wss://...)", endpoint);
        goto out;
    }
    if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
        *discover = 1;
        ws->tls = !strcmp(scheme, "https");
    } else if (!strcmp(scheme, "ws") || !strcmp(scheme, "wss")) {
        ws->tls = !strcmp(scheme, "wss");
        snprintf(ws->path, sizeof ws->path, "%s", path);
    } else {
        snprintf(err, errlen, "browser.endpoint '%s': the scheme must be http, "
                 "https, ws or wss", endpoint);
        goto out;
    }
    /* IPv6 literals come back in brackets; the socket wants the address alone */
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
        snprintf(ws->host, sizeof ws->host, "%.*s", (int)(hl - 2), host + 1);
    else
        snprintf(ws->host, sizeof ws->host, "%s", host);
    ws->port = atoi(port);
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

/* The answer's body, capped: more than BODY_MAX or out of memory ends the transfer. */
static size_t discovery_write_cb(char *p, size_t size, size_t n, void *ud)
{
    return buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

static void discovery_work_cb(uv_work_t *w)
{
    discovery_t *ds = w->data;
    char url[600], auth[600];
    buf_t body;
    buf_init(&body, BODY_MAX);
    struct curl_slist *hdrs = NULL;
    size_t el = strlen(ds->endpoint);
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(ds->error, sizeof ds->error, "out of memory");
        return;
    }
    char *q = ds->token_query && ds->token[0] ? curl_easy_escape(c, ds->token, 0) : NULL;
    int n = snprintf(url, sizeof url, "%.*s/json/version%s%s",
                     (int)(el && ds->endpoint[el - 1] == '/' ? el - 1 : el), ds->endpoint,
                     q ? "?token=" : "", q ? q : "");
    curl_free(q);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(ds->error, sizeof ds->error, "browser.endpoint %s: the URL and token are too long",
                 ds->endpoint);
        curl_easy_cleanup(c);
        return;
    }
    if (ds->token[0] && !ds->token_query) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", ds->token);
        if (!(hdrs = curl_slist_append(NULL, auth))) {
            snprintf(ds->error, sizeof ds->error, "out of memory");
            curl_easy_cleanup(c);
            return;
        }
        memset(auth, 0, sizeof auth);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discovery_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (ds->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, ds->ca_file);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        snprintf(ds->error, sizeof ds->error, "browser.endpoint %s: %s", ds->endpoint, curl_easy_strerror(rc));
        goto out;
    }
    if (code == 401 || code == 403) {
        snprintf(ds->error, sizeof ds->error, "browser.endpoint %s refused us (HTTP %ld): check "
                 "browser.token", ds->endpoint, code);
        goto out;
    }
    json_error_t je;
    json_t *doc = body.data ? json_loadb(body.data, body.len, 0, &je) : NULL;
    const char *ws = json_string_value(json_object_get(doc, "webSocketDebuggerUrl"));
    CURLU *u = curl_url();
    char *path = NULL;
    if (code != 200 || !ws || !u ||
        curl_url_set(u, CURLUPART_URL, ws, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        snprintf(ds->error, sizeof ds->error,
                 "browser.endpoint %s is not a Chromium DevTools endpoint (no webSocketDebuggerUrl "
                 "in /json/version, HTTP %ld)", ds->endpoint, code);
    } else {
        snprintf(ds->ws.path, sizeof ds->ws.path, "%s", path);
    }
    curl_free(path);
    curl_url_cleanup(u);
    json_decref(doc);
out:
    buf_free(&body);
}

static void discovery_free(discovery_t *ds)
{
    memset(ds->token, 0, sizeof ds->token);
    free(ds);
}

static void discovery_after_cb(uv_work_t *w, int status)
{
    discovery_t *ds = w->data;
    const char *err = ds->error[0] ? ds->error : status ? "browser discovery canceled" : NULL;
    ds->found(&ds->ws, err, ds->tag, ds->ud);
    discovery_free(ds);
}

int remote_discover(uv_loop_t *loop, const char *endpoint, const char *token, int token_query,
                    const char *ca_file, unsigned tag, remote_found_cb found, void *ud,
                    char *err, size_t errlen)
{
    discovery_t *ds = calloc(1, sizeof *ds);
    int discover;
    if (!ds) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ds->tag = tag;
    ds->found = found;
    ds->ud = ud;
    snprintf(ds->endpoint, sizeof ds->endpoint, "%s", endpoint);
    snprintf(ds->token, sizeof ds->token, "%s", token ? token : "");
    ds->token_query = token_query;
    snprintf(ds->ca_file, sizeof ds->ca_file, "%s", ca_file ? ca_file : "");
    if (remote_parse(ds->endpoint, &ds->ws, &discover, err, errlen) != 0)
        goto fail;
    ds->work.data = ds;
    if (uv_queue_work(loop, &ds->work, discovery_work_cb, discovery_after_cb) != 0) {
        snprintf(err, errlen, "cannot queue the browser discovery");
        goto fail;
    }
    return 0;
fail:
    discovery_free(ds);
    return -1;
}

int remote_peer_ip(const char *endpoint, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *host = NULL;
    unsigned char tmp[16];
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, endpoint, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        size_t n = strlen(host);
        if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
        if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1) {
            snprintf(out, outlen, "%s", host);
            rc = 0;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}
