/* The update: the learning-rate schedule, AdamW (with the blocks'
 * gradient formed on the way by a fused update) or SGD, the gradient's
 * coefficient and transform part, and when a fused update may go by a
 * norm from a formula. */
#include <math.h>
#include <string.h>

#include "trainer_priv.h"

void sym_trainer_zero_small_grad(symclone_trainer *tr) {
  size_t off = tr->st->off_coeffs;
  memset(tr->grad + off, 0, (tr->nparams - off) * sizeof(float));
}

double sym_trainer_small_sumsq(symclone_trainer *tr) {
  size_t off = tr->st->off_coeffs;
  return sym_pass_sumsq(NULL, tr->partial, tr->grad + off, tr->nparams - off);
}

double sym_trainer_form_gradient(symclone_trainer *tr, int kind) {
  if (kind == SYM_FUSED_MOMENT) return sym_moment_grad(tr, 1) + sym_trainer_small_sumsq(tr);
  sym_student_project_backward_t(tr->st, tr->x, (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], tr->dv,
                                 0.0f, tr->grad);
  return sym_pass_sumsq(tr->pool, tr->partial, tr->grad, tr->nparams);
}

/* A fused update may go ahead on a squared norm from a formula with the
 * error bound rel * gmag when the norm is sure to be finite and clear of
 * float overflow (1e76 > the square of the largest float's tenth), and
 * the clipping decision sure and its scale known to 5e-4 at worst. */
int sym_norm_usable(double gnorm2, double gmag, double rel, double clip) {
  if (!isfinite(gnorm2) || !isfinite(gmag) || gmag >= 1e76) return 0;
  double err = rel * gmag;
  if (clip <= 0 || gnorm2 + err <= clip * clip) return 1; /* no clipping */
  return gnorm2 - err > clip * clip && err <= 1e-3 * gnorm2;
}

/* The learning rate of the step after step_done steps: held for
 * HOLD_STEPS, then the schedule's. */
static double lr_at(const symclone_trainer *tr, long long step_done) {
  double lr = tr->set[SYMCLONE_TRAINER_LEARNING_RATE];
  double hold = tr->set[SYMCLONE_TRAINER_HOLD_STEPS];
  if ((double)step_done < hold) return lr;
  double step = (double)step_done - hold;
  switch ((int)tr->set[SYMCLONE_TRAINER_SCHEDULE]) {
  case SYMCLONE_SCHEDULE_STEP:
    return lr * pow(tr->set[SYMCLONE_TRAINER_SCHEDULE_GAMMA],
                    floor(step / tr->set[SYMCLONE_TRAINER_SCHEDULE_STEPS]));
  case SYMCLONE_SCHEDULE_COSINE: {
    double total = tr->set[SYMCLONE_TRAINER_MAX_STEPS] - hold;
    double frac = total > 0 ? fmin(step / total, 1.0) : 1.0;
    double fl = tr->set[SYMCLONE_TRAINER_LR_FLOOR];
    return lr * (fl + (1.0 - fl) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac)));
  }
  default:
    return lr;
  }
}

size_t sym_trainer_apply_update(symclone_trainer *tr, double gscale, int fused) {
  size_t n = tr->nparams;
  float *p = tr->params, *g = tr->grad, *m = tr->m1, *v = tr->m2;
  double lr = lr_at(tr, tr->steps);
  double wd = tr->set[SYMCLONE_TRAINER_WEIGHT_DECAY];
  if ((int)tr->set[SYMCLONE_TRAINER_OPTIMIZER] != SYMCLONE_OPTIMIZER_ADAMW)
    return sym_pass_sgd(tr->pool, tr->partial, p, g, m, n,
                        (float)tr->set[SYMCLONE_TRAINER_MOMENTUM], (float)lr, (float)wd,
                        (float)gscale);
  tr->adam_t++;
  sym_adam_consts k = sym_adam_consts_at(tr->adam_t, lr, tr->set[SYMCLONE_TRAINER_BETA1],
                                         tr->set[SYMCLONE_TRAINER_BETA2],
                                         tr->set[SYMCLONE_TRAINER_EPSILON], wd, gscale);
  if (!fused) return sym_pass_adamw(tr->pool, tr->partial, p, g, m, v, n, &k);
  /* the blocks, forming their gradient; then the rest */
  size_t off = tr->st->off_coeffs;
  size_t bad = fused == SYM_FUSED_FAMILY ? sym_family_fused_adamw(tr, &k)
                                         : sym_moment_fused_adamw(tr, &k);
  return bad + sym_pass_adamw(tr->pool, tr->partial, p + off, g + off, m + off, v + off, n - off,
                              &k);
}
