/* config.c -- defaults, the `key = value` config file (linksnapd.conf(5)) and overrides.
 * Knows the keys and their ranges; knows nothing of what uses them. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "formats.h"
#include "log.h"
#include "remote.h"
#include "shot.h"
#include "webhook.h"

#define LS_LEN(a) (sizeof(a) / sizeof((a)[0]))

void config_defaults(config_t *c)
{
    memset(c, 0, sizeof *c);
    const char *home = getenv("HOME");
    if (geteuid() == 0) {
        snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/linksnap");
        snprintf(c->socket_path, sizeof c->socket_path, "/run/linksnap/linksnap.sock");
    } else {
        const char *xs = getenv("XDG_STATE_HOME");
        if (xs && *xs)
            snprintf(c->state_dir, sizeof c->state_dir, "%s/linksnap", xs);
        else if (home && *home)
            snprintf(c->state_dir, sizeof c->state_dir, "%s/.local/state/linksnap", home);
        else /* no home: the private fallback dir, which main.c checks before using */
            snprintf(c->state_dir, sizeof c->state_dir, "/tmp/linksnap-%u/state", (unsigned)geteuid());
        const char *xr = getenv("XDG_RUNTIME_DIR");
        if (xr && *xr)
            snprintf(c->socket_path, sizeof c->socket_path, "%s/linksnap.sock", xr);
        else
            snprintf(c->socket_path, sizeof c->socket_path, "/tmp/linksnap-%u/linksnap.sock",
                     (unsigned)geteuid());
    }
    c->log_level = LOG_LVL_NOTICE;
    c->capture = 1;
    c->jobs = 4;
    c->per_host_jobs = 2;
    c->watch_min_interval_s = 300;
    c->watch_keep_last = 50;
    c->watch_keep_mb = 200;
    c->viewport_w = 1280;
    c->viewport_h = 800;
    c->scale = 1.0;
    c->job_timeout_s = 30;
    c->quiet_ms = SHOT_QUIET_MS;
    c->retry_backoff_ms = 2000;
    c->blank_retry_ms = 1500;
    c->height_cap = 30000;
    c->deny_private = 0;
    c->hide_consent = 1;
    c->blocked_retries = 0;
    c->dns_timeout_ms = 5000;
    snprintf(c->chromium_path, sizeof c->chromium_path, "auto");
    c->recycle_after = 200;
    c->idle_stop_s = 300;
    c->memory_limit_mb = 2048;
    c->health_timeout_ms = 5000;
    c->quarantine_s = 1800;
    c->max_message_mb = 256;   /* a 30,000 px screenshot is ~40 MB of base64 */
    c->formats = FORMAT_DEFAULT;
    c->text_max_kb = 2048;
    c->mhtml_max_mb = 100;
    c->pdf_max_mb = 100;
    snprintf(c->http_listen, sizeof c->http_listen, "127.0.0.1:8750");
    c->max_clients_per_uid = 256;
    c->idle_timeout_s = 300;
    c->webhook_timeout_s = 10;
    c->webhook_backoff_s = 60;
}

static int set_int(const char *key, const char *value, long min, long max, int *out, char *err,
                   size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < min || v > max) {
        snprintf(err, errlen, "%s: expected a whole number from %ld to %ld, got '%s'", key, min,
                 max, value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int set_bool(const char *key, const char *value, int *out, char *err, size_t errlen)
{
    if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") ||
        !strcmp(value, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off") ||
        !strcmp(value, "0")) {
        *out = 0;
        return 0;
    }
    snprintf(err, errlen, "%s: expected true or false, got '%s'", key, value);
    return -1;
}

static int set_str(const char *key, const char *value, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    if (strlen(value) >= outlen) {
        snprintf(err, errlen, "%s: value too long (at most %zu bytes)", key, outlen - 1);
        return -1;
    }
    memcpy(out, value, strlen(value) + 1);
    return 0;
}

/* "ip[:port],..." with IPv6 as [ip]:port or bare; "" is fine (the system's servers). */
static int dns_servers_valid(const char *v)
{
    char item[128];
    while (*v) {
        size_t n = strcspn(v, ",");
        if (n == 0 || n >= sizeof item)
            return 0;
        memcpy(item, v, n);
        item[n] = '\0';
        v += n + (v[n] == ',');
        char *host = item, *port = NULL;
        if (item[0] == '[') {
            char *rb = strchr(item, ']');
            if (!rb || (rb[1] && rb[1] != ':'))
                return 0;
            *rb = '\0';
            host = item + 1;
            port = rb[1] ? rb + 2 : NULL;
        } else if (strchr(item, ':') == strrchr(item, ':') && strchr(item, ':')) {
            port = strchr(item, ':');
            *port++ = '\0';
        }
        unsigned char a[16];
        if (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1)
            return 0;
        if (port) {
            char *end;
            long p = strtol(port, &end, 10);
            if (end == port || *end || p < 1 || p > 65535)
                return 0;
        }
    }
    return 1;
}


/* An endpoint URL as libcurl splits it (the engine splits it so too, capture/remote.c),
 * so both see the same host. */
typedef struct {
    int plain;                 /* not https:// or wss:// */
    int loopback;              /* 127.0.0.0/8, ::1 (also as ::ffff:127.x) or localhost */
    int is_ip;                 /* the host is an address, not a name */
    unsigned char addr[16];    /* is_ip: the address, an IPv4-mapped one as IPv4 ... */
    int addr_len;              /* ... 4 or 16 */
    char host[256];            /* without an IPv6 literal's brackets */
} url_host_t;

/* Splits url into h. 0, or -1 when libcurl cannot split it (h says plain, not loopback). */
static int url_host(const char *url, url_host_t *h)
{
    memset(h, 0, sizeof *h);
    h->plain = 1;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        h->plain = strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "wss") != 0;
        size_t hl = strlen(host);
        if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
            snprintf(h->host, sizeof h->host, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(h->host, sizeof h->host, "%s", host);
        unsigned char a[16];
        static const unsigned char v6_loop[16] = {[15] = 1};
        static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (inet_pton(AF_INET, h->host, a) == 1) {
            h->is_ip = 1;
            memcpy(h->addr, a, 4);
            h->addr_len = 4;
        } else if (inet_pton(AF_INET6, h->host, a) == 1) {
            h->is_ip = 1;
            if (!memcmp(a, v4_mapped, 12)) {
                memcpy(h->addr, a + 12, 4);
                h->addr_len = 4;
            } else {
                memcpy(h->addr, a, 16);
                h->addr_len = 16;
            }
        }
        if (h->is_ip)
            h->loopback = h->addr_len == 4 ? h->addr[0] == 127 : !memcmp(h->addr, v6_loop, 16);
        else
            h->loopback = !strcasecmp(h->host, "localhost");
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* A token (browser.token, browser.endpoint.NAME.token) is sent as `Authorization: Bearer`
 * or ?token= on the discovery request and the websocket handshake. Over http:// or ws://
 * anyone on the path reads it, so a token goes over a plain scheme only to a loopback
 * address (127.0.0.0/8, ::1, localhost). url_key and token_key name the settings. */
static int browser_token_ok(const char *url_key, const char *endpoint, const char *token_key,
                            const char *token, char *err, size_t errlen)
{
    /* a named endpoint's `managed` is no URL: its token is refused when the set is derived */
    if (!endpoint[0] || !token[0] ||
        (strcmp(url_key, "browser.endpoint") != 0 && !strcmp(endpoint, "managed")))
        return 0;
    url_host_t h;
    char ca_key[128];
    if (!strcmp(url_key, "browser.endpoint"))
        snprintf(ca_key, sizeof ca_key, "browser.ca_file");
    else
        snprintf(ca_key, sizeof ca_key, "%s.ca_file", url_key);
    /* a URL libcurl cannot split is never connected to (the engine reports it); refuse
     * it here all the same rather than guess where the token would go */
    url_host(endpoint, &h);
    if (!h.plain || h.loopback)
        return 0;
    snprintf(err, errlen,
             "%s cannot go to %s '%s': over http:// or ws:// to a host other than loopback it "
             "would cross the network in clear, readable by anyone on the path. Use https:// or "
             "wss:// (%s names the CA), or a plain scheme only to 127.0.0.1, ::1 or localhost "
             "(an SSH tunnel, say)",
             token_key, url_key, endpoint, ca_key);
    return -1;
}

/* An IP address of this host for the egress proxy to bind ("" is fine: none). */
static int set_listen_ip(const char *key, const char *value, char *out, size_t outlen, char *err,
                         size_t errlen)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (*value && inet_pton(AF_INET, value, &a4) != 1 && inet_pton(AF_INET6, value, &a6) != 1) {
        snprintf(err, errlen, "%s: expected an IP address of this host that the remote browser "
                 "can reach, got '%s'", key, value);
        return -1;
    }
    return set_str(key, value, out, outlen, err, errlen);
}

int config_endpoint_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= CONFIG_ENDPOINT_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

#define ENDPOINT_SUBKEYS "slots, token, token_in, ca_file or proxy_listen"

/* browser.endpoint.NAME[.SUBKEY] = value (rest is what follows "browser.endpoint."): the
 * value is checked first, then the endpoint is found or made (in the order first seen). */
static int set_endpoint(config_t *c, const char *key, const char *rest, const char *value,
                        char *err, size_t errlen)
{
    char name[CONFIG_ENDPOINT_NAME_MAX + 1];
    size_t nl = strcspn(rest, ".");
    const char *sub = rest[nl] ? rest + nl + 1 : NULL;
    snprintf(name, sizeof name, "%.*s", nl < sizeof name ? (int)nl : (int)sizeof name - 1, rest);
    if (!config_endpoint_name_ok(name) || nl >= sizeof name) {
        snprintf(err, errlen, "%s: an endpoint's name (browser.endpoint.NAME) is 1 to %d letters, "
                 "digits, '-' or '_', got '%.*s'", key, CONFIG_ENDPOINT_NAME_MAX - 1,
                 (int)(nl > 64 ? 64 : nl), rest);
        return -1;
    }
    static const char *const subkeys[] = {"slots", "token", "token_in", "ca_file", "proxy_listen"};
    size_t which = LS_LEN(subkeys);
    for (size_t i = 0; sub && i < LS_LEN(subkeys); i++)
        if (!strcmp(sub, subkeys[i]))
            which = i;
    if (sub && which == LS_LEN(subkeys)) {
        snprintf(err, errlen, "unknown key '%s': '%s' is not a setting of endpoint '%s' (those are "
                 ENDPOINT_SUBKEYS "), and an endpoint's name cannot contain dots", key, sub, name);
        return -1;
    }
    config_endpoint_t *e = NULL;
    for (int i = 0; i < c->nnamed; i++)
        if (!strcmp(c->named[i].name, name))
            e = &c->named[i];
    /* the value alone, before the endpoint is made */
    config_endpoint_t v;
    memset(&v, 0, sizeof v);
    int slots = 0;
    config_token_in_t tin = CONFIG_TOKEN_HEADER;
    if (!sub) {
        if (strcmp(value, "managed") != 0) {
            remote_ws_t ws;
            int discover;
            char why[700];
            if (remote_parse(value, &ws, &discover, why, sizeof why) != 0) {
                snprintf(err, errlen, "%s: expected a ws://, wss://, http:// or https:// URL or the "
                         "word managed, got '%s'", key, value);
                return -1;
            }
        }
        char token_key[128];
        snprintf(token_key, sizeof token_key, "%s.token", key);
        if (set_str(key, value, v.url, sizeof v.url, err, errlen) != 0 ||
            (e && browser_token_ok(key, value, token_key, e->token, err, errlen) != 0))
            return -1;
    } else if (which == 0) {
        if (set_int(key, value, 1, 64, &slots, err, errlen) != 0)
            return -1;
    } else if (which == 1) {
        char url_key[128];
        snprintf(url_key, sizeof url_key, "browser.endpoint.%s", name);
        if (set_str(key, value, v.token, sizeof v.token, err, errlen) != 0 ||
            (e && browser_token_ok(url_key, e->url, key, value, err, errlen) != 0))
            return -1;
    } else if (which == 2) {
        if (!strcmp(value, "query"))
            tin = CONFIG_TOKEN_QUERY;
        else if (strcmp(value, "header") != 0) {
            snprintf(err, errlen, "%s: expected header (Authorization: Bearer) or query "
                     "(?token=), got '%s'", key, value);
            return -1;
        }
    } else if (which == 3) {
        if (set_str(key, value, v.ca_file, sizeof v.ca_file, err, errlen) != 0)
            return -1;
    } else if (set_listen_ip(key, value, v.proxy_listen, sizeof v.proxy_listen, err, errlen) != 0) {
        return -1;
    }
    if (!e) {
        if (c->nnamed == CONFIG_ENDPOINTS_MAX) {
            snprintf(err, errlen, "%s: at most %d endpoints (browser.endpoint.NAME)", key,
                     CONFIG_ENDPOINTS_MAX);
            return -1;
        }
        e = &c->named[c->nnamed++];
        memset(e, 0, sizeof *e);
        snprintf(e->name, sizeof e->name, "%s", name);
    }
    if (!sub) {
        memcpy(e->url, v.url, sizeof e->url);
        e->managed = !strcmp(e->url, "managed");
    } else if (which == 0) {
        e->slots = slots;
    } else if (which == 1) {
        memcpy(e->token, v.token, sizeof e->token);
    } else if (which == 2) {
        e->token_in = tin;
    } else if (which == 3) {
        memcpy(e->ca_file, v.ca_file, sizeof e->ca_file);
    } else {
        memcpy(e->proxy_listen, v.proxy_listen, sizeof e->proxy_listen);
    }
    return 0;
}

int config_set(config_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    if (!strcmp(key, "state_dir"))
        return set_str(key, value, c->state_dir, sizeof c->state_dir, err, errlen);
    if (!strcmp(key, "socket"))
        return set_str(key, value, c->socket_path, sizeof c->socket_path, err, errlen);
    if (!strcmp(key, "log_level")) {
        int lvl = log_parse_level(value);
        if (lvl < 0) {
            snprintf(err, errlen, "log_level: expected error, warning, notice, info or debug, got '%s'", value);
            return -1;
        }
        c->log_level = lvl;
        return 0;
    }
    if (!strcmp(key, "capture"))
        return set_bool(key, value, &c->capture, err, errlen);
    if (!strcmp(key, "viewport")) {
        int w, h;
        char tail;
        if (sscanf(value, "%dx%d%c", &w, &h, &tail) != 2 || w < 320 || w > 3840 || h < 240 || h > 2160) {
            snprintf(err, errlen, "viewport: expected WIDTHxHEIGHT in CSS px (320x240 to 3840x2160), got '%s'", value);
            return -1;
        }
        c->viewport_w = w;
        c->viewport_h = h;
        return 0;
    }
    if (!strcmp(key, "scale")) {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !(v >= 1.0 && v <= 3.0)) {
            snprintf(err, errlen, "scale: expected a device scale factor from 1 to 3, got '%s'", value);
            return -1;
        }
        c->scale = v;
        return 0;
    }
    if (!strcmp(key, "jobs"))
        return set_int(key, value, 1, 64, &c->jobs, err, errlen);
    if (!strcmp(key, "per_host_jobs"))
        return set_int(key, value, 0, 64, &c->per_host_jobs, err, errlen);
    if (!strcmp(key, "watch_min_interval_s"))
        return set_int(key, value, 1, 31622400, &c->watch_min_interval_s, err, errlen);
    if (!strcmp(key, "watch_keep_last"))
        return set_int(key, value, 1, STORE_KEEP_LAST_MAX, &c->watch_keep_last, err, errlen);
    if (!strcmp(key, "watch_keep_mb"))
        return set_int(key, value, 1, STORE_KEEP_MB_MAX, &c->watch_keep_mb, err, errlen);
    if (!strcmp(key, "job_timeout"))
        return set_int(key, value, 1, 3600, &c->job_timeout_s, err, errlen);
    if (!strcmp(key, "quiet_ms"))
        return set_int(key, value, 10, 10000, &c->quiet_ms, err, errlen);
    if (!strcmp(key, "retry_backoff_ms"))
        return set_int(key, value, 10, 600000, &c->retry_backoff_ms, err, errlen);
    if (!strcmp(key, "blank_retry_ms"))
        return set_int(key, value, 10, 60000, &c->blank_retry_ms, err, errlen);
    if (!strcmp(key, "formats")) {
        if (formats_parse(value, &c->formats, err, errlen) == 0)
            return 0;
        char why[200];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "formats: %s", why);
        return -1;
    }
    if (!strcmp(key, "text_max_kb"))
        return set_int(key, value, 16, 65536, &c->text_max_kb, err, errlen);
    if (!strcmp(key, "mhtml_max_mb"))
        return set_int(key, value, 1, 2048, &c->mhtml_max_mb, err, errlen);
    if (!strcmp(key, "pdf_max_mb"))
        return set_int(key, value, 1, 2048, &c->pdf_max_mb, err, errlen);
    if (!strcmp(key, "height_cap"))
        return set_int(key, value, 800, 200000, &c->height_cap, err, errlen);
    if (!strcmp(key, "deny_private"))
        return set_bool(key, value, &c->deny_private, err, errlen);
    if (!strcmp(key, "hide_consent"))
        return set_bool(key, value, &c->hide_consent, err, errlen);
    if (!strcmp(key, "blocked_retries"))
        return set_int(key, value, 0, 10, &c->blocked_retries, err, errlen);
    if (!strcmp(key, "browser.endpoint")) {
        if (browser_token_ok(key, value, "browser.token", c->browser_token, err, errlen) != 0)
            return -1;
        return set_str(key, value, c->browser_endpoint, sizeof c->browser_endpoint, err, errlen);
    }
    if (!strcmp(key, "browser.proxy_listen"))
        return set_listen_ip(key, value, c->proxy_listen, sizeof c->proxy_listen, err, errlen);
    if (!strncmp(key, "browser.endpoint.", 17))
        return set_endpoint(c, key, key + 17, value, err, errlen);
    if (!strcmp(key, "dns_servers")) {
        if (!dns_servers_valid(value)) {
            snprintf(err, errlen, "dns_servers: expected a comma-separated list of ip[:port] "
                     "(IPv6 as [ip]:port), got '%s'", value);
            return -1;
        }
        return set_str(key, value, c->dns_servers, sizeof c->dns_servers, err, errlen);
    }
    if (!strcmp(key, "dns_timeout_ms"))
        return set_int(key, value, 50, 60000, &c->dns_timeout_ms, err, errlen);
    if (!strcmp(key, "browser.token")) {
        if (browser_token_ok("browser.endpoint", c->browser_endpoint, key, value, err, errlen) != 0)
            return -1;
        return set_str(key, value, c->browser_token, sizeof c->browser_token, err, errlen);
    }
    if (!strcmp(key, "browser.ca_file"))
        return set_str(key, value, c->browser_ca_file, sizeof c->browser_ca_file, err, errlen);
    if (!strcmp(key, "browser.path"))
        return set_str(key, value, c->chromium_path, sizeof c->chromium_path, err, errlen);
    if (!strcmp(key, "browser.recycle_after"))
        return set_int(key, value, 1, 1000000, &c->recycle_after, err, errlen);
    if (!strcmp(key, "browser.idle_stop"))
        return set_int(key, value, 0, 86400, &c->idle_stop_s, err, errlen);
    if (!strcmp(key, "browser.max_message_mb"))
        return set_int(key, value, 1, 2048, &c->max_message_mb, err, errlen);
    if (!strcmp(key, "browser.health_timeout_ms"))
        return set_int(key, value, 100, 600000, &c->health_timeout_ms, err, errlen);
    if (!strcmp(key, "browser.quarantine_s"))
        return set_int(key, value, 1, 86400, &c->quarantine_s, err, errlen);
    if (!strcmp(key, "browser.memory_limit_mb"))
        return set_int(key, value, 64, 1048576, &c->memory_limit_mb, err, errlen);
    if (!strcmp(key, "url.tracking_params"))
        return set_str(key, value, c->tracking_params, sizeof c->tracking_params, err, errlen);
    if (!strcmp(key, "http.listen")) {
        c->http_listen_set = 1;
        return set_str(key, value, c->http_listen, sizeof c->http_listen, err, errlen);
    }
    if (!strcmp(key, "http.token"))
        return set_str(key, value, c->http_token, sizeof c->http_token, err, errlen);
    if (!strcmp(key, "http.token_file"))
        return set_str(key, value, c->http_token_file, sizeof c->http_token_file, err, errlen);
    if (!strcmp(key, "http.tls_cert"))
        return set_str(key, value, c->http_tls_cert, sizeof c->http_tls_cert, err, errlen);
    if (!strcmp(key, "http.tls_key"))
        return set_str(key, value, c->http_tls_key, sizeof c->http_tls_key, err, errlen);
    if (!strcmp(key, "http.allow_plain"))
        return set_bool(key, value, &c->http_allow_plain, err, errlen);
    if (!strcmp(key, "backup_dir")) {
        if (value[0] && value[0] != '/') {
            snprintf(err, errlen, "backup_dir: expected an absolute path, got '%s'", value);
            return -1;
        }
        return set_str(key, value, c->backup_dir, sizeof c->backup_dir, err, errlen);
    }
    if (!strcmp(key, "max_clients_per_uid"))
        return set_int(key, value, 1, 100000, &c->max_clients_per_uid, err, errlen);
    if (!strcmp(key, "idle_timeout"))
        return set_int(key, value, 1, 86400, &c->idle_timeout_s, err, errlen);
    if (!strcmp(key, "notify_url")) {
        if (*value && webhook_url_ok(key, value, err, errlen) != 0)
            return -1;
        return set_str(key, value, c->notify_url, sizeof c->notify_url, err, errlen);
    }
    if (!strcmp(key, "webhook_timeout_s"))
        return set_int(key, value, 1, 600, &c->webhook_timeout_s, err, errlen);
    if (!strcmp(key, "webhook_backoff_s"))
        return set_int(key, value, 1, 86400, &c->webhook_backoff_s, err, errlen);
    snprintf(err, errlen, "unknown key '%s' (see linksnapd.conf(5))", key);
    return -1;
}

/* The first setting given for a named endpoint, to name it when its URL is missing. */
static const char *endpoint_first_subkey(const config_endpoint_t *e)
{
    return e->slots ? "slots" : e->token[0] ? "token" : e->ca_file[0] ? "ca_file"
           : e->proxy_listen[0] ? "proxy_listen" : "token_in";
}

/* config_t.endpoints from the named list, else from the old keys ("default"), else the
 * managed browser alone ("managed"), each with loopback, plain and the egress proxy's
 * address filled in. Checks what only the whole set of keys shows. 0, or -1 with err. */
static int endpoints_derive(config_t *c, char *err, size_t errlen)
{
    c->nendpoints = 0;
    if (!c->nnamed) {
        config_endpoint_t *e = &c->endpoints[0];
        memset(e, 0, sizeof *e);
        e->slots = c->jobs;
        if (!c->browser_endpoint[0]) {
            snprintf(e->name, sizeof e->name, "managed");
            snprintf(e->url, sizeof e->url, "managed");
            e->managed = e->loopback = e->plain = 1;
        } else {
            url_host_t h;
            snprintf(e->name, sizeof e->name, "default");
            if (set_str("browser.endpoint", c->browser_endpoint, e->url, sizeof e->url, err, errlen) ||
                set_str("browser.token", c->browser_token, e->token, sizeof e->token, err, errlen) ||
                set_str("browser.ca_file", c->browser_ca_file, e->ca_file, sizeof e->ca_file, err,
                        errlen))
                return -1;
            memcpy(e->proxy_listen, c->proxy_listen, sizeof e->proxy_listen);
            url_host(e->url, &h);
            e->loopback = h.loopback;
            e->plain = h.plain;
            /* the old single endpoint keeps its old checks: a token over a plain scheme is
             * refused here, an endpoint off loopback without browser.proxy_listen or named
             * by a host name fails its captures with the reason (the engine) */
            if (browser_token_ok("browser.endpoint", e->url, "browser.token", e->token, err, errlen))
                return -1;
        }
        c->nendpoints = 1;
        return 0;
    }
    const char *old = c->browser_endpoint[0] ? "browser.endpoint"
                      : c->browser_token[0] ? "browser.token"
                      : c->browser_ca_file[0] ? "browser.ca_file" : NULL;
    if (old) {
        snprintf(err, errlen, "%s cannot be used with named endpoints (browser.endpoint.%s and "
                 "the like): either give every browser a name (browser.endpoint.default = URL, "
                 "with .token and .ca_file) or use the old browser.endpoint, browser.token and "
                 "browser.ca_file alone", old, c->named[0].name);
        return -1;
    }
    url_host_t hosts[CONFIG_ENDPOINTS_MAX];
    const char *managed = NULL;
    for (int i = 0; i < c->nnamed; i++) {
        const config_endpoint_t *n = &c->named[i];
        config_endpoint_t *e = &c->endpoints[i];
        if (!n->url[0]) {
            snprintf(err, errlen, "browser.endpoint.%s.%s is set but browser.endpoint.%s is not: "
                     "give the endpoint its URL (ws://, wss://, http:// or https://) or the word "
                     "managed", n->name, endpoint_first_subkey(n), n->name);
            return -1;
        }
        *e = *n;
        if (!e->slots)
            e->slots = c->jobs;
        memset(&hosts[i], 0, sizeof hosts[i]);
        if (e->managed) {
            if (managed) {
                snprintf(err, errlen, "browser.endpoint.%s and browser.endpoint.%s both say managed: "
                         "linksnapd starts one browser of its own; give it more captures with "
                         "browser.endpoint.%s.slots", managed, e->name, managed);
                return -1;
            }
            managed = e->name;
            const char *extra = e->token[0] ? "token" : e->ca_file[0] ? "ca_file"
                                : e->proxy_listen[0] ? "proxy_listen"
                                : e->token_in != CONFIG_TOKEN_HEADER ? "token_in" : NULL;
            if (extra) {
                snprintf(err, errlen, "browser.endpoint.%s.%s: endpoint '%s' is the managed browser "
                         "(linksnapd's own, on loopback), which takes only .slots", e->name, extra,
                         e->name);
                return -1;
            }
            e->loopback = e->plain = 1;
            continue;
        }
        char url_key[128], token_key[128];
        snprintf(url_key, sizeof url_key, "browser.endpoint.%s", e->name);
        snprintf(token_key, sizeof token_key, "browser.endpoint.%s.token", e->name);
        if (url_host(e->url, &hosts[i]) != 0) {
            snprintf(err, errlen, "%s: expected a ws://, wss://, http:// or https:// URL or the "
                     "word managed, got '%s'", url_key, e->url);
            return -1;
        }
        e->loopback = hosts[i].loopback;
        e->plain = hosts[i].plain;
        if (browser_token_ok(url_key, e->url, token_key, e->token, err, errlen))
            return -1;
        if (!e->proxy_listen[0])
            memcpy(e->proxy_listen, c->proxy_listen, sizeof e->proxy_listen);
        if (e->loopback)
            continue;
        /* a remote browser reaches the egress proxy on proxy_listen, and the proxy accepts
         * only the endpoint's own address: both must be known before anything starts */
        if (!hosts[i].is_ip) {
            snprintf(err, errlen, "%s = '%s' names its host by name: the egress proxy accepts a "
                     "remote browser only from its address, so give the browser's IP address in "
                     "the URL", url_key, e->url);
            return -1;
        }
        if (!e->proxy_listen[0]) {
            snprintf(err, errlen, "%s is a remote browser but neither %s.proxy_listen nor "
                     "browser.proxy_listen is set: it could not reach linksnapd's egress proxy, "
                     "and pages are never captured without it (give an IP address of this host "
                     "that the browser can reach)", url_key, url_key);
            return -1;
        }
        for (int j = 0; j < i; j++) {
            const config_endpoint_t *o = &c->endpoints[j];
            if (o->managed || o->loopback || hosts[j].addr_len != hosts[i].addr_len ||
                memcmp(hosts[j].addr, hosts[i].addr, (size_t)hosts[i].addr_len))
                continue;
            snprintf(err, errlen, "browser.endpoint.%s and %s are both at %s: the egress proxy "
                     "tells remote browsers apart by their address, so each remote endpoint needs "
                     "an address of its own", o->name, url_key, hosts[i].host);
            return -1;
        }
    }
    c->nendpoints = c->nnamed;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_load_file(config_t *c, const char *path, int optional, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        if (optional && e == ENOENT)
            return -1;
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    char line[8192];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && ((value[0] == '"' && value[vl - 1] == '"') ||
                        (value[0] == '\'' && value[vl - 1] == '\''))) {
            value[vl - 1] = '\0';
            value++;
        }
        char kerr[512];
        if (config_set(c, key, value, kerr, sizeof kerr) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, kerr);
            rc = -1;
            break;
        }
    }
    fclose(f);
    /* what only the whole file shows (the endpoints): a file with an error is refused whole */
    if (rc == 0) {
        char kerr[1024];
        if (endpoints_derive(c, kerr, sizeof kerr) != 0) {
            snprintf(err, errlen, "%s: %s", path, kerr);
            rc = -1;
        }
    }
    if (rc == 0)
        snprintf(c->config_path, sizeof c->config_path, "%s", path);
    return rc;
}

int config_finish(config_t *c, char *err, size_t errlen)
{
    c->url_rules = NULL;
    if (endpoints_derive(c, err, errlen) != 0)
        return -1;
    if (!c->tracking_params[0])
        return 0;
    snprintf(c->tp_buf, sizeof c->tp_buf, "%s", c->tracking_params);
    size_t ne = 0, np = 0;
    for (char *save = NULL, *t = strtok_r(c->tp_buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        size_t n = strlen(t);
        if (n > 1 && t[n - 1] == '*') {
            if (np + 1 >= LS_LEN(c->tp_prefix))
                goto too_many;
            t[n - 1] = '\0';
            c->tp_prefix[np++] = t;
        } else {
            if (ne + 1 >= LS_LEN(c->tp_exact))
                goto too_many;
            c->tp_exact[ne++] = t;
        }
    }
    c->tp_exact[ne] = NULL;
    c->tp_prefix[np] = NULL;
    c->url_rules_own.exact = c->tp_exact;
    c->url_rules_own.prefixes = c->tp_prefix;
    c->url_rules = &c->url_rules_own;
    return 0;
too_many:
    snprintf(err, errlen, "url.tracking_params: too many entries (at most %zu names and %zu prefixes)",
             LS_LEN(c->tp_exact) - 1, LS_LEN(c->tp_prefix) - 1);
    return -1;
}
