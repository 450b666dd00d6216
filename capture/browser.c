/* browser.c -- starts and stops Chromium. The process gets its own process group
 * (UV_PROCESS_DETACHED: setsid) so that one kill(-pgid) takes every helper with it, and
 * two pipes on fds 3 and 4 with --remote-debugging-pipe: we never write to fd 3, so when
 * linksnapd dies for any reason the kernel closes our end and Chromium, reading EOF,
 * exits. CDP itself goes over the websocket whose port we read from DevToolsActivePort
 * (--remote-debugging-port=0 lets the kernel choose). */
#include "browser.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct browser {
    uv_loop_t *loop;
    uv_process_t proc;
    uv_timer_t poll;
    int lifeline_w;        /* our end of Chromium's fd 3: never written, closed at free */
    int lifeline_r;        /* our end of Chromium's fd 4 */
    int pid;
    int exited, ready_sent, handles_open, freeing;
    uint64_t started_ms;
    int start_timeout_ms;
    char port_file[4200];
    browser_ready_cb ready;
    browser_exit_cb exited_cb;
    void *ud;
};

static void handle_closed_cb(uv_handle_t *h)
{
    browser_t *b = h->data;
    if (--b->handles_open == 0 && b->freeing)
        free(b);
}

static void send_ready(browser_t *b, int port, const char *path, const char *err)
{
    if (b->ready_sent)
        return;
    b->ready_sent = 1;
    uv_timer_stop(&b->poll);
    b->ready(b, port, path, err, b->ud);
}

static void poll_cb(uv_timer_t *t)
{
    browser_t *b = t->data;
    if (b->exited) {
        send_ready(b, 0, NULL, "chromium exited before it was ready");
        return;
    }
    FILE *f = fopen(b->port_file, "r");
    if (f) {
        char line1[32] = "", line2[512] = "";
        int ok = fgets(line1, sizeof line1, f) && fgets(line2, sizeof line2, f);
        fclose(f);
        if (ok) {
            line2[strcspn(line2, "\r\n")] = '\0';
            int port = atoi(line1);
            if (port > 0 && line2[0] == '/') {
                send_ready(b, port, line2, NULL);
                return;
            }
        }
    }
    if (uv_now(b->loop) - b->started_ms > (uint64_t)b->start_timeout_ms) {
        send_ready(b, 0, NULL, "chromium did not open its DevTools port in time (step: launch)");
        browser_kill(b);
    }
}

static void exit_cb(uv_process_t *p, int64_t status, int term_signal)
{
    browser_t *b = p->data;
    b->exited = 1;
    /* helpers of the group may still live: take them all */
    if (b->pid > 0)
        kill(-b->pid, SIGKILL);
    if (!b->ready_sent)
        send_ready(b, 0, NULL, "chromium exited before it was ready");
    if (b->exited_cb)
        b->exited_cb(b, status, term_signal, b->ud);
}

browser_t *browser_start(uv_loop_t *loop, const browser_opts_t *o, browser_ready_cb ready,
                         browser_exit_cb exited, void *ud, char *err, size_t errlen)
{
    browser_t *b = calloc(1, sizeof *b);
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->loop = loop;
    b->ready = ready;
    b->exited_cb = exited;
    b->ud = ud;
    b->lifeline_w = b->lifeline_r = -1;
    b->start_timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms : 20000;
    if (mkdir(o->profile_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create browser profile %s: %s", o->profile_dir, strerror(errno));
        goto fail;
    }
    snprintf(b->port_file, sizeof b->port_file, "%s/DevToolsActivePort", o->profile_dir);
    unlink(b->port_file);   /* a stale one from a previous browser would mislead us */
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    char udd[4300];
    snprintf(udd, sizeof udd, "--user-data-dir=%s", o->profile_dir);
    const char *args[48];
    int n = 0;
    args[n++] = o->chromium;
    args[n++] = "--headless";
    args[n++] = "--remote-debugging-port=0";
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
     * resolver, prediction, prerender and the prefetch proxy (Chromium reads one
     * --disable-features only: keep this the one) */
    args[n++] = "--disable-features=Translate,OptimizationHints,MediaRouter,BackForwardCache,"
                "DialMediaRouteProvider,CalculateNativeWinOcclusion,InterestFeedContentSuggestions,"
                "DnsOverHttps,AsyncDns,NetworkPrediction,Prerender2,PreconnectToSearch,"
                "SpeculationRulesPrefetchProxy,NetworkTimeServiceQuerying";
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
    b->lifeline_w = to_child[1];
    b->lifeline_r = from_child[0];
    uv_timer_init(loop, &b->poll);
    b->poll.data = b;
    b->handles_open++;
    b->started_ms = uv_now(loop);
    uv_timer_start(&b->poll, poll_cb, 50, 50);
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

void browser_kill(browser_t *b)
{
    if (b && b->pid > 0 && !b->exited)
        kill(-b->pid, SIGKILL);
}

void browser_free(browser_t *b)
{
    if (!b)
        return;
    if (b->lifeline_w >= 0)
        close(b->lifeline_w);
    if (b->lifeline_r >= 0)
        close(b->lifeline_r);
    b->lifeline_w = b->lifeline_r = -1;
    b->freeing = 1;
    if (b->handles_open == 0) {
        free(b);
        return;
    }
    /* the handles live inside b: it is freed by the last close callback */
    uv_timer_stop(&b->poll);
    uv_close((uv_handle_t *)&b->poll, handle_closed_cb);
    uv_close((uv_handle_t *)&b->proc, handle_closed_cb);
}
