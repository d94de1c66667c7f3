/* libsymclone: the cloning trainer.
 *
 * Family mode (symclone_trainer_create) trains a student to reproduce its
 * teacher family: each step draws K teacher parameter vectors theta and N
 * inputs, computes the teacher's outputs as labels and minimises
 *
 *   L = 1/(K N out) sum_theta sum_x || S(x; theta) - teacher(x; theta) ||^2
 *
 * Instance mode (symclone_trainer_create_instance) clones one fixed teacher
 * layer (any conv-family layer with its parameters and bias) into a dense
 * layer: the same loss with K = 1 and theta fixed.
 *
 * Objectives (SYMCLONE_TRAINER_OBJECTIVE), all minimising the same expected
 * loss (docs/cloning.md):
 *   STOCHASTIC    K random theta ~ N(0, I) per step (the published method);
 *   UNIT_KERNELS  the P unit kernels e_p every step: E_theta of the loss
 *                 without sampling noise over theta;
 *   MOMENT        the second-moment objective sum_p ||S_p - K_p||_F^2 / out
 *                 for standard normal inputs (C = I): no data pass at all.
 *                 Family mode with Gaussian inputs only.
 * The relative loss is the loss divided by the mean square of the labels
 * (for MOMENT: sum_p ||K_p||_F^2 / out).
 *
 * Settings are set by key with symclone_trainer_set(); each has documented
 * bounds (symclone_setting_bounds) and default; a value outside the bounds
 * is refused with SYMCLONE_ERR_SETTING and changes nothing.
 *
 * Reproducibility: the same seed and settings give the same weights bit for
 * bit on the same build and BLAS thread count.
 *
 * Divergence: a step whose loss or gradient is not finite, or whose update
 * would make some weight non-finite, is not applied: the call returns
 * SYMCLONE_ERR_DIVERGED, every weight and the optimizer's state stay as
 * they were after the last good step, and last_error names the step.
 *
 * Thread safety: a trainer is used by one thread at a time; two trainers
 * (with distinct students) may run concurrently.  BLAS threading belongs to
 * the application (OPENBLAS_NUM_THREADS).
 */
#ifndef SYMCLONE_TRAINER_H
#define SYMCLONE_TRAINER_H

#include <stdint.h>

#include <symclone/common.h>
#include <symclone/layer.h>
#include <symclone/student.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct symclone_trainer symclone_trainer;

typedef enum symclone_setting {
  SYMCLONE_TRAINER_OPTIMIZER = 1,        /* SYMCLONE_OPTIMIZER_*; default ADAMW */
  SYMCLONE_TRAINER_LEARNING_RATE = 2,    /* (0, 10]; default 1e-2 */
  SYMCLONE_TRAINER_SCHEDULE = 3,         /* SYMCLONE_SCHEDULE_*; default CONSTANT */
  SYMCLONE_TRAINER_SCHEDULE_STEPS = 4,   /* STEP: steps between decays, [1, 1e9]; default 1000 */
  SYMCLONE_TRAINER_SCHEDULE_GAMMA = 5,   /* STEP: decay factor, (0, 1]; default 0.5 */
  SYMCLONE_TRAINER_LR_FLOOR = 6,         /* COSINE: final lr / lr, [0, 1]; default 0 */
  SYMCLONE_TRAINER_WEIGHT_DECAY = 7,     /* [0, 1]; default 0.01 (AdamW: decoupled; SGD: L2) */
  SYMCLONE_TRAINER_BETA1 = 8,            /* AdamW, [0, 1); default 0.9 */
  SYMCLONE_TRAINER_BETA2 = 9,            /* AdamW, [0, 1); default 0.999 */
  SYMCLONE_TRAINER_EPSILON = 10,         /* AdamW, (0, 1]; default 1e-8 */
  SYMCLONE_TRAINER_MOMENTUM = 11,        /* SGD, [0, 1); default 0.9 */
  SYMCLONE_TRAINER_CLIP_NORM = 12,       /* global gradient-norm clip, [0, 1e9], 0 = off; default 1.
                                        With AdamW and one micro-batch a family student's
                                        gradient norm may come from a formula rather than
                                        from the formed gradient (docs/performance.md): the
                                        clipping scale is then within 5e-4 of it, and the
                                        formed gradient is used whenever that is not sure */
  SYMCLONE_TRAINER_ACCUMULATE = 13,      /* micro-batches per update, [1, 1e6]; default 1 */
  SYMCLONE_TRAINER_KERNELS = 14,         /* K, theta draws per step, [1, 1e6]; default 16 */
  SYMCLONE_TRAINER_INPUTS = 15,          /* N, inputs per step, [1, 1e6]; default 64 */
  SYMCLONE_TRAINER_INPUT_SOURCE = 16,    /* SYMCLONE_INPUT_SOURCE_*; default GAUSSIAN */
  SYMCLONE_TRAINER_OBJECTIVE = 17,       /* SYMCLONE_OBJECTIVE_*; default STOCHASTIC */
  SYMCLONE_TRAINER_MAX_STEPS = 18,       /* run(): updates, [0, 1e12]; default 1000 */
  SYMCLONE_TRAINER_TARGET_REL_LOSS = 19, /* run(): stop at or below, [0, 1e30], 0 = off; default 0 */
  SYMCLONE_TRAINER_SEED = 20,            /* [0, 2^53]; default 0 */
  SYMCLONE_TRAINER_PROGRESS_EVERY = 21,  /* callback every so many updates, [1, 1e12]; default 100 */
  SYMCLONE_TRAINER_HOLD_STEPS = 22,      /* constant lr for the first N updates, then the schedule
                                        runs over the rest (COSINE: from N to MAX_STEPS; STEP:
                                        decays counted from N), [0, 1e12]; default 0 */
  SYMCLONE_TRAINER_THREADS = 23          /* threads of the trainer's own passes over the parameters
                                        (norm, update, loss, the moment objective's block
                                        passes, the update's own gradient product), the
                                        calling thread included, [1, 256];
                                        default 1.  The BLAS keeps its own setting
                                        (OPENBLAS_NUM_THREADS).  Results do not depend on it. */
} symclone_setting;

/* Values of SYMCLONE_TRAINER_OPTIMIZER. */
typedef enum symclone_optimizer {
  SYMCLONE_OPTIMIZER_ADAMW = 0,
  SYMCLONE_OPTIMIZER_SGD = 1
} symclone_optimizer;
/* Values of SYMCLONE_TRAINER_SCHEDULE. */
typedef enum symclone_schedule {
  SYMCLONE_SCHEDULE_CONSTANT = 0,
  SYMCLONE_SCHEDULE_STEP = 1,
  SYMCLONE_SCHEDULE_COSINE = 2
} symclone_schedule;
/* GAUSSIAN: standard normal fields; SAMPLES: the caller's samples
 * (symclone_trainer_set_samples), drawn uniformly with replacement;
 * SAMPLES_TRANSFORMED: the same, each acted on by a random group element
 * (planar students: a T2 shift of the torus; lifting: a rotation of Cn;
 * group students: the Cn group-field action). */
typedef enum symclone_input_source {
  SYMCLONE_INPUT_SOURCE_GAUSSIAN = 0,
  SYMCLONE_INPUT_SOURCE_SAMPLES = 1,
  SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED = 2
} symclone_input_source;
/* Values of SYMCLONE_TRAINER_OBJECTIVE (see the top of this header). */
typedef enum symclone_objective {
  SYMCLONE_OBJECTIVE_STOCHASTIC = 0,
  SYMCLONE_OBJECTIVE_UNIT_KERNELS = 1,
  SYMCLONE_OBJECTIVE_MOMENT = 2
} symclone_objective;

/* Progress: called by run() every PROGRESS_EVERY updates and after the
 * last; a non-zero return stops run() with SYMCLONE_ERR_CANCELLED.  Inside
 * an update of several micro-batches (ACCUMULATE > 1, by step() or run())
 * it is also called about every half second with the figures of the last
 * finished update; a non-zero return then cancels that update, of which
 * nothing is applied. */
typedef int (*symclone_progress_fn)(void *user, long long step, double loss, double rel_loss,
                                    double seconds);

/* Family mode.  The trainer borrows the student (which must outlive it) and
 * updates its parameters in place. */
SYMCLONE_API symclone_status symclone_trainer_create(symclone_trainer **out,
                                                     symclone_student *student);

/* Instance mode: clone `teacher` with its parameters (param_count floats,
 * borrowed) into the dense layer `dense` (input_size -> output_size of the
 * teacher, with or without bias) whose parameters dense_params are borrowed
 * and updated in place.  SYMCLONE_ERR_SHAPE if the sizes do not match.
 * Objectives STOCHASTIC and UNIT_KERNELS coincide here (K = 1). */
SYMCLONE_API symclone_status symclone_trainer_create_instance(symclone_trainer **out,
                                                              const symclone_layer *teacher,
                                                              const float *teacher_params,
                                                              const symclone_layer *dense,
                                                              float *dense_params);

SYMCLONE_API void symclone_trainer_free(symclone_trainer *trainer);

/* Keyed settings.  Changing a setting resets nothing already trained; the
 * optimizer state is kept. */
SYMCLONE_API symclone_status symclone_trainer_set(symclone_trainer *trainer,
                                                  symclone_setting key, double value);
SYMCLONE_API symclone_status symclone_trainer_get(const symclone_trainer *trainer,
                                                  symclone_setting key, double *value);
/* Bounds and default of a setting (any pointer may be NULL). */
SYMCLONE_API symclone_status symclone_setting_bounds(symclone_setting key, double *lo, double *hi,
                                                     double *default_value);
/* A static name for a setting ("learning_rate"), or NULL if unknown. */
SYMCLONE_API const char *symclone_setting_name(symclone_setting key);

/* Caller-supplied input samples (count fields of the student's input size),
 * borrowed until replaced or the trainer is freed.  Used when INPUT_SOURCE
 * is SAMPLES or SAMPLES_TRANSFORMED. */
SYMCLONE_API symclone_status symclone_trainer_set_samples(symclone_trainer *trainer,
                                                          const float *samples, size_t count);

SYMCLONE_API symclone_status symclone_trainer_set_progress(symclone_trainer *trainer,
                                                           symclone_progress_fn fn, void *user);

/* One update (ACCUMULATE micro-batches).  loss and rel_loss may be NULL. */
SYMCLONE_API symclone_status symclone_trainer_step(symclone_trainer *trainer, double *loss,
                                                   double *rel_loss);

/* Updates until MAX_STEPS updates have been done in total or the relative
 * loss of an update is <= TARGET_REL_LOSS (when > 0). */
SYMCLONE_API symclone_status symclone_trainer_run(symclone_trainer *trainer);

/* Updates done so far, loss and relative loss of the last update, seconds
 * spent in step()/run(). */
SYMCLONE_API long long symclone_trainer_steps_done(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_loss(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_rel_loss(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_seconds(const symclone_trainer *trainer);

SYMCLONE_API const char *symclone_trainer_last_error(const symclone_trainer *trainer);

/* Clone a stack of teacher layers layer by layer.  layers[i] with
 * params[i] (NULL for parameter-free layers) form a sequential network on
 * fields of layers[0]'s input shape.  For every conv-family layer (conv2d,
 * lifting, group conv) a student of `blocks` blocks is created and trained
 * with the settings of `settings` (a trainer used only as a template of
 * settings) and stored in students[i]; other layers get students[i] = NULL.
 * With inputs (n_inputs fields of layers[0]'s input size) each student is
 * trained on the teacher's features entering its layer, one channel at a
 * time (INPUT_SOURCE set to SAMPLES unless the template asks for
 * SAMPLES_TRANSFORMED); with inputs NULL, on standard normal fields.  On
 * error every student created so far is freed and students[] is all NULL. */
SYMCLONE_API symclone_status symclone_trainer_clone_stack(const symclone_layer *const *layers,
                                                  const float *const *params, int count,
                                                  const float *inputs, size_t n_inputs,
                                                  const symclone_trainer *settings, int blocks,
                                                  symclone_student **students);

#ifdef __cplusplus
}
#endif

#endif
