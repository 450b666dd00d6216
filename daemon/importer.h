/* importer.h -- bulk imports: streams a file (or inline content) through the import/
 * parsers on the loop in small chunks, and hands batches of entries to the writer, one
 * transaction per batch, so a million-line file imports in constant memory while other
 * clients keep being answered. Progress lives in the imports table and on the event bus. */
#ifndef LS_IMPORTER_H
#define LS_IMPORTER_H

#include <jansson.h>
#include <stdint.h>

#include "daemon.h"

typedef struct importer importer_t;

importer_t *importer_new(daemon_t *d);
/* The largest file an import reads (import.start checks it with fstat; a file that grows
 * past it while being read fails there). */
#define IMPORTER_MAX_FILE (1024u << 20)

/* Starts an import whose row `import_id` was created (state "running"). Exactly one of
 * fd (an open regular file, taken: closed by the importer, also on failure) or content
 * (fd = -1) is given. tags: array of extra tag names (borrowed, copied). Returns 0, or -1
 * with err (the row is then marked failed by the caller). */
int importer_start(importer_t *im, int64_t import_id, int fd, const char *content,
                   size_t content_len, const char *format, const json_t *tags, int capture,
                   char *err, size_t errlen);
/* Imports still running. */
int importer_running(const importer_t *im);
/* Stops reading; calls cb when every batch handed to the writer came back. */
void importer_close(importer_t *im, void (*cb)(void *ud), void *ud);

#endif
