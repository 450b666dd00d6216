/* display.c -- the form of a stored URL that people read: punycode host labels decoded
 * when the browsers' IDN display rules allow it (ICU's spoof checker, as Chromium uses),
 * percent-encoded non-ASCII UTF-8 decoded in path, query and fragment unless the character
 * is one a reader could not see or would misread (spaces, controls, bidi and invisible
 * characters, lock icons), as Chrome's address bar does. The stored URL stays the identity;
 * this is only ever shown. Pure: safe on any thread (one spoof checker, configured once;
 * a small table of label decisions behind a mutex). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/uset.h>
#include <unicode/uspoof.h>

#include "store.h"
#include "util.h"

/* ---- output buffer -------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->oom || (n == 0 && o->p))
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *np = realloc(o->p, cap);
        if (!np) {
            o->oom = 1;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes one well-formed UTF-8 sequence (shortest form, no surrogates, at most
 * U+10FFFF) from b[0..n); returns its length, 0 when b does not start one. */
static size_t utf8_decode(const unsigned char *b, size_t n, UChar32 *cp)
{
    if (n == 0)
        return 0;
    if (b[0] < 0x80) {
        *cp = b[0];
        return 1;
    }
    size_t k;
    UChar32 c, min;
    if (b[0] >= 0xC2 && b[0] <= 0xDF) { k = 2; c = b[0] & 0x1F; min = 0x80; }
    else if (b[0] >= 0xE0 && b[0] <= 0xEF) { k = 3; c = b[0] & 0x0F; min = 0x800; }
    else if (b[0] >= 0xF0 && b[0] <= 0xF4) { k = 4; c = b[0] & 0x07; min = 0x10000; }
    else return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((b[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (b[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return k;
}

/* ---- the spoof checker ---------------------------------------------------------------- */

static pthread_once_t checker_once = PTHREAD_ONCE_INIT;
static USpoofChecker *checker;   /* NULL when ICU could not make one: no label is decoded */

static void checker_init(void)
{
    UErrorCode st = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&st);
    USet *allowed = uset_openEmpty();
    if (U_FAILURE(st) || !allowed)
        goto fail;
    /* Chromium's choice: characters recommended for identifiers (UTS #39) plus the
     * inclusion set, one script per label or the CJK combinations with Latin, no invisible
     * characters, one kind of digits, no dots or marks that hide in the glyph before */
    uset_addAll(allowed, uspoof_getRecommendedSet(&st));
    uset_addAll(allowed, uspoof_getInclusionSet(&st));
    uset_freeze(allowed);
    uspoof_setAllowedChars(sc, allowed, &st);
    uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
    uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL | USPOOF_CHAR_LIMIT | USPOOF_INVISIBLE |
                         USPOOF_MIXED_NUMBERS | USPOOF_HIDDEN_OVERLAY, &st);
    if (U_FAILURE(st))
        goto fail;
    uset_close(allowed);   /* the checker keeps its own copy */
    checker = sc;
    return;
fail:
    if (allowed)
        uset_close(allowed);
    if (sc)
        uspoof_close(sc);
}

/* A label made only of letters of one non-Latin script that all look like ASCII letters
 * or digits ("аррӏе" in Cyrillic) reads as an ASCII name: a whole-script homograph. */
static int looks_ascii(const char *label)
{
    UChar32 cp;
    int foreign = 0;
    const unsigned char *p = (const unsigned char *)label;
    size_t n = strlen(label), k;
    for (size_t i = 0; i < n; i += k) {
        if (!(k = utf8_decode(p + i, n - i, &cp)))
            return 0;
        UErrorCode st = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(cp, &st);
        if (sc != USCRIPT_LATIN && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED)
            foreign = 1;
    }
    if (!foreign)
        return 0;
    char skel[256];
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = uspoof_getSkeletonUTF8(checker, 0, label, -1, skel, sizeof skel, &st);
    if (U_FAILURE(st) || len <= 0 || (size_t)len >= sizeof skel)
        return 1;   /* cannot tell: keep it punycode */
    for (int32_t i = 0; i < len; i++) {
        char c = skel[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* The Unicode form of one "xn--" label, or NULL (owned). Only labels that encode back to
 * the same ACE are taken: anything libidn2's IDNA2008 rules refuse stays as it is. */
static char *label_decode(const char *ace)
{
    char *u = NULL, *back = NULL;
    if (idn2_to_unicode_8z8z(ace, &u, 0) != IDN2_OK || !u)
        goto fail;
    if (idn2_to_ascii_8z(u, &back, IDN2_NONTRANSITIONAL) != IDN2_OK || !back ||
        strcasecmp(back, ace) != 0)
        goto fail;
    idn2_free(back);
    return u;
fail:
    idn2_free(back);
    idn2_free(u);
    return NULL;
}

static int label_safe(const char *u, int idn_tld)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t r = uspoof_check2UTF8(checker, u, -1, NULL, &st);
    if (U_FAILURE(st) || r != 0)
        return 0;
    return idn_tld || !looks_ascii(u);
}

/* The decision for one label, remembered: decoding and checking cost 15-20 us (libidn2
 * both ways, ICU's checks), and a collection's links share few hosts, so link.list's
 * search by the shown form decodes each host once rather than once per row. A small
 * direct-mapped table behind one mutex (any thread may show a URL). */
#define LABEL_CACHE_SLOTS 256
typedef struct {
    char ace[64];        /* "" = empty slot */
    char shown[256];     /* "" = keep the ACE */
    int idn_tld;
} label_slot_t;
static label_slot_t label_cache[LABEL_CACHE_SLOTS];
static pthread_mutex_t label_lock = PTHREAD_MUTEX_INITIALIZER;

/* Writes the Unicode form of ACE label `ace` to out (cap bytes) and returns 1, or 0 when
 * the label is to stay as stored. */
static int label_shown(const char *ace, int idn_tld, char *out, size_t cap)
{
    size_t len = strlen(ace);
    unsigned h = 2166136261u ^ (unsigned)idn_tld;
    for (const char *p = ace; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    label_slot_t *slot = len < sizeof slot->ace ? &label_cache[h % LABEL_CACHE_SLOTS] : NULL;
    if (slot) {
        pthread_mutex_lock(&label_lock);
        int hit = slot->ace[0] && slot->idn_tld == idn_tld && !strcmp(slot->ace, ace);
        int shown = hit && slot->shown[0] && strlen(slot->shown) < cap;
        if (shown)
            memcpy(out, slot->shown, strlen(slot->shown) + 1);
        pthread_mutex_unlock(&label_lock);
        if (hit)
            return shown;
    }
    char *u = label_decode(ace);
    int ok = u && strlen(u) < cap && label_safe(u, idn_tld);
    if (ok)
        memcpy(out, u, strlen(u) + 1);
    if (slot && (!u || strlen(u) < sizeof slot->shown)) {
        pthread_mutex_lock(&label_lock);
        memcpy(slot->ace, ace, len + 1);
        if (ok)
            memcpy(slot->shown, u, strlen(u) + 1);
        else
            slot->shown[0] = '\0';
        slot->idn_tld = idn_tld;
        pthread_mutex_unlock(&label_lock);
    }
    idn2_free(u);
    return ok;
}

/* Host labels, each decoded when it is safe to show. */
static void put_host(out_t *o, const char *h, size_t n)
{
    if (n && h[0] == '[') {   /* IPv6 literal */
        put(o, h, n);
        return;
    }
    char lab[256], shown[256];
    /* the top-level label: a Unicode TLD (.рф) makes its script's lookalikes expected */
    int idn_tld = 0;
    const char *last = h;
    for (size_t i = 0; i < n; i++)
        if (h[i] == '.' && i + 1 < n)
            last = h + i + 1;
    if (n - (size_t)(last - h) > 4 && !strncasecmp(last, "xn--", 4))
        idn_tld = 1;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && h[j] != '.')
            j++;
        size_t len = j - i;
        int decoded = 0;
        if (checker && len > 4 && len < sizeof lab && !strncasecmp(h + i, "xn--", 4)) {
            memcpy(lab, h + i, len);
            lab[len] = '\0';
            decoded = label_shown(lab, idn_tld, shown, sizeof shown);
        }
        if (decoded)
            put(o, shown, strlen(shown));
        else
            put(o, h + i, len);
        if (j < n)
            put(o, ".", 1);
        i = j + 1;
    }
}

/* ---- path, query, fragment -------------------------------------------------------------- */

/* Characters Chrome keeps escaped: what cannot be seen or reads as something else. */
static int shown_decoded(UChar32 cp)
{
    if (cp < 0xA0)                                   /* ASCII (its escapes mean something) and C1 */
        return 0;
    if (u_isUWhiteSpace(cp) || u_hasBinaryProperty(cp, UCHAR_BIDI_CONTROL) ||
        u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
        u_hasBinaryProperty(cp, UCHAR_NONCHARACTER_CODE_POINT))
        return 0;
    switch (u_charType(cp)) {
    case U_UNASSIGNED: case U_CONTROL_CHAR: case U_FORMAT_CHAR: case U_PRIVATE_USE_CHAR:
    case U_SURROGATE: case U_LINE_SEPARATOR: case U_PARAGRAPH_SEPARATOR:
        return 0;
    default:
        break;
    }
    if (cp >= 0x1F50F && cp <= 0x1F513)              /* lock icons: a fake padlock */
        return 0;
    if (cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0 || cp == 0x2800)
        return 0;                                    /* Hangul fillers, braille blank */
    return 1;
}

/* Reads up to 4 bytes of consecutive %XX escapes from s; returns how many. */
static size_t read_escapes(const char *s, unsigned char *b, size_t max)
{
    size_t k = 0;
    while (k < max && s[3 * k] == '%') {
        int h = util_hexval((unsigned char)s[3 * k + 1]);
        int l = h < 0 ? -1 : util_hexval((unsigned char)s[3 * k + 2]);
        if (h < 0 || l < 0)
            break;
        b[k++] = (unsigned char)(h << 4 | l);
    }
    return k;
}

static void put_rest(out_t *o, const char *s)
{
    while (*s) {
        unsigned char b[4];
        UChar32 cp;
        size_t k;
        if (*s == '%' && read_escapes(s, b, 1) == 1 && b[0] >= 0x80) {
            size_t have = read_escapes(s, b, 4);
            if ((k = utf8_decode(b, have, &cp)) && shown_decoded(cp)) {
                put(o, (const char *)b, k);
                s += 3 * k;
                continue;
            }
            put(o, s, 3);   /* invalid or not to be shown: this escape stays */
            s += 3;
            continue;
        }
        if ((unsigned char)*s >= 0x80) {   /* raw bytes: kept when UTF-8, escaped when not */
            if ((k = utf8_decode((const unsigned char *)s, strnlen(s, 4), &cp))) {
                put(o, s, k);
                s += k;
            } else {
                static const char hex[] = "0123456789ABCDEF";
                char e[3] = {'%', hex[(unsigned char)*s >> 4], hex[(unsigned char)*s & 15]};
                put(o, e, 3);
                s++;
            }
            continue;
        }
        put(o, s, 1);
        s++;
    }
}

int store_display_url(const char *url, char **out)
{
    *out = NULL;
    size_t i = 0;
    for (; url[i] && !((unsigned char)url[i] & 0x80) && url[i] != '%'; i++)
        ;
    if (!url[i] && !strcasestr(url, "xn--"))   /* most URLs: shown as stored */
        return (*out = strdup(url)) ? STORE_OK : STORE_ENOMEM;
    pthread_once(&checker_once, checker_init);
    out_t o = {0};
    const char *auth = strstr(url, "://");
    if (!auth) {
        put_rest(&o, url);
    } else {
        auth += 3;
        size_t alen = strcspn(auth, "/?#");
        put(&o, url, (size_t)(auth - url));
        /* userinfo (never stored, but a URL may carry one) and port stay as they are */
        const char *host = auth, *end = auth + alen;
        for (const char *p = auth; p < end; p++)
            if (*p == '@')
                host = p + 1;
        const char *hend = end;
        if (host < end && host[0] != '[') {
            for (const char *p = end; p > host; p--)
                if (p[-1] == ':') {
                    hend = p - 1;
                    break;
                }
        } else if (host < end) {
            const char *rb = memchr(host, ']', (size_t)(end - host));
            hend = rb ? rb + 1 : end;
        }
        put(&o, auth, (size_t)(host - auth));
        put_host(&o, host, (size_t)(hend - host));
        put(&o, hend, (size_t)(end - hend));
        put_rest(&o, end);
    }
    if (!o.p && !o.oom)
        put(&o, "", 0);
    if (o.oom) {
        free(o.p);
        return STORE_ENOMEM;
    }
    *out = o.p;
    return STORE_OK;
}
