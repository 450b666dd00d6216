/* seqdiff.h -- the one sequence diff of the diff module: Myers' greedy shortest edit
 * script over two sequences of 64-bit hashes (rows of a picture, blocks of a page's text),
 * with a bound on the number of edits so that two unrelated inputs cost a bounded time and
 * memory instead of the quadratic worst case. Knows nothing of pictures or text. */
#ifndef LS_DIFF_SEQDIFF_H
#define LS_DIFF_SEQDIFF_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SEQDIFF_EQ, SEQDIFF_DEL, SEQDIFF_INS } seqdiff_kind_t;

/* n items from a[a] (EQ, DEL) and/or b[b] (EQ, INS). Runs come in order; an EQ run pairs
 * a[a + t] with b[b + t]. */
typedef struct {
    seqdiff_kind_t kind;
    uint32_t a, b, n;
} seqdiff_run_t;

#define SEQDIFF_FAR 1   /* more than max_edits edits: no script */

/* The shortest edit script from a[0..na) to b[0..nb) (common head and tail taken first),
 * as runs in *out (malloc'ed, free it; NULL when *nout is 0). Work memory is about
 * 2 * max_edits^2 bytes at most. Returns 0, SEQDIFF_FAR, or -ENOMEM / -E2BIG (a sequence
 * longer than 2^31). */
int seqdiff_run(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t max_edits,
                seqdiff_run_t **out, size_t *nout);

/* The same, anchored first as patience diff anchors (Bram Cohen's): items that occur
 * exactly once in a and once in b, their longest chain in order, split the sequences into
 * segments; inside each, after the common head and tail, the middle is searched with
 * seqdiff_run (bounded by max_edits; beyond it, one hunk in place, DEL n then INS m,
 * counted in *far). A middle of equal lengths stays in place unless the search finds
 * strictly fewer edits than its differing positions (deleted and inserted). So repeated
 * items (blank rows, a uniform band) never pull the alignment into a shift that a change
 * among them does not need. Returns 0 or -ENOMEM /
 * -E2BIG. */
int seqdiff_anchored(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                     size_t max_edits, seqdiff_run_t **out, size_t *nout, size_t *far);

/* A 64-bit hash of n bytes (not cryptographic: equal inputs, equal hashes; different
 * inputs collide with odds near 2^-64). */
uint64_t seqdiff_hash(const void *p, size_t n);

#endif
