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
    ASSERT_EQ(table_print(t, header, 0, 0, 0, f), 0);
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

TEST(width_without_locale_data)
{
    /* our own ranges: the same answer whatever the locale */
    setlocale(LC_CTYPE, "C");
    ASSERT_EQ(table_width("数据库"), 6);
    ASSERT_EQ(table_width("e\xcc\x81"), 1);
    ASSERT_EQ(table_width("한국어"), 6);          /* Hangul */
    ASSERT_EQ(table_width("カタカナ"), 8);
    ASSERT_EQ(table_width("ｱ"), 1);               /* halfwidth katakana */
    setlocale(LC_CTYPE, "C.UTF-8");
    return 0;
}

TEST(width_of_emoji_sequences)
{
    ASSERT_EQ(table_width("👍🏽"), 2);                 /* skin tone modifier joins */
    ASSERT_EQ(table_width("👩\xe2\x80\x8d💻"), 2);     /* ZWJ sequence: one picture */
    ASSERT_EQ(table_width("❤\xef\xb8\x8f"), 1);        /* variation selector adds nothing */
    ASSERT_EQ(table_width("⭐"), 2);
    ASSERT_EQ(table_width("\xe2\x80\x8b"), 0);          /* zero width space */
    return 0;
}

TEST(width_of_escapes_and_bad_bytes)
{
    ASSERT_EQ(table_width("\033[31mfailed\033[0m"), 6);
    ASSERT_EQ(table_width("a\xff" "b"), 3);          /* an invalid byte is one column */
    ASSERT_EQ(table_width("\xe4\xb8"), 2);           /* truncated sequence: two bad bytes */
    ASSERT_EQ(table_width("\xc0\xaf"), 2);           /* overlong */
    ASSERT_EQ(table_width("a\tb"), 2);                /* controls count nothing */
    return 0;
}

TEST(fit_edges)
{
    char out[64];
    table_fit("数据库", 5, out, sizeof out);           /* 2+2 then no room for a third */
    ASSERT_STR_EQ(out, "数据…");
    table_fit("数据库", 6, out, sizeof out);
    ASSERT_STR_EQ(out, "数据库");
    table_fit("abc", 0, out, sizeof out);
    ASSERT_STR_EQ(out, "");
    table_fit("abcdef", 1, out, sizeof out);
    ASSERT_STR_EQ(out, "…");
    table_fit("\033[31mfailed\033[0m", 4, out, sizeof out);
    ASSERT_STR_EQ(out, "\033[31mfai…\033[0m");        /* colour reset after a cut */
    ASSERT_EQ(table_width(out), 4);
    char small[8];
    table_fit("abcdefghijkl", 20, small, sizeof small);   /* the buffer, not cols, cuts */
    ASSERT_LT(strlen(small), sizeof small);
    return 0;
}

TEST(layout_shrinks_flex_then_widest)
{
    size_t w[] = {4, 40, 20, 8};
    table_layout(w, 4, 1, 60, 8);                      /* 4+40+20+8 + 6 = 78: 18 over */
    ASSERT_EQ(w[1], 22);
    ASSERT_EQ(w[2], 20);
    size_t v[] = {4, 10, 30, 8};
    table_layout(v, 4, 1, 40, 8);                      /* 58: flex gives 2, TAGS 16 */
    ASSERT_EQ(v[1], 8);
    ASSERT_EQ(v[2], 14);
    ASSERT_EQ(v[0] + v[1] + v[2] + v[3] + 6, 40);
    size_t u[] = {4, 10};
    table_layout(u, 2, 1, 0, 8);                       /* no limit */
    ASSERT_EQ(u[1], 10);
    size_t x[] = {8, 8, 8};
    table_layout(x, 3, 0, 10, 8);                      /* nothing can give: unchanged */
    ASSERT_EQ(x[0] + x[1] + x[2], 24);
    return 0;
}

TEST(table_cut_to_width_keeps_alignment)
{
    table_t *t = table_new(3);
    ASSERT_NOT_NULL(t);
    const char *r1[] = {"1", "一个非常非常非常非常非常长的中文标题", "数据库"};
    const char *r2[] = {"22", "short", "📸"};
    ASSERT_EQ(table_add(t, r1), 0);
    ASSERT_EQ(table_add(t, r2), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static const char *const header[] = {"ID", "TITLE", "TAGS"};
    ASSERT_EQ(table_print(t, header, 1, 30, 0, f), 0);
    fclose(f);
    table_free(t);
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        ASSERT_LE(table_width(line), 30);
        ASSERT(line[strlen(line) - 1] != ' ');         /* no trailing blanks */
    }
    ASSERT_EQ(lines, 3);
    free(buf);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(width_without_locale_data),
    TEST_ENTRY(width_of_emoji_sequences),
    TEST_ENTRY(width_of_escapes_and_bad_bytes),
    TEST_ENTRY(fit_edges),
    TEST_ENTRY(layout_shrinks_flex_then_widest),
    TEST_ENTRY(table_cut_to_width_keeps_alignment),
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
