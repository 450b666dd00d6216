/* failmalloc.h -- the tests' allocator hook: counts every heap allocation of the code under
 * test and, when armed, fails the Nth one (SQLite's malloc tests, "How SQLite Is Tested").
 *
 * A test binary links tests/lib/failmalloc.c and is linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup
 * (linking the ls_failmalloc library of tests/CMakeLists.txt adds both), so every call our
 * own objects and
 * static libraries make goes through the wrappers below. Shared libraries are not relinked:
 * failmalloc_init() routes SQLite (SQLITE_CONFIG_MALLOC, before sqlite3_initialize) and
 * jansson (json_set_alloc_funcs) through the same wrappers (common/jsonmem.c later puts its
 * own counting hooks in jansson's place; they call malloc and free, which are wrapped too,
 * since ls_common is linked statically). What other shared libraries
 * allocate (FreeType, fontconfig, ICU, libidn2, utf8proc, libdeflate) is neither counted
 * nor failed.
 *
 * The state is one process-wide global: an allocator hook cannot carry a context. Its
 * counters are atomics and its table of blocks sits behind a mutex, but "the Nth
 * allocation" only means something when the armed workload runs on one thread. */
#ifndef LS_FAILMALLOC_H
#define LS_FAILMALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Routes SQLite and jansson through the wrappers and initialises SQLite. Call once, first
 * thing in main, before anything allocates through either. Returns 0 or -1. */
int failmalloc_init(void);

/* Arms the hook: allocation number n (1-based, counted from this call) fails, and with
 * persist every allocation after it fails too. n 0 disarms (only counting goes on). */
void failmalloc_arm(uint64_t n, int persist);
void failmalloc_disarm(void);

/* Allocations attempted since the last failmalloc_arm (or start). */
uint64_t failmalloc_count(void);
/* Allocations refused since the last failmalloc_arm. */
uint64_t failmalloc_failed(void);

/* Heap blocks and bytes (malloc_usable_size) handed out through the wrappers and not yet
 * freed; frees of blocks that some other allocator made (a shared library's strdup freed
 * by our code) are passed on and not counted. */
int64_t failmalloc_live_blocks(void);
int64_t failmalloc_live_bytes(void);
/* The highest live_bytes since the last failmalloc_reset_peak. */
int64_t failmalloc_peak_bytes(void);
void failmalloc_reset_peak(void);

#endif
