/* pngref.h -- the libpng + zlib PNG writers of before raster/pngenc.c, for chartbench's
 * before/after measurements only. */
#ifndef LS_BENCH_PNGREF_H
#define LS_BENCH_PNGREF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* px: h rows of w pixels, channels 3 (RGB) or 4 (RGBA), straight alpha. 0 or -1. */
int pngref_write(const uint8_t *px, int w, int h, int channels, int level, int sub, buf_t *out);
/* Any PNG file as 8-bit RGB (malloc'ed). 0 or -1. */
int pngref_read_rgb(const char *path, uint8_t **px, int *w, int *h);

#endif
