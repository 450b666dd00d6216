/* json_link.c -- builds the protocol's link, snapshot and tag objects from store rows.
 * Knows jansson and the store's row structs; nothing of sockets or SQL. */
#include "json_link.h"

#include <stdlib.h>
#include <string.h>

#include "jsonmem.h"
#include "log.h"
#include "util.h"

json_t *wire_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char buf[32];
    return json_string(util_format_rfc3339(ms, buf));
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *wire_display_url(const char *url)
{
    char *shown = NULL;
    if (!url)
        return json_null();
    if (store_display_url(url, &shown) != STORE_OK)
        return NULL;
    json_t *j = json_string(shown);
    free(shown);
    return j;
}

/* Text that is not valid UTF-8 (a title an earlier linksnapd cut inside a character)
 * cannot be a JSON string: it is repaired with U+FFFD and the repair is logged, so a
 * listing never fails or loses the row. */
json_t *wire_text(const char *s, const char *what, long long id)
{
    if (!s)
        return json_null();
    size_t len = strlen(s);
    if (util_utf8_valid(s, len))
        return json_stringn(s, len);
    size_t bad = 0;
    char *fixed = util_utf8_repair(s, len, &bad);
    if (!fixed)
        return NULL;
    log_warn("store: %s of %lld is not valid UTF-8; %zu byte%s shown as U+FFFD", what, id, bad,
             bad == 1 ? "" : "s");
    json_t *v = json_string(fixed);
    free(fixed);
    return v;
}

/* What a snapshot kept: {png, thumb, mhtml, pdf, text}, each {path, bytes} where present
 * (text has no file: it is in the store, read with snapshot.text). NULL when out of memory. */
static json_t *wire_snapshot_files(const store_snapshot_t *x)
{
    json_error_t jerr;
    int nomem = 0;
    json_t *f = x->files ? jsonmem_loadb(x->files, strlen(x->files), 0, &jerr, &nomem) : NULL;
    if (nomem)
        return NULL;
    if (!json_is_object(f)) {      /* none, or not what the store wrote: nothing kept */
        json_decref(f);
        if (!(f = json_object()))
            return NULL;
    }
    if (x->path && json_object_set_new(f, "png", json_pack("{s:s,s:o}", "path", x->path, "bytes",
                                       x->bytes ? json_integer(x->bytes) : json_null())))
        goto nomem;
    if (x->thumb_path &&
        json_object_set_new(f, "thumb", json_pack("{s:s,s:n}", "path", x->thumb_path, "bytes")))
        goto nomem;
    return f;
nomem:
    json_decref(f);
    return NULL;
}

json_t *wire_snapshot(const store_snapshot_t *x)
{
    if (!x)
        return json_null();
    /* stored text that does not parse shows as null; memory running out fails the row */
    json_error_t jerr;
    int nomem_t = 0, nomem_r = 0;
    json_t *timings = x->timings ? jsonmem_loadb(x->timings, strlen(x->timings), 0, &jerr, &nomem_t) : NULL;
    json_t *redirects = x->redirects ? jsonmem_loadb(x->redirects, strlen(x->redirects), 0, &jerr, &nomem_r) : NULL;
    if (nomem_t || nomem_r) {
        json_decref(timings);
        json_decref(redirects);
        return NULL;
    }
    /* the egress proxy's counters are stored with the timings; shown on their own */
    json_t *network = json_incref(json_object_get(timings, "network"));
    if (network)
        json_object_del(timings, "network");
    /* so is the record of what shaped the picture (consent layers, site rule, wall) */
    json_t *fidelity = json_incref(json_object_get(timings, "fidelity"));
    if (fidelity)
        json_object_del(timings, "fidelity");
    /* and a partial's reasons as data ({code, params, text}; docs/capture.md) */
    json_t *reasons = json_incref(json_object_get(timings, "reasons"));
    if (reasons)
        json_object_del(timings, "reasons");
    if (!json_is_array(reasons)) {
        json_decref(reasons);
        reasons = json_array();
    }
    if (timings && json_object_size(timings) == 0) {
        json_decref(timings);
        timings = NULL;
    }
    json_t *files = wire_snapshot_files(x);
    json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "id", (json_int_t)x->id, "link_id", (json_int_t)x->link_id, "state", x->state,
        "http_status", x->http_status ? json_integer(x->http_status) : json_null(),
        "final_url", wire_text(x->final_url, "the final URL of snapshot", (long long)x->id),
        "display_final_url", wire_display_url(x->final_url),
        "title", wire_text(x->title, "the title of snapshot", (long long)x->id),
        "width", x->width ? json_integer(x->width) : json_null(),
        "height", x->height ? json_integer(x->height) : json_null(),
        "truncated", x->truncated, "blank", x->blank,
        "path", str_or_null(x->path), "thumb_path", str_or_null(x->thumb_path),
        "bytes", x->bytes ? json_integer(x->bytes) : json_null(),
        "sha256", str_or_null(x->sha256),
        "error", wire_text(x->error, "the error of snapshot", (long long)x->id),
        "attempt", x->attempt, "created_at", wire_time(x->created_at),
        "finished_at", wire_time(x->finished_at),
        "timings", timings ? timings : json_null(),
        "redirects", redirects ? redirects : json_array(),
        "network", network ? network : json_null(),
        "fidelity", fidelity ? fidelity : json_null(),
        "files", files);
    if (json_object_set_new(o, "reasons", reasons) != 0) {   /* frees reasons when o is NULL */
        json_decref(o);
        o = NULL;
    }
    /* the comparison with the good capture before (daemon/snapdiff.c), null until made */
    json_t *change = !x->change_against ? json_null()
        : json_pack("{s:I,s:b,s:f}", "against", (json_int_t)x->change_against, "changed",
                    x->change_changed, "changed_fraction", x->change_fraction);
    if (json_object_set_new(o, "change", change) != 0) {   /* frees change when o is NULL */
        json_decref(o);
        o = NULL;
    }
    return o;
}

json_t *wire_link(const store_link_t *l)
{
    json_t *tags = json_array();
    if (!tags)
        return NULL;
    for (size_t i = 0; i < l->ntags; i++) {
        /* a tag that could not be built fails the link: a listing never drops one */
        if (json_array_append_new(tags, wire_text(l->tags[i], "a tag of link", (long long)l->id))) {
            json_decref(tags);
            return NULL;
        }
    }
    /* the last capture's answer beside broken, so a list can badge a dead link without
     * reading the snapshot object (null while none came, or the capture is not done) */
    int status = l->last_snapshot ? l->last_snapshot->http_status : 0;
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o}", "id", (json_int_t)l->id,
                     "url", wire_text(l->url, "the URL of link", (long long)l->id),
                     "display_url", wire_display_url(l->url),
                     "title", wire_text(l->title, "the title of link", (long long)l->id),
                     "description", wire_text(l->description, "the description of link", (long long)l->id),
                     "tags", tags, "created_at", wire_time(l->created_at),
                     "updated_at", wire_time(l->updated_at),
                     "last_snapshot", wire_snapshot(l->last_snapshot), "broken", l->broken,
                     "http_status", status ? json_integer(status) : json_null());
}

json_t *wire_tag(const store_tag_t *t)
{
    char key[STORE_MAX_TAG_KEY_BYTES + 1];
    if (store_tag_key(t->name, key, sizeof key) != STORE_OK)
        return NULL;
    return json_pack("{s:s,s:s,s:I}", "name", t->name, "key", key, "count", (json_int_t)t->count);
}
