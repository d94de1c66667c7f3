/* Private: white-box hooks of the tests.  They exist in the static test
 * library only (SYMCLONE_STATIC); in the shipped library the trainer's
 * view of them is a constant and no caller can reach them. */
#ifndef SYMCLONE_HOOKS_H
#define SYMCLONE_HOOKS_H

#include "trainer_priv.h"

#ifdef SYMCLONE_STATIC
/* With off = 1, trainers stepped afterwards always form the gradient and
 * run their small products in the BLAS (as on a CPU without the product
 * kernel's vector code); set it before a trainer's first step. */
void sym_hook_set_no_fusion(int off);
int sym_hook_no_fusion(void);
/* The clipping norm of a fused update: one micro-batch of the trainer's
 * objective (moment, or sampling with one input channel) on the student's
 * present parameters, its squared gradient norm by formula (*formula,
 * with the bound on its terms *bound) and by forming the gradient
 * (*formed). */
symclone_status sym_trainer_norms(symclone_trainer *tr, double *formula, double *bound,
                                  double *formed);
#else
#define sym_hook_no_fusion() 0
#endif

#endif
