/* consent.c -- hands out the consent-banner style sheet and the generic in-page pass
 * (compiled in from consent.css and consent.js by embed_text.cmake), and wraps the sheet
 * in the script that installs it before a page runs. Knows nothing of DevTools sessions:
 * the capture decides when to send these. */
#include "consent.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
