/* Private: the SIMD kernels of one piece of an array (lib/kernels).
 *
 * Every kernel exists as scalar code and, where the CPU has it, as SSE2,
 * AVX2 or AVX-512 code (the sums of squares, the squared error, dot32 and
 * cross have no AVX-512 code: their AVX2 code serves there); all paths
 * give the same bits (the lanes and the order of operations are fixed, see
 * each kernel).  The code path is chosen once, at the first call of
 * sym_kernels_get(), into a table of function pointers; the passes over
 * whole arrays (lib/train/passes.h) call through it.  Only the static test
 * library can force a lesser path. */
#ifndef SYMCLONE_KERNELS_H
#define SYMCLONE_KERNELS_H

#include <stddef.h>

#include "../common/pool.h"

/* The constants of one AdamW update:
 *   g' = gs g,  m = b1 m + c1 g',  v = b2 v + c2 g'^2,
 *   p = decay p - step m / (sqrt(v) rbc2 + eps)
 * (step = lr / (1 - b1^t), rbc2 = 1 / sqrt(1 - b2^t), decay = 1 - lr wd,
 * gs the clipping and averaging scale of the gradient). */
typedef struct sym_adam_consts {
  float b1, b2, c1, c2, step, rbc2, eps, decay, gs;
} sym_adam_consts;

/* The constants above for step t (counted from 1) of AdamW with learning
 * rate lr, moments b1, b2, eps, decoupled weight decay wd and gradient
 * scale gs. */
sym_adam_consts sym_adam_consts_at(long long t, double lr, double b1, double b2, double eps,
                                   double wd, double gs);

typedef struct sym_kernels {
  int isa; /* SYM_ISA_* of this table */
  /* sum g[i]^2, element i in double lane i mod 16 */
  double (*sumsq)(const float *g, size_t n);
  /* e = scale (ys - yt) (e may be ys); returns sum (ys - yt)^2 and writes
   * sum yt^2 to *label_power (double lanes i mod 8) */
  double (*sqerr)(const float *ys, const float *yt, float *e, size_t n, float scale,
                  double *label_power);
  /* AdamW (sym_adam_consts); a parameter whose new value is not finite
   * keeps its old one.  Returns how many did. */
  size_t (*adamw)(float *p, const float *g, float *m, float *v, size_t n,
                  const sym_adam_consts *k);
  /* SGD with momentum mu and L2 decay wd, the same rule for non-finite
   * values */
  size_t (*sgd)(float *p, const float *g, float *m, size_t n, float mu, float lr, float wd,
                float gs);
  /* sum x[i] y[i], element i in float lane i mod 32, the lanes folded as
   * (l[j] + l[j+8]) + (l[j+16] + l[j+24]) in float, then j = 0..7 in double */
  double (*dot32)(const float *x, const float *y, size_t n);
  /* out[a * nb + b] += dot32(x + a * stride, x + b * stride, n) for
   * a <= b < nb: the upper triangle of the Gram matrix of nb rows, each
   * entry with dot32's bits; the ahead floats that follow each row
   * (x[a * stride + n ..]) are asked for on the way (prefetched, 0: none) */
  void (*gram)(const float *x, size_t stride, size_t nb, size_t n, size_t ahead, double *out);
  /* out[i] = sum_c s[c] x[c * stride + i] (+ out[i] when acc), in c order */
  void (*comb)(float *out, const float *x, size_t stride, size_t ncomb, const float *s, size_t n,
               int acc);
  /* out[b] = sum_i e[i] v[b * ldv + i] for nb <= SYM_CROSS_BLOCK rows,
   * element i in float lane i mod 16, the lanes added in double */
  void (*cross)(const float *e, const float *v, size_t ldv, size_t nb, size_t n, double *out);
  /* out = a b (m x n, inner dimension K; row strides lda, ldb, ldo): each
   * element one chain of fused multiply-adds in k order from zero */
  void (*prod)(const float *a, size_t lda, const float *b, size_t ldb, float *out, size_t ldo,
               size_t m, size_t n, size_t K);
  /* whether prod has vector code here (AVX-512, or AVX2 with FMA); its
   * scalar code is far slower than a BLAS */
  int prod_fast;
} sym_kernels;

#define SYM_CROSS_BLOCK 3

/* How many parameters the adamw (sgd) kernel would leave unchanged because
 * their new value is not finite, computed by the same operations without
 * writing anything. */
size_t sym_adamw_count_bad(const float *p, const float *g, const float *m, const float *v,
                           size_t n, const sym_adam_consts *k);
size_t sym_sgd_count_bad(const float *p, const float *g, const float *m, size_t n, float mu,
                         float lr, float wd, float gs);

enum { SYM_ISA_SCALAR = 1, SYM_ISA_SSE2 = 2, SYM_ISA_AVX2 = 3, SYM_ISA_AVX512 = 4 };

/* The table of the best path this CPU has (chosen once, thread-safe). */
const sym_kernels *sym_kernels_get(void);

/* The prod kernel's out = a b with its rows shared among the pool's
 * threads (NULL: the caller's), in tasks of SYM_PROD_TASK_ROWS rows (a
 * multiple of the kernel's 6-row blocks; a task's rows of a, and b, stay
 * in the second-level cache while its column blocks pass over them).  Each
 * element is the kernel's chain in k order, so any thread count gives the
 * same bits. */
#define SYM_PROD_TASK_ROWS ((size_t)48)
void sym_prod_pool(sym_pool *pool, const float *a, size_t lda, const float *b, size_t ldb,
                   float *out, size_t ldo, size_t m, size_t n, size_t K);

/* Asks for the cache lines of p[0 .. n) ahead of their use (a software
 * prefetch of each line into the first-level cache; nothing where the
 * compiler has no prefetch).  A macro: GCC takes a function made only of
 * prefetches for one without effect and drops the calls to it. */
#if defined(__GNUC__) || defined(__clang__)
#define SYM_PREFETCH_FLOATS(p, n)                                                                 \
  do {                                                                                            \
    const float *pf_p_ = (p);                                                                     \
    size_t pf_n_ = (n);                                                                           \
    for (size_t pf_i_ = 0; pf_i_ < pf_n_; pf_i_ += 16) __builtin_prefetch(pf_p_ + pf_i_, 0, 3);   \
    if (pf_n_) __builtin_prefetch(pf_p_ + pf_n_ - 1, 0, 3);                                       \
  } while (0)
#else
#define SYM_PREFETCH_FLOATS(p, n) ((void)(p), (void)(n))
#endif

#ifdef SYMCLONE_STATIC
/* Tests: use the path isa (SYM_ISA_*) or the best the CPU has below it;
 * 0 for the best the CPU has. */
void sym_kernels_force_isa(int isa);
#endif

#endif
