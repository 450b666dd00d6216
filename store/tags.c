/* tags.c -- the tag vocabulary: list by count, rename (onto an existing tag merges; a
 * case-only rename changes how it is shown), merge several into one, delete, and the
 * aliases a merge or rename leaves (schema 14: the old key names the tag it went into).
 * Counts are kept by triggers on link_tags, and a tag whose count reaches zero is removed
 * by them (its aliases with it). Callers provide the transaction. */
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
        if (STORE_GROW(v, *n, cap, 64)) {
            free(v);
            sqlite3_finalize(st);
            return store_fail(s, STORE_ENOMEM, "out of memory");
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

int store_tag_key_or_fail(store_t *s, const char *name, char *key)
{
    int rc = store_tag_key(name, key, STORE_MAX_TAG_KEY_BYTES + 1);
    if (rc == STORE_ENOMEM)
        return store_fail(s, rc, "out of memory");
    if (rc)
        return store_fail(s, rc, "tag '%.40s' has no match key: it is not valid UTF-8 or its "
                          "key is over %d bytes", name, STORE_MAX_TAG_KEY_BYTES);
    return STORE_OK;
}

int store_tag_name_key(store_t *s, const char *raw, char *name, char *key)
{
    char err[256];
    if (store_normalize_tag(raw, name, STORE_MAX_TAG_BYTES + 1, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    return store_tag_key_or_fail(s, name, key);
}

int store_tag_by_key(store_t *s, const char *key, int own, char *name, int64_t *id,
                     int64_t *count)
{
    sqlite3_stmt *st = store_stmt(s, ST_TAG_BY_KEY);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *id = 0;
    if (rc == SQLITE_ROW && (!own || sqlite3_column_int(st, 3))) {
        *id = sqlite3_column_int64(st, 0);
        if (name)
            snprintf(name, STORE_MAX_TAG_BYTES + 1, "%s", sqlite3_column_text(st, 1));
        if (count)
            *count = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find tag");
    return STORE_OK;
}

/* Looks a tag up by raw name, through an alias unless `own` (then only a tag whose own key
 * it is: what rename, merge and delete act on, so deleting an old name never deletes the
 * tag it became). *id 0 when absent. Every public function here may delete or re-key
 * tags, so each starts by forgetting the connection's cached tag ids. */
static int find_as(store_t *s, const char *raw, int own, char *name, char *key, int64_t *id,
                   int64_t *count)
{
    int rc = store_tag_name_key(s, raw, name, key);
    return rc ? rc : store_tag_by_key(s, key, own, name, id, count);
}

static int find(store_t *s, const char *raw, char *name, char *key, int64_t *id, int64_t *count)
{
    return find_as(s, raw, 0, name, key, id, count);
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

int store_tag_find(store_t *s, const char *raw, char *name, int64_t *id)
{
    char key[STORE_MAX_TAG_KEY_BYTES + 1];
    return find(s, raw, name, key, id, NULL);
}

/* Moves every link of tag `from` onto tag `into` and drops `from`. With `remember`,
 * `from`'s key becomes an alias of `into` and so do `from`'s own aliases (a chain is
 * resolved here, so an alias always names a live tag); the migration of schema 5, which
 * runs before the aliases' table exists, passes 0. */
static int move_links(store_t *s, int64_t from, int64_t into, int remember)
{
    int rc = STORE_OK;
    if (remember)
        rc = exec_ids(s, "UPDATE tag_aliases SET tag_id = ?2 WHERE tag_id = ?1", from, into);
    if (!rc && remember)
        rc = exec_ids(s, "INSERT INTO tag_aliases(key, name, tag_id) SELECT key, name, ?2 "
                         "FROM tags WHERE id = ?1 ON CONFLICT(key) DO UPDATE SET "
                         "tag_id = excluded.tag_id, name = excluded.name", from, into);
    if (!rc)
        rc = exec_ids(s, "INSERT OR IGNORE INTO link_tags(link_id, tag_id) "
                         "SELECT link_id, ?2 FROM link_tags WHERE tag_id = ?1", from, into);
    if (!rc)   /* before `from` can go: its watch follows it */
        rc = store_watch_move_tag(s, from, into);
    if (!rc)
        rc = exec_ids(s, "DELETE FROM link_tags WHERE tag_id = ?1 AND ?2 = ?2", from, into);
    if (!rc)
        rc = exec_ids(s, "DELETE FROM tags WHERE id = ?1 AND ?2 = ?2", from, into);
    return rc;
}

/* Drops the alias `key` when there is one; *dropped (may be NULL) 1 if there was. */
static int set_alias(store_t *s, const char *key, int64_t *dropped)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "DELETE FROM tag_aliases WHERE key = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "drop tag alias");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "drop tag alias");
    if (dropped)
        *dropped = sqlite3_changes(s->db);
    return STORE_OK;
}

/* The tag not found as a tag of its own: an alias says so, and how to free the name. */
static int fail_not_own(store_t *s, const char *raw, const char *name)
{
    char tname[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
    int64_t id;
    if (find(s, raw, tname, key, &id, NULL) == STORE_OK && id)
        return store_fail(s, STORE_ENOTFOUND, "tag '%s' is an alias of '%s' (merged into it); "
                          "`linksnap tag-unalias %s` makes it a name of its own again", name,
                          tname, name);
    return store_fail(s, STORE_ENOTFOUND, "tag '%s' not found", name);
}

int store_tag_aliases(store_t *s, store_tag_alias_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT a.name, t.name FROM tag_aliases a JOIN tags t "
                                       "ON t.id = a.tag_id ORDER BY t.key, a.key", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_sqlite(s, rc, "list tag aliases");
    size_t cap = 0;
    store_tag_alias_t *v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, *n, cap, 16)) {
            free(v);
            sqlite3_finalize(st);
            *n = 0;
            return store_fail(s, STORE_ENOMEM, "out of memory");
        }
        snprintf(v[*n].alias, sizeof v[*n].alias, "%s", sqlite3_column_text(st, 0));
        snprintf(v[*n].tag, sizeof v[*n].tag, "%s", sqlite3_column_text(st, 1));
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        *n = 0;
        return store_fail_sqlite(s, rc, "list tag aliases");
    }
    *out = v;
    return STORE_OK;
}

int store_tag_unalias(store_t *s, const char *raw, store_tag_alias_t *dropped)
{
    store_tag_cache_clear(s);
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
    int64_t id, n = 0;
    int rc = find(s, raw, name, key, &id, NULL);
    if (rc)
        return rc;
    char shown[STORE_MAX_TAG_BYTES + 1], err[256];
    if (store_normalize_tag(raw, shown, sizeof shown, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    if ((rc = set_alias(s, key, &n)))
        return rc;
    if (!n)
        return store_fail(s, STORE_ENOTFOUND, id ? "'%s' is a tag, not an alias (`linksnap "
                          "tag-aliases` lists them)" : "'%s' is not an alias (`linksnap "
                          "tag-aliases` lists them)", shown);
    snprintf(dropped->alias, sizeof dropped->alias, "%s", shown);
    snprintf(dropped->tag, sizeof dropped->tag, "%s", name);
    return STORE_OK;
}

static int fill_out(store_t *s, const char *key, store_tag_t *out)
{
    char name[STORE_MAX_TAG_BYTES + 1], k2[STORE_MAX_TAG_KEY_BYTES + 1];
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
    char fname[STORE_MAX_TAG_BYTES + 1], fkey[STORE_MAX_TAG_KEY_BYTES + 1];
    char tname[STORE_MAX_TAG_BYTES + 1], tkey[STORE_MAX_TAG_KEY_BYTES + 1];
    int64_t fid, tid;
    int rc = find_as(s, from, 1, fname, fkey, &fid, NULL);
    if (rc)
        return rc;
    if (!fid)
        return fail_not_own(s, from, fname);
    if ((rc = store_tag_name_key(s, to, tname, tkey)))
        return rc;
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
    char tname2[STORE_MAX_TAG_BYTES + 1], tkey2[STORE_MAX_TAG_KEY_BYTES + 1];
    if ((rc = find(s, tname, tname2, tkey2, &tid, NULL)))
        return rc;
    if (tid && tid != fid) {   /* another tag, or an alias of one: merge into it */
        if ((rc = move_links(s, fid, tid, 1)))
            return rc;
        return fill_out(s, tname2, out);
    }
    /* a new name (or one of this tag's own aliases, which stops being one): the old key
     * becomes an alias */
    if ((rc = set_alias(s, tkey, NULL)) ||
        (rc = exec_ids(s, "INSERT INTO tag_aliases(key, name, tag_id) SELECT key, name, id "
                          "FROM tags WHERE id = ?1 AND ?2 = ?2 ON CONFLICT(key) DO NOTHING", fid, 0)))
        return rc;
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
    char iname[STORE_MAX_TAG_BYTES + 1], ikey[STORE_MAX_TAG_KEY_BYTES + 1];
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1], err[256];
    int64_t iid, fid;
    int rc, found = 0;
    if (store_normalize_tag(into, iname, sizeof iname, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    for (size_t i = 0; i < nfrom; i++) {
        if ((rc = find_as(s, from[i], 1, name, key, &fid, NULL)))
            return rc;
        found += fid != 0;
    }
    if (!found)
        return store_fail(s, STORE_ENOTFOUND, "none of the tags to merge exists");
    if ((rc = store_tag_key_or_fail(s, iname, ikey)))
        return rc;
    sqlite3_stmt *st = store_stmt(s, ST_TAG_INSERT);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_text(st, 1, iname, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ikey, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "merge tags");
    if ((rc = find(s, iname, name, key, &iid, NULL)))   /* into may be an alias: its tag */
        return rc;
    for (size_t i = 0; i < nfrom; i++) {
        char fname[STORE_MAX_TAG_BYTES + 1], fkey[STORE_MAX_TAG_KEY_BYTES + 1];
        if ((rc = find_as(s, from[i], 1, fname, fkey, &fid, NULL)))
            return rc;
        if (fid && fid != iid && (rc = move_links(s, fid, iid, 1)))
            return rc;
    }
    return fill_out(s, name, out);
}

int store_tag_delete(store_t *s, const char *name, store_tag_t *deleted)
{
    store_tag_cache_clear(s);
    char tname[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
    int64_t id, count = 0;
    int rc = find_as(s, name, 1, tname, key, &id, &count);
    if (rc)
        return rc;
    if (!id)
        return fail_not_own(s, name, tname);
    snprintf(deleted->name, sizeof deleted->name, "%s", tname);
    deleted->count = count;
    if ((rc = exec_ids(s, "DELETE FROM link_tags WHERE tag_id = ?1 AND ?2 = ?2", id, 0)))
        return rc;
    return exec_ids(s, "DELETE FROM tags WHERE id = ?1 AND ?2 = ?2", id, 0);
}

/* ---- migration 5: the NFKC_Casefold key ----------------------------------------------- */

typedef struct {
    int64_t from, into;
} merge_pair_t;

static int rekey_fill(store_t *s)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    char key[STORE_MAX_TAG_KEY_BYTES + 1];
    int rc = sqlite3_prepare_v2(s->db, "SELECT id, name FROM tags ORDER BY id", -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO temp.rekey(id, key) VALUES (?1, ?2)", -1,
                                &ins, NULL);
    if (rc != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "re-key tags");
        goto fail;
    }
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        if ((rc = store_tag_key_or_fail(s, (const char *)sqlite3_column_text(sel, 1), key)))
            goto fail;
        sqlite3_bind_int64(ins, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_text(ins, 2, key, -1, SQLITE_STATIC);
        if ((rc = store_step_done(s, ins, "re-key tags")))
            goto fail;
    }
    rc = rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "re-key tags");
fail:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return rc;
}

/* The pairs (tag, oldest tag with the same new key), oldest first, with names and counts
 * recorded in s->merged. */
static int rekey_pairs(store_t *s, merge_pair_t **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    merge_pair_t *v = NULL;
    size_t cap = 0, mcap = 0;   /* s->merged grows beside v, from whatever it held before */
    *n = 0;
    int rc = sqlite3_prepare_v2(s->db,
        "SELECT r.id, m.id, t.name, k.name, t.count FROM temp.rekey r"
        " JOIN (SELECT key, min(id) AS id FROM temp.rekey GROUP BY key) m"
        "   ON m.key = r.key AND m.id <> r.id"
        " JOIN tags t ON t.id = r.id JOIN tags k ON k.id = m.id ORDER BY r.id", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "re-key tags");
        goto fail;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(v, *n, cap, 16) || STORE_GROW(s->merged, *n, mcap, 16)) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            goto fail;
        }
        v[*n].from = sqlite3_column_int64(st, 0);
        v[*n].into = sqlite3_column_int64(st, 1);
        store_tag_merged_t *m = &s->merged[*n];
        snprintf(m->from, sizeof m->from, "%s", sqlite3_column_text(st, 2));
        snprintf(m->into, sizeof m->into, "%s", sqlite3_column_text(st, 3));
        m->links = sqlite3_column_int64(st, 4);
        (*n)++;
        s->nmerged = *n;
    }
    if (rc != SQLITE_DONE) {
        rc = store_fail_sqlite(s, rc, "re-key tags");
        goto fail;
    }
    sqlite3_finalize(st);
    *out = v;
    return STORE_OK;
fail:
    sqlite3_finalize(st);
    free(v);
    *n = 0;
    return rc;
}

int store_tags_rekey(store_t *s)
{
    store_tag_cache_clear(s);
    merge_pair_t *pairs = NULL;
    size_t n = 0;
    int rc = store_exec(s, "CREATE TEMP TABLE rekey(id INTEGER PRIMARY KEY, key TEXT NOT NULL)");
    if (rc)
        return rc;
    if ((rc = rekey_fill(s)) || (rc = store_exec(s, "CREATE INDEX temp.rekey_by_key ON rekey(key, id)")))
        goto done;
    if ((rc = rekey_pairs(s, &pairs, &n)))
        goto done;
    for (size_t i = 0; i < n; i++)
        if ((rc = move_links(s, pairs[i].from, pairs[i].into, 0)))
            goto done;
    /* two passes: no key is unique-checked against a neighbour's old key mid-update (a
     * control character never appears in a tag) */
    rc = store_exec(s, "UPDATE tags SET key = char(1) || id;"
                       "UPDATE tags SET key = (SELECT key FROM temp.rekey r WHERE r.id = tags.id)");
done:
    free(pairs);
    int drop = store_exec(s, "DROP TABLE IF EXISTS temp.rekey");   /* its own code: ENOMEM too */
    return rc ? rc : drop;
}
