/* dump.c -- ls-import-dump: runs an import parser over a file and prints every entry as a
 * JSON line (errors to stderr), or with --stats only counts and throughput. A debugging and
 * measuring tool for import/; knows nothing of the daemon. */
#include "import.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    const char *path;
    int quiet;
    uint64_t entries, errors;
} dump_t;

static int entry_cb(const import_entry_t *e, void *ud)
{
    dump_t *d = ud;
    d->entries++;
    if (d->quiet)
        return 0;
    json_t *o = json_object();
    json_t *tags = json_array();
    if (!o || !tags)
        goto fail;
    for (size_t i = 0; i < e->ntags; i++)
        json_array_append_new(tags, json_string(e->tags[i]));
    json_object_set_new(o, "line", json_integer((json_int_t)e->line));
    json_object_set_new(o, "url", json_string(e->url));
    if (e->title)
        json_object_set_new(o, "title", json_string(e->title));
    if (e->description)
        json_object_set_new(o, "description", json_string(e->description));
    json_object_set_new(o, "tags", tags);
    tags = NULL;
    if (e->created_ms)
        json_object_set_new(o, "created_ms", json_integer((json_int_t)e->created_ms));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        goto fail;
    puts(s);
    free(s);
    json_decref(o);
    return 0;
fail:
    json_decref(tags);
    json_decref(o);
    fprintf(stderr, "ls-import-dump: out of memory\n");
    return 1;
}

static void error_cb(uint64_t line, const char *reason, void *ud)
{
    dump_t *d = ud;
    d->errors++;
    fprintf(stderr, "%s:%llu: %s\n", d->path, (unsigned long long)line, reason);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ls-import-dump FILE|- [--format auto|text|netscape|csv|jsonl|json]\n"
            "                      [--chunk BYTES] [--stats]\n"
            "Prints each entry as a JSON line, errors as FILE:LINE: reason on stderr.\n"
            "--stats prints counts, throughput and peak RSS instead of the entries.\n");
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    import_format_t fmt = IMPORT_FMT_AUTO;
    size_t chunk = 65536;
    int stats = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (import_format_parse(argv[++i], &fmt) != 0) {
                fprintf(stderr, "ls-import-dump: unknown format '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
            chunk = strtoul(argv[++i], NULL, 10);
            if (chunk == 0 || chunk > (64u << 20)) {
                fprintf(stderr, "ls-import-dump: --chunk must be 1..67108864\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage();
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            usage();
            return 2;
        }
    }
    if (!path) {
        usage();
        return 2;
    }

    int status = 1;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = malloc(chunk);
    dump_t d = {.path = path, .quiet = stats};
    import_parser_t *p = import_parser_new(fmt, entry_cb, error_cb, &d);
    if (!f) {
        fprintf(stderr, "ls-import-dump: cannot open %s: %s\n", path, strerror(errno));
        goto done;
    }
    if (!buf || !p) {
        fprintf(stderr, "ls-import-dump: out of memory\n");
        goto done;
    }
    double t0 = now_s();
    uint64_t bytes = 0;
    int rc = IMPORT_OK;
    size_t n;
    while (rc == IMPORT_OK && (n = fread(buf, 1, chunk, f)) > 0) {
        bytes += n;
        rc = import_parser_feed(p, buf, n);
    }
    if (ferror(f)) {
        fprintf(stderr, "ls-import-dump: reading %s: %s\n", path, strerror(errno));
        goto done;
    }
    if (rc == IMPORT_OK)
        rc = import_parser_finish(p);
    double secs = now_s() - t0;
    if (rc < 0) {
        fprintf(stderr, "ls-import-dump: %s: %s\n", path, import_parser_errmsg(p));
        goto done;
    }
    if (stats) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        uint64_t lines = import_parser_lines(p);
        fprintf(stderr,
                "format %s, %llu bytes, %llu lines, %llu entries, %llu errors, %.3f s, "
                "%.1f MB/s, %.0f lines/s, %.0f entries/s, peak RSS %ld KiB\n",
                import_format_name(import_parser_format(p)), (unsigned long long)bytes,
                (unsigned long long)lines, (unsigned long long)d.entries,
                (unsigned long long)d.errors, secs, secs > 0 ? (double)bytes / 1e6 / secs : 0,
                secs > 0 ? (double)lines / secs : 0, secs > 0 ? (double)d.entries / secs : 0,
                ru.ru_maxrss);
    }
    status = 0;
done:
    import_parser_free(p);
    free(buf);
    if (f && f != stdin)
        fclose(f);
    return status;
}
