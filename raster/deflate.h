/* deflate.h -- a fast zlib-stream (RFC 1950/1951) encoder for drawn images: PNG rows of
 * flat fills and anti-aliased edges, where nearly every match is the pixel on the left or
 * the one above. Used by pngenc.c; knows nothing of PNG chunks. */
#ifndef LS_RASTER_DEFLATE_H
#define LS_RASTER_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of work memory raster_deflate_zlib needs (tokens and a hash table); the caller
 * owns it and may keep it for the next call. */
#define RASTER_DEFLATE_WORK_BYTES ((size_t)(1u << 16) * 4 + (size_t)(1u << 14) * 4)

/* The most bytes raster_deflate_zlib writes for n bytes in. */
size_t raster_deflate_bound(size_t n);

/* Compresses in (n bytes) as one zlib stream into out (cap bytes, at least
 * raster_deflate_bound(n)). row and bpp are the distances to the byte above and to the
 * byte of the pixel on the left (both tried as matches first; 0 disables one). work is
 * RASTER_DEFLATE_WORK_BYTES of scratch, 4-byte aligned. Returns the bytes written, or 0
 * when cap is too small. The output depends only on the input and row and bpp. */
size_t raster_deflate_zlib(const uint8_t *in, size_t n, size_t row, size_t bpp, void *work,
                           uint8_t *out, size_t cap);

#endif
