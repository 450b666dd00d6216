/* test_http_auth.c -- the web server's token rules without a server (daemon/http_auth.c):
 * the right token is compared first and never throttled, wrong ones count against their
 * own client, and the table of clients stays bounded under a flood of addresses. Peers are
 * named here directly (kind and key), as http_auth names them from a socket. */
#include <stdlib.h>
#include <string.h>

#include "http_auth.h"
#include "test.h"

#define TOKEN "right-token-0123456789abcdef"

static http_auth_t *auth_new(void)
{
    http_auth_t *a = malloc(sizeof *a);
    char err[256];
    if (a && http_auth_init(a, "127.0.0.1", 8750, TOKEN, 0, err, sizeof err) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

static http_peer_t uid_peer(unsigned uid)
{
    http_peer_t p;
    http_auth_peer_init(&p, -1);
    p.named = 1;
    p.kind = HTTP_PEER_UID;
    memcpy(p.key, &uid, sizeof uid);
    return p;
}

static http_peer_t addr_peer(unsigned n)
{
    http_peer_t p;
    http_auth_peer_init(&p, -1);
    p.named = 1;
    p.kind = HTTP_PEER_ADDR;
    p.key[0] = 192;
    p.key[1] = 0;
    p.key[2] = (unsigned char)(n >> 8);
    p.key[3] = (unsigned char)n;
    return p;
}

TEST(right_token_is_never_throttled)
{
    http_auth_t *a = auth_new();
    ASSERT(a);
    http_peer_t nobody = uid_peer(65534), owner = uid_peer(1000);
    char session[65];
    for (int i = 0; i < HTTP_AUTH_FAIL_MAX; i++)
        ASSERT_EQ(http_auth_bearer(a, "Bearer wrong-wrong-wrong", &nobody), -1);
    /* the guesser's wrong tokens now wait, by every way in */
    ASSERT_EQ(http_auth_bearer(a, "Bearer wrong-wrong-wrong", &nobody), -2);
    ASSERT_EQ(http_auth_login(a, "still-wrong", &nobody, session), -2);
    /* the owner is another client: not throttled; and the right token goes through for
     * anyone, the throttled client too (a page in the owner's browser is the owner's uid) */
    ASSERT_EQ(http_auth_bearer(a, "Bearer owner-typo", &owner), -1);
    ASSERT_EQ(http_auth_bearer(a, "Bearer " TOKEN, &owner), 1);
    ASSERT_EQ(http_auth_bearer(a, "Bearer " TOKEN, &nobody), 1);
    ASSERT_EQ(http_auth_login(a, TOKEN, &nobody, session), 0);
    ASSERT_EQ(strlen(session), 64);
    char cookie[128];
    snprintf(cookie, sizeof cookie, "a=b; %s=%s", HTTP_AUTH_COOKIE, session);
    ASSERT_EQ(http_auth_allowed(a, cookie, NULL, &nobody), 1);
    ASSERT_EQ(http_auth_bearer(a, NULL, &nobody), 0);
    free(a);
    return 0;
}

TEST(token_compare_whatever_the_lengths)
{
    http_auth_t *a = auth_new();
    ASSERT(a);
    http_peer_t p = uid_peer(1);
    char session[65], longer[600];
    memset(longer, 'r', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, TOKEN, strlen(TOKEN));
    const char *wrong[] = {"", "r", "right-token-0123456789abcde", "right-token-0123456789abcdef0",
                           "Right-token-0123456789abcdef", longer};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        ASSERT_MSG(http_auth_login(a, wrong[i], &p, session) == -1, "'%.40s' let in", wrong[i]);
        http_peer_t fresh = uid_peer(100 + (unsigned)i);   /* never throttled by the loop */
        p = fresh;
    }
    ASSERT_EQ(http_auth_login(a, TOKEN, &p, session), 0);
    free(a);
    return 0;
}

TEST(short_tokens_refused)
{
    http_auth_t a;
    char err[256];
    /* 23 characters: too few to be safe when the right token is never throttled */
    ASSERT_EQ(http_auth_init(&a, "127.0.0.1", 8750, "abcdefghijklmnopqrstuvw", 0, err, sizeof err), -1);
    ASSERT(strstr(err, "at least 24"));
    ASSERT_EQ(http_auth_init(&a, "127.0.0.1", 8750, "abcdefghijklmnopqrstuvwx", 0, err, sizeof err), 0);
    return 0;
}

TEST(clients_table_is_bounded)
{
    http_auth_t *a = auth_new();
    ASSERT(a);
    http_peer_t guesser = uid_peer(4242), early = addr_peer(1);
    for (int i = 0; i < HTTP_AUTH_FAIL_MAX; i++)
        ASSERT_EQ(http_auth_bearer(a, "Bearer no-no-no-no", &guesser), -1);
    ASSERT_EQ(http_auth_bearer(a, "Bearer no-no-no-no", &early), -1);
    /* a flood of addresses, one wrong token each: the table fills (the guesser, early and
     * 254 more), then every newcomer shares the overflow entry, which is throttled after
     * HTTP_AUTH_FAIL_MAX of them */
    int counted = 0, throttled = 0;
    for (unsigned n = 2; n < 5000; n++) {
        http_peer_t p = addr_peer(n);
        int rc = http_auth_bearer(a, "Bearer flood-flood", &p);
        counted += rc == -1;
        throttled += rc == -2;
    }
    ASSERT_EQ(counted, HTTP_AUTH_CLIENTS - 2 + HTTP_AUTH_FAIL_MAX);
    ASSERT_EQ(throttled, 4998 - counted);
    /* nobody was pushed out: the guesser is still throttled, early still counted alone */
    ASSERT_EQ(http_auth_bearer(a, "Bearer no-no-no-no", &guesser), -2);
    ASSERT_EQ(http_auth_bearer(a, "Bearer no-no-no-no", &early), -1);
    /* and a newcomer with the right token is let in all the same */
    http_peer_t late = addr_peer(60000);
    ASSERT_EQ(http_auth_bearer(a, "Bearer " TOKEN, &late), 1);
    free(a);
    return 0;
}

TEST(unknown_peer_is_one_client)
{
    http_auth_t *a = auth_new();
    ASSERT(a);
    http_peer_t p, q = uid_peer(7);
    for (int i = 0; i < HTTP_AUTH_FAIL_MAX; i++) {
        http_auth_peer_init(&p, -1);   /* no socket: named "unknown" */
        ASSERT_EQ(http_auth_bearer(a, "Bearer unknown-unknown", &p), -1);
        ASSERT_EQ(p.kind, HTTP_PEER_UNKNOWN);
    }
    http_auth_peer_init(&p, -1);
    ASSERT_EQ(http_auth_bearer(a, "Bearer unknown-unknown", &p), -2);
    ASSERT_EQ(http_auth_bearer(a, "Bearer unknown-unknown", &q), -1);
    free(a);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(right_token_is_never_throttled),
    TEST_ENTRY(token_compare_whatever_the_lengths),
    TEST_ENTRY(short_tokens_refused),
    TEST_ENTRY(clients_table_is_bounded),
    TEST_ENTRY(unknown_peer_is_one_client),
    TEST_END,
};

TEST_MAIN()
