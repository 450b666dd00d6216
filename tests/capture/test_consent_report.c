/* test_consent_report.c -- consent_report_check (capture/consent.c), the C side of the
 * consent pass's report: a good report is kept as it is; hostile ones (audit finding 11:
 * a page that forged the report and bloated it to 20 MB) keep only what has the right
 * shape, within the limits, and say what was dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "test.h"

static json_t *check(const char *text)
{
    return consent_report_check(text, text ? strlen(text) : 0);
}

static size_t dumped_size(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    free(s);
    return n;
}

TEST(good_report_kept)
{
    const char *good =
        "{\"version\":1,\"layers\":[\"css\",\"generic\",\"scroll\"],\"managers\":[\"onetrust\"],"
        "\"hidden\":[{\"what\":\"div#cookie-box.notice\",\"why\":\"consent words: cookie\",\"cover\":0.12}],"
        "\"kept\":[{\"what\":\"header.site\",\"why\":\"a page header or navigation bar\"}],"
        "\"scroll\":[\"html: overflow hidden\"],\"dropped\":0}";
    json_t *r = check(good);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(json_array_size(json_object_get(r, "layers")), 3);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r, "managers"), 0)), "onetrust");
    json_t *h = json_array_get(json_object_get(r, "hidden"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(h, "what")), "div#cookie-box.notice");
    ASSERT_NEAR(json_number_value(json_object_get(h, "cover")), 0.12, 1e-9);
    ASSERT_EQ(json_array_size(json_object_get(r, "kept")), 1);
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), 1);
    ASSERT(!json_object_get(r, "problem"));
    ASSERT(!json_object_get(r, "dropped"));
    ASSERT_EQ(json_object_size(r), 5);
    json_decref(r);
    return 0;
}

TEST(not_a_report)
{
    static const char *const bad[] = {
        NULL, "", "[]", "\"text\"", "null", "{", "{\"version\":1,\"layers\":[\"css\"]} x",
        "{\"a\":1,\"a\":2}",
    };
    for (size_t i = 0; i < LS_TEST_LEN(bad); i++) {
        json_t *r = check(bad[i]);
        ASSERT_NOT_NULL(r);
        ASSERT_MSG(json_is_string(json_object_get(r, "problem")), "case %zu: no problem said", i);
        static const char *const lists[] = {"layers", "managers", "hidden", "kept", "scroll"};
        for (size_t j = 0; j < 5; j++)
            ASSERT_MSG(json_is_array(json_object_get(r, lists[j])) &&
                       json_array_size(json_object_get(r, lists[j])) == 0, "case %zu: %s kept", i, lists[j]);
        json_decref(r);
    }
    return 0;
}

TEST(wrong_shapes_dropped)
{
    json_t *r = check(
        "{\"version\":1,\"layers\":[\"css\",\"evil\",7,null],"
        "\"managers\":[\"didomi\",\"Fake Manager\",\"x<script>\",\"\",{\"a\":1},[\"onetrust\"]],"
        "\"hidden\":[{\"what\":\"div\",\"why\":\"w\",\"cover\":0.5},{\"what\":\"div\",\"why\":\"w\"},"
        "{\"what\":\"div\",\"why\":\"w\",\"cover\":5},{\"what\":1,\"why\":\"w\",\"cover\":0},"
        "{\"what\":\"div\",\"why\":\"w\",\"cover\":0.1,\"extra\":\"x\"},\"div\","
        "{\"what\":\"a\\u0007b\",\"why\":\"w\",\"cover\":0}],"
        "\"kept\":{\"what\":\"x\",\"why\":\"y\"},"
        "\"scroll\":[\"html: class x\",\"line\\nbreak\",true],"
        "\"injected\":{\"big\":1}}");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(json_array_size(json_object_get(r, "layers")), 1);
    ASSERT_EQ(json_array_size(json_object_get(r, "managers")), 1);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r, "managers"), 0)), "didomi");
    ASSERT_EQ(json_array_size(json_object_get(r, "hidden")), 1);
    ASSERT_EQ(json_array_size(json_object_get(r, "kept")), 0);
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), 1);
    ASSERT(!json_object_get(r, "injected"));
    /* 3 layers + 5 managers + 6 hidden + the kept object + 2 scroll + 1 unknown key */
    ASSERT_EQ(json_integer_value(json_object_get(r, "dropped")), 18);
    ASSERT(strstr(json_string_value(json_object_get(r, "problem")), "injected") ||
           strstr(json_string_value(json_object_get(r, "problem")), "wrong shape"));
    json_decref(r);
    /* a version that is not ours, a bad 'dropped', and the script's own count carried on */
    r = check("{\"version\":2,\"layers\":[\"css\"],\"dropped\":-1}");
    ASSERT_EQ(json_array_size(json_object_get(r, "layers")), 1);
    ASSERT(strstr(json_string_value(json_object_get(r, "problem")), "version"));
    json_decref(r);
    r = check("{\"version\":1,\"hidden\":[],\"dropped\":7}");
    ASSERT_EQ(json_integer_value(json_object_get(r, "dropped")), 7);
    json_decref(r);
    return 0;
}

TEST(limits_hold)
{
    /* a 20 MB "hidden" entry, as the audit's page sent: over the text limit, nothing kept */
    size_t big = 20 * 1024 * 1024;
    char *text = malloc(big + 200);
    ASSERT_NOT_NULL(text);
    int n = snprintf(text, 200, "{\"version\":1,\"managers\":[\"fake\"],\"hidden\":[{\"what\":\"");
    memset(text + n, 'A', big);
    snprintf(text + n + big, 200 - 1, "\",\"why\":\"w\",\"cover\":1}]}");
    json_t *r = consent_report_check(text, strlen(text));
    free(text);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(json_array_size(json_object_get(r, "managers")), 0);
    ASSERT_EQ(json_array_size(json_object_get(r, "hidden")), 0);
    ASSERT(strstr(json_string_value(json_object_get(r, "problem")), "over"));
    ASSERT_LT(dumped_size(r), 1024);
    json_decref(r);

    /* within the text limit: one string over 200 bytes, and lists over 64 entries */
    char *t = malloc(CONSENT_REPORT_MAX_TEXT);
    ASSERT_NOT_NULL(t);
    size_t len = (size_t)snprintf(t, CONSENT_REPORT_MAX_TEXT, "{\"version\":1,\"scroll\":[\"%0*d\"",
                                  CONSENT_REPORT_MAX_STRING + 1, 0);
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(t + len, CONSENT_REPORT_MAX_TEXT - len, ",\"body: class c%d\"", i);
    len += (size_t)snprintf(t + len, CONSENT_REPORT_MAX_TEXT - len, "],\"managers\":[");
    for (int i = 0; i < 70; i++)
        len += (size_t)snprintf(t + len, CONSENT_REPORT_MAX_TEXT - len, "%s\"m%d\"", i ? "," : "", i);
    len += (size_t)snprintf(t + len, CONSENT_REPORT_MAX_TEXT - len, "]}");
    ASSERT_LT(len, CONSENT_REPORT_MAX_TEXT - 1);
    r = consent_report_check(t, len);
    free(t);
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), CONSENT_REPORT_MAX_ENTRIES);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(r, "scroll"), 0)), "body: class c0");
    ASSERT_EQ(json_array_size(json_object_get(r, "managers")), CONSENT_REPORT_MAX_ENTRIES);
    /* the long string, 36 scroll entries past 64, 6 managers past 64 */
    ASSERT_EQ(json_integer_value(json_object_get(r, "dropped")), 1 + 36 + 6);
    json_decref(r);

    /* a string of exactly 200 bytes stays; invalid UTF-8 anywhere refuses the text */
    char ok[400];
    snprintf(ok, sizeof ok, "{\"version\":1,\"scroll\":[\"%0*d\"]}", CONSENT_REPORT_MAX_STRING, 0);
    r = check(ok);
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), 1);
    ASSERT(!json_object_get(r, "problem"));
    json_decref(r);
    r = check("{\"version\":1,\"scroll\":[\"\xff\xfe\"]}");
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), 0);
    ASSERT(json_object_get(r, "problem"));
    json_decref(r);
    r = check("{\"version\":1,\"scroll\":[\"a\\u0000b\",\"\\ud800\"]}");
    ASSERT_EQ(json_array_size(json_object_get(r, "scroll")), 0);
    json_decref(r);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(good_report_kept),
    TEST_ENTRY(not_a_report),
    TEST_ENTRY(wrong_shapes_dropped),
    TEST_ENTRY(limits_hold),
    TEST_END,
};
TEST_MAIN()
