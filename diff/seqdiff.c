/* seqdiff.c -- Myers' O((N+M)D) greedy diff over hashes (see seqdiff.h). The forward
 * search keeps, for every edit count d, the furthest x reached on each diagonal k
 * (d + 1 values); the path is then walked back from the end through those saved rows.
 * Only the middle that differs is searched: the common head and tail are runs at once. */
#include "seqdiff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    seqdiff_run_t *v;
    size_t n, cap;
} runs_t;

static int runs_add(runs_t *r, seqdiff_kind_t kind, uint32_t a, uint32_t b, uint32_t n)
{
    if (n == 0)
        return 0;
    if (r->n > 0) {
        seqdiff_run_t *last = &r->v[r->n - 1];
        /* runs are added backwards during the walk back, forwards otherwise: join either */
        if (last->kind == kind) {
            uint32_t da = kind == SEQDIFF_INS ? 0 : n, db = kind == SEQDIFF_DEL ? 0 : n;
            if (last->a + (kind == SEQDIFF_INS ? 0 : last->n) == a &&
                last->b + (kind == SEQDIFF_DEL ? 0 : last->n) == b) {
                last->n += n;
                return 0;
            }
            if (a + da == last->a && b + db == last->b) {
                last->a = a;
                last->b = b;
                last->n += n;
                return 0;
            }
        }
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        seqdiff_run_t *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (seqdiff_run_t){.kind = kind, .a = a, .b = b, .n = n};
    return 0;
}

uint64_t seqdiff_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x6a09e667f3bcc909ull ^ (n * 0x9e3779b97f4a7c15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w ^ 0x5bd1e995u) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

/* The search over a[0..n) and b[0..m) (both offset by the head), its runs added to r. */
static int myers(const uint64_t *a, int32_t n, const uint64_t *b, int32_t m, int32_t max_d,
                 uint32_t off, runs_t *r)
{
    int32_t *v = calloc((size_t)2 * max_d + 3, sizeof *v);  /* v[k + max_d + 1] */
    int32_t **trace = calloc((size_t)max_d + 1, sizeof *trace);
    int rc = -ENOMEM, found = -1;
    if (!v || !trace)
        goto done;
    int32_t *vk = v + max_d + 1;
    for (int32_t d = 0; d <= max_d && found < 0; d++) {
        for (int32_t k = -d; k <= d; k += 2) {
            int32_t x = (k == -d || (k != d && vk[k - 1] < vk[k + 1])) ? vk[k + 1] : vk[k - 1] + 1;
            int32_t y = x - k;
            while (x < n && y < m && a[x] == b[y]) {
                x++;
                y++;
            }
            vk[k] = x;
            if (x >= n && y >= m)
                found = d;
        }
        if (!(trace[d] = malloc(((size_t)d + 1) * sizeof **trace)))
            goto done;
        for (int32_t k = -d; k <= d; k += 2)
            trace[d][(k + d) / 2] = vk[k];
    }
    if (found < 0) {
        rc = SEQDIFF_FAR;
        goto done;
    }
    /* walk back from (n, m): each step d -> d - 1 is a snake and one edit before it */
    int32_t x = n, y = m;
    for (int32_t d = found; d > 0; d--) {
        int32_t k = x - y;
        const int32_t *prev = trace[d - 1];   /* prev[(k + d - 1) / 2] for k in -(d-1)..d-1 */
        int down = k == -d || (k != d && prev[(k - 1 + d - 1) / 2] < prev[(k + 1 + d - 1) / 2]);
        int32_t pk = down ? k + 1 : k - 1;
        int32_t px = prev[(pk + d - 1) / 2], py = px - pk;
        int32_t mx = down ? px : px + 1, my = down ? py + 1 : py;
        if ((rc = runs_add(r, SEQDIFF_EQ, off + (uint32_t)mx, off + (uint32_t)my, (uint32_t)(x - mx))) ||
            (rc = runs_add(r, down ? SEQDIFF_INS : SEQDIFF_DEL, off + (uint32_t)px,
                           off + (uint32_t)py, 1)))
            goto done;
        x = px;
        y = py;
    }
    rc = runs_add(r, SEQDIFF_EQ, off, off, (uint32_t)x);
done:
    if (trace)
        for (int32_t d = 0; d <= max_d; d++)
            free(trace[d]);
    free(trace);
    free(v);
    return rc;
}

int seqdiff_run(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t max_edits,
                seqdiff_run_t **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (na > INT32_MAX / 2 || nb > INT32_MAX / 2 || max_edits > INT32_MAX / 4)
        return -E2BIG;
    size_t head = 0, tail = 0;
    while (head < na && head < nb && a[head] == b[head])
        head++;
    while (tail < na - head && tail < nb - head && a[na - 1 - tail] == b[nb - 1 - tail])
        tail++;
    int32_t n = (int32_t)(na - head - tail), m = (int32_t)(nb - head - tail);
    int32_t max_d = (int32_t)max_edits;
    if (max_d > n + m)
        max_d = n + m;
    runs_t r = {0};
    int rc = 0;
    /* the tail first: runs are collected backwards, then reversed */
    if ((rc = runs_add(&r, SEQDIFF_EQ, (uint32_t)(na - tail), (uint32_t)(nb - tail), (uint32_t)tail)))
        goto fail;
    if (n == 0 || m == 0) {
        if ((rc = runs_add(&r, SEQDIFF_INS, (uint32_t)head, (uint32_t)head, (uint32_t)m)) ||
            (rc = runs_add(&r, SEQDIFF_DEL, (uint32_t)head, (uint32_t)head, (uint32_t)n)))
            goto fail;
    } else if ((rc = myers(a + head, n, b + head, m, max_d, (uint32_t)head, &r))) {
        goto fail;
    }
    if ((rc = runs_add(&r, SEQDIFF_EQ, 0, 0, (uint32_t)head)))
        goto fail;
    for (size_t i = 0; i < r.n / 2; i++) {
        seqdiff_run_t t = r.v[i];
        r.v[i] = r.v[r.n - 1 - i];
        r.v[r.n - 1 - i] = t;
    }
    *out = r.v;
    *nout = r.n;
    return 0;
fail:
    free(r.v);
    return rc;
}
