/* The cloning trainer: short clones on small grids reach a small Toeplitz
 * distance for every student kind and objective; reproducibility; bad
 * settings; divergence; instance mode; stacks; progress and cancelling. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

static symclone_student *student(symclone_student_kind kind, int n, int hw, int blocks) {
  symclone_student *s;
  ck_assert_int_eq(
      symclone_student_create(&s, kind, n, 3, hw, hw, SYMCLONE_PADDING_VALID, blocks, 1), SYMCLONE_OK);
  return s;
}

/* Constant learning rate for 70 % of the steps, then a cosine decay: a
 * lifting or group student sits on a plateau until it finds the rotations,
 * which a decay started too early would prolong. */
static symclone_trainer *trainer(symclone_student *s, int objective, long steps) {
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, objective), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, (double)steps), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_SCHEDULE, SYMCLONE_SCHEDULE_COSINE),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_HOLD_STEPS, (double)(steps * 7 / 10)),
                   SYMCLONE_OK);
  return tr;
}

static double distance(const symclone_student *s) {
  double d;
  ck_assert_int_eq(symclone_student_toeplitz_distance(s, 4, 99, &d, NULL), SYMCLONE_OK);
  return d;
}

/* 10x10 grids, bounded steps: each kind and objective gets below 1e-2. */
START_TEST(planar_clone_converges_each_objective) {
  int objectives[3] = {SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OBJECTIVE_UNIT_KERNELS,
                       SYMCLONE_OBJECTIVE_STOCHASTIC};
  long steps[3] = {600, 800, 1500};
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 10, 9);
  symclone_trainer *tr = trainer(s, objectives[_i], steps[_i]);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_steps_done(tr), steps[_i]);
  double d = distance(s);
  ck_assert_msg(d < 1e-2, "objective %d: toeplitz distance %g after %ld steps", objectives[_i], d,
                steps[_i]);
  ck_assert_double_lt(symclone_trainer_rel_loss(tr), 1e-3);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

START_TEST(lifting_and_group_clones_converge) {
  symclone_student_kind kinds[2] = {SYMCLONE_STUDENT_LIFTING, SYMCLONE_STUDENT_GROUP};
  int hw[2] = {10, 8};
  symclone_student *s = student(kinds[_i], 4, hw[_i], 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_MOMENT, 2000);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  double d = distance(s);
  ck_assert_msg(d < 1e-2, "kind %d: toeplitz distance %g", kinds[_i], d);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

START_TEST(fewer_blocks_only_approximate) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 10, 7);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_MOMENT, 600);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  /* rank 7 < 9 kernels: a clear residual remains */
  ck_assert_double_gt(distance(s), 0.1);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

/* The step's loss, relative loss and gradient against the student's and
 * the teacher's own forward and backward passes: unit kernels and one
 * fixed sample (so the step's inputs and kernels are known), random
 * blocks, coefficients and transforms, plain SGD (momentum, decay and clip
 * off) so that the update is -lr times the gradient.  Planar, lifting and
 * group students; threads 1 and 2. */
START_TEST(step_matches_forward_and_backward) {
  symclone_student_kind kinds[3] = {SYMCLONE_STUDENT_PLANAR, SYMCLONE_STUDENT_LIFTING,
                                    SYMCLONE_STUDENT_GROUP};
  int kind = _i % 3, threads = 1 + _i / 3;
  symclone_student *s = student(kinds[kind], kind ? 4 : 1, 9, kind == 2 ? 5 : 7);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  size_t P = symclone_student_theta_size(s), in = symclone_student_input_size(s),
         out = symclone_student_output_size(s);
  float *params = symclone_student_params(s);
  for (size_t i = 0; i < np; i++) params[i] = 0.3f * (float)sin(0.7 * (double)i + kind);
  float *before = malloc(np * sizeof *before), *x = malloc(in * sizeof *x);
  memcpy(before, params, np * sizeof *before);
  for (size_t i = 0; i < in; i++) x[i] = (float)cos(1.3 * (double)i) + 0.1f;
  /* reference: 1/(P out) sum_p ||S(x; e_p) - T(x; e_p)||^2, its labels'
   * power, and the gradient sum_p backward(2/(P out) (S - T)) */
  symclone_layer *teacher;
  ck_assert_int_eq(symclone_student_teacher(s, &teacher), SYMCLONE_OK);
  float *theta = calloc(P, sizeof *theta), *ys = malloc(out * sizeof *ys),
        *yt = malloc(out * sizeof *yt), *grad = calloc(np, sizeof *grad);
  void *work = malloc(symclone_layer_workspace_size(teacher, 1) + 1);
  double err = 0.0, pow_ = 0.0;
  for (size_t p = 0; p < P; p++) {
    memset(theta, 0, P * sizeof *theta);
    theta[p] = 1.0f;
    ck_assert_int_eq(symclone_student_forward(s, theta, 1, x, ys), SYMCLONE_OK);
    ck_assert_int_eq(symclone_layer_forward(teacher, theta, 1, x, yt, work), SYMCLONE_OK);
    for (size_t o = 0; o < out; o++) {
      double d = (double)ys[o] - yt[o];
      err += d * d;
      pow_ += (double)yt[o] * yt[o];
      ys[o] = (float)(2.0 * d / ((double)P * out));
    }
    ck_assert_int_eq(symclone_student_backward(s, theta, 1, x, ys, NULL, grad, NULL),
                     SYMCLONE_OK);
  }
  err /= (double)P * out;
  pow_ /= (double)P * out;
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  double lr = 5.0; /* large, so that before - after keeps its digits */
  struct { symclone_setting k; double v; } set[] = {
      {SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_UNIT_KERNELS},
      {SYMCLONE_TRAINER_INPUT_SOURCE, SYMCLONE_INPUT_SOURCE_SAMPLES},
      {SYMCLONE_TRAINER_INPUTS, 3},
      {SYMCLONE_TRAINER_OPTIMIZER, SYMCLONE_OPTIMIZER_SGD},
      {SYMCLONE_TRAINER_MOMENTUM, 0},
      {SYMCLONE_TRAINER_WEIGHT_DECAY, 0},
      {SYMCLONE_TRAINER_CLIP_NORM, 0},
      {SYMCLONE_TRAINER_LEARNING_RATE, lr},
      {SYMCLONE_TRAINER_THREADS, threads}};
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
    ck_assert_int_eq(symclone_trainer_set(tr, set[i].k, set[i].v), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set_samples(tr, x, 1), SYMCLONE_OK);
  double loss, rel;
  ck_assert_int_eq(symclone_trainer_step(tr, &loss, &rel), SYMCLONE_OK);
  ck_assert_msg(fabs(loss - err) <= 1e-5 * err, "kind %d: loss %.9g, reference %.9g", kind, loss,
                err);
  ck_assert_msg(fabs(rel - err / pow_) <= 1e-5 * (err / pow_), "kind %d: rel %.9g, reference %.9g",
                kind, rel, err / pow_);
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < np; i++) {
    double g = ((double)before[i] - params[i]) / lr;
    num += (g - grad[i]) * (g - grad[i]);
    den += (double)grad[i] * grad[i];
  }
  ck_assert_msg(den > 0 && sqrt(num / den) < 1e-4, "kind %d: gradient rel. error %g", kind,
                sqrt(num / den));
  symclone_trainer_free(tr);
  symclone_layer_free(teacher);
  free(work);
  free(grad);
  free(yt);
  free(ys);
  free(theta);
  free(x);
  free(before);
  symclone_student_free(s);
}
END_TEST

START_TEST(same_seed_same_weights) {
  float *w[2];
  size_t np = 0;
  for (int rep = 0; rep < 2; rep++) {
    symclone_student *s = student(SYMCLONE_STUDENT_LIFTING, 4, 7, 5);
    symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_STOCHASTIC, 20);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, 1234), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 2), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
    np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
    w[rep] = malloc(np * sizeof(float));
    memcpy(w[rep], symclone_student_params(s), np * sizeof(float));
    symclone_trainer_free(tr);
    symclone_student_free(s);
  }
  ck_assert_mem_eq(w[0], w[1], np * sizeof(float));
  free(w[0]);
  free(w[1]);
}
END_TEST

/* The threads setting changes how fast a step runs, never its result:
 * 12 steps on students of 0.13 M (planar) and 0.3 M (lifting) parameters,
 * many pieces each, with 1, 2 and 3 threads give the same bits.  Cases:
 * moment; stochastic with accumulation and a clip that bites; SGD with
 * unit kernels; instance mode; stochastic with AdamW and one micro-batch
 * (the update forms the gradient on the worker threads). */
static void run_case(int which, int threads, float **out, size_t *np, double *loss) {
  symclone_trainer *tr;
  symclone_student *s = NULL;
  symclone_layer *conv = NULL, *dense = NULL;
  float *cp = NULL, *dp = NULL;
  if (which != 3) {
    s = which == 1 || which == 4 ? student(SYMCLONE_STUDENT_LIFTING, 4, 12, 9)
                                 : student(SYMCLONE_STUDENT_PLANAR, 1, 12, 9);
    ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
    int obj[5] = {SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OBJECTIVE_STOCHASTIC,
                  SYMCLONE_OBJECTIVE_UNIT_KERNELS, 0, SYMCLONE_OBJECTIVE_STOCHASTIC};
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, obj[which]), SYMCLONE_OK);
    if (which == 1) {
      ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 2), SYMCLONE_OK);
      ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_CLIP_NORM, 1e-3), SYMCLONE_OK);
    }
    if (which == 2)
      ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OPTIMIZER, SYMCLONE_OPTIMIZER_SGD),
                       SYMCLONE_OK);
    *np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  } else {
    ck_assert_int_eq(symclone_layer_create_conv2d(&conv, 1, 4, 3, 12, 12, SYMCLONE_PADDING_CIRCULAR, 1),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_layer_create_dense(&dense, 144, 576, 1), SYMCLONE_OK);
    cp = malloc(symclone_layer_param_count(conv) * sizeof *cp);
    *np = symclone_layer_param_count(dense);
    dp = calloc(*np, sizeof *dp);
    symclone_layer_init_params(conv, 3, cp);
    ck_assert_int_eq(symclone_trainer_create_instance(&tr, conv, cp, dense, dp), SYMCLONE_OK);
  }
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, 5), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, threads), SYMCLONE_OK);
  for (int i = 0; i < 12; i++) {
    ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
    /* the pool is restarted when the setting changes between steps */
    if (i == 5 && threads > 1)
      ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, threads + 1), SYMCLONE_OK);
  }
  *out = malloc(*np * sizeof **out);
  memcpy(*out, s ? symclone_student_params(s) : dp, *np * sizeof **out);
  *loss = symclone_trainer_loss(tr);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  symclone_layer_free(conv);
  symclone_layer_free(dense);
  free(cp), free(dp);
}

START_TEST(threads_change_speed_not_results) {
  float *ref, *w;
  size_t np, np2;
  double loss, loss2;
  run_case(_i, 1, &ref, &np, &loss);
  ck_assert_uint_gt(np, 4 * 16384);
  for (int threads = 2; threads <= 3; threads++) {
    run_case(_i, threads, &w, &np2, &loss2);
    ck_assert_uint_eq(np, np2);
    ck_assert_msg(memcmp(&loss, &loss2, sizeof loss) == 0, "case %d: threads=%d changed the loss",
                  _i, threads);
    ck_assert_msg(memcmp(ref, w, np * sizeof *w) == 0, "case %d: threads=%d changed the weights",
                  _i, threads);
    free(w);
  }
  free(ref);
}
END_TEST

/* Every key of <symclone/settings.h> has a name, bounds around its default
 * and a value in its object's range, and each object starts from the
 * defaults. */
START_TEST(every_setting_has_a_name_bounds_and_its_default) {
  int per_object[5] = {0};
  for (int key = -1; key < 600; key++) {
    double lo = NAN, hi = NAN, def = NAN;
    symclone_status st = symclone_setting_bounds((symclone_setting)key, &lo, &hi, &def);
    const char *name = symclone_setting_name((symclone_setting)key);
    if (st != SYMCLONE_OK) {
      ck_assert_int_eq(st, SYMCLONE_ERR_ARG);
      ck_assert_ptr_null(name);
      continue;
    }
    ck_assert_ptr_nonnull(name);
    ck_assert_msg(lo <= def && def <= hi, "%s: default %g outside [%g, %g]", name, def, lo, hi);
    ck_assert_msg(key % 100 != 0 && key / 100 < 5, "key %d (%s) outside the ranges", key, name);
    per_object[key / 100]++;
  }
  ck_assert_int_eq(per_object[0], 23); /* trainer */
  ck_assert_int_eq(per_object[1], 11); /* net */
  ck_assert_int_eq(per_object[3], 5);  /* diag */
  /* a trainer starts from the defaults */
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tr = NULL;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  for (int key = 1; key < 100; key++) {
    double def, v = NAN;
    if (symclone_setting_bounds((symclone_setting)key, NULL, NULL, &def) != SYMCLONE_OK) {
      ck_assert_int_eq(symclone_trainer_get(tr, (symclone_setting)key, &v), SYMCLONE_ERR_ARG);
      continue;
    }
    ck_assert_int_eq(symclone_trainer_get(tr, (symclone_setting)key, &v), SYMCLONE_OK);
    ck_assert_msg(v == def, "%s = %g, default %g", symclone_setting_name((symclone_setting)key),
                  v, def);
  }
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

START_TEST(bad_settings_refused) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_STOCHASTIC, 10);
  double v;
  struct {
    symclone_setting key;
    double value;
  } bad[] = {
      {SYMCLONE_TRAINER_LEARNING_RATE, -1e-3}, {SYMCLONE_TRAINER_LEARNING_RATE, 0},
      {SYMCLONE_TRAINER_LEARNING_RATE, NAN},   {SYMCLONE_TRAINER_INPUTS, 0},
      {SYMCLONE_TRAINER_KERNELS, 0},           {SYMCLONE_TRAINER_KERNELS, 2.5},
      {SYMCLONE_TRAINER_BETA1, 1.0},           {SYMCLONE_TRAINER_OPTIMIZER, 7},
      {SYMCLONE_TRAINER_ACCUMULATE, 0},        {SYMCLONE_TRAINER_CLIP_NORM, -1},
      {SYMCLONE_TRAINER_WEIGHT_DECAY, INFINITY},
      {SYMCLONE_TRAINER_THREADS, 0},           {SYMCLONE_TRAINER_THREADS, 257},
      {SYMCLONE_TRAINER_THREADS, 1.5},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double before;
    ck_assert_int_eq(symclone_trainer_get(tr, bad[i].key, &before), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, bad[i].key, bad[i].value), SYMCLONE_ERR_SETTING);
    ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr),
                                 symclone_setting_name(bad[i].key)));
    ck_assert_int_eq(symclone_trainer_get(tr, bad[i].key, &v), SYMCLONE_OK);
    ck_assert_double_eq(v, before);
  }
  ck_assert_int_eq(symclone_trainer_set(tr, (symclone_setting)999, 1), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_trainer_set(tr, (symclone_setting)24, 1), SYMCLONE_ERR_ARG);
  /* a network's key is refused, and the message names it and its object */
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_NET_BATCH_SIZE, 8), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr), "batch_size"));
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr), "net"));
  ck_assert_int_eq(symclone_trainer_get(tr, SYMCLONE_NET_SEED, &v), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_trainer_set(NULL, SYMCLONE_TRAINER_SEED, 1), SYMCLONE_ERR_NULL);
  double lo, hi, def;
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_TRAINER_LEARNING_RATE, &lo, &hi, &def),
                   SYMCLONE_OK);
  ck_assert_double_eq(def, 1e-2);
  ck_assert_int_eq(symclone_setting_bounds((symclone_setting)0, &lo, &hi, &def), SYMCLONE_ERR_ARG);
  /* samples requested but not given */
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE, SYMCLONE_INPUT_SOURCE_SAMPLES),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_ERR_STATE);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

START_TEST(divergence_stops_and_keeps_weights) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_UNIT_KERNELS, 10);
  float samples[2 * 36];
  for (int i = 0; i < 72; i++) samples[i] = (float)i / 72.0f;
  ck_assert_int_eq(symclone_trainer_set_samples(tr, samples, 2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE, SYMCLONE_INPUT_SOURCE_SAMPLES),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  float *keep = malloc(np * sizeof *keep);
  memcpy(keep, symclone_student_params(s), np * sizeof *keep);
  samples[5] = NAN;
  samples[36 + 5] = INFINITY;
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_ERR_DIVERGED);
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr), "step 2"));
  ck_assert_mem_eq(symclone_student_params(s), keep, np * sizeof *keep);
  ck_assert_int_eq(symclone_trainer_steps_done(tr), 1);
  free(keep);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

/* A step whose update would make one parameter overflow changes nothing:
 * not the other parameters, and not the optimizer's state (a twin trainer
 * that never took that step then goes on bit for bit alike); AdamW and
 * SGD.  Pixel 0 of the only sample is 0, so the dense weight W[0][0] does
 * not touch the loss; at 1e38 with learning_rate 10 and weight_decay 1
 * its decay alone (1 - 10) overflows. */
START_TEST(rejected_step_applies_nothing) {
  int opt = _i ? SYMCLONE_OPTIMIZER_SGD : SYMCLONE_OPTIMIZER_ADAMW;
  symclone_layer *conv, *dense;
  ck_assert_int_eq(symclone_layer_create_conv2d(&conv, 1, 1, 3, 6, 6, SYMCLONE_PADDING_CIRCULAR, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_dense(&dense, 36, 36, 1), SYMCLONE_OK);
  float cp[10], sample[36];
  symclone_layer_init_params(conv, 5, cp);
  for (int i = 0; i < 36; i++) sample[i] = i ? (float)sin(0.9 * i) : 0.0f;
  size_t np = symclone_layer_param_count(dense);
  float *dp[2], *keep = malloc(np * sizeof *keep);
  symclone_trainer *tr[2];
  for (int t = 0; t < 2; t++) {
    dp[t] = malloc(np * sizeof *dp[t]);
    for (size_t i = 0; i < np; i++) dp[t][i] = 0.01f * (float)cos(0.37 * (double)i);
    ck_assert_int_eq(symclone_trainer_create_instance(&tr[t], conv, cp, dense, dp[t]), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr[t], SYMCLONE_TRAINER_OPTIMIZER, opt), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set_samples(tr[t], sample, 1), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr[t], SYMCLONE_TRAINER_INPUT_SOURCE,
                                          SYMCLONE_INPUT_SOURCE_SAMPLES),
                     SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr[t], SYMCLONE_TRAINER_INPUTS, 4), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_step(tr[t], NULL, NULL), SYMCLONE_OK);
  }
  float w00 = dp[0][0];
  dp[0][0] = 1e38f;
  memcpy(keep, dp[0], np * sizeof *keep);
  ck_assert_int_eq(symclone_trainer_set(tr[0], SYMCLONE_TRAINER_LEARNING_RATE, 10), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr[0], SYMCLONE_TRAINER_WEIGHT_DECAY, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr[0], NULL, NULL), SYMCLONE_ERR_DIVERGED);
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr[0]), "step 2"));
  ck_assert_mem_eq(dp[0], keep, np * sizeof *keep);
  ck_assert_int_eq(symclone_trainer_steps_done(tr[0]), 1);
  dp[0][0] = w00;
  ck_assert_int_eq(symclone_trainer_set(tr[0], SYMCLONE_TRAINER_LEARNING_RATE, 1e-2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr[0], SYMCLONE_TRAINER_WEIGHT_DECAY, 0.01), SYMCLONE_OK);
  for (int k = 0; k < 3; k++)
    for (int t = 0; t < 2; t++)
      ck_assert_int_eq(symclone_trainer_step(tr[t], NULL, NULL), SYMCLONE_OK);
  ck_assert_mem_eq(dp[0], dp[1], np * sizeof *keep);
  for (int t = 0; t < 2; t++) {
    symclone_trainer_free(tr[t]);
    free(dp[t]);
  }
  free(keep);
  symclone_layer_free(conv);
  symclone_layer_free(dense);
}
END_TEST

START_TEST(instance_mode_clones_a_circular_conv) {
  symclone_layer *conv, *dense;
  ck_assert_int_eq(symclone_layer_create_conv2d(&conv, 2, 3, 3, 6, 6, SYMCLONE_PADDING_CIRCULAR, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_dense(&dense, 72, 108, 1), SYMCLONE_OK);
  float *cp = malloc(symclone_layer_param_count(conv) * sizeof *cp);
  float *dp = calloc(symclone_layer_param_count(dense), sizeof *dp);
  symclone_layer_init_params(conv, 3, cp);
  for (int o = 0; o < 3; o++) cp[symclone_layer_weight_count(conv) + o] = 0.1f * (o + 1);
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create_instance(&tr, conv, cp, dense, dp), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT),
                   SYMCLONE_ERR_SETTING);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, 1500);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_SCHEDULE, SYMCLONE_SCHEDULE_COSINE);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_WEIGHT_DECAY, 0);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  ck_assert_double_lt(symclone_trainer_rel_loss(tr), 1e-3);
  /* the dense matrix is close to the unrolled convolution */
  float *k = malloc(72 * 108 * sizeof *k);
  ck_assert_int_eq(symclone_layer_unroll(conv, cp, k), SYMCLONE_OK);
  double num = 0, den = 0;
  for (int i = 0; i < 72 * 108; i++) {
    num += ((double)dp[i] - k[i]) * ((double)dp[i] - k[i]);
    den += (double)k[i] * k[i];
  }
  ck_assert_double_lt(sqrt(num / den), 5e-2);
  symclone_layer *bad;
  ck_assert_int_eq(symclone_layer_create_dense(&bad, 72, 100, 1), SYMCLONE_OK);
  symclone_trainer *tr2 = (symclone_trainer *)0x1;
  ck_assert_int_eq(symclone_trainer_create_instance(&tr2, conv, cp, bad, dp), SYMCLONE_ERR_SHAPE);
  ck_assert_ptr_eq(tr2, (symclone_trainer *)0x1);
  symclone_layer_free(bad);
  free(cp), free(dp), free(k);
  symclone_trainer_free(tr);
  symclone_layer_free(conv);
  symclone_layer_free(dense);
}
END_TEST

/* SGD with momentum and the step schedule, on randomly transformed
 * caller samples (T2 shifts of full-rank random fields). */
START_TEST(sgd_step_schedule_transformed_samples) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 8, 9);
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  size_t n = 120;
  float *x = malloc(n * 64 * sizeof *x);
  srand(9);
  for (size_t i = 0; i < n * 64; i++) x[i] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
  ck_assert_int_eq(symclone_trainer_set_samples(tr, x, n), SYMCLONE_OK);
  struct {
    symclone_setting key;
    double value;
  } set[] = {
      {SYMCLONE_TRAINER_OPTIMIZER, SYMCLONE_OPTIMIZER_SGD},
      {SYMCLONE_TRAINER_LEARNING_RATE, 0.3},
      {SYMCLONE_TRAINER_MOMENTUM, 0.9},
      {SYMCLONE_TRAINER_WEIGHT_DECAY, 0},
      {SYMCLONE_TRAINER_CLIP_NORM, 0},
      {SYMCLONE_TRAINER_SCHEDULE, SYMCLONE_SCHEDULE_STEP},
      {SYMCLONE_TRAINER_SCHEDULE_STEPS, 400},
      {SYMCLONE_TRAINER_SCHEDULE_GAMMA, 0.3},
      {SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_UNIT_KERNELS},
      {SYMCLONE_TRAINER_INPUT_SOURCE, SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED},
      {SYMCLONE_TRAINER_MAX_STEPS, 1200},
  };
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
    ck_assert_int_eq(symclone_trainer_set(tr, set[i].key, set[i].value), SYMCLONE_OK);
  double first;
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, &first), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  ck_assert_double_lt(symclone_trainer_rel_loss(tr), 1e-2 * first);
  ck_assert_double_lt(distance(s), 0.05);
  /* the moment objective is defined for Gaussian inputs only */
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_MOMENT),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_ERR_SETTING);
  free(x);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

static int calls;
static int cancel_at_third(void *user, long long step, double loss, double rel, double sec) {
  (void)user, (void)loss, (void)rel, (void)sec;
  calls++;
  ck_assert_int_eq(step % 5, 0);
  return calls == 3;
}

START_TEST(progress_reports_and_cancels) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_STOCHASTIC, 100);
  symclone_trainer_set(tr, SYMCLONE_TRAINER_PROGRESS_EVERY, 5);
  symclone_trainer_set_progress(tr, cancel_at_third, NULL);
  calls = 0;
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_ERR_CANCELLED);
  ck_assert_int_eq(calls, 3);
  ck_assert_int_eq(symclone_trainer_steps_done(tr), 15);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

static long long cancelled_at = -1;
static int cancel_now(void *user, long long step, double loss, double rel, double sec) {
  (void)user, (void)loss, (void)rel, (void)sec;
  cancelled_at = step;
  return 1;
}

/* An update of a million micro-batches can be cancelled while it runs: the
 * progress callback comes within it (with the steps done so far, 0), and
 * nothing of the update is applied. */
START_TEST(progress_cancels_inside_an_update) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_STOCHASTIC, 10);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 1e6), SYMCLONE_OK);
  symclone_trainer_set_progress(tr, cancel_now, NULL);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  float *keep = malloc(np * sizeof *keep);
  memcpy(keep, symclone_student_params(s), np * sizeof *keep);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_ERR_CANCELLED);
  ck_assert_int_eq(cancelled_at, 0);
  ck_assert_int_eq(symclone_trainer_steps_done(tr), 0);
  ck_assert_mem_eq(symclone_student_params(s), keep, np * sizeof *keep);
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tr), "step 1"));
  free(keep);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

/* The moment objective's relative loss is known to its reported
 * resolution: against the student's exact relative loss (from its
 * effective matrices) at the exact solution, near it and far from it; and
 * run() does not stop on a target that rounding alone could reach. */
START_TEST(moment_loss_within_its_resolution) {
  symclone_student *s = student(SYMCLONE_STUDENT_LIFTING, 4, 8, 9);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_MOMENT, 100);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_LEARNING_RATE, 1e-7), SYMCLONE_OK);
  float *p = symclone_student_params(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  static const float noise[3] = {0.0f, 1e-3f, 0.3f};
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < np; i++) p[i] += noise[k] * (float)sin(1.3 * (double)i + k);
    double truth;
    ck_assert_int_eq(symclone_student_relative_loss(s, &truth), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
    double rel = symclone_trainer_rel_loss(tr), res = symclone_trainer_rel_loss_resolution(tr);
    ck_assert_msg(res > 0 && fabs(rel - truth) <= res, "case %d: rel %.3e, exact %.3e, resolution %.3e",
                  k, rel, truth, res);
  }
  symclone_trainer_free(tr);
  /* at the exact solution the reported loss is within rounding of 0, which
   * is above the target: run() goes on to max_steps */
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  tr = trainer(s, SYMCLONE_OBJECTIVE_MOMENT, 4);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_LEARNING_RATE, 1e-7), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_TARGET_REL_LOSS, 1e-6), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  ck_assert_double_gt(symclone_trainer_rel_loss_resolution(tr), 1e-6);
  ck_assert_int_eq(symclone_trainer_steps_done(tr), 4);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

START_TEST(stack_cloned_layer_by_layer) {
  symclone_layer *l[3];
  ck_assert_int_eq(symclone_layer_create_lifting(&l[0], 4, 1, 2, 3, 9, 9, SYMCLONE_PADDING_VALID, 0), 0);
  ck_assert_int_eq(symclone_layer_create_relu(&l[1], 2, 4, 7, 7), 0);
  ck_assert_int_eq(symclone_layer_create_group_conv(&l[2], 4, 2, 1, 3, 7, 7, SYMCLONE_PADDING_VALID, 0), 0);
  float *p0 = malloc(symclone_layer_param_count(l[0]) * sizeof(float));
  float *p2 = malloc(symclone_layer_param_count(l[2]) * sizeof(float));
  symclone_layer_init_params(l[0], 1, p0);
  symclone_layer_init_params(l[2], 2, p2);
  const float *params[3] = {p0, NULL, p2};
  /* enough random fields that their second moment has full rank: a clone
   * trained on data is pinned down only on the span of the data */
  size_t n = 200;
  float *x = malloc(n * 81 * sizeof *x);
  srand(5);
  for (size_t i = 0; i < n * 81; i++) x[i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
  symclone_student *tmpl_s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tmpl = trainer(tmpl_s, SYMCLONE_OBJECTIVE_UNIT_KERNELS, 1500);
  symclone_student *st[3];
  ck_assert_int_eq(symclone_trainer_clone_stack(tmpl, (const symclone_layer *const *)l, params, 3, x, n,
                                                9, st),
                   SYMCLONE_OK);
  ck_assert_ptr_nonnull(st[0]);
  ck_assert_ptr_null(st[1]);
  ck_assert_ptr_nonnull(st[2]);
  ck_assert_int_eq(symclone_student_kind_of(st[0]), SYMCLONE_STUDENT_LIFTING);
  ck_assert_int_eq(symclone_student_kind_of(st[2]), SYMCLONE_STUDENT_GROUP);
  ck_assert_uint_eq(symclone_student_input_size(st[2]), 4u * 49);
  ck_assert_double_lt(distance(st[0]), 0.1);
  ck_assert_double_lt(distance(st[2]), 0.3);
  /* a shape mismatch is refused with every student slot NULL */
  const symclone_layer *wrong[2] = {l[0], l[0]};
  const float *wp[2] = {p0, p0};
  symclone_student *st2[2];
  ck_assert_int_eq(symclone_trainer_clone_stack(tmpl, wrong, wp, 2, NULL, 0, 9, st2), SYMCLONE_ERR_SHAPE);
  ck_assert_ptr_null(st2[0]);
  ck_assert_ptr_null(st2[1]);
  /* the message is kept by the template */
  ck_assert_ptr_nonnull(strstr(symclone_trainer_last_error(tmpl), "layers[1]"));
  for (int i = 0; i < 3; i++) symclone_student_free(st[i]), symclone_layer_free(l[i]);
  free(p0), free(p2), free(x);
  symclone_trainer_free(tmpl);
  symclone_student_free(tmpl_s);
}
END_TEST

/* ---- dihedral students ------------------------------------------------ */

typedef struct {
  const symclone_student *s;
  const float *theta;
} student_at;

static symclone_status student_op(void *user, size_t batch, const float *x, float *y) {
  const student_at *a = user;
  return symclone_student_forward(a->s, a->theta, batch, x, y);
}

/* The D_n equivariance error of S(.; theta) for a fixed theta, every
 * element, every output pixel (exact for D1, D2 and D4). */
static double dihedral_equivariance(const symclone_student *s, int n, double *max_err) {
  symclone_group *g;
  ck_assert_int_eq(symclone_group_create_dihedral(&g, n), SYMCLONE_OK);
  int in_shape[4], out_shape[4];
  symclone_student_input_shape(s, in_shape);
  symclone_student_output_shape(s, out_shape);
  symclone_diag *d;
  ck_assert_int_eq(symclone_diag_create(&d, g, in_shape, out_shape), SYMCLONE_OK);
  size_t P = symclone_student_theta_size(s);
  float *theta = malloc(P * sizeof *theta);
  for (size_t i = 0; i < P; i++) theta[i] = (float)sin(0.9 * (double)i + 0.4);
  student_at at = {s, theta};
  double mean = -1, mx = -1;
  ck_assert_int_eq(symclone_diag_equivariance_error(d, student_op, &at, &mean, &mx), SYMCLONE_OK);
  if (max_err) *max_err = mx;
  free(theta);
  symclone_diag_free(d);
  symclone_group_free(g);
  return mean;
}

/* The exact dihedral students are D_n-equivariant to float rounding, and
 * the measure sees a student that is not. */
START_TEST(dihedral_exact_student_is_equivariant) {
  int ns[3] = {1, 2, 4};
  symclone_student_kind kind =
      _i < 3 ? SYMCLONE_STUDENT_DIHEDRAL_LIFTING : SYMCLONE_STUDENT_DIHEDRAL_GROUP;
  int n = ns[_i % 3];
  symclone_student *s = student(kind, n, 8, 9);
  ck_assert_int_eq(symclone_student_init_exact(s), SYMCLONE_OK);
  double mx, e = dihedral_equivariance(s, n, &mx);
  ck_assert_msg(mx <= 1e-6, "D%d kind %d: equivariance error %g", n, kind, mx);
  (void)e;
  ck_assert_int_eq(symclone_student_init_random(s, 3), SYMCLONE_OK);
  float *prm = symclone_student_params(s);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  for (size_t i = 0; i < nb; i++) prm[i] = (float)cos(1.7 * (double)i);
  ck_assert_double_gt(dihedral_equivariance(s, n, NULL), 0.1);
  symclone_student_free(s);
}
END_TEST

/* The moment objective clones the D4 lifting convolution: relative loss
 * below 1e-4, and the clone is D4-equivariant to the precision of its
 * distance to the teacher. */
START_TEST(dihedral_lifting_clone_by_moments) {
  symclone_student *s = student(SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 10, 9);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_MOMENT, 2000);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  double rel;
  ck_assert_int_eq(symclone_student_relative_loss(s, &rel), SYMCLONE_OK);
  ck_assert_msg(rel < 1e-4, "relative loss %g", rel);
  ck_assert_double_lt(symclone_trainer_rel_loss(tr), 1e-4);
  double d = distance(s), mx, e = dihedral_equivariance(s, 4, &mx);
  ck_assert_msg(mx <= 1e-4 && e <= 4.0 * d + 1e-6,
                "equivariance error %g (max %g), toeplitz distance %g", e, mx, d);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

/* The sampling objectives on the dihedral kinds: Gaussian inputs for the
 * unit kernels and the stochastic objective, the caller's samples under
 * random D2 elements (the group-field action for the group student, the
 * planar one for the lifting student). */
START_TEST(dihedral_sampling_objectives_converge) {
  symclone_student_kind kind =
      _i % 2 ? SYMCLONE_STUDENT_DIHEDRAL_GROUP : SYMCLONE_STUDENT_DIHEDRAL_LIFTING;
  int objective = _i / 2 == 1 ? SYMCLONE_OBJECTIVE_STOCHASTIC : SYMCLONE_OBJECTIVE_UNIT_KERNELS;
  int transformed = _i / 2 == 2;
  symclone_student *s = student(kind, 2, 7, 9);
  long steps = objective == SYMCLONE_OBJECTIVE_STOCHASTIC ? 1500 : 800;
  symclone_trainer *tr = trainer(s, objective, steps);
  float *x = NULL;
  if (transformed) {
    size_t in = symclone_student_input_size(s), n = 150;
    x = malloc(n * in * sizeof *x);
    srand(21);
    for (size_t i = 0; i < n * in; i++) x[i] = 2.0f * (float)rand() / (float)RAND_MAX - 1.0f;
    ck_assert_int_eq(symclone_trainer_set_samples(tr, x, n), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE,
                                          SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED),
                     SYMCLONE_OK);
  }
  double first;
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, &first), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  double d = distance(s);
  ck_assert_msg(d < 5e-2, "case %d: toeplitz distance %g", _i, d);
  ck_assert_double_lt(symclone_trainer_rel_loss(tr), 1e-2 * first);
  free(x);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

/* The step of a dihedral student against its own forward and backward
 * passes and the teacher's (unit kernels, one fixed sample, plain SGD), as
 * step_matches_forward_and_backward does for the other kinds. */
START_TEST(dihedral_step_matches_forward_and_backward) {
  symclone_student_kind kind =
      _i ? SYMCLONE_STUDENT_DIHEDRAL_GROUP : SYMCLONE_STUDENT_DIHEDRAL_LIFTING;
  symclone_student *s = student(kind, 2, 7, 5);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  size_t P = symclone_student_theta_size(s), in = symclone_student_input_size(s),
         out = symclone_student_output_size(s);
  float *params = symclone_student_params(s);
  for (size_t i = 0; i < np; i++) params[i] = 0.3f * (float)sin(0.7 * (double)i + _i);
  float *before = malloc(np * sizeof *before), *x = malloc(in * sizeof *x);
  memcpy(before, params, np * sizeof *before);
  for (size_t i = 0; i < in; i++) x[i] = (float)cos(1.3 * (double)i) + 0.1f;
  symclone_layer *teacher;
  ck_assert_int_eq(symclone_student_teacher(s, &teacher), SYMCLONE_OK);
  float *theta = calloc(P, sizeof *theta), *ys = malloc(out * sizeof *ys),
        *yt = malloc(out * sizeof *yt), *grad = calloc(np, sizeof *grad);
  double err = 0.0, pow_ = 0.0;
  for (size_t p = 0; p < P; p++) {
    memset(theta, 0, P * sizeof *theta);
    theta[p] = 1.0f;
    ck_assert_int_eq(symclone_student_forward(s, theta, 1, x, ys), SYMCLONE_OK);
    ck_assert_int_eq(symclone_layer_forward(teacher, theta, 1, x, yt, NULL), SYMCLONE_OK);
    for (size_t o = 0; o < out; o++) {
      double d = (double)ys[o] - yt[o];
      err += d * d;
      pow_ += (double)yt[o] * yt[o];
      ys[o] = (float)(2.0 * d / ((double)P * out));
    }
    ck_assert_int_eq(symclone_student_backward(s, theta, 1, x, ys, NULL, grad, NULL),
                     SYMCLONE_OK);
  }
  err /= (double)P * out;
  pow_ /= (double)P * out;
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  double lr = 5.0;
  struct { symclone_setting k; double v; } set[] = {
      {SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_OBJECTIVE_UNIT_KERNELS},
      {SYMCLONE_TRAINER_INPUT_SOURCE, SYMCLONE_INPUT_SOURCE_SAMPLES},
      {SYMCLONE_TRAINER_INPUTS, 3},
      {SYMCLONE_TRAINER_OPTIMIZER, SYMCLONE_OPTIMIZER_SGD},
      {SYMCLONE_TRAINER_MOMENTUM, 0},
      {SYMCLONE_TRAINER_WEIGHT_DECAY, 0},
      {SYMCLONE_TRAINER_CLIP_NORM, 0},
      {SYMCLONE_TRAINER_LEARNING_RATE, lr}};
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
    ck_assert_int_eq(symclone_trainer_set(tr, set[i].k, set[i].v), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set_samples(tr, x, 1), SYMCLONE_OK);
  double loss, rel;
  ck_assert_int_eq(symclone_trainer_step(tr, &loss, &rel), SYMCLONE_OK);
  ck_assert_msg(fabs(loss - err) <= 1e-5 * err, "loss %.9g, reference %.9g", loss, err);
  ck_assert_msg(fabs(rel - err / pow_) <= 1e-5 * (err / pow_), "rel %.9g, reference %.9g", rel,
                err / pow_);
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < np; i++) {
    double g = ((double)before[i] - params[i]) / lr;
    num += (g - grad[i]) * (g - grad[i]);
    den += (double)grad[i] * grad[i];
  }
  ck_assert_msg(den > 0 && sqrt(num / den) < 1e-4, "gradient rel. error %g", sqrt(num / den));
  symclone_trainer_free(tr);
  symclone_layer_free(teacher);
  free(grad), free(yt), free(ys), free(theta), free(x), free(before);
  symclone_student_free(s);
}
END_TEST

/* A stack of p4m layers (D2 here, for speed): the dihedral lifting and
 * group convolutions get dihedral students of the right n. */
START_TEST(dihedral_stack_cloned_layer_by_layer) {
  symclone_layer *l[3];
  ck_assert_int_eq(symclone_layer_create_dihedral_lifting(&l[0], 2, 1, 1, 3, 8, 8,
                                                          SYMCLONE_PADDING_VALID, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_relu(&l[1], 1, 4, 6, 6), SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_create_dihedral_group_conv(&l[2], 2, 1, 1, 3, 6, 6,
                                                             SYMCLONE_PADDING_VALID, 0),
                   SYMCLONE_OK);
  float *p0 = malloc(symclone_layer_param_count(l[0]) * sizeof(float));
  float *p2 = malloc(symclone_layer_param_count(l[2]) * sizeof(float));
  symclone_layer_init_params(l[0], 1, p0);
  symclone_layer_init_params(l[2], 2, p2);
  const float *params[3] = {p0, NULL, p2};
  symclone_student *tmpl_s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 9);
  symclone_trainer *tmpl = trainer(tmpl_s, SYMCLONE_OBJECTIVE_MOMENT, 1500);
  symclone_student *st[3];
  ck_assert_int_eq(symclone_trainer_clone_stack(tmpl, (const symclone_layer *const *)l, params, 3,
                                                NULL, 0, 9, st),
                   SYMCLONE_OK);
  ck_assert_ptr_null(st[1]);
  ck_assert_int_eq(symclone_student_kind_of(st[0]), SYMCLONE_STUDENT_DIHEDRAL_LIFTING);
  ck_assert_int_eq(symclone_student_kind_of(st[2]), SYMCLONE_STUDENT_DIHEDRAL_GROUP);
  ck_assert_int_eq(symclone_student_orientations(st[0]), 2);
  ck_assert_int_eq(symclone_student_orientations(st[2]), 2);
  ck_assert_uint_eq(symclone_student_input_size(st[2]), 4u * 36);
  ck_assert_uint_eq(symclone_student_output_size(st[0]), symclone_layer_output_size(l[0]));
  ck_assert_double_lt(distance(st[0]), 1e-2);
  ck_assert_double_lt(distance(st[2]), 1e-2);
  for (int i = 0; i < 3; i++) symclone_student_free(st[i]), symclone_layer_free(l[i]);
  free(p0), free(p2);
  symclone_trainer_free(tmpl);
  symclone_student_free(tmpl_s);
}
END_TEST

/* A restricted student (symclone_student_restrict) stays on its
 * restriction through every kind of step: data samples transformed by the
 * group, several micro-batches, clipping, both optimizers; and a step the
 * trainer rejects leaves it as it was, frozen parts and blocks. */
START_TEST(restricted_student_stays_restricted_through_steps) {
  symclone_student *s = student(SYMCLONE_STUDENT_PLANAR, 1, 6, 6);
  symclone_group *c4;
  ck_assert_int_eq(symclone_group_create_cyclic(&c4, 4), SYMCLONE_OK);
  const int sub[5] = {0, 1, 2, 3, 4}; /* dimensions 1 + 1 + 1 + 2 + 1 */
  ck_assert_int_eq(symclone_student_restrict(s, c4, sub, 5), SYMCLONE_OK);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  float *frozen = malloc(np * sizeof *frozen), *keep = malloc(np * sizeof *keep);
  memcpy(frozen, symclone_student_params(s), np * sizeof *frozen);
  symclone_trainer *tr = trainer(s, SYMCLONE_OBJECTIVE_STOCHASTIC, 100);
  float samples[3 * 36];
  for (int i = 0; i < 108; i++) samples[i] = (float)sin(0.37 * i);
  ck_assert_int_eq(symclone_trainer_set_samples(tr, samples, 3), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE,
                                        SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_ACCUMULATE, 2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_CLIP_NORM, 1e-3), SYMCLONE_OK);
  for (int opt = 0; opt < 2; opt++) {
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OPTIMIZER, opt), SYMCLONE_OK);
    for (int k = 0; k < 3; k++) ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
    /* coefficients frozen bit for bit, blocks trained and already projected */
    const float *p = symclone_student_params(s);
    ck_assert_mem_eq(p + nb, frozen + nb, (np - nb) * sizeof *p);
    double moved = 0.0;
    for (size_t i = 0; i < nb; i++) moved += fabs((double)p[i] - frozen[i]);
    ck_assert_double_gt(moved, 0.0);
    memcpy(keep, p, np * sizeof *keep);
    ck_assert_int_eq(symclone_student_restrict(s, c4, sub, 5), SYMCLONE_OK);
    double diff = 0.0, norm = 0.0;
    for (size_t i = 0; i < nb; i++) {
      diff += ((double)p[i] - keep[i]) * ((double)p[i] - keep[i]);
      norm += (double)keep[i] * keep[i];
    }
    ck_assert_msg(sqrt(diff / norm) <= 1e-6, "optimizer %d: blocks off their projection by %g",
                  opt, sqrt(diff / norm));
  }
  /* a rejected step changes nothing */
  memcpy(keep, symclone_student_params(s), np * sizeof *keep);
  samples[5] = NAN;
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUT_SOURCE,
                                        SYMCLONE_INPUT_SOURCE_SAMPLES),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 64), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_ERR_DIVERGED);
  ck_assert_mem_eq(symclone_student_params(s), keep, np * sizeof *keep);
  free(frozen), free(keep);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  symclone_group_free(c4);
}
END_TEST

int main(void) {
  Suite *su = suite_create("trainer");
  TCase *tc = tcase_create("cloning");
  tcase_set_timeout(tc, 900);
  tcase_add_loop_test(tc, planar_clone_converges_each_objective, 0, 3);
  tcase_add_loop_test(tc, lifting_and_group_clones_converge, 0, 2);
  tcase_add_test(tc, fewer_blocks_only_approximate);
  tcase_add_loop_test(tc, step_matches_forward_and_backward, 0, 6);
  tcase_add_test(tc, same_seed_same_weights);
  tcase_add_loop_test(tc, threads_change_speed_not_results, 0, 5);
  tcase_add_test(tc, every_setting_has_a_name_bounds_and_its_default);
  tcase_add_test(tc, bad_settings_refused);
  tcase_add_test(tc, divergence_stops_and_keeps_weights);
  tcase_add_loop_test(tc, rejected_step_applies_nothing, 0, 2);
  tcase_add_test(tc, instance_mode_clones_a_circular_conv);
  tcase_add_test(tc, progress_reports_and_cancels);
  tcase_add_test(tc, progress_cancels_inside_an_update);
  tcase_add_test(tc, moment_loss_within_its_resolution);
  tcase_add_test(tc, sgd_step_schedule_transformed_samples);
  tcase_add_test(tc, stack_cloned_layer_by_layer);
  tcase_add_loop_test(tc, dihedral_exact_student_is_equivariant, 0, 6);
  tcase_add_test(tc, dihedral_lifting_clone_by_moments);
  tcase_add_loop_test(tc, dihedral_sampling_objectives_converge, 0, 6);
  tcase_add_loop_test(tc, dihedral_step_matches_forward_and_backward, 0, 2);
  tcase_add_test(tc, dihedral_stack_cloned_layer_by_layer);
  tcase_add_test(tc, restricted_student_stays_restricted_through_steps);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
