/* test_guard.c -- the address rules (capture/guard.c) against guard_cases.txt: every
 * spelling of a link-local, metadata, loopback or private address meets its rule, with
 * and without deny_private; non-http schemes are refused; host names go to resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "test.h"

TEST(cases_file)
{
    FILE *f = fopen("guard_cases.txt", "r");
    ASSERT_NOT_NULL(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char mode[16], url[512], expect[16];
        if (sscanf(line, "%15s %511s %15s", mode, url, expect) != 3)
            continue;
        int deny_private = mode[0] == '1';
        guard_rules_t r = {deny_private, strstr(mode, "pub") != NULL};
        char host[256] = "", why[256] = "";
        int rc = guard_check_url(&r, url, host, sizeof host, why, sizeof why);
        const char *got = rc == GUARD_ALLOW ? "allow" : rc == GUARD_DENY ? "deny" : "resolve";
        if (strcmp(got, expect) != 0) {
            fprintf(stderr, "  %s (mode %s): expected %s, got %s (%s)\n", url, mode,
                    expect, got, why);
            bad++;
        }
        if (rc == GUARD_DENY && !why[0]) {
            fprintf(stderr, "  %s: refused without a reason\n", url);
            bad++;
        }
        n++;
    }
    fclose(f);
    ASSERT_GE(n, 70);
    ASSERT_EQ(bad, 0);
    return 0;
}

TEST(ip_checks_and_reasons)
{
    guard_rules_t off = {.deny_private = 0}, on = {.deny_private = 1};
    char why[256];
    ASSERT_EQ(guard_check_ip(&off, "169.254.1.2", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "link-local") != NULL);
    ASSERT_EQ(guard_check_ip(&off, "::ffff:10.0.0.1", why, sizeof why), GUARD_ALLOW);
    ASSERT_EQ(guard_check_ip(&on, "::ffff:10.0.0.1", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "deny_private") != NULL);
    ASSERT_EQ(guard_check_ip(&off, "not-an-ip", why, sizeof why), GUARD_DENY);
    ASSERT_EQ(guard_check_ip(&off, "[fe80::1]", why, sizeof why), GUARD_DENY);
    ASSERT_EQ(guard_check_ip(&on, "93.184.216.34", why, sizeof why), GUARD_ALLOW);
    /* the reason names the IPv4 address an IPv6 spelling carries */
    ASSERT_EQ(guard_check_ip(&off, "64:ff9b::a9fe:a9fe", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "169.254.169.254") != NULL);
    guard_rules_t pub = {.top_public = 1};
    ASSERT_EQ(guard_check_ip(&pub, "10.0.0.1", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "private network access") != NULL);
    ASSERT_EQ(guard_is_private("10.0.0.1"), 1);
    ASSERT_EQ(guard_is_private("::1"), 1);
    ASSERT_EQ(guard_is_private("2002:7f00:1::"), 1);
    ASSERT_EQ(guard_is_private("8.8.8.8"), 0);
    ASSERT_EQ(guard_is_private("169.254.169.254"), 0);
    ASSERT_EQ(guard_is_private("junk"), 0);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(cases_file),
    TEST_ENTRY(ip_checks_and_reasons),
    TEST_END,
};
TEST_MAIN()
