/* Private: the trainer handle (lib/train). */
#ifndef SYMCLONE_TRAINER_PRIV_H
#define SYMCLONE_TRAINER_PRIV_H

#include "../common/internal.h"
#include "../common/pool.h"
#include "../student/student_priv.h"
#include <symclone/group.h>
#include <symclone/trainer.h>

#define SYM_NSETTINGS 24

typedef struct sym_setting_info {
  const char *name;
  double lo, hi, def;
  int integer; /* value must be a whole number */
} sym_setting_info;

const sym_setting_info *sym_setting_info_of(symclone_setting key);

/* The moment objective's clipping norm (trainer.c), for the tests: the
 * squared gradient norm of the student's present parameters by the Gram
 * formula (*formula, with the bound on its terms *bound) and by forming the
 * gradient (*formed).  Whether the fused update may go by the formula, for
 * a squared norm, its bound and a clipping norm (0: off). */
symclone_status sym_trainer_moment_norms(symclone_trainer *tr, double *formula, double *bound,
                                         double *formed);
int sym_moment_norm_usable(double gnorm2, double gmag, double clip);

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
  double set[SYM_NSETTINGS];
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
  float *fused;  /* the moment objective's fused update: threads x nblocks x in_hw */
  size_t fused_cap;
  double moment_label_norm;
  sym_rng rng;
  symclone_progress_fn progress;
  void *progress_user;
  long long steps;
  double loss, rel, seconds;
  sym_err err;
};

#endif
