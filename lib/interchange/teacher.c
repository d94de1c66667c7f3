/* Teacher layers from parameters trained elsewhere (<symclone/interchange.h>;
 * docs/file-format.md, "Teacher layers"): a kernel bank, and a bias, read
 * from a NumPy .npy file or chosen by name in a safetensors file or an
 * .npz archive, checked, then made into a layer of the library and its
 * parameter array. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "../common/loader_priv.h"
#include "interchange_priv.h"

#define MAX_DIM (1u << 20)

/* One file read whole and parsed, and the tensor chosen from it. */
typedef struct source {
  unsigned char *buf;
  sym_ix_file file;
  sym_ix_tensor npy; /* the array of an .npy file */
  const sym_ix_tensor *t;
} source;

static void source_free(source *s) {
  sym_free(s->buf);
  sym_ix_file_free(&s->file);
  s->buf = NULL;
}

/* Read path (an .npy file, or a safetensors or npz file from which the
 * tensor `name` is taken; NULL: its only tensor). */
static symclone_status read_source(const char *path, const char *name, const char *role,
                                   symclone_loader *loader, source *s, sym_ix_fail *f) {
  memset(s, 0, sizeof *s);
  size_t len;
  symclone_status st = sym_loader_read_whole(loader, path, (size_t)1 << 34, "importing", &s->buf,
                                             &len);
  if (st) return sym_ix_failf(f, st, "%s", symclone_loader_last_error(loader));
  if (len >= 6 && memcmp(s->buf, "\x93NUMPY", 6) == 0) {
    if (name)
      return sym_ix_failf(f, SYMCLONE_ERR_ARG,
                          "'%s' is an .npy file, which holds one array: the %s name must be "
                          "NULL",
                          path, role);
    snprintf(s->npy.name, sizeof s->npy.name, "%s", role);
    s->npy.name_fits = 1;
    char what[SYM_IX_MSG_LEN / 2];
    snprintf(what, sizeof what, "'%s' (npy)", path);
    if ((st = sym_ix_read_npy(what, s->buf, len, &s->npy, f))) return st;
    s->t = &s->npy;
    return SYMCLONE_OK;
  }
  const char *what;
  if (len >= 4 && memcmp(s->buf, "PK", 2) == 0) {
    what = "npz";
    st = sym_ix_read_npz(s->buf, len, &s->file, f);
  } else if (len >= 9 && s->buf[8] == '{') {
    what = "safetensors";
    st = sym_ix_read_safetensors(s->buf, len, &s->file, f);
  } else {
    return sym_ix_failf(f, SYMCLONE_ERR_FORMAT,
                        "'%s' is neither an .npy, a safetensors nor an npz file", path);
  }
  if (st) {
    char msg[SYM_IX_MSG_LEN];
    snprintf(msg, sizeof msg, "%s", f->msg);
    return sym_ix_failf(f, st, "'%s' (%s): %s", path, what, msg);
  }
  if (!name) {
    if (s->file.ntensors != 1)
      return sym_ix_failf(f, SYMCLONE_ERR_ARG,
                          "'%s' holds %zu tensors: name the %s tensor", path, s->file.ntensors,
                          role);
    s->t = &s->file.tensor[0];
  } else if (!(s->t = sym_ix_find(&s->file, name))) {
    return sym_ix_failf(f, SYMCLONE_ERR_ARG, "'%s' (%s) has no tensor '%s'", path, what, name);
  }
  return SYMCLONE_OK;
}

/* Every value of t finite and within float's range. */
static symclone_status check_values(const char *path, const sym_ix_tensor *t, sym_ix_fail *f) {
  int fk = sym_ix_float_kind(t);
  if (!fk)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                        "'%s': tensor '%s' has dtype '%s'; float32 and float64 are read", path,
                        t->name, t->dtype);
  uint64_t n = sym_ix_elements(t);
  for (uint64_t e = 0; e < n; e++) {
    double v = sym_ix_value(t, e);
    if (!isfinite(v) || fabs(v) > FLT_MAX)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "'%s': tensor '%s' element %llu is %s", path,
                          t->name, (unsigned long long)e,
                          isnan(v) ? "NaN" : isinf(v) ? "infinite" : "beyond float32's range");
  }
  return SYMCLONE_OK;
}

/* A kernel bank and its bias, read and checked against a layer kind. */
typedef struct bank {
  source w, b;
  int has_bias;
  int out, in, k; /* dense: out and in features */
} bank;

static void bank_free(bank *k) {
  source_free(&k->w);
  source_free(&k->b);
}

static int orders(symclone_layer_kind kind, int rotations) {
  if (kind == SYMCLONE_LAYER_GROUP_CONV) return rotations;
  if (kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV) return 2 * rotations;
  return 1;
}

static symclone_status read_bank(const char *path, const char *weight, const char *bias,
                                 symclone_layer_kind kind, int rotations,
                                 symclone_loader *loader, bank *k, sym_ix_fail *f) {
  memset(k, 0, sizeof *k);
  int conv = kind == SYMCLONE_LAYER_CONV2D || kind == SYMCLONE_LAYER_LIFTING ||
             kind == SYMCLONE_LAYER_GROUP_CONV || kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING ||
             kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
  if (!conv && kind != SYMCLONE_LAYER_DENSE)
    return sym_ix_failf(f, SYMCLONE_ERR_ARG,
                        "kind %d is not a convolution (conv2d, lifting, group, dihedral) nor "
                        "dense",
                        (int)kind);
  if (kind != SYMCLONE_LAYER_CONV2D && kind != SYMCLONE_LAYER_DENSE &&
      (rotations < 1 || rotations > 360))
    return sym_ix_failf(f, SYMCLONE_ERR_GROUP, "rotations=%d is not in [1, 360]", rotations);
  symclone_status st = read_source(path, weight, "weight", loader, &k->w, f);
  if (st) return st;
  const sym_ix_tensor *t = k->w.t;
  if ((st = check_values(path, t, f))) return st;
  for (int d = 0; d < t->ndim; d++)
    if (t->dims[d] < 1 || t->dims[d] > MAX_DIM)
      return sym_ix_failf(f, SYMCLONE_ERR_SHAPE, "'%s': tensor '%s' has a dimension of %llu",
                          path, t->name, (unsigned long long)t->dims[d]);
  char shape[96];
  sym_ix_shape_text(t->ndim, t->dims, shape, sizeof shape);
  int g = orders(kind, rotations);
  if (kind == SYMCLONE_LAYER_DENSE) {
    if (t->ndim != 2)
      return sym_ix_failf(f, SYMCLONE_ERR_SHAPE,
                          "'%s': tensor '%s' has shape %s, a dense weight is [out, in]", path,
                          t->name, shape);
    k->out = (int)t->dims[0], k->in = (int)t->dims[1];
  } else {
    int five = g > 1 || kind == SYMCLONE_LAYER_GROUP_CONV ||
               kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
    int ok = t->ndim == 4 || (five && t->ndim == 5);
    if (ok) {
      k->out = (int)t->dims[0];
      k->k = (int)t->dims[t->ndim - 1];
      ok = t->dims[t->ndim - 2] == t->dims[t->ndim - 1];
      if (t->ndim == 5) {
        ok = ok && t->dims[2] == (uint64_t)g;
        k->in = (int)t->dims[1];
      } else {
        ok = ok && t->dims[1] % (uint64_t)g == 0;
        k->in = (int)(t->dims[1] / (uint64_t)g);
      }
    }
    if (!ok)
      return sym_ix_failf(f, SYMCLONE_ERR_SHAPE,
                          "'%s': tensor '%s' has shape %s, a %s kernel bank is %s", path,
                          t->name, shape,
                          kind == SYMCLONE_LAYER_GROUP_CONV ? "Cn group convolution's"
                          : kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV
                              ? "Dn group convolution's"
                              : "convolution's",
                          five ? "[out, in, G, k, k] or [out, in*G, k, k] (G orientations)"
                               : "[out, in, k, k]");
  }
  if (bias) {
    const char *bpath = k->w.t == &k->w.npy ? bias : path;
    const char *bname = k->w.t == &k->w.npy ? NULL : bias;
    if ((st = read_source(bpath, bname, "bias", loader, &k->b, f)) ||
        (st = check_values(bpath, k->b.t, f)))
      return st;
    if (k->b.t->ndim != 1 || k->b.t->dims[0] != (uint64_t)k->out) {
      sym_ix_shape_text(k->b.t->ndim, k->b.t->dims, shape, sizeof shape);
      return sym_ix_failf(f, SYMCLONE_ERR_SHAPE, "'%s': bias '%s' has shape %s, not [%d]", bpath,
                          k->b.t->name, shape, k->out);
    }
    k->has_bias = 1;
  }
  return SYMCLONE_OK;
}

symclone_status symclone_layer_import(symclone_layer **out, const char *path, const char *weight,
                                      const char *bias, symclone_layer_kind kind, int rotations,
                                      int height, int width, symclone_padding padding,
                                      symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!out) return sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return sym_fail(err, SYMCLONE_ERR_NULL, "path is NULL");
  bank k;
  sym_ix_fail f = {SYMCLONE_OK, ""};
  symclone_status st = read_bank(path, weight, bias, kind, rotations, loader, &k, &f);
  bank_free(&k);
  if (st) return sym_fail(err, st, "%s", f.msg);
  symclone_layer *l = NULL;
  switch (kind) {
  case SYMCLONE_LAYER_CONV2D:
    st = symclone_layer_create_conv2d(&l, k.in, k.out, k.k, height, width, padding, k.has_bias);
    break;
  case SYMCLONE_LAYER_LIFTING:
    st = symclone_layer_create_lifting(&l, rotations, k.in, k.out, k.k, height, width, padding,
                                       k.has_bias);
    break;
  case SYMCLONE_LAYER_GROUP_CONV:
    st = symclone_layer_create_group_conv(&l, rotations, k.in, k.out, k.k, height, width, padding,
                                          k.has_bias);
    break;
  case SYMCLONE_LAYER_DIHEDRAL_LIFTING:
    st = symclone_layer_create_dihedral_lifting(&l, rotations, k.in, k.out, k.k, height, width,
                                                padding, k.has_bias);
    break;
  case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV:
    st = symclone_layer_create_dihedral_group_conv(&l, rotations, k.in, k.out, k.k, height,
                                                   width, padding, k.has_bias);
    break;
  default: st = symclone_layer_create_dense(&l, k.in, k.out, k.has_bias); break;
  }
  if (st)
    return sym_fail(err, st, "'%s': cannot make the layer of kernel %d on %d x %d inputs: %s",
                    path, k.k, height, width, symclone_strerror(st));
  *out = l;
  return SYMCLONE_OK;
}

symclone_status symclone_layer_import_params(const symclone_layer *layer, float *params,
                                             size_t count, const char *path, const char *weight,
                                             const char *bias, symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!layer || !params || !path)
    return sym_fail(err, SYMCLONE_ERR_NULL, "%s is NULL",
                    !layer ? "layer" : !params ? "params" : "path");
  size_t np = symclone_layer_param_count(layer), nw = symclone_layer_weight_count(layer);
  if (count != np)
    return sym_fail(err, SYMCLONE_ERR_SIZE, "count=%zu, the layer has %zu parameters", count, np);
  symclone_layer_kind kind = symclone_layer_kind_of(layer);
  int order = symclone_layer_orientations(layer);
  int rotations = kind == SYMCLONE_LAYER_DIHEDRAL_LIFTING ||
                          kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV
                      ? order / 2
                      : order;
  bank k;
  sym_ix_fail f = {SYMCLONE_OK, ""};
  symclone_status st = read_bank(path, weight, bias, kind, rotations, loader, &k, &f);
  if (!st) {
    int in[4], outs[4];
    symclone_layer_input_shape(layer, in);
    symclone_layer_output_shape(layer, outs);
    int same = k.has_bias == (np > nw) && k.out == (kind == SYMCLONE_LAYER_DENSE
                                                         ? (int)symclone_layer_output_size(layer)
                                                         : outs[0]);
    if (kind == SYMCLONE_LAYER_DENSE)
      same = same && k.in == (int)symclone_layer_input_size(layer);
    else
      same = same && k.in == in[0] && k.k == symclone_layer_kernel(layer);
    if (!same || sym_ix_elements(k.w.t) != nw)
      st = sym_ix_failf(&f, SYMCLONE_ERR_SHAPE,
                        "'%s' holds a bank of %d -> %d channels, kernel %d, %s bias; the layer "
                        "differs",
                        path, k.in, k.out, k.k, k.has_bias ? "with a" : "without");
  }
  if (!st) {
    for (uint64_t e = 0; e < nw; e++) params[e] = (float)sym_ix_value(k.w.t, e);
    if (k.has_bias)
      for (uint64_t e = 0; e < np - nw; e++) params[nw + e] = (float)sym_ix_value(k.b.t, e);
  }
  bank_free(&k);
  if (st) return sym_fail(err, st, "%s", f.msg);
  return SYMCLONE_OK;
}
