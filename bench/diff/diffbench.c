/* diffbench.c -- times one visual diff (diff/imgdiff.c) of two PNG files, decoding
 * included, and prints one JSON line: the time, the result's figures, and the process's
 * resident memory before the diff and at its peak (VmRSS, VmHWM from /proc/self/status).
 * Usage: diffbench FROM.png TO.png [OVERLAY.png] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imgdiff.h"

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: diffbench FROM.png TO.png [OVERLAY.png]\n");
        return 2;
    }
    long rss0 = status_kb("VmRSS");
    imgdiff_opts_t o = {.overlay_path = argc == 4 ? argv[3] : NULL};
    imgdiff_result_t r;
    char err[600];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (imgdiff_files(argv[1], argv[2], &o, &r, err, sizeof err) != 0) {
        fprintf(stderr, "diffbench: %s\n", err);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("{\"ms\": %.3f, \"changed_fraction\": %.6f, \"changed_pixels\": %llu, \"regions\": %zu, "
           "\"aligned\": %d, \"rss_before_kb\": %ld, \"hwm_kb\": %ld, \"width\": %u, \"height\": %u, "
           "\"boxes\": [",
           ms, r.changed_fraction, (unsigned long long)r.changed_pixels, r.nregions, r.aligned, rss0,
           status_kb("VmHWM"), r.to_w, r.to_h);
    for (size_t i = 0; i < r.nregions; i++)
        printf("%s{\"kind\": \"%s\", \"x\": %u, \"y\": %u, \"w\": %u, \"h\": %u}", i ? ", " : "",
               imgdiff_kind_name(r.regions[i].kind), r.regions[i].x, r.regions[i].y, r.regions[i].w,
               r.regions[i].h);
    printf("]}\n");
    imgdiff_result_free(&r);
    return 0;
}
