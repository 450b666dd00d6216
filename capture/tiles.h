/* tiles.h -- cuts a tall screenshot PNG into horizontal tiles of a fixed height, each
 * encoded as a PNG of its own, so the page can show a 30,000 px capture as a column of
 * lazily loaded images instead of one huge decode. pngread.c reads, raster/pngenc.c writes;
 * no loop, no store; runs on a thread-pool thread. One pass over the file, one tile's rows
 * in memory at a time (libdeflate compresses whole buffers) plus its filtered copy. */
#ifndef LS_TILES_H
#define LS_TILES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width, height;     /* of the whole image */
    uint32_t tile_height;
    uint32_t count;             /* ceil(height / tile_height) */
    unsigned char **data;       /* count PNGs, each malloc'ed */
    size_t *len;
    size_t total;               /* bytes of all tiles */
} tiles_t;

/* Fills t (zeroed by the caller). Returns 0 or -1 with err naming the file and the
 * problem (not a PNG, interlaced, damaged: libpng's message, out of memory). Files above max_pixels
 * (width * height) are refused. */
int tiles_cut(const char *path, uint32_t tile_height, uint64_t max_pixels, tiles_t *t,
              char *err, size_t errlen);
void tiles_free(tiles_t *t);    /* accepts a zeroed or half-filled t */

#endif
