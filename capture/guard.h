/* guard.h -- the address rules every request of a captured page must pass (enforced by the
 * capture engine through DevTools request interception, for the top URL, each redirect
 * and every sub-request, and checked again on each response's remote address):
 *   - only http and https;
 *   - link-local and cloud metadata addresses are always refused (169.254.0.0/16,
 *     fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal, ...);
 *   - with deny_private, loopback, private, shared (CGNAT) and unspecified ranges too.
 * Pure functions; any thread. */
#ifndef LS_GUARD_H
#define LS_GUARD_H

#include <stddef.h>

typedef struct {
    int deny_private;
} guard_rules_t;

enum {
    GUARD_ALLOW = 0,
    GUARD_DENY = 1,        /* why says which rule */
    GUARD_RESOLVE = 2,     /* a host name: resolve it and check each address */
};

/* Checks an IP address in text form (IPv4, IPv6 with or without brackets, IPv4-mapped). */
int guard_check_ip(const guard_rules_t *r, const char *ip, char *why, size_t whylen);
/* Checks a URL. GUARD_RESOLVE copies the host name (lower case, no trailing dot) to host. */
int guard_check_url(const guard_rules_t *r, const char *url, char *host, size_t hostlen,
                    char *why, size_t whylen);

#endif
