/* methods_link.c -- link.add, link.get, link.list, link.count, link.update, link.delete,
 * link.tag: params in, store calls, link objects out. Writes run in the writer's
 * transaction; events are emitted for the core to publish after commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "json_link.h"
#include "log.h"
#include "method.h"
#include "retain.h"

/* Loads a link and sets it as result[key] (or the whole result when key is NULL). */
static int result_link(method_call_t *call, int64_t id, const char *extra_key, json_t *extra)
{
    store_link_t *l = NULL;
    int rc = store_link_get(call->db, id, &l);
    if (rc) {
        json_decref(extra);
        return method_fail_store(call, rc, NULL);
    }
    json_t *jl = wire_link(l);
    store_link_free(l);
    call->result = json_pack("{s:o}", "link", jl);
    if (!call->result) {
        json_decref(extra);
        return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
    }
    if (extra_key)
        json_object_set_new(call->result, extra_key, extra);
    return 0;
}

static int emit_link(method_call_t *call, const char *topic)
{
    json_t *link = json_object_get(call->result, "link");
    return method_emit(call, topic, json_pack("{s:O}", "link", link));
}

/* A new link is captured unless capture: false. A saved one only when capture: true is
 * given: then when it has no good capture yet, or always with recapture: true (a job
 * already queued or running is the one returned). The reply's job_id says which. */
static int m_link_add(method_call_t *call)
{
    static const char *const known[] = {"url", "tags", "title", "description", "capture",
                                        "recapture", NULL};
    const char *url, *title, *description;
    const char **tags = NULL;
    size_t ntags = 0;
    int capture = 1, recapture = 0;
    if (param_reject_unknown(call, known) || param_string(call, "url", 1, &url) ||
        param_string(call, "title", 0, &title) || param_string(call, "description", 0, &description) ||
        param_bool(call, "capture", 0, &capture) || param_bool(call, "recapture", 0, &recapture) ||
        param_strv(call, "tags", 0, &tags, &ntags))
        return -1;
    int asked = json_is_true(json_object_get(call->params, "capture"));
    if (recapture && !asked) {
        free(tags);
        return method_fail(call, RPC_INVALID_PARAMS, "param 'recapture' goes with 'capture': "
                           "true");
    }
    store_link_add_t in = {
        .url = url, .rules = call->cfg ? call->cfg->url_rules : NULL, .tags = tags,
        .ntags = ntags, .title = title, .description = description, .capture = capture,
        .now_ms = call->now_ms,
    };
    int64_t id, job_id = 0;
    int created, job_created = 0, good = 0;
    int rc = store_link_add(call->db, &in, &id, &created);
    free(tags);
    if (!rc && !created && asked && !recapture)
        rc = store_link_has_good(call->db, id, &good);
    if (!rc && ((created && capture) || (!created && asked && !good)))
        rc = store_job_request(call->db, id, call->now_ms, &job_id, &job_created);
    if (rc)
        return method_fail_store(call, rc, NULL);
    if (result_link(call, id, "created", json_boolean(created)))
        return -1;
    /* a new link's job was queued with it (store_link_add) */
    json_object_set_new(call->result, "job_id", job_id ? json_integer(job_id) : json_null());
    json_object_set_new(call->result, "job_created",
                        json_boolean(created ? job_id != 0 : job_created));
    if (emit_link(call, created ? "link.added" : "link.updated"))
        return -1;
    if (!created && job_created)
        return method_emit(call, "job.queued", json_pack("{s:I,s:I}", "job_id",
                                                         (json_int_t)job_id, "link_id",
                                                         (json_int_t)id));
    return 0;
}

/* {id} or {url}: the link's id. */
static int param_link_id(method_call_t *call, int64_t *id)
{
    const char *url = NULL;
    *id = 0;
    if (param_int(call, "id", 0, 1, INT64_MAX, id) || param_string(call, "url", 0, &url))
        return -1;
    if (*id && url)
        return method_fail(call, RPC_INVALID_PARAMS, "give 'id' or 'url', not both");
    if (!*id && !url)
        return method_fail(call, RPC_INVALID_PARAMS, "missing param 'id' (or 'url')");
    if (url) {
        int rc = store_link_find(call->db, call->cfg ? call->cfg->url_rules : NULL, url, id);
        if (rc)
            return method_fail_store(call, rc, NULL);
    }
    return 0;
}

static int m_link_get(method_call_t *call)
{
    static const char *const known[] = {"id", "url", NULL};
    int64_t id;
    if (param_reject_unknown(call, known) || param_link_id(call, &id))
        return -1;
    return result_link(call, id, NULL, NULL);
}

int methods_parse_filter(method_call_t *call, store_filter_t *f, const char ***bufs)
{
    memset(f, 0, sizeof *f);
    const char *q = NULL;
    if (param_strv(call, "tags_all", 0, &bufs[0], &f->nall) ||
        param_strv(call, "tags_any", 0, &bufs[1], &f->nany) ||
        param_strv(call, "tags_none", 0, &bufs[2], &f->nnone) ||
        param_bool(call, "untagged", 0, &f->untagged) || param_bool(call, "broken", 0, &f->broken) ||
        param_string(call, "q", 0, &q))
        return -1;
    f->all = bufs[0];
    f->any = bufs[1];
    f->none = bufs[2];
    f->q = q && *q ? q : NULL;
    size_t chars = 0;
    for (const char *p = f->q; p && *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (chars > STORE_MAX_Q_CHARS)
        return method_fail(call, RPC_INVALID_PARAMS, "param 'q' is too long (%zu characters; at "
                           "most %d)", chars, STORE_MAX_Q_CHARS);
    return 0;
}

int methods_parse_filter_in(method_call_t *call, const char *key, store_filter_t *f,
                            const char ***bufs)
{
    static const char *const keys[] = {"tags_all", "tags_any", "tags_none", "untagged", "broken",
                                        "q", NULL};
    memset(f, 0, sizeof *f);
    json_t *filter = json_object_get(call->params, key);
    if (!json_is_object(filter))
        return method_fail(call, RPC_INVALID_PARAMS, "param '%s' must be an object (the filter "
                           "keys of link.list)", key);
    /* the helpers read call->params: point them at the filter for a moment */
    json_t *params = call->params;
    call->params = filter;
    int bad = param_reject_unknown(call, keys) || methods_parse_filter(call, f, bufs);
    call->params = params;
    return bad ? -1 : 0;
}

/* {in: "text", snippet: [{text, hit}]} for a link matched in its page's text. */
static json_t *wire_match(const store_match_t *m)
{
    json_t *snip = json_array();
    for (size_t i = 0; snip && i < m->nsnip; i++)
        if (json_array_append_new(snip, json_pack("{s:s,s:b}", "text", m->snip[i].text, "hit",
                                                  m->snip[i].hit)) != 0) {
            json_decref(snip);
            snip = NULL;
        }
    return snip ? json_pack("{s:s,s:o}", "in", "text", "snippet", snip) : NULL;
}

static int m_link_list(method_call_t *call)
{
    static const char *const known[] = {"tags_all", "tags_any", "tags_none", "untagged", "broken", "q",
                                        "limit", "cursor", "sort", NULL};
    const char **bufs[3] = {NULL, NULL, NULL};
    store_filter_t f;
    int64_t limit = 50;
    const char *cursor = NULL, *sortname = NULL;
    int ret = -1, sort = STORE_SORT_DEFAULT;
    if (param_reject_unknown(call, known) || methods_parse_filter(call, &f, bufs) ||
        param_int(call, "limit", 0, 1, 500, &limit) || param_string(call, "cursor", 0, &cursor) ||
        param_string(call, "sort", 0, &sortname))
        goto out;
    if (sortname && (sort = store_sort_parse(sortname)) < 0) {
        method_fail(call, RPC_INVALID_PARAMS, "param 'sort' must be relevance, added, title, "
                    "captured or host");
        goto out;
    }
    store_link_t **links = NULL;
    store_match_t *matches = NULL;
    size_t n = 0;
    char *next = NULL;
    int rc = store_link_search(call->db, &f, (store_sort_t)sort, (int)limit, cursor, &links,
                               &matches, &n, &next);
    if (rc == STORE_EINVAL && cursor) {
        method_fail(call, RPC_INVALID_PARAMS, "param 'cursor' is not a cursor from link.list "
                    "with this sort");
        goto out;
    }
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *jl = wire_link(links[i]);
        if (jl && matches[i].in_text) {
            json_t *jm = wire_match(&matches[i]);
            if (!jm || json_object_set_new(jl, "match", jm) != 0) {
                json_decref(jl);
                jl = NULL;
            }
        }
        if (!jl || json_array_append_new(arr, jl) != 0) {   /* never drop a row */
            json_decref(arr);
            arr = NULL;
        }
    }
    store_link_list_free(links, n);
    store_match_free(matches, n);
    if (!arr) {
        free(next);
        ret = method_fail(call, RPC_INTERNAL_ERROR, "out of memory building the list");
        goto out;
    }
    call->result = json_pack("{s:o,s:o}", "links", arr, "next_cursor",
                             next ? json_string(next) : json_null());
    free(next);
    ret = call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
out:
    for (int i = 0; i < 3; i++)
        free(bufs[i]);
    return ret;
}

/* {count}: how many links link.list would page through for the same filter. */
static int m_link_count(method_call_t *call)
{
    static const char *const known[] = {"tags_all", "tags_any", "tags_none", "untagged", "broken",
                                        "q", NULL};
    const char **bufs[3] = {NULL, NULL, NULL};
    store_filter_t f;
    int64_t count = 0;
    int ret = -1;
    if (param_reject_unknown(call, known) || methods_parse_filter(call, &f, bufs))
        goto out;
    int rc = store_link_count(call->db, &f, &count);
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    call->result = json_pack("{s:I}", "count", (json_int_t)count);
    ret = call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
out:
    for (int i = 0; i < 3; i++)
        free(bufs[i]);
    return ret;
}

static int m_link_update(method_call_t *call)
{
    static const char *const known[] = {"id", "title", "description", NULL};
    int64_t id = 0;
    const char *title, *description;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id) ||
        param_string(call, "title", 0, &title) || param_string(call, "description", 0, &description))
        return -1;
    int set_title = json_object_get(call->params, "title") != NULL;
    int set_desc = json_object_get(call->params, "description") != NULL;
    int rc = store_link_update(call->db, id, set_title, title, set_desc, description, call->now_ms);
    if (rc)
        return method_fail_store(call, rc, NULL);
    if (result_link(call, id, NULL, NULL))
        return -1;
    return emit_link(call, "link.updated");
}

static int m_link_delete(method_call_t *call)
{
    static const char *const known[] = {"id", NULL};
    int64_t id = 0;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id))
        return -1;
    /* the snapshots' files go once the rows are gone (after the commit, in the hook) */
    store_snapshot_t **snaps = NULL;
    size_t nsnaps = 0;
    int rc = store_snapshot_list(call->db, id, 100000, &snaps, &nsnaps);
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *files = json_array();
    for (size_t i = 0; files && i < nsnaps; i++)
        retain_snapshot_files(snaps[i], files);
    store_snapshot_list_free(snaps, nsnaps);
    if ((rc = store_link_delete(call->db, id))) {
        json_decref(files);
        return method_fail_store(call, rc, NULL);
    }
    call->handoff = files;
    call->result = json_pack("{s:b,s:I}", "deleted", 1, "id", (json_int_t)id);
    return method_emit(call, "link.deleted", json_pack("{s:I}", "id", (json_int_t)id));
}

/* After the commit: a deleted link's screenshots and thumbnails leave the disk too. */
static void link_delete_after(method_call_t *call, struct daemon *d)
{
    (void)d;
    size_t i;
    json_t *f;
    json_array_foreach(call->handoff, i, f)
        if (unlink(json_string_value(f)) != 0 && errno != ENOENT)
            log_warn("cannot remove %s: %s", json_string_value(f), strerror(errno));
}

static int m_link_tag(method_call_t *call)
{
    static const char *const known[] = {"id", "add", "remove", NULL};
    int64_t id = 0;
    const char **add = NULL, **rem = NULL;
    size_t nadd = 0, nrem = 0;
    int ret = -1;
    if (param_reject_unknown(call, known) || param_int(call, "id", 1, 1, INT64_MAX, &id) ||
        param_strv(call, "add", 0, &add, &nadd) || param_strv(call, "remove", 0, &rem, &nrem))
        goto out;
    int rc = store_link_tag(call->db, id, add, nadd, rem, nrem, call->now_ms);
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    if (result_link(call, id, NULL, NULL))
        goto out;
    ret = emit_link(call, "link.updated");
out:
    free(add);
    free(rem);
    return ret;
}

const method_def_t methods_link[] = {
    {.name = "link.add", .fn = m_link_add, .kind = METHOD_WRITE},
    {.name = "link.get", .fn = m_link_get, .kind = METHOD_READ},
    {.name = "link.list", .fn = m_link_list, .kind = METHOD_HEAVY},   /* q scans: off the loop */
    {.name = "link.count", .fn = m_link_count, .kind = METHOD_HEAVY},  /* q scans: off the loop */
    {.name = "link.update", .fn = m_link_update, .kind = METHOD_WRITE},
    {.name = "link.delete", .fn = m_link_delete, .kind = METHOD_WRITE, .after = link_delete_after},
    {.name = "link.tag", .fn = m_link_tag, .kind = METHOD_WRITE},
    {.name = NULL},
};
