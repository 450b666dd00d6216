/* tags.c -- the tag vocabulary: list by count, rename (onto an existing tag merges; a
 * case-only rename changes how it is shown), merge several into one, delete. Counts are
 * kept by triggers on link_tags, and a tag whose count reaches zero is removed by them.
 * Callers provide the transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int store_tag_list(store_t *s, store_tag_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT name, count FROM tags WHERE count > 0 "
                                       "ORDER BY count DESC, name", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "list tags");
    size_t cap = 0;
    store_tag_t *v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            store_tag_t *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                free(v);
                sqlite3_finalize(st);
                return store_fail(s, STORE_ENOMEM, "out of memory");
            }
            v = nv;
        }
        snprintf(v[*n].name, sizeof v[*n].name, "%s", sqlite3_column_text(st, 0));
        v[*n].count = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        *n = 0;
        return store_fail_sqlite(s, rc, "list tags");
    }
    *out = v;
    return STORE_OK;
}

/* Looks a tag up by raw name. *id 0 when absent. Every public function here may delete or
 * re-key tags, so each starts by forgetting the connection's cached tag ids. */
static int find(store_t *s, const char *raw, char *name, char *key, int64_t *id, int64_t *count)
{
    char err[256];
    if (store_normalize_tag(raw, name, STORE_MAX_TAG_BYTES + 1, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    store_tag_key(name, key);
    sqlite3_stmt *st = store_stmt(s, ST_TAG_BY_KEY);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *id = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(name, STORE_MAX_TAG_BYTES + 1, "%s", sqlite3_column_text(st, 1));
        if (count)
            *count = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find tag");
    return STORE_OK;
}

static int exec_ids(store_t *s, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "tags");
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "tags");
}

/* Moves every link of tag `from` onto tag `into` and drops `from`. */
static int move_links(store_t *s, int64_t from, int64_t into)
{
    int rc = exec_ids(s, "INSERT OR IGNORE INTO link_tags(link_id, tag_id) "
                         "SELECT link_id, ?2 FROM link_tags WHERE tag_id = ?1", from, into);
    if (!rc)
        rc = exec_ids(s, "DELETE FROM link_tags WHERE tag_id = ?1 AND ?2 = ?2", from, into);
    if (!rc)
        rc = exec_ids(s, "DELETE FROM tags WHERE id = ?1 AND ?2 = ?2", from, into);
    return rc;
}

static int fill_out(store_t *s, const char *key, store_tag_t *out)
{
    char name[STORE_MAX_TAG_BYTES + 1], k2[STORE_MAX_TAG_BYTES + 1];
    int64_t id, count = 0;
    int rc = find(s, key, name, k2, &id, &count);
    if (rc)
        return rc;
    snprintf(out->name, sizeof out->name, "%s", name);
    out->count = id ? count : 0;
    return STORE_OK;
}

int store_tag_rename(store_t *s, const char *from, const char *to, store_tag_t *out)
{
    store_tag_cache_clear(s);
    char fname[STORE_MAX_TAG_BYTES + 1], fkey[STORE_MAX_TAG_BYTES + 1];
    char tname[STORE_MAX_TAG_BYTES + 1], tkey[STORE_MAX_TAG_BYTES + 1], err[256];
    int64_t fid, tid;
    int rc = find(s, from, fname, fkey, &fid, NULL);
    if (rc)
        return rc;
    if (!fid)
        return store_fail(s, STORE_ENOTFOUND, "tag '%s' not found", fname);
    if (store_normalize_tag(to, tname, sizeof tname, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    store_tag_key(tname, tkey);
    if (!strcmp(fkey, tkey)) {
        /* same tag: only the way it is written changes */
        sqlite3_stmt *st;
        if ((rc = sqlite3_prepare_v2(s->db, "UPDATE tags SET name = ?2 WHERE id = ?1", -1, &st, NULL)) != SQLITE_OK)
            return store_fail_sqlite(s, rc, "rename tag");
        sqlite3_bind_int64(st, 1, fid);
        sqlite3_bind_text(st, 2, tname, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return store_fail_sqlite(s, rc, "rename tag");
        return fill_out(s, tname, out);
    }
    char tname2[STORE_MAX_TAG_BYTES + 1], tkey2[STORE_MAX_TAG_BYTES + 1];
    if ((rc = find(s, tname, tname2, tkey2, &tid, NULL)))
        return rc;
    if (tid) {
        if ((rc = move_links(s, fid, tid)))
            return rc;
        return fill_out(s, tname2, out);
    }
    sqlite3_stmt *st;
    if ((rc = sqlite3_prepare_v2(s->db, "UPDATE tags SET name = ?2, key = ?3 WHERE id = ?1", -1, &st, NULL)) != SQLITE_OK)
        return store_fail_sqlite(s, rc, "rename tag");
    sqlite3_bind_int64(st, 1, fid);
    sqlite3_bind_text(st, 2, tname, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tkey, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "rename tag");
    return fill_out(s, tname, out);
}

int store_tag_merge(store_t *s, const char *const *from, size_t nfrom, const char *into,
                    store_tag_t *out)
{
    store_tag_cache_clear(s);
    char iname[STORE_MAX_TAG_BYTES + 1], ikey[STORE_MAX_TAG_BYTES + 1];
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_BYTES + 1], err[256];
    int64_t iid, fid;
    int rc, found = 0;
    if (store_normalize_tag(into, iname, sizeof iname, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    for (size_t i = 0; i < nfrom; i++) {
        if ((rc = find(s, from[i], name, key, &fid, NULL)))
            return rc;
        found += fid != 0;
    }
    if (!found)
        return store_fail(s, STORE_ENOTFOUND, "none of the tags to merge exists");
    store_tag_key(iname, ikey);
    sqlite3_stmt *st = store_stmt(s, ST_TAG_INSERT);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_text(st, 1, iname, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ikey, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "merge tags");
    if ((rc = find(s, iname, name, key, &iid, NULL)))
        return rc;
    for (size_t i = 0; i < nfrom; i++) {
        if ((rc = find(s, from[i], name, key, &fid, NULL)))
            return rc;
        if (fid && fid != iid && (rc = move_links(s, fid, iid)))
            return rc;
    }
    return fill_out(s, iname, out);
}

int store_tag_delete(store_t *s, const char *name, store_tag_t *deleted)
{
    store_tag_cache_clear(s);
    char tname[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_BYTES + 1];
    int64_t id, count = 0;
    int rc = find(s, name, tname, key, &id, &count);
    if (rc)
        return rc;
    if (!id)
        return store_fail(s, STORE_ENOTFOUND, "tag '%s' not found", tname);
    snprintf(deleted->name, sizeof deleted->name, "%s", tname);
    deleted->count = count;
    if ((rc = exec_ids(s, "DELETE FROM link_tags WHERE tag_id = ?1 AND ?2 = ?2", id, 0)))
        return rc;
    return exec_ids(s, "DELETE FROM tags WHERE id = ?1 AND ?2 = ?2", id, 0);
}
