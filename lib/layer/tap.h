/* Private: the padding rule of every planar correlation in the library,
 * shared by the convolution layers (conv.c) and the trainer's tap table
 * (lib/train). */
#ifndef SYMCLONE_TAP_H
#define SYMCLONE_TAP_H

#include <symclone/layer.h>

/* The input pixel (iy * w + ix of an h x w plane) that tap (ky, kx) of a
 * k x k kernel reads for output pixel (oy, ox), or -1 where zero padding
 * reads outside the plane.  Valid: no offset; zero and circular: centred
 * (offset k / 2), circular wrapping around the plane. */
static inline int sym_tap_index(int pad, int h, int w, int k, int oy, int ox, int ky, int kx) {
  int iy = oy + ky, ix = ox + kx;
  if (pad == SYMCLONE_PADDING_VALID) return iy * w + ix;
  iy -= k / 2;
  ix -= k / 2;
  if (pad == SYMCLONE_PADDING_ZERO) {
    if (iy < 0 || iy >= h || ix < 0 || ix >= w) return -1;
  } else {
    iy = ((iy % h) + h) % h;
    ix = ((ix % w) + w) % w;
  }
  return iy * w + ix;
}

#endif
