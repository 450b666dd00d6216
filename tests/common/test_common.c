/* test_common.c -- unit tests for common/: capped buffer, time formatting/parsing, UTF-8,
 * base64 and the atomic file write. */
#include "buf.h"
#include "util.h"
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TEST(buf_append_and_cap)
{
    buf_t b;
    buf_init(&b, 8);
    ASSERT_EQ(buf_append(&b, "abcd", 4), 0);
    ASSERT_EQ(buf_append(&b, "efgh", 4), 0);
    ASSERT_EQ(buf_append(&b, "i", 1), -E2BIG);
    ASSERT_EQ(b.len, 8);
    ASSERT_STR_EQ(b.data, "abcdefgh");
    buf_consume(&b, 3);
    ASSERT_STR_EQ(b.data, "defgh");
    size_t n;
    char *p = buf_take(&b, &n);
    ASSERT_EQ(n, 5);
    ASSERT_STR_EQ(p, "defgh");
    free(p);
    ASSERT_EQ(b.len, 0);
    buf_free(&b);
    return 0;
}

/* Appending n bytes costs O(n) in all: the capacity grows geometrically, so it changes
 * O(log n) times, and it never runs far ahead of what is used. */
TEST(buf_appends_in_linear_time)
{
    buf_t b;
    buf_init(&b, 0);
    size_t last_cap = b.cap;
    int growths = 0;
    for (int i = 0; i < 100000; i++) {
        ASSERT_EQ(buf_printf(&b, "%d,", i % 10), 0);
        if (b.cap != last_cap) {
            growths++;
            last_cap = b.cap;
        }
    }
    ASSERT_EQ(b.len, 200000);
    ASSERT_GE(b.cap, b.len + 1);
    ASSERT(growths <= 24);           /* 200,000 bytes: a doubling buffer grows ~15 times */
    ASSERT(b.cap <= 4 * b.len);      /* not wildly over-allocated either */
    buf_free(&b);
    return 0;
}

TEST(time_roundtrip)
{
    char out[32];
    ASSERT_STR_EQ(util_format_rfc3339(0, out), "1970-01-01T00:00:00.000Z");
    ASSERT_STR_EQ(util_format_rfc3339(1177375336000LL, out), "2007-04-24T00:42:16.000Z");
    int64_t ms;
    ASSERT_EQ(util_parse_time("2007-04-24T00:42:16Z", &ms), 0);
    ASSERT_EQ(ms, 1177375336000LL);
    ASSERT_EQ(util_parse_time("2007-04-24T08:42:16+08:00", &ms), 0);
    ASSERT_EQ(ms, 1177375336000LL);
    ASSERT_EQ(util_parse_time("1177375336", &ms), 0);
    ASSERT_EQ(ms, 1177375336000LL);
    ASSERT_EQ(util_parse_time("2007-04-24", &ms), 0);
    ASSERT_EQ(ms, 1177372800000LL);
    ASSERT_EQ(util_parse_time("2007-13-24", &ms), -1);
    ASSERT_EQ(util_parse_time("yesterday", &ms), -1);
    ASSERT_EQ(util_parse_time("", &ms), -1);
    return 0;
}

TEST(utf8_validation)
{
    ASSERT(util_utf8_valid("abc", 3));
    ASSERT(util_utf8_valid("\xe4\xb8\xad\xe6\x96\x87", 6));       /* 中文 */
    ASSERT(util_utf8_valid("\xf0\x9f\x98\x80", 4));               /* emoji */
    ASSERT(!util_utf8_valid("\xe4\xb8", 2));                      /* truncated */
    ASSERT(!util_utf8_valid("\xc0\xaf", 2));                      /* overlong */
    ASSERT(!util_utf8_valid("\xed\xa0\x80", 3));                  /* surrogate */
    ASSERT(!util_utf8_valid("\xff", 1));
    return 0;
}

/* a 600-byte title (200 x 中) cut to 511 bytes must end on a character */
TEST(utf8_cut_on_character_boundary)
{
    char title[601];
    for (int i = 0; i < 200; i++)
        memcpy(title + i * 3, "\xe4\xb8\xad", 3);
    title[600] = '\0';
    size_t n = util_utf8_prefix(title, 600, 511);
    ASSERT_EQ(n, 510);
    ASSERT(util_utf8_valid(title, n));
    ASSERT_EQ(util_utf8_prefix("ab\xf0\x9f\x98\x80", 6, 5), 2);
    ASSERT_EQ(util_utf8_prefix("abc", 3, 0), 0);
    ASSERT_EQ(util_utf8_prefix("abc", 3, 10), 3);
    return 0;
}

TEST(utf8_repair_marks_each_bad_byte)
{
    size_t bad = 0;
    char *r = util_utf8_repair("a\xe4\xb8", 3, &bad);   /* a title an old linksnapd cut */
    ASSERT_STR_EQ(r, "a\xef\xbf\xbd\xef\xbf\xbd");
    ASSERT_EQ(bad, 2);
    free(r);
    r = util_utf8_repair("\xe4\xb8\xad ok", 6, &bad);
    ASSERT_STR_EQ(r, "\xe4\xb8\xad ok");
    ASSERT_EQ(bad, 0);
    free(r);
    return 0;
}

TEST(utf8_scrub_in_place)
{
    /* jansson quotes the raw bytes of a broken escape in its error text; the import
     * reports that text, so it must become valid UTF-8 (a fuzzer found this) */
    char msg[] = "invalid escape near '\"https:\\\xd1\xa4/' \xe4\xb8";
    ASSERT_EQ(util_utf8_scrub(msg), 2);
    ASSERT(util_utf8_valid(msg, strlen(msg)));
    ASSERT(strstr(msg, "\xd1\xa4") != NULL);   /* a whole character stays */
    char ok[] = "\xe4\xb8\xad ok";
    ASSERT_EQ(util_utf8_scrub(ok), 0);
    ASSERT_STR_EQ(ok, "\xe4\xb8\xad ok");
    return 0;
}

TEST(text_safe_replaces_controls)
{
    char *s = util_text_safe("t\x1b]0;x\x07y\xc2\x9b" "31m\tz\n\x7f\xe4\xb8\xad", 0);
    ASSERT_STR_EQ(s, "t\xef\xbf\xbd]0;x\xef\xbf\xbdy\xef\xbf\xbd" "31m\xef\xbf\xbd" "z\xef\xbf\xbd\xef\xbf\xbd\xe4\xb8\xad");
    free(s);
    s = util_text_safe("line\n\tnext\r", 1);
    ASSERT_STR_EQ(s, "line\n\tnext\xef\xbf\xbd");
    free(s);
    s = util_text_safe("\xc2\xa0ok\xff", 0);   /* U+00A0 is text; a stray byte is not */
    ASSERT_STR_EQ(s, "\xc2\xa0ok\xef\xbf\xbd");
    free(s);
    return 0;
}

TEST(base64_roundtrip)
{
    static const struct { const char *in, *out; } v[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < LS_ARRAY_LEN(v); i++) {
        char *e = util_base64_encode(v[i].in, strlen(v[i].in));
        ASSERT_STR_EQ(e, v[i].out);
        unsigned char d[16];
        long n = util_base64_decode(e, strlen(e), d);
        ASSERT_EQ(n, (long)strlen(v[i].in));
        ASSERT(memcmp(d, v[i].in, (size_t)n) == 0);
        free(e);
    }
    unsigned char all[256], back[260];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char *e = util_base64_encode(all, 256);
    ASSERT_EQ(util_base64_decode(e, strlen(e), back), 256);
    ASSERT(memcmp(all, back, 256) == 0);
    free(e);
    ASSERT_EQ(util_base64_decode("Zm9v!", 5, back), -1);
    ASSERT_EQ(util_base64_decode("Z", 1, back), -1);
    return 0;
}

/* The one decoder: a code point and its length, or 0 and U+FFFD; the encoder is its
 * inverse for every scalar value. */
TEST(utf8_decode_and_encode)
{
    static const struct { const char *s; size_t avail, len; uint32_t cp; } v[] = {
        {"a", 1, 1, 'a'}, {"", 1, 1, 0},                        /* NUL is U+0000 */
        {"\xc3\xa9", 2, 2, 0xE9}, {"\xe4\xb8\xad", 3, 3, 0x4E2D},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1F600},
        {"\xe4\xb8", 2, 0, 0xFFFD},                             /* cut short */
        {"\xe4\xb8\xad", 2, 0, 0xFFFD},                         /* avail cuts it */
        {"\xc0\xaf", 2, 0, 0xFFFD}, {"\xe0\x80\xaf", 3, 0, 0xFFFD},  /* overlong */
        {"\xed\xa0\x80", 3, 0, 0xFFFD},                         /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0, 0xFFFD},                     /* past U+10FFFF */
        {"\x80", 1, 0, 0xFFFD}, {"\xff", 1, 0, 0xFFFD}, {"a", 0, 0, 0xFFFD},
    };
    for (size_t i = 0; i < LS_ARRAY_LEN(v); i++) {
        uint32_t cp = 1;
        ASSERT_EQ(util_utf8_decode(v[i].s, v[i].avail, &cp), v[i].len);
        ASSERT_EQ(cp, v[i].cp);
    }
    char out[4];
    for (uint32_t c = 0; c <= 0x10FFFF; c += c < 0x800 ? 1 : 97) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        size_t n = util_utf8_encode(c, out);
        uint32_t back;
        ASSERT_EQ(util_utf8_decode(out, n, &back), n);
        ASSERT_EQ(back, c);
    }
    ASSERT_EQ(util_utf8_encode(0xD800, out), 3);                 /* not a scalar: U+FFFD */
    ASSERT(memcmp(out, "\xef\xbf\xbd", 3) == 0);
    return 0;
}

/* The atomic write leaves the new content under the name and no temporary beside it. */
TEST(write_file_atomic)
{
    char dir[] = "/tmp/ls-test-atomic-XXXXXX";
    ASSERT_NOT_NULL(mkdtemp(dir));
    char path[128], tmp[160];
    snprintf(path, sizeof path, "%s/f.bin", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ASSERT_EQ(util_write_file_atomic(path, "old", 3), 0);
    ASSERT_EQ(util_write_file_atomic(path, "new!", 4), 0);
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    char got[8] = "";
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    ASSERT_EQ(n, 4);
    ASSERT(memcmp(got, "new!", 4) == 0);
    ASSERT(access(tmp, F_OK) != 0);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no-such-dir/f.bin", dir);
    ASSERT_EQ(util_write_file_atomic(missing, "x", 1), -1);
    ASSERT_EQ(errno, ENOENT);
    unlink(path);
    rmdir(dir);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(base64_roundtrip),
    TEST_ENTRY(buf_append_and_cap),
    TEST_ENTRY(buf_appends_in_linear_time),
    TEST_ENTRY(time_roundtrip),
    TEST_ENTRY(utf8_validation),
    TEST_ENTRY(utf8_decode_and_encode),
    TEST_ENTRY(write_file_atomic),
    TEST_ENTRY(utf8_cut_on_character_boundary),
    TEST_ENTRY(utf8_repair_marks_each_bad_byte),
    TEST_ENTRY(utf8_scrub_in_place),
    TEST_ENTRY(text_safe_replaces_controls),
    TEST_END,
};
TEST_MAIN()
