/* Fuzz target: the gzip path of the IDX reader under a memory budget.  The
 * fuzzer's bytes are the compressed images file itself (deflate blocks,
 * gzip header and trailer, concatenated members, all mutated as they are),
 * so the decompression that stops at the header's size, the refusal of a
 * stream that goes past it and the budget checked before allocating all
 * meet damaged and forged streams.
 *
 * Input layout:
 *   byte 0     the loader's budget, 2^(10 + byte % 17) bytes (1 KiB to
 *              64 MiB, so that a forged header never costs more)
 *   then       the images file, as is.
 * The labels file is made to fit: the count of the images header when the
 * stream starts with one (zero labels, at most 65536 of them), else a
 * one-label file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The first 8 decompressed bytes of a gzip stream, if it has them. */
static int peek_header(const uint8_t *p, size_t n, unsigned char out[8]) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 16) != Z_OK) return 0;
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)(n > 65536 ? 65536 : n);
  z.next_out = out;
  z.avail_out = 8;
  int r = inflate(&z, Z_NO_FLUSH);
  int got = (r == Z_OK || r == Z_STREAM_END) && z.avail_out == 0;
  inflateEnd(&z);
  return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  double budget = (double)((size_t)1 << (10 + data[0] % 17));
  data++;
  size--;
  unsigned char head[8];
  uint32_t count = 1;
  if (peek_header(data, size, head) && be32(head) == 0x803) count = be32(head + 4);
  size_t labels = count > 65536 ? 0 : count;
  unsigned char *lab = calloc(8 + labels, 1);
  if (!lab) return 0;
  lab[2] = 8;
  lab[3] = 1; /* magic 0x00000801 */
  for (int i = 0; i < 4; i++) lab[4 + i] = (unsigned char)(count >> (24 - 8 * i));
  char ipath[64], lpath[64];
  int ifd = fuzz_memfile(data, size, ipath, sizeof ipath);
  int lfd = fuzz_memfile(lab, 8 + labels, lpath, sizeof lpath);
  free(lab);
  if (ifd >= 0 && lfd >= 0) {
    symclone_loader *loader = NULL;
    if (symclone_loader_create(&loader) != SYMCLONE_OK ||
        symclone_loader_set(loader, SYMCLONE_LOADER_MAX_BYTES, budget) != SYMCLONE_OK)
      abort();
    symclone_dataset *ds = NULL;
    symclone_status st = symclone_dataset_load_idx(&ds, ipath, lpath, 1, loader);
    if (st == SYMCLONE_OK) {
      /* what was loaded is what the header declared, within the budget */
      size_t n = symclone_dataset_count(ds) * (size_t)symclone_dataset_rows(ds) *
                 (size_t)symclone_dataset_cols(ds);
      if (symclone_dataset_count(ds) != count || 5 * n > (size_t)budget) abort();
      for (size_t i = 0; i < n; i++)
        if (!(symclone_dataset_images(ds)[i] >= 0.0f && symclone_dataset_images(ds)[i] <= 1.0f))
          abort();
      symclone_dataset_free(ds);
    } else if (ds != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
      abort(); /* *out written on failure, or no message */
    }
    symclone_loader_free(loader);
  }
  if (ifd >= 0) close(ifd);
  if (lfd >= 0) close(lfd);
  return 0;
}
