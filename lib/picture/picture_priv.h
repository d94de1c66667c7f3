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
};

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

/* Write the canvas as PNG to f, using row (sym_canvas_row_bytes bytes) as
 * scratch.  A message goes to err on error.  SYMCLONE_ERR_NOT_AVAILABLE in
 * a build without libpng. */
symclone_status sym_picture_write_png(FILE *f, const sym_canvas *c, unsigned char *row,
                                      const sym_err *err);

#endif
