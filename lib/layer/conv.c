/* The convolution family: conv2d, lifting Z2 -> G and group conv G -> G for
 * G = Cn or Dn, of order |G| (n or 2n).
 *
 * All are computed as one planar cross-correlation with an expanded filter
 * bank Wx[ex_out][ex_in][k][k]: for lifting ex_out = out*|G| (output
 * channel o*|G| + g holds T_g w[o], T_g the filter transform of element g:
 * R_r for Cn, R_r M^m for Dn); for group conv additionally ex_in = in*|G|
 * and Wx[o*|G| + g][i*|G| + s] = T_g w[o][i][g^-1 s] (for Cn,
 * R_r w[o][i][(s - r) mod n]).  The planar correlation is im2col followed
 * by one SGEMM per chunk of samples.  Gradients flow back through the same
 * expansion by the adjoint transforms. */
#include <cblas.h>
#include <string.h>

#include "../group/rotate.h"
#include "../kernels/kernels.h"
#include "layer_priv.h"
#include "tap.h"

typedef struct conv_ws {
  float *wx, *dwx, *cols, *yc;
} conv_ws;

static size_t out_hw(const symclone_layer *l) { return (size_t)l->out_h * (size_t)l->out_w; }

static size_t chunk_of(const symclone_layer *l, size_t batch) {
  return batch < (size_t)l->chunk ? batch : (size_t)l->chunk;
}

/* ---- the product kernel's path: one sample a task --------------------------
 *
 * Where the product kernel has vector code, each sample is one task on the
 * layer's pool: its im2col columns (ckk x out_hw) in the thread's scratch,
 * then Y = Wx cols straight into the sample's output.  Backward, per
 * sample, the filters' gradient dWx^T (ckk x ex_out) = cols dY^T and the
 * bias sums are kept per sample and added in sample order, CONV_ROUND
 * samples at a time; dcols = Wx^T dY is added back into the sample's dx.
 * Every product is the kernel's chain in k order, so any thread count gives
 * the same bits. */
#define CONV_ROUND 32

static int fast_path(void) { return sym_kernels_get()->prod_fast; }

typedef struct conv_fast_ws {
  double *bpart;   /* CONV_ROUND x ex_out bias sums */
  double *bacc;    /* ex_out */
  float *wx, *wxt, *dwx, *dwxt;
  float *part;     /* CONV_ROUND x ckk x ex_out */
  float *thr;      /* per thread: cols, dcols (ckk x out_hw each), dY^T (out_hw x ex_out) */
  size_t thr_stride;
} conv_fast_ws;

/* Floats of one thread's scratch. */
static size_t thr_floats(const symclone_layer *l) {
  size_t how = out_hw(l);
  return 2 * (size_t)l->ckk * how + how * (size_t)l->ex_out;
}

static size_t fast_floats(const symclone_layer *l, int threads) {
  size_t wx = (size_t)l->ex_out * (size_t)l->ckk, t = (size_t)(threads > 1 ? threads : 1);
  return 2 * (CONV_ROUND + 1) * (size_t)l->ex_out + 4 * wx + CONV_ROUND * wx + t * thr_floats(l);
}

static void fast_split(const symclone_layer *l, void *work, conv_fast_ws *w) {
  size_t wx = (size_t)l->ex_out * (size_t)l->ckk;
  w->thr_stride = thr_floats(l); /* the threads' scratch comes last */
  w->bpart = work;
  w->bacc = w->bpart + CONV_ROUND * (size_t)l->ex_out;
  w->wx = (float *)(void *)(w->bacc + l->ex_out);
  w->wxt = w->wx + wx;
  w->dwx = w->wxt + wx;
  w->dwxt = w->dwx + wx;
  w->part = w->dwxt + wx;
  w->thr = w->part + CONV_ROUND * wx;
}

size_t sym_conv_workspace(const symclone_layer *l, size_t batch, int threads) {
  if (fast_path()) return fast_floats(l, threads) * sizeof(float);
  size_t nb = chunk_of(l, batch);
  size_t wx = (size_t)l->ex_out * (size_t)l->ckk;
  size_t cols = (size_t)l->ckk * nb * out_hw(l);
  size_t yc = (size_t)l->ex_out * nb * out_hw(l);
  return (2 * wx + cols + yc) * sizeof(float);
}

static void ws_split(const symclone_layer *l, size_t batch, void *work, conv_ws *w) {
  if (fast_path()) { /* sym_conv_unroll: the expanded bank only */
    conv_fast_ws f;
    fast_split(l, work, &f);
    w->wx = f.wx;
    w->dwx = f.dwx;
    w->cols = w->yc = NULL;
    return;
  }
  size_t nb = chunk_of(l, batch);
  float *f = work;
  size_t wx = (size_t)l->ex_out * (size_t)l->ckk;
  w->wx = f;
  w->dwx = f + wx;
  w->cols = f + 2 * wx;
  w->yc = w->cols + (size_t)l->ckk * nb * out_hw(l);
}

/* Source slice of the group convolution's expanded filter (o*G + g, i*G + s):
 * the parameter slice g^-1 s ((s - g) mod n for Cn). */
static int slice_of(const symclone_layer *l, int g, int s) {
  if (l->mirror) return sym_dihedral_compose(sym_dihedral_inverse(g, l->n), s, l->n);
  return ((s - g) % l->n + l->n) % l->n;
}

static int is_group_input(const symclone_layer *l) {
  return l->kind == SYMCLONE_LAYER_GROUP_CONV || l->kind == SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV;
}

/* Build the expanded bank from the parameters (conv2d: a copy). */
static void expand(const symclone_layer *l, const float *p, float *wx) {
  int k2 = l->k * l->k;
  if (l->kind == SYMCLONE_LAYER_CONV2D) {
    memcpy(wx, p, (size_t)l->ex_out * (size_t)l->ckk * sizeof *wx);
    return;
  }
  int n = l->n, G = l->order, grp = is_group_input(l);
  for (int o = 0; o < l->out_c; o++)
    for (int g = 0; g < G; g++)
      for (int i = 0; i < l->in_c; i++) {
        if (!grp) {
          const float *src = p + ((size_t)o * l->in_c + i) * k2;
          float *dst = wx + ((size_t)(o * G + g) * l->ex_in + i) * k2;
          sym_dihedral_plane(src, dst, l->k, l->k, g / n, g % n, n);
        } else {
          for (int s = 0; s < G; s++) {
            const float *src = p + (((size_t)o * l->in_c + i) * G + slice_of(l, g, s)) * k2;
            float *dst = wx + ((size_t)(o * G + g) * l->ex_in + (size_t)i * G + s) * k2;
            sym_dihedral_plane(src, dst, l->k, l->k, g / n, g % n, n);
          }
        }
      }
}

/* dp += expansion^T dwx */
static void fold(const symclone_layer *l, const float *dwx, float *dp) {
  int k2 = l->k * l->k;
  if (l->kind == SYMCLONE_LAYER_CONV2D) {
    size_t cnt = (size_t)l->ex_out * (size_t)l->ckk;
    for (size_t j = 0; j < cnt; j++) dp[j] += dwx[j];
    return;
  }
  int n = l->n, G = l->order, grp = is_group_input(l);
  for (int o = 0; o < l->out_c; o++)
    for (int g = 0; g < G; g++)
      for (int i = 0; i < l->in_c; i++) {
        if (!grp) {
          const float *src = dwx + ((size_t)(o * G + g) * l->ex_in + i) * k2;
          float *dst = dp + ((size_t)o * l->in_c + i) * k2;
          sym_dihedral_plane_adjoint_add(src, dst, l->k, l->k, g / n, g % n, n);
        } else {
          for (int s = 0; s < G; s++) {
            const float *src = dwx + ((size_t)(o * G + g) * l->ex_in + (size_t)i * G + s) * k2;
            float *dst = dp + (((size_t)o * l->in_c + i) * G + slice_of(l, g, s)) * k2;
            sym_dihedral_plane_adjoint_add(src, dst, l->k, l->k, g / n, g % n, n);
          }
        }
      }
}

/* Input index of output position (oy, ox) and tap (ky, kx), or -1 for a
 * zero-padded position. */
static inline int tap_index(const symclone_layer *l, int oy, int ox, int ky, int kx) {
  return sym_tap_index(l->pad, l->in_h, l->in_w, l->k, oy, ox, ky, kx);
}

/* A same-size output (zero or circular padding): output row oy reads,
 * through tap row ky, input row in_row (-1: outside a zero-padded plane),
 * and through tap column kx its columns ox + d, those of [lo, hi) inside
 * the plane, the others wrapped (circular) or zero.  im2col copies these
 * runs and col2im_add adds them back. */
static inline int wrap(int i, int n) { return ((i % n) + n) % n; }

static int in_row(const symclone_layer *l, int oy, int ky) {
  int iy = oy + ky - l->k / 2;
  if (l->pad == SYMCLONE_PADDING_CIRCULAR) return wrap(iy, l->in_h);
  return iy < 0 || iy >= l->in_h ? -1 : iy;
}

typedef struct col_span {
  int d, lo, hi;
} col_span;

static col_span span_of(const symclone_layer *l, int kx) {
  int w = l->in_w, ow = l->out_w, d = kx - l->k / 2;
  int lo = d < 0 ? -d : 0, hi = w - d < ow ? w - d : ow;
  if (lo > ow) lo = ow;
  if (hi < lo) hi = lo;
  return (col_span){d, lo, hi};
}

/* cols[c*k*k + tap][j*HoWo + pos] for the nb samples starting at x. */
static void im2col(const symclone_layer *l, const float *x, size_t nb, float *cols) {
  size_t hw_in = (size_t)l->in_h * l->in_w, how = out_hw(l), ld = nb * how;
  int k = l->k;
  for (size_t j = 0; j < nb; j++) {
    const float *xs = x + j * l->in_size;
    for (int c = 0; c < l->ex_in; c++) {
      const float *xc = xs + (size_t)c * hw_in;
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
          float *row = cols + ((size_t)c * k * k + (size_t)ky * k + kx) * ld + j * how;
          if (l->pad == SYMCLONE_PADDING_VALID) {
            for (int oy = 0; oy < l->out_h; oy++)
              memcpy(row + (size_t)oy * l->out_w, xc + (size_t)(oy + ky) * l->in_w + kx,
                     (size_t)l->out_w * sizeof *row);
          } else {
            /* same-size output: each output row copies one input row, shifted
             * by kx - half, and only the ends wrap (circular) or are zero */
            int w = l->in_w, ow = l->out_w, circ = l->pad == SYMCLONE_PADDING_CIRCULAR;
            col_span sp = span_of(l, kx);
            for (int oy = 0; oy < l->out_h; oy++) {
              float *dst = row + (size_t)oy * ow;
              int iy = in_row(l, oy, ky);
              if (iy < 0) {
                memset(dst, 0, (size_t)ow * sizeof *dst);
                continue;
              }
              const float *src = xc + (size_t)iy * w;
              for (int ox = 0; ox < sp.lo; ox++) dst[ox] = circ ? src[wrap(ox + sp.d, w)] : 0.0f;
              for (int ox = sp.hi; ox < ow; ox++) dst[ox] = circ ? src[wrap(ox + sp.d, w)] : 0.0f;
              if (sp.hi > sp.lo)
                memcpy(dst + sp.lo, src + sp.lo + sp.d, (size_t)(sp.hi - sp.lo) * sizeof *dst);
            }
          }
        }
    }
  }
}

/* dx (nb samples) += col2im(dcols): im2col's rows added back, a row of
 * the output at a time (the same additions in the same order as one tap
 * index per element, im2col's row copies run backwards). */
static void col2im_add(const symclone_layer *l, const float *dcols, size_t nb, float *dx) {
  size_t hw_in = (size_t)l->in_h * l->in_w, how = out_hw(l), ld = nb * how;
  int k = l->k, w = l->in_w, ow = l->out_w;
  int circ = l->pad == SYMCLONE_PADDING_CIRCULAR;
  for (size_t j = 0; j < nb; j++) {
    float *ds = dx + j * l->in_size;
    for (int c = 0; c < l->ex_in; c++) {
      float *dc = ds + (size_t)c * hw_in;
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
          const float *row = dcols + ((size_t)c * k * k + (size_t)ky * k + kx) * ld + j * how;
          if (l->pad == SYMCLONE_PADDING_VALID) {
            for (int oy = 0; oy < l->out_h; oy++) {
              float *dst = dc + (size_t)(oy + ky) * w + kx;
              const float *src = row + (size_t)oy * ow;
              for (int ox = 0; ox < ow; ox++) dst[ox] += src[ox];
            }
            continue;
          }
          col_span sp = span_of(l, kx);
          for (int oy = 0; oy < l->out_h; oy++) {
            int iy = in_row(l, oy, ky);
            if (iy < 0) continue;
            float *dst = dc + (size_t)iy * w;
            const float *src = row + (size_t)oy * ow;
            if (circ)
              for (int ox = 0; ox < sp.lo; ox++) dst[wrap(ox + sp.d, w)] += src[ox];
            for (int ox = sp.lo; ox < sp.hi; ox++) dst[ox + sp.d] += src[ox];
            if (circ)
              for (int ox = sp.hi; ox < ow; ox++) dst[wrap(ox + sp.d, w)] += src[ox];
          }
        }
    }
  }
}

typedef struct conv_job {
  const symclone_layer *l;
  const sym_kernels *kern;
  const float *p, *x, *dy;
  float *y, *dx;
  conv_fast_ws w;
  size_t first; /* the round's first sample */
  int want_dp;
} conv_job;

static void fast_forward_task(void *ctx, size_t j, int worker) {
  const conv_job *c = ctx;
  const symclone_layer *l = c->l;
  size_t how = out_hw(l);
  float *cols = c->w.thr + (size_t)worker * c->w.thr_stride;
  float *y = c->y + j * l->out_size;
  im2col(l, c->x + j * l->in_size, 1, cols);
  c->kern->prod(c->w.wx, (size_t)l->ckk, cols, how, y, how, (size_t)l->ex_out, how,
                (size_t)l->ckk);
  if (l->bias) {
    const float *bias = c->p + l->weight_count;
    int per = l->ex_out / l->out_c;
    for (int oc = 0; oc < l->ex_out; oc++) {
      float bv = bias[oc / per], *row = y + (size_t)oc * how;
      for (size_t t = 0; t < how; t++) row[t] += bv;
    }
  }
}

static void fast_backward_task(void *ctx, size_t t, int worker) {
  const conv_job *c = ctx;
  const symclone_layer *l = c->l;
  size_t j = c->first + t, how = out_hw(l), ckk = (size_t)l->ckk, eo = (size_t)l->ex_out;
  float *cols = c->w.thr + (size_t)worker * c->w.thr_stride, *dcols = cols + ckk * how;
  float *dyt = dcols + ckk * how;
  const float *e = c->dy + j * l->out_size; /* ex_out x out_hw */
  if (c->want_dp) {
    im2col(l, c->x + j * l->in_size, 1, cols);
    sym_transpose(e, how, eo, how, dyt, eo);
    for (size_t oc = 0; oc < eo; oc++) {
      double acc = 0.0;
      for (size_t q = 0; q < how; q++) acc += e[oc * how + q];
      c->w.bpart[t * eo + oc] = acc;
    }
    c->kern->prod(cols, how, dyt, eo, c->w.part + t * ckk * eo, eo, ckk, eo, how);
  }
  if (c->dx) {
    float *dxj = c->dx + j * l->in_size;
    c->kern->prod(c->w.wxt, eo, e, how, dcols, how, ckk, how, eo);
    memset(dxj, 0, l->in_size * sizeof *dxj);
    col2im_add(l, dcols, 1, dxj);
  }
}

/* dWx^T += the round's partials in sample order, rows of it a task. */
#define REDUCE_ROWS 16
typedef struct reduce_job {
  const float *part;
  float *acc;
  size_t rows, cols, count;
  int first_round;
} reduce_job;

static void reduce_task(void *ctx, size_t t) {
  const reduce_job *r = ctx;
  size_t r0 = t * REDUCE_ROWS, r1 = r0 + REDUCE_ROWS < r->rows ? r0 + REDUCE_ROWS : r->rows;
  size_t stride = r->rows * r->cols;
  for (size_t i = r0 * r->cols; i < r1 * r->cols; i++) {
    float a = r->first_round ? r->part[i] : r->acc[i] + r->part[i];
    for (size_t s = 1; s < r->count; s++) a += r->part[s * stride + i];
    r->acc[i] = a;
  }
}

static void fast_forward(const symclone_layer *l, sym_pool *pool, const float *p, size_t batch,
                         const float *x, float *y, void *work) {
  conv_job c = {.l = l, .kern = sym_kernels_get(), .p = p, .x = x, .y = y};
  fast_split(l, work, &c.w);
  expand(l, p, c.w.wx);
  sym_pool_run_workers(pool, batch, fast_forward_task, &c);
}

static void fast_backward(const symclone_layer *l, sym_pool *pool, const float *p, size_t batch,
                          const float *x, const float *dy, float *dx, float *dp, void *work) {
  conv_job c = {.l = l, .kern = sym_kernels_get(), .p = p, .x = x, .dy = dy, .dx = dx,
                .want_dp = dp != NULL};
  fast_split(l, work, &c.w);
  size_t ckk = (size_t)l->ckk, eo = (size_t)l->ex_out;
  expand(l, p, c.w.wx);
  if (dx) sym_transpose(c.w.wx, ckk, eo, ckk, c.w.wxt, eo);
  for (size_t oc = 0; oc < eo; oc++) c.w.bacc[oc] = 0.0;
  for (size_t first = 0; first < batch; first += CONV_ROUND) {
    size_t count = batch - first < CONV_ROUND ? batch - first : CONV_ROUND;
    c.first = first;
    sym_pool_run_workers(pool, count, fast_backward_task, &c);
    if (!dp) continue;
    reduce_job r = {c.w.part, c.w.dwxt, ckk, eo, count, first == 0};
    sym_pool_run(pool, (ckk + REDUCE_ROWS - 1) / REDUCE_ROWS, reduce_task, &r);
    for (size_t s = 0; s < count; s++)
      for (size_t oc = 0; oc < eo; oc++) c.w.bacc[oc] += c.w.bpart[s * eo + oc];
  }
  if (!dp) return;
  sym_transpose(c.w.dwxt, eo, ckk, eo, c.w.dwx, ckk);
  if (l->bias) {
    float *db = dp + l->weight_count;
    int per = l->ex_out / l->out_c;
    for (int oc = 0; oc < l->ex_out; oc++) db[oc / per] += (float)c.w.bacc[oc];
  }
  fold(l, c.w.dwx, dp);
}

symclone_status sym_conv_forward(const symclone_layer *l, sym_pool *pool, const float *p,
                                 size_t batch, const float *x, float *y, void *work) {
  if (fast_path()) {
    fast_forward(l, pool, p, batch, x, y, work);
    return SYMCLONE_OK;
  }
  conv_ws w;
  ws_split(l, batch, work, &w);
  expand(l, p, w.wx);
  size_t how = out_hw(l), nbmax = chunk_of(l, batch);
  const float *bias = l->bias ? p + l->weight_count : NULL;
  int per = l->ex_out / l->out_c; /* orientations per output channel */
  for (size_t b0 = 0; b0 < batch; b0 += nbmax) {
    size_t nb = batch - b0 < nbmax ? batch - b0 : nbmax;
    int ncols = (int)(nb * how);
    im2col(l, x + b0 * l->in_size, nb, w.cols);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l->ex_out, ncols, l->ckk, 1.0f, w.wx,
                l->ckk, w.cols, ncols, 0.0f, w.yc, ncols);
    for (size_t j = 0; j < nb; j++)
      for (int oc = 0; oc < l->ex_out; oc++) {
        float *dst = y + (b0 + j) * l->out_size + (size_t)oc * how;
        const float *src = w.yc + (size_t)oc * ncols + j * how;
        float bv = bias ? bias[oc / per] : 0.0f;
        for (size_t t = 0; t < how; t++) dst[t] = src[t] + bv;
      }
  }
  return SYMCLONE_OK;
}

symclone_status sym_conv_backward(const symclone_layer *l, sym_pool *pool, const float *p,
                                  size_t batch, const float *x, const float *dy, float *dx,
                                  float *dp, void *work) {
  if (fast_path()) {
    fast_backward(l, pool, p, batch, x, dy, dx, dp, work);
    return SYMCLONE_OK;
  }
  conv_ws w;
  ws_split(l, batch, work, &w);
  expand(l, p, w.wx);
  size_t how = out_hw(l), nbmax = chunk_of(l, batch);
  size_t wxn = (size_t)l->ex_out * (size_t)l->ckk;
  int per = l->ex_out / l->out_c;
  if (dp) memset(w.dwx, 0, wxn * sizeof *w.dwx);
  if (dx) memset(dx, 0, batch * l->in_size * sizeof *dx);
  for (size_t b0 = 0; b0 < batch; b0 += nbmax) {
    size_t nb = batch - b0 < nbmax ? batch - b0 : nbmax;
    int ncols = (int)(nb * how);
    /* gather dy into [ex_out][nb*how] */
    for (size_t j = 0; j < nb; j++)
      for (int oc = 0; oc < l->ex_out; oc++)
        memcpy(w.yc + (size_t)oc * ncols + j * how, dy + (b0 + j) * l->out_size + (size_t)oc * how,
               how * sizeof *w.yc);
    if (dp) {
      im2col(l, x + b0 * l->in_size, nb, w.cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->ex_out, l->ckk, ncols, 1.0f, w.yc,
                  ncols, w.cols, ncols, 1.0f, w.dwx, l->ckk);
      if (l->bias) {
        float *db = dp + l->weight_count;
        for (int oc = 0; oc < l->ex_out; oc++) {
          double acc = 0.0;
          const float *row = w.yc + (size_t)oc * ncols;
          for (int t = 0; t < ncols; t++) acc += row[t];
          db[oc / per] += (float)acc;
        }
      }
    }
    if (dx) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, l->ckk, ncols, l->ex_out, 1.0f, w.wx,
                  l->ckk, w.yc, ncols, 0.0f, w.cols, ncols);
      col2im_add(l, w.cols, nb, dx + b0 * l->in_size);
    }
  }
  if (dp) fold(l, w.dwx, dp);
  return SYMCLONE_OK;
}

symclone_status sym_conv_unroll(const symclone_layer *l, const float *p, float *m, void *work) {
  conv_ws w;
  ws_split(l, 0, work, &w);
  expand(l, p, w.wx);
  size_t how = out_hw(l), hw_in = (size_t)l->in_h * l->in_w;
  int k = l->k;
  memset(m, 0, l->out_size * l->in_size * sizeof *m);
  for (int oc = 0; oc < l->ex_out; oc++)
    for (int oy = 0; oy < l->out_h; oy++)
      for (int ox = 0; ox < l->out_w; ox++) {
        float *row = m + ((size_t)oc * how + (size_t)oy * l->out_w + ox) * l->in_size;
        for (int ic = 0; ic < l->ex_in; ic++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              int t = tap_index(l, oy, ox, ky, kx);
              if (t >= 0)
                row[(size_t)ic * hw_in + t] +=
                    w.wx[(size_t)oc * l->ckk + ((size_t)ic * k + ky) * k + kx];
            }
      }
  return SYMCLONE_OK;
}
