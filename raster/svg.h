/* svg.h -- serialises a scene (scene.h) to SVG 1.1: paths as <path>, text as <text> with
 * the scene's font-family stack (escaped), the clip as a clipPath. Numbers are written
 * with two decimals by our own formatter, so the output is the same in every locale and
 * on every thread. */
#ifndef LS_RASTER_SVG_H
#define LS_RASTER_SVG_H

#include "buf.h"
#include "scene.h"

/* Appends the document to out. Returns 0, -ENOMEM or -E2BIG (out's cap). */
int raster_svg_write(const raster_scene_t *s, buf_t *out);

/* Formats v with at most two decimals and no trailing zeros ("12.5", "-3", "0.05")
 * into out (32 bytes); not-finite values print as 0. Returns out. */
char *raster_svg_number(double v, char out[32]);

#endif
