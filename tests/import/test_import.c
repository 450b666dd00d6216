/* test_import.c -- unit tests for import/: every format with its edge cases, the real
 * Firefox exports (data/firefox), generated Chrome/Safari/Edge exports, detection,
 * chunk-split invariance for every input, stop semantics and random input. */
#include "collect.h"
#include "test.h"

#include <errno.h>

#ifndef IMPORT_FIREFOX_DIR
#error "IMPORT_FIREFOX_DIR must point at tests/import/data/firefox"
#endif
#ifndef IMPORT_DATA_DIR
#error "IMPORT_DATA_DIR must point at tests/import/data"
#endif

static char *load(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *s = collect_read_file(path, len);
    if (!s)
        fprintf(stderr, "  cannot read %s: %s (test data missing?)\n", path, strerror(errno));
    return s;
}

static size_t count_http(const collect_t *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n && i < COLLECT_MAX; i++)
        if (strncmp(c->rec[i].url, "http://", 7) == 0 || strncmp(c->rec[i].url, "https://", 8) == 0)
            n++;
    return n;
}

static const rec_t *find_url(const collect_t *c, const char *url)
{
    for (size_t i = 0; i < c->n && i < COLLECT_MAX; i++)
        if (strcmp(c->rec[i].url, url) == 0)
            return &c->rec[i];
    return NULL;
}

#define RUN_FILE(c, dir, name, fmt)                                                     \
    do {                                                                                \
        size_t len_;                                                                    \
        char *data_ = load(dir, name, &len_);                                           \
        ASSERT_MSG(data_ != NULL, "test data %s/%s missing", dir, name);                 \
        collect_init(c);                                                                \
        int rc_ = collect_run(c, fmt, data_, len_, 0, NULL);                            \
        free(data_);                                                                    \
        ASSERT_EQ(rc_, IMPORT_OK);                                                      \
        ASSERT_EQ((c)->violations, 0);                                                  \
    } while (0)

/* ---- Firefox exports in data/firefox (expected counts in data/README.md) ---- */

TEST(firefox_preplaces)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_FIREFOX_DIR, "firefox-preplaces.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 8);
    ASSERT_EQ(count_http(&c), 8);
    ASSERT_EQ(c.nerr, 0);
    const rec_t *r = find_url(&c, "http://test/post");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->tags, "test");
    ASSERT_EQ(r->created, 1177375336000LL);
    ASSERT_STR_EQ(r->desc, "item description");
    ASSERT_STR_EQ(r->title, "test post keyword");
    ASSERT_EQ(r->line, 21);
    r = find_url(&c, "http://en-US.www.mozilla.com/en-US/firefox/help/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->tags, "Mozilla Firefox");
    ASSERT_STR_EQ(r->title, "Help and Tutorials");
    /* root folders (Unsorted Bookmarks, Bookmarks Toolbar Folder) give no tag */
    r = find_url(&c, "http://example.tld");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->ntags, 0);
    r = find_url(&c, "http://en-US.fxfeeds.mozilla.com/en-US/firefox/livebookmarks/");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->ntags, 0);
    ASSERT_STR_EQ(r->desc, "Livemark test comment");
    /* a folder's <DD> belongs to no bookmark */
    for (size_t i = 0; i < c.n; i++)
        ASSERT(strstr(c.rec[i].desc, "folder test comment") == NULL);
    collect_free(&c);
    return 0;
}

TEST(firefox_corrupt)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_FIREFOX_DIR, "firefox-corrupt.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 10);          /* raw entries: the caller's normaliser rejects b0rked */
    ASSERT_EQ(count_http(&c), 9);
    const rec_t *r = find_url(&c, "b0rked");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->line, 16);
    /* the broken ICON does not cost its bookmark */
    r = find_url(&c, "http://bogus-icon.mozilla.com/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->title, "Getting Started");
    collect_free(&c);
    return 0;
}

TEST(firefox_singleframe)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_FIREFOX_DIR, "firefox-singleframe.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.rec[0].url, "http://www.mozilla.org/");
    ASSERT_STR_EQ(c.rec[0].title, "Mozilla");
    ASSERT_STR_EQ(c.rec[0].tags, "Subtitle"); /* heading outside any list still names it */
    collect_free(&c);
    return 0;
}

TEST(firefox_sync)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_FIREFOX_DIR, "firefox-sync.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 2);
    ASSERT_EQ(count_http(&c), 2);
    const rec_t *r = find_url(&c, "https://www.mozilla.org/en-US/firefox/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->tags, "browser");      /* Bookmarks Toolbar is a root: no tag */
    ASSERT_EQ(r->created, 1471365681000LL);
    ASSERT_STR_EQ(r->desc, "Firefox home");
    r = find_url(&c, "https://www.mozilla.org/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->desc, "Mozilla home"); /* not the folder's description after it */
    collect_free(&c);
    return 0;
}

TEST(firefox_localized)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_FIREFOX_DIR, "firefox-localized.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.rec[0].url, "http://www.mozilla.com/firefox/help/");
    ASSERT_STR_EQ(c.rec[0].tags, "bookmarks-html-localized-folder");
    collect_free(&c);
    return 0;
}

/* ---- generated browser exports ---- */

TEST(chrome_export)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_DATA_DIR, "chrome.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 7);
    ASSERT_EQ(c.nerr, 0);
    const rec_t *r = find_url(&c, "https://www.sqlite.org/lang.html");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->tags, "Tech|Databases"); /* every folder on the path, outermost first */
    ASSERT_EQ(r->created, 1700000007000LL);
    r = find_url(&c, "https://www.postgresql.org/docs/?q=a&b=c");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->title, "PostgreSQL & friends 'docs' \xe4\xb8\xad\xe6\x96\x87 \"q\"");
    r = find_url(&c, "https://news.ycombinator.com/");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->ntags, 0);                   /* Bookmarks bar: root */
    r = find_url(&c, "https://example.com/bread");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->tags, "Recipes");        /* Other bookmarks: root by name */
    ASSERT_NOT_NULL(find_url(&c, "javascript:alert(1)")); /* raw: the caller rejects it */
    collect_free(&c);
    return 0;
}

TEST(safari_export)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_DATA_DIR, "safari.html", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(find_url(&c, "https://www.apple.com/")->ntags, 0);
    ASSERT_STR_EQ(find_url(&c, "https://www.icloud.com/")->tags, "Favorites"); /* nested */
    ASSERT_STR_EQ(find_url(&c, "https://www.sbb.ch/en")->tags, "Travel");
    ASSERT_STR_EQ(find_url(&c, "https://lwn.net/Articles/1/")->tags, "Reading List");
    collect_free(&c);
    return 0;
}

TEST(edge_export_bom_crlf)
{
    collect_t c;
    import_format_t fmt;
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "edge.html", &len);
    ASSERT_NOT_NULL(data);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_OK);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_NETSCAPE);
    ASSERT_EQ(c.n, 3);
    ASSERT_STR_EQ(c.rec[0].url, "https://www.bing.com/");
    ASSERT_EQ(c.rec[0].ntags, 0);
    ASSERT_EQ(c.rec[0].line, 8);
    ASSERT_STR_EQ(c.rec[1].tags, "Work");
    ASSERT_EQ(c.rec[2].ntags, 0);  /* Other favorites */
    collect_free(&c);
    return 0;
}

TEST(netscape_quirks)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_DATA_DIR, "quirks.html", IMPORT_FMT_AUTO);
    ASSERT(find_url(&c, "http://not-a-bookmark/") == NULL); /* inside a comment */
    const rec_t *r = find_url(&c, "http://unquoted.example/path?x=1");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->created, 1500000000000LL);                  /* ms by magnitude */
    ASSERT_STR_EQ(r->tags, "Misc");
    r = find_url(&c, "http://single.example/");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->created, 1500000000000LL);                  /* µs by magnitude */
    ASSERT_STR_EQ(r->tags, "Misc|x|y");                      /* folder first, deduplicated */
    ASSERT_STR_EQ(r->desc, "a description spanning lines & entities");
    r = find_url(&c, "http://no-close.example/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->title, "no closing tag");
    r = find_url(&c, "http://upper.example/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->title, "Title with spaces");
    ASSERT_STR_EQ(r->tags, "Misc|Upper");
    ASSERT_STR_EQ(find_url(&c, "http://nested-favorites.example/")->tags, "Misc|Favorites");
    r = find_url(&c, "http://inline.example/");
    ASSERT_NOT_NULL(r);
    ASSERT_STR_EQ(r->title, "a bold title");
    ASSERT_STR_EQ(r->tags, "Misc|Inline <b>");
    ASSERT_STR_EQ(r->desc, "(null)");
    r = find_url(&c, "http://top.example/");
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->ntags, 0);   /* </dl> popped both folders */
    ASSERT_EQ(r->created, 0); /* bad date */
    ASSERT_EQ(c.nerr, 2);     /* <a> without href, empty href */
    ASSERT_EQ(c.err_line[0], 11);
    ASSERT_EQ(c.err_line[1], 12);
    collect_free(&c);
    return 0;
}

TEST(netscape_entities)
{
    static const char in[] =
        "<DL><DT><A HREF=\"http://e.example/?a=1&amp;b=2&copy=3&amp\">"
        "&#39;q&#39; &#x4e2d; &lt;x&gt; a&nbsp;b &unknown; &amp x &#0; &#xD800; &hellip;"
        "</A></DL>";
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, in, sizeof(in) - 1, 0, NULL), IMPORT_OK);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.rec[0].url, "http://e.example/?a=1&b=2&copy=3&");
    ASSERT_STR_EQ(c.rec[0].title, "'q' \xe4\xb8\xad <x> a\xc2\xa0" "b &unknown; & x "
                                  "\xef\xbf\xbd \xef\xbf\xbd \xe2\x80\xa6");
    ASSERT_EQ(c.violations, 0);
    collect_free(&c);
    return 0;
}

TEST(netscape_huge_icon_and_depth_cap)
{
    /* a 600 KB ICON before and after HREF, then folders nested past the cap */
    buf_t b;
    buf_init(&b, 0);
    buf_append_str(&b, "<DL><p>\n<DT><A ICON=\"data:image/png;base64,");
    for (int i = 0; i < 600 * 1024 / 8; i++)
        buf_append_str(&b, "QUFBQUFB");
    buf_append_str(&b, "\" HREF=\"http://icon.example/\" ICON_URI='x'>Icon</A>\n");
    int depth = IMPORT_MAX_FOLDER_DEPTH + 8;
    for (int i = 0; i < depth; i++)
        buf_printf(&b, "<DT><H3>f%d</H3>\n<DL><p>\n", i);
    buf_append_str(&b, "<DT><A HREF=\"http://deep.example/\">deep</A>\n");
    for (int i = 0; i < depth; i++)
        buf_append_str(&b, "</DL><p>\n");
    buf_append_str(&b, "<DT><A HREF=\"http://after.example/\">after</A>\n</DL>\n");
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, b.data, b.len, 4096, NULL), IMPORT_OK);
    buf_free(&b);
    ASSERT_EQ(c.n, 3);
    ASSERT_STR_EQ(c.rec[0].url, "http://icon.example/");
    ASSERT_STR_EQ(c.rec[0].title, "Icon");
    /* the cap counts lists: the outermost <DL> has no name, so 31 folder tags */
    ASSERT_EQ(c.rec[1].ntags, IMPORT_MAX_FOLDER_DEPTH - 1);
    ASSERT(strncmp(c.rec[1].tags, "f0|f1|f2|", 9) == 0);
    ASSERT_EQ(c.rec[2].ntags, 0);
    ASSERT_EQ(c.nerr, 1); /* the depth, reported once */
    ASSERT(strstr(c.err[0], "nested deeper") != NULL);
    collect_free(&c);
    return 0;
}

TEST(netscape_truncated)
{
    static const char cut_in_tag[] =
        "<DL><DT><A HREF=\"http://one.example/\">one</A>\n<DT><A HREF=\"http://two.exa";
    static const char cut_in_title[] =
        "<DL><DT><A HREF=\"http://one.example/\">one</A>\n<DT><A HREF=\"http://two.example/\">tw";
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_NETSCAPE, cut_in_tag, sizeof(cut_in_tag) - 1, 0, NULL),
              IMPORT_OK);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 2);
    collect_free(&c);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_NETSCAPE, cut_in_title, sizeof(cut_in_title) - 1, 0,
                          NULL),
              IMPORT_OK);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[1].title, "tw");
    ASSERT_EQ(c.nerr, 0);
    collect_free(&c);
    return 0;
}

TEST(netscape_invalid_utf8_and_nul)
{
    static const char in[] = "<DL><DT><A HREF=\"http://a.example/\">bad \xff\xfe title \0 x</A>\n"
                             "<DT><A HREF=\"http://b.example/\xff\">bad url</A>\n"
                             "<DT><A HREF=\"http://c.example/\">ok</A></DL>";
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, in, sizeof(in) - 1, 0, NULL), IMPORT_OK);
    ASSERT_EQ(c.violations, 0);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[0].title, "bad \xef\xbf\xbd\xef\xbf\xbd title \xef\xbf\xbd x");
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 2);
    ASSERT(strstr(c.err[0], "UTF-8") != NULL);
    ASSERT_STR_EQ(c.rec[1].url, "http://c.example/");
    collect_free(&c);
    return 0;
}

TEST(caps_title_tags_url)
{
    buf_t b;
    buf_init(&b, 0);
    buf_append_str(&b, "<DL><DT><A HREF=\"http://t.example/\" TAGS=\"");
    for (int i = 0; i < 100; i++)
        buf_printf(&b, "tag%d,", i);
    for (int i = 0; i < 300; i++)
        buf_append_str(&b, "\xe4\xb8\xad"); /* one 900-byte tag */
    buf_append_str(&b, "\">");
    for (int i = 0; i < 3000; i++)
        buf_append_str(&b, "\xc3\xa9"); /* 6000 bytes of é */
    buf_append_str(&b, "</A>\n<DT><A HREF=\"http://");
    for (int i = 0; i < IMPORT_MAX_URL; i++)
        buf_append_str(&b, "x");
    buf_append_str(&b, "\">too long</A></DL>");
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, b.data, b.len, 0, NULL), IMPORT_OK);
    buf_free(&b);
    ASSERT_EQ(c.violations, 0); /* title cut on a character boundary, tags capped */
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.rec[0].ntags, IMPORT_MAX_TAGS);
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 2);
    ASSERT(strstr(c.err[0], "URL longer") != NULL);
    collect_free(&c);
    return 0;
}

/* ---- plain text ---- */

TEST(text_list)
{
    collect_t c;
    import_format_t fmt;
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "list.txt", &len);
    ASSERT_NOT_NULL(data);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_OK);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_TEXT);
    ASSERT_EQ(c.n, 7);
    ASSERT_STR_EQ(c.rec[0].url, "https://example.com/a"); /* BOM gone */
    ASSERT_EQ(c.rec[0].line, 2);
    ASSERT_STR_EQ(c.rec[1].url, "https://example.com/b"); /* trimmed */
    ASSERT_EQ(c.rec[1].line, 4);
    ASSERT_EQ(c.rec[2].line, 6);
    ASSERT_STR_EQ(c.rec[3].url, "https://example.com/d"); /* lone CR ends a line */
    ASSERT_EQ(c.rec[3].line, 7);
    ASSERT_STR_EQ(c.rec[4].url, "not a url at all");      /* raw: the caller judges */
    ASSERT_STR_EQ(c.rec[6].url, "https://example.com/e");  /* no final newline */
    ASSERT_EQ(c.rec[6].line, 10);
    ASSERT_EQ(c.nerr, 0);
    collect_free(&c);
    return 0;
}

TEST(text_long_line_and_nul)
{
    buf_t b;
    buf_init(&b, 0);
    buf_append_str(&b, "http://one.example/\nhttp://");
    for (int i = 0; i < IMPORT_MAX_LINE; i++)
        buf_append_str(&b, "y");
    static const char tail[] = "\nhttp://nul\0.example/\nhttp://two.example/\n";
    buf_append(&b, tail, sizeof(tail) - 1);
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_TEXT, b.data, b.len, 1000, NULL), IMPORT_OK);
    buf_free(&b);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[1].url, "http://two.example/");
    ASSERT_EQ(c.rec[1].line, 4);
    ASSERT_EQ(c.nerr, 2);
    ASSERT_EQ(c.err_line[0], 2);
    ASSERT(strstr(c.err[0], "longer") != NULL);
    ASSERT_EQ(c.err_line[1], 3);
    ASSERT(strstr(c.err[1], "NUL") != NULL);
    collect_free(&c);
    return 0;
}

/* ---- CSV ---- */

TEST(csv_edge_cases)
{
    collect_t c;
    import_format_t fmt;
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "edge.csv", &len);
    ASSERT_NOT_NULL(data);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_OK);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_CSV);
    ASSERT_EQ(c.n, 7);
    ASSERT_STR_EQ(c.rec[0].url, "https://example.com/1");
    ASSERT_EQ(c.rec[0].created, 1704164645000LL);
    ASSERT_STR_EQ(c.rec[1].title, "Comma, inside");
    ASSERT_STR_EQ(c.rec[1].tags, "b|c");
    ASSERT_STR_EQ(c.rec[1].desc, "desc");   /* "extended" is the description */
    ASSERT_EQ(c.rec[1].created, 1700000000000LL);
    ASSERT_STR_EQ(c.rec[2].title, "Doubled \"quotes\"");
    ASSERT_STR_EQ(c.rec[3].title, "Multi line title");
    ASSERT_STR_EQ(c.rec[3].desc, "two\nlines");
    ASSERT_EQ(c.rec[3].line, 5);            /* where the record starts */
    ASSERT_STR_EQ(c.rec[4].url, "https://example.com/6");
    ASSERT_EQ(c.rec[4].line, 10);
    ASSERT_STR_EQ(c.rec[5].url, "https://example.com/7");
    ASSERT_STR_EQ(c.rec[5].title, "spaced");
    ASSERT_EQ(c.rec[5].created, 1700000000000LL); /* ms by magnitude */
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 9);
    collect_free(&c);
    return 0;
}

TEST(csv_crlf_and_unterminated)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_DATA_DIR, "crlf.csv", IMPORT_FMT_CSV);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[0].title, "CR LF");
    ASSERT_EQ(c.rec[1].line, 4);
    collect_free(&c);
    RUN_FILE(&c, IMPORT_DATA_DIR, "unterminated.csv", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 3);
    ASSERT(strstr(c.err[0], "unterminated") != NULL);
    collect_free(&c);
    return 0;
}

TEST(csv_header_without_url)
{
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "nourl.csv", &len);
    ASSERT_NOT_NULL(data);
    collect_t c;
    import_format_t fmt;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_EFORMAT);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_CSV);
    ASSERT_EQ(c.n, 0);
    ASSERT_EQ(c.nerr, 1); /* one clear error, not one per row */
    ASSERT(strstr(c.err[0], "url column") != NULL);
    collect_free(&c);
    return 0;
}

/* ---- JSON ---- */

TEST(json_pinboard)
{
    collect_t c;
    RUN_FILE(&c, IMPORT_DATA_DIR, "pinboard.json", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 4);
    ASSERT_STR_EQ(c.rec[0].url, "https://pinboard.in/");
    ASSERT_STR_EQ(c.rec[0].title, "Pinboard");       /* description = title */
    ASSERT_STR_EQ(c.rec[0].desc, "bookmarking");     /* extended = description */
    ASSERT_STR_EQ(c.rec[0].tags, "bookmarks|social"); /* space-separated */
    ASSERT_EQ(c.rec[0].created, 1300056792000LL);
    ASSERT_STR_EQ(c.rec[1].url, "https://example.com/[brackets]");
    ASSERT_STR_EQ(c.rec[2].url, "https://bare-string.example/");
    ASSERT_EQ(c.rec[3].line, 6);
    ASSERT_EQ(c.nerr, 2);
    ASSERT_EQ(c.err_line[0], 3);
    ASSERT_EQ(c.err_line[1], 4);
    collect_free(&c);
    return 0;
}

TEST(json_linkding_and_karakeep)
{
    collect_t c;
    import_format_t fmt;
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "linkding.json", &len);
    ASSERT_NOT_NULL(data);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_OK);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_JSON);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[0].tags, "selfhosted|bookmarks");
    ASSERT_STR_EQ(c.rec[0].desc, "Self-hosted bookmark manager");
    ASSERT_EQ(c.rec[0].created, 1684059714123LL);
    ASSERT_EQ(c.rec[0].line, 5);
    ASSERT_STR_EQ(c.rec[1].title, "(null)");
    ASSERT_EQ(c.rec[1].created, 1684101600000LL); /* +02:00 */
    collect_free(&c);

    RUN_FILE(&c, IMPORT_DATA_DIR, "karakeep.json", IMPORT_FMT_AUTO);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR_EQ(c.rec[0].url, "https://karakeep.app/");
    ASSERT_STR_EQ(c.rec[0].tags, "ai|selfhosted");
    ASSERT_STR_EQ(c.rec[0].desc, "my note");
    ASSERT_EQ(c.rec[0].created, 1717000000000LL);
    ASSERT_STR_EQ(c.rec[1].url, "https://example.com/kk");
    ASSERT_EQ(c.nerr, 1); /* the text bookmark */
    ASSERT(strstr(c.err[0], "not a link") != NULL);
    collect_free(&c);
    return 0;
}

TEST(jsonl_generic)
{
    collect_t c;
    import_format_t fmt;
    size_t len;
    char *data = load(IMPORT_DATA_DIR, "generic.jsonl", &len);
    ASSERT_NOT_NULL(data);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_AUTO, data, len, 0, &fmt), IMPORT_OK);
    free(data);
    ASSERT_EQ(fmt, IMPORT_FMT_JSONL);
    ASSERT_EQ(c.n, 3);
    ASSERT_STR_EQ(c.rec[0].tags, "a|b");
    ASSERT_EQ(c.rec[0].created, 1706933106000LL);
    ASSERT_STR_EQ(c.rec[1].tags, "c|d");
    ASSERT_EQ(c.rec[1].created, 1700000000123LL);
    ASSERT_EQ(c.rec[1].line, 3);
    ASSERT_STR_EQ(c.rec[2].url, "https://example.com/j3");
    ASSERT_STR_EQ(c.rec[2].tags, "lbl");
    ASSERT_EQ(c.nerr, 3);
    ASSERT_EQ(c.err_line[0], 4);
    ASSERT_EQ(c.err_line[1], 5);
    ASSERT_EQ(c.err_line[2], 6);
    collect_free(&c);
    return 0;
}

TEST(json_truncated_and_bad_top)
{
    static const char cut[] = "[{\"url\":\"http://a.example/\"},\n{\"url\":\"http://b.ex";
    static const char top[] = "42";
    static const char noarr[] = "{\"count\": 1, \"next\": null}";
    collect_t c;
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_JSON, cut, sizeof(cut) - 1, 0, NULL), IMPORT_OK);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(c.nerr, 1);
    ASSERT_EQ(c.err_line[0], 2);
    collect_free(&c);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_JSON, top, 2, 0, NULL), IMPORT_EFORMAT);
    collect_free(&c);
    collect_init(&c);
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_JSON, noarr, sizeof(noarr) - 1, 0, NULL),
              IMPORT_EFORMAT);
    ASSERT_EQ(c.nerr, 1);
    collect_free(&c);
    return 0;
}

/* ---- detection, names, stop ---- */

TEST(detect_formats)
{
    static const struct {
        const char *in;
        import_format_t fmt;
    } cases[] = {
        {"http://a.example/\n", IMPORT_FMT_TEXT},
        {"# list\nhttp://a.example/,x\n", IMPORT_FMT_TEXT},
        {"\xef\xbb\xbf  <!DOCTYPE NETSCAPE-Bookmark-file-1>", IMPORT_FMT_NETSCAPE},
        {"URL\nhttp://a.example/\n", IMPORT_FMT_CSV},
        {"\"title\",\"href\"\n", IMPORT_FMT_CSV},
        {"name,tags\nx,y\n", IMPORT_FMT_CSV},
        {"[{\"url\":\"x\"}]", IMPORT_FMT_JSON},
        {"{\"url\":\"x\",\"tags\":[\"a\"]}\n{\"url\":\"y\"}\n", IMPORT_FMT_JSONL},
        {"{\"bookmarks\":[{\"url\":\"x\"}]}", IMPORT_FMT_JSON},
        {"{\"count\":1,\"results\":[{\"url\":\"x\"}]}", IMPORT_FMT_JSON},
        {"{\n  \"count\": 1\n}", IMPORT_FMT_JSON},
        {"", IMPORT_FMT_TEXT},
    };
    for (size_t i = 0; i < LS_TEST_LEN(cases); i++) {
        for (size_t chunk = 0; chunk <= 3; chunk += 3) {
            collect_t c;
            import_format_t fmt;
            collect_init(&c);
            collect_run(&c, IMPORT_FMT_AUTO, cases[i].in, strlen(cases[i].in), chunk, &fmt);
            collect_free(&c);
            ASSERT_MSG(fmt == cases[i].fmt, "case %zu (%s): got %s", i, cases[i].in,
                       import_format_name(fmt));
        }
    }
    return 0;
}

TEST(format_names)
{
    import_format_t f;
    for (int i = IMPORT_FMT_AUTO; i <= IMPORT_FMT_JSON; i++) {
        ASSERT_EQ(import_format_parse(import_format_name((import_format_t)i), &f), 0);
        ASSERT_EQ(f, i);
    }
    ASSERT_EQ(import_format_parse("HTML", &f), 0);
    ASSERT_EQ(f, IMPORT_FMT_NETSCAPE);
    ASSERT_EQ(import_format_parse("ndjson", &f), 0);
    ASSERT_EQ(f, IMPORT_FMT_JSONL);
    ASSERT_EQ(import_format_parse("xml", &f), -1);
    return 0;
}

TEST(stop_and_misuse)
{
    static const char in[] = "http://1/\nhttp://2/\nhttp://3/\nhttp://4/\n";
    collect_t c;
    collect_init(&c);
    c.stop_after = 2;
    ASSERT_EQ(collect_run(&c, IMPORT_FMT_TEXT, in, sizeof(in) - 1, 3, NULL), IMPORT_STOPPED);
    ASSERT_EQ(c.n, 2);
    collect_free(&c);

    import_parser_t *p = import_parser_new(IMPORT_FMT_TEXT, collect_entry_cb, NULL, &c);
    collect_init(&c);
    ASSERT_NOT_NULL(p);
    ASSERT_EQ(import_parser_feed(p, in, 10), IMPORT_OK);
    ASSERT_EQ(import_parser_finish(p), IMPORT_OK);
    ASSERT_EQ(c.n, 1);
    ASSERT_EQ(import_parser_feed(p, in, 10), IMPORT_EINVAL);
    import_parser_free(p);
    import_parser_free(NULL);
    collect_free(&c);
    return 0;
}

/* ---- chunk-split invariance ---- */

static int same_in_chunks(const char *name, const char *data, size_t len, import_format_t fmt)
{
    static const size_t sizes[] = {1, 2, 3, 7, 4096};
    collect_t ref;
    collect_init(&ref);
    collect_run(&ref, fmt, data, len, 0, NULL);
    for (size_t i = 0; i < LS_TEST_LEN(sizes); i++) {
        collect_t c;
        collect_init(&c);
        collect_run(&c, fmt, data, len, sizes[i], NULL);
        int same = c.canon.len == ref.canon.len &&
                   memcmp(c.canon.data, ref.canon.data, c.canon.len) == 0;
        if (!same)
            fprintf(stderr, "  %s (%s) differs in %zu-byte chunks:\n--- one feed\n%s--- chunked\n%s",
                    name, import_format_name(fmt), sizes[i], ref.canon.data, c.canon.data);
        collect_free(&c);
        if (!same) {
            collect_free(&ref);
            return 0;
        }
    }
    collect_free(&ref);
    return 1;
}

TEST(chunk_split_invariance)
{
    static const struct {
        const char *dir, *name;
    } files[] = {
        {IMPORT_FIREFOX_DIR, "firefox-preplaces.html"}, {IMPORT_FIREFOX_DIR, "firefox-corrupt.html"},
        {IMPORT_FIREFOX_DIR, "firefox-singleframe.html"}, {IMPORT_FIREFOX_DIR, "firefox-sync.html"},
        {IMPORT_FIREFOX_DIR, "firefox-localized.html"}, {IMPORT_DATA_DIR, "chrome.html"},
        {IMPORT_DATA_DIR, "safari.html"},           {IMPORT_DATA_DIR, "edge.html"},
        {IMPORT_DATA_DIR, "quirks.html"},           {IMPORT_DATA_DIR, "list.txt"},
        {IMPORT_DATA_DIR, "edge.csv"},              {IMPORT_DATA_DIR, "crlf.csv"},
        {IMPORT_DATA_DIR, "nourl.csv"},             {IMPORT_DATA_DIR, "unterminated.csv"},
        {IMPORT_DATA_DIR, "pinboard.json"},         {IMPORT_DATA_DIR, "linkding.json"},
        {IMPORT_DATA_DIR, "karakeep.json"},         {IMPORT_DATA_DIR, "generic.jsonl"},
    };
    static const char *const inline_inputs[] = {
        "<DL><DT><A HREF=\"http://e.example/?a=1&amp;b=2\">&#39;q&#39; &#x4e2d; \xe4\xb8\xad</A></DL>",
        "\xef\xbb\xbfhttp://bom.example/\r\nhttp://x/\r",
        "url,title\n\"http://q.example/\",\"a\"\"b\nc\"\n",
        "[{\"url\":\"http://a/\",\"title\":\"\\u00e9 ] }\"}, \"http://b/\"]",
    };
    for (size_t i = 0; i < LS_TEST_LEN(files); i++) {
        size_t len;
        char *data = load(files[i].dir, files[i].name, &len);
        ASSERT_MSG(data != NULL, "test data %s missing", files[i].name);
        int ok = same_in_chunks(files[i].name, data, len, IMPORT_FMT_AUTO);
        for (int f = IMPORT_FMT_TEXT; ok && f <= IMPORT_FMT_JSON; f++)
            ok = same_in_chunks(files[i].name, data, len, (import_format_t)f);
        free(data);
        ASSERT(ok);
    }
    for (size_t i = 0; i < LS_TEST_LEN(inline_inputs); i++)
        ASSERT(same_in_chunks("inline", inline_inputs[i], strlen(inline_inputs[i]),
                              IMPORT_FMT_AUTO));
    return 0;
}

/* ---- random input never crashes and never breaks the entry contract ---- */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(random_bytes)
{
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    char buf[4096];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = rnd(&seed) % sizeof(buf);
        /* half pure noise, half noise over the syntax characters */
        static const char syn[] = "<>\"'&;#=/ \n\r,{}[]:\\aAhH3DLTd-!x0";
        for (size_t i = 0; i < len; i++)
            buf[i] = iter % 2 ? (char)rnd(&seed) : syn[rnd(&seed) % (sizeof(syn) - 1)];
        for (int f = IMPORT_FMT_AUTO; f <= IMPORT_FMT_JSON; f++) {
            collect_t c;
            collect_init(&c);
            int rc = collect_run(&c, (import_format_t)f, buf, len, 1 + rnd(&seed) % 64, NULL);
            collect_free(&c);
            ASSERT(rc == IMPORT_OK || rc == IMPORT_EFORMAT);
            ASSERT_EQ(c.violations, 0);
        }
    }
    return 0;
}

TEST(mutated_exports)
{
    static const char *const names[] = {"chrome.html", "edge.csv", "pinboard.json",
                                        "generic.jsonl", "quirks.html"};
    uint64_t seed = 12345;
    for (size_t k = 0; k < LS_TEST_LEN(names); k++) {
        size_t len;
        char *orig = load(IMPORT_DATA_DIR, names[k], &len);
        ASSERT_NOT_NULL(orig);
        char *m = malloc(len + 1);
        ASSERT_NOT_NULL(m);
        for (int iter = 0; iter < 100; iter++) {
            memcpy(m, orig, len);
            for (int flips = 0; flips < 1 + iter % 8; flips++)
                m[rnd(&seed) % len] = (char)rnd(&seed);
            size_t cut = iter % 3 == 0 ? rnd(&seed) % len : len; /* truncated files too */
            collect_t c;
            collect_init(&c);
            int rc = collect_run(&c, IMPORT_FMT_AUTO, m, cut, 1 + rnd(&seed) % 16, NULL);
            collect_free(&c);
            ASSERT(rc == IMPORT_OK || rc == IMPORT_EFORMAT);
            ASSERT_EQ(c.violations, 0);
        }
        free(m);
        free(orig);
    }
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(firefox_preplaces),
    TEST_ENTRY(firefox_corrupt),
    TEST_ENTRY(firefox_singleframe),
    TEST_ENTRY(firefox_sync),
    TEST_ENTRY(firefox_localized),
    TEST_ENTRY(chrome_export),
    TEST_ENTRY(safari_export),
    TEST_ENTRY(edge_export_bom_crlf),
    TEST_ENTRY(netscape_quirks),
    TEST_ENTRY(netscape_entities),
    TEST_ENTRY(netscape_huge_icon_and_depth_cap),
    TEST_ENTRY(netscape_truncated),
    TEST_ENTRY(netscape_invalid_utf8_and_nul),
    TEST_ENTRY(caps_title_tags_url),
    TEST_ENTRY(text_list),
    TEST_ENTRY(text_long_line_and_nul),
    TEST_ENTRY(csv_edge_cases),
    TEST_ENTRY(csv_crlf_and_unterminated),
    TEST_ENTRY(csv_header_without_url),
    TEST_ENTRY(json_pinboard),
    TEST_ENTRY(json_linkding_and_karakeep),
    TEST_ENTRY(jsonl_generic),
    TEST_ENTRY(json_truncated_and_bad_top),
    TEST_ENTRY(detect_formats),
    TEST_ENTRY(format_names),
    TEST_ENTRY(stop_and_misuse),
    TEST_ENTRY(chunk_split_invariance),
    TEST_ENTRY(random_bytes),
    TEST_ENTRY(mutated_exports),
    TEST_END,
};

TEST_MAIN()
