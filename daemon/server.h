/* server.h -- the control socket: accepts clients on a Unix stream socket, frames their
 * lines, runs requests through the method table in order, and writes replies back with
 * back-pressure. */
#ifndef LS_SERVER_H
#define LS_SERVER_H

#include <stddef.h>

#include "daemon.h"

typedef struct server server_t;

/* Listens on d->cfg.socket_path, or on listen_fd when >= 0 (socket activation). A stale
 * socket file is replaced; a live one is never stolen. */
server_t *server_new(daemon_t *d, int listen_fd, char *err, size_t errlen);
/* Stops accepting and reading; calls cb once every reply in flight is written and every
 * client is closed (or after a grace period). */
void server_close(server_t *s, void (*cb)(void *ud), void *ud);
size_t server_client_count(const server_t *s);

#endif
