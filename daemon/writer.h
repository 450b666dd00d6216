/* writer.h -- group commit. Write calls submitted during one loop turn are run together,
 * in order, on the writer thread in one transaction (each inside its own SAVEPOINT), and
 * their callbacks run on the loop only after COMMIT returned. While a batch commits, the
 * next one gathers. */
#ifndef LS_WRITER_H
#define LS_WRITER_H

#include <stddef.h>
#include <uv.h>

#include "method.h"

typedef struct writer writer_t;
/* Called on the loop thread once the call's transaction committed (or failed: then
 * call->err_code is set). */
typedef void (*writer_done_cb)(method_call_t *call, void *ud);

/* Takes ownership of db (the connection opened with STORE_OPEN_MIGRATE); from now on
 * only the writer thread uses it. */
writer_t *writer_new(uv_loop_t *loop, store_t *db, size_t max_batch, char *err, size_t errlen);
/* Queues a call. fn runs on the writer thread with call->db set to the writer's
 * connection. Returns 0, or -1 when the writer is closing. */
int writer_submit(writer_t *w, method_call_t *call, method_fn fn, writer_done_cb cb, void *ud);

/* WRITER_BULK: run the call without a SAVEPOINT of its own. For calls that write thousands
 * of rows (import batches): SQLite's cost per row inside one long savepoint grows with the
 * database (measured: 69 -> 504 us per bookmark over 100k), without it it stays flat. Such
 * a call must fail only for store errors; when it fails, the whole transaction is rolled
 * back and every call in it fails with the reason. */
enum { WRITER_BULK = 1 };
int writer_submit_flags(writer_t *w, method_call_t *call, method_fn fn, writer_done_cb cb,
                        void *ud, int flags);
/* Calls queued or running. */
size_t writer_pending(const writer_t *w);
/* Counters for daemon.status and the benchmarks. */
typedef struct {
    uint64_t batches, calls, failed_calls;
    size_t largest_batch;
} writer_stats_t;
void writer_get_stats(const writer_t *w, writer_stats_t *out);
/* Finishes everything queued, stops the thread, closes the connection, then calls cb on
 * the loop. */
void writer_close(writer_t *w, void (*cb)(void *ud), void *ud);

#endif
