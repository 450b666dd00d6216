/* test_rule_endpoints.c -- a stored site rule's "endpoints" read back for the engine
 * (fidelity_rule_endpoints and its parsed form fidelity_rule_endpoints_json,
 * daemon/fidelity.c): the names in order, 0 for a rule that pins
 * none, -1 for one that does not read, and a hand-edited rule's bad entries left out
 * rather than trusted. */
#include <string.h>

#include "fidelity.h"
#include "test.h"

TEST(names_in_order)
{
    char names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    ASSERT_EQ(fidelity_rule_endpoints("{\"delay_ms\": 5, \"endpoints\": [\"near\", \"far-1\"]}",
                                      names, CONFIG_ENDPOINTS_MAX), 2);
    ASSERT_STR_EQ(names[0], "near");
    ASSERT_STR_EQ(names[1], "far-1");
    /* at most max */
    ASSERT_EQ(fidelity_rule_endpoints("{\"endpoints\": [\"a\", \"b\", \"c\"]}", names, 2), 2);
    ASSERT_STR_EQ(names[1], "b");
    return 0;
}

TEST(no_pin_is_zero)
{
    char names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    ASSERT_EQ(fidelity_rule_endpoints(NULL, names, CONFIG_ENDPOINTS_MAX), 0);
    ASSERT_EQ(fidelity_rule_endpoints("{}", names, CONFIG_ENDPOINTS_MAX), 0);
    ASSERT_EQ(fidelity_rule_endpoints("{\"endpoints\": []}", names, CONFIG_ENDPOINTS_MAX), 0);
    ASSERT_EQ(fidelity_rule_endpoints("{\"endpoints\": null}", names, CONFIG_ENDPOINTS_MAX), 0);
    ASSERT_EQ(fidelity_rule_endpoints("{\"endpoints\": \"near\"}", names, CONFIG_ENDPOINTS_MAX), 0);
    return 0;
}

TEST(unreadable_rule_is_an_error)
{
    char names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    ASSERT_EQ(fidelity_rule_endpoints("[\"near\"]", names, CONFIG_ENDPOINTS_MAX), -1);
    ASSERT_EQ(fidelity_rule_endpoints("not json", names, CONFIG_ENDPOINTS_MAX), -1);
    ASSERT_EQ(fidelity_rule_endpoints("", names, CONFIG_ENDPOINTS_MAX), -1);
    return 0;
}

TEST(bad_entries_left_out)
{
    char names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    ASSERT_EQ(fidelity_rule_endpoints("{\"endpoints\": [1, \"a.b\", \"\", \"ok\", \"ok\", "
                                      "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh\", "
                                      "\"x y\", \"last_1\"]}", names, CONFIG_ENDPOINTS_MAX), 2);
    ASSERT_STR_EQ(names[0], "ok");
    ASSERT_STR_EQ(names[1], "last_1");
    return 0;
}

/* the parsed form the engine uses (jobs_assign parses each rule once): the same answers */
TEST(parsed_rule_reads_the_same)
{
    char names[CONFIG_ENDPOINTS_MAX][CONFIG_ENDPOINT_NAME_MAX];
    json_t *o = json_loads("{\"cookies\": [], \"endpoints\": [\"near\", 7, \"near\", \"far\"]}",
                           0, NULL);
    ASSERT_NOT_NULL(o);
    ASSERT_EQ(fidelity_rule_endpoints_json(o, names, CONFIG_ENDPOINTS_MAX), 2);
    ASSERT_STR_EQ(names[0], "near");
    ASSERT_STR_EQ(names[1], "far");
    ASSERT_EQ(fidelity_rule_endpoints_json(o, names, 1), 1);
    json_decref(o);
    o = json_object();
    ASSERT_EQ(fidelity_rule_endpoints_json(o, names, CONFIG_ENDPOINTS_MAX), 0);
    json_decref(o);
    /* NULL is a rule whose text did not parse: unreadable, not "no pin" */
    ASSERT_EQ(fidelity_rule_endpoints_json(NULL, names, CONFIG_ENDPOINTS_MAX), -1);
    o = json_pack("[s]", "near");
    ASSERT_EQ(fidelity_rule_endpoints_json(o, names, CONFIG_ENDPOINTS_MAX), -1);
    json_decref(o);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(names_in_order),
    TEST_ENTRY(no_pin_is_zero),
    TEST_ENTRY(unreadable_rule_is_an_error),
    TEST_ENTRY(bad_entries_left_out),
    TEST_ENTRY(parsed_rule_reads_the_same),
    TEST_END
};
TEST_MAIN()
