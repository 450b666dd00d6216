/* pngread.c -- the one PNG reader (see pngread.h). libpng reports an error by calling our
 * error function, which keeps its message and longjmps back into the call that set the
 * jump (open or rows); that call turns it into the caller's sentence. Nothing is shared
 * between readers. */
#include "pngread.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pngread {
    png_structp png;
    png_infop info;
    FILE *f;                   /* pngread_open_file's, else NULL */
    const unsigned char *data; /* pngread_open_mem's */
    size_t len, off;
    uint32_t width, height;
    char what[300];            /* names the image in messages */
    char msg[200];             /* libpng's last error */
};

static void mem_read_cb(png_structp png, png_bytep out, png_size_t n)
{
    pngread_t *r = png_get_io_ptr(png);
    if (n > r->len - r->off)
        png_error(png, "truncated PNG");
    memcpy(out, r->data + r->off, n);
    r->off += n;
}

static void error_cb(png_structp png, png_const_charp msg)
{
    pngread_t *r = png_get_error_ptr(png);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void warning_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The header, the limits and the conversions to RGB; on error r->msg says why. */
static int read_head(pngread_t *r, uint32_t max_w, uint32_t max_h, char *err, size_t errlen)
{
    if (setjmp(png_jmpbuf(r->png))) {
        snprintf(err, errlen, "%s is not a valid PNG: %s", r->what, r->msg);
        return -1;
    }
    png_set_user_limits(r->png, max_w, max_h);
    png_read_info(r->png, r->info);
    png_set_expand(r->png);
    png_set_strip_16(r->png);
    png_set_strip_alpha(r->png);
    png_set_gray_to_rgb(r->png);
    png_read_update_info(r->png, r->info);
    r->width = png_get_image_width(r->png, r->info);
    r->height = png_get_image_height(r->png, r->info);
    if (png_get_interlace_type(r->png, r->info) != PNG_INTERLACE_NONE) {
        snprintf(err, errlen, "%s is interlaced; only a plain PNG is read", r->what);
        return -1;
    }
    if (png_get_rowbytes(r->png, r->info) != (size_t)r->width * 3) {
        snprintf(err, errlen, "%s has an unexpected PNG layout", r->what);
        return -1;
    }
    return 0;
}

static pngread_t *open_common(pngread_t *r, uint32_t max_w, uint32_t max_h, char *err,
                              size_t errlen)
{
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, error_cb, warning_cb);
    r->info = r->png ? png_create_info_struct(r->png) : NULL;
    if (!r->info) {
        snprintf(err, errlen, "out of memory reading %s", r->what);
        goto fail;
    }
    if (r->f)
        png_init_io(r->png, r->f);
    else
        png_set_read_fn(r->png, r, mem_read_cb);
    if (read_head(r, max_w, max_h, err, errlen) != 0)
        goto fail;
    return r;
fail:
    pngread_close(r);
    return NULL;
}

pngread_t *pngread_open_mem(const void *data, size_t len, const char *what, uint32_t max_w,
                            uint32_t max_h, char *err, size_t errlen)
{
    pngread_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory reading %s", what);
        return NULL;
    }
    r->data = data;
    r->len = len;
    snprintf(r->what, sizeof r->what, "%s", what);
    return open_common(r, max_w, max_h, err, errlen);
}

pngread_t *pngread_open_file(const char *path, uint32_t max_w, uint32_t max_h, char *err,
                             size_t errlen)
{
    pngread_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    snprintf(r->what, sizeof r->what, "%s", path);
    if (!(r->f = fopen(path, "rbe"))) {
        snprintf(err, errlen, "cannot open %s: %m", path);
        free(r);
        return NULL;
    }
    return open_common(r, max_w, max_h, err, errlen);
}

uint32_t pngread_width(const pngread_t *r) { return r->width; }
uint32_t pngread_height(const pngread_t *r) { return r->height; }

int pngread_rows(pngread_t *r, unsigned char *out, uint32_t n, char *err, size_t errlen)
{
    if (setjmp(png_jmpbuf(r->png))) {
        snprintf(err, errlen, "%s is not a valid PNG: %s", r->what, r->msg);
        return -1;
    }
    for (uint32_t y = 0; y < n; y++)
        png_read_row(r->png, out + (size_t)y * r->width * 3, NULL);
    return 0;
}

void pngread_close(pngread_t *r)
{
    if (!r)
        return;
    png_destroy_read_struct(&r->png, &r->info, NULL);
    if (r->f)
        fclose(r->f);
    free(r);
}
