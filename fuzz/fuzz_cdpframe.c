/* fuzz_cdpframe.c -- libFuzzer harness for the DevTools pipe's framing (capture/cdpframe.c).
 * The input's first two bytes choose the cap on one message (64..1087 bytes) and the read
 * size; the rest is the byte stream from the browser. It is fed through room/commit in those
 * reads and checked against a reference cut of the same bytes at their NULs: every message
 * under the cap arrives whole and in order, every one at or over it is reported dropped
 * with its exact length and the id its first cap bytes name, and nothing else arrives. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdpframe.h"

typedef struct {
    const uint8_t *s;      /* the stream */
    size_t n, pos;         /* the reference's read position: the next message starts here */
    size_t cap;
} ref_t;

/* The next NUL-ended segment of the reference: its start and length, or 0 when none. */
static int ref_next(ref_t *r, size_t *at, size_t *len)
{
    const uint8_t *nul = memchr(r->s + r->pos, 0, r->n - r->pos);
    if (!nul)
        return 0;
    *at = r->pos;
    *len = (size_t)(nul - (r->s + r->pos));
    r->pos = *len + *at + 1;
    return 1;
}

static int msg_cb(const char *text, size_t len, void *ud)
{
    ref_t *r = ud;
    size_t at, want;
    if (!ref_next(r, &at, &want) || want >= r->cap || want != len || memcmp(text, r->s + at, len) != 0)
        abort();
    if (text[len] != '\0')
        abort();
    return 0;
}

static int drop_cb(long id, uint64_t len, void *ud)
{
    ref_t *r = ud;
    size_t at, want;
    if (!ref_next(r, &at, &want) || want < r->cap || want != len)
        abort();
    if (id != cdpframe_peek_id((const char *)r->s + at, r->cap))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    ref_t r = {.s = data + 2, .n = size - 2, .cap = 64 + (size_t)data[0] * 4};
    size_t step = 1 + (size_t)data[1] * 3;
    cdpframe_t f;
    cdpframe_init(&f, r.cap);
    const uint8_t *p = r.s;
    size_t left = r.n;
    while (left) {
        size_t room;
        char *at = cdpframe_room(&f, step, &room);
        if (!at)
            abort();
        if (room > left)
            room = left;
        memcpy(at, p, room);
        if (cdpframe_commit(&f, room, msg_cb, drop_cb, &r) != 0)
            abort();
        p += room;
        left -= room;
        cdpframe_trim(&f);
    }
    /* every complete segment was handed over, one way or the other */
    if (memchr(r.s + r.pos, 0, r.n - r.pos))
        abort();
    cdpframe_free(&f);
    return 0;
}
