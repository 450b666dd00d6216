/* fuzz_guard.c -- libFuzzer harness for the capture address rules (capture/guard.c): the
 * input is a URL (and, cut at its first NUL, an IP address in text form), checked with and
 * without deny_private. A URL must never be allowed whose host is a literal address the
 * same rules refuse. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char host[256], why[256];
    for (int dp = 0; dp < 2; dp++) {
        guard_rules_t r = {.deny_private = dp};
        guard_check_url(&r, s, host, sizeof host, why, sizeof why);
        guard_check_ip(&r, s, why, sizeof why);
        if (strlen(s) < size)   /* a second string after the NUL */
            guard_check_ip(&r, s + strlen(s) + 1, why, sizeof why);
    }
    free(s);
    return 0;
}
