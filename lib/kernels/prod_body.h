/* The product kernel's body, written once for any vector width: prod.c
 * includes it once per width after defining
 *   PROD_NAME, PROD_TARGET   the function's name and target attribute
 *   VEC, VW                  the vector type and its floats
 *   VZERO(), VLOAD(p), VSTORE(p, x), VSET1(x), VFMA(a, b, c) = a b + c
 *   VMASK, VMASK_OF(w)       a mask of the first w (0 .. VW) lanes
 *   VMLOAD(mask, p), VMSTORE(p, mask, x)
 * out[r][c] = sum_k a[r][k] b[k][c]: blocks of PROD_ROWS rows by 2 VW
 * columns (2 PROD_ROWS accumulators, each load of b shared by the rows,
 * the b panel of K x 2 VW floats kept in the first-level cache across the
 * row blocks).  The last block of rows, when fewer than PROD_ROWS are
 * left, repeats the last row in the missing ones and stores only the rows
 * that exist, and the last columns take the same blocks with masked loads
 * and stores: every element runs in a block of independent chains, never
 * in a single chain that waits for its own additions.  Each element is one
 * chain of VFMA in k order from zero, so the bits do not depend on the
 * blocking. */

/* One block: rows r .. r + PROD_ROWS - 1 (the row pointers ap[], clamped
 * to the last row), columns c0 .. c0 + 2 VW - 1 through LOAD0/LOAD1 and
 * STORE0/STORE1; only the first `rows` rows are stored. */
#define PROD_BLOCK(LOAD0, LOAD1, STORE0, STORE1)                                         \
  do {                                                                                  \
    VEC acc[PROD_ROWS][2];                                                              \
    for (int i = 0; i < PROD_ROWS; i++) acc[i][0] = acc[i][1] = VZERO();                \
    for (size_t k = 0; k < K; k++) {                                                    \
      const float *bk = b + k * ldb + c0;                                               \
      VEC x0 = LOAD0(bk), x1 = LOAD1(bk + VW);                                          \
      _Pragma("GCC unroll 6") for (int i = 0; i < PROD_ROWS; i++) {                      \
        VEC ai = VSET1(ap[i][k]);                                                       \
        acc[i][0] = VFMA(ai, x0, acc[i][0]);                                            \
        acc[i][1] = VFMA(ai, x1, acc[i][1]);                                            \
      }                                                                                 \
    }                                                                                   \
    for (int i = 0; i < rows; i++) {                                                    \
      float *o = out + (r + (size_t)i) * ldo + c0;                                      \
      STORE0(o, acc[i][0]);                                                             \
      STORE1(o + VW, acc[i][1]);                                                        \
    }                                                                                   \
  } while (0)

PROD_TARGET void PROD_NAME(const float *a, size_t lda, const float *b, size_t ldb, float *out,
                           size_t ldo, size_t m, size_t n, size_t K) {
  if (!m || !n) return;
  for (size_t c0 = 0; c0 < n; c0 += 2 * VW) {
    size_t w = n - c0 < 2 * VW ? n - c0 : 2 * VW;
    VMASK m0 = VMASK_OF(w < VW ? w : VW), m1 = VMASK_OF(w > VW ? w - VW : 0);
    for (size_t r = 0; r < m; r += PROD_ROWS) {
      int rows = m - r < PROD_ROWS ? (int)(m - r) : PROD_ROWS;
      const float *ap[PROD_ROWS];
      for (int i = 0; i < PROD_ROWS; i++) ap[i] = a + (r + (size_t)(i < rows ? i : rows - 1)) * lda;
#define PROD_ML0(p) VMLOAD(m0, p)
#define PROD_ML1(p) VMLOAD(m1, p)
#define PROD_MS0(p, x) VMSTORE(p, m0, x)
#define PROD_MS1(p, x) VMSTORE(p, m1, x)
      if (w == 2 * VW)
        PROD_BLOCK(VLOAD, VLOAD, VSTORE, VSTORE);
      else
        PROD_BLOCK(PROD_ML0, PROD_ML1, PROD_MS0, PROD_MS1);
#undef PROD_ML0
#undef PROD_ML1
#undef PROD_MS0
#undef PROD_MS1
    }
  }
}

#undef PROD_BLOCK
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
