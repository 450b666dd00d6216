/* test.h -- the unit-test harness (after libuv's test/task.h): typed assertions that print
 * both sides, a test list per binary, and a main that runs one test by name or all.
 *
 *   #include "test.h"
 *   TEST(buf_append_grows) { ... ASSERT_EQ(b.len, 3); }
 *   TEST_LIST = { TEST_ENTRY(buf_append_grows), TEST_END };
 *   TEST_MAIN()
 *
 * A failing assertion prints file:line and the values, and returns 1 from the test. Every
 * test binary prints "N passed, N failed" last, which CI reads. */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*test_fn)(void);
typedef struct { const char *name; test_fn fn; } test_entry_t;

#define TEST(name) static int test_##name(void)
#define TEST_ENTRY(name) { #name, test_##name }
#define TEST_END { NULL, NULL }
#define TEST_LIST static const test_entry_t test_list_[]

#define TEST_FAIL_(...)                                                                 \
    do {                                                                                \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                              \
        fprintf(stderr, __VA_ARGS__);                                                   \
        fprintf(stderr, "\n");                                                          \
        return 1;                                                                       \
    } while (0)

#define ASSERT(cond) do { if (!(cond)) TEST_FAIL_("assertion failed: %s", #cond); } while (0)
#define ASSERT_MSG(cond, ...) do { if (!(cond)) TEST_FAIL_(__VA_ARGS__); } while (0)

#define ASSERT_INT_OP_(a, op, b)                                                        \
    do {                                                                                \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                \
        if (!(a_ op b_))                                                                \
            TEST_FAIL_("%s %s %s (%jd vs %jd)", #a, #op, #b, a_, b_);                   \
    } while (0)
#define ASSERT_EQ(a, b) ASSERT_INT_OP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP_(a, >=, b)

#define ASSERT_NEAR(a, b, tol)                                                          \
    do {                                                                                \
        double a_ = (double)(a), b_ = (double)(b);                                      \
        if (!(fabs(a_ - b_) <= (tol)))                                                  \
            TEST_FAIL_("%s ~ %s (%.9g vs %.9g, tol %g)", #a, #b, a_, b_, (double)(tol)); \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                             \
    do {                                                                                \
        const char *a_ = (a), *b_ = (b);                                                \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                          \
            TEST_FAIL_("%s == %s (\"%s\" vs \"%s\")", #a, #b, a_ ? a_ : "(null)",        \
                       b_ ? b_ : "(null)");                                             \
    } while (0)

#define LS_TEST_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

#define TEST_MAIN()                                                                     \
    TEST_RUNNER_()                                                                      \
    int main(int argc, char **argv) { return test_main_(argc, argv); }

/* The runner alone, for a test file with a main of its own (which calls test_main_). */
#define TEST_RUNNER_()                                                                  \
    static int test_main_(int argc, char **argv)                                        \
    {                                                                                   \
        int passed = 0, failed = 0;                                                     \
        for (const test_entry_t *t = test_list_; t->name; t++) {                        \
            if (argc > 1 && strcmp(argv[1], t->name) != 0)                              \
                continue;                                                               \
            int rc = t->fn();                                                           \
            printf("%s %s\n", rc ? "FAIL" : "ok  ", t->name);                           \
            fflush(stdout);                                                             \
            if (rc) failed++; else passed++;                                            \
        }                                                                               \
        printf("%d passed, %d failed\n", passed, failed);                               \
        return failed || (passed == 0) ? 1 : 0;                                         \
    }

#endif
