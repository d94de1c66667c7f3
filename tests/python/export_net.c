/* Writes, for tests/python/test_interchange.py, networks exported by the
 * library with its outputs and equivariance figures, and runs teacher
 * layers imported from files written by PyTorch or NumPy.
 *
 *   export_net nets DIR
 *
 * writes for each network NAME (c4, d4: cloned layers only, the output a
 * group field; plain: a cloned planar layer and every plain layer kind)
 * DIR/NAME.safetensors, DIR/NAME.npz and DIR/NAME.io: BATCH inputs
 * x [BATCH][input_size] and the outputs y [BATCH][output_size] as float32,
 * then for c4 and d4 the diag's equivariance error of the network under
 * C4 or D4 on those inputs (every non-identity element, every pixel), its
 * mean and maximum as two float64; all little-endian.  Each cloned layer's
 * student is near, not at, the exact solution, so that the network is
 * nearly but not exactly equivariant.
 *
 * It writes the same for two students (student-c4: a C4 group student,
 * student-d4: a D4 lifting student; each .io holds x, one theta [P], y,
 * then the two figures of the operator x -> S(x; theta)).
 *
 *   export_net teacher PATH WEIGHT|- BIAS|- KIND ROTATIONS H W PADDING X Y
 *
 * imports a teacher layer (symclone_layer_import; KIND conv2d, lifting,
 * group_conv, dihedral_lifting, dihedral_group_conv, dense; PADDING valid,
 * zero, circular; "-" for NULL), reads its inputs from the float32 file X
 * (as many samples as it holds) and writes its outputs to Y. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <symclone/symclone.h>

#define BATCH 4

static int fail(const char *what, symclone_status st, const char *msg) {
  fprintf(stderr, "export_net: %s: %s: %s\n", what, symclone_strerror(st), msg);
  return 1;
}

static int write_le(FILE *f, const void *v, size_t n, size_t width) {
  const unsigned char *b = v;
  for (size_t i = 0; i < n; i++) {
    unsigned char o[8];
    uint64_t u = 0;
    memcpy(&u, b + i * width, width);
    for (size_t k = 0; k < width; k++) o[k] = (unsigned char)(u >> (8 * k));
    if (fwrite(o, 1, width, f) != width) return -1;
  }
  return 0;
}

/* A student of the given kind near the exact solution: the exact blocks
 * and transforms with every parameter moved by up to 0.5%, as a clone that
 * is close to, but not exactly, equivariant. */
static symclone_student *student(symclone_student_kind kind, int n, int hw,
                                 symclone_padding pad, uint64_t seed) {
  symclone_student *s = NULL;
  if (symclone_student_create(&s, kind, n, 3, hw, hw, pad, 9, seed)) return NULL;
  if (symclone_student_init_exact(s)) {
    symclone_student_free(s);
    return NULL;
  }
  float *p = symclone_student_params(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  for (size_t i = 0; i < np; i++)
    p[i] += 0.005f * (float)((int)((i * 7919 + seed * 104729) % 201) - 100) / 100.0f;
  return s;
}

static symclone_status add_cloned(symclone_net *net, symclone_student_kind kind, int n, int hw,
                                  symclone_padding pad, int out, uint64_t seed) {
  symclone_student *s = student(kind, n, hw, pad, seed);
  if (!s) return SYMCLONE_ERR_STATE;
  symclone_status st = symclone_net_add_cloned(net, s, out, SYMCLONE_CLONE_RETAIN, 0.0);
  symclone_student_free(s);
  return st;
}

static symclone_status build(const char *name, symclone_net **out) {
  symclone_net *net = NULL;
  symclone_status st;
  if (!strcmp(name, "c4")) {
    if ((st = symclone_net_create(&net, 1, 1, 8, 8)) ||
        (st = add_cloned(net, SYMCLONE_STUDENT_LIFTING, 4, 8, SYMCLONE_PADDING_CIRCULAR, 3, 1)) ||
        (st = symclone_net_add_relu(net)) ||
        (st = add_cloned(net, SYMCLONE_STUDENT_GROUP, 4, 8, SYMCLONE_PADDING_CIRCULAR, 2, 2)))
      goto done;
  } else if (!strcmp(name, "d4")) {
    if ((st = symclone_net_create(&net, 1, 1, 7, 7)) ||
        (st = add_cloned(net, SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 4, 7, SYMCLONE_PADDING_ZERO, 2,
                         3)) ||
        (st = symclone_net_add_relu(net)) ||
        (st = add_cloned(net, SYMCLONE_STUDENT_DIHEDRAL_GROUP, 4, 7, SYMCLONE_PADDING_ZERO, 2, 4)))
      goto done;
  } else {
    if ((st = symclone_net_create(&net, 2, 1, 8, 8)) ||
        (st = add_cloned(net, SYMCLONE_STUDENT_PLANAR, 1, 8, SYMCLONE_PADDING_ZERO, 3, 5)) ||
        (st = symclone_net_add_conv2d(net, 3, 3, SYMCLONE_PADDING_ZERO, 1)) ||
        (st = symclone_net_add_relu(net)) ||
        (st = symclone_net_add_lifting(net, 4, 2, 3, SYMCLONE_PADDING_CIRCULAR, 1)) ||
        (st = symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_VALID, 0)) ||
        (st = symclone_net_add_maxpool2(net)) ||
        (st = symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX)) ||
        (st = symclone_net_add_dihedral_lifting(net, 4, 2, 3, SYMCLONE_PADDING_ZERO, 1)) ||
        (st = symclone_net_add_dihedral_group_conv(net, 2, 1, SYMCLONE_PADDING_VALID, 1)) ||
        (st = symclone_net_add_orient_pool(net, SYMCLONE_POOL_MEAN)) ||
        (st = symclone_net_add_global_avgpool(net)) || (st = symclone_net_add_dense(net, 5, 1)))
      goto done;
    /* biases are zero at creation: give every parameter a value */
    size_t np = symclone_net_param_count(net);
    float *p = malloc(np * sizeof *p);
    if (!p) {
      st = SYMCLONE_ERR_NOMEM;
      goto done;
    }
    symclone_net_get_params(net, p, np);
    for (size_t i = 0; i < np; i++)
      if (p[i] == 0.0f) p[i] = (float)((int)(i * 7 % 13) - 6) / 20.0f;
    st = symclone_net_set_params(net, p, np);
    free(p);
  }
done:
  if (st) {
    if (net) fprintf(stderr, "export_net: %s: %s\n", name, symclone_net_last_error(net));
    symclone_net_free(net);
    return st;
  }
  *out = net;
  return SYMCLONE_OK;
}

static symclone_status net_op(void *user, size_t batch, const float *x, float *y) {
  return symclone_net_forward(user, batch, x, y);
}

static int one(const char *dir, const char *name) {
  symclone_net *net;
  symclone_status st = build(name, &net);
  if (st) return fail(name, st, "cannot build");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
  if ((st = symclone_net_export(net, path, SYMCLONE_FORMAT_SAFETENSORS)))
    return fail(path, st, symclone_net_last_error(net));
  snprintf(path, sizeof path, "%s/%s.npz", dir, name);
  if ((st = symclone_net_export(net, path, SYMCLONE_FORMAT_NPZ)))
    return fail(path, st, symclone_net_last_error(net));
  size_t in = symclone_net_input_size(net), out = symclone_net_output_size(net);
  float *x = malloc(BATCH * in * sizeof *x), *y = malloc(BATCH * out * sizeof *y);
  if (!x || !y) return fail("malloc", SYMCLONE_ERR_NOMEM, "");
  for (size_t i = 0; i < BATCH * in; i++) x[i] = (float)((int)(i * 37 % 19) - 9) / 9.0f;
  if ((st = symclone_net_forward(net, BATCH, x, y)))
    return fail("forward", st, symclone_net_last_error(net));
  double err[2] = {0, 0};
  int group = !strcmp(name, "c4") ? 1 : !strcmp(name, "d4") ? 2 : 0;
  if (group) {
    symclone_group *g;
    symclone_diag *d;
    int is[4], os[4];
    symclone_net_input_shape(net, is);
    symclone_net_output_shape(net, os);
    st = group == 1 ? symclone_group_create_cyclic(&g, 4) : symclone_group_create_dihedral(&g, 4);
    if (st || (st = symclone_diag_create(&d, g, is, os))) return fail("diag", st, "");
    if ((st = symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, BATCH)) ||
        (st = symclone_diag_set_inputs(d, x, BATCH)) ||
        (st = symclone_diag_equivariance_error(d, net_op, net, &err[0], &err[1])))
      return fail("equivariance", st, symclone_diag_last_error(d));
    printf("%s: library equivariance error mean %.6g, max %.6g\n", name, err[0], err[1]);
    symclone_diag_free(d);
    symclone_group_free(g);
  }
  snprintf(path, sizeof path, "%s/%s.io", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || write_le(f, x, BATCH * in, 4) || write_le(f, y, BATCH * out, 4) ||
      (group && write_le(f, err, 2, 8)) || fclose(f))
    return fail(path, SYMCLONE_ERR_IO, "cannot write");
  free(x);
  free(y);
  symclone_net_free(net);
  return 0;
}

typedef struct student_op {
  const symclone_student *s;
  const float *theta;
} student_op;

static symclone_status student_fn(void *user, size_t batch, const float *x, float *y) {
  const student_op *op = user;
  return symclone_student_forward(op->s, op->theta, batch, x, y);
}

static int one_student(const char *dir, const char *name, symclone_student_kind kind, int hw,
                       symclone_padding pad) {
  symclone_student *s = student(kind, 4, hw, pad, 7);
  if (!s) return fail(name, SYMCLONE_ERR_STATE, "cannot make the student");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
  symclone_status st = symclone_student_export(s, path, SYMCLONE_FORMAT_SAFETENSORS);
  if (st) return fail(path, st, symclone_student_last_error(s));
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  float *x = malloc(BATCH * in * sizeof *x), *y = malloc(BATCH * out * sizeof *y);
  float *theta = malloc(p * sizeof *theta);
  if (!x || !y || !theta) return fail("malloc", SYMCLONE_ERR_NOMEM, "");
  for (size_t i = 0; i < BATCH * in; i++) x[i] = (float)((int)(i * 37 % 19) - 9) / 9.0f;
  for (size_t i = 0; i < p; i++) theta[i] = (float)((int)(i * 13 % 11) - 5) / 5.0f;
  if ((st = symclone_student_forward(s, theta, BATCH, x, y)))
    return fail("forward", st, symclone_student_last_error(s));
  symclone_group *g;
  symclone_diag *d;
  int is[4], os[4];
  double err[2];
  symclone_student_input_shape(s, is);
  symclone_student_output_shape(s, os);
  st = kind == SYMCLONE_STUDENT_GROUP ? symclone_group_create_cyclic(&g, 4)
                                      : symclone_group_create_dihedral(&g, 4);
  if (st || (st = symclone_diag_create(&d, g, is, os))) return fail("diag", st, "");
  student_op op = {s, theta};
  if ((st = symclone_diag_set(d, SYMCLONE_DIAG_SAMPLES, BATCH)) ||
      (st = symclone_diag_set_inputs(d, x, BATCH)) ||
      (st = symclone_diag_equivariance_error(d, student_fn, &op, &err[0], &err[1])))
    return fail("equivariance", st, symclone_diag_last_error(d));
  printf("%s: library equivariance error mean %.6g, max %.6g\n", name, err[0], err[1]);
  symclone_diag_free(d);
  symclone_group_free(g);
  snprintf(path, sizeof path, "%s/%s.io", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || write_le(f, x, BATCH * in, 4) || write_le(f, theta, p, 4) ||
      write_le(f, y, BATCH * out, 4) || write_le(f, err, 2, 8) || fclose(f))
    return fail(path, SYMCLONE_ERR_IO, "cannot write");
  free(x);
  free(y);
  free(theta);
  symclone_student_free(s);
  return 0;
}

static int lookup(const char *const *names, int count, const char *s) {
  for (int i = 0; i < count; i++)
    if (names[i] && !strcmp(names[i], s)) return i;
  return -1;
}

static int teacher(char **a) {
  static const char *const kinds[12] = {NULL,       "conv2d",      "lifting",
                                        "group_conv", NULL,        NULL,
                                        NULL,       NULL,          "dense",
                                        NULL,       "dihedral_lifting", "dihedral_group_conv"};
  static const char *const pads[3] = {"valid", "zero", "circular"};
  int kind = lookup(kinds, 12, a[3]), pad = lookup(pads, 3, a[7]);
  if (kind < 0 || pad < 0) return fail("teacher", SYMCLONE_ERR_ARG, "bad kind or padding");
  symclone_loader *loader;
  symclone_layer *l;
  if (symclone_loader_create(&loader)) return 1;
  const char *w = strcmp(a[1], "-") ? a[1] : NULL, *b = strcmp(a[2], "-") ? a[2] : NULL;
  symclone_status st = symclone_layer_import(&l, a[0], w, b, (symclone_layer_kind)kind,
                                             atoi(a[4]), atoi(a[5]), atoi(a[6]),
                                             (symclone_padding)pad, loader);
  if (st) return fail(a[0], st, symclone_loader_last_error(loader));
  size_t np = symclone_layer_param_count(l);
  float *p = malloc((np ? np : 1) * sizeof *p);
  if (!p) return 1;
  if ((st = symclone_layer_import_params(l, p, np, a[0], w, b, loader)))
    return fail(a[0], st, symclone_loader_last_error(loader));
  symclone_loader_free(loader);
  size_t in = symclone_layer_input_size(l), out = symclone_layer_output_size(l);
  FILE *f = fopen(a[8], "rb");
  if (!f) return fail(a[8], SYMCLONE_ERR_IO, "cannot open");
  fseek(f, 0, SEEK_END);
  size_t n = (size_t)ftell(f) / 4 / in;
  fseek(f, 0, SEEK_SET);
  float *x = malloc(n * in * sizeof *x), *y = malloc(n * out * sizeof *y);
  if (!x || !y || fread(x, 4, n * in, f) != n * in) return fail(a[8], SYMCLONE_ERR_IO, "read");
  fclose(f);
  if ((st = symclone_layer_forward(l, p, n, x, y, NULL)))
    return fail("forward", st, symclone_layer_last_error(l));
  f = fopen(a[9], "wb");
  if (!f || write_le(f, y, n * out, 4) || fclose(f)) return fail(a[9], SYMCLONE_ERR_IO, "write");
  printf("teacher %s from %s: %zu samples, %zu parameters\n", a[3], a[0], n, np);
  free(x);
  free(y);
  free(p);
  symclone_layer_free(l);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "nets"))
    return one(argv[2], "c4") || one(argv[2], "d4") || one(argv[2], "plain") ||
           one_student(argv[2], "student-c4", SYMCLONE_STUDENT_GROUP, 8,
                       SYMCLONE_PADDING_CIRCULAR) ||
           one_student(argv[2], "student-d4", SYMCLONE_STUDENT_DIHEDRAL_LIFTING, 7,
                       SYMCLONE_PADDING_ZERO);
  if (argc == 12 && !strcmp(argv[1], "teacher")) return teacher(argv + 2);
  fprintf(stderr, "usage: export_net nets DIR | teacher PATH WEIGHT BIAS KIND ROTATIONS H W "
                  "PADDING X Y\n");
  return 2;
}
