/* warm.c -- the contexts made ahead: while captures run, the next captures' browser
 * contexts (each with its own egress proxy) and tabs are made, since starting a tab's
 * renderer is most of a capture's set-up. A slot takes a ready one when it starts; a
 * browser that goes lets them all go. How many: one when nothing more is due (the next
 * link a person adds starts at once), one per slot while jobs wait (slots that free
 * together each find one: at concurrency 4 one context was not enough), and none while
 * the browser's memory is past half its limit. */
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "log.h"
#include "util.h"

static void warm_refused_cb(egress_t *x, const char *host, int port, int top, const char *why,
                            void *ud)
{
    (void)x; (void)host; (void)port; (void)top; (void)why; (void)ud;   /* nothing loads yet */
}

static void warm_clear(endpoint_t *ep, warm_t *w)
{
    endpoint_egress_free(ep, w->egress);
    w->egress = NULL;
    w->shot = NULL;
    w->ready = 0;
}

void warm_drop(endpoint_t *ep, const char *reason)
{
    for (int i = 0; i < WARM_MAX; i++) {
        shot_t *s = ep->warm[i].shot;
        ep->warm[i].shot = NULL;   /* before the cancel: its callback finds no place */
        if (s)
            shot_cancel(s, reason);
        warm_clear(ep, &ep->warm[i]);
    }
}

static void warm_ready_cb(shot_t *handle, const char *err, void *ud)
{
    endpoint_t *ep = ud;
    warm_t *w = NULL;
    for (int i = 0; i < WARM_MAX && !w; i++)
        if (ep->warm[i].shot == handle)
            w = &ep->warm[i];
    if (!w)
        return;   /* one let go of meanwhile */
    if (err) {
        warm_clear(ep, w);   /* the context frees itself */
        ep->warm_failures++;
        log_debug("a context could not be made ahead: %s", err);
        return;
    }
    ep->warm_failures = 0;
    w->ready = 1;
}

/* How many contexts to keep made ahead now. */
static int warm_wanted(endpoint_t *ep)
{
    int want = 1, due = 0;
    if (store_job_due(ep->e->d->reader, util_now_ms(), &due) == STORE_OK && due)
        want = ep->nslots;   /* jobs wait: every slot that frees should find one */
    if (want > WARM_MAX)
        want = WARM_MAX;
    if (ep->pss_kb > (int64_t)ep->e->d->cfg.memory_limit_mb * 512)
        want = 0;   /* past half the browser's memory limit: no renderer on spec */
    return want;
}

static void warm_make(endpoint_t *ep, warm_t *w)
{
    const config_t *cfg = &ep->e->d->cfg;
    char err[300];
    egress_opts_t eo = {.resolver = ep->e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = ep->bind_ip, .peer_ip = ep->bind_ip ? ep->peer : NULL,
                        .limits = &ep->e->egress_limits,
                        .label = "next capture", .refused = warm_refused_cb, .ud = ep};
    w->egress = egress_new(ep->e->loop, &eo, err, sizeof err);
    if (!w->egress) {
        ep->warm_failures++;
        return;
    }
    w->shot = shot_warm(ep->cdp, ep->e->loop, egress_address(w->egress), cfg->viewport_w,
                        cfg->viewport_h, cfg->scale, warm_ready_cb, ep);
    if (!w->shot) {
        warm_clear(ep, w);
        ep->warm_failures++;
    }
}

void warm_prepare(endpoint_t *ep)
{
    const config_t *cfg = &ep->e->d->cfg;
    if (ep->bstate != B_READY || ep->e->closing || ep->recycling || !cfg->capture ||
        ep->e->d->stopping || ep->error[0] || ep->warm_failures >= 3 || !ep->cdp ||
        cdp_is_closed(ep->cdp))
        return;
    int have = 0;
    for (int i = 0; i < WARM_MAX; i++)
        have += ep->warm[i].shot != NULL;
    int want = warm_wanted(ep);
    for (int i = 0; i < WARM_MAX && have < want && ep->warm_failures < 3; i++) {
        if (ep->warm[i].shot)
            continue;
        warm_make(ep, &ep->warm[i]);
        have += ep->warm[i].shot != NULL;
    }
}

shot_t *warm_take(endpoint_t *ep, const char *label, egress_refused_cb refused, void *ud,
                  egress_t **egress)
{
    for (int i = 0; i < WARM_MAX; i++) {
        warm_t *w = &ep->warm[i];
        if (!w->shot || !w->ready)
            continue;
        shot_t *s = w->shot;
        *egress = w->egress;
        egress_set_owner(*egress, label, refused, ud);
        w->shot = NULL;
        w->egress = NULL;
        w->ready = 0;
        return s;
    }
    return NULL;
}
