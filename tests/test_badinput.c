/* Bad input: every public function of common.h, group.h and layer.h called
 * with NULL, zero, negative, overflowing or mismatched arguments returns the
 * documented status, leaves its outputs untouched and, where it has a
 * handle, names the offending argument in the handle's last error. */
#include <limits.h>

#include "testutil.h"

#define SENT_G ((symclone_group *)(uintptr_t)0xdeadbee0u)
#define SENT_L ((symclone_layer *)(uintptr_t)0xdeadbee0u)
#define SENT_F 314.25f

/* status of `call` is `code` and the created handle was not written */
#define EXPECT_GROUP_CREATE(call, code)                                                        \
  do {                                                                                         \
    symclone_group *g = SENT_G;                                                                \
    symclone_status st_ = (call);                                                              \
    ck_assert_msg(st_ == (code), "%s -> %d (%s), want %d", #call, (int)st_,                    \
                  symclone_strerror(st_), (int)(code));                                        \
    ck_assert_msg(g == SENT_G, "%s wrote *out on failure", #call);                             \
  } while (0)

#define EXPECT_LAYER_CREATE(call, code)                                                        \
  do {                                                                                         \
    symclone_layer *l = SENT_L;                                                                \
    symclone_status st_ = (call);                                                              \
    ck_assert_msg(st_ == (code), "%s -> %d (%s), want %d", #call, (int)st_,                    \
                  symclone_strerror(st_), (int)(code));                                        \
    ck_assert_msg(l == SENT_L, "%s wrote *out on failure", #call);                             \
  } while (0)

/* status `code` and the handle's last error contains `word` */
#define EXPECT_GROUP_FAIL(g, call, code, word)                                                 \
  do {                                                                                         \
    symclone_status st_ = (call);                                                              \
    ck_assert_msg(st_ == (code), "%s -> %d (%s), want %d", #call, (int)st_,                    \
                  symclone_strerror(st_), (int)(code));                                        \
    const char *m_ = symclone_group_last_error(g);                                             \
    ck_assert_ptr_nonnull(m_);                                                                 \
    ck_assert_msg(strstr(m_, (word)) != NULL, "%s: message \"%s\" does not name \"%s\"",       \
                  #call, m_, (word));                                                          \
  } while (0)

#define EXPECT_LAYER_FAIL(l, call, code, word)                                                 \
  do {                                                                                         \
    symclone_status st_ = (call);                                                              \
    ck_assert_msg(st_ == (code), "%s -> %d (%s), want %d", #call, (int)st_,                    \
                  symclone_strerror(st_), (int)(code));                                        \
    const char *m_ = symclone_layer_last_error(l);                                             \
    ck_assert_ptr_nonnull(m_);                                                                 \
    ck_assert_msg(strstr(m_, (word)) != NULL, "%s: message \"%s\" does not name \"%s\"",       \
                  #call, m_, (word));                                                          \
  } while (0)

static int all_equal(const float *a, size_t n, float v) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != v) return 0;
  return 1;
}

static float *sentinel_floats(size_t n) {
  float *p = tu_floats(n);
  for (size_t i = 0; i < n; i++) p[i] = SENT_F;
  return p;
}

/* ---- common.h ---- */

START_TEST(strerror_names_every_status_distinctly) {
  const char *names[23];
  for (int s = 0; s >= -22; s--) {
    const char *m = symclone_strerror(s);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(strcmp(m, "unknown status") != 0, "status %d has no name", s);
    ck_assert_msg(m[0] != '\0', "status %d has an empty name", s);
    names[-s] = m;
  }
  for (int a = 0; a < 23; a++)
    for (int b = a + 1; b < 23; b++)
      ck_assert_msg(strcmp(names[a], names[b]) != 0, "statuses %d and %d share \"%s\"", -a, -b,
                    names[a]);
  const int unknown[] = {1, -23, 1000, INT_MIN, INT_MAX};
  for (int j = 0; j < 5; j++) {
    ck_assert_ptr_nonnull(symclone_strerror(unknown[j]));
    ck_assert_str_eq(symclone_strerror(unknown[j]), "unknown status");
  }
}
END_TEST

START_TEST(run_time_version_matches_the_headers) {
  ck_assert_ptr_nonnull(symclone_version_string());
  ck_assert_str_eq(symclone_version_string(), SYMCLONE_VERSION_STRING);
  ck_assert_uint_eq(symclone_version_number(), (unsigned)SYMCLONE_VERSION_NUMBER);
  unsigned n = symclone_version_number();
  char buf[32];
  snprintf(buf, sizeof buf, "%u.%u.%u", (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF);
  ck_assert_str_eq(buf, symclone_version_string());
}
END_TEST

START_TEST(free_accepts_null) {
  symclone_group_free(NULL);
  symclone_layer_free(NULL);
}
END_TEST

/* ---- group.h ---- */

START_TEST(group_create_rejects_null_bad_sizes_and_overflow_without_writing_out) {
  ck_assert_int_eq(symclone_group_create_t2(NULL, 3, 3), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_create_cyclic(NULL, 4), SYMCLONE_ERR_NULL);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, 0, 3), SYMCLONE_ERR_SIZE);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, 3, 0), SYMCLONE_ERR_SIZE);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, -1, 3), SYMCLONE_ERR_SIZE);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, 3, INT_MIN), SYMCLONE_ERR_SIZE);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, INT_MAX, 2), SYMCLONE_ERR_OVERFLOW);
  EXPECT_GROUP_CREATE(symclone_group_create_t2(&g, 65536, 65536), SYMCLONE_ERR_OVERFLOW);
  EXPECT_GROUP_CREATE(symclone_group_create_cyclic(&g, 0), SYMCLONE_ERR_GROUP);
  EXPECT_GROUP_CREATE(symclone_group_create_cyclic(&g, -4), SYMCLONE_ERR_GROUP);
  EXPECT_GROUP_CREATE(symclone_group_create_cyclic(&g, 361), SYMCLONE_ERR_GROUP);
  EXPECT_GROUP_CREATE(symclone_group_create_cyclic(&g, INT_MAX), SYMCLONE_ERR_GROUP);
  /* the limits themselves are accepted */
  symclone_group *g = NULL;
  TU_OK(symclone_group_create_cyclic(&g, 360));
  ck_assert_int_eq(symclone_group_order(g), 360);
  symclone_group_free(g);
  TU_OK(symclone_group_create_t2(&g, INT_MAX, 1));
  ck_assert_int_eq(symclone_group_order(g), INT_MAX);
  symclone_group_free(g);
}
END_TEST

START_TEST(group_queries_on_null_return_their_documented_values) {
  ck_assert_int_eq(symclone_group_kind_of(NULL), 0);
  ck_assert_int_eq(symclone_group_order(NULL), 0);
  ck_assert_int_eq(symclone_group_is_exact(NULL), -1);
  ck_assert_int_eq(symclone_group_identity(NULL), 0);
  ck_assert_ptr_nonnull(symclone_group_last_error(NULL));
  ck_assert_str_eq(symclone_group_last_error(NULL), "");
  int out = 77, dy = 77, dx = 77;
  ck_assert_int_eq(symclone_group_compose(NULL, 0, 0, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_inverse(NULL, 0, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_t2_element(NULL, 0, 0, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_t2_shift(NULL, 0, &dy, &dx), SYMCLONE_ERR_NULL);
  float f[4] = {1, 2, 3, 4}, o[4] = {SENT_F, SENT_F, SENT_F, SENT_F};
  ck_assert_int_eq(symclone_group_act_planar(NULL, 0, 1, 2, 2, f, o), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_group_act_group(NULL, 0, 1, 1, 2, 2, f, o), SYMCLONE_ERR_NULL);
  ck_assert(out == 77 && dy == 77 && dx == 77);
  ck_assert(all_equal(o, 4, SENT_F));
}
END_TEST

START_TEST(group_compose_and_inverse_reject_null_and_non_elements) {
  symclone_group *gs[2];
  TU_OK(symclone_group_create_t2(&gs[0], 3, 4));
  TU_OK(symclone_group_create_cyclic(&gs[1], 4));
  for (int j = 0; j < 2; j++) {
    symclone_group *g = gs[j];
    ck_assert_str_eq(symclone_group_last_error(g), ""); /* nothing failed yet */
    int n = symclone_group_order(g), out = 77;
    EXPECT_GROUP_FAIL(g, symclone_group_compose(g, 0, 0, NULL), SYMCLONE_ERR_NULL, "out");
    EXPECT_GROUP_FAIL(g, symclone_group_compose(g, -1, 0, &out), SYMCLONE_ERR_GROUP, "a=-1");
    EXPECT_GROUP_FAIL(g, symclone_group_compose(g, n, 0, &out), SYMCLONE_ERR_GROUP, "a=");
    EXPECT_GROUP_FAIL(g, symclone_group_compose(g, 0, n, &out), SYMCLONE_ERR_GROUP, "b=");
    EXPECT_GROUP_FAIL(g, symclone_group_compose(g, 1, INT_MIN, &out), SYMCLONE_ERR_GROUP, "b=");
    EXPECT_GROUP_FAIL(g, symclone_group_inverse(g, 0, NULL), SYMCLONE_ERR_NULL, "out");
    EXPECT_GROUP_FAIL(g, symclone_group_inverse(g, n, &out), SYMCLONE_ERR_GROUP, "a=");
    EXPECT_GROUP_FAIL(g, symclone_group_inverse(g, INT_MAX, &out), SYMCLONE_ERR_GROUP, "a=");
    ck_assert_int_eq(out, 77);
    symclone_group_free(g);
  }
}
END_TEST

START_TEST(t2_element_and_shift_reject_cyclic_groups_and_non_elements) {
  symclone_group *c4 = NULL, *t2 = NULL;
  TU_OK(symclone_group_create_cyclic(&c4, 4));
  TU_OK(symclone_group_create_t2(&t2, 3, 4));
  int out = 77, dy = 77, dx = 77;
  EXPECT_GROUP_FAIL(c4, symclone_group_t2_element(c4, 1, 1, &out), SYMCLONE_ERR_UNSUPPORTED,
                    "cyclic");
  EXPECT_GROUP_FAIL(c4, symclone_group_t2_shift(c4, 1, &dy, &dx), SYMCLONE_ERR_UNSUPPORTED,
                    "cyclic");
  EXPECT_GROUP_FAIL(t2, symclone_group_t2_element(t2, 1, 1, NULL), SYMCLONE_ERR_NULL, "out");
  EXPECT_GROUP_FAIL(t2, symclone_group_t2_shift(t2, 12, &dy, &dx), SYMCLONE_ERR_GROUP, "g=12");
  EXPECT_GROUP_FAIL(t2, symclone_group_t2_shift(t2, -1, &dy, &dx), SYMCLONE_ERR_GROUP, "g=-1");
  ck_assert(out == 77 && dy == 77 && dx == 77);
  /* extreme shifts are reduced modulo the torus, never rejected */
  TU_OK_GROUP(t2, symclone_group_t2_element(t2, INT_MIN, INT_MAX, &out));
  ck_assert_int_eq(out, (int)(((INT_MIN % 3) + 3) % 3) * 4 + (INT_MAX % 4));
  symclone_group_free(c4);
  symclone_group_free(t2);
}
END_TEST

START_TEST(group_actions_reject_bad_fields_and_leave_out_untouched) {
  symclone_group *t2 = NULL, *c4 = NULL, *c8 = NULL, *c2 = NULL;
  TU_OK(symclone_group_create_t2(&t2, 3, 4));
  TU_OK(symclone_group_create_cyclic(&c4, 4));
  TU_OK(symclone_group_create_cyclic(&c8, 8));
  TU_OK(symclone_group_create_cyclic(&c2, 2));
  size_t big = 2 * 8 * 5 * 5;
  float *in = tu_normal_floats(big, 1), *out = sentinel_floats(big);

  /* NULL fields */
  EXPECT_GROUP_FAIL(t2, symclone_group_act_planar(t2, 0, 1, 3, 4, NULL, out), SYMCLONE_ERR_NULL,
                    "in");
  EXPECT_GROUP_FAIL(t2, symclone_group_act_planar(t2, 0, 1, 3, 4, in, NULL), SYMCLONE_ERR_NULL,
                    "out");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_group(c4, 0, 1, 4, 3, 3, NULL, out), SYMCLONE_ERR_NULL,
                    "in");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_group(c4, 0, 1, 4, 3, 3, in, NULL), SYMCLONE_ERR_NULL,
                    "out");
  /* zero and negative sizes */
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 0, 0, 3, 3, in, out), SYMCLONE_ERR_SIZE,
                    "channels=0");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 0, 1, -3, 3, in, out), SYMCLONE_ERR_SIZE,
                    "height=-3");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 0, 1, 3, 0, in, out), SYMCLONE_ERR_SIZE,
                    "width=0");
  EXPECT_GROUP_FAIL(t2, symclone_group_act_group(t2, 0, 1, 0, 3, 4, in, out), SYMCLONE_ERR_SIZE,
                    "orientations=0");
  /* elements out of range */
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 4, 1, 3, 3, in, out), SYMCLONE_ERR_GROUP,
                    "g=4");
  EXPECT_GROUP_FAIL(t2, symclone_group_act_group(t2, -1, 1, 2, 3, 4, in, out), SYMCLONE_ERR_GROUP,
                    "g=-1");
  /* T2 on a field of another size */
  EXPECT_GROUP_FAIL(t2, symclone_group_act_planar(t2, 1, 1, 4, 3, in, out), SYMCLONE_ERR_SHAPE,
                    "4x3");
  EXPECT_GROUP_FAIL(t2, symclone_group_act_group(t2, 1, 2, 2, 3, 5, in, out), SYMCLONE_ERR_SHAPE,
                    "3x5");
  /* quarter turns need a square field: C4 odd elements, C8 r = 2, 6 */
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 1, 1, 3, 4, in, out), SYMCLONE_ERR_SHAPE,
                    "3x4");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_group(c4, 3, 1, 4, 4, 3, in, out), SYMCLONE_ERR_SHAPE,
                    "4x3");
  EXPECT_GROUP_FAIL(c8, symclone_group_act_planar(c8, 6, 1, 5, 4, in, out), SYMCLONE_ERR_SHAPE,
                    "5x4");
  /* orientations of a Cn group field must be n */
  EXPECT_GROUP_FAIL(c4, symclone_group_act_group(c4, 1, 1, 3, 3, 3, in, out), SYMCLONE_ERR_GROUP,
                    "orientations");
  EXPECT_GROUP_FAIL(c8, symclone_group_act_group(c8, 0, 1, 4, 3, 3, in, out), SYMCLONE_ERR_GROUP,
                    "orientations");
  /* sizes whose product overflows */
  EXPECT_GROUP_FAIL(c2, symclone_group_act_planar(c2, 0, INT_MAX, INT_MAX, INT_MAX, in, out),
                    SYMCLONE_ERR_OVERFLOW, "overflow");
  EXPECT_GROUP_FAIL(t2, symclone_group_act_group(t2, 0, INT_MAX, INT_MAX, 3, 4, in, out),
                    SYMCLONE_ERR_OVERFLOW, "overflow");
  /* in and out overlap */
  EXPECT_GROUP_FAIL(c4, symclone_group_act_planar(c4, 1, 1, 3, 3, out, out), SYMCLONE_ERR_ARG,
                    "overlap");
  EXPECT_GROUP_FAIL(c4, symclone_group_act_group(c4, 1, 1, 4, 3, 3, out + 1, out),
                    SYMCLONE_ERR_ARG, "overlap");
  ck_assert_msg(all_equal(out, big, SENT_F), "out written by a failing action");
  /* what is documented as accepted: half turns of any field, interpolated
   * angles of any field, T2 with any number of orientations */
  TU_OK_GROUP(c4, symclone_group_act_planar(c4, 2, 1, 3, 4, in, out));
  TU_OK_GROUP(c8, symclone_group_act_planar(c8, 1, 1, 3, 4, in, out));
  TU_OK_GROUP(c8, symclone_group_act_planar(c8, 4, 1, 3, 5, in, out));
  TU_OK_GROUP(t2, symclone_group_act_group(t2, 5, 1, 7, 3, 4, in, out));
  free(in);
  free(out);
  symclone_group_free(t2);
  symclone_group_free(c4);
  symclone_group_free(c8);
  symclone_group_free(c2);
}
END_TEST

/* ---- layer.h: creation ---- */

START_TEST(conv_family_create_rejects_every_bad_argument) {
  const symclone_padding V = SYMCLONE_PADDING_VALID, Z = SYMCLONE_PADDING_ZERO;
  /* NULL out */
  ck_assert_int_eq(symclone_layer_create_conv2d(NULL, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_lifting(NULL, 4, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_group_conv(NULL, 4, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_NULL);
  /* sizes < 1 */
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 0, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 0, 3, 5, 5, V, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 3, 0, 5, Z, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 3, 5, -5, Z, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 4, -1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 4, 1, 0, 3, 5, 5, V, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 4, 1, 1, 3, 5, 0, V, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 4, 1, 1, 3, INT_MIN, 5, V, 1),
                      SYMCLONE_ERR_SIZE);
  /* kernels: even, < 1, larger than a VALID input */
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 2, 5, 5, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 4, 5, 5, Z, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 0, 5, 5, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, -3, 5, 5, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 7, 5, 5, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 5, 9, 3, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 4, 1, 1, 6, 9, 9, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 4, 1, 1, 11, 9, 9, V, 1), SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 4, 1, 1, 2, 9, 9, V, 1),
                      SYMCLONE_ERR_KERNEL);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 4, 1, 1, 11, 9, 9, V, 1),
                      SYMCLONE_ERR_KERNEL);
  /* orientations < 1 */
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 0, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, -4, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 0, 1, 1, 3, 5, 5, V, 1), SYMCLONE_ERR_GROUP);
  /* unknown padding */
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 3, 5, 5, (symclone_padding)3, 1),
                      SYMCLONE_ERR_ARG);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 3, 5, 5, (symclone_padding)-1, 1),
                      SYMCLONE_ERR_ARG);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 4, 1, 1, 3, 5, 5, (symclone_padding)7, 1),
                      SYMCLONE_ERR_ARG);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 4, 1, 1, 3, 5, 5, (symclone_padding)99, 1),
                      SYMCLONE_ERR_ARG);
  /* sizes that overflow: one sample, the filter bank, the expanded bank,
   * and a kernel whose square overflows an int */
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 1, 65536, 65536, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, INT_MAX, 2, 3, 5, 5, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, INT_MAX, INT_MAX, 1, 1, 1, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_lifting(&l, 360, 1, INT_MAX / 100, 1, 1, 1, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_group_conv(&l, 360, INT_MAX / 100, 1, 1, 1, 1, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 46341, 46341, 46341, Z, 0),
                      SYMCLONE_ERR_OVERFLOW);
  EXPECT_LAYER_CREATE(symclone_layer_create_conv2d(&l, 1, 1, 65537, 65537, 65537, V, 0),
                      SYMCLONE_ERR_OVERFLOW);
}
END_TEST

START_TEST(simple_layer_create_rejects_every_bad_argument) {
  ck_assert_int_eq(symclone_layer_create_dense(NULL, 3, 3, 1), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_relu(NULL, 1, 1, 2, 2), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_maxpool2(NULL, 1, 1, 2, 2), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_orient_pool(NULL, 1, 4, 2, 2, SYMCLONE_POOL_MAX),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_create_global_avgpool(NULL, 1, 1, 2, 2), SYMCLONE_ERR_NULL);

  EXPECT_LAYER_CREATE(symclone_layer_create_dense(&l, 0, 3, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_dense(&l, 3, -1, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_dense(&l, INT_MAX, INT_MAX, 1), SYMCLONE_ERR_OVERFLOW);

  EXPECT_LAYER_CREATE(symclone_layer_create_relu(&l, 0, 1, 2, 2), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_relu(&l, 1, 1, 0, 2), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_relu(&l, 1, 1, 2, -2), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_relu(&l, 1, 0, 2, 2), SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_relu(&l, INT_MAX, 2, 2, 2), SYMCLONE_ERR_OVERFLOW);

  EXPECT_LAYER_CREATE(symclone_layer_create_maxpool2(&l, 1, 1, 1, 4), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_maxpool2(&l, 1, 1, 4, 1), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_maxpool2(&l, -1, 1, 4, 4), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_maxpool2(&l, 1, -1, 4, 4), SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_maxpool2(&l, 2, 2, 65536, 65536), SYMCLONE_ERR_OVERFLOW);

  EXPECT_LAYER_CREATE(symclone_layer_create_orient_pool(&l, 1, 4, 2, 2, (symclone_pool_mode)2),
                      SYMCLONE_ERR_ARG);
  EXPECT_LAYER_CREATE(symclone_layer_create_orient_pool(&l, 1, 4, 2, 2, (symclone_pool_mode)-1),
                      SYMCLONE_ERR_ARG);
  EXPECT_LAYER_CREATE(symclone_layer_create_orient_pool(&l, 0, 4, 2, 2, SYMCLONE_POOL_MEAN),
                      SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_orient_pool(&l, 1, 0, 2, 2, SYMCLONE_POOL_MEAN),
                      SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_orient_pool(&l, INT_MAX, INT_MAX, 2, 2, SYMCLONE_POOL_MAX),
                      SYMCLONE_ERR_OVERFLOW);

  EXPECT_LAYER_CREATE(symclone_layer_create_global_avgpool(&l, 1, 1, 2, 0), SYMCLONE_ERR_SIZE);
  EXPECT_LAYER_CREATE(symclone_layer_create_global_avgpool(&l, 1, 0, 2, 2), SYMCLONE_ERR_GROUP);
  EXPECT_LAYER_CREATE(symclone_layer_create_global_avgpool(&l, 3, 3, INT_MAX, INT_MAX),
                      SYMCLONE_ERR_OVERFLOW);
}
END_TEST

/* ---- layer.h: queries and calls ---- */

START_TEST(layer_queries_on_null_return_their_documented_values) {
  ck_assert_int_eq(symclone_layer_kind_of(NULL), 0);
  ck_assert_uint_eq(symclone_layer_input_size(NULL), 0);
  ck_assert_uint_eq(symclone_layer_output_size(NULL), 0);
  ck_assert_uint_eq(symclone_layer_param_count(NULL), 0);
  ck_assert_uint_eq(symclone_layer_weight_count(NULL), 0);
  ck_assert_int_eq(symclone_layer_kernel(NULL), 0);
  ck_assert_int_eq(symclone_layer_orientations(NULL), 0);
  ck_assert_int_eq(symclone_layer_padding(NULL), SYMCLONE_PADDING_NONE);
  ck_assert_int_eq(symclone_layer_is_linear(NULL), 0);
  ck_assert_uint_eq(symclone_layer_workspace_size(NULL, 4), 0);
  ck_assert_ptr_nonnull(symclone_layer_last_error(NULL));
  ck_assert_str_eq(symclone_layer_last_error(NULL), "");
  int shp[4] = {77, 77, 77, 77};
  ck_assert_int_eq(symclone_layer_input_shape(NULL, shp), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_output_shape(NULL, shp), SYMCLONE_ERR_NULL);
  ck_assert(shp[0] == 77 && shp[1] == 77 && shp[2] == 77 && shp[3] == 77);
  float f[8] = {0}, y[8] = {SENT_F, SENT_F, SENT_F, SENT_F, SENT_F, SENT_F, SENT_F, SENT_F};
  ck_assert_int_eq(symclone_layer_init_params(NULL, 1, y), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_forward(NULL, f, 1, f, y, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_backward(NULL, f, 1, f, f, y, y, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_unroll(NULL, f, y), SYMCLONE_ERR_NULL);
  ck_assert(all_equal(y, 8, SENT_F));
}
END_TEST

START_TEST(layer_shape_queries_reject_null_shape) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_relu(&l, 1, 1, 2, 2));
  ck_assert_str_eq(symclone_layer_last_error(l), "");
  EXPECT_LAYER_FAIL(l, symclone_layer_input_shape(l, NULL), SYMCLONE_ERR_NULL, "shape");
  EXPECT_LAYER_FAIL(l, symclone_layer_output_shape(l, NULL), SYMCLONE_ERR_NULL, "shape");
  symclone_layer_free(l);
}
END_TEST

START_TEST(init_params_rejects_null_params) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_conv2d(&l, 1, 1, 3, 4, 4, SYMCLONE_PADDING_ZERO, 1));
  EXPECT_LAYER_FAIL(l, symclone_layer_init_params(l, 1, NULL), SYMCLONE_ERR_NULL, "params");
  symclone_layer_free(l);
}
END_TEST

/* forward and backward of one layer with each argument made bad in turn */
static void check_calls(symclone_layer *l, int has_params) {
  size_t batch = 2, in_sz = symclone_layer_input_size(l) * batch,
         out_sz = symclone_layer_output_size(l) * batch, np = symclone_layer_param_count(l);
  float *p = has_params ? tu_normal_floats(np, 1) : NULL;
  float *x = tu_normal_floats(in_sz, 2), *dy = tu_normal_floats(out_sz, 3);
  float *y = sentinel_floats(out_sz), *dx = sentinel_floats(in_sz);
  float *dp = has_params ? sentinel_floats(np) : NULL;

  if (has_params) {
    EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, NULL, batch, x, y, NULL), SYMCLONE_ERR_NULL,
                      "params");
    EXPECT_LAYER_FAIL(l, symclone_layer_backward(l, NULL, batch, x, dy, dx, dp, NULL),
                      SYMCLONE_ERR_NULL, "params");
  }
  EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, p, batch, NULL, y, NULL), SYMCLONE_ERR_NULL,
                    "x is NULL");
  EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, p, batch, x, NULL, NULL), SYMCLONE_ERR_NULL,
                    "y is NULL");
  EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, p, 0, x, y, NULL), SYMCLONE_ERR_SIZE, "batch");
  EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, p, SIZE_MAX, x, y, NULL), SYMCLONE_ERR_OVERFLOW,
                    "batch");
  EXPECT_LAYER_FAIL(l, symclone_layer_forward(l, p, (size_t)INT_MAX + 1, x, y, NULL),
                    SYMCLONE_ERR_OVERFLOW, "batch");
  EXPECT_LAYER_FAIL(l, symclone_layer_backward(l, p, batch, NULL, dy, dx, dp, NULL),
                    SYMCLONE_ERR_NULL, "x is NULL");
  EXPECT_LAYER_FAIL(l, symclone_layer_backward(l, p, batch, x, NULL, dx, dp, NULL),
                    SYMCLONE_ERR_NULL, "dy is NULL");
  EXPECT_LAYER_FAIL(l, symclone_layer_backward(l, p, 0, x, dy, dx, dp, NULL), SYMCLONE_ERR_SIZE,
                    "batch");
  EXPECT_LAYER_FAIL(l, symclone_layer_backward(l, p, SIZE_MAX / 2, x, dy, dx, dp, NULL),
                    SYMCLONE_ERR_OVERFLOW, "batch");
  ck_assert_msg(all_equal(y, out_sz, SENT_F), "y written by a failing forward");
  ck_assert_msg(all_equal(dx, in_sz, SENT_F), "dx written by a failing backward");
  if (dp) ck_assert_msg(all_equal(dp, np, SENT_F), "dparams written by a failing backward");
  /* and the same layer works with good arguments */
  TU_OK_LAYER(l, symclone_layer_forward(l, p, batch, x, y, NULL));
  TU_OK_LAYER(l, symclone_layer_backward(l, p, batch, x, dy, dx, dp, NULL));
  free(p);
  free(x);
  free(dy);
  free(y);
  free(dx);
  free(dp);
}

START_TEST(forward_and_backward_reject_null_zero_and_overflowing_arguments) {
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_conv2d(&l, 2, 2, 3, 5, 5, SYMCLONE_PADDING_VALID, 1));
  check_calls(l, 1);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_lifting(&l, 4, 1, 2, 3, 5, 5, SYMCLONE_PADDING_ZERO, 1));
  check_calls(l, 1);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_group_conv(&l, 8, 1, 1, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 0));
  check_calls(l, 1);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_dense(&l, 6, 3, 1));
  check_calls(l, 1);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_relu(&l, 2, 1, 3, 3));
  check_calls(l, 0);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_maxpool2(&l, 2, 4, 4, 4));
  check_calls(l, 0);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_orient_pool(&l, 2, 4, 3, 3, SYMCLONE_POOL_MAX));
  check_calls(l, 0);
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_global_avgpool(&l, 2, 4, 3, 3));
  check_calls(l, 0);
  symclone_layer_free(l);
}
END_TEST

START_TEST(unroll_rejects_nonlinear_layers_and_null_arguments) {
  float m[64];
  for (int t = 0; t < 64; t++) m[t] = SENT_F;
  symclone_layer *l = NULL;
  TU_OK(symclone_layer_create_relu(&l, 1, 1, 2, 2));
  ck_assert_int_eq(symclone_layer_is_linear(l), 0);
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, m), SYMCLONE_ERR_UNSUPPORTED, "linear");
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_maxpool2(&l, 1, 1, 2, 2));
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, m), SYMCLONE_ERR_UNSUPPORTED, "linear");
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_orient_pool(&l, 1, 2, 2, 2, SYMCLONE_POOL_MAX));
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, m), SYMCLONE_ERR_UNSUPPORTED, "linear");
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_conv2d(&l, 1, 1, 1, 2, 2, SYMCLONE_PADDING_VALID, 0));
  float w = 1.0f;
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, m), SYMCLONE_ERR_NULL, "params");
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, &w, NULL), SYMCLONE_ERR_NULL, "matrix");
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_dense(&l, 4, 4, 0));
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, m), SYMCLONE_ERR_NULL, "params");
  symclone_layer_free(l);
  TU_OK(symclone_layer_create_global_avgpool(&l, 1, 1, 2, 2));
  EXPECT_LAYER_FAIL(l, symclone_layer_unroll(l, NULL, NULL), SYMCLONE_ERR_NULL, "matrix");
  symclone_layer_free(l);
  ck_assert_msg(all_equal(m, 64, SENT_F), "matrix written by a failing unroll");
}
END_TEST

static Suite *badinput_suite(void) {
  Suite *s = suite_create("badinput");
  TCase *tc = tcase_create("common");
  tcase_add_test(tc, strerror_names_every_status_distinctly);
  tcase_add_test(tc, run_time_version_matches_the_headers);
  tcase_add_test(tc, free_accepts_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("group");
  tcase_add_test(tc, group_create_rejects_null_bad_sizes_and_overflow_without_writing_out);
  tcase_add_test(tc, group_queries_on_null_return_their_documented_values);
  tcase_add_test(tc, group_compose_and_inverse_reject_null_and_non_elements);
  tcase_add_test(tc, t2_element_and_shift_reject_cyclic_groups_and_non_elements);
  tcase_add_test(tc, group_actions_reject_bad_fields_and_leave_out_untouched);
  suite_add_tcase(s, tc);

  tc = tcase_create("layer");
  tcase_add_test(tc, conv_family_create_rejects_every_bad_argument);
  tcase_add_test(tc, simple_layer_create_rejects_every_bad_argument);
  tcase_add_test(tc, layer_queries_on_null_return_their_documented_values);
  tcase_add_test(tc, layer_shape_queries_reject_null_shape);
  tcase_add_test(tc, init_params_rejects_null_params);
  tcase_add_test(tc, forward_and_backward_reject_null_zero_and_overflowing_arguments);
  tcase_add_test(tc, unroll_rejects_nonlinear_layers_and_null_arguments);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run(badinput_suite()); }
