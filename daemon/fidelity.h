/* fidelity.h -- what makes one capture show what a person sees: the site rule that
 * applies to its URL (cookies, headers, user agent, viewport, wait_for, hide, delay,
 * scroll), the consent-banner layers (config `hide_consent`, or the rule's), and the
 * bot-wall verdict on what came back. Turns a stored rule into the shot's options
 * (shot_site_t), classifies the result (capture/botwall.h) and writes the snapshot's
 * `fidelity` record: which consent layers acted and what they hid, which rule applied,
 * which wall was met. Loop thread only; no I/O. */
#ifndef LS_FIDELITY_H
#define LS_FIDELITY_H

#include <jansson.h>

#include "botwall.h"
#include "config.h"
#include "shot.h"
#include "sites.h"

typedef struct {
    shot_site_t site;          /* points into the fields below */
    char *match, *kind;        /* the rule's, or NULL when none applies */
    json_t *rule;              /* the rule's settings object */
    char *preload;             /* consent sheet + the rule's hidden selectors */
    json_t *cookies;           /* CDP CookieParam array */
    json_t *patterns;          /* Fetch urlPattern strings */
    int hide_consent;          /* effective: the rule's, else the config's */
    int viewport_w, viewport_h;   /* the rule's, else the config's */
} fidelity_t;

/* Prepares f (zeroed by the caller or after fidelity_clear) for one capture of a job
 * whose rule is `rule` (NULL when none applies). Returns 0, or -1 with err (out of
 * memory, or a stored rule that no longer reads: its JSON or its hide list). */
int fidelity_prepare(fidelity_t *f, const store_site_rule_t *rule, const config_t *cfg,
                     char *err, size_t errlen);
void fidelity_clear(fidelity_t *f);

/* The wall a finished capture met (BOTWALL_NONE when it met none), from the main
 * document's status and headers, the title and the markup sample. */
botwall_kind_t fidelity_classify(const shot_result_t *r, botwall_result_t *out);

/* The snapshot's record (new reference, NULL out of memory):
 *   {"rule": match|null, "consent": {"layers": [...], "managers": [...], "hidden": [...],
 *    "kept": [...], "scroll": [...], and "dropped": n, "problem": text when the report
 *    was cut or held what consent_report_check refuses} | null (off or no report), "hidden_by_rule": [selectors],
 *    "wall": name|null, "wait_for": "found"|"cut"|null, "revealed": bool, and when the rule
 *    ignores elements "ignored": {"selectors", "boxes": [[x, y, w, h] in shot px], "texts"}} */
json_t *fidelity_record(const fidelity_t *f, const shot_result_t *r, const botwall_result_t *wall);

/* The endpoints a stored rule pins its sites to ("endpoints": [names], issue 21), copied
 * into names (at most max, each once); the count, 0 when the rule pins none (rule_json
 * NULL, no key, or a key that is not an array). Names that do not read as an endpoint's
 * name (a hand-edited database) are left out. -1 when rule_json does not read as a JSON
 * object, or out of memory: the caller fails the capture rather than send it to any
 * browser (fidelity_prepare refuses such a rule too). Pure: any thread (the engine calls
 * it on the writer thread). */
int fidelity_rule_endpoints(const char *rule_json, char names[][CONFIG_ENDPOINT_NAME_MAX], int max);
/* The same for a rule already parsed (the engine parses each claimed job's rule once and
 * reads more of it): -1 when rule is NULL (the text did not parse, or out of memory) or
 * not an object. Pure; any thread. */
int fidelity_rule_endpoints_json(const json_t *rule, char names[][CONFIG_ENDPOINT_NAME_MAX],
                                 int max);

#endif
