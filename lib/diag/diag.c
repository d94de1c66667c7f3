/* The diag handle: group, field shapes, settings and inputs. */
#include "diag_priv.h"

symclone_status symclone_diag_create(symclone_diag **out, const symclone_group *group,
                                     const int in_shape[4], const int out_shape[4]) {
  if (!out) return SYMCLONE_ERR_NULL;
  sym_actions a;
  symclone_status st = sym_actions_init(&a, group, in_shape, out_shape);
  if (st) return st;
  symclone_diag *d = sym_calloc(1, sizeof *d);
  if (!d) {
    sym_actions_free(&a);
    return SYMCLONE_ERR_NOMEM;
  }
  d->a = a;
  sym_settings_init(SYM_SETTINGS_DIAG, d->setting);
  sym_err_init(&d->err);
  *out = d;
  return SYMCLONE_OK;
}

void symclone_diag_free(symclone_diag *diag) {
  if (!diag) return;
  sym_actions_free(&diag->a);
  sym_free(diag);
}

symclone_status symclone_diag_set(symclone_diag *diag, symclone_setting key, double value) {
  if (!diag) return SYMCLONE_ERR_NULL;
  symclone_status st = sym_settings_check(&diag->err, SYM_SETTINGS_DIAG, key, value);
  if (st) return st;
  if (key == SYMCLONE_DIAG_MASK && value == SYMCLONE_MASK_SHIFT_INTERIOR &&
      diag->a.kind != SYMCLONE_GROUP_T2)
    return sym_fail(&diag->err, SYMCLONE_ERR_SETTING,
                    "mask=%g (SYMCLONE_MASK_SHIFT_INTERIOR) needs a T2 group", value);
  return sym_settings_store(&diag->err, SYM_SETTINGS_DIAG, diag->setting, key, value);
}

symclone_status symclone_diag_get(const symclone_diag *diag, symclone_setting key,
                                  double *value) {
  if (!diag) return SYMCLONE_ERR_NULL;
  return sym_settings_load(&diag->err, SYM_SETTINGS_DIAG, diag->setting, key, value);
}

symclone_status symclone_diag_set_inputs(symclone_diag *diag, const float *inputs,
                                         size_t count) {
  if (!diag) return SYMCLONE_ERR_NULL;
  if (inputs && count == 0)
    return sym_fail(&diag->err, SYMCLONE_ERR_SIZE, "inputs given with count 0");
  diag->inputs = inputs;
  diag->n_inputs = inputs ? count : 0;
  return SYMCLONE_OK;
}

const char *symclone_diag_last_error(const symclone_diag *diag) {
  return diag ? diag->err.msg : "";
}
