/* util.h -- small helpers shared by every module: wall-clock time, RFC 3339, UTF-8, private
 * directories, the atomic file write, hex and base64. */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define LS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t util_now_ms(void);
/* Monotonic milliseconds, for deadlines and durations. */
uint64_t util_mono_ms(void);

/* Formats ms since the epoch as RFC 3339 UTC with millisecond precision
 * ("2026-11-25T10:00:00.123Z"). out must hold 32 bytes. Returns out. */
char *util_format_rfc3339(int64_t ms, char out[32]);
/* Parses RFC 3339 / ISO 8601 ("2026-11-25T10:00:00Z", "...+08:00", "2026-11-25") or a
 * number of seconds since the epoch. Returns 0 and sets *ms, or -1. */
int util_parse_time(const char *s, int64_t *ms);

/* The one UTF-8 decoder. Decodes the character at s[0..avail): returns its length (1-4)
 * and sets *cp, or returns 0 and sets *cp to U+FFFD when the bytes there are not a
 * character (a stray or invalid lead byte, an overlong form, a surrogate, past U+10FFFF,
 * cut short). Callers that replace skip one byte on 0. NUL decodes as U+0000. */
#define UTIL_UTF8_REPLACEMENT 0xFFFDu
size_t util_utf8_decode(const char *s, size_t avail, uint32_t *cp);
/* Writes cp as UTF-8 into out; returns the byte count (1-4). A value that is not a
 * Unicode scalar (a surrogate, past U+10FFFF) is written as U+FFFD. */
size_t util_utf8_encode(uint32_t cp, char out[4]);

/* Returns 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int util_utf8_valid(const char *s, size_t len);
/* Replaces, in place, every byte of the NUL-terminated s that is not part of valid UTF-8
 * by '?' (a message cut to its buffer, a parser's error quoting raw input). Returns how
 * many bytes it replaced. */
size_t util_utf8_scrub(char *s);

/* The longest prefix of s[0..len), at most max bytes, that does not end inside a UTF-8
 * character (a title cut to a column, a buffer's size). */
size_t util_utf8_prefix(const char *s, size_t len, size_t max);
/* A NUL-terminated copy of s[0..len) with every byte that is not part of valid UTF-8
 * replaced by U+FFFD; *replaced (may be NULL) counts them. malloc'ed; NULL out of memory. */
char *util_utf8_repair(const char *s, size_t len, size_t *replaced);
/* A copy of s safe for a terminal: C0 controls (but '\n' and '\t' when keep_newlines),
 * DEL, C1 controls and broken UTF-8 become U+FFFD. malloc'ed; NULL out of memory. */
char *util_text_safe(const char *s, int keep_newlines);

/* Checks (and with create, first makes, mode 0700) a directory that must be this user's
 * own: lstat, a real directory (not a symlink), owned by the effective uid, and no mode
 * bit of `mask` set (077: private; 022: nobody else may write). Returns 0, or -1 with err
 * saying what is wrong and what to do. */
int util_private_dir(const char *path, int create, unsigned mask, char *err, size_t errlen);

/* When path lies in the fallback directory /tmp/linksnap-EUID (no XDG_RUNTIME_DIR, no
 * HOME), checks that directory as util_private_dir(.., 077) does -- anyone may create a
 * name in /tmp first -- making it first with create. Other paths: 0 at once. */
int util_fallback_dir_check(const char *path, int create, char *err, size_t errlen);

/* The one size of a path buffer: a state dir or any configured path (4096 bytes with its
 * NUL, config.c) and the names the daemon puts under it fit. */
#define UTIL_PATH_MAX 4608
/* snprintf into a path buffer of UTIL_PATH_MAX bytes that says when the result did not
 * fit: 0, or -ENAMETOOLONG (out then holds a cut path nobody may use). */
int util_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* mkdir -p: makes path and its missing parents, parents 0755 and path itself with mode
 * (an existing one is left as it is). 0, or -errno (-ENAMETOOLONG when path does not fit
 * UTIL_PATH_MAX). */
int util_mkdir_p(const char *path, unsigned mode);

/* Writes data to path atomically and durably (path.tmp, fsync, rename, fsync of the
 * directory): a reader sees the old file or the new one, never a part. Returns 0 or -1
 * with errno set (nothing is left at path.tmp). */
int util_write_file_atomic(const char *path, const void *data, size_t len);

/* The 64-bit FNV-1a hash of n bytes: a cheap name for content (an ETag, a file name), not
 * a defence against anyone choosing the bytes. */
uint64_t util_fnv1a64(const void *data, size_t n);

/* Lower-hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other byte (c as an unsigned
 * char's value, or a plain char: a negative one is not a digit). */
int util_hexval(int c);

/* Standard base64 (RFC 4648, with padding) of n bytes, NUL-terminated and malloc'ed;
 * NULL when out of memory. */
char *util_base64_encode(const void *in, size_t n);
/* Decodes base64 text (padding optional, no whitespace) into out, which holds at least
 * len / 4 * 3 + 3 bytes; returns the byte count, or -1 for anything not base64. */
long util_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
