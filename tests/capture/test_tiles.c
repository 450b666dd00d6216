/* test_tiles.c -- capture/tiles.c and the one PNG reader (capture/pngread.c) on real files:
 * a tall screenshot cut into tiles that decode back to its rows, and a damaged file whose
 * error carries libpng's own reason (the old private reader said only "damaged or
 * truncated"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "pngenc.h"
#include "pngread.h"
#include "test.h"
#include "tiles.h"

static char dir[] = "/tmp/linksnap-tiles-XXXXXX";

/* A w x h RGB image, each row the colour of its index, written as a PNG at path. */
static int write_png(const char *path, uint32_t w, uint32_t h, size_t keep)
{
    unsigned char *rgb = malloc((size_t)w * h * 3);
    if (!rgb)
        return -1;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            unsigned char *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (unsigned char)y;
            p[1] = (unsigned char)(y >> 8);
            p[2] = (unsigned char)x;
        }
    raster_png_image_t im = {.width = w, .height = h, .type = RASTER_PNG_TYPE_RGB, .depth = 8,
                             .level = 2, .filters = RASTER_PNG_FILTER_SUB, .px = rgb,
                             .stride = (size_t)w * 3};
    buf_t b;
    buf_init(&b, 0);
    char err[160];
    int rc = raster_png_write(&im, &b, err, sizeof err);
    free(rgb);
    FILE *f = rc == 0 ? fopen(path, "wb") : NULL;
    size_t n = keep && keep < b.len ? keep : b.len;
    rc = f && fwrite(b.data, 1, n, f) == n ? 0 : -1;
    if (f)
        fclose(f);
    buf_free(&b);
    return rc;
}

TEST(tiles_cut_round_trip)
{
    char path[128];
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/tall.png", dir);
    ASSERT_EQ(write_png(path, 40, 2500, 0), 0);
    tiles_t t = {0};
    char err[300] = "";
    ASSERT_MSG(tiles_cut(path, 1024, 1u << 30, &t, err, sizeof err) == 0, "%s", err);
    ASSERT_EQ(t.width, 40);
    ASSERT_EQ(t.height, 2500);
    ASSERT_EQ(t.count, 3);
    /* the last tile is the rest: rows 2048..2499, decoded by the same reader */
    pngread_t *r = pngread_open_mem(t.data[2], t.len[2], "tile 2", 1u << 20, 1u << 20, err, sizeof err);
    ASSERT_MSG(r != NULL, "%s", err);
    ASSERT_EQ(pngread_width(r), 40);
    ASSERT_EQ(pngread_height(r), 2500 - 2048);
    unsigned char row[40 * 3];
    ASSERT_EQ(pngread_rows(r, row, 1, err, sizeof err), 0);
    ASSERT_EQ(row[0], (unsigned char)2048);
    ASSERT_EQ(row[1], 2048 >> 8);
    ASSERT_EQ(row[3 * 39 + 2], 39);
    pngread_close(r);
    tiles_free(&t);
    unlink(path);
    return 0;
}

TEST(tiles_damaged_file_says_why)
{
    char path[128];
    snprintf(path, sizeof path, "%s/cut.png", dir);
    /* the signature and header are whole, the image data is cut short */
    ASSERT_EQ(write_png(path, 300, 3000, 200), 0);
    tiles_t t = {0};
    char err[300] = "";
    ASSERT_EQ(tiles_cut(path, 1024, 1u << 30, &t, err, sizeof err), -1);
    ASSERT_MSG(strstr(err, path) != NULL, "%s", err);
    /* libpng's own reason follows the sentence's colon: not only that it failed */
    const char *why = strstr(err, "not a valid PNG: ");
    ASSERT_MSG(why != NULL, "%s", err);
    ASSERT_MSG(strlen(why + strlen("not a valid PNG: ")) > 3, "%s", err);
    ASSERT_EQ(t.count, 0);
    ASSERT(t.data == NULL);
    /* not a PNG at all: libpng's signature check names it */
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    fputs("GIF89a and more bytes than a signature", f);
    fclose(f);
    ASSERT_EQ(tiles_cut(path, 1024, 1u << 30, &t, err, sizeof err), -1);
    ASSERT_MSG(strstr(err, "not a valid PNG: ") != NULL, "%s", err);
    unlink(path);
    rmdir(dir);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(tiles_cut_round_trip),
    TEST_ENTRY(tiles_damaged_file_says_why),
    TEST_END,
};
TEST_MAIN()
