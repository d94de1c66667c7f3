/* The settings of every object: names, bounds, defaults and the validator. */
#include <math.h>

#include "settings_priv.h"

enum {
  WHOLE = 1,   /* the value is a whole number */
  OPEN_LO = 2, /* the lower bound is excluded */
  OPEN_HI = 4  /* the upper bound is excluded */
};

typedef struct setting_info {
  symclone_setting key;
  const char *name;
  double lo, hi, def;
  unsigned flags;
} setting_info;

static const setting_info table[] = {
    /* option defaults: ADAMW, CONSTANT, GAUSSIAN, STOCHASTIC (all 0) */
    {SYMCLONE_TRAINER_OPTIMIZER, "optimizer", 0, 1, 0, WHOLE},
    {SYMCLONE_TRAINER_LEARNING_RATE, "learning_rate", 0, 10, 1e-2, OPEN_LO},
    {SYMCLONE_TRAINER_SCHEDULE, "schedule", 0, 2, 0, WHOLE},
    {SYMCLONE_TRAINER_SCHEDULE_STEPS, "schedule_steps", 1, 1e9, 1000, WHOLE},
    {SYMCLONE_TRAINER_SCHEDULE_GAMMA, "schedule_gamma", 0, 1, 0.5, OPEN_LO},
    {SYMCLONE_TRAINER_LR_FLOOR, "lr_floor", 0, 1, 0, 0},
    {SYMCLONE_TRAINER_WEIGHT_DECAY, "weight_decay", 0, 1, 0.01, 0},
    {SYMCLONE_TRAINER_BETA1, "beta1", 0, 1, 0.9, OPEN_HI},
    {SYMCLONE_TRAINER_BETA2, "beta2", 0, 1, 0.999, OPEN_HI},
    {SYMCLONE_TRAINER_EPSILON, "epsilon", 0, 1, 1e-8, OPEN_LO},
    {SYMCLONE_TRAINER_MOMENTUM, "momentum", 0, 1, 0.9, OPEN_HI},
    {SYMCLONE_TRAINER_CLIP_NORM, "clip_norm", 0, 1e9, 1.0, 0},
    {SYMCLONE_TRAINER_ACCUMULATE, "accumulate", 1, 1e6, 1, WHOLE},
    {SYMCLONE_TRAINER_KERNELS, "kernels", 1, 1e6, 16, WHOLE},
    {SYMCLONE_TRAINER_INPUTS, "inputs", 1, 1e6, 64, WHOLE},
    {SYMCLONE_TRAINER_INPUT_SOURCE, "input_source", 0, 2, 0, WHOLE},
    {SYMCLONE_TRAINER_OBJECTIVE, "objective", 0, 2, 0, WHOLE},
    {SYMCLONE_TRAINER_MAX_STEPS, "max_steps", 0, 1e12, 1000, WHOLE},
    {SYMCLONE_TRAINER_TARGET_REL_LOSS, "target_rel_loss", 0, 1e30, 0, 0},
    {SYMCLONE_TRAINER_SEED, "seed", 0, 9007199254740992.0, 0, WHOLE},
    {SYMCLONE_TRAINER_PROGRESS_EVERY, "progress_every", 1, 1e12, 100, WHOLE},
    {SYMCLONE_TRAINER_HOLD_STEPS, "hold_steps", 0, 1e12, 0, WHOLE},
    {SYMCLONE_TRAINER_THREADS, "threads", 1, 256, 1, WHOLE},

    {SYMCLONE_NET_LEARNING_RATE, "learning_rate", 0, 10, 1e-3, OPEN_LO},
    {SYMCLONE_NET_WEIGHT_DECAY, "weight_decay", 0, 1, 1e-4, 0},
    {SYMCLONE_NET_BETA1, "beta1", 0, 1, 0.9, OPEN_HI},
    {SYMCLONE_NET_BETA2, "beta2", 0, 1, 0.999, OPEN_HI},
    {SYMCLONE_NET_EPSILON, "epsilon", 0, 1, 1e-8, OPEN_LO},
    {SYMCLONE_NET_LR_DECAY, "lr_decay", 0, 1, 0.95, OPEN_LO},
    {SYMCLONE_NET_BATCH_SIZE, "batch_size", 1, 65536, 64, WHOLE},
    {SYMCLONE_NET_EPOCHS, "epochs", 0, 1e6, 1, WHOLE},
    {SYMCLONE_NET_SEED, "seed", 0, 9007199254740992.0, 0, WHOLE},
    {SYMCLONE_NET_PROGRESS_BATCHES, "progress_batches", 0, 1e12, 0, WHOLE},
    {SYMCLONE_NET_THREADS, "threads", 1, 256, 1, WHOLE},

    /* option defaults: AUTO, SYMMETRIC (both 0) */
    {SYMCLONE_PICTURE_FORMAT, "format", 0, 4, 0, WHOLE},
    {SYMCLONE_PICTURE_SCALE, "scale", 0, 3, 0, WHOLE},
    {SYMCLONE_PICTURE_UPSCALE, "upscale", 1, 2147483647.0, 1, WHOLE},
    {SYMCLONE_PICTURE_DOWNSCALE, "downscale", 1, 2147483647.0, 1, WHOLE},
    {SYMCLONE_PICTURE_GAP, "gap", 0, 2147483647.0, 0, WHOLE},

    {SYMCLONE_DIAG_MASK, "mask", 0, 2, 0, WHOLE},
    {SYMCLONE_DIAG_MARGIN, "margin", 0, 1e6, 0, WHOLE},
    {SYMCLONE_DIAG_SAMPLES, "samples", 1, 1e9, 8, WHOLE},
    {SYMCLONE_DIAG_MAX_ELEMENTS, "max_elements", 0, 1e9, 0, WHOLE},
    {SYMCLONE_DIAG_SEED, "seed", 0, 9007199254740992.0, 7, WHOLE},

    {SYMCLONE_LOADER_MAX_BYTES, "max_bytes", 1024, 9007199254740992.0, 1073741824.0, WHOLE},
};

#define NTABLE (sizeof table / sizeof table[0])

static const char *const object_names[] = {"trainer", "net", "picture", "diag", "loader"};
#define NOBJECTS (sizeof object_names / sizeof object_names[0])

static const setting_info *info_of(symclone_setting key) {
  for (size_t i = 0; i < NTABLE; i++)
    if (table[i].key == key) return &table[i];
  return NULL;
}

static sym_settings_object object_of(symclone_setting key) {
  return (sym_settings_object)((int)key / 100);
}

symclone_status symclone_setting_bounds(symclone_setting key, double *lo, double *hi,
                                        double *def) {
  const setting_info *in = info_of(key);
  if (!in) return SYMCLONE_ERR_ARG;
  if (lo) *lo = in->lo;
  if (hi) *hi = in->hi;
  if (def) *def = in->def;
  return SYMCLONE_OK;
}

const char *symclone_setting_name(symclone_setting key) {
  const setting_info *in = info_of(key);
  return in ? in->name : NULL;
}

void sym_settings_init(sym_settings_object object, double *values) {
  for (int s = 0; s < SYM_SETTINGS_SLOTS; s++) values[s] = 0;
  for (size_t i = 0; i < NTABLE; i++)
    if (object_of(table[i].key) == object) values[SYM_SETTING_SLOT(table[i].key)] = table[i].def;
}

symclone_status sym_settings_find(const sym_err *e, sym_settings_object object,
                                  symclone_setting key) {
  const setting_info *in = info_of(key);
  if (!in) return sym_fail(e, SYMCLONE_ERR_ARG, "key=%d is not a setting", (int)key);
  sym_settings_object owner = object_of(key);
  if (owner != object)
    return sym_fail(e, SYMCLONE_ERR_ARG, "key=%d (%s) is a setting of a %s, not of a %s",
                    (int)key, in->name, object_names[owner],
                    (size_t)object < NOBJECTS ? object_names[object] : "?");
  return SYMCLONE_OK;
}

symclone_status sym_settings_check(const sym_err *e, sym_settings_object object,
                                   symclone_setting key, double value) {
  symclone_status st = sym_settings_find(e, object, key);
  if (st) return st;
  const setting_info *in = info_of(key);
  int open_lo = (in->flags & OPEN_LO) != 0, open_hi = (in->flags & OPEN_HI) != 0;
  int whole = (in->flags & WHOLE) != 0;
  if (!isfinite(value) || value < in->lo || value > in->hi || (open_lo && value <= in->lo) ||
      (open_hi && value >= in->hi) || (whole && value != floor(value)))
    return sym_fail(e, SYMCLONE_ERR_SETTING, "%s=%g is outside %c%g, %g%c%s", in->name, value,
                    open_lo ? '(' : '[', in->lo, in->hi, open_hi ? ')' : ']',
                    whole ? " (whole numbers)" : "");
  return SYMCLONE_OK;
}

symclone_status sym_settings_store(const sym_err *e, sym_settings_object object, double *values,
                                   symclone_setting key, double value) {
  symclone_status st = sym_settings_check(e, object, key, value);
  if (st) return st;
  values[SYM_SETTING_SLOT(key)] = value;
  return SYMCLONE_OK;
}

symclone_status sym_settings_load(const sym_err *e, sym_settings_object object,
                                  const double *values, symclone_setting key, double *value) {
  if (!value) return sym_fail(e, SYMCLONE_ERR_NULL, "value is NULL");
  symclone_status st = sym_settings_find(e, object, key);
  if (st) return st;
  *value = values[SYM_SETTING_SLOT(key)];
  return SYMCLONE_OK;
}
