/* guard.h -- the address rules every connection of a captured page must pass (enforced by
 * the egress proxy, capture/egress.c, on the address it is about to connect to):
 *   - only http and https;
 *   - link-local and cloud metadata addresses are always refused (169.254.0.0/16,
 *     fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal, ...);
 *   - with deny_private, loopback, private, shared (CGNAT), unspecified, multicast,
 *     broadcast, reserved and benchmarking ranges too;
 *   - private network access: when the capture's top document is on a public address
 *     (top_public), loopback, private, shared and unspecified addresses are refused;
 *   - IPv4 embedded in IPv6 (::a.b.c.d, 64:ff9b::/96, ::ffff:0:a.b.c.d, 2002::/16, and
 *     IPv4-mapped) meets the IPv4 address's rule; :: and ::1 stay IPv6.
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
/* 1 when ip is loopback, private, shared or unspecified (the ranges private network
 * access protects); 0 for public addresses, the never-reachable ones, and non-addresses. */
int guard_is_private(const char *ip);
/* AF_INET / AF_INET6 to the 16-byte form; -1 for other families. */
int guard_addr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16]);
/* Checks a URL. GUARD_RESOLVE copies the host name (lower case, no trailing dot) to host. */
int guard_check_url(const guard_rules_t *r, const char *url, char *host, size_t hostlen,
                    char *why, size_t whylen);

#endif
