/* Network export and import (<symclone/interchange.h>; docs/file-format.md,
 * "Networks"): every layer's parameters as tensors "layers.<i>.<part>" in
 * PyTorch's layouts and its geometry as metadata "layers.<i>.<key>", so
 * that the file alone rebuilds the network.
 *
 * Import reads the whole file, checks the metadata of every layer, the
 * chain of declared shapes, every tensor's name, dtype, shape and values
 * and the memory the network will take against the loader's budget, and
 * only then builds the network with the symclone_net_add_* calls (whose
 * shapes must agree with the declared ones) and copies the parameters. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fileio.h"
#include "../common/loader_priv.h"
#include "../net/net_priv.h"
#include "interchange_priv.h"
#include <symclone/version.h>

#define MAX_LAYERS 1024
#define MAX_DIM (1 << 20)

/* Names of the layer kinds, by symclone_layer_kind. */
static const char *const kind_names[12] = {
    NULL,       "conv2d",        "lifting", "group_conv",       "relu",
    "maxpool2", "orient_pool",   "global_avgpool", "dense",    "cloned",
    "dihedral_lifting", "dihedral_group_conv"};

static int is_conv(int kind) {
  return kind == SYMCLONE_LAYER_CONV2D || kind == SYMCLONE_LAYER_LIFTING ||
         kind == SYMCLONE_LAYER_GROUP_CONV || kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING ||
         kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
}

static int is_dihedral(int kind) {
  return kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING || kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
}

/* Orientations of a conv-family layer's filter slices: the group's order
 * for a group convolution, 1 otherwise. */
static int slices(int kind, int rotations) {
  if (kind == SYMCLONE_LAYER_GROUP_CONV) return rotations;
  if (kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV) return 2 * rotations;
  return 1;
}

/* The weight (or theta) shape: [out, in, (slices,) k, k]. */
static int conv_shape(int out, int in, int sl, int k, int group_input, uint64_t dims[5]) {
  int nd = 0;
  dims[nd++] = (uint64_t)out;
  dims[nd++] = (uint64_t)in;
  if (group_input) dims[nd++] = (uint64_t)sl;
  dims[nd++] = (uint64_t)k;
  dims[nd++] = (uint64_t)k;
  return nd;
}

/* ---- export ---- */

typedef struct writer {
  sym_ix_file file;
  symclone_status st;
} writer;

static void meta(writer *w, const char *prefix, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void meta(writer *w, const char *prefix, const char *key, const char *fmt, ...) {
  if (w->st) return;
  char k[SYM_IX_KEY_LEN], v[SYM_IX_VALUE_LEN];
  snprintf(k, sizeof k, "%s%s", prefix, key);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v, sizeof v, fmt, ap);
  va_end(ap);
  sym_ix_fail f;
  if (sym_ix_put_meta(&w->file, k, 1, v, 0, &f)) w->st = f.status;
}

static void tensor(writer *w, const char *prefix, const char *part, int ndim,
                   const uint64_t *dims, const float *floats, size_t count) {
  if (w->st) return;
  char name[SYM_IX_NAME_LEN];
  snprintf(name, sizeof name, "%s%s", prefix, part);
  w->st = sym_ix_put_tensor(&w->file, name, ndim, dims, floats, count);
}

static void shape_meta(writer *w, const char *prefix, const char *key, const int s[4]) {
  meta(w, prefix, key, "%d,%d,%d,%d", s[0], s[1], s[2], s[3]);
}

static void export_layer(writer *w, const sym_net_layer *L, int index) {
  char p[32];
  snprintf(p, sizeof p, "layers.%d.", index);
  meta(w, p, "kind", "%s", kind_names[L->kind]);
  shape_meta(w, p, "input_shape", L->in_shape);
  shape_meta(w, p, "output_shape", L->out_shape);
  if (L->kind == SYMCLONE_LAYER_CLONED) {
    const symclone_student *s = &L->st;
    meta(w, p, "in_channels", "%d", L->cin);
    meta(w, p, "out_channels", "%d", L->cout);
    meta(w, p, "mode", "%s", L->mode == SYMCLONE_CLONE_BREAK ? "break" : "retain");
    meta(w, p, "beta", "%.17g", L->beta);
    uint64_t dims[5], bdim = (uint64_t)L->cout;
    int nd = conv_shape(L->cout, L->cin, s->in_n, s->k, sym_student_has_group_input(s->kind), dims);
    tensor(w, p, "theta", nd, dims, L->params, L->ntheta);
    tensor(w, p, "bias", 1, &bdim, L->params + L->ntheta, (size_t)L->cout);
    if (!w->st) {
      char sp[48];
      snprintf(sp, sizeof sp, "%sstudent.", p);
      w->st = sym_ix_student_put(&w->file, s, s->params, p, sp);
    }
    return;
  }
  const symclone_layer *l = L->layer;
  int bias = symclone_layer_param_count(l) > symclone_layer_weight_count(l);
  if (L->kind == SYMCLONE_LAYER_ORIENT_POOL)
    meta(w, p, "mode", "%s", symclone_layer_is_linear(l) ? "mean" : "max");
  if (L->kind == SYMCLONE_LAYER_DENSE) {
    int in = (int)symclone_layer_input_size(l), out = (int)symclone_layer_output_size(l);
    uint64_t dims[2] = {(uint64_t)out, (uint64_t)in}, bdim = (uint64_t)out;
    meta(w, p, "in_features", "%d", in);
    meta(w, p, "out_features", "%d", out);
    meta(w, p, "bias", "%d", bias);
    tensor(w, p, "weight", 2, dims, L->params, L->nweights);
    if (bias) tensor(w, p, "bias", 1, &bdim, L->params + L->nweights, (size_t)out);
  }
  if (!is_conv(L->kind)) return;
  int order = symclone_layer_orientations(l), k = symclone_layer_kernel(l);
  int rot = L->kind == SYMCLONE_LAYER_CONV2D ? 1 : is_dihedral(L->kind) ? order / 2 : order;
  if (L->kind == SYMCLONE_LAYER_CONV2D)
    meta(w, p, "group", "T2");
  else
    meta(w, p, "group", "%c%d", is_dihedral(L->kind) ? 'D' : 'C', rot);
  meta(w, p, "rotations", "%d", rot);
  meta(w, p, "in_channels", "%d", L->in_shape[0]);
  meta(w, p, "out_channels", "%d", L->out_shape[0]);
  meta(w, p, "kernel", "%d", k);
  meta(w, p, "padding", "%s", sym_ix_padding_names[symclone_layer_padding(l)]);
  meta(w, p, "bias", "%d", bias);
  uint64_t dims[5], bdim = (uint64_t)L->out_shape[0];
  int sl = slices(L->kind, rot);
  int group_in = L->kind == SYMCLONE_LAYER_GROUP_CONV ||
                 L->kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
  int nd = conv_shape(L->out_shape[0], L->in_shape[0], sl, k, group_in, dims);
  tensor(w, p, "weight", nd, dims, L->params, L->nweights);
  if (bias) tensor(w, p, "bias", 1, &bdim, L->params + L->nweights, (size_t)L->out_shape[0]);
}

symclone_status symclone_net_export(const symclone_net *net, const char *path,
                                    symclone_format format) {
  if (!net) return SYMCLONE_ERR_NULL;
  if (!path) return sym_fail(&net->err, SYMCLONE_ERR_NULL, "path is NULL");
  if (format != SYMCLONE_FORMAT_SAFETENSORS && format != SYMCLONE_FORMAT_NPZ)
    return sym_ix_write(NULL, path, format, &net->err);
  if (net->count == 0)
    return sym_fail(&net->err, SYMCLONE_ERR_STATE, "cannot export a network without layers");
  for (int l = 0; l < net->count; l++)
    for (size_t i = 0; i < net->layers[l].nparams; i++)
      if (!isfinite(net->layers[l].params[i]))
        return sym_fail(&net->err, SYMCLONE_ERR_DATA,
                        "cannot export to '%s': parameter %zu of layer %d is %s", path, i, l,
                        isnan(net->layers[l].params[i]) ? "NaN" : "infinite");
  writer w;
  memset(&w, 0, sizeof w);
  meta(&w, "", "format", "symclone-net");
  meta(&w, "", "format_version", "1");
  meta(&w, "", "library_version", "%s", SYMCLONE_VERSION_STRING);
  meta(&w, "", "layers", "%d", net->count);
  shape_meta(&w, "", "input_shape", net->in_shape);
  for (int l = 0; l < net->count; l++) export_layer(&w, &net->layers[l], l);
  symclone_status st = w.st;
  if (st)
    st = sym_fail(&net->err, st, "cannot describe the network for '%s': %s", path,
                  symclone_strerror(st));
  else
    st = sym_ix_write(&w.file, path, format, &net->err);
  sym_ix_file_free(&w.file);
  return st;
}

/* ---- import ---- */

typedef struct spec {
  int kind;
  int in[4], out[4];
  int in_ch, out_ch, kernel, pad, bias, rotations, mode;
  double beta;
  char p[32];                  /* "layers.<i>." */
  const sym_ix_tensor *weight; /* weight or theta */
  const sym_ix_tensor *bias_t;
  symclone_student *student;   /* cloned layers */
} spec;

static symclone_status get(const sym_ix_file *file, const char *prefix, const char *key,
                           const char **value, sym_ix_fail *f) {
  char k[SYM_IX_KEY_LEN + 32];
  snprintf(k, sizeof k, "%s%s", prefix, key);
  const sym_ix_meta *m = sym_ix_meta_find(file, k);
  if (!m) return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' is missing", k);
  if (!m->value_fits)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' is longer than %d bytes", k,
                        SYM_IX_VALUE_LEN - 1);
  *value = m->value;
  return SYMCLONE_OK;
}

/* A decimal in [lo, MAX_DIM]: no sign, no leading zero. */
static int parse_int(const char *s, int lo, int *v) {
  long x = 0;
  if (!s[0] || (s[0] == '0' && s[1])) return -1;
  for (const char *c = s; *c; c++) {
    if (*c < '0' || *c > '9' || x > MAX_DIM) return -1;
    x = x * 10 + (*c - '0');
  }
  if (x < lo || x > MAX_DIM) return -1;
  *v = (int)x;
  return 0;
}

static symclone_status get_int(const sym_ix_file *file, const char *prefix, const char *key,
                               int lo, int *v, sym_ix_fail *f) {
  const char *s;
  symclone_status st = get(file, prefix, key, &s, f);
  if (st) return st;
  if (parse_int(s, lo, v))
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %s%s='%s' is not an integer in [%d, %d]",
                        prefix, key, s, lo, MAX_DIM);
  return SYMCLONE_OK;
}

static symclone_status get_shape(const sym_ix_file *file, const char *prefix, const char *key,
                                 int s[4], sym_ix_fail *f) {
  const char *v;
  symclone_status st = get(file, prefix, key, &v, f);
  if (st) return st;
  char buf[SYM_IX_VALUE_LEN];
  snprintf(buf, sizeof buf, "%s", v);
  char *part = buf;
  for (int i = 0; i < 4; i++) {
    char *comma = strchr(part, ',');
    if ((i < 3) != (comma != NULL)) goto bad;
    if (comma) *comma = '\0';
    if (parse_int(part, 1, &s[i])) goto bad;
    if (comma) part = comma + 1;
  }
  if ((long long)s[0] * s[1] * s[2] * s[3] > INT32_MAX) goto bad;
  return SYMCLONE_OK;
bad:
  return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                      "metadata %s%s='%s' is not four integers 'channels,orientations,height,"
                      "width' of at most %d values",
                      prefix, key, v, INT32_MAX);
}

static int name_index(const char *const *names, int count, const char *s) {
  for (int i = 0; i < count; i++)
    if (names[i] && strcmp(names[i], s) == 0) return i;
  return -1;
}

/* A float32 tensor of the given shape, all values finite (NULL if absent
 * and not required). */
static symclone_status want_tensor(const sym_ix_file *file, const char *prefix, const char *part,
                                   int ndim, const uint64_t *dims, int required,
                                   const sym_ix_tensor **out, sym_ix_fail *f) {
  char name[SYM_IX_NAME_LEN + 32];
  snprintf(name, sizeof name, "%s%s", prefix, part);
  const sym_ix_tensor *t = sym_ix_find(file, name);
  *out = t;
  if (!t) {
    if (required) return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' is missing", name);
    return SYMCLONE_OK;
  }
  if (!required)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' for a layer without it", name);
  if (sym_ix_float_kind(t) != 1)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED, "tensor '%s' has dtype '%s'; only F32 is read",
                        name, t->dtype);
  int same = t->ndim == ndim;
  for (int d = 0; same && d < ndim; d++) same = t->dims[d] == dims[d];
  if (!same) {
    char got[96], exp[96];
    sym_ix_shape_text(t->ndim, t->dims, got, sizeof got);
    sym_ix_shape_text(ndim, dims, exp, sizeof exp);
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' has shape %s, the layer gives %s",
                        name, got, exp);
  }
  for (uint64_t e = 0; e < t->nbytes / 4; e++) {
    float v = sym_get_f32(t->data + 4 * e);
    if (!isfinite(v))
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' element %llu is %s", name,
                          (unsigned long long)e, isnan(v) ? "NaN" : "infinite");
  }
  return SYMCLONE_OK;
}

/* The metadata and tensors of layer i, checked against each other and
 * against the shape the previous layer gives (cur). */
static symclone_status read_spec(const sym_ix_file *file, int i, const int cur[4], spec *sp,
                                 int *ntensors, sym_ix_fail *f) {
  snprintf(sp->p, sizeof sp->p, "layers.%d.", i);
  const char *p = sp->p, *v;
  symclone_status st;
  if ((st = get(file, p, "kind", &v, f))) return st;
  sp->kind = name_index(kind_names, 12, v);
  if (sp->kind < 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %skind='%s' is not a layer kind", p, v);
  if ((st = get_shape(file, p, "input_shape", sp->in, f)) ||
      (st = get_shape(file, p, "output_shape", sp->out, f)))
    return st;
  long long in_size = (long long)sp->in[0] * sp->in[1] * sp->in[2] * sp->in[3];
  long long cur_size = (long long)cur[0] * cur[1] * cur[2] * cur[3];
  /* a dense layer takes any shape of its size, flattened */
  if (sp->kind == SYMCLONE_LAYER_DENSE ? in_size != cur_size
                                       : memcmp(sp->in, cur, sizeof sp->in) != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "layer %d takes [%d][%d][%d][%d], the layers before it give "
                        "[%d][%d][%d][%d]: the layers do not chain",
                        i, sp->in[0], sp->in[1], sp->in[2], sp->in[3], cur[0], cur[1], cur[2],
                        cur[3]);
  uint64_t dims[5], bdim;
  if (sp->kind == SYMCLONE_LAYER_ORIENT_POOL) {
    if ((st = get(file, p, "mode", &v, f))) return st;
    sp->mode = strcmp(v, "max") == 0 ? SYMCLONE_POOL_MAX
               : strcmp(v, "mean") == 0 ? SYMCLONE_POOL_MEAN
                                        : -1;
    if (sp->mode < 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %smode='%s' is not max or mean", p, v);
  } else if (sp->kind == SYMCLONE_LAYER_DENSE) {
    if ((st = get_int(file, p, "in_features", 1, &sp->in_ch, f)) ||
        (st = get_int(file, p, "out_features", 1, &sp->out_ch, f)) ||
        (st = get_int(file, p, "bias", 0, &sp->bias, f)))
      return st;
    if ((long long)sp->in_ch != in_size)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "layer %d: in_features=%d for an input of %lld",
                          i, sp->in_ch, in_size);
    dims[0] = (uint64_t)sp->out_ch, dims[1] = (uint64_t)sp->in_ch, bdim = dims[0];
    if ((st = want_tensor(file, p, "weight", 2, dims, 1, &sp->weight, f)) ||
        (st = want_tensor(file, p, "bias", 1, &bdim, sp->bias > 0, &sp->bias_t, f)))
      return st;
  } else if (sp->kind == SYMCLONE_LAYER_CLONED) {
    char sprefix[48];
    snprintf(sprefix, sizeof sprefix, "%sstudent.", p);
    if ((st = get_int(file, p, "in_channels", 1, &sp->in_ch, f)) ||
        (st = get_int(file, p, "out_channels", 1, &sp->out_ch, f)) ||
        (st = get(file, p, "mode", &v, f)))
      return st;
    sp->mode = strcmp(v, "retain") == 0 ? SYMCLONE_CLONE_RETAIN
               : strcmp(v, "break") == 0 ? SYMCLONE_CLONE_BREAK
                                         : -1;
    if (sp->mode < 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %smode='%s' is not retain or break",
                          p, v);
    if ((st = get(file, p, "beta", &v, f))) return st;
    char *end;
    sp->beta = strtod(v, &end);
    if (end == v || *end || !isfinite(sp->beta) || sp->beta < 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "metadata %sbeta='%s' is not a finite number >= 0",
                          p, v);
    if (sp->in_ch != sp->in[0])
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "layer %d: in_channels=%d, its input has %d", i,
                          sp->in_ch, sp->in[0]);
    /* the student's own checks, then theta against its geometry */
    if ((st = sym_ix_student_build(file, p, sprefix, &sp->student, f))) return st;
    const symclone_student *s = sp->student;
    *ntensors += s->kind == SYMCLONE_STUDENT_PLANAR ? 2 : 3;
    int nd = conv_shape(sp->out_ch, sp->in_ch, s->in_n, s->k, sym_student_has_group_input(s->kind),
                        dims);
    bdim = (uint64_t)sp->out_ch;
    if ((st = want_tensor(file, p, "theta", nd, dims, 1, &sp->weight, f)) ||
        (st = want_tensor(file, p, "bias", 1, &bdim, 1, &sp->bias_t, f)))
      return st;
  } else if (is_conv(sp->kind)) {
    if ((st = get_int(file, p, "in_channels", 1, &sp->in_ch, f)) ||
        (st = get_int(file, p, "out_channels", 1, &sp->out_ch, f)) ||
        (st = get_int(file, p, "kernel", 1, &sp->kernel, f)) ||
        (st = get_int(file, p, "rotations", 1, &sp->rotations, f)) ||
        (st = get_int(file, p, "bias", 0, &sp->bias, f)) || (st = get(file, p, "padding", &v, f)))
      return st;
    sp->pad = name_index(sym_ix_padding_names, 3, v);
    if (sp->pad < 0)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "metadata %spadding='%s' is not valid, zero or circular", p, v);
    if ((st = get(file, p, "group", &v, f))) return st;
    char group[16];
    if (sp->kind == SYMCLONE_LAYER_CONV2D)
      snprintf(group, sizeof group, "T2");
    else
      snprintf(group, sizeof group, "%c%d", is_dihedral(sp->kind) ? 'D' : 'C', sp->rotations);
    if (strcmp(group, v) != 0 || sp->rotations > 360)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "metadata %sgroup='%s', a %s of %d rotations has %s",
                          p, v, kind_names[sp->kind], sp->rotations, group);
    if (sp->in_ch != sp->in[0] || sp->out_ch != sp->out[0])
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "layer %d: in_channels=%d, out_channels=%d for shapes of %d and %d "
                          "channels",
                          i, sp->in_ch, sp->out_ch, sp->in[0], sp->out[0]);
    int sl = slices(sp->kind, sp->rotations);
    int group_in = sp->kind == SYMCLONE_LAYER_GROUP_CONV ||
                   sp->kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
    int nd = conv_shape(sp->out_ch, sp->in_ch, sl, sp->kernel, group_in, dims);
    bdim = (uint64_t)sp->out_ch;
    if ((st = want_tensor(file, p, "weight", nd, dims, 1, &sp->weight, f)) ||
        (st = want_tensor(file, p, "bias", 1, &bdim, sp->bias > 0, &sp->bias_t, f)))
      return st;
  }
  if (sp->bias > 1)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %sbias=%d is not 0 or 1", p, sp->bias);
  *ntensors += (sp->weight != NULL) + (sp->bias_t != NULL);
  return SYMCLONE_OK;
}

/* The memory the network takes: every parameter four times (values,
 * gradient, two moments), a cloned layer's working arrays besides. */
static int cost(const spec *sp, int count, size_t *bytes) {
  size_t total = 0;
  for (int i = 0; i < count; i++) {
    size_t n = 0, x;
    if (sp[i].weight) n += sp[i].weight->nbytes / 4;
    if (sp[i].bias_t) n += sp[i].bias_t->nbytes / 4;
    const symclone_student *s = sp[i].student;
    if (s) {
      size_t pairs = (size_t)sp[i].in_ch * (size_t)sp[i].out_ch, t;
      n += s->nparams * 2; /* the student's parameters and the copy the penalty pulls to */
      if (sym_mul3_size(pairs, (size_t)s->tcount, (size_t)s->pc + 2 * (size_t)s->nblocks, &t) ||
          sym_add_size(n, t, &n))
        return -1;
    }
    if (sym_mul_size(n, 16, &x) || sym_add_size(total, x, &total)) return -1;
  }
  *bytes = total;
  return 0;
}

static void copy_tensor(const sym_ix_tensor *t, float *to) {
  for (uint64_t e = 0; e < t->nbytes / 4; e++) to[e] = sym_get_f32(t->data + 4 * e);
}

/* Add layer sp to net; its shapes must be the declared ones. */
static symclone_status build_layer(symclone_net *net, const spec *sp, int i, sym_ix_fail *f) {
  symclone_status st = SYMCLONE_OK;
  symclone_padding pad = (symclone_padding)sp->pad;
  switch (sp->kind) {
  case SYMCLONE_LAYER_CONV2D:
    st = symclone_net_add_conv2d(net, sp->out_ch, sp->kernel, pad, sp->bias);
    break;
  case SYMCLONE_LAYER_LIFTING:
    st = symclone_net_add_lifting(net, sp->rotations, sp->out_ch, sp->kernel, pad, sp->bias);
    break;
  case SYMCLONE_LAYER_GROUP_CONV:
    st = symclone_net_add_group_conv(net, sp->out_ch, sp->kernel, pad, sp->bias);
    break;
  case SYMCLONE_LAYER_DIHEDRAL_LIFTING:
    st = symclone_net_add_dihedral_lifting(net, sp->rotations, sp->out_ch, sp->kernel, pad,
                                           sp->bias);
    break;
  case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV:
    st = symclone_net_add_dihedral_group_conv(net, sp->out_ch, sp->kernel, pad, sp->bias);
    break;
  case SYMCLONE_LAYER_DENSE: st = symclone_net_add_dense(net, sp->out_ch, sp->bias); break;
  case SYMCLONE_LAYER_RELU: st = symclone_net_add_relu(net); break;
  case SYMCLONE_LAYER_MAXPOOL2: st = symclone_net_add_maxpool2(net); break;
  case SYMCLONE_LAYER_ORIENT_POOL:
    st = symclone_net_add_orient_pool(net, (symclone_pool_mode)sp->mode);
    break;
  case SYMCLONE_LAYER_GLOBAL_AVGPOOL: st = symclone_net_add_global_avgpool(net); break;
  case SYMCLONE_LAYER_CLONED:
    st = symclone_net_add_cloned(net, sp->student, sp->out_ch, (symclone_clone_mode)sp->mode,
                                 sp->beta);
    break;
  default: break;
  }
  if (st)
    return sym_ix_failf(f, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                        "layer %d (%s): %s", i, kind_names[sp->kind], symclone_net_last_error(net));
  sym_net_layer *L = &net->layers[net->count - 1];
  if (memcmp(L->out_shape, sp->out, sizeof L->out_shape) != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "layer %d (%s) gives [%d][%d][%d][%d], its output_shape says "
                        "[%d][%d][%d][%d]",
                        i, kind_names[sp->kind], L->out_shape[0], L->out_shape[1],
                        L->out_shape[2], L->out_shape[3], sp->out[0], sp->out[1], sp->out[2],
                        sp->out[3]);
  size_t w = sp->weight ? (size_t)(sp->weight->nbytes / 4) : 0;
  size_t b = sp->bias_t ? (size_t)(sp->bias_t->nbytes / 4) : 0;
  size_t own = sp->kind == SYMCLONE_LAYER_CLONED ? L->ntheta + (size_t)L->cout : L->nparams;
  if (w + b != own)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "layer %d (%s): %zu parameters, the file has %zu",
                        i, kind_names[sp->kind], own, w + b);
  if (sp->weight) copy_tensor(sp->weight, L->params);
  if (sp->bias_t) copy_tensor(sp->bias_t, L->params + w);
  return SYMCLONE_OK;
}

/* Which tensor of the file no layer uses (there is one: the counts differ). */
static void find_unknown(const sym_ix_file *file, const spec *sp, int count, sym_ix_fail *f) {
  static const char *const parts[] = {"weight", "bias", "theta", "blocks", "coeffs", "transforms"};
  for (size_t t = 0; t < file->ntensors; t++) {
    const char *name = file->tensor[t].name;
    int used = 0;
    for (int i = 0; i < count && !used; i++) {
      size_t pl = strlen(sp[i].p);
      if (strncmp(name, sp[i].p, pl) != 0) continue;
      for (size_t k = 0; k < sizeof parts / sizeof parts[0] && !used; k++) {
        if (strcmp(name + pl, parts[k]) != 0) continue;
        used = (k < 2 && ((k == 0 && sp[i].weight && sp[i].kind != SYMCLONE_LAYER_CLONED) ||
                          (k == 1 && sp[i].bias_t))) ||
               (k == 2 && sp[i].kind == SYMCLONE_LAYER_CLONED) ||
               (k >= 3 && sp[i].student &&
                (k < 5 || sp[i].student->kind != SYMCLONE_STUDENT_PLANAR));
      }
    }
    if (!used || !file->tensor[t].name_fits) {
      sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "unknown tensor '%s%s'", name,
                   file->tensor[t].name_fits ? "" : "...");
      return;
    }
  }
  sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensors do not match the layers");
}

static symclone_status import_net(const sym_ix_file *file, size_t file_len,
                                  symclone_loader *loader, symclone_net **out, sym_ix_fail *f) {
  const char *v;
  if (!file->has_meta || !sym_ix_meta_find(file, "format"))
    return sym_ix_failf(f, SYMCLONE_ERR_FORMAT,
                        "no metadata 'format': not a network export of libsymclone");
  symclone_status st = get(file, "", "format", &v, f);
  if (st) return st;
  if (strcmp(v, "symclone-net") != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_FORMAT, "metadata format='%s', not 'symclone-net'", v);
  if ((st = get(file, "", "format_version", &v, f))) return st;
  if (strcmp(v, "1") != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                        "metadata format_version='%s', this library reads version 1", v);
  int count, cur[4];
  if ((st = get_int(file, "", "layers", 1, &count, f)) ||
      (st = get_shape(file, "", "input_shape", cur, f)))
    return st;
  if (count > MAX_LAYERS)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata layers=%d is over %d", count,
                        MAX_LAYERS);
  if ((size_t)count > file->nmeta)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata layers=%d, with %zu metadata entries",
                        count, file->nmeta);
  spec *sp = sym_calloc((size_t)count, sizeof *sp);
  if (!sp)
    return sym_ix_failf(f, SYMCLONE_ERR_NOMEM, "cannot allocate %d layer descriptions", count);
  int ntensors = 0;
  symclone_net *net = NULL;
  for (int i = 0; i < count && !st; i++) {
    st = read_spec(file, i, cur, &sp[i], &ntensors, f);
    memcpy(cur, sp[i].out, sizeof cur);
  }
  if (!st && (size_t)ntensors != file->ntensors) {
    find_unknown(file, sp, count, f);
    st = f->status;
  }
  size_t bytes;
  size_t budget = sym_loader_budget(loader);
  if (!st && (cost(sp, count, &bytes) || file_len > budget || bytes > budget - file_len))
    st = sym_ix_failf(f, SYMCLONE_ERR_BUDGET,
                      "the network needs more memory than the loader's budget of %zu bytes",
                      sym_loader_budget(loader));
  if (!st) {
    int in[4];
    if ((st = get_shape(file, "", "input_shape", in, f)) == SYMCLONE_OK &&
        (st = symclone_net_create(&net, in[0], in[1], in[2], in[3])))
      sym_ix_failf(f, st, "cannot create the network: %s", symclone_strerror(st));
  }
  for (int i = 0; i < count && !st; i++) st = build_layer(net, &sp[i], i, f);
  for (int i = 0; i < count; i++) symclone_student_free(sp[i].student);
  sym_free(sp);
  if (st) {
    symclone_net_free(net);
    return st;
  }
  *out = net;
  return SYMCLONE_OK;
}

symclone_status symclone_net_import(symclone_net **out, const char *path,
                                    symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!out) return sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return sym_fail(err, SYMCLONE_ERR_NULL, "path is NULL");
  unsigned char *buf;
  sym_ix_file file;
  sym_ix_fail f = {SYMCLONE_OK, ""};
  const char *what;
  size_t len;
  symclone_status st = sym_ix_load(path, loader, &buf, &len, &file, &what, &f);
  if (st) return st;
  symclone_net *net = NULL;
  st = import_net(&file, len, loader, &net, &f);
  sym_free(buf);
  sym_ix_file_free(&file);
  if (st) return sym_fail(err, st, "'%s' (%s): %s", path, what, f.msg);
  *out = net;
  return SYMCLONE_OK;
}
