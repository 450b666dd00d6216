/* jsonmem.c -- jansson's allocator, its failures counted per thread, and a json_loadb that
 * refuses a parse during which one failed (see jsonmem.h for why). Knows jansson's
 * allocator hooks and nothing of what is parsed. The count is a thread-local: jansson's
 * hooks carry no context, and any thread may parse. */
#include "jsonmem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static _Thread_local uint64_t failures;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void *count_malloc_cb(size_t n)
{
    void *p = malloc(n);
    if (!p)
        failures++;
    return p;
}

static void count_free_cb(void *p) { free(p); }

/* malloc and free, as jansson's defaults: blocks it took before this still free right */
static void install(void) { json_set_alloc_funcs(count_malloc_cb, count_free_cb); }

void jsonmem_init(void)
{
    pthread_once(&install_once, install);
}

json_t *jsonmem_loadb(const char *buf, size_t len, size_t flags, json_error_t *err, int *nomem)
{
    pthread_once(&install_once, install);
    uint64_t before = failures;
    json_t *doc = json_loadb(buf, len, flags, err);
    *nomem = failures != before || (!doc && json_error_code(err) == json_error_out_of_memory);
    if (*nomem) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
