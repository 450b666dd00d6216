/* table.h -- terminal text: display width of UTF-8 (CJK and emoji are two columns,
 * combining marks none), cutting to a width with an ellipsis, and aligned tables. */
#ifndef LS_TABLE_H
#define LS_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* Columns that s takes on a terminal. */
size_t table_width(const char *s);
/* Copies s into out, cut to at most `cols` columns with "…" when cut. */
void table_fit(const char *s, size_t cols, char *out, size_t outlen);

typedef struct table table_t;
table_t *table_new(size_t ncols);
void table_free(table_t *t);
/* Adds a row of ncols strings (copied; NULL = ""). Returns 0 or -1. */
int table_add(table_t *t, const char *const *cells);
/* Prints with a header row; the column `flex` (or -1) shrinks so lines fit max_width
 * (0 = no limit). */
void table_print(const table_t *t, const char *const *header, int flex, size_t max_width,
                 int color, FILE *out);

#endif
