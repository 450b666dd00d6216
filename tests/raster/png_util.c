/* png_util.c -- PNG decoding and image comparison for the raster and chart tests. */
#include "png_util.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_png_decode(const void *data, size_t len, test_image_t *img)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    img->px = NULL;
    if (!png_image_begin_read_from_memory(&im, data, len))
        return -1;
    im.format = PNG_FORMAT_RGBA;
    img->w = (int)im.width;
    img->h = (int)im.height;
    img->px = malloc(PNG_IMAGE_SIZE(im));
    if (!img->px || !png_image_finish_read(&im, NULL, img->px, 0, NULL)) {
        png_image_free(&im);
        free(img->px);
        img->px = NULL;
        return -1;
    }
    return 0;
}

int test_read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc(n > 0 ? (size_t)n : 1);
    if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(*data);
        return -1;
    }
    fclose(f);
    *len = (size_t)n;
    return 0;
}

int test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int test_image_diff(const test_image_t *a, const test_image_t *b, int tol, test_diff_t *d)
{
    memset(d, 0, sizeof *d);
    if (a->w != b->w || a->h != b->h)
        return -1;
    size_t n = (size_t)a->w * (size_t)a->h;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        int worst = 0;
        for (int k = 0; k < 4; k++) {
            int v = abs(a->px[i * 4 + k] - b->px[i * 4 + k]);
            sum += v;
            if (v > worst)
                worst = v;
        }
        if (worst > d->max_diff)
            d->max_diff = worst;
        if (worst > tol)
            d->over++;
    }
    d->mean_diff = n ? sum / (double)(n * 4) : 0;
    return 0;
}
