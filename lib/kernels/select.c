/* Which code path the kernels take: the CPU is asked once, at the first
 * call of sym_kernels_get() (pthread_once), and the answer is one of the
 * tables below.  AdamW, gram, comb and the product have AVX-512 code; the
 * other kernels' AVX2 code serves there.  The product's AVX2 code needs
 * FMA too. */
#include <pthread.h>
#include <stdatomic.h>

#include "kernels_impl.h"

/* The table of path isa whose kernels have the suffix sfx, with the
 * product kernel prod (fast: whether it has vector code). */
#define KERNEL_TABLE(isa, sfx, prod, fast)                                                      \
  {isa,           sym_sumsq_##sfx, sym_sqerr_##sfx, sym_adamw_##sfx, sym_sgd_scalar,           \
   sym_dot32_##sfx, sym_gram_##sfx, sym_comb_##sfx, sym_cross_##sfx, prod, fast}

static const sym_kernels scalar_table = KERNEL_TABLE(SYM_ISA_SCALAR, scalar, sym_prod_scalar, 0);
#if SYM_X86
static const sym_kernels sse2_table = KERNEL_TABLE(SYM_ISA_SSE2, sse2, sym_prod_scalar, 0);
static const sym_kernels avx2_table = KERNEL_TABLE(SYM_ISA_AVX2, avx2, sym_prod_scalar, 0);
static const sym_kernels avx2_fma_table = KERNEL_TABLE(SYM_ISA_AVX2, avx2, sym_prod_avx2, 1);
static const sym_kernels avx512_table = {SYM_ISA_AVX512,  sym_sumsq_avx2,  sym_sqerr_avx2,
                                         sym_adamw_avx512, sym_sgd_scalar,  sym_dot32_avx2,
                                         sym_gram_avx512,  sym_comb_avx512, sym_cross_avx2,
                                         sym_prod_avx512,  1};
#endif

static int best_isa(void) {
#if SYM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return SYM_ISA_AVX512;
  return __builtin_cpu_supports("avx2") ? SYM_ISA_AVX2 : SYM_ISA_SSE2;
#else
  return SYM_ISA_SCALAR;
#endif
}

/* The table of path isa, or of the best the CPU has if that is lower. */
static const sym_kernels *table_of(int isa) {
  int best = best_isa();
  if (!isa || isa > best) isa = best;
#if SYM_X86
  switch (isa) {
  case SYM_ISA_AVX512: return &avx512_table;
  case SYM_ISA_AVX2: return __builtin_cpu_supports("fma") ? &avx2_fma_table : &avx2_table;
  case SYM_ISA_SSE2: return &sse2_table;
  default: break;
  }
#endif
  return &scalar_table;
}

static _Atomic(const sym_kernels *) chosen;
static pthread_once_t choose_once = PTHREAD_ONCE_INIT;

static void choose(void) { atomic_store_explicit(&chosen, table_of(0), memory_order_release); }

const sym_kernels *sym_kernels_get(void) {
  const sym_kernels *k = atomic_load_explicit(&chosen, memory_order_acquire);
  if (k) return k;
  pthread_once(&choose_once, choose);
  return atomic_load_explicit(&chosen, memory_order_acquire);
}

#ifdef SYMCLONE_STATIC
void sym_kernels_force_isa(int isa) {
  pthread_once(&choose_once, choose);
  atomic_store_explicit(&chosen, table_of(isa), memory_order_release);
}
#endif
