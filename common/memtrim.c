/* memtrim.c -- the top chunks of every thread's malloc arena, given back at quiet times
 * (memtrim.h says why malloc_trim alone does not). Owns nothing but two mallopt calls and
 * one block freed in the calling thread's arena. */
#include "memtrim.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* glibc's FASTBIN_CONSOLIDATION_THRESHOLD: a free of at least this much (after merging
 * with its neighbours) makes glibc look at its arena's top */
#define MEMTRIM_NUDGE (64u << 10)

void memtrim_begin(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 0);
#endif
}

void memtrim_thread(void)
{
    /* a block from this thread's own arena (below the mmap threshold: glibc's default is
     * 128 KiB and a fixed one is never lower than this), freed at once. volatile: a
     * compiler may drop a malloc whose block is only freed. */
    void *volatile p = malloc(MEMTRIM_NUDGE);
    free(p);
}

void memtrim_end(size_t threshold)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, threshold > (size_t)0x7fffffff ? 0x7fffffff : (int)threshold);
    malloc_trim(0);
#else
    (void)threshold;
#endif
}
