/* A program outside the project, built against the installed library with
 * `pkg-config --cflags --libs symclone`: prints the version it was compiled
 * against and the version it loaded, fails if they differ, and makes a few
 * real calls (a group and a convolution, which goes through BLAS). */
#include <stdio.h>
#include <string.h>

#include <symclone/symclone.h>

static int fail(const char *what, symclone_status status) {
  fprintf(stderr, "app: %s: %s\n", what, symclone_strerror(status));
  return 1;
}

int main(void) {
  const char *loaded = symclone_version_string();
  printf("compile-time version %s\n", SYMCLONE_VERSION_STRING);
  printf("run-time version %s\n", loaded);
  if (strcmp(loaded, SYMCLONE_VERSION_STRING) != 0 ||
      symclone_version_number() != (unsigned)SYMCLONE_VERSION_NUMBER) {
    fprintf(stderr, "app: version mismatch\n");
    return 1;
  }

  symclone_group *group = NULL;
  symclone_status st = symclone_group_create_cyclic(&group, 4);
  if (st != SYMCLONE_OK) return fail("symclone_group_create_cyclic", st);
  int order = symclone_group_order(group);
  symclone_group_free(group);
  if (order != 4) {
    fprintf(stderr, "app: C4 has order %d\n", order);
    return 1;
  }

  /* A 3x3 box filter on a 5x5 field of ones: every valid output is 9. */
  symclone_layer *conv = NULL;
  st = symclone_layer_create_conv2d(&conv, 1, 1, 3, 5, 5, SYMCLONE_PADDING_VALID, 0);
  if (st != SYMCLONE_OK) return fail("symclone_layer_create_conv2d", st);
  float w[9], x[25], y[9];
  for (int i = 0; i < 9; i++) w[i] = 1.0f;
  for (int i = 0; i < 25; i++) x[i] = 1.0f;
  st = symclone_layer_forward(conv, w, 1, x, y, NULL);
  if (st != SYMCLONE_OK) {
    fprintf(stderr, "app: forward: %s\n", symclone_layer_last_error(conv));
    symclone_layer_free(conv);
    return fail("symclone_layer_forward", st);
  }
  symclone_layer_free(conv);
  for (int i = 0; i < 9; i++)
    if (y[i] != 9.0f) {
      fprintf(stderr, "app: convolution output %d is %g, expected 9\n", i, (double)y[i]);
      return 1;
    }
  printf("ok\n");
  return 0;
}
