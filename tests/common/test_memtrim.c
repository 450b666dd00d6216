/* test_memtrim.c -- memtrim gives back the top of another thread's malloc arena, which
 * malloc_trim alone keeps, and puts the trim threshold back afterwards. The daemon's malloc
 * settings (daemon/main.c: a fixed 1 MiB mmap threshold, a 32 MiB trim threshold); a worker
 * thread that allocates 12 MiB in blocks below the mmap threshold and frees them all, which
 * leaves them as its arena's top; RssAnon from /proc/self/status. Under a sanitizer the
 * allocator is not glibc's: the calls are made, nothing is measured. */
#include "test.h"

#include <malloc.h>
#include <pthread.h>

#include "memtrim.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define BUSY_THRESHOLD (32u << 20)
#define BLOCK (256u << 10)
#define NBLOCKS 48                  /* 12 MiB */
#define MARGIN_KB (8 * 1024)       /* what must come and go of those 12 MiB */

enum { CMD_NONE, CMD_CHURN, CMD_TRIM, CMD_QUIT };

/* A thread of its own (so an arena of its own) that runs one command at a time. */
typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int cmd;
    int failed;
} worker_t;

static void churn(worker_t *w)
{
    void *b[NBLOCKS];
    for (int i = 0; i < NBLOCKS; i++) {
        b[i] = malloc(BLOCK);
        if (!b[i]) {
            w->failed = 1;
            while (i-- > 0)
                free(b[i]);
            return;
        }
        memset(b[i], 0x5a, BLOCK);   /* resident */
    }
    for (int i = NBLOCKS - 1; i >= 0; i--)   /* each merges into the arena's top */
        free(b[i]);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->cmd == CMD_NONE)
            pthread_cond_wait(&w->cond, &w->mu);
        if (w->cmd == CMD_QUIT)
            break;
        if (w->cmd == CMD_CHURN)
            churn(w);
        else
            memtrim_thread();
        w->cmd = CMD_NONE;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void worker_run(worker_t *w, int cmd)
{
    pthread_mutex_lock(&w->mu);
    w->cmd = cmd;
    pthread_cond_broadcast(&w->cond);
    while (cmd != CMD_QUIT && w->cmd != CMD_NONE)
        pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

static int worker_start(worker_t *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    return pthread_create(&w->thread, NULL, worker_main, w);
}

static void worker_stop(worker_t *w)
{
    worker_run(w, CMD_QUIT);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
}

static long rss_anon_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void daemon_malloc_settings(void)
{
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, (int)BUSY_THRESHOLD);
}

TEST(memtrim_gives_thread_arena_top_back)
{
    daemon_malloc_settings();
    worker_t w;
    ASSERT_EQ(worker_start(&w), 0);
    long before = rss_anon_kb();
    worker_run(&w, CMD_CHURN);
    ASSERT_EQ(w.failed, 0);
    malloc_trim(0);
    long kept = rss_anon_kb();
    memtrim_begin();
    worker_run(&w, CMD_TRIM);
    memtrim_end(BUSY_THRESHOLD);
    long after = rss_anon_kb();
    worker_stop(&w);
    if (UNDER_SANITIZER) {
        printf("  (not measured under a sanitizer: RssAnon %ld, %ld, %ld KiB)\n", before, kept, after);
        return 0;
    }
    ASSERT(before > 0);
    /* the premise: malloc_trim alone leaves the worker's freed 12 MiB resident */
    ASSERT_MSG(kept >= before + MARGIN_KB, "malloc_trim gave the top back itself: %ld -> %ld KiB",
               before, kept);
    ASSERT_MSG(after <= kept - MARGIN_KB, "memtrim kept the worker's arena top: %ld -> %ld KiB",
               kept, after);
    return 0;
}

/* After memtrim_end the busy threshold is back: a thread's freed top stays for its next
 * burst, as before the trim. */
TEST(memtrim_end_restores_threshold)
{
    daemon_malloc_settings();
    worker_t w;
    ASSERT_EQ(worker_start(&w), 0);
    memtrim_begin();
    worker_run(&w, CMD_TRIM);
    memtrim_end(BUSY_THRESHOLD);
    long before = rss_anon_kb();
    worker_run(&w, CMD_CHURN);
    long kept = rss_anon_kb();
    int failed = w.failed;
    worker_stop(&w);
    ASSERT_EQ(failed, 0);
    if (UNDER_SANITIZER)
        return 0;
    ASSERT_MSG(kept >= before + MARGIN_KB, "the freed top was given back at once: %ld -> %ld KiB",
               before, kept);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(memtrim_gives_thread_arena_top_back),
    TEST_ENTRY(memtrim_end_restores_threshold),
    TEST_END,
};
TEST_MAIN()
