/* events.h -- the one event bus. Producers (method results, the capture scheduler, the
 * importer) publish {topic, ...} objects on the loop thread; subscribers (socket clients
 * after events.subscribe, the web page's websockets, --wait) receive those whose topic
 * matches one of theirs: "link" matches "link" and "link.added"; "*" matches all. */
#ifndef LS_EVENTS_H
#define LS_EVENTS_H

#include <jansson.h>

typedef struct events events_t;
typedef struct events_sub events_sub_t;
/* event is borrowed for the call (incref to keep it). */
typedef void (*events_cb)(json_t *event, void *ud);

events_t *events_new(void);
void events_free(events_t *bus);   /* subscribers must be gone */
/* topics: array of strings, or NULL for all. Copied. Returns NULL on bad input/ENOMEM. */
events_sub_t *events_subscribe(events_t *bus, const json_t *topics, events_cb cb, void *ud);
void events_unsubscribe(events_t *bus, events_sub_t *sub);   /* accepts NULL */
/* Borrowed event; must carry a string "topic". Safe against (un)subscribing from a cb. */
void events_publish(events_t *bus, json_t *event);
/* Returns 1 if topic matches the pattern. */
int events_topic_match(const char *pattern, const char *topic);
size_t events_subscriber_count(const events_t *bus);

#endif
