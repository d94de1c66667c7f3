/* The product kernel out = a b for a short inner dimension (kernels.h):
 * scalar fmaf, and one vector body (prod_body.h) at two widths, AVX-512
 * (16 floats) and AVX2 with FMA (8 floats).  Each element is one chain of
 * fused multiply-adds in k order from zero, so every path, and any split
 * of rows or columns among threads, gives the same bits. */
#include <math.h>

#include "kernels_impl.h"

#if SYM_X86
#include <immintrin.h>
#endif

#define PROD_ROWS 6

void sym_prod_scalar(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                     size_t ldo, size_t m, size_t n, size_t K) {
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < n; c++) {
      float t = 0.0f;
      for (size_t k = 0; k < K; k++) t = fmaf(a[r * lda + k], b[k * ldb + c], t);
      out[r * ldo + c] = t;
    }
}

#if SYM_X86
static inline __mmask16 mask16_of(size_t w) { return (__mmask16)((1u << w) - 1u); }

#define PROD_NAME sym_prod_avx512
#define PROD_TARGET __attribute__((target("avx512f")))
#define VEC __m512
#define VW 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, x) _mm512_storeu_ps(p, x)
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VMASK __mmask16
#define VMASK_OF(w) mask16_of(w)
#define VMLOAD(mask, p) _mm512_maskz_loadu_ps(mask, p)
#define VMSTORE(p, mask, x) _mm512_mask_storeu_ps(p, mask, x)
#include "prod_body.h"

__attribute__((target("avx2"))) static inline __m256i mask8_of(size_t w) {
  int lanes[8];
  for (int j = 0; j < 8; j++) lanes[j] = (size_t)j < w ? -1 : 0;
  return _mm256_loadu_si256((const __m256i *)lanes);
}

#define PROD_NAME sym_prod_avx2
#define PROD_TARGET __attribute__((target("avx2,fma")))
#define VEC __m256
#define VW 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, x) _mm256_storeu_ps(p, x)
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VMASK __m256i
#define VMASK_OF(w) mask8_of(w)
#define VMLOAD(mask, p) _mm256_maskload_ps(p, mask)
#define VMSTORE(p, mask, x) _mm256_maskstore_ps(p, mask, x)
#include "prod_body.h"
#endif
