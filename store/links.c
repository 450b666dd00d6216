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
    char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1], err[256];
    if (store_normalize_tag(raw, name, sizeof name, err, sizeof err) != STORE_OK)
        return store_fail(s, STORE_EINVAL, "%s", err);
    int krc = store_tag_key_or_fail(s, name, key);
    if (krc)
        return krc;
    if ((*id = store_tag_cache_get(s, key)))
        return STORE_OK;
    if (create) {
        sqlite3_stmt *ins = store_stmt(s, ST_TAG_INSERT);
        if (!ins)
            return STORE_EINTERNAL;
        sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, key, -1, SQLITE_STATIC);
        int rc = step_done(s, ins, "add tag");
        if (rc)
            return rc;
    }
    sqlite3_stmt *st = store_stmt(s, ST_TAG_BY_KEY);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        store_tag_cache_put(s, key, *id);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail_sqlite(s, rc, "find tag");
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
    sqlite3_stmt *st = store_stmt(s, ST_LINK_BY_ID);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, link_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return store_fail(s, STORE_ENOTFOUND, "link %lld not found", (long long)link_id);
    return rc == SQLITE_ROW ? STORE_OK : store_fail_sqlite(s, rc, "get link");
}

int store_link_get(store_t *s, int64_t id, store_link_t **out)
{
    *out = NULL;
    sqlite3_stmt *st = store_stmt(s, ST_LINK_BY_ID);
    if (!st)
        return STORE_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return store_fail(s, STORE_ENOTFOUND, "link %lld not found", (long long)id);
        return store_fail_sqlite(s, rc, "get link");
    }
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
    if (snap && (rc = store_snapshot_load(s, snap, &l->last_snapshot)) != STORE_OK && rc != STORE_ENOTFOUND) {
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
        char name[STORE_MAX_TAG_BYTES + 1], key[STORE_MAX_TAG_KEY_BYTES + 1], err[256];
        if (store_normalize_tag(names[i], name, sizeof name, err, sizeof err) != STORE_OK)
            return store_fail(s, STORE_EINVAL, "%s", err);
        int krc = store_tag_key_or_fail(s, name, key);
        if (krc)
            return krc;
        sqlite3_stmt *st = store_stmt(s, ST_TAG_BY_KEY);
        if (!st)
            return STORE_EINTERNAL;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            (*ids)[*nids] = sqlite3_column_int64(st, 0);
            if (counts)
                counts[*nids] = sqlite3_column_int64(st, 2);
            (*nids)++;
        } else if (rc == SQLITE_DONE) {
            if (missing)
                *missing = 1;
        } else {
            sqlite3_reset(st);
            return store_fail_sqlite(s, rc, "find tag");
        }
        sqlite3_reset(st);
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
        for (size_t i = 1; i < r->nall; i++) {
            char cond[160];
            snprintf(cond, sizeof cond, " AND EXISTS (SELECT 1 FROM link_tags x WHERE x.link_id = "
                     "d.link_id AND x.tag_id = %lld)", (long long)r->all[i]);
            if (append(sql, cap, &len, cond))
                return -1;
        }
    } else {
        if (append(sql, cap, &len, "SELECT l.id FROM links l WHERE l.id < ?1"))
            return -1;
        idcol = "l.id";
    }
    char cond[256];
    if (r->nany && append_tag_set(sql, cap, &len, "", idcol, r->any, r->nany))
        return -1;
    if (r->nnone && append_tag_set(sql, cap, &len, "NOT ", idcol, r->none, r->nnone))
        return -1;
    if (f->untagged) {
        snprintf(cond, sizeof cond, " AND NOT EXISTS (SELECT 1 FROM link_tags u WHERE u.link_id = %s)", idcol);
        if (append(sql, cap, &len, cond))
            return -1;
    }
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

/* Runs the filter and calls fn for each matching id (at most limit, 0 = no limit). */
static int scan_ids(store_t *s, const store_filter_t *f, int64_t before, int64_t limit,
                    int (*fn)(store_t *, int64_t, void *), void *ud, int64_t *count)
{
    resolved_t r;
    int rc = resolve_filter(s, f, &r);
    *count = 0;
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
