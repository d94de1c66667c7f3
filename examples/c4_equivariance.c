/* c4_equivariance: how exactly do the teacher layers commute with rotations?
 *
 * Builds a C4 lifting convolution (1 -> 4 channels, 5x5 kernel, 28x28 input,
 * valid padding) followed by a C4 group convolution (4 -> 4 channels, 3x3
 * kernel), with random parameters and a random smooth input.  For every
 * rotation r of C4 it compares
 *
 *     layer(rotate_r(x))   with   act_r(layer(x))
 *
 * where rotate_r is the rotation of the planar input and act_r the action of
 * r on the group-valued output (rotate each orientation plane and cycle the
 * orientation axis).  For C4 both sides are the same numbers up to float
 * rounding.  The same is then done with C8, whose 45-degree rotations use
 * bilinear interpolation (of the input, of the output and of the filters
 * inside the layers): the error there is the interpolation error, measured
 * inside the inscribed disc (outside it the rotated field has lost its
 * corners), once with the random filters and once with smooth ones.
 *
 * Output: one `name=value` line per figure on stdout.  Exit status 0 when
 * the C4 error is at float rounding level (<= 1e-5), 1 otherwise or on any
 * library error (the message goes to stderr).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <symclone/symclone.h>

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

/* ||a - b|| / ||b|| over `planes` planes of side x side pixels, counting
 * only pixels within `radius` of the plane centre (radius < 0: all). */
static double rel_error(const float *a, const float *b, size_t planes, int side, double radius) {
  double num = 0.0, den = 0.0, c = 0.5 * (side - 1);
  for (size_t p = 0; p < planes; p++)
    for (int y = 0; y < side; y++)
      for (int x = 0; x < side; x++) {
        if (radius >= 0.0 && (y - c) * (y - c) + (x - c) * (x - c) > radius * radius) continue;
        size_t i = (p * (size_t)side + (size_t)y) * (size_t)side + (size_t)x;
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
      }
  return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

/* Errors of one group order n. */
typedef struct result {
  double lifting[MAX_ORDER];       /* per element r */
  double lifting_gconv[MAX_ORDER]; /* per element r */
  double lifting_max, lifting_gconv_max;
  double action; /* interpolation error of the action itself (n = 8 only) */
  double lifting_radius, gconv_radius; /* compared discs, -1 for whole fields */
} result;

/* Run the experiment for Cn on input x.  With restrict_to_disc 0 whole
 * fields are compared; otherwise only the pixels whose receptive field lies
 * inside the input's inscribed disc (the part a rotation keeps).  With
 * smooth_filters the lifting weights are replaced by smooth oriented
 * filters, which bilinear interpolation rotates far better than random
 * ones.
 * Returns 0 on success, 1 after reporting a library error. */
static int measure(int n, const float *x, int restrict_to_disc, int smooth_filters,
                   result *res) {
  int status = 1;
  symclone_group *group = NULL;
  symclone_layer *lift = NULL, *gconv = NULL;
  float *lift_params = NULL, *gconv_params = NULL;
  float *xr = NULL, *x2 = NULL, *y0 = NULL, *yr = NULL, *ya = NULL, *z0 = NULL, *zr = NULL,
        *za = NULL;
  int lift_shape[4], gconv_shape[4];

  if (n < 1 || n > MAX_ORDER) {
    fprintf(stderr, "c4_equivariance: group order %d outside [1, %d]\n", n, MAX_ORDER);
    return 1;
  }
  CHECK(symclone_group_create_cyclic(&group, n), NULL);
  CHECK(symclone_layer_create_lifting(&lift, n, IN_CHANNELS, MID_CHANNELS, LIFT_KERNEL, HEIGHT, WIDTH,
                                SYMCLONE_PADDING_VALID, 1),
        NULL);
  CHECK(symclone_layer_output_shape(lift, lift_shape), symclone_layer_last_error(lift));
  CHECK(symclone_layer_create_group_conv(&gconv, n, MID_CHANNELS, OUT_CHANNELS, GROUP_KERNEL,
                                   lift_shape[2], lift_shape[3], SYMCLONE_PADDING_VALID, 1),
        NULL);
  CHECK(symclone_layer_output_shape(gconv, gconv_shape), symclone_layer_last_error(gconv));

  size_t in_size = symclone_layer_input_size(lift);
  size_t mid_size = symclone_layer_output_size(lift);
  size_t out_size = symclone_layer_output_size(gconv);
  lift_params = malloc(symclone_layer_param_count(lift) * sizeof(float));
  gconv_params = malloc(symclone_layer_param_count(gconv) * sizeof(float));
  xr = malloc(in_size * sizeof(float));
  x2 = malloc(in_size * sizeof(float));
  y0 = malloc(mid_size * sizeof(float));
  yr = malloc(mid_size * sizeof(float));
  ya = malloc(mid_size * sizeof(float));
  z0 = malloc(out_size * sizeof(float));
  zr = malloc(out_size * sizeof(float));
  za = malloc(out_size * sizeof(float));
  if (!lift_params || !gconv_params || !xr || !x2 || !y0 || !yr || !ya || !z0 || !zr || !za) {
    fprintf(stderr, "c4_equivariance: out of memory\n");
    goto done;
  }

  CHECK(symclone_layer_init_params(lift, 1234, lift_params), symclone_layer_last_error(lift));
  if (smooth_filters) oriented_filters(lift_params, MID_CHANNELS * IN_CHANNELS, LIFT_KERNEL);
  CHECK(symclone_layer_init_params(gconv, 5678, gconv_params), symclone_layer_last_error(gconv));

  /* The un-rotated outputs. */
  CHECK(symclone_layer_forward(lift, lift_params, 1, x, y0, NULL), symclone_layer_last_error(lift));
  CHECK(symclone_layer_forward(gconv, gconv_params, 1, y0, z0, NULL),
        symclone_layer_last_error(gconv));

  /* Trusted discs: the input's inscribed disc shrunk by the half-diagonal
   * of the receptive field of each output pixel. */
  double input_radius = 0.5 * (HEIGHT - 1);
  double lift_reach = sqrt(2.0) * 0.5 * (LIFT_KERNEL - 1);
  double gconv_reach = lift_reach + sqrt(2.0) * 0.5 * (GROUP_KERNEL - 1);
  double lift_radius = restrict_to_disc ? input_radius - lift_reach : -1.0;
  double gconv_radius = restrict_to_disc ? input_radius - gconv_reach : -1.0;

  res->lifting_radius = lift_radius;
  res->gconv_radius = gconv_radius;
  res->lifting_max = res->lifting_gconv_max = 0.0;
  for (int r = 0; r < n; r++) {
    CHECK(symclone_group_act_planar(group, r, IN_CHANNELS, HEIGHT, WIDTH, x, xr),
          symclone_group_last_error(group));
    CHECK(symclone_layer_forward(lift, lift_params, 1, xr, yr, NULL),
          symclone_layer_last_error(lift));
    CHECK(symclone_layer_forward(gconv, gconv_params, 1, yr, zr, NULL),
          symclone_layer_last_error(gconv));
    CHECK(symclone_group_act_group(group, r, lift_shape[0], lift_shape[1], lift_shape[2],
                                   lift_shape[3], y0, ya),
          symclone_group_last_error(group));
    CHECK(symclone_group_act_group(group, r, gconv_shape[0], gconv_shape[1], gconv_shape[2],
                                   gconv_shape[3], z0, za),
          symclone_group_last_error(group));
    res->lifting[r] = rel_error(yr, ya, (size_t)lift_shape[0] * (size_t)lift_shape[1],
                                lift_shape[2], lift_radius);
    res->lifting_gconv[r] = rel_error(zr, za, (size_t)gconv_shape[0] * (size_t)gconv_shape[1],
                                      gconv_shape[2], gconv_radius);
    if (res->lifting[r] > res->lifting_max) res->lifting_max = res->lifting[r];
    if (res->lifting_gconv[r] > res->lifting_gconv_max)
      res->lifting_gconv_max = res->lifting_gconv[r];
  }

  /* The interpolation error of the action alone: rotating twice by one
   * step against one exact quarter turn (only meaningful for n = 8). */
  res->action = 0.0;
  if (n == 8) {
    CHECK(symclone_group_act_planar(group, 1, IN_CHANNELS, HEIGHT, WIDTH, x, xr),
          symclone_group_last_error(group));
    CHECK(symclone_group_act_planar(group, 1, IN_CHANNELS, HEIGHT, WIDTH, xr, x2),
          symclone_group_last_error(group));
    CHECK(symclone_group_act_planar(group, 2, IN_CHANNELS, HEIGHT, WIDTH, x, xr),
          symclone_group_last_error(group));
    res->action = rel_error(x2, xr, IN_CHANNELS, HEIGHT, input_radius);
  }
  status = 0;

done:
  free(lift_params);
  free(gconv_params);
  free(xr);
  free(x2);
  free(y0);
  free(yr);
  free(ya);
  free(z0);
  free(zr);
  free(za);
  symclone_layer_free(gconv);
  symclone_layer_free(lift);
  symclone_group_free(group);
  return status;
}

int main(void) {
  static float x[IN_CHANNELS * HEIGHT * WIDTH];
  result c4, c8;

  printf("symclone_version=%s\n", symclone_version_string());
  printf("header_version=%s\n", SYMCLONE_VERSION_STRING);
  printf("input=%dx%dx%d\n", IN_CHANNELS, HEIGHT, WIDTH);
  printf("lifting=%d->%d channels, %dx%d kernel, valid\n", IN_CHANNELS, MID_CHANNELS,
         LIFT_KERNEL, LIFT_KERNEL);
  printf("group_conv=%d->%d channels, %dx%d kernel, valid\n", MID_CHANNELS, OUT_CHANNELS,
         GROUP_KERNEL, GROUP_KERNEL);

  smooth_input(x, HEIGHT, WIDTH);

  if (measure(4, x, 0, 0, &c4)) return 1;
  for (int r = 0; r < 4; r++) {
    printf("c4_lifting_err_r%d=%.3g\n", r, c4.lifting[r]);
    printf("c4_lifting_gconv_err_r%d=%.3g\n", r, c4.lifting_gconv[r]);
  }
  double c4_max = c4.lifting_max > c4.lifting_gconv_max ? c4.lifting_max : c4.lifting_gconv_max;
  printf("c4_lifting_err_max=%.3g\n", c4.lifting_max);
  printf("c4_lifting_gconv_err_max=%.3g\n", c4.lifting_gconv_max);
  printf("c4_max_err=%.3g\n", c4_max);

  if (measure(8, x, 1, 0, &c8)) return 1;
  /* Quarter turns (even r) are exact permutations in C8 too; the
   * interpolation error is in the 45-degree turns (odd r). */
  double quarter = 0.0;
  for (int r = 0; r < 8; r += 2) {
    if (c8.lifting[r] > quarter) quarter = c8.lifting[r];
    if (c8.lifting_gconv[r] > quarter) quarter = c8.lifting_gconv[r];
  }
  printf("c8_quarter_turns_err_max=%.3g\n", quarter);
  printf("c8_lifting_disc_radius=%.2f\n", c8.lifting_radius);
  printf("c8_lifting_gconv_disc_radius=%.2f\n", c8.gconv_radius);
  printf("c8_lifting_err_max=%.3g\n", c8.lifting_max);
  printf("c8_lifting_gconv_err_max=%.3g\n", c8.lifting_gconv_max);
  printf("c8_action_err=%.3g\n", c8.action);
  if (measure(8, x, 1, 1, &c8)) return 1;
  printf("c8_smooth_filters_lifting_err_max=%.3g\n", c8.lifting_max);
  printf("c8_smooth_filters_lifting_gconv_err_max=%.3g\n", c8.lifting_gconv_max);

  int exact = c4_max <= C4_TOLERANCE;
  printf("c4_exact=%s\n", exact ? "yes" : "no");
  return exact ? 0 : 1;
}
