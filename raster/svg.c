/* svg.c -- the SVG writer for scenes. Walks the same display list the rasterizer
 * replays; knows nothing of pixels or fonts (text stays text, the viewer picks glyphs
 * from the family stack). */
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

char *raster_svg_number(double v, char out[32])
{
    if (!isfinite(v) || fabs(v) > 1e15)
        v = 0;
    long long q = llround(v * 100);
    const char *sign = q < 0 ? "-" : "";
    unsigned long long a = q < 0 ? (unsigned long long)(-q) : (unsigned long long)q;
    unsigned long long ip = a / 100, fp = a % 100;
    if (fp == 0)
        snprintf(out, 32, "%s%llu", sign, ip);
    else if (fp % 10 == 0)
        snprintf(out, 32, "%s%llu.%llu", sign, ip, fp / 10);
    else
        snprintf(out, 32, "%s%llu.%02llu", sign, ip, fp);
    return out;
}

static int put(buf_t *b, const char *s)
{
    return buf_append_str(b, s);
}

static int put_num(buf_t *b, double v)
{
    char n[32];
    return buf_append_str(b, raster_svg_number(v, n));
}

/* Escapes text for element content and double-quoted attributes. */
static int put_escaped(buf_t *b, const char *s)
{
    int err = 0;
    for (; *s && !err; s++) {
        switch (*s) {
        case '&': err = put(b, "&amp;"); break;
        case '<': err = put(b, "&lt;"); break;
        case '>': err = put(b, "&gt;"); break;
        case '"': err = put(b, "&quot;"); break;
        case '\'': err = put(b, "&apos;"); break;
        default: err = buf_append(b, s, 1); break;
        }
    }
    return err;
}

static int put_color(buf_t *b, const char *attr, raster_color_t c)
{
    int err = buf_printf(b, " %s=\"#%02x%02x%02x\"", attr, c.r, c.g, c.b);
    if (!err && c.a != 255) {
        err = buf_printf(b, " %s-opacity=\"", attr);
        if (!err)
            err = put_num(b, c.a / 255.0);
        if (!err)
            err = put(b, "\"");
    }
    return err;
}

static int put_transform(buf_t *b, const raster_matrix_t *m)
{
    if (raster_matrix_is_identity(m))
        return 0;
    double v[6] = {m->xx, m->yx, m->xy, m->yy, m->x0, m->y0};
    int err = put(b, " transform=\"matrix(");
    for (int i = 0; i < 6 && !err; i++) {
        if (i)
            err = put(b, " ");
        if (!err) {
            /* Matrix terms keep more precision than coordinates. */
            char n[40];
            snprintf(n, sizeof n, "%.6g", isfinite(v[i]) ? v[i] : 0.0);
            for (char *c = n; *c; c++)
                if (*c == ',')
                    *c = '.';
            err = put(b, n);
        }
    }
    return err ? err : put(b, ")\"");
}

static int put_path_data(buf_t *b, const raster_path_t *p)
{
    int err = put(b, " d=\"");
    size_t pi = 0;
    for (size_t v = 0; v < p->nverbs && !err; v++) {
        size_t n = 0;
        const char *cmd = "";
        switch (p->verbs[v]) {
        case RASTER_VERB_MOVE: cmd = "M"; n = 1; break;
        case RASTER_VERB_LINE: cmd = "L"; n = 1; break;
        case RASTER_VERB_QUAD: cmd = "Q"; n = 2; break;
        case RASTER_VERB_CUBIC: cmd = "C"; n = 3; break;
        default: cmd = "Z"; break;
        }
        err = put(b, cmd);
        for (size_t i = 0; i < n && !err; i++) {
            err = put_num(b, p->pts[pi + i].x);
            if (!err)
                err = put(b, " ");
            if (!err)
                err = put_num(b, p->pts[pi + i].y);
            if (!err && i + 1 < n)
                err = put(b, " ");
        }
        pi += n;
    }
    return err ? err : put(b, "\"");
}

/* font-family value: named families quoted, generic ones bare. */
static int put_family(buf_t *b, const char *stack)
{
    static const char *const generic[] = {"sans-serif", "serif", "monospace", "system-ui",
                                          "emoji", "cursive", "fantasy"};
    int err = put(b, " font-family=\"");
    const char *s = stack;
    int first = 1;
    while (*s && !err) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        size_t n = (size_t)(t - s);
        if (n) {
            char name[128];
            if (n >= sizeof name)
                n = sizeof name - 1;
            memcpy(name, s, n);
            name[n] = '\0';
            for (char *c = name; *c; c++)
                if (*c == '\'' || *c == '"' || *c == '<' || *c == '>' || *c == '&')
                    *c = ' ';
            int gen = 0;
            for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
                if (strcmp(name, generic[i]) == 0)
                    gen = 1;
            err = buf_printf(b, gen ? "%s%s" : "%s'%s'", first ? "" : ", ", name);
            first = 0;
        }
        s = e;
    }
    return err ? err : put(b, "\"");
}

static const char *join_name(raster_join_t j)
{
    return j == RASTER_JOIN_ROUND ? "round" : j == RASTER_JOIN_BEVEL ? "bevel" : "miter";
}

static const char *cap_name(raster_cap_t c)
{
    return c == RASTER_CAP_ROUND ? "round" : c == RASTER_CAP_SQUARE ? "square" : "butt";
}

/* root_family: the font-family already set on <svg> (NULL when none). */
static int put_op(buf_t *b, const raster_op_t *op, const char *root_family)
{
    int err = 0;
    switch (op->kind) {
    case RASTER_OP_FILL:
        err = put(b, "<path");
        if (!err)
            err = put_path_data(b, &op->path);
        if (!err)
            err = put_color(b, "fill", op->color);
        if (!err && op->rule == RASTER_FILL_EVENODD)
            err = put(b, " fill-rule=\"evenodd\"");
        break;
    case RASTER_OP_STROKE: {
        const raster_stroke_t *st = &op->stroke;
        err = put(b, "<path fill=\"none\"");
        if (!err)
            err = put_path_data(b, &op->path);
        if (!err)
            err = put_color(b, "stroke", op->color);
        if (!err)
            err = put(b, " stroke-width=\"");
        if (!err)
            err = put_num(b, st->width);
        if (!err)
            err = put(b, "\"");
        /* miter joins and butt caps are SVG's defaults: said only when different. */
        if (!err && st->join != RASTER_JOIN_MITER)
            err = buf_printf(b, " stroke-linejoin=\"%s\"", join_name(st->join));
        if (!err && st->cap != RASTER_CAP_BUTT)
            err = buf_printf(b, " stroke-linecap=\"%s\"", cap_name(st->cap));
        if (!err && st->join == RASTER_JOIN_MITER && st->miter_limit > 1 &&
            st->miter_limit != 4) {
            err = put(b, " stroke-miterlimit=\"");
            if (!err)
                err = put_num(b, st->miter_limit);
            if (!err)
                err = put(b, "\"");
        }
        if (!err && st->ndashes) {
            err = put(b, " stroke-dasharray=\"");
            for (size_t i = 0; i < st->ndashes && i < RASTER_MAX_DASHES && !err; i++) {
                if (i)
                    err = put(b, " ");
                if (!err)
                    err = put_num(b, st->dashes[i]);
            }
            if (!err && st->dash_offset != 0) {
                err = put(b, "\" stroke-dashoffset=\"");
                if (!err)
                    err = put_num(b, st->dash_offset);
            }
            if (!err)
                err = put(b, "\"");
        }
        break;
    }
    case RASTER_OP_TEXT: {
        static const char *const anchors[] = {"start", "middle", "end"};
        err = put(b, "<text x=\"");
        if (!err)
            err = put_num(b, op->x);
        if (!err)
            err = put(b, "\" y=\"");
        if (!err)
            err = put_num(b, op->y);
        if (!err)
            err = put(b, "\" font-size=\"");
        if (!err)
            err = put_num(b, op->size);
        if (!err)
            err = put(b, "\"");
        if (!err && !(root_family && strcmp(root_family, op->family) == 0))
            err = put_family(b, op->family);
        if (!err && op->bold)
            err = put(b, " font-weight=\"bold\"");
        if (!err && op->anchor != RASTER_ANCHOR_START)
            err = buf_printf(b, " text-anchor=\"%s\"", anchors[op->anchor]);
        if (!err)
            err = put_color(b, "fill", op->color);
        if (!err)
            err = put_transform(b, &op->m);
        if (!err)
            err = put(b, ">");
        if (!err)
            err = put_escaped(b, op->text);
        return err ? err : put(b, "</text>\n");
    }
    case RASTER_OP_HINT:
        err = put(b, "<path");
        if (!err)
            err = put_path_data(b, &op->path);
        if (!err)
            err = put(b, " fill=\"#000\" fill-opacity=\"0\"");
        if (!err)
            err = put_transform(b, &op->m);
        if (!err)
            err = put(b, "><title>");
        if (!err)
            err = put_escaped(b, op->text);
        return err ? err : put(b, "</title></path>\n");
    default:
        return 0;
    }
    if (!err)
        err = put_transform(b, &op->m);
    return err ? err : put(b, "/>\n");
}

int raster_svg_write(const raster_scene_t *s, buf_t *out)
{
    if (s->err)
        return s->err;
    int err = put(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"");
    if (!err) err = put_num(out, s->width);
    if (!err) err = put(out, "\" height=\"");
    if (!err) err = put_num(out, s->height);
    if (!err) err = put(out, "\" viewBox=\"0 0 ");
    if (!err) err = put_num(out, s->width);
    if (!err) err = put(out, " ");
    if (!err) err = put_num(out, s->height);
    /* When every text shares one font stack (the charts' case), it is said once. */
    const char *root_family = NULL;
    for (size_t i = 0; i < s->nops; i++) {
        if (s->ops[i].kind != RASTER_OP_TEXT)
            continue;
        if (!root_family) {
            root_family = s->ops[i].family;
        } else if (strcmp(root_family, s->ops[i].family) != 0) {
            root_family = NULL;
            break;
        }
    }
    if (!err) err = put(out, "\" role=\"img\"");
    if (!err && root_family) err = put_family(out, root_family);
    if (!err) err = put(out, ">\n");
    if (!err && s->title) {
        err = put(out, "<title>");
        if (!err) err = put_escaped(out, s->title);
        if (!err) err = put(out, "</title>\n");
    }
    if (!err) err = put(out, "<rect width=\"100%\" height=\"100%\"");
    if (!err) err = put_color(out, "fill", s->background);
    if (!err) err = put(out, "/>\n");
    int clips = 0, open = 0;
    for (size_t i = 0; i < s->nops && !err; i++) {
        const raster_op_t *op = &s->ops[i];
        if (op->kind == RASTER_OP_CLIP || op->kind == RASTER_OP_UNCLIP) {
            if (open)
                err = put(out, "</g>\n");
            open = 0;
            if (err || op->kind == RASTER_OP_UNCLIP)
                continue;
            clips++;
            err = buf_printf(out, "<clipPath id=\"c%d\"><rect x=\"", clips);
            if (!err) err = put_num(out, op->clip.x0);
            if (!err) err = put(out, "\" y=\"");
            if (!err) err = put_num(out, op->clip.y0);
            if (!err) err = put(out, "\" width=\"");
            if (!err) err = put_num(out, op->clip.x1 - op->clip.x0);
            if (!err) err = put(out, "\" height=\"");
            if (!err) err = put_num(out, op->clip.y1 - op->clip.y0);
            if (!err) err = put(out, "\"");
            if (!err) err = put_transform(out, &op->m);
            if (!err) err = buf_printf(out, "/></clipPath>\n<g clip-path=\"url(#c%d)\">\n", clips);
            open = 1;
            continue;
        }
        err = put_op(out, op, root_family);
    }
    if (!err && open)
        err = put(out, "</g>\n");
    if (!err)
        err = put(out, "</svg>\n");
    return err;
}
