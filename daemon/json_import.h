/* json_import.h -- an import's row to the protocol's import object (import.get,
 * docs/protocol.md), beside json_link.h's link, snapshot and tag. */
#ifndef LS_JSON_IMPORT_H
#define LS_JSON_IMPORT_H

#include <jansson.h>

#include "store.h"

/* {id, source, format, state, lines, added, existing, invalid, errors, error, tags,
 * capture, created_at, finished_at, error_data}; each error {line, reason} with `code` and
 * `params` when its reason has a code, error_data {code, params} or null. Times as RFC
 * 3339 (finished_at null while running).
 * A new reference; NULL out of memory or when the stored errors or tags are not JSON. */
json_t *wire_import(const store_import_t *x);

#endif
