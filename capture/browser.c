/* browser.c -- starts and stops Chromium. The process gets its own process group
 * (UV_PROCESS_DETACHED: setsid) so that one kill(-pgid) takes every helper with it, and
 * two pipes on fds 3 and 4 with --remote-debugging-pipe: CDP goes over them (no TCP
 * port: nothing another local user could connect to), and they are the lifeline too:
 * when linksnapd dies for any reason the kernel closes our end of fd 3 and Chromium,
 * reading EOF, exits. Below the process: its binary, pid file, profile, memory and fonts
 * (see browser.h); nothing of the engine that decides when a browser runs. */
#include "browser.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fontconfig/fontconfig.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct browser {
    uv_loop_t *loop;
    uv_process_t proc;
    int to_browser;        /* our end of Chromium's fd 3, until browser_take_pipe */
    int from_browser;      /* our end of Chromium's fd 4, likewise */
    int pid;
    int exited, handles_open, freeing;
    browser_exit_cb exited_cb;
    void *ud;
};

static void handle_closed_cb(uv_handle_t *h)
{
    browser_t *b = h->data;
    if (--b->handles_open == 0 && b->freeing)
        free(b);
}

static void exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
    browser_t *b = p->data;
    b->exited = 1;
    /* helpers of the group may still live: take them all */
    if (b->pid > 0)
        kill(-b->pid, SIGKILL);
    if (b->exited_cb)
        b->exited_cb(b, status, term_signal, b->ud);
}

browser_t *browser_start(uv_loop_t *loop, const browser_opts_t *o, browser_exit_cb exited,
                         void *ud, char *err, size_t errlen)
{
    browser_t *b = calloc(1, sizeof *b);
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->loop = loop;
    b->exited_cb = exited;
    b->ud = ud;
    b->to_browser = b->from_browser = -1;
    if (mkdir(o->profile_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create browser profile %s: %s", o->profile_dir, strerror(errno));
        goto fail;
    }
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    char udd[UTIL_PATH_MAX];
    if (util_path(udd, "--user-data-dir=%s", o->profile_dir) != 0) {
        snprintf(err, errlen, "the browser profile's path is too long: %s", o->profile_dir);
        goto fail;
    }
    const char *args[48];
    int n = 0;
    args[n++] = o->chromium;
    args[n++] = "--headless";
    args[n++] = "--remote-debugging-pipe";
    args[n++] = udd;
    args[n++] = "--no-first-run";
    args[n++] = "--no-default-browser-check";
    args[n++] = "--disable-background-networking";
    args[n++] = "--disable-component-update";
    args[n++] = "--disable-sync";
    args[n++] = "--disable-default-apps";
    args[n++] = "--disable-extensions";
    args[n++] = "--disable-quic";
    args[n++] = "--disable-gpu";
    args[n++] = "--disable-breakpad";
    args[n++] = "--disable-crash-reporter";
    args[n++] = "--hide-scrollbars";
    args[n++] = "--mute-audio";
    args[n++] = "--disable-background-timer-throttling";
    args[n++] = "--disable-backgrounding-occluded-windows";
    args[n++] = "--disable-renderer-backgrounding";
    args[n++] = "--metrics-recording-only";
    args[n++] = "--password-store=basic";
    /* background work a capture never needs (Playwright turns most of these off too); then
     * lookups and connections outside the egress proxy: DNS-over-HTTPS, the built-in
     * resolver, prediction, prerender and the prefetch proxy; and the WebUI omnibox popups
     * (every new browser context otherwise loads two into renderers of their own; Puppeteer
     * turns them off). Chromium reads one --disable-features only: keep this the one. */
    args[n++] = "--disable-features=Translate,OptimizationHints,MediaRouter,BackForwardCache,"
                "DialMediaRouteProvider,CalculateNativeWinOcclusion,InterestFeedContentSuggestions,"
                "DnsOverHttps,AsyncDns,NetworkPrediction,Prerender2,PreconnectToSearch,"
                "SpeculationRulesPrefetchProxy,NetworkTimeServiceQuerying,"
                "WebUIOmniboxPopup,WebUIOmniboxAimPopup";
    /* a host-only cookie goes back only to the port it was set for: a site rule's cookies
     * carry the rule's port (daemon/fidelity.c), so a rule for host:8081 never sends them
     * to host:80. One --enable-features, like --disable-features. */
    args[n++] = "--enable-features=EnablePortBoundCookies";
    args[n++] = "--disable-client-side-phishing-detection";
    args[n++] = "--disable-domain-reliability";
    args[n++] = "--disable-hang-monitor";
    args[n++] = "--disable-ipc-flooding-protection";
    args[n++] = "--disable-component-extensions-with-background-pages";
    /* no socket leaves except through each context's egress proxy (capture/egress.c):
     * WebRTC may not use UDP outside the proxy (so no STUN, no host candidates), no
     * DNS prefetch, no hyperlink auditing pings, no field trial downloads */
    args[n++] = "--force-webrtc-ip-handling-policy=disable_non_proxied_udp";
    args[n++] = "--webrtc-ip-handling-policy=disable_non_proxied_udp";
    args[n++] = "--dns-prefetch-disable";
    args[n++] = "--no-pings";
    args[n++] = "--disable-field-trial-config";
    if (o->no_sandbox)
        args[n++] = "--no-sandbox";
    args[n++] = "about:blank";
    args[n] = NULL;

    uv_stdio_container_t stdio[5];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_IGNORE;
    stdio[2].flags = UV_IGNORE;
    stdio[3].flags = UV_INHERIT_FD;
    stdio[3].data.fd = to_child[0];     /* Chromium reads fd 3 */
    stdio[4].flags = UV_INHERIT_FD;
    stdio[4].data.fd = from_child[1];   /* Chromium writes fd 4 */
    uv_process_options_t po = {0};
    po.file = o->chromium;
    po.args = (char **)args;
    po.exit_cb = exit_cb;
    po.stdio = stdio;
    po.stdio_count = 5;
    po.flags = UV_PROCESS_DETACHED;     /* setsid: its own process group */
    po.cwd = o->profile_dir;            /* nothing of ours is its working directory */
    b->proc.data = b;
    int rc = uv_spawn(loop, &b->proc, &po);
    close(to_child[0]);
    close(from_child[1]);
    to_child[0] = from_child[1] = -1;
    if (rc) {
        snprintf(err, errlen, "cannot start %s: %s", o->chromium, uv_strerror(rc));
        goto fail;
    }
    b->handles_open++;
    b->pid = b->proc.pid;
    b->to_browser = to_child[1];
    b->from_browser = from_child[0];
    log_info("chromium started (pid %d)%s", b->pid, o->no_sandbox ? " without its sandbox: running as root" : "");
    return b;
fail:
    for (int i = 0; i < 2; i++) {
        if (to_child[i] >= 0)
            close(to_child[i]);
        if (from_child[i] >= 0)
            close(from_child[i]);
    }
    free(b);
    return NULL;
}

int browser_pid(const browser_t *b) { return b->pid; }

int browser_take_pipe(browser_t *b, int *to_browser, int *from_browser)
{
    if (b->to_browser < 0 || b->from_browser < 0)
        return -1;
    *to_browser = b->to_browser;
    *from_browser = b->from_browser;
    b->to_browser = b->from_browser = -1;
    return 0;
}

void browser_kill(browser_t *b)
{
    if (b && b->pid > 0 && !b->exited)
        kill(-b->pid, SIGKILL);
}

void browser_free(browser_t *b)
{
    if (!b)
        return;
    if (b->to_browser >= 0)
        close(b->to_browser);
    if (b->from_browser >= 0)
        close(b->from_browser);
    b->to_browser = b->from_browser = -1;
    b->freeing = 1;
    if (b->handles_open == 0) {
        free(b);
        return;
    }
    /* the handle lives inside b: it is freed by its close callback */
    uv_close((uv_handle_t *)&b->proc, handle_closed_cb);
}

/* ---- around the process ------------------------------------------------------------- */

void browser_binary(const char *path, char *out, size_t outlen)
{
    static const char shell[] = "/usr/lib/chromium/chromium-headless-shell";
    static const char full[] = "/usr/lib/chromium/chromium";
    if (!strcmp(path, "auto"))
        path = access(shell, X_OK) == 0 ? shell : access(full, X_OK) == 0 ? full : "/usr/bin/chromium";
    else if (!strcmp(path, "/usr/bin/chromium") && access(full, X_OK) == 0)
        path = full;
    else if (!strcmp(path, "/usr/bin/chromium-headless-shell") && access(shell, X_OK) == 0)
        path = shell;
    snprintf(out, outlen, "%s", path);
}

int browser_write_pid_file(const browser_t *b, const char *pid_file, const char *profile_dir)
{
    FILE *f = fopen(pid_file, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n%s\n", b->pid, profile_dir);
    return fclose(f) == 0 ? 0 : -1;
}

int browser_reap(const char *pid_file, const char *profile_dir)
{
    FILE *f = fopen(pid_file, "r");
    if (!f)
        return 0;
    int pid = 0, killed = 0;
    char profile[UTIL_PATH_MAX] = "";
    _Static_assert(UTIL_PATH_MAX == 4608, "the width of the profile's %[ below");
    if (fscanf(f, "%d\n%4607[^\n]", &pid, profile) < 1)
        pid = 0;
    fclose(f);
    if (pid > 1) {
        char path[64], cmd[8192];
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        FILE *c = fopen(path, "r");
        size_t n = c ? fread(cmd, 1, sizeof cmd - 1, c) : 0;
        if (c)
            fclose(c);
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[n] = '\0';
        if (n && strstr(cmd, profile_dir)) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            killed = pid;
        }
    }
    unlink(pid_file);
    return killed;
}

typedef struct {
    uv_work_t work;
    char path[UTIL_PATH_MAX];
} discard_t;

static int discard_entry_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void discard_work_cb(uv_work_t *w)
{
    discard_t *dc = w->data;
    nftw(dc->path, discard_entry_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void discard_after_cb(uv_work_t *w, int status)
{
    (void)status;
    free(w->data);
}

void browser_profile_discard(uv_loop_t *loop, const char *profile_dir, unsigned tag)
{
    discard_t *dc = calloc(1, sizeof *dc);
    if (!dc)
        return;
    if (util_path(dc->path, "%s.old-%u", profile_dir, tag) != 0 || rename(profile_dir, dc->path) != 0) {
        free(dc);   /* none yet (ENOENT), or it stays: Chromium copes with a used one */
        return;
    }
    dc->work.data = dc;
    if (uv_queue_work(loop, &dc->work, discard_work_cb, discard_after_cb) != 0)
        free(dc);
}

int64_t browser_group_pss_kb(int pgid)
{
    DIR *dir = opendir("/proc");
    if (!dir)
        return 0;
    int64_t total = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');   /* the command may hold spaces and parentheses */
        int pgrp = 0, ppid;
        char st;
        if (!p || sscanf(p + 2, "%c %d %d", &st, &ppid, &pgrp) != 3 || pgrp != pgid)
            continue;
        snprintf(path, sizeof path, "/proc/%s/smaps_rollup", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char line[256];
        long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Pss: %ld kB", &kb) == 1) {
                total += kb;
                break;
            }
        fclose(f);
    }
    closedir(dir);
    return total;
}

int browser_has_cjk_font(void)
{
    /* a configuration of our own, destroyed here: fontconfig's global default is never
     * freed (and belongs to whoever else uses fontconfig in this process) */
    FcConfig *cfg = FcInitLoadConfigAndFonts();
    if (!cfg)
        return 0;
    FcPattern *p = FcPatternCreate();
    FcObjectSet *os = FcObjectSetBuild(FC_FAMILY, NULL);
    FcLangSet *ls = FcLangSetCreate();
    int found = 0;
    if (p && os && ls && FcLangSetAdd(ls, (const FcChar8 *)"zh-cn") &&
        FcPatternAddLangSet(p, FC_LANG, ls)) {
        FcFontSet *fs = FcFontList(cfg, p, os);
        found = fs && fs->nfont > 0;
        if (fs)
            FcFontSetDestroy(fs);
    }
    if (ls)
        FcLangSetDestroy(ls);
    if (os)
        FcObjectSetDestroy(os);
    if (p)
        FcPatternDestroy(p);
    FcConfigDestroy(cfg);
    return found;
}
