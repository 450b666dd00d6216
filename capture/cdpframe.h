/* cdpframe.h -- the DevTools pipe's framing: NUL-ended JSON texts cut out of a byte stream,
 * with a cap on one message that costs only that message.
 *
 * Bytes are read straight into the frame (cdpframe_room, then cdpframe_commit): a 40 MB
 * screenshot reply is not copied again. A message of `max` bytes or more is not kept: its
 * bytes are read into a scratch area and counted until its NUL, and the owner hears that
 * it was dropped, with the command id read from its first bytes (Chromium writes a reply's
 * "id" first). The stream goes on with the next message: one oversized reply (an MHTML
 * snapshot of a huge page) fails its own command, never the connection.
 * Pure; no loop, no I/O. */
#ifndef LS_CDPFRAME_H
#define LS_CDPFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CDPFRAME_SCRATCH 65536

/* A complete message (text without its NUL; text[len] is NUL). Return 0 to go on, 1 to
 * stop (the owner closed the connection): the rest of the bytes are left unread. */
typedef int (*cdpframe_msg_cb)(const char *text, size_t len, void *ud);
/* A message of len bytes (>= max) was dropped; id is its command id, or -1 when its first
 * bytes name none (an event). Same return as above. */
typedef int (*cdpframe_drop_cb)(long id, uint64_t len, void *ud);

typedef struct {
    buf_t in;              /* the message being assembled (and complete ones before it) */
    size_t max;
    int dropping;          /* inside an oversized message */
    uint64_t drop_len;     /* its bytes so far */
    long drop_id;
    char *scratch;         /* CDPFRAME_SCRATCH bytes while dropping, else NULL */
} cdpframe_t;

/* max: the largest message kept is max - 1 bytes (0 = 256 MiB). */
void cdpframe_init(cdpframe_t *f, size_t max);
void cdpframe_free(cdpframe_t *f);
/* Where the next read may put its bytes: up to *len of them at the pointer returned, at
 * most `want`. NULL when memory ran out. */
char *cdpframe_room(cdpframe_t *f, size_t want, size_t *len);
/* n bytes were put at the room's pointer: hands over every message they complete, in
 * order. 0, 1 when a callback stopped, -1 when memory ran out. */
int cdpframe_commit(cdpframe_t *f, size_t n, cdpframe_msg_cb msg, cdpframe_drop_cb drop, void *ud);
/* Copies n bytes in through room and commit (for callers that hold the bytes already). */
int cdpframe_feed(cdpframe_t *f, const char *p, size_t n, cdpframe_msg_cb msg, cdpframe_drop_cb drop,
                  void *ud);
/* After a message was handed over: gives back a large buffer while nothing is pending. */
void cdpframe_trim(cdpframe_t *f);
/* The command id at the start of a message ({"id":N,...}), or -1. */
long cdpframe_peek_id(const char *p, size_t n);

#endif
