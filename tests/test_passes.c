/* White-box: the worker pool and the trainer's passes (lib/common/pool.h,
 * lib/train/passes.h).  Every task runs exactly once whatever the thread
 * count; every pass gives the same bits on the scalar, SSE2, AVX2 and
 * AVX-512 paths and with 1, 2 or 3 threads, and agrees with a
 * double-precision reference; the gram kernel of every path adds each
 * pair's dot32 exactly;
 * the moment gradient follows its documented order of operations exactly
 * (and the sum of squares that comes with it is right), and the fused
 * update that forms it on the way is exactly that gradient followed by
 * AdamW; the pool tells tasks their thread's number; the cross pass of
 * the stochastic step's dC agrees with a long double reference. */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "passes.h"
#include "pool.h"
#include "hooks.h"
#include "trainer_priv.h"

/* ---- the pool ------------------------------------------------------------ */

typedef struct count_ctx {
  atomic_int *hits;
} count_ctx;

static void count_task(void *ctx, size_t t) {
  count_ctx *c = ctx;
  atomic_fetch_add(&c->hits[t], 1);
}

START_TEST(pool_runs_every_task_exactly_once) {
  enum { REPS = 300 };
  size_t sizes[] = {0, 1, 2, 3, 7, 64, 1000};
  for (int threads = 1; threads <= 4; threads++) {
    sym_pool *pool = NULL;
    ck_assert_int_eq(sym_pool_create(&pool, threads), SYMCLONE_OK);
    ck_assert_int_eq(sym_pool_threads(pool), threads);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      size_t n = sizes[si];
      atomic_int *hits = calloc(n ? n : 1, sizeof *hits);
      count_ctx c = {hits};
      for (int r = 0; r < REPS; r++) sym_pool_run(pool, n, count_task, &c);
      for (size_t t = 0; t < n; t++)
        ck_assert_msg(atomic_load(&hits[t]) == REPS, "threads %d, %zu tasks: task %zu ran %d times",
                      threads, n, t, atomic_load(&hits[t]));
      free(hits);
    }
    sym_pool_free(pool);
  }
  /* no pool: the caller runs the tasks */
  atomic_int hits[5] = {0};
  count_ctx c = {hits};
  sym_pool_run(NULL, 5, count_task, &c);
  for (int t = 0; t < 5; t++) ck_assert_int_eq(atomic_load(&hits[t]), 1);
  ck_assert_int_eq(sym_pool_threads(NULL), 1);
  sym_pool *p = NULL;
  ck_assert_int_eq(sym_pool_create(&p, 0), SYMCLONE_ERR_ARG);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(sym_pool_create(NULL, 2), SYMCLONE_ERR_NULL);
  sym_pool_free(NULL);
}
END_TEST

/* Tasks that are told their thread's number: every number is below the
 * thread count, and no two threads run under the same number at once (each
 * task marks its number busy while it runs). */
typedef struct worker_ctx {
  atomic_int *hits;
  atomic_int busy[8];
  atomic_int clash, range;
  int threads;
} worker_ctx;

static void worker_task(void *ctx, size_t t, int who) {
  worker_ctx *c = ctx;
  if (who < 0 || who >= c->threads) {
    atomic_store(&c->range, 1);
    return;
  }
  if (atomic_fetch_add(&c->busy[who], 1) != 0) atomic_store(&c->clash, 1);
  atomic_fetch_add(&c->hits[t], 1);
  for (volatile int spin = 0; spin < 200; spin++) {
  }
  atomic_fetch_sub(&c->busy[who], 1);
}

START_TEST(pool_tells_tasks_their_thread) {
  enum { N = 500 };
  for (int threads = 1; threads <= 4; threads++) {
    sym_pool *pool = NULL;
    if (threads > 1) ck_assert_int_eq(sym_pool_create(&pool, threads), SYMCLONE_OK);
    atomic_int *hits = calloc(N, sizeof *hits);
    worker_ctx c = {.hits = hits, .threads = threads};
    for (int r = 0; r < 20; r++) sym_pool_run_workers(pool, N, worker_task, &c);
    ck_assert_msg(!atomic_load(&c.range), "%d threads: a thread number out of range", threads);
    ck_assert_msg(!atomic_load(&c.clash), "%d threads: one number on two threads at once", threads);
    for (size_t t = 0; t < N; t++) ck_assert_int_eq(atomic_load(&hits[t]), 20);
    free(hits);
    sym_pool_free(pool);
  }
}
END_TEST

/* ---- test data ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static float uniform(void) { /* in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *random_floats(size_t n, float scale) {
  float *a = malloc(n * sizeof *a);
  for (size_t i = 0; i < n; i++) a[i] = scale * uniform();
  return a;
}

static float *copy_floats(const float *a, size_t n) {
  float *b = malloc(n * sizeof *b);
  memcpy(b, a, n * sizeof *b);
  return b;
}

/* The paths this CPU can take, best last. */
static int isas[4], nisas;

static void find_isas(void) {
  nisas = 0;
  for (int isa = SYM_ISA_SCALAR; isa <= SYM_ISA_AVX512; isa++) {
    sym_kernels_force_isa(isa);
    if (sym_pass_isa() == isa) isas[nisas++] = isa;
  }
  sym_kernels_force_isa(0);
}

/* Every combination of path and thread count, the scalar serial run first. */
typedef struct variant {
  int isa, threads;
  sym_pool *pool;
} variant;

static int variants(variant *v) {
  find_isas();
  int n = 0;
  for (int i = 0; i < nisas; i++)
    for (int threads = 1; threads <= 3; threads++) {
      v[n] = (variant){isas[i], threads, NULL};
      if (threads > 1) ck_assert_int_eq(sym_pool_create(&v[n].pool, threads), SYMCLONE_OK);
      n++;
    }
  return n;
}

static void free_variants(variant *v, int n) {
  for (int i = 0; i < n; i++) sym_pool_free(v[i].pool);
  sym_kernels_force_isa(0);
}

/* ---- streaming passes --------------------------------------------------- */

/* not a multiple of the piece, of 8 or of 32; many pieces, of magnitudes
 * far apart, so that any other order of adding their partials shows */
#define LEN (37 * SYM_PASS_CHUNK + 37)

START_TEST(streaming_passes_same_bits_every_path_and_thread_count) {
  variant v[12];
  int nv = variants(v);
  ck_assert_int_ge(nv, 3);
  double *partial = malloc(2 * sym_pass_tasks(LEN) * sizeof *partial);
  ck_assert_uint_eq(sym_pass_tasks(LEN), 38);
  ck_assert_uint_eq(sym_pass_tasks(SYM_PASS_CHUNK), 1);
  ck_assert_uint_eq(sym_pass_tasks(0), 0);
  float *g = random_floats(LEN, 3.0f), *yt = random_floats(LEN, 2.0f);
  float *p0 = random_floats(LEN, 1.0f), *m0 = random_floats(LEN, 0.1f);
  for (size_t i = 0; i < LEN; i++) {
    float mag = powf(10.0f, (float)((i / SYM_PASS_CHUNK) % 7) - 3.0f);
    g[i] *= mag;
    yt[i] *= mag;
  }
  float *v0 = malloc(LEN * sizeof *v0);
  for (size_t i = 0; i < LEN; i++) v0[i] = 0.01f * fabsf(uniform());
  /* two parameters whose update cannot be finite keep their values */
  p0[5] = INFINITY;
  p0[LEN - 2] = NAN;
  sym_adam_consts k = {0.9f, 0.999f, 0.1f, 0.001f, 1e-3f, 1.2f, 1e-8f, 0.9999f, 0.5f};

  long double ref_sq = 0, ref_err = 0, ref_pow = 0;
  for (size_t i = 0; i < LEN; i++) {
    ref_sq += (long double)g[i] * g[i];
    float d = g[i] - yt[i]; /* the pass's difference is a float */
    ref_err += (long double)d * d;
    ref_pow += (long double)yt[i] * yt[i];
  }

  double sq0 = 0, err0 = 0, pow0 = 0;
  float *e0 = NULL, *pa0 = NULL, *ma0 = NULL, *va0 = NULL, *ps0 = NULL, *ms0 = NULL;
  size_t bad_a0 = 0, bad_s0 = 0;
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    double sq = sym_pass_sumsq(v[vi].pool, partial, g, LEN), pw;
    float *e = malloc(LEN * sizeof *e);
    double err = sym_pass_sqerr(v[vi].pool, partial, g, yt, e, LEN, 0.25f, &pw);
    float *pa = copy_floats(p0, LEN), *ma = copy_floats(m0, LEN), *va = copy_floats(v0, LEN);
    size_t bad_a = sym_pass_adamw(v[vi].pool, partial, pa, g, ma, va, LEN, &k);
    float *ps = copy_floats(p0, LEN), *ms = copy_floats(m0, LEN);
    size_t bad_s = sym_pass_sgd(v[vi].pool, partial, ps, g, ms, LEN, 0.9f, 1e-2f, 1e-4f, 0.5f);
    if (vi == 0) {
      sq0 = sq, err0 = err, pow0 = pw, bad_a0 = bad_a, bad_s0 = bad_s;
      e0 = e, pa0 = pa, ma0 = ma, va0 = va, ps0 = ps, ms0 = ms;
      ck_assert_double_le(fabs(sq - (double)ref_sq), 1e-12 * (double)ref_sq);
      ck_assert_double_le(fabs(err - (double)ref_err), 1e-12 * (double)ref_err);
      ck_assert_double_le(fabs(pw - (double)ref_pow), 1e-12 * (double)ref_pow);
      ck_assert_uint_eq(bad_a, 2);
      ck_assert_uint_eq(bad_s, 2);
      ck_assert(isinf(pa[5]) && isnan(pa[LEN - 2]));
      ck_assert_float_eq(e[7], 0.25f * (g[7] - yt[7]));
      continue;
    }
    ck_assert_msg(memcmp(&sq, &sq0, sizeof sq) == 0 && memcmp(&err, &err0, sizeof err) == 0 &&
                      memcmp(&pw, &pow0, sizeof pw) == 0,
                  "isa %d, %d threads: sums differ", v[vi].isa, v[vi].threads);
    ck_assert_uint_eq(bad_a, bad_a0);
    ck_assert_uint_eq(bad_s, bad_s0);
    ck_assert_msg(memcmp(e, e0, LEN * sizeof *e) == 0 && memcmp(pa, pa0, LEN * sizeof *pa) == 0 &&
                      memcmp(ma, ma0, LEN * sizeof *ma) == 0 &&
                      memcmp(va, va0, LEN * sizeof *va) == 0 &&
                      memcmp(ps, ps0, LEN * sizeof *ps) == 0 &&
                      memcmp(ms, ms0, LEN * sizeof *ms) == 0,
                  "isa %d, %d threads: arrays differ", v[vi].isa, v[vi].threads);
    free(e), free(pa), free(ma), free(va), free(ps), free(ms);
  }
  free(e0), free(pa0), free(ma0), free(va0), free(ps0), free(ms0);
  free(g), free(yt), free(p0), free(m0), free(v0), free(partial);
  free_variants(v, nv);
}
END_TEST

/* ---- the blocks' passes -------------------------------------------------- */

typedef struct geometry {
  size_t B, rows, rowlen, taps;
} geometry;

/* small and odd; one that is cut into several pieces (8192 / 300 = 27 rows
 * a piece: 4 pieces); one whose rows the fused update cuts into pieces of
 * columns (1100: three of 368, 368 and 364), with taps in each */
static const geometry geos[] = {
    {1, 5, 7, 3}, {5, 13, 37, 9}, {9, 26, 28, 9}, {12, 100, 300, 25}, {9, 7, 1100, 9}};
#define NGEOS 5

/* A tap table: distinct columns in a row, some outside (-1). */
static int *make_taps(const geometry *ge) {
  size_t rows = ge->rows, L = ge->rowlen, T = ge->taps;
  int *tap = malloc(rows * T * sizeof *tap);
  for (size_t r = 0; r < rows; r++)
    for (size_t q = 0; q < T; q++) {
      size_t col = L > 512 ? (r + 3 * q + 370 * (q % 3)) % L : (r + 3 * q) % L;
      tap[r * T + q] = (q + r) % 5 == 4 || q >= L ? -1 : (int)col;
      for (size_t q2 = 0; q2 < q; q2++)
        if (tap[r * T + q2] == tap[r * T + q]) tap[r * T + q] = -1;
    }
  return tap;
}

START_TEST(gram_same_bits_and_accurate) {
  const geometry *ge = &geos[_i];
  sym_blocks blk;
  size_t bsz = ge->rows * ge->rowlen, B = ge->B, T = ge->taps;
  float *w = random_floats(B * bsz, 1.0f);
  int *tap = make_taps(ge);
  blk = (sym_blocks){w, B, ge->rows, ge->rowlen};
  double *partial = malloc(sym_pass_block_tasks(&blk) * B * (B + T) * sizeof *partial);
  if (_i == 3) ck_assert_uint_eq(sym_pass_block_tasks(&blk), 4);
  variant v[12];
  int nv = variants(v);
  float *g0 = malloc(B * B * sizeof *g0), *g = malloc(B * B * sizeof *g);
  float *z0 = malloc(B * T * sizeof *z0), *z = malloc(B * T * sizeof *z);
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    sym_pass_gram(v[vi].pool, partial, &blk, tap, T, vi ? g : g0, vi ? z : z0);
    if (vi)
      ck_assert_msg(memcmp(g, g0, B * B * sizeof *g) == 0 && memcmp(z, z0, B * T * sizeof *z) == 0,
                    "isa %d, %d threads", v[vi].isa, v[vi].threads);
    /* without the tap sums: the same Gram matrix */
    sym_pass_gram(v[vi].pool, partial, &blk, tap, T, g, NULL);
    ck_assert_msg(memcmp(g, g0, B * B * sizeof *g) == 0, "isa %d, %d threads, no tap sums",
                  v[vi].isa, v[vi].threads);
  }
  for (size_t b = 0; b < B; b++)
    for (size_t q = 0; q < T; q++) {
      double ref = 0.0, mag = 0.0;
      for (size_t r = 0; r < ge->rows; r++)
        if (tap[r * T + q] >= 0) {
          ref += w[b * bsz + r * ge->rowlen + (size_t)tap[r * T + q]];
          mag += fabs(w[b * bsz + r * ge->rowlen + (size_t)tap[r * T + q]]);
        }
      ck_assert_msg(fabs(z0[b * T + q] - ref) <= 1e-6 * mag + 1e-30, "z[%zu][%zu] = %g, not %g", b,
                    q, (double)z0[b * T + q], ref);
    }
  free(tap), free(z0), free(z);
  for (size_t a = 0; a < B; a++)
    for (size_t b = 0; b < B; b++) {
      double ref = 0, na = 0, nb = 0;
      for (size_t i = 0; i < bsz; i++) {
        ref += (double)w[a * bsz + i] * w[b * bsz + i];
        na += (double)w[a * bsz + i] * w[a * bsz + i];
        nb += (double)w[b * bsz + i] * w[b * bsz + i];
      }
      ck_assert_msg(fabs(g0[a * B + b] - ref) <= 1e-6 * sqrt(na * nb), "G[%zu][%zu] = %g, not %g",
                    a, b, (double)g0[a * B + b], ref);
      ck_assert_float_eq(g0[a * B + b], g0[b * B + a]);
    }
  free_variants(v, nv);
  free(g0), free(g), free(w), free(partial);
}
END_TEST

/* The gram kernel of every path adds to each entry of the upper triangle
 * exactly the scalar dot32 of its two rows (lanes, fold and all: the same
 * bits), leaves the lower triangle alone, and does so for any number of
 * rows (more and fewer than a register group holds), any length (with and
 * without a tail past the last 32 floats) and any prefetch distance. */
START_TEST(gram_kernel_is_dot32_of_every_pair) {
  static const size_t nbs[] = {1, 2, 3, 7, 8, 9, 12, 17};
  static const size_t ns[] = {0, 1, 5, 31, 32, 33, 64, 96, 100, 1024, 1056};
  const size_t maxn = 1056, pad = 40, stride = maxn + pad, maxnb = 17;
  float *x = random_floats(maxnb * stride, 1.0f);
  for (size_t i = 0; i < maxnb * stride; i++) x[i] *= powf(10.0f, (float)(i % 7) - 3.0f);
  double out0[17 * 17], ref[17 * 17], out[17 * 17];
  for (size_t i = 0; i < maxnb * maxnb; i++) out0[i] = (double)uniform();
  find_isas();
  ck_assert_int_ge(nisas, 1);
  for (int ii = 0; ii < nisas; ii++) {
    sym_kernels_force_isa(isas[ii]);
    const sym_kernels *kern = sym_kernels_get();
    ck_assert_int_eq(kern->isa, isas[ii]);
    for (size_t bi = 0; bi < sizeof nbs / sizeof nbs[0]; bi++)
      for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
        size_t nb = nbs[bi], n = ns[ni];
        sym_kernels_force_isa(SYM_ISA_SCALAR);
        const sym_kernels *sk = sym_kernels_get();
        memcpy(ref, out0, nb * nb * sizeof *ref);
        for (size_t a = 0; a < nb; a++)
          for (size_t b = a; b < nb; b++)
            ref[a * nb + b] += sk->dot32(x + a * stride, x + b * stride, n);
        sym_kernels_force_isa(isas[ii]);
        for (size_t ahead = 0; ahead <= pad; ahead += pad) {
          memcpy(out, out0, nb * nb * sizeof *out);
          kern->gram(x, stride, nb, n, ahead, out);
          ck_assert_msg(memcmp(out, ref, nb * nb * sizeof *out) == 0,
                        "isa %d, %zu rows of %zu floats, ahead %zu: not dot32's bits", isas[ii], nb,
                        n, ahead);
        }
      }
  }
  sym_kernels_force_isa(0);
  free(x);
}
END_TEST

/* grad_b = sum_c coef[b][c] W_c (terms added in c order, the first a plain
 * product), then + the old gradient when accumulating, then the tap
 * shifts subtracted: the documented order, reproduced here in scalar code.
 * The pass also returns the gradient's sum of squares. */
START_TEST(moment_gradient_follows_its_definition_exactly) {
  const geometry *ge = &geos[_i];
  size_t B = ge->B, rows = ge->rows, L = ge->rowlen, bsz = rows * L, T = ge->taps;
  float *w = random_floats(B * bsz, 1.0f), *coef = random_floats(B * B, 0.5f);
  float *shift = random_floats(B * T, 0.3f), *old = random_floats(B * bsz, 1.0f);
  int *tap = make_taps(ge);
  sym_blocks blk = {w, B, rows, L};
  for (int accumulate = 0; accumulate < 2; accumulate++) {
    float *ref = copy_floats(old, B * bsz);
    for (size_t b = 0; b < B; b++) {
      for (size_t i = 0; i < bsz; i++) {
        float t = coef[b * B] * w[i];
        for (size_t c = 1; c < B; c++) t = t + coef[b * B + c] * w[c * bsz + i];
        ref[b * bsz + i] = accumulate ? ref[b * bsz + i] + t : t;
      }
      for (size_t r = 0; r < rows; r++)
        for (size_t q = 0; q < T; q++)
          if (tap[r * T + q] >= 0) ref[b * bsz + r * L + (size_t)tap[r * T + q]] -= shift[b * T + q];
    }
    double refsq = 0.0;
    for (size_t i = 0; i < B * bsz; i++) refsq += (double)ref[i] * ref[i];
    double *partial = malloc(sym_pass_block_tasks(&blk) * sizeof *partial);
    double sq0 = 0.0;
    variant v[12];
    int nv = variants(v);
    for (int vi = 0; vi < nv; vi++) {
      sym_kernels_force_isa(v[vi].isa);
      float *grad = copy_floats(old, B * bsz);
      double sq = sym_pass_moment_grad(v[vi].pool, partial, &blk, coef, tap, T, shift, accumulate,
                                       grad);
      ck_assert_msg(memcmp(grad, ref, B * bsz * sizeof *grad) == 0,
                    "isa %d, %d threads, accumulate %d: differs from the definition", v[vi].isa,
                    v[vi].threads, accumulate);
      /* the sum of squares that comes with it: the same bits on every path */
      if (vi == 0) sq0 = sq;
      ck_assert_msg(memcmp(&sq, &sq0, sizeof sq) == 0, "isa %d, %d threads: sum of squares %.17g, not %.17g",
                    v[vi].isa, v[vi].threads, sq, sq0);
      ck_assert_msg(fabs(sq - refsq) <= 1e-9 * refsq, "sum of squares %.17g, not %.17g", sq, refsq);
      free(grad);
    }
    free(partial);
    free_variants(v, nv);
    free(ref);
  }
  free(w), free(coef), free(shift), free(old), free(tap);
}
END_TEST

/* The fused update of the moment objective changes the blocks and the two
 * moments exactly as the gradient pass followed by the AdamW pass does, on
 * every path and thread count, and counts the same parameters that keep
 * their value (a block with a huge entry makes some updates overflow). */
START_TEST(moment_adamw_is_gradient_then_adamw) {
  const geometry *ge = &geos[_i];
  size_t B = ge->B, rows = ge->rows, L = ge->rowlen, bsz = rows * L, T = ge->taps, n = B * bsz;
  float *w = random_floats(n, 1.0f), *coef = random_floats(B * B, 0.5f);
  float *shift = random_floats(B * T, 0.3f);
  float *m0 = random_floats(n, 0.1f), *v0 = random_floats(n, 0.1f);
  for (size_t i = 0; i < n; i++) v0[i] = v0[i] * v0[i];
  int *tap = make_taps(ge);
  if (_i == 2) { /* updates that overflow */
    coef[0] = 3e38f;
    w[5] = 3e38f;
  }
  sym_adam_consts k = {0.9f, 0.999f, 0.1f, 0.001f, 1e-2f, 1.25f, 1e-8f, 0.9999f, 0.75f};
  /* the reference: the gradient, then AdamW, scalar and serial */
  sym_kernels_force_isa(SYM_ISA_SCALAR);
  sym_blocks blk = {w, B, rows, L};
  float *grad = malloc(n * sizeof *grad);
  size_t tasks = sym_pass_block_tasks(&blk), st = sym_pass_tasks(n);
  double *partial = malloc((tasks > st ? tasks : st) * sizeof *partial);
  sym_pass_moment_grad(NULL, partial, &blk, coef, tap, T, shift, 0, grad);
  float *p1 = copy_floats(w, n), *m1 = copy_floats(m0, n), *v1 = copy_floats(v0, n);
  size_t bad1 = sym_pass_adamw(NULL, partial, p1, grad, m1, v1, n, &k);
  if (_i == 2) ck_assert_uint_gt(bad1, 0);
  variant v[12];
  int nv = variants(v);
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    float *p2 = copy_floats(w, n), *m2 = copy_floats(m0, n), *v2 = copy_floats(v0, n);
    float *scratch = malloc((size_t)v[vi].threads * B * L * sizeof *scratch);
    sym_blocks b2 = {p2, B, rows, L};
    size_t bad2 =
        sym_pass_moment_adamw(v[vi].pool, partial, &b2, coef, tap, T, shift, scratch, m2, v2, &k);
    ck_assert_msg(bad2 == bad1, "isa %d, %d threads: %zu kept, not %zu", v[vi].isa, v[vi].threads,
                  bad2, bad1);
    ck_assert_msg(memcmp(p2, p1, n * sizeof *p2) == 0 && memcmp(m2, m1, n * sizeof *m2) == 0 &&
                      memcmp(v2, v1, n * sizeof *v2) == 0,
                  "isa %d, %d threads: differs from the gradient and then AdamW", v[vi].isa,
                  v[vi].threads);
    free(p2), free(m2), free(v2), free(scratch);
  }
  free_variants(v, nv);
  free(w), free(coef), free(shift), free(m0), free(v0), free(tap), free(grad), free(partial);
  free(p1), free(m1), free(v1);
}
END_TEST

/* The clipping norms of the fused updates by formula (the moment
 * objective's through the Gram matrix of the blocks, the sampling
 * objectives' through dV^T dV and X X^T) agree with the norm of the formed
 * gradient within the stated bound, and far tighter while the gradient is
 * large: moment for planar, lifting and group students; stochastic for
 * planar and lifting; unit kernels for planar.  At a random start and
 * after some training, where the gradient is small and the formula's terms
 * cancel. */
START_TEST(norm_formulas_match_formed_gradient) {
  static const int kinds[6] = {SYMCLONE_STUDENT_PLANAR, SYMCLONE_STUDENT_LIFTING,
                               SYMCLONE_STUDENT_GROUP,  SYMCLONE_STUDENT_PLANAR,
                               SYMCLONE_STUDENT_LIFTING, SYMCLONE_STUDENT_PLANAR};
  static const int objs[6] = {SYMCLONE_OBJECTIVE_MOMENT,     SYMCLONE_OBJECTIVE_MOMENT,
                              SYMCLONE_OBJECTIVE_MOMENT,     SYMCLONE_OBJECTIVE_STOCHASTIC,
                              SYMCLONE_OBJECTIVE_STOCHASTIC, SYMCLONE_OBJECTIVE_UNIT_KERNELS};
  int k = kinds[_i];
  double rel = objs[_i] == SYMCLONE_OBJECTIVE_MOMENT ? 1e-5 : 1e-4;
  symclone_student *st = NULL;
  ck_assert_int_eq(symclone_student_create(&st, k, k == SYMCLONE_STUDENT_GROUP ? 4 : 1, 3, 9, 9,
                                           SYMCLONE_PADDING_VALID, 9, 7),
                   SYMCLONE_OK);
  symclone_trainer *tr = NULL;
  ck_assert_int_eq(symclone_trainer_create(&tr, st), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, objs[_i]), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 24), SYMCLONE_OK);
  /* a random start, far from the teacher */
  float *p = symclone_student_params(st);
  for (size_t i = 0; i < symclone_student_param_count(st, SYMCLONE_STUDENT_PART_ALL); i++)
    p[i] = 0.3f * uniform();
  for (int round = 0; round < 3; round++) {
    double formula, bound, formed;
    ck_assert_int_eq(sym_trainer_norms(tr, &formula, &bound, &formed), SYMCLONE_OK);
    ck_assert_msg(formed > 0 && bound >= formed * (1 - 1e-6), "round %d: formed %g, bound %g",
                  round, formed, bound);
    ck_assert_msg(fabs(formula - formed) <= rel * bound,
                  "round %d: formula %.9g, formed %.9g, bound %.3g", round, formula, formed, bound);
    if (round == 0)
      ck_assert_msg(fabs(formula - formed) <= 1e-5 * formed, "formula %.9g, formed %.9g", formula,
                    formed);
    for (int s = 0; s < (objs[_i] == SYMCLONE_OBJECTIVE_MOMENT ? 150 : 12); s++)
      ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
  }
  symclone_trainer_free(tr);
  symclone_student_free(st);
}
END_TEST

/* The fused updates train the same weights as the trainer with fusion off
 * (the gradient formed, by the BLAS for the sampling objectives, and its
 * norm summed), to rounding: moment, stochastic and unit kernels; without
 * clipping, with a clip that bites at every step and one that bites at
 * first only; 1 and 2 threads. */
START_TEST(fused_updates_match_formed_gradient) {
  static const int objs[3] = {SYMCLONE_OBJECTIVE_MOMENT, SYMCLONE_OBJECTIVE_STOCHASTIC,
                              SYMCLONE_OBJECTIVE_UNIT_KERNELS};
  static const double clips[3] = {0, 1e-4, 0.3};
  int obj = objs[_i / 3];
  double clip = clips[_i % 3];
  float *w[2] = {NULL, NULL};
  size_t np = 0;
  double loss[2];
  for (int off = 0; off < 2; off++) {
    symclone_student *st = NULL;
    ck_assert_int_eq(symclone_student_create(&st, _i % 2 ? SYMCLONE_STUDENT_LIFTING
                                                          : SYMCLONE_STUDENT_PLANAR,
                                             1, 3, 9, 9, SYMCLONE_PADDING_VALID, 9, 3),
                     SYMCLONE_OK);
    symclone_trainer *tr = NULL;
    sym_hook_set_no_fusion(off);
    ck_assert_int_eq(symclone_trainer_create(&tr, st), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_OBJECTIVE, obj), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_CLIP_NORM, clip), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_THREADS, 1 + off), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 24), SYMCLONE_OK);
    ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, 6), SYMCLONE_OK);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
    np = symclone_student_param_count(st, SYMCLONE_STUDENT_PART_ALL);
    w[off] = copy_floats(symclone_student_params(st), np);
    loss[off] = symclone_trainer_loss(tr);
    sym_hook_set_no_fusion(0);
    symclone_trainer_free(tr);
    symclone_student_free(st);
  }
  double diff = 0.0, size = 0.0;
  for (size_t i = 0; i < np; i++) {
    diff = fmax(diff, fabs((double)w[0][i] - w[1][i]));
    size = fmax(size, fabs((double)w[1][i]));
  }
  /* rounding only: the products differ in their order of additions (the
   * BLAS's against the library's kernel), which AdamW's normalisation
   * magnifies for parameters whose gradient is near zero; a wrong gradient
   * or scale moves the weights by 1e-2 */
  ck_assert_msg(diff <= 1e-4 * size, "case %d: weights differ by %g (largest %g)", _i, diff, size);
  ck_assert_msg(fabs(loss[0] - loss[1]) <= 1e-4 * loss[1], "case %d: loss %g, not %g", _i, loss[0],
                loss[1]);
  free(w[0]), free(w[1]);
}
END_TEST

/* When the fused update may go by the formula: not for a norm that is not
 * finite or near float overflow; without clipping, or clearly below the
 * clipping norm; clearly above it with a bound small enough for the scale;
 * not when the bound straddles the clipping norm. */
START_TEST(moment_norm_usable_only_when_sure) {
  ck_assert(!sym_norm_usable(NAN, 1.0, 1e-5, 0));
  ck_assert(!sym_norm_usable(1.0, INFINITY, 1e-5, 0));
  ck_assert(!sym_norm_usable(1.0, 1e77, 1e-5, 0));
  ck_assert(sym_norm_usable(1.0, 1e6, 1e-5, 0));
  ck_assert(sym_norm_usable(0.25, 10.0, 1e-5, 1.0));      /* well below */
  ck_assert(sym_norm_usable(4.0, 10.0, 1e-5, 1.0));       /* well above */
  ck_assert(!sym_norm_usable(1.0, 10.0, 1e-5, 1.0));      /* straddles */
  ck_assert(!sym_norm_usable(1.00001, 10.0, 1e-5, 1.0));  /* straddles */
  ck_assert(!sym_norm_usable(4.0, 1e5, 1e-5, 1.0));       /* above, but the scale unsure */
}
END_TEST

/* The product of short inner dimension: shapes with row counts below,
 * at and above the block of 6 rows, column counts that leave every kind of
 * remainder (masked vectors) and inner dimensions down to 1.  The same bits
 * on every path; each element the fused multiply-add chain of its
 * definition; and the update that consumes it row band by row band is that
 * product followed by AdamW, bit for bit, on every path and thread count. */
START_TEST(prod_follows_its_definition_and_feeds_adamw) {
  static const size_t shapes[][3] = {{1, 1, 1},      {5, 7, 3},     {6, 16, 64},   {13, 33, 9},
                                     {100, 784, 64}, {250, 51, 17}, {130, 64, 784}};
  size_t m = shapes[_i][0], n = shapes[_i][1], K = shapes[_i][2];
  float *a = random_floats(m * (K + 1) + 3, 1.0f), *b = random_floats(K * (n + 1) + 5, 1.0f);
  float *ref = malloc(m * n * sizeof *ref), *out = malloc(m * n * sizeof *out);
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < n; c++) {
      float t = 0.0f;
      for (size_t k = 0; k < K; k++) t = fmaf(a[r * K + k], b[k * n + c], t);
      ref[r * n + c] = t;
    }
  /* AdamW after the formed product, scalar and serial */
  float *p0 = random_floats(m * n, 1.0f), *m0 = random_floats(m * n, 0.1f);
  float *v0 = random_floats(m * n, 0.1f);
  for (size_t i = 0; i < m * n; i++) v0[i] = v0[i] * v0[i];
  sym_adam_consts k = {0.9f, 0.999f, 0.1f, 0.001f, 1e-2f, 1.25f, 1e-8f, 0.9999f, 0.5f};
  size_t rpt = sym_pass_prod_rows(n), tasks = m / rpt + 1;
  double *partial = malloc((tasks + sym_pass_tasks(m * n)) * sizeof *partial);
  float *p1 = copy_floats(p0, m * n), *m1 = copy_floats(m0, m * n), *v1 = copy_floats(v0, m * n);
  sym_kernels_force_isa(SYM_ISA_SCALAR);
  size_t bad1 = sym_pass_adamw(NULL, partial, p1, ref, m1, v1, m * n, &k);
  variant v[12];
  int nv = variants(v);
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    memset(out, 0xff, m * n * sizeof *out);
    sym_pass_prod(a, K, b, n, out, n, m, n, K);
    ck_assert_msg(memcmp(out, ref, m * n * sizeof *out) == 0, "isa %d: %zux%zux%zu differs",
                  v[vi].isa, m, n, K);
    /* the rows shared among the threads */
    memset(out, 0xff, m * n * sizeof *out);
    sym_prod_pool(v[vi].pool, a, K, b, n, out, n, m, n, K);
    ck_assert_msg(memcmp(out, ref, m * n * sizeof *out) == 0,
                  "isa %d, %d threads: %zux%zux%zu in tasks of rows differs", v[vi].isa,
                  v[vi].threads, m, n, K);
    float *p2 = copy_floats(p0, m * n), *m2 = copy_floats(m0, m * n), *v2 = copy_floats(v0, m * n);
    float *scratch = malloc((size_t)v[vi].threads * rpt * n * sizeof *scratch);
    size_t bad2 = sym_pass_prod_adamw(v[vi].pool, partial, a, K, b, n, m, n, K, scratch, p2, m2,
                                      v2, &k);
    ck_assert_msg(bad2 == bad1 && memcmp(p2, p1, m * n * sizeof *p2) == 0 &&
                      memcmp(m2, m1, m * n * sizeof *m2) == 0 &&
                      memcmp(v2, v1, m * n * sizeof *v2) == 0,
                  "isa %d, %d threads: the fused update differs", v[vi].isa, v[vi].threads);
    free(p2), free(m2), free(v2), free(scratch);
  }
  free_variants(v, nv);
  /* strided operands: a sub-block of larger arrays */
  if (m > 1 && n > 1) {
    sym_pass_prod(a + 1, K + 1, b + 2, n + 1, out, n - 1, m - 1, n - 1, K - (K > 1));
    for (size_t r = 0; r + 1 < m; r++)
      for (size_t c = 0; c + 1 < n; c++) {
        float t = 0.0f;
        for (size_t q = 0; q + (K > 1) < K; q++)
          t = fmaf(a[1 + r * (K + 1) + q], b[2 + q * (n + 1) + c], t);
        ck_assert_msg(memcmp(&t, &out[r * (n - 1) + c], sizeof t) == 0, "strided [%zu][%zu]", r, c);
      }
  }
  free(a), free(b), free(ref), free(out), free(p0), free(m0), free(v0), free(p1), free(m1), free(v1);
  free(partial);
}
END_TEST

/* The error pass is the product E = a vc, then the cross pass on E, then
 * the product ct E, bit for bit, on every path and thread count: row
 * counts below and above the blocks of rows, lengths not a multiple of a
 * piece. */
START_TEST(error_pass_is_product_cross_product) {
  static const size_t shapes[][4] = {{1, 1, 2, 5}, {16, 9, 18, 3000}, {64, 9, 18, 2 * 1024 + 7},
                                     {7, 4, 5, 1024}};
  size_t m = shapes[_i][0], kv = shapes[_i][1], kaug = shapes[_i][2], len = shapes[_i][3];
  float *a = random_floats(m * kaug, 1.0f), *vc = random_floats(kaug * len, 1.0f);
  float *ct = random_floats(kv * m, 0.01f);
  float *e = malloc(m * len * sizeof *e), *dc0 = malloc(m * kv * sizeof *dc0);
  float *dv0 = malloc(kv * len * sizeof *dv0), *dc = malloc(m * kv * sizeof *dc);
  float *dv = malloc(kv * len * sizeof *dv);
  double *partial = malloc(sym_pass_cross_tasks(len) * (m * kv + 1) * sizeof *partial);
  sym_kernels_force_isa(SYM_ISA_SCALAR);
  sym_pass_prod(a, kaug, vc, len, e, len, m, len, kaug);
  double sq0 = sym_pass_cross(NULL, partial, e, m, vc, kv, len, 0.25f, dc0);
  sym_pass_prod(ct, m, e, len, dv0, len, kv, len, m);
  variant v[12];
  int nv = variants(v);
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    float *scratch = malloc((size_t)v[vi].threads * sym_pass_error_floats(m) * sizeof *scratch);
    double sq = sym_pass_error(v[vi].pool, partial, a, kaug, vc, m, kv, len, ct, 0.25f, scratch,
                               dc, dv);
    ck_assert_msg(memcmp(&sq, &sq0, sizeof sq) == 0 && memcmp(dc, dc0, m * kv * sizeof *dc) == 0 &&
                      memcmp(dv, dv0, kv * len * sizeof *dv) == 0,
                  "isa %d, %d threads: differs", v[vi].isa, v[vi].threads);
    free(scratch);
  }
  free_variants(v, nv);
  free(a), free(vc), free(ct), free(e), free(dc0), free(dv0), free(dc), free(dv), free(partial);
}
END_TEST

/* The cross pass: out = alpha E V^T for rows longer and shorter than a
 * piece, kv not a multiple of the block of rows, lengths not a multiple of
 * 16; the same bits on every path and thread count; within float rounding
 * of a long double reference (relative to the norms of the two rows); the
 * sum of squares of E that comes with it. */
START_TEST(cross_same_bits_and_accurate) {
  static const size_t shapes[][3] = {{1, 1, 5}, {3, 2, 17}, {16, 9, 5000}, {7, 13, 3 * 1024 + 33}};
  size_t m = shapes[_i][0], kv = shapes[_i][1], len = shapes[_i][2];
  float *e = random_floats(m * len, 2.0f), *vr = random_floats(kv * len, 1.0f);
  double *partial = malloc(sym_pass_cross_tasks(len) * (m * kv + 1) * sizeof *partial);
  float *out0 = malloc(m * kv * sizeof *out0), *out = malloc(m * kv * sizeof *out);
  variant v[12];
  int nv = variants(v);
  double sq0 = 0.0;
  for (int vi = 0; vi < nv; vi++) {
    sym_kernels_force_isa(v[vi].isa);
    double sq = sym_pass_cross(v[vi].pool, partial, e, m, vr, kv, len, 0.5f, vi ? out : out0);
    if (!vi) {
      sq0 = sq;
      continue;
    }
    ck_assert_msg(memcmp(out, out0, m * kv * sizeof *out) == 0 && memcmp(&sq, &sq0, sizeof sq) == 0,
                  "isa %d, %d threads: differs from the scalar serial run", v[vi].isa,
                  v[vi].threads);
  }
  free_variants(v, nv);
  long double refsq = 0;
  for (size_t i = 0; i < m * len; i++) refsq += (long double)e[i] * e[i];
  ck_assert_msg(fabs(sq0 - (double)refsq) <= 1e-12 * (double)refsq, "sum of squares %.17g, not %.17Lg",
                sq0, refsq);
  for (size_t r = 0; r < m; r++)
    for (size_t b = 0; b < kv; b++) {
      long double ref = 0, ne = 0, nv2 = 0;
      for (size_t i = 0; i < len; i++) {
        ref += (long double)e[r * len + i] * vr[b * len + i];
        ne += (long double)e[r * len + i] * e[r * len + i];
        nv2 += (long double)vr[b * len + i] * vr[b * len + i];
      }
      double want = 0.5 * (double)ref, tol = 1e-6 * sqrt((double)(ne * nv2));
      ck_assert_msg(fabs(out0[r * kv + b] - want) <= tol, "out[%zu][%zu] = %.9g, not %.9g", r, b,
                    (double)out0[r * kv + b], want);
    }
  free(e), free(vr), free(partial), free(out0), free(out);
}
END_TEST

/* The trainer's Gaussian inputs (polar method): the moments and the mass
 * within one standard deviation of N(0, 1) over 2 M draws (each bound is
 * more than 5 standard errors), and the sequence does not depend on how
 * the draws are cut into calls of odd and even length. */
START_TEST(polar_normals_are_standard_normal) {
  enum { N = 2000000 };
  float *x = malloc(N * sizeof *x);
  sym_rng r;
  sym_rng_seed(&r, 42);
  sym_rng_fill_normal_polar(&r, x, N, 1.0f);
  double m1 = 0, m2 = 0, m4 = 0, inside = 0;
  for (size_t i = 0; i < N; i++) {
    double v = x[i];
    m1 += v, m2 += v * v, m4 += v * v * v * v, inside += fabs(v) < 1.0;
  }
  m1 /= N, m2 /= N, m4 /= N, inside /= N;
  ck_assert_msg(fabs(m1) < 0.004, "mean %g", m1);
  ck_assert_msg(fabs(m2 - 1.0) < 0.006, "variance %g", m2);
  ck_assert_msg(fabs(m4 - 3.0) < 0.04, "fourth moment %g", m4);
  ck_assert_msg(fabs(inside - 0.682689) < 0.002, "P(|x| < 1) = %g", inside);
  /* a call of odd length drops the second deviate of its last pair */
  float a[7], b[8];
  sym_rng_seed(&r, 7);
  sym_rng_fill_normal_polar(&r, a, 7, 2.0f);
  sym_rng_seed(&r, 7);
  sym_rng_fill_normal_polar(&r, b, 8, 2.0f);
  ck_assert(memcmp(a, b, sizeof a) == 0);
  free(x);
}
END_TEST

static Suite *passes_suite(void) {
  Suite *s = suite_create("passes");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, pool_runs_every_task_exactly_once);
  tcase_add_test(tc, pool_tells_tasks_their_thread);
  tcase_add_test(tc, streaming_passes_same_bits_every_path_and_thread_count);
  tcase_add_loop_test(tc, gram_same_bits_and_accurate, 0, NGEOS);
  tcase_add_test(tc, gram_kernel_is_dot32_of_every_pair);
  tcase_add_loop_test(tc, moment_gradient_follows_its_definition_exactly, 0, NGEOS);
  tcase_add_loop_test(tc, moment_adamw_is_gradient_then_adamw, 0, NGEOS);
  tcase_add_loop_test(tc, norm_formulas_match_formed_gradient, 0, 6);
  tcase_add_test(tc, moment_norm_usable_only_when_sure);
  tcase_add_loop_test(tc, fused_updates_match_formed_gradient, 0, 9);
  tcase_add_loop_test(tc, cross_same_bits_and_accurate, 0, 4);
  tcase_add_loop_test(tc, prod_follows_its_definition_and_feeds_adamw, 0, 7);
  tcase_add_loop_test(tc, error_pass_is_product_cross_product, 0, 4);
  tcase_add_test(tc, polar_normals_are_standard_normal);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(passes_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
