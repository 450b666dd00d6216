/* test_base64.c -- the screenshot decoder: known vectors, padding, whitespace, bad input,
 * and a round trip of random bytes through an independent encoder. */
#include <stdlib.h>

#include "postproc.h"
#include "test.h"

static void encode(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
}

TEST(vectors)
{
    unsigned char out[64];
    ASSERT_EQ(postproc_base64_decode("", 0, out), 0);
    ASSERT_EQ(postproc_base64_decode("Zg==", 4, out), 1);
    ASSERT_EQ(out[0], 'f');
    ASSERT_EQ(postproc_base64_decode("Zm9vYmFy", 8, out), 6);
    ASSERT(memcmp(out, "foobar", 6) == 0);
    ASSERT_EQ(postproc_base64_decode("Zm9v\nYmE=", 9, out), 5);          /* whitespace, padding */
    ASSERT(memcmp(out, "fooba", 5) == 0);
    ASSERT_EQ(postproc_base64_decode("iVBORw0KGgo=", 12, out), 8);       /* the PNG signature */
    ASSERT(memcmp(out, "\x89PNG\r\n\x1a\n", 8) == 0);
    ASSERT_EQ(postproc_base64_decode("Zm9v!", 5, out), -1);
    ASSERT_EQ(postproc_base64_decode("Zm-v", 4, out), -1);                /* url-safe alphabet is not ours */
    return 0;
}

TEST(round_trip)
{
    srand(7);
    for (size_t n = 0; n < 300; n++) {
        unsigned char in[300], out[300];
        char text[420];
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)rand();
        encode(in, n, text);
        ASSERT_EQ(postproc_base64_decode(text, strlen(text), out), (long)n);
        ASSERT(memcmp(in, out, n) == 0);
    }
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(vectors),
    TEST_ENTRY(round_trip),
    TEST_END,
};
TEST_MAIN()
