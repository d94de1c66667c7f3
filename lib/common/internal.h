/* Private helpers shared by every part of the library: error messages,
 * checked size arithmetic, allocation, random numbers.  Not installed.
 * Dependency rule (docs/design.md): lib/common depends on nothing else in
 * lib/; every other part may use it. */
#ifndef SYMCLONE_INTERNAL_H
#define SYMCLONE_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include <symclone/common.h>

#define SYM_ERRMSG_LEN 256

/* A per-handle last-error message (docs/conventions.md, "Errors").  Writes
 * are serialised by a spin lock so that failing calls on a shared handle
 * used through const pointers do not race. */
typedef struct sym_err {
  atomic_flag lock;
  char msg[SYM_ERRMSG_LEN];
} sym_err;

void sym_err_init(sym_err *e);
/* The one formatter of error messages: record a message in e and return
 * status (for `return sym_fail(...)`).  e may be NULL, then only the status
 * is returned. */
symclone_status sym_fail(const sym_err *e, symclone_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Checked arithmetic: return 0 and write *out on success, -1 on overflow. */
int sym_mul_size(size_t a, size_t b, size_t *out);
int sym_mul3_size(size_t a, size_t b, size_t c, size_t *out);
int sym_add_size(size_t a, size_t b, size_t *out);
/* Product of n ints, all >= 1; -1 on overflow beyond INT_MAX. */
int sym_mul_int(int a, int b, int *out);

/* Allocation.  All library allocations go through these, so that a
 * fault-injection build can fail the k-th one. */
void *sym_malloc(size_t size);
void *sym_calloc(size_t count, size_t size);
void *sym_malloc_array(size_t count, size_t size); /* NULL on overflow too */
void sym_free(void *p);

/* dst[c][r] = src[r][c] for a block of rows x cols floats (row strides
 * lds of src, ldd of dst). */
static inline void sym_transpose(const float *src, size_t lds, size_t rows, size_t cols,
                                 float *dst, size_t ldd) {
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
}

/* Reproducible random numbers: xoshiro256** seeded through splitmix64. */
typedef struct sym_rng {
  uint64_t s[4];
  int have_spare;
  double spare;
} sym_rng;

void sym_rng_seed(sym_rng *r, uint64_t seed);
uint64_t sym_rng_next(sym_rng *r);
double sym_rng_uniform(sym_rng *r);         /* [0, 1) */
double sym_rng_normal(sym_rng *r);          /* N(0, 1) */
uint64_t sym_rng_below(sym_rng *r, uint64_t n); /* uniform in [0, n), n >= 1 */
void sym_rng_fill_normal(sym_rng *r, float *out, size_t n, float scale);
/* The same distribution by the polar method (another sequence, faster). */
void sym_rng_fill_normal_polar(sym_rng *r, float *out, size_t n, float scale);

#endif
