/* The cloning trainer: family and instance mode, three objectives, AdamW
 * and SGD with a fused update, schedules, clipping, accumulation. */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "passes.h"
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
  sym_settings_init(SYM_SETTINGS_TRAINER, tr->set);
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
          if (s->pad != SYMCLONE_PADDING_VALID) {
            iy -= half;
            ix -= half;
          }
          if (s->pad == SYMCLONE_PADDING_CIRCULAR) {
            iy = ((iy % s->h) + s->h) % s->h;
            ix = ((ix % s->w) + s->w) % s->w;
          }
          idx = iy < 0 || iy >= s->h || ix < 0 || ix >= s->w ? -1 : iy * s->w + ix;
          tr->tapidx[((size_t)oy * s->wo + ox) * pc + (size_t)ky * k + kx] = idx;
        }
  tr->tap_rows = sym_malloc_array(pc, sizeof(double));
  if (!tr->tap_rows) return SYMCLONE_ERR_NOMEM;
  for (size_t q = 0; q < pc; q++) {
    size_t inside = 0;
    for (size_t row = 0; row < s->out_hw; row++) inside += tr->tapidx[row * pc + q] >= 0;
    tr->tap_rows[q] = (double)inside;
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
  tr->set[SYMCLONE_TRAINER_KERNELS] = 1;
  if (alloc_optimizer(tr)) {
    symclone_trainer_free(tr);
    return SYMCLONE_ERR_NOMEM;
  }
  *out = tr;
  return SYMCLONE_OK;
}

static void free_scratch(symclone_trainer *tr) {
  float **bufs[] = {&tr->x,  &tr->xt,   &tr->theta, &tr->kx, &tr->labels, &tr->ys, &tr->v,
                    &tr->dv, &tr->phi,  &tr->dphi,  &tr->c,  &tr->dc,     &tr->smat};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    sym_free(*bufs[i]);
    *bufs[i] = NULL;
  }
  sym_free(tr->work);
  tr->work = NULL;
  sym_free(tr->partial);
  tr->partial = NULL;
  tr->cols = NULL; /* inside v */
  tr->cap_k = tr->cap_n = 0;
  tr->scratch_ready = 0;
}

void symclone_trainer_free(symclone_trainer *tr) {
  if (!tr) return;
  free_scratch(tr);
  sym_free(tr->fused);
  sym_free(tr->norm_d);
  sym_free(tr->epiece);
  sym_free(tr->ct);
  sym_free(tr->tap_rows);
  sym_free(tr->tapidx);
  sym_free(tr->kappa);
  sym_free(tr->grad);
  sym_free(tr->m1);
  sym_free(tr->m2);
  symclone_group_free(tr->tgroup);
  sym_pool_free(tr->pool);
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

symclone_status symclone_trainer_set_progress(symclone_trainer *tr, symclone_trainer_progress_fn fn,
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

static sym_blocks blocks_of(const symclone_student *s) {
  sym_blocks b = {s->params, (size_t)s->nblocks, s->out_hw, s->in_hw};
  return b;
}

/* The im2col rows of a family step (cols[(s,q)][(o,x)]) as the Gram pass
 * sees them: in_n*Pc arrays of out_hw rows of N floats. */
static sym_blocks cols_blocks(const symclone_student *s, const float *cols, size_t N) {
  sym_blocks b = {cols, (size_t)s->in_n * (size_t)s->pc, s->out_hw, N};
  return b;
}

/* The passes' partial results (passes.h): the norm and the update over all
 * parameters, the loss over the step's outputs, the Gram pieces. */
static symclone_status alloc_partial(symclone_trainer *tr, size_t K, size_t N, int moment) {
  size_t need = sym_pass_tasks(tr->nparams), other;
  if (moment) {
    sym_blocks b = blocks_of(tr->st);
    if (sym_mul3_size(sym_pass_block_tasks(&b), b.nblocks, b.nblocks + (size_t)tr->st->pc,
                      &other))
      return SYMCLONE_ERR_OVERFLOW;
  } else {
    if (sym_mul3_size(K, N, tr->out_size, &other)) return SYMCLONE_ERR_OVERFLOW;
    other = 2 * sym_pass_tasks(other);
    if (!tr->instance) { /* the Gram pass over the im2col rows, the cross pass of dC */
      const symclone_student *s = tr->st;
      sym_blocks cb = cols_blocks(s, NULL, N);
      size_t g, x;
      if (sym_mul3_size(sym_pass_block_tasks(&cb), cb.nblocks, cb.nblocks, &g) ||
          sym_mul3_size(sym_pass_cross_tasks(s->out_hw * N),
                        K * (size_t)s->out_n * (size_t)s->in_n * (size_t)s->nblocks + 1, 1, &x))
        return SYMCLONE_ERR_OVERFLOW;
      if (g > other) other = g;
      if (x > other) other = x;
      /* the family fused update's tasks (sym_pass_prod_adamw) */
      size_t rows = (size_t)s->nblocks * s->out_hw, rpt = sym_pass_prod_rows(s->in_hw);
      if (rows / rpt + 1 > other) other = rows / rpt + 1;
    }
  }
  if (other > need) need = other;
  tr->partial = sym_malloc_array(need, sizeof(double));
  return tr->partial ? SYMCLONE_OK : SYMCLONE_ERR_NOMEM;
}

/* Scratch is (re)allocated only when the objective changes or K, N grow:
 * never in steady state. */
static symclone_status ensure_scratch(symclone_trainer *tr, size_t K, size_t N) {
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  int moment = !tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT;
  if (tr->scratch_ready && tr->cap_objective == obj &&
      (moment || (tr->cap_k >= K && tr->cap_n >= N)))
    return SYMCLONE_OK;
  free_scratch(tr);
  tr->cap_objective = obj;
  symclone_status st = moment ? ensure_moment(tr) : alloc_sampling(tr, K, N);
  if (!st) st = alloc_partial(tr, K, N, moment);
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

/* Whether the step's small products run in the library's product kernel
 * (the error pass, the fused update's dW): where that kernel has vector
 * code, and unless the tests turned fusion off; otherwise in the BLAS. */
static int own_products(const symclone_trainer *tr) {
  return !tr->no_fusion && sym_pass_prod_fast();
}

static symclone_status alloc_sampling(symclone_trainer *tr, size_t K, size_t N) {
  size_t in = tr->in_size, out = tr->out_size;
  scratch_req io[3] = {{&tr->x, N, in, 1}, {&tr->ys, N, K, out}, {&tr->labels, N, 1, out}};
  /* family mode needs no labels, and no outputs where the error pass forms
   * the error a piece at a time */
  symclone_status st = grow_all(io, tr->instance ? 3 : own_products(tr) ? 1 : 2);
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
  /* v holds [Vt; cols]: in_n*(B + Pc) rows of out_hw*N floats; smat the
   * im2col rows' Gram matrix (kin x kin, in kin rows of kaug) and [C | -Kx] */
  size_t kin = (size_t)s->in_n * pc, kaug = (size_t)s->in_n * nb + kin, m = K * (size_t)s->out_n;
  scratch_req req[10] = {
      {&tr->xt, N, in, 1},    {&tr->smat, kin + m, kaug, 1},
      {&tr->kx, K, tc, pc},   {&tr->theta, K, tr->p, 1},
      {&tr->v, kaug, s->out_hw, N},   {&tr->dv, N, vrow, 1},
      {&tr->phi, K, tc, pc},  {&tr->dphi, K, tc, pc},
      {&tr->c, K, tc, nb},    {&tr->dc, K, tc, nb},
  };
  st = grow_all(req, 10);
  if (st) return st;
  tr->cols = tr->v + vrow * N;
  return SYMCLONE_OK;
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

/* Gaussian inputs: input i comes from its own generator, seeded with one
 * draw of the trainer's generator plus i, so that the inputs can be drawn
 * on any number of threads and still be the same. */
typedef struct draw_job {
  float *x;
  size_t in;
  uint64_t base;
} draw_job;

static void draw_task(void *ctx, size_t i) {
  const draw_job *j = ctx;
  sym_rng r;
  sym_rng_seed(&r, j->base + (uint64_t)i);
  sym_rng_fill_normal_polar(&r, j->x + i * j->in, j->in, 1.0f);
}

static symclone_status draw_inputs(symclone_trainer *tr, size_t N) {
  int src = (int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE];
  size_t in = tr->in_size;
  if (src == SYMCLONE_INPUT_SOURCE_GAUSSIAN) {
    draw_job j = {tr->x, in, sym_rng_next(&tr->rng)};
    sym_pool_run(tr->pool, N, draw_task, &j);
    return SYMCLONE_OK;
  }
  if (!tr->samples || tr->nsamples == 0)
    return sym_fail(&tr->err, SYMCLONE_ERR_STATE,
                    "input_source asks for samples but none were set (set_samples)");
  symclone_status st = SYMCLONE_OK;
  if (src == SYMCLONE_INPUT_SOURCE_SAMPLES_TRANSFORMED && (st = ensure_group(tr)))
    return sym_fail(&tr->err, st, "cannot create the group of the input transforms");
  int shape[4] = {1, 1, 1, 1};
  if (tr->instance)
    symclone_layer_input_shape(tr->teacher, shape);
  else
    symclone_student_input_shape(tr->st, shape);
  for (size_t i = 0; i < N; i++) {
    const float *smp = tr->samples + (size_t)sym_rng_below(&tr->rng, tr->nsamples) * in;
    float *dst = tr->x + i * in;
    if (src == SYMCLONE_INPUT_SOURCE_SAMPLES) {
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

/* ---- one micro-batch: sets (first) or adds the gradient, returns loss and
 * label power ------------------------------------------------------------------ */

/* Zero the gradient of the coefficients and transforms (the blocks' part is
 * written by the first product that produces it). */
static void zero_small_grad(symclone_trainer *tr) {
  size_t off = tr->st->off_coeffs;
  memset(tr->grad + off, 0, (tr->nparams - off) * sizeof(float));
}

/* The squared norm of that part of the gradient. */
static double small_sumsq(symclone_trainer *tr) {
  size_t off = tr->st->off_coeffs;
  return sym_pass_sumsq(NULL, tr->partial, tr->grad + off, tr->nparams - off);
}

/* xt[s][i][x] = x[x][s][i], then cols[(s,q)][(o,x)] = xt[s][tap(o,q)][x],
 * the copies in tasks of COLS_OUTPUTS output positions. */
#define COLS_OUTPUTS ((size_t)64)

static void cols_task(void *ctx, size_t t) {
  symclone_trainer *tr = ctx;
  const symclone_student *s = tr->st;
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], pc = (size_t)s->pc, how = s->out_hw;
  size_t o0 = t * COLS_OUTPUTS, o1 = o0 + COLS_OUTPUTS < how ? o0 + COLS_OUTPUTS : how;
  for (int si = 0; si < s->in_n; si++)
    for (size_t q = 0; q < pc; q++) {
      float *row = tr->cols + ((size_t)si * pc + q) * how * N;
      const float *xs = tr->xt + (size_t)si * s->in_hw * N;
      for (size_t o = o0; o < o1; o++) {
        int tap = tr->tapidx[o * pc + q];
        if (tap < 0)
          memset(row + o * N, 0, N * sizeof *row);
        else
          memcpy(row + o * N, xs + (size_t)tap * N, N * sizeof *row);
      }
    }
}

static void build_cols(symclone_trainer *tr, size_t N) {
  size_t in = tr->in_size, how = tr->st->out_hw;
  for (size_t xi = 0; xi < N; xi++)
    for (size_t i = 0; i < in; i++) tr->xt[i * N + xi] = tr->x[xi * in + i];
  sym_pool_run(tr->pool, how / COLS_OUTPUTS + (how % COLS_OUTPUTS != 0), cols_task, tr);
}

/* *p holds at least `need` elements of `size` bytes afterwards (*cap
 * counts them); 0 or -1 when memory could not be had. */
static int grow_to(void **p, size_t *cap, size_t need, size_t size) {
  if (*cap >= need) return 0;
  sym_free(*p);
  *cap = 0;
  if (!(*p = sym_malloc_array(need, size))) return -1;
  *cap = need;
  return 0;
}

/* The error pass's scratch (each thread's piece of E) and C^T for m rows
 * of C; grown when m or the thread count grows. */
static symclone_status ensure_error(symclone_trainer *tr, size_t m) {
  size_t kv = (size_t)tr->st->in_n * (size_t)tr->st->nblocks;
  void *e = tr->epiece, *c = tr->ct;
  int bad = grow_to(&e, &tr->epiece_cap,
                    (size_t)sym_pool_threads(tr->pool) * sym_pass_error_floats(m), sizeof(float)) ||
            grow_to(&c, &tr->ct_cap, kv * m, sizeof(float));
  tr->epiece = e;
  tr->ct = c;
  if (bad) return sym_fail(&tr->err, SYMCLONE_ERR_NOMEM, "cannot allocate the step's scratch");
  return SYMCLONE_OK;
}

static double family_norm2(symclone_trainer *tr, size_t N, double *mag);

/* With `fused` (one input channel, AdamW, one micro-batch) the blocks'
 * gradient is not formed here: the update forms it band by band
 * (family_fused_adamw); *gnorm2 then gets the squared gradient norm from
 * family_norm2 and *gmag its bound.  Otherwise *gnorm2 is left alone. */
static symclone_status micro_family(symclone_trainer *tr, int first, int fused, double *loss,
                                    double *lpow, double *gnorm2, double *gmag) {
  symclone_student *s = tr->st;
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS];
  size_t K = obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS ? tr->p : (size_t)tr->set[SYMCLONE_TRAINER_KERNELS];
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
  if (own_products(tr) && (st = ensure_error(tr, K * (size_t)s->out_n))) return st;
  if ((st = draw_inputs(tr, N))) return st;
  /* theta */
  if (obj == SYMCLONE_OBJECTIVE_UNIT_KERNELS) {
    memset(tr->theta, 0, K * P * sizeof(float));
    for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  } else {
    sym_rng_fill_normal(&tr->rng, tr->theta, K * P, 1.0f);
  }
  /* The labels are Kx im2col(x): the teacher is linear in theta, and
   * Kx = Theta kappa holds the planar kernels of the K draws.  The student's
   * outputs are C Vt with Vt = W x computed once for all K kernels.  Vt and
   * the im2col rows sit one after the other in tr->v, so the error
   *   E = C Vt - Kx cols = [C | -Kx] [Vt; cols]
   * is one product, and the labels are never stored. */
  int m = (int)(K * (size_t)s->out_n), cols = (int)(s->out_hw * N);
  size_t kin = (size_t)s->in_n * pc, kv = (size_t)s->in_n * (size_t)s->nblocks, kaug = kv + kin;
  float *gc = tr->smat, *caug = gc + kin * kaug;
  build_cols(tr, N);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)K, (int)(tc * pc), (int)P, 1.0f,
              tr->theta, (int)P, tr->kappa, (int)(tc * pc), 0.0f, tr->kx, (int)(tc * pc));
  sym_student_phi(s, tr->theta, K, tr->phi);
  sym_student_coeffs(s, tr->phi, K, tr->c);
  for (size_t r = 0; r < (size_t)m; r++) {
    memcpy(caug + r * kaug, tr->c + r * kv, kv * sizeof(float));
    for (size_t j = 0; j < kin; j++) caug[r * kaug + kv + j] = -tr->kx[r * kin + j];
  }
  sym_student_project_t(s, tr->x, N, tr->v);
  size_t total = (size_t)m * (size_t)cols;
  /* the labels' power: sum over rows of kx_r^T (cols cols^T) kx_r */
  sym_blocks cb = cols_blocks(s, tr->cols, N);
  sym_pass_gram(tr->pool, tr->partial, &cb, NULL, 0, gc, NULL);
  double lp = 0.0;
  for (size_t r = 0; r < (size_t)m; r++) {
    const float *kr = tr->kx + r * kin;
    for (size_t i = 0; i < kin; i++) {
      double acc = 0.0;
      for (size_t j = 0; j < kin; j++) acc += (double)gc[i * kin + j] * kr[j];
      lp += acc * kr[i];
    }
  }
  *lpow = (lp > 0.0 ? lp : 0.0) / (double)total;
  /* backward: dL/dYt = (2/total) E, so dC = scale E Vt^T and dVt = scale
   * C^T E; the error pass forms E a piece of columns at a time and takes
   * both, and the loss (sum E^2), while the piece is in cache
   * (passes.h) */
  float scale = (float)(2.0 / (double)total);
  if (own_products(tr)) {
    for (size_t r = 0; r < (size_t)m; r++)
      for (size_t b = 0; b < kv; b++) tr->ct[b * (size_t)m + r] = scale * tr->c[r * kv + b];
    *loss = sym_pass_error(tr->pool, tr->partial, caug, kaug, tr->v, (size_t)m, kv, (size_t)cols,
                           tr->ct, scale, tr->epiece, tr->dc, tr->dv) /
            (double)total;
  } else {
    /* the BLAS: E to memory, then dC by the cross pass, dV by sgemm */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, cols, (int)kaug, 1.0f, caug,
                (int)kaug, tr->v, cols, 0.0f, tr->ys, cols);
    *loss = sym_pass_cross(tr->pool, tr->partial, tr->ys, (size_t)m, tr->v, kv, (size_t)cols,
                           scale, tr->dc) /
            (double)total;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kv, cols, m, scale, tr->c, (int)kv,
                tr->ys, cols, 0.0f, tr->dv, cols);
  }
  if (!fused) sym_student_project_backward_t(s, tr->x, N, tr->dv, first ? 0.0f : 1.0f, tr->grad);
  if (first) zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, K, tr->dc, tr->grad, NULL, tr->dphi);
  if (fused) {
    double small = small_sumsq(tr);
    *gnorm2 = family_norm2(tr, N, gmag) + small;
    *gmag += small;
  }
  return SYMCLONE_OK;
}

/* ---- the family objectives' fused update -------------------------------------
 * With one input channel the blocks' gradient is dW = dV X (rows (b, o) of
 * in_hw floats, inner dimension N, student_priv.h), and
 *   ||dW||^2 = <dV^T dV, X X^T>,
 * two N x N products instead of a pass over the gradient.  The update then
 * forms dW a few rows at a time in cache, on the worker threads, and
 * applies AdamW to them (sym_pass_prod_adamw), so that the gradient never
 * goes to memory. */

/* The products of family_norm2 sum at most this many terms in float (then
 * in double), which bounds their rounding error on any BLAS. */
#define NORM_PIECE 256

/* out (upper triangle, N x N) = A^T A in double for A = rows x N floats
 * (row stride lda), or A A^T for A = N x rows (trans = 0): pieces of at
 * most NORM_PIECE terms by ssyrk, added in double. */
static void syrk_pieces(int trans, size_t N, size_t rows, const float *a, size_t lda, float *tmp,
                        double *out) {
  for (size_t i = 0; i < N * N; i++) out[i] = 0.0;
  for (size_t r0 = 0; r0 < rows; r0 += NORM_PIECE) {
    size_t rb = rows - r0 < NORM_PIECE ? rows - r0 : NORM_PIECE;
    if (trans)
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)N, (int)rb, 1.0f, a + r0 * lda,
                  (int)lda, 0.0f, tmp, (int)N);
    else
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)rb, 1.0f, a + r0,
                  (int)lda, 0.0f, tmp, (int)N);
    for (size_t i = 0; i < N; i++)
      for (size_t j = i; j < N; j++) out[i * N + j] += tmp[i * N + j];
  }
}

/* The squared norm of dW = dV X by the formula above.  *mag gets
 *   sum_ij |XX_ij| sqrt(D_ii D_jj) + |D_ij| sqrt(XX_ii XX_jj),
 * which bounds what the rounding of D and XX^T can do to it (each entry
 * is off by at most NORM_PIECE roundings of 2^-24 times the root of its
 * row's and column's diagonal entries, Cauchy-Schwarz), or infinity when
 * an element of dW or a partial sum of it might overflow a float
 * (|dW_ri| <= sqrt(tr D tr XX^T)). */
static double family_norm2(symclone_trainer *tr, size_t N, double *mag) {
  const symclone_student *s = tr->st;
  size_t rows = (size_t)s->nblocks * s->out_hw;
  double *d = tr->norm_d, *xx = d + N * N;
  float *tmp = tr->fused;
  syrk_pieces(1, N, rows, tr->dv, N, tmp, d);
  syrk_pieces(0, N, s->in_hw, tr->x, s->in_size, tmp, xx);
  double total = 0.0, size = 0.0, trd = 0.0, trx = 0.0;
  for (size_t i = 0; i < N; i++) {
    double di = fmax(d[i * N + i], 0.0), xi = fmax(xx[i * N + i], 0.0);
    total += d[i * N + i] * xx[i * N + i];
    size += xi * di + di * xi;
    for (size_t j = i + 1; j < N; j++) {
      double dj = fmax(d[j * N + j], 0.0), xj = fmax(xx[j * N + j], 0.0);
      total += 2.0 * d[i * N + j] * xx[i * N + j];
      size += 2.0 * (fabs(xx[i * N + j]) * sqrt(di * dj) + fabs(d[i * N + j]) * sqrt(xi * xj));
    }
    trd += di;
    trx += xi;
  }
  *mag = trd * trx < 1e76 ? size : INFINITY;
  return total > 0.0 ? total : 0.0;
}

/* The worst error of family_norm2 relative to its *mag: NORM_PIECE + 1
 * roundings in each product (1.5e-5), with a margin. */
#define FAMILY_NORM_REL 4e-5

static size_t family_fused_adamw(symclone_trainer *tr, const sym_adam_consts *k) {
  const symclone_student *s = tr->st;
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], L = s->in_hw;
  size_t rows = (size_t)s->nblocks * s->out_hw;
  return sym_pass_prod_adamw(tr->pool, tr->partial, tr->dv, N, tr->x, s->in_size, rows, L, N,
                             tr->fused + N * N, tr->params, tr->m1, tr->m2, k);
}

/* The small matrices of the moment objective, in tr->smat. */
typedef struct moment_mats {
  float *g;   /* B x B, the Gram matrix */
  float *ctc; /* B x B, (2/out) Cm^T Cm */
  float *z;   /* B x Pc, the tap sums */
  float *e;   /* B x Pc, (2/out) Cm^T kappa */
  float *h;   /* rows x B */
} moment_mats;

static moment_mats moment_mats_of(const symclone_trainer *tr) {
  size_t B = (size_t)tr->st->nblocks, pc = (size_t)tr->st->pc;
  moment_mats mm;
  mm.g = tr->smat;
  mm.ctc = mm.g + B * B;
  mm.z = mm.ctc + B * B;
  mm.e = mm.z + B * pc;
  mm.h = mm.e + B * pc;
  return mm;
}

/* The squared norm of the blocks' gradient without forming it:
 *   ||dW_b||^2 = a_b G a_b^T - 2 sum_c a_bc sum_q e_bq z_cq + sum_q e_bq^2 n_q
 * with a = ctc, n_q = tap_rows[q] (two taps never meet in one row:
 * build_tables).  *mag gets the same sum with every term replaced
 * by a bound on its size (|G_cd| <= sqrt(G_cc G_dd)): the result's rounding
 * error is a small multiple of it (MOMENT_NORM_REL). */
static double moment_norm2(const symclone_trainer *tr, const moment_mats *mm, double *mag) {
  const symclone_student *s = tr->st;
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc;
  double total = 0.0, size = 0.0;
  for (size_t b = 0; b < B; b++) {
    const float *a = mm->ctc + b * B, *e = mm->e + b * pc;
    double quad = 0.0, cross = 0.0, lab = 0.0, qbound = 0.0, cbound = 0.0;
    for (size_t c = 0; c < B; c++) {
      double gc = 0.0;
      for (size_t d = 0; d < B; d++) gc += (double)a[d] * mm->g[c * B + d];
      quad += (double)a[c] * gc;
      qbound += fabs((double)a[c]) * sqrt(fmax((double)mm->g[c * B + c], 0.0));
      double ez = 0.0, ezb = 0.0;
      for (size_t q = 0; q < pc; q++) {
        ez += (double)e[q] * mm->z[c * pc + q];
        ezb += fabs((double)e[q] * mm->z[c * pc + q]);
      }
      cross += (double)a[c] * ez;
      cbound += fabs((double)a[c]) * ezb;
    }
    for (size_t q = 0; q < pc; q++) lab += (double)e[q] * e[q] * tr->tap_rows[q];
    total += quad - 2.0 * cross + lab;
    size += qbound * qbound + 2.0 * cbound + lab;
  }
  *mag = size;
  return total > 0.0 ? total : 0.0;
}

/* The worst error of moment_norm2, and of the formed gradient's own sum
 * of squares, relative to its *mag: an entry of the Gram matrix is summed
 * in float lanes of 32 products each (sym_pass_gram: at most 33 roundings
 * of 2^-24, 2e-6 of sqrt(G_cc G_dd)), an element of the formed gradient
 * adds B products in float (5e-7 for B = 9).  Measured errors are about
 * 1e-9 of *mag. */
#define MOMENT_NORM_REL 1e-5

/* The moment objective's gradient of the blocks, written to tr->grad;
 * returns its squared norm. */
static double moment_grad(symclone_trainer *tr, int first) {
  sym_blocks blocks = blocks_of(tr->st);
  moment_mats mm = moment_mats_of(tr);
  return sym_pass_moment_grad(tr->pool, tr->partial, &blocks, mm.ctc, tr->tapidx,
                              (size_t)tr->st->pc, mm.e, !first, tr->grad);
}

/* Writes the squared norm of the gradient to *gnorm2.  With `fused` the
 * blocks' gradient is not formed (the update forms it: apply_update); its
 * norm then comes from moment_norm2, and *gmag gets that one's bound.
 * Otherwise *gmag = *gnorm2, exact. */
static symclone_status micro_moment(symclone_trainer *tr, int first, int fused, double *loss,
                                    double *lpow, double *gnorm2, double *gmag) {
  symclone_student *s = tr->st;
  symclone_status st = ensure_scratch(tr, 0, 0);
  if (st) return sym_fail(&tr->err, st, "cannot prepare the moment objective");
  size_t P = tr->p, tc = (size_t)s->tcount, pc = (size_t)s->pc, B = (size_t)s->nblocks;
  size_t rows = P * tc;
  memset(tr->theta, 0, P * P * sizeof(float));
  for (size_t q = 0; q < P; q++) tr->theta[q * P + q] = 1.0f;
  sym_student_phi(s, tr->theta, P, tr->phi);
  sym_student_coeffs(s, tr->phi, P, tr->c);
  sym_blocks blocks = blocks_of(s);
  moment_mats mm = moment_mats_of(tr);
  float *g = mm.g, *ctc = mm.ctc, *z = mm.z, *e = mm.e, *h = mm.h;
  /* G = W W^T and the tap sums z[b][q] */
  sym_pass_gram(tr->pool, tr->partial, &blocks, tr->tapidx, pc, g, z);
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
  /* dW = scale ((Cm^T Cm) W - E . Shift), E = Cm^T kappa (B x Pc), in one
   * pass over the blocks (added to dW after the first micro-batch) */
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)B, (int)rows, scale, tr->c,
              (int)B, tr->c, (int)B, 0.0f, ctc, (int)B);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)B, (int)pc, (int)rows, 1.0f, tr->c,
              (int)B, tr->kappa, (int)pc, 0.0f, e, (int)pc);
  for (size_t i = 0; i < B * pc; i++) e[i] = scale * e[i];
  double sq, mag;
  if (fused) {
    sq = moment_norm2(tr, &mm, &mag);
  } else {
    sq = moment_grad(tr, first);
    mag = sq;
  }
  if (first) zero_small_grad(tr);
  sym_student_coeffs_backward(s, tr->theta, tr->phi, P, tr->dc, tr->grad, NULL, tr->dphi);
  double small = small_sumsq(tr);
  *gnorm2 = sq + small;
  *gmag = mag + small;
  *loss = l / (double)s->out_size;
  *lpow = tr->moment_label_norm;
  return SYMCLONE_OK;
}

enum { FUSED_NONE = 0, FUSED_MOMENT = 1, FUSED_FAMILY = 2 };
static symclone_status ensure_fused(symclone_trainer *tr, int kind);

/* Forms the blocks' gradient that a fused update (of the first micro-batch)
 * would have formed itself; returns the squared norm of the whole
 * gradient, taken from it. */
static double form_gradient(symclone_trainer *tr, int kind) {
  if (kind == FUSED_MOMENT) return moment_grad(tr, 1) + small_sumsq(tr);
  sym_student_project_backward_t(tr->st, tr->x, (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], tr->dv,
                                 0.0f, tr->grad);
  return sym_pass_sumsq(tr->pool, tr->partial, tr->grad, tr->nparams);
}

/* Whether a fused update may go ahead on a squared norm from a formula
 * (moment_norm2, family_norm2) with the error bound rel * gmag: the norm
 * must be sure to be finite and clear of float overflow (1e76 > the square
 * of the largest float's tenth), and the clipping decision sure and its
 * scale known to 5e-4 at worst. */
int sym_norm_usable(double gnorm2, double gmag, double rel, double clip) {
  if (!isfinite(gnorm2) || !isfinite(gmag) || gmag >= 1e76) return 0;
  double err = rel * gmag;
  if (clip <= 0 || gnorm2 + err <= clip * clip) return 1; /* no clipping */
  return gnorm2 - err > clip * clip && err <= 1e-3 * gnorm2;
}

symclone_status sym_trainer_norms(symclone_trainer *tr, double *formula, double *bound,
                                  double *formed) {
  int moment = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE] == SYMCLONE_OBJECTIVE_MOMENT;
  if (tr->instance || (!moment && tr->st->in_n != 1)) return SYMCLONE_ERR_ARG;
  symclone_status st = ensure_fused(tr, moment ? FUSED_MOMENT : FUSED_FAMILY);
  if (st) return st;
  double l, lp;
  st = moment ? micro_moment(tr, 1, 1, &l, &lp, formula, bound)
              : micro_family(tr, 1, 1, &l, &lp, formula, bound);
  if (st) return st;
  *formed = form_gradient(tr, moment ? FUSED_MOMENT : FUSED_FAMILY);
  return SYMCLONE_OK;
}

void sym_trainer_no_fusion(symclone_trainer *tr, int off) { tr->no_fusion = off; }

/* The fused update's scratch: for the moment objective each thread's row
 * of every block; for the family one a piece of D = dV^T dV or X X^T
 * (N x N) and each thread's rows of the gradient (sym_pass_prod_adamw),
 * with D and X X^T themselves in double in norm_d.  SYMCLONE_OK,
 * SYMCLONE_ERR_OVERFLOW when its size does not fit a size_t (the update
 * then forms the gradient as it would without fusion), or
 * SYMCLONE_ERR_NOMEM. */
static symclone_status ensure_fused(symclone_trainer *tr, int kind) {
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], need, dneed = 0;
  if (kind == FUSED_MOMENT) {
    if (sym_mul3_size((size_t)sym_pool_threads(tr->pool), (size_t)tr->st->nblocks,
                      tr->st->in_hw, &need))
      return SYMCLONE_ERR_OVERFLOW;
  } else {
    size_t L = tr->st->in_hw, rows;
    if (sym_mul3_size(N, N, 2, &dneed) ||
        sym_mul3_size((size_t)sym_pool_threads(tr->pool), sym_pass_prod_rows(L), L, &rows) ||
        rows > SIZE_MAX - N * N)
      return SYMCLONE_ERR_OVERFLOW;
    need = N * N + rows;
  }
  void *f = tr->fused, *d = tr->norm_d;
  int bad = grow_to(&f, &tr->fused_cap, need, sizeof(float)) ||
            grow_to(&d, &tr->norm_d_cap, dneed, sizeof(double));
  tr->fused = f;
  tr->norm_d = d;
  return bad ? SYMCLONE_ERR_NOMEM : SYMCLONE_OK;
}

/* Instance mode: the dense layer's gradient (W[out][in], then the bias;
 * layer.h) is produced here directly, written on the first micro-batch
 * and added on the others. */
static symclone_status micro_instance(symclone_trainer *tr, int first, double *loss,
                                      double *lpow) {
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], in = tr->in_size, out = tr->out_size;
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
  *loss = sym_pass_sqerr(tr->pool, tr->partial, tr->ys, tr->labels, tr->ys, total, (float)(2.0 / (double)total), lpow) /
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
  double lr = tr->set[SYMCLONE_TRAINER_LEARNING_RATE];
  double hold = tr->set[SYMCLONE_TRAINER_HOLD_STEPS];
  if ((double)step_done < hold) return lr;
  double step = (double)step_done - hold;
  switch ((int)tr->set[SYMCLONE_TRAINER_SCHEDULE]) {
  case SYMCLONE_SCHEDULE_STEP:
    return lr * pow(tr->set[SYMCLONE_TRAINER_SCHEDULE_GAMMA],
                    floor(step / tr->set[SYMCLONE_TRAINER_SCHEDULE_STEPS]));
  case SYMCLONE_SCHEDULE_COSINE: {
    double total = tr->set[SYMCLONE_TRAINER_MAX_STEPS] - hold;
    double frac = total > 0 ? fmin(step / total, 1.0) : 1.0;
    double fl = tr->set[SYMCLONE_TRAINER_LR_FLOOR];
    return lr * (fl + (1.0 - fl) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac)));
  }
  default:
    return lr;
  }
}

/* The update of all parameters; with `fused` (AdamW) the blocks' gradient
 * is formed on the way (sym_pass_moment_adamw, family_fused_adamw). */
static size_t apply_update(symclone_trainer *tr, double gscale, int fused) {
  size_t n = tr->nparams, bad = 0;
  float *p = tr->params, *g = tr->grad, *m = tr->m1, *v = tr->m2;
  double lr = lr_at(tr, tr->steps);
  double wd = tr->set[SYMCLONE_TRAINER_WEIGHT_DECAY];
  if ((int)tr->set[SYMCLONE_TRAINER_OPTIMIZER] == SYMCLONE_OPTIMIZER_ADAMW) {
    double b1 = tr->set[SYMCLONE_TRAINER_BETA1], b2 = tr->set[SYMCLONE_TRAINER_BETA2];
    double eps = tr->set[SYMCLONE_TRAINER_EPSILON];
    tr->adam_t++;
    double bc1 = 1.0 - pow(b1, (double)tr->adam_t), bc2 = 1.0 - pow(b2, (double)tr->adam_t);
    sym_adam_consts k = {(float)b1,
                     (float)b2,
                     (float)(1.0 - b1),
                     (float)(1.0 - b2),
                     (float)(lr / bc1),
                     (float)(1.0 / sqrt(bc2)),
                     (float)eps,
                     (float)(1.0 - lr * wd),
                     (float)gscale};
    if (fused) {
      /* the blocks, forming their gradient; then the rest */
      size_t off = tr->st->off_coeffs;
      if (fused == FUSED_FAMILY) {
        bad = family_fused_adamw(tr, &k);
      } else {
        sym_blocks blocks = blocks_of(tr->st);
        moment_mats mm = moment_mats_of(tr);
        bad = sym_pass_moment_adamw(tr->pool, tr->partial, &blocks, mm.ctc, tr->tapidx,
                                    (size_t)tr->st->pc, mm.e, tr->fused, m, v, &k);
      }
      bad += sym_pass_adamw(tr->pool, tr->partial, p + off, g + off, m + off, v + off, n - off,
                            &k);
    } else {
      bad = sym_pass_adamw(tr->pool, tr->partial, p, g, m, v, n, &k);
    }
  } else {
    bad = sym_pass_sgd(tr->pool, tr->partial, p, g, m, n, (float)tr->set[SYMCLONE_TRAINER_MOMENTUM],
                       (float)lr, (float)wd, (float)gscale);
  }
  return bad;
}

/* The worker pool follows the threads setting; it is (re)started only when
 * that changes. */
static symclone_status ensure_pool(symclone_trainer *tr) {
  int want = (int)tr->set[SYMCLONE_TRAINER_THREADS];
  if (want < 1) want = 1;
  if (sym_pool_threads(tr->pool) == want) return SYMCLONE_OK;
  sym_pool_free(tr->pool);
  tr->pool = NULL;
  if (want == 1) return SYMCLONE_OK;
  symclone_status st = sym_pool_create(&tr->pool, want);
  if (st) return sym_fail(&tr->err, st, "cannot start threads=%d worker threads", want);
  return SYMCLONE_OK;
}

symclone_status symclone_trainer_step(symclone_trainer *tr, double *loss_out, double *rel_out) {
  if (!tr) return SYMCLONE_ERR_NULL;
  double t0 = now_seconds();
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  symclone_status pst = ensure_pool(tr);
  if (pst) return pst;
  if (!tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT &&
      (int)tr->set[SYMCLONE_TRAINER_INPUT_SOURCE] != SYMCLONE_INPUT_SOURCE_GAUSSIAN)
    return sym_fail(&tr->err, SYMCLONE_ERR_SETTING,
                    "objective=moment is defined for standard normal inputs only "
                    "(input_source=gaussian)");
  int acc = (int)tr->set[SYMCLONE_TRAINER_ACCUMULATE];
  double clip = tr->set[SYMCLONE_TRAINER_CLIP_NORM];
  /* with one micro-batch and AdamW the update forms the blocks' gradient
   * itself: for the moment objective, and for the sampling objectives of a
   * student with one input channel */
  int fused = FUSED_NONE;
  if (!tr->instance && acc == 1 && !tr->no_fusion &&
      (int)tr->set[SYMCLONE_TRAINER_OPTIMIZER] == SYMCLONE_OPTIMIZER_ADAMW) {
    if (obj == SYMCLONE_OBJECTIVE_MOMENT)
      fused = FUSED_MOMENT;
    else if (tr->st->in_n == 1 && own_products(tr) &&
             tr->set[SYMCLONE_TRAINER_INPUTS] <= (double)tr->st->in_hw)
      fused = FUSED_FAMILY; /* the norm's N x N products cost less than dW */
  }
  if (fused) {
    symclone_status st = ensure_fused(tr, fused);
    if (st == SYMCLONE_ERR_OVERFLOW) {
      fused = FUSED_NONE; /* the update forms the gradient as before */
    } else if (st) {
      tr->seconds += now_seconds() - t0;
      return sym_fail(&tr->err, st, "cannot allocate the fused update's scratch");
    }
  }
  double loss = 0.0, lpow = 0.0, gnorm2 = -1.0; /* < 0: not known yet */
  for (int a = 0; a < acc; a++) {
    double l = 0.0, lp = 0.0, gmag = 0.0;
    symclone_status st;
    if (tr->instance)
      st = micro_instance(tr, a == 0, &l, &lp);
    else if (obj == SYMCLONE_OBJECTIVE_MOMENT)
      st = micro_moment(tr, a == 0, fused, &l, &lp, &gnorm2, &gmag);
    else
      st = micro_family(tr, a == 0, fused, &l, &lp, &gnorm2, &gmag);
    if (st) {
      tr->seconds += now_seconds() - t0;
      return st;
    }
    if (fused && !sym_norm_usable(gnorm2, gmag,
                                  fused == FUSED_MOMENT ? MOMENT_NORM_REL : FAMILY_NORM_REL,
                                  clip)) {
      /* form the gradient after all, and take its norm from it */
      gnorm2 = form_gradient(tr, fused);
      fused = FUSED_NONE;
    }
    loss += l;
    lpow += lp;
  }
  loss /= acc;
  lpow /= acc;
  /* the squared norm of one micro-batch's gradient may have come with it */
  if (acc > 1 || gnorm2 < 0.0) gnorm2 = sym_pass_sumsq(tr->pool, tr->partial, tr->grad, tr->nparams);
  double gscale = 1.0 / acc, gnorm = sqrt(gnorm2) * gscale;
  if (!isfinite(loss) || !isfinite(gnorm)) {
    tr->seconds += now_seconds() - t0;
    return sym_fail(&tr->err, SYMCLONE_ERR_DIVERGED,
                    "step %lld: loss %g, gradient norm %g; the update was not applied",
                    tr->steps + 1, loss, gnorm);
  }
  if (clip > 0 && gnorm > clip) gscale *= clip / gnorm;
  size_t bad = apply_update(tr, gscale, fused);
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
  long long max_steps = (long long)tr->set[SYMCLONE_TRAINER_MAX_STEPS];
  long long every = (long long)tr->set[SYMCLONE_TRAINER_PROGRESS_EVERY];
  double target = tr->set[SYMCLONE_TRAINER_TARGET_REL_LOSS];
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
