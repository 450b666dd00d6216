/* warm.c -- the context made ahead: while captures run, the next capture's browser
 * context (with its own egress proxy) and tab are made, since starting the tab's renderer
 * is most of a capture's set-up. A slot takes it when it starts; a browser that goes lets
 * it go. One at a time. */
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "log.h"

static void warm_refused_cb(egress_t *x, const char *host, int port, int top, const char *why,
                            void *ud)
{
    (void)x; (void)host; (void)port; (void)top; (void)why; (void)ud;   /* nothing loads yet */
}

void warm_drop(engine_t *e, const char *reason)
{
    shot_t *w = e->warm;
    e->warm = NULL;
    e->warm_ready = 0;
    if (w)
        shot_cancel(w, reason);
    egress_free(e->warm_egress);
    e->warm_egress = NULL;
}

static void warm_ready_cb(shot_t *handle, const char *err, void *ud)
{
    engine_t *e = ud;
    if (handle != e->warm)
        return;   /* one let go of meanwhile */
    if (err) {
        e->warm = NULL;   /* it frees itself */
        egress_free(e->warm_egress);
        e->warm_egress = NULL;
        e->warm_failures++;
        log_debug("the next capture's context could not be made ahead: %s", err);
        return;
    }
    e->warm_failures = 0;
    e->warm_ready = 1;
}

/* Makes the next capture's browser context and tab while others capture: starting the
 * tab's renderer is most of a capture's set-up (0.4-0.9 s measured), and a warm context
 * takes it off the capture's path. One at a time; not while stopping or recycling. */
void warm_prepare(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    if (e->warm || e->bstate != B_READY || e->closing || e->recycling || !cfg->capture ||
        e->d->stopping || e->remote_error[0] || e->warm_failures >= 3 || !e->cdp ||
        cdp_is_closed(e->cdp))
        return;
    char err[300];
    egress_opts_t eo = {.resolver = e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = cfg->browser_endpoint[0] ? cfg->proxy_listen : NULL,
                        .peer_ip = cfg->browser_endpoint[0] ? e->remote_peer : NULL,
                        .limits = &e->egress_limits,
                        .label = "next capture", .refused = warm_refused_cb, .ud = e};
    e->warm_egress = egress_new(e->loop, &eo, err, sizeof err);
    if (!e->warm_egress) {
        e->warm_failures++;
        return;
    }
    e->warm = shot_warm(e->cdp, e->loop, egress_address(e->warm_egress), cfg->viewport_w,
                        cfg->viewport_h, cfg->scale, warm_ready_cb, e);
    if (!e->warm) {
        egress_free(e->warm_egress);
        e->warm_egress = NULL;
        e->warm_failures++;
    }
}

shot_t *warm_take(engine_t *e, const char *label, egress_refused_cb refused, void *ud,
                  egress_t **egress)
{
    if (!e->warm || !e->warm_ready)
        return NULL;
    shot_t *warm = e->warm;
    *egress = e->warm_egress;
    egress_set_owner(*egress, label, refused, ud);
    e->warm = NULL;
    e->warm_egress = NULL;
    e->warm_ready = 0;
    return warm;
}
