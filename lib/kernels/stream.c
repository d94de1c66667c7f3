/* The streaming kernels: sum of squares, squared error, AdamW and SGD on
 * one piece of an array, as scalar, SSE2 and AVX2 code.  The scalar code
 * is the reference the vector code matches bit for bit: the same lanes and
 * the same operations in the same order (no fused multiply-add). */
#include <math.h>

#include "kernels_impl.h"

#if SYM_X86
#include <immintrin.h>
#endif

sym_adam_consts sym_adam_consts_at(long long t, double lr, double b1, double b2, double eps,
                                   double wd, double gs) {
  double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
  sym_adam_consts k = {(float)b1,           (float)b2,          (float)(1.0 - b1),
                       (float)(1.0 - b2),   (float)(lr / bc1),  (float)(1.0 / sqrt(bc2)),
                       (float)eps,          (float)(1.0 - lr * wd), (float)gs};
  return k;
}

/* Sums of squares keep 16 lanes (element i in lane i mod 16): four
 * independent chains of additions on AVX2, so that the pass runs at the
 * speed of memory rather than of the addition's latency. */
#define SQ_LANES 16

/* The optimizer's arrays are streamed from memory: a software prefetch
 * this far ahead (in floats) keeps more lines in flight than the hardware
 * prefetcher does for seven streams (docs/performance.md). */
#define PREFETCH_AHEAD 256

static double lanes_sum(const double *acc, int lanes) {
  double t = 0.0;
  for (int j = 0; j < lanes; j++) t += acc[j];
  return t;
}

static void sumsq_tail(const float *g, size_t i, size_t n, double acc[SQ_LANES]) {
  for (size_t j = 0; i < n; i++, j++) acc[j] += (double)g[i] * g[i];
}

static void sqerr_tail(const float *ys, const float *yt, float *e, size_t i, size_t n,
                       float scale, double la[8], double lb[8]) {
  for (size_t j = 0; i < n; i++, j++) {
    float d = ys[i] - yt[i];
    la[j] += (double)d * d;
    lb[j] += (double)yt[i] * yt[i];
    e[i] = scale * d;
  }
}

/* One AdamW element; returns 0 if the new value is not finite (then the
 * parameter keeps its value). */
static inline int adam_one(float *p, float g, float *m, float *v, const sym_adam_consts *k) {
  float gi = g * k->gs;
  float mi = k->b1 * *m + k->c1 * gi;
  float vi = k->b2 * *v + k->c2 * gi * gi;
  float np = *p * k->decay - k->step * mi / (sqrtf(vi) * k->rbc2 + k->eps);
  *m = mi;
  *v = vi;
  if (!isfinite(np)) return 0;
  *p = np;
  return 1;
}

static size_t adamw_tail(float *p, const float *g, float *m, float *v, size_t i, size_t n,
                         const sym_adam_consts *k) {
  size_t bad = 0;
  for (; i < n; i++) bad += !adam_one(p + i, g[i], m + i, v + i, k);
  return bad;
}

/* ---- scalar ---------------------------------------------------------------- */

size_t sym_adamw_count_bad(const float *p, const float *g, const float *m, const float *v,
                           size_t n, const sym_adam_consts *k) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    float pi = p[i], mi = m[i], vi = v[i];
    bad += !adam_one(&pi, g[i], &mi, &vi, k);
  }
  return bad;
}

/* One SGD element, the same rule as adam_one. */
static inline int sgd_one(float *p, float g, float *m, float mu, float lr, float wd, float gs) {
  float gi = g * gs + wd * *p;
  float bi = mu * *m + gi;
  float np = *p - lr * bi;
  *m = bi;
  if (!isfinite(np)) return 0;
  *p = np;
  return 1;
}

size_t sym_sgd_count_bad(const float *p, const float *g, const float *m, size_t n, float mu,
                         float lr, float wd, float gs) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    float pi = p[i], mi = m[i];
    bad += !sgd_one(&pi, g[i], &mi, mu, lr, wd, gs);
  }
  return bad;
}

double sym_sumsq_scalar(const float *g, size_t n) {
  double acc[SQ_LANES] = {0};
  size_t i = 0;
  for (; i + SQ_LANES <= n; i += SQ_LANES)
    for (int j = 0; j < SQ_LANES; j++) acc[j] += (double)g[i + j] * g[i + j];
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc, SQ_LANES);
}

double sym_sqerr_scalar(const float *ys, const float *yt, float *e, size_t n, float scale,
                        double *label_power) {
  double la[8] = {0}, lb[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) {
      float d = ys[i + j] - yt[i + j];
      la[j] += (double)d * d;
      lb[j] += (double)yt[i + j] * yt[i + j];
      e[i + j] = scale * d;
    }
  sqerr_tail(ys, yt, e, i, n, scale, la, lb);
  *label_power = lanes_sum(lb, 8);
  return lanes_sum(la, 8);
}

size_t sym_adamw_scalar(float *p, const float *g, float *m, float *v, size_t n,
                        const sym_adam_consts *k) {
  return adamw_tail(p, g, m, v, 0, n, k);
}

size_t sym_sgd_scalar(float *p, const float *g, float *m, size_t n, float mu, float lr, float wd,
                      float gs) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !sgd_one(p + i, g[i], m + i, mu, lr, wd, gs);
  return bad;
}

#if SYM_X86
/* A line of each of the update's arrays, PREFETCH_AHEAD floats ahead, every
 * 16 elements. */
static inline void prefetch_adam(const float *p, const float *g, const float *m, const float *v,
                                 size_t i, size_t n) {
  if ((i & 15) != 0 || i + PREFETCH_AHEAD >= n) return;
  _mm_prefetch((const char *)(g + i + PREFETCH_AHEAD), _MM_HINT_T0);
  _mm_prefetch((const char *)(m + i + PREFETCH_AHEAD), _MM_HINT_T0);
  _mm_prefetch((const char *)(v + i + PREFETCH_AHEAD), _MM_HINT_T0);
  _mm_prefetch((const char *)(p + i + PREFETCH_AHEAD), _MM_HINT_T0);
}

/* ---- SSE2 ------------------------------------------------------------------ */

double sym_sumsq_sse2(const float *g, size_t n) {
  __m128d a[8];
  for (int j = 0; j < 8; j++) a[j] = _mm_setzero_pd();
  size_t i = 0;
  for (; i + SQ_LANES <= n; i += SQ_LANES)
    for (int h = 0; h < 4; h++) {
      __m128 f = _mm_loadu_ps(g + i + 4 * h);
      __m128d lo = _mm_cvtps_pd(f), hi = _mm_cvtps_pd(_mm_movehl_ps(f, f));
      a[2 * h] = _mm_add_pd(a[2 * h], _mm_mul_pd(lo, lo));
      a[2 * h + 1] = _mm_add_pd(a[2 * h + 1], _mm_mul_pd(hi, hi));
    }
  double acc[SQ_LANES];
  for (int j = 0; j < 8; j++) _mm_storeu_pd(acc + 2 * j, a[j]);
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc, SQ_LANES);
}

double sym_sqerr_sse2(const float *ys, const float *yt, float *e, size_t n, float scale,
                      double *label_power) {
  __m128d l[4], q[4];
  for (int j = 0; j < 4; j++) l[j] = q[j] = _mm_setzero_pd();
  __m128 sc = _mm_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int h = 0; h < 2; h++) {
      __m128 t = _mm_loadu_ps(yt + i + 4 * h);
      __m128 d = _mm_sub_ps(_mm_loadu_ps(ys + i + 4 * h), t);
      __m128d dl = _mm_cvtps_pd(d), dh = _mm_cvtps_pd(_mm_movehl_ps(d, d));
      __m128d tl = _mm_cvtps_pd(t), th = _mm_cvtps_pd(_mm_movehl_ps(t, t));
      l[2 * h] = _mm_add_pd(l[2 * h], _mm_mul_pd(dl, dl));
      l[2 * h + 1] = _mm_add_pd(l[2 * h + 1], _mm_mul_pd(dh, dh));
      q[2 * h] = _mm_add_pd(q[2 * h], _mm_mul_pd(tl, tl));
      q[2 * h + 1] = _mm_add_pd(q[2 * h + 1], _mm_mul_pd(th, th));
      _mm_storeu_ps(e + i + 4 * h, _mm_mul_ps(sc, d));
    }
  }
  double la[8], lb[8];
  for (int j = 0; j < 4; j++) {
    _mm_storeu_pd(la + 2 * j, l[j]);
    _mm_storeu_pd(lb + 2 * j, q[j]);
  }
  sqerr_tail(ys, yt, e, i, n, scale, la, lb);
  *label_power = lanes_sum(lb, 8);
  return lanes_sum(la, 8);
}

/* ---- AVX2 ------------------------------------------------------------------ */

__attribute__((target("avx2"))) double sym_sumsq_avx2(const float *g, size_t n) {
  __m256d a[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                  _mm256_setzero_pd()};
  size_t i = 0;
  for (; i + SQ_LANES <= n; i += SQ_LANES) {
    if (i + PREFETCH_AHEAD < n) _mm_prefetch((const char *)(g + i + PREFETCH_AHEAD), _MM_HINT_T0);
    for (int j = 0; j < 4; j++) {
      __m256d d = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4 * j));
      a[j] = _mm256_add_pd(a[j], _mm256_mul_pd(d, d));
    }
  }
  double acc[SQ_LANES];
  for (int j = 0; j < 4; j++) _mm256_storeu_pd(acc + 4 * j, a[j]);
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc, SQ_LANES);
}

__attribute__((target("avx2"))) double sym_sqerr_avx2(const float *ys, const float *yt, float *e,
                                                      size_t n, float scale,
                                                      double *label_power) {
  __m256d l0 = _mm256_setzero_pd(), l1 = _mm256_setzero_pd();
  __m256d p0 = _mm256_setzero_pd(), p1 = _mm256_setzero_pd();
  __m256 sc = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 t = _mm256_loadu_ps(yt + i);
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(ys + i), t);
    __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(d));
    __m256d d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
    __m256d t0 = _mm256_cvtps_pd(_mm256_castps256_ps128(t));
    __m256d t1 = _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1));
    l0 = _mm256_add_pd(l0, _mm256_mul_pd(d0, d0));
    l1 = _mm256_add_pd(l1, _mm256_mul_pd(d1, d1));
    p0 = _mm256_add_pd(p0, _mm256_mul_pd(t0, t0));
    p1 = _mm256_add_pd(p1, _mm256_mul_pd(t1, t1));
    _mm256_storeu_ps(e + i, _mm256_mul_ps(sc, d));
  }
  double la[8], lb[8];
  _mm256_storeu_pd(la, l0);
  _mm256_storeu_pd(la + 4, l1);
  _mm256_storeu_pd(lb, p0);
  _mm256_storeu_pd(lb + 4, p1);
  sqerr_tail(ys, yt, e, i, n, scale, la, lb);
  *label_power = lanes_sum(lb, 8);
  return lanes_sum(la, 8);
}

/* ---- AdamW at both widths -------------------------------------------------- */

#define KERNEL_BODY "adamw_body.h"
#include "vec_widths.h"
#endif
