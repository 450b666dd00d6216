/* test_errcode.c -- unit tests for protocol/errcode: the sentences people meet get their
 * stable code and params, prefixes put before someone else's sentence are seen through,
 * an unknown sentence gets none, every template is reached by its own sentence (the
 * table's order), and every code has its row in docs/protocol.md and a zh and an en text
 * in web/static/js/i18n.js. Runs in tests/protocol of the source tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errcode.h"
#include "test.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + len, 1, 4096, f);
        len += k;
        if (k == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* code and params[key] of msg as "code key=value" (or "none") */
static const char *code_of(const char *msg, const char *key, char *out, size_t outlen)
{
    json_t *d = errcode_data(msg);
    if (!d) {
        snprintf(out, outlen, "none");
        return out;
    }
    const char *v = key ? json_string_value(json_object_get(json_object_get(d, "params"), key)) : NULL;
    snprintf(out, outlen, "%s%s%s%s%s", json_string_value(json_object_get(d, "code")),
             key ? " " : "", key ? key : "", key ? "=" : "", v ? v : (key ? "(absent)" : ""));
    json_decref(d);
    return out;
}

TEST(sentences_get_their_code_and_params)
{
    char b[256];
    ASSERT_STR_EQ(code_of("not a URL: hello world (expected http:// or https://)", "text", b, sizeof b),
                  "url_not_a_url text=hello world");
    ASSERT_STR_EQ(code_of("unsupported URL scheme 'ftp' (only http and https)", "scheme", b, sizeof b),
                  "url_bad_scheme scheme=ftp");
    ASSERT_STR_EQ(code_of("not a valid URL: it has no host", NULL, b, sizeof b), "url_no_host");
    ASSERT_STR_EQ(code_of("not a valid URL: Bad hostname", "why", b, sizeof b),
                  "url_invalid why=Bad hostname");
    ASSERT_STR_EQ(code_of("tag 'a,b' contains a comma (tags are separated by commas)", "tag", b,
                          sizeof b), "tag_comma tag=a,b");
    ASSERT_STR_EQ(code_of("link 42 not found", "id", b, sizeof b), "link_not_found id=42");
    ASSERT_STR_EQ(code_of("param 'limit' must be from 1 to 500, got 0", "max", b, sizeof b),
                  "param_range max=500");
    ASSERT_STR_EQ(code_of("entry has no URL", NULL, b, sizeof b), "import_no_url");
    /* a hole takes the shortest text after which the rest matches: quotes inside are kept */
    ASSERT_STR_EQ(code_of("tag 'it's' not found", "tag", b, sizeof b), "tag_not_found tag=it's");
    return 0;
}

TEST(prefixes_are_seen_through)
{
    char b[256];
    /* methods_site.c puts the param before the store's sentence */
    ASSERT_STR_EQ(code_of("param 'match': match has a space or control character", "param",
                          b, sizeof b), "site_match_space param=match");
    ASSERT_STR_EQ(code_of("param 'match': match 'x/y' has a path: write a URL prefix with its "
                          "scheme (https://host/path)", "match", b, sizeof b),
                  "site_match_path match=x/y");
    /* methods_site.c: the hide selector's reason after its param */
    ASSERT_STR_EQ(code_of("param 'hide': selector \"a{b\" has '{', '}', ';', '<' or a comment: "
                          "give plain CSS selectors", "sel", b, sizeof b), "site_selector_bad sel=a{b");
    /* methods_site.c: a site rule's endpoints */
    ASSERT_STR_EQ(code_of("param 'endpoints': linksnapd has no endpoint 'far'; its endpoints are: "
                          "near, own", "known", b, sizeof b), "site_endpoint_unknown known=near, own");
    /* method_fail_store's "what: " */
    ASSERT_STR_EQ(code_of("import: the database is locked by another process (busy)", NULL, b,
                          sizeof b), "store_busy");
    /* only one level, and only a short prefix */
    ASSERT_STR_EQ(code_of("a: b: entry has no URL", NULL, b, sizeof b), "none");
    return 0;
}

TEST(unknown_sentences_get_none)
{
    char b[256];
    ASSERT_STR_EQ(code_of("something nobody wrote", NULL, b, sizeof b), "none");
    ASSERT_STR_EQ(code_of("", NULL, b, sizeof b), "none");
    ASSERT_STR_EQ(code_of("entry has no URL!", NULL, b, sizeof b), "none");
    ASSERT_STR_EQ(code_of("link  not found", NULL, b, sizeof b), "none");   /* a hole is never empty */
    ASSERT_NULL(errcode_data(NULL));
    ASSERT_EQ(errcode_match("x {a} y", "x  y", NULL), 0);
    ASSERT_EQ(errcode_match("x {a} y", "x 1 y", NULL), 1);
    /* "{" not followed by a name and "}" is text */
    ASSERT_EQ(errcode_match("{width: 1}", "{width: 1}", NULL), 1);
    return 0;
}

/* Each template with its holes filled is recognised as its own code: no row before it
 * takes its sentences. */
TEST(every_template_is_reached)
{
    size_t n;
    const errcode_def_t *t = errcode_table(&n);
    ASSERT_GT(n, 50);
    for (size_t i = 0; i < n; i++) {
        char msg[600] = "";
        const char *p = t[i].tmpl;
        while (*p) {
            if (p[0] == '{' && strchr(p, '}') && strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
                                                     (size_t)(strchr(p, '}') - p - 1) && p[1] != '}') {
                strncat(msg, "v7", sizeof msg - strlen(msg) - 1);
                p = strchr(p, '}') + 1;
            } else {
                size_t l = strlen(msg);
                if (l + 1 < sizeof msg) {
                    msg[l] = *p;
                    msg[l + 1] = '\0';
                }
                p++;
            }
        }
        json_t *d = errcode_data(msg);
        ASSERT_MSG(d != NULL, "template %zu (%s) does not match its own sentence '%s'", i, t[i].code, msg);
        const char *got = json_string_value(json_object_get(d, "code"));
        ASSERT_MSG(!strcmp(got, t[i].code), "'%s' is taken by %s, not %s", msg, got, t[i].code);
        json_decref(d);
        for (const char *c = t[i].code; *c; c++)
            ASSERT_MSG((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_', "code %s is not snake_case", t[i].code);
    }
    return 0;
}

/* docs/protocol.md lists every code; i18n.js says each in zh (before `const en`) and en. */
TEST(every_code_is_documented_and_translated)
{
    char *doc = slurp("../../docs/protocol.md");
    char *js = slurp("../../web/static/js/i18n.js");
    ASSERT_NOT_NULL(doc);
    ASSERT_NOT_NULL(js);
    const char *en = strstr(js, "const en = {");
    ASSERT_NOT_NULL(en);
    size_t n;
    const errcode_def_t *t = errcode_table(&n);
    for (size_t i = 0; i < n; i++) {
        char key[96];
        snprintf(key, sizeof key, "| `%s` |", t[i].code);
        ASSERT_MSG(strstr(doc, key), "docs/protocol.md has no row for %s", t[i].code);
        snprintf(key, sizeof key, "e_%s:", t[i].code);
        const char *z = strstr(js, key);
        ASSERT_MSG(z && z < en, "i18n.js has no zh text for %s", t[i].code);
        ASSERT_MSG(strstr(en, key), "i18n.js has no en text for %s", t[i].code);
    }
    free(doc);
    free(js);
    return 0;
}

/* One method_fail() format string of a daemon source as a sentence: the first argument
 * after the call's RPC code, adjacent literals joined, each conversion replaced by a sample
 * value ("%s" -> "x", "%d" -> "7"). Returns the end of the call's text scanned, or NULL
 * when the format is not a literal (a sentence made elsewhere, "%s" alone: not judged). */
static const char *sample_format(const char *call, char *out, size_t size)
{
    const char *p = strchr(call, ',');              /* after the call */
    if (!p || !(p = strchr(p + 1, ',')))            /* after the RPC code */
        return NULL;
    size_t n = 0;
    for (p++;;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (*p != '"')
            break;
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                if (n + 1 < size)
                    out[n++] = *p == 'n' ? '\n' : *p;
            } else if (*p == '%') {
                if (p[1] == '%') {
                    p++;
                    if (n + 1 < size)
                        out[n++] = '%';
                    continue;
                }
                while (*p && !strchr("sdiufgcxz", *p) && *p != '"')
                    p++;
                while (*p == 'z' || *p == 'l')
                    p++;
                /* a %s glued to a word is its ending ("capture%s"): a plural s */
                int suffix = n > 0 && out[n - 1] >= 'a' && out[n - 1] <= 'z';
                const char *v = *p == 's' ? (suffix ? "s" : "x") : *p == 'g' || *p == 'f' ? "1.5" : "7";
                for (; *v && n + 1 < size; v++)
                    out[n++] = *v;
            } else if (n + 1 < size) {
                out[n++] = *p;
            }
        }
        if (*p == '"')
            p++;
    }
    out[n] = '\0';
    /* "%s" alone, or "WHAT: %s": someone else's sentence, coded (or not) by its own words */
    if (n == 0 || !strcmp(out, "x") || (n >= 3 && !strcmp(out + n - 3, ": x")))
        return NULL;
    return p;
}

/* Every sentence the daemon's methods write in place (a literal format given to
 * method_fail) has its code, unless tests/protocol/uncoded.txt names it as one that has
 * none on purpose (internal failures): rewording a message without its template would
 * otherwise drop its code silently, and the page would show it in English. */
TEST(every_literal_method_error_has_a_code)
{
    static const char *const files[] = {
        "dispatch.c", "method.c", "methods.c", "methods_backup.c", "methods_chart.c",
        "methods_daemon.c", "methods_import.c", "methods_link.c", "methods_search.c",
        "methods_site.c", "methods_snapshot.c", "methods_tag.c", "methods_watch.c",
        "methods_web.c", "snapdiff.c", "importer.c", "upload_args.c", "json_import.c",
    };
    char *allow = slurp("uncoded.txt");
    ASSERT_NOT_NULL(allow);
    int missing = 0, seen = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[256];
        snprintf(path, sizeof path, "../../daemon/%s", files[f]);
        char *src = slurp(path);
        if (!src)
            continue;   /* a file that went: the others still count */
        for (const char *c = src; (c = strstr(c, "method_fail(")); c++) {
            char sentence[512];
            if (c > src && (c[-1] == '_' || (c[-1] >= 'a' && c[-1] <= 'z')))
                continue;   /* method_fail_code, method_fail_store: named at the call */
            if (!sample_format(c, sentence, sizeof sentence))
                continue;
            seen++;
            json_t *d = errcode_data(sentence);
            char line[560];
            snprintf(line, sizeof line, "\n%s\n", sentence);
            if (!d && !strstr(allow, line)) {
                fprintf(stderr, "  %s: no code for \"%s\"\n", files[f], sentence);
                missing++;
            }
            json_decref(d);
        }
        free(src);
    }
    free(allow);
    ASSERT_MSG(seen > 50, "only %d literal errors found: has the scan gone blind?", seen);
    ASSERT_MSG(missing == 0, "%d literal errors without a code (add a template to "
               "protocol/errcode.c, or the sentence to tests/protocol/uncoded.txt)", missing);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(sentences_get_their_code_and_params),
    TEST_ENTRY(prefixes_are_seen_through),
    TEST_ENTRY(unknown_sentences_get_none),
    TEST_ENTRY(every_template_is_reached),
    TEST_ENTRY(every_code_is_documented_and_translated),
    TEST_ENTRY(every_literal_method_error_has_a_code),
    TEST_END,
};
TEST_MAIN()
