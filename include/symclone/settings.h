/** @file
 * libsymclone: the keys of every object's settings.
 *
 * An object with settings (trainer, net, ...) has
 *   `symclone_<object>_set(object, key, value)`  and
 *   `symclone_<object>_get(object, key, &value)`,
 * both taking a key of this one enum.  The keys are grouped by the object
 * they set, with fixed value ranges: trainer 1..99 (SYMCLONE_TRAINER_*),
 * net 101..199 (SYMCLONE_NET_*), picture 201..299 (SYMCLONE_PICTURE_*),
 * diag 301..399 (SYMCLONE_DIAG_*), loader 401..499 (SYMCLONE_LOADER_*).
 * Values are doubles; a setting that takes an option (an enum of the
 * object's header) or a count takes it as a whole number.
 *
 * Every key has bounds and a default (symclone_setting_bounds).  A value
 * outside the bounds (NaN and infinities included) is refused with
 * SYMCLONE_ERR_SETTING and changes nothing; a key that is not a setting of
 * the object the call is made on is refused with SYMCLONE_ERR_ARG.  The
 * handle's last_error names the setting and, for a key of another object,
 * that object.
 *
 * The numeric values of the keys are part of the ABI and never change.
 *
 * Thread safety: everything in this header is safe to call from any thread.
 */
#ifndef SYMCLONE_SETTINGS_H
#define SYMCLONE_SETTINGS_H

#include <symclone/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bounds are given as [lo, hi] (closed) or (lo, hi) (open) ends. */
typedef enum symclone_setting {
  /* ---- trainer (trainer.h) ---- */
  SYMCLONE_TRAINER_OPTIMIZER = 1,        /**< a symclone_optimizer; default ADAMW */
  SYMCLONE_TRAINER_LEARNING_RATE = 2,    /**< (0, 10]; default 1e-2 */
  SYMCLONE_TRAINER_SCHEDULE = 3,         /**< a symclone_schedule; default CONSTANT */
  SYMCLONE_TRAINER_SCHEDULE_STEPS = 4,   /**< STEP: updates between decays, [1, 1e9]; default 1000 */
  SYMCLONE_TRAINER_SCHEDULE_GAMMA = 5,   /**< STEP: decay factor, (0, 1]; default 0.5 */
  SYMCLONE_TRAINER_LR_FLOOR = 6,         /**< COSINE: final lr / lr, [0, 1]; default 0 */
  SYMCLONE_TRAINER_WEIGHT_DECAY = 7,     /**< [0, 1]; default 0.01 (AdamW: decoupled; SGD: L2) */
  SYMCLONE_TRAINER_BETA1 = 8,            /**< AdamW, [0, 1); default 0.9 */
  SYMCLONE_TRAINER_BETA2 = 9,            /**< AdamW, [0, 1); default 0.999 */
  SYMCLONE_TRAINER_EPSILON = 10,         /**< AdamW, (0, 1]; default 1e-8 */
  SYMCLONE_TRAINER_MOMENTUM = 11,        /**< SGD, [0, 1); default 0.9 */
  SYMCLONE_TRAINER_CLIP_NORM = 12,       /**< largest global gradient norm of an update,
                                              [0, 1e9], 0 = off; default 1 (docs/cloning.md) */
  SYMCLONE_TRAINER_ACCUMULATE = 13,      /**< micro-batches per update, [1, 1e6]; default 1 */
  SYMCLONE_TRAINER_KERNELS = 14,         /**< K, theta draws per step, [1, 1e6]; default 16 */
  SYMCLONE_TRAINER_INPUTS = 15,          /**< N, inputs per step, [1, 1e6]; default 64 */
  SYMCLONE_TRAINER_INPUT_SOURCE = 16,    /**< a symclone_input_source; default GAUSSIAN */
  SYMCLONE_TRAINER_OBJECTIVE = 17,       /**< a symclone_objective; default STOCHASTIC */
  SYMCLONE_TRAINER_MAX_STEPS = 18,       /**< run(): updates, [0, 1e12]; default 1000 */
  SYMCLONE_TRAINER_TARGET_REL_LOSS = 19, /**< run(): stop at or below, [0, 1e30], 0 = off;
                                              default 0 */
  SYMCLONE_TRAINER_SEED = 20,            /**< [0, 2^53]; default 0 */
  SYMCLONE_TRAINER_PROGRESS_EVERY = 21,  /**< callback every so many updates, [1, 1e12];
                                              default 100 */
  SYMCLONE_TRAINER_HOLD_STEPS = 22,      /**< constant lr for the first N updates, then the
                                              schedule runs over the rest (COSINE: from N to
                                              MAX_STEPS; STEP: decays counted from N),
                                              [0, 1e12]; default 0 */
  SYMCLONE_TRAINER_THREADS = 23,         /**< threads of the trainer's own work, the calling
                                              thread included, [1, 256]; default 1.  The BLAS
                                              keeps its own setting (OPENBLAS_NUM_THREADS).
                                              Results do not depend on it. */

  /* ---- net (net.h) ---- */
  SYMCLONE_NET_LEARNING_RATE = 101,      /**< (0, 10]; default 1e-3 */
  SYMCLONE_NET_WEIGHT_DECAY = 102,       /**< decoupled, [0, 1]; default 1e-4 */
  SYMCLONE_NET_BETA1 = 103,              /**< [0, 1); default 0.9 */
  SYMCLONE_NET_BETA2 = 104,              /**< [0, 1); default 0.999 */
  SYMCLONE_NET_EPSILON = 105,            /**< (0, 1]; default 1e-8 */
  SYMCLONE_NET_LR_DECAY = 106,           /**< learning-rate factor per epoch, (0, 1];
                                              default 0.95 */
  SYMCLONE_NET_BATCH_SIZE = 107,         /**< samples per update, [1, 65536]; default 64 */
  SYMCLONE_NET_EPOCHS = 108,             /**< epochs per symclone_net_train(), [0, 1e6];
                                              default 1 */
  SYMCLONE_NET_SEED = 109,               /**< initialisation and shuffling, [0, 2^53];
                                              default 0 */
  SYMCLONE_NET_PROGRESS_BATCHES = 110,   /**< callback every so many updates too, [0, 1e12],
                                              0 = at the end of each epoch only; default 0 */
  SYMCLONE_NET_THREADS = 111,            /**< threads of the network's own passes (a cloned
                                              layer's per-sample products), the calling
                                              thread included, [1, 256]; default 1.  The BLAS
                                              keeps its own setting (OPENBLAS_NUM_THREADS).
                                              Results do not depend on it. */

  /* ---- picture (picture.h): 201..299 ---- */
  SYMCLONE_PICTURE_FORMAT = 201,         /**< a symclone_picture_format; default AUTO */
  SYMCLONE_PICTURE_SCALE = 202,          /**< a symclone_picture_scale; default SYMMETRIC */
  SYMCLONE_PICTURE_UPSCALE = 203,        /**< pixels per value along each side,
                                              [1, 2^31 - 1]; default 1 */
  SYMCLONE_PICTURE_DOWNSCALE = 204,      /**< values averaged per pixel along each side,
                                              [1, 2^31 - 1]; default 1 */
  SYMCLONE_PICTURE_GAP = 205,            /**< background pixels between panels,
                                              [0, 2^31 - 1]; default 0 */
  /* ---- diag (diag.h) ---- */
  SYMCLONE_DIAG_MASK = 301,              /**< a symclone_mask; default NONE */
  SYMCLONE_DIAG_MARGIN = 302,            /**< [0, 1e6]; default 0 */
  SYMCLONE_DIAG_SAMPLES = 303,           /**< input fields per error, [1, 1e9]; default 8 */
  SYMCLONE_DIAG_MAX_ELEMENTS = 304,      /**< elements per error, [0, 1e9], 0 = all; default 0 */
  SYMCLONE_DIAG_SEED = 305,              /**< [0, 2^53]; default 7 */

  /* ---- loader (loader.h): 401..499 ---- */
  SYMCLONE_LOADER_MAX_BYTES = 401,       /**< memory one load may allocate, in bytes,
                                              [1024, 2^53]; default 2^30 (1 GiB) */
} symclone_setting;

/** Bounds and default of a setting (any pointer may be NULL).  *lo and *hi
 * are the ends of the range the key's comment above gives; whether an end
 * is itself allowed (closed, "[") or not (open, "(") is said there only:
 * SYMCLONE_TRAINER_LEARNING_RATE gives lo = 0, which is refused.  A key
 * that takes an option or a count takes whole numbers only.
 * SYMCLONE_ERR_ARG if key is not a setting. */
SYMCLONE_API symclone_status symclone_setting_bounds(symclone_setting key, double *lo, double *hi,
                                                     double *default_value);

/** A static name of a setting within its object ("learning_rate"), or NULL
 * if key is not a setting. */
SYMCLONE_API const char *symclone_setting_name(symclone_setting key);

#ifdef __cplusplus
}
#endif

#endif
