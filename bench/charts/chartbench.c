/* chartbench.c -- timings of our chart renderer, for bench/charts/run.py (which runs it
 * alternately with matplotlib) and docs/benchmarks.md "Charts". Not a test.
 *
 *   chartbench render N        N renders of the 12-tag chart in this process; prints
 *                              one JSON line with the best and median of build, draw,
 *                              encode and total (wall ms) and of total CPU ms, and the
 *                              PNG size. --png FILE also writes the chart.
 *   chartbench encoders K      PNG encoder settings on that chart's pixels: libdeflate
 *                              level x filter (RGB), RGBA, palette; best
 *                              of K per setting; one JSON line each.
 *   chartbench threads T SECS  T threads rendering the chart for SECS seconds; prints
 *                              renders per second (wall).
 * The chart: 12 tags, two of them Chinese, 1200x440, PNG -- the chart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charts.h"
#include "font.h"
#include "pngenc.h"

static const char *NAMES[12] = {"linux", "programming", "rust", "编程", "databases",
                                "machine-learning", "networking", "机器学习", "security",
                                "distributed-systems", "c", "web"};
static const int64_t COUNTS[12] = {1843, 1502, 1210, 987, 812, 640, 533, 421, 388, 256, 97, 12};
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
    for (int level = 0; level <= RASTER_PNG_MAX_LEVEL; level++)
        for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
            raster_png_opts_t o = {level, filters[f].mask, RASTER_PNG_TRUECOLOR};
            double ms = encode_best(&c, &o, k, &size);
            printf("{\"color\": \"rgb\", \"level\": %d, \"filter\": \"%s\", "
                   "\"cpu_ms\": %.4f, \"bytes\": %zu}\n", level, filters[f].name, ms, size);
        }
    for (int level = 1; level <= 6; level += 5) {
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

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 3 && strcmp(argv[1], "render") == 0)
        rc = bench_render(atoi(argv[2]), argc >= 5 && strcmp(argv[3], "--png") == 0 ? argv[4] : NULL);
    else if (argc >= 3 && strcmp(argv[1], "encoders") == 0)
        rc = bench_encoders(atoi(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "threads") == 0)
        rc = bench_threads(atoi(argv[2]), atof(argv[3]));
    else
        fprintf(stderr, "usage: chartbench render N [--png FILE] | encoders K | threads T SECS\n");
    charts_shutdown();
    return rc;
}
