/* Shared helpers of the fuzz targets: a reader that takes integers from
 * the fuzzer's bytes, and files in memory for the loaders, which take
 * paths. */
#ifndef SYMCLONE_FUZZ_COMMON_H
#define SYMCLONE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fuzz_in {
  const uint8_t *p;
  size_t n;
} fuzz_in;

/* The next byte, 0 once the input is used up. */
static inline unsigned fuzz_u8(fuzz_in *in) {
  if (!in->n) return 0;
  in->n--;
  return *in->p++;
}

static inline uint32_t fuzz_u32(fuzz_in *in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)fuzz_u8(in) << (8 * i);
  return v;
}

/* An int for a size argument: mostly small (where the interesting
 * geometry is), sometimes any value at all (zero, negative, huge). */
static inline int fuzz_size(fuzz_in *in, int small_max) {
  unsigned sel = fuzz_u8(in);
  if (sel < 224) return (int)(sel % (unsigned)(small_max + 1));
  if (sel < 240) return (int)(fuzz_u32(in) >> (fuzz_u8(in) % 32));
  return (int)fuzz_u32(in);
}

static inline double fuzz_double(fuzz_in *in) {
  uint64_t bits = (uint64_t)fuzz_u32(in) | (uint64_t)fuzz_u32(in) << 32;
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* A file holding data[0..len) that the library can open by path: an
 * anonymous memory file (memfd), named through /proc/self/fd.  Returns the
 * descriptor (close it when done) or -1. */
int fuzz_memfile(const void *data, size_t len, char *path, size_t path_len);

/* A private directory for files written by the library (saves), created
 * once per process. */
const char *fuzz_tmpdir(void);

#endif
