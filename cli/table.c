/* table.c -- display width and aligned tables for the CLI. Width comes from wcwidth(3) in
 * a UTF-8 locale (set by main), with East Asian wide and emoji ranges as two columns. */
#define _XOPEN_SOURCE 700
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static size_t decode(const unsigned char *p, unsigned *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    if ((p[0] & 0xE0) == 0xC0 && p[1]) { *cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu); return 2; }
    if ((p[0] & 0xF0) == 0xE0 && p[1] && p[2]) {
        *cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        return 3;
    }
    if ((p[0] & 0xF8) == 0xF0 && p[1] && p[2] && p[3]) {
        *cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

static int cp_width(unsigned cp)
{
    if (cp == 0)
        return 0;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    /* emoji blocks glibc may not know as wide */
    if ((cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
        (cp >= 0x1F680 && cp <= 0x1F6FF))
        return 2;
    int w = wcwidth((wchar_t)cp);
    if (w >= 0)
        return w;
    /* no locale data: CJK ranges by hand */
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t table_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        p += decode(p, &cp);
        w += (size_t)cp_width(cp);
    }
    return w;
}

void table_fit(const char *s, size_t cols, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    if (table_width(s) <= cols) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    size_t w = 0, o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        size_t k = decode(p, &cp);
        int cw = cp_width(cp);
        if (w + (size_t)cw + 1 > cols || o + k + 4 >= outlen)
            break;
        memcpy(out + o, p, k);
        o += k;
        w += (size_t)cw;
        p += k;
    }
    if (cols > 0 && o + 4 < outlen) {
        memcpy(out + o, "\xe2\x80\xa6", 3);   /* … */
        o += 3;
    }
    out[o] = '\0';
}

struct table {
    size_t ncols, nrows, cap;
    char **cells;   /* nrows * ncols */
};

table_t *table_new(size_t ncols)
{
    table_t *t = calloc(1, sizeof *t);
    if (t)
        t->ncols = ncols;
    return t;
}

void table_free(table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

int table_add(table_t *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->cells, nc * t->ncols * sizeof *n);
        if (!n)
            return -1;
        t->cells = n;
        t->cap = nc;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        char *v = strdup(cells[c] ? cells[c] : "");
        if (!v)
            return -1;
        /* a cell is one line: newlines and tabs become spaces */
        for (char *q = v; *q; q++)
            if (*q == '\n' || *q == '\r' || *q == '\t')
                *q = ' ';
        t->cells[t->nrows * t->ncols + c] = v;
    }
    t->nrows++;
    return 0;
}

static void print_cell(const char *s, size_t width, int last, FILE *out)
{
    fputs(s, out);
    if (!last)
        for (size_t w = table_width(s); w < width + 2; w++)
            fputc(' ', out);
}

void table_print(const table_t *t, const char *const *header, int flex, size_t max_width,
                 int color, FILE *out)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = table_width(header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = table_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    if (max_width && flex >= 0 && (size_t)flex < t->ncols) {
        size_t total = 0;
        for (size_t c = 0; c < t->ncols; c++)
            total += w[c] + 2;
        if (total > max_width) {
            size_t over = total - max_width;
            w[flex] = w[flex] > over + 8 ? w[flex] - over : 8;
        }
    }
    char cut[4096];
    if (color)
        fputs("\033[1m", out);
    for (size_t c = 0; c < t->ncols; c++)
        print_cell(header[c], w[c], c + 1 == t->ncols, out);
    fputs(color ? "\033[0m\n" : "\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            table_fit(t->cells[r * t->ncols + c], w[c], cut, sizeof cut);
            print_cell(cut, w[c], c + 1 == t->ncols, out);
        }
        fputc('\n', out);
    }
    free(w);
}
