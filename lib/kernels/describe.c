/* symclone_kernels_string (common.h): the kernels' code paths, from the
 * table sym_kernels_get() chose (select.c). */
#include <symclone/common.h>

#include "kernels.h"

const char *symclone_kernels_string(void) {
  const sym_kernels *k = sym_kernels_get();
  switch (k->isa) {
  case SYM_ISA_AVX512:
    return "product=avx512 adamw=avx512 gram=avx512 comb=avx512 sums=avx2 sgd=scalar";
  case SYM_ISA_AVX2:
    return k->prod_fast ? "product=avx2 adamw=avx2 gram=avx2 comb=avx2 sums=avx2 sgd=scalar"
                        : "product=blas adamw=avx2 gram=avx2 comb=avx2 sums=avx2 sgd=scalar";
  case SYM_ISA_SSE2:
    return "product=blas adamw=sse2 gram=sse2 comb=sse2 sums=sse2 sgd=scalar";
  default:
    return "product=blas adamw=scalar gram=scalar comb=scalar sums=scalar sgd=scalar";
  }
}
