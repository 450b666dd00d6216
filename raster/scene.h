/* scene.h -- a display list of draw operations in CSS pixels: fills, strokes, text and a
 * rectangular clip, each under the transform current when it was added. A finished
 * scene is read-only: it renders to a canvas at any scale (raster_scene_render) or
 * serialises to SVG (svg.h), on any number of threads at once, and the same scene always
 * gives the same bytes. */
#ifndef LS_RASTER_SCENE_H
#define LS_RASTER_SCENE_H

#include "canvas.h"
#include "path.h"
#include "stroke.h"
#include "text.h"

typedef enum {
    RASTER_OP_FILL,
    RASTER_OP_STROKE,
    RASTER_OP_TEXT,
    RASTER_OP_CLIP,   /* later ops are clipped to rect (replaces any earlier clip) */
    RASTER_OP_UNCLIP, /* ends the clip */
    RASTER_OP_HINT,   /* a rect (path) with a text the reader gets on hover: SVG only */
} raster_op_kind_t;

typedef struct {
    const char *family; /* NULL = RASTER_FONT_STACK; copied into the scene */
    int bold;
    double size;        /* px */
    raster_color_t color;
    raster_anchor_t anchor;
} raster_text_style_t;

typedef struct {
    raster_op_kind_t kind;
    raster_matrix_t m;
    raster_color_t color;
    raster_path_t path;      /* FILL, STROKE */
    raster_fill_rule_t rule; /* FILL */
    raster_stroke_t stroke;  /* STROKE */
    char *text;              /* TEXT, HINT: valid UTF-8 (sanitised when added) */
    char *family;
    int bold;
    double size, x, y;
    raster_anchor_t anchor;
    raster_rect_t clip;      /* CLIP, user units before m */
} raster_op_t;

typedef struct {
    double width, height; /* CSS px */
    raster_color_t background;
    char *title;          /* SVG <title>; may be NULL */
    raster_op_t *ops;
    size_t nops, cap_ops;
    raster_matrix_t m;    /* applied to ops added from now on */
    int err;              /* sticky: the first failed add */
} raster_scene_t;

/* Returns 0, -EINVAL (size not finite and positive) or -ENOMEM. */
int raster_scene_init(raster_scene_t *s, double width, double height, raster_color_t background);
void raster_scene_free(raster_scene_t *s); /* accepts NULL */
int raster_scene_set_title(raster_scene_t *s, const char *title);
void raster_scene_set_transform(raster_scene_t *s, const raster_matrix_t *m);

/* Each add copies its arguments; returns 0 or -ENOMEM (also kept in s->err). */
int raster_scene_fill(raster_scene_t *s, const raster_path_t *p, raster_fill_rule_t rule,
                      raster_color_t col);
int raster_scene_stroke(raster_scene_t *s, const raster_path_t *p, const raster_stroke_t *st,
                        raster_color_t col);
int raster_scene_rect(raster_scene_t *s, double x, double y, double w, double h,
                      raster_color_t col);
int raster_scene_line(raster_scene_t *s, double x0, double y0, double x1, double y1,
                      const raster_stroke_t *st, raster_color_t col);
int raster_scene_text(raster_scene_t *s, const raster_text_style_t *style, const char *utf8,
                      double x, double y);
int raster_scene_clip(raster_scene_t *s, double x, double y, double w, double h);
/* An invisible rect carrying text (the exact value under a bar or a day): in SVG an
 * transparent <path> with a <title> (a tooltip, and what screen readers read); raster
 * rendering draws nothing for it. */
int raster_scene_hint(raster_scene_t *s, double x, double y, double w, double h,
                      const char *utf8);
int raster_scene_unclip(raster_scene_t *s);

/* Renders at scale (device px per CSS px, 0 < scale <= 8) into out, which this inits
 * (the caller frees it with raster_canvas_free). Returns 0 or a negative error with a
 * message in err. */
int raster_scene_render(const raster_scene_t *s, double scale, raster_canvas_t *out, char *err,
                        size_t errlen);

#endif
