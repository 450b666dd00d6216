/* retain.h -- the daemon's side of retention (store/retain.c decides and deletes rows):
 * the files of the captures a writer transaction pruned, removed once it committed. */
#ifndef LS_RETAIN_H
#define LS_RETAIN_H

#include <jansson.h>
#include <stddef.h>

#include "store.h"

struct daemon;

/* Appends the paths of the files snapshot x owns (screenshot, thumbnail, MHTML, PDF) to
 * arr as strings. Returns 0, -1 out of memory. */
int retain_snapshot_files(const store_snapshot_t *x, json_t *arr);
/* On the loop, after the commit that deleted v (n rows of link_id, taken): publishes
 * snapshot.deleted {link_id, ids, reason "retention"} and removes their files and the
 * diff overlays that name them on the thread pool. */
void retain_pruned(struct daemon *d, int64_t link_id, store_snapshot_t **v, size_t n);

#endif
