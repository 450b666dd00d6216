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

#include "buf.h"
#include "store_int.h"
#include "util.h"

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

/* ---- the vocabulary ------------------------------------------------------------------
 * text_terms holds every term that went into text_fts. A query's prefix becomes the OR of
 * its completions found here (see store_fts_query): FTS5 merges the whole doclists of a
 * prefix's terms before anything else (640 ms for `the*` at 100,000 pages), while it
 * reads an OR of terms lazily. Terms are only added: a deleted page's words stay until a
 * reindex, and a term without a page costs a query nothing. */

typedef struct {
    uint64_t h;                 /* 0: empty */
    uint32_t off, len;          /* the term in the arena */
} term_slot_t;

typedef struct {
    term_slot_t *slot;
    size_t nslot, used;         /* nslot: a power of two */
    char *arena;
    size_t narena, caparena;
} term_set_t;

/* At most this many terms are remembered as being in text_terms (about 3 MB); the
 * frequent ones come first, and they are what a page repeats. */
#define KNOWN_TERMS_MAX 65536

struct store_terms {
    int on;
    term_set_t batch;           /* the terms noted since collect */
    /* terms that this connection found in text_terms, or put there, in what has been
     * committed (flush skips them): forgotten when text_terms loses rows (a rollback, a
     * reindex) or another connection has committed (PRAGMA data_version moved) */
    term_set_t known;
    int64_t known_version;
};

static int set_grow(term_set_t *t)
{
    size_t n = t->nslot ? t->nslot * 2 : 1024;
    term_slot_t *v = calloc(n, sizeof *v);
    if (!v)
        return STORE_ENOMEM;
    for (size_t i = 0; i < t->nslot; i++) {
        if (!t->slot[i].h)
            continue;
        size_t j = (size_t)t->slot[i].h & (n - 1);
        while (v[j].h)
            j = (j + 1) & (n - 1);
        v[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = v;
    t->nslot = n;
    return STORE_OK;
}

/* The slot where tok is, or the empty one where it would go (the set has one free). */
static term_slot_t *set_slot(const term_set_t *t, uint64_t h, const char *tok, int n)
{
    size_t j = (size_t)h & (t->nslot - 1);
    for (; t->slot[j].h; j = (j + 1) & (t->nslot - 1))
        if (t->slot[j].h == h && t->slot[j].len == (uint32_t)n &&
            !memcmp(t->arena + t->slot[j].off, tok, (size_t)n))
            break;
    return &t->slot[j];
}

static int set_has(const term_set_t *t, const char *tok, int n)
{
    return t->used && set_slot(t, util_fnv1a64(tok, (size_t)n) | 1, tok, n)->h != 0;
}

static int set_add(term_set_t *t, const char *tok, int n)
{
    if ((t->used + 1) * 2 > t->nslot && set_grow(t))
        return STORE_ENOMEM;
    uint64_t h = util_fnv1a64(tok, (size_t)n) | 1;
    term_slot_t *slot = set_slot(t, h, tok, n);
    if (slot->h)
        return STORE_OK;
    if (t->narena + (size_t)n > t->caparena) {
        size_t c = t->caparena ? t->caparena * 2 : 16384;
        while (c < t->narena + (size_t)n)
            c *= 2;
        char *a = realloc(t->arena, c);
        if (!a)
            return STORE_ENOMEM;
        t->arena = a;
        t->caparena = c;
    }
    memcpy(t->arena + t->narena, tok, (size_t)n);
    *slot = (term_slot_t){h, (uint32_t)t->narena, (uint32_t)n};
    t->narena += (size_t)n;
    t->used++;
    return STORE_OK;
}

static void set_clear(term_set_t *t)
{
    if (t->used)
        memset(t->slot, 0, t->nslot * sizeof *t->slot);
    t->used = 0;
    t->narena = 0;
}

static void set_free(term_set_t *t)
{
    free(t->slot);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

static int terms_add(store_terms_t *t, const char *tok, int n)
{
    return set_add(&t->batch, tok, n);
}

static void terms_clear(store_terms_t *t)
{
    set_clear(&t->batch);
    t->on = 0;
}

void store_fts_terms_forget(store_t *s)
{
    if (s->terms)
        set_clear(&s->terms->known);
}

int store_fts_terms_collect(store_t *s)
{
    if (!s->terms && !(s->terms = calloc(1, sizeof *s->terms)))
        return store_fail(s, STORE_ENOMEM, "out of memory");
    terms_clear(s->terms);
    /* a file opened at a version before 10 (store_open_at_version) has no vocabulary */
    s->terms->on = sqlite3_table_column_metadata(s->db, "main", "text_terms", "term", NULL, NULL,
                                                 NULL, NULL, NULL) == SQLITE_OK;
    return STORE_OK;
}

/* Forgets the known terms when another connection has committed since the last look:
 * it may have emptied text_terms (a reindex). */
static int terms_check_version(store_t *s, store_terms_t *t)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        if (v != t->known_version)
            set_clear(&t->known);
        t->known_version = v;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int store_fts_terms_flush(store_t *s)
{
    store_terms_t *t = s->terms;
    if (!t)
        return STORE_OK;
    t->on = 0;
    if (!t->batch.used)
        return STORE_OK;
    sqlite3_stmt *st = NULL;
    int rc = terms_check_version(s, t);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "INSERT OR IGNORE INTO text_terms(term) VALUES (?1)", -1,
                                SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        terms_clear(t);
        return store_fail_sqlite(s, rc, "note the index's terms");
    }
    const term_set_t *b = &t->batch;
    for (size_t i = 0; i < b->nslot && rc == SQLITE_OK; i++) {
        if (!b->slot[i].h)
            continue;
        const char *tok = b->arena + b->slot[i].off;
        int n = (int)b->slot[i].len;
        if (set_has(&t->known, tok, n))
            continue;
        sqlite3_bind_text(st, 1, tok, n, SQLITE_STATIC);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
        if (rc == SQLITE_OK && t->known.used < KNOWN_TERMS_MAX &&
            set_add(&t->known, tok, n) != STORE_OK)
            set_clear(&t->known);   /* out of memory: the next flush writes them all */
    }
    sqlite3_finalize(st);
    terms_clear(t);
    return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, "note the index's terms");
}

void store_fts_terms_release(store_t *s)
{
    /* between calls: the batch set is empty then, and the known terms are only a cache */
    if (s->terms) {
        set_free(&s->terms->batch);
        set_free(&s->terms->known);
    }
}

void store_fts_terms_free(store_t *s)
{
    if (!s->terms)
        return;
    set_free(&s->terms->batch);
    set_free(&s->terms->known);
    free(s->terms);
    s->terms = NULL;
}

static int collect_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    (void)flags; (void)start; (void)end;
    return terms_add(ud, tok, n);
}

int store_fts_terms_rebuild(store_t *s)
{
    sqlite3_stmt *st;
    store_fts_terms_forget(s);
    int rc = store_exec(s, "DELETE FROM text_terms");
    if (rc)
        return rc;
    if ((rc = sqlite3_prepare_v2(s->db, "SELECT text FROM text_docs", -1, &st, NULL)) != SQLITE_OK)
        return store_fail_sqlite(s, rc, "read the indexed texts");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        int r2 = store_fts_terms_collect(s);
        if (!r2 && text)
            r2 = store_fts_tokenize(text, len, 0, collect_cb, s->terms, NULL);
        if (r2 == STORE_ENOMEM)
            r2 = store_fail(s, STORE_ENOMEM, "out of memory");
        if (r2 || (r2 = store_fts_terms_flush(s))) {
            sqlite3_finalize(st);
            store_fts_terms_forget(s);
            return r2;
        }
    }
    sqlite3_finalize(st);
    store_fts_terms_forget(s);   /* the migration that runs this may yet roll back */
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "read the indexed texts");
}

/* ---- FTS5 glue ---------------------------------------------------------------------- */

typedef struct {
    void *ctx;
    int (*xToken)(void *, int, const char *, int, int, int);
    store_terms_t *terms;       /* noting the terms of a document, or NULL */
} fts_ctx_t;

static int fts_token_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    fts_ctx_t *c = ud;
    if (c->terms && terms_add(c->terms, tok, n))
        return STORE_ENOMEM;
    return c->xToken(c->ctx, flags & STORE_TOK_COLOCATED ? FTS5_TOKEN_COLOCATED : 0, tok, n,
                     start, end);
}

/* One tokenizer per FTS5 table of a connection: its flags and the connection's store. */
typedef struct {
    int flags;
    store_t *s;
} tok_inst_t;

/* The one argument: "unigrams", the alternative measured in docs/benchmarks.md. */
static int tok_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
    if (argc > 1 || (argc == 1 && strcmp(argv[0], "unigrams")))
        return SQLITE_ERROR;
    tok_inst_t *t = sqlite3_malloc(sizeof *t);
    if (!t)
        return SQLITE_NOMEM;
    t->flags = argc ? STORE_TOKENIZE_UNIGRAMS : 0;
    t->s = ud;
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t) { sqlite3_free(t); }

static int tok_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text, int len,
                        int (*xToken)(void *, int, const char *, int, int, int))
{
    const tok_inst_t *t = (const tok_inst_t *)tk;
    int query = (flags & FTS5_TOKENIZE_QUERY) != 0;
    fts_ctx_t c = {ctx, xToken,
                   !query && t->s && t->s->terms && t->s->terms->on ? t->s->terms : NULL};
    int mode = t->flags | (query ? STORE_TOKENIZE_QUERY : 0);
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
    rc = api->xCreateTokenizer(api, "linksnap", s, &tok, NULL);
    return rc == SQLITE_OK ? STORE_OK : store_fail_sqlite(s, rc, "register the linksnap tokenizer");
}

/* ---- the MATCH expression ------------------------------------------------------------ */

/* p[0..n) as an FTS5 string: in double quotes, a quote doubled. 0 or -ENOMEM. */
static int put_quoted(buf_t *b, const char *p, size_t n)
{
    int rc = buf_append(b, "\"", 1);
    for (size_t i = 0; i < n && !rc; i++)
        rc = buf_append(b, p[i] == '"' ? "\"\"" : p + i, p[i] == '"' ? 2 : 1);
    return rc ? rc : buf_append(b, "\"", 1);
}

typedef struct {
    int n, last;
    char first[WORD_MAX_BYTES + UNIT_MAX_BYTES];   /* the first token */
    int nfirst;
} wordtok_t;

static int wordtok_cb(void *ud, int flags, const char *tok, int n, int start, int end)
{
    (void)flags; (void)start; (void)end;
    wordtok_t *w = ud;
    if (w->n++ == 0 && n <= (int)sizeof w->first) {
        memcpy(w->first, tok, (size_t)n);
        w->nfirst = n;
    }
    return 0;
}

static int is_space(int32_t c)
{
    return c <= 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
           utf8proc_category(c) == UTF8PROC_CATEGORY_ZS || c == 0x2028 || c == 0x2029;
}

#define PREFIX_TERMS_MAX 64      /* completions a prefix is spelled out with, at most */

/* A one-token prefix as the OR of all its completions in text_terms (see the vocabulary),
 * when there are at most PREFIX_TERMS_MAX: the same documents as FTS5's prefix, read
 * lazily. A prefix with more (one or two letters, a common CJK character) stays FTS5's:
 * slower, and exact, which a bulk user of the filter (tag.apply) needs.
 * Returns 1 when written, 0 to use FTS5's prefix, or STORE_ENOMEM. */
static int prefix_terms(store_t *s, const char *tok, int n, buf_t *out)
{
    char hi[sizeof ((wordtok_t *)0)->first];
    if (n < 1 || n > (int)sizeof hi || (unsigned char)tok[n - 1] == 0xFF)
        return 0;
    memcpy(hi, tok, (size_t)n);
    hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);   /* past every string tok starts */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT term FROM text_terms WHERE term >= ?1 AND term < ?2 "
                           "LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
        return 0;               /* no vocabulary (an older file read as it is) */
    sqlite3_bind_text(st, 1, tok, n, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, n, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, PREFIX_TERMS_MAX + 1);
    buf_t b;
    buf_init(&b, 0);
    int count = 0;
    int rc = buf_append_str(&b, "(") || put_quoted(&b, tok, (size_t)n);   /* the word itself */
    while (!rc && sqlite3_step(st) == SQLITE_ROW && ++count <= PREFIX_TERMS_MAX) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int tn = sqlite3_column_bytes(st, 0);
        if (t && !(tn == n && !memcmp(t, tok, (size_t)n)))
            rc = buf_append_str(&b, " OR ") || put_quoted(&b, t, (size_t)tn);
    }
    sqlite3_finalize(st);
    if (!rc && count <= PREFIX_TERMS_MAX)   /* else too many: FTS5's prefix */
        rc = buf_append_str(&b, ")") || buf_append(out, b.data, b.len);
    int written = !rc && count <= PREFIX_TERMS_MAX;
    buf_free(&b);
    return rc ? STORE_ENOMEM : written;
}

int store_fts_query(store_t *s, const char *q, char **out)
{
    *out = NULL;
    size_t qlen = strlen(q), nw = 0, i = 0;
    size_t *ws = malloc((qlen + 1) * sizeof *ws), *we = malloc((qlen + 1) * sizeof *we);
    wordtok_t *wt = malloc((qlen + 1) * sizeof *wt);
    buf_t b;
    buf_init(&b, 0);
    int rc = STORE_OK;
    if (!ws || !we || !wt) {
        rc = STORE_ENOMEM;
        goto done;
    }
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
        wordtok_t *w = &wt[nw];
        w->n = 0;
        w->nfirst = 0;
        if ((rc = store_fts_tokenize(q + start, (int)(i - start), STORE_TOKENIZE_QUERY, wordtok_cb,
                                     w, &w->last)))
            goto done;
        if (w->n == 0)
            continue;           /* punctuation only: nothing to look for */
        ws[nw] = start;
        we[nw++] = i;
    }
    int oom = 0;
    for (size_t k = 0; k < nw && !oom; k++) {
        if (k)
            oom = buf_append_str(&b, " AND ");
        /* the last word is a prefix while typing; a word ending in one CJK character
         * finds the bigrams that start with it */
        int prefix = k == nw - 1 || wt[k].last == STORE_TOK_CJK1;
        if (prefix && s && wt[k].n == 1 && wt[k].nfirst) {
            int r = prefix_terms(s, wt[k].first, wt[k].nfirst, &b);
            if (r < 0) {
                rc = STORE_ENOMEM;
                goto done;
            }
            if (r == 1)
                continue;
        }
        oom = oom || put_quoted(&b, q + ws[k], we[k] - ws[k]) ||
              (prefix && buf_append_str(&b, " *"));
    }
    if (oom) {
        rc = STORE_ENOMEM;
        goto done;
    }
    if (nw && !(*out = buf_take(&b, NULL)))
        rc = STORE_ENOMEM;
done:
    buf_free(&b);
    free(ws);
    free(we);
    free(wt);
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

/* Where the snippet's scan may start: a little before the earliest place where one of q's
 * tokens stands as it is (ASCII without regard to case), at a space where there is one.
 * The scan then still finds only real hits, from there on; a token only in a folded form
 * (É for e, full-width letters) is found from the text's start. Saves tokenizing the
 * whole text up to a hit deep in a long page. */
static int snip_start(const char *text, const qset_t *q)
{
    const char *first = NULL;
    for (size_t i = 0; i < q->n; i++) {
        const qtok_t *t = &q->v[i];
        char tok[WORD_MAX_BYTES + UNIT_MAX_BYTES + 1];
        if (t->n < 1 || t->n >= (int)sizeof tok)
            return 0;
        memcpy(tok, t->tok, (size_t)t->n);
        tok[t->n] = '\0';
        int ascii = 1;
        for (int k = 0; k < t->n; k++)
            ascii &= (unsigned char)tok[k] < 0x80;
        const char *at = ascii ? strcasestr(text, tok) : strstr(text, tok);
        if (!at)
            return 0;           /* perhaps only folded: scan it all */
        if (!first || at < first)
            first = at;
    }
    if (!first || first - text < 160)
        return 0;
    const char *p = first - 160;
    while (p < first && ((unsigned char)*p & 0xC0) == 0x80)   /* a character's start */
        p++;
    for (const char *sp = p; sp < first; sp++)
        if (*sp == ' ' || *sp == '\n') {
            p = sp + 1;
            break;
        }
    return (int)(p - text);
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
    int off = snip_start(text, &qs);
    text += off;
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
        const char *pre = at == sc.first && (sc.first > 0 || off > 0) ? "…" : NULL;
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
