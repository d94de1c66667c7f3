/** @file
 * libsymclone: the cloning trainer.
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
 * Settings are set by key (SYMCLONE_TRAINER_* of <symclone/settings.h>)
 * with symclone_trainer_set(); each has documented bounds
 * (symclone_setting_bounds) and default; a value outside the bounds is
 * refused with SYMCLONE_ERR_SETTING and changes nothing.
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
#include <symclone/settings.h>
#include <symclone/student.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A cloning trainer (opaque handle). */
typedef struct symclone_trainer symclone_trainer;

/** Values of SYMCLONE_TRAINER_OPTIMIZER. */
typedef enum symclone_optimizer {
  SYMCLONE_OPTIMIZER_ADAMW = 0, /**< AdamW */
  SYMCLONE_OPTIMIZER_SGD = 1 /**< SGD with momentum */
} symclone_optimizer;
/** Values of SYMCLONE_TRAINER_SCHEDULE. */
typedef enum symclone_schedule {
  SYMCLONE_SCHEDULE_CONSTANT = 0, /**< a constant learning rate */
  SYMCLONE_SCHEDULE_STEP = 1, /**< decay by SCHEDULE_GAMMA every SCHEDULE_STEPS updates */
  SYMCLONE_SCHEDULE_COSINE = 2 /**< cosine decay to LR_FLOOR times the learning rate */
} symclone_schedule;
/** GAUSSIAN: standard normal fields; SAMPLES: the caller's samples
 * (symclone_trainer_set_samples), drawn uniformly with replacement;
 * SAMPLES_TRANSFORMED: the same, each acted on by a random group element
 * (planar students: a T2 shift of the torus; lifting: a rotation of Cn;
 * group students: the Cn group-field action; dihedral lifting: an element
 * of Dn on the plane; dihedral group: the Dn group-field action). */
typedef enum symclone_input_source {
  SYMCLONE_INPUT_SOURCE_GAUSSIAN = 0, /**< standard normal fields */
  SYMCLONE_INPUT_SOURCE_SAMPLES = 1, /**< the caller's samples */
  SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED = 2 /**< the caller's samples, transformed */
} symclone_input_source;
/** Values of SYMCLONE_TRAINER_OBJECTIVE (see the top of this header). */
typedef enum symclone_objective {
  SYMCLONE_OBJECTIVE_STOCHASTIC = 0, /**< K random theta per step */
  SYMCLONE_OBJECTIVE_UNIT_KERNELS = 1, /**< the P unit kernels every step */
  SYMCLONE_OBJECTIVE_MOMENT = 2 /**< the second-moment objective */
} symclone_objective;

/** Progress: called by run() every PROGRESS_EVERY updates and after the
 * last; a non-zero return stops run() with SYMCLONE_ERR_CANCELLED.  Inside
 * an update of several micro-batches (ACCUMULATE > 1, by step() or run())
 * it is also called about every half second with the figures of the last
 * finished update; a non-zero return then cancels that update, of which
 * nothing is applied. */
typedef int (*symclone_trainer_progress_fn)(void *user, long long step, double loss,
                                            double rel_loss, double seconds);

/** Family mode.  The trainer borrows the student (which must outlive it) and
 * updates its parameters in place. */
SYMCLONE_API symclone_status symclone_trainer_create(symclone_trainer **out,
                                                     symclone_student *student);

/** Instance mode: clone `teacher` with its parameters (param_count floats,
 * borrowed) into the dense layer `dense` (input_size -> output_size of the
 * teacher, with or without bias) whose parameters dense_params are borrowed
 * and updated in place.  SYMCLONE_ERR_SHAPE if the sizes do not match.
 * Objectives STOCHASTIC and UNIT_KERNELS coincide here (K = 1). */
SYMCLONE_API symclone_status symclone_trainer_create_instance(symclone_trainer **out,
                                                              const symclone_layer *teacher,
                                                              const float *teacher_params,
                                                              const symclone_layer *dense,
                                                              float *dense_params);

/** Free a trainer; NULL is accepted. */
SYMCLONE_API void symclone_trainer_free(symclone_trainer *trainer);

/** Keyed settings (SYMCLONE_TRAINER_* keys, <symclone/settings.h>).
 * Changing a setting resets nothing already trained; the optimizer state is
 * kept.  SYMCLONE_ERR_SETTING for a value outside the bounds (and
 * OBJECTIVE = MOMENT in instance mode), SYMCLONE_ERR_ARG for a key that is
 * not a trainer setting. */
/**@{*/
SYMCLONE_API symclone_status symclone_trainer_set(symclone_trainer *trainer,
                                                  symclone_setting key, double value);
SYMCLONE_API symclone_status symclone_trainer_get(const symclone_trainer *trainer,
                                                  symclone_setting key, double *value);
/**@}*/

/** Caller-supplied input samples (count fields of the student's input size),
 * borrowed until replaced or the trainer is freed.  Used when INPUT_SOURCE
 * is SAMPLES or SAMPLES_TRANSFORMED. */
SYMCLONE_API symclone_status symclone_trainer_set_samples(symclone_trainer *trainer,
                                                          const float *samples, size_t count);

/** Set the progress callback and its user pointer (fn NULL: none).
 * SYMCLONE_ERR_NULL if trainer is NULL. */
SYMCLONE_API symclone_status symclone_trainer_set_progress(symclone_trainer *trainer,
                                                           symclone_trainer_progress_fn fn,
                                                           void *user);

/** One update (ACCUMULATE micro-batches).  loss and rel_loss may be NULL. */
SYMCLONE_API symclone_status symclone_trainer_step(symclone_trainer *trainer, double *loss,
                                                   double *rel_loss);

/** Updates until MAX_STEPS updates have been done in total or the relative
 * loss of an update is surely <= TARGET_REL_LOSS (when > 0): the relative
 * loss plus its resolution (below) is at most the target. */
SYMCLONE_API symclone_status symclone_trainer_run(symclone_trainer *trainer);

/** Updates done so far, loss and relative loss of the last update, seconds
 * spent in step()/run(). */
/**@{*/
SYMCLONE_API long long symclone_trainer_steps_done(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_loss(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_rel_loss(const symclone_trainer *trainer);
SYMCLONE_API double symclone_trainer_seconds(const symclone_trainer *trainer);
/**@}*/
/** How far the last update's relative loss may be off by rounding: 0 for the
 * sampling objectives (a sum of squares); for the moment objective, whose
 * expanded loss subtracts nearly equal numbers near the exact solution, a
 * bound on that rounding (the loss is never reported below 0). */
SYMCLONE_API double symclone_trainer_rel_loss_resolution(const symclone_trainer *trainer);

/** The message of the last failing call on this trainer ("" if none; "" for
 * NULL).  The string belongs to the handle. */
SYMCLONE_API const char *symclone_trainer_last_error(const symclone_trainer *trainer);

/** Clone a stack of teacher layers layer by layer.  layers[i] with
 * params[i] (NULL for parameter-free layers) form a sequential network on
 * fields of layers[0]'s input shape.  For every conv-family layer (conv2d,
 * lifting, group conv and their dihedral kinds) a student of `blocks` blocks is created and trained
 * with the settings of `settings` (a trainer used as a template: it is not
 * trained, and it keeps the message of a failure) and stored in
 * students[i]; other layers get students[i] = NULL.  The student of layer
 * i is seeded with SEED + i.  With inputs (n_inputs fields of layers[0]'s
 * input size, borrowed for the call) each student is trained on the
 * teacher's features entering its layer, one channel at a time
 * (INPUT_SOURCE SAMPLES unless the template asks for SAMPLES_TRANSFORMED,
 * and UNIT_KERNELS in place of MOMENT); with inputs NULL, on standard
 * normal fields.  On error every student created so far is freed and
 * students[] is all NULL. */
SYMCLONE_API symclone_status symclone_trainer_clone_stack(symclone_trainer *settings,
                                                          const symclone_layer *const *layers,
                                                          const float *const *params, int count,
                                                          const float *inputs, size_t n_inputs,
                                                          int blocks,
                                                          symclone_student **students);

#ifdef __cplusplus
}
#endif

#endif
