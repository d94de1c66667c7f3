/* A training step and a run of steps.
 *
 * The path of one step, in one direction through the files:
 *   symclone_trainer_step (here): the pool (ensure_pool), the kind of
 *     update (fused_kind) and its scratch (scratch.c), then per
 *     micro-batch one of
 *       sym_trainer_micro_family   (sampling.c: inputs.c draws the inputs
 *                                   and their im2col rows; the error pass,
 *                                   pass_cross.c; with a fused update the
 *                                   norm by formula, sampling_fused.c)
 *       sym_trainer_micro_moment   (moment.c: the Gram pass, pass_block.c)
 *       sym_trainer_micro_instance (instance.c)
 *     which write the gradient and its squared norm;
 *   the clipping scale (here), then sym_trainer_apply_update (update.c):
 *     AdamW or SGD over the parameters (pass_stream.c), the blocks'
 *     gradient formed on the way by a fused update (sampling_fused.c ->
 *     pass_prod.c, or moment.c -> pass_block.c);
 *   every pass runs the kernels of lib/kernels on the trainer's pool. */
#include <math.h>

#include "../common/clock.h"
#include "hooks.h"
#include "trainer_priv.h"

/* The worker pool follows the threads setting; it is (re)started only when
 * that changes. */
static symclone_status ensure_pool(symclone_trainer *tr) {
  int want = (int)tr->set[SYMCLONE_TRAINER_THREADS];
  int changed = sym_pool_resize(&tr->pool, want);
  if (changed < 0)
    return sym_fail(&tr->err, (symclone_status)changed, "cannot start threads=%d worker threads",
                    want);
  return SYMCLONE_OK;
}

/* With one micro-batch and AdamW the update forms the blocks' gradient
 * itself: for the moment objective, and for the sampling objectives of a
 * student with one input channel where the norm's N x N products cost
 * less than dW (N <= in_hw). */
static int fused_kind(const symclone_trainer *tr) {
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  if (tr->instance || (int)tr->set[SYMCLONE_TRAINER_ACCUMULATE] != 1 || sym_hook_no_fusion() ||
      (int)tr->set[SYMCLONE_TRAINER_OPTIMIZER] != SYMCLONE_OPTIMIZER_ADAMW)
    return SYM_FUSED_NONE;
  /* The moment norm by formula costs B^3 + B^2 Pc products, forming the
   * blocks' gradient B^2 out_hw in_hw: the formula only where it is the
   * cheaper (a student of more blocks than block entries would otherwise
   * take cubic time). */
  if (obj == SYMCLONE_OBJECTIVE_MOMENT)
    return (double)tr->st->nblocks <= (double)tr->st->out_hw * (double)tr->st->in_hw
               ? SYM_FUSED_MOMENT
               : SYM_FUSED_NONE;
  if (tr->st->in_n == 1 && sym_trainer_own_products(tr) &&
      tr->set[SYMCLONE_TRAINER_INPUTS] <= (double)tr->st->in_hw)
    return SYM_FUSED_FAMILY;
  return SYM_FUSED_NONE;
}

double sym_trainer_shard_sum(symclone_trainer *tr, double v) {
  if (!tr->shard.reduce) return v;
  symclone_status st = tr->shard.reduce(tr->shard.ctx, &v, 1);
  if (st && !tr->shard_status) tr->shard_status = st;
  return v;
}

double sym_trainer_grad_sumsq(symclone_trainer *tr) {
  if (!tr->shard.reduce) return sym_pass_sumsq(tr->pool, tr->partial, tr->grad, tr->nparams);
  size_t n = tr->shard.first ? tr->nparams : tr->st->off_coeffs;
  return sym_trainer_shard_sum(tr, sym_pass_sumsq(tr->pool, tr->partial, tr->grad, n));
}

/* The most doubles one reduction of a step takes with the present
 * settings: the moment objective's G and z; the sampling objectives' Gram
 * matrix of the im2col rows, dC with the loss, and the fused update's
 * D (N x N). */
static size_t shard_reduce_size(const symclone_trainer *tr) {
  const symclone_student *s = tr->st;
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc, kin = (size_t)s->in_n * pc;
  size_t need = B * (B + pc);
  if ((int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] != SYMCLONE_OBJECTIVE_MOMENT) {
    int unit = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] == SYMCLONE_OBJECTIVE_UNIT_KERNELS;
    size_t K = unit ? tr->p : (size_t)tr->set[SYMCLONE_TRAINER_KERNELS];
    size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS];
    size_t dc = K * (size_t)s->out_n * (size_t)s->in_n * B + 1;
    if (kin * kin > need) need = kin * kin;
    if (dc > need) need = dc;
    if (N * N > need) need = N * N;
  }
  return need;
}

size_t sym_trainer_shard_reduce_size(const symclone_trainer *tr) { return shard_reduce_size(tr); }

void sym_trainer_shard_reduce(symclone_trainer *tr, float *a, size_t na, float *b, size_t nb,
                              double *d, size_t nd) {
  double *v = tr->shard_buf;
  size_t n = na + nb + nd;
  if (n > tr->shard_cap) {
    if (!tr->shard_status) tr->shard_status = SYMCLONE_ERR_SIZE;
    return;
  }
  for (size_t i = 0; i < na; i++) v[i] = a[i];
  for (size_t i = 0; i < nb; i++) v[na + i] = b[i];
  for (size_t i = 0; i < nd; i++) v[na + nb + i] = d[i];
  symclone_status st = tr->shard.reduce(tr->shard.ctx, v, n);
  if (st && !tr->shard_status) tr->shard_status = st;
  for (size_t i = 0; i < na; i++) a[i] = (float)v[i];
  for (size_t i = 0; i < nb; i++) b[i] = (float)v[na + i];
  for (size_t i = 0; i < nd; i++) d[i] = v[na + nb + i];
}

/* A failed reduction of a shard's step. */
static symclone_status shard_failed(symclone_trainer *tr) {
  symclone_status st = tr->shard_status;
  tr->shard_status = SYMCLONE_OK;
  return sym_fail(&tr->err, st, "step %lld: the reduction over the shards failed",
                  tr->steps + 1);
}

/* The settings a step refuses before it starts. */
static symclone_status check_step(symclone_trainer *tr) {
  if (!tr->instance &&
      (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] == SYMCLONE_OBJECTIVE_MOMENT &&
      (int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] != SYMCLONE_INPUT_SOURCE_GAUSSIAN)
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING,
                    "objective=moment is defined for standard normal inputs only "
                    "(input_source=gaussian)");
  return SYMCLONE_OK;
}

symclone_status sym_trainer_prepare(symclone_trainer *tr) {
  symclone_status st = ensure_pool(tr);
  if (st) return st;
  if ((st = check_step(tr))) return st;
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  if (!tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT && (st = sym_trainer_scratch(tr, 0, 0)))
    return sym_fail(&tr->err, st, "cannot prepare the moment objective");
  if (!tr->instance && obj != SYMCLONE_OBJECTIVE_MOMENT) {
    const symclone_student *s = tr->st;
    size_t K = obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? tr->p
                                                      : (size_t)tr->set[SYMCLONE_TRAINER_KERNELS];
    size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], total;
    if (s->out_hw * N > (size_t)INT32_MAX || K * (size_t)s->out_n > (size_t)INT32_MAX ||
        sym_mul3_size(K * (size_t)s->out_n, s->out_hw, N, &total) ||
        total > SIZE_MAX / sizeof(float))
      return sym_fail(&tr->err, SYMCLONE_ERR_OVERFLOW,
                      "kernels=%zu and inputs=%zu make the step's matrices too large", K, N);
    if ((st = sym_trainer_scratch(tr, K, N)))
      return sym_fail(&tr->err, st, "cannot allocate the step's scratch");
    if (sym_trainer_own_products(tr) && (st = sym_trainer_error_scratch(tr, K * (size_t)s->out_n)))
      return st;
    if ((int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] != SYMCLONE_INPUT_SOURCE_GAUSSIAN &&
        (!tr->samples || tr->nsamples == 0))
      return sym_fail(&tr->err, SYMCLONE_ERR_STATE,
                      "input_source asks for samples but none were set (set_samples)");
    if ((int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] == SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED &&
        (st = sym_trainer_input_group(tr)))
      return sym_fail(&tr->err, st, "cannot create the group of the input transforms");
  }
  if (tr->shard.reduce) {
    size_t need = shard_reduce_size(tr);
    if (need > tr->shard_cap) {
      sym_free(tr->shard_buf);
      tr->shard_cap = 0;
      if (!(tr->shard_buf = sym_malloc_array(need, sizeof(double))))
        return sym_fail(&tr->err, SYMCLONE_ERR_NOMEM, "cannot allocate the reduction's buffer");
      tr->shard_cap = need;
    }
  }
  int fused = fused_kind(tr);
  if (fused && (st = sym_trainer_fused_scratch(tr, fused)) && st != SYMCLONE_ERR_OVERFLOW)
    return sym_fail(&tr->err, st, "cannot allocate the fused update's scratch");
  return SYMCLONE_OK;
}

/* Seconds between calls of the progress callback inside a step of several
 * micro-batches. */
#define MID_STEP_PROGRESS 0.5

/* Inside a step of several micro-batches, done of them done: the progress
 * callback, at most every MID_STEP_PROGRESS seconds, with the figures of
 * the last finished step; a non-zero return cancels the step. */
static symclone_status mid_step_progress(symclone_trainer *tr, int done, int acc) {
  if (!tr->progress) return SYMCLONE_OK;
  double now = sym_now_seconds();
  if (now - tr->progress_at < MID_STEP_PROGRESS) return SYMCLONE_OK;
  tr->progress_at = now;
  if (!tr->progress(tr->progress_user, tr->steps, tr->loss, tr->rel,
                    tr->seconds + (now - tr->step_t0)))
    return SYMCLONE_OK;
  return sym_fail(&tr->err, SYMCLONE_ERR_CANCELLED,
                  "stopped by the progress callback in step %lld after %d of %d micro-batches; "
                  "nothing of the step was applied",
                  tr->steps + 1, done, acc);
}

/* The micro-batches of a step: their mean loss and label power, the
 * squared norm of their summed gradient and a bound *gsq_hi on it that
 * holds whatever the norm's rounding.  *fused drops to NONE when a norm by
 * formula is not usable (the gradient is then formed). */
static symclone_status micro_batches(symclone_trainer *tr, int *fused, double *loss,
                                     double *lpow, double *gnorm2, double *gsq_hi) {
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  int acc = (int)tr->set[SYMCLONE_TRAINER_ACCUMULATE];
  double clip = tr->set[SYMCLONE_TRAINER_CLIP_NORM];
  *loss = *lpow = tr->loss_res = 0.0;
  *gnorm2 = -1.0; /* < 0: not known yet */
  *gsq_hi = 0.0;
  for (int a = 0; a < acc; a++) {
    double l = 0.0, lp = 0.0, gmag = 0.0;
    symclone_status st;
    if (tr->instance)
      st = sym_trainer_micro_instance(tr, a == 0, &l, &lp);
    else if (obj == SYMCLONE_OBJECTIVE_MOMENT)
      st = sym_trainer_micro_moment(tr, a == 0, *fused, &l, &lp, gnorm2, &gmag);
    else
      st = sym_trainer_micro_family(tr, a == 0, *fused, &l, &lp, gnorm2, &gmag);
    if (st) return st;
    double rel = *fused == SYM_FUSED_MOMENT ? SYM_MOMENT_NORM_REL : SYM_FAMILY_NORM_REL;
    if (*fused && !sym_norm_usable(*gnorm2, gmag, rel, clip)) {
      /* form the gradient after all, and take its norm from it */
      *gnorm2 = sym_trainer_form_gradient(tr, *fused);
      *fused = SYM_FUSED_NONE;
    }
    *gsq_hi = *fused ? *gnorm2 + rel * gmag : 0.0;
    *loss += l;
    *lpow += lp;
    if (a + 1 < acc && (st = mid_step_progress(tr, a + 1, acc))) return st;
  }
  *loss /= acc;
  *lpow /= acc;
  /* the squared norm of one micro-batch's gradient may have come with it */
  if (acc > 1 || *gnorm2 < 0.0)
    *gnorm2 = sym_trainer_grad_sumsq(tr);
  /* a formed gradient's sum of squares, in double, is off by far less */
  if (!*fused) *gsq_hi = *gnorm2 * (1.0 + 1e-6);
  return SYMCLONE_OK;
}

/* The step after the checks: micro-batches, clipping, the update. */
static symclone_status step_body(symclone_trainer *tr) {
  int fused = fused_kind(tr);
  if (fused) {
    symclone_status st = sym_trainer_fused_scratch(tr, fused);
    if (st == SYMCLONE_ERR_OVERFLOW)
      fused = SYM_FUSED_NONE; /* the update forms the gradient */
    else if (st)
      return sym_fail(&tr->err, st, "cannot allocate the fused update's scratch");
  }
  double loss, lpow, gnorm2, gsq_hi;
  symclone_status st = micro_batches(tr, &fused, &loss, &lpow, &gnorm2, &gsq_hi);
  if (st) return st;
  if (tr->shard_status) return shard_failed(tr);
  int acc = (int)tr->set[SYMCLONE_TRAINER_ACCUMULATE];
  double clip = tr->set[SYMCLONE_TRAINER_CLIP_NORM];
  double gscale = 1.0 / acc, gnorm = sqrt(gnorm2) * gscale;
  if (!isfinite(loss) || !isfinite(gnorm))
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: loss %g, gradient norm %g; the update was not applied",
                    tr->steps + 1, loss, gnorm);
  if (clip > 0 && gnorm > clip) gscale *= clip / gnorm;
  /* the largest element of the scaled gradient, with the float scaling's
   * rounding */
  double gmax = sqrt(gsq_hi) * gscale * (1.0 + 1e-6);
  int applied;
  size_t bad = sym_trainer_apply_update(tr, gscale, gmax, &fused, &applied);
  if (tr->shard_status) return shard_failed(tr);
  if (!applied)
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: the update would make %zu parameters non-finite; nothing of "
                    "it was applied",
                    tr->steps + 1, bad);
  /* a restricted student is projected back onto its restriction
   * (student.h, symclone_student_restrict) */
  if (!tr->instance) sym_student_restrict_apply(tr->st);
  tr->steps++;
  tr->loss = loss;
  tr->rel = lpow > 0 ? loss / lpow : (loss > 0 ? INFINITY : 0.0);
  tr->rel_res = lpow > 0 ? tr->loss_res / acc / lpow : 0.0;
  if (bad)
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: the update overflowed for %zu parameters, which kept their "
                    "previous values",
                    tr->steps, bad);
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_step(symclone_trainer *tr, double *loss_out, double *rel_out) {
  if (!tr) return SYMCLONE_ERR_NULL;
  double t0 = sym_now_seconds();
  tr->step_t0 = tr->progress_at = t0;
  symclone_status st = ensure_pool(tr);
  if (st) return st;
  if ((st = check_step(tr))) return st;
  long long before = tr->steps;
  st = step_body(tr);
  tr->seconds += sym_now_seconds() - t0;
  if (tr->steps != before) {
    if (loss_out) *loss_out = tr->loss;
    if (rel_out) *rel_out = tr->rel;
  }
  return st;
}

symclone_status symclone_trainer_run(symclone_trainer *tr) {
  if (!tr) return SYMCLONE_ERR_NULL;
  long long max_steps = (long long)tr->set[SYMCLONE_TRAINER_MAX_STEPS];
  long long every = (long long)tr->set[SYMCLONE_TRAINER_PROGRESS_EVERY];
  double target = tr->set[SYMCLONE_TRAINER_TARGET_REL_LOSS];
  while (tr->steps < max_steps) {
    symclone_status st = symclone_trainer_step(tr, NULL, NULL);
    if (st) return st;
    /* the target counts as reached only when the relative loss is surely
     * at or below it, its rounding included */
    int done = tr->steps >= max_steps || (target > 0 && tr->rel + tr->rel_res <= target);
    if (tr->progress && (tr->steps % every == 0 || done) &&
        tr->progress(tr->progress_user, tr->steps, tr->loss, tr->rel, tr->seconds))
      return sym_fail(&tr->err, SYMCLONE_ERR_CANCELLED,
                      "stopped by the progress callback at step %lld", tr->steps);
    if (done) break;
  }
  return SYMCLONE_OK;
}
