/* reasons.h -- why a capture is partial, as data: each reason a stable code with params
 * beside its English sentence (the page translates the code, the CLI prints the sentence),
 * and the pieces that name what was still pending at the cut (issue 23). */
#ifndef LS_REASONS_H
#define LS_REASONS_H

#include <stddef.h>

#include <jansson.h>

/* At most this many hosts are named in a requests_pending reason. */
#define REASONS_HOSTS_MAX 3

/* The host (with its port when the URL has one) of an absolute URL such as Chromium sends
 * ("https://user@Cdn.Example:8443/x?y" -> "cdn.example:8443"), lower-cased, into out.
 * Returns 0, or -1 for a URL without a scheme:// authority (data:, blob:, about:) or a
 * host that does not fit in size bytes (out is then ""). */
int reasons_url_host(const char *url, char *out, size_t size);

/* The distinct hosts of pending, an object of request id -> host (a string, "" = none),
 * in its order (the oldest request first): a new array of at most max of them, with
 * *distinct set to how many distinct hosts there were in all. NULL when out of memory. */
json_t *reasons_hosts(const json_t *pending, size_t max, size_t *distinct);

/* "1 request still pending (a.example)", "3 requests still pending (a.example,
 * b.example, c.example, ...)": count requests, hosts as reasons_hosts gave them, and
 * ", ..." when distinct is more than the hosts named. Cut to size. */
void reasons_requests_text(char *out, size_t size, int count, const json_t *hosts,
                           size_t distinct);

/* {code, params, text}: params is taken (NULL = {}). NULL when out of memory (params is
 * released then too). */
json_t *reasons_item(const char *code, json_t *params, const char *text);

#endif
