#include <math.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void sym_rng_seed(sym_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->have_spare = 0;
  r->spare = 0.0;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sym_rng_next(sym_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double sym_rng_uniform(sym_rng *r) { return (double)(sym_rng_next(r) >> 11) * 0x1.0p-53; }

double sym_rng_normal(sym_rng *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1, u2;
  do {
    u1 = sym_rng_uniform(r);
  } while (u1 <= 0.0);
  u2 = sym_rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1));
  double ang = 6.283185307179586476925286766559 * u2;
  r->spare = rad * sin(ang);
  r->have_spare = 1;
  return rad * cos(ang);
}

uint64_t sym_rng_below(sym_rng *r, uint64_t n) {
  /* Lemire-free simple rejection: unbiased. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    v = sym_rng_next(r);
  } while (v >= limit);
  return v % n;
}

void sym_rng_fill_normal(sym_rng *r, float *out, size_t n, float scale) {
  for (size_t i = 0; i < n; i++) out[i] = (float)(sym_rng_normal(r) * scale);
}

/* Marsaglia's polar method: a pair of deviates from a point drawn
 * uniformly in the unit disc, with one logarithm and no trigonometric
 * call.  The trainer's Gaussian inputs, which are drawn every step. */
void sym_rng_fill_normal_polar(sym_rng *r, float *out, size_t n, float scale) {
  size_t i = 0;
  while (i < n) {
    double u, v, s;
    do {
      u = 2.0 * sym_rng_uniform(r) - 1.0;
      v = 2.0 * sym_rng_uniform(r) - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s) * scale;
    out[i++] = (float)(u * f);
    if (i < n) out[i++] = (float)(v * f);
  }
}
