/* snapdiff.c -- snapshot.diff's work, always on a thread-pool thread: which two snapshots
 * (given, or a link's last two good ones as store_snapshot_good defines them), the visual
 * diff of their screenshots (diff/imgdiff.c, with the overlay kept under
 * <state_dir>/snapshots/diffs/ once drawn) and the blocks of their text added and removed
 * (diff/textdiff.c). The same comparison runs after every good capture against the good
 * one before it, and its figures are kept as the new snapshot's `change`
 * (snapdiff_after_capture: thread pool, then the writer). A site rule's ignored elements,
 * as each capture measured them (fidelity.ignored in its timings: boxes and texts), are
 * left out of both diffs; a watch's threshold decides `changed` of a watched link's
 * captures. Knows nothing of sockets. */
#include "snapdiff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dispatch.h"
#include "imgdiff.h"
#include "log.h"
#include "textdiff.h"
#include "webhook.h"
#include "util.h"

/* The link's newest two good captures with a screenshot, older in *from. */
static int last_two_good(method_call_t *call, int64_t link_id, store_snapshot_t **from,
                         store_snapshot_t **to)
{
    store_snapshot_t **v;
    size_t n;
    int rc = store_snapshot_list(call->db, link_id, 1000, &v, &n);
    if (rc)
        return method_fail_store(call, rc, NULL);
    size_t got = 0;
    for (size_t i = 0; i < n && got < 2; i++) {
        if (!store_snapshot_good(v[i]) || !v[i]->path)
            continue;
        if (got++ == 0)
            *to = v[i];
        else
            *from = v[i];
        v[i] = NULL;
    }
    for (size_t i = 0; i < n; i++)
        store_snapshot_free(v[i]);
    free(v);
    if (got < 2) {
        store_snapshot_free(*to);
        *to = NULL;
        return method_fail(call, RPC_INVALID_PARAMS,
                           "link %lld has %zu good capture%s with a screenshot; a diff needs two "
                           "(give 'from' and 'to' to compare others)",
                           (long long)link_id, got, got == 1 ? "" : "s");
    }
    return 0;
}

/* ---- a capture's ignored elements ----------------------------------------------------- */

/* What a site rule's `ignore` left out of a capture's comparison, as its capture measured
 * it: boxes in its screenshot's pixels and the elements' texts. */
typedef struct {
    imgdiff_rect_t *rects;
    size_t nrects;
    json_t *boxes;      /* the boxes as stored ([[x, y, w, h]]), or NULL */
    json_t *texts;      /* array of strings, or NULL */
} ignored_t;

static void ignored_free(ignored_t *ig)
{
    free(ig->rects);
    json_decref(ig->boxes);
    json_decref(ig->texts);
    memset(ig, 0, sizeof *ig);
}

/* Reads snap's fidelity.ignored into ig (zeroed here). A capture without one, or whose
 * record does not read, ignores nothing. -1 when out of memory. */
static int ignored_read(const store_snapshot_t *snap, ignored_t *ig)
{
    memset(ig, 0, sizeof *ig);
    json_t *t = snap->timings ? json_loads(snap->timings, 0, NULL) : NULL;
    json_t *rec = json_object_get(json_object_get(t, "fidelity"), "ignored");
    json_t *boxes = json_object_get(rec, "boxes"), *texts = json_object_get(rec, "texts");
    int ret = 0;
    if (json_array_size(boxes)) {
        if (!(ig->rects = calloc(json_array_size(boxes), sizeof *ig->rects)))
            ret = -1;
        size_t i;
        json_t *b;
        json_array_foreach(boxes, i, b) {
            if (ret)
                break;
            json_int_t v[4];
            int ok = json_array_size(b) == 4;
            for (size_t k = 0; ok && k < 4; k++) {
                v[k] = json_integer_value(json_array_get(b, k));
                ok = json_is_integer(json_array_get(b, k)) && v[k] >= 0 && v[k] <= UINT32_MAX &&
                     (k < 2 || v[k] > 0);
            }
            if (ok)
                ig->rects[ig->nrects++] = (imgdiff_rect_t){(uint32_t)v[0], (uint32_t)v[1],
                                                            (uint32_t)v[2], (uint32_t)v[3]};
        }
        ig->boxes = json_incref(boxes);
    }
    if (json_array_size(texts))
        ig->texts = json_incref(texts);
    json_decref(t);
    if (ret)
        ignored_free(ig);
    return ret;
}

/* s with every run of blanks (no-break spaces too) one space, trimmed, in place. */
static void squeeze(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        int nbsp = (unsigned char)r[0] == 0xc2 && (unsigned char)r[1] == 0xa0;
        int blank = nbsp || *r == ' ' || *r == '\t' || *r == '\n' || *r == '\r' ||
                    *r == '\f' || *r == '\v';
        r += nbsp;
        if (blank && (w == s || w[-1] == ' '))
            continue;
        *w++ = blank ? ' ' : *r;
    }
    if (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

/* Removes every occurrence of piece (not empty) from s, in place. */
static void remove_all(char *s, const char *piece)
{
    size_t n = strlen(piece);
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == *piece && strncmp(r, piece, n) == 0) {
            r += n;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

/* A copy of block without the ignored texts of both captures (either may be NULL): each
 * text's lines (blanks squeezed) taken out wherever they occur, the rest squeezed. Both
 * captures' texts, so that an element the selector matched in one capture only (it
 * loaded late in the other) still leaves its text out of both. The stored text stays
 * whole; only the compared copy loses them. NULL when out of memory. */
static char *strip_ignored(const char *block, const json_t *ta, const json_t *tb)
{
    char *s = strdup(block), *piece = NULL;
    if (!s)
        return NULL;
    squeeze(s);
    size_t na = json_array_size(ta), n = na + json_array_size(tb);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(i < na ? json_array_get(ta, i) : json_array_get(tb, i - na));
        if (!v)
            continue;
        free(piece);
        if (!(piece = strdup(v))) {
            free(s);
            return NULL;
        }
        for (char *line = piece, *next; line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            squeeze(line);
            if (*line)
                remove_all(s, line);
        }
    }
    free(piece);
    squeeze(s);
    return s;
}

/* Replaces the blocks v[0..*n) by their copies without the ignored texts ta and tb (see
 * strip_ignored; owned by *own, *n of them), dropping blocks nothing is left of. 0, or -1
 * when out of memory. */
static int strip_blocks(const char **v, size_t *n, const json_t *ta, const json_t *tb,
                        char ***own)
{
    *own = NULL;
    if ((!json_array_size(ta) && !json_array_size(tb)) || !*n)
        return 0;
    char **o = calloc(*n, sizeof *o);
    if (!o)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        char *c = strip_ignored(v[i], ta, tb);
        if (!c) {
            for (size_t j = 0; j < k; j++)
                free(o[j]);
            free(o);
            return -1;
        }
        if (!*c) {
            free(c);
            continue;
        }
        v[k] = o[k] = c;
        k++;
    }
    *n = k;
    *own = o;
    return 0;
}

/* ---- the text diff --------------------------------------------------------------------- */

/* The snapshot's text as blocks: its blocks' texts, or its visible text's lines. A
 * snapshot without text has no blocks. *keep owns what the strings point into. */
static int text_blocks(method_call_t *call, int64_t id, const char ***out, size_t *n,
                       json_t **keep, store_text_t **t)
{
    *out = NULL;
    *n = 0;
    *keep = NULL;
    *t = NULL;
    int rc = store_text_get(call->db, id, t);
    if (rc == STORE_ENOTFOUND)
        return 0;
    if (rc)
        return method_fail_store(call, rc, NULL);
    json_t *blocks = (*t)->blocks_json ? json_loads((*t)->blocks_json, 0, NULL) : NULL;
    if (json_is_array(blocks) && json_array_size(blocks) > 0) {
        *keep = blocks;
        if (!(*out = calloc(json_array_size(blocks), sizeof **out)))
            goto oom;
        size_t i;
        json_t *b;
        json_array_foreach(blocks, i, b) {
            const char *s = json_string_value(json_object_get(b, "text"));
            if (s)
                (*out)[(*n)++] = s;
        }
        return 0;
    }
    json_decref(blocks);
    char *text = (*t)->text;
    if (!text || !*text)
        return 0;
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (!(*out = calloc(lines, sizeof **out)))
        goto oom;
    /* the lines, cut in place in the stored text (owned by *t) */
    for (char *p = text;;) {
        (*out)[(*n)++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return 0;
oom:
    return method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
}

/* {added: [...], removed: [...]} of the two snapshots' texts without the texts of their
 * ignored elements, or NULL (call failed). */
static json_t *text_diff(method_call_t *call, int64_t from, int64_t to, const ignored_t *iga,
                         const ignored_t *igb)
{
    const char **a = NULL, **b = NULL;
    size_t na = 0, nb = 0, oa = 0, ob = 0;
    char **owna = NULL, **ownb = NULL;
    json_t *ka = NULL, *kb = NULL, *res = NULL;
    store_text_t *ta = NULL, *tb = NULL;
    textdiff_result_t d = {0};
    if (text_blocks(call, from, &a, &na, &ka, &ta) || text_blocks(call, to, &b, &nb, &kb, &tb))
        goto done;
    int bad = strip_blocks(a, &na, iga->texts, igb->texts, &owna);
    oa = owna ? na : 0;
    if (!bad) {
        bad = strip_blocks(b, &nb, iga->texts, igb->texts, &ownb);
        ob = ownb ? nb : 0;
    }
    if (bad) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory comparing the texts");
        goto done;
    }
    if (textdiff_blocks(a, na, b, nb, 0, &d) != 0) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory comparing the texts");
        goto done;
    }
    json_t *added = json_array(), *removed = json_array();
    res = json_pack("{s:o,s:o}", "added", added, "removed", removed);
    for (size_t i = 0; res && i < d.nadded; i++)
        if (json_array_append_new(added, json_string(b[d.added[i]])) != 0)
            json_decref(res), res = NULL;
    for (size_t i = 0; res && i < d.nremoved; i++)
        if (json_array_append_new(removed, json_string(a[d.removed[i]])) != 0)
            json_decref(res), res = NULL;
    if (!res)
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
done:
    textdiff_result_free(&d);
    for (size_t i = 0; i < oa; i++)
        free(owna[i]);
    for (size_t i = 0; i < ob; i++)
        free(ownb[i]);
    free(owna);
    free(ownb);
    free(a);
    free(b);
    json_decref(ka);
    json_decref(kb);
    store_text_free(ta);
    store_text_free(tb);
    return res;
}

/* At most this many regions go into a reply (scattered changes all over a tall page can
 * make a hundred thousand boxes); `regions_total` then says how many there were. */
#define MAX_REGIONS 2000

static json_t *json_regions(const imgdiff_result_t *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->nregions && i < MAX_REGIONS; i++) {
        const imgdiff_region_t *g = &r->regions[i];
        if (json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:s}", "x", (json_int_t)g->x,
                                                 "y", (json_int_t)g->y, "w", (json_int_t)g->w,
                                                 "h", (json_int_t)g->h, "kind",
                                                 imgdiff_kind_name(g->kind))) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/* The visual diff into res (changed_fraction, regions, image, widths), or -1 (call failed). */
static int image_diff(method_call_t *call, const store_snapshot_t *from, const store_snapshot_t *to,
                      const ignored_t *iga, const ignored_t *igb, int overlay_wanted, json_t *res)
{
    char dir[UTIL_PATH_MAX], overlay[UTIL_PATH_MAX], err[600];
    if (util_path(dir, "%s/snapshots/diffs", call->cfg->state_dir) != 0 ||
        util_path(overlay, "%s/%lld-%lld.png", dir, (long long)from->id, (long long)to->id) != 0)
        return method_fail(call, RPC_IO_ERROR, "the diff's file name is too long for the state dir");
    int rc = util_mkdir_p(dir, 0755);
    if (rc != 0)
        return method_fail(call, RPC_IO_ERROR, "cannot make %s: %s", dir, strerror(-rc));
    /* the overlay is drawn on the first request and kept */
    int have = access(overlay, F_OK) == 0;
    imgdiff_opts_t o = {.overlay_path = have || !overlay_wanted ? NULL : overlay,
                        .mask_from = iga->rects, .nmask_from = iga->nrects,
                        .mask_to = igb->rects, .nmask_to = igb->nrects};
    imgdiff_result_t r;
    if (imgdiff_files(from->path, to->path, &o, &r, err, sizeof err) != 0)
        return method_fail(call, RPC_IO_ERROR, "cannot compare snapshots %lld and %lld: %s",
                           (long long)from->id, (long long)to->id, err);
    json_t *regions = json_regions(&r);
    int bad = !regions || json_object_set_new(res, "regions", regions) ||
              json_object_set_new(res, "changed_fraction", json_real(r.changed_fraction)) ||
              json_object_set_new(res, "image", have || overlay_wanted
                                  ? json_pack("{s:s}", "path", overlay) : json_null()) ||
              json_object_set_new(res, "aligned", json_boolean(r.aligned)) ||
              json_object_set_new(res, "changed", json_boolean(r.nregions > 0));
    if (!bad && r.nregions > MAX_REGIONS)
        bad = json_object_set_new(res, "regions_total", json_integer((json_int_t)r.nregions));
    /* captures of different widths: compared on the common width, and said so */
    if (!bad && r.from_w != r.to_w)
        bad = json_object_set_new(res, "common_width", json_integer(r.common_w)) ||
              json_object_set_new(res, "widths", json_pack("[I,I]", (json_int_t)r.from_w,
                                                           (json_int_t)r.to_w));
    imgdiff_result_free(&r);
    return bad ? method_fail(call, RPC_INTERNAL_ERROR, "out of memory") : 0;
}

/* The diff of two snapshots with screenshots: {from, to, link_id, changed,
 * changed_fraction, regions, image, text, ...}, or NULL (call failed). Without overlay no
 * picture is drawn and image is null. */
static json_t *compare(method_call_t *call, const store_snapshot_t *from,
                       const store_snapshot_t *to, int overlay)
{
    json_t *text = NULL;
    ignored_t iga = {0}, igb = {0};
    json_t *res = json_pack("{s:I,s:I,s:I}", "from", (json_int_t)from->id, "to", (json_int_t)to->id,
                    "link_id", (json_int_t)to->link_id);
    if (!res) {
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
        goto fail;
    }
    if (from->sha256 && to->sha256 && strcmp(from->sha256, to->sha256) == 0) {
        /* the same picture: unchanged at once */
        if (json_object_set_new(res, "changed", json_false()) ||
            json_object_set_new(res, "changed_fraction", json_real(0)) ||
            json_object_set_new(res, "regions", json_array()) ||
            json_object_set_new(res, "image", json_null()) ||
            json_object_set_new(res, "text", json_pack("{s:[],s:[]}", "added", "removed"))) {
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto fail;
        }
    } else {
        if (ignored_read(from, &iga) || ignored_read(to, &igb)) {
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto fail;
        }
        if (image_diff(call, from, to, &iga, &igb, overlay, res) ||
            !(text = text_diff(call, from->id, to->id, &iga, &igb)))
            goto fail;
        /* what was left out: each capture's ignored boxes */
        if ((iga.boxes || igb.boxes) &&
            json_object_set_new(res, "ignored", json_pack("{s:o,s:o}", "from",
                                iga.boxes ? json_incref(iga.boxes) : json_array(), "to",
                                igb.boxes ? json_incref(igb.boxes) : json_array()))) {
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto fail;
        }
        /* a text change counts toward `changed` as a visual one does */
        int changed = json_is_true(json_object_get(res, "changed")) ||
                      json_array_size(json_object_get(text, "added")) > 0 ||
                      json_array_size(json_object_get(text, "removed")) > 0;
        if (json_object_set_new(res, "text", text) ||
            json_object_set_new(res, "changed", json_boolean(changed))) {
            text = NULL;
            method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
            goto fail;
        }
        text = NULL;
    }
    ignored_free(&iga);
    ignored_free(&igb);
    return res;
fail:
    ignored_free(&iga);
    ignored_free(&igb);
    json_decref(res);
    json_decref(text);
    return NULL;
}

int snapdiff_method(method_call_t *call)
{
    static const char *const known[] = {"from", "to", "link_id", "allow_cross", NULL};
    int64_t from_id = 0, to_id = 0, link_id = 0;
    int cross = 0;
    if (param_reject_unknown(call, known) || param_int(call, "from", 0, 1, INT64_MAX, &from_id) ||
        param_int(call, "to", 0, 1, INT64_MAX, &to_id) ||
        param_int(call, "link_id", 0, 1, INT64_MAX, &link_id) ||
        param_bool(call, "allow_cross", 0, &cross))
        return -1;
    if (link_id && (from_id || to_id))
        return method_fail(call, RPC_INVALID_PARAMS, "give 'link_id' or 'from' and 'to', not both");
    if (!link_id && (!from_id || !to_id))
        return method_fail(call, RPC_INVALID_PARAMS,
                           "missing param '%s' (give 'from' and 'to', or 'link_id')",
                           from_id ? "to" : "from");
    store_snapshot_t *from = NULL, *to = NULL;
    json_t *res = NULL;
    int rc, ret = -1;
    if (link_id) {
        if (last_two_good(call, link_id, &from, &to))
            return -1;
    } else if ((rc = store_snapshot_get(call->db, from_id, &from)) ||
               (rc = store_snapshot_get(call->db, to_id, &to))) {
        method_fail_store(call, rc, NULL);
        goto done;
    }
    if (from->link_id != to->link_id && !cross) {
        method_fail(call, RPC_INVALID_PARAMS,
                    "snapshots %lld and %lld are captures of different links (%lld and %lld); "
                    "pass allow_cross to compare them anyway",
                    (long long)from->id, (long long)to->id, (long long)from->link_id,
                    (long long)to->link_id);
        goto done;
    }
    const store_snapshot_t *none = !from->path ? from : !to->path ? to : NULL;
    if (none) {
        method_fail(call, RPC_INVALID_PARAMS, "snapshot %lld has no screenshot (its state is %s)",
                    (long long)none->id, none->state);
        goto done;
    }
    if (!(res = compare(call, from, to, 1)))
        goto done;
    call->result = res;
    res = NULL;
    ret = 0;
done:
    json_decref(res);
    store_snapshot_free(from);
    store_snapshot_free(to);
    return ret;
}

/* ---- the change object: every good capture against the good one before it ------------ */

/* A comparison with the baseline that changed more than this fraction of the page's area,
 * or any block of text, is `changed`; the link's watch may set its own threshold. */
#define CHANGE_THRESHOLD 0.001

typedef struct {
    method_call_t call;     /* first the comparison (thread pool), then the save (writer) */
    daemon_t *d;
    int64_t id;
} change_job_t;

/* HEAVY: params {id}; result {id, against, changed, changed_fraction}, or no result when
 * the capture is not good or has no baseline (nothing to store). */
static int change_compare_fn(method_call_t *call)
{
    int64_t id = json_integer_value(json_object_get(call->params, "id"));
    store_snapshot_t *to = NULL, *from = NULL;
    json_t *res = NULL;
    int rc = store_snapshot_get(call->db, id, &to);
    if (rc) {
        method_fail_store(call, rc, NULL);
        goto done;
    }
    /* a capture that is not good is never compared (and so never a baseline later) */
    if (!store_snapshot_good(to) || !to->path)
        goto done;
    if ((rc = store_snapshot_baseline(call->db, id, &from))) {
        method_fail_store(call, rc, NULL);
        goto done;
    }
    if (!from)
        goto done;   /* the link's first good capture */
    if (!(res = compare(call, from, to, 0)))
        goto done;
    double frac = json_number_value(json_object_get(res, "changed_fraction")), threshold;
    if ((rc = store_watch_threshold(call->db, to->link_id, &threshold))) {
        method_fail_store(call, rc, NULL);
        goto done;
    }
    if (threshold < 0)
        threshold = CHANGE_THRESHOLD;
    const json_t *text = json_object_get(res, "text");
    int changed = frac > threshold ||
                  json_array_size(json_object_get(text, "added")) > 0 ||
                  json_array_size(json_object_get(text, "removed")) > 0;
    /* with the figures a webhook tells (daemon/webhook.c) */
    const json_t *regions = json_object_get(res, "regions_total");
    call->result = json_pack("{s:I,s:I,s:b,s:f,s:I,s:I,s:I}", "id", (json_int_t)id, "against",
                             (json_int_t)from->id, "changed", changed, "changed_fraction", frac,
                             "regions", regions ? json_integer_value(regions)
                                 : (json_int_t)json_array_size(json_object_get(res, "regions")),
                             "text_added", (json_int_t)json_array_size(json_object_get(text, "added")),
                             "text_removed",
                             (json_int_t)json_array_size(json_object_get(text, "removed")));
    if (!call->result)
        method_fail(call, RPC_INTERNAL_ERROR, "out of memory");
done:
    json_decref(res);
    store_snapshot_free(from);
    store_snapshot_free(to);
    return call->err_code ? -1 : 0;
}

/* WRITE: params are change_compare_fn's result. */
static int change_save_fn(method_call_t *call)
{
    const json_t *p = call->params;
    int rc = store_snapshot_set_change(call->db, json_integer_value(json_object_get(p, "id")),
                                       json_integer_value(json_object_get(p, "against")),
                                       json_is_true(json_object_get(p, "changed")),
                                       json_number_value(json_object_get(p, "changed_fraction")));
    /* a capture deleted meanwhile has no change to keep */
    if (rc)
        return rc != STORE_ENOTFOUND ? method_fail_store(call, rc, NULL) : 0;
    /* changed: snapshot.changed and the webhooks' deliveries, in this transaction */
    return webhook_change_saved(call, ((change_job_t *)call)->d->webhook);
}

static const method_def_t change_compare_def = {
    .name = "snapshot.change", .fn = change_compare_fn, .kind = METHOD_HEAVY};
static const method_def_t change_save_def = {
    .name = "snapshot.change", .fn = change_save_fn, .kind = METHOD_WRITE};

static void change_job_free(change_job_t *j)
{
    json_decref(j->call.params);
    json_decref(j->call.result);
    json_decref(j->call.err_data);
    json_decref(j->call.events);
    free(j);
}

static void change_saved_cb(method_call_t *call, void *ud)
{
    change_job_t *j = ud;
    if (call->err_code)
        log_warn("snapshot %lld: cannot save its change: %s", (long long)j->id, call->err_msg);
    change_job_free(j);
}

static void change_compared_cb(method_call_t *call, void *ud)
{
    change_job_t *j = ud;
    if (call->err_code) {
        log_warn("snapshot %lld: cannot compare it with the capture before: %s",
                 (long long)j->id, call->err_msg);
        change_job_free(j);
        return;
    }
    if (!call->result) {   /* not good, or the first good capture */
        change_job_free(j);
        return;
    }
    json_t *params = call->result;
    json_decref(call->params);
    *call = (method_call_t){.method = "snapshot.change", .params = params};
    dispatch_run(j->d, &change_save_def, call, change_saved_cb, j);
}

void snapdiff_after_capture(daemon_t *d, int64_t snapshot_id)
{
    change_job_t *j = calloc(1, sizeof *j);
    if (!j || !(j->call.params = json_pack("{s:I}", "id", (json_int_t)snapshot_id))) {
        free(j);
        log_warn("snapshot %lld: out of memory; it is not compared with the capture before",
                 (long long)snapshot_id);
        return;
    }
    j->d = d;
    j->id = snapshot_id;
    j->call.method = "snapshot.change";
    dispatch_run(d, &change_compare_def, &j->call, change_compared_cb, j);
}
