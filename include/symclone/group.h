/** @file
 * libsymclone: symmetry groups and how they act on feature maps.
 *
 * Fields are float32 arrays in C order.  A planar field has shape
 * [C][H][W]; a group field (regular representation of a group G of order
 * |G|: n for Cn, 2n for Dn) has shape [C][|G|][H][W], the second axis being
 * the orientation s, itself an element of G.
 *
 * Groups:
 *  - T2 on an H x W torus: element g encodes the shift (dy, dx) as
 *    g = dy * W + dx with 0 <= dy < H, 0 <= dx < W;
 *    (g f)[c][y][x] = f[c][(y - dy) mod H][(x - dx) mod W].  On a group field
 *    every orientation is shifted alike.  Composition adds shifts mod (H, W).
 *  - Cn, cyclic rotations: element r in [0, n) is the rotation by 2*pi*r/n
 *    counter-clockwise as the field is displayed (row 0 at the top), about
 *    the grid centre ((H-1)/2, (W-1)/2).  For quarter turns on a square grid
 *    this is an exact pixel permutation: (R f)[y][x] = f[x][W-1-y] (numpy's
 *    rot90).  Every rotation by a multiple of 90 degrees is computed exactly
 *    (so C1, C2, C4 and the quarter-turn elements of C8 are permutations);
 *    other angles use bilinear interpolation with zeros outside the grid and
 *    are only approximately equivariant (values outside the inscribed disc
 *    are not to be trusted; see docs/conventions.md for measured errors).
 *    On a group field r also cycles the orientations:
 *    (r f)[c][s] = R_r f[c][(s - r) mod n].
 *  - Dn, dihedral groups (n rotations and n reflections; D1 is a single
 *    mirror): element g = m * n + r, m in {0, 1}, r in [0, n), is
 *    R_r M^m, "mirror m times, then rotate by r steps", with R_r the
 *    rotation r of Cn and M the mirror about the vertical axis through the
 *    grid centre, (M f)[y][x] = f[y][W-1-x] (numpy's fliplr).  So elements
 *    0 .. n-1 are the rotations of Cn (acting bit for bit as Cn's) and
 *    n .. 2n-1 the reflections, element n being M itself.  Since
 *    M R_r M = R_-r, (m1, r1) * (m2, r2) = (m1 xor m2, r1 + (-1)^m1 r2 mod n);
 *    a reflection is its own inverse.  M is an exact permutation of any
 *    H x W field; the rotations are exact or interpolated as for Cn, so D1,
 *    D2 and D4 act by permutations.  On a group field of 2n orientations,
 *    in the same order as the elements (the n rotated ones, then the n
 *    mirrored ones):  (g f)[c][s] = R_r M^m f[c][g^-1 * s].
 *
 * Composition is g*h ("apply h, then g"); act(g*h) = act(g) o act(h).
 *
 * Thread safety: a group is immutable after creation and may be shared by
 * any number of threads.  The last-error message is per handle; when several
 * threads make failing calls on one handle at once, it holds one of them.
 */
#ifndef SYMCLONE_GROUP_H
#define SYMCLONE_GROUP_H

#include <symclone/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A symmetry group (opaque handle). */
typedef struct symclone_group symclone_group;

/** Kinds of group. */
typedef enum symclone_group_kind {
  SYMCLONE_GROUP_T2 = 1,      /**< translations of an H x W torus */
  SYMCLONE_GROUP_CYCLIC = 2,  /**< rotations Cn */
  SYMCLONE_GROUP_DIHEDRAL = 3 /**< rotations and reflections Dn */
} symclone_group_kind;

/** Create the translation group of an height x width torus.
 * Returns SYMCLONE_ERR_NULL if out is NULL, SYMCLONE_ERR_SIZE if a size is
 * < 1, SYMCLONE_ERR_OVERFLOW if height*width does not fit an int,
 * SYMCLONE_ERR_NOMEM.  *out is written only on success; free with
 * symclone_group_free(). */
SYMCLONE_API symclone_status symclone_group_create_t2(symclone_group **out, int height, int width);

/** Create the cyclic rotation group Cn, n >= 1 (n = 4 is C4).
 * Returns SYMCLONE_ERR_GROUP for n < 1 (n > 360 is refused too). */
SYMCLONE_API symclone_status symclone_group_create_cyclic(symclone_group **out, int n);

/** Create the dihedral group Dn of order 2n, n >= 1 (n = 4 is the square's
 * symmetry group, the point group of p4m; n = 1 is a single mirror).
 * Returns SYMCLONE_ERR_NULL if out is NULL, SYMCLONE_ERR_GROUP for n < 1
 * or n > 360 (as Cn), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_group_create_dihedral(symclone_group **out, int n);

/** Free a group; NULL is accepted. */
SYMCLONE_API void symclone_group_free(symclone_group *group);

/** Kind of the group, or 0 for NULL. */
SYMCLONE_API symclone_group_kind symclone_group_kind_of(const symclone_group *group);

/** Number of elements (H*W for T2, n for Cn, 2n for Dn), or 0 for NULL. */
SYMCLONE_API int symclone_group_order(const symclone_group *group);

/** The identity element (always 0). */
SYMCLONE_API int symclone_group_identity(const symclone_group *group);

/** 1 if every element acts as an exact permutation of pixels (T2, C1, C2,
 * C4, D1, D2, D4), 0 if some elements interpolate, -1 for NULL. */
SYMCLONE_API int symclone_group_is_exact(const symclone_group *group);

/** *out = a * b (apply b first).  SYMCLONE_ERR_GROUP if a or b is not an
 * element. */
SYMCLONE_API symclone_status symclone_group_compose(const symclone_group *group, int a, int b,
                                                    int *out);

/** *out = a^-1. */
SYMCLONE_API symclone_status symclone_group_inverse(const symclone_group *group, int a, int *out);

/** For T2: the element of the shift (dy, dx); any integers, taken modulo
 * (H, W).  SYMCLONE_ERR_UNSUPPORTED on a cyclic or dihedral group. */
SYMCLONE_API symclone_status symclone_group_t2_element(const symclone_group *group, int dy, int dx,
                                                       int *out);

/** For T2: the shift (dy, dx) of element g, 0 <= dy < H, 0 <= dx < W
 * (either pointer may be NULL).  SYMCLONE_ERR_UNSUPPORTED on a cyclic or
 * dihedral group. */
SYMCLONE_API symclone_status symclone_group_t2_shift(const symclone_group *group, int g, int *dy,
                                                     int *dx);

/** Apply element g to a planar field in[channels][height][width], writing
 * out (same shape; in and out must not overlap).
 * T2 requires (height, width) to be the torus' size (SYMCLONE_ERR_SHAPE
 * otherwise).  Cn and Dn accept any size for angles that are multiples of
 * 180 degrees (the mirror included) and require height == width for
 * quarter turns; interpolated rotations accept any size. */
SYMCLONE_API symclone_status symclone_group_act_planar(const symclone_group *group, int g,
                                                       int channels, int height, int width,
                                                       const float *in, float *out);

/** Apply element g to a group field in[channels][orientations][height][width].
 * For Cn, orientations must equal n, for Dn 2n (SYMCLONE_ERR_GROUP
 * otherwise); for T2 any orientations >= 1 is accepted and each is shifted
 * alike. */
SYMCLONE_API symclone_status symclone_group_act_group(const symclone_group *group, int g,
                                                      int channels, int orientations, int height,
                                                      int width, const float *in, float *out);

/** Number of invariant subspaces of the kernel x kernel filter space
 * (kernel odd, 1 <= kernel <= 31) under the group, whose filter action is
 * the tap permutation of the filter transforms (rotations, and mirrors for
 * Dn; student.h).  Only the groups acting by exact permutations have the
 * listing: C1, C2, C4, D1, D2, D4 (SYMCLONE_ERR_UNSUPPORTED for T2 and the
 * other n; SYMCLONE_ERR_KERNEL for a bad kernel).
 *
 * The taps split into orbits (the centre; for C4 and 3x3 the four edge
 * taps and the four corners); the permutation representation of each
 * orbit splits into its real isotypic parts: for C4 an orbit of 4 taps
 * into the trivial, the sign (chi(r) = (-1)^r) and the 2-dimensional
 * rotation part; for D4 an orbit of 4 taps into A1 (trivial), B1 or B2 and
 * E, an orbit of 8 into A1, A2, B1, B2 and E (twice, one 4-dimensional
 * part).  The irreducible representations: Cn trivial, sign (n >= 2),
 * rotation (n = 4); D1 trivial, mirror-odd; D2 and D4 (g = m*n + r) A1
 * trivial, A2 = (-1)^m, B1 = (-1)^r, B2 = (-1)^(r+m), and for D4 E
 * (character 2, 0, -2, 0 on the rotations, 0 on the reflections).  The
 * subspaces are listed orbit after orbit (the centre first, then by
 * distance from it, then by the first tap in row-major order), each orbit's
 * parts in that order; they are mutually orthogonal, each is invariant
 * under every filter transform of the group, and their dimensions add up
 * to kernel*kernel.  A sum of them is what a restricted student keeps
 * (symclone_student_restrict). */
SYMCLONE_API symclone_status symclone_group_subspace_count(const symclone_group *group,
                                                           int kernel, int *count);

/** Describe invariant subspace `index` (0 <= index < count of
 * symclone_group_subspace_count): its dimension, the number of its orbit
 * (0 is the centre) and a name such as "orbit 2 (corner, 4 taps), trivial"
 * (the position of the orbit's first tap: centre, edge or corner of the
 * filter, axis, diagonal or off-axis inside it), written to name as a
 * NUL-terminated string of at most name_len bytes (truncated if longer;
 * 96 bytes always suffice).  dim, orbit and name may be NULL.
 * SYMCLONE_ERR_ARG for an index out of range; other errors as for the
 * count. */
SYMCLONE_API symclone_status symclone_group_subspace_info(const symclone_group *group, int kernel,
                                                          int index, int *dim, int *orbit,
                                                          char *name, size_t name_len);

/** An orthonormal basis of invariant subspace `index`: basis[dim][kernel *
 * kernel] (count must be dim * kernel * kernel, SYMCLONE_ERR_SIZE
 * otherwise), one vector a row, taps in row-major order, in double.  The
 * vectors are those of the orbit's isotypic projector applied to the
 * orbit's taps, orthonormalised: their entries are 0 or +-1/sqrt(m) for
 * these groups, and every filter transform acts on the basis of a subspace
 * by a signed permutation. */
SYMCLONE_API symclone_status symclone_group_subspace_basis(const symclone_group *group, int kernel,
                                                           int index, double *basis,
                                                           size_t count);

/** The message of the last failing call on this handle ("" if none). The
 * string belongs to the handle. */
SYMCLONE_API const char *symclone_group_last_error(const symclone_group *group);

#ifdef __cplusplus
}
#endif

#endif
