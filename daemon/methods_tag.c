/* methods_tag.c -- tag.list, tag.rename, tag.merge, tag.delete, tag.apply (tags on every
 * link a filter matches), and tag.aliases / tag.unalias (the old names merges and renames
 * left). Writes run in the writer's transaction. */
#include <stdlib.h>
#include <string.h>

#include "json_link.h"
#include "method.h"

static int m_tag_list(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    store_tag_t *tags = NULL;
    size_t n = 0;
    int rc = store_tag_list(call->db, &tags, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, wire_tag(&tags[i]));
    free(tags);
    call->result = json_pack("{s:o}", "tags", arr ? arr : json_array());
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_tag_rename(method_call_t *call)
{
    static const char *const known[] = {"from", "to", NULL};
    const char *from, *to;
    if (param_reject_unknown(call, known) || param_string(call, "from", 1, &from) ||
        param_string(call, "to", 1, &to))
        return -1;
    store_tag_t t;
    int rc = store_tag_rename(call->db, from, to, &t);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:o}", "tag", wire_tag(&t));
    return method_emit(call, "tag.renamed", json_pack("{s:s,s:o}", "from", from, "tag", wire_tag(&t)));
}

static int m_tag_merge(method_call_t *call)
{
    static const char *const known[] = {"from", "into", NULL};
    const char **from = NULL, *into;
    size_t n = 0;
    int ret = -1;
    if (param_reject_unknown(call, known) || param_strv(call, "from", 1, &from, &n) ||
        param_string(call, "into", 1, &into))
        goto out;
    if (n == 0) {
        method_fail(call, RPC_INVALID_PARAMS, "param 'from' must name at least one tag");
        goto out;
    }
    store_tag_t t;
    int rc = store_tag_merge(call->db, from, n, into, &t);
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    call->result = json_pack("{s:o}", "tag", wire_tag(&t));
    ret = method_emit(call, "tag.merged", json_pack("{s:O,s:o}", "from",
                      json_object_get(call->params, "from"), "tag", wire_tag(&t)));
out:
    free(from);
    return ret;
}

static int m_tag_delete(method_call_t *call)
{
    static const char *const known[] = {"name", NULL};
    const char *name;
    if (param_reject_unknown(call, known) || param_string(call, "name", 1, &name))
        return -1;
    store_tag_t t;
    int rc = store_tag_delete(call->db, name, &t);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:b,s:s,s:I}", "deleted", 1, "name", t.name, "links", (json_int_t)t.count);
    return method_emit(call, "tag.deleted", json_pack("{s:s,s:I}", "name", t.name, "links", (json_int_t)t.count));
}

static int m_tag_aliases(method_call_t *call)
{
    static const char *const known[] = {NULL};
    if (param_reject_unknown(call, known))
        return -1;
    store_tag_alias_t *v = NULL;
    size_t n = 0;
    int rc = store_tag_aliases(call->db, &v, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_pack("{s:s,s:s}", "alias", v[i].alias, "tag", v[i].tag))) {
            json_decref(arr);
            arr = NULL;
        }
    free(v);
    call->result = arr ? json_pack("{s:o}", "aliases", arr) : NULL;
    return call->result ? 0 : method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

static int m_tag_unalias(method_call_t *call)
{
    static const char *const known[] = {"key", NULL};
    const char *key;
    if (param_reject_unknown(call, known) || param_string(call, "key", 1, &key))
        return -1;
    store_tag_alias_t a;
    int rc = store_tag_unalias(call->db, key, &a);
    if (rc)
        return method_fail_store(call, rc, NULL);
    call->result = json_pack("{s:s,s:s}", "alias", a.alias, "tag", a.tag);
    return method_emit(call, "tag.unaliased", json_pack("{s:s,s:s}", "alias", a.alias, "tag", a.tag));
}

static int m_tag_apply(method_call_t *call)
{
    static const char *const known[] = {"filter", "add", "remove", NULL};
    const char **add = NULL, **rem = NULL, **bufs[3] = {NULL, NULL, NULL};
    size_t nadd = 0, nrem = 0;
    int ret = -1;
    if (param_reject_unknown(call, known) || param_strv(call, "add", 0, &add, &nadd) ||
        param_strv(call, "remove", 0, &rem, &nrem))
        goto out;
    store_filter_t f;
    if (methods_parse_filter_in(call, "filter", &f, bufs))
        goto out;
    if (nadd == 0 && nrem == 0) {
        method_fail(call, RPC_INVALID_PARAMS, "give 'add' or 'remove'");
        goto out;
    }
    int64_t changed = 0;
    int rc = store_tag_apply(call->db, &f, add, nadd, rem, nrem, call->now_ms, &changed);
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto out;
    }
    call->result = json_pack("{s:I}", "changed", (json_int_t)changed);
    ret = method_emit(call, "tag.applied", json_pack("{s:I}", "changed", (json_int_t)changed));
out:
    free(add);
    free(rem);
    for (int i = 0; i < 3; i++)
        free(bufs[i]);
    return ret;
}

const method_def_t methods_tag[] = {
    {.name = "tag.list", .fn = m_tag_list, .kind = METHOD_HEAVY},     /* 10k tags: ~8 ms of JSON */
    {.name = "tag.rename", .fn = m_tag_rename, .kind = METHOD_WRITE},
    {.name = "tag.merge", .fn = m_tag_merge, .kind = METHOD_WRITE},
    {.name = "tag.delete", .fn = m_tag_delete, .kind = METHOD_WRITE},
    {.name = "tag.apply", .fn = m_tag_apply, .kind = METHOD_WRITE},
    {.name = "tag.aliases", .fn = m_tag_aliases, .kind = METHOD_READ},
    {.name = "tag.unalias", .fn = m_tag_unalias, .kind = METHOD_WRITE},
    {.name = NULL},
};
