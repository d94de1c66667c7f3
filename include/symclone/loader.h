/** @file
 * libsymclone: the loader handle - how the library reads files.
 *
 * Every call that loads a file (symclone_student_load,
 * symclone_dataset_load_idx) takes a symclone_loader as its last argument.
 * The loader holds the settings of loading and keeps the message of its
 * last failing load (symclone_loader_last_error).  NULL stands for a
 * loader with the default settings that keeps no message: the status alone
 * tells what went wrong.
 *
 * Memory budget: SYMCLONE_LOADER_MAX_BYTES bounds the memory the library
 * allocates for one load: the file's content as read (decompressed for a
 * gzip file) and the object it becomes.  Every loader computes that size
 * from what the file declares (its length, its header) and refuses a file
 * that exceeds the budget with SYMCLONE_ERR_BUDGET before it allocates
 * for it.  The default, 1 GiB, holds the 60,000-image MNIST and
 * Fashion-MNIST training pairs (about 235 MB each as a dataset) with room;
 * docs/data.md gives the cost of each format.
 *
 * Whatever the budget, every loader reads only regular files: a path
 * naming a directory, a FIFO, a device or a socket is refused with
 * SYMCLONE_ERR_PATH without reading from it (so a FIFO never blocks a
 * load).
 *
 * A failing symclone_loader_set or _get keeps its message on the loader too.
 *
 * Thread safety: loads may share a loader (its message is written under a
 * lock and holds one of theirs); changing a setting while a load uses the
 * loader is a race.  NULL may be used by any number of threads at once.
 */
#ifndef SYMCLONE_LOADER_H
#define SYMCLONE_LOADER_H

#include <symclone/common.h>
#include <symclone/settings.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A loader: the settings of loading files (opaque handle). */
typedef struct symclone_loader symclone_loader;

/** A loader with the default settings.  SYMCLONE_ERR_NULL, SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_loader_create(symclone_loader **out);

/** Free a loader; NULL is accepted. */
SYMCLONE_API void symclone_loader_free(symclone_loader *loader);

/** Change a setting (<symclone/settings.h>: SYMCLONE_LOADER_MAX_BYTES, a
 * whole number of bytes in [1024, 2^53], default 2^30).  SYMCLONE_ERR_NULL,
 * SYMCLONE_ERR_ARG (a key of another object), SYMCLONE_ERR_SETTING (out of
 * bounds; nothing changes). */
SYMCLONE_API symclone_status symclone_loader_set(symclone_loader *loader, symclone_setting key,
                                                 double value);

/** Read a setting into *value.  SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG. */
SYMCLONE_API symclone_status symclone_loader_get(const symclone_loader *loader,
                                                 symclone_setting key, double *value);

/** Message of the last failing load made with this loader ("" if none;
 * "" for NULL). */
SYMCLONE_API const char *symclone_loader_last_error(const symclone_loader *loader);

#ifdef __cplusplus
}
#endif

#endif
