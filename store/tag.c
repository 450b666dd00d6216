/* tag.c -- tag normalisation: trim, collapse inner white space (ASCII and Unicode spaces,
 * U+3000 included) to one space, refuse control characters and commas, 1 to 64 characters
 * (code points). The match key lower-cases ASCII letters only, so "Rust" and "rust" are
 * one tag while every other script is kept exactly. Pure functions. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* Decodes one code point from valid UTF-8; returns its length. */
static size_t utf8_next(const unsigned char *p, unsigned *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    if (p[0] < 0xE0) { *cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu); return 2; }
    if (p[0] < 0xF0) { *cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu); return 3; }
    *cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    return 4;
}

static int is_space(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static int is_control(unsigned cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

int store_normalize_tag(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t n = strlen(in);
    if (!util_utf8_valid(in, n)) {
        snprintf(err, errlen, "tag is not valid UTF-8");
        return STORE_EINVAL;
    }
    const unsigned char *p = (const unsigned char *)in, *e = p + n;
    size_t w = 0, chars = 0;
    int pending_space = 0;
    while (p < e) {
        unsigned cp;
        size_t k = utf8_next(p, &cp);
        if (is_space(cp)) {
            pending_space = chars > 0;
            p += k;
            continue;
        }
        if (is_control(cp)) {
            snprintf(err, errlen, "tag '%.40s' contains a control character", in);
            return STORE_EINVAL;
        }
        if (cp == ',') {
            snprintf(err, errlen, "tag '%.40s' contains a comma (tags are separated by commas)", in);
            return STORE_EINVAL;
        }
        if (pending_space) {
            if (w + 1 >= outlen)
                goto too_long;
            out[w++] = ' ';
            chars++;
            pending_space = 0;
        }
        if (w + k >= outlen)
            goto too_long;
        memcpy(out + w, p, k);
        w += k;
        chars++;
        p += k;
    }
    out[w] = '\0';
    if (chars == 0) {
        snprintf(err, errlen, "tag is empty");
        return STORE_EINVAL;
    }
    if (chars > STORE_MAX_TAG_CHARS) {
        snprintf(err, errlen, "tag '%.40s…' is longer than %d characters", out, STORE_MAX_TAG_CHARS);
        return STORE_EINVAL;
    }
    return STORE_OK;
too_long:
    snprintf(err, errlen, "tag '%.40s…' is longer than %d characters", in, STORE_MAX_TAG_CHARS);
    return STORE_EINVAL;
}

void store_tag_key(const char *name, char *out)
{
    size_t i = 0;
    for (; name[i]; i++) {
        char c = name[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[i] = '\0';
}
