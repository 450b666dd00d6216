/* test_imgdiff.c -- the visual diff (diff/imgdiff.c) on synthetic pages written as PNG
 * files: lines of "words" (dark boxes whose widths come from the line's number), so a line
 * is the same wherever it moves and different lines differ. */
#include <dirent.h>
#include <stdint.h>
#include <unistd.h>

#include "buf.h"
#include "imgdiff.h"
#include "pngenc.h"
#include "pngread.h"
#include "test.h"

#define LINE 20   /* px per line: 12 of ink, 8 of white */

typedef struct {
    uint32_t w, h;
    uint8_t *px;
} img_t;

static img_t img_new(uint32_t w, uint32_t h)
{
    img_t im = {.w = w, .h = h, .px = malloc((size_t)w * h * 3)};
    if (im.px)
        memset(im.px, 255, (size_t)w * h * 3);
    return im;
}

static void img_box(img_t *im, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint8_t v)
{
    for (uint32_t j = y; j < y + h && j < im->h; j++)
        for (uint32_t i = x; i < x + w && i < im->w; i++)
            memset(im->px + ((size_t)j * im->w + i) * 3, v, 3);
}

/* Line `id` at row y: words 6..40 px wide, 6 px apart, until the margin. */
static void img_line(img_t *im, uint32_t y, uint32_t id)
{
    uint32_t s = id * 2654435761u + 12345, x = 10;
    for (;;) {
        s = s * 1103515245u + 12345;
        uint32_t w = 6 + (s >> 16) % 35;
        if (x + w + 10 > im->w)
            break;
        img_box(im, x, y + 2, w, 12 - (s >> 8) % 3, 30);
        x += w + 6;
    }
}

/* A page of the lines ids[0..n), 10 px from the top. */
static img_t page(uint32_t w, const uint32_t *ids, size_t n, uint32_t h)
{
    img_t im = img_new(w, h);
    for (size_t i = 0; im.px && i < n; i++)
        img_line(&im, 10 + (uint32_t)i * LINE, ids[i]);
    return im;
}

static int img_save(const img_t *im, const char *path)
{
    raster_png_image_t pi = {.width = im->w, .height = im->h, .type = RASTER_PNG_TYPE_RGB,
                             .depth = 8, .level = 1, .filters = RASTER_PNG_FILTER_SUB,
                             .px = im->px, .stride = (size_t)im->w * 3};
    buf_t b;
    buf_init(&b, 0);
    char err[200];
    int rc = raster_png_write(&pi, &b, err, sizeof err);
    FILE *f = rc == 0 ? fopen(path, "wb") : NULL;
    if (f) {
        rc = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
        rc |= fclose(f);
    } else {
        rc = -1;
    }
    buf_free(&b);
    return rc;
}

static char dir[64];
static char pa[128], pb[128], po[128];

static int setup(const img_t *a, const img_t *b)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_imgdiff.XXXXXX");
        if (!mkdtemp(dir))
            return -1;
        snprintf(pa, sizeof pa, "%s/a.png", dir);
        snprintf(pb, sizeof pb, "%s/b.png", dir);
        snprintf(po, sizeof po, "%s/overlay.png", dir);
    }
    unlink(po);
    return img_save(a, pa) || img_save(b, pb);
}

/* 30 lines, ids 0..29, optionally with `extra` lines inserted before line `at`. */
static size_t ids_with(uint32_t *ids, size_t at, size_t extra)
{
    size_t n = 0;
    for (uint32_t i = 0; i < 30; i++) {
        if (i == at)
            for (size_t e = 0; e < extra; e++)
                ids[n++] = 1000 + (uint32_t)e;
        ids[n++] = i;
    }
    return n;
}

/* The page of lines 0..29 (720 px) and the same with five lines inserted before line 5
 * (820 px), written as a.png and b.png. 0 or -1. */
static int band_pair(img_t *a, img_t *b)
{
    uint32_t ia[40], ib[40];
    size_t na = ids_with(ia, 0, 0), nb = ids_with(ib, 5, 5);
    *a = page(300, ia, na, 720);
    *b = page(300, ib, nb, 820);
    return a->px && b->px ? setup(a, b) : -1;
}

TEST(inserted_band_is_one_added_region)
{
    img_t a, b;
    ASSERT_EQ(band_pair(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.aligned, 1);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_ADDED);
    /* the five new lines start at row 10 + 5 * 20; blank rows may join either side */
    ASSERT_LE(r.regions[0].y, 10 + 5 * LINE + 2);
    ASSERT_GE(r.regions[0].y + r.regions[0].h, 10 + 10 * LINE - 8);
    ASSERT_EQ(r.regions[0].h, 5 * LINE);
    /* only the inserted band counts: 100 rows of 820 */
    ASSERT_NEAR(r.changed_fraction, 100.0 / 820, 1e-9);
    imgdiff_result_free(&r);
    /* the other way round: one removed region where the band was */
    ASSERT_EQ(imgdiff_files(pb, pa, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_REMOVED);
    ASSERT_EQ(r.regions[0].h, 5 * LINE);
    ASSERT_LE(r.regions[0].y, 10 + 5 * LINE + 2);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(changed_word_is_one_modified_region)
{
    uint32_t ids[40];
    size_t n = ids_with(ids, 0, 0);
    img_t a = page(300, ids, n, 720), b = page(300, ids, n, 720);
    /* line 20's second word grows a dark box (a longer word) */
    uint32_t y = 10 + 20 * LINE;
    img_box(&b, 120, y + 2, 30, 10, 30);
    img_box(&a, 120, y + 2, 30, 10, 255);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_MODIFIED);
    ASSERT_GE(r.regions[0].x, 100);
    ASSERT_LE(r.regions[0].x + r.regions[0].w, 170);
    ASSERT_GE(r.regions[0].y, y);
    ASSERT_LE(r.regions[0].y + r.regions[0].h, y + 14);
    ASSERT_GT(r.changed_pixels, 0);
    ASSERT_LE(r.changed_pixels, 300);
    ASSERT(r.changed_fraction < 0.01);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

/* A vertical edge: black left of column 100, white right of it, column 100 a grey. */
static img_t edge(uint8_t grey, uint32_t x)
{
    img_t im = img_new(200, 200);
    img_box(&im, 0, 50, x, 100, 0);
    img_box(&im, x, 50, 1, 100, grey);
    return im;
}

TEST(changed_line_that_grew_is_one_modified_region)
{
    /* line 20 changed and the paragraph one line longer (a longer word wrapped): rows added
     * beside rows modified are one change */
    uint32_t ia[40], ib[40];
    size_t na = ids_with(ia, 0, 0), nb = ids_with(ib, 21, 1);
    ib[20] = 555;
    img_t a = page(300, ia, na, 720), b = page(300, ib, nb, 740);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_MODIFIED);
    ASSERT_LE(r.regions[0].y, 10 + 20 * LINE + 2);
    ASSERT_GE(r.regions[0].y + r.regions[0].h, 10 + 22 * LINE - 8);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(antialiased_edge_shift_is_no_change)
{
    /* the edge's antialiased column moves from 50% to 61% ink: no change */
    img_t a = edge(128, 100), b = edge(100, 100);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    ASSERT_EQ(r.changed_pixels, 0);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    /* the same grey change in a flat grey band (no edge) is a change */
    a = img_new(200, 200);
    b = img_new(200, 200);
    img_box(&a, 90, 50, 20, 100, 128);
    img_box(&b, 90, 50, 20, 100, 100);
    ASSERT_EQ(setup(&a, &b), 0);
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_MODIFIED);
    ASSERT_GT(r.changed_pixels, 1000);
    imgdiff_result_free(&r);
    /* and a change under the threshold is none */
    img_box(&b, 90, 50, 20, 100, 124);
    ASSERT_EQ(setup(&a, &b), 0);
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(different_widths_compare_the_common_width)
{
    uint32_t ids[40];
    size_t n = ids_with(ids, 0, 0);
    img_t a = page(300, ids, n, 720), b = img_new(340, 720);
    /* the same page, 40 px wider, with something drawn only in the extra width */
    for (uint32_t y = 0; y < 720; y++)
        memcpy(b.px + (size_t)y * 340 * 3, a.px + (size_t)y * 300 * 3, 300 * 3);
    img_box(&b, 310, 100, 20, 20, 0);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.common_w, 300);
    ASSERT_EQ(r.from_w, 300);
    ASSERT_EQ(r.to_w, 340);
    ASSERT_EQ(r.nregions, 0);
    imgdiff_result_free(&r);
    /* inside the common width a change still shows */
    img_box(&b, 50, 300, 20, 10, 0);
    ASSERT_EQ(setup(&a, &b), 0);
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_LE(r.regions[0].x + r.regions[0].w, 300);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(too_many_row_edits_compare_in_place)
{
    /* every line twice, so that no row is unique on both sides (no anchor): the search
     * has the whole middle to cross */
    uint32_t ia[40], ib[40];
    size_t na = ids_with(ia, 0, 0), nb = ids_with(ib, 5, 5);
    for (size_t i = 0; i < na; i++)
        ia[i] /= 2;
    for (size_t i = 0; i < nb; i++)
        ib[i] = ib[i] >= 1000 ? ib[i] : ib[i] / 2;
    ib[nb - 3] = 777;   /* a line changed lower down */
    img_t a = page(300, ia, na, 720), b = page(300, ib, nb, 820);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_opts_t o = {.max_edits = 20};
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.aligned, 0);
    /* everything below the insertion moved: far more than the band */
    ASSERT(r.changed_fraction > 0.5);
    imgdiff_result_free(&r);
    /* with room to align: the band added, the changed line modified */
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.aligned, 1);
    /* the band added; the changed line modified (one box per cluster of changed words) */
    ASSERT_GE(r.nregions, 2);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_ADDED);
    ASSERT_EQ(r.regions[0].h, 5 * LINE);
    for (size_t i = 1; i < r.nregions; i++) {
        ASSERT_EQ(r.regions[i].kind, IMGDIFF_MODIFIED);
        ASSERT_GE(r.regions[i].y, 10 + (uint32_t)(nb - 3) * LINE);
        ASSERT_LE(r.regions[i].y + r.regions[i].h, 10 + (uint32_t)(nb - 2) * LINE);
    }
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(overlay_tints_the_new_shot)
{
    img_t a, b;
    ASSERT_EQ(band_pair(&a, &b), 0);
    imgdiff_opts_t o = {.overlay_path = po};
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    pngread_t *rd = pngread_open_file(po, 10000, 10000, err, sizeof err);
    ASSERT_MSG(rd, "%s", err);
    ASSERT_EQ(pngread_width(rd), 300);
    ASSERT_EQ(pngread_height(rd), 820);
    uint8_t *row = malloc(300 * 3);
    ASSERT_NOT_NULL(row);
    int tinted = 0, same_outside = 1;
    for (uint32_t y = 0; y < 820; y++) {
        ASSERT_EQ(pngread_rows(rd, row, 1, err, sizeof err), 0);
        int inside = y >= r.regions[0].y && y < r.regions[0].y + r.regions[0].h;
        int same = memcmp(row, b.px + (size_t)y * 900, 900) == 0;
        if (inside && !same)
            tinted++;
        if (!inside && !same)
            same_outside = 0;
    }
    ASSERT_EQ(tinted, (int)r.regions[0].h);
    ASSERT(same_outside);
    free(row);
    pngread_close(rd);
    /* nothing but a.png, b.png and the overlay: no temporary file left */
    DIR *d = opendir(dir);
    ASSERT_NOT_NULL(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        files += e->d_name[0] != '.';
    closedir(d);
    ASSERT_EQ(files, 3);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(bad_input)
{
    imgdiff_result_t r;
    char err[300] = "";
    ASSERT_EQ(imgdiff_files("/nonexistent/a.png", "/nonexistent/b.png", NULL, &r, err, sizeof err), -1);
    ASSERT(strstr(err, "/nonexistent/a.png"));
    uint32_t ids[40];
    size_t n = ids_with(ids, 0, 0);
    img_t a = page(300, ids, n, 720);
    ASSERT_EQ(setup(&a, &a), 0);
    FILE *f = fopen(pb, "wb");
    ASSERT_NOT_NULL(f);
    fputs("not a png", f);
    fclose(f);
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), -1);
    ASSERT(strstr(err, "not a valid PNG"));
    /* a picture over the size limit is refused */
    ASSERT_EQ(setup(&a, &a), 0);
    imgdiff_opts_t o = {.max_h = 100};
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), -1);
    /* and the same picture twice is no change */
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    ASSERT_EQ(r.changed_fraction, 0);
    imgdiff_result_free(&r);
    free(a.px);
    return 0;
}

/* A page of lines 0..29 with a "clock" at (40, y): a dark box whose width is its time. */
static img_t clock_page(const uint32_t *ids, size_t n, uint32_t h, uint32_t y, uint32_t w)
{
    img_t im = page(300, ids, n, h);
    if (im.px) {
        img_box(&im, 30, y, 120, LINE, 255);
        img_box(&im, 40, y + 2, w, 12, 30);
    }
    return im;
}

TEST(masked_clock_is_no_change)
{
    uint32_t ids[40];
    size_t n = ids_with(ids, 0, 0);
    uint32_t y = 10 + 12 * LINE;
    img_t a = clock_page(ids, n, 720, y, 50), b = clock_page(ids, n, 720, y, 90);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    /* unmasked, the clock is a change (the test below can fail) */
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_MODIFIED);
    imgdiff_result_free(&r);
    /* each picture's own box of the clock (as wide as its text) */
    imgdiff_rect_t ma = {40, y + 2, 50, 12}, mb = {40, y + 2, 90, 12};
    imgdiff_opts_t o = {.mask_from = &ma, .nmask_from = 1, .mask_to = &mb, .nmask_to = 1};
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    ASSERT_EQ(r.changed_pixels, 0);
    ASSERT_EQ(r.changed_fraction, 0);
    imgdiff_result_free(&r);
    /* the old picture's box alone: only its columns are left out, the new clock's wider
     * text beyond them (x 90..130) is a change */
    o.nmask_to = 0;
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_GE(r.regions[0].x, 88);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(masked_clock_moves_with_inserted_band)
{
    /* five lines inserted above: the clock is 100 px lower in the new shot; each mask in
     * its own picture's rows. Only the band is a change. */
    uint32_t ia[40], ib[40];
    size_t na = ids_with(ia, 0, 0), nb = ids_with(ib, 5, 5);
    uint32_t ya = 10 + 20 * LINE, yb = ya + 5 * LINE;
    img_t a = clock_page(ia, na, 720, ya, 50), b = clock_page(ib, nb, 820, yb, 90);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 2);   /* the band and the clock */
    imgdiff_result_free(&r);
    imgdiff_rect_t ma = {40, ya + 2, 50, 12}, mb = {40, yb + 2, 90, 12};
    imgdiff_opts_t o = {.mask_from = &ma, .nmask_from = 1, .mask_to = &mb, .nmask_to = 1};
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.aligned, 1);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_ADDED);
    ASSERT_EQ(r.regions[0].h, 5 * LINE);
    ASSERT_NEAR(r.changed_fraction, 100.0 / 820, 1e-9);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

TEST(masked_rows_added_or_removed_are_no_change)
{
    /* two lines inserted before line 10, and the new shot's mask covers them (an ignored
     * element that grew): nothing changed; the other way round, the old shot's mask
     * covers the rows that went */
    uint32_t ia[40], ib[40];
    size_t na = ids_with(ia, 0, 0), nb = ids_with(ib, 10, 2);
    img_t a = page(300, ia, na, 720), b = page(300, ib, nb, 760);
    ASSERT_EQ(setup(&a, &b), 0);
    imgdiff_result_t r;
    char err[300];
    imgdiff_rect_t band = {0, 10 + 10 * LINE, 300, 2 * LINE};
    imgdiff_opts_t o = {.mask_to = &band, .nmask_to = 1};
    ASSERT_EQ(imgdiff_files(pa, pb, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    imgdiff_result_free(&r);
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    ASSERT_EQ(r.changed_pixels, 0);
    imgdiff_result_free(&r);
    imgdiff_opts_t back = {.mask_from = &band, .nmask_from = 1};
    ASSERT_EQ(imgdiff_files(pb, pa, NULL, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_REMOVED);
    imgdiff_result_free(&r);
    ASSERT_EQ(imgdiff_files(pb, pa, &back, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 0);
    ASSERT_EQ(r.changed_pixels, 0);
    imgdiff_result_free(&r);
    /* a mask over only part of the new rows leaves the rest of them added */
    band.w = 100;
    ASSERT_EQ(imgdiff_files(pa, pb, &o, &r, err, sizeof err), 0);
    ASSERT_EQ(r.nregions, 1);
    ASSERT_EQ(r.regions[0].kind, IMGDIFF_ADDED);
    ASSERT_GE(r.regions[0].x, 100);
    ASSERT_EQ(r.changed_pixels, 200 * 2 * LINE);
    imgdiff_result_free(&r);
    free(a.px);
    free(b.px);
    return 0;
}

static int cleanup(void)
{
    unlink(pa);
    unlink(pb);
    unlink(po);
    return rmdir(dir) == 0 ? 0 : 1;
}

TEST(zz_cleanup) { return dir[0] ? cleanup() : 0; }

TEST_LIST = {
    TEST_ENTRY(inserted_band_is_one_added_region),
    TEST_ENTRY(changed_word_is_one_modified_region),
    TEST_ENTRY(changed_line_that_grew_is_one_modified_region),
    TEST_ENTRY(antialiased_edge_shift_is_no_change),
    TEST_ENTRY(different_widths_compare_the_common_width),
    TEST_ENTRY(too_many_row_edits_compare_in_place),
    TEST_ENTRY(overlay_tints_the_new_shot),
    TEST_ENTRY(bad_input),
    TEST_ENTRY(masked_clock_is_no_change),
    TEST_ENTRY(masked_clock_moves_with_inserted_band),
    TEST_ENTRY(masked_rows_added_or_removed_are_no_change),
    TEST_ENTRY(zz_cleanup),
    TEST_END,
};
TEST_MAIN()
