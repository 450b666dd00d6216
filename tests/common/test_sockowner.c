/* test_sockowner.c -- the owner of a loopback peer socket, through netlink and through the
 * /proc fallback: our own connections, another user's (root only: a child that drops to
 * nobody connects), IPv6 loopback, and a pair of addresses nobody holds. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockowner.h"

/* A listener on the loopback of family fam; its address in *sa. */
static int listen_on(int fam, struct sockaddr_storage *sa, socklen_t *len)
{
    int fd = socket(fam, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(sa, 0, sizeof *sa);
    if (fam == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        *len = sizeof *in6;
    }
    if (bind(fd, (struct sockaddr *)sa, *len) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)sa, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int check_own(int fam)
{
    struct sockaddr_storage sa;
    socklen_t len;
    int lis = listen_on(fam, &sa, &len);
    if (lis < 0 && fam == AF_INET6)
        return 0;   /* no IPv6 loopback on this machine */
    ASSERT(lis >= 0);
    int cli = socket(fam, SOCK_STREAM, 0);
    ASSERT(cli >= 0);
    ASSERT_EQ(connect(cli, (struct sockaddr *)&sa, len), 0);
    int srv = accept(lis, NULL, NULL);
    ASSERT(srv >= 0);
    struct stat st;
    ASSERT_EQ(fstat(cli, &st), 0);
    sockowner_t o;
    ASSERT_EQ(sockowner_of_peer(srv, &o), 0);
    ASSERT_EQ((long)o.uid, (long)geteuid());
    ASSERT_EQ((long long)o.inode, (long long)st.st_ino);
    /* the /proc fallback says the same */
    struct sockaddr_storage l, p;
    socklen_t ll = sizeof l, pl = sizeof p;
    ASSERT_EQ(getsockname(srv, (struct sockaddr *)&l, &ll), 0);
    ASSERT_EQ(getpeername(srv, (struct sockaddr *)&p, &pl), 0);
    sockowner_t o2;
    ASSERT_EQ(sockowner_lookup_proc((struct sockaddr *)&l, (struct sockaddr *)&p, &o2), 0);
    ASSERT_EQ((long)o2.uid, (long)geteuid());
    ASSERT_EQ((long long)o2.inode, (long long)st.st_ino);
    ASSERT(sockowner_is_loopback((struct sockaddr *)&p));
    /* our own end is not somebody's peer: swapping the roles finds the client side's
     * peer, which is the accepted socket, also ours */
    ASSERT_EQ(sockowner_lookup((struct sockaddr *)&p, (struct sockaddr *)&l, &o), 0);
    ASSERT(o.inode != st.st_ino);
    close(cli);
    close(srv);
    close(lis);
    return 0;
}

TEST(own_connection_ipv4) { return check_own(AF_INET); }
TEST(own_connection_ipv6) { return check_own(AF_INET6); }

TEST(another_users_connection)
{
    if (geteuid() != 0) {
        fprintf(stderr, "  (not root: cannot connect as another user; checked only as ourselves)\n");
        return check_own(AF_INET);
    }
    struct sockaddr_storage sa;
    socklen_t len;
    int lis = listen_on(AF_INET, &sa, &len);
    ASSERT(lis >= 0);
    int go[2];
    ASSERT_EQ(pipe(go), 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {   /* nobody connects and waits to be told to go */
        char ch;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&sa, len) != 0)
            _exit(3);
        (void)!read(go[0], &ch, 1);
        _exit(0);
    }
    close(go[0]);
    int srv = accept(lis, NULL, NULL);
    ASSERT(srv >= 0);
    sockowner_t o;
    int rc = sockowner_of_peer(srv, &o);
    (void)!write(go[1], "x", 1);
    close(go[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ((long)o.uid, 65534L);
    close(srv);
    close(lis);
    return 0;
}

TEST(nobody_holds_the_pair)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1)};
    struct sockaddr_in b = {.sin_family = AF_INET, .sin_port = htons(2)};
    a.sin_addr.s_addr = htonl(0x7f000001);
    b.sin_addr.s_addr = htonl(0x7f000002);
    sockowner_t o;
    ASSERT_EQ(sockowner_lookup((struct sockaddr *)&a, (struct sockaddr *)&b, &o), -1);
    ASSERT_EQ(sockowner_lookup_proc((struct sockaddr *)&a, (struct sockaddr *)&b, &o), -1);
    struct sockaddr_in6 c = {.sin6_family = AF_INET6};
    ASSERT_EQ(sockowner_lookup((struct sockaddr *)&a, (struct sockaddr *)&c, &o), -1);   /* families differ */
    ASSERT(!sockowner_is_loopback((struct sockaddr *)&c));
    ASSERT(sockowner_is_loopback((struct sockaddr *)&b));
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(own_connection_ipv4),
    TEST_ENTRY(own_connection_ipv6),
    TEST_ENTRY(another_users_connection),
    TEST_ENTRY(nobody_holds_the_pair),
    TEST_END,
};
TEST_MAIN()
