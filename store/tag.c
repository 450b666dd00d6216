/* tag.c -- tag normalisation: trim, collapse inner white space (ASCII and Unicode spaces,
 * U+3000 included) to one space, refuse control characters and commas, 1 to 64 characters
 * (code points): that is the name shown. The match key is utf8proc's NFKC_Casefold of the
 * name with white space collapsed again, so full-width, compatibility and case variants
 * ("Ｄａｔａｂａｓｅ", "DATABASE", "Straße"/"STRASSE") are one tag while different words
 * (数据库 / 數據庫) stay apart. Pure functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "store_int.h"
#include "util.h"

static int is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static int is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

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
        uint32_t cp;
        size_t k = util_utf8_decode((const char *)p, (size_t)(e - p), &cp);   /* valid: k > 0 */
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

/* The key: ASCII names (most tags) are lower-cased in place; anything else goes through
 * NFKC_Casefold (compatibility forms, full-width letters, case folding with its growth:
 * ß -> ss, default ignorables dropped), and the white space that compatibility mappings
 * can produce (U+3000, U+00A0 -> space) is collapsed and trimmed so the key is idempotent.
 * A name the fold would empty keeps itself as its key, so such tags stay apart. */
int store_tag_key(const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name), i;
    for (i = 0; i < n && !((unsigned char)name[i] & 0x80); i++)
        ;
    if (i == n) {
        if (n >= outlen)
            return STORE_EINVAL;
        for (i = 0; i <= n; i++)
            out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
        return STORE_OK;
    }
    if (!util_utf8_valid(name, n))
        return STORE_EINVAL;   /* names are checked when written; an old file may differ */
    unsigned char *folded = utf8proc_NFKC_Casefold((const unsigned char *)name);
    if (!folded)
        return STORE_ENOMEM;
    const unsigned char *p = folded, *e = folded + strlen((const char *)folded);
    size_t w = 0;
    int pending_space = 0, rc = STORE_OK;
    while (p < e) {
        uint32_t cp;
        size_t k = util_utf8_decode((const char *)p, (size_t)(e - p), &cp);   /* valid: k > 0 */
        if (is_space(cp)) {
            pending_space = w > 0;
            p += k;
            continue;
        }
        if (w + pending_space + k >= outlen) {
            rc = STORE_EINVAL;
            break;
        }
        if (pending_space)
            out[w++] = ' ';
        pending_space = 0;
        memcpy(out + w, p, k);
        w += k;
        p += k;
    }
    out[w] = '\0';
    free(folded);
    if (!rc && w == 0) {   /* only default ignorables (a lone U+200B): the name is its key */
        if (n >= outlen)
            return STORE_EINVAL;
        memcpy(out, name, n + 1);
    }
    return rc;
}
