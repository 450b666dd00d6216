/* engine.h -- the capture engine: turns queued jobs into screenshots. Owns the fleet of
 * browser endpoints (each started on demand, recycled, stopped when idle, restarted with
 * back-off or quarantined when it fails), their DevTools connections and capture slots,
 * each capture's egress proxy (where the address rules are enforced), and the job state
 * changes it submits to the writer. Runs on the loop; slow work (decoding, hashing,
 * writing, thumbnails) goes to the thread pool. */
#ifndef LS_ENGINE_H
#define LS_ENGINE_H

#include <jansson.h>
#include <stdint.h>

struct daemon;
typedef struct engine engine_t;

/* Reaps a browser left by an earlier linksnapd (pid file in the state dir), warns when no
 * CJK font is installed. Starts nothing until jobs are due. */
engine_t *engine_new(struct daemon *d, char *err, size_t errlen);
/* Jobs may have been queued: look now (cheap; called after writes that enqueue). */
void engine_kick(engine_t *e);
/* A reload changed a setting that warm contexts carry (deny_private): drops them, so the
 * next capture starts with the new setting (a capture in flight keeps the one it began
 * with). */
void engine_settings_changed(engine_t *e);
/* A reload changed config_t.endpoints: added ones start taking jobs, removed (or changed)
 * ones drain. */
void engine_endpoints_changed(engine_t *e);
/* A job was canceled in the store: close its capture if one runs. */
void engine_cancel_job(engine_t *e, int64_t job_id);
/* The `browser` object of daemon.status. */
json_t *engine_status(engine_t *e);
/* Stops: running captures are abandoned (their jobs go back to the queue), the browser's
 * process group is killed; cb runs once everything is closed. The websocket context is
 * finished by engine_free after the loop ran dry. */
void engine_close(engine_t *e, void (*cb)(void *ud), void *ud);
/* After close's cb: closes the engine's timers and begins the websocket context's
 * teardown (outside any lws callback). */
void engine_close_handles(engine_t *e);
/* After the loop ran dry: finishes the websocket context and frees e. Accepts NULL. */
void engine_free(engine_t *e);

#endif
