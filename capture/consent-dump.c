/* consent-dump.c -- prints what capture/consent.h hands out, so the in-browser test
 * (tests/capture/test_consent.py) applies exactly the module's texts:
 *   consent-dump css | script | preload [hide-selector...] | preload-hide-only [sel...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "css") == 0) {
        fputs(consent_css(), stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "script") == 0) {
        fputs(consent_script(), stdout);
        return 0;
    }
    int hide_only = argc >= 2 && strcmp(argv[1], "preload-hide-only") == 0;
    if (argc >= 2 && (strcmp(argv[1], "preload") == 0 || hide_only)) {
        char err[256];
        char *extra = consent_hide_css((const char *const *)argv + 2, (size_t)(argc - 2), err,
                                       sizeof err);
        if (!extra) {
            fprintf(stderr, "consent-dump: %s\n", err);
            return 1;
        }
        char *s = consent_preload_script(!hide_only, extra);
        free(extra);
        if (!s) {
            fprintf(stderr, "consent-dump: out of memory\n");
            return 1;
        }
        fputs(s, stdout);
        free(s);
        return 0;
    }
    fprintf(stderr, "usage: consent-dump css | script | preload [hide-selector...] | "
                    "preload-hide-only [hide-selector...]\n");
    return 2;
}
