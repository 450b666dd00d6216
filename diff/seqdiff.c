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

/* ---- anchored ---------------------------------------------------------------------- */

typedef struct {
    uint64_t h;
    uint32_t i;
} item_t;

static int item_order(const void *pa, const void *pb)
{
    const item_t *x = pa, *y = pb;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The hashes of v sorted with their positions. */
static item_t *sorted_items(const uint64_t *v, size_t n)
{
    item_t *it = malloc((n ? n : 1) * sizeof *it);
    if (!it)
        return NULL;
    for (size_t i = 0; i < n; i++)
        it[i] = (item_t){.h = v[i], .i = (uint32_t)i};
    qsort(it, n, sizeof *it, item_order);
    return it;
}

/* Pairs (i in a, j in b) of items unique on both sides, ordered by i, into pi/pj; *np. */
static int unique_pairs(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                        uint32_t **pi, uint32_t **pj, size_t *np)
{
    item_t *sa = sorted_items(a, na), *sb = sorted_items(b, nb);
    size_t cap = na < nb ? na : nb;
    uint32_t *bi = malloc((cap ? cap : 1) * sizeof *bi), *bj = malloc((cap ? cap : 1) * sizeof *bj);
    int rc = -ENOMEM;
    size_t n = 0;
    if (!sa || !sb || !bi || !bj)
        goto done;
    for (size_t x = 0, y = 0; x < na && y < nb;) {
        if (sa[x].h != sb[y].h) {
            if (sa[x].h < sb[y].h)
                x++;
            else
                y++;
            continue;
        }
        size_t x1 = x, y1 = y;
        while (x1 < na && sa[x1].h == sa[x].h)
            x1++;
        while (y1 < nb && sb[y1].h == sb[y].h)
            y1++;
        if (x1 - x == 1 && y1 - y == 1) {
            bi[n] = sa[x].i;
            bj[n++] = sb[y].i;
        }
        x = x1;
        y = y1;
    }
    /* by position in a: bi is a permutation subset; sort the pairs by it */
    uint32_t *order = malloc((na ? na : 1) * sizeof *order);
    if (!order)
        goto done;
    for (size_t t = 0; t < na; t++)
        order[t] = UINT32_MAX;
    for (size_t t = 0; t < n; t++)
        order[bi[t]] = bj[t];
    size_t k = 0;
    for (size_t t = 0; t < na; t++)
        if (order[t] != UINT32_MAX) {
            bi[k] = (uint32_t)t;
            bj[k++] = order[t];
        }
    free(order);
    *pi = bi;
    *pj = bj;
    *np = n;
    bi = bj = NULL;
    rc = 0;
done:
    free(sa);
    free(sb);
    free(bi);
    free(bj);
    return rc;
}

/* The longest chain of pairs increasing in j (they are already increasing in i), as
 * indices into the pairs, in order: patience sorting with back links. */
static int longest_chain(const uint32_t *pj, size_t n, uint32_t **chain, size_t *nchain)
{
    uint32_t *tops = malloc((n ? n : 1) * sizeof *tops);   /* pile tops: pair indices */
    uint32_t *back = malloc((n ? n : 1) * sizeof *back);
    size_t piles = 0;
    if (!tops || !back) {
        free(tops);
        free(back);
        return -ENOMEM;
    }
    for (size_t t = 0; t < n; t++) {
        size_t lo = 0, hi = piles;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (pj[tops[mid]] < pj[t])
                lo = mid + 1;
            else
                hi = mid;
        }
        back[t] = lo > 0 ? tops[lo - 1] : UINT32_MAX;
        tops[lo] = (uint32_t)t;
        if (lo == piles)
            piles++;
    }
    /* walk back from the last pile's top; tops is reused for the chain */
    uint32_t at = piles ? tops[piles - 1] : UINT32_MAX;
    for (size_t k = piles; k > 0; k--) {
        tops[k - 1] = at;
        at = back[at];
    }
    free(back);
    *chain = tops;
    *nchain = piles;
    return 0;
}

/* One segment a[a0, a1) / b[b0, b1) between anchors, its runs appended to r. */
static int segment(const uint64_t *a, uint32_t a0, uint32_t a1, const uint64_t *b, uint32_t b0,
                   uint32_t b1, size_t max_edits, runs_t *r, size_t *far)
{
    uint32_t head = 0, tail = 0;
    while (a0 + head < a1 && b0 + head < b1 && a[a0 + head] == b[b0 + head])
        head++;
    while (a0 + head + tail < a1 && b0 + head + tail < b1 && a[a1 - 1 - tail] == b[b1 - 1 - tail])
        tail++;
    uint32_t ma0 = a0 + head, ma1 = a1 - tail, mb0 = b0 + head, mb1 = b1 - tail;
    int rc = runs_add(r, SEQDIFF_EQ, a0, b0, head);
    if (rc)
        return rc;
    /* middles of one length: in place unless a search finds strictly fewer edits than
     * the rows that differ there, deleted and inserted (a shift cut off at the bottom of
     * both shots); white rows around a new dot are not shifted past it */
    int same = ma1 - ma0 == mb1 - mb0, in_place = 0;
    size_t bound = max_edits;
    if (same) {
        size_t diffs = 0;
        for (uint32_t t = 0; t < ma1 - ma0; t++)
            diffs += a[ma0 + t] != b[mb0 + t];
        if (diffs > 0 && 2 * diffs - 1 < bound)
            bound = 2 * diffs - 1;
    }
    if (ma1 > ma0 && mb1 > mb0) {
        seqdiff_run_t *v;
        size_t nv;
        rc = seqdiff_run(a + ma0, ma1 - ma0, b + mb0, mb1 - mb0, bound, &v, &nv);
        if (rc < 0)
            return rc;
        if (rc == SEQDIFF_FAR) {
            in_place = 1;
            *far += bound == max_edits;
        }
        for (size_t t = 0; rc == 0 && t < nv; t++)
            rc = runs_add(r, v[t].kind, v[t].a + ma0, v[t].b + mb0, v[t].n);
        free(v);
        if (rc < 0)
            return rc;
    } else {
        in_place = 1;
    }
    if (in_place && ((rc = runs_add(r, SEQDIFF_DEL, ma0, mb0, ma1 - ma0)) ||
                     (rc = runs_add(r, SEQDIFF_INS, ma1, mb0, mb1 - mb0))))
        return rc;
    return runs_add(r, SEQDIFF_EQ, ma1, mb1, tail);
}

int seqdiff_anchored(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                     size_t max_edits, seqdiff_run_t **out, size_t *nout, size_t *far)
{
    *out = NULL;
    *nout = 0;
    *far = 0;
    if (na > INT32_MAX / 2 || nb > INT32_MAX / 2 || max_edits > INT32_MAX / 4)
        return -E2BIG;
    uint32_t *pi = NULL, *pj = NULL, *chain = NULL;
    size_t np = 0, nc = 0;
    runs_t r = {0};
    int rc = unique_pairs(a, na, b, nb, &pi, &pj, &np);
    if (rc || (rc = longest_chain(pj, np, &chain, &nc)))
        goto done;
    uint32_t a0 = 0, b0 = 0;
    for (size_t k = 0; k <= nc; k++) {
        uint32_t a1 = k < nc ? pi[chain[k]] : (uint32_t)na, b1 = k < nc ? pj[chain[k]] : (uint32_t)nb;
        if ((rc = segment(a, a0, a1, b, b0, b1, max_edits, &r, far)))
            goto done;
        if (k < nc && (rc = runs_add(&r, SEQDIFF_EQ, a1, b1, 1)))
            goto done;
        a0 = a1 + 1;
        b0 = b1 + 1;
    }
    *out = r.v;
    *nout = r.n;
    r.v = NULL;
done:
    free(r.v);
    free(pi);
    free(pj);
    free(chain);
    return rc;
}
