/* detect.c -- guesses the format of an import from its first bytes (rules in
 * docs/import.md). Pure: looks at a prefix, never consumes it; the parser object decides
 * how much to buffer. Knows the names of CSV columns and JSON wrapper keys, no syntax. */
#include "import_int.h"

#include <string.h>
#include <strings.h>

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int name_in(const char *s, size_t n, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == n && strncasecmp(*names, s, n) == 0)
            return 1;
    return 0;
}

int import_is_url_name(const char *s, size_t n)
{
    static const char *const names[] = {"url", "href", "link", "uri", NULL};
    return name_in(s, n, names);
}

static int is_other_column(const char *s, size_t n)
{
    static const char *const names[] = {"title", "name", "tags", "description", "created",
                                        "note", "folder", NULL};
    return name_in(s, n, names);
}

/* Keys whose array value holds the bookmarks when the JSON is an object. */
int import_is_wrapper_key(const char *s, size_t n)
{
    static const char *const names[] = {"bookmarks", "results", "items", "links", "posts",
                                        "data", NULL};
    return name_in(s, n, names);
}

/* '{' at s[0]: JSON (an object wrapping the bookmark array) or JSON Lines. JSON when a
 * member at depth 1 is a wrapper key holding an array, or when the first object does not
 * close on its first line; JSON Lines when it does. */
static int detect_object(const char *s, size_t len, int eof, import_format_t *out)
{
    size_t depth = 0, key = 0, key_len = 0;
    int in_str = 0, esc = 0, after_key = 0, is_key = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (in_str) {
            if (esc) {
                esc = 0;
            } else if (ch == '\\') {
                esc = 1;
            } else if (ch == '"') {
                in_str = 0;
                if (is_key) {
                    key_len = i - key;
                    after_key = 1;
                }
            }
            continue;
        }
        if (after_key) {
            if (ch == ':' || is_ws((unsigned char)ch))
                continue;
            after_key = 0;
            if (ch == '[' && depth == 1 && import_is_wrapper_key(s + key, key_len)) {
                *out = IMPORT_FMT_JSON;
                return 1;
            }
        }
        if (ch == '"') {
            in_str = 1;
            is_key = depth == 1 && (i == 0 || s[i - 1] == '{' || s[i - 1] == ',' ||
                                    is_ws((unsigned char)s[i - 1]));
            key = i + 1;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth > 0 && --depth == 0) {
                *out = IMPORT_FMT_JSONL;
                return 1;
            }
        } else if (ch == '\n' || ch == '\r') {
            *out = IMPORT_FMT_JSON;
            return 1;
        }
    }
    if (!eof)
        return 0;
    *out = IMPORT_FMT_JSONL;
    return 1;
}

/* Does this line look like a CSV header? */
static int csv_header(const char *s, size_t n)
{
    size_t fields = 0;
    int has_url = 0, has_other = 0, has_scheme = 0;
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            has_scheme = 1;
    size_t i = 0;
    while (i <= n) {
        size_t start = i;
        int quoted = 0;
        while (i < n && (quoted || s[i] != ',')) {
            if (s[i] == '"')
                quoted = !quoted;
            i++;
        }
        const char *f = s + start;
        size_t fl = i - start;
        while (fl && (is_ws((unsigned char)*f) || *f == '"')) {
            f++;
            fl--;
        }
        while (fl && (is_ws((unsigned char)f[fl - 1]) || f[fl - 1] == '"'))
            fl--;
        fields++;
        if (import_is_url_name(f, fl))
            has_url = 1;
        else if (is_other_column(f, fl))
            has_other = 1;
        i++;
    }
    return has_url || (fields >= 2 && has_other && !has_scheme);
}

int import_detect(const char *buf, size_t len, int eof, import_format_t *out)
{
    size_t i = 0;
    while (i < len && is_ws((unsigned char)buf[i]))
        i++;
    if (i == len) {
        if (!eof)
            return 0;
        *out = IMPORT_FMT_TEXT;
        return 1;
    }
    switch (buf[i]) {
    case '<':
        *out = IMPORT_FMT_NETSCAPE;
        return 1;
    case '[':
        *out = IMPORT_FMT_JSON;
        return 1;
    case '{':
        return detect_object(buf + i, len - i, eof, out);
    default:
        break;
    }
    /* the first line that is neither blank nor a '#' comment */
    for (;;) {
        while (i < len && is_ws((unsigned char)buf[i]))
            i++;
        size_t start = i;
        while (i < len && buf[i] != '\n' && buf[i] != '\r')
            i++;
        if (i == len && !eof)
            return 0;
        if (start < i && buf[start] != '#') {
            *out = csv_header(buf + start, i - start) ? IMPORT_FMT_CSV : IMPORT_FMT_TEXT;
            return 1;
        }
        if (i >= len) {
            *out = IMPORT_FMT_TEXT;
            return 1;
        }
    }
}
