/* Layers: shapes and sizes, each forward pass against a direct loop written
 * here (the dihedral ones over the filters transformed by each element of
 * Dn), the adjoint of the filter transforms, and every linear layer's
 * unrolled matrix against its forward pass. */
#include "testutil.h"

#define TOL 1e-5

static const char *pad_name(int pad) {
  return pad == SYMCLONE_PADDING_VALID ? "valid" : pad == SYMCLONE_PADDING_ZERO ? "zero" : "circular";
}

/* R_r of Cn applied to one k x k filter: quarter turns by the test's own
 * rot90, other angles by the library's bilinear convention. */
static void rotate_filter(const float *in, float *out, int k, int r, int n) {
  if ((4 * r) % n == 0) {
    tu_rotq(in, out, k, 4 * r / n);
    return;
  }
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_cyclic(&g, n));
  TU_OK_GROUP(g, symclone_group_act_planar(g, r, 1, k, k, in, out));
  symclone_group_free(g);
}

/* Lifting reference, one sample: y[o][r] = b[o] + sum_i (R_r w[o][i]) (*) x[i] */
static void ref_lifting(const float *x, int in_c, int h, int w, const float *wt, const float *b,
                        int out_c, int k, int pad, int n, float *y) {
  int oh = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  int ow = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  size_t kk = (size_t)k * k, ohw = (size_t)oh * ow;
  float *bank = tu_floats((size_t)in_c * kk);
  for (int o = 0; o < out_c; o++)
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < in_c; i++)
        rotate_filter(wt + ((size_t)o * in_c + i) * kk, bank + (size_t)i * kk, k, r, n);
      tu_conv_ref(x, in_c, h, w, bank, b ? b + o : NULL, 1, k, pad,
                  y + ((size_t)o * n + r) * ohw);
    }
  free(bank);
}

/* Group conv reference, one sample:
 * y[o][r] = b[o] + sum_i sum_s (R_r w[o][i][(s - r) mod n]) (*) x[i][s] */
static void ref_group_conv(const float *x, int in_c, int h, int w, const float *wt,
                           const float *b, int out_c, int k, int pad, int n, float *y) {
  int oh = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  int ow = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  size_t kk = (size_t)k * k, ohw = (size_t)oh * ow;
  /* the input [i][s] read as in_c * n planar channels */
  float *bank = tu_floats((size_t)in_c * n * kk);
  for (int o = 0; o < out_c; o++)
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < in_c; i++)
        for (int s = 0; s < n; s++) {
          int slice = ((s - r) % n + n) % n;
          rotate_filter(wt + (((size_t)o * in_c + i) * n + slice) * kk,
                        bank + ((size_t)i * n + s) * kk, k, r, n);
        }
      tu_conv_ref(x, in_c * n, h, w, bank, b ? b + o : NULL, 1, k, pad,
                  y + ((size_t)o * n + r) * ohw);
    }
  free(bank);
}

/* Forward of a convolution-family layer on a batch against the reference,
 * sample by sample. */
static double conv_forward_error(int kind, int n, int in_c, int out_c, int k, int h, int w,
                                 int pad, int bias, int batch, uint64_t seed) {
  symclone_layer *l = tu_make_conv(kind, n, in_c, out_c, k, h, w, pad, bias);
  size_t in_sz = symclone_layer_input_size(l), out_sz = symclone_layer_output_size(l);
  size_t np = symclone_layer_param_count(l), nw = symclone_layer_weight_count(l);
  float *p = tu_normal_floats(np, seed);
  float *x = tu_normal_floats(in_sz * batch, seed + 1);
  float *y = tu_floats(out_sz * batch), *ref = tu_floats(out_sz * batch);
  TU_OK_LAYER(l, symclone_layer_forward(l, p, (size_t)batch, x, y, NULL));
  const float *b = bias ? p + nw : NULL;
  for (int s = 0; s < batch; s++) {
    const float *xs = x + s * in_sz;
    float *rs = ref + s * out_sz;
    if (kind == SYMCLONE_LAYER_CONV2D)
      tu_conv_ref(xs, in_c, h, w, p, b, out_c, k, pad, rs);
    else if (kind == SYMCLONE_LAYER_LIFTING)
      ref_lifting(xs, in_c, h, w, p, b, out_c, k, pad, n, rs);
    else
      ref_group_conv(xs, in_c, h, w, p, b, out_c, k, pad, n, rs);
  }
  double err = tu_rel_err(y, ref, out_sz * batch);
  free(p);
  free(x);
  free(y);
  free(ref);
  symclone_layer_free(l);
  return err;
}

/* ---- dihedral layers ---- */

static symclone_group *make_dihedral(int n) {
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_dihedral(&g, n));
  return g;
}

/* T_g = R_r M^m of Dn (g = m*n + r) on one k x k filter: for quarter turns
 * the test's own fliplr then rot90; other angles by the library's
 * bilinear convention (the group's planar action). */
static void dihedral_filter(const float *in, float *out, int k, int g, int n) {
  int m = g / n, r = g % n;
  if ((4 * r) % n == 0) {
    float *t = tu_floats((size_t)k * k);
    for (int y = 0; y < k; y++)
      for (int x = 0; x < k; x++) t[y * k + x] = in[y * k + (m ? k - 1 - x : x)];
    tu_rotq(t, out, k, 4 * r / n);
    free(t);
    return;
  }
  symclone_group *dn = make_dihedral(n);
  TU_OK_GROUP(dn, symclone_group_act_planar(dn, g, 1, k, k, in, out));
  symclone_group_free(dn);
}

/* Dihedral lifting reference, one sample:
 * y[o][g] = b[o] + sum_i (T_g w[o][i]) (*) x[i] */
static void ref_dihedral_lifting(const float *x, int in_c, int h, int w, const float *wt,
                                 const float *b, int out_c, int k, int pad, int n, float *y) {
  int oh = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  int ow = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  size_t kk = (size_t)k * k, ohw = (size_t)oh * ow;
  float *bank = tu_floats((size_t)in_c * kk);
  for (int o = 0; o < out_c; o++)
    for (int g = 0; g < 2 * n; g++) {
      for (int i = 0; i < in_c; i++)
        dihedral_filter(wt + ((size_t)o * in_c + i) * kk, bank + (size_t)i * kk, k, g, n);
      tu_conv_ref(x, in_c, h, w, bank, b ? b + o : NULL, 1, k, pad,
                  y + ((size_t)o * 2 * n + g) * ohw);
    }
  free(bank);
}

/* Dihedral group conv reference, one sample:
 * y[o][g] = b[o] + sum_i sum_s (T_g w[o][i][g^-1 s]) (*) x[i][s], the group
 * law from the group handle (tested against 2x2 matrices in the group
 * suite). */
static void ref_dihedral_group_conv(const float *x, int in_c, int h, int w, const float *wt,
                                    const float *b, int out_c, int k, int pad, int n, float *y) {
  int oh = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  int ow = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  int G = 2 * n;
  size_t kk = (size_t)k * k, ohw = (size_t)oh * ow;
  symclone_group *dn = make_dihedral(n);
  float *bank = tu_floats((size_t)in_c * G * kk);
  for (int o = 0; o < out_c; o++)
    for (int g = 0; g < G; g++) {
      int ginv, slice;
      TU_OK_GROUP(dn, symclone_group_inverse(dn, g, &ginv));
      for (int i = 0; i < in_c; i++)
        for (int s = 0; s < G; s++) {
          TU_OK_GROUP(dn, symclone_group_compose(dn, ginv, s, &slice));
          dihedral_filter(wt + (((size_t)o * in_c + i) * G + slice) * kk,
                          bank + ((size_t)i * G + s) * kk, k, g, n);
        }
      tu_conv_ref(x, in_c * G, h, w, bank, b ? b + o : NULL, 1, k, pad,
                  y + ((size_t)o * G + g) * ohw);
    }
  free(bank);
  symclone_group_free(dn);
}

static double dihedral_forward_error(int kind, int n, int in_c, int out_c, int k, int h, int w,
                                     int pad, int bias, int batch, uint64_t seed) {
  symclone_layer *l = tu_make_conv(kind, n, in_c, out_c, k, h, w, pad, bias);
  size_t in_sz = symclone_layer_input_size(l), out_sz = symclone_layer_output_size(l);
  size_t np = symclone_layer_param_count(l), nw = symclone_layer_weight_count(l);
  float *p = tu_normal_floats(np, seed);
  float *x = tu_normal_floats(in_sz * batch, seed + 1);
  float *y = tu_floats(out_sz * batch), *ref = tu_floats(out_sz * batch);
  TU_OK_LAYER(l, symclone_layer_forward(l, p, (size_t)batch, x, y, NULL));
  const float *b = bias ? p + nw : NULL;
  for (int s = 0; s < batch; s++) {
    if (kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING)
      ref_dihedral_lifting(x + s * in_sz, in_c, h, w, p, b, out_c, k, pad, n, ref + s * out_sz);
    else
      ref_dihedral_group_conv(x + s * in_sz, in_c, h, w, p, b, out_c, k, pad, n,
                              ref + s * out_sz);
  }
  double err = tu_rel_err(y, ref, out_sz * batch);
  free(p);
  free(x);
  free(y);
  free(ref);
  symclone_layer_free(l);
  return err;
}

/* loop index -> (padding, bias, kernel) */
static void decode(int i, int *pad, int *bias, int *k) {
  static const int ks[3] = {3, 1, 5};
  *pad = i % 3;
  *bias = (i / 3) % 2;
  *k = ks[(i / 6) % 3];
}

/* Same-size padding with kernels as large as the grid (the library takes
 * none larger): most taps of a row wrap (circular) or fall outside (zero),
 * on both ends. */
START_TEST(conv2d_same_size_kernels_as_large_as_the_grid) {
  static const int shapes[][3] = {{1, 1, 1}, {3, 3, 3}, {5, 5, 5}, {5, 8, 5}, {9, 7, 7}, {7, 9, 7}};
  for (int pad = SYMCLONE_PADDING_ZERO; pad <= SYMCLONE_PADDING_CIRCULAR; pad++)
    for (size_t g = 0; g < sizeof shapes / sizeof shapes[0]; g++) {
      int h = shapes[g][0], w = shapes[g][1], k = shapes[g][2];
      double err = conv_forward_error(SYMCLONE_LAYER_CONV2D, 1, 2, 2, k, h, w, pad, 1, 2, 900 + g);
      ck_assert_msg(err <= TOL, "%s k=%d on %dx%d: rel err %g", pad_name(pad), k, h, w, err);
    }
}
END_TEST

START_TEST(conv2d_forward_matches_direct_loop) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err = conv_forward_error(SYMCLONE_LAYER_CONV2D, 1, 3, 2, k, 7, 6, pad, bias, 3, 100 + _i);
  ck_assert_msg(err <= TOL, "conv2d %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k, err);
}
END_TEST

START_TEST(conv2d_forward_matches_direct_loop_across_sample_chunks) {
  /* 16 channels, 5x5 kernel on 32x32: so many columns per sample that the
   * batch of 5 is split into several matrix products */
  for (int pad = 0; pad < 3; pad++) {
    double err = conv_forward_error(SYMCLONE_LAYER_CONV2D, 1, 16, 3, 5, 32, 32, pad, 1, 5, 7);
    ck_assert_msg(err <= TOL, "conv2d %s: rel err %g", pad_name(pad), err);
  }
}
END_TEST

START_TEST(lifting_c4_forward_matches_loop_with_rot90_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err = conv_forward_error(SYMCLONE_LAYER_LIFTING, 4, 2, 3, k, 7, 7, pad, bias, 2, 200 + _i);
  ck_assert_msg(err <= TOL, "lifting C4 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k, err);
}
END_TEST

START_TEST(lifting_c8_forward_matches_loop_with_rotated_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err = conv_forward_error(SYMCLONE_LAYER_LIFTING, 8, 2, 2, k, 8, 8, pad, bias, 2, 300 + _i);
  ck_assert_msg(err <= TOL, "lifting C8 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k, err);
}
END_TEST

START_TEST(group_conv_c4_forward_matches_loop_with_rotated_cycled_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err =
      conv_forward_error(SYMCLONE_LAYER_GROUP_CONV, 4, 2, 3, k, 7, 7, pad, bias, 2, 400 + _i);
  ck_assert_msg(err <= TOL, "group conv C4 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k,
                err);
}
END_TEST

START_TEST(group_conv_c8_forward_matches_loop_with_rotated_cycled_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err =
      conv_forward_error(SYMCLONE_LAYER_GROUP_CONV, 8, 2, 2, k, 6, 6, pad, bias, 2, 500 + _i);
  ck_assert_msg(err <= TOL, "group conv C8 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k,
                err);
}
END_TEST

START_TEST(group_conv_c3_and_c2_forward_match_loop) {
  for (int pad = 0; pad < 3; pad++) {
    double e3 = conv_forward_error(SYMCLONE_LAYER_GROUP_CONV, 3, 2, 2, 3, 6, 6, pad, 1, 2, 61);
    double e2 = conv_forward_error(SYMCLONE_LAYER_GROUP_CONV, 2, 2, 2, 3, 6, 5, pad, 1, 2, 62);
    double l3 = conv_forward_error(SYMCLONE_LAYER_LIFTING, 3, 2, 2, 3, 6, 6, pad, 1, 2, 63);
    ck_assert_msg(e3 <= TOL && e2 <= TOL && l3 <= TOL, "%s: C3 %g, C2 %g, lifting C3 %g",
                  pad_name(pad), e3, e2, l3);
  }
}
END_TEST

START_TEST(c1_lifting_and_group_conv_equal_conv2d) {
  int in_c = 2, out_c = 3, k = 3, h = 6, w = 5, batch = 2;
  for (int pad = 0; pad < 3; pad++) {
    symclone_layer *c = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, in_c, out_c, k, h, w, pad, 1);
    symclone_layer *li = tu_make_conv(SYMCLONE_LAYER_LIFTING, 1, in_c, out_c, k, h, w, pad, 1);
    symclone_layer *gc = tu_make_conv(SYMCLONE_LAYER_GROUP_CONV, 1, in_c, out_c, k, h, w, pad, 1);
    size_t np = symclone_layer_param_count(c), in_sz = symclone_layer_input_size(c),
           out_sz = symclone_layer_output_size(c);
    ck_assert_uint_eq(symclone_layer_param_count(li), np);
    ck_assert_uint_eq(symclone_layer_param_count(gc), np);
    ck_assert_uint_eq(symclone_layer_output_size(li), out_sz);
    ck_assert_uint_eq(symclone_layer_input_size(gc), in_sz);
    float *p = tu_normal_floats(np, 8), *x = tu_normal_floats(in_sz * batch, 9);
    float *y0 = tu_floats(out_sz * batch), *y1 = tu_floats(out_sz * batch),
          *y2 = tu_floats(out_sz * batch);
    TU_OK_LAYER(c, symclone_layer_forward(c, p, batch, x, y0, NULL));
    TU_OK_LAYER(li, symclone_layer_forward(li, p, batch, x, y1, NULL));
    TU_OK_LAYER(gc, symclone_layer_forward(gc, p, batch, x, y2, NULL));
    ck_assert(tu_rel_err(y1, y0, out_sz * batch) <= TOL);
    ck_assert(tu_rel_err(y2, y0, out_sz * batch) <= TOL);
    free(p);
    free(x);
    free(y0);
    free(y1);
    free(y2);
    symclone_layer_free(c);
    symclone_layer_free(li);
    symclone_layer_free(gc);
  }
}
END_TEST

START_TEST(explicit_workspace_gives_the_same_result_whatever_its_content) {
  symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_GROUP_CONV, 4, 2, 2, 3, 6, 6, SYMCLONE_PADDING_ZERO, 1);
  size_t batch = 3, in_sz = symclone_layer_input_size(l), out_sz = symclone_layer_output_size(l);
  size_t ws = symclone_layer_workspace_size(l, batch);
  ck_assert_uint_gt(ws, 0);
  unsigned char *work = malloc(ws);
  ck_assert_ptr_nonnull(work);
  memset(work, 0xFF, ws); /* NaN patterns */
  float *p = tu_normal_floats(symclone_layer_param_count(l), 1);
  float *x = tu_normal_floats(in_sz * batch, 2);
  float *y0 = tu_floats(out_sz * batch), *y1 = tu_floats(out_sz * batch);
  TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, y0, NULL));
  TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, y1, work));
  /* (BLAS may block differently for other sizes: compare to rounding; a
   * NaN read from the workspace would fail the comparison) */
  ck_assert(tu_rel_err(y1, y0, out_sz * batch) <= 1e-6);
  /* a smaller batch fits the same workspace */
  memset(work, 0xFF, ws);
  TU_OK_LAYER(l, symclone_layer_forward(l, p, 1, x, y1, work));
  ck_assert(tu_rel_err(y1, y0, out_sz) <= 1e-6);
  free(work);
  free(p);
  free(x);
  free(y0);
  free(y1);
  symclone_layer_free(l);
}
END_TEST

START_TEST(dihedral_lifting_d4_forward_matches_loop_with_mirrored_rot90_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err = dihedral_forward_error(SYMCLONE_LAYER_DIHEDRAL_LIFTING, 4, 2, 3, k, 7, 7, pad, bias,
                                      2, 1200 + _i);
  ck_assert_msg(err <= TOL, "lifting D4 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k, err);
}
END_TEST

START_TEST(dihedral_group_conv_d4_forward_matches_loop_with_transformed_permuted_filters) {
  int pad, bias, k;
  decode(_i, &pad, &bias, &k);
  double err = dihedral_forward_error(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 4, 2, 2, k, 6, 6, pad,
                                      bias, 2, 1300 + _i);
  ck_assert_msg(err <= TOL, "group conv D4 %s bias=%d k=%d: rel err %g", pad_name(pad), bias, k,
                err);
}
END_TEST

START_TEST(dihedral_d1_d2_d3_d8_forward_match_loop) {
  /* D1 and D2 need no quarter turn: non-square fields */
  static const int cfg[][3] = {{1, 5, 7}, {2, 6, 5}, {3, 6, 6}, {8, 7, 7}};
  for (int pad = 0; pad < 3; pad++)
    for (int j = 0; j < 4; j++) {
      int n = cfg[j][0], h = cfg[j][1], w = cfg[j][2];
      double el = dihedral_forward_error(SYMCLONE_LAYER_DIHEDRAL_LIFTING, n, 2, 2, 3, h, w, pad,
                                         1, 2, 1400 + (uint64_t)(10 * pad + j));
      double eg = dihedral_forward_error(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, n, 2, 2, 3, h, w,
                                         pad, 1, 2, 1500 + (uint64_t)(10 * pad + j));
      ck_assert_msg(el <= TOL && eg <= TOL, "D%d %s: lifting %g, group conv %g", n,
                    pad_name(pad), el, eg);
    }
}
END_TEST

START_TEST(dihedral_forward_matches_loop_across_sample_chunks) {
  /* so many columns per sample that a batch of 3 takes several products */
  double e = dihedral_forward_error(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 4, 3, 2, 5, 20, 20,
                                    SYMCLONE_PADDING_ZERO, 1, 3, 1600);
  ck_assert_msg(e <= TOL, "group conv D4 on 20x20: rel err %g", e);
}
END_TEST

START_TEST(dihedral_lifting_rotated_orientations_equal_the_cn_lifting) {
  /* orientations 0 .. n-1 of the Dn lifting are the Cn lifting's (to the
   * rounding of matrix products of other shapes); n .. 2n-1 are the Cn
   * lifting of the mirrored filters */
  static const int ns[] = {1, 2, 4, 8};
  for (int j = 0; j < 4; j++)
    for (int pad = 0; pad < 3; pad++) {
      int n = ns[j], side = 7, in_c = 2, out_c = 2, k = 3;
      symclone_layer *d = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_LIFTING, n, in_c, out_c, k, side, side,
                                  pad, 1);
      symclone_layer *c =
          tu_make_conv(SYMCLONE_LAYER_LIFTING, n, in_c, out_c, k, side, side, pad, 1);
      symclone_layer *cm =
          tu_make_conv(SYMCLONE_LAYER_LIFTING, n, in_c, out_c, k, side, side, pad, 1);
      size_t np = symclone_layer_param_count(d), nw = symclone_layer_weight_count(d);
      ck_assert_uint_eq(np, symclone_layer_param_count(c));
      size_t in_sz = symclone_layer_input_size(d);
      size_t hw = symclone_layer_output_size(c) / (size_t)(out_c * n);
      float *p = tu_normal_floats(np, 70 + (uint64_t)j), *pm = tu_floats(np);
      /* the mirrored filters (fliplr), same bias */
      memcpy(pm, p, np * sizeof *p);
      for (size_t f = 0; f < nw / ((size_t)k * k); f++)
        for (int y = 0; y < k; y++)
          for (int x = 0; x < k; x++) pm[f * k * k + y * k + x] = p[f * k * k + y * k + k - 1 - x];
      float *x = tu_normal_floats(in_sz, 80 + (uint64_t)j);
      float *yd = tu_floats(symclone_layer_output_size(d));
      float *yc = tu_floats(symclone_layer_output_size(c)),
            *ym = tu_floats(symclone_layer_output_size(c));
      TU_OK_LAYER(d, symclone_layer_forward(d, p, 1, x, yd, NULL));
      TU_OK_LAYER(c, symclone_layer_forward(c, p, 1, x, yc, NULL));
      TU_OK_LAYER(cm, symclone_layer_forward(cm, pm, 1, x, ym, NULL));
      for (int o = 0; o < out_c; o++) {
        ck_assert_msg(tu_rel_err(yd + (size_t)o * 2 * n * hw, yc + (size_t)o * n * hw,
                                 (size_t)n * hw) <= 1e-6,
                      "D%d %s channel %d: rotated half", n, pad_name(pad), o);
        ck_assert_msg(tu_rel_err(yd + ((size_t)o * 2 * n + n) * hw, ym + (size_t)o * n * hw,
                                 (size_t)n * hw) <= TOL,
                      "D%d %s channel %d: mirrored half", n, pad_name(pad), o);
      }
      free(p);
      free(pm);
      free(x);
      free(yd);
      free(yc);
      free(ym);
      symclone_layer_free(d);
      symclone_layer_free(c);
      symclone_layer_free(cm);
    }
}
END_TEST

/* The transform T_g of a k x k filter, its adjoint T_g^* and the layer
 * passes: a 1 -> 1 channel dihedral lifting on a k x k field with VALID
 * padding has one output pixel per orientation, y[g] = <T_g w, x>, and its
 * backward pass with dy = e_g adds T_g^* x into dparams.  Checked:
 * <T_g w, x> = <w, T_g^* x> for random w and x, and T_g^* x against the
 * transpose of T_g built column by column from the group's planar action
 * (T_g e_j), for every element, exact and interpolated. */
START_TEST(dihedral_filter_transform_adjoint_is_the_transpose) {
  static const int ns[] = {1, 2, 3, 4, 5, 8};
  for (int j = 0; j < 6; j++)
    for (int k = 1; k <= 5; k += 2) {
      int n = ns[j], G = 2 * n;
      size_t kk = (size_t)k * k;
      symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_LIFTING, n, 1, 1, k, k, k,
                                  SYMCLONE_PADDING_VALID, 0);
      ck_assert_uint_eq(symclone_layer_output_size(l), (size_t)G);
      symclone_group *dn = make_dihedral(n);
      float *w = tu_normal_floats(kk, 90 + (uint64_t)(j * 7 + k));
      float *x = tu_normal_floats(kk, 91 + (uint64_t)(j * 7 + k));
      float *y = tu_floats((size_t)G), *dy = tu_floats((size_t)G), *adj = tu_floats(kk);
      float *e = tu_floats(kk), *col = tu_floats(kk);
      TU_OK_LAYER(l, symclone_layer_forward(l, w, 1, x, y, NULL));
      for (int g = 0; g < G; g++) {
        memset(dy, 0, (size_t)G * sizeof *dy);
        dy[g] = 1.0f;
        memset(adj, 0, kk * sizeof *adj);
        TU_OK_LAYER(l, symclone_layer_backward(l, w, 1, x, dy, NULL, adj, NULL));
        double lhs = y[g], rhs = 0.0, scale = 0.0;
        for (size_t t = 0; t < kk; t++) {
          rhs += (double)w[t] * adj[t];
          scale += fabs((double)w[t] * adj[t]);
        }
        ck_assert_msg(fabs(lhs - rhs) <= 1e-5 * (1.0 + scale),
                      "D%d k=%d g=%d: <Tw,x> %.9g, <w,T*x> %.9g", n, k, g, lhs, rhs);
        /* (T_g^* x)[t] = <T_g e_t, x> */
        double worst = 0.0;
        for (size_t t = 0; t < kk; t++) {
          memset(e, 0, kk * sizeof *e);
          e[t] = 1.0f;
          TU_OK_GROUP(dn, symclone_group_act_planar(dn, g, 1, k, k, e, col));
          double ref = 0.0;
          for (size_t q = 0; q < kk; q++) ref += (double)col[q] * x[q];
          worst = fmax(worst, fabs(ref - adj[t]));
        }
        ck_assert_msg(worst <= 1e-5, "D%d k=%d g=%d: T*x off the transpose by %g", n, k, g, worst);
      }
      free(w);
      free(x);
      free(y);
      free(dy);
      free(adj);
      free(e);
      free(col);
      symclone_group_free(dn);
      symclone_layer_free(l);
    }
}
END_TEST

START_TEST(relu_forward_zeroes_negatives_and_keeps_positives) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_relu(&l, 2, 3, 4, 5));
  size_t n = symclone_layer_input_size(l), batch = 3;
  ck_assert_uint_eq(n, 2 * 3 * 4 * 5);
  ck_assert_uint_eq(symclone_layer_output_size(l), n);
  float *x = tu_normal_floats(n * batch, 3), *y = tu_floats(n * batch);
  TU_OK_LAYER(l, symclone_layer_forward(l, NULL, batch, x, y, NULL));
  for (size_t t = 0; t < n * batch; t++) ck_assert(y[t] == (x[t] > 0.0f ? x[t] : 0.0f));
  free(x);
  free(y);
  symclone_layer_free(l);
}
END_TEST

START_TEST(maxpool2_forward_takes_the_max_of_each_2x2_window) {
  /* odd sizes: the trailing row and column are dropped */
  int c = 2, n = 3, h = 5, w = 7, oh = 2, ow = 3, batch = 2;
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_maxpool2(&l, c, n, h, w));
  size_t planes = (size_t)batch * c * n;
  float *x = tu_normal_floats(planes * h * w, 4), *y = tu_floats(planes * oh * ow);
  TU_OK_LAYER(l, symclone_layer_forward(l, NULL, batch, x, y, NULL));
  for (size_t q = 0; q < planes; q++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        const float *pl = x + q * h * w;
        float m = -INFINITY;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) m = fmaxf(m, pl[(2 * oy + dy) * w + 2 * ox + dx]);
        ck_assert(y[(q * oh + oy) * ow + ox] == m);
      }
  free(x);
  free(y);
  symclone_layer_free(l);
}
END_TEST

START_TEST(orient_pool_forward_takes_max_or_mean_over_orientations) {
  int c = 3, n = 4, h = 3, w = 5, batch = 2;
  size_t hw = (size_t)h * w;
  for (int mode = 0; mode < 2; mode++) {
    symclone_layer *l = NULL;
    TU_OK(symclone_layer_create_orient_pool(&l, c, n, h, w, (symclone_pool_mode)mode));
    float *x = tu_normal_floats((size_t)batch * c * n * hw, 5 + mode);
    float *y = tu_floats((size_t)batch * c * hw), *ref = tu_floats((size_t)batch * c * hw);
    TU_OK_LAYER(l, symclone_layer_forward(l, NULL, batch, x, y, NULL));
    for (int s = 0; s < batch; s++)
      for (int ch = 0; ch < c; ch++)
        for (size_t t = 0; t < hw; t++) {
          double m = -INFINITY, sum = 0.0;
          for (int r = 0; r < n; r++) {
            double v = x[(((size_t)s * c + ch) * n + r) * hw + t];
            m = v > m ? v : m;
            sum += v;
          }
          ref[((size_t)s * c + ch) * hw + t] = (float)(mode == SYMCLONE_POOL_MAX ? m : sum / n);
        }
    double err = tu_rel_err(y, ref, (size_t)batch * c * hw);
    ck_assert_msg(err <= (mode == SYMCLONE_POOL_MAX ? 0.0 : TOL), "mode %d: %g", mode, err);
    free(x);
    free(y);
    free(ref);
    symclone_layer_free(l);
  }
}
END_TEST

START_TEST(global_avgpool_forward_averages_each_plane) {
  int c = 3, n = 2, h = 4, w = 5, batch = 3;
  size_t hw = (size_t)h * w, planes = (size_t)batch * c * n;
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_global_avgpool(&l, c, n, h, w));
  float *x = tu_normal_floats(planes * hw, 12), *y = tu_floats(planes), *ref = tu_floats(planes);
  TU_OK_LAYER(l, symclone_layer_forward(l, NULL, batch, x, y, NULL));
  for (size_t q = 0; q < planes; q++) {
    double sum = 0.0;
    for (size_t t = 0; t < hw; t++) sum += x[q * hw + t];
    ref[q] = (float)(sum / (double)hw);
  }
  ck_assert(tu_rel_err(y, ref, planes) <= TOL);
  free(x);
  free(y);
  free(ref);
  symclone_layer_free(l);
}
END_TEST

START_TEST(dense_forward_is_matrix_times_vector_plus_bias) {
  int in = 13, out = 7, batch = 4;
  for (int bias = 0; bias < 2; bias++) {
    symclone_layer *l = NULL;
    TU_OK(symclone_layer_create_dense(&l, in, out, bias));
    ck_assert_uint_eq(symclone_layer_param_count(l), (size_t)(in * out + (bias ? out : 0)));
    float *p = tu_normal_floats(symclone_layer_param_count(l), 20 + bias);
    float *x = tu_normal_floats((size_t)in * batch, 22), *y = tu_floats((size_t)out * batch),
          *ref = tu_floats((size_t)out * batch);
    TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, y, NULL));
    for (int s = 0; s < batch; s++)
      for (int o = 0; o < out; o++) {
        double acc = bias ? p[in * out + o] : 0.0;
        for (int i = 0; i < in; i++) acc += (double)p[o * in + i] * x[s * in + i];
        ref[s * out + o] = (float)acc;
      }
    ck_assert(tu_rel_err(y, ref, (size_t)out * batch) <= TOL);
    free(p);
    free(x);
    free(y);
    free(ref);
    symclone_layer_free(l);
  }
}
END_TEST

/* ---- unrolled matrices ---- */

/* matrix x + bias (from the unrolled matrix, a plain loop) against the
 * forward pass for a few samples.  bias_per_row maps output index -> bias
 * value (NULL: no bias). */
static double unroll_error(const symclone_layer *l, const float *p, const float *bias_of_row,
                           uint64_t seed) {
  size_t in_sz = symclone_layer_input_size(l), out_sz = symclone_layer_output_size(l);
  size_t batch = 3;
  float *m = tu_floats(in_sz * out_sz);
  TU_OK_LAYER(l, symclone_layer_unroll(l, p, m));
  float *x = tu_normal_floats(in_sz * batch, seed), *y = tu_floats(out_sz * batch),
        *mx = tu_floats(out_sz * batch);
  TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, y, NULL));
  for (size_t s = 0; s < batch; s++) {
    tu_matvec(m, out_sz, in_sz, x + s * in_sz, mx + s * out_sz);
    if (bias_of_row)
      for (size_t r = 0; r < out_sz; r++) mx[s * out_sz + r] += bias_of_row[r];
  }
  double err = tu_rel_err(mx, y, out_sz * batch);
  free(m);
  free(x);
  free(y);
  free(mx);
  return err;
}

/* Bias of every output row of a convolution-family layer. */
static float *conv_row_bias(const symclone_layer *l, const float *p) {
  int shp[4];
  TU_OK_LAYER(l, symclone_layer_output_shape(l, shp));
  size_t per = (size_t)shp[1] * shp[2] * shp[3], out_sz = symclone_layer_output_size(l);
  float *b = tu_floats(out_sz);
  const float *bias = p + symclone_layer_weight_count(l);
  for (size_t r = 0; r < out_sz; r++) b[r] = bias[r / per];
  return b;
}

START_TEST(conv_family_unrolled_matrix_times_x_equals_forward_without_bias) {
  static const int cfg[][2] = {{SYMCLONE_LAYER_CONV2D, 1}, {SYMCLONE_LAYER_LIFTING, 4},
                               {SYMCLONE_LAYER_LIFTING, 8}, {SYMCLONE_LAYER_GROUP_CONV, 4},
                               {SYMCLONE_LAYER_GROUP_CONV, 8}};
  int kind = cfg[_i / 3][0], n = cfg[_i / 3][1], pad = _i % 3;
  int h = kind == SYMCLONE_LAYER_CONV2D ? 6 : 5, w = kind == SYMCLONE_LAYER_CONV2D ? 7 : 5;
  symclone_layer *l = tu_make_conv(kind, n, 2, 2, 3, h, w, pad, 1);
  float *p = tu_normal_floats(symclone_layer_param_count(l), 40 + _i);
  float *b = conv_row_bias(l, p);
  double err = unroll_error(l, p, b, 41 + _i);
  ck_assert_msg(err <= TOL, "kind %d n=%d %s: rel err %g", kind, n, pad_name(pad), err);
  free(b);
  free(p);
  symclone_layer_free(l);
}
END_TEST

START_TEST(dihedral_unrolled_matrix_times_x_equals_forward_without_bias) {
  static const int kinds[2] = {SYMCLONE_LAYER_DIHEDRAL_LIFTING, SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV};
  static const int ns[3] = {1, 3, 4};
  int kind = kinds[_i / 9], n = ns[(_i / 3) % 3], pad = _i % 3;
  symclone_layer *l = tu_make_conv(kind, n, 2, 2, 3, 5, 5, pad, 1);
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  float *p = tu_normal_floats(symclone_layer_param_count(l), 140 + _i);
  float *b = conv_row_bias(l, p);
  double err = unroll_error(l, p, b, 141 + _i);
  ck_assert_msg(err <= TOL, "kind %d D%d %s: rel err %g", kind, n, pad_name(pad), err);
  free(b);
  free(p);
  symclone_layer_free(l);
}
END_TEST

START_TEST(conv2d_unrolled_matrix_has_the_direct_toeplitz_entries) {
  /* 1 -> 1 channel, 3x3 kernel on 4x5: entry (out pixel, in pixel) is the
   * kernel tap linking them, or 0; circular taps that land on the same
   * input pixel add up (only when the kernel wraps onto itself) */
  int h = 4, w = 5, k = 3;
  for (int pad = 0; pad < 3; pad++) {
    symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, 1, 1, k, h, w, pad, 0);
    float wt[9];
    for (int t = 0; t < 9; t++) wt[t] = (float)(t + 1);
    int oh = pad == SYMCLONE_PADDING_VALID ? h - 2 : h, ow = pad == SYMCLONE_PADDING_VALID ? w - 2 : w;
    int off = pad == SYMCLONE_PADDING_VALID ? 0 : 1;
    float *m = tu_floats((size_t)oh * ow * h * w), *ref = tu_floats((size_t)oh * ow * h * w);
    TU_OK_LAYER(l, symclone_layer_unroll(l, wt, m));
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) {
            int iy = oy + ky - off, ix = ox + kx - off;
            if (pad == SYMCLONE_PADDING_CIRCULAR) {
              iy = (iy + h) % h;
              ix = (ix + w) % w;
            } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              continue;
            }
            ref[(size_t)(oy * ow + ox) * h * w + iy * w + ix] += wt[ky * k + kx];
          }
    ck_assert_msg(tu_equal(m, ref, (size_t)oh * ow * h * w), "%s", pad_name(pad));
    free(m);
    free(ref);
    symclone_layer_free(l);
  }
}
END_TEST

START_TEST(dense_pooling_unrolled_matrices_times_x_equal_forward) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_dense(&l, 9, 5, 1));
  float *p = tu_normal_floats(symclone_layer_param_count(l), 50);
  double err = unroll_error(l, p, p + 45, 51);
  ck_assert_msg(err <= TOL, "dense: %g", err);
  /* the matrix is W itself */
  float *m = tu_floats(45);
  TU_OK_LAYER(l, symclone_layer_unroll(l, p, m));
  ck_assert(tu_equal(m, p, 45));
  free(m);
  free(p);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_orient_pool(&l, 2, 4, 3, 3, SYMCLONE_POOL_MEAN));
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  err = unroll_error(l, NULL, NULL, 52);
  ck_assert_msg(err <= TOL, "orientation mean pool: %g", err);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_global_avgpool(&l, 2, 3, 4, 5));
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  err = unroll_error(l, NULL, NULL, 53);
  ck_assert_msg(err <= TOL, "global average pool: %g", err);
  symclone_layer_free(l);
}
END_TEST

/* ---- shapes, sizes, counts ---- */

static void expect_shapes(const symclone_layer *l, int i0, int i1, int i2, int i3, int o0, int o1,
                          int o2, int o3) {
  int si[4] = {-1, -1, -1, -1}, so[4] = {-1, -1, -1, -1};
  TU_OK_LAYER(l, symclone_layer_input_shape(l, si));
  TU_OK_LAYER(l, symclone_layer_output_shape(l, so));
  ck_assert_msg(si[0] == i0 && si[1] == i1 && si[2] == i2 && si[3] == i3,
                "input shape %d %d %d %d", si[0], si[1], si[2], si[3]);
  ck_assert_msg(so[0] == o0 && so[1] == o1 && so[2] == o2 && so[3] == o3,
                "output shape %d %d %d %d", so[0], so[1], so[2], so[3]);
  ck_assert_uint_eq(symclone_layer_input_size(l), (size_t)i0 * i1 * i2 * i3);
  ck_assert_uint_eq(symclone_layer_output_size(l), (size_t)o0 * o1 * o2 * o3);
}

START_TEST(convolution_shapes_and_parameter_counts) {
  for (int pad = 0; pad < 3; pad++)
    for (int bias = 0; bias < 2; bias++) {
      int oh = pad == SYMCLONE_PADDING_VALID ? 9 - 5 + 1 : 9, ow = pad == SYMCLONE_PADDING_VALID ? 3 : 7;
      symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, 3, 4, 5, 9, 7, pad, bias);
      ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_CONV2D);
      expect_shapes(l, 3, 1, 9, 7, 4, 1, oh, ow);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 4 * 3 * 5 * 5);
      ck_assert_uint_eq(symclone_layer_param_count(l), 4 * 3 * 5 * 5 + (bias ? 4 : 0));
      ck_assert_int_eq(symclone_layer_kernel(l), 5);
      ck_assert_int_eq(symclone_layer_orientations(l), 1);
      ck_assert_int_eq(symclone_layer_padding(l), pad);
      ck_assert_int_eq(symclone_layer_is_linear(l), 1);
      ck_assert_uint_gt(symclone_layer_workspace_size(l, 1), 0);
      symclone_layer_free(l);

      oh = pad == SYMCLONE_PADDING_VALID ? 7 : 9;
      l = tu_make_conv(SYMCLONE_LAYER_LIFTING, 8, 3, 4, 3, 9, 9, pad, bias);
      ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_LIFTING);
      expect_shapes(l, 3, 1, 9, 9, 4, 8, oh, oh);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 4 * 3 * 3 * 3);
      ck_assert_uint_eq(symclone_layer_param_count(l), 4 * 3 * 3 * 3 + (bias ? 4 : 0));
      ck_assert_int_eq(symclone_layer_kernel(l), 3);
      ck_assert_int_eq(symclone_layer_orientations(l), 8);
      ck_assert_int_eq(symclone_layer_padding(l), pad);
      ck_assert_int_eq(symclone_layer_is_linear(l), 1);
      symclone_layer_free(l);

      l = tu_make_conv(SYMCLONE_LAYER_GROUP_CONV, 4, 3, 2, 3, 9, 9, pad, bias);
      ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_GROUP_CONV);
      expect_shapes(l, 3, 4, 9, 9, 2, 4, oh, oh);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 2 * 3 * 4 * 3 * 3);
      ck_assert_uint_eq(symclone_layer_param_count(l), 2 * 3 * 4 * 3 * 3 + (bias ? 2 : 0));
      ck_assert_int_eq(symclone_layer_orientations(l), 4);
      ck_assert_int_eq(symclone_layer_is_linear(l), 1);
      symclone_layer_free(l);
    }
}
END_TEST

START_TEST(dihedral_shapes_and_parameter_counts) {
  for (int pad = 0; pad < 3; pad++)
    for (int bias = 0; bias < 2; bias++) {
      int oh = pad == SYMCLONE_PADDING_VALID ? 7 : 9, ow = pad == SYMCLONE_PADDING_VALID ? 5 : 7;
      /* D1 on a non-square field: 2 orientations */
      symclone_layer *l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_LIFTING, 1, 3, 4, 3, 9, 7, pad, bias);
      ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_DIHEDRAL_LIFTING);
      expect_shapes(l, 3, 1, 9, 7, 4, 2, oh, ow);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 4 * 3 * 3 * 3);
      ck_assert_uint_eq(symclone_layer_param_count(l), 4 * 3 * 3 * 3 + (bias ? 4 : 0));
      ck_assert_int_eq(symclone_layer_orientations(l), 2);
      symclone_layer_free(l);

      l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_LIFTING, 4, 3, 4, 3, 9, 9, pad, bias);
      expect_shapes(l, 3, 1, 9, 9, 4, 8, oh, oh);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 4 * 3 * 3 * 3);
      ck_assert_int_eq(symclone_layer_kernel(l), 3);
      ck_assert_int_eq(symclone_layer_orientations(l), 8);
      ck_assert_int_eq(symclone_layer_padding(l), pad);
      ck_assert_int_eq(symclone_layer_is_linear(l), 1);
      ck_assert_uint_gt(symclone_layer_workspace_size(l, 1), 0);
      symclone_layer_free(l);

      l = tu_make_conv(SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, 4, 3, 2, 3, 9, 9, pad, bias);
      ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV);
      expect_shapes(l, 3, 8, 9, 9, 2, 8, oh, oh);
      ck_assert_uint_eq(symclone_layer_weight_count(l), 2 * 3 * 8 * 3 * 3);
      ck_assert_uint_eq(symclone_layer_param_count(l), 2 * 3 * 8 * 3 * 3 + (bias ? 2 : 0));
      ck_assert_int_eq(symclone_layer_orientations(l), 8);
      ck_assert_int_eq(symclone_layer_is_linear(l), 1);
      symclone_layer_free(l);
    }
}
END_TEST

START_TEST(dihedral_create_refuses_bad_arguments_and_writes_nothing) {
  symclone_layer *l = (symclone_layer *)&l; /* a sentinel: must stay */
  symclone_layer *const keep = l;
  const symclone_padding V = SYMCLONE_PADDING_VALID;
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(NULL, 4, 1, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(NULL, 4, 1, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l, 0, 1, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l, -1, 1, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l, 361, 1, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l, 4, 0, 1, 3, 5, 5, V, 1),
                   SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l, 4, 1, 1, 4, 5, 5, V, 1),
                   SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l, 4, 1, 1, 7, 5, 5, V, 1),
                   SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l, 4, 1, 1, 3, 5, 5,
                                                          (symclone_padding)5, 1),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l, 360, INT32_MAX / 100, 1, 1, 1,
                                                             1, V, 0),
                   SYMCLONE_ERR_OVERFLOW);
  ck_assert_ptr_eq(l, keep);
}
END_TEST

START_TEST(simple_layer_shapes_and_parameter_counts) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_relu(&l, 3, 4, 5, 6));
  ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_RELU);
  expect_shapes(l, 3, 4, 5, 6, 3, 4, 5, 6);
  ck_assert_uint_eq(symclone_layer_param_count(l), 0);
  ck_assert_int_eq(symclone_layer_kernel(l), 0);
  ck_assert_int_eq(symclone_layer_padding(l), SYMCLONE_PADDING_NONE);
  ck_assert_int_eq(symclone_layer_is_linear(l), 0);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_maxpool2(&l, 3, 4, 7, 6));
  ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_MAXPOOL2);
  expect_shapes(l, 3, 4, 7, 6, 3, 4, 3, 3);
  ck_assert_uint_eq(symclone_layer_param_count(l), 0);
  ck_assert_int_eq(symclone_layer_orientations(l), 4);
  ck_assert_int_eq(symclone_layer_is_linear(l), 0);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_orient_pool(&l, 3, 8, 5, 4, SYMCLONE_POOL_MAX));
  ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_ORIENT_POOL);
  expect_shapes(l, 3, 8, 5, 4, 3, 1, 5, 4);
  ck_assert_int_eq(symclone_layer_orientations(l), 1);
  ck_assert_int_eq(symclone_layer_is_linear(l), 0);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_orient_pool(&l, 3, 8, 5, 4, SYMCLONE_POOL_MEAN));
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_global_avgpool(&l, 3, 4, 5, 6));
  ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_GLOBAL_AVGPOOL);
  expect_shapes(l, 3, 4, 5, 6, 3, 4, 1, 1);
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  ck_assert_uint_eq(symclone_layer_param_count(l), 0);
  symclone_layer_free(l);

  TU_OK(symclone_layer_create_dense(&l, 10, 3, 1));
  ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_DENSE);
  expect_shapes(l, 10, 1, 1, 1, 3, 1, 1, 1);
  ck_assert_uint_eq(symclone_layer_weight_count(l), 30);
  ck_assert_uint_eq(symclone_layer_param_count(l), 33);
  ck_assert_int_eq(symclone_layer_is_linear(l), 1);
  symclone_layer_free(l);
}
END_TEST

START_TEST(init_params_is_he_uniform_reproducible_with_zero_bias) {
  /* fan_in: conv2d in*k*k, lifting in*k*k, group conv in*n*k*k, dense in */
  symclone_layer *ls[4];
  size_t fan[4] = {4 * 9, 4 * 9, 4 * 4 * 9, 50};
  ls[0] = tu_make_conv(SYMCLONE_LAYER_CONV2D, 1, 4, 6, 3, 8, 8, SYMCLONE_PADDING_ZERO, 1);
  ls[1] = tu_make_conv(SYMCLONE_LAYER_LIFTING, 4, 4, 6, 3, 8, 8, SYMCLONE_PADDING_ZERO, 1);
  ls[2] = tu_make_conv(SYMCLONE_LAYER_GROUP_CONV, 4, 4, 6, 3, 8, 8, SYMCLONE_PADDING_ZERO, 1);
  TU_OK(symclone_layer_create_dense(&ls[3], 50, 20, 1));
  for (int j = 0; j < 4; j++) {
    symclone_layer *l = ls[j];
    size_t np = symclone_layer_param_count(l), nw = symclone_layer_weight_count(l);
    float *a = tu_floats(np), *b = tu_floats(np), *c = tu_floats(np);
    for (size_t t = 0; t < np; t++) a[t] = b[t] = c[t] = 99.0f;
    TU_OK_LAYER(l, symclone_layer_init_params(l, 42, a));
    TU_OK_LAYER(l, symclone_layer_init_params(l, 42, b));
    TU_OK_LAYER(l, symclone_layer_init_params(l, 43, c));
    ck_assert(tu_equal(a, b, np));
    ck_assert(!tu_equal(a, c, nw));
    double bound = sqrt(6.0 / (double)fan[j]), maxabs = 0.0, mean = 0.0;
    for (size_t t = 0; t < nw; t++) {
      ck_assert_msg(fabs(a[t]) <= bound * (1 + 1e-6), "layer %d: |w|=%g > %g", j, a[t], bound);
      maxabs = fmax(maxabs, fabs(a[t]));
      mean += a[t];
    }
    mean /= (double)nw;
    /* the whole range is used, centred */
    ck_assert_msg(maxabs > 0.9 * bound, "layer %d: max |w| %g of bound %g", j, maxabs, bound);
    ck_assert_msg(fabs(mean) < 0.2 * bound, "layer %d: mean %g", j, mean);
    for (size_t t = nw; t < np; t++) ck_assert(a[t] == 0.0f);
    free(a);
    free(b);
    free(c);
    symclone_layer_free(l);
  }
  /* parameter-free layers accept NULL */
  symclone_layer *r = NULL;
  TU_OK(symclone_layer_create_relu(&r, 1, 1, 2, 2));
  TU_OK_LAYER(r, symclone_layer_init_params(r, 1, NULL));
  symclone_layer_free(r);
}
END_TEST

static Suite *layer_suite(void) {
  Suite *s = suite_create("layer");
  TCase *tc = tcase_create("forward");
  tcase_add_loop_test(tc, conv2d_forward_matches_direct_loop, 0, 18);
  tcase_add_test(tc, conv2d_same_size_kernels_as_large_as_the_grid);
  tcase_add_test(tc, conv2d_forward_matches_direct_loop_across_sample_chunks);
  tcase_add_loop_test(tc, lifting_c4_forward_matches_loop_with_rot90_filters, 0, 18);
  tcase_add_loop_test(tc, lifting_c8_forward_matches_loop_with_rotated_filters, 0, 18);
  tcase_add_loop_test(tc, group_conv_c4_forward_matches_loop_with_rotated_cycled_filters, 0, 18);
  tcase_add_loop_test(tc, group_conv_c8_forward_matches_loop_with_rotated_cycled_filters, 0, 18);
  tcase_add_test(tc, group_conv_c3_and_c2_forward_match_loop);
  tcase_add_test(tc, c1_lifting_and_group_conv_equal_conv2d);
  tcase_add_test(tc, explicit_workspace_gives_the_same_result_whatever_its_content);
  tcase_add_loop_test(tc, dihedral_lifting_d4_forward_matches_loop_with_mirrored_rot90_filters, 0,
                      18);
  tcase_add_loop_test(
      tc, dihedral_group_conv_d4_forward_matches_loop_with_transformed_permuted_filters, 0, 18);
  tcase_add_test(tc, dihedral_d1_d2_d3_d8_forward_match_loop);
  tcase_add_test(tc, dihedral_forward_matches_loop_across_sample_chunks);
  tcase_add_test(tc, dihedral_lifting_rotated_orientations_equal_the_cn_lifting);
  tcase_add_test(tc, dihedral_filter_transform_adjoint_is_the_transpose);
  tcase_add_test(tc, relu_forward_zeroes_negatives_and_keeps_positives);
  tcase_add_test(tc, maxpool2_forward_takes_the_max_of_each_2x2_window);
  tcase_add_test(tc, orient_pool_forward_takes_max_or_mean_over_orientations);
  tcase_add_test(tc, global_avgpool_forward_averages_each_plane);
  tcase_add_test(tc, dense_forward_is_matrix_times_vector_plus_bias);
  suite_add_tcase(s, tc);

  tc = tcase_create("unroll");
  tcase_add_loop_test(tc, conv_family_unrolled_matrix_times_x_equals_forward_without_bias, 0, 15);
  tcase_add_loop_test(tc, dihedral_unrolled_matrix_times_x_equals_forward_without_bias, 0, 18);
  tcase_add_test(tc, conv2d_unrolled_matrix_has_the_direct_toeplitz_entries);
  tcase_add_test(tc, dense_pooling_unrolled_matrices_times_x_equal_forward);
  suite_add_tcase(s, tc);

  tc = tcase_create("geometry");
  tcase_add_test(tc, convolution_shapes_and_parameter_counts);
  tcase_add_test(tc, dihedral_shapes_and_parameter_counts);
  tcase_add_test(tc, dihedral_create_refuses_bad_arguments_and_writes_nothing);
  tcase_add_test(tc, simple_layer_shapes_and_parameter_counts);
  tcase_add_test(tc, init_params_is_he_uniform_reproducible_with_zero_bias);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(layer_suite()); }
