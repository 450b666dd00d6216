/* test_botwall.c -- the bot-wall classifier (capture/botwall.c) against botwall_cases.txt:
 * challenge pages in each vendor's style and 429s are named, with Retry-After; plain 403
 * and 404 pages and pages that merely carry a vendor's tag stay captures. Plus the
 * Retry-After parser and the sample bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "botwall.h"
#include "test.h"

#define MAX_HEADERS 16

typedef struct {
    char name[64];
    int status;
    char hname[MAX_HEADERS][64];
    char hval[MAX_HEADERS][256];
    size_t nheaders;
    char title[256];
    int has_title;
    char expect[32];
    long retry;
    int has_retry;
    char *markup;
    size_t mlen, mcap;
    int in_markup;
} tcase_t;

static int run_case(tcase_t *c, int *bad)
{
    botwall_header_t h[MAX_HEADERS];
    for (size_t i = 0; i < c->nheaders; i++) {
        h[i].name = c->hname[i];
        h[i].value = c->hval[i];
    }
    botwall_input_t in = {c->status, h, c->nheaders, c->has_title ? c->title : NULL,
                          c->markup, c->mlen};
    botwall_result_t r;
    botwall_kind_t k = botwall_classify(&in, &r);
    if (strcmp(r.name, c->expect) != 0 || strcmp(botwall_kind_name(k), c->expect) != 0) {
        fprintf(stderr, "  %s: expected %s, got %s (%s)\n", c->name, c->expect, r.name, r.error);
        (*bad)++;
    }
    if (k != BOTWALL_NONE && strncmp(r.error, "blocked: ", 9) != 0) {
        fprintf(stderr, "  %s: error text \"%s\" does not say blocked\n", c->name, r.error);
        (*bad)++;
    }
    if (k == BOTWALL_NONE && r.error[0]) {
        fprintf(stderr, "  %s: no wall but an error \"%s\"\n", c->name, r.error);
        (*bad)++;
    }
    if (c->has_retry && r.retry_after != c->retry) {
        fprintf(stderr, "  %s: Retry-After %ld, expected %ld\n", c->name, r.retry_after, c->retry);
        (*bad)++;
    }
    if (c->has_retry && c->retry > 0 && !strstr(r.error, "Retry-After")) {
        fprintf(stderr, "  %s: error \"%s\" lacks the Retry-After\n", c->name, r.error);
        (*bad)++;
    }
    return 0;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
}

TEST(cases_file)
{
    FILE *f = fopen("botwall_cases.txt", "r");
    ASSERT_NOT_NULL(f);
    char line[4096];
    tcase_t c;
    memset(&c, 0, sizeof c);
    int n = 0, bad = 0, walls = 0, open = 0;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        if (!got || strncmp(line, "=== ", 4) == 0) {
            if (open) {
                run_case(&c, &bad);
                n++;
                walls += strcmp(c.expect, "none") != 0;
            }
            free(c.markup);
            memset(&c, 0, sizeof c);
            if (!got)
                break;
            chomp(line);
            snprintf(c.name, sizeof c.name, "%s", line + 4);
            open = 1;
            continue;
        }
        if (c.in_markup) {
            size_t l = strlen(line);
            if (c.mlen + l + 1 > c.mcap) {
                c.mcap = (c.mlen + l + 1) * 2;
                char *p = realloc(c.markup, c.mcap);
                ASSERT_NOT_NULL(p);
                c.markup = p;
            }
            memcpy(c.markup + c.mlen, line, l + 1);
            c.mlen += l;
            continue;
        }
        if (!open || line[0] == '#' || line[0] == '\n')
            continue;
        chomp(line);
        if (strncmp(line, "status ", 7) == 0) {
            c.status = atoi(line + 7);
        } else if (strncmp(line, "header ", 7) == 0) {
            ASSERT_LT(c.nheaders, MAX_HEADERS);
            char *colon = strchr(line + 7, ':');
            ASSERT_NOT_NULL(colon);
            *colon = 0;
            snprintf(c.hname[c.nheaders], 64, "%s", line + 7);
            snprintf(c.hval[c.nheaders], 256, "%s", colon + 1 + (colon[1] == ' '));
            c.nheaders++;
        } else if (strncmp(line, "title ", 6) == 0) {
            snprintf(c.title, sizeof c.title, "%s", line + 6);
            c.has_title = 1;
        } else if (strncmp(line, "expect ", 7) == 0) {
            snprintf(c.expect, sizeof c.expect, "%s", line + 7);
        } else if (strncmp(line, "retry ", 6) == 0) {
            c.retry = atol(line + 6);
            c.has_retry = 1;
        } else if (strcmp(line, "markup") == 0) {
            c.in_markup = 1;
        } else {
            fprintf(stderr, "  %s: unknown line \"%s\"\n", c.name, line);
            bad++;
        }
    }
    fclose(f);
    ASSERT_GE(n, 20);
    ASSERT_GE(walls, 12);
    ASSERT_EQ(bad, 0);
    return 0;
}

TEST(retry_after_forms)
{
    ASSERT_EQ(botwall_parse_retry_after("120", 0), 120);
    ASSERT_EQ(botwall_parse_retry_after("  7 ", 0), 7);
    ASSERT_EQ(botwall_parse_retry_after("0", 0), 0);
    ASSERT_EQ(botwall_parse_retry_after("-5", 0), -1);
    ASSERT_EQ(botwall_parse_retry_after("12abc", 0), -1);
    ASSERT_EQ(botwall_parse_retry_after("", 0), -1);
    ASSERT_EQ(botwall_parse_retry_after(NULL, 0), -1);
    ASSERT_EQ(botwall_parse_retry_after("soon", 0), -1);
    /* 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT */
    ASSERT_EQ(botwall_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 90), 90);
    ASSERT_EQ(botwall_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 90), 0);
    return 0;
}

/* Challenge markup past the sample bound is not looked at, so a huge page costs a bounded
 * scan; the same markup inside the bound is found. */
TEST(sample_is_bounded)
{
    const char *mark = "<div id=\"px-captcha\"></div>";
    size_t pad = BOTWALL_SAMPLE_MAX, ml = strlen(mark);
    char *m = malloc(pad + ml + 1);
    ASSERT_NOT_NULL(m);
    memset(m, 'x', pad);
    memcpy(m + pad, mark, ml + 1);
    botwall_input_t in = {200, NULL, 0, "t", m, pad + ml};
    botwall_result_t r;
    int far = botwall_classify(&in, &r);
    in.markup = m + pad - 100;
    in.markup_len = ml + 100;
    int near = botwall_classify(&in, &r);
    free(m);
    ASSERT_EQ(far, BOTWALL_NONE);
    ASSERT_EQ(near, BOTWALL_PERIMETERX);
    ASSERT_STR_EQ(botwall_kind_name((botwall_kind_t)99), "none");
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(cases_file),
    TEST_ENTRY(retry_after_forms),
    TEST_ENTRY(sample_is_bounded),
    TEST_END,
};
TEST_MAIN()
