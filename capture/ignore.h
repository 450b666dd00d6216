/* ignore.h -- a site rule's `ignore` selectors at capture time: the script that measures
 * the elements they match (their boxes in the full page, their text) and the check of what
 * it returned. The boxes and texts are kept with the snapshot (daemon/fidelity.c) and left
 * out of the comparison with the capture before (daemon/snapdiff.c). Knows no CDP. */
#ifndef LS_IGNORE_H
#define LS_IGNORE_H

#include <stddef.h>

#include <jansson.h>

#define IGNORE_MAX_BOXES 200     /* elements measured at most, all selectors together */
#define IGNORE_MAX_TEXT 1000     /* UTF-16 units of one element's text taken in the page */
#define IGNORE_MAX_TEXTS_BYTES (32 * 1024)   /* all texts kept, together (they go into every
                                              * snapshot object) */

/* The expression for Runtime.evaluate (an isolated world of the main frame) that returns
 * [{x, y, w, h, text}] for the elements `selectors` (a JSON array of strings, borrowed)
 * match, in document CSS px; a selector the page's engine refuses matches nothing.
 * malloc'ed, or NULL when out of memory. */
char *ignore_script(const json_t *selectors);

/* Checks what the script returned (borrowed; the page's world cannot be trusted) and
 * returns a new {"boxes": [[x, y, w, h]...], "texts": [...]}: boxes in the screenshot's
 * pixels (CSS px times scale, rounded outwards, clipped at the page's top and left, empty
 * ones dropped), texts valid UTF-8 of at most 4 * IGNORE_MAX_TEXT bytes, empty ones
 * dropped, the texts past IGNORE_MAX_TEXTS_BYTES in all dropped too; at most
 * IGNORE_MAX_BOXES of each. NULL with err when it is not an array or
 * memory ran out. */
json_t *ignore_check(const json_t *value, double scale, char *err, size_t errlen);

#endif
