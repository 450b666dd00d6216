/* ignore.c -- a site rule's ignored elements at capture time (see ignore.h): the in-page
 * script that measures them, and the check that turns what came back into boxes of the
 * screenshot's pixels and texts. Trusts nothing the page's world returns. Knows no CDP,
 * nothing of the store. */
#include "ignore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

char *ignore_script(const json_t *selectors)
{
    /* the selectors go in as a JSON literal: strings only, no way out of the literal */
    char *sels = json_dumps(selectors, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!sels)
        return NULL;
    static const char body[] =
        "(function (sels, max, maxText) {\n"
        "  \"use strict\";\n"
        "  var out = [], sx = window.scrollX || 0, sy = window.scrollY || 0;\n"
        "  for (var i = 0; i < sels.length && out.length < max; i++) {\n"
        "    var list;\n"
        "    try { list = document.querySelectorAll(sels[i]); } catch (e) { continue; }\n"
        "    for (var j = 0; j < list.length && out.length < max; j++) {\n"
        "      var el = list[j], r = el.getBoundingClientRect();\n"
        "      var t = el.innerText || el.textContent || \"\";\n"
        "      out.push({x: r.left + sx, y: r.top + sy, w: r.width, h: r.height,\n"
        "                text: String(t).slice(0, maxText)});\n"
        "    }\n"
        "  }\n"
        "  return out;\n"
        "})(";
    size_t n = sizeof body + strlen(sels) + 32;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s, %d, %d)", body, sels, IGNORE_MAX_BOXES, IGNORE_MAX_TEXT);
    free(sels);
    return s;
}

/* A CSS px coordinate as one of the shot: css * scale, rounded down (up when `up`), within
 * 0 .. 10^7 px. */
static json_int_t shot_px(double css, double scale, int up)
{
    double d = css * scale;
    d = up ? ceil(d) : floor(d);
    return d < 0 ? 0 : d > 1e7 ? 10000000 : (json_int_t)d;
}

json_t *ignore_check(const json_t *value, double scale, char *err, size_t errlen)
{
    if (!json_is_array(value)) {
        snprintf(err, errlen, "the ignored elements came back as something other than a list");
        return NULL;
    }
    if (!(scale > 0))
        scale = 1;
    json_t *boxes = json_array(), *texts = json_array();
    /* json_pack takes boxes and texts, made or not */
    json_t *out = json_pack("{s:o,s:o}", "boxes", boxes, "texts", texts);
    if (!out)
        goto nomem;
    size_t i, text_bytes = 0;
    json_t *e;
    json_array_foreach(value, i, e) {
        if (i >= IGNORE_MAX_BOXES)
            break;
        json_t *x = json_object_get(e, "x"), *y = json_object_get(e, "y");
        json_t *w = json_object_get(e, "w"), *h = json_object_get(e, "h");
        if (json_is_number(x) && json_is_number(y) && json_is_number(w) && json_is_number(h)) {
            double cx = json_number_value(x), cy = json_number_value(y);
            json_int_t x0 = shot_px(cx, scale, 0), y0 = shot_px(cy, scale, 0);
            json_int_t x1 = shot_px(cx + json_number_value(w), scale, 1);
            json_int_t y1 = shot_px(cy + json_number_value(h), scale, 1);
            if (x1 > x0 && y1 > y0 &&
                json_array_append_new(boxes, json_pack("[I,I,I,I]", x0, y0, x1 - x0, y1 - y0)))
                goto nomem;
        }
        json_t *t = json_object_get(e, "text");
        size_t len = json_is_string(t) ? json_string_length(t) : 0;
        if (!len)
            continue;
        const char *s = json_string_value(t);
        char *fixed = NULL;
        if (memchr(s, '\0', len) || !util_utf8_valid(s, len)) {
            if (!(fixed = util_utf8_repair(s, len, NULL)))
                goto nomem;
            s = fixed;
            len = strlen(s);
        }
        len = util_utf8_prefix(s, len, 4 * IGNORE_MAX_TEXT);
        if (text_bytes + len > IGNORE_MAX_TEXTS_BYTES) {
            free(fixed);
            continue;
        }
        text_bytes += len;
        json_t *js = json_stringn(s, len);
        free(fixed);
        if (!js || json_array_append_new(texts, js))
            goto nomem;
    }
    return out;
nomem:
    json_decref(out);
    snprintf(err, errlen, "out of memory keeping the ignored elements");
    return NULL;
}
