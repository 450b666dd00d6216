/* log.h -- leveled logging to stderr with syslog prefixes ("<6>") so journald keeps levels. */
#ifndef LS_LOG_H
#define LS_LOG_H

enum { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Set once at start (and on reload); messages above the level are dropped. */
void log_set_level(int level);
int log_get_level(void);
/* Parses "error|warning|notice|info|debug"; returns -1 if unknown. */
int log_parse_level(const char *name);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
