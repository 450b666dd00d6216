/* events.c -- the event bus: a list of subscribers with topic patterns, published to on
 * the loop thread. Knows nothing of sockets: a subscriber is a callback. */
#include "events.h"

#include <stdlib.h>
#include <string.h>

struct events_sub {
    events_sub_t *next;
    char **topics;    /* NULL = everything */
    size_t ntopics;
    events_cb cb;
    void *ud;
    int dead;         /* unsubscribed during a publish; freed after it */
};

struct events {
    events_sub_t *subs;
    int publishing;
    size_t count;
};

events_t *events_new(void) { return calloc(1, sizeof(events_t)); }

static void sub_free(events_sub_t *s)
{
    for (size_t i = 0; i < s->ntopics; i++)
        free(s->topics[i]);
    free(s->topics);
    free(s);
}

void events_free(events_t *bus)
{
    if (!bus)
        return;
    while (bus->subs) {
        events_sub_t *n = bus->subs->next;
        sub_free(bus->subs);
        bus->subs = n;
    }
    free(bus);
}

int events_topic_match(const char *pattern, const char *topic)
{
    if (!strcmp(pattern, "*"))
        return 1;
    size_t n = strlen(pattern);
    return strncmp(pattern, topic, n) == 0 && (topic[n] == '\0' || topic[n] == '.');
}

events_sub_t *events_subscribe(events_t *bus, const json_t *topics, events_cb cb, void *ud)
{
    events_sub_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cb = cb;
    s->ud = ud;
    if (topics && json_array_size(topics) > 0) {
        size_t n = json_array_size(topics);
        s->topics = calloc(n, sizeof *s->topics);
        if (!s->topics)
            goto fail;
        for (size_t i = 0; i < n; i++) {
            const char *t = json_string_value(json_array_get(topics, i));
            if (!t || !*t || strlen(t) > 64 || !(s->topics[i] = strdup(t)))
                goto fail;
            s->ntopics++;
        }
    }
    s->next = bus->subs;
    bus->subs = s;
    bus->count++;
    return s;
fail:
    sub_free(s);
    return NULL;
}

static void sweep(events_t *bus)
{
    events_sub_t **pp = &bus->subs;
    while (*pp) {
        if ((*pp)->dead) {
            events_sub_t *d = *pp;
            *pp = d->next;
            sub_free(d);
        } else {
            pp = &(*pp)->next;
        }
    }
}

void events_unsubscribe(events_t *bus, events_sub_t *sub)
{
    if (!sub)
        return;
    if (!sub->dead)
        bus->count--;
    sub->dead = 1;
    if (!bus->publishing)
        sweep(bus);
}

void events_publish(events_t *bus, json_t *event)
{
    const char *topic = json_string_value(json_object_get(event, "topic"));
    if (!topic)
        return;
    bus->publishing++;
    for (events_sub_t *s = bus->subs; s; s = s->next) {
        if (s->dead)
            continue;
        int match = s->ntopics == 0;
        for (size_t i = 0; i < s->ntopics && !match; i++)
            match = events_topic_match(s->topics[i], topic);
        if (match)
            s->cb(event, s->ud);
    }
    if (--bus->publishing == 0)
        sweep(bus);
}

size_t events_subscriber_count(const events_t *bus) { return bus->count; }
