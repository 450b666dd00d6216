/* test_names.c -- names people read: the tag match key as a table of cases
 * (tag_key_cases.txt), one tag for what a person sees as one through the store, the
 * schema 5 migration on a database written by schema version 4 (data/v4_tags.sql), and
 * the displayed form of stored URLs as a table (display_cases.txt). */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "test.h"
#include "store_test.h"

static int key_of(const char *raw, char *key)
{
    char name[STORE_MAX_TAG_BYTES + 1], err[256];
    int rc = store_normalize_tag(raw, name, sizeof name, err, sizeof err);
    return rc ? rc : store_tag_key(name, key, STORE_MAX_TAG_KEY_BYTES + 1);
}

TEST(tag_key_table)
{
    FILE *f = fopen("tag_key_cases.txt", "r");
    ASSERT_MSG(f != NULL, "tag_key_cases.txt not found (run from tests/store)");
    char line[1024], key[STORE_MAX_TAG_KEY_BYTES + 1], again[STORE_MAX_TAG_KEY_BYTES + 1];
    int n = 0, lineno = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *tab = strrchr(line, '\t');
        ASSERT_MSG(tab != NULL, "tag_key_cases.txt:%d: no tab", lineno);
        *tab = '\0';
        const char *want = tab + 1;
        int rc = key_of(line, key);
        if (rc || strcmp(key, want)) {
            fprintf(stderr, "  tag_key_cases.txt:%d: '%s': want '%s', got rc %d '%s'\n", lineno,
                    line, want, rc, rc ? "" : key);
            failures++;
        } else if (key_of(key, again) || strcmp(again, key)) {
            fprintf(stderr, "  tag_key_cases.txt:%d: key '%s' is not its own key\n", lineno, key);
            failures++;
        }
        n++;
    }
    fclose(f);
    ASSERT_GE(n, 30);
    ASSERT_EQ(failures, 0);
    return 0;
}

/* U+FDFA is one character whose compatibility form is 18: 64 of them fit in a tag and
 * their key, 33 times longer, in the buffer the header promises. */
TEST(tag_key_growth)
{
    char name[64 * 3 + 1] = "", key[STORE_MAX_TAG_KEY_BYTES + 1], small[16];
    for (int i = 0; i < 64; i++)
        strcat(name, "\xef\xb7\xba");
    ASSERT_EQ(store_tag_key(name, key, sizeof key), STORE_OK);
    ASSERT_GT(strlen(key), 2000);
    ASSERT_EQ(store_tag_key(name, small, sizeof small), STORE_EINVAL);
    ASSERT_EQ(store_tag_key("DATABASE", small, 8), STORE_EINVAL);   /* ASCII path too */
    ASSERT_EQ(store_tag_key("DATABASE", small, 9), STORE_OK);
    ASSERT_STR_EQ(small, "database");
    return 0;
}

static int64_t add(store_t *s, const char *url, const char *const *tags, size_t ntags)
{
    store_link_add_t in = {.url = url, .tags = tags, .ntags = ntags, .now_ms = 1000};
    int64_t id = 0;
    int c;
    if (store_link_add(s, &in, &id, &c) != STORE_OK) {
        fprintf(stderr, "  add %s: %s\n", url, store_errmsg(s));
        return -1;
    }
    return id;
}

/* "name:count,name:count" of the tag list, by count then name */
static void tag_summary(store_t *s, char *out, size_t cap)
{
    store_tag_t *tags;
    size_t n, w = 0;
    out[0] = '\0';
    if (store_tag_list(s, &tags, &n) != STORE_OK)
        return;
    for (size_t i = 0; i < n && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s:%lld", i ? "," : "", tags[i].name,
                              (long long)tags[i].count);
    free(tags);
}

static size_t count_matching(store_t *s, const char *tag)
{
    const char *all[] = {tag};
    store_filter_t f = {.all = all, .nall = 1};
    store_link_t **v;
    size_t n = 0;
    int64_t next;
    if (store_link_list(s, &f, 100, 0, &v, &n, &next) != STORE_OK)
        return (size_t)-1;
    store_link_list_free(v, n);
    return n;
}

TEST(one_tag_for_what_reads_as_one)
{
    store_t *s = open_fresh("one.db");
    ASSERT(s != NULL);
    char sum[1024];
    ASSERT_EQ(store_begin(s), STORE_OK);
    const char *t1[] = {"Ｄａｔａｂａｓｅ", "Straße", "数据库"};
    const char *t2[] = {"database", "STRASSE", "數據庫"};
    const char *t3[] = {"DATABASE", " database ", "ΟΔΟΣ"};
    const char *t4[] = {"οδος"};
    ASSERT_GT(add(s, "https://a.example/", t1, 3), 0);
    ASSERT_GT(add(s, "https://b.example/", t2, 3), 0);
    ASSERT_GT(add(s, "https://c.example/", t3, 3), 0);
    ASSERT_GT(add(s, "https://d.example/", t4, 1), 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    tag_summary(s, sum, sizeof sum);
    /* the spelling first used stays; simplified and traditional Chinese are two tags */
    ASSERT_STR_EQ(sum, "Ｄａｔａｂａｓｅ:3,Straße:2,ΟΔΟΣ:2,数据库:1,數據庫:1");
    /* filters use the key */
    ASSERT_EQ(count_matching(s, "ＤＡＴＡＢＡＳＥ"), 3);
    ASSERT_EQ(count_matching(s, "strasse"), 2);
    ASSERT_EQ(count_matching(s, "数据库"), 1);
    int64_t days[1];
    ASSERT_EQ(store_chart_links_per_day(s, 0, 1, "DataBase", days), STORE_OK);
    ASSERT_EQ(days[0], 3);
    /* rename to a spelling with the same key changes only how it is shown */
    store_tag_t out;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_tag_rename(s, "DATABASE", "database", &out), STORE_OK);
    ASSERT_STR_EQ(out.name, "database");
    ASSERT_EQ(out.count, 3);
    /* merge by any spelling; the target keeps its own */
    const char *from[] = {"ΟΔΟΣ"};
    ASSERT_EQ(store_tag_merge(s, from, 1, "ＳＴＲＡＳＳＥ", &out), STORE_OK);
    ASSERT_STR_EQ(out.name, "Straße");
    ASSERT_EQ(out.count, 4);
    /* imports match by the same key */
    const char *it[] = {"ＤＡＴＡＢＡＳＥ", "ｓｔｒａｓｓｅ"};
    int created = 0;
    char err[256];
    ASSERT_EQ(store_import_entry(s, "https://i.example/", it, 2, NULL, NULL, 0, 0, 2000, &created,
                                 err, sizeof err), STORE_OK);
    ASSERT_EQ(created, 1);
    ASSERT_EQ(count_matching(s, "database"), 4);
    ASSERT_EQ(count_matching(s, "Straße"), 5);
    const char *one[] = {"ＤＡＴＡＢＡＳＥ"};
    ASSERT_EQ(store_link_tag(s, 1, NULL, 0, one, 1, 3000), STORE_OK);   /* untag by any spelling */
    ASSERT_EQ(store_tag_delete(s, "DATABASE", &out), STORE_OK);
    ASSERT_EQ(out.count, 3);
    ASSERT_EQ(store_commit(s), STORE_OK);
    tag_summary(s, sum, sizeof sum);
    ASSERT_STR_EQ(sum, "Straße:5,数据库:1,數據庫:1");
    /* a tag whose key does not fit the id cache still works */
    char longtag[64 * 3 + 1] = "";
    for (int i = 0; i < 64; i++)
        strcat(longtag, "\xef\xb7\xba");
    const char *lt[] = {longtag};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_GT(add(s, "https://e.example/", lt, 1), 0);
    ASSERT_GT(add(s, "https://f.example/", lt, 1), 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(count_matching(s, longtag), 2);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

static int load_sql(const char *path, const char *sql_file)
{
    FILE *f = fopen(sql_file, "r");
    if (!f)
        return -1;
    static char sql[65536];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    sqlite3 *db;
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  %s: %s\n", sql_file, msg);
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* the tags of the link at url, comma-joined in the store's order (by key) */
static void link_tags(store_t *s, const char *url, char *out, size_t cap)
{
    int64_t id;
    store_link_t *l;
    out[0] = '\0';
    if (store_link_find(s, NULL, url, &id) != STORE_OK || store_link_get(s, id, &l) != STORE_OK)
        return;
    size_t w = 0;
    for (size_t i = 0; i < l->ntags && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? "," : "", l->tags[i]);
    store_link_free(l);
}

TEST(migration_v4_merges_tags)
{
    const char *path = tmp_path("v4.db");
    ASSERT_EQ(load_sql(path, "data/v4_tags.sql"), 0);
    store_t *s;
    char err[512], got[1024];
    ASSERT_EQ(store_open_at_version(path, STORE_OPEN_READONLY, 4, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_schema_version(s), 4);
    store_close(s);
    /* before: two tags for one word (read with SQL: today's link reader wants today's
     * columns) */
    sqlite3 *db;
    sqlite3_stmt *st;
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM (SELECT t.name FROM "
                                 "links l JOIN link_tags x ON x.link_id = l.id JOIN tags t ON "
                                 "t.id = x.tag_id WHERE l.url = 'https://example.com/c' ORDER BY "
                                 "t.key)", -1, &st, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    ASSERT_STR_EQ(got, "database,ΟΔΟΣ,Ｄａｔａｂａｓｅ");

    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_schema_version(s), store_latest_version());   /* 5, and 6 after it */
    size_t n;
    const store_tag_merged_t *m = store_open_merged(s, &n);
    static const struct { const char *from, *into; int64_t links; } want[] = {
        {"database", "Ｄａｔａｂａｓｅ", 3}, {"STRASSE", "Straße", 1}, {"οδος", "ΟΔΟΣ", 1},
        {"file", "ﬁle", 1}, {"平成", "㍻", 1}, {"rust lang", "Ｒｕｓｔ Ｌａｎｇ", 1},
    };
    ASSERT_EQ(n, LS_TEST_LEN(want));
    for (size_t i = 0; i < n; i++) {
        ASSERT_STR_EQ(m[i].from, want[i].from);
        ASSERT_STR_EQ(m[i].into, want[i].into);
        ASSERT_EQ(m[i].links, want[i].links);
    }
    /* every link keeps its tags, now one per word */
    static const struct { const char *url, *tags; } links[] = {
        {"https://例子.测试/路径", "Ｄａｔａｂａｓｅ,数据库"},
        {"https://example.com/a", "Ｄａｔａｂａｓｅ,Straße"},
        {"https://example.com/b", "Ｄａｔａｂａｓｅ,Straße,數據庫"},
        {"https://example.com/c", "Ｄａｔａｂａｓｅ,ΟΔΟΣ"},
        {"https://example.com/d", "ﬁle,Rust,ΟΔΟΣ"},
        {"https://example.com/e", "ﬁle,İstanbul,Rust"},
        {"https://example.com/f", "istanbul,㍻"},
        {"https://example.com/g", "Ｒｕｓｔ Ｌａｎｇ"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(links); i++) {
        link_tags(s, links[i].url, got, sizeof got);
        ASSERT_MSG(!strcmp(got, links[i].tags), "%s: want %s, got %s", links[i].url, links[i].tags, got);
    }
    tag_summary(s, got, sizeof got);
    ASSERT_STR_EQ(got, "Ｄａｔａｂａｓｅ:4,Rust:2,Straße:2,ΟΔΟΣ:2,ﬁle:2,istanbul:1,İstanbul:1,"
                       "㍻:1,数据库:1,數據庫:1,Ｒｕｓｔ Ｌａｎｇ:1");
    /* new writes find the merged tags by any spelling */
    const char *t[] = {"DATABASE", "heisei"};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_GT(add(s, "https://example.com/h", t, 2), 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(count_matching(s, "database"), 5);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);

    /* opening again migrates nothing and reports nothing */
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    store_open_merged(s, &n);
    ASSERT_EQ(n, 0);
    store_close(s);
    return 0;
}

/* "\xFF" in the table stands for that byte */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] == 'x' && r[2] && r[3]) {
            char hex[3] = {r[2], r[3], 0};
            *w++ = (char)strtol(hex, NULL, 16);
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static int utf8_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int k = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!k)
            return 0;
        for (int i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += k;
    }
    return 1;
}

TEST(display_table)
{
    FILE *f = fopen("display_cases.txt", "r");
    ASSERT_MSG(f != NULL, "display_cases.txt not found (run from tests/store)");
    char line[4096];
    int n = 0, lineno = 0, failures = 0;
    /* twice: the second pass takes every label's decision from the cache */
    for (int pass = 0; pass < 2; pass++, lineno = 0, rewind(f))
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *tab = strrchr(line, '\t');
        ASSERT_MSG(tab != NULL, "display_cases.txt:%d: no tab", lineno);
        *tab = '\0';
        unescape(line);
        char *got = NULL;
        int rc = store_display_url(line, &got);
        if (rc || strcmp(got, tab + 1) || !utf8_ok(got)) {
            fprintf(stderr, "  display_cases.txt:%d: '%s': want %s, got rc %d %s\n", lineno, line,
                    tab + 1, rc, got ? got : "(null)");
            failures++;
        }
        free(got);
        n++;
    }
    fclose(f);
    ASSERT_GE(n, 80);
    ASSERT_EQ(failures, 0);
    /* not a URL at all: shown as it is, with the same rules for escapes */
    char *got;
    ASSERT_EQ(store_display_url("", &got), STORE_OK);
    ASSERT_STR_EQ(got, "");
    free(got);
    ASSERT_EQ(store_display_url("no scheme %E4%B8%AD", &got), STORE_OK);
    ASSERT_STR_EQ(got, "no scheme 中");
    free(got);
    return 0;
}

/* What the normaliser stores, the display gives back as typed (the README's 例子.测试 example). */
TEST(display_round_trip)
{
    static const struct { const char *typed, *shown; } v[] = {
        {"https://例子.测试/路径", "https://例子.测试/路径"},
        {"https://BÜCHER.example/straße?q=中文#章节", "https://bücher.example/straße?q=中文"},
        {"https://example.com/a b", "https://example.com/a%20b"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(v); i++) {
        char *stored = NULL, *shown = NULL, err[256];
        ASSERT_EQ(store_normalize_url(NULL, v[i].typed, &stored, err, sizeof err), STORE_OK);
        ASSERT_EQ(store_display_url(stored, &shown), STORE_OK);
        ASSERT_MSG(!strcmp(shown, v[i].shown), "%s: stored %s, shown %s", v[i].typed, stored, shown);
        free(stored);
        free(shown);
    }
    return 0;
}

static size_t count_q(store_t *s, const char *q)
{
    store_filter_t f = {.q = q};
    store_link_t **v;
    size_t n = 0;
    int64_t next;
    if (store_link_list(s, &f, 100, 0, &v, &n, &next) != STORE_OK)
        return (size_t)-1;
    store_link_list_free(v, n);
    return n;
}

/* link.list's q matches the address as people read it as well as the stored one */
TEST(search_matches_display_form)
{
    store_t *s = open_fresh("search.db");
    ASSERT(s != NULL);
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_GT(add(s, "https://例子.测试/路径", NULL, 0), 0);
    ASSERT_GT(add(s, "https://bücher.example/straße", NULL, 0), 0);
    ASSERT_GT(add(s, "https://example.com/plain", NULL, 0), 0);
    ASSERT_GT(add(s, "https://xn--pypal-4ve.com/", NULL, 0), 0);   /* shown as punycode */
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(count_q(s, "例子"), 1);
    ASSERT_EQ(count_q(s, "测试/路"), 1);       /* across host and path */
    ASSERT_EQ(count_q(s, "路径"), 1);
    ASSERT_EQ(count_q(s, "bücher"), 1);
    ASSERT_EQ(count_q(s, "straße"), 1);
    ASSERT_EQ(count_q(s, "xn--fsqu00a"), 1);  /* the stored form still matches */
    ASSERT_EQ(count_q(s, "%E8%B7%AF"), 1);
    ASSERT_EQ(count_q(s, "example"), 2);
    ASSERT_EQ(count_q(s, "pаypal"), 0);       /* a homograph is not shown, so not found by it */
    ASSERT_EQ(count_q(s, "数据"), 0);
    store_close(s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(tag_key_table),
    TEST_ENTRY(tag_key_growth),
    TEST_ENTRY(one_tag_for_what_reads_as_one),
    TEST_ENTRY(migration_v4_merges_tags),
    TEST_ENTRY(display_table),
    TEST_ENTRY(display_round_trip),
    TEST_ENTRY(search_matches_display_form),
    TEST_END,
};
STORE_TEST_MAIN()
