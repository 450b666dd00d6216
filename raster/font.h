/* font.h -- fonts for the rasterizer: family lookup and per-character fallback through
 * fontconfig, glyph outlines (and colour bitmaps for emoji) through FreeType.
 *
 * Threading: one process-wide cache holds the fontconfig configuration, the FreeType
 * library, the opened faces and the loaded glyphs, behind one mutex. Every function
 * here takes that mutex for its whole call and hands back copies (positions, outlines,
 * bitmaps), never pointers into the cache, so any number of renders on any threads may
 * call them at once and the cache may drop glyphs to stay under its memory cap. Outlines
 * are loaded unhinted in font units and scaled by the caller, so a glyph looks the same
 * whichever thread loaded it first: output depends only on the input and the installed
 * fonts. */
#ifndef LS_RASTER_FONT_H
#define LS_RASTER_FONT_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"
#include "path.h"

/* The default stack: Latin, then CJK, then colour emoji, then whatever fontconfig
 * offers for sans-serif. The same string serves as the SVG font-family. */
#define RASTER_FONT_STACK "DejaVu Sans, Noto Sans CJK SC, Noto Color Emoji, sans-serif"

typedef struct {
    const char *family; /* comma-separated family stack; NULL = RASTER_FONT_STACK */
    int bold;
} raster_font_t;

/* One positioned glyph; face and gid are opaque ids into the cache. */
typedef struct {
    uint32_t face, gid;
    size_t byte;    /* offset in the input of the code point it draws */
    double x;       /* pen position from the start of the run, px */
    double advance; /* px */
    int bitmap;     /* a colour bitmap (emoji) rather than an outline */
} raster_glyph_t;

typedef struct {
    raster_glyph_t *g;
    size_t n, cap;
    double width;           /* total advance, px */
    double ascent, descent; /* of the first font of the stack, px, both >= 0 */
    size_t missing;         /* code points no installed font has (drawn as a box) */
} raster_run_t;

void raster_run_init(raster_run_t *r);
void raster_run_free(raster_run_t *r); /* accepts NULL */

/* Lays out utf8[0..len) on one line at size px: a font per code point (the first font of
 * the stack that has it), advances and pair kerning ('kern' table) within one font.
 * Invalid UTF-8 lays out as U+FFFD; zero-width joiners and variation selectors are
 * skipped; tab and newline count as spaces. Returns 0, -ENOMEM, or -ENOENT when no font
 * at all can be found (err says what to install). */
int raster_font_layout(const raster_font_t *f, double size, const char *utf8, size_t len,
                       raster_run_t *run, char *err, size_t errlen);

/* Appends glyph g's outline for a run whose baseline starts at (x, y) (y down), mapped
 * by m (NULL = identity), to out. An empty or bitmap glyph appends nothing. */
int raster_font_outline(const raster_glyph_t *g, double size, double x, double y,
                        const raster_matrix_t *m, raster_path_t *out);

/* Every outline glyph of run at once (one lock for the whole line). */
int raster_font_run_outline(const raster_run_t *run, double size, double x, double y,
                            const raster_matrix_t *m, raster_path_t *out);

/* For a bitmap glyph: a copy of its premultiplied RGBA image (img->px is malloc'ed; the
 * caller frees it) and the matrix placing its pixels for a run at (x, y). Returns 0,
 * 1 when the glyph has no bitmap (nothing to draw), or -ENOMEM. */
int raster_font_bitmap(const raster_glyph_t *g, double size, double x, double y,
                       raster_image_t *img, raster_matrix_t *place);

typedef struct {
    size_t faces, fontsets, glyphs, glyph_bytes, flushes;
    uint64_t locks, waits; /* mutex acquisitions, and those another thread delayed */
} raster_font_stats_t;

void raster_font_stats(raster_font_stats_t *out);

/* Frees the whole cache (fontconfig config, FreeType, faces, glyphs). Only for the end
 * of the process or of a test, when no render is running; the next call starts over. */
void raster_font_cache_clear(void);

#endif
