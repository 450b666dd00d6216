/* diff.c -- `linksnap diff ID [A B]`: what changed between two captures of a link
 * (snapshot.diff): by default its last two good captures (linksnapd picks them), else
 * snapshots A (old) and B (new). Prints the changed regions, the blocks of text added and
 * removed, and where the overlay picture is. Knows snapshot.diff of docs/protocol.md;
 * nothing of sockets. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

static void print_blocks(cli_t *cli, const json_t *arr, const char *mark)
{
    size_t i;
    json_t *s;
    /* cli_call cleaned the strings: a block is one line (its control characters,
     * newlines too, are U+FFFD) */
    json_array_foreach(arr, i, s)
        fprintf(cli->out, "  %s %s\n", mark, json_string_value(s));
}

static void print_diff(cli_t *cli, json_int_t link_id, const json_t *r)
{
    int changed = json_is_true(json_object_get(r, "changed"));
    double frac = json_number_value(json_object_get(r, "changed_fraction"));
    fprintf(cli->out, "link %lld: snapshot #%lld -> #%lld: ", (long long)link_id,
            cli_int(r, "from"), cli_int(r, "to"));
    if (!changed) {
        fprintf(cli->out, "unchanged\n");
        return;
    }
    fprintf(cli->out, "changed (%.2f%% of the page)\n", frac * 100);
    const json_t *cw = json_object_get(r, "common_width");
    const json_t *widths = json_object_get(r, "widths");
    if (json_is_integer(cw))
        fprintf(cli->out, "  compared on the common width, %lld px (the captures are %lld and "
                "%lld px wide)\n", (long long)json_integer_value(cw),
                (long long)json_integer_value(json_array_get(widths, 0)),
                (long long)json_integer_value(json_array_get(widths, 1)));
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(r, "regions"), i, g)
        fprintf(cli->out, "  %-9s %lldx%lld at %lld,%lld\n", cli_str(g, "kind"), cli_int(g, "w"),
                cli_int(g, "h"), cli_int(g, "x"), cli_int(g, "y"));
    const json_t *text = json_object_get(r, "text");
    size_t na = json_array_size(json_object_get(text, "added"));
    size_t nr = json_array_size(json_object_get(text, "removed"));
    if (na || nr) {
        fprintf(cli->out, "text: %zu block%s added, %zu removed\n", na, na == 1 ? "" : "s", nr);
        print_blocks(cli, json_object_get(text, "added"), "+");
        print_blocks(cli, json_object_get(text, "removed"), "-");
    }
    const char *image = cli_str(json_object_get(r, "image"), "path");
    if (*image)
        fprintf(cli->out, "overlay: %s\n", image);
}

int cli_cmd_diff(cli_t *cli, int argc, char **argv)
{
    opts_t o;
    json_t *r = NULL;
    json_int_t link_id, a = 0, b = 0;
    int rc = opts_parse(cli, argc, argv, 0, &o);
    if (rc)
        goto done;
    if (o.nargs != 1 && o.nargs != 3) {
        rc = cli_usage_error(cli, "give a link id, and optionally two of its snapshots (old new)");
        goto done;
    }
    if ((rc = cli_parse_id(cli, o.args[0], &link_id)) ||
        (o.nargs == 3 && ((rc = cli_parse_id(cli, o.args[1], &a)) ||
                          (rc = cli_parse_id(cli, o.args[2], &b)))))
        goto done;
    json_t *params = o.nargs == 3 ? json_pack("{s:I,s:I}", "from", a, "to", b)
                                  : json_pack("{s:I}", "link_id", link_id);
    if ((rc = cli_call(cli, "snapshot.diff", params, &r)))
        goto done;
    if (cli_int(r, "link_id") != link_id) {
        rc = cli_fail(cli, "snapshots #%lld and #%lld are not captures of link %lld",
                      (long long)a, (long long)b, (long long)link_id);
        goto done;
    }
    if (cli->json)
        cli_print_json(cli, r);
    else
        print_diff(cli, link_id, r);
done:
    json_decref(r);
    opts_free(&o);
    return rc;
}
