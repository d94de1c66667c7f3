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
#include "layer_priv.h"
#include "tap.h"

typedef struct conv_ws {
  float *wx, *dwx, *cols, *yc;
} conv_ws;

static size_t out_hw(const symclone_layer *l) { return (size_t)l->out_h * (size_t)l->out_w; }

static size_t chunk_of(const symclone_layer *l, size_t batch) {
  return batch < (size_t)l->chunk ? batch : (size_t)l->chunk;
}

size_t sym_conv_workspace(const symclone_layer *l, size_t batch) {
  size_t nb = chunk_of(l, batch);
  size_t wx = (size_t)l->ex_out * (size_t)l->ckk;
  size_t cols = (size_t)l->ckk * nb * out_hw(l);
  size_t yc = (size_t)l->ex_out * nb * out_hw(l);
  return (2 * wx + cols + yc) * sizeof(float);
}

static void ws_split(const symclone_layer *l, size_t batch, void *work, conv_ws *w) {
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
            int h = l->in_h, w = l->in_w, ow = l->out_w, d = kx - k / 2;
            int lo = d < 0 ? -d : 0, hi = w - d < ow ? w - d : ow;
            if (lo > ow) lo = ow;
            if (hi < lo) hi = lo;
            int circ = l->pad == SYMCLONE_PADDING_CIRCULAR;
            for (int oy = 0; oy < l->out_h; oy++) {
              float *dst = row + (size_t)oy * ow;
              int iy = oy + ky - k / 2;
              if (circ)
                iy = ((iy % h) + h) % h;
              else if (iy < 0 || iy >= h) {
                memset(dst, 0, (size_t)ow * sizeof *dst);
                continue;
              }
              const float *src = xc + (size_t)iy * w;
              for (int ox = 0; ox < lo; ox++) dst[ox] = circ ? src[((ox + d) % w + w) % w] : 0.0f;
              for (int ox = hi; ox < ow; ox++) dst[ox] = circ ? src[((ox + d) % w + w) % w] : 0.0f;
              if (hi > lo) memcpy(dst + lo, src + lo + d, (size_t)(hi - lo) * sizeof *dst);
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
  int k = l->k, h = l->in_h, w = l->in_w, ow = l->out_w;
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
          int d = kx - k / 2;
          int lo = d < 0 ? -d : 0, hi = w - d < ow ? w - d : ow;
          if (lo > ow) lo = ow;
          if (hi < lo) hi = lo;
          for (int oy = 0; oy < l->out_h; oy++) {
            int iy = oy + ky - k / 2;
            if (circ)
              iy = ((iy % h) + h) % h;
            else if (iy < 0 || iy >= h)
              continue;
            float *dst = dc + (size_t)iy * w;
            const float *src = row + (size_t)oy * ow;
            if (circ)
              for (int ox = 0; ox < lo; ox++) dst[((ox + d) % w + w) % w] += src[ox];
            for (int ox = lo; ox < hi; ox++) dst[ox + d] += src[ox];
            if (circ)
              for (int ox = hi; ox < ow; ox++) dst[((ox + d) % w + w) % w] += src[ox];
          }
        }
    }
  }
}

symclone_status sym_conv_forward(const symclone_layer *l, const float *p, size_t batch,
                                 const float *x, float *y, void *work) {
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

symclone_status sym_conv_backward(const symclone_layer *l, const float *p, size_t batch,
                                  const float *x, const float *dy, float *dx, float *dp,
                                  void *work) {
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
