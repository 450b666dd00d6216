/* consent.c -- hands out the consent-banner style sheet and the generic in-page pass
 * (compiled in from consent.css and consent.js by embed_text.cmake), and wraps the sheet
 * in the script that installs it before a page runs. Knows nothing of DevTools sessions:
 * the capture decides when to send these. */
#include "consent.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

extern const char consent_css_text[];
extern const char consent_js_text[];

const char *consent_css(void)
{
    return consent_css_text;
}

const char *consent_script(void)
{
    return consent_js_text;
}

/* The installer: a <style> element in <html> (head may not exist yet), put back first
 * thing if a page's script removes or replaces the document element's children. */
static const char preload_head[] =
    "(function (css) {\n"
    "  'use strict';\n"
    "  var id = 'linksnap-consent-' + Math.random().toString(36).slice(2);\n"
    "  function put() {\n"
    "    var root = document.documentElement;\n"
    "    if (!root) return false;\n"
    "    if (!document.getElementById(id)) {\n"
    "      var s = document.createElement('style');\n"
    "      s.id = id;\n"
    "      s.textContent = css;\n"
    "      (document.head || root).appendChild(s);\n"
    "    }\n"
    "    return true;\n"
    "  }\n"
    "  if (!put()) {\n"
    "    new MutationObserver(function (recs, obs) { if (put()) obs.disconnect(); })\n"
    "      .observe(document, { childList: true });\n"
    "  }\n"
    "  document.addEventListener('DOMContentLoaded', put);\n"
    "})(";

char *consent_preload_script(int with_consent, const char *extra_css)
{
    const char *base = with_consent ? consent_css() : "";
    size_t nb = strlen(base), ne = extra_css ? strlen(extra_css) : 0;
    char *sheet = malloc(nb + ne + 2);
    if (!sheet)
        return NULL;
    memcpy(sheet, base, nb);
    sheet[nb] = '\n';
    if (ne)
        memcpy(sheet + nb + 1, extra_css, ne);
    sheet[nb + 1 + ne] = 0;
    char *out = NULL;
    json_t *s = json_string(sheet);
    free(sheet);
    if (!s)
        return NULL;   /* not UTF-8: only extra_css can be, and consent_hide_css checks it */
    char *lit = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    if (!lit)
        return NULL;
    size_t nh = strlen(preload_head), nl = strlen(lit);
    out = malloc(nh + nl + 4);
    if (out) {
        memcpy(out, preload_head, nh);
        memcpy(out + nh, lit, nl);
        memcpy(out + nh + nl, ");\n", 4);
    }
    free(lit);
    return out;
}

char *consent_hide_css(const char *const *selectors, size_t n, char *err, size_t errlen)
{
    size_t cap = 64;
    for (size_t i = 0; i < n; i++) {
        const char *s = selectors[i];
        size_t l = s ? strlen(s) : 0;
        if (l == 0 || l > 512) {
            snprintf(err, errlen, "hide selector %zu is empty or over 512 bytes", i + 1);
            return NULL;
        }
        if (strpbrk(s, "{};<") || strstr(s, "/*")) {
            snprintf(err, errlen, "hide selector \"%.64s\" has '{', '}', ';', '<' or a comment: "
                     "give plain CSS selectors", s);
            return NULL;
        }
        json_t *chk = json_string(s);
        if (!chk) {
            snprintf(err, errlen, "hide selector %zu is not UTF-8", i + 1);
            return NULL;
        }
        json_decref(chk);
        cap += l + 3;
    }
    char *out = malloc(cap);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    out[0] = 0;
    if (n == 0)
        return out;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ",\n" : "", selectors[i]);
    snprintf(out + len, cap - len, " { display: none !important; }\n");
    return out;
}

/* ---- the report ---------------------------------------------------------------------- */

typedef struct {
    json_t *out;
    size_t dropped;
    char problem[160];
} report_t;

static void drop(report_t *r, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void drop(report_t *r, size_t n, const char *fmt, ...)
{
    r->dropped += n;
    if (r->problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
}

/* A string the record may keep: at most CONSENT_REPORT_MAX_STRING bytes, no control
 * characters (jansson already refused invalid UTF-8 and NUL). */
static int good_text(json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) > CONSENT_REPORT_MAX_STRING)
        return 0;
    const unsigned char *p = (const unsigned char *)json_string_value(v);
    for (size_t i = 0; i < json_string_length(v); i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
    return util_utf8_valid((const char *)p, json_string_length(v));
}

static int good_layer(json_t *v)
{
    const char *s = json_string_value(v);
    return s && (!strcmp(s, "css") || !strcmp(s, "generic") || !strcmp(s, "scroll"));
}

static int good_name(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* {what, why} or, with cover, {what, why, cover}: those keys exactly. */
static int good_entry(json_t *v, int with_cover)
{
    if (!json_is_object(v) || json_object_size(v) != (size_t)(with_cover ? 3 : 2))
        return 0;
    if (!good_text(json_object_get(v, "what")) || !good_text(json_object_get(v, "why")))
        return 0;
    if (!with_cover)
        return 1;
    json_t *c = json_object_get(v, "cover");
    return json_is_number(c) && json_number_value(c) >= 0 && json_number_value(c) <= 1;
}

enum { LIST_LAYERS, LIST_NAMES, LIST_HIDDEN, LIST_KEPT, LIST_TEXT };

/* Copies the good entries of in[key] into the output's list of that name. */
static int copy_list(report_t *r, json_t *in, const char *key, int kind)
{
    json_t *list = json_array();
    if (!list || json_object_set_new(r->out, key, list))
        return -1;
    json_t *v = json_object_get(in, key);
    if (!v)
        return 0;
    if (!json_is_array(v)) {
        drop(r, 1, "'%s' is not a list", key);
        return 0;
    }
    size_t i, bad = 0;
    json_t *e;
    json_array_foreach(v, i, e) {
        int ok = kind == LIST_LAYERS ? good_layer(e)
                 : kind == LIST_NAMES ? good_name(e)
                 : kind == LIST_HIDDEN ? good_entry(e, 1)
                 : kind == LIST_KEPT ? good_entry(e, 0)
                 : good_text(e);
        if (!ok) {
            bad++;
            continue;
        }
        if (json_array_size(list) >= CONSENT_REPORT_MAX_ENTRIES) {
            drop(r, json_array_size(v) - i, "'%s' has over %d entries", key, CONSENT_REPORT_MAX_ENTRIES);
            break;
        }
        json_t *copy = json_deep_copy(e);
        if (!copy || json_array_append_new(list, copy))
            return -1;
    }
    if (bad)
        drop(r, bad, "'%s' has %zu entries of the wrong shape", key, bad);
    return 0;
}

json_t *consent_report_check(const char *text, size_t len)
{
    static const struct {
        const char *key;
        int kind;
    } lists[] = {
        {"layers", LIST_LAYERS}, {"managers", LIST_NAMES}, {"hidden", LIST_HIDDEN},
        {"kept", LIST_KEPT}, {"scroll", LIST_TEXT},
    };
    report_t r = {.out = json_object()};
    json_t *in = NULL;
    if (!r.out)
        return NULL;
    if (!text || len == 0)
        drop(&r, 0, "the pass returned no report");
    else if (len > CONSENT_REPORT_MAX_TEXT)
        drop(&r, 0, "the report is %zu bytes, over %d: not kept", len, CONSENT_REPORT_MAX_TEXT);
    else if (!(in = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(in))
        drop(&r, 0, "the report is not a JSON object: not kept");
    if (!json_is_object(in)) {
        json_decref(in);
        in = NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(in, k, v) {
        int known = !strcmp(k, "version") || !strcmp(k, "dropped");
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
            known |= !strcmp(k, lists[i].key);
        if (!known) {
            char shown[48];
            size_t n = util_utf8_prefix(k, strlen(k), 40);
            snprintf(shown, sizeof shown, "%.*s", (int)n, k);
            for (char *c = shown; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '?';
            drop(&r, 1, "unknown key '%s'", shown);
        }
    }
    if (in) {
        json_t *ver = json_object_get(in, "version");
        if (!json_is_integer(ver) || json_integer_value(ver) != 1)
            drop(&r, 0, "the report's version is not 1");
        /* what the script itself left out to stay in its limits */
        json_t *d = json_object_get(in, "dropped");
        if (d && (!json_is_integer(d) || json_integer_value(d) < 0))
            drop(&r, 1, "'dropped' is not a count");
        else if (d && json_integer_value(d) > 0)
            drop(&r, (size_t)(json_integer_value(d) < 1000000 ? json_integer_value(d) : 1000000),
                 "the pass left out entries over its limits");
    }
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (copy_list(&r, in, lists[i].key, lists[i].kind)) {
            json_decref(in);
            json_decref(r.out);
            return NULL;
        }
    json_decref(in);
    if (r.problem[0] && (json_object_set_new(r.out, "dropped", json_integer((json_int_t)r.dropped)) ||
                         json_object_set_new(r.out, "problem", json_string(r.problem)))) {
        json_decref(r.out);
        return NULL;
    }
    return r.out;
}
