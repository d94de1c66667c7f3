/* The sharded student: creation, the rows query, gather and scatter of
 * the blocks' rows, save and load through rank 0, and the Toeplitz
 * distance. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "../common/loader_priv.h"
#include "../layer/tap.h"
#include "mpi_priv.h"

void sym_mpi_rows(size_t total, int size, int r, size_t *n, size_t *start) {
  size_t base = total / (size_t)size, extra = total % (size_t)size, ur = (size_t)r;
  *n = base + (ur < extra ? 1 : 0);
  *start = ur * base + (ur < extra ? ur : extra);
}

symclone_status sym_mpi_agree(MPI_Comm comm, symclone_status st, const sym_err *err) {
  int rank, first, key;
  MPI_Comm_rank(comm, &rank);
  key = st ? rank : INT_MAX;
  if (MPI_Allreduce(&key, &first, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
    return sym_fail(err, SYMCLONE_ERR_IO, "MPI_Allreduce failed");
  if (first == INT_MAX) return SYMCLONE_OK;
  int code = (int)st;
  if (MPI_Bcast(&code, 1, MPI_INT, first, comm) != MPI_SUCCESS)
    return sym_fail(err, SYMCLONE_ERR_IO, "MPI_Bcast failed");
  if (first != rank)
    return sym_fail(err, (symclone_status)code, "rank %d: %s", first,
                    symclone_strerror(code));
  return (symclone_status)code;
}

static void student_release(symclone_mpi_student *ms) {
  if (!ms) return;
  symclone_student_free(ms->local);
  sym_free(ms->counts);
  sym_free(ms->displs);
  if (ms->comm != MPI_COMM_NULL) MPI_Comm_free(&ms->comm);
  sym_free(ms);
}

/* A sharded student of geometry g on a duplicate of comm; every rank
 * returns the same status. */
static symclone_status student_make(symclone_mpi_student **out, MPI_Comm comm, const uint32_t g[7],
                                    uint64_t seed, const sym_err *err) {
  MPI_Comm dup;
  if (MPI_Comm_dup(comm, &dup) != MPI_SUCCESS)
    return sym_fail(err, SYMCLONE_ERR_IO, "MPI_Comm_dup failed");
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  symclone_mpi_student *ms = sym_calloc(1, sizeof *ms);
  symclone_status st = SYMCLONE_OK;
  if (!ms) {
    st = sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot allocate the sharded student");
    symclone_status agreed = sym_mpi_agree(dup, st, err);
    MPI_Comm_free(&dup);
    return agreed;
  }
  sym_err_init(&ms->err);
  ms->comm = dup;
  MPI_Comm_rank(dup, &ms->rank);
  MPI_Comm_size(dup, &ms->size);
  memcpy(ms->geom, g, sizeof ms->geom);
  /* every rank must ask for the same student */
  uint64_t mine[8] = {g[0], g[1], g[2], g[3], g[4], g[5], g[6], seed}, root[8];
  memcpy(root, mine, sizeof root);
  if (MPI_Bcast(root, 8, MPI_UINT64_T, 0, dup) != MPI_SUCCESS)
    st = sym_fail(err, SYMCLONE_ERR_IO, "MPI_Bcast failed");
  else if (memcmp(root, mine, sizeof root))
    st = sym_fail(err, SYMCLONE_ERR_ARG,
                  "rank %d asks for another geometry or seed than rank 0", ms->rank);
  if (!st && !out) st = sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  /* the output rows, from a shard of one row */
  symclone_student *probe = NULL;
  if (!st)
    st = sym_student_create_shard(&probe, (symclone_student_kind)g[0], (int)g[1], (int)g[2],
                                  (int)g[3], (int)g[4], (symclone_padding)g[5], (int)g[6], seed, 0,
                                  1);
  size_t total = probe ? probe->out_hw : 0, in_hw = probe ? probe->in_hw : 0, n = 0, start = 0;
  symclone_student_free(probe);
  if (!st && total < (size_t)ms->size)
    st = sym_fail(err, SYMCLONE_ERR_SIZE, "%zu output rows cannot be shared by %d ranks", total,
                  ms->size);
  if (!st && total * in_hw > (size_t)INT_MAX)
    st = sym_fail(err, SYMCLONE_ERR_OVERFLOW,
                  "a block of %zu x %zu floats is beyond MPI's int counts", total, in_hw);
  if (!st) {
    ms->counts = sym_malloc_array((size_t)ms->size, sizeof(int));
    ms->displs = sym_malloc_array((size_t)ms->size, sizeof(int));
    if (!ms->counts || !ms->displs)
      st = sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot allocate the rank table");
  }
  if (!st) {
    for (int r = 0; r < ms->size; r++) {
      size_t rn, rs;
      sym_mpi_rows(total, ms->size, r, &rn, &rs);
      ms->counts[r] = (int)(rn * in_hw);
      ms->displs[r] = (int)(rs * in_hw);
    }
    sym_mpi_rows(total, ms->size, ms->rank, &n, &start);
    st = sym_student_create_shard(&ms->local, (symclone_student_kind)g[0], (int)g[1], (int)g[2],
                                  (int)g[3], (int)g[4], (symclone_padding)g[5], (int)g[6], seed,
                                  start, n);
    if (st == SYMCLONE_ERR_NOMEM)
      st = sym_fail(err, st, "cannot allocate %zu rows of %d blocks", n, (int)g[6]);
  }
  st = sym_mpi_agree(dup, st, err);
  if (st) {
    student_release(ms);
    return st;
  }
  *out = ms;
  return SYMCLONE_OK;
}

symclone_status symclone_mpi_student_create(symclone_mpi_student **out, MPI_Comm comm,
                                            symclone_student_kind kind, int orientations,
                                            int kernel, int height, int width,
                                            symclone_padding padding, int blocks, uint64_t seed) {
  symclone_mpi_student *ms = NULL;
  /* out of range values stay out of range: the shard's creation refuses them */
  uint32_t g[7] = {(uint32_t)kind, (uint32_t)orientations, (uint32_t)kernel, (uint32_t)height,
                   (uint32_t)width, (uint32_t)padding, (uint32_t)blocks};
  symclone_status st = student_make(out ? &ms : NULL, comm, g, seed, NULL);
  if (!st) *out = ms;
  return st;
}

void symclone_mpi_student_free(symclone_mpi_student *ms) { student_release(ms); }

symclone_status symclone_mpi_student_rows(const symclone_mpi_student *ms, size_t *local_n,
                                          size_t *local_start, size_t *total) {
  if (!ms) return SYMCLONE_ERR_NULL;
  if (local_n) *local_n = ms->local->rows;
  if (local_start) *local_start = ms->local->row0;
  if (total) *total = ms->local->out_hw;
  return SYMCLONE_OK;
}

float *symclone_mpi_student_params(symclone_mpi_student *ms, size_t *count) {
  if (count) *count = ms ? ms->local->nparams : 0;
  return ms ? ms->local->params : NULL;
}

/* Whether whole is a student of ms's geometry (on the root). */
static symclone_status check_whole(const symclone_mpi_student *ms, const symclone_student *whole) {
  const symclone_student *l = ms->local;
  if (!whole) return sym_fail(&ms->err, SYMCLONE_ERR_NULL, "the whole student is NULL on the root");
  if (whole->kind != l->kind || whole->n != l->n || whole->k != l->k || whole->h != l->h ||
      whole->w != l->w || whole->pad != l->pad || whole->nblocks != l->nblocks ||
      whole->rows != whole->out_hw)
    return sym_fail(&ms->err, SYMCLONE_ERR_SHAPE,
                    "the whole student's geometry differs from the sharded student's");
  if (whole->r_count)
    return sym_fail(&ms->err, SYMCLONE_ERR_UNSUPPORTED,
                    "a restricted student (symclone_student_restrict) is not sharded");
  return SYMCLONE_OK;
}

static symclone_status check_root(const symclone_mpi_student *ms, int root) {
  if (root < 0 || root >= ms->size)
    return sym_fail(&ms->err, SYMCLONE_ERR_ARG, "root=%d is not a rank of %d", root, ms->size);
  return SYMCLONE_OK;
}

/* After the agreement: the blocks' rows to (gather) or from the root, and
 * the coefficients and transforms. */
static symclone_status move_rows(const symclone_mpi_student *ms, symclone_student *whole, int root,
                                 int gather) {
  const symclone_student *l = ms->local;
  size_t B = (size_t)l->nblocks, mine = l->rows * l->in_hw, all = l->out_hw * l->in_hw;
  int ok = 1;
  for (size_t b = 0; b < B && ok; b++) {
    float *lb = l->params + b * mine, *wb = ms->rank == root ? whole->params + b * all : NULL;
    ok = (gather ? MPI_Gatherv(lb, (int)mine, MPI_FLOAT, wb, ms->counts, ms->displs, MPI_FLOAT,
                               root, ms->comm)
                 : MPI_Scatterv(wb, ms->counts, ms->displs, MPI_FLOAT, lb, (int)mine, MPI_FLOAT,
                                root, ms->comm)) == MPI_SUCCESS;
  }
  size_t small = l->nparams - l->off_coeffs;
  if (gather) {
    if (ms->rank == root) memcpy(whole->params + whole->off_coeffs, l->params + l->off_coeffs,
                                 small * sizeof(float));
  } else if (ok) {
    if (ms->rank == root) memcpy(l->params + l->off_coeffs, whole->params + whole->off_coeffs,
                                 small * sizeof(float));
    ok = MPI_Bcast(l->params + l->off_coeffs, (int)small, MPI_FLOAT, root, ms->comm) ==
         MPI_SUCCESS;
  }
  return ok ? SYMCLONE_OK
            : sym_fail(&ms->err, SYMCLONE_ERR_IO, "the %s of the rows failed",
                       gather ? "gather" : "scatter");
}

symclone_status symclone_mpi_student_gather(const symclone_mpi_student *ms,
                                            symclone_student *whole, int root) {
  if (!ms) return SYMCLONE_ERR_NULL;
  symclone_status st = check_root(ms, root);
  if (!st && ms->rank == root) st = check_whole(ms, whole);
  if ((st = sym_mpi_agree(ms->comm, st, &ms->err))) return st;
  return sym_mpi_agree(ms->comm, move_rows(ms, whole, root, 1), &ms->err);
}

symclone_status symclone_mpi_student_scatter(symclone_mpi_student *ms,
                                             const symclone_student *whole, int root) {
  if (!ms) return SYMCLONE_ERR_NULL;
  symclone_status st = check_root(ms, root);
  if (!st && ms->rank == root) st = check_whole(ms, whole);
  if ((st = sym_mpi_agree(ms->comm, st, &ms->err))) return st;
  return sym_mpi_agree(ms->comm, move_rows(ms, (symclone_student *)whole, root, 0), &ms->err);
}

/* A whole student of ms's geometry on rank 0 (NULL elsewhere), the rows
 * gathered into it; every rank returns the same status. */
static symclone_status gather_whole(const symclone_mpi_student *ms, symclone_student **whole) {
  const uint32_t *g = ms->geom;
  symclone_status st = SYMCLONE_OK;
  *whole = NULL;
  if (ms->rank == 0) {
    st = symclone_student_create(whole, (symclone_student_kind)g[0], (int)g[1], (int)g[2],
                                 (int)g[3], (int)g[4], (symclone_padding)g[5], (int)g[6], 0);
    if (st) st = sym_fail(&ms->err, st, "cannot allocate the whole student on rank 0");
  }
  if (!(st = sym_mpi_agree(ms->comm, st, &ms->err)))
    st = sym_mpi_agree(ms->comm, move_rows(ms, *whole, 0, 1), &ms->err);
  if (st) {
    symclone_student_free(*whole);
    *whole = NULL;
  }
  return st;
}

symclone_status symclone_mpi_student_save(const symclone_mpi_student *ms, const char *path) {
  if (!ms) return SYMCLONE_ERR_NULL;
  symclone_status st = path ? SYMCLONE_OK : sym_fail(&ms->err, SYMCLONE_ERR_NULL, "path is NULL");
  if ((st = sym_mpi_agree(ms->comm, st, &ms->err))) return st;
  symclone_student *whole;
  if ((st = gather_whole(ms, &whole))) return st;
  if (ms->rank == 0 && (st = symclone_student_save(whole, path)))
    sym_fail(&ms->err, st, "%s", whole->err.msg);
  symclone_student_free(whole);
  return sym_mpi_agree(ms->comm, st, &ms->err);
}

symclone_status symclone_mpi_student_load(symclone_mpi_student **out, MPI_Comm comm,
                                          const char *path, symclone_loader *loader) {
  int rank;
  if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) return SYMCLONE_ERR_IO;
  const sym_err *err = sym_loader_err(loader);
  symclone_student *whole = NULL;
  symclone_status st = out ? SYMCLONE_OK : sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!st && rank == 0) st = symclone_student_load(&whole, path, loader);
  if (!st && whole && whole->r_count)
    st = sym_fail(err, SYMCLONE_ERR_UNSUPPORTED,
                  "'%s' holds a restricted student (symclone_student_restrict), which is not "
                  "sharded", path);
  uint32_t g[7] = {0};
  if (whole) {
    const symclone_student *w = whole;
    uint32_t wg[7] = {(uint32_t)w->kind, (uint32_t)w->n, (uint32_t)w->k, (uint32_t)w->h,
                      (uint32_t)w->w,    (uint32_t)w->pad, (uint32_t)w->nblocks};
    memcpy(g, wg, sizeof g);
  }
  if ((st = sym_mpi_agree(comm, st, err)) ||
      (MPI_Bcast(g, 7, MPI_UINT32_T, 0, comm) != MPI_SUCCESS &&
       (st = sym_fail(err, SYMCLONE_ERR_IO, "MPI_Bcast failed")))) {
    symclone_student_free(whole);
    return st;
  }
  symclone_mpi_student *ms = NULL;
  st = student_make(&ms, comm, g, 0, err);
  if (!st) {
    st = move_rows(ms, whole, 0, 0);
    st = sym_mpi_agree(ms->comm, st, &ms->err);
  }
  symclone_student_free(whole);
  if (st) {
    symclone_mpi_student_free(ms);
    return st;
  }
  *out = ms;
  return SYMCLONE_OK;
}

/* v[0 .. n) summed over the ranks in rank order (MPI_Allgather, then the
 * sum), the same bits on every rank. */
static symclone_status sum_ranks(const symclone_mpi_student *ms, double *v, size_t n) {
  double *all = sym_malloc_array(n, (size_t)ms->size * sizeof(double));
  symclone_status st = all ? SYMCLONE_OK
                           : sym_fail(&ms->err, SYMCLONE_ERR_NOMEM, "cannot allocate %d x %zu "
                                      "doubles", ms->size, n);
  if ((st = sym_mpi_agree(ms->comm, st, &ms->err))) return st;
  if (MPI_Allgather(v, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, ms->comm) != MPI_SUCCESS)
    st = sym_fail(&ms->err, SYMCLONE_ERR_IO, "MPI_Allgather failed");
  for (size_t i = 0; !st && i < n; i++) {
    double t = all[i];
    for (int r = 1; r < ms->size; r++) t += all[(size_t)r * n + i];
    v[i] = t;
  }
  sym_free(all);
  return st;
}

/* The squared distances and norms of one theta on this rank's rows:
 * nd[2 r] = sum ||M_row - K_row||^2 and nd[2 r + 1] = sum ||K_row||^2 over
 * the rows of output orientation r, where the student's row of input
 * orientation s is sum_b C[t][b] W_b[o] (t = r in_n + s) and the teacher's
 * holds its planar kernel kx[t] at the taps of output pixel o. */
typedef struct toeplitz_work {
  float *kappa, *theta, *phi, *c, *kx, *m, *k;
  int *tap;
} toeplitz_work;

static void toeplitz_rows(const symclone_student *s, const toeplitz_work *w, double *nd) {
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc, tc = (size_t)s->tcount, L = s->in_hw;
  size_t P = (size_t)s->p, bsz = s->rows * L;
  for (size_t t = 0; t < tc; t++)
    for (size_t q = 0; q < pc; q++) {
      double a = 0.0;
      for (size_t p = 0; p < P; p++) a += (double)w->theta[p] * w->kappa[(p * tc + t) * pc + q];
      w->kx[t * pc + q] = (float)a;
    }
  sym_student_phi(s, w->theta, 1, w->phi);
  sym_student_coeffs(s, w->phi, 1, w->c);
  for (int r = 0; r < s->out_n; r++) {
    double num = 0.0, den = 0.0;
    for (size_t o = 0; o < s->rows; o++)
      for (int si = 0; si < s->in_n; si++) {
        size_t t = (size_t)r * (size_t)s->in_n + (size_t)si;
        const float *ct = w->c + t * B;
        for (size_t i = 0; i < L; i++) w->m[i] = 0.0f;
        for (size_t b = 0; b < B; b++) {
          const float *wb = s->params + b * bsz + o * L;
          for (size_t i = 0; i < L; i++) w->m[i] += ct[b] * wb[i];
        }
        for (size_t i = 0; i < L; i++) w->k[i] = 0.0f;
        for (size_t q = 0; q < pc; q++) {
          int col = w->tap[o * pc + q];
          if (col >= 0) w->k[col] += w->kx[t * pc + q];
        }
        for (size_t i = 0; i < L; i++) {
          double d = (double)w->m[i] - (double)w->k[i];
          num += d * d;
          den += (double)w->k[i] * w->k[i];
        }
      }
    nd[2 * r] = num;
    nd[2 * r + 1] = den;
  }
}

symclone_status symclone_mpi_student_toeplitz_distance(const symclone_mpi_student *ms, int draws,
                                                       uint64_t seed, double *mean,
                                                       double *per_orientation) {
  if (!ms) return SYMCLONE_ERR_NULL;
  const symclone_student *s = ms->local;
  symclone_status st = mean ? SYMCLONE_OK : sym_fail(&ms->err, SYMCLONE_ERR_NULL, "mean is NULL");
  if (!st && draws < 1) st = sym_fail(&ms->err, SYMCLONE_ERR_SIZE, "draws=%d must be >= 1", draws);
  size_t P = (size_t)s->p, pc = (size_t)s->pc, tc = (size_t)s->tcount, B = (size_t)s->nblocks;
  size_t nout = (size_t)s->out_n, L = s->in_hw;
  toeplitz_work w = {0};
  float *buf = NULL;
  double *nd = NULL;
  if (!st) {
    buf = sym_malloc_array(P * tc * pc + P + 2 * tc * pc + tc * B + tc * pc + 2 * L, sizeof(float));
    nd = sym_malloc_array((size_t)draws * 2 * nout, sizeof(double));
    w.tap = sym_malloc_array(s->rows * pc, sizeof(int));
    if (!buf || !nd || !w.tap)
      st = sym_fail(&ms->err, SYMCLONE_ERR_NOMEM, "cannot allocate the distance's scratch");
  }
  if (!st) {
    w.kappa = buf;
    w.theta = w.kappa + P * tc * pc;
    w.phi = w.theta + P;
    w.c = w.phi + 2 * tc * pc;
    w.kx = w.c + tc * B;
    w.m = w.kx + tc * pc;
    w.k = w.m + L;
    if ((st = sym_student_exact_kernels(s, w.kappa)))
      sym_fail(&ms->err, st, "cannot make the teacher's kernels");
  }
  if (!st) {
    int k = s->k;
    for (size_t o = 0; o < s->rows; o++) {
      int oy = (int)((s->row0 + o) / (size_t)s->wo), ox = (int)((s->row0 + o) % (size_t)s->wo);
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          w.tap[o * pc + (size_t)ky * k + kx] = sym_tap_index(s->pad, s->h, s->w, k, oy, ox, ky, kx);
    }
    sym_rng rng;
    sym_rng_seed(&rng, seed);
    for (int d = 0; d < draws; d++) {
      sym_rng_fill_normal(&rng, w.theta, P, 1.0f);
      toeplitz_rows(s, &w, nd + (size_t)d * 2 * nout);
    }
  }
  if (!(st = sym_mpi_agree(ms->comm, st, &ms->err)))
    st = sum_ranks(ms, nd, (size_t)draws * 2 * nout);
  if (!st) {
    /* the figures of symclone_student_toeplitz_distance from the sums */
    double total = 0.0;
    if (per_orientation)
      for (size_t r = 0; r < nout; r++) per_orientation[r] = 0.0;
    for (int d = 0; d < draws; d++) {
      const double *v = nd + (size_t)d * 2 * nout;
      double num_all = 0.0, den_all = 0.0;
      for (size_t r = 0; r < nout; r++) {
        if (per_orientation) per_orientation[r] += v[2 * r + 1] > 0 ? sqrt(v[2 * r] / v[2 * r + 1]) : 0.0;
        num_all += v[2 * r];
        den_all += v[2 * r + 1];
      }
      total += den_all > 0 ? sqrt(num_all / den_all) : 0.0;
    }
    *mean = total / draws;
    if (per_orientation)
      for (size_t r = 0; r < nout; r++) per_orientation[r] /= draws;
  }
  sym_free(buf);
  sym_free(nd);
  sym_free(w.tap);
  return st;
}

symclone_status symclone_mpi_student_forward(const symclone_mpi_student *ms, const float *theta,
                                             size_t batch, const float *x, float *y) {
  if (!ms) return SYMCLONE_ERR_NULL;
  const symclone_student *s = ms->local;
  symclone_status st = SYMCLONE_OK;
  if (!theta || !x || !y) st = sym_fail(&ms->err, SYMCLONE_ERR_NULL, "theta, x or y is NULL");
  else if (batch == 0) st = sym_fail(&ms->err, SYMCLONE_ERR_SIZE, "batch is 0");
  size_t B = (size_t)s->nblocks, nout = (size_t)s->out_n, rows = s->rows;
  size_t nv = 0, ny = 0, nphi = (size_t)s->tcount * s->pc, nc = (size_t)s->tcount * B, mine;
  if (!st && (sym_mul3_size(batch, (size_t)s->in_n * B, rows, &nv) ||
              sym_mul3_size(batch, nout, s->out_hw, &ny) || nv > SIZE_MAX / 8 ||
              ny > SIZE_MAX / 8 || batch * nout * s->out_hw > (size_t)INT_MAX ||
              batch * (size_t)s->in_n > (size_t)INT_MAX))
    st = sym_fail(&ms->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows", batch);
  float *buf = NULL, *all = NULL;
  int *counts = NULL, *displs = NULL;
  if (!st) {
    buf = sym_malloc_array(nv + nphi + nc + batch * nout * rows, sizeof(float));
    all = sym_malloc_array(ny ? ny : 1, sizeof(float));
    counts = sym_malloc_array((size_t)ms->size, sizeof(int));
    displs = sym_malloc_array((size_t)ms->size, sizeof(int));
    if (!buf || !all || !counts || !displs)
      st = sym_fail(&ms->err, SYMCLONE_ERR_NOMEM, "cannot allocate the forward pass's scratch");
  }
  if (!(st = sym_mpi_agree(ms->comm, st, &ms->err))) {
    float *v = buf, *phi = v + nv, *c = phi + nphi, *yl = c + nc;
    sym_student_phi(s, theta, 1, phi);
    sym_student_coeffs(s, phi, 1, c);
    sym_student_project(s, x, batch, v);
    sym_student_combine(s, c, 1, v, batch, yl); /* [batch][out_n][rows] */
    for (int r = 0; r < ms->size; r++) {
      size_t rn, rs;
      sym_mpi_rows(s->out_hw, ms->size, r, &rn, &rs);
      counts[r] = (int)(batch * nout * rn);
      displs[r] = (int)(batch * nout * rs);
    }
    mine = batch * nout * rows;
    if (MPI_Allgatherv(yl, (int)mine, MPI_FLOAT, all, counts, displs, MPI_FLOAT, ms->comm) !=
        MPI_SUCCESS)
      st = sym_fail(&ms->err, SYMCLONE_ERR_IO, "MPI_Allgatherv failed");
    /* rank r's block [batch][out_n][rn] into y[batch][out_n][out_hw] */
    for (int r = 0; !st && r < ms->size; r++) {
      size_t rn, rs;
      sym_mpi_rows(s->out_hw, ms->size, r, &rn, &rs);
      const float *src = all + displs[r];
      for (size_t xi = 0; xi < batch * nout; xi++)
        memcpy(y + xi * s->out_hw + rs, src + xi * rn, rn * sizeof(float));
    }
    st = sym_mpi_agree(ms->comm, st, &ms->err);
  }
  sym_free(buf);
  sym_free(all);
  sym_free(counts);
  sym_free(displs);
  return st;
}

const char *symclone_mpi_student_last_error(const symclone_mpi_student *ms) {
  return ms ? ms->err.msg : "";
}
