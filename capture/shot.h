/* shot.h -- one full-page capture over an open CDP connection: its own browser context
 * and tab, navigate, wait for the load event and network quiet, load lazy content,
 * measure the page, take the screenshot with captureBeyondViewport (up to a height cap),
 * close the context. The image comes back as the browser's base64 text; decoding, hashing
 * and writing happen off the loop (postproc.h). Knows the CDP methods of a capture;
 * nothing of jobs, the store or the daemon. */
#ifndef LS_SHOT_H
#define LS_SHOT_H

#include <stdint.h>

#include "cdp.h"

/* Decides whether a page may talk to an address it reached (the remote IP of each
 * response): 1 = fine; 0 = the capture fails with `why`. */
typedef int (*shot_addr_check_fn)(const char *ip, char *why, size_t whylen, void *ud);

typedef struct {
    const char *url;
    int viewport_w, viewport_h;
    double scale;              /* device scale factor; 0 = 1 */
    int height_cap;            /* CSS px */
    int timeout_ms;            /* for the whole capture */
    shot_addr_check_fn addr_check;   /* optional */
    void *addr_check_ud;
} shot_request_t;

typedef struct {
    int ok;                    /* an image came back (png_b64) */
    int http_status;           /* main document; 0 = no response */
    char final_url[2048];
    char title[512];           /* cut on a UTF-8 character boundary, never inside one */
    int width, height, truncated;   /* CSS px of the shot */
    int partial;               /* captured, but the page never settled (reason below) */
    char partial_reason[160];
    json_t *png_b64;           /* owned by the receiver of done: json_decref it */
    json_t *redirects;         /* [{url, status}] of the main document; owned likewise */
    char net_error[64];        /* "net::ERR_NAME_NOT_RESOLVED" when navigation failed */
    int crashed;               /* the renderer crashed */
    int canceled;
    char error[512];           /* sentence with the step that failed, when !ok */
    int64_t t_navigate_ms, t_wait_ms, t_capture_ms;
} shot_result_t;

typedef void (*shot_done_cb)(shot_result_t *r, void *ud);

/* Starts a capture; done is called exactly once (never from inside shot_begin). Returns
 * the capture's handle, or NULL if it could not start (done is then not called). The
 * handle is freed by the capture itself once done ran and its last reply came back. */
void *shot_begin(cdp_t *c, uv_loop_t *loop, const shot_request_t *req, shot_done_cb done, void *ud);
/* The owner of the CDP connection routes every event here (only the capture's own
 * session's events are used). Must not be called after done. */
void shot_on_event(void *handle, const char *method, json_t *params, const char *session);
/* Ends the capture now (done runs with canceled set and error = reason). */
void shot_cancel(void *handle, const char *reason);
/* The main frame id (= target id) once the tab exists, else "". */
const char *shot_frame_id(const void *handle);
/* Fails the capture from outside (a request of its page was refused by the address rules). */
void shot_fail(void *handle, const char *reason);

/* A sentence for a Chromium net error name ("net::ERR_NAME_NOT_RESOLVED"), or NULL. */
const char *shot_net_error_text(const char *net_error);

#endif
