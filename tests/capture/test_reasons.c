/* test_reasons.c -- capture/reasons.c: the host of a request's URL (ports kept, userinfo
 * dropped, case folded; schemes without an authority and oversized hosts refused), the
 * distinct hosts of the pending requests in their order, the requests_pending sentence
 * (singular, plural, "..." past the hosts named, cut to its buffer), and the reason
 * object. The cut itself runs in real Chromium in tests/daemon/test_reasons.py. */
#include <string.h>

#include <jansson.h>

#include "reasons.h"
#include "test.h"

TEST(url_host)
{
    char h[64];
    ASSERT_EQ(reasons_url_host("https://cdn.example/x.js?y#z", h, sizeof h), 0);
    ASSERT_STR_EQ(h, "cdn.example");
    ASSERT_EQ(reasons_url_host("http://127.0.0.1:8080/hang?font", h, sizeof h), 0);
    ASSERT_STR_EQ(h, "127.0.0.1:8080");
    ASSERT_EQ(reasons_url_host("HTTPS://user:p@ss@Fonts.Example:8443", h, sizeof h), 0);
    ASSERT_STR_EQ(h, "fonts.example:8443");
    ASSERT_EQ(reasons_url_host("http://[::1]:9/", h, sizeof h), 0);
    ASSERT_STR_EQ(h, "[::1]:9");
    ASSERT_EQ(reasons_url_host("wss://xn--fiqs8s.example?q", h, sizeof h), 0);
    ASSERT_STR_EQ(h, "xn--fiqs8s.example");
    /* no authority: nothing to name */
    static const char *const bad[] = {"data:image/png;base64,AAAA", "about:blank",
                                      "blob:http://a.example/uuid", "://x", "http:///path",
                                      "http://user@/", "1http://a.example/", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(h, "junk");
        ASSERT_EQ(reasons_url_host(bad[i], h, sizeof h), -1);
        ASSERT_STR_EQ(h, "");
    }
    /* a host that does not fit is refused, never cut */
    ASSERT_EQ(reasons_url_host("https://abcdefghij.example/", h, 10), -1);
    ASSERT_STR_EQ(h, "");
    ASSERT_EQ(reasons_url_host("https://abcdefgh/", h, 9), 0);
    ASSERT_STR_EQ(h, "abcdefgh");
    ASSERT_EQ(reasons_url_host("https://a.example/", h, 0), -1);
    return 0;
}

TEST(distinct_hosts_in_order)
{
    json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "9.1", "b.example", "9.2", "",
                          "9.3", "a.example", "9.4", "b.example", "9.5", "c.example",
                          "9.6", "d.example");
    ASSERT_NOT_NULL(p);
    size_t distinct = 0;
    json_t *h = reasons_hosts(p, 3, &distinct);
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(distinct, 4);
    ASSERT_EQ(json_array_size(h), 3);
    ASSERT_STR_EQ(json_string_value(json_array_get(h, 0)), "b.example");
    ASSERT_STR_EQ(json_string_value(json_array_get(h, 1)), "a.example");
    ASSERT_STR_EQ(json_string_value(json_array_get(h, 2)), "c.example");
    char text[200];
    reasons_requests_text(text, sizeof text, 6, h, distinct);
    ASSERT_STR_EQ(text, "6 requests still pending (b.example, a.example, c.example, ...)");
    json_decref(h);
    /* a request removed (it finished) is no longer named */
    json_object_del(p, "9.6");
    h = reasons_hosts(p, 3, &distinct);
    ASSERT_EQ(distinct, 3);
    reasons_requests_text(text, sizeof text, 5, h, distinct);
    ASSERT_STR_EQ(text, "5 requests still pending (b.example, a.example, c.example)");
    json_decref(h);
    json_decref(p);
    /* nothing pending with a host: the count alone */
    p = json_pack("{s:s}", "1", "");
    h = reasons_hosts(p, 3, &distinct);
    ASSERT_EQ(distinct, 0);
    reasons_requests_text(text, sizeof text, 1, h, distinct);
    ASSERT_STR_EQ(text, "1 request still pending");
    json_decref(h);
    json_decref(p);
    h = reasons_hosts(NULL, 3, &distinct);   /* no map at all (memory ran out) */
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(json_array_size(h), 0);
    json_decref(h);
    return 0;
}

TEST(sentence_is_cut_to_its_buffer)
{
    json_t *h = json_pack("[s,s]", "a-rather-long-host.example", "another-long-host.example");
    char text[40];
    memset(text, 'x', sizeof text);
    reasons_requests_text(text, sizeof text, 12, h, 2);
    ASSERT_EQ(strlen(text), sizeof text - 1);
    ASSERT(!strncmp(text, "12 requests still pending (a-rather", 35));
    char one[1] = {'x'};
    reasons_requests_text(one, sizeof one, 12, h, 2);
    ASSERT_EQ(one[0], '\0');
    json_decref(h);
    return 0;
}

TEST(reason_object)
{
    json_t *r = reasons_item("wait_for_missing", json_pack("{s:s}", "selector", "#main"),
                             "the wait_for selector #main did not appear in time");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(json_string_value(json_object_get(r, "code")), "wait_for_missing");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(r, "params"), "selector")),
                  "#main");
    ASSERT(strstr(json_string_value(json_object_get(r, "text")), "#main"));
    json_decref(r);
    r = reasons_item("script_silent", NULL, "x");
    ASSERT(json_is_object(json_object_get(r, "params")));
    ASSERT_EQ(json_object_size(json_object_get(r, "params")), 0);
    json_decref(r);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(url_host),
    TEST_ENTRY(distinct_hosts_in_order),
    TEST_ENTRY(sentence_is_cut_to_its_buffer),
    TEST_ENTRY(reason_object),
    TEST_END,
};
TEST_MAIN()
