/* buf.h -- growable byte buffer with a hard size cap (the curl dynbuf idea): a buffer fed
 * by the network cannot grow without bound. Growth is geometric, so appending is linear. */
#ifndef LS_BUF_H
#define LS_BUF_H

#include <stddef.h>

typedef struct {
    char *data;     /* owned; NUL-terminated after every successful append */
    size_t len;
    size_t cap;     /* allocated bytes */
    size_t max;     /* hard cap on len; 0 means SIZE_MAX/2 */
} buf_t;

void buf_init(buf_t *b, size_t max);
/* Returns 0, -ENOMEM, or -E2BIG when the cap would be passed (buffer left unchanged). */
int buf_append(buf_t *b, const void *data, size_t n);
int buf_append_str(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_reserve(buf_t *b, size_t extra);
/* Drops the first n bytes (memmove). */
void buf_consume(buf_t *b, size_t n);
void buf_reset(buf_t *b);              /* len = 0, keeps memory */
/* Hands the data over to the caller (who frees it); the buffer becomes empty. */
char *buf_take(buf_t *b, size_t *len);
void buf_free(buf_t *b);               /* frees memory; the buffer stays usable */

#endif
