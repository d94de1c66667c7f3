/* The tests' white-box hooks (hooks.h), compiled into the static test
 * library only. */
#include "hooks.h"

#ifdef SYMCLONE_STATIC
#include <stdatomic.h>

static atomic_int no_fusion;

void sym_hook_set_no_fusion(int off) { atomic_store(&no_fusion, off); }

int sym_hook_no_fusion(void) { return atomic_load(&no_fusion); }

symclone_status sym_trainer_norms(symclone_trainer *tr, double *formula, double *bound,
                                  double *formed) {
  int moment = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] == SYMCLONE_OBJECTIVE_MOMENT;
  if (tr->instance || (!moment && tr->st->in_n != 1)) return SYMCLONE_ERR_ARG;
  int kind = moment ? SYM_FUSED_MOMENT : SYM_FUSED_FAMILY;
  symclone_status st = sym_trainer_fused_scratch(tr, kind);
  if (st) return st;
  double l, lp;
  st = moment ? sym_trainer_micro_moment(tr, 1, 1, &l, &lp, formula, bound)
              : sym_trainer_micro_family(tr, 1, 1, &l, &lp, formula, bound);
  if (st) return st;
  *formed = sym_trainer_form_gradient(tr, kind);
  return SYMCLONE_OK;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int sym_hooks_unused;
#endif
