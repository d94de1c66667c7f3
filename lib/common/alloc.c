#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#if SYMCLONE_FAULT_INJECTION
#include "fault.h"
/* Test builds only: fail the k-th allocation from now (k >= 1), counting
 * every allocation made by the library; 0 disables.  Not thread-safe and not
 * part of any installed build. */
static long fault_countdown;
static long fault_count;

void sym_fault_fail_at(long k) {
  fault_countdown = k;
  fault_count = 0;
}

long sym_fault_allocations(void) { return fault_count; }

static int fault_hit(void) {
  fault_count++;
  if (fault_countdown > 0 && --fault_countdown == 0) return 1;
  return 0;
}
#else
static int fault_hit(void) { return 0; }
#endif

void *sym_malloc(size_t size) {
  if (fault_hit()) return NULL;
  return malloc(size ? size : 1);
}

void *sym_calloc(size_t count, size_t size) {
  if (count != 0 && size > SIZE_MAX / count) return NULL;
  if (fault_hit()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *sym_malloc_array(size_t count, size_t size) {
  if (count != 0 && size > SIZE_MAX / count) return NULL;
  return sym_malloc(count * size);
}

void sym_free(void *p) { free(p); }
