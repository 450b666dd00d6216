/* main.c -- linksnap's process setup: locale for UTF-8 text, terminal detection (width,
 * colour unless NO_COLOR, progress), the default socket, then cli_run. Everything else is
 * in cli.c and commands.c so it can be tested without a process. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "jsonmem.h"

#define IDLE_MS 30000   /* --wait asks linksnapd again after this long without an event */

int main(int argc, char **argv)
{
    jsonmem_init();
    if (!setlocale(LC_CTYPE, ""))
        setlocale(LC_CTYPE, "C.UTF-8");
    char path[1024];
    client_default_socket(path, sizeof path);
    conn_socket_t sock;
    conn_socket_init(&sock, path);

    cli_t cli = {.conn = &sock.conn, .out = stdout, .err = stderr, .idle_ms = IDLE_MS};
    cli.tty = isatty(STDOUT_FILENO);
    cli.color = cli.tty && getenv("NO_COLOR") == NULL;
    cli.progress = isatty(STDERR_FILENO);
    struct winsize ws;
    cli.cols = 100;
    if (cli.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        cli.cols = ws.ws_col;

    int rc = cli_run(&cli, argc, argv);
    conn_socket_close(&sock);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_RPC;   /* a full disk or closed pipe must not look like success */
    exit(rc);
}
