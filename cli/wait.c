/* wait.c -- waiting for captures: reads job.finished events (subscribed before the jobs
 * were queued, so none is missed), and when nothing comes for a while asks linksnapd
 * again (is the browser still there? did a link's snapshot end?) instead of trusting a
 * clock. Knows the conn and the job/snapshot fields; nothing of sockets. */
#include "wait.h"

#include <string.h>

/* A browser that is merely "off" starts on demand (linksnapd stops it when idle); these
 * mean no capture will ever run. */
static const char *const OFF_STATES[] = {"unavailable", "disabled", "failed", NULL};

static int is_off(const char *s)
{
    for (const char *const *p = OFF_STATES; *p; p++)
        if (!strcmp(s, *p))
            return 1;
    return 0;
}

int wait_browser_usable(const json_t *status)
{
    const json_t *b = json_object_get(status, "browser");
    if (!b || json_is_null(b) || json_is_false(b))
        return 0;
    if (json_is_string(b))
        return !is_off(json_string_value(b));
    if (json_is_object(b)) {
        const json_t *avail = json_object_get(b, "available");
        if (json_is_false(avail))
            return 0;
        const char *st = json_string_value(json_object_get(b, "state"));
        return !(st && is_off(st));
    }
    return 1;
}

static int check_browser(cli_t *cli)
{
    json_t *st;
    int rc = cli_call(cli, "daemon.status", json_object(), &st);
    if (rc)
        return rc;
    int usable = wait_browser_usable(st);
    json_decref(st);
    if (!usable) {
        fprintf(cli->err, "%slinksnap: --wait: linksnapd has no browser running, so nothing "
                "would ever be captured (see `linksnap status`)\n", cli->progress ? "\r\033[K" : "");
        return CLI_EXIT_RPC;
    }
    return CLI_EXIT_OK;
}

int wait_prepare(cli_t *cli, json_t *topics)
{
    int rc = check_browser(cli);
    if (rc) {
        json_decref(topics);
        return rc;
    }
    json_t *r;
    rc = cli_call(cli, "events.subscribe", json_pack("{s:o}", "topics", topics), &r);
    json_decref(r);
    return rc;
}

static int job_succeeded(const char *state)
{
    return !strcmp(state, "ok") || !strcmp(state, "partial") || !strcmp(state, "done");
}

static void draw(cli_t *cli, size_t done, size_t total, size_t failed)
{
    if (!cli->progress)
        return;
    enum { BAR = 24 };
    size_t fill = total ? done * BAR / total : BAR;
    char bar[BAR + 1];
    for (size_t i = 0; i < BAR; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR] = '\0';
    fprintf(cli->err, "\r\033[K[%s] %zu/%zu captured", bar, done, total);
    if (failed)
        fprintf(cli->err, ", %zu failed", failed);
    fflush(cli->err);
}

/* What a finished capture of t came to, said on one line: on out for a capture that was
 * taken ("#4 ok, HTTP 200", "#4 ok, HTTP 404 Not Found"), on err for one that failed.
 * snap is the snapshot when known (state is then its state), else state is the job's.
 * Returns 0 good, 1 failed or blocked, 2 taken but the site answered 4xx/5xx. */
static int report_outcome(cli_t *cli, json_int_t link_id, const char *state, const json_t *snap)
{
    if (json_is_object(snap) && *cli_str(snap, "state"))
        state = cli_str(snap, "state");
    const char *clear = cli->progress ? "\r\033[K" : "";
    if (!job_succeeded(state)) {
        const char *why = cli_str(snap, "error");
        fprintf(cli->err, "%slinksnap: #%lld: capture %s%s%s\n", clear, (long long)link_id,
                state, *why ? ": " : "", why);
        return 1;
    }
    long long code = cli_int(snap, "http_status");
    int site = code >= 400 && code <= 599;
    if (!cli->json) {
        fputs(clear, cli->err);
        fflush(cli->err);
        fprintf(cli->out, "#%lld %s", (long long)link_id, state);
        if (code)
            fprintf(cli->out, ", HTTP %lld%s%s", code, *cli_http_reason(code) ? " " : "",
                    cli_http_reason(code));
        if (site)
            fprintf(cli->out, " (the picture is the site's error page)");
        else if (!strcmp(state, "partial") && *cli_str(snap, "error"))
            fprintf(cli->out, " (%s)", cli_str(snap, "error"));
        fputc('\n', cli->out);
        fflush(cli->out);
    }
    return site ? 2 : 0;
}

/* Counts one outcome of report_outcome. */
static void count_outcome(int outcome, size_t *failed, size_t *site)
{
    if (outcome == 1)
        (*failed)++;
    else if (outcome == 2)
        (*site)++;
}

/* Marks the target an event is about; returns 1 when one was marked. */
static int apply_event(cli_t *cli, wait_target_t *t, size_t n, const json_t *ev, size_t *failed,
                       size_t *site)
{
    if (strcmp(cli_str(ev, "topic"), "job.finished"))
        return 0;
    json_int_t job = cli_int(ev, "job_id"), link = cli_int(ev, "link_id");
    for (size_t i = 0; i < n; i++) {
        if (t[i].done || !(t[i].job_id ? t[i].job_id == job : t[i].link_id == link))
            continue;
        t[i].done = 1;
        count_outcome(report_outcome(cli, t[i].link_id, cli_str(ev, "state"),
                                     json_object_get(ev, "snapshot")), failed, site);
        return 1;
    }
    return 0;
}

/* After a quiet spell: is the browser still there, and did any link's capture end without
 * us seeing the event? Returns an exit code. */
static int recheck(cli_t *cli, wait_target_t *t, size_t n, size_t *done, size_t *failed,
                   size_t *site)
{
    int rc = check_browser(cli);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (t[i].done)
            continue;
        json_t *r;
        if ((rc = cli_call(cli, "link.get", json_pack("{s:I}", "id", t[i].link_id), &r)))
            return rc;
        const json_t *snap = json_object_get(json_object_get(r, "link"), "last_snapshot");
        const char *state = cli_str(snap, "state");
        if (*state && strcmp(state, "queued") && strcmp(state, "running")) {
            t[i].done = 1;
            (*done)++;
            count_outcome(report_outcome(cli, t[i].link_id, state, snap), failed, site);
        }
        json_decref(r);
    }
    return CLI_EXIT_OK;
}

int wait_targets(cli_t *cli, wait_target_t *t, size_t n)
{
    size_t done = 0, failed = 0, site = 0;
    for (size_t i = 0; i < n; i++)
        done += t[i].done != 0;
    draw(cli, done, n, failed);
    int rc = CLI_EXIT_OK;
    while (done < n) {
        json_t *ev;
        char err[512];
        int crc = conn_next_event(cli->conn, cli->idle_ms, &ev, err, sizeof err);
        cli_clean(cli, ev);
        if (crc == CLIENT_ETIMEOUT) {
            if ((rc = recheck(cli, t, n, &done, &failed, &site)))
                break;
        } else if (crc) {
            fprintf(cli->err, "%slinksnap: %s\n", cli->progress ? "\r\033[K" : "", err);
            rc = cli_exit_code(crc);
            break;
        } else {
            done += (size_t)apply_event(cli, t, n, ev, &failed, &site);
            json_decref(ev);
        }
        draw(cli, done, n, failed);
    }
    if (cli->progress)
        fputc('\n', cli->err);
    if (rc == CLI_EXIT_OK && failed)
        rc = CLI_EXIT_RPC;
    else if (rc == CLI_EXIT_OK && site)
        rc = CLI_EXIT_SITE;
    return rc;
}

static int queue_left(cli_t *cli, long long *left)
{
    json_t *st;
    int rc = cli_call(cli, "daemon.status", json_object(), &st);
    if (rc)
        return rc;
    const json_t *q = json_object_get(st, "queue");
    *left = cli_int(q, "queued") + cli_int(q, "running");
    int usable = wait_browser_usable(st);
    json_decref(st);
    if (*left && !usable) {
        fprintf(cli->err, "%slinksnap: --wait: linksnapd has no browser running; %lld "
                "captures stay queued\n", cli->progress ? "\r\033[K" : "", *left);
        return CLI_EXIT_RPC;
    }
    return CLI_EXIT_OK;
}

int wait_queue(cli_t *cli)
{
    long long left;
    int rc = queue_left(cli, &left);
    size_t total = (size_t)left, done = 0, failed = 0;
    while (rc == CLI_EXIT_OK && left > 0) {
        draw(cli, done, total, failed);
        json_t *ev;
        char err[512];
        int crc = conn_next_event(cli->conn, cli->idle_ms, &ev, err, sizeof err);
        cli_clean(cli, ev);
        if (crc == CLIENT_ETIMEOUT) {
            rc = queue_left(cli, &left);
            continue;
        }
        if (crc) {
            fprintf(cli->err, "%slinksnap: %s\n", cli->progress ? "\r\033[K" : "", err);
            rc = cli_exit_code(crc);
            break;
        }
        if (!strcmp(cli_str(ev, "topic"), "job.finished")) {
            done++;
            if (!job_succeeded(cli_str(ev, "state")))
                failed++;
            if (done >= total)
                rc = queue_left(cli, &left);
            if ((size_t)left + done > total)
                total = (size_t)left + done;
        }
        json_decref(ev);
    }
    if (cli->progress && total)
        fputc('\n', cli->err);
    if (rc == CLI_EXIT_OK && failed) {
        fprintf(cli->err, "linksnap: %zu of %zu captures failed (see `linksnap jobs failed`)\n",
                failed, total);
        rc = CLI_EXIT_RPC;
    }
    return rc;
}
