/* The product kernel's body, written once for any vector width: prod.c
 * includes it once per width after defining
 *   PROD_NAME, PROD_TARGET   the function's name and target attribute
 *   VEC, VW                  the vector type and its floats
 *   VZERO(), VLOAD(p), VSTORE(p, x), VSET1(x), VFMA(a, b, c) = a b + c
 *   VMASK, VMASK_OF(w)       a mask of the first w (1 .. VW) lanes
 *   VMLOAD(mask, p), VMSTORE(p, mask, x)
 * out[r][c] = sum_k a[r][k] b[k][c]: blocks of PROD_ROWS rows by 2 VW
 * columns (2 PROD_ROWS accumulators, each load of b shared by the rows,
 * the b panel of K x 2 VW floats kept in the first-level cache across the
 * row blocks), then the rows left over, then the last columns VW at a
 * time, masked.  Each element is one chain of VFMA in k order from zero. */

PROD_TARGET void PROD_NAME(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                           size_t ldo, size_t m, size_t n, size_t K) {
  size_t c0 = 0;
  for (; c0 + 2 * VW <= n; c0 += 2 * VW) {
    size_t r = 0;
    for (; r + PROD_ROWS <= m; r += PROD_ROWS) {
      VEC acc[PROD_ROWS][2];
      for (int i = 0; i < PROD_ROWS; i++) acc[i][0] = acc[i][1] = VZERO();
      for (size_t k = 0; k < K; k++) {
        VEC x0 = VLOAD(b + k * ldb + c0), x1 = VLOAD(b + k * ldb + c0 + VW);
#pragma GCC unroll 6
        for (int i = 0; i < PROD_ROWS; i++) {
          VEC ai = VSET1(a[(r + (size_t)i) * lda + k]);
          acc[i][0] = VFMA(ai, x0, acc[i][0]);
          acc[i][1] = VFMA(ai, x1, acc[i][1]);
        }
      }
      for (int i = 0; i < PROD_ROWS; i++) {
        VSTORE(out + (r + (size_t)i) * ldo + c0, acc[i][0]);
        VSTORE(out + (r + (size_t)i) * ldo + c0 + VW, acc[i][1]);
      }
    }
    for (; r < m; r++) {
      VEC t0 = VZERO(), t1 = VZERO();
      for (size_t k = 0; k < K; k++) {
        VEC ai = VSET1(a[r * lda + k]);
        t0 = VFMA(ai, VLOAD(b + k * ldb + c0), t0);
        t1 = VFMA(ai, VLOAD(b + k * ldb + c0 + VW), t1);
      }
      VSTORE(out + r * ldo + c0, t0);
      VSTORE(out + r * ldo + c0 + VW, t1);
    }
  }
  for (; c0 < n; c0 += VW) {
    VMASK mask = VMASK_OF(n - c0 < VW ? n - c0 : VW);
    for (size_t r = 0; r < m; r++) {
      VEC t = VZERO();
      for (size_t k = 0; k < K; k++) t = VFMA(VSET1(a[r * lda + k]), VMLOAD(mask, b + k * ldb + c0), t);
      VMSTORE(out + r * ldo + c0, mask, t);
    }
  }
}

#undef PROD_NAME
#undef PROD_TARGET
#undef VEC
#undef VW
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VFMA
#undef VMASK
#undef VMASK_OF
#undef VMLOAD
#undef VMSTORE
