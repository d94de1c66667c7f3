/* Parameter-free layers (ReLU, pooling) and the dense layer. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "layer_priv.h"

size_t sym_simple_workspace(const symclone_layer *l, size_t batch) {
  (void)l;
  (void)batch;
  return 0;
}

static void dense_forward(const symclone_layer *l, const float *p, size_t batch, const float *x,
                          float *y) {
  int in = (int)l->in_size, out = (int)l->out_size;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, out, in, 1.0f, x, in, p, in,
              0.0f, y, out);
  if (l->bias) {
    const float *b = p + l->weight_count;
    for (size_t s = 0; s < batch; s++)
      for (int o = 0; o < out; o++) y[s * out + o] += b[o];
  }
}

static void dense_backward(const symclone_layer *l, const float *p, size_t batch, const float *x,
                           const float *dy, float *dx, float *dp) {
  int in = (int)l->in_size, out = (int)l->out_size;
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, in, out, 1.0f, dy, out, p,
                in, 0.0f, dx, in);
  if (dp) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, (int)batch, 1.0f, dy, out, x, in,
                1.0f, dp, in);
    if (l->bias) {
      float *db = dp + l->weight_count;
      for (size_t s = 0; s < batch; s++)
        for (int o = 0; o < out; o++) db[o] += dy[s * out + o];
    }
  }
}

/* 2x2 max-pool: index of the maximum of window (oy, ox) in one plane. */
static size_t pool_argmax(const float *plane, int w, int oy, int ox) {
  size_t best = (size_t)(2 * oy) * w + 2 * ox;
  for (int dy = 0; dy < 2; dy++)
    for (int dx = 0; dx < 2; dx++) {
      size_t t = (size_t)(2 * oy + dy) * w + (2 * ox + dx);
      if (plane[t] > plane[best]) best = t;
    }
  return best;
}

symclone_status sym_simple_forward(const symclone_layer *l, const float *p, size_t batch,
                                   const float *x, float *y) {
  size_t total = batch * l->in_size;
  switch (l->kind) {
  case SYMCLONE_LAYER_DENSE:
    dense_forward(l, p, batch, x, y);
    break;
  case SYMCLONE_LAYER_RELU:
    for (size_t t = 0; t < total; t++) y[t] = x[t] > 0.0f ? x[t] : 0.0f;
    break;
  case SYMCLONE_LAYER_MAXPOOL2: {
    size_t planes = batch * (size_t)l->in_c * l->in_n;
    size_t ihw = (size_t)l->in_h * l->in_w, ohw = (size_t)l->out_h * l->out_w;
    for (size_t q = 0; q < planes; q++) {
      const float *src = x + q * ihw;
      float *dst = y + q * ohw;
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++)
          dst[(size_t)oy * l->out_w + ox] = src[pool_argmax(src, l->in_w, oy, ox)];
    }
    break;
  }
  case SYMCLONE_LAYER_ORIENT_POOL: {
    size_t hw = (size_t)l->in_h * l->in_w;
    int n = l->in_n;
    for (size_t s = 0; s < batch; s++)
      for (int c = 0; c < l->in_c; c++) {
        const float *src = x + s * l->in_size + (size_t)c * n * hw;
        float *dst = y + s * l->out_size + (size_t)c * hw;
        for (size_t t = 0; t < hw; t++) {
          float acc = src[t];
          for (int r = 1; r < n; r++) {
            float v = src[(size_t)r * hw + t];
            if (l->mode == SYMCLONE_POOL_MAX)
              acc = v > acc ? v : acc;
            else
              acc += v;
          }
          dst[t] = l->mode == SYMCLONE_POOL_MAX ? acc : acc / (float)n;
        }
      }
    break;
  }
  case SYMCLONE_LAYER_GLOBAL_AVGPOOL: {
    size_t hw = (size_t)l->in_h * l->in_w, planes = batch * (size_t)l->in_c * l->in_n;
    for (size_t q = 0; q < planes; q++) {
      double acc = 0.0;
      for (size_t t = 0; t < hw; t++) acc += x[q * hw + t];
      y[q] = (float)(acc / (double)hw);
    }
    break;
  }
  default:
    return SYMCLONE_ERR_UNSUPPORTED;
  }
  return SYMCLONE_OK;
}

symclone_status sym_simple_backward(const symclone_layer *l, const float *p, size_t batch,
                                    const float *x, const float *dy, float *dx, float *dp) {
  if (l->kind == SYMCLONE_LAYER_DENSE) {
    dense_backward(l, p, batch, x, dy, dx, dp);
    return SYMCLONE_OK;
  }
  if (!dx) return SYMCLONE_OK; /* no parameters: nothing else to do */
  size_t total = batch * l->in_size;
  switch (l->kind) {
  case SYMCLONE_LAYER_RELU:
    for (size_t t = 0; t < total; t++) {
      float g = dy[t]; /* loaded whatever x says: no branch, so the loop vectorises */
      dx[t] = x[t] > 0.0f ? g : 0.0f;
    }
    break;
  case SYMCLONE_LAYER_MAXPOOL2: {
    size_t planes = batch * (size_t)l->in_c * l->in_n;
    size_t ihw = (size_t)l->in_h * l->in_w, ohw = (size_t)l->out_h * l->out_w;
    int w = l->in_w, even = l->in_h % 2 == 0 && l->in_w % 2 == 0;
    /* the windows tile an even plane: each writes its four entries, so no
     * clearing pass is needed; an odd plane's last row or column is not in
     * any window and is cleared first */
    if (!even) memset(dx, 0, total * sizeof *dx);
    for (size_t q = 0; q < planes; q++) {
      const float *xq = x + q * ihw;
      float *dq = dx + q * ihw;
      for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++) {
          size_t top = (size_t)(2 * oy) * w + 2 * ox, best = pool_argmax(xq, w, oy, ox);
          float g = dy[q * ohw + (size_t)oy * l->out_w + ox];
          dq[top] = dq[top + 1] = dq[top + w] = dq[top + w + 1] = 0.0f;
          dq[best] = g;
        }
    }
    break;
  }
  case SYMCLONE_LAYER_ORIENT_POOL: {
    size_t hw = (size_t)l->in_h * l->in_w;
    int n = l->in_n;
    memset(dx, 0, total * sizeof *dx);
    for (size_t s = 0; s < batch; s++)
      for (int c = 0; c < l->in_c; c++) {
        const float *src = x + s * l->in_size + (size_t)c * n * hw;
        float *dst = dx + s * l->in_size + (size_t)c * n * hw;
        const float *g = dy + s * l->out_size + (size_t)c * hw;
        for (size_t t = 0; t < hw; t++) {
          if (l->mode == SYMCLONE_POOL_MAX) {
            int best = 0;
            for (int r = 1; r < n; r++)
              if (src[(size_t)r * hw + t] > src[(size_t)best * hw + t]) best = r;
            dst[(size_t)best * hw + t] = g[t];
          } else {
            for (int r = 0; r < n; r++) dst[(size_t)r * hw + t] = g[t] / (float)n;
          }
        }
      }
    break;
  }
  case SYMCLONE_LAYER_GLOBAL_AVGPOOL: {
    size_t hw = (size_t)l->in_h * l->in_w, planes = batch * (size_t)l->in_c * l->in_n;
    for (size_t q = 0; q < planes; q++)
      for (size_t t = 0; t < hw; t++) dx[q * hw + t] = dy[q] / (float)hw;
    break;
  }
  default:
    return SYMCLONE_ERR_UNSUPPORTED;
  }
  return SYMCLONE_OK;
}

symclone_status sym_simple_unroll(const symclone_layer *l, const float *p, float *m) {
  size_t in = l->in_size, out = l->out_size;
  switch (l->kind) {
  case SYMCLONE_LAYER_DENSE:
    memcpy(m, p, in * out * sizeof *m);
    return SYMCLONE_OK;
  case SYMCLONE_LAYER_ORIENT_POOL: {
    if (l->mode != SYMCLONE_POOL_MEAN) return SYMCLONE_ERR_UNSUPPORTED;
    memset(m, 0, in * out * sizeof *m);
    size_t hw = (size_t)l->in_h * l->in_w;
    int n = l->in_n;
    for (int c = 0; c < l->in_c; c++)
      for (size_t t = 0; t < hw; t++)
        for (int r = 0; r < n; r++)
          m[((size_t)c * hw + t) * in + ((size_t)c * n + r) * hw + t] = 1.0f / (float)n;
    return SYMCLONE_OK;
  }
  case SYMCLONE_LAYER_GLOBAL_AVGPOOL: {
    memset(m, 0, in * out * sizeof *m);
    size_t hw = (size_t)l->in_h * l->in_w;
    for (size_t q = 0; q < out; q++)
      for (size_t t = 0; t < hw; t++) m[q * in + q * hw + t] = 1.0f / (float)hw;
    return SYMCLONE_OK;
  }
  default:
    return SYMCLONE_ERR_UNSUPPORTED;
  }
}
