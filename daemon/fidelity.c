/* fidelity.c -- a site rule and the consent settings made into one capture's options, the
 * bot-wall verdict on its result, and the snapshot's record of both (see fidelity.h).
 * The rule's settings were checked when it was stored (methods_site.c); here they are
 * read again defensively, since the database is a file a user can edit. Cookie and header
 * values pass through to the browser only: the record names the rule, never its values. */
#include "fidelity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "cookies.h"

/* Our stored cookie {name, value, domain, path, secure, http_only, expires, same_site} as
 * a DevTools CookieParam, scoped to the rule (sc), or NULL for one outside it (the store
 * refuses those; a hand-edited database may still hold one). The cookie is set with the
 * rule's port (sourcePort: the browser runs with port-bound cookies, browser.c) and
 * scheme (sourceScheme). A host-only cookie is bound to its port; a domain cookie (a
 * leading '.') is not, so only a host rule, which covers every port and subdomain, sets
 * one. */
static json_t *cdp_cookie(json_t *c, const store_site_scope_t *sc)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *value = json_string_value(json_object_get(c, "value"));
    const char *domain = json_string_value(json_object_get(c, "domain"));
    const char *path = json_string_value(json_object_get(c, "path"));
    if (!name || !value || !domain || !cookies_domain_within(domain, sc->host, sc->subdomains))
        return NULL;
    char scoped[300];
    const char *bare = domain[0] == '.' ? domain + 1 : domain;
    snprintf(scoped, sizeof scoped, "%s%s", domain[0] == '.' && sc->subdomains ? "." : "", bare);
    int secure = json_is_true(json_object_get(c, "secure"));
    /* Secure for an https rule and for a secure cookie (the browser refuses a secure
     * cookie from a non-secure source); NonSecure for an http rule; Unset where the rule
     * does not say (a host rule, or host:port on another port than 80 and 443) */
    const char *scheme = secure || (sc->scheme && !strcmp(sc->scheme, "https")) ? "Secure"
                         : sc->scheme ? "NonSecure" : "Unset";
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:i}", "name", name, "value", value,
                          "domain", scoped, "path", path ? path : "/", "secure", secure,
                          "httpOnly", json_is_true(json_object_get(c, "http_only")),
                          "sourceScheme", scheme,
                          /* -1: no port (a host rule's cookie goes to every port) */
                          "sourcePort", sc->port > 0 ? (int)sc->port : -1);
    json_int_t expires = json_integer_value(json_object_get(c, "expires"));
    if (o && expires > 0)
        json_object_set_new(o, "expires", json_real((double)expires));
    const char *ss = json_string_value(json_object_get(c, "same_site"));
    if (o && ss)
        json_object_set_new(o, "sameSite", json_string(ss));
    return o;
}

/* A Fetch urlPattern matches with '*' and '?' as wildcards and '\' as escape. */
static char *pattern_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 2);
    if (!out)
        return NULL;
    char *o = out;
    for (; *s; s++) {
        if (*s == '*' || *s == '?' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* Appends pre + mid + post as one pattern. */
static int add_pattern(json_t *arr, const char *pre, const char *mid, const char *post)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s%s%s", pre, mid, post);
    return json_array_append_new(arr, json_string(buf));
}

/* Patterns that cover every URL the rule applies to (and possibly more: the capture asks
 * fidelity's exact match for each paused request). */
static json_t *header_patterns(const char *match, const char *kind)
{
    json_t *arr = json_array();
    char *esc = arr ? pattern_escape(match) : NULL;
    if (!esc) {
        json_decref(arr);
        return NULL;
    }
    int rc = 0;
    if (!strcmp(kind, "prefix")) {
        rc |= add_pattern(arr, "", esc, "*");
    } else if (!strcmp(kind, "hostport")) {
        /* "example.com:443" also covers https://example.com/ (the port left out) */
        char host[2100];
        snprintf(host, sizeof host, "%s", esc);
        char *colon = strrchr(host, ':');
        if (colon)
            *colon = '\0';
        rc |= add_pattern(arr, "*://", esc, "/*");
        rc |= add_pattern(arr, "*://", host, "/*");
    } else {
        rc |= add_pattern(arr, "*://", esc, "/*");
        rc |= add_pattern(arr, "*://", esc, ":*");
        rc |= add_pattern(arr, "*://*.", esc, "/*");
        rc |= add_pattern(arr, "*://*.", esc, ":*");
    }
    free(esc);
    if (rc) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static int header_match_cb(const char *url, void *ud)
{
    const fidelity_t *f = ud;
    return f->match && store_site_applies(f->match, f->kind, url);
}

int fidelity_prepare(fidelity_t *f, const store_site_rule_t *rule, const config_t *cfg,
                     char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->hide_consent = cfg->hide_consent;
    f->viewport_w = cfg->viewport_w;
    f->viewport_h = cfg->viewport_h;
    char *hide_css = NULL;
    if (rule) {
        f->match = strdup(rule->match);
        f->kind = strdup(rule->kind);
        f->rule = json_loads(rule->rule, 0, NULL);
        if (!f->match || !f->kind) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (!json_is_object(f->rule)) {
            snprintf(err, errlen, "the site rule for %s does not read as a JSON object; set it "
                     "again with linksnap site set", rule->match);
            goto fail;
        }
        json_t *v;
        if (json_is_boolean(v = json_object_get(f->rule, "hide_consent")))
            f->hide_consent = json_is_true(v);
        if (json_is_object(v = json_object_get(f->rule, "viewport"))) {
            json_int_t w = json_integer_value(json_object_get(v, "width"));
            json_int_t h = json_integer_value(json_object_get(v, "height"));
            if (w >= 320 && w <= 3840 && h >= 240 && h <= 2160) {
                f->viewport_w = (int)w;
                f->viewport_h = (int)h;
            }
        }
        f->site.user_agent = json_string_value(json_object_get(f->rule, "user_agent"));
        f->site.wait_for = json_string_value(json_object_get(f->rule, "wait_for"));
        json_int_t delay = json_integer_value(json_object_get(f->rule, "delay_ms"));
        f->site.delay_ms = delay > 0 && delay <= 60000 ? (int)delay : 0;
        f->site.no_scroll = json_is_false(json_object_get(f->rule, "scroll"));
        if (json_array_size(json_object_get(f->rule, "ignore")))
            f->site.ignore = json_object_get(f->rule, "ignore");
        json_t *cookies = json_object_get(f->rule, "cookies");
        if (json_array_size(cookies)) {
            if (!(f->cookies = json_array())) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            store_site_scope_t sc;
            store_site_scope(f->match, f->kind, &sc);
            size_t i;
            json_t *c;
            json_array_foreach(cookies, i, c) {
                json_t *o = cdp_cookie(c, &sc);
                if (o)
                    json_array_append_new(f->cookies, o);
            }
            f->site.cookies = f->cookies;
        }
        json_t *headers = json_object_get(f->rule, "headers");
        if (json_is_object(headers) && json_object_size(headers)) {
            if (!(f->patterns = header_patterns(f->match, f->kind))) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            f->site.headers = headers;
            f->site.header_patterns = f->patterns;
            f->site.header_match = header_match_cb;
            f->site.header_match_ud = f;
        }
        json_t *hide = json_object_get(f->rule, "hide");
        if (json_array_size(hide)) {
            size_t n = json_array_size(hide);
            const char **sel = calloc(n, sizeof *sel);
            if (!sel) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            size_t k = 0;
            for (size_t i = 0; i < n; i++)
                if (json_is_string(json_array_get(hide, i)))
                    sel[k++] = json_string_value(json_array_get(hide, i));
            char why[256];
            hide_css = consent_hide_css(sel, k, why, sizeof why);
            free(sel);
            if (!hide_css) {
                snprintf(err, errlen, "the site rule for %s: hide: %s", f->match, why);
                goto fail;
            }
        }
    }
    if (f->hide_consent || (hide_css && *hide_css)) {
        f->preload = consent_preload_script(f->hide_consent, hide_css && *hide_css ? hide_css : NULL);
        if (!f->preload) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        f->site.preload = f->preload;
    }
    f->site.consent_pass = f->hide_consent;
    free(hide_css);
    return 0;
fail:
    free(hide_css);
    fidelity_clear(f);
    return -1;
}

void fidelity_clear(fidelity_t *f)
{
    free(f->match);
    free(f->kind);
    json_decref(f->rule);
    free(f->preload);
    json_decref(f->cookies);
    json_decref(f->patterns);
    memset(f, 0, sizeof *f);
}

int fidelity_rule_endpoints(const char *rule_json, char names[][CONFIG_ENDPOINT_NAME_MAX], int max)
{
    if (!rule_json)
        return 0;
    json_t *rule = json_loads(rule_json, 0, NULL);
    int n = fidelity_rule_endpoints_json(rule, names, max);
    json_decref(rule);
    return n;
}

int fidelity_rule_endpoints_json(const json_t *rule, char names[][CONFIG_ENDPOINT_NAME_MAX],
                                 int max)
{
    if (!json_is_object(rule))
        return -1;
    json_t *arr = json_object_get(rule, "endpoints"), *v;
    size_t i;
    int n = 0;
    json_array_foreach(arr, i, v) {
        const char *name = json_string_value(v);
        if (n == max)
            break;
        if (!name || !config_endpoint_name_ok(name))
            continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = !strcmp(names[k], name);
        if (!seen)
            snprintf(names[n++], CONFIG_ENDPOINT_NAME_MAX, "%s", name);
    }
    return n;
}

botwall_kind_t fidelity_classify(const shot_result_t *r, botwall_result_t *out)
{
    botwall_header_t hv[64];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(r->headers, k, v) {
        if (n == sizeof hv / sizeof hv[0])
            break;
        if (json_is_string(v))
            hv[n++] = (botwall_header_t){k, json_string_value(v)};
    }
    botwall_input_t in = {.status = r->http_status, .headers = hv, .nheaders = n,
                          .title = r->title, .markup = r->markup,
                          .markup_len = r->markup ? strlen(r->markup) : 0};
    if (in.markup_len > BOTWALL_SAMPLE_MAX)
        in.markup_len = BOTWALL_SAMPLE_MAX;
    return botwall_classify(&in, out);
}

json_t *fidelity_record(const fidelity_t *f, const shot_result_t *r, const botwall_result_t *wall)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "rule", f->match ? json_string(f->match) : json_null());
    json_t *consent = json_null();
    if (f->hide_consent && r->consent) {
        consent = json_object();
        static const char *const keys[] = {"layers", "managers", "hidden", "kept", "scroll"};
        for (size_t i = 0; consent && i < sizeof keys / sizeof keys[0]; i++) {
            json_t *v = json_object_get(r->consent, keys[i]);
            json_object_set_new(consent, keys[i], json_is_array(v) ? json_incref(v) : json_array());
        }
        /* what consent_report_check left out of the page's report, and why */
        json_t *dropped = json_object_get(r->consent, "dropped");
        json_t *problem = json_object_get(r->consent, "problem");
        if (consent && json_is_integer(dropped) && json_is_string(problem)) {
            json_object_set(consent, "dropped", dropped);
            json_object_set(consent, "problem", problem);
        }
    }
    json_object_set_new(o, "consent", consent ? consent : json_null());
    json_t *hide = f->rule ? json_object_get(f->rule, "hide") : NULL;
    json_object_set_new(o, "hidden_by_rule", json_is_array(hide) ? json_incref(hide) : json_array());
    /* the rule's ignored elements as measured: boxes (shot px) and texts, which the
     * comparison with the capture before leaves out (daemon/snapdiff.c) */
    if (f->site.ignore && r->ignored) {
        json_t *ig = json_deep_copy(r->ignored);
        if (ig && !json_object_set(ig, "selectors", (json_t *)f->site.ignore))
            json_object_set_new(o, "ignored", ig);
        else
            json_decref(ig);
    }
    json_object_set_new(o, "wall", wall && wall->kind != BOTWALL_NONE ? json_string(wall->name) : json_null());
    json_object_set_new(o, "revealed", json_boolean(r->revealed));
    json_object_set_new(o, "wait_for", r->waited_for > 0 ? json_string("found")
                                       : r->waited_for < 0 ? json_string("cut") : json_null());
    return o;
}
