/* entry.c -- the entry builder every import format fills: capped fields, tag lists, UTF-8
 * repair, time stamps, and the one place that hands an entry to the caller or reports why
 * it cannot. Knows no format syntax and nothing of what the caller does with entries. */
#include "import_int.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- capped field ---- */

int ifield_init(ifield_t *f, size_t cap)
{
    f->data = malloc(cap + 1);
    f->len = 0;
    f->cap = f->data ? cap : 0;
    f->over = 0;
    return f->data ? 0 : IMPORT_ENOMEM;
}

void ifield_free(ifield_t *f)
{
    free(f->data);
    f->data = NULL;
    f->len = f->cap = 0;
}

void ifield_put(ifield_t *f, const char *s, size_t n)
{
    size_t room = f->cap - f->len;
    if (n > room) {
        n = room;
        f->over = 1;
    }
    memcpy(f->data + f->len, s, n);
    f->len += n;
}

const char *ifield_cstr(ifield_t *f)
{
    f->data[f->len] = '\0';
    return f->data;
}

/* ---- UTF-8 ---- */

size_t import_utf8_seq(const unsigned char *s, size_t avail)
{
    uint32_t cp;
    if (avail && s[0] == '\0')
        return 0;
    return util_utf8_decode((const char *)s, avail, &cp);
}

size_t import_utf8_cut(const char *s, size_t n)
{
    /* step back over at most 3 continuation bytes to the last lead byte */
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > 1 && back + 1 < need)
        return i - 1; /* the last sequence is incomplete */
    return n;
}

size_t import_utf8_encode(uint32_t cp, char out[4])
{
    return util_utf8_encode(cp == 0 ? UTIL_UTF8_REPLACEMENT : cp, out);
}

/* Copies s[0..n) into out, each invalid byte (or NUL) replaced by U+FFFD, stopping before
 * out's cap would split a character. */
static void utf8_repair(ifield_t *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    ifield_reset(out);
    while (i < n) {
        size_t k = import_utf8_seq(p + i, n - i);
        const char *src = k ? s + i : "\xEF\xBF\xBD";
        size_t len = k ? k : 3;
        if (out->len + len > out->cap) {
            out->over = 1;
            break;
        }
        memcpy(out->data + out->len, src, len);
        out->len += len;
        i += k ? k : 1;
    }
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_ws((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_ws((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Collapses whitespace runs to one space and trims, in place. */
static void collapse_ws(ifield_t *f)
{
    size_t o = 0;
    int pending = 0;
    for (size_t i = 0; i < f->len; i++) {
        unsigned char c = (unsigned char)f->data[i];
        if (is_ws(c)) {
            pending = o > 0;
            continue;
        }
        if (pending)
            f->data[o++] = ' ';
        pending = 0;
        f->data[o++] = (char)c;
    }
    f->len = o;
}

static int text_ok(const char *s, size_t n)
{
    return !memchr(s, '\0', n) && util_utf8_valid(s, n);
}

/* Finishes a title or description: cut, whitespace, UTF-8 repair. Returns NULL if empty. */
static const char *finish_text(ifield_t *f, ifield_t *scratch, int collapse)
{
    if (f->over)
        f->len = import_utf8_cut(f->data, f->len);
    if (collapse) {
        collapse_ws(f);
    } else {
        const char *s = f->data;
        size_t n = f->len;
        trim(&s, &n);
        memmove(f->data, s, n);
        f->len = n;
    }
    if (f->len == 0)
        return NULL;
    if (text_ok(f->data, f->len))
        return ifield_cstr(f);
    utf8_repair(scratch, f->data, f->len);
    return scratch->len ? ifield_cstr(scratch) : NULL;
}

/* ---- entry builder ---- */

int ient_init(ient_t *e)
{
    memset(e, 0, sizeof(*e));
    if (ifield_init(&e->url, IMPORT_MAX_URL) || ifield_init(&e->title, IMPORT_MAX_TITLE) ||
        ifield_init(&e->desc, IMPORT_MAX_DESCRIPTION) ||
        ifield_init(&e->tagbuf, IMPORT_MAX_TAGS * (IMPORT_MAX_TAG + 1)) ||
        ifield_init(&e->scratch, IMPORT_MAX_TITLE) ||
        ifield_init(&e->scratch2, IMPORT_MAX_DESCRIPTION)) {
        ient_free(e);
        return IMPORT_ENOMEM;
    }
    return 0;
}

void ient_free(ient_t *e)
{
    ifield_free(&e->url);
    ifield_free(&e->title);
    ifield_free(&e->desc);
    ifield_free(&e->tagbuf);
    ifield_free(&e->scratch);
    ifield_free(&e->scratch2);
}

void ient_reset(ient_t *e)
{
    ifield_reset(&e->url);
    ifield_reset(&e->title);
    ifield_reset(&e->desc);
    ifield_reset(&e->tagbuf);
    e->ntags = 0;
    e->created_ms = 0;
}

void ient_add_tag(ient_t *e, const char *s, size_t n)
{
    trim(&s, &n);
    if (n == 0 || e->ntags >= IMPORT_MAX_TAGS)
        return;
    /* repair into the tag buffer directly, capped at IMPORT_MAX_TAG */
    ifield_t *b = &e->tagbuf;
    size_t start = b->len;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = import_utf8_seq(p + i, n - i);
        const char *src = k ? s + i : "\xEF\xBF\xBD";
        size_t len = k ? k : 3;
        if (b->len - start + len > IMPORT_MAX_TAG)
            break;
        memcpy(b->data + b->len, src, len);
        b->len += len;
        i += k ? k : 1;
    }
    size_t tlen = b->len - start;
    /* a cut may leave trailing spaces */
    while (tlen && is_ws((unsigned char)b->data[start + tlen - 1]))
        tlen--;
    b->len = start + tlen;
    if (tlen == 0)
        return;
    for (size_t t = 0; t < e->ntags; t++) {
        const char *o = b->data + e->tagoff[t];
        if (strlen(o) == tlen && memcmp(o, b->data + start, tlen) == 0) {
            b->len = start;
            return;
        }
    }
    b->data[b->len++] = '\0';
    e->tagoff[e->ntags++] = start;
}

void ient_add_tags_split(ient_t *e, const char *s, size_t n, int mode)
{
    int by_space = mode == IENT_SPLIT_COMMA_OR_SPACE && !memchr(s, ',', n);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        int sep = i == n || (by_space ? is_ws((unsigned char)s[i]) : s[i] == ',');
        if (sep) {
            ient_add_tag(e, s + start, i - start);
            start = i + 1;
        }
    }
}

int ient_emit(import_ctx_t *c)
{
    ient_t *e = &c->ent;
    int rc = IMPORT_OK;
    const char *url = e->url.data;
    size_t ulen = e->url.len;
    trim(&url, &ulen);
    if (e->url.over) {
        ictx_error(c, e->line, "URL longer than %d bytes", IMPORT_MAX_URL);
        goto done;
    }
    if (ulen == 0) {
        ictx_error(c, e->line, "entry has no URL");
        goto done;
    }
    if (memchr(url, '\0', ulen)) {
        ictx_error(c, e->line, "URL contains a NUL byte");
        goto done;
    }
    if (!util_utf8_valid(url, ulen)) {
        ictx_error(c, e->line, "URL is not valid UTF-8");
        goto done;
    }
    memmove(e->url.data, url, ulen);
    e->url.len = ulen;

    import_entry_t out = {
        .url = ifield_cstr(&e->url),
        .title = finish_text(&e->title, &e->scratch, 1),
        .description = finish_text(&e->desc, &e->scratch2, e->collapse_desc),
        .tags = e->tagv,
        .ntags = e->ntags,
        .created_ms = e->created_ms,
        .line = e->line,
    };
    for (size_t i = 0; i < e->ntags; i++)
        e->tagv[i] = e->tagbuf.data + e->tagoff[i];
    if (c->entry_cb(&out, c->ud) != 0)
        rc = IMPORT_STOPPED;
done:
    ient_reset(e);
    return rc;
}

/* ---- errors ---- */

int iline_feed(import_ctx_t *c, const unsigned char *s, size_t n, uint64_t *start,
               iline_put_fn put, iline_end_fn end, void *st)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        int rc = put(st, (const char *)s + i, j - i);
        if (rc != IMPORT_OK)
            return rc;
        if (j == n)
            break;
        rc = end(st, c);
        ictx_step(c, s[j]);
        *start = c->line;
        if (rc != IMPORT_OK)
            return rc;
        i = j + 1;
    }
    return IMPORT_OK;
}

void ictx_error(import_ctx_t *c, uint64_t line, const char *fmt, ...)
{
    if (!c->error_cb)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    util_utf8_scrub(msg);   /* a cut message, or one quoting broken input (jansson's) */
    c->error_cb(line, msg, c->ud);
}

int ictx_fail(import_ctx_t *c, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    util_utf8_scrub(c->errmsg);
    if (c->error_cb)
        c->error_cb(line, c->errmsg, c->ud);
    return IMPORT_EFORMAT;
}

/* ---- time stamps ---- */

#define YEAR_3000_MS 32503680000000.0

int64_t import_time_from_number(double v)
{
    if (!(v > 0))
        return 0;
    double ms;
    if (v < 1e11)
        ms = v * 1000.0;      /* seconds (until the year 5138) */
    else if (v < 1e14)
        ms = v;               /* milliseconds */
    else if (v < 1e17)
        ms = v / 1000.0;      /* microseconds (Firefox JSON, Chrome-style) */
    else
        ms = v / 1e6;         /* nanoseconds */
    if (ms > YEAR_3000_MS)
        return 0;
    return (int64_t)ms;
}

int64_t import_time_from_string(const char *s, size_t n)
{
    char tmp[64];
    trim(&s, &n);
    if (n == 0 || n >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int digits = 1;
    for (size_t i = 0; i < n; i++)
        if (!((tmp[i] >= '0' && tmp[i] <= '9') || (tmp[i] == '.' && i > 0)))
            digits = 0;
    if (digits)
        return import_time_from_number(strtod(tmp, NULL));
    int64_t ms;
    if (util_parse_time(tmp, &ms) == 0 && ms > 0)
        return ms;
    return 0;
}
