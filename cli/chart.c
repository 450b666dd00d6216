/* chart.c -- `linksnap chart tags|timeline|outcomes`: asks linksnapd for a chart
 * (chart.render) and writes the PNG or SVG it sends back to a file or standard output.
 * Its options are its own (parsed here, not in opts.c): no other command takes them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static int write_all(cli_t *cli, const char *path, const unsigned char *data, size_t n)
{
    FILE *f = path ? fopen(path, "wb") : cli->out;
    if (!f)
        return cli_fail(cli, "cannot write %s: %s", path, strerror(errno));
    int ok = fwrite(data, 1, n, f) == n;
    ok = (path ? fclose(f) : fflush(f)) == 0 && ok;
    if (!ok)
        return cli_fail(cli, "writing %s failed: %s", path ? path : "standard output",
                        strerror(errno));
    return CLI_EXIT_OK;
}

/* The chart's language from the locale, as messages would pick it: the first of LC_ALL,
 * LC_MESSAGES and LANG that is set; "zh..." is Chinese, anything else English. */
static const char *locale_lang(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return !strncmp(v, "zh", 2) && (v[2] == '\0' || strchr("_-.@", v[2])) ? "zh" : "en";
    }
    return "en";
}

int cli_cmd_chart(cli_t *cli, int argc, char **argv)
{
    const char *kind = NULL, *out = NULL, *tag = NULL, *style = NULL, *lang = locale_lang();
    int svg = 0, rc = CLI_EXIT_OK;
    long width = 0, height = 0, top = 0, days = 0;
    double scale = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--svg")) {
            svg = 1;
            continue;
        }
        if (a[0] != '-') {
            if (kind)
                return cli_usage_error(cli, "one kind only (tags, timeline or outcomes)");
            kind = a;
            continue;
        }
        if (!v)
            return cli_usage_error(cli, "%s needs a value", a);
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            out = v;
        } else if (!strcmp(a, "--size")) {
            char x;
            if (sscanf(v, "%ld%c%ld", &width, &x, &height) != 3 || (x != 'x' && x != 'X'))
                return cli_usage_error(cli, "--size wants WIDTHxHEIGHT, like 1200x440");
        } else if (!strcmp(a, "--scale")) {
            char *end;
            scale = strtod(v, &end);
            if (*end || end == v)
                return cli_usage_error(cli, "--scale wants a number from 1 to 3");
        } else if (!strcmp(a, "--top")) {
            rc = cli_number_arg(cli, a, v, 1, 100, &top);
        } else if (!strcmp(a, "--days")) {
            rc = cli_number_arg(cli, a, v, 1, 3660, &days);
        } else if (!strcmp(a, "--tag") || !strcmp(a, "-t")) {
            tag = v;
        } else if (!strcmp(a, "--style")) {
            style = v;
        } else if (!strcmp(a, "--lang")) {
            if (strcmp(v, "en") && strcmp(v, "zh"))
                return cli_usage_error(cli, "--lang is en or zh");
            lang = v;
        } else {
            return cli_usage_error(cli, "unknown option %s", a);
        }
    }
    if (rc)
        return rc;
    if (!kind)
        return cli_usage_error(cli, "give the kind of chart: tags, timeline or outcomes");
    if (!out && !svg && isatty(fileno(cli->out)))
        return cli_usage_error(cli, "a PNG is not for the terminal: give -o FILE or redirect");

    json_t *p = json_pack("{s:s,s:s,s:b,s:s}", "kind", kind, "format", svg ? "svg" : "png",
                          "inline", 1, "lang", lang);
    if (p && width)
        json_object_set_new(p, "width", json_integer(width));
    if (p && height)
        json_object_set_new(p, "height", json_integer(height));
    if (p && scale)
        json_object_set_new(p, "scale", json_real(scale));
    if (p && top)
        json_object_set_new(p, "top", json_integer(top));
    if (p && days)
        json_object_set_new(p, "days", json_integer(days));
    if (p && tag)
        json_object_set_new(p, "tag", json_string(tag));
    if (p && style)
        json_object_set_new(p, "style", json_string(style));
    if (!p)
        return cli_fail(cli, "out of memory");
    json_object_set_new(p, "inline", json_true());   /* the bytes, not a file of the daemon's */
    json_t *r = NULL;
    if ((rc = cli_call(cli, "chart.render", p, &r)))
        return rc;
    const char *data = json_string_value(json_object_get(r, "data"));
    size_t len = data ? strlen(data) : 0;
    unsigned char *bytes = data ? malloc(len / 4 * 3 + 3) : NULL;
    long n = bytes ? util_base64_decode(data, len, bytes) : -1;
    if (n < 0)
        rc = cli_fail(cli, "linksnapd sent no chart data");
    else if (!(rc = write_all(cli, out, bytes, (size_t)n)) && out)
        fprintf(cli->err, "%s chart written to %s (%ld bytes)\n", kind, out, n);
    free(bytes);
    json_decref(r);
    return rc;
}
