/* json_import.c -- builds the protocol's import object from the store's row. Knows jansson
 * and store_import_t; nothing of sockets or SQL. */
#include "json_import.h"

#include "errcode.h"
#include "json_link.h"

/* Each {line, reason} gets the reason's stable code and params (protocol/errcode.c) when it
 * has one; rows written before the codes existed get them too, as they are read. */
static void code_reasons(json_t *errors)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        json_t *d = json_is_object(e) ? errcode_data(json_string_value(json_object_get(e, "reason")))
                                      : NULL;
        if (!d)
            continue;
        json_object_update_missing(e, d);
        json_decref(d);
    }
}

/* A JSON array kept as text in the row; an absent one is empty. */
static json_t *stored_array(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : json_array();
    if (v && !json_is_array(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *wire_import(const store_import_t *x)
{
    long long id = (long long)x->id;
    json_t *errors = stored_array(x->errors_json), *tags = stored_array(x->tags_json);
    if (!errors || !tags) {
        json_decref(errors);
        json_decref(tags);
        return NULL;
    }
    code_reasons(errors);
    json_t *error_data = x->error ? errcode_data(x->error) : NULL;
    /* the keys in the order import.get has always sent them; error_data last */
    return json_pack("{s:I,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:b,s:o,s:o,s:o}",
                     "id", (json_int_t)x->id,
                     "source", wire_text(x->source, "the source of import", id),
                     "format", wire_text(x->format, "the format of import", id),
                     "state", wire_text(x->state, "the state of import", id),
                     "lines", (json_int_t)x->lines, "added", (json_int_t)x->added,
                     "existing", (json_int_t)x->existing, "invalid", (json_int_t)x->invalid,
                     "errors", errors,
                     "error", wire_text(x->error, "the error of import", id),
                     "tags", tags, "capture", x->capture,
                     "created_at", wire_time(x->created_at),
                     "finished_at", wire_time(x->finished_at),
                     "error_data", error_data ? error_data : json_null());
}
