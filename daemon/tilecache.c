/* tilecache.c -- the tile cache (see tilecache.h): a most-recently-used list of tile sets,
 * each cut once on the thread pool by tiles_cut, with the requests that wait for it.
 * Knows the loop and capture/tiles.h; nothing of HTTP. */
#include "tilecache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

typedef struct tileset {
    struct tileset *prev, *next;   /* most recently used first */
    tilecache_t *c;
    int64_t snap_id;
    int state;                     /* 0 cutting, 1 ready, -1 failed */
    char err[300];
    char path[UTIL_PATH_MAX];
    tiles_t t;
    tilecache_wait_t *waiters;
    uv_work_t work;
} tileset_t;

struct tilecache {
    uv_loop_t *loop;
    size_t max_bytes, bytes;
    uint32_t tile_height;
    uint64_t max_pixels;
    tileset_t *sets;
};

tilecache_t *tilecache_new(uv_loop_t *loop, size_t max_bytes, uint32_t tile_height,
                           uint64_t max_pixels)
{
    tilecache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->max_bytes = max_bytes;
    c->tile_height = tile_height;
    c->max_pixels = max_pixels;
    return c;
}

static void tileset_unlink(tilecache_t *c, tileset_t *ts)
{
    if (ts->prev)
        ts->prev->next = ts->next;
    else
        c->sets = ts->next;
    if (ts->next)
        ts->next->prev = ts->prev;
    ts->prev = ts->next = NULL;
}

static void tileset_front(tilecache_t *c, tileset_t *ts)
{
    ts->next = c->sets;
    if (c->sets)
        c->sets->prev = ts;
    c->sets = ts;
}

static void tiles_evict(tilecache_t *c)
{
    tileset_t *last = c->sets;
    while (last && last->next)
        last = last->next;
    while (c->bytes > c->max_bytes && last && last != c->sets) {
        tileset_t *prev = last->prev;
        if (last->state != 0) {
            tileset_unlink(c, last);
            c->bytes -= last->t.total;
            tiles_free(&last->t);
            free(last);
        }
        last = prev;
    }
}

static void tiles_work_cb(uv_work_t *w)
{
    tileset_t *ts = w->data;
    if (tiles_cut(ts->path, ts->c->tile_height, ts->c->max_pixels, &ts->t, ts->err, sizeof ts->err) != 0)
        ts->state = -1;
}

static void answer(const tileset_t *ts, tilecache_ready_cb ready, void *ud)
{
    ready(ts->state < 0 ? NULL : &ts->t, ts->state < 0 ? ts->err : NULL, ud);
}

static void tiles_after_cb(uv_work_t *w, int status)
{
    tileset_t *ts = w->data;
    tilecache_t *c = ts->c;
    if (status == UV_ECANCELED) {
        ts->state = -1;
        snprintf(ts->err, sizeof ts->err, "linksnapd is stopping");
    } else if (ts->state == 0) {
        ts->state = 1;
        c->bytes += ts->t.total;
    } else {
        log_warn("http: cannot cut tiles of snapshot %lld: %s", (long long)ts->snap_id, ts->err);
    }
    tilecache_wait_t *wt = ts->waiters;
    ts->waiters = NULL;
    while (wt) {
        tilecache_wait_t *next = wt->next;
        answer(ts, wt->ready, wt->ud);
        wt = next;
    }
    if (ts->state < 0) { /* failures are not cached: the next request tries again */
        tileset_unlink(c, ts);
        tiles_free(&ts->t);
        free(ts);
    }
    tiles_evict(c);
}

int tilecache_get(tilecache_t *c, int64_t snap_id, const char *png_path, tilecache_wait_t *w,
                  tilecache_ready_cb ready, void *ud, char *err, size_t errlen)
{
    w->ready = ready;
    w->ud = ud;
    for (tileset_t *ts = c->sets; ts; ts = ts->next) {
        if (ts->snap_id != snap_id)
            continue;
        tileset_unlink(c, ts);
        tileset_front(c, ts);
        if (ts->state == 0) {
            w->next = ts->waiters;
            ts->waiters = w;
            return 1;
        }
        answer(ts, ready, ud);
        return 0;
    }
    tileset_t *ts = calloc(1, sizeof *ts);
    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ts->c = c;
    ts->snap_id = snap_id;
    snprintf(ts->path, sizeof ts->path, "%s", png_path);
    ts->work.data = ts;
    if (uv_queue_work(c->loop, &ts->work, tiles_work_cb, tiles_after_cb) != 0) {
        free(ts);
        snprintf(err, errlen, "cannot queue work");
        return -1;
    }
    tileset_front(c, ts);
    w->next = NULL;
    ts->waiters = w;
    return 1;
}

void tilecache_release(tilecache_t *c)
{
    if (!c)
        return;
    tileset_t *ts = c->sets;
    while (ts) {   /* the front one too: tiles_evict keeps it */
        tileset_t *next = ts->next;
        if (ts->state != 0 && !ts->waiters) {
            tileset_unlink(c, ts);
            c->bytes -= ts->t.total;
            tiles_free(&ts->t);
            free(ts);
        }
        ts = next;
    }
}

void tilecache_free(tilecache_t *c)
{
    if (!c)
        return;
    while (c->sets) {
        tileset_t *ts = c->sets;
        c->sets = ts->next;
        tiles_free(&ts->t);
        free(ts);
    }
    free(c);
}
