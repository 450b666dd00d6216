/* textdiff.h -- the text diff of two captures: which blocks of the page's text (its
 * paragraphs, headings, list items; or its visible text's lines) appeared and which went,
 * by a line diff over the blocks' texts (diff/seqdiff.c). Blocks that only moved past an
 * edit count as removed and added, as in any line diff. Knows nothing of JSON or the store. */
#ifndef LS_DIFF_TEXTDIFF_H
#define LS_DIFF_TEXTDIFF_H

#include <stddef.h>

typedef struct {
    size_t *added;     /* indices into the new blocks, ascending */
    size_t nadded;
    size_t *removed;   /* indices into the old blocks, ascending */
    size_t nremoved;
} textdiff_result_t;

/* Compares old blocks a[0..na) with new blocks b[0..nb) (UTF-8 strings; white space at
 * either end of a block and runs of it inside count as one space; blocks empty after that
 * are never reported). More than max_edits (0 = 1024) edits: blocks compared as sets
 * instead (a block is added when no old block has its text). Returns 0 or -ENOMEM. */
int textdiff_blocks(const char *const *a, size_t na, const char *const *b, size_t nb,
                    size_t max_edits, textdiff_result_t *out);
void textdiff_result_free(textdiff_result_t *r);

#endif
