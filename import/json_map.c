/* json_map.c -- turns one JSON bookmark object into an entry: the field names of Pinboard,
 * linkding, Karakeep/Hoarder, Raindrop, Wallabag, Omnivore and a generic {url, title, tags,
 * created} (docs/import.md has the table). Parses with jansson; knows nothing of how the
 * objects were split out of the input. */
#include "import_int.h"
#include "jsonmem.h"

#include <jansson.h>
#include <string.h>

static json_t *first_of(json_t *o, const char *const *keys)
{
    for (; *keys; keys++) {
        json_t *v = json_object_get(o, *keys);
        if (v && !json_is_null(v))
            return v;
    }
    return NULL;
}

static void put_str(ifield_t *f, json_t *v)
{
    if (json_is_string(v))
        ifield_put(f, json_string_value(v), json_string_length(v));
}

static void map_tags(ient_t *e, json_t *tags)
{
    if (json_is_string(tags)) {
        /* Pinboard: "a b c"; others: "a,b" */
        ient_add_tags_split(e, json_string_value(tags), json_string_length(tags),
                            IENT_SPLIT_COMMA_OR_SPACE);
        return;
    }
    if (!json_is_array(tags))
        return;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (json_is_object(t)) /* {"name": "x"} in some exports */
            t = json_object_get(t, "name");
        if (json_is_string(t))
            ient_add_tag(e, json_string_value(t), json_string_length(t));
    }
}

static int64_t map_time(json_t *v)
{
    if (json_is_integer(v))
        return import_time_from_number((double)json_integer_value(v));
    if (json_is_real(v))
        return import_time_from_number(json_real_value(v));
    if (json_is_string(v))
        return import_time_from_string(json_string_value(v), json_string_length(v));
    return 0;
}

/* Fills the entry from an object. Returns NULL, or why the object has no URL. */
static const char *map_object(ient_t *e, json_t *o)
{
    static const char *const url_keys[] = {"url", "href", "link", "uri", NULL};
    static const char *const title_keys[] = {"title", "name", NULL};
    static const char *const desc_keys[] = {"description", "extended", "note", "notes",
                                            "excerpt", NULL};
    static const char *const tag_keys[] = {"tags", "tag_names", "labels", "keywords", NULL};
    static const char *const time_keys[] = {"created", "created_at", "createdAt",
                                            "date_added", "dateAdded", "time", "added",
                                            "add_date", "timestamp", "savedAt", "date", NULL};

    json_t *url = first_of(o, url_keys);
    json_t *content = json_object_get(o, "content");
    if (!url && json_is_object(content)) /* Karakeep: content {type: "link", url} */
        url = json_object_get(content, "url");
    if (!url) {
        const char *type = json_is_object(content)
                               ? json_string_value(json_object_get(content, "type"))
                               : NULL;
        return type && strcmp(type, "link") != 0 ? "entry is not a link (no url field)"
                                                  : "object has no url field";
    }
    if (!json_is_string(url))
        return "url field is not a string";
    put_str(&e->url, url);

    /* Pinboard: description is the title, extended the description */
    int pinboard = json_object_get(o, "href") && !json_object_get(o, "url");
    if (pinboard) {
        static const char *const pb_title[] = {"title", "description", NULL};
        static const char *const pb_desc[] = {"extended", NULL};
        put_str(&e->title, first_of(o, pb_title));
        put_str(&e->desc, first_of(o, pb_desc));
    } else {
        put_str(&e->title, first_of(o, title_keys));
        json_t *d = first_of(o, desc_keys);
        if (!d && json_is_object(content))
            d = json_object_get(content, "description");
        put_str(&e->desc, d);
    }
    map_tags(e, first_of(o, tag_keys));
    e->created_ms = map_time(first_of(o, time_keys));
    return NULL;
}

int import_json_emit(import_ctx_t *c, const char *buf, size_t len, uint64_t line)
{
    json_error_t jerr;
    int nomem;
    json_t *v = jsonmem_loadb(buf, len, JSON_DECODE_ANY, &jerr, &nomem);
    if (!v && nomem)
        return IMPORT_ENOMEM;   /* the parser's failure, not this entry's */
    if (!v) {
        ictx_error(c, line, "invalid JSON: %s", jerr.text);
        return IMPORT_OK;
    }
    int rc = IMPORT_OK;
    ient_reset(&c->ent);
    c->ent.line = line;
    const char *why = NULL;
    if (json_is_string(v))
        put_str(&c->ent.url, v);
    else if (json_is_object(v))
        why = map_object(&c->ent, v);
    else
        why = "JSON value is not an object";
    if (why) {
        ictx_error(c, line, "%s", why);
        ient_reset(&c->ent);
    } else {
        rc = ient_emit(c);
    }
    json_decref(v);
    return rc;
}
