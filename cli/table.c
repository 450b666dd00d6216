/* table.c -- display width and aligned tables for the CLI. Widths come from our own
 * ranges (Unicode East Asian Width W/F, emoji presentation, combining marks), so output
 * does not depend on the locale or the libc; ANSI colour escapes take no columns. Knows
 * nothing of links or the daemon. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026, one column */
#define SGR_RESET "\033[0m"
#define MIN_CELL 8

typedef struct { unsigned lo, hi; } range_t;

/* Zero width: combining marks, zero-width spaces and joiners, variation selectors,
 * emoji skin-tone modifiers and tag characters (they join the character before). */
static const range_t zero_ranges[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
    {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},
    {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0900, 0x0902}, {0x093C, 0x093C},
    {0x0941, 0x0948}, {0x094D, 0x094D}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A},
    {0x0E47, 0x0E4E}, {0x1160, 0x11FF}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF},
    {0x302A, 0x302F}, {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF}, {0xE0000, 0xE0FFF},
};

/* Two columns: East Asian Wide and Fullwidth, and emoji shown as pictures. */
static const range_t wide_ranges[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC},
    {0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
    {0x2648, 0x2653}, {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1},
    {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26CE, 0x26CE},
    {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B},
    {0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755},
    {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E},
    {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
    {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F320},
    {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA},
    {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
    {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E},
    {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4},
    {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
    {0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static int in_ranges(unsigned cp, const range_t *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int table_cp_width(unsigned cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;   /* control characters print nothing we count */
    if (cp < 0x300)
        return 1;
    if (in_ranges(cp, zero_ranges, sizeof zero_ranges / sizeof zero_ranges[0]))
        return 0;
    if (in_ranges(cp, wide_ranges, sizeof wide_ranges / sizeof wide_ranges[0]))
        return 2;
    return 1;
}

/* Decodes one UTF-8 character at p (NUL-terminated). Returns its length in bytes; an
 * invalid byte decodes as U+FFFD of length 1. */
static size_t decode(const unsigned char *p, unsigned *cp)
{
    uint32_t v;
    size_t n = util_utf8_decode((const char *)p, strnlen((const char *)p, 4), &v);
    *cp = v;
    return n ? n : 1;
}

/* Length of an ANSI CSI escape ("ESC [ params final") at p, or 0. */
static size_t escape_len(const unsigned char *p)
{
    if (p[0] != 0x1B || p[1] != '[')
        return 0;
    size_t i = 2;
    while (p[i] && (p[i] < 0x40 || p[i] > 0x7E))
        i++;
    return p[i] ? i + 1 : i;
}

/* Width of the character at p given the one before (a ZWJ makes the next emoji part of
 * the same picture). *len gets its byte length. */
static int char_width(const unsigned char *p, unsigned prev, size_t *len, unsigned *cp)
{
    size_t e = escape_len(p);
    if (e) {
        *len = e;
        *cp = prev;   /* escapes are transparent */
        return 0;
    }
    *len = decode(p, cp);
    if (prev == 0x200D)
        return 0;
    return table_cp_width(*cp);
}

size_t table_width(const char *s)
{
    size_t w = 0;
    unsigned prev = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len;
        unsigned cp;
        w += (size_t)char_width(p, prev, &len, &cp);
        prev = cp;
        p += len;
    }
    return w;
}

void table_fit(const char *s, size_t cols, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t total = table_width(s), slen = strlen(s);
    if (total <= cols && slen < outlen) {
        memcpy(out, s, slen + 1);
        return;
    }
    /* room for the ellipsis and a reset after the kept text */
    size_t tail = sizeof ELLIPSIS - 1 + sizeof SGR_RESET - 1 + 1;
    if (cols == 0 || outlen <= tail) {
        out[0] = '\0';
        return;
    }
    size_t w = 0, o = 0;
    int coloured = 0;
    unsigned prev = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len;
        unsigned cp;
        int cw = char_width(p, prev, &len, &cp);
        if (w + (size_t)cw + 1 > cols || o + len + tail > outlen)
            break;
        if (escape_len(p))
            coloured = 1;
        memcpy(out + o, p, len);
        o += len;
        w += (size_t)cw;
        prev = cp;
        p += len;
    }
    memcpy(out + o, ELLIPSIS, sizeof ELLIPSIS - 1);
    o += sizeof ELLIPSIS - 1;
    if (coloured) {
        memcpy(out + o, SGR_RESET, sizeof SGR_RESET - 1);
        o += sizeof SGR_RESET - 1;
    }
    out[o] = '\0';
}

void table_layout(size_t *w, size_t n, int flex, size_t max_width, size_t min_width)
{
    if (!max_width || n == 0)
        return;
    size_t total = 2 * (n - 1);
    for (size_t c = 0; c < n; c++)
        total += w[c];
    while (total > max_width) {
        /* the flex column while it can give, then the widest that can */
        size_t pick = n;
        if (flex >= 0 && (size_t)flex < n && w[flex] > min_width)
            pick = (size_t)flex;
        if (pick == n)
            for (size_t c = 0; c < n; c++)
                if (w[c] > min_width && (pick == n || w[c] > w[pick]))
                    pick = c;
        if (pick == n)
            return;   /* nothing can give more: the line stays too long */
        size_t give = w[pick] - min_width, over = total - max_width;
        if (give > over)
            give = over;
        w[pick] -= give;
        total -= give;
    }
}

struct table {
    size_t ncols, nrows, cap;
    char **cells;   /* nrows * ncols, owned */
    char **notes;   /* nrows lines under the rows (NULL: none), owned */
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
    for (size_t i = 0; i < t->nrows; i++)
        free(t->notes[i]);
    free(t->cells);
    free(t->notes);
    free(t);
}

size_t table_rows(const table_t *t)
{
    return t->nrows;
}

int table_add(table_t *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->cells, nc * t->ncols * sizeof *n);
        if (!n)
            return -1;
        t->cells = n;
        char **notes = realloc(t->notes, nc * sizeof *notes);
        if (!notes)
            return -1;
        t->notes = notes;
        t->cap = nc;
    }
    t->notes[t->nrows] = NULL;
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "");
        if (!row[c]) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
        for (char *q = row[c]; *q; q++)   /* a cell is one line */
            if (*q == '\n' || *q == '\r' || *q == '\t')
                *q = ' ';
    }
    t->nrows++;
    return 0;
}

int table_note(table_t *t, const char *line)
{
    if (t->nrows == 0)
        return -1;
    char *copy = strdup(line);
    if (!copy)
        return -1;
    free(t->notes[t->nrows - 1]);
    t->notes[t->nrows - 1] = copy;
    return 0;
}

static void print_row(const char *const *cells, const size_t *w, size_t n, char *cut,
                      size_t cutlen, FILE *out)
{
    /* trailing empty cells print nothing, so lines end without blanks */
    size_t last = n;
    while (last > 0 && !*cells[last - 1])
        last--;
    for (size_t c = 0; c < last; c++) {
        table_fit(cells[c], w[c], cut, cutlen);
        fputs(cut, out);
        if (c + 1 < last)
            for (size_t k = table_width(cut); k < w[c] + 2; k++)
                fputc(' ', out);
    }
}

int table_print(const table_t *t, const char *const *header, int flex, size_t max_width,
                int color, FILE *out)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    size_t cutlen = 4096;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        if (strlen(t->cells[i]) + 16 > cutlen)
            cutlen = strlen(t->cells[i]) + 16;
    char *cut = malloc(cutlen);
    if (!w || !cut) {
        free(w);
        free(cut);
        return -1;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = table_width(header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = table_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    table_layout(w, t->ncols, flex, max_width, MIN_CELL);
    if (color)
        fputs("\033[1m", out);
    print_row(header, w, t->ncols, cut, cutlen, out);
    fputs(color ? SGR_RESET "\n" : "\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        print_row((const char *const *)t->cells + r * t->ncols, w, t->ncols, cut, cutlen, out);
        fputc('\n', out);
        if (t->notes[r]) {
            fputs(t->notes[r], out);
            fputc('\n', out);
        }
    }
    free(cut);
    free(w);
    return 0;
}
