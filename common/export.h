/* export.h -- the export formats of the library (GET /export, `linksnap export`): Netscape
 * bookmark HTML, JSON Lines and CSV, written one link at a time from link.list's wire
 * objects, so a caller streams a library of any size page by page. */
#ifndef LS_EXPORT_H
#define LS_EXPORT_H

#include <jansson.h>

#include "buf.h"

typedef enum { EXPORT_NETSCAPE, EXPORT_JSONL, EXPORT_CSV } export_format_t;

/* The format called name ("netscape", "jsonl", "csv"); -1 for anything else. */
int export_format_parse(const char *name);
/* The media type and the file name extension ("html", "jsonl", "csv") of a format. */
const char *export_format_type(export_format_t f);
const char *export_format_ext(export_format_t f);

/* What comes before the first link, one link (a link.list object: url, title,
 * description, tags, created_at, updated_at), and what comes after the last, appended to
 * b. Each returns 0 or the buffer's negative errno (-ENOMEM, -E2BIG). */
int export_write_head(export_format_t f, buf_t *b);
int export_write_link(export_format_t f, const json_t *link, buf_t *b);
int export_write_tail(export_format_t f, buf_t *b);

#endif
