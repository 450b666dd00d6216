/* upload_args.h -- what an upload's query says, as import.start's params: the web page's
 * POST /import?format=F&tags=a,b&capture=1 (libwebsockets has decoded the arguments).
 * Every tag the query names reaches the import or the upload is refused with the reason:
 * nothing is dropped on the way. Pure; any thread. */
#ifndef LS_UPLOAD_ARGS_H
#define LS_UPLOAD_ARGS_H

#include <jansson.h>
#include <stddef.h>

#define UPLOAD_ARGS_TAGS_MAX 64        /* tags one upload may name */
#define UPLOAD_ARGS_TAGS_BYTES 4096    /* the tags argument's length */

/* {"path": path, "format"?, "tags"?: [...], "capture"?} (owned), or NULL with err filled.
 * format, tags and capture may be NULL (absent). Tags are split at commas and trimmed of
 * spaces; empty ones are skipped. capture takes 1/0/true/false. */
json_t *upload_args_params(const char *path, const char *format, const char *tags,
                           const char *capture, char *err, size_t errlen);

#endif
