/* Networks: a cloned layer built from an exact student is its teacher (a
 * cloned p4m network too, and it is D4-invariant); a cloned group student
 * needs a field of its group; gradients of small networks (cloned layers
 * retained and broken, lifting and group convolutions, Cn and Dn) against
 * central finite differences; clone_stack's D4 students in a network; a short
 * training run beats chance by a wide margin; retain leaves the cloned
 * parameters bit for bit unchanged while break changes them; bad input. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

static float urand(unsigned *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)((*state >> 8) & 0xFFFFFF) / 16777216.0f;
}

/* A student of the given kind (n of Cn or Dn), set to its exact solution
 * and then perturbed (so that the frozen parameters have non-trivial
 * gradients). */
static symclone_student *exact_student_n(symclone_student_kind kind, int rotations, int hw,
                                         float noise) {
  symclone_student *s;
  ck_assert_int_eq(
      symclone_student_create(&s, kind, rotations, 3, hw, hw, SYMCLONE_PADDING_VALID, 9, 7),
      SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  float *p = symclone_student_params(s);
  unsigned st = 11;
  size_t n = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  for (size_t j = 0; j < n; j++) p[j] += noise * (urand(&st) - 0.5f);
  return s;
}

static symclone_student *exact_student(symclone_student_kind kind, int hw, float noise) {
  return exact_student_n(kind, 4, hw, noise);
}

static float *random_floats(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  ck_assert_ptr_nonnull(x);
  for (size_t j = 0; j < n; j++) x[j] = 2.0f * urand(&seed) - 1.0f;
  return x;
}

/* A cloned dihedral lifting layer gives a Dn field: a dihedral group
 * convolution may follow it and a Cn group convolution may not (and the
 * other way round after a cloned Cn lifting layer). */
START_TEST(cloned_layer_fields_know_their_group) {
  symclone_student *d, *c;
  ck_assert_int_eq(symclone_student_create(&d, SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 2, 3, 7, 7,
                                           SYMCLONE_PADDING_VALID, 9, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_create(&c, SYMCLONE_STUDENT_LIFTING, 4, 3, 7, 7,
                                           SYMCLONE_PADDING_VALID, 9, 1),
                   SYMCLONE_OK);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, d, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_dihedral_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_OK);
  symclone_net_free(net);
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, c, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_OK);
  symclone_net_free(net);
  symclone_student_free(d);
  symclone_student_free(c);
}
END_TEST

/* A cloned group student needs a field of its own group: a C8 group
 * student after a D4 field (8 orientations as well) is refused, and a D4
 * one after a C8 field; each is accepted after a field of its group. */
START_TEST(cloned_group_student_needs_its_group) {
  symclone_student *c8, *d4;
  ck_assert_int_eq(symclone_student_create(&c8, SYMCLONE_STUDENT_GROUP, 8, 3, 5, 5,
                                           SYMCLONE_PADDING_VALID, 9, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_create(&d4, SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 3, 5, 5,
                                           SYMCLONE_PADDING_VALID, 9, 1),
                   SYMCLONE_OK);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_lifting(net, 4, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, c8, 2, SYMCLONE_CLONE_RETAIN, 0),
                   SYMCLONE_ERR_SHAPE);
  ck_assert_ptr_nonnull(strstr(symclone_net_last_error(net), "Dn field"));
  ck_assert_int_eq(symclone_net_layer_count(net), 2);
  ck_assert_int_eq(symclone_net_add_cloned(net, d4, 2, SYMCLONE_CLONE_BREAK, 0), SYMCLONE_OK);
  symclone_net_free(net);
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_lifting(net, 8, 2, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, d4, 2, SYMCLONE_CLONE_RETAIN, 0),
                   SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_cloned(net, c8, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  symclone_net_free(net);
  /* the network's input taken as either group's field */
  ck_assert_int_eq(symclone_net_create(&net, 1, 8, 5, 5), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, d4, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  symclone_net_free(net);
  symclone_student_free(c8);
  symclone_student_free(d4);
}
END_TEST

/* The p4m G-CNN of the reflection experiments, built from exact D4
 * students, computes the network of D4 lifting and group convolutions
 * with the same parameters (compared layer by layer through the whole
 * network), and after max-pooling over the 8 orientations and global
 * average pooling its logits are invariant to every element of D4. */
START_TEST(cloned_exact_p4m_equals_teacher_and_is_invariant) {
  symclone_student *lift = exact_student_n(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 8, 0.0f);
  symclone_student *grp = exact_student_n(SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 6, 0.0f);
  symclone_net *a, *b;
  for (int k = 0; k < 2; k++) {
    symclone_net **net = k ? &b : &a;
    ck_assert_int_eq(symclone_net_create(net, 1, 1, 8, 8), SYMCLONE_OK);
    ck_assert_int_eq(k ? symclone_net_add_dihedral_lifting(*net, 4, 2, 3, SYMCLONE_PADDING_VALID, 1)
                       : symclone_net_add_cloned(*net, lift, 2, SYMCLONE_CLONE_RETAIN, 0),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_relu(*net), SYMCLONE_OK);
    ck_assert_int_eq(k ? symclone_net_add_dihedral_group_conv(*net, 3, 3, SYMCLONE_PADDING_VALID, 1)
                       : symclone_net_add_cloned(*net, grp, 3, SYMCLONE_CLONE_BREAK, 0),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_relu(*net), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_orient_pool(*net, SYMCLONE_POOL_MAX), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_global_avgpool(*net), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_dense(*net, 5, 1), SYMCLONE_OK);
  }
  int shape[4];
  ck_assert_int_eq(symclone_net_output_shape(a, shape), SYMCLONE_OK);
  ck_assert_int_eq(shape[0], 5);
  /* the teacher's parameters, then the same thetas and biases in the clone
   * (theta[o][i][P] and bias are the teacher's layout) */
  size_t na = symclone_net_param_count(a), nb = symclone_net_param_count(b);
  float *pa = malloc(na * sizeof *pa), *pb = random_floats(nb, 21);
  ck_assert_int_eq(symclone_net_get_params(a, pa, na), SYMCLONE_OK);
  for (int l = 0; l < symclone_net_layer_count(b); l++) {
    size_t oa, ob, cb, ca;
    ck_assert_int_eq(symclone_net_layer_params(a, l, &oa, &ca, NULL), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_layer_params(b, l, &ob, &cb, NULL), SYMCLONE_OK);
    if (l == 0 || l == 2) ck_assert_uint_gt(ca, cb);
    memcpy(pa + oa, pb + ob, cb * sizeof *pa);
  }
  ck_assert_int_eq(symclone_net_set_params(a, pa, na), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set_params(b, pb, nb), SYMCLONE_OK);
  size_t batch = 2;
  float *x = random_floats(batch * 64, 23), *gx = malloc(batch * 64 * sizeof *gx);
  float ya[10], yb[10], yg[10];
  ck_assert_int_eq(symclone_net_forward(a, batch, x, ya), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(b, batch, x, yb), SYMCLONE_OK);
  double scale = 0;
  for (int j = 0; j < 10; j++) scale = fmax(scale, fabs(yb[j]));
  ck_assert_double_gt(scale, 1e-3);
  for (int j = 0; j < 10; j++) ck_assert_float_eq_tol(ya[j], yb[j], 1e-4 * scale);
  symclone_group *d4;
  ck_assert_int_eq(symclone_group_create_dihedral(&d4, 4), SYMCLONE_OK);
  for (int g = 1; g < 8; g++) {
    ck_assert_int_eq(symclone_group_act_planar(d4, g, (int)batch, 8, 8, x, gx), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_forward(a, batch, gx, yg), SYMCLONE_OK);
    for (int j = 0; j < 10; j++) ck_assert_float_eq_tol(yg[j], ya[j], 1e-5 * scale);
  }
  /* and a planar CNN of the same depth is not invariant (the check can fail) */
  symclone_net *c;
  ck_assert_int_eq(symclone_net_create(&c, 1, 1, 8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_conv2d(c, 4, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(c), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(c, 5, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_group_act_planar(d4, 4, (int)batch, 8, 8, x, gx), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(c, batch, x, ya), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(c, batch, gx, yg), SYMCLONE_OK);
  double d = 0;
  for (int j = 0; j < 10; j++) d = fmax(d, fabs(ya[j] - yg[j]));
  ck_assert_double_gt(d, 1e-3);
  symclone_net_free(c);
  symclone_group_free(d4);
  free(pa); free(pb); free(x); free(gx);
  symclone_net_free(a);
  symclone_net_free(b);
  symclone_student_free(lift);
  symclone_student_free(grp);
}
END_TEST

/* The cloned layer of an exact lifting student computes the lifting
 * convolution with the same parameters. */
START_TEST(cloned_exact_lifting_equals_teacher) {
  symclone_student *s = exact_student(SYMCLONE_STUDENT_LIFTING, 7, 0.0f);
  symclone_net *a, *b;
  ck_assert_int_eq(symclone_net_create(&a, 2, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_create(&b, 2, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(a, s, 3, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_lifting(b, 4, 3, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  size_t na = symclone_net_param_count(a), nb = symclone_net_param_count(b);
  ck_assert_uint_eq(nb, 3 * 2 * 9 + 3);
  float *pa = malloc(na * sizeof *pa), *pb = random_floats(nb, 5);
  ck_assert_int_eq(symclone_net_get_params(a, pa, na), SYMCLONE_OK);
  memcpy(pa, pb, nb * sizeof *pa); /* theta[o][i][k][k] then bias: the teacher's layout */
  ck_assert_int_eq(symclone_net_set_params(a, pa, na), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set_params(b, pb, nb), SYMCLONE_OK);
  int shape[4];
  ck_assert_int_eq(symclone_net_output_shape(a, shape), SYMCLONE_OK);
  ck_assert_int_eq(shape[0], 3);
  ck_assert_int_eq(shape[1], 4);
  ck_assert_int_eq(shape[2], 5);
  size_t batch = 3, no = symclone_net_output_size(a);
  ck_assert_uint_eq(no, symclone_net_output_size(b));
  float *x = random_floats(batch * 2 * 49, 9), *ya = malloc(batch * no * 4), *yb = malloc(batch * no * 4);
  ck_assert_int_eq(symclone_net_forward(a, batch, x, ya), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(b, batch, x, yb), SYMCLONE_OK);
  for (size_t j = 0; j < batch * no; j++) ck_assert_float_eq_tol(ya[j], yb[j], 1e-4f);
  free(pa); free(pb); free(x); free(ya); free(yb);
  symclone_net_free(a);
  symclone_net_free(b);
  symclone_student_free(s);
}
END_TEST

/* Central differences of the objective against symclone_net_gradient over
 * every parameter; relative error of the whole vector. */
static void check_gradient(symclone_net *net, size_t batch, unsigned seed) {
  size_t np = symclone_net_param_count(net), ni = symclone_net_input_size(net);
  int classes = (int)symclone_net_output_size(net);
  float *x = random_floats(batch * ni, seed), *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
  int *labels = malloc(batch * sizeof *labels);
  for (size_t i = 0; i < batch; i++) labels[i] = (int)(i % (size_t)classes);
  ck_assert_int_eq(symclone_net_get_params(net, p, np), SYMCLONE_OK);
  double loss;
  ck_assert_int_eq(symclone_net_gradient(net, batch, x, labels, &loss, g), SYMCLONE_OK);
  ck_assert(isfinite(loss) && loss > 0);
  double num = 0, den = 0, worst = 0;
  const float eps = 2e-3f;
  for (size_t j = 0; j < np; j++) {
    float keep = p[j];
    double lp, lm;
    p[j] = keep + eps;
    ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_gradient(net, batch, x, labels, &lp, NULL), SYMCLONE_OK);
    p[j] = keep - eps;
    ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_gradient(net, batch, x, labels, &lm, NULL), SYMCLONE_OK);
    p[j] = keep;
    double fd = (lp - lm) / (2.0 * eps), d = fd - g[j];
    num += d * d;
    den += fd * fd;
    if (fabs(d) > worst) worst = fabs(d);
  }
  ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
  double rel = sqrt(num / (den > 0 ? den : 1));
  ck_assert_msg(den > 0, "all gradients are zero");
  ck_assert_msg(rel < 2e-2, "relative gradient error %g (worst entry %g) over %zu parameters", rel,
                worst, np);
  free(x); free(p); free(g); free(labels);
}

/* lifting clone (retain) -> relu -> group conv -> maxpool -> orientation
 * pool -> dense. */
START_TEST(gradient_cloned_lifting_retain) {
  symclone_student *s = exact_student(SYMCLONE_STUDENT_LIFTING, 8, 0.2f);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 2, 1, 8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MEAN), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 3, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_layer_kind(net, 0), SYMCLONE_LAYER_CLONED);
  size_t off, cnt, tr;
  ck_assert_int_eq(symclone_net_layer_params(net, 0, &off, &cnt, &tr), SYMCLONE_OK);
  ck_assert_uint_eq(off, 0);
  ck_assert_uint_eq(tr, 2 * 2 * 9 + 2);
  ck_assert_uint_eq(cnt, tr + symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL));
  ck_assert_uint_eq(symclone_net_trainable_count(net), symclone_net_param_count(net) - (cnt - tr));
  check_gradient(net, 4, 3);
  symclone_net_free(net);
  symclone_student_free(s);
}
END_TEST

/* lifting -> group clone (break, beta > 0, moved away from its cloned
 * values so the penalty is active) -> relu -> global avg pool -> dense. */
START_TEST(gradient_cloned_group_break_penalty) {
  symclone_student *s = exact_student(SYMCLONE_STUDENT_GROUP, 5, 0.2f);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_lifting(net, 4, 2, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_BREAK, 0.5), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_global_avgpool(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 3, 1), SYMCLONE_OK);
  ck_assert_uint_eq(symclone_net_trainable_count(net), symclone_net_param_count(net));
  size_t np = symclone_net_param_count(net), off, cnt;
  ck_assert_int_eq(symclone_net_layer_params(net, 1, &off, &cnt, NULL), SYMCLONE_OK);
  float *p = malloc(np * sizeof *p);
  ck_assert_int_eq(symclone_net_get_params(net, p, np), SYMCLONE_OK);
  unsigned st = 77;
  for (size_t j = off + 2 * 2 * 36 + 2; j < off + cnt; j++) p[j] += 0.1f * (urand(&st) - 0.5f);
  ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
  check_gradient(net, 3, 4);
  free(p);
  symclone_net_free(net);
  symclone_student_free(s);
}
END_TEST

/* dihedral lifting (D2) -> dihedral group clone (break, beta > 0, moved
 * away from its cloned values) -> relu -> max over the 4 orientations ->
 * dense; then the same with a cloned dihedral lifting layer (retain) in
 * front. */
START_TEST(gradient_cloned_dihedral_break) {
  symclone_student *s = exact_student_n(SYMCLONE_STUDENT_DIHEDRAL_GROUP, 2, 5, 0.2f);
  symclone_student *l = exact_student_n(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 2, 7, 0.2f);
  for (int k = 0; k < 2; k++) {
    symclone_net *net;
    ck_assert_int_eq(symclone_net_create(&net, 1, 1, 7, 7), SYMCLONE_OK);
    ck_assert_int_eq(k ? symclone_net_add_cloned(net, l, 2, SYMCLONE_CLONE_RETAIN, 0)
                       : symclone_net_add_dihedral_lifting(net, 2, 2, 3, SYMCLONE_PADDING_VALID, 1),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_BREAK, 0.5), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_dense(net, 3, 1), SYMCLONE_OK);
    size_t np = symclone_net_param_count(net), off, cnt, tr;
    ck_assert_int_eq(symclone_net_layer_params(net, 1, &off, &cnt, &tr), SYMCLONE_OK);
    ck_assert_uint_eq(tr, cnt);
    ck_assert_uint_eq(cnt, 2 * 2 * 36 + 2 +
                               symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL));
    float *p = malloc(np * sizeof *p);
    ck_assert_int_eq(symclone_net_get_params(net, p, np), SYMCLONE_OK);
    unsigned st = 78;
    for (size_t j = off + 2 * 2 * 36 + 2; j < off + cnt; j++) p[j] += 0.1f * (urand(&st) - 0.5f);
    ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
    check_gradient(net, 3, 6 + (unsigned)k);
    free(p);
    symclone_net_free(net);
  }
  symclone_student_free(s);
  symclone_student_free(l);
}
END_TEST

/* symclone_trainer_clone_stack on a p4m stack (D4 lifting - ReLU - D4
 * group convolution) gives D4 students; built into a network in break
 * mode with the teacher's thetas they reproduce the teacher stack, and the
 * network trains every parameter. */
START_TEST(clone_stack_p4m_into_break_network) {
  symclone_layer *l[3];
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l[0], 4, 1, 2, 3, 8, 8,
                                                          SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_relu(&l[1], 2, 8, 6, 6), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l[2], 4, 2, 2, 3, 6, 6,
                                                             SYMCLONE_PADDING_ZERO, 1),
                   SYMCLONE_OK);
  symclone_net *teacher;
  ck_assert_int_eq(symclone_net_create(&teacher, 1, 1, 8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_lifting(teacher, 4, 2, 3, SYMCLONE_PADDING_VALID, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(teacher), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_group_conv(teacher, 2, 3, SYMCLONE_PADDING_ZERO, 1),
                   SYMCLONE_OK);
  size_t nt = symclone_net_param_count(teacher);
  float *pt = random_floats(nt, 31);
  ck_assert_int_eq(symclone_net_set_params(teacher, pt, nt), SYMCLONE_OK);
  size_t o2;
  ck_assert_int_eq(symclone_net_layer_params(teacher, 2, &o2, NULL, NULL), SYMCLONE_OK);
  const float *params[3] = {pt, NULL, pt + o2};

  symclone_student *tmpl_s, *st[3];
  ck_assert_int_eq(symclone_student_create(&tmpl_s, SYMCLONE_STUDENT_PLANAR, 1, 3, 6, 6,
                                           SYMCLONE_PADDING_VALID, 9, 1),
                   SYMCLONE_OK);
  symclone_trainer *tmpl;
  ck_assert_int_eq(symclone_trainer_create(&tmpl, tmpl_s), SYMCLONE_OK);
  ck_assert_int_eq(
      symclone_trainer_set(tmpl, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT),
      SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tmpl, SYMCLONE_TRAINER_MAX_STEPS, 600), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_clone_stack(tmpl, (const symclone_layer *const *)l, params, 3,
                                                NULL, 0, 9, st),
                   SYMCLONE_OK);
  ck_assert_ptr_null(st[1]);
  ck_assert_int_eq(symclone_student_kind_of(st[0]), SYMCLONE_STUDENT_DIHEDRAL_LIFTING);
  ck_assert_int_eq(symclone_student_kind_of(st[2]), SYMCLONE_STUDENT_DIHEDRAL_GROUP);
  ck_assert_int_eq(symclone_student_orientations(st[2]), 4);
  ck_assert_uint_eq(symclone_student_input_size(st[2]), 8u * 36);

  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, st[0], 2, SYMCLONE_CLONE_BREAK, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, st[2], 2, SYMCLONE_CLONE_BREAK, 0), SYMCLONE_OK);
  ck_assert_uint_eq(symclone_net_trainable_count(net), symclone_net_param_count(net));
  size_t nn = symclone_net_param_count(net);
  float *pn = malloc(nn * sizeof *pn);
  ck_assert_int_eq(symclone_net_get_params(net, pn, nn), SYMCLONE_OK);
  for (int k = 0; k < 3; k += 2) {
    size_t on, ot, ct;
    ck_assert_int_eq(symclone_net_layer_params(net, k, &on, NULL, NULL), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_layer_params(teacher, k, &ot, &ct, NULL), SYMCLONE_OK);
    memcpy(pn + on, pt + ot, ct * sizeof *pn);
  }
  ck_assert_int_eq(symclone_net_set_params(net, pn, nn), SYMCLONE_OK);
  size_t batch = 2, no = symclone_net_output_size(net);
  ck_assert_uint_eq(no, symclone_net_output_size(teacher));
  float *x = random_floats(batch * 64, 33);
  float *yn = malloc(batch * no * sizeof *yn), *yt = malloc(batch * no * sizeof *yt);
  ck_assert_int_eq(symclone_net_forward(net, batch, x, yn), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(teacher, batch, x, yt), SYMCLONE_OK);
  double num = 0, den = 0;
  for (size_t j = 0; j < batch * no; j++)
    num += (yn[j] - yt[j]) * (double)(yn[j] - yt[j]), den += yt[j] * (double)yt[j];
  ck_assert_msg(sqrt(num / den) < 1e-2, "the cloned p4m stack is %g away from its teacher",
                sqrt(num / den));
  free(pn); free(pt); free(x); free(yn); free(yt);
  for (int i = 0; i < 3; i++) symclone_student_free(st[i]), symclone_layer_free(l[i]);
  symclone_trainer_free(tmpl);
  symclone_student_free(tmpl_s);
  symclone_net_free(net);
  symclone_net_free(teacher);
}
END_TEST

/* planar clone (break, beta 0) -> relu -> conv2d -> maxpool -> dense. */
START_TEST(gradient_cloned_planar_break_and_conv) {
  symclone_student *s = exact_student(SYMCLONE_STUDENT_PLANAR, 8, 0.2f);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 2, 1, 8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 3, SYMCLONE_CLONE_BREAK, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_conv2d(net, 2, 3, SYMCLONE_PADDING_ZERO, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 4, 1), SYMCLONE_OK);
  check_gradient(net, 3, 5);
  symclone_net_free(net);
  symclone_student_free(s);
}
END_TEST

/* Synthetic digit-like data: class c is a fixed random stroke pattern on a
 * 12x12 grid, shifted by up to one pixel, with noise. */
static void make_data(size_t n, unsigned seed, float *x, int *labels) {
  static float proto[10][144];
  unsigned ps = 1234;
  for (int c = 0; c < 10; c++) {
    memset(proto[c], 0, sizeof proto[c]);
    for (int stroke = 0; stroke < 3; stroke++) {
      int y = 2 + (int)(urand(&ps) * 8), xx = 2 + (int)(urand(&ps) * 8);
      int dy = (int)(urand(&ps) * 3) - 1, dx = (int)(urand(&ps) * 3) - 1;
      if (!dy && !dx) dx = 1;
      for (int t = 0; t < 6; t++, y += dy, xx += dx)
        if (y >= 0 && y < 12 && xx >= 0 && xx < 12) proto[c][y * 12 + xx] = 1.0f;
    }
  }
  for (size_t i = 0; i < n; i++) {
    int c = (int)(urand(&seed) * 10) % 10;
    int sy = (int)(urand(&seed) * 3) - 1, sx = (int)(urand(&seed) * 3) - 1;
    labels[i] = c;
    for (int y = 0; y < 12; y++)
      for (int xx = 0; xx < 12; xx++) {
        int py = y - sy, px = xx - sx;
        float v = (py >= 0 && py < 12 && px >= 0 && px < 12) ? proto[c][py * 12 + px] : 0.0f;
        x[i * 144 + (size_t)y * 12 + xx] = v + 0.3f * (urand(&seed) - 0.5f);
      }
  }
}

static int progress_calls;
static int count_progress(void *user, int epoch, int epochs, long long batch, long long batches,
                          double loss, double acc, double seconds, double eta) {
  (void)user; (void)batch; (void)batches; (void)seconds;
  ck_assert_int_le(epoch, epochs);
  ck_assert(isfinite(loss) && acc >= 0 && acc <= 1 && eta >= 0);
  progress_calls++;
  return 0;
}

/* A cloned CNN trained for a few epochs on 400 synthetic digits beats
 * chance (0.1) by a wide margin on 200 others; retain keeps the cloned
 * parameters bit for bit, break moves them. */
static void train_cloned(symclone_clone_mode mode) {
  size_t ntr = 400, nte = 200;
  float *x = malloc((ntr + nte) * 144 * sizeof *x);
  int *y = malloc((ntr + nte) * sizeof *y);
  make_data(ntr + nte, 99, x, y);
  symclone_student *s = exact_student(SYMCLONE_STUDENT_PLANAR, 12, 0.05f);
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 12, 12), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_SEED, 3), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 6, mode, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 10, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_EPOCHS, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, 3e-3), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, 32), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set_progress(net, count_progress, NULL), SYMCLONE_OK);
  size_t np = symclone_net_param_count(net), off, cnt, tr;
  ck_assert_int_eq(symclone_net_layer_params(net, 0, &off, &cnt, &tr), SYMCLONE_OK);
  float *before = malloc(np * sizeof *before), *after = malloc(np * sizeof *after);
  ck_assert_int_eq(symclone_net_get_params(net, before, np), SYMCLONE_OK);
  double acc0, acc;
  ck_assert_int_eq(symclone_net_evaluate(net, x + ntr * 144, y + ntr, nte, &acc0, NULL, NULL),
                   SYMCLONE_OK);
  progress_calls = 0;
  ck_assert_int_eq(symclone_net_train(net, x, y, ntr), SYMCLONE_OK);
  ck_assert_int_eq(progress_calls, 8);
  ck_assert_int_eq(symclone_net_epochs_done(net), 8);
  long long conf[100];
  double loss;
  ck_assert_int_eq(symclone_net_evaluate(net, x + ntr * 144, y + ntr, nte, &acc, &loss, conf),
                   SYMCLONE_OK);
  long long total = 0, diag = 0;
  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 10; j++) total += conf[i * 10 + j], diag += i == j ? conf[i * 10 + j] : 0;
  ck_assert_int_eq(total, (long long)nte);
  ck_assert_double_eq_tol((double)diag / (double)nte, acc, 1e-12);
  ck_assert_msg(acc > 0.6, "mode %d: test accuracy %g (before training %g)", mode, acc, acc0);
  ck_assert_int_eq(symclone_net_get_params(net, after, np), SYMCLONE_OK);
  size_t own = 6 * 9 + 6; /* theta and bias come first, then the student's parameters */
  int same = memcmp(before + off + own, after + off + own, (cnt - own) * sizeof(float)) == 0;
  if (mode == SYMCLONE_CLONE_RETAIN) {
    ck_assert_uint_eq(tr, 6 * 9 + 6);
    ck_assert_msg(same, "retain changed the cloned parameters");
  } else {
    ck_assert_uint_eq(tr, cnt);
    ck_assert_msg(!same, "break left the cloned parameters unchanged");
  }
  ck_assert(memcmp(before + off, after + off, own * sizeof(float)) != 0);
  free(before); free(after); free(x); free(y);
  symclone_net_free(net);
  symclone_student_free(s);
}

START_TEST(training_retain_beats_chance_and_keeps_clone) { train_cloned(SYMCLONE_CLONE_RETAIN); }
END_TEST
START_TEST(training_break_beats_chance_and_moves_clone) { train_cloned(SYMCLONE_CLONE_BREAK); }
END_TEST

/* A cloned lifting layer (retain) and a cloned group convolution (break,
 * with penalty beta), both of 3 channels, then ReLU, [a teacher group
 * convolution and max-pooling,] global average pooling and a dense layer
 * of 10: a network on 12x12 inputs that forms every gradient a cloned
 * layer has.  Batches of 16. */
static symclone_net *two_clone_net(symclone_student *lift, symclone_student *grp, double seed,
                                   double beta, int with_conv, double lr) {
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 12, 12), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_SEED, seed), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, lift, 3, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, grp, 3, SYMCLONE_CLONE_BREAK, beta), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  if (with_conv) {
    ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_ZERO, 1),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);
  }
  ck_assert_int_eq(symclone_net_add_global_avgpool(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 10, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, 16), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, lr), SYMCLONE_OK);
  return net;
}

/* The network's own threads (SYMCLONE_NET_THREADS) do not change a bit:
 * a cloned lifting layer (retain) then a cloned group convolution (break,
 * so that dV, dX and the blocks' gradient are formed) and a teacher group
 * convolution (its filters' gradient summed over the samples), trained for
 * two epochs with 1, 2 and 3 threads, give the same parameters, gradient
 * and outputs. */
START_TEST(threads_give_the_same_bits) {
  size_t n = 96;
  float *x = malloc(n * 144 * sizeof *x);
  int *y = malloc(n * sizeof *y);
  make_data(n, 5, x, y);
  symclone_student *lift = exact_student(SYMCLONE_STUDENT_LIFTING, 12, 0.05f);
  symclone_student *grp = exact_student(SYMCLONE_STUDENT_GROUP, 10, 0.05f);
  float *ref[3] = {NULL, NULL, NULL};
  size_t np = 0, nout = 0;
  for (int threads = 1; threads <= 3; threads++) {
    symclone_net *net = two_clone_net(lift, grp, 9, 0.1, 1, 3e-3);
    ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_THREADS, threads), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_EPOCHS, 2), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_train(net, x, y, n), SYMCLONE_OK);
    /* a change of the setting restarts the pool (and remakes the scratch) */
    if (threads == 2) ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_THREADS, 3), SYMCLONE_OK);
    np = symclone_net_param_count(net);
    nout = n * symclone_net_output_size(net);
    float *got = malloc((2 * np + nout) * sizeof *got);
    ck_assert_int_eq(symclone_net_get_params(net, got, np), SYMCLONE_OK);
    double loss;
    ck_assert_int_eq(symclone_net_gradient(net, 24, x, y, &loss, got + np), SYMCLONE_OK);
    ck_assert_int_eq(symclone_net_forward(net, n, x, got + 2 * np), SYMCLONE_OK);
    ref[threads - 1] = got;
    symclone_net_free(net);
  }
  for (int t = 1; t < 3; t++)
    ck_assert_msg(memcmp(ref[0], ref[t], (2 * np + nout) * sizeof(float)) == 0,
                  "%d threads differ from 1", t + 1);
  /* the comparison is not of nothing: the gradient and the outputs are not zero */
  size_t nonzero = 0;
  for (size_t j = np; j < 2 * np + nout; j++) nonzero += ref[0][j] != 0.0f;
  ck_assert_uint_gt(nonzero, (np + nout) / 2);
  for (int t = 0; t < 3; t++) free(ref[t]);
  free(x);
  free(y);
  symclone_student_free(lift);
  symclone_student_free(grp);
}
END_TEST

/* The transposed blocks a cloned layer keeps for its product follow the
 * blocks: after training in break mode and after set_params, the outputs
 * are those of a network built afresh with the same parameters (batches of
 * 16 samples of 3 channels and 4 orientations: 192 rows, the product
 * kernel's path). */
START_TEST(cloned_transpose_follows_the_blocks) {
  size_t n = 64;
  float *x = malloc(n * 144 * sizeof *x);
  int *y = malloc(n * sizeof *y);
  make_data(n, 21, x, y);
  symclone_student *lift = exact_student(SYMCLONE_STUDENT_LIFTING, 12, 0.05f);
  symclone_student *grp = exact_student(SYMCLONE_STUDENT_GROUP, 10, 0.05f);
  symclone_net *a = two_clone_net(lift, grp, 4, 0, 0, 1e-2);
  size_t np = symclone_net_param_count(a), no = n * symclone_net_output_size(a);
  float *p = malloc(np * sizeof *p), *ya = malloc(no * sizeof *ya), *yb = malloc(no * sizeof *yb);
  float *y0 = malloc(no * sizeof *y0);
  ck_assert_int_eq(symclone_net_forward(a, n, x, y0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_train(a, x, y, n), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(a, n, x, ya), SYMCLONE_OK);
  ck_assert(memcmp(y0, ya, no * sizeof *ya) != 0);
  ck_assert_int_eq(symclone_net_get_params(a, p, np), SYMCLONE_OK);
  symclone_net *b = two_clone_net(lift, grp, 4, 0, 0, 1e-2);
  ck_assert_int_eq(symclone_net_set_params(b, p, np), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(b, n, x, yb), SYMCLONE_OK);
  ck_assert_msg(memcmp(ya, yb, no * sizeof *ya) == 0, "after training in break mode");
  /* new blocks for both cloned layers through set_params */
  size_t off, cnt;
  for (int layer = 0; layer <= 2; layer += 2) {
    ck_assert_int_eq(symclone_net_layer_params(a, layer, &off, &cnt, NULL), SYMCLONE_OK);
    for (size_t j = off + cnt / 2; j < off + cnt; j++) p[j] *= 0.5f;
  }
  ck_assert_int_eq(symclone_net_set_params(a, p, np), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(a, n, x, ya), SYMCLONE_OK);
  symclone_net_free(b);
  b = two_clone_net(lift, grp, 4, 0, 0, 1e-2);
  ck_assert_int_eq(symclone_net_set_params(b, p, np), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_forward(b, n, x, yb), SYMCLONE_OK);
  ck_assert_msg(memcmp(ya, yb, no * sizeof *ya) == 0, "after set_params");
  symclone_net_free(a);
  symclone_net_free(b);
  symclone_student_free(lift);
  symclone_student_free(grp);
  free(x), free(y), free(p), free(ya), free(yb), free(y0);
}
END_TEST

static int cancel_at_once(void *user, int epoch, int epochs, long long batch, long long batches,
                          double loss, double acc, double seconds, double eta) {
  (void)user; (void)epoch; (void)epochs; (void)batch; (void)batches; (void)loss; (void)acc;
  (void)seconds; (void)eta;
  return 1;
}

START_TEST(bad_input_returns_documented_codes) {
  symclone_net *net = NULL;
  ck_assert_int_eq(symclone_net_create(NULL, 1, 1, 8, 8), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_create(&net, 0, 1, 8, 8), SYMCLONE_ERR_SIZE);
  ck_assert_ptr_null(net);
  ck_assert_int_eq(symclone_net_create(&net, 65536, 65536, 8, 8), SYMCLONE_ERR_OVERFLOW);
  ck_assert_ptr_null(net);
  symclone_net_free(NULL);
  ck_assert_int_eq(symclone_net_add_relu(NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 8, 8), SYMCLONE_OK);
  float x[2 * 64] = {0}, y[20];
  int labels[2] = {0, 1};
  /* no layer yet */
  ck_assert_int_eq(symclone_net_forward(net, 1, x, y), SYMCLONE_ERR_STATE);
  ck_assert_int_eq(symclone_net_train(net, x, labels, 2), SYMCLONE_ERR_STATE);
  /* shape mismatches */
  ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_conv2d(net, 2, 4, SYMCLONE_PADDING_VALID, 1), SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_net_add_conv2d(net, 0, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_ERR_SIZE);
  symclone_layer *wrong;
  ck_assert_int_eq(symclone_layer_create_conv2d(&wrong, 1, 2, 3, 9, 9, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_layer(net, wrong), SYMCLONE_ERR_SHAPE);
  ck_assert_str_ne(symclone_net_last_error(net), "");
  symclone_layer_free(wrong); /* still ours after a failure */
  ck_assert_int_eq(symclone_net_add_layer(net, NULL), SYMCLONE_ERR_NULL);
  symclone_student *s = exact_student(SYMCLONE_STUDENT_LIFTING, 6, 0);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_cloned(net, NULL, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_ERR_NULL);
  symclone_student_free(s);
  s = exact_student(SYMCLONE_STUDENT_LIFTING, 8, 0);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 0, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, (symclone_clone_mode)7, 0), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_BREAK, -1), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_BREAK, NAN), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_layer_count(net), 0);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_BREAK, 0.1), SYMCLONE_OK);
  symclone_student_free(s); /* the network has its own copy */
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);   /* 6x6 -> 3x3 */
  ck_assert_int_eq(symclone_net_add_lifting(net, 4, 2, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);   /* 3x3 -> 1x1 */
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_net_add_dense(net, 10, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_layer_count(net), 5);
  ck_assert_int_eq(symclone_net_layer_kind(net, 5), 0);
  ck_assert_int_eq(symclone_net_layer_kind(net, 1), SYMCLONE_LAYER_MAXPOOL2);
  ck_assert_int_eq(symclone_net_layer_params(net, 5, NULL, NULL, NULL), SYMCLONE_ERR_ARG);
  /* computing */
  ck_assert_int_eq(symclone_net_forward(net, 0, x, y), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_net_forward(net, 1, NULL, y), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_forward(net, 1, x, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_forward(net, 2, x, y), SYMCLONE_OK);
  labels[1] = 10;
  ck_assert_int_eq(symclone_net_train(net, x, labels, 2), SYMCLONE_ERR_DATA);
  ck_assert_int_eq(symclone_net_gradient(net, 2, x, labels, NULL, NULL), SYMCLONE_ERR_DATA);
  ck_assert_int_eq(symclone_net_evaluate(net, x, labels, 2, NULL, NULL, NULL), SYMCLONE_ERR_DATA);
  labels[1] = -1;
  ck_assert_int_eq(symclone_net_train(net, x, labels, 2), SYMCLONE_ERR_DATA);
  labels[1] = 1;
  ck_assert_int_eq(symclone_net_train(net, x, NULL, 2), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_train(net, x, labels, 0), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_net_set_progress(net, cancel_at_once, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_train(net, x, labels, 2), SYMCLONE_ERR_CANCELLED);
  ck_assert_int_eq(symclone_net_epochs_done(net), 1);
  /* parameters */
  size_t np = symclone_net_param_count(net);
  float *p = malloc(np * sizeof *p);
  ck_assert_int_eq(symclone_net_get_params(net, p, np - 1), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_net_get_params(net, NULL, np), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_set_params(net, p, np + 1), SYMCLONE_ERR_SIZE);
  free(p);
  ck_assert_uint_eq(symclone_net_param_count(NULL), 0);
  /* settings */
  double v, lo, hi, def;
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_LEARNING_RATE, 0), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_LR_DECAY, 1.5), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_BATCH_SIZE, 2.5), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_BETA1, 1), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_NET_EPOCHS, INFINITY), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_net_set(net, (symclone_setting)99, 1), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_set(net, (symclone_setting)112, 1), SYMCLONE_ERR_ARG);
  /* a trainer's key is refused, and the message names it and its object */
  ck_assert_int_eq(symclone_net_set(net, SYMCLONE_TRAINER_LEARNING_RATE, 1e-3), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_net_last_error(net), "learning_rate"));
  ck_assert_ptr_nonnull(strstr(symclone_net_last_error(net), "trainer"));
  ck_assert_int_eq(symclone_net_get(net, SYMCLONE_TRAINER_SEED, &v), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_get(net, SYMCLONE_NET_LR_DECAY, &v), SYMCLONE_OK);
  ck_assert_double_eq(v, 0.95);
  ck_assert_int_eq(symclone_net_get(net, SYMCLONE_NET_LR_DECAY, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_NET_BATCH_SIZE, &lo, &hi, &def), SYMCLONE_OK);
  ck_assert(lo == 1 && hi == 65536 && def == 64);
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_NET_LEARNING_RATE, &lo, &hi, &def), SYMCLONE_OK);
  ck_assert(lo == 0 && hi == 10 && def == 1e-3);
  ck_assert_int_eq(symclone_setting_bounds((symclone_setting)100, NULL, NULL, NULL), SYMCLONE_ERR_ARG);
  ck_assert_str_eq(symclone_setting_name(SYMCLONE_NET_LEARNING_RATE), "learning_rate");
  ck_assert_ptr_null(symclone_setting_name((symclone_setting)142));
  symclone_net_free(net);
}
END_TEST

static Suite *net_suite(void) {
  Suite *s = suite_create("net");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, cloned_exact_lifting_equals_teacher);
  tcase_add_test(tc, cloned_layer_fields_know_their_group);
  tcase_add_test(tc, gradient_cloned_lifting_retain);
  tcase_add_test(tc, gradient_cloned_group_break_penalty);
  tcase_add_test(tc, gradient_cloned_planar_break_and_conv);
  tcase_add_test(tc, cloned_group_student_needs_its_group);
  tcase_add_test(tc, cloned_exact_p4m_equals_teacher_and_is_invariant);
  tcase_add_test(tc, gradient_cloned_dihedral_break);
  tcase_add_test(tc, clone_stack_p4m_into_break_network);
  tcase_add_test(tc, training_retain_beats_chance_and_keeps_clone);
  tcase_add_test(tc, training_break_beats_chance_and_moves_clone);
  tcase_add_test(tc, bad_input_returns_documented_codes);
  tcase_add_test(tc, threads_give_the_same_bits);
  tcase_add_test(tc, cloned_transpose_follows_the_blocks);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(net_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
