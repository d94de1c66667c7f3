/** @file
 * libsymclone: datasets of labelled images - IDX files, splits and the
 * transforms of the downstream experiments.
 *
 * A dataset holds `count` single-channel images of rows x cols float32
 * pixels, row-major (images[i][y][x], row 0 at the top as displayed), and one
 * int label per image in [0, num_classes).  It is an immutable handle: every
 * operation (split, subset, rotation, canvas placement, the experiment tasks)
 * makes a new dataset and leaves its input untouched.  A dataset always has
 * at least one image; images loaded from IDX files are in [0, 1].
 *
 * IDX files (the MNIST format, big-endian): images have magic 0x00000803
 * (unsigned bytes, 3 dimensions: count, rows, cols), labels 0x00000801
 * (unsigned bytes, 1 dimension: count).  Either file may be gzip-compressed;
 * it is recognised by its first two bytes (1f 8b) whatever its name.
 * Pixels are read as byte / 255.  docs/data.md lists every check with its
 * status code and where the data lives on a machine.
 *
 * Creation functions write *out only on success, and never hand out a
 * partial dataset.  The IDX loader keeps its message on the loader handle
 * it is given (symclone_loader_last_error()); the other operations leave
 * their message on the input dataset (symclone_dataset_last_error()).
 *
 * Thread safety: a dataset is immutable after creation and may be shared by
 * any number of threads.  The last-error message is per handle; when several
 * threads make failing calls on one handle at once, it holds one of them.
 */
#ifndef SYMCLONE_DATA_H
#define SYMCLONE_DATA_H

#include <stdint.h>
#include <symclone/common.h>
#include <symclone/loader.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A dataset of labelled images (opaque handle). */
typedef struct symclone_dataset symclone_dataset;

/** Pass as quarter_turns to symclone_dataset_rotate90() to draw the number
 * of quarter turns per image. */
#define SYMCLONE_DATASET_RANDOM (-1)

/* ---- creation ---- */

/** Load an IDX pair.  num_classes is the number of classes (1 to 256; 0 means
 * 10, the MNIST and Fashion-MNIST value): every label must be below it.
 * loader (may be NULL: the defaults, status only) gives the memory budget
 * and keeps a one-line message on failure (<symclone/loader.h>), for
 * example "images: magic 0x00000802 is not 0x00000803 (ubyte images)".
 * The budget bounds the file contents as read plus the dataset: count *
 * rows * cols * 5 + count * (1 + sizeof(int)) bytes, checked from the
 * headers before anything is allocated for the contents.  A gzip stream
 * is decompressed only up to the size its header gives.
 * Returns SYMCLONE_ERR_NULL (out or a path NULL), SYMCLONE_ERR_SIZE
 * (num_classes out of range), SYMCLONE_ERR_PATH (a path that is not a
 * regular file, such as a directory or a FIFO), SYMCLONE_ERR_IO (a file
 * cannot be opened or read), SYMCLONE_ERR_FORMAT (wrong magic, a dimension
 * of 0), SYMCLONE_ERR_OVERFLOW (the dimensions' product does not fit in
 * memory arithmetic), SYMCLONE_ERR_BUDGET (the headers declare more than
 * the budget), SYMCLONE_ERR_TRUNCATED (the file or the gzip stream ends
 * before the size its header gives; an empty file), SYMCLONE_ERR_CORRUPT
 * (bytes after the size its header gives, or a damaged gzip stream),
 * SYMCLONE_ERR_SHAPE (the two files hold different counts), SYMCLONE_ERR_DATA
 * (a label >= num_classes), SYMCLONE_ERR_NOT_AVAILABLE (a gzip file in a
 * build without zlib), SYMCLONE_ERR_NOMEM.  Free with
 * symclone_dataset_free(). */
SYMCLONE_API symclone_status symclone_dataset_load_idx(symclone_dataset **out,
                                                       const char *images_path,
                                                       const char *labels_path, int num_classes,
                                                       symclone_loader *loader);

/** Make a dataset from caller arrays, which are copied:
 * images[count][rows][cols] and labels[count].  Pixel values are not
 * limited to [0, 1] but must be finite.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (count, rows, cols or
 * num_classes < 1), SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_DATA (a label
 * outside [0, num_classes) or a pixel NaN or infinite), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_create(symclone_dataset **out, size_t count, int rows,
                                                     int cols, int num_classes, const float *images,
                                                     const int *labels);

/** Free a dataset; NULL is accepted. */
SYMCLONE_API void symclone_dataset_free(symclone_dataset *ds);

/* ---- saving ---- */

/** Write the dataset as an IDX pair, gzip-compressed if gzip is non-zero.
 * Pixels are clamped to [0, 1] and stored as round(255 * v), so a loaded
 * dataset round-trips exactly.  Each file is saved as every file of the
 * library is (docs/file-format.md, "Writing": written through a
 * symbolic link, never over a directory, device or FIFO, never over a file
 * the caller may not write, permission bits kept, replaced in one step
 * only when complete), and both files are complete before either is put
 * in place.  The two paths must name two files: the same path twice, or
 * two names of one file (a symbolic or hard link), is refused before
 * anything is written.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_PATH (the same file twice, or a
 * path naming something other than a regular file), SYMCLONE_ERR_DATA (a
 * label > 255: IDX labels are bytes), SYMCLONE_ERR_IO,
 * SYMCLONE_ERR_NOT_AVAILABLE (gzip without zlib), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_save_idx(const symclone_dataset *ds,
                                                       const char *images_path,
                                                       const char *labels_path, int gzip);

/** ---- accessors: 0 or NULL for a NULL dataset ---- */

/**@{*/
SYMCLONE_API size_t symclone_dataset_count(const symclone_dataset *ds);
SYMCLONE_API int symclone_dataset_rows(const symclone_dataset *ds);
SYMCLONE_API int symclone_dataset_cols(const symclone_dataset *ds);
SYMCLONE_API int symclone_dataset_num_classes(const symclone_dataset *ds);
/**@}*/

/** images[count][rows][cols] and labels[count]; the arrays belong to the
 * dataset and live until it is freed. */
/**@{*/
SYMCLONE_API const float *symclone_dataset_images(const symclone_dataset *ds);
SYMCLONE_API const int *symclone_dataset_labels(const symclone_dataset *ds);
/**@}*/

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_dataset_last_error(const symclone_dataset *ds);

/* ---- selection ---- */

/** A new dataset of n images: images indices[0], ..., indices[n-1] of ds in
 * that order (repeats allowed), or the first n images if indices is NULL.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (n = 0, or n > count with
 * indices NULL), SYMCLONE_ERR_ARG (an index >= count), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_subset(const symclone_dataset *ds,
                                                     const size_t *indices, size_t n,
                                                     symclone_dataset **out);

/** Deterministic train/test split.  A permutation p of 0 .. count-1 is drawn
 * from seed (the library's xoshiro256** generator seeded through
 * splitmix64; a Fisher-Yates shuffle: for i from count-1 down to 1, swap
 * p[i] with p[j], j uniform in [0, i]); train holds images p[0], ...,
 * p[count-test_count-1] and test holds the remaining test_count, each in
 * that order.  The two are disjoint and together hold every image once.  The
 * same seed gives the same split on every machine.  The convention of the
 * experiments for the 10,000-digit set is test_count = 2000, seed = 0
 * (8,000 train, 2,000 test).  Both outputs are written only on success.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (test_count = 0 or
 * >= count), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_split(const symclone_dataset *ds, size_t test_count,
                                                    uint64_t seed, symclone_dataset **train,
                                                    symclone_dataset **test);

/* ---- transforms (docs/data.md has pictures of the conventions) ---- */

/** Rotate every image by k quarter turns counter-clockwise as displayed,
 * about the image centre: the rotation of group.h, numpy's rot90, one turn
 * being out[y][x] = in[x][cols-1-y].  It is an exact pixel permutation.
 * quarter_turns is a fixed k in 0..3 for every image, or SYMCLONE_DATASET_RANDOM
 * to draw k_i uniform in 0..3 for image i = 0, 1, ... in order from a
 * generator seeded with seed (ignored for a fixed k).  turns (may be NULL)
 * receives k_i for every image (count ints), so the caller can relabel.
 * Labels and num_classes are kept.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG (quarter_turns not in 0..3 nor
 * SYMCLONE_DATASET_RANDOM), SYMCLONE_ERR_SHAPE (rows != cols and some k odd, or
 * RANDOM), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_rotate90(const symclone_dataset *ds,
                                                       int quarter_turns, uint64_t seed, int *turns,
                                                       symclone_dataset **out);

/** Place every image on a blank (zero) canvas_rows x canvas_cols canvas.
 * The centred position puts the image's top-left pixel at
 *   top0 = floor((canvas_rows - rows) / 2),  left0 = floor((canvas_cols - cols) / 2)
 * (a 28x28 digit on a 48x48 canvas covers rows and columns 10 .. 37).  Image
 * i is moved from there by shifts[2i] rows down and shifts[2i+1] columns to
 * the right (negative: up, left): its pixel (y, x) lands on canvas pixel
 * (top0 + dy + y, left0 + dx + x).  Pixels that land outside the canvas are
 * dropped.  shifts NULL places every image centred.  Labels and num_classes
 * are kept.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (a canvas size < 1),
 * SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_place(const symclone_dataset *ds, int canvas_rows,
                                                    int canvas_cols, const int *shifts,
                                                    symclone_dataset **out);

/** Halve the resolution by 2x2 mean pooling: a dataset of rows/2 x cols/2
 * images with
 *   out[y][x] = (in[2y][2x] + in[2y][2x+1] + in[2y+1][2x] + in[2y+1][2x+1]) / 4
 * summed in float in that order.  The aligned 2x2 blocks of an even-sized
 * image are permuted among themselves by a quarter turn (square images) and
 * by a shift of an even number of pixels, so the pooling commutes with
 * both.  Labels and num_classes are kept.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SHAPE (rows or cols odd),
 * SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_downsample2(const symclone_dataset *ds,
                                                          symclone_dataset **out);

/* ---- the tasks of the symmetry-breaking experiments ---- */

/** Experiment 2, rotation symmetry breaking.  Each image is rotated by k_i
 * quarter turns drawn exactly as by symclone_dataset_rotate90(ds,
 * SYMCLONE_DATASET_RANDOM, seed, ...) (same seed, same k_i).  With C the input's
 * num_classes, the label is kept for k_i in {0, 1} (0 or 90 degrees) and
 * becomes label + C for k_i in {2, 3} (180 or 270 degrees); the result has
 * 2C classes (20 for digits).  turns (may be NULL) receives every k_i.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SHAPE (rows != cols),
 * SYMCLONE_ERR_OVERFLOW (2C does not fit an int), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_make_rotation_task(const symclone_dataset *ds,
                                                                 uint64_t seed, int *turns,
                                                                 symclone_dataset **out);

/** Experiment 3, translation symmetry breaking.  Every image goes on a
 * canvas x canvas canvas (48 in the experiment), shifted from the centred
 * position of symclone_dataset_place().  For image i = 0, 1, ... in order,
 * a generator seeded with seed draws, in this order: the side (left or
 * right, each with probability 1/2), the horizontal distance s uniform in
 * [min_shift, max_shift] (5 and 15 in the experiment), and the vertical
 * shift dy uniform in [-max_vshift, max_vshift] (15 in the experiment:
 * up or down by 0 to 15 pixels).  Left gives dx = -s and keeps the label;
 * right gives dx = +s and label + C (C the input's num_classes); the result
 * has 2C classes.  shifts (may be NULL) receives (dy, dx) of every image
 * (2 * count ints), in the layout symclone_dataset_place() takes.  With the
 * experiment's values up to 5 rows or columns of a 28x28 frame fall off the
 * canvas at the largest shifts (docs/data.md gives how much ink that
 * loses).
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (canvas < 1),
 * SYMCLONE_ERR_ARG (min_shift < 1, max_shift < min_shift, max_vshift < 0),
 * SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_dataset_make_translation_task(const symclone_dataset *ds,
                                                                    int canvas, int min_shift,
                                                                    int max_shift, int max_vshift,
                                                                    uint64_t seed, int *shifts,
                                                                    symclone_dataset **out);

#ifdef __cplusplus
}
#endif

#endif
