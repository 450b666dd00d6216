/* methods_site.c -- site rules over JSON-RPC: site.set, site.list,
 * site.delete, site.import_cookies and site.match. Validates a rule's settings, stores
 * them as one JSON object (store/sites.c) and masks cookie and header values in every
 * reply and event: they are secrets, seen again only by the capture that uses them.
 * Knows nothing of DevTools; the capture reads rules with store_site_match. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats.h"
#include "config.h"
#include "consent.h"
#include "cookies.h"
#include "method.h"
#include "sites.h"
#include "util.h"
#include "json_link.h"

#define SITE_MASK "********"
#define SITE_MAX_COOKIES COOKIES_MAX_COUNT
#define SITE_MAX_HEADERS 50
#define SITE_MAX_TEXT 512

/* ---- validation -------------------------------------------------------------------- */

static int printable(const char *s, int allow_tab)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7f)
            return 0;
    return util_utf8_valid(s, strlen(s));
}

static int token(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *p))
            return 0;
    return 1;
}

static int text_param(method_call_t *call, json_t *v, const char *name)
{
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > SITE_MAX_TEXT || !printable(json_string_value(v), 0))
        return method_fail(call, RPC_INVALID_PARAMS, "param '%s' must be a non-empty string of "
                           "at most %d bytes without control characters", name, SITE_MAX_TEXT);
    return 0;
}

/* The domain a cookie is stored with: a leading '.' (subdomains too) only where the rule
 * covers subdomains. Writes into out; 0, or -1 when it does not fit. */
static int scoped_domain(const char *domain, int wants_subdomains, const store_site_scope_t *sc,
                         char *out, size_t outlen)
{
    const char *bare = domain[0] == '.' ? domain + 1 : domain;
    int n = snprintf(out, outlen, "%s%s", wants_subdomains && sc->subdomains ? "." : "", bare);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* One cookie from params into a normalised object (new reference) or NULL (call failed). */
static json_t *check_cookie(method_call_t *call, json_t *c, size_t i, const store_site_scope_t *sc)
{
    static const char *const keys[] = {"name", "value", "domain", "path", "secure",
                                       "http_only", "expires", "same_site", NULL};
    if (!json_is_object(c)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] must be an object {name, value, ...}", i);
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v) {
        int ok = 0;
        for (const char *const *p = keys; *p; p++)
            ok |= !strcmp(*p, k);
        if (!ok) {
            method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu]: unknown key '%s'", i, k);
            return NULL;
        }
    }
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *jv = json_object_get(c, "value");
    const char *value = json_string_value(jv);
    int drop = json_is_null(jv);   /* {name, domain?, path?, value: null}: remove that cookie */
    if (!name || !token(name, 256)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu]: 'name' must be a cookie name "
                    "(letters, digits and !#$%%&'*+-.^_`|~)", i);
        return NULL;
    }
    if (!drop && (!value || strlen(value) > 4096 || strpbrk(value, ";\\") || !printable(value, 0))) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'value' must be a string of "
                    "at most 4096 bytes without ';', '\\' or control characters (null removes "
                    "the cookie)", i, name);
        return NULL;
    }
    json_t *jd = json_object_get(c, "domain"), *jp = json_object_get(c, "path");
    const char *domain = jd ? json_string_value(jd) : sc->host;
    const char *path = jp ? json_string_value(jp) : "/";
    char scoped[300];
    if (!domain || !*domain || strlen(domain) > 255 || strpbrk(domain, "/ ;,") ||
        !printable(domain, 0)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'domain' must be a host name", i, name);
        return NULL;
    }
    if (!cookies_domain_within(domain, sc->host, sc->subdomains) ||
        scoped_domain(domain, domain[0] == '.', sc, scoped, sizeof scoped)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': domain '%.255s' is outside the "
                    "rule's match: a rule's cookies go to %s%s only", i, name, domain, sc->host,
                    sc->subdomains ? " and its subdomains" : "");
        return NULL;
    }
    domain = scoped;
    if (!path || path[0] != '/' || strlen(path) > 1024 || strchr(path, ';') || !printable(path, 0)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'path' must start with '/'", i, name);
        return NULL;
    }
    json_t *secure = json_object_get(c, "secure"), *http_only = json_object_get(c, "http_only");
    json_t *expires = json_object_get(c, "expires"), *same = json_object_get(c, "same_site");
    if ((secure && !json_is_boolean(secure)) || (http_only && !json_is_boolean(http_only))) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'secure' and 'http_only' are "
                    "true or false", i, name);
        return NULL;
    }
    if (expires && (!json_is_integer(expires) || json_integer_value(expires) < 0)) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'expires' is seconds since "
                    "the epoch (0 = a session cookie)", i, name);
        return NULL;
    }
    const char *ss = same ? json_string_value(same) : NULL;
    if (same && (!ss || (strcmp(ss, "Strict") && strcmp(ss, "Lax") && strcmp(ss, "None")))) {
        method_fail(call, RPC_INVALID_PARAMS, "cookies[%zu] '%s': 'same_site' is Strict, Lax "
                    "or None", i, name);
        return NULL;
    }
    /* an https rule's cookie is secure unless the caller says otherwise */
    int is_secure = secure ? json_is_true(secure) : sc->scheme && !strcmp(sc->scheme, "https");
    json_t *o = json_pack("{s:s,s:o,s:s,s:s,s:b,s:b,s:I}", "name", name, "value",
                          drop ? json_null() : json_string(value),
                          "domain", domain, "path", path, "secure", is_secure,
                          "http_only", json_is_true(http_only), "expires",
                          (json_int_t)(expires ? json_integer_value(expires) : 0));
    if (o && ss)
        json_object_set_new(o, "same_site", json_string(ss));
    if (!o)
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return o;
}

static int forbidden_header(const char *name)
{
    static const char *const no[] = {
        "host", "content-length", "transfer-encoding", "connection", "upgrade", "te",
        "trailer", "keep-alive", "cookie", "expect", NULL,
    };
    for (const char *const *p = no; *p; p++)
        if (!strcasecmp(*p, name))
            return 1;
    return !strncasecmp(name, "proxy-", 6) || !strncasecmp(name, "sec-", 4);
}

/* "endpoints": the rule pins its sites to these endpoints of the fleet, 1 to
 * CONFIG_ENDPOINTS_MAX names, each once, each one the running settings know: the names
 * dispatch copied into the call on the loop (this runs on the writer, and a reload may
 * rewrite cfg->endpoints meanwhile). */
static int check_endpoints(method_call_t *call, json_t *v)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n < 1 || n > CONFIG_ENDPOINTS_MAX)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'endpoints' must be an array of 1 to "
                           "%d endpoint names (browser.endpoint.NAME in linksnapd.conf)",
                           CONFIG_ENDPOINTS_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(v, i));
        if (!name || !config_endpoint_name_ok(name))
            return method_fail(call, RPC_INVALID_PARAMS, "param 'endpoints': item %zu is not an "
                               "endpoint's name (1 to %d letters, digits, '-' or '_')", i,
                               CONFIG_ENDPOINT_NAME_MAX - 1);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, json_string_value(json_array_get(v, j))))
                return method_fail(call, RPC_INVALID_PARAMS, "param 'endpoints': endpoint '%s' is "
                                   "named twice", name);
        int known = 0;
        for (int k = 0; k < call->nendpoint_names && !known; k++)
            known = !strcmp(name, call->endpoint_names[k]);
        if (known)
            continue;
        char list[CONFIG_ENDPOINTS_MAX * (CONFIG_ENDPOINT_NAME_MAX + 2)] = "";
        size_t len = 0;
        for (int k = 0; k < call->nendpoint_names; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "",
                                    call->endpoint_names[k]);
        return method_fail(call, RPC_INVALID_PARAMS, "param 'endpoints': linksnapd has no "
                           "endpoint '%s'; its endpoints are: %s", name, list[0] ? list : "(none)");
    }
    return 0;
}

/* Builds the stored rule object from params (new reference) or NULL (call failed). */
static json_t *build_rule(method_call_t *call, const char *match, const char *kind)
{
    json_t *p = call->params, *rule = json_object();
    if (!rule) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    store_site_scope_t sc;
    store_site_scope(match, kind, &sc);
    json_t *v;
    if ((v = json_object_get(p, "cookies")) && !json_is_null(v)) {
        if (!json_is_array(v) || json_array_size(v) > SITE_MAX_COOKIES) {
            method_fail(call, RPC_INVALID_PARAMS, "param 'cookies' must be an array of at most "
                        "%d cookies", SITE_MAX_COOKIES);
            goto fail;
        }
        json_t *arr = json_array();
        json_object_set_new(rule, "cookies", arr);
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            json_t *o = check_cookie(call, c, i, &sc);
            if (!o)
                goto fail;
            json_array_append_new(arr, o);
        }
    }
    if ((v = json_object_get(p, "headers")) && !json_is_null(v)) {
        if (!json_is_object(v) || json_object_size(v) > SITE_MAX_HEADERS) {
            method_fail(call, RPC_INVALID_PARAMS, "param 'headers' must be an object of at most "
                        "%d {name: value}", SITE_MAX_HEADERS);
            goto fail;
        }
        const char *k;
        json_t *hv;
        json_object_foreach(v, k, hv) {
            if (!token(k, 128) || forbidden_header(k)) {
                method_fail(call, RPC_INVALID_PARAMS, "headers: '%.64s' is not a header a rule "
                            "may set (a token name; not Host, Cookie, Connection, Proxy-*, "
                            "Sec-* and the like)", k);
                goto fail;
            }
            const char *s = json_string_value(hv);
            if (json_is_null(hv))   /* {name: null}: remove that header */
                continue;
            if (!s || strlen(s) > 4096 || !printable(s, 1)) {
                method_fail(call, RPC_INVALID_PARAMS, "headers: the value of '%.64s' must be a "
                            "string of at most 4096 bytes without line breaks or control "
                            "characters (null removes it)", k);
                goto fail;
            }
        }
        json_object_set(rule, "headers", v);
    }
    static const char *const texts[] = {"user_agent", "wait_for"};
    for (size_t t = 0; t < 2; t++) {
        if ((v = json_object_get(p, texts[t])) && !json_is_null(v)) {
            if (text_param(call, v, texts[t]))
                goto fail;
            json_object_set(rule, texts[t], v);
        }
    }
    if ((v = json_object_get(p, "formats")) && !json_is_null(v)) {
        int mask;
        char ferr[200];
        if (formats_parse_json(v, &mask, ferr, sizeof ferr)) {
            method_fail(call, RPC_INVALID_PARAMS, "param 'formats': %s", ferr);
            goto fail;
        }
        json_object_set(rule, "formats", v);
    }
    if ((v = json_object_get(p, "viewport")) && !json_is_null(v)) {
        json_t *w = json_object_get(v, "width"), *h = json_object_get(v, "height");
        if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_integer(w) ||
            !json_is_integer(h) || json_integer_value(w) < 320 || json_integer_value(w) > 3840 ||
            json_integer_value(h) < 240 || json_integer_value(h) > 2160) {
            method_fail(call, RPC_INVALID_PARAMS, "param 'viewport' must be {width: 320..3840, "
                        "height: 240..2160} in CSS px");
            goto fail;
        }
        json_object_set(rule, "viewport", v);
    }
    /* hide: out of the shot; ignore: in the shot, out of the comparison with the capture
     * before (daemon/snapdiff.c). The same plain selectors, checked alike. */
    static const char *const lists[] = {"hide", "ignore"};
    for (size_t l = 0; l < 2; l++) {
        if (!(v = json_object_get(p, lists[l])) || json_is_null(v))
            continue;
        const char **sel = NULL;
        size_t n = 0;
        if (param_strv(call, lists[l], 0, &sel, &n))
            goto fail;
        char err[256];
        char *css = n <= 100 ? consent_hide_css(sel, n, err, sizeof err) : NULL;
        free(sel);
        if (!css) {
            /* consent_hide_css names its selectors "hide selector" */
            const char *why = n > 100 ? "at most 100 selectors"
                              : strncmp(err, "hide ", 5) == 0 ? err + 5 : err;
            method_fail(call, RPC_INVALID_PARAMS, "param '%s': %s", lists[l], why);
            goto fail;
        }
        free(css);
        json_object_set_new(rule, lists[l], json_is_string(v) ? json_pack("[O]", v) : json_copy(v));
    }
    if ((v = json_object_get(p, "delay_ms")) && !json_is_null(v)) {
        int64_t ms;
        if (param_int(call, "delay_ms", 1, 0, 60000, &ms))
            goto fail;
        json_object_set_new(rule, "delay_ms", json_integer(ms));
    }
    static const char *const bools[] = {"scroll", "hide_consent"};
    for (size_t b = 0; b < 2; b++) {
        if ((v = json_object_get(p, bools[b])) && !json_is_null(v)) {
            int on;
            if (param_bool(call, bools[b], 1, &on))
                goto fail;
            json_object_set_new(rule, bools[b], json_boolean(on));
        }
    }
    if ((v = json_object_get(p, "endpoints")) && !json_is_null(v)) {
        if (check_endpoints(call, v))
            goto fail;
        json_t *copy = json_copy(v);
        if (!copy || json_object_set_new(rule, "endpoints", copy)) {
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto fail;
        }
    }
    return rule;
fail:
    json_decref(rule);
    return NULL;
}

/* ---- merging an edit into a rule ----------------------------------------------------- */

/* The settings of a rule, in the order site.set lists them. */
static const char *const site_fields[] = {"cookies", "headers", "user_agent", "viewport",
                                          "wait_for", "hide", "ignore", "delay_ms", "scroll",
                                          "hide_consent", "formats", "endpoints", NULL};

/* Puts cookie c (a checked cookie; borrowed) into cookies in place of the one with the
 * same name, domain and path; a c whose value is null only removes that one. */
static void merge_cookie(json_t *cookies, json_t *c)
{
    const char *n = json_string_value(json_object_get(c, "name"));
    const char *d = json_string_value(json_object_get(c, "domain"));
    const char *p = json_string_value(json_object_get(c, "path"));
    size_t j;
    json_t *old;
    json_array_foreach(cookies, j, old) {
        const char *on = json_string_value(json_object_get(old, "name"));
        const char *od = json_string_value(json_object_get(old, "domain"));
        const char *op = json_string_value(json_object_get(old, "path"));
        if (on && od && op && !strcmp(on, n) && !strcmp(od, d) && !strcmp(op, p)) {
            json_array_remove(cookies, j);
            break;
        }
    }
    if (!json_is_null(json_object_get(c, "value")))
        json_array_append(cookies, c);
}

/* Applies an edit to rule (changed in place): of the settings named in params, a null one
 * is cleared, cookies merge by (name, domain, path) and headers by name (case-blind; a null
 * value removes one), every other setting (hide lists too) takes the value given, checked
 * in `given` by build_rule. Settings not named stay. 0, or -1 with the call failed. */
static int merge_rule(method_call_t *call, json_t *rule, json_t *given)
{
    for (const char *const *f = site_fields; *f; f++) {
        json_t *pv = json_object_get(call->params, *f), *gv = json_object_get(given, *f);
        if (!pv)
            continue;
        if (json_is_null(pv) || !gv) {
            json_object_del(rule, *f);
            continue;
        }
        if (!strcmp(*f, "cookies")) {
            json_t *cookies = json_object_get(rule, "cookies"), *c;
            if (!json_is_array(cookies)) {
                cookies = json_array();
                if (!cookies || json_object_set_new(rule, "cookies", cookies))
                    return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            }
            size_t i;
            json_array_foreach(gv, i, c)
                merge_cookie(cookies, c);
            if (json_array_size(cookies) > SITE_MAX_COOKIES)
                return method_fail(call, RPC_INVALID_PARAMS, "param 'cookies': the rule would "
                                   "hold over %d cookies", SITE_MAX_COOKIES);
            if (!json_array_size(cookies))
                json_object_del(rule, "cookies");
        } else if (!strcmp(*f, "headers")) {
            json_t *headers = json_object_get(rule, "headers"), *hv, *ov;
            if (!json_is_object(headers)) {
                headers = json_object();
                if (!headers || json_object_set_new(rule, "headers", headers))
                    return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            }
            const char *k, *ok;
            void *tmp;
            json_object_foreach(gv, k, hv) {
                json_object_foreach_safe(headers, tmp, ok, ov)
                    if (!strcasecmp(ok, k))
                        json_object_del(headers, ok);
                if (!json_is_null(hv) && json_object_set(headers, k, hv))
                    return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            }
            if (json_object_size(headers) > SITE_MAX_HEADERS)
                return method_fail(call, RPC_INVALID_PARAMS, "param 'headers': the rule would "
                                   "hold over %d headers", SITE_MAX_HEADERS);
            if (!json_object_size(headers))
                json_object_del(rule, "headers");
        } else if (json_object_set(rule, *f, gv)) {
            return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        }
    }
    return 0;
}

/* ---- replies ----------------------------------------------------------------------- */

/* The rule as a reply object, with cookie and header values masked. */
static json_t *json_site_rule(const store_site_rule_t *r)
{
    json_t *rule = json_loads(r->rule, 0, NULL);
    if (!json_is_object(rule)) {
        json_decref(rule);
        rule = json_object();
    }
    json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)r->id, "match", r->match,
                          "kind", r->kind, "created_at", wire_time(r->created_at),
                          "updated_at", wire_time(r->updated_at));
    if (!o) {
        json_decref(rule);
        return NULL;
    }
    json_object_update(o, rule);
    json_decref(rule);
    json_t *cookies = json_object_get(o, "cookies"), *c;
    size_t i;
    json_array_foreach(cookies, i, c)
        json_object_set_new(c, "value", json_string(SITE_MASK));
    json_t *headers = json_object_get(o, "headers");
    const char *k;
    json_t *hv;
    void *tmp;
    json_object_foreach_safe(headers, tmp, k, hv)
        json_object_set_new(headers, k, json_string(SITE_MASK));
    return o;
}

/* What an event may say about a rule: its match and the names, never the values. */
static json_t *event_fields(const store_site_rule_t *r)
{
    json_t *rule = json_loads(r->rule, 0, NULL);
    json_t *names = json_array(), *headers = json_array();
    json_t *cookies = json_object_get(rule, "cookies"), *c;
    size_t i;
    json_array_foreach(cookies, i, c)
        json_array_append(names, json_object_get(c, "name"));
    const char *k;
    json_t *hv;
    json_object_foreach(json_object_get(rule, "headers"), k, hv)
        json_array_append_new(headers, json_string(k));
    json_decref(rule);
    return json_pack("{s:s,s:s,s:o,s:o}", "match", r->match, "kind", r->kind, "cookies", names,
                     "headers", headers);
}

/* ---- methods ----------------------------------------------------------------------- */

/* An existing rule is edited: the settings given change, the others stay (merge_rule);
 * replace: true makes the settings given the whole rule. */
static int m_site_set(method_call_t *call)
{
    static const char *const known[] = {"match", "replace", "cookies", "headers", "user_agent",
                                        "viewport", "wait_for", "hide", "ignore", "delay_ms",
                                        "scroll", "hide_consent", "formats", "endpoints", NULL};
    const char *match;
    int replace = 0;
    if (param_reject_unknown(call, known) || param_string(call, "match", 1, &match) ||
        param_bool(call, "replace", 0, &replace))
        return -1;
    char *norm = NULL, kind[12], err[256], *text = NULL;
    int rc = store_site_normalize_match(match, &norm, kind, err, sizeof err);
    if (rc)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'match': %s", err);
    json_t *given = build_rule(call, norm, kind), *rule = NULL;
    store_site_rule_t *old = NULL, *r = NULL;
    int created = 0, ret = -1;
    if (!given)
        goto out;
    if (!replace && (rc = store_site_get(call->db, norm, &old)) && rc != STORE_ENOTFOUND) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    rule = old ? json_loads(old->rule, 0, NULL) : NULL;
    if (!json_is_object(rule)) {
        json_decref(rule);
        rule = json_object();
    }
    if (!rule) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    if (merge_rule(call, rule, given))
        goto out;
    if (!(text = json_dumps(rule, JSON_COMPACT))) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    if ((rc = store_site_set(call->db, norm, text, call->now_ms, &r, &created))) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    call->result = json_pack("{s:o,s:b,s:b}", "rule", json_site_rule(r), "created", created,
                             "replaced", !created && replace);
    if (!call->result) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    json_t *ev = event_fields(r);
    if (ev)
        json_object_set_new(ev, "created", json_boolean(created));
    ret = method_emit(call, "site.set", ev);
out:
    json_decref(given);
    json_decref(rule);
    free(text);
    free(norm);
    store_site_rule_free(old);
    store_site_rule_free(r);
    return ret;
}

static int m_site_list(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    store_site_rule_t **v = NULL;
    size_t n = 0;
    int rc = store_site_list(call->db, &v, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_site_rule(v[i]));
    store_site_rule_list_free(v, n);
    /* the daemon-wide defaults a rule overrides */
    call->result = json_pack("{s:o,s:{s:b,s:i}}", "rules", arr ? arr : json_array(), "defaults",
                             "hide_consent", call->cfg->hide_consent, "blocked_retries",
                             call->cfg->blocked_retries);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_site_delete(method_call_t *call)
{
    static const char *const known[] = {"match", NULL};
    const char *match;
    if (param_reject_unknown(call, known) || param_string(call, "match", 1, &match))
        return -1;
    store_site_rule_t *r = NULL;
    int rc = store_site_delete(call->db, match, &r);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o}", "rule", json_site_rule(r));
    json_t *ev = json_pack("{s:s,s:s}", "match", r->match, "kind", r->kind);
    store_site_rule_free(r);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return method_emit(call, "site.deleted", ev);
}

static int m_site_match(method_call_t *call)
{
    static const char *const known[] = {"url", NULL};
    const char *url;
    if (param_reject_unknown(call, known) || param_string(call, "url", 1, &url))
        return -1;
    store_site_rule_t *r = NULL;
    int rc = store_site_match(call->db, url, &r);
    if (rc == STORE_ENOTFOUND) {
        call->result = json_pack("{s:n}", "rule");
        return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    }
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o}", "rule", json_site_rule(r));
    store_site_rule_free(r);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

#define SITE_MAX_SKIPPED_DOMAINS 20

/* Adds domain (bare, lower case) to the skipped list unless it is there or the list is
 * full. */
static void note_skipped(json_t *domains, const char *domain)
{
    char bare[300];
    snprintf(bare, sizeof bare, "%s", domain[0] == '.' ? domain + 1 : domain);
    for (char *c = bare; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    size_t i;
    json_t *d;
    json_array_foreach(domains, i, d)
        if (!strcmp(json_string_value(d), bare))
            return;
    if (json_array_size(domains) < SITE_MAX_SKIPPED_DOMAINS)
        json_array_append_new(domains, json_string(bare));
}

/* Imported cookies replace those of the rule with the same name, domain and path; the
 * rule's other settings stay. A match with no rule gets one holding only the cookies.
 * Only cookies for the rule's host (and, for a host rule, its subdomains) are kept: a
 * cookies.txt exported from a browser holds every site's, and a rule's cookies must not
 * reach another host. The others are skipped and reported, each with its line. */
static int m_site_import_cookies(method_call_t *call)
{
    static const char *const known[] = {"match", "text", NULL};
    const char *match, *text;
    if (param_reject_unknown(call, known) || param_string(call, "match", 1, &match) ||
        param_string(call, "text", 1, &text))
        return -1;
    json_t *jt = json_object_get(call->params, "text");
    cookies_list_t l;
    int prc = cookies_parse_netscape(text, json_string_length(jt), call->now_ms / 1000, &l);
    if (prc == COOKIES_ETOOBIG)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'text': a cookies.txt over %d bytes",
                           COOKIES_MAX_TEXT);
    if (prc) {
        cookies_list_free(&l);
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    }
    int ret = -1;
    char *norm = NULL, kind[12], err[256], *dump = NULL;
    json_t *rule = NULL, *errors = json_array(), *skipped = json_array();
    store_site_rule_t *old = NULL, *r = NULL;
    size_t nskipped = 0, kept = 0, nerrors_listed = 0;
    if (!errors || !skipped) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    int rc = store_site_normalize_match(match, &norm, kind, err, sizeof err);
    if (rc) {
        method_fail(call, RPC_INVALID_PARAMS, "param 'match': %s", err);
        goto out;
    }
    if (l.n == 0) {
        method_fail(call, RPC_INVALID_PARAMS, "param 'text' holds no usable cookie (%zu bad "
                    "lines); expected Netscape cookies.txt lines of 7 TAB-separated fields",
                    l.error_count);
        goto out;
    }
    store_site_scope_t sc;
    store_site_scope(norm, kind, &sc);
    /* the parser's errors and the skipped cookies, in line order, at most
     * COOKIES_MAX_ERRORS listed (all counted) */
    size_t pe = 0;
    for (size_t i = 0; i <= l.n; i++) {
        size_t line = i < l.n ? l.v[i].line : (size_t)-1;
        for (; pe < l.nerrors && l.errors[pe].line < line; pe++, nerrors_listed++)
            if (nerrors_listed < COOKIES_MAX_ERRORS)
                json_array_append_new(errors, json_pack("{s:I,s:s}", "line",
                                      (json_int_t)l.errors[pe].line, "reason", l.errors[pe].reason));
        if (i == l.n)
            break;
        const cookies_entry_t *e = &l.v[i];
        if (cookies_domain_within(e->domain, sc.host, sc.subdomains))
            continue;
        nskipped++;
        note_skipped(skipped, e->domain);
        if (nerrors_listed++ < COOKIES_MAX_ERRORS) {
            char why[200];
            snprintf(why, sizeof why, "cookie '%.40s' is for %.60s, outside the rule's host %.60s%s: "
                     "skipped", e->name, e->domain, sc.host, sc.subdomains ? " and its subdomains" : "");
            json_array_append_new(errors, json_pack("{s:I,s:s}", "line", (json_int_t)e->line,
                                                    "reason", why));
        }
    }
    kept = l.n - nskipped;
    if (kept == 0) {
        char list[400] = "";
        size_t i;
        json_t *d;
        json_array_foreach(skipped, i, d) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", json_string_value(d));
        }
        method_fail(call, RPC_INVALID_PARAMS, "param 'text' holds no cookie for %s%s: %zu cookies "
                    "for other domains skipped (%s)", sc.host, sc.subdomains ? " or its subdomains" : "",
                    nskipped, list);
        goto out;
    }
    if ((rc = store_site_get(call->db, norm, &old)) && rc != STORE_ENOTFOUND) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    rule = old ? json_loads(old->rule, 0, NULL) : json_object();
    if (!json_is_object(rule)) {
        json_decref(rule);
        rule = json_object();
    }
    json_t *cookies = json_object_get(rule, "cookies");
    if (!json_is_array(cookies)) {
        cookies = json_array();
        json_object_set_new(rule, "cookies", cookies);
    }
    for (size_t i = 0; i < l.n; i++) {
        const cookies_entry_t *e = &l.v[i];
        char domain[300];
        if (!cookies_domain_within(e->domain, sc.host, sc.subdomains) ||
            scoped_domain(e->domain, e->include_subdomains || e->domain[0] == '.', &sc, domain,
                          sizeof domain))
            continue;
        json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:I}", "name", e->name, "value",
                              e->value, "domain", domain, "path", e->path, "secure", e->secure,
                              "http_only", e->http_only, "expires", (json_int_t)e->expires);
        if (!c) {
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto out;
        }
        merge_cookie(cookies, c);
        json_decref(c);
    }
    if (json_array_size(cookies) > SITE_MAX_COOKIES) {
        method_fail(call, RPC_INVALID_PARAMS, "the rule would hold over %d cookies", SITE_MAX_COOKIES);
        goto out;
    }
    if (!(dump = json_dumps(rule, JSON_COMPACT))) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    int created;
    if ((rc = store_site_set(call->db, norm, dump, call->now_ms, &r, &created))) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    call->result = json_pack("{s:o,s:b,s:I,s:O,s:I,s:{s:I,s:O}}", "rule", json_site_rule(r),
                             "created", created, "imported", (json_int_t)kept, "errors", errors,
                             "error_count", (json_int_t)(l.error_count + nskipped), "skipped",
                             "count", (json_int_t)nskipped, "domains", skipped);
    if (!call->result) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    json_t *ev = event_fields(r);
    if (ev)
        json_object_set_new(ev, "created", json_boolean(created));
    ret = method_emit(call, "site.set", ev);
out:
    cookies_list_free(&l);
    json_decref(rule);
    json_decref(errors);
    json_decref(skipped);
    free(dump);
    free(norm);
    store_site_rule_free(old);
    store_site_rule_free(r);
    return ret;
}

const method_def_t methods_site[] = {
    {.name = "site.set", .fn = m_site_set, .kind = METHOD_WRITE, .endpoint_names = 1},
    {.name = "site.list", .fn = m_site_list, .kind = METHOD_READ},
    {.name = "site.delete", .fn = m_site_delete, .kind = METHOD_WRITE},
    {.name = "site.match", .fn = m_site_match, .kind = METHOD_READ},
    {.name = "site.import_cookies", .fn = m_site_import_cookies, .kind = METHOD_WRITE},
    {.name = NULL},
};
