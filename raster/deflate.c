/* deflate.c -- a fast zlib-stream encoder for drawn images (RFC 1950 and 1951, written
 * from the RFCs). Greedy LZ77 whose first candidates are the byte one row above and the
 * pixel on the left -- a chart's white runs and repeated rows are found in one compare of
 * 258 bytes instead of being hashed byte by byte -- then one 4-byte hash slot for the rest
 * (glyphs, repeated edges); dynamic Huffman blocks of up to 64 Ki tokens, each stored
 * instead when that is smaller. Knows nothing of PNG; pngenc.c frames it. */
#include "deflate.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#define TOKENS_MAX (1u << 16)
#define HASH_BITS 14
#define WINDOW 32768u
#define MAX_MATCH 258u
#define NLIT 286  /* literal/length symbols: 0-255, end of block 256, lengths 257-285 */
#define NDIST 30
#define NCL 19    /* code-length symbols */
#define STORED_MAX 65535u

/* A token is a literal byte, or a match: bit 31 | (length - 3) << 15 | (distance - 1). */
#define MATCH_BIT 0x80000000u

size_t raster_deflate_bound(size_t n)
{
    /* Every block costs at most its stored form: 5 bytes (+1 of padding) a 65535-byte
     * piece; blocks close at 64 Ki tokens of at least a byte each. */
    return n + 12 * (n / STORED_MAX + 2) + 16;
}

/* ---- bits out, least significant first ------------------------------------------------- */

typedef struct {
    uint8_t *p, *end;
    uint64_t acc;
    unsigned n;
    int over;
} bits_t;

static inline void put(bits_t *b, uint32_t v, unsigned n)
{
    b->acc |= (uint64_t)v << b->n;
    b->n += n;
    if (b->n >= 32) {
        if (b->end - b->p >= 4) {
            b->p[0] = (uint8_t)b->acc;
            b->p[1] = (uint8_t)(b->acc >> 8);
            b->p[2] = (uint8_t)(b->acc >> 16);
            b->p[3] = (uint8_t)(b->acc >> 24);
            b->p += 4;
        } else {
            b->over = 1;
        }
        b->acc >>= 32;
        b->n -= 32;
    }
}

/* Pads to a byte boundary and writes out every whole byte held. */
static void align(bits_t *b)
{
    b->n = (b->n + 7) & ~7u;
    while (b->n) {
        if (b->p < b->end)
            *b->p++ = (uint8_t)b->acc;
        else
            b->over = 1;
        b->acc >>= 8;
        b->n -= 8;
    }
}

/* ---- symbols --------------------------------------------------------------------------- */

static inline unsigned top_bit(uint32_t x)
{
    return 31u - (unsigned)__builtin_clz(x);
}

/* Length 3..258 to its symbol, extra bit count and extra value. */
static inline unsigned len_sym(unsigned len, unsigned *eb, unsigned *ev)
{
    unsigned x = len - 3;
    if (len == MAX_MATCH) {
        *eb = *ev = 0;
        return 285;
    }
    if (x < 8) {
        *eb = *ev = 0;
        return 257 + x;
    }
    unsigned b = top_bit(x);
    *eb = b - 2;
    *ev = x & ((1u << *eb) - 1);
    return 257 + 4 * (b - 1) + ((x >> (b - 2)) & 3);
}

/* Distance 1..32768 to its symbol, extra bit count and extra value. */
static inline unsigned dist_sym(unsigned dist, unsigned *eb, unsigned *ev)
{
    unsigned x = dist - 1;
    if (x < 4) {
        *eb = *ev = 0;
        return x;
    }
    unsigned b = top_bit(x);
    *eb = b - 1;
    *ev = x & ((1u << *eb) - 1);
    return 2 * b + ((x >> (b - 1)) & 1);
}

static unsigned len_extra_bits(unsigned sym)
{
    return sym < 265 || sym == 285 ? 0 : (sym - 261) / 4;
}

static unsigned dist_extra_bits(unsigned sym)
{
    return sym < 4 ? 0 : sym / 2 - 1;
}

/* ---- Huffman codes --------------------------------------------------------------------- */

static int key_cmp_cb(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Code lengths of at most maxlen bits for the n symbols of freq (every used symbol gets
 * one; at least two must be used). A tree too deep is rebuilt from halved counts. */
static void huff_lengths(const uint32_t *freq, int n, unsigned maxlen, uint8_t *len)
{
    uint32_t f[NLIT], w[2 * NLIT];
    uint64_t key[NLIT];
    uint16_t parent[2 * NLIT];
    uint16_t depth[2 * NLIT];
    memcpy(f, freq, (size_t)n * sizeof *f);
    memset(len, 0, (size_t)n);
    for (;;) {
        int m = 0;
        for (int s = 0; s < n; s++)
            if (f[s])
                key[m++] = (uint64_t)f[s] << 16 | (unsigned)s;
        qsort(key, (size_t)m, sizeof *key, key_cmp_cb);
        for (int i = 0; i < m; i++)
            w[i] = (uint32_t)(key[i] >> 16);
        /* Two queues: the sorted leaves, and the inner nodes, made in increasing weight. */
        int leaf = 0, inner = m, next = m;
        for (int k = 0; k < m - 1; k++) {
            int pick[2];
            for (int j = 0; j < 2; j++)
                pick[j] = inner < next && (leaf >= m || w[inner] < w[leaf]) ? inner++ : leaf++;
            w[next] = w[pick[0]] + w[pick[1]];
            parent[pick[0]] = parent[pick[1]] = (uint16_t)next;
            next++;
        }
        depth[next - 1] = 0;
        unsigned deepest = 0;
        for (int i = next - 2; i >= 0; i--) {
            depth[i] = (uint16_t)(depth[parent[i]] + 1);
            if (i < m && depth[i] > deepest)
                deepest = depth[i];
        }
        if (deepest <= maxlen) {
            for (int i = 0; i < m; i++)
                len[key[i] & 0xffff] = (uint8_t)depth[i];
            return;
        }
        for (int s = 0; s < n; s++)
            if (f[s])
                f[s] = (f[s] >> 1) | 1;
    }
}

/* Canonical codes for len, bit-reversed for writing least significant bit first. */
static void huff_codes(const uint8_t *len, int n, uint16_t *code)
{
    unsigned count[16] = {0}, next[16];
    for (int s = 0; s < n; s++)
        count[len[s]]++;
    count[0] = 0;
    unsigned c = 0;
    for (int bits = 1; bits < 16; bits++) {
        c = (c + count[bits - 1]) << 1;
        next[bits] = c;
    }
    for (int s = 0; s < n; s++) {
        if (!len[s])
            continue;
        unsigned v = next[len[s]]++, r = 0;
        for (unsigned k = 0; k < len[s]; k++, v >>= 1)
            r = r << 1 | (v & 1);
        code[s] = (uint16_t)r;
    }
}

/* Makes sure at least two symbols are used: a lone code would be incomplete. */
static void two_used(uint32_t *freq, int n)
{
    int used = 0;
    for (int s = 0; s < n && used < 2; s++)
        used += freq[s] != 0;
    for (int s = 0; s < n && used < 2; s++)
        if (!freq[s]) {
            freq[s] = 1;
            used++;
        }
}

/* ---- blocks ---------------------------------------------------------------------------- */

static void write_stored(bits_t *b, const uint8_t *raw, size_t n, int final)
{
    do {
        size_t k = n < STORED_MAX ? n : STORED_MAX;
        put(b, final && k == n, 1);
        put(b, 0, 2);
        align(b);
        put(b, (uint32_t)k, 16);
        put(b, (uint32_t)k ^ 0xffffu, 16);
        align(b);
        if (b->end - b->p >= (ptrdiff_t)k) {
            memcpy(b->p, raw, k);
            b->p += k;
        } else {
            b->over = 1;
        }
        raw += k;
        n -= k;
    } while (n);
}

/* Writes the tokens of one block (covering raw, n bytes) with their own Huffman codes, or
 * raw stored when that is not larger. lf and df are the block's symbol counts. */
static void write_block(bits_t *b, const uint32_t *tok, size_t ntok, const uint8_t *raw, size_t n,
                        uint32_t *lf, uint32_t *df, int final)
{
    static const uint8_t order[NCL] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    uint8_t llen[NLIT], dlen[NDIST], cllen[NCL], lens[NLIT + NDIST];
    uint16_t lcode[NLIT], dcode[NDIST], clcode[NCL];
    uint16_t rle[NLIT + NDIST]; /* code-length symbol | extra value << 5 */
    uint32_t clf[NCL] = {0};

    lf[256] = 1;
    two_used(lf, NLIT);
    two_used(df, NDIST);
    huff_lengths(lf, NLIT, 15, llen);
    huff_lengths(df, NDIST, 15, dlen);
    int hlit = NLIT, hdist = NDIST;
    while (hlit > 257 && !llen[hlit - 1])
        hlit--;
    while (hdist > 1 && !dlen[hdist - 1])
        hdist--;
    memcpy(lens, llen, (size_t)hlit);
    memcpy(lens + hlit, dlen, (size_t)hdist);

    /* The lengths run-length coded: 16 repeats the last 3-6 times, 17 and 18 are 3-10
     * and 11-138 zeros. */
    int total = hlit + hdist, nrle = 0;
    for (int i = 0; i < total;) {
        int v = lens[i], run = 1;
        while (i + run < total && lens[i + run] == v)
            run++;
        i += run;
        if (!v) {
            while (run >= 11) {
                int r = run < 138 ? run : 138;
                rle[nrle++] = (uint16_t)(18 | (r - 11) << 5);
                run -= r;
            }
            if (run >= 3) {
                rle[nrle++] = (uint16_t)(17 | (run - 3) << 5);
                run = 0;
            }
        } else {
            rle[nrle++] = (uint16_t)v;
            run--;
            while (run >= 3) {
                int r = run < 6 ? run : 6;
                rle[nrle++] = (uint16_t)(16 | (r - 3) << 5);
                run -= r;
            }
        }
        while (run-- > 0)
            rle[nrle++] = (uint16_t)v;
    }
    for (int i = 0; i < nrle; i++)
        clf[rle[i] & 31]++;
    two_used(clf, NCL);
    huff_lengths(clf, NCL, 7, cllen);
    int hclen = NCL;
    while (hclen > 4 && !cllen[order[hclen - 1]])
        hclen--;

    /* Exact size of the dynamic block (the padding counts above make it an upper bound);
     * against the stored form with the most padding. */
    static const uint8_t cl_extra[NCL] = {[16] = 2, [17] = 3, [18] = 7};
    uint64_t dyn = 3 + 5 + 5 + 4 + 3 * (uint64_t)hclen;
    for (int i = 0; i < nrle; i++)
        dyn += cllen[rle[i] & 31] + cl_extra[rle[i] & 31];
    for (int s = 0; s < NLIT; s++)
        dyn += (uint64_t)lf[s] * (llen[s] + (s > 256 ? len_extra_bits((unsigned)s) : 0));
    for (int s = 0; s < NDIST; s++)
        dyn += (uint64_t)df[s] * (dlen[s] + dist_extra_bits((unsigned)s));
    uint64_t stored = ((uint64_t)n / STORED_MAX + 1) * (3 + 7 + 32) + 8 * (uint64_t)n;
    if (stored <= dyn) {
        write_stored(b, raw, n, final);
        return;
    }

    huff_codes(llen, NLIT, lcode);
    huff_codes(dlen, NDIST, dcode);
    huff_codes(cllen, NCL, clcode);
    put(b, (uint32_t)final, 1);
    put(b, 2, 2);
    put(b, (uint32_t)(hlit - 257), 5);
    put(b, (uint32_t)(hdist - 1), 5);
    put(b, (uint32_t)(hclen - 4), 4);
    for (int i = 0; i < hclen; i++)
        put(b, cllen[order[i]], 3);
    for (int i = 0; i < nrle; i++) {
        unsigned s = rle[i] & 31;
        put(b, clcode[s], cllen[s]);
        if (cl_extra[s])
            put(b, rle[i] >> 5, cl_extra[s]);
    }
    for (size_t i = 0; i < ntok; i++) {
        uint32_t t = tok[i];
        if (!(t & MATCH_BIT)) {
            put(b, lcode[t], llen[t]);
            continue;
        }
        unsigned eb, ev, s = len_sym(((t >> 15) & 0xff) + 3, &eb, &ev);
        put(b, lcode[s], llen[s]);
        if (eb)
            put(b, ev, eb);
        s = dist_sym((t & 0x7fff) + 1, &eb, &ev);
        put(b, dcode[s], dlen[s]);
        if (eb)
            put(b, ev, eb);
    }
    put(b, lcode[256], llen[256]);
}

/* ---- matching -------------------------------------------------------------------------- */

/* How many bytes (up to max) a and b have in common. */
static inline size_t match_len(const uint8_t *a, const uint8_t *b, size_t max)
{
    size_t l = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (l + 8 <= max) {
        uint64_t x, y;
        memcpy(&x, a + l, 8);
        memcpy(&y, b + l, 8);
        if (x != y)
            return l + (size_t)(__builtin_ctzll(x ^ y) >> 3);
        l += 8;
    }
#endif
    while (l < max && a[l] == b[l])
        l++;
    return l;
}

static inline uint32_t hash4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

size_t raster_deflate_zlib(const uint8_t *in, size_t n, size_t row, size_t bpp, void *work,
                           uint8_t *out, size_t cap)
{
    if (cap < raster_deflate_bound(n))
        return 0;
    uint32_t *tok = work, *head = tok + TOKENS_MAX;
    uint32_t lf[NLIT] = {0}, df[NDIST] = {0};
    memset(head, 0, sizeof(uint32_t) << HASH_BITS);
    if (row > WINDOW)
        row = 0;
    if (bpp > WINDOW)
        bpp = 0;
    out[0] = 0x78; /* deflate, 32 KiB window */
    out[1] = 0x01; /* fastest; 0x7801 is a multiple of 31 */
    bits_t b = {.p = out + 2, .end = out + cap - 4};

    size_t i = 0, start = 0, nt = 0;
    while (i < n) {
        size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH, best = 0, dist = 0;
        if (max >= 3) {
            if (row && i >= row && (best = match_len(in + i, in + i - row, max)))
                dist = row;
            if (best < max && bpp && i >= bpp) {
                size_t l = match_len(in + i, in + i - bpp, max);
                if (l > best) {
                    best = l;
                    dist = bpp;
                }
            }
            if (best < max && max >= 4) {
                uint32_t h = hash4(in + i);
                size_t c = head[h];
                head[h] = (uint32_t)i;
                if (c < i && i - c <= WINDOW && i - c != row && i - c != bpp) {
                    size_t l = match_len(in + i, in + c, max);
                    if (l > best) {
                        best = l;
                        dist = i - c;
                    }
                }
            }
        }
        if (best >= 3) {
            unsigned eb, ev;
            tok[nt++] = MATCH_BIT | (uint32_t)(best - 3) << 15 | (uint32_t)(dist - 1);
            lf[len_sym((unsigned)best, &eb, &ev)]++;
            df[dist_sym((unsigned)dist, &eb, &ev)]++;
            i += best;
        } else {
            tok[nt++] = in[i];
            lf[in[i]]++;
            i++;
        }
        if (nt == TOKENS_MAX) {
            write_block(&b, tok, nt, in + start, i - start, lf, df, i == n);
            if (i == n)
                goto end;
            start = i;
            nt = 0;
            memset(lf, 0, sizeof lf);
            memset(df, 0, sizeof df);
        }
    }
    write_block(&b, tok, nt, in + start, i - start, lf, df, 1);
end:
    align(&b);
    if (b.over)
        return 0;
    uint32_t a = libdeflate_adler32(1, in, n);
    b.p[0] = (uint8_t)(a >> 24);
    b.p[1] = (uint8_t)(a >> 16);
    b.p[2] = (uint8_t)(a >> 8);
    b.p[3] = (uint8_t)a;
    return (size_t)(b.p + 4 - out);
}
