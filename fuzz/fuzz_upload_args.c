/* fuzz_upload_args.c -- libFuzzer harness for the upload path's query arguments
 * (daemon/upload_args.c): the input is format, tags and capture, cut at NULs, as
 * libwebsockets hands them over decoded. Either the upload is refused with a reason, or
 * every tag the argument names arrives, in order and unchanged (the harness splits the
 * same text its own way), and capture and format arrive as given. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upload_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 3);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = s[size + 1] = s[size + 2] = '\0';
    const char *format = s, *tags = format + strlen(format) + 1;
    const char *capture = tags <= s + size ? tags + strlen(tags) + 1 : s + size + 2;
    if (capture > s + size + 2)
        capture = s + size + 2;
    char err[200] = "";
    json_t *p = upload_args_params("/spool/upload-1", format, tags, capture, err, sizeof err);
    if (!p) {
        if (!err[0])
            abort();   /* a refusal always says why */
        free(s);
        return 0;
    }
    if (strcmp(json_string_value(json_object_get(p, "path")), "/spool/upload-1") != 0)
        abort();
    if (*format && strcmp(json_string_value(json_object_get(p, "format")), format) != 0)
        abort();
    /* the reference split: commas, spaces trimmed at both ends, empty parts skipped */
    json_t *arr = json_object_get(p, "tags");
    size_t k = 0;
    const char *a = tags;
    for (;;) {
        const char *comma = strchr(a, ','), *end = comma ? comma : a + strlen(a), *x = a, *y = end;
        while (x < y && *x == ' ')
            x++;
        while (y > x && y[-1] == ' ')
            y--;
        if (y > x) {
            json_t *t = json_array_get(arr, k++);
            if (!json_is_string(t) || json_string_length(t) != (size_t)(y - x) ||
                memcmp(json_string_value(t), x, (size_t)(y - x)) != 0)
                abort();   /* a tag dropped, cut or changed */
        }
        if (!comma)
            break;
        a = comma + 1;
    }
    if (k != json_array_size(arr))
        abort();
    json_t *cap = json_object_get(p, "capture");
    if (*capture && !json_is_boolean(cap))
        abort();
    if (cap && json_is_true(cap) != (!strcmp(capture, "1") || !strcmp(capture, "true")))
        abort();
    json_decref(p);
    free(s);
    return 0;
}
