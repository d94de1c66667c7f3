/** @file
 * libsymclone: layers - the equivariant teachers and their companions.
 *
 * A layer handle holds geometry only: its parameters (weights and bias) are
 * a caller-owned float array passed to every call, so one layer serves a
 * whole family of teacher instances (one theta per call) and is immutable
 * after creation.  Fields are batched: x[batch][input_size], y[batch][
 * output_size], each sample a planar field [C][H][W] or a group field
 * [C][|G|][H][W] (see group.h for the conventions: |G| = n orientations
 * for Cn, 2n for Dn, in the order of the group's elements).
 *
 * Parameter layouts (weights first, then one bias per output channel if the
 * layer has a bias):
 *   conv2d               w[out][in][k][k]
 *   lifting (Z2->Cn)     w[out][in][k][k]       rotated n times internally
 *   group conv (Cn->Cn)  w[out][in][n][k][k]    slice s = input orientation
 *   dihedral lifting (Z2->Dn)  w[out][in][k][k]       transformed 2n times
 *   dihedral group conv (Dn->Dn) w[out][in][2n][k][k] slice s = input
 *                                                     orientation
 *   dense                W[out][in]
 * All convolutions are cross-correlations with stride 1 and odd kernels:
 *   conv2d:   y[o] = b[o] + sum_i w[o][i] (*) x[i]
 *   lifting:  y[o][r] = b[o] + sum_i (R_r w[o][i]) (*) x[i]
 *   group:    y[o][r] = b[o] + sum_i sum_s (R_r w[o][i][(s - r) mod n]) (*) x[i][s]
 *   dihedral lifting:  y[o][g] = b[o] + sum_i (T_g w[o][i]) (*) x[i]
 *   dihedral group:    y[o][g] = b[o] + sum_i sum_s (T_g w[o][i][g^-1 s]) (*) x[i][s]
 * where R_r rotates a k x k filter about its centre (group.h), exactly for
 * quarter turns and by bilinear interpolation otherwise, and for an element
 * g = m * n + r of Dn, T_g = R_r M^m mirrors the filter about its vertical
 * axis if m = 1 and then rotates it by R_r; g^-1 s is Dn's group law.  So
 * output orientation g holds the response to the filter transformed by g,
 * and each layer commutes with the group-field action of group.h:
 * f(g x) = g f(x).  For n = 4 the dihedral layers are p4m's lifting and
 * group convolutions (GrouPy's P4MConvZ2 and P4MConvP4M), n = 1 is a single
 * mirror.
 * Padding: VALID gives (H-k+1) x (W-k+1) outputs; ZERO and CIRCULAR keep
 * H x W, padding with zeros or wrapping around the torus.
 *
 * Workspaces: forward and backward take an optional scratch buffer of at
 * least symclone_layer_workspace_size() bytes.  With NULL the call allocates
 * and frees its own (and may fail with SYMCLONE_ERR_NOMEM); passing a buffer
 * makes the call allocation-free.
 *
 * Thread safety: a layer is immutable; any number of threads may call
 * forward/backward/unroll on one layer at once, each with its own workspace.
 */
#ifndef SYMCLONE_LAYER_H
#define SYMCLONE_LAYER_H

#include <stdint.h>

#include <symclone/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A layer (opaque handle). */
typedef struct symclone_layer symclone_layer;

/** Padding of a convolution at the border of its input. */
typedef enum symclone_padding {
  SYMCLONE_PADDING_NONE = -1,    /**< reported for layers without padding; refused by create */
  SYMCLONE_PADDING_VALID = 0, /**< no padding: (H-k+1) x (W-k+1) outputs */
  SYMCLONE_PADDING_ZERO = 1, /**< zeros outside the input: H x W outputs */
  SYMCLONE_PADDING_CIRCULAR = 2 /**< wrapping around the torus: H x W outputs */
} symclone_padding;

/** Kinds of layer. */
typedef enum symclone_layer_kind {
  SYMCLONE_LAYER_CONV2D = 1, /**< planar convolution Z2 -> Z2 */
  SYMCLONE_LAYER_LIFTING = 2, /**< lifting convolution Z2 -> Cn */
  SYMCLONE_LAYER_GROUP_CONV = 3, /**< group convolution Cn -> Cn */
  SYMCLONE_LAYER_RELU = 4, /**< ReLU */
  SYMCLONE_LAYER_MAXPOOL2 = 5, /**< 2x2 spatial max-pooling with stride 2 */
  SYMCLONE_LAYER_ORIENT_POOL = 6, /**< pooling over the orientation axis */
  SYMCLONE_LAYER_GLOBAL_AVGPOOL = 7, /**< global average pooling over space */
  SYMCLONE_LAYER_DENSE = 8, /**< dense (fully connected) layer */
  SYMCLONE_LAYER_CLONED = 9, /**< a network's cloned convolution layer: only reported by
                                  symclone_net_layer_kind (net.h), never by a layer handle */
  SYMCLONE_LAYER_DIHEDRAL_LIFTING = 10,   /**< Z2 -> Dn */
  SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV = 11 /**< Dn -> Dn */
} symclone_layer_kind;

/** How orientation pooling combines the orientations. */
typedef enum symclone_pool_mode {
  SYMCLONE_POOL_MAX = 0, /**< the maximum over the orientations */
  SYMCLONE_POOL_MEAN = 1 /**< the mean over the orientations */
} symclone_pool_mode;

/* Every create function writes *out only on success; free with
 * symclone_layer_free().  Errors: SYMCLONE_ERR_NULL (out is NULL),
 * SYMCLONE_ERR_SIZE (a size < 1), SYMCLONE_ERR_KERNEL (kernel even, < 1,
 * or larger than the input height or width, whatever the padding), SYMCLONE_ERR_GROUP
 * (orientations < 1, or a quarter-turn rotation needed on a non-square
 * field), SYMCLONE_ERR_ARG (unknown padding or mode), SYMCLONE_ERR_OVERFLOW
 * (the sizes do not fit), SYMCLONE_ERR_NOMEM. */

/** Planar convolution Z2 -> Z2 on [in_channels][height][width] inputs. */
SYMCLONE_API symclone_status symclone_layer_create_conv2d(symclone_layer **out, int in_channels,
                                                    int out_channels, int kernel, int height,
                                                    int width, symclone_padding padding,
                                                    int bias);

/** Lifting convolution Z2 -> Cn: planar [in][H][W] to group [out][n][H'][W']. */
SYMCLONE_API symclone_status symclone_layer_create_lifting(symclone_layer **out, int orientations,
                                                     int in_channels, int out_channels, int kernel,
                                                     int height, int width,
                                                     symclone_padding padding, int bias);

/** Group convolution Cn -> Cn: group [in][n][H][W] to group [out][n][H'][W']. */
SYMCLONE_API symclone_status symclone_layer_create_group_conv(symclone_layer **out, int orientations,
                                                        int in_channels, int out_channels,
                                                        int kernel, int height, int width,
                                                        symclone_padding padding, int bias);

/** Lifting convolution Z2 -> Dn: planar [in][H][W] to group [out][2n][H'][W'],
 * with n = rotations (Dn's n, 1 <= n <= 360, else SYMCLONE_ERR_GROUP). */
SYMCLONE_API symclone_status symclone_layer_create_dihedral_lifting(symclone_layer **out,
                                                                    int rotations,
                                                                    int in_channels,
                                                                    int out_channels, int kernel,
                                                                    int height, int width,
                                                                    symclone_padding padding,
                                                                    int bias);

/** Group convolution Dn -> Dn: group [in][2n][H][W] to group [out][2n][H'][W'],
 * with n = rotations as above. */
SYMCLONE_API symclone_status symclone_layer_create_dihedral_group_conv(symclone_layer **out,
                                                                       int rotations,
                                                                       int in_channels,
                                                                       int out_channels,
                                                                       int kernel, int height,
                                                                       int width,
                                                                       symclone_padding padding,
                                                                       int bias);

/** Dense layer y = W x + b on flattened inputs of in_features values. */
SYMCLONE_API symclone_status symclone_layer_create_dense(symclone_layer **out, int in_features,
                                                   int out_features, int bias);

/** Pointwise ReLU on fields [channels][orientations][height][width]
 * (orientations = 1 for planar fields). */
SYMCLONE_API symclone_status symclone_layer_create_relu(symclone_layer **out, int channels,
                                                  int orientations, int height, int width);

/** 2x2 spatial max-pooling with stride 2 (odd trailing rows/columns are
 * dropped): [C][n][H][W] -> [C][n][H/2][W/2].  Needs H, W >= 2. */
SYMCLONE_API symclone_status symclone_layer_create_maxpool2(symclone_layer **out, int channels,
                                                      int orientations, int height, int width);

/** Pooling over the orientation axis, max or mean: [C][n][H][W] -> [C][H][W],
 * n being any number of orientations (the n of Cn, the 2n of Dn).  The
 * result is invariant to the permutation of the orientations by a Cn or Dn
 * action: pool(g x) = T_g pool(x), the output transformed only spatially. */
SYMCLONE_API symclone_status symclone_layer_create_orient_pool(symclone_layer **out, int channels,
                                                         int orientations, int height, int width,
                                                         symclone_pool_mode mode);

/** Global average pooling over space: [C][n][H][W] -> [C][n] (one value per
 * channel and orientation). */
SYMCLONE_API symclone_status symclone_layer_create_global_avgpool(symclone_layer **out, int channels,
                                                            int orientations, int height,
                                                            int width);

/** Free a layer; NULL is accepted. */
SYMCLONE_API void symclone_layer_free(symclone_layer *layer);

/** Kind of the layer, 0 for NULL. */
SYMCLONE_API symclone_layer_kind symclone_layer_kind_of(const symclone_layer *layer);

/** Shapes of one input and one output sample as {channels, orientations,
 * height, width} (orientations = 1 for planar fields; a dense layer reports
 * {features, 1, 1, 1}). */
/**@{*/
SYMCLONE_API symclone_status symclone_layer_input_shape(const symclone_layer *layer, int shape[4]);
SYMCLONE_API symclone_status symclone_layer_output_shape(const symclone_layer *layer,
                                                         int shape[4]);
/**@}*/

/** Floats per input sample, per output sample; 0 for NULL. */
/**@{*/
SYMCLONE_API size_t symclone_layer_input_size(const symclone_layer *layer);
SYMCLONE_API size_t symclone_layer_output_size(const symclone_layer *layer);
/**@}*/

/** Number of parameters (weights + bias) and of weights alone; 0 for
 * parameter-free layers and NULL. */
/**@{*/
SYMCLONE_API size_t symclone_layer_param_count(const symclone_layer *layer);
SYMCLONE_API size_t symclone_layer_weight_count(const symclone_layer *layer);
/**@}*/

/** Geometry scalars: kernel size (0 if none), orientations of the output
 * (n for Cn, 2n for Dn, 1 if planar), padding (SYMCLONE_PADDING_NONE if none, and for NULL). */
/**@{*/
SYMCLONE_API int symclone_layer_kernel(const symclone_layer *layer);
SYMCLONE_API int symclone_layer_orientations(const symclone_layer *layer);
SYMCLONE_API symclone_padding symclone_layer_padding(const symclone_layer *layer);
/**@}*/

/** 1 if the layer's map is linear in x for fixed parameters (bias aside):
 * convolutions, dense, mean orientation pooling and global average pooling.
 * Only those can be unrolled. */
SYMCLONE_API int symclone_layer_is_linear(const symclone_layer *layer);

/** Bytes of scratch needed by forward/backward for `batch` samples. */
SYMCLONE_API size_t symclone_layer_workspace_size(const symclone_layer *layer, size_t batch);

/** Fill params with a He-uniform initialisation (bound sqrt(6 / fan_in)) and
 * a zero bias, reproducibly from seed.  params holds param_count floats. */
SYMCLONE_API symclone_status symclone_layer_init_params(const symclone_layer *layer, uint64_t seed,
                                                        float *params);

/** y = layer(x; params) for a batch.  params may be NULL only for
 * parameter-free layers.  x and y must not overlap. */
SYMCLONE_API symclone_status symclone_layer_forward(const symclone_layer *layer,
                                                    const float *params, size_t batch,
                                                    const float *x, float *y, void *work);

/** Backward pass for a batch: given x and the gradient dy of a loss with
 * respect to y, writes dx (dL/dx; may be NULL to skip) and ADDS dL/dparams
 * into dparams (may be NULL to skip; param_count floats), so gradients of
 * several batches accumulate. */
SYMCLONE_API symclone_status symclone_layer_backward(const symclone_layer *layer,
                                                     const float *params, size_t batch,
                                                     const float *x, const float *dy, float *dx,
                                                     float *dparams, void *work);

/** The dense matrix of a linear layer for the given parameters, bias
 * excluded: matrix[output_size][input_size], row-major, so that
 * y = matrix x + bias.  For convolutions this is the doubly block Toeplitz
 * (circulant for CIRCULAR padding) matrix.  SYMCLONE_ERR_UNSUPPORTED for a
 * non-linear layer; SYMCLONE_ERR_OVERFLOW if the matrix size overflows. */
SYMCLONE_API symclone_status symclone_layer_unroll(const symclone_layer *layer,
                                                   const float *params, float *matrix);

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_layer_last_error(const symclone_layer *layer);

#ifdef __cplusplus
}
#endif

#endif
