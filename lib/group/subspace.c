/* The invariant subspaces of the filter space under the groups whose filter
 * actions are tap permutations (subspace.h), and their public listing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "group_priv.h"
#include "rotate.h"
#include "subspace.h"

int sym_subspace_group_ok(symclone_group_kind kind, int n) {
  return (kind == SYMCLONE_GROUP_CYCLIC || kind == SYMCLONE_GROUP_DIHEDRAL) &&
         (n == 1 || n == 2 || n == 4);
}

/* Irreducible real representations.
 *   Cn (n = 1, 2, 4): trivial; sign, chi(r) = (-1)^r (n >= 2); for C4 the
 *     2-dimensional rotation representation, chi = (2, 0, -2, 0).
 *   D1 (e, M): trivial; mirror-odd, chi(M) = -1.
 *   D2, D4 (g = m n + r): A1 trivial; A2 (-1)^m; B1 (-1)^r; B2 (-1)^(r+m);
 *     D4 also E, chi(R_r) = (2, 0, -2, 0), chi(R_r M) = 0. */
int sym_irrep_count(int dihedral, int n) {
  if (!dihedral) return n == 4 ? 3 : n;
  return n == 1 ? 2 : n == 2 ? 4 : 5;
}

static const int e_char[4] = {2, 0, -2, 0};

int sym_irrep_character(int dihedral, int n, int irrep, int g) {
  if (!dihedral) {
    if (irrep == 0) return 1;
    if (irrep == 1) return (g % 2) ? -1 : 1;
    return e_char[g % 4];
  }
  int m = g / n, r = g % n;
  if (n == 1) return irrep == 0 ? 1 : (m ? -1 : 1);
  switch (irrep) {
  case 0: return 1;
  case 1: return m ? -1 : 1;
  case 2: return (r % 2) ? -1 : 1;
  case 3: return ((r + m) % 2) ? -1 : 1;
  default: return m ? 0 : e_char[r % 4];
  }
}

int sym_irrep_dim(int dihedral, int n, int irrep) {
  if (!dihedral) return (n == 4 && irrep == 2) ? 2 : 1;
  return (n == 4 && irrep == 4) ? 2 : 1;
}

/* The dimension of the irreducible complex constituent (1, or 2 for E of
 * D4, which stays irreducible over the complex numbers; C4's rotation
 * representation is the sum of two complex characters). */
static int irrep_abs_dim(int dihedral, int n, int irrep) {
  return (dihedral && n == 4 && irrep == 4) ? 2 : 1;
}

static const char *irrep_name(int dihedral, int n, int irrep) {
  static const char *const cyc[3] = {"trivial", "sign", "rotation"};
  static const char *const d1[2] = {"trivial", "mirror-odd"};
  static const char *const dn[5] = {"A1 (trivial)", "A2", "B1", "B2", "E"};
  if (!dihedral) return cyc[irrep];
  return n == 1 ? d1[irrep] : dn[irrep];
}

void sym_plane_permutation(int dihedral, int n, int g, int h, int w, int *act) {
  int m = dihedral ? g / n : 0, r = dihedral ? g % n : g;
  int hw = h * w;
  for (int p = 0; p < hw; p++) act[sym_dihedral_source(h, w, m, r, n, p)] = p;
}

void sym_subspaces_free(sym_subspaces *ss) {
  if (!ss) return;
  sym_free(ss->dim);
  sym_free(ss->basis);
  sym_free(ss->act);
  memset(ss, 0, sizeof *ss);
}

symclone_status sym_subspaces_make(symclone_group_kind kind, int n, int k, sym_subspaces *out) {
  memset(out, 0, sizeof *out);
  if (!sym_subspace_group_ok(kind, n)) return SYMCLONE_ERR_UNSUPPORTED;
  if (k < 1 || k % 2 == 0 || k > 31) return SYMCLONE_ERR_KERNEL;
  int dihedral = kind == SYMCLONE_GROUP_DIHEDRAL;
  int order = dihedral ? 2 * n : n, pc = k * k, nirr = sym_irrep_count(dihedral, n);
  sym_subspaces ss = {0};
  ss.k = k, ss.pc = pc, ss.order = order, ss.dihedral = dihedral, ss.n = n;
  /* per subspace: six int arrays of pc entries (there are at most pc
   * subspaces); the orbits' scratch: tap orbit, orbit min tap and order */
  ss.dim = sym_calloc((size_t)6 * pc + (size_t)3 * pc, sizeof(int));
  ss.basis = sym_calloc((size_t)pc * pc, sizeof(double));
  ss.act = sym_malloc_array((size_t)order * pc, sizeof(int));
  double *vec = sym_malloc_array((size_t)pc, sizeof(double));
  if (!ss.dim || !ss.basis || !ss.act || !vec) {
    sym_free(vec);
    sym_subspaces_free(&ss);
    return SYMCLONE_ERR_NOMEM;
  }
  ss.first = ss.dim + pc;
  ss.orbit = ss.first + pc;
  ss.orbit_size = ss.orbit + pc;
  ss.irrep = ss.orbit_size + pc;
  ss.rep = ss.irrep + pc;
  int *tap_orbit = ss.rep + pc, *orbit_min = tap_orbit + pc, *sorted = orbit_min + pc;
  for (int g = 0; g < order; g++) sym_plane_permutation(dihedral, n, g, k, k, ss.act + (size_t)g * pc);

  /* orbits, numbered by their smallest tap */
  for (int q = 0; q < pc; q++) tap_orbit[q] = -1;
  int norb = 0;
  for (int q = 0; q < pc; q++) {
    if (tap_orbit[q] >= 0) continue;
    orbit_min[norb] = q;
    for (int g = 0; g < order; g++) tap_orbit[ss.act[(size_t)g * pc + q]] = norb;
    norb++;
  }
  /* order: the centre first, then by distance from it, then by smallest tap */
  int c = k / 2;
  for (int i = 0; i < norb; i++) sorted[i] = i;
  for (int i = 1; i < norb; i++)
    for (int j = i; j > 0; j--) {
      int a = orbit_min[sorted[j - 1]], b = orbit_min[sorted[j]];
      int da = (a / k - c) * (a / k - c) + (a % k - c) * (a % k - c);
      int db = (b / k - c) * (b / k - c) + (b % k - c) * (b % k - c);
      if (da < db || (da == db && a < b)) break;
      int t = sorted[j - 1];
      sorted[j - 1] = sorted[j];
      sorted[j] = t;
    }
  ss.norbits = norb;

  int row = 0;
  for (int oi = 0; oi < norb; oi++) {
    int o = sorted[oi], rep = orbit_min[o];
    int members[8], size = 0; /* the orbit in the order g.rep, g = 0, 1, ... */
    for (int g = 0; g < order; g++) {
      int q = ss.act[(size_t)g * pc + rep], seen = 0;
      for (int j = 0; j < size; j++) seen |= members[j] == q;
      if (!seen) members[size++] = q;
    }
    for (int ir = 0; ir < nirr; ir++) {
      double scale = (double)irrep_abs_dim(dihedral, n, ir) / order;
      int start = row;
      for (int j = 0; j < size; j++) {
        /* vec = P_chi e_q, then Gram-Schmidt against this part's vectors */
        memset(vec, 0, (size_t)pc * sizeof *vec);
        for (int g = 0; g < order; g++)
          vec[ss.act[(size_t)g * pc + members[j]]] +=
              scale * sym_irrep_character(dihedral, n, ir, g);
        for (int pass = 0; pass < 2; pass++)
          for (int b = start; b < row; b++) {
            const double *u = ss.basis + (size_t)b * pc;
            double d = 0.0;
            for (int q = 0; q < pc; q++) d += u[q] * vec[q];
            for (int q = 0; q < pc; q++) vec[q] -= d * u[q];
          }
        double nrm = 0.0;
        for (int q = 0; q < pc; q++) nrm += vec[q] * vec[q];
        if (nrm < 1e-18) continue;
        nrm = 1.0 / sqrt(nrm);
        double *u = ss.basis + (size_t)row * pc;
        for (int q = 0; q < pc; q++) u[q] = vec[q] * nrm;
        row++;
      }
      if (row > start) {
        int i = ss.count++;
        ss.dim[i] = row - start;
        ss.first[i] = start;
        ss.orbit[i] = oi;
        ss.orbit_size[i] = size;
        ss.irrep[i] = ir;
        ss.rep[i] = rep;
      }
    }
  }
  sym_free(vec);
  if (row != pc) { /* cannot happen: the isotypic parts span each orbit */
    sym_subspaces_free(&ss);
    return SYMCLONE_ERR_STATE;
  }
  *out = ss;
  return SYMCLONE_OK;
}

void sym_subspace_name(const sym_subspaces *ss, int i, char *buf, size_t len) {
  int k = ss->k, c = k / 2, q = ss->rep[i];
  int dy = q / k - c, dx = q % k - c;
  int ay = dy < 0 ? -dy : dy, ax = dx < 0 ? -dx : dx;
  const char *where = "off-axis";
  if (!ay && !ax)
    where = "centre";
  else if (!ay || !ax)
    where = (ay == c || ax == c) ? "edge" : "axis";
  else if (ay == ax)
    where = ay == c ? "corner" : "diagonal";
  snprintf(buf, len, "orbit %d (%s, %d tap%s), %s", ss->orbit[i], where, ss->orbit_size[i],
           ss->orbit_size[i] == 1 ? "" : "s", irrep_name(ss->dihedral, ss->n, ss->irrep[i]));
}

/* ---- the public listing ---------------------------------------------------- */

static symclone_status listing(const symclone_group *group, int kernel, sym_subspaces *ss) {
  symclone_status st = sym_subspaces_make(group->kind, group->n, kernel, ss);
  if (st == SYMCLONE_ERR_UNSUPPORTED)
    return sym_fail(&group->err, st,
                          "invariant filter subspaces need C1, C2, C4, D1, D2 or D4 (exact "
                          "tap permutations)");
  if (st == SYMCLONE_ERR_KERNEL)
    return sym_fail(&group->err, st, "kernel=%d must be odd, >= 1 and at most 31", kernel);
  if (st) return sym_fail(&group->err, st, "cannot compute the subspaces");
  return SYMCLONE_OK;
}

static symclone_status pick(const symclone_group *group, const sym_subspaces *ss, int index) {
  if (index < 0 || index >= ss->count)
    return sym_fail(&group->err, SYMCLONE_ERR_ARG,
                          "subspace %d is not one of the %d of the %dx%d filter space", index,
                          ss->count, ss->k, ss->k);
  return SYMCLONE_OK;
}

symclone_status symclone_group_subspace_count(const symclone_group *group, int kernel,
                                              int *count) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (!count) return sym_fail(&group->err, SYMCLONE_ERR_NULL, "count is NULL");
  sym_subspaces ss;
  symclone_status st = listing(group, kernel, &ss);
  if (st) return st;
  *count = ss.count;
  sym_subspaces_free(&ss);
  return SYMCLONE_OK;
}

symclone_status symclone_group_subspace_info(const symclone_group *group, int kernel, int index,
                                             int *dim, int *orbit, char *name, size_t name_len) {
  if (!group) return SYMCLONE_ERR_NULL;
  sym_subspaces ss;
  symclone_status st = listing(group, kernel, &ss);
  if (st) return st;
  if (!(st = pick(group, &ss, index))) {
    if (dim) *dim = ss.dim[index];
    if (orbit) *orbit = ss.orbit[index];
    if (name && name_len) sym_subspace_name(&ss, index, name, name_len);
  }
  sym_subspaces_free(&ss);
  return st;
}

symclone_status symclone_group_subspace_basis(const symclone_group *group, int kernel, int index,
                                              double *basis, size_t count) {
  if (!group) return SYMCLONE_ERR_NULL;
  if (!basis) return sym_fail(&group->err, SYMCLONE_ERR_NULL, "basis is NULL");
  sym_subspaces ss;
  symclone_status st = listing(group, kernel, &ss);
  if (st) return st;
  if (!(st = pick(group, &ss, index))) {
    size_t need = (size_t)ss.dim[index] * (size_t)ss.pc;
    if (count != need)
      st = sym_fail(&group->err, SYMCLONE_ERR_SIZE,
                          "count=%zu but subspace %d needs dim*k*k = %d*%d = %zu doubles", count,
                          index, ss.dim[index], ss.pc, need);
    else
      memcpy(basis, ss.basis + (size_t)ss.first[index] * ss.pc, need * sizeof *basis);
  }
  sym_subspaces_free(&ss);
  return st;
}
