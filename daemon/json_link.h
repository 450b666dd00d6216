/* json_link.h -- store rows to the JSON objects of the protocol (docs/protocol.md):
 * link, snapshot, tag. One place, so every method shows them the same way. The names are
 * wire_*, out of jansson's json_ namespace. */
#ifndef LS_JSON_LINK_H
#define LS_JSON_LINK_H

#include <jansson.h>

#include "store.h"

json_t *wire_link(const store_link_t *l);           /* new reference or NULL */
json_t *wire_snapshot(const store_snapshot_t *s);   /* json null for NULL */
json_t *wire_tag(const store_tag_t *t);
json_t *wire_time(int64_t ms);                      /* RFC 3339 string; null for 0 */
/* A stored string as JSON (null for NULL; what and id name it in the log when it had to
 * be repaired); NULL on no memory. */
json_t *wire_text(const char *s, const char *what, long long id);
/* The address as people read it (store_display_url); null for NULL, NULL on no memory. */
json_t *wire_display_url(const char *url);

#endif
