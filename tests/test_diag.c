/* Diagnostics: equivariance errors of operators and layers under T2, Cn and
 * Dn (exact where the theory says so, with the documented masks), the Reynolds
 * projection onto the equivariant matrices, relative distances, and the
 * refusal of bad input. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

#define OK(call)                                                                                   \
  do {                                                                                             \
    symclone_status st_ = (call);                                                                  \
    ck_assert_msg(st_ == SYMCLONE_OK, "%s -> %d (%s)", #call, (int)st_, symclone_strerror(st_)); \
  } while (0)

/* ---- helpers, independent of the library ---- */

static uint64_t rng_state;

static double uniform01(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static float *normal_floats(size_t n, uint64_t seed) {
  rng_state = seed * 0x2545F4914F6CDD1Dull + 17;
  float *a = malloc(n * sizeof *a);
  ck_assert_ptr_nonnull(a);
  for (size_t i = 0; i < n; i++) {
    double u = uniform01(), v = uniform01();
    if (u < 1e-300) u = 1e-300;
    a[i] = (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
  }
  return a;
}

static float *floats(size_t n) {
  float *a = calloc(n ? n : 1, sizeof *a);
  ck_assert_ptr_nonnull(a);
  return a;
}

static symclone_group *t2(int h, int w) {
  symclone_group *g = NULL;
  OK(symclone_group_create_t2(&g, h, w));
  return g;
}

static symclone_group *cyclic(int n) {
  symclone_group *g = NULL;
  OK(symclone_group_create_cyclic(&g, n));
  return g;
}

static symclone_group *dihedral(int n) {
  symclone_group *g = NULL;
  OK(symclone_group_create_dihedral(&g, n));
  return g;
}

/* A layer with He-initialised weights and a non-zero bias. */
static float *layer_params(const symclone_layer *l, uint64_t seed) {
  size_t np = symclone_layer_param_count(l);
  float *p = floats(np);
  OK(symclone_layer_init_params(l, seed, p));
  for (size_t j = symclone_layer_weight_count(l); j < np; j++) p[j] = 0.25f * (float)(j % 3) - 0.2f;
  return p;
}

/* Operator: y = M x with plain loops in double. */
typedef struct matrix_op {
  const float *m;
  size_t rows, cols;
} matrix_op;

static symclone_status matrix_forward(void *user, size_t batch, const float *x, float *y) {
  const matrix_op *o = user;
  for (size_t b = 0; b < batch; b++)
    for (size_t r = 0; r < o->rows; r++) {
      double acc = 0.0;
      for (size_t c = 0; c < o->cols; c++)
        acc += (double)o->m[r * o->cols + c] * x[b * o->cols + c];
      y[b * o->rows + r] = (float)acc;
    }
  return SYMCLONE_OK;
}

/* Operator: a layer's forward pass. */
typedef struct layer_op {
  const symclone_layer *l;
  const float *p;
} layer_op;

static symclone_status layer_forward(void *user, size_t batch, const float *x, float *y) {
  const layer_op *o = user;
  return symclone_layer_forward(o->l, o->p, batch, x, y, NULL);
}

static symclone_status failing_op(void *user, size_t batch, const float *x, float *y) {
  (void)user;
  (void)x;
  (void)batch;
  y[0] = 0.0f;
  return SYMCLONE_ERR_CANCELLED;
}

static symclone_status zero_op(void *user, size_t batch, const float *x, float *y) {
  (void)x;
  memset(y, 0, batch * *(const size_t *)user * sizeof *y);
  return SYMCLONE_OK;
}

/* ---- the diagnostics through a diag made for one call ---- */

/* A diag on g for is -> os with the given settings (inputs borrowed). */
static symclone_diag *make_diag(const symclone_group *g, const int is[4], const int os[4],
                                symclone_mask mask, int margin, const float *inputs,
                                size_t n_inputs, int samples, int max_elements, uint64_t seed) {
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, is, os));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_MASK, mask));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_MARGIN, margin));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, samples));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_MAX_ELEMENTS, max_elements));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_SEED, (double)seed));
  OK(symclone_diag_set_inputs(d, inputs, n_inputs));
  return d;
}

/* Copy the diag's message into eb (if any), free the diag, return st. */
static symclone_status finish(symclone_diag *d, symclone_status st, char *eb, size_t len) {
  if (eb && len) snprintf(eb, len, "%s", st ? symclone_diag_last_error(d) : "");
  symclone_diag_free(d);
  return st;
}

static symclone_status equivariance_error(const symclone_group *g, symclone_diag_operator_fn op,
                                          void *user, const int is[4], const int os[4],
                                          symclone_mask mask, int margin, const float *inputs,
                                          size_t n_inputs, int samples, int max_elements,
                                          uint64_t seed, double *mean, double *max, char *eb,
                                          size_t len) {
  symclone_diag *d = make_diag(g, is, os, mask, margin, inputs, n_inputs, samples, max_elements,
                               seed);
  return finish(d, symclone_diag_equivariance_error(d, op, user, mean, max), eb, len);
}

static symclone_status layer_equivariance_error(const symclone_group *g, const symclone_layer *l,
                                                const float *p, const float *inputs,
                                                size_t n_inputs, int samples, int max_elements,
                                                uint64_t seed, double *mean, double *max,
                                                char *eb, size_t len) {
  int is[4], os[4];
  OK(symclone_layer_input_shape(l, is));
  OK(symclone_layer_output_shape(l, os));
  symclone_diag *d = make_diag(g, is, os, SYMCLONE_MASK_NONE, 0, inputs, n_inputs, samples,
                               max_elements, seed);
  return finish(d, symclone_diag_layer_equivariance_error(d, l, p, mean, max), eb, len);
}

static symclone_status reynolds_project(const symclone_group *g, const int is[4],
                                        const int os[4], const float *w, float *p, char *eb,
                                        size_t len) {
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, is, os));
  return finish(d, symclone_diag_reynolds_project(d, w, p), eb, len);
}

static symclone_status equivariant_distance(const symclone_group *g, const int is[4],
                                            const int os[4], const float *w, double *dist,
                                            char *eb, size_t len) {
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, is, os));
  return finish(d, symclone_diag_equivariant_distance(d, w, dist), eb, len);
}

/* Layer equivariance error over every element; returns the mean, checks
 * max >= mean. */
static double layer_err(const symclone_group *g, const symclone_layer *l, const float *p,
                        int samples, double *max_out) {
  double mean = -1.0, max = -1.0;
  char eb[256];
  symclone_status st = layer_equivariance_error(g, l, p, NULL, 0, samples, 0, 7, &mean,
                                                         &max, eb, sizeof eb);
  ck_assert_msg(st == SYMCLONE_OK, "status %d: %s", (int)st, eb);
  ck_assert(mean >= 0.0 && max >= mean);
  if (max_out) *max_out = max;
  return mean;
}

/* Generic equivariance error of a layer's forward pass with a chosen mask. */
static double generic_layer_err(const symclone_group *g, const symclone_layer *l, const float *p,
                                symclone_mask mask, int margin, const float *inputs,
                                size_t n_inputs, int samples, double *max_out) {
  int is[4], os[4];
  OK(symclone_layer_input_shape(l, is));
  OK(symclone_layer_output_shape(l, os));
  layer_op o = {l, p};
  double mean = -1.0, max = -1.0;
  char eb[256];
  symclone_status st = equivariance_error(g, layer_forward, &o, is, os, mask, margin,
                                                   inputs, n_inputs, samples, 0, 11, &mean, &max,
                                                   eb, sizeof eb);
  ck_assert_msg(st == SYMCLONE_OK, "status %d: %s", (int)st, eb);
  if (max_out) *max_out = max;
  return mean;
}

static double matrix_err(const symclone_group *g, const float *m, const int is[4],
                         const int os[4], symclone_mask mask, int margin, double *max_out) {
  size_t in = (size_t)is[0] * is[1] * is[2] * is[3], out = (size_t)os[0] * os[1] * os[2] * os[3];
  matrix_op o = {m, out, in};
  double mean = -1.0, max = -1.0;
  char eb[256];
  symclone_status st = equivariance_error(g, matrix_forward, &o, is, os, mask, margin,
                                                   NULL, 0, 3, 0, 5, &mean, &max, eb, sizeof eb);
  ck_assert_msg(st == SYMCLONE_OK, "status %d: %s", (int)st, eb);
  if (max_out) *max_out = max;
  return mean;
}

static double rel_dist(const float *a, const float *b, size_t n) {
  double d = -1.0;
  OK(symclone_diag_relative_distance(a, b, n, &d));
  return d;
}

/* ---- equivariance of the teachers ---- */

START_TEST(circular_conv2d_is_t2_equivariant_under_every_shift) {
  symclone_group *g = t2(8, 7);
  symclone_layer *l = NULL;
  OK(symclone_layer_create_conv2d(&l, 2, 3, 3, 8, 7, SYMCLONE_PADDING_CIRCULAR, 1));
  float *p = layer_params(l, 3);
  double max;
  double mean = layer_err(g, l, p, 3, &max);
  ck_assert_msg(max < 1e-5, "circular conv2d under T2: mean %g max %g", mean, max);
  mean = generic_layer_err(g, l, p, SYMCLONE_MASK_NONE, 0, NULL, 0, 2, &max);
  ck_assert_msg(max < 1e-5, "generic: mean %g max %g", mean, max);
  /* a circular lifting layer: T2 shifts every orientation alike */
  symclone_layer *lift = NULL;
  OK(symclone_layer_create_lifting(&lift, 4, 1, 2, 3, 8, 7, SYMCLONE_PADDING_CIRCULAR, 1));
  float *q = layer_params(lift, 4);
  mean = layer_err(g, lift, q, 2, &max);
  ck_assert_msg(max < 1e-5, "circular lifting under T2: mean %g max %g", mean, max);
  free(q);
  free(p);
  symclone_layer_free(lift);
  symclone_layer_free(l);
  symclone_group_free(g);
}
END_TEST

START_TEST(c4_lifting_and_group_conv_are_c4_equivariant_for_every_padding) {
  symclone_padding pad = (symclone_padding)_i;
  symclone_group *g = cyclic(4);
  symclone_layer *lift = NULL, *gc = NULL;
  OK(symclone_layer_create_lifting(&lift, 4, 2, 3, 3, 9, 9, pad, 1));
  OK(symclone_layer_create_group_conv(&gc, 4, 2, 2, 3, 9, 9, pad, 1));
  float *p = layer_params(lift, 5), *q = layer_params(gc, 6);
  double max;
  double mean = layer_err(g, lift, p, 3, &max);
  ck_assert_msg(max < 1e-5, "C4 lifting, padding %d: mean %g max %g", _i, mean, max);
  mean = layer_err(g, gc, q, 3, &max);
  ck_assert_msg(max < 1e-5, "C4 group conv, padding %d: mean %g max %g", _i, mean, max);
  /* and the planar conv2d with a generic (non-symmetric) filter is not */
  symclone_layer *c = NULL;
  OK(symclone_layer_create_conv2d(&c, 1, 1, 3, 9, 9, pad, 0));
  float *r = layer_params(c, 7);
  mean = layer_err(g, c, r, 3, NULL);
  ck_assert_msg(mean > 0.1, "conv2d under C4 should not be equivariant: %g", mean);
  free(r);
  free(q);
  free(p);
  symclone_layer_free(c);
  symclone_layer_free(gc);
  symclone_layer_free(lift);
  symclone_group_free(g);
}
END_TEST

/* ---- the dihedral groups D1, D2, D4, with transforms of the test's own ---- */

/* Element e = m*n + r of Dn (n in {1, 2, 4}) on one side x side plane:
 * numpy.fliplr if m, then rot90 4r/n times (out[y][x] = in[x][side-1-y]
 * each time). */
static void d_transform(const float *in, float *out, int side, int n, int e) {
  size_t nn = (size_t)side * side;
  float *a = floats(nn), *b = floats(nn);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      a[y * side + x] = in[y * side + (e / n ? side - 1 - x : x)];
  for (int q = 0; q < 4 * (e % n) / n; q++) {
    for (int y = 0; y < side; y++)
      for (int x = 0; x < side; x++) b[y * side + x] = a[x * side + (side - 1 - y)];
    memcpy(a, b, nn * sizeof *a);
  }
  memcpy(out, a, nn * sizeof *a);
  free(a);
  free(b);
}

/* Replace each k x k kernel of w by its mean over the transforms of Dn. */
static void d_symmetrize(float *w, size_t kernels, int k, int n) {
  size_t kk = (size_t)k * k;
  float *t = floats(kk);
  double *acc = calloc(kk, sizeof *acc);
  ck_assert_ptr_nonnull(acc);
  for (size_t j = 0; j < kernels; j++) {
    memset(acc, 0, kk * sizeof *acc);
    for (int e = 0; e < 2 * n; e++) {
      d_transform(w + j * kk, t, k, n, e);
      for (size_t i = 0; i < kk; i++) acc[i] += t[i];
    }
    for (size_t i = 0; i < kk; i++) w[j * kk + i] = (float)(acc[i] / (2 * n));
  }
  free(t);
  free(acc);
}

/* Cross-correlation with zero padding to the same size, in double:
 * y[y][x] += sum_{a,c} ker[a][c] x[y + a - k/2][x + c - k/2]. */
static void correlate_add(const float *x, const float *ker, int k, int h, int w, double *y) {
  int p = k / 2;
  for (int yy = 0; yy < h; yy++)
    for (int xx = 0; xx < w; xx++) {
      double s = 0.0;
      for (int a = 0; a < k; a++)
        for (int c = 0; c < k; c++) {
          int sy = yy + a - p, sx = xx + c - p;
          if (sy >= 0 && sy < h && sx >= 0 && sx < w) s += (double)ker[a * k + c] * x[sy * w + sx];
        }
      y[yy * w + xx] += s;
    }
}

/* Operator: a planar convolution (n = 0) or a lifting convolution Z2 -> Dn
 * (y[o][s] = sum_i (T_s w[o][i]) (*) x[i], n in {1, 2, 4}), zero padding,
 * weights w[out][in][k][k], no bias. */
typedef struct conv_op {
  int n, cin, cout, k, h, w;
  const float *wts;
} conv_op;

static symclone_status conv_forward(void *user, size_t batch, const float *x, float *y) {
  const conv_op *o = user;
  int orient = o->n ? 2 * o->n : 1;
  size_t hw = (size_t)o->h * o->w, kk = (size_t)o->k * o->k;
  double *acc = calloc(hw, sizeof *acc);
  float *ker = floats(kk);
  for (size_t b = 0; b < batch; b++)
    for (int co = 0; co < o->cout; co++)
      for (int s = 0; s < orient; s++) {
        memset(acc, 0, hw * sizeof *acc);
        for (int ci = 0; ci < o->cin; ci++) {
          const float *wk = o->wts + ((size_t)co * o->cin + ci) * kk;
          if (o->n)
            d_transform(wk, ker, o->k, o->n, s);
          else
            memcpy(ker, wk, kk * sizeof *ker);
          correlate_add(x + (b * o->cin + ci) * hw, ker, o->k, o->h, o->w, acc);
        }
        float *dst = y + ((b * o->cout + co) * orient + s) * hw;
        for (size_t i = 0; i < hw; i++) dst[i] = (float)acc[i];
      }
  free(acc);
  free(ker);
  return SYMCLONE_OK;
}

/* Operator on group fields [c][orient][h][w] -> planar [c][h][w]: the mean
 * over the orientations (equivariant), or orientation 0 alone (not). */
typedef struct orient_op {
  int c, orient, hw, mean;
} orient_op;

static symclone_status orient_forward(void *user, size_t batch, const float *x, float *y) {
  const orient_op *o = user;
  for (size_t b = 0; b < batch * (size_t)o->c; b++)
    for (int i = 0; i < o->hw; i++) {
      double s = 0.0;
      for (int r = 0; r < (o->mean ? o->orient : 1); r++)
        s += x[(b * o->orient + r) * o->hw + i];
      y[b * o->hw + i] = (float)(o->mean ? s / o->orient : s);
    }
  return SYMCLONE_OK;
}

/* A convolution with Dn-symmetric kernels commutes with the mirror and the
 * rotations of Dn; a generic kernel, or one symmetric under a smaller
 * group, does not. */
START_TEST(symmetric_convolution_is_dn_equivariant_and_generic_one_is_not) {
  const int cin = 2, cout = 3, k = 3, h = 9, w = 9;
  int is[4] = {cin, 1, h, w}, os[4] = {cout, 1, h, w};
  size_t nk = (size_t)cout * cin * k * k;
  float *generic = normal_floats(nk, 101);
  float *sym1 = floats(nk), *sym2 = floats(nk), *sym4 = floats(nk);
  memcpy(sym1, generic, nk * sizeof *sym1);
  memcpy(sym2, generic, nk * sizeof *sym2);
  memcpy(sym4, generic, nk * sizeof *sym4);
  d_symmetrize(sym1, (size_t)cout * cin, k, 1);
  d_symmetrize(sym2, (size_t)cout * cin, k, 2);
  d_symmetrize(sym4, (size_t)cout * cin, k, 4);
  const float *kernels[4] = {generic, sym1, sym2, sym4};
  const int ns[3] = {1, 2, 4};
  /* err[j][K]: group D_ns[j], kernels K */
  double err[3][4];
  for (int j = 0; j < 3; j++) {
    symclone_group *g = dihedral(ns[j]);
    for (int K = 0; K < 4; K++) {
      conv_op o = {0, cin, cout, k, h, w, kernels[K]};
      double mean = -1, max = -1;
      char eb[256];
      symclone_status st = equivariance_error(g, conv_forward, &o, is, os, SYMCLONE_MASK_NONE, 0,
                                              NULL, 0, 3, 0, 9, &mean, &max, eb, sizeof eb);
      ck_assert_msg(st == SYMCLONE_OK, "%d: %s", (int)st, eb);
      err[j][K] = max;
      static const char *const names[4] = {"generic", "D1-symmetric", "D2-symmetric",
                                           "D4-symmetric"};
      fprintf(stderr, "D%d, kernels %s: mean %.3g max %.3g\n", ns[j], names[K], mean, max);
    }
    symclone_group_free(g);
  }
  /* a kernel symmetric under D_m is equivariant under every D_n inside D_m,
   * to float rounding */
  ck_assert_msg(err[0][1] < 1e-6 && err[0][2] < 1e-6 && err[0][3] < 1e-6, "D1: %g %g %g",
                err[0][1], err[0][2], err[0][3]);
  ck_assert_msg(err[1][2] < 1e-6 && err[1][3] < 1e-6, "D2: %g %g", err[1][2], err[1][3]);
  ck_assert_msg(err[2][3] < 1e-6, "D4: %g", err[2][3]);
  /* and not otherwise */
  ck_assert_msg(err[0][0] > 0.1, "generic kernels under D1: %g", err[0][0]);
  ck_assert_msg(err[1][0] > 0.1 && err[1][1] > 0.1, "D2: %g %g", err[1][0], err[1][1]);
  ck_assert_msg(err[2][0] > 0.1 && err[2][1] > 0.1 && err[2][2] > 0.1, "D4: %g %g %g", err[2][0],
                err[2][1], err[2][2]);
  free(generic);
  free(sym1);
  free(sym2);
  free(sym4);
}
END_TEST

/* The library's conv2d layer with D4-symmetric kernels, through the layer
 * diagnostic, for every padding. */
START_TEST(d4_symmetric_conv2d_layer_is_d4_equivariant_for_every_padding) {
  symclone_padding pad = (symclone_padding)_i;
  symclone_group *g = dihedral(4);
  symclone_layer *c = NULL;
  OK(symclone_layer_create_conv2d(&c, 2, 2, 3, 8, 8, pad, 1));
  float *p = layer_params(c, 111);
  double max;
  double mean = layer_err(g, c, p, 3, &max);
  ck_assert_msg(mean > 0.1, "generic conv2d under D4, padding %d: %g", _i, mean);
  d_symmetrize(p, 4, 3, 4);
  mean = layer_err(g, c, p, 3, &max);
  ck_assert_msg(max < 1e-5, "D4-symmetric conv2d, padding %d: mean %g max %g", _i, mean, max);
  free(p);
  symclone_layer_free(c);
  symclone_group_free(g);
}
END_TEST

/* Group fields: a lifting convolution Z2 -> Dn written with the test's own
 * filter transforms is Dn-equivariant (its output orientation s holds the
 * response to T_s w, so the diag's action permutes the orientations by the
 * group law); the mean over the orientations is equivariant from group
 * fields to planar ones, orientation 0 alone is not. */
START_TEST(dn_lifting_and_orientation_mean_are_equivariant_on_group_fields) {
  const int ns[3] = {1, 2, 4};
  const int cin = 2, cout = 2, k = 3, side = 7;
  for (int j = 0; j < 3; j++) {
    int n = ns[j], ord = 2 * n;
    symclone_group *g = dihedral(n);
    float *wts = normal_floats((size_t)cout * cin * k * k, 120 + (uint64_t)n);
    conv_op lift = {n, cin, cout, k, side, side, wts};
    int is[4] = {cin, 1, side, side}, os[4] = {cout, ord, side, side};
    double mean = -1, max = -1;
    char eb[256];
    symclone_status st = equivariance_error(g, conv_forward, &lift, is, os, SYMCLONE_MASK_NONE, 0,
                                            NULL, 0, 3, 0, 3, &mean, &max, eb, sizeof eb);
    ck_assert_msg(st == SYMCLONE_OK, "%d: %s", (int)st, eb);
    fprintf(stderr, "D%d lifting: mean %.3g max %.3g\n", n, mean, max);
    ck_assert_msg(max < 1e-6, "D%d lifting: mean %g max %g", n, mean, max);

    int gs[4] = {3, ord, side, side}, ps[4] = {3, 1, side, side};
    orient_op pool = {3, ord, side * side, 1}, pick = {3, ord, side * side, 0};
    st = equivariance_error(g, orient_forward, &pool, gs, ps, SYMCLONE_MASK_NONE, 0, NULL, 0, 3, 0,
                            4, &mean, &max, eb, sizeof eb);
    ck_assert_msg(st == SYMCLONE_OK, "%d: %s", (int)st, eb);
    ck_assert_msg(max < 1e-6, "D%d orientation mean: mean %g max %g", n, mean, max);
    st = equivariance_error(g, orient_forward, &pick, gs, ps, SYMCLONE_MASK_NONE, 0, NULL, 0, 3, 0,
                            4, &mean, &max, eb, sizeof eb);
    ck_assert_msg(st == SYMCLONE_OK, "%d: %s", (int)st, eb);
    ck_assert_msg(mean > 0.5, "D%d orientation 0 alone: %g", n, mean);
    free(wts);
    symclone_group_free(g);
  }
}
END_TEST

/* The interior rule of SYMCLONE_MASK_SHIFT_INTERIOR is exact for valid
 * (margin 0) and zero padding (margin k/2) under every shift, while
 * comparing every pixel is clearly wrong and a smaller margin is not
 * enough. */
START_TEST(interior_mask_makes_valid_and_zero_padded_conv2d_t2_equivariant) {
  symclone_group *g = t2(10, 9);
  symclone_layer *valid = NULL, *zero = NULL;
  OK(symclone_layer_create_conv2d(&valid, 2, 2, 3, 10, 9, SYMCLONE_PADDING_VALID, 1));
  OK(symclone_layer_create_conv2d(&zero, 2, 2, 5, 10, 9, SYMCLONE_PADDING_ZERO, 1));
  float *pv = layer_params(valid, 8), *pz = layer_params(zero, 9);
  double max, mean;

  mean = layer_err(g, valid, pv, 3, &max);
  ck_assert_msg(max < 1e-5, "valid conv2d, interior: mean %g max %g", mean, max);
  mean = generic_layer_err(g, valid, pv, SYMCLONE_MASK_SHIFT_INTERIOR, 0, NULL, 0, 3, &max);
  ck_assert_msg(max < 1e-5, "valid conv2d, generic interior: mean %g max %g", mean, max);
  mean = generic_layer_err(g, valid, pv, SYMCLONE_MASK_NONE, 0, NULL, 0, 3, &max);
  fprintf(stderr, "valid conv2d under T2, every pixel: mean %.4f max %.4f\n", mean, max);
  ck_assert_msg(mean > 0.3, "valid conv2d, every pixel: mean %g", mean);

  mean = layer_err(g, zero, pz, 3, &max);
  ck_assert_msg(max < 1e-5, "zero-padded conv2d, interior: mean %g max %g", mean, max);
  mean = generic_layer_err(g, zero, pz, SYMCLONE_MASK_SHIFT_INTERIOR, 1, NULL, 0, 3, &max);
  fprintf(stderr, "zero-padded conv2d under T2, margin 1: mean %.4f max %.4f\n", mean, max);
  ck_assert_msg(max > 1e-2, "zero-padded k=5 with margin 1 < k/2: max %g", max);
  mean = generic_layer_err(g, zero, pz, SYMCLONE_MASK_NONE, 0, NULL, 0, 3, &max);
  fprintf(stderr, "zero-padded conv2d under T2, every pixel: mean %.4f max %.4f\n", mean, max);
  ck_assert_msg(mean > 0.3, "zero-padded conv2d, every pixel: mean %g", mean);

  /* a valid lifting layer: the output torus is smaller and carries orientations */
  symclone_layer *lift = NULL;
  OK(symclone_layer_create_lifting(&lift, 4, 1, 2, 3, 10, 9, SYMCLONE_PADDING_VALID, 0));
  float *pl = layer_params(lift, 10);
  mean = layer_err(g, lift, pl, 2, &max);
  ck_assert_msg(max < 1e-5, "valid lifting, interior: mean %g max %g", mean, max);
  free(pl);
  symclone_layer_free(lift);
  free(pv);
  free(pz);
  symclone_layer_free(valid);
  symclone_layer_free(zero);
  symclone_group_free(g);
}
END_TEST

START_TEST(random_dense_layer_is_far_from_equivariant) {
  symclone_layer *d = NULL;
  OK(symclone_layer_create_dense(&d, 64, 64, 0));
  float *p = layer_params(d, 12);
  int sh[4] = {1, 1, 8, 8};
  symclone_group *g = t2(8, 8), *c4 = cyclic(4);
  double max;
  double mean = matrix_err(g, p, sh, sh, SYMCLONE_MASK_NONE, 0, &max);
  fprintf(stderr, "random dense 64x64 under T2: mean %.4f max %.4f\n", mean, max);
  ck_assert_msg(mean > 0.5, "random dense under T2: %g", mean);
  mean = matrix_err(c4, p, sh, sh, SYMCLONE_MASK_NONE, 0, &max);
  fprintf(stderr, "random dense 64x64 under C4: mean %.4f max %.4f\n", mean, max);
  ck_assert_msg(mean > 0.5, "random dense under C4: %g", mean);
  /* the same through the layer's own forward pass, with explicit shapes */
  layer_op lo = {d, p};
  double lm = -1, lmax = -1;
  OK(equivariance_error(g, layer_forward, &lo, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 2,
                                 0, 5, &lm, &lmax, NULL, 0));
  ck_assert_msg(lm > 0.5, "dense layer under T2: %g", lm);
  /* the layer version refuses a dense layer: it has no field shape */
  double a = 0, b = 0;
  symclone_diag *dg = NULL;
  OK(symclone_diag_create(&dg, g, sh, sh));
  ck_assert_int_eq(symclone_diag_layer_equivariance_error(dg, d, p, &a, &b),
                   SYMCLONE_ERR_UNSUPPORTED);
  ck_assert(strlen(symclone_diag_last_error(dg)) > 0);
  symclone_diag_free(dg);
  free(p);
  symclone_layer_free(d);
  symclone_group_free(g);
  symclone_group_free(c4);
}
END_TEST

/* ---- Reynolds projection ---- */

static void check_projection(const symclone_group *g, const int is[4], const int os[4],
                             uint64_t seed) {
  size_t in = (size_t)is[0] * is[1] * is[2] * is[3], out = (size_t)os[0] * os[1] * os[2] * os[3];
  float *w = normal_floats(in * out, seed);
  float *p = floats(in * out), *pp = floats(in * out), *inplace = floats(in * out);
  char eb[256];
  symclone_status st = reynolds_project(g, is, os, w, p, eb, sizeof eb);
  ck_assert_msg(st == SYMCLONE_OK, "%d: %s", (int)st, eb);
  double max;
  double mean = matrix_err(g, p, is, os, SYMCLONE_MASK_NONE, 0, &max);
  ck_assert_msg(max < 1e-5, "projected matrix: mean %g max %g", mean, max);
  OK(reynolds_project(g, is, os, p, pp, NULL, 0));
  ck_assert_msg(rel_dist(pp, p, in * out) < 1e-6, "not idempotent");
  memcpy(inplace, w, in * out * sizeof *w);
  OK(reynolds_project(g, is, os, inplace, inplace, NULL, 0));
  ck_assert(memcmp(inplace, p, in * out * sizeof *p) == 0);
  double d = -1;
  OK(equivariant_distance(g, is, os, p, &d, NULL, 0));
  ck_assert_msg(d < 1e-6, "distance of P(W): %g", d);
  OK(equivariant_distance(g, is, os, w, &d, NULL, 0));
  /* ||W||^2 = ||P W||^2 + ||W - P W||^2 (orthogonal projection) */
  double nw = 0, np = 0;
  for (size_t k = 0; k < in * out; k++) {
    nw += (double)w[k] * w[k];
    np += (double)p[k] * p[k];
  }
  ck_assert_msg(fabs(d * d + np / nw - 1.0) < 1e-5, "Pythagoras: %g + %g", d * d, np / nw);
  fprintf(stderr, "random %zux%zu matrix under a group of order %d: distance %.4f\n", out, in,
          symclone_group_order(g), d);
  ck_assert_msg(d > 0.5, "a random matrix is far from equivariant: %g", d);
  free(w);
  free(p);
  free(pp);
  free(inplace);
}

START_TEST(reynolds_projection_is_equivariant_idempotent_and_orthogonal) {
  symclone_group *g = t2(6, 5);
  int is[4] = {2, 1, 6, 5}, os[4] = {1, 1, 6, 5};
  check_projection(g, is, os, 21);
  /* a group field under T2 */
  int is2[4] = {1, 3, 6, 5}, os2[4] = {2, 2, 6, 5};
  check_projection(g, is2, os2, 22);
  symclone_group_free(g);

  g = cyclic(4);
  int is3[4] = {1, 1, 5, 5}, os3[4] = {2, 4, 5, 5};  /* lifting-like */
  check_projection(g, is3, os3, 23);
  int is4[4] = {1, 4, 4, 4}, os4[4] = {1, 4, 4, 4};  /* group-conv-like, even grid */
  check_projection(g, is4, os4, 24);
  symclone_group_free(g);

  g = cyclic(2);
  int is5[4] = {1, 2, 3, 6}, os5[4] = {1, 1, 4, 5}; /* non-square, different sizes */
  check_projection(g, is5, os5, 25);
  symclone_group_free(g);
}
END_TEST

/* Independent check: the T2 projection of a matrix between planar fields
 * on one torus is doubly block circulant, P[(y,x)][(y',x')] depending only
 * on ((y - y') mod H, (x - x') mod W), and it is the mean of W over the
 * diagonals. */
START_TEST(t2_projection_is_the_circulant_diagonal_mean) {
  const int h = 4, w = 5, hw = 20;
  symclone_group *g = t2(h, w);
  int sh[4] = {1, 1, h, w};
  float *m = normal_floats((size_t)hw * hw, 31), *p = floats((size_t)hw * hw);
  OK(reynolds_project(g, sh, sh, m, p, NULL, 0));
  for (int dy = 0; dy < h; dy++)
    for (int dx = 0; dx < w; dx++) {
      double mean = 0.0;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          int o = y * w + x, i = ((y - dy + h) % h) * w + (x - dx + w) % w;
          mean += m[o * hw + i];
        }
      mean /= hw;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          int o = y * w + x, i = ((y - dy + h) % h) * w + (x - dx + w) % w;
          ck_assert_msg(fabs(p[o * hw + i] - mean) < 1e-6, "P[%d][%d] = %g, diagonal mean %g", o,
                        i, p[o * hw + i], mean);
        }
    }
  free(m);
  free(p);
  symclone_group_free(g);
}
END_TEST

START_TEST(projection_leaves_unrolled_equivariant_layers_unchanged) {
  /* circular conv2d under T2 */
  symclone_group *g = t2(7, 6);
  symclone_layer *c = NULL;
  OK(symclone_layer_create_conv2d(&c, 2, 3, 3, 7, 6, SYMCLONE_PADDING_CIRCULAR, 0));
  float *p = layer_params(c, 41);
  size_t in = symclone_layer_input_size(c), out = symclone_layer_output_size(c);
  float *k = floats(in * out), *pk = floats(in * out);
  OK(symclone_layer_unroll(c, p, k));
  int is[4], os[4];
  OK(symclone_layer_input_shape(c, is));
  OK(symclone_layer_output_shape(c, os));
  OK(reynolds_project(g, is, os, k, pk, NULL, 0));
  double d = rel_dist(pk, k, in * out);
  ck_assert_msg(d < 1e-6, "circular conv matrix moved by %g", d);
  OK(equivariant_distance(g, is, os, k, &d, NULL, 0));
  ck_assert_msg(d < 1e-6, "circular conv distance %g", d);
  free(k);
  free(pk);
  free(p);
  symclone_layer_free(c);

  /* a valid conv2d: documented as not a fixed point (different tori) */
  OK(symclone_layer_create_conv2d(&c, 1, 1, 3, 7, 6, SYMCLONE_PADDING_VALID, 0));
  p = layer_params(c, 42);
  in = symclone_layer_input_size(c);
  out = symclone_layer_output_size(c);
  k = floats(in * out);
  OK(symclone_layer_unroll(c, p, k));
  OK(symclone_layer_input_shape(c, is));
  OK(symclone_layer_output_shape(c, os));
  OK(equivariant_distance(g, is, os, k, &d, NULL, 0));
  fprintf(stderr, "valid conv2d matrix, distance to the T2 projection: %.4f\n", d);
  ck_assert_msg(d > 0.1, "valid conv distance %g", d);
  free(k);
  free(p);
  symclone_layer_free(c);
  symclone_group_free(g);

  /* C4 lifting (valid) and group conv (zero padding) under C4 */
  g = cyclic(4);
  symclone_layer *ls[2] = {NULL, NULL};
  OK(symclone_layer_create_lifting(&ls[0], 4, 2, 2, 3, 7, 7, SYMCLONE_PADDING_VALID, 0));
  OK(symclone_layer_create_group_conv(&ls[1], 4, 1, 2, 3, 5, 5, SYMCLONE_PADDING_ZERO, 0));
  for (int j = 0; j < 2; j++) {
    p = layer_params(ls[j], 43 + (uint64_t)j);
    in = symclone_layer_input_size(ls[j]);
    out = symclone_layer_output_size(ls[j]);
    k = floats(in * out);
    pk = floats(in * out);
    OK(symclone_layer_unroll(ls[j], p, k));
    OK(symclone_layer_input_shape(ls[j], is));
    OK(symclone_layer_output_shape(ls[j], os));
    OK(reynolds_project(g, is, os, k, pk, NULL, 0));
    d = rel_dist(pk, k, in * out);
    ck_assert_msg(d < 1e-6, "C4 layer %d matrix moved by %g", j, d);
    free(k);
    free(pk);
    free(p);
    symclone_layer_free(ls[j]);
  }
  symclone_group_free(g);
}
END_TEST

/* C8 uses bilinear rotations: the projection is approximate, but the
 * quarter turns of C8 are exact and commute with every C8 element, so the
 * projected matrix is exactly C4-equivariant. */
START_TEST(c8_projection_matches_dense_reference_and_is_exactly_c4_equivariant) {
  symclone_group *c8 = cyclic(8), *c4 = cyclic(4);
  int sh[4] = {1, 1, 9, 9};
  size_t n = 81;
  float *w = normal_floats(n * n, 51), *p = floats(n * n);
  char eb[256];
  symclone_status st = reynolds_project(c8, sh, sh, w, p, eb, sizeof eb);
  ck_assert_msg(st == SYMCLONE_OK, "%s", eb);
  /* independent: dense rho(g) from the planar action on basis fields,
   * 1/8 sum_g rho(g^-1) W rho(g) by plain loops in double */
  double *ref = calloc(n * n, sizeof *ref), *t = calloc(n * n, sizeof *t);
  float *rho = floats(n * n), *rhoi = floats(n * n), *e = floats(n), *img = floats(n);
  ck_assert_ptr_nonnull(ref);
  ck_assert_ptr_nonnull(t);
  for (int r = 0; r < 8; r++) {
    for (size_t j = 0; j < n; j++) { /* column j = action on e_j */
      e[j] = 1.0f;
      OK(symclone_group_act_planar(c8, r, 1, 9, 9, e, img));
      for (size_t i = 0; i < n; i++) rho[i * n + j] = img[i];
      OK(symclone_group_act_planar(c8, (8 - r) % 8, 1, 9, 9, e, img));
      for (size_t i = 0; i < n; i++) rhoi[i * n + j] = img[i];
      e[j] = 0.0f;
    }
    for (size_t o = 0; o < n; o++)
      for (size_t j = 0; j < n; j++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += (double)w[o * n + i] * rho[i * n + j];
        t[o * n + j] = s;
      }
    for (size_t o = 0; o < n; o++)
      for (size_t m = 0; m < n; m++) {
        double v = rhoi[o * n + m] / 8.0;
        if (v != 0.0)
          for (size_t j = 0; j < n; j++) ref[o * n + j] += v * t[m * n + j];
      }
  }
  float *reff = floats(n * n);
  for (size_t k = 0; k < n * n; k++) reff[k] = (float)ref[k];
  double dref = rel_dist(p, reff, n * n);
  ck_assert_msg(dref < 1e-6, "C8 projection against the dense reference: %g", dref);
  free(ref);
  free(t);
  free(rho);
  free(rhoi);
  free(e);
  free(img);
  free(reff);

  double max;
  double mean = matrix_err(c4, p, sh, sh, SYMCLONE_MASK_NONE, 0, &max);
  ck_assert_msg(max < 1e-5, "C8-projected matrix under C4: mean %g max %g", mean, max);
  double d8 = -1, draw = -1;
  OK(equivariant_distance(c8, sh, sh, w, &draw, NULL, 0));
  OK(equivariant_distance(c8, sh, sh, p, &d8, NULL, 0));
  /* measured: random W 0.91, its projection 0.41: the bilinear rotations
   * smooth, rho(g^-1) rho(g) is not the identity, and P is far from
   * idempotent on a white-noise matrix; it still removes most of the
   * non-equivariant part */
  fprintf(stderr, "C8 distance: random W %.4f, its projection %.4f\n", draw, d8);
  ck_assert_msg(draw > 0.8, "random W under C8: %g", draw);
  ck_assert_msg(d8 < 0.75 * draw, "projected W under C8: %g (random %g)", d8, draw);
  free(w);
  free(p);
  symclone_group_free(c8);
  symclone_group_free(c4);
}
END_TEST

START_TEST(d4_projection_is_the_mean_over_the_square_symmetries) {
  /* independent: P[o][i] = 1/8 sum_g W[src_g(o)][src_g(i)] with src_g the
   * pixel read by T_g (fliplr, rot90), on a 5 x 5 planar field */
  const int side = 5, nn = 25;
  symclone_group *g = dihedral(4);
  int sh[4] = {1, 1, side, side};
  float *w = normal_floats((size_t)nn * nn, 131), *p = floats((size_t)nn * nn);
  OK(reynolds_project(g, sh, sh, w, p, NULL, 0));
  float idx[25], img[25];
  int src[8][25];
  for (int i = 0; i < nn; i++) idx[i] = (float)i;
  for (int e = 0; e < 8; e++) {
    d_transform(idx, img, side, 4, e);
    for (int i = 0; i < nn; i++) src[e][i] = (int)img[i];
  }
  double worst = 0.0;
  for (int o = 0; o < nn; o++)
    for (int i = 0; i < nn; i++) {
      double mean = 0.0;
      for (int e = 0; e < 8; e++) mean += w[src[e][o] * nn + src[e][i]];
      mean /= 8.0;
      double d = fabs(p[o * nn + i] - mean);
      if (d > worst) worst = d;
    }
  ck_assert_msg(worst < 1e-6, "D4 projection against the orbit means: %g", worst);
  /* a random W keeps the share dim / 625 of its squared norm, dim = 91 the
   * number of D4-orbits of pixel pairs (Burnside: (625 + 3*1 + 4*25) / 8);
   * under C4 the share would be 157 / 625 */
  double d = -1;
  OK(equivariant_distance(g, sh, sh, w, &d, NULL, 0));
  double want = sqrt(1.0 - 91.0 / 625.0);
  fprintf(stderr, "random 25x25 matrix under D4: distance %.4f (expected about %.4f)\n", d, want);
  ck_assert_msg(fabs(d - want) < 0.03, "distance %g, expected about %g", d, want);
  free(w);
  free(p);
  symclone_group_free(g);
}
END_TEST

START_TEST(dn_projection_is_equivariant_idempotent_and_orthogonal) {
  symclone_group *g = dihedral(4);
  int is1[4] = {1, 1, 5, 5}, os1[4] = {1, 1, 5, 5}; /* planar */
  check_projection(g, is1, os1, 141);
  int is2[4] = {1, 8, 3, 3}, os2[4] = {1, 8, 3, 3}; /* group-conv-like */
  check_projection(g, is2, os2, 142);
  int is3[4] = {1, 1, 4, 4}, os3[4] = {2, 8, 4, 4}; /* lifting-like, even grid */
  check_projection(g, is3, os3, 143);
  symclone_group_free(g);
  g = dihedral(2);
  int is4[4] = {1, 4, 3, 5}, os4[4] = {2, 1, 3, 5}; /* non-square */
  check_projection(g, is4, os4, 144);
  symclone_group_free(g);
  g = dihedral(1);
  int is5[4] = {2, 2, 4, 3}, os5[4] = {1, 2, 4, 3};
  check_projection(g, is5, os5, 145);
  symclone_group_free(g);
}
END_TEST

START_TEST(d8_projection_is_d4_equivariant_to_float_rounding) {
  /* D8 interpolates its 45-degree elements; the projection is still
   * equivariant under the exact ones, a D4 acting by the same permutations */
  symclone_group *d8 = dihedral(8), *d4 = dihedral(4);
  int sh[4] = {1, 1, 7, 7};
  size_t n = 49;
  float *w = normal_floats(n * n, 151), *p = floats(n * n);
  OK(reynolds_project(d8, sh, sh, w, p, NULL, 0));
  double max;
  double mean = matrix_err(d4, p, sh, sh, SYMCLONE_MASK_NONE, 0, &max);
  fprintf(stderr, "D8-projected matrix under D4: mean %.3g max %.3g\n", mean, max);
  ck_assert_msg(max < 1e-5, "D8-projected matrix under D4: mean %g max %g", mean, max);
  double draw = -1, dp = -1;
  OK(equivariant_distance(d8, sh, sh, w, &draw, NULL, 0));
  OK(equivariant_distance(d8, sh, sh, p, &dp, NULL, 0));
  fprintf(stderr, "D8 distance: random W %.4f, its projection %.4f\n", draw, dp);
  ck_assert_msg(draw > 0.8, "random W under D8: %g", draw);
  ck_assert_msg(dp < 0.75 * draw, "projected W under D8: %g (random %g)", dp, draw);
  free(w);
  free(p);
  symclone_group_free(d8);
  symclone_group_free(d4);
}
END_TEST

/* ---- interpolated rotations ---- */

/* Smooth inputs: a few Gaussian blobs of width 2.5 pixels. */
static float *smooth_fields(int count, int h, int w, uint64_t seed) {
  float *f = floats((size_t)count * h * w);
  rng_state = seed;
  for (int s = 0; s < count; s++)
    for (int b = 0; b < 4; b++) {
      double cy = 3 + uniform01() * (h - 7), cx = 3 + uniform01() * (w - 7);
      double amp = uniform01() * 2.0 - 1.0, sg = 2.5;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          f[((size_t)s * h + y) * w + x] +=
              (float)(amp * exp(-((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (2 * sg * sg)));
    }
  return f;
}

/* Smooth filters for a lifting layer with one input channel: output
 * channel 0 an isotropic Gaussian, channel 1 its x-derivative (oriented, so
 * that the orientation channels differ). */
static void smooth_filters(float *p, int out_channels, int k) {
  double c = 0.5 * (k - 1), sg = k / 4.0;
  for (int o = 0; o < out_channels; o++)
    for (int y = 0; y < k; y++)
      for (int x = 0; x < k; x++) {
        double r2 = (y - c) * (y - c) + (x - c) * (x - c);
        p[(o * k + y) * k + x] = (float)((o % 2 ? x - c : 1.0) * exp(-r2 / (2 * sg * sg)));
      }
}

/* C8 rotates by 45 degrees with bilinear interpolation, both the inputs
 * and the filters: the lifting layer is only approximately equivariant.
 * Measured on 21x21 fields, k = 5, zero padding, four Gaussian-blob inputs:
 *   smooth filters, disc margin 0 (the layer default): mean 0.038, max 0.073
 *   smooth filters, disc margin k/2 = 2:               mean 0.034, max 0.072
 *   smooth filters, no mask:                           mean 0.049, max 0.095
 *   smooth filters, white-noise inputs, disc:          mean 0.115, max 0.214
 *   He-uniform random filters, smooth inputs, disc:    mean 0.253, max 0.461
 * The error comes from interpolating the filters rather than from the rim
 * of the disc: a 5x5 random filter rotated by 45 degrees loses its corners
 * and much of its detail, and the margin barely changes the figure. */
START_TEST(c8_lifting_disc_error_on_smooth_inputs_is_bounded) {
  const int hw = 21, k = 5;
  symclone_group *g = cyclic(8);
  symclone_layer *l = NULL;
  OK(symclone_layer_create_lifting(&l, 8, 1, 2, k, hw, hw, SYMCLONE_PADDING_ZERO, 0));
  float *he = layer_params(l, 61);
  float *p = floats(symclone_layer_param_count(l));
  smooth_filters(p, 2, k);
  float *x = smooth_fields(4, hw, hw, 62);
  double max, mean;
  char eb[256];
  OK(layer_equivariance_error(g, l, p, x, 4, 4, 0, 1, &mean, &max, eb, sizeof eb));
  fprintf(stderr, "c8 lifting, smooth filters and inputs, disc margin 0: mean %.4f max %.4f\n",
          mean, max);
  ck_assert_msg(mean < 0.08 && max < 0.15, "C8 disc: mean %g max %g", mean, max);
  double mean_in = generic_layer_err(g, l, p, SYMCLONE_MASK_DISC, k / 2, x, 4, 4, &max);
  fprintf(stderr, "c8 lifting, smooth filters and inputs, disc margin 2: mean %.4f max %.4f\n",
          mean_in, max);
  ck_assert_msg(mean_in < 0.08, "C8 disc margin 2: %g", mean_in);
  double mean_all = generic_layer_err(g, l, p, SYMCLONE_MASK_NONE, 0, x, 4, 4, &max);
  fprintf(stderr, "c8 lifting, smooth filters and inputs, no mask: mean %.4f max %.4f\n",
          mean_all, max);
  ck_assert_msg(mean_all > mean, "no mask %g should exceed the disc %g", mean_all, mean);
  double mean_noise = layer_err(g, l, p, 4, &max);
  fprintf(stderr, "c8 lifting, smooth filters, white noise, disc: mean %.4f max %.4f\n",
          mean_noise, max);
  ck_assert_msg(mean_noise > 2 * mean && mean_noise < 0.3, "noise %g vs smooth %g", mean_noise,
                mean);
  double mean_he = 0;
  OK(layer_equivariance_error(g, l, he, x, 4, 4, 0, 1, &mean_he, &max, eb, sizeof eb));
  fprintf(stderr, "c8 lifting, random filters, smooth inputs, disc: mean %.4f max %.4f\n",
          mean_he, max);
  ck_assert_msg(mean_he > 2 * mean && mean_he < 0.5, "random filters %g", mean_he);
  free(x);
  free(p);
  free(he);
  symclone_layer_free(l);
  symclone_group_free(g);
}
END_TEST

/* ---- sampling, inputs, trivial groups ---- */

START_TEST(sampled_elements_and_caller_inputs_are_reproducible) {
  symclone_group *g = t2(8, 8);
  int sh[4] = {1, 1, 8, 8};
  float *m = normal_floats(64 * 64, 71);
  matrix_op o = {m, 64, 64};
  double a1, b1, a2, b2, a3, b3;
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 3,
                                 5, 99, &a1, &b1, NULL, 0));
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 3,
                                 5, 99, &a2, &b2, NULL, 0));
  ck_assert(a1 == a2 && b1 == b2);
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 3,
                                 5, 100, &a3, &b3, NULL, 0));
  ck_assert(a1 != a3);
  /* max_elements beyond the order means every non-identity element */
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 2,
                                 0, 5, &a1, &b1, NULL, 0));
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, NULL, 0, 2,
                                 1000, 5, &a2, &b2, NULL, 0));
  ck_assert(a1 == a2 && b1 == b2);
  /* caller inputs: only the first `samples` are used */
  float *x = normal_floats(3 * 64, 72);
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, x, 3, 2,
                                 0, 5, &a1, &b1, NULL, 0));
  OK(equivariance_error(g, matrix_forward, &o, sh, sh, SYMCLONE_MASK_NONE, 0, x, 2, 2,
                                 0, 6, &a2, &b2, NULL, 0));
  ck_assert(a1 == a2 && b1 == b2);
  free(x);
  free(m);
  symclone_group_free(g);

  /* C1 and the 1x1 torus have only the identity: error 0 */
  g = cyclic(1);
  int one[4] = {1, 1, 3, 3};
  float id[81] = {0};
  for (int i = 0; i < 9; i++) id[i * 9 + (8 - i)] = 1.0f; /* not equivariant to anything */
  matrix_op flip = {id, 9, 9};
  a1 = b1 = -1;
  OK(equivariance_error(g, matrix_forward, &flip, one, one, SYMCLONE_MASK_NONE, 0, NULL,
                                 0, 1, 0, 1, &a1, &b1, NULL, 0));
  ck_assert(a1 == 0.0 && b1 == 0.0);
  symclone_group_free(g);
}
END_TEST

START_TEST(relative_distance_is_computed_in_double) {
  float a[4] = {1.1f, 2.2f, 3.3f, 4.4f}, b[4] = {1, 2, 3, 4};
  double d = rel_dist(a, b, 4);
  ck_assert_msg(fabs(d - 0.1) < 1e-6, "%g", d);
  ck_assert(rel_dist(b, b, 4) == 0.0);
  float z[4] = {0};
  ck_assert_int_eq(symclone_diag_relative_distance(a, z, 4, &d), SYMCLONE_ERR_DATA);
  ck_assert_int_eq(symclone_diag_relative_distance(a, b, 0, &d), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_diag_relative_distance(NULL, b, 4, &d), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_diag_relative_distance(a, NULL, 4, &d), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_diag_relative_distance(a, b, 4, NULL), SYMCLONE_ERR_NULL);
  float inf[1] = {INFINITY}, one[1] = {1.0f};
  ck_assert_int_eq(symclone_diag_relative_distance(inf, one, 1, &d), SYMCLONE_ERR_DATA);
}
END_TEST

/* ---- the handle, its settings and bad input ---- */

START_TEST(diag_settings_have_their_defaults_and_bounds) {
  symclone_group *g = t2(4, 4), *c4 = cyclic(4);
  int sh[4] = {1, 1, 4, 4};
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, sh, sh));
  ck_assert_str_eq(symclone_diag_last_error(d), "");
  const struct {
    symclone_setting key;
    double def;
  } defs[] = {{SYMCLONE_DIAG_MASK, SYMCLONE_MASK_NONE}, {SYMCLONE_DIAG_MARGIN, 0},
              {SYMCLONE_DIAG_SAMPLES, 8},                {SYMCLONE_DIAG_MAX_ELEMENTS, 0},
              {SYMCLONE_DIAG_SEED, 7}};
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
    double v = -1, lo, hi, def;
    OK(symclone_diag_get(d, defs[i].key, &v));
    ck_assert_msg(v == defs[i].def, "%s = %g", symclone_setting_name(defs[i].key), v);
    OK(symclone_setting_bounds(defs[i].key, &lo, &hi, &def));
    ck_assert(def == defs[i].def && lo <= def && def <= hi);
  }
  const struct {
    symclone_setting key;
    double value;
  } bad[] = {{SYMCLONE_DIAG_MASK, 3},       {SYMCLONE_DIAG_MASK, -1},
             {SYMCLONE_DIAG_MASK, 0.5},     {SYMCLONE_DIAG_MARGIN, -1},
             {SYMCLONE_DIAG_SAMPLES, 0},    {SYMCLONE_DIAG_SAMPLES, NAN},
             {SYMCLONE_DIAG_MAX_ELEMENTS, -1}, {SYMCLONE_DIAG_SEED, 1.5}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double before, after;
    OK(symclone_diag_get(d, bad[i].key, &before));
    ck_assert_int_eq(symclone_diag_set(d, bad[i].key, bad[i].value), SYMCLONE_ERR_SETTING);
    ck_assert_ptr_nonnull(strstr(symclone_diag_last_error(d), symclone_setting_name(bad[i].key)));
    OK(symclone_diag_get(d, bad[i].key, &after));
    ck_assert(after == before);
  }
  /* a key of another object, or no key at all */
  ck_assert_int_eq(symclone_diag_set(d, SYMCLONE_TRAINER_SEED, 1), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_diag_last_error(d), "trainer"));
  double v;
  ck_assert_int_eq(symclone_diag_get(d, SYMCLONE_NET_SEED, &v), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_diag_set(d, (symclone_setting)300, 1), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_diag_get(d, SYMCLONE_DIAG_SEED, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_diag_set(NULL, SYMCLONE_DIAG_SEED, 1), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_diag_get(NULL, SYMCLONE_DIAG_SEED, &v), SYMCLONE_ERR_NULL);
  OK(symclone_diag_set(d, SYMCLONE_DIAG_MASK, SYMCLONE_MASK_SHIFT_INTERIOR));
  symclone_diag_free(d);
  /* the interior mask needs T2 */
  OK(symclone_diag_create(&d, c4, sh, sh));
  ck_assert_int_eq(symclone_diag_set(d, SYMCLONE_DIAG_MASK, SYMCLONE_MASK_SHIFT_INTERIOR),
                   SYMCLONE_ERR_SETTING);
  ck_assert(strlen(symclone_diag_last_error(d)) > 0);
  OK(symclone_diag_get(d, SYMCLONE_DIAG_MASK, &v));
  ck_assert(v == SYMCLONE_MASK_NONE);
  OK(symclone_diag_set(d, SYMCLONE_DIAG_MASK, SYMCLONE_MASK_DISC));
  symclone_diag_free(d);
  symclone_diag_free(NULL);
  ck_assert_str_eq(symclone_diag_last_error(NULL), "");
  symclone_group_free(g);
  symclone_group_free(c4);
}
END_TEST

/* Creation has no handle to keep a message: its status names the fault,
 * and *out is left alone. */
START_TEST(bad_diag_creation_returns_the_documented_codes) {
  symclone_group *g = t2(4, 4), *c4 = cyclic(4), *c8 = cyclic(8);
  int sh[4] = {1, 1, 4, 4}, wrong[4] = {1, 1, 4, 5}, zero[4] = {1, 0, 4, 4};
  int three[4] = {1, 3, 4, 4}, big[4] = {65536, 1, 65536, 1};
  symclone_diag *const untouched = (symclone_diag *)&sh;
  symclone_diag *d = untouched;
#define EXPECT_C(code, group, is, os)                                                              \
  do {                                                                                             \
    ck_assert_int_eq(symclone_diag_create(&d, group, is, os), code);                               \
    ck_assert(d == untouched);                                                                     \
  } while (0)
  ck_assert_int_eq(symclone_diag_create(NULL, g, sh, sh), SYMCLONE_ERR_NULL);
  EXPECT_C(SYMCLONE_ERR_NULL, NULL, sh, sh);
  EXPECT_C(SYMCLONE_ERR_NULL, g, NULL, sh);
  EXPECT_C(SYMCLONE_ERR_NULL, g, sh, NULL);
  /* the field is not the torus' size */
  EXPECT_C(SYMCLONE_ERR_SHAPE, g, wrong, sh);
  EXPECT_C(SYMCLONE_ERR_SIZE, g, zero, sh);
  EXPECT_C(SYMCLONE_ERR_SIZE, g, sh, zero);
  /* orientations neither 1 nor the order of Cn */
  EXPECT_C(SYMCLONE_ERR_GROUP, c4, three, sh);
  EXPECT_C(SYMCLONE_ERR_GROUP, c8, sh, three);
  /* quarter turns need square fields */
  EXPECT_C(SYMCLONE_ERR_SHAPE, c4, wrong, sh);
  EXPECT_C(SYMCLONE_ERR_SHAPE, c4, sh, wrong);
  EXPECT_C(SYMCLONE_ERR_OVERFLOW, c4, big, big);
  /* Dn: orientations 1 or 2n; square fields when n is a multiple of 4 */
  symclone_group *d1 = dihedral(1), *d2 = dihedral(2), *d4 = dihedral(4), *d8 = dihedral(8);
  int four[4] = {1, 4, 4, 4}, eight[4] = {1, 8, 4, 4}, eight_wrong[4] = {1, 8, 4, 5};
  int two_wrong[4] = {1, 2, 4, 5}, four_wrong[4] = {1, 4, 4, 5};
  EXPECT_C(SYMCLONE_ERR_GROUP, d4, four, sh);
  EXPECT_C(SYMCLONE_ERR_GROUP, d4, sh, four);
  EXPECT_C(SYMCLONE_ERR_GROUP, d2, eight, sh);
  EXPECT_C(SYMCLONE_ERR_SHAPE, d4, eight_wrong, wrong);
  EXPECT_C(SYMCLONE_ERR_SHAPE, d8, wrong, wrong);
  OK(symclone_diag_create(&d, d4, eight, sh));
  ck_assert_int_eq(symclone_diag_set(d, SYMCLONE_DIAG_MASK, SYMCLONE_MASK_SHIFT_INTERIOR),
                   SYMCLONE_ERR_SETTING);
  ck_assert(strstr(symclone_diag_last_error(d), "T2") != NULL);
  symclone_diag_free(d);
  /* the mirror and the half turn need no square */
  OK(symclone_diag_create(&d, d1, two_wrong, wrong));
  symclone_diag_free(d);
  OK(symclone_diag_create(&d, d2, four_wrong, wrong));
  symclone_diag_free(d);
#undef EXPECT_C
  symclone_group_free(g);
  symclone_group_free(c4);
  symclone_group_free(c8);
  symclone_group_free(d1);
  symclone_group_free(d2);
  symclone_group_free(d4);
  symclone_group_free(d8);
}
END_TEST

/* A failing call keeps its message in the diag and writes no output. */
#define EXPECT(code, call)                                                                         \
  do {                                                                                             \
    symclone_status st_ = (call);                                                                  \
    ck_assert_msg(st_ == (code), "%s -> %d, expected %d", #call, (int)st_, (int)(code));           \
    ck_assert_msg(symclone_diag_last_error(d)[0] != '\0', "%s left no message", #call);            \
    ck_assert(mean == -7.0 && max == -7.0);                                                        \
  } while (0)

START_TEST(bad_equivariance_arguments_return_the_documented_codes) {
  symclone_group *g = t2(4, 4), *c8 = cyclic(8);
  int sh[4] = {1, 1, 4, 4};
  float m[256] = {0};
  for (int i = 0; i < 16; i++) m[i * 16 + i] = 1.0f;
  matrix_op o = {m, 16, 16};
  double mean = -7.0, max = -7.0;
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, sh, sh));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, 1));
  ck_assert_int_eq(symclone_diag_equivariance_error(NULL, matrix_forward, &o, &mean, &max),
                   SYMCLONE_ERR_NULL);
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_equivariance_error(d, NULL, &o, &mean, &max));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_equivariance_error(d, matrix_forward, &o, NULL, &max));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_equivariance_error(d, matrix_forward, &o, &mean, NULL));
  /* fewer inputs than samples */
  ck_assert_int_eq(symclone_diag_set_inputs(d, m, 0), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_diag_set_inputs(NULL, m, 1), SYMCLONE_ERR_NULL);
  OK(symclone_diag_set_inputs(d, m, 1));
  OK(symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, 2));
  EXPECT(SYMCLONE_ERR_SIZE, symclone_diag_equivariance_error(d, matrix_forward, &o, &mean, &max));
  OK(symclone_diag_set_inputs(d, NULL, 0));
  /* the operator's status is returned */
  EXPECT(SYMCLONE_ERR_CANCELLED,
         symclone_diag_equivariance_error(d, failing_op, NULL, &mean, &max));
  ck_assert_ptr_nonnull(strstr(symclone_diag_last_error(d), "operator"));
  /* an operator that is zero everywhere leaves nothing to compare */
  size_t out16 = 16;
  EXPECT(SYMCLONE_ERR_DATA, symclone_diag_equivariance_error(d, zero_op, &out16, &mean, &max));
  /* the message stays until the next failure; the identity is equivariant */
  OK(symclone_diag_equivariance_error(d, matrix_forward, &o, &mean, &max));
  ck_assert(max < 1e-12);
  symclone_diag_free(d);

  /* the layer version */
  mean = max = -7.0;
  symclone_layer *l = NULL;
  OK(symclone_layer_create_conv2d(&l, 1, 1, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 0));
  float *p = layer_params(l, 81);
  OK(symclone_diag_create(&d, g, sh, sh));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_layer_equivariance_error(d, NULL, p, &mean, &max));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_layer_equivariance_error(d, l, p, NULL, &max));
  ck_assert_int_eq(symclone_diag_layer_equivariance_error(NULL, l, p, &mean, &max),
                   SYMCLONE_ERR_NULL);
  /* a 4x4 diag for a 5x5 layer */
  EXPECT(SYMCLONE_ERR_SHAPE, symclone_diag_layer_equivariance_error(d, l, p, &mean, &max));
  symclone_diag_free(d);
  /* the forward pass fails: parameters missing, with the layer's message */
  symclone_group *g5 = t2(5, 5);
  int sh5[4] = {1, 1, 5, 5};
  OK(symclone_diag_create(&d, g5, sh5, sh5));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_layer_equivariance_error(d, l, NULL, &mean, &max));
  ck_assert_msg(strstr(symclone_diag_last_error(d), "params") != NULL, "message: %s",
                symclone_diag_last_error(d));
  /* a dense layer has no field shapes */
  symclone_layer *dense = NULL;
  OK(symclone_layer_create_dense(&dense, 25, 25, 0));
  float *q = layer_params(dense, 83);
  EXPECT(SYMCLONE_ERR_UNSUPPORTED,
         symclone_diag_layer_equivariance_error(d, dense, q, &mean, &max));
  symclone_diag_free(d);
  free(q);
  symclone_layer_free(dense);
  /* a C4 lifting layer under C8: 4 orientations are not 8 (refused at creation) */
  symclone_layer *lift = NULL;
  OK(symclone_layer_create_lifting(&lift, 4, 1, 1, 3, 5, 5, SYMCLONE_PADDING_ZERO, 0));
  int lis[4], los[4];
  OK(symclone_layer_input_shape(lift, lis));
  OK(symclone_layer_output_shape(lift, los));
  ck_assert_int_eq(symclone_diag_create(&d, c8, lis, los), SYMCLONE_ERR_GROUP);
  free(p);
  symclone_layer_free(lift);
  symclone_layer_free(l);
  symclone_group_free(g5);
  symclone_group_free(g);
  symclone_group_free(c8);
}
END_TEST

START_TEST(bad_projection_arguments_return_the_documented_codes) {
  symclone_group *g = t2(3, 3);
  int sh[4] = {1, 1, 3, 3};
  float w[81], pr[81];
  for (int i = 0; i < 81; i++) w[i] = (float)i;
  double mean = -7.0, max = -7.0, dist = -7.0;
  symclone_diag *d = NULL;
  OK(symclone_diag_create(&d, g, sh, sh));
  ck_assert_int_eq(symclone_diag_reynolds_project(NULL, w, pr), SYMCLONE_ERR_NULL);
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_reynolds_project(d, NULL, pr));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_reynolds_project(d, w, NULL));
  ck_assert_int_eq(symclone_diag_equivariant_distance(NULL, w, &dist), SYMCLONE_ERR_NULL);
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_equivariant_distance(d, NULL, &dist));
  EXPECT(SYMCLONE_ERR_NULL, symclone_diag_equivariant_distance(d, w, NULL));
  float z[81] = {0};
  EXPECT(SYMCLONE_ERR_DATA, symclone_diag_equivariant_distance(d, z, &dist));
  ck_assert(dist == -7.0);
  symclone_diag_free(d);
  /* an exact group's index maps need fields of at most 2^24 values */
  symclone_group *c4 = cyclic(4);
  int huge[4] = {1, 1, 4097, 4097};
  OK(symclone_diag_create(&d, c4, huge, huge));
  EXPECT(SYMCLONE_ERR_SIZE, symclone_diag_reynolds_project(d, w, pr));
  symclone_diag_free(d);
  symclone_group_free(c4);
  symclone_group_free(g);
}
END_TEST
#undef EXPECT

static Suite *diag_suite(void) {
  Suite *s = suite_create("diag");
  TCase *tc = tcase_create("equivariance");
  tcase_add_test(tc, circular_conv2d_is_t2_equivariant_under_every_shift);
  tcase_add_loop_test(tc, c4_lifting_and_group_conv_are_c4_equivariant_for_every_padding, 0, 3);
  tcase_add_test(tc, interior_mask_makes_valid_and_zero_padded_conv2d_t2_equivariant);
  tcase_add_test(tc, random_dense_layer_is_far_from_equivariant);
  tcase_add_test(tc, c8_lifting_disc_error_on_smooth_inputs_is_bounded);
  tcase_add_test(tc, sampled_elements_and_caller_inputs_are_reproducible);
  tcase_add_test(tc, symmetric_convolution_is_dn_equivariant_and_generic_one_is_not);
  tcase_add_loop_test(tc, d4_symmetric_conv2d_layer_is_d4_equivariant_for_every_padding, 0, 3);
  tcase_add_test(tc, dn_lifting_and_orientation_mean_are_equivariant_on_group_fields);
  suite_add_tcase(s, tc);
  tc = tcase_create("projection");
  tcase_add_test(tc, reynolds_projection_is_equivariant_idempotent_and_orthogonal);
  tcase_add_test(tc, t2_projection_is_the_circulant_diagonal_mean);
  tcase_add_test(tc, projection_leaves_unrolled_equivariant_layers_unchanged);
  tcase_add_test(tc, c8_projection_matches_dense_reference_and_is_exactly_c4_equivariant);
  tcase_add_test(tc, relative_distance_is_computed_in_double);
  tcase_add_test(tc, d4_projection_is_the_mean_over_the_square_symmetries);
  tcase_add_test(tc, dn_projection_is_equivariant_idempotent_and_orthogonal);
  tcase_add_test(tc, d8_projection_is_d4_equivariant_to_float_rounding);
  suite_add_tcase(s, tc);
  tc = tcase_create("bad input");
  tcase_add_test(tc, diag_settings_have_their_defaults_and_bounds);
  tcase_add_test(tc, bad_diag_creation_returns_the_documented_codes);
  tcase_add_test(tc, bad_equivariance_arguments_return_the_documented_codes);
  tcase_add_test(tc, bad_projection_arguments_return_the_documented_codes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(diag_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
