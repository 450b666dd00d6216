/* links.c -- links and their tags: add (or merge into the existing link with the same
 * normalised URL), get, update, delete, tag/untag, list with tag filters and keyset
 * pagination, and bulk tag application. Callers provide the transaction (the daemon's
 * writer); nothing here begins or commits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- helpers ------------------------------------------------------------------------- */

#define col_strdup store_col_strdup
#define step_done store_step_done

void store_link_free(store_link_t *l)
{
    if (!l)
        return;
    free(l->url);
    free(l->title);
    free(l->description);
    for (size_t i = 0; i < l->ntags; i++)
        free(l->tags[i]);
    free(l->tags);
    store_snapshot_free(l->last_snapshot);
    free(l);
}

STORE_DEFINE_LIST_FREE(store_link_list_free, store_link_t, store_link_free)

/* Normalises a tag name and returns its id, creating the tag when `create`. *id = 0 when it
 * does not exist and create is 0. */
static int tag_id(store_t *s, const char *raw, int create, int64_t *id)
{
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
    int rc = store_tag_name_key(s, raw, name, key);
    if (rc)
        return rc;
    if ((*id = store_tag_cache_get(s, key)))
        return STORE_OK;
    if (create) {
        sqlite3_stmt *ins = store_stmt(s, ST_TAG_INSERT);
        if (!ins)
            return STORE_EINTERNAL;
        sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, key, -1, SQLITE_STATIC);
        if ((rc = step_done(s, ins, "add tag")))
            return rc;
    }
    if ((rc = store_tag_by_key(s, key, 0, NULL, id, NULL)))
        return rc;
    if (*id)
        store_tag_cache_put(s, key, *id);
    return STORE_OK;
}

/* Validates every tag before anything is written, so a bad tag changes nothing. */
static int check_tags(store_t *s, const char *const *tags, size_t n)
{
    char name[STORE_MAX_TAG_BYTES + 1], err[256];
    for (size_t i = 0; i < n; i++)
        if (store_normalize_tag(tags[i], name, sizeof name, err, sizeof err) != STORE_OK)
            return store_fail(s, STORE_EINVAL, "%s", err);
    return STORE_OK;
}

static int link_tags_change(store_t *s, int64_t link, const char *const *tags, size_t n, int add)
{
    if (!add && n)
        store_tag_cache_clear(s);   /* a tag whose last link goes is deleted by a trigger */
    for (size_t i = 0; i < n; i++) {
        int64_t tid;
        int rc = tag_id(s, tags[i], add, &tid);
        if (rc)
            return rc;
        if (!tid)
            continue;
        sqlite3_stmt *st = store_stmt(s, add ? ST_LINK_TAG_INSERT : ST_LINK_TAG_DELETE);
        if (!st)
            return STORE_EINTERNAL;
        sqlite3_bind_int64(st, 1, link);
        sqlite3_bind_int64(st, 2, tid);
        if ((rc = step_done(s, st, add ? "tag link" : "untag link")))
            return rc;
    }
    return STORE_OK;
}

static int enqueue_capture(store_t *s, int64_t link, int64_t now)
{
    sqlite3_stmt *st = store_stmt(s, ST_SNAPSHOT_INSERT);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link);
    sqlite3_bind_int64(st, 2, now);
    int rc = step_done(s, st, "queue snapshot");
    if (rc)
        return rc;
    int64_t snap = sqlite3_last_insert_rowid(s->db);
    if (!(st = store_stmt(s, ST_JOB_INSERT)))
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link);
    sqlite3_bind_int64(st, 2, snap);
    sqlite3_bind_int64(st, 3, now);
    if ((rc = step_done(s, st, "queue job")))
        return rc;
    if (!(st = store_stmt(s, ST_LINK_SET_SNAPSHOT)))
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link);
    sqlite3_bind_int64(st, 2, snap);
    return step_done(s, st, "link snapshot");
}

int store_job_enqueue(store_t *s, int64_t link_id, int64_t now_ms)
{
    return enqueue_capture(s, link_id, now_ms);
}

/* ---- add / get / find ---------------------------------------------------------------- */

int store_link_add(store_t *s, const store_link_add_t *in, int64_t *id, int *created)
{
    char *url = NULL, err[512];
    int rc = store_normalize_url(in->rules, in->url, &url, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    if ((rc = check_tags(s, in->tags, in->ntags)))
        goto done;
    int64_t created_at = in->created_at > 0 ? in->created_at : in->now_ms;
    sqlite3_stmt *st = store_stmt(s, ST_LINK_INSERT);
    if (!st) {
        rc = STORE_EINTERNAL;
        goto done;
    }
    sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
    if (in->title && *in->title)
        sqlite3_bind_text(st, 2, in->title, -1, SQLITE_STATIC);
    if (in->description && *in->description)
        sqlite3_bind_text(st, 3, in->description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, created_at);
    sqlite3_bind_int64(st, 5, in->now_ms);
    if ((rc = step_done(s, st, "add link")))
        goto done;
    *created = sqlite3_changes(s->db) == 1;
    if (*created) {
        *id = sqlite3_last_insert_rowid(s->db);
    } else {
        if (!(st = store_stmt(s, ST_LINK_BY_URL))) {
            rc = STORE_EINTERNAL;
            goto done;
        }
        sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        *id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (r != SQLITE_ROW) {
            rc = store_fail_sqlite(s, r, "find link");
            goto done;
        }
        if ((in->title && *in->title) || (in->description && *in->description)) {
            if (!(st = store_stmt(s, ST_LINK_FILL_TEXT))) {
                rc = STORE_EINTERNAL;
                goto done;
            }
            sqlite3_bind_int64(st, 1, *id);
            if (in->title && *in->title)
                sqlite3_bind_text(st, 2, in->title, -1, SQLITE_STATIC);
            if (in->description && *in->description)
                sqlite3_bind_text(st, 3, in->description, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, in->now_ms);
            if ((rc = step_done(s, st, "update link")))
                goto done;
        }
    }
    if ((rc = link_tags_change(s, *id, in->tags, in->ntags, 1)))
        goto done;
    if (*created && in->capture)
        rc = enqueue_capture(s, *id, in->now_ms);
done:
    free(url);
    return rc;
}

int store_link_require(store_t *s, int64_t link_id)
{
    sqlite3_stmt *st;
    int rc = store_step_by_id(s, ST_LINK_BY_ID, link_id, "link", &st);
    if (rc == STORE_OK)
        sqlite3_reset(st);
    return rc;
}

int store_link_get(store_t *s, int64_t id, store_link_t **out)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = store_step_by_id(s, ST_LINK_BY_ID, id, "link", &st);
    if (rc != STORE_OK)
        return rc;
    store_link_t *l = calloc(1, sizeof *l);
    if (!l) {
        sqlite3_reset(st);
        return store_fail(s, STORE_ENOMEM, "out of memory");
    }
    l->id = sqlite3_column_int64(st, 0);
    l->url = col_strdup(st, 1);
    l->title = col_strdup(st, 2);
    l->description = col_strdup(st, 3);
    l->created_at = sqlite3_column_int64(st, 4);
    l->updated_at = sqlite3_column_int64(st, 5);
    int64_t snap = sqlite3_column_int64(st, 6);
    l->broken = sqlite3_column_int(st, 7) != 0;
    /* a title or description that could not be copied must not read as none */
    int lost = (!l->title && sqlite3_column_type(st, 2) != SQLITE_NULL) ||
               (!l->description && sqlite3_column_type(st, 3) != SQLITE_NULL);
    sqlite3_reset(st);
    if (!l->url || lost)
        goto nomem;
    if (!(st = store_stmt(s, ST_LINK_TAGS)))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(l->tags, l->ntags, cap, 8)) {
            sqlite3_reset(st);
            goto nomem;
        }
        if (!(l->tags[l->ntags] = col_strdup(st, 0))) {
            sqlite3_reset(st);
            goto nomem;
        }
        l->ntags++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_link_free(l);
        return store_fail_sqlite(s, rc, "get link tags");
    }
    if (snap && (rc = store_snapshot_get(s, snap, &l->last_snapshot)) != STORE_OK && rc != STORE_ENOTFOUND) {
        store_link_free(l);
        return rc;
    }
    *out = l;
    return STORE_OK;
nomem:
    store_link_free(l);
    return store_fail(s, STORE_ENOMEM, "out of memory");
fail:
    store_link_free(l);
    return STORE_EINTERNAL;
}

int store_link_find(store_t *s, const store_url_rules_t *rules, const char *url, int64_t *id)
{
    char *norm = NULL, err[512];
    int rc = store_normalize_url(rules, url, &norm, err, sizeof err);
    if (rc)
        return store_fail(s, rc, "%s", err);
    sqlite3_stmt *st = store_stmt(s, ST_LINK_BY_URL);
    if (!st) {
        free(norm);
        return STORE_EINTERNAL;
    }
    sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    *id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (r == SQLITE_DONE)
        rc = store_fail(s, STORE_ENOTFOUND, "no link with URL %s", norm);
    else if (r != SQLITE_ROW)
        rc = store_fail_sqlite(s, r, "find link");
    free(norm);
    return rc;
}

int store_link_update(store_t *s, int64_t id, int set_title, const char *title,
                      int set_description, const char *description, int64_t now_ms)
{
    int rc = store_link_require(s, id);
    if (rc)
        return rc;
    sqlite3_stmt *st = store_stmt(s, ST_LINK_UPDATE);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, set_title);
    if (title && *title)
        sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, set_description);
    if (description && *description)
        sqlite3_bind_text(st, 5, description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms);
    return step_done(s, st, "update link");
}

int store_link_delete(store_t *s, int64_t id)
{
    int rc = store_link_require(s, id);
    if (rc)
        return rc;
    sqlite3_stmt *st = store_stmt(s, ST_LINK_DELETE);
    if (!st)
        return STORE_EINTERNAL;
    store_tag_cache_clear(s);
    sqlite3_bind_int64(st, 1, id);
    return step_done(s, st, "delete link");
}

static int touch(store_t *s, int64_t id, int64_t now)
{
    sqlite3_stmt *st = store_stmt(s, ST_LINK_TOUCH);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    return step_done(s, st, "update link");
}

int store_link_tag(store_t *s, int64_t id, const char *const *add, size_t nadd,
                   const char *const *remove, size_t nremove, int64_t now_ms)
{
    int rc = store_link_require(s, id);
    if (rc || (rc = check_tags(s, add, nadd)) || (rc = check_tags(s, remove, nremove)))
        return rc;
    if ((rc = link_tags_change(s, id, remove, nremove, 0)) ||
        (rc = link_tags_change(s, id, add, nadd, 1)))
        return rc;
    return touch(s, id, now_ms);
}

/* ---- list ---------------------------------------------------------------------------- */

typedef struct {
    int64_t *all;  size_t nall;     /* resolved ids; rarest first */
    int64_t *any;  size_t nany;
    int64_t *none; size_t nnone;
    int empty;                      /* a tags_all tag does not exist: nothing matches */
} resolved_t;

static void resolved_free(resolved_t *r)
{
    free(r->all);
    free(r->any);
    free(r->none);
}

static int resolve(store_t *s, const char *const *names, size_t n, int64_t **ids, size_t *nids,
                   int64_t *counts, int *missing)
{
    *ids = n ? calloc(n, sizeof **ids) : NULL;
    *nids = 0;
    if (n && !*ids)
        return store_fail(s, STORE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1];
        int64_t id, count;
        int rc = store_tag_name_key(s, names[i], name, key);
        if (!rc)
            rc = store_tag_by_key(s, key, 0, NULL, &id, &count);
        if (rc)
            return rc;
        if (id) {
            (*ids)[*nids] = id;
            if (counts)
                counts[*nids] = count;
            (*nids)++;
        } else if (missing) {
            *missing = 1;
        }
    }
    return STORE_OK;
}

static int resolve_filter(store_t *s, const store_filter_t *f, resolved_t *r)
{
    memset(r, 0, sizeof *r);
    int64_t *counts = f->nall ? calloc(f->nall, sizeof *counts) : NULL;
    if (f->nall && !counts)
        return store_fail(s, STORE_ENOMEM, "out of memory");
    int rc = resolve(s, f->all, f->nall, &r->all, &r->nall, counts, &r->empty);
    if (!rc) {
        /* rarest first: it drives the scan */
        for (size_t i = 1; i < r->nall; i++)
            for (size_t j = i; j > 0 && counts[j] < counts[j - 1]; j--) {
                int64_t t = counts[j]; counts[j] = counts[j - 1]; counts[j - 1] = t;
                t = r->all[j]; r->all[j] = r->all[j - 1]; r->all[j - 1] = t;
            }
        int missing_any = 0;
        rc = resolve(s, f->any, f->nany, &r->any, &r->nany, NULL, &missing_any);
        if (!rc && f->nany && r->nany == 0)
            r->empty = 1;   /* none of the tags_any exists */
    }
    if (!rc)
        rc = resolve(s, f->none, f->nnone, &r->none, &r->nnone, NULL, NULL);
    free(counts);
    return rc;
}

static int append(char *sql, size_t cap, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > cap)
        return -1;
    memcpy(sql + *len, text, n + 1);
    *len += n;
    return 0;
}

static int append_ids(char *sql, size_t cap, size_t *len, const int64_t *ids, size_t n)
{
    char num[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(num, sizeof num, "%s%lld", i ? "," : "", (long long)ids[i]);
        if (append(sql, cap, len, num))
            return -1;
    }
    return 0;
}

/* " AND [NOT ]EXISTS (a link_tags row of this link with one of these tag ids)" */
static int append_tag_set(char *sql, size_t cap, size_t *len, const char *neg, const char *idcol,
                          const int64_t *ids, size_t n)
{
    char cond[160];
    snprintf(cond, sizeof cond, " AND %sEXISTS (SELECT 1 FROM link_tags y WHERE y.link_id = %s "
             "AND y.tag_id IN (", neg, idcol);
    return append(sql, cap, len, cond) || append_ids(sql, cap, len, ids, n) ||
           append(sql, cap, len, "))") ? -1 : 0;
}

static int ascii_only(const char *q)
{
    for (; *q; q++)
        if ((unsigned char)*q >= 0x80)
            return 0;
    return 1;
}

/* The broken links' ids (store_filter_t.broken), read through the partial index
 * links_broken (schema 12). */
#define STORE_BROKEN_IDS "(SELECT id FROM links WHERE broken = 1)"

/* The filter's tag conditions on the link id column idcol, from tags_all's first (a
 * caller driving its scan by tags_all[0] passes 1). */
static int append_filters(const resolved_t *r, const store_filter_t *f, const char *idcol,
                          size_t first_all, char *sql, size_t cap, size_t *len)
{
    char cond[256];
    for (size_t i = first_all; i < r->nall; i++) {
        snprintf(cond, sizeof cond, " AND EXISTS (SELECT 1 FROM link_tags x WHERE x.link_id = "
                 "%s AND x.tag_id = %lld)", idcol, (long long)r->all[i]);
        if (append(sql, cap, len, cond))
            return -1;
    }
    if (r->nany && append_tag_set(sql, cap, len, "", idcol, r->any, r->nany))
        return -1;
    if (r->nnone && append_tag_set(sql, cap, len, "NOT ", idcol, r->none, r->nnone))
        return -1;
    if (f->untagged) {
        snprintf(cond, sizeof cond, " AND NOT EXISTS (SELECT 1 FROM link_tags u WHERE "
                 "u.link_id = %s)", idcol);
        if (append(sql, cap, len, cond))
            return -1;
    }
    if (f->broken) {
        snprintf(cond, sizeof cond, " AND %s IN " STORE_BROKEN_IDS, idcol);
        if (append(sql, cap, len, cond))
            return -1;
    }
    return 0;
}

/* Builds the id query for a filter: ids in DESC order below ?1, limited by ?2, with ?3 the
 * LIKE pattern when q is set. Tag ids are integers from the store, inlined. */
static int build_query(const resolved_t *r, const store_filter_t *f, char *sql, size_t cap)
{
    size_t len = 0;
    const char *idcol;
    sql[0] = '\0';
    if (r->nall) {
        char head[256];
        snprintf(head, sizeof head, "SELECT d.link_id FROM link_tags d%s WHERE d.tag_id = %lld "
                 "AND d.link_id < ?1", f->q ? " JOIN links l ON l.id = d.link_id" : "",
                 (long long)r->all[0]);
        if (append(sql, cap, &len, head))
            return -1;
        idcol = "d.link_id";
    } else {
        if (append(sql, cap, &len, "SELECT l.id FROM links l WHERE l.id < ?1"))
            return -1;
        idcol = "l.id";
    }
    if (append_filters(r, f, idcol, 1, sql, cap, &len))
        return -1;
    if (f->q && append(sql, cap, &len, " AND (l.url LIKE ?3 ESCAPE '\\' OR l.title LIKE ?3 "
                                       "ESCAPE '\\' OR l.description LIKE ?3 ESCAPE '\\'"))
        return -1;
    /* Text that is not ASCII can also be in the address as people read it (例子.测试/路径).
     * An ASCII query finds the same links in either form, and a URL with no punycode
     * label and no escape reads as it is stored, so only those few are decoded. */
    if (f->q && !ascii_only(f->q) &&
        append(sql, cap, &len, " OR ((instr(l.url, 'xn--') OR instr(l.url, '%')) AND "
                               "linksnap_display_url(l.url) LIKE ?3 ESCAPE '\\')"))
        return -1;
    if (f->q && append(sql, cap, &len, ")"))
        return -1;
    char cond[64];
    snprintf(cond, sizeof cond, " ORDER BY %s DESC LIMIT ?2", idcol);
    return append(sql, cap, &len, cond);
}

static char *like_pattern(const char *q)
{
    size_t n = strlen(q);
    char *p = malloc(2 * n + 3);
    if (!p)
        return NULL;
    size_t w = 0;
    p[w++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
            p[w++] = '\\';
        p[w++] = q[i];
    }
    p[w++] = '%';
    p[w] = '\0';
    return p;
}

typedef struct hit hit_t;
typedef struct cursor cursor_t;
static int search_rows(store_t *s, const store_filter_t *f, store_sort_t sort, int64_t limit,
                       const cursor_t *cur, char **fts_out, hit_t **out, size_t *n);
static void hits_free(hit_t *h, size_t n);
static int64_t hit_id(const hit_t *h, size_t i);

/* Runs the filter and calls fn for each matching id (at most limit, 0 = no limit). A q
 * goes through the search (text index and addresses), newest first. */
static int scan_ids(store_t *s, const store_filter_t *f, int64_t before, int64_t limit,
                    int (*fn)(store_t *, int64_t, void *), void *ud, int64_t *count)
{
    *count = 0;
    if (f->q) {
        if (before > 0)
            return store_fail(s, STORE_EINVAL, "internal: a q scan has no start");
        hit_t *h = NULL;
        size_t nh = 0;
        char *fts = NULL;
        int rc = search_rows(s, f, STORE_SORT_ADDED, limit > 0 ? limit : -1, NULL, &fts, &h, &nh);
        free(fts);
        for (size_t i = 0; !rc && i < nh; i++) {
            (*count)++;
            rc = fn(s, hit_id(h, i), ud);
        }
        hits_free(h, nh);
        return rc;
    }
    resolved_t r;
    int rc = resolve_filter(s, f, &r);
    if (rc || r.empty) {
        resolved_free(&r);
        return rc;
    }
    size_t cap = 1024 + 24 * (r.nall + r.nany + r.nnone) + 160 * r.nall;
    char *sql = malloc(cap), *pattern = NULL;
    sqlite3_stmt *st = NULL;
    if (!sql || build_query(&r, f, sql, cap) != 0) {
        rc = store_fail(s, STORE_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "list links");
        goto done;
    }
    sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    if (f->q) {
        if (!(pattern = like_pattern(f->q))) {
            rc = STORE_ENOMEM;
            goto done;
        }
        sqlite3_bind_text(st, 3, pattern, -1, SQLITE_STATIC);
    }
    int r2;
    rc = STORE_OK;
    while ((r2 = sqlite3_step(st)) == SQLITE_ROW) {
        (*count)++;
        if ((rc = fn(s, sqlite3_column_int64(st, 0), ud)))
            break;
    }
    if (!rc && r2 != SQLITE_DONE)
        rc = store_fail_sqlite(s, r2, "list links");
done:
    sqlite3_finalize(st);
    free(sql);
    free(pattern);
    resolved_free(&r);
    return rc;
}

typedef struct {
    int64_t *ids;
    size_t n, cap;
} idvec_t;

static int collect_cb(store_t *s, int64_t id, void *ud)
{
    idvec_t *v = ud;
    if (STORE_GROW(v->ids, v->n, v->cap, 64))
        return store_fail(s, STORE_ENOMEM, "out of memory");
    v->ids[v->n++] = id;
    return STORE_OK;
}

int store_link_list(store_t *s, const store_filter_t *f, int limit, int64_t before_id,
                    store_link_t ***out, size_t *n, int64_t *next_before)
{
    *out = NULL;
    *n = 0;
    *next_before = 0;
    if (limit < 1 || limit > 500)
        return store_fail(s, STORE_EINVAL, "limit must be from 1 to 500");
    if (f->q) {   /* the search's order and cursor (added: the cursor is the id) */
        char cur[32], *next = NULL;
        snprintf(cur, sizeof cur, "%lld", (long long)before_id);
        int rc = store_link_search(s, f, STORE_SORT_ADDED, limit, before_id > 0 ? cur : NULL,
                                   out, NULL, n, &next);
        if (!rc && next)
            *next_before = strtoll(next, NULL, 10);
        free(next);
        return rc;
    }
    idvec_t v = {0};
    int64_t count;
    int rc = scan_ids(s, f, before_id, limit + 1, collect_cb, &v, &count);
    if (rc) {
        free(v.ids);
        return rc;
    }
    size_t take = v.n > (size_t)limit ? (size_t)limit : v.n;
    store_link_t **links = take ? calloc(take, sizeof *links) : NULL;
    if (take && !links) {
        free(v.ids);
        return store_fail(s, STORE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < take; i++) {
        if ((rc = store_link_get(s, v.ids[i], &links[i])) != STORE_OK) {
            store_link_list_free(links, i);
            free(v.ids);
            return rc;
        }
    }
    if (v.n > (size_t)limit)
        *next_before = v.ids[take - 1];
    free(v.ids);
    *out = links;
    *n = take;
    return STORE_OK;
}

static int count_cb(store_t *s, int64_t id, void *ud)
{
    (void)s;
    (void)id;
    (void)ud;
    return STORE_OK;
}

int store_link_count(store_t *s, const store_filter_t *f, int64_t *count)
{
    return scan_ids(s, f, 0, 0, count_cb, NULL, count);
}

int store_link_ids(store_t *s, const store_filter_t *f, int64_t max, int64_t **ids, size_t *n)
{
    idvec_t v = {0};
    int64_t count;
    *ids = NULL;
    *n = 0;
    int rc = scan_ids(s, f, 0, max + 1, collect_cb, &v, &count);
    if (rc) {
        free(v.ids);
        return rc;
    }
    *ids = v.ids;
    *n = v.n;
    return STORE_OK;
}

int store_tag_apply(store_t *s, const store_filter_t *f, const char *const *add, size_t nadd,
                    const char *const *remove, size_t nremove, int64_t now_ms, int64_t *changed)
{
    *changed = 0;
    int rc = check_tags(s, add, nadd);
    if (rc || (rc = check_tags(s, remove, nremove)))
        return rc;
    idvec_t v = {0};
    int64_t count;
    if ((rc = scan_ids(s, f, 0, 0, collect_cb, &v, &count))) {
        free(v.ids);
        return rc;
    }
    for (size_t i = 0; i < v.n && !rc; i++) {
        int before = sqlite3_total_changes(s->db);
        rc = link_tags_change(s, v.ids[i], remove, nremove, 0);
        if (!rc)
            rc = link_tags_change(s, v.ids[i], add, nadd, 1);
        if (!rc && sqlite3_total_changes(s->db) != before) {
            (*changed)++;
            rc = touch(s, v.ids[i], now_ms);
        }
    }
    free(v.ids);
    return rc;
}

/* ---- search: q over the text index and the addresses, five sorts ---------------------
 * One query for every sort: an inner select gives each candidate link its sort tuple
 * (c, s, k, id) and whether it matched in its text; the outer one pages it in the order
 * c ASC, s ASC, k ASC (NOCASE), id DESC, after the cursor's tuple. */

int store_sort_parse(const char *name)
{
    static const char *const names[] = {"relevance", "added", "title", "captured", "host"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, names[i]))
            return STORE_SORT_RELEVANCE + i;
    return -1;
}

#define RANK_MAX 2000   /* text hits scored by BM25 at most (search_rows) */

static const char sort_letter[] = {'?', 'r', 'a', 't', 'c', 'h'};

struct cursor {
    int64_t c, id;
    double s;
    const char *k;   /* points into the cursor string */
};

/* "<id>" for added (the old cursor), "<letter>:<c>:<s>:<id>:<k>" for the others. */
static int cursor_parse(const char *cur, store_sort_t sort, cursor_t *out)
{
    char *end;
    memset(out, 0, sizeof *out);
    out->k = "";
    if (sort == STORE_SORT_ADDED) {
        long long v = strtoll(cur, &end, 10);
        if (!*cur || *end || v < 1)
            return -1;
        out->id = v;
        return 0;
    }
    if (cur[0] != sort_letter[sort] || cur[1] != ':')
        return -1;
    const char *p = cur + 2;
    out->c = strtoll(p, &end, 10);
    if (end == p || *end != ':')
        return -1;
    p = end + 1;
    out->s = strtod(p, &end);
    if (end == p || *end != ':')
        return -1;
    p = end + 1;
    out->id = strtoll(p, &end, 10);
    if (end == p || *end != ':' || out->id < 1)
        return -1;
    out->k = end + 1;
    return 0;
}

static char *cursor_make(store_sort_t sort, int64_t c, double sv, int64_t id, const char *k)
{
    size_t n = 96 + (k ? strlen(k) : 0);
    char *out = malloc(n);
    if (!out)
        return NULL;
    if (sort == STORE_SORT_ADDED)
        snprintf(out, n, "%lld", (long long)id);
    else
        snprintf(out, n, "%c:%lld:%.17g:%lld:%s", sort_letter[sort], (long long)c, sv,
                 (long long)id, k ? k : "");
    return out;
}

static size_t char_count(const char *q)
{
    size_t n = 0;
    for (; *q; q++)
        n += ((unsigned char)*q & 0xC0) != 0x80;
    return n;
}

/* The trigram MATCH for q's substring part: q as one quoted string. */
static char *trgm_query(const char *q)
{
    size_t n = strlen(q);
    char *e = malloc(2 * n + 3);
    if (!e)
        return NULL;
    size_t w = 0;
    e[w++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '"')
            e[w++] = '"';
        e[w++] = q[i];
    }
    e[w++] = '"';
    e[w] = '\0';
    return e;
}


/* q's substring condition on the link l, for q under three characters (no trigrams). */
#define SUB_LIKE "(l.url LIKE ?3 ESCAPE '\\' OR l.title LIKE ?3 ESCAPE '\\' OR " \
                 "l.description LIKE ?3 ESCAPE '\\'"
#define SUB_LIKE_ENCODED " OR (" STORE_ENCODED_URL " AND linksnap_display_url(l.url) LIKE ?3 " \
                         "ESCAPE '\\')"

/* Whether an FTS5 expression of store_fts_query holds a prefix FTS5 expands itself (a *
 * outside quotes): such a prefix merges all its doclists at every evaluation, so it is
 * evaluated once for a set rather than once per row. */
static int has_native_prefix(const char *e)
{
    int in = 0;
    for (; *e; e++) {
        if (*e == '"')
            in = !in;
        else if (*e == '*' && !in)
            return 1;
    }
    return 0;
}

/* The newest-first searches, without reading every hit: sort=added with q, and relevance
 * when the text hits are too many to rank (tier 0, the address/title/description hits,
 * then tier 1, the text-only ones, each newest first). Each source reads its index in
 * descending rowid order with the filter and the cursor inside and stops at ?1 rows, so
 * a common word costs the page shown, not its tens of thousands of hits. Parameters as
 * build_search's; `tiered` for relevance; `from` the cursor's tier (0 without one). */
static int build_stream(const resolved_t *r, const store_filter_t *f, int tiered, int trgm,
                        int native, const cursor_t *cur, char *sql, size_t cap)
{
    size_t len = 0;
    size_t *n = &len;
    int enc = !ascii_only(f->q);
    int from = cur ? (int)cur->c : 0;
    const char *sub_below = cur && (!tiered || from == 0) ? " AND l.id < ?7" : "";
    const char *text_below = cur && (!tiered || from == 1) ? " AND l.id < ?7" : "";
    sql[0] = '\0';
#define A(text) do { if (append(sql, cap, n, (text))) return -1; } while (0)
#define FILTERS() do { if (append_filters(r, f, "l.id", 0, sql, cap, n)) return -1; } while (0)
/* the substring hits: the trigrams (and the few encoded addresses), or LIKE on each link */
#define SUB_SOURCE() do { \
        if (trgm) { \
            A("SELECT id FROM (SELECT l.id AS id FROM link_trgm t JOIN links l ON l.id = t.rowid " \
              "WHERE link_trgm MATCH ?3"); \
            FILTERS(); A(sub_below); A(" ORDER BY t.rowid DESC LIMIT ?1)"); \
            if (enc) { \
                A(" UNION ALL SELECT id FROM (SELECT l.id AS id FROM links l WHERE " \
                  STORE_ENCODED_URL " AND linksnap_display_url(l.url) LIKE ?8 ESCAPE '\\'"); \
                FILTERS(); A(sub_below); A(" ORDER BY l.id DESC LIMIT ?1)"); \
            } \
        } else { \
            A("SELECT id FROM (SELECT l.id AS id FROM links l WHERE " SUB_LIKE); \
            if (enc) A(SUB_LIKE_ENCODED); \
            A(")"); FILTERS(); A(sub_below); A(" ORDER BY l.id DESC LIMIT ?1)"); \
        } \
    } while (0)
    if (tiered) {
        /* tier 1 is read only when tier 0 does not fill the page (z: tier 0, once) */
        int t0 = !cur || from == 0;
        if (t0) {
            A("WITH z AS MATERIALIZED (SELECT id FROM (");
            SUB_SOURCE();
            A(")) ");
        }
        A("SELECT id, c, 0 AS s, '' AS k, intext FROM (");
        if (t0)   /* tier 0 in the text too? per row when the expression reads lazily, else once */
            A(native ? "SELECT id, 0 AS c, id IN (SELECT rowid FROM text_fts WHERE text_fts "
                       "MATCH ?2) AS intext FROM z UNION ALL " :
                       "SELECT id, 0 AS c, EXISTS (SELECT 1 FROM text_fts x WHERE text_fts "
                       "MATCH ?2 AND x.rowid = z.id) AS intext FROM z UNION ALL ");
        A("SELECT id, 1 AS c, 1 AS intext FROM (SELECT l.id AS id FROM text_fts t JOIN links l "
          "ON l.id = t.rowid WHERE ");
        if (t0)
            A("(SELECT count(*) FROM z) < ?1 AND ");
        /* not a substring hit (a NULL title makes LIKE NULL: coalesce) */
        A("text_fts MATCH ?2 AND NOT ");
        if (trgm) {
            A("EXISTS (SELECT 1 FROM link_trgm y WHERE link_trgm MATCH ?3 AND y.rowid = l.id)");
            if (enc)
                A(" AND NOT (" STORE_ENCODED_URL " AND linksnap_display_url(l.url) LIKE ?8 "
                  "ESCAPE '\\')");
        } else {
            A("coalesce(" SUB_LIKE);
            if (enc)
                A(SUB_LIKE_ENCODED);
            A("), 0)");
        }
        FILTERS();
        A(text_below);
        A(" ORDER BY t.rowid DESC LIMIT ?1)) ORDER BY c, id DESC LIMIT ?1");
        return 0;
    }
    A("SELECT id, 0 AS c, 0 AS s, '' AS k, max(t) AS intext FROM (SELECT id, 0 AS t FROM (");
    SUB_SOURCE();
    A(") UNION ALL SELECT id, 1 AS t FROM (SELECT l.id AS id FROM text_fts t JOIN links l ON "
      "l.id = t.rowid WHERE text_fts MATCH ?2");
    FILTERS();
    A(text_below);
    A(" ORDER BY t.rowid DESC LIMIT ?1)) GROUP BY id ORDER BY id DESC LIMIT ?1");
    return 0;
#undef SUB_SOURCE
#undef FILTERS
#undef A
}

/* Parameters: ?1 limit, ?2 fts expr, ?3 substring (trigram expr or LIKE pattern), ?4..?7
 * the cursor (c, s, k, id), ?8 the LIKE pattern for encoded addresses beside the trigrams. */
static int build_search(const resolved_t *r, const store_filter_t *f, store_sort_t sort,
                        int has_fts, int trgm, int has_cursor, char *sql, size_t cap)
{
    size_t len = 0;
    sql[0] = '\0';
    int q = f->q != NULL;
    /* with q, the candidates: the text hits (score, intext) and the substring hits
     * (insub), one row per link by a GROUP BY (a sorter, never a join of two big sets) */
    if (q) {
        if (append(sql, cap, &len, "WITH h AS (SELECT id, min(score) AS score, max(t) AS intext, "
                                   "max(u) AS insub FROM ("))
            return -1;
        /* has_fts 2: too many text hits to rank (RANK_MAX): they tie, newest first */
        if (has_fts && append(sql, cap, &len, has_fts == 2 ?
                                  "SELECT rowid AS id, 0 AS score, 1 AS t, 0 AS u FROM text_fts "
                                  "WHERE text_fts MATCH ?2 UNION ALL " :
                                  "SELECT rowid AS id, bm25(text_fts) AS score, 1 AS t, 0 AS u "
                                  "FROM text_fts WHERE text_fts MATCH ?2 UNION ALL "))
            return -1;
        if (trgm) {
            if (append(sql, cap, &len, "SELECT rowid AS id, 0 AS score, 0 AS t, 1 AS u FROM "
                                       "link_trgm WHERE link_trgm MATCH ?3"))
                return -1;
            /* the readable form of the few encoded addresses (links_encoded) */
            if (!ascii_only(f->q) &&
                append(sql, cap, &len, " UNION ALL SELECT id, 0, 0, 1 FROM links WHERE "
                                       STORE_ENCODED_URL " AND linksnap_display_url(url) LIKE ?8 "
                                       "ESCAPE '\\'"))
                return -1;
        } else {
            if (append(sql, cap, &len, "SELECT id, 0 AS score, 0 AS t, 1 AS u FROM links WHERE "
                                       "url LIKE ?3 ESCAPE '\\' OR title LIKE ?3 ESCAPE '\\' "
                                       "OR description LIKE ?3 ESCAPE '\\'"))
                return -1;
            if (!ascii_only(f->q) &&
                append(sql, cap, &len, " OR (" STORE_ENCODED_URL " AND "
                                       "linksnap_display_url(url) LIKE ?3 ESCAPE '\\')"))
                return -1;
        }
        if (append(sql, cap, &len, ") GROUP BY id) "))
            return -1;
    }
    const char *c = "0", *s = "0", *k = "''";
    switch (sort) {
    case STORE_SORT_RELEVANCE:
        if (q) {
            c = "(h.insub = 0)";
            s = "h.score";
        }
        break;
    case STORE_SORT_TITLE:
        c = "(l.title IS NULL OR l.title = '')";
        k = "coalesce(l.title, '')";
        break;
    case STORE_SORT_CAPTURED:
        c = "(cap.finished_at IS NULL)";
        s = "-coalesce(cap.finished_at, 0)";
        break;
    case STORE_SORT_HOST:
        k = "linksnap_host(l.url)";
        break;
    default:
        break;
    }
    char head[768];
    snprintf(head, sizeof head, "SELECT * FROM (SELECT l.id AS id, %s AS c, %s AS s, %s AS k, %s AS "
             "intext FROM %slinks l%s%s WHERE 1", c, s, k, q ? "h.intext" : "0",
             q ? "h JOIN " : "", q ? " ON l.id = h.id" : "",
             sort == STORE_SORT_CAPTURED ? " LEFT JOIN (SELECT link_id, max(finished_at) AS "
                                           "finished_at FROM snapshots GROUP BY link_id) cap ON "
                                           "cap.link_id = l.id" : "");
    if (append(sql, cap, &len, head) || append_filters(r, f, "l.id", 0, sql, cap, &len) ||
        append(sql, cap, &len, ")"))
        return -1;
    if (has_cursor && append(sql, cap, &len, " WHERE c > ?4 OR (c = ?4 AND (s > ?5 OR (s = ?5 AND "
                                             "(k > ?6 COLLATE NOCASE OR (k = ?6 COLLATE NOCASE AND "
                                             "id < ?7)))))"))
        return -1;
    return append(sql, cap, &len, " ORDER BY c, s, k COLLATE NOCASE, id DESC LIMIT ?1");
}

void store_match_free(store_match_t *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        for (size_t j = 0; j < m[i].nsnip; j++)
            free(m[i].snip[j].text);
        free(m[i].snip);
    }
    free(m);
}

static int snippet_of(store_t *s, sqlite3_stmt **st, const char *q, int64_t id, store_match_t *m)
{
    if (!*st) {
        int rc = sqlite3_prepare_v2(s->db, "SELECT p.text FROM text_indexed i JOIN page_texts p "
                                    "ON p.snapshot_id = i.snapshot_id WHERE i.link_id = ?1", -1,
                                    st, NULL);
        if (rc != SQLITE_OK)
            return store_fail_sqlite(s, rc, "snippet");
    }
    sqlite3_reset(*st);
    sqlite3_bind_int64(*st, 1, id);
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(*st, 0);
        rc = t ? store_fts_snippet(t, q, 24, &m->snip, &m->nsnip) : STORE_OK;
        sqlite3_reset(*st);
        return rc ? store_fail(s, rc, "out of memory") : STORE_OK;
    }
    sqlite3_reset(*st);
    return rc == SQLITE_DONE ? STORE_OK : store_fail_sqlite(s, rc, "snippet");
}

struct hit {
    int64_t id, c;
    double s;
    char *k;
    int intext;
};

static int64_t hit_id(const hit_t *h, size_t i) { return h[i].id; }

/* Runs the search; calls back with each row's tuple, at most limit (< 0: all). */
static int search_rows(store_t *s, const store_filter_t *f, store_sort_t sort, int64_t limit,
                       const cursor_t *cur, char **fts_out, hit_t **out, size_t *n)
{
    resolved_t r;
    *out = NULL;
    *n = 0;
    *fts_out = NULL;
    int rc = resolve_filter(s, f, &r);
    if (rc || r.empty) {
        resolved_free(&r);
        return rc;
    }
    char *fts = NULL, *sub = NULL, *sql = NULL, *like = NULL;
    sqlite3_stmt *st = NULL;
    int trgm = 0;
    if (f->q) {
        if ((rc = store_fts_query(s, f->q, &fts)))
            goto done;
        trgm = char_count(f->q) >= 3;
        sub = trgm ? trgm_query(f->q) : like_pattern(f->q);
        like = trgm && !ascii_only(f->q) ? like_pattern(f->q) : NULL;
        if (!sub || (trgm && !ascii_only(f->q) && !like)) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            goto done;
        }
    }
    /* BM25 reads every hit's position list and length: at tens of thousands of hits (a
     * common word) that is seconds, and such a word ranks nothing. Over RANK_MAX text hits
     * they are not scored. Counting stops at RANK_MAX + 1. */
    int has_fts = fts != NULL;
    if (fts && sort == STORE_SORT_RELEVANCE) {
        sqlite3_stmt *cnt;
        if ((rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM (SELECT 1 FROM text_fts WHERE "
                                     "text_fts MATCH ?1 LIMIT ?2)", -1, &cnt, NULL)) != SQLITE_OK) {
            rc = store_fail_sqlite(s, rc, "search links");
            goto done;
        }
        sqlite3_bind_text(cnt, 1, fts, -1, SQLITE_STATIC);
        sqlite3_bind_int(cnt, 2, RANK_MAX + 1);
        if (sqlite3_step(cnt) == SQLITE_ROW && sqlite3_column_int(cnt, 0) > RANK_MAX)
            has_fts = 2;
        sqlite3_finalize(cnt);
        rc = STORE_OK;
    }
    /* newest first over the hits: read each index backwards up to the page (build_stream) */
    int stream = fts && (sort == STORE_SORT_ADDED || (sort == STORE_SORT_RELEVANCE && has_fts == 2));
    size_t cap = 8192 + 4 * (24 * (r.nall + r.nany + r.nnone) + 160 * r.nall);
    if (!(sql = malloc(cap)) ||
        (stream ? build_stream(&r, f, sort == STORE_SORT_RELEVANCE, trgm, has_native_prefix(fts),
                               cur, sql, cap) :
                  build_search(&r, f, sort, has_fts, trgm, cur != NULL, sql, cap)) != 0) {
        rc = store_fail(s, STORE_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK) {
        rc = store_fail_sqlite(s, rc, "search links");
        goto done;
    }
    sqlite3_bind_int64(st, 1, limit);
    if (fts)
        sqlite3_bind_text(st, 2, fts, -1, SQLITE_STATIC);
    if (sub)
        sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
    if (like)
        sqlite3_bind_text(st, 8, like, -1, SQLITE_STATIC);
    if (cur) {
        sqlite3_bind_int64(st, 4, cur->c);
        sqlite3_bind_double(st, 5, cur->s);
        sqlite3_bind_text(st, 6, cur->k, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, cur->id);
    }
    size_t hcap = 0;
    int r2;
    rc = STORE_OK;
    while ((r2 = sqlite3_step(st)) == SQLITE_ROW) {
        if (STORE_GROW(*out, *n, hcap, 64)) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            break;
        }
        hit_t *h = &(*out)[*n];
        h->id = sqlite3_column_int64(st, 0);
        h->c = sqlite3_column_int64(st, 1);
        h->s = sqlite3_column_double(st, 2);
        h->k = store_col_strdup(st, 3);
        h->intext = sqlite3_column_int(st, 4);
        (*n)++;
        if (!h->k) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            break;
        }
    }
    if (!rc && r2 != SQLITE_DONE)
        rc = store_fail_sqlite(s, r2, "search links");
done:
    sqlite3_finalize(st);
    free(sql);
    free(sub);
    free(like);
    if (rc == STORE_OK)
        *fts_out = fts;
    else
        free(fts);
    resolved_free(&r);
    return rc;
}

static void hits_free(hit_t *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++)
        free(h[i].k);
    free(h);
}

int store_link_search(store_t *s, const store_filter_t *f, store_sort_t sort, int limit,
                      const char *cursor, store_link_t ***out, store_match_t **matches,
                      size_t *n, char **next_cursor)
{
    *out = NULL;
    *n = 0;
    *next_cursor = NULL;
    if (matches)
        *matches = NULL;
    if (limit < 1 || limit > 500)
        return store_fail(s, STORE_EINVAL, "limit must be from 1 to 500");
    if (sort == STORE_SORT_DEFAULT)
        sort = f->q ? STORE_SORT_RELEVANCE : STORE_SORT_ADDED;
    if (sort < STORE_SORT_RELEVANCE || sort > STORE_SORT_HOST)
        return store_fail(s, STORE_EINVAL, "unknown sort");
    if (f->q && char_count(f->q) > STORE_MAX_Q_CHARS)
        return store_fail(s, STORE_EINVAL, "q is too long (at most %d characters)",
                          STORE_MAX_Q_CHARS);
    cursor_t cur;
    if (cursor && cursor_parse(cursor, sort, &cur) != 0)
        return store_fail(s, STORE_EINVAL, "cursor is not a cursor of this sort from link.list");
    hit_t *h = NULL;
    size_t nh = 0;
    char *fts = NULL;
    int rc = search_rows(s, f, sort, limit + 1, cursor ? &cur : NULL, &fts, &h, &nh);
    if (rc) {
        hits_free(h, nh);
        return rc;
    }
    size_t take = nh > (size_t)limit ? (size_t)limit : nh;
    store_link_t **links = take ? calloc(take, sizeof *links) : NULL;
    store_match_t *m = take && matches ? calloc(take, sizeof *m) : NULL;
    sqlite3_stmt *snip = NULL;
    size_t got = 0;
    if (take && (!links || (matches && !m))) {
        rc = store_fail(s, STORE_ENOMEM, "out of memory");
        goto fail;
    }
    for (; got < take; got++) {
        if ((rc = store_link_get(s, h[got].id, &links[got])) != STORE_OK)
            goto fail;
        if (m && h[got].intext && fts) {
            m[got].in_text = 1;
            if ((rc = snippet_of(s, &snip, f->q, h[got].id, &m[got])))
                goto fail;
        }
    }
    if (nh > (size_t)limit) {
        hit_t *last = &h[take - 1];
        if (!(*next_cursor = cursor_make(sort, last->c, last->s, last->id, last->k))) {
            rc = store_fail(s, STORE_ENOMEM, "out of memory");
            goto fail;
        }
    }
    sqlite3_finalize(snip);
    hits_free(h, nh);
    free(fts);
    *out = links;
    *n = take;
    if (matches)
        *matches = m;
    return STORE_OK;
fail:
    sqlite3_finalize(snip);
    store_link_list_free(links, got);
    store_match_free(m, take);
    hits_free(h, nh);
    free(fts);
    return rc;
}
