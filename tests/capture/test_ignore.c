/* test_ignore.c -- capture/ignore.c's check of what the page's world returned for a site
 * rule's ignored elements: boxes scaled to the shot's pixels and rounded outwards, clipped
 * at the page's top and left, empty and malformed ones dropped, texts repaired and capped
 * (the page's world is not trusted). The script itself runs in real Chromium in
 * tests/daemon/test_diff_chromium.py. */
#include <string.h>

#include <jansson.h>

#include "ignore.h"
#include "test.h"

static json_int_t box_at(const json_t *r, size_t i, size_t k)
{
    return json_integer_value(json_array_get(json_array_get(json_object_get(r, "boxes"), i), k));
}

TEST(boxes_scaled_rounded_outwards_and_clipped)
{
    json_t *v = json_loads("[{\"x\": 10.4, \"y\": 100.6, \"w\": 20.2, \"h\": 10, \"text\": \"10:00\"},"
                           " {\"x\": -5, \"y\": -3, \"w\": 10, \"h\": 8, \"text\": \"\"},"
                           " {\"x\": 50, \"y\": 60, \"w\": 0, \"h\": 10, \"text\": \"hidden\"},"
                           " {\"x\": \"1\", \"y\": 2, \"w\": 3, \"h\": 4},"
                           " 7]", 0, NULL);
    ASSERT_NOT_NULL(v);
    char err[200];
    json_t *r = ignore_check(v, 2, err, sizeof err);
    ASSERT_NOT_NULL(r);
    /* 10.4..30.6 x 100.6..110.6 at scale 2: 20..62 x 201..222 */
    ASSERT_EQ(json_array_size(json_object_get(r, "boxes")), 2);
    ASSERT_EQ(box_at(r, 0, 0), 20);
    ASSERT_EQ(box_at(r, 0, 1), 201);
    ASSERT_EQ(box_at(r, 0, 2), 42);
    ASSERT_EQ(box_at(r, 0, 3), 21);
    /* above and left of the page: what is on it, from 0 */
    ASSERT_EQ(box_at(r, 1, 0), 0);
    ASSERT_EQ(box_at(r, 1, 1), 0);
    ASSERT_EQ(box_at(r, 1, 2), 10);
    ASSERT_EQ(box_at(r, 1, 3), 10);
    /* an element of no width keeps its text (it may still be in the page's text) */
    json_t *texts = json_object_get(r, "texts");
    ASSERT_EQ(json_array_size(texts), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(texts, 0)), "10:00");
    ASSERT_STR_EQ(json_string_value(json_array_get(texts, 1)), "hidden");
    json_decref(r);
    /* scale 0 is 1 */
    r = ignore_check(v, 0, err, sizeof err);
    ASSERT_EQ(box_at(r, 0, 0), 10);
    ASSERT_EQ(box_at(r, 0, 2), 21);
    json_decref(r);
    json_decref(v);
    /* not a list */
    v = json_pack("{s:i}", "x", 1);
    ASSERT_NULL(ignore_check(v, 1, err, sizeof err));
    ASSERT(strstr(err, "not a list") || strstr(err, "other than a list"));
    json_decref(v);
    return 0;
}

TEST(caps_and_bad_text)
{
    json_t *v = json_array();
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < IGNORE_MAX_BOXES + 50; i++)
        json_array_append_new(v, json_pack("{s:i,s:i,s:i,s:i,s:s}", "x", i, "y", i, "w", 5,
                                           "h", 5, "text", big));
    char err[200];
    json_t *r = ignore_check(v, 1, err, sizeof err);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(json_array_size(json_object_get(r, "boxes")), IGNORE_MAX_BOXES);
    json_t *texts = json_object_get(r, "texts");
    size_t total = 0;
    for (size_t i = 0; i < json_array_size(texts); i++) {
        ASSERT_EQ(json_string_length(json_array_get(texts, i)), 4 * IGNORE_MAX_TEXT);
        total += json_string_length(json_array_get(texts, i));
    }
    ASSERT_GT(json_array_size(texts), 0);
    ASSERT_LE(total, IGNORE_MAX_TEXTS_BYTES);
    json_decref(r);
    json_decref(v);
    /* a text with a NUL and bad UTF-8 comes back valid */
    v = json_loads("[{\"x\": 0, \"y\": 0, \"w\": 1, \"h\": 1, \"text\": \"a\\u0000b\"}]",
                   JSON_ALLOW_NUL, NULL);
    ASSERT_NOT_NULL(v);
    r = ignore_check(v, 1, err, sizeof err);
    ASSERT_NOT_NULL(r);
    const json_t *t = json_array_get(json_object_get(r, "texts"), 0);
    ASSERT_NOT_NULL(t);
    ASSERT_NULL(memchr(json_string_value(t), '\0', json_string_length(t)));
    json_decref(r);
    json_decref(v);
    return 0;
}

TEST(script_holds_the_selectors_as_a_literal)
{
    json_t *sel = json_pack("[s,s]", ".clock", "a[title=\"x\"]");
    char *s = ignore_script(sel);
    ASSERT_NOT_NULL(s);
    ASSERT(strstr(s, "[\".clock\",\"a[title=\\\"x\\\"]\"], 200, 1000)"));
    free(s);
    json_decref(sel);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(boxes_scaled_rounded_outwards_and_clipped),
    TEST_ENTRY(caps_and_bad_text),
    TEST_ENTRY(script_holds_the_selectors_as_a_literal),
    TEST_END,
};
TEST_MAIN()
