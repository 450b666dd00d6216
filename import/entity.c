/* entity.c -- HTML character references for the Netscape tokenizer: the named entities
 * bookmark exports actually carry, and numeric ones (&#39; &#x4e2d;). Pure functions; knows
 * nothing of tokenizing (the caller collects the name, possibly across chunks). */
#include "import_int.h"

#include <string.h>

typedef struct {
    const char *name;
    uint32_t cp;
    int legacy;   /* also decoded without the ';' */
} entity_t;

static const entity_t entities[] = {
    {"amp", '&', 1},       {"lt", '<', 1},        {"gt", '>', 1},        {"quot", '"', 1},
    {"apos", '\'', 0},     {"nbsp", 0xA0, 1},     {"copy", 0xA9, 0},     {"reg", 0xAE, 0},
    {"trade", 0x2122, 0},  {"hellip", 0x2026, 0}, {"mdash", 0x2014, 0},  {"ndash", 0x2013, 0},
    {"lsquo", 0x2018, 0},  {"rsquo", 0x2019, 0},  {"sbquo", 0x201A, 0},  {"ldquo", 0x201C, 0},
    {"rdquo", 0x201D, 0},  {"bdquo", 0x201E, 0},  {"laquo", 0xAB, 0},    {"raquo", 0xBB, 0},
    {"bull", 0x2022, 0},   {"middot", 0xB7, 0},   {"euro", 0x20AC, 0},   {"pound", 0xA3, 0},
    {"yen", 0xA5, 0},      {"cent", 0xA2, 0},     {"sect", 0xA7, 0},     {"deg", 0xB0, 0},
    {"plusmn", 0xB1, 0},   {"times", 0xD7, 0},    {"divide", 0xF7, 0},   {"para", 0xB6, 0},
    {"shy", 0xAD, 0},      {"iexcl", 0xA1, 0},    {"iquest", 0xBF, 0},   {"szlig", 0xDF, 0},
    {"agrave", 0xE0, 0},   {"aacute", 0xE1, 0},   {"acirc", 0xE2, 0},    {"atilde", 0xE3, 0},
    {"auml", 0xE4, 0},     {"aring", 0xE5, 0},    {"aelig", 0xE6, 0},    {"ccedil", 0xE7, 0},
    {"egrave", 0xE8, 0},   {"eacute", 0xE9, 0},   {"ecirc", 0xEA, 0},    {"euml", 0xEB, 0},
    {"igrave", 0xEC, 0},   {"iacute", 0xED, 0},   {"icirc", 0xEE, 0},    {"iuml", 0xEF, 0},
    {"ntilde", 0xF1, 0},   {"ograve", 0xF2, 0},   {"oacute", 0xF3, 0},   {"ocirc", 0xF4, 0},
    {"otilde", 0xF5, 0},   {"ouml", 0xF6, 0},     {"oslash", 0xF8, 0},   {"ugrave", 0xF9, 0},
    {"uacute", 0xFA, 0},   {"ucirc", 0xFB, 0},    {"uuml", 0xFC, 0},     {"yacute", 0xFD, 0},
    {"Agrave", 0xC0, 0},   {"Aacute", 0xC1, 0},   {"Auml", 0xC4, 0},     {"Aring", 0xC5, 0},
    {"Ccedil", 0xC7, 0},   {"Eacute", 0xC9, 0},   {"Ntilde", 0xD1, 0},   {"Ouml", 0xD6, 0},
    {"Uuml", 0xDC, 0},     {"zwj", 0x200D, 0},    {"zwnj", 0x200C, 0},   {"thinsp", 0x2009, 0},
    {"ensp", 0x2002, 0},   {"emsp", 0x2003, 0},   {"larr", 0x2190, 0},   {"rarr", 0x2192, 0},
    {"uarr", 0x2191, 0},   {"darr", 0x2193, 0},   {"hearts", 0x2665, 0}, {"star", 0x2606, 0},
};

static size_t decode_numeric(const char *s, size_t n, char out[4])
{
    /* s starts after '#': decimal digits, or x/X and hex digits */
    int hex = n > 0 && (s[0] == 'x' || s[0] == 'X');
    size_t i = hex ? 1 : 0;
    if (i >= n)
        return 0;
    uint32_t cp = 0;
    for (; i < n; i++) {
        char ch = s[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (hex && ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (hex && ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return 0;
        if (cp <= 0x10FFFF)
            cp = cp * (hex ? 16 : 10) + (uint32_t)d;
    }
    /* the HTML spec maps the C1 range of windows-1252 for numeric references; we keep the
     * common ones users meet in titles */
    if (cp == 0x80)
        cp = 0x20AC;
    else if (cp == 0x91 || cp == 0x92)
        cp = 0x2018 + (cp - 0x91);
    else if (cp == 0x93 || cp == 0x94)
        cp = 0x201C + (cp - 0x93);
    else if (cp == 0x96 || cp == 0x97)
        cp = 0x2013 + (cp - 0x96);
    return import_utf8_encode(cp, out);
}

size_t import_entity_decode(const char *name, size_t n, int semicolon, char out[4])
{
    if (n == 0)
        return 0;
    if (name[0] == '#')
        return semicolon || n > 1 ? decode_numeric(name + 1, n - 1, out) : 0;
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
        const entity_t *e = &entities[i];
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0) {
            if (!semicolon && !e->legacy)
                return 0;
            return import_utf8_encode(e->cp, out);
        }
    }
    return 0;
}
