/* The streaming passes: a sum of squares, the squared error, AdamW and SGD
 * over whole arrays, in pieces of SYM_PASS_CHUNK elements spread over the
 * pool (passes.h). */
#include "passes.h"

size_t sym_pass_tasks(size_t n) { return n / SYM_PASS_CHUNK + (n % SYM_PASS_CHUNK != 0); }

static size_t piece_len(size_t n, size_t t) {
  size_t a = t * SYM_PASS_CHUNK;
  return n - a < SYM_PASS_CHUNK ? n - a : SYM_PASS_CHUNK;
}

typedef struct stream_job {
  const sym_kernels *kern;
  float *p, *m, *v, *e;
  const float *g, *yt;
  size_t n;
  float scale;
  const sym_adam_consts *k;
  float mu, lr, wd, gs;
  double *partial;
} stream_job;

/* Runs task on every piece of the job's n elements; returns how many
 * pieces (partial results) there were. */
static size_t run_pieces(sym_pool *pool, stream_job *j, sym_task_fn task) {
  size_t tasks = sym_pass_tasks(j->n);
  sym_pool_run(pool, tasks, task, j);
  return tasks;
}

static void sumsq_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  j->partial[t] = j->kern->sumsq(j->g + t * SYM_PASS_CHUNK, piece_len(j->n, t));
}

double sym_pass_sumsq(sym_pool *pool, double *partial, const float *g, size_t n) {
  stream_job j = {.kern = sym_kernels_get(), .g = g, .n = n, .partial = partial};
  return sym_ordered_sum(partial, run_pieces(pool, &j, sumsq_task), 1);
}

static void sqerr_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[2 * t] = j->kern->sqerr(j->g + a, j->yt + a, j->e + a, piece_len(j->n, t), j->scale,
                                     &j->partial[2 * t + 1]);
}

double sym_pass_sqerr(sym_pool *pool, double *partial, const float *ys, const float *yt,
                      float *e, size_t n, float scale, double *label_power) {
  stream_job j = {.kern = sym_kernels_get(), .g = ys, .yt = yt, .e = e, .n = n, .scale = scale,
                  .partial = partial};
  size_t tasks = run_pieces(pool, &j, sqerr_task);
  *label_power = sym_ordered_sum(partial + 1, tasks, 2);
  return sym_ordered_sum(partial, tasks, 2);
}

static void adamw_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[t] =
      (double)j->kern->adamw(j->p + a, j->g + a, j->m + a, j->v + a, piece_len(j->n, t), j->k);
}

size_t sym_pass_adamw(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                      float *v, size_t n, const sym_adam_consts *k) {
  stream_job j = {.kern = sym_kernels_get(), .p = p, .g = g, .m = m, .v = v, .n = n, .k = k,
                  .partial = partial};
  return (size_t)sym_ordered_sum(partial, run_pieces(pool, &j, adamw_task), 1);
}

static void sgd_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[t] = (double)j->kern->sgd(j->p + a, j->g + a, j->m + a, piece_len(j->n, t), j->mu,
                                       j->lr, j->wd, j->gs);
}

size_t sym_pass_sgd(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                    size_t n, float mu, float lr, float wd, float gs) {
  stream_job j = {.kern = sym_kernels_get(), .p = p, .g = g, .m = m, .n = n, .mu = mu, .lr = lr,
                  .wd = wd, .gs = gs, .partial = partial};
  return (size_t)sym_ordered_sum(partial, run_pieces(pool, &j, sgd_task), 1);
}

static void adamw_check_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[t] =
      (double)sym_adamw_count_bad(j->p + a, j->g + a, j->m + a, j->v + a, piece_len(j->n, t), j->k);
}

size_t sym_pass_adamw_check(sym_pool *pool, double *partial, const float *p, const float *g,
                            const float *m, const float *v, size_t n, const sym_adam_consts *k) {
  stream_job j = {.p = (float *)p, .g = g, .m = (float *)m, .v = (float *)v, .n = n, .k = k,
                  .partial = partial};
  return (size_t)sym_ordered_sum(partial, run_pieces(pool, &j, adamw_check_task), 1);
}

static void sgd_check_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[t] = (double)sym_sgd_count_bad(j->p + a, j->g + a, j->m + a, piece_len(j->n, t),
                                            j->mu, j->lr, j->wd, j->gs);
}

size_t sym_pass_sgd_check(sym_pool *pool, double *partial, const float *p, const float *g,
                          const float *m, size_t n, float mu, float lr, float wd, float gs) {
  stream_job j = {.p = (float *)p, .g = g, .m = (float *)m, .n = n, .mu = mu, .lr = lr,
                  .wd = wd, .gs = gs, .partial = partial};
  return (size_t)sym_ordered_sum(partial, run_pieces(pool, &j, sgd_check_task), 1);
}
