/* Trainer settings: names, bounds, defaults and the keyed setter. */
#include <math.h>

#include "trainer_priv.h"

static const sym_setting_info infos[SYM_NSETTINGS] = {
    [SYMCLONE_TRAINER_OPTIMIZER] = {"optimizer", 0, 1, SYMCLONE_OPTIMIZER_ADAMW, 1},
    [SYMCLONE_TRAINER_LEARNING_RATE] = {"learning_rate", 0, 10, 1e-2, 0},
    [SYMCLONE_TRAINER_SCHEDULE] = {"schedule", 0, 2, SYMCLONE_SCHEDULE_CONSTANT, 1},
    [SYMCLONE_TRAINER_SCHEDULE_STEPS] = {"schedule_steps", 1, 1e9, 1000, 1},
    [SYMCLONE_TRAINER_SCHEDULE_GAMMA] = {"schedule_gamma", 0, 1, 0.5, 0},
    [SYMCLONE_TRAINER_LR_FLOOR] = {"lr_floor", 0, 1, 0, 0},
    [SYMCLONE_TRAINER_WEIGHT_DECAY] = {"weight_decay", 0, 1, 0.01, 0},
    [SYMCLONE_TRAINER_BETA1] = {"beta1", 0, 1, 0.9, 0},
    [SYMCLONE_TRAINER_BETA2] = {"beta2", 0, 1, 0.999, 0},
    [SYMCLONE_TRAINER_EPSILON] = {"epsilon", 0, 1, 1e-8, 0},
    [SYMCLONE_TRAINER_MOMENTUM] = {"momentum", 0, 1, 0.9, 0},
    [SYMCLONE_TRAINER_CLIP_NORM] = {"clip_norm", 0, 1e9, 1.0, 0},
    [SYMCLONE_TRAINER_ACCUMULATE] = {"accumulate", 1, 1e6, 1, 1},
    [SYMCLONE_TRAINER_KERNELS] = {"kernels", 1, 1e6, 16, 1},
    [SYMCLONE_TRAINER_INPUTS] = {"inputs", 1, 1e6, 64, 1},
    [SYMCLONE_TRAINER_INPUT_SOURCE] = {"input_source", 0, 2, SYMCLONE_INPUT_SOURCE_GAUSSIAN, 1},
    [SYMCLONE_TRAINER_OBJECTIVE] = {"objective", 0, 2, SYMCLONE_OBJECTIVE_STOCHASTIC, 1},
    [SYMCLONE_TRAINER_MAX_STEPS] = {"max_steps", 0, 1e12, 1000, 1},
    [SYMCLONE_TRAINER_TARGET_REL_LOSS] = {"target_rel_loss", 0, 1e30, 0, 0},
    [SYMCLONE_TRAINER_SEED] = {"seed", 0, 9007199254740992.0, 0, 1},
    [SYMCLONE_TRAINER_PROGRESS_EVERY] = {"progress_every", 1, 1e12, 100, 1},
    [SYMCLONE_TRAINER_HOLD_STEPS] = {"hold_steps", 0, 1e12, 0, 1},
    [SYMCLONE_TRAINER_THREADS] = {"threads", 1, 256, 1, 1},
};

/* Open or closed ends: these bounds exclude their endpoint. */
static int open_low(symclone_setting k) {
  return k == SYMCLONE_TRAINER_LEARNING_RATE || k == SYMCLONE_TRAINER_SCHEDULE_GAMMA ||
         k == SYMCLONE_TRAINER_EPSILON;
}
static int open_high(symclone_setting k) {
  return k == SYMCLONE_TRAINER_BETA1 || k == SYMCLONE_TRAINER_BETA2 || k == SYMCLONE_TRAINER_MOMENTUM;
}

const sym_setting_info *sym_setting_info_of(symclone_setting key) {
  if ((int)key < 1 || (int)key >= SYM_NSETTINGS || !infos[key].name) return NULL;
  return &infos[key];
}

symclone_status symclone_setting_bounds(symclone_setting key, double *lo, double *hi,
                                        double *def) {
  const sym_setting_info *in = sym_setting_info_of(key);
  if (!in) return SYMCLONE_ERR_ARG;
  if (lo) *lo = in->lo;
  if (hi) *hi = in->hi;
  if (def) *def = in->def;
  return SYMCLONE_OK;
}

const char *symclone_setting_name(symclone_setting key) {
  const sym_setting_info *in = sym_setting_info_of(key);
  return in ? in->name : NULL;
}

symclone_status symclone_trainer_set(symclone_trainer *tr, symclone_setting key, double value) {
  if (!tr) return SYMCLONE_ERR_NULL;
  const sym_setting_info *in = sym_setting_info_of(key);
  if (!in) return sym_fail(&tr->err, SYMCLONE_ERR_ARG, "key=%d is not a setting", (int)key);
  if (!isfinite(value) || value < in->lo || value > in->hi || (open_low(key) && value <= in->lo) ||
      (open_high(key) && value >= in->hi) || (in->integer && value != floor(value)))
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING, "%s=%g is outside %c%g, %g%c%s", in->name,
                    value, open_low(key) ? '(' : '[', in->lo, in->hi, open_high(key) ? ')' : ']',
                    in->integer ? " (whole numbers)" : "");
  if (key == SYMCLONE_TRAINER_OBJECTIVE && value == SYMCLONE_OBJECTIVE_MOMENT && tr->instance)
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING,
                    "objective=moment needs family mode (instance mode has no theta)");
  tr->set[key] = value;
  if (key == SYMCLONE_TRAINER_SEED) sym_rng_seed(&tr->rng, (uint64_t)value);
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_get(const symclone_trainer *tr, symclone_setting key,
                                     double *value) {
  if (!tr) return SYMCLONE_ERR_NULL;
  if (!value) return sym_fail(&tr->err, SYMCLONE_ERR_NULL, "value is NULL");
  if (!sym_setting_info_of(key))
    return sym_fail(&tr->err, SYMCLONE_ERR_ARG, "key=%d is not a setting", (int)key);
  *value = tr->set[key];
  return SYMCLONE_OK;
}
