/* fuzz_deflate.c -- libFuzzer harness for the chart encoder's own deflate (raster/deflate.c):
 * the first byte picks the row length and the pixel size it is told about, the rest is
 * the data. Whatever comes in must come out of zlib's own inflate byte for byte, within
 * raster_deflate_bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t bpps[] = {0, 1, 3, 4};
    size_t bpp = bpps[data[0] & 3];
    size_t row = (size_t)(data[0] >> 2) * 7;     /* 0 (off) .. 441 */
    data++;
    size--;
    size_t cap = raster_deflate_bound(size);
    uint8_t *out = malloc(cap ? cap : 1);
    uint8_t *back = malloc(size ? size : 1);
    void *work = aligned_alloc(4, RASTER_DEFLATE_WORK_BYTES);
    if (!out || !back || !work)
        abort();
    size_t n = raster_deflate_zlib(data, size, row, bpp, work, out, cap);
    if (n == 0 || n > cap)
        abort();   /* the bound is the promise */
    uLongf got = (uLongf)size;
    if (uncompress(back, &got, out, (uLong)n) != Z_OK || got != size ||
        (size && memcmp(back, data, size) != 0))
        abort();
    free(out);
    free(back);
    free(work);
    return 0;
}
