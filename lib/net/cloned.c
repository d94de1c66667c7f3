/* The cloned convolution layer: a student reused for every channel pair,
 * its blocks applied once to every input channel and orientation of the
 * batch, the channel pairs combined by one GEMM per sample. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "net_priv.h"

static int kd_of(const sym_net_layer *L) { return L->cin * L->st.in_n * L->st.nblocks; }
static int m_of(const sym_net_layer *L) { return L->cout * L->st.out_n; }
static size_t vsize(const sym_net_layer *L) { return (size_t)kd_of(L) * L->st.out_hw; }

symclone_status sym_net_cloned_init(symclone_net *net, sym_net_layer *L,
                                    const symclone_student *student, int cin, int cout, int mode,
                                    double beta) {
  const symclone_student *s = student;
  size_t pairs = (size_t)cout * cin, ntheta, nphi, nc, total;
  if (sym_mul_size(pairs, (size_t)s->p, &ntheta) ||
      sym_mul3_size(pairs, (size_t)s->tcount, (size_t)s->pc, &nphi) ||
      sym_mul3_size(pairs, (size_t)s->tcount, (size_t)s->nblocks, &nc) ||
      sym_add_size(ntheta + cout, s->nparams, &total) || pairs > (size_t)INT32_MAX / 64 ||
      (size_t)cout * s->out_n * (size_t)cin * s->in_n * s->nblocks > (size_t)INT32_MAX)
    return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "cloned layer %d x %d overflows", cout, cin);
  memcpy(&L->st, s, sizeof L->st);
  sym_err_init(&L->st.err);
  L->kind = SYMCLONE_LAYER_CLONED;
  L->cin = cin;
  L->cout = cout;
  L->mode = mode;
  L->beta = beta;
  L->ntheta = ntheta;
  L->nstudent = s->nparams;
  L->nparams = total;
  L->nweights = ntheta;
  L->ntrain = mode == SYMCLONE_CLONE_BREAK ? total : ntheta + (size_t)cout;
  L->params = sym_calloc(total, sizeof(float));
  L->grad = sym_calloc(total, sizeof(float));
  L->m = sym_calloc(total, sizeof(float));
  L->v = sym_calloc(total, sizeof(float));
  L->cloned = sym_malloc_array(s->nparams, sizeof(float));
  L->phi = sym_malloc_array(nphi, sizeof(float));
  L->c = sym_malloc_array(nc, sizeof(float));
  L->cbig = sym_malloc_array(nc, sizeof(float));
  if (!L->params || !L->grad || !L->m || !L->v || !L->cloned || !L->phi || !L->c || !L->cbig) {
    sym_net_cloned_free(L);
    return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate the cloned layer");
  }
  L->st.params = L->params + ntheta + cout;
  memcpy(L->st.params, s->params, s->nparams * sizeof(float));
  memcpy(L->cloned, s->params, s->nparams * sizeof(float));
  return SYMCLONE_OK;
}

void sym_net_cloned_free(sym_net_layer *L) {
  sym_free(L->params);
  sym_free(L->grad);
  sym_free(L->m);
  sym_free(L->v);
  sym_free(L->cloned);
  sym_free(L->phi);
  sym_free(L->c);
  sym_free(L->cbig);
  sym_free(L->vcache);
  L->params = L->grad = L->m = L->v = L->cloned = L->phi = L->c = L->cbig = L->vcache = NULL;
}

size_t sym_net_cloned_scratch(const sym_net_layer *L, size_t batch) {
  size_t nc = (size_t)m_of(L) * kd_of(L);
  size_t nphi = (size_t)L->cout * L->cin * L->st.tcount * L->st.pc;
  return batch * vsize(L) + 2 * nc + nphi;
}

symclone_status sym_net_cloned_reserve(symclone_net *net, sym_net_layer *L, size_t batch) {
  if (L->vcap >= batch) return SYMCLONE_OK;
  size_t n;
  if (sym_mul_size(batch, vsize(L), &n))
    return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows", batch);
  float *v = sym_malloc_array(n, sizeof(float));
  if (!v) return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu floats", n);
  sym_free(L->vcache);
  L->vcache = v;
  L->vcap = batch;
  return SYMCLONE_OK;
}

/* C[o][i][r][s][b] -> Cbig[o][r][i][s][b] (or back with `back`). */
static void reorder(const sym_net_layer *L, float *c, float *cbig, int back) {
  int on = L->st.out_n, in_n = L->st.in_n, B = L->st.nblocks;
  size_t run = (size_t)in_n * B;
  for (int o = 0; o < L->cout; o++)
    for (int i = 0; i < L->cin; i++)
      for (int r = 0; r < on; r++) {
        float *a = c + (((size_t)o * L->cin + i) * on + r) * run;
        float *b = cbig + (((size_t)o * on + r) * L->cin + i) * run;
        if (back)
          memcpy(a, b, run * sizeof(float));
        else
          memcpy(b, a, run * sizeof(float));
      }
}

void sym_net_cloned_forward(sym_net_layer *L, size_t batch, const float *x, float *y) {
  const symclone_student *s = &L->st;
  size_t pairs = (size_t)L->cout * L->cin;
  int m = m_of(L), kd = kd_of(L), how = (int)s->out_hw;
  sym_student_phi(s, L->params, pairs, L->phi);
  sym_student_coeffs(s, L->phi, pairs, L->c);
  reorder(L, L->c, L->cbig, 0);
  sym_student_project(s, x, batch * (size_t)L->cin, L->vcache);
  const float *bias = L->params + L->ntheta;
  size_t ystride = (size_t)m * s->out_hw;
  for (size_t xi = 0; xi < batch; xi++) {
    float *yx = y + xi * ystride;
    for (int o = 0; o < L->cout; o++) {
      float *row = yx + (size_t)o * s->out_n * s->out_hw;
      for (size_t j = 0; j < (size_t)s->out_n * s->out_hw; j++) row[j] = bias[o];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, how, kd, 1.0f, L->cbig, kd,
                L->vcache + xi * vsize(L), how, 1.0f, yx, how);
  }
}

void sym_net_cloned_backward(sym_net_layer *L, size_t batch, const float *x, const float *dy,
                             float *dx, int student_grads, float *scratch) {
  const symclone_student *s = &L->st;
  size_t pairs = (size_t)L->cout * L->cin;
  int m = m_of(L), kd = kd_of(L), how = (int)s->out_hw;
  size_t nc = (size_t)m * kd, ystride = (size_t)m * s->out_hw;
  float *dv = scratch, *dcbig = dv + batch * vsize(L), *dc = dcbig + nc, *dphi = dc + nc;
  float *dtheta = L->grad, *dbias = L->grad + L->ntheta, *dstudent = dbias + L->cout;
  memset(dcbig, 0, nc * sizeof(float));
  size_t plane = (size_t)s->out_n * s->out_hw;
  for (size_t xi = 0; xi < batch; xi++) {
    const float *e = dy + xi * ystride;
    for (int o = 0; o < L->cout; o++) {
      double acc = 0;
      for (size_t j = 0; j < plane; j++) acc += e[(size_t)o * plane + j];
      dbias[o] += (float)acc;
    }
    const float *vx = L->vcache + xi * vsize(L);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kd, how, 1.0f, e, how, vx, how, 1.0f,
                dcbig, kd);
    if (dx || student_grads)
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kd, how, m, 1.0f, L->cbig, kd, e, how,
                  0.0f, dv + xi * vsize(L), how);
  }
  int rows = (int)(batch * (size_t)L->cin * s->in_n);
  int cols = (int)((size_t)s->nblocks * s->out_hw);
  if (dx) /* dX (rows x in_hw) = dV (rows x B*out_hw) W (B*out_hw x in_hw) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)s->in_hw, cols, 1.0f, dv,
                cols, s->params, (int)s->in_hw, 0.0f, dx, (int)s->in_hw);
  if (student_grads) sym_student_project_backward(s, x, batch * (size_t)L->cin, dv, dstudent);
  reorder(L, dc, dcbig, 1);
  sym_student_coeffs_backward(s, L->params, L->phi, pairs, dc, dstudent, dtheta, dphi);
}

double sym_net_cloned_penalty(sym_net_layer *L, int grads) {
  if (L->mode != SYMCLONE_CLONE_BREAK || L->beta <= 0) return 0.0;
  const float *p = L->st.params;
  float *g = L->grad + L->ntheta + L->cout;
  double acc = 0;
  for (size_t j = 0; j < L->nstudent; j++) {
    double d = (double)p[j] - (double)L->cloned[j];
    acc += d * d;
    if (grads) g[j] += (float)(2.0 * L->beta * d);
  }
  return L->beta * acc;
}
