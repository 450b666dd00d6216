/* errcode.h -- stable error codes beside the English messages: the wire contract for
 * translating errors. Every message a person can meet (a JSON-RPC error, a link.add
 * result, an import line's reason) is an English sentence built by whoever refused; this
 * table names each such sentence with a snake_case code and its template, whose {name}
 * holes are the parameters. errcode_data() recognises a sentence and returns the
 * {code, params} object sent beside it (`error.data`, an import error's `code`/`params`),
 * so a page can show the sentence in its own language while the CLI prints the English.
 * docs/protocol.md lists every code; web/static/js/i18n.js has each one in zh and en. */
#ifndef LS_ERRCODE_H
#define LS_ERRCODE_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *code;   /* snake_case, stable: clients key translations on it */
    const char *tmpl;   /* the English sentence; {name} ([a-z_]+) stands for a parameter */
} errcode_def_t;

/* The table (in match order: the first template that matches names the sentence). Several
 * templates may share a code when they say the same thing. */
const errcode_def_t *errcode_table(size_t *n);

/* Matches msg against one template. Returns 1 and adds the holes to params (string values)
 * when it matches, 0 when not, -1 when out of memory. params may be NULL (test only). */
int errcode_match(const char *tmpl, const char *msg, json_t *params);

/* {code, params} for an English message, or NULL when no template matches (or out of
 * memory). A message "param 'NAME': SENTENCE" or "WHAT: SENTENCE" (a short prefix a caller
 * put before someone else's sentence) is recognised by SENTENCE, with params.param = NAME
 * in the first form. The result is owned by the caller. */
json_t *errcode_data(const char *msg);

#endif
