/* sockowner.c -- the owner of the local socket at the other end of a TCP connection (see
 * sockowner.h). First one NETLINK_SOCK_DIAG request naming the peer socket exactly (the
 * kernel answers from its hash tables: no dump, cost independent of how many sockets exist);
 * where netlink is refused (some sandboxes), a scan of /proc/net/tcp or tcp6, which lists
 * the same uid and inode beside each connection. Pure functions over the kernel's answers. */
#include "sockowner.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* An address and port in one form: IPv4-mapped IPv6 becomes IPv4. */
typedef struct {
    int family;            /* AF_INET or AF_INET6 */
    uint32_t addr[4];      /* as in the kernel's s_addr / s6_addr32: network-order bytes */
    uint16_t port;         /* host order */
} endpoint_t;

static int endpoint_from(const struct sockaddr *sa, endpoint_t *ep)
{
    memset(ep, 0, sizeof *ep);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        ep->family = AF_INET;
        memcpy(&ep->addr[0], &in->sin_addr, 4);
        ep->port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        ep->port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            ep->family = AF_INET;
            memcpy(&ep->addr[0], in6->sin6_addr.s6_addr + 12, 4);
        } else {
            ep->family = AF_INET6;
            memcpy(ep->addr, &in6->sin6_addr, 16);
        }
        return 0;
    }
    return -1;
}

int sockowner_is_loopback(const struct sockaddr *sa)
{
    endpoint_t ep;
    if (endpoint_from(sa, &ep) != 0)
        return 0;
    if (ep.family == AF_INET)
        return ((const uint8_t *)ep.addr)[0] == 127;
    static const uint8_t one[16] = {[15] = 1};
    return memcmp(ep.addr, one, 16) == 0;
}

/* ---- NETLINK_SOCK_DIAG ---------------------------------------------------------------- */

static int lookup_netlink(const endpoint_t *peer, const endpoint_t *local, sockowner_t *out)
{
    int rc = -1;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -2;   /* not allowed here: try /proc */
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST;   /* one socket, exactly: no dump */
    req.nh.nlmsg_seq = 1;
    req.r.sdiag_family = (uint8_t)peer->family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = ~0u;
    /* the peer's socket: its own end is the peer address, its far end is ours */
    req.r.id.idiag_sport = htons(peer->port);
    req.r.id.idiag_dport = htons(local->port);
    memcpy(req.r.id.idiag_src, peer->addr, sizeof req.r.id.idiag_src);
    memcpy(req.r.id.idiag_dst, local->addr, sizeof req.r.id.idiag_dst);
    req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)sizeof req) {
        rc = -2;
        goto done;
    }
    /* the kernel answers a single-socket request while handling the send: the reply is
     * queued by now, so this never waits on the loop */
    union {
        struct nlmsghdr nh;
        char bytes[8192];
    } ans;
    ssize_t n = recv(fd, &ans, sizeof ans, MSG_DONTWAIT);
    if (n < 0) {
        rc = -2;
        goto done;
    }
    for (struct nlmsghdr *h = &ans.nh; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            /* ENOENT: no such socket here (a remote peer); anything else: ask /proc */
            rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error == -ENOENT ? -1 : -2;
            goto done;
        }
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            out->uid = (uid_t)m->idiag_uid;
            out->inode = m->idiag_inode;
            rc = 0;
            goto done;
        }
    }
    rc = -2;
done:
    close(fd);
    return rc;
}

/* ---- /proc/net/tcp{,6} ------------------------------------------------------------------ */

/* "0100007F:1F90" (IPv4) or 32 hex digits then ":PORT" (IPv6): the kernel prints each
 * 32-bit word of the address as stored, so parsed words compare with s_addr / s6_addr32. */
static int parse_proc_endpoint(const char *s, int family, endpoint_t *ep)
{
    int words = family == AF_INET ? 1 : 4;
    memset(ep, 0, sizeof *ep);
    ep->family = family;
    for (int w = 0; w < words; w++) {
        unsigned v = 0;
        for (int i = 0; i < 8; i++, s++) {
            char c = *s;
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + (unsigned)d;
        }
        ep->addr[w] = v;
    }
    if (*s != ':')
        return -1;
    unsigned port;
    if (sscanf(s + 1, "%4x", &port) != 1)
        return -1;
    ep->port = (uint16_t)port;
    return 0;
}

static int same_endpoint(const endpoint_t *a, const endpoint_t *b)
{
    return a->family == b->family && a->port == b->port &&
           !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

static int lookup_proc(const endpoint_t *peer, const endpoint_t *local, sockowner_t *out)
{
    FILE *f = fopen(peer->family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", "re");
    if (!f)
        return -1;
    char line[512], la[64], ra[64];
    int rc = -1;
    if (!fgets(line, sizeof line, f))   /* the header */
        goto done;
    while (fgets(line, sizeof line, f)) {
        unsigned long uid;
        unsigned long long inode;
        endpoint_t l, r;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %63s %63s %*s %*s %*s %*s %lu %*s %llu", la, ra, &uid, &inode) != 4)
            continue;
        if (parse_proc_endpoint(la, peer->family, &l) != 0 ||
            parse_proc_endpoint(ra, peer->family, &r) != 0)
            continue;
        if (same_endpoint(&l, peer) && same_endpoint(&r, local)) {
            out->uid = (uid_t)uid;
            out->inode = inode;
            rc = 0;
            break;
        }
    }
done:
    fclose(f);
    return rc;
}

int sockowner_lookup(const struct sockaddr *local, const struct sockaddr *peer, sockowner_t *out)
{
    endpoint_t l, p;
    if (endpoint_from(local, &l) != 0 || endpoint_from(peer, &p) != 0 || l.family != p.family)
        return -1;
    memset(out, 0, sizeof *out);
    int rc = lookup_netlink(&p, &l, out);
    if (rc == -2)
        rc = lookup_proc(&p, &l, out);
    return rc == 0 ? 0 : -1;
}

int sockowner_lookup_proc(const struct sockaddr *local, const struct sockaddr *peer, sockowner_t *out)
{
    endpoint_t l, p;
    if (endpoint_from(local, &l) != 0 || endpoint_from(peer, &p) != 0 || l.family != p.family)
        return -1;
    memset(out, 0, sizeof *out);
    return lookup_proc(&p, &l, out);
}

int sockowner_of_peer(int fd, sockowner_t *out)
{
    struct sockaddr_storage l, p;
    socklen_t ll = sizeof l, pl = sizeof p;
    if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 || getpeername(fd, (struct sockaddr *)&p, &pl) != 0)
        return -1;
    return sockowner_lookup((struct sockaddr *)&l, (struct sockaddr *)&p, out);
}
