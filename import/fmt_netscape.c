/* fmt_netscape.c -- Netscape bookmark HTML (Firefox, Chrome, Safari, Edge, Pocket,
 * Shaarli exports): a forgiving streaming tokenizer (tags in any case, quoted and unquoted
 * attributes, entities, comments, unclosed <DT>/<p>) under a small tree walker that keeps
 * the folder stack (<H3> named, pushed at <DL>, popped at </DL>), attaches <DD> text to the
 * bookmark before it, and turns folders into tags. Only the attributes it needs are kept,
 * each with a cap; ICON data and everything else is skipped byte by byte. */
#include "import_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* tokenizer states */
enum {
    S_TEXT,
    S_TAG_OPEN,       /* after '<' */
    S_END_TAG_OPEN,   /* after '</' */
    S_TAG_NAME,
    S_BEFORE_ATTR,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_VALUE,
    S_VALUE_DQ,
    S_VALUE_SQ,
    S_VALUE_UNQ,
    S_MARKUP,         /* after '<!' */
    S_COMMENT,
    S_BOGUS,          /* <!DOCTYPE ...>, <?...>, </ junk>: skipped to '>' */
    S_ENTITY,
};

/* tags the walker cares about */
enum { T_OTHER, T_A, T_H3, T_DL, T_DT, T_DD, T_HR, T_HEADING, T_ROOT };

/* attributes kept */
enum { A_NONE, A_HREF, A_DATE, A_TAGS };

/* where text goes */
enum { C_NONE, C_TITLE, C_FOLDER, C_DESC };

#define TAG_NAME_MAX 15
#define ATTR_NAME_MAX 31
#define ENTITY_MAX 32
#define DATE_MAX 32
#define TAGS_ATTR_MAX 8192
#define FOLDER_RAW_MAX 1024

typedef struct {
    char name[IMPORT_MAX_TAG + 1];
    size_t len;    /* 0: a list without a heading */
    int root;      /* a browser root folder: gives no tag */
} folder_t;

typedef struct {
    int state, ret_state;
    int rc;                         /* sticky stop */
    char ent[ENTITY_MAX + 1];
    size_t ent_len;
    char tag[TAG_NAME_MAX + 1];
    size_t tag_len;
    int tag_end, tag_over, kind;
    uint64_t tag_line;
    char attr[ATTR_NAME_MAX + 1];
    size_t attr_len;
    int attr_over, attr_id;
    int dashes;

    int collect;                    /* C_*: where text goes */
    int in_anchor;                  /* an <A> is being read into c->ent */
    int in_h3;
    int pending;                    /* a complete bookmark, waiting for a <DD> */
    int pending_has_desc;
    ifield_t date, tags, fname;
    int fname_root_attr;

    folder_t next_folder;           /* closed <H3>, waiting for its <DL> */
    int have_next_folder;
    folder_t folders[IMPORT_MAX_FOLDER_DEPTH];
    size_t depth;                   /* open <DL>s; may exceed the stack */
    int depth_reported;
} ns_t;

static void *ns_create(import_ctx_t *c)
{
    ns_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (ifield_init(&t->date, DATE_MAX) || ifield_init(&t->tags, TAGS_ATTR_MAX) ||
        ifield_init(&t->fname, FOLDER_RAW_MAX)) {
        ifield_free(&t->date);
        ifield_free(&t->tags);
        ifield_free(&t->fname);
        free(t);
        return NULL;
    }
    (void)c;
    return t;
}

static void ns_destroy(void *st)
{
    ns_t *t = st;
    if (!t)
        return;
    ifield_free(&t->date);
    ifield_free(&t->tags);
    ifield_free(&t->fname);
    free(t);
}

/* ---- the walker ---- */

static int tag_kind(const char *name)
{
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {{"a", T_A},       {"h3", T_H3},      {"dl", T_DL},      {"dt", T_DT},
                 {"dd", T_DD},     {"hr", T_HR},      {"h1", T_HEADING}, {"h2", T_HEADING},
                 {"h4", T_HEADING}, {"h5", T_HEADING}, {"h6", T_HEADING}, {"body", T_ROOT},
                 {"html", T_ROOT}, {"head", T_ROOT},  {"title", T_HEADING}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return kinds[i].kind;
    return T_OTHER;
}

/* Folder names browsers give their own roots (matched only outside named folders). */
static int is_root_name(const char *s, size_t n)
{
    static const char *const names[] = {
        "Bookmarks Toolbar", "Bookmarks bar", "Bookmarks Menu", "Other Bookmarks",
        "Mobile Bookmarks", "Unsorted Bookmarks", "Bookmarks Toolbar Folder", "Favorites",
        "Favorites bar", "Favourites bar", "Other favorites", "Other favourites",
        "Mobile favorites", "BookmarksBar", "BookmarksMenu", NULL};
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && strncasecmp(*p, s, n) == 0)
            return 1;
    return 0;
}

static int is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

static void anchor_close(ns_t *t)
{
    t->in_anchor = 0;
    t->pending = 1;
    t->pending_has_desc = 0;
}

static void h3_close(ns_t *t)
{
    ifield_t *f = &t->fname;
    /* collapse whitespace into the folder slot, cut at the cap on a character boundary */
    folder_t *d = &t->next_folder;
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < f->len && o < IMPORT_MAX_TAG; i++) {
        unsigned char ch = (unsigned char)f->data[i];
        if (is_space(ch)) {
            space = o > 0;
            continue;
        }
        if (space && o + 1 < IMPORT_MAX_TAG)
            d->name[o++] = ' ';
        space = 0;
        d->name[o++] = (char)ch;
    }
    if (o == IMPORT_MAX_TAG || f->over)
        o = import_utf8_cut(d->name, o);
    d->name[o] = '\0';
    d->len = o;
    /* a root folder: marked by attribute anywhere, or by its name when no named folder
     * encloses it */
    int top = 1;
    for (size_t i = 0; i < t->depth && i < IMPORT_MAX_FOLDER_DEPTH; i++)
        if (t->folders[i].len)
            top = 0;
    d->root = t->fname_root_attr || (top && is_root_name(d->name, d->len));
    t->have_next_folder = 1;
    t->in_h3 = 0;
}

static void close_text(ns_t *t)
{
    if (t->in_anchor && t->collect == C_TITLE)
        anchor_close(t);
    if (t->in_h3 && t->collect == C_FOLDER)
        h3_close(t);
    t->collect = C_NONE;
}

/* Emits the pending bookmark, if any. */
static void flush(ns_t *t, import_ctx_t *c)
{
    if (!t->pending)
        return;
    t->pending = 0;
    ient_t *e = &c->ent;
    size_t n = t->depth < IMPORT_MAX_FOLDER_DEPTH ? t->depth : IMPORT_MAX_FOLDER_DEPTH;
    for (size_t i = 0; i < n; i++)
        if (t->folders[i].len && !t->folders[i].root)
            ient_add_tag(e, t->folders[i].name, t->folders[i].len);
    ient_add_tags_split(e, t->tags.data, t->tags.len, IENT_SPLIT_COMMA);
    e->created_ms = import_time_from_string(t->date.data, t->date.len);
    if (ient_emit(c) != IMPORT_OK)
        t->rc = IMPORT_STOPPED;
}

static void push_folder(ns_t *t, import_ctx_t *c)
{
    if (t->depth < IMPORT_MAX_FOLDER_DEPTH) {
        folder_t *d = &t->folders[t->depth];
        if (t->have_next_folder) {
            *d = t->next_folder;
        } else {
            d->len = 0;
            d->root = 0;
        }
    } else if (!t->depth_reported) {
        ictx_error(c, t->tag_line,
                   "folders nested deeper than %d; the deeper folder names give no tags",
                   IMPORT_MAX_FOLDER_DEPTH);
        t->depth_reported = 1;
    }
    t->depth++;
    t->have_next_folder = 0;
}

/* The tag name is complete (attributes may follow). */
static void name_done(ns_t *t, import_ctx_t *c)
{
    t->tag[t->tag_len] = '\0';
    t->kind = t->tag_over ? T_OTHER : tag_kind(t->tag);
    if (!t->tag_end) {
        switch (t->kind) {
        case T_A:
            close_text(t);
            flush(t, c);
            ient_reset(&c->ent);
            c->ent.line = t->tag_line;
            ifield_reset(&t->date);
            ifield_reset(&t->tags);
            t->in_anchor = 1;
            t->have_next_folder = 0;
            break;
        case T_H3:
            close_text(t);
            flush(t, c);
            ifield_reset(&t->fname);
            t->fname_root_attr = 0;
            t->in_h3 = 1;
            t->have_next_folder = 0;
            break;
        case T_DD:
            close_text(t); /* the bookmark stays pending: the <DD> is its description */
            break;
        case T_DL:
        case T_DT:
        case T_HR:
        case T_HEADING:
        case T_ROOT:
            close_text(t);
            flush(t, c);
            break;
        default:
            break; /* inline markup (<p>, <b>, ...) changes nothing */
        }
        return;
    }
    switch (t->kind) {
    case T_A:
        if (t->collect == C_TITLE)
            close_text(t);
        break;
    case T_H3:
        if (t->collect == C_FOLDER)
            close_text(t);
        break;
    case T_DD:
        if (t->collect == C_DESC)
            close_text(t);
        break;
    case T_DL:
        close_text(t);
        flush(t, c);
        if (t->depth > 0)
            t->depth--;
        break;
    case T_ROOT:
        close_text(t);
        flush(t, c);
        break;
    default:
        break;
    }
}

/* The tag's '>' was read. */
static void tag_done(ns_t *t, import_ctx_t *c)
{
    if (t->tag_end)
        return;
    switch (t->kind) {
    case T_A:
        if (t->in_anchor)
            t->collect = C_TITLE;
        break;
    case T_H3:
        t->collect = C_FOLDER;
        break;
    case T_DL:
        push_folder(t, c);
        break;
    case T_DD:
        if (t->pending && !t->pending_has_desc) {
            t->collect = C_DESC;
            t->pending_has_desc = 1;
        }
        break;
    default:
        break;
    }
}

static void attr_name_done(ns_t *t, import_ctx_t *c)
{
    t->attr[t->attr_len] = '\0';
    t->attr_id = A_NONE;
    if (t->attr_over)
        return;
    if (t->kind == T_A && !t->tag_end && t->in_anchor) {
        if (strcmp(t->attr, "href") == 0) {
            t->attr_id = A_HREF;
            ifield_reset(&c->ent.url);
        } else if (strcmp(t->attr, "add_date") == 0 || strcmp(t->attr, "time_added") == 0) {
            t->attr_id = A_DATE;
            ifield_reset(&t->date);
        } else if (strcmp(t->attr, "tags") == 0) {
            t->attr_id = A_TAGS;
            ifield_reset(&t->tags);
        }
    } else if (t->kind == T_H3 && !t->tag_end) {
        if (strcmp(t->attr, "personal_toolbar_folder") == 0 ||
            strcmp(t->attr, "unfiled_bookmarks_folder") == 0)
            t->fname_root_attr = 1;
    }
}

static ifield_t *attr_sink(ns_t *t, import_ctx_t *c)
{
    switch (t->attr_id) {
    case A_HREF: return &c->ent.url;
    case A_DATE: return &t->date;
    case A_TAGS: return &t->tags;
    default: return NULL;
    }
}

static ifield_t *text_sink(ns_t *t, import_ctx_t *c)
{
    switch (t->collect) {
    case C_TITLE: return &c->ent.title;
    case C_FOLDER: return &t->fname;
    case C_DESC: return &c->ent.desc;
    default: return NULL;
    }
}

static int in_value(int state)
{
    return state == S_VALUE_DQ || state == S_VALUE_SQ || state == S_VALUE_UNQ;
}

/* Writes the entity read so far (decoded, or literally when unknown). */
static void entity_flush(ns_t *t, import_ctx_t *c, int semicolon)
{
    ifield_t *sink = in_value(t->ret_state) ? attr_sink(t, c) : text_sink(t, c);
    if (!sink)
        return;
    char out[4];
    size_t n = import_entity_decode(t->ent, t->ent_len, semicolon, out);
    if (n) {
        ifield_put(sink, out, n);
        return;
    }
    ifield_putc(sink, '&');
    ifield_put(sink, t->ent, t->ent_len);
    if (semicolon)
        ifield_putc(sink, ';');
}

static int is_alpha(unsigned char ch) { return (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'; }
static int is_alnum(unsigned char ch) { return is_alpha(ch) || (ch >= '0' && ch <= '9'); }
static char lower(unsigned char ch) { return (char)(ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch); }

static void name_put(ns_t *t, unsigned char ch)
{
    if (t->tag_len < TAG_NAME_MAX)
        t->tag[t->tag_len++] = lower(ch);
    else
        t->tag_over = 1;
}

static void attr_put(ns_t *t, unsigned char ch)
{
    if (t->attr_len < ATTR_NAME_MAX)
        t->attr[t->attr_len++] = lower(ch);
    else
        t->attr_over = 1;
}

static void start_tag(ns_t *t, int end)
{
    t->tag_len = 0;
    t->tag_over = 0;
    t->tag_end = end;
    t->kind = T_OTHER;
}

static void start_attr(ns_t *t)
{
    t->attr_len = 0;
    t->attr_over = 0;
    t->attr_id = A_NONE;
}

/* One byte. Returns 1 when the byte must be read again in the new state. */
static int step(ns_t *t, import_ctx_t *c, unsigned char ch)
{
    ifield_t *sink;
    switch (t->state) {
    case S_TEXT:
        if (ch == '<') {
            t->tag_line = c->line;
            t->state = S_TAG_OPEN;
        } else if ((sink = text_sink(t, c)) != NULL) {
            if (ch == '&') {
                t->ret_state = S_TEXT;
                t->ent_len = 0;
                t->state = S_ENTITY;
            } else {
                ifield_putc(sink, (char)ch);
            }
        }
        return 0;
    case S_TAG_OPEN:
        if (ch == '!') {
            t->dashes = 0;
            t->state = S_MARKUP;
        } else if (ch == '/') {
            t->state = S_END_TAG_OPEN;
        } else if (ch == '?') {
            t->state = S_BOGUS;
        } else if (is_alpha(ch)) {
            start_tag(t, 0);
            name_put(t, ch);
            t->state = S_TAG_NAME;
        } else {
            if ((sink = text_sink(t, c)) != NULL)
                ifield_putc(sink, '<');
            t->state = S_TEXT;
            return 1;
        }
        return 0;
    case S_END_TAG_OPEN:
        if (is_alpha(ch)) {
            start_tag(t, 1);
            name_put(t, ch);
            t->state = S_TAG_NAME;
        } else {
            t->state = ch == '>' ? S_TEXT : S_BOGUS;
        }
        return 0;
    case S_TAG_NAME:
        if (is_space(ch) || ch == '/') {
            name_done(t, c);
            t->state = S_BEFORE_ATTR;
        } else if (ch == '>') {
            name_done(t, c);
            tag_done(t, c);
            t->state = S_TEXT;
        } else {
            name_put(t, ch);
        }
        return 0;
    case S_BEFORE_ATTR:
        if (ch == '>') {
            tag_done(t, c);
            t->state = S_TEXT;
        } else if (!is_space(ch) && ch != '/') {
            start_attr(t);
            attr_put(t, ch);
            t->state = S_ATTR_NAME;
        }
        return 0;
    case S_ATTR_NAME:
        if (is_space(ch)) {
            attr_name_done(t, c);
            t->state = S_AFTER_ATTR_NAME;
        } else if (ch == '=') {
            attr_name_done(t, c);
            t->state = S_BEFORE_VALUE;
        } else if (ch == '>' || ch == '/') {
            attr_name_done(t, c);
            t->state = S_BEFORE_ATTR;
            return 1;
        } else {
            attr_put(t, ch);
        }
        return 0;
    case S_AFTER_ATTR_NAME:
        if (ch == '=') {
            t->state = S_BEFORE_VALUE;
        } else if (!is_space(ch)) {
            t->state = S_BEFORE_ATTR; /* an attribute without a value; this starts the next */
            return 1;
        }
        return 0;
    case S_BEFORE_VALUE:
        if (ch == '"') {
            t->state = S_VALUE_DQ;
        } else if (ch == '\'') {
            t->state = S_VALUE_SQ;
        } else if (ch == '>') {
            t->state = S_BEFORE_ATTR;
            return 1;
        } else if (!is_space(ch)) {
            t->state = S_VALUE_UNQ;
            return 1;
        }
        return 0;
    case S_VALUE_DQ:
    case S_VALUE_SQ:
    case S_VALUE_UNQ: {
        int end = t->state == S_VALUE_DQ    ? ch == '"'
                  : t->state == S_VALUE_SQ ? ch == '\''
                                           : (is_space(ch) || ch == '>');
        if (end) {
            t->state = S_BEFORE_ATTR;
            return ch == '>';
        }
        if ((sink = attr_sink(t, c)) != NULL) {
            if (ch == '&') {
                t->ret_state = t->state;
                t->ent_len = 0;
                t->state = S_ENTITY;
            } else {
                ifield_putc(sink, (char)ch);
            }
        }
        return 0;
    }
    case S_ENTITY:
        if (t->ent_len < ENTITY_MAX && (is_alnum(ch) || (ch == '#' && t->ent_len == 0))) {
            t->ent[t->ent_len++] = (char)ch;
            return 0;
        }
        entity_flush(t, c, ch == ';');
        t->state = t->ret_state;
        return ch != ';';
    case S_MARKUP:
        if (ch == '-' && ++t->dashes == 2) {
            t->dashes = 0;
            t->state = S_COMMENT;
        } else if (ch == '>') {
            t->state = S_TEXT;
        } else if (ch != '-') {
            t->state = S_BOGUS;
        }
        return 0;
    case S_COMMENT:
        if (ch == '-') {
            t->dashes++;
        } else {
            if (ch == '>' && t->dashes >= 2)
                t->state = S_TEXT;
            t->dashes = 0;
        }
        return 0;
    case S_BOGUS:
    default:
        if (ch == '>')
            t->state = S_TEXT;
        return 0;
    }
}

static int ns_feed(void *st, import_ctx_t *c, const unsigned char *s, size_t n)
{
    ns_t *t = st;
    for (size_t i = 0; i < n;) {
        if (!step(t, c, s[i])) {
            ictx_step(c, s[i]);
            i++;
        }
        if (t->rc)
            return t->rc;
    }
    return IMPORT_OK;
}

static int ns_finish(void *st, import_ctx_t *c)
{
    ns_t *t = st;
    int state = t->state == S_ENTITY ? t->ret_state : t->state;
    if (t->state == S_ENTITY)
        entity_flush(t, c, 0);
    if (state == S_TAG_NAME) {
        t->tag[t->tag_len] = '\0';
        t->kind = tag_kind(t->tag);
    }
    int in_tag = state >= S_TAG_NAME && state <= S_VALUE_UNQ;
    if (in_tag && t->kind == T_A && !t->tag_end) {
        ictx_error(c, t->tag_line, "bookmark cut off at the end of the file");
        t->in_anchor = 0;
        ient_reset(&c->ent);
    }
    close_text(t);
    flush(t, c);
    return t->rc;
}

const iformat_ops_t import_netscape_ops = {ns_create, ns_feed, ns_finish, ns_destroy};
