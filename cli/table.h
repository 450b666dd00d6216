/* table.h -- terminal text for the CLI: display width of UTF-8 (East Asian wide and emoji
 * take two columns, combining marks none, colour escapes none), cutting to a width with an
 * ellipsis, and tables whose columns line up by display width. */
#ifndef LS_TABLE_H
#define LS_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* Columns one code point takes: 0, 1 or 2. */
int table_cp_width(unsigned cp);
/* Columns s takes on a terminal. Invalid UTF-8 bytes count one column each. */
size_t table_width(const char *s);
/* Copies s into out (outlen bytes), cut to at most `cols` columns with "…" in the last
 * column when cut. Never splits a character; a cut coloured string ends with a reset. */
void table_fit(const char *s, size_t cols, char *out, size_t outlen);

/* Widths for a table of n columns with the natural widths w[] (changed in place) so that
 * the line (columns joined by 2 spaces) fits max_width: the `flex` column shrinks first,
 * then the widest others, none below min_width (or its natural width if smaller).
 * max_width 0 means no limit. */
void table_layout(size_t *w, size_t n, int flex, size_t max_width, size_t min_width);

typedef struct table table_t;
/* Returns NULL when out of memory. */
table_t *table_new(size_t ncols);
void table_free(table_t *t);
/* Adds a row of ncols strings (copied; NULL = ""; newlines and tabs become spaces).
 * Returns 0 or -1 when out of memory. */
int table_add(table_t *t, const char *const *cells);
/* Gives the last row added a line printed under it as it is (not cut, not counted in
 * the column widths; the caller indents and scrubs it). Returns 0 or -1 when out of
 * memory or when there is no row yet. */
int table_note(table_t *t, const char *line);
size_t table_rows(const table_t *t);
/* Prints a header row (bold with colour) and the rows, columns two spaces apart and no
 * trailing blanks; with max_width > 0 cells are cut (see table_layout). Returns 0 or -1
 * when out of memory. */
int table_print(const table_t *t, const char *const *header, int flex, size_t max_width,
                int color, FILE *out);

#endif
