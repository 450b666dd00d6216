/* export.c -- writes links out as Netscape bookmark HTML (every tag in TAGS, ADD_DATE and
 * LAST_MODIFIED in Unix seconds, the description as <DD>: what browsers and our own
 * importer read), JSON Lines (one object a line with the importer's field names) or CSV
 * (RFC 4180: CRLF, every cell quoted, quotes doubled; a cell a spreadsheet would run as a
 * formula, starting with = + - @ tab or CR, gets a leading '). Knows JSON and text only. */
#include "export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int export_format_parse(const char *name)
{
    if (!name)
        return -1;
    if (!strcmp(name, "netscape") || !strcmp(name, "html"))
        return EXPORT_NETSCAPE;
    if (!strcmp(name, "jsonl"))
        return EXPORT_JSONL;
    if (!strcmp(name, "csv"))
        return EXPORT_CSV;
    return -1;
}

const char *export_format_type(export_format_t f)
{
    switch (f) {
    case EXPORT_NETSCAPE: return "text/html; charset=utf-8";
    case EXPORT_JSONL: return "application/jsonl; charset=utf-8";
    default: return "text/csv; charset=utf-8";
    }
}

const char *export_format_ext(export_format_t f)
{
    switch (f) {
    case EXPORT_NETSCAPE: return "html";
    case EXPORT_JSONL: return "jsonl";
    default: return "csv";
    }
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Unix seconds of an RFC 3339 member, or 0 when absent or unreadable. */
static long long seconds(const json_t *o, const char *key)
{
    int64_t ms;
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || util_parse_time(s, &ms) != 0 || ms <= 0)
        return 0;
    return (long long)(ms / 1000);
}

/* HTML text and attribute values: & < > " ' escaped, nothing else touched (UTF-8 stays). */
static int put_html(buf_t *b, const char *s)
{
    int rc = 0;
    for (const char *p = s; *p && !rc; p++) {
        const char *e = NULL;
        switch (*p) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        }
        rc = e ? buf_append_str(b, e) : buf_append(b, p, 1);
    }
    return rc;
}

/* The tags joined by commas (no tag holds a comma: store/tag.c refuses them). */
static int put_tags(buf_t *b, const json_t *link, int html)
{
    size_t i;
    json_t *t;
    int rc = 0;
    json_array_foreach(json_object_get(link, "tags"), i, t) {
        const char *s = json_string_value(t);
        if (!s)
            continue;
        if (i && (rc = buf_append(b, ",", 1)))
            return rc;
        if ((rc = html ? put_html(b, s) : buf_append_str(b, s)))
            return rc;
    }
    return rc;
}

static int put_csv_cell(buf_t *b, const char *s, int last)
{
    int rc = buf_append(b, "\"", 1);
    if (!rc && strchr("=+-@\t\r", *s) && *s)
        rc = buf_append(b, "'", 1);
    for (const char *p = s; *p && !rc; p++)
        rc = *p == '"' ? buf_append(b, "\"\"", 2) : buf_append(b, p, 1);
    if (!rc)
        rc = buf_append_str(b, last ? "\"\r\n" : "\",");
    return rc;
}

int export_write_head(export_format_t f, buf_t *b)
{
    switch (f) {
    case EXPORT_NETSCAPE:
        return buf_append_str(b, "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"
                                 "<!-- This is an automatically generated file (linksnap). -->\n"
                                 "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n"
                                 "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n");
    case EXPORT_CSV:
        return buf_append_str(b, "url,title,description,tags,created_at,updated_at\r\n");
    default:
        return 0;
    }
}

int export_write_link(export_format_t f, const json_t *link, buf_t *b)
{
    int rc;
    if (f == EXPORT_JSONL) {
        json_t *o = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "url", json_object_get(link, "url"),
                              "title", json_object_get(link, "title"),
                              "description", json_object_get(link, "description"),
                              "tags", json_object_get(link, "tags"),
                              "created_at", json_object_get(link, "created_at"),
                              "updated_at", json_object_get(link, "updated_at"));
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (!line)
            return -ENOMEM;
        rc = buf_append_str(b, line);
        free(line);
        return rc ? rc : buf_append(b, "\n", 1);
    }
    if (f == EXPORT_CSV) {
        buf_t tags;
        buf_init(&tags, 0);
        rc = put_tags(&tags, link, 0);
        if (!rc && !(rc = put_csv_cell(b, str(link, "url"), 0)) &&
            !(rc = put_csv_cell(b, str(link, "title"), 0)) &&
            !(rc = put_csv_cell(b, str(link, "description"), 0)) &&
            !(rc = put_csv_cell(b, tags.data ? tags.data : "", 0)) &&
            !(rc = put_csv_cell(b, str(link, "created_at"), 0)))
            rc = put_csv_cell(b, str(link, "updated_at"), 1);
        buf_free(&tags);
        return rc;
    }
    const char *title = str(link, "title"), *desc = str(link, "description");
    if ((rc = buf_append_str(b, "    <DT><A HREF=\"")) || (rc = put_html(b, str(link, "url"))) ||
        (rc = buf_printf(b, "\" ADD_DATE=\"%lld\" LAST_MODIFIED=\"%lld\" TAGS=\"",
                         seconds(link, "created_at"), seconds(link, "updated_at"))) ||
        (rc = put_tags(b, link, 1)) || (rc = buf_append_str(b, "\">")) ||
        (rc = put_html(b, title)) || (rc = buf_append_str(b, "</A>\n")))
        return rc;
    if (*desc && ((rc = buf_append_str(b, "    <DD>")) || (rc = put_html(b, desc)) ||
                  (rc = buf_append(b, "\n", 1))))
        return rc;
    return 0;
}

int export_write_tail(export_format_t f, buf_t *b)
{
    return f == EXPORT_NETSCAPE ? buf_append_str(b, "</DL><p>\n") : 0;
}
