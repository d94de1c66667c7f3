/* The AdamW kernel's vector body, written once for any width (vec.h):
 * VW elements at a time by adam_one's operations in adam_one's order, the
 * rest by adam_one itself. */
VTARGET size_t KNAME(adamw)(float *p, const float *g, float *m, float *v, size_t n,
                            const sym_adam_consts *k) {
  VEC b1 = VSET1(k->b1), b2 = VSET1(k->b2), c1 = VSET1(k->c1), c2 = VSET1(k->c2);
  VEC step = VSET1(k->step), rbc2 = VSET1(k->rbc2), eps = VSET1(k->eps);
  VEC decay = VSET1(k->decay), gs = VSET1(k->gs), big = VSET1(3.40282347e38f);
  size_t i = 0, bad = 0;
  for (; i + VW <= n; i += VW) {
    prefetch_adam(p, g, m, v, i, n);
    VEC gi = VMUL(VLOAD(g + i), gs);
    VEC mi = VADD(VMUL(b1, VLOAD(m + i)), VMUL(c1, gi));
    VEC vi = VADD(VMUL(b2, VLOAD(v + i)), VMUL(VMUL(c2, gi), gi));
    VEC pi = VLOAD(p + i);
    VEC den = VADD(VMUL(VSQRT(vi), rbc2), eps);
    VEC np = VSUB(VMUL(pi, decay), VDIV(VMUL(step, mi), den));
    VMASK ok = VABS_LE(np, big);
    VSTORE(m + i, mi);
    VSTORE(v + i, vi);
    VSTORE(p + i, VSELECT(ok, np, pi));
    bad += (size_t)(VW - VCOUNT(ok));
  }
  return bad + adamw_tail(p, g, m, v, i, n, k);
}
