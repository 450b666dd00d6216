/* canvas.h -- an RGBA8 premultiplied pixel buffer and source-over compositing of
 * coverage masks and images onto it. One canvas belongs to one render; nothing here is
 * shared between canvases. */
#ifndef LS_RASTER_CANVAS_H
#define LS_RASTER_CANVAS_H

#include <stddef.h>
#include <stdint.h>

/* Largest canvas: 2^26 pixels (256 MiB) and 32,767 px a side. */
#define RASTER_MAX_SIDE 32767
#define RASTER_MAX_PIXELS (1u << 26)

/* A colour as CSS writes it: sRGB with straight (not premultiplied) alpha. */
typedef struct {
    uint8_t r, g, b, a;
} raster_color_t;

typedef struct {
    int w, h;
    uint8_t *px; /* w*h*4 bytes, rows top to bottom, R G B A premultiplied */
} raster_canvas_t;

/* An image to draw: premultiplied RGBA, w*h*4 bytes (borrowed by the draw call). */
typedef struct {
    int w, h;
    const uint8_t *px;
} raster_image_t;

raster_color_t raster_rgba(uint8_t r, uint8_t g, uint8_t b, uint8_t a);
/* "#rgb", "#rrggbb" or "#rrggbbaa"; returns 0 or -EINVAL. */
int raster_color_parse(const char *s, raster_color_t *out);

/* Returns 0, -EINVAL (size out of range) or -ENOMEM. Pixels start transparent. */
int raster_canvas_init(raster_canvas_t *c, int w, int h);
/* The same, with every pixel col: one pass over the pixels instead of a clear after a
 * zeroing. */
int raster_canvas_init_color(raster_canvas_t *c, int w, int h, raster_color_t col);
/* Frees c's pixels, or keeps them (up to RASTER_SPARE_MAX bytes) as the calling thread's
 * spare for its next canvas of about that size; a thread's spare is freed when the
 * thread exits, or by raster_canvas_release_spare. Accepts NULL. */
void raster_canvas_free(raster_canvas_t *c);
#define RASTER_SPARE_MAX (16u << 20)
void raster_canvas_release_spare(void);
/* Sets every pixel to col (no blending). */
void raster_canvas_clear(raster_canvas_t *c, raster_color_t col);

/* Composites col over pixels (x..x+n-1, y) with per-pixel coverage mask[i] (0..255).
 * The caller keeps the span inside the canvas. */
void raster_canvas_blend_mask(raster_canvas_t *c, int y, int x, int n, const uint8_t *mask,
                              raster_color_t col);
/* Composites one premultiplied pixel, scaled by cov (0..255), over (x, y). */
void raster_canvas_blend_pixel(raster_canvas_t *c, int x, int y, const uint8_t src[4],
                               uint8_t cov);

/* a*b/255 rounded, for 0..255 operands. */
static inline uint8_t raster_mul255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)((t + (t >> 8)) >> 8);
}

#endif
