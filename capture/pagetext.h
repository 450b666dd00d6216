/* pagetext.h -- the page's text: the script that takes it in the page (Mozilla's
 * Readability, when the build has it, and capture/pagetext.js) and the check of what came
 * back. Knows no CDP and nothing of the store. */
#ifndef LS_PAGETEXT_H
#define LS_PAGETEXT_H

#include <stddef.h>

#include <jansson.h>

/* Readability is compiled in (-DLINKSNAP_TEXT=ON); without it only the visible text is
 * taken, never an article. */
int pagetext_has_readability(void);

/* The expression for Runtime.evaluate in an isolated world: every string it returns is
 * cut in the page at max_bytes of UTF-8; Readability is skipped on pages of more than
 * max_elems elements. Returns it malloc'ed (free it), or NULL when out of memory. */
char *pagetext_script(size_t max_bytes, int max_elems);

/* Checks the value the script returned (borrowed) and returns a new object
 * {title, byline, lang, excerpt, blocks: [{kind, text}], text, cut, article} holding only
 * those keys, with valid UTF-8 strings (repaired), block kinds from the known set and
 * everything within max_bytes (a page's world cannot be trusted to have cut). NULL with
 * err set when the value is not such an object. */
json_t *pagetext_check(json_t *value, size_t max_bytes, char *err, size_t errlen);

#endif
