/* Private: the layer handle, shared by the files of lib/layer. */
#ifndef SYMCLONE_LAYER_PRIV_H
#define SYMCLONE_LAYER_PRIV_H

#include "../common/internal.h"
#include "layer_pool.h"
#include <symclone/layer.h>

struct symclone_layer {
  symclone_layer_kind kind;
  int in_c, in_n, in_h, in_w;
  int out_c, out_n, out_h, out_w;
  int k, pad, bias;
  int n;               /* rotations of the group: Cn or Dn (1 for conv2d) */
  int order;           /* orientations of the group: n for Cn, 2n for Dn (1 for conv2d) */
  int mirror;          /* 1 for the dihedral kinds */
  int mode;            /* orientation pooling */
  size_t in_size, out_size, weight_count, param_count;
  /* convolution family, as a conv2d with an expanded filter bank */
  int ex_out, ex_in; /* expanded output / input channels */
  int ckk;           /* ex_in * k * k */
  int chunk;         /* samples per GEMM */
  sym_err err;
};

symclone_layer *sym_layer_alloc(symclone_layer_kind kind);
/* Fill in_size/out_size from the shapes; status on overflow. */
symclone_status sym_layer_finish_sizes(symclone_layer *l);

/* Convolution family (conv.c) */
size_t sym_conv_workspace(const symclone_layer *l, size_t batch, int threads);
symclone_status sym_conv_forward(const symclone_layer *l, sym_pool *pool, const float *p,
                                 size_t batch, const float *x, float *y, void *work);
symclone_status sym_conv_backward(const symclone_layer *l, sym_pool *pool, const float *p,
                                  size_t batch, const float *x, const float *dy, float *dx,
                                  float *dp, void *work);
symclone_status sym_conv_unroll(const symclone_layer *l, const float *p, float *m, void *work);

/* Simple layers (simple.c) */
size_t sym_simple_workspace(const symclone_layer *l, size_t batch);
symclone_status sym_simple_forward(const symclone_layer *l, const float *p, size_t batch,
                                   const float *x, float *y);
symclone_status sym_simple_backward(const symclone_layer *l, const float *p, size_t batch,
                                    const float *x, const float *dy, float *dx, float *dp);
symclone_status sym_simple_unroll(const symclone_layer *l, const float *p, float *m);

#endif
