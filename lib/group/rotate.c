#include <math.h>

#include "rotate.h"

int sym_rot_quarter(int r, int n) {
  r %= n;
  if (r < 0) r += n;
  if ((4 * r) % n != 0) return -1;
  return (4 * r / n) % 4;
}

/* Source pixel of output pixel (y, x) for quarter turns q (counter-
 * clockwise as displayed, about the centre).  For q odd height == width. */
static void quarter_source(int q, int y, int x, int h, int w, int *sy, int *sx) {
  switch (q) {
  case 0: *sy = y; *sx = x; break;
  case 1: *sy = x; *sx = w - 1 - y; break;
  case 2: *sy = h - 1 - y; *sx = w - 1 - x; break;
  default: *sy = h - 1 - x; *sx = y; break;
  }
}

/* Bilinear weights of the source point of output pixel (y, x) for angle
 * 2*pi*r/n.  Returns the four corner indices (or -1 outside) and weights;
 * with `mirror` the indices are those of the columns reflected about the
 * vertical axis (x -> w-1-x), so that the rotation reads a mirrored plane. */
static void bilinear_source(int y, int x, int h, int w, double c, double s, int mirror,
                            int idx[4], double wt[4]) {
  double cy = 0.5 * (h - 1), cx = 0.5 * (w - 1);
  double u = x - cx, v = cy - y;
  /* inverse rotation: by -angle */
  double us = u * c + v * s;
  double vs = -u * s + v * c;
  double fx = cx + us, fy = cy - vs;
  /* snap values within rounding of an integer grid point */
  double rx = floor(fx + 0.5), ry = floor(fy + 0.5);
  if (fabs(fx - rx) < 1e-9) fx = rx;
  if (fabs(fy - ry) < 1e-9) fy = ry;
  int x0 = (int)floor(fx), y0 = (int)floor(fy);
  double ax = fx - x0, ay = fy - y0;
  int xs[2] = {x0, x0 + 1}, ys[2] = {y0, y0 + 1};
  double wx[2] = {1.0 - ax, ax}, wy[2] = {1.0 - ay, ay};
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 2; i++) {
      int k = j * 2 + i;
      double wk = wy[j] * wx[i];
      if (ys[j] < 0 || ys[j] >= h || xs[i] < 0 || xs[i] >= w || wk == 0.0) {
        idx[k] = -1;
        wt[k] = 0.0;
      } else {
        idx[k] = ys[j] * w + (mirror ? w - 1 - xs[i] : xs[i]);
        wt[k] = wk;
      }
    }
}

int sym_dihedral_source(int h, int w, int m, int r, int n, int p) {
  int q = sym_rot_quarter(r, n);
  if (q < 0) return -1;
  int sy, sx;
  quarter_source(q, p / w, p % w, h, w, &sy, &sx);
  if (m) sx = w - 1 - sx;
  return sy * w + sx;
}

void sym_dihedral_plane(const float *in, float *out, int h, int w, int m, int r, int n) {
  int q = sym_rot_quarter(r, n);
  if (q >= 0) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int sy, sx;
        quarter_source(q, y, x, h, w, &sy, &sx);
        if (m) sx = w - 1 - sx;
        out[y * w + x] = in[sy * w + sx];
      }
    return;
  }
  double a = 6.283185307179586476925286766559 * (double)r / (double)n;
  double c = cos(a), s = sin(a);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int idx[4];
      double wt[4];
      bilinear_source(y, x, h, w, c, s, m, idx, wt);
      double acc = 0.0;
      for (int k = 0; k < 4; k++)
        if (idx[k] >= 0) acc += wt[k] * in[idx[k]];
      out[y * w + x] = (float)acc;
    }
}

void sym_rotate_plane(const float *in, float *out, int h, int w, int r, int n) {
  sym_dihedral_plane(in, out, h, w, 0, r, n);
}

void sym_dihedral_plane_adjoint_add(const float *in, float *out, int h, int w, int m, int r,
                                    int n) {
  int q = sym_rot_quarter(r, n);
  if (q >= 0) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int sy, sx;
        quarter_source(q, y, x, h, w, &sy, &sx);
        if (m) sx = w - 1 - sx;
        out[sy * w + sx] += in[y * w + x];
      }
    return;
  }
  double a = 6.283185307179586476925286766559 * (double)r / (double)n;
  double c = cos(a), s = sin(a);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int idx[4];
      double wt[4];
      bilinear_source(y, x, h, w, c, s, m, idx, wt);
      for (int k = 0; k < 4; k++)
        if (idx[k] >= 0) out[idx[k]] += (float)(wt[k] * in[y * w + x]);
    }
}

void sym_rotate_plane_adjoint_add(const float *in, float *out, int h, int w, int r, int n) {
  sym_dihedral_plane_adjoint_add(in, out, h, w, 0, r, n);
}

/* g = m*n + r is R^r M^m, and M R^r = R^-r M, so
 * (R^ra M^ma)(R^rb M^mb) = R^(ra +- rb) M^(ma xor mb), minus when ma = 1. */
int sym_dihedral_compose(int a, int b, int n) {
  int ma = a / n, ra = a % n, mb = b / n, rb = b % n;
  int r = ma ? (ra - rb + n) % n : (ra + rb) % n;
  return (ma ^ mb) * n + r;
}

/* A reflection R^r M is its own inverse. */
int sym_dihedral_inverse(int a, int n) { return a >= n ? a : (n - a) % n; }
