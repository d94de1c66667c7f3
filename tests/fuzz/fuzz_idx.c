/* Fuzz target: the IDX reader (plain and gzip-compressed), and what a
 * loaded dataset goes through next (splits, transforms, saving).
 *
 * Input layout:
 *   byte 0     flags: bit 0 gzip-compress the images file, bit 1 the labels
 *              file (the reader sniffs the gzip magic; the bytes may also be
 *              gzip already), bit 2 pass num_classes as given below even
 *              when out of range
 *   byte 1     num_classes (0 means the default, 10)
 *   bytes 2-3  length L of the labels file (little-endian, clipped)
 *   then       L bytes of the labels file, the rest is the images file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* gzip (RFC 1952) of src into a malloc'ed buffer; NULL on failure. */
static unsigned char *gzip_bytes(const uint8_t *src, size_t n, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
  size_t cap = deflateBound(&z, (uLong)n) + 32;
  unsigned char *buf = malloc(cap);
  if (!buf) {
    deflateEnd(&z);
    return NULL;
  }
  z.next_in = (Bytef *)(uintptr_t)src;
  z.avail_in = (uInt)n;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  int r = deflate(&z, Z_FINISH);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  if (r != Z_STREAM_END) {
    free(buf);
    return NULL;
  }
  return buf;
}

static int make_file(const uint8_t *p, size_t n, int gz, char *path, size_t plen) {
  if (!gz) return fuzz_memfile(p, n, path, plen);
  size_t zl;
  unsigned char *z = gzip_bytes(p, n, &zl);
  if (!z) return -1;
  int fd = fuzz_memfile(z, zl, path, plen);
  free(z);
  return fd;
}

/* Everything a caller might do with a dataset it has just loaded. */
static void exercise(symclone_dataset *ds, unsigned flags) {
  size_t count = symclone_dataset_count(ds);
  int rows = symclone_dataset_rows(ds), cols = symclone_dataset_cols(ds);
  const float *img = symclone_dataset_images(ds);
  const int *lab = symclone_dataset_labels(ds);
  if (!img || !lab || count < 1 || rows < 1 || cols < 1) abort();
  for (size_t i = 0; i < count; i++)
    if (lab[i] < 0 || lab[i] >= symclone_dataset_num_classes(ds)) abort();
  for (size_t i = 0; i < count * (size_t)rows * (size_t)cols; i++)
    if (!(img[i] >= 0.0f && img[i] <= 1.0f)) abort();

  symclone_dataset *a = NULL, *b = NULL;
  if (symclone_dataset_split(ds, count / 2, flags, &a, &b) == SYMCLONE_OK) {
    symclone_dataset_free(a);
    symclone_dataset_free(b);
  }
  size_t idx[3] = {0, count - 1, count / 2};
  if (symclone_dataset_subset(ds, idx, 3, &a) == SYMCLONE_OK) symclone_dataset_free(a);
  if (rows * (size_t)cols <= 4096) {
    int *turns = malloc(count * sizeof *turns);
    int *shifts = malloc(2 * count * sizeof *shifts);
    if (turns && symclone_dataset_rotate90(ds, SYMCLONE_DATASET_RANDOM, 7, turns, &a) == SYMCLONE_OK)
      symclone_dataset_free(a);
    if (turns && symclone_dataset_make_rotation_task(ds, 3, turns, &a) == SYMCLONE_OK)
      symclone_dataset_free(a);
    if (symclone_dataset_place(ds, rows + 3, cols + 1, NULL, &a) == SYMCLONE_OK)
      symclone_dataset_free(a);
    if (shifts && symclone_dataset_make_translation_task(ds, rows + cols, 1, 3, 2, 5, shifts,
                                                         &a) == SYMCLONE_OK)
      symclone_dataset_free(a);
    free(turns);
    free(shifts);
  }

  /* save and load again: the same content */
  char ip[128], lp[128];
  snprintf(ip, sizeof ip, "%s/images", fuzz_tmpdir());
  snprintf(lp, sizeof lp, "%s/labels", fuzz_tmpdir());
  int gz = (flags >> 3) & 1;
  if (symclone_dataset_save_idx(ds, ip, lp, gz) == SYMCLONE_OK) {
    symclone_dataset *back = NULL;
    if (symclone_dataset_load_idx(&back, ip, lp, symclone_dataset_num_classes(ds), NULL) !=
        SYMCLONE_OK)
      abort();
    if (symclone_dataset_count(back) != count ||
        memcmp(symclone_dataset_labels(back), lab, count * sizeof(int)) != 0)
      abort();
    symclone_dataset_free(back);
  }
  unlink(ip);
  unlink(lp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  unsigned flags = data[0];
  int classes = data[1];
  if (flags & 4) classes = (int)(int8_t)data[1] * 3;
  size_t llen = (size_t)data[2] | (size_t)data[3] << 8;
  data += 4;
  size -= 4;
  if (llen > size) llen = size;
  char lpath[64], ipath[64];
  int lfd = make_file(data, llen, flags & 2, lpath, sizeof lpath);
  int ifd = make_file(data + llen, size - llen, flags & 1, ipath, sizeof ipath);
  if (lfd >= 0 && ifd >= 0) {
    symclone_dataset *ds = NULL;
    symclone_loader *loader = NULL;
    if (symclone_loader_create(&loader) != SYMCLONE_OK) abort();
    symclone_status st = symclone_dataset_load_idx(&ds, ipath, lpath, classes, loader);
    if (st == SYMCLONE_OK) {
      exercise(ds, flags);
      symclone_dataset_free(ds);
    } else if (ds != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
      abort(); /* *out written on failure, or no message */
    }
    symclone_loader_free(loader);
  }
  if (lfd >= 0) close(lfd);
  if (ifd >= 0) close(ifd);
  return 0;
}
