/* The building blocks of the student's passes (forward, backward and the
 * trainer's sample-minor layout): the coefficients from theta, the blocks'
 * projections and their combination, and the backward of each.  The
 * layouts are those of student_priv.h. */
#include <cblas.h>
#include <string.h>

#include "student_priv.h"

void sym_student_phi(const symclone_student *s, const float *theta, size_t kc, float *phi) {
  int pc = s->pc, p = s->p, tc = s->tcount;
  const float *t = sym_st_trans(s);
  for (int ti = 0; ti < tc; ti++) {
    float *dst = phi + (size_t)ti * pc; /* rows k with stride tc*pc */
    if (ti < s->tfirst) {
      for (size_t k = 0; k < kc; k++)
        memcpy(dst + k * (size_t)tc * pc, theta + k * (size_t)p, (size_t)pc * sizeof *dst);
      continue;
    }
    const float *tm = t + (size_t)(ti - s->tfirst) * sym_st_trans_size(s);
    /* Phi_t (K x Pc) = Theta (K x P) T_t^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)kc, pc, p, 1.0f, theta, p, tm, p,
                0.0f, dst, tc * pc);
  }
}

void sym_student_coeffs(const symclone_student *s, const float *phi, size_t kc, float *c) {
  int rows = (int)(kc * (size_t)s->tcount);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, s->nblocks, s->pc, 1.0f, phi, s->pc,
              sym_st_coeffs(s), s->pc, 0.0f, c, s->nblocks);
}

void sym_student_project(const symclone_student *s, const float *x, size_t nx, float *v) {
  int rows = (int)(nx * (size_t)s->in_n);
  int cols = (int)((size_t)s->nblocks * s->rows);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cols, (int)s->in_hw, 1.0f, x,
              (int)s->in_hw, sym_st_blocks(s), (int)s->in_hw, 0.0f, v, cols);
}

void sym_student_combine(const symclone_student *s, const float *c, size_t kc, const float *v,
                         size_t nx, float *y) {
  int m = (int)(kc * (size_t)s->out_n), kd = s->in_n * s->nblocks, how = (int)s->rows;
  size_t vstride = (size_t)kd * s->rows, ystride = (size_t)m * s->rows;
  if (m == 1) {
    for (size_t xi = 0; xi < nx; xi++)
      cblas_sgemv(CblasRowMajor, CblasTrans, kd, how, 1.0f, v + xi * vstride, how, c, 1, 0.0f,
                  y + xi * ystride, 1);
    return;
  }
  for (size_t xi = 0; xi < nx; xi++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, how, kd, 1.0f, c, kd,
                v + xi * vstride, how, 0.0f, y + xi * ystride, how);
}

void sym_student_combine_backward(const symclone_student *s, const float *c, size_t kc,
                                  const float *v, size_t nx, const float *e, float *dc,
                                  float *dv) {
  int m = (int)(kc * (size_t)s->out_n), kd = s->in_n * s->nblocks, how = (int)s->out_hw;
  size_t vstride = (size_t)kd * s->out_hw, estride = (size_t)m * s->out_hw;
  for (size_t xi = 0; xi < nx; xi++) {
    if (dc)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kd, how, 1.0f, e + xi * estride, how,
                  v + xi * vstride, how, 1.0f, dc, kd);
    if (dv)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kd, how, m, 1.0f, c, kd,
                  e + xi * estride, how, 0.0f, dv + xi * vstride, how);
  }
}

void sym_student_project_backward(const symclone_student *s, const float *x, size_t nx,
                                  const float *dv, float *dblocks) {
  int rows = (int)(nx * (size_t)s->in_n);
  int cols = (int)((size_t)s->nblocks * s->out_hw);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols, (int)s->in_hw, rows, 1.0f, dv, cols,
              x, (int)s->in_hw, 1.0f, dblocks, (int)s->in_hw);
}

void sym_student_coeffs_backward(const symclone_student *s, const float *theta, const float *phi,
                                 size_t kc, const float *dc, float *dparams, float *dtheta,
                                 float *dphi) {
  int rows = (int)(kc * (size_t)s->tcount), pc = s->pc, p = s->p, tc = s->tcount;
  /* dA (B x Pc) += dC^T (B x rows) Phi (rows x Pc) */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s->nblocks, pc, rows, 1.0f, dc, s->nblocks,
              phi, pc, 1.0f, dparams + s->off_coeffs, pc);
  if (s->tcount == s->tfirst && !dtheta) return;
  /* dPhi (rows x Pc) = dC (rows x B) A (B x Pc) */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, pc, s->nblocks, 1.0f, dc,
              s->nblocks, sym_st_coeffs(s), pc, 0.0f, dphi, pc);
  const float *t = sym_st_trans(s);
  for (int ti = 0; ti < tc; ti++) {
    const float *dp_t = dphi + (size_t)ti * pc; /* K x Pc, ld tc*pc */
    if (ti < s->tfirst) {
      if (dtheta)
        for (size_t k = 0; k < kc; k++)
          for (int q = 0; q < pc; q++) dtheta[k * p + q] += dp_t[k * (size_t)tc * pc + q];
      continue;
    }
    size_t toff = (size_t)(ti - s->tfirst) * sym_st_trans_size(s);
    /* dT_t (Pc x P) += dPhi_t^T (Pc x K) Theta (K x P) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, pc, p, (int)kc, 1.0f, dp_t, tc * pc,
                theta, p, 1.0f, dparams + s->off_trans + toff, p);
    if (dtheta) /* dTheta (K x P) += dPhi_t (K x Pc) T_t (Pc x P) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)kc, p, pc, 1.0f, dp_t, tc * pc,
                  t + toff, p, 1.0f, dtheta, p);
  }
}

/* ---- the trainer's sample-minor layout (student_priv.h) ------------------ */

void sym_student_project_t(const symclone_student *s, const float *x, size_t nx, float *vt) {
  int rows = (int)((size_t)s->nblocks * s->rows);
  size_t vs = (size_t)rows * nx;
  for (int si = 0; si < s->in_n; si++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, (int)nx, (int)s->in_hw, 1.0f,
                sym_st_blocks(s), (int)s->in_hw, x + (size_t)si * s->in_hw, (int)s->in_size, 0.0f,
                vt + (size_t)si * vs, (int)nx);
}

void sym_student_project_backward_t(const symclone_student *s, const float *x, size_t nx,
                                    const float *dvt, float beta, float *dblocks) {
  int rows = (int)((size_t)s->nblocks * s->rows);
  size_t vs = (size_t)rows * nx;
  for (int si = 0; si < s->in_n; si++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)s->in_hw, (int)nx, 1.0f,
                dvt + (size_t)si * vs, (int)nx, x + (size_t)si * s->in_hw, (int)s->in_size,
                si ? 1.0f : beta, dblocks, (int)s->in_hw);
}

