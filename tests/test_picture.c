/* Pictures: the PGM pixels of each colour scale read back byte for byte,
 * the panel layout (gaps, upscaling, blank cells, downscaling), NaN and
 * infinities, the PNG stream's structure (signature, IHDR, chunk CRCs), and
 * bad input: NULL, zero, negative and overflowing sizes, unknown enums,
 * unwritable places, and no temporary file left behind; labelled pictures
 * (cairo): panels keep their colours where symclone_picture_locate says,
 * labels have ink in their places, PNG/PDF/SVG, and without cairo the
 * labelling calls say that labels need cairo. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <symclone/symclone.h>

#include "testutil.h"

/* ---- scratch directories ---- */

typedef struct scratch {
  char dir[64];
} scratch;

static void scratch_make(scratch *s) {
  snprintf(s->dir, sizeof s->dir, "/tmp/symclone-picture-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(s->dir));
}

static void scratch_path(const scratch *s, const char *name, char *out, size_t len) {
  snprintf(out, len, "%s/%s", s->dir, name);
}

/* Names in a directory other than "." and "..", up to max, and their count. */
static int list_dir(const char *dir, char names[][256], int max) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n < max) snprintf(names[n], 256, "%.255s", e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

static void scratch_remove(scratch *s) {
  char names[64][256];
  int n = list_dir(s->dir, names, 64);
  ck_assert_int_le(n, 64);
  for (int i = 0; i < n; i++) {
    char p[400];
    snprintf(p, sizeof p, "%s/%.255s", s->dir, names[i]);
    if (remove(p) != 0) rmdir(p);
  }
  ck_assert_int_eq(rmdir(s->dir), 0);
}

/* ---- the picture handle with every setting at once ---- */

/* A picture of the grid with these settings; on a refusal its status, and
 * the message (of the picture, if it was made) in err. */
static symclone_status make_pic(symclone_picture **out, int down, int across, int rows, int cols,
                                symclone_picture_format format, symclone_picture_scale scale,
                                int up, int dn, int gap, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  symclone_status st = symclone_picture_create(out, down, across, rows, cols);
  if (st) return st;
  const symclone_setting keys[5] = {SYMCLONE_PICTURE_FORMAT, SYMCLONE_PICTURE_SCALE,
                                    SYMCLONE_PICTURE_UPSCALE, SYMCLONE_PICTURE_DOWNSCALE,
                                    SYMCLONE_PICTURE_GAP};
  const double values[5] = {(double)format, (double)scale, up, dn, gap};
  for (int k = 0; k < 5 && !st; k++) st = symclone_picture_set(*out, keys[k], values[k]);
  if (st) {
    if (err && errlen) snprintf(err, errlen, "%s", symclone_picture_last_error(*out));
    symclone_picture_free(*out);
    *out = NULL;
  }
  return st;
}

/* One picture written with these settings. */
static symclone_status draw_grid(const char *path, symclone_picture_format format,
                                 const float *const *panels, int down, int across, int rows,
                                 int cols, symclone_picture_scale scale, int up, int dn, int gap,
                                 char *err, size_t errlen) {
  symclone_picture *pic;
  symclone_status st = make_pic(&pic, down, across, rows, cols, format, scale, up, dn, gap, err,
                                errlen);
  if (st) return st;
  st = symclone_picture_write(pic, path, panels);
  if (err && errlen) snprintf(err, errlen, "%s", symclone_picture_last_error(pic));
  symclone_picture_free(pic);
  return st;
}

/* A single matrix: one panel, no gap. */
static symclone_status draw_matrix(const char *path, symclone_picture_format format,
                                   const float *matrix, int rows, int cols,
                                   symclone_picture_scale scale, int up, int dn, char *err,
                                   size_t errlen) {
  const float *panels[1] = {matrix};
  return draw_grid(path, format, panels, 1, 1, rows, cols, scale, up, dn, 0, err, errlen);
}

/* The size of a picture with these settings. */
static symclone_status grid_size(int down, int across, int rows, int cols, int up, int dn, int gap,
                                 int *w, int *h) {
  symclone_picture *pic;
  symclone_status st = make_pic(&pic, down, across, rows, cols, SYMCLONE_PICTURE_FORMAT_PGM,
                                SYMCLONE_PICTURE_SCALE_SYMMETRIC, up, dn, gap, NULL, 0);
  if (st) return st;
  st = symclone_picture_size(pic, w, h);
  symclone_picture_free(pic);
  return st;
}

/* ---- reading files back ---- */

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  unsigned char *b = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

/* Parses a binary PGM (P5, maxval 255) independently of the writer: the
 * header is whitespace-separated and exactly one whitespace byte precedes
 * the pixels.  Returns the w * h pixel bytes (malloc'd). */
static unsigned char *read_pgm(const char *path, int *w, int *h) {
  size_t len;
  unsigned char *b = read_file(path, &len);
  ck_assert_uint_ge(len, 2);
  ck_assert_msg(b[0] == 'P' && b[1] == '5', "not a P5 file");
  size_t pos = 2;
  long v[3];
  for (int k = 0; k < 3; k++) {
    while (pos < len && (b[pos] == ' ' || b[pos] == '\n' || b[pos] == '\t' || b[pos] == '\r'))
      pos++;
    ck_assert_msg(pos < len && b[pos] >= '0' && b[pos] <= '9', "bad PGM header");
    v[k] = 0;
    while (pos < len && b[pos] >= '0' && b[pos] <= '9') v[k] = v[k] * 10 + (b[pos++] - '0');
  }
  ck_assert_uint_lt(pos, len);
  pos++; /* the single whitespace byte */
  ck_assert_int_eq(v[2], 255);
  ck_assert_uint_eq(len - pos, (size_t)(v[0] * v[1]));
  *w = (int)v[0];
  *h = (int)v[1];
  unsigned char *px = malloc(len - pos + 1);
  ck_assert_ptr_nonnull(px);
  memcpy(px, b + pos, len - pos);
  free(b);
  return px;
}

/* The PGM level the documentation promises for t in [0, 1]. */
static int doc_level(double t) { return (int)floor(255.0 * t + 0.5); }

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- PGM levels ---- */

START_TEST(symmetric_scale_maps_minus_max_zero_plus_max_to_0_128_255) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "m.pgm", path, sizeof path);
  const float m[6] = {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f, 0.5f};
  char err[128] = "untouched";
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 3,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, err, sizeof err));
  ck_assert_str_eq(err, "");
  int w, h;
  unsigned char *px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 3);
  ck_assert_int_eq(h, 2);
  const int want[6] = {0, 64, 128, 191, 255, 159};
  for (int i = 0; i < 6; i++) ck_assert_int_eq(px[i], want[i]);
  free(px);
  scratch_remove(&s);
}
END_TEST

START_TEST(minmax_scale_maps_min_to_black_and_max_to_white) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "m.pgm", path, sizeof path);
  const float m[4] = {1.0f, 2.0f, 3.0f, 5.0f};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 1, 4,
                                      SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0));
  int w, h;
  unsigned char *px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 4);
  ck_assert_int_eq(h, 1);
  ck_assert_int_eq(px[0], 0);
  ck_assert_int_eq(px[1], 64);
  ck_assert_int_eq(px[2], 128);
  ck_assert_int_eq(px[3], 255);
  free(px);
  scratch_remove(&s);
}
END_TEST

START_TEST(constant_and_zero_matrices_are_mid_grey) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "c.pgm", path, sizeof path);
  const float zero[4] = {0}, five[4] = {5, 5, 5, 5};
  const struct {
    const float *m;
    symclone_picture_scale scale;
  } cases[] = {{zero, SYMCLONE_PICTURE_SCALE_SYMMETRIC}, {zero, SYMCLONE_PICTURE_SCALE_MINMAX},
               {five, SYMCLONE_PICTURE_SCALE_MINMAX}, {five, SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, cases[c].m, 2, 2,
                                        cases[c].scale, 1, 1, NULL, 0));
    int w, h;
    unsigned char *px = read_pgm(path, &w, &h);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(px[i], 128);
    free(px);
  }
  /* symmetric: 5 is the top of [-5, 5] */
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, five, 2, 2,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, NULL, 0));
  int w, h;
  unsigned char *px = read_pgm(path, &w, &h);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(px[i], 255);
  free(px);
  scratch_remove(&s);
}
END_TEST

START_TEST(nan_is_mid_grey_and_infinities_saturate_without_entering_the_range) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "n.pgm", path, sizeof path);
  const float m[6] = {NAN, INFINITY, -INFINITY, 1.0f, -1.0f, 0.0f};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 3,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, NULL, 0));
  int w, h;
  unsigned char *px = read_pgm(path, &w, &h);
  const int want[6] = {128, 255, 0, 255, 0, 128};
  for (int i = 0; i < 6; i++) ck_assert_int_eq(px[i], want[i]);
  free(px);

  /* min-max: the range is [-1, 1] from the finite values only */
  const float q[4] = {-1.0f, NAN, 1.0f, 0.0f};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, q, 2, 2,
                                      SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0));
  px = read_pgm(path, &w, &h);
  ck_assert_int_eq(px[0], 0);
  ck_assert_int_eq(px[1], 128);
  ck_assert_int_eq(px[2], 255);
  ck_assert_int_eq(px[3], 128);
  free(px);

  /* nothing finite at all */
  const float all_nan[3] = {NAN, NAN, NAN};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, all_nan, 1, 3,
                                      SYMCLONE_PICTURE_SCALE_MINMAX, 2, 1, NULL, 0));
  px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 6);
  ck_assert_int_eq(h, 2);
  for (int i = 0; i < 12; i++) ck_assert_int_eq(px[i], 128);
  free(px);
  scratch_remove(&s);
}
END_TEST

/* ---- layout ---- */

/* A 2 x 3 grid of 2 x 2 panels, upscale 3, gap 2, one blank cell: every
 * pixel is checked against the grid arithmetic done here independently. */
START_TEST(grid_places_panels_with_gaps_upscaling_and_blank_cells) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "grid.pgm", path, sizeof path);
  enum { DOWN = 2, ACROSS = 3, R = 2, C = 2, UP = 3, GAP = 2 };
  float data[DOWN * ACROSS][R * C];
  const float *panels[DOWN * ACROSS];
  double m = 0.0;
  for (int k = 0; k < DOWN * ACROSS; k++) {
    for (int t = 0; t < R * C; t++) {
      data[k][t] = (float)(k * R * C + t) - 9.5f;
      if (k != 4 && fabs(data[k][t]) > m) m = fabs(data[k][t]);
    }
    panels[k] = k == 4 ? NULL : data[k];
  }
  int w = 0, h = 0;
  TU_OK(grid_size(DOWN, ACROSS, R, C, UP, 1, GAP, &w, &h));
  ck_assert_int_eq(w, ACROSS * C * UP + (ACROSS - 1) * GAP);
  ck_assert_int_eq(h, DOWN * R * UP + (DOWN - 1) * GAP);
  TU_OK(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, panels, DOWN, ACROSS, R, C,
                               SYMCLONE_PICTURE_SCALE_SYMMETRIC, UP, 1, GAP, NULL, 0));
  int fw, fh;
  unsigned char *px = read_pgm(path, &fw, &fh);
  ck_assert_int_eq(fw, w);
  ck_assert_int_eq(fh, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int pr = y / (R * UP + GAP), yy = y % (R * UP + GAP);
      int pc = x / (C * UP + GAP), xx = x % (C * UP + GAP);
      int want = 255; /* gap or blank */
      if (yy < R * UP && xx < C * UP && panels[pr * ACROSS + pc]) {
        double v = panels[pr * ACROSS + pc][(yy / UP) * C + xx / UP];
        want = doc_level((v + m) / (2.0 * m));
      }
      ck_assert_msg(px[y * w + x] == want, "pixel (%d, %d) = %d, want %d", y, x,
                    px[y * w + x], want);
    }
  free(px);
  scratch_remove(&s);
}
END_TEST

START_TEST(per_panel_scales_use_each_panels_own_range) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "pp.pgm", path, sizeof path);
  const float small[2] = {-1.0f, 1.0f}, big[2] = {-100.0f, 100.0f};
  const float *panels[2] = {small, big};
  int w, h;
  TU_OK(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, panels, 1, 2, 1, 2,
                               SYMCLONE_PICTURE_SCALE_SYMMETRIC_PER_PANEL, 1, 1, 1, NULL, 0));
  unsigned char *px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 5);
  const int per[5] = {0, 255, 255, 0, 255};
  for (int i = 0; i < 5; i++) ck_assert_int_eq(px[i], per[i]);
  free(px);

  TU_OK(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, panels, 1, 2, 1, 2,
                               SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, 1, NULL, 0));
  px = read_pgm(path, &w, &h);
  const int shared[5] = {doc_level(0.495), doc_level(0.505), 255, 0, 255};
  for (int i = 0; i < 5; i++) ck_assert_int_eq(px[i], shared[i]);
  free(px);

  TU_OK(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, panels, 2, 1, 1, 2,
                               SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL, 1, 1, 0, NULL, 0));
  px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 2);
  ck_assert_int_eq(h, 2);
  const int mm[4] = {0, 255, 0, 255};
  for (int i = 0; i < 4; i++) ck_assert_int_eq(px[i], mm[i]);
  free(px);
  scratch_remove(&s);
}
END_TEST

/* downscale 2 of a 5 x 7 matrix: 3 x 4 block means, edge blocks partial */
START_TEST(downscale_averages_blocks_including_partial_edge_blocks) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "d.pgm", path, sizeof path);
  enum { R = 5, C = 7, D = 2, UP = 2 };
  float m[R * C];
  tu_fill_normal(m, R * C, 7);
  double mean[3][4];
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) {
      double sum = 0.0;
      int n = 0;
      for (int r = i * D; r < i * D + D && r < R; r++)
        for (int c = j * D; c < j * D + D && c < C; c++) {
          sum += m[r * C + c];
          n++;
        }
      mean[i][j] = sum / n;
      lo = fmin(lo, mean[i][j]);
      hi = fmax(hi, mean[i][j]);
    }
  int w, h;
  TU_OK(grid_size(1, 1, R, C, UP, D, 5, &w, &h));
  ck_assert_int_eq(w, 4 * UP);
  ck_assert_int_eq(h, 3 * UP);
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, R, C,
                                      SYMCLONE_PICTURE_SCALE_MINMAX, UP, D, NULL, 0));
  int fw, fh;
  unsigned char *px = read_pgm(path, &fw, &fh);
  ck_assert_int_eq(fw, w);
  ck_assert_int_eq(fh, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int want = doc_level((mean[y / UP][x / UP] - lo) / (hi - lo));
      ck_assert_msg(px[y * w + x] == want, "pixel (%d, %d) = %d, want %d", y, x,
                    px[y * w + x], want);
    }
  free(px);

  /* a block with a NaN is NaN (mid-grey); the others keep the range */
  float q[4] = {NAN, 1.0f, -1.0f, 3.0f};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, q, 2, 2,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 2, NULL, 0));
  px = read_pgm(path, &fw, &fh);
  ck_assert_int_eq(fw, 1);
  ck_assert_int_eq(fh, 1);
  ck_assert_int_eq(px[0], 128);
  free(px);
  scratch_remove(&s);
}
END_TEST

START_TEST(size_query_covers_the_matrix_comparison_and_feature_map_grid) {
  int w, h;
  TU_OK(grid_size(1, 2, 676, 784, 1, 1, 8, &w, &h));
  ck_assert_int_eq(w, 2 * 784 + 8);
  ck_assert_int_eq(h, 676);
  TU_OK(grid_size(4, 3, 26, 26, 4, 1, 6, &w, &h));
  ck_assert_int_eq(w, 3 * 104 + 2 * 6);
  ck_assert_int_eq(h, 4 * 104 + 3 * 6);
  TU_OK(grid_size(1, 1, 6272, 784, 1, 4, 0, &w, &h));
  ck_assert_int_eq(w, 196);
  ck_assert_int_eq(h, 1568);
  /* the largest canvas that fits */
  TU_OK(grid_size(1, 1, INT_MAX, 1, 1, 1, 0, &w, &h));
  ck_assert_int_eq(h, INT_MAX);
  /* gap between a single row of panels does not count vertically */
  TU_OK(grid_size(1, 2, 3, 3, 1, 1, INT_MAX / 2, &w, &h));
  ck_assert_int_eq(h, 3);
  ck_assert_int_eq(w, 6 + INT_MAX / 2);
}
END_TEST

/* ---- formats ---- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

START_TEST(png_has_signature_rgb_header_valid_chunks_or_is_not_available) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "p.png", path, sizeof path);
  float a[12], b[12];
  tu_fill_normal(a, 12, 1);
  tu_fill_normal(b, 12, 2);
  a[0] = NAN;
  const float *panels[2] = {a, b};
  char err[128];
  symclone_status st = draw_grid(path, SYMCLONE_PICTURE_FORMAT_PNG, panels, 1, 2, 3, 4,
                                              SYMCLONE_PICTURE_SCALE_SYMMETRIC, 2, 1, 1, err,
                                              sizeof err);
  if (!symclone_picture_png_available()) {
    ck_assert_int_eq(st, SYMCLONE_ERR_NOT_AVAILABLE);
    ck_assert_int_eq(file_exists(path), 0);
    ck_assert_uint_gt(strlen(err), 0);
    scratch_remove(&s);
    return;
  }
  ck_assert_msg(st == SYMCLONE_OK, "%s", err);
  size_t len;
  unsigned char *f = read_file(path, &len);
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  ck_assert_uint_gt(len, 8 + 25 + 12);
  ck_assert_int_eq(memcmp(f, sig, 8), 0);
  /* IHDR first: 17 x 6 pixels (2 panels of 4 columns upscaled 2, gap 1),
   * 8 bits, colour type 2 (RGB), no interlace */
  ck_assert_uint_eq(be32(f + 8), 13);
  ck_assert_int_eq(memcmp(f + 12, "IHDR", 4), 0);
  ck_assert_uint_eq(be32(f + 16), 17);
  ck_assert_uint_eq(be32(f + 20), 6);
  ck_assert_int_eq(f[24], 8);
  ck_assert_int_eq(f[25], 2);
  ck_assert_int_eq(f[28], 0);
  /* every chunk's CRC, IDAT present, IEND last */
  size_t pos = 8;
  int idat = 0, iend = 0;
  while (pos + 12 <= len && !iend) {
    uint32_t n = be32(f + pos);
    ck_assert_uint_le(pos + 12 + n, len);
    ck_assert_uint_eq(crc32_of(f + pos + 4, 4 + n), be32(f + pos + 8 + n));
    if (!memcmp(f + pos + 4, "IDAT", 4)) idat++;
    if (!memcmp(f + pos + 4, "IEND", 4)) iend = 1;
    pos += 12 + n;
  }
  ck_assert_int_ge(idat, 1);
  ck_assert_int_eq(iend, 1);
  ck_assert_uint_eq(pos, len);
  free(f);

  /* the min-max (viridis) map too */
  TU_OK(draw_grid(path, SYMCLONE_PICTURE_FORMAT_AUTO, panels, 2, 1, 3, 4,
                               SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL, 1, 1, 0, NULL, 0));
  f = read_file(path, &len);
  ck_assert_int_eq(memcmp(f, sig, 8), 0);
  ck_assert_uint_eq(be32(f + 16), 4);
  ck_assert_uint_eq(be32(f + 20), 6);
  free(f);
  scratch_remove(&s);
}
END_TEST

START_TEST(auto_format_follows_the_extension_in_any_case) {
  scratch s;
  scratch_make(&s);
  char path[128];
  const float m[4] = {1, 2, 3, 4};
  scratch_path(&s, "a.PGM", path, sizeof path);
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_AUTO, m, 2, 2,
                                      SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0));
  int w, h;
  free(read_pgm(path, &w, &h));

  scratch_path(&s, "b.Png", path, sizeof path);
  symclone_status st = draw_matrix(path, SYMCLONE_PICTURE_FORMAT_AUTO, m, 2, 2,
                                                     SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0);
  if (symclone_picture_png_available()) {
    ck_assert_int_eq(st, SYMCLONE_OK);
    size_t len;
    unsigned char *f = read_file(path, &len);
    ck_assert_int_eq(f[1], 'P');
    ck_assert_int_eq(f[2], 'N');
    free(f);
  } else {
    ck_assert_int_eq(st, SYMCLONE_ERR_NOT_AVAILABLE);
  }

  const char *bad[] = {"c.txt", "noext", "dir.png/file", ".pgm"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    scratch_path(&s, bad[i], path, sizeof path);
    char err[128] = "";
    ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_AUTO, m, 2, 2,
                                                   SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err,
                                                   sizeof err),
                     SYMCLONE_ERR_ARG);
    ck_assert_uint_gt(strlen(err), 0);
  }
  char names[8][256];
  ck_assert_int_eq(list_dir(s.dir, names, 8), symclone_picture_png_available() ? 2 : 1);
  scratch_remove(&s);
}
END_TEST

/* ---- files ---- */

START_TEST(rewrite_replaces_the_file_and_never_clobbers_a_foreign_temp_name) {
  scratch s;
  scratch_make(&s);
  char path[128], foreign[160];
  scratch_path(&s, "r.pgm", path, sizeof path);
  snprintf(foreign, sizeof foreign, "%s/.r.pgm.symclone-tmp-AAAAAA", s.dir);
  FILE *f = fopen(foreign, "wb");
  ck_assert_ptr_nonnull(f);
  fputs("keep", f);
  fclose(f);

  const float one[1] = {1.0f}, two[4] = {-1, 1, -1, 1};
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, one, 1, 1,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, NULL, 0));
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, two, 2, 2,
                                      SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1, NULL, 0));
  int w, h;
  unsigned char *px = read_pgm(path, &w, &h);
  ck_assert_int_eq(w, 2);
  ck_assert_int_eq(h, 2);
  ck_assert_int_eq(px[0], 0);
  ck_assert_int_eq(px[1], 255);
  free(px);
  size_t len;
  unsigned char *k = read_file(foreign, &len);
  ck_assert_uint_eq(len, 4);
  ck_assert_int_eq(memcmp(k, "keep", 4), 0);
  free(k);
  char names[8][256];
  ck_assert_int_eq(list_dir(s.dir, names, 8), 2); /* r.pgm and the foreign file */
  scratch_remove(&s);
}
END_TEST

START_TEST(unwritable_places_are_refused_and_leave_nothing_behind) {
  scratch s;
  scratch_make(&s);
  char path[160], err[256];
  const float m[4] = {1, 2, 3, 4};

  /* a missing directory */
  scratch_path(&s, "missing/x.pgm", path, sizeof path);
  err[0] = '\0';
  ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err, sizeof err),
                   SYMCLONE_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err, "missing"));

  /* the target is a directory: refused before anything is written */
  scratch_path(&s, "target.pgm", path, sizeof path);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err, sizeof err),
                   SYMCLONE_ERR_PATH);
  ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
  char names[8][256];
  ck_assert_int_eq(list_dir(s.dir, names, 8), 1);
  ck_assert_str_eq(names[0], "target.pgm");
  ck_assert_int_eq(rmdir(path), 0);

  /* a read-only directory (meaningless for a privileged user) */
  if (geteuid() != 0) {
    char ro[128];
    scratch_path(&s, "ro", ro, sizeof ro);
    ck_assert_int_eq(mkdir(ro, 0500), 0);
    snprintf(path, sizeof path, "%s/x.pgm", ro);
    ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                                                   SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0),
                     SYMCLONE_ERR_IO);
    ck_assert_int_eq(list_dir(ro, names, 8), 0);
    ck_assert_int_eq(rmdir(ro), 0);
  }
  ck_assert_int_eq(list_dir(s.dir, names, 8), 0);
  scratch_remove(&s);
}
END_TEST

/* Pictures are saved by the library's one file writer: through a symbolic
 * link, keeping the replaced file's permission bits, never over a FIFO or
 * a file without any write bit (root included), nothing left behind. */
START_TEST(saving_writes_through_links_and_keeps_modes) {
  scratch s;
  scratch_make(&s);
  char path[160], link[160], fifo[160], err[256];
  const float m[4] = {1, 2, 3, 4};
  scratch_path(&s, "t.pgm", path, sizeof path);
  scratch_path(&s, "l.pgm", link, sizeof link);
  scratch_path(&s, "f.pgm", fifo, sizeof fifo);
  TU_OK(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2, SYMCLONE_PICTURE_SCALE_MINMAX, 1,
                    1, NULL, 0));
  ck_assert_int_eq(chmod(path, 0604), 0);
  ck_assert_int_eq(symlink("t.pgm", link), 0);
  TU_OK(draw_matrix(link, SYMCLONE_PICTURE_FORMAT_AUTO, m, 2, 2, SYMCLONE_PICTURE_SCALE_MINMAX, 3,
                    1, NULL, 0));
  struct stat sb;
  ck_assert_int_eq(lstat(link, &sb), 0);
  ck_assert(S_ISLNK(sb.st_mode));
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_int_eq(sb.st_mode & 07777, 0604);
  int w, h;
  free(read_pgm(path, &w, &h));
  ck_assert_int_eq(w, 6); /* the second picture, upscaled 3 */
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(draw_matrix(fifo, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                               SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err, sizeof err),
                   SYMCLONE_ERR_PATH);
  ck_assert_int_eq(lstat(fifo, &sb), 0);
  ck_assert(S_ISFIFO(sb.st_mode));
  ck_assert_int_eq(chmod(path, 0444), 0);
  ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                               SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err, sizeof err),
                   SYMCLONE_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err, "EACCES"));
  free(read_pgm(path, &w, &h));
  ck_assert_int_eq(w, 6); /* untouched */
  char names[8][256];
  ck_assert_int_eq(list_dir(s.dir, names, 8), 3);
  scratch_remove(&s);
}
END_TEST

/* ---- bad arguments ---- */

START_TEST(null_arguments_are_refused_with_a_message) {
  scratch s;
  scratch_make(&s);
  char path[128], err[128];
  scratch_path(&s, "x.pgm", path, sizeof path);
  const float m[4] = {1, 2, 3, 4};
  const float *panels[2] = {NULL, NULL};
  const float *one[1] = {m};
  int w, h;
  err[0] = '\0';
  ck_assert_int_eq(draw_matrix(NULL, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, err, sizeof err),
                   SYMCLONE_ERR_NULL);
  ck_assert_uint_gt(strlen(err), 0);
  ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, NULL, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, NULL, 1, 1, 2, 2,
                                          SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, 0, NULL, 0),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, panels, 1, 2, 2, 2,
                                          SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, 0, err, sizeof err),
                   SYMCLONE_ERR_NULL);
  ck_assert_ptr_nonnull(strstr(err, "panel"));
  ck_assert_int_eq(draw_grid(NULL, SYMCLONE_PICTURE_FORMAT_PGM, one, 1, 1, 2, 2,
                                          SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, 0, NULL, 0),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(grid_size(1, 1, 2, 2, 1, 1, 0, NULL, &h), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(grid_size(1, 1, 2, 2, 1, 1, 0, &w, NULL), SYMCLONE_ERR_NULL);
  /* the handle itself */
  symclone_picture *pic;
  ck_assert_int_eq(symclone_picture_create(NULL, 1, 1, 2, 2), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_picture_write(NULL, path, one), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_picture_size(NULL, &w, &h), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_picture_set(NULL, SYMCLONE_PICTURE_GAP, 1), SYMCLONE_ERR_NULL);
  double v;
  ck_assert_int_eq(symclone_picture_get(NULL, SYMCLONE_PICTURE_GAP, &v), SYMCLONE_ERR_NULL);
  ck_assert_str_eq(symclone_picture_last_error(NULL), "");
  TU_OK(symclone_picture_create(&pic, 1, 1, 2, 2));
  ck_assert_int_eq(symclone_picture_get(pic, SYMCLONE_PICTURE_GAP, NULL), SYMCLONE_ERR_NULL);
  ck_assert_uint_gt(strlen(symclone_picture_last_error(pic)), 0);
  symclone_picture_free(pic);
  symclone_picture_free(NULL);
  char names[4][256];
  ck_assert_int_eq(list_dir(s.dir, names, 4), 0);
  scratch_remove(&s);
}
END_TEST

START_TEST(zero_and_negative_sizes_are_refused) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "x.pgm", path, sizeof path);
  const float m[4] = {1, 2, 3, 4};
  const float *p[1] = {m};
  /* down, across, rows, cols, up, dn, gap */
  const int bad[][7] = {{0, 1, 2, 2, 1, 1, 0},  {1, 0, 2, 2, 1, 1, 0},  {1, 1, 0, 2, 1, 1, 0},
                        {1, 1, 2, 0, 1, 1, 0},  {1, 1, 2, 2, 0, 1, 0},  {1, 1, 2, 2, 1, 0, 0},
                        {1, 1, 2, 2, 1, 1, -1}, {-1, 1, 2, 2, 1, 1, 0}, {1, 1, -2, 2, 1, 1, 0},
                        {1, 1, 2, 2, -3, 1, 0}, {1, 1, 2, 2, 1, INT_MIN, 0}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const int *b = bad[i];
    /* a bad grid or panel size: refused by create, status only; a bad
     * factor or gap: refused by set, with a message naming the setting */
    int grid_bad = b[0] < 1 || b[1] < 1 || b[2] < 1 || b[3] < 1;
    symclone_status want = grid_bad ? SYMCLONE_ERR_SIZE : SYMCLONE_ERR_SETTING;
    char err[128] = "";
    ck_assert_int_eq(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, p, b[0], b[1], b[2],
                                            b[3], SYMCLONE_PICTURE_SCALE_SYMMETRIC, b[4], b[5], b[6],
                                            err, sizeof err),
                     want);
    if (!grid_bad)
      ck_assert_msg(strstr(err, b[6] < 0 ? "gap" : "scale") != NULL, "message \"%s\"", err);
    int w, h;
    ck_assert_int_eq(grid_size(b[0], b[1], b[2], b[3], b[4], b[5], b[6], &w, &h), want);
  }
  char names[4][256];
  ck_assert_int_eq(list_dir(s.dir, names, 4), 0);
  scratch_remove(&s);
}
END_TEST

/* The sizes are refused before any panel value is read, so a tiny matrix
 * stands in for the huge ones. */
START_TEST(overflowing_canvas_sizes_are_refused) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "x.pgm", path, sizeof path);
  const float m[4] = {1, 2, 3, 4};
  const float *p[4] = {m, m, m, m};
  /* down, across, rows, cols, up, dn, gap */
  const int over[][7] = {{1, 1, INT_MAX, 1, 2, 1, 0},       {1, 1, 1, INT_MAX, 2, 1, 0},
                         {2, 1, INT_MAX / 2 + 1, 1, 1, 1, 0}, {1, 2, 2, 2, 1, 1, INT_MAX},
                         {2, 2, 2, 2, 1, 1, INT_MAX - 3},     {1, 1, 46341, 46341, 46341, 1, 0},
                         {1, 1, INT_MAX, INT_MAX, INT_MAX, 1, 0}};
  for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
    const int *b = over[i];
    ck_assert_int_eq(draw_grid(path, SYMCLONE_PICTURE_FORMAT_PGM, p, b[0], b[1], b[2],
                                            b[3], SYMCLONE_PICTURE_SCALE_SYMMETRIC, b[4], b[5], b[6],
                                            NULL, 0),
                     SYMCLONE_ERR_OVERFLOW);
    int w, h;
    ck_assert_int_eq(grid_size(b[0], b[1], b[2], b[3], b[4], b[5], b[6], &w, &h),
                     SYMCLONE_ERR_OVERFLOW);
  }
  char names[4][256];
  ck_assert_int_eq(list_dir(s.dir, names, 4), 0);
  scratch_remove(&s);
}
END_TEST

START_TEST(unknown_format_and_scale_are_refused) {
  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "x.pgm", path, sizeof path);
  const float m[4] = {1, 2, 3, 4};
  ck_assert_int_eq(draw_matrix(path, (symclone_picture_format)7, m, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0),
                   SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(draw_matrix(path, (symclone_picture_format)-1, m, 2, 2,
                                                 SYMCLONE_PICTURE_SCALE_MINMAX, 1, 1, NULL, 0),
                   SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(draw_matrix(path, SYMCLONE_PICTURE_FORMAT_PGM, m, 2, 2,
                                                 (symclone_picture_scale)4, 1, 1, NULL, 0),
                   SYMCLONE_ERR_SETTING);
  /* settings of another object, and the defaults */
  symclone_picture *pic;
  TU_OK(symclone_picture_create(&pic, 1, 1, 2, 2));
  ck_assert_int_eq(symclone_picture_set(pic, SYMCLONE_LOADER_MAX_BYTES, 4096), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(pic), "loader"));
  const symclone_setting keys[5] = {SYMCLONE_PICTURE_FORMAT, SYMCLONE_PICTURE_SCALE,
                                    SYMCLONE_PICTURE_UPSCALE, SYMCLONE_PICTURE_DOWNSCALE,
                                    SYMCLONE_PICTURE_GAP};
  const double defaults[5] = {SYMCLONE_PICTURE_FORMAT_AUTO, SYMCLONE_PICTURE_SCALE_SYMMETRIC, 1, 1,
                              0};
  for (int k = 0; k < 5; k++) {
    double v, def;
    TU_OK(symclone_picture_get(pic, keys[k], &v));
    ck_assert(v == defaults[k]);
    TU_OK(symclone_setting_bounds(keys[k], NULL, NULL, &def));
    ck_assert(def == defaults[k]);
  }
  symclone_picture_free(pic);
  ck_assert_int_eq(file_exists(path), 0);
  scratch_remove(&s);
}
END_TEST


/* ---- labels (cairo) ---- */

static int rects_overlap(symclone_picture_rect a, symclone_picture_rect b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
         b.y < a.y + a.height;
}

/* Pixels of rect r of a w-wide grey picture darker than 200 (text ink). */
static long ink_in(const unsigned char *px, int w, symclone_picture_rect r) {
  long n = 0;
  for (int y = r.y; y < r.y + r.height; y++)
    for (int x = r.x; x < r.x + r.width; x++) n += px[(size_t)y * (size_t)w + (size_t)x] < 200;
  return n;
}

START_TEST(labelling_without_cairo_says_that_labels_need_cairo) {
  if (symclone_picture_labels_available()) return;
  symclone_picture *pic;
  TU_OK(symclone_picture_create(&pic, 2, 2, 3, 3));
  symclone_status st[5] = {
      symclone_picture_set_title(pic, "t"), symclone_picture_set_row_label(pic, 0, "r"),
      symclone_picture_set_column_label(pic, 0, "c"), symclone_picture_set_caption(pic, 0, "p"),
      symclone_picture_set_colour_bar(pic, 1, "v")};
  for (int k = 0; k < 5; k++) ck_assert_int_eq(st[k], SYMCLONE_ERR_NOT_AVAILABLE);
  ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(pic), "labels need cairo"));
  scratch s;
  scratch_make(&s);
  char path[128];
  const float m[9] = {0};
  const float *panels[4] = {m, m, m, m};
  scratch_path(&s, "x.pdf", path, sizeof path);
  ck_assert_int_eq(symclone_picture_write(pic, path, panels), SYMCLONE_ERR_NOT_AVAILABLE);
  ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(pic), "cairo"));
  ck_assert_int_eq(file_exists(path), 0);
  /* the bare picture is still written, panels where locate says */
  scratch_path(&s, "x.pgm", path, sizeof path);
  TU_OK(symclone_picture_write(pic, path, panels));
  symclone_picture_rect r;
  TU_OK(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_PANEL, 3, &r));
  ck_assert_int_eq(r.x, 3);
  ck_assert_int_eq(r.y, 3);
  TU_OK(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_TITLE, 0, &r));
  ck_assert_int_eq(r.width, 0);
  symclone_picture_free(pic);
  scratch_remove(&s);
}
END_TEST

START_TEST(labelled_panels_keep_their_colours_where_locate_says_and_labels_have_ink) {
  if (!symclone_picture_labels_available()) return;
  enum { DOWN = 2, ACROSS = 2, R = 3, C = 4, UP = 10, GAP = 4 };
  /* uniform panels: +2 (white), -2 (black), 0 (128), +1 (191) on [-2, 2] */
  const float value[4] = {2.0f, -2.0f, 0.0f, 1.0f};
  const int grey[4] = {255, 0, 128, 191};
  float data[4][R * C];
  const float *panels[4];
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < R * C; i++) data[k][i] = value[k];
    panels[k] = data[k];
  }
  symclone_picture *pic;
  ck_assert_int_eq(make_pic(&pic, DOWN, ACROSS, R, C, SYMCLONE_PICTURE_FORMAT_AUTO,
                            SYMCLONE_PICTURE_SCALE_SYMMETRIC, UP, 1, GAP, NULL, 0),
                   SYMCLONE_OK);
  int bare_w, bare_h;
  TU_OK(symclone_picture_size(pic, &bare_w, &bare_h));
  TU_OK(symclone_picture_set_title(pic, "A title"));
  TU_OK(symclone_picture_set_row_label(pic, 0, "teacher"));
  TU_OK(symclone_picture_set_row_label(pic, 1, "9-block clone"));
  TU_OK(symclone_picture_set_column_label(pic, 0, "0\u00b0"));
  TU_OK(symclone_picture_set_column_label(pic, 1, "90\u00b0"));
  TU_OK(symclone_picture_set_caption(pic, 3, "caption"));
  TU_OK(symclone_picture_set_colour_bar(pic, 1, "value"));
  int w, h;
  TU_OK(symclone_picture_size(pic, &w, &h));
  ck_assert_int_gt(w, bare_w);
  ck_assert_int_gt(h, bare_h);

  scratch s;
  scratch_make(&s);
  char path[128];
  scratch_path(&s, "l.pgm", path, sizeof path);
  TU_OK(symclone_picture_write(pic, path, panels));
  int pw, ph;
  unsigned char *px = read_pgm(path, &pw, &ph);
  ck_assert_int_eq(pw, w);
  ck_assert_int_eq(ph, h);

  symclone_picture_rect rects[16];
  int n = 0;
  for (int k = 0; k < 4; k++) {
    symclone_picture_rect r;
    TU_OK(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_PANEL, k, &r));
    ck_assert_int_eq(r.width, C * UP);
    ck_assert_int_eq(r.height, R * UP);
    ck_assert(r.x >= 0 && r.y >= 0 && r.x + r.width <= w && r.y + r.height <= h);
    for (int y = r.y; y < r.y + r.height; y++)
      for (int x = r.x; x < r.x + r.width; x++)
        ck_assert_int_eq(px[(size_t)y * (size_t)w + (size_t)x], grey[k]);
    /* the light grey frame just outside (gap >= 2) */
    ck_assert_int_eq(px[(size_t)(r.y + 1) * (size_t)w + (size_t)(r.x - 1)], 200);
    ck_assert_int_eq(px[(size_t)(r.y + r.height) * (size_t)w + (size_t)(r.x + 1)], 200);
    rects[n++] = r;
  }
  /* every label has ink inside its place, and no place overlaps another */
  const struct {
    symclone_picture_region region;
    int index;
  } labels[] = {{SYMCLONE_PICTURE_REGION_TITLE, 0},        {SYMCLONE_PICTURE_REGION_ROW_LABEL, 0},
                {SYMCLONE_PICTURE_REGION_ROW_LABEL, 1},    {SYMCLONE_PICTURE_REGION_COLUMN_LABEL, 0},
                {SYMCLONE_PICTURE_REGION_COLUMN_LABEL, 1}, {SYMCLONE_PICTURE_REGION_CAPTION, 3},
                {SYMCLONE_PICTURE_REGION_COLOUR_BAR_TEXT, 0}};
  for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
    symclone_picture_rect r;
    TU_OK(symclone_picture_locate(pic, labels[i].region, labels[i].index, &r));
    ck_assert_int_gt(r.width, 0);
    ck_assert_int_gt(r.height, 0);
    ck_assert(r.x >= 0 && r.y >= 0 && r.x + r.width <= w && r.y + r.height <= h);
    ck_assert_int_gt(ink_in(px, w, r), 3);
    rects[n++] = r;
  }
  /* the colour bar: +2 at the top (white), -2 at the bottom (black) */
  symclone_picture_rect bar;
  TU_OK(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_COLOUR_BAR, 0, &bar));
  ck_assert_int_gt(bar.height, 2);
  ck_assert_int_eq(px[(size_t)bar.y * (size_t)w + (size_t)bar.x], 255);
  ck_assert_int_eq(px[(size_t)(bar.y + bar.height - 1) * (size_t)w + (size_t)bar.x], 0);
  rects[n++] = bar;
  for (int a = 0; a < n; a++)
    for (int b = a + 1; b < n; b++) ck_assert_msg(!rects_overlap(rects[a], rects[b]), "%d %d", a, b);
  /* labels that are not set have no place */
  symclone_picture_rect none;
  TU_OK(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_CAPTION, 0, &none));
  ck_assert_int_eq(none.width, 0);
  ck_assert_int_eq(ink_in(px, w, (symclone_picture_rect){rects[0].x, rects[0].y + rects[0].height,
                                                        rects[0].width, GAP}),
                   0);
  free(px);

  /* PNG (written by cairo), PDF and SVG */
  scratch_path(&s, "l.png", path, sizeof path);
  TU_OK(symclone_picture_write(pic, path, panels));
  size_t len;
  unsigned char *bytes = read_file(path, &len);
  ck_assert_uint_gt(len, 24);
  ck_assert_int_eq(memcmp(bytes, "\x89PNG\r\n\x1a\n", 8), 0);
  ck_assert_uint_eq(be32(bytes + 16), (uint32_t)w);
  ck_assert_uint_eq(be32(bytes + 20), (uint32_t)h);
  ck_assert_int_eq(bytes[24], 8);
  free(bytes);
  scratch_path(&s, "l.pdf", path, sizeof path);
  TU_OK(symclone_picture_write(pic, path, panels));
  bytes = read_file(path, &len);
  ck_assert_int_eq(memcmp(bytes, "%PDF-", 5), 0);
  free(bytes);
  scratch_path(&s, "l.SVG", path, sizeof path);
  TU_OK(symclone_picture_write(pic, path, panels));
  bytes = read_file(path, &len);
  ck_assert_ptr_nonnull(strstr((const char *)bytes, "<svg"));
  free(bytes);

  /* removing every label gives the bare picture back */
  TU_OK(symclone_picture_set_title(pic, NULL));
  TU_OK(symclone_picture_set_row_label(pic, 0, ""));
  TU_OK(symclone_picture_set_row_label(pic, 1, NULL));
  TU_OK(symclone_picture_set_column_label(pic, 0, NULL));
  TU_OK(symclone_picture_set_column_label(pic, 1, NULL));
  TU_OK(symclone_picture_set_caption(pic, 3, NULL));
  TU_OK(symclone_picture_set_colour_bar(pic, 0, "ignored"));
  TU_OK(symclone_picture_size(pic, &w, &h));
  ck_assert_int_eq(w, bare_w);
  ck_assert_int_eq(h, bare_h);
  symclone_picture_free(pic);
  scratch_remove(&s);
}
END_TEST

START_TEST(bad_labels_and_regions_are_refused_with_a_message) {
  symclone_picture *pic;
  TU_OK(symclone_picture_create(&pic, 2, 3, 4, 4));
  symclone_picture_rect r;
  ck_assert_int_eq(symclone_picture_locate(NULL, SYMCLONE_PICTURE_REGION_PANEL, 0, &r),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_PANEL, 0, NULL),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_PANEL, 6, &r),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_picture_locate(pic, SYMCLONE_PICTURE_REGION_ROW_LABEL, 2, &r),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_picture_locate(pic, (symclone_picture_region)99, 0, &r),
                   SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(pic), "region"));
  ck_assert_int_eq(symclone_picture_set_title(NULL, "t"), SYMCLONE_ERR_NULL);
  if (symclone_picture_labels_available()) {
    ck_assert_int_eq(symclone_picture_set_row_label(pic, 2, "r"), SYMCLONE_ERR_ARG);
    ck_assert_int_eq(symclone_picture_set_column_label(pic, -1, "c"), SYMCLONE_ERR_ARG);
    ck_assert_int_eq(symclone_picture_set_caption(pic, 6, "p"), SYMCLONE_ERR_ARG);
    ck_assert_int_eq(symclone_picture_set_title(pic, "bad \xff byte"), SYMCLONE_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(pic), "UTF-8"));
    ck_assert_int_eq(symclone_picture_set_title(pic, "line\nbreak"), SYMCLONE_ERR_ARG);
    char longer[1100];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ck_assert_int_eq(symclone_picture_set_title(pic, longer), SYMCLONE_ERR_ARG);
    /* a labelled picture wider than cairo draws */
    symclone_picture *big;
    TU_OK(symclone_picture_create(&big, 1, 1, 1, 40000));
    TU_OK(symclone_picture_set_title(big, "wide"));
    scratch s;
    scratch_make(&s);
    char path[128];
    scratch_path(&s, "big.png", path, sizeof path);
    float *row = calloc(40000, sizeof *row);
    const float *panels[1] = {row};
    ck_assert_int_eq(symclone_picture_write(big, path, panels), SYMCLONE_ERR_SIZE);
    ck_assert_ptr_nonnull(strstr(symclone_picture_last_error(big), "32767"));
    ck_assert_int_eq(file_exists(path), 0);
    free(row);
    symclone_picture_free(big);
    scratch_remove(&s);
  }
  symclone_picture_free(pic);
}
END_TEST

static Suite *picture_suite(void) {
  Suite *s = suite_create("picture");
  TCase *tc = tcase_create("levels");
  tcase_add_test(tc, symmetric_scale_maps_minus_max_zero_plus_max_to_0_128_255);
  tcase_add_test(tc, minmax_scale_maps_min_to_black_and_max_to_white);
  tcase_add_test(tc, constant_and_zero_matrices_are_mid_grey);
  tcase_add_test(tc, nan_is_mid_grey_and_infinities_saturate_without_entering_the_range);
  suite_add_tcase(s, tc);

  tc = tcase_create("layout");
  tcase_add_test(tc, grid_places_panels_with_gaps_upscaling_and_blank_cells);
  tcase_add_test(tc, per_panel_scales_use_each_panels_own_range);
  tcase_add_test(tc, downscale_averages_blocks_including_partial_edge_blocks);
  tcase_add_test(tc, size_query_covers_the_matrix_comparison_and_feature_map_grid);
  suite_add_tcase(s, tc);

  tc = tcase_create("formats");
  tcase_add_test(tc, png_has_signature_rgb_header_valid_chunks_or_is_not_available);
  tcase_add_test(tc, auto_format_follows_the_extension_in_any_case);
  suite_add_tcase(s, tc);

  tc = tcase_create("files");
  tcase_add_test(tc, rewrite_replaces_the_file_and_never_clobbers_a_foreign_temp_name);
  tcase_add_test(tc, unwritable_places_are_refused_and_leave_nothing_behind);
  tcase_add_test(tc, saving_writes_through_links_and_keeps_modes);
  suite_add_tcase(s, tc);

  tc = tcase_create("errors");
  tcase_add_test(tc, null_arguments_are_refused_with_a_message);
  tcase_add_test(tc, zero_and_negative_sizes_are_refused);
  tcase_add_test(tc, overflowing_canvas_sizes_are_refused);
  tcase_add_test(tc, unknown_format_and_scale_are_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("labels");
  tcase_add_test(tc, labelling_without_cairo_says_that_labels_need_cairo);
  tcase_add_test(tc, labelled_panels_keep_their_colours_where_locate_says_and_labels_have_ink);
  tcase_add_test(tc, bad_labels_and_regions_are_refused_with_a_message);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(picture_suite()); }
