/* The kernels of the block passes: dot32 (the Gram matrix's dot products)
 * and comb (a row of the moment objective's gradient, a combination of
 * rows), as scalar, SSE2 and AVX2 code with the same bits (kernels.h). */
#include "kernels_impl.h"

#if SYM_X86
#include <immintrin.h>
#endif

static double fold32(const float l[32]) {
  double t = 0.0;
  for (int j = 0; j < 8; j++) t += (double)((l[j] + l[j + 8]) + (l[j + 16] + l[j + 24]));
  return t;
}

static void dot32_tail(const float *x, const float *y, size_t i, size_t n, float l[32]) {
  for (size_t j = 0; i < n; i++, j++) l[j] += x[i] * y[i];
}

static inline float comb_one(const float *x, size_t stride, size_t ncomb, const float *s,
                             size_t i) {
  float t = s[0] * x[i];
  for (size_t c = 1; c < ncomb; c++) t = t + s[c] * x[c * stride + i];
  return t;
}

static void comb_tail(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                      size_t i, size_t n, int acc) {
  for (; i < n; i++) {
    float t = comb_one(x, stride, ncomb, s, i);
    out[i] = acc ? out[i] + t : t;
  }
}

double sym_dot32_scalar(const float *x, const float *y, size_t n) {
  float l[32] = {0};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 32; j++) l[j] += x[i + j] * y[i + j];
  dot32_tail(x, y, i, n, l);
  return fold32(l);
}

void sym_comb_scalar(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                     size_t n, int acc) {
  comb_tail(out, x, stride, ncomb, s, 0, n, acc);
}

#if SYM_X86
double sym_dot32_sse2(const float *x, const float *y, size_t n) {
  __m128 a[8];
  for (int j = 0; j < 8; j++) a[j] = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 8; j++)
      a[j] = _mm_add_ps(a[j], _mm_mul_ps(_mm_loadu_ps(x + i + 4 * j), _mm_loadu_ps(y + i + 4 * j)));
  float l[32];
  for (int j = 0; j < 8; j++) _mm_storeu_ps(l + 4 * j, a[j]);
  dot32_tail(x, y, i, n, l);
  return fold32(l);
}

__attribute__((target("avx2"))) double sym_dot32_avx2(const float *x, const float *y, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8)));
    a2 = _mm256_add_ps(a2,
                       _mm256_mul_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16)));
    a3 = _mm256_add_ps(a3,
                       _mm256_mul_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24)));
  }
  float l[32];
  _mm256_storeu_ps(l, a0);
  _mm256_storeu_ps(l + 8, a1);
  _mm256_storeu_ps(l + 16, a2);
  _mm256_storeu_ps(l + 24, a3);
  dot32_tail(x, y, i, n, l);
  return fold32(l);
}

/* comb at both widths */
#define KERNEL_BODY "comb_body.h"
#include "both_widths.h"
#endif
