/* Private: rotations and reflections of planes and filters, shared by the
 * group actions and the lifting/group convolutions so that both use one
 * convention. */
#ifndef SYMCLONE_ROTATE_H
#define SYMCLONE_ROTATE_H

/* If rotation r of Cn is a multiple of a quarter turn, the number of quarter
 * turns in [0, 4); otherwise -1. */
int sym_rot_quarter(int r, int n);

/* out = R_r in for one height x width plane (no overlap).  Quarter turns are
 * exact permutations (odd ones need height == width: the caller checks);
 * other angles use bilinear interpolation with zeros outside. */
void sym_rotate_plane(const float *in, float *out, int height, int width, int r, int n);

/* Like sym_rotate_plane but ADDS the transpose of the rotation applied to
 * in into out (out += R_r^T in): the adjoint, for gradients. */
void sym_rotate_plane_adjoint_add(const float *in, float *out, int height, int width, int r,
                                  int n);

/* out = R_r M^m in for one height x width plane (no overlap): mirror the
 * plane about its vertical axis if m is 1, (M f)[y][x] = f[y][width-1-x],
 * then rotate by R_r as sym_rotate_plane does.  With m = 0 it is
 * sym_rotate_plane. */
void sym_dihedral_plane(const float *in, float *out, int height, int width, int m, int r, int n);

/* Like sym_dihedral_plane but ADDS the transpose of R_r M^m applied to in
 * into out (out += (R_r M^m)^T in): the adjoint, for gradients.  With
 * m = 0 it is sym_rotate_plane_adjoint_add. */
void sym_dihedral_plane_adjoint_add(const float *in, float *out, int height, int width, int m,
                                    int r, int n);

/* The source pixel of pixel p = y * width + x under R_r M^m when r is a
 * multiple of a quarter turn (odd ones need height == width): out[p] =
 * in[source] for sym_dihedral_plane.  -1 for an interpolated angle. */
int sym_dihedral_source(int height, int width, int m, int r, int n, int p);

/* The group law of Dn on elements g = m * n + r (group.h): a * b and a^-1,
 * for elements in [0, 2n). */
int sym_dihedral_compose(int a, int b, int n);
int sym_dihedral_inverse(int a, int n);

#endif
