/* utf8.c -- UTF-8 with U+FFFD replacement and sanitising of labels (text.c, svg.c and
 * charts/ rely on it), on common/'s one decoder and encoder. No state. */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>

#include "util.h"

uint32_t raster_utf8_next(const char *str, size_t len, size_t *i)
{
    uint32_t cp;
    size_t n = util_utf8_decode(str + *i, len - *i, &cp);
    *i += n ? n : 1;   /* an invalid byte: U+FFFD, and the next byte decodes on its own */
    return cp;
}

size_t raster_utf8_encode(uint32_t cp, char *out) { return util_utf8_encode(cp, out); }

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
