/* browser.h -- one Chromium process for linksnapd: started with uv_spawn in its own
 * process group, with its DevTools protocol on two pipes (--remote-debugging-pipe, fds 3
 * and 4; no TCP port), which are also its lifeline (it exits when we do, even on
 * kill -9); stopped by killing the group. Also the browser's surroundings: the binary to
 * run, its pid file (a browser left by an earlier process is reaped), its profile (fresh
 * for every start), its process group's memory and the fonts it will find. Knows
 * processes and files; nothing of CDP messages, captures or the engine that drives it. */
#ifndef LS_BROWSER_H
#define LS_BROWSER_H

#include <stddef.h>
#include <stdint.h>
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

/* ---- around the process ---- */

/* The binary to run for the configured path into out. "auto" (the default) is Debian's
 * headless shell (package chromium-headless-shell: Chromium's old headless mode, the
 * browser Playwright runs headless, a third less CPU a capture) when it is installed,
 * else Debian's full Chromium. /usr/bin/chromium and /usr/bin/chromium-headless-shell are
 * shell wrappers; the binary behind each starts faster and keeps our lifeline pipes
 * without a detour. Other paths are used as given. */
void browser_binary(const char *path, char *out, size_t outlen);
/* Writes "PID\nPROFILE\n" to pid_file, so that browser_reap can find this browser after a
 * crash of ours. 0, or -1 (errno set): the browser runs on, only unreapable. */
int browser_write_pid_file(const browser_t *b, const char *pid_file, const char *profile_dir);
/* A browser left by an earlier process that died before it could kill it (the lifeline
 * normally takes it within a second; this catches the rest): when pid_file names a live
 * process whose command line holds profile_dir, its group is killed. pid_file is removed.
 * Returns the pid killed, or 0. */
int browser_reap(const char *pid_file, const char *profile_dir);
/* A profile left by a Chromium that was killed made the next one's first pages stall
 * (their load events and script replies never came): every browser starts on a fresh
 * one. profile_dir is renamed aside (profile_dir.old-TAG) at once and removed on the
 * thread pool. Nothing happens when there is none yet (or it cannot be renamed:
 * Chromium copes with a used one). */
void browser_profile_discard(uv_loop_t *loop, const char *profile_dir, unsigned tag);
/* Memory of a process group in kB: the sum of each process's proportional set size
 * (PSS, /proc/PID/smaps_rollup), so pages the renderers share count once. Reads /proc:
 * a few ms for a browser's processes. */
int64_t browser_group_pss_kb(int pgid);
/* 1 when fontconfig finds a font for Chinese (zh-cn): without one, CJK pages show boxes. */
int browser_has_cjk_font(void);

#endif
