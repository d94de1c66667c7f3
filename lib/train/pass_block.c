/* The block passes over a family's blocks, in pieces of whole rows: the
 * Gram matrix with the tap sums, the moment objective's gradient, and
 * AdamW fed by that gradient a piece of a row at a time (passes.h). */
#include "passes.h"

/* Gram pieces are cut again into runs of at most this many floats, so that
 * the B runs being paired stay in the first-level cache. */
#define GRAM_RUN ((size_t)1024)

/* The fused moment update works on pieces of rows of at most this many
 * columns, so that the pieces of the B blocks' rows, of their gradient and
 * of both moments mostly stay in the first-level cache (58 KB for B = 9
 * and 400 columns, against 113 KB for whole rows of 784): with whole rows
 * the moment step of the bench's students took 10 to 15 % longer. */
#define MOMENT_COLS ((size_t)512)

/* The columns of the update's pieces of a row of L: as few pieces as
 * MOMENT_COLS allows, of equal size rounded up to a multiple of 16. */
static size_t moment_cols(size_t L) {
  size_t pieces = (L + MOMENT_COLS - 1) / MOMENT_COLS;
  size_t cols = pieces ? (L + pieces - 1) / pieces : 1;
  cols = (cols + 15) / 16 * 16;
  return cols < L ? cols : (L ? L : 1);
}

static size_t rows_per_task(const sym_blocks *b) {
  size_t r = SYM_PASS_CHUNK / 2 / (b->rowlen ? b->rowlen : 1);
  return r ? r : 1;
}

size_t sym_pass_block_tasks(const sym_blocks *b) {
  size_t r = rows_per_task(b);
  return b->rows / r + (b->rows % r != 0);
}

typedef struct block_job {
  const sym_kernels *kern;
  const sym_blocks *w;
  size_t rpt; /* rows per task */
  double *partial;
  const float *coef, *shift;
  const int *tap;
  size_t taps;
  int accumulate;
  float *grad;
  float *p, *m, *v, *scratch; /* the fused update */
  const sym_adam_consts *k;
} block_job;

static void task_span(const block_job *j, size_t t, size_t *r0, size_t *r1) {
  *r0 = t * j->rpt;
  *r1 = *r0 + j->rpt < j->w->rows ? *r0 + j->rpt : j->w->rows;
}

static void gram_task(void *ctx, size_t t) {
  block_job *j = ctx;
  const sym_blocks *w = j->w;
  size_t B = w->nblocks, bsz = w->rows * w->rowlen, r0, r1;
  task_span(j, t, &r0, &r1);
  double *out = j->partial + t * B * (B + j->taps);
  for (size_t i = 0; i < B * B; i++) out[i] = 0.0;
  size_t end = r1 * w->rowlen;
  for (size_t off = r0 * w->rowlen; off < end; off += GRAM_RUN) {
    size_t len = end - off < GRAM_RUN ? end - off : GRAM_RUN, rest = bsz - off - len;
    /* the next run asked for while this one is paired (past the piece's
     * rows too: the next piece's, usually this thread's next) */
    j->kern->gram(w->w + off, bsz, B, len, rest < GRAM_RUN ? rest : GRAM_RUN, out);
  }
  /* the tap sums of the same rows, still in cache */
  double *ts = out + B * B;
  for (size_t b = 0; b < B; b++) {
    const float *wb = w->w + b * bsz;
    for (size_t q = 0; q < j->taps; q++) {
      double acc = 0.0;
      for (size_t row = r0; row < r1; row++) {
        int col = j->tap[row * j->taps + q];
        if (col >= 0) acc += wb[row * w->rowlen + (size_t)col];
      }
      ts[b * j->taps + q] = acc;
    }
  }
}

void sym_pass_gram(sym_pool *pool, double *partial, const sym_blocks *w, const int *tap,
                   size_t taps, float *gram, float *tapsum) {
  block_job j = {.kern = sym_kernels_get(), .w = w, .rpt = rows_per_task(w), .partial = partial,
                 .tap = tap, .taps = tapsum ? taps : 0};
  size_t tasks = sym_pass_block_tasks(w), B = w->nblocks, stride = B * (B + j.taps);
  sym_pool_run(pool, tasks, gram_task, &j);
  for (size_t a = 0; a < B; a++)
    for (size_t b = a; b < B; b++)
      gram[a * B + b] = gram[b * B + a] =
          (float)sym_ordered_sum(partial + a * B + b, tasks, stride);
  for (size_t i = 0; i < B * j.taps; i++)
    tapsum[i] = (float)sym_ordered_sum(partial + B * B + i, tasks, stride);
}

/* grad_b[row][tap[row][q]] -= shift[b][q] for the rows r0 .. r1 of one
 * block's gradient (gb: its row r0) */
static void subtract_taps(const block_job *j, size_t b, float *gb, size_t r0, size_t r1) {
  size_t L = j->w->rowlen;
  const float *sh = j->shift + b * j->taps;
  for (size_t row = r0; row < r1; row++)
    for (size_t q = 0; q < j->taps; q++) {
      int col = j->tap[row * j->taps + q];
      if (col >= 0) gb[(row - r0) * L + (size_t)col] -= sh[q];
    }
}

static void moment_grad_task(void *ctx, size_t t) {
  block_job *j = ctx;
  const sym_blocks *w = j->w;
  size_t B = w->nblocks, L = w->rowlen, bsz = w->rows * L, r0, r1;
  task_span(j, t, &r0, &r1);
  for (size_t b = 0; b < B; b++) {
    float *gb = j->grad + b * bsz;
    j->kern->comb(gb + r0 * L, w->w + r0 * L, bsz, B, j->coef + b * B, (r1 - r0) * L,
                  j->accumulate);
    subtract_taps(j, b, gb + r0 * L, r0, r1);
  }
  /* the finished rows' squares while they are still in cache */
  double sq = 0.0;
  for (size_t b = 0; b < B; b++) sq += j->kern->sumsq(j->grad + b * bsz + r0 * L, (r1 - r0) * L);
  j->partial[t] = sq;
}

double sym_pass_moment_grad(sym_pool *pool, double *partial, const sym_blocks *w,
                            const float *coef, const int *tap, size_t taps, const float *shift,
                            int accumulate, float *grad) {
  block_job j = {.kern = sym_kernels_get(), .w = w, .rpt = rows_per_task(w), .partial = partial,
                 .coef = coef, .shift = shift, .tap = tap, .taps = taps,
                 .accumulate = accumulate, .grad = grad};
  size_t tasks = sym_pass_block_tasks(w);
  sym_pool_run(pool, tasks, moment_grad_task, &j);
  return sym_ordered_sum(partial, tasks, 1);
}

/* Columns [c0, c0 + n) of row `row` of block b's gradient (g: its column
 * c0): grad_b[row][tap[row][q]] -= shift[b][q] for the taps among them */
static void subtract_taps_cols(const block_job *j, size_t b, float *g, size_t row, size_t c0,
                               size_t n) {
  const float *sh = j->shift + b * j->taps;
  const int *tp = j->tap + row * j->taps;
  for (size_t q = 0; q < j->taps; q++)
    if (tp[q] >= 0 && (size_t)tp[q] >= c0 && (size_t)tp[q] - c0 < n) g[(size_t)tp[q] - c0] -= sh[q];
}

/* A row at a time, and a row in pieces of moment_cols columns: the piece's
 * gradient of every block goes to the thread's scratch (B pieces), and then
 * the piece of each block is updated from it, while the pieces (blocks,
 * gradient, moments) are still mostly in the first-level cache.  The same
 * operations as the gradient pass followed by sym_pass_adamw, on the same
 * elements. */
static void moment_adamw_task(void *ctx, size_t t, int worker) {
  block_job *j = ctx;
  const sym_blocks *w = j->w;
  size_t B = w->nblocks, L = w->rowlen, bsz = w->rows * L, r0, r1, bad = 0;
  size_t cols = moment_cols(L);
  float *scr = j->scratch + (size_t)worker * B * L;
  task_span(j, t, &r0, &r1);
  for (size_t row = r0; row < r1; row++) {
    /* the next row of each block, and its moments, are asked for while
     * this row is worked on: 27 streams are more than the hardware
     * prefetcher follows (the pass ran at 28 GB/s on one core without) */
    int next = row + 1 < w->rows;
    for (size_t c0 = 0; c0 < L; c0 += cols) {
      size_t n = L - c0 < cols ? L - c0 : cols;
      for (size_t b = 0; b < B; b++) {
        size_t at = b * bsz + row * L + c0;
        if (next) SYM_PREFETCH_FLOATS(w->w + at + L, n);
        j->kern->comb(scr + b * cols, w->w + row * L + c0, bsz, B, j->coef + b * B, n, 0);
      }
      for (size_t b = 0; b < B; b++) {
        size_t at = b * bsz + row * L + c0;
        subtract_taps_cols(j, b, scr + b * cols, row, c0, n);
        if (next) {
          SYM_PREFETCH_FLOATS(j->m + at + L, n);
          SYM_PREFETCH_FLOATS(j->v + at + L, n);
        }
        bad += j->kern->adamw(j->p + at, scr + b * cols, j->m + at, j->v + at, n, j->k);
      }
    }
  }
  j->partial[t] = (double)bad;
}

size_t sym_pass_moment_adamw(sym_pool *pool, double *partial, const sym_blocks *w,
                             const float *coef, const int *tap, size_t taps, const float *shift,
                             float *scratch, float *m, float *v, const sym_adam_consts *k) {
  block_job j = {.kern = sym_kernels_get(), .w = w, .rpt = rows_per_task(w), .partial = partial,
                 .coef = coef, .shift = shift, .tap = tap, .taps = taps, .p = (float *)w->w,
                 .m = m, .v = v, .scratch = scratch, .k = k};
  size_t tasks = sym_pass_block_tasks(w);
  sym_pool_run_workers(pool, tasks, moment_adamw_task, &j);
  return (size_t)sym_ordered_sum(partial, tasks, 1);
}
