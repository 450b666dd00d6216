/* webhook.h -- telling people that a page changed: the snapshot.changed event, and POSTs
 * of it to the owner's addresses (a watch's notify, the config's notify_url), kept as
 * store rows (store/deliveries.c) and sent with libcurl's multi interface on the loop. */
#ifndef LS_WEBHOOK_H
#define LS_WEBHOOK_H

#include <stddef.h>

#include "method.h"

struct daemon;
struct config;
typedef struct webhook webhook_t;

/* Starts the sender: it sends what is pending at once (rows a stop or a kill -9 left) and
 * then whatever a snapshot.changed brings. web_base is the web page's address ("" none)
 * for the diff's URL. NULL with err filled. */
webhook_t *webhook_new(struct daemon *d, const char *web_base, char *err, size_t errlen);
/* A reload: notify_url and the timeouts as cfg now has them. Loop thread. */
void webhook_settings(webhook_t *w, const struct config *cfg);
/* Drops the transfers in flight (their rows stay pending for the next start), closes the
 * handles and frees w. Call it once no writer call of it can be pending (after the writer
 * closed). Accepts NULL. */
void webhook_close(webhook_t *w);

/* Writer thread, inside the transaction that kept a capture's change: when the change
 * params ({id, against, changed, changed_fraction, regions, text_added, text_removed})
 * say changed, queues a delivery for each address and emits snapshot.changed on call.
 * w may be NULL (no deliveries, the event still goes). Returns 0 or fails the call. */
int webhook_change_saved(method_call_t *call, webhook_t *w);

/* daemon.status's webhooks: {pending, failed, last_error, last_error_at, in_flight}, owned,
 * or NULL out of memory or when the store cannot say. Loop thread. */
json_t *webhook_status(webhook_t *w, store_t *reader);

/* 0 when url is an http:// or https:// URL with a host; else -1 with err saying why
 * (without the URL's path, query or credentials). what names the setting. */
int webhook_url_ok(const char *what, const char *url, char *err, size_t errlen);
/* url as logs may show it: scheme://host[:port]/ and eight stars -- its path, query and any user
 * or token left out (they may be secrets, as site-rule values are). */
void webhook_mask_url(const char *url, char *out, size_t outlen);

#endif
