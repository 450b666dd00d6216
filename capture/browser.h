/* browser.h -- one Chromium process for linksnapd: started with uv_spawn in its own
 * process group, tied to us by a lifeline pipe (it exits when we do, even on kill -9),
 * its DevTools endpoint read from DevToolsActivePort, stopped by killing the group.
 * Knows processes and files; nothing of CDP messages or captures. */
#ifndef LS_BROWSER_H
#define LS_BROWSER_H

#include <stddef.h>
#include <uv.h>

typedef struct browser browser_t;

typedef struct {
    const char *chromium;      /* binary, e.g. /usr/lib/chromium/chromium */
    const char *profile_dir;   /* private --user-data-dir (created 0700) */
    int no_sandbox;            /* only when running as root: Chromium refuses otherwise */
    int start_timeout_ms;      /* how long DevToolsActivePort may take */
} browser_opts_t;

/* ready: port and ws_path ("/devtools/browser/<id>") on success, or err set. */
typedef void (*browser_ready_cb)(browser_t *b, int port, const char *ws_path, const char *err,
                                 void *ud);
/* The process ended (exit status or signal), whoever ended it. */
typedef void (*browser_exit_cb)(browser_t *b, int64_t status, int term_signal, void *ud);

browser_t *browser_start(uv_loop_t *loop, const browser_opts_t *opts, browser_ready_cb ready,
                         browser_exit_cb exited, void *ud, char *err, size_t errlen);
int browser_pid(const browser_t *b);
/* Kills the whole process group (SIGKILL); exited is called once it is reaped. */
void browser_kill(browser_t *b);
/* Closes the lifeline (the browser then exits by itself) and frees b once its handles
 * are closed; accepts NULL. Call after exited, or after browser_kill. */
void browser_free(browser_t *b);

#endif
