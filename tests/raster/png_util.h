/* png_util.h -- test helpers: decode a PNG (libpng's simplified API) to straight RGBA,
 * read and write files, and compare two images with a per-pixel tolerance. */
#ifndef LS_TEST_PNG_UTIL_H
#define LS_TEST_PNG_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int w, h;
    uint8_t *px; /* straight RGBA, w*h*4 */
} test_image_t;

/* Returns 0 or -1; img->px is malloc'ed. */
int test_png_decode(const void *data, size_t len, test_image_t *img);
int test_read_file(const char *path, char **data, size_t *len);
int test_write_file(const char *path, const void *data, size_t len);

typedef struct {
    int max_diff;       /* largest channel difference */
    double mean_diff;   /* mean absolute channel difference */
    size_t over;        /* pixels with a channel difference over the tolerance */
} test_diff_t;

/* Compares a and b (same size, else returns -1) with tolerance tol per channel. */
int test_image_diff(const test_image_t *a, const test_image_t *b, int tol, test_diff_t *d);

#endif
