/* symclone_kernels_string (common.h): the kernels' code paths, from the
 * table sym_kernels_get() chose. */
#include <symclone/common.h>

#include "kernels.h"

const char *symclone_kernels_string(void) {
  const sym_kernels *k = sym_kernels_get();
  switch (k->isa) {
  case SYM_ISA_AVX512: return k->prod_fast ? "product=avx512 passes=avx2" : "product=blas passes=avx2";
  case SYM_ISA_AVX2: return k->prod_fast ? "product=avx2 passes=avx2" : "product=blas passes=avx2";
  case SYM_ISA_SSE2: return "product=blas passes=sse2";
  default: return "product=blas passes=scalar";
  }
}
