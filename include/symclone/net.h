/** @file
 * libsymclone: sequential networks for the downstream experiments.
 *
 * A network is a chain of layers on batches of fields, owned by one handle
 * together with all their parameters.  It is created with the shape of one
 * input sample and grows by appending layers; each new layer must take the
 * shape the previous one produces (a dense layer takes any shape of the
 * right size, flattened).  The last layer's outputs are the logits of a
 * softmax classifier with as many classes as output values.
 *
 * Layers: the layer kinds of layer.h (conv2d, lifting, group conv, dense,
 * ReLU, 2x2 max-pooling, orientation pooling, global average pooling), and
 * the cloned convolution layer built from a trained student (student.h).
 * For a student of the family F with input channel fields x_i and
 * per-channel-pair parameters theta[o][i] (P floats each), the cloned layer
 * computes
 *
 *   y_o = b_o + sum_i S(x_i; theta[o][i])
 *
 * with the orientations of the student: a planar student maps planar
 * [Cin][H][W] to [Cout][H'][W'], a lifting student planar [Cin][H][W] to
 * [Cout][n][H'][W'], a group student [Cin][n][H][W] to [Cout][n][H'][W'].
 * The network copies the student's parameters; the caller keeps the student.
 * Modes:
 *   SYMCLONE_CLONE_RETAIN  the student's blocks, coefficients and transforms
 *                          are frozen: only theta, the bias and the other
 *                          layers train, and the cloned parameters stay bit
 *                          for bit as copied;
 *   SYMCLONE_CLONE_BREAK   they train too, with the penalty
 *                          beta * ||params - cloned params||^2 added to the
 *                          loss (beta = 0: no pull, the symmetry may go).
 *
 * Parameters: one flat array, layer after layer in order.  Per layer:
 *   conv-family and dense layers: as in layer.h (weights, then bias);
 *   cloned layers: theta[Cout][Cin][P], bias[Cout], then the student's own
 *                  parameter array (blocks, coefficients, transforms; the
 *                  layout of student.h).
 * New layers are initialised from the SEED setting and the layer's position:
 * He-uniform weights (layer.h) and zero biases; cloned thetas uniform in
 * +-sqrt(6 / (Cin * P)).  Decoupled weight decay applies to weights and
 * thetas, never to biases nor to the cloned student parameters (which the
 * break penalty governs).
 *
 * Training minimises the mean softmax cross-entropy over shuffled
 * mini-batches (the order drawn from the SEED setting) with AdamW, the
 * learning rate of epoch e (counted over the network's life, from 0) being
 * LEARNING_RATE * LR_DECAY^e.
 *
 * Thread safety: a network is used by one thread at a time (even forward
 * passes use its scratch).  SYMCLONE_NET_THREADS (default 1) gives the
 * network a pool of its own threads, the calling one included, for its
 * layers' passes: a cloned layer's products and a convolution's samples;
 * the results are the same bits for any setting.  BLAS threading belongs
 * to the application.
 */
#ifndef SYMCLONE_NET_H
#define SYMCLONE_NET_H

#include <stdint.h>

#include <symclone/common.h>
#include <symclone/layer.h>
#include <symclone/settings.h>
#include <symclone/student.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A network of layers (opaque handle). */
typedef struct symclone_net symclone_net;

/** How symclone_net_add_cloned treats the cloned layer. */
typedef enum symclone_clone_mode {
  SYMCLONE_CLONE_RETAIN = 0, /**< the cloned parameters are frozen */
  SYMCLONE_CLONE_BREAK = 1 /**< the cloned parameters train, with a penalty */
} symclone_clone_mode;

/** Progress of symclone_net_train(): epoch (1-based) of epochs, updates done
 * in this epoch of batches, mean cross-entropy and accuracy on the training
 * batches of this epoch so far, seconds since the call began and an estimate
 * of the seconds left.  Called at the end of every epoch (and every
 * PROGRESS_BATCHES updates if set); a non-zero return stops training with
 * SYMCLONE_ERR_CANCELLED after the current update. */
typedef int (*symclone_net_progress_fn)(void *user, int epoch, int epochs, long long batch,
                                        long long batches, double loss, double accuracy,
                                        double seconds, double eta_seconds);

/** Create an empty network on input samples of shape [channels][orientations]
 * [height][width] (orientations = 1 for planar fields).  *out is written
 * only on success.  SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (a size < 1),
 * SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_net_create(symclone_net **out, int channels,
                                                 int orientations, int height, int width);

/** Free a network and everything it owns; NULL is accepted. */
SYMCLONE_API void symclone_net_free(symclone_net *net);

/** ---- appending layers ----
 * Each takes its input shape from the network's current output shape.
 * Errors: SYMCLONE_ERR_NULL, SYMCLONE_ERR_SHAPE (the layer cannot take the
 * current output: a lifting layer after a group field, a group layer after
 * a planar one, a Cn group convolution after a Dn field or a dihedral one
 * after a Cn field, pooling of a 1x1 field), the creation errors of
 * layer.h, SYMCLONE_ERR_NOMEM.  On error the network is unchanged.  The
 * group of the current field is the one of the last layer that set the
 * orientation axis (ReLU, max-pooling and global average pooling keep it);
 * before any such layer, the network's input orientations are taken as
 * either group's.  The dihedral group convolution takes Dn's n from the
 * current 2n orientations. */

/**@{*/
SYMCLONE_API symclone_status symclone_net_add_conv2d(symclone_net *net, int out_channels,
                                                     int kernel, symclone_padding padding,
                                                     int bias);
SYMCLONE_API symclone_status symclone_net_add_lifting(symclone_net *net, int orientations,
                                                      int out_channels, int kernel,
                                                      symclone_padding padding, int bias);
SYMCLONE_API symclone_status symclone_net_add_group_conv(symclone_net *net, int out_channels,
                                                         int kernel, symclone_padding padding,
                                                         int bias);
SYMCLONE_API symclone_status symclone_net_add_dihedral_lifting(symclone_net *net, int rotations,
                                                               int out_channels, int kernel,
                                                               symclone_padding padding,
                                                               int bias);
SYMCLONE_API symclone_status symclone_net_add_dihedral_group_conv(symclone_net *net,
                                                                  int out_channels, int kernel,
                                                                  symclone_padding padding,
                                                                  int bias);
SYMCLONE_API symclone_status symclone_net_add_dense(symclone_net *net, int out_features, int bias);
SYMCLONE_API symclone_status symclone_net_add_relu(symclone_net *net);
SYMCLONE_API symclone_status symclone_net_add_maxpool2(symclone_net *net);
SYMCLONE_API symclone_status symclone_net_add_orient_pool(symclone_net *net,
                                                          symclone_pool_mode mode);
SYMCLONE_API symclone_status symclone_net_add_global_avgpool(symclone_net *net);
/**@}*/

/** Append an existing layer; the network takes ownership of it only on
 * success (on error the caller still owns and frees it).  Its input shape
 * must equal the current output shape (for a dense layer: its input size
 * the current output size), else SYMCLONE_ERR_SHAPE. */
SYMCLONE_API symclone_status symclone_net_add_layer(symclone_net *net, symclone_layer *layer);

/** Append a cloned convolution layer of out_channels output channels, built
 * from a copy of `student` (borrowed for the call only).  The current
 * output must be [Cin][n][H][W] with n, H, W the student's input field
 * (n = 1 planar), Cin >= 1 any, and for a group student a field of its
 * group (a Cn group student after a Dn field, or a dihedral one after a Cn
 * field, as for the group convolutions above), else SYMCLONE_ERR_SHAPE.  mode is a
 * symclone_clone_mode (SYMCLONE_ERR_ARG otherwise); beta >= 0 and finite
 * (SYMCLONE_ERR_ARG otherwise) is the break penalty, ignored when
 * retaining.  The layer has a bias. */
SYMCLONE_API symclone_status symclone_net_add_cloned(symclone_net *net,
                                                     const symclone_student *student,
                                                     int out_channels, symclone_clone_mode mode,
                                                     double beta);

/* ---- geometry and parameters ---- */

/** Number of layers, or 0 for NULL. */
SYMCLONE_API int symclone_net_layer_count(const symclone_net *net);
/** Kind of layer `index`: its symclone_layer_kind, SYMCLONE_LAYER_CLONED for
 * a cloned layer, or 0 if net is NULL or index out of range. */
SYMCLONE_API symclone_layer_kind symclone_net_layer_kind(const symclone_net *net, int index);
/** Shape {channels, orientations, height, width} of one input / output
 * sample of the whole network. */
/**@{*/
SYMCLONE_API symclone_status symclone_net_input_shape(const symclone_net *net, int shape[4]);
SYMCLONE_API symclone_status symclone_net_output_shape(const symclone_net *net, int shape[4]);
SYMCLONE_API size_t symclone_net_input_size(const symclone_net *net);
SYMCLONE_API size_t symclone_net_output_size(const symclone_net *net);
/**@}*/

/** All parameters, and those training updates (frozen cloned parameters
 * excluded).  0 for NULL. */
/**@{*/
SYMCLONE_API size_t symclone_net_param_count(const symclone_net *net);
SYMCLONE_API size_t symclone_net_trainable_count(const symclone_net *net);
/**@}*/

/** Where layer `index`'s parameters sit in the flat array: offset, count,
 * and how many of them (from the start of the layer's block) are trained.
 * Any pointer may be NULL.  SYMCLONE_ERR_ARG for an index out of range. */
SYMCLONE_API symclone_status symclone_net_layer_params(const symclone_net *net, int index,
                                                       size_t *offset, size_t *count,
                                                       size_t *trainable);

/** Copy the flat parameter array out / in; count must equal
 * symclone_net_param_count() (SYMCLONE_ERR_SIZE otherwise).  Setting the
 * parameters of a cloned layer does not change the values its break
 * penalty pulls towards. */
/**@{*/
SYMCLONE_API symclone_status symclone_net_get_params(const symclone_net *net, float *dst,
                                                     size_t count);
SYMCLONE_API symclone_status symclone_net_set_params(symclone_net *net, const float *src,
                                                     size_t count);
/**@}*/

/* ---- settings ---- */

/** Keyed settings (SYMCLONE_NET_* keys, <symclone/settings.h>); a value
 * outside the bounds is refused with SYMCLONE_ERR_SETTING and changes
 * nothing; SYMCLONE_ERR_ARG for a key that is not a net setting.  Setting
 * SEED also restarts the shuffling sequence. */
/**@{*/
SYMCLONE_API symclone_status symclone_net_set(symclone_net *net, symclone_setting key,
                                              double value);
SYMCLONE_API symclone_status symclone_net_get(const symclone_net *net, symclone_setting key,
                                              double *value);
/**@}*/

/** Set the progress callback of symclone_net_train() and its user pointer
 * (fn NULL: none).  SYMCLONE_ERR_NULL if net is NULL. */
SYMCLONE_API symclone_status symclone_net_set_progress(symclone_net *net,
                                                       symclone_net_progress_fn fn, void *user);

/* ---- computing ---- */

/** Logits y[batch][output_size] for inputs x[batch][input_size].
 * SYMCLONE_ERR_NULL, SYMCLONE_ERR_SIZE (batch 0), SYMCLONE_ERR_STATE (the
 * network has no layer), SYMCLONE_ERR_NOMEM. */
SYMCLONE_API symclone_status symclone_net_forward(symclone_net *net, size_t batch, const float *x,
                                                  float *y);

/** The training objective on one batch: mean softmax cross-entropy plus the
 * break penalties, into *loss (may be NULL), and its gradient with respect
 * to every parameter (frozen ones included: the derivative exists, training
 * just does not use it) into grad (param_count floats, overwritten; may be
 * NULL).  labels in [0, output_size) (SYMCLONE_ERR_DATA otherwise). */
SYMCLONE_API symclone_status symclone_net_gradient(symclone_net *net, size_t batch,
                                                   const float *x, const int *labels, double *loss,
                                                   float *grad);

/** Train for EPOCHS epochs on x[count][input_size] with labels[count] in
 * [0, output_size).  The data are borrowed for the call.  Errors as for
 * symclone_net_gradient(), SYMCLONE_ERR_CANCELLED (the callback asked to
 * stop; the updates made so far are kept) and SYMCLONE_ERR_DIVERGED (a loss
 * or gradient not finite: nothing of the rejected step is applied and
 * training stops). */
SYMCLONE_API symclone_status symclone_net_train(symclone_net *net, const float *x,
                                                const int *labels, size_t count);

/** Epochs trained so far (the exponent of the learning-rate decay). */
SYMCLONE_API long long symclone_net_epochs_done(const symclone_net *net);

/** Evaluate on x[count][input_size], labels[count]: accuracy (fraction in
 * [0, 1]) and mean cross-entropy (either may be NULL), and confusion counts
 * confusion[true][predicted] (output_size^2 values, overwritten; may be
 * NULL).  The prediction is the arg-max of the logits (first on ties). */
SYMCLONE_API symclone_status symclone_net_evaluate(symclone_net *net, const float *x,
                                                   const int *labels, size_t count,
                                                   double *accuracy, double *loss,
                                                   long long *confusion);

/** Message of the last failing call on this handle ("" if none). */
SYMCLONE_API const char *symclone_net_last_error(const symclone_net *net);

#ifdef __cplusplus
}
#endif

#endif
