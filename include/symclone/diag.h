/* libsymclone: diagnostics - how equivariant is an operator, and how far is
 * a dense matrix from the equivariant ones.
 *
 * Fields and group actions follow group.h: a field shape is given as
 * {channels, orientations, height, width}, orientations = 1 for a planar
 * field.  The action of a group on a field of a given shape is:
 *  - T2 on an H x W torus: the shift of every orientation alike.  The input
 *    field must be H x W.  An output field of another size Ho x Wo (valid
 *    convolutions) is acted on by the translation group of the Ho x Wo torus
 *    with the same shift written signed: element g = (dy, dx) of the input
 *    torus is taken as sy = dy if dy <= H/2, else dy - H (so sy lies in
 *    (-H/2, H/2], likewise sx), and the output is shifted by (sy mod Ho,
 *    sx mod Wo).  When Ho = H and Wo = W this is the same element.  The
 *    representative nearest zero on the input torus is the one for which
 *    SYMCLONE_MASK_SHIFT_INTERIOR below keeps the most pixels.
 *  - Cn: the group-field action (rotation and orientation cycling) when the
 *    field has n = order orientations, the planar action when it has 1;
 *    other orientation counts are refused (SYMCLONE_ERR_GROUP).  Quarter
 *    turns (n divisible by 4) need square fields (SYMCLONE_ERR_SHAPE).
 *
 * Errors.  Every function returns a symclone_status.  Those that take a
 * group, field shapes or a layer end with an optional caller buffer
 * `errbuf` of `errlen` bytes (NULL or 0 for none) that receives a message
 * naming the faulty argument or shape on failure (the empty string on
 * success); where the fault was reported by the group, the layer or the
 * operator, their message is copied there.  Arguments are checked before
 * any group or layer is called, so the diagnostics leave the handles'
 * last-error messages alone (a layer whose forward pass fails records its
 * own).  symclone_diag_relative_distance takes no buffer: each of its faults has
 * its own status.  Output arguments are written only on success.
 *
 * Thread safety: the functions keep no state; they may be called from any
 * number of threads at once, on shared groups and layers, provided the
 * operator callback is itself safe to call that way.
 */
#ifndef SYMCLONE_DIAG_H
#define SYMCLONE_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include <symclone/common.h>
#include <symclone/group.h>
#include <symclone/layer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Any operator on flattened fields: y[batch][out_size] = f(x[batch][in_size])
 * where in_size and out_size are the products of the shapes the operator is
 * described with.  `user` is passed through unchanged.  Return SYMCLONE_OK,
 * or an error status, which the diagnostic then returns. */
typedef symclone_status (*symclone_operator_fn)(void *user, size_t batch, const float *x,
                                                float *y);

/* Which output pixels an equivariance error compares. */
typedef enum symclone_mask {
  /* Every output pixel.  Exact for circular convolutions under T2 and for
   * every padding under exact rotations (C2, C4) on square grids. */
  SYMCLONE_MASK_NONE = 0,
  /* T2 only: the pixels whose value does not depend on what a shift wraps
   * around.  With the signed shift (sy, sx) (see above), compare output rows
   *     y in [margin + max(sy, 0), Ho - margin + min(sy, 0))
   * and columns x likewise with sx and Wo (margin >= 0).  Why: a valid
   * cross-correlation reads inputs y .. y+k-1 for output y, Ho = H - k + 1.
   * f(g x)[y] reads x[(y + a - sy) mod H] for a in [0, k), and (g f(x))[y]
   * = f(x)[(y - sy) mod Ho] reads x[((y - sy) mod Ho) + a].  When
   * 0 <= y - sy < Ho neither index wraps (y - sy + a <= Ho - 1 + k - 1 = H - 1)
   * and both are x[y - sy + a]: the rule with margin 0 is exact for valid
   * convolutions.  With zero padding (Ho = H, reads y - k/2 .. y + k/2), both
   * sides also agree when every read stays inside the grid, y and y - sy in
   * [k/2, H - k/2): margin = k/2 is exact.  A shift with |sy| >= Ho - 2*margin
   * leaves no row: that (element, input) pair is skipped. */
  SYMCLONE_MASK_SHIFT_INTERIOR = 1,
  /* The pixels inside the disc inscribed in the output: distance from the
   * centre ((Ho-1)/2, (Wo-1)/2) at most (min(Ho, Wo) - 1)/2 - margin.  For
   * interpolated rotations, whose values outside that disc come from outside
   * the grid (group.h). */
  SYMCLONE_MASK_DISC = 2
} symclone_mask;

/* Equivariance error of an operator f between fields of shapes in_shape and
 * out_shape under a group:
 *     E_{g,x} ||f(g x) - g f(x)|| / ||g f(x)||
 * with both L2 norms taken over the compared pixels of the mask (all
 * channels and orientations); ||g f(x)|| there is the norm of f(x) over the
 * pixels that the action moves into the compared set (equal to ||f(x)||
 * without a mask and for exact actions).  Computed in double.
 *
 * group: acts on the input fields as described at the top; the output is
 *   acted on by the same kind of group for out_shape.
 * op, user: the operator, called with batches of 1 to
 *   max(1, 4194304 / (in_size + out_size)) samples (about 16 MB of fields
 *   per call at most).
 * mask, margin: which output pixels are compared (margin >= 0; ignored for
 *   SYMCLONE_MASK_NONE).
 * inputs: n_inputs caller samples x[n_inputs][in_size], of which the first
 *   `samples` are used (n_inputs >= samples); NULL draws `samples` standard
 *   normal fields from seed (n_inputs is then ignored).
 * samples: number of inputs x, >= 1.
 * max_elements: 0 evaluates every element but the identity; k > 0 a sample
 *   of min(k, order - 1) distinct non-identity elements drawn from seed.
 *   The identity is never evaluated (its error is 0 by definition), so the
 *   mean is over the non-identity elements and a group of order 1 gives 0.
 * seed: elements are drawn first, then the input fields, from one stream;
 *   the same arguments give the same figures.
 * mean_err, max_err: mean and maximum of the per-(g, x) relative errors.
 *   A pair whose compared pixels of g f(x) are all zero (or empty, see
 *   SYMCLONE_MASK_SHIFT_INTERIOR) is skipped; if every pair is skipped the
 *   call fails with SYMCLONE_ERR_DATA.
 *
 * Returns SYMCLONE_ERR_NULL (group, op, a shape or an output pointer NULL),
 * SYMCLONE_ERR_SIZE (a shape entry < 1, samples < 1, n_inputs < samples,
 * max_elements or margin < 0), SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_SHAPE
 * (an input field not the T2 torus' size, a non-square field for quarter
 * turns), SYMCLONE_ERR_GROUP (orientations neither 1 nor the order of Cn),
 * SYMCLONE_ERR_ARG (unknown mask, SYMCLONE_MASK_SHIFT_INTERIOR with a
 * non-T2 group), SYMCLONE_ERR_DATA (every pair skipped, or an operator
 * output not finite), SYMCLONE_ERR_NOMEM, or the operator's own status. */
SYMCLONE_API symclone_status symclone_equivariance_error(
    const symclone_group *group, symclone_operator_fn op, void *user, const int in_shape[4],
    const int out_shape[4], symclone_mask mask, int margin, const float *inputs, size_t n_inputs,
    int samples, int max_elements, uint64_t seed, double *mean_err, double *max_err, char *errbuf,
    size_t errlen);

/* The same for a layer with the given parameters (NULL for parameter-free
 * layers), using its input and output shapes and choosing the mask:
 *  - T2: CIRCULAR padding -> SYMCLONE_MASK_NONE; VALID ->
 *    SYMCLONE_MASK_SHIFT_INTERIOR, margin 0; ZERO -> SHIFT_INTERIOR,
 *    margin k/2 (all exact for a convolution).
 *  - exact Cn (C1, C2, C4): SYMCLONE_MASK_NONE, exact on square grids for
 *    every padding.
 *  - interpolated Cn: SYMCLONE_MASK_DISC with margin 0: the figure covers
 *    the whole inscribed disc of the output, rim included.  Measured for a
 *    C8 lifting layer (k = 5, zero padding, smooth inputs), a margin of k/2
 *    changes it little: the error comes mostly from the bilinear rotation
 *    of the filters and inputs, not from the rim.  Call
 *    symclone_equivariance_error with a margin for the deeper interior.
 *  - layers without padding (ReLU, pooling): SYMCLONE_MASK_NONE.
 * A dense layer reports {features, 1, 1, 1} and has no field structure:
 * it is refused (SYMCLONE_ERR_UNSUPPORTED); wrap it in an operator and call
 * symclone_equivariance_error with the field shapes it is meant to map.
 * Errors as symclone_equivariance_error, plus SYMCLONE_ERR_NULL for a NULL
 * layer; a failing forward pass returns its status with the layer's
 * message. */
SYMCLONE_API symclone_status symclone_layer_equivariance_error(
    const symclone_group *group, const symclone_layer *layer, const float *params,
    const float *inputs, size_t n_inputs, int samples, int max_elements, uint64_t seed,
    double *mean_err, double *max_err, char *errbuf, size_t errlen);

/* Reynolds projection of a dense matrix W[out_size][in_size] (row-major,
 * y = W x) between fields of shapes in_shape and out_shape:
 *     P = 1/|G| sum_g rho_out(g^-1) W rho_in(g)
 * where rho(g) is the matrix of the action of g (top of this header).
 * For exact groups (T2, C1, C2, C4) rho(g) is a permutation and
 * rho_out(g^-1) = rho_out(g)^-1: P is the orthogonal projection (in the
 * Frobenius inner product) onto the matrices with
 * rho_out(g) W = W rho_in(g) for all g, so P(P(W)) = P(W); it costs
 * O(|G| * out_size * in_size) and needs in_size, out_size <= 2^24.
 * For interpolated rotations (other Cn) rho(g) is the bilinear rotation,
 * built per element by acting on every basis field and applied through its
 * non-zeros (about four per column): O(|G| * (in_size^2 + out_size^2 +
 * 4 * out_size * in_size)) time.  rho_out(g^-1) then stands for the inverse
 * rho_out(g)^-1, which it only approximates (interpolation smooths), so P
 * is an approximate projection, not idempotent; it is still exactly
 * equivariant under the quarter turns of Cn, which commute with every
 * element.
 * T2 with an output torus other than the input torus (valid convolutions):
 * rho_out is the action of the same signed shift on the output torus
 * (top of this header), which is not a representation of the input torus'
 * group; P is then the average of W over the shifts taken circularly on both
 * tori, not idempotent, and the unrolled matrix of a valid (or zero-padded)
 * convolution is not a fixed point.  The meaningful case is equal tori
 * with a circular structure (circular convolutions) or an exact Cn.
 * P may be W itself (in place); otherwise the two must not overlap.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (a shape entry < 1, a field
 * too large for the permutation index maps), SYMCLONE_ERR_OVERFLOW,
 * SYMCLONE_ERR_SHAPE, SYMCLONE_ERR_GROUP (as for the equivariance error),
 * SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_reynolds_project(const symclone_group *group,
                                                       const int in_shape[4],
                                                       const int out_shape[4], const float *W,
                                                       float *P, char *errbuf, size_t errlen);

/* How far a dense matrix is from the equivariant ones:
 * *rel_dist = ||W - P(W)||_F / ||W||_F with P the Reynolds projection
 * above (computed in a buffer of out_size*in_size floats allocated here).
 * 0 for an equivariant W (exact groups); for a random W about
 * sqrt(1 - 1/|G|) when the group moves every pixel (T2), a little less when
 * some pixels are fixed (the centre under rotations).  Errors as
 * symclone_reynolds_project, plus SYMCLONE_ERR_DATA if W is zero. */
SYMCLONE_API symclone_status symclone_equivariant_distance(const symclone_group *group,
                                                           const int in_shape[4],
                                                           const int out_shape[4],
                                                           const float *W, double *rel_dist,
                                                           char *errbuf, size_t errlen);

/* *out = ||a - b|| / ||b|| over n floats, accumulated in double.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (n = 0) or
 * SYMCLONE_ERR_DATA (b is zero, or a norm is not finite). */
SYMCLONE_API symclone_status symclone_diag_relative_distance(const float *a, const float *b, size_t n,
                                                        double *out);

#ifdef __cplusplus
}
#endif

#endif
