/* The product kernel on a pool, a task of rows at a time (kernels.h). */
#include "kernels.h"

typedef struct prod_pool_job {
  const sym_kernels *kern;
  const float *a, *b;
  float *out;
  size_t lda, ldb, ldo, m, n, K;
} prod_pool_job;

static void prod_pool_task(void *ctx, size_t t) {
  const prod_pool_job *j = ctx;
  size_t r0 = t * SYM_PROD_TASK_ROWS;
  size_t rb = j->m - r0 < SYM_PROD_TASK_ROWS ? j->m - r0 : SYM_PROD_TASK_ROWS;
  j->kern->prod(j->a + r0 * j->lda, j->lda, j->b, j->ldb, j->out + r0 * j->ldo, j->ldo, rb, j->n,
                j->K);
}

void sym_prod_pool(sym_pool *pool, const float *a, size_t lda, const float *b, size_t ldb,
                   float *out, size_t ldo, size_t m, size_t n, size_t K) {
  prod_pool_job j = {sym_kernels_get(), a, b, out, lda, ldb, ldo, m, n, K};
  sym_pool_run(pool, (m + SYM_PROD_TASK_ROWS - 1) / SYM_PROD_TASK_ROWS, prod_pool_task, &j);
}
