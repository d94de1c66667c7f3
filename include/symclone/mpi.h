/** @file
 * libsymclone-mpi: a student sharded over the ranks of an MPI communicator
 * and its trainer (link with `pkg-config --libs symclone-mpi`).
 *
 * Each rank owns a contiguous range of the output rows (the rows of the
 * out_hw x in_hw blocks W_b, the same range in every block) and the
 * optimizer state of those rows; the coefficients and transforms are
 * replicated and stay identical on every rank.  symclone_mpi_student_rows()
 * tells a rank its range, as FFTW's local_n0 / local_0_start do.
 *
 * Every creating call takes the communicator; the object keeps a duplicate
 * of it (MPI_Comm_dup), on which all its later calls communicate, so that
 * nothing is global.  Every function below is collective over that
 * communicator unless it says otherwise: all ranks call it, in the same
 * order, with the same arguments except where it says so.  A call that
 * fails on one rank (bad argument, allocation, I/O) returns the same
 * status on every rank; the message of the failing rank is kept there,
 * the others' names the failing rank.
 *
 * The trainer has the family objectives of <symclone/trainer.h> (moment,
 * stochastic, unit kernels): every rank draws the same theta and inputs
 * from the shared seed, and one step reduces over the ranks only what the
 * objective sums over all rows.  One rank gives the single-process
 * trainer's weights bit for bit, several the same weights up to the order
 * of those sums (docs/distributed.md).
 */
#ifndef SYMCLONE_MPI_H
#define SYMCLONE_MPI_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include <symclone/loader.h>
#include <symclone/student.h>
#include <symclone/trainer.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A student sharded over the ranks of a communicator. */
typedef struct symclone_mpi_student symclone_mpi_student;
/** The trainer of a sharded student. */
typedef struct symclone_mpi_trainer symclone_mpi_trainer;

/** Create a sharded student: the student that symclone_student_create()
 * makes with the same geometry and seed, each rank holding its rows of
 * every block.  The rows are split as evenly as they go, the first
 * out_hw mod size ranks one more.  SYMCLONE_ERR_SIZE when the
 * communicator has more ranks than output rows; otherwise the statuses of
 * symclone_student_create(). */
SYMCLONE_API symclone_status symclone_mpi_student_create(symclone_mpi_student **out, MPI_Comm comm,
                                                         symclone_student_kind kind,
                                                         int orientations, int kernel, int height,
                                                         int width, symclone_padding padding,
                                                         int blocks, uint64_t seed);

/** Free a sharded student (collective: it frees its communicator). */
SYMCLONE_API void symclone_mpi_student_free(symclone_mpi_student *student);

/** This rank's output rows of every block: local_n rows from local_start,
 * of total (the student's out_hw); the rank's block b is the rows
 * [local_start, local_start + local_n) of W_b.  Local: no communication. */
SYMCLONE_API symclone_status symclone_mpi_student_rows(const symclone_mpi_student *student,
                                                       size_t *local_n, size_t *local_start,
                                                       size_t *total);

/** This rank's parameters: its rows of every block ([B][local_n][in_hw]),
 * then the coefficients and transforms (student.h's order); *count gets
 * their number.  Local. */
SYMCLONE_API float *symclone_mpi_student_params(symclone_mpi_student *student, size_t *count);

/** Copy the whole student into `whole` on rank root (a student of the
 * same geometry there; ignored, may be NULL, on the other ranks).  A
 * restricted student (symclone_student_restrict()) is not sharded:
 * SYMCLONE_ERR_UNSUPPORTED, here, in scatter and in load. */
SYMCLONE_API symclone_status symclone_mpi_student_gather(const symclone_mpi_student *student,
                                                         symclone_student *whole, int root);

/** Set the sharded student from `whole` on rank root (a student of the
 * same geometry there; ignored, may be NULL, on the other ranks). */
SYMCLONE_API symclone_status symclone_mpi_student_scatter(symclone_mpi_student *student,
                                                          const symclone_student *whole, int root);

/** Save the student in the single-file format of symclone_student_save()
 * (docs/file-format.md): the rows are gathered to rank 0, which writes the
 * file through the library's atomic writer.  path is used on rank 0 and
 * must not be NULL on any rank.  Rank 0 holds the whole student's
 * parameters for the time of the call. */
SYMCLONE_API symclone_status symclone_mpi_student_save(const symclone_mpi_student *student,
                                                       const char *path);

/** Load a student file (any file symclone_student_save() writes) sharded
 * over comm: rank 0 reads and checks it with `loader` (its memory budget;
 * may be NULL) and sends each rank its rows.  path and loader are used on
 * rank 0.  A failure is the status of symclone_student_load() on every
 * rank, its message in rank 0's loader. */
SYMCLONE_API symclone_status symclone_mpi_student_load(symclone_mpi_student **out, MPI_Comm comm,
                                                       const char *path,
                                                       symclone_loader *loader);

/** The Toeplitz distance of symclone_student_toeplitz_distance() (draws,
 * seed, *mean and per_orientation as there, the same on every rank):
 * each rank compares its rows of the effective matrix with the teacher's,
 * and the squared sums are added over the ranks in rank order.  The
 * figures equal the single-process ones up to the order of the sums. */
SYMCLONE_API symclone_status symclone_mpi_student_toeplitz_distance(
    const symclone_mpi_student *student, int draws, uint64_t seed, double *mean,
    double *per_orientation);

/** The student's forward pass (symclone_student_forward(): theta, batch,
 * x[batch][in_size] and y[batch][out_size] as there) with every rank
 * computing its rows and y gathered whole on every rank.  All ranks pass
 * the same theta and x.  As the operator of symclone_diag_equivariance_error()
 * on every rank (the diag's calls are the same on every rank), it gives
 * the sharded student's equivariance error. */
SYMCLONE_API symclone_status symclone_mpi_student_forward(const symclone_mpi_student *student,
                                                          const float *theta, size_t batch,
                                                          const float *x, float *y);

/** The message of the last failed call on this student on this rank
 * ("" if none).  Local. */
SYMCLONE_API const char *symclone_mpi_student_last_error(const symclone_mpi_student *student);

/** Create the trainer of a sharded student, with the single-process
 * trainer's settings and their defaults (<symclone/settings.h>).  The
 * student must outlive the trainer. */
SYMCLONE_API symclone_status symclone_mpi_trainer_create(symclone_mpi_trainer **out,
                                                         symclone_mpi_student *student);

/** Free a trainer (collective: it frees its communicator). */
SYMCLONE_API void symclone_mpi_trainer_free(symclone_mpi_trainer *trainer);

/** Set a trainer setting (symclone_trainer_set()); every rank must set
 * the same: a step refuses settings that differ between ranks (local). */
SYMCLONE_API symclone_status symclone_mpi_trainer_set(symclone_mpi_trainer *trainer,
                                                      symclone_setting key, double value);

/** The samples of the input sources that draw from samples
 * (symclone_trainer_set_samples()): every rank must set the same, which
 * every rank holds whole (the inputs are not sharded).  Local. */
SYMCLONE_API symclone_status symclone_mpi_trainer_set_samples(symclone_mpi_trainer *trainer,
                                                              const float *samples, size_t count);

/** Read a trainer setting (symclone_trainer_get()).  Local. */
SYMCLONE_API symclone_status symclone_mpi_trainer_get(const symclone_mpi_trainer *trainer,
                                                      symclone_setting key, double *value);

/** One step (symclone_trainer_step()): the same loss, relative loss and
 * status on every rank.  SYMCLONE_ERR_SETTING when the ranks' settings
 * differ. */
SYMCLONE_API symclone_status symclone_mpi_trainer_step(symclone_mpi_trainer *trainer,
                                                       double *loss, double *rel_loss);

/** Steps until max_steps or the target relative loss
 * (symclone_trainer_run(), without a progress callback). */
SYMCLONE_API symclone_status symclone_mpi_trainer_run(symclone_mpi_trainer *trainer);

/** Steps applied.  Local. */
SYMCLONE_API long long symclone_mpi_trainer_steps_done(const symclone_mpi_trainer *trainer);

/** The last step's loss and relative loss (symclone_trainer_loss(),
 * symclone_trainer_rel_loss()).  Local. */
SYMCLONE_API symclone_status symclone_mpi_trainer_loss(const symclone_mpi_trainer *trainer,
                                                       double *loss, double *rel_loss);

/** Bytes this rank sent and received in the trainer's steps so far, and
 * the seconds it spent in their communication.  Local. */
SYMCLONE_API symclone_status symclone_mpi_trainer_traffic(const symclone_mpi_trainer *trainer,
                                                          double *bytes, double *seconds);

/** The message of the last failed call on this trainer on this rank ("" if
 * none).  Local. */
SYMCLONE_API const char *symclone_mpi_trainer_last_error(const symclone_mpi_trainer *trainer);

#ifdef __cplusplus
}
#endif

#endif
