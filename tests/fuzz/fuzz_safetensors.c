/* Fuzz target: the safetensors reader of symclone_student_import.  Each
 * input is a whole file (docs/file-format.md, "Interchange"); see
 * fuzz_interchange.h for what is checked. */
#include "fuzz_interchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_ix_import(data, size, SYMCLONE_FORMAT_SAFETENSORS);
  return 0;
}
