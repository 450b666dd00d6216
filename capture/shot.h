/* shot.h -- one full-page capture over an open CDP connection: its own browser context
 * and tab, navigate, wait for the load event, measure the page, take the screenshot with
 * captureBeyondViewport (up to a height cap), write the PNG atomically, close the context.
 * Knows the CDP methods of a capture; nothing of jobs, the store or the daemon. */
#ifndef LS_SHOT_H
#define LS_SHOT_H

#include <stdint.h>

#include "cdp.h"

typedef struct {
    const char *url;
    const char *out_path;      /* the PNG; written as out_path.tmp, fsynced, renamed */
    int viewport_w, viewport_h;
    int height_cap;            /* CSS px */
    int timeout_ms;            /* for the whole capture */
} shot_request_t;

typedef struct {
    int ok;                    /* a PNG was written */
    int http_status;
    char final_url[2048];
    char title[512];
    int width, height, truncated;
    int partial;               /* captured, but the page never went quiet (reason below) */
    char partial_reason[160];
    int64_t bytes;
    char error[512];           /* with the step that failed, when !ok */
} shot_result_t;

typedef void (*shot_done_cb)(const shot_result_t *r, void *ud);

/* Starts a capture; done is called exactly once. Returns the capture's handle for
 * shot_on_event, or NULL if it could not start (done is then not called). The handle is
 * freed by the capture itself once done ran and its last reply came back. */
void *shot_begin(cdp_t *c, uv_loop_t *loop, const shot_request_t *req, shot_done_cb done, void *ud);
/* The owner of the CDP connection routes every event here (only the capture's own
 * session's events are used). Must not be called after done. */
void shot_on_event(void *handle, const char *method, json_t *params, const char *session);

/* Base64 (standard alphabet, padding optional, whitespace ignored) into out, which holds
 * at least len * 3 / 4 + 3 bytes. Returns the decoded length or -1 on a bad character. */
long shot_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
