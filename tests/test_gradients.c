/* Backward passes against central finite differences.  For a random dy the
 * loss L = sum(dy * layer(x; p)) has dL/dp and dL/dx equal to what
 * backward returns; each is compared with (L(+eps) - L(-eps)) / (2 eps) on
 * a sample of coordinates.  The forward pass is float32, so the quotient
 * carries a rounding error of about 1e-7 |L| / eps: with eps = 1e-2 and
 * the small sizes used here that is below 1e-3, and the tolerance is 1e-2
 * relative to max(1, |gradient|).  Nonlinear layers get inputs that stay
 * more than eps away from their kinks, so the differences are exact there
 * too. */
#include "testutil.h"

#define EPS 1e-2
#define GTOL 1e-2
#define NCOORDS 40

static double loss(const symclone_layer *l, const float *p, size_t batch, const float *x,
                   const float *dy, float *ybuf) {
  TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, ybuf, NULL));
  double acc = 0.0;
  size_t n = batch * symclone_layer_output_size(l);
  for (size_t t = 0; t < n; t++) acc += (double)dy[t] * (double)ybuf[t];
  return acc;
}

static void expect_close(const char *label, double ana, double num, const char *what, size_t j) {
  double scale = fmax(1.0, fmax(fabs(ana), fabs(num)));
  ck_assert_msg(fabs(ana - num) <= GTOL * scale,
                "%s: %s[%zu]: backward %.6g, finite difference %.6g", label, what, j, ana, num);
}

/* Indices to check: all when there are few, else a random sample that
 * always includes the last `tail` ones (the biases). */
static size_t pick(tu_rng *r, size_t count, size_t tail, size_t t) {
  if (count <= NCOORDS) return t;
  if (t < tail && t < count) return count - 1 - t;
  return (size_t)tu_below(r, (int)count);
}

/* The whole check for one layer; x may be given (for kink-free inputs of
 * nonlinear layers) or NULL for a standard normal input. */
static void check_layer(const char *label, const symclone_layer *l, size_t batch, const float *xin,
                        uint64_t seed) {
  size_t in_sz = symclone_layer_input_size(l) * batch, out_sz = symclone_layer_output_size(l) * batch;
  size_t np = symclone_layer_param_count(l);
  int out_c = 0;
  int shp[4];
  TU_OK_LAYER(l, symclone_layer_output_shape(l, shp));
  out_c = shp[0];
  float *p = np ? tu_normal_floats(np, seed) : NULL;
  if (np && np > symclone_layer_weight_count(l))
    for (size_t j = symclone_layer_weight_count(l); j < np; j++) p[j] = 0.3f * p[j];
  float *x = tu_floats(in_sz);
  if (xin)
    memcpy(x, xin, in_sz * sizeof *x);
  else
    tu_fill_normal(x, in_sz, seed + 1);
  float *dy = tu_normal_floats(out_sz, seed + 2), *y = tu_floats(out_sz);
  float *dx = tu_floats(in_sz), *dp = np ? tu_floats(np) : NULL;
  for (size_t t = 0; t < in_sz; t++) dx[t] = 1234.5f; /* dx is written, not accumulated */
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx, dp, NULL));
  tu_rng r = tu_rng_make(seed + 3);

  size_t nc = in_sz < NCOORDS ? in_sz : NCOORDS;
  for (size_t t = 0; t < nc; t++) {
    size_t j = pick(&r, in_sz, 0, t);
    float keep = x[j];
    x[j] = keep + (float)EPS;
    double lp = loss(l, p, batch, x, dy, y);
    x[j] = keep - (float)EPS;
    double lm = loss(l, p, batch, x, dy, y);
    x[j] = keep;
    double h = ((double)(keep + (float)EPS) - (double)(keep - (float)EPS));
    expect_close(label, dx[j], (lp - lm) / h, "dx", j);
  }
  size_t npc = np < NCOORDS ? np : NCOORDS;
  size_t tail = np > symclone_layer_weight_count(l) ? (size_t)out_c : 0;
  for (size_t t = 0; t < npc; t++) {
    size_t j = pick(&r, np, tail, t);
    float keep = p[j];
    p[j] = keep + (float)EPS;
    double lp = loss(l, p, batch, x, dy, y);
    p[j] = keep - (float)EPS;
    double lm = loss(l, p, batch, x, dy, y);
    p[j] = keep;
    double h = ((double)(keep + (float)EPS) - (double)(keep - (float)EPS));
    expect_close(label, dp[j], (lp - lm) / h, "dparams", j);
  }
  free(p);
  free(x);
  free(dy);
  free(y);
  free(dx);
  free(dp);
}

static const char *pad_name(int pad) {
  return pad == SYMCLONE_PADDING_VALID ? "valid" : pad == SYMCLONE_PADDING_ZERO ? "zero" : "circular";
}

/* kind, orientations, kernel, side */
static const int conv_cfg[][4] = {
    {SYMCLONE_LAYER_CONV2D, 1, 3, 6},     {SYMCLONE_LAYER_CONV2D, 1, 5, 7},
    {SYMCLONE_LAYER_CONV2D, 1, 1, 4},     {SYMCLONE_LAYER_LIFTING, 4, 3, 6},
    {SYMCLONE_LAYER_LIFTING, 8, 3, 6},    {SYMCLONE_LAYER_LIFTING, 8, 5, 7},
    {SYMCLONE_LAYER_GROUP_CONV, 4, 3, 5}, {SYMCLONE_LAYER_GROUP_CONV, 8, 3, 5},
    {SYMCLONE_LAYER_GROUP_CONV, 3, 3, 5}, {SYMCLONE_LAYER_GROUP_CONV, 2, 3, 5},
};

START_TEST(convolution_backward_matches_finite_differences) {
  const int *c = conv_cfg[_i / 6];
  int pad = _i % 3, bias = (_i / 3) % 2;
  /* conv2d on a non-square field; rotations need square filters only */
  int h = c[3], w = c[0] == SYMCLONE_LAYER_CONV2D ? c[3] + 1 : c[3];
  symclone_layer *l = tu_make_conv(c[0], c[1], 2, 2, c[2], h, w, pad, bias);
  char label[96];
  snprintf(label, sizeof label, "kind %d n=%d k=%d %s bias=%d", c[0], c[1], c[2], pad_name(pad), bias);
  check_layer(label, l, 2, NULL, 100 + (uint64_t)_i);
  symclone_layer_free(l);
}
END_TEST

/* kind, rotations n of Dn, kernel, side (D1 and D2 on non-square fields) */
static const int dihedral_cfg[][4] = {
    {SYMCLONE_LAYER_DIHEDRAL_LIFTING, 4, 3, 6},    {SYMCLONE_LAYER_DIHEDRAL_LIFTING, 1, 3, 5},
    {SYMCLONE_LAYER_DIHEDRAL_LIFTING, 8, 5, 7},    {SYMCLONE_LAYER_DIHEDRAL_LIFTING, 3, 3, 6},
    {SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 4, 3, 5}, {SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 1, 3, 5},
    {SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 2, 3, 5}, {SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 8, 3, 5},
    {SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 3, 3, 5},
};

START_TEST(dihedral_backward_matches_finite_differences) {
  const int *c = dihedral_cfg[_i / 6];
  int pad = _i % 3, bias = (_i / 3) % 2;
  int h = c[3], w = c[1] <= 2 ? c[3] + 1 : c[3];
  symclone_layer *l = tu_make_conv(c[0], c[1], 2, 2, c[2], h, w, pad, bias);
  char label[96];
  snprintf(label, sizeof label, "%s D%d k=%d %s bias=%d",
           c[0] == SYMCLONE_LAYER_DIHEDRAL_LIFTING ? "lifting" : "group conv", c[1], c[2],
           pad_name(pad), bias);
  check_layer(label, l, 2, NULL, 700 + (uint64_t)_i);
  symclone_layer_free(l);
}
END_TEST

START_TEST(dihedral_backward_matches_finite_differences_across_sample_chunks) {
  symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 4, 3, 2, 5, 20, 20,
                              SYMCLONE_PADDING_ZERO, 1);
  check_layer("group conv D4 on 20x20", l, 3, NULL, 790);
  symclone_layer_free(l);
}
END_TEST

START_TEST(conv2d_backward_matches_finite_differences_across_sample_chunks) {
  /* enough columns per sample that a batch of 3 takes several products */
  symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, 16, 2, 5, 32, 32, SYMCLONE_PADDING_ZERO, 1);
  check_layer("conv2d 16 channels 32x32", l, 3, NULL, 7);
  symclone_layer_free(l);
}
END_TEST

START_TEST(dense_backward_matches_finite_differences) {
  for (int bias = 0; bias < 2; bias++) {
    symclone_layer *l = NULL;
    TU_OK(symclone_layer_create_dense(&l, 11, 6, bias));
    check_layer(bias ? "dense with bias" : "dense", l, 3, NULL, 20 + (uint64_t)bias);
    symclone_layer_free(l);
  }
}
END_TEST

/* Distinct values at least 0.05 apart (a shuffled ramp, centred on 0 and
 * avoiding 0 itself), so that perturbations of 1e-2 move no kink. */
static float *kink_free(size_t n, uint64_t seed) {
  float *x = tu_floats(n);
  for (size_t t = 0; t < n; t++) x[t] = 0.05f * ((float)t - 0.5f * (float)n) + 0.025f;
  tu_rng r = tu_rng_make(seed);
  for (size_t t = n; t > 1; t--) {
    size_t j = (size_t)tu_below(&r, (int)t);
    float tmp = x[t - 1];
    x[t - 1] = x[j];
    x[j] = tmp;
  }
  return x;
}

START_TEST(relu_backward_matches_finite_differences) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_relu(&l, 2, 3, 4, 5));
  float *x = kink_free(2 * symclone_layer_input_size(l), 30);
  check_layer("relu", l, 2, x, 31);
  free(x);
  symclone_layer_free(l);
}
END_TEST

START_TEST(maxpool2_backward_matches_finite_differences) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_maxpool2(&l, 2, 2, 5, 7)); /* odd sizes */
  float *x = kink_free(2 * symclone_layer_input_size(l), 32);
  check_layer("maxpool2", l, 2, x, 33);
  free(x);
  symclone_layer_free(l);
}
END_TEST

START_TEST(orient_pool_backward_matches_finite_differences) {
  for (int mode = 0; mode < 2; mode++) {
    symclone_layer *l = NULL;
    TU_OK(symclone_layer_create_orient_pool(&l, 2, 4, 3, 4, (symclone_pool_mode)mode));
    float *x = kink_free(2 * symclone_layer_input_size(l), 34);
    check_layer(mode ? "orientation mean" : "orientation max", l, 2, x, 35);
    free(x);
    symclone_layer_free(l);
  }
}
END_TEST

START_TEST(global_avgpool_backward_matches_finite_differences) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_global_avgpool(&l, 2, 3, 4, 5));
  check_layer("global average", l, 2, NULL, 36);
  symclone_layer_free(l);
}
END_TEST

/* ---- accumulation and optional outputs ---- */

static void check_accumulation(const symclone_layer *l, uint64_t seed) {
  size_t batch = 2, in_sz = symclone_layer_input_size(l) * batch,
         out_sz = symclone_layer_output_size(l) * batch, np = symclone_layer_param_count(l);
  float *p = tu_normal_floats(np, seed), *x = tu_normal_floats(in_sz, seed + 1),
        *dy = tu_normal_floats(out_sz, seed + 2);
  float *g = tu_floats(np), *acc = tu_normal_floats(np, seed + 3), *start = tu_floats(np);
  float *dx1 = tu_floats(in_sz), *dx2 = tu_floats(in_sz);
  memcpy(start, acc, np * sizeof *acc);
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx1, g, NULL));
  /* dparams += gradient, twice */
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx2, acc, NULL));
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx2, acc, NULL));
  double num = 0.0, den = 0.0;
  for (size_t j = 0; j < np; j++) {
    double want = (double)start[j] + 2.0 * (double)g[j];
    num += (acc[j] - want) * (acc[j] - want);
    den += want * want;
  }
  ck_assert_msg(sqrt(num / den) <= 1e-5, "accumulated dparams off by %g", sqrt(num / den));
  /* dx is overwritten each call, not accumulated */
  ck_assert(tu_rel_err(dx2, dx1, in_sz) <= 1e-6);
  /* either output may be skipped without changing the other */
  float *g2 = tu_floats(np), *dx3 = tu_floats(in_sz);
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, NULL, g2, NULL));
  ck_assert(tu_rel_err(g2, g, np) <= 1e-6);
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx3, NULL, NULL));
  ck_assert(tu_rel_err(dx3, dx1, in_sz) <= 1e-6);
  /* an explicit workspace gives the same gradients */
  size_t ws = symclone_layer_workspace_size(l, batch);
  void *work = ws ? malloc(ws) : NULL;
  if (ws) {
    ck_assert_ptr_nonnull(work);
    memset(work, 0xFF, ws);
  }
  memset(g2, 0, np * sizeof *g2);
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx3, g2, work));
  ck_assert(tu_rel_err(g2, g, np) <= 1e-6); /* NaN from the workspace would fail */
  ck_assert(tu_rel_err(dx3, dx1, in_sz) <= 1e-6);
  free(work);
  free(p);
  free(x);
  free(dy);
  free(g);
  free(acc);
  free(start);
  free(dx1);
  free(dx2);
  free(g2);
  free(dx3);
}

START_TEST(backward_adds_into_dparams_and_overwrites_dx) {
  symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, 2, 3, 3, 5, 6, SYMCLONE_PADDING_ZERO, 1);
  check_accumulation(l, 50);
  symclone_layer_free(l);
  l = tu_make_conv(SYMCLONE_LAYER_LIFTING, 4, 2, 2, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 1);
  check_accumulation(l, 51);
  symclone_layer_free(l);
  l = tu_make_conv(SYMCLONE_LAYER_GROUP_CONV, 8, 2, 2, 3, 5, 5, SYMCLONE_PADDING_VALID, 1);
  check_accumulation(l, 52);
  symclone_layer_free(l);
  l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_LIFTING, 4, 2, 2, 3, 5, 5, SYMCLONE_PADDING_ZERO, 1);
  check_accumulation(l, 54);
  symclone_layer_free(l);
  l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 3, 2, 2, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 1);
  check_accumulation(l, 55);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_dense(&l, 7, 4, 1));
  check_accumulation(l, 53);
  symclone_layer_free(l);
}
END_TEST

START_TEST(parameter_free_backward_overwrites_dx_and_accepts_null_dparams) {
  symclone_layer *ls[5];
  TU_OK(symclone_layer_create_relu(&ls[0], 2, 2, 4, 4));
  TU_OK(symclone_layer_create_maxpool2(&ls[1], 2, 2, 4, 4));
  TU_OK(symclone_layer_create_orient_pool(&ls[2], 2, 2, 4, 4, SYMCLONE_POOL_MAX));
  TU_OK(symclone_layer_create_orient_pool(&ls[3], 2, 2, 4, 4, SYMCLONE_POOL_MEAN));
  TU_OK(symclone_layer_create_global_avgpool(&ls[4], 2, 2, 4, 4));
  for (int j = 0; j < 5; j++) {
    size_t in_sz = symclone_layer_input_size(ls[j]) * 2, out_sz = symclone_layer_output_size(ls[j]) * 2;
    float *x = tu_normal_floats(in_sz, 60), *dy = tu_normal_floats(out_sz, 61);
    float *a = tu_floats(in_sz), *b = tu_floats(in_sz);
    for (size_t t = 0; t < in_sz; t++) b[t] = 777.0f;
    TU_OK_LAYER(ls[j], symclone_layer_backward(ls[j], NULL, 2, x, dy, a, NULL, NULL));
    TU_OK_LAYER(ls[j], symclone_layer_backward(ls[j], NULL, 2, x, dy, b, NULL, NULL));
    ck_assert_msg(tu_equal(a, b, in_sz), "layer %d accumulates into dx", j);
    free(x);
    free(dy);
    free(a);
    free(b);
    symclone_layer_free(ls[j]);
  }
}
END_TEST

static Suite *gradients_suite(void) {
  Suite *s = suite_create("gradients");
  TCase *tc = tcase_create("finite differences");
  tcase_add_loop_test(tc, convolution_backward_matches_finite_differences, 0,
                      (int)(6 * sizeof conv_cfg / sizeof conv_cfg[0]));
  tcase_add_test(tc, conv2d_backward_matches_finite_differences_across_sample_chunks);
  tcase_add_loop_test(tc, dihedral_backward_matches_finite_differences, 0,
                      (int)(6 * sizeof dihedral_cfg / sizeof dihedral_cfg[0]));
  tcase_add_test(tc, dihedral_backward_matches_finite_differences_across_sample_chunks);
  tcase_add_test(tc, dense_backward_matches_finite_differences);
  tcase_add_test(tc, relu_backward_matches_finite_differences);
  tcase_add_test(tc, maxpool2_backward_matches_finite_differences);
  tcase_add_test(tc, orient_pool_backward_matches_finite_differences);
  tcase_add_test(tc, global_avgpool_backward_matches_finite_differences);
  suite_add_tcase(s, tc);

  tc = tcase_create("accumulation");
  tcase_add_test(tc, backward_adds_into_dparams_and_overwrites_dx);
  tcase_add_test(tc, parameter_free_backward_overwrites_dx_and_accepts_null_dparams);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(gradients_suite()); }
