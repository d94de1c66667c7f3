/* The trainer's passes over long arrays: SIMD kernels for one piece, and
 * the pieces spread over the pool.  passes.h states the rules that make
 * the results independent of vector width and thread count. */
#include "passes.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SYM_X86 1
#else
#define SYM_X86 0
#endif

static double lanes_sum(const double acc[8]) {
  double t = 0.0;
  for (int j = 0; j < 8; j++) t += acc[j];
  return t;
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

/* Sums of squares keep 16 lanes (element i in lane i mod 16): four
 * independent chains of additions on AVX2, so that the pass runs at the
 * speed of memory rather than of the addition's latency. */
#define SQ_LANES 16

static double lanes_sum16(const double acc[SQ_LANES]) {
  double t = 0.0;
  for (int j = 0; j < SQ_LANES; j++) t += acc[j];
  return t;
}

static size_t sumsq_tail(const float *g, size_t i, size_t n, double acc[SQ_LANES]) {
  for (size_t j = 0; i < n; i++, j++) acc[j] += (double)g[i] * g[i];
  return n;
}

/* The optimizer's arrays are streamed from memory: a software prefetch
 * this far ahead (in floats) keeps more lines in flight than the hardware
 * prefetcher does for seven streams (AdamW went from 27 to 38 GB/s on one
 * core of the machine of docs/performance.md). */
#define PREFETCH_AHEAD 256

static size_t sqerr_tail(const float *ys, const float *yt, float *e, size_t i, size_t n,
                         float scale, double la[8], double lb[8]) {
  for (size_t j = 0; i < n; i++, j++) {
    float d = ys[i] - yt[i];
    la[j] += (double)d * d;
    lb[j] += (double)yt[i] * yt[i];
    e[i] = scale * d;
  }
  return n;
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

__attribute__((target("avx2"))) static double sumsq_avx2(const float *g, size_t n) {
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
  return lanes_sum16(acc);
}

static double sumsq_sse2(const float *g, size_t n) {
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
  return lanes_sum16(acc);
}

__attribute__((target("avx2"))) static double sqerr_avx2(const float *ys, const float *yt,
                                                          float *e, size_t n, float scale,
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
  *label_power = lanes_sum(lb);
  return lanes_sum(la);
}

static double sqerr_sse2(const float *ys, const float *yt, float *e, size_t n, float scale,
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
  *label_power = lanes_sum(lb);
  return lanes_sum(la);
}

__attribute__((target("avx2"))) static size_t adamw_avx2(float *p, const float *g, float *m,
                                                          float *v, size_t n,
                                                          const sym_adam_consts *k) {
  __m256 b1 = _mm256_set1_ps(k->b1), b2 = _mm256_set1_ps(k->b2), c1 = _mm256_set1_ps(k->c1);
  __m256 c2 = _mm256_set1_ps(k->c2), step = _mm256_set1_ps(k->step);
  __m256 rbc2 = _mm256_set1_ps(k->rbc2), eps = _mm256_set1_ps(k->eps);
  __m256 decay = _mm256_set1_ps(k->decay), gs = _mm256_set1_ps(k->gs);
  __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 big = _mm256_set1_ps(3.40282347e38f);
  size_t i = 0, bad = 0;
  for (; i + 8 <= n; i += 8) {
    prefetch_adam(p, g, m, v, i, n);
    __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), gs);
    __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
    __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)),
                              _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
    __m256 pi = _mm256_loadu_ps(p + i);
    __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), rbc2), eps);
    __m256 np = _mm256_sub_ps(_mm256_mul_ps(pi, decay),
                              _mm256_div_ps(_mm256_mul_ps(step, mi), den));
    __m256 ok = _mm256_cmp_ps(_mm256_and_ps(np, absmask), big, _CMP_LE_OQ);
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, _mm256_blendv_ps(pi, np, ok));
    bad += (size_t)(8 - __builtin_popcount((unsigned)_mm256_movemask_ps(ok)));
  }
  for (; i < n; i++) bad += !adam_one(p + i, g[i], m + i, v + i, k);
  return bad;
}

static size_t adamw_sse2(float *p, const float *g, float *m, float *v, size_t n,
                         const sym_adam_consts *k) {
  __m128 b1 = _mm_set1_ps(k->b1), b2 = _mm_set1_ps(k->b2), c1 = _mm_set1_ps(k->c1);
  __m128 c2 = _mm_set1_ps(k->c2), step = _mm_set1_ps(k->step);
  __m128 rbc2 = _mm_set1_ps(k->rbc2), eps = _mm_set1_ps(k->eps);
  __m128 decay = _mm_set1_ps(k->decay), gs = _mm_set1_ps(k->gs);
  __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  __m128 big = _mm_set1_ps(3.40282347e38f);
  size_t i = 0, bad = 0;
  for (; i + 4 <= n; i += 4) {
    prefetch_adam(p, g, m, v, i, n);
    __m128 gi = _mm_mul_ps(_mm_loadu_ps(g + i), gs);
    __m128 mi = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(c1, gi));
    __m128 vi = _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(c2, gi), gi));
    __m128 pi = _mm_loadu_ps(p + i);
    __m128 den = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), rbc2), eps);
    __m128 np = _mm_sub_ps(_mm_mul_ps(pi, decay), _mm_div_ps(_mm_mul_ps(step, mi), den));
    __m128 ok = _mm_cmple_ps(_mm_and_ps(np, absmask), big);
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    _mm_storeu_ps(p + i, _mm_or_ps(_mm_and_ps(ok, np), _mm_andnot_ps(ok, pi)));
    bad += (size_t)(4 - __builtin_popcount((unsigned)_mm_movemask_ps(ok)));
  }
  for (; i < n; i++) bad += !adam_one(p + i, g[i], m + i, v + i, k);
  return bad;
}

static int have_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

static int have_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

static int have_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("fma");
}
#endif

/* The scalar code: the reference the vector paths must match bit for bit,
 * and the path of other CPUs. */
static double sumsq_scalar(const float *g, size_t n) {
  double acc[SQ_LANES] = {0};
  size_t i = 0;
  for (; i + SQ_LANES <= n; i += SQ_LANES)
    for (int j = 0; j < SQ_LANES; j++) acc[j] += (double)g[i + j] * g[i + j];
  sumsq_tail(g, i, n, acc);
  return lanes_sum16(acc);
}

static double sqerr_scalar(const float *ys, const float *yt, float *e, size_t n, float scale,
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
  *label_power = lanes_sum(lb);
  return lanes_sum(la);
}

static size_t adamw_scalar(float *p, const float *g, float *m, float *v, size_t n,
                           const sym_adam_consts *k) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !adam_one(p + i, g[i], m + i, v + i, k);
  return bad;
}

/* ---- which code path ----------------------------------------------------- */

static atomic_int forced_isa; /* SYM_ISA_*, 0: the best the CPU has */

void sym_pass_force_isa(int isa) { atomic_store_explicit(&forced_isa, isa, memory_order_relaxed); }

static int isa(void) {
  int f = atomic_load_explicit(&forced_isa, memory_order_relaxed);
#if SYM_X86
  int best = have_avx512() ? SYM_ISA_AVX512 : have_avx2() ? SYM_ISA_AVX2 : SYM_ISA_SSE2;
  return f && f <= best ? f : best;
#else
  (void)f;
  return SYM_ISA_SCALAR;
#endif
}

/* The passes other than the product have no AVX-512 code: their AVX2 code
 * serves there. */
static int vec_isa(void) {
  int i = isa();
  return i > SYM_ISA_AVX2 ? SYM_ISA_AVX2 : i;
}

int sym_pass_isa(void) { return isa(); }

static double sumsq_piece(const float *g, size_t n) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: return sumsq_avx2(g, n);
  case SYM_ISA_SSE2: return sumsq_sse2(g, n);
#endif
  default: return sumsq_scalar(g, n);
  }
}

static double sqerr_piece(const float *ys, const float *yt, float *e, size_t n, float scale,
                          double *label_power) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: return sqerr_avx2(ys, yt, e, n, scale, label_power);
  case SYM_ISA_SSE2: return sqerr_sse2(ys, yt, e, n, scale, label_power);
#endif
  default: return sqerr_scalar(ys, yt, e, n, scale, label_power);
  }
}

static size_t adamw_piece(float *p, const float *g, float *m, float *v, size_t n,
                          const sym_adam_consts *k) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: return adamw_avx2(p, g, m, v, n, k);
  case SYM_ISA_SSE2: return adamw_sse2(p, g, m, v, n, k);
#endif
  default: return adamw_scalar(p, g, m, v, n, k);
  }
}

/* ---- the blocks' kernels ------------------------------------------------------
 * dot32: a dot product with element i in float lane i mod 32; the lanes are
 * folded as (l[j] + l[j+8]) + (l[j+16] + l[j+24]) in float, then j = 0..7
 * added in double.  comb: out[i] = sum_c s[c] x_c[i] (+ out[i]), the terms
 * added in c order. */

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

#if SYM_X86
__attribute__((target("avx2"))) static double dot32_avx2(const float *x, const float *y,
                                                          size_t n) {
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

static double dot32_sse2(const float *x, const float *y, size_t n) {
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

__attribute__((target("avx2"))) static void comb_avx2(float *out, const float *x, size_t stride,
                                                      size_t ncomb, const float *s, size_t n,
                                                      int acc) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 s0 = _mm256_set1_ps(s[0]);
    __m256 t0 = _mm256_mul_ps(s0, _mm256_loadu_ps(x + i));
    __m256 t1 = _mm256_mul_ps(s0, _mm256_loadu_ps(x + i + 8));
    for (size_t c = 1; c < ncomb; c++) {
      __m256 sc = _mm256_set1_ps(s[c]);
      const float *xc = x + c * stride + i;
      t0 = _mm256_add_ps(t0, _mm256_mul_ps(sc, _mm256_loadu_ps(xc)));
      t1 = _mm256_add_ps(t1, _mm256_mul_ps(sc, _mm256_loadu_ps(xc + 8)));
    }
    if (acc) {
      t0 = _mm256_add_ps(_mm256_loadu_ps(out + i), t0);
      t1 = _mm256_add_ps(_mm256_loadu_ps(out + i + 8), t1);
    }
    _mm256_storeu_ps(out + i, t0);
    _mm256_storeu_ps(out + i + 8, t1);
  }
  comb_tail(out, x, stride, ncomb, s, i, n, acc);
}

static void comb_sse2(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                      size_t n, int acc) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128 s0 = _mm_set1_ps(s[0]);
    __m128 t0 = _mm_mul_ps(s0, _mm_loadu_ps(x + i));
    __m128 t1 = _mm_mul_ps(s0, _mm_loadu_ps(x + i + 4));
    for (size_t c = 1; c < ncomb; c++) {
      __m128 sc = _mm_set1_ps(s[c]);
      const float *xc = x + c * stride + i;
      t0 = _mm_add_ps(t0, _mm_mul_ps(sc, _mm_loadu_ps(xc)));
      t1 = _mm_add_ps(t1, _mm_mul_ps(sc, _mm_loadu_ps(xc + 4)));
    }
    if (acc) {
      t0 = _mm_add_ps(_mm_loadu_ps(out + i), t0);
      t1 = _mm_add_ps(_mm_loadu_ps(out + i + 4), t1);
    }
    _mm_storeu_ps(out + i, t0);
    _mm_storeu_ps(out + i + 4, t1);
  }
  comb_tail(out, x, stride, ncomb, s, i, n, acc);
}
#endif

static double dot32(const float *x, const float *y, size_t n) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: return dot32_avx2(x, y, n);
  case SYM_ISA_SSE2: return dot32_sse2(x, y, n);
#endif
  default: {
    float l[32] = {0};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
      for (int j = 0; j < 32; j++) l[j] += x[i + j] * y[i + j];
    dot32_tail(x, y, i, n, l);
    return fold32(l);
  }
  }
}

static void comb(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                 size_t n, int acc) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: comb_avx2(out, x, stride, ncomb, s, n, acc); return;
  case SYM_ISA_SSE2: comb_sse2(out, x, stride, ncomb, s, n, acc); return;
#endif
  default: comb_tail(out, x, stride, ncomb, s, 0, n, acc);
  }
}

/* ---- pieces over the pool ----------------------------------------------------- */

size_t sym_pass_tasks(size_t n) { return n / SYM_PASS_CHUNK + (n % SYM_PASS_CHUNK != 0); }

static size_t piece_len(size_t n, size_t t) {
  size_t a = t * SYM_PASS_CHUNK;
  return n - a < SYM_PASS_CHUNK ? n - a : SYM_PASS_CHUNK;
}

typedef struct stream_job {
  float *p, *m, *v, *e;
  const float *g, *yt;
  size_t n;
  float scale;
  const sym_adam_consts *k;
  float mu, lr, wd, gs;
  double *partial;
} stream_job;

static double ordered_sum(const double *partial, size_t count, size_t stride) {
  double t = 0.0;
  for (size_t i = 0; i < count; i++) t += partial[i * stride];
  return t;
}

static void sumsq_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  j->partial[t] = sumsq_piece(j->g + t * SYM_PASS_CHUNK, piece_len(j->n, t));
}

double sym_pass_sumsq(sym_pool *pool, double *partial, const float *g, size_t n) {
  stream_job j = {.g = g, .n = n, .partial = partial};
  size_t tasks = sym_pass_tasks(n);
  sym_pool_run(pool, tasks, sumsq_task, &j);
  return ordered_sum(partial, tasks, 1);
}

static void sqerr_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[2 * t] =
      sqerr_piece(j->g + a, j->yt + a, j->e + a, piece_len(j->n, t), j->scale, &j->partial[2 * t + 1]);
}

double sym_pass_sqerr(sym_pool *pool, double *partial, const float *ys, const float *yt,
                      float *e, size_t n, float scale, double *label_power) {
  stream_job j = {.g = ys, .yt = yt, .e = e, .n = n, .scale = scale, .partial = partial};
  size_t tasks = sym_pass_tasks(n);
  sym_pool_run(pool, tasks, sqerr_task, &j);
  *label_power = ordered_sum(partial + 1, tasks, 2);
  return ordered_sum(partial, tasks, 2);
}

static void adamw_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK;
  j->partial[t] = (double)adamw_piece(j->p + a, j->g + a, j->m + a, j->v + a, piece_len(j->n, t), j->k);
}

size_t sym_pass_adamw(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                      float *v, size_t n, const sym_adam_consts *k) {
  stream_job j = {.p = p, .g = g, .m = m, .v = v, .n = n, .k = k, .partial = partial};
  size_t tasks = sym_pass_tasks(n);
  sym_pool_run(pool, tasks, adamw_task, &j);
  return (size_t)ordered_sum(partial, tasks, 1);
}

static void sgd_task(void *ctx, size_t t) {
  stream_job *j = ctx;
  size_t a = t * SYM_PASS_CHUNK, len = piece_len(j->n, t), bad = 0;
  float *p = j->p + a, *m = j->m + a;
  const float *g = j->g + a;
  for (size_t i = 0; i < len; i++) {
    float gi = g[i] * j->gs + j->wd * p[i];
    float bi = j->mu * m[i] + gi;
    float np = p[i] - j->lr * bi;
    m[i] = bi;
    if (isfinite(np))
      p[i] = np;
    else
      bad++;
  }
  j->partial[t] = (double)bad;
}

size_t sym_pass_sgd(sym_pool *pool, double *partial, float *p, const float *g, float *m,
                    size_t n, float mu, float lr, float wd, float gs) {
  stream_job j = {.p = p, .g = g, .m = m, .n = n, .mu = mu, .lr = lr, .wd = wd, .gs = gs,
                  .partial = partial};
  size_t tasks = sym_pass_tasks(n);
  sym_pool_run(pool, tasks, sgd_task, &j);
  return (size_t)ordered_sum(partial, tasks, 1);
}

/* ---- the blocks, in pieces of whole rows ---------------------------------- */

/* Gram pieces are cut again into runs of at most this many floats, so that
 * the B runs being paired stay in the first-level cache. */
#define GRAM_RUN ((size_t)1024)

static size_t rows_per_task(const sym_blocks *b) {
  size_t r = SYM_PASS_CHUNK / 2 / (b->rowlen ? b->rowlen : 1);
  return r ? r : 1;
}

size_t sym_pass_block_tasks(const sym_blocks *b) {
  size_t r = rows_per_task(b);
  return b->rows / r + (b->rows % r != 0);
}

typedef struct block_job {
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
    size_t len = end - off < GRAM_RUN ? end - off : GRAM_RUN;
    for (size_t a = 0; a < B; a++)
      for (size_t b = a; b < B; b++)
        out[a * B + b] += dot32(w->w + a * bsz + off, w->w + b * bsz + off, len);
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
  block_job j = {.w = w, .rpt = rows_per_task(w), .partial = partial, .tap = tap,
                 .taps = tapsum ? taps : 0};
  size_t tasks = sym_pass_block_tasks(w), B = w->nblocks, stride = B * (B + j.taps);
  sym_pool_run(pool, tasks, gram_task, &j);
  for (size_t a = 0; a < B; a++)
    for (size_t b = a; b < B; b++)
      gram[a * B + b] = gram[b * B + a] = (float)ordered_sum(partial + a * B + b, tasks, stride);
  for (size_t i = 0; i < B * j.taps; i++)
    tapsum[i] = (float)ordered_sum(partial + B * B + i, tasks, stride);
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
    comb(gb + r0 * L, w->w + r0 * L, bsz, B, j->coef + b * B, (r1 - r0) * L, j->accumulate);
    subtract_taps(j, b, gb + r0 * L, r0, r1);
  }
  /* the finished rows' squares while they are still in cache */
  double sq = 0.0;
  for (size_t b = 0; b < B; b++) sq += sumsq_piece(j->grad + b * bsz + r0 * L, (r1 - r0) * L);
  j->partial[t] = sq;
}

double sym_pass_moment_grad(sym_pool *pool, double *partial, const sym_blocks *w,
                            const float *coef, const int *tap, size_t taps, const float *shift,
                            int accumulate, float *grad) {
  block_job j = {.w = w, .rpt = rows_per_task(w), .partial = partial, .coef = coef,
                 .shift = shift, .tap = tap, .taps = taps, .accumulate = accumulate,
                 .grad = grad};
  size_t tasks = sym_pass_block_tasks(w);
  sym_pool_run(pool, tasks, moment_grad_task, &j);
  return ordered_sum(partial, tasks, 1);
}

/* One row at a time: the row's gradient of every block goes to the
 * thread's scratch (B rows, in cache), and then the row of each block is
 * updated from it.  The same operations as the gradient pass followed by
 * sym_pass_adamw, on the same elements. */
static void moment_adamw_task(void *ctx, size_t t, int worker) {
  block_job *j = ctx;
  const sym_blocks *w = j->w;
  size_t B = w->nblocks, L = w->rowlen, bsz = w->rows * L, r0, r1, bad = 0;
  float *scr = j->scratch + (size_t)worker * B * L;
  task_span(j, t, &r0, &r1);
  for (size_t row = r0; row < r1; row++) {
    for (size_t b = 0; b < B; b++) {
      comb(scr + b * L, w->w + row * L, bsz, B, j->coef + b * B, L, 0);
      subtract_taps(j, b, scr + b * L, row, row + 1);
    }
    for (size_t b = 0; b < B; b++) {
      size_t at = b * bsz + row * L;
      bad += adamw_piece(j->p + at, scr + b * L, j->m + at, j->v + at, L, j->k);
    }
  }
  j->partial[t] = (double)bad;
}

size_t sym_pass_moment_adamw(sym_pool *pool, double *partial, const sym_blocks *w,
                             const float *coef, const int *tap, size_t taps, const float *shift,
                             float *scratch, float *m, float *v, const sym_adam_consts *k) {
  block_job j = {.w = w, .rpt = rows_per_task(w), .partial = partial, .coef = coef,
                 .shift = shift, .tap = tap, .taps = taps, .p = (float *)w->w, .m = m, .v = v,
                 .scratch = scratch, .k = k};
  size_t tasks = sym_pass_block_tasks(w);
  sym_pool_run_workers(pool, tasks, moment_adamw_task, &j);
  return (size_t)ordered_sum(partial, tasks, 1);
}

/* ---- cross products of long rows, in pieces of columns ------------------------
 * cross: out[b] = sum_i e[i] v_b[i] for up to 3 rows v_b at once, so that
 * each element of e is loaded once for all of them; element i in float
 * lane i mod 16 (two independent chains of additions per row on AVX2), the
 * lanes added in double in lane order. */

#define CROSS_BLOCK 3

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

static void cross_scalar(const float *e, const float *v, size_t ldv, size_t nb, size_t n,
                         double *out) {
  float l[CROSS_BLOCK][16] = {{0}};
  cross_tail(e, v, ldv, nb, 0, n, l);
  for (size_t b = 0; b < nb; b++) out[b] = fold16(l[b]);
}

#if SYM_X86
__attribute__((target("avx2"))) static void cross_avx2(const float *e, const float *v,
                                                       size_t ldv, size_t nb, size_t n,
                                                       double *out) {
  __m256 a[CROSS_BLOCK][2];
  for (size_t b = 0; b < CROSS_BLOCK; b++) a[b][0] = a[b][1] = _mm256_setzero_ps();
  size_t i = 0;
  if (nb == CROSS_BLOCK)
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
  float l[CROSS_BLOCK][16];
  for (size_t b = 0; b < nb; b++) {
    _mm256_storeu_ps(l[b], a[b][0]);
    _mm256_storeu_ps(l[b] + 8, a[b][1]);
  }
  cross_tail(e, v, ldv, nb, i, n, l);
  for (size_t b = 0; b < nb; b++) out[b] = fold16(l[b]);
}

static void cross_sse2(const float *e, const float *v, size_t ldv, size_t nb, size_t n,
                       double *out) {
  __m128 a[CROSS_BLOCK][4];
  for (size_t b = 0; b < CROSS_BLOCK; b++)
    for (int k = 0; k < 4; k++) a[b][k] = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (size_t b = 0; b < nb; b++) {
      const float *vb = v + b * ldv + i;
      for (int k = 0; k < 4; k++)
        a[b][k] = _mm_add_ps(a[b][k], _mm_mul_ps(_mm_loadu_ps(e + i + 4 * k),
                                                 _mm_loadu_ps(vb + 4 * k)));
    }
  float l[CROSS_BLOCK][16];
  for (size_t b = 0; b < nb; b++)
    for (int k = 0; k < 4; k++) _mm_storeu_ps(l[b] + 4 * k, a[b][k]);
  cross_tail(e, v, ldv, nb, i, n, l);
  for (size_t b = 0; b < nb; b++) out[b] = fold16(l[b]);
}
#endif

static void cross(const float *e, const float *v, size_t ldv, size_t nb, size_t n, double *out) {
  switch (vec_isa()) {
#if SYM_X86
  case SYM_ISA_AVX2: cross_avx2(e, v, ldv, nb, n, out); return;
  case SYM_ISA_SSE2: cross_sse2(e, v, ldv, nb, n, out); return;
#endif
  default: cross_scalar(e, v, ldv, nb, n, out);
  }
}

/* Columns per piece: the piece's rows of v stay in the first- or
 * second-level cache while the rows of e go by. */
#define CROSS_COLS ((size_t)1024)

size_t sym_pass_cross_tasks(size_t len) { return len / CROSS_COLS + (len % CROSS_COLS != 0); }

/* out[r][b] = cross of row r of e (m rows of n floats, stride lde) with
 * row b of v (kv rows, stride ldv); returns the sum of squares of e, taken
 * row by row while the row is in cache. */
static double cross_rows(const float *e, size_t lde, const float *v, size_t ldv, size_t m,
                         size_t kv, size_t n, double *out) {
  double sq = 0.0;
  for (size_t r = 0; r < m; r++) {
    const float *er = e + r * lde;
    for (size_t b = 0; b < kv; b += CROSS_BLOCK) {
      size_t nb = kv - b < CROSS_BLOCK ? kv - b : CROSS_BLOCK;
      cross(er, v + b * ldv, ldv, nb, n, out + r * kv + b);
    }
    sq += sumsq_piece(er, n);
  }
  return sq;
}

typedef struct cross_job {
  const float *e, *v;
  size_t m, kv, len;
  double *partial;
} cross_job;

/* a task's partial: m * kv cross sums, then the sum of squares of e */
static void cross_task(void *ctx, size_t t) {
  const cross_job *j = ctx;
  size_t a = t * CROSS_COLS, n = j->len - a < CROSS_COLS ? j->len - a : CROSS_COLS;
  size_t stride = j->m * j->kv + 1;
  double *out = j->partial + t * stride;
  out[stride - 1] = cross_rows(j->e + a, j->len, j->v + a, j->len, j->m, j->kv, n, out);
}

double sym_pass_cross(sym_pool *pool, double *partial, const float *e, size_t m, const float *v,
                      size_t kv, size_t len, float alpha, float *out) {
  cross_job j = {e, v, m, kv, len, partial};
  size_t tasks = sym_pass_cross_tasks(len), stride = m * kv + 1;
  sym_pool_run(pool, tasks, cross_task, &j);
  for (size_t r = 0; r < m; r++)
    for (size_t b = 0; b < kv; b++)
      out[r * kv + b] = (float)(alpha * ordered_sum(partial + r * kv + b, tasks, stride));
  return ordered_sum(partial + stride - 1, tasks, stride);
}

typedef struct error_job {
  const float *a, *vc, *ct;
  size_t kaug, m, kv, len;
  float *scratch, *dv;
  double *partial;
} error_job;

/* One piece of columns: E's piece in the thread's scratch, then the cross
 * sums and E's sum of squares as cross_task takes them, then dV's piece. */
static void error_task(void *ctx, size_t t, int worker) {
  const error_job *j = ctx;
  size_t a = t * CROSS_COLS, n = j->len - a < CROSS_COLS ? j->len - a : CROSS_COLS;
  size_t stride = j->m * j->kv + 1;
  float *e = j->scratch + (size_t)worker * j->m * CROSS_COLS;
  sym_pass_prod(j->a, j->kaug, j->vc + a, j->len, e, n, j->m, n, j->kaug);
  double *out = j->partial + t * stride;
  out[stride - 1] = cross_rows(e, n, j->vc + a, j->len, j->m, j->kv, n, out);
  sym_pass_prod(j->ct, j->m, e, n, j->dv + a, j->len, j->kv, n, j->m);
}

double sym_pass_error(sym_pool *pool, double *partial, const float *a, size_t kaug,
                      const float *vc, size_t m, size_t kv, size_t len, const float *ct,
                      float alpha, float *scratch, float *dc, float *dv) {
  error_job j = {a, vc, ct, kaug, m, kv, len, scratch, dv, partial};
  size_t tasks = sym_pass_cross_tasks(len), stride = m * kv + 1;
  sym_pool_run_workers(pool, tasks, error_task, &j);
  for (size_t r = 0; r < m; r++)
    for (size_t b = 0; b < kv; b++)
      dc[r * kv + b] = (float)(alpha * ordered_sum(partial + r * kv + b, tasks, stride));
  return ordered_sum(partial + stride - 1, tasks, stride);
}

size_t sym_pass_error_floats(size_t m) { return m * CROSS_COLS; }

/* ---- a product of short inner dimension, and the update that consumes it ----
 * prod: out[r][c] = sum_k a[r][k] b[k][c] (m x n, inner dimension K), each
 * element one chain of fused multiply-adds in k order from zero, so that
 * every path gives the same bits: AVX-512 (two vectors of 16 by 6 rows),
 * AVX2 with FMA (two of 8 by 6 rows), and scalar fmaf.  The rows of a
 * block of 6 share each load of b; the block's b panel (K x 32 floats)
 * stays in the first-level cache across the blocks of rows. */

#define PROD_ROWS 6

static void prod_scalar(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                        size_t ldo, size_t m, size_t n, size_t K) {
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < n; c++) {
      float t = 0.0f;
      for (size_t k = 0; k < K; k++) t = fmaf(a[r * lda + k], b[k * ldb + c], t);
      out[r * ldo + c] = t;
    }
}

#if SYM_X86
__attribute__((target("avx512f"))) static void prod_avx512(const float *a, size_t lda,
                                                           const float *b, size_t ldb, float *out,
                                                           size_t ldo, size_t m, size_t n,
                                                           size_t K) {
  size_t c0 = 0;
  for (; c0 + 32 <= n; c0 += 32) {
    size_t r = 0;
    for (; r + PROD_ROWS <= m; r += PROD_ROWS) {
      __m512 acc[PROD_ROWS][2];
      for (int i = 0; i < PROD_ROWS; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
      for (size_t k = 0; k < K; k++) {
        __m512 x0 = _mm512_loadu_ps(b + k * ldb + c0), x1 = _mm512_loadu_ps(b + k * ldb + c0 + 16);
#pragma GCC unroll 6
        for (int i = 0; i < PROD_ROWS; i++) {
          __m512 ai = _mm512_set1_ps(a[(r + (size_t)i) * lda + k]);
          acc[i][0] = _mm512_fmadd_ps(ai, x0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps(ai, x1, acc[i][1]);
        }
      }
      for (int i = 0; i < PROD_ROWS; i++) {
        _mm512_storeu_ps(out + (r + (size_t)i) * ldo + c0, acc[i][0]);
        _mm512_storeu_ps(out + (r + (size_t)i) * ldo + c0 + 16, acc[i][1]);
      }
    }
    for (; r < m; r++) {
      __m512 t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
      for (size_t k = 0; k < K; k++) {
        __m512 ai = _mm512_set1_ps(a[r * lda + k]);
        t0 = _mm512_fmadd_ps(ai, _mm512_loadu_ps(b + k * ldb + c0), t0);
        t1 = _mm512_fmadd_ps(ai, _mm512_loadu_ps(b + k * ldb + c0 + 16), t1);
      }
      _mm512_storeu_ps(out + r * ldo + c0, t0);
      _mm512_storeu_ps(out + r * ldo + c0 + 16, t1);
    }
  }
  /* the last columns, 16 at a time, the final ones masked */
  for (; c0 < n; c0 += 16) {
    size_t w = n - c0 < 16 ? n - c0 : 16;
    __mmask16 mask = (__mmask16)((1u << w) - 1u);
    for (size_t r = 0; r < m; r++) {
      __m512 t = _mm512_setzero_ps();
      for (size_t k = 0; k < K; k++)
        t = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + k]),
                            _mm512_maskz_loadu_ps(mask, b + k * ldb + c0), t);
      _mm512_mask_storeu_ps(out + r * ldo + c0, mask, t);
    }
  }
}

__attribute__((target("avx2,fma"))) static void prod_avx2(const float *a, size_t lda,
                                                         const float *b, size_t ldb, float *out,
                                                         size_t ldo, size_t m, size_t n,
                                                         size_t K) {
  size_t c0 = 0;
  for (; c0 + 16 <= n; c0 += 16) {
    size_t r = 0;
    for (; r + PROD_ROWS <= m; r += PROD_ROWS) {
      __m256 acc[PROD_ROWS][2];
      for (int i = 0; i < PROD_ROWS; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
      for (size_t k = 0; k < K; k++) {
        __m256 x0 = _mm256_loadu_ps(b + k * ldb + c0), x1 = _mm256_loadu_ps(b + k * ldb + c0 + 8);
#pragma GCC unroll 6
        for (int i = 0; i < PROD_ROWS; i++) {
          __m256 ai = _mm256_set1_ps(a[(r + (size_t)i) * lda + k]);
          acc[i][0] = _mm256_fmadd_ps(ai, x0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps(ai, x1, acc[i][1]);
        }
      }
      for (int i = 0; i < PROD_ROWS; i++) {
        _mm256_storeu_ps(out + (r + (size_t)i) * ldo + c0, acc[i][0]);
        _mm256_storeu_ps(out + (r + (size_t)i) * ldo + c0 + 8, acc[i][1]);
      }
    }
    for (; r < m; r++) {
      __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
      for (size_t k = 0; k < K; k++) {
        __m256 ai = _mm256_set1_ps(a[r * lda + k]);
        t0 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(b + k * ldb + c0), t0);
        t1 = _mm256_fmadd_ps(ai, _mm256_loadu_ps(b + k * ldb + c0 + 8), t1);
      }
      _mm256_storeu_ps(out + r * ldo + c0, t0);
      _mm256_storeu_ps(out + r * ldo + c0 + 8, t1);
    }
  }
  /* the last columns, 8 at a time, the final ones masked */
  for (; c0 < n; c0 += 8) {
    size_t w = n - c0 < 8 ? n - c0 : 8;
    int lanes[8];
    for (int j = 0; j < 8; j++) lanes[j] = (size_t)j < w ? -1 : 0;
    __m256i mask = _mm256_loadu_si256((const __m256i *)lanes);
    for (size_t r = 0; r < m; r++) {
      __m256 t = _mm256_setzero_ps();
      for (size_t k = 0; k < K; k++)
        t = _mm256_fmadd_ps(_mm256_set1_ps(a[r * lda + k]),
                            _mm256_maskload_ps(b + k * ldb + c0, mask), t);
      _mm256_maskstore_ps(out + r * ldo + c0, mask, t);
    }
  }
}
#endif

void sym_pass_prod(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                   size_t ldo, size_t m, size_t n, size_t K) {
  switch (isa()) {
#if SYM_X86
  case SYM_ISA_AVX512: prod_avx512(a, lda, b, ldb, out, ldo, m, n, K); return;
  case SYM_ISA_AVX2:
    if (have_fma()) {
      prod_avx2(a, lda, b, ldb, out, ldo, m, n, K);
      return;
    }
    break;
#endif
  default: break;
  }
  prod_scalar(a, lda, b, ldb, out, ldo, m, n, K);
}

int sym_pass_prod_fast(void) {
#if SYM_X86
  int i = isa();
  return i == SYM_ISA_AVX512 || (i == SYM_ISA_AVX2 && have_fma());
#else
  return 0;
#endif
}

/* Tasks of rows whose gradient (rows x n floats) fills about this many
 * bytes of the thread's scratch, in the second-level cache. */
#define PROD_TASK_BYTES ((size_t)96 * 1024)

size_t sym_pass_prod_rows(size_t n) {
  size_t r = PROD_TASK_BYTES / (n ? n * sizeof(float) : 1);
  r -= r % PROD_ROWS;
  return r ? r : PROD_ROWS;
}

typedef struct prod_job {
  const float *a, *b;
  size_t lda, ldb, m, n, K, rpt;
  float *p, *mo, *v, *scratch;
  const sym_adam_consts *k;
  double *partial;
} prod_job;

static void prod_adamw_task(void *ctx, size_t t, int worker) {
  prod_job *j = ctx;
  size_t r0 = t * j->rpt, rb = j->m - r0 < j->rpt ? j->m - r0 : j->rpt;
  float *g = j->scratch + (size_t)worker * j->rpt * j->n;
  sym_pass_prod(j->a + r0 * j->lda, j->lda, j->b, j->ldb, g, j->n, rb, j->n, j->K);
  size_t at = r0 * j->n;
  j->partial[t] = (double)adamw_piece(j->p + at, g, j->mo + at, j->v + at, rb * j->n, j->k);
}

size_t sym_pass_prod_adamw(sym_pool *pool, double *partial, const float *a, size_t lda,
                           const float *b, size_t ldb, size_t m, size_t n, size_t K,
                           float *scratch, float *p, float *mo, float *v,
                           const sym_adam_consts *k) {
  size_t rpt = sym_pass_prod_rows(n), tasks = m / rpt + (m % rpt != 0);
  prod_job j = {a, b, lda, ldb, m, n, K, rpt, p, mo, v, scratch, k, partial};
  sym_pool_run_workers(pool, tasks, prod_adamw_task, &j);
  return (size_t)ordered_sum(partial, tasks, 1);
}
