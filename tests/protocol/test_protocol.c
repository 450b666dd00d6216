/* test_protocol.c -- unit tests for protocol/jsonrpc: line framing (split, joined, CRLF,
 * overlong lines), classification of requests/notifications/invalid messages, and the
 * reply builders. */
#include "jsonrpc.h"
#include "test.h"

/* Feeds `in` in chunks of `chunk` bytes and joins every line with '|'. */
static int frame_all(const char *in, size_t chunk, size_t max_line, char *out, size_t outlen,
                     int *overflow)
{
    rpc_framer_t f;
    rpc_framer_init(&f, max_line);
    size_t n = strlen(in), pos = 0;
    out[0] = '\0';
    *overflow = 0;
    while (pos < n) {
        size_t k = n - pos < chunk ? n - pos : chunk;
        if (rpc_framer_feed(&f, in + pos, k) != 0)
            *overflow = 1;
        pos += k;
        const char *line;
        size_t len;
        while (rpc_framer_next(&f, &line, &len)) {
            strncat(out, line, outlen - strlen(out) - 1);
            strncat(out, "|", outlen - strlen(out) - 1);
        }
        if (*overflow)
            break;
    }
    rpc_framer_free(&f);
    return 0;
}

TEST(framer_split_and_joined_lines)
{
    const char *in = "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}\n{\"partial\"";
    static const size_t chunks[] = {1, 2, 3, 5, 7, 64, 4096};
    for (size_t i = 0; i < LS_TEST_LEN(chunks); i++) {
        char out[256];
        int overflow;
        frame_all(in, chunks[i], 1024, out, sizeof out, &overflow);
        ASSERT_EQ(overflow, 0);
        ASSERT_STR_EQ(out, "{\"a\":1}|{\"b\":2}||{\"c\":3}|");
    }
    return 0;
}

TEST(framer_refuses_overlong_line_but_keeps_earlier_ones)
{
    char in[200];
    memset(in, 'x', sizeof in);
    memcpy(in, "ok1\nok2\n", 8);
    in[sizeof in - 1] = '\0';
    char out[256];
    int overflow;
    frame_all(in, 4096, 100, out, sizeof out, &overflow);
    ASSERT_EQ(overflow, 1);
    ASSERT_STR_EQ(out, "ok1|ok2|");
    /* a line exactly at the cap is fine */
    char exact[102];
    memset(exact, 'y', 100);
    exact[100] = '\n';
    exact[101] = '\0';
    frame_all(exact, 7, 100, out, sizeof out, &overflow);
    ASSERT_EQ(overflow, 0);
    ASSERT_EQ(strlen(out), 101);
    return 0;
}

static rpc_msg_kind_t classify_text(const char *text, int *code, json_t **doc_out)
{
    char err[256];
    json_t *doc = rpc_parse_line(text, strlen(text), err, sizeof err);
    if (!doc) {
        *code = -32700;
        *doc_out = NULL;
        return RPC_MSG_INVALID;
    }
    rpc_msg_t m;
    rpc_classify(doc, &m);
    *code = m.err_code;
    *doc_out = doc;
    return m.kind;
}

TEST(classify_messages)
{
    static const struct { const char *text; rpc_msg_kind_t kind; int code; } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}", RPC_MSG_REQUEST, 0},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"a\",\"params\":{}}", RPC_MSG_REQUEST, 0},
        {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\"}", RPC_MSG_REQUEST, 0},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"params\":[1]}", RPC_MSG_NOTIFICATION, 0},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}", RPC_MSG_INVALID, -32600},
        {"{\"id\":1,\"method\":\"a\"}", RPC_MSG_INVALID, -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", RPC_MSG_INVALID, -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"a\"}", RPC_MSG_INVALID, -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":3}", RPC_MSG_INVALID, -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"extra\":3}", RPC_MSG_INVALID, -32600},
        {"42", RPC_MSG_INVALID, -32600},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"", RPC_MSG_INVALID, -32700},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"a\"}", RPC_MSG_INVALID, -32700},
        {"\"\xe4\xb8\"", RPC_MSG_INVALID, -32700}, /* truncated UTF-8 */
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        int code;
        json_t *doc;
        rpc_msg_kind_t k = classify_text(cases[i].text, &code, &doc);
        ASSERT_MSG(k == cases[i].kind && code == cases[i].code, "case %zu (%s): kind %d code %d",
                   i, cases[i].text, (int)k, code);
        json_decref(doc);
    }
    return 0;
}

TEST(deep_nesting_is_a_parse_error)
{
    size_t depth = 10000;
    char *s = malloc(2 * depth + 1);
    ASSERT_NOT_NULL(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    char err[256];
    json_t *doc = rpc_parse_line(s, 2 * depth, err, sizeof err);
    free(s);
    ASSERT_NULL(doc);
    ASSERT(strstr(err, "parse error") != NULL);
    return 0;
}

TEST(reply_builders)
{
    json_t *id = json_integer(7);
    json_t *r = rpc_result(id, json_pack("{s:i}", "x", 1));
    buf_t b;
    buf_init(&b, 0);
    ASSERT_EQ(rpc_write(&b, r), 0);
    ASSERT_STR_EQ(b.data, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"x\":1}}\n");
    json_decref(r);
    buf_reset(&b);
    json_t *e = rpc_error(NULL, -32601, "method 'x' not found", NULL);
    ASSERT_EQ(rpc_write(&b, e), 0);
    ASSERT_STR_EQ(b.data, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32601,\"message\":\"method 'x' not found\"}}\n");
    json_decref(e);
    buf_reset(&b);
    json_t *n = rpc_notification("event", json_pack("{s:s}", "topic", "link.added"));
    ASSERT_EQ(rpc_write(&b, n), 0);
    ASSERT_STR_EQ(b.data, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"topic\":\"link.added\"}}\n");
    json_decref(n);
    json_decref(id);
    buf_free(&b);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(framer_split_and_joined_lines),
    TEST_ENTRY(framer_refuses_overlong_line_but_keeps_earlier_ones),
    TEST_ENTRY(classify_messages),
    TEST_ENTRY(deep_nesting_is_a_parse_error),
    TEST_ENTRY(reply_builders),
    TEST_END,
};
TEST_MAIN()
