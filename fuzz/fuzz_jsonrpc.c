/* fuzz_jsonrpc.c -- libFuzzer harness for the JSON-RPC framer and message rules (protocol/):
 * bytes are fed to the framer in pieces as a socket would deliver them, a small line cap
 * makes overflows common, and every framed line is parsed, classified and, when it is a
 * request, answered with an error object written back through rpc_write. */
#include "fuzz.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1;
    data++;
    size--;
    rpc_framer_t f;
    rpc_framer_init(&f, 4096);
    buf_t out;
    buf_init(&out, 1u << 20);
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        int overflow = rpc_framer_feed(&f, (const char *)data + off, n) != 0;
        const char *line;
        size_t len;
        while (rpc_framer_next(&f, &line, &len)) {
            char err[256];
            json_t *doc = rpc_parse_line(line, len, err, sizeof err);
            if (!doc)
                continue;
            json_t *msgs = json_is_array(doc) ? doc : NULL;
            size_t count = msgs ? json_array_size(msgs) : 1;
            for (size_t i = 0; i < count; i++) {
                json_t *m = msgs ? json_array_get(msgs, i) : doc;
                rpc_msg_t rm;
                rpc_classify(m, &rm);
                json_t *reply = rpc_error(rm.id, rm.kind == RPC_MSG_INVALID ? rm.err_code : RPC_METHOD_NOT_FOUND,
                                          "fuzz", NULL);
                if (reply)
                    rpc_write(&out, reply);
                json_decref(reply);
            }
            json_decref(doc);
        }
        if (overflow)
            break;
    }
    buf_free(&out);
    rpc_framer_free(&f);
    return 0;
}
