/* consent.h -- what hides consent banners in a capture, as text for DevTools:
 *   consent_css()             the style sheet naming the known consent managers' elements
 *                             (OneTrust, Cookiebot, Didomi, Quantcast/InMobi, TrustArc,
 *                             Usercentrics, Sourcepoint, Osano, Termly, Complianz,
 *                             CookieYes, iubenda) and their scroll-lock classes;
 *   consent_preload_script()  a script for Page.addScriptToEvaluateOnNewDocument that puts
 *                             that sheet in place before the page's own scripts run;
 *   consent_script()          the generic pass for Runtime.evaluate just before the shot
 *                             (returnByValue): hides fixed/sticky notices by their words in
 *                             13 languages, unlocks scrolling, keeps headers and nav bars,
 *                             and evaluates to a JSON report (see capture/consent.js);
 *                             the capture runs it in an isolated world (capture/shot.c);
 *   consent_report_check()    reads that report back: size, shape, text.
 * The texts are compiled in from capture/consent.css and capture/consent.js. */
#ifndef LS_CONSENT_H
#define LS_CONSENT_H

#include <jansson.h>
#include <stddef.h>

/* Static, NUL-terminated; never freed. */
const char *consent_css(void);
const char *consent_script(void);

/* Returns an owned script (free() it) that adds a style sheet to the document as soon as
 * it has an element, or NULL when out of memory: consent_css() when with_consent, then
 * extra_css (may be NULL), for a site rule's `hide` selectors (consent_hide_css builds
 * it). */
char *consent_preload_script(int with_consent, const char *extra_css);

/* Builds "sel1, sel2 { display: none !important; }" from a site rule's hide list (n
 * selectors; a selector with '{', '}' or ';' is refused, as is one over 512 bytes).
 * Returns an owned string, "" for n == 0, or NULL with a message in err. */
char *consent_hide_css(const char *const *selectors, size_t n, char *err, size_t errlen);

/* Limits of the report, kept by consent.js and checked again by consent_report_check. */
#define CONSENT_REPORT_MAX_TEXT (64 * 1024)   /* bytes of JSON text */
#define CONSENT_REPORT_MAX_ENTRIES 64         /* per list */
#define CONSENT_REPORT_MAX_STRING 200         /* bytes of one string */

/* Reads the consent pass's report (len bytes of JSON text; text may be NULL) into a new
 * object holding only what has the expected shape:
 *   {"layers": ["css"|"generic"|"scroll"], "managers": [name], "hidden": [{what, why,
 *    cover}], "kept": [{what, why}], "scroll": [text]}
 * where every string is valid UTF-8, without control characters and at most
 * CONSENT_REPORT_MAX_STRING bytes, a name is [a-z0-9-], cover is a number in [0, 1], and
 * each list holds at most CONSENT_REPORT_MAX_ENTRIES. Anything else is dropped and says
 * so: "dropped" (entries left out, with those the script itself left out) and "problem"
 * (the first reason) are added when something was. A text over CONSENT_REPORT_MAX_TEXT,
 * not JSON, or not an object keeps nothing. Pure; any thread. Returns NULL only when out
 * of memory. */
json_t *consent_report_check(const char *text, size_t len);

#endif
