/* methods_backup.c -- daemon.backup: a consistent copy of the database written with
 * SQLite's online backup API from a thread-pool read connection, so the daemon keeps
 * answering (and writing) while it copies. It writes only inside backup_dir, as new
 * files (0600, O_EXCL|O_NOFOLLOW); no client names a path of the server, and over HTTP
 * the method is refused altogether. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "method.h"
#include "util.h"

#define NAME_MAX_LEN 128

/* A plain file name: letters, digits, '.', '_', '-'; not starting with '.'. */
static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Creates a new empty file (never through a symlink, never over an existing file). */
static int create_new(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

static int m_daemon_backup(method_call_t *call)
{
    static const char *const known[] = {"name", NULL};
    const char *name = NULL;
    if (call->via_http)
        return method_fail(call, RPC_INVALID_PARAMS,
                           "daemon.backup is refused over HTTP; run `linksnap backup` on the "
                           "daemon's machine");
    if (json_object_get(call->params, "path"))
        return method_fail(call, RPC_INVALID_PARAMS,
                           "param 'path' is no longer accepted: backups are written into "
                           "backup_dir (linksnapd.conf(5)); pass 'name' to choose the file name");
    if (param_reject_unknown(call, known) || param_string(call, "name", 0, &name))
        return -1;
    char def_name[64];
    if (!name) {
        time_t t = (time_t)(call->now_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(def_name, sizeof def_name, "linksnap-%04d%02d%02d-%02d%02d%02d-%03d.db",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(call->now_ms % 1000));
        name = def_name;
    } else if (!name_ok(name)) {
        return method_fail(call, RPC_INVALID_PARAMS,
                           "param 'name' must be a plain file name of letters, digits, '.', '_' "
                           "and '-' (at most %d, not starting with '.')", NAME_MAX_LEN);
    }
    char dir[UTIL_PATH_MAX], path[UTIL_PATH_MAX], tmp[UTIL_PATH_MAX], err[512];
    if (call->cfg->backup_dir[0])
        util_path(dir, "%s", call->cfg->backup_dir);   /* a config value: 4095 at most */
    else
        util_path(dir, "%s/backups", call->cfg->state_dir);
    if (util_path(path, "%s/%s", dir, name) != 0 ||
        util_path(tmp, "%s/.partial-%ld-%s", dir, (long)getpid(), name) != 0)
        return method_fail(call, RPC_INVALID_PARAMS, "the backup's path under %s is too long", dir);
    if (util_private_dir(dir, 1, 022, err, sizeof err) != 0)
        return method_fail(call, RPC_IO_ERROR, "backup_dir: %s", err);
    int rc = create_new(path);   /* claims the name: a second backup of the same name fails */
    if (rc == -EEXIST)
        return method_fail(call, RPC_CONFLICT, "%s exists; choose another name", path);
    if (rc)
        return method_fail(call, RPC_IO_ERROR, "cannot create %s: %s", path, strerror(-rc));
    /* copy into a temporary beside it, then rename over the claimed name: a reader never
     * sees half a backup */
    unlink(tmp);
    if ((rc = create_new(tmp)) != 0) {
        unlink(path);
        return method_fail(call, RPC_IO_ERROR, "cannot create %s: %s", tmp, strerror(-rc));
    }
    rc = store_backup(call->db, tmp);
    if (rc != STORE_OK) {
        unlink(tmp);
        unlink(path);
        return method_fail(call, rc == STORE_EIO ? RPC_IO_ERROR : RPC_STORE_FAILED, "%s",
                           store_errmsg(call->db));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        unlink(path);
        return method_fail(call, RPC_IO_ERROR, "cannot write %s: %s", path, strerror(e));
    }
    struct stat st;
    if (lstat(path, &st) != 0)
        return method_fail(call, RPC_IO_ERROR, "cannot stat %s: %s", path, strerror(errno));
    call->result = json_pack("{s:s,s:I}", "path", path, "bytes", (json_int_t)st.st_size);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

const method_def_t methods_backup[] = {
    {.name = "daemon.backup", .fn = m_daemon_backup, .kind = METHOD_HEAVY},
    {.name = NULL},
};
