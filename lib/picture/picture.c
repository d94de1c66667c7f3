/* Pictures: the handle, layout, colour scales, the PGM writer; files are
 * saved through the library's atomic file writer. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/fileio.h"
#include "picture_priv.h"

/* ---- layout ------------------------------------------------------------ */

static symclone_status layout(sym_canvas *c, int down, int across, int rows, int cols, int up,
                              int dn, int gap, const sym_err *err) {
  if (down < 1 || across < 1)
    return sym_fail(err, SYMCLONE_ERR_SIZE,
                            "panel grid %d x %d: both counts must be >= 1", down, across);
  if (rows < 1 || cols < 1)
    return sym_fail(err, SYMCLONE_ERR_SIZE,
                            "panel size %d x %d: both sizes must be >= 1", rows, cols);
  if (up < 1 || dn < 1)
    return sym_fail(err, SYMCLONE_ERR_SIZE,
                            "upscale %d, downscale %d: both must be >= 1", up, dn);
  if (gap < 0)
    return sym_fail(err, SYMCLONE_ERR_SIZE, "gap %d must be >= 0", gap);
  size_t count, values;
  if (sym_mul_size((size_t)down, (size_t)across, &count) ||
      sym_mul_size((size_t)rows, (size_t)cols, &values))
    return sym_fail(err, SYMCLONE_ERR_OVERFLOW,
                            "%d x %d panels of %d x %d values overflow", down, across, rows,
                            cols);
  /* Every factor is below 2^31, so no product of two below overflows a
   * long long, nor does the sum of two such products. */
  c->down = down;
  c->across = across;
  c->rows = rows;
  c->cols = cols;
  c->up = up;
  c->dn = dn;
  c->gap = gap;
  c->cell_rows = ((long long)rows + dn - 1) / dn;
  c->cell_cols = ((long long)cols + dn - 1) / dn;
  c->panel_h = c->cell_rows * up;
  c->panel_w = c->cell_cols * up;
  long long h = -1, w = -1;
  if (c->panel_h <= INT_MAX) h = c->panel_h * down + (long long)(down - 1) * gap;
  if (c->panel_w <= INT_MAX) w = c->panel_w * across + (long long)(across - 1) * gap;
  if (h < 0 || w < 0 || h > INT_MAX || w > INT_MAX)
    return sym_fail(err, SYMCLONE_ERR_OVERFLOW,
                            "%d x %d panels of %d x %d values (upscale %d, downscale %d, gap %d)"
                            " exceed INT_MAX pixels",
                            down, across, rows, cols, up, dn, gap);
  c->height = (int)h;
  c->width = (int)w;
  return SYMCLONE_OK;
}

size_t sym_canvas_row_bytes(const sym_canvas *c) {
  return (size_t)c->width * (size_t)c->channels;
}

/* ---- values and colours ------------------------------------------------ */

/* Background and gaps: white in PGM; light grey in PNG, a colour neither
 * map uses, so that panels stay apart where white means zero. */

/* Value of cell (i, j) of panel p: one entry, or the mean of a dn x dn
 * block (clipped at the panel's edges).  NaN and infinities propagate. */
static double cell_value(const sym_canvas *c, const float *p, long long i, long long j) {
  if (c->dn == 1) return p[(size_t)i * (size_t)c->cols + (size_t)j];
  long long r0 = i * c->dn, c0 = j * c->dn;
  long long r1 = r0 + c->dn < c->rows ? r0 + c->dn : c->rows;
  long long c1 = c0 + c->dn < c->cols ? c0 + c->dn : c->cols;
  double s = 0.0;
  for (long long r = r0; r < r1; r++) {
    const float *src = p + (size_t)r * (size_t)c->cols;
    for (long long k = c0; k < c1; k++) s += src[k];
  }
  return s / (double)((r1 - r0) * (c1 - c0));
}

/* Smallest and largest finite cell value of panel p; 0 if it has none. */
static int panel_range(const sym_canvas *c, const float *p, double *lo, double *hi) {
  int any = 0;
  double a = 0.0, b = 0.0;
  for (long long i = 0; i < c->cell_rows; i++)
    for (long long j = 0; j < c->cell_cols; j++) {
      double v = cell_value(c, p, i, j);
      if (!isfinite(v)) continue;
      if (!any || v < a) a = v;
      if (!any || v > b) b = v;
      any = 1;
    }
  *lo = a;
  *hi = b;
  return any;
}

/* Fill c->low and c->high for every non-blank panel under scale. */
static void scale_ranges(sym_canvas *c, symclone_picture_scale scale, size_t count) {
  int per_panel = scale == SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL ||
                  scale == SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL;
  int any_all = 0;
  double lo_all = 0.0, hi_all = 0.0;
  for (size_t k = 0; k < count; k++) {
    double lo = 0.0, hi = 0.0;
    int any = c->panels[k] ? panel_range(c, c->panels[k], &lo, &hi) : 0;
    if (c->symmetric) {
      double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
      lo = -m;
      hi = m;
    }
    c->low[k] = lo;
    c->high[k] = hi;
    if (any) {
      if (!any_all || lo < lo_all) lo_all = lo;
      if (!any_all || hi > hi_all) hi_all = hi;
      any_all = 1;
    }
  }
  if (!per_panel)
    for (size_t k = 0; k < count; k++) {
      c->low[k] = lo_all;
      c->high[k] = hi_all;
    }
}

static unsigned char level(double t) { return (unsigned char)floor(255.0 * t + 0.5); }

/* Viridis sampled at 9 evenly spaced points. */
static const unsigned char viridis[9][3] = {
    {68, 1, 84},    {71, 45, 123},  {59, 82, 139},  {44, 114, 142}, {33, 145, 140},
    {34, 168, 132}, {94, 201, 98},  {168, 219, 52}, {253, 231, 37},
};

void sym_canvas_colour(const sym_canvas *c, double v, double lo, double hi, unsigned char *px) {
  if (isnan(v)) {
    if (c->channels == 1) {
      px[0] = 128;
    } else {
      px[0] = 255;
      px[1] = 0;
      px[2] = 255;
    }
    return;
  }
  double t;
  if (v == INFINITY)
    t = 1.0;
  else if (v == -INFINITY)
    t = 0.0;
  else if (hi > lo) {
    t = (v - lo) / (hi - lo);
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
  } else
    t = 0.5;
  if (c->channels == 1) {
    px[0] = level(t);
  } else if (c->symmetric) {
    if (t < 0.5) {
      px[0] = px[1] = level(2.0 * t);
      px[2] = 255;
    } else {
      px[0] = 255;
      px[1] = px[2] = level(2.0 * (1.0 - t));
    }
  } else {
    double pos = t * 8.0;
    int k = (int)pos;
    if (k > 7) k = 7;
    double f = pos - k;
    for (int ch = 0; ch < 3; ch++) {
      double a = viridis[k][ch], b = viridis[k + 1][ch];
      px[ch] = (unsigned char)floor(a + f * (b - a) + 0.5);
    }
  }
}

void sym_canvas_row(const sym_canvas *c, int y, unsigned char *row, long long *cached) {
  long long stride = c->panel_h + c->gap;
  long long pr = y / stride, within = y - pr * stride;
  long long i = within / c->up;
  long long key = within >= c->panel_h ? -1 : pr * c->cell_rows + i;
  if (key == *cached) return;
  *cached = key;
  size_t ch = (size_t)c->channels;
  memset(row, c->channels == 1 ? 255 : 192, sym_canvas_row_bytes(c));
  if (key < 0) return;
  unsigned char *out = row;
  for (int pc = 0; pc < c->across; pc++) {
    if (pc > 0) out += (size_t)c->gap * ch;
    size_t k = (size_t)pr * (size_t)c->across + (size_t)pc;
    const float *p = c->panels[k];
    if (!p) {
      out += (size_t)c->panel_w * ch;
      continue;
    }
    for (long long j = 0; j < c->cell_cols; j++) {
      unsigned char px[3];
      sym_canvas_colour(c, cell_value(c, p, i, j), c->low[k], c->high[k], px);
      for (int u = 0; u < c->up; u++) {
        memcpy(out, px, ch);
        out += ch;
      }
    }
  }
}

/* ---- files ------------------------------------------------------------- */

static int write_pgm(FILE *f, const sym_canvas *c, unsigned char *row) {
  if (fprintf(f, "P5\n%d %d\n255\n", c->width, c->height) < 0) return -1;
  size_t n = sym_canvas_row_bytes(c);
  long long cached = -2;
  for (int y = 0; y < c->height; y++) {
    sym_canvas_row(c, y, row, &cached);
    if (fwrite(row, 1, n, f) != n) return -1;
  }
  return 0;
}

/* Extension of the last component of path after its last dot, or "". */
static const char *extension(const char *path) {
  const char *base = path, *dot = NULL;
  for (const char *s = path; *s; s++) {
    if (*s == '/' || *s == '\\') {
      base = s + 1;
      dot = NULL;
    } else if (*s == '.' && s != base) {
      dot = s;
    }
  }
  return dot ? dot + 1 : "";
}

static int same_ignoring_case(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

/* ---- public ------------------------------------------------------------ */

static int setting_int(const symclone_picture *pic, symclone_setting key) {
  return (int)pic->setting[SYM_SETTING_SLOT(key)];
}

static symclone_status pic_layout(const symclone_picture *pic, sym_canvas *c, const sym_err *err) {
  return layout(c, pic->down, pic->across, pic->rows, pic->cols,
                setting_int(pic, SYMCLONE_PICTURE_UPSCALE),
                setting_int(pic, SYMCLONE_PICTURE_DOWNSCALE), setting_int(pic, SYMCLONE_PICTURE_GAP),
                err);
}

symclone_status symclone_picture_create(symclone_picture **out, int panels_down,
                                        int panels_across, int rows, int cols) {
  if (!out) return SYMCLONE_ERR_NULL;
  sym_canvas c;
  memset(&c, 0, sizeof c);
  symclone_status st = layout(&c, panels_down, panels_across, rows, cols, 1, 1, 0, NULL);
  if (st) return st;
  symclone_picture *pic = sym_calloc(1, sizeof *pic);
  if (!pic) return SYMCLONE_ERR_NOMEM;
  pic->down = panels_down;
  pic->across = panels_across;
  pic->rows = rows;
  pic->cols = cols;
  sym_settings_init(SYM_SETTINGS_PICTURE, pic->setting);
  sym_err_init(&pic->err);
  *out = pic;
  return SYMCLONE_OK;
}

static void free_labels(char **labels, size_t n) {
  if (!labels) return;
  for (size_t k = 0; k < n; k++) sym_free(labels[k]);
  sym_free(labels);
}

void symclone_picture_free(symclone_picture *pic) {
  if (!pic) return;
  sym_free(pic->title);
  sym_free(pic->bar_label);
  free_labels(pic->row_label, (size_t)pic->down);
  free_labels(pic->column_label, (size_t)pic->across);
  free_labels(pic->caption, (size_t)pic->down * (size_t)pic->across);
  sym_free(pic);
}

symclone_status symclone_picture_set(symclone_picture *pic, symclone_setting key, double value) {
  if (!pic) return SYMCLONE_ERR_NULL;
  return sym_settings_store(&pic->err, SYM_SETTINGS_PICTURE, pic->setting, key, value);
}

symclone_status symclone_picture_get(const symclone_picture *pic, symclone_setting key,
                                     double *value) {
  if (!pic) return SYMCLONE_ERR_NULL;
  return sym_settings_load(&pic->err, SYM_SETTINGS_PICTURE, pic->setting, key, value);
}

symclone_status symclone_picture_size(const symclone_picture *pic, int *width, int *height) {
  if (!pic) return SYMCLONE_ERR_NULL;
  if (!width || !height) return sym_fail(&pic->err, SYMCLONE_ERR_NULL, "width or height is NULL");
  sym_canvas c;
  memset(&c, 0, sizeof c);
  symclone_status st = pic_layout(pic, &c, &pic->err);
  if (st) return st;
  sym_frame fr;
  st = sym_frame_make(pic, &c, &fr, &pic->err);
  if (st) return st;
  *width = fr.width;
  *height = fr.height;
  return SYMCLONE_OK;
}

const char *symclone_picture_last_error(const symclone_picture *pic) {
  return pic ? pic->err.msg : "";
}

/* The format for path: the setting, or by the extension for AUTO. */
static symclone_status choose_format(const symclone_picture *pic, const char *path,
                                     symclone_picture_format *format) {
  symclone_picture_format f = (symclone_picture_format)setting_int(pic, SYMCLONE_PICTURE_FORMAT);
  if (f == SYMCLONE_PICTURE_FORMAT_AUTO) {
    const char *ext = extension(path);
    if (same_ignoring_case(ext, "png"))
      f = SYMCLONE_PICTURE_FORMAT_PNG;
    else if (same_ignoring_case(ext, "pgm"))
      f = SYMCLONE_PICTURE_FORMAT_PGM;
    else if (same_ignoring_case(ext, "pdf"))
      f = SYMCLONE_PICTURE_FORMAT_PDF;
    else if (same_ignoring_case(ext, "svg"))
      f = SYMCLONE_PICTURE_FORMAT_SVG;
    else
      return sym_fail(&pic->err, SYMCLONE_ERR_ARG,
                      "'%s': extension must be .png, .pgm, .pdf or .svg for an automatic format",
                      path);
  }
  if ((f == SYMCLONE_PICTURE_FORMAT_PDF || f == SYMCLONE_PICTURE_FORMAT_SVG) &&
      !symclone_picture_labels_available())
    return sym_fail(&pic->err, SYMCLONE_ERR_NOT_AVAILABLE,
                    "'%s': PDF and SVG pictures need cairo, which this build has not", path);
  if (f == SYMCLONE_PICTURE_FORMAT_PNG && !sym_picture_labelled(pic) &&
      !symclone_picture_png_available())
    return sym_fail(&pic->err, SYMCLONE_ERR_NOT_AVAILABLE,
                    "'%s': this build has no PNG support (libpng); write PGM instead", path);
  *format = f;
  return SYMCLONE_OK;
}

/* Draw the canvas into the file being saved. */
static symclone_status draw(const symclone_picture *pic, sym_file_out *o, const char *path,
                            symclone_picture_format format, const sym_canvas *c,
                            const sym_frame *fr, unsigned char *row) {
  char eb[160];
  int fd = dup(o->fd);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    int e = errno;
    if (fd >= 0) close(fd);
    return sym_fail(&pic->err, sym_file_status(e), "cannot write '%s': %s", path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  symclone_status st = SYMCLONE_OK;
  if (fr->labelled || format == SYMCLONE_PICTURE_FORMAT_PDF ||
      format == SYMCLONE_PICTURE_FORMAT_SVG) {
    st = sym_picture_write_cairo(f, pic, c, fr, format, &pic->err);
    if (st == SYMCLONE_ERR_IO && !pic->err.msg[0])
      sym_fail(&pic->err, st, "cannot write '%s'", path);
  } else if (format == SYMCLONE_PICTURE_FORMAT_PNG) {
    st = sym_picture_write_png(f, c, row, &pic->err);
    if (st == SYMCLONE_ERR_IO && !pic->err.msg[0])
      sym_fail(&pic->err, st, "cannot write '%s'", path);
  } else if (write_pgm(f, c, row) != 0) {
    int e = errno;
    st = sym_fail(&pic->err, SYMCLONE_ERR_IO, "cannot write '%s': %s", path,
                  sym_file_strerror(e, eb, sizeof eb));
  }
  int e = 0;
  if (fflush(f) != 0 || ferror(f)) e = errno ? errno : EIO;
  if (fclose(f) != 0 && !e) e = errno;
  if (e && !st)
    st = sym_fail(&pic->err, sym_file_status(e), "cannot write '%s': %s", path,
                  sym_file_strerror(e, eb, sizeof eb));
  return st;
}

symclone_status symclone_picture_write(symclone_picture *pic, const char *path,
                                       const float *const *panels) {
  if (!pic) return SYMCLONE_ERR_NULL;
  if (!path) return sym_fail(&pic->err, SYMCLONE_ERR_NULL, "path is NULL");
  if (!panels) return sym_fail(&pic->err, SYMCLONE_ERR_NULL, "panels is NULL");
  sym_canvas c;
  memset(&c, 0, sizeof c);
  symclone_status st = pic_layout(pic, &c, &pic->err);
  if (st) return st;
  size_t count = (size_t)pic->down * (size_t)pic->across;
  size_t filled = 0;
  for (size_t k = 0; k < count; k++) filled += panels[k] != NULL;
  if (!filled) return sym_fail(&pic->err, SYMCLONE_ERR_NULL, "every panel is NULL");
  symclone_picture_format format = SYMCLONE_PICTURE_FORMAT_PGM;
  st = choose_format(pic, path, &format);
  if (st) return st;
  symclone_picture_scale scale = (symclone_picture_scale)setting_int(pic, SYMCLONE_PICTURE_SCALE);
  c.panels = panels;
  c.channels = format == SYMCLONE_PICTURE_FORMAT_PGM ? 1 : 3;
  sym_frame fr;
  st = sym_frame_make(pic, &c, &fr, &pic->err);
  if (st) return st;
  c.symmetric = scale == SYMCLONE_PICTURE_SCALE_SYMMETRIC ||
                scale == SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL;

  size_t row_bytes;
  if (sym_mul_size((size_t)c.width, (size_t)c.channels, &row_bytes))
    return sym_fail(&pic->err, SYMCLONE_ERR_OVERFLOW, "canvas row too wide");
  c.low = sym_malloc_array(count, sizeof *c.low);
  c.high = sym_malloc_array(count, sizeof *c.high);
  unsigned char *row = sym_malloc(row_bytes);
  if (!c.low || !c.high || !row) {
    st = sym_fail(&pic->err, SYMCLONE_ERR_NOMEM, "no memory for a %d-pixel canvas row", c.width);
    goto done;
  }
  scale_ranges(&c, scale, count);

  sym_file_out o;
  char eb[160];
  int e = sym_file_out_open(&o, path);
  if (e) {
    st = sym_fail(&pic->err, sym_file_status(e), "cannot write '%s': %s", path,
                  sym_file_strerror(e, eb, sizeof eb));
    goto done;
  }
  st = draw(pic, &o, path, format, &c, &fr, row);
  if (st) {
    sym_file_out_discard(&o);
    goto done;
  }
  e = sym_file_out_commit(&o);
  if (e)
    st = sym_fail(&pic->err, sym_file_status(e), "cannot put '%s' in place: %s", path,
                  sym_file_strerror(e, eb, sizeof eb));

done:
  sym_free(row);
  sym_free(c.high);
  sym_free(c.low);
  return st;
}

int symclone_picture_png_available(void) { return SYMCLONE_HAVE_PNG ? 1 : 0; }

/* ---- labels ------------------------------------------------------------ */

int symclone_picture_labels_available(void) { return SYMCLONE_HAVE_CAIRO ? 1 : 0; }

int sym_picture_labelled(const symclone_picture *pic) {
  if (pic->title || pic->bar) return 1;
  if (pic->row_label)
    for (int r = 0; r < pic->down; r++)
      if (pic->row_label[r]) return 1;
  if (pic->column_label)
    for (int c = 0; c < pic->across; c++)
      if (pic->column_label[c]) return 1;
  if (pic->caption)
    for (size_t k = 0; k < (size_t)pic->down * (size_t)pic->across; k++)
      if (pic->caption[k]) return 1;
  return 0;
}

#define LABEL_MAX 1000

/* 1 if s (n bytes) is well-formed UTF-8 without control characters. */
static int utf8_text(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = u[i];
    size_t len;
    unsigned cp;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return 0;
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (i + len > n) return 0;
    for (size_t k = 1; k < len; k++) {
      if ((u[i + k] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (u[i + k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    i += len;
  }
  return 1;
}

/* Replace *slot by a copy of text (NULL or "" clears it). */
static symclone_status store_text(symclone_picture *pic, char **slot, const char *text,
                                  const char *what) {
  if (!symclone_picture_labels_available())
    return sym_fail(&pic->err, SYMCLONE_ERR_NOT_AVAILABLE,
                    "%s: labels need cairo, which this build has not (meson -Dcairo=enabled)",
                    what);
  char *copy = NULL;
  if (text && *text) {
    size_t n = strlen(text);
    if (n > LABEL_MAX)
      return sym_fail(&pic->err, SYMCLONE_ERR_ARG, "%s: %zu bytes, more than %d", what, n,
                      LABEL_MAX);
    if (!utf8_text(text, n))
      return sym_fail(&pic->err, SYMCLONE_ERR_ARG,
                      "%s: not UTF-8 text (or a control character)", what);
    copy = sym_malloc(n + 1);
    if (!copy) return sym_fail(&pic->err, SYMCLONE_ERR_NOMEM, "%s: no memory", what);
    memcpy(copy, text, n + 1);
  }
  sym_free(*slot);
  *slot = copy;
  return SYMCLONE_OK;
}

/* The entry `index` of a label array of n entries, made on first use. */
static symclone_status label_slot(symclone_picture *pic, char ***labels, size_t n, int index,
                                  const char *what, char ***slot_array) {
  if (!symclone_picture_labels_available())
    return sym_fail(&pic->err, SYMCLONE_ERR_NOT_AVAILABLE,
                    "%s: labels need cairo, which this build has not (meson -Dcairo=enabled)",
                    what);
  if (index < 0 || (size_t)index >= n)
    return sym_fail(&pic->err, SYMCLONE_ERR_ARG, "%s %d: outside 0..%zu", what, index, n - 1);
  if (!*labels) {
    *labels = sym_calloc(n, sizeof **labels);
    if (!*labels) return sym_fail(&pic->err, SYMCLONE_ERR_NOMEM, "%s: no memory", what);
  }
  *slot_array = *labels;
  return SYMCLONE_OK;
}

symclone_status symclone_picture_set_title(symclone_picture *pic, const char *text) {
  if (!pic) return SYMCLONE_ERR_NULL;
  return store_text(pic, &pic->title, text, "title");
}

symclone_status symclone_picture_set_row_label(symclone_picture *pic, int row, const char *text) {
  if (!pic) return SYMCLONE_ERR_NULL;
  char **a;
  symclone_status st = label_slot(pic, &pic->row_label, (size_t)pic->down, row, "row", &a);
  return st ? st : store_text(pic, &a[row], text, "row label");
}

symclone_status symclone_picture_set_column_label(symclone_picture *pic, int column,
                                                  const char *text) {
  if (!pic) return SYMCLONE_ERR_NULL;
  char **a;
  symclone_status st =
      label_slot(pic, &pic->column_label, (size_t)pic->across, column, "column", &a);
  return st ? st : store_text(pic, &a[column], text, "column label");
}

symclone_status symclone_picture_set_caption(symclone_picture *pic, int panel, const char *text) {
  if (!pic) return SYMCLONE_ERR_NULL;
  char **a;
  symclone_status st = label_slot(pic, &pic->caption, (size_t)pic->down * (size_t)pic->across,
                                  panel, "panel", &a);
  return st ? st : store_text(pic, &a[panel], text, "caption");
}

symclone_status symclone_picture_set_colour_bar(symclone_picture *pic, int show,
                                                const char *label) {
  if (!pic) return SYMCLONE_ERR_NULL;
  symclone_status st = store_text(pic, &pic->bar_label, show ? label : NULL, "colour bar label");
  if (st) return st;
  pic->bar = show != 0;
  return SYMCLONE_OK;
}

symclone_status symclone_picture_locate(const symclone_picture *pic,
                                        symclone_picture_region region, int index,
                                        symclone_picture_rect *rect) {
  if (!pic) return SYMCLONE_ERR_NULL;
  if (!rect) return sym_fail(&pic->err, SYMCLONE_ERR_NULL, "rect is NULL");
  sym_canvas c;
  memset(&c, 0, sizeof c);
  symclone_status st = pic_layout(pic, &c, &pic->err);
  if (st) return st;
  sym_frame f;
  st = sym_frame_make(pic, &c, &f, &pic->err);
  if (st) return st;
  long long n;
  switch (region) {
  case SYMCLONE_PICTURE_REGION_PANEL:
  case SYMCLONE_PICTURE_REGION_CAPTION: n = (long long)pic->down * pic->across; break;
  case SYMCLONE_PICTURE_REGION_ROW_LABEL: n = pic->down; break;
  case SYMCLONE_PICTURE_REGION_COLUMN_LABEL: n = pic->across; break;
  case SYMCLONE_PICTURE_REGION_TITLE:
  case SYMCLONE_PICTURE_REGION_COLOUR_BAR:
  case SYMCLONE_PICTURE_REGION_COLOUR_BAR_TEXT: n = 1; break;
  default:
    return sym_fail(&pic->err, SYMCLONE_ERR_ARG, "unknown picture region %d", (int)region);
  }
  if (index < 0 || index >= n)
    return sym_fail(&pic->err, SYMCLONE_ERR_ARG, "region index %d: outside 0..%lld", index,
                    n - 1);
  int r = index / pic->across, k = index % pic->across;
  symclone_picture_rect out = {0, 0, 0, 0};
  switch (region) {
  case SYMCLONE_PICTURE_REGION_PANEL:
  case SYMCLONE_PICTURE_REGION_CAPTION:
    out.x = f.x0 + k * (f.pw + f.gap);
    out.y = f.y0 + r * (f.ph + f.caption_h + f.gap);
    out.width = f.pw;
    out.height = f.ph;
    if (region == SYMCLONE_PICTURE_REGION_CAPTION) {
      out.y += f.ph;
      out.height = pic->caption && pic->caption[index] ? f.caption_h : 0;
      if (!out.height) out.width = 0;
    }
    break;
  case SYMCLONE_PICTURE_REGION_ROW_LABEL:
    if (pic->row_label && pic->row_label[index]) {
      out.x = f.margin;
      out.y = f.y0 + index * (f.ph + f.caption_h + f.gap);
      out.width = f.row_w;
      out.height = f.ph;
    }
    break;
  case SYMCLONE_PICTURE_REGION_COLUMN_LABEL:
    if (pic->column_label && pic->column_label[index]) {
      out.x = f.x0 + index * (f.pw + f.gap);
      out.y = f.margin + f.title_h;
      out.width = f.pw;
      out.height = f.column_h;
    }
    break;
  case SYMCLONE_PICTURE_REGION_TITLE:
    if (pic->title) {
      out.x = f.margin;
      out.y = f.margin;
      out.width = f.width - 2 * f.margin;
      out.height = f.title_h;
    }
    break;
  case SYMCLONE_PICTURE_REGION_COLOUR_BAR:
    if (pic->bar) {
      out.x = f.bar_x;
      out.y = f.bar_y;
      out.width = f.bar_w;
      out.height = f.bar_h;
    }
    break;
  default: /* SYMCLONE_PICTURE_REGION_COLOUR_BAR_TEXT */
    if (pic->bar) {
      out.x = f.text_x;
      out.y = f.bar_y;
      out.width = f.tick_w + f.label_w;
      out.height = f.bar_h;
    }
    break;
  }
  *rect = out;
  return SYMCLONE_OK;
}
