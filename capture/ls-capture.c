/* ls-capture.c -- captures one URL to a PNG with linksnap's own browser launcher, CDP
 * client and capture steps, outside the daemon: `ls-capture URL OUT.png [height_cap]`.
 * Prints a JSON line with the result. Used by the capture tests and for debugging. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "browser.h"
#include "cdp.h"
#include "log.h"
#include "util.h"
#include "postproc.h"
#include "shot.h"

typedef struct {
    uv_loop_t *loop;
    browser_t *browser;
    cdp_t *cdp;
    shot_t *shot;
    shot_request_t req;
    const char *out_path;
    int rc;
    int exited;
} app_t;

static void done_cb(shot_result_t *r, void *ud)
{
    app_t *a = ud;
    a->shot = NULL;
    postproc_result_t pr = {0};
    if (r->ok) {
        /* a tool may block: the daemon runs this on its thread pool */
        char thumb[UTIL_PATH_MAX];
        int thumb_ok = util_path(thumb, "%s.thumb.png", a->out_path) == 0;   /* else none */
        postproc_request_t pq = {.b64 = json_string_value(r->png_b64),
                                 .b64_len = json_string_length(r->png_b64),
                                 .out_path = a->out_path, .thumb_path = thumb_ok ? thumb : NULL,
                                 .thumb_width = 320,
                                 .first_screen_rows = a->req.viewport_h};
        postproc_run(&pq, &pr);
        if (!pr.ok) {
            r->ok = 0;
            snprintf(r->error, sizeof r->error, "save failed: %s", pr.error);
        }
    }
    json_t *o = json_pack("{s:b,s:i,s:s,s:s,s:i,s:i,s:b,s:b,s:s,s:I,s:s,s:b,s:s,s:O?,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
                          "ok", r->ok, "http_status", r->http_status, "final_url", r->final_url,
                          "title", r->title, "width", r->width, "height", r->height,
                          "truncated", r->truncated, "partial", r->partial,
                          "partial_reason", r->partial_reason, "bytes", (json_int_t)pr.bytes,
                          "error", r->error, "blank", pr.blank, "sha256", pr.sha256,
                          "redirects", r->redirects, "lazy_steps", r->lazy_steps, "timings",
                          "setup_ms", (json_int_t)r->t_setup_ms,
                          "navigate_ms", (json_int_t)r->t_navigate_ms, "wait_ms", (json_int_t)r->t_wait_ms,
                          "lazy_ms", (json_int_t)r->t_lazy_ms,
                          "capture_ms", (json_int_t)r->t_capture_ms, "encode_ms", (json_int_t)pr.elapsed_ms);
    a->rc = r->ok ? 0 : 1;
    shot_result_clear(r);
    char *s = json_dumps(o, JSON_COMPACT);
    puts(s ? s : "{}");
    free(s);
    json_decref(o);
    cdp_close(a->cdp);
    a->cdp = NULL;
    browser_kill(a->browser);
}

static void event_cb(cdp_t *c, const char *method, json_t *params, const char *session, void *ud)
{
    app_t *a = ud;
    (void)c;
    if (a->shot)
        shot_on_event(a->shot, method, params, session);
}

static void state_cb(cdp_t *c, int connected, const char *err, void *ud)
{
    (void)c;
    (void)ud;
    if (!connected)
        fprintf(stderr, "ls-capture: %s\n", err);
}

static void exited_cb(browser_t *b, int64_t status, int sig, void *ud)
{
    app_t *a = ud;
    (void)status;
    (void)sig;
    a->exited = 1;
    if (a->cdp) {
        cdp_close(a->cdp);
        a->cdp = NULL;
    }
    browser_free(b);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ls-capture URL OUT.png [height_cap]\n");
        return 2;
    }
    log_set_level(LOG_LVL_WARNING);
    app_t a = {0};
    a.loop = uv_default_loop();
    a.rc = 1;
    a.req.url = argv[1];
    a.out_path = argv[2];
    a.req.viewport_w = 1280;
    a.req.viewport_h = 800;
    a.req.height_cap = argc > 3 ? atoi(argv[3]) : 30000;
    a.req.timeout_ms = 60000;
    char profile[] = "/tmp/ls-capture-profile-XXXXXX";
    if (!mkdtemp(profile)) {
        perror("mkdtemp");
        return 1;
    }
    const char *chromium = getenv("LINKSNAP_CHROMIUM") ? getenv("LINKSNAP_CHROMIUM") : "/usr/lib/chromium/chromium";
    browser_opts_t bo = {.chromium = chromium, .profile_dir = profile, .no_sandbox = geteuid() == 0};
    char err[512];
    a.browser = browser_start(a.loop, &bo, exited_cb, &a, err, sizeof err);
    if (!a.browser) {
        fprintf(stderr, "ls-capture: %s\n", err);
        return 1;
    }
    /* CDP over the browser's pipe: commands may be sent at once, Chromium reads them
     * when it is up */
    int to_b = -1, from_b = -1;
    a.cdp = cdp_new(a.loop, NULL, 0, event_cb, state_cb, &a, err, sizeof err);
    if (!a.cdp || browser_take_pipe(a.browser, &to_b, &from_b) != 0 ||
        cdp_open_pipe(a.cdp, to_b, from_b) != 0 ||
        !(a.shot = shot_begin(a.cdp, a.loop, &a.req, done_cb, &a))) {
        fprintf(stderr, "ls-capture: %s\n", a.cdp ? "cannot talk to the browser over its pipe" : err);
        browser_kill(a.browser);
    }
    uv_run(a.loop, UV_RUN_DEFAULT);
    uv_loop_close(a.loop);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", profile);
    if (system(cmd) != 0)
        fprintf(stderr, "ls-capture: could not remove %s\n", profile);
    return a.rc;
}
