/* methods_backup.c -- daemon.backup: a consistent copy of the database written with
 * SQLite's online backup API from a thread-pool read connection, so the daemon keeps
 * answering (and writing) while it copies. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "method.h"

static int m_daemon_backup(method_call_t *call)
{
    static const char *const known[] = {"path", "overwrite", NULL};
    const char *path;
    int overwrite = 0;
    if (param_reject_unknown(call, known) || param_string(call, "path", 1, &path) ||
        param_bool(call, "overwrite", 0, &overwrite))
        return -1;
    if (path[0] != '/')
        return method_fail(call, RPC_INVALID_PARAMS, "param 'path' must be absolute");
    /* never over the live database or inside the state dir's own files */
    char dir[PATH_MAX], real_state[PATH_MAX], real_dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    *(slash == dir ? slash + 1 : slash) = '\0';
    if (!realpath(dir, real_dir))
        return method_fail(call, RPC_IO_ERROR, "cannot write %s: %s", path, strerror(errno));
    if (realpath(call->cfg->state_dir, real_state) && !strcmp(real_dir, real_state)) {
        const char *base = strrchr(path, '/') + 1;
        if (!strncmp(base, "linksnap.db", 11) || !strcmp(base, "linksnapd.lock"))
            return method_fail(call, RPC_INVALID_PARAMS, "param 'path' names the live database's own files");
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!overwrite)
            return method_fail(call, RPC_INVALID_PARAMS,
                               "%s exists; pass overwrite: true to replace it", path);
        if (!S_ISREG(st.st_mode))
            return method_fail(call, RPC_INVALID_PARAMS, "%s is not a regular file", path);
    }
    /* write beside the target, then rename: a reader never sees half a backup */
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", path, (long)getpid());
    unlink(tmp);
    int rc = store_backup(call->db, tmp);
    if (rc != STORE_OK) {
        unlink(tmp);
        return method_fail(call, rc == STORE_EIO ? RPC_IO_ERROR : RPC_STORE_FAILED, "%s",
                           store_errmsg(call->db));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return method_fail(call, RPC_IO_ERROR, "cannot write %s: %s", path, strerror(e));
    }
    if (stat(path, &st) != 0)
        return method_fail(call, RPC_IO_ERROR, "cannot stat %s: %s", path, strerror(errno));
    call->result = json_pack("{s:s,s:I}", "path", path, "bytes", (json_int_t)st.st_size);
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

const method_def_t methods_backup[] = {
    {"daemon.backup", m_daemon_backup, METHOD_HEAVY, NULL},
    {NULL, NULL, 0, NULL},
};
