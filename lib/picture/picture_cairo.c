/* Pictures: the labelled frame (margins, title, row and column labels,
 * captions, colour bar) and the writer of labelled, PDF and SVG pictures
 * through cairo. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "picture_priv.h"

#if SYMCLONE_HAVE_CAIRO
#include <cairo.h>
#ifdef CAIRO_HAS_PDF_SURFACE
#include <cairo-pdf.h>
#endif
#ifdef CAIRO_HAS_SVG_SURFACE
#include <cairo-svg.h>
#endif
#endif

/* Largest side of a cairo image surface. */
#define CAIRO_SIDE_MAX 32767

/* The widest tick value the colour bar shows ("%.3g" of a float). */
static const char tick_sample[] = "-8.88e-88";

#if SYMCLONE_HAVE_CAIRO

static const char font_family[] = "sans-serif";

/* Width of text at size px. */
static double text_width(cairo_t *cr, const char *text, double size) {
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, text, &e);
  return e.x_advance > e.width ? e.x_advance : e.width;
}

/* A context for measuring text, or NULL. */
static cairo_t *measuring_context(cairo_surface_t **surface) {
  *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t *cr = cairo_create(*surface);
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    cairo_destroy(cr);
    cairo_surface_destroy(*surface);
    return NULL;
  }
  cairo_select_font_face(cr, font_family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  return cr;
}

#endif

static long long clamp_ll(long long v, long long lo, long long hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

symclone_status sym_frame_make(const symclone_picture *pic, const sym_canvas *c, sym_frame *f,
                               const sym_err *err) {
  memset(f, 0, sizeof *f);
  f->pw = (int)c->panel_w;
  f->ph = (int)c->panel_h;
  f->gap = c->gap;
  f->labelled = sym_picture_labelled(pic);
  if (!f->labelled) {
    f->width = c->width;
    f->height = c->height;
    return SYMCLONE_OK;
  }
#if SYMCLONE_HAVE_CAIRO
  long long side = c->width > c->height ? c->width : c->height;
  double font = (double)clamp_ll(llround(0.04 * (double)side), 11, 32);
  int pad = (int)(font / 2);
  f->font = font;
  f->margin = pad;
  int any_row = 0, any_col = 0, any_cap = 0;
  double row_w = 0.0;
  cairo_surface_t *surface = NULL;
  cairo_t *cr = measuring_context(&surface);
  if (!cr) return sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot measure text (cairo)");
  if (pic->row_label)
    for (int r = 0; r < pic->down; r++)
      if (pic->row_label[r]) {
        any_row = 1;
        double w = text_width(cr, pic->row_label[r], font);
        if (w > row_w) row_w = w;
      }
  if (pic->column_label)
    for (int k = 0; k < pic->across; k++) any_col |= pic->column_label[k] != NULL;
  if (pic->caption)
    for (size_t k = 0; k < (size_t)pic->down * (size_t)pic->across; k++)
      any_cap |= pic->caption[k] != NULL;
  double tick_w = pic->bar ? text_width(cr, tick_sample, 0.8 * font) : 0.0;
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  if (row_w > 40.0 * font) row_w = 40.0 * font;

  f->title_h = pic->title ? (int)lround(1.9 * font) : 0;
  f->column_h = any_col ? (int)lround(1.6 * font) : 0;
  f->caption_h = any_cap ? (int)lround(1.6 * font) : 0;
  f->row_w = any_row ? (int)ceil(row_w) + 2 * pad : 0;
  long long x0 = f->margin + f->row_w, y0 = (long long)f->margin + f->title_h + f->column_h;
  long long grid_w = c->panel_w * c->across + (long long)(c->across - 1) * c->gap;
  long long grid_h = (c->panel_h + f->caption_h) * c->down + (long long)(c->down - 1) * c->gap;
  long long right = x0 + grid_w;
  if (pic->bar) {
    f->bar_w = (int)font;
    f->tick_w = (int)ceil(tick_w) + pad;
    f->label_w = pic->bar_label ? (int)lround(1.6 * font) : 0;
    long long bx = right + 2 * pad;
    long long bh = grid_h - f->caption_h;
    if (bx <= INT_MAX && bh <= INT_MAX) {
      f->bar_x = (int)bx;
      f->bar_h = (int)bh;
    }
    f->bar_y = (int)y0;
    right = bx + f->bar_w + f->tick_w + f->label_w;
    f->text_x = (int)clamp_ll(bx + f->bar_w, 0, INT_MAX);
  }
  long long w = right + f->margin, h = y0 + grid_h + f->margin;
  if (grid_w > INT_MAX || grid_h > INT_MAX || w > INT_MAX || h > INT_MAX)
    return sym_fail(err, SYMCLONE_ERR_OVERFLOW, "the labelled picture exceeds INT_MAX pixels");
  f->x0 = (int)x0;
  f->y0 = (int)y0;
  f->width = (int)w;
  f->height = (int)h;
  return SYMCLONE_OK;
#else
  (void)clamp_ll;
  (void)tick_sample;
  return sym_fail(err, SYMCLONE_ERR_NOT_AVAILABLE, "labels need cairo, which this build has not");
#endif
}

#if SYMCLONE_HAVE_CAIRO

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int length) {
  FILE *f = closure;
  return fwrite(data, 1, length, f) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

typedef struct box {
  double x, y, w, h;
} box;

/* Draw text centred in b (turned a quarter counter-clockwise when
 * vertical), at size px or smaller so that its ink stays inside b. */
static void draw_text(cairo_t *cr, const char *text, box b, double size, int vertical) {
  if (!text || !*text || b.w <= 0 || b.h <= 0) return;
  double along = vertical ? b.h : b.w, across = vertical ? b.w : b.h;
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, text, &e);
  double scale = 1.0;
  if (e.width > along - 2.0) scale = (along - 2.0) / e.width;
  if (e.height * scale > across - 2.0) scale = (across - 2.0) / e.height;
  if (scale <= 0.0) return;
  if (scale < 1.0) {
    cairo_set_font_size(cr, size * scale);
    cairo_text_extents(cr, text, &e);
  }
  cairo_save(cr);
  cairo_translate(cr, b.x + b.w / 2.0, b.y + b.h / 2.0);
  if (vertical) cairo_rotate(cr, -1.57079632679489662);
  cairo_move_to(cr, -e.width / 2.0 - e.x_bearing, -e.height / 2.0 - e.y_bearing);
  cairo_show_text(cr, text);
  cairo_restore(cr);
}

/* Put the panels and the colour bar's colours on the white raster. */
static symclone_status paint_raster(cairo_surface_t *ras, const symclone_picture *pic,
                                    const sym_canvas *c, const sym_frame *fr, const sym_err *err) {
  unsigned char *data = cairo_image_surface_get_data(ras);
  int stride = cairo_image_surface_get_stride(ras);
  size_t row_bytes = sym_canvas_row_bytes(c);
  unsigned char *row = sym_malloc(row_bytes);
  if (!row) return sym_fail(err, SYMCLONE_ERR_NOMEM, "no memory for a canvas row");
  size_t ch = (size_t)c->channels;
  long long cached = -2, stride_rows = c->panel_h + c->gap;
  for (int y = 0; y < c->height; y++) {
    long long pr = y / stride_rows, within = y - pr * stride_rows;
    if (within >= c->panel_h) continue;
    sym_canvas_row(c, y, row, &cached);
    long long dy = fr->y0 + pr * (fr->ph + fr->caption_h + fr->gap) + within;
    uint32_t *dst = (uint32_t *)(void *)(data + (size_t)dy * (size_t)stride);
    for (int pc = 0; pc < c->across; pc++) {
      if (!c->panels[(size_t)pr * (size_t)c->across + (size_t)pc]) continue;
      const unsigned char *src = row + (size_t)pc * (size_t)(c->panel_w + c->gap) * ch;
      uint32_t *d = dst + fr->x0 + (size_t)pc * (size_t)(fr->pw + fr->gap);
      for (long long x = 0; x < c->panel_w; x++, src += ch) {
        uint32_t r = src[0], g = ch == 3 ? src[1] : src[0], b = ch == 3 ? src[2] : src[0];
        d[x] = (r << 16) | (g << 8) | b;
      }
    }
  }
  sym_free(row);
  /* a light grey frame one pixel outside each panel, where the gap leaves
   * room for it, so that panels stay apart from the white margins */
  if (fr->gap >= 2) {
    const uint32_t frame = 0xc8c8c8;
    for (int pr = 0; pr < c->down; pr++)
      for (int pc = 0; pc < c->across; pc++) {
        if (!c->panels[(size_t)pr * (size_t)c->across + (size_t)pc]) continue;
        long long x0 = fr->x0 + (long long)pc * (fr->pw + fr->gap) - 1;
        long long y0 = fr->y0 + (long long)pr * (fr->ph + fr->caption_h + fr->gap) - 1;
        long long x1 = x0 + fr->pw + 1, y1 = y0 + fr->ph + 1;
        for (long long y = y0; y <= y1; y++) {
          if (y < 0 || y >= fr->height) continue;
          uint32_t *d = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
          for (long long x = x0; x <= x1; x++) {
            if (x < 0 || x >= fr->width) continue;
            if (y == y0 || y == y1 || x == x0 || x == x1) d[x] = frame;
          }
        }
      }
  }
  if (pic->bar && fr->bar_h > 0) {
    /* the shared range, or a unit range for the per-panel scales */
    double lo = c->symmetric ? -1.0 : 0.0, hi = 1.0;
    symclone_picture_scale scale =
        (symclone_picture_scale)pic->setting[SYM_SETTING_SLOT(SYMCLONE_PICTURE_SCALE)];
    if (scale == SYMCLONE_PICTURE_SCALE_SYMMETRIC || scale == SYMCLONE_PICTURE_SCALE_MINMAX) {
      for (size_t k = 0; k < (size_t)c->down * (size_t)c->across; k++)
        if (c->panels[k]) {
          lo = c->low[k];
          hi = c->high[k];
          break;
        }
    }
    for (int y = 0; y < fr->bar_h; y++) {
      double t = fr->bar_h > 1 ? 1.0 - (double)y / (fr->bar_h - 1) : 0.5;
      unsigned char px[3];
      sym_canvas_colour(c, hi > lo ? lo + t * (hi - lo) : lo, lo, hi, px);
      uint32_t r = px[0], g = ch == 3 ? px[1] : px[0], b = ch == 3 ? px[2] : px[0];
      uint32_t *d = (uint32_t *)(void *)(data + (size_t)(fr->bar_y + y) * (size_t)stride);
      for (int x = 0; x < fr->bar_w; x++) d[fr->bar_x + x] = (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty(ras);
  return SYMCLONE_OK;
}

/* The text of the picture, in black. */
static void draw_labels(cairo_t *cr, const symclone_picture *pic, const sym_canvas *c,
                        const sym_frame *fr) {
  cairo_select_font_face(cr, font_family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_source_rgb(cr, 0, 0, 0);
  double font = fr->font;
  int m = fr->margin;
  if (pic->title) {
    cairo_select_font_face(cr, font_family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    draw_text(cr, pic->title, (box){m, m, fr->width - 2.0 * m, fr->title_h}, 1.2 * font, 0);
    cairo_select_font_face(cr, font_family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
  for (int k = 0; pic->column_label && k < c->across; k++)
    draw_text(cr, pic->column_label[k],
              (box){fr->x0 + (double)k * (fr->pw + fr->gap), m + fr->title_h, fr->pw,
                    fr->column_h},
              font, 0);
  for (int r = 0; r < c->down; r++) {
    double y = fr->y0 + (double)r * (fr->ph + fr->caption_h + fr->gap);
    if (pic->row_label)
      draw_text(cr, pic->row_label[r], (box){m, y, fr->row_w, fr->ph}, font, 0);
    for (int k = 0; pic->caption && k < c->across; k++)
      draw_text(cr, pic->caption[(size_t)r * (size_t)c->across + (size_t)k],
                (box){fr->x0 + (double)k * (fr->pw + fr->gap), y + fr->ph, fr->pw, fr->caption_h},
                0.9 * font, 0);
  }
  if (!pic->bar || fr->bar_h < 1) return;
  symclone_picture_scale scale =
      (symclone_picture_scale)pic->setting[SYM_SETTING_SLOT(SYMCLONE_PICTURE_SCALE)];
  char ticks[3][32];
  int shared = scale == SYMCLONE_PICTURE_SCALE_SYMMETRIC || scale == SYMCLONE_PICTURE_SCALE_MINMAX;
  if (shared) {
    double lo = 0.0, hi = 0.0;
    for (size_t k = 0; k < (size_t)c->down * (size_t)c->across; k++)
      if (c->panels[k]) {
        lo = c->low[k];
        hi = c->high[k];
        break;
      }
    snprintf(ticks[0], sizeof ticks[0], "%.3g", (float)hi);
    snprintf(ticks[1], sizeof ticks[1], "%.3g", (float)(c->symmetric ? 0.0 : (lo + hi) / 2.0));
    snprintf(ticks[2], sizeof ticks[2], "%.3g", (float)lo);
  } else {
    snprintf(ticks[0], sizeof ticks[0], "%s", c->symmetric ? "+max" : "max");
    snprintf(ticks[1], sizeof ticks[1], "%s", c->symmetric ? "0" : "");
    snprintf(ticks[2], sizeof ticks[2], "%s", c->symmetric ? "-max" : "min");
  }
  double tick_h = 1.1 * font;
  int tick_len = m / 2 > 1 ? m / 2 : 1;
  cairo_set_line_width(cr, 1.0);
  for (int i = 0; i < 3; i++) {
    double yc = fr->bar_y + (fr->bar_h - 1) * (i / 2.0) + 0.5;
    cairo_move_to(cr, fr->text_x, yc);
    cairo_line_to(cr, fr->text_x + tick_len, yc);
    cairo_stroke(cr);
    double ty = yc - tick_h / 2.0;
    if (ty < fr->bar_y) ty = fr->bar_y;
    if (ty + tick_h > fr->bar_y + fr->bar_h) ty = fr->bar_y + fr->bar_h - tick_h;
    double tx = fr->text_x + tick_len + 1.0;
    draw_text(cr, ticks[i], (box){tx, ty, fr->tick_w - tick_len - 1.0, tick_h}, 0.8 * font, 0);
  }
  if (pic->bar_label)
    draw_text(cr, pic->bar_label,
              (box){fr->text_x + fr->tick_w, fr->bar_y, fr->label_w, fr->bar_h}, font, 1);
}

static symclone_status cairo_failure(cairo_status_t cs, const sym_err *err) {
  if (cs == CAIRO_STATUS_NO_MEMORY) return sym_fail(err, SYMCLONE_ERR_NOMEM, "cairo: out of memory");
  if (cs == CAIRO_STATUS_WRITE_ERROR) return SYMCLONE_ERR_IO;
  return sym_fail(err, SYMCLONE_ERR_IO, "cairo: %s", cairo_status_to_string(cs));
}

static int write_pgm_raster(FILE *f, cairo_surface_t *ras, int width, int height) {
  if (fprintf(f, "P5\n%d %d\n255\n", width, height) < 0) return -1;
  const unsigned char *data = cairo_image_surface_get_data(ras);
  int stride = cairo_image_surface_get_stride(ras);
  unsigned char line[4096];
  for (int y = 0; y < height; y++) {
    const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
    for (int x0 = 0; x0 < width; x0 += (int)sizeof line) {
      int n = width - x0 < (int)sizeof line ? width - x0 : (int)sizeof line;
      for (int x = 0; x < n; x++) {
        uint32_t p = src[x0 + x];
        /* grey panels have r = g = b; text is grey too (black on white) */
        line[x] = (unsigned char)((((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff)) / 3);
      }
      if (fwrite(line, 1, (size_t)n, f) != (size_t)n) return -1;
    }
  }
  return 0;
}

symclone_status sym_picture_write_cairo(FILE *f, const symclone_picture *pic, const sym_canvas *c,
                                        const sym_frame *fr, symclone_picture_format format,
                                        const sym_err *err) {
  if (fr->width > CAIRO_SIDE_MAX || fr->height > CAIRO_SIDE_MAX)
    return sym_fail(err, SYMCLONE_ERR_SIZE,
                    "a %d x %d picture: labelled, PDF and SVG pictures are drawn by cairo, at"
                    " most %d pixels a side (use DOWNSCALE)",
                    fr->width, fr->height, CAIRO_SIDE_MAX);
  cairo_surface_t *ras = cairo_image_surface_create(CAIRO_FORMAT_RGB24, fr->width, fr->height);
  if (cairo_surface_status(ras) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(ras);
    return sym_fail(err, SYMCLONE_ERR_NOMEM, "cairo: cannot make a %d x %d picture", fr->width,
                    fr->height);
  }
  cairo_t *cr = cairo_create(ras);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_surface_flush(ras);
  symclone_status st = paint_raster(ras, pic, c, fr, err);
  if (st) {
    cairo_destroy(cr);
    cairo_surface_destroy(ras);
    return st;
  }
  cairo_status_t cs = CAIRO_STATUS_SUCCESS;
  if (format == SYMCLONE_PICTURE_FORMAT_PNG || format == SYMCLONE_PICTURE_FORMAT_PGM) {
    draw_labels(cr, pic, c, fr);
    cs = cairo_status(cr);
    cairo_surface_flush(ras);
    if (cs == CAIRO_STATUS_SUCCESS) {
      if (format == SYMCLONE_PICTURE_FORMAT_PNG)
        cs = cairo_surface_write_to_png_stream(ras, to_file, f);
      else if (write_pgm_raster(f, ras, fr->width, fr->height) != 0)
        cs = CAIRO_STATUS_WRITE_ERROR;
    }
    cairo_destroy(cr);
  } else {
    cairo_destroy(cr);
    cairo_surface_t *vec = NULL;
#ifdef CAIRO_HAS_PDF_SURFACE
    if (format == SYMCLONE_PICTURE_FORMAT_PDF)
      vec = cairo_pdf_surface_create_for_stream(to_file, f, fr->width, fr->height);
#endif
#ifdef CAIRO_HAS_SVG_SURFACE
    if (format == SYMCLONE_PICTURE_FORMAT_SVG)
      vec = cairo_svg_surface_create_for_stream(to_file, f, fr->width, fr->height);
#endif
    if (!vec) {
      cairo_surface_destroy(ras);
      return sym_fail(err, SYMCLONE_ERR_NOT_AVAILABLE, "this cairo has no %s surface",
                      format == SYMCLONE_PICTURE_FORMAT_PDF ? "PDF" : "SVG");
    }
    cairo_t *vc = cairo_create(vec);
    cairo_set_source_surface(vc, ras, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(vc), CAIRO_FILTER_NEAREST);
    cairo_paint(vc);
    draw_labels(vc, pic, c, fr);
    cs = cairo_status(vc);
    cairo_destroy(vc);
    cairo_surface_finish(vec);
    if (cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_status(vec);
    cairo_surface_destroy(vec);
  }
  cairo_surface_destroy(ras);
  return cs == CAIRO_STATUS_SUCCESS ? SYMCLONE_OK : cairo_failure(cs, err);
}

#else

symclone_status sym_picture_write_cairo(FILE *f, const symclone_picture *pic, const sym_canvas *c,
                                        const sym_frame *fr, symclone_picture_format format,
                                        const sym_err *err) {
  (void)f;
  (void)pic;
  (void)c;
  (void)fr;
  (void)format;
  return sym_fail(err, SYMCLONE_ERR_NOT_AVAILABLE,
                  "labelled, PDF and SVG pictures need cairo, which this build has not");
}

#endif
