/* The closed-form best relative loss of B blocks (student.h,
 * symclone_student_best_loss), with a symmetric Jacobi eigensolver.
 *
 * Every sub-operator of the teacher family (output orientation r, input
 * orientation s, theta = e_p) is the planar convolution K(kappa_pt) of a
 * planar kernel kappa_pt (sym_student_exact_kernels), and every
 * sub-operator of a student lies in the span of its B blocks, with
 * coefficients that may be any linear function of theta (A T_t).  The
 * relative loss is
 *   sum_{p,t} ||M_t(e_p) - K(kappa_pt)||_F^2 / sum_{p,t} ||K(kappa_pt)||_F^2,
 * so the best B blocks span the top-B principal subspace of the operators
 * K(kappa_pt), and the best loss is the sum of all but the B largest
 * eigenvalues of their second moment over its trace.  Those eigenvalues
 * are the ones of the Pc x Pc matrix C^1/2 G C^1/2, where
 * C = sum_{p,t} kappa_pt kappa_pt^T and G is the Gram matrix of the planar
 * unit-kernel operators, G_qq' = <K(e_q), K(e_q')>_F.  For a planar
 * student C = I: the eigenvalues of the P x P Gram matrix. */
#include <math.h>
#include <string.h>

#include "student_priv.h"

int sym_student_jacobi(double *a, int n, double *w, double *v) {
  size_t N = (size_t)n;
  if (v) {
    memset(v, 0, N * N * sizeof *v);
    for (size_t i = 0; i < N; i++) v[i * N + i] = 1.0;
  }
  double total = 0.0;
  for (size_t i = 0; i < N * N; i++) total += a[i] * a[i];
  int rc = -1;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0.0;
    for (size_t p = 0; p < N; p++)
      for (size_t q = p + 1; q < N; q++) off += a[p * N + q] * a[p * N + q];
    if (off <= 1e-32 * total || off == 0.0) {
      rc = 0;
      break;
    }
    for (size_t p = 0; p < N; p++)
      for (size_t q = p + 1; q < N; q++) {
        double apq = a[p * N + q];
        if (apq == 0.0) continue;
        double theta = (a[q * N + q] - a[p * N + p]) / (2.0 * apq);
        double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
        double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
        for (size_t k = 0; k < N; k++) { /* columns p, q */
          double akp = a[k * N + p], akq = a[k * N + q];
          a[k * N + p] = c * akp - s * akq;
          a[k * N + q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < N; k++) { /* rows p, q */
          double apk = a[p * N + k], aqk = a[q * N + k];
          a[p * N + k] = c * apk - s * aqk;
          a[q * N + k] = s * apk + c * aqk;
        }
        a[p * N + q] = a[q * N + p] = 0.0;
        if (v)
          for (size_t k = 0; k < N; k++) {
            double vkp = v[k * N + p], vkq = v[k * N + q];
            v[k * N + p] = c * vkp - s * vkq;
            v[k * N + q] = s * vkp + c * vkq;
          }
      }
  }
  for (size_t i = 0; i < N; i++) w[i] = a[i * N + i];
  /* ascending, eigenvectors alongside */
  for (size_t i = 1; i < N; i++)
    for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
      double t = w[j - 1];
      w[j - 1] = w[j];
      w[j] = t;
      if (v)
        for (size_t k = 0; k < N; k++) {
          double u = v[k * N + j - 1];
          v[k * N + j - 1] = v[k * N + j];
          v[k * N + j] = u;
        }
    }
  return rc;
}

/* G[pc][pc]: the Gram matrix of the unrolled planar unit kernels, from
 * their non-zero entries (each a list in row-major order). */
static symclone_status planar_gram(const symclone_student *s, double *G) {
  symclone_layer *conv;
  symclone_status st = symclone_layer_create_conv2d(&conv, 1, 1, s->k, s->h, s->w, s->pad, 0);
  if (st) return st;
  size_t pc = (size_t)s->pc, cells = s->out_hw * s->in_hw;
  float *m = sym_malloc_array(cells, sizeof *m), *e = sym_calloc(pc, sizeof *e);
  size_t *start = sym_calloc(pc + 1, sizeof *start), cap = 0, used = 0;
  size_t *where = NULL;
  float *val = NULL;
  if (!m || !e || !start) st = SYMCLONE_ERR_NOMEM;
  for (size_t q = 0; q < pc && !st; q++) {
    memset(e, 0, pc * sizeof *e);
    e[q] = 1.0f;
    if ((st = symclone_layer_unroll(conv, e, m))) break;
    for (size_t j = 0; j < cells && !st; j++) {
      if (m[j] == 0.0f) continue;
      if (used == cap) {
        size_t ncap = cap ? 2 * cap : 4 * s->out_hw + 16;
        size_t *nw = sym_malloc_array(ncap, sizeof *nw);
        float *nv = sym_malloc_array(ncap, sizeof *nv);
        if (!nw || !nv) {
          sym_free(nw);
          sym_free(nv);
          st = SYMCLONE_ERR_NOMEM;
          break;
        }
        if (used) {
          memcpy(nw, where, used * sizeof *nw);
          memcpy(nv, val, used * sizeof *nv);
        }
        sym_free(where);
        sym_free(val);
        where = nw, val = nv, cap = ncap;
      }
      where[used] = j;
      val[used++] = m[j];
    }
    start[q + 1] = used;
  }
  for (size_t a = 0; a < pc && !st; a++)
    for (size_t b = a; b < pc; b++) {
      double d = 0.0;
      size_t i = start[a], j = start[b];
      while (i < start[a + 1] && j < start[b + 1]) {
        if (where[i] < where[j])
          i++;
        else if (where[i] > where[j])
          j++;
        else
          d += (double)val[i++] * val[j++];
      }
      G[a * pc + b] = G[b * pc + a] = d;
    }
  sym_free(m);
  sym_free(e);
  sym_free(start);
  sym_free(where);
  sym_free(val);
  symclone_layer_free(conv);
  return st;
}

symclone_status symclone_student_best_loss(const symclone_student *s, double *loss) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!loss) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "loss is NULL");
  if (s->pc > 1024)
    return sym_fail(&s->err, SYMCLONE_ERR_KERNEL, "kernel %d: the closed form takes k*k <= 1024",
                    s->k);
  size_t pc = (size_t)s->pc, P = (size_t)s->p, tc = (size_t)s->tcount;
  float *kappa = sym_malloc_array(P * tc * pc, sizeof *kappa);
  double *buf = sym_malloc_array(6 * pc * pc + 2 * pc, sizeof *buf);
  if (!kappa || !buf) {
    sym_free(kappa);
    sym_free(buf);
    return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate the closed form's scratch");
  }
  double *C = buf, *G = C + pc * pc, *Q = G + pc * pc, *S = Q + pc * pc, *T = S + pc * pc,
         *M = T + pc * pc, *lam = M + pc * pc, *mu = lam + pc;
  symclone_status st = sym_student_exact_kernels(s, kappa);
  if (!st) st = planar_gram(s, G);
  if (st) {
    sym_free(kappa);
    sym_free(buf);
    return sym_fail(&s->err, st, "cannot form the teacher's kernels and Gram matrix");
  }
  memset(C, 0, pc * pc * sizeof *C);
  for (size_t pt = 0; pt < P * tc; pt++) {
    const float *kv = kappa + pt * pc;
    for (size_t a = 0; a < pc; a++) {
      if (kv[a] == 0.0f) continue;
      for (size_t b = 0; b < pc; b++) C[a * pc + b] += (double)kv[a] * kv[b];
    }
  }
  /* S = C^1/2 = Q diag(sqrt(lam)) Q^T, then M = S G S */
  int bad = sym_student_jacobi(C, (int)pc, lam, Q);
  for (size_t a = 0; a < pc; a++)
    for (size_t b = 0; b < pc; b++) {
      double d = 0.0;
      for (size_t j = 0; j < pc; j++) d += Q[a * pc + j] * sqrt(fmax(lam[j], 0.0)) * Q[b * pc + j];
      S[a * pc + b] = d;
    }
  for (size_t a = 0; a < pc; a++)
    for (size_t b = 0; b < pc; b++) {
      double d = 0.0;
      for (size_t j = 0; j < pc; j++) d += S[a * pc + j] * G[j * pc + b];
      T[a * pc + b] = d;
    }
  for (size_t a = 0; a < pc; a++)
    for (size_t b = 0; b < pc; b++) {
      double d = 0.0;
      for (size_t j = 0; j < pc; j++) d += T[a * pc + j] * S[j * pc + b];
      M[a * pc + b] = d;
    }
  for (size_t a = 0; a < pc; a++) /* symmetric up to rounding: make it exactly so */
    for (size_t b = a + 1; b < pc; b++) M[a * pc + b] = M[b * pc + a] = 0.5 * (M[a * pc + b] + M[b * pc + a]);
  bad |= sym_student_jacobi(M, (int)pc, mu, NULL);
  double num = 0.0, den = 0.0;
  size_t drop = (size_t)s->nblocks < pc ? pc - (size_t)s->nblocks : 0;
  for (size_t j = 0; j < pc; j++) {
    double m = fmax(mu[j], 0.0);
    den += m;
    if (j < drop) num += m;
  }
  sym_free(kappa);
  sym_free(buf);
  if (bad)
    return sym_fail(&s->err, SYMCLONE_ERR_STATE, "the eigensolver did not converge");
  *loss = den > 0 ? num / den : 0.0;
  return SYMCLONE_OK;
}
