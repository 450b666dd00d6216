/* methods_web.c -- web.login_url: the web page's login address with its token. Socket only:
 * whoever may use the control socket may open the page, and nobody gets the token over
 * HTTP. Knows the daemon's http part only through http.h. */
#include <stdio.h>

#include "daemon.h"
#include "http.h"
#include "method.h"

static int m_web_login_url(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (call->via_http)
        return method_fail(call, RPC_INVALID_PARAMS, "web.login_url is for the control socket only");
    if (param_reject_unknown(call, known))
        return -1;
    if (!call->daemon || !call->daemon->http)
        return method_fail(call, RPC_UNAVAILABLE, "the web page is off (http.listen = off)");
    if (!http_listening(call->daemon->http))
        return method_fail(call, RPC_UNAVAILABLE, "%s", http_error(call->daemon->http));
    char url[1024];
    if (http_login_url(call->daemon->http, url, sizeof url) != 0)
        return method_fail(call, RPC_INTERNAL_ERROR, "the login address does not fit");
    call->result = json_pack("{s:s,s:s}", "url", url, "base", http_url(call->daemon->http));
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

const method_def_t methods_web[] = {
    {.name = "web.login_url", .fn = m_web_login_url, .kind = METHOD_LOOP},
    {.name = NULL},
};
