/* The sharded trainer: the trainer of lib/train on this rank's shard,
 * given a reduction over the ranks.  The reduction gathers every rank's
 * values (MPI_Allgather) and adds them in rank order, so that every rank
 * gets the same bits and a run is the same for a given rank count (an
 * MPI_Allreduce's order of summation is not fixed); with one rank it
 * returns the values themselves. */
#include <math.h>
#include <string.h>

#include "../train/trainer_priv.h"
#include "mpi_priv.h"

struct symclone_mpi_trainer {
  symclone_mpi_student *ms;
  MPI_Comm comm;
  int rank, size;
  symclone_trainer *tr;
  double *gathered; /* size * cap doubles */
  size_t cap;
  double *set0;     /* rank 0's settings, for the comparison */
  double bytes, seconds;
  sym_err err;
};

/* sym_shard's reduction: v[0 .. n) summed over the ranks in rank order. */
static symclone_status reduce_ranks(void *ctx, double *v, size_t n) {
  symclone_mpi_trainer *t = ctx;
  if (n > t->cap) return SYMCLONE_ERR_SIZE; /* grown by step_ready */
  double t0 = MPI_Wtime();
  int rc = MPI_Allgather(v, (int)n, MPI_DOUBLE, t->gathered, (int)n, MPI_DOUBLE, t->comm);
  t->seconds += MPI_Wtime() - t0;
  t->bytes += 8.0 * (double)n * (double)(t->size - 1);
  if (rc != MPI_SUCCESS) return SYMCLONE_ERR_IO;
  for (size_t i = 0; i < n; i++) {
    double s = t->gathered[i];
    for (int r = 1; r < t->size; r++) s += t->gathered[(size_t)r * n + i];
    v[i] = s;
  }
  return SYMCLONE_OK;
}

static void trainer_release(symclone_mpi_trainer *t) {
  if (!t) return;
  symclone_trainer_free(t->tr);
  sym_free(t->gathered);
  sym_free(t->set0);
  if (t->comm != MPI_COMM_NULL) MPI_Comm_free(&t->comm);
  sym_free(t);
}

symclone_status symclone_mpi_trainer_create(symclone_mpi_trainer **out,
                                            symclone_mpi_student *ms) {
  if (!ms) return SYMCLONE_ERR_NULL;
  MPI_Comm dup;
  if (MPI_Comm_dup(ms->comm, &dup) != MPI_SUCCESS)
    return sym_fail(&ms->err, SYMCLONE_ERR_IO, "MPI_Comm_dup failed");
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  symclone_status st = out ? SYMCLONE_OK : SYMCLONE_ERR_NULL;
  symclone_mpi_trainer *t = st ? NULL : sym_calloc(1, sizeof *t);
  if (!st && !t) st = SYMCLONE_ERR_NOMEM;
  if (t) {
    sym_err_init(&t->err);
    t->ms = ms;
    t->comm = dup;
    t->rank = ms->rank;
    t->size = ms->size;
    t->set0 = sym_malloc_array(SYM_SETTINGS_SLOTS, sizeof(double));
    sym_shard sh = {reduce_ranks, t, ms->rank == 0};
    if (!t->set0) st = SYMCLONE_ERR_NOMEM;
    else st = sym_trainer_create_shard(&t->tr, ms->local, &sh);
  }
  if (st) sym_fail(&ms->err, st, "cannot create the sharded trainer");
  st = sym_mpi_agree(dup, st, &ms->err);
  if (st) {
    if (t) trainer_release(t);
    else MPI_Comm_free(&dup);
    return st;
  }
  *out = t;
  return SYMCLONE_OK;
}

void symclone_mpi_trainer_free(symclone_mpi_trainer *t) { trainer_release(t); }

symclone_status symclone_mpi_trainer_set(symclone_mpi_trainer *t, symclone_setting key,
                                         double value) {
  if (!t) return SYMCLONE_ERR_NULL;
  symclone_status st = symclone_trainer_set(t->tr, key, value);
  if (st) return sym_fail(&t->err, st, "%s", t->tr->err.msg);
  return SYMCLONE_OK;
}

symclone_status symclone_mpi_trainer_set_samples(symclone_mpi_trainer *t, const float *samples,
                                                 size_t count) {
  if (!t) return SYMCLONE_ERR_NULL;
  symclone_status st = symclone_trainer_set_samples(t->tr, samples, count);
  if (st) return sym_fail(&t->err, st, "%s", t->tr->err.msg);
  return SYMCLONE_OK;
}

symclone_status symclone_mpi_trainer_get(const symclone_mpi_trainer *t, symclone_setting key,
                                         double *value) {
  if (!t) return SYMCLONE_ERR_NULL;
  symclone_status st = symclone_trainer_get(t->tr, key, value);
  if (st) return sym_fail(&t->err, st, "%s", t->tr->err.msg);
  return SYMCLONE_OK;
}

/* Before a step: the ranks' settings are rank 0's, and every rank has
 * what the step allocates; the same status on every rank. */
static symclone_status step_ready(symclone_mpi_trainer *t) {
  symclone_status st = SYMCLONE_OK;
  double t0 = MPI_Wtime();
  memcpy(t->set0, t->tr->set, SYM_SETTINGS_SLOTS * sizeof(double));
  if (MPI_Bcast(t->set0, SYM_SETTINGS_SLOTS, MPI_DOUBLE, 0, t->comm) != MPI_SUCCESS)
    st = sym_fail(&t->err, SYMCLONE_ERR_IO, "MPI_Bcast failed");
  else if (memcmp(t->set0, t->tr->set, SYM_SETTINGS_SLOTS * sizeof(double)))
    st = sym_fail(&t->err, SYMCLONE_ERR_SETTING,
                  "rank %d's trainer settings differ from rank 0's", t->rank);
  else if ((st = sym_trainer_prepare(t->tr)))
    sym_fail(&t->err, st, "%s", t->tr->err.msg);
  size_t need = sym_trainer_shard_reduce_size(t->tr);
  if (!st && need > t->cap) {
    sym_free(t->gathered);
    t->cap = 0;
    if (!(t->gathered = sym_malloc_array(need, (size_t)t->size * sizeof(double))))
      st = sym_fail(&t->err, SYMCLONE_ERR_NOMEM, "cannot allocate %d x %zu doubles", t->size,
                    need);
    else
      t->cap = need;
  }
  st = sym_mpi_agree(t->comm, st, &t->err);
  t->seconds += MPI_Wtime() - t0;
  if (t->size > 1) t->bytes += 8.0 * SYM_SETTINGS_SLOTS + 8.0; /* the settings, the agreement */
  return st;
}

symclone_status symclone_mpi_trainer_step(symclone_mpi_trainer *t, double *loss,
                                          double *rel_loss) {
  if (!t) return SYMCLONE_ERR_NULL;
  symclone_status st = step_ready(t);
  if (st) return st;
  /* every decision of the step is taken on reduced values: the ranks
   * agree without being asked; the agreement is the guard */
  st = symclone_trainer_step(t->tr, loss, rel_loss);
  if (st) sym_fail(&t->err, st, "%s", t->tr->err.msg);
  double t0 = MPI_Wtime();
  st = sym_mpi_agree(t->comm, st, &t->err);
  t->seconds += MPI_Wtime() - t0;
  if (t->size > 1) t->bytes += 8.0;
  return st;
}

symclone_status symclone_mpi_trainer_run(symclone_mpi_trainer *t) {
  if (!t) return SYMCLONE_ERR_NULL;
  const double *set = t->tr->set;
  long long max_steps = (long long)set[SYMCLONE_TRAINER_MAX_STEPS];
  double target = set[SYMCLONE_TRAINER_TARGET_REL_LOSS];
  while (t->tr->steps < max_steps) {
    symclone_status st = symclone_mpi_trainer_step(t, NULL, NULL);
    if (st) return st;
    if (target > 0 && t->tr->rel + t->tr->rel_res <= target) break;
  }
  return SYMCLONE_OK;
}

long long symclone_mpi_trainer_steps_done(const symclone_mpi_trainer *t) {
  return t ? t->tr->steps : 0;
}

symclone_status symclone_mpi_trainer_loss(const symclone_mpi_trainer *t, double *loss,
                                          double *rel_loss) {
  if (!t) return SYMCLONE_ERR_NULL;
  if (loss) *loss = t->tr->loss;
  if (rel_loss) *rel_loss = t->tr->rel;
  return SYMCLONE_OK;
}

symclone_status symclone_mpi_trainer_traffic(const symclone_mpi_trainer *t, double *bytes,
                                             double *seconds) {
  if (!t) return SYMCLONE_ERR_NULL;
  if (bytes) *bytes = t->bytes;
  if (seconds) *seconds = t->seconds;
  return SYMCLONE_OK;
}

const char *symclone_mpi_trainer_last_error(const symclone_mpi_trainer *t) {
  return t ? t->err.msg : "";
}
