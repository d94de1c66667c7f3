/* Writes, for tests/python/test_interchange.py, one student of each kind
 * exported as safetensors and npz, and the library's outputs on fixed
 * inputs.  Each student is trained for a few updates first, so that every
 * part of it (blocks included) is non-trivial.
 *
 *   export_student DIR
 *
 * writes DIR/<kind>.safetensors, DIR/<kind>.npz and DIR/<kind>.io (kind:
 * planar, lifting, group, dihedral_lifting, dihedral_group): BATCH inputs x [BATCH][input_size], one theta
 * [theta_size] and the outputs y = S(x; theta) [BATCH][output_size], all
 * float32 little-endian, one after the other.
 *
 *   export_student --convert IN OUT
 *
 * imports IN (either format, written by any tool) and exports it to OUT as
 * safetensors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

#define BATCH 3

static int fail(const char *what, symclone_status st, const char *msg) {
  fprintf(stderr, "export_student: %s: %s: %s\n", what, symclone_strerror(st), msg);
  return 1;
}

static int write_floats(FILE *f, const float *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char b[4];
    uint32_t u;
    memcpy(&u, &v[i], 4);
    for (int k = 0; k < 4; k++) b[k] = (unsigned char)(u >> (8 * k));
    if (fwrite(b, 1, 4, f) != 4) return -1;
  }
  return 0;
}

static int one(const char *dir, const char *name, symclone_student_kind kind, symclone_padding pad) {
  symclone_student *s;
  symclone_status st = symclone_student_create(&s, kind, 4, 3, 7, 6, pad, 9, 11);
  if (st) return fail("create", st, "");
  {
    symclone_trainer *t;
    if ((st = symclone_trainer_create(&t, s))) return fail("trainer", st, "");
    for (int i = 0; i < 20 && !st; i++) st = symclone_trainer_step(t, NULL, NULL);
    if (st) return fail("step", st, symclone_trainer_last_error(t));
    symclone_trainer_free(t);
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
  if ((st = symclone_student_export(s, path, SYMCLONE_FORMAT_SAFETENSORS)))
    return fail(path, st, symclone_student_last_error(s));
  snprintf(path, sizeof path, "%s/%s.npz", dir, name);
  if ((st = symclone_student_export(s, path, SYMCLONE_FORMAT_NPZ)))
    return fail(path, st, symclone_student_last_error(s));

  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  float *x = malloc(BATCH * in * sizeof *x), *theta = malloc(p * sizeof *theta);
  float *y = malloc(BATCH * out * sizeof *y);
  if (!x || !theta || !y) return fail("malloc", SYMCLONE_ERR_NOMEM, "");
  for (size_t i = 0; i < BATCH * in; i++) x[i] = (float)((int)(i * 37 % 19) - 9) / 9.0f;
  for (size_t i = 0; i < p; i++) theta[i] = (float)((int)(i * 13 % 11) - 5) / 5.0f;
  if ((st = symclone_student_forward(s, theta, BATCH, x, y)))
    return fail("forward", st, symclone_student_last_error(s));
  snprintf(path, sizeof path, "%s/%s.io", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || write_floats(f, x, BATCH * in) || write_floats(f, theta, p) ||
      write_floats(f, y, BATCH * out) || fclose(f))
    return fail(path, SYMCLONE_ERR_IO, "cannot write");
  free(x);
  free(theta);
  free(y);
  symclone_student_free(s);
  return 0;
}

static int convert(const char *in, const char *out) {
  symclone_loader *loader;
  symclone_student *s;
  symclone_status st = symclone_loader_create(&loader);
  if (st) return fail("loader", st, "");
  if ((st = symclone_student_import(&s, in, loader)))
    return fail(in, st, symclone_loader_last_error(loader));
  symclone_loader_free(loader);
  if ((st = symclone_student_export(s, out, SYMCLONE_FORMAT_SAFETENSORS)))
    return fail(out, st, symclone_student_last_error(s));
  symclone_student_free(s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--convert") == 0) return convert(argv[2], argv[3]);
  if (argc != 2) {
    fprintf(stderr, "usage: export_student DIR | --convert IN OUT\n");
    return 2;
  }
  if (one(argv[1], "planar", SYMCLONE_STUDENT_PLANAR, SYMCLONE_PADDING_VALID) ||
      one(argv[1], "lifting", SYMCLONE_STUDENT_LIFTING, SYMCLONE_PADDING_ZERO) ||
      one(argv[1], "group", SYMCLONE_STUDENT_GROUP, SYMCLONE_PADDING_CIRCULAR) ||
      one(argv[1], "dihedral_lifting", SYMCLONE_STUDENT_DIHEDRAL_LIFTING, SYMCLONE_PADDING_ZERO) ||
      one(argv[1], "dihedral_group", SYMCLONE_STUDENT_DIHEDRAL_GROUP, SYMCLONE_PADDING_VALID))
    return 1;
  return 0;
}
