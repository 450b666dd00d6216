/* imgdiff.h -- the visual diff of two screenshots (PNG files), in streaming passes over
 * rows so that two 1280 x 30,000 px shots never sit decoded in memory:
 *   1. each picture's rows are hashed (over the common width);
 *   2. the two row sequences are aligned as a text diff aligns lines (diff/seqdiff.c), so
 *      content inserted or removed shifts the rest without marking it changed; rows the
 *      alignment pairs but that differ are compared pixel by pixel with a perceptual
 *      threshold (YIQ colour distance) that ignores antialiased pixels, after pixelmatch;
 *   3. changed pixels are merged into boxes: added (rows only the new shot has), removed
 *      (rows only the old one had), modified (paired rows whose pixels differ);
 *   (masks: rectangles of either picture left out of all of it, see imgdiff_opts_t)
 *   4. optionally, the overlay: the new shot with the boxes tinted and outlined and a bar
 *      where removed rows were, written row by row as a PNG.
 * Equal files (equal sha256) are the caller's shortcut: this always reads both. No loop, no
 * globals: any number at once, one per thread. */
#ifndef LS_DIFF_IMGDIFF_H
#define LS_DIFF_IMGDIFF_H

#include <stddef.h>
#include <stdint.h>

typedef enum { IMGDIFF_ADDED, IMGDIFF_REMOVED, IMGDIFF_MODIFIED } imgdiff_kind_t;

/* A box in the new shot's pixels. A removed box sits at the row of the new shot where the
 * old rows were (y) and is as tall as they were (h). */
typedef struct {
    uint32_t x, y, w, h;
    imgdiff_kind_t kind;
} imgdiff_region_t;

/* A rectangle of one picture's pixels (x, y from its top left). */
typedef struct {
    uint32_t x, y, w, h;
} imgdiff_rect_t;

typedef struct {
    double threshold;          /* per-pixel colour distance, 0..1 as pixelmatch's; 0 = 0.1 */
    uint32_t max_w, max_h;     /* larger pictures are refused; 0 = 16384 x 200000 */
    uint32_t max_edits;        /* row alignment bound (rows inserted + removed); 0 = 2048.
                                * Beyond it rows are compared in place (result.aligned 0) */
    const char *overlay_path;  /* write the overlay PNG here (through path.XXXXXX), or NULL */
    /* Masks: what is left out of the comparison (a site rule's ignored elements), each in
     * its own picture's pixels. A masked pixel reads as one flat colour in both passes (so
     * rows that differ only there hash equal and align), a pair of rows is not compared
     * where either picture's mask covers it, and rows only one picture has count only
     * their unmasked pixels (a row wholly masked is no change). The overlay shows the
     * pictures as they are. Borrowed for the call; NULL / 0 = none. */
    const imgdiff_rect_t *mask_from, *mask_to;
    size_t nmask_from, nmask_to;
} imgdiff_opts_t;

typedef struct {
    uint32_t from_w, from_h, to_w, to_h;
    uint32_t common_w;          /* compared on this width (the narrower) */
    int aligned;                /* 0: more row edits than max_edits; compared in place */
    uint64_t changed_pixels;    /* pixels over the threshold, plus every pixel of added and
                                 * removed rows (over the common width) */
    double changed_fraction;    /* the boxes' area / (common_w * to_h), at most 1 */
    imgdiff_region_t *regions;  /* top to bottom */
    size_t nregions;
} imgdiff_result_t;

/* Compares the PNG at from_path (old) with the one at to_path (new). Returns 0 with *r
 * filled (free it with imgdiff_result_free), or -1 with a sentence in err (a file missing,
 * not a PNG, too large, out of memory, the overlay not writable). */
int imgdiff_files(const char *from_path, const char *to_path, const imgdiff_opts_t *opts,
                  imgdiff_result_t *r, char *err, size_t errlen);
void imgdiff_result_free(imgdiff_result_t *r);
const char *imgdiff_kind_name(imgdiff_kind_t k);

#endif
