/* snapdiff.h -- snapshot.diff: the visual and text diff of two captures of a link. */
#ifndef LS_SNAPDIFF_H
#define LS_SNAPDIFF_H

#include "method.h"

/* The METHOD_HEAVY handler (a thread-pool thread, a read connection of its own): params
 * {from, to, allow_cross?} or {link_id} (the link's last two good captures). */
int snapdiff_method(method_call_t *call);

#endif
