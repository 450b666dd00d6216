/* fmt_csv.c -- CSV imports (RFC 4180, read leniently): a header row names the columns
 * (url required; title, description, tags, created optional, with aliases), quoted fields
 * may hold commas, doubled quotes and line breaks, and an entry's line is the line its
 * record starts on. Only the mapped columns are kept, each with a cap; the others are
 * skipped without buffering. Knows column names, not what the caller does with entries. */
#include "import_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { R_NONE, R_URL, R_TITLE, R_DESC, R_TAGS, R_CREATED, R_COUNT };

enum { F_START, F_UNQUOTED, F_QUOTED, F_QUOTE, F_SKIP_LINE };

#define MAX_COLUMNS 256
#define HEADER_NAME_MAX 64
#define TAGS_MAX 8192
#define CREATED_MAX 64

typedef struct {
    int state;
    int header_done;
    unsigned char role[MAX_COLUMNS];   /* column -> R_* */
    int role_rank[R_COUNT];            /* best alias rank found per role (lower wins) */
    int role_col[R_COUNT];
    size_t col;                        /* field index in the record */
    size_t rec_bytes;
    int rec_quoted;                    /* the record had a quoted field (not blank) */
    int rec_nonempty;
    uint64_t rec_line;
    ifield_t name;                     /* header field being read */
    ifield_t tags, created;
} csv_t;

/* Aliases per role, best first. */
static const char *const url_names[] = {"url", "href", "link", "uri", NULL};
static const char *const title_names[] = {"title", "name", NULL};
static const char *const desc_names[] = {"description", "extended", "note", "notes",
                                         "excerpt", "comment", NULL};
static const char *const tags_names[] = {"tags", "tag", "labels", "keywords", NULL};
static const char *const created_names[] = {"created", "created_at", "createdat", "date_added",
                                            "time", "date", "added", "add_date",
                                            "timestamp", NULL};

static void *csv_create(import_ctx_t *c)
{
    csv_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (ifield_init(&t->name, HEADER_NAME_MAX) || ifield_init(&t->tags, TAGS_MAX) ||
        ifield_init(&t->created, CREATED_MAX)) {
        ifield_free(&t->name);
        ifield_free(&t->tags);
        ifield_free(&t->created);
        free(t);
        return NULL;
    }
    for (int r = 0; r < R_COUNT; r++) {
        t->role_rank[r] = 1 << 20;
        t->role_col[r] = -1;
    }
    t->rec_line = c->line;
    return t;
}

static void csv_destroy(void *st)
{
    csv_t *t = st;
    if (!t)
        return;
    ifield_free(&t->name);
    ifield_free(&t->tags);
    ifield_free(&t->created);
    free(t);
}

static int rank_in(const char *s, size_t n, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
            return i;
    return -1;
}

/* A header field is complete: maybe it names a role better than an earlier column. */
static void header_field(csv_t *t)
{
    static const char *const *const lists[R_COUNT] = {
        NULL, url_names, title_names, desc_names, tags_names, created_names};
    const char *s = t->name.data;
    size_t n = t->name.len;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (t->col >= MAX_COLUMNS || t->name.over)
        return;
    for (int r = 1; r < R_COUNT; r++) {
        int rank = rank_in(s, n, lists[r]);
        if (rank >= 0 && rank < t->role_rank[r]) {
            t->role_rank[r] = rank;
            t->role_col[r] = (int)t->col;
        }
    }
}

static ifield_t *field_sink(csv_t *t, import_ctx_t *c)
{
    if (!t->header_done)
        return &t->name;
    if (t->col >= MAX_COLUMNS)
        return NULL;
    switch (t->role[t->col]) {
    case R_URL: return &c->ent.url;
    case R_TITLE: return &c->ent.title;
    case R_DESC: return &c->ent.desc;
    case R_TAGS: return &t->tags;
    case R_CREATED: return &t->created;
    default: return NULL;
    }
}

static void field_end(csv_t *t)
{
    if (!t->header_done) {
        header_field(t);
        ifield_reset(&t->name);
    }
    t->col++;
}

static void record_reset(csv_t *t, import_ctx_t *c)
{
    t->col = 0;
    t->rec_bytes = 0;
    t->rec_quoted = 0;
    t->rec_nonempty = 0;
    ient_reset(&c->ent);
    ifield_reset(&t->tags);
    ifield_reset(&t->created);
    ifield_reset(&t->name);
}

static int header_end(csv_t *t, import_ctx_t *c)
{
    if (t->role_col[R_URL] < 0)
        return ictx_fail(c, t->rec_line,
                         "CSV header has no url column (name one column url, href or link)");
    for (int r = 1; r < R_COUNT; r++)
        if (t->role_col[r] >= 0)
            t->role[t->role_col[r]] = (unsigned char)r;
    t->header_done = 1;
    return IMPORT_OK;
}

/* The record ended (line break outside quotes, or end of input). */
static int record_end(csv_t *t, import_ctx_t *c)
{
    int rc = IMPORT_OK;
    int blank = t->col == 0 && !t->rec_nonempty && !t->rec_quoted;
    field_end(t);
    if (blank)
        goto done;
    if (!t->header_done) {
        rc = header_end(t, c);
        goto done;
    }
    if (c->ent.url.len == 0 && !c->ent.url.over) {
        ictx_error(c, t->rec_line, "record has an empty url field");
        goto done;
    }
    c->ent.line = t->rec_line;
    ient_add_tags_split(&c->ent, t->tags.data, t->tags.len, IENT_SPLIT_COMMA);
    c->ent.created_ms = import_time_from_string(t->created.data, t->created.len);
    rc = ient_emit(c);
done:
    record_reset(t, c);
    return rc;
}

static int csv_feed(void *st, import_ctx_t *c, const unsigned char *s, size_t n)
{
    csv_t *t = st;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        int rc = IMPORT_OK;
        int eol = ch == '\n' || ch == '\r';
        if (t->state != F_SKIP_LINE && ++t->rec_bytes > IMPORT_MAX_RECORD) {
            ictx_error(c, t->rec_line, "record longer than %d bytes (unbalanced quote?)",
                       IMPORT_MAX_RECORD);
            t->state = F_SKIP_LINE;
        }
        switch (t->state) {
        case F_SKIP_LINE:
            if (eol) {
                record_reset(t, c);
                t->state = F_START;
            }
            break;
        case F_START:
            if (ch == '"') {
                t->rec_quoted = 1;
                t->state = F_QUOTED;
            } else if (ch == ',') {
                field_end(t);
            } else if (eol) {
                rc = record_end(t, c);
            } else if (ch != ' ' && ch != '\t') {
                ifield_t *f = field_sink(t, c);
                if (f)
                    ifield_putc(f, (char)ch);
                t->rec_nonempty = 1;
                t->state = F_UNQUOTED;
            }
            break;
        case F_UNQUOTED:
            if (ch == ',') {
                field_end(t);
                t->state = F_START;
            } else if (eol) {
                rc = record_end(t, c);
                t->state = F_START;
            } else {
                ifield_t *f = field_sink(t, c);
                if (f)
                    ifield_putc(f, (char)ch);
            }
            break;
        case F_QUOTED:
            if (ch == '"') {
                t->state = F_QUOTE;
            } else {
                ifield_t *f = field_sink(t, c);
                if (f)
                    ifield_putc(f, (char)ch);
            }
            break;
        case F_QUOTE:
            if (ch == '"') { /* a doubled quote */
                ifield_t *f = field_sink(t, c);
                if (f)
                    ifield_putc(f, '"');
                t->state = F_QUOTED;
            } else if (ch == ',') {
                field_end(t);
                t->state = F_START;
            } else if (eol) {
                rc = record_end(t, c);
                t->state = F_START;
            } else { /* text after the closing quote: keep it, leniently */
                ifield_t *f = field_sink(t, c);
                if (f)
                    ifield_putc(f, (char)ch);
                t->state = F_UNQUOTED;
            }
            break;
        }
        ictx_step(c, ch);
        if (eol && t->state == F_START && t->col == 0 && t->rec_bytes == 0)
            t->rec_line = c->line;
        if (rc != IMPORT_OK)
            return rc;
    }
    return IMPORT_OK;
}

static int csv_finish(void *st, import_ctx_t *c)
{
    csv_t *t = st;
    if (t->state == F_QUOTED) {
        ictx_error(c, t->rec_line, "unterminated quoted field at the end of the file");
        return IMPORT_OK;
    }
    if (t->state == F_SKIP_LINE)
        return IMPORT_OK;
    int rc = record_end(t, c);
    if (rc == IMPORT_OK && !t->header_done)
        rc = ictx_fail(c, 1, "CSV input has no header row");
    return rc;
}

const iformat_ops_t import_csv_ops = {csv_create, csv_feed, csv_finish, csv_destroy};
