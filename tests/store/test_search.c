/* test_search.c -- page text and full-text search against a real SQLite file: the
 * tokenizer's folding and CJK substrings, the matcher's rules (every word, last word a
 * prefix, query syntax inert, addresses still found by substring, tag filters), the
 * newest good capture being the one indexed (a later 404 keeps the words), deletion,
 * re-capture and rebuild keeping the index in step (FTS5 integrity-check), a transaction's
 * pages indexed together at its commit (the vocabulary's known terms forgotten when
 * text_terms loses rows), the sorts and
 * their cursors, and the snippet's segments. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "test.h"
#include "store_test.h"

static int64_t add(store_t *s, const char *url, const char *title, const char *tag)
{
    const char *tags[] = {tag};
    store_link_add_t in = {.url = url, .title = title, .tags = tags, .ntags = tag ? 1 : 0,
                           .now_ms = 1000};
    int64_t id = 0;
    int c;
    if (store_link_add(s, &in, &id, &c) != STORE_OK) {
        fprintf(stderr, "  add %s: %s\n", url, store_errmsg(s));
        return -1;
    }
    return id;
}

/* One capture of a link that ends in state/status (a partial of kind `kind`) with the text
 * (NULL = none). */
static int capture_kind(store_t *s, int64_t link, const char *state, store_partial_t kind,
                        int status, int blank, const char *error, const char *text, int64_t now)
{
    int64_t job;
    int created;
    if (store_job_request(s, link, now, &job, &created) != STORE_OK)
        return -1;
    store_job_t **v = NULL;
    size_t n = 0;
    if (store_job_claim(s, now, 100, &v, &n) != STORE_OK)
        return -1;
    store_job_list_free(v, n);
    store_page_text_t pt = {.title = "t", .text = text, .blocks_json = "[]"};
    store_job_result_t r = {.job_id = job, .state = state, .http_status = status, .blank = blank,
                            .error = error, .now_ms = now, .text = text ? &pt : NULL,
                            .partial_kind = kind};
    int rc = store_job_finish(s, &r);
    if (rc)
        fprintf(stderr, "  finish: %s\n", store_errmsg(s));
    return rc;
}

static int capture(store_t *s, int64_t link, const char *state, int status, int blank,
                   const char *error, const char *text, int64_t now)
{
    return capture_kind(s, link, state, STORE_PARTIAL_NONE, status, blank, error, text, now);
}

static int64_t add_text(store_t *s, const char *url, const char *text)
{
    static int64_t now = 2000;
    int64_t id = add(s, url, NULL, NULL);
    if (id < 0 || capture(s, id, "ok", 200, 0, NULL, text, now++) != 0)
        return -1;
    return id;
}

/* The ids q finds (relevance order), as "3,1"; "ERR" on a failure. */
static const char *find_f(store_t *s, store_filter_t *f, store_sort_t sort)
{
    static char out[512];
    store_link_t **v = NULL;
    size_t n = 0;
    char *next = NULL;
    if (store_link_search(s, f, sort, 500, NULL, &v, NULL, &n, &next) != STORE_OK) {
        fprintf(stderr, "  search: %s\n", store_errmsg(s));
        return "ERR";
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%lld", i ? "," : "",
                 (long long)v[i]->id);
    store_link_list_free(v, n);
    free(next);
    return out;
}

/* The ids in id order (the relevance order is tested on its own). */
static const char *find(store_t *s, const char *q)
{
    store_filter_t f = {.q = q};
    return find_f(s, &f, STORE_SORT_ADDED);
}

static int index_ok(store_t *s)
{
    int rc = store_integrity_check(s);
    if (rc)
        fprintf(stderr, "  integrity: %s\n", store_errmsg(s));
    return rc == STORE_OK;
}

TEST(cjk_substrings)
{
    store_t *s = open_fresh("cjk.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://a.test/1", "神经网络是一种模型。"), 1);
    ASSERT_EQ(add_text(s, "https://a.test/2", "关于网络安全的文章"), 2);
    ASSERT_EQ(add_text(s, "https://a.test/3", "我的猫很可爱"), 3);
    ASSERT_EQ(add_text(s, "https://a.test/4", "日本語のテキストです"), 4);
    ASSERT_EQ(add_text(s, "https://a.test/5", "한국어 텍스트 검색"), 5);
    ASSERT_EQ(add_text(s, "https://a.test/6", "猫"), 6);
    ASSERT_STR_EQ(find(s, "网络"), "2,1");
    ASSERT_STR_EQ(find(s, "神经网络"), "1");
    ASSERT_STR_EQ(find(s, "经网"), "1");
    ASSERT_STR_EQ(find(s, "猫"), "6,3");        /* one character, inside a run and alone */
    ASSERT_STR_EQ(find(s, "爱"), "3");          /* the last character of a run */
    ASSERT_STR_EQ(find(s, "的猫很"), "3");      /* three characters */
    ASSERT_STR_EQ(find(s, "猫很"), "3");
    ASSERT_STR_EQ(find(s, "网络神经"), "");      /* both bigrams exist, not in this order */
    ASSERT_STR_EQ(find(s, "テキスト"), "4");
    ASSERT_STR_EQ(find(s, "キス"), "4");
    ASSERT_STR_EQ(find(s, "텍스"), "5");
    ASSERT_STR_EQ(find(s, "검"), "5");
    ASSERT_STR_EQ(find(s, "文章 安全"), "2");   /* two words, any order */
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

TEST(folding_case_width_accents)
{
    store_t *s = open_fresh("fold.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://b.test/1", "Crème Brûlée at the CAFÉ"), 1);
    ASSERT_EQ(add_text(s, "https://b.test/2", "Ελληνικά κείμενα"), 2);
    ASSERT_EQ(add_text(s, "https://b.test/3", "Ёлка и Россия"), 3);
    ASSERT_EQ(add_text(s, "https://b.test/4", "ＦＵＬＬＷＩＤＴＨ letters and Straße"), 4);
    ASSERT_STR_EQ(find(s, "creme brulee"), "1");
    ASSERT_STR_EQ(find(s, "café"), "1");
    ASSERT_STR_EQ(find(s, "CAFE"), "1");
    ASSERT_STR_EQ(find(s, "ΕΛΛΗΝΙΚΆ"), "2");
    ASSERT_STR_EQ(find(s, "ελληνικα"), "2");
    ASSERT_STR_EQ(find(s, "елка"), "3");
    ASSERT_STR_EQ(find(s, "РОССИЯ"), "3");
    ASSERT_STR_EQ(find(s, "fullwidth"), "4");
    ASSERT_STR_EQ(find(s, "ｆｕｌｌ"), "4");       /* full-width query, prefix of the last word */
    ASSERT_STR_EQ(find(s, "strasse"), "4");
    store_close(s);
    return 0;
}

TEST(kana_voicing_is_kept)
{
    store_t *s = open_fresh("kana.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://c.test/1", "がっこう"), 1);
    ASSERT_EQ(add_text(s, "https://c.test/2", "かっこう"), 2);
    ASSERT_EQ(add_text(s, "https://c.test/3", "ｶﾞｯｺｳ"), 3);   /* half-width, voiced */
    ASSERT_STR_EQ(find(s, "が"), "1");
    ASSERT_STR_EQ(find(s, "か"), "2");
    ASSERT_STR_EQ(find(s, "がっ"), "1");
    ASSERT_STR_EQ(find(s, "ガッコウ"), "3");
    ASSERT_STR_EQ(find(s, "カッコウ"), "");
    store_close(s);
    return 0;
}

TEST(words_anywhere_last_is_prefix)
{
    store_t *s = open_fresh("words.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://d.test/1", "First paragraph about zebras.\n\n"
                                              "A second paragraph mentions quantum things."), 1);
    ASSERT_EQ(add_text(s, "https://d.test/2", "Only zebras here."), 2);
    ASSERT_STR_EQ(find(s, "quantum zebras"), "1");
    ASSERT_STR_EQ(find(s, "zebras quantum"), "1");
    ASSERT_STR_EQ(find(s, "quantum zebr"), "1");   /* the last word while typing */
    ASSERT_STR_EQ(find(s, "zebr quantum"), "");    /* an earlier word is whole */
    ASSERT_STR_EQ(find(s, "zebras"), "2,1");
    ASSERT_STR_EQ(find(s, "giraffe zebras"), "");
    store_close(s);
    return 0;
}

TEST(addresses_still_found_by_substring)
{
    store_t *s = open_fresh("addr.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add(s, "https://example.com/some-article-path", "A Title Here", NULL), 1);
    ASSERT_EQ(add(s, "https://xn--fsqu00a.xn--0zwm56d/路径", NULL, NULL), 2);
    ASSERT_EQ(add_text(s, "https://other.test/", "nothing of that"), 3);
    ASSERT_STR_EQ(find(s, "ample.com/some"), "1");
    ASSERT_STR_EQ(find(s, "rticle-pa"), "1");
    ASSERT_STR_EQ(find(s, "tle he"), "1");        /* title, across a space, any case */
    ASSERT_STR_EQ(find(s, "ar"), "1");            /* two characters: the scan */
    ASSERT_STR_EQ(find(s, "例子"), "2");           /* the address as people read it */
    ASSERT_STR_EQ(find(s, "路径"), "2");
    /* an address change moves its trigrams */
    ASSERT_EQ(store_link_update(s, 1, 1, "Renamed", 0, NULL, 5000), STORE_OK);
    ASSERT_STR_EQ(find(s, "tle he"), "");
    ASSERT_STR_EQ(find(s, "renamed"), "1");
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

TEST(query_syntax_is_inert)
{
    store_t *s = open_fresh("syntax.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://e.test/1", "zebras or lions near the water"), 1);
    const char *qs[] = {"\"zebras", "zebras\"", "NEAR(zebras lions)", "zebras OR giraffes",
                        "-zebras", "*", "zeb*", "\x01\x02zebras\x7f", "(", "\"\"", "^zebras",
                        "zebras AND", "col:zebras", "{text}: zebras", "''", "\\"};
    for (size_t i = 0; i < LS_TEST_LEN(qs); i++)
        ASSERT_MSG(strcmp(find(s, qs[i]), "ERR") != 0, "q %s failed", qs[i]);
    ASSERT_STR_EQ(find(s, "zebras NEAR( lions"), "1");    /* near, zebras, lions: words */
    ASSERT_STR_EQ(find(s, "zebras OR giraffes"), "");     /* OR is a word; giraffes is not there */
    ASSERT_STR_EQ(find(s, "-zebras"), "1");
    ASSERT_STR_EQ(find(s, "zeb*"), "1");
    ASSERT_STR_EQ(find(s, "\"zebras"), "1");
    /* over 1,000 characters is refused; 1,000 is not */
    char big[4 * 1001 + 1];
    size_t w = 0;
    for (int i = 0; i < 1001; i++)
        w += (size_t)sprintf(big + w, "猫");
    store_filter_t f = {.q = big};
    store_link_t **v;
    size_t n;
    char *next;
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_DEFAULT, 10, NULL, &v, NULL, &n, &next), STORE_EINVAL);
    big[w - 3] = '\0';
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_DEFAULT, 10, NULL, &v, NULL, &n, &next), STORE_OK);
    store_link_list_free(v, n);
    free(next);
    store_close(s);
    return 0;
}

TEST(tag_filters_honoured)
{
    store_t *s = open_fresh("tags.db");
    ASSERT_NOT_NULL(s);
    int64_t a = add_text(s, "https://f.test/1", "zebras in the park");
    int64_t b = add_text(s, "https://f.test/2", "zebras in the zoo");
    ASSERT(a > 0 && b > 0);
    const char *keep[] = {"keep"};
    ASSERT_EQ(store_link_tag(s, a, keep, 1, NULL, 0, 3000), STORE_OK);
    store_filter_t f = {.q = "zebras", .all = keep, .nall = 1};
    ASSERT_STR_EQ(find_f(s, &f, STORE_SORT_DEFAULT), "1");
    store_filter_t g = {.q = "zebras", .none = keep, .nnone = 1};
    ASSERT_STR_EQ(find_f(s, &g, STORE_SORT_DEFAULT), "2");
    /* tag.apply's filter finds by text too */
    const char *zoo[] = {"zoo"};
    store_filter_t h = {.q = "zoo"};
    int64_t changed = 0;
    ASSERT_EQ(store_tag_apply(s, &h, zoo, 1, NULL, 0, 4000, &changed), STORE_OK);
    ASSERT_EQ(changed, 1);
    store_filter_t z = {.all = zoo, .nall = 1};
    ASSERT_STR_EQ(find_f(s, &z, STORE_SORT_ADDED), "2");
    /* and link.list's old entry point with q */
    store_link_t **v;
    size_t n;
    int64_t next;
    store_filter_t q = {.q = "park"};
    ASSERT_EQ(store_link_list(s, &q, 10, 0, &v, &n, &next), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->id, a);
    store_link_list_free(v, n);
    store_close(s);
    return 0;
}

TEST(newest_good_capture_is_indexed)
{
    store_t *s = open_fresh("good.db");
    ASSERT_NOT_NULL(s);
    int64_t a = add_text(s, "https://g.test/1", "gamma words were here");
    ASSERT(a > 0);
    /* a later 404, a blank page, a bot wall and a failed partial: the words stay */
    ASSERT_EQ(capture(s, a, "ok", 404, 0, NULL, "not found page", 5000), 0);
    ASSERT_EQ(capture(s, a, "ok", 200, 1, NULL, "blankword", 5001), 0);
    ASSERT_EQ(capture(s, a, "blocked", 403, 0, "a bot wall", "checking your browser", 5002), 0);
    /* the kind decides, not the wording: this reason reads like the quiet one alone */
    ASSERT_EQ(capture_kind(s, a, "partial", STORE_PARTIAL_OTHER, 200, 0, "the network was not "
                           "quiet after the load event (3 requests in flight)", "partialword",
                           5003), 0);
    ASSERT_STR_EQ(find(s, "gamma"), "1");
    ASSERT_STR_EQ(find(s, "page"), "");
    ASSERT_STR_EQ(find(s, "blankword"), "");
    ASSERT_STR_EQ(find(s, "checking"), "");
    ASSERT_STR_EQ(find(s, "partialword"), "");
    /* a partial whose one reason is the network: good, and newer */
    ASSERT_EQ(capture_kind(s, a, "partial", STORE_PARTIAL_NOT_QUIET, 200, 0, "requests in flight",
                           "delta words", 5004), 0);
    ASSERT_STR_EQ(find(s, "gamma"), "");
    ASSERT_STR_EQ(find(s, "delta"), "1");
    /* a capture without text changes nothing */
    ASSERT_EQ(capture(s, a, "ok", 200, 0, NULL, NULL, 5005), 0);
    ASSERT_STR_EQ(find(s, "delta"), "1");
    ASSERT(index_ok(s));
    /* every text is kept; the indexed one says so */
    store_snapshot_t **snaps;
    size_t n;
    ASSERT_EQ(store_snapshot_list(s, a, 100, &snaps, &n), STORE_OK);
    ASSERT_EQ(n, 7);
    store_text_t *t = NULL;
    ASSERT_EQ(store_text_get(s, snaps[1]->id, &t), STORE_OK);   /* the 5004 capture */
    ASSERT_STR_EQ(t->text, "delta words");
    ASSERT_EQ(t->indexed, 1);
    store_text_free(t);
    ASSERT_EQ(store_text_get(s, snaps[2]->id, &t), STORE_OK);
    ASSERT_STR_EQ(t->text, "partialword");
    ASSERT_EQ(t->indexed, 0);
    store_text_free(t);
    ASSERT_EQ(store_text_get(s, snaps[0]->id, &t), STORE_ENOTFOUND);   /* no text */
    store_snapshot_list_free(snaps, n);
    store_close(s);
    return 0;
}

TEST(good_capture_rule)
{
    ASSERT(store_capture_good("ok", 200, 0, STORE_PARTIAL_NONE));
    ASSERT(store_capture_good("ok", 399, 0, STORE_PARTIAL_NONE));
    ASSERT(!store_capture_good("ok", 400, 0, STORE_PARTIAL_NONE));
    ASSERT(!store_capture_good("ok", 0, 0, STORE_PARTIAL_NONE));
    ASSERT(!store_capture_good("ok", 200, 1, STORE_PARTIAL_NONE));
    ASSERT(!store_capture_good("failed", 200, 0, STORE_PARTIAL_NONE));
    ASSERT(!store_capture_good("blocked", 200, 0, STORE_PARTIAL_NOT_QUIET));
    ASSERT(store_capture_good("partial", 200, 0, STORE_PARTIAL_NOT_QUIET));
    ASSERT(!store_capture_good("partial", 404, 0, STORE_PARTIAL_NOT_QUIET));
    ASSERT(!store_capture_good("partial", 200, 1, STORE_PARTIAL_NOT_QUIET));
    ASSERT(!store_capture_good("partial", 200, 0, STORE_PARTIAL_OTHER));
    ASSERT(!store_capture_good("partial", 200, 0, STORE_PARTIAL_NONE));
    return 0;
}

/* A database of schema 8 (partials told apart by their wording) opened by this binary:
 * migration 9 gives each old partial its kind once, the snapshot rows say it, and the
 * index rebuilt from the rows follows the kinds. */
TEST(partial_kind_migrated_from_the_reason)
{
    const char *path;
    sqlite3 *db = open_old("v8.db", 8, &path);
    ASSERT_NOT_NULL(db);
    static const char old[] =
        "INSERT INTO links(id, url, created_at, updated_at) VALUES (1, 'https://m.test/1', 1, 1),"
        " (2, 'https://m.test/2', 1, 1);"
        "INSERT INTO snapshots(id, link_id, state, http_status, error, created_at) VALUES"
        " (1, 1, 'ok', 200, NULL, 1),"
        " (2, 1, 'partial', 200, 'the network was not quiet after the load event (2 requests in"
        " flight)', 2),"
        " (3, 2, 'ok', 200, NULL, 3),"
        " (4, 2, 'partial', 200, 'the network was not quiet after the load event (1 requests in"
        " flight); web fonts were still loading', 4),"
        " (5, 2, 'partial', 200, 'web fonts were still loading', 5),"
        " (6, 2, 'partial', 200, NULL, 6),"
        " (7, 2, 'failed', 0, 'the network was not quiet after the load event', 7);"
        "INSERT INTO page_texts(snapshot_id, link_id, text) VALUES (1, 1, 'older words'),"
        " (2, 1, 'newer words'), (3, 2, 'first words'), (4, 2, 'fontword'), (5, 2, 'fontword'),"
        " (6, 2, 'fontword');";
    ASSERT_EQ(sqlite3_exec(db, old, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_schema_version(s), store_latest_version());
    static const store_partial_t want[] = {STORE_PARTIAL_NONE, STORE_PARTIAL_NOT_QUIET,
                                           STORE_PARTIAL_NONE, STORE_PARTIAL_OTHER,
                                           STORE_PARTIAL_OTHER, STORE_PARTIAL_OTHER,
                                           STORE_PARTIAL_NONE};
    static const int good[] = {1, 1, 1, 0, 0, 0, 0};
    for (int i = 0; i < 7; i++) {
        store_snapshot_t *x = NULL;
        ASSERT_EQ(store_snapshot_get(s, i + 1, &x), STORE_OK);
        ASSERT_EQ(x->partial_kind, want[i]);
        ASSERT_EQ(store_snapshot_good(x), good[i]);
        store_snapshot_free(x);
    }
    int64_t total = 0, next = 0, done = 0;
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    ASSERT_EQ(store_text_reindex_step(s, 0, 10, &next, &done), STORE_OK);
    ASSERT_EQ(done, 2);
    ASSERT_STR_EQ(find(s, "newer"), "1");    /* the quiet-only partial is link 1's newest good */
    ASSERT_STR_EQ(find(s, "older"), "");
    ASSERT_STR_EQ(find(s, "first"), "2");    /* the other partials are not good */
    ASSERT_STR_EQ(find(s, "fontword"), "");
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

TEST(delete_and_recapture_keep_index_in_step)
{
    store_t *s = open_fresh("delete.db");
    ASSERT_NOT_NULL(s);
    int64_t a = add_text(s, "https://h.test/1", "alpha words");
    int64_t b = add_text(s, "https://h.test/2", "alpha again");
    ASSERT(a > 0 && b > 0);
    ASSERT_EQ(capture(s, a, "ok", 200, 0, NULL, "beta words", 6000), 0);
    ASSERT_STR_EQ(find(s, "alpha"), "2");
    ASSERT_STR_EQ(find(s, "beta"), "1");
    ASSERT_STR_EQ(find(s, "words"), "1");
    ASSERT_EQ(store_link_delete(s, a), STORE_OK);
    ASSERT_STR_EQ(find(s, "beta"), "");
    ASSERT_STR_EQ(find(s, "words"), "");
    ASSERT(index_ok(s));
    ASSERT_EQ(store_link_delete(s, b), STORE_OK);
    ASSERT_STR_EQ(find(s, "alpha"), "");
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

TEST(reindex_rebuilds_the_same_index)
{
    store_t *s = open_fresh("reindex.db");
    ASSERT_NOT_NULL(s);
    for (int i = 0; i < 25; i++) {
        char url[64], text[64];
        snprintf(url, sizeof url, "https://r.test/%d", i);
        snprintf(text, sizeof text, "word%d common 猫%d", i % 5, i);
        ASSERT(add_text(s, url, text) > 0);
    }
    int64_t a = add(s, "https://r.test/404", NULL, NULL);
    ASSERT_EQ(capture(s, a, "ok", 404, 0, NULL, "common", 9000), 0);
    char before[512];
    snprintf(before, sizeof before, "%s", find(s, "common"));
    int64_t total = 0, done = 0, next = 0, after = 0;
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    ASSERT_EQ(total, 26);
    ASSERT_STR_EQ(find(s, "common"), "");        /* empty until the steps run */
    int steps = 0;
    do {
        ASSERT_EQ(store_text_reindex_step(s, after, 7, &next, &done), STORE_OK);
        after = next;
        steps++;
    } while (next);
    ASSERT_EQ(steps, 4);
    ASSERT_EQ(done, 26);
    ASSERT_STR_EQ(find(s, "common"), before);
    ASSERT_STR_EQ(find(s, "word3"), "24,19,14,9,4");
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

/* One integer from SQL on the file at path, read with plain SQLite; -1 on a failure. */
static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The vocabulary as one string, to compare. */
static int vocab_of(const char *path, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(db, "SELECT group_concat(term, ' ') FROM (SELECT term FROM "
                                "text_terms ORDER BY term)", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        snprintf(out, cap, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* Pages saved in a transaction go into the index at its commit, together, as the writer
 * runs its calls: each in a savepoint, one of them rolled back. FTS5 then writes one
 * segment for the batch (a segment a page before: 10, FTS5 writing out its pending terms
 * at each statement with a statement journal and each SAVEPOINT), the rolled-back page's
 * words are neither found nor in the vocabulary, and a reindex gives the same
 * vocabulary and finds. */
TEST(batch_indexed_together_at_commit)
{
    char path[512];
    store_t *s = open_fresh_at("batch.db", path, sizeof path);
    ASSERT_NOT_NULL(s);
    int64_t ids[11];
    for (int i = 0; i < 11; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://b.test/%d", i);
        ASSERT((ids[i] = add(s, url, NULL, NULL)) > 0);
    }
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 0; i < 11; i++) {
        char text[128];
        snprintf(text, sizeof text, i == 3 ? "batchword rolledbackonly" : "batchword page%d 猫%d", i, i);
        ASSERT_EQ(store_savepoint(s, "call"), STORE_OK);
        ASSERT_EQ(capture(s, ids[i], "ok", 200, 0, NULL, text, 3000 + i), 0);
        if (i == 3)
            ASSERT_EQ(store_rollback_to(s, "call"), STORE_OK);
        ASSERT_EQ(store_release(s, "call"), STORE_OK);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(sql_int(path, "SELECT count(DISTINCT id >> 37) FROM text_fts_data WHERE id > 10"), 1);
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_indexed"), 10);
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_terms WHERE term = 'rolledbackonly'"), 0);
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_terms WHERE term = 'page10'"), 1);
    ASSERT_STR_EQ(find(s, "rolledbackonly"), "");
    ASSERT_STR_EQ(find(s, "page1"), "11,2");   /* page1 and page10: the last word a prefix */
    ASSERT_STR_EQ(find(s, "batchword 猫7"), "8");
    char all[256];
    snprintf(all, sizeof all, "%s", find(s, "batchword"));
    ASSERT_STR_EQ(all, "11,10,9,8,7,6,5,3,2,1");
    ASSERT(index_ok(s));
    char vocab[4096], again[4096];
    ASSERT(vocab_of(path, vocab, sizeof vocab));
    int64_t total = 0, done = 0, next = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    ASSERT_EQ(store_text_reindex_step(s, 0, 100, &next, &done), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(done, 10);
    ASSERT(vocab_of(path, again, sizeof again));
    ASSERT_STR_EQ(again, vocab);
    ASSERT_STR_EQ(find(s, "batchword"), all);
    ASSERT(index_ok(s));
    /* a transaction rolled back leaves nothing to index at the next commit */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(capture(s, ids[3], "ok", 200, 0, NULL, "rolledbackonly", 5000), 0);
    ASSERT_EQ(store_rollback(s), STORE_OK);
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_STR_EQ(find(s, "rolledbackonly"), "");
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

/* text_terms' rows skipped as known are there: the connection forgets what it knew when
 * a rollback (whole or to a savepoint) takes rows back, and when another connection has
 * committed (here it empties text_terms). A last word finds through text_terms'
 * completions, so a missing term is a page not found. */
TEST(known_terms_forgotten_when_text_terms_loses_them)
{
    char path[512];
    store_t *s = open_fresh_at("known.db", path, sizeof path);
    ASSERT_NOT_NULL(s);
    int64_t a = add(s, "https://k.test/a", NULL, NULL), b = add(s, "https://k.test/b", NULL, NULL);
    int64_t c = add(s, "https://k.test/c", NULL, NULL), d = add(s, "https://k.test/d", NULL, NULL);
    ASSERT(a > 0 && b > 0 && c > 0 && d > 0);
    int64_t total, next, done = 0;
    /* a rollback: the reindex noted novelterm, then it went again */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(capture(s, a, "ok", 200, 0, NULL, "novelterm", 3000), 0);
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    ASSERT_EQ(store_text_reindex_step(s, 0, 10, &next, &done), STORE_OK);
    ASSERT_EQ(store_rollback(s), STORE_OK);
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_terms WHERE term = 'novelterm'"), 0);
    ASSERT_EQ(capture(s, b, "ok", 200, 0, NULL, "novelterm", 3001), 0);
    ASSERT_STR_EQ(find(s, "novelt"), "2");
    /* a rollback to a savepoint, the same */
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(capture(s, a, "ok", 200, 0, NULL, "otherterm", 3002), 0);
    ASSERT_EQ(store_savepoint(s, "call"), STORE_OK);
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    ASSERT_EQ(store_text_reindex_step(s, 0, 10, &next, &done), STORE_OK);
    ASSERT_EQ(store_rollback_to(s, "call"), STORE_OK);
    ASSERT_EQ(store_release(s, "call"), STORE_OK);
    ASSERT_EQ(store_link_delete(s, a), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_terms WHERE term = 'otherterm'"), 0);
    ASSERT_EQ(capture(s, c, "ok", 200, 0, NULL, "otherterm", 3003), 0);
    ASSERT_STR_EQ(find(s, "othert"), "3");
    /* another connection empties text_terms */
    ASSERT_EQ(sql_int(path, "SELECT count(*) FROM text_terms WHERE term = 'novelterm'"), 1);
    sqlite3 *db = NULL;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM text_terms", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_EQ(capture(s, d, "ok", 200, 0, NULL, "novelterm otherterm", 3004), 0);
    ASSERT_STR_EQ(find(s, "novelt"), "4,2");
    ASSERT_STR_EQ(find(s, "othert"), "4,3");
    store_close(s);
    return 0;
}

/* Every id of a search, page by page (limit a page), as "a,b,..." into out. */
static int page(store_t *s, store_filter_t *f, store_sort_t sort, int limit, char *out, size_t cap)
{
    char *cursor = NULL;
    out[0] = '\0';
    do {
        store_link_t **v;
        size_t n;
        char *next = NULL;
        if (store_link_search(s, f, sort, limit, cursor, &v, NULL, &n, &next) != STORE_OK) {
            fprintf(stderr, "  page: %s\n", store_errmsg(s));
            free(cursor);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            snprintf(out + strlen(out), cap - strlen(out), "%s%lld", out[0] ? "," : "",
                     (long long)v[i]->id);
        store_link_list_free(v, n);
        free(cursor);
        cursor = next;
    } while (cursor);
    return 0;
}

TEST(sorts_page_stably)
{
    store_t *s = open_fresh("sort.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add(s, "https://www.zeta.test/a", "banana", NULL), 1);
    ASSERT_EQ(add(s, "https://alpha.test/b", "Apple", NULL), 2);
    ASSERT_EQ(add(s, "https://mid.test/c", NULL, NULL), 3);
    ASSERT_EQ(add(s, "https://alpha.test/d", "cherry", NULL), 4);
    ASSERT_EQ(add(s, "https://beta.test/e", "apple", NULL), 5);
    ASSERT_EQ(capture(s, 3, "ok", 200, 0, NULL, "x", 7000), 0);
    ASSERT_EQ(capture(s, 1, "ok", 200, 0, NULL, "x", 8000), 0);
    char out[256];
    store_filter_t f = {0};
    ASSERT_EQ(page(s, &f, STORE_SORT_DEFAULT, 2, out, sizeof out), 0);
    ASSERT_STR_EQ(out, "5,4,3,2,1");
    ASSERT_EQ(page(s, &f, STORE_SORT_TITLE, 2, out, sizeof out), 0);
    ASSERT_STR_EQ(out, "5,2,1,4,3");          /* apple (newer first), banana, cherry, none */
    ASSERT_EQ(page(s, &f, STORE_SORT_HOST, 2, out, sizeof out), 0);
    ASSERT_STR_EQ(out, "4,2,5,3,1");          /* alpha, beta, mid, zeta (www. aside) */
    ASSERT_EQ(page(s, &f, STORE_SORT_CAPTURED, 2, out, sizeof out), 0);
    ASSERT_STR_EQ(out, "1,3,5,4,2");          /* newest capture first, never captured last */
    /* relevance: a match in the address or title first, then by the text's score */
    ASSERT_EQ(add_text(s, "https://r.test/6", "apple apple apple apple pie"), 6);
    ASSERT_EQ(add_text(s, "https://r.test/7", "one apple among many other words of a long text"), 7);
    store_filter_t q = {.q = "apple"};
    ASSERT_EQ(page(s, &q, STORE_SORT_DEFAULT, 2, out, sizeof out), 0);
    ASSERT_STR_EQ(out, "5,2,6,7");
    /* a cursor of another sort is refused */
    store_link_t **v;
    size_t n;
    char *next;
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_TITLE, 2, "12", &v, NULL, &n, &next), STORE_EINVAL);
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_ADDED, 2, "t:0:0:1:x", &v, NULL, &n, &next), STORE_EINVAL);
    store_close(s);
    return 0;
}

TEST(many_text_hits_are_not_ranked)
{
    store_t *s = open_fresh("many.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT(add_text(s, "https://m.test/0", "often often often often often") > 0);
    for (int i = 1; i <= 2000; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://m.test/%d", i);
        ASSERT(add_text(s, url, i == 1000 ? "often" : "often and more words") > 0);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    /* 2,001 hits: newest first, not by score (the first link's five "often" would win) */
    store_filter_t f = {.q = "often"};
    store_link_t **v;
    size_t n;
    char *next;
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_RELEVANCE, 1, NULL, &v, NULL, &n, &next), STORE_OK);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(v[0]->id, 2001);
    store_link_list_free(v, n);
    free(next);
    /* 2,000 hits or fewer: by score */
    ASSERT_EQ(store_link_delete(s, 2001), STORE_OK);
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_RELEVANCE, 1, NULL, &v, NULL, &n, &next), STORE_OK);
    ASSERT_EQ(v[0]->id, 1);
    store_link_list_free(v, n);
    free(next);
    store_close(s);
    return 0;
}

TEST(snippet_segments)
{
    store_t *s = open_fresh("snippet.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_text(s, "https://s.test/1", "The <b>zebras</b> of the plain run fast.\x01\x02"), 1);
    ASSERT_EQ(add_text(s, "https://s.test/2", "这是一篇关于神经网络的文章"), 2);
    ASSERT_EQ(add(s, "https://zebras.test/", NULL, NULL), 3);
    store_filter_t f = {.q = "zebras"};
    store_link_t **v;
    store_match_t *m;
    size_t n;
    char *next;
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_ADDED, 10, NULL, &v, &m, &n, &next), STORE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(v[0]->id, 3);
    ASSERT_EQ(m[0].in_text, 0);                 /* matched by its address only */
    ASSERT_EQ(m[1].in_text, 1);
    int hits = 0;
    char joined[256] = "";
    for (size_t i = 0; i < m[1].nsnip; i++) {
        hits += m[1].snip[i].hit;
        if (m[1].snip[i].hit)
            ASSERT_STR_EQ(m[1].snip[i].text, "zebras");
        snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s", m[1].snip[i].text);
        ASSERT(!strchr(m[1].snip[i].text, '\x01') && !strchr(m[1].snip[i].text, '\x02'));
    }
    ASSERT_EQ(hits, 1);
    ASSERT_STR_EQ(joined, "The <b>zebras</b> of the plain run fast");
    store_link_list_free(v, n);
    store_match_free(m, n);
    store_filter_t g = {.q = "网络"};
    ASSERT_EQ(store_link_search(s, &g, STORE_SORT_ADDED, 10, NULL, &v, &m, &n, &next), STORE_OK);
    ASSERT_EQ(n, 1);
    joined[0] = '\0';
    for (size_t i = 0; i < m[0].nsnip; i++)
        if (m[0].snip[i].hit)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "[%s]", m[0].snip[i].text);
    ASSERT_STR_EQ(joined, "[网络]");
    store_link_list_free(v, n);
    store_match_free(m, n);
    store_close(s);
    return 0;
}

TEST(one_huge_word_and_invalid_utf8)
{
    store_t *s = open_fresh("huge.db");
    ASSERT_NOT_NULL(s);
    size_t len = 2 * 1024 * 1024;
    char *t = malloc(len + 32);
    ASSERT_NOT_NULL(t);
    memset(t, 'x', len);
    strcpy(t + len, " tail \xff\xfe end");
    ASSERT(add_text(s, "https://u.test/1", t) > 0);
    free(t);
    ASSERT_STR_EQ(find(s, "tail end"), "1");
    ASSERT_STR_EQ(find(s, "xxxxxxxx"), "1");   /* the cut word's start, as a prefix */
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

/* The MATCH expression for q, spelled with this store's vocabulary; "ERR" on failure. */
static const char *expr_of(store_t *s, const char *q)
{
    static char out[4096];
    char *e = NULL;
    if (store_fts_query(s, q, &e) != STORE_OK)
        return "ERR";
    snprintf(out, sizeof out, "%s", e ? e : "");
    free(e);
    return out;
}

static size_t count_ids(const char *list)
{
    if (!*list)
        return 0;
    size_t n = 1;
    for (; *list; list++)
        n += *list == ',';
    return n;
}

TEST(prefix_spelled_out_or_left_to_fts5)
{
    store_t *s = open_fresh("prefix.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 0; i < 100; i++) {     /* the words pre0 .. pre99 */
        char url[64], text[64];
        snprintf(url, sizeof url, "https://p.test/%d", i);
        snprintf(text, sizeof text, "alpha pre%d omega", i);
        ASSERT(add_text(s, url, text) > 0);
    }
    ASSERT_EQ(store_commit(s), STORE_OK);
    /* pre5: 11 completions, spelled out as an OR (no FTS5 prefix); the same 11 pages */
    const char *e = expr_of(s, "omega pre5");
    ASSERT(strstr(e, "\"pre57\"") != NULL);
    ASSERT(strstr(e, " OR ") != NULL);
    ASSERT(strchr(e, '*') == NULL);
    ASSERT_EQ(count_ids(find(s, "omega pre5")), 11);
    /* pre: 100 completions, past 64: FTS5's own prefix, and still every page */
    e = expr_of(s, "pre");
    ASSERT(strstr(e, "\"pre\" *") != NULL);
    ASSERT_EQ(count_ids(find(s, "pre")), 100);
    /* without a store, FTS5's prefix as before; a word of no page is itself, found nowhere */
    ASSERT(strstr(expr_of(NULL, "pre5"), "\"pre5\" *") != NULL);
    /* a quote typed is a doubled quote inside the FTS5 string, nothing more */
    ASSERT_STR_EQ(expr_of(NULL, "say \"hi\""), "\"say\" AND \"\"\"hi\"\"\" *");
    ASSERT_STR_EQ(expr_of(s, "a\"b"), "\"a\"\"b\" *");
    ASSERT_STR_EQ(expr_of(s, "zzz"), "(\"zzz\")");
    ASSERT_STR_EQ(find(s, "zzz"), "");
    /* the vocabulary outlives a deletion (a term of no page costs nothing) and a reindex
     * rebuilds it from the texts that are left */
    ASSERT_EQ(store_link_delete(s, 58), STORE_OK);   /* pre57 */
    ASSERT_EQ(count_ids(find(s, "omega pre5")), 10);
    int64_t total, next = 0, done = 0;
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_text_reindex_begin(s, &total), STORE_OK);
    do
        ASSERT_EQ(store_text_reindex_step(s, next, 40, &next, &done), STORE_OK);
    while (next);
    ASSERT_EQ(store_commit(s), STORE_OK);
    e = expr_of(s, "omega pre5");
    ASSERT(strstr(e, "\"pre57\"") == NULL);
    ASSERT(strstr(e, "\"pre56\"") != NULL);
    ASSERT_EQ(count_ids(find(s, "omega pre5")), 10);
    ASSERT(index_ok(s));
    store_close(s);
    return 0;
}

/* A database of schema 9 with an indexed text: migration 10 builds the vocabulary from the
 * indexed texts, so a prefix is spelled out at once. */
TEST(vocabulary_built_by_the_migration)
{
    const char *path;
    sqlite3 *db = open_old("vocab.db", 9, &path);
    ASSERT_NOT_NULL(db);
    static const char old[] =
        "INSERT INTO links(id, url, created_at, updated_at) VALUES (1, 'https://v.test/1', 1, 1);"
        "INSERT INTO snapshots(id, link_id, state, http_status, created_at) VALUES"
        " (1, 1, 'ok', 200, 1);"
        "INSERT INTO page_texts(snapshot_id, link_id, text) VALUES (1, 1, 'Zebra zebras ZEBU');"
        "INSERT INTO text_indexed(link_id, snapshot_id) VALUES (1, 1);";
    ASSERT_EQ(sqlite3_exec(db, old, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    const char *e = expr_of(s, "zeb");
    ASSERT(strstr(e, "\"zebras\"") != NULL);
    ASSERT(strstr(e, "\"zebu\"") != NULL);   /* folded as the index folds */
    ASSERT(strchr(e, '*') == NULL);
    store_close(s);
    return 0;
}

TEST(streamed_pages_hold_every_hit_once)
{
    store_t *s = open_fresh("stream.db");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(store_begin(s), STORE_OK);
    for (int i = 1; i <= 2010; i++) {   /* past the ranked 2,000: read newest first */
        char url[64];
        snprintf(url, sizeof url, "https://s.test/%d", i);
        ASSERT(add_text(s, url, i % 3 ? "often seen" : "seldom") > 0);
    }
    /* two address/title hits, one also in the text, one not: they come first */
    ASSERT_EQ(add(s, "https://often.test/a", NULL, NULL), 2011);
    ASSERT_EQ(add(s, "https://t.test/b", "Often asked", NULL), 2012);
    ASSERT_EQ(capture(s, 2012, "ok", 200, 0, NULL, "often", 9000), 0);
    ASSERT_EQ(store_commit(s), STORE_OK);
    static char got[32768], want[32768];
    store_filter_t f = {.q = "often"};
    ASSERT_EQ(page(s, &f, STORE_SORT_RELEVANCE, 7, got, sizeof got), 0);
    snprintf(want, sizeof want, "2012,2011");
    for (int i = 2010; i >= 1; i--)
        if (i % 3)
            snprintf(want + strlen(want), sizeof want - strlen(want), ",%d", i);
    ASSERT_STR_EQ(got, want);
    /* added: one newest-first list of both */
    ASSERT_EQ(page(s, &f, STORE_SORT_ADDED, 7, got, sizeof got), 0);
    snprintf(want, sizeof want, "2012,2011");
    for (int i = 2010; i >= 1; i--)
        if (i % 3)
            snprintf(want + strlen(want), sizeof want - strlen(want), ",%d", i);
    ASSERT_STR_EQ(got, want);
    /* a tag filter inside the streams */
    ASSERT_EQ(add(s, "https://s.test/tagged", "x", "keep"), 2013);
    ASSERT_EQ(capture(s, 2013, "ok", 200, 0, NULL, "often", 9100), 0);
    const char *keep[] = {"keep"};
    store_filter_t t = {.q = "often", .all = keep, .nall = 1};
    ASSERT_STR_EQ(find_f(s, &t, STORE_SORT_RELEVANCE), "2013");
    ASSERT_STR_EQ(find_f(s, &t, STORE_SORT_ADDED), "2013");
    /* the text hit matched only in the text is marked so, the title hit is not */
    store_link_t **v;
    store_match_t *m;
    size_t n;
    char *next;
    ASSERT_EQ(store_link_search(s, &f, STORE_SORT_RELEVANCE, 4, NULL, &v, &m, &n, &next), STORE_OK);
    ASSERT_EQ(n, 4);
    ASSERT_EQ(v[0]->id, 2012);   /* title and text */
    ASSERT_EQ(m[0].in_text, 1);
    ASSERT_EQ(v[1]->id, 2011);   /* address only */
    ASSERT_EQ(m[1].in_text, 0);
    ASSERT_EQ(v[2]->id, 2013);   /* text only, newest first */
    ASSERT_EQ(m[2].in_text, 1);
    ASSERT(m[2].nsnip > 0);
    store_link_list_free(v, n);
    store_match_free(m, n);
    free(next);
    store_close(s);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(cjk_substrings),
    TEST_ENTRY(folding_case_width_accents),
    TEST_ENTRY(kana_voicing_is_kept),
    TEST_ENTRY(words_anywhere_last_is_prefix),
    TEST_ENTRY(addresses_still_found_by_substring),
    TEST_ENTRY(query_syntax_is_inert),
    TEST_ENTRY(tag_filters_honoured),
    TEST_ENTRY(newest_good_capture_is_indexed),
    TEST_ENTRY(good_capture_rule),
    TEST_ENTRY(partial_kind_migrated_from_the_reason),
    TEST_ENTRY(delete_and_recapture_keep_index_in_step),
    TEST_ENTRY(reindex_rebuilds_the_same_index),
    TEST_ENTRY(batch_indexed_together_at_commit),
    TEST_ENTRY(known_terms_forgotten_when_text_terms_loses_them),
    TEST_ENTRY(sorts_page_stably),
    TEST_ENTRY(many_text_hits_are_not_ranked),
    TEST_ENTRY(snippet_segments),
    TEST_ENTRY(one_huge_word_and_invalid_utf8),
    TEST_ENTRY(prefix_spelled_out_or_left_to_fts5),
    TEST_ENTRY(vocabulary_built_by_the_migration),
    TEST_ENTRY(streamed_pages_hold_every_hit_once),
    TEST_END,
};
STORE_TEST_MAIN()
