/* test_cookies.c -- the Netscape cookies.txt parser (common/cookies.c) on
 * cookies_sample.txt: good lines in every form (subdomain flag, #HttpOnly_, an empty value,
 * a quoted value, CRLF) become cookies; each kind of bad line is reported with its line
 * number and the others still parse; the size, count and NUL limits hold. The scope test
 * a site rule applies to each cookie (cookies_domain_within): the rule's host and, for a
 * host rule, its subdomains; never a parent, a sibling, a look-alike suffix or another
 * host (audit finding 7: a cookies.txt for members.example also held evil.example). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookies.h"
#include "test.h"

#define NOW 1764547200    /* 2025-12-01 */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    return buf;
}

TEST(sample_file)
{
    size_t len;
    char *text = slurp("cookies_sample.txt", &len);
    ASSERT_NOT_NULL(text);
    cookies_list_t l;
    int rc = cookies_parse_netscape(text, len, NOW, &l);
    free(text);
    ASSERT_EQ(rc, COOKIES_OK);
    ASSERT_EQ(l.n, 6);
    ASSERT_STR_EQ(l.v[0].domain, ".members.example");
    ASSERT_EQ(l.v[0].include_subdomains, 1);
    ASSERT_EQ(l.v[0].secure, 1);
    ASSERT_EQ(l.v[0].http_only, 0);
    ASSERT_EQ(l.v[0].expires, 0);
    ASSERT_STR_EQ(l.v[0].name, "session");
    ASSERT_STR_EQ(l.v[0].value, "abc123");
    ASSERT_STR_EQ(l.v[1].domain, "members.example");
    ASSERT_EQ(l.v[1].http_only, 1);
    ASSERT_STR_EQ(l.v[1].path, "/account");
    ASSERT_EQ(l.v[1].expires, 4102444800LL);
    ASSERT_STR_EQ(l.v[1].value, "s%3Aq9.x");
    ASSERT_STR_EQ(l.v[3].value, "\"a b,c\"");
    ASSERT_STR_EQ(l.v[4].name, "empty");
    ASSERT_STR_EQ(l.v[4].value, "");
    ASSERT_STR_EQ(l.v[5].domain, "crlf.example");
    ASSERT_STR_EQ(l.v[5].value, "lf");        /* the CR is not part of the value */
    static const struct {
        size_t line;
        const char *says;
    } want[] = {
        {9, "5 fields"}, {10, "include-subdomains"}, {11, "path"}, {12, "expiry"},
        {13, "expired"}, {14, "cookie name"}, {15, "value"}, {16, "domain"}, {17, "empty domain"},
        {18, "1 fields"},
    };
    ASSERT_EQ(l.error_count, LS_TEST_LEN(want));
    ASSERT_EQ(l.nerrors, LS_TEST_LEN(want));
    for (size_t i = 0; i < LS_TEST_LEN(want); i++) {
        ASSERT_EQ(l.errors[i].line, want[i].line);
        ASSERT_MSG(strstr(l.errors[i].reason, want[i].says), "line %zu: \"%s\" lacks \"%s\"",
                   want[i].line, l.errors[i].reason, want[i].says);
    }
    cookies_list_free(&l);
    ASSERT_EQ(l.n, 0);
    cookies_list_free(&l);       /* twice is harmless */
    return 0;
}

TEST(limits)
{
    cookies_list_t l;
    ASSERT_EQ(cookies_parse_netscape("", 0, NOW, &l), COOKIES_OK);
    ASSERT_EQ(l.n, 0);
    cookies_list_free(&l);
    ASSERT_EQ(cookies_parse_netscape("x", COOKIES_MAX_TEXT + 1, NOW, &l), COOKIES_ETOOBIG);
    cookies_list_free(&l);
    const char nul[] = "a.example\tFALSE\t/\tFALSE\t0\tn\tv\0w\nb.example\tFALSE\t/\tFALSE\t0\tm\tv\n";
    ASSERT_EQ(cookies_parse_netscape(nul, sizeof nul - 1, NOW, &l), COOKIES_OK);
    ASSERT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, "m");
    ASSERT_EQ(l.errors[0].line, 1);
    ASSERT(strstr(l.errors[0].reason, "NUL"));
    cookies_list_free(&l);
    /* past COOKIES_MAX_COUNT cookies, and past COOKIES_MAX_ERRORS kept errors */
    size_t n = COOKIES_MAX_COUNT + 150, cap = n * 48 + 1, len = 0;
    char *big = malloc(cap);
    ASSERT_NOT_NULL(big);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(big + len, cap - len, "c.example\tFALSE\t/\tFALSE\t0\tc%zu\tv\n", i);
    ASSERT_EQ(cookies_parse_netscape(big, len, NOW, &l), COOKIES_OK);
    free(big);
    ASSERT_EQ(l.n, COOKIES_MAX_COUNT);
    ASSERT_EQ(l.error_count, 150);
    ASSERT_EQ(l.nerrors, COOKIES_MAX_ERRORS);
    ASSERT(strstr(l.errors[0].reason, "more than"));
    cookies_list_free(&l);
    return 0;
}

TEST(domain_within_rule_host)
{
    static const struct {
        const char *domain, *host;
        int sub, want;
    } cases[] = {
        {"members.example", "members.example", 1, 1},
        {".members.example", "members.example", 1, 1},
        {"Members.Example.", "members.example", 1, 1},
        {"www.members.example", "members.example", 1, 1},
        {".a.b.members.example", "members.example", 1, 1},
        {"www.members.example", "members.example", 0, 0},    /* host:port and prefix rules */
        {".members.example", "members.example", 0, 1},
        {"evil.example", "members.example", 1, 0},
        {"example", "members.example", 1, 0},               /* a parent */
        {".example", "members.example", 1, 0},
        {"evilmembers.example", "members.example", 1, 0},   /* a look-alike suffix */
        {"members.example.evil", "members.example", 1, 0},
        {"xmembers.example", "members.example", 1, 0},
        {".", "members.example", 1, 0},
        {"", "members.example", 1, 0},
        {"members.example", "", 1, 0},
        {"127.0.0.1", "127.0.0.1", 1, 1},
        {"10.127.0.0.1", "127.0.0.1", 1, 0},                /* no subdomains of an address */
        {"1.1", "0.1.1", 1, 0},
        {"[::1]", "[::1]", 1, 1},
        {"x.[::1]", "[::1]", 1, 0},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++)
        ASSERT_MSG(cookies_domain_within(cases[i].domain, cases[i].host, cases[i].sub) == cases[i].want,
                   "'%s' within '%s' (subdomains %d) should be %d", cases[i].domain, cases[i].host,
                   cases[i].sub, cases[i].want);
    ASSERT_EQ(cookies_domain_within(NULL, "members.example", 1), 0);
    /* each parsed cookie knows its line, for the report of what was skipped */
    cookies_list_t l;
    const char two[] = "# c\na.example\tFALSE\t/\tFALSE\t0\tn\tv\n\nb.example\tTRUE\t/\tFALSE\t0\tm\tv\n";
    ASSERT_EQ(cookies_parse_netscape(two, sizeof two - 1, NOW, &l), COOKIES_OK);
    ASSERT_EQ(l.n, 2);
    ASSERT_EQ(l.v[0].line, 2);
    ASSERT_EQ(l.v[1].line, 4);
    cookies_list_free(&l);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(sample_file),
    TEST_ENTRY(limits),
    TEST_ENTRY(domain_within_rule_host),
    TEST_END,
};
TEST_MAIN()
