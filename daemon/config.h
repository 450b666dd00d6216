/* config.h -- linksnapd's settings: built-in defaults, the `key = value` config file, and
 * command-line overrides, in that order. Read-only once the loop runs (a reload builds a
 * new config and swaps what can change live). */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include <stddef.h>

#include "store.h"

/* One browser endpoint of the fleet (issue 21): `browser.endpoint.NAME = URL` and its
 * `.slots`, `.token`, `.token_in`, `.ca_file`, `.proxy_listen` keys. config_finish() fills
 * config_t.endpoints with the effective list: the named ones when any is set; else one
 * named "default" from the old browser.endpoint/token/ca_file/proxy_listen keys; else one
 * named "managed" (the browser linksnapd starts) with `jobs` slots. */
#define CONFIG_ENDPOINTS_MAX 16
#define CONFIG_ENDPOINT_NAME_MAX 48
typedef enum { CONFIG_TOKEN_HEADER = 0, CONFIG_TOKEN_QUERY = 1 } config_token_in_t;
typedef struct {
    char name[CONFIG_ENDPOINT_NAME_MAX];  /* letters, digits, '-', '_' */
    char url[512];                /* ws/wss/http/https URL; "managed" for our own Chromium */
    int managed;                  /* url is "managed" */
    int slots;                    /* captures at once (default: jobs) */
    char token[512];              /* "" = none */
    config_token_in_t token_in;   /* header: Authorization: Bearer; query: ?token= */
    char ca_file[1024];           /* wss/https: PEM CA file; "" = the system's */
    char proxy_listen[64];        /* IP the egress proxy binds for it ("" = browser.proxy_listen;
                                   * loopback listeners for a loopback or managed endpoint).
                                   * In endpoints[] it is the effective one: its own, else
                                   * browser.proxy_listen ("" for managed, or when neither is
                                   * set: only a loopback endpoint may go without) */
    int loopback;                 /* the URL's host is 127.0.0.0/8, ::1 or localhost */
    int plain;                    /* ws:// or http:// */
} config_endpoint_t;

typedef struct config {
    char state_dir[4096];
    char socket_path[108];        /* sun_path limit */
    char config_path[4096];       /* "" when no file was read */
    int log_level;                /* LOG_LVL_* */
    int capture;                  /* run the capture engine (0: jobs stay queued) */
    int jobs;                     /* concurrent captures */
    int per_host_jobs;            /* running captures of one exact host at most (0: no limit) */
    int watch_min_interval_s;     /* the shortest watch interval (tests lower it) */
    int watch_keep_last;          /* retention of watched links: captures kept (50) */
    int watch_keep_mb;            /* and MiB of their files (200), when a watch sets none */
    int viewport_w, viewport_h;   /* CSS px */
    double scale;                 /* device scale factor, 1-3 */
    int job_timeout_s;
    int quiet_ms;                 /* network quiet after the load event that ends the wait (500) */
    int retry_backoff_ms;         /* a passing failure's first retry waits this, doubling (2000) */
    int blank_retry_ms;           /* a flat-colour shot is taken again after this (1500) */
    int height_cap;               /* CSS px */
    int deny_private;
    int hide_consent;             /* hide consent banners (default on) */
    int blocked_retries;          /* later attempts of a blocked capture (0) */
    char browser_endpoint[512];   /* "" = start our own Chromium */
    char proxy_listen[64];        /* browser.proxy_listen: IP the egress proxy binds for a
                                   * remote browser ("" = none: remote captures refused) */
    char dns_servers[512];        /* "" = /etc/resolv.conf; else "ip[:port],..." */
    int dns_timeout_ms;
    char browser_token[512];      /* remote endpoint: `Authorization: Bearer` value */
    char browser_ca_file[4096];   /* remote endpoint over TLS: PEM CA file; "" = system's */
    char chromium_path[1024];
    int recycle_after;            /* captures per browser before a restart */
    int idle_stop_s;
    int memory_limit_mb;
    int health_timeout_ms;        /* a health check unanswered this long drops the browser (5000) */
    int quarantine_s;             /* an endpoint down 3 times in 10 min rests this long (1800) */
    int max_message_mb;        /* one DevTools message; a larger one is dropped alone */
    int formats;                  /* FORMAT_* (formats.h): what a capture keeps */
    int text_max_kb;              /* the page's text, cut in the page */
    int mhtml_max_mb, pdf_max_mb; /* a larger MHTML or PDF is dropped (partial) */
    char tracking_params[2048];   /* comma-separated; "" = built-in list */
    char http_listen[128];        /* "127.0.0.1:8750" or "off" */
    int http_listen_set;          /* given by the config, --http-listen or --set: a listener
                                     that cannot bind is then fatal, not a warning */
    char http_token[256];
    char http_token_file[4096];   /* read at start; its first line is the token */
                                  /* neither: <state_dir>/http.token, made at first start */
    char http_tls_cert[4096];     /* PEM; with http_tls_key the page is served over HTTPS */
    char http_tls_key[4096];
    int http_allow_plain;         /* a non-loopback listener without TLS starts only so */
    char backup_dir[4096];        /* daemon.backup writes here only; "" = <state_dir>/backups */
    int max_clients_per_uid;      /* control-socket connections one uid may hold at once */
    int idle_timeout_s;           /* a socket or HTTP client silent this long is closed */
    char notify_url[2048];        /* every changed capture is POSTed here ("" = none) */
    int webhook_timeout_s;        /* one delivery attempt at most (10) */
    int webhook_backoff_s;        /* the wait after a failed attempt, doubling (60) */

    /* named endpoints as set (browser.endpoint.NAME...): raw, in the order first seen */
    config_endpoint_t named[CONFIG_ENDPOINTS_MAX];
    int nnamed;
    /* derived by config_finish(): the effective fleet (see config_endpoint_t) */
    config_endpoint_t endpoints[CONFIG_ENDPOINTS_MAX];
    int nendpoints;

    /* derived by config_finish() from tracking_params; points into this struct */
    const store_url_rules_t *url_rules;   /* NULL = the store's defaults */
    store_url_rules_t url_rules_own;
    char tp_buf[2048];
    const char *tp_exact[256];
    const char *tp_prefix[64];
} config_t;

/* Fills the defaults (XDG paths for a user, /var/lib and /run for root). */
void config_defaults(config_t *c);
/* Reads a config file over c. Missing file: -1 with errno ENOENT and no message when
 * `optional`; syntax errors name the line. What only the whole file shows (the endpoints'
 * checks, as config_finish makes them) is checked at its end: a file with an error is
 * refused whole. Returns 0 or -1 with err filled. */
int config_load_file(config_t *c, const char *path, int optional, char *err, size_t errlen);
/* Derives what the settings imply (URL rules, the endpoints); call after loading and after
 * copying. Refuses, naming the endpoint and the key: a named endpoint's subkey without its
 * URL; two `managed`; the old browser.endpoint/token/ca_file beside named endpoints; a
 * token over http:// or ws:// off loopback; a remote endpoint (not loopback, not managed)
 * named by a host name, without a proxy_listen, or at the same address as another. */
int config_finish(config_t *c, char *err, size_t errlen);
/* Sets one key (as in the file). Returns 0 or -1 with err naming the key. */
int config_set(config_t *c, const char *key, const char *value, char *err, size_t errlen);
/* 1 when name may name an endpoint: 1 to CONFIG_ENDPOINT_NAME_MAX - 1 letters, digits, '-'
 * or '_' (site rules' "endpoints" use it too). */
int config_endpoint_name_ok(const char *name);

#endif
