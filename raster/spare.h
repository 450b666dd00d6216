/* spare.h -- each thread's spare buffers: the last buffer a render freed, kept for that
 * thread's next render, because reusing mapped memory is cheaper than faulting in a fresh
 * mapping page by page. One slot per kind of buffer; no lock (thread-local). */
#ifndef LS_RASTER_SPARE_H
#define LS_RASTER_SPARE_H

#include <stddef.h>

enum { RASTER_SPARE_CANVAS, RASTER_SPARE_BAND, RASTER_SPARE_SLOTS };

/* Takes the calling thread's spare of `slot` when its size lies in [min, max]; its size goes
 * to *cap. NULL when there is none that fits (the spare, if any, stays). The caller owns
 * the buffer; its contents are whatever the last render left. */
void *raster_spare_take(int slot, size_t min, size_t max, size_t *cap);
/* Keeps buf (cap bytes) as the thread's spare of `slot`, freeing the one it replaces (the
 * newest is the likeliest size of the next). 0, or -1 when it cannot: the caller frees. */
int raster_spare_give(int slot, void *buf, size_t cap);
/* Frees the thread's spare of `slot` now. */
void raster_spare_release(int slot);

#endif
