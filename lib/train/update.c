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
  return sym_trainer_grad_sumsq(tr);
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

/* Whether AdamW with constants k surely leaves every parameter finite, for
 * scaled gradient elements of at most gmax and moments m of at most
 * tr->adam_mmax (the largest gmax of the updates applied) grown by the
 * rounding of t updates (|m| <= (1 + 2^-24)^3 max(|m|, |g|) an update):
 * then the new moment, the step's quotient (den >= eps > 0) and the new
 * value (|p decay| <= |p|, the quotient below half a unit in the last
 * place of the largest float) are finite. */
static int adamw_surely_finite(const symclone_trainer *tr, const sym_adam_consts *k,
                               double gmax) {
  if (!(k->eps > 0.0f) || fabsf(k->decay) > 1.0f || !isfinite(gmax)) return 0;
  double grow = exp(2.5e-7 * (4.0 * (double)tr->adam_t + 8.0));
  double m = fmax(tr->adam_mmax, gmax) * grow, step = (double)k->step;
  return m < 1e36 && step * m < 1e36 && step * m / (double)k->eps < 1e30;
}

/* A count over the parameters of every shard, the replicated ones once:
 * a shard's count over its blocks and over the coefficients and
 * transforms. */
static size_t shard_count(symclone_trainer *tr, size_t blocks, size_t small) {
  double v = (double)blocks + (tr->shard.first ? (double)small : 0.0);
  return (size_t)sym_trainer_shard_sum(tr, v);
}

/* sym_pass_adamw or its check over all parameters; a shard counts over
 * every shard. */
static size_t adamw_all(symclone_trainer *tr, int check, const sym_adam_consts *k) {
  size_t n = tr->nparams;
  float *p = tr->params, *g = tr->grad, *m = tr->m1, *v = tr->m2;
  if (!tr->shard.reduce)
    return check ? sym_pass_adamw_check(tr->pool, tr->partial, p, g, m, v, n, k)
                 : sym_pass_adamw(tr->pool, tr->partial, p, g, m, v, n, k);
  size_t o = tr->st->off_coeffs, b, s;
  if (check) {
    b = sym_pass_adamw_check(tr->pool, tr->partial, p, g, m, v, o, k);
    s = sym_pass_adamw_check(tr->pool, tr->partial, p + o, g + o, m + o, v + o, n - o, k);
  } else {
    b = sym_pass_adamw(tr->pool, tr->partial, p, g, m, v, o, k);
    s = sym_pass_adamw(tr->pool, tr->partial, p + o, g + o, m + o, v + o, n - o, k);
  }
  return shard_count(tr, b, s);
}

/* sym_pass_sgd or its check over all parameters, as adamw_all. */
static size_t sgd_all(symclone_trainer *tr, int check, float mu, float lr, float wd, float gs) {
  size_t n = tr->nparams;
  float *p = tr->params, *g = tr->grad, *m = tr->m1;
  if (!tr->shard.reduce)
    return check ? sym_pass_sgd_check(tr->pool, tr->partial, p, g, m, n, mu, lr, wd, gs)
                 : sym_pass_sgd(tr->pool, tr->partial, p, g, m, n, mu, lr, wd, gs);
  size_t o = tr->st->off_coeffs, b, s;
  if (check) {
    b = sym_pass_sgd_check(tr->pool, tr->partial, p, g, m, o, mu, lr, wd, gs);
    s = sym_pass_sgd_check(tr->pool, tr->partial, p + o, g + o, m + o, n - o, mu, lr, wd, gs);
  } else {
    b = sym_pass_sgd(tr->pool, tr->partial, p, g, m, o, mu, lr, wd, gs);
    s = sym_pass_sgd(tr->pool, tr->partial, p + o, g + o, m + o, n - o, mu, lr, wd, gs);
  }
  return shard_count(tr, b, s);
}

/* The AdamW update (see sym_trainer_apply_update). */
static size_t adamw_update(symclone_trainer *tr, double lr, double gscale, double gmax,
                           int *fused, int *applied) {
  size_t n = tr->nparams, off = tr->instance ? n : tr->st->off_coeffs, bad;
  float *p = tr->params, *g = tr->grad, *m = tr->m1, *v = tr->m2;
  sym_adam_consts k = sym_adam_consts_at(
      tr->adam_t + 1, lr, tr->set[SYMCLONE_TRAINER_BETA1], tr->set[SYMCLONE_TRAINER_BETA2],
      tr->set[SYMCLONE_TRAINER_EPSILON], tr->set[SYMCLONE_TRAINER_WEIGHT_DECAY], gscale);
  if (!adamw_surely_finite(tr, &k, gmax)) {
    if (*fused) {
      sym_trainer_form_gradient(tr, *fused);
      *fused = SYM_FUSED_NONE;
    }
    if ((bad = adamw_all(tr, 1, &k))) return bad;
  }
  *applied = 1;
  if (!*fused) {
    bad = adamw_all(tr, 0, &k);
  } else {
    /* the blocks, forming their gradient; then the rest */
    bad = *fused == SYM_FUSED_FAMILY ? sym_family_fused_adamw(tr, &k)
                                     : sym_moment_fused_adamw(tr, &k);
    size_t rest =
        sym_pass_adamw(tr->pool, tr->partial, p + off, g + off, m + off, v + off, n - off, &k);
    bad = tr->shard.reduce ? shard_count(tr, bad, rest) : bad + rest;
  }
  tr->adam_t++;
  if (gmax > tr->adam_mmax) tr->adam_mmax = gmax;
  return bad;
}

size_t sym_trainer_apply_update(symclone_trainer *tr, double gscale, double gmax, int *fused,
                                int *applied) {
  double lr = lr_at(tr, tr->steps);
  *applied = 0;
  if ((int)tr->set[SYMCLONE_TRAINER_OPTIMIZER] == SYMCLONE_OPTIMIZER_ADAMW)
    return adamw_update(tr, lr, gscale, gmax, fused, applied);
  float mu = (float)tr->set[SYMCLONE_TRAINER_MOMENTUM];
  float wd = (float)tr->set[SYMCLONE_TRAINER_WEIGHT_DECAY];
  size_t bad = sgd_all(tr, 1, mu, (float)lr, wd, (float)gscale);
  if (bad) return bad;
  *applied = 1;
  return sgd_all(tr, 0, mu, (float)lr, wd, (float)gscale);
}
