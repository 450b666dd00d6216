/* upload_args.c -- an upload's query arguments made into import.start's params (see
 * upload_args.h). The upload path (http_upload.c) calls it when the body is spooled; the
 * fuzz harness fuzz_upload_args checks it against its own split of the same text. */
#include "upload_args.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* Appends each tag of the comma-separated list to arr. */
static int add_tags(json_t *arr, const char *tags, char *err, size_t errlen)
{
    size_t n = strlen(tags);
    if (n > UPLOAD_ARGS_TAGS_BYTES)
        return fail(err, errlen, "tags: the list is longer than 4096 bytes");
    if (!util_utf8_valid(tags, n))
        return fail(err, errlen, "tags: not valid UTF-8");
    const char *p = tags, *end = tags + n;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end, *a = p, *b = stop;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (b > a) {
            if (json_array_size(arr) >= UPLOAD_ARGS_TAGS_MAX)
                return fail(err, errlen, "tags: more than 64 tags");
            json_t *t = json_stringn(a, (size_t)(b - a));
            if (!t || json_array_append_new(arr, t) != 0)
                return fail(err, errlen, "out of memory");
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

json_t *upload_args_params(const char *path, const char *format, const char *tags,
                           const char *capture, char *err, size_t errlen)
{
    json_t *params = json_object(), *arr = NULL;
    if (!params || !path || json_object_set_new(params, "path", json_string(path)) != 0) {
        fail(err, errlen, "out of memory");
        goto fail;
    }
    if (format && *format) {
        size_t n = strlen(format);
        if (n > 32 || !util_utf8_valid(format, n)) {
            fail(err, errlen, "format: not a format name (text, netscape, csv, json, ...)");
            goto fail;
        }
        if (json_object_set_new(params, "format", json_string(format)) != 0) {
            fail(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (tags && *tags) {
        if (!(arr = json_array()) || add_tags(arr, tags, err, errlen) != 0) {
            if (!arr)
                fail(err, errlen, "out of memory");
            goto fail;
        }
        if (json_array_size(arr) && json_object_set(params, "tags", arr) != 0) {
            fail(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (capture && *capture) {
        int on;
        if (!strcmp(capture, "1") || !strcmp(capture, "true"))
            on = 1;
        else if (!strcmp(capture, "0") || !strcmp(capture, "false"))
            on = 0;
        else {
            fail(err, errlen, "capture: 1, 0, true or false");
            goto fail;
        }
        if (json_object_set_new(params, "capture", json_boolean(on)) != 0) {
            fail(err, errlen, "out of memory");
            goto fail;
        }
    }
    json_decref(arr);
    return params;
fail:
    json_decref(arr);
    json_decref(params);
    return NULL;
}
