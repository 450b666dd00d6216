/* memtrim.h -- giving freed heap memory back to the system at quiet times (glibc malloc).
 *
 * malloc_trim(0) returns the free pages inside every malloc arena, but the top chunk (the
 * free space at an arena's end) of the main arena only. The arena of any other thread gives
 * its top back only when a free of at least 64 KiB in it finds that top above
 * M_TRIM_THRESHOLD. A process that keeps the threshold high, so that a busy thread's arena
 * is not given back and faulted in again at every burst, therefore keeps each worker
 * thread's top for ever, however idle. To give the tops back:
 *
 *   memtrim_begin();            any thread: the trim threshold drops to 0
 *   memtrim_thread();           on each thread that allocates: trims its own arena
 *   memtrim_end(threshold);     any thread, once every memtrim_thread has run: the
 *                               threshold is back to `threshold`, then malloc_trim(0)
 *
 * Between begin and end every large free trims its arena (that is the point): meant for a
 * few milliseconds of quiet. Without glibc only memtrim_end's trim does anything. */
#ifndef LS_MEMTRIM_H
#define LS_MEMTRIM_H

#include <stddef.h>

void memtrim_begin(void);
void memtrim_thread(void);
void memtrim_end(size_t threshold);

#endif
