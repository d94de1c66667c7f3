/* A program of a project that uses libsymclone as a Meson subproject: a
 * convolution with circular padding commutes with every shift of the torus,
 * checked for each shift against the library's own T2 action. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

enum { SIDE = 6, KERNEL = 3 };

static double absd(double v) { return v < 0 ? -v : v; }
static double maxd(double a, double b) { return a > b ? a : b; }

static int fail(const char *what, int status) {
  fprintf(stderr, "app: %s: %s\n", what, symclone_strerror(status));
  return 1;
}

int main(void) {
  if (strcmp(symclone_version_string(), SYMCLONE_VERSION_STRING) != 0) {
    fprintf(stderr, "app: library %s, headers %s\n", symclone_version_string(),
            SYMCLONE_VERSION_STRING);
    return 1;
  }
  symclone_group *t2 = NULL;
  symclone_layer *conv = NULL;
  int st = symclone_group_create_t2(&t2, SIDE, SIDE);
  if (st != SYMCLONE_OK) return fail("symclone_group_create_t2", st);
  st = symclone_layer_create_conv2d(&conv, 1, 1, KERNEL, SIDE, SIDE, SYMCLONE_PADDING_CIRCULAR, 1);
  if (st != SYMCLONE_OK) return fail("symclone_layer_create_conv2d", st);
  if (symclone_layer_param_count(conv) != KERNEL * KERNEL + 1) {
    fprintf(stderr, "app: %zu parameters\n", symclone_layer_param_count(conv));
    return 1;
  }

  float params[KERNEL * KERNEL + 1], x[SIDE * SIDE], gx[SIDE * SIDE];
  float y[SIDE * SIDE], gy[SIDE * SIDE], ygx[SIDE * SIDE];
  st = symclone_layer_init_params(conv, 7, params);
  if (st != SYMCLONE_OK) return fail("symclone_layer_init_params", st);
  params[KERNEL * KERNEL] = 0.25f; /* a bias too */
  for (int i = 0; i < SIDE * SIDE; i++) x[i] = (float)((i * 37) % 11) - 5.0f;
  st = symclone_layer_forward(conv, params, 1, x, y, NULL);
  if (st != SYMCLONE_OK) return fail("symclone_layer_forward", st);

  double worst = 0, scale = 0;
  for (int i = 0; i < SIDE * SIDE; i++) scale = maxd(scale, absd(y[i]));
  for (int g = 0; g < symclone_group_order(t2); g++) {
    if ((st = symclone_group_act_planar(t2, g, 1, SIDE, SIDE, x, gx)) != SYMCLONE_OK ||
        (st = symclone_group_act_planar(t2, g, 1, SIDE, SIDE, y, gy)) != SYMCLONE_OK)
      return fail("symclone_group_act_planar", st);
    st = symclone_layer_forward(conv, params, 1, gx, ygx, NULL);
    if (st != SYMCLONE_OK) return fail("symclone_layer_forward", st);
    for (int i = 0; i < SIDE * SIDE; i++) worst = maxd(worst, absd(ygx[i] - gy[i]));
  }
  symclone_layer_free(conv);
  symclone_group_free(t2);
  printf("libsymclone %s: %d shifts, largest |conv(g x) - g conv(x)| = %.3g (outputs up to %.3g)\n",
         symclone_version_string(), SIDE * SIDE, worst, scale);
  if (!(scale > 0) || worst > 1e-5 * scale) {
    fprintf(stderr, "app: the convolution is not shift-equivariant\n");
    return 1;
  }
  return 0;
}
