/* url.c -- URL normalisation with libcurl's URL API. The normalised URL is a link's
 * identity, so the rules here decide what counts as "the same link" (docs/store.md lists
 * them): http/https only; scheme and host lower-case; IDN host to punycode; default port
 * dropped; userinfo dropped; dot segments resolved; empty path "/"; percent-escapes
 * upper-cased and unreserved characters decoded; tracking parameters removed; fragment
 * dropped unless it is a hash route. Pure: no store state, safe on any thread. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store.h"
#include "util.h"

static const char *const default_exact[] = {
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "mc_eid", "mc_cid",
    "igshid", "yclid", "twclid", "ttclid", "li_fat_id", "_hsenc", "_hsmi", "mkt_tok",
    "ref_src", "vero_id", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "_openstat",
    "wickedid", "srsltid", NULL,
};
static const char *const default_prefix[] = {"utm_", "pk_", "mtm_", NULL};

static const store_url_rules_t default_rules = {default_exact, default_prefix};

const store_url_rules_t *store_url_default_rules(void) { return &default_rules; }

static int is_tracking(const store_url_rules_t *r, const char *name, size_t n)
{
    for (const char *const *e = r->exact; e && *e; e++)
        if (strlen(*e) == n && strncasecmp(*e, name, n) == 0)
            return 1;
    for (const char *const *p = r->prefixes; p && *p; p++) {
        size_t k = strlen(*p);
        if (n >= k && strncasecmp(*p, name, k) == 0)
            return 1;
    }
    return 0;
}

static int unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* In place: %7e -> ~, %2f -> %2F. */
static void normalise_escapes(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        int h, l;
        if (r[0] == '%' && (h = util_hexval((unsigned char)r[1])) >= 0 &&
            (l = util_hexval((unsigned char)r[2])) >= 0) {
            int c = h * 16 + l;
            if (unreserved(c)) {
                *w++ = (char)c;
            } else {
                *w++ = '%';
                *w++ = (char)toupper((unsigned char)r[1]);
                *w++ = (char)toupper((unsigned char)r[2]);
            }
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* Drops tracking parameters, keeping the others in order. Returns an owned string, "" when
 * nothing is left, NULL when out of memory. */
static char *filter_query(const store_url_rules_t *r, const char *q)
{
    size_t n = strlen(q);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    const char *p = q;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if (len > 0 && !is_tracking(r, p, nlen)) {
            if (w)
                out[w++] = '&';
            memcpy(out + w, p, len);
            w += len;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    out[w] = '\0';
    return out;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return STORE_EINVAL;
}

int store_normalize_url(const store_url_rules_t *rules, const char *in, char **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (!rules)
        rules = &default_rules;
    size_t n = strlen(in);
    if (n > STORE_MAX_URL)
        return fail(err, errlen, "URL too long (over %d bytes)", STORE_MAX_URL);
    /* trim surrounding whitespace; nothing else may be a control character */
    while (n && isspace((unsigned char)in[n - 1]))
        n--;
    while (n && isspace((unsigned char)*in)) {
        in++;
        n--;
    }
    if (n == 0)
        return fail(err, errlen, "empty URL");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
            return fail(err, errlen, "URL contains a control character");
    /* the scheme decides before curl sees anything */
    size_t k = 0;
    while (k < n && (isalnum((unsigned char)in[k]) || in[k] == '+' || in[k] == '-' || in[k] == '.'))
        k++;
    if (k == 0 || k >= n || in[k] != ':' || !isalpha((unsigned char)in[0]))
        return fail(err, errlen, "not a URL: %s (expected http:// or https://)", n > 60 ? "it has no scheme" : in);
    char scheme[32];
    /* "http:x", "http:/x", "http:///x" have no host (curl would guess one) */
    int web = (k == 4 && !strncasecmp(in, "http", 4)) || (k == 5 && !strncasecmp(in, "https", 5));
    int authority = k + 3 <= n && in[k + 1] == '/' && in[k + 2] == '/' && (k + 3 == n || in[k + 3] != '/');
    if (web && !authority)
        return fail(err, errlen, "not a valid URL: it has no host");
    if (k >= sizeof scheme)
        return fail(err, errlen, "unsupported URL scheme (only http and https)");
    for (size_t i = 0; i < k; i++)
        scheme[i] = (char)tolower((unsigned char)in[i]);
    scheme[k] = '\0';
    if (strcmp(scheme, "http") && strcmp(scheme, "https"))
        return fail(err, errlen, "unsupported URL scheme '%s' (only http and https)", scheme);

    char *copy = strndup(in, n);
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *frag = NULL, *full = NULL,
         *fq = NULL;
    int rc = STORE_EINVAL;
    if (!copy || !u) {
        rc = STORE_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, copy, CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        snprintf(err, errlen, "not a valid URL: %s", curl_url_strerror(uc));
        goto done;
    }
    unsigned hostflags = 0;
#ifdef CURLU_PUNYCODE
    hostflags |= CURLU_PUNYCODE;
#endif
    if (curl_url_get(u, CURLUPART_HOST, &host, hostflags) != CURLUE_OK || !host || !*host) {
        snprintf(err, errlen, "not a valid URL: it has no host");
        goto done;
    }
    for (char *p = host; *p; p++) {
        if ((unsigned char)*p >= 0x80) {
            snprintf(err, errlen, "the host name could not be converted to punycode");
            goto done;
        }
        *p = (char)tolower((unsigned char)*p);
    }
    curl_url_set(u, CURLUPART_HOST, host, 0);
    curl_url_set(u, CURLUPART_SCHEME, scheme, 0);
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port) {
        long pn = strtol(port, NULL, 10);
        if (pn < 1 || pn > 65535) {
            snprintf(err, errlen, "invalid port %s", port);
            goto done;
        }
        if ((pn == 80 && !strcmp(scheme, "http")) || (pn == 443 && !strcmp(scheme, "https")))
            curl_url_set(u, CURLUPART_PORT, NULL, 0);
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path) {
        if (!*path)
            curl_url_set(u, CURLUPART_PATH, "/", 0);
    } else {
        curl_url_set(u, CURLUPART_PATH, "/", 0);
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
        if (!(fq = filter_query(rules, query))) {
            rc = STORE_ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        curl_url_set(u, CURLUPART_QUERY, *fq ? fq : NULL, 0);
    }
    if (curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK && frag) {
        if (!(frag[0] == '/' || frag[0] == '!'))
            curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    }
    if (curl_url_get(u, CURLUPART_URL, &full, hostflags) != CURLUE_OK || !full) {
        snprintf(err, errlen, "not a valid URL");
        goto done;
    }
    /* curl writes escapes in lower case: fix them (and decode unreserved ones) last */
    normalise_escapes(full);
    if (strlen(full) > STORE_MAX_URL) {
        snprintf(err, errlen, "URL too long after normalisation (over %d bytes)", STORE_MAX_URL);
        goto done;
    }
    if (!(*out = strdup(full))) {
        rc = STORE_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = STORE_OK;
done:
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(frag);
    curl_free(full);
    free(fq);
    free(copy);
    curl_url_cleanup(u);
    return rc;
}
