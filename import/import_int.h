/* import_int.h -- what the import/ modules share and nothing outside import/ may include:
 * the capped field, the line counter, the entry builder (entry.c), format detection
 * (detect.c), HTML entities (entity.c) and the per-format operation tables. */
#ifndef LS_IMPORT_INT_H
#define LS_IMPORT_INT_H

#include "import.h"

#include <stddef.h>
#include <stdint.h>

/* ---- capped field: fixed capacity allocated once, bytes past the cap are dropped and
 * remembered in `over`. Byte-at-a-time appends are the hot path of every tokenizer. */
typedef struct {
    char *data;   /* owned; cap + 1 bytes */
    size_t len;
    size_t cap;
    int over;     /* something was dropped */
} ifield_t;

int ifield_init(ifield_t *f, size_t cap);   /* 0 or IMPORT_ENOMEM */
void ifield_free(ifield_t *f);
void ifield_put(ifield_t *f, const char *s, size_t n);
static inline void ifield_putc(ifield_t *f, char c)
{
    if (f->len < f->cap)
        f->data[f->len++] = c;
    else
        f->over = 1;
}
static inline void ifield_reset(ifield_t *f)
{
    f->len = 0;
    f->over = 0;
}
/* NUL-terminates and returns data (valid until the next change). */
const char *ifield_cstr(ifield_t *f);

/* ---- the entry under construction ---- */
typedef struct {
    ifield_t url, title, desc;
    ifield_t tagbuf;                       /* sanitized tags, each NUL-terminated */
    size_t tagoff[IMPORT_MAX_TAGS];
    const char *tagv[IMPORT_MAX_TAGS];
    size_t ntags;
    int64_t created_ms;
    uint64_t line;
    int collapse_desc;                     /* HTML: collapse whitespace runs in descriptions */
    ifield_t scratch;                      /* UTF-8 repair of title/description */
    ifield_t scratch2;
} ient_t;

/* ---- what every format parser sees ---- */
typedef struct {
    import_entry_cb entry_cb;
    import_error_cb error_cb;
    void *ud;
    uint64_t line;          /* line of the byte being read, 1-based */
    int cr;                 /* the previous byte was CR (CRLF counts once) */
    ient_t ent;
    char errmsg[256];
} import_ctx_t;

/* Counts line ends: LF, CRLF and a lone CR each end one line. */
static inline void ictx_step(import_ctx_t *c, unsigned char ch)
{
    if (ch == '\n') {
        if (!c->cr)
            c->line++;
        c->cr = 0;
    } else if (ch == '\r') {
        c->line++;
        c->cr = 1;
    } else {
        c->cr = 0;
    }
}

/* Line formats (text, JSON Lines): cuts a chunk at line ends (LF, CR, CRLF; CRLF's LF ends
 * an empty line the formats skip). put gets each piece of the current line (a line may
 * span chunks), end is called at each line's end, before the line count moves on; *start
 * is then set to the next line's number. A non-OK return of either stops the feed and is
 * returned. */
typedef int (*iline_put_fn)(void *st, const char *p, size_t n);
typedef int (*iline_end_fn)(void *st, import_ctx_t *c);
int iline_feed(import_ctx_t *c, const unsigned char *s, size_t n, uint64_t *start,
               iline_put_fn put, iline_end_fn end, void *st);

/* Reports an entry the parser could not read. */
void ictx_error(import_ctx_t *c, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a fatal error (the input is not this format): calls the error callback, keeps
 * the message for import_parser_errmsg and returns IMPORT_EFORMAT. */
int ictx_fail(import_ctx_t *c, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int ient_init(ient_t *e);
void ient_free(ient_t *e);
void ient_reset(ient_t *e);   /* empties every field for the next entry */
/* Adds one tag (trimmed, UTF-8 repaired, capped, duplicates and empties skipped). */
void ient_add_tag(ient_t *e, const char *s, size_t n);
enum { IENT_SPLIT_COMMA = 0, IENT_SPLIT_COMMA_OR_SPACE = 1 };
/* Splits a tag list: on commas, or (COMMA_OR_SPACE) on whitespace when there is no comma. */
void ient_add_tags_split(ient_t *e, const char *s, size_t n, int mode);
/* Validates and hands the entry to the callback, then resets it. A URL that is missing,
 * too long, not UTF-8 or holds a NUL is reported instead. Returns IMPORT_OK or
 * IMPORT_STOPPED. */
int ient_emit(import_ctx_t *c);

/* Time stamps: a number is seconds, milliseconds, microseconds or nanoseconds by its
 * magnitude; a string is such a number or RFC 3339. Returns ms since the epoch, or 0. */
int64_t import_time_from_number(double v);
int64_t import_time_from_string(const char *s, size_t n);

/* UTF-8: length of the valid sequence at s (1-4), or 0 when s[0] starts none
 * (util_utf8_decode, with NUL treated as invalid). */
size_t import_utf8_seq(const unsigned char *s, size_t avail);
/* Length of s[0..n) without a trailing incomplete sequence. */
size_t import_utf8_cut(const char *s, size_t n);

/* ---- HTML character references (entity.c) ---- */
/* name[0..n) is what follows '&' (without ';'). Writes UTF-8 into out (>= 4 bytes) and
 * returns its length, or 0 when the reference is unknown. `semicolon` tells whether it was
 * terminated by ';' (a few legacy names decode without). */
size_t import_entity_decode(const char *name, size_t n, int semicolon, char out[4]);
/* Encodes a code point as UTF-8 (util_utf8_encode; U+FFFD for NUL and invalid ones).
 * Returns the length. */
size_t import_utf8_encode(uint32_t cp, char out[4]);

/* ---- format detection (detect.c) ---- */
/* Looks at the first bytes (BOM already removed). Returns 1 and sets *out when decided,
 * 0 when more bytes are needed (never when eof is set). */
int import_detect(const char *buf, size_t len, int eof, import_format_t *out);
/* Column/field name aliases shared by detection and the CSV parser. */
int import_is_url_name(const char *s, size_t n);

/* ---- JSON objects (json_map.c) ---- */
/* Parses one JSON value (an object, or a bare URL string) that started on `line`, maps its
 * fields and emits it, or reports why not. Returns IMPORT_OK or IMPORT_STOPPED. */
int import_json_emit(import_ctx_t *c, const char *buf, size_t len, uint64_t line);
/* Keys whose array value holds the bookmarks when the JSON is an object. */
int import_is_wrapper_key(const char *s, size_t n);

/* ---- one table per format ---- */
typedef struct {
    void *(*create)(import_ctx_t *c);
    int (*feed)(void *st, import_ctx_t *c, const unsigned char *s, size_t n);
    int (*finish)(void *st, import_ctx_t *c);
    void (*destroy)(void *st);
} iformat_ops_t;

extern const iformat_ops_t import_text_ops;
extern const iformat_ops_t import_netscape_ops;
extern const iformat_ops_t import_csv_ops;
extern const iformat_ops_t import_jsonl_ops;
extern const iformat_ops_t import_json_ops;

#endif
