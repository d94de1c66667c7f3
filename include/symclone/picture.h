/* libsymclone: pictures of matrices and feature maps.
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
 * SYMCLONE_PICTURE_FORMAT_AUTO chooses by the extension of path, ".png" or ".pgm"
 * in any case, and returns SYMCLONE_ERR_ARG for any other.  The picture is
 * written to a new temporary file beside path (path + ".tmp" + a number) and
 * renamed onto path only when complete, so path holds either its old content
 * or the whole new picture; on any error the temporary file is removed.
 *
 * Errors: every call returns a symclone_status.  errbuf, if not NULL and
 * errlen > 0, receives a NUL-terminated one-line message on error (which
 * argument, which file and why) and "" on success; it may be NULL.
 *
 * Thread safety: the functions keep no state; any number of threads may
 * call them at once (writing to different paths).
 */
#ifndef SYMCLONE_PICTURE_H
#define SYMCLONE_PICTURE_H

#include <symclone/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum symclone_picture_format {
  SYMCLONE_PICTURE_FORMAT_AUTO = 0, /* by the extension of the path: .png or .pgm */
  SYMCLONE_PICTURE_FORMAT_PGM = 1,  /* binary PGM (P5), 8-bit grey; always available */
  SYMCLONE_PICTURE_FORMAT_PNG = 2   /* PNG, 8-bit RGB; only when built with libpng */
} symclone_picture_format;

typedef enum symclone_picture_scale {
  SYMCLONE_PICTURE_SCALE_SYMMETRIC = 0,           /* [-m, m], m = max |v| over all panels */
  SYMCLONE_PICTURE_SCALE_MINMAX = 1,              /* [min, max] over all panels */
  SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL = 2, /* [-m, m] of each panel */
  SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL = 3     /* [min, max] of each panel */
} symclone_picture_scale;

/* Write panels_down x panels_across panels of rows x cols floats each as one
 * picture at path.  panels holds panels_down * panels_across pointers in
 * row-major order of the grid (panels[r * panels_across + c] is the panel in
 * grid row r, grid column c), each to rows * cols floats in row-major order;
 * pass it as an array of `const float *`.  An entry may be NULL to leave
 * that cell of the grid blank (background), but at least one must be
 * non-NULL.
 * upscale >= 1 replicates each (downscaled) value into upscale x upscale
 * pixels, downscale >= 1 averages blocks (see above), gap >= 0 is the width
 * in pixels of the background between neighbouring panels (none around the
 * canvas).  The panel data are only read.
 *
 * Errors: SYMCLONE_ERR_NULL (path or panels NULL, or every panel NULL),
 * SYMCLONE_ERR_SIZE (a count, size or factor < 1, or gap < 0),
 * SYMCLONE_ERR_OVERFLOW (the canvas is wider or taller than INT_MAX pixels),
 * SYMCLONE_ERR_ARG (unknown format or scale, or AUTO with an unknown
 * extension), SYMCLONE_ERR_NOT_AVAILABLE (PNG without libpng),
 * SYMCLONE_ERR_NOMEM, SYMCLONE_ERR_IO (creating, writing or renaming the
 * file failed; nothing is left behind and path is unchanged). */
SYMCLONE_API symclone_status symclone_picture_write(const char *path,
                                                   symclone_picture_format format,
                                                   const float *const *panels, int panels_down,
                                                   int panels_across, int rows, int cols,
                                                   symclone_picture_scale scale, int upscale,
                                                   int downscale, int gap, char *errbuf,
                                                   size_t errlen);

/* One matrix of rows x cols floats as a picture: symclone_picture_write
 * with a single panel. */
SYMCLONE_API symclone_status symclone_picture_write_matrix(const char *path,
                                                          symclone_picture_format format,
                                                          const float *matrix, int rows, int cols,
                                                          symclone_picture_scale scale,
                                                          int upscale, int downscale,
                                                          char *errbuf, size_t errlen);

/* Size in pixels of the picture symclone_picture_write would write for these
 * arguments: *width and *height are written only on success.  Errors:
 * SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE, SYMCLONE_ERR_OVERFLOW as for
 * symclone_picture_write. */
SYMCLONE_API symclone_status symclone_picture_size(int panels_down, int panels_across, int rows,
                                                  int cols, int upscale, int downscale, int gap,
                                                  int *width, int *height);

/* 1 if this build writes PNG (libpng was found at build time), else 0. */
SYMCLONE_API int symclone_picture_png_available(void);

#ifdef __cplusplus
}
#endif

#endif
