/* errcode.c -- owns the table of stable error codes and the matcher that recognises an
 * English error sentence by its template (errcode.h). Knows jansson; nothing of the
 * store, the daemon or sockets. A new refusal a person can meet gets its row here, in
 * docs/protocol.md ("Error codes") and in web/static/js/i18n.js (tests/web/check_errcodes.mjs
 * compares the three). */
#include "errcode.h"

#include <string.h>

/* Order matters: a specific template comes before a general one it would also match. */
static const errcode_def_t table[] = {
    /* URLs (store/url.c: link.add, link.get, import lines, site.match) */
    {"url_too_long", "URL too long (over {max} bytes)"},
    {"url_too_long", "URL too long after normalisation (over {max} bytes)"},
    {"url_empty", "empty URL"},
    {"url_control_char", "URL contains a control character"},
    {"url_no_scheme", "not a URL: it has no scheme (expected http:// or https://)"},
    {"url_not_a_url", "not a URL: {text} (expected http:// or https://)"},
    {"url_no_host", "not a valid URL: it has no host"},
    {"url_invalid", "not a valid URL: {why}"},
    {"url_invalid", "not a valid URL"},
    {"url_bad_scheme", "unsupported URL scheme '{scheme}' (only http and https)"},
    {"url_bad_scheme", "unsupported URL scheme (only http and https)"},
    {"url_punycode", "the host name could not be converted to punycode"},
    {"url_bad_port", "invalid port {port}"},
    /* tags (store/tag.c) */
    {"tag_bad_utf8", "tag is not valid UTF-8"},
    {"tag_control_char", "tag '{tag}' contains a control character"},
    {"tag_comma", "tag '{tag}' contains a comma (tags are separated by commas)"},
    {"tag_empty", "tag is empty"},
    {"tag_too_long", "tag '{tag}…' is longer than {max} characters"},
    /* unknown things (store/) */
    {"link_not_found", "link {id} not found"},
    {"link_not_found", "no link with URL {url}"},
    {"snapshot_not_found", "snapshot {id} not found"},
    {"snapshot_no_text", "snapshot {id} has no text"},
    {"job_not_found", "job {id} not found"},
    {"import_not_found", "import {id} not found"},
    {"watch_not_found", "watch {id} not found"},
    {"tag_not_found", "tag '{tag}' not found"},
    {"tag_not_found", "no tag named '{tag}'"},
    {"tag_is_alias", "tag '{tag}' is an alias of '{target}' (merged into it); `linksnap "
                     "tag-unalias {alias}` makes it a name of its own again"},
    {"tag_not_alias", "'{tag}' is a tag, not an alias (`linksnap tag-aliases` lists them)"},
    {"tag_not_alias", "'{tag}' is not an alias (`linksnap tag-aliases` lists them)"},
    {"tags_merge_none", "none of the tags to merge exists"},
    {"site_no_rule", "no site rule matches '{url}'"},
    /* jobs (store/jobs.c) */
    {"job_ended", "job {id} already ended ({state}); nothing to cancel"},
    /* params (daemon/method.c and the methods) */
    {"param_missing", "missing param '{param}' ({what})"},
    {"param_range", "param '{param}' must be from {min} to {max}, got {got}"},
    {"param_nul", "param '{param}' must not contain NUL"},
    {"param_too_many", "param '{param}' has too many elements (at most {max})"},
    {"param_unknown", "unknown param '{param}'"},
    {"param_text", "param '{param}' must be a non-empty string of at most {max} bytes "
                   "without control characters"},
    {"param_duration", "param '{param}' must be seconds or a duration such as 90s, 30m, 6h, "
                       "1d, 2w"},
    {"param_exclusive", "give '{a}' or '{b}', not both"},
    {"param_exclusive", "give either '{a}' or '{b}'"},
    {"param_exclusive", "give exactly one of '{a}' or '{b}'"},
    {"param_recapture", "param 'recapture' goes with 'capture': true"},
    {"q_too_long", "param 'q' is too long ({n} characters; at most {max})"},
    {"q_too_long", "q is too long (at most {max} characters)"},
    {"bad_cursor", "param 'cursor' is not a cursor from link.list with this sort"},
    {"bad_cursor", "cursor is not a cursor of this sort from link.list"},
    {"too_many_links", "the filter matches more than {max} links; snapshot.request "
                       "re-captures at most {max} at once: narrow the filter"},
    /* imports (daemon/methods_import.c, daemon/importer.c) */
    {"import_content_too_big", "param 'content' is over 64 MiB; pass 'path'"},
    {"import_bad_format", "param 'format' must be auto, text, netscape, csv, jsonl or json"},
    {"import_bad_format", "unknown format '{format}' (auto, text, netscape, csv, jsonl, json)"},
    {"import_path_refused", "param 'path' is refused over HTTP: no client may name a file of "
                            "the server there; upload it (POST /import) or send 'content'"},
    /* import lines (import/): each invalid entry's reason */
    {"import_url_too_long", "URL longer than {max} bytes"},
    {"import_no_url", "entry has no URL"},
    {"import_url_nul", "URL contains a NUL byte"},
    {"import_url_utf8", "URL is not valid UTF-8"},
    {"import_csv_empty_url", "record has an empty url field"},
    {"import_csv_too_long", "record longer than {max} bytes (unbalanced quote?)"},
    {"import_csv_unterminated", "unterminated quoted field at the end of the file"},
    {"import_csv_no_header", "CSV input has no header row"},
    {"import_csv_no_url_column", "CSV header has no url column (name one column url, href or "
                                 "link)"},
    {"import_line_too_long", "line longer than {max} bytes"},
    {"import_json_too_long", "JSON element longer than {max} bytes"},
    {"import_json_bad_close", "JSON array closed by '}'"},
    {"import_json_trailing", "data after the end of the JSON value ignored"},
    {"import_json_cut", "JSON element cut off at the end of the file"},
    {"import_json_not_closed", "JSON not closed at the end of the file (truncated?)"},
    {"import_json_invalid", "invalid JSON: {why}"},
    {"import_json_not_object", "JSON value is not an object"},
    {"import_json_not_link", "entry is not a link (no url field)"},
    {"import_json_no_url", "object has no url field"},
    {"import_json_url_type", "url field is not a string"},
    {"import_json_top", "JSON input must be an array or an object"},
    {"import_json_malformed", "malformed JSON object ({what})"},
    {"import_json_empty", "no JSON value in the input"},
    {"import_json_no_array", "JSON object has no bookmark array (expected a key \"bookmarks\", "
                             "\"results\", \"items\", \"links\", \"posts\" or \"data\")"},
    {"import_folders_too_deep", "folders nested deeper than {max}; the deeper folder names give "
                                "no tags"},
    {"import_bookmark_cut", "bookmark cut off at the end of the file"},
    /* site rules (store/sites.c, daemon/methods_site.c) */
    {"site_match_empty", "match is empty: give a host, host:port or URL prefix"},
    {"site_match_too_long", "match is longer than {max} bytes"},
    {"site_match_utf8", "match is not valid UTF-8"},
    {"site_match_space", "match has a space or control character"},
    {"site_match_bad", "match '{match}' is not a host, host:port or http(s) URL"},
    {"site_match_no_host", "match '{match}' has no host"},
    {"site_match_path", "match '{match}' has a path: write a URL prefix with its scheme "
                        "(https://host/path)"},
    {"site_match_query", "match '{match}': a host match takes no query, fragment or user"},
    {"site_match_punycode", "match '{match}': the host could not be converted to punycode"},
    {"site_match_port", "match '{match}' has an invalid port"},
    {"site_viewport", "param 'viewport' must be {width: 320..3840, height: 240..2160} in CSS px"},
    {"site_header_name", "headers: '{header}' is not a header a rule may set (a token name; not "
                         "Host, Cookie, Connection, Proxy-*, Sec-* and the like)"},
    {"site_header_value", "headers: the value of '{header}' must be a string of at most 4096 "
                          "bytes without line breaks or control characters (null removes it)"},
    {"site_too_many_cookies", "the rule would hold over {max} cookies"},
    {"site_selector_empty", "selector {n} is empty or over 512 bytes"},
    {"site_selector_bad", "selector \"{sel}\" has '{', '}', ';', '<' or a comment: give plain CSS "
                          "selectors"},
    {"site_selector_utf8", "selector {n} is not UTF-8"},
    {"site_selectors_too_many", "at most 100 selectors"},
    {"site_cookie_name", "cookies[{i}]: 'name' must be a cookie name (letters, digits and "
                         "!#$%&'*+-.^_`|~)"},
    {"site_cookie_value", "cookies[{i}] '{cookie}': 'value' must be a string of at most 4096 "
                          "bytes without ';', '\\' or control characters (null removes the "
                          "cookie)"},
    {"site_cookie_domain", "cookies[{i}] '{cookie}': 'domain' must be a host name"},
    {"site_cookie_outside", "cookies[{i}] '{cookie}': domain '{domain}' is outside the rule's "
                            "match: a rule's cookies go to {host} only"},
    {"site_cookie_path", "cookies[{i}] '{cookie}': 'path' must start with '/'"},
    {"site_too_many_headers", "the rule would hold over {max} headers"},
    {"site_endpoints_list", "param 'endpoints' must be an array of 1 to {max} endpoint names "
                            "(browser.endpoint.NAME in linksnapd.conf)"},
    {"site_endpoint_name", "item {i} is not an endpoint's name (1 to {max} letters, digits, '-' "
                           "or '_')"},
    {"site_endpoint_twice", "endpoint '{endpoint}' is named twice"},
    {"site_endpoint_unknown", "linksnapd has no endpoint '{endpoint}'; its endpoints are: {known}"},
    /* watches (daemon/methods_watch.c, store/watch.c) */
    {"watch_every_required", "param 'every' is required (seconds or 6h, 1d)"},
    {"watch_every_range", "every must be from {min} s to a year ({max} s), not {got} s"},
    {"watch_jitter", "jitter ({jitter} s) must be at most half of every ({every} s)"},
    {"watch_threshold", "param 'threshold' must be a fraction of the page from 0 to 1 (0.001 is "
                        "0.1%)"},
    {"watch_target", "name a link (link_id) or a tag"},
    /* the web server's refusals (daemon/http*.c: error.data of their JSON bodies) */
    {"auth_too_many", "too many wrong tokens; try again in a minute"},
    {"auth_wrong_token", "wrong token"},
    {"auth_wrong_token", "wrong token: run `linksnap web` for the right address"},
    {"auth_wrong_token", "wrong token in Authorization"},
    {"auth_login", "log in first: this linksnapd needs its access token"},
    {"auth_login", "log in first: this linksnapd needs its access token {how}"},
    {"upload_too_big", "uploads are limited to {max} MiB"},
    /* cookies.txt into a site rule (the sites page's import) */
    {"cookies_txt_too_big", "a cookies.txt over {max} bytes"},
    {"cookies_txt_unusable", "param 'text' holds no usable cookie ({bad} bad lines); expected "
                             "Netscape cookies.txt lines of 7 TAB-separated fields"},
    {"cookies_txt_other_domains", "param 'text' holds no cookie for {host}: {n} cookies for "
                                  "other domains skipped ({domains})"},
    /* the diff of two captures (the changes page: /changes/FROM/TO) */
    {"diff_cross_link", "snapshots {from} and {to} are captures of different links ({a} and {b}); "
                        "pass allow_cross to compare them anyway"},
    {"snapshot_no_screenshot", "snapshot {id} has no screenshot (its state is {state})"},
    {"diff_needs_two", "link {id} has {n} good captures with a screenshot; a diff needs two (give "
                       "'from' and 'to' to compare others)"},
    {"diff_needs_two", "link {id} has {n} good capture with a screenshot; a diff needs two (give "
                       "'from' and 'to' to compare others)"},
    /* the daemon */
    {"shutting_down", "linksnapd is stopping"},
    {"shutting_down", "linksnapd is stopping; retry after it restarts"},
    {"store_busy", "the database is locked by another process ({why})"},
    /* general ones last: they would take the sentences of the rows above */
    {"param_type", "param '{param}' must be {what}"},
    {"not_found", "{what} {id} not found"},
};

const errcode_def_t *errcode_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

/* The length of a hole's name at t ("{name}"), or 0 when t is not a hole. */
static size_t hole_len(const char *t)
{
    if (t[0] != '{')
        return 0;
    size_t i = 1;
    while ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_')
        i++;
    return i > 1 && t[i] == '}' ? i - 1 : 0;
}

/* Matches from t and m on; a hole takes the shortest text (at least one byte) after which
 * the rest matches. Depth is bounded by the template's holes. */
static int match_from(const char *t, const char *m, json_t *params)
{
    for (;;) {
        size_t nl = hole_len(t);
        if (nl) {
            const char *rest = t + nl + 2;
            size_t mlen = strlen(m);
            for (size_t take = 1; take <= mlen; take++) {
                int r = match_from(rest, m + take, params);
                if (r < 0)
                    return -1;
                if (r == 0)
                    continue;
                if (params) {
                    char name[64];
                    if (nl >= sizeof name)
                        nl = sizeof name - 1;
                    memcpy(name, t + 1, nl);
                    name[nl] = '\0';
                    if (!json_object_get(params, name) &&
                        json_object_set_new(params, name, json_stringn(m, take)))
                        return -1;
                }
                return 1;
            }
            return 0;
        }
        if (*t != *m)
            return 0;
        if (!*t)
            return 1;
        t++;
        m++;
    }
}

int errcode_match(const char *tmpl, const char *msg, json_t *params)
{
    return match_from(tmpl, msg, params);
}

static json_t *data_for(const char *msg, int depth)
{
    json_t *params = json_object();
    if (!params)
        return NULL;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int r = match_from(table[i].tmpl, msg, params);
        if (r < 0)
            break;
        if (r > 0)
            return json_pack("{s:s,s:o}", "code", table[i].code, "params", params);
        json_object_clear(params);
    }
    json_decref(params);
    if (depth > 0)
        return NULL;
    /* "param 'NAME': SENTENCE" and "WHAT: SENTENCE" (a short prefix) */
    const char *colon = strstr(msg, ": ");
    if (!colon || colon - msg > 48)
        return NULL;
    json_t *inner = data_for(colon + 2, depth + 1);
    if (!inner)
        return NULL;
    if (!strncmp(msg, "param '", 7) && colon > msg + 8 && colon[-1] == '\'') {
        json_t *p = json_object_get(inner, "params");
        if (!json_object_get(p, "param"))
            json_object_set_new(p, "param", json_stringn(msg + 7, (size_t)(colon - 1 - (msg + 7))));
    }
    return inner;
}

json_t *errcode_data(const char *msg)
{
    return msg ? data_for(msg, 0) : NULL;
}
