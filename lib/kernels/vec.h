/* Private to lib/kernels: the float vector operations of one width, for
 * the kernel bodies written once for any width (*_body.h, included by
 * vec_widths.h).  Define VEC_WIDTH (4: SSE2, 8: AVX2, 16: AVX-512) and
 * include this file; it may be included again with another width.  A
 * comparison gives a VMASK (a vector of all-ones lanes below AVX-512, a
 * mask register at AVX-512). */
#undef VEC
#undef VMASK
#undef VW
#undef VTARGET
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VADD
#undef VSUB
#undef VMUL
#undef VDIV
#undef VSQRT
#undef VABS_LE
#undef VSELECT
#undef VCOUNT

#if VEC_WIDTH == 4
#define VEC __m128
#define VMASK __m128
#define VW 4
#define VTARGET
#define VZERO() _mm_setzero_ps()
#define VLOAD(p) _mm_loadu_ps(p)
#define VSTORE(p, x) _mm_storeu_ps(p, x)
#define VSET1(x) _mm_set1_ps(x)
#define VADD(a, b) _mm_add_ps(a, b)
#define VSUB(a, b) _mm_sub_ps(a, b)
#define VMUL(a, b) _mm_mul_ps(a, b)
#define VDIV(a, b) _mm_div_ps(a, b)
#define VSQRT(a) _mm_sqrt_ps(a)
/* lanes where |a| <= b (false for NaN) */
#define VABS_LE(a, b) _mm_cmple_ps(_mm_and_ps(a, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff))), b)
/* mask ? a : b */
#define VSELECT(mask, a, b) _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b))
/* the lanes set in a mask */
#define VCOUNT(mask) __builtin_popcount((unsigned)_mm_movemask_ps(mask))
#elif VEC_WIDTH == 8
#define VEC __m256
#define VMASK __m256
#define VW 8
#define VTARGET __attribute__((target("avx2")))
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, x) _mm256_storeu_ps(p, x)
#define VSET1(x) _mm256_set1_ps(x)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VSQRT(a) _mm256_sqrt_ps(a)
#define VABS_LE(a, b)                                                                             \
  _mm256_cmp_ps(_mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))), b,         \
                _CMP_LE_OQ)
#define VSELECT(mask, a, b) _mm256_blendv_ps(b, a, mask)
#define VCOUNT(mask) __builtin_popcount((unsigned)_mm256_movemask_ps(mask))
#elif VEC_WIDTH == 16
#define VEC __m512
#define VMASK __mmask16
#define VW 16
#define VTARGET __attribute__((target("avx512f")))
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, x) _mm512_storeu_ps(p, x)
#define VSET1(x) _mm512_set1_ps(x)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define VDIV(a, b) _mm512_div_ps(a, b)
#define VSQRT(a) _mm512_sqrt_ps(a)
#define VABS_LE(a, b) _mm512_cmp_ps_mask(_mm512_abs_ps(a), b, _CMP_LE_OQ)
#define VSELECT(mask, a, b) _mm512_mask_blend_ps(mask, b, a)
#define VCOUNT(mask) __builtin_popcount((unsigned)(mask))
#else
#error "VEC_WIDTH must be 4, 8 or 16"
#endif

/* sym_<base>_<suffix> for the width's suffix KSUFFIX */
#define KNAME(base) KNAME_(base, KSUFFIX)
#define KNAME_(base, suffix) KNAME__(base, suffix)
#define KNAME__(base, suffix) sym_##base##_##suffix
