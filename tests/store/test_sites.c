/* test_sites.c -- site rules in the store, on real SQLite files: site-rule matches normalised
 * (case, punycode, trailing dot, port, URL prefix) and refused when they are not a host,
 * host:port or http(s) prefix; set replaces the rule with the same normalised match; the
 * longest applicable match wins at a path boundary; schema 6 lets a snapshot end `blocked`
 * (a v4 file with rows migrates, its jobs intact) and a blocked finish fails the job
 * without taking the wall's title. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "sites.h"
#include "store.h"
#include "test.h"
#include "store_test.h"

TEST(match_normalisation)
{
    static const struct {
        const char *in, *out, *kind;
    } ok[] = {
        {"example.com", "example.com", "host"},
        {"  Example.COM. ", "example.com", "host"},
        {"例子.测试", "xn--fsqu00a.xn--0zwm56d", "host"},
        {"Example.com:8443", "example.com:8443", "hostport"},
        {"example.com:80", "example.com:80", "hostport"},
        {"127.0.0.1:9", "127.0.0.1:9", "hostport"},
        {"[::1]:8080", "[::1]:8080", "hostport"},
        {"https://Example.COM/Members", "https://example.com/Members", "prefix"},
        {"https://example.com", "https://example.com/", "prefix"},
        {"http://example.com:80/a/../b", "http://example.com/b", "prefix"},
        {"https://例子.测试/会员", "https://xn--fsqu00a.xn--0zwm56d/%E4%BC%9A%E5%91%98", "prefix"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(ok); i++) {
        char *out = NULL, kind[12], err[256] = "";
        int rc = store_site_normalize_match(ok[i].in, &out, kind, err, sizeof err);
        ASSERT_MSG(rc == STORE_OK, "'%s': %s", ok[i].in, err);
        ASSERT_STR_EQ(out, ok[i].out);
        ASSERT_STR_EQ(kind, ok[i].kind);
        free(out);
    }
    static const char *const bad[] = {
        "", "   ", "ftp://example.com/", "example.com/members", "user@example.com",
        "example.com:99999", "example.com:0", "exa mple.com", "example.com?x=1", "\x01.com",
        "\xff\xfe.com", "javascript:alert(1)",
    };
    for (size_t i = 0; i < LS_TEST_LEN(bad); i++) {
        char *out = NULL, kind[12], err[256] = "";
        int rc = store_site_normalize_match(bad[i], &out, kind, err, sizeof err);
        ASSERT_MSG(rc == STORE_EINVAL, "'%s' was accepted as '%s'", bad[i], out ? out : "");
        ASSERT_MSG(err[0] != 0, "'%s' refused without a reason", bad[i]);
        ASSERT_NULL(out);
    }
    char *big = malloc(STORE_MAX_SITE_MATCH + 20);
    ASSERT_NOT_NULL(big);
    memset(big, 'a', STORE_MAX_SITE_MATCH + 10);
    big[STORE_MAX_SITE_MATCH + 10] = 0;
    char *out = NULL, kind[12], err[256];
    int rc = store_site_normalize_match(big, &out, kind, err, sizeof err);
    free(big);
    ASSERT_EQ(rc, STORE_EINVAL);
    return 0;
}

TEST(set_replaces_list_delete)
{
    store_t *s = open_fresh("rules.db");
    ASSERT_NOT_NULL(s);
    store_site_rule_t *r = NULL;
    int created = -1;
    ASSERT_EQ(store_site_set(s, "Example.com", "{\"delay_ms\":1}", 1000, &r, &created), STORE_OK);
    ASSERT_EQ(created, 1);
    ASSERT_STR_EQ(r->match, "example.com");
    ASSERT_STR_EQ(r->kind, "host");
    int64_t id = r->id;
    store_site_rule_free(r);
    /* the same normalised match replaces the rule, keeps its id and creation time */
    ASSERT_EQ(store_site_set(s, "EXAMPLE.COM.", "{\"delay_ms\":2}", 2000, &r, &created), STORE_OK);
    ASSERT_EQ(created, 0);
    ASSERT_EQ(r->id, id);
    ASSERT_STR_EQ(r->rule, "{\"delay_ms\":2}");
    ASSERT_EQ(r->created_at, 1000);
    ASSERT_EQ(r->updated_at, 2000);
    store_site_rule_free(r);
    ASSERT_EQ(store_site_set(s, "https://example.com/members", "{}", 3000, NULL, &created), STORE_OK);
    ASSERT_EQ(store_site_set(s, "example.com/x", "{}", 3000, NULL, &created), STORE_EINVAL);
    ASSERT(strstr(store_errmsg(s), "path") != NULL);
    ASSERT_EQ(store_site_set(s, "ok.example", "", 3000, NULL, &created), STORE_EINVAL);

    store_site_rule_t **v;
    size_t n;
    ASSERT_EQ(store_site_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(v[0]->match, "example.com");
    ASSERT_STR_EQ(v[1]->match, "https://example.com/members");
    store_site_rule_list_free(v, n);

    store_site_rule_t *gone = NULL;
    ASSERT_EQ(store_site_delete(s, "HTTPS://EXAMPLE.com/members", &gone), STORE_OK);
    ASSERT_STR_EQ(gone->match, "https://example.com/members");
    store_site_rule_free(gone);
    ASSERT_EQ(store_site_delete(s, "https://example.com/members", NULL), STORE_ENOTFOUND);
    ASSERT(strstr(store_errmsg(s), "no site rule") != NULL);
    ASSERT_EQ(store_site_delete(s, "", NULL), STORE_EINVAL);
    ASSERT_EQ(store_site_list(s, &v, &n), STORE_OK);
    ASSERT_EQ(n, 1);
    store_site_rule_list_free(v, n);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    return 0;
}

TEST(longest_match_wins)
{
    store_t *s = open_fresh("match.db");
    ASSERT_NOT_NULL(s);
    const char *rules[][2] = {
        {"example.com", "{\"r\":\"host\"}"},
        {"https://example.com/members", "{\"r\":\"prefix\"}"},
        {"https://example.com/members/vip/", "{\"r\":\"vip\"}"},
        {"example.com:8443", "{\"r\":\"port\"}"},
        {"例子.测试", "{\"r\":\"idn\"}"},
        {"127.0.0.1:8080", "{\"r\":\"loop\"}"},
    };
    for (size_t i = 0; i < LS_TEST_LEN(rules); i++)
        ASSERT_EQ(store_site_set(s, rules[i][0], rules[i][1], 1, NULL, NULL), STORE_OK);
    const char *cases[][2] = {
        {"https://example.com/", "host"},
        {"https://www.example.com/news", "host"},
        {"https://example.com/members", "prefix"},
        {"https://EXAMPLE.com/members/list?page=2", "prefix"},
        {"https://example.com/members?x=1", "prefix"},
        {"https://example.com/membership", "host"},
        {"http://example.com/members", "host"},
        {"https://example.com/members/vip/room", "vip"},
        {"https://example.com:8443/anything", "port"},
        {"http://xn--fsqu00a.xn--0zwm56d/", "idn"},
        {"http://例子.测试/page", "idn"},
        {"http://127.0.0.1:8080/members", "loop"},
        {"http://127.0.0.1:8081/", NULL},
        {"https://notexample.com/", NULL},
        {"https://example.org/", NULL},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        store_site_rule_t *r = NULL;
        int rc = store_site_match(s, cases[i][0], &r);
        if (!cases[i][1]) {
            ASSERT_MSG(rc == STORE_ENOTFOUND, "%s matched %s", cases[i][0], r ? r->match : "?");
            continue;
        }
        ASSERT_MSG(rc == STORE_OK, "%s: no rule (%d)", cases[i][0], rc);
        char want[64];
        snprintf(want, sizeof want, "{\"r\":\"%s\"}", cases[i][1]);
        ASSERT_MSG(!strcmp(r->rule, want), "%s: got %s (%s), want %s", cases[i][0], r->rule,
                   r->match, want);
        store_site_rule_free(r);
    }
    store_site_rule_t *r = NULL;
    ASSERT_EQ(store_site_match(s, "ftp://example.com/", &r), STORE_EINVAL);
    ASSERT_EQ(store_site_match(s, "not a url", &r), STORE_EINVAL);
    store_close(s);
    return 0;
}

static int claim_one(store_t *s, int64_t now, store_job_t **j)
{
    store_job_t **v;
    size_t n;
    if (store_begin(s) || store_job_claim(s, now, 1, &v, &n) || store_commit(s) || n != 1)
        return -1;
    *j = v[0];
    free(v);
    return 0;
}

TEST(blocked_after_migration_from_v4)
{
    const char *path = tmp_path("v4.db");
    store_t *s;
    char err[512];
    ASSERT_EQ(store_open_at_version(path, STORE_OPEN_MIGRATE, 4, &s, err, sizeof err), STORE_OK);
    int64_t link;
    int created;
    store_link_add_t in = {.url = "https://wall.example/", .now_ms = 1000, .capture = 1};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_link_add(s, &in, &link, &created), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_close(s);
    /* v4 refuses the state */
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE snapshots SET state = 'blocked'", NULL, NULL, NULL),
              SQLITE_CONSTRAINT);
    sqlite3_close(db);

    ASSERT_EQ(store_open(path, STORE_OPEN_MIGRATE, &s, err, sizeof err), STORE_OK);
    ASSERT_EQ(store_schema_version(s), store_latest_version());
    ASSERT_GE(store_latest_version(), 6);
    store_stats_t st;
    ASSERT_EQ(store_stats(s, &st), STORE_OK);
    ASSERT_EQ(st.jobs_queued, 1);          /* the job survived the migration */
    store_job_t *j;
    ASSERT_EQ(claim_one(s, 2000, &j), 0);
    store_job_result_t res = {.job_id = j->id, .state = "blocked", .http_status = 403,
                              .title = "Just a moment...", .path = "x.png",
                              .error = "blocked: Cloudflare challenge (cf-mitigated: challenge)",
                              .width = 800, .height = 600, .now_ms = 3000};
    ASSERT_EQ(store_begin(s), STORE_OK);
    ASSERT_EQ(store_job_finish(s, &res), STORE_OK);
    ASSERT_EQ(store_commit(s), STORE_OK);
    store_job_t *after;
    ASSERT_EQ(store_job_get(s, j->id, &after), STORE_OK);
    ASSERT_STR_EQ(after->state, "failed");
    ASSERT(after->error && strstr(after->error, "Cloudflare"));
    store_snapshot_t *snap;
    ASSERT_EQ(store_snapshot_get(s, j->snapshot_id, &snap), STORE_OK);
    ASSERT_STR_EQ(snap->state, "blocked");
    ASSERT_STR_EQ(snap->path, "x.png");      /* the last picture is kept */
    store_snapshot_free(snap);
    store_link_t *l;
    ASSERT_EQ(store_link_get(s, link, &l), STORE_OK);
    ASSERT_NULL(l->title);                   /* the wall's title is not the link's */
    store_link_free(l);
    store_job_free(j);
    store_job_free(after);
    ASSERT_EQ(store_integrity_check(s), STORE_OK);
    store_close(s);
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE snapshots SET state = 'bogus'", NULL, NULL, NULL),
              SQLITE_CONSTRAINT);
    sqlite3_close(db);
    return 0;
}

/* Where a rule's cookies may go (audit finding 7): the host of each kind of match, whether
 * subdomains are in, and the scheme and port the cookies are bound to. */
TEST(cookie_scope_of_each_kind)
{
    static const struct {
        const char *match, *kind, *host;
        int subdomains;
        const char *scheme;
        long port;
    } cases[] = {
        {"members.example", "host", "members.example", 1, NULL, 0},
        {"members.example:8081", "hostport", "members.example", 0, NULL, 8081},
        {"members.example:443", "hostport", "members.example", 0, "https", 443},
        {"members.example:80", "hostport", "members.example", 0, "http", 80},
        {"[::1]:8080", "hostport", "[::1]", 0, NULL, 8080},
        {"127.0.0.1", "host", "127.0.0.1", 1, NULL, 0},
        {"https://members.example/account", "prefix", "members.example", 0, "https", 443},
        {"http://members.example:8081/a?b", "prefix", "members.example", 0, "http", 8081},
        {"http://[::1]:9/x", "prefix", "[::1]", 0, "http", 9},
        {"https://members.example", "prefix", "members.example", 0, "https", 443},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        store_site_scope_t sc;
        store_site_scope(cases[i].match, cases[i].kind, &sc);
        ASSERT_MSG(!strcmp(sc.host, cases[i].host), "%s: host %s", cases[i].match, sc.host);
        ASSERT_MSG(sc.subdomains == cases[i].subdomains, "%s: subdomains %d", cases[i].match, sc.subdomains);
        ASSERT_MSG(sc.port == cases[i].port, "%s: port %ld", cases[i].match, sc.port);
        ASSERT_MSG(cases[i].scheme ? sc.scheme && !strcmp(sc.scheme, cases[i].scheme) : !sc.scheme,
                   "%s: scheme %s", cases[i].match, sc.scheme ? sc.scheme : "(none)");
    }
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(match_normalisation),
    TEST_ENTRY(cookie_scope_of_each_kind),
    TEST_ENTRY(set_replaces_list_delete),
    TEST_ENTRY(longest_match_wins),
    TEST_ENTRY(blocked_after_migration_from_v4),
    TEST_END,
};
STORE_TEST_MAIN()
