/* test_url.c -- URL normalisation as a table of cases (tests/store/url_cases.txt: input,
 * tab, expected URL or "!words of the error"), plus the length limits and custom rules. */
#include <locale.h>

#include "store.h"
#include "test.h"

/* "\x01" in the table stands for that byte */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] == 'x' && r[2] && r[3]) {
            char hex[3] = {r[2], r[3], 0};
            *w++ = (char)strtol(hex, NULL, 16);
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

TEST(url_table)
{
    FILE *f = fopen("url_cases.txt", "r");
    ASSERT_MSG(f != NULL, "url_cases.txt not found (run from tests/store)");
    char line[4096];
    int n = 0, lineno = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *tab = strrchr(line, '\t');
        ASSERT_MSG(tab != NULL, "url_cases.txt:%d: no tab", lineno);
        *tab = '\0';
        char *input = line, *want = tab + 1;
        unescape(input);
        char *out = NULL, err[512] = "";
        int rc = store_normalize_url(NULL, input, &out, err, sizeof err);
        if (want[0] == '!') {
            if (rc != STORE_EINVAL || !strstr(err, want + 1)) {
                fprintf(stderr, "  url_cases.txt:%d: '%s': want error '%s', got rc %d '%s' %s\n",
                        lineno, input, want + 1, rc, err, out ? out : "");
                failures++;
            }
        } else if (rc != STORE_OK || strcmp(out, want) != 0) {
            fprintf(stderr, "  url_cases.txt:%d: '%s': want %s, got rc %d %s %s\n", lineno, input,
                    want, rc, out ? out : "(null)", err);
            failures++;
        }
        free(out);
        n++;
    }
    fclose(f);
    ASSERT_GE(n, 40);
    ASSERT_EQ(failures, 0);
    return 0;
}

TEST(url_length_limit)
{
    size_t n = 9000;
    char *u = malloc(n + 1);
    ASSERT_NOT_NULL(u);
    memcpy(u, "http://example.com/", 19);
    memset(u + 19, 'a', n - 19);
    u[n] = '\0';
    char *out = NULL, err[256];
    ASSERT_EQ(store_normalize_url(NULL, u, &out, err, sizeof err), STORE_EINVAL);
    ASSERT(strstr(err, "too long") != NULL);
    u[8000] = '\0';
    ASSERT_EQ(store_normalize_url(NULL, u, &out, err, sizeof err), STORE_OK);
    free(out);
    free(u);
    return 0;
}

TEST(url_custom_rules)
{
    static const char *const exact[] = {"ref", NULL};
    static const char *const prefixes[] = {"trk_", NULL};
    store_url_rules_t rules = {exact, prefixes};
    char *out = NULL, err[256];
    ASSERT_EQ(store_normalize_url(&rules, "http://e.com/?ref=1&trk_a=2&utm_source=3&x=4", &out, err, sizeof err), STORE_OK);
    ASSERT_STR_EQ(out, "http://e.com/?utm_source=3&x=4");   /* custom rules replace the defaults */
    free(out);
    return 0;
}

TEST(tag_normalisation)
{
    static const struct { const char *in, *out; } ok[] = {
        {"rust", "rust"}, {"  Rust  ", "Rust"}, {"数据库", "数据库"}, {"网络\xe3\x80\x80编程", "网络 编程"},
        {"a \t\n b", "a b"}, {"\xc2\xa0nbsp\xc2\xa0", "nbsp"}, {"C++", "C++"}, {"emoji 📸", "emoji 📸"},
        {"x", "x"},
    };
    char out[STORE_MAX_TAG_BYTES + 1], err[256];
    for (size_t i = 0; i < LS_TEST_LEN(ok); i++) {
        ASSERT_MSG(store_normalize_tag(ok[i].in, out, sizeof out, err, sizeof err) == STORE_OK, "%s: %s", ok[i].in, err);
        ASSERT_STR_EQ(out, ok[i].out);
    }
    char long64[64 * 3 + 1] = "", long65[65 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(long64, "字");
    strcpy(long65, long64);
    strcat(long65, "字");
    ASSERT_EQ(store_normalize_tag(long64, out, sizeof out, err, sizeof err), STORE_OK);
    static const char *bad[] = {"", "   ", "\xe3\x80\x80", "a,b", "bad\x01", "del\x7f", "\xe4\xb8", "\xc2\x85x"};
    for (size_t i = 0; i < LS_TEST_LEN(bad); i++)
        ASSERT_MSG(store_normalize_tag(bad[i], out, sizeof out, err, sizeof err) == STORE_EINVAL, "accepted bad tag %zu", i);
    ASSERT_EQ(store_normalize_tag(long65, out, sizeof out, err, sizeof err), STORE_EINVAL);
    ASSERT(strstr(err, "64") != NULL);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(url_table),
    TEST_ENTRY(url_length_limit),
    TEST_ENTRY(url_custom_rules),
    TEST_ENTRY(tag_normalisation),
    TEST_END,
};
TEST_RUNNER_()

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");   /* as linksnapd does: libidn2 needs a UTF-8 locale */
    return test_main_(argc, argv);
}
