/* Equivariance error of an operator: E_{g,x} ||f(g x) - g f(x)|| / ||g f(x)||
 * over masked output pixels. */
#include <math.h>
#include <string.h>

#include "diag_priv.h"

/* Floats of transformed inputs and their outputs handed to one operator
 * call (about 16 MB). */
#define FIELD_BUDGET ((size_t)1 << 22)

/* The compared pixels of one output plane, as one column interval
 * [lo[y], hi[y]) per row (empty when lo == hi). */
static void mask_none(const sym_field *f, int *lo, int *hi) {
  for (int y = 0; y < f->h; y++) {
    lo[y] = 0;
    hi[y] = f->w;
  }
}

static void mask_disc(const sym_field *f, int margin, int *lo, int *hi) {
  double cy = 0.5 * (f->h - 1), cx = 0.5 * (f->w - 1);
  double r = 0.5 * ((f->h < f->w ? f->h : f->w) - 1) - margin;
  double r2 = r * r; /* squares of half-integers: exact */
  for (int y = 0; y < f->h; y++) {
    lo[y] = hi[y] = 0;
    if (r < 0) continue;
    double dy2 = (y - cy) * (y - cy);
    int first = -1, last = -1;
    for (int x = 0; x < f->w; x++)
      if ((x - cx) * (x - cx) + dy2 <= r2) {
        if (first < 0) first = x;
        last = x;
      }
    if (first >= 0) {
      lo[y] = first;
      hi[y] = last + 1;
    }
  }
}

static void mask_shift(const sym_actions *a, int g, int margin, int *lo, int *hi) {
  int sy, sx;
  sym_actions_signed_shift(a, g, &sy, &sx);
  int y0 = margin + (sy > 0 ? sy : 0), y1 = a->out.h - margin + (sy < 0 ? sy : 0);
  int x0 = margin + (sx > 0 ? sx : 0), x1 = a->out.w - margin + (sx < 0 ? sx : 0);
  for (int y = 0; y < a->out.h; y++) {
    int in = y >= y0 && y < y1 && x0 < x1;
    lo[y] = in ? x0 : 0;
    hi[y] = in ? x1 : 0;
  }
}

/* Squared norms of (got - ref) and of ref over the mask, all planes. */
static void compare(const sym_field *f, const int *lo, const int *hi, const float *got,
                    const float *ref, double *num, double *den) {
  double nn = 0.0, dd = 0.0;
  size_t hw = (size_t)f->h * (size_t)f->w;
  for (size_t p = 0; p < f->planes; p++) {
    const float *gp = got + p * hw, *rp = ref + p * hw;
    for (int y = 0; y < f->h; y++)
      for (int x = lo[y]; x < hi[y]; x++) {
        size_t i = (size_t)y * (size_t)f->w + (size_t)x;
        double d = (double)gp[i] - (double)rp[i];
        nn += d * d;
        dd += (double)rp[i] * (double)rp[i];
      }
  }
  *num = nn;
  *den = dd;
}

static symclone_status call_op(symclone_operator_fn op, void *user, size_t batch, const float *x,
                               float *y, char *errbuf, size_t errlen) {
  symclone_status st = op(user, batch, x, y);
  if (st)
    return sym_diag_fail(errbuf, errlen, st, "the operator failed: %s", symclone_strerror(st));
  return SYMCLONE_OK;
}

symclone_status symclone_equivariance_error(const symclone_group *group, symclone_operator_fn op,
                                            void *user, const int in_shape[4],
                                            const int out_shape[4], symclone_mask mask,
                                            int margin, const float *inputs, size_t n_inputs,
                                            int samples, int max_elements, uint64_t seed,
                                            double *mean_err, double *max_err, char *errbuf,
                                            size_t errlen) {
  if (!op) return sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "op is NULL");
  if (!mean_err || !max_err)
    return sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "%s is NULL",
                         mean_err ? "max_err" : "mean_err");
  sym_actions a;
  symclone_status st = sym_actions_init(&a, group, in_shape, out_shape, errbuf, errlen);
  if (st) return st;
  int *elems = NULL, *lo = NULL, *hi = NULL;
  float *xbuf = NULL, *fx = NULL, *gx = NULL, *fgx = NULL, *gfx = NULL;
  if (samples < 1) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_SIZE, "samples = %d, must be >= 1", samples);
  } else if (inputs && n_inputs < (size_t)samples) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_SIZE,
                       "samples = %d but only %zu inputs are given", samples, n_inputs);
  } else if (max_elements < 0) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_SIZE, "max_elements = %d, must be >= 0",
                       max_elements);
  } else if (mask != SYMCLONE_MASK_NONE && mask != SYMCLONE_MASK_SHIFT_INTERIOR &&
             mask != SYMCLONE_MASK_DISC) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_ARG, "unknown mask %d", (int)mask);
  } else if (mask == SYMCLONE_MASK_SHIFT_INTERIOR && a.kind != SYMCLONE_GROUP_T2) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_ARG,
                       "SYMCLONE_MASK_SHIFT_INTERIOR needs a T2 group");
  } else if (mask != SYMCLONE_MASK_NONE && margin < 0) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_SIZE, "margin = %d, must be >= 0", margin);
  }
  if (st) goto done;

  /* The non-identity elements: all, or a seeded partial Fisher-Yates sample. */
  sym_rng rng;
  sym_rng_seed(&rng, seed);
  size_t total = (size_t)a.order - 1;
  size_t m = (max_elements == 0 || (size_t)max_elements >= total) ? total : (size_t)max_elements;
  if (m == 0) {
    *mean_err = 0.0;
    *max_err = 0.0;
    sym_diag_clear(errbuf, errlen);
    goto done;
  }
  elems = sym_malloc_array(total, sizeof *elems);
  if (!elems) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NOMEM, "cannot allocate the element list");
    goto done;
  }
  for (size_t i = 0; i < total; i++) elems[i] = (int)i + 1;
  if (m < total)
    for (size_t i = 0; i < m; i++) {
      size_t j = i + (size_t)sym_rng_below(&rng, (uint64_t)(total - i));
      int t = elems[i];
      elems[i] = elems[j];
      elems[j] = t;
    }

  size_t in_size = a.in.size, out_size = a.out.size;
  size_t per = in_size + out_size; /* no overflow: both <= INT_MAX */
  size_t batch = FIELD_BUDGET / per;
  if (batch < 1) batch = 1;
  if (batch > m) batch = m;
  xbuf = inputs ? NULL : sym_malloc_array(in_size, sizeof(float));
  fx = sym_malloc_array(out_size, sizeof(float));
  gfx = sym_malloc_array(out_size, sizeof(float));
  gx = sym_malloc_array(batch * in_size, sizeof(float));
  fgx = sym_malloc_array(batch * out_size, sizeof(float));
  lo = sym_malloc_array((size_t)a.out.h, sizeof *lo);
  hi = sym_malloc_array((size_t)a.out.h, sizeof *hi);
  if ((!inputs && !xbuf) || !fx || !gfx || !gx || !fgx || !lo || !hi) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NOMEM, "cannot allocate the work fields");
    goto done;
  }
  if (mask == SYMCLONE_MASK_NONE) mask_none(&a.out, lo, hi);
  if (mask == SYMCLONE_MASK_DISC) mask_disc(&a.out, margin, lo, hi);

  double sum = 0.0, worst = 0.0;
  size_t counted = 0;
  for (int s = 0; s < samples; s++) {
    const float *x = inputs ? inputs + (size_t)s * in_size : xbuf;
    if (!inputs) sym_rng_fill_normal(&rng, xbuf, in_size, 1.0f);
    if ((st = call_op(op, user, 1, x, fx, errbuf, errlen))) goto done;
    for (size_t e0 = 0; e0 < m; e0 += batch) {
      size_t nb = m - e0 < batch ? m - e0 : batch;
      for (size_t b = 0; b < nb; b++)
        if ((st = sym_actions_apply(&a, 0, elems[e0 + b], 1, x, gx + b * in_size, errbuf,
                                    errlen)))
          goto done;
      if ((st = call_op(op, user, nb, gx, fgx, errbuf, errlen))) goto done;
      for (size_t b = 0; b < nb; b++) {
        int g = elems[e0 + b];
        if ((st = sym_actions_apply(&a, 1, g, 1, fx, gfx, errbuf, errlen))) goto done;
        if (mask == SYMCLONE_MASK_SHIFT_INTERIOR) mask_shift(&a, g, margin, lo, hi);
        double num, den;
        compare(&a.out, lo, hi, fgx + b * out_size, gfx, &num, &den);
        if (!isfinite(num) || !isfinite(den)) {
          st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_DATA,
                             "the operator output is not finite (sample %d, element %d)", s, g);
          goto done;
        }
        if (den == 0.0) continue; /* nothing to compare against */
        double err = sqrt(num / den);
        sum += err;
        if (err > worst) worst = err;
        counted++;
      }
    }
  }
  if (counted == 0) {
    st = sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_DATA,
                       "no (element, input) pair has a non-zero output over the compared pixels");
    goto done;
  }
  *mean_err = sum / (double)counted;
  *max_err = worst;
  sym_diag_clear(errbuf, errlen);

done:
  sym_free(elems);
  sym_free(xbuf);
  sym_free(fx);
  sym_free(gfx);
  sym_free(gx);
  sym_free(fgx);
  sym_free(lo);
  sym_free(hi);
  sym_actions_free(&a);
  return st;
}

/* The operator of a layer, remembering whether its forward pass failed so
 * that the layer's own message can be reported. */
typedef struct layer_op {
  const symclone_layer *layer;
  const float *params;
  symclone_status failed;
} layer_op;

static symclone_status layer_op_forward(void *user, size_t batch, const float *x, float *y) {
  layer_op *o = user;
  symclone_status st = symclone_layer_forward(o->layer, o->params, batch, x, y, NULL);
  if (st) o->failed = st;
  return st;
}

symclone_status symclone_layer_equivariance_error(const symclone_group *group,
                                                  const symclone_layer *layer,
                                                  const float *params, const float *inputs,
                                                  size_t n_inputs, int samples, int max_elements,
                                                  uint64_t seed, double *mean_err,
                                                  double *max_err, char *errbuf, size_t errlen) {
  if (!layer) return sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "layer is NULL");
  if (!group) return sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "group is NULL");
  symclone_layer_kind kind = symclone_layer_kind_of(layer);
  if (kind == SYMCLONE_LAYER_DENSE)
    return sym_diag_fail(errbuf, errlen, SYMCLONE_ERR_UNSUPPORTED,
                         "a dense layer has no field shapes: use "
                         "symclone_equivariance_error with explicit shapes");
  int in_shape[4], out_shape[4];
  symclone_layer_input_shape(layer, in_shape);
  symclone_layer_output_shape(layer, out_shape);

  symclone_mask mask = SYMCLONE_MASK_NONE;
  int margin = 0;
  int pad = symclone_layer_padding(layer);
  if (symclone_group_kind_of(group) == SYMCLONE_GROUP_T2) {
    if (pad == SYMCLONE_PADDING_VALID) {
      mask = SYMCLONE_MASK_SHIFT_INTERIOR;
    } else if (pad == SYMCLONE_PADDING_ZERO) {
      mask = SYMCLONE_MASK_SHIFT_INTERIOR;
      margin = symclone_layer_kernel(layer) / 2;
    }
  } else if (symclone_group_is_exact(group) == 0) {
    mask = SYMCLONE_MASK_DISC;
  }

  layer_op o = {layer, params, SYMCLONE_OK};
  symclone_status st =
      symclone_equivariance_error(group, layer_op_forward, &o, in_shape, out_shape, mask, margin,
                                  inputs, n_inputs, samples, max_elements, seed, mean_err,
                                  max_err, errbuf, errlen);
  if (st && o.failed == st)
    return sym_diag_fail(errbuf, errlen, st, "the layer's forward pass failed: %s",
                         symclone_layer_last_error(layer));
  return st;
}
