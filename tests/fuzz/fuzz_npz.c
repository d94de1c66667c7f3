/* Fuzz target: the npz reader of symclone_student_import.  Each input is a
 * whole file, imported as it is, then once more with the CRC-32 of every
 * entry the central directory names recomputed (in the central and the
 * local header), so that the fuzzer also reaches the .npy and metadata
 * checks behind the checksums.  See fuzz_interchange.h for what is
 * checked. */
#include <zlib.h>

#include "fuzz_interchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the CRCs of an archive with no comment; 1 if any was found. */
static int fix_crcs(uint8_t *b, size_t size) {
  if (size < 22 || rd32(b + size - 22) != 0x06054b50u) return 0;
  size_t cd = rd32(b + size - 22 + 16), entries = rd16(b + size - 22 + 10), fixed = 0;
  for (size_t k = 0; k < entries && cd + 46 <= size && rd32(b + cd) == 0x02014b50u; k++) {
    size_t local = rd32(b + cd + 42), csize = rd32(b + cd + 20);
    size_t next = cd + 46 + rd16(b + cd + 28) + rd16(b + cd + 30) + rd16(b + cd + 32);
    if (local + 30 <= size && rd32(b + local) == 0x04034b50u) {
      size_t start = local + 30 + rd16(b + local + 26) + rd16(b + local + 28);
      if (start <= size && csize <= size - start) {
        uint32_t crc = (uint32_t)crc32(0L, b + start, (uInt)csize);
        wr32(b + cd + 16, crc);
        wr32(b + local + 14, crc);
        fixed = 1;
      }
    }
    cd = next;
  }
  return (int)fixed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_ix_import(data, size, SYMCLONE_FORMAT_NPZ);
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy) return 0;
  memcpy(copy, data, size);
  if (fix_crcs(copy, size) && memcmp(copy, data, size) != 0)
    fuzz_ix_import(copy, size, SYMCLONE_FORMAT_NPZ);
  free(copy);
  return 0;
}
