/* pngenc.h -- canvas to PNG through libpng, with the encoder settings exposed so they can be
 * measured (bench/charts) and a default chosen from those measurements. */
#ifndef LS_RASTER_PNGENC_H
#define LS_RASTER_PNGENC_H

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

typedef enum {
    RASTER_PNG_AUTO,    /* palette when <= 256 colours, else RGB when opaque, else RGBA */
    RASTER_PNG_TRUECOLOR, /* RGB when opaque, else RGBA: never a palette */
    RASTER_PNG_RGBA,    /* always RGBA */
} raster_png_color_t;

typedef struct {
    int level;     /* zlib level 0..9 */
    int filters;   /* RASTER_PNG_FILTER_* mask; libpng picks per row among several */
    int strategy;  /* zlib strategy: 0 default, 1 filtered, 2 huffman only, 3 RLE */
    raster_png_color_t color;
} raster_png_opts_t;

/* The settings chosen from the measurements in docs/benchmarks.md ("Charts"). */
raster_png_opts_t raster_png_defaults(void);

/* Encodes c (premultiplied RGBA, un-premultiplied here) as PNG appended to out. opts may
 * be NULL for the defaults. The bytes depend only on the pixels and the options (no
 * time chunk). Returns 0 or a negative error with a message in err. */
int raster_png_encode(const raster_canvas_t *c, const raster_png_opts_t *opts, buf_t *out,
                      char *err, size_t errlen);

/* What raster_png_encode would write for c with RASTER_PNG_AUTO: the colour count up to
 * 257 (257 meaning "more than 256") and whether every pixel is opaque. */
void raster_png_analyse(const raster_canvas_t *c, int *colors, int *opaque);

#endif
