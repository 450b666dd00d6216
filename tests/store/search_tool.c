/* search_tool.c -- a helper for the integration tests and the benchmark, through the store
 * API on a real file (the capture side does not bring text yet):
 *   search_tool seed DB N         N links, each with one good capture and its text
 *   search_tool load DB DIR [N]   a link per DIR/NNNNNN.txt (its text), in batches
 *   search_tool check DB [Q]      integrity (FTS5 too); prints "indexed=K found=M"
 *   search_tool sql DB SQL [PARAM]...  runs SQL three times: rows and milliseconds
 *   search_tool variants DB LIST Q...  the CJK tokenizer measured against its alternative:
 *       the texts named in LIST (one path a line) into two contentless tables, ours and
 *       "unigrams"; prints each index's bytes and build time, then the time of each query
 *       Q on both (best of 5) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "store_int.h"

static int capture_text(store_t *s, int64_t link, const char *text, int64_t now)
{
    int64_t job;
    int created;
    store_job_t **v = NULL;
    size_t n = 0;
    if (store_job_request(s, link, now, &job, &created) || store_job_claim(s, now, 1, &v, &n))
        return -1;
    store_job_list_free(v, n);
    store_page_text_t pt = {.text = text};
    store_job_result_t r = {.job_id = job, .state = "ok", .http_status = 200, .now_ms = now,
                            .text = &pt};
    return store_job_finish(s, &r);
}

static int add_one(store_t *s, const char *url, const char *text, int64_t now)
{
    store_link_add_t in = {.url = url, .now_ms = now};
    int64_t id;
    int created;
    if (store_link_add(s, &in, &id, &created) || capture_text(s, id, text, now)) {
        fprintf(stderr, "search_tool: %s: %s\n", url, store_errmsg(s));
        return -1;
    }
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t table_bytes(sqlite3 *db, const char *prefix)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%s%%'", prefix);
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Ours ("va") and the unigram variant ("vb") over the same texts. */
static int variants(store_t *s, const char *list, char **qs, int nq)
{
    const char *tables[] = {"va", "vb"}, *tok[] = {"linksnap", "linksnap unigrams"};
    for (int t = 0; t < 2; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s; CREATE VIRTUAL TABLE %s USING "
                 "fts5(text, content='', tokenize='%s')", tables[t], tables[t], tok[t]);
        if (store_exec(s, sql))
            return 1;
        FILE *f = fopen(list, "r");
        if (!f)
            return 1;
        snprintf(sql, sizeof sql, "INSERT INTO %s(text) VALUES (?1)", tables[t]);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
            fclose(f);
            return 1;
        }
        char path[4096];
        int64_t raw = 0;
        double t0 = now_s();
        store_exec(s, "BEGIN");
        while (fgets(path, sizeof path, f)) {
            path[strcspn(path, "\n")] = '\0';
            char *text = slurp(path);
            if (!text)
                continue;
            raw += (int64_t)strlen(text);
            sqlite3_bind_text(st, 1, text, -1, free);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        store_exec(s, "COMMIT");
        double t1 = now_s();
        sqlite3_finalize(st);
        fclose(f);
        snprintf(sql, sizeof sql, "%s_", tables[t]);
        printf("%s raw=%lld index=%lld seconds=%.2f\n", tok[t], (long long)raw,
               (long long)table_bytes(s->db, sql), t1 - t0);
    }
    for (int i = 0; i < nq; i++) {
        for (int t = 0; t < 2; t++) {
            char sql[256];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s MATCH ?1", tables[t], tables[t]);
            char *expr = NULL;
            if (store_fts_query(NULL, qs[i], &expr) || !expr)
                return 1;
            /* the alternative finds one character exactly, without a prefix */
            if (t == 1 && strlen(expr) > 2 && !strcmp(expr + strlen(expr) - 2, " *") &&
                !strchr(qs[i], ' ') && strlen(qs[i]) == 3)
                expr[strlen(expr) - 2] = '\0';
            double best = 1e9;
            int64_t count = 0;
            for (int r = 0; r < 5; r++) {
                sqlite3_stmt *st;
                double a = now_s();
                if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                    return 1;
                sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW)
                    count = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
                double b = now_s() - a;
                if (b < best)
                    best = b;
            }
            printf("query %s %s count=%lld ms=%.3f\n", tok[t], qs[i], (long long)count, best * 1000);
            free(expr);
        }
    }
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: search_tool seed DB N | load DB DIR [N] | check DB [Q] | query DB Q... | sql DB SQL [ARGS]\n");
        return 2;
    }
    store_t *s;
    char err[512];
    if (store_open(argv[2], STORE_OPEN_MIGRATE, &s, err, sizeof err)) {
        fprintf(stderr, "search_tool: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (!strcmp(argv[1], "seed") && argc == 4) {
        long n = atol(argv[3]);
        static const char *const words[] = {"alpha", "beta", "gamma", "网络", "神经", "猫",
                                            "テキスト", "검색", "Ελληνικά", "Россия"};
        store_begin(s);
        for (long i = 0; i < n && !rc; i++) {
            char url[64], text[512];
            snprintf(url, sizeof url, "https://seed.test/%ld", i);
            snprintf(text, sizeof text, "page %ld common %s %s marker%ld", i, words[i % 10],
                     words[(i / 10) % 10], i);
            rc = add_one(s, url, text, 1000 + i);
            if (i % 500 == 499)
                rc = rc || store_commit(s) || store_begin(s);
        }
        rc = rc || store_commit(s);
    } else if (!strcmp(argv[1], "load") && argc >= 4) {
        long max = argc > 4 ? atol(argv[4]) : -1, i = 0;
        DIR *d = opendir(argv[3]);
        struct dirent *e;
        char **names = NULL;
        size_t nn = 0, cap = 0;
        while (d && (e = readdir(d))) {
            if (!strstr(e->d_name, ".txt"))
                continue;
            if (nn == cap) {
                cap = cap ? cap * 2 : 1024;
                char **more = realloc(names, cap * sizeof *names);
                if (!more)
                    return 1;
                names = more;
            }
            if (!(names[nn++] = strdup(e->d_name)))
                return 1;
        }
        if (d)
            closedir(d);
        qsort(names, nn, sizeof *names, name_cmp);
        store_begin(s);
        for (size_t k = 0; k < nn && !rc && (max < 0 || i < max); k++, i++) {
            char path[4096], url[300];
            snprintf(path, sizeof path, "%s/%s", argv[3], names[k]);
            snprintf(url, sizeof url, "https://bench.test/%s", names[k]);
            char *text = slurp(path);
            if (!text) {
                fprintf(stderr, "search_tool: cannot read %s\n", path);
                rc = 1;
                break;
            }
            rc = add_one(s, url, text, 1000 + (int64_t)k);
            free(text);
            if (k % 1000 == 999)
                rc = rc || store_commit(s) || store_begin(s);
        }
        rc = rc || store_commit(s);
        for (size_t k = 0; k < nn; k++)
            free(names[k]);
        free(names);
    } else if (!strcmp(argv[1], "sql") && argc >= 4) {   /* timing one statement: rows, ms */
        if (getenv("VOCAB"))
            sqlite3_exec(s->db, "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, text_fts, 'row')",
                         NULL, NULL, NULL);
        for (int rep = 0; rep < 3; rep++) {
            sqlite3_stmt *st;
            double t0 = now_s();
            if (sqlite3_prepare_v2(s->db, argv[3], -1, &st, NULL) != SQLITE_OK) {
                printf("sql: %s\n", sqlite3_errmsg(s->db));
                rc = 1;
                break;
            }
            for (int i = 4; i < argc; i++)
                sqlite3_bind_text(st, i - 3, argv[i], -1, SQLITE_STATIC);
            long rows = 0;
            while (sqlite3_step(st) == SQLITE_ROW) {
                if (rep == 0 && !strncmp(argv[3], "EXPLAIN QUERY PLAN", 18))
                    printf("%d %d %s\n", sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                           (const char *)sqlite3_column_text(st, 3));
                if (rep == 0 && getenv("PRINT"))
                    printf("%s\n", (const char *)sqlite3_column_text(st, 0));
                rows++;
            }
            sqlite3_finalize(st);
            printf("rows=%ld ms=%.2f\n", rows, (now_s() - t0) * 1000);
        }
    } else if (!strcmp(argv[1], "query") && argc >= 4) {  /* link.list's store side: ms */
        int reps = getenv("REPS") ? atoi(getenv("REPS")) : 5;
        for (int i = 3; i < argc && !rc; i++) {
            double best = 1e9;
            size_t n = 0;
            for (int rep = 0; rep < reps && !rc; rep++) {
                store_filter_t f = {.q = argv[i]};
                store_link_t **v;
                store_match_t *m;
                char *next = NULL;
                double t0 = now_s();
                if (store_link_search(s, &f, STORE_SORT_DEFAULT, 50, NULL, &v,
                                      getenv("NOSNIP") ? NULL : &m, &n, &next)) {
                    printf("search: %s\n", store_errmsg(s));
                    rc = 1;
                    break;
                }
                double dt = now_s() - t0;
                best = dt < best ? dt : best;
                store_link_list_free(v, n);
                if (!getenv("NOSNIP"))
                    store_match_free(m, n);
                free(next);
            }
            printf("query %-24s rows=%zu best_ms=%.2f\n", argv[i], n, best * 1000);
        }
    } else if (!strcmp(argv[1], "variants") && argc >= 4) {
        rc = variants(s, argv[3], argv + 4, argc - 4);
    } else if (!strcmp(argv[1], "check")) {
        if (store_integrity_check(s)) {
            printf("integrity: %s\n", store_errmsg(s));
            rc = 1;
        }
        store_stats_t st;
        store_stats(s, &st);
        int64_t found = 0, indexed = 0;
        store_filter_t f = {.q = argc > 3 ? argv[3] : "common"};
        char *cursor = NULL;
        do {   /* every page of the search */
            store_link_t **v;
            size_t n;
            char *next = NULL;
            if (store_link_search(s, &f, STORE_SORT_ADDED, 500, cursor, &v, NULL, &n, &next)) {
                printf("search: %s\n", store_errmsg(s));
                rc = 1;
                break;
            }
            found += (int64_t)n;
            store_link_list_free(v, n);
            free(cursor);
            cursor = next;
        } while (cursor);
        free(cursor);
        for (int64_t id = 1; id <= st.links; id++) {
            store_snapshot_t **snaps;
            size_t n;
            if (store_snapshot_list(s, id, 1, &snaps, &n) == STORE_OK && n) {
                store_text_t *t;
                if (store_text_get(s, snaps[0]->id, &t) == STORE_OK) {
                    indexed += t->indexed;
                    store_text_free(t);
                }
            }
            if (n)
                store_snapshot_list_free(snaps, n);
        }
        printf("indexed=%lld found=%lld\n", (long long)indexed, (long long)found);
    } else {
        fprintf(stderr, "search_tool: unknown command %s\n", argv[1]);
        rc = 2;
    }
    store_close(s);
    return rc ? 1 : 0;
}
