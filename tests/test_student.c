/* Students: the exact B = P construction against the teacher, gradients
 * against central finite differences, the effective matrix, the Toeplitz
 * distance, the exact relative loss, save/load and damaged files, bad
 * input. */
/* mknod and makedev are extensions to the POSIX level the tests build at. */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <symclone/symclone.h>

static float *randv(size_t n, unsigned seed) {
  float *v = malloc(n * sizeof *v);
  srand(seed);
  for (size_t i = 0; i < n; i++) v[i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
  return v;
}

static double rel_err(const float *a, const float *b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - b[i];
    num += d * d;
    den += (double)b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

typedef struct {
  symclone_student_kind kind;
  int n, k, h, w;
  symclone_padding pad;
} geom;

static const geom geoms[] = {
    {SYMCLONE_STUDENT_PLANAR, 1, 3, 7, 6, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_PLANAR, 1, 3, 6, 6, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_PLANAR, 1, 5, 7, 7, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_LIFTING, 4, 3, 7, 7, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_LIFTING, 4, 3, 6, 6, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_LIFTING, 8, 3, 6, 6, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_GROUP, 4, 3, 6, 6, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_GROUP, 4, 3, 5, 5, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_GROUP, 2, 3, 5, 6, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 3, 6, 6, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 1, 3, 5, 6, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_DIHEDRAL_GROUP, 2, 3, 5, 6, SYMCLONE_PADDING_ZERO},
};
#define NGEOMS ((int)(sizeof geoms / sizeof geoms[0]))

static symclone_student *make(const geom *g, int blocks) {
  symclone_student *s = NULL;
  ck_assert_int_eq(symclone_student_create(&s, g->kind, g->n, g->k, g->h, g->w, g->pad, blocks, 7),
                   SYMCLONE_OK);
  return s;
}

START_TEST(exact_construction_reproduces_teacher) {
  const geom *g = &geoms[_i];
  symclone_student *s = make(g, g->k * g->k);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  symclone_layer *t;
  ck_assert_int_eq(symclone_student_teacher(s, &t), SYMCLONE_OK);
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  ck_assert_uint_eq(in, symclone_layer_input_size(t));
  ck_assert_uint_eq(out, symclone_layer_output_size(t));
  size_t P = symclone_student_theta_size(s);
  ck_assert_uint_eq(P, symclone_layer_param_count(t));
  const size_t batch = 3;
  float *theta = randv(P, 1), *x = randv(batch * in, 2);
  float *ys = malloc(batch * out * sizeof *ys), *yt = malloc(batch * out * sizeof *yt);
  ck_assert_int_eq(symclone_student_forward(s, theta, batch, x, ys), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_forward(t, theta, batch, x, yt, NULL), SYMCLONE_OK);
  ck_assert_double_le(rel_err(ys, yt, batch * out), 1e-5);
  /* effective matrix == unrolled teacher */
  float *m = malloc(in * out * sizeof *m), *k = malloc(in * out * sizeof *k);
  ck_assert_int_eq(symclone_student_effective_matrix(s, theta, m), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_unroll(t, theta, k), SYMCLONE_OK);
  ck_assert_double_le(rel_err(m, k, in * out), 1e-5);
  double d, per[8];
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 3, 5, &d, per), SYMCLONE_OK);
  ck_assert_double_le(d, 1e-5);
  for (int r = 0; r < symclone_student_output_shape(s, (int[4]){0}) + g->n && r < g->n; r++)
    if (g->kind != SYMCLONE_STUDENT_PLANAR) ck_assert_double_le(per[r], 1e-5);
  free(theta), free(x), free(ys), free(yt), free(m), free(k);
  symclone_layer_free(t);
  symclone_student_free(s);
}
END_TEST

START_TEST(effective_matrix_matches_forward) {
  const geom *g = &geoms[_i];
  symclone_student *s = make(g, 4);
  /* random parameters everywhere so that every part contributes */
  float *prm = symclone_student_params(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  float *r = randv(np, 3);
  memcpy(prm, r, np * sizeof *prm);
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t P = symclone_student_theta_size(s);
  float *theta = randv(P, 4), *x = randv(2 * in, 5);
  float *y = malloc(2 * out * sizeof *y), *ym = calloc(2 * out, sizeof *ym);
  float *m = malloc(in * out * sizeof *m);
  ck_assert_int_eq(symclone_student_forward(s, theta, 2, x, y), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_effective_matrix(s, theta, m), SYMCLONE_OK);
  for (size_t b = 0; b < 2; b++)
    for (size_t o = 0; o < out; o++) {
      double acc = 0;
      for (size_t i = 0; i < in; i++) acc += (double)m[o * in + i] * x[b * in + i];
      ym[b * out + o] = (float)acc;
    }
  ck_assert_double_le(rel_err(y, ym, 2 * out), 1e-5);
  free(r), free(theta), free(x), free(y), free(ym), free(m);
  symclone_student_free(s);
}
END_TEST

/* L = sum(w * y) for fixed random w; checks d/dparams, d/dtheta, d/dx. */
static double objective(symclone_student *s, const float *theta, const float *x, size_t batch,
                        const float *w) {
  size_t out = symclone_student_output_size(s);
  float *y = malloc(batch * out * sizeof *y);
  ck_assert_int_eq(symclone_student_forward(s, theta, batch, x, y), SYMCLONE_OK);
  double l = 0;
  for (size_t i = 0; i < batch * out; i++) l += (double)w[i] * y[i];
  free(y);
  return l;
}

static void check_fd(const char *what, float *v, size_t n, const float *grad,
                     symclone_student *s, const float *theta, const float *x, size_t batch,
                     const float *w) {
  const float eps = 1e-2f;
  size_t stride = n / 23 + 1;
  for (size_t i = 0; i < n; i += stride) {
    float keep = v[i];
    v[i] = keep + eps;
    double lp = objective(s, theta, x, batch, w);
    v[i] = keep - eps;
    double lm = objective(s, theta, x, batch, w);
    v[i] = keep;
    double fd = (lp - lm) / (2.0 * eps);
    double tol = 2e-3 * (1.0 + fabs(fd));
    if (fabs(fd - grad[i]) > tol)
      ck_abort_msg("%s[%zu]: analytic %g, finite difference %g", what, i, (double)grad[i], fd);
  }
}

START_TEST(gradients_match_finite_differences) {
  const geom *g = &geoms[_i];
  symclone_student *s = make(g, 5);
  float *prm = symclone_student_params(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  float *r = randv(np, 11);
  for (size_t i = 0; i < np; i++) prm[i] = 0.5f * r[i];
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t P = symclone_student_theta_size(s), batch = 2;
  float *theta = randv(P, 12), *x = randv(batch * in, 13), *w = randv(batch * out, 14);
  float *dp = calloc(np, sizeof *dp), *dth = calloc(P, sizeof *dth),
        *dx = malloc(batch * in * sizeof *dx);
  ck_assert_int_eq(symclone_student_backward(s, theta, batch, x, w, dx, dp, dth), SYMCLONE_OK);
  check_fd("params", prm, np, dp, s, theta, x, batch, w);
  check_fd("theta", theta, P, dth, s, theta, x, batch, w);
  check_fd("x", x, batch * in, dx, s, theta, x, batch, w);
  /* gradients accumulate */
  float *dp2 = malloc(np * sizeof *dp2);
  memcpy(dp2, dp, np * sizeof *dp2);
  ck_assert_int_eq(symclone_student_backward(s, theta, batch, x, w, NULL, dp2, NULL), SYMCLONE_OK);
  for (size_t i = 0; i < np; i++) ck_assert_float_eq_tol(dp2[i], 2 * dp[i], 1e-4 + 1e-4 * fabsf(dp[i]));
  free(r), free(theta), free(x), free(w), free(dp), free(dth), free(dx), free(dp2);
  symclone_student_free(s);
}
END_TEST

START_TEST(random_student_is_far_from_teacher) {
  symclone_student *s = make(&geoms[0], 9);
  double d;
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 2, 1, &d, NULL), SYMCLONE_OK);
  ck_assert_double_ge(d, 0.99); /* blocks start at zero: M = 0 */
  symclone_student_free(s);
}
END_TEST

START_TEST(exact_needs_p_blocks) {
  symclone_student *s = make(&geoms[0], 7);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_ERR_STATE);
  ck_assert_str_ne(symclone_student_last_error(s), "");
  symclone_student_free(s);
}
END_TEST

START_TEST(parts_get_set_round_trip) {
  symclone_student *s = make(&geoms[3], 5);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  size_t na = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_COEFFS);
  size_t nt = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_TRANSFORMS);
  ck_assert_uint_eq(nb, 5u * 25 * 49);
  ck_assert_uint_eq(na, 5u * 9);
  ck_assert_uint_eq(nt, 4u * 9 * 9); /* T_0..T_3 */
  ck_assert_uint_eq(nb + na + nt, symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL));
  float *a = randv(na, 3), *b = malloc(na * sizeof *b);
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_COEFFS, a, na), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_COEFFS, b, na), SYMCLONE_OK);
  ck_assert_mem_eq(a, b, na * sizeof *a);
  ck_assert_mem_eq(symclone_student_params(s) + nb, a, na * sizeof *a);
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_COEFFS, a, na - 1), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_get_params(s, (symclone_student_part)9, b, na), SYMCLONE_ERR_ARG);
  free(a), free(b);
  symclone_student_free(s);
}
END_TEST

/* ---- files -------------------------------------------------------------- */

static char dir[256];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/symclone-test-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*len + 16);
  ck_assert_uint_eq(fread(b, 1, *len, f), *len);
  fclose(f);
  return b;
}

static void spit(const char *path, const unsigned char *b, size_t len) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(b, 1, len, f), len);
  fclose(f);
}

static int count_files(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  ck_assert_int_eq(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

START_TEST(save_load_round_trip) {
  make_dir();
  for (int gi = 0; gi < NGEOMS; gi++) {
    symclone_student *s = make(&geoms[gi], 3), *l = NULL;
    float *prm = symclone_student_params(s);
    size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
    float *r = randv(np, (unsigned)gi);
    memcpy(prm, r, np * sizeof *prm);
    char path[300];
    snprintf(path, sizeof path, "%s/s.scs", dir);
    ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
    ck_assert_int_eq(symclone_student_load(&l, path, NULL), SYMCLONE_OK);
    ck_assert_int_eq(symclone_student_kind_of(l), geoms[gi].kind);
    ck_assert_int_eq(symclone_student_orientations(l), symclone_student_orientations(s));
    ck_assert_uint_eq(symclone_student_output_size(l), symclone_student_output_size(s));
    ck_assert_int_eq(symclone_student_blocks(l), 3);
    ck_assert_int_eq(symclone_student_kernel(l), geoms[gi].k);
    ck_assert_int_eq(symclone_student_padding(l), (int)geoms[gi].pad);
    ck_assert_uint_eq(symclone_student_param_count(l, SYMCLONE_STUDENT_PART_ALL), np);
    ck_assert_mem_eq(symclone_student_params(l), r, np * sizeof *r);
    ck_assert_int_eq(count_files(), 1); /* no temporary file left behind */
    free(r);
    symclone_student_free(s);
    symclone_student_free(l);
  }
  remove_dir();
}
END_TEST

/* A student with a non-finite parameter is not saved, since the loader
 * would refuse the file: the status says so, the message names the
 * parameter, and the file already at the path is untouched. */
START_TEST(save_refuses_a_non_finite_parameter) {
  make_dir();
  symclone_student *s = make(&geoms[0], 3), *l = NULL;
  char path[300];
  snprintf(path, sizeof path, "%s/s.scs", dir);
  ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  const float bad[2] = {NAN, -INFINITY};
  const char *words[2] = {"NaN", "infinite"};
  for (int b = 0; b < 2; b++) {
    float *prm = symclone_student_params(s);
    float keep = prm[np - 1];
    prm[np - 1] = bad[b];
    ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), words[b]));
    char idx[32];
    snprintf(idx, sizeof idx, "parameter %zu", np - 1);
    ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), idx));
    prm[np - 1] = keep;
    /* the earlier file is still there and loads */
    ck_assert_int_eq(symclone_student_load(&l, path, NULL), SYMCLONE_OK);
    ck_assert_mem_eq(symclone_student_params(l), prm, np * sizeof *prm);
    symclone_student_free(l);
    l = NULL;
    ck_assert_int_eq(count_files(), 1);
  }
  symclone_student_free(s);
  remove_dir();
}
END_TEST

static void expect_refused(const char *path, symclone_status want) {
  symclone_student *l = (symclone_student *)0x1;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  symclone_status st = symclone_student_load(&l, path, loader);
  const char *msg = symclone_loader_last_error(loader);
  ck_assert_msg(st == want, "%s: got %d (%s), want %d", path, st, msg, want);
  ck_assert_ptr_eq(l, (symclone_student *)0x1);
  ck_assert_str_ne(msg, "");
  symclone_loader_free(loader);
}

START_TEST(damaged_files_are_refused) {
  make_dir();
  symclone_student *s = make(&geoms[3], 2);
  char path[300], bad[300];
  snprintf(path, sizeof path, "%s/good.scs", dir);
  snprintf(bad, sizeof bad, "%s/bad.scs", dir);
  ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
  size_t len;
  unsigned char *b = slurp(path, &len);
  /* truncated at every interesting length */
  size_t cuts[] = {0, 4, 8, 11, 30, 55, 56, 100, len / 2, len - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    spit(bad, b, cuts[i]);
    expect_refused(bad, SYMCLONE_ERR_TRUNCATED); /* an empty file too */
  }
  /* a flipped bit anywhere in the data: checksum */
  size_t spots[] = {60, len / 2, len - 5};
  for (size_t i = 0; i < 3; i++) {
    b[spots[i]] ^= 0x10;
    spit(bad, b, len);
    expect_refused(bad, SYMCLONE_ERR_CORRUPT);
    b[spots[i]] ^= 0x10;
  }
  /* wrong checksum bytes themselves */
  b[len - 1] ^= 1;
  spit(bad, b, len);
  expect_refused(bad, SYMCLONE_ERR_CORRUPT);
  b[len - 1] ^= 1;
  /* trailing garbage */
  b[len] = 0;
  spit(bad, b, len + 1);
  expect_refused(bad, SYMCLONE_ERR_CORRUPT);
  /* foreign file */
  spit(bad, (const unsigned char *)"P5\n3 3\n255\n123456789", 20);
  expect_refused(bad, SYMCLONE_ERR_FORMAT);
  /* a future version */
  b[8] = 99;
  spit(bad, b, len);
  expect_refused(bad, SYMCLONE_ERR_VERSION);
  b[8] = 1;
  /* missing file, directory */
  snprintf(bad, sizeof bad, "%s/missing.scs", dir);
  expect_refused(bad, SYMCLONE_ERR_IO);
  expect_refused(dir, SYMCLONE_ERR_PATH);
  /* saving into a missing directory fails cleanly */
  snprintf(bad, sizeof bad, "%s/no/such/dir.scs", dir);
  ck_assert_int_eq(symclone_student_save(s, bad), SYMCLONE_ERR_IO);
  ck_assert_str_ne(symclone_student_last_error(s), "");
  /* the good file still loads after all that */
  symclone_student *l;
  ck_assert_int_eq(symclone_student_load(&l, path, NULL), SYMCLONE_OK);
  symclone_student_free(l);
  free(b);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* The CRC-32 of the file format (ISO-HDLC, reflected 0xEDB88320), bit by
 * bit: the tests rewrite a header field and seal the file again. */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Write b with field `at` set to v and the checksum made right again. */
static void spit_field(const char *path, unsigned char *b, size_t len, size_t at, uint32_t v) {
  unsigned char keep[4];
  memcpy(keep, b + at, 4);
  put32(b + at, v);
  put32(b + len - 4, crc32_bitwise(b, len - 4));
  spit(path, b, len);
  memcpy(b + at, keep, 4);
  put32(b + len - 4, crc32_bitwise(b, len - 4));
}

static void expect_message(const char *path, symclone_status want, const char *part) {
  symclone_student *l = NULL;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  symclone_status st = symclone_student_load(&l, path, loader);
  const char *msg = symclone_loader_last_error(loader);
  ck_assert_msg(st == want, "got %d (%s), want %d", st, msg, want);
  ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
  ck_assert_ptr_null(l);
  symclone_loader_free(loader);
}

/* A well-sealed file with a non-zero reserved field, a NaN or infinite
 * weight, a bad kind or an even kernel: each refused, naming the field. */
START_TEST(loader_names_the_bad_field) {
  make_dir();
  symclone_student *s = make(&geoms[3], 2);
  char path[300], bad[300];
  snprintf(path, sizeof path, "%s/good.scs", dir);
  snprintf(bad, sizeof bad, "%s/bad.scs", dir);
  ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
  size_t len;
  unsigned char *b = slurp(path, &len);
  ck_assert_uint_eq(crc32_bitwise(b, len - 4),
                    (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 |
                        (uint32_t)b[len - 2] << 16 | (uint32_t)b[len - 1] << 24);
  spit_field(bad, b, len, 44, 1);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "reserved");
  spit_field(bad, b, len, 16, 9);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "kind=9");
  spit_field(bad, b, len, 16, 6);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "kind=6");
  /* a C4 lifting student relabelled as a D4 one: its floats do not fit */
  spit_field(bad, b, len, 16, SYMCLONE_STUDENT_DIHEDRAL_LIFTING);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "float count");
  spit_field(bad, b, len, 24, 4);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "kernel=4");
  spit_field(bad, b, len, 36, 7);
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "padding=7");
  spit_field(bad, b, len, 56 + 4 * 5, 0x7FC00000u); /* a quiet NaN */
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "parameter 5 is NaN");
  spit_field(bad, b, len, len - 8, 0xFF800000u); /* -Inf, the last weight */
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "is infinite");
  /* the untouched file still loads */
  spit(bad, b, len);
  symclone_student *l;
  ck_assert_int_eq(symclone_student_load(&l, bad, NULL), SYMCLONE_OK);
  symclone_student_free(l);
  free(b);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* A FIFO with no writer: the loader refuses it at once instead of waiting
 * for data (the alarm fails the test if it blocks). */
START_TEST(loader_refuses_a_fifo_without_blocking) {
  make_dir();
  char fifo[300];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  alarm(10);
  expect_message(fifo, SYMCLONE_ERR_PATH, "not a regular file");
  alarm(0);
  expect_message(dir, SYMCLONE_ERR_PATH, "not a regular file");
  remove_dir();
}
END_TEST

/* Saving follows the policy of docs/reliability.md: through a symbolic
 * link, never over a FIFO or a directory, never over a file nobody may
 * write (even as root), keeping the replaced file's permission bits, and
 * leaving no temporary file. */
START_TEST(save_policy_on_links_specials_and_modes) {
  make_dir();
  symclone_student *a = make(&geoms[0], 2), *b2 = make(&geoms[3], 2), *l;
  char target[300], link[300], fifo[300], sub[300], ro[300];
  snprintf(target, sizeof target, "%s/target.scs", dir);
  snprintf(link, sizeof link, "%s/link.scs", dir);
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(sub, sizeof sub, "%s/sub", dir);
  snprintf(ro, sizeof ro, "%s/ro.scs", dir);
  /* through a relative symbolic link */
  ck_assert_int_eq(symclone_student_save(a, target), SYMCLONE_OK);
  ck_assert_int_eq(symlink("target.scs", link), 0);
  ck_assert_int_eq(chmod(target, 0640), 0);
  ck_assert_int_eq(symclone_student_save(b2, link), SYMCLONE_OK);
  struct stat sb;
  ck_assert_int_eq(lstat(link, &sb), 0);
  ck_assert_msg(S_ISLNK(sb.st_mode), "the link was replaced by a file");
  ck_assert_int_eq(lstat(target, &sb), 0);
  ck_assert(S_ISREG(sb.st_mode));
  ck_assert_int_eq(sb.st_mode & 07777, 0640);
  ck_assert_int_eq(symclone_student_load(&l, target, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_kind_of(l), SYMCLONE_STUDENT_LIFTING);
  symclone_student_free(l);
  ck_assert_int_eq(count_files(), 2);
  /* a FIFO and a directory are never replaced */
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(symclone_student_save(a, fifo), SYMCLONE_ERR_PATH);
  ck_assert_int_eq(lstat(fifo, &sb), 0);
  ck_assert(S_ISFIFO(sb.st_mode));
  ck_assert_int_eq(mkdir(sub, 0700), 0);
  ck_assert_int_eq(symclone_student_save(a, sub), SYMCLONE_ERR_PATH);
  ck_assert_int_eq(lstat(sub, &sb), 0);
  ck_assert(S_ISDIR(sb.st_mode));
  /* a device node (a copy of /dev/full's, made where root may): refused
   * and left a device */
  char dev[300];
  snprintf(dev, sizeof dev, "%s/full", dir);
  int have_dev = geteuid() == 0 && mknod(dev, S_IFCHR | 0666, makedev(1, 7)) == 0;
  if (have_dev) {
    ck_assert_int_eq(symclone_student_save(a, dev), SYMCLONE_ERR_PATH);
    ck_assert_int_eq(lstat(dev, &sb), 0);
    ck_assert(S_ISCHR(sb.st_mode));
    ck_assert_int_eq(unlink(dev), 0);
  }
  /* a file without any write bit: refused, root or not, and untouched */
  ck_assert_int_eq(symclone_student_save(a, ro), SYMCLONE_OK);
  ck_assert_int_eq(chmod(ro, 0444), 0);
  ck_assert_int_eq(symclone_student_save(b2, ro), SYMCLONE_ERR_IO);
  ck_assert_ptr_nonnull(strstr(symclone_student_last_error(b2), "EACCES"));
  ck_assert_int_eq(symclone_student_load(&l, ro, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_kind_of(l), SYMCLONE_STUDENT_PLANAR);
  symclone_student_free(l);
  ck_assert_int_eq(stat(ro, &sb), 0);
  ck_assert_int_eq(sb.st_mode & 07777, 0444);
  /* nothing else appeared: target, link, fifo, sub, ro */
  ck_assert_int_eq(count_files(), 5);
  symclone_student_free(a);
  symclone_student_free(b2);
  remove_dir();
}
END_TEST

START_TEST(bad_input_is_refused) {
  symclone_student *s = (symclone_student *)0x1;
  ck_assert_int_eq(symclone_student_create(NULL, SYMCLONE_STUDENT_PLANAR, 1, 3, 8, 8, 0, 9, 0),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_create(&s, (symclone_student_kind)9, 1, 3, 8, 8, 0, 9, 0),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 4, 8, 8, 0, 9, 0),
                   SYMCLONE_ERR_KERNEL);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 8, 8, 0, 0, 0),
                   SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 0, 3, 8, 8, 0, 9, 0),
                   SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 0, 8, 0, 9, 0),
                   SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 1 << 20, 1 << 20,
                                           0, 9, 0),
                   SYMCLONE_ERR_OVERFLOW);
  ck_assert_ptr_eq(s, (symclone_student *)0x1);
  symclone_student_free(NULL);
  ck_assert_int_eq(symclone_student_padding(NULL), SYMCLONE_PADDING_NONE);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 8, 8, 0, 9, 0),
                   SYMCLONE_OK);
  float th[9] = {0}, x[64] = {0}, y[36];
  ck_assert_int_eq(symclone_student_forward(NULL, th, 1, x, y), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_forward(s, NULL, 1, x, y), SYMCLONE_ERR_NULL);
  ck_assert_str_ne(symclone_student_last_error(s), "");
  ck_assert_int_eq(symclone_student_forward(s, th, 0, x, y), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_forward(s, th, 1, NULL, y), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_forward(s, th, (size_t)1 << 62, x, y), SYMCLONE_ERR_OVERFLOW);
  ck_assert_int_eq(symclone_student_backward(s, th, 1, x, NULL, NULL, NULL, NULL),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_effective_matrix(s, th, NULL), SYMCLONE_ERR_NULL);
  double d;
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 0, 0, &d, NULL), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_save(s, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_load(NULL, "x", NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_clone(s, NULL), SYMCLONE_ERR_NULL);
  symclone_student_free(s);
}
END_TEST

/* The exact relative loss against an independent computation: the student
 * and the teacher applied by their forward passes to every basis input at
 * every unit kernel, squares summed in double; and against the closed forms
 * of an exact student (0), an exact student with A scaled by c ((c - 1)^2)
 * and an untrained one (blocks zero: 1). */
START_TEST(relative_loss_matches_forward_passes_and_closed_forms) {
  const geom *g = &geoms[_i];
  int pc = g->k * g->k;
  symclone_student *s = make(g, pc);
  double rel = -1;
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_double_eq(rel, 1.0);

  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_double_le(rel, 1e-12);
  size_t na = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_COEFFS);
  float *a = malloc(na * sizeof *a);
  ck_assert_int_eq(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_COEFFS, a, na), SYMCLONE_OK);
  for (size_t j = 0; j < na; j++) a[j] *= 1.25f;
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_COEFFS, a, na), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_double_eq_tol(rel, 0.0625, 1e-6);
  free(a);

  /* random blocks, coefficients and transforms */
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  float *prm = randv(np, 11u + (unsigned)_i);
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_ALL, prm, np), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  symclone_layer *t;
  ck_assert_int_eq(symclone_student_teacher(s, &t), SYMCLONE_OK);
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  float *x = calloc(in * in, sizeof *x), *ys = malloc(in * out * sizeof *ys);
  float *yt = malloc(in * out * sizeof *yt), *theta = malloc(p * sizeof *theta);
  for (size_t j = 0; j < in; j++) x[j * in + j] = 1.0f;
  double num = 0, den = 0;
  for (size_t q = 0; q < p; q++) {
    memset(theta, 0, p * sizeof *theta);
    theta[q] = 1.0f;
    ck_assert_int_eq(symclone_student_forward(s, theta, in, x, ys), SYMCLONE_OK);
    ck_assert_int_eq(symclone_layer_forward(t, theta, in, x, yt, NULL), SYMCLONE_OK);
    for (size_t j = 0; j < in * out; j++) {
      double d = (double)ys[j] - yt[j];
      num += d * d;
      den += (double)yt[j] * yt[j];
    }
  }
  ck_assert_double_eq_tol(rel, num / den, 1e-5 * (num / den));
  ck_assert_double_gt(rel, 0.1);

  ck_assert_int_eq(symclone_student_relative_loss(NULL, &rel), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_relative_loss(s, NULL), SYMCLONE_ERR_NULL);
  ck_assert_str_ne(symclone_student_last_error(s), "");
  free(prm), free(x), free(ys), free(yt), free(theta);
  symclone_layer_free(t);
  symclone_student_free(s);
}
END_TEST

/* The exact dihedral students against the teacher's unrolled matrix, for
 * D1, D2 and D4, both kinds and every padding, orientation by orientation:
 * the 2n per-orientation distances and the rows of every orientation. */
START_TEST(dihedral_exact_matches_unrolled_teacher) {
  static const int ns[3] = {1, 2, 4};
  static const symclone_padding pads[3] = {SYMCLONE_PADDING_VALID, SYMCLONE_PADDING_ZERO,
                                           SYMCLONE_PADDING_CIRCULAR};
  symclone_student_kind kind =
      _i < 9 ? SYMCLONE_STUDENT_DIHEDRAL_LIFTING : SYMCLONE_STUDENT_DIHEDRAL_GROUP;
  int n = ns[(_i % 9) / 3];
  symclone_padding pad = pads[_i % 3];
  geom g = {kind, n, 3, 6, 6, pad};
  symclone_student *s = make(&g, 9);
  ck_assert_int_eq(symclone_student_orientations(s), n);
  int shape[4];
  ck_assert_int_eq(symclone_student_output_shape(s, shape), SYMCLONE_OK);
  ck_assert_int_eq(shape[1], 2 * n);
  ck_assert_int_eq(symclone_student_input_shape(s, shape), SYMCLONE_OK);
  ck_assert_int_eq(shape[1], kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP ? 2 * n : 1);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  symclone_layer *t;
  ck_assert_int_eq(symclone_student_teacher(s, &t), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_kind_of(t), kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP
                                                  ? SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV
                                                  : SYMCLONE_LAYER_DIHEDRAL_LIFTING);
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t P = symclone_student_theta_size(s);
  ck_assert_uint_eq(P, symclone_layer_param_count(t));
  ck_assert_uint_eq(in, symclone_layer_input_size(t));
  ck_assert_uint_eq(out, symclone_layer_output_size(t));
  float *theta = randv(P, 31u + (unsigned)_i);
  float *m = malloc(in * out * sizeof *m), *k = malloc(in * out * sizeof *k);
  ck_assert_int_eq(symclone_student_effective_matrix(s, theta, m), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_unroll(t, theta, k), SYMCLONE_OK);
  size_t rows = out / (size_t)(2 * n);
  for (int r = 0; r < 2 * n; r++) {
    double e = rel_err(m + (size_t)r * rows * in, k + (size_t)r * rows * in, rows * in);
    ck_assert_msg(e <= 1e-6, "orientation %d: relative error %g", r, e);
  }
  double d, per[8];
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 3, 5, &d, per), SYMCLONE_OK);
  ck_assert_double_le(d, 1e-6);
  for (int r = 0; r < 2 * n; r++) ck_assert_double_le(per[r], 1e-6);
  /* a wrong transform shows in the orientations it feeds, and only there */
  float *prm = symclone_student_params(s);
  size_t nt = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_TRANSFORMS);
  size_t off = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL) - nt;
  size_t per_t = nt / (size_t)(in / (size_t)(g.h * g.w) * 2 * n);
  float *last = prm + off + nt - per_t; /* orientation 2n-1's last transform */
  for (size_t j = 0; j < per_t; j++) last[j] = -last[j];
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 3, 5, &d, per), SYMCLONE_OK);
  ck_assert_double_gt(per[2 * n - 1], 0.1);
  for (int r = 0; r < 2 * n - 1; r++) ck_assert_double_le(per[r], 1e-6);
  free(theta), free(m), free(k);
  symclone_layer_free(t);
  symclone_student_free(s);
}
END_TEST

/* ---- restricted students and the closed-form best loss ------------------- */

/* The group of a student kind for the restriction tests. */
static symclone_group *group_of(symclone_student_kind kind, int n) {
  symclone_group *g = NULL;
  if (kind == SYMCLONE_STUDENT_DIHEDRAL_LIFTING || kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP)
    ck_assert_int_eq(symclone_group_create_dihedral(&g, n), SYMCLONE_OK);
  else
    ck_assert_int_eq(symclone_group_create_cyclic(&g, n), SYMCLONE_OK);
  return g;
}

/* Indices of the first subspaces (in the listing's order) whose
 * dimensions add up to `dim`, skipping `skip` (-1: none); the count. */
static int pick_subspaces(const symclone_group *g, int k, int dim, int skip, int *idx) {
  int count, n = 0, total = 0;
  ck_assert_int_eq(symclone_group_subspace_count(g, k, &count), SYMCLONE_OK);
  for (int i = 0; i < count && total < dim; i++) {
    int d;
    ck_assert_int_eq(symclone_group_subspace_info(g, k, i, &d, NULL, NULL, 0), SYMCLONE_OK);
    if (i == skip || total + d > dim) continue;
    idx[n++] = i;
    total += d;
  }
  ck_assert_int_eq(total, dim);
  return n;
}

typedef struct {
  const symclone_student *s;
  const float *theta;
} student_at;

static symclone_status student_op(void *user, size_t batch, const float *x, float *y) {
  const student_at *a = user;
  return symclone_student_forward(a->s, a->theta, batch, x, y);
}

/* The equivariance error of S(.; theta) under g (every element). */
static double equiv_error(const symclone_student *s, const symclone_group *g, const float *theta) {
  int in[4], out[4];
  symclone_student_input_shape(s, in);
  symclone_student_output_shape(s, out);
  symclone_diag *d;
  ck_assert_int_eq(symclone_diag_create(&d, g, in, out), SYMCLONE_OK);
  student_at a = {s, theta};
  double mean, max;
  ck_assert_int_eq(symclone_diag_equivariance_error(d, student_op, &a, &mean, &max), SYMCLONE_OK);
  symclone_diag_free(d);
  return max;
}

/* A planar student's family under g: max over the elements of
 * ||S(g x; rho(g) theta) - g S(x; theta)|| / ||g S(x; theta)||. */
static double planar_family_error(const symclone_student *s, const symclone_group *g,
                                  const float *theta) {
  int in[4], out[4], k = symclone_student_kernel(s);
  symclone_student_input_shape(s, in);
  symclone_student_output_shape(s, out);
  size_t ni = (size_t)in[2] * in[3], no = (size_t)out[2] * out[3];
  float *x = randv(ni, 11), *gx = malloc(ni * sizeof *gx), *y = malloc(no * sizeof *y);
  float *gy = malloc(no * sizeof *gy), *y2 = malloc(no * sizeof *y2);
  float *gt = malloc((size_t)k * k * sizeof *gt);
  double worst = 0.0;
  ck_assert_int_eq(symclone_student_forward(s, theta, 1, x, y), SYMCLONE_OK);
  for (int e = 1; e < symclone_group_order(g); e++) {
    ck_assert_int_eq(symclone_group_act_planar(g, e, 1, in[2], in[3], x, gx), SYMCLONE_OK);
    ck_assert_int_eq(symclone_group_act_planar(g, e, 1, k, k, theta, gt), SYMCLONE_OK);
    ck_assert_int_eq(symclone_group_act_planar(g, e, 1, out[2], out[3], y, gy), SYMCLONE_OK);
    ck_assert_int_eq(symclone_student_forward(s, gt, 1, gx, y2), SYMCLONE_OK);
    double err = rel_err(y2, gy, no);
    if (err > worst) worst = err;
  }
  free(x), free(gx), free(y), free(gy), free(y2), free(gt);
  return worst;
}

/* Kinds and groups of the projection test: a restricted student with
 * random blocks is equivariant at once. */
static const struct {
  symclone_student_kind kind;
  int n, dihedral_planar, h;
  symclone_padding pad;
} restricted_cases[] = {
    {SYMCLONE_STUDENT_LIFTING, 4, 0, 7, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_LIFTING, 2, 0, 6, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_GROUP, 4, 0, 6, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 0, 7, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 1, 0, 6, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 0, 5, SYMCLONE_PADDING_VALID},
    {SYMCLONE_STUDENT_DIHEDRAL_GROUP, 2, 0, 6, SYMCLONE_PADDING_CIRCULAR},
    {SYMCLONE_STUDENT_PLANAR, 4, 0, 7, SYMCLONE_PADDING_ZERO},
    {SYMCLONE_STUDENT_PLANAR, 4, 1, 6, SYMCLONE_PADDING_VALID},
};

START_TEST(restriction_makes_any_blocks_equivariant) {
  const symclone_student_kind kind = restricted_cases[_i].kind;
  int n = restricted_cases[_i].n, h = restricted_cases[_i].h;
  symclone_group *g = NULL;
  if (kind == SYMCLONE_STUDENT_PLANAR)
    g = restricted_cases[_i].dihedral_planar ? group_of(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, n)
                                             : group_of(SYMCLONE_STUDENT_LIFTING, n);
  else
    g = group_of(kind, n);
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, kind, n, 3, h, h, restricted_cases[_i].pad, 5, 3),
                   SYMCLONE_OK);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  float *w = randv(nb, 5), *theta = randv(symclone_student_theta_size(s), 6);
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_BLOCKS, w, nb),
                   SYMCLONE_OK);
  int idx[9], ni = pick_subspaces(g, 3, 5, -1, idx);
  /* unrestricted random blocks are far from equivariant */
  double before = kind == SYMCLONE_STUDENT_PLANAR ? planar_family_error(s, g, theta)
                                                  : equiv_error(s, g, theta);
  ck_assert_double_gt(before, 0.1);
  ck_assert_int_eq(symclone_student_restrict(s, g, idx, ni), SYMCLONE_OK);
  double after = kind == SYMCLONE_STUDENT_PLANAR ? planar_family_error(s, g, theta)
                                                 : equiv_error(s, g, theta);
  ck_assert_msg(after <= 1e-5, "case %d: equivariance error %g after the restriction", _i, after);
  /* the projection is idempotent, and the frozen parts are U^T and the
   * exact transforms */
  float *w1 = malloc(nb * sizeof *w1), *w2 = malloc(nb * sizeof *w2);
  ck_assert_int_eq(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_BLOCKS, w1, nb),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_restrict(s, g, idx, ni), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_BLOCKS, w2, nb),
                   SYMCLONE_OK);
  ck_assert_double_le(rel_err(w2, w1, nb), 1e-6);
  size_t na = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_COEFFS);
  float *a = malloc(na * sizeof *a);
  ck_assert_int_eq(symclone_student_get_params(s, SYMCLONE_STUDENT_PART_COEFFS, a, na),
                   SYMCLONE_OK);
  for (int row = 0, i = 0; i < ni; i++) {
    int d;
    double basis[2 * 9];
    ck_assert_int_eq(symclone_group_subspace_info(g, 3, idx[i], &d, NULL, NULL, 0), SYMCLONE_OK);
    ck_assert_int_eq(symclone_group_subspace_basis(g, 3, idx[i], basis, (size_t)d * 9),
                     SYMCLONE_OK);
    for (int j = 0; j < d; j++, row++)
      for (int q = 0; q < 9; q++) ck_assert_float_eq(a[row * 9 + q], (float)basis[j * 9 + q]);
  }
  free(w), free(w1), free(w2), free(a), free(theta);
  symclone_student_free(s);
  symclone_group_free(g);
}
END_TEST

static symclone_trainer *moment_trainer(symclone_student *s, int steps) {
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, steps), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_SCHEDULE, SYMCLONE_SCHEDULE_COSINE),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_HOLD_STEPS, steps / 2), SYMCLONE_OK);
  return tr;
}

/* The Done-when line: a 7-block C4 (and D4) lifting clone restricted to an
 * invariant subspace reaches the best loss 2/9 and is equivariant. */
START_TEST(restricted_seven_block_clone_is_optimal_and_equivariant) {
  symclone_student_kind kind = _i ? SYMCLONE_STUDENT_DIHEDRAL_LIFTING : SYMCLONE_STUDENT_LIFTING;
  symclone_group *g = group_of(kind, 4);
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, kind, 4, 3, 12, 12, SYMCLONE_PADDING_VALID, 7, 0),
                   SYMCLONE_OK);
  int count, idx[9], ni;
  ck_assert_int_eq(symclone_group_subspace_count(g, 3, &count), SYMCLONE_OK);
  ni = pick_subspaces(g, 3, 7, count - 1, idx); /* all but the corners' 2-dim part */
  ck_assert_int_eq(symclone_student_restrict(s, g, idx, ni), SYMCLONE_OK);
  symclone_trainer *tr = moment_trainer(s, 300);
  ck_assert_msg(symclone_trainer_run(tr) == SYMCLONE_OK, "%s", symclone_trainer_last_error(tr));
  double rel, best;
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_best_loss(s, &best), SYMCLONE_OK);
  ck_assert_double_le(fabs(best - 2.0 / 9.0), 1e-12);
  ck_assert_msg(fabs(rel - 2.0 / 9.0) <= 1e-3, "relative loss %g, not 2/9", rel);
  const float sobel[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
  double eq = equiv_error(s, g, sobel);
  ck_assert_msg(eq <= 1e-4, "equivariance error %g", eq);
  /* the unrestricted 7-block clone reaches the same loss, not the symmetry */
  symclone_student *u;
  ck_assert_int_eq(symclone_student_create(&u, kind, 4, 3, 12, 12, SYMCLONE_PADDING_VALID, 7, 0),
                   SYMCLONE_OK);
  symclone_trainer *tu = moment_trainer(u, 300);
  ck_assert_int_eq(symclone_trainer_run(tu), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_relative_loss(u, &rel), SYMCLONE_OK);
  ck_assert_double_le(fabs(rel - 2.0 / 9.0), 1e-3);
  ck_assert_double_gt(equiv_error(u, g, sobel), 0.05);
  symclone_trainer_free(tu);
  symclone_student_free(u);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  symclone_group_free(g);
}
END_TEST

/* Every objective keeps the constraint: a few steps of each leave the
 * student equivariant. */
START_TEST(every_objective_keeps_the_restriction) {
  symclone_group *g = group_of(SYMCLONE_STUDENT_GROUP, 4);
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, 4, 3, 6, 6,
                                           SYMCLONE_PADDING_ZERO, 6, 1),
                   SYMCLONE_OK);
  int idx[9], ni = pick_subspaces(g, 3, 6, -1, idx);
  ck_assert_int_eq(symclone_student_restrict(s, g, idx, ni), SYMCLONE_OK);
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  float *theta = randv(symclone_student_theta_size(s), 9);
  const int objectives[3] = {SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OBJECTIVE_UNIT_KERNELS,
                             SYMCLONE_OBJECTIVE_MOMENT};
  for (int o = 0; o < 3; o++) {
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, objectives[o]),
                     SYMCLONE_OK);
    for (int step = 0; step < 5; step++)
      ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
    double eq = equiv_error(s, g, theta);
    ck_assert_msg(eq <= 1e-5, "objective %d: equivariance error %g", objectives[o], eq);
  }
  /* and the optimizer SGD */
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OPTIMIZER, SYMCLONE_OPTIMIZER_SGD),
                   SYMCLONE_OK);
  for (int step = 0; step < 5; step++)
    ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
  ck_assert_double_le(equiv_error(s, g, theta), 1e-5);
  free(theta);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  symclone_group_free(g);
}
END_TEST

START_TEST(restriction_refuses_bad_options) {
  symclone_group *c4 = group_of(SYMCLONE_STUDENT_LIFTING, 4), *c2 = group_of(SYMCLONE_STUDENT_LIFTING, 2);
  symclone_group *d4 = group_of(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4), *c8, *t2;
  ck_assert_int_eq(symclone_group_create_cyclic(&c8, 8), SYMCLONE_OK);
  ck_assert_int_eq(symclone_group_create_t2(&t2, 7, 7), SYMCLONE_OK);
  symclone_student *s, *rect;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 4, 3, 7, 7,
                                           SYMCLONE_PADDING_VALID, 7, 0),
                   SYMCLONE_OK);
  int seven[6] = {0, 1, 2, 3, 4, 5}; /* dimensions 1+1+1+2+1+1 */
  int idx[6];
  ck_assert_int_eq(symclone_student_restrict(NULL, c4, seven, 6), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_restrict(s, NULL, seven, 6), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_restrict(s, c4, NULL, 6), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_restrict(s, c4, seven, 0), SYMCLONE_ERR_SIZE);
  /* dimension != blocks */
  ck_assert_int_eq(symclone_student_restrict(s, c4, seven, 5), SYMCLONE_ERR_SIZE);
  ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), "blocks"));
  /* unknown subspace, a subspace twice */
  memcpy(idx, seven, sizeof idx);
  idx[5] = 7;
  ck_assert_int_eq(symclone_student_restrict(s, c4, idx, 6), SYMCLONE_ERR_ARG);
  idx[5] = -1;
  ck_assert_int_eq(symclone_student_restrict(s, c4, idx, 6), SYMCLONE_ERR_ARG);
  idx[5] = 4;
  ck_assert_int_eq(symclone_student_restrict(s, c4, idx, 6), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), "twice"));
  /* group mismatch: D4, C2 for a C4 lifting student, T2; C8 is not exact */
  ck_assert_int_eq(symclone_student_restrict(s, d4, seven, 6), SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_student_restrict(s, c2, seven, 6), SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_student_restrict(s, t2, seven, 6), SYMCLONE_ERR_GROUP);
  ck_assert_int_eq(symclone_student_restrict(s, c8, seven, 6), SYMCLONE_ERR_UNSUPPORTED);
  /* nothing was restricted by the refusals */
  int count = -1;
  ck_assert_int_eq(symclone_student_restriction(s, NULL, NULL, NULL, 0, &count), SYMCLONE_OK);
  ck_assert_int_eq(count, 0);
  ck_assert_int_eq(symclone_student_restrict(s, c4, seven, 6), SYMCLONE_OK);
  symclone_group_kind kind;
  int n, got[6];
  ck_assert_int_eq(symclone_student_restriction(s, &kind, &n, got, 5, &count), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_student_restriction(s, &kind, &n, got, 6, &count), SYMCLONE_OK);
  ck_assert_int_eq(count, 6);
  ck_assert_int_eq(kind, SYMCLONE_GROUP_CYCLIC);
  ck_assert_int_eq(n, 4);
  ck_assert_mem_eq(got, seven, sizeof got);
  /* quarter turns on a non-square input */
  ck_assert_int_eq(symclone_student_create(&rect, SYMCLONE_STUDENT_PLANAR, 1, 3, 7, 8,
                                           SYMCLONE_PADDING_VALID, 7, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_restrict(rect, c4, seven, 6), SYMCLONE_ERR_SHAPE);
  /* C2 acts on it: its 3x3 subspaces are nine lines */
  int c2idx[7] = {0, 1, 2, 3, 4, 5, 6};
  ck_assert_int_eq(symclone_student_restrict(rect, c2, c2idx, 7), SYMCLONE_OK);
  /* the exact solution needs k*k blocks, restricted or not */
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_ERR_STATE);
  symclone_student_free(rect);
  symclone_student_free(s);
  symclone_group_free(c4), symclone_group_free(c2), symclone_group_free(d4);
  symclone_group_free(c8), symclone_group_free(t2);
}
END_TEST

/* With all nine subspaces the exact solution is expressed in their basis. */
START_TEST(restricted_exact_solution_is_exact) {
  symclone_group *d4 = group_of(SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4);
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 3, 5, 5,
                                           SYMCLONE_PADDING_ZERO, 9, 0),
                   SYMCLONE_OK);
  int all[9], count;
  ck_assert_int_eq(symclone_group_subspace_count(d4, 3, &count), SYMCLONE_OK);
  for (int i = 0; i < count; i++) all[i] = count - 1 - i; /* any order */
  ck_assert_int_eq(symclone_student_restrict(s, d4, all, count), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  double rel, best;
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_double_le(rel, 1e-10);
  ck_assert_int_eq(symclone_student_best_loss(s, &best), SYMCLONE_OK);
  ck_assert_double_eq(best, 0.0);
  symclone_student_free(s);
  symclone_group_free(d4);
}
END_TEST

START_TEST(restricted_student_save_load_round_trip) {
  make_dir();
  symclone_group *d4 = group_of(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4);
  symclone_student *s, *l, *c;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 3, 6, 6,
                                           SYMCLONE_PADDING_ZERO, 4, 2),
                   SYMCLONE_OK);
  int idx[4], ni = pick_subspaces(d4, 3, 4, -1, idx);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  float *w = randv(nb, 3);
  ck_assert_int_eq(symclone_student_set_params(s, SYMCLONE_STUDENT_PART_BLOCKS, w, nb),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_restrict(s, d4, idx, ni), SYMCLONE_OK);
  char path[300], bad[300];
  snprintf(path, sizeof path, "%s/restricted.scs", dir);
  snprintf(bad, sizeof bad, "%s/bad.scs", dir);
  ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_load(&l, path, NULL), SYMCLONE_OK);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  ck_assert_mem_eq(symclone_student_params(l), symclone_student_params(s), np * sizeof(float));
  int got[4], count;
  symclone_group_kind kind;
  int n;
  ck_assert_int_eq(symclone_student_restriction(l, &kind, &n, got, 4, &count), SYMCLONE_OK);
  ck_assert_int_eq(count, ni);
  ck_assert_int_eq(kind, SYMCLONE_GROUP_DIHEDRAL);
  ck_assert_int_eq(n, 4);
  ck_assert_mem_eq(got, idx, (size_t)ni * sizeof(int));
  /* a clone keeps it too, and training the loaded student keeps it */
  ck_assert_int_eq(symclone_student_clone(l, &c), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_restriction(c, NULL, NULL, NULL, 0, &count), SYMCLONE_OK);
  ck_assert_int_eq(count, ni);
  symclone_trainer *tr = moment_trainer(c, 5);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  float *theta = randv(9, 4);
  ck_assert_double_le(equiv_error(c, d4, theta), 1e-5);
  symclone_trainer_free(tr);
  /* the file is version 2 and its restriction is checked */
  size_t len;
  unsigned char *b = slurp(path, &len);
  ck_assert_int_eq(b[8], 2);
  size_t r = 56 + 4 * np; /* group kind, n, count, indices */
  ck_assert_int_eq(b[r], SYMCLONE_GROUP_DIHEDRAL);
  ck_assert_int_eq(b[r + 8], ni);
  spit_field(bad, b, len, r + 12, 99); /* an unknown subspace */
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "restriction");
  spit_field(bad, b, len, r, SYMCLONE_GROUP_CYCLIC); /* the group of another student */
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "restriction");
  spit_field(bad, b, len, r + 4, 8); /* D8 does not permute */
  expect_message(bad, SYMCLONE_ERR_CORRUPT, "restriction");
  spit_field(bad, b, len, r + 8, 100000); /* a count out of range */
  expect_refused(bad, SYMCLONE_ERR_CORRUPT);
  spit_field(bad, b, len, r + 8, (uint32_t)ni + 1); /* a count beyond the file */
  expect_refused(bad, SYMCLONE_ERR_TRUNCATED);
  spit(bad, b, r + 6); /* cut inside the restriction */
  expect_refused(bad, SYMCLONE_ERR_TRUNCATED);
  /* an unrestricted student is still written as version 1 */
  symclone_student *u;
  ck_assert_int_eq(symclone_student_create(&u, SYMCLONE_STUDENT_PLANAR, 1, 3, 5, 5,
                                           SYMCLONE_PADDING_ZERO, 4, 2),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_save(u, bad), SYMCLONE_OK);
  free(b);
  b = slurp(bad, &len);
  ck_assert_int_eq(b[8], 1);
  symclone_student_free(u);
  free(b), free(w), free(theta);
  symclone_student_free(c);
  symclone_student_free(l);
  symclone_student_free(s);
  symclone_group_free(d4);
  remove_dir();
}
END_TEST

/* The closed form against independent computations: the planar Gram matrix
 * is diagonal (tap q's operator has a one where the tap is inside), so the
 * best loss drops the smallest tap counts; and for an interpolated C8
 * lifting teacher, the top-B eigenvalues of the Gram matrix of its
 * unrolled sub-operators by orthogonal iteration. */
START_TEST(best_loss_matches_independent_computations) {
  /* planar, zero padding, 8x8: centre 64, edge 56, corner 49 rows */
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 8, 8,
                                           SYMCLONE_PADDING_ZERO, 7, 0),
                   SYMCLONE_OK);
  double best, rel;
  ck_assert_int_eq(symclone_student_best_loss(s, &best), SYMCLONE_OK);
  ck_assert_double_le(fabs(best - 98.0 / 484.0), 1e-12);
  /* a trained 7-block planar student reaches it */
  symclone_trainer *tr = moment_trainer(s, 400);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_msg(fabs(rel - best) <= 1e-3, "trained %g, best %g", rel, best);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  /* blocks >= k*k: 0 */
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, 4, 3, 6, 6,
                                           SYMCLONE_PADDING_ZERO, 12, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_best_loss(s, &best), SYMCLONE_OK);
  ck_assert_double_eq(best, 0.0);
  ck_assert_int_eq(symclone_student_best_loss(s, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_best_loss(NULL, &best), SYMCLONE_ERR_NULL);
  symclone_student_free(s);

  /* C8 lifting (interpolated rotations), 3x3, 5x5 zero padding, B = 4 */
  const int B = 4, n = 8;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, n, 3, 5, 5,
                                           SYMCLONE_PADDING_ZERO, B, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_best_loss(s, &best), SYMCLONE_OK);
  symclone_layer *t;
  ck_assert_int_eq(symclone_student_teacher(s, &t), SYMCLONE_OK);
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t sub = out / n * in, m = 9 * (size_t)n; /* sub-operators (p, r) */
  float *k = malloc(out * in * sizeof *k);
  double *ops = malloc(m * sub * sizeof *ops), *gram = malloc(m * m * sizeof *gram);
  for (int p = 0; p < 9; p++) {
    float theta[9] = {0};
    theta[p] = 1.0f;
    ck_assert_int_eq(symclone_layer_unroll(t, theta, k), SYMCLONE_OK);
    for (size_t j = 0; j < n * sub; j++) ops[(size_t)p * n * sub + j] = k[j];
  }
  double trace = 0.0;
  for (size_t a = 0; a < m; a++)
    for (size_t b = 0; b < m; b++) {
      double d = 0.0;
      for (size_t j = 0; j < sub; j++) d += ops[a * sub + j] * ops[b * sub + j];
      gram[a * m + b] = d;
      if (a == b) trace += d;
    }
  /* orthogonal iteration for the top-B invariant subspace of gram */
  double *q = malloc(m * B * sizeof *q), *z = malloc(m * B * sizeof *z);
  for (size_t j = 0; j < m * B; j++) q[j] = (double)((j * 7919) % 101) / 101.0 - 0.5;
  for (int it = 0; it < 3000; it++) {
    for (size_t a = 0; a < m; a++)
      for (int c = 0; c < B; c++) {
        double d = 0.0;
        for (size_t b = 0; b < m; b++) d += gram[a * m + b] * q[b * B + c];
        z[a * B + c] = d;
      }
    for (int c = 0; c < B; c++) { /* Gram-Schmidt of z's columns into q */
      for (int e = 0; e < c; e++) {
        double d = 0.0;
        for (size_t a = 0; a < m; a++) d += z[a * B + c] * q[a * B + e];
        for (size_t a = 0; a < m; a++) z[a * B + c] -= d * q[a * B + e];
      }
      double nrm = 0.0;
      for (size_t a = 0; a < m; a++) nrm += z[a * B + c] * z[a * B + c];
      for (size_t a = 0; a < m; a++) q[a * B + c] = z[a * B + c] / sqrt(nrm);
    }
  }
  double top = 0.0; /* trace(Q^T gram Q) */
  for (int c = 0; c < B; c++)
    for (size_t a = 0; a < m; a++)
      for (size_t b = 0; b < m; b++) top += q[a * B + c] * gram[a * m + b] * q[b * B + c];
  double ref = (trace - top) / trace;
  ck_assert_msg(fabs(best - ref) <= 1e-9, "closed form %.12g, orthogonal iteration %.12g", best,
                ref);
  ck_assert_double_gt(best, 0.05); /* not a trivial case */
  free(k), free(ops), free(gram), free(q), free(z);
  symclone_layer_free(t);
  symclone_student_free(s);
}
END_TEST

int main(void) {
  Suite *su = suite_create("student");
  TCase *tc = tcase_create("operator");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, exact_construction_reproduces_teacher, 0, NGEOMS);
  tcase_add_loop_test(tc, effective_matrix_matches_forward, 0, NGEOMS);
  tcase_add_test(tc, random_student_is_far_from_teacher);
  tcase_add_test(tc, exact_needs_p_blocks);
  tcase_add_test(tc, parts_get_set_round_trip);
  suite_add_tcase(su, tc);
  /* the operator checks over every geometry: numeric, left out under
   * valgrind like the trainings below */
  TCase *tn = tcase_create("operator numerics");
  tcase_set_timeout(tn, 600);
  tcase_set_tags(tn, "numeric");
  tcase_add_loop_test(tn, gradients_match_finite_differences, 0, NGEOMS);
  tcase_add_loop_test(tn, relative_loss_matches_forward_passes_and_closed_forms, 0, NGEOMS);
  tcase_add_loop_test(tn, dihedral_exact_matches_unrolled_teacher, 0, 18);
  suite_add_tcase(su, tn);
  TCase *tr = tcase_create("restricted");
  tcase_set_timeout(tr, 600);
  /* trainings: left out under valgrind (CK_EXCLUDE_TAGS in meson.build's
   * valgrind setup), run under ASan and in every other build */
  tcase_set_tags(tr, "numeric");
  tcase_add_loop_test(tr, restriction_makes_any_blocks_equivariant, 0,
                      (int)(sizeof restricted_cases / sizeof restricted_cases[0]));
  tcase_add_loop_test(tr, restricted_seven_block_clone_is_optimal_and_equivariant, 0, 2);
  tcase_add_test(tr, every_objective_keeps_the_restriction);
  tcase_add_test(tr, restriction_refuses_bad_options);
  tcase_add_test(tr, restricted_exact_solution_is_exact);
  tcase_add_test(tr, restricted_student_save_load_round_trip);
  tcase_add_test(tr, best_loss_matches_independent_computations);
  suite_add_tcase(su, tr);
  TCase *tf = tcase_create("files");
  tcase_add_test(tf, save_load_round_trip);
  tcase_add_test(tf, save_refuses_a_non_finite_parameter);
  tcase_add_test(tf, damaged_files_are_refused);
  tcase_add_test(tf, bad_input_is_refused);
  tcase_add_test(tf, loader_names_the_bad_field);
  tcase_add_test(tf, loader_refuses_a_fifo_without_blocking);
  tcase_add_test(tf, save_policy_on_links_specials_and_modes);
  suite_add_tcase(su, tf);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
