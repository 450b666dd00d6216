/* http_ws.c -- GET /events: the event bus over a websocket. The upgrade is checked like a
 * POST (Host, Origin, the token); each page subscribes with its topics, and its events
 * queue up to WS_QUEUE_MAX before the page is closed as too far behind. Knows the
 * connection (http_int.h) and events.c; nothing of routes or files. */
#include "http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void ws_event_cb(json_t *event, void *ud)
{
    pss_t *ps = ud;
    if (ps->ws_close)
        return;
    char *text = json_dumps(event, JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    wsmsg_t *m = text ? malloc(sizeof *m + LWS_PRE + n) : NULL;
    if (!m) {
        free(text);
        ps->ws_close = 1;
    } else {
        m->next = NULL;
        m->len = n;
        memcpy(m->data + LWS_PRE, text, n);
        free(text);
        *ps->qtail = m;
        ps->qtail = &m->next;
        ps->qbytes += n;
        if (ps->qbytes > WS_QUEUE_MAX) {
            log_warn("http: a page is %u MiB behind on events; closing its websocket",
                     (unsigned)(ps->qbytes >> 20));
            ps->ws_close = 1;
        }
    }
    lws_callback_on_writable(ps->wsi);
}

int http_ws_filter(http_t *h, struct lws *wsi, pss_t *ps)
{
    char uri[64], host[160], origin[256], cookie[2048], authz[512];
    if (h->closing || !ps)
        return 1;
    if (http_hdr(wsi, WSI_TOKEN_GET_URI, uri, sizeof uri) <= 0 || strcmp(uri, "/events")) {
        log_info("http: websocket refused: only /events is one");
        return 1;
    }
    int ha = http_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz, sizeof authz);
    http_peer_t peer;
    http_auth_peer_init(&peer, lws_get_socket_fd(wsi));
    int b = http_auth_bearer(&h->auth, ha > 0 ? authz : NULL, &peer);
    if (http_hdr(wsi, WSI_TOKEN_HOST, host, sizeof host) <= 0 || !http_auth_host_ok(&h->auth, host) ||
        (b != 1 && (http_hdr(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin) <= 0 ||
                    !http_auth_origin_ok(&h->auth, origin, host)))) {
        log_notice("http: websocket refused: Host or Origin is not this linksnapd's");
        return 1;
    }
    int hc = http_hdr(wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof cookie);
    if (b != 1 && !http_auth_allowed(&h->auth, hc > 0 ? cookie : NULL, NULL, &peer)) {
        log_notice("http: websocket refused: not logged in");
        return 1;
    }
    ps->topics[0] = '\0';
    char arg[300];
    for (int i = 0; i < MAX_ARGS; i++) {
        if (lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) <= 0)
            break;
        if (!strncmp(arg, "topics=", 7))
            snprintf(ps->topics, sizeof ps->topics, "%s", arg + 7);
    }
    return 0;
}

int http_ws_open(http_t *h, struct lws *wsi, pss_t *ps)
{
    if (ps->r) {
        http_req_detach(ps->r);
        ps->r = NULL;
    }
    ps->is_ws = 1;
    ps->wsi = wsi;
    ps->qtail = &ps->q;
    json_t *topics = NULL;
    if (ps->topics[0]) {
        topics = json_array();
        char copy[256];
        snprintf(copy, sizeof copy, "%s", ps->topics);
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); topics && t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(topics, json_string(t));
    }
    ps->sub = events_subscribe(h->d->events, topics, ws_event_cb, ps);
    json_decref(topics);
    if (!ps->sub)
        return -1;
    ps->ws_next = h->ws;
    if (h->ws)
        h->ws->ws_prev = ps;
    h->ws = ps;
    return 0;
}

int http_ws_write(struct lws *wsi, pss_t *ps)
{
    if (ps->ws_close) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
        return -1;
    }
    wsmsg_t *m = ps->q;
    if (!m)
        return 0;
    ps->q = m->next;
    if (!ps->q)
        ps->qtail = &ps->q;
    ps->qbytes -= m->len;
    int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0)
        return -1;
    if (ps->q)
        lws_callback_on_writable(wsi);
    return 0;
}

void http_ws_closed(http_t *h, pss_t *ps)
{
    if (!ps->is_ws)
        return;
    events_unsubscribe(h->d->events, ps->sub);
    ps->sub = NULL;
    while (ps->q) {
        wsmsg_t *m = ps->q;
        ps->q = m->next;
        free(m);
    }
    if (ps->ws_prev)
        ps->ws_prev->ws_next = ps->ws_next;
    else if (h->ws == ps)
        h->ws = ps->ws_next;
    if (ps->ws_next)
        ps->ws_next->ws_prev = ps->ws_prev;
    ps->is_ws = 0;
}
