/* cookies.c -- the Netscape cookies.txt parser (see cookies.h). Checks each field against
 * what a Cookie header can carry (RFC 6265 token names, values without ';', ',' quotes
 * aside, or control characters) so a rule never holds a cookie the browser would refuse
 * or one that smuggles a second header. */
#include "cookies.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

void cookies_list_free(cookies_list_t *l)
{
    for (size_t i = 0; l->v && i < l->n; i++) {
        free(l->v[i].domain);
        free(l->v[i].path);
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    free(l->errors);
    memset(l, 0, sizeof *l);
}

static int add_error(cookies_list_t *l, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int add_error(cookies_list_t *l, size_t line, const char *fmt, ...)
{
    l->error_count++;
    if (l->nerrors >= COOKIES_MAX_ERRORS)
        return COOKIES_OK;
    if (!l->errors && !(l->errors = calloc(COOKIES_MAX_ERRORS, sizeof *l->errors)))
        return COOKIES_ENOMEM;
    cookies_error_t *e = &l->errors[l->nerrors++];
    e->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    va_end(ap);
    return COOKIES_OK;
}

static int is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static int is_value_char(unsigned char c)
{
    /* cookie-octet plus space and comma, which browsers and exporters write anyway */
    return (c >= 0x20 && c != 0x7f && c != ';' && c != '"' && c != '\\') || c >= 0x80;
}

static int bool_field(const char *s, int *out)
{
    if (!strcmp(s, "TRUE") || !strcmp(s, "true")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "FALSE") || !strcmp(s, "false")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_line(cookies_list_t *l, char *line, size_t no, int64_t now_s, size_t *cap)
{
    int http_only = 0;
    if (line[0] == '#' && !strncmp(line + 1, "HttpOnly_", 9)) {
        http_only = 1;
        line += 10;
    } else if (line[0] == '#' || line[0] == 0) {
        return COOKIES_OK;
    }
    {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return COOKIES_OK;
    }
    char *f[8];
    int nf = 0;
    char *p = line;
    while (nf < 8) {
        f[nf++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = 0;
        p = tab + 1;
    }
    if (nf == 6) {         /* an empty value at the end of the line is still 7 fields */
        f[6] = (char *)"";
        nf = 7;
    }
    if (nf != 7)
        return add_error(l, no, "%d fields, expected 7 separated by TABs", nf);
    const char *domain = f[0], *path = f[2], *name = f[5], *value = f[6];
    int sub, secure;
    if (!*domain)
        return add_error(l, no, "empty domain");
    for (const char *c = domain; *c; c++)
        if (!(is_token_char((unsigned char)*c) || *c == ':' || *c == '[' || *c == ']') ||
            *c == '/')
            return add_error(l, no, "domain '%.40s' is not a host name", domain);
    if (bool_field(f[1], &sub))
        return add_error(l, no, "include-subdomains is '%.20s', expected TRUE or FALSE", f[1]);
    if (path[0] != '/')
        return add_error(l, no, "path '%.40s' does not start with '/'", path);
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == ';' || *c == 0x7f)
            return add_error(l, no, "path has a control character or ';'");
    if (bool_field(f[3], &secure))
        return add_error(l, no, "secure is '%.20s', expected TRUE or FALSE", f[3]);
    char *end;
    long long exp = strtoll(f[4], &end, 10);
    if (!*f[4] || *end || exp < 0)
        return add_error(l, no, "expiry '%.20s' is not a number of seconds", f[4]);
    if (exp != 0 && exp < now_s)
        return add_error(l, no, "cookie '%.40s' expired", name);
    if (!*name)
        return add_error(l, no, "empty cookie name");
    for (const char *c = name; *c; c++)
        if (!is_token_char((unsigned char)*c))
            return add_error(l, no, "cookie name '%.40s' has a character a cookie name cannot", name);
    size_t vl = strlen(value);
    if (vl > 4096)
        return add_error(l, no, "cookie '%.40s' has a value over 4096 bytes", name);
    if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
        for (size_t i = 1; i + 1 < vl; i++)
            if (!is_value_char((unsigned char)value[i]))
                return add_error(l, no, "cookie '%.40s' has a control character, ';', quote "
                                 "or backslash in its value", name);
    } else {
        for (const char *c = value; *c; c++)
            if (!is_value_char((unsigned char)*c))
                return add_error(l, no, "cookie '%.40s' has a control character, ';', quote "
                                 "or backslash in its value", name);
    }
    if (!util_utf8_valid(value, vl) || !util_utf8_valid(domain, strlen(domain)))
        return add_error(l, no, "cookie '%.40s' is not valid UTF-8", name);
    if (l->n >= COOKIES_MAX_COUNT)
        return add_error(l, no, "more than %d cookies", COOKIES_MAX_COUNT);
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        cookies_entry_t *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return COOKIES_ENOMEM;
        l->v = nv;
        *cap = nc;
    }
    cookies_entry_t *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->domain = strdup(domain);
    e->path = strdup(path);
    e->name = strdup(name);
    e->value = strdup(value);
    e->include_subdomains = sub;
    e->secure = secure;
    e->http_only = http_only;
    e->expires = exp;
    e->line = no;
    l->n++;       /* counted before the check so cookies_list_free frees what was made */
    if (!e->domain || !e->path || !e->name || !e->value)
        return COOKIES_ENOMEM;
    return COOKIES_OK;
}

int cookies_parse_netscape(const char *text, size_t len, int64_t now_s, cookies_list_t *out)
{
    memset(out, 0, sizeof *out);
    if (len > COOKIES_MAX_TEXT)
        return COOKIES_ETOOBIG;
    char *buf = malloc(len + 1);
    if (!buf)
        return COOKIES_ENOMEM;
    memcpy(buf, text, len);
    buf[len] = 0;
    size_t cap = 0, no = 0;
    int rc = COOKIES_OK;
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        no++;
        size_t linelen = (size_t)(stop - p);
        int has_nul = memchr(p, 0, linelen) != NULL;
        if (linelen && p[linelen - 1] == '\r')
            linelen--;
        p[linelen] = 0;
        if (has_nul)
            rc = add_error(out, no, "a NUL byte in the line");
        else
            rc = parse_line(out, p, no, now_s, &cap);
        if (rc)
            break;
        p = stop + 1;
    }
    free(buf);
    return rc;
}

/* An IPv4 dotted quad or a bracketed IPv6 literal: no name has it as a parent. */
static int is_ip_literal(const char *host)
{
    if (host[0] == '[')
        return 1;
    for (const char *c = host; *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == '.'))
            return 0;
    return 1;
}

int cookies_domain_within(const char *domain, const char *host, int subdomains)
{
    if (!domain || !host || !*host)
        return 0;
    if (*domain == '.')
        domain++;
    size_t dl = strlen(domain), hl = strlen(host);
    if (dl && domain[dl - 1] == '.')
        dl--;
    if (dl == 0)
        return 0;
    if (dl == hl && !strncasecmp(domain, host, hl))
        return 1;
    if (!subdomains || is_ip_literal(host) || dl <= hl + 1)
        return 0;
    /* "a.members.example" within "members.example": the tail matches and a dot precedes
     * it, so "evilmembers.example" does not */
    return domain[dl - hl - 1] == '.' && !strncasecmp(domain + dl - hl, host, hl);
}
