/* util.c -- time, RFC 3339, UTF-8, base64, private directories and the atomic file write:
 * small helpers used across modules, with no state of their own. */
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t util_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

char *util_format_rfc3339(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return out;
}

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int util_parse_time(const char *s, int64_t *ms)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    /* all digits (optionally with a fraction): seconds since the epoch */
    char *end;
    double secs = strtod(s, &end);
    if (end != s && *end == '\0' && isdigit((unsigned char)s[0])) {
        if (secs < 0 || secs > 32503680000.0) /* year 3000 */
            return -1;
        *ms = (int64_t)(secs * 1000.0);
        return 0;
    }
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0;
    if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
        parse_digits(&p, 2, &d))
        return -1;
    int64_t offset_s = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100;
                while (isdigit((unsigned char)*p)) {
                    frac_ms += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (parse_digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && parse_digits(&p, 2, &om))
                return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - offset_s) * 1000 + frac_ms;
    return 0;
}

size_t util_utf8_decode(const char *s, size_t avail, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    *cp = UTIL_UTF8_REPLACEMENT;
    if (avail == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;          /* continuation bytes */
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1; v = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2; v = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    /* each continuation byte is checked before the next is read: a NUL ends a sequence,
     * so NUL-terminated text may pass a generous avail */
    for (size_t i = 1; i <= n; i++) {
        if (i >= avail || (p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n + 1;
}

size_t util_utf8_encode(uint32_t cp, char out[4])
{
    unsigned char *o = (unsigned char *)out;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = UTIL_UTF8_REPLACEMENT;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *e)
{
    uint32_t cp;
    return util_utf8_decode((const char *)p, (size_t)(e - p), &cp);
}

int util_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    while (p < e) {
        size_t n = utf8_seq(p, e);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

size_t util_utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s, *e = p + strlen(s);
    size_t bad = 0;
    while (p < e) {
        size_t n = utf8_seq(p, e);
        if (n == 0) {
            *p = '?';
            bad++;
            n = 1;
        }
        p += n;
    }
    return bad;
}

size_t util_utf8_prefix(const char *s, size_t len, size_t max)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    size_t off = 0;
    while (off < len) {
        size_t n = utf8_seq(p + off, e);
        if (n == 0)
            n = 1;   /* an invalid byte on its own: cutting after it splits nothing */
        if (off + n > max)
            break;
        off += n;
    }
    return off;
}

char *util_utf8_repair(const char *s, size_t len, size_t *replaced)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    size_t bad = 0;
    for (const unsigned char *q = p; q < e;) {
        size_t n = utf8_seq(q, e);
        bad += n == 0;
        q += n ? n : 1;
    }
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len + bad * 2 + 1);   /* each bad byte (1) becomes U+FFFD (3) */
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *q = p; q < e;) {
        size_t n = utf8_seq(q, e);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            q++;
            continue;
        }
        memcpy(out + o, q, n);
        o += n;
        q += n;
    }
    out[o] = '\0';
    if (replaced)
        *replaced = bad;
    return out;
}

char *util_text_safe(const char *s, int keep_newlines)
{
    size_t len = strlen(s);
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *q = p; q < e;) {
        size_t n = utf8_seq(q, e);
        /* C0 controls, DEL, C1 controls (U+0080-U+009F) and broken bytes: a terminal could
         * act on them (ESC ] 0; sets the window title, CSI moves the cursor) */
        int ctl = n == 0 || (n == 1 && (*q < 0x20 || *q == 0x7f) &&
                             !(keep_newlines && (*q == '\n' || *q == '\t'))) ||
                  (n == 2 && q[0] == 0xC2 && q[1] < 0xA0);
        if (ctl) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            q += n ? n : 1;
            continue;
        }
        memcpy(out + o, q, n);
        o += n;
        q += n;
    }
    out[o] = '\0';
    return out;
}

uint64_t util_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

void util_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int util_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *util_base64_encode(const void *in, size_t n)
{
    const unsigned char *p = in;
    if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
        return NULL;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Screenshots arrive as tens of MB of base64: a comparison per character, not a search. */
long util_base64_decode(const char *in, size_t len, unsigned char *out)
{
    while (len && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

int util_private_dir(const char *path, int create, unsigned mask, char *err, size_t errlen)
{
    if (create && mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0) {
        snprintf(err, errlen, "cannot use %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory (a symlink or a file is refused there)", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s belongs to uid %u, not to this user (uid %u): another user may "
                 "have made it first; remove it or choose another path", path,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & mask) {
        snprintf(err, errlen, "%s has mode %04o; it must not be open to others (chmod %04o it)",
                 path, (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 07777 & ~mask));
        return -1;
    }
    return 0;
}

int util_fallback_dir_check(const char *path, int create, char *err, size_t errlen)
{
    char root[64];
    int n = snprintf(root, sizeof root, "/tmp/linksnap-%u", (unsigned)geteuid());
    if (strncmp(path, root, (size_t)n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return 0;
    return util_private_dir(root, create, 077, err, errlen);
}

/* ---- files -------------------------------------------------------------------------- */

int util_path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, UTIL_PATH_MAX, fmt, ap);
    va_end(ap);
    return n < 0 || n >= UTIL_PATH_MAX ? -ENAMETOOLONG : 0;
}

int util_mkdir_p(const char *path, unsigned mode)
{
    char tmp[UTIL_PATH_MAX];
    if (util_path(tmp, "%s", path) != 0)
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char dir[UTIL_PATH_MAX];
    if (util_path(dir, "%s", path) != 0)
        return -1;
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[UTIL_PATH_MAX];
    if (util_path(tmp, "%s.tmp", path) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return fsync_dir_of(path);
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}
