/** @file
 * libsymclone: dense students that clone a family of teacher operators.
 *
 * A student clones one channel pair of a teacher family: a planar
 * convolution (conv2d, 1 -> 1 channel), a lifting convolution Z2 -> Cn
 * (1 -> 1 channel, n output orientations), a group convolution Cn -> Cn
 * (1 -> 1 channel, n orientations in and out), or the dihedral lifting
 * Z2 -> Dn and group convolution Dn -> Dn (G = 2n orientations in place of
 * n: the n rotations, then the n reflections; group.h).  Its input is one
 * field of the teacher's input shape, its output one field of the
 * teacher's output shape, and it takes the teacher's parameters theta as
 * an argument:
 *
 *   G  = orientations of a group field: n for Cn, 2n for Dn
 *   P  = teacher parameters (k*k planar and lifting, G*k*k group conv)
 *   Pc = k*k, the size of a planar kernel
 *   core:     S(x; phi) = sum_b (A phi)_b W_b x        W_b: out_hw x in_hw
 *   planar:   y = S(x; theta)
 *   lifting:  y_r = S(x; T_r theta)                     T_r: Pc x Pc, r < G
 *   group:    y_r = sum_s S(x_s; T_{r,s} theta)         T_{r,s}: Pc x P, r, s < G
 *
 * with B dense blocks W_b (B = Pc admits the exact solution: W_b the 0/1
 * shift matrices of kernel tap b, A = I and the T's the filter transforms:
 * rotations R_r for Cn, R_r M^m for element g = m*n + r of Dn, and for
 * group students the selection of the parameter slice (s - r) mod n in Cn,
 * g^-1 * s in Dn),
 * a coefficient map A (B x Pc) and, for lifting and group students, the
 * learned parameter transforms.  Every transform is learned: only the
 * products A T_t are determined by the teacher, so a converged lifting
 * student has T_r = T_0 R_r (R_r the rotation permutation of the filter)
 * whenever A T_0 is invertible.  (Pinning T_0 to the identity instead was
 * measured to leave the optimisation on long plateaus.)
 *
 * Learnable parameters are one flat float array owned by the student, in
 * the order blocks W[B][out_hw][in_hw], coefficients A[B][Pc], transforms
 * T[t][Pc][P] (t = r for lifting, t = r*G + s for group students; planar
 * students have none), where out_hw = Ho*Wo and in_hw = H*W.
 * Initialisation: blocks zero, A ~ N(0, 1/Pc), transforms ~ N(0, 1/P).
 *
 * Thread safety: a student may be read (forward, effective matrix) from
 * several threads at once; any call that changes it (training, set, load
 * into) needs exclusive access.
 */
#ifndef SYMCLONE_STUDENT_H
#define SYMCLONE_STUDENT_H

#include <stdint.h>

#include <symclone/common.h>
#include <symclone/group.h>
#include <symclone/layer.h>
#include <symclone/loader.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A student (opaque handle). */
typedef struct symclone_student symclone_student;

/** Kinds of student: the teacher family each clones. */
typedef enum symclone_student_kind {
  SYMCLONE_STUDENT_PLANAR = 1,  /**< clones conv2d */
  SYMCLONE_STUDENT_LIFTING = 2, /**< clones the lifting convolution Z2 -> Cn */
  SYMCLONE_STUDENT_GROUP = 3,   /**< clones the group convolution Cn -> Cn */
  SYMCLONE_STUDENT_DIHEDRAL_LIFTING = 4, /**< clones the lifting convolution Z2 -> Dn */
  SYMCLONE_STUDENT_DIHEDRAL_GROUP = 5    /**< clones the group convolution Dn -> Dn */
} symclone_student_kind;

/** Parts of the flat parameter array. */
typedef enum symclone_student_part {
  SYMCLONE_STUDENT_PART_ALL = 0, /**< all parameters: blocks, coefficients, transforms */
  SYMCLONE_STUDENT_PART_BLOCKS = 1, /**< the dense blocks W */
  SYMCLONE_STUDENT_PART_COEFFS = 2, /**< the coefficient map A */
  SYMCLONE_STUDENT_PART_TRANSFORMS = 3 /**< the parameter transforms T */
} symclone_student_part;

/** Create a student for the teacher family of the given geometry (kernel k
 * odd, input height x width, padding as for the teacher layer; orientations
 * is Cn's n for LIFTING and GROUP, Dn's n (the rotations: 2n orientations)
 * for the DIHEDRAL kinds, and is ignored (taken as 1) for PLANAR) with
 * `blocks` dense blocks
 * (1 <= blocks; blocks = k*k admits the exact solution).  The parameters are
 * initialised from `seed` as documented above.  *out is written only on
 * success.  Errors as for the teacher layers, plus SYMCLONE_ERR_SIZE for
 * blocks < 1 and SYMCLONE_ERR_ARG for an unknown kind. */
SYMCLONE_API symclone_status symclone_student_create(symclone_student **out,
                                                     symclone_student_kind kind, int orientations,
                                                     int kernel, int height, int width,
                                                     symclone_padding padding, int blocks,
                                                     uint64_t seed);

/** A deep copy. */
SYMCLONE_API symclone_status symclone_student_clone(const symclone_student *student,
                                                    symclone_student **out);

/** Free a student; NULL is accepted. */
SYMCLONE_API void symclone_student_free(symclone_student *student);

/** Geometry. */
/**@{*/
SYMCLONE_API symclone_student_kind symclone_student_kind_of(const symclone_student *student);
SYMCLONE_API int symclone_student_blocks(const symclone_student *student);
SYMCLONE_API int symclone_student_kernel(const symclone_student *student);
/**@}*/
/** The orientations argument of create: n of Cn or Dn (1 for planar); the
 * fields of a dihedral student have 2n orientations (the shapes below). */
SYMCLONE_API int symclone_student_orientations(const symclone_student *student);
/** SYMCLONE_PADDING_NONE for NULL. */
SYMCLONE_API symclone_padding symclone_student_padding(const symclone_student *student);
/** {channels = 1, orientations, height, width} of one input / output field. */
/**@{*/
SYMCLONE_API symclone_status symclone_student_input_shape(const symclone_student *student,
                                                          int shape[4]);
SYMCLONE_API symclone_status symclone_student_output_shape(const symclone_student *student,
                                                           int shape[4]);
SYMCLONE_API size_t symclone_student_input_size(const symclone_student *student);
SYMCLONE_API size_t symclone_student_output_size(const symclone_student *student);
/**@}*/
/** P, the number of teacher parameters theta. */
SYMCLONE_API size_t symclone_student_theta_size(const symclone_student *student);

/** Number of floats in a part of the parameters (SYMCLONE_STUDENT_PART_ALL: all). */
SYMCLONE_API size_t symclone_student_param_count(const symclone_student *student,
                                                 symclone_student_part part);

/** The flat parameter array (layout above), owned by the student and valid
 * until it is freed.  Writing through it changes the student. */
SYMCLONE_API float *symclone_student_params(symclone_student *student);

/** Copy a part of the parameters out / in (count must equal the part's
 * size, symclone_student_param_count); the network's counterparts are
 * symclone_net_get_params and symclone_net_set_params. */
/**@{*/
SYMCLONE_API symclone_status symclone_student_get_params(const symclone_student *student,
                                                         symclone_student_part part, float *dst,
                                                         size_t count);
SYMCLONE_API symclone_status symclone_student_set_params(symclone_student *student,
                                                         symclone_student_part part,
                                                         const float *src, size_t count);
/**@}*/

/** Set the exact solution: blocks = shift matrices, A = identity,
 * transforms = filter rotations (and reflections for Dn).  Needs blocks == k*k
 * (SYMCLONE_ERR_STATE otherwise). */
SYMCLONE_API symclone_status symclone_student_init_exact(symclone_student *student);

/** Re-initialise from a seed as at creation. */
SYMCLONE_API symclone_status symclone_student_init_random(symclone_student *student,
                                                          uint64_t seed);

/** A new teacher layer (1 -> 1 channel, no bias) of the student's family;
 * its parameters are theta.  Free with symclone_layer_free(). */
SYMCLONE_API symclone_status symclone_student_teacher(const symclone_student *student,
                                                      symclone_layer **teacher);

/** y = S(x; theta) for a batch of inputs x[batch][input_size] and one theta
 * (theta_size floats); y[batch][output_size]. */
SYMCLONE_API symclone_status symclone_student_forward(const symclone_student *student,
                                                      const float *theta, size_t batch,
                                                      const float *x, float *y);

/** Backward of symclone_student_forward: given dy = dL/dy, ADDS dL/dparams
 * into dparams (param_count(ALL) floats, may be NULL) and dL/dtheta into
 * dtheta (may be NULL), and writes dL/dx into dx (may be NULL). */
SYMCLONE_API symclone_status symclone_student_backward(const symclone_student *student,
                                                       const float *theta, size_t batch,
                                                       const float *x, const float *dy, float *dx,
                                                       float *dparams, float *dtheta);

/** The effective matrix M(theta)[output_size][input_size], row-major: the
 * dense operator the student applies for this theta. */
SYMCLONE_API symclone_status symclone_student_effective_matrix(const symclone_student *student,
                                                               const float *theta, float *matrix);

/** Relative Toeplitz distance ||M(theta) - K(theta)||_F / ||K(theta)||_F
 * between the student's effective matrix and the teacher's unrolled matrix,
 * averaged over `draws` theta ~ N(0, I) drawn from seed.  per_orientation,
 * if not NULL, receives one average per output orientation (n values for
 * Cn, 2n for Dn; 1 for planar students), computed on that orientation's rows. */
SYMCLONE_API symclone_status symclone_student_toeplitz_distance(const symclone_student *student,
                                                                int draws, uint64_t seed,
                                                                double *mean,
                                                                double *per_orientation);

/** The exact relative loss of the student against its teacher family,
 *     E ||S(x; theta) - K(x; theta)||^2 / E ||K(x; theta)||^2
 * over independent theta ~ N(0, I) and x ~ N(0, I) (K the teacher).  Both
 * sides are linear in theta and in x, so it equals
 *     sum_p ||M(e_p) - K(e_p)||_F^2 / sum_p ||K(e_p)||_F^2
 * over the P unit kernels e_p (M the effective matrix, K the unrolled
 * teacher), which is how it is computed, in double: no sampling.  0 for the
 * exact solution, 1 for a student whose blocks are all zero.  It costs P
 * effective matrices and unrollings and two output_size x input_size
 * scratch matrices.  Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_student_relative_loss(const symclone_student *student,
                                                            double *rel_loss);

/** The smallest relative loss (as symclone_student_relative_loss
 * measures it) that any student of this kind, geometry and number of
 * blocks B can reach: the best rank-B approximation of the teacher family.
 * Every sub-operator of the teacher (output orientation r, input
 * orientation s, theta = e_p) is a planar convolution with a kernel
 * kappa_pt, and every sub-operator of the student lies in the span of its
 * B blocks, so the best blocks span the top-B principal subspace of those
 * convolutions: *loss is the sum of the Pc - B smallest eigenvalues of
 * C^1/2 G C^1/2 over its trace, with G the Pc x Pc Gram matrix of the
 * unrolled planar unit kernels and C = sum_pt kappa_pt kappa_pt^T.  For a
 * planar student C = I: the P - B smallest eigenvalues of the P x P Gram
 * matrix of the unrolled unit kernels over its trace; for the lifting,
 * group and dihedral kinds with exact filter transforms C is a multiple of
 * the identity and the figure is the planar one.  0 for B >= k*k.  The
 * student's parameters and restriction do not enter.  Computed in double
 * with a Jacobi eigensolver, O(k^6) (k*k <= 1024, SYMCLONE_ERR_KERNEL
 * otherwise), plus k*k planar unrollings.  Returns SYMCLONE_ERR_NULL,
 * SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_student_best_loss(const symclone_student *student,
                                                        double *loss);

/** Restrict the blocks to the sum V of invariant filter subspaces
 * given by the count indices in subspaces (indices of symclone_group_subspace_count's
 * listing for the student's kernel and `group`), so that the student stays
 * equivariant.  With U the orthonormal basis of V (Pc x B, the subspaces'
 * bases in the order given) the coefficients are frozen at A = U^T and the
 * transforms at the exact ones (the filter rotations, and mirrors for Dn),
 * and the blocks are kept equivariant: after every update the trainer
 * replaces them by their average over the group,
 *   W_c <- 1/|G| sum_g Rot_g^-1 (sum_b <rho(g) u_c, u_b> W_b) Rot_g
 * (rho the filter transform, Rot the action on the input and output
 * planes), and restores A and T.  The student is then exactly equivariant
 * for every theta whatever the blocks, and its best blocks make it the
 * teacher composed with the orthogonal projection onto V,
 * S(.; theta) = K(.; P_V theta) (P_V commutes with the filter transforms):
 * for a 3x3 C4 lifting clone with 7 blocks the relative loss is 2/9, as
 * for the best unrestricted student, and the clone is equivariant.
 * The call applies the restriction at once (frozen values set, blocks
 * projected); a later symclone_student_init_random or _init_exact keeps
 * it; writing the parameters directly does not, until the next update or
 * call.  Saved and loaded with the student.
 *
 * The group must be the student's: Cn (same n) for LIFTING and GROUP, Dn
 * (same n) for the DIHEDRAL kinds, any of them for PLANAR (the student's
 * family then satisfies S(.; rho(g) theta) = Rot_g S(.; theta) Rot_g^-1).
 * Errors: SYMCLONE_ERR_NULL; SYMCLONE_ERR_GROUP for a T2 group or a group
 * that is not the student's; SYMCLONE_ERR_UNSUPPORTED for a group that
 * does not act by permutations (n not 1, 2 or 4); SYMCLONE_ERR_SHAPE for
 * quarter turns on a non-square input; SYMCLONE_ERR_KERNEL for kernel >
 * 31; SYMCLONE_ERR_ARG for an index out of range or given twice;
 * SYMCLONE_ERR_SIZE for count < 1 or dimensions that do not add up to the
 * student's blocks; SYMCLONE_ERR_NOMEM (the student is then
 * unrestricted).  On any other error the student is unchanged. */
SYMCLONE_API symclone_status symclone_student_restrict(symclone_student *student,
                                                       const symclone_group *group,
                                                       const int *subspaces, int count);

/** The student's restriction: *count subspace indices (0 if it has none),
 * the group kind and n they belong to (kind, n may be NULL; 0 when
 * unrestricted), and the indices into subspaces (capacity entries; may be
 * NULL to ask for the count; SYMCLONE_ERR_SIZE if too small). */
SYMCLONE_API symclone_status symclone_student_restriction(const symclone_student *student,
                                                          symclone_group_kind *kind, int *n,
                                                          int *subspaces, int capacity,
                                                          int *count);

/** Save to a file (format in docs/file-format.md: magic, version, geometry,
 * little-endian floats, CRC-32).  The file is replaced in one step and
 * only when complete (docs/file-format.md, "Writing"): a symbolic
 * link is written through to the file it names; a path naming a
 * directory, a device or a FIFO is refused (SYMCLONE_ERR_PATH), so is a
 * file the caller may not write (SYMCLONE_ERR_IO, EACCES); the replaced
 * file's permission bits are kept; a failure never leaves a partial file.
 * A student with a NaN or infinite parameter, which symclone_student_load
 * would refuse, is not saved (SYMCLONE_ERR_DATA, the message names the
 * parameter) and path is left as it was. */
SYMCLONE_API symclone_status symclone_student_save(const symclone_student *student,
                                                   const char *path);

/** Load a student saved by symclone_student_save().  loader (may be NULL:
 * the defaults, status only) gives the memory budget and keeps the message
 * of a failure (<symclone/loader.h>).  Refused: a path that is not a
 * regular file (SYMCLONE_ERR_PATH), a file larger than half the budget
 * (SYMCLONE_ERR_BUDGET: loading takes about twice its length), a
 * truncated, corrupt or foreign file (SYMCLONE_ERR_TRUNCATED, _CORRUPT,
 * _FORMAT, _VERSION), a non-zero reserved field, a NaN or infinite
 * parameter or an impossible geometry (SYMCLONE_ERR_CORRUPT, the message
 * names the field), SYMCLONE_ERR_IO.  *out is written only on success. */
SYMCLONE_API symclone_status symclone_student_load(symclone_student **out, const char *path,
                                                   symclone_loader *loader);

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_student_last_error(const symclone_student *student);

#ifdef __cplusplus
}
#endif

#endif
