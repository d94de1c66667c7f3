/* Restricted students (student.h, symclone_student_restrict): the blocks
 * confined to a sum V of invariant subspaces of the filter space, kept by
 * frozen coefficients and transforms and a Reynolds projection of the
 * blocks after every update.
 *
 * With A = U^T (U the orthonormal basis of V, Pc x B) and the exact
 * transforms, every sub-operator of the student is F(T_t theta) with
 * F(v) = sum_b <u_b, v> W_b, and the student is equivariant whenever F is:
 * F(rho(g) v) = Rot_g F(v) Rot_g^-1 for every element g (rho the filter
 * transform, Rot the plane action on the input and output grids).  The
 * projection onto such F is the average over the group,
 *   W'_c = 1/|G| sum_g Rot_g^-1 (sum_b D_g[c][b] W_b) Rot_g,
 *   D_g[c][b] = <rho(g) u_c, u_b>,
 * and (Rot_g^-1 X Rot_g)[o][i] = X[g.o][g.i] for the pixel permutations.
 * For the listed bases D_g is a signed permutation, and the projection is
 * a signed average over the orbits of the coordinates (c, o, i). */
#include <string.h>

#include "../group/subspace.h"
#include "student_priv.h"

void sym_student_restrict_free(symclone_student *s) {
  sym_free(s->r_index);
  sym_free(s->r_coeffs);
  sym_free(s->r_act_in);
  s->r_count = s->r_nreps = 0;
  s->r_index = s->r_perm = s->r_reps = NULL;
  s->r_coeffs = s->r_trans = s->r_sign = s->r_acc = NULL;
  s->r_act_in = s->r_act_out = NULL;
}

static int kind_matches(symclone_student_kind kind, int gkind, int gn, int n) {
  switch (kind) {
  case SYMCLONE_STUDENT_PLANAR: return 1;
  case SYMCLONE_STUDENT_LIFTING:
  case SYMCLONE_STUDENT_GROUP: return gkind == SYMCLONE_GROUP_CYCLIC && gn == n;
  default: return gkind == SYMCLONE_GROUP_DIHEDRAL && gn == n;
  }
}

symclone_status sym_student_restrict_build(symclone_student *s, const sym_err *err, int gkind,
                                           int gn, const int *index, int count) {
  if (gkind != SYMCLONE_GROUP_CYCLIC && gkind != SYMCLONE_GROUP_DIHEDRAL)
    return sym_fail(err, SYMCLONE_ERR_GROUP,
                    "a restriction needs a cyclic or dihedral group (kind %d)", gkind);
  if (!sym_subspace_group_ok((symclone_group_kind)gkind, gn))
    return sym_fail(err, SYMCLONE_ERR_UNSUPPORTED,
                    "%c%d does not act on filters by permutations (C1, C2, C4, D1, D2, D4 do)",
                    gkind == SYMCLONE_GROUP_CYCLIC ? 'C' : 'D', gn);
  if (!kind_matches(s->kind, gkind, gn, s->n))
    return sym_fail(err, SYMCLONE_ERR_GROUP,
                    "the student clones a %s%d family; the subspaces are of %c%d",
                    sym_student_is_dihedral(s->kind) ? "D" : "C", s->n,
                    gkind == SYMCLONE_GROUP_CYCLIC ? 'C' : 'D', gn);
  int order = gkind == SYMCLONE_GROUP_DIHEDRAL ? 2 * gn : gn;
  if (gn == 4 && (s->h != s->w || s->ho != s->wo))
    return sym_fail(err, SYMCLONE_ERR_SHAPE,
                    "quarter turns need square fields; the student's input is %dx%d", s->h, s->w);
  if (s->in_hw > ((size_t)1 << 30) / (size_t)order)
    return sym_fail(err, SYMCLONE_ERR_OVERFLOW, "the input of %zu pixels is too large",
                    s->in_hw);
  if (count < 1)
    return sym_fail(err, SYMCLONE_ERR_SIZE, "count=%d: at least one subspace is needed", count);
  sym_subspaces ss;
  symclone_status st = sym_subspaces_make((symclone_group_kind)gkind, gn, s->k, &ss);
  if (st == SYMCLONE_ERR_KERNEL)
    return sym_fail(err, st, "kernel=%d: the subspaces are listed up to 31", s->k);
  if (st) return sym_fail(err, st, "cannot compute the subspaces");
  int dim = 0;
  for (int i = 0; i < count && !st; i++) {
    if (index[i] < 0 || index[i] >= ss.count) {
      st = sym_fail(err, SYMCLONE_ERR_ARG, "subspace %d is not one of the %d of %c%d for %dx%d",
                    index[i], ss.count, gkind == SYMCLONE_GROUP_CYCLIC ? 'C' : 'D', gn, s->k,
                    s->k);
      break;
    }
    for (int j = 0; j < i; j++)
      if (index[j] == index[i])
        st = sym_fail(err, SYMCLONE_ERR_ARG, "subspace %d is given twice", index[i]);
    dim += ss.dim[index[i]];
  }
  if (!st && dim != s->nblocks)
    st = sym_fail(err, SYMCLONE_ERR_SIZE,
                  "the subspaces' dimensions add up to %d, the student has %d blocks", dim,
                  s->nblocks);
  if (st) {
    sym_subspaces_free(&ss);
    return st;
  }

  sym_student_restrict_free(s);
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc, ntr = sym_st_trans_size(s);
  size_t nstored = (size_t)(s->tcount - s->tfirst) * ntr, G = (size_t)order;
  size_t nint = (size_t)count + G * B + s->out_hw; /* index, perm, reps */
  s->r_index = sym_malloc_array(nint, sizeof(int));
  s->r_coeffs = sym_malloc_array(B * pc + nstored + G * B + s->in_hw, sizeof(float));
  s->r_act_in = sym_malloc_array(G * (s->in_hw + s->out_hw), sizeof(int));
  if (!s->r_index || !s->r_coeffs || !s->r_act_in) {
    sym_student_restrict_free(s);
    sym_subspaces_free(&ss);
    return sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot allocate the restriction");
  }
  s->r_perm = s->r_index + count;
  s->r_reps = s->r_perm + G * B;
  s->r_trans = s->r_coeffs + B * pc;
  s->r_sign = s->r_trans + nstored;
  s->r_acc = s->r_sign + G * B;
  s->r_act_out = s->r_act_in + G * s->in_hw;
  memcpy(s->r_index, index, (size_t)count * sizeof(int));
  /* U^T, the chosen subspaces' vectors in the order given */
  size_t row = 0;
  for (int i = 0; i < count; i++)
    for (int j = 0; j < ss.dim[index[i]]; j++, row++)
      for (size_t q = 0; q < pc; q++)
        s->r_coeffs[row * pc + q] = (float)ss.basis[((size_t)ss.first[index[i]] + j) * pc + q];
  sym_student_exact_trans(s, s->r_trans);
  for (int g = 0; g < order && !st; g++) {
    const int *act = ss.act + (size_t)g * pc;
    for (size_t c = 0; c < B && !st; c++) {
      int nz = 0;
      for (size_t b = 0; b < B; b++) {
        double d = 0.0;
        for (size_t q = 0; q < pc; q++)
          d += (double)s->r_coeffs[c * pc + q] * s->r_coeffs[b * pc + (size_t)act[q]];
        if (d > -1e-3 && d < 1e-3) continue;
        if (d < 0.999 && d > -0.999) nz = 2; /* not a signed permutation */
        s->r_perm[(size_t)g * B + c] = (int)b;
        s->r_sign[(size_t)g * B + c] = d > 0 ? 1.0f : -1.0f;
        nz++;
      }
      if (nz != 1) /* cannot happen for the listed bases */
        st = sym_fail(err, SYMCLONE_ERR_STATE, "the filter transforms do not permute the basis");
    }
    sym_plane_permutation(gkind == SYMCLONE_GROUP_DIHEDRAL, gn, g, s->h, s->w,
                          s->r_act_in + (size_t)g * s->in_hw);
    sym_plane_permutation(gkind == SYMCLONE_GROUP_DIHEDRAL, gn, g, s->ho, s->wo,
                          s->r_act_out + (size_t)g * s->out_hw);
  }
  sym_subspaces_free(&ss);
  if (st) {
    sym_student_restrict_free(s);
    return st;
  }
  /* one output pixel of each orbit: its smallest */
  s->r_nreps = 0;
  for (size_t o = 0; o < s->out_hw; o++) {
    int first = 1;
    for (int g = 1; g < order; g++)
      if ((size_t)s->r_act_out[(size_t)g * s->out_hw + o] < o) first = 0;
    if (first) s->r_reps[s->r_nreps++] = (int)o;
  }
  s->r_count = count;
  s->r_kind = gkind;
  s->r_n = gn;
  s->r_order = order;
  return SYMCLONE_OK;
}

void sym_student_restrict_apply(symclone_student *s) {
  if (!s->r_count) return;
  size_t B = (size_t)s->nblocks, pc = (size_t)s->pc, in_hw = s->in_hw, out_hw = s->out_hw;
  size_t bsz = out_hw * in_hw;
  int order = s->r_order;
  float *w = sym_st_blocks(s), *acc = s->r_acc;
  /* Every D_g is a signed permutation of the basis (sym_student_restrict_build
   * checks it), so the projection is the signed average over each orbit of
   * the group on the coordinates (c, o, i): one pass over the orbits of
   * the output pixels (r_reps), each orbit of (c, o, i) read once and
   * written once with its average (the invariant values, signs included).
   * An output pixel with a non-trivial stabiliser meets some orbits twice,
   * which writes the same values again. */
  for (size_t ri = 0; ri < (size_t)s->r_nreps; ri++) {
    size_t o = (size_t)s->r_reps[ri];
    for (size_t c = 0; c < B; c++) {
      memset(acc, 0, in_hw * sizeof *acc);
      for (int g = 0; g < order; g++) {
        const int *ai = s->r_act_in + (size_t)g * in_hw;
        size_t b = (size_t)s->r_perm[(size_t)g * B + c];
        float sg = s->r_sign[(size_t)g * B + c];
        const float *row = w + b * bsz + (size_t)s->r_act_out[(size_t)g * out_hw + o] * in_hw;
        for (size_t i = 0; i < in_hw; i++) acc[i] += sg * row[ai[i]];
      }
      for (size_t i = 0; i < in_hw; i++) acc[i] *= 1.0f / (float)order;
      for (int g = 0; g < order; g++) {
        const int *ai = s->r_act_in + (size_t)g * in_hw;
        size_t b = (size_t)s->r_perm[(size_t)g * B + c];
        float sg = s->r_sign[(size_t)g * B + c];
        float *row = w + b * bsz + (size_t)s->r_act_out[(size_t)g * out_hw + o] * in_hw;
        for (size_t i = 0; i < in_hw; i++) row[ai[i]] = sg * acc[i];
      }
    }
  }
  memcpy(sym_st_coeffs(s), s->r_coeffs, B * pc * sizeof(float));
  memcpy(sym_st_trans(s), s->r_trans,
         (size_t)(s->tcount - s->tfirst) * sym_st_trans_size(s) * sizeof(float));
}

symclone_status symclone_student_restrict(symclone_student *s, const symclone_group *group,
                                          const int *subspaces, int count) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!group) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "group is NULL");
  if (!subspaces) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "subspaces is NULL");
  symclone_group_kind gk = symclone_group_kind_of(group);
  int order = symclone_group_order(group);
  int gn = gk == SYMCLONE_GROUP_DIHEDRAL ? order / 2 : order;
  symclone_status st = sym_student_restrict_build(s, &s->err, gk, gn, subspaces, count);
  if (st) return st;
  sym_student_restrict_apply(s);
  return SYMCLONE_OK;
}

symclone_status symclone_student_restriction(const symclone_student *s, symclone_group_kind *kind,
                                             int *n, int *subspaces, int capacity, int *count) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!count) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "count is NULL");
  if (s->r_count && subspaces && capacity < s->r_count)
    return sym_fail(&s->err, SYMCLONE_ERR_SIZE, "capacity=%d, the restriction has %d subspaces",
                    capacity, s->r_count);
  *count = s->r_count;
  if (kind) *kind = (symclone_group_kind)(s->r_count ? s->r_kind : 0);
  if (n) *n = s->r_count ? s->r_n : 0;
  if (subspaces && s->r_count) memcpy(subspaces, s->r_index, (size_t)s->r_count * sizeof(int));
  return SYMCLONE_OK;
}
