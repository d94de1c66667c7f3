/* Private: the invariant subspaces of the k x k filter space under Cn and
 * Dn (n in {1, 2, 4}, where the filter actions are tap permutations), used
 * by the public listing (subspace.c) and the restricted students
 * (lib/student).
 *
 * The taps split into orbits; each orbit's permutation representation
 * splits into its real isotypic parts, P_chi = c sum_g chi(g) rho(g) with
 * rho(g) e_q = e_{g.q} (the filter transform of group.h) and c = d/|G|
 * (d the dimension of the irreducible complex constituent: 1, or 2 for
 * Dn's E).  Subspaces are listed orbit after orbit (the centre first, then
 * by distance from it, then by the first tap in row-major order), and in
 * each orbit in the order of the group's irreducible representations.
 * Each basis is orthonormal (Gram-Schmidt of the vectors P_chi e_q, q in
 * the orbit), in double. */
#ifndef SYMCLONE_SUBSPACE_H
#define SYMCLONE_SUBSPACE_H

#include "../common/internal.h"
#include <symclone/group.h>

typedef struct sym_subspaces {
  int k, pc, order, count;
  int dihedral, n;
  int *dim, *first, *orbit, *orbit_size, *irrep, *rep; /* per subspace (rep: first tap) */
  int norbits;
  double *basis; /* [pc][pc]: row first[i] + j is vector j of subspace i */
  int *act;      /* [order][pc]: the tap where element g takes tap q */
} sym_subspaces;

/* Whether (kind, n) is a group whose filter actions are permutations
 * (cyclic or dihedral, n in {1, 2, 4}). */
int sym_subspace_group_ok(symclone_group_kind kind, int n);

/* The decomposition for a k x k filter (k odd, k*k <= 1024).  Returns
 * SYMCLONE_ERR_UNSUPPORTED for another group, SYMCLONE_ERR_KERNEL for a bad
 * k, SYMCLONE_ERR_NOMEM.  Free with sym_subspaces_free. */
symclone_status sym_subspaces_make(symclone_group_kind kind, int n, int k, sym_subspaces *out);
void sym_subspaces_free(sym_subspaces *ss);

/* "orbit 2 (corner, 4 taps), trivial" into buf (len bytes). */
void sym_subspace_name(const sym_subspaces *ss, int i, char *buf, size_t len);

/* The character of irreducible representation `irrep` of the group at
 * element g, its real dimension, and the number of irreps. */
int sym_irrep_count(int dihedral, int n);
int sym_irrep_character(int dihedral, int n, int irrep, int g);
int sym_irrep_dim(int dihedral, int n, int irrep);

/* act[p]: where the plane action of element g (group.h's encoding) takes
 * pixel p of an h x w plane (a permutation for the groups above; quarter
 * turns need h == w). */
void sym_plane_permutation(int dihedral, int n, int g, int h, int w, int *act);

#endif
