/* utf8.c -- strict UTF-8 decoding with U+FFFD replacement and sanitising of labels
 * (text.c, svg.c and charts/ rely on it). No state. */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>

uint32_t raster_utf8_next(const char *str, size_t len, size_t *i)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t k = *i;
    unsigned c = s[k];
    if (c < 0x80) {
        *i = k + 1;
        return c;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1; cp = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2; cp = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3; cp = c & 0x07; min = 0x10000;
    } else {
        *i = k + 1;
        return RASTER_REPLACEMENT;
    }
    if (len - k <= n) {
        /* Truncated: only the lead byte is consumed, the rest decode on their own. */
        *i = k + 1;
        return RASTER_REPLACEMENT;
    }
    for (size_t j = 1; j <= n; j++) {
        if ((s[k + j] & 0xC0) != 0x80) {
            *i = k + 1;
            return RASTER_REPLACEMENT;
        }
        cp = (cp << 6) | (s[k + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *i = k + 1;
        return RASTER_REPLACEMENT;
    }
    *i = k + n + 1;
    return cp;
}

size_t raster_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = RASTER_REPLACEMENT;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

char *raster_utf8_sanitize(const char *s, size_t len)
{
    /* Every input byte becomes at most 3 output bytes (one byte -> U+FFFD). */
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp = raster_utf8_next(s, len, &i);
        if (cp == '\t' || cp == '\n' || cp == '\r')
            cp = ' ';
        else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xFFFE || cp == 0xFFFF)
            cp = RASTER_REPLACEMENT;
        o += raster_utf8_encode(cp, out + o);
    }
    out[o] = '\0';
    return out;
}
