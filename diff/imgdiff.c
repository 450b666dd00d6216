/* imgdiff.c -- the visual diff (see imgdiff.h): row hashes, the row alignment, the
 * perceptual pixel compare with its antialiasing test, the boxes, and the overlay PNG.
 * Reads PNGs only through capture/pngread.h, one row at a time into a ring of five rows
 * (the antialiasing test looks two rows up and down), so memory is a few rows per picture
 * plus 12 bytes per row of height. Knows nothing of the store or the daemon. */
#include "imgdiff.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pngread.h"
#include "seqdiff.h"

#define RING 5          /* rows y-2 .. y+2 */
#define GAP 16          /* changed pixels this close (px) join one box */

const char *imgdiff_kind_name(imgdiff_kind_t k)
{
    return k == IMGDIFF_ADDED ? "added" : k == IMGDIFF_REMOVED ? "removed" : "modified";
}

/* ---- one picture, read forwards a row at a time ---------------------------------------- */

typedef struct {
    pngread_t *png;
    uint32_t w, h;
    size_t stride;
    uint8_t *ring;       /* RING rows of stride bytes: row k in slot k % RING */
    uint32_t loaded;     /* rows decoded so far */
    const imgdiff_rect_t *mask;   /* borrowed from the options; painted over as decoded */
    size_t nmask;
} src_t;

/* What a masked pixel reads as: one colour, the same in both pictures. */
static const uint8_t mask_rgb[3] = {128, 0, 128};

/* Marks in skip[0..w) the columns of row y that s's mask covers (skip left as it was
 * elsewhere). Returns how many rectangles cross the row. */
static size_t mask_mark(const src_t *s, uint32_t y, uint8_t *skip, uint32_t w)
{
    size_t hits = 0;
    for (size_t i = 0; i < s->nmask; i++) {
        const imgdiff_rect_t *m = &s->mask[i];
        if (y < m->y || y - m->y >= m->h || m->x >= w)
            continue;
        uint32_t x1 = m->w > w - m->x ? w : m->x + m->w;
        memset(skip + m->x, 1, x1 - m->x);
        hits++;
    }
    return hits;
}

/* Paints row y (at row, s->w pixels) over where s's mask covers it. */
static void mask_paint(const src_t *s, uint32_t y, uint8_t *row)
{
    for (size_t i = 0; i < s->nmask; i++) {
        const imgdiff_rect_t *m = &s->mask[i];
        if (y < m->y || y - m->y >= m->h || m->x >= s->w)
            continue;
        uint32_t x1 = m->w > s->w - m->x ? s->w : m->x + m->w;
        for (uint32_t x = m->x; x < x1; x++)
            memcpy(row + (size_t)x * 3, mask_rgb, 3);
    }
}

static int src_open(src_t *s, const char *path, const imgdiff_opts_t *o, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!(s->png = pngread_open_file(path, o->max_w, o->max_h, err, errlen)))
        return -1;
    s->w = pngread_width(s->png);
    s->h = pngread_height(s->png);
    s->stride = (size_t)s->w * 3;
    if (!(s->ring = malloc(s->stride * RING))) {
        snprintf(err, errlen, "out of memory reading %s", path);
        pngread_close(s->png);
        s->png = NULL;
        return -1;
    }
    return 0;
}

static void src_close(src_t *s)
{
    pngread_close(s->png);
    free(s->ring);
    s->png = NULL;
    s->ring = NULL;
}

/* Decodes up to row k (clamped to the last). */
static int src_need(src_t *s, int64_t k, char *err, size_t errlen)
{
    if (k >= (int64_t)s->h)
        k = (int64_t)s->h - 1;
    while ((int64_t)s->loaded <= k) {
        uint8_t *row = s->ring + (s->loaded % RING) * s->stride;
        if (pngread_rows(s->png, row, 1, err, errlen) != 0)
            return -1;
        mask_paint(s, s->loaded, row);
        s->loaded++;
    }
    return 0;
}

/* Row k if it exists and is still in the ring, else NULL. */
static const uint8_t *src_row(const src_t *s, int64_t k)
{
    if (k < 0 || k >= (int64_t)s->loaded || (int64_t)s->loaded - k > RING)
        return NULL;
    return s->ring + (size_t)(k % RING) * s->stride;
}

/* Pass 1: the hash of every row over the common width. */
static int hash_rows(src_t *s, uint32_t cw, uint64_t **out, char *err, size_t errlen)
{
    uint64_t *h = malloc((size_t)s->h * sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory hashing %u rows", s->h);
        return -1;
    }
    for (uint32_t y = 0; y < s->h; y++) {
        if (src_need(s, y, err, errlen) != 0) {
            free(h);
            return -1;
        }
        h[y] = seqdiff_hash(src_row(s, y), (size_t)cw * 3);
    }
    *out = h;
    return 0;
}

/* ---- the perceptual compare ------------------------------------------------------------ */

/* Brightness in integer units (Rec. 601 weights x 1000), for the antialiasing test. */
static int luma(const uint8_t *p) { return 299 * p[0] + 587 * p[1] + 114 * p[2]; }

/* The squared YIQ distance of two colours (Kotsarenko & Ramos' weights, which pixelmatch
 * uses), 0 .. about 35215. */
static double yiq_delta(const uint8_t *a, const uint8_t *b)
{
    double dr = (double)a[0] - b[0], dg = (double)a[1] - b[1], db = (double)a[2] - b[2];
    double y = 0.29889531 * dr + 0.58662247 * dg + 0.11448223 * db;
    double i = 0.59597799 * dr - 0.27417610 * dg - 0.32180189 * db;
    double q = 0.21147017 * dr - 0.52261711 * dg + 0.31114694 * db;
    return 0.5053 * y * y + 0.299 * i * i + 0.1957 * q * q;
}

static int same_px(const uint8_t *a, const uint8_t *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* Whether the pixel at column x of rows[2 + dy] has at least three neighbours of exactly
 * its colour (a pixel on the picture's edge counts one for the outside). rows[0..4] are
 * rows y-2 .. y+2 (NULL outside the picture); dy is -1..1. */
static int many_siblings(const uint8_t *const *rows, int dy, int64_t x, uint32_t w)
{
    const uint8_t *row = rows[2 + dy];
    if (!row)
        return 0;
    const uint8_t *c = row + x * 3;
    int same = (x == 0 || x == (int64_t)w - 1 || !rows[1 + dy] || !rows[3 + dy]) ? 1 : 0;
    for (int j = -1; j <= 1; j++) {
        const uint8_t *r = rows[2 + dy + j];
        if (!r)
            continue;
        for (int64_t i = x - 1; i <= x + 1; i++) {
            if ((j == 0 && i == x) || i < 0 || i >= (int64_t)w)
                continue;
            if (same_px(r + i * 3, c) && ++same > 2)
                return 1;
        }
    }
    return 0;
}

/* Whether the pixel at column x of rows[2] looks like an antialiased edge pixel: at most
 * two neighbours as bright as it, some darker and some brighter, and the darkest or the
 * brightest neighbour sitting inside a flat area in this picture and in the other (rows
 * `other`, aligned with rows). After V. Vysniauskas, "Anti-aliased pixel and intensity
 * slope detector" (2009), as pixelmatch reads it. */
static int antialiased(const uint8_t *const *rows, const uint8_t *const *other, int64_t x,
                       uint32_t w)
{
    int c = luma(rows[2] + x * 3);
    int flat = (x == 0 || x == (int64_t)w - 1 || !rows[1] || !rows[3]) ? 1 : 0;
    int lo = 0, hi = 0, lox = 0, loy = 0, hix = 0, hiy = 0;
    for (int j = -1; j <= 1; j++) {
        const uint8_t *r = rows[2 + j];
        if (!r)
            continue;
        for (int i = -1; i <= 1; i++) {
            if ((i == 0 && j == 0) || x + i < 0 || x + i >= (int64_t)w)
                continue;
            int d = luma(r + (x + i) * 3) - c;
            if (d == 0) {
                if (++flat > 2)
                    return 0;
            } else if (d < lo) {
                lo = d;
                lox = i;
                loy = j;
            } else if (d > hi) {
                hi = d;
                hix = i;
                hiy = j;
            }
        }
    }
    if (lo == 0 || hi == 0)
        return 0;
    return (many_siblings(rows, loy, x + lox, w) && many_siblings(other, loy, x + lox, w)) ||
           (many_siblings(rows, hiy, x + hix, w) && many_siblings(other, hiy, x + hix, w));
}

/* ---- boxes ----------------------------------------------------------------------------- */

typedef struct {
    imgdiff_region_t *open, *done;  /* open: still growing (y + h is the row after its last) */
    size_t nopen, capopen, ndone, capdone;
} boxes_t;

static int push_box(imgdiff_region_t **v, size_t *n, size_t *cap, imgdiff_region_t b)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        imgdiff_region_t *nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = b;
    return 0;
}

static void box_join(imgdiff_region_t *a, const imgdiff_region_t *b)
{
    uint32_t x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
    uint32_t y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;
    a->x = a->x < b->x ? a->x : b->x;
    a->y = a->y < b->y ? a->y : b->y;
    a->w = x1 - a->x;
    a->h = y1 - a->y;
}

/* Whether b comes within gap px of a, whatever their kinds. */
static int box_touches(const imgdiff_region_t *a, const imgdiff_region_t *b, int64_t gap)
{
    return (int64_t)b->x < (int64_t)a->x + a->w + gap &&
           (int64_t)a->x < (int64_t)b->x + b->w + gap && (int64_t)b->y < (int64_t)a->y + a->h + gap &&
           (int64_t)a->y < (int64_t)b->y + b->h + gap;
}

/* Whether b comes within GAP px of a and is of its kind. */
static int box_near(const imgdiff_region_t *a, const imgdiff_region_t *b)
{
    return a->kind == b->kind && box_touches(a, b, GAP);
}

/* Changed pixels [x0, x1) of row y: joined to the open boxes they come near. */
static int boxes_span(boxes_t *bx, imgdiff_kind_t kind, uint32_t y, uint32_t x0, uint32_t x1)
{
    imgdiff_region_t s = {.x = x0, .y = y, .w = x1 - x0, .h = 1, .kind = kind};
    size_t into = SIZE_MAX;
    for (size_t i = 0; i < bx->nopen; i++) {
        if (!box_near(&bx->open[i], &s))
            continue;
        if (into == SIZE_MAX) {
            into = i;
            box_join(&bx->open[i], &s);
        } else {   /* the span bridges two boxes: one box */
            box_join(&bx->open[into], &bx->open[i]);
            bx->open[i--] = bx->open[--bx->nopen];
            if (into == bx->nopen)
                into = i + 1;
        }
    }
    if (into != SIZE_MAX)
        return 0;
    return push_box(&bx->open, &bx->nopen, &bx->capopen, s);
}

/* Boxes that row y can no longer reach are done. */
static int boxes_settle(boxes_t *bx, uint64_t y)
{
    for (size_t i = 0; i < bx->nopen; i++)
        if ((uint64_t)bx->open[i].y + bx->open[i].h + GAP <= y) {
            if (push_box(&bx->done, &bx->ndone, &bx->capdone, bx->open[i]) != 0)
                return -1;
            bx->open[i--] = bx->open[--bx->nopen];
        }
    return 0;
}

static int box_order(const void *pa, const void *pb)
{
    const imgdiff_region_t *a = pa, *b = pb;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return a->x < b->x ? -1 : a->x > b->x;
}

/* Whether a and b are one change: near and of one kind, or rows added where pixels of
 * the rows beside them changed (a paragraph whose changed word made it a line longer):
 * one modified box. Removed rows stay apart (the overlay marks where they were). */
static int box_same_change(imgdiff_region_t *a, const imgdiff_region_t *b)
{
    if (box_near(a, b))
        return 1;
    int mixed = (a->kind == IMGDIFF_MODIFIED && b->kind == IMGDIFF_ADDED) ||
                (a->kind == IMGDIFF_ADDED && b->kind == IMGDIFF_MODIFIED);
    /* a line's blank rows lie between the changed ink and the added rows: twice the gap */
    if (!mixed || !box_touches(a, b, 2 * GAP))
        return 0;
    a->kind = IMGDIFF_MODIFIED;
    return 1;
}

/* The done boxes joined where they are one change (up to a few thousand boxes and eight
 * rounds, so that a page of scattered changes costs a bounded time; beyond that, as they
 * are), in reading order. */
static void boxes_finish(boxes_t *bx)
{
    int joined = bx->ndone <= 4096;
    for (int round = 0; joined && round < 8; round++) {
        joined = 0;
        for (size_t i = 0; i < bx->ndone; i++)
            for (size_t j = i + 1; j < bx->ndone; j++)
                if (box_same_change(&bx->done[i], &bx->done[j])) {
                    box_join(&bx->done[i], &bx->done[j]);
                    bx->done[j--] = bx->done[--bx->ndone];
                    joined = 1;
                }
    }
    if (bx->ndone > 1)
        qsort(bx->done, bx->ndone, sizeof *bx->done, box_order);
}

/* ---- pass 2 ---------------------------------------------------------------------------- */

typedef struct {
    const imgdiff_opts_t *o;
    src_t a, b;
    uint32_t cw;
    uint64_t *ha, *hb;
    int32_t *pair;         /* per new row: the old row it is compared with, or -1 (added) */
    boxes_t bx;
    uint64_t changed;
    double maxd;
    uint8_t *skip;         /* cw bytes: 1 where a mask covers the row being looked at */
} ctx_t;

/* Marks in c->skip the columns of old row ia (ia < 0: none) and new row yb (yb < 0:
 * none) that a mask covers. Returns 0 when none is. */
static int mask_row(ctx_t *c, int64_t ia, int64_t yb)
{
    if (!c->a.nmask && !c->b.nmask)
        return 0;
    memset(c->skip, 0, c->cw);
    size_t hits = 0;
    if (ia >= 0)
        hits += mask_mark(&c->a, (uint32_t)ia, c->skip, c->cw);
    if (yb >= 0)
        hits += mask_mark(&c->b, (uint32_t)yb, c->skip, c->cw);
    return hits > 0;
}

/* How many of a row's cw pixels no mask covers (after mask_row). */
static uint32_t unmasked_px(const ctx_t *c, int masked)
{
    if (!masked)
        return c->cw;
    uint32_t n = 0;
    for (uint32_t x = 0; x < c->cw; x++)
        n += !c->skip[x];
    return n;
}

/* The row alignment, as `pair` and removed boxes. 1 aligned, 0 some rows compared in
 * place (too many edits between two anchors), -1 with err. */
static int plan_rows(ctx_t *c, char *err, size_t errlen)
{
    seqdiff_run_t *v = NULL;
    size_t n = 0, far = 0;
    uint32_t max_edits = c->o->max_edits ? c->o->max_edits : 2048;
    if (seqdiff_anchored(c->ha, c->a.h, c->hb, c->b.h, max_edits, &v, &n, &far) != 0) {
        snprintf(err, errlen, "out of memory aligning %u and %u rows", c->a.h, c->b.h);
        return -1;
    }
    for (size_t i = 0; i < n;) {
        if (v[i].kind == SEQDIFF_EQ) {
            for (uint32_t t = 0; t < v[i].n; t++)
                c->pair[v[i].b + t] = (int32_t)(v[i].a + t);
            i++;
            continue;
        }
        /* a hunk: the old rows a0.. and new rows b0.. between two equal runs */
        uint32_t a0 = UINT32_MAX, b0 = UINT32_MAX, nd = 0, ni = 0;
        for (; i < n && v[i].kind != SEQDIFF_EQ; i++) {
            a0 = a0 < v[i].a ? a0 : v[i].a;
            b0 = b0 < v[i].b ? b0 : v[i].b;
            if (v[i].kind == SEQDIFF_DEL)
                nd += v[i].n;
            else
                ni += v[i].n;
        }
        uint32_t both = nd < ni ? nd : ni;
        for (uint32_t t = 0; t < ni; t++)
            c->pair[b0 + t] = t < both ? (int32_t)(a0 + t) : -1;
        /* old rows gone count what no mask of the old picture covers; wholly masked,
         * they are no change */
        uint64_t gone = 0;
        for (uint32_t t = both; t < nd; t++)
            gone += unmasked_px(c, mask_row(c, (int64_t)a0 + t, -1));
        if (gone > 0) {
            imgdiff_region_t r = {.x = 0, .y = b0 + both, .w = c->cw, .h = nd - both, .kind = IMGDIFF_REMOVED};
            if (push_box(&c->bx.done, &c->bx.ndone, &c->bx.capdone, r) != 0) {
                free(v);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            c->changed += gone;
        }
    }
    free(v);
    return far ? 0 : 1;
}

/* Compares old row ia with new row yb, pixel by pixel over the common width. */
static int compare_rows(ctx_t *c, uint32_t ia, uint32_t yb, char *err, size_t errlen)
{
    if (src_need(&c->a, (int64_t)ia + 2, err, errlen) != 0 ||
        src_need(&c->b, (int64_t)yb + 2, err, errlen) != 0)
        return -1;
    const uint8_t *ra[RING], *rb[RING];
    for (int j = 0; j < RING; j++) {
        ra[j] = src_row(&c->a, (int64_t)ia + j - 2);
        rb[j] = src_row(&c->b, (int64_t)yb + j - 2);
    }
    int masked = mask_row(c, ia, yb);
    int64_t run0 = -1, last = -1;
    for (uint32_t x = 0; x < c->cw; x++) {
        const uint8_t *pa = ra[2] + (size_t)x * 3, *pb = rb[2] + (size_t)x * 3;
        if (same_px(pa, pb) || (masked && c->skip[x]) || yiq_delta(pa, pb) <= c->maxd)
            continue;
        if (antialiased(ra, rb, x, c->cw) || antialiased(rb, ra, x, c->cw))
            continue;
        c->changed++;
        if (run0 >= 0 && x - last > GAP) {
            if (boxes_span(&c->bx, IMGDIFF_MODIFIED, yb, (uint32_t)run0, (uint32_t)last + 1) != 0)
                goto oom;
            run0 = -1;
        }
        if (run0 < 0)
            run0 = x;
        last = x;
    }
    if (run0 >= 0 && boxes_span(&c->bx, IMGDIFF_MODIFIED, yb, (uint32_t)run0, (uint32_t)last + 1) != 0)
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory collecting changed regions");
    return -1;
}

static int compare_all(ctx_t *c, char *err, size_t errlen)
{
    for (uint32_t y = 0; y < c->b.h; y++) {
        int32_t p = c->pair[y];
        if (p >= 0 && c->ha[p] == c->hb[y])
            continue;
        if (boxes_settle(&c->bx, y) != 0)
            goto oom;
        if (p < 0) {
            /* a new row: its unmasked runs are added */
            int masked = mask_row(c, -1, y);
            for (uint32_t x = 0; x < c->cw;) {
                while (masked && x < c->cw && c->skip[x])
                    x++;
                uint32_t x0 = x;
                while (x < c->cw && !(masked && c->skip[x]))
                    x++;
                if (x > x0) {
                    c->changed += x - x0;
                    if (boxes_span(&c->bx, IMGDIFF_ADDED, y, x0, x) != 0)
                        goto oom;
                }
            }
        } else if (compare_rows(c, (uint32_t)p, y, err, errlen) != 0) {
            return -1;
        }
    }
    if (boxes_settle(&c->bx, UINT64_MAX) != 0)
        goto oom;
    boxes_finish(&c->bx);
    return 0;
oom:
    snprintf(err, errlen, "out of memory collecting changed regions");
    return -1;
}

/* ---- the overlay ----------------------------------------------------------------------- */

typedef struct {
    png_structp png;
    png_infop info;
    FILE *f;
    char msg[200];
} pngout_t;

static void out_error_cb(png_structp png, png_const_charp msg)
{
    pngout_t *o = png_get_error_ptr(png);
    snprintf(o->msg, sizeof o->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void out_warning_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static const uint8_t kind_rgb[3][3] = {
    [IMGDIFF_ADDED] = {30, 170, 70},
    [IMGDIFF_REMOVED] = {220, 30, 30},
    [IMGDIFF_MODIFIED] = {240, 130, 0},
};

/* The rows of the new shot a box is drawn on: a removed box is a bar 4 px tall where the
 * old rows were; the others their own rows. */
static void draw_span(const imgdiff_region_t *r, uint32_t h, uint32_t *y0, uint32_t *y1)
{
    if (r->kind == IMGDIFF_REMOVED) {
        *y0 = r->y >= 2 ? r->y - 2 : 0;
        *y1 = r->y + 2 < h ? r->y + 2 : h;
        if (*y0 >= *y1 && h > 0)
            *y0 = *y1 - 1;
    } else {
        *y0 = r->y;
        *y1 = r->y + r->h;
    }
}

/* Tints row y's pixels inside r and draws its 2 px outline. */
static void draw_row(uint8_t *row, uint32_t y, const imgdiff_region_t *r, uint32_t y0, uint32_t y1)
{
    const uint8_t *k = kind_rgb[r->kind];
    for (uint32_t x = r->x; x < r->x + r->w; x++) {
        uint8_t *p = row + (size_t)x * 3;
        int edge = r->kind == IMGDIFF_REMOVED || y < y0 + 2 || y + 2 >= y1 || x < r->x + 2 ||
                   x + 2 >= r->x + r->w;
        for (int i = 0; i < 3; i++)
            p[i] = edge ? k[i] : (uint8_t)((p[i] * 3 + k[i]) / 4);
    }
}

/* Pass 3: the new shot again, drawn on and written row by row to path.XXXXXX, then renamed
 * over path. libpng's writer streams rows (raster/pngenc.c deflates a whole image at once,
 * 115 MB for a 30,000 px shot). */
static int write_overlay(ctx_t *c, const char *to_path, char *err, size_t errlen)
{
    char tmp[4700];
    const char *path = c->o->overlay_path;
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "the overlay's path is too long");
        return -1;
    }
    src_t s;
    if (src_open(&s, to_path, c->o, err, errlen) != 0)
        return -1;
    /* a name of its own: two diffs of the same pair may draw at once; the last rename wins */
    int fd = mkostemp(tmp, O_CLOEXEC), made = fd >= 0;
    const imgdiff_region_t *rv = c->bx.done;
    size_t nr = c->bx.ndone, next = 0, nact = 0;
    size_t *act = malloc((nr ? nr : 1) * sizeof *act);
    uint8_t *row = malloc(s.stride);
    pngout_t o = {0};
    int ret = -1;
    if (!act || !row) {
        snprintf(err, errlen, "out of memory drawing the overlay");
        goto done;
    }
    if (fd < 0 || !(o.f = fdopen(fd, "wb"))) {
        snprintf(err, errlen, "cannot write %s: %m", tmp);
        goto done;
    }
    fd = -1;
    if (fchmod(fileno(o.f), 0644) != 0) {
        snprintf(err, errlen, "cannot write %s: %m", tmp);
        goto done;
    }
    o.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &o, out_error_cb, out_warning_cb);
    o.info = o.png ? png_create_info_struct(o.png) : NULL;
    if (!o.info) {
        snprintf(err, errlen, "out of memory writing %s", tmp);
        goto done;
    }
    if (setjmp(png_jmpbuf(o.png))) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, o.msg);
        goto done;
    }
    png_init_io(o.png, o.f);
    png_set_compression_level(o.png, 3);
    png_set_filter(o.png, 0, PNG_FILTER_SUB | PNG_FILTER_UP);
    png_set_IHDR(o.png, o.info, s.w, s.h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(o.png, o.info);
    for (uint32_t y = 0; y < s.h; y++) {
        if (pngread_rows(s.png, row, 1, err, errlen) != 0)
            goto done;
        /* boxes starting by this row join the active ones; finished ones leave */
        uint32_t y0, y1;
        for (; next < nr; next++) {
            draw_span(&rv[next], s.h, &y0, &y1);
            if (y0 > y)
                break;
            act[nact++] = next;
        }
        for (size_t i = 0; i < nact; i++) {
            draw_span(&rv[act[i]], s.h, &y0, &y1);
            if (y >= y1) {
                act[i--] = act[--nact];
                continue;
            }
            if (y >= y0)
                draw_row(row, y, &rv[act[i]], y0, y1);
        }
        png_write_row(o.png, row);
    }
    png_write_end(o.png, o.info);
    if (fclose(o.f) != 0) {
        o.f = NULL;
        snprintf(err, errlen, "cannot write %s: %m", tmp);
        goto done;
    }
    o.f = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %m", tmp, path);
        goto done;
    }
    ret = 0;
done:
    if (o.png)
        png_destroy_write_struct(&o.png, o.info ? &o.info : NULL);
    if (o.f)
        fclose(o.f);
    if (fd >= 0)
        close(fd);
    if (ret != 0 && made)
        unlink(tmp);
    free(act);
    free(row);
    src_close(&s);
    return ret;
}

/* ---- the whole ------------------------------------------------------------------------- */

static void src_mask(ctx_t *c, const imgdiff_opts_t *o)
{
    c->a.mask = o->mask_from;
    c->a.nmask = o->mask_from ? o->nmask_from : 0;
    c->b.mask = o->mask_to;
    c->b.nmask = o->mask_to ? o->nmask_to : 0;
}

int imgdiff_files(const char *from_path, const char *to_path, const imgdiff_opts_t *opts,
                  imgdiff_result_t *r, char *err, size_t errlen)
{
    static const imgdiff_opts_t none = {0};
    imgdiff_opts_t o = opts ? *opts : none;
    if (o.threshold <= 0)
        o.threshold = 0.1;
    if (!o.max_w)
        o.max_w = 16384;
    if (!o.max_h)
        o.max_h = 200000;
    memset(r, 0, sizeof *r);
    ctx_t c = {.o = &o, .maxd = 35215.0 * o.threshold * o.threshold};
    int ret = -1;
    if (src_open(&c.a, from_path, &o, err, errlen) != 0)
        return -1;
    if (src_open(&c.b, to_path, &o, err, errlen) != 0)
        goto done;
    src_mask(&c, &o);
    c.cw = c.a.w < c.b.w ? c.a.w : c.b.w;
    if (!(c.skip = malloc(c.cw ? c.cw : 1))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (hash_rows(&c.a, c.cw, &c.ha, err, errlen) != 0 || hash_rows(&c.b, c.cw, &c.hb, err, errlen) != 0)
        goto done;
    /* pass 2 reads both again from the top */
    uint32_t ha = c.a.h, hb = c.b.h, wa = c.a.w, wb = c.b.w;
    src_close(&c.a);
    src_close(&c.b);
    if (src_open(&c.a, from_path, &o, err, errlen) != 0 || src_open(&c.b, to_path, &o, err, errlen) != 0)
        goto done;
    src_mask(&c, &o);
    /* a file replaced between the passes would not match the row hashes of pass 1 */
    if (c.a.h != ha || c.b.h != hb || c.a.w != wa || c.b.w != wb) {
        snprintf(err, errlen, "a picture changed while it was being compared");
        goto done;
    }
    if (!(c.pair = malloc((size_t)c.b.h * sizeof *c.pair))) {
        snprintf(err, errlen, "out of memory aligning %u rows", c.b.h);
        goto done;
    }
    int aligned = plan_rows(&c, err, errlen);
    if (aligned < 0 || compare_all(&c, err, errlen) != 0)
        goto done;
    src_close(&c.a);
    src_close(&c.b);
    free(c.ha);
    free(c.hb);
    free(c.pair);
    c.ha = c.hb = NULL;
    c.pair = NULL;
    if (o.overlay_path && write_overlay(&c, to_path, err, errlen) != 0)
        goto done;
    double area = 0;
    for (size_t i = 0; i < c.bx.ndone; i++)
        area += (double)c.bx.done[i].w * c.bx.done[i].h;
    double page = (double)c.cw * c.b.h;
    *r = (imgdiff_result_t){
        .from_w = c.a.w, .from_h = c.a.h, .to_w = c.b.w, .to_h = c.b.h, .common_w = c.cw,
        .aligned = aligned, .changed_pixels = c.changed,
        .changed_fraction = page > 0 ? (area / page < 1 ? area / page : 1) : 0,
        .regions = c.bx.done, .nregions = c.bx.ndone,
    };
    c.bx.done = NULL;
    ret = 0;
done:
    src_close(&c.a);
    src_close(&c.b);
    free(c.ha);
    free(c.hb);
    free(c.pair);
    free(c.bx.open);
    free(c.bx.done);
    free(c.skip);
    return ret;
}

void imgdiff_result_free(imgdiff_result_t *r)
{
    if (!r)
        return;
    free(r->regions);
    r->regions = NULL;
    r->nregions = 0;
}
