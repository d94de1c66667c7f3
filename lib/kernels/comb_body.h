/* The comb kernel's vector body, written once for any width (vec.h): 2 VW
 * elements at a time, then VW, the terms added in c order as comb_one
 * adds them, the rest by comb_one itself. */
VTARGET void KNAME(comb)(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                         size_t n, int acc) {
  size_t i = 0;
  for (; i + 2 * VW <= n; i += 2 * VW) {
    VEC s0 = VSET1(s[0]);
    VEC t0 = VMUL(s0, VLOAD(x + i));
    VEC t1 = VMUL(s0, VLOAD(x + i + VW));
    for (size_t c = 1; c < ncomb; c++) {
      VEC sc = VSET1(s[c]);
      const float *xc = x + c * stride + i;
      t0 = VADD(t0, VMUL(sc, VLOAD(xc)));
      t1 = VADD(t1, VMUL(sc, VLOAD(xc + VW)));
    }
    if (acc) {
      t0 = VADD(VLOAD(out + i), t0);
      t1 = VADD(VLOAD(out + i + VW), t1);
    }
    VSTORE(out + i, t0);
    VSTORE(out + i + VW, t1);
  }
  for (; i + VW <= n; i += VW) {
    VEC t0 = VMUL(VSET1(s[0]), VLOAD(x + i));
    for (size_t c = 1; c < ncomb; c++) t0 = VADD(t0, VMUL(VSET1(s[c]), VLOAD(x + c * stride + i)));
    if (acc) t0 = VADD(VLOAD(out + i), t0);
    VSTORE(out + i, t0);
  }
  comb_tail(out, x, stride, ncomb, s, i, n, acc);
}
