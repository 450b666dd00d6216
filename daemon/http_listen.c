/* http_listen.c -- the web server's set-up from the config, before any libwebsockets
 * context exists: the address to bind (resolved once, probed for a bind), the access token
 * (given, from a file, or made at first start in the state dir) and whether TLS is wanted
 * (both files readable). http_check_config runs it all as a check at start. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_int.h"
#include "log.h"
#include "util.h"

/* The address to bind for http.listen's host: a literal stays as it is, a name
 * ("localhost") is resolved once at start (IPv4 first), so the listener is where the log
 * says it is, or linksnapd refuses to start. */
int http_listen_resolve(const char *host, char *out, size_t outlen, char *err, size_t errlen)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1) {
        snprintf(out, outlen, "%s", host);
        return 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "http.listen: cannot resolve '%s' (%s); give an address such as "
                 "127.0.0.1", host, rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    rc = getnameinfo(pick->ai_addr, pick->ai_addrlen, out, (socklen_t)outlen, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    if (rc != 0) {
        snprintf(err, errlen, "http.listen: cannot use the address of '%s' (%s)", host, gai_strerror(rc));
        return -1;
    }
    return 0;
}

/* Tries the bind lws will do (same SO_REUSEADDR), without listening. libwebsockets on a
 * foreign loop builds a context even when its listener cannot bind, and tearing that
 * context down unloads its libuv glue under handles libuv still runs (a wild jump): so a
 * busy address is found here, before any lws context exists. 0, or -1 with why. */
int http_listen_probe(const char *addr, int port, char *why, size_t whylen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, addr, &s4->sin_addr);
        sl = sizeof *s4;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&ss, sl);
    int e = errno;
    close(fd);
    if (rc == 0)
        return 0;
    snprintf(why, whylen, "%s", e == EADDRINUSE ? "the address is in use by another program"
                                : e == EADDRNOTAVAIL ? "it is not an address of this machine"
                                : e == EACCES ? "permission denied (a port below 1024 needs root)"
                                : strerror(e));
    return -1;
}

/* <state_dir>/http.token: read it, or make it at first start (32 random bytes, hex; 0600,
 * O_EXCL|O_NOFOLLOW). An existing one must be this user's own and private. */
static int token_auto(const char *state_dir, char *out, size_t outlen, char *err, size_t errlen)
{
    char path[UTIL_PATH_MAX];
    if (util_path(path, "%s/http.token", state_dir) != 0) {
        snprintf(err, errlen, "state dir %s: its path is too long", state_dir);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        unsigned char rnd[32];
        char hex[65];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
            snprintf(err, errlen, "no randomness for the web page's token");
            close(fd);
            unlink(path);
            return -1;
        }
        util_hex(rnd, sizeof rnd, hex);
        hex[64] = '\n';
        if (write(fd, hex, 65) != 65 || fsync(fd) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return -1;
        }
        close(fd);
        log_notice("made the web page's access token in %s (`linksnap web` prints the login address)",
                   path);
    } else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
        snprintf(err, errlen, "%s must be a regular file of this user with mode 0600; remove it "
                 "and linksnapd makes a new one", path);
        return -1;
    }
    return http_auth_read_token_file(path, out, outlen, err, errlen);
}

/* The token: http.token, else http.token_file, else the state dir's own (when state_dir is
 * NULL, a placeholder: the config check runs before the state dir exists). */
int http_token_resolve(const config_t *cfg, const char *state_dir, char *out, size_t outlen,
                         char *err, size_t errlen)
{
    if (cfg->http_token[0]) {
        snprintf(out, outlen, "%s", cfg->http_token);
        return 0;
    }
    if (cfg->http_token_file[0])
        return http_auth_read_token_file(cfg->http_token_file, out, outlen, err, errlen);
    if (!state_dir) {   /* a check only: the token made at start is 64 hex characters */
        snprintf(out, outlen, "%s", "made-at-start:0000000000000000000000000000000000000000000000000");
        return 0;
    }
    return token_auto(state_dir, out, outlen, err, errlen);
}

int http_tls_wanted(const config_t *cfg, char *err, size_t errlen)
{
    int c = cfg->http_tls_cert[0] != '\0', k = cfg->http_tls_key[0] != '\0';
    if (c != k) {
        snprintf(err, errlen, "http.tls_cert and http.tls_key go together: set both or neither");
        return -1;
    }
    const char *files[] = {cfg->http_tls_cert, cfg->http_tls_key};
    for (int i = 0; c && i < 2; i++) {
        if (access(files[i], R_OK) != 0) {
            snprintf(err, errlen, "%s: cannot read %s: %s", i ? "http.tls_key" : "http.tls_cert",
                     files[i], strerror(errno));
            return -1;
        }
    }
    return c;
}

int http_check_config(const config_t *cfg, char *err, size_t errlen)
{
    if (!strcmp(cfg->http_listen, "off"))
        return 0;
    char host[128], token[256];
    int port, tls;
    http_auth_t *a = malloc(sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    if (http_auth_parse_listen(cfg->http_listen, host, sizeof host, &port, err, errlen) != 0)
        goto out;
    if ((tls = http_tls_wanted(cfg, err, errlen)) < 0 ||
        http_auth_check_listener(host, port, tls, cfg->http_allow_plain, err, errlen) != 0)
        goto out;
    if (http_token_resolve(cfg, NULL, token, sizeof token, err, errlen) != 0)
        goto out;
    char addr[INET6_ADDRSTRLEN];
    if (http_listen_resolve(host, addr, sizeof addr, err, errlen) != 0)
        goto out;
    rc = http_auth_init(a, host, port, token, tls, err, errlen);
out:
    free(a);
    return rc;
}
