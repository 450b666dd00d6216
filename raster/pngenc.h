/* pngenc.h -- linksnap's one PNG writer, for charts, thumbnails and screenshot tiles:
 * rows in, PNG bytes out, the image data deflated in one piece by libdeflate or, for
 * drawn images (the charts' default), by raster/deflate.c. Two levels:
 *   raster_png_write   any 8-bit RGB/RGBA or palette image given as rows (or a row callback)
 *   raster_png_encode  a premultiplied canvas, in the smallest exact format, with the
 *                      encoder settings exposed so they can be measured (bench/charts).
 * Both compress whole buffers, not streams: the filtered image is held in memory
 * while it is compressed (1 + row bytes per row), so callers with tall images write them
 * in pieces (daemon/tiles.c writes one tile at a time). */
#ifndef LS_RASTER_PNGENC_H
#define LS_RASTER_PNGENC_H

#include <stdint.h>

#include "buf.h"
#include "canvas.h"

enum {
    RASTER_PNG_FILTER_NONE = 1,
    RASTER_PNG_FILTER_SUB = 2,
    RASTER_PNG_FILTER_UP = 4,
    RASTER_PNG_FILTER_AVG = 8,
    RASTER_PNG_FILTER_PAETH = 16,
    RASTER_PNG_FILTER_ALL = 31,
};

/* PNG colour types this writer knows (the values are the IHDR's). */
typedef enum {
    RASTER_PNG_TYPE_RGB = 2,
    RASTER_PNG_TYPE_PALETTE = 3,
    RASTER_PNG_TYPE_RGBA = 6,
} raster_png_type_t;

#define RASTER_PNG_MAX_LEVEL 12 /* libdeflate's levels: 0 stores, 1 fastest, 12 smallest */
/* Not a libdeflate level: raster/deflate.c, which tries the pixel above and the one on the
 * left before anything else -- for drawn images (charts), several times faster than
 * libdeflate on their long runs, a few per cent larger. */
#define RASTER_PNG_LEVEL_RUNS (-1)

/* One image to write. Rows come from px (stride bytes apart, packed as the PNG wants them:
 * 3 or 4 bytes a pixel, or palette indices at depth bits) or, when px is NULL, from row_cb,
 * which fills one row of (width * bits + 7) / 8 bytes for row y (called once per row, in
 * order, on the caller's thread). */
typedef struct {
    uint32_t width, height;
    raster_png_type_t type;
    int depth;                 /* 8; a palette may use 1, 2, 4 or 8 */
    const uint8_t *plte;       /* palette: nplte RGB triples */
    int nplte;
    const uint8_t *trns;       /* palette: alpha of the first ntrns entries, or NULL */
    int ntrns;
    int level;                 /* libdeflate level 0..12, or RASTER_PNG_LEVEL_RUNS */
    int filters;               /* RASTER_PNG_FILTER_* mask; several: chosen per row */
    const uint8_t *px;
    size_t stride;
    void (*row_cb)(void *ud, uint32_t y, uint8_t *row);
    void *ud;
} raster_png_image_t;

/* Appends im as a PNG to out (capped by out->max). The bytes depend only on the image and
 * its settings (no time chunk). Returns 0, -EINVAL (bad image description), -ENOMEM or
 * -E2BIG (out's cap), with a sentence in err. */
int raster_png_write(const raster_png_image_t *im, buf_t *out, char *err, size_t errlen);

/* Each thread keeps its last libdeflate compressor, raster/deflate.c's work memory and
 * row buffer (up to 16 MB) for the next image; they are freed when the thread exits, or
 * now by this (for the calling thread only). */
void raster_png_release_scratch(void);

typedef enum {
    RASTER_PNG_AUTO,    /* palette when <= 256 colours, else RGB when opaque, else RGBA */
    RASTER_PNG_TRUECOLOR, /* RGB when opaque, else RGBA: never a palette */
    RASTER_PNG_RGBA,    /* always RGBA */
} raster_png_color_t;

typedef struct {
    int level;     /* libdeflate level 0..12, or RASTER_PNG_LEVEL_RUNS */
    int filters;   /* RASTER_PNG_FILTER_* mask; several are chosen among per row */
    raster_png_color_t color;
} raster_png_opts_t;

/* The settings chosen from the measurements in docs/benchmarks.md ("Charts"). */
raster_png_opts_t raster_png_defaults(void);

/* Encodes c (premultiplied RGBA, un-premultiplied here) as PNG appended to out. opts may
 * be NULL for the defaults. Returns 0 or a negative error with a message in err. */
int raster_png_encode(const raster_canvas_t *c, const raster_png_opts_t *opts, buf_t *out,
                      char *err, size_t errlen);

/* What raster_png_encode would write for c with RASTER_PNG_AUTO: the colour count up to
 * 257 (257 meaning "more than 256") and whether every pixel is opaque. */
void raster_png_analyse(const raster_canvas_t *c, int *colors, int *opaque);

#endif
