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
 *                             and evaluates to a JSON report (see capture/consent.js).
 * The texts are compiled in from capture/consent.css and capture/consent.js. */
#ifndef LS_CONSENT_H
#define LS_CONSENT_H

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

#endif
