/* Groups: the axioms of T2, Cn and Dn, and how elements act on planar and
 * group fields, checked against independent formulas (shifts, numpy's rot90
 * and fliplr, 2x2 matrices of the dihedral elements, an analytically
 * rotated Gaussian). */
#include <limits.h>

#include "testutil.h"

static symclone_group *make_t2(int h, int w) {
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_t2(&g, h, w));
  ck_assert_ptr_nonnull(g);
  return g;
}

static symclone_group *make_cyclic(int n) {
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_cyclic(&g, n));
  ck_assert_ptr_nonnull(g);
  return g;
}

static symclone_group *make_dihedral(int n) {
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_dihedral(&g, n));
  ck_assert_ptr_nonnull(g);
  return g;
}

static int compose(const symclone_group *g, int a, int b) {
  int out = -12345;
  TU_OK_GROUP(g, symclone_group_compose(g, a, b, &out));
  return out;
}

static int inverse(const symclone_group *g, int a) {
  int out = -12345;
  TU_OK_GROUP(g, symclone_group_inverse(g, a, &out));
  return out;
}

/* Identity, closure, associativity over all triples, two-sided inverses. */
static void check_axioms(const symclone_group *g) {
  int n = symclone_group_order(g);
  int e = symclone_group_identity(g);
  ck_assert_int_ge(n, 1);
  ck_assert_int_eq(e, 0);
  for (int a = 0; a < n; a++) {
    ck_assert_int_eq(compose(g, e, a), a);
    ck_assert_int_eq(compose(g, a, e), a);
    int ai = inverse(g, a);
    ck_assert_int_ge(ai, 0);
    ck_assert_int_lt(ai, n);
    ck_assert_int_eq(compose(g, a, ai), e);
    ck_assert_int_eq(compose(g, ai, a), e);
    ck_assert_int_eq(inverse(g, ai), a);
  }
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++) {
      int ab = compose(g, a, b);
      ck_assert_int_ge(ab, 0);
      ck_assert_int_lt(ab, n);
      for (int c = 0; c < n; c++)
        ck_assert_int_eq(compose(g, ab, c), compose(g, a, compose(g, b, c)));
    }
  /* each row of the multiplication table is a permutation (Latin square) */
  char *seen = calloc((size_t)n, 1);
  ck_assert_ptr_nonnull(seen);
  for (int a = 0; a < n; a++) {
    memset(seen, 0, (size_t)n);
    for (int b = 0; b < n; b++) seen[compose(g, a, b)]++;
    for (int c = 0; c < n; c++) ck_assert_int_eq(seen[c], 1);
  }
  free(seen);
}

static const int t2_sizes[][2] = {{3, 4}, {5, 5}, {1, 6}, {2, 1}};

START_TEST(t2_satisfies_group_axioms_and_adds_shifts_mod_torus) {
  int h = t2_sizes[_i][0], w = t2_sizes[_i][1];
  symclone_group *g = make_t2(h, w);
  ck_assert_int_eq(symclone_group_kind_of(g), SYMCLONE_GROUP_T2);
  ck_assert_int_eq(symclone_group_order(g), h * w);
  ck_assert_int_eq(symclone_group_is_exact(g), 1);
  check_axioms(g);
  /* composition is addition of shifts modulo (h, w) */
  for (int a = 0; a < h * w; a++)
    for (int b = 0; b < h * w; b++) {
      int ay = -1, ax = -1, by = -1, bx = -1, cy = -1, cx = -1;
      TU_OK_GROUP(g, symclone_group_t2_shift(g, a, &ay, &ax));
      TU_OK_GROUP(g, symclone_group_t2_shift(g, b, &by, &bx));
      TU_OK_GROUP(g, symclone_group_t2_shift(g, compose(g, a, b), &cy, &cx));
      ck_assert_int_eq(cy, (ay + by) % h);
      ck_assert_int_eq(cx, (ax + bx) % w);
    }
  symclone_group_free(g);
}
END_TEST

START_TEST(t2_element_and_shift_round_trip_with_any_integers) {
  symclone_group *g = make_t2(3, 4);
  for (int dy = -7; dy <= 7; dy++)
    for (int dx = -9; dx <= 9; dx++) {
      int e = -1, sy = -1, sx = -1;
      TU_OK_GROUP(g, symclone_group_t2_element(g, dy, dx, &e));
      ck_assert_int_eq(e, (((dy % 3) + 3) % 3) * 4 + ((dx % 4) + 4) % 4);
      TU_OK_GROUP(g, symclone_group_t2_shift(g, e, &sy, &sx));
      ck_assert_int_eq(sy, ((dy % 3) + 3) % 3);
      ck_assert_int_eq(sx, ((dx % 4) + 4) % 4);
    }
  /* either output pointer may be NULL */
  int sy = -1, sx = -1;
  TU_OK_GROUP(g, symclone_group_t2_shift(g, 7, &sy, NULL));
  TU_OK_GROUP(g, symclone_group_t2_shift(g, 7, NULL, &sx));
  ck_assert_int_eq(sy, 1);
  ck_assert_int_eq(sx, 3);
  symclone_group_free(g);
}
END_TEST

static const int cyclic_orders[] = {1, 2, 3, 4, 8, 6};

START_TEST(cyclic_satisfies_group_axioms_and_adds_angles_mod_n) {
  int n = cyclic_orders[_i];
  symclone_group *g = make_cyclic(n);
  ck_assert_int_eq(symclone_group_kind_of(g), SYMCLONE_GROUP_CYCLIC);
  ck_assert_int_eq(symclone_group_order(g), n);
  ck_assert_int_eq(symclone_group_is_exact(g), (n == 1 || n == 2 || n == 4) ? 1 : 0);
  check_axioms(g);
  for (int a = 0; a < n; a++) {
    ck_assert_int_eq(inverse(g, a), (n - a) % n);
    for (int b = 0; b < n; b++) ck_assert_int_eq(compose(g, a, b), (a + b) % n);
  }
  symclone_group_free(g);
}
END_TEST

/* ---- Dn, checked against its faithful representation by 2x2 matrices ---- */

/* The plane map of element e = m*n + r of Dn in (u, v) coordinates (u to
 * the right, v up): mirror u -> -u if m, then rotate counter-clockwise by
 * 2*pi*r/n.  mat = {a, b, c, d} for (u, v) -> (a u + b v, c u + d v). */
static void dihedral_matrix(int n, int e, double mat[4]) {
  int m = e / n, r = e % n;
  double t = 6.283185307179586 * r / n, c = cos(t), s = sin(t);
  double f = m ? -1.0 : 1.0;
  mat[0] = c * f;
  mat[1] = -s;
  mat[2] = s * f;
  mat[3] = c;
}

static int same_matrix(const double a[4], const double b[4]) {
  for (int k = 0; k < 4; k++)
    if (fabs(a[k] - b[k]) > 1e-9) return 0;
  return 1;
}

/* The element of Dn whose matrix is a (-1 if none). */
static int dihedral_find(int n, const double a[4]) {
  int found = -1;
  for (int e = 0; e < 2 * n; e++) {
    double m[4];
    dihedral_matrix(n, e, m);
    if (same_matrix(m, a)) {
      ck_assert_msg(found < 0, "two elements of D%d share a matrix", n);
      found = e;
    }
  }
  return found;
}

static void matmul2(const double a[4], const double b[4], double out[4]) {
  out[0] = a[0] * b[0] + a[1] * b[2];
  out[1] = a[0] * b[1] + a[1] * b[3];
  out[2] = a[2] * b[0] + a[3] * b[2];
  out[3] = a[2] * b[1] + a[3] * b[3];
}

START_TEST(dihedral_satisfies_group_axioms_and_composes_like_its_matrices) {
  int n = _i + 1; /* D1 .. D8 */
  symclone_group *g = make_dihedral(n);
  ck_assert_int_eq(symclone_group_kind_of(g), SYMCLONE_GROUP_DIHEDRAL);
  ck_assert_int_eq(symclone_group_order(g), 2 * n);
  ck_assert_int_eq(symclone_group_is_exact(g), (n == 1 || n == 2 || n == 4) ? 1 : 0);
  check_axioms(g);
  for (int a = 0; a < 2 * n; a++) {
    double ma[4], mb[4], mab[4], id[4] = {1, 0, 0, 1};
    dihedral_matrix(n, a, ma);
    /* the matrices are distinct: the representation is faithful */
    ck_assert_int_eq(dihedral_find(n, ma), a);
    for (int b = 0; b < 2 * n; b++) {
      dihedral_matrix(n, b, mb);
      matmul2(ma, mb, mab);
      ck_assert_msg(compose(g, a, b) == dihedral_find(n, mab), "D%d: %d * %d = %d, matrices say %d",
                    n, a, b, compose(g, a, b), dihedral_find(n, mab));
    }
    double mi[4], prod[4];
    dihedral_matrix(n, inverse(g, a), mi);
    matmul2(ma, mi, prod);
    ck_assert(same_matrix(prod, id));
    /* rotations are 0 .. n-1, reflections n .. 2n-1 and their own inverses */
    if (a >= n) ck_assert_int_eq(inverse(g, a), a);
    ck_assert_int_eq(ma[0] * ma[3] - ma[1] * ma[2] > 0 ? 0 : 1, a / n);
  }
  /* the rotations compose as Cn */
  symclone_group *c = make_cyclic(n);
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++) ck_assert_int_eq(compose(g, a, b), compose(c, a, b));
  symclone_group_free(c);
  symclone_group_free(g);
}
END_TEST

/* act(a)(act(b) f) == act(a*b) f bit for bit, on a planar field and on a
 * group field with `orient` orientations (n for Cn). */
static void check_actions_compose_exactly(const symclone_group *g, int channels, int orient,
                                          int h, int w, const int *elems, int nelems) {
  size_t np = (size_t)channels * h * w, ng = np * orient;
  float *f = tu_normal_floats(ng, 11);
  float *t1 = tu_floats(ng), *t2 = tu_floats(ng), *t3 = tu_floats(ng);
  for (int ia = 0; ia < nelems; ia++)
    for (int ib = 0; ib < nelems; ib++) {
      int a = elems[ia], b = elems[ib], ab = compose(g, a, b);
      TU_OK_GROUP(g, symclone_group_act_planar(g, b, channels, h, w, f, t1));
      TU_OK_GROUP(g, symclone_group_act_planar(g, a, channels, h, w, t1, t2));
      TU_OK_GROUP(g, symclone_group_act_planar(g, ab, channels, h, w, f, t3));
      ck_assert_msg(tu_equal(t2, t3, np), "planar: act(%d) o act(%d) != act(%d)", a, b, ab);
      TU_OK_GROUP(g, symclone_group_act_group(g, b, channels, orient, h, w, f, t1));
      TU_OK_GROUP(g, symclone_group_act_group(g, a, channels, orient, h, w, t1, t2));
      TU_OK_GROUP(g, symclone_group_act_group(g, ab, channels, orient, h, w, f, t3));
      ck_assert_msg(tu_equal(t2, t3, ng), "group field: act(%d) o act(%d) != act(%d)", a, b, ab);
    }
  free(f);
  free(t1);
  free(t2);
  free(t3);
}

START_TEST(t2_actions_compose_like_the_group_exactly) {
  symclone_group *g = make_t2(3, 4);
  int elems[12];
  for (int i = 0; i < 12; i++) elems[i] = i;
  check_actions_compose_exactly(g, 2, 3, 3, 4, elems, 12);
  symclone_group_free(g);
  g = make_t2(5, 5);
  int e25[25];
  for (int i = 0; i < 25; i++) e25[i] = i;
  check_actions_compose_exactly(g, 1, 2, 5, 5, e25, 25);
  symclone_group_free(g);
}
END_TEST

START_TEST(c2_c4_actions_compose_like_the_group_exactly) {
  int all[4] = {0, 1, 2, 3};
  symclone_group *g = make_cyclic(2);
  check_actions_compose_exactly(g, 2, 2, 5, 7, all, 2); /* C2 on a non-square field */
  check_actions_compose_exactly(g, 2, 2, 6, 6, all, 2);
  symclone_group_free(g);
  g = make_cyclic(4);
  check_actions_compose_exactly(g, 2, 4, 5, 5, all, 4); /* odd side */
  check_actions_compose_exactly(g, 3, 4, 6, 6, all, 4); /* even side */
  symclone_group_free(g);
}
END_TEST

START_TEST(c8_quarter_turn_elements_compose_exactly) {
  int quarters[4] = {0, 2, 4, 6};
  symclone_group *g = make_cyclic(8);
  check_actions_compose_exactly(g, 2, 8, 5, 5, quarters, 4);
  check_actions_compose_exactly(g, 1, 8, 6, 6, quarters, 4);
  symclone_group_free(g);
}
END_TEST

START_TEST(identity_acts_as_identity_for_every_group) {
  symclone_group *gs[9] = {make_t2(4, 6),    make_cyclic(1),    make_cyclic(2),
                           make_cyclic(3),    make_cyclic(4),    make_cyclic(8),
                           make_dihedral(1), make_dihedral(3), make_dihedral(4)};
  for (int j = 0; j < 9; j++) {
    symclone_group *g = gs[j];
    int n = symclone_group_kind_of(g) == SYMCLONE_GROUP_T2 ? 3 : symclone_group_order(g);
    size_t np = 2 * 4 * 6, ng = np * n;
    float *f = tu_normal_floats(ng, 5 + j), *o = tu_floats(ng);
    TU_OK_GROUP(g, symclone_group_act_planar(g, symclone_group_identity(g), 2, 4, 6, f, o));
    ck_assert(tu_equal(o, f, np));
    TU_OK_GROUP(g, symclone_group_act_group(g, symclone_group_identity(g), 2, n, 4, 6, f, o));
    ck_assert(tu_equal(o, f, ng));
    free(f);
    free(o);
    symclone_group_free(g);
  }
}
END_TEST

START_TEST(c4_quarter_turn_is_numpy_rot90) {
  symclone_group *g = make_cyclic(4);
  /* a literal example: np.rot90([[1,2,3],[4,5,6],[7,8,9]]) */
  const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float want[9] = {3, 6, 9, 2, 5, 8, 1, 4, 7};
  float out[9];
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, 3, 3, in, out));
  ck_assert(tu_equal(out, want, 9));
  /* np.rot90(..., 2) and np.rot90(..., 3) */
  const float want2[9] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
  const float want3[9] = {7, 4, 1, 8, 5, 2, 9, 6, 3};
  TU_OK_GROUP(g, symclone_group_act_planar(g, 2, 1, 3, 3, in, out));
  ck_assert(tu_equal(out, want2, 9));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 3, 1, 3, 3, in, out));
  ck_assert(tu_equal(out, want3, 9));
  /* every element on random square fields of odd and even side, each
   * channel separately, against out[y][x] = in[x][n-1-y] repeated */
  for (int side = 4; side <= 7; side++) {
    size_t nn = (size_t)side * side;
    float *f = tu_normal_floats(3 * nn, (uint64_t)side), *o = tu_floats(3 * nn);
    float *ref = tu_floats(3 * nn);
    for (int r = 0; r < 4; r++) {
      TU_OK_GROUP(g, symclone_group_act_planar(g, r, 3, side, side, f, o));
      for (int c = 0; c < 3; c++) tu_rotq(f + c * nn, ref + c * nn, side, r);
      ck_assert_msg(tu_equal(o, ref, 3 * nn), "r=%d side=%d", r, side);
    }
    free(f);
    free(o);
    free(ref);
  }
  symclone_group_free(g);
}
END_TEST

START_TEST(c2_and_c8_half_turn_reverse_rows_and_columns_on_any_field) {
  symclone_group *g2 = make_cyclic(2), *g8 = make_cyclic(8);
  int h = 4, w = 7;
  float *f = tu_normal_floats(2 * h * w, 3), *o = tu_floats(2 * h * w), *o8 = tu_floats(2 * h * w);
  TU_OK_GROUP(g2, symclone_group_act_planar(g2, 1, 2, h, w, f, o));
  TU_OK_GROUP(g8, symclone_group_act_planar(g8, 4, 2, h, w, f, o8));
  for (int c = 0; c < 2; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float want = f[(c * h + (h - 1 - y)) * w + (w - 1 - x)];
        ck_assert(o[(c * h + y) * w + x] == want);
        ck_assert(o8[(c * h + y) * w + x] == want);
      }
  free(f);
  free(o);
  free(o8);
  symclone_group_free(g2);
  symclone_group_free(g8);
}
END_TEST

START_TEST(t2_action_is_the_documented_torus_shift) {
  int h = 3, w = 5, ch = 2, orient = 3;
  symclone_group *g = make_t2(h, w);
  size_t np = (size_t)ch * h * w, ng = np * orient;
  float *f = tu_normal_floats(ng, 9), *o = tu_floats(ng), *ref = tu_floats(ng);
  for (int e = 0; e < h * w; e++) {
    int dy = e / w, dx = e % w;
    TU_OK_GROUP(g, symclone_group_act_planar(g, e, ch, h, w, f, o));
    tu_shift(f, ref, (size_t)ch, h, w, dy, dx);
    ck_assert_msg(tu_equal(o, ref, np), "planar shift (%d,%d)", dy, dx);
    TU_OK_GROUP(g, symclone_group_act_group(g, e, ch, orient, h, w, f, o));
    tu_shift(f, ref, (size_t)ch * orient, h, w, dy, dx); /* every orientation alike */
    ck_assert_msg(tu_equal(o, ref, ng), "group field shift (%d,%d)", dy, dx);
  }
  free(f);
  free(o);
  free(ref);
  symclone_group_free(g);
}
END_TEST

START_TEST(cyclic_group_field_action_rotates_and_cycles_orientations) {
  /* C4: out[c][s] = rot90^r(in[c][(s - r) mod 4]) */
  int n = 5, ch = 2;
  size_t nn = (size_t)n * n;
  symclone_group *g = make_cyclic(4);
  float *f = tu_normal_floats(ch * 4 * nn, 21), *o = tu_floats(ch * 4 * nn);
  float *ref = tu_floats(ch * 4 * nn);
  for (int r = 0; r < 4; r++) {
    TU_OK_GROUP(g, symclone_group_act_group(g, r, ch, 4, n, n, f, o));
    tu_c4_group_act(f, ref, ch, n, r);
    ck_assert_msg(tu_equal(o, ref, ch * 4 * nn), "C4 r=%d", r);
  }
  symclone_group_free(g);
  free(f);
  free(o);
  free(ref);
  /* C8, quarter-turn element r=2: one rot90, orientations shifted by 2 */
  g = make_cyclic(8);
  f = tu_normal_floats(ch * 8 * nn, 22);
  o = tu_floats(ch * 8 * nn);
  ref = tu_floats(ch * 8 * nn);
  TU_OK_GROUP(g, symclone_group_act_group(g, 2, ch, 8, n, n, f, o));
  for (int c = 0; c < ch; c++)
    for (int s = 0; s < 8; s++)
      tu_rot90(f + ((size_t)c * 8 + (s + 6) % 8) * nn, ref + ((size_t)c * 8 + s) * nn, n);
  ck_assert(tu_equal(o, ref, ch * 8 * nn));
  /* C8, r=1: orientation s of the result is the 45-degree rotation of
   * orientation s-1, i.e. the planar action applied slice by slice */
  TU_OK_GROUP(g, symclone_group_act_group(g, 1, ch, 8, n, n, f, o));
  for (int c = 0; c < ch; c++)
    for (int s = 0; s < 8; s++)
      TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, n, n, f + ((size_t)c * 8 + (s + 7) % 8) * nn,
                                               ref + ((size_t)c * 8 + s) * nn));
  ck_assert(tu_equal(o, ref, ch * 8 * nn));
  symclone_group_free(g);
  free(f);
  free(o);
  free(ref);
}
END_TEST

START_TEST(dihedral_actions_compose_like_the_group_exactly) {
  int all[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  symclone_group *g = make_dihedral(1);
  check_actions_compose_exactly(g, 2, 2, 5, 7, all, 2); /* a mirror needs no square */
  check_actions_compose_exactly(g, 2, 2, 6, 6, all, 2);
  symclone_group_free(g);
  g = make_dihedral(2);
  check_actions_compose_exactly(g, 2, 4, 5, 7, all, 4); /* half turns and mirrors */
  check_actions_compose_exactly(g, 1, 4, 4, 4, all, 4);
  symclone_group_free(g);
  g = make_dihedral(4);
  check_actions_compose_exactly(g, 2, 8, 5, 5, all, 8); /* odd side */
  check_actions_compose_exactly(g, 3, 8, 6, 6, all, 8); /* even side */
  symclone_group_free(g);
  /* D8: the quarter turns and the mirrors composed with them, a D4 */
  int exact8[8] = {0, 2, 4, 6, 8, 10, 12, 14};
  g = make_dihedral(8);
  check_actions_compose_exactly(g, 2, 16, 5, 5, exact8, 8);
  symclone_group_free(g);
}
END_TEST

/* numpy.fliplr written as a plain loop: out[y][x] = in[y][w-1-x]. */
static void fliplr_loop(const float *in, float *out, size_t planes, int h, int w) {
  for (size_t p = 0; p < planes; p++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        out[(p * h + y) * w + x] = in[(p * h + y) * w + (w - 1 - x)];
}

START_TEST(dihedral_mirror_is_numpy_fliplr) {
  /* a literal example: np.fliplr([[1,2,3],[4,5,6],[7,8,9]]) */
  symclone_group *g = make_dihedral(4);
  const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float want[9] = {3, 2, 1, 6, 5, 4, 9, 8, 7};
  float out[9];
  TU_OK_GROUP(g, symclone_group_act_planar(g, 4, 1, 3, 3, in, out));
  ck_assert(tu_equal(out, want, 9));
  /* R_1 M: rot90(fliplr(in)) */
  const float want5[9] = {1, 4, 7, 2, 5, 8, 3, 6, 9};
  TU_OK_GROUP(g, symclone_group_act_planar(g, 5, 1, 3, 3, in, out));
  ck_assert(tu_equal(out, want5, 9));
  symclone_group_free(g);
  /* element n of every Dn is the mirror, on fields of any shape */
  const int ns[5] = {1, 2, 3, 4, 8};
  const int shapes[3][2] = {{4, 7}, {5, 6}, {1, 3}};
  for (int j = 0; j < 5; j++) {
    g = make_dihedral(ns[j]);
    for (int k = 0; k < 3; k++) {
      int h = shapes[k][0], w = shapes[k][1];
      size_t np = (size_t)2 * h * w;
      float *f = tu_normal_floats(np, 40 + (uint64_t)k), *o = tu_floats(np), *ref = tu_floats(np);
      TU_OK_GROUP(g, symclone_group_act_planar(g, ns[j], 2, h, w, f, o));
      fliplr_loop(f, ref, 2, h, w);
      ck_assert_msg(tu_equal(o, ref, np), "D%d mirror on %dx%d", ns[j], h, w);
      free(f);
      free(o);
      free(ref);
    }
    symclone_group_free(g);
  }
}
END_TEST

/* Independent action on one square plane of a dihedral element that
 * mirrors m times and then turns by `quarters` quarter turns:
 * rot90^quarters(fliplr^m(in)). */
static void d_act_plane(const float *in, float *out, int side, int m, int quarters) {
  size_t nn = (size_t)side * side;
  float *t = tu_floats(nn);
  if (m)
    fliplr_loop(in, t, 1, side, side);
  else
    memcpy(t, in, nn * sizeof *t);
  tu_rotq(t, out, side, quarters);
  free(t);
}

START_TEST(dihedral_elements_are_quarter_turns_of_the_mirror_image) {
  /* D4, D2, D1: element m*n + r is rot90^(4r/n)(fliplr^m f), each channel */
  const int ns[3] = {4, 2, 1};
  for (int j = 0; j < 3; j++) {
    int n = ns[j];
    symclone_group *g = make_dihedral(n);
    for (int side = 4; side <= 7; side++) {
      size_t nn = (size_t)side * side;
      float *f = tu_normal_floats(3 * nn, (uint64_t)side), *o = tu_floats(3 * nn);
      float *ref = tu_floats(3 * nn);
      for (int e = 0; e < 2 * n; e++) {
        TU_OK_GROUP(g, symclone_group_act_planar(g, e, 3, side, side, f, o));
        for (int c = 0; c < 3; c++)
          d_act_plane(f + c * nn, ref + c * nn, side, e / n, 4 * (e % n) / n);
        ck_assert_msg(tu_equal(o, ref, 3 * nn), "D%d e=%d side=%d", n, e, side);
      }
      free(f);
      free(o);
      free(ref);
    }
    symclone_group_free(g);
  }
  /* D2's element 3, the half turn of the mirror image, is numpy's flipud on
   * any field */
  symclone_group *g = make_dihedral(2);
  int h = 3, w = 5;
  float *f = tu_normal_floats((size_t)h * w, 8), *o = tu_floats((size_t)h * w);
  TU_OK_GROUP(g, symclone_group_act_planar(g, 3, 1, h, w, f, o));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) ck_assert(o[y * w + x] == f[(h - 1 - y) * w + x]);
  free(f);
  free(o);
  symclone_group_free(g);
}
END_TEST

START_TEST(dihedral_group_field_action_permutes_orientations_by_the_group_law) {
  /* (g f)[c][s] = T_g f[c][t] with t the element whose matrix is
   * M_g^-1 M_s, T_g from rot90 and fliplr; D1, D2, D4 on 5x5, two
   * channels */
  const int ns[3] = {1, 2, 4};
  const int side = 5, ch = 2;
  size_t nn = (size_t)side * side;
  for (int j = 0; j < 3; j++) {
    int n = ns[j], ord = 2 * n;
    symclone_group *g = make_dihedral(n);
    size_t total = (size_t)ch * ord * nn;
    float *f = tu_normal_floats(total, 60 + (uint64_t)n), *o = tu_floats(total);
    float *ref = tu_floats(total);
    for (int e = 0; e < ord; e++) {
      double me[4], mei[4], ms[4], mt[4];
      dihedral_matrix(n, e, me);
      /* the inverse of an orthogonal matrix is its transpose */
      mei[0] = me[0];
      mei[1] = me[2];
      mei[2] = me[1];
      mei[3] = me[3];
      for (int c = 0; c < ch; c++)
        for (int s = 0; s < ord; s++) {
          dihedral_matrix(n, s, ms);
          matmul2(mei, ms, mt);
          int t = dihedral_find(n, mt);
          ck_assert_int_ge(t, 0);
          d_act_plane(f + ((size_t)c * ord + t) * nn, ref + ((size_t)c * ord + s) * nn, side, e / n,
                      4 * (e % n) / n);
        }
      TU_OK_GROUP(g, symclone_group_act_group(g, e, ch, ord, side, side, f, o));
      ck_assert_msg(tu_equal(o, ref, total), "D%d e=%d", n, e);
    }
    free(f);
    free(o);
    free(ref);
    symclone_group_free(g);
  }
}
END_TEST

START_TEST(dihedral_rotations_act_as_the_cyclic_group_bit_for_bit) {
  const int ns[6] = {1, 2, 3, 4, 6, 8};
  const int ch = 2;
  for (int j = 0; j < 6; j++) {
    int n = ns[j];
    symclone_group *d = make_dihedral(n), *c = make_cyclic(n);
    /* planar fields: square, and non-square for the elements that allow it */
    const int shapes[2][2] = {{9, 9}, {6, 9}};
    for (int k = 0; k < 2; k++) {
      int h = shapes[k][0], w = shapes[k][1];
      size_t np = (size_t)ch * h * w;
      float *f = tu_normal_floats(np, 70 + (uint64_t)n), *od = tu_floats(np), *oc = tu_floats(np);
      for (int r = 0; r < n; r++) {
        if (h != w && (4 * r) % n == 0 && (4 * r / n) % 2 == 1) continue; /* odd quarter turn */
        TU_OK_GROUP(d, symclone_group_act_planar(d, r, ch, h, w, f, od));
        TU_OK_GROUP(c, symclone_group_act_planar(c, r, ch, h, w, f, oc));
        ck_assert_msg(memcmp(od, oc, np * sizeof *od) == 0, "D%d vs C%d, r=%d, %dx%d", n, n, r, h,
                      w);
      }
      free(f);
      free(od);
      free(oc);
    }
    /* group fields: each half of the 2n orientations (the rotated ones and
     * the mirrored ones) transforms under rotation r as a Cn group field */
    int side = 7;
    size_t nn = (size_t)side * side, half = (size_t)n * nn, total = (size_t)ch * 2 * half;
    float *f = tu_normal_floats(total, 80 + (uint64_t)n), *od = tu_floats(total);
    float *sub = tu_floats(ch * half), *osub = tu_floats(ch * half);
    for (int r = 0; r < n; r++) {
      TU_OK_GROUP(d, symclone_group_act_group(d, r, ch, 2 * n, side, side, f, od));
      for (int m = 0; m < 2; m++) {
        for (int q = 0; q < ch; q++)
          memcpy(sub + q * half, f + ((size_t)q * 2 + m) * half, half * sizeof *sub);
        TU_OK_GROUP(c, symclone_group_act_group(c, r, ch, n, side, side, sub, osub));
        for (int q = 0; q < ch; q++)
          ck_assert_msg(memcmp(od + ((size_t)q * 2 + m) * half, osub + q * half,
                               half * sizeof *sub) == 0,
                        "D%d group field, r=%d, half %d, channel %d", n, r, m, q);
      }
    }
    free(f);
    free(od);
    free(sub);
    free(osub);
    symclone_group_free(d);
    symclone_group_free(c);
  }
}
END_TEST

START_TEST(dihedral_interpolated_elements_compose_with_the_mirror_exactly) {
  /* act(g) o act(M) = act(g * M) bit for bit for every n, interpolated
   * rotations included: the mirror is a permutation and R_r M reads the
   * mirrored plane */
  const int ns[3] = {3, 6, 8};
  const int side = 11, ch = 2;
  size_t np = (size_t)ch * side * side;
  for (int j = 0; j < 3; j++) {
    int n = ns[j];
    symclone_group *g = make_dihedral(n);
    float *f = tu_normal_floats(np, 90 + (uint64_t)n), *t = tu_floats(np), *a = tu_floats(np),
          *b = tu_floats(np);
    TU_OK_GROUP(g, symclone_group_act_planar(g, n, ch, side, side, f, t));
    for (int e = 0; e < 2 * n; e++) {
      TU_OK_GROUP(g, symclone_group_act_planar(g, e, ch, side, side, t, a));
      TU_OK_GROUP(g, symclone_group_act_planar(g, compose(g, e, n), ch, side, side, f, b));
      ck_assert_msg(tu_equal(a, b, np), "D%d: act(%d) o act(M) != act(%d)", n, e,
                    compose(g, e, n));
    }
    free(f);
    free(t);
    free(a);
    free(b);
    symclone_group_free(g);
  }
}
END_TEST

START_TEST(dihedral_bad_input_is_refused_with_status_and_message) {
  symclone_group *g = (symclone_group *)&g; /* a sentinel: must stay unwritten */
  symclone_group *const sentinel = g;
  ck_assert_int_eq(symclone_group_create_dihedral(NULL, 4), SYMCLONE_ERR_NULL);
  const int bad_n[5] = {0, -1, -4, 361, INT_MAX};
  for (int j = 0; j < 5; j++) {
    ck_assert_int_eq(symclone_group_create_dihedral(&g, bad_n[j]), SYMCLONE_ERR_GROUP);
    ck_assert_ptr_eq(g, sentinel);
    ck_assert_int_eq(symclone_group_create_cyclic(&g, bad_n[j]), SYMCLONE_ERR_GROUP);
    ck_assert_ptr_eq(g, sentinel);
  }
  g = make_dihedral(360);
  ck_assert_int_eq(symclone_group_order(g), 720);
  symclone_group_free(g);

  symclone_group *d4 = make_dihedral(4), *d8 = make_dihedral(8);
  int out = 77, dy = 77, dx = 77;
#define EXPECT_FAIL(grp, call, code, word)                                                     \
  do {                                                                                         \
    symclone_status st_ = (call);                                                              \
    ck_assert_msg(st_ == (code), "%s -> %d (%s), want %d", #call, (int)st_,                    \
                  symclone_strerror(st_), (int)(code));                                        \
    const char *m_ = symclone_group_last_error(grp);                                           \
    ck_assert_msg(strstr(m_, (word)) != NULL, "%s: message \"%s\" does not name \"%s\"",       \
                  #call, m_, (word));                                                          \
  } while (0)
  /* elements out of range: 0 <= g < 2n */
  EXPECT_FAIL(d4, symclone_group_compose(d4, 8, 0, &out), SYMCLONE_ERR_GROUP, "a=8");
  EXPECT_FAIL(d4, symclone_group_compose(d4, 0, -1, &out), SYMCLONE_ERR_GROUP, "b=-1");
  EXPECT_FAIL(d4, symclone_group_inverse(d4, 8, &out), SYMCLONE_ERR_GROUP, "a=8");
  EXPECT_FAIL(d4, symclone_group_compose(d4, 1, 1, NULL), SYMCLONE_ERR_NULL, "out");
  ck_assert_int_eq(out, 77);
  /* not a torus */
  EXPECT_FAIL(d4, symclone_group_t2_element(d4, 1, 1, &out), SYMCLONE_ERR_UNSUPPORTED,
              "dihedral");
  EXPECT_FAIL(d4, symclone_group_t2_shift(d4, 1, &dy, &dx), SYMCLONE_ERR_UNSUPPORTED, "dihedral");
  ck_assert(out == 77 && dy == 77 && dx == 77);

  size_t big = 2 * 16 * 5 * 5;
  float *in = tu_normal_floats(big, 1), *o = tu_floats(big);
  for (size_t i = 0; i < big; i++) o[i] = 314.25f;
  EXPECT_FAIL(d4, symclone_group_act_planar(d4, 8, 1, 3, 3, in, o), SYMCLONE_ERR_GROUP, "g=8");
  EXPECT_FAIL(d4, symclone_group_act_group(d4, -1, 1, 8, 3, 3, in, o), SYMCLONE_ERR_GROUP,
              "g=-1");
  /* a group field of D4 has 8 orientations, not 4 */
  EXPECT_FAIL(d4, symclone_group_act_group(d4, 1, 1, 4, 3, 3, in, o), SYMCLONE_ERR_GROUP, "D4");
  EXPECT_FAIL(d4, symclone_group_act_group(d4, 1, 1, 1, 3, 3, in, o), SYMCLONE_ERR_GROUP, "8");
  /* quarter turns, mirrored or not, need a square field */
  EXPECT_FAIL(d4, symclone_group_act_planar(d4, 1, 1, 3, 4, in, o), SYMCLONE_ERR_SHAPE, "3x4");
  EXPECT_FAIL(d4, symclone_group_act_planar(d4, 5, 1, 3, 4, in, o), SYMCLONE_ERR_SHAPE, "3x4");
  EXPECT_FAIL(d4, symclone_group_act_group(d4, 7, 1, 8, 4, 3, in, o), SYMCLONE_ERR_SHAPE, "4x3");
  EXPECT_FAIL(d8, symclone_group_act_planar(d8, 10, 1, 3, 5, in, o), SYMCLONE_ERR_SHAPE, "3x5");
  /* in and out overlapping */
  EXPECT_FAIL(d4, symclone_group_act_planar(d4, 4, 1, 3, 3, in, in + 1), SYMCLONE_ERR_ARG,
              "overlap");
  for (size_t i = 0; i < big; i++) ck_assert(o[i] == 314.25f);
  /* the mirror and the half turns accept any field; D8's interpolated
   * elements too */
  TU_OK_GROUP(d4, symclone_group_act_planar(d4, 4, 1, 3, 4, in, o));
  TU_OK_GROUP(d4, symclone_group_act_planar(d4, 6, 1, 3, 4, in, o));
  TU_OK_GROUP(d4, symclone_group_act_group(d4, 2, 1, 8, 3, 4, in, o));
  TU_OK_GROUP(d8, symclone_group_act_planar(d8, 9, 1, 3, 5, in, o));
#undef EXPECT_FAIL
  free(in);
  free(o);
  symclone_group_free(d4);
  symclone_group_free(d8);
}
END_TEST

/* The blob of blob_rotated mirrored (u -> -u) and then rotated by angle:
 * (R M f)(p) = f(M R^-1 p). */
static double blob_mirrored_rotated(int y, int x, int side, double angle) {
  double c0 = 0.5 * (side - 1);
  double u = x - c0, v = c0 - y;
  double us = u * cos(angle) + v * sin(angle), vs = -u * sin(angle) + v * cos(angle);
  double a = -us - 3.0, b = vs - 1.5;
  return exp(-0.5 * (a * a / (2.6 * 2.6) + b * b / (1.4 * 1.4)));
}

/* An anisotropic Gaussian off the centre, evaluated at (y, x) after a
 * counter-clockwise rotation by `angle` (as displayed, row 0 at the top)
 * about the grid centre: g(p) = f(R^-1 p). */
static double blob_rotated(int y, int x, int side, double angle) {
  double c0 = 0.5 * (side - 1);
  double u = x - c0, v = c0 - y; /* v points up */
  double us = u * cos(angle) + v * sin(angle), vs = -u * sin(angle) + v * cos(angle);
  double a = us - 3.0, b = vs - 1.5; /* blob centre at (+3, +1.5) */
  return exp(-0.5 * (a * a / (2.6 * 2.6) + b * b / (1.4 * 1.4)));
}

START_TEST(c8_bilinear_45_degree_rotation_matches_analytic_rotation_inside_disc) {
  const int side = 33;
  const double radius = 0.5 * (side - 1);
  const double q = 0.7853981633974483; /* 45 degrees */
  size_t nn = (size_t)side * side;
  symclone_group *g = make_cyclic(8);
  float *f = tu_floats(nn), *o = tu_floats(nn), *ccw = tu_floats(nn), *cw = tu_floats(nn);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      f[y * side + x] = (float)blob_rotated(y, x, side, 0.0);
      ccw[y * side + x] = (float)blob_rotated(y, x, side, q);
      cw[y * side + x] = (float)blob_rotated(y, x, side, -q);
    }
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, f, o));
  double err = tu_rel_err_disc(o, ccw, 1, side, side, radius);
  double wrong = tu_rel_err_disc(o, cw, 1, side, side, radius);
  /* Measured: 4.7e-2 against the analytic counter-clockwise rotation,
   * 1.2 against the clockwise one.  Bilinear interpolation errs by about
   * f''/8 per pixel squared (see the next test for the 1/sigma^2 law); here
   * the narrow axis of the blob is 1.4 pixels.  The bound 0.1 leaves a
   * factor of two, far below the wrong-direction figure, so it pins both
   * accuracy and direction. */
  fprintf(stderr, "measured: C8 45-degree rotation vs analytic %.3g (clockwise %.3g)\n", err,
          wrong);
  ck_assert_msg(err < 0.1, "45-degree rotation vs analytic: %g", err);
  ck_assert_msg(wrong > 0.5, "rotation direction not distinguishable: %g", wrong);
  free(f);
  free(o);
  free(ccw);
  free(cw);
  symclone_group_free(g);
}
END_TEST

START_TEST(d8_mirrored_45_degree_rotation_matches_analytic_transform_inside_disc) {
  const int side = 33;
  const double radius = 0.5 * (side - 1);
  const double q = 0.7853981633974483; /* 45 degrees */
  size_t nn = (size_t)side * side;
  symclone_group *g = make_dihedral(8);
  float *f = tu_floats(nn), *o = tu_floats(nn), *want = tu_floats(nn), *unmirrored = tu_floats(nn);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      f[y * side + x] = (float)blob_rotated(y, x, side, 0.0);
      want[y * side + x] = (float)blob_mirrored_rotated(y, x, side, q);
      unmirrored[y * side + x] = (float)blob_rotated(y, x, side, q);
    }
  TU_OK_GROUP(g, symclone_group_act_planar(g, 9, 1, side, side, f, o)); /* R_1 M */
  double err = tu_rel_err_disc(o, want, 1, side, side, radius);
  double wrong = tu_rel_err_disc(o, unmirrored, 1, side, side, radius);
  /* As for C8's 45-degree rotation (the mirror itself is exact); bound 0.1,
   * and the unmirrored rotation is far. */
  fprintf(stderr, "measured: D8 R45 M vs analytic %.3g (without the mirror %.3g)\n", err, wrong);
  ck_assert_msg(err < 0.1, "R45 M vs analytic: %g", err);
  ck_assert_msg(wrong > 0.5, "mirror not distinguishable: %g", wrong);
  /* M R_1 M is R_-1 = R_7 up to the rounding of the sines and cosines of
   * the two angles (measured: 0, the same bits) */
  float *t = tu_floats(nn), *t2 = tu_floats(nn), *t3 = tu_floats(nn), *r7 = tu_floats(nn);
  TU_OK_GROUP(g, symclone_group_act_planar(g, 8, 1, side, side, f, t));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, t, t2));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 8, 1, side, side, t2, t3));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 7, 1, side, side, f, r7));
  double conj = tu_rel_err(t3, r7, nn);
  fprintf(stderr, "measured: D8 M R45 M vs R-45 %.3g\n", conj);
  ck_assert_msg(conj < 1e-5, "M R45 M vs R-45: %g", conj);
  free(f);
  free(o);
  free(want);
  free(unmirrored);
  free(t);
  free(t2);
  free(t3);
  free(r7);
  symclone_group_free(g);
}
END_TEST

START_TEST(c8_bilinear_rotation_error_falls_as_inverse_square_of_feature_width) {
  /* An elongated Gaussian (widths sigma and sigma * sqrt 2) centred off the
   * grid centre, rotated by 45 degrees, against its analytic rotation.
   * Bilinear interpolation errs by about f''/8 per pixel squared, so the
   * relative error falls as 1/sigma^2: a factor of 4 per doubling of sigma.
   * A misplaced rotation centre (say by half a pixel) would add an error
   * falling only as 1/sigma, a factor of 2.  Measured: 8.0e-2, 2.4e-2,
   * 6.1e-3, 1.5e-3 for sigma = 1, 2, 4, 8 (ratios 3.4, 3.9, 4.0). */
  const int side = 65;
  const double c0 = 0.5 * (side - 1), q = 0.7853981633974483;
  size_t nn = (size_t)side * side;
  symclone_group *g = make_cyclic(8);
  float *f = tu_floats(nn), *o = tu_floats(nn), *ref = tu_floats(nn);
  double err[4];
  for (int j = 0; j < 4; j++) {
    double sigma = (double)(1 << j);
    for (int y = 0; y < side; y++)
      for (int x = 0; x < side; x++) {
        double u = x - c0, v = c0 - y;
        double a = u - 5.0, b = v - 3.0;
        f[y * side + x] = (float)exp(-0.5 * (a * a + 0.5 * b * b) / (sigma * sigma));
        double us = u * cos(q) + v * sin(q), vs = -u * sin(q) + v * cos(q);
        a = us - 5.0;
        b = vs - 3.0;
        ref[y * side + x] = (float)exp(-0.5 * (a * a + 0.5 * b * b) / (sigma * sigma));
      }
    TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, f, o));
    err[j] = tu_rel_err_disc(o, ref, 1, side, side, c0);
  }
  fprintf(stderr, "measured: C8 45-degree rotation vs analytic, sigma 1 2 4 8: %.2g %.2g %.2g %.2g\n",
          err[0], err[1], err[2], err[3]);
  ck_assert_msg(err[0] < 0.12, "sigma 1: %g", err[0]);
  for (int j = 0; j < 3; j++)
    ck_assert_msg(err[j] / err[j + 1] > 3.0, "sigma %d -> %d: error only fell by %g", 1 << j,
                  2 << j, err[j] / err[j + 1]);
  free(f);
  free(o);
  free(ref);
  symclone_group_free(g);
}
END_TEST

START_TEST(c8_two_45_degree_rotations_approximate_a_quarter_turn_inside_disc) {
  const int side = 33;
  const double radius = 0.5 * (side - 1);
  size_t nn = (size_t)side * side;
  symclone_group *g = make_cyclic(8);
  float *f = tu_floats(nn), *t = tu_floats(nn), *twice = tu_floats(nn), *once = tu_floats(nn);
  /* a smooth Gaussian blob (sigma 3 pixels) off the centre */
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      double dy = y - 12.0, dx = x - 20.0;
      f[y * side + x] = (float)exp(-(dy * dy + dx * dx) / (2.0 * 3.0 * 3.0));
    }
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, f, t));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, t, twice));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 2, 1, side, side, f, once));
  double err = tu_rel_err_disc(twice, once, 1, side, side, radius);
  /* Measured: 2.6e-2.  Each bilinear step smooths by about 1/(8 sigma^2)
   * relative (1.4e-2 for sigma = 3 pixels); two steps against an exact
   * permutation give about twice that.  Bound 5e-2: a factor of two. */
  fprintf(stderr, "measured: C8 R45 o R45 vs R90 %.3g\n", err);
  ck_assert_msg(err < 5e-2, "R45 o R45 vs R90: %g", err);
  ck_assert_msg(err > 0.0, "two bilinear rotations cannot be exact here");
  /* and the rest of C8 composes to interpolation accuracy: eight steps of
   * 45 degrees come back to the start */
  memcpy(t, f, nn * sizeof *t);
  for (int step = 0; step < 8; step++) {
    TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, t, twice));
    memcpy(t, twice, nn * sizeof *t);
  }
  double full = tu_rel_err_disc(t, f, 1, side, side, radius);
  /* Measured: 9.0e-2 after eight steps (the smoothing adds up, about
   * four times the two-step figure); bound 0.2. */
  fprintf(stderr, "measured: C8 eight 45-degree steps vs identity %.3g\n", full);
  ck_assert_msg(full < 0.2, "eight 45-degree rotations vs identity: %g", full);
  free(f);
  free(t);
  free(twice);
  free(once);
  symclone_group_free(g);
}
END_TEST

START_TEST(c3_three_bilinear_rotations_return_close_to_the_start) {
  const int side = 31;
  size_t nn = (size_t)side * side;
  symclone_group *g = make_cyclic(3);
  float *f = tu_floats(nn), *a = tu_floats(nn), *b = tu_floats(nn);
  tu_smooth_field(f, 1, side, side, 3, 3.0, 77);
  TU_OK_GROUP(g, symclone_group_act_planar(g, 1, 1, side, side, f, a));
  TU_OK_GROUP(g, symclone_group_act_planar(g, 2, 1, side, side, a, b));
  double err = tu_rel_err_disc(b, f, 1, side, side, 0.5 * (side - 1));
  /* Measured: 2.0e-2 (two bilinear rotations of a sigma = 3 field, as
   * for C8 above); bound 5e-2. */
  fprintf(stderr, "measured: C3 R240 o R120 vs identity %.3g\n", err);
  ck_assert_msg(err < 5e-2, "R240 o R120 vs identity: %g", err);
  free(f);
  free(a);
  free(b);
  symclone_group_free(g);
}
END_TEST

/* ---- invariant subspaces of the filter space ------------------------------ */

/* The character tables, written out here (elements in group.h's encoding:
 * Cn r; Dn g = m*n + r, the rotations first). */
typedef struct {
  const char *name;
  int dim;
  int chi[8];
} irrep_row;

typedef struct {
  int dihedral, n, nirr;
  irrep_row irr[5];
} char_table;

static const char_table tables[] = {
    {0, 1, 1, {{"trivial", 1, {1}}}},
    {0, 2, 2, {{"trivial", 1, {1, 1}}, {"sign", 1, {1, -1}}}},
    {0, 4, 3,
     {{"trivial", 1, {1, 1, 1, 1}}, {"sign", 1, {1, -1, 1, -1}}, {"rotation", 2, {2, 0, -2, 0}}}},
    {1, 1, 2, {{"trivial", 1, {1, 1}}, {"mirror-odd", 1, {1, -1}}}},
    {1, 2, 4,
     {{"A1 (trivial)", 1, {1, 1, 1, 1}},
      {"A2", 1, {1, 1, -1, -1}},
      {"B1", 1, {1, -1, 1, -1}},
      {"B2", 1, {1, -1, -1, 1}}}},
    {1, 4, 5,
     {{"A1 (trivial)", 1, {1, 1, 1, 1, 1, 1, 1, 1}},
      {"A2", 1, {1, 1, 1, 1, -1, -1, -1, -1}},
      {"B1", 1, {1, -1, 1, -1, 1, -1, 1, -1}},
      {"B2", 1, {1, -1, 1, -1, -1, 1, -1, 1}},
      {"E", 2, {2, 0, -2, 0, 0, 0, 0, 0}}}},
};

/* perm[g][q]: where element g takes tap q of a k x k filter, from the
 * public planar action on unit kernels. */
static int *tap_permutations(const symclone_group *g, int k) {
  int order = symclone_group_order(g), pc = k * k;
  int *perm = malloc((size_t)order * pc * sizeof *perm);
  float *e = calloc((size_t)pc, sizeof *e), *out = malloc((size_t)pc * sizeof *out);
  for (int el = 0; el < order; el++)
    for (int q = 0; q < pc; q++) {
      memset(e, 0, (size_t)pc * sizeof *e);
      e[q] = 1.0f;
      TU_OK_GROUP(g, symclone_group_act_planar(g, el, 1, k, k, e, out));
      int at = -1, ones = 0;
      for (int j = 0; j < pc; j++)
        if (out[j] != 0.0f) at = j, ones++;
      ck_assert_int_eq(ones, 1);
      perm[(size_t)el * pc + q] = at;
    }
  free(e), free(out);
  return perm;
}

START_TEST(filter_subspaces_are_orthonormal_invariant_and_as_the_characters_predict) {
  const char_table *ct = &tables[_i / 3];
  int k = 1 + 2 * (_i % 3), pc = k * k;
  symclone_group *g;
  if (ct->dihedral)
    TU_OK(symclone_group_create_dihedral(&g, ct->n));
  else
    TU_OK(symclone_group_create_cyclic(&g, ct->n));
  int order = symclone_group_order(g), count;
  TU_OK_GROUP(g, symclone_group_subspace_count(g, k, &count));
  int *perm = tap_permutations(g, k);
  double *u = malloc((size_t)pc * pc * sizeof *u); /* all bases stacked */
  int total = 0;
  int seen[64][5] = {{0}}; /* (orbit, irrep) pairs listed */
  for (int i = 0; i < count; i++) {
    int dim, orbit;
    char name[96];
    TU_OK_GROUP(g, symclone_group_subspace_info(g, k, i, &dim, &orbit, name, sizeof name));
    ck_assert_int_ge(dim, 1);
    ck_assert_int_le(total + dim, pc);
    double *b = u + (size_t)total * pc;
    TU_OK_GROUP(g, symclone_group_subspace_basis(g, k, i, b, (size_t)dim * pc));
    /* the irrep, by name, and the orbit: the taps the basis touches */
    const char *irr = strrchr(name, ',');
    ck_assert_ptr_nonnull(irr);
    int ir = -1;
    for (int j = 0; j < ct->nirr; j++)
      if (!strcmp(irr + 2, ct->irr[j].name)) ir = j;
    ck_assert_msg(ir >= 0, "%s: unknown representation", name);
    int in_orbit[1024] = {0}, size = 0;
    for (int j = 0; j < dim; j++)
      for (int q = 0; q < pc; q++)
        if (fabs(b[(size_t)j * pc + q]) > 1e-12) in_orbit[q] = 1;
    int rep = -1;
    for (int q = 0; q < pc; q++)
      if (in_orbit[q] && rep < 0) rep = q;
    ck_assert_int_ge(rep, 0);
    for (int q = 0; q < pc; q++) in_orbit[q] = 0;
    for (int el = 0; el < order; el++) {
      int q = perm[(size_t)el * pc + rep];
      if (!in_orbit[q]) in_orbit[q] = 1, size++;
    }
    int outside = 0; /* supported on rep's orbit only */
    for (int j = 0; j < dim; j++)
      for (int q = 0; q < pc; q++) outside += !in_orbit[q] && b[(size_t)j * pc + q] != 0.0;
    ck_assert_msg(outside == 0, "%s: %d entries outside the orbit", name, outside);
    /* the multiplicity of the irrep in the orbit's permutation
     * representation, from the characters: <chi_perm, chi> / <chi, chi> */
    double ip = 0.0, nn = 0.0;
    for (int el = 0; el < order; el++) {
      int fixed = 0;
      for (int q = 0; q < pc; q++) fixed += in_orbit[q] && perm[(size_t)el * pc + q] == q;
      ip += fixed * ct->irr[ir].chi[el];
      nn += ct->irr[ir].chi[el] * ct->irr[ir].chi[el];
    }
    int mult = (int)lround(ip / nn);
    ck_assert_msg(dim == mult * ct->irr[ir].dim, "%s: dim %d, the characters say %d x %d", name,
                  dim, mult, ct->irr[ir].dim);
    /* V carries mult copies of the irrep: its character is mult * chi,
     * and P_V R = R P_V (R the tap permutation) */
    for (int el = 0; el < order; el++) {
      const int *pe = perm + (size_t)el * pc;
      double chi = 0.0;
      for (int j = 0; j < dim; j++)
        for (int q = 0; q < pc; q++) chi += b[(size_t)j * pc + pe[q]] * b[(size_t)j * pc + q];
      ck_assert_msg(fabs(chi - mult * ct->irr[ir].chi[el]) < 1e-12, "%s: character at %d", name,
                    el);
      /* one assertion per element (an assertion in the inner loop costs
       * Check a write each, which valgrind makes slow) */
      double worst = 0.0;
      int wa = -1, wc = -1;
      for (int a = 0; a < pc; a++)
        for (int c = 0; c < pc; c++) {
          /* (P R)[a][c] = P[a][pe[c]]... R e_c = e_{pe[c]} */
          double pr = 0.0, rp = 0.0;
          int ainv = -1;
          for (int q = 0; q < pc; q++)
            if (pe[q] == a) ainv = q;
          for (int j = 0; j < dim; j++) {
            pr += b[(size_t)j * pc + a] * b[(size_t)j * pc + pe[c]];
            rp += b[(size_t)j * pc + ainv] * b[(size_t)j * pc + c];
          }
          if (!(fabs(pr - rp) <= worst)) worst = fabs(pr - rp), wa = a, wc = c;
        }
      ck_assert_msg(worst < 1e-12, "%s: P R != R P at (%d, %d) by %g", name, wa, wc, worst);
    }
    ck_assert_int_lt(orbit, 64);
    ck_assert_int_eq(seen[orbit][ir], 0);
    seen[orbit][ir] = 1;
    total += dim;
  }
  ck_assert_int_eq(total, pc);
  /* orthonormal, all of them together */
  double worst = 0.0;
  for (int a = 0; a < pc; a++)
    for (int c = 0; c < pc; c++) {
      double d = 0.0;
      for (int q = 0; q < pc; q++) d += u[(size_t)a * pc + q] * u[(size_t)c * pc + q];
      if (!(fabs(d - (a == c)) <= worst)) worst = fabs(d - (a == c));
    }
  ck_assert_double_le(worst, 1e-12);
  free(u);
  free(perm);
  symclone_group_free(g);
}
END_TEST

/* The C4 listing of the 3x3 filter, by name and dimension. */
START_TEST(c4_subspaces_of_3x3_are_centre_edge_and_corner_parts) {
  symclone_group *g;
  TU_OK(symclone_group_create_cyclic(&g, 4));
  static const char *const want[7] = {
      "orbit 0 (centre, 1 tap), trivial",    "orbit 1 (edge, 4 taps), trivial",
      "orbit 1 (edge, 4 taps), sign",        "orbit 1 (edge, 4 taps), rotation",
      "orbit 2 (corner, 4 taps), trivial",   "orbit 2 (corner, 4 taps), sign",
      "orbit 2 (corner, 4 taps), rotation"};
  static const int dims[7] = {1, 1, 1, 2, 1, 1, 2};
  int count;
  TU_OK_GROUP(g, symclone_group_subspace_count(g, 3, &count));
  ck_assert_int_eq(count, 7);
  for (int i = 0; i < 7; i++) {
    int dim;
    char name[96];
    TU_OK_GROUP(g, symclone_group_subspace_info(g, 3, i, &dim, NULL, name, sizeof name));
    ck_assert_str_eq(name, want[i]);
    ck_assert_int_eq(dim, dims[i]);
  }
  /* the edge sign part: +1/2 on the vertical edge taps, -1/2 on the others */
  double b[9];
  TU_OK_GROUP(g, symclone_group_subspace_basis(g, 3, 2, b, 9));
  const double sign[9] = {0, 0.5, 0, -0.5, 0, -0.5, 0, 0.5, 0};
  for (int q = 0; q < 9; q++) ck_assert_double_eq_tol(b[q], sign[q], 1e-15);
  /* a short name buffer is truncated and terminated */
  char small[6];
  TU_OK_GROUP(g, symclone_group_subspace_info(g, 3, 1, NULL, NULL, small, sizeof small));
  ck_assert_str_eq(small, "orbit");
  symclone_group_free(g);
}
END_TEST

START_TEST(filter_subspaces_refuse_bad_input) {
  symclone_group *t2, *c8, *d3, *c4;
  TU_OK(symclone_group_create_t2(&t2, 5, 5));
  TU_OK(symclone_group_create_cyclic(&c8, 8));
  TU_OK(symclone_group_create_dihedral(&d3, 3));
  TU_OK(symclone_group_create_cyclic(&c4, 4));
  int count;
  double b[18];
  ck_assert_int_eq(symclone_group_subspace_count(t2, 3, &count), SYMCLONE_ERR_UNSUPPORTED);
  ck_assert_str_ne(symclone_group_last_error(t2), "");
  ck_assert_int_eq(symclone_group_subspace_count(c8, 3, &count), SYMCLONE_ERR_UNSUPPORTED);
  ck_assert_int_eq(symclone_group_subspace_count(d3, 3, &count), SYMCLONE_ERR_UNSUPPORTED);
  ck_assert_int_eq(symclone_group_subspace_count(NULL, 3, &count), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_subspace_count(c4, 3, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_subspace_count(c4, 2, &count), SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_group_subspace_count(c4, 0, &count), SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_group_subspace_count(c4, 33, &count), SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_group_subspace_info(c4, 3, 7, NULL, NULL, NULL, 0), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_group_subspace_info(c4, 3, -1, NULL, NULL, NULL, 0), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_group_last_error(c4), "not one of the 7"));
  ck_assert_int_eq(symclone_group_subspace_basis(c4, 3, 3, b, 9), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_group_subspace_basis(c4, 3, 3, NULL, 18), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_subspace_basis(c4, 3, 3, b, 18), SYMCLONE_OK);
  symclone_group_free(t2), symclone_group_free(c8), symclone_group_free(d3);
  symclone_group_free(c4);
}
END_TEST

static Suite *group_suite(void) {
  Suite *s = suite_create("group");
  TCase *tc = tcase_create("axioms");
  tcase_add_loop_test(tc, t2_satisfies_group_axioms_and_adds_shifts_mod_torus, 0,
                      (int)(sizeof t2_sizes / sizeof t2_sizes[0]));
  tcase_add_test(tc, t2_element_and_shift_round_trip_with_any_integers);
  tcase_add_loop_test(tc, cyclic_satisfies_group_axioms_and_adds_angles_mod_n, 0,
                      (int)(sizeof cyclic_orders / sizeof cyclic_orders[0]));
  tcase_add_loop_test(tc, dihedral_satisfies_group_axioms_and_composes_like_its_matrices, 0, 8);
  suite_add_tcase(s, tc);

  tc = tcase_create("actions");
  tcase_add_test(tc, t2_actions_compose_like_the_group_exactly);
  tcase_add_test(tc, c2_c4_actions_compose_like_the_group_exactly);
  tcase_add_test(tc, c8_quarter_turn_elements_compose_exactly);
  tcase_add_test(tc, identity_acts_as_identity_for_every_group);
  tcase_add_test(tc, c4_quarter_turn_is_numpy_rot90);
  tcase_add_test(tc, c2_and_c8_half_turn_reverse_rows_and_columns_on_any_field);
  tcase_add_test(tc, t2_action_is_the_documented_torus_shift);
  tcase_add_test(tc, cyclic_group_field_action_rotates_and_cycles_orientations);
  tcase_add_test(tc, dihedral_actions_compose_like_the_group_exactly);
  tcase_add_test(tc, dihedral_mirror_is_numpy_fliplr);
  tcase_add_test(tc, dihedral_elements_are_quarter_turns_of_the_mirror_image);
  tcase_add_test(tc, dihedral_group_field_action_permutes_orientations_by_the_group_law);
  tcase_add_test(tc, dihedral_rotations_act_as_the_cyclic_group_bit_for_bit);
  tcase_add_test(tc, dihedral_interpolated_elements_compose_with_the_mirror_exactly);
  tcase_add_test(tc, dihedral_bad_input_is_refused_with_status_and_message);
  suite_add_tcase(s, tc);

  tc = tcase_create("interpolation");
  tcase_add_test(tc, c8_bilinear_45_degree_rotation_matches_analytic_rotation_inside_disc);
  tcase_add_test(tc, d8_mirrored_45_degree_rotation_matches_analytic_transform_inside_disc);
  tcase_add_test(tc, c8_bilinear_rotation_error_falls_as_inverse_square_of_feature_width);
  tcase_add_test(tc, c8_two_45_degree_rotations_approximate_a_quarter_turn_inside_disc);
  tcase_add_test(tc, c3_three_bilinear_rotations_return_close_to_the_start);
  suite_add_tcase(s, tc);

  tc = tcase_create("subspaces");
  tcase_add_loop_test(tc, filter_subspaces_are_orthonormal_invariant_and_as_the_characters_predict,
                      0, 18);
  tcase_add_test(tc, c4_subspaces_of_3x3_are_centre_edge_and_corner_parts);
  tcase_add_test(tc, filter_subspaces_refuse_bad_input);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(group_suite()); }
