/* test_charts_threads.c -- many renders at once: 8 threads rendering different charts
 * (every kind, PNG and SVG, several sizes and scales, both themes, one invalid request),
 * each output compared byte for byte with the same chart rendered on one thread first.
 * The font cache is emptied before the threads start, so they also race to fill it.
 *
 * That race, the one moment the threads write shared state (faces, fontsets, glyphs), is
 * over within each thread's first renders; after it the glyph cache holds every glyph of
 * these charts (far below its 48 MB cap: it is never flushed) and the renders only read
 * it. So the threads run in 3 rounds of 40 renders each (every thread goes through all 14
 * charts at least twice a round), the cache emptied again between rounds (no thread
 * running): three cold races instead of the one that 8 x 500 renders on a warm cache
 * (till session 12) had, at a quarter of the renders.
 *
 * Under ThreadSanitizer (label tsan: the TSan build runs this again) one round of 25
 * renders: TSan makes a render 10-20 times slower, and a data race shows up in the first
 * few renders anyway. LINKSNAP_THREAD_ITERS=N overrides the renders per round. */
#include "charts.h"
#include "test.h"

#include <errno.h>
#include <pthread.h>

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#define THREADS 8
#define DAY_MS 86400000LL
#define AUG_28_2026 1787875200000LL

static const char *NAMES[12] = {"linux", "programming", "rust", "编程", "databases",
                                "machine-learning", "networking", "机器学习", "security",
                                "distributed-systems-and-consensus", "c", "emoji-\xF0\x9F\x98\x80"};
static const int64_t COUNTS[12] = {1843, 1502, 1210, 987, 812, 640, 533, 421, 388, 256, 97, 12};
static int64_t days_a[120], days_b[120], days_c[120];

typedef struct {
    charts_request_t req;
    const void *data;
    charts_format_t fmt;
    /* the single-threaded reference */
    int rc;
    buf_t out;
    char err[256];
} job_t;

static charts_tags_data_t tags_data = {NAMES, COUNTS, 12, AUG_28_2026 + 90 * DAY_MS};
static charts_tags_data_t tags_few = {NAMES + 3, COUNTS + 3, 5, 0};
static charts_timeline_data_t tl_data = {AUG_28_2026, days_a, 90, NULL, 0};
static charts_timeline_data_t tl_tag = {AUG_28_2026, days_b, 120, "编程", 0};
static charts_outcomes_data_t oc_data = {AUG_28_2026, days_a, days_b, days_c, 60, 0, NULL, NULL};

static job_t jobs[14];
static size_t njobs;

static void add_job(charts_kind_t kind, const void *data, charts_format_t fmt, int w, int h,
                    double scale, charts_style_t style)
{
    job_t *j = &jobs[njobs++];
    charts_request_init(&j->req, kind);
    j->req.width = w;
    j->req.height = h;
    j->req.scale = scale;
    j->req.style = style;
    j->data = data;
    j->fmt = fmt;
}

static void make_jobs(void)
{
    for (int i = 0; i < 120; i++) {
        days_a[i] = 20 + (i * 37) % 29;
        days_b[i] = (i * 13) % 7;
        days_c[i] = i % 5 == 0 ? 3 : 0;
    }
    add_job(CHARTS_TAGS, &tags_data, CHARTS_PNG, 1200, 440, 1, CHARTS_STYLE_AUTO);
    add_job(CHARTS_TAGS, &tags_data, CHARTS_SVG, 1200, 440, 1, CHARTS_STYLE_AUTO);
    add_job(CHARTS_TAGS, &tags_data, CHARTS_PNG, 400, 300, 2, CHARTS_STYLE_AUTO);
    add_job(CHARTS_TAGS, &tags_few, CHARTS_PNG, 600, 200, 1.5, CHARTS_STYLE_AUTO);
    add_job(CHARTS_TIMELINE, &tl_data, CHARTS_PNG, 1200, 440, 1, CHARTS_STYLE_AUTO);
    add_job(CHARTS_TIMELINE, &tl_data, CHARTS_PNG, 500, 200, 1, CHARTS_STYLE_AREA);
    add_job(CHARTS_TIMELINE, &tl_tag, CHARTS_SVG, 800, 300, 1, CHARTS_STYLE_BARS);
    add_job(CHARTS_TIMELINE, &tl_tag, CHARTS_PNG, 300, 150, 3, CHARTS_STYLE_AUTO);
    add_job(CHARTS_OUTCOMES, &oc_data, CHARTS_PNG, 1200, 440, 1, CHARTS_STYLE_AUTO);
    add_job(CHARTS_OUTCOMES, &oc_data, CHARTS_SVG, 640, 360, 1, CHARTS_STYLE_AUTO);
    add_job(CHARTS_OUTCOMES, &oc_data, CHARTS_PNG, 320, 240, 2, CHARTS_STYLE_AUTO);
    /* the dark theme beside the light one: each render picks its own colours */
    add_job(CHARTS_OUTCOMES, &oc_data, CHARTS_PNG, 600, 320, 1, CHARTS_STYLE_AUTO);
    jobs[njobs - 1].req.theme = CHARTS_THEME_DARK;
    add_job(CHARTS_TAGS, &tags_data, CHARTS_SVG, 600, 320, 1, CHARTS_STYLE_AUTO);
    jobs[njobs - 1].req.theme = CHARTS_THEME_DARK;
    add_job(CHARTS_TAGS, &tags_data, CHARTS_PNG, 100, 440, 1, CHARTS_STYLE_AUTO); /* invalid, last */
}

static int run_job(const job_t *j, buf_t *out, char *err, size_t errlen)
{
    buf_reset(out);
    return charts_render(&j->req, j->data, j->fmt, out, err, errlen);
}

typedef struct {
    int id, iters;
    int renders, mismatches;
    char first_problem[300];
} worker_t;

static void *worker_cb(void *arg)
{
    worker_t *w = arg;
    buf_t out;
    buf_init(&out, 0);
    char err[256];
    for (int i = 0; i < w->iters; i++) {
        const job_t *j = &jobs[((size_t)w->id * 5 + (size_t)i) % njobs];
        int rc = run_job(j, &out, err, sizeof err);
        w->renders++;
        int same = rc == j->rc && (rc ? strcmp(err, j->err) == 0
                                      : out.len == j->out.len &&
                                            memcmp(out.data, j->out.data, out.len) == 0);
        if (!same && w->mismatches++ == 0)
            snprintf(w->first_problem, sizeof w->first_problem,
                     "thread %d render %d (job %td): rc %d vs %d, %zu vs %zu bytes, %s", w->id,
                     i, j - jobs, rc, j->rc, out.len, j->out.len, rc ? err : "");
    }
    buf_free(&out);
    return NULL;
}

TEST(threads_render_identical_bytes)
{
    make_jobs();
    for (size_t i = 0; i < njobs; i++) {
        buf_init(&jobs[i].out, 0);
        jobs[i].rc = run_job(&jobs[i], &jobs[i].out, jobs[i].err, sizeof jobs[i].err);
        ASSERT_MSG(jobs[i].rc == (i + 1 == njobs ? -EINVAL : 0), "job %zu: %s", i, jobs[i].err);
    }
    charts_shutdown(); /* the threads start on a cold font cache */

    int rounds = UNDER_TSAN ? 1 : 3, iters = UNDER_TSAN ? 25 : 40;
    const char *env = getenv("LINKSNAP_THREAD_ITERS");
    if (env && atoi(env) > 0)
        iters = atoi(env);
    printf("    %d rounds of %d threads x %d renders, each from a cold font cache%s\n", rounds,
           THREADS, iters, UNDER_TSAN ? " (TSan)" : "");
    for (int round = 0; round < rounds; round++) {
        if (round)
            charts_shutdown(); /* no thread is running: the next round races to fill it again */
        worker_t w[THREADS];
        pthread_t th[THREADS];
        for (int t = 0; t < THREADS; t++) {
            memset(&w[t], 0, sizeof w[t]);
            w[t].id = t + round; /* each round starts each thread on another chart */
            w[t].iters = iters;
            ASSERT_EQ(pthread_create(&th[t], NULL, worker_cb, &w[t]), 0);
        }
        int total = 0, bad = 0;
        for (int t = 0; t < THREADS; t++) {
            ASSERT_EQ(pthread_join(th[t], NULL), 0);
            total += w[t].renders;
            bad += w[t].mismatches;
            if (w[t].mismatches)
                fprintf(stderr, "    round %d: %s\n", round, w[t].first_problem);
        }
        ASSERT_EQ(total, THREADS * iters);
        ASSERT_EQ(bad, 0);
    }
    for (size_t i = 0; i < njobs; i++)
        buf_free(&jobs[i].out);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(threads_render_identical_bytes),
    TEST_END,
};

TEST_RUNNER_()

int main(int argc, char **argv)
{
    int rc = test_main_(argc, argv);
    charts_shutdown();
    return rc;
}
