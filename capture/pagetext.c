/* pagetext.c -- the page's text: builds the in-page script (Readability, embedded at build
 * time from npm, then capture/pagetext.js) and checks what it returned. The script runs
 * in a world of its own (shot.c makes it), on a clone of the document; this file trusts
 * nothing it returns. Knows no CDP and nothing of the store. */
#include "pagetext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

extern const char pagetext_js_text[];
extern const char readability_js_text[];

int pagetext_has_readability(void)
{
    return readability_js_text[0] != '\0';
}

char *pagetext_script(size_t max_bytes, int max_elems)
{
    /* Readability's file ends with a CommonJS export guarded by `typeof module`; in the
     * function below nothing named module exists, and nothing it declares leaks out */
    static const char head[] = "(function () {\n";
    char tail[128];
    snprintf(tail, sizeof tail, "\nreturn linksnapText(%zu, %d);\n})()", max_bytes, max_elems);
    size_t a = strlen(readability_js_text), b = strlen(pagetext_js_text);
    size_t n = sizeof head - 1 + a + 1 + b + strlen(tail) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    snprintf(s, n, "%s%s\n%s%s", head, readability_js_text, pagetext_js_text, tail);
    return s;
}

/* A copy of the string at key (or ""), valid UTF-8, at most max bytes, cut on a
 * character boundary. NULL when out of memory. */
static json_t *checked_string(json_t *obj, const char *key, size_t max)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t len = json_is_string(v) ? json_string_length(v) : 0;
    char *fixed = NULL;
    if (len && (memchr(s, '\0', len) || !util_utf8_valid(s, len))) {
        if (!(fixed = util_utf8_repair(s, len, NULL)))
            return NULL;
        s = fixed;
        len = strlen(s);
    }
    size_t n = util_utf8_prefix(s, len, max);
    json_t *out = json_stringn(s, n);
    free(fixed);
    return out;
}

json_t *pagetext_check(json_t *value, size_t max_bytes, char *err, size_t errlen)
{
    static const char *const kinds[] = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "quote",
                                        "pre", NULL};
    if (!json_is_object(value)) {
        snprintf(err, errlen, "the page's text came back as something other than an object");
        return NULL;
    }
    json_t *out = json_object();
    json_t *blocks = json_array();
    if (!out || !blocks)
        goto nomem;
    static const struct { const char *key; size_t max; } fields[] = {
        {"title", 2048}, {"byline", 2048}, {"lang", 64}, {"excerpt", 4096}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *s = checked_string(value, fields[i].key, fields[i].max);
        if (!s || json_object_set_new(out, fields[i].key, s))
            goto nomem;
    }
    json_t *text = checked_string(value, "text", max_bytes);
    if (!text || json_object_set_new(out, "text", text))
        goto nomem;
    int cut = json_is_true(json_object_get(value, "cut"));
    json_t *in = json_object_get(value, "blocks");
    size_t used = 0, i;
    json_t *b;
    json_array_foreach(in, i, b) {
        const char *kind = json_string_value(json_object_get(b, "kind"));
        int k = 0;
        while (kinds[k] && (!kind || strcmp(kinds[k], kind)))
            k++;
        if (!kinds[k])
            continue;            /* not a kind we know: dropped, never passed on */
        if (used >= max_bytes) {
            cut = 1;
            break;
        }
        json_t *t = checked_string(b, "text", max_bytes - used);
        if (!t)
            goto nomem;
        used += json_string_length(t);
        if (json_string_length(t) == 0) {
            json_decref(t);
            continue;
        }
        if (json_array_append_new(blocks, json_pack("{s:s,s:o}", "kind", kinds[k], "text", t)))
            goto nomem;
    }
    if (json_object_set(out, "blocks", blocks) ||
        json_object_set_new(out, "cut", json_boolean(cut)) ||
        json_object_set_new(out, "article",
                            json_boolean(json_is_true(json_object_get(value, "article")))))
        goto nomem;
    json_decref(blocks);
    return out;
nomem:
    json_decref(out);
    json_decref(blocks);
    snprintf(err, errlen, "out of memory keeping the page's text");
    return NULL;
}
