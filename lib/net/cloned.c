/* The cloned convolution layer: a student reused for every channel pair,
 * its blocks applied once to every input channel and orientation of the
 * batch, the channel pairs combined by one GEMM per sample. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "../kernels/kernels.h"
#include "net_priv.h"

static int project_by_kernel(const sym_net_layer *L, size_t batch);
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
  sym_free(L->wt);
  L->params = L->grad = L->m = L->v = L->cloned = L->phi = L->c = L->cbig = L->vcache = NULL;
  L->wt = NULL;
}

/* The backward pass's scratch, in this order: the per-sample bias sums
 * (doubles, first so that they are aligned), dV, dCbig, dC, dPhi, then,
 * where the product kernel runs the per-sample products, their partials
 * of dCbig^T (batch x kd x m), Cbig^T and one transposed error per thread
 * (out_hw x m). */
typedef struct cl_scratch {
  double *dbias;
  float *dv, *dcbig, *dc, *dphi, *part, *cbigt, *et;
} cl_scratch;

static size_t nc_of(const sym_net_layer *L) { return (size_t)m_of(L) * kd_of(L); }
static size_t nphi_of(const sym_net_layer *L) {
  return (size_t)L->cout * L->cin * L->st.tcount * L->st.pc;
}

size_t sym_net_cloned_scratch(const sym_net_layer *L, size_t batch, int threads) {
  size_t nc = nc_of(L), m = (size_t)m_of(L), how = L->st.out_hw, a, b, c, total;
  if (sym_mul_size(batch, vsize(L), &a) || sym_mul3_size(batch, (size_t)kd_of(L), m, &b) ||
      sym_mul3_size((size_t)threads, how, m, &c) ||
      sym_add_size(2 * batch * (size_t)L->cout + a + 3 * nc + nphi_of(L), b + c, &total))
    return 0;
  return total;
}

static cl_scratch split_scratch(const sym_net_layer *L, size_t batch, float *f) {
  cl_scratch w;
  size_t nc = nc_of(L);
  w.dbias = (double *)(void *)f;
  w.dv = f + 2 * batch * (size_t)L->cout;
  w.dcbig = w.dv + batch * vsize(L);
  w.dc = w.dcbig + nc;
  w.dphi = w.dc + nc;
  w.part = w.dphi + nphi_of(L);
  w.cbigt = w.part + batch * nc;
  w.et = w.cbigt + nc;
  return w;
}

symclone_status sym_net_cloned_reserve(symclone_net *net, sym_net_layer *L, size_t batch) {
  if (!L->wt && sym_kernels_get()->prod_fast && project_by_kernel(L, batch)) {
    L->wt = sym_malloc_array((size_t)L->st.nblocks * L->st.out_hw, L->st.in_hw * sizeof(float));
    if (!L->wt) return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate the blocks' transpose");
    L->wt_valid = 0;
  }
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

/* The per-sample products of one batch on the pool: each task is one
 * sample, and what is summed over samples is kept per sample and added in
 * sample order, so that any number of threads gives the same bits. */
typedef struct cl_job {
  const sym_net_layer *L;
  const sym_kernels *kern;
  const float *dy;
  float *y;
  cl_scratch w;
  int want_dc, want_dv;
} cl_job;

static void forward_task(void *ctx, size_t xi) {
  const cl_job *j = ctx;
  const sym_net_layer *L = j->L;
  size_t m = (size_t)m_of(L), kd = (size_t)kd_of(L), how = L->st.out_hw;
  size_t plane = (size_t)L->st.out_n * how;
  float *yx = j->y + xi * m * how;
  /* Y_x = Cbig V_x, then the bias */
  j->kern->prod(L->cbig, kd, L->vcache + xi * vsize(L), how, yx, how, m, how, kd);
  const float *bias = L->params + L->ntheta;
  for (int o = 0; o < L->cout; o++) {
    float *row = yx + (size_t)o * plane;
    for (size_t t = 0; t < plane; t++) row[t] += bias[o];
  }
}

static void backward_task(void *ctx, size_t xi, int worker) {
  const cl_job *j = ctx;
  const sym_net_layer *L = j->L;
  size_t m = (size_t)m_of(L), kd = (size_t)kd_of(L), how = L->st.out_hw;
  size_t plane = (size_t)L->st.out_n * how;
  const float *e = j->dy + xi * m * how;
  for (int o = 0; o < L->cout; o++) {
    double acc = 0;
    for (size_t t = 0; t < plane; t++) acc += e[(size_t)o * plane + t];
    j->w.dbias[xi * (size_t)L->cout + (size_t)o] = acc;
  }
  if (j->want_dc) {
    /* dCbig_x^T (kd x m) = V_x E_x^T */
    float *et = j->w.et + (size_t)worker * how * m;
    sym_transpose(e, how, m, how, et, m);
    j->kern->prod(L->vcache + xi * vsize(L), how, et, m, j->w.part + xi * kd * m, m, kd, m, how);
  }
  if (j->want_dv) /* dV_x (kd x how) = Cbig^T E_x */
    j->kern->prod(j->w.cbigt, m, e, how, j->w.dv + xi * vsize(L), how, kd, how, m);
}

/* V = X W^T and dX = dV W by the product kernel on the pool
 * (sym_prod_pool).  For V the b operand is W^T (in_hw x B out_hw), the
 * blocks transposed, which the layer keeps while they do not change. */
#define PROJECT_MAX_IN 1024
#define TRANSPOSE_ROWS 32
/* W^T from W (B out_hw rows of in_hw), TRANSPOSE_ROWS rows of W a task. */
typedef struct transpose_job {
  const float *w;
  float *wt;
  size_t rows, in_hw;
} transpose_job;

static void transpose_task(void *ctx, size_t t) {
  const transpose_job *j = ctx;
  size_t r0 = t * TRANSPOSE_ROWS, n = j->rows - r0 < TRANSPOSE_ROWS ? j->rows - r0 : TRANSPOSE_ROWS;
  sym_transpose(j->w + r0 * j->in_hw, j->in_hw, n, j->in_hw, j->wt + r0, j->rows);
}

/* Whether the product kernel does V = X W^T: where the b panel of W^T
 * (in_hw x 32 floats) stays in the second-level cache and there are rows
 * enough to use it; otherwise (a layer on a large grid, a small batch of
 * one field) the BLAS.  The transpose W^T is made when the blocks have
 * changed (wt_valid): once for a layer in retain mode, every step in break
 * mode. */
static int project_by_kernel(const sym_net_layer *L, size_t batch) {
  return L->st.in_hw <= PROJECT_MAX_IN && batch * (size_t)L->cin * L->st.in_n >= 64;
}

static void project(sym_net_layer *L, sym_pool *pool, const float *x, size_t batch) {
  const symclone_student *s = &L->st;
  size_t cols = (size_t)s->nblocks * s->out_hw;
  if (!L->wt_valid) { /* the blocks changed (break mode's update, set_params) */
    transpose_job t = {sym_st_blocks(s), L->wt, cols, s->in_hw};
    sym_pool_run(pool, (cols + TRANSPOSE_ROWS - 1) / TRANSPOSE_ROWS, transpose_task, &t);
    L->wt_valid = 1;
  }
  sym_prod_pool(pool, x, s->in_hw, L->wt, cols, L->vcache, cols, batch * (size_t)L->cin * s->in_n,
                cols, s->in_hw);
}

/* dCbig[r][c] = sum over samples, in sample order, of the partials [c][r];
 * task t takes the columns c of one run. */
#define DC_RUN 64
typedef struct dc_job {
  const float *part;
  float *dcbig;
  size_t batch, kd, m;
} dc_job;

static void dc_task(void *ctx, size_t t) {
  const dc_job *j = ctx;
  size_t c0 = t * DC_RUN, c1 = c0 + DC_RUN < j->kd ? c0 + DC_RUN : j->kd, stride = j->kd * j->m;
  for (size_t c = c0; c < c1; c++)
    for (size_t r = 0; r < j->m; r++) {
      const float *p = j->part + c * j->m + r;
      float acc = p[0];
      for (size_t x = 1; x < j->batch; x++) acc += p[x * stride];
      j->dcbig[r * j->kd + c] = acc;
    }
}

void sym_net_cloned_forward(sym_net_layer *L, sym_pool *pool, size_t batch, const float *x,
                            float *y) {
  const symclone_student *s = &L->st;
  size_t pairs = (size_t)L->cout * L->cin;
  int m = m_of(L), kd = kd_of(L), how = (int)s->out_hw;
  sym_student_phi(s, L->params, pairs, L->phi);
  sym_student_coeffs(s, L->phi, pairs, L->c);
  reorder(L, L->c, L->cbig, 0);
  const sym_kernels *kern = sym_kernels_get();
  if (kern->prod_fast) {
    if (L->wt && project_by_kernel(L, batch))
      project(L, pool, x, batch);
    else
      sym_student_project(s, x, batch * (size_t)L->cin, L->vcache);
    cl_job j = {.L = L, .kern = kern, .y = y};
    sym_pool_run(pool, batch, forward_task, &j);
    return;
  }
  /* without vector code for the product kernel, the BLAS does the products */
  sym_student_project(s, x, batch * (size_t)L->cin, L->vcache);
  const float *bias = L->params + L->ntheta;
  size_t ystride = (size_t)m * s->out_hw;
  for (size_t xi = 0; xi < batch; xi++) {
    float *yx = y + xi * ystride;
    for (int o = 0; o < L->cout; o++) {
      float *row = yx + (size_t)o * s->out_n * s->out_hw;
      for (size_t t = 0; t < (size_t)s->out_n * s->out_hw; t++) row[t] = bias[o];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, how, kd, 1.0f, L->cbig, kd,
                L->vcache + xi * vsize(L), how, 1.0f, yx, how);
  }
}

void sym_net_cloned_backward(sym_net_layer *L, sym_pool *pool, size_t batch, const float *x,
                             const float *dy, float *dx, int student_grads, float *scratch) {
  const symclone_student *s = &L->st;
  size_t pairs = (size_t)L->cout * L->cin;
  int m = m_of(L), kd = kd_of(L), how = (int)s->out_hw;
  size_t nc = (size_t)m * kd, ystride = (size_t)m * s->out_hw;
  cl_scratch w = split_scratch(L, batch, scratch);
  float *dtheta = L->grad, *dbias = L->grad + L->ntheta, *dstudent = dbias + L->cout;
  int want_dv = dx || student_grads;
  const sym_kernels *kern = sym_kernels_get();
  if (kern->prod_fast) {
    if (want_dv) sym_transpose(L->cbig, (size_t)kd, (size_t)m, (size_t)kd, w.cbigt, (size_t)m);
    cl_job j = {.L = L, .kern = kern, .dy = dy, .w = w, .want_dc = 1, .want_dv = want_dv};
    sym_pool_run_workers(pool, batch, backward_task, &j);
    dc_job d = {w.part, w.dcbig, batch, (size_t)kd, (size_t)m};
    sym_pool_run(pool, ((size_t)kd + DC_RUN - 1) / DC_RUN, dc_task, &d);
    for (int o = 0; o < L->cout; o++) {
      double acc = 0;
      for (size_t xi = 0; xi < batch; xi++) acc += w.dbias[xi * (size_t)L->cout + (size_t)o];
      dbias[o] += (float)acc;
    }
  } else {
    memset(w.dcbig, 0, nc * sizeof(float));
    size_t plane = (size_t)s->out_n * s->out_hw;
    for (size_t xi = 0; xi < batch; xi++) {
      const float *e = dy + xi * ystride;
      for (int o = 0; o < L->cout; o++) {
        double acc = 0;
        for (size_t t = 0; t < plane; t++) acc += e[(size_t)o * plane + t];
        dbias[o] += (float)acc;
      }
      const float *vx = L->vcache + xi * vsize(L);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kd, how, 1.0f, e, how, vx, how,
                  1.0f, w.dcbig, kd);
      if (want_dv)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kd, how, m, 1.0f, L->cbig, kd, e,
                    how, 0.0f, w.dv + xi * vsize(L), how);
    }
  }
  int rows = (int)(batch * (size_t)L->cin * s->in_n);
  int cols = (int)((size_t)s->nblocks * s->out_hw);
  if (dx && kern->prod_fast) { /* dX (rows x in_hw) = dV (rows x B*out_hw) W (B*out_hw x in_hw) */
    sym_prod_pool(pool, w.dv, (size_t)cols, sym_st_blocks(s), s->in_hw, dx, s->in_hw,
                  (size_t)rows, s->in_hw, (size_t)cols);
  } else if (dx) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)s->in_hw, cols, 1.0f, w.dv,
                cols, s->params, (int)s->in_hw, 0.0f, dx, (int)s->in_hw);
  }
  if (student_grads) sym_student_project_backward(s, x, batch * (size_t)L->cin, w.dv, dstudent);
  reorder(L, w.dc, w.dcbig, 1);
  sym_student_coeffs_backward(s, L->params, L->phi, pairs, w.dc, dstudent, dtheta, w.dphi);
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
