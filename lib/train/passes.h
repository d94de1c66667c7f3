/* Private: the trainer's passes over long arrays (lib/train/pass_*.c).
 *
 * They are memory-bound, so they run on the SIMD kernels of lib/kernels
 * and, with a pool, on several threads.  Every result is independent of
 * both: an array is cut into fixed pieces (SYM_PASS_CHUNK elements, 1024
 * columns, or whole rows of the blocks), each piece is one task with its
 * own partial result, and the partials are combined in piece order.
 * Inside a piece a sum keeps fixed lanes (kernels.h), whatever the vector
 * width.  The streaming and block passes use no fused multiply-add; the
 * product kernel uses one chain of them per element on every path.
 *   pass_stream.c  sumsq, sqerr, AdamW, SGD over whole arrays
 *   pass_block.c   the Gram and moment passes over a family's blocks
 *   pass_cross.c   the cross and error passes (pieces of columns)
 *   pass_prod.c    the product, and AdamW fed by it */
#ifndef SYMCLONE_PASSES_H
#define SYMCLONE_PASSES_H

#include <stddef.h>

#include "../common/pool.h"
#include "../kernels/kernels.h"

#define SYM_PASS_CHUNK ((size_t)16384)

/* sum of partial[i * stride] for i < count, in order */
static inline double sym_ordered_sum(const double *partial, size_t count, size_t stride) {
  double t = 0.0;
  for (size_t i = 0; i < count; i++) t += partial[i * stride];
  return t;
}

/* Pieces of an n-element array: the partial buffer of sumsq and adamw
 * needs this many doubles, sqerr twice as many. */
size_t sym_pass_tasks(size_t n);

/* sum g[i]^2 */
double sym_pass_sumsq(sym_pool *pool, double *partial, const float *g, size_t n);

/* e = scale (ys - yt) (e may be ys); returns sum (ys - yt)^2 and writes
 * sum yt^2 to *label_power. */
double sym_pass_sqerr(sym_pool *pool, double *partial, const float *ys, const float *yt,
                      float *e, size_t n, float scale, double *label_power);

/* The fused AdamW update; a parameter whose new value is not finite keeps
 * its old one.  Returns how many did. */
size_t sym_pass_adamw(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                      float *v, size_t n, const sym_adam_consts *k);

/* SGD with momentum and L2 weight decay, the same rule for non-finite
 * values. */
size_t sym_pass_sgd(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                    size_t n, float mu, float lr, float wd, float gs);

/* How many parameters sym_pass_adamw (sym_pass_sgd) with the same
 * arguments would leave unchanged; nothing is written. */
size_t sym_pass_adamw_check(sym_pool *pool, double *partial, const float *p, const float *g,
                            const float *m, const float *v, size_t n, const sym_adam_consts *k);
size_t sym_pass_sgd_check(sym_pool *pool, double *partial, const float *p, const float *g,
                          const float *m, size_t n, float mu, float lr, float wd, float gs);

/* The blocks of a family student as the moment objective sees them: B
 * arrays of rows x rowlen floats, one after the other. */
typedef struct sym_blocks {
  const float *w;
  size_t nblocks, rows, rowlen;
} sym_blocks;

/* Pieces (of whole rows) of the block passes; the Gram pass needs
 * tasks * B * (B + taps) doubles of partial. */
size_t sym_pass_block_tasks(const sym_blocks *b);

/* gram[a][b] = <W_a, W_b> (B x B, both triangles), and unless tapsum is
 * NULL the tap sums tapsum[b][q] = sum over rows of W_b[row][tap[row][q]]
 * (tap: rows x taps, -1 outside), taken on the same pass. */
void sym_pass_gram(sym_pool *pool, double *partial, const sym_blocks *w, const int *tap,
                   size_t taps, float *gram, float *tapsum);

/* The blocks' gradient of the moment objective:
 *   grad_b = sum_c coef[b][c] W_c  (+ grad_b when accumulate),
 *   then grad_b[row][tap[row][q]] -= shift[b][q] for every tap inside.
 * coef is B x B, shift B x taps, tap rows x taps (-1: outside).  Returns
 * the sum of the squares of the gradient written, taken piece by piece
 * while the piece is in cache (partial: sym_pass_block_tasks doubles). */
double sym_pass_moment_grad(sym_pool *pool, double *partial, const sym_blocks *w,
                            const float *coef, const int *tap, size_t taps, const float *shift,
                            int accumulate, float *grad);

/* The same gradient (accumulate = 0) handed to AdamW as it is formed, so
 * that it is never stored: the blocks (w->w, updated in place), m and v
 * change exactly as under sym_pass_moment_grad and then sym_pass_adamw
 * with the same constants.  scratch: sym_pool_threads(pool) * nblocks *
 * rowlen floats.  Returns how many parameters kept their old value. */
size_t sym_pass_moment_adamw(sym_pool *pool, double *partial, const sym_blocks *w,
                             const float *coef, const int *tap, size_t taps, const float *shift,
                             float *scratch, float *m, float *v, const sym_adam_consts *k);

/* out[r][b] = alpha sum_i e[r][i] v[b][i] (m x kv) for rows of len floats
 * (e: m rows, v: kv rows, one after the other), in pieces of columns,
 * each element of e loaded once for several rows of v; element i of a
 * piece in lane i mod 16.  Returns sum e[r][i]^2, taken on the way.
 * partial holds sym_pass_cross_tasks(len) * (m * kv + 1) doubles. */
size_t sym_pass_cross_tasks(size_t len);
double sym_pass_cross(sym_pool *pool, double *partial, const float *e, size_t m, const float *v,
                      size_t kv, size_t len, float alpha, float *out);

/* out = a b (m x n, inner dimension K; row strides lda, ldb, ldo): each
 * element one chain of fused multiply-adds in k order from zero, the same
 * bits on every path (AVX-512, AVX2 with FMA, scalar fmaf). */
void sym_pass_prod(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                   size_t ldo, size_t m, size_t n, size_t K);
/* Whether sym_pass_prod has vector code here (AVX-512, or AVX2 with FMA);
 * its scalar code is far slower than a BLAS, so callers keep the BLAS
 * where it is not. */
int sym_pass_prod_fast(void);
/* The code path the kernels take (SYM_ISA_*). */
int sym_pass_isa(void);

/* AdamW on p, mo, v (m x n, contiguous) with the gradient a b formed a few
 * rows at a time in cache (sym_pass_prod) and never stored: the same bits
 * as sym_pass_prod into an array and then sym_pass_adamw.  scratch:
 * sym_pool_threads(pool) * sym_pass_prod_rows(n) * n floats; partial: one
 * double per task (m / sym_pass_prod_rows(n), rounded up).  Returns how
 * many parameters kept their old value. */
size_t sym_pass_prod_rows(size_t n);
size_t sym_pass_prod_adamw(sym_pool *pool, double *partial, const float *a, size_t lda,
                           const float *b, size_t ldb, size_t m, size_t n, size_t K,
                           float *scratch, float *p, float *mo, float *v,
                           const sym_adam_consts *k);

/* The sampling step's error and what it feeds, in the pieces of columns
 * of sym_pass_cross, so that the error never goes to memory: for each
 * piece, E = a vc (a: m x kaug, vc: kaug x len; sym_pass_prod's product)
 * in the thread's scratch (sym_pool_threads(pool) * sym_pass_error_floats(m)
 * floats), dc = alpha E V^T with V the first kv rows of vc, summed as
 * sym_pass_cross sums, and dv = ct E (ct: kv x m, dv: kv x len;
 * sym_pass_prod's product).  Returns sum E^2; partial as sym_pass_cross. */
size_t sym_pass_error_floats(size_t m);
double sym_pass_error(sym_pool *pool, double *partial, const float *a, size_t kaug,
                      const float *vc, size_t m, size_t kv, size_t len, const float *ct,
                      float alpha, float *scratch, float *dc, float *dv);

#endif
