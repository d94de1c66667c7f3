/* Private: the dataset handle, shared by the files of lib/data.
 * Dependency rule: lib/data uses lib/common and the rotations of lib/group. */
#ifndef SYMCLONE_DATA_PRIV_H
#define SYMCLONE_DATA_PRIV_H

#include <symclone/data.h>

#include "../common/internal.h"

struct symclone_dataset {
  size_t count;
  int rows, cols, num_classes;
  size_t pixels; /* rows * cols */
  float *images; /* [count][rows][cols] */
  int *labels;   /* [count] */
  sym_err err;
};

/* A dataset with uninitialised images and labels, or NULL.  Returns
 * SYMCLONE_ERR_SIZE for a size < 1, SYMCLONE_ERR_OVERFLOW if the arrays'
 * byte sizes overflow, SYMCLONE_ERR_NOMEM. */
symclone_status sym_dataset_alloc(symclone_dataset **out, size_t count, int rows, int cols,
                                  int num_classes);

#endif
