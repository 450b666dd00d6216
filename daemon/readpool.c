/* readpool.c -- a small pool of read-only SQLite connections for thread-pool threads.
 * Knows store_open and a mutex; nothing of methods or the loop. */
#include "readpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct readpool {
    uv_mutex_t mu;
    uv_cond_t cond;
    char *path;
    size_t max, open;
    store_t **idle;
    size_t nidle;
};

readpool_t *readpool_new(const char *db_path, size_t max)
{
    readpool_t *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    rp->max = max ? max : 4;
    rp->path = strdup(db_path);
    rp->idle = calloc(rp->max, sizeof *rp->idle);
    if (!rp->path || !rp->idle || uv_mutex_init(&rp->mu)) {
        free(rp->path);
        free(rp->idle);
        free(rp);
        return NULL;
    }
    if (uv_cond_init(&rp->cond)) {
        uv_mutex_destroy(&rp->mu);
        free(rp->path);
        free(rp->idle);
        free(rp);
        return NULL;
    }
    return rp;
}

store_t *readpool_take(readpool_t *rp, char *err, size_t errlen)
{
    uv_mutex_lock(&rp->mu);
    while (rp->nidle == 0 && rp->open >= rp->max)
        uv_cond_wait(&rp->cond, &rp->mu);
    if (rp->nidle > 0) {
        store_t *s = rp->idle[--rp->nidle];
        uv_mutex_unlock(&rp->mu);
        return s;
    }
    rp->open++;
    uv_mutex_unlock(&rp->mu);
    store_t *s = NULL;
    if (store_open(rp->path, STORE_OPEN_READONLY, &s, err, errlen) != STORE_OK) {
        uv_mutex_lock(&rp->mu);
        rp->open--;
        uv_cond_signal(&rp->cond);
        uv_mutex_unlock(&rp->mu);
        return NULL;
    }
    return s;
}

void readpool_give(readpool_t *rp, store_t *s)
{
    if (!s)
        return;
    uv_mutex_lock(&rp->mu);
    rp->idle[rp->nidle++] = s;
    uv_cond_signal(&rp->cond);
    uv_mutex_unlock(&rp->mu);
}

void readpool_trim(readpool_t *rp)
{
    uv_mutex_lock(&rp->mu);
    while (rp->nidle > 0) {
        store_close(rp->idle[--rp->nidle]);
        rp->open--;
    }
    uv_mutex_unlock(&rp->mu);
}

void readpool_free(readpool_t *rp)
{
    if (!rp)
        return;
    for (size_t i = 0; i < rp->nidle; i++)
        store_close(rp->idle[i]);
    uv_cond_destroy(&rp->cond);
    uv_mutex_destroy(&rp->mu);
    free(rp->idle);
    free(rp->path);
    free(rp);
}
