/* c4_equivariance: how exactly do the teacher layers commute with rotations?
 *
 * Builds a C4 lifting convolution (1 -> 4 channels, 5x5 kernel, 28x28 input,
 * valid padding) followed by a C4 group convolution (4 -> 4 channels, 3x3
 * kernel), with random parameters and a random smooth input.  For every
 * rotation r of C4 but the identity the library's equivariance error
 * (symclone_diag_equivariance_error) compares
 *
 *     layer(rotate_r(x))   with   act_r(layer(x))
 *
 * where rotate_r is the rotation of the planar input and act_r the action of
 * r on the group-valued output (rotate each orientation plane and cycle the
 * orientation axis), as ||difference|| / ||act_r(layer(x))||, and reports
 * the mean and the largest over r.  For C4 both sides are the same numbers
 * up to float rounding.  The same is then done with C8, whose 45-degree
 * rotations use bilinear interpolation (of the input, of the output and of
 * the filters inside the layers): the error there is the interpolation
 * error, measured with the library's disc mask (SYMCLONE_MASK_DISC) on the
 * output pixels whose receptive field lies inside the input's inscribed
 * disc (outside it the rotated field has lost its corners), once with the
 * random filters and once with smooth ones.
 *
 * Output: one `name=value` line per figure on stdout.  Exit status 0 when
 * the C4 error is at float rounding level (<= 1e-5), 1 otherwise or on any
 * library error (the message goes to stderr), 2 on a bad command line (the
 * program takes no options but --help).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <symclone/symclone.h>

#include "common.h"

#define HEIGHT 28
#define WIDTH 28
#define IN_CHANNELS 1
#define MID_CHANNELS 4
#define OUT_CHANNELS 4
#define LIFT_KERNEL 5
#define GROUP_KERNEL 3
#define C4_TOLERANCE 1e-5
#define MAX_ORDER 16

/* Report a failed library call: what was called, the status name and the
 * handle's last-error message (if there is a handle). */
static void report(const char *call, symclone_status status, const char *detail) {
  fprintf(stderr, "c4_equivariance: %s failed: %s (status %d)%s%s\n", call,
          symclone_strerror(status), (int)status, detail && *detail ? ": " : "",
          detail ? detail : "");
}

#define CHECK(call, detail)                                                                        \
  do {                                                                                             \
    symclone_status st_ = (call);                                                                  \
    if (st_ != SYMCLONE_OK) {                                                                      \
      report(#call, st_, (detail));                                                                \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* A small reproducible generator for the example's own random input. */
static uint64_t rng_state = 0x853c49e6748fea9bULL;

static double uniform01(void) {
  rng_state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = rng_state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* A smooth random picture: a sum of Gaussian blobs of random position,
 * width and sign. */
static void smooth_input(float *x, int height, int width) {
  for (int i = 0; i < height * width; i++) x[i] = 0.0f;
  for (int b = 0; b < 8; b++) {
    double cy = 4.0 + uniform01() * (height - 8), cx = 4.0 + uniform01() * (width - 8);
    double sigma = 2.0 + 3.0 * uniform01();
    double amp = 2.0 * uniform01() - 1.0;
    for (int y = 0; y < height; y++)
      for (int xx = 0; xx < width; xx++) {
        double d2 = (y - cy) * (y - cy) + (xx - cx) * (xx - cx);
        x[y * width + xx] += (float)(amp * exp(-d2 / (2.0 * sigma * sigma)));
      }
  }
}

/* Smooth oriented filters (derivatives of a Gaussian, one direction per
 * filter) in place of random weights: count filters of k x k. */
static void oriented_filters(float *w, int count, int k) {
  for (int f = 0; f < count; f++) {
    double angle = 0.7 * f, c = cos(angle), s = sin(angle);
    for (int y = 0; y < k; y++)
      for (int x = 0; x < k; x++) {
        double dy = y - 0.5 * (k - 1), dx = x - 0.5 * (k - 1);
        double u = dx * c + dy * s;
        w[(size_t)f * (size_t)(k * k) + (size_t)(y * k + x)] =
            (float)(u * exp(-(dx * dx + dy * dy) / 3.0));
      }
  }
}

/* The operators measured: the lifting layer alone, and the lifting layer
 * followed by the group convolution. */
typedef struct layers {
  const symclone_layer *lift, *gconv;
  const float *lift_params, *gconv_params;
} layers;

static symclone_status lifting_op(void *user, size_t batch, const float *x, float *y) {
  const layers *l = user;
  return symclone_layer_forward(l->lift, l->lift_params, batch, x, y, NULL);
}

static symclone_status lifting_gconv_op(void *user, size_t batch, const float *x, float *y) {
  const layers *l = user;
  float *mid = malloc(batch * symclone_layer_output_size(l->lift) * sizeof *mid);
  if (!mid) return SYMCLONE_ERR_NOMEM;
  symclone_status st = symclone_layer_forward(l->lift, l->lift_params, batch, x, mid, NULL);
  if (!st) st = symclone_layer_forward(l->gconv, l->gconv_params, batch, mid, y, NULL);
  free(mid);
  return st;
}

/* Errors of one group order n: mean and largest over the non-identity
 * elements. */
typedef struct result {
  double lifting_mean, lifting_max;             /* the lifting layer */
  double lifting_gconv_mean, lifting_gconv_max; /* lifting then group convolution */
  double lifting_radius, gconv_radius; /* radii of the compared discs, -1 for whole fields */
} result;

/* The disc mask's margin that keeps the output pixels whose receptive field
 * (reach: the half-diagonal of the field, in pixels) lies inside the
 * input's inscribed disc; *radius receives the compared disc's radius. */
/* The equivariance error of op under every non-identity element of group,
 * on the one input x, over the pixels mask and margin keep. */
static symclone_status measure_error(const symclone_group *group, symclone_diag_operator_fn op,
                                     void *user, const int in_shape[4], const int out_shape[4],
                                     symclone_mask mask, int margin, const float *x, double *mean,
                                     double *max, char *errbuf, size_t errlen) {
  symclone_diag *d = NULL;
  symclone_status st = symclone_diag_create(&d, group, in_shape, out_shape);
  if (st) {
    snprintf(errbuf, errlen, "cannot measure the equivariance: %s", symclone_strerror(st));
    return st;
  }
  if (!(st = symclone_diag_set(d, SYMCLONE_DIAG_MASK, mask)) &&
      !(st = symclone_diag_set(d, SYMCLONE_DIAG_MARGIN, margin)) &&
      !(st = symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, 1)) &&
      !(st = symclone_diag_set(d, SYMCLONE_DIAG_MAX_ELEMENTS, 0)) &&
      !(st = symclone_diag_set_inputs(d, x, 1)))
    st = symclone_diag_equivariance_error(d, op, user, mean, max);
  if (st) snprintf(errbuf, errlen, "%s", symclone_diag_last_error(d));
  symclone_diag_free(d);
  return st;
}

static int disc_margin(int out_side, double reach, double *radius) {
  double out_radius = 0.5 * (out_side - 1), trusted = 0.5 * (HEIGHT - 1) - reach;
  int margin = (int)ceil(out_radius - trusted);
  if (margin < 0) margin = 0;
  *radius = out_radius - margin;
  return margin;
}

/* Run the experiment for Cn on input x.  With restrict_to_disc 0 whole
 * fields are compared; otherwise only the disc of output pixels whose
 * receptive field lies inside the input's inscribed disc (the part a
 * rotation keeps).  With smooth_filters the lifting weights are replaced by
 * smooth oriented filters, which bilinear interpolation rotates far better
 * than random ones.
 * Returns 0 on success, 1 after reporting a library error. */
static int measure(int n, const float *x, int restrict_to_disc, int smooth_filters, result *res) {
  int status = 1;
  symclone_group *group = NULL;
  symclone_layer *lift = NULL, *gconv = NULL;
  float *lift_params = NULL, *gconv_params = NULL;
  int in_shape[4], lift_shape[4], gconv_shape[4];
  char errbuf[256] = "";

  if (n < 1 || n > MAX_ORDER) {
    fprintf(stderr, "c4_equivariance: group order %d outside [1, %d]\n", n, MAX_ORDER);
    return 1;
  }
  CHECK(symclone_group_create_cyclic(&group, n), NULL);
  CHECK(symclone_layer_create_lifting(&lift, n, IN_CHANNELS, MID_CHANNELS, LIFT_KERNEL, HEIGHT,
                                      WIDTH, SYMCLONE_PADDING_VALID, 1),
        NULL);
  CHECK(symclone_layer_input_shape(lift, in_shape), symclone_layer_last_error(lift));
  CHECK(symclone_layer_output_shape(lift, lift_shape), symclone_layer_last_error(lift));
  CHECK(symclone_layer_create_group_conv(&gconv, n, MID_CHANNELS, OUT_CHANNELS, GROUP_KERNEL,
                                         lift_shape[2], lift_shape[3], SYMCLONE_PADDING_VALID, 1),
        NULL);
  CHECK(symclone_layer_output_shape(gconv, gconv_shape), symclone_layer_last_error(gconv));

  lift_params = malloc(symclone_layer_param_count(lift) * sizeof(float));
  gconv_params = malloc(symclone_layer_param_count(gconv) * sizeof(float));
  if (!lift_params || !gconv_params) {
    fprintf(stderr, "c4_equivariance: out of memory\n");
    goto done;
  }
  CHECK(symclone_layer_init_params(lift, 1234, lift_params), symclone_layer_last_error(lift));
  if (smooth_filters) oriented_filters(lift_params, MID_CHANNELS * IN_CHANNELS, LIFT_KERNEL);
  CHECK(symclone_layer_init_params(gconv, 5678, gconv_params), symclone_layer_last_error(gconv));

  /* The compared discs: the output pixels whose receptive field lies
   * inside the input's inscribed disc. */
  double lift_reach = sqrt(2.0) * 0.5 * (LIFT_KERNEL - 1);
  double gconv_reach = lift_reach + sqrt(2.0) * 0.5 * (GROUP_KERNEL - 1);
  symclone_mask mask = restrict_to_disc ? SYMCLONE_MASK_DISC : SYMCLONE_MASK_NONE;
  int lift_margin = disc_margin(lift_shape[2], lift_reach, &res->lifting_radius);
  int gconv_margin = disc_margin(gconv_shape[2], gconv_reach, &res->gconv_radius);
  if (!restrict_to_disc) {
    lift_margin = gconv_margin = 0;
    res->lifting_radius = res->gconv_radius = -1.0;
  }

  /* every non-identity element, on the one input x */
  layers l = {lift, gconv, lift_params, gconv_params};
  CHECK(measure_error(group, lifting_op, &l, in_shape, lift_shape, mask, lift_margin, x,
                &res->lifting_mean, &res->lifting_max, errbuf, sizeof errbuf),
        errbuf);
  CHECK(measure_error(group, lifting_gconv_op, &l, in_shape, gconv_shape, mask, gconv_margin, x,
                &res->lifting_gconv_mean, &res->lifting_gconv_max, errbuf, sizeof errbuf),
        errbuf);
  status = 0;

done:
  free(lift_params);
  free(gconv_params);
  symclone_layer_free(gconv);
  symclone_layer_free(lift);
  symclone_group_free(group);
  return status;
}

int main(int argc, char **argv) {
  int rc = ex_parse(argc, argv,
                    "The equivariance error of C4 and C8 lifting and group convolutions.", NULL, 0);
  if (rc >= 0) return rc;
  static float x[IN_CHANNELS * HEIGHT * WIDTH];
  result c4, c8;

  printf("symclone_version=%s\n", symclone_version_string());
  printf("header_version=%s\n", SYMCLONE_VERSION_STRING);
  printf("input=%dx%dx%d\n", IN_CHANNELS, HEIGHT, WIDTH);
  printf("lifting=%d->%d channels, %dx%d kernel, valid\n", IN_CHANNELS, MID_CHANNELS, LIFT_KERNEL,
         LIFT_KERNEL);
  printf("group_conv=%d->%d channels, %dx%d kernel, valid\n", MID_CHANNELS, OUT_CHANNELS,
         GROUP_KERNEL, GROUP_KERNEL);

  smooth_input(x, HEIGHT, WIDTH);

  if (measure(4, x, 0, 0, &c4)) return 1;
  double c4_max = c4.lifting_max > c4.lifting_gconv_max ? c4.lifting_max : c4.lifting_gconv_max;
  printf("c4_lifting_err_mean=%.3g\n", c4.lifting_mean);
  printf("c4_lifting_err_max=%.3g\n", c4.lifting_max);
  printf("c4_lifting_gconv_err_mean=%.3g\n", c4.lifting_gconv_mean);
  printf("c4_lifting_gconv_err_max=%.3g\n", c4.lifting_gconv_max);
  printf("c4_max_err=%.3g\n", c4_max);

  /* C8: the quarter turns are exact permutations, the 45-degree turns
   * interpolate; the figures cover all seven non-identity elements */
  if (measure(8, x, 1, 0, &c8)) return 1;
  printf("c8_lifting_disc_radius=%.2f\n", c8.lifting_radius);
  printf("c8_lifting_gconv_disc_radius=%.2f\n", c8.gconv_radius);
  printf("c8_lifting_err_mean=%.3g\n", c8.lifting_mean);
  printf("c8_lifting_err_max=%.3g\n", c8.lifting_max);
  printf("c8_lifting_gconv_err_mean=%.3g\n", c8.lifting_gconv_mean);
  printf("c8_lifting_gconv_err_max=%.3g\n", c8.lifting_gconv_max);
  if (measure(8, x, 1, 1, &c8)) return 1;
  printf("c8_smooth_filters_lifting_err_max=%.3g\n", c8.lifting_max);
  printf("c8_smooth_filters_lifting_gconv_err_max=%.3g\n", c8.lifting_gconv_max);

  int exact = c4_max <= C4_TOLERANCE;
  printf("c4_exact=%s\n", exact ? "yes" : "no");
  return exact ? 0 : 1;
}
