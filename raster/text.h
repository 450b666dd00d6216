/* text.h -- text on the canvas: measuring, ellipsising to a width, and drawing a line
 * of text (outlines through our coverage rasterizer, colour emoji as images). Built on
 * the font cache (font.h); as thread-safe as it is. */
#ifndef LS_RASTER_TEXT_H
#define LS_RASTER_TEXT_H

#include "draw.h"
#include "font.h"

typedef enum {
    RASTER_ANCHOR_START,
    RASTER_ANCHOR_MIDDLE,
    RASTER_ANCHOR_END,
} raster_anchor_t;

/* The width in px of utf8[0..len) at size. Returns 0 or a negative error with err. */
int raster_text_measure(const raster_font_t *f, double size, const char *utf8, size_t len,
                        double *width, char *err, size_t errlen);

/* Sets *out to a new string (the caller frees): utf8 itself when it fits in max_width px,
 * else its longest prefix (whole code points, trailing spaces dropped) followed by "…"
 * that fits; "…" alone if nothing else does, "" if not even that. */
int raster_text_ellipsize(const raster_font_t *f, double size, const char *utf8, size_t len,
                          double max_width, char **out, char *err, size_t errlen);

/* Draws utf8 with its baseline at (x, y) (user units, y down), anchored at its start,
 * middle or end, mapped by m (NULL = identity) onto d's canvas. */
int raster_text_draw(raster_draw_t *d, const raster_font_t *f, double size, const char *utf8,
                     size_t len, double x, double y, raster_anchor_t anchor,
                     const raster_matrix_t *m, raster_color_t col, char *err, size_t errlen);

#endif
