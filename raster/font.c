/* font.c -- the process-wide font cache: fontconfig for family stacks and fallback,
 * FreeType for faces, unhinted outlines (FT_Outline_Decompose into our paths, which our
 * own coverage rasterizer fills) and colour emoji bitmaps. One mutex guards all of it;
 * callers get copies. This is the only shared state of the rasterizer, and it holds
 * fonts, not drawing state: every render still owns its canvas. */
#include "font.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include "utf8.h"

/* Loaded glyphs are dropped (all at once) when they pass this many bytes. */
#define GLYPH_BYTES_CAP (48u << 20)
#define MISSING_FLAG (1ull << 63)

/* ---- small open-addressing map, uint32 key -> uint64 value ------------------------- */

typedef struct {
    uint32_t *keys; /* key + 1; 0 = empty slot */
    uint64_t *vals;
    size_t cap, count;
} map_t;

static void map_free(map_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t map_slot(uint32_t key, size_t cap)
{
    uint32_t h = key * 2654435761u;
    return (size_t)(h ^ (h >> 15)) & (cap - 1);
}

static int map_get(const map_t *m, uint32_t key, uint64_t *val)
{
    if (!m->cap)
        return 0;
    for (size_t i = map_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == 0)
            return 0;
        if (m->keys[i] == key + 1) {
            *val = m->vals[i];
            return 1;
        }
    }
}

static int map_put(map_t *m, uint32_t key, uint64_t val)
{
    if ((m->count + 1) * 10 > m->cap * 7) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        map_t n = {.keys = calloc(nc, sizeof(uint32_t)), .vals = calloc(nc, sizeof(uint64_t)),
                   .cap = nc};
        if (!n.keys || !n.vals) {
            map_free(&n);
            return -ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                map_put(&n, m->keys[i] - 1, m->vals[i]);
        map_free(m);
        *m = n;
    }
    size_t i = map_slot(key, m->cap);
    while (m->keys[i] && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->count++;
    m->keys[i] = key + 1;
    m->vals[i] = val;
    return 0;
}

/* ---- cache structures ---------------------------------------------------------------- */

typedef struct {
    int kind;       /* 0 empty, 1 outline, 2 bitmap */
    double advance; /* font units (outline faces) or strike pixels (bitmap faces) */
    raster_path_t path; /* font units, y up */
    int bw, bh;
    double left, top;   /* strike pixels */
    uint8_t *rgba;      /* premultiplied */
} glyph_t;

typedef struct {
    char *file;
    int index;
    FT_Face face;
    int scalable;
    double units;    /* units per em, or the strike's pixels per em */
    int kerning;
    double ascent, descent; /* per em */
    glyph_t **glyphs;       /* by slot in gmap */
    map_t gmap;             /* gid -> index into glyphs */
    size_t nglyphs, cap_glyphs;
} face_t;

typedef struct {
    char *file;
    int index;
    FcCharSet *charset;
    int color;
    int face; /* index into cache.faces, -1 not opened yet, -2 unusable */
} cand_t;

typedef struct {
    char *family;
    int bold;
    cand_t *cands;
    size_t ncands;
    map_t cps; /* code point -> face << 32 | gid (| MISSING_FLAG) */
} fontset_t;

static struct {
    pthread_mutex_t lock;
    int ready;
    FcConfig *fc;
    FT_Library ft;
    face_t **faces;
    size_t nfaces, cap_faces;
    fontset_t **sets;
    size_t nsets, cap_sets;
    size_t glyph_bytes, glyph_count, flushes;
    uint64_t locks, waits; /* acquisitions, and those that found the lock taken */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};   /* everything else 0 / NULL */

/* Takes the cache's mutex, counting whether another thread held it. */
static void cache_lock(void)
{
    int contended = pthread_mutex_trylock(&cache.lock) != 0;
    if (contended)
        pthread_mutex_lock(&cache.lock);
    cache.locks++;
    cache.waits += (uint64_t)contended;
}

static int cache_ready(char *err, size_t errlen)
{
    if (cache.ready)
        return 0;
    cache.fc = FcInitLoadConfigAndFonts();
    if (!cache.fc) {
        snprintf(err, errlen, "fontconfig could not load its configuration; check "
                 "/etc/fonts/fonts.conf (package fontconfig-config)");
        return -ENOENT;
    }
    if (FT_Init_FreeType(&cache.ft)) {
        FcConfigDestroy(cache.fc);
        cache.fc = NULL;
        snprintf(err, errlen, "FreeType failed to initialise");
        return -ENOMEM;
    }
    cache.ready = 1;
    return 0;
}

static void glyph_free(glyph_t *g)
{
    if (!g)
        return;
    raster_path_free(&g->path);
    free(g->rgba);
    free(g);
}

static void face_drop_glyphs(face_t *f)
{
    for (size_t i = 0; i < f->nglyphs; i++)
        glyph_free(f->glyphs[i]);
    free(f->glyphs);
    f->glyphs = NULL;
    f->nglyphs = f->cap_glyphs = 0;
    map_free(&f->gmap);
}

static void flush_glyphs(void)
{
    for (size_t i = 0; i < cache.nfaces; i++)
        face_drop_glyphs(cache.faces[i]);
    cache.glyph_bytes = 0;
    cache.glyph_count = 0;
    cache.flushes++;
}

/* Opens (once) the face in file at index; returns its id or a negative error. */
static int face_open(const char *file, int index)
{
    for (size_t i = 0; i < cache.nfaces; i++)
        if (cache.faces[i]->index == index && strcmp(cache.faces[i]->file, file) == 0)
            return (int)i;
    if (cache.nfaces == cache.cap_faces) {
        size_t nc = cache.cap_faces ? cache.cap_faces * 2 : 8;
        face_t **nf = realloc(cache.faces, nc * sizeof *nf);
        if (!nf)
            return -ENOMEM;
        cache.faces = nf;
        cache.cap_faces = nc;
    }
    face_t *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->file = strdup(file);
    f->index = index;
    if (!f->file) {   /* not the font's fault: the candidate must stay usable */
        free(f);
        return -ENOMEM;
    }
    if (FT_New_Face(cache.ft, file, index, &f->face)) {
        free(f->file);
        free(f);
        return -ENOENT;
    }
    FT_Face ft = f->face;
    if (FT_IS_SCALABLE(ft) && ft->units_per_EM > 0) {
        f->scalable = 1;
        f->units = ft->units_per_EM;
        f->kerning = FT_HAS_KERNING(ft) ? 1 : 0;
        f->ascent = ft->ascender / f->units;
        f->descent = -ft->descender / f->units;
    } else if (FT_HAS_COLOR(ft) && ft->num_fixed_sizes > 0) {
        int best = 0;
        for (int i = 1; i < ft->num_fixed_sizes; i++)
            if (ft->available_sizes[i].y_ppem > ft->available_sizes[best].y_ppem)
                best = i;
        if (FT_Select_Size(ft, best) || ft->available_sizes[best].y_ppem <= 0)
            goto unusable;
        f->units = ft->available_sizes[best].y_ppem / 64.0;
        f->ascent = ft->size->metrics.ascender / 64.0 / f->units;
        f->descent = -ft->size->metrics.descender / 64.0 / f->units;
    } else {
        goto unusable;
    }
    cache.faces[cache.nfaces] = f;
    return (int)cache.nfaces++;
unusable:
    FT_Done_Face(f->face);
    free(f->file);
    free(f);
    return -ENOENT;
}

/* ---- glyph loading ------------------------------------------------------------------- */

static int move_cb(const FT_Vector *to, void *user)
{
    raster_path_t *p = user;
    if (p->nverbs)
        raster_path_close(p);
    return raster_path_move_to(p, (double)to->x, (double)to->y) ? 1 : 0;
}

static int line_cb(const FT_Vector *to, void *user)
{
    return raster_path_line_to(user, (double)to->x, (double)to->y) ? 1 : 0;
}

static int conic_cb(const FT_Vector *c, const FT_Vector *to, void *user)
{
    return raster_path_quad_to(user, (double)c->x, (double)c->y, (double)to->x, (double)to->y)
               ? 1 : 0;
}

static int cubic_cb(const FT_Vector *c1, const FT_Vector *c2, const FT_Vector *to, void *user)
{
    return raster_path_cubic_to(user, (double)c1->x, (double)c1->y, (double)c2->x,
                                (double)c2->y, (double)to->x, (double)to->y) ? 1 : 0;
}

static const FT_Outline_Funcs outline_funcs = {move_cb, line_cb, conic_cb, cubic_cb, 0, 0};

static glyph_t *glyph_load(face_t *f, uint32_t gid)
{
    glyph_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    raster_path_init(&g->path);
    FT_GlyphSlot slot = f->face->glyph;
    if (f->scalable) {
        if (FT_Load_Glyph(f->face, gid, FT_LOAD_NO_SCALE | FT_LOAD_NO_HINTING |
                                            FT_LOAD_NO_BITMAP | FT_LOAD_IGNORE_TRANSFORM))
            return g; /* a broken glyph draws as nothing */
        g->advance = (double)slot->advance.x;
        if (slot->format == FT_GLYPH_FORMAT_OUTLINE && slot->outline.n_points > 0) {
            if (FT_Outline_Decompose(&slot->outline, &outline_funcs, &g->path) || g->path.err) {
                if (g->path.err == -ENOMEM) {
                    glyph_free(g);
                    return NULL;
                }
                raster_path_reset(&g->path);
                return g;
            }
            raster_path_close(&g->path);
            if (g->path.err) {
                glyph_free(g);
                return NULL;
            }
            g->kind = 1;
        }
        return g;
    }
    if (FT_Load_Glyph(f->face, gid, FT_LOAD_COLOR))
        return g;
    g->advance = slot->advance.x / 64.0;
    FT_Bitmap *bm = &slot->bitmap;
    if (bm->pixel_mode != FT_PIXEL_MODE_BGRA || bm->width == 0 || bm->rows == 0)
        return g;
    g->bw = (int)bm->width;
    g->bh = (int)bm->rows;
    g->left = slot->bitmap_left;
    g->top = slot->bitmap_top;
    g->rgba = malloc((size_t)g->bw * (size_t)g->bh * 4);
    if (!g->rgba) {
        glyph_free(g);
        return NULL;
    }
    for (int y = 0; y < g->bh; y++) {
        const uint8_t *s = bm->buffer + (ptrdiff_t)y * bm->pitch;
        uint8_t *d = g->rgba + (size_t)y * (size_t)g->bw * 4;
        for (int x = 0; x < g->bw; x++, s += 4, d += 4) {
            d[0] = s[2];
            d[1] = s[1];
            d[2] = s[0];
            d[3] = s[3];
        }
    }
    g->kind = 2;
    return g;
}

static size_t glyph_bytes(const glyph_t *g)
{
    return sizeof *g + g->path.cap_pts * sizeof(raster_point_t) + g->path.cap_verbs +
           (size_t)g->bw * (size_t)g->bh * 4;
}

/* The cached glyph, loaded on first use; NULL when out of memory. */
static glyph_t *glyph_get(face_t *f, uint32_t gid)
{
    uint64_t v;
    if (map_get(&f->gmap, gid, &v))
        return f->glyphs[v];
    if (cache.glyph_bytes > GLYPH_BYTES_CAP)
        flush_glyphs();
    if (f->nglyphs == f->cap_glyphs) {
        size_t nc = f->cap_glyphs ? f->cap_glyphs * 2 : 64;
        glyph_t **ng = realloc(f->glyphs, nc * sizeof *ng);
        if (!ng)
            return NULL;
        f->glyphs = ng;
        f->cap_glyphs = nc;
    }
    glyph_t *g = glyph_load(f, gid);
    if (!g)
        return NULL;
    if (map_put(&f->gmap, gid, f->nglyphs)) {
        glyph_free(g);
        return NULL;
    }
    f->glyphs[f->nglyphs++] = g;
    cache.glyph_bytes += glyph_bytes(g);
    cache.glyph_count++;
    return g;
}

/* ---- font sets ----------------------------------------------------------------------- */

static void fontset_free(fontset_t *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->ncands; i++) {
        free(fs->cands[i].file);
        if (fs->cands[i].charset)
            FcCharSetDestroy(fs->cands[i].charset);
    }
    free(fs->cands);
    free(fs->family);
    map_free(&fs->cps);
    free(fs);
}

static int is_generic(const char *name)
{
    static const char *const generic[] = {"sans-serif", "sans", "serif", "monospace",
                                          "system-ui", "emoji", "cursive", "fantasy"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (strcasecmp(name, generic[i]) == 0)
            return 1;
    return 0;
}

/* Adds the font of pattern m to the set unless it is there already or unusable. */
static int fontset_add(fontset_t *fs, FcPattern *m)
{
    FcChar8 *file = NULL;
    int index = 0;
    FcCharSet *cs = NULL;
    FcBool scalable = FcTrue, color = FcFalse;
    if (FcPatternGetString(m, FC_FILE, 0, &file) != FcResultMatch ||
        FcPatternGetCharSet(m, FC_CHARSET, 0, &cs) != FcResultMatch)
        return 0;
    FcPatternGetInteger(m, FC_INDEX, 0, &index);
    FcPatternGetBool(m, FC_SCALABLE, 0, &scalable);
    FcPatternGetBool(m, FC_COLOR, 0, &color);
    if (!scalable && !color)
        return 0;
    for (size_t i = 0; i < fs->ncands; i++)
        if (fs->cands[i].index == index && strcmp(fs->cands[i].file, (const char *)file) == 0)
            return 0;
    cand_t *nc = realloc(fs->cands, (fs->ncands + 1) * sizeof *nc);
    if (!nc)
        return -ENOMEM;
    fs->cands = nc;
    cand_t c = {strdup((const char *)file), index, FcCharSetCopy(cs), color ? 1 : 0, -1};
    if (!c.file || !c.charset) {
        free(c.file);
        if (c.charset)
            FcCharSetDestroy(c.charset);
        return -ENOMEM;
    }
    fs->cands[fs->ncands++] = c;
    return 0;
}

static FcPattern *family_pattern(const char *name, int bold)
{
    FcPattern *pat = FcPatternCreate();
    if (!pat)
        return NULL;
    FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)name);
    FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
    FcPatternAddInteger(pat, FC_SLANT, FC_SLANT_ROMAN);
    FcConfigSubstitute(cache.fc, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    return pat;
}

/* Each named family in order (when fontconfig really has it, or it is generic), then
 * fontconfig's sorted sans-serif list for everything else. */
static int fontset_build(fontset_t *fs, char *err, size_t errlen)
{
    char *names = strdup(fs->family);
    if (!names)
        return -ENOMEM;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(names, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '"' || *tok == '\'')
            tok++;
        size_t n = strlen(tok);
        while (n && (tok[n - 1] == ' ' || tok[n - 1] == '"' || tok[n - 1] == '\''))
            tok[--n] = '\0';
        if (!n)
            continue;
        FcPattern *pat = family_pattern(tok, fs->bold);
        if (!pat) {
            rc = -ENOMEM;
            break;
        }
        FcResult res;
        FcPattern *m = FcFontMatch(cache.fc, pat, &res);
        FcPatternDestroy(pat);
        if (!m)
            continue;
        int real = is_generic(tok);
        FcChar8 *fam;
        for (int i = 0; !real && FcPatternGetString(m, FC_FAMILY, i, &fam) == FcResultMatch; i++)
            if (strcasecmp((const char *)fam, tok) == 0)
                real = 1;
        if (real)
            rc = fontset_add(fs, m);
        FcPatternDestroy(m);
    }
    free(names);
    if (rc)
        return rc;
    FcPattern *pat = family_pattern("sans-serif", fs->bold);
    if (!pat)
        return -ENOMEM;
    FcResult res;
    FcFontSet *set = FcFontSort(cache.fc, pat, FcTrue, NULL, &res);
    if (set) {
        for (int i = 0; i < set->nfont && !rc; i++) {
            FcPattern *m = FcFontRenderPrepare(cache.fc, pat, set->fonts[i]);
            if (m) {
                rc = fontset_add(fs, m);
                FcPatternDestroy(m);
            }
        }
        FcFontSetDestroy(set);
    }
    FcPatternDestroy(pat);
    if (!rc && fs->ncands == 0) {
        snprintf(err, errlen, "no usable font found for \"%s\"; install fonts-dejavu-core "
                 "and fonts-noto-cjk (scripts/install-deps.sh)", fs->family);
        rc = -ENOENT;
    }
    return rc;
}

static fontset_t *fontset_get(const raster_font_t *f, int *rc, char *err, size_t errlen)
{
    const char *family = f->family ? f->family : RASTER_FONT_STACK;
    int bold = f->bold ? 1 : 0;
    for (size_t i = 0; i < cache.nsets; i++)
        if (cache.sets[i]->bold == bold && strcmp(cache.sets[i]->family, family) == 0)
            return cache.sets[i];
    *rc = -ENOMEM;
    if (cache.nsets == cache.cap_sets) {
        size_t nc = cache.cap_sets ? cache.cap_sets * 2 : 4;
        fontset_t **ns = realloc(cache.sets, nc * sizeof *ns);
        if (!ns)
            return NULL;
        cache.sets = ns;
        cache.cap_sets = nc;
    }
    fontset_t *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->family = strdup(family))) {
        free(fs);
        return NULL;
    }
    fs->bold = bold;
    *rc = fontset_build(fs, err, errlen);
    if (*rc) {
        fontset_free(fs);
        return NULL;
    }
    cache.sets[cache.nsets++] = fs;
    return fs;
}

/* The face of candidate i, opened on first use; negative when it cannot be used. */
static int cand_face(cand_t *c)
{
    if (c->face == -1) {
        int id = face_open(c->file, c->index);
        if (id == -ENOMEM)
            return id;
        c->face = id < 0 ? -2 : id;
    }
    return c->face;
}

/* face << 32 | gid for cp, MISSING_FLAG set when no font has it; or a negative error. */
static int fontset_lookup(fontset_t *fs, uint32_t cp, uint64_t *out)
{
    if (map_get(&fs->cps, cp, out))
        return 0;
    uint64_t v = 0;
    int found = 0, first = -1;
    /* Pictographs (U+1F000..U+1FAFF) try colour fonts first: some text fonts carry
     * monochrome faces for a few of them. */
    int emoji = cp >= 0x1F000 && cp <= 0x1FAFF;
    for (size_t n = 0; n < 2 * fs->ncands && !found; n++) {
        if (n < fs->ncands && !emoji)
            continue;
        cand_t *c = &fs->cands[n % fs->ncands];
        if (n < fs->ncands && !c->color)
            continue;
        int has = FcCharSetHasChar(c->charset, cp);
        if (!has && (first >= 0 || n < fs->ncands))
            continue;
        int id = cand_face(c);
        if (id == -ENOMEM)
            return id;
        if (id < 0)
            continue;
        if (first < 0)
            first = id; /* its .notdef box stands in for what no font has */
        if (!has)
            continue;
        FT_UInt gid = FT_Get_Char_Index(cache.faces[id]->face, cp);
        if (gid) {
            v = (uint64_t)id << 32 | gid;
            found = 1;
        }
    }
    if (!found) {
        if (first < 0)
            return -ENOENT;
        v = (uint64_t)first << 32 | MISSING_FLAG;
    }
    int err = map_put(&fs->cps, cp, v);
    if (err)
        return err;
    *out = v;
    return 0;
}

static int zero_width(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0x2060 ||
           cp == 0xFEFF || (cp >= 0xE0100 && cp <= 0xE01EF) || (cp >= 0x202A && cp <= 0x202E);
}

/* ---- public -------------------------------------------------------------------------- */

void raster_run_init(raster_run_t *r)
{
    memset(r, 0, sizeof *r);
}

void raster_run_free(raster_run_t *r)
{
    if (!r)
        return;
    free(r->g);
    raster_run_init(r);
}

static int run_push(raster_run_t *r, raster_glyph_t g)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 32;
        raster_glyph_t *ng = realloc(r->g, nc * sizeof *ng);
        if (!ng)
            return -ENOMEM;
        r->g = ng;
        r->cap = nc;
    }
    r->g[r->n++] = g;
    return 0;
}

int raster_font_layout(const raster_font_t *f, double size, const char *utf8, size_t len,
                       raster_run_t *run, char *err, size_t errlen)
{
    run->n = 0;
    run->width = run->ascent = run->descent = 0;
    run->missing = 0;
    if (!(size > 0) || !isfinite(size)) {
        snprintf(err, errlen, "font size must be a positive number");
        return -EINVAL;
    }
    cache_lock();
    int rc = cache_ready(err, errlen);
    fontset_t *fs = rc ? NULL : fontset_get(f, &rc, err, errlen);
    if (!fs)
        goto out;
    for (size_t i = 0; i < fs->ncands; i++) {
        int id = cand_face(&fs->cands[i]);
        if (id == -ENOMEM) {
            rc = id;
            goto out;
        }
        if (id >= 0) {
            run->ascent = cache.faces[id]->ascent * size;
            run->descent = cache.faces[id]->descent * size;
            break;
        }
    }
    double pen = 0;
    uint32_t prev_face = UINT32_MAX, prev_gid = 0;
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        uint32_t cp = raster_utf8_next(utf8, len, &i);
        if (zero_width(cp))
            continue;
        if (cp == '\t' || cp == '\n' || cp == '\r')
            cp = ' ';
        uint64_t v;
        rc = fontset_lookup(fs, cp, &v);
        if (rc) {
            if (rc == -ENOENT)
                snprintf(err, errlen, "no font file of \"%s\" could be opened", fs->family);
            goto out;
        }
        if (v & MISSING_FLAG)
            run->missing++;
        uint32_t fid = (uint32_t)((v >> 32) & 0x7FFFFFFF), gid = (uint32_t)v;
        face_t *face = cache.faces[fid];
        glyph_t *g = glyph_get(face, gid);
        if (!g) {
            rc = -ENOMEM;
            goto out;
        }
        double k = size / face->units;
        if (fid == prev_face && face->kerning) {
            FT_Vector kv;
            if (FT_Get_Kerning(face->face, prev_gid, gid, FT_KERNING_UNSCALED, &kv) == 0)
                pen += kv.x * k;
        }
        raster_glyph_t pg = {.face = fid, .gid = gid, .byte = at, .x = pen,
                             .advance = g->advance * k, .bitmap = face->scalable ? 0 : 1};
        rc = run_push(run, pg);
        if (rc)
            goto out;
        pen += g->advance * k;
        prev_face = fid;
        prev_gid = gid;
    }
    run->width = pen;
out:
    pthread_mutex_unlock(&cache.lock);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory laying out text");
    return rc;
}

/* Appends one glyph's outline; the caller holds the lock. */
static int glyph_outline(const raster_glyph_t *g, double size, double x, double y,
                         const raster_matrix_t *m, raster_path_t *out)
{
    if (g->bitmap || !cache.ready || g->face >= cache.nfaces)
        return 0;
    face_t *face = cache.faces[g->face];
    glyph_t *gl = glyph_get(face, g->gid);
    if (!gl)
        return -ENOMEM;
    if (gl->kind != 1)
        return 0;
    double k = size / face->units;
    raster_matrix_t place = {k, 0, 0, -k, x + g->x, y};
    if (m)
        place = raster_matrix_multiply(&place, m);
    return raster_path_append(out, &gl->path, &place);
}

int raster_font_outline(const raster_glyph_t *g, double size, double x, double y,
                        const raster_matrix_t *m, raster_path_t *out)
{
    cache_lock();
    int rc = glyph_outline(g, size, x, y, m, out);
    pthread_mutex_unlock(&cache.lock);
    return rc;
}

int raster_font_run_outline(const raster_run_t *run, double size, double x, double y,
                            const raster_matrix_t *m, raster_path_t *out)
{
    int rc = 0;
    cache_lock();
    for (size_t i = 0; i < run->n && !rc; i++)
        rc = glyph_outline(&run->g[i], size, x, y, m, out);
    pthread_mutex_unlock(&cache.lock);
    return rc;
}

int raster_font_bitmap(const raster_glyph_t *g, double size, double x, double y,
                       raster_image_t *img, raster_matrix_t *place)
{
    int rc = 1;
    img->px = NULL;
    img->w = img->h = 0;
    cache_lock();
    if (!g->bitmap || !cache.ready || g->face >= cache.nfaces)
        goto out;
    face_t *face = cache.faces[g->face];
    glyph_t *gl = glyph_get(face, g->gid);
    if (!gl) {
        rc = -ENOMEM;
        goto out;
    }
    if (gl->kind != 2)
        goto out;
    size_t bytes = (size_t)gl->bw * (size_t)gl->bh * 4;
    uint8_t *px = malloc(bytes);
    if (!px) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(px, gl->rgba, bytes);
    img->px = px;
    img->w = gl->bw;
    img->h = gl->bh;
    double k = size / face->units;
    raster_matrix_t pm = {k, 0, 0, k, x + g->x + gl->left * k, y - gl->top * k};
    *place = pm;
    rc = 0;
out:
    pthread_mutex_unlock(&cache.lock);
    return rc;
}

void raster_font_stats(raster_font_stats_t *out)
{
    cache_lock();
    out->faces = cache.nfaces;
    out->fontsets = cache.nsets;
    out->glyphs = cache.glyph_count;
    out->glyph_bytes = cache.glyph_bytes;
    out->flushes = cache.flushes;
    out->locks = cache.locks;
    out->waits = cache.waits;
    pthread_mutex_unlock(&cache.lock);
}

void raster_font_cache_clear(void)
{
    cache_lock();
    for (size_t i = 0; i < cache.nsets; i++)
        fontset_free(cache.sets[i]);
    free(cache.sets);
    cache.sets = NULL;
    cache.nsets = cache.cap_sets = 0;
    for (size_t i = 0; i < cache.nfaces; i++) {
        face_drop_glyphs(cache.faces[i]);
        FT_Done_Face(cache.faces[i]->face);
        free(cache.faces[i]->file);
        free(cache.faces[i]);
    }
    free(cache.faces);
    cache.faces = NULL;
    cache.nfaces = cache.cap_faces = 0;
    if (cache.ready) {
        FT_Done_FreeType(cache.ft);
        FcConfigDestroy(cache.fc);
        cache.ft = NULL;
        cache.fc = NULL;
        cache.ready = 0;
    }
    cache.glyph_bytes = cache.glyph_count = 0;
    pthread_mutex_unlock(&cache.lock);
}
