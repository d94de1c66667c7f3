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

static symclone_status call_op(symclone_diag_operator_fn op, void *user, size_t batch,
                               const float *x, float *y, const sym_err *e) {
  symclone_status st = op(user, batch, x, y);
  if (st) return sym_fail(e, st, "the operator failed: %s", symclone_strerror(st));
  return SYMCLONE_OK;
}

/* The first m entries of the returned list (total entries, freed by the
 * caller; NULL if it cannot be allocated) are the elements to evaluate:
 * every non-identity element, or a seeded partial Fisher-Yates sample. */
static int *draw_elements(sym_rng *rng, size_t total, size_t m) {
  int *elems = sym_malloc_array(total, sizeof *elems);
  if (!elems) return NULL;
  for (size_t i = 0; i < total; i++) elems[i] = (int)i + 1;
  if (m < total)
    for (size_t i = 0; i < m; i++) {
      size_t j = i + (size_t)sym_rng_below(rng, (uint64_t)(total - i));
      int t = elems[i];
      elems[i] = elems[j];
      elems[j] = t;
    }
  return elems;
}

/* The equivariance error of op on the diag's fields with the given mask
 * and margin (validated by the callers).  One function of about 90 lines:
 * the loop over inputs and elements shares the work fields, the mask rows
 * and the running sums, which a split would have to pass around. */
static symclone_status equivariance(symclone_diag *d, symclone_diag_operator_fn op, void *user,
                                    symclone_mask mask, int margin, double *mean_err,
                                    double *max_err) {
  const sym_actions *a = &d->a;
  const sym_err *e = &d->err;
  int samples = (int)sym_diag_setting(d, SYMCLONE_DIAG_SAMPLES);
  double max_elements = sym_diag_setting(d, SYMCLONE_DIAG_MAX_ELEMENTS);
  uint64_t seed = (uint64_t)sym_diag_setting(d, SYMCLONE_DIAG_SEED);
  const float *inputs = d->inputs;
  if (inputs && d->n_inputs < (size_t)samples)
    return sym_fail(e, SYMCLONE_ERR_SIZE, "samples = %d but only %zu inputs are given", samples,
                    d->n_inputs);
  symclone_status st = SYMCLONE_OK;
  int *elems = NULL, *lo = NULL, *hi = NULL;
  float *xbuf = NULL, *fx = NULL, *gx = NULL, *fgx = NULL, *gfx = NULL;

  sym_rng rng;
  sym_rng_seed(&rng, seed);
  size_t total = (size_t)a->order - 1;
  size_t m = (max_elements == 0 || max_elements >= (double)total) ? total : (size_t)max_elements;
  if (m == 0) {
    *mean_err = 0.0;
    *max_err = 0.0;
    goto done;
  }
  if (!(elems = draw_elements(&rng, total, m))) {
    st = sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the element list");
    goto done;
  }

  size_t in_size = a->in.size, out_size = a->out.size;
  size_t per = in_size + out_size; /* no overflow: both <= INT_MAX */
  size_t batch = FIELD_BUDGET / per;
  if (batch < 1) batch = 1;
  if (batch > m) batch = m;
  xbuf = inputs ? NULL : sym_malloc_array(in_size, sizeof(float));
  fx = sym_malloc_array(out_size, sizeof(float));
  gfx = sym_malloc_array(out_size, sizeof(float));
  gx = sym_malloc_array(batch * in_size, sizeof(float));
  fgx = sym_malloc_array(batch * out_size, sizeof(float));
  lo = sym_malloc_array((size_t)a->out.h, sizeof *lo);
  hi = sym_malloc_array((size_t)a->out.h, sizeof *hi);
  if ((!inputs && !xbuf) || !fx || !gfx || !gx || !fgx || !lo || !hi) {
    st = sym_fail(e, SYMCLONE_ERR_NOMEM, "cannot allocate the work fields");
    goto done;
  }
  if (mask == SYMCLONE_MASK_NONE) mask_none(&a->out, lo, hi);
  if (mask == SYMCLONE_MASK_DISC) mask_disc(&a->out, margin, lo, hi);

  double sum = 0.0, worst = 0.0;
  size_t counted = 0;
  for (int s = 0; s < samples; s++) {
    const float *x = inputs ? inputs + (size_t)s * in_size : xbuf;
    if (!inputs) sym_rng_fill_normal(&rng, xbuf, in_size, 1.0f);
    if ((st = call_op(op, user, 1, x, fx, e))) goto done;
    for (size_t e0 = 0; e0 < m; e0 += batch) {
      size_t nb = m - e0 < batch ? m - e0 : batch;
      for (size_t b = 0; b < nb; b++)
        if ((st = sym_actions_apply(a, 0, elems[e0 + b], 1, x, gx + b * in_size, e)))
          goto done;
      if ((st = call_op(op, user, nb, gx, fgx, e))) goto done;
      for (size_t b = 0; b < nb; b++) {
        int g = elems[e0 + b];
        if ((st = sym_actions_apply(a, 1, g, 1, fx, gfx, e))) goto done;
        if (mask == SYMCLONE_MASK_SHIFT_INTERIOR) mask_shift(a, g, margin, lo, hi);
        double num, den;
        compare(&a->out, lo, hi, fgx + b * out_size, gfx, &num, &den);
        if (!isfinite(num) || !isfinite(den)) {
          st = sym_fail(e, SYMCLONE_ERR_DATA,
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
    st = sym_fail(e, SYMCLONE_ERR_DATA,
                  "no (element, input) pair has a non-zero output over the compared pixels");
    goto done;
  }
  *mean_err = sum / (double)counted;
  *max_err = worst;

done:
  sym_free(elems);
  sym_free(xbuf);
  sym_free(fx);
  sym_free(gfx);
  sym_free(gx);
  sym_free(fgx);
  sym_free(lo);
  sym_free(hi);
  return st;
}

symclone_status symclone_diag_equivariance_error(symclone_diag *diag, symclone_diag_operator_fn op,
                                                 void *user, double *mean_err, double *max_err) {
  if (!diag) return SYMCLONE_ERR_NULL;
  if (!op) return sym_fail(&diag->err, SYMCLONE_ERR_NULL, "op is NULL");
  if (!mean_err || !max_err)
    return sym_fail(&diag->err, SYMCLONE_ERR_NULL, "%s is NULL", mean_err ? "max_err" : "mean_err");
  return equivariance(diag, op, user, (symclone_mask)sym_diag_setting(diag, SYMCLONE_DIAG_MASK),
                      (int)sym_diag_setting(diag, SYMCLONE_DIAG_MARGIN), mean_err, max_err);
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

symclone_status symclone_diag_layer_equivariance_error(symclone_diag *diag,
                                                       const symclone_layer *layer,
                                                       const float *params, double *mean_err,
                                                       double *max_err) {
  if (!diag) return SYMCLONE_ERR_NULL;
  const sym_err *e = &diag->err;
  if (!layer) return sym_fail(e, SYMCLONE_ERR_NULL, "layer is NULL");
  if (!mean_err || !max_err)
    return sym_fail(e, SYMCLONE_ERR_NULL, "%s is NULL", mean_err ? "max_err" : "mean_err");
  if (symclone_layer_kind_of(layer) == SYMCLONE_LAYER_DENSE)
    return sym_fail(e, SYMCLONE_ERR_UNSUPPORTED,
                    "a dense layer has no field shapes: measure it as an operator "
                    "(symclone_diag_equivariance_error)");
  int is[4], os[4];
  symclone_layer_input_shape(layer, is);
  symclone_layer_output_shape(layer, os);
  const sym_field *fi = &diag->a.in, *fo = &diag->a.out;
  if (is[0] != fi->c || is[1] != fi->n || is[2] != fi->h || is[3] != fi->w || os[0] != fo->c ||
      os[1] != fo->n || os[2] != fo->h || os[3] != fo->w)
    return sym_fail(e, SYMCLONE_ERR_SHAPE,
                    "the layer maps {%d, %d, %d, %d} to {%d, %d, %d, %d}; the diag "
                    "{%d, %d, %d, %d} to {%d, %d, %d, %d}",
                    is[0], is[1], is[2], is[3], os[0], os[1], os[2], os[3], fi->c, fi->n, fi->h,
                    fi->w, fo->c, fo->n, fo->h, fo->w);

  symclone_mask mask = SYMCLONE_MASK_NONE;
  int margin = 0;
  symclone_padding pad = symclone_layer_padding(layer);
  if (diag->a.kind == SYMCLONE_GROUP_T2) {
    if (pad == SYMCLONE_PADDING_VALID) {
      mask = SYMCLONE_MASK_SHIFT_INTERIOR;
    } else if (pad == SYMCLONE_PADDING_ZERO) {
      mask = SYMCLONE_MASK_SHIFT_INTERIOR;
      margin = symclone_layer_kernel(layer) / 2;
    }
  } else if (symclone_group_is_exact(diag->a.group) == 0) {
    mask = SYMCLONE_MASK_DISC;
  }

  layer_op o = {layer, params, SYMCLONE_OK};
  symclone_status st = equivariance(diag, layer_op_forward, &o, mask, margin, mean_err, max_err);
  if (st && o.failed == st)
    return sym_fail(e, st, "the layer's forward pass failed: %s",
                    symclone_layer_last_error(layer));
  return st;
}
