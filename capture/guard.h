/* guard.h -- the address rules every connection of a captured page must pass (enforced by
 * the egress proxy, capture/egress.c, on the address it is about to connect to). Every
 * range in guard.c names its source (IANA's special-purpose address registries, RFC 6890
 * and updates, or the cloud vendor's documentation):
 *   - only http and https;
 *   - always refused: link-local (169.254.0.0/16, fe80::/10), cloud metadata and platform
 *     endpoints (100.100.100.200, 192.0.0.192, 168.63.129.16, fd00:ec2::254,
 *     metadata.google.internal, ...), and translation prefixes whose far end cannot be
 *     judged (local-use NAT64 64:ff9b:1::/48, Teredo 2001::/32);
 *   - with deny_private, loopback, private (and site-local fec0::/10), shared (CGNAT),
 *     unspecified, IETF protocol (192.0.0.0/24), multicast, broadcast, reserved,
 *     benchmarking, discard-only, ORCHID, 6to4-relay and segment-routing ranges too;
 *   - private network access: when the capture's top document is on a public address
 *     (top_public), loopback, private, site-local, shared, 192.0.0.0/24 and unspecified
 *     addresses are refused;
 *   - IPv4 embedded in IPv6 (::a.b.c.d, 64:ff9b::/96, ::ffff:0:a.b.c.d, 2002::/16, and
 *     IPv4-mapped) meets the IPv4 address's rule; :: and ::1 stay IPv6;
 *   - a host is parsed once (guard_parse_target): every numeric IPv4 spelling a URL
 *     parser accepts (127.1, 0, 2130706433, 0x7f000001, 0177.0.0.1) is the address it
 *     means, and a host that ends in a number but is no address is refused.
 * The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
 * count as public: tests use them as stand-in public addresses.
 * Pure functions; any thread. */
#ifndef LS_GUARD_H
#define LS_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    int deny_private;
    int top_public;        /* the capture's top document is on a public address */
} guard_rules_t;

enum {
    GUARD_ALLOW = 0,
    GUARD_DENY = 1,        /* why says which rule */
    GUARD_RESOLVE = 2,     /* a host name: resolve it and check each address */
};

/* Checks an IP address in text form (IPv4, IPv6 with or without brackets, IPv4-mapped). */
int guard_check_ip(const guard_rules_t *r, const char *ip, char *why, size_t whylen);
/* Checks an address in 16-byte form (IPv6, or IPv4 as ::ffff:a.b.c.d). */
int guard_check_addr(const guard_rules_t *r, const uint8_t a[16], char *why, size_t whylen);
/* 1 when ip is loopback, private, site-local, shared, IETF protocol (192.0.0.0/24) or
 * unspecified (the ranges private network access protects); 0 for public addresses, the never-reachable ones, and non-addresses. */
int guard_is_private(const char *ip);
/* AF_INET / AF_INET6 to the 16-byte form; -1 for other families. */
int guard_addr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16]);
/* A request's target host, parsed once. Always written whole, whatever the outcome. */
typedef struct {
    int is_addr;           /* an address literal (any spelling): check addr, no lookup */
    uint8_t addr[16];      /* IPv6, or IPv4 as ::ffff:a.b.c.d, as written (not unwrapped) */
    char name[256];        /* a name (lower case, no brackets or trailing dot) to check and
                            * resolve; for an address its usual text; "" on failure */
} guard_target_t;
/* Parses host as a URL or a CONNECT line gives it (brackets, trailing dots, any case).
 * An IPv4 address in any spelling URL parsers accept (1 to 4 parts, each decimal, 0x
 * hex or 0 octal) becomes that address. -1 with why when the host is empty, too long,
 * has a byte no host has, is IPv6 text inet_pton refuses, or ends in a number without
 * being an IPv4 address ("1.2.3.4.5", "09", "host.123"). */
int guard_parse_target(const char *host, guard_target_t *t, char *why, size_t whylen);
/* The rules on a host name (metadata names always; localhost with deny_private):
 * GUARD_DENY with why, or GUARD_RESOLVE. */
int guard_check_name(const guard_rules_t *r, const char *name, char *why, size_t whylen);
/* Checks a URL. host is "" unless GUARD_RESOLVE, which copies the host name (lower case,
 * no trailing dot) to host. */
int guard_check_url(const guard_rules_t *r, const char *url, char *host, size_t hostlen,
                    char *why, size_t whylen);

#endif
