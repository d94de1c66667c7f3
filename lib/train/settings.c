/* Trainer settings: the keyed setter and getter (lib/common/settings.c
 * holds the table). */
#include "../common/settings_priv.h"
#include "trainer_priv.h"

symclone_status symclone_trainer_set(symclone_trainer *tr, symclone_setting key, double value) {
  if (!tr) return SYMCLONE_ERR_NULL;
  symclone_status st = sym_settings_check(&tr->err, SYM_SETTINGS_TRAINER, key, value);
  if (st) return st;
  if (key == SYMCLONE_TRAINER_OBJECTIVE && value == SYMCLONE_OBJECTIVE_MOMENT && tr->instance)
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING,
                    "objective=moment needs family mode (instance mode has no theta)");
  if ((st = sym_settings_store(&tr->err, SYM_SETTINGS_TRAINER, tr->set, key, value))) return st;
  if (key == SYMCLONE_TRAINER_SEED) sym_rng_seed(&tr->rng, (uint64_t)value);
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_get(const symclone_trainer *tr, symclone_setting key,
                                     double *value) {
  if (!tr) return SYMCLONE_ERR_NULL;
  return sym_settings_load(&tr->err, SYM_SETTINGS_TRAINER, tr->set, key, value);
}
