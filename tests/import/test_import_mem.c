/* test_import_mem.c -- bounded-memory tests for import/: a 1,000,000-line text list, a
 * 100k-bookmark HTML export with large ICONs, a 100k-element JSON array and a 100k-row CSV,
 * generated chunk by chunk and fed to the parser while every allocation is counted.
 *
 * The counting is tests/lib/failmalloc.c's: this binary is linked with -Wl,--wrap=malloc,...
 * (ls_failmalloc in tests/CMakeLists.txt) and jansson is routed through json_set_alloc_funcs.
 * Its counters are the one piece of global mutable state here: an allocator hook cannot
 * carry a context. */
#include "failmalloc.h"
#include "import.h"
#include "test.h"

#include <stdint.h>

/* ---- a parse driven by a generator ---- */

typedef struct {
    uint64_t entries, errors, tagged;
    uint64_t bytes;
} count_t;

static int count_entry_cb(const import_entry_t *e, void *ud)
{
    count_t *c = ud;
    c->entries++;
    if (e->ntags)
        c->tagged++;
    return 0;
}

static void count_error_cb(uint64_t line, const char *reason, void *ud)
{
    count_t *c = ud;
    (void)line;
    (void)reason;
    c->errors++;
}

/* Writes the i-th piece of the input into out (at most cap bytes), returns its length;
 * 0 ends the input. */
typedef size_t (*gen_fn)(uint64_t i, uint64_t n, char *out, size_t cap);

#define CHUNK 65536

/* Runs the generator through a parser; returns the peak of live heap bytes during it. */
static int64_t run_counted(import_format_t fmt, gen_fn gen, uint64_t n, count_t *cnt, int *rc)
{
    static char chunk[CHUNK + 4096]; /* read-only between calls: reset on every use */
    memset(cnt, 0, sizeof(*cnt));
    failmalloc_reset_peak();
    int64_t start = failmalloc_live_bytes();
    import_parser_t *p = import_parser_new(fmt, count_entry_cb, count_error_cb, cnt);
    if (!p) {
        *rc = IMPORT_ENOMEM;
        return -1;
    }
    size_t fill = 0;
    *rc = IMPORT_OK;
    for (uint64_t i = 0;; i++) {
        size_t k = gen(i, n, chunk + fill, sizeof(chunk) - fill);
        if (k == 0)
            break;
        fill += k;
        if (fill >= CHUNK) {
            cnt->bytes += fill;
            if ((*rc = import_parser_feed(p, chunk, fill)) != IMPORT_OK)
                break;
            fill = 0;
        }
    }
    if (*rc == IMPORT_OK && fill) {
        cnt->bytes += fill;
        *rc = import_parser_feed(p, chunk, fill);
    }
    if (*rc == IMPORT_OK)
        *rc = import_parser_finish(p);
    import_parser_free(p);
    return failmalloc_peak_bytes() - start;
}

/* ---- generators ---- */

static size_t gen_text(uint64_t i, uint64_t n, char *out, size_t cap)
{
    if (i >= n)
        return 0;
    int k = snprintf(out, cap, "https://example.com/page/%llu?q=%llu\n", (unsigned long long)i,
                     (unsigned long long)(i * 7));
    return (size_t)k < cap ? (size_t)k : 0;
}

/* 100k bookmarks in folders of 1000 inside 10 top folders; every 1000th has a 300 KB ICON,
 * the others a small one. Piece i is one bookmark (plus folder markup around it), or a
 * 3000-byte slice of a large ICON. */
static size_t gen_html(uint64_t i, uint64_t n, char *out, size_t cap)
{
    static const size_t big_slices = 100; /* 100 x 3000 bytes of ICON */
    uint64_t per = 1000 + big_slices;     /* pieces per folder of 1000 bookmarks */
    uint64_t folders = n / 1000;
    if (i == 0)
        return (size_t)snprintf(out, cap, "\xef\xbb\xbf<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"
                                          "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n");
    i--;
    uint64_t f = i / per, j = i % per;
    if (f >= folders)
        return f == folders && j == 0 ? (size_t)snprintf(out, cap, "</DL><p>\n") : 0;
    size_t k = 0;
    if (j == 0) {
        if (f % 10 == 0)
            k += (size_t)snprintf(out + k, cap - k, "%s<DT><H3>Top %llu</H3>\n<DL><p>\n",
                                  f ? "</DL><p>\n" : "", (unsigned long long)(f / 10));
        k += (size_t)snprintf(out + k, cap - k,
                              "<DT><H3 ADD_DATE=\"1700000000\">Folder &amp; %llu</H3>\n<DL><p>\n",
                              (unsigned long long)f);
        k += (size_t)snprintf(out + k, cap - k, "<DT><A HREF=\"https://big.example/%llu\" ICON=\"data:image/png;base64,",
                              (unsigned long long)f);
        return k;
    }
    if (j <= big_slices) {
        memset(out, 'A', 3000);
        k = 3000;
        if (j == big_slices)
            k += (size_t)snprintf(out + k, cap - k, "\" ADD_DATE=\"1700000000\">Big icon</A>\n");
        return k;
    }
    uint64_t b = f * 1000 + (j - big_slices);
    k = (size_t)snprintf(out, cap,
                         "<DT><A HREF=\"https://example.com/b/%llu\" ADD_DATE=\"%llu\" "
                         "ICON=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9h"
                         "AAAABGdBTUEAAK/INwWK6QAAABl0RVh0U29mdHdhcmUAQWRvYmUgSW1hZ2VSZWFkeXHJZTwA\" "
                         "TAGS=\"t%llu,common\">Bookmark &#39;%llu&#39;</A>\n",
                         (unsigned long long)b, (unsigned long long)(1600000000 + b),
                         (unsigned long long)(b % 50), (unsigned long long)b);
    if (j == per - 1)
        k += (size_t)snprintf(out + k, cap - k, "</DL><p>\n");
    return k;
}

static size_t gen_json(uint64_t i, uint64_t n, char *out, size_t cap)
{
    if (i > n)
        return 0;
    if (i == n)
        return (size_t)snprintf(out, cap, "\n]\n");
    return (size_t)snprintf(out, cap,
                            "%s{\"href\":\"https://example.com/j/%llu\",\"description\":\"T %llu\","
                            "\"extended\":\"\",\"tags\":\"a b c\",\"time\":\"2020-01-01T00:00:00Z\"}",
                            i ? ",\n" : "[\n", (unsigned long long)i, (unsigned long long)i);
}

static size_t gen_csv(uint64_t i, uint64_t n, char *out, size_t cap)
{
    if (i > n)
        return 0;
    if (i == 0)
        return (size_t)snprintf(out, cap, "url,title,tags,created\r\n");
    return (size_t)snprintf(out, cap, "https://example.com/c/%llu,\"Title, %llu\",\"x,y\",%llu\r\n",
                            (unsigned long long)i, (unsigned long long)i,
                            (unsigned long long)(1600000000 + i));
}

/* ---- tests ---- */

#define PEAK_LIMIT (1 << 20) /* 1 MiB of heap whatever the input size */

TEST(text_million_lines_constant_memory)
{
    count_t small, big;
    int rc;
    int64_t peak_small = run_counted(IMPORT_FMT_AUTO, gen_text, 10000, &small, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(small.entries, 10000);
    int64_t peak_big = run_counted(IMPORT_FMT_AUTO, gen_text, 1000000, &big, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(big.entries, 1000000);
    ASSERT_EQ(big.errors, 0);
    ASSERT_GT(big.bytes, 30u << 20);
    ASSERT_GE(peak_big, IMPORT_MAX_URL);  /* the counter sees the parser's own buffers */
    ASSERT_LT(peak_big, PEAK_LIMIT);
    ASSERT_LE(peak_big, peak_small + 4096); /* 100x the input, the same memory */
    fprintf(stderr, "  text: %llu bytes, peak heap %lld bytes\n",
            (unsigned long long)big.bytes, (long long)peak_big);
    return 0;
}

TEST(html_100k_bookmarks_constant_memory)
{
    count_t small, big;
    int rc;
    int64_t peak_small = run_counted(IMPORT_FMT_AUTO, gen_html, 2000, &small, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(small.entries, 2000);
    int64_t peak_big = run_counted(IMPORT_FMT_AUTO, gen_html, 100000, &big, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(big.entries, 100000);
    ASSERT_EQ(big.tagged, 100000);  /* every bookmark sits in two folders */
    ASSERT_EQ(big.errors, 0);
    ASSERT_GT(big.bytes, 50u << 20);
    ASSERT_LT(peak_big, PEAK_LIMIT);
    ASSERT_LE(peak_big, peak_small + 4096);
    fprintf(stderr, "  html: %llu bytes, peak heap %lld bytes\n",
            (unsigned long long)big.bytes, (long long)peak_big);
    return 0;
}

TEST(json_array_100k_streams)
{
    count_t small, big;
    int rc;
    int64_t peak_small = run_counted(IMPORT_FMT_AUTO, gen_json, 1000, &small, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(small.entries, 1000);
    int64_t peak_big = run_counted(IMPORT_FMT_AUTO, gen_json, 100000, &big, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(big.entries, 100000);
    ASSERT_EQ(big.tagged, 100000);
    ASSERT_EQ(big.errors, 0);
    ASSERT_LT(peak_big, PEAK_LIMIT);
    ASSERT_LE(peak_big, peak_small + 4096);
    fprintf(stderr, "  json: %llu bytes, peak heap %lld bytes\n",
            (unsigned long long)big.bytes, (long long)peak_big);
    return 0;
}

TEST(csv_100k_rows_constant_memory)
{
    count_t small, big;
    int rc;
    int64_t peak_small = run_counted(IMPORT_FMT_AUTO, gen_csv, 1000, &small, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    int64_t peak_big = run_counted(IMPORT_FMT_AUTO, gen_csv, 100000, &big, &rc);
    ASSERT_EQ(rc, IMPORT_OK);
    ASSERT_EQ(big.entries, 100000);
    ASSERT_EQ(big.tagged, 100000);
    ASSERT_LT(peak_big, PEAK_LIMIT);
    ASSERT_LE(peak_big, peak_small + 4096);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(text_million_lines_constant_memory),
    TEST_ENTRY(html_100k_bookmarks_constant_memory),
    TEST_ENTRY(json_array_100k_streams),
    TEST_ENTRY(csv_100k_rows_constant_memory),
    TEST_END,
};

int main(int argc, char **argv)
{
    if (failmalloc_init() != 0) {
        fprintf(stderr, "failmalloc_init failed\n");
        return 1;
    }
    int passed = 0, failed = 0;
    for (const test_entry_t *t = test_list_; t->name; t++) {
        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        int rc = t->fn();
        printf("%s %s\n", rc ? "FAIL" : "ok  ", t->name);
        fflush(stdout);
        if (rc) failed++; else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed || (passed == 0) ? 1 : 0;
}
