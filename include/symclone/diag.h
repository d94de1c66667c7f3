/** @file
 * libsymclone: diagnostics - how equivariant is an operator, and how far is
 * a dense matrix from the equivariant ones.
 *
 * A diag handle holds a group and the shapes of the input and output fields
 * of the operators or matrices it measures.  Field shapes are given as
 * {channels, orientations, height, width}, orientations = 1 for a planar
 * field.  The group acts on the fields as follows (group.h):
 *  - T2 on an H x W torus: the input field must be H x W; every orientation
 *    is shifted alike.  An output field of another size Ho x Wo (valid
 *    convolutions) is shifted by the same shift written signed,
 *    (sy, sx) with sy in (-H/2, H/2] and sx in (-W/2, W/2], taken modulo
 *    Ho and Wo (docs/diagnostics.md).
 *  - Cn and Dn: the group-field action (rotation or reflection and the
 *    permutation of the orientations) on a field with order orientations
 *    (n for Cn, 2n for Dn), the planar action on one with 1; other
 *    orientation counts are refused (SYMCLONE_ERR_GROUP).  Quarter turns
 *    (n divisible by 4) need square fields (SYMCLONE_ERR_SHAPE).
 *
 * Settings (symclone_diag_set, SYMCLONE_DIAG_* keys of <symclone/settings.h>):
 *   MASK          which output pixels an equivariance error compares, a
 *                 symclone_mask; default SYMCLONE_MASK_NONE
 *   MARGIN        pixels taken off the mask's border, [0, 1e6]; default 0
 *                 (ignored for SYMCLONE_MASK_NONE)
 *   SAMPLES       input fields per equivariance error, [1, 1e9]; default 8
 *   MAX_ELEMENTS  0: every group element but the identity; k > 0: a sample
 *                 of min(k, order - 1) distinct non-identity elements,
 *                 [0, 1e9]; default 0
 *   SEED          draws of the elements, then of the input fields,
 *                 [0, 2^53]; default 7.  The same handle, settings and
 *                 inputs give the same figures.
 *
 * Errors: every fallible call returns a symclone_status; the message of a
 * failure is kept by the diag and read with symclone_diag_last_error (a
 * failure reported by the group, a layer or the operator carries its
 * message).  symclone_diag_create and symclone_diag_relative_distance have
 * no handle to keep one: their status names the fault.  Output arguments
 * are written only on success.
 *
 * Thread safety: a diag is used by one thread at a time; diags sharing a
 * group may run concurrently, provided the operator callbacks allow it.
 */
#ifndef SYMCLONE_DIAG_H
#define SYMCLONE_DIAG_H

#include <stddef.h>

#include <symclone/common.h>
#include <symclone/group.h>
#include <symclone/layer.h>
#include <symclone/settings.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A diagnostics handle (opaque). */
typedef struct symclone_diag symclone_diag;

/** Any operator on flattened fields: y[batch][out_size] = f(x[batch][in_size])
 * where in_size and out_size are the products of the diag's shapes.  `user`
 * is passed through unchanged.  Return SYMCLONE_OK, or an error status,
 * which the diagnostic then returns. */
typedef symclone_status (*symclone_diag_operator_fn)(void *user, size_t batch, const float *x,
                                                float *y);

/** Values of SYMCLONE_DIAG_MASK: which output pixels an equivariance error
 * compares (docs/diagnostics.md gives the reasoning behind each). */
typedef enum symclone_mask {
  /** Every output pixel.  Exact for circular convolutions under T2 and for
   * every padding under exact rotations (C2, C4) on square grids. */
  SYMCLONE_MASK_NONE = 0,
  /** T2 only: the pixels whose value does not depend on what a shift wraps
   * around.  With the signed shift (sy, sx), output rows
   *     y in [margin + max(sy, 0), Ho - margin + min(sy, 0))
   * and columns likewise with sx and Wo.  Exact for valid convolutions with
   * margin 0 and for zero padding with margin k/2.  A shift that leaves no
   * row or column leaves nothing to compare: that (element, input) pair is
   * skipped. */
  SYMCLONE_MASK_SHIFT_INTERIOR = 1,
  /** The pixels inside the disc inscribed in the output: distance from the
   * centre ((Ho-1)/2, (Wo-1)/2) at most (min(Ho, Wo) - 1)/2 - margin.  For
   * interpolated rotations, whose values outside that disc come from outside
   * the grid (group.h). */
  SYMCLONE_MASK_DISC = 2
} symclone_mask;

/** Create a diag for fields of shape in_shape -> out_shape under `group`,
 * which is borrowed and must outlive the diag.  *out is written only on
 * success.  SYMCLONE_ERR_NULL (out, group or a shape NULL),
 * SYMCLONE_ERR_SIZE (a shape entry < 1), SYMCLONE_ERR_OVERFLOW (a field
 * larger than INT_MAX values), SYMCLONE_ERR_SHAPE (the input field not the
 * T2 torus' size, a non-square field for quarter turns), SYMCLONE_ERR_GROUP
 * (orientations neither 1 nor the order of Cn or Dn), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_diag_create(symclone_diag **out,
                                                  const symclone_group *group,
                                                  const int in_shape[4], const int out_shape[4]);

/** Free a diag; NULL is accepted.  The group and the inputs stay the
 * caller's. */
SYMCLONE_API void symclone_diag_free(symclone_diag *diag);

/** Keyed settings (SYMCLONE_DIAG_* keys).  SYMCLONE_ERR_SETTING for a value
 * outside the bounds, or SYMCLONE_MASK_SHIFT_INTERIOR with a group other
 * than T2; SYMCLONE_ERR_ARG for a key that is not a diag setting.  A
 * refused value changes nothing. */
/**@{*/
SYMCLONE_API symclone_status symclone_diag_set(symclone_diag *diag, symclone_setting key,
                                               double value);
SYMCLONE_API symclone_status symclone_diag_get(const symclone_diag *diag, symclone_setting key,
                                               double *value);
/**@}*/

/** Input fields x[count][in_size] for the equivariance errors, borrowed
 * until replaced or the diag is freed; the first SAMPLES of them are used
 * (count >= SAMPLES when an error is computed, else SYMCLONE_ERR_SIZE).
 * inputs NULL (count ignored): SAMPLES standard normal fields drawn from
 * SEED.  SYMCLONE_ERR_SIZE for inputs with count 0. */
SYMCLONE_API symclone_status symclone_diag_set_inputs(symclone_diag *diag, const float *inputs,
                                                      size_t count);

/** Equivariance error of an operator f:
 *     E_{g,x} ||f(g x) - g f(x)|| / ||g f(x)||
 * over the non-identity elements g (MAX_ELEMENTS) and the inputs x, both
 * L2 norms over the compared pixels of MASK (all channels and
 * orientations); ||g f(x)|| there is the norm of f(x) over the pixels that
 * the action moves into the compared set.  Computed in double.
 * op is called with batches of 1 to max(1, 4194304 / (in_size + out_size))
 * samples (about 16 MB of fields per call at most).
 * mean_err, max_err: mean and maximum of the per-(g, x) relative errors; 0
 * for a group of order 1.  A pair whose compared pixels of g f(x) are all
 * zero (or none) is skipped; if every pair is skipped the call fails with
 * SYMCLONE_ERR_DATA.
 * Returns SYMCLONE_ERR_NULL (diag, op or an output pointer NULL),
 * SYMCLONE_ERR_SIZE (fewer inputs than SAMPLES), SYMCLONE_ERR_DATA (every
 * pair skipped, or an operator output not finite), SYMCLONE_ERR_NOMEM, or
 * the operator's own status. */
SYMCLONE_API symclone_status symclone_diag_equivariance_error(symclone_diag *diag,
                                                              symclone_diag_operator_fn op,
                                                              void *user, double *mean_err,
                                                              double *max_err);

/** The same for a layer's forward pass with the given parameters (NULL for
 * parameter-free layers).  The layer's input and output shapes must be the
 * diag's (SYMCLONE_ERR_SHAPE otherwise).  The mask is the one the layer's
 * padding calls for, whatever MASK and MARGIN say:
 *  - T2: CIRCULAR padding -> SYMCLONE_MASK_NONE; VALID ->
 *    SYMCLONE_MASK_SHIFT_INTERIOR, margin 0; ZERO -> SHIFT_INTERIOR,
 *    margin k/2 (all exact for a convolution);
 *  - exact Cn and Dn (C1, C2, C4, D1, D2, D4): SYMCLONE_MASK_NONE;
 *  - interpolated Cn and Dn: SYMCLONE_MASK_DISC, margin 0 (the whole
 *    inscribed disc); use symclone_diag_equivariance_error with a margin
 *    for the deeper interior;
 *  - layers without padding (ReLU, pooling): SYMCLONE_MASK_NONE.
 * A dense layer has no field shapes and is refused
 * (SYMCLONE_ERR_UNSUPPORTED): wrap it in an operator.  Errors as
 * symclone_diag_equivariance_error, SYMCLONE_ERR_NULL for a NULL layer; a
 * failing forward pass returns its status with the layer's message. */
SYMCLONE_API symclone_status symclone_diag_layer_equivariance_error(symclone_diag *diag,
                                                                    const symclone_layer *layer,
                                                                    const float *params,
                                                                    double *mean_err,
                                                                    double *max_err);

/** Reynolds projection of a dense matrix W[out_size][in_size] (row-major,
 * y = W x):
 *     P = 1/|G| sum_g rho_out(g^-1) W rho_in(g)
 * with rho(g) the matrix of the action of g.  For exact groups (T2, C1,
 * C2, C4, D1, D2, D4) with equal input and output tori, P is the
 * orthogonal projection (Frobenius inner product) onto the equivariant
 * matrices: P(P(W)) = P(W).  For interpolated rotations it is an
 * approximate projection, equivariant (to float rounding) under the exact
 * elements only: the quarter turns of Cn, and in Dn those and their mirror
 * images.  For T2 with an output torus other than the input torus it is
 * an average over the shifts and not idempotent (docs/diagnostics.md).
 * Exact groups need in_size, out_size <= 2^24.
 * P may be W itself (in place); otherwise the two must not overlap.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (a field too large for an
 * exact group), SYMCLONE_ERR_OVERFLOW (the matrix does not fit in memory
 * arithmetic), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_diag_reynolds_project(symclone_diag *diag, const float *W,
                                                            float *P);

/** How far a dense matrix is from the equivariant ones:
 * *rel_dist = ||W - P(W)||_F / ||W||_F with P the Reynolds projection.
 * 0 for an equivariant W (exact groups); for a random W about
 * sqrt(1 - 1/|G|) when the group moves every pixel (T2), a little less when
 * some pixels are fixed.  Errors as symclone_diag_reynolds_project, plus
 * SYMCLONE_ERR_DATA if W is zero or not finite. */
SYMCLONE_API symclone_status symclone_diag_equivariant_distance(symclone_diag *diag,
                                                                const float *W,
                                                                double *rel_dist);

/** *out = ||a - b|| / ||b|| over n floats, accumulated in double.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (n = 0) or
 * SYMCLONE_ERR_DATA (b is zero, or a norm is not finite). */
SYMCLONE_API symclone_status symclone_diag_relative_distance(const float *a, const float *b,
                                                             size_t n, double *out);

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_diag_last_error(const symclone_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
