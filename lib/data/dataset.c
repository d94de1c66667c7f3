/* The dataset handle: creation from memory, accessors, subsets, splits. */
#include <math.h>
#include <string.h>

#include "data_priv.h"

symclone_status sym_dataset_alloc(symclone_dataset **out, size_t count, int rows, int cols,
                                  int num_classes) {
  if (count < 1 || rows < 1 || cols < 1 || num_classes < 1) return SYMCLONE_ERR_SIZE;
  size_t pixels, total, bytes;
  if (sym_mul_size((size_t)rows, (size_t)cols, &pixels) || sym_mul_size(count, pixels, &total) ||
      sym_mul_size(total, sizeof(float), &bytes) || sym_mul_size(count, sizeof(int), &bytes))
    return SYMCLONE_ERR_OVERFLOW;
  symclone_dataset *d = sym_calloc(1, sizeof *d);
  if (!d) return SYMCLONE_ERR_NOMEM;
  d->images = sym_malloc_array(total, sizeof(float));
  d->labels = sym_malloc_array(count, sizeof(int));
  if (!d->images || !d->labels) {
    symclone_dataset_free(d);
    return SYMCLONE_ERR_NOMEM;
  }
  d->count = count;
  d->rows = rows;
  d->cols = cols;
  d->num_classes = num_classes;
  d->pixels = pixels;
  sym_err_init(&d->err);
  *out = d;
  return SYMCLONE_OK;
}

symclone_status symclone_dataset_create(symclone_dataset **out, size_t count, int rows, int cols,
                                        int num_classes, const float *images, const int *labels) {
  if (!out || !images || !labels) return SYMCLONE_ERR_NULL;
  if (count < 1 || rows < 1 || cols < 1 || num_classes < 1) return SYMCLONE_ERR_SIZE;
  size_t total;
  if (sym_mul3_size(count, (size_t)rows, (size_t)cols, &total)) return SYMCLONE_ERR_OVERFLOW;
  for (size_t i = 0; i < count; i++)
    if (labels[i] < 0 || labels[i] >= num_classes) return SYMCLONE_ERR_DATA;
  for (size_t i = 0; i < total; i++)
    if (!isfinite(images[i])) return SYMCLONE_ERR_DATA;
  symclone_dataset *d;
  symclone_status st = sym_dataset_alloc(&d, count, rows, cols, num_classes);
  if (st) return st;
  memcpy(d->images, images, total * sizeof(float));
  memcpy(d->labels, labels, count * sizeof(int));
  *out = d;
  return SYMCLONE_OK;
}

void symclone_dataset_free(symclone_dataset *ds) {
  if (!ds) return;
  sym_free(ds->images);
  sym_free(ds->labels);
  sym_free(ds);
}

size_t symclone_dataset_count(const symclone_dataset *ds) { return ds ? ds->count : 0; }
int symclone_dataset_rows(const symclone_dataset *ds) { return ds ? ds->rows : 0; }
int symclone_dataset_cols(const symclone_dataset *ds) { return ds ? ds->cols : 0; }
int symclone_dataset_num_classes(const symclone_dataset *ds) { return ds ? ds->num_classes : 0; }
const float *symclone_dataset_images(const symclone_dataset *ds) { return ds ? ds->images : NULL; }
const int *symclone_dataset_labels(const symclone_dataset *ds) { return ds ? ds->labels : NULL; }

const char *symclone_dataset_last_error(const symclone_dataset *ds) {
  return ds ? ds->err.msg : "";
}

/* out = the images idx[0..n) of ds (idx NULL: 0..n). */
static symclone_status gather(const symclone_dataset *ds, const size_t *idx, size_t n,
                              symclone_dataset **out) {
  symclone_dataset *d;
  symclone_status st = sym_dataset_alloc(&d, n, ds->rows, ds->cols, ds->num_classes);
  if (st) return sym_fail(&ds->err, st, "cannot allocate a dataset of %zu images", n);
  for (size_t i = 0; i < n; i++) {
    size_t s = idx ? idx[i] : i;
    memcpy(d->images + i * ds->pixels, ds->images + s * ds->pixels, ds->pixels * sizeof(float));
    d->labels[i] = ds->labels[s];
  }
  *out = d;
  return SYMCLONE_OK;
}

symclone_status symclone_dataset_subset(const symclone_dataset *ds, const size_t *indices, size_t n,
                                        symclone_dataset **out) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (n == 0) return sym_fail(&ds->err, SYMCLONE_ERR_SIZE, "n is 0");
  if (!indices && n > ds->count)
    return sym_fail(&ds->err, SYMCLONE_ERR_SIZE, "n=%zu is more than the %zu images", n, ds->count);
  if (indices)
    for (size_t i = 0; i < n; i++)
      if (indices[i] >= ds->count)
        return sym_fail(&ds->err, SYMCLONE_ERR_ARG, "indices[%zu]=%zu is not below count %zu", i,
                        indices[i], ds->count);
  return gather(ds, indices, n, out);
}

symclone_status symclone_dataset_split(const symclone_dataset *ds, size_t test_count, uint64_t seed,
                                       symclone_dataset **train, symclone_dataset **test) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!train || !test) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "train or test is NULL");
  if (test_count == 0 || test_count >= ds->count)
    return sym_fail(&ds->err, SYMCLONE_ERR_SIZE,
                    "test_count=%zu must be in [1, %zu) to leave a training image", test_count,
                    ds->count);
  size_t *p = sym_malloc_array(ds->count, sizeof *p);
  if (!p) return sym_fail(&ds->err, SYMCLONE_ERR_NOMEM, "cannot allocate the permutation");
  for (size_t i = 0; i < ds->count; i++) p[i] = i;
  sym_rng r;
  sym_rng_seed(&r, seed);
  for (size_t i = ds->count - 1; i > 0; i--) {
    size_t j = (size_t)sym_rng_below(&r, (uint64_t)i + 1);
    size_t t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  size_t n_train = ds->count - test_count;
  symclone_dataset *a = NULL, *b = NULL;
  symclone_status st = gather(ds, p, n_train, &a);
  if (!st) st = gather(ds, p + n_train, test_count, &b);
  sym_free(p);
  if (st) {
    symclone_dataset_free(a);
    return st;
  }
  *train = a;
  *test = b;
  return SYMCLONE_OK;
}
