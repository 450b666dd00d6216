/* methods_import.c -- import.start and import.get. import.start opens a named file on the
 * thread pool (prepare hook: never on the writer, never following a symlink, regular files
 * under the size cap only), validates, creates the import's row (in the writer's
 * transaction) and, once that committed, hands the source to the importer, which runs in
 * the background; import.get reads the row's figures. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "importer.h"
#include "json_import.h"
#include "log.h"
#include "method.h"

#define MAX_INLINE (64u << 20)   /* content sent inline; bigger files go by path */

/* On a pool thread: open the client's path without blocking (a FIFO with no writer, a
 * device) and without following a last-component symlink, then insist on a regular file
 * of at most IMPORTER_MAX_FILE bytes. */
static int import_start_prepare(method_call_t *call)
{
    const char *path = json_string_value(json_object_get(call->params, "path"));
    if (!path || json_object_get(call->params, "content"))
        return 0;   /* content, or bad params the handler will name */
    if (call->via_http)
        return method_fail(call, RPC_INVALID_PARAMS,
                           "param 'path' is refused over HTTP: no client may name a file of the "
                           "server there; upload it (POST /import) or send 'content'");
    if (path[0] != '/')
        return method_fail(call, RPC_INVALID_PARAMS, "param 'path' must be absolute");
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return method_fail(call, RPC_IO_ERROR, "%s is a symbolic link; name the file itself", path);
        return method_fail(call, RPC_IO_ERROR,
                           "linksnapd cannot read %s: %s%s", path, strerror(e),
                           e == EACCES ? " (it must be readable by the daemon's user; "
                                         "`linksnap import` sends the content instead)" : "");
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return method_fail(call, RPC_IO_ERROR, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return method_fail(call, RPC_INVALID_PARAMS, "%s is not a regular file (a %s); import reads "
                           "regular files only", path, S_ISFIFO(st.st_mode) ? "FIFO" :
                           S_ISCHR(st.st_mode) ? "character device" : S_ISDIR(st.st_mode) ?
                           "directory" : S_ISSOCK(st.st_mode) ? "socket" : "special file");
    }
    if ((uint64_t)st.st_size > IMPORTER_MAX_FILE) {
        close(fd);
        return method_fail(call, RPC_INVALID_PARAMS, "%s is %lld MiB; imports read at most %u MiB",
                           path, (long long)(st.st_size >> 20), IMPORTER_MAX_FILE >> 20);
    }
    call->fd = fd;
    call->has_fd = 1;
    return 0;
}

static int m_import_start(method_call_t *call)
{
    static const char *const known[] = {"path", "content", "format", "tags", "capture", NULL};
    const char *path, *content, *format;
    json_t *tags;
    int capture = 1;
    if (param_reject_unknown(call, known) || param_string(call, "path", 0, &path) ||
        param_string(call, "content", 0, &content) || param_string(call, "format", 0, &format) ||
        param_string_array(call, "tags", 0, &tags) || param_bool(call, "capture", 0, &capture))
        return -1;
    if (!!path == !!content)
        return method_fail(call, RPC_INVALID_PARAMS, "give exactly one of 'path' or 'content'");
    import_format_t fmt = IMPORT_FMT_AUTO;
    if (format && import_format_parse(format, &fmt) != 0)
        return method_fail(call, RPC_INVALID_PARAMS,
                           "param 'format' must be auto, text, netscape, csv, jsonl or json");
    if (path) {
        if (call->via_http || !call->has_fd)   /* the prepare hook refused or never ran */
            return method_fail(call, RPC_INVALID_PARAMS, "param 'path' is refused here");
    } else if (json_string_length(json_object_get(call->params, "content")) > MAX_INLINE) {
        return method_fail(call, RPC_INVALID_PARAMS, "param 'content' is over 64 MiB; pass 'path'");
    }
    size_t i;
    json_t *t;
    char name[STORE_MAX_TAG_BYTES + 1], err[256];
    json_array_foreach(tags, i, t) {
        if (store_normalize_tag(json_string_value(t), name, sizeof name, err, sizeof err) != STORE_OK)
            return method_fail(call, RPC_INVALID_PARAMS, "param 'tags'[%zu]: %s", i, err);
    }
    char *tags_json = tags ? json_dumps(tags, JSON_COMPACT) : NULL;
    int64_t id;
    int rc = store_import_create(call->db, path ? path : "(content)", import_format_name(fmt),
                                 tags_json, capture, call->now_ms, &id);
    free(tags_json);
    if (rc)
        return method_fail_store(call, rc, "import");
    call->result = json_pack("{s:I}", "import_id", (json_int_t)id);
    call->handoff = json_pack("{s:I,s:O?,s:O?,s:s?,s:O?,s:b}", "id", (json_int_t)id,
                              "path", json_object_get(call->params, "path"),
                              "content", json_object_get(call->params, "content"),
                              "format", format, "tags", tags, "capture", capture);
    if (!call->result || !call->handoff)
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    return method_emit(call, "import.started", json_pack("{s:I}", "id", (json_int_t)id));
}

static void import_start_after(method_call_t *call, daemon_t *d)
{
    json_t *h = call->handoff;
    char err[512];
    json_t *content = json_object_get(h, "content");
    int fd = -1;
    if (call->has_fd) { /* the importer takes it */
        fd = call->fd;
        call->has_fd = 0;
    }
    if (importer_start(d->importer, json_integer_value(json_object_get(h, "id")),
                       fd, json_string_value(content),
                       json_string_length(content), json_string_value(json_object_get(h, "format")),
                       json_object_get(h, "tags"), json_is_true(json_object_get(h, "capture")),
                       err, sizeof err) != 0) {
        log_warn("import %lld could not start: %s",
                 (long long)json_integer_value(json_object_get(h, "id")), err);
        json_decref(call->result);
        call->result = NULL;
        method_fail(call, RPC_IO_ERROR, "%s", err);
    }
}

static int m_import_get(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id = 0;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    store_import_t *x = NULL;
    int rc = store_import_get(call->db, id, &x);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = wire_import(x);
    store_import_free(x);
    if (!call->result)
        return method_fail(call, RPC_INTERNAL_ERROR, "import %lld: its row could not be read "
                           "(out of memory, or its errors or tags are not JSON)", (long long)id);
    return 0;
}

const method_def_t methods_import[] = {
    {.name = "import.start", .fn = m_import_start, .kind = METHOD_WRITE,
     .prepare = import_start_prepare, .after = import_start_after},
    {.name = "import.get", .fn = m_import_get, .kind = METHOD_READ},
    {.name = NULL},
};
