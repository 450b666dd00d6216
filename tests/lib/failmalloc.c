/* failmalloc.c -- the allocator hook of failmalloc.h: the --wrap'ed malloc family, a table of
 * the blocks it handed out (so that live counts stay exact when our code frees a block a
 * shared library made), and SQLite's and jansson's allocators routed through it.
 *
 * The hook's state (below) is the one process-wide global of the test helpers: the linker
 * puts these wrappers in place of malloc for the whole binary, and an allocator hook cannot
 * carry a context. The table sits behind one mutex; the counters are atomics. */
#include "failmalloc.h"

#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ASan's, when linked: FAILMALLOC_TRACE=1 prints where each refused allocation came from */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
/* the wrappers the linker puts in place of malloc, calloc, realloc, free, strdup, strndup */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* ---- the global state ----------------------------------------------------------------- */

static _Atomic uint64_t fm_count;      /* allocations attempted since failmalloc_arm */
static _Atomic uint64_t fm_failed;     /* allocations refused since failmalloc_arm */
static _Atomic uint64_t fm_fail_at;    /* 0 = never */
static _Atomic int fm_persist;

/* Blocks handed out: open addressing with linear probing, deletion by backward shift. */
typedef struct {
    void *p;
    size_t size;   /* malloc_usable_size at allocation */
} fm_slot_t;
static pthread_mutex_t fm_lock = PTHREAD_MUTEX_INITIALIZER;
static fm_slot_t *fm_table;
static size_t fm_cap, fm_used;         /* fm_cap a power of two */
static int64_t fm_live_bytes, fm_peak_bytes;

static size_t slot_of(const void *p, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)p >> 4;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (cap - 1);
}

/* Caller holds fm_lock. Returns 0, or -1 when the table cannot grow (the block is then
 * simply not counted). */
static int table_grow(void)
{
    size_t cap = fm_cap ? fm_cap * 2 : 4096;
    fm_slot_t *t = __real_calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < fm_cap; i++) {
        if (!fm_table[i].p)
            continue;
        size_t j = slot_of(fm_table[i].p, cap);
        while (t[j].p)
            j = (j + 1) & (cap - 1);
        t[j] = fm_table[i];
    }
    __real_free(fm_table);
    fm_table = t;
    fm_cap = cap;
    return 0;
}

static void track_add(void *p)
{
    if (!p)
        return;
    size_t size = malloc_usable_size(p);
    pthread_mutex_lock(&fm_lock);
    if ((fm_used + 1) * 2 > fm_cap && table_grow() != 0) {
        pthread_mutex_unlock(&fm_lock);
        return;
    }
    size_t j = slot_of(p, fm_cap);
    while (fm_table[j].p)
        j = (j + 1) & (fm_cap - 1);
    fm_table[j] = (fm_slot_t){p, size};
    fm_used++;
    fm_live_bytes += (int64_t)size;
    if (fm_live_bytes > fm_peak_bytes)
        fm_peak_bytes = fm_live_bytes;
    pthread_mutex_unlock(&fm_lock);
}

/* Forgets p if it is ours; a foreign block is left alone. */
static void track_remove(void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&fm_lock);
    if (!fm_cap) {
        pthread_mutex_unlock(&fm_lock);
        return;
    }
    size_t mask = fm_cap - 1, j = slot_of(p, fm_cap);
    while (fm_table[j].p && fm_table[j].p != p)
        j = (j + 1) & mask;
    if (!fm_table[j].p) {
        pthread_mutex_unlock(&fm_lock);
        return;
    }
    fm_live_bytes -= (int64_t)fm_table[j].size;
    fm_used--;
    /* backward shift: pull later members of the cluster into the hole when their home
     * slot does not lie cyclically between the hole and them */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; fm_table[k].p; k = (k + 1) & mask) {
        size_t home = slot_of(fm_table[k].p, fm_cap);
        if (((k - home) & mask) >= ((k - hole) & mask)) {
            fm_table[hole] = fm_table[k];
            hole = k;
        }
    }
    fm_table[hole] = (fm_slot_t){NULL, 0};
    pthread_mutex_unlock(&fm_lock);
}

/* Counts one allocation; 1 when it is to fail. */
static int should_fail(void)
{
    uint64_t n = atomic_fetch_add(&fm_count, 1) + 1;
    uint64_t at = atomic_load(&fm_fail_at);
    if (at && (n == at || (n > at && atomic_load(&fm_persist)))) {
        atomic_fetch_add(&fm_failed, 1);
        if (__sanitizer_print_stack_trace && getenv("FAILMALLOC_TRACE"))
            __sanitizer_print_stack_trace();
        return 1;
    }
    return 0;
}

/* ---- the wrappers ---------------------------------------------------------------------- */

void *__wrap_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_malloc(n);
    track_add(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
    if (should_fail())
        return NULL;
    void *p = __real_calloc(n, m);
    track_add(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (!p)
        return __wrap_malloc(n);
    if (n == 0) {   /* glibc frees and returns NULL */
        __wrap_free(p);
        return NULL;
    }
    if (should_fail())
        return NULL;   /* p stays valid, as after a real failure */
    track_remove(p);
    void *q = __real_realloc(p, n);
    track_add(q ? q : p);
    return q;
}

void __wrap_free(void *p)
{
    track_remove(p);
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = __wrap_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ---- SQLite and jansson ---------------------------------------------------------------- */

static void *sq_malloc_cb(int n) { return n > 0 ? __wrap_malloc((size_t)n) : NULL; }
static void sq_free_cb(void *p) { __wrap_free(p); }
static void *sq_realloc_cb(void *p, int n) { return __wrap_realloc(p, n > 0 ? (size_t)n : 0); }
static int sq_size_cb(void *p) { return p ? (int)malloc_usable_size(p) : 0; }
static int sq_roundup_cb(int n) { return (n + 7) & ~7; }
static int sq_init_cb(void *ud) { (void)ud; return SQLITE_OK; }
static void sq_shutdown_cb(void *ud) { (void)ud; }

static void *json_malloc_cb(size_t n) { return __wrap_malloc(n); }
static void json_free_cb(void *p) { __wrap_free(p); }

int failmalloc_init(void)
{
    static const sqlite3_mem_methods methods = {
        .xMalloc = sq_malloc_cb,
        .xFree = sq_free_cb,
        .xRealloc = sq_realloc_cb,
        .xSize = sq_size_cb,
        .xRoundup = sq_roundup_cb,
        .xInit = sq_init_cb,
        .xShutdown = sq_shutdown_cb,
        .pAppData = NULL,
    };
    json_set_alloc_funcs(json_malloc_cb, json_free_cb);
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK)
        return -1;
    return sqlite3_initialize() == SQLITE_OK ? 0 : -1;
}

/* ---- control ---------------------------------------------------------------------------- */

void failmalloc_arm(uint64_t n, int persist)
{
    atomic_store(&fm_fail_at, 0);
    atomic_store(&fm_count, 0);
    atomic_store(&fm_failed, 0);
    atomic_store(&fm_persist, persist);
    atomic_store(&fm_fail_at, n);
}

void failmalloc_disarm(void) { atomic_store(&fm_fail_at, 0); }

uint64_t failmalloc_count(void) { return atomic_load(&fm_count); }
uint64_t failmalloc_failed(void) { return atomic_load(&fm_failed); }

int64_t failmalloc_live_blocks(void)
{
    pthread_mutex_lock(&fm_lock);
    int64_t n = (int64_t)fm_used;
    pthread_mutex_unlock(&fm_lock);
    return n;
}

int64_t failmalloc_live_bytes(void)
{
    pthread_mutex_lock(&fm_lock);
    int64_t n = fm_live_bytes;
    pthread_mutex_unlock(&fm_lock);
    return n;
}

int64_t failmalloc_peak_bytes(void)
{
    pthread_mutex_lock(&fm_lock);
    int64_t n = fm_peak_bytes;
    pthread_mutex_unlock(&fm_lock);
    return n;
}

void failmalloc_reset_peak(void)
{
    pthread_mutex_lock(&fm_lock);
    fm_peak_bytes = fm_live_bytes;
    pthread_mutex_unlock(&fm_lock);
}
