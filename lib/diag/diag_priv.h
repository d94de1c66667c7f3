/* Private: the diag handle and the action of its group on the input and
 * output fields of an operator (group.h conventions, the output torus of
 * T2 included). */
#ifndef SYMCLONE_DIAG_PRIV_H
#define SYMCLONE_DIAG_PRIV_H

#include "../common/internal.h"
#include "../common/settings_priv.h"
#include <symclone/diag.h>

/* One field shape. */
typedef struct sym_field {
  int c, n, h, w;
  size_t size;   /* c*n*h*w floats */
  size_t planes; /* c*n planes of h*w */
} sym_field;

/* A group acting on the input fields and its counterpart on the output
 * fields: the same group for Cn and Dn, the T2 group of the output torus
 * for T2. */
typedef struct sym_actions {
  const symclone_group *group;
  const symclone_group *out_group;
  symclone_group *owned; /* output torus, freed by sym_actions_free */
  symclone_group_kind kind;
  int order;
  sym_field in, out;
} sym_actions;

struct symclone_diag {
  sym_actions a;
  double setting[SYM_SETTINGS_SLOTS]; /* by slot: sym_diag_setting() */
  const float *inputs;                /* borrowed; NULL: drawn from SEED */
  size_t n_inputs;
  sym_err err;
};

/* The value of one of the diag's settings (a SYMCLONE_DIAG_* key). */
static inline double sym_diag_setting(const symclone_diag *d, symclone_setting key) {
  return d->setting[SYM_SETTING_SLOT(key)];
}

/* Validate the shapes against the group (NULL, SIZE, OVERFLOW, SHAPE,
 * GROUP, NOMEM; status only) and set up the output action.  On failure
 * nothing is owned. */
symclone_status sym_actions_init(sym_actions *a, const symclone_group *group,
                                 const int in_shape[4], const int out_shape[4]);
void sym_actions_free(sym_actions *a);

/* For T2: the shift of element g written signed, sy in (-H/2, H/2] and
 * sx in (-W/2, W/2] of the input torus.  (0, 0) for Cn and Dn. */
void sym_actions_signed_shift(const sym_actions *a, int g, int *sy, int *sx);

/* The element acting on the output for input element g. */
int sym_actions_out_element(const sym_actions *a, int g);

/* Apply input element g (the output counterpart if `output`) to `count`
 * consecutive fields of the input (output) shape; in and out must not
 * overlap.  On failure the group's message is kept in e. */
symclone_status sym_actions_apply(const sym_actions *a, int output, int g, size_t count,
                                  const float *in, float *out, const sym_err *e);

#endif
