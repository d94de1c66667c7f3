/* The comb kernel's vector body, written once for any width (vec.h): 4 VW
 * elements at a time (each coefficient's broadcast shared by four
 * vectors), then VW, the terms added in c order as comb_one adds them,
 * the rest by comb_one itself. */
VTARGET void KNAME(comb)(float *out, const float *x, size_t stride, size_t ncomb, const float *s,
                         size_t n, int acc) {
  size_t i = 0;
  for (; i + 4 * VW <= n; i += 4 * VW) {
    VEC s0 = VSET1(s[0]);
    VEC t0 = VMUL(s0, VLOAD(x + i));
    VEC t1 = VMUL(s0, VLOAD(x + i + VW));
    VEC t2 = VMUL(s0, VLOAD(x + i + 2 * VW));
    VEC t3 = VMUL(s0, VLOAD(x + i + 3 * VW));
    for (size_t c = 1; c < ncomb; c++) {
      VEC sc = VSET1(s[c]);
      const float *xc = x + c * stride + i;
      t0 = VADD(t0, VMUL(sc, VLOAD(xc)));
      t1 = VADD(t1, VMUL(sc, VLOAD(xc + VW)));
      t2 = VADD(t2, VMUL(sc, VLOAD(xc + 2 * VW)));
      t3 = VADD(t3, VMUL(sc, VLOAD(xc + 3 * VW)));
    }
    if (acc) {
      t0 = VADD(VLOAD(out + i), t0);
      t1 = VADD(VLOAD(out + i + VW), t1);
      t2 = VADD(VLOAD(out + i + 2 * VW), t2);
      t3 = VADD(VLOAD(out + i + 3 * VW), t3);
    }
    VSTORE(out + i, t0);
    VSTORE(out + i + VW, t1);
    VSTORE(out + i + 2 * VW, t2);
    VSTORE(out + i + 3 * VW, t3);
  }
  for (; i + VW <= n; i += VW) {
    VEC t0 = VMUL(VSET1(s[0]), VLOAD(x + i));
    for (size_t c = 1; c < ncomb; c++) t0 = VADD(t0, VMUL(VSET1(s[c]), VLOAD(x + c * stride + i)));
    if (acc) t0 = VADD(VLOAD(out + i), t0);
    VSTORE(out + i, t0);
  }
  comb_tail(out, x, stride, ncomb, s, i, n, acc);
}
