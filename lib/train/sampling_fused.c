/* The family objectives' fused update.
 *
 * With one input channel the blocks' gradient is dW = dV X (rows (b, o) of
 * in_hw floats, inner dimension N, student_priv.h), and
 *   ||dW||^2 = <dV^T dV, X X^T>,
 * two N x N products instead of a pass over the gradient.  The update then
 * forms dW a few rows at a time in cache, on the worker threads, and
 * applies AdamW to them (sym_pass_prod_adamw), so that the gradient never
 * goes to memory. */
#include <cblas.h>
#include <math.h>

#include "trainer_priv.h"

/* The products of sym_family_norm2 sum at most this many terms in float (then
 * in double), which bounds their rounding error on any BLAS. */
#define NORM_PIECE 256

/* out (upper triangle, N x N) = A^T A in double for A = rows x N floats
 * (row stride lda), or A A^T for A = N x rows (trans = 0): pieces of at
 * most NORM_PIECE terms by ssyrk, added in double. */
static void syrk_pieces(int trans, size_t N, size_t rows, const float *a, size_t lda, float *tmp,
                        double *out) {
  for (size_t i = 0; i < N * N; i++) out[i] = 0.0;
  for (size_t r0 = 0; r0 < rows; r0 += NORM_PIECE) {
    size_t rb = rows - r0 < NORM_PIECE ? rows - r0 : NORM_PIECE;
    if (trans)
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)rb, 1.0f, a + r0 * lda,
                  (int)lda, 0.0f, tmp, (int)N);
    else
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)rb, 1.0f, a + r0,
                  (int)lda, 0.0f, tmp, (int)N);
    for (size_t i = 0; i < N; i++)
      for (size_t j = i; j < N; j++) out[i * N + j] += tmp[i * N + j];
  }
}

/* The squared norm of dW = dV X by the formula above.  *mag gets
 *   sum_ij |XX_ij| sqrt(D_ii D_jj) + |D_ij| sqrt(XX_ii XX_jj),
 * which bounds what the rounding of D and XX^T can do to it (each entry
 * is off by at most NORM_PIECE roundings of 2^-24 times the root of its
 * row's and column's diagonal entries, Cauchy-Schwarz), or infinity when
 * an element of dW or a partial sum of it might overflow a float
 * (|dW_ri| <= sqrt(tr D tr XX^T)). */
double sym_family_norm2(symclone_trainer *tr, size_t N, double *mag) {
  const symclone_student *s = tr->st;
  size_t rows = (size_t)s->nblocks * s->rows;
  double *d = tr->norm_d, *xx = d + N * N;
  float *tmp = tr->fused;
  syrk_pieces(1, N, rows, tr->dv, N, tmp, d);
  if (tr->shard.reduce) sym_trainer_shard_reduce(tr, NULL, 0, NULL, 0, d, N * N);
  syrk_pieces(0, N, s->in_hw, tr->x, s->in_size, tmp, xx);
  double total = 0.0, size = 0.0, trd = 0.0, trx = 0.0;
  for (size_t i = 0; i < N; i++) {
    double di = fmax(d[i * N + i], 0.0), xi = fmax(xx[i * N + i], 0.0);
    total += d[i * N + i] * xx[i * N + i];
    size += xi * di + di * xi;
    for (size_t j = i + 1; j < N; j++) {
      double dj = fmax(d[j * N + j], 0.0), xj = fmax(xx[j * N + j], 0.0);
      total += 2.0 * d[i * N + j] * xx[i * N + j];
      size += 2.0 * (fabs(xx[i * N + j]) * sqrt(di * dj) + fabs(d[i * N + j]) * sqrt(xi * xj));
    }
    trd += di;
    trx += xi;
  }
  *mag = trd * trx < 1e76 ? size : INFINITY;
  return total > 0.0 ? total : 0.0;
}

/* (SYM_FAMILY_NORM_REL, the worst error of sym_family_norm2 relative to
 * its *mag: NORM_PIECE + 1 roundings in each product, 1.5e-5, with a
 * margin.) */

size_t sym_family_fused_adamw(symclone_trainer *tr, const sym_adam_consts *k) {
  const symclone_student *s = tr->st;
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], L = s->in_hw;
  size_t rows = (size_t)s->nblocks * s->rows;
  return sym_pass_prod_adamw(tr->pool, tr->partial, tr->dv, N, tr->x, s->in_size, rows, L, N,
                             tr->fused + N * N, tr->params, tr->m1, tr->m2, k);
}
