/* Private to lib/kernels: each kernel at each path, gathered into tables
 * by select.c.  SYM_X86 says whether the x86 vector paths are compiled. */
#ifndef SYMCLONE_KERNELS_IMPL_H
#define SYMCLONE_KERNELS_IMPL_H

#include "kernels.h"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define SYM_X86 1
#else
#define SYM_X86 0
#endif

#define SYM_KERNEL_SET(suffix)                                                                    \
  double sym_sumsq_##suffix(const float *g, size_t n);                                            \
  double sym_sqerr_##suffix(const float *ys, const float *yt, float *e, size_t n, float scale,    \
                            double *label_power);                                                 \
  size_t sym_adamw_##suffix(float *p, const float *g, float *m, float *v, size_t n,              \
                            const sym_adam_consts *k);                                            \
  double sym_dot32_##suffix(const float *x, const float *y, size_t n);                            \
  void sym_gram_##suffix(const float *x, size_t stride, size_t nb, size_t n, size_t ahead,        \
                         double *out);                                                            \
  void sym_comb_##suffix(float *out, const float *x, size_t stride, size_t ncomb, const float *s, \
                         size_t n, int acc);                                                      \
  void sym_cross_##suffix(const float *e, const float *v, size_t ldv, size_t nb, size_t n,       \
                          double *out);

SYM_KERNEL_SET(scalar)
#if SYM_X86
SYM_KERNEL_SET(sse2)
SYM_KERNEL_SET(avx2)
/* the kernels with AVX-512 code of their own */
size_t sym_adamw_avx512(float *p, const float *g, float *m, float *v, size_t n,
                        const sym_adam_consts *k);
void sym_gram_avx512(const float *x, size_t stride, size_t nb, size_t n, size_t ahead,
                     double *out);
void sym_comb_avx512(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                     size_t n, int acc);
#endif

size_t sym_sgd_scalar(float *p, const float *g, float *m, size_t n, float mu, float lr, float wd,
                      float gs);

void sym_prod_scalar(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                     size_t ldo, size_t m, size_t n, size_t K);
#if SYM_X86
void sym_prod_avx2(const float *a, size_t lda, const float *b, size_t ldb, float *out, size_t ldo,
                   size_t m, size_t n, size_t K);
void sym_prod_avx512(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                     size_t ldo, size_t m, size_t n, size_t K);
#endif

#endif
