/* The product of short inner dimension (kernels.h), and AdamW fed by it a
 * few rows at a time in cache (passes.h). */
#include "passes.h"

#define PROD_ROWS 6

void sym_pass_prod(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                   size_t ldo, size_t m, size_t n, size_t K) {
  sym_kernels_get()->prod(a, lda, b, ldb, out, ldo, m, n, K);
}

int sym_pass_prod_fast(void) { return sym_kernels_get()->prod_fast; }

int sym_pass_isa(void) { return sym_kernels_get()->isa; }

/* Tasks of rows whose gradient (rows x n floats) fills about this many
 * bytes of the thread's scratch, in the second-level cache; a multiple of
 * the product kernel's PROD_ROWS rows. */
#define PROD_TASK_BYTES ((size_t)96 * 1024)

size_t sym_pass_prod_rows(size_t n) {
  size_t r = PROD_TASK_BYTES / (n ? n * sizeof(float) : 1);
  r -= r % PROD_ROWS;
  return r ? r : PROD_ROWS;
}

typedef struct prod_job {
  const sym_kernels *kern;
  const float *a, *b;
  size_t lda, ldb, m, n, K, rpt;
  float *p, *mo, *v, *scratch;
  const sym_adam_consts *k;
  double *partial;
} prod_job;

static void prod_adamw_task(void *ctx, size_t t, int worker) {
  prod_job *j = ctx;
  size_t r0 = t * j->rpt, rb = j->m - r0 < j->rpt ? j->m - r0 : j->rpt;
  float *g = j->scratch + (size_t)worker * j->rpt * j->n;
  j->kern->prod(j->a + r0 * j->lda, j->lda, j->b, j->ldb, g, j->n, rb, j->n, j->K);
  size_t at = r0 * j->n;
  j->partial[t] = (double)j->kern->adamw(j->p + at, g, j->mo + at, j->v + at, rb * j->n, j->k);
}

size_t sym_pass_prod_adamw(sym_pool *pool, double *partial, const float *a, size_t lda,
                           const float *b, size_t ldb, size_t m, size_t n, size_t K,
                           float *scratch, float *p, float *mo, float *v,
                           const sym_adam_consts *k) {
  size_t rpt = sym_pass_prod_rows(n), tasks = m / rpt + (m % rpt != 0);
  prod_job j = {sym_kernels_get(), a, b, lda, ldb, m, n, K, rpt, p, mo, v, scratch, k, partial};
  sym_pool_run_workers(pool, tasks, prod_adamw_task, &j);
  return (size_t)sym_ordered_sum(partial, tasks, 1);
}
