/* cdpframe.c -- cuts the DevTools pipe's byte stream into NUL-ended messages (see
 * cdpframe.h). Two states: assembling (bytes land in `in`, capped at max) and dropping (an
 * oversized message's bytes land in a scratch area and are only counted until its NUL).
 * The cdp client (cdp.c) reads into it on the loop; the fuzz harness drives it alone. */
#include "cdpframe.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX ((size_t)256 << 20)

void cdpframe_init(cdpframe_t *f, size_t max)
{
    memset(f, 0, sizeof *f);
    f->max = max ? max : DEFAULT_MAX;
    buf_init(&f->in, f->max);
    f->drop_id = -1;
}

void cdpframe_free(cdpframe_t *f)
{
    buf_free(&f->in);
    free(f->scratch);
    f->scratch = NULL;
}

long cdpframe_peek_id(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i++] != '{')
        return -1;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (n - i < 4 || memcmp(p + i, "\"id\"", 4) != 0)
        return -1;
    i += 4;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i++] != ':')
        return -1;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    long id = 0;
    int digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 15) {
        id = id * 10 + (p[i++] - '0');
        digits++;
    }
    /* the digits must be seen to end: an id cut by the buffer's end could be another one */
    if (!digits || i >= n || (p[i] >= '0' && p[i] <= '9'))
        return -1;
    return id;
}

char *cdpframe_room(cdpframe_t *f, size_t want, size_t *len)
{
    if (f->dropping) {
        if (!f->scratch && !(f->scratch = malloc(CDPFRAME_SCRATCH)))
            return NULL;
        *len = want < CDPFRAME_SCRATCH ? want : CDPFRAME_SCRATCH;
        return f->scratch;
    }
    size_t room = f->max - f->in.len;   /* in.len < max always holds here */
    if (want < room)
        room = want;
    if (buf_reserve(&f->in, room) != 0)
        return NULL;
    *len = room;
    return f->in.data + f->in.len;
}

/* Hands over the complete messages in `in`, from byte `scan` on; keeps the partial one.
 * A partial message that fills the buffer is oversized: dropping starts. */
static int deliver(cdpframe_t *f, size_t scan, cdpframe_msg_cb msg, void *ud)
{
    size_t start = 0;
    int rc = 0;
    for (;;) {
        char *nul = memchr(f->in.data + scan, '\0', f->in.len - scan);
        if (!nul)
            break;
        size_t at = (size_t)(nul - f->in.data);
        if (msg(f->in.data + start, at - start, ud)) {
            rc = 1;
            start = at + 1;
            break;
        }
        start = scan = at + 1;
    }
    if (start)
        buf_consume(&f->in, start);
    if (rc)
        return rc;
    if (f->in.len >= f->max) {
        f->dropping = 1;
        f->drop_len = f->in.len;
        f->drop_id = cdpframe_peek_id(f->in.data, f->in.len);
        buf_free(&f->in);   /* the oversized bytes' memory goes back now */
    }
    return 0;
}

int cdpframe_commit(cdpframe_t *f, size_t n, cdpframe_msg_cb msg, cdpframe_drop_cb drop, void *ud)
{
    if (!n)
        return 0;
    if (!f->dropping) {
        size_t scan = f->in.len;
        f->in.len += n;
        f->in.data[f->in.len] = '\0';
        return deliver(f, scan, msg, ud);
    }
    char *nul = memchr(f->scratch, '\0', n);
    if (!nul) {
        f->drop_len += n;
        return 0;
    }
    size_t k = (size_t)(nul - f->scratch);
    f->drop_len += k;
    f->dropping = 0;
    uint64_t len = f->drop_len;
    long id = f->drop_id;
    f->drop_len = 0;
    f->drop_id = -1;
    if (drop(id, len, ud))
        return 1;
    /* what follows the NUL starts the next message(s) */
    size_t rest = n - k - 1;
    if (!rest)
        return 0;
    if (rest >= f->max) {   /* a tiny cap (tests): feed it through the usual path */
        char *copy = malloc(rest);
        if (!copy)
            return -1;
        memcpy(copy, nul + 1, rest);
        int rc = cdpframe_feed(f, copy, rest, msg, drop, ud);
        free(copy);
        return rc;
    }
    if (buf_append(&f->in, nul + 1, rest) != 0)
        return -1;
    return deliver(f, 0, msg, ud);
}

int cdpframe_feed(cdpframe_t *f, const char *p, size_t n, cdpframe_msg_cb msg, cdpframe_drop_cb drop,
                  void *ud)
{
    while (n > 0) {
        size_t room;
        char *at = cdpframe_room(f, n, &room);
        if (!at)
            return -1;
        memcpy(at, p, room);
        int rc = cdpframe_commit(f, room, msg, drop, ud);
        if (rc)
            return rc;
        p += room;
        n -= room;
    }
    return 0;
}

void cdpframe_trim(cdpframe_t *f)
{
    if (f->in.len == 0 && f->in.cap > (1u << 20))
        buf_free(&f->in);
    if (!f->dropping && f->scratch) {
        free(f->scratch);
        f->scratch = NULL;
    }
}
