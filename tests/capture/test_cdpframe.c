/* test_cdpframe.c -- the DevTools pipe's framing (capture/cdpframe.c): messages cut at their
 * NULs whatever the read sizes, an oversized message dropped with its command id and exact
 * length while the messages around it come through, an event over the cap dropped without an
 * id, a stop from a callback, and the id reader on the shapes Chromium writes. */
#include "cdpframe.h"
#include "test.h"

typedef struct {
    char got[16][64];
    size_t n;
    long drop_id[8];
    uint64_t drop_len[8];
    size_t ndrop;
    size_t stop_after;   /* 0 = never */
} sink_t;

static int msg_cb(const char *text, size_t len, void *ud)
{
    sink_t *k = ud;
    if (k->n < 16)
        snprintf(k->got[k->n], sizeof k->got[0], "%.*s", (int)len, text);
    k->n++;
    return k->stop_after && k->n >= k->stop_after;
}

static int drop_cb(long id, uint64_t len, void *ud)
{
    sink_t *k = ud;
    if (k->ndrop < 8) {
        k->drop_id[k->ndrop] = id;
        k->drop_len[k->ndrop] = len;
    }
    k->ndrop++;
    return 0;
}

/* Feeds the bytes in reads of `step` bytes through room/commit. */
static int feed_steps(cdpframe_t *f, const char *p, size_t n, size_t step, sink_t *k)
{
    while (n) {
        size_t room;
        char *at = cdpframe_room(f, step, &room);
        if (!at)
            return -1;
        if (room > n)
            room = n;
        memcpy(at, p, room);
        int rc = cdpframe_commit(f, room, msg_cb, drop_cb, k);
        if (rc)
            return rc;
        p += room;
        n -= room;
    }
    return 0;
}

TEST(messages_cut_at_nuls_whatever_the_reads)
{
    static const char in[] = "{\"id\":1}\0{\"method\":\"A\"}\0\0{\"id\":22,\"result\":{}}\0{\"par";
    for (size_t step = 1; step <= sizeof in; step++) {
        cdpframe_t f;
        sink_t k = {0};
        cdpframe_init(&f, 1024);
        ASSERT_EQ(feed_steps(&f, in, sizeof in - 1, step, &k), 0);
        ASSERT_EQ(k.n, 4);
        ASSERT_STR_EQ(k.got[0], "{\"id\":1}");
        ASSERT_STR_EQ(k.got[1], "{\"method\":\"A\"}");
        ASSERT_STR_EQ(k.got[2], "");
        ASSERT_STR_EQ(k.got[3], "{\"id\":22,\"result\":{}}");
        ASSERT_EQ(f.in.len, 5);   /* the partial message waits */
        ASSERT_EQ(k.ndrop, 0);
        cdpframe_free(&f);
    }
    return 0;
}

TEST(oversized_reply_dropped_alone)
{
    /* a cap of 64: a 300-byte reply between two small messages */
    char in[512];
    size_t n = 0;
    n += (size_t)sprintf(in + n, "{\"id\":1}") + 1;
    size_t big_at = n;
    n += (size_t)sprintf(in + n, "{\"id\":7,\"result\":{\"data\":\"");
    while (n < big_at + 290)
        in[n++] = 'x';
    n += (size_t)sprintf(in + n, "\"}}") + 1;
    size_t big_len = n - 1 - big_at;
    n += (size_t)sprintf(in + n, "{\"id\":2}") + 1;
    for (size_t step = 1; step <= 80; step += 7) {
        cdpframe_t f;
        sink_t k = {0};
        cdpframe_init(&f, 64);
        ASSERT_EQ(feed_steps(&f, in, n, step, &k), 0);
        ASSERT_EQ(k.n, 2);
        ASSERT_STR_EQ(k.got[0], "{\"id\":1}");
        ASSERT_STR_EQ(k.got[1], "{\"id\":2}");
        ASSERT_EQ(k.ndrop, 1);
        ASSERT_EQ(k.drop_id[0], 7);
        ASSERT_EQ((long long)k.drop_len[0], (long long)big_len);
        ASSERT_EQ(f.dropping, 0);
        cdpframe_free(&f);
    }
    return 0;
}

TEST(message_of_exactly_the_cap_is_dropped_one_under_kept)
{
    char in[200];
    memset(in, 'a', sizeof in);
    in[0] = '{';
    cdpframe_t f;
    sink_t k = {0};
    cdpframe_init(&f, 32);
    in[31] = '\0';   /* 31 bytes: kept */
    ASSERT_EQ(cdpframe_feed(&f, in, 32, msg_cb, drop_cb, &k), 0);
    ASSERT_EQ(k.n, 1);
    in[32 + 32] = '\0';   /* 32 bytes: dropped, no id */
    ASSERT_EQ(cdpframe_feed(&f, in + 32, 33, msg_cb, drop_cb, &k), 0);
    ASSERT_EQ(k.n, 1);
    ASSERT_EQ(k.ndrop, 1);
    ASSERT_EQ(k.drop_id[0], -1);
    ASSERT_EQ((long long)k.drop_len[0], 32);
    cdpframe_free(&f);
    return 0;
}

TEST(a_callback_stops_the_rest)
{
    static const char in[] = "{\"id\":1}\0{\"id\":2}\0{\"id\":3}\0";
    cdpframe_t f;
    sink_t k = {.stop_after = 2};
    cdpframe_init(&f, 1024);
    ASSERT_EQ(cdpframe_feed(&f, in, sizeof in - 1, msg_cb, drop_cb, &k), 1);
    ASSERT_EQ(k.n, 2);
    cdpframe_free(&f);
    return 0;
}

TEST(peek_id)
{
    ASSERT_EQ(cdpframe_peek_id("{\"id\":12,\"result\":{}}", 21), 12);
    ASSERT_EQ(cdpframe_peek_id(" { \"id\" : 3 ,", 13), 3);
    ASSERT_EQ(cdpframe_peek_id("{\"method\":\"x\",\"id\":3}", 21), -1);
    ASSERT_EQ(cdpframe_peek_id("{\"id\":", 6), -1);
    ASSERT_EQ(cdpframe_peek_id("{\"id\":-1}", 9), -1);
    ASSERT_EQ(cdpframe_peek_id("{\"id\":1234567890123456789}", 26), -1);   /* too long to be ours */
    ASSERT_EQ(cdpframe_peek_id("{\"id\":12", 8), -1);   /* the digits may go on */
    ASSERT_EQ(cdpframe_peek_id("", 0), -1);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(messages_cut_at_nuls_whatever_the_reads),
    TEST_ENTRY(oversized_reply_dropped_alone),
    TEST_ENTRY(message_of_exactly_the_cap_is_dropped_one_under_kept),
    TEST_ENTRY(a_callback_stops_the_rest),
    TEST_ENTRY(peek_id),
    TEST_END,
};
TEST_MAIN()
