/* fmt_json.c -- the two JSON splitters. JSON Lines: one value per line, each parsed alone.
 * JSON: an incremental scanner that finds each element of the top-level array (or of the
 * array under a "bookmarks"-like key of a top-level object, the Karakeep export) and hands
 * just that element to json_map.c; the whole file is never loaded. An element is capped at
 * IMPORT_MAX_RECORD; other members of a wrapper object are skipped without buffering. */
#include "import_int.h"

#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_ws(unsigned char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

/* ---- JSON Lines ---- */

typedef struct {
    buf_t line;
    int over;
    uint64_t start;
} jsonl_t;

static void *jsonl_create(import_ctx_t *c)
{
    jsonl_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    buf_init(&t->line, IMPORT_MAX_RECORD);
    t->start = c->line;
    return t;
}

static void jsonl_destroy(void *st)
{
    jsonl_t *t = st;
    if (!t)
        return;
    buf_free(&t->line);
    free(t);
}

static int jsonl_end_line(jsonl_t *t, import_ctx_t *c)
{
    int rc = IMPORT_OK;
    size_t i = 0;
    while (i < t->line.len && is_ws((unsigned char)t->line.data[i]))
        i++;
    if (t->over)
        ictx_error(c, t->start, "line longer than %d bytes", IMPORT_MAX_RECORD);
    else if (i < t->line.len)
        rc = import_json_emit(c, t->line.data, t->line.len, t->start);
    buf_reset(&t->line);
    t->over = 0;
    return rc;
}

static int jsonl_put(void *st, const char *p, size_t n)
{
    jsonl_t *t = st;
    if (t->over)
        return IMPORT_OK;
    int err = buf_append(&t->line, p, n);
    if (err == -E2BIG)
        t->over = 1;   /* reported at the line's end */
    else if (err)
        return IMPORT_ENOMEM;   /* the parser's failure, not this line's */
    return IMPORT_OK;
}

static int jsonl_end(void *st, import_ctx_t *c)
{
    return jsonl_end_line(st, c);
}

static int jsonl_feed(void *st, import_ctx_t *c, const unsigned char *s, size_t n)
{
    jsonl_t *t = st;
    return iline_feed(c, s, n, &t->start, jsonl_put, jsonl_end, t);
}

static int jsonl_finish(void *st, import_ctx_t *c) { return jsonl_end_line(st, c); }

const iformat_ops_t import_jsonl_ops = {jsonl_create, jsonl_feed, jsonl_finish, jsonl_destroy};

/* ---- JSON: array elements, streamed ---- */

enum {
    J_TOP,        /* before the first value */
    J_W_KEY,      /* wrapper object: before a key */
    J_W_KEYSTR,   /* in a key */
    J_W_COLON,
    J_W_VALUE,
    J_W_NEXT,     /* after a member: ',' or '}' */
    J_ARR_ELEM,   /* array: before an element */
    J_ARR_NEXT,   /* after an element: ',' or ']' */
    J_ELEM,       /* inside an element (or a skipped wrapper member) */
    J_TRAILER,    /* after the top-level value */
    J_DONE,
};

#define KEY_MAX 32

typedef struct {
    int state;
    int arr_top;          /* the array is the top-level value (else inside a wrapper) */
    int found;            /* the wrapper's bookmark array was found */
    int buffering;        /* J_ELEM keeps the element (array) or skips it (wrapper member) */
    int in_str, esc;
    size_t depth;
    char key[KEY_MAX];
    size_t key_len;
    int key_over, key_esc;
    buf_t elem;
    int elem_over;
    uint64_t elem_line;
} jarr_t;

static void *json_create(import_ctx_t *c)
{
    jarr_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    buf_init(&t->elem, IMPORT_MAX_RECORD);
    (void)c;
    return t;
}

static void json_destroy(void *st)
{
    jarr_t *t = st;
    if (!t)
        return;
    buf_free(&t->elem);
    free(t);
}

static void elem_begin(jarr_t *t, import_ctx_t *c, int buffering)
{
    t->buffering = buffering;
    t->in_str = t->esc = 0;
    t->depth = 0;
    t->elem_over = 0;
    t->elem_line = c->line;
    buf_reset(&t->elem);
    t->state = J_ELEM;
}

static int elem_put(jarr_t *t, unsigned char ch)
{
    if (!t->buffering || t->elem_over)
        return 0;
    /* inline fast path; buf_append keeps the cap and the growth */
    if (t->elem.len + 1 < t->elem.cap && t->elem.len < t->elem.max) {
        t->elem.data[t->elem.len++] = (char)ch;
        return 0;
    }
    int err = buf_append(&t->elem, &ch, 1);
    if (err == -E2BIG)
        t->elem_over = 1;
    else if (err)
        return IMPORT_ENOMEM;
    return 0;
}

static int elem_end(jarr_t *t, import_ctx_t *c)
{
    if (!t->buffering)
        return IMPORT_OK;
    if (t->elem_over) {
        ictx_error(c, t->elem_line, "JSON element longer than %d bytes", IMPORT_MAX_RECORD);
        return IMPORT_OK;
    }
    return import_json_emit(c, t->elem.data, t->elem.len, t->elem_line);
}

/* The top-level object closed: it must have held the bookmark array. */
static int wrapper_end(jarr_t *t, import_ctx_t *c)
{
    t->state = J_TRAILER;
    if (t->found)
        return IMPORT_OK;
    return ictx_fail(c, c->line,
                     "JSON object has no bookmark array (expected a key \"bookmarks\", "
                     "\"results\", \"items\", \"links\", \"posts\" or \"data\")");
}

static void array_end(jarr_t *t) { t->state = t->arr_top ? J_TRAILER : J_W_NEXT; }

/* One byte; returns 1 to read it again in the new state, or a negative/stop code via *rc. */
static int json_step(jarr_t *t, import_ctx_t *c, unsigned char ch, int *rc)
{
    switch (t->state) {
    case J_TOP:
        if (is_ws(ch))
            return 0;
        if (ch == '[') {
            t->arr_top = 1;
            t->state = J_ARR_ELEM;
        } else if (ch == '{') {
            t->state = J_W_KEY;
        } else {
            *rc = ictx_fail(c, c->line, "JSON input must be an array or an object");
        }
        return 0;
    case J_W_KEY:
        if (is_ws(ch) || ch == ',')
            return 0;
        if (ch == '"') {
            t->key_len = 0;
            t->key_over = t->key_esc = 0;
            t->state = J_W_KEYSTR;
        } else if (ch == '}') {
            *rc = wrapper_end(t, c);
        } else {
            *rc = ictx_fail(c, c->line, "malformed JSON object (expected a key)");
        }
        return 0;
    case J_W_KEYSTR:
        if (t->key_esc) {
            t->key_esc = 0;
        } else if (ch == '\\') {
            t->key_esc = 1;
        } else if (ch == '"') {
            t->state = J_W_COLON;
            return 0;
        }
        if (t->key_len < KEY_MAX)
            t->key[t->key_len++] = (char)ch;
        else
            t->key_over = 1;
        return 0;
    case J_W_COLON:
        if (ch == ':')
            t->state = J_W_VALUE;
        else if (!is_ws(ch))
            *rc = ictx_fail(c, c->line, "malformed JSON object (expected ':')");
        return 0;
    case J_W_VALUE:
        if (is_ws(ch))
            return 0;
        if (ch == '[' && !t->found && !t->key_over && import_is_wrapper_key(t->key, t->key_len)) {
            t->found = 1;
            t->arr_top = 0;
            t->state = J_ARR_ELEM;
            return 0;
        }
        elem_begin(t, c, 0);
        return 1;
    case J_W_NEXT:
        if (ch == ',')
            t->state = J_W_KEY;
        else if (ch == '}')
            *rc = wrapper_end(t, c);
        else if (!is_ws(ch))
            *rc = ictx_fail(c, c->line, "malformed JSON object (expected ',' or '}')");
        return 0;
    case J_ARR_ELEM:
        if (is_ws(ch) || ch == ',')
            return 0;
        if (ch == ']') {
            array_end(t);
            return 0;
        }
        elem_begin(t, c, 1);
        return 1;
    case J_ARR_NEXT:
        if (ch == ',') {
            t->state = J_ARR_ELEM;
        } else if (ch == ']') {
            array_end(t);
        } else if (ch == '}') {
            ictx_error(c, c->line, "JSON array closed by '}'");
            array_end(t);
        }
        return 0;
    case J_ELEM:
        if (t->in_str) {
            if (t->esc)
                t->esc = 0;
            else if (ch == '\\')
                t->esc = 1;
            else if (ch == '"')
                t->in_str = 0;
        } else if (ch == '"') {
            t->in_str = 1;
        } else if (ch == '[' || ch == '{') {
            t->depth++;
        } else if ((ch == ']' || ch == '}') && t->depth > 0) {
            t->depth--;
        } else if (ch == ']' || ch == '}' || (ch == ',' && t->depth == 0)) {
            /* the element ends; its container reads the terminator */
            *rc = elem_end(t, c);
            t->state = t->buffering ? J_ARR_NEXT : J_W_NEXT;
            return 1;
        }
        if ((*rc = elem_put(t, ch)) != 0)
            *rc = IMPORT_ENOMEM;
        return 0;
    case J_TRAILER:
        if (!is_ws(ch)) {
            ictx_error(c, c->line, "data after the end of the JSON value ignored");
            t->state = J_DONE;
        }
        return 0;
    case J_DONE:
    default:
        return 0;
    }
}

static int json_feed(void *st, import_ctx_t *c, const unsigned char *s, size_t n)
{
    jarr_t *t = st;
    for (size_t i = 0; i < n;) {
        int rc = IMPORT_OK;
        if (!json_step(t, c, s[i], &rc)) {
            ictx_step(c, s[i]);
            i++;
        }
        if (rc != IMPORT_OK)
            return rc;
    }
    return IMPORT_OK;
}

static int json_finish(void *st, import_ctx_t *c)
{
    jarr_t *t = st;
    switch (t->state) {
    case J_TOP:
        return ictx_fail(c, c->line, "no JSON value in the input");
    case J_TRAILER:
    case J_DONE:
        return IMPORT_OK;
    case J_ELEM:
        if (t->buffering) {
            ictx_error(c, t->elem_line, "JSON element cut off at the end of the file");
            return IMPORT_OK;
        }
        /* fall through */
    default:
        ictx_error(c, c->line, "JSON not closed at the end of the file (truncated?)");
        return IMPORT_OK;
    }
}

const iformat_ops_t import_json_ops = {json_create, json_feed, json_finish, json_destroy};
