/* Private: the trainer handle (lib/train). */
#ifndef SYMCLONE_TRAINER_PRIV_H
#define SYMCLONE_TRAINER_PRIV_H

#include "../common/internal.h"
#include "../common/pool.h"
#include "../common/settings_priv.h"
#include "../student/student_priv.h"
#include <symclone/group.h>
#include <symclone/trainer.h>

/* The clipping norm of a fused update (trainer.c), for the tests: one
 * micro-batch of the trainer's objective (moment, or sampling with one
 * input channel) on the student's present parameters, its squared
 * gradient norm by formula (*formula, with the bound on its terms *bound)
 * and by forming the gradient (*formed).  Whether a fused update may go by
 * a formula, for a squared norm, its bound, the formula's error relative
 * to the bound and a clipping norm (0: off). */
symclone_status sym_trainer_norms(symclone_trainer *tr, double *formula, double *bound,
                                  double *formed);
int sym_norm_usable(double gnorm2, double gmag, double rel, double clip);
/* Tests, before the first step: with off = 1 the trainer always forms the
 * gradient, and its small products run in the BLAS (as on a CPU without
 * the product kernel's vector code). */
void sym_trainer_no_fusion(symclone_trainer *tr, int off);

struct symclone_trainer {
  int instance;
  symclone_student *st;
  const symclone_layer *teacher; /* instance mode */
  const float *teacher_params;
  const symclone_layer *dense;
  size_t in_size, out_size, p;
  size_t nparams;
  float *params; /* the trained parameters (student's or caller's dense) */
  float *grad, *m1, *m2;
  double set[SYM_SETTINGS_SLOTS]; /* indexed by key (lib/common/settings_priv.h) */
  long long adam_t;
  const float *samples;
  size_t nsamples;
  symclone_group *tgroup;
  /* scratch for the step, grown when K or N grow (never in steady state);
   * family mode keeps the sample-minor layout of student_priv.h:
   *   xt [in_n][in_hw][N]           the inputs transposed
   *   cols [in_n*Pc][out_hw*N]      im2col of the inputs, rows (s, q)
   *   kx [K][tcount][Pc]            the teacher's planar kernels of each theta
   *   labels, ys [K*out_n][out_hw*N] */
  size_t cap_k, cap_n;
  int cap_objective;
  int scratch_ready;
  float *x, *xt, *theta, *cols, *kx, *labels, *ys, *v, *dv, *phi, *dphi, *c, *dc;
  void *work;
  double *partial; /* the passes' partial results (passes.h) */
  sym_pool *pool;  /* NULL while threads = 1 */
  /* family mode, built at creation */
  int *tapidx;   /* [out_hw][Pc] input index of tap q, -1 outside (zero padding) */
  float *kappa;  /* [P][tcount][Pc] the teacher's planar kernels for theta = e_p */
  double *tap_rows; /* [Pc] the rows where tap q is inside */
  float *smat;   /* the moment objective's small matrices */
  float *fused;  /* the fused updates' scratch (trainer.c) */
  size_t fused_cap;
  double *norm_d; /* the family fused update's D and X X^T */
  int no_fusion;  /* tests: always form the gradient, products in the BLAS */
  float *epiece;  /* the error pass's pieces of E, one per thread */
  size_t epiece_cap;
  float *ct;      /* scale C^T (kv x m) */
  size_t ct_cap;
  size_t norm_d_cap;
  double moment_label_norm;
  sym_rng rng;
  symclone_trainer_progress_fn progress;
  void *progress_user;
  long long steps;
  double loss, rel, seconds;
  sym_err err;
};

#endif
