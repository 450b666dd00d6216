/* chartbench.c -- timings of our chart renderer, for bench/charts/run.py (which runs it
 * alternately with matplotlib) and docs/benchmarks.md "Charts". Not a test.
 *
 *   chartbench render N        N renders of the 12-tag chart in this process; prints
 *                              one JSON line with the best and median of build, draw,
 *                              encode and total (wall ms) and of total CPU ms, and the
 *                              PNG size. --png FILE also writes the chart.
 *   chartbench encoders K      PNG encoder settings on that chart's pixels: level
 *                              (-1: raster/deflate.c, 0-12: libdeflate) x filter
 *                              (RGB), RGBA, palette; best
 *                              of K per setting; one JSON line each.
 *   chartbench threads T SECS  T threads rendering the chart for SECS seconds; prints
 *                              renders per second (wall).
 *   chartbench codecs K SHOT   the PNG writer before (libpng + zlib, pngref.c) and after
 *                              (raster/pngenc.c, libdeflate) on the chart, a thumbnail
 *                              (SHOT, a screenshot PNG, box-filtered to 320 px wide) and
 *                              a screenshot tile (1024 rows of SHOT, repeated): old and
 *                              new alternate, K times each; best and median CPU ms and
 *                              bytes, one JSON line per writer and image; then
 *                              raster/deflate.c (level -1) and libdeflate levels 1-6,
 *                              SUB and unfiltered, for the thumbnail and the tile.
 * The chart: 12 tags, two of them Chinese, 1200x440, PNG -- the chart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charts.h"
#include "font.h"
#include "pngenc.h"
#include "pngref.h"

static const char *NAMES[12] = {"linux", "programming", "rust", "编程", "databases",
                                "machine-learning", "networking", "机器学习", "security",
                                "distributed-systems", "c", "web"};
static const int64_t COUNTS[12] = {1843, 1502, 1210, 987, 812, 640, 533, 421, 388, 256, 97, 12};
/* The settings of capture/postproc.c (thumbnails) and capture/tiles.c. */
#define THUMB_LEVEL 2
#define TILE_LEVEL 2
static const charts_tags_data_t DATA = {NAMES, COUNTS, 12, 1795600800000LL};

static double now_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double_cb(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double_cb);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_render(int n, const char *png_path)
{
    charts_request_t req;
    charts_request_init(&req, CHARTS_TAGS);
    double *b = calloc((size_t)n, sizeof *b), *d = calloc((size_t)n, sizeof *d);
    double *e = calloc((size_t)n, sizeof *e), *t = calloc((size_t)n, sizeof *t);
    double *cpu = calloc((size_t)n, sizeof *cpu);
    if (!b || !d || !e || !t || !cpu)
        return 1;
    buf_t out;
    buf_init(&out, 0);
    char err[256];
    for (int i = 0; i < n; i++) {
        buf_reset(&out);
        charts_timing_t tm;
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        if (charts_render_timed(&req, &DATA, CHARTS_PNG, &out, &tm, err, sizeof err)) {
            fprintf(stderr, "chartbench: %s\n", err);
            return 1;
        }
        t[i] = now_ms(CLOCK_MONOTONIC) - w0;
        cpu[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        b[i] = tm.build_ms;
        d[i] = tm.draw_ms;
        e[i] = tm.encode_ms;
    }
    if (png_path) {
        FILE *f = fopen(png_path, "wb");
        if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f)) {
            fprintf(stderr, "chartbench: cannot write %s\n", png_path);
            return 1;
        }
    }
    double mb = median(b, n), md = median(d, n), me = median(e, n), mt = median(t, n);
    double mc = median(cpu, n);
    printf("{\"renders\": %d, \"build_best\": %.4f, \"build_median\": %.4f, "
           "\"draw_best\": %.4f, \"draw_median\": %.4f, \"encode_best\": %.4f, "
           "\"encode_median\": %.4f, \"total_best\": %.4f, \"total_median\": %.4f, "
           "\"cpu_best\": %.4f, \"cpu_median\": %.4f, \"png_bytes\": %zu}\n",
           n, b[0], mb, d[0], md, e[0], me, t[0], mt, cpu[0], mc, out.len);
    buf_free(&out);
    free(b);
    free(d);
    free(e);
    free(t);
    free(cpu);
    return 0;
}

static double encode_best(const raster_canvas_t *c, const raster_png_opts_t *o, int k, size_t *size)
{
    double best = 1e9;
    buf_t out;
    buf_init(&out, 0);
    char err[256];
    for (int i = 0; i < k; i++) {
        buf_reset(&out);
        double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        if (raster_png_encode(c, o, &out, err, sizeof err)) {
            fprintf(stderr, "chartbench: %s\n", err);
            break;
        }
        double dt = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (dt < best)
            best = dt;
    }
    *size = out.len;
    buf_free(&out);
    return best;
}

static int bench_encoders(int k)
{
    charts_request_t req;
    charts_request_init(&req, CHARTS_TAGS);
    raster_canvas_t c;
    char err[256];
    if (charts_render_canvas(&req, &DATA, &c, err, sizeof err)) {
        fprintf(stderr, "chartbench: %s\n", err);
        return 1;
    }
    int colors, opaque;
    raster_png_analyse(&c, &colors, &opaque);
    printf("{\"colors\": %d, \"opaque\": %d}\n", colors, opaque);
    static const struct { const char *name; int mask; } filters[] = {
        {"none", RASTER_PNG_FILTER_NONE}, {"sub", RASTER_PNG_FILTER_SUB},
        {"up", RASTER_PNG_FILTER_UP},     {"sub+up", RASTER_PNG_FILTER_SUB | RASTER_PNG_FILTER_UP},
        {"paeth", RASTER_PNG_FILTER_PAETH}, {"all", RASTER_PNG_FILTER_ALL}};
    size_t size;
    for (int level = RASTER_PNG_LEVEL_RUNS; level <= RASTER_PNG_MAX_LEVEL; level++)
        for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
            raster_png_opts_t o = {level, filters[f].mask, RASTER_PNG_TRUECOLOR};
            double ms = encode_best(&c, &o, k, &size);
            printf("{\"color\": \"rgb\", \"level\": %d, \"filter\": \"%s\", "
                   "\"cpu_ms\": %.4f, \"bytes\": %zu}\n", level, filters[f].name, ms, size);
        }
    for (int level = RASTER_PNG_LEVEL_RUNS; level <= 6; level += level < 1 ? 2 : 5) {
        raster_png_opts_t o = {level, RASTER_PNG_FILTER_NONE, RASTER_PNG_RGBA};
        double ms = encode_best(&c, &o, k, &size);
        printf("{\"color\": \"rgba\", \"level\": %d, \"filter\": \"none\", "
               "\"cpu_ms\": %.4f, \"bytes\": %zu}\n", level, ms, size);
    }
    /* The defaults, which choose a palette when the image has <= 256 colours. */
    raster_png_opts_t def = raster_png_defaults();
    double ms = encode_best(&c, &def, k, &size);
    printf("{\"color\": \"default\", \"cpu_ms\": %.4f, \"bytes\": %zu}\n", ms, size);
    /* A flat image (the same chart without text: bars and lines only) for the palette. */
    raster_canvas_t flat;
    if (raster_canvas_init(&flat, c.w, c.h) == 0) {
        memcpy(flat.px, c.px, (size_t)c.w * (size_t)c.h * 4);
        /* Snap every pixel to the nearest of the chart's flat colours: white, bar, grid. */
        for (size_t i = 0; i < (size_t)c.w * (size_t)c.h; i++) {
            uint8_t *p = flat.px + i * 4;
            if (p[0] > 235)
                memset(p, 255, 3);
            else if (p[2] > p[0] + 40)
                p[0] = 76, p[1] = 120, p[2] = 168;
            else
                p[0] = 216, p[1] = 222, p[2] = 228;
        }
        raster_png_analyse(&flat, &colors, &opaque);
        for (int pal = 0; pal < 2; pal++) {
            raster_png_opts_t o = raster_png_defaults();
            o.color = pal ? RASTER_PNG_AUTO : RASTER_PNG_TRUECOLOR;
            ms = encode_best(&flat, &o, k, &size);
            printf("{\"color\": \"%s\", \"flat_colors\": %d, \"cpu_ms\": %.4f, \"bytes\": %zu}\n",
                   pal ? "palette(flat)" : "rgb(flat)", colors, ms, size);
        }
        raster_canvas_free(&flat);
    }
    raster_canvas_free(&c);
    return 0;
}

typedef struct {
    double until;
    long renders;
    int failed;
} worker_t;

static void *worker_cb(void *arg)
{
    worker_t *w = arg;
    charts_request_t req;
    charts_request_init(&req, CHARTS_TAGS);
    buf_t out;
    buf_init(&out, 0);
    char err[256];
    while (now_ms(CLOCK_MONOTONIC) < w->until) {
        buf_reset(&out);
        if (charts_render(&req, &DATA, CHARTS_PNG, &out, err, sizeof err)) {
            w->failed = 1;
            break;
        }
        w->renders++;
    }
    buf_free(&out);
    return NULL;
}

static int bench_threads(int n, double secs)
{
    worker_t w[64];
    pthread_t th[64];
    if (n < 1 || n > 64)
        return 1;
    raster_font_stats_t s0, s1;
    raster_font_stats(&s0);
    double start = now_ms(CLOCK_MONOTONIC), cpu0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < n; i++) {
        w[i].until = start + secs * 1000;
        w[i].renders = 0;
        w[i].failed = 0;
        if (pthread_create(&th[i], NULL, worker_cb, &w[i]))
            return 1;
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        total += w[i].renders;
        if (w[i].failed)
            return 1;
    }
    double elapsed = (now_ms(CLOCK_MONOTONIC) - start) / 1000;
    double cpu = (now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1000;
    raster_font_stats(&s1);
    /* cpu_seconds / seconds is how many cores the process got; font_lock_waits counts
     * the font cache's mutex found taken by another thread. */
    printf("{\"threads\": %d, \"renders\": %ld, \"seconds\": %.3f, \"per_second\": %.1f, "
           "\"cpu_seconds\": %.3f, \"per_cpu_second\": %.1f, \"font_locks\": %llu, "
           "\"font_lock_waits\": %llu}\n", n, total, elapsed, total / elapsed, cpu, total / cpu,
           (unsigned long long)(s1.locks - s0.locks), (unsigned long long)(s1.waits - s0.waits));
    return 0;
}

/* ---- before and after: the PNG writer on charts, thumbnails and tiles --------------- */

typedef struct {
    const char *what, *who;
    double *ms;
    size_t bytes;
} series_t;

static void series_print(const series_t *s, int k)
{
    qsort(s->ms, (size_t)k, sizeof *s->ms, cmp_double_cb);
    printf("{\"image\": \"%s\", \"writer\": \"%s\", \"best_ms\": %.4f, \"median_ms\": %.4f, "
           "\"worst_ms\": %.4f, \"bytes\": %zu}\n", s->what, s->who, s->ms[0], s->ms[k / 2],
           s->ms[k - 1], s->bytes);
}

/* One RGB image both ways, alternating which goes first. */
static int codec_pair(const char *what, const uint8_t *rgb, int w, int h, int zlevel, int sub,
                      int dlevel, int k)
{
    series_t a = {what, "libpng+zlib", calloc((size_t)k, sizeof(double)), 0};
    series_t b = {what, "pngenc+libdeflate", calloc((size_t)k, sizeof(double)), 0};
    if (!a.ms || !b.ms)
        return 1;
    raster_png_image_t im = {(uint32_t)w, (uint32_t)h, RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0,
                             dlevel, sub ? RASTER_PNG_FILTER_SUB : RASTER_PNG_FILTER_NONE, rgb,
                             (size_t)w * 3, NULL, NULL};
    buf_t out;
    buf_init(&out, 0);
    char err[160];
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < 2; j++) {
            int ours = (i + j) % 2;
            buf_reset(&out);
            double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
            int rc = ours ? raster_png_write(&im, &out, err, sizeof err)
                          : pngref_write(rgb, w, h, 3, zlevel, sub, &out);
            double dt = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            if (rc) {
                fprintf(stderr, "chartbench: %s: encoding failed\n", what);
                return 1;
            }
            (ours ? &b : &a)->ms[i] = dt;
            (ours ? &b : &a)->bytes = out.len;
        }
    }
    series_print(&a, k);
    series_print(&b, k);
    buf_free(&out);
    free(a.ms);
    free(b.ms);
    return 0;
}

static int bench_codecs(int k, const char *shot)
{
    if (k < 1)
        return 1;
    /* The chart: before, the canvas made RGB and written by libpng at level 1 unfiltered
     * (the old raster_png_encode, which also counted colours first); after,
     * raster_png_encode as the daemon calls it (colour count included). */
    charts_request_t req;
    charts_request_init(&req, CHARTS_TAGS);
    raster_canvas_t c;
    char err[256];
    if (charts_render_canvas(&req, &DATA, &c, err, sizeof err)) {
        fprintf(stderr, "chartbench: %s\n", err);
        return 1;
    }
    series_t a = {"chart", "libpng+zlib", calloc((size_t)k, sizeof(double)), 0};
    series_t b = {"chart", "pngenc+libdeflate", calloc((size_t)k, sizeof(double)), 0};
    uint8_t *rgb = malloc((size_t)c.w * (size_t)c.h * 3);
    if (!a.ms || !b.ms || !rgb)
        return 1;
    buf_t out;
    buf_init(&out, 0);
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < 2; j++) {
            int ours = (i + j) % 2;
            buf_reset(&out);
            double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
            int rc;
            if (ours) {
                rc = raster_png_encode(&c, NULL, &out, err, sizeof err);
            } else {
                int colors, opaque;
                raster_png_analyse(&c, &colors, &opaque);
                for (size_t p = 0; p < (size_t)c.w * (size_t)c.h; p++)
                    memcpy(rgb + p * 3, c.px + p * 4, 3);
                rc = pngref_write(rgb, c.w, c.h, 3, 1, 0, &out);
            }
            double dt = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            if (rc)
                return 1;
            (ours ? &b : &a)->ms[i] = dt;
            (ours ? &b : &a)->bytes = out.len;
        }
    }
    series_print(&a, k);
    series_print(&b, k);
    buf_free(&out);
    free(a.ms);
    free(b.ms);
    free(rgb);
    raster_canvas_free(&c);

    uint8_t *px;
    int w, h;
    if (pngref_read_rgb(shot, &px, &w, &h)) {
        fprintf(stderr, "chartbench: cannot read %s\n", shot);
        return 1;
    }
    /* Thumbnail: 320 px wide, box-filtered like capture/postproc.c. */
    int tw = 320, th = (int)((double)h * tw / w + 0.5);
    uint8_t *thumb = calloc((size_t)tw * (size_t)th * 3, 1);
    uint32_t *acc = calloc((size_t)tw * (size_t)th * 4, sizeof *acc);
    /* Tile: 1024 rows, the screenshot repeated. */
    uint8_t *tile = malloc((size_t)w * 3 * 1024);
    if (!thumb || !acc || !tile)
        return 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t *q = acc + ((size_t)(y * th / h) * (size_t)tw + (size_t)(x * tw / w)) * 4;
            for (int ch = 0; ch < 3; ch++)
                q[ch] += px[((size_t)y * (size_t)w + (size_t)x) * 3 + (size_t)ch];
            q[3]++;
        }
    for (size_t i = 0; i < (size_t)tw * (size_t)th; i++)
        for (int ch = 0; ch < 3; ch++)
            thumb[i * 3 + (size_t)ch] = (uint8_t)(acc[i * 4 + (size_t)ch] / (acc[i * 4 + 3] ? acc[i * 4 + 3] : 1));
    for (int y = 0; y < 1024; y++)
        memcpy(tile + (size_t)y * (size_t)w * 3, px + (size_t)(y % h) * (size_t)w * 3, (size_t)w * 3);
    int rc = codec_pair("thumbnail", thumb, tw, th, 3, 1, THUMB_LEVEL, k) ||
             codec_pair("tile", tile, w, 1024, 1, 1, TILE_LEVEL, k);
    /* raster/deflate.c (level -1) and libdeflate's levels on both, SUB filter and none,
     * for the choice of level. */
    for (int level = RASTER_PNG_LEVEL_RUNS; level <= 6 && !rc; level += level < 0 ? 2 : 1)
        for (int img = 0; img < 4; img++) {
            int sub = img < 2;
            raster_png_image_t im = {(uint32_t)(img & 1 ? w : tw), (uint32_t)(img & 1 ? 1024 : th),
                                     RASTER_PNG_TYPE_RGB, 8, NULL, 0, NULL, 0, level,
                                     sub ? RASTER_PNG_FILTER_SUB : RASTER_PNG_FILTER_NONE,
                                     img & 1 ? tile : thumb, (size_t)(img & 1 ? w : tw) * 3,
                                     NULL, NULL};
            double best = 1e9;
            buf_init(&out, 0);
            for (int i = 0; i < k; i++) {
                buf_reset(&out);
                double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
                raster_png_write(&im, &out, err, sizeof err);
                double dt = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
                if (dt < best)
                    best = dt;
            }
            printf("{\"image\": \"%s\", \"writer\": \"pngenc level %d %s\", \"best_ms\": %.4f, "
                   "\"bytes\": %zu}\n", img & 1 ? "tile" : "thumbnail", level, sub ? "sub" : "none",
                   best, out.len);
            buf_free(&out);
        }
    free(thumb);
    free(acc);
    free(tile);
    free(px);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 3 && strcmp(argv[1], "render") == 0)
        rc = bench_render(atoi(argv[2]), argc >= 5 && strcmp(argv[3], "--png") == 0 ? argv[4] : NULL);
    else if (argc >= 3 && strcmp(argv[1], "encoders") == 0)
        rc = bench_encoders(atoi(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "codecs") == 0)
        rc = bench_codecs(atoi(argv[2]), argv[3]);
    else if (argc >= 4 && strcmp(argv[1], "threads") == 0)
        rc = bench_threads(atoi(argv[2]), atof(argv[3]));
    else
        fprintf(stderr, "usage: chartbench render N [--png FILE] | encoders K | threads T SECS | "
                        "codecs K SHOT.png\n");
    charts_shutdown();
    return rc;
}
