/* Private to lib/kernels: includes the kernel body named by KERNEL_BODY
 * (a *_body.h file) twice, at the SSE2 width (suffix sse2) and at the
 * AVX2 width (suffix avx2). */
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
#undef KERNEL_BODY
