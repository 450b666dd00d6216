/* fuzz_import.c -- libFuzzer harness for the import parsers (import/): the first byte picks
 * the format (auto, text, netscape, csv, jsonl, json), the second how the rest is cut into
 * feed() calls, so chunk boundaries fall everywhere. Checks the parsers' own promise: every
 * string an entry carries is valid UTF-8 without NUL bytes. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "util.h"

static int entry_cb(const import_entry_t *e, void *ud)
{
    (void)ud;
    const char *s[] = {e->url, e->title, e->description};
    for (size_t i = 0; i < 3; i++)
        if (s[i] && !util_utf8_valid(s[i], strlen(s[i])))
            abort();
    for (size_t i = 0; i < e->ntags; i++)
        if (!util_utf8_valid(e->tags[i], strlen(e->tags[i])))
            abort();
    return 0;
}

static void error_cb(uint64_t line, const char *reason, void *ud)
{
    (void)line;
    (void)ud;
    if (!reason || !util_utf8_valid(reason, strlen(reason)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    import_format_t fmt = (import_format_t)(data[0] % 6);
    size_t step = (size_t)data[1] * 7 + 1;
    data += 2;
    size -= 2;
    import_parser_t *p = import_parser_new(fmt, entry_cb, error_cb, NULL);
    if (!p)
        return 0;
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += step)
        rc = import_parser_feed(p, (const char *)data + off, size - off < step ? size - off : step);
    if (rc == 0)
        import_parser_finish(p);
    import_parser_free(p);
    return 0;
}
