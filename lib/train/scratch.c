/* The trainer's scratch: the step's arrays, grown only when the objective
 * changes or K, N grow (never in steady state), the passes' partial
 * results, the error pass's pieces and the fused updates' scratch. */
#include "hooks.h"
#include "trainer_priv.h"

void sym_trainer_free_scratch(symclone_trainer *tr) {
  float **bufs[] = {&tr->x,  &tr->xt,   &tr->theta, &tr->kx, &tr->labels, &tr->ys, &tr->v,
                    &tr->dv, &tr->phi,  &tr->dphi,  &tr->c,  &tr->dc,     &tr->smat};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    sym_free(*bufs[i]);
    *bufs[i] = NULL;
  }
  sym_free(tr->work);
  tr->work = NULL;
  tr->work_threads = 0;
  sym_free(tr->partial);
  tr->partial = NULL;
  tr->cols = NULL; /* inside v */
  tr->cap_k = tr->cap_n = 0;
  tr->scratch_ready = 0;
}

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

sym_blocks sym_trainer_blocks(const symclone_student *s) {
  sym_blocks b = {s->params, (size_t)s->nblocks, s->rows, s->in_hw};
  return b;
}

sym_blocks sym_trainer_cols_blocks(const symclone_student *s, const float *cols, size_t N) {
  sym_blocks b = {cols, (size_t)s->in_n * (size_t)s->pc, s->rows, N};
  return b;
}

/* The passes' partial results (passes.h): the norm and the update over all
 * parameters, the loss over the step's outputs, the Gram pieces. */
static symclone_status alloc_partial(symclone_trainer *tr, size_t K, size_t N, int moment) {
  size_t need = sym_pass_tasks(tr->nparams), other;
  if (moment) {
    sym_blocks b = sym_trainer_blocks(tr->st);
    if (sym_mul3_size(sym_pass_block_tasks(&b), b.nblocks, b.nblocks + (size_t)tr->st->pc,
                      &other))
      return SYMCLONE_ERR_OVERFLOW;
  } else {
    if (sym_mul3_size(K, N, tr->out_size, &other)) return SYMCLONE_ERR_OVERFLOW;
    other = 2 * sym_pass_tasks(other);
    if (!tr->instance) { /* the Gram pass over the im2col rows, the cross pass of dC */
      const symclone_student *s = tr->st;
      sym_blocks cb = sym_trainer_cols_blocks(s, NULL, N);
      size_t g, x;
      if (sym_mul3_size(sym_pass_block_tasks(&cb), cb.nblocks, cb.nblocks, &g) ||
          sym_mul3_size(sym_pass_cross_tasks(s->rows * N),
                        K * (size_t)s->out_n * (size_t)s->in_n * (size_t)s->nblocks + 1, 1, &x))
        return SYMCLONE_ERR_OVERFLOW;
      if (g > other) other = g;
      if (x > other) other = x;
      /* the family fused update's tasks (sym_pass_prod_adamw) */
      size_t rows = (size_t)s->nblocks * s->rows, rpt = sym_pass_prod_rows(s->in_hw);
      if (rows / rpt + 1 > other) other = rows / rpt + 1;
    }
  }
  if (other > need) need = other;
  tr->partial = sym_malloc_array(need, sizeof(double));
  return tr->partial ? SYMCLONE_OK : SYMCLONE_ERR_NOMEM;
}

static symclone_status alloc_sampling(symclone_trainer *tr, size_t K, size_t N);

/* Scratch is (re)allocated only when the objective changes or K, N grow:
 * never in steady state. */
symclone_status sym_trainer_scratch(symclone_trainer *tr, size_t K, size_t N) {
  int obj = (int)tr->set[SYMCLONE_TRAINER_OBJECTIVE];
  int moment = !tr->instance && obj == SYMCLONE_OBJECTIVE_MOMENT;
  if (tr->scratch_ready && tr->cap_objective == obj &&
      (moment || (tr->cap_k >= K && tr->cap_n >= N)))
    return SYMCLONE_OK;
  sym_trainer_free_scratch(tr);
  tr->cap_objective = obj;
  symclone_status st = moment ? ensure_moment(tr) : alloc_sampling(tr, K, N);
  if (!st) st = alloc_partial(tr, K, N, moment);
  if (st) {
    sym_trainer_free_scratch(tr);
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

/* Where the product kernel has vector code, and unless the tests turned
 * fusion off (hooks.h). */
int sym_trainer_own_products(const symclone_trainer *tr) {
  (void)tr;
  return !sym_hook_no_fusion() && sym_pass_prod_fast();
}

static symclone_status alloc_sampling(symclone_trainer *tr, size_t K, size_t N) {
  size_t in = tr->in_size, out = tr->out_size;
  scratch_req io[3] = {{&tr->x, N, in, 1}, {&tr->ys, N, K, out}, {&tr->labels, N, 1, out}};
  /* family mode needs no labels, and no outputs where the error pass forms
   * the error a piece at a time */
  symclone_status st = grow_all(io, tr->instance ? 3 : sym_trainer_own_products(tr) ? 1 : 2);
  if (st) return st;
  if (tr->instance) return SYMCLONE_OK; /* the teacher's workspace: instance.c */
  const symclone_student *s = tr->st;
  size_t tc = (size_t)s->tcount, pc = (size_t)s->pc, nb = (size_t)s->nblocks;
  size_t vrow;
  if (sym_mul3_size((size_t)s->in_n, nb, s->rows, &vrow)) return SYMCLONE_ERR_OVERFLOW;
  /* v holds [Vt; cols]: in_n*(B + Pc) rows of out_hw*N floats; smat the
   * im2col rows' Gram matrix (kin x kin, in kin rows of kaug) and [C | -Kx] */
  size_t kin = (size_t)s->in_n * pc, kaug = (size_t)s->in_n * nb + kin, m = K * (size_t)s->out_n;
  scratch_req req[10] = {
      {&tr->xt, N, in, 1},    {&tr->smat, kin + m, kaug, 1},
      {&tr->kx, K, tc, pc},   {&tr->theta, K, tr->p, 1},
      {&tr->v, kaug, s->rows, N},     {&tr->dv, N, vrow, 1},
      {&tr->phi, K, tc, pc},  {&tr->dphi, K, tc, pc},
      {&tr->c, K, tc, nb},    {&tr->dc, K, tc, nb},
  };
  st = grow_all(req, 10);
  if (st) return st;
  tr->cols = tr->v + vrow * N;
  return SYMCLONE_OK;
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
symclone_status sym_trainer_error_scratch(symclone_trainer *tr, size_t m) {
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

/* The fused update's scratch: for the moment objective each thread's row
 * of every block; for the family one a piece of D = dV^T dV or X X^T
 * (N x N) and each thread's rows of the gradient (sym_pass_prod_adamw),
 * with D and X X^T themselves in double in norm_d.  SYMCLONE_OK,
 * SYMCLONE_ERR_OVERFLOW when its size does not fit a size_t (the update
 * then forms the gradient), or SYMCLONE_ERR_NOMEM. */
symclone_status sym_trainer_fused_scratch(symclone_trainer *tr, int kind) {
  size_t N = (size_t)tr->set[SYMCLONE_TRAINER_INPUTS], need, dneed = 0;
  if (kind == SYM_FUSED_MOMENT) {
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
