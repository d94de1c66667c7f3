/* The sharded student: creation, the rows query, gather and scatter of
 * the blocks' rows, save and load through rank 0, and the Toeplitz
 * distance. */
#include <limits.h>
#include <string.h>

#include "../common/loader_priv.h"
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

symclone_status symclone_mpi_student_toeplitz_distance(const symclone_mpi_student *ms, int draws,
                                                       uint64_t seed, double *mean,
                                                       double *per_orientation) {
  if (!ms) return SYMCLONE_ERR_NULL;
  symclone_status st = mean ? SYMCLONE_OK : sym_fail(&ms->err, SYMCLONE_ERR_NULL, "mean is NULL");
  if (!st && draws < 1) st = sym_fail(&ms->err, SYMCLONE_ERR_SIZE, "draws=%d must be >= 1", draws);
  if ((st = sym_mpi_agree(ms->comm, st, &ms->err))) return st;
  symclone_student *whole;
  if ((st = gather_whole(ms, &whole))) return st;
  int nout = ms->local->out_n;
  double *res = sym_malloc_array((size_t)nout + 1, sizeof(double));
  if (!res) st = sym_fail(&ms->err, SYMCLONE_ERR_NOMEM, "cannot allocate %d doubles", nout + 1);
  if (!st && ms->rank == 0 &&
      (st = symclone_student_toeplitz_distance(whole, draws, seed, res, res + 1)))
    sym_fail(&ms->err, st, "%s", whole->err.msg);
  symclone_student_free(whole);
  if (!(st = sym_mpi_agree(ms->comm, st, &ms->err)) &&
      MPI_Bcast(res, nout + 1, MPI_DOUBLE, 0, ms->comm) != MPI_SUCCESS)
    st = sym_fail(&ms->err, SYMCLONE_ERR_IO, "MPI_Bcast failed");
  if (!st) {
    *mean = res[0];
    if (per_orientation) memcpy(per_orientation, res + 1, (size_t)nout * sizeof(double));
  }
  sym_free(res);
  return st;
}

const char *symclone_mpi_student_last_error(const symclone_mpi_student *ms) {
  return ms ? ms->err.msg : "";
}
