/* cookies.h -- a Netscape cookies.txt parser (the format curl, wget and browser export
 * add-ons write): one cookie a line, seven TAB-separated fields
 *   domain  include-subdomains(TRUE|FALSE)  path  secure(TRUE|FALSE)  expires  name  value
 * '#' starts a comment, except the "#HttpOnly_" prefix that marks an HttpOnly cookie's
 * domain; blank lines are skipped; CRLF is accepted. A bad line is reported with its
 * number and reason and the rest still parse. Pure; any thread. */
#ifndef LS_COOKIES_H
#define LS_COOKIES_H

#include <stddef.h>
#include <stdint.h>

#define COOKIES_MAX_TEXT (1024 * 1024)   /* bytes of cookies.txt accepted */
#define COOKIES_MAX_COUNT 1000           /* cookies kept; lines past it are reported */
#define COOKIES_MAX_ERRORS 100           /* errors kept (all are counted) */

typedef struct {
    char *domain;                /* as written, without "#HttpOnly_"; a leading '.' kept */
    char *path;
    char *name;
    char *value;
    int include_subdomains, secure, http_only;
    int64_t expires;             /* seconds since the epoch; 0 = a session cookie */
    size_t line;                 /* 1-based line it came from */
} cookies_entry_t;

typedef struct {
    size_t line;                 /* 1-based */
    char reason[120];
} cookies_error_t;

typedef struct {
    cookies_entry_t *v;
    size_t n;
    cookies_error_t *errors;
    size_t nerrors;              /* kept, at most COOKIES_MAX_ERRORS */
    size_t error_count;          /* every bad line */
} cookies_list_t;

enum { COOKIES_OK = 0, COOKIES_ENOMEM = -1, COOKIES_ETOOBIG = -2 };

/* Parses len bytes of text. Cookies that expired before now_s are reported as errors and
 * left out. Returns COOKIES_OK (bad lines are in out->errors), COOKIES_ETOOBIG for text
 * over COOKIES_MAX_TEXT, or COOKIES_ENOMEM; out is always safe to free. */
int cookies_parse_netscape(const char *text, size_t len, int64_t now_s, cookies_list_t *out);
void cookies_list_free(cookies_list_t *l);    /* leaves *l empty; accepts a zeroed list */

/* Whether a cookie's domain (as written: a leading '.' and a trailing '.' are ignored,
 * case is not) is the rule host `host` itself or, when subdomains is set, a subdomain of
 * it. host is a normalised rule host (lower case, punycode, an IPv6 literal in brackets).
 * A parent domain, a sibling or any other host is outside; so is every subdomain of an
 * IP address. Pure; any thread. */
int cookies_domain_within(const char *domain, const char *host, int subdomains);

#endif
