/* madvise and MADV_HUGEPAGE are Linux extensions to <sys/mman.h>. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

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

/* Large arrays (the parameters, the optimizer's state, a step's scratch) are
 * streamed over again and again: they are aligned to 2 MB and, where the
 * system has transparent huge pages in "madvise" mode, asked to be backed by
 * them, so that a pass over them does not miss in the TLB every 4 KB.
 * Everything is still released with free(). */
#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define HUGE_ALIGN ((size_t)2 << 20)
#define HUGE_FROM ((size_t)4 << 20)

static void *alloc_large(size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, HUGE_ALIGN, size)) return NULL;
  (void)madvise(p, size & ~(HUGE_ALIGN - 1), MADV_HUGEPAGE); /* advice only */
  return p;
}
#else
#define HUGE_FROM SIZE_MAX
static void *alloc_large(size_t size) { return malloc(size); }
#endif

void *sym_malloc(size_t size) {
  if (fault_hit()) return NULL;
  return size >= HUGE_FROM ? alloc_large(size) : malloc(size ? size : 1);
}

void *sym_calloc(size_t count, size_t size) {
  if (count != 0 && size > SIZE_MAX / count) return NULL;
  if (fault_hit()) return NULL;
  if (count * size >= HUGE_FROM) {
    void *p = alloc_large(count * size);
    if (p) memset(p, 0, count * size);
    return p;
  }
  return calloc(count ? count : 1, size ? size : 1);
}

void *sym_malloc_array(size_t count, size_t size) {
  if (count != 0 && size > SIZE_MAX / count) return NULL;
  return sym_malloc(count * size);
}

void sym_free(void *p) { free(p); }
