/* log.c -- leveled logging to stderr. One line per message, prefixed with the syslog
 * level in angle brackets so that journald (and anything reading sd-daemon(3) prefixes)
 * keeps the level. The level is the only state; it is set from main/reload only. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int log_level = LOG_LVL_INFO;

void log_set_level(int level) { atomic_store(&log_level, level); }
int log_get_level(void) { return atomic_load(&log_level); }

int log_parse_level(const char *name)
{
    static const struct { const char *name; int level; } names[] = {
        {"error", LOG_LVL_ERR}, {"err", LOG_LVL_ERR}, {"warning", LOG_LVL_WARNING},
        {"warn", LOG_LVL_WARNING}, {"notice", LOG_LVL_NOTICE}, {"info", LOG_LVL_INFO},
        {"debug", LOG_LVL_DEBUG},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].level;
    return -1;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > atomic_load(&log_level))
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "<%d>", level);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    /* one message, one line: fold embedded newlines so a log line cannot be forged */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
