/* The cross and error passes over long rows, in pieces of CROSS_COLS
 * columns (passes.h): dC = E V^T with the sum of squares of E, and the
 * sampling step's error formed a piece at a time so that it never goes to
 * memory. */
#include "passes.h"

/* Columns per piece: the piece's rows of v stay in the first- or
 * second-level cache while the rows of e go by. */
#define CROSS_COLS ((size_t)1024)

size_t sym_pass_cross_tasks(size_t len) { return len / CROSS_COLS + (len % CROSS_COLS != 0); }

size_t sym_pass_error_floats(size_t m) { return m * CROSS_COLS; }

/* out[r][b] = cross of row r of e (m rows of n floats, stride lde) with
 * row b of v (kv rows, stride ldv); returns the sum of squares of e, taken
 * row by row while the row is in cache. */
static double cross_rows(const sym_kernels *kern, const float *e, size_t lde, const float *v,
                         size_t ldv, size_t m, size_t kv, size_t n, double *out) {
  double sq = 0.0;
  for (size_t r = 0; r < m; r++) {
    const float *er = e + r * lde;
    for (size_t b = 0; b < kv; b += SYM_CROSS_BLOCK) {
      size_t nb = kv - b < SYM_CROSS_BLOCK ? kv - b : SYM_CROSS_BLOCK;
      kern->cross(er, v + b * ldv, ldv, nb, n, out + r * kv + b);
    }
    sq += kern->sumsq(er, n);
  }
  return sq;
}

/* out[r][b] = alpha times the ordered sum of the tasks' partials, which
 * hold m * kv cross sums and then the sum of squares of e; returns that
 * sum of squares. */
static double cross_reduce(const double *partial, size_t tasks, size_t m, size_t kv, float alpha,
                           float *out) {
  size_t stride = m * kv + 1;
  for (size_t r = 0; r < m; r++)
    for (size_t b = 0; b < kv; b++)
      out[r * kv + b] = (float)(alpha * sym_ordered_sum(partial + r * kv + b, tasks, stride));
  return sym_ordered_sum(partial + stride - 1, tasks, stride);
}

typedef struct cross_job {
  const sym_kernels *kern;
  const float *a, *e, *v, *ct; /* e: the cross pass's rows; a, ct: the error pass */
  size_t kaug, m, kv, len;
  float *scratch, *dv;
  double *partial;
} cross_job;

static size_t piece_cols(const cross_job *j, size_t t) {
  size_t a = t * CROSS_COLS;
  return j->len - a < CROSS_COLS ? j->len - a : CROSS_COLS;
}

static void cross_task(void *ctx, size_t t) {
  const cross_job *j = ctx;
  size_t a = t * CROSS_COLS, n = piece_cols(j, t), stride = j->m * j->kv + 1;
  double *out = j->partial + t * stride;
  out[stride - 1] = cross_rows(j->kern, j->e + a, j->len, j->v + a, j->len, j->m, j->kv, n, out);
}

double sym_pass_cross(sym_pool *pool, double *partial, const float *e, size_t m, const float *v,
                      size_t kv, size_t len, float alpha, float *out) {
  cross_job j = {.kern = sym_kernels_get(), .e = e, .v = v, .m = m, .kv = kv, .len = len,
                 .partial = partial};
  size_t tasks = sym_pass_cross_tasks(len);
  sym_pool_run(pool, tasks, cross_task, &j);
  return cross_reduce(partial, tasks, m, kv, alpha, out);
}

/* One piece of columns: E's piece in the thread's scratch, then the cross
 * sums and E's sum of squares as cross_task takes them, then dV's piece. */
static void error_task(void *ctx, size_t t, int worker) {
  const cross_job *j = ctx;
  size_t a = t * CROSS_COLS, n = piece_cols(j, t), stride = j->m * j->kv + 1;
  float *e = j->scratch + (size_t)worker * j->m * CROSS_COLS;
  j->kern->prod(j->a, j->kaug, j->v + a, j->len, e, n, j->m, n, j->kaug);
  double *out = j->partial + t * stride;
  out[stride - 1] = cross_rows(j->kern, e, n, j->v + a, j->len, j->m, j->kv, n, out);
  j->kern->prod(j->ct, j->m, e, n, j->dv + a, j->len, j->kv, n, j->m);
}

double sym_pass_error(sym_pool *pool, double *partial, const float *a, size_t kaug,
                      const float *vc, size_t m, size_t kv, size_t len, const float *ct,
                      float alpha, float *scratch, float *dc, float *dv) {
  cross_job j = {.kern = sym_kernels_get(), .a = a, .v = vc, .ct = ct, .kaug = kaug, .m = m,
                 .kv = kv, .len = len, .scratch = scratch, .dv = dv, .partial = partial};
  size_t tasks = sym_pass_cross_tasks(len);
  sym_pool_run_workers(pool, tasks, error_task, &j);
  return cross_reduce(partial, tasks, m, kv, alpha, dc);
}
