/* Helpers shared by the unit tests: a private random generator, error
 * measures and reference computations written independently of the library
 * (plain loops, double accumulation).  Header-only: every function is static
 * inline so that each test program takes what it uses. */
#ifndef SYMCLONE_TESTUTIL_H
#define SYMCLONE_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/common.h>
#include <symclone/group.h>
#include <symclone/layer.h>

/* ---- random numbers (splitmix64; independent of the library's own) ---- */

typedef struct tu_rng {
  uint64_t s;
} tu_rng;

static inline tu_rng tu_rng_make(uint64_t seed) {
  tu_rng r = {seed * 0x9E3779B97F4A7C15ull + 0x1234567ull};
  return r;
}

static inline uint64_t tu_next(tu_rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static inline double tu_uniform(tu_rng *r) { return (double)(tu_next(r) >> 11) * 0x1.0p-53; }

static inline double tu_normal(tu_rng *r) {
  double u = tu_uniform(r), v = tu_uniform(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static inline int tu_below(tu_rng *r, int n) { return (int)(tu_next(r) % (uint64_t)n); }

static inline void tu_fill_normal(float *a, size_t n, uint64_t seed) {
  tu_rng r = tu_rng_make(seed);
  for (size_t i = 0; i < n; i++) a[i] = (float)tu_normal(&r);
}

/* ---- allocation ---- */

static inline float *tu_floats(size_t n) {
  float *p = calloc(n ? n : 1, sizeof *p);
  ck_assert_ptr_nonnull(p);
  return p;
}

static inline float *tu_normal_floats(size_t n, uint64_t seed) {
  float *p = tu_floats(n);
  tu_fill_normal(p, n, seed);
  return p;
}

/* ---- error measures ---- */

/* ||a - ref|| / ||ref|| in double (absolute if ref is zero) */
static inline double tu_rel_err(const float *a, const float *ref, size_t n) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)ref[i];
    num += d * d;
    den += (double)ref[i] * (double)ref[i];
  }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

static inline double tu_rel_err_d(const float *a, const double *ref, size_t n) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

static inline int tu_equal(const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

/* Fails the test with the status name and the handle's message. */
#define TU_OK_GROUP(g, call)                                                                   \
  do {                                                                                         \
    symclone_status tu_st_ = (call);                                                           \
    ck_assert_msg(tu_st_ == SYMCLONE_OK, "%s -> %d (%s): %s", #call, (int)tu_st_,              \
                  symclone_strerror(tu_st_), symclone_group_last_error(g));                    \
  } while (0)

#define TU_OK_LAYER(l, call)                                                                   \
  do {                                                                                         \
    symclone_status tu_st_ = (call);                                                           \
    ck_assert_msg(tu_st_ == SYMCLONE_OK, "%s -> %d (%s): %s", #call, (int)tu_st_,              \
                  symclone_strerror(tu_st_), symclone_layer_last_error(l));                    \
  } while (0)

#define TU_OK(call)                                                                            \
  do {                                                                                         \
    symclone_status tu_st_ = (call);                                                           \
    ck_assert_msg(tu_st_ == SYMCLONE_OK, "%s -> %d (%s)", #call, (int)tu_st_,                  \
                  symclone_strerror(tu_st_));                                                  \
  } while (0)

/* ---- independent rotations and shifts ---- */

/* One counter-clockwise quarter turn of an n x n plane, numpy's rot90:
 * out[y][x] = in[x][n-1-y]. */
static inline void tu_rot90(const float *in, float *out, int n) {
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) out[y * n + x] = in[x * n + (n - 1 - y)];
}

/* q quarter turns (q taken mod 4) by repeating tu_rot90. */
static inline void tu_rotq(const float *in, float *out, int n, int q) {
  size_t nn = (size_t)n * n;
  float *a = tu_floats(nn), *b = tu_floats(nn);
  memcpy(a, in, nn * sizeof *a);
  q = ((q % 4) + 4) % 4;
  for (int t = 0; t < q; t++) {
    tu_rot90(a, b, n);
    memcpy(a, b, nn * sizeof *a);
  }
  memcpy(out, a, nn * sizeof *a);
  free(a);
  free(b);
}

/* C4 element r on a group field [c][4][n][n]:
 * out[c][s] = rot90^r(in[c][(s - r) mod 4]). */
static inline void tu_c4_group_act(const float *in, float *out, int channels, int n, int r) {
  size_t nn = (size_t)n * n;
  for (int c = 0; c < channels; c++)
    for (int s = 0; s < 4; s++) {
      int src = ((s - r) % 4 + 4) % 4;
      tu_rotq(in + ((size_t)c * 4 + src) * nn, out + ((size_t)c * 4 + s) * nn, n, r);
    }
}

/* Torus shift of planes: out[p][y][x] = in[p][(y-dy) mod h][(x-dx) mod w]. */
static inline void tu_shift(const float *in, float *out, size_t planes, int h, int w, int dy,
                            int dx) {
  for (size_t p = 0; p < planes; p++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int sy = (((y - dy) % h) + h) % h, sx = (((x - dx) % w) + w) % w;
        out[(p * h + y) * w + x] = in[(p * h + sy) * w + sx];
      }
}

/* ---- reference convolution: a direct loop, one sample ----
 * y[o][oy][ox] = b[o] + sum_i sum_ky sum_kx w[o][i][ky][kx] x[i][iy][ix]
 * with (iy, ix) = (oy + ky, ox + kx) for VALID and (oy + ky - k/2, ...) for
 * ZERO (zero outside) and CIRCULAR (wrapped). */
static inline void tu_conv_ref(const float *x, int in_c, int h, int w, const float *wt,
                               const float *b, int out_c, int k, int pad, float *y) {
  int oh = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  int ow = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  int off = pad == SYMCLONE_PADDING_VALID ? 0 : k / 2;
  for (int o = 0; o < out_c; o++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        double acc = b ? (double)b[o] : 0.0;
        for (int i = 0; i < in_c; i++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              int iy = oy + ky - off, ix = ox + kx - off;
              if (pad == SYMCLONE_PADDING_CIRCULAR) {
                iy = ((iy % h) + h) % h;
                ix = ((ix % w) + w) % w;
              } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                continue;
              }
              acc += (double)wt[(((size_t)o * in_c + i) * k + ky) * k + kx] *
                     (double)x[((size_t)i * h + iy) * w + ix];
            }
        y[((size_t)o * oh + oy) * ow + ox] = (float)acc;
      }
}

/* y = M x for M[rows][cols], double accumulation */
static inline void tu_matvec(const float *m, size_t rows, size_t cols, const float *x, float *y) {
  for (size_t r = 0; r < rows; r++) {
    double acc = 0.0;
    for (size_t c = 0; c < cols; c++) acc += (double)m[r * cols + c] * (double)x[c];
    y[r] = (float)acc;
  }
}

/* ---- smooth fields ---- */

/* A sum of `blobs` random Gaussian bumps (width sigma pixels) kept well
 * inside the inscribed disc of an h x w grid, per plane. */
static inline void tu_smooth_field(float *f, size_t planes, int h, int w, int blobs, double sigma,
                                   uint64_t seed) {
  tu_rng r = tu_rng_make(seed);
  double cy = 0.5 * (h - 1), cx = 0.5 * (w - 1);
  double rad = 0.5 * (h < w ? h : w);
  for (size_t p = 0; p < planes; p++) {
    float *pl = f + p * (size_t)h * w;
    for (int t = 0; t < h * w; t++) pl[t] = 0.0f;
    for (int b = 0; b < blobs; b++) {
      double ang = 6.283185307179586 * tu_uniform(&r);
      double dist = 0.45 * rad * tu_uniform(&r);
      double by = cy + dist * sin(ang), bx = cx + dist * cos(ang);
      double amp = tu_normal(&r);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          double d2 = (y - by) * (y - by) + (x - bx) * (x - bx);
          pl[y * w + x] += (float)(amp * exp(-0.5 * d2 / (sigma * sigma)));
        }
    }
  }
}

/* 1 if pixel (y, x) lies inside the disc of radius `radius` about the
 * grid centre. */
static inline int tu_in_disc(int y, int x, int h, int w, double radius) {
  double dy = y - 0.5 * (h - 1), dx = x - 0.5 * (w - 1);
  return dy * dy + dx * dx <= radius * radius;
}

/* Relative error restricted to pixels inside a disc, over `planes` planes. */
static inline double tu_rel_err_disc(const float *a, const float *ref, size_t planes, int h, int w,
                                     double radius) {
  double num = 0.0, den = 0.0;
  for (size_t p = 0; p < planes; p++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        if (!tu_in_disc(y, x, h, w, radius)) continue;
        size_t t = (p * h + y) * w + x;
        double d = (double)a[t] - (double)ref[t];
        num += d * d;
        den += (double)ref[t] * (double)ref[t];
      }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

/* ---- running a suite ---- */

/* A conv-family layer (conv2d, lifting, group conv, dihedral lifting or
 * dihedral group conv by layer kind; n is Cn's or Dn's n); the
 * test fails if it cannot be created. */
static inline symclone_layer *tu_make_conv(int kind, int n, int in_c, int out_c, int k, int h,
                                           int w, int pad, int bias) {
  symclone_layer *l = NULL;
  symclone_status st;
  if (kind == SYMCLONE_LAYER_CONV2D)
    st = symclone_layer_create_conv2d(&l, in_c, out_c, k, h, w, (symclone_padding)pad, bias);
  else if (kind == SYMCLONE_LAYER_LIFTING)
    st = symclone_layer_create_lifting(&l, n, in_c, out_c, k, h, w, (symclone_padding)pad, bias);
  else if (kind == SYMCLONE_LAYER_GROUP_CONV)
    st = symclone_layer_create_group_conv(&l, n, in_c, out_c, k, h, w, (symclone_padding)pad, bias);
  else if (kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING)
    st = symclone_layer_create_dihedral_lifting(&l, n, in_c, out_c, k, h, w,
                                                (symclone_padding)pad, bias);
  else
    st = symclone_layer_create_dihedral_group_conv(&l, n, in_c, out_c, k, h, w,
                                                   (symclone_padding)pad, bias);
  ck_assert_msg(st == SYMCLONE_OK, "create kind %d n=%d: %s", kind, n, symclone_strerror(st));
  ck_assert_ptr_nonnull(l);
  return l;
}

static inline int tu_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
