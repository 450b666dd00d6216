/* test_table.c -- display width (ASCII, CJK, emoji, combining marks), cutting with an
 * ellipsis at a column count, and table alignment with Chinese cells. */
#include <locale.h>
#include <stdlib.h>

#include "table.h"
#include "test.h"

TEST(display_width)
{
    ASSERT_EQ(table_width("abc"), 3);
    ASSERT_EQ(table_width("数据库"), 6);
    ASSERT_EQ(table_width("a中b"), 4);
    ASSERT_EQ(table_width("📸"), 2);
    ASSERT_EQ(table_width("e\xcc\x81"), 1);        /* e + combining acute */
    ASSERT_EQ(table_width("ｆｕｌｌ"), 8);          /* fullwidth Latin */
    ASSERT_EQ(table_width(""), 0);
    return 0;
}

TEST(fit_with_ellipsis)
{
    char out[64];
    table_fit("hello world", 8, out, sizeof out);
    ASSERT_STR_EQ(out, "hello w…");
    ASSERT_EQ(table_width(out), 8);
    table_fit("中文标题很长", 7, out, sizeof out);   /* 3 wide chars + … = 7 */
    ASSERT_STR_EQ(out, "中文标…");
    ASSERT_LE(table_width(out), 7);
    table_fit("short", 10, out, sizeof out);
    ASSERT_STR_EQ(out, "short");
    return 0;
}

TEST(table_aligns_cjk)
{
    table_t *t = table_new(2);
    ASSERT_NOT_NULL(t);
    const char *r1[] = {"数据库", "3"}, *r2[] = {"db", "12"};
    ASSERT_EQ(table_add(t, r1), 0);
    ASSERT_EQ(table_add(t, r2), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static const char *const header[] = {"TAG", "LINKS"};
    table_print(t, header, 0, 0, 0, f);
    fclose(f);
    table_free(t);
    /* the second column starts at the same display column on every line */
    char *line = strtok(buf, "\n");
    size_t col = 0;
    int lines = 0;
    while (line) {
        char *sep = strstr(line, "  ");
        ASSERT_NOT_NULL(sep);
        while (*sep == ' ')
            sep++;
        char saved = *sep;
        *sep = '\0';
        size_t c = table_width(line);
        *sep = saved;
        if (lines++ == 0)
            col = c;
        ASSERT_EQ(c, col);
        line = strtok(NULL, "\n");
    }
    ASSERT_EQ(lines, 3);
    free(buf);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(display_width),
    TEST_ENTRY(fit_with_ellipsis),
    TEST_ENTRY(table_aligns_cjk),
    TEST_END,
};
TEST_RUNNER_()

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    return test_main_(argc, argv);
}
