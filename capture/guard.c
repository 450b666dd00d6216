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

/* Who may reach a range:
 *   NEVER   no capture, whatever the settings: link-local and cloud metadata endpoints,
 *           and translation prefixes whose far end nobody can judge;
 *   PRIVATE a capture whose top document is itself on a PRIVATE address, and only without
 *           deny_private (guard_is_private() is 1 for these: they decide that side);
 *   SPECIAL any capture without deny_private (not routed on the internet, but not a
 *           door into the local network either).
 * Anything else is public. */
enum { R_NEVER = 1, R_PRIVATE = 2, R_SPECIAL = 3 };

typedef struct {
    uint8_t addr[16];      /* IPv4 as ::ffff:a.b.c.d */
    int bits;              /* prefix length over the 128-bit form */
    int kind;              /* R_* */
    const char *what;
} guard_range_t;

#define V4(a, b, c, d) {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}

/* The first match decides, so a narrower range comes before the one holding it. Sources:
 * IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates;
 * "registry" below), the multicast registries, and the cloud vendors' documentation for
 * metadata endpoints. IPv4 carried in IPv6 never reaches this table as IPv6 (unwrap_v4):
 * ::ffff:0:0/96 IPv4-mapped (RFC 4291), ::/96 IPv4-compatible (RFC 4291, deprecated),
 * 64:ff9b::/96 NAT64 (RFC 6052), ::ffff:0:0:0/96 SIIT (RFC 2765) and 2002::/16 6to4
 * (RFC 3056) are judged as the IPv4 address inside.
 *
 * Registry entries left public on purpose:
 *   - the documentation ranges 192.0.2.0/24 (TEST-NET-1), 198.51.100.0/24 (TEST-NET-2),
 *     203.0.113.0/24 (TEST-NET-3) (RFC 5737), 2001:db8::/32 (RFC 3849) and 3fff::/20
 *     (RFC 9637): they route nowhere, and the test suite's network-namespace tests use
 *     them as stand-in public addresses, so they must behave as public ones do;
 *   - the globally reachable anycast and service entries: 192.31.196.0/24 and
 *     2001:4:112::/48 AS112 (RFC 7535), 192.175.48.0/24 and 2620:4f:8000::/48 AS112
 *     direct delegation (RFC 7534), 192.52.193.0/24 and 2001:3::/32 AMT (RFC 7450),
 *     2001:1::1/128 PCP anycast (RFC 7723), 2001:1::2/128 TURN anycast (RFC 8155),
 *     2001:1::3/128 DNS-SD SRP anycast (RFC 9665), 2001:30::/28 drone DETs (RFC 9374);
 *   - the unassigned rest of 2001::/23 (IETF protocol assignments, RFC 2928): nothing is
 *     there to reach. */
static const guard_range_t ranges[] = {
    /* ---- NEVER ---- */
    /* registry: 169.254.0.0/16 link local (RFC 3927); 169.254.169.254 is the metadata
     * endpoint of AWS, GCP, Azure, OCI and others */
    {V4(169, 254, 0, 0), 96 + 16, R_NEVER, "a link-local address (169.254.0.0/16, where cloud metadata lives)"},
    /* Alibaba Cloud's metadata endpoint (Alibaba Cloud ECS documentation) */
    {V4(100, 100, 100, 200), 128, R_NEVER, "a cloud metadata address (100.100.100.200)"},
    /* Oracle Cloud's older metadata endpoint (OCI documentation), inside the registry's
     * 192.0.0.0/24 below */
    {V4(192, 0, 0, 192), 128, R_NEVER, "a cloud metadata address (192.0.0.192, Oracle Cloud)"},
    /* Azure's platform endpoint (wireserver: VM agent, DHCP, DNS, health probes; Azure
     * documentation "What is IP address 168.63.129.16?"); a Microsoft address, no registry */
    {V4(168, 63, 129, 16), 128, R_NEVER, "a cloud platform address (168.63.129.16, Azure)"},
    /* registry: fe80::/10 link-local unicast (RFC 4291) */
    {{0xfe, 0x80}, 10, R_NEVER, "a link-local address (fe80::/10)"},
    /* AWS's IPv6 metadata endpoint (EC2 documentation), inside fc00::/7 */
    {{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, R_NEVER,
     "a cloud metadata address (fd00:ec2::254)"},
    /* registry: 64:ff9b:1::/48 local-use IPv4/IPv6 translation (RFC 8215). The IPv4
     * address it stands for is the local translator's choice (any prefix length), so it
     * can be judged neither private nor public: a private top could reach a public host
     * through it and a public page a private one */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, R_NEVER,
     "a local-use NAT64 address (64:ff9b:1::/48, RFC 8215): where it leads is the local translator's choice"},
    /* registry: 2001::/32 Teredo (RFC 4380, RFC 8190). A relayed tunnel to any IPv4 host
     * behind any NAT (the client's address is carried inverted): neither side can be
     * judged, and nothing on the web is served from it */
    {{0x20, 0x01, 0, 0}, 32, R_NEVER, "a Teredo address (2001::/32, RFC 4380)"},

    /* ---- PRIVATE: refused when the top document is public, and with deny_private ---- */
    /* registry: 127.0.0.0/8 loopback (RFC 1122 3.2.1.3) */
    {V4(127, 0, 0, 0), 96 + 8, R_PRIVATE, "a loopback address (127.0.0.0/8)"},
    /* registry: ::1/128 loopback (RFC 4291) */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, R_PRIVATE, "the loopback address (::1)"},
    /* registry: ::/128 unspecified (RFC 4291); connecting to it reaches this host */
    {{0}, 128, R_PRIVATE, "the unspecified address (::)"},
    /* registry: 0.0.0.0/8 "this network" (RFC 791 3.2) and 0.0.0.0/32 "this host"
     * (RFC 1122 3.2.1.3); Linux connects 0.0.0.0 to this host */
    {V4(0, 0, 0, 0), 96 + 8, R_PRIVATE, "an unspecified address (0.0.0.0/8)"},
    /* registry: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 private-use (RFC 1918) */
    {V4(10, 0, 0, 0), 96 + 8, R_PRIVATE, "a private address (10.0.0.0/8)"},
    {V4(172, 16, 0, 0), 96 + 12, R_PRIVATE, "a private address (172.16.0.0/12)"},
    {V4(192, 168, 0, 0), 96 + 16, R_PRIVATE, "a private address (192.168.0.0/16)"},
    /* registry: 100.64.0.0/10 shared address space, carrier-grade NAT (RFC 6598) */
    {V4(100, 64, 0, 0), 96 + 10, R_PRIVATE, "a shared address (100.64.0.0/10)"},
    /* registry: 192.0.0.0/24 IETF protocol assignments (RFC 6890 2.1), not globally
     * reachable; within it 192.0.0.0/29 DS-Lite (RFC 7335), 192.0.0.8/32 dummy (RFC 7600),
     * 192.0.0.9/32 PCP anycast (RFC 7723) and 192.0.0.10/32 TURN anycast (RFC 8155)
     * (the registry calls these two globally reachable, but the nearest server answers:
     * a home gateway or the provider's), 192.0.0.170-171 NAT64 discovery (RFC 7050,
     * RFC 8880): the local network's infrastructure, never a web page's business */
    {V4(192, 0, 0, 0), 96 + 24, R_PRIVATE, "an IETF protocol address (192.0.0.0/24, the local network's)"},
    /* registry: fc00::/7 unique-local (RFC 4193, RFC 8190) */
    {{0xfc}, 7, R_PRIVATE, "a private address (fc00::/7)"},
    /* fec0::/10 site-local, deprecated (RFC 3879; RFC 4291 2.5.7) but still routed inside
     * some sites: the IPv6 of a private network, like fc00::/7 */
    {{0xfe, 0xc0}, 10, R_PRIVATE, "a site-local address (fec0::/10)"},

    /* ---- SPECIAL: refused with deny_private ---- */
    /* IANA IPv4 Multicast Address Space registry (RFC 5771) */
    {V4(224, 0, 0, 0), 96 + 4, R_SPECIAL, "a multicast address (224.0.0.0/4)"},
    /* registry: 255.255.255.255/32 limited broadcast (RFC 8190, RFC 919 7) */
    {V4(255, 255, 255, 255), 128, R_SPECIAL, "the broadcast address (255.255.255.255)"},
    /* registry: 240.0.0.0/4 reserved (RFC 1112 4) */
    {V4(240, 0, 0, 0), 96 + 4, R_SPECIAL, "a reserved address (240.0.0.0/4)"},
    /* registry: 198.18.0.0/15 benchmarking (RFC 2544) */
    {V4(198, 18, 0, 0), 96 + 15, R_SPECIAL, "a benchmarking address (198.18.0.0/15)"},
    /* registry: 192.88.99.0/24 6to4 relay anycast, deprecated (RFC 7526) */
    {V4(192, 88, 99, 0), 96 + 24, R_SPECIAL, "a deprecated 6to4 relay address (192.88.99.0/24)"},
    /* IANA IPv6 Multicast Address Space registry (RFC 4291 2.7) */
    {{0xff}, 8, R_SPECIAL, "a multicast address (ff00::/8)"},
    /* registry: 100::/64 discard-only (RFC 6666) */
    {{0x01, 0x00}, 64, R_SPECIAL, "a discard-only address (100::/64)"},
    /* registry: 2001:2::/48 benchmarking (RFC 5180) */
    {{0x20, 0x01, 0, 0x02, 0, 0}, 48, R_SPECIAL, "a benchmarking address (2001:2::/48)"},
    /* registry: 2001:10::/28 ORCHID, deprecated (RFC 4843), and 2001:20::/28 ORCHIDv2
     * (RFC 7343): identifiers, not locators */
    {{0x20, 0x01, 0, 0x10}, 28, R_SPECIAL, "an ORCHID identifier (2001:10::/28)"},
    {{0x20, 0x01, 0, 0x20}, 28, R_SPECIAL, "an ORCHIDv2 identifier (2001:20::/28)"},
    /* registry: 5f00::/16 segment routing SIDs (RFC 9602), inside an SR domain only */
    {{0x5f, 0x00}, 16, R_SPECIAL, "a segment routing address (5f00::/16)"},
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

/* One part of a numeric IPv4 host as URL parsers read it (WHATWG URL "IPv4 number",
 * which curl and Chromium follow): 0x/0X hex, a leading 0 octal, else decimal. -1 when
 * it is not such a number or exceeds 32 bits. */
static int ipv4_number(const char *p, size_t n, uint32_t *out)
{
    unsigned base = 10;
    if (!n)
        return -1;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        n -= 2;
    } else if (n >= 2 && p[0] == '0') {
        base = 8;
        p++;
        n--;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d;
        char c = p[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        if ((unsigned)d >= base)
            return -1;
        v = v * base + (unsigned)d;
        if (v > 0xffffffffu)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* Whether the last dot-separated part of h (n bytes, no trailing dot) is a number: then
 * a URL parser takes the whole host as an IPv4 address, or refuses it. */
static int ends_in_number(const char *h, size_t n)
{
    const char *last = h + n;
    while (last > h && last[-1] != '.')
        last--;
    size_t k = (size_t)(h + n - last);
    if (!k)
        return 0;
    size_t digits = 0;
    while (digits < k && last[digits] >= '0' && last[digits] <= '9')
        digits++;
    if (digits == k)
        return 1;
    if (k < 2 || last[0] != '0' || (last[1] != 'x' && last[1] != 'X'))
        return 0;
    for (size_t i = 2; i < k; i++)   /* 0x and hex digits, however many */
        if (!((last[i] >= '0' && last[i] <= '9') || (last[i] >= 'a' && last[i] <= 'f') ||
              (last[i] >= 'A' && last[i] <= 'F')))
            return 0;
    return 1;
}

/* h (n bytes, ends in a number) as an IPv4 address in network order: 1 to 4 parts, the
 * last filling what the others leave (127.1, 2130706433, 0x7f.0.0.1, 0177.0.0.1). */
static int parse_ipv4_loose(const char *h, size_t n, uint8_t out[4])
{
    uint32_t part[4];
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.')
            continue;
        if (np == 4 || ipv4_number(h + start, i - start, &part[np]) != 0)
            return -1;
        np++;
        start = i + 1;
    }
    uint32_t v = 0;
    for (size_t i = 0; i + 1 < np; i++) {
        if (part[i] > 255)
            return -1;
        v |= part[i] << (8 * (3 - i));
    }
    uint32_t last = part[np - 1];
    if (np > 1 && last >> (8 * (5 - np)))
        return -1;
    v |= last;
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    return 0;
}

int guard_parse_target(const char *host, guard_target_t *t, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    size_t n = strlen(host);
    const char *h = host;
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    while (n && h[n - 1] == '.')
        n--;
    if (!n || n >= sizeof t->name) {
        snprintf(why, whylen, "refused: the host is empty or too long");
        return -1;
    }
    char buf[sizeof t->name];
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch <= ' ' || ch == 0x7f || strchr("/\\?#@[]", ch)) {
            snprintf(why, whylen, "refused: the host has a byte no host may have");
            return -1;
        }
        buf[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    buf[n] = '\0';
    if (memchr(buf, ':', n)) {   /* IPv6, perhaps with a zone (fe80::1%eth0) */
        char *zone = strchr(buf, '%');
        if (zone)
            *zone = '\0';
        if (inet_pton(AF_INET6, buf, t->addr) != 1) {
            snprintf(why, whylen, "refused: '%.64s' is not an IPv6 address", buf);
            return -1;
        }
        t->is_addr = 1;
    } else if (ends_in_number(buf, n)) {
        static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(t->addr, prefix, 12);
        if (parse_ipv4_loose(buf, n, t->addr + 12) != 0) {
            memset(t->addr, 0, sizeof t->addr);
            snprintf(why, whylen, "refused: '%.64s' ends in a number but is not an IPv4 address", buf);
            return -1;
        }
        t->is_addr = 1;
    } else if (strchr(buf, '%')) {
        snprintf(why, whylen, "refused: the host has a byte no host may have");
        return -1;
    } else {
        memcpy(t->name, buf, n + 1);
        return 0;
    }
    /* an address: its usual text stands in as its name (for logs and refusals) */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(t->addr, mapped, 12))
        inet_ntop(AF_INET, t->addr + 12, t->name, sizeof t->name);
    else
        inet_ntop(AF_INET6, t->addr, t->name, sizeof t->name);
    return 0;
}

int guard_check_name(const guard_rules_t *r, const char *name, char *why, size_t whylen)
{
    size_t n = strlen(name);
    for (size_t i = 0; metadata_hosts[i]; i++) {
        if (!strcmp(name, metadata_hosts[i])) {
            snprintf(why, whylen, "refused: %.64s is a cloud metadata host", name);
            return GUARD_DENY;
        }
    }
    if (r->deny_private && (!strcmp(name, "localhost") ||
                            (n > 10 && !strcmp(name + n - 10, ".localhost")))) {
        snprintf(why, whylen, "refused: %.64s is loopback and deny_private is on", name);
        return GUARD_DENY;
    }
    return GUARD_RESOLVE;
}

int guard_check_url(const guard_rules_t *r, const char *url, char *host, size_t hostlen,
                    char *why, size_t whylen)
{
    int rc = GUARD_DENY;
    char *scheme = NULL, *h = NULL;
    if (hostlen)
        host[0] = '\0';
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
    guard_target_t t;
    if (guard_parse_target(h, &t, why, whylen) != 0)
        goto done;
    if (t.is_addr) {
        rc = guard_check_addr(r, t.addr, why, whylen);
        goto done;
    }
    rc = guard_check_name(r, t.name, why, whylen);
    if (rc == GUARD_RESOLVE)
        snprintf(host, hostlen, "%s", t.name);
done:
    curl_free(scheme);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}
