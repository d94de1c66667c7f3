/* libsymclone-mpi under mpiexec -n 1, 2, 3 (suite mpi): the sharded
 * trainer against the single-process trainer (bit for bit on one rank, to
 * a stated tolerance on several), identical bits run to run, save and load
 * interchange with the single-process library, the rows query, and the
 * same status on every rank when one rank fails.
 *
 * Every rank runs the same tests in the same order (Check without fork:
 * MPI does not survive a fork). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <symclone/mpi.h>
#include <symclone/symclone.h>

static int rank_, size_;

/* Lifting C4, kernel 3 on 9x9 with zero padding: 81 output rows, 9 blocks. */
#define KIND SYMCLONE_STUDENT_LIFTING
#define ORI 4
#define KER 3
#define H 9
#define W 9
#define PAD SYMCLONE_PADDING_ZERO
#define BLOCKS 9
#define SEED 7u
#define STEPS 40

/* Several ranks sum over the output rows in another order: the moment
 * objective's Gram matrix and tap sums, the sampling objectives' im2col
 * Gram matrix, coefficient gradient dC, loss and the fused update's D.
 * Each such entry then differs by a few units in the last place of a
 * float (the ranks' float partial sums, added in double and rounded
 * once), about 1e-7 of its size.  AdamW divides by the gradient's running
 * size, so such a relative change of the gradient moves each step by
 * about as much, and STEPS steps of learning rate 1e-2 by at most STEPS *
 * 1e-2 * a few 1e-7 in absolute terms before any amplification; the
 * objectives are quadratic in the blocks, without the chaotic growth of
 * a deep network, so the differences stay of that order (measured:
 * 2.5e-7 of the largest weight at most, on 2 and 3 ranks, for every
 * objective here).  We allow 1e-5 of the largest weight: well above the
 * rounding, far below anything a wrong reduction (a row missing: a whole
 * row's share of G or dC) would give. */
#define TOL 1e-5

/* the kind of the runs against the single-process trainer */
static symclone_student_kind kind_ = KIND;

static void settings(symclone_trainer *tr, symclone_mpi_trainer *mt, int objective, int optimizer) {
  const symclone_setting keys[] = {SYMCLONE_TRAINER_OBJECTIVE, SYMCLONE_TRAINER_LEARNING_RATE,
                                   SYMCLONE_TRAINER_MAX_STEPS, SYMCLONE_TRAINER_OPTIMIZER,
                                   SYMCLONE_TRAINER_CLIP_NORM, SYMCLONE_TRAINER_SEED,
                                   SYMCLONE_TRAINER_KERNELS, SYMCLONE_TRAINER_INPUTS};
  const double vals[] = {objective, 1e-2, STEPS, optimizer, 0.5, 11, 4, 16};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (tr) ck_assert_int_eq(symclone_trainer_set(tr, keys[i], vals[i]), SYMCLONE_OK);
    if (mt) ck_assert_int_eq(symclone_mpi_trainer_set(mt, keys[i], vals[i]), SYMCLONE_OK);
  }
}

/* The single-process trainer's weights after STEPS steps (every rank). */
static symclone_student *single_run(int objective, int optimizer, double *loss) {
  symclone_student *s;
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_student_create(&s, kind_, ORI, KER, H, W, PAD, BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  settings(tr, NULL, objective, optimizer);
  ck_assert_int_eq(symclone_trainer_run(tr), SYMCLONE_OK);
  *loss = symclone_trainer_loss(tr);
  symclone_trainer_free(tr);
  return s;
}

/* The sharded trainer's weights after STEPS steps, gathered (every rank). */
static symclone_student *sharded_run(int objective, int optimizer, double *loss) {
  symclone_mpi_student *ms;
  symclone_mpi_trainer *mt;
  symclone_student *whole;
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, kind_, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_create(&mt, ms), SYMCLONE_OK);
  settings(NULL, mt, objective, optimizer);
  ck_assert_int_eq(symclone_mpi_trainer_run(mt), SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_steps_done(mt), STEPS);
  ck_assert_int_eq(symclone_mpi_trainer_loss(mt, loss, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_create(&whole, kind_, ORI, KER, H, W, PAD, BLOCKS, 0),
                   SYMCLONE_OK);
  for (int root = 0; root < size_; root++) /* the whole student on every rank */
    ck_assert_int_eq(symclone_mpi_student_gather(ms, rank_ == root ? whole : NULL, root),
                     SYMCLONE_OK);
  symclone_mpi_trainer_free(mt);
  symclone_mpi_student_free(ms);
  return whole;
}

/* max |a - b| / max |a| over the parameters */
static double rel_diff(symclone_student *a, symclone_student *b) {
  size_t n = symclone_student_param_count(a, SYMCLONE_STUDENT_PART_ALL);
  ck_assert_uint_eq(n, symclone_student_param_count(b, SYMCLONE_STUDENT_PART_ALL));
  const float *pa = symclone_student_params(a), *pb = symclone_student_params(b);
  double d = 0.0, m = 0.0;
  for (size_t i = 0; i < n; i++) {
    d = fmax(d, fabs((double)pa[i] - pb[i]));
    m = fmax(m, fabs((double)pa[i]));
  }
  return d / m;
}

static int same_bits(symclone_student *a, symclone_student *b) {
  size_t n = symclone_student_param_count(a, SYMCLONE_STUDENT_PART_ALL);
  return n == symclone_student_param_count(b, SYMCLONE_STUDENT_PART_ALL) &&
         !memcmp(symclone_student_params(a), symclone_student_params(b), n * sizeof(float));
}

static void against_single(int objective, int optimizer) {
  double l1, ln;
  symclone_student *one = single_run(objective, optimizer, &l1);
  symclone_student *many = sharded_run(objective, optimizer, &ln);
  double d = rel_diff(one, many);
  if (rank_ == 0)
    printf("%d rank(s), objective %d, optimizer %d: max weight difference %.3g of the largest, "
           "loss %.9g vs %.9g\n",
           size_, objective, optimizer, d, ln, l1);
  if (size_ == 1) {
    ck_assert_msg(same_bits(one, many), "one rank differs from the single-process trainer");
    ck_assert(l1 == ln);
  } else {
    ck_assert_msg(d <= TOL, "weights differ by %g of the largest", d);
    ck_assert_msg(fabs(l1 - ln) <= 1e-4 * l1 + 1e-12, "loss %g vs %g", ln, l1);
  }
  /* the training did something */
  symclone_student *fresh;
  ck_assert_int_eq(symclone_student_create(&fresh, kind_, ORI, KER, H, W, PAD, BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert(rel_diff(many, fresh) > 1e-2);
  symclone_student_free(fresh);
  symclone_student_free(one);
  symclone_student_free(many);
}

START_TEST(moment_adamw_matches_single) {
  against_single(SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OPTIMIZER_ADAMW);
}
END_TEST

START_TEST(moment_sgd_matches_single) {
  against_single(SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OPTIMIZER_SGD);
}
END_TEST

/* with one input channel and 16 inputs: the fused update of the family
 * objectives (its norm from the reduced D) */
START_TEST(stochastic_matches_single) {
  against_single(SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OPTIMIZER_ADAMW);
}
END_TEST

START_TEST(unit_kernels_sgd_matches_single) {
  against_single(SYMCLONE_OBJECTIVE_UNIT_KERNELS, SYMCLONE_OPTIMIZER_SGD);
}
END_TEST

/* a group student: four input orientations (their im2col rows, the
 * non-fused update) */
START_TEST(group_stochastic_matches_single) {
  kind_ = SYMCLONE_STUDENT_GROUP;
  against_single(SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OPTIMIZER_ADAMW);
  kind_ = KIND;
}
END_TEST

START_TEST(run_to_run) {
  double a, b;
  symclone_student *x = sharded_run(SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OPTIMIZER_ADAMW, &a);
  symclone_student *y = sharded_run(SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OPTIMIZER_ADAMW, &b);
  ck_assert(same_bits(x, y));
  ck_assert(memcmp(&a, &b, sizeof a) == 0);
  symclone_student_free(x);
  symclone_student_free(y);
}
END_TEST

START_TEST(rows_cover) {
  symclone_mpi_student *ms;
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  size_t n, start, total, count;
  ck_assert_int_eq(symclone_mpi_student_rows(ms, &n, &start, &total), SYMCLONE_OK);
  ck_assert_uint_eq(total, (size_t)H * W);
  unsigned long mine[2] = {n, start}, all[2 * 8];
  ck_assert_int_le(size_, 8);
  MPI_Allgather(mine, 2, MPI_UNSIGNED_LONG, all, 2, MPI_UNSIGNED_LONG, MPI_COMM_WORLD);
  unsigned long next = 0;
  for (int r = 0; r < size_; r++) {
    ck_assert_uint_eq(all[2 * r + 1], next); /* contiguous, in rank order */
    ck_assert_uint_ge(all[2 * r], total / size_);
    next += all[2 * r];
  }
  ck_assert_uint_eq(next, total);
  float *p = symclone_mpi_student_params(ms, &count);
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(count, BLOCKS * n * H * W + BLOCKS * KER * KER + ORI * 9 * 9);
  symclone_mpi_student_free(ms);
}
END_TEST

/* The same student on every rank, and the same status. */
static void assert_same_status(symclone_status st) {
  int mine = (int)st, all[8];
  MPI_Allgather(&mine, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
  for (int r = 0; r < size_; r++) ck_assert_int_eq(all[r], mine);
}

START_TEST(save_load_interchange) {
  char dir[] = "/tmp/symclone-mpi-XXXXXX", a[128], b[128];
  if (rank_ == 0) ck_assert_ptr_nonnull(mkdtemp(dir));
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
  snprintf(a, sizeof a, "%s/sharded.stu", dir);
  snprintf(b, sizeof b, "%s/single.stu", dir);
  double l;
  symclone_mpi_student *ms, *back;
  symclone_mpi_trainer *mt;
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_create(&mt, ms), SYMCLONE_OK);
  settings(NULL, mt, SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OPTIMIZER_ADAMW);
  ck_assert_int_eq(symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_MAX_STEPS, 5), SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_run(mt), SYMCLONE_OK);
  (void)l;
  /* sharded save -> single-process load */
  ck_assert_int_eq(symclone_mpi_student_save(ms, a), SYMCLONE_OK);
  symclone_student *whole, *loaded = NULL;
  ck_assert_int_eq(symclone_student_create(&whole, KIND, ORI, KER, H, W, PAD, BLOCKS, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_student_gather(ms, rank_ == 0 ? whole : NULL, 0), SYMCLONE_OK);
  if (rank_ == 0) {
    ck_assert_int_eq(symclone_student_load(&loaded, a, NULL), SYMCLONE_OK);
    ck_assert(same_bits(whole, loaded));
    /* single-process save of something else -> sharded load */
    symclone_student_params(loaded)[0] += 1.0f;
    symclone_student_params(loaded)[symclone_student_param_count(loaded, SYMCLONE_STUDENT_PART_ALL) - 1] -= 1.0f;
    ck_assert_int_eq(symclone_student_save(loaded, b), SYMCLONE_OK);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  ck_assert_int_eq(symclone_mpi_student_load(&back, MPI_COMM_WORLD, b, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_student_gather(back, rank_ == 0 ? whole : NULL, 0), SYMCLONE_OK);
  if (rank_ == 0) ck_assert(same_bits(whole, loaded));
  MPI_Barrier(MPI_COMM_WORLD);
  assert_same_status(SYMCLONE_OK);
  symclone_student_free(loaded);
  symclone_student_free(whole);
  symclone_mpi_student_free(back);
  symclone_mpi_trainer_free(mt);
  symclone_mpi_student_free(ms);
  if (rank_ == 0) {
    remove(a);
    remove(b);
    rmdir(dir);
  }
}
END_TEST

/* A restricted student (all subspaces of C4's 3x3 filters: 9 blocks) is
 * not sharded: scattering it and loading its file fail alike on every
 * rank. */
START_TEST(restricted_refused) {
  char dir[] = "/tmp/symclone-mpi-XXXXXX", path[128];
  if (rank_ == 0) ck_assert_ptr_nonnull(mkdtemp(dir));
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
  snprintf(path, sizeof path, "%s/restricted.stu", dir);
  symclone_group *g;
  symclone_student *whole;
  int count, idx[16];
  ck_assert_int_eq(symclone_group_create_cyclic(&g, ORI), SYMCLONE_OK);
  ck_assert_int_eq(symclone_group_subspace_count(g, KER, &count), SYMCLONE_OK);
  ck_assert_int_le(count, 16);
  for (int i = 0; i < count; i++) idx[i] = i;
  ck_assert_int_eq(symclone_student_create(&whole, KIND, ORI, KER, H, W, PAD, BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_restrict(whole, g, idx, count), SYMCLONE_OK);
  if (rank_ == 0) ck_assert_int_eq(symclone_student_save(whole, path), SYMCLONE_OK);
  symclone_mpi_student *ms = NULL;
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_student_scatter(ms, rank_ == 0 ? whole : NULL, 0),
                   SYMCLONE_ERR_UNSUPPORTED);
  symclone_mpi_student *loaded = NULL;
  ck_assert_int_eq(symclone_mpi_student_load(&loaded, MPI_COMM_WORLD, path, NULL),
                   SYMCLONE_ERR_UNSUPPORTED);
  ck_assert_ptr_null(loaded);
  symclone_mpi_student_free(ms);
  symclone_student_free(whole);
  symclone_group_free(g);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_ == 0) {
    remove(path);
    rmdir(dir);
  }
}
END_TEST

/* The operator of the diag: the sharded or the whole student's forward
 * pass at a fixed theta. */
typedef struct fwd_ctx {
  symclone_mpi_student *ms;
  symclone_student *whole;
  const float *theta;
} fwd_ctx;

static symclone_status sharded_forward(void *user, size_t batch, const float *x, float *y) {
  const fwd_ctx *c = user;
  return symclone_mpi_student_forward(c->ms, c->theta, batch, x, y);
}

static symclone_status whole_forward(void *user, size_t batch, const float *x, float *y) {
  const fwd_ctx *c = user;
  return symclone_student_forward(c->whole, c->theta, batch, x, y);
}

/* The Toeplitz distance, the forward pass and the equivariance error of a
 * trained sharded student against the single-process figures of the same
 * student gathered (the sums over rows in another order only). */
START_TEST(figures_match_single) {
  double l;
  symclone_mpi_student *ms;
  symclone_mpi_trainer *mt;
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_create(&mt, ms), SYMCLONE_OK);
  settings(NULL, mt, SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OPTIMIZER_ADAMW);
  ck_assert_int_eq(symclone_mpi_trainer_run(mt), SYMCLONE_OK);
  (void)l;
  symclone_student *whole;
  ck_assert_int_eq(symclone_student_create(&whole, KIND, ORI, KER, H, W, PAD, BLOCKS, 0),
                   SYMCLONE_OK);
  for (int root = 0; root < size_; root++)
    ck_assert_int_eq(symclone_mpi_student_gather(ms, rank_ == root ? whole : NULL, root),
                     SYMCLONE_OK);
  double dm, dp[ORI], sm, sp[ORI];
  ck_assert_int_eq(symclone_mpi_student_toeplitz_distance(ms, 3, 5, &dm, dp), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_toeplitz_distance(whole, 3, 5, &sm, sp), SYMCLONE_OK);
  if (rank_ == 0) printf("%d rank(s): Toeplitz distance %.9g vs %.9g\n", size_, dm, sm);
  ck_assert_msg(fabs(dm - sm) <= 1e-5 * sm, "distance %.9g vs %.9g", dm, sm);
  for (int i = 0; i < ORI; i++) ck_assert(fabs(dp[i] - sp[i]) <= 1e-5 * sp[i]);
  /* the same on every rank, bit for bit */
  double all[8];
  MPI_Allgather(&dm, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD);
  for (int r = 0; r < size_; r++) ck_assert(memcmp(&all[r], &dm, sizeof dm) == 0);
  /* the forward pass, whole on every rank */
  float theta[KER * KER], x[2 * H * W], ys[2 * ORI * H * W], yw[2 * ORI * H * W];
  for (int i = 0; i < KER * KER; i++) theta[i] = (float)(i % 3) - 0.7f;
  for (int i = 0; i < 2 * H * W; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
  ck_assert_int_eq(symclone_mpi_student_forward(ms, theta, 2, x, ys), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_forward(whole, theta, 2, x, yw), SYMCLONE_OK);
  double dmax = 0.0, ymax = 0.0;
  for (int i = 0; i < 2 * ORI * H * W; i++) {
    dmax = fmax(dmax, fabs((double)ys[i] - yw[i]));
    ymax = fmax(ymax, fabs((double)yw[i]));
  }
  ck_assert_msg(dmax <= 1e-5 * ymax, "forward differs by %g of %g", dmax, ymax);
  if (size_ == 1) ck_assert(memcmp(ys, yw, sizeof ys) == 0);
  /* the equivariance error through the diag, on every rank */
  symclone_group *g;
  symclone_diag *dg;
  const int in_shape[4] = {1, 1, H, W}, out_shape[4] = {1, ORI, H, W};
  ck_assert_int_eq(symclone_group_create_cyclic(&g, ORI), SYMCLONE_OK);
  ck_assert_int_eq(symclone_diag_create(&dg, g, in_shape, out_shape), SYMCLONE_OK);
  ck_assert_int_eq(symclone_diag_set_inputs(dg, NULL, 0), SYMCLONE_OK);
  fwd_ctx ctx = {ms, whole, theta};
  double em, ex, wm, wx;
  ck_assert_int_eq(symclone_diag_equivariance_error(dg, sharded_forward, &ctx, &em, &ex),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_diag_equivariance_error(dg, whole_forward, &ctx, &wm, &wx),
                   SYMCLONE_OK);
  if (rank_ == 0) printf("%d rank(s): equivariance error %.9g vs %.9g\n", size_, em, wm);
  ck_assert_msg(fabs(em - wm) <= 1e-4 * wm + 1e-7, "equivariance error %g vs %g", em, wm);
  symclone_diag_free(dg);
  symclone_group_free(g);
  symclone_student_free(whole);
  symclone_mpi_trainer_free(mt);
  symclone_mpi_student_free(ms);
}
END_TEST

/* The address space this process has mapped, in bytes (0 if unknown). */
static size_t mapped_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return (size_t)kb * 1024;
}

/* An allocation that fails on the last rank only (its address space
 * limited to what it has mapped plus 64 MB): the sharded student of 64x64
 * and 9 blocks (151 M parameters, at least 200 MB a rank on 3 ranks), then
 * a trainer's optimizer state, fail with the same status on every rank. */
START_TEST(allocation_fault_same_status) {
  int last = size_ - 1;
  struct rlimit old, lim;
  ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
  size_t vm = mapped_bytes();
  ck_assert_uint_gt(vm, 0);
  lim.rlim_cur = vm + ((size_t)64 << 20);
  lim.rlim_max = old.rlim_max;
  if (rank_ == last) ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
  symclone_mpi_student *ms = NULL;
  symclone_status st = symclone_mpi_student_create(&ms, MPI_COMM_WORLD, SYMCLONE_STUDENT_LIFTING,
                                                   4, 3, 64, 64, SYMCLONE_PADDING_ZERO, 9, SEED);
  if (rank_ == last) ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
  ck_assert_int_eq(st, SYMCLONE_ERR_NOMEM);
  ck_assert_ptr_null(ms);
  assert_same_status(st);
  /* the student fits; the trainer's gradient and moments do not */
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, SYMCLONE_STUDENT_LIFTING, 4, 3,
                                               64, 64, SYMCLONE_PADDING_ZERO, 9, SEED),
                   SYMCLONE_OK);
  lim.rlim_cur = mapped_bytes() + ((size_t)64 << 20);
  if (rank_ == last) ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
  symclone_mpi_trainer *mt = NULL;
  st = symclone_mpi_trainer_create(&mt, ms);
  if (rank_ == last) ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
  ck_assert_int_eq(st, SYMCLONE_ERR_NOMEM);
  ck_assert_ptr_null(mt);
  assert_same_status(st);
  if (rank_ != last) ck_assert(strstr(symclone_mpi_student_last_error(ms), "rank") != NULL);
  symclone_mpi_student_free(ms);
}
END_TEST

START_TEST(failing_rank_same_status) {
  int last = size_ - 1;
  symclone_mpi_student *ms = NULL;
  /* bad input on the last rank only */
  symclone_status st = symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                                   rank_ == last ? 0 : BLOCKS, SEED);
  ck_assert_int_ne(st, SYMCLONE_OK);
  ck_assert_ptr_null(ms);
  assert_same_status(st);
  /* more ranks than rows */
  if (size_ > 1) {
    st = symclone_mpi_student_create(&ms, MPI_COMM_WORLD, SYMCLONE_STUDENT_PLANAR, 1, 1, 1, 1,
                                     SYMCLONE_PADDING_ZERO, 1, SEED);
    ck_assert_int_eq(st, SYMCLONE_ERR_SIZE);
  }
  ck_assert_int_eq(symclone_mpi_student_create(&ms, MPI_COMM_WORLD, KIND, ORI, KER, H, W, PAD,
                                               BLOCKS, SEED),
                   SYMCLONE_OK);
  /* a bad path on rank 0, which writes and reads */
  st = symclone_mpi_student_save(ms, rank_ == 0 ? "/nonexistent-dir/x.stu" : "/tmp/unused.stu");
  ck_assert_int_ne(st, SYMCLONE_OK);
  assert_same_status(st);
  symclone_mpi_student *loaded = NULL;
  st = symclone_mpi_student_load(&loaded, MPI_COMM_WORLD,
                                 rank_ == 0 ? "/nonexistent-dir/x.stu" : NULL, NULL);
  ck_assert_int_ne(st, SYMCLONE_OK);
  ck_assert_ptr_null(loaded);
  assert_same_status(st);
  /* a NULL path on the last rank */
  st = symclone_mpi_student_save(ms, rank_ == last ? NULL : "/tmp/unused.stu");
  ck_assert_int_eq(st, SYMCLONE_ERR_NULL);
  /* settings that differ on the last rank: refused on every rank */
  symclone_mpi_trainer *mt;
  ck_assert_int_eq(symclone_mpi_trainer_create(&mt, ms), SYMCLONE_OK);
  ck_assert_int_eq(
      symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_LEARNING_RATE, rank_ == last ? 2e-2 : 1e-2),
      SYMCLONE_OK);
  st = symclone_mpi_trainer_step(mt, NULL, NULL);
  if (size_ > 1) {
    ck_assert_int_eq(st, SYMCLONE_ERR_SETTING);
    ck_assert(strlen(symclone_mpi_trainer_last_error(mt)) > 0);
  }
  assert_same_status(st);
  long long done = symclone_mpi_trainer_steps_done(mt);
  /* samples asked for on every rank, set on all but the last */
  static const float samples[H * W] = {1.0f};
  ck_assert_int_eq(symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_LEARNING_RATE, 1e-2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_mpi_trainer_set(mt, SYMCLONE_TRAINER_INPUT_SOURCE,
                                            SYMCLONE_INPUT_SOURCE_SAMPLES),
                   SYMCLONE_OK);
  ck_assert_int_eq(
      symclone_mpi_trainer_set_samples(mt, rank_ == last ? NULL : samples, rank_ == last ? 0 : 1),
      SYMCLONE_OK);
  st = symclone_mpi_trainer_step(mt, NULL, NULL);
  ck_assert_int_eq(st, SYMCLONE_ERR_STATE);
  ck_assert_int_eq(symclone_mpi_trainer_steps_done(mt), done);
  /* a gather to a student of another geometry on the root */
  symclone_student *other;
  ck_assert_int_eq(symclone_student_create(&other, KIND, ORI, KER, H, W, PAD, BLOCKS + 1, 0),
                   SYMCLONE_OK);
  st = symclone_mpi_student_gather(ms, rank_ == 0 ? other : NULL, 0);
  ck_assert_int_eq(st, SYMCLONE_ERR_SHAPE);
  symclone_student_free(other);
  symclone_mpi_trainer_free(mt);
  symclone_mpi_student_free(ms);
}
END_TEST

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  Suite *s = suite_create("mpi");
  TCase *tc = tcase_create("sharded");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, rows_cover);
  tcase_add_test(tc, moment_adamw_matches_single);
  tcase_add_test(tc, moment_sgd_matches_single);
  tcase_add_test(tc, stochastic_matches_single);
  tcase_add_test(tc, unit_kernels_sgd_matches_single);
  tcase_add_test(tc, group_stochastic_matches_single);
  tcase_add_test(tc, run_to_run);
  tcase_add_test(tc, save_load_interchange);
  tcase_add_test(tc, figures_match_single);
  tcase_add_test(tc, restricted_refused);
  tcase_add_test(tc, failing_rank_same_status);
  tcase_add_test(tc, allocation_fault_same_status);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, rank_ == 0 ? CK_NORMAL : CK_SILENT);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  /* a failure on any rank fails the run */
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any ? EXIT_FAILURE : EXIT_SUCCESS;
}
