/* store_test.h -- what the store's test programs share: a temp directory of their own, a
 * database path in it, a fresh database opened with every migration, and a main that sets
 * a UTF-8 locale (as linksnapd does: libidn2 and the tag keys need it) and removes the
 * directory when every test passed (a failure leaves it to look at). Include it after
 * test.h, once per program. */
#ifndef LS_STORE_TEST_H
#define LS_STORE_TEST_H

#include <locale.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static char store_test_dir_[256];

/* A path for name in the program's temp directory (made at the first call), with no
 * database, journal or WAL left there by an earlier run; borrowed until the next call. */
static inline const char *tmp_path(const char *name)
{
    static char path[512];
    if (!store_test_dir_[0]) {
        snprintf(store_test_dir_, sizeof store_test_dir_, "/tmp/linksnap-store-test-XXXXXX");
        if (!mkdtemp(store_test_dir_)) {
            store_test_dir_[0] = '\0';
            return NULL;
        }
    }
    snprintf(path, sizeof path, "%s/%s", store_test_dir_, name);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char aux[600];
        snprintf(aux, sizeof aux, "%s%s", path, suffixes[i]);
        unlink(aux);
    }
    return path;
}

/* A new database called name, at the latest schema; NULL (said on stderr) on failure. */
static inline store_t *open_fresh(const char *name)
{
    store_t *s = NULL;
    char err[512];
    const char *path = tmp_path(name);
    if (!path || store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "  open %s: %s\n", name, path ? err : "no temp directory");
        return NULL;
    }
    return s;
}

/* open_fresh, with the database's path copied into path (size bytes), for the test to
 * read it with plain SQLite as well. */
static inline store_t *open_fresh_at(const char *name, char *path, size_t size)
{
    const char *p = tmp_path(name);
    if (!p) {
        fprintf(stderr, "  open %s: no temp directory\n", name);
        return NULL;
    }
    snprintf(path, size, "%s", p);
    return open_fresh(name);
}

/* A database called name made at schema `version`, as an older linksnapd left it, open
 * with plain SQLite for the test to write the old rows; the path is *path (tmp_path's).
 * NULL (said on stderr) on failure. */
static inline sqlite3 *open_old(const char *name, int version, const char **path)
{
    store_t *s = NULL;
    sqlite3 *db = NULL;
    char err[512];
    *path = tmp_path(name);
    if (!*path ||
        store_open_at_version(*path, STORE_OPEN_MIGRATE, version, &s, err, sizeof err) != STORE_OK ||
        store_schema_version(s) != version) {
        fprintf(stderr, "  open %s at version %d: %s\n", name, version, s ? "wrong version" : err);
        store_close(s);
        return NULL;
    }
    store_close(s);
    if (sqlite3_open(*path, &db) != SQLITE_OK) {
        fprintf(stderr, "  sqlite3_open %s: %s\n", *path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static inline int store_test_main_(int (*run)(int, char **), int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    int rc = run(argc, argv);
    if (store_test_dir_[0] && rc == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", store_test_dir_);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", store_test_dir_);
    }
    return rc;
}

/* The runner and main of a store test program (after its TEST_LIST). */
#define STORE_TEST_MAIN()                                                                   \
    TEST_RUNNER_()                                                                          \
    int main(int argc, char **argv) { return store_test_main_(test_main_, argc, argv); }

#endif
