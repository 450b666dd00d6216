/* tilecache.h -- the tiles of recently shown tall screenshots, kept in memory up to a byte
 * budget (least recently used first out) so scrolling back does not cut them again. A
 * snapshot's tiles are cut once on the thread pool (capture/tiles.c); requests that come
 * meanwhile wait for that one cut. Failures are not kept: the next request tries again.
 * Runs on the loop; knows nothing of HTTP (the web server's requests are its waiters). */
#ifndef LS_TILECACHE_H
#define LS_TILECACHE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tiles.h"

typedef struct tilecache tilecache_t;

/* The tiles of a snapshot (t, borrowed for the call only: copy what you keep), or why
 * there are none (err). */
typedef void (*tilecache_ready_cb)(const tiles_t *t, const char *err, void *ud);

/* A waiter, kept by the caller (e.g. inside its request) until ready ran. */
typedef struct tilecache_wait {
    struct tilecache_wait *next;
    tilecache_ready_cb ready;
    void *ud;
} tilecache_wait_t;

tilecache_t *tilecache_new(uv_loop_t *loop, size_t max_bytes, uint32_t tile_height,
                           uint64_t max_pixels);
/* Snapshot snap_id's tiles, cut from png_path when not kept. Returns 0 when ready ran
 * already (kept, or kept as failed), 1 when w waits for a cut (ready runs later, exactly
 * once, also when the loop stops), or -1 with err (out of memory, no thread pool). */
int tilecache_get(tilecache_t *c, int64_t snap_id, const char *png_path, tilecache_wait_t *w,
                  tilecache_ready_cb ready, void *ud, char *err, size_t errlen);
/* Gives back every kept tile set that no cut or waiter holds (the daemon went quiet: the
 * next look at a tall screenshot cuts it again, in tens of milliseconds). NULL ok. */
void tilecache_release(tilecache_t *c);
/* Frees every kept tile set; call once no cut is under way (the loop ran dry). NULL ok. */
void tilecache_free(tilecache_t *c);

#endif
