/* jsonmem.h -- JSON parsing that cannot lose data to a failed allocation. jansson's parser
 * does not always say when its allocator failed: its lexer drops a byte it could not save
 * (a URL comes back one character short) and calls a string it could not copy a syntax
 * error. jsonmem counts jansson's failed allocations per thread, and its loadb refuses a
 * parse during which one failed. */
#ifndef LS_JSONMEM_H
#define LS_JSONMEM_H

#include <jansson.h>
#include <stddef.h>

/* Installs jansson's counted allocator. A program calls it first thing in main, before any
 * thread uses jansson (the hooks are plain globals of jansson's); jsonmem_loadb calls it
 * too, for programs (tests) that do not. */
void jsonmem_init(void);

/* json_loadb, for the calling thread: returns the document (owned), or NULL with *nomem 1
 * when an allocation failed during the parse (whatever jansson reported, and even when it
 * returned a document), or NULL with *nomem 0 and err filled by jansson for bad input.
 * The first call installs jansson's allocator (malloc and free, counted) if jsonmem_init
 * has not. */
json_t *jsonmem_loadb(const char *buf, size_t len, size_t flags, json_error_t *err, int *nomem);

#endif
