/* readpool.h -- read-only store connections for thread-pool work (METHOD_HEAVY calls,
 * chart data, exports). Opened lazily, at most `max`; a thread takes one, uses it alone,
 * and gives it back. */
#ifndef LS_READPOOL_H
#define LS_READPOOL_H

#include <stddef.h>
#include <uv.h>

#include "store.h"

typedef struct readpool readpool_t;

readpool_t *readpool_new(const char *db_path, size_t max);
/* Blocks until a connection is free (never on the loop thread). NULL with err on failure. */
store_t *readpool_take(readpool_t *rp, char *err, size_t errlen);
void readpool_give(readpool_t *rp, store_t *s);
/* Closes the connections nobody is using (idle housekeeping). */
void readpool_trim(readpool_t *rp);
void readpool_free(readpool_t *rp);   /* all connections must have been given back */

#endif
