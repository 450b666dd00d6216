/* test_textdiff.c -- the text diff (diff/textdiff.c) and the sequence diff it shares with
 * the visual diff (diff/seqdiff.c). */
#include "seqdiff.h"
#include "test.h"
#include "textdiff.h"

/* The runs applied to a give b: every EQ pairs equal items, every item is used once. */
static int runs_rebuild(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                        const seqdiff_run_t *r, size_t nr)
{
    size_t ia = 0, ib = 0;
    for (size_t i = 0; i < nr; i++) {
        if (r[i].kind != SEQDIFF_INS && r[i].a != ia)
            return 0;
        if (r[i].kind != SEQDIFF_DEL && r[i].b != ib)
            return 0;
        for (uint32_t t = 0; t < r[i].n; t++)
            if (r[i].kind == SEQDIFF_EQ && a[ia + t] != b[ib + t])
                return 0;
        ia += r[i].kind == SEQDIFF_INS ? 0 : r[i].n;
        ib += r[i].kind == SEQDIFF_DEL ? 0 : r[i].n;
    }
    return ia == na && ib == nb;
}

TEST(seqdiff_shortest_script)
{
    /* ABCABBA -> CBABAC: Myers' own example, 5 edits */
    const uint64_t a[] = {1, 2, 3, 1, 2, 2, 1}, b[] = {3, 2, 1, 2, 1, 3};
    seqdiff_run_t *r;
    size_t n;
    ASSERT_EQ(seqdiff_run(a, 7, b, 6, 100, &r, &n), 0);
    ASSERT(runs_rebuild(a, 7, b, 6, r, n));
    size_t edits = 0;
    for (size_t i = 0; i < n; i++)
        edits += r[i].kind == SEQDIFF_EQ ? 0 : r[i].n;
    ASSERT_EQ(edits, 5);
    free(r);
    /* the bound: 5 edits needed, 4 allowed */
    ASSERT_EQ(seqdiff_run(a, 7, b, 6, 4, &r, &n), SEQDIFF_FAR);
    ASSERT_EQ(n, 0);
    /* an insertion in a long run is one INS run, the rest equal */
    uint64_t x[100], y[110];
    for (int i = 0; i < 100; i++)
        x[i] = (uint64_t)i;
    for (int i = 0; i < 110; i++)
        y[i] = i < 40 ? (uint64_t)i : i < 50 ? (uint64_t)(1000 + i) : (uint64_t)(i - 10);
    ASSERT_EQ(seqdiff_run(x, 100, y, 110, 100, &r, &n), 0);
    ASSERT(runs_rebuild(x, 100, y, 110, r, n));
    ASSERT_EQ(n, 3);
    ASSERT_EQ(r[1].kind, SEQDIFF_INS);
    ASSERT_EQ(r[1].b, 40);
    ASSERT_EQ(r[1].n, 10);
    free(r);
    /* empty sides */
    ASSERT_EQ(seqdiff_run(x, 0, y, 3, 10, &r, &n), 0);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(r[0].kind, SEQDIFF_INS);
    free(r);
    return 0;
}

TEST(textdiff_added_and_removed)
{
    const char *a[] = {"Title", "First paragraph.", "Second paragraph.", "Old closing words."};
    const char *b[] = {"Title", "A new paragraph near the top.", "First paragraph.",
                       "Second paragraph.", "New closing words."};
    textdiff_result_t r;
    ASSERT_EQ(textdiff_blocks(a, 4, b, 5, 0, &r), 0);
    ASSERT_EQ(r.nadded, 2);
    ASSERT_EQ(r.added[0], 1);
    ASSERT_EQ(r.added[1], 4);
    ASSERT_EQ(r.nremoved, 1);
    ASSERT_EQ(r.removed[0], 3);
    textdiff_result_free(&r);
    return 0;
}

TEST(textdiff_white_space_and_empty_blocks)
{
    /* reflowed white space is no change; blocks of only white space are never reported */
    const char *a[] = {"one  two\nthree", "   ", "four"};
    const char *b[] = {" one two three ", "four", "\n\t"};
    textdiff_result_t r;
    ASSERT_EQ(textdiff_blocks(a, 3, b, 3, 0, &r), 0);
    ASSERT_EQ(r.nadded, 0);
    ASSERT_EQ(r.nremoved, 0);
    textdiff_result_free(&r);
    /* but a changed word is a block removed and one added */
    const char *c[] = {"one two tree", "four"};
    ASSERT_EQ(textdiff_blocks(a, 3, c, 2, 0, &r), 0);
    ASSERT_EQ(r.nadded, 1);
    ASSERT_EQ(r.added[0], 0);
    ASSERT_EQ(r.nremoved, 1);
    ASSERT_EQ(r.removed[0], 0);
    textdiff_result_free(&r);
    return 0;
}

TEST(textdiff_too_different_compares_sets)
{
    /* more edits than allowed (and no block once on each side to anchor on): a block is
     * added when no old block has its text, wherever it moved */
    const char *a[] = {"a", "a", "b", "b"};
    const char *b[] = {"b", "b", "x", "a", "a"};
    textdiff_result_t r;
    ASSERT_EQ(textdiff_blocks(a, 4, b, 5, 1, &r), 0);
    ASSERT_EQ(r.nadded, 1);
    ASSERT_EQ(r.added[0], 2);
    ASSERT_EQ(r.nremoved, 0);
    textdiff_result_free(&r);
    /* and aligned, moved blocks are edits */
    ASSERT_EQ(textdiff_blocks(a, 4, b, 5, 0, &r), 0);
    ASSERT_GT(r.nadded, 1);
    textdiff_result_free(&r);
    return 0;
}

TEST(anchored_keeps_changes_in_place)
{
    /* white rows (1) with a dot band (2) among them, same height: in place, the dot rows
     * modified; Myers alone shifts the white rows past the dots instead */
    uint64_t a[40], b[40];
    for (int i = 0; i < 40; i++) {
        a[i] = 1;
        b[i] = i % 10 == 5 ? 2 : 1;
    }
    seqdiff_run_t *r;
    size_t n, far;
    ASSERT_EQ(seqdiff_anchored(a, 40, b, 40, 100, &r, &n, &far), 0);
    ASSERT_EQ(far, 0);
    ASSERT(runs_rebuild(a, 40, b, 40, r, n));
    /* every hunk deletes and inserts at one place: DEL k at (i, i), INS k at (i + k, i) */
    for (size_t i = 0; i < n; i++)
        if (r[i].kind == SEQDIFF_DEL) {
            ASSERT(i + 1 < n);
            ASSERT_EQ(r[i + 1].kind, SEQDIFF_INS);
            ASSERT_EQ(r[i].a, r[i].b);
            ASSERT_EQ(r[i + 1].n, r[i].n);
        }
    free(r);
    /* an item once on each side anchors: the insertion before it stays an insertion */
    const uint64_t x[] = {1, 1, 7, 1, 1}, y[] = {1, 9, 9, 1, 7, 1, 1};
    ASSERT_EQ(seqdiff_anchored(x, 5, y, 7, 100, &r, &n, &far), 0);
    ASSERT(runs_rebuild(x, 5, y, 7, r, n));
    size_t ins = 0, del = 0;
    for (size_t i = 0; i < n; i++) {
        ins += r[i].kind == SEQDIFF_INS ? r[i].n : 0;
        del += r[i].kind == SEQDIFF_DEL ? r[i].n : 0;
    }
    ASSERT_EQ(ins, 2);
    ASSERT_EQ(del, 0);
    free(r);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(anchored_keeps_changes_in_place),
    TEST_ENTRY(seqdiff_shortest_script),
    TEST_ENTRY(textdiff_added_and_removed),
    TEST_ENTRY(textdiff_white_space_and_empty_blocks),
    TEST_ENTRY(textdiff_too_different_compares_sets),
    TEST_END,
};
TEST_MAIN()
