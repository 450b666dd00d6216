/* guard.c -- which addresses a captured page may reach (see guard.h). URLs are split with
 * libcurl's URL API; addresses are compared as bytes after inet_pton, so every spelling of
 * an address (IPv4-mapped IPv6, brackets, upper case) meets the same rule. */
#include "guard.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Who may reach a range: NEVER = no capture; PRIVATE = a capture whose top document is on
 * a private address, and only without deny_private; SPECIAL = without deny_private. */
enum { R_NEVER = 1, R_PRIVATE = 2, R_SPECIAL = 3 };

typedef struct {
    uint8_t addr[16];      /* IPv4 as ::ffff:a.b.c.d */
    int bits;              /* prefix length over the 128-bit form */
    int kind;              /* R_* */
    const char *what;
} guard_range_t;

#define V4(a, b, c, d) {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}

static const guard_range_t ranges[] = {
    {V4(169, 254, 0, 0), 96 + 16, R_NEVER, "a link-local address (169.254.0.0/16, where cloud metadata lives)"},
    {V4(100, 100, 100, 200), 128, R_NEVER, "a cloud metadata address (100.100.100.200)"},
    {{0xfe, 0x80}, 10, R_NEVER, "a link-local address (fe80::/10)"},
    {{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, R_NEVER,
     "a cloud metadata address (fd00:ec2::254)"},
    {V4(127, 0, 0, 0), 96 + 8, R_PRIVATE, "a loopback address (127.0.0.0/8)"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, R_PRIVATE, "the loopback address (::1)"},
    {{0}, 128, R_PRIVATE, "the unspecified address (::)"},
    {V4(0, 0, 0, 0), 96 + 8, R_PRIVATE, "an unspecified address (0.0.0.0/8)"},
    {V4(10, 0, 0, 0), 96 + 8, R_PRIVATE, "a private address (10.0.0.0/8)"},
    {V4(172, 16, 0, 0), 96 + 12, R_PRIVATE, "a private address (172.16.0.0/12)"},
    {V4(192, 168, 0, 0), 96 + 16, R_PRIVATE, "a private address (192.168.0.0/16)"},
    {V4(100, 64, 0, 0), 96 + 10, R_PRIVATE, "a shared address (100.64.0.0/10)"},
    {{0xfc}, 7, R_PRIVATE, "a private address (fc00::/7)"},
    {V4(224, 0, 0, 0), 96 + 4, R_SPECIAL, "a multicast address (224.0.0.0/4)"},
    {V4(255, 255, 255, 255), 128, R_SPECIAL, "the broadcast address (255.255.255.255)"},
    {V4(240, 0, 0, 0), 96 + 4, R_SPECIAL, "a reserved address (240.0.0.0/4)"},
    {V4(198, 18, 0, 0), 96 + 15, R_SPECIAL, "a benchmarking address (198.18.0.0/15)"},
    {{0xff}, 8, R_SPECIAL, "a multicast address (ff00::/8)"},
};
static const char *const metadata_hosts[] = {
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
    "instance-data.ec2.internal", NULL,
};

static int in_range(const uint8_t a[16], const guard_range_t *g)
{
    int full = g->bits / 8, rest = g->bits % 8;
    if (memcmp(a, g->addr, (size_t)full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a[full] & mask) != (g->addr[full] & mask))
            return 0;
    }
    return 1;
}

/* IPv4 carried inside IPv6 is judged as the IPv4 address: rewrites a[] to ::ffff:a.b.c.d
 * for IPv4-compatible (::a.b.c.d, but not ::/127, which is :: and ::1), NAT64
 * (64:ff9b::/96), SIIT (::ffff:0:a.b.c.d) and 6to4 (2002:AABB:CCDD::/16). */
static void unwrap_v4(uint8_t a[16])
{
    static const uint8_t zero[12] = {0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    static const uint8_t siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    uint8_t v4[4];
    if (!memcmp(a, zero, 12)) {
        if (a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1)
            return;   /* :: and ::1 are IPv6's own */
        memcpy(v4, a + 12, 4);
    } else if (!memcmp(a, nat64, 12) || !memcmp(a, siit, 12)) {
        memcpy(v4, a + 12, 4);
    } else if (a[0] == 0x20 && a[1] == 0x02) {
        memcpy(v4, a + 2, 4);
    } else {
        return;
    }
    memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    memcpy(a + 12, v4, 4);
}

/* Parses ip into the 128-bit form, embedded IPv4 unwrapped; 0 on success. */
static int parse_ip(const char *ip, uint8_t out[16])
{
    char buf[64];
    size_t n = strlen(ip);
    if (n >= sizeof buf)
        return -1;
    if (ip[0] == '[' && n > 2 && ip[n - 1] == ']') {
        memcpy(buf, ip + 1, n - 2);
        buf[n - 2] = '\0';
    } else {
        memcpy(buf, ip, n + 1);
    }
    char *zone = strchr(buf, '%');   /* fe80::1%eth0 */
    if (zone)
        *zone = '\0';
    struct in_addr v4;
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(out, prefix, 12);
        memcpy(out + 12, &v4, 4);
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) != 1)
        return -1;
    unwrap_v4(out);
    return 0;
}

static const guard_range_t *find_range(const uint8_t a[16])
{
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (in_range(a, &ranges[i]))
            return &ranges[i];
    return NULL;
}

int guard_check_addr(const guard_rules_t *r, const uint8_t a16[16], char *why, size_t whylen)
{
    uint8_t a[16];
    char text[INET6_ADDRSTRLEN];
    memcpy(a, a16, 16);
    unwrap_v4(a);
    const guard_range_t *g = find_range(a);
    if (!g)
        return GUARD_ALLOW;
    if (a[10] == 0xff && a[11] == 0xff && !memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10))
        inet_ntop(AF_INET, a + 12, text, sizeof text);
    else
        inet_ntop(AF_INET6, a, text, sizeof text);
    if (g->kind == R_NEVER) {
        snprintf(why, whylen, "refused: %s is %s", text, g->what);
        return GUARD_DENY;
    }
    if (r->deny_private) {
        snprintf(why, whylen, "refused: %s is %s and deny_private is on", text, g->what);
        return GUARD_DENY;
    }
    if (g->kind == R_PRIVATE && r->top_public) {
        snprintf(why, whylen, "refused: %s is %s and the page is on a public address "
                 "(private network access)", text, g->what);
        return GUARD_DENY;
    }
    return GUARD_ALLOW;
}

int guard_check_ip(const guard_rules_t *r, const char *ip, char *why, size_t whylen)
{
    uint8_t a[16];
    if (parse_ip(ip, a) != 0) {
        snprintf(why, whylen, "'%.64s' is not an IP address", ip);
        return GUARD_DENY;
    }
    return guard_check_addr(r, a, why, whylen);
}

int guard_is_private(const char *ip)
{
    uint8_t a[16];
    if (parse_ip(ip, a) != 0)
        return 0;
    const guard_range_t *g = find_range(a);
    return g && g->kind == R_PRIVATE;
}

int guard_addr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

int guard_check_url(const guard_rules_t *r, const char *url, char *host, size_t hostlen,
                    char *why, size_t whylen)
{
    int rc = GUARD_DENY;
    char *scheme = NULL, *h = NULL;
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, whylen, "out of memory");
        return GUARD_DENY;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        snprintf(why, whylen, "refused: not a URL linksnap can check");
        goto done;
    }
    if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
        snprintf(why, whylen, "refused: only http and https are captured, not %.20s:", scheme);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !*h) {
        snprintf(why, whylen, "refused: the URL has no host");
        goto done;
    }
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == '.')
        h[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (h[i] >= 'A' && h[i] <= 'Z')
            h[i] = (char)(h[i] - 'A' + 'a');
    uint8_t a[16];
    if (parse_ip(h, a) == 0) {
        rc = guard_check_ip(r, h, why, whylen);
        goto done;
    }
    for (size_t i = 0; metadata_hosts[i]; i++) {
        if (!strcmp(h, metadata_hosts[i])) {
            snprintf(why, whylen, "refused: %.64s is a cloud metadata host", h);
            goto done;
        }
    }
    if (r->deny_private && (!strcmp(h, "localhost") ||
                            (n > 10 && !strcmp(h + n - 10, ".localhost")))) {
        snprintf(why, whylen, "refused: %.64s is loopback and deny_private is on", h);
        goto done;
    }
    snprintf(host, hostlen, "%s", h);
    rc = GUARD_RESOLVE;
done:
    curl_free(scheme);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}
