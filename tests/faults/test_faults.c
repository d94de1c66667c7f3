/* Allocation failure: every create, compute, train, file and diagnostic
 * path is run again and again with its k-th allocation made to fail, for
 * k = 1, 2, ... until a run makes fewer than k allocations (and must then
 * succeed).  Each failing run must return SYMCLONE_ERR_NOMEM, write no
 * output handle, and free whatever it had allocated: leaks are caught by
 * LeakSanitizer (the ASan build) or valgrind (`meson test --setup
 * valgrind`), which run this program.
 *
 * Built only with -Dfault_injection=true, linked with the static test
 * library that exports the hook sym_fault_fail_at(). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

#include "fault.h"

/* Run scenario() with the k-th allocation failing for every k; returns
 * the number of allocations of a clean run. */
static long fail_each(const char *name, symclone_status (*scenario)(void)) {
  long k;
  for (k = 1;; k++) {
    sym_fault_fail_at(k);
    symclone_status st = scenario();
    long made = sym_fault_allocations();
    sym_fault_fail_at(0);
    if (made < k) {
      /* the k-th allocation never came: a complete, successful run */
      ck_assert_msg(st == SYMCLONE_OK, "%s: a run without failure returned %s", name,
                    symclone_strerror(st));
      break;
    }
    ck_assert_msg(st == SYMCLONE_ERR_NOMEM, "%s: allocation %ld of %ld failed, the call returned %s",
                  name, k, made, symclone_strerror(st));
  }
  printf("%s: %ld allocations, each made to fail once\n", name, k - 1);
  return k - 1;
}

#define TRY(call)                                                                              \
  do {                                                                                         \
    st = (call);                                                                               \
    if (st) goto done;                                                                         \
  } while (0)

/* Every output handle a failing create leaves untouched. */
#define UNTOUCHED ((void *)(uintptr_t)0x1)

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* ---- groups and layers ---- */

static symclone_status groups(void) {
  symclone_group *t2 = UNTOUCHED, *c4 = UNTOUCHED, *c8 = UNTOUCHED;
  symclone_status st;
  float x[2 * 4 * 5 * 5], y[2 * 4 * 5 * 5];
  for (int i = 0; i < 200; i++) x[i] = (float)i;
  TRY(symclone_group_create_t2(&t2, 5, 5));
  TRY(symclone_group_create_cyclic(&c4, 4));
  TRY(symclone_group_create_cyclic(&c8, 8));
  TRY(symclone_group_act_planar(t2, 3, 2, 5, 5, x, y));
  TRY(symclone_group_act_group(c4, 1, 2, 4, 5, 5, x, y));
  TRY(symclone_group_act_planar(c8, 1, 2, 5, 5, x, y));
done:
  if (st) ck_assert(t2 == UNTOUCHED || c4 == UNTOUCHED || c8 == UNTOUCHED);
  if (t2 != UNTOUCHED) symclone_group_free(t2);
  if (c4 != UNTOUCHED) symclone_group_free(c4);
  if (c8 != UNTOUCHED) symclone_group_free(c8);
  return st;
}

/* create, init, forward and backward with NULL workspaces, unroll */
static symclone_status one_layer(symclone_layer *l) {
  size_t in = symclone_layer_input_size(l), out = symclone_layer_output_size(l);
  size_t np = symclone_layer_param_count(l), batch = 3;
  float *p = calloc(np + 1, sizeof *p), *dp = calloc(np + 1, sizeof *dp);
  float *x = calloc(in * batch, sizeof *x), *y = calloc(out * batch, sizeof *y);
  float *dx = calloc(in * batch, sizeof *dx), *m = calloc(in * out, sizeof *m);
  symclone_status st;
  for (size_t i = 0; i < in * batch; i++) x[i] = (float)((i * 7) % 11) - 5.0f;
  TRY(symclone_layer_init_params(l, 5, np ? p : NULL));
  TRY(symclone_layer_forward(l, np ? p : NULL, batch, x, y, NULL));
  TRY(symclone_layer_backward(l, np ? p : NULL, batch, x, y, dx, np ? dp : NULL, NULL));
  if (symclone_layer_is_linear(l)) TRY(symclone_layer_unroll(l, np ? p : NULL, m));
done:
  free(p), free(dp), free(x), free(y), free(dx), free(m);
  return st;
}

static symclone_status layers(void) {
  symclone_layer *l[8];
  for (int i = 0; i < 8; i++) l[i] = UNTOUCHED;
  symclone_status st;
  TRY(symclone_layer_create_conv2d(&l[0], 2, 3, 3, 6, 6, SYMCLONE_PADDING_ZERO, 1));
  TRY(symclone_layer_create_lifting(&l[1], 4, 1, 2, 3, 5, 5, SYMCLONE_PADDING_VALID, 1));
  TRY(symclone_layer_create_group_conv(&l[2], 4, 2, 1, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 0));
  TRY(symclone_layer_create_lifting(&l[3], 8, 1, 1, 3, 5, 5, SYMCLONE_PADDING_ZERO, 0));
  TRY(symclone_layer_create_dense(&l[4], 12, 5, 1));
  TRY(symclone_layer_create_relu(&l[5], 2, 4, 3, 3));
  TRY(symclone_layer_create_maxpool2(&l[6], 2, 4, 4, 4));
  TRY(symclone_layer_create_orient_pool(&l[7], 2, 4, 3, 3, SYMCLONE_POOL_MEAN));
  for (int i = 0; i < 8; i++) TRY(one_layer(l[i]));
done:
  for (int i = 0; i < 8; i++)
    if (l[i] != UNTOUCHED) symclone_layer_free(l[i]);
  return st;
}

/* ---- students ---- */

static symclone_status one_student(symclone_student_kind kind, int n, int blocks) {
  symclone_student *s = UNTOUCHED, *c = UNTOUCHED;
  symclone_layer *t = UNTOUCHED;
  float *x = NULL, *y = NULL, *th = NULL, *dp = NULL, *m = NULL, *dth = NULL, *dx = NULL;
  symclone_status st;
  TRY(symclone_student_create(&s, kind, n, 3, 5, 5, SYMCLONE_PADDING_VALID, blocks, 3));
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s), np = symclone_student_param_count(s, 0);
  x = calloc(2 * in, sizeof *x), y = calloc(2 * out, sizeof *y), th = calloc(p, sizeof *th);
  dp = calloc(np, sizeof *dp), m = calloc(in * out, sizeof *m), dth = calloc(p, sizeof *dth);
  dx = calloc(2 * in, sizeof *dx);
  for (size_t i = 0; i < 2 * in; i++) x[i] = (float)(i % 5) - 2.0f;
  th[0] = 1.0f;
  TRY(symclone_student_forward(s, th, 2, x, y));
  TRY(symclone_student_backward(s, th, 2, x, y, dx, dp, dth));
  TRY(symclone_student_effective_matrix(s, th, m));
  if (blocks == 9) TRY(symclone_student_init_exact(s));
  double d;
  TRY(symclone_student_toeplitz_distance(s, 2, 1, &d, NULL));
  TRY(symclone_student_teacher(s, &t));
  TRY(symclone_student_clone(s, &c));
done:
  if (st) ck_assert(s == UNTOUCHED || t == UNTOUCHED || c == UNTOUCHED);
  if (s != UNTOUCHED) symclone_student_free(s);
  if (c != UNTOUCHED) symclone_student_free(c);
  if (t != UNTOUCHED) symclone_layer_free(t);
  free(x), free(y), free(th), free(dp), free(m), free(dth), free(dx);
  return st;
}

static symclone_status students(void) {
  symclone_status st;
  TRY(one_student(SYMCLONE_STUDENT_PLANAR, 1, 9));
  TRY(one_student(SYMCLONE_STUDENT_LIFTING, 4, 9));
  TRY(one_student(SYMCLONE_STUDENT_GROUP, 2, 3));
done:
  return st;
}

static symclone_student *saved; /* made once, outside the fault runs */

static symclone_status student_files(void) {
  char path[128];
  path_in_tmp(path, sizeof path, "student.bin");
  symclone_student *back = UNTOUCHED;
  symclone_status st;
  TRY(symclone_student_save(saved, path));
  TRY(symclone_student_load(&back, path, NULL));
done:
  if (st) ck_assert(back == UNTOUCHED);
  else symclone_student_free(back);
  return st;
}

/* Student and network exports, and a teacher layer from an .npy bank. */
static symclone_status interchange_files(void) {
  char st_path[128], npz_path[128], net_path[128], npy_path[128];
  path_in_tmp(st_path, sizeof st_path, "student.safetensors");
  path_in_tmp(npz_path, sizeof npz_path, "student.npz");
  path_in_tmp(net_path, sizeof net_path, "net.npz");
  path_in_tmp(npy_path, sizeof npy_path, "bank.npy");
  /* a [2, 1, 3, 3] float32 bank, written without the library */
  static const char head[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3, 3), }";
  unsigned char npy[128 + 72] = "\x93NUMPY\x01\x00\x76\x00";
  memcpy(npy + 10, head, sizeof head - 1);
  memset(npy + 10 + sizeof head - 1, ' ', 128 - 10 - (sizeof head - 1));
  npy[127] = '\n';
  for (int i = 0; i < 18; i++) {
    float v = (float)i / 8.0f;
    memcpy(npy + 128 + 4 * i, &v, 4);
  }
  FILE *f = fopen(npy_path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(npy, 1, sizeof npy, f), sizeof npy);
  fclose(f);
  symclone_student *back = UNTOUCHED, *s = UNTOUCHED;
  symclone_net *net = UNTOUCHED, *net_back = UNTOUCHED;
  symclone_layer *teacher = UNTOUCHED;
  float params[18];
  symclone_status st;
  TRY(symclone_student_export(saved, st_path, SYMCLONE_FORMAT_SAFETENSORS));
  TRY(symclone_student_export(saved, npz_path, SYMCLONE_FORMAT_NPZ));
  TRY(symclone_student_import(&back, st_path, NULL));
  symclone_student_free(back);
  back = UNTOUCHED;
  TRY(symclone_student_import(&back, npz_path, NULL));
  TRY(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 4, 3, 5, 5, SYMCLONE_PADDING_ZERO, 3,
                              1));
  TRY(symclone_net_create(&net, 1, 1, 5, 5));
  TRY(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_RETAIN, 0));
  TRY(symclone_net_add_relu(net));
  TRY(symclone_net_add_group_conv(net, 1, 3, SYMCLONE_PADDING_VALID, 1));
  TRY(symclone_net_add_dense(net, 2, 1));
  TRY(symclone_net_export(net, net_path, SYMCLONE_FORMAT_NPZ));
  TRY(symclone_net_import(&net_back, net_path, NULL));
  TRY(symclone_layer_import(&teacher, npy_path, NULL, NULL, SYMCLONE_LAYER_LIFTING, 4, 5, 5,
                            SYMCLONE_PADDING_ZERO, NULL));
  TRY(symclone_layer_import_params(teacher, params, 18, npy_path, NULL, NULL, NULL));
done:
  if (back != UNTOUCHED) symclone_student_free(back);
  if (s != UNTOUCHED) symclone_student_free(s);
  if (net != UNTOUCHED) symclone_net_free(net);
  if (net_back != UNTOUCHED) symclone_net_free(net_back);
  if (teacher != UNTOUCHED) symclone_layer_free(teacher);
  return st;
}

/* ---- trainer ---- */

static float samples[4 * 72]; /* 4 fields of up to 2 x 6 x 6 */

static symclone_status train(symclone_student_kind kind, int n, int objective, int source,
                             int threads) {
  symclone_student *s = UNTOUCHED;
  symclone_trainer *tr = UNTOUCHED;
  symclone_status st;
  TRY(symclone_student_create(&s, kind, n, 3, 6, 6, SYMCLONE_PADDING_VALID, 4, 1));
  TRY(symclone_trainer_create(&tr, s));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, objective));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, 3));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 4));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 2));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, threads));
  if (source != SYMCLONE_INPUT_SOURCE_GAUSSIAN) {
    TRY(symclone_trainer_set_samples(tr, samples, 4));
    TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE, source));
  }
  for (int i = 0; i < 3; i++) TRY(symclone_trainer_step(tr, NULL, NULL));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, 5));
  TRY(symclone_trainer_run(tr));
done:
  if (st) ck_assert(s == UNTOUCHED || tr == UNTOUCHED || symclone_trainer_steps_done(tr) < 5);
  if (tr != UNTOUCHED) symclone_trainer_free(tr);
  if (s != UNTOUCHED) symclone_student_free(s);
  return st;
}

static symclone_status train_stochastic(void) {
  return train(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_INPUT_SOURCE_GAUSSIAN,
               1);
}
static symclone_status train_unit_kernels(void) {
  return train(SYMCLONE_STUDENT_LIFTING, 4, SYMCLONE_OBJECTIVE_UNIT_KERNELS,
               SYMCLONE_INPUT_SOURCE_SAMPLES, 1);
}
static symclone_status train_moment(void) {
  return train(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_INPUT_SOURCE_GAUSSIAN, 1);
}
static symclone_status train_moment_threads(void) { /* a worker pool to start */
  return train(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_INPUT_SOURCE_GAUSSIAN, 2);
}
static symclone_status train_moment_group(void) {
  return train(SYMCLONE_STUDENT_GROUP, 2, SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_INPUT_SOURCE_GAUSSIAN, 1);
}
static symclone_status train_group_sgd_samples(void) {
  return train(SYMCLONE_STUDENT_GROUP, 2, SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_INPUT_SOURCE_SAMPLES,
               1);
}
static symclone_status train_transformed(void) {
  return train(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_STOCHASTIC,
               SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED, 1);
}

static symclone_status train_instance(void) {
  symclone_layer *conv = UNTOUCHED, *dense = UNTOUCHED;
  symclone_trainer *tr = UNTOUCHED;
  float cp[9 + 1], dp[36 * 36 + 36] = {0};
  symclone_status st;
  TRY(symclone_layer_create_conv2d(&conv, 1, 1, 3, 6, 6, SYMCLONE_PADDING_CIRCULAR, 1));
  TRY(symclone_layer_create_dense(&dense, 36, 36, 1));
  TRY(symclone_layer_init_params(conv, 2, cp));
  TRY(symclone_trainer_create_instance(&tr, conv, cp, dense, dp));
  TRY(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 4));
  for (int i = 0; i < 3; i++) TRY(symclone_trainer_step(tr, NULL, NULL));
done:
  if (tr != UNTOUCHED) symclone_trainer_free(tr);
  if (conv != UNTOUCHED) symclone_layer_free(conv);
  if (dense != UNTOUCHED) symclone_layer_free(dense);
  return st;
}

static symclone_status clone_stack(void) {
  symclone_layer *l[2] = {UNTOUCHED, UNTOUCHED};
  symclone_student *tmpl_s = UNTOUCHED;
  symclone_trainer *tmpl = UNTOUCHED;
  symclone_student *out[2] = {UNTOUCHED, UNTOUCHED};
  float p0[9], p1[9];
  symclone_status st;
  TRY(symclone_layer_create_conv2d(&l[0], 1, 1, 3, 7, 7, SYMCLONE_PADDING_VALID, 0));
  TRY(symclone_layer_create_conv2d(&l[1], 1, 1, 3, 5, 5, SYMCLONE_PADDING_VALID, 0));
  TRY(symclone_layer_init_params(l[0], 1, p0));
  TRY(symclone_layer_init_params(l[1], 2, p1));
  TRY(symclone_student_create(&tmpl_s, SYMCLONE_STUDENT_PLANAR, 1, 3, 7, 7, SYMCLONE_PADDING_VALID,
                              9, 0));
  TRY(symclone_trainer_create(&tmpl, tmpl_s));
  TRY(symclone_trainer_set(tmpl, SYMCLONE_TRAINER_MAX_STEPS, 2));
  TRY(symclone_trainer_set(tmpl, SYMCLONE_TRAINER_INPUTS, 3));
  TRY(symclone_trainer_set(tmpl, SYMCLONE_TRAINER_KERNELS, 2));
  const symclone_layer *cl[2] = {l[0], l[1]};
  const float *cp[2] = {p0, p1};
  TRY(symclone_trainer_clone_stack(tmpl, cl, cp, 2, NULL, 0, 9, out));
done:
  for (int i = 0; i < 2; i++) {
    if (out[i] != UNTOUCHED) symclone_student_free(out[i]);
    if (l[i] != UNTOUCHED) symclone_layer_free(l[i]);
  }
  if (tmpl != UNTOUCHED) symclone_trainer_free(tmpl);
  if (tmpl_s != UNTOUCHED) symclone_student_free(tmpl_s);
  return st;
}

/* ---- data ---- */

static symclone_dataset *base; /* made once, outside the fault runs */

static symclone_status datasets(void) {
  symclone_dataset *d[10];
  for (int i = 0; i < 10; i++) d[i] = UNTOUCHED;
  float img[6 * 16];
  int lab[6] = {0, 1, 2, 3, 4, 5}, turns[6], shifts[12];
  size_t idx[3] = {5, 0, 2};
  for (int i = 0; i < 96; i++) img[i] = (float)(i % 17) / 16.0f;
  symclone_status st;
  TRY(symclone_dataset_create(&d[0], 6, 4, 4, 10, img, lab));
  TRY(symclone_dataset_split(d[0], 2, 3, &d[1], &d[2]));
  TRY(symclone_dataset_subset(d[0], idx, 3, &d[3]));
  TRY(symclone_dataset_rotate90(d[0], SYMCLONE_DATASET_RANDOM, 1, turns, &d[4]));
  TRY(symclone_dataset_place(d[0], 8, 9, NULL, &d[5]));
  TRY(symclone_dataset_make_rotation_task(d[0], 2, turns, &d[6]));
  TRY(symclone_dataset_make_translation_task(d[0], 12, 1, 3, 2, 4, shifts, &d[7]));
done:
  for (int i = 0; i < 10; i++)
    if (d[i] != UNTOUCHED) symclone_dataset_free(d[i]);
  return st;
}

static symclone_status idx_files(int gzip) {
  char ip[128], lp[128];
  path_in_tmp(ip, sizeof ip, gzip ? "images.gz" : "images");
  path_in_tmp(lp, sizeof lp, gzip ? "labels.gz" : "labels");
  symclone_dataset *back = UNTOUCHED;
  symclone_status st;
  TRY(symclone_dataset_save_idx(base, ip, lp, gzip));
  TRY(symclone_dataset_load_idx(&back, ip, lp, 0, NULL));
done:
  if (st) ck_assert(back == UNTOUCHED);
  else symclone_dataset_free(back);
  return st;
}
static symclone_status idx_plain(void) { return idx_files(0); }
static symclone_status idx_gzip(void) { return idx_files(1); }

/* ---- pictures and diagnostics ---- */

static symclone_status pictures(void) {
  char pgm[128], png[128];
  path_in_tmp(pgm, sizeof pgm, "m.pgm");
  path_in_tmp(png, sizeof png, "m.png");
  float m[6 * 5];
  for (int i = 0; i < 30; i++) m[i] = (float)i - 15.0f;
  const float *panels[4] = {m, NULL, m, m}, *single[1] = {m};
  symclone_picture *grid = NULL, *one = NULL;
  symclone_status st;
  TRY(symclone_picture_create(&grid, 2, 2, 6, 5));
  TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_FORMAT, SYMCLONE_PICTURE_FORMAT_PGM));
  TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_UPSCALE, 2));
  TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_GAP, 1));
  TRY(symclone_picture_write(grid, pgm, panels));
  TRY(symclone_picture_create(&one, 1, 1, 6, 5));
  TRY(symclone_picture_set(one, SYMCLONE_PICTURE_SCALE, SYMCLONE_PICTURE_SCALE_MINMAX));
  TRY(symclone_picture_set(one, SYMCLONE_PICTURE_DOWNSCALE, 2));
  TRY(symclone_picture_write(one, pgm, single));
  if (symclone_picture_png_available()) {
    TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_FORMAT, SYMCLONE_PICTURE_FORMAT_PNG));
    TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_SCALE, SYMCLONE_PICTURE_SCALE_MINMAX_PER_PANEL));
    TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_UPSCALE, 1));
    TRY(symclone_picture_set(grid, SYMCLONE_PICTURE_GAP, 2));
    TRY(symclone_picture_write(grid, png, panels));
  }
done:
  symclone_picture_free(grid);
  symclone_picture_free(one);
  return st;
}

static symclone_status diagnostics(void) {
  symclone_group *c4 = UNTOUCHED, *t2 = UNTOUCHED;
  symclone_layer *lift = UNTOUCHED, *conv = UNTOUCHED;
  symclone_diag *dc4 = UNTOUCHED, *dt2 = UNTOUCHED, *dlift = UNTOUCHED;
  float lp[9], cpar[9], *W = NULL, *P = NULL;
  double mean, max;
  symclone_status st;
  int shape[4] = {1, 1, 5, 5}, lift_out[4];
  TRY(symclone_group_create_cyclic(&c4, 4));
  TRY(symclone_group_create_t2(&t2, 5, 5));
  TRY(symclone_layer_create_lifting(&lift, 4, 1, 1, 3, 5, 5, SYMCLONE_PADDING_ZERO, 0));
  TRY(symclone_layer_create_conv2d(&conv, 1, 1, 3, 5, 5, SYMCLONE_PADDING_CIRCULAR, 0));
  TRY(symclone_layer_init_params(lift, 1, lp));
  TRY(symclone_layer_init_params(conv, 1, cpar));
  TRY(symclone_layer_output_shape(lift, lift_out));
  TRY(symclone_diag_create(&dlift, c4, shape, lift_out));
  TRY(symclone_diag_create(&dt2, t2, shape, shape));
  TRY(symclone_diag_create(&dc4, c4, shape, shape));
  TRY(symclone_diag_set(dlift, SYMCLONE_DIAG_SAMPLES, 3));
  TRY(symclone_diag_set(dlift, SYMCLONE_DIAG_SEED, 1));
  TRY(symclone_diag_layer_equivariance_error(dlift, lift, lp, &mean, &max));
  TRY(symclone_diag_set(dt2, SYMCLONE_DIAG_SAMPLES, 2));
  TRY(symclone_diag_set(dt2, SYMCLONE_DIAG_MAX_ELEMENTS, 4));
  TRY(symclone_diag_set(dt2, SYMCLONE_DIAG_SEED, 1));
  TRY(symclone_diag_layer_equivariance_error(dt2, conv, cpar, &mean, &max));
  W = calloc(25 * 25, sizeof *W), P = calloc(25 * 25, sizeof *P);
  TRY(symclone_layer_unroll(conv, cpar, W));
  TRY(symclone_diag_reynolds_project(dt2, W, P));
  TRY(symclone_diag_reynolds_project(dc4, W, P));
  TRY(symclone_diag_equivariant_distance(dc4, W, &mean));
done:
  free(W), free(P);
  if (dc4 != UNTOUCHED) symclone_diag_free(dc4);
  if (dt2 != UNTOUCHED) symclone_diag_free(dt2);
  if (dlift != UNTOUCHED) symclone_diag_free(dlift);
  if (c4 != UNTOUCHED) symclone_group_free(c4);
  if (t2 != UNTOUCHED) symclone_group_free(t2);
  if (lift != UNTOUCHED) symclone_layer_free(lift);
  if (conv != UNTOUCHED) symclone_layer_free(conv);
  return st;
}

/* ---- the tests ---- */

#define FAULT_TEST(name)                                                                       \
  START_TEST(nomem_##name) { ck_assert_int_gt(fail_each(#name, name), 0); }                    \
  END_TEST

FAULT_TEST(groups)
FAULT_TEST(layers)
FAULT_TEST(students)
FAULT_TEST(student_files)
FAULT_TEST(interchange_files)
FAULT_TEST(train_stochastic)
FAULT_TEST(train_unit_kernels)
FAULT_TEST(train_moment)
FAULT_TEST(train_moment_threads)
FAULT_TEST(train_moment_group)
FAULT_TEST(train_group_sgd_samples)
FAULT_TEST(train_transformed)
FAULT_TEST(train_instance)
FAULT_TEST(clone_stack)
FAULT_TEST(datasets)
FAULT_TEST(idx_plain)
FAULT_TEST(idx_gzip)
FAULT_TEST(pictures)
FAULT_TEST(diagnostics)

static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "%s/symclone-faults.XXXXXX", "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  ck_assert_int_eq(symclone_student_create(&saved, SYMCLONE_STUDENT_LIFTING, 4, 3, 5, 5,
                                           SYMCLONE_PADDING_ZERO, 3, 9),
                   SYMCLONE_OK);
  for (int i = 0; i < 4 * 72; i++) samples[i] = sinf((float)i);
  float img[5 * 12];
  int lab[5] = {9, 0, 3, 3, 1};
  for (int i = 0; i < 60; i++) img[i] = (float)(i % 13) / 12.0f;
  ck_assert_int_eq(symclone_dataset_create(&base, 5, 3, 4, 10, img, lab), SYMCLONE_OK);
}

static void teardown(void) {
  static const char *const names[] = {"student.bin", "images", "labels", "images.gz",
                                      "labels.gz", "m.pgm", "m.png", "student.safetensors",
                                      "student.npz", "net.npz", "bank.npy"};
  char p[128];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    path_in_tmp(p, sizeof p, names[i]);
    unlink(p);
  }
  ck_assert_int_eq(rmdir(tmpdir), 0); /* nothing else left: no temporary files */
  symclone_student_free(saved);
  symclone_dataset_free(base);
}

int main(void) {
  Suite *su = suite_create("faults");
  TCase *tc = tcase_create("allocation failures");
  tcase_set_timeout(tc, 900);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, nomem_groups);
  tcase_add_test(tc, nomem_layers);
  tcase_add_test(tc, nomem_students);
  tcase_add_test(tc, nomem_student_files);
  tcase_add_test(tc, nomem_interchange_files);
  tcase_add_test(tc, nomem_train_stochastic);
  tcase_add_test(tc, nomem_train_unit_kernels);
  tcase_add_test(tc, nomem_train_moment);
  tcase_add_test(tc, nomem_train_moment_threads);
  tcase_add_test(tc, nomem_train_moment_group);
  tcase_add_test(tc, nomem_train_group_sgd_samples);
  tcase_add_test(tc, nomem_train_transformed);
  tcase_add_test(tc, nomem_train_instance);
  tcase_add_test(tc, nomem_clone_stack);
  tcase_add_test(tc, nomem_datasets);
  tcase_add_test(tc, nomem_idx_plain);
  tcase_add_test(tc, nomem_idx_gzip);
  tcase_add_test(tc, nomem_pictures);
  tcase_add_test(tc, nomem_diagnostics);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  /* one process: LeakSanitizer and valgrind see every test's leaks */
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
