/* history.c -- `linksnap history ID`: a link's captures, newest first (snapshot.list),
 * one row each: id, when, state, HTTP status and what changed against the capture before
 * (the snapshot's `change`). --limit sets the page, --all follows every page. Knows
 * snapshot.list of docs/protocol.md; nothing of sockets. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

/* "changed 1.25% vs #7", "unchanged vs #7", or "-" (the first good capture, a capture that
 * is not good, or one made before linksnapd compared captures). */
static const char *fmt_change(const json_t *c, char *out, size_t n)
{
    if (!json_is_object(c))
        snprintf(out, n, "-");
    else if (json_is_true(json_object_get(c, "changed")))
        snprintf(out, n, "changed %.2f%% vs #%lld",
                 json_number_value(json_object_get(c, "changed_fraction")) * 100,
                 cli_int(c, "against"));
    else
        snprintf(out, n, "unchanged vs #%lld", cli_int(c, "against"));
    return out;
}

static int history_row_cb(cli_t *cli, table_t *t, const json_t *s, void *ud)
{
    (void)cli;
    (void)ud;
    char id[32], when[32], status[16], change[64];
    const char *at = cli_str(s, "finished_at");
    if (!*at)
        at = cli_str(s, "created_at");
    /* RFC 3339 to the minute: "2026-12-05 11:10" */
    snprintf(when, sizeof when, "%.10s %.5s", at, strlen(at) >= 16 ? at + 11 : "");
    snprintf(id, sizeof id, "%lld", cli_int(s, "id"));
    if (json_is_integer(json_object_get(s, "http_status")))
        snprintf(status, sizeof status, "%lld", cli_int(s, "http_status"));
    else
        snprintf(status, sizeof status, "-");
    const char *cells[] = {id, when, cli_str(s, "state"), status,
                           fmt_change(json_object_get(s, "change"), change, sizeof change)};
    return table_add(t, cells);
}

int cli_cmd_history(cli_t *cli, int argc, char **argv)
{
    static const char *const header[] = {"SNAPSHOT", "TIME (UTC)", "STATE", "HTTP", "CHANGE"};
    opts_t o;
    json_t *all = NULL, *r = NULL;
    json_int_t link_id, before = 0;
    int rc = opts_parse(cli, argc, argv, OPT_LIMIT | OPT_ALL, &o);
    if (rc)
        goto done;
    if (o.nargs != 1) {
        rc = cli_usage_error(cli, "give one link id");
        goto done;
    }
    if ((rc = cli_parse_id(cli, o.args[0], &link_id)))
        goto done;
    if (!(all = json_array())) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    long limit = o.limit ? o.limit : o.all ? 500 : 50;
    do {
        json_t *p = json_pack("{s:I,s:i}", "link_id", link_id, "limit", (int)limit);
        if (p && before)
            json_object_set_new(p, "before", json_integer(before));
        json_decref(r);
        r = NULL;
        if ((rc = cli_call(cli, "snapshot.list", p, &r)))
            goto done;
        json_array_extend(all, json_object_get(r, "snapshots"));
        before = json_integer_value(json_object_get(r, "next_before"));
    } while (o.all && before);
    json_t *res = json_pack("{s:O,s:o}", "snapshots", all, "next_before",
                            before ? json_integer(before) : json_null());
    if (!res) {
        rc = cli_fail(cli, "out of memory");
        goto done;
    }
    char empty[64];
    snprintf(empty, sizeof empty, "link %lld has no captures", (long long)link_id);
    rc = cli_print_list(cli, res, "snapshots", empty, header, 5, 4, history_row_cb, NULL);
    if (!rc && !cli->json && before)
        fprintf(cli->out, "(more: --all, or --limit N)\n");
    json_decref(res);
done:
    json_decref(all);
    json_decref(r);
    opts_free(&o);
    return rc;
}
