/* Pictures: the canvas geometry and colour mapping shared by the PGM and
 * PNG writers.  Private to lib/picture. */
#ifndef SYM_PICTURE_PRIV_H
#define SYM_PICTURE_PRIV_H

#include <stdio.h>

#include "../common/internal.h"
#include "../common/settings_priv.h"
#include <symclone/picture.h>

struct symclone_picture {
  int down, across, rows, cols;       /* the grid and the panels' size */
  double setting[SYM_SETTINGS_SLOTS]; /* by SYM_SETTING_SLOT(key) */
  sym_err err;
  /* labels (only ever set in a build with cairo); NULL = none */
  char *title, *bar_label;
  char **row_label;     /* down entries, or NULL when no row has one */
  char **column_label;  /* across entries, or NULL */
  char **caption;       /* down * across entries, or NULL */
  int bar;              /* the colour bar is shown */
};

/* 1 if the picture has any label or its colour bar. */
int sym_picture_labelled(const symclone_picture *pic);

/* A validated canvas: the grid of panels, the scaling factors, the size in
 * pixels and the colour range of every panel. */
typedef struct sym_canvas {
  const float *const *panels; /* down * across entries, NULL = blank cell */
  int down, across;           /* grid of panels */
  int rows, cols;             /* values per panel */
  int up, dn, gap;            /* upscale, downscale, gap in pixels */
  long long cell_rows, cell_cols; /* values per panel after downscaling */
  long long panel_h, panel_w;     /* pixels per panel */
  int width, height;              /* pixels of the canvas */
  int channels;                   /* 1 for grey (PGM), 3 for RGB (PNG) */
  int symmetric;                  /* diverging colour map */
  double *low, *high;             /* colour range of each panel */
} sym_canvas;

/* Bytes of one canvas row. */
size_t sym_canvas_row_bytes(const sym_canvas *c);

/* Write row y of the canvas into row.  *cached identifies the content row
 * already holds (start with -2); replicated rows are not recomputed. */
void sym_canvas_row(const sym_canvas *c, int y, unsigned char *row, long long *cached);

/* The colour of value v under the range [lo, hi] (1 or 3 bytes). */
void sym_canvas_colour(const sym_canvas *c, double v, double lo, double hi, unsigned char *px);

/* Where everything of a picture lies, in pixels: the bare grid (margins
 * and bands 0) or the labelled one. */
typedef struct sym_frame {
  int labelled;
  double font;                  /* text size in pixels */
  int margin, title_h, column_h, row_w, caption_h;
  int x0, y0;                   /* top left corner of panel 0 */
  int pw, ph, gap;              /* panel size and gap in pixels */
  int bar_x, bar_y, bar_w, bar_h; /* the colour bar's colours */
  int text_x, tick_w, label_w;  /* right of the bar: values, then the label */
  int width, height;
} sym_frame;

/* The frame of pic over the validated canvas c (its sizes, not its
 * panels).  SYMCLONE_ERR_OVERFLOW past INT_MAX pixels; SYMCLONE_ERR_NOMEM. */
symclone_status sym_frame_make(const symclone_picture *pic, const sym_canvas *c, sym_frame *f,
                               const sym_err *err);

/* Write the picture through cairo (PNG, PDF, SVG; or PGM for a labelled
 * picture) to f.  c is complete (panels and ranges).  A message goes to
 * err on error; SYMCLONE_ERR_NOT_AVAILABLE in a build without cairo. */
symclone_status sym_picture_write_cairo(FILE *f, const symclone_picture *pic, const sym_canvas *c,
                                        const sym_frame *fr, symclone_picture_format format,
                                        const sym_err *err);

/* Write the canvas as PNG to f, using row (sym_canvas_row_bytes bytes) as
 * scratch.  A message goes to err on error.  SYMCLONE_ERR_NOT_AVAILABLE in
 * a build without libpng. */
symclone_status sym_picture_write_png(FILE *f, const sym_canvas *c, unsigned char *row,
                                      const sym_err *err);

#endif
