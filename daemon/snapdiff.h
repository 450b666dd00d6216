/* snapdiff.h -- snapshot.diff: the visual and text diff of two captures of a link. */
#ifndef LS_SNAPDIFF_H
#define LS_SNAPDIFF_H

#include <stdint.h>

#include "method.h"

/* The METHOD_HEAVY handler (a thread-pool thread, a read connection of its own): params
 * {from, to, allow_cross?} or {link_id} (the link's last two good captures). */
int snapdiff_method(method_call_t *call);

/* On the loop, after a capture was saved: when it is good and the link has a good capture
 * before it, compares the two off the loop and stores {against, changed, changed_fraction}
 * as the snapshot's change. Fire and forget; failures are logged. */
void snapdiff_after_capture(struct daemon *d, int64_t snapshot_id);

#endif
