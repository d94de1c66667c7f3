/* The cross kernel: out[b] = sum_i e[i] v_b[i] for up to SYM_CROSS_BLOCK
 * rows v_b at once, so that each element of e is loaded once for all of
 * them; element i in float lane i mod 16 (two independent chains of
 * additions per row on AVX2), the lanes added in double in lane order. */
#include "kernels_impl.h"

#if SYM_X86
#include <immintrin.h>
#endif

static double fold16(const float l[16]) {
  double t = 0.0;
  for (int j = 0; j < 16; j++) t += (double)l[j];
  return t;
}

static void cross_tail(const float *e, const float *v, size_t ldv, size_t nb, size_t i, size_t n,
                       float l[][16]) {
  for (size_t j = 0; i < n; i++, j++)
    for (size_t b = 0; b < nb; b++) l[b][j % 16] += e[i] * v[b * ldv + i];
}

/* the lanes of the vector code from index i on, then every row's sum */
static void cross_finish(const float *e, const float *v, size_t ldv, size_t nb, size_t i,
                         size_t n, float l[][16], double *out) {
  cross_tail(e, v, ldv, nb, i, n, l);
  for (size_t b = 0; b < nb; b++) out[b] = fold16(l[b]);
}

void sym_cross_scalar(const float *e, const float *v, size_t ldv, size_t nb, size_t n,
                      double *out) {
  float l[SYM_CROSS_BLOCK][16] = {{0}};
  cross_finish(e, v, ldv, nb, 0, n, l, out);
}

#if SYM_X86
void sym_cross_sse2(const float *e, const float *v, size_t ldv, size_t nb, size_t n,
                    double *out) {
  __m128 a[SYM_CROSS_BLOCK][4];
  for (size_t b = 0; b < SYM_CROSS_BLOCK; b++)
    for (int k = 0; k < 4; k++) a[b][k] = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (size_t b = 0; b < nb; b++) {
      const float *vb = v + b * ldv + i;
      for (int k = 0; k < 4; k++)
        a[b][k] = _mm_add_ps(a[b][k], _mm_mul_ps(_mm_loadu_ps(e + i + 4 * k),
                                                 _mm_loadu_ps(vb + 4 * k)));
    }
  float l[SYM_CROSS_BLOCK][16];
  for (size_t b = 0; b < nb; b++)
    for (int k = 0; k < 4; k++) _mm_storeu_ps(l[b] + 4 * k, a[b][k]);
  cross_finish(e, v, ldv, nb, i, n, l, out);
}

__attribute__((target("avx2"))) void sym_cross_avx2(const float *e, const float *v, size_t ldv,
                                                    size_t nb, size_t n, double *out) {
  __m256 a[SYM_CROSS_BLOCK][2];
  for (size_t b = 0; b < SYM_CROSS_BLOCK; b++) a[b][0] = a[b][1] = _mm256_setzero_ps();
  size_t i = 0;
  if (nb == SYM_CROSS_BLOCK)
    for (; i + 16 <= n; i += 16) {
      __m256 x0 = _mm256_loadu_ps(e + i), x1 = _mm256_loadu_ps(e + i + 8);
      const float *v0 = v + i, *v1 = v + ldv + i, *v2 = v + 2 * ldv + i;
      a[0][0] = _mm256_add_ps(a[0][0], _mm256_mul_ps(x0, _mm256_loadu_ps(v0)));
      a[0][1] = _mm256_add_ps(a[0][1], _mm256_mul_ps(x1, _mm256_loadu_ps(v0 + 8)));
      a[1][0] = _mm256_add_ps(a[1][0], _mm256_mul_ps(x0, _mm256_loadu_ps(v1)));
      a[1][1] = _mm256_add_ps(a[1][1], _mm256_mul_ps(x1, _mm256_loadu_ps(v1 + 8)));
      a[2][0] = _mm256_add_ps(a[2][0], _mm256_mul_ps(x0, _mm256_loadu_ps(v2)));
      a[2][1] = _mm256_add_ps(a[2][1], _mm256_mul_ps(x1, _mm256_loadu_ps(v2 + 8)));
    }
  else
    for (; i + 16 <= n; i += 16) {
      __m256 x0 = _mm256_loadu_ps(e + i), x1 = _mm256_loadu_ps(e + i + 8);
      for (size_t b = 0; b < nb; b++) {
        const float *vb = v + b * ldv + i;
        a[b][0] = _mm256_add_ps(a[b][0], _mm256_mul_ps(x0, _mm256_loadu_ps(vb)));
        a[b][1] = _mm256_add_ps(a[b][1], _mm256_mul_ps(x1, _mm256_loadu_ps(vb + 8)));
      }
    }
  float l[SYM_CROSS_BLOCK][16];
  for (size_t b = 0; b < nb; b++) {
    _mm256_storeu_ps(l[b], a[b][0]);
    _mm256_storeu_ps(l[b] + 8, a[b][1]);
  }
  cross_finish(e, v, ldv, nb, i, n, l, out);
}
#endif
