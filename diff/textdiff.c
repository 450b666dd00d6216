/* textdiff.c -- blocks of page text added and removed (see textdiff.h): each block's
 * white-space-folded text hashed, the two hash sequences diffed (diff/seqdiff.c), or
 * compared as sets when they differ too much to align. */
#include "textdiff.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seqdiff.h"

typedef struct {
    uint64_t *h;     /* hashes of the non-empty blocks */
    size_t *idx;     /* their indices among all blocks */
    size_t n;
} seq_t;

/* The hash of s with white space folded; 0 (and *empty) when nothing but white space. */
static uint64_t fold_hash(const char *s, char *scratch, int *empty)
{
    size_t n = 0;
    int space = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            space = n > 0;
            continue;
        }
        if (space)
            scratch[n++] = ' ';
        space = 0;
        scratch[n++] = (char)*p;
    }
    *empty = n == 0;
    return n ? seqdiff_hash(scratch, n) : 0;
}

static int seq_make(const char *const *v, size_t nv, seq_t *s)
{
    s->h = malloc((nv ? nv : 1) * sizeof *s->h);
    s->idx = malloc((nv ? nv : 1) * sizeof *s->idx);
    s->n = 0;
    if (!s->h || !s->idx)
        return -ENOMEM;
    for (size_t i = 0; i < nv; i++) {
        const char *t = v[i] ? v[i] : "";
        char *scratch = malloc(strlen(t) + 1);
        if (!scratch)
            return -ENOMEM;
        int empty;
        uint64_t h = fold_hash(t, scratch, &empty);
        free(scratch);
        if (empty)
            continue;
        s->h[s->n] = h;
        s->idx[s->n++] = i;
    }
    return 0;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Indices of x's blocks whose text y lacks, into *out. */
static int set_minus(const seq_t *x, const seq_t *y, size_t **out, size_t *nout)
{
    uint64_t *sorted = malloc((y->n ? y->n : 1) * sizeof *sorted);
    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, y->h, y->n * sizeof *sorted);
    qsort(sorted, y->n, sizeof *sorted, cmp_u64);
    for (size_t i = 0; i < x->n; i++)
        if (!bsearch(&x->h[i], sorted, y->n, sizeof *sorted, cmp_u64))
            (*out)[(*nout)++] = x->idx[i];
    free(sorted);
    return 0;
}

int textdiff_blocks(const char *const *a, size_t na, const char *const *b, size_t nb,
                    size_t max_edits, textdiff_result_t *out)
{
    memset(out, 0, sizeof *out);
    seq_t sa = {0}, sb = {0};
    seqdiff_run_t *runs = NULL;
    size_t nruns = 0;
    int rc = -ENOMEM;
    if (seq_make(a, na, &sa) != 0 || seq_make(b, nb, &sb) != 0)
        goto done;
    out->added = malloc((sb.n ? sb.n : 1) * sizeof *out->added);
    out->removed = malloc((sa.n ? sa.n : 1) * sizeof *out->removed);
    if (!out->added || !out->removed)
        goto done;
    size_t far = 0;
    rc = seqdiff_anchored(sa.h, sa.n, sb.h, sb.n, max_edits ? max_edits : 1024, &runs, &nruns, &far);
    if (rc == 0 && far) {
        if ((rc = set_minus(&sb, &sa, &out->added, &out->nadded)) != 0 ||
            (rc = set_minus(&sa, &sb, &out->removed, &out->nremoved)) != 0)
            goto done;
    } else if (rc == 0) {
        for (size_t i = 0; i < nruns; i++)
            for (uint32_t t = 0; t < runs[i].n; t++) {
                if (runs[i].kind == SEQDIFF_INS)
                    out->added[out->nadded++] = sb.idx[runs[i].b + t];
                else if (runs[i].kind == SEQDIFF_DEL)
                    out->removed[out->nremoved++] = sa.idx[runs[i].a + t];
            }
    } else {
        goto done;
    }
    rc = 0;
done:
    free(runs);
    free(sa.h);
    free(sa.idx);
    free(sb.h);
    free(sb.idx);
    if (rc != 0)
        textdiff_result_free(out);
    return rc;
}

void textdiff_result_free(textdiff_result_t *r)
{
    if (!r)
        return;
    free(r->added);
    free(r->removed);
    memset(r, 0, sizeof *r);
}
