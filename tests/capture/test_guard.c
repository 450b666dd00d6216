/* test_guard.c -- the address rules (capture/guard.c) against guard_cases.txt: every
 * spelling of a link-local, metadata, loopback or private address meets its rule, with
 * and without deny_private; non-http schemes are refused; host names go to resolution;
 * the one parse of a target (guard_parse_target) turns every numeric spelling into its
 * address and is always written. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "test.h"

/* A "target HOST EXPECT" line: guard_parse_target gives addr:TEXT, name:NAME or invalid,
 * and writes the whole target whatever the outcome (a target full of junk before). */
static int check_target(const char *host, const char *expect)
{
    guard_target_t t;
    char why[256] = "";
    memset(&t, 0xa5, sizeof t);
    int rc = guard_parse_target(host, &t, why, sizeof why);
    char got[300];
    if (rc != 0) {
        static const uint8_t zero[16] = {0};
        if (t.is_addr || t.name[0] || memcmp(t.addr, zero, 16) != 0) {
            fprintf(stderr, "  target %s: refused but not cleared\n", host);
            return 1;
        }
        if (!why[0]) {
            fprintf(stderr, "  target %s: refused without a reason\n", host);
            return 1;
        }
        snprintf(got, sizeof got, "invalid");
    } else {
        if (memchr(t.name, '\0', sizeof t.name) == NULL) {
            fprintf(stderr, "  target %s: name not terminated\n", host);
            return 1;
        }
        snprintf(got, sizeof got, "%s:%s", t.is_addr ? "addr" : "name", t.name);
        if (t.is_addr) {   /* the address agrees with its text */
            char text[64];
            int mapped = !memcmp(t.addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
            inet_ntop(mapped ? AF_INET : AF_INET6, mapped ? t.addr + 12 : t.addr, text, sizeof text);
            if (strcmp(text, t.name) != 0) {
                fprintf(stderr, "  target %s: address %s but name %s\n", host, text, t.name);
                return 1;
            }
        }
    }
    if (strcmp(got, expect) != 0) {
        fprintf(stderr, "  target %s: expected %s, got %s (%s)\n", host, expect, got, why);
        return 1;
    }
    return 0;
}

TEST(cases_file)
{
    FILE *f = fopen("guard_cases.txt", "r");
    ASSERT_NOT_NULL(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char mode[16], url[512], expect[300];
        if (sscanf(line, "%15s %511s %299s", mode, url, expect) != 3)
            continue;
        if (!strcmp(mode, "target")) {
            bad += check_target(url, expect);
            n++;
            continue;
        }
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
    ASSERT_GE(n, 150);
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
    /* issue 24 finding 6: which side the new ranges are on */
    ASSERT_EQ(guard_is_private("fec0::1"), 1);
    ASSERT_EQ(guard_is_private("192.0.0.8"), 1);
    ASSERT_EQ(guard_is_private("192.0.0.192"), 0);     /* never: not a private top */
    ASSERT_EQ(guard_is_private("2001::1"), 0);
    ASSERT_EQ(guard_is_private("64:ff9b:1::1"), 0);
    ASSERT_EQ(guard_is_private("203.0.113.5"), 0);     /* documentation: public */
    ASSERT_EQ(guard_check_ip(&off, "168.63.129.16", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "Azure") != NULL);
    ASSERT_EQ(guard_check_ip(&off, "::ffff:192.0.0.192", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "Oracle") != NULL);
    ASSERT_EQ(guard_check_ip(&off, "2001:0:4136:e378:8000:63bf:3fff:fdd2", why, sizeof why), GUARD_DENY);
    ASSERT(strstr(why, "Teredo") != NULL);
    /* a URL that is refused never leaves its host buffer unwritten */
    char host[64];
    memset(host, 'x', sizeof host);
    ASSERT_EQ(guard_check_url(&off, "http://127.1/", host, sizeof host, why, sizeof why), GUARD_ALLOW);
    ASSERT_STR_EQ(host, "");
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(cases_file),
    TEST_ENTRY(ip_checks_and_reasons),
    TEST_END,
};
TEST_MAIN()
