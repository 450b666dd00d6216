/* wait.h -- --wait: follow capture jobs to their end through linksnapd's events, with a
 * progress line on a terminal. Refuses to wait when no capture engine runs. */
#ifndef LS_WAIT_H
#define LS_WAIT_H

#include <jansson.h>

#include "cli.h"

/* One capture waited for: by job id when known, else by link id. */
typedef struct {
    json_int_t link_id;
    json_int_t job_id;     /* 0 when unknown */
    int done;
} wait_target_t;

/* 1 when a daemon.status result shows a capture engine that can run jobs. */
int wait_browser_usable(const json_t *status);
/* Checks daemon.status and subscribes to the topics (a JSON array, taken) so no event is
 * missed; run it before the requests that queue captures. Returns an exit code (1 with a
 * message when capture is unavailable). */
int wait_prepare(cli_t *cli, json_t *topics);
/* Waits until every target's job finished, printing each outcome (state, HTTP status,
 * reason). Exit code 0 when every capture is good, 1 when any failed or was blocked or the
 * daemon stopped capturing (said on err), else 4 (CLI_EXIT_SITE) when one was taken but
 * the site answered 4xx/5xx. */
int wait_targets(cli_t *cli, wait_target_t *t, size_t n);
/* Waits until the capture queue is empty (for import --wait). */
int wait_queue(cli_t *cli);

#endif
