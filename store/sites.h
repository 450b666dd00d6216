/* sites.h -- site rules in the store: per-site capture settings keyed by a
 * normalised match. The store keeps the settings as a JSON object text and does not look
 * inside it (daemon/methods_site.c validates and masks it); it owns the match:
 *   - "example.com"        a host: that host and its subdomains (kind "host");
 *   - "example.com:8443"   a host and port (kind "hostport"; the port as given, so
 *                          "example.com:80" is http on port 80 only);
 *   - "https://example.com/members"  a URL prefix, normalised like stored URLs (kind
 *                          "prefix"): it matches URLs that start with it at a path
 *                          boundary ("/members" covers "/members/x" and "/members?p=1",
 *                          not "/membership").
 * Host names are lower-cased and IDNs turned into punycode, as in stored URLs. The rule
 * that applies to a URL is the matching one with the longest match text. */
#ifndef LS_STORE_SITES_H
#define LS_STORE_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_MAX_SITE_MATCH 2048

typedef struct {
    int64_t id;
    char *match;                 /* normalised */
    char kind[12];               /* host | hostport | prefix */
    char *rule;                  /* JSON object text, as given to store_site_set */
    int64_t created_at, updated_at;
} store_site_rule_t;
void store_site_rule_free(store_site_rule_t *r);                  /* accepts NULL */
void store_site_rule_list_free(store_site_rule_t **v, size_t n);

/* Normalises a match (pure; any thread): *out is owned, kind gets its kind. STORE_EINVAL
 * with a sentence in err for anything else (a scheme other than http/https, a path on a
 * host, an empty or over-long match). */
int store_site_normalize_match(const char *in, char **out, char kind[12], char *err,
                               size_t errlen);

/* Adds the rule, or replaces the one with the same normalised match (*created says
 * which). rule_json is stored as given. *out (may be NULL) gets the stored row. */
int store_site_set(store_t *s, const char *match, const char *rule_json, int64_t now_ms,
                   store_site_rule_t **out, int *created);
/* The rule whose normalised match equals match's; STORE_ENOTFOUND (no message) if none. */
int store_site_get(store_t *s, const char *match, store_site_rule_t **out);
/* Every rule, by match. */
int store_site_list(store_t *s, store_site_rule_t ***out, size_t *n);
/* Deletes the rule whose normalised match equals match's; STORE_ENOTFOUND if none. */
int store_site_delete(store_t *s, const char *match, store_site_rule_t **deleted);
/* The rule that applies to url (an http/https URL, normalised here), longest match
 * first; STORE_ENOTFOUND (no message) when none does. */
int store_site_match(store_t *s, const char *url, store_site_rule_t **out);
/* Where a rule's cookies may go, from its normalised match (pure; any thread):
 *   host        the match's host (lower case, punycode, an IPv6 literal in brackets);
 *   subdomains  1 for a host rule (it covers subdomains and every port), else 0: a
 *               host:port or URL-prefix rule names one host, so its cookies are host-only
 *               and the browser binds them to the rule's port;
 *   scheme      "https" or "http" when the match says (a prefix's scheme; host:443 and
 *               host:80), else NULL;
 *   port        the prefix's or host:port's port (a prefix's default filled in), 0 for a
 *               host rule. */
typedef struct {
    char host[300];
    int subdomains;
    const char *scheme;
    long port;
} store_site_scope_t;
void store_site_scope(const char *match, const char *kind, store_site_scope_t *out);

/* Whether a rule's normalised match (of that kind) applies to url, by the same test as
 * store_site_match. Pure; any thread. 0 for a URL that is not http(s). */
int store_site_applies(const char *match, const char *kind, const char *url);

#endif
