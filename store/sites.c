/* sites.c -- site rules: match normalisation, the rows, and the longest-match lookup (see
 * sites.h). The rule's settings are an opaque JSON text here. */
#include "sites.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

void store_site_rule_free(store_site_rule_t *r)
{
    if (!r)
        return;
    free(r->match);
    free(r->rule);
    free(r);
}

STORE_DEFINE_LIST_FREE(store_site_rule_list_free, store_site_rule_t, store_site_rule_free)

/* Host (punycode, lower case, no trailing dot) and explicit port of "http://" + in. */
static int split_host(const char *in, char **host, long *port, char *err, size_t errlen)
{
    *host = NULL;
    *port = 0;
    int rc = STORE_EINVAL;
    size_t n = strlen(in);
    char *url = malloc(n + 9);
    CURLU *u = curl_url();
    char *h = NULL, *p = NULL, *path = NULL;
    if (!url || !u) {
        rc = STORE_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    memcpy(url, "http://", 7);
    memcpy(url + 7, in, n + 1);
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        snprintf(err, errlen, "match '%.80s' is not a host, host:port or http(s) URL", in);
        goto done;
    }
    unsigned flags = 0;
#ifdef CURLU_PUNYCODE
    flags |= CURLU_PUNYCODE;
#endif
    if (curl_url_get(u, CURLUPART_HOST, &h, flags) != CURLUE_OK || !h || !*h) {
        snprintf(err, errlen, "match '%.80s' has no host", in);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path && strcmp(path, "/") &&
        *path) {
        snprintf(err, errlen, "match '%.80s' has a path: write a URL prefix with its scheme "
                 "(https://host/path)", in);
        goto done;
    }
    if (strpbrk(in, "?#@")) {
        snprintf(err, errlen, "match '%.80s': a host match takes no query, fragment or user", in);
        goto done;
    }
    size_t hl = strlen(h);
    while (hl && h[hl - 1] == '.')
        h[--hl] = 0;
    for (char *c = h; *c; c++) {
        if ((unsigned char)*c >= 0x80) {
            snprintf(err, errlen, "match '%.80s': the host could not be converted to punycode", in);
            goto done;
        }
        *c = (char)tolower((unsigned char)*c);
    }
    if (!hl) {
        snprintf(err, errlen, "match '%.80s' has no host", in);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK && p) {
        *port = strtol(p, NULL, 10);
        if (*port < 1 || *port > 65535) {
            snprintf(err, errlen, "match '%.80s' has an invalid port", in);
            goto done;
        }
    }
    if (!(*host = strdup(h))) {
        rc = STORE_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = STORE_OK;
done:
    curl_free(h);
    curl_free(p);
    curl_free(path);
    curl_url_cleanup(u);
    free(url);
    return rc;
}

int store_site_normalize_match(const char *in, char **out, char kind[12], char *err,
                               size_t errlen)
{
    *out = NULL;
    kind[0] = 0;
    if (!in)
        in = "";
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0) {
        snprintf(err, errlen, "match is empty: give a host, host:port or URL prefix");
        return STORE_EINVAL;
    }
    if (n > STORE_MAX_SITE_MATCH) {
        snprintf(err, errlen, "match is longer than %d bytes", STORE_MAX_SITE_MATCH);
        return STORE_EINVAL;
    }
    if (!util_utf8_valid(in, n)) {
        snprintf(err, errlen, "match is not valid UTF-8");
        return STORE_EINVAL;
    }
    char *copy = strndup(in, n);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return STORE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)copy[i] < 0x20 || copy[i] == ' ' || copy[i] == 0x7f) {
            snprintf(err, errlen, "match has a space or control character");
            free(copy);
            return STORE_EINVAL;
        }
    }
    int rc;
    if (strstr(copy, "://")) {
        /* a URL prefix: the stored-URL normaliser, with no tracking rules (a prefix's
         * query is the user's, kept as written) */
        static const store_url_rules_t none = {NULL, NULL};
        rc = store_normalize_url(&none, copy, out, err, errlen);
        if (rc == STORE_OK)
            snprintf(kind, 12, "prefix");
    } else {
        char *host;
        long port;
        rc = split_host(copy, &host, &port, err, errlen);
        if (rc == STORE_OK) {
            size_t hl = strlen(host);
            if (!(*out = malloc(hl + 8))) {
                rc = STORE_ENOMEM;
                snprintf(err, errlen, "out of memory");
            } else if (port) {
                snprintf(*out, hl + 8, "%s:%ld", host, port);
                snprintf(kind, 12, "hostport");
            } else {
                memcpy(*out, host, hl + 1);
                snprintf(kind, 12, "host");
            }
            free(host);
        }
    }
    free(copy);
    return rc;
}

#define SITE_COLS "id, match, kind, rule, created_at, updated_at"

static int read_row(sqlite3_stmt *st, store_site_rule_t **out)
{
    store_site_rule_t *r = calloc(1, sizeof *r);
    if (!r)
        return STORE_ENOMEM;
    r->id = sqlite3_column_int64(st, 0);
    r->match = store_col_strdup(st, 1);
    snprintf(r->kind, sizeof r->kind, "%s", (const char *)sqlite3_column_text(st, 2));
    r->rule = store_col_strdup(st, 3);
    r->created_at = sqlite3_column_int64(st, 4);
    r->updated_at = sqlite3_column_int64(st, 5);
    if (!r->match || !r->rule) {
        store_site_rule_free(r);
        return STORE_ENOMEM;
    }
    *out = r;
    return STORE_OK;
}

static int prepare(store_t *s, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "prepare a site-rule query");
    return STORE_OK;
}

static int get_by_match(store_t *s, const char *match, store_site_rule_t **out)
{
    sqlite3_stmt *st;
    int rc = prepare(s, "SELECT " SITE_COLS " FROM site_rules WHERE match = ?1", &st);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    int sr = sqlite3_step(st);
    if (sr == SQLITE_ROW)
        rc = read_row(st, out);
    else if (sr == SQLITE_DONE)
        rc = STORE_ENOTFOUND;
    else
        rc = store_fail_sqlite(s, sr, "read a site rule");
    sqlite3_finalize(st);
    if (rc == STORE_ENOMEM)
        store_fail(s, STORE_ENOMEM, "out of memory");
    return rc;
}

int store_site_set(store_t *s, const char *match, const char *rule_json, int64_t now_ms,
                   store_site_rule_t **out, int *created)
{
    char err[256], kind[12];
    char *norm = NULL;
    sqlite3_stmt *st = NULL;
    if (out)
        *out = NULL;
    int rc = store_site_normalize_match(match, &norm, kind, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    if (!rule_json || !*rule_json) {
        rc = store_fail(s, STORE_EINVAL, "a site rule needs its settings");
        goto done;
    }
    store_site_rule_t *old = NULL;
    rc = get_by_match(s, norm, &old);
    if (rc && rc != STORE_ENOTFOUND)
        goto done;
    if (created)
        *created = old == NULL;
    store_site_rule_free(old);
    if ((rc = prepare(s, "INSERT INTO site_rules (match, kind, rule, created_at, updated_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (match) DO UPDATE SET"
                         " rule = excluded.rule, updated_at = excluded.updated_at", &st)))
        goto done;
    sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rule_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    int sr = sqlite3_step(st);
    if (sr != SQLITE_DONE) {
        rc = store_fail_sqlite(s, sr, "save the site rule");
        goto done;
    }
    if (out && (rc = get_by_match(s, norm, out)))
        goto done;
    rc = STORE_OK;
done:
    sqlite3_finalize(st);
    free(norm);
    return rc;
}

int store_site_get(store_t *s, const char *match, store_site_rule_t **out)
{
    char err[256], kind[12];
    char *norm = NULL;
    *out = NULL;
    int rc = store_site_normalize_match(match, &norm, kind, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    rc = get_by_match(s, norm, out);
    free(norm);
    return rc;
}

int store_site_list(store_t *s, store_site_rule_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = prepare(s, "SELECT " SITE_COLS " FROM site_rules ORDER BY match", &st);
    if (rc)
        return rc;
    size_t cap = 0;
    store_site_rule_t **v = NULL;
    int sr;
    while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, *n, cap, 8) != 0) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            goto fail;
        }
        if ((rc = read_row(st, &v[*n]))) {
            store_fail(s, rc, "out of memory");
            goto fail;
        }
        (*n)++;
    }
    if (sr != SQLITE_DONE) {
        rc = store_fail_sqlite(s, sr, "list site rules");
        goto fail;
    }
    sqlite3_finalize(st);
    *out = v;
    return STORE_OK;
fail:
    sqlite3_finalize(st);
    store_site_rule_list_free(v, *n);
    *n = 0;
    return rc;
}

int store_site_delete(store_t *s, const char *match, store_site_rule_t **deleted)
{
    char err[256], kind[12];
    char *norm = NULL;
    if (deleted)
        *deleted = NULL;
    int rc = store_site_normalize_match(match, &norm, kind, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    store_site_rule_t *old = NULL;
    rc = get_by_match(s, norm, &old);
    if (rc == STORE_ENOTFOUND) {
        rc = store_fail(s, STORE_ENOTFOUND, "no site rule matches '%s'", norm);
        goto done;
    }
    if (rc)
        goto done;
    sqlite3_stmt *st;
    if ((rc = prepare(s, "DELETE FROM site_rules WHERE id = ?1", &st)))
        goto done;
    sqlite3_bind_int64(st, 1, old->id);
    int sr = sqlite3_step(st);
    sqlite3_finalize(st);
    if (sr != SQLITE_DONE) {
        rc = store_fail_sqlite(s, sr, "delete the site rule");
        goto done;
    }
    if (deleted) {
        *deleted = old;
        old = NULL;
    }
done:
    store_site_rule_free(old);
    free(norm);
    return rc;
}

/* A prefix applies when the URL continues it at a boundary. */
static int prefix_applies(const char *prefix, const char *url)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0)
        return 0;
    char next = url[n];
    return next == 0 || prefix[n - 1] == '/' || next == '/' || next == '?' || next == '#';
}

/* The normalised URL, its host and its "host:port" (default port filled in). */
typedef struct {
    char *norm, *host, *port;
    char hostport[512];
} site_url_t;

static void site_url_free(site_url_t *u)
{
    free(u->norm);
    curl_free(u->host);
    curl_free(u->port);
}

static int site_url_parse(const char *url, site_url_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    static const store_url_rules_t none = {NULL, NULL};
    int rc = store_normalize_url(&none, url, &out->norm, err, errlen);
    if (rc)
        return rc;
    CURLU *u = curl_url();
    if (!u || curl_url_set(u, CURLUPART_URL, out->norm, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &out->host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &out->port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(err, errlen, "cannot read the host of '%.200s'", out->norm);
        curl_url_cleanup(u);
        site_url_free(out);
        memset(out, 0, sizeof *out);
        return STORE_EINVAL;
    }
    curl_url_cleanup(u);
    snprintf(out->hostport, sizeof out->hostport, "%s:%s", out->host, out->port);
    return STORE_OK;
}

static int site_applies(const char *match, const char *kind, const site_url_t *u)
{
    if (!strcmp(kind, "prefix"))
        return prefix_applies(match, u->norm);
    if (!strcmp(kind, "hostport"))
        return !strcmp(match, u->hostport);
    if (strcmp(kind, "host"))
        return 0;
    size_t hl = strlen(u->host), ml = strlen(match);
    return !strcmp(match, u->host) ||
           (hl > ml && u->host[hl - ml - 1] == '.' && !strcmp(u->host + hl - ml, match));
}

int store_site_applies(const char *match, const char *kind, const char *url)
{
    char err[256];
    site_url_t u;
    if (site_url_parse(url, &u, err, sizeof err) != STORE_OK)
        return 0;
    int yes = site_applies(match, kind, &u);
    site_url_free(&u);
    return yes;
}

void store_site_scope(const char *match, const char *kind, store_site_scope_t *out)
{
    memset(out, 0, sizeof *out);
    const char *h = match;
    if (!strcmp(kind, "prefix")) {
        const char *p = strstr(match, "://");
        h = p ? p + 3 : match;
        out->scheme = !strncmp(match, "https://", 8) ? "https" : "http";
        out->port = out->scheme[4] ? 443 : 80;
    }
    size_t n = strcspn(h, "/?#");
    const char *end = h + n, *colon = NULL;
    if (h[0] == '[') {
        const char *close = memchr(h, ']', n);
        if (close && close + 1 < end && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(h, ':', n);
    }
    if (colon) {
        long port = strtol(colon + 1, NULL, 10);
        if (port > 0 && port <= 65535)
            out->port = port;
        n = (size_t)(colon - h);
    }
    snprintf(out->host, sizeof out->host, "%.*s", (int)n, h);
    if (!strcmp(kind, "host")) {
        out->subdomains = 1;
        out->port = 0;
    } else if (!strcmp(kind, "hostport")) {
        out->scheme = out->port == 443 ? "https" : out->port == 80 ? "http" : NULL;
    }
}

int store_site_match(store_t *s, const char *url, store_site_rule_t **out)
{
    *out = NULL;
    char err[256];
    site_url_t u;
    sqlite3_stmt *st = NULL;
    int rc = site_url_parse(url, &u, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    if ((rc = prepare(s, "SELECT " SITE_COLS " FROM site_rules WHERE"
                         " (kind = 'prefix' AND substr(?1, 1, length(match)) = match)"
                         " OR (kind = 'host' AND (match = ?2 OR substr(?2, -length(match) - 1) = '.' || match))"
                         " OR (kind = 'hostport' AND match = ?3)"
                         " ORDER BY length(match) DESC, id", &st)))
        goto done;
    sqlite3_bind_text(st, 1, u.norm, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u.host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u.hostport, -1, SQLITE_STATIC);
    int sr;
    rc = STORE_ENOTFOUND;
    while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        const char *match = (const char *)sqlite3_column_text(st, 1);
        if (!site_applies(match, kind, &u))
            continue;
        if ((rc = read_row(st, out)))
            store_fail(s, rc, "out of memory");
        goto done;
    }
    if (sr != SQLITE_DONE)
        rc = store_fail_sqlite(s, sr, "look up site rules");
done:
    sqlite3_finalize(st);
    site_url_free(&u);
    return rc;
}
