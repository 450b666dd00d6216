/* botwall.c -- the bot-wall classifier (see botwall.h). Each wall is recognised by the
 * marks its vendor leaves: a response header, its challenge script's host or element id,
 * its interstitial's title. A vendor's ordinary page tag on a page that loaded (status
 * 2xx, no challenge markup) is not a wall; neither is a plain 403 or 404. Knows nothing
 * of DevTools or the store. */
#include "botwall.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const kind_names[] = {
    "none", "cloudflare", "datadome", "perimeterx", "akamai", "hcaptcha", "recaptcha",
    "rate_limited",
};

static const char *const kind_labels[] = {
    "", "Cloudflare challenge", "DataDome", "PerimeterX/HUMAN", "Akamai Bot Manager",
    "hCaptcha interstitial", "reCAPTCHA interstitial", "rate limited (429)",
};

const char *botwall_kind_name(botwall_kind_t kind)
{
    if ((int)kind < 0 || (size_t)kind >= sizeof kind_names / sizeof kind_names[0])
        return "none";
    return kind_names[kind];
}

/* Case-insensitive search for an ASCII needle in len bytes (no NUL needed). */
static int ci_has(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (!hay || n == 0 || n > len)
        return 0;
    int first = tolower((unsigned char)needle[0]);
    for (size_t i = 0; i + n <= len; i++) {
        if (tolower((unsigned char)hay[i]) != first)
            continue;
        size_t j = 1;
        while (j < n && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]))
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

static int str_has(const char *s, const char *needle)
{
    return s && ci_has(s, strlen(s), needle);
}

static const char *header_get(const botwall_input_t *in, const char *name)
{
    for (size_t i = 0; in->headers && i < in->nheaders; i++)
        if (in->headers[i].name && strcasecmp(in->headers[i].name, name) == 0)
            return in->headers[i].value ? in->headers[i].value : "";
    return NULL;
}

long botwall_parse_retry_after(const char *value, long now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        char *end;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end || v < 0)
            return -1;
        return v;
    }
    if (!*value)
        return -1;
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    return t > now ? (long)(t - now) : 0;
}

typedef struct {
    const botwall_input_t *in;
    const char *m;             /* markup sample */
    size_t mlen;
} view_t;

static int mk(const view_t *v, const char *needle)
{
    return ci_has(v->m, v->mlen, needle);
}

static int title_is(const view_t *v, const char *t)
{
    return v->in->title && strncasecmp(v->in->title, t, strlen(t)) == 0;
}

static botwall_kind_t is_cloudflare(const view_t *v, const char **why)
{
    const char *mit = header_get(v->in, "cf-mitigated");
    if (mit && str_has(mit, "challenge")) {
        *why = "cf-mitigated: challenge";
        return BOTWALL_CLOUDFLARE;
    }
    int chl = mk(v, "_cf_chl_opt") || mk(v, "/cdn-cgi/challenge-platform/") ||
              mk(v, "cf-browser-verification") || mk(v, "cf_chl_prog");
    if (chl && (v->in->status >= 400 || title_is(v, "Just a moment") ||
                title_is(v, "Attention Required") || mk(v, "_cf_chl_opt"))) {
        *why = "challenge markup";
        return BOTWALL_CLOUDFLARE;
    }
    const char *server = header_get(v->in, "server");
    int cf = (server && str_has(server, "cloudflare")) || header_get(v->in, "cf-ray");
    if (cf && (title_is(v, "Just a moment") || title_is(v, "Attention Required! | Cloudflare") ||
               title_is(v, "Please Wait... | Cloudflare"))) {
        *why = "challenge title";
        return BOTWALL_CLOUDFLARE;
    }
    /* the firewall's own block page (errors 1006-1020, 1015 rate limiting) */
    if ((v->in->status == 403 || v->in->status == 429) && mk(v, "cf-error-details") &&
        (mk(v, "Cloudflare Ray ID") || cf)) {
        *why = "firewall block page";
        return BOTWALL_CLOUDFLARE;
    }
    return BOTWALL_NONE;
}

static botwall_kind_t is_datadome(const view_t *v, const char **why)
{
    int st = v->in->status;
    if (mk(v, "captcha-delivery.com") && (st >= 400 || mk(v, "var dd="))) {
        *why = "captcha-delivery.com challenge";
        return BOTWALL_DATADOME;
    }
    if (st == 403 && (header_get(v->in, "x-datadome") || header_get(v->in, "x-dd-b"))) {
        *why = "403 with x-datadome";
        return BOTWALL_DATADOME;
    }
    return BOTWALL_NONE;
}

static botwall_kind_t is_perimeterx(const view_t *v, const char **why)
{
    if (mk(v, "id=\"px-captcha\"") || mk(v, "id='px-captcha'") || mk(v, "#px-captcha")) {
        *why = "px-captcha";
        return BOTWALL_PERIMETERX;
    }
    int px = mk(v, "_pxAppId") || mk(v, "px-cdn.net") || mk(v, "px-cloud.net") ||
             mk(v, "perimeterx.net");
    if (px && (v->in->status == 403 || title_is(v, "Access to this page has been denied"))) {
        *why = "block page";
        return BOTWALL_PERIMETERX;
    }
    return BOTWALL_NONE;
}

static botwall_kind_t is_akamai(const view_t *v, const char **why)
{
    if (mk(v, "/_sec/cp_challenge/") || mk(v, "sec-if-cpt-container")) {
        *why = "sec-cpt challenge";
        return BOTWALL_AKAMAI;
    }
    const char *server = header_get(v->in, "server");
    int ak = (server && str_has(server, "AkamaiGHost")) || mk(v, "errors.edgesuite.net");
    if (ak && v->in->status == 403 && (title_is(v, "Access Denied") || mk(v, "Reference #"))) {
        *why = "Access Denied with an edge reference";
        return BOTWALL_AKAMAI;
    }
    return BOTWALL_NONE;
}

/* A captcha is a wall when it is the page: an error status, a title that asks the reader
 * to prove something, or Google's unusual-traffic notice. A login form with a captcha on
 * a page that loaded is not. */
static int looks_interstitial(const view_t *v)
{
    static const char *const words[] = {
        "captcha", "verify you are", "verification", "are you a robot", "are you human",
        "security check", "unusual traffic", "bot check", "not a robot", "checking your browser",
    };
    if (v->in->status >= 400)
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (str_has(v->in->title, words[i]))
            return 1;
    return mk(v, "unusual traffic from your computer network");
}

static botwall_kind_t is_captcha(const view_t *v, const char **why)
{
    int h = mk(v, "hcaptcha.com/1/api.js") || mk(v, "class=\"h-captcha\"") ||
            mk(v, "js.hcaptcha.com");
    int r = mk(v, "/recaptcha/api.js") || mk(v, "class=\"g-recaptcha\"") ||
            mk(v, "/recaptcha/api2/") || mk(v, "/recaptcha/enterprise.js");
    if (!(h || r) || !looks_interstitial(v))
        return BOTWALL_NONE;
    *why = "the page is a captcha";
    return h ? BOTWALL_HCAPTCHA : BOTWALL_RECAPTCHA;
}

botwall_kind_t botwall_classify(const botwall_input_t *in, botwall_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after = -1;
    view_t v = {in, in->markup, in->markup ? in->markup_len : 0};
    if (v.mlen > BOTWALL_SAMPLE_MAX)
        v.mlen = BOTWALL_SAMPLE_MAX;
    const char *ra = header_get(in, "retry-after");
    if (ra)
        out->retry_after = botwall_parse_retry_after(ra, (long)time(NULL));

    const char *why = "";
    botwall_kind_t k = is_cloudflare(&v, &why);
    if (!k)
        k = is_datadome(&v, &why);
    if (!k)
        k = is_perimeterx(&v, &why);
    if (!k)
        k = is_akamai(&v, &why);
    if (!k && in->status == 429) {
        k = BOTWALL_RATE_LIMITED;
        why = "";
    }
    if (!k)
        k = is_captcha(&v, &why);
    out->kind = k;
    out->name = kind_names[k];
    if (!k)
        return k;
    char ra_text[64] = "";
    if (out->retry_after >= 0)
        snprintf(ra_text, sizeof ra_text, "%sRetry-After %ld s", *why ? ", " : "",
                 out->retry_after);
    if (*why || ra_text[0])
        snprintf(out->error, sizeof out->error, "blocked: %s (%s%s)", kind_labels[k], why,
                 ra_text);
    else
        snprintf(out->error, sizeof out->error, "blocked: %s", kind_labels[k]);
    return k;
}
