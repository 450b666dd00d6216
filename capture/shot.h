/* shot.h -- one full-page capture over an open CDP connection: its own browser context
 * (with its own egress proxy, every host loopback included) and tab, navigate, wait for the load event and network quiet, load lazy content,
 * measure the page, take the screenshot with captureBeyondViewport (up to a height cap),
 * close the context. The image comes back as the browser's base64 text; decoding, hashing
 * and writing happen off the loop (postproc.h). Knows the CDP methods of a capture;
 * nothing of jobs, the store or the daemon. */
#ifndef LS_SHOT_H
#define LS_SHOT_H

#include <stdint.h>

#include "cdp.h"

/* One capture (or a warm context waiting for one); opaque, owned by itself. */
typedef struct shot shot_t;

/* The top document's URL: the link's at navigation, then each redirect's. */
typedef void (*shot_top_url_cb)(const char *url, void *ud);

/* The context of a finished capture was disposed, ms after done ran (tag as given). */
typedef void (*shot_teardown_cb)(int64_t ms, int64_t tag, void *ud);

/* Whether a site rule's headers go to a request for url (the owner's exact match: the
 * interception patterns only narrow what is asked). 1 = add them. */
typedef int (*shot_header_match_cb)(const char *url, void *ud);

/* What a site rule and the consent settings change in one capture. Every pointer is
 * borrowed and must stay valid until done ran; NULL / 0 = the default. */
typedef struct {
    const char *preload;       /* script for every new document before its own (consent
                                  style sheet, the rule's hidden selectors) */
    const char *user_agent;
    json_t *cookies;           /* CDP CookieParam array, set in the capture's context only */
    json_t *headers;           /* {name: value}: added to the requests header_match allows */
    json_t *header_patterns;   /* Fetch urlPattern strings that cover the rule's match */
    shot_header_match_cb header_match;
    void *header_match_ud;
    const char *wait_for;      /* a CSS selector to wait for, within the waits' budget */
    int delay_ms;              /* a pause after the waits, before the lazy pass */
    int no_scroll;             /* skip the lazy-content pass's scrolling */
    int consent_pass;          /* run consent_script() just before measuring */
    const json_t *ignore;      /* the rule's `ignore` selectors (a JSON array): their
                                  elements are measured after the text, before the shot
                                  (ignore.h); NULL or empty = none */
} shot_site_t;

/* The network quiet that ends a capture's wait when the request gives none (ls-capture);
 * the daemon's config default (quiet_ms) is the same value. */
#define SHOT_QUIET_MS 500

typedef struct {
    const char *url;
    int viewport_w, viewport_h;
    double scale;              /* device scale factor; 0 = 1 */
    int height_cap;            /* CSS px */
    int timeout_ms;            /* one deadline for the whole capture, the shot included */
    int quiet_ms;              /* no request in flight this long after the load event ends the
                                  wait for network quiet; 0 = SHOT_QUIET_MS */
    shot_teardown_cb teardown;       /* optional */
    int64_t teardown_tag;
    void *teardown_ud;
    const char *proxy_server;  /* the context's proxyServer ("127.0.0.1:PORT"); NULL = none */
    shot_top_url_cb top_url;   /* optional */
    void *top_url_ud;
    shot_site_t site;
    /* what is kept besides the screenshot (each after the waits; a failure or a cap costs
     * only its own format, named in partial_reason) */
    int text;                  /* the page's text (pagetext.h), before the shot */
    size_t text_max;           /* bytes of UTF-8 per text; 0 = 2 MiB */
    int mhtml;                 /* Page.captureSnapshot, after the shot */
    size_t mhtml_max;          /* bytes; 0 = no cap of ours (the connection's stays) */
    int pdf;                   /* Page.printToPDF as a stream, after the shot */
    size_t pdf_max;            /* bytes read at most; over it the PDF is dropped */
} shot_request_t;

/* Why a capture brought no image: a kind to decide on (retry, health check), beside the
 * sentence for people in error. */
typedef enum {
    SHOT_OK = 0,               /* an image came back */
    SHOT_TIMED_OUT,            /* the deadline passed before the image came */
    SHOT_CRASHED,              /* the page's renderer crashed */
    SHOT_NET_ERROR,            /* navigation failed with a Chromium net error (net_error) */
    SHOT_REFUSED,              /* its owner refused it (shot_fail: the address rules) */
    SHOT_CANCELED,             /* shot_cancel: the user, a browser going away, a stop */
    SHOT_NO_IMAGE,             /* the screenshot came back without an image */
    SHOT_DOWNLOAD,             /* the URL is a download, not a page */
    SHOT_PROTOCOL,             /* a DevTools command failed (the browser's reason in error) */
    SHOT_NO_MEMORY,            /* out of memory on our side */
} shot_failure_t;

/* What kind of partial a capture is: a good capture (store_capture_good) may be partial
 * only because the network never went quiet, so that reason is told apart by its kind,
 * never by its wording. */
typedef enum {
    SHOT_PARTIAL_NONE = 0,     /* not partial */
    SHOT_PARTIAL_NOT_QUIET,    /* its one reason: requests still in flight after the load
                                * event when the quiet wait's share ran out */
    SHOT_PARTIAL_OTHER,        /* any other reason, alone or beside that one */
} shot_partial_t;

typedef struct {
    int ok;                    /* an image came back (png_b64) */
    shot_failure_t failure;    /* SHOT_OK when ok, else why not */
    int http_status;           /* main document; 0 = no response */
    char final_url[2048];
    char title[512];           /* cut on a UTF-8 character boundary, never inside one */
    int width, height, truncated;   /* CSS px of the shot */
    int partial;               /* captured, but a wait was cut (reasons below, "; "-joined) */
    char partial_reason[400];
    shot_partial_t partial_kind;   /* SHOT_PARTIAL_NONE when !partial */
    json_t *reasons;           /* the same reasons as data, [{code, params, text}] in order
                                  (reasons.h; codes in docs/capture.md); owned like
                                  png_b64; NULL when none */
    json_t *png_b64;           /* owned by the receiver of done: json_decref it */
    json_t *redirects;         /* [{url, status}] of the main document; owned likewise */
    char net_error[64];        /* "net::ERR_NAME_NOT_RESOLVED" when navigation failed */
    char error[512];           /* sentence with the step that failed, when !ok */
    int lazy_steps;            /* scroll steps of the lazy-content pass; -1 = skipped */
    json_t *headers;           /* the main document's response headers {name: value};
                                  owned like png_b64; NULL when none came */
    char *markup;              /* the start of the final document's markup (at most
                                  SHOT_MARKUP_MAX bytes), for naming a bot wall; malloc'ed,
                                  owned by the receiver of done (free it); NULL if none */
    json_t *consent;           /* the consent pass's report (consent.js), owned likewise */
    int waited_for;            /* wait_for: 1 found, 0 not asked, -1 cut at its deadline */
    int revealed;              /* the page hid itself (html/body opacity 0 or visibility
                                  hidden: an anti-flicker snippet) and was shown for the shot */
    /* phases, ms: context+tab+attach+configure, navigate (to commit), load + network
     * quiet, title + lazy pass + image and font waits, measure + screenshot */
    int64_t t_setup_ms, t_navigate_ms, t_wait_ms, t_lazy_ms, t_capture_ms;
    json_t *text;              /* pagetext_check's object; owned like png_b64; NULL = none */
    json_t *ignored;           /* ignore_check's {boxes, texts}; owned likewise; NULL when the
                                  rule ignores nothing or they could not be measured (said
                                  in partial_reason) */
    json_t *mhtml;             /* the MHTML as the browser sent it (a JSON string); owned */
    unsigned char *pdf;        /* the PDF's bytes (malloc'ed, owned: free it); NULL = none */
    size_t pdf_len;
    int pdf_pages_cut;         /* the PDF stops at SHOT_PDF_MAX_PAGES */
    int64_t t_text_ms, t_mhtml_ms, t_pdf_ms;   /* -1 = not taken */
} shot_result_t;

/* A page taller than this many printed pages is printed only this far. */
#define SHOT_PDF_MAX_PAGES 20

#define SHOT_MARKUP_MAX (64 * 1024)

typedef void (*shot_done_cb)(shot_result_t *r, void *ud);

/* The deadline (timeout_ms) is cut into shares, as points in time from the start:
 * the screenshot's reserve comes off the end (a third, at most 10 s); the rest is the
 * waits' budget. Setup and navigation may take until the deadline itself (a commit after
 * the waits' budget leaves every wait cut at once and the shot the time that is left);
 * of what is left of the budget at the commit, the load event may take until 45%, network quiet until 60%, the
 * lazy-content pass until 80%, image and font waits until 100%. A wait that reaches its point is cut, the page
 * is shot as it is and marked partial with the reason; time a phase does not use passes
 * to the next. Only a navigation that does not commit within the deadline (nothing to
 * shoot), a net error, a crash, a refused address, or a screenshot that does not come back
 * within the deadline fail the capture. A screenshot still under way at the deadline gets
 * the reserve once more (grace) before that. */

/* Starts a capture; done is called exactly once (never from inside shot_begin). Returns
 * the capture's handle, or NULL if it could not start (done is then not called). The
 * handle is freed by the capture itself once done ran and its last reply came back. */
shot_t *shot_begin(cdp_t *c, uv_loop_t *loop, const shot_request_t *req, shot_done_cb done, void *ud);
/* A warm context: a browser context (with proxy_server as its proxy) and a ready tab made
 * ahead of the next capture, since making them is most of a capture's set-up (the tab's
 * renderer starts). ready runs once: with err NULL when the tab is ready, or with a
 * sentence when making it failed (the handle then frees itself). shot_start gives it its
 * capture; shot_cancel lets it go (ready does not run for that). Returns NULL if it could
 * not start. */
typedef void (*shot_ready_cb)(shot_t *handle, const char *err, void *ud);
shot_t *shot_warm(cdp_t *c, uv_loop_t *loop, const char *proxy_server, int viewport_w,
                int viewport_h, double scale, shot_ready_cb ready, void *ud);
/* Starts a capture on a warm context whose ready ran without error: as shot_begin from
 * then on (req->proxy_server is ignored: the context keeps its own). The deadline starts
 * now. Returns 0, or -1 when the context is not ready or gone (done is not called; the
 * caller cancels it). */
int shot_start(shot_t *handle, const shot_request_t *req, shot_done_cb done, void *ud);

/* The owner of the CDP connection routes every event here (only the capture's own
 * session's events are used). Must not be called after done. */
void shot_on_event(shot_t *handle, const char *method, json_t *params, const char *session);
/* Ends the capture now (done runs with failure SHOT_CANCELED and error = reason). */
void shot_cancel(shot_t *handle, const char *reason);
/* The main frame id (= target id) once the tab exists, else "". */
const char *shot_frame_id(const shot_t *handle);
/* Fails the capture from outside (a request of its page was refused by the address rules):
 * done runs with failure SHOT_REFUSED. */
void shot_fail(shot_t *handle, const char *reason);

/* Frees what a result owns (png_b64, redirects, headers, consent, markup, text, ignored, mhtml, pdf)
 * and zeroes it. */
void shot_result_clear(shot_result_t *r);

/* A sentence for a Chromium net error name ("net::ERR_NAME_NOT_RESOLVED"), or NULL. */
const char *shot_net_error_text(const char *net_error);

#endif
