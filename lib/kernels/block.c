/* The kernels of the block passes: dot32 (the Gram matrix's dot products),
 * gram (the dot products of every pair of a few rows at once) and comb (a
 * row of the moment objective's gradient, a combination of rows), as
 * scalar, SSE2, AVX2 and AVX-512 code with the same bits (kernels.h). */
#include "kernels_impl.h"

#if SYM_X86
#include <immintrin.h>
#endif

static double fold32(const float l[32]) {
  double t = 0.0;
  for (int j = 0; j < 8; j++) t += (double)((l[j] + l[j + 8]) + (l[j + 16] + l[j + 24]));
  return t;
}

/* fold32's last sum: the eight lanes' doubles from zero, in order */
static inline double sum8(const double d[8]) {
  double t = 0.0;
  for (int j = 0; j < 8; j++) t += d[j];
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

/* gram by dot32 of each pair, for the paths with few registers */
static void gram_by_pairs(double (*dot)(const float *, const float *, size_t), const float *x,
                          size_t stride, size_t nb, size_t n, double *out) {
  for (size_t a = 0; a < nb; a++)
    for (size_t b = a; b < nb; b++) out[a * nb + b] += dot(x + a * stride, x + b * stride, n);
}

void sym_gram_scalar(const float *x, size_t stride, size_t nb, size_t n, size_t ahead,
                     double *out) {
  (void)ahead;
  gram_by_pairs(sym_dot32_scalar, x, stride, nb, n, out);
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

void sym_gram_sse2(const float *x, size_t stride, size_t nb, size_t n, size_t ahead,
                   double *out) {
  (void)ahead;
  gram_by_pairs(sym_dot32_sse2, x, stride, nb, n, out);
}

/* The pairs (a, b .. b + G - 1) at once, the float lanes of each pair in
 * registers, every load of row a shared by the G pairs: each pair's lanes
 * get dot32's operations in dot32's order.  G is a constant (the callers
 * below), so that the accumulators stay in registers. */
#define GRAM_AVX2_G 2
static inline __attribute__((always_inline, target("avx2"))) void
gram_group_avx2(const float *xa, const float *xb, size_t stride, int G, size_t n, double *out) {
  __m256 acc[GRAM_AVX2_G][4];
#pragma GCC unroll 8
  for (int g = 0; g < G; g++) acc[g][0] = acc[g][1] = acc[g][2] = acc[g][3] = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a0 = _mm256_loadu_ps(xa + i), a1 = _mm256_loadu_ps(xa + i + 8);
    __m256 a2 = _mm256_loadu_ps(xa + i + 16), a3 = _mm256_loadu_ps(xa + i + 24);
#pragma GCC unroll 8
    for (int g = 0; g < G; g++) {
      const float *y = xb + (size_t)g * stride + i;
      acc[g][0] = _mm256_add_ps(acc[g][0], _mm256_mul_ps(a0, _mm256_loadu_ps(y)));
      acc[g][1] = _mm256_add_ps(acc[g][1], _mm256_mul_ps(a1, _mm256_loadu_ps(y + 8)));
      acc[g][2] = _mm256_add_ps(acc[g][2], _mm256_mul_ps(a2, _mm256_loadu_ps(y + 16)));
      acc[g][3] = _mm256_add_ps(acc[g][3], _mm256_mul_ps(a3, _mm256_loadu_ps(y + 24)));
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; g++) {
    if (i == n) { /* fold32 on the registers */
      __m256 s = _mm256_add_ps(_mm256_add_ps(acc[g][0], acc[g][1]),
                               _mm256_add_ps(acc[g][2], acc[g][3]));
      double d[8];
      _mm256_storeu_pd(d, _mm256_cvtps_pd(_mm256_castps256_ps128(s)));
      _mm256_storeu_pd(d + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1)));
      out[g] += sum8(d);
      continue;
    }
    float l[32];
    for (int h = 0; h < 4; h++) _mm256_storeu_ps(l + 8 * h, acc[g][h]);
    dot32_tail(xa, xb + (size_t)g * stride, i, n, l);
    out[g] += fold32(l);
  }
}

__attribute__((target("avx2"))) void sym_gram_avx2(const float *x, size_t stride, size_t nb,
                                                   size_t n, size_t ahead, double *out) {
  for (size_t a = 0; a < nb; a++) {
    SYM_PREFETCH_FLOATS(x + a * stride + n, ahead);
    for (size_t b = a; b < nb; b += GRAM_AVX2_G) {
      const float *xa = x + a * stride, *xb = x + b * stride;
      if (nb - b >= 2)
        gram_group_avx2(xa, xb, stride, 2, n, out + a * nb + b);
      else
        gram_group_avx2(xa, xb, stride, 1, n, out + a * nb + b);
    }
  }
}

#define GRAM_AVX512_G 8

/* the upper eight floats of x (AVX-512F has no float form of this) */
static inline __attribute__((always_inline, target("avx512f"))) __m256 hi256(__m512 x) {
  return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
}
static inline __attribute__((always_inline, target("avx512f"))) void
gram_group_avx512(const float *xa, const float *xb, size_t stride, int G, size_t n,
                  double *out) {
  __m512 acc[GRAM_AVX512_G][2];
#pragma GCC unroll 8
  for (int g = 0; g < G; g++) acc[g][0] = acc[g][1] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 a0 = _mm512_loadu_ps(xa + i), a1 = _mm512_loadu_ps(xa + i + 16);
#pragma GCC unroll 8
    for (int g = 0; g < G; g++) {
      const float *y = xb + (size_t)g * stride + i;
      acc[g][0] = _mm512_add_ps(acc[g][0], _mm512_mul_ps(a0, _mm512_loadu_ps(y)));
      acc[g][1] = _mm512_add_ps(acc[g][1], _mm512_mul_ps(a1, _mm512_loadu_ps(y + 16)));
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; g++) {
    if (i == n) { /* fold32 on the registers */
      __m256 s0 = _mm256_add_ps(_mm512_castps512_ps256(acc[g][0]),
                                hi256(acc[g][0]));
      __m256 s1 = _mm256_add_ps(_mm512_castps512_ps256(acc[g][1]),
                                hi256(acc[g][1]));
      double d[8];
      _mm512_storeu_pd(d, _mm512_cvtps_pd(_mm256_add_ps(s0, s1)));
      out[g] += sum8(d);
      continue;
    }
    float l[32];
    _mm512_storeu_ps(l, acc[g][0]);
    _mm512_storeu_ps(l + 16, acc[g][1]);
    dot32_tail(xa, xb + (size_t)g * stride, i, n, l);
    out[g] += fold32(l);
  }
}

__attribute__((target("avx512f"))) void sym_gram_avx512(const float *x, size_t stride,
                                                        size_t nb, size_t n, size_t ahead,
                                                        double *out) {
  for (size_t a = 0; a < nb; a++) {
    /* row a's next run, while the rows of this one are in cache */
    SYM_PREFETCH_FLOATS(x + a * stride + n, ahead);
    for (size_t b = a; b < nb; b += GRAM_AVX512_G) {
      const float *xa = x + a * stride, *xb = x + b * stride;
      double *o = out + a * nb + b;
      switch (nb - b < GRAM_AVX512_G ? nb - b : GRAM_AVX512_G) {
      case 1: gram_group_avx512(xa, xb, stride, 1, n, o); break;
      case 2: gram_group_avx512(xa, xb, stride, 2, n, o); break;
      case 3: gram_group_avx512(xa, xb, stride, 3, n, o); break;
      case 4: gram_group_avx512(xa, xb, stride, 4, n, o); break;
      case 5: gram_group_avx512(xa, xb, stride, 5, n, o); break;
      case 6: gram_group_avx512(xa, xb, stride, 6, n, o); break;
      case 7: gram_group_avx512(xa, xb, stride, 7, n, o); break;
      default: gram_group_avx512(xa, xb, stride, 8, n, o); break;
      }
    }
  }
}

/* comb at every width */
#define KERNEL_BODY "comb_body.h"
#include "vec_widths.h"
#endif
