/* fts.c -- the FTS5 tokenizer "linksnap" and the MATCH expression built from a user's q.
 * Words of alphabetic scripts become one folded token each (NFKC, case folded, the
 * diacritics of Latin, Greek and Cyrillic dropped); Chinese, Japanese and Korean become
 * overlapping bigrams plus the last character of each run, so that any substring of one,
 * two or more characters is a phrase of index terms. Knows utf8proc and the FTS5 API;
 * nothing of the store's tables. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "store_int.h"

#define UNIT_MAX_CPS 24      /* one character and the marks that follow it, decomposed */
#define UNIT_MAX_BYTES 64
#define WORD_MAX_BYTES 256   /* longer words are cut (the same way in documents and queries) */

/* ---- characters ---------------------------------------------------------------------- */

static int is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x3FFFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0xFF66 && c <= 0xFF9D) || (c >= 0xAC00 && c <= 0xD7AF) ||
           (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) ||
           c == 0x3005 || c == 0x3006;
}

/* The combining marks that Latin, Greek and Cyrillic use as accents (folded away). Kana
 * voicing (U+3099, U+309A) and the marks of other scripts are not in these blocks. */
static int is_accent(int32_t c)
{
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
           (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
           (c >= 0xFE20 && c <= 0xFE2F);
}

enum { K_SEP, K_WORD, K_CJK, K_MARK };

static int kind_of(int32_t c)
{
    if (c < 0x80) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return K_WORD;
        return K_SEP;
    }
    if (c == 0xFF9E || c == 0xFF9F)   /* half-width voicing marks: part of the kana before */
        return K_MARK;
    if (is_cjk(c))
        return K_CJK;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return K_WORD;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return K_MARK;
    default:
        return K_SEP;
    }
}

/* One character with its marks, folded: NFKC, case folded, accents dropped except in CJK. */
typedef struct {
    int32_t cps[UNIT_MAX_CPS];
    int ncps;
    int start, end;             /* byte offsets of the original in the input */
    char out[UNIT_MAX_BYTES];
    int nout;
} unit_t;

static void unit_fold(unit_t *u, int cjk)
{
    u->nout = 0;
    if (u->ncps == 1 && u->cps[0] < 0x80) {   /* the common case */
        int32_t c = u->cps[0];
        u->out[u->nout++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return;
    }
    uint8_t src[UNIT_MAX_CPS * 4];
    utf8proc_ssize_t ns = 0;
    for (int i = 0; i < u->ncps; i++)
        ns += utf8proc_encode_char(u->cps[i], src + ns);
    int32_t buf[UNIT_MAX_CPS * 4];
    utf8proc_ssize_t cap = (utf8proc_ssize_t)(sizeof buf / sizeof *buf);
    utf8proc_ssize_t n = utf8proc_decompose(src, ns, buf, cap,
                                            UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
                                                UTF8PROC_CASEFOLD);
    if (n < 0 || n > cap) {
        for (int i = 0; i < u->ncps && u->nout + 4 <= UNIT_MAX_BYTES; i++)
            u->nout += (int)utf8proc_encode_char(u->cps[i], (uint8_t *)u->out + u->nout);
        return;
    }
    utf8proc_ssize_t w = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++)
        if (cjk || !is_accent(buf[i]))
            buf[w++] = buf[i];
    if (w == 0)
        return;
    n = utf8proc_normalize_utf32(buf, w, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    for (utf8proc_ssize_t i = 0; i < n && u->nout + 4 <= UNIT_MAX_BYTES; i++)
        u->nout += (int)utf8proc_encode_char(buf[i], (uint8_t *)u->out + u->nout);
}

/* ---- the tokenizer ------------------------------------------------------------------- */

typedef struct {
    int query, unigrams;
    store_tok_cb cb;
    void *ud;
    int rc;
    /* the word being built */
    char word[WORD_MAX_BYTES + UNIT_MAX_BYTES];
    int nword, wstart, wend;
    /* the CJK run: the previous character, and the run's length */
    unit_t prev;
    int run;
    int last_kind;              /* of the last token emitted: STORE_TOK_* */
} tok_t;

static void emit(tok_t *t, int flags, int kind, const char *p, int n, int start, int end)
{
    if (t->rc == 0 && n > 0) {
        t->rc = t->cb(t->ud, flags, p, n, start, end);
        t->last_kind = kind;
    }
}

static void word_end(tok_t *t)
{
    if (t->nword)
        emit(t, 0, STORE_TOK_WORD, t->word, t->nword, t->wstart, t->wend);
    t->nword = 0;
}

static void run_end(tok_t *t)
{
    if (t->unigrams && !t->query)
        ;                       /* every character had its unigram already */
    else if (t->run == 1)
        emit(t, 0, STORE_TOK_CJK1, t->prev.out, t->prev.nout, t->prev.start, t->prev.end);
    else if (t->run > 1 && !t->query)   /* the last character, at the last bigram's place */
        emit(t, STORE_TOK_COLOCATED, STORE_TOK_CJK1, t->prev.out, t->prev.nout, t->prev.start,
             t->prev.end);
    t->run = 0;
}

static void unit_done(tok_t *t, unit_t *u, int kind)
{
    if (kind == K_WORD) {
        unit_fold(u, 0);
        if (t->nword == 0)
            t->wstart = u->start;
        if (t->nword + u->nout <= WORD_MAX_BYTES) {   /* cut at a character boundary */
            memcpy(t->word + t->nword, u->out, (size_t)u->nout);
            t->nword += u->nout;
        }
        t->wend = u->end;
        return;
    }
    unit_fold(u, 1);
    if (u->nout == 0)
        return;
    if (t->run > 0) {
        char bi[2 * UNIT_MAX_BYTES];
        memcpy(bi, t->prev.out, (size_t)t->prev.nout);
        memcpy(bi + t->prev.nout, u->out, (size_t)u->nout);
        /* the measured alternative (STORE_TOKENIZE_UNIGRAMS): the bigram sits at its first
         * character's unigram */
        int uni = t->unigrams && !t->query;
        emit(t, uni ? STORE_TOK_COLOCATED : 0, STORE_TOK_CJK2, bi, t->prev.nout + u->nout,
             t->prev.start, u->end);
    }
    if (t->unigrams && !t->query)
        emit(t, 0, STORE_TOK_CJK1, u->out, u->nout, u->start, u->end);
    t->prev = *u;
    t->run++;
}

int store_fts_tokenize(const char *text, int len, int flags, store_tok_cb cb, void *ud,
                       int *last_kind)
{
    tok_t *t = calloc(1, sizeof *t);
    if (!t)
        return STORE_ENOMEM;
    t->query = (flags & STORE_TOKENIZE_QUERY) != 0;
    t->unigrams = (flags & STORE_TOKENIZE_UNIGRAMS) != 0;
    t->cb = cb;
    t->ud = ud;
    unit_t u;
    int ukind = K_SEP;          /* kind of the unit being gathered (K_SEP = none) */
    const uint8_t *p = (const uint8_t *)text;
    int i = 0;
    while (i < len && t->rc == 0) {
        int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate(p + i, len - i, &c);
        if (step <= 0) {        /* invalid UTF-8: one byte that separates */
            step = 1;
            c = -1;
        }
        int k = c < 0 ? K_SEP : kind_of(c);
        if (k == K_MARK) {
            if (ukind != K_SEP && u.ncps < UNIT_MAX_CPS) {
                u.cps[u.ncps++] = c;
                u.end = i + (int)step;
            }
            i += (int)step;
            continue;
        }
        if (ukind != K_SEP)
            unit_done(t, &u, ukind);
        if (k != K_WORD)
            word_end(t);
        if (k != K_CJK)
            run_end(t);
        ukind = k;
        if (k != K_SEP) {
            u.ncps = 1;
            u.cps[0] = c;
            u.start = i;
            u.end = i + (int)step;
        }
        i += (int)step;
    }
    if (t->rc == 0 && ukind != K_SEP)
        unit_done(t, &u, ukind);
    word_end(t);
    run_end(t);
    int rc = t->rc;
    if (last_kind)
        *last_kind = t->last_kind;
    free(t);
    return rc;
}

/* ---- FTS5 glue ---------------------------------------------------------------------- */

typedef struct {
    void *ctx;
    int (*xToken)(void *, int, const char *, int, int, int);
} fts_ctx_t;

static int fts_token_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    fts_ctx_t *c = ud;
    return c->xToken(c->ctx, flags & STORE_TOK_COLOCATED ? FTS5_TOKEN_COLOCATED : 0, tok, n,
                     start, end);
}

/* The one argument: "unigrams", the alternative measured in docs/benchmarks.md. */
static int tok_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
    (void)ud;
    static int plain = 0, unigrams = STORE_TOKENIZE_UNIGRAMS;
    if (argc > 1 || (argc == 1 && strcmp(argv[0], "unigrams")))
        return SQLITE_ERROR;
    *out = (Fts5Tokenizer *)(argc ? &unigrams : &plain);   /* the flags; nothing to free */
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t) { (void)t; }

static int tok_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text, int len,
                        int (*xToken)(void *, int, const char *, int, int, int))
{
    fts_ctx_t c = {ctx, xToken};
    int mode = *(const int *)tk | ((flags & FTS5_TOKENIZE_QUERY) ? STORE_TOKENIZE_QUERY : 0);
    int rc = store_fts_tokenize(text, len, mode, fts_token_cb, &c, NULL);
    if (rc == STORE_ENOMEM)
        return SQLITE_NOMEM;
    return rc;   /* SQLITE_OK, or what xToken returned */
}

int store_fts_register(store_t *s)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "find FTS5 (is SQLite built with it?)");
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!api || api->iVersion < 2)
        return store_fail(s, STORE_EINTERNAL, "this SQLite has no FTS5; linksnapd needs it");
    static fts5_tokenizer tok = {tok_create, tok_delete, tok_tokenize};
    rc = api->xCreateTokenizer(api, "linksnap", NULL, &tok, NULL);
    return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, "register the linksnap tokenizer");
}

/* ---- the MATCH expression ------------------------------------------------------------ */

static int count_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    (void)flags; (void)tok; (void)n; (void)start; (void)end;
    (*(int *)ud)++;
    return 0;
}

static int is_space(int32_t c)
{
    return c <= 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ZS || c == 0x2028 || c == 0x2029;
}

int store_fts_query(const char *q, char **out)
{
    *out = NULL;
    size_t qlen = strlen(q);
    /* each byte at most doubled ("), plus quotes, " *" and " AND " per word */
    size_t cap = 2 * qlen + 16 * (qlen + 1) + 1;
    char *e = malloc(cap);
    size_t *ws = malloc((qlen + 1) * sizeof *ws), *we = malloc((qlen + 1) * sizeof *we);
    int *lastk = malloc((qlen + 1) * sizeof *lastk);
    int rc = STORE_OK;
    if (!e || !ws || !we || !lastk) {
        rc = STORE_ENOMEM;
        goto done;
    }
    size_t nw = 0, i = 0;
    const uint8_t *p = (const uint8_t *)q;
    while (i < qlen) {          /* the words: what lies between spaces, with a token */
        int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(qlen - i), &c);
        if (step <= 0 || is_space(c)) {
            i += step <= 0 ? 1 : (size_t)step;
            continue;
        }
        size_t start = i;
        while (i < qlen) {
            step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(qlen - i), &c);
            if (step <= 0 || is_space(c))
                break;
            i += (size_t)step;
        }
        int ntok = 0, last = 0;
        if ((rc = store_fts_tokenize(q + start, (int)(i - start), STORE_TOKENIZE_QUERY, count_cb,
                                     &ntok, &last)))
            goto done;
        if (ntok == 0)
            continue;           /* punctuation only: nothing to look for */
        ws[nw] = start;
        we[nw] = i;
        lastk[nw++] = last;
    }
    size_t w = 0;
    for (size_t k = 0; k < nw; k++) {
        if (k)
            w += (size_t)sprintf(e + w, " AND ");
        e[w++] = '"';
        for (size_t j = ws[k]; j < we[k]; j++) {
            if (q[j] == '"')
                e[w++] = '"';
            e[w++] = q[j];
        }
        e[w++] = '"';
        /* the last word is a prefix while typing; a word ending in one CJK character
         * finds the bigrams that start with it */
        if (k == nw - 1 || lastk[k] == STORE_TOK_CJK1)
            w += (size_t)sprintf(e + w, " *");
    }
    e[w] = '\0';
    if (nw) {
        *out = e;
        e = NULL;
    }
done:
    free(e);
    free(ws);
    free(we);
    free(lastk);
    return rc;
}

/* ---- snippets -------------------------------------------------------------------------
 * Computed here rather than with FTS5's snippet(): that one runs the whole MATCH again for
 * each row, and a prefix query merges every term of the prefix each time (measured: 50
 * snippets of "the" took 50 s at 100,000 pages). The text's tokens are compared with q's:
 * equal, or a prefix of it where q's word is a prefix. */

typedef struct {
    char *tok;
    int n, prefix;
} qtok_t;

typedef struct {
    qtok_t *v;
    size_t n, cap;
    int prefix_last;            /* set while tokenizing a word that ends as a prefix */
} qset_t;

static int qset_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    (void)flags; (void)start; (void)end;
    qset_t *q = ud;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        qtok_t *v = realloc(q->v, nc * sizeof *v);
        if (!v)
            return STORE_ENOMEM;
        q->v = v;
        q->cap = nc;
    }
    char *t = malloc((size_t)n);
    if (!t)
        return STORE_ENOMEM;
    memcpy(t, tok, (size_t)n);
    q->v[q->n++] = (qtok_t){t, n, 0};
    return 0;
}

typedef struct {
    const qset_t *q;
    int ctx, max;               /* tokens kept before the first hit; tokens in the window */
    int ring_start[8], nring;   /* byte starts of the last tokens before the first hit */
    int first;                  /* byte start of the window; -1 until the first hit */
    int taken, end, more;
    int (*hits)[2];
    size_t nhits, caphits;
} snipscan_t;

static int is_hit(const qset_t *q, const char *tok, int n)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i].prefix ? (n >= q->v[i].n && !memcmp(tok, q->v[i].tok, (size_t)q->v[i].n))
                           : (n == q->v[i].n && !memcmp(tok, q->v[i].tok, (size_t)n)))
            return 1;
    return 0;
}

enum { SNIP_DONE = 1000 };

static int snip_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    (void)flags;
    snipscan_t *s = ud;
    int hit = is_hit(s->q, tok, n);
    if (s->first < 0) {
        if (!hit) {
            s->ring_start[s->nring % s->ctx] = start;
            s->nring++;
            return 0;
        }
        s->first = s->nring >= s->ctx ? s->ring_start[s->nring % s->ctx] : 0;
        s->taken = s->nring < s->ctx ? s->nring : s->ctx;
    }
    if (s->taken >= s->max) {
        s->more = 1;
        return SNIP_DONE;
    }
    s->taken++;
    if (end > s->end)
        s->end = end;
    if (hit) {
        if (s->nhits && start <= s->hits[s->nhits - 1][1]) {   /* overlapping bigrams join */
            if (end > s->hits[s->nhits - 1][1])
                s->hits[s->nhits - 1][1] = end;
            return 0;
        }
        if (s->nhits == s->caphits) {
            size_t nc = s->caphits ? s->caphits * 2 : 16;
            int (*v)[2] = realloc(s->hits, nc * sizeof *v);
            if (!v)
                return STORE_ENOMEM;
            s->hits = v;
            s->caphits = nc;
        }
        s->hits[s->nhits][0] = start;
        s->hits[s->nhits++][1] = end;
    }
    return 0;
}

static int snip_add(store_snip_t **v, size_t *n, size_t *cap, const char *p, int len, int hit,
                    const char *pre, const char *post)
{
    if (len <= 0 && !pre && !post)
        return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        store_snip_t *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    size_t a = pre ? strlen(pre) : 0, b = post ? strlen(post) : 0;
    char *t = malloc(a + (size_t)(len > 0 ? len : 0) + b + 1);
    if (!t)
        return -1;
    memcpy(t, pre ? pre : "", a);
    for (int i = 0; i < len; i++)   /* one line: breaks and tabs become spaces */
        t[a + (size_t)i] = p[i] == '\n' || p[i] == '\t' || p[i] == '\r' ? ' ' : p[i];
    memcpy(t + a + (size_t)(len > 0 ? len : 0), post ? post : "", b + 1);
    (*v)[(*n)++] = (store_snip_t){t, hit};
    return 0;
}

int store_fts_snippet(const char *text, const char *q, int max_tokens, store_snip_t **out,
                      size_t *nout)
{
    *out = NULL;
    *nout = 0;
    qset_t qs = {0};
    snipscan_t sc = {.q = &qs, .ctx = 4, .max = max_tokens, .first = -1};
    int rc = STORE_OK;
    long lastword = -1;
    size_t qlen = strlen(q), i = 0;
    const uint8_t *p = (const uint8_t *)q;
    while (i < qlen) {          /* q's words, as store_fts_query cuts them */
        int32_t c;
        utf8proc_ssize_t step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(qlen - i), &c);
        if (step <= 0 || is_space(c)) {
            i += step <= 0 ? 1 : (size_t)step;
            continue;
        }
        size_t start = i, before = qs.n;
        while (i < qlen) {
            step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(qlen - i), &c);
            if (step <= 0 || is_space(c))
                break;
            i += (size_t)step;
        }
        int last = 0;
        if ((rc = store_fts_tokenize(q + start, (int)(i - start), STORE_TOKENIZE_QUERY, qset_cb,
                                     &qs, &last)))
            goto done;
        if (qs.n > before) {    /* prefixes as in the query: the last word, one CJK character */
            lastword = (long)qs.n - 1;
            if (last == STORE_TOK_CJK1)
                qs.v[qs.n - 1].prefix = 1;
        }
    }
    if (lastword >= 0)
        qs.v[lastword].prefix = 1;
    if (!qs.n)
        goto done;
    int len = (int)strlen(text);
    rc = store_fts_tokenize(text, len, 0, snip_cb, &sc, NULL);
    if (rc == SNIP_DONE)
        rc = STORE_OK;
    if (rc || sc.first < 0)
        goto done;
    size_t cap = 0;
    int at = sc.first;
    for (size_t h = 0; h <= sc.nhits; h++) {
        int hs = h < sc.nhits ? sc.hits[h][0] : sc.end, he = h < sc.nhits ? sc.hits[h][1] : sc.end;
        const char *pre = at == sc.first && sc.first > 0 ? "…" : NULL;
        const char *post = h == sc.nhits && sc.more ? "…" : NULL;
        if ((hs > at || pre || post) &&
            snip_add(out, nout, &cap, text + at, hs - at, 0, pre, h == sc.nhits ? post : NULL)) {
            rc = STORE_ENOMEM;
            goto done;
        }
        if (h < sc.nhits && snip_add(out, nout, &cap, text + hs, he - hs, 1, NULL, NULL)) {
            rc = STORE_ENOMEM;
            goto done;
        }
        at = he;
    }
done:
    for (size_t k = 0; k < qs.n; k++)
        free(qs.v[k].tok);
    free(qs.v);
    free(sc.hits);
    if (rc) {
        for (size_t k = 0; k < *nout; k++)
            free((*out)[k].text);
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}
