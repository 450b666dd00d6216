/* formats.c -- the names of what a capture keeps (png, text, mhtml, pdf) and their bit
 * set; the config, site rules and snapshot.request share these words. */
#include "formats.h"

#include <stdio.h>
#include <string.h>

static const struct { const char *name; int bit; } names[] = {
    {"png", FORMAT_PNG}, {"text", FORMAT_TEXT}, {"mhtml", FORMAT_MHTML}, {"pdf", FORMAT_PDF}};

static int one(const char *w, size_t n, int *mask, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && !strncmp(names[i].name, w, n)) {
            *mask |= names[i].bit;
            return 0;
        }
    snprintf(err, errlen, "unknown format '%.*s': expected png, text, mhtml or pdf",
             (int)(n > 40 ? 40 : n), w);
    return -1;
}

static int need_png(int mask, char *err, size_t errlen)
{
    if (mask & FORMAT_PNG)
        return 0;
    snprintf(err, errlen, "formats must include png (the screenshot is what every capture keeps)");
    return -1;
}

int formats_parse(const char *list, int *mask, char *err, size_t errlen)
{
    int m = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *w = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (p > w && one(w, (size_t)(p - w), &m, err, errlen))
            return -1;
    }
    if (need_png(m, err, errlen))
        return -1;
    *mask = m;
    return 0;
}

int formats_parse_json(json_t *array, int *mask, char *err, size_t errlen)
{
    int m = 0;
    size_t i;
    json_t *v;
    if (!json_is_array(array)) {
        snprintf(err, errlen, "formats: expected an array of names (png, text, mhtml, pdf)");
        return -1;
    }
    json_array_foreach(array, i, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "formats: expected names (strings)");
            return -1;
        }
        if (one(json_string_value(v), json_string_length(v), &m, err, errlen))
            return -1;
    }
    if (need_png(m, err, errlen))
        return -1;
    *mask = m;
    return 0;
}

void formats_names(int mask, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (mask & names[i].bit)
            n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s", n ? "," : "",
                                  names[i].name);
}
