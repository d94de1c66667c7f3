/* Private: the sharded student and trainer of libsymclone-mpi (lib/mpi),
 * and the agreement on a status that keeps every rank's return the same.
 *
 * libsymclone-mpi holds the objects of libsymclone it uses as a hidden
 * part of itself (docs/distributed.md): the shard is a symclone_student of
 * lib/student (sym_student_create_shard) and the trainer one of lib/train
 * given a reduction over the ranks (sym_shard). */
#ifndef SYMCLONE_MPI_PRIV_H
#define SYMCLONE_MPI_PRIV_H

#include <mpi.h>

#include <symclone/mpi.h>

#include "../common/internal.h"
#include "../student/student_priv.h"

struct symclone_mpi_student {
  MPI_Comm comm; /* a duplicate of the creator's, errors returned */
  int rank, size;
  uint32_t geom[7];         /* kind, orientations, kernel, height, width, padding, blocks */
  symclone_student *local;  /* this rank's rows of every block, the rest in full */
  int *counts, *displs;     /* per rank: its floats of one block, their offset */
  sym_err err;
};

/* Rows [*start, *start + *n) of total for rank r of size: as evenly as
 * they go, the first total mod size ranks one more. */
void sym_mpi_rows(size_t total, int size, int r, size_t *n, size_t *start);

/* The status every rank returns: each rank's own st, agreed by an
 * all-reduction (the first failing rank's status, in rank order).  A rank
 * that did not fail but returns a failure gets the message "rank f: ...".
 * A failure of the communication itself is SYMCLONE_ERR_IO. */
symclone_status sym_mpi_agree(MPI_Comm comm, symclone_status st, const sym_err *err);

#endif
