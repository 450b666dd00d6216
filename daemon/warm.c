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

static void warm_clear(warm_t *w)
{
    egress_free(w->egress);
    w->egress = NULL;
    w->shot = NULL;
    w->ready = 0;
}

void warm_drop(engine_t *e, const char *reason)
{
    for (int i = 0; i < WARM_MAX; i++) {
        shot_t *s = e->warm[i].shot;
        e->warm[i].shot = NULL;   /* before the cancel: its callback finds no place */
        if (s)
            shot_cancel(s, reason);
        warm_clear(&e->warm[i]);
    }
}

static void warm_ready_cb(shot_t *handle, const char *err, void *ud)
{
    engine_t *e = ud;
    warm_t *w = NULL;
    for (int i = 0; i < WARM_MAX && !w; i++)
        if (e->warm[i].shot == handle)
            w = &e->warm[i];
    if (!w)
        return;   /* one let go of meanwhile */
    if (err) {
        warm_clear(w);   /* the context frees itself */
        e->warm_failures++;
        log_debug("a context could not be made ahead: %s", err);
        return;
    }
    e->warm_failures = 0;
    w->ready = 1;
}

/* How many contexts to keep made ahead now. */
static int warm_wanted(engine_t *e)
{
    int want = 1, due = 0;
    if (store_job_due(e->d->reader, util_now_ms(), &due) == STORE_OK && due)
        want = e->nslots;   /* jobs wait: every slot that frees should find one */
    if (want > WARM_MAX)
        want = WARM_MAX;
    if (e->browser_pss_kb > (int64_t)e->d->cfg.memory_limit_mb * 512)
        want = 0;   /* past half the browser's memory limit: no renderer on spec */
    return want;
}

static void warm_make(engine_t *e, warm_t *w)
{
    const config_t *cfg = &e->d->cfg;
    char err[300];
    egress_opts_t eo = {.resolver = e->resolver, .deny_private = cfg->deny_private,
                        .bind_ip = cfg->browser_endpoint[0] ? cfg->proxy_listen : NULL,
                        .peer_ip = cfg->browser_endpoint[0] ? e->remote_peer : NULL,
                        .limits = &e->egress_limits,
                        .label = "next capture", .refused = warm_refused_cb, .ud = e};
    w->egress = egress_new(e->loop, &eo, err, sizeof err);
    if (!w->egress) {
        e->warm_failures++;
        return;
    }
    w->shot = shot_warm(e->cdp, e->loop, egress_address(w->egress), cfg->viewport_w,
                        cfg->viewport_h, cfg->scale, warm_ready_cb, e);
    if (!w->shot) {
        warm_clear(w);
        e->warm_failures++;
    }
}

void warm_prepare(engine_t *e)
{
    const config_t *cfg = &e->d->cfg;
    if (e->bstate != B_READY || e->closing || e->recycling || !cfg->capture ||
        e->d->stopping || e->remote_error[0] || e->warm_failures >= 3 || !e->cdp ||
        cdp_is_closed(e->cdp))
        return;
    int have = 0;
    for (int i = 0; i < WARM_MAX; i++)
        have += e->warm[i].shot != NULL;
    int want = warm_wanted(e);
    for (int i = 0; i < WARM_MAX && have < want && e->warm_failures < 3; i++) {
        if (e->warm[i].shot)
            continue;
        warm_make(e, &e->warm[i]);
        have += e->warm[i].shot != NULL;
    }
}

shot_t *warm_take(engine_t *e, const char *label, egress_refused_cb refused, void *ud,
                  egress_t **egress)
{
    for (int i = 0; i < WARM_MAX; i++) {
        warm_t *w = &e->warm[i];
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
