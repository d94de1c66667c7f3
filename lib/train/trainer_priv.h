/* Private: the trainer handle (lib/train) and what its files share.
 *
 * A step runs through the files in one direction (step.c says how):
 *   step.c -> sampling.c | moment.c | instance.c (one micro-batch each,
 *   with scratch.c and inputs.c) -> sampling_fused.c (the family
 *   objectives' fused update) -> update.c -> pass_*.c -> lib/kernels. */
#ifndef SYMCLONE_TRAINER_PRIV_H
#define SYMCLONE_TRAINER_PRIV_H

#include "../common/internal.h"
#include "../common/pool.h"
#include "../common/settings_priv.h"
#include "passes.h"
#include "../student/student_priv.h"
#include <symclone/group.h>
#include <symclone/trainer.h>


/* A trainer of one shard of a student (lib/mpi): its student holds the
 * output rows [st->row0, st->row0 + st->rows) of every block
 * (sym_student_create_shard) and the optimizer state of those, the
 * coefficients and transforms in full.  reduce replaces v[0 .. n) by
 * their sums over every shard, taken in a fixed order so that every shard
 * gets the same bits (and, with one shard, v itself); first is set on one
 * shard, the one that counts the replicated parameters in a sum over all
 * parameters.  With reduce NULL the trainer has the whole student. */
typedef struct sym_shard {
  symclone_status (*reduce)(void *ctx, double *v, size_t n);
  void *ctx;
  int first;
} sym_shard;

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
  long long adam_t;  /* AdamW updates applied */
  double adam_mmax;  /* the largest scaled gradient element bound of those */
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
  int work_threads;       /* the thread count work was sized for (instance mode; 0: none yet) */
  double *partial; /* the passes' partial results (passes.h) */
  sym_pool *pool;  /* NULL while threads = 1 */
  /* family mode, built at creation */
  int *tapidx;   /* [out_hw][Pc] input index of tap q, -1 outside (zero padding) */
  float *kappa;  /* [P][tcount][Pc] the teacher's planar kernels for theta = e_p */
  double *tap_rows; /* [Pc] the rows where tap q is inside */
  float *smat;   /* the moment objective's small matrices */
  float *fused;  /* the fused updates' scratch (scratch.c) */
  size_t fused_cap;
  double *norm_d; /* the family fused update's D and X X^T */
  float *epiece;  /* the error pass's pieces of E, one per thread */
  size_t epiece_cap;
  float *ct;      /* scale C^T (kv x m) */
  size_t ct_cap;
  size_t norm_d_cap;
  double moment_label_norm;
  sym_rng rng;
  symclone_trainer_progress_fn progress;
  void *progress_user;
  double step_t0, progress_at; /* the step's start, the last progress call in it */
  long long steps;
  double loss, rel, seconds;
  double loss_res; /* the micro-batches' summed loss resolution, in a step */
  double rel_res;  /* the resolution of rel (0 where the loss has no cancellation) */
  sym_err err;
  sym_shard shard;
  symclone_status shard_status; /* the first failed reduction of a step */
  double *shard_buf;            /* a reduction's values (sym_trainer_shard_reduce) */
  size_t shard_cap;
};

/* How a step's update gets the blocks' gradient: from tr->grad (NONE), or
 * formed by the update itself for the moment objective (MOMENT) or the
 * sampling objectives of a student with one input channel (FAMILY). */
enum { SYM_FUSED_NONE = 0, SYM_FUSED_MOMENT = 1, SYM_FUSED_FAMILY = 2 };

/* scratch.c: the step's arrays, (re)allocated only when the objective
 * changes or K, N grow; the error pass's scratch for m rows of E; the
 * fused update's scratch (SYMCLONE_ERR_OVERFLOW when its size does not
 * fit: the step then forms the gradient). */
symclone_status sym_trainer_scratch(symclone_trainer *tr, size_t K, size_t N);
symclone_status sym_trainer_error_scratch(symclone_trainer *tr, size_t m);
symclone_status sym_trainer_fused_scratch(symclone_trainer *tr, int kind);
void sym_trainer_free_scratch(symclone_trainer *tr);
/* Whether the step's small products run in the library's product kernel
 * (the error pass, the fused update's dW) rather than in the BLAS. */
int sym_trainer_own_products(const symclone_trainer *tr);
/* The student's blocks as the block passes see them. */
sym_blocks sym_trainer_blocks(const symclone_student *s);
/* The im2col rows of a family step (cols[(s,q)][(o,x)]) as the Gram pass
 * sees them: in_n*Pc arrays of out_hw rows of N floats. */
sym_blocks sym_trainer_cols_blocks(const symclone_student *s, const float *cols, size_t N);

/* inputs.c: the step's N inputs in tr->x, and (family) their im2col rows
 * in tr->cols. */
symclone_status sym_trainer_draw_inputs(symclone_trainer *tr, size_t N);
/* The group whose elements transform the samples (made on first use). */
symclone_status sym_trainer_input_group(symclone_trainer *tr);
void sym_trainer_build_cols(symclone_trainer *tr, size_t N);

/* One micro-batch of each objective: writes (first) or adds its gradient,
 * its loss and label power.  With `fused` the blocks' gradient is left to
 * the update, and *gnorm2 gets the squared gradient norm from a formula,
 * *gmag the bound on its terms; otherwise the moment objective sets
 * *gnorm2 = *gmag to the formed gradient's and the others leave them. */
symclone_status sym_trainer_micro_family(symclone_trainer *tr, int first, int fused, double *loss,
                                         double *lpow, double *gnorm2, double *gmag);
symclone_status sym_trainer_micro_moment(symclone_trainer *tr, int first, int fused, double *loss,
                                         double *lpow, double *gnorm2, double *gmag);
symclone_status sym_trainer_micro_instance(symclone_trainer *tr, int first, double *loss,
                                           double *lpow);

/* sampling_fused.c: the family objectives' gradient norm by formula, and
 * the update that forms the gradient (FAMILY_NORM_REL: the formula's
 * worst error relative to its bound). */
#define SYM_FAMILY_NORM_REL 4e-5
double sym_family_norm2(symclone_trainer *tr, size_t N, double *mag);
size_t sym_family_fused_adamw(symclone_trainer *tr, const sym_adam_consts *k);

/* moment.c: the blocks' gradient of the moment objective written to
 * tr->grad (its squared norm returned), and the update that forms it. */
#define SYM_MOMENT_NORM_REL 1e-5
double sym_moment_grad(symclone_trainer *tr, int first);
size_t sym_moment_fused_adamw(symclone_trainer *tr, const sym_adam_consts *k);

/* update.c: the coefficient and transform part of the gradient (cleared,
 * its squared norm); the gradient a fused update would have formed, with
 * the squared norm of the whole gradient; the update of all parameters
 * (below); whether a fused update may go by a norm
 * from a formula (gnorm2, its bound gmag, the formula's relative error
 * rel, the clipping norm clip, 0: off). */
void sym_trainer_zero_small_grad(symclone_trainer *tr);
double sym_trainer_small_sumsq(symclone_trainer *tr);
double sym_trainer_form_gradient(symclone_trainer *tr, int kind);
/* The update of all parameters with the gradient scaled by gscale, whose
 * elements are at most gmax after scaling.  Nothing is applied (*applied
 * = 0) when some parameter's new value would not be finite; the return is
 * how many would not be.  An update that cannot be sure of that without
 * looking forms the gradient (*fused becomes NONE) and checks it first. */
size_t sym_trainer_apply_update(symclone_trainer *tr, double gscale, double gmax, int *fused,
                                int *applied);
int sym_norm_usable(double gnorm2, double gmag, double rel, double clip);

/* trainer.c: a trainer of a shard (sym_shard; family mode).
 * step.c: the sum of v over the shards (v itself for a whole student),
 * and the squared norm of the gradient over every shard (the replicated
 * parameters once). */
symclone_status sym_trainer_create_shard(symclone_trainer **out, symclone_student *shard_student,
                                         const sym_shard *shard);
double sym_trainer_shard_sum(symclone_trainer *tr, double v);
/* a[0 .. na), b[0 .. nb) (floats) and d[0 .. nd) summed over the shards in
 * one reduction, in double (the floats rounded once after it); the most
 * values one reduction of a step takes with the present settings (the
 * buffer for them is allocated by sym_trainer_prepare). */
void sym_trainer_shard_reduce(symclone_trainer *tr, float *a, size_t na, float *b, size_t nb,
                              double *d, size_t nd);
size_t sym_trainer_shard_reduce_size(const symclone_trainer *tr);
/* step.c: what a step of a family student allocates or starts (the
 * worker pool, the scratch, a shard's reduction buffer) and the checks it
 * makes, done ahead of it, so that a shard's step fails, if at all,
 * before its first reduction. */
symclone_status sym_trainer_prepare(symclone_trainer *tr);
double sym_trainer_grad_sumsq(symclone_trainer *tr);

#endif
