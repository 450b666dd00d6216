/* http_api.c -- the API over HTTP: POST /rpc (one JSON-RPC request or batch, through
 * dispatch.c, as on the socket) and the ways in with the token: POST /login and the login
 * address `linksnap web` prints, each answered with a session cookie. Checking the token
 * and the session is http_auth.c's; routing is http.c's. */
#include <stdio.h>
#include <string.h>

#include "http_int.h"
#include "log.h"

static void rpc_done_cb(json_t *reply, void *ud)
{
    hreq_t *r = ud;
    if (http_req_unbusy(r)) {
        json_decref(reply);
        return;
    }
    if (!reply) {
        http_respond_static(r, 204, "application/json", (const unsigned char *)"", 0);
        return;
    }
    http_respond_json(r, 200, reply);
}

void http_run_rpc(hreq_t *r)
{
    char err[256];
    json_t *doc = rpc_parse_line(r->body.data ? r->body.data : "", r->body.len, err, sizeof err);
    if (!doc) {
        http_respond_json(r, 200, rpc_error(NULL, RPC_PARSE_ERROR, err, NULL));
        return;
    }
    r->busy++;
    lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, 300);
    if (dispatch_doc(r->h->d, doc, 1, rpc_done_cb, r) != 0) {
        r->busy--;
        http_respond_error(r, 500, "out of memory");
    }
    json_decref(doc);
}

void http_cookie_header(char *out, size_t outlen, const char *value, int max_age, int secure)
{
    snprintf(out, outlen, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", HTTP_AUTH_COOKIE,
             value, max_age, secure ? "; Secure" : "");
}

/* GET /PAGE?token=T (the address `linksnap web` prints): with the right token, a session
 * cookie and a redirect to the same page without the token, so it leaves the address bar
 * and the history, as Jupyter does. */
void http_login_link(hreq_t *r)
{
    char session[65], cookie[256], loc[4096];
    http_peer_t peer;
    http_auth_peer_init(&peer, lws_get_socket_fd(r->wsi));
    int rc = http_auth_login(&r->h->auth, http_arg_get(r, "token"), &peer, session);
    if (rc == -2) {
        http_req_header(r, "retry-after:", "60");
        http_respond_error(r, 429, "too many wrong tokens; try again in a minute");
        return;
    }
    if (rc != 0) {
        log_notice("http: a wrong token was given in a login address");
        http_respond_error(r, 403, "wrong token: run `linksnap web` for the right address");
        return;
    }
    size_t o = (size_t)snprintf(loc, sizeof loc, "%s", r->path);
    char sep = '?';
    for (int i = 0; i < r->nargs && o < sizeof loc; i++) {
        if (!strncmp(r->args[i], "token=", 6))
            continue;
        /* lws decoded the arguments; encode what a URL may not carry as is */
        o += (size_t)snprintf(loc + o, sizeof loc - o, "%c", sep);
        sep = '&';
        for (const unsigned char *c = (const unsigned char *)r->args[i]; *c && o + 4 < sizeof loc; c++) {
            int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                       (*c && strchr("-_.~=,:/@!$()*;", *c));
            if (keep)
                loc[o++] = (char)*c;
            else
                o += (size_t)snprintf(loc + o, sizeof loc - o, "%%%02X", *c);
        }
        loc[o < sizeof loc ? o : sizeof loc - 1] = '\0';
    }
    http_cookie_header(cookie, sizeof cookie, session, 30 * 24 * 3600, r->h->auth.tls);
    http_req_header(r, "set-cookie:", cookie);
    http_req_header(r, "location:", loc);
    http_req_header(r, "cache-control:", "no-store");
    http_respond_static(r, 303, "text/plain", (const unsigned char *)"", 0);
}

void http_run_login(hreq_t *r)
{
    json_t *doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "token"));
    char session[65], cookie[256];
    if (!token) {
        json_decref(doc);
        http_respond_error(r, 400, "expected {\"token\": \"...\"}");
        return;
    }
    http_peer_t peer;
    http_auth_peer_init(&peer, r->wsi ? lws_get_socket_fd(r->wsi) : -1);
    int rc = http_auth_login(&r->h->auth, token, &peer, session);
    json_decref(doc);
    if (rc == -2) {
        http_req_header(r, "retry-after:", "60");
        http_respond_error(r, 429, "too many wrong tokens; try again in a minute");
        return;
    }
    if (rc != 0) {
        log_notice("http: a wrong token was given to /login");
        http_respond_error(r, 403, "wrong token");
        return;
    }
    http_cookie_header(cookie, sizeof cookie, session, 30 * 24 * 3600, r->h->auth.tls);
    http_req_header(r, "set-cookie:", cookie);
    http_respond_json(r, 200, json_pack("{s:b}", "ok", 1));
}
