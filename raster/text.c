/* text.c -- measuring, ellipsising and drawing text lines. Layout comes from font.c
 * (fallback, kerning); this file turns runs into one path per line, filled by our own
 * rasterizer, and emoji bitmaps into image draws. No state of its own. */
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ELLIPSIS[] = "\xE2\x80\xA6"; /* U+2026 */

int raster_text_measure(const raster_font_t *f, double size, const char *utf8, size_t len,
                        double *width, char *err, size_t errlen)
{
    raster_run_t run;
    raster_run_init(&run);
    int rc = raster_font_layout(f, size, utf8, len, &run, err, errlen);
    *width = rc ? 0 : run.width;
    raster_run_free(&run);
    return rc;
}

int raster_text_ellipsize(const raster_font_t *f, double size, const char *utf8, size_t len,
                          double max_width, char **out, char *err, size_t errlen)
{
    raster_run_t run;
    raster_run_init(&run);
    *out = NULL;
    double ell;
    int rc = raster_text_measure(f, size, ELLIPSIS, sizeof ELLIPSIS - 1, &ell, err, errlen);
    if (!rc)
        rc = raster_font_layout(f, size, utf8, len, &run, err, errlen);
    if (rc)
        goto fail;
    size_t cut = len;
    int add = 0;
    if (run.width > max_width) {
        /* The longest prefix of glyphs whose advance plus the ellipsis fits. */
        size_t k = 0;
        while (k < run.n && run.g[k].x + run.g[k].advance + ell <= max_width)
            k++;
        cut = k < run.n ? run.g[k].byte : len;
        while (cut > 0 && utf8[cut - 1] == ' ')
            cut--;
        add = ell <= max_width;
    }
    char *s = malloc(cut + (add ? sizeof ELLIPSIS : 1));
    if (!s) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory ellipsising text");
        goto fail;
    }
    memcpy(s, utf8, cut);
    if (add)
        memcpy(s + cut, ELLIPSIS, sizeof ELLIPSIS);
    else
        s[cut] = '\0';
    *out = s;
fail:
    raster_run_free(&run);
    return rc;
}

int raster_text_draw(raster_draw_t *d, const raster_font_t *f, double size, const char *utf8,
                     size_t len, double x, double y, raster_anchor_t anchor,
                     const raster_matrix_t *m, raster_color_t col, char *err, size_t errlen)
{
    raster_run_t run;
    raster_path_t path;
    raster_run_init(&run);
    raster_path_init(&path);
    int rc = raster_font_layout(f, size, utf8, len, &run, err, errlen);
    if (rc)
        goto fail;
    if (anchor == RASTER_ANCHOR_MIDDLE)
        x -= run.width / 2;
    else if (anchor == RASTER_ANCHOR_END)
        x -= run.width;
    int bitmaps = 0;
    for (size_t i = 0; i < run.n; i++)
        bitmaps |= run.g[i].bitmap;
    rc = raster_font_run_outline(&run, size, x, y, m, &path);
    /* All outline glyphs of the line are one fill: one pass of the rasterizer. */
    if (!rc)
        rc = raster_draw_fill(d, &path, NULL, RASTER_FILL_NONZERO, col);
    for (size_t i = 0; i < run.n && bitmaps && !rc; i++) {
        if (!run.g[i].bitmap)
            continue;
        raster_image_t img;
        raster_matrix_t place;
        rc = raster_font_bitmap(&run.g[i], size, x, y, &img, &place);
        if (rc == 1) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        if (m)
            place = raster_matrix_multiply(&place, m);
        rc = raster_draw_image(d, &img, &place, col.a);
        free((void *)img.px);
    }
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory drawing text");
fail:
    raster_path_free(&path);
    raster_run_free(&run);
    return rc;
}
