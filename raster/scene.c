/* scene.c -- the display list: recording draw operations and replaying them onto a new
 * canvas. The scene is the one description both outputs share: the PNG comes from
 * raster_scene_render, the SVG from svg.c walking the same ops. */
#include "scene.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int raster_scene_init(raster_scene_t *s, double width, double height, raster_color_t background)
{
    memset(s, 0, sizeof *s);
    s->m = raster_matrix_identity();
    if (!(width > 0) || !(height > 0) || !isfinite(width) || !isfinite(height))
        return s->err = -EINVAL;
    s->width = width;
    s->height = height;
    s->background = background;
    return 0;
}

static void op_free(raster_op_t *op)
{
    raster_path_free(&op->path);
    free(op->text);
    free(op->family);
}

void raster_scene_free(raster_scene_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nops; i++)
        op_free(&s->ops[i]);
    free(s->ops);
    free(s->title);
    memset(s, 0, sizeof *s);
}

int raster_scene_set_title(raster_scene_t *s, const char *title)
{
    char *t = raster_utf8_sanitize(title, strlen(title));
    if (!t)
        return s->err = -ENOMEM;
    free(s->title);
    s->title = t;
    return 0;
}

void raster_scene_set_transform(raster_scene_t *s, const raster_matrix_t *m)
{
    s->m = m ? *m : raster_matrix_identity();
}

/* A new zeroed op of kind at the end of the list, or NULL (s->err set). */
static raster_op_t *op_new(raster_scene_t *s, raster_op_kind_t kind)
{
    if (s->err)
        return NULL;
    if (s->nops == s->cap_ops) {
        size_t nc = s->cap_ops ? s->cap_ops * 2 : 64;
        raster_op_t *n = realloc(s->ops, nc * sizeof *n);
        if (!n) {
            s->err = -ENOMEM;
            return NULL;
        }
        s->ops = n;
        s->cap_ops = nc;
    }
    raster_op_t *op = &s->ops[s->nops];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->m = s->m;
    raster_path_init(&op->path);
    return op;
}

/* Keeps op (counts it) or drops it on error. */
static int op_done(raster_scene_t *s, raster_op_t *op, int err)
{
    if (err) {
        op_free(op);
        return s->err = err;
    }
    s->nops++;
    return 0;
}

int raster_scene_fill(raster_scene_t *s, const raster_path_t *p, raster_fill_rule_t rule,
                      raster_color_t col)
{
    raster_op_t *op = op_new(s, RASTER_OP_FILL);
    if (!op)
        return s->err;
    op->rule = rule;
    op->color = col;
    return op_done(s, op, raster_path_append(&op->path, p, NULL));
}

int raster_scene_stroke(raster_scene_t *s, const raster_path_t *p, const raster_stroke_t *st,
                        raster_color_t col)
{
    raster_op_t *op = op_new(s, RASTER_OP_STROKE);
    if (!op)
        return s->err;
    op->stroke = *st;
    op->color = col;
    return op_done(s, op, raster_path_append(&op->path, p, NULL));
}

int raster_scene_rect(raster_scene_t *s, double x, double y, double w, double h,
                      raster_color_t col)
{
    raster_op_t *op = op_new(s, RASTER_OP_FILL);
    if (!op)
        return s->err;
    op->rule = RASTER_FILL_NONZERO;
    op->color = col;
    return op_done(s, op, raster_path_rect(&op->path, x, y, w, h));
}

int raster_scene_line(raster_scene_t *s, double x0, double y0, double x1, double y1,
                      const raster_stroke_t *st, raster_color_t col)
{
    raster_op_t *op = op_new(s, RASTER_OP_STROKE);
    if (!op)
        return s->err;
    op->stroke = *st;
    op->color = col;
    raster_path_move_to(&op->path, x0, y0);
    return op_done(s, op, raster_path_line_to(&op->path, x1, y1));
}

int raster_scene_text(raster_scene_t *s, const raster_text_style_t *style, const char *utf8,
                      double x, double y)
{
    raster_op_t *op = op_new(s, RASTER_OP_TEXT);
    if (!op)
        return s->err;
    op->color = style->color;
    op->bold = style->bold;
    op->size = style->size;
    op->anchor = style->anchor;
    op->x = x;
    op->y = y;
    op->text = raster_utf8_sanitize(utf8, strlen(utf8));
    op->family = strdup(style->family ? style->family : RASTER_FONT_STACK);
    return op_done(s, op, op->text && op->family ? 0 : -ENOMEM);
}

int raster_scene_clip(raster_scene_t *s, double x, double y, double w, double h)
{
    raster_op_t *op = op_new(s, RASTER_OP_CLIP);
    if (!op)
        return s->err;
    raster_rect_t r = {x, y, x + w, y + h};
    op->clip = r;
    return op_done(s, op, 0);
}

int raster_scene_hint(raster_scene_t *s, double x, double y, double w, double h,
                      const char *utf8)
{
    raster_op_t *op = op_new(s, RASTER_OP_HINT);
    if (!op)
        return s->err;
    op->text = raster_utf8_sanitize(utf8, strlen(utf8));
    int rc = op->text ? raster_path_rect(&op->path, x, y, w, h) : -ENOMEM;
    return op_done(s, op, rc);
}

int raster_scene_unclip(raster_scene_t *s)
{
    raster_op_t *op = op_new(s, RASTER_OP_UNCLIP);
    return op ? op_done(s, op, 0) : s->err;
}

int raster_scene_render(const raster_scene_t *s, double scale, raster_canvas_t *out, char *err,
                        size_t errlen)
{
    raster_canvas_init(out, 0, 0); /* leaves it empty and freeable */
    if (s->err) {
        snprintf(err, errlen, "the scene is incomplete: building it failed (%s)",
                 s->err == -ENOMEM ? "out of memory" : "invalid size");
        return s->err;
    }
    if (!(scale > 0 && scale <= 8)) {
        snprintf(err, errlen, "scale must be between 0 and 8");
        return -EINVAL;
    }
    double w = ceil(s->width * scale - 1e-9), h = ceil(s->height * scale - 1e-9);
    if (!(w >= 1 && h >= 1 && w <= RASTER_MAX_SIDE && h <= RASTER_MAX_SIDE &&
          w * h <= RASTER_MAX_PIXELS)) {
        snprintf(err, errlen, "image of %.0fx%.0f px is too large (at most %u pixels)", w, h,
                 RASTER_MAX_PIXELS);
        return -EINVAL;
    }
    int rc = raster_canvas_init_color(out, (int)w, (int)h, s->background);
    if (rc) {
        snprintf(err, errlen, "out of memory for a %.0fx%.0f canvas", w, h);
        return rc;
    }
    raster_draw_t d;
    raster_draw_init(&d, out);
    raster_matrix_t dev = raster_matrix_scale(scale, scale);
    for (size_t i = 0; i < s->nops && !rc; i++) {
        const raster_op_t *op = &s->ops[i];
        raster_matrix_t m = raster_matrix_multiply(&op->m, &dev);
        switch (op->kind) {
        case RASTER_OP_FILL:
            rc = raster_draw_fill(&d, &op->path, &m, op->rule, op->color);
            break;
        case RASTER_OP_STROKE:
            rc = raster_draw_stroke(&d, &op->path, &m, &op->stroke, op->color);
            break;
        case RASTER_OP_TEXT: {
            raster_font_t f = {op->family, op->bold};
            rc = raster_text_draw(&d, &f, op->size, op->text, strlen(op->text), op->x, op->y,
                                  op->anchor, &m, op->color, err, errlen);
            break;
        }
        case RASTER_OP_CLIP: {
            raster_path_t r;
            raster_path_init(&r);
            raster_path_rect(&r, op->clip.x0, op->clip.y0, op->clip.x1 - op->clip.x0,
                             op->clip.y1 - op->clip.y0);
            raster_rect_t bb;
            if (!r.err && raster_path_bounds(&r, &m, &bb))
                raster_draw_set_clip(&d, &bb);
            rc = r.err;
            raster_path_free(&r);
            break;
        }
        case RASTER_OP_UNCLIP:
            raster_draw_set_clip(&d, NULL);
            break;
        case RASTER_OP_HINT:
            break; /* nothing to see in pixels */
        }
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory rendering the chart");
    }
    raster_draw_free(&d);
    if (rc)
        raster_canvas_free(out);
    return rc;
}
