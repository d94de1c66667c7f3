/* Dataset transforms: quarter-turn rotations, canvas placement, 2x2 mean
 * pooling, and the relabelled tasks of the symmetry-breaking experiments. */
#include <limits.h>
#include <string.h>

#include "../group/rotate.h"
#include "data_priv.h"

/* Classes of a task that adds C to some labels: 2C, or -1 on overflow. */
static int doubled_classes(int c) { return c > INT_MAX / 2 ? -1 : 2 * c; }

static symclone_status rotate_common(const symclone_dataset *ds, int fixed, uint64_t seed,
                                     int relabel, int *turns, symclone_dataset **out) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (fixed != SYMCLONE_DATASET_RANDOM && (fixed < 0 || fixed > 3))
    return sym_fail(&ds->err, SYMCLONE_ERR_ARG,
                    "quarter_turns=%d is neither in 0..3 nor SYMCLONE_DATASET_RANDOM", fixed);
  if (ds->rows != ds->cols && (fixed == SYMCLONE_DATASET_RANDOM || fixed % 2 == 1))
    return sym_fail(&ds->err, SYMCLONE_ERR_SHAPE,
                    "quarter turns of %dx%d images need square images", ds->rows, ds->cols);
  int classes = relabel ? doubled_classes(ds->num_classes) : ds->num_classes;
  if (classes < 0)
    return sym_fail(&ds->err, SYMCLONE_ERR_OVERFLOW, "2 * num_classes=%d overflows",
                    ds->num_classes);
  int *k = sym_malloc_array(ds->count, sizeof *k);
  if (!k) return sym_fail(&ds->err, SYMCLONE_ERR_NOMEM, "cannot allocate the turns");
  sym_rng r;
  sym_rng_seed(&r, seed);
  for (size_t i = 0; i < ds->count; i++)
    k[i] = fixed == SYMCLONE_DATASET_RANDOM ? (int)sym_rng_below(&r, 4) : fixed;
  symclone_dataset *d;
  symclone_status st = sym_dataset_alloc(&d, ds->count, ds->rows, ds->cols, classes);
  if (st) {
    sym_free(k);
    return sym_fail(&ds->err, st, "cannot allocate the rotated dataset");
  }
  for (size_t i = 0; i < ds->count; i++) {
    sym_rotate_plane(ds->images + i * ds->pixels, d->images + i * ds->pixels, ds->rows, ds->cols,
                     k[i], 4);
    d->labels[i] = ds->labels[i] + (relabel && k[i] >= 2 ? ds->num_classes : 0);
  }
  if (turns) memcpy(turns, k, ds->count * sizeof *k);
  sym_free(k);
  *out = d;
  return SYMCLONE_OK;
}

symclone_status symclone_dataset_rotate90(const symclone_dataset *ds, int quarter_turns,
                                          uint64_t seed, int *turns, symclone_dataset **out) {
  return rotate_common(ds, quarter_turns, seed, 0, turns, out);
}

symclone_status symclone_dataset_make_rotation_task(const symclone_dataset *ds, uint64_t seed,
                                                    int *turns, symclone_dataset **out) {
  return rotate_common(ds, SYMCLONE_DATASET_RANDOM, seed, 1, turns, out);
}

/* floor(v / 2) for any sign */
static long long floor_half(long long v) { return v >= 0 ? v / 2 : -((1 - v) / 2); }

/* Copy every image of ds onto d's zeroed canvases, image i moved by
 * shifts[2i], shifts[2i+1] (or centred if shifts is NULL). */
static void place_images(const symclone_dataset *ds, symclone_dataset *d, const int *shifts) {
  long long top0 = floor_half((long long)d->rows - ds->rows);
  long long left0 = floor_half((long long)d->cols - ds->cols);
  memset(d->images, 0, d->count * d->pixels * sizeof(float));
  for (size_t i = 0; i < ds->count; i++) {
    long long top = top0 + (shifts ? shifts[2 * i] : 0);
    long long left = left0 + (shifts ? shifts[2 * i + 1] : 0);
    /* the columns of the image that land on the canvas: [x0, x1) */
    long long x0 = left < 0 ? -left : 0;
    long long x1 = (long long)d->cols - left;
    if (x1 > ds->cols) x1 = ds->cols;
    if (x1 <= x0) continue;
    const float *src = ds->images + i * ds->pixels;
    float *dst = d->images + i * d->pixels;
    for (int y = 0; y < ds->rows; y++) {
      long long cy = top + y;
      if (cy < 0 || cy >= d->rows) continue;
      memcpy(dst + (size_t)cy * (size_t)d->cols + (size_t)(left + x0),
             src + (size_t)y * (size_t)ds->cols + (size_t)x0, (size_t)(x1 - x0) * sizeof(float));
    }
  }
}

symclone_status symclone_dataset_place(const symclone_dataset *ds, int canvas_rows, int canvas_cols,
                                       const int *shifts, symclone_dataset **out) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (canvas_rows < 1 || canvas_cols < 1)
    return sym_fail(&ds->err, SYMCLONE_ERR_SIZE, "canvas %dx%d has a size < 1", canvas_rows,
                    canvas_cols);
  symclone_dataset *d;
  symclone_status st = sym_dataset_alloc(&d, ds->count, canvas_rows, canvas_cols, ds->num_classes);
  if (st)
    return sym_fail(&ds->err, st, "cannot make %zu canvases of %dx%d", ds->count, canvas_rows,
                    canvas_cols);
  place_images(ds, d, shifts);
  memcpy(d->labels, ds->labels, ds->count * sizeof(int));
  *out = d;
  return SYMCLONE_OK;
}

symclone_status symclone_dataset_make_translation_task(const symclone_dataset *ds, int canvas,
                                                       int min_shift, int max_shift, int max_vshift,
                                                       uint64_t seed, int *shifts,
                                                       symclone_dataset **out) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (canvas < 1) return sym_fail(&ds->err, SYMCLONE_ERR_SIZE, "canvas=%d is < 1", canvas);
  if (min_shift < 1 || max_shift < min_shift || max_vshift < 0)
    return sym_fail(&ds->err, SYMCLONE_ERR_ARG,
                    "need 1 <= min_shift <= max_shift and max_vshift >= 0 (got %d, %d, %d)",
                    min_shift, max_shift, max_vshift);
  int classes = doubled_classes(ds->num_classes);
  if (classes < 0)
    return sym_fail(&ds->err, SYMCLONE_ERR_OVERFLOW, "2 * num_classes=%d overflows",
                    ds->num_classes);
  size_t n2;
  if (sym_mul_size(ds->count, 2, &n2))
    return sym_fail(&ds->err, SYMCLONE_ERR_OVERFLOW, "the shifts' size overflows");
  int *sh = sym_malloc_array(n2, sizeof *sh);
  int *right = sym_malloc_array(ds->count, sizeof *right);
  symclone_dataset *d = NULL;
  symclone_status st = (!sh || !right) ? SYMCLONE_ERR_NOMEM
                                       : sym_dataset_alloc(&d, ds->count, canvas, canvas, classes);
  if (st) {
    sym_free(sh);
    sym_free(right);
    return sym_fail(&ds->err, st, "cannot make %zu canvases of %dx%d", ds->count, canvas, canvas);
  }
  sym_rng r;
  sym_rng_seed(&r, seed);
  uint64_t span = (uint64_t)max_shift - (uint64_t)min_shift + 1;
  uint64_t vspan = 2 * (uint64_t)max_vshift + 1;
  for (size_t i = 0; i < ds->count; i++) {
    right[i] = (int)sym_rng_below(&r, 2);
    int s = (int)((uint64_t)min_shift + sym_rng_below(&r, span));
    int dy = (int)((long long)sym_rng_below(&r, vspan) - max_vshift);
    sh[2 * i] = dy;
    sh[2 * i + 1] = right[i] ? s : -s;
  }
  place_images(ds, d, sh);
  for (size_t i = 0; i < ds->count; i++)
    d->labels[i] = ds->labels[i] + (right[i] ? ds->num_classes : 0);
  if (shifts) memcpy(shifts, sh, n2 * sizeof *sh);
  sym_free(sh);
  sym_free(right);
  *out = d;
  return SYMCLONE_OK;
}

symclone_status symclone_dataset_downsample2(const symclone_dataset *ds, symclone_dataset **out) {
  if (!ds) return SYMCLONE_ERR_NULL;
  if (!out) return sym_fail(&ds->err, SYMCLONE_ERR_NULL, "out is NULL");
  if (ds->rows % 2 || ds->cols % 2)
    return sym_fail(&ds->err, SYMCLONE_ERR_SHAPE,
                    "2x2 pooling of %dx%d images needs even rows and columns", ds->rows, ds->cols);
  int ro = ds->rows / 2, co = ds->cols / 2;
  symclone_dataset *d;
  symclone_status st = sym_dataset_alloc(&d, ds->count, ro, co, ds->num_classes);
  if (st) return sym_fail(&ds->err, st, "cannot make %zu images of %dx%d", ds->count, ro, co);
  for (size_t i = 0; i < ds->count; i++) {
    const float *src = ds->images + i * ds->pixels;
    float *dst = d->images + i * d->pixels;
    for (int y = 0; y < ro; y++) {
      const float *r0 = src + (size_t)(2 * y) * (size_t)ds->cols, *r1 = r0 + ds->cols;
      for (int x = 0; x < co; x++)
        dst[(size_t)y * (size_t)co + (size_t)x] =
            (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1]) / 4.0f;
    }
  }
  memcpy(d->labels, ds->labels, ds->count * sizeof(int));
  *out = d;
  return SYMCLONE_OK;
}
