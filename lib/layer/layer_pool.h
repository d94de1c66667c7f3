/* Private: the threads a layer's passes may use.  A network lends its pool
 * (SYMCLONE_NET_THREADS) to the layers it owns; a layer without one runs
 * on the calling thread.  The workspace a layer needs depends on the pool's
 * thread count: ask for it again after a change.  The results do not. */
#ifndef SYMCLONE_LAYER_POOL_H
#define SYMCLONE_LAYER_POOL_H

#include <symclone/layer.h>

#include "../common/pool.h"

void sym_layer_set_pool(symclone_layer *l, sym_pool *pool);

#endif
