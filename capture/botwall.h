/* botwall.h -- names the wall a capture ran into (a Cloudflare challenge, DataDome,
 * PerimeterX/HUMAN, Akamai, a hCaptcha/reCAPTCHA interstitial, a 429) from what the
 * capture already knows: the main document's status and response headers, the final
 * title and a bounded sample of the markup. An ordinary 403 or 404 page is no wall.
 * Pure functions, no allocation; any thread. */
#ifndef LS_BOTWALL_H
#define LS_BOTWALL_H

#include <stddef.h>

/* Only the first BOTWALL_SAMPLE_MAX bytes of the markup are looked at. */
#define BOTWALL_SAMPLE_MAX (64 * 1024)

typedef struct {
    const char *name;          /* header name, any case */
    const char *value;
} botwall_header_t;

typedef struct {
    int status;                          /* main document HTTP status; 0 when unknown */
    const botwall_header_t *headers;     /* borrowed; may be NULL */
    size_t nheaders;
    const char *title;                   /* final document title; may be NULL */
    const char *markup;                  /* outerHTML or the response body; may be NULL */
    size_t markup_len;                   /* bytes of markup (capped at BOTWALL_SAMPLE_MAX) */
} botwall_input_t;

typedef enum {
    BOTWALL_NONE = 0,
    BOTWALL_CLOUDFLARE,
    BOTWALL_DATADOME,
    BOTWALL_PERIMETERX,
    BOTWALL_AKAMAI,
    BOTWALL_HCAPTCHA,
    BOTWALL_RECAPTCHA,
    BOTWALL_RATE_LIMITED,
} botwall_kind_t;

typedef struct {
    botwall_kind_t kind;
    const char *name;          /* "none", "cloudflare", ... "rate_limited" (static) */
    long retry_after;          /* seconds from Retry-After (delta or HTTP date); -1 if none */
    char error[256];           /* the snapshot's error text, e.g. "blocked: Cloudflare
                                  challenge (cf-mitigated: challenge)"; "" for none */
} botwall_result_t;

/* Classifies one capture. Returns the kind (also in out->kind). */
botwall_kind_t botwall_classify(const botwall_input_t *in, botwall_result_t *out);

/* "cloudflare" for BOTWALL_CLOUDFLARE...; "none" for BOTWALL_NONE or an unknown value. */
const char *botwall_kind_name(botwall_kind_t kind);

/* Parses a Retry-After value: delta seconds, or an IMF-fixdate relative to now (unix
 * seconds). Returns seconds >= 0, or -1 when the value is neither. */
long botwall_parse_retry_after(const char *value, long now);

#endif
