/* Trainers on two threads at once: each thread owns its student and
 * trainer and also runs forward passes through one layer that all share
 * (layers are immutable).  Two of the trainers also start worker threads of
 * their own (SYMCLONE_TRAINER_THREADS), on students large enough to be cut
 * into many pieces.  The weights and losses must be bit for bit those of
 * the same work done one trainer after the other, each with one thread.  Run under
 * ThreadSanitizer by scripts/test (build-tsan) and in every build.
 * OpenBLAS must run one thread per caller here (OPENBLAS_NUM_THREADS=1,
 * set by the test): its own thread pool is not instrumented for TSan. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

typedef struct job {
  symclone_student_kind kind;
  int orientations, objective;
  uint64_t seed;
  int hw, threads;
  const symclone_layer *shared; /* a layer both threads use */
  const float *shared_params;
  /* results */
  symclone_status status;
  float *params;
  size_t nparams;
  double loss;
  float shared_out[2 * 2 * 49]; /* batch 2 of [2][7][7] */
} job;

static void *run(void *arg) {
  job *j = arg;
  symclone_student *s = NULL;
  symclone_trainer *tr = NULL;
  j->status = symclone_student_create(&s, j->kind, j->orientations, 3, j->hw, j->hw,
                                      SYMCLONE_PADDING_VALID, 5, j->seed);
  if (!j->status) j->status = symclone_trainer_create(&tr, s);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, j->threads);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, j->objective);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_SEED, (double)j->seed);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 8);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, 4);
  if (!j->status) j->status = symclone_trainer_set(tr, SYMCLONE_TRAINER_MAX_STEPS, 40);
  if (!j->status) j->status = symclone_trainer_run(tr);
  if (!j->status) {
    j->loss = symclone_trainer_loss(tr);
    j->nparams = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
    j->params = malloc(j->nparams * sizeof(float));
    memcpy(j->params, symclone_student_params(s), j->nparams * sizeof(float));
  }
  float x[2 * 49];
  for (int i = 0; i < 98; i++) x[i] = (float)((i * 5) % 9) - 4.0f;
  if (!j->status) j->status = symclone_layer_forward(j->shared, j->shared_params, 2, x,
                                                     j->shared_out, NULL);
  symclone_trainer_free(tr);
  symclone_student_free(s);
  return NULL;
}

int main(void) {
  symclone_layer *shared;
  float sp[2 * 9 + 2];
  if (symclone_layer_create_conv2d(&shared, 1, 2, 3, 7, 7, SYMCLONE_PADDING_ZERO, 1) != SYMCLONE_OK ||
      symclone_layer_init_params(shared, 4, sp) != SYMCLONE_OK) {
    printf("FAIL: shared layer\n");
    return 1;
  }
  enum { NJOBS = 4 };
  /* 8x8: one piece per pass; 24x24 planar, 5 blocks: 1.4 M parameters (86
   * pieces of the update, 35 of the Gram pass); 20x20 lifting: 0.65 M */
#define JOB(k, n, obj, seed_, hw_, thr)                                                         \
  {.kind = (k), .orientations = (n), .objective = (obj), .seed = (seed_), .hw = (hw_),        \
   .threads = (thr), .shared = shared, .shared_params = sp}
  job proto[NJOBS] = {
      JOB(SYMCLONE_STUDENT_LIFTING, 4, SYMCLONE_OBJECTIVE_STOCHASTIC, 11, 8, 1),
      JOB(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_MOMENT, 12, 8, 1),
      JOB(SYMCLONE_STUDENT_PLANAR, 1, SYMCLONE_OBJECTIVE_MOMENT, 13, 24, 2),
      JOB(SYMCLONE_STUDENT_LIFTING, 4, SYMCLONE_OBJECTIVE_STOCHASTIC, 14, 20, 3),
  };
#undef JOB
  job par[NJOBS], seq[NJOBS];
  memcpy(par, proto, sizeof par);
  memcpy(seq, proto, sizeof seq);
  for (int i = 0; i < NJOBS; i++) seq[i].threads = 1;

  /* two at a time: the small pair, then the pair with worker threads */
  for (int pair = 0; pair < NJOBS; pair += 2) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
      if (pthread_create(&t[i], NULL, run, &par[pair + i]) != 0) {
        printf("FAIL: pthread_create\n");
        return 1;
      }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  }
  for (int i = 0; i < NJOBS; i++) run(&seq[i]);

  int failed = 0;
  for (int i = 0; i < NJOBS; i++) {
    if (par[i].status || seq[i].status) {
      printf("FAIL: trainer %d: %s / %s\n", i, symclone_strerror(par[i].status),
             symclone_strerror(seq[i].status));
      failed++;
      continue;
    }
    int same = par[i].nparams == seq[i].nparams &&
               memcmp(par[i].params, seq[i].params, par[i].nparams * sizeof(float)) == 0 &&
               memcmp(&par[i].loss, &seq[i].loss, sizeof(double)) == 0 &&
               memcmp(par[i].shared_out, seq[i].shared_out, sizeof par[i].shared_out) == 0;
    printf("trainer %d (threads=%d): %zu parameters, loss %.6g, %s\n", i, par[i].threads,
           par[i].nparams, par[i].loss, same ? "identical to one thread alone" : "DIFFERENT");
    failed += !same;
    free(par[i].params);
    free(seq[i].params);
  }
  symclone_layer_free(shared);
  printf("%s\n", failed ? "FAILED" : "passed");
  return failed ? 1 : 0;
}
