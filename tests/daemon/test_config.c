/* test_config.c -- linksnapd.conf's browser endpoints (daemon/config.c, issue 21): the
 * named `browser.endpoint.NAME` keys in any order, the effective fleet config_finish
 * derives in its three modes (named, the old keys as "default", the managed browser
 * alone), and every refusal, each naming the endpoint and the key. Files are written to a
 * temporary directory and read with config_load_file, as linksnapd reads them. The engine
 * timing keys (quiet_ms and the like): their defaults and bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

static config_t *cfg;
static char err[2048];

/* A fresh config with `text` as its file, loaded and finished: 0, or -1 with err. */
static int load(const char *text)
{
    static config_t c;
    cfg = &c;
    config_defaults(cfg);
    char path[] = "/tmp/linksnap-test-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -2;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return -2;
    }
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    int rc = config_load_file(cfg, path, 0, err, sizeof err);
    unlink(path);
    if (rc == 0)
        rc = config_finish(cfg, err, sizeof err);
    return rc;
}

/* config_set over the config of the last load. */
static int set(const char *key, const char *value)
{
    err[0] = '\0';
    return config_set(cfg, key, value, err, sizeof err);
}

#define ASSERT_HAS(hay, needle) ASSERT_MSG(strstr((hay), (needle)) != NULL, \
                                           "'%s' not in: %s", (needle), (hay))
#define ASSERT_REFUSED(text, ...)                                                        \
    do {                                                                                 \
        ASSERT_MSG(load(text) == -1, "accepted: %s", text);                              \
        const char *want_[] = {__VA_ARGS__};                                             \
        for (size_t w_ = 0; w_ < LS_TEST_LEN(want_); w_++)                               \
            ASSERT_HAS(err, want_[w_]);                                                  \
    } while (0)

TEST(no_endpoint_is_the_managed_browser_with_jobs_slots)
{
    ASSERT_EQ(load("jobs = 3\n"), 0);
    ASSERT_EQ(cfg->nnamed, 0);
    ASSERT_EQ(cfg->nendpoints, 1);
    config_endpoint_t *e = &cfg->endpoints[0];
    ASSERT_STR_EQ(e->name, "managed");
    ASSERT_STR_EQ(e->url, "managed");
    ASSERT_EQ(e->managed, 1);
    ASSERT_EQ(e->slots, 3);
    ASSERT_EQ(e->loopback, 1);
    /* jobs changed later (the command line): finish derives again */
    ASSERT_EQ(set("jobs", "7"), 0);
    ASSERT_EQ(config_finish(cfg, err, sizeof err), 0);
    ASSERT_EQ(cfg->endpoints[0].slots, 7);
    return 0;
}

TEST(old_keys_are_one_endpoint_named_default)
{
    ASSERT_EQ(load("jobs = 5\nbrowser.endpoint = wss://192.0.2.7:9222/devtools/browser/x\n"
                   "browser.token = t0k\nbrowser.ca_file = /etc/ca.pem\n"
                   "browser.proxy_listen = 192.0.2.1\n"), 0);
    ASSERT_EQ(cfg->nendpoints, 1);
    config_endpoint_t *e = &cfg->endpoints[0];
    ASSERT_STR_EQ(e->name, "default");
    ASSERT_STR_EQ(e->url, "wss://192.0.2.7:9222/devtools/browser/x");
    ASSERT_EQ(e->managed, 0);
    ASSERT_EQ(e->slots, 5);
    ASSERT_STR_EQ(e->token, "t0k");
    ASSERT_EQ(e->token_in, CONFIG_TOKEN_HEADER);
    ASSERT_STR_EQ(e->ca_file, "/etc/ca.pem");
    ASSERT_STR_EQ(e->proxy_listen, "192.0.2.1");
    ASSERT_EQ(e->loopback, 0);
    ASSERT_EQ(e->plain, 0);
    /* on loopback, over a plain scheme; a host name and no proxy_listen are still the
     * engine's to report for the old single endpoint, as before */
    ASSERT_EQ(load("browser.endpoint = http://localhost:9222\n"), 0);
    ASSERT_EQ(cfg->endpoints[0].loopback, 1);
    ASSERT_EQ(cfg->endpoints[0].plain, 1);
    ASSERT_EQ(load("browser.endpoint = https://browser.example:9222\n"), 0);
    ASSERT_EQ(cfg->endpoints[0].loopback, 0);
    return 0;
}

TEST(named_endpoints_in_any_order)
{
    ASSERT_EQ(load("jobs = 6\n"
                   "browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.far.token = s3cret\n"          /* subkeys before the URL */
                   "browser.endpoint.far.token_in = query\n"
                   "browser.endpoint.far.slots = 12\n"
                   "browser.endpoint.local = ws://127.0.0.1:9333/devtools/browser/abc\n"
                   "browser.endpoint.far = wss://10.0.0.9:3000\n"
                   "browser.endpoint.v6 = https://[2001:db8::5]:9222\n"
                   "browser.endpoint.v6.proxy_listen = 2001:db8::1\n"
                   "browser.endpoint.v6.ca_file = /etc/v6.pem\n"
                   "browser.endpoint.Own_browser-2 = managed\n"
                   "browser.endpoint.Own_browser-2.slots = 2\n"), 0);
    ASSERT_EQ(cfg->nnamed, 4);
    ASSERT_EQ(cfg->nendpoints, 4);
    config_endpoint_t *e = cfg->endpoints;
    /* in the order first seen */
    ASSERT_STR_EQ(e[0].name, "far");
    ASSERT_STR_EQ(e[0].url, "wss://10.0.0.9:3000");
    ASSERT_EQ(e[0].slots, 12);
    ASSERT_STR_EQ(e[0].token, "s3cret");
    ASSERT_EQ(e[0].token_in, CONFIG_TOKEN_QUERY);
    ASSERT_STR_EQ(e[0].proxy_listen, "10.0.0.1");   /* browser.proxy_listen */
    ASSERT_EQ(e[0].loopback, 0);
    ASSERT_EQ(e[0].plain, 0);
    ASSERT_EQ(e[0].managed, 0);
    ASSERT_STR_EQ(e[1].name, "local");
    ASSERT_EQ(e[1].slots, 6);                        /* jobs */
    ASSERT_EQ(e[1].loopback, 1);
    ASSERT_EQ(e[1].plain, 1);
    ASSERT_STR_EQ(e[2].name, "v6");
    ASSERT_STR_EQ(e[2].proxy_listen, "2001:db8::1");   /* its own */
    ASSERT_STR_EQ(e[2].ca_file, "/etc/v6.pem");
    ASSERT_EQ(e[2].loopback, 0);
    ASSERT_STR_EQ(e[3].name, "Own_browser-2");
    ASSERT_EQ(e[3].managed, 1);
    ASSERT_EQ(e[3].slots, 2);
    ASSERT_EQ(e[3].loopback, 1);
    /* a later line changes the same endpoint, not a new one */
    ASSERT_EQ(set("browser.endpoint.local.slots", "3"), 0);
    ASSERT_EQ(cfg->nnamed, 4);
    ASSERT_EQ(config_finish(cfg, err, sizeof err), 0);
    ASSERT_EQ(cfg->endpoints[1].slots, 3);
    /* without a managed one there is no managed browser */
    ASSERT_EQ(load("browser.endpoint.a = http://127.0.0.1:9222\n"), 0);
    ASSERT_EQ(cfg->nendpoints, 1);
    ASSERT_EQ(cfg->endpoints[0].managed, 0);
    /* two loopback endpoints may share an address (their ports differ) */
    ASSERT_EQ(load("browser.endpoint.a = http://127.0.0.1:9222\n"
                   "browser.endpoint.b = http://127.0.0.1:9223\n"), 0);
    ASSERT_EQ(cfg->nendpoints, 2);
    return 0;
}

TEST(bad_url_refused)
{
    ASSERT_REFUSED("browser.endpoint.a = not a url\n", ":1: browser.endpoint.a: expected a ws://",
                   "'not a url'", "managed");
    ASSERT_REFUSED("browser.endpoint.a = ftp://127.0.0.1/x\n", ":1: browser.endpoint.a:",
                   "'ftp://127.0.0.1/x'");
    ASSERT_REFUSED("browser.endpoint.a = \n", "browser.endpoint.a:");
    ASSERT_REFUSED("browser.endpoint.a = Managed\n", "browser.endpoint.a:");
    return 0;
}

TEST(bad_names_refused)
{
    ASSERT_REFUSED("browser.endpoint.a.b = 1\n", ":1: unknown key 'browser.endpoint.a.b'",
                   "'b' is not a setting of endpoint 'a'", "slots, token, token_in, ca_file or "
                   "proxy_listen", "cannot contain dots");
    ASSERT_REFUSED("browser.endpoint.a.b.slots = 1\n", "cannot contain dots");
    ASSERT_REFUSED("browser.endpoint.a.b = ws://127.0.0.1:1/x\n", "cannot contain dots");
    ASSERT_REFUSED("browser.endpoint.a$ = ws://127.0.0.1:1/x\n",
                   "browser.endpoint.a$: an endpoint's name", "letters, digits, '-' or '_'");
    ASSERT_REFUSED("browser.endpoint.é = ws://127.0.0.1:1/x\n", "an endpoint's name");
    ASSERT_REFUSED("browser.endpoint. = ws://127.0.0.1:1/x\n", "an endpoint's name");
    ASSERT_REFUSED("browser.endpoint..slots = 1\n", "an endpoint's name");
    char text[200];
    snprintf(text, sizeof text, "browser.endpoint.%s = managed\n",
             "abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh");   /* 48 */
    ASSERT_REFUSED(text, "an endpoint's name", "1 to 47");
    snprintf(text, sizeof text, "browser.endpoint.%s = managed\n",
             "abcdefghijabcdefghijabcdefghijabcdefghijabcdefg");    /* 47 */
    ASSERT_EQ(load(text), 0);
    ASSERT_EQ(config_endpoint_name_ok("a-b_C9"), 1);
    ASSERT_EQ(config_endpoint_name_ok("a.b"), 0);
    ASSERT_EQ(config_endpoint_name_ok(""), 0);
    ASSERT_EQ(config_endpoint_name_ok("a b"), 0);
    return 0;
}

TEST(subkey_without_url_refused)
{
    ASSERT_REFUSED("browser.endpoint.a = managed\nbrowser.endpoint.typo.slots = 2\n",
                   "browser.endpoint.typo.slots is set but browser.endpoint.typo is not");
    ASSERT_REFUSED("browser.endpoint.b.ca_file = /x.pem\n", "browser.endpoint.b.ca_file is set");
    ASSERT_REFUSED("browser.endpoint.b.token_in = header\n", "browser.endpoint.b.token_in is set");
    return 0;
}

TEST(bad_subkey_values_refused)
{
    ASSERT_REFUSED("browser.endpoint.a = managed\nbrowser.endpoint.a.slots = 0\n",
                   ":2: browser.endpoint.a.slots: expected a whole number from 1 to 64");
    ASSERT_REFUSED("browser.endpoint.a = managed\nbrowser.endpoint.a.slots = 65\n", "from 1 to 64");
    ASSERT_REFUSED("browser.endpoint.a = wss://127.0.0.1:1/x\nbrowser.endpoint.a.token_in = cookie\n",
                   ":2: browser.endpoint.a.token_in: expected header", "query", "'cookie'");
    ASSERT_REFUSED("browser.endpoint.a = wss://127.0.0.1:1/x\n"
                   "browser.endpoint.a.proxy_listen = here\n",
                   ":2: browser.endpoint.a.proxy_listen: expected an IP address");
    /* the managed browser takes only .slots */
    ASSERT_REFUSED("browser.endpoint.m = managed\nbrowser.endpoint.m.token = x\n",
                   "browser.endpoint.m.token: endpoint 'm' is the managed browser");
    ASSERT_REFUSED("browser.endpoint.m = managed\nbrowser.endpoint.m.proxy_listen = 10.0.0.1\n",
                   "browser.endpoint.m.proxy_listen:");
    return 0;
}

TEST(two_managed_refused)
{
    ASSERT_REFUSED("browser.endpoint.one = managed\nbrowser.endpoint.two = managed\n",
                   "browser.endpoint.one and browser.endpoint.two both say managed",
                   "browser.endpoint.one.slots");
    return 0;
}

TEST(old_and_named_keys_not_mixed)
{
    ASSERT_REFUSED("browser.endpoint = ws://127.0.0.1:1/x\nbrowser.endpoint.a = managed\n",
                   "browser.endpoint cannot be used with named endpoints (browser.endpoint.a",
                   "browser.endpoint.default = URL");
    ASSERT_REFUSED("browser.endpoint.a = managed\nbrowser.token = t\n",
                   "browser.token cannot be used with named endpoints");
    ASSERT_REFUSED("browser.endpoint.a = managed\nbrowser.ca_file = /x.pem\n",
                   "browser.ca_file cannot be used with named endpoints");
    /* the command line's --browser-endpoint over a file of named ones: config_finish */
    ASSERT_EQ(load("browser.endpoint.a = managed\n"), 0);
    ASSERT_EQ(set("browser.endpoint", "ws://127.0.0.1:1/x"), 0);
    ASSERT_EQ(config_finish(cfg, err, sizeof err), -1);
    ASSERT_HAS(err, "browser.endpoint cannot be used with named endpoints");
    /* browser.proxy_listen is every named endpoint's fallback: allowed */
    ASSERT_EQ(load("browser.proxy_listen = 10.0.0.1\nbrowser.endpoint.a = managed\n"), 0);
    return 0;
}

TEST(more_than_max_endpoints_refused)
{
    char text[4096];
    size_t n = 0;
    for (int i = 0; i <= CONFIG_ENDPOINTS_MAX; i++)
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "browser.endpoint.e%d = ws://127.0.0.1:%d/x\n", i, 9000 + i);
    ASSERT_REFUSED(text, ":17: browser.endpoint.e16: at most 16 endpoints");
    /* sixteen are fine */
    *strstr(text, "browser.endpoint.e16") = '\0';
    ASSERT_EQ(load(text), 0);
    ASSERT_EQ(cfg->nendpoints, CONFIG_ENDPOINTS_MAX);
    return 0;
}

TEST(token_over_plain_scheme_off_loopback_refused)
{
    /* the line that completes the pair is named, in either order */
    ASSERT_REFUSED("browser.endpoint.r = http://192.0.2.1:9222\nbrowser.endpoint.r.token = s3\n",
                   ":2: browser.endpoint.r.token cannot go to browser.endpoint.r "
                   "'http://192.0.2.1:9222'", "in clear", "browser.endpoint.r.ca_file");
    ASSERT_REFUSED("browser.endpoint.r.token = s3\nbrowser.endpoint.r = ws://[2001:db8::1]:9/x\n",
                   ":2: browser.endpoint.r.token cannot go to browser.endpoint.r");
    ASSERT_REFUSED("browser.endpoint.r.token = s3\nbrowser.endpoint.r = http://browser.example:9\n",
                   "cannot go to");
    ASSERT_MSG(strstr(err, "s3\n") == NULL && strstr(err, "'s3'") == NULL, "token shown: %s", err);
    /* over TLS, or to loopback: fine */
    ASSERT_EQ(load("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.r.token = s3\nbrowser.endpoint.r = https://192.0.2.1:9222\n"
                   "browser.endpoint.l.token = s3\nbrowser.endpoint.l = ws://[::1]:9/x\n"
                   "browser.endpoint.k.token = s3\nbrowser.endpoint.k = http://127.0.0.2:9\n"), 0);
    /* the old key knows no `managed`: a token with it is refused as before */
    ASSERT_REFUSED("browser.endpoint = managed\nbrowser.token = s3\n",
                   ":2: browser.token cannot go to browser.endpoint 'managed'");
    /* the old keys keep their message */
    ASSERT_REFUSED("browser.token = s3\nbrowser.endpoint = http://192.0.2.1:9222\n",
                   ":2: browser.token cannot go to browser.endpoint 'http://192.0.2.1:9222'",
                   "browser.ca_file names the CA");
    return 0;
}

TEST(remote_endpoint_needs_an_ip_and_a_proxy_listen)
{
    ASSERT_REFUSED("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.far = wss://browser.example:3000\n",
                   "browser.endpoint.far = 'wss://browser.example:3000' names its host by name",
                   "only from its address");
    ASSERT_REFUSED("browser.endpoint.far = wss://10.0.0.9:3000\n",
                   "browser.endpoint.far is a remote browser but neither "
                   "browser.endpoint.far.proxy_listen nor browser.proxy_listen is set");
    ASSERT_EQ(load("browser.endpoint.far = wss://10.0.0.9:3000\n"
                   "browser.endpoint.far.proxy_listen = 10.0.0.1\n"), 0);
    ASSERT_STR_EQ(cfg->endpoints[0].proxy_listen, "10.0.0.1");
    /* loopback needs neither */
    ASSERT_EQ(load("browser.endpoint.near = http://localhost:9222\n"), 0);
    ASSERT_STR_EQ(cfg->endpoints[0].proxy_listen, "");
    return 0;
}

TEST(two_remote_endpoints_at_one_address_refused)
{
    ASSERT_REFUSED("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.a = wss://10.0.0.9:3000\n"
                   "browser.endpoint.b = ws://10.0.0.9:3001/x\n",
                   "browser.endpoint.a and browser.endpoint.b are both at 10.0.0.9",
                   "tells remote browsers apart by their address", "an address of its own");
    /* the same IPv4 address written as IPv4-mapped IPv6 */
    ASSERT_REFUSED("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.a = wss://10.0.0.9:3000\n"
                   "browser.endpoint.b = wss://[::ffff:10.0.0.9]:3001\n",
                   "tells remote browsers apart by their address");
    ASSERT_REFUSED("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.a = wss://[2001:db8::9]:3000\n"
                   "browser.endpoint.b = wss://[2001:DB8:0::9]:3001\n",
                   "tells remote browsers apart by their address");
    ASSERT_EQ(load("browser.proxy_listen = 10.0.0.1\n"
                   "browser.endpoint.a = wss://10.0.0.9:3000\n"
                   "browser.endpoint.b = wss://10.0.0.10:3000\n"), 0);
    return 0;
}

TEST(file_with_an_error_is_refused_whole)
{
    /* a reload reads the file over a copy of the running settings; the copy is dropped
     * when config_load_file says no, so an error found only at the file's end counts */
    config_t *c = malloc(sizeof *c);
    ASSERT_NOT_NULL(c);
    config_defaults(c);
    char path[] = "/tmp/linksnap-test-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    const char *text = "jobs = 9\nbrowser.endpoint.a = managed\nbrowser.endpoint.b.slots = 2\n";
    ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = config_load_file(c, path, 0, err, sizeof err);
    unlink(path);
    free(c);
    ASSERT_EQ(rc, -1);
    ASSERT_HAS(err, path);
    ASSERT_HAS(err, "browser.endpoint.b.slots is set but browser.endpoint.b is not");
    return 0;
}

TEST(engine_timings_default_and_bounds)
{
    /* the engine's waits (issue 22): defaults are the values they had as constants */
    ASSERT_EQ(load(""), 0);
    ASSERT_EQ(cfg->quiet_ms, 500);
    ASSERT_EQ(cfg->retry_backoff_ms, 2000);
    ASSERT_EQ(cfg->blank_retry_ms, 1500);
    ASSERT_EQ(cfg->health_timeout_ms, 5000);
    ASSERT_EQ(load("quiet_ms = 10\nretry_backoff_ms = 600000\nblank_retry_ms = 60000\n"
                   "browser.health_timeout_ms = 100\n"), 0);
    ASSERT_EQ(cfg->quiet_ms, 10);
    ASSERT_EQ(cfg->retry_backoff_ms, 600000);
    ASSERT_EQ(cfg->blank_retry_ms, 60000);
    ASSERT_EQ(cfg->health_timeout_ms, 100);
    ASSERT_REFUSED("quiet_ms = 9\n", "quiet_ms: expected a whole number from 10 to 10000, got '9'");
    ASSERT_REFUSED("quiet_ms = 10001\n", "quiet_ms: expected a whole number from 10 to 10000");
    ASSERT_REFUSED("retry_backoff_ms = 0\n", "retry_backoff_ms: expected a whole number from 10 to 600000");
    ASSERT_REFUSED("retry_backoff_ms = 600001\n", "retry_backoff_ms: expected a whole number");
    ASSERT_REFUSED("blank_retry_ms = 60001\n", "blank_retry_ms: expected a whole number from 10 to 60000");
    ASSERT_REFUSED("blank_retry_ms = 1.5\n", "blank_retry_ms: expected a whole number");
    ASSERT_REFUSED("browser.health_timeout_ms = 99\n",
                   "browser.health_timeout_ms: expected a whole number from 100 to 600000, got '99'");
    ASSERT_REFUSED("browser.health_timeout_ms = 5s\n", "browser.health_timeout_ms: expected a whole number");
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(no_endpoint_is_the_managed_browser_with_jobs_slots),
    TEST_ENTRY(old_keys_are_one_endpoint_named_default),
    TEST_ENTRY(named_endpoints_in_any_order),
    TEST_ENTRY(bad_url_refused),
    TEST_ENTRY(bad_names_refused),
    TEST_ENTRY(subkey_without_url_refused),
    TEST_ENTRY(bad_subkey_values_refused),
    TEST_ENTRY(two_managed_refused),
    TEST_ENTRY(old_and_named_keys_not_mixed),
    TEST_ENTRY(more_than_max_endpoints_refused),
    TEST_ENTRY(token_over_plain_scheme_off_loopback_refused),
    TEST_ENTRY(remote_endpoint_needs_an_ip_and_a_proxy_listen),
    TEST_ENTRY(two_remote_endpoints_at_one_address_refused),
    TEST_ENTRY(file_with_an_error_is_refused_whole),
    TEST_ENTRY(engine_timings_default_and_bounds),
    TEST_END
};
TEST_MAIN()
