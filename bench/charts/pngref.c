/* pngref.c -- the PNG writers linksnap had before raster/pngenc.c went to libdeflate:
 * libpng + zlib with each caller's old settings (charts: level 1, no filter; thumbnails:
 * level 3, SUB; tiles: level 1, SUB). Kept here only so chartbench can measure before and
 * after in one run; nothing in linksnap links it. */
#include "pngref.h"

#include <png.h>
#include <setjmp.h>

static void write_cb(png_structp png, png_bytep data, size_t n)
{
    if (buf_append(png_get_io_ptr(png), data, n))
        png_error(png, "out of memory");
}

static void flush_cb(png_structp png)
{
    (void)png;
}

int pngref_write(const uint8_t *px, int w, int h, int channels, int level, int sub, buf_t *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, out, write_cb, flush_cb);
    png_set_compression_level(png, level);
    png_set_filter(png, 0, sub ? PNG_FILTER_SUB : PNG_FILTER_NONE);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(px + (size_t)y * (size_t)w * (size_t)channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int pngref_read_rgb(const char *path, uint8_t **px, int *w, int *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return -1;
    im.format = PNG_FORMAT_RGB;
    *px = malloc(PNG_IMAGE_SIZE(im));
    if (!*px || !png_image_finish_read(&im, NULL, *px, 0, NULL)) {
        free(*px);
        png_image_free(&im);
        return -1;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    return 0;
}
