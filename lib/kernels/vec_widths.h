/* Private to lib/kernels: includes the kernel body named by KERNEL_BODY
 * (a *_body.h file) three times, at the SSE2 width (suffix sse2), the
 * AVX2 width (suffix avx2) and the AVX-512 width (suffix avx512). */
#define VEC_WIDTH 4
#define KSUFFIX sse2
#include "vec.h"
#include KERNEL_BODY
#undef VEC_WIDTH
#undef KSUFFIX
#define VEC_WIDTH 8
#define KSUFFIX avx2
#include "vec.h"
#include KERNEL_BODY
#undef VEC_WIDTH
#undef KSUFFIX
#define VEC_WIDTH 16
#define KSUFFIX avx512
#include "vec.h"
#include KERNEL_BODY
#undef VEC_WIDTH
#undef KSUFFIX
#undef KERNEL_BODY
