/* postproc.c -- a screenshot from the browser's base64 text to files on disk, run on a
 * libuv thread-pool thread (see postproc.h). One pass over the decoded PNG (pngread.c),
 * row by row: the first screen is box-filtered into the thumbnail while every row is
 * compared with the first pixel (a single flat colour means the page had not painted);
 * reading stops as soon as both answers are known, so a 30,000 px page that is not blank
 * costs one screen of decoding. No globals: any number run at once. */
#include "postproc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "pngenc.h"
#include "pngread.h"
#include "util.h"

long postproc_base64_decode(const char *in, size_t len, unsigned char *out)
{
    /* the browser sends one unbroken line; other writers may wrap theirs */
    if (!memchr(in, '\n', len) && !memchr(in, '\r', len) && !memchr(in, ' ', len) &&
        !memchr(in, '\t', len))
        return util_base64_decode(in, len, out);
    char *flat = malloc(len + 1);
    if (!flat)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' && in[i] != '\t')
            flat[n++] = in[i];
    long r = util_base64_decode(flat, n, out);
    free(flat);
    return r;
}

/* The thumbnail through the one PNG writer (raster/pngenc.c): RGB, SUB filter, libdeflate
 * level 2 (libdeflate 1.14's level 1 is slower than its 2 on screenshots: benchmarks.md). */
static int encode_rgb(const unsigned char *rgb, int w, int h, buf_t *out, char *err,
                      size_t errlen)
{
    raster_png_image_t im = {.width = (uint32_t)w, .height = (uint32_t)h,
                             .type = RASTER_PNG_TYPE_RGB, .depth = 8, .level = 2,
                             .filters = RASTER_PNG_FILTER_SUB, .px = rgb, .stride = (size_t)w * 3};
    char msg[160];
    if (raster_png_write(&im, out, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "thumbnail: %s", msg);
        return -1;
    }
    return 0;
}

/* State of the single decoding pass (kept out of the setjmp frame's locals). */
typedef struct {
    unsigned char *row;         /* one decoded RGB row */
    unsigned char first[3];
    int blank;                  /* still possibly blank */
    uint32_t *acc;              /* thumbnail accumulators: tw * th * 3 sums */
    uint32_t *cnt;              /* source pixels per thumbnail pixel */
    unsigned char *thumb;       /* tw * th * 3 */
} scan_t;

static int scan_png(const unsigned char *data, size_t len, const postproc_request_t *req,
                    postproc_result_t *res, scan_t *sc)
{
    pngread_t *pr = pngread_open_mem(data, len, "the screenshot", 65535, 1000000, res->error,
                                     sizeof res->error);
    if (!pr)
        return -1;
    int w = (int)pngread_width(pr), h = (int)pngread_height(pr);
    res->width = w;
    res->height = h;
    /* thumbnail of the first screen, scaled down to thumb_width */
    int tw = 0, th = 0, src_h = 0;
    if (req->thumb_path && req->thumb_width > 0) {
        tw = w < req->thumb_width ? w : req->thumb_width;
        double k = (double)w / tw;               /* source px per thumbnail px */
        src_h = req->first_screen_rows;
        if (src_h > h || src_h <= 0)
            src_h = h;
        th = (int)(src_h / k + 0.5);
        if (th < 1)
            th = 1;
        sc->acc = calloc((size_t)tw * (size_t)th * 3, sizeof *sc->acc);
        sc->cnt = calloc((size_t)tw * (size_t)th, sizeof *sc->cnt);
        sc->thumb = malloc((size_t)tw * (size_t)th * 3);
    }
    sc->row = malloc((size_t)w * 3);
    if (!sc->row || (tw && (!sc->acc || !sc->cnt || !sc->thumb))) {
        pngread_close(pr);
        snprintf(res->error, sizeof res->error, "out of memory decoding the screenshot");
        return -1;
    }
    sc->blank = 1;
    for (int y = 0; y < h; y++) {
        if (pngread_rows(pr, sc->row, 1, res->error, sizeof res->error) != 0) {
            pngread_close(pr);
            return -1;
        }
        if (y == 0)
            memcpy(sc->first, sc->row, 3);
        if (sc->blank) {
            for (int x = 0; x < w; x++)
                if (memcmp(sc->row + (size_t)x * 3, sc->first, 3) != 0) {
                    sc->blank = 0;
                    break;
                }
        }
        if (y < src_h && tw) {
            int ty = (int)((int64_t)y * th / src_h);
            uint32_t *arow = sc->acc + (size_t)ty * (size_t)tw * 3;
            uint32_t *crow = sc->cnt + (size_t)ty * (size_t)tw;
            for (int x = 0; x < w; x++) {
                int tx = (int)((int64_t)x * tw / w);
                const unsigned char *p = sc->row + (size_t)x * 3;
                arow[tx * 3] += p[0];
                arow[tx * 3 + 1] += p[1];
                arow[tx * 3 + 2] += p[2];
                crow[tx]++;
            }
        }
        if (!sc->blank && y >= src_h)
            break;     /* both answers known: the rest of a tall page need not be decoded */
    }
    pngread_close(pr);
    res->blank = sc->blank;
    if (tw) {
        for (size_t i = 0; i < (size_t)tw * (size_t)th; i++) {
            uint32_t c = sc->cnt[i] ? sc->cnt[i] : 1;
            for (int k = 0; k < 3; k++)
                sc->thumb[i * 3 + (size_t)k] = (unsigned char)((sc->acc[i * 3 + (size_t)k] + c / 2) / c);
        }
        res->thumb_w = tw;
        res->thumb_h = th;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void postproc_run(const postproc_request_t *req, postproc_result_t *res)
{
    memset(res, 0, sizeof *res);
    int64_t t0 = mono_ms();
    scan_t sc = {0};
    buf_t tw;
    buf_init(&tw, 64u << 20);
    int wrote_png = 0;
    unsigned char *png = malloc(req->b64_len * 3 / 4 + 3);
    if (!png) {
        snprintf(res->error, sizeof res->error, "out of memory decoding the screenshot");
        goto fail;
    }
    long n = postproc_base64_decode(req->b64, req->b64_len, png);
    if (n < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0) {
        snprintf(res->error, sizeof res->error, "the browser's image is not a PNG");
        goto fail;
    }
    res->bytes = n;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(png, (size_t)n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        snprintf(res->error, sizeof res->error, "cannot compute SHA-256");
        goto fail;
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(res->sha256 + i * 2, 3, "%02x", md[i]);
    if (scan_png(png, (size_t)n, req, res, &sc) != 0)
        goto fail;
    if (util_write_file_atomic(req->out_path, png, (size_t)n) != 0) {
        snprintf(res->error, sizeof res->error, "cannot write %s: %s", req->out_path, strerror(errno));
        goto fail;
    }
    wrote_png = 1;
    if (res->thumb_w) {
        char err[200];
        if (encode_rgb(sc.thumb, res->thumb_w, res->thumb_h, &tw, err, sizeof err) != 0) {
            snprintf(res->error, sizeof res->error, "%s", err);
            goto fail;
        }
        if (util_write_file_atomic(req->thumb_path, (const unsigned char *)tw.data, tw.len) != 0) {
            snprintf(res->error, sizeof res->error, "cannot write %s: %s", req->thumb_path, strerror(errno));
            goto fail;
        }
    }
    res->ok = 1;
    goto done;
fail:
    res->ok = 0;
    res->thumb_w = res->thumb_h = 0;
    if (wrote_png)
        unlink(req->out_path);
done:
    free(png);
    free(sc.row);
    free(sc.acc);
    free(sc.cnt);
    free(sc.thumb);
    buf_free(&tw);
    res->elapsed_ms = mono_ms() - t0;
}
