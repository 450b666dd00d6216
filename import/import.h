/* import.h -- streaming parsers for bookmark and link lists: plain text, Netscape bookmark
 * HTML (every browser's export), CSV, JSON Lines and JSON (Pinboard, linkding, Karakeep,
 * generic). Push API: feed chunks of any size, split anywhere; entries come out through a
 * callback as soon as they are complete. Memory stays bounded whatever the input size.
 *
 * The parser knows nothing of the store, the loop or the wire format. It does not judge
 * URLs: every entry's URL is handed over raw (entities decoded, trimmed) with its line
 * number, and the caller normalises it and counts the invalid ones. What the parser itself
 * cannot read (no URL at all, a URL past the cap, broken JSON, an unterminated CSV quote,
 * a cut-off tag) goes to the error callback with its line number; parsing goes on.
 *
 *   import_parser_t *p = import_parser_new(IMPORT_FMT_AUTO, entry_cb, error_cb, ud);
 *   while ((n = read(fd, buf, sizeof buf)) > 0)
 *       if ((rc = import_parser_feed(p, buf, n)) != IMPORT_OK) break;
 *   if (rc == IMPORT_OK) rc = import_parser_finish(p);
 *   if (rc < 0) report(import_parser_errmsg(p));
 *   import_parser_free(p);
 *
 * See docs/import.md for the detection rules, field mappings and the folder -> tag rule. */
#ifndef LS_IMPORT_H
#define LS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    IMPORT_FMT_AUTO,      /* detect from the first bytes (docs/import.md) */
    IMPORT_FMT_TEXT,      /* one URL per line */
    IMPORT_FMT_NETSCAPE,  /* Netscape bookmark HTML */
    IMPORT_FMT_CSV,       /* RFC 4180 with a header row naming a url column */
    IMPORT_FMT_JSONL,     /* one JSON object per line */
    IMPORT_FMT_JSON,      /* an array of objects, or {"bookmarks": [...]} and the like */
} import_format_t;

/* Return codes of feed/finish. */
enum {
    IMPORT_OK = 0,
    IMPORT_STOPPED = 1,    /* the entry callback returned non-zero; nothing more is parsed */
    IMPORT_EFORMAT = -1,   /* the input cannot be read as this format at all (errmsg says why) */
    IMPORT_ENOMEM = -2,
    IMPORT_EINVAL = -3,    /* misuse: feed after finish, NULL parser */
};

/* Caps (bytes). Longer URLs are reported as errors; longer titles, descriptions and tags are
 * cut at a character boundary. */
#define IMPORT_MAX_URL 65536
#define IMPORT_MAX_TITLE 4096
#define IMPORT_MAX_DESCRIPTION 65536
#define IMPORT_MAX_TAG 256
#define IMPORT_MAX_TAGS 64           /* per entry; further tags are dropped */
#define IMPORT_MAX_FOLDER_DEPTH 32   /* Netscape folders deeper than this give no tags */
#define IMPORT_MAX_LINE 65536        /* plain text line */
#define IMPORT_MAX_RECORD 1048576    /* CSV record, JSON Lines line, one JSON array element */

typedef struct {
    const char *url;          /* raw, as found (entities decoded, trimmed); never NULL */
    const char *title;        /* or NULL */
    const char *description;  /* or NULL */
    const char *const *tags;  /* folder-path tags first (outermost first), then the entry's own */
    size_t ntags;
    int64_t created_ms;       /* ADD_DATE / created column, or 0 */
    uint64_t line;            /* 1-based line where the entry starts */
} import_entry_t;
/* Every string is valid UTF-8 without NUL bytes. Everything is borrowed for the duration of
 * the call only. Return non-zero to stop the parser. */
typedef int (*import_entry_cb)(const import_entry_t *e, void *ud);
/* An entry the parser itself could not read; reason is a sentence, borrowed. */
typedef void (*import_error_cb)(uint64_t line, const char *reason, void *ud);

typedef struct import_parser import_parser_t;

/* Returns NULL only when out of memory. error_cb may be NULL. */
import_parser_t *import_parser_new(import_format_t fmt, import_entry_cb entry_cb,
                                   import_error_cb error_cb, void *ud);
/* Parses len more bytes. Returns IMPORT_OK, IMPORT_STOPPED, or a negative code; after a
 * negative code or IMPORT_STOPPED every later call returns the same code. */
int import_parser_feed(import_parser_t *p, const char *data, size_t len);
/* End of input: completes the last entry and reports what was cut off. Same codes. */
int import_parser_finish(import_parser_t *p);
/* The format in use: the detected one once detection is done, else the requested one. */
import_format_t import_parser_format(const import_parser_t *p);
/* Lines seen so far (the number of the line being read). */
uint64_t import_parser_lines(const import_parser_t *p);
/* The reason for the last negative return code, or "" (borrowed). */
const char *import_parser_errmsg(const import_parser_t *p);
void import_parser_free(import_parser_t *p);   /* accepts NULL */

/* "auto", "text", "netscape", "csv", "jsonl", "json". */
const char *import_format_name(import_format_t fmt);
/* Accepts the names above (case-insensitive) and the aliases "html", "txt", "ndjson".
 * Returns 0, or -1 for an unknown name. */
int import_format_parse(const char *name, import_format_t *out);

#endif
