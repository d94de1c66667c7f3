/* The moment objective of a family student: the loss and gradient of the
 * second moment of the error over standard normal inputs, from passes
 * over the blocks (no data): the Gram matrix of the blocks, and the
 * gradient's norm from it, so that a fused update forms the gradient
 * itself. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "trainer_priv.h"

/* The small matrices of the moment objective, in tr->smat. */
typedef struct moment_mats {
  float *g;   /* B x B, the Gram matrix */
  float *ctc; /* B x B, (2/out) Cm^T Cm */
  float *z;   /* B x Pc, the tap sums */
  float *e;   /* B x Pc, (2/out) Cm^T kappa */
  float *h;   /* rows x B */
} moment_mats;

static moment_mats moment_mats_of(const symclone_trainer *tr) {
  size_t B = (size_t)tr->st->nblocks, pc = (size_t)tr->st->pc;
  moment_mats mm;
  mm.g = tr->smat;
  mm.ctc = mm.g + B * B;
  mm.z = mm.ctc + B * B;
  mm.e = mm.z + B * pc;
  mm.h = mm.e + B * pc;
  return mm;
}

/* The squared norm of the blocks' gradient without forming it:
 *   ||dW_b||^2 = a_b G a_b^T - 2 sum_c a_bc sum_q e_bq z_cq + sum_q e_bq^2 n_q
 * with a = ctc, n_q = tap_rows[q] (two taps never meet in one row:
 * build_tables in trainer.c).  *mag gets the same sum with every term replaced
 * by a bound on its size (|G_cd| <= sqrt(G_cc G_dd)): the result's rounding
 * error is a small multiple of it (SYM_MOMENT_NORM_REL). */
static double moment_norm2(const symclone_trainer *tr, const moment_mats *mm, double *mag) {
  const symclone_student *s = tr->st;
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc;
  double total = 0.0, size = 0.0;
  for (size_t b = 0; b < B; b++) {
    const float *a = mm->ctc + b * B, *e = mm->e + b * pc;
    double quad = 0.0, cross = 0.0, lab = 0.0, qbound = 0.0, cbound = 0.0;
    for (size_t c = 0; c < B; c++) {
      double gc = 0.0;
      for (size_t d = 0; d < B; d++) gc += (double)a[d] * mm->g[c * B + d];
      quad += (double)a[c] * gc;
      qbound += fabs((double)a[c]) * sqrt(fmax((double)mm->g[c * B + c], 0.0));
      double ez = 0.0, ezb = 0.0;
      for (size_t q = 0; q < pc; q++) {
        ez += (double)e[q] * mm->z[c * pc + q];
        ezb += fabs((double)e[q] * mm->z[c * pc + q]);
      }
      cross += (double)a[c] * ez;
      cbound += fabs((double)a[c]) * ezb;
    }
    for (size_t q = 0; q < pc; q++) lab += (double)e[q] * e[q] * tr->tap_rows[q];
    total += quad - 2.0 * cross + lab;
    size += qbound * qbound + 2.0 * cbound + lab;
  }
  *mag = size;
  return total > 0.0 ? total : 0.0;
}

/* SYM_MOMENT_NORM_REL is the worst error of moment_norm2, and of the
 * formed gradient's own sum of squares, relative to its *mag: an entry of
 * the Gram matrix is summed in float lanes of 32 products each
 * (sym_pass_gram: at most 33 roundings of 2^-24, 2e-6 of
 * sqrt(G_cc G_dd)), an element of the formed gradient adds B products in
 * float (5e-7 for B = 9).  Measured errors are about 1e-9 of *mag. */

double sym_moment_grad(symclone_trainer *tr, int first) {
  sym_blocks blocks = sym_trainer_blocks(tr->st);
  moment_mats mm = moment_mats_of(tr);
  size_t pc = (size_t)tr->st->pc;
  return sym_trainer_shard_sum(
      tr, sym_pass_moment_grad(tr->pool, tr->partial, &blocks, mm.ctc,
                               tr->tapidx + tr->st->row0 * pc, pc, mm.e, !first, tr->grad));
}

size_t sym_moment_fused_adamw(symclone_trainer *tr, const sym_adam_consts *k) {
  sym_blocks blocks = sym_trainer_blocks(tr->st);
  moment_mats mm = moment_mats_of(tr);
  size_t pc = (size_t)tr->st->pc;
  return sym_pass_moment_adamw(tr->pool, tr->partial, &blocks, mm.ctc,
                               tr->tapidx + tr->st->row0 * pc, pc, mm.e, tr->fused, tr->m1,
                               tr->m2, k);
}

/* The bound on the rounding of the expanded loss's terms: each entry of
 * C G is off by at most SYM_MOMENT_NORM_REL of sum_d |c_d| sqrt(G_dd G_bb)
 * (the Gram pass's float lanes, then B products in float), each entry of
 * h by as much of sum_q |kappa_q z_bq|; returns the sum of |c| times
 * those bounds, over row j of C (B entries). */
static double row_magnitude(const symclone_trainer *tr, const moment_mats *mm, size_t j) {
  const symclone_student *s = tr->st;
  size_t pc = (size_t)s->pc, B = (size_t)s->nblocks;
  const float *c = tr->c + j * B, *kap = tr->kappa + j * pc;
  double mag = 0.0;
  for (size_t b = 0; b < B; b++) {
    double gb = sqrt(fmax((double)mm->g[b * B + b], 0.0)), cg = 0.0, kz = 0.0;
    for (size_t d = 0; d < B; d++)
      cg += fabs((double)c[d]) * sqrt(fmax((double)mm->g[d * B + d], 0.0)) * gb;
    for (size_t q = 0; q < pc; q++) kz += fabs((double)kap[q] * mm->z[b * pc + q]);
    mag += fabs((double)c[b]) * (cg + 2.0 * kz);
  }
  return mag;
}

/* The Gram matrix G = W W^T and the tap sums z; then the loss and
 * dC = scale (C G - h) with h = kappa z^T; then (C^T C) scale and
 * e = scale C^T kappa, the two small matrices of the blocks' gradient
 *   dW = (C^T C) W - e . Shift (scale = 2 / out_size).
 * Returns the loss summed over the outputs, and its rounding's bound in
 * *resolution: the expansion subtracts nearly equal numbers near the
 * exact solution, where the loss is known only to that bound. */
static double moment_loss(symclone_trainer *tr, const moment_mats *mm, double *resolution) {
  const symclone_student *s = tr->st;
  size_t pc = (size_t)s->pc, B = (size_t)s->nblocks, rows = tr->p * (size_t)s->tcount;
  sym_blocks blocks = sym_trainer_blocks(s);
  sym_pass_gram(tr->pool, tr->partial, &blocks, tr->tapidx + s->row0 * pc, pc, mm->g, mm->z);
  if (tr->shard.reduce) sym_trainer_shard_reduce(tr, mm->g, B * B, mm->z, B * pc, NULL, 0);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)B, (int)pc, 1.0f,
              tr->kappa, (int)pc, mm->z, (int)pc, 0.0f, mm->h, (int)B);
  double l = 0.0;
  float scale = (float)(2.0 / (double)s->out_size);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)B, (int)B, 1.0f, tr->c,
              (int)B, mm->g, (int)B, 0.0f, tr->dc, (int)B);
  for (size_t j = 0; j < rows; j++)
    for (size_t b = 0; b < B; b++) {
      double cg = tr->dc[j * B + b], cv = tr->c[j * B + b], hv = mm->h[j * B + b];
      l += cv * cg - 2.0 * cv * hv;
      tr->dc[j * B + b] = (float)(scale * (cg - hv));
    }
  l += tr->moment_label_norm * (double)s->out_size;
  if (l < 0.0) l = 0.0; /* rounding near the exact solution */
  double mag = tr->moment_label_norm * (double)s->out_size;
  for (size_t j = 0; j < rows; j++) mag += row_magnitude(tr, mm, j);
  *resolution = SYM_MOMENT_NORM_REL * mag;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)B, (int)rows, scale, tr->c,
              (int)B, tr->c, (int)B, 0.0f, mm->ctc, (int)B);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)pc, (int)rows, 1.0f, tr->c,
              (int)B, tr->kappa, (int)pc, 0.0f, mm->e, (int)pc);
  for (size_t i = 0; i < B * pc; i++) mm->e[i] = scale * mm->e[i];
  return l;
}

/* With `fused` the blocks' gradient is not formed (the update forms it:
 * sym_moment_fused_adamw); its norm then comes from moment_norm2, and
 * *gmag gets that one's bound.  Otherwise *gmag = *gnorm2, exact. */
symclone_status sym_trainer_micro_moment(symclone_trainer *tr, int first, int fused, double *loss,
                                         double *lpow, double *gnorm2, double *gmag) {
  symclone_student *s = tr->st;
  symclone_status st = sym_trainer_scratch(tr, 0, 0);
  if (st) return sym_fail(&tr->err, st, "cannot prepare the moment objective");
  size_t P = tr->p;
  memset(tr->theta, 0, P * P * sizeof(float));
  for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  sym_student_phi(s, tr->theta, P, tr->phi);
  sym_student_coeffs(s, tr->phi, P, tr->c);
  moment_mats mm = moment_mats_of(tr);
  double res, l = moment_loss(tr, &mm, &res), sq, mag;
  if (fused) {
    sq = moment_norm2(tr, &mm, &mag);
  } else {
    sq = sym_moment_grad(tr, first);
    mag = sq;
  }
  if (first) sym_trainer_zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, P, tr->dc, tr->grad, NULL, tr->dphi);
  double small = sym_trainer_small_sumsq(tr);
  *gnorm2 = sq + small;
  *gmag = mag + small;
  *loss = l / (double)s->out_size;
  tr->loss_res += res / (double)s->out_size;
  *lpow = tr->moment_label_norm;
  return SYMCLONE_OK;
}
