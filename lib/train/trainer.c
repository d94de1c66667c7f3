/* The cloning trainer: family and instance mode, three objectives, AdamW
 * and SGD with a fused update, schedules, clipping, accumulation. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "trainer_priv.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static symclone_trainer *trainer_alloc(void) {
  symclone_trainer *tr = sym_calloc(1, sizeof *tr);
  if (!tr) return NULL;
  sym_err_init(&tr->err);
  for (int k = 1; k < SYM_NSETTINGS; k++) {
    const sym_setting_info *in = sym_setting_info_of((symclone_setting)k);
    if (in) tr->set[k] = in->def;
  }
  sym_rng_seed(&tr->rng, 0);
  return tr;
}

static symclone_status alloc_optimizer(symclone_trainer *tr) {
  tr->grad = sym_calloc(tr->nparams, sizeof(float));
  tr->m1 = sym_calloc(tr->nparams, sizeof(float));
  tr->m2 = sym_calloc(tr->nparams, sizeof(float));
  return tr->grad && tr->m1 && tr->m2 ? SYMCLONE_OK : SYMCLONE_ERR_NOMEM;
}

/* Family mode: the tap table of the planar correlation and the teacher's
 * planar kernels of the unit parameter vectors (kappa), which give the
 * labels of any theta (Kx = Theta kappa, labels = Kx im2col(x)) and the
 * moment objective's label norm. */
static symclone_status build_tables(symclone_trainer *tr) {
  const symclone_student *s = tr->st;
  size_t pc = (size_t)s->pc, P = (size_t)s->p, tc = (size_t)s->tcount;
  tr->tapidx = sym_malloc_array(s->out_hw * pc, sizeof(int));
  tr->kappa = sym_malloc_array(P * tc * pc, sizeof(float));
  if (!tr->tapidx || !tr->kappa) return SYMCLONE_ERR_NOMEM;
  int k = s->k, half = s->k / 2;
  for (int oy = 0; oy < s->ho; oy++)
    for (int ox = 0; ox < s->wo; ox++)
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
          int iy = oy + ky, ix = ox + kx, idx;
          if (s->pad != SYMCLONE_PAD_VALID) {
            iy -= half;
            ix -= half;
          }
          if (s->pad == SYMCLONE_PAD_CIRCULAR) {
            iy = ((iy % s->h) + s->h) % s->h;
            ix = ((ix % s->w) + s->w) % s->w;
          }
          idx = iy < 0 || iy >= s->h || ix < 0 || ix >= s->w ? -1 : iy * s->w + ix;
          tr->tapidx[((size_t)oy * s->wo + ox) * pc + (size_t)ky * k + kx] = idx;
        }
  symclone_status st = sym_student_exact_kernels(s, tr->kappa);
  if (st) return st;
  /* the label norm of the moment objective: a row of an unrolled block holds
   * distinct columns for distinct taps (k <= H, W rules out two taps
   * wrapping onto one pixel) */
  double norm = 0.0;
  for (size_t j = 0; j < P * tc; j++) {
    const float *kap = tr->kappa + j * pc;
    for (size_t row = 0; row < s->out_hw; row++)
      for (size_t q = 0; q < pc; q++)
        if (tr->tapidx[row * pc + q] >= 0) norm += (double)kap[q] * kap[q];
  }
  tr->moment_label_norm = norm / (double)s->out_size;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_create(symclone_trainer **out, symclone_student *student) {
  if (!out || !student) return SYMCLONE_ERR_NULL;
  symclone_trainer *tr = trainer_alloc();
  if (!tr) return SYMCLONE_ERR_NOMEM;
  tr->st = student;
  tr->in_size = student->in_size;
  tr->out_size = student->out_size;
  tr->p = (size_t)student->p;
  tr->nparams = student->nparams;
  tr->params = student->params;
  symclone_status st = build_tables(tr);
  if (!st) st = alloc_optimizer(tr);
  if (st) {
    symclone_trainer_free(tr);
    return st;
  }
  *out = tr;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_create_instance(symclone_trainer **out,
                                                 const symclone_layer *teacher,
                                                 const float *teacher_params,
                                                 const symclone_layer *dense,
                                                 float *dense_params) {
  if (!out || !teacher || !dense || !dense_params) return SYMCLONE_ERR_NULL;
  if (symclone_layer_param_count(teacher) && !teacher_params) return SYMCLONE_ERR_NULL;
  if (symclone_layer_kind_of(dense) != SYMCLONE_LAYER_DENSE) return SYMCLONE_ERR_ARG;
  if (symclone_layer_input_size(dense) != symclone_layer_input_size(teacher) ||
      symclone_layer_output_size(dense) != symclone_layer_output_size(teacher))
    return SYMCLONE_ERR_SHAPE;
  symclone_trainer *tr = trainer_alloc();
  if (!tr) return SYMCLONE_ERR_NOMEM;
  tr->instance = 1;
  tr->teacher = teacher;
  tr->teacher_params = teacher_params;
  tr->dense = dense;
  tr->in_size = symclone_layer_input_size(teacher);
  tr->out_size = symclone_layer_output_size(teacher);
  tr->p = 0;
  tr->nparams = symclone_layer_param_count(dense);
  tr->params = dense_params;
  tr->set[SYMCLONE_SET_KERNELS] = 1;
  if (alloc_optimizer(tr)) {
    symclone_trainer_free(tr);
    return SYMCLONE_ERR_NOMEM;
  }
  *out = tr;
  return SYMCLONE_OK;
}

static void free_scratch(symclone_trainer *tr) {
  float **bufs[] = {&tr->x,   &tr->xt,  &tr->theta, &tr->cols, &tr->kx, &tr->labels, &tr->ys,
                    &tr->v,   &tr->dv,  &tr->phi,   &tr->dphi, &tr->c,  &tr->dc,     &tr->smat};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    sym_free(*bufs[i]);
    *bufs[i] = NULL;
  }
  sym_free(tr->work);
  tr->work = NULL;
  tr->cap_k = tr->cap_n = 0;
  tr->scratch_ready = 0;
}

void symclone_trainer_free(symclone_trainer *tr) {
  if (!tr) return;
  free_scratch(tr);
  sym_free(tr->tapidx);
  sym_free(tr->kappa);
  sym_free(tr->grad);
  sym_free(tr->m1);
  sym_free(tr->m2);
  symclone_group_free(tr->tgroup);
  sym_free(tr);
}

symclone_status symclone_trainer_set_samples(symclone_trainer *tr, const float *samples,
                                             size_t count) {
  if (!tr) return SYMCLONE_ERR_NULL;
  if (!samples && count) return sym_fail(&tr->err, SYMCLONE_ERR_NULL, "samples is NULL");
  tr->samples = samples;
  tr->nsamples = samples ? count : 0;
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_set_progress(symclone_trainer *tr, symclone_progress_fn fn,
                                              void *user) {
  if (!tr) return SYMCLONE_ERR_NULL;
  tr->progress = fn;
  tr->progress_user = user;
  return SYMCLONE_OK;
}

long long symclone_trainer_steps_done(const symclone_trainer *tr) { return tr ? tr->steps : 0; }
double symclone_trainer_loss(const symclone_trainer *tr) { return tr ? tr->loss : NAN; }
double symclone_trainer_rel_loss(const symclone_trainer *tr) { return tr ? tr->rel : NAN; }
double symclone_trainer_seconds(const symclone_trainer *tr) { return tr ? tr->seconds : 0.0; }
const char *symclone_trainer_last_error(const symclone_trainer *tr) {
  return tr ? tr->err.msg : "";
}

/* ---- scratch ------------------------------------------------------------- */

static int grow(float **p, size_t count) {
  sym_free(*p);
  *p = sym_malloc_array(count ? count : 1, sizeof(float));
  return *p ? 0 : -1;
}

static symclone_status ensure_moment(symclone_trainer *tr) {
  const symclone_student *s = tr->st;
  size_t pc = (size_t)s->pc, P = (size_t)s->p, tc = (size_t)s->tcount, B = (size_t)s->nblocks;
  size_t small = 2 * B * B + 2 * B * pc + P * tc * B;
  if (grow(&tr->smat, small) || grow(&tr->phi, P * tc * pc) || grow(&tr->dphi, P * tc * pc) ||
      grow(&tr->c, P * tc * B) || grow(&tr->dc, P * tc * B) || grow(&tr->theta, P * P))
    return SYMCLONE_ERR_NOMEM;
  return SYMCLONE_OK;
}

static symclone_status alloc_sampling(symclone_trainer *tr, size_t K, size_t N);

/* Scratch is (re)allocated only when the objective changes or K, N grow:
 * never in steady state. */
static symclone_status ensure_scratch(symclone_trainer *tr, size_t K, size_t N) {
  int obj = (int)tr->set[SYMCLONE_SET_OBJECTIVE];
  int moment = !tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT;
  if (tr->scratch_ready && tr->cap_objective == obj &&
      (moment || (tr->cap_k >= K && tr->cap_n >= N)))
    return SYMCLONE_OK;
  free_scratch(tr);
  tr->cap_objective = obj;
  symclone_status st = moment ? ensure_moment(tr) : alloc_sampling(tr, K, N);
  if (st) {
    free_scratch(tr);
    return st;
  }
  tr->cap_k = K;
  tr->cap_n = N;
  tr->scratch_ready = 1;
  return SYMCLONE_OK;
}

/* One scratch array of a*b*c floats; the product is checked. */
typedef struct scratch_req {
  float **p;
  size_t a, b, c;
} scratch_req;

static symclone_status grow_all(const scratch_req *req, size_t n) {
  size_t sizes[16];
  for (size_t i = 0; i < n; i++)
    if (sym_mul3_size(req[i].a, req[i].b, req[i].c, &sizes[i]) ||
        sizes[i] > SIZE_MAX / sizeof(float))
      return SYMCLONE_ERR_OVERFLOW;
  for (size_t i = 0; i < n; i++)
    if (grow(req[i].p, sizes[i])) return SYMCLONE_ERR_NOMEM;
  return SYMCLONE_OK;
}

static symclone_status alloc_sampling(symclone_trainer *tr, size_t K, size_t N) {
  size_t in = tr->in_size, out = tr->out_size;
  scratch_req io[3] = {{&tr->x, N, in, 1}, {&tr->labels, N, K, out}, {&tr->ys, N, K, out}};
  symclone_status st = grow_all(io, 3);
  if (st) return st;
  if (tr->instance) {
    size_t ws = symclone_layer_workspace_size(tr->teacher, N);
    if (ws && !(tr->work = sym_malloc(ws))) return SYMCLONE_ERR_NOMEM;
    return SYMCLONE_OK;
  }
  const symclone_student *s = tr->st;
  size_t tc = (size_t)s->tcount, pc = (size_t)s->pc, nb = (size_t)s->nblocks;
  size_t vrow;
  if (sym_mul3_size((size_t)s->in_n, nb, s->out_hw, &vrow)) return SYMCLONE_ERR_OVERFLOW;
  scratch_req req[10] = {
      {&tr->xt, N, in, 1},    {&tr->cols, (size_t)s->in_n * pc, s->out_hw, N},
      {&tr->kx, K, tc, pc},   {&tr->theta, K, tr->p, 1},
      {&tr->v, N, vrow, 1},   {&tr->dv, N, vrow, 1},
      {&tr->phi, K, tc, pc},  {&tr->dphi, K, tc, pc},
      {&tr->c, K, tc, nb},    {&tr->dc, K, tc, nb},
  };
  return grow_all(req, 10);
}

/* ---- inputs ---------------------------------------------------------------- */

static symclone_status ensure_group(symclone_trainer *tr) {
  if (tr->tgroup) return SYMCLONE_OK;
  int shape[4];
  if (tr->instance) {
    symclone_layer_input_shape(tr->teacher, shape);
    return symclone_group_create_t2(&tr->tgroup, shape[2], shape[3]);
  }
  const symclone_student *s = tr->st;
  if (s->kind == SYMCLONE_STUDENT_PLANAR) return symclone_group_create_t2(&tr->tgroup, s->h, s->w);
  return symclone_group_create_cyclic(&tr->tgroup, s->n);
}

static symclone_status draw_inputs(symclone_trainer *tr, size_t N) {
  int src = (int)tr->set[SYMCLONE_SET_INPUT_SOURCE];
  size_t in = tr->in_size;
  if (src == SYMCLONE_INPUT_GAUSSIAN) {
    sym_rng_fill_normal(&tr->rng, tr->x, N * in, 1.0f);
    return SYMCLONE_OK;
  }
  if (!tr->samples || tr->nsamples == 0)
    return sym_fail(&tr->err, SYMCLONE_ERR_STATE,
                    "input_source asks for samples but none were set (set_samples)");
  symclone_status st = SYMCLONE_OK;
  if (src == SYMCLONE_INPUT_SAMPLES_TRANSFORMED && (st = ensure_group(tr)))
    return sym_fail(&tr->err, st, "cannot create the group of the input transforms");
  int shape[4] = {1, 1, 1, 1};
  if (tr->instance)
    symclone_layer_input_shape(tr->teacher, shape);
  else
    symclone_student_input_shape(tr->st, shape);
  for (size_t i = 0; i < N; i++) {
    const float *smp = tr->samples + (size_t)sym_rng_below(&tr->rng, tr->nsamples) * in;
    float *dst = tr->x + i * in;
    if (src == SYMCLONE_INPUT_SAMPLES) {
      memcpy(dst, smp, in * sizeof *dst);
      continue;
    }
    int g = (int)sym_rng_below(&tr->rng, (uint64_t)symclone_group_order(tr->tgroup));
    if (symclone_group_kind_of(tr->tgroup) == SYMCLONE_GROUP_CYCLIC && shape[1] > 1)
      st = symclone_group_act_group(tr->tgroup, g, shape[0], shape[1], shape[2], shape[3], smp,
                                    dst);
    else
      st = symclone_group_act_planar(tr->tgroup, g, shape[0] * shape[1], shape[2], shape[3], smp,
                                     dst);
    if (st)
      return sym_fail(&tr->err, st, "transforming a sample failed: %s",
                      symclone_group_last_error(tr->tgroup));
  }
  return SYMCLONE_OK;
}

/* ---- streaming kernels ------------------------------------------------------
 * The passes over all parameters are memory-bound and the sums in them are
 * long: they run on SIMD registers (SSE2, or AVX2 when the CPU has it), and
 * every sum is kept in eight double lanes (element i in lane i mod 8, lanes
 * added in order at the end) whatever the vector width, so that all code
 * paths give the same bits.  The element-wise arithmetic is the scalar
 * code's, operation for operation (no fused multiply-add). */

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

typedef struct adam_consts {
  float b1, b2, c1, c2, step, rbc2, eps, decay, gs;
} adam_consts;

/* One AdamW element; returns 0 if the new value is not finite (then the
 * parameter keeps its value). */
static inline int adam_one(float *p, float g, float *m, float *v, const adam_consts *k) {
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

static size_t sumsq_tail(const float *g, size_t i, size_t n, double acc[8]) {
  for (size_t j = 0; i < n; i++, j++) acc[j] += (double)g[i] * g[i];
  return n;
}

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
__attribute__((target("avx2"))) static double sumsq_avx2(const float *g, size_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256d d0 = _mm256_cvtps_pd(_mm_loadu_ps(g + i)), d1 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4));
    a0 = _mm256_add_pd(a0, _mm256_mul_pd(d0, d0));
    a1 = _mm256_add_pd(a1, _mm256_mul_pd(d1, d1));
  }
  double acc[8];
  _mm256_storeu_pd(acc, a0);
  _mm256_storeu_pd(acc + 4, a1);
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc);
}

static double sumsq_sse2(const float *g, size_t n) {
  __m128d a[4] = {_mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd(), _mm_setzero_pd()};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128 f0 = _mm_loadu_ps(g + i), f1 = _mm_loadu_ps(g + i + 4);
    __m128d d[4] = {_mm_cvtps_pd(f0), _mm_cvtps_pd(_mm_movehl_ps(f0, f0)), _mm_cvtps_pd(f1),
                    _mm_cvtps_pd(_mm_movehl_ps(f1, f1))};
    for (int j = 0; j < 4; j++) a[j] = _mm_add_pd(a[j], _mm_mul_pd(d[j], d[j]));
  }
  double acc[8];
  for (int j = 0; j < 4; j++) _mm_storeu_pd(acc + 2 * j, a[j]);
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc);
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
                                                          const adam_consts *k) {
  __m256 b1 = _mm256_set1_ps(k->b1), b2 = _mm256_set1_ps(k->b2), c1 = _mm256_set1_ps(k->c1);
  __m256 c2 = _mm256_set1_ps(k->c2), step = _mm256_set1_ps(k->step);
  __m256 rbc2 = _mm256_set1_ps(k->rbc2), eps = _mm256_set1_ps(k->eps);
  __m256 decay = _mm256_set1_ps(k->decay), gs = _mm256_set1_ps(k->gs);
  __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 big = _mm256_set1_ps(3.40282347e38f);
  size_t i = 0, bad = 0;
  for (; i + 8 <= n; i += 8) {
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
                         const adam_consts *k) {
  __m128 b1 = _mm_set1_ps(k->b1), b2 = _mm_set1_ps(k->b2), c1 = _mm_set1_ps(k->c1);
  __m128 c2 = _mm_set1_ps(k->c2), step = _mm_set1_ps(k->step);
  __m128 rbc2 = _mm_set1_ps(k->rbc2), eps = _mm_set1_ps(k->eps);
  __m128 decay = _mm_set1_ps(k->decay), gs = _mm_set1_ps(k->gs);
  __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  __m128 big = _mm_set1_ps(3.40282347e38f);
  size_t i = 0, bad = 0;
  for (; i + 4 <= n; i += 4) {
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
#endif

static double sum_squares(const float *g, size_t n) {
#if SYM_X86
  return have_avx2() ? sumsq_avx2(g, n) : sumsq_sse2(g, n);
#else
  double acc[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += (double)g[i + j] * g[i + j];
  sumsq_tail(g, i, n, acc);
  return lanes_sum(acc);
#endif
}

/* e = scale (ys - yt); returns sum (ys - yt)^2 and the labels' power. */
static double sq_error(const float *ys, const float *yt, float *e, size_t n, float scale,
                       double *label_power) {
#if SYM_X86
  return have_avx2() ? sqerr_avx2(ys, yt, e, n, scale, label_power)
                     : sqerr_sse2(ys, yt, e, n, scale, label_power);
#else
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
#endif
}

static size_t adamw_pass(float *p, const float *g, float *m, float *v, size_t n,
                         const adam_consts *k) {
#if SYM_X86
  return have_avx2() ? adamw_avx2(p, g, m, v, n, k) : adamw_sse2(p, g, m, v, n, k);
#else
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !adam_one(p + i, g[i], m + i, v + i, k);
  return bad;
#endif
}

/* ---- one micro-batch: sets (first) or adds the gradient, returns loss and
 * label power ------------------------------------------------------------------ */

/* Zero the gradient of the coefficients and transforms (the blocks' part is
 * written by the first product that produces it). */
static void zero_small_grad(symclone_trainer *tr) {
  size_t off = tr->st->off_coeffs;
  memset(tr->grad + off, 0, (tr->nparams - off) * sizeof(float));
}

/* xt[s][i][x] = x[x][s][i], then cols[(s,q)][(o,x)] = xt[s][tap(o,q)][x]. */
static void build_cols(symclone_trainer *tr, size_t N) {
  const symclone_student *s = tr->st;
  size_t in = tr->in_size, pc = (size_t)s->pc, how = s->out_hw;
  for (size_t xi = 0; xi < N; xi++)
    for (size_t i = 0; i < in; i++) tr->xt[i * N + xi] = tr->x[xi * in + i];
  for (int si = 0; si < s->in_n; si++)
    for (size_t q = 0; q < pc; q++) {
      float *row = tr->cols + ((size_t)si * pc + q) * how * N;
      const float *xs = tr->xt + (size_t)si * s->in_hw * N;
      for (size_t o = 0; o < how; o++) {
        int t = tr->tapidx[o * pc + q];
        if (t < 0)
          memset(row + o * N, 0, N * sizeof *row);
        else
          memcpy(row + o * N, xs + (size_t)t * N, N * sizeof *row);
      }
    }
}

static symclone_status micro_family(symclone_trainer *tr, int first, double *loss, double *lpow) {
  symclone_student *s = tr->st;
  int obj = (int)tr->set[SYMCLONE_SET_OBJECTIVE];
  size_t N = (size_t)tr->set[SYMCLONE_SET_INPUTS];
  size_t K = obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? tr->p : (size_t)tr->set[SYMCLONE_SET_KERNELS];
  size_t P = tr->p, tc = (size_t)s->tcount, pc = (size_t)s->pc;
  /* every stage is one product over the batch: its sizes must fit BLAS ints */
  size_t total_chk;
  if (s->out_hw * N > (size_t)INT32_MAX || K * (size_t)s->out_n > (size_t)INT32_MAX ||
      sym_mul3_size(K * (size_t)s->out_n, s->out_hw, N, &total_chk) ||
      total_chk > SIZE_MAX / sizeof(float))
    return sym_fail(&tr->err, SYMCLONE_ERR_OVERFLOW,
                    "kernels=%zu and inputs=%zu make the step's matrices too large", K, N);
  symclone_status st = ensure_scratch(tr, K, N);
  if (st) return sym_fail(&tr->err, st, "cannot allocate the step's scratch");
  if ((st = draw_inputs(tr, N))) return st;
  /* theta */
  if (obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS) {
    memset(tr->theta, 0, K * P * sizeof(float));
    for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  } else {
    sym_rng_fill_normal(&tr->rng, tr->theta, K * P, 1.0f);
  }
  /* labels = Kx im2col(x): the teacher is linear in theta, Kx = Theta kappa */
  int rows = (int)(K * (size_t)s->out_n), cols = (int)(s->out_hw * N);
  int kin = s->in_n * s->pc;
  build_cols(tr, N);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)K, (int)(tc * pc), (int)P, 1.0f,
              tr->theta, (int)P, tr->kappa, (int)(tc * pc), 0.0f, tr->kx, (int)(tc * pc));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, kin, 1.0f, tr->kx, kin,
              tr->cols, cols, 0.0f, tr->labels, cols);
  /* student: V = W x computed once for all K kernels */
  sym_student_phi(s, tr->theta, K, tr->phi);
  sym_student_coeffs(s, tr->phi, K, tr->c);
  sym_student_project_t(s, tr->x, N, tr->v);
  sym_student_combine_t(s, tr->c, K, tr->v, N, tr->ys);
  size_t total = (size_t)rows * (size_t)cols;
  float scale = (float)(2.0 / (double)total);
  *loss = sq_error(tr->ys, tr->labels, tr->ys, total, scale, lpow) / (double)total;
  *lpow /= (double)total;
  /* backward (tr->ys now holds the scaled error) */
  sym_student_combine_backward_t(s, tr->c, K, tr->v, N, tr->ys, tr->dc, tr->dv);
  sym_student_project_backward_t(s, tr->x, N, tr->dv, first ? 0.0f : 1.0f, tr->grad);
  if (first) zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, K, tr->dc, tr->grad, NULL, tr->dphi);
  return SYMCLONE_OK;
}

/* The second-moment objective for C = I, through the Gram matrix of the
 * blocks.  With rows j = (p, t) of the coefficients Cm (P*tcount x B) and
 * the teacher's blocks K_j = sum_q kappa_j[q] Shift_q:
 *   out * L = sum_j ||sum_b Cm[j][b] W_b - K_j||_F^2
 *           = sum_j (c_j^T G c_j - 2 c_j^T h_j) + sum_j ||K_j||^2
 * with G = W W^T (B x B) and h_j[b] = <W_b, K_j> = sum_q kappa_j[q] z[b][q],
 * z[b][q] = sum over rows of W_b at tap q.  Gradients:
 *   dW = (2/out) (Cm^T Cm W - E . Shift),  E[b][q] = sum_j Cm[j][b] kappa_j[q]
 *   dCm[j] = (2/out) (G c_j - h_j)
 * so the blocks are read about three times per step, whatever P and tcount. */
static symclone_status micro_moment(symclone_trainer *tr, int first, double *loss, double *lpow) {
  symclone_student *s = tr->st;
  symclone_status st = ensure_scratch(tr, 0, 0);
  if (st) return sym_fail(&tr->err, st, "cannot prepare the moment objective");
  size_t P = tr->p, tc = (size_t)s->tcount, pc = (size_t)s->pc, B = (size_t)s->nblocks;
  size_t rows = P * tc, bsz = s->out_hw * s->in_hw;
  memset(tr->theta, 0, P * P * sizeof(float));
  for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  sym_student_phi(s, tr->theta, P, tr->phi);
  sym_student_coeffs(s, tr->phi, P, tr->c);
  const float *wall = s->params;
  float *g = tr->smat;             /* B x B */
  float *ctc = g + B * B;          /* B x B */
  float *z = ctc + B * B;          /* B x Pc */
  float *e = z + B * pc;           /* B x Pc */
  float *h = e + B * pc;           /* rows x B */
  /* G = W W^T */
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)B, (int)bsz, 1.0f, wall, (int)bsz,
              0.0f, g, (int)B);
  for (size_t i = 0; i < B; i++)
    for (size_t j = 0; j < i; j++) g[i * B + j] = g[j * B + i];
  /* z[b][q] */
  for (size_t b = 0; b < B; b++) {
    const float *wb = wall + b * bsz;
    for (size_t q = 0; q < pc; q++) {
      double acc = 0.0;
      for (size_t row = 0; row < s->out_hw; row++) {
        int col = tr->tapidx[row * pc + q];
        if (col >= 0) acc += wb[row * s->in_hw + (size_t)col];
      }
      z[b * pc + q] = (float)acc;
    }
  }
  /* h = kappa z^T (rows x B) */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)B, (int)pc, 1.0f,
              tr->kappa, (int)pc, z, (int)pc, 0.0f, h, (int)B);
  /* loss and dCm = scale (Cm G - h) */
  double l = 0.0;
  float scale = (float)(2.0 / (double)s->out_size);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)B, (int)B, 1.0f, tr->c,
              (int)B, g, (int)B, 0.0f, tr->dc, (int)B);
  for (size_t j = 0; j < rows; j++)
    for (size_t b = 0; b < B; b++) {
      double cg = tr->dc[j * B + b], cv = tr->c[j * B + b], hv = h[j * B + b];
      l += cv * cg - 2.0 * cv * hv;
      tr->dc[j * B + b] = (float)(scale * (cg - hv));
    }
  l += tr->moment_label_norm * (double)s->out_size;
  if (l < 0.0) l = 0.0; /* rounding near the exact solution */
  /* dW += scale (Cm^T Cm) W */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)B, (int)rows, 1.0f, tr->c,
              (int)B, tr->c, (int)B, 0.0f, ctc, (int)B);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)bsz, (int)B, scale, ctc,
              (int)B, wall, (int)bsz, first ? 0.0f : 1.0f, tr->grad, (int)bsz);
  /* dW -= scale E . Shift, E = Cm^T kappa (B x Pc) */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)pc, (int)rows, 1.0f, tr->c,
              (int)B, tr->kappa, (int)pc, 0.0f, e, (int)pc);
  for (size_t b = 0; b < B; b++) {
    float *gb = tr->grad + b * bsz;
    for (size_t row = 0; row < s->out_hw; row++)
      for (size_t q = 0; q < pc; q++) {
        int col = tr->tapidx[row * pc + q];
        if (col >= 0) gb[row * s->in_hw + (size_t)col] -= scale * e[b * pc + q];
      }
  }
  if (first) zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, P, tr->dc, tr->grad, NULL, tr->dphi);
  *loss = l / (double)s->out_size;
  *lpow = tr->moment_label_norm;
  return SYMCLONE_OK;
}

/* Instance mode: the dense layer's gradient (W[out][in], then the bias;
 * layer.h) is produced here directly, written on the first micro-batch
 * and added on the others. */
static symclone_status micro_instance(symclone_trainer *tr, int first, double *loss,
                                      double *lpow) {
  size_t N = (size_t)tr->set[SYMCLONE_SET_INPUTS], in = tr->in_size, out = tr->out_size;
  symclone_status st = ensure_scratch(tr, 1, N);
  if (st) return sym_fail(&tr->err, st, "cannot allocate the step's scratch");
  if ((st = draw_inputs(tr, N))) return st;
  st = symclone_layer_forward(tr->teacher, tr->teacher_params, N, tr->x, tr->labels, tr->work);
  if (st) return sym_fail(&tr->err, st, "forward failed");
  size_t nw = in * out;
  int bias = tr->nparams > nw;
  /* ys = X W^T + b */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)out, (int)in, 1.0f, tr->x,
              (int)in, tr->params, (int)in, 0.0f, tr->ys, (int)out);
  if (bias)
    for (size_t xi = 0; xi < N; xi++)
      for (size_t o = 0; o < out; o++) tr->ys[xi * out + o] += tr->params[nw + o];
  size_t total = N * out;
  *loss = sq_error(tr->ys, tr->labels, tr->ys, total, (float)(2.0 / (double)total), lpow) /
          (double)total;
  *lpow /= (double)total;
  /* dW = E^T X, db = column sums of E */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)N, 1.0f, tr->ys,
              (int)out, tr->x, (int)in, first ? 0.0f : 1.0f, tr->grad, (int)in);
  if (bias) {
    float *db = tr->grad + nw;
    if (first) memset(db, 0, out * sizeof *db);
    for (size_t xi = 0; xi < N; xi++)
      for (size_t o = 0; o < out; o++) db[o] += tr->ys[xi * out + o];
  }
  return SYMCLONE_OK;
}

/* ---- the update ------------------------------------------------------------ */

static double lr_at(const symclone_trainer *tr, long long step_done) {
  double lr = tr->set[SYMCLONE_SET_LEARNING_RATE];
  double hold = tr->set[SYMCLONE_SET_HOLD_STEPS];
  if ((double)step_done < hold) return lr;
  double step = (double)step_done - hold;
  switch ((int)tr->set[SYMCLONE_SET_SCHEDULE]) {
  case SYMCLONE_SCHEDULE_STEP:
    return lr * pow(tr->set[SYMCLONE_SET_SCHEDULE_GAMMA],
                    floor(step / tr->set[SYMCLONE_SET_SCHEDULE_STEPS]));
  case SYMCLONE_SCHEDULE_COSINE: {
    double total = tr->set[SYMCLONE_SET_MAX_STEPS] - hold;
    double frac = total > 0 ? fmin(step / total, 1.0) : 1.0;
    double fl = tr->set[SYMCLONE_SET_LR_FLOOR];
    return lr * (fl + (1.0 - fl) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac)));
  }
  default:
    return lr;
  }
}

static size_t apply_update(symclone_trainer *tr, double gscale) {
  size_t n = tr->nparams, bad = 0;
  float *p = tr->params, *g = tr->grad, *m = tr->m1, *v = tr->m2;
  double lr = lr_at(tr, tr->steps);
  double wd = tr->set[SYMCLONE_SET_WEIGHT_DECAY];
  if ((int)tr->set[SYMCLONE_SET_OPTIMIZER] == SYMCLONE_OPT_ADAMW) {
    double b1 = tr->set[SYMCLONE_SET_BETA1], b2 = tr->set[SYMCLONE_SET_BETA2];
    double eps = tr->set[SYMCLONE_SET_EPSILON];
    tr->adam_t++;
    double bc1 = 1.0 - pow(b1, (double)tr->adam_t), bc2 = 1.0 - pow(b2, (double)tr->adam_t);
    adam_consts k = {(float)b1,
                     (float)b2,
                     (float)(1.0 - b1),
                     (float)(1.0 - b2),
                     (float)(lr / bc1),
                     (float)(1.0 / sqrt(bc2)),
                     (float)eps,
                     (float)(1.0 - lr * wd),
                     (float)gscale};
    bad = adamw_pass(p, g, m, v, n, &k);
  } else {
    float mu = (float)tr->set[SYMCLONE_SET_MOMENTUM], flr = (float)lr, fwd = (float)wd;
    float gs = (float)gscale;
    for (size_t i = 0; i < n; i++) {
      float gi = g[i] * gs + fwd * p[i];
      float bi = mu * m[i] + gi;
      float np = p[i] - flr * bi;
      m[i] = bi;
      if (isfinite(np))
        p[i] = np;
      else
        bad++;
    }
  }
  return bad;
}

symclone_status symclone_trainer_step(symclone_trainer *tr, double *loss_out, double *rel_out) {
  if (!tr) return SYMCLONE_ERR_NULL;
  double t0 = now_seconds();
  int obj = (int)tr->set[SYMCLONE_SET_OBJECTIVE];
  if (!tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT &&
      (int)tr->set[SYMCLONE_SET_INPUT_SOURCE] != SYMCLONE_INPUT_GAUSSIAN)
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING,
                    "objective=moment is defined for standard normal inputs only "
                    "(input_source=gaussian)");
  int acc = (int)tr->set[SYMCLONE_SET_ACCUMULATE];
  double loss = 0.0, lpow = 0.0;
  for (int a = 0; a < acc; a++) {
    double l = 0.0, lp = 0.0;
    symclone_status st;
    if (tr->instance)
      st = micro_instance(tr, a == 0, &l, &lp);
    else if (obj == SYMCLONE_OBJECTIVE_MOMENT)
      st = micro_moment(tr, a == 0, &l, &lp);
    else
      st = micro_family(tr, a == 0, &l, &lp);
    if (st) {
      tr->seconds += now_seconds() - t0;
      return st;
    }
    loss += l;
    lpow += lp;
  }
  loss /= acc;
  lpow /= acc;
  double gnorm2 = sum_squares(tr->grad, tr->nparams);
  double gscale = 1.0 / acc, gnorm = sqrt(gnorm2) * gscale;
  if (!isfinite(loss) || !isfinite(gnorm)) {
    tr->seconds += now_seconds() - t0;
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: loss %g, gradient norm %g; the update was not applied",
                    tr->steps + 1, loss, gnorm);
  }
  double clip = tr->set[SYMCLONE_SET_CLIP_NORM];
  if (clip > 0 && gnorm > clip) gscale *= clip / gnorm;
  size_t bad = apply_update(tr, gscale);
  tr->steps++;
  tr->loss = loss;
  tr->rel = lpow > 0 ? loss / lpow : (loss > 0 ? INFINITY : 0.0);
  tr->seconds += now_seconds() - t0;
  if (loss_out) *loss_out = tr->loss;
  if (rel_out) *rel_out = tr->rel;
  if (bad)
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: the update overflowed for %zu parameters, which kept their "
                    "previous values",
                    tr->steps, bad);
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_run(symclone_trainer *tr) {
  if (!tr) return SYMCLONE_ERR_NULL;
  long long max_steps = (long long)tr->set[SYMCLONE_SET_MAX_STEPS];
  long long every = (long long)tr->set[SYMCLONE_SET_PROGRESS_EVERY];
  double target = tr->set[SYMCLONE_SET_TARGET_REL_LOSS];
  while (tr->steps < max_steps) {
    symclone_status st = symclone_trainer_step(tr, NULL, NULL);
    if (st) return st;
    int done = tr->steps >= max_steps || (target > 0 && tr->rel <= target);
    if (tr->progress && (tr->steps % every == 0 || done) &&
        tr->progress(tr->progress_user, tr->steps, tr->loss, tr->rel, tr->seconds))
      return sym_fail(&tr->err, SYMCLONE_ERR_CANCELLED, "stopped by the progress callback at step %lld",
                      tr->steps);
    if (done) break;
  }
  return SYMCLONE_OK;
}
