/* store.h -- the SQLite store: links, tags, snapshots, jobs, imports. Knows SQLite and
 * nothing of the loop or the wire format. One store_t is one connection, used by one thread
 * at a time. Every function returns 0 or a negative STORE_E* code; store_errmsg() then
 * holds a sentence a user can act on.
 *
 * This header opens with the core the daemon needs (open, transactions, stats); the
 * domain API (links, tags, jobs, ...) follows below it. */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

enum {
    STORE_OK = 0,
    STORE_ENOTFOUND = -1,   /* no such row */
    STORE_EINVAL = -2,      /* bad input (message says which) */
    STORE_ECONFLICT = -3,   /* the state does not allow it */
    STORE_EBUSY = -4,       /* database locked past busy_timeout */
    STORE_EIO = -5,         /* disk full, I/O error, read-only file system */
    STORE_ENOMEM = -6,
    STORE_ETOONEW = -7,     /* database schema newer than this binary */
    STORE_ECORRUPT = -8,    /* not a database, or damaged */
    STORE_EINTERNAL = -9,   /* anything else SQLite reported */
};

enum {
    STORE_OPEN_MIGRATE = 1,   /* create the file if missing and migrate the schema (writer) */
    STORE_OPEN_READONLY = 2,  /* query-only connection (loop reader, thread-pool readers) */
};

/* Opens (and with STORE_OPEN_MIGRATE creates/migrates) the database at path: WAL,
 * synchronous=FULL, foreign_keys=ON, busy_timeout. On failure *out is NULL and err holds
 * the reason. */
int store_open(const char *path, int flags, store_t **out, char *err, size_t errlen);
void store_close(store_t *s);                 /* accepts NULL */
const char *store_errmsg(const store_t *s);  /* last error of this connection */
int store_schema_version(store_t *s);         /* PRAGMA user_version */
int store_latest_version(void);               /* the version this binary migrates to */

/* Transactions. begin = BEGIN IMMEDIATE. Savepoints nest inside. */
int store_begin(store_t *s);
int store_commit(store_t *s);
int store_rollback(store_t *s);
int store_savepoint(store_t *s, const char *name);
int store_release(store_t *s, const char *name);
int store_rollback_to(store_t *s, const char *name);

typedef struct {
    int64_t links, tags, snapshots;
    int64_t jobs_queued, jobs_running;
} store_stats_t;
int store_stats(store_t *s, store_stats_t *out);

/* PRAGMA integrity_check + foreign_key_check; 0 when both are clean. */
int store_integrity_check(store_t *s);

/* Consistent copy of the whole database to dest with SQLite's online backup API. */
int store_backup(store_t *s, const char *dest_path);

/* ---- domain API: links, tags, jobs, snapshots, imports (below) ---- */

#endif
