/* Private: a layer's passes on a pool of threads.  The layer handle stays
 * immutable (any number of threads may use one at once): the pool is an
 * argument of the call, lent by the network or the trainer that makes it.
 * The workspace a call needs depends on the pool's thread count; the
 * results do not (every path and thread count gives the same bits).  The
 * public calls are these with no pool (the calling thread alone). */
#ifndef SYMCLONE_LAYER_POOL_H
#define SYMCLONE_LAYER_POOL_H

#include <symclone/layer.h>

#include "../common/pool.h"

/* Bytes of workspace a call on `threads` threads needs for `batch` samples. */
size_t sym_layer_workspace_threads(const symclone_layer *l, size_t batch, int threads);
/* symclone_layer_forward and _backward on `pool` (NULL: the caller alone);
 * work holds sym_layer_workspace_threads(l, batch, sym_pool_threads(pool))
 * bytes, or is NULL to have the call allocate it. */
symclone_status sym_layer_forward_pool(const symclone_layer *l, sym_pool *pool, const float *params,
                                       size_t batch, const float *x, float *y, void *work);
symclone_status sym_layer_backward_pool(const symclone_layer *l, sym_pool *pool,
                                        const float *params, size_t batch, const float *x,
                                        const float *dy, float *dx, float *dparams, void *work);

#endif
