/* spare.c -- the calling thread's spare buffers (spare.h): one pthread key whose value holds
 * a buffer per slot, freed with the thread or on request. The canvas (canvas.c) and the
 * coverage band (coverage.c) use it. */
#include "spare.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
    void *buf[RASTER_SPARE_SLOTS];
    size_t cap[RASTER_SPARE_SLOTS];
} spares_t;

static pthread_key_t spares_key;
static pthread_once_t spares_once = PTHREAD_ONCE_INIT;
static int spares_ok;

static void spares_free_cb(void *p)
{
    spares_t *s = p;
    for (int i = 0; s && i < RASTER_SPARE_SLOTS; i++)
        free(s->buf[i]);
    free(s);
}

static void spares_key_init(void)
{
    spares_ok = pthread_key_create(&spares_key, spares_free_cb) == 0;
}

static spares_t *spares_get(int create)
{
    pthread_once(&spares_once, spares_key_init);
    if (!spares_ok)
        return NULL;
    spares_t *s = pthread_getspecific(spares_key);
    if (!s && create && (s = calloc(1, sizeof *s)) && pthread_setspecific(spares_key, s)) {
        free(s);
        s = NULL;
    }
    return s;
}

void *raster_spare_take(int slot, size_t min, size_t max, size_t *cap)
{
    spares_t *s = spares_get(0);
    if (!s || !s->buf[slot] || s->cap[slot] < min || s->cap[slot] > max)
        return NULL;
    void *b = s->buf[slot];
    *cap = s->cap[slot];
    s->buf[slot] = NULL;
    s->cap[slot] = 0;
    return b;
}

int raster_spare_give(int slot, void *buf, size_t cap)
{
    spares_t *s = spares_get(1);
    if (!s)
        return -1;
    free(s->buf[slot]);
    s->buf[slot] = buf;
    s->cap[slot] = cap;
    return 0;
}

void raster_spare_release(int slot)
{
    spares_t *s = spares_get(0);
    if (s) {
        free(s->buf[slot]);
        s->buf[slot] = NULL;
        s->cap[slot] = 0;
    }
}
