/* browser.h -- one Chromium process for linksnapd: started with uv_spawn in its own
 * process group, with its DevTools protocol on two pipes (--remote-debugging-pipe, fds 3
 * and 4; no TCP port), which are also its lifeline (it exits when we do, even on
 * kill -9); stopped by killing the group. Knows processes and files; nothing of CDP
 * messages or captures. */
#ifndef LS_BROWSER_H
#define LS_BROWSER_H

#include <stddef.h>
#include <uv.h>

typedef struct browser browser_t;

typedef struct {
    const char *chromium;      /* binary, e.g. /usr/lib/chromium/chromium */
    const char *profile_dir;   /* private --user-data-dir (created 0700) */
    int no_sandbox;            /* only when running as root: Chromium refuses otherwise */
} browser_opts_t;

/* The process ended (exit status or signal), whoever ended it. */
typedef void (*browser_exit_cb)(browser_t *b, int64_t status, int term_signal, void *ud);

browser_t *browser_start(uv_loop_t *loop, const browser_opts_t *opts, browser_exit_cb exited,
                         void *ud, char *err, size_t errlen);
int browser_pid(const browser_t *b);
/* Hands over our ends of the DevTools pipe (once): *to_browser is written (Chromium's
 * fd 3), *from_browser is read (its fd 4). The caller owns them from then on; closing
 * to_browser makes the browser exit by itself. 0, or -1 when already taken. */
int browser_take_pipe(browser_t *b, int *to_browser, int *from_browser);
/* Kills the whole process group (SIGKILL); exited is called once it is reaped. */
void browser_kill(browser_t *b);
/* Closes the pipe ends not taken and frees b once its handle is closed; accepts NULL.
 * Call after exited, or after browser_kill. */
void browser_free(browser_t *b);

#endif
