/* test_postproc.c -- the screenshot post-processing (capture/postproc.c) on PNGs made
 * here: the file is written whole (and nothing else stays behind), its SHA-256 is that of
 * the bytes, a flat image is found blank and a one-pixel difference at the very bottom is
 * not, the thumbnail is 320 px wide of the first screen with the right colours, and bad
 * input (not base64, not a PNG, a truncated PNG, an unwritable path) fails with a reason
 * and leaves no file. */
#include <openssl/evp.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postproc.h"
#include "test.h"

typedef struct {
    unsigned char *d;
    size_t n, cap;
} buf_t;

static void wr_cb(png_structp p, png_bytep in, png_size_t n)
{
    buf_t *b = png_get_io_ptr(p);
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->d = realloc(b->d, b->cap);
    }
    memcpy(b->d + b->n, in, n);
    b->n += n;
}

static void fl_cb(png_structp p) { (void)p; }

/* A w x h RGB PNG: top half colour a, bottom half colour b; odd pixel at the last row. */
static buf_t make_png(int w, int h, unsigned a, unsigned b, int odd_last)
{
    buf_t out = {0};
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop i = png_create_info_struct(p);
    png_set_write_fn(p, &out, wr_cb, fl_cb);
    png_set_IHDR(p, i, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, i);
    unsigned char *row = malloc((size_t)w * 3);
    for (int y = 0; y < h; y++) {
        unsigned c = y < h / 2 ? a : b;
        for (int x = 0; x < w; x++) {
            row[x * 3] = (unsigned char)(c >> 16);
            row[x * 3 + 1] = (unsigned char)(c >> 8);
            row[x * 3 + 2] = (unsigned char)c;
        }
        if (odd_last && y == h - 1)
            row[(w - 1) * 3] ^= 0xff;
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &i);
    free(row);
    return out;
}

static char *b64(const unsigned char *d, size_t n)
{
    char *o = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)o, d, (int)n);
    return o;
}

static char dir[] = "/tmp/linksnap-postproc-XXXXXX";

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

TEST(writes_hashes_thumbnails)
{
    buf_t png = make_png(1280, 4000, 0xff0000, 0x0000ff, 0);
    char *text = b64(png.d, png.n);
    char out[256], thumb[256];
    snprintf(out, sizeof out, "%s/a.png", dir);
    snprintf(thumb, sizeof thumb, "%s/a.thumb.png", dir);
    postproc_request_t rq = {.b64 = text, .b64_len = strlen(text), .out_path = out,
                             .thumb_path = thumb, .thumb_width = 320, .first_screen_rows = 800};
    postproc_result_t r;
    postproc_run(&rq, &r);
    ASSERT_MSG(r.ok, "postproc failed: %s", r.error);
    ASSERT_EQ(r.bytes, (int64_t)png.n);
    ASSERT_EQ(r.width, 1280);
    ASSERT_EQ(r.height, 4000);
    ASSERT_EQ(r.blank, 0);
    ASSERT_EQ(r.thumb_w, 320);
    ASSERT_EQ(r.thumb_h, 200);
    unsigned char md[32];
    unsigned mdlen;
    EVP_Digest(png.d, png.n, md, &mdlen, EVP_sha256(), NULL);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + i * 2, 3, "%02x", md[i]);
    ASSERT_STR_EQ(r.sha256, hex);
    /* the file holds exactly the bytes; no temp file stays */
    FILE *f = fopen(out, "rb");
    ASSERT_NOT_NULL(f);
    unsigned char *back = malloc(png.n + 1);
    size_t got = fread(back, 1, png.n + 1, f);
    fclose(f);
    ASSERT_EQ(got, png.n);
    ASSERT(memcmp(back, png.d, png.n) == 0);
    free(back);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    ASSERT(!exists(tmp));
    /* the thumbnail is the first screen: red all over */
    FILE *tf = fopen(thumb, "rb");
    ASSERT_NOT_NULL(tf);
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop i = png_create_info_struct(p);
    png_init_io(p, tf);
    png_read_png(p, i, PNG_TRANSFORM_STRIP_ALPHA, NULL);
    ASSERT_EQ(png_get_image_width(p, i), 320);
    ASSERT_EQ(png_get_image_height(p, i), 200);
    png_bytepp rows = png_get_rows(p, i);
    ASSERT_EQ(rows[199][319 * 3], 0xff);
    ASSERT_EQ(rows[199][319 * 3 + 2], 0);
    png_destroy_read_struct(&p, &i, NULL);
    fclose(tf);
    free(text);
    free(png.d);
    return 0;
}

TEST(blank_and_not_blank)
{
    char out[256];
    snprintf(out, sizeof out, "%s/b.png", dir);
    buf_t flat = make_png(800, 3000, 0xffffff, 0xffffff, 0);
    char *text = b64(flat.d, flat.n);
    postproc_request_t rq = {.b64 = text, .b64_len = strlen(text), .out_path = out};
    postproc_result_t r;
    postproc_run(&rq, &r);
    ASSERT_MSG(r.ok, "%s", r.error);
    ASSERT_EQ(r.blank, 1);
    ASSERT_EQ(r.thumb_w, 0);
    free(text);
    free(flat.d);
    buf_t odd = make_png(800, 3000, 0xffffff, 0xffffff, 1);
    text = b64(odd.d, odd.n);
    rq.b64 = text;
    rq.b64_len = strlen(text);
    postproc_run(&rq, &r);
    ASSERT_MSG(r.ok, "%s", r.error);
    ASSERT_EQ(r.blank, 0);
    free(text);
    free(odd.d);
    return 0;
}

TEST(bad_input_fails_and_leaves_nothing)
{
    char out[256];
    snprintf(out, sizeof out, "%s/c.png", dir);
    postproc_request_t rq = {.b64 = "not base64!", .b64_len = 11, .out_path = out};
    postproc_result_t r;
    postproc_run(&rq, &r);
    ASSERT_EQ(r.ok, 0);
    ASSERT(r.error[0] != '\0');
    rq.b64 = "aGVsbG8gd29ybGQgdGhpcyBpcyBub3QgYSBwbmc=";
    rq.b64_len = strlen(rq.b64);
    postproc_run(&rq, &r);
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.error, "not a PNG") != NULL);
    buf_t png = make_png(100, 100, 0x123456, 0x654321, 0);
    char *text = b64(png.d, png.n / 2);           /* truncated */
    rq.b64 = text;
    rq.b64_len = strlen(text);
    postproc_run(&rq, &r);
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.error, "not a valid PNG") != NULL);
    ASSERT(!exists(out));
    free(text);
    text = b64(png.d, png.n);
    rq.b64 = text;
    rq.b64_len = strlen(text);
    rq.out_path = "/nonexistent-dir/x.png";
    postproc_run(&rq, &r);
    ASSERT_EQ(r.ok, 0);
    ASSERT(strstr(r.error, "cannot write") != NULL);
    free(text);
    free(png.d);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(writes_hashes_thumbnails),
    TEST_ENTRY(blank_and_not_blank),
    TEST_ENTRY(bad_input_fails_and_leaves_nothing),
    TEST_END,
};
TEST_RUNNER_()

int main(int argc, char **argv)
{
    if (!mkdtemp(dir))
        return 1;
    int rc = test_main_(argc, argv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
