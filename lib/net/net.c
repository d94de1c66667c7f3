/* The network handle: layers, parameters and settings. */
#include <math.h>
#include <string.h>

#include "net_priv.h"

symclone_status symclone_net_set(symclone_net *net, symclone_setting key, double value) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = sym_settings_store(&net->err, SYM_SETTINGS_NET, net->setting, key, value);
  if (st) return st;
  if (key == SYMCLONE_NET_SEED) sym_rng_seed(&net->rng, (uint64_t)value ^ 0x5eedULL);
  return SYMCLONE_OK;
}

symclone_status symclone_net_get(const symclone_net *net, symclone_setting key, double *value) {
  if (!net) return SYMCLONE_ERR_NULL;
  return sym_settings_load(&net->err, SYM_SETTINGS_NET, net->setting, key, value);
}

symclone_status symclone_net_set_progress(symclone_net *net, symclone_net_progress_fn fn,
                                          void *user) {
  if (!net) return SYMCLONE_ERR_NULL;
  net->progress = fn;
  net->user = user;
  return SYMCLONE_OK;
}

symclone_status symclone_net_create(symclone_net **out, int channels, int orientations,
                                    int height, int width) {
  if (!out) return SYMCLONE_ERR_NULL;
  if (channels < 1 || orientations < 1 || height < 1 || width < 1) return SYMCLONE_ERR_SIZE;
  int t;
  if (sym_mul_int(channels, orientations, &t) || sym_mul_int(t, height, &t) ||
      sym_mul_int(t, width, &t))
    return SYMCLONE_ERR_OVERFLOW;
  symclone_net *net = sym_calloc(1, sizeof *net);
  if (!net) return SYMCLONE_ERR_NOMEM;
  net->in_shape[0] = channels;
  net->in_shape[1] = orientations;
  net->in_shape[2] = height;
  net->in_shape[3] = width;
  net->in_size = (size_t)t;
  sym_settings_init(SYM_SETTINGS_NET, net->setting);
  sym_rng_seed(&net->rng, 0x5eedULL);
  sym_err_init(&net->err);
  *out = net;
  return SYMCLONE_OK;
}

void sym_net_free_scratch(symclone_net *net) {
  if (net->act)
    for (int l = 0; l < net->count; l++) sym_free(net->act[l]);
  sym_free(net->act);
  sym_free(net->dbuf[0]);
  sym_free(net->dbuf[1]);
  sym_free(net->work);
  sym_free(net->cscratch);
  sym_free(net->xb);
  sym_free(net->lb);
  net->act = NULL;
  net->dbuf[0] = net->dbuf[1] = net->cscratch = net->xb = NULL;
  net->lb = NULL;
  net->work = NULL;
  net->work_bytes = 0;
  net->scap = 0;
}

static void layer_free(sym_net_layer *L) {
  if (L->kind == SYMCLONE_LAYER_CLONED) {
    sym_net_cloned_free(L);
    return;
  }
  symclone_layer_free(L->layer);
  sym_free(L->params);
  sym_free(L->grad);
  sym_free(L->m);
  sym_free(L->v);
}

void symclone_net_free(symclone_net *net) {
  if (!net) return;
  sym_net_free_scratch(net);
  sym_pool_free(net->pool);
  sym_free(net->order);
  for (int l = 0; l < net->count; l++) layer_free(&net->layers[l]);
  sym_free(net->layers);
  sym_free(net);
}

/* Current output shape (the input shape when empty). */
static const int *cur_shape(const symclone_net *net) {
  return net->count ? net->layers[net->count - 1].out_shape : net->in_shape;
}
static size_t cur_size(const symclone_net *net) {
  return net->count ? net->layers[net->count - 1].out_size : net->in_size;
}

/* What the current output's orientation axis is: a Dn group field
 * (FIELD_DIHEDRAL) if the last layer that set the axis is a dihedral
 * convolution, a Cn one or planar (FIELD_CYCLIC) if it is another layer,
 * and as given (FIELD_INPUT) when no layer has set it yet. */
enum { FIELD_INPUT = -1, FIELD_CYCLIC = 0, FIELD_DIHEDRAL = 1 };
static int cur_field_group(const symclone_net *net) {
  for (int l = net->count - 1; l >= 0; l--) {
    switch (net->layers[l].kind) {
    case SYMCLONE_LAYER_DIHEDRAL_LIFTING:
    case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV: return FIELD_DIHEDRAL;
    case SYMCLONE_LAYER_CLONED:
      return net->layers[l].st.kind == SYMCLONE_STUDENT_DIHEDRAL_LIFTING ||
                     net->layers[l].st.kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP
                 ? FIELD_DIHEDRAL
                 : FIELD_CYCLIC;
    case SYMCLONE_LAYER_RELU:
    case SYMCLONE_LAYER_MAXPOOL2:
    case SYMCLONE_LAYER_GLOBAL_AVGPOOL: continue;
    default: return FIELD_CYCLIC;
    }
  }
  return FIELD_INPUT;
}

static uint64_t layer_seed(const symclone_net *net, int index) {
  uint64_t z = (uint64_t)sym_net_setting(net, SYMCLONE_NET_SEED) * 0x9E3779B97F4A7C15ULL +
               (uint64_t)index + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  return z ^ (z >> 27);
}

/* Make room for one more layer; scratch is rebuilt lazily. */
static symclone_status grow(symclone_net *net) {
  sym_net_free_scratch(net);
  if (net->count < net->cap) return SYMCLONE_OK;
  int cap = net->cap ? 2 * net->cap : 8;
  sym_net_layer *nl = sym_calloc((size_t)cap, sizeof *nl);
  if (!nl) return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot grow the layer list");
  if (net->count) memcpy(nl, net->layers, (size_t)net->count * sizeof *nl);
  sym_free(net->layers);
  net->layers = nl;
  net->cap = cap;
  /* cloned layers point into their own arrays: nothing else to fix */
  return SYMCLONE_OK;
}

static void commit(symclone_net *net, sym_net_layer *L) {
  L->offset = net->nparams;
  net->nparams += L->nparams;
  net->ntrain += L->ntrain;
  net->layers[net->count++] = *L;
  /* the student copy points into L->params, which moved with it: no fix needed */
}

symclone_status symclone_net_add_layer(symclone_net *net, symclone_layer *layer) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!layer) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "layer is NULL");
  sym_net_layer L;
  memset(&L, 0, sizeof L);
  L.kind = (int)symclone_layer_kind_of(layer);
  symclone_layer_input_shape(layer, L.in_shape);
  symclone_layer_output_shape(layer, L.out_shape);
  L.in_size = symclone_layer_input_size(layer);
  L.out_size = symclone_layer_output_size(layer);
  const int *cs = cur_shape(net);
  int field = cur_field_group(net);
  if (L.kind == SYMCLONE_LAYER_GROUP_CONV && field == FIELD_DIHEDRAL)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "a Cn group convolution after a Dn field of %d orientations (use a dihedral "
                    "group convolution)",
                    cs[1]);
  if (L.kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV && field == FIELD_CYCLIC)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "a dihedral group convolution after a field of %d orientations that is not "
                    "a Dn field",
                    cs[1]);
  if (L.kind == SYMCLONE_LAYER_DENSE) {
    if (L.in_size != cur_size(net))
      return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                      "dense layer takes %zu features, the network gives %zu", L.in_size,
                      cur_size(net));
  } else if (memcmp(L.in_shape, cs, sizeof L.in_shape) != 0) {
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "layer takes [%d][%d][%d][%d], the network gives [%d][%d][%d][%d]",
                    L.in_shape[0], L.in_shape[1], L.in_shape[2], L.in_shape[3], cs[0], cs[1],
                    cs[2], cs[3]);
  }
  symclone_status st = grow(net);
  if (st) return st;
  L.nparams = L.ntrain = symclone_layer_param_count(layer);
  L.nweights = symclone_layer_weight_count(layer);
  if (L.nparams) {
    L.params = sym_calloc(L.nparams, sizeof(float));
    L.grad = sym_calloc(L.nparams, sizeof(float));
    L.m = sym_calloc(L.nparams, sizeof(float));
    L.v = sym_calloc(L.nparams, sizeof(float));
    if (!L.params || !L.grad || !L.m || !L.v) {
      L.layer = NULL;
      layer_free(&L);
      return sym_fail(&net->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu parameters", L.nparams);
    }
    symclone_layer_init_params(layer, layer_seed(net, net->count), L.params);
  }
  L.layer = layer;
  commit(net, &L);
  return SYMCLONE_OK;
}

/* Create a layer from the current shape, then add it (freeing it if that fails). */
static symclone_status add_created(symclone_net *net, symclone_status st, symclone_layer *layer) {
  if (st) return sym_fail(&net->err, st, "cannot create the layer: %s", symclone_strerror(st));
  st = symclone_net_add_layer(net, layer);
  if (st) symclone_layer_free(layer);
  return st;
}

static symclone_status need_planar(symclone_net *net, const char *what) {
  if (cur_shape(net)[1] != 1)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "%s needs a planar field, the network gives %d orientations", what,
                    cur_shape(net)[1]);
  return SYMCLONE_OK;
}

symclone_status symclone_net_add_conv2d(symclone_net *net, int out_channels, int kernel,
                                        symclone_padding padding, int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = need_planar(net, "conv2d");
  if (st) return st;
  const int *s = cur_shape(net);
  symclone_layer *l = NULL;
  symclone_status made =
      symclone_layer_create_conv2d(&l, s[0], out_channels, kernel, s[2], s[3], padding, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_lifting(symclone_net *net, int orientations, int out_channels,
                                         int kernel, symclone_padding padding, int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = need_planar(net, "a lifting layer");
  if (st) return st;
  const int *s = cur_shape(net);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_lifting(&l, orientations, s[0], out_channels, kernel,
                                                       s[2], s[3], padding, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_group_conv(symclone_net *net, int out_channels, int kernel,
                                            symclone_padding padding, int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  if (s[1] < 2)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE, "a group convolution needs a group field");
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_group_conv(&l, s[1], s[0], out_channels, kernel,
                                                          s[2], s[3], padding, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_dihedral_lifting(symclone_net *net, int rotations,
                                                  int out_channels, int kernel,
                                                  symclone_padding padding, int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  symclone_status st = need_planar(net, "a dihedral lifting layer");
  if (st) return st;
  const int *s = cur_shape(net);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_dihedral_lifting(
      &l, rotations, s[0], out_channels, kernel, s[2], s[3], padding, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_dihedral_group_conv(symclone_net *net, int out_channels,
                                                     int kernel, symclone_padding padding,
                                                     int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  if (s[1] < 2 || s[1] % 2)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "a dihedral group convolution needs a field of 2n orientations, the network "
                    "gives %d",
                    s[1]);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_dihedral_group_conv(
      &l, s[1] / 2, s[0], out_channels, kernel, s[2], s[3], padding, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_dense(symclone_net *net, int out_features, int bias) {
  if (!net) return SYMCLONE_ERR_NULL;
  size_t n = cur_size(net);
  if (n > (size_t)INT32_MAX) return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "too many features");
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_dense(&l, (int)n, out_features, bias);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_relu(symclone_net *net) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_relu(&l, s[0], s[1], s[2], s[3]);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_maxpool2(symclone_net *net) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  if (s[2] < 2 || s[3] < 2)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "max-pooling needs at least 2x2, the network gives %dx%d", s[2], s[3]);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_maxpool2(&l, s[0], s[1], s[2], s[3]);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_orient_pool(symclone_net *net, symclone_pool_mode mode) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  if (s[1] < 2)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE, "orientation pooling needs a group field");
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_orient_pool(&l, s[0], s[1], s[2], s[3], mode);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_global_avgpool(symclone_net *net) {
  if (!net) return SYMCLONE_ERR_NULL;
  const int *s = cur_shape(net);
  symclone_layer *l = NULL;
  symclone_status made = symclone_layer_create_global_avgpool(&l, s[0], s[1], s[2], s[3]);
  return add_created(net, made, l);
}

symclone_status symclone_net_add_cloned(symclone_net *net, const symclone_student *student,
                                        int out_channels, symclone_clone_mode mode, double beta) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!student) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "student is NULL");
  if (out_channels < 1)
    return sym_fail(&net->err, SYMCLONE_ERR_SIZE, "out_channels=%d < 1", out_channels);
  if (mode != SYMCLONE_CLONE_RETAIN && mode != SYMCLONE_CLONE_BREAK)
    return sym_fail(&net->err, SYMCLONE_ERR_ARG, "mode=%d is not a clone mode", (int)mode);
  if (!isfinite(beta) || beta < 0)
    return sym_fail(&net->err, SYMCLONE_ERR_ARG, "beta=%g must be finite and >= 0", beta);
  int sin[4], sout[4];
  symclone_student_input_shape(student, sin);
  symclone_student_output_shape(student, sout);
  const int *cs = cur_shape(net);
  if (cs[1] != sin[1] || cs[2] != sin[2] || cs[3] != sin[3])
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "the student takes [%d][%d][%d], the network gives [%d][%d][%d]", sin[1],
                    sin[2], sin[3], cs[1], cs[2], cs[3]);
  /* a group student takes the group field it was cloned for: the same
   * number of orientations is not enough (C8 and D4 both have 8) */
  symclone_student_kind kind = symclone_student_kind_of(student);
  int field = cur_field_group(net);
  if (kind == SYMCLONE_STUDENT_GROUP && field == FIELD_DIHEDRAL)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "a cloned Cn group convolution after a Dn field of %d orientations (clone a "
                    "dihedral group convolution)",
                    cs[1]);
  if (kind == SYMCLONE_STUDENT_DIHEDRAL_GROUP && field == FIELD_CYCLIC)
    return sym_fail(&net->err, SYMCLONE_ERR_SHAPE,
                    "a cloned dihedral group convolution after a field of %d orientations that is "
                    "not a Dn field",
                    cs[1]);
  int cin = cs[0], t;
  if (sym_mul_int(out_channels, sout[1], &t) || sym_mul_int(t, sout[2], &t) ||
      sym_mul_int(t, sout[3], &t))
    return sym_fail(&net->err, SYMCLONE_ERR_OVERFLOW, "out_channels=%d overflows", out_channels);
  symclone_status st = grow(net);
  if (st) return st;
  sym_net_layer L;
  memset(&L, 0, sizeof L);
  st = sym_net_cloned_init(net, &L, student, cin, out_channels, mode, beta);
  if (st) return st;
  memcpy(L.in_shape, cs, sizeof L.in_shape);
  L.out_shape[0] = out_channels;
  L.out_shape[1] = sout[1];
  L.out_shape[2] = sout[2];
  L.out_shape[3] = sout[3];
  L.in_size = cur_size(net);
  L.out_size = (size_t)t;
  /* theta ~ U(+-sqrt(6 / fan_in)), fan_in = Cin * P; bias 0 */
  sym_rng r;
  sym_rng_seed(&r, layer_seed(net, net->count));
  float bound = (float)sqrt(6.0 / ((double)cin * student->p));
  for (size_t j = 0; j < L.ntheta; j++)
    L.params[j] = bound * (float)(2.0 * sym_rng_uniform(&r) - 1.0);
  commit(net, &L);
  return SYMCLONE_OK;
}

/* ---- queries ---- */

int symclone_net_layer_count(const symclone_net *net) { return net ? net->count : 0; }

symclone_layer_kind symclone_net_layer_kind(const symclone_net *net, int index) {
  if (!net || index < 0 || index >= net->count) return (symclone_layer_kind)0;
  return net->layers[index].kind;
}

static symclone_status shape_out(const symclone_net *net, const int *s, int shape[4]) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!shape) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "shape is NULL");
  memcpy(shape, s, 4 * sizeof(int));
  return SYMCLONE_OK;
}

symclone_status symclone_net_input_shape(const symclone_net *net, int shape[4]) {
  return shape_out(net, net ? net->in_shape : NULL, shape);
}
symclone_status symclone_net_output_shape(const symclone_net *net, int shape[4]) {
  return shape_out(net, net ? cur_shape(net) : NULL, shape);
}
size_t symclone_net_input_size(const symclone_net *net) { return net ? net->in_size : 0; }
size_t symclone_net_output_size(const symclone_net *net) { return net ? cur_size(net) : 0; }
size_t symclone_net_param_count(const symclone_net *net) { return net ? net->nparams : 0; }
size_t symclone_net_trainable_count(const symclone_net *net) { return net ? net->ntrain : 0; }
long long symclone_net_epochs_done(const symclone_net *net) { return net ? net->epochs_done : 0; }

symclone_status symclone_net_layer_params(const symclone_net *net, int index, size_t *offset,
                                          size_t *count, size_t *trainable) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (index < 0 || index >= net->count)
    return sym_fail(&net->err, SYMCLONE_ERR_ARG, "index=%d outside [0, %d)", index, net->count);
  const sym_net_layer *L = &net->layers[index];
  if (offset) *offset = L->offset;
  if (count) *count = L->nparams;
  if (trainable) *trainable = L->ntrain;
  return SYMCLONE_OK;
}

static symclone_status copy_params(const symclone_net *net, float *dst, const float *src,
                                   size_t count) {
  if (count != net->nparams)
    return sym_fail(&net->err, SYMCLONE_ERR_SIZE, "count=%zu, the network has %zu parameters",
                    count, net->nparams);
  for (int l = 0; l < net->count; l++) {
    sym_net_layer *L = &net->layers[l];
    if (!L->nparams) continue;
    if (dst)
      memcpy(dst + L->offset, L->params, L->nparams * sizeof(float));
    else {
      memcpy(L->params, src + L->offset, L->nparams * sizeof(float));
      L->wt_valid = 0; /* a cloned layer's blocks may have changed */
    }
  }
  return SYMCLONE_OK;
}

symclone_status symclone_net_get_params(const symclone_net *net, float *dst, size_t count) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!dst) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "dst is NULL");
  return copy_params(net, dst, NULL, count);
}

symclone_status symclone_net_set_params(symclone_net *net, const float *src, size_t count) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!src) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "src is NULL");
  return copy_params(net, NULL, src, count);
}

const char *symclone_net_last_error(const symclone_net *net) {
  return net ? net->err.msg : "";
}
