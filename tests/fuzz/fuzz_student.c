/* Fuzz target: the student file loader.  Each input is loaded as it is,
 * then once more with its trailing CRC-32 recomputed, so that the fuzzer
 * also reaches the checks behind the checksum.  A file that loads is used
 * (forward pass), saved and loaded again, and must come back bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(symclone_student *s) {
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  if (in == 0 || out == 0 || p == 0 || np == 0) abort();
  float *x = calloc(in, sizeof *x), *y = calloc(out, sizeof *y), *th = calloc(p, sizeof *th);
  if (x && y && th) {
    for (size_t i = 0; i < in; i++) x[i] = (float)(i % 7) - 3.0f;
    th[0] = 1.0f;
    symclone_status st = symclone_student_forward(s, th, 1, x, y);
    if (st != SYMCLONE_OK && st != SYMCLONE_ERR_NOMEM) abort();
  }
  free(x);
  free(y);
  free(th);

  char path[128];
  snprintf(path, sizeof path, "%s/student", fuzz_tmpdir());
  if (symclone_student_save(s, path) == SYMCLONE_OK) {
    symclone_student *back = NULL;
    if (symclone_student_load(&back, path, NULL) != SYMCLONE_OK) abort();
    if (symclone_student_param_count(back, SYMCLONE_STUDENT_PART_ALL) != np ||
        memcmp(symclone_student_params(back), symclone_student_params(s), np * sizeof(float)))
      abort();
    symclone_student_free(back);
  }
  unlink(path);
}

static void load(const uint8_t *data, size_t size) {
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) return;
  symclone_student *s = NULL;
  symclone_loader *loader;
  if (symclone_loader_create(&loader) != SYMCLONE_OK) {
    close(fd);
    return;
  }
  symclone_status st = symclone_student_load(&s, path, loader);
  close(fd);
  if (st == SYMCLONE_OK) {
    use(s);
    symclone_student_free(s);
  } else if (s != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
    abort();
  }
  symclone_loader_free(loader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load(data, size);
  if (size >= 8) {
    uint8_t *copy = malloc(size);
    if (!copy) return 0;
    memcpy(copy, data, size);
    uint32_t crc = (uint32_t)crc32(0L, copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    load(copy, size);
    free(copy);
  }
  return 0;
}
