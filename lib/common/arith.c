#include <limits.h>
#include <stdint.h>

#include "internal.h"

int sym_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return -1;
  *out = a * b;
  return 0;
}

int sym_mul3_size(size_t a, size_t b, size_t c, size_t *out) {
  size_t t;
  if (sym_mul_size(a, b, &t)) return -1;
  return sym_mul_size(t, c, out);
}

int sym_add_size(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a) return -1;
  *out = a + b;
  return 0;
}

int sym_mul_int(int a, int b, int *out) {
  if (a < 0 || b < 0) return -1;
  if (a != 0 && b > INT_MAX / a) return -1;
  *out = a * b;
  return 0;
}
