/** @file
 * libsymclone: pictures of matrices and feature maps.
 *
 * A picture is a canvas of panels laid out in a grid, panels_down rows of
 * panels_across panels each, separated by `gap` pixels of background.
 * Every panel is a row-major float matrix of rows x cols values (a weight
 * matrix, an effective matrix, the unrolled Toeplitz matrix of a teacher,
 * one channel of a feature map), and one value becomes one pixel, or an
 * upscale x upscale block of pixels so that small feature maps stay
 * visible.  Typical uses: a learned effective matrix beside the teacher's
 * unrolled matrix under one symmetric colour scale (1 x 2 panels), or
 * feature maps of several models (panel rows) under rotated inputs (panel
 * columns).
 *
 * Colour scales.  SYMCLONE_PICTURE_SCALE_SYMMETRIC maps [-m, m], m the largest |v|
 * over every panel, so that zero always has the same colour and two panels
 * are comparable; SYMCLONE_PICTURE_SCALE_MINMAX maps [min, max] over every panel.
 * The *_PER_PANEL variants take the range of each panel alone.  With
 * t = (v - low) / (high - low) in [0, 1]:
 *   PGM, 8-bit grey:  level = floor(255 t + 1/2), so for the symmetric scale
 *                     -m -> 0 (black), 0 -> 128, +m -> 255 (white).
 *   PNG, 8-bit RGB:   symmetric: diverging blue-white-red, -m -> (0,0,255),
 *                     0 -> (255,255,255), +m -> (255,0,0), linear in between
 *                     in each half.  min-max: viridis (dark purple
 *                     (68,1,84) at min through teal to yellow (253,231,37)
 *                     at max), interpolated linearly between 9 samples.
 * Where a range is empty (all values equal, or m = 0) every finite value
 * gets t = 1/2.  Gaps and blank cells are white (255) in PGM and light grey
 * (192,192,192) in PNG, a colour neither map uses (white is zero in the
 * blue-white-red map).
 *
 * Non-finite values never enter a range and never fail a call: NaN is drawn
 * mid-grey (128) in PGM and magenta (255,0,255) in PNG; +Inf and -Inf are
 * drawn as the top and the bottom of the scale.
 *
 * Large matrices: downscale d >= 1 averages each d x d block of a panel into
 * one value before the colour scale is taken (blocks at the right and bottom
 * edges average the values they have), so a 6272 x 784 matrix with d = 4
 * becomes 1568 x 196 pixels.  A block containing a NaN, or both +Inf and
 * -Inf, is NaN.  Both factors may be used at once: downscale first, then
 * upscale.  Panel size in pixels: ceil(rows / d) * upscale by ceil(cols / d)
 * * upscale.
 *
 * Files: SYMCLONE_PICTURE_FORMAT_PGM (binary "P5", 8-bit grey) is always available;
 * SYMCLONE_PICTURE_FORMAT_PNG (8-bit RGB) needs libpng at build time, otherwise the
 * call returns SYMCLONE_ERR_NOT_AVAILABLE (see symclone_picture_png_available);
 * SYMCLONE_PICTURE_FORMAT_AUTO chooses by the extension of path, ".png", ".pgm",
 * ".pdf" or ".svg" in any case, and returns SYMCLONE_ERR_ARG for any other;
 * PDF and SVG need cairo (see Labels below).  A picture is
 * saved as every file of the library is (docs/file-format.md, "Writing"):
 * written through a symbolic link to the file it names; never over
 * a directory, a device or a FIFO (SYMCLONE_ERR_PATH) or a file the caller
 * may not write (SYMCLONE_ERR_IO, EACCES); keeping the replaced file's
 * permission bits; put in place in one step only when complete, so path
 * holds either its old content or the whole new picture.
 *
 * The handle: symclone_picture_create fixes the grid of panels and their
 * size; the settings (<symclone/settings.h>) choose the rest:
 *   SYMCLONE_PICTURE_FORMAT     a symclone_picture_format, default AUTO
 *   SYMCLONE_PICTURE_SCALE      a symclone_picture_scale, default SYMMETRIC
 *   SYMCLONE_PICTURE_UPSCALE    >= 1, default 1
 *   SYMCLONE_PICTURE_DOWNSCALE  >= 1, default 1
 *   SYMCLONE_PICTURE_GAP        >= 0 pixels between panels, default 0
 * and symclone_picture_write draws panels with them, as often as wanted.
 *
 * Errors: every fallible call returns a symclone_status; the detail (which
 * argument, which file and why) is kept by the handle and read with
 * symclone_picture_last_error().  symclone_picture_create has no handle
 * yet and reports by its status alone.
 *
 * Labels (needs cairo at build time, see symclone_picture_labels_available):
 * a title above the grid, a label left of each row of panels, a label
 * above each column, a caption under each panel and a colour bar right of
 * the grid (the colour map from the bottom to the top of the range, its
 * value at the bottom, middle and top, and a label).  A picture with any of
 * them is "labelled": it gets white margins that hold the text, its panels
 * keep their exact colours and size (one value, one upscale x upscale
 * block), and it is written as PNG (by cairo), PDF or SVG (panels as one
 * image, text as vectors) or PGM (grey).  symclone_picture_locate reports
 * where each panel and each label lies, in pixels (PDF and SVG: points).
 * The text height follows the grid: 4 % of its larger side, from 11 to 32
 * pixels; a label wider than its place is drawn smaller to fit.  Without
 * cairo every labelling call returns SYMCLONE_ERR_NOT_AVAILABLE with a
 * message saying that labels need cairo, PDF and SVG are refused the same
 * way, and bare pictures are written as described above.
 *
 * Thread safety: a picture's settings must not change while another thread
 * uses it; symclone_picture_size and symclone_picture_write only read
 * them (their message slot is written under a lock), so any number of
 * threads may write pictures of one handle at once (to different paths).
 */
#ifndef SYMCLONE_PICTURE_H
#define SYMCLONE_PICTURE_H

#include <symclone/common.h>
#include <symclone/settings.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Values of SYMCLONE_PICTURE_FORMAT. */
typedef enum symclone_picture_format {
  SYMCLONE_PICTURE_FORMAT_AUTO = 0, /**< by the extension of the path: .png or .pgm */
  SYMCLONE_PICTURE_FORMAT_PGM = 1,  /**< binary PGM (P5), 8-bit grey; always available */
  SYMCLONE_PICTURE_FORMAT_PNG = 2,  /**< PNG, 8-bit RGB; libpng, or cairo for labelled pictures */
  SYMCLONE_PICTURE_FORMAT_PDF = 3,  /**< PDF, panels as an image, text as vectors; needs cairo */
  SYMCLONE_PICTURE_FORMAT_SVG = 4   /**< SVG, panels as an image, text as vectors; needs cairo */
} symclone_picture_format;

/** Values of SYMCLONE_PICTURE_SCALE: the range of values mapped to the colour scale. */
typedef enum symclone_picture_scale {
  SYMCLONE_PICTURE_SCALE_SYMMETRIC = 0,           /**< [-m, m], m = max |v| over all panels */
  SYMCLONE_PICTURE_SCALE_MINMAX = 1,              /**< [min, max] over all panels */
  SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL = 2, /**< [-m, m] of each panel */
  SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL = 3     /**< [min, max] of each panel */
} symclone_picture_scale;

/** A picture of panels of values (opaque handle). */
typedef struct symclone_picture symclone_picture;

/** A picture of panels_down x panels_across panels of rows x cols values
 * each, with the default settings.  Returns SYMCLONE_ERR_NULL,
 * SYMCLONE_ERR_SIZE (a count or size < 1), SYMCLONE_ERR_OVERFLOW (the
 * canvas would be wider or taller than INT_MAX pixels), SYMCLONE_ERR_NOMEM.
 * Free with symclone_picture_free(). */
SYMCLONE_API symclone_status symclone_picture_create(symclone_picture **out, int panels_down,
                                                    int panels_across, int rows, int cols);

/** Free a picture; NULL is accepted. */
SYMCLONE_API void symclone_picture_free(symclone_picture *pic);

/** Change a setting (SYMCLONE_PICTURE_*, see above).  SYMCLONE_ERR_NULL,
 * SYMCLONE_ERR_ARG (a key of another object), SYMCLONE_ERR_SETTING (out of
 * bounds, or not a whole number; nothing changes). */
SYMCLONE_API symclone_status symclone_picture_set(symclone_picture *pic, symclone_setting key,
                                                 double value);

/** Read a setting into *value.  SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG. */
SYMCLONE_API symclone_status symclone_picture_get(const symclone_picture *pic,
                                                 symclone_setting key, double *value);

/** Size in pixels of the picture symclone_picture_write writes with the
 * current settings: *width and *height are written only on success.
 * Errors: SYMCLONE_ERR_NULL, SYMCLONE_ERR_OVERFLOW (the upscale, downscale
 * and gap make the canvas wider or taller than INT_MAX pixels). */
SYMCLONE_API symclone_status symclone_picture_size(const symclone_picture *pic, int *width,
                                                  int *height);

/** Write the panels as one picture at path.  panels holds panels_down *
 * panels_across pointers in row-major order of the grid
 * (panels[r * panels_across + c] is the panel in grid row r, grid column
 * c), each to rows * cols floats in row-major order; pass it as an array
 * of `const float *`.  An entry may be NULL to leave that cell of the grid
 * blank (background), but at least one must be non-NULL.  The panel data
 * are only read.
 *
 * Errors: SYMCLONE_ERR_NULL (pic, path or panels NULL, or every panel
 * NULL), SYMCLONE_ERR_OVERFLOW (see symclone_picture_size),
 * SYMCLONE_ERR_ARG (AUTO with an unknown extension),
 * SYMCLONE_ERR_NOT_AVAILABLE (PNG without libpng), SYMCLONE_ERR_PATH (path
 * names a directory, a device or a FIFO), SYMCLONE_ERR_NOMEM,
 * SYMCLONE_ERR_IO (creating, writing or putting the file in place failed,
 * or path is a file the caller may not write; path is unchanged and
 * nothing is left behind). */
SYMCLONE_API symclone_status symclone_picture_write(symclone_picture *pic, const char *path,
                                                   const float *const *panels);

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_picture_last_error(const symclone_picture *pic);

/** 1 if this build writes PNG (libpng was found at build time), else 0. */
SYMCLONE_API int symclone_picture_png_available(void);

/** The parts of a picture that symclone_picture_locate reports. */
typedef enum symclone_picture_region {
  SYMCLONE_PICTURE_REGION_PANEL = 0,        /**< panel `index` (grid row * panels_across + column) */
  SYMCLONE_PICTURE_REGION_TITLE = 1,        /**< the title's band; index 0 */
  SYMCLONE_PICTURE_REGION_ROW_LABEL = 2,    /**< the label of grid row `index` */
  SYMCLONE_PICTURE_REGION_COLUMN_LABEL = 3, /**< the label of grid column `index` */
  SYMCLONE_PICTURE_REGION_CAPTION = 4,      /**< the caption under panel `index` */
  SYMCLONE_PICTURE_REGION_COLOUR_BAR = 5,   /**< the colour bar's colours; index 0 */
  SYMCLONE_PICTURE_REGION_COLOUR_BAR_TEXT = 6 /**< its values and label; index 0 */
} symclone_picture_region;

/** A rectangle of a picture in pixels: x to the right, y down, from the top
 * left corner. */
typedef struct symclone_picture_rect {
  int x;      /**< left edge */
  int y;      /**< top edge */
  int width;  /**< width (0: the region is absent) */
  int height; /**< height (0: the region is absent) */
} symclone_picture_rect;

/** 1 if this build draws labelled pictures and PDF/SVG (cairo was found at
 * build time), else 0. */
SYMCLONE_API int symclone_picture_labels_available(void);

/** Set the title drawn above the grid; NULL or "" removes it.  Text is
 * UTF-8, at most 1000 bytes.  Errors: SYMCLONE_ERR_NULL,
 * SYMCLONE_ERR_ARG (not UTF-8, too long), SYMCLONE_ERR_NOT_AVAILABLE
 * (labels need cairo), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_picture_set_title(symclone_picture *pic, const char *text);

/** Set the label left of grid row `row` (0-based); NULL or "" removes it.
 * Errors as symclone_picture_set_title, and SYMCLONE_ERR_ARG for a row
 * outside the grid. */
SYMCLONE_API symclone_status symclone_picture_set_row_label(symclone_picture *pic, int row,
                                                           const char *text);

/** Set the label above grid column `column` (0-based); NULL or "" removes
 * it.  Errors as symclone_picture_set_row_label. */
SYMCLONE_API symclone_status symclone_picture_set_column_label(symclone_picture *pic, int column,
                                                              const char *text);

/** Set the caption under panel `panel` (grid row * panels_across + grid
 * column); NULL or "" removes it.  Errors as
 * symclone_picture_set_row_label. */
SYMCLONE_API symclone_status symclone_picture_set_caption(symclone_picture *pic, int panel,
                                                         const char *text);

/** Show (show != 0) or remove the colour bar, with `label` (NULL or "" for
 * none) written beside it.  The bar shows the range of every panel (the
 * SYMMETRIC and MINMAX scales) with its values; under the *_PER_PANEL
 * scales each panel has its own range and the bar is marked "-max", "0",
 * "+max" or "min", "max".  Errors as symclone_picture_set_title. */
SYMCLONE_API symclone_status symclone_picture_set_colour_bar(symclone_picture *pic, int show,
                                                            const char *label);

/** Where a region lies in the picture symclone_picture_write writes with
 * the current settings and labels.  A label that is not set, and the colour
 * bar when it is not shown, have width and height 0.  Panels are always
 * reported (a bare picture's panels where the grid puts them).  Errors:
 * SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG (unknown region, index outside the
 * grid), SYMCLONE_ERR_OVERFLOW (see symclone_picture_size). */
SYMCLONE_API symclone_status symclone_picture_locate(const symclone_picture *pic,
                                                    symclone_picture_region region, int index,
                                                    symclone_picture_rect *rect);

#ifdef __cplusplus
}
#endif

#endif
