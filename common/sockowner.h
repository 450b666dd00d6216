/* sockowner.h -- who is at the other end of a TCP connection made on this machine.
 *
 * A connection accepted on a loopback listener was opened by some local process; the kernel
 * knows the uid (and the socket inode) of that peer socket. The egress proxy uses this so that
 * only our browser's connections are served, the web server so that wrong tokens are counted
 * per local user. The lookup is one NETLINK_SOCK_DIAG request for exactly that socket (no
 * dump), with a scan of /proc/net/tcp{,6} where netlink is not allowed.
 * Any thread; no state. */
#ifndef LS_SOCKOWNER_H
#define LS_SOCKOWNER_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef struct {
    uid_t uid;             /* owner of the peer's socket */
    uint64_t inode;        /* its inode (socket:[inode] in /proc/PID/fd), 0 if unknown */
} sockowner_t;

/* For the connected TCP socket fd (accepted by us): finds the local peer socket, the one
 * whose own address is fd's peer address and whose peer is fd's own address.
 * 0 and *out filled when found; -1 when the peer is not a socket of this machine's network
 * namespace (a remote peer), or the kernel would not say. */
int sockowner_of_peer(int fd, sockowner_t *out);

/* The same from the two addresses: local = our end, peer = the other end. */
int sockowner_lookup(const struct sockaddr *local, const struct sockaddr *peer, sockowner_t *out);

/* The /proc/net/tcp{,6} scan alone (the fallback), for tests: same contract. */
int sockowner_lookup_proc(const struct sockaddr *local, const struct sockaddr *peer, sockowner_t *out);

/* 1 when sa is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x). */
int sockowner_is_loopback(const struct sockaddr *sa);

#endif
