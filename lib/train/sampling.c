/* The sampling objectives (stochastic and unit kernels) of a family
 * student: one micro-batch of K kernels and N inputs.
 *
 * The labels are Kx im2col(x): the teacher is linear in theta, and
 * Kx = Theta kappa holds the planar kernels of the K draws.  The student's
 * outputs are C Vt with Vt = W x computed once for all K kernels.  Vt and
 * the im2col rows sit one after the other in tr->v, so the error
 *   E = C Vt - Kx cols = [C | -Kx] [Vt; cols]
 * is one product, and the labels are never stored. */
#include <cblas.h>
#include <string.h>

#include "trainer_priv.h"

/* theta: the K unit vectors (unit kernels) or K standard normal draws */
static void draw_theta(symclone_trainer *tr, int obj, size_t K) {
  size_t P = tr->p;
  if (obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS) {
    memset(tr->theta, 0, K * P * sizeof(float));
    for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  } else {
    sym_rng_fill_normal(&tr->rng, tr->theta, K * P, 1.0f);
  }
}

/* Kx = Theta kappa, the coefficients C of theta, and [C | -Kx] (m rows of
 * kaug) at caug. */
static void build_caug(symclone_trainer *tr, size_t K, float *caug) {
  const symclone_student *s = tr->st;
  size_t P = tr->p, tc = (size_t)s->tcount, pc = (size_t)s->pc;
  size_t kin = (size_t)s->in_n * pc, kv = (size_t)s->in_n * (size_t)s->nblocks, kaug = kv + kin;
  size_t m = K * (size_t)s->out_n;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)K, (int)(tc * pc), (int)P, 1.0f,
              tr->theta, (int)P, tr->kappa, (int)(tc * pc), 0.0f, tr->kx, (int)(tc * pc));
  sym_student_phi(s, tr->theta, K, tr->phi);
  sym_student_coeffs(s, tr->phi, K, tr->c);
  for (size_t r = 0; r < m; r++) {
    memcpy(caug + r * kaug, tr->c + r * kv, kv * sizeof(float));
    for (size_t j = 0; j < kin; j++) caug[r * kaug + kv + j] = -tr->kx[r * kin + j];
  }
}

/* The labels' power: sum over the m rows of kx_r^T (cols cols^T) kx_r,
 * from the Gram matrix gc of the im2col rows (kin x kin). */
static double label_power(symclone_trainer *tr, size_t N, size_t m, float *gc) {
  const symclone_student *s = tr->st;
  size_t kin = (size_t)s->in_n * (size_t)s->pc;
  sym_blocks cb = sym_trainer_cols_blocks(s, tr->cols, N);
  sym_pass_gram(tr->pool, tr->partial, &cb, NULL, 0, gc, NULL);
  if (tr->shard.reduce) sym_trainer_shard_reduce(tr, gc, kin * kin, NULL, 0, NULL, 0);
  double lp = 0.0;
  for (size_t r = 0; r < m; r++) {
    const float *kr = tr->kx + r * kin;
    for (size_t i = 0; i < kin; i++) {
      double acc = 0.0;
      for (size_t j = 0; j < kin; j++) acc += (double)gc[i * kin + j] * kr[j];
      lp += acc * kr[i];
    }
  }
  return lp > 0.0 ? lp : 0.0;
}

/* The backward pass of dL/dYt = scale E: dC = scale E Vt^T and dVt =
 * scale C^T E.  The error pass forms E a piece of columns at a time and
 * takes both, and the loss (sum E^2), while the piece is in cache
 * (passes.h); without the product kernel E goes to memory, dC comes from
 * the cross pass and dV from sgemm.  Returns sum E^2. */
static double error_pass_rows(symclone_trainer *tr, size_t m, size_t cols, const float *caug,
                              float scale) {
  const symclone_student *s = tr->st;
  size_t kv = (size_t)s->in_n * (size_t)s->nblocks, kaug = kv + (size_t)s->in_n * (size_t)s->pc;
  if (sym_trainer_own_products(tr)) {
    for (size_t r = 0; r < m; r++)
      for (size_t b = 0; b < kv; b++) tr->ct[b * m + r] = scale * tr->c[r * kv + b];
    return sym_pass_error(tr->pool, tr->partial, caug, kaug, tr->v, m, kv, cols, tr->ct, scale,
                          tr->epiece, tr->dc, tr->dv);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)cols, (int)kaug, 1.0f, caug,
              (int)kaug, tr->v, (int)cols, 0.0f, tr->ys, (int)cols);
  double sq = sym_pass_cross(tr->pool, tr->partial, tr->ys, m, tr->v, kv, cols, scale, tr->dc);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kv, (int)cols, (int)m, scale, tr->c,
              (int)kv, tr->ys, (int)cols, 0.0f, tr->dv, (int)cols);
  return sq;
}

/* The error pass over the rows held; a shard's dC and sum E^2 summed over
 * the shards. */
static double error_pass(symclone_trainer *tr, size_t m, size_t cols, const float *caug,
                         float scale) {
  double sq = error_pass_rows(tr, m, cols, caug, scale);
  if (tr->shard.reduce) {
    size_t kv = (size_t)tr->st->in_n * (size_t)tr->st->nblocks;
    sym_trainer_shard_reduce(tr, tr->dc, m * kv, NULL, 0, &sq, 1);
  }
  return sq;
}

/* Vt = W X^T for each input channel (student_priv.h): in the product
 * kernel on the trainer's threads, from the transposed inputs the im2col
 * pass built (xt), where the kernel has vector code; the BLAS otherwise. */
static void project(symclone_trainer *tr, size_t N) {
  const symclone_student *s = tr->st;
  if (!sym_trainer_own_products(tr)) {
    sym_student_project_t(s, tr->x, N, tr->v);
    return;
  }
  size_t rows = (size_t)s->nblocks * s->rows, L = s->in_hw;
  for (size_t si = 0; si < (size_t)s->in_n; si++)
    sym_prod_pool(tr->pool, sym_st_blocks(s), L, tr->xt + si * L * N, N, tr->v + si * rows * N, N,
                  rows, N, L);
}

/* The step's matrices must fit BLAS ints (every stage is one product over
 * the batch) and their sizes a size_t; then the scratch. */
static symclone_status prepare(symclone_trainer *tr, size_t K, size_t N) {
  const symclone_student *s = tr->st;
  size_t total;
  if (s->out_hw * N > (size_t)INT32_MAX || K * (size_t)s->out_n > (size_t)INT32_MAX ||
      sym_mul3_size(K * (size_t)s->out_n, s->out_hw, N, &total) ||
      total > SIZE_MAX / sizeof(float))
    return sym_fail(&tr->err, SYMCLONE_ERR_OVERFLOW,
                    "kernels=%zu and inputs=%zu make the step's matrices too large", K, N);
  symclone_status st = sym_trainer_scratch(tr, K, N);
  if (st) return sym_fail(&tr->err, st, "cannot allocate the step's scratch");
  if (sym_trainer_own_products(tr) && (st = sym_trainer_error_scratch(tr, K * (size_t)s->out_n)))
    return st;
  return sym_trainer_draw_inputs(tr, N);
}

symclone_status sym_trainer_micro_family(symclone_trainer *tr, int first, int fused, double *loss,
                                         double *lpow, double *gnorm2, double *gmag) {
  symclone_student *s = tr->st;
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS];
  size_t K = obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? tr->p
                                                    : (size_t)tr->set[SYMCLONE_TRAINER_KERNELS];
  symclone_status st = prepare(tr, K, N);
  if (st) return st;
  draw_theta(tr, obj, K);
  /* cols: the step's columns (o, x) of the rows held; total: of all */
  size_t m = K * (size_t)s->out_n, cols = s->rows * N, total = m * s->out_hw * N;
  size_t kin = (size_t)s->in_n * (size_t)s->pc, kaug = (size_t)s->in_n * (size_t)s->nblocks + kin;
  float *gc = tr->smat, *caug = gc + kin * kaug;
  sym_trainer_build_cols(tr, N);
  build_caug(tr, K, caug);
  project(tr, N);
  *lpow = label_power(tr, N, m, gc) / (double)total;
  *loss = error_pass(tr, m, cols, caug, (float)(2.0 / (double)total)) / (double)total;
  if (!fused) sym_student_project_backward_t(s, tr->x, N, tr->dv, first ? 0.0f : 1.0f, tr->grad);
  if (first) sym_trainer_zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, K, tr->dc, tr->grad, NULL, tr->dphi);
  if (fused) {
    double small = sym_trainer_small_sumsq(tr);
    *gnorm2 = sym_family_norm2(tr, N, gmag) + small;
    *gmag += small;
  }
  return SYMCLONE_OK;
}
