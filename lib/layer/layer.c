/* Layer creation, validation and the public dispatch. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "layer_priv.h"

/* Largest number of floats per sample and per matrix dimension handed to
 * BLAS: every GEMM dimension must fit a (32-bit) BLAS int. */
#define COLS_TARGET ((size_t)1 << 20)

symclone_layer *sym_layer_alloc(symclone_layer_kind kind) {
  symclone_layer *l = sym_calloc(1, sizeof *l);
  if (!l) return NULL;
  l->kind = kind;
  l->in_n = l->out_n = 1;
  l->pad = SYMCLONE_PADDING_NONE;
  l->n = l->order = 1;
  sym_err_init(&l->err);
  return l;
}

static int field_size(int c, int n, int h, int w, size_t *out) {
  size_t t;
  if (sym_mul3_size((size_t)c, (size_t)n, (size_t)h, &t) || sym_mul_size(t, (size_t)w, out))
    return -1;
  if (*out > (size_t)INT_MAX) return -1; /* one sample must fit a BLAS dimension */
  return 0;
}

symclone_status sym_layer_finish_sizes(symclone_layer *l) {
  if (field_size(l->in_c, l->in_n, l->in_h, l->in_w, &l->in_size) ||
      field_size(l->out_c, l->out_n, l->out_h, l->out_w, &l->out_size))
    return SYMCLONE_ERR_OVERFLOW;
  return SYMCLONE_OK;
}

/* Group order of a convolution kind with n rotations: 1 (conv2d), n (Cn),
 * 2n (Dn). */
static int kind_order(symclone_layer_kind kind, int n) {
  switch (kind) {
  case SYMCLONE_LAYER_CONV2D: return 1;
  case SYMCLONE_LAYER_DIHEDRAL_LIFTING:
  case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV: return 2 * n;
  default: return n;
  }
}

static int kind_group_input(symclone_layer_kind kind) {
  return kind == SYMCLONE_LAYER_GROUP_CONV || kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
}

static symclone_status conv_common(symclone_layer **out, symclone_layer_kind kind, int n,
                                   int in_c, int out_c, int k, int h, int w,
                                   symclone_padding pad, int bias) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (in_c < 1 || out_c < 1 || h < 1 || w < 1) return SYMCLONE_ERR_SIZE;
  if (n < 1 || n > 360) return SYMCLONE_ERR_GROUP;
  if (pad != SYMCLONE_PADDING_VALID && pad != SYMCLONE_PADDING_ZERO && pad != SYMCLONE_PADDING_CIRCULAR)
    return SYMCLONE_ERR_ARG;
  if (k < 1 || k % 2 == 0 || k > h || k > w) return SYMCLONE_ERR_KERNEL;
  int order = kind_order(kind, n), grp = kind_group_input(kind);
  int ex_out, ex_in, kk, ckk;
  if (sym_mul_int(out_c, order, &ex_out) || sym_mul_int(in_c, grp ? order : 1, &ex_in) ||
      sym_mul_int(k, k, &kk) || sym_mul_int(ex_in, kk, &ckk))
    return SYMCLONE_ERR_OVERFLOW;
  symclone_layer *l = sym_layer_alloc(kind);
  if (!l) return SYMCLONE_ERR_NOMEM;
  l->in_c = in_c;
  l->in_n = grp ? order : 1;
  l->in_h = h;
  l->in_w = w;
  l->out_c = out_c;
  l->out_n = order;
  l->out_h = pad == SYMCLONE_PADDING_VALID ? h - k + 1 : h;
  l->out_w = pad == SYMCLONE_PADDING_VALID ? w - k + 1 : w;
  l->k = k;
  l->pad = pad;
  l->bias = bias ? 1 : 0;
  l->n = kind == SYMCLONE_LAYER_CONV2D ? 1 : n;
  l->order = order;
  l->mirror = kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING || kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
  l->ex_out = ex_out;
  l->ex_in = ex_in;
  l->ckk = ckk;
  size_t wc, how;
  symclone_status st = sym_layer_finish_sizes(l);
  if (!st && (sym_mul3_size((size_t)out_c, (size_t)ckk, 1, &wc) || wc > (size_t)INT_MAX / 2))
    st = SYMCLONE_ERR_OVERFLOW;
  how = (size_t)l->out_h * l->out_w;
  if (!st && ((size_t)ckk * how > (size_t)INT_MAX || (size_t)ex_out * how > (size_t)INT_MAX))
    st = SYMCLONE_ERR_OVERFLOW;
  if (st) {
    sym_free(l);
    return st;
  }
  l->weight_count = wc;
  l->param_count = wc + (size_t)(l->bias ? out_c : 0);
  /* samples per GEMM: enough columns to keep BLAS busy, bounded scratch */
  size_t per = (size_t)ckk * how;
  size_t chunk = COLS_TARGET / (per ? per : 1);
  if (chunk < 1) chunk = 1;
  if (chunk > 256) chunk = 256;
  while (chunk > 1 && chunk * how > (size_t)INT_MAX / (size_t)(ckk > ex_out ? ckk : ex_out))
    chunk /= 2;
  l->chunk = (int)chunk;
  *out = l;
  return SYMCLONE_OK;
}

symclone_status symclone_layer_create_conv2d(symclone_layer **out, int in_channels, int out_channels,
                                       int kernel, int height, int width,
                                       symclone_padding padding, int bias) {
  return conv_common(out, SYMCLONE_LAYER_CONV2D, 1, in_channels, out_channels, kernel, height,
                     width, padding, bias);
}

symclone_status symclone_layer_create_lifting(symclone_layer **out, int orientations, int in_channels,
                                        int out_channels, int kernel, int height, int width,
                                        symclone_padding padding, int bias) {
  return conv_common(out, SYMCLONE_LAYER_LIFTING, orientations, in_channels, out_channels, kernel,
                     height, width, padding, bias);
}

symclone_status symclone_layer_create_group_conv(symclone_layer **out, int orientations,
                                           int in_channels, int out_channels, int kernel,
                                           int height, int width, symclone_padding padding,
                                           int bias) {
  return conv_common(out, SYMCLONE_LAYER_GROUP_CONV, orientations, in_channels, out_channels,
                     kernel, height, width, padding, bias);
}

symclone_status symclone_layer_create_dihedral_lifting(symclone_layer **out, int rotations,
                                                      int in_channels, int out_channels,
                                                      int kernel, int height, int width,
                                                      symclone_padding padding, int bias) {
  return conv_common(out, SYMCLONE_LAYER_DIHEDRAL_LIFTING, rotations, in_channels, out_channels,
                     kernel, height, width, padding, bias);
}

symclone_status symclone_layer_create_dihedral_group_conv(symclone_layer **out, int rotations,
                                                         int in_channels, int out_channels,
                                                         int kernel, int height, int width,
                                                         symclone_padding padding, int bias) {
  return conv_common(out, SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, rotations, in_channels,
                     out_channels, kernel, height, width, padding, bias);
}

symclone_status symclone_layer_create_dense(symclone_layer **out, int in_features, int out_features,
                                      int bias) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (in_features < 1 || out_features < 1) return SYMCLONE_ERR_SIZE;
  size_t wc;
  if (sym_mul_size((size_t)in_features, (size_t)out_features, &wc) ||
      wc > SIZE_MAX / sizeof(float) / 2)
    return SYMCLONE_ERR_OVERFLOW;
  symclone_layer *l = sym_layer_alloc(SYMCLONE_LAYER_DENSE);
  if (!l) return SYMCLONE_ERR_NOMEM;
  l->in_c = in_features;
  l->in_h = l->in_w = 1;
  l->out_c = out_features;
  l->out_h = l->out_w = 1;
  l->bias = bias ? 1 : 0;
  sym_layer_finish_sizes(l);
  l->weight_count = wc;
  l->param_count = wc + (size_t)(l->bias ? out_features : 0);
  *out = l;
  return SYMCLONE_OK;
}

static symclone_status simple_common(symclone_layer **out, symclone_layer_kind kind, int c, int n,
                                     int h, int w) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (c < 1 || h < 1 || w < 1) return SYMCLONE_ERR_SIZE;
  if (n < 1) return SYMCLONE_ERR_GROUP;
  if (kind == SYMCLONE_LAYER_MAXPOOL2 && (h < 2 || w < 2)) return SYMCLONE_ERR_SIZE;
  symclone_layer *l = sym_layer_alloc(kind);
  if (!l) return SYMCLONE_ERR_NOMEM;
  l->in_c = l->out_c = c;
  l->in_n = l->out_n = n;
  l->in_h = l->out_h = h;
  l->in_w = l->out_w = w;
  if (kind == SYMCLONE_LAYER_MAXPOOL2) {
    l->out_h = h / 2;
    l->out_w = w / 2;
  } else if (kind == SYMCLONE_LAYER_ORIENT_POOL) {
    l->out_n = 1;
  } else if (kind == SYMCLONE_LAYER_GLOBAL_AVGPOOL) {
    l->out_h = l->out_w = 1;
  }
  if (sym_layer_finish_sizes(l)) {
    sym_free(l);
    return SYMCLONE_ERR_OVERFLOW;
  }
  *out = l;
  return SYMCLONE_OK;
}

symclone_status symclone_layer_create_relu(symclone_layer **out, int channels, int orientations,
                                     int height, int width) {
  return simple_common(out, SYMCLONE_LAYER_RELU, channels, orientations, height, width);
}

symclone_status symclone_layer_create_maxpool2(symclone_layer **out, int channels, int orientations,
                                         int height, int width) {
  return simple_common(out, SYMCLONE_LAYER_MAXPOOL2, channels, orientations, height, width);
}

symclone_status symclone_layer_create_orient_pool(symclone_layer **out, int channels, int orientations,
                                            int height, int width, symclone_pool_mode mode) {
  if (out && mode != SYMCLONE_POOL_MAX && mode != SYMCLONE_POOL_MEAN) return SYMCLONE_ERR_ARG;
  symclone_status st =
      simple_common(out, SYMCLONE_LAYER_ORIENT_POOL, channels, orientations, height, width);
  if (!st) (*out)->mode = mode;
  return st;
}

symclone_status symclone_layer_create_global_avgpool(symclone_layer **out, int channels,
                                               int orientations, int height, int width) {
  return simple_common(out, SYMCLONE_LAYER_GLOBAL_AVGPOOL, channels, orientations, height, width);
}

void symclone_layer_free(symclone_layer *layer) { sym_free(layer); }

symclone_layer_kind symclone_layer_kind_of(const symclone_layer *l) {
  return l ? l->kind : (symclone_layer_kind)0;
}

symclone_status symclone_layer_input_shape(const symclone_layer *l, int shape[4]) {
  if (!l) return SYMCLONE_ERR_NULL;
  if (!shape) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "shape is NULL");
  shape[0] = l->in_c;
  shape[1] = l->in_n;
  shape[2] = l->in_h;
  shape[3] = l->in_w;
  return SYMCLONE_OK;
}

symclone_status symclone_layer_output_shape(const symclone_layer *l, int shape[4]) {
  if (!l) return SYMCLONE_ERR_NULL;
  if (!shape) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "shape is NULL");
  shape[0] = l->out_c;
  shape[1] = l->out_n;
  shape[2] = l->out_h;
  shape[3] = l->out_w;
  return SYMCLONE_OK;
}

size_t symclone_layer_input_size(const symclone_layer *l) { return l ? l->in_size : 0; }
size_t symclone_layer_output_size(const symclone_layer *l) { return l ? l->out_size : 0; }
size_t symclone_layer_param_count(const symclone_layer *l) { return l ? l->param_count : 0; }
size_t symclone_layer_weight_count(const symclone_layer *l) { return l ? l->weight_count : 0; }
int symclone_layer_kernel(const symclone_layer *l) { return l ? l->k : 0; }
int symclone_layer_orientations(const symclone_layer *l) { return l ? l->out_n : 0; }
symclone_padding symclone_layer_padding(const symclone_layer *l) {
  return l ? (symclone_padding)l->pad : SYMCLONE_PADDING_NONE;
}

static int is_conv(const symclone_layer *l) {
  return l->kind == SYMCLONE_LAYER_CONV2D || l->kind == SYMCLONE_LAYER_LIFTING ||
         l->kind == SYMCLONE_LAYER_GROUP_CONV || l->kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING ||
         l->kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
}

int symclone_layer_is_linear(const symclone_layer *l) {
  if (!l) return 0;
  return is_conv(l) || l->kind == SYMCLONE_LAYER_DENSE ||
         l->kind == SYMCLONE_LAYER_GLOBAL_AVGPOOL ||
         (l->kind == SYMCLONE_LAYER_ORIENT_POOL && l->mode == SYMCLONE_POOL_MEAN);
}

size_t sym_layer_workspace_threads(const symclone_layer *l, size_t batch, int threads) {
  if (!l) return 0;
  return is_conv(l) ? sym_conv_workspace(l, batch, threads) : sym_simple_workspace(l, batch);
}

size_t symclone_layer_workspace_size(const symclone_layer *l, size_t batch) {
  return sym_layer_workspace_threads(l, batch, 1);
}

symclone_status symclone_layer_init_params(const symclone_layer *l, uint64_t seed, float *params) {
  if (!l) return SYMCLONE_ERR_NULL;
  if (l->param_count == 0) return SYMCLONE_OK;
  if (!params) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "params is NULL");
  size_t fan_in = l->kind == SYMCLONE_LAYER_DENSE ? l->in_size : (size_t)l->ckk;
  double bound = sqrt(6.0 / (double)fan_in);
  sym_rng rng;
  sym_rng_seed(&rng, seed);
  for (size_t j = 0; j < l->weight_count; j++)
    params[j] = (float)((2.0 * sym_rng_uniform(&rng) - 1.0) * bound);
  for (size_t j = l->weight_count; j < l->param_count; j++) params[j] = 0.0f;
  return SYMCLONE_OK;
}

/* Checks common to forward and backward. */
static symclone_status check_call(const symclone_layer *l, const float *params, size_t batch,
                                  const float *x, const float *y_or_dy, const char *yname) {
  if (l->param_count && !params)
    return sym_fail(&l->err, SYMCLONE_ERR_NULL, "params is NULL but the layer has %zu parameters",
                    l->param_count);
  if (!x) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "x is NULL");
  if (!y_or_dy) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "%s is NULL", yname);
  if (batch == 0) return sym_fail(&l->err, SYMCLONE_ERR_SIZE, "batch is 0");
  size_t t;
  if (sym_mul_size(batch, l->in_size > l->out_size ? l->in_size : l->out_size, &t) ||
      t > SIZE_MAX / sizeof(float) || batch > (size_t)INT_MAX)
    return sym_fail(&l->err, SYMCLONE_ERR_OVERFLOW, "batch=%zu overflows the field sizes", batch);
  return SYMCLONE_OK;
}

static symclone_status get_work(const symclone_layer *l, size_t batch, int threads, void *work,
                                void **owned, void **use) {
  *owned = NULL;
  *use = work;
  size_t need = sym_layer_workspace_threads(l, batch, threads);
  if (!work && need) {
    *owned = sym_malloc(need);
    if (!*owned) return sym_fail(&l->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu bytes", need);
    *use = *owned;
  }
  return SYMCLONE_OK;
}

symclone_status sym_layer_forward_pool(const symclone_layer *l, sym_pool *pool, const float *params,
                                       size_t batch, const float *x, float *y, void *work) {
  if (!l) return SYMCLONE_ERR_NULL;
  symclone_status st = check_call(l, params, batch, x, y, "y");
  if (st) return st;
  if (!is_conv(l)) return sym_simple_forward(l, params, batch, x, y);
  void *owned, *use;
  if ((st = get_work(l, batch, sym_pool_threads(pool), work, &owned, &use))) return st;
  st = sym_conv_forward(l, pool, params, batch, x, y, use);
  sym_free(owned);
  return st;
}

symclone_status symclone_layer_forward(const symclone_layer *l, const float *params, size_t batch,
                                       const float *x, float *y, void *work) {
  return sym_layer_forward_pool(l, NULL, params, batch, x, y, work);
}

symclone_status sym_layer_backward_pool(const symclone_layer *l, sym_pool *pool,
                                        const float *params, size_t batch, const float *x,
                                        const float *dy, float *dx, float *dparams, void *work) {
  if (!l) return SYMCLONE_ERR_NULL;
  symclone_status st = check_call(l, params, batch, x, dy, "dy");
  if (st) return st;
  if (!is_conv(l)) return sym_simple_backward(l, params, batch, x, dy, dx, dparams);
  void *owned, *use;
  if ((st = get_work(l, batch, sym_pool_threads(pool), work, &owned, &use))) return st;
  st = sym_conv_backward(l, pool, params, batch, x, dy, dx, dparams, use);
  sym_free(owned);
  return st;
}

symclone_status symclone_layer_backward(const symclone_layer *l, const float *params, size_t batch,
                                        const float *x, const float *dy, float *dx, float *dparams,
                                        void *work) {
  return sym_layer_backward_pool(l, NULL, params, batch, x, dy, dx, dparams, work);
}

symclone_status symclone_layer_unroll(const symclone_layer *l, const float *params,
                                      float *matrix) {
  if (!l) return SYMCLONE_ERR_NULL;
  if (!symclone_layer_is_linear(l))
    return sym_fail(&l->err, SYMCLONE_ERR_UNSUPPORTED, "layer kind %d is not linear", l->kind);
  if (l->param_count && !params) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "params is NULL");
  if (!matrix) return sym_fail(&l->err, SYMCLONE_ERR_NULL, "matrix is NULL");
  size_t cells;
  if (sym_mul_size(l->in_size, l->out_size, &cells) || cells > SIZE_MAX / sizeof(float))
    return sym_fail(&l->err, SYMCLONE_ERR_OVERFLOW, "the %zux%zu matrix overflows", l->out_size,
                    l->in_size);
  if (!is_conv(l)) return sym_simple_unroll(l, params, matrix);
  void *owned;
  void *use;
  symclone_status st = get_work(l, 0, 1, NULL, &owned, &use);
  if (st) return st;
  st = sym_conv_unroll(l, params, matrix, use);
  sym_free(owned);
  return st;
}

const char *symclone_layer_last_error(const symclone_layer *l) { return l ? l->err.msg : ""; }
