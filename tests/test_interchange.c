/* Interchange (<symclone/interchange.h>): students and networks through
 * safetensors and npz (round trips, the layout read back by an independent
 * parser, the readers' refusals of damaged files, each built here by hand),
 * and teacher layers from kernel banks in .npy and safetensors files. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

static char dir[256];
static char path[320];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/symclone-ix-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *file(const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

/* A second path, for calls that take two (file's is overwritten by the next call). */
static char path2[320];
static const char *bfile(const char *name) {
  snprintf(path2, sizeof path2, "%s/%s", dir, name);
  return path2;
}

static unsigned char *slurp(const char *p, size_t *len) {
  FILE *f = fopen(p, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*len + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(fread(b, 1, *len, f), *len);
  fclose(f);
  return b;
}

static void spit(const char *p, const void *b, size_t len) {
  FILE *f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(b, 1, len, f), len);
  fclose(f);
}

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static float lef(const unsigned char *p) {
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float v;
  memcpy(&v, &u, 4);
  return v;
}

/* every kind, with the paddings in turn */
#define KINDS 5
static symclone_student *make(int which) {
  symclone_student *s = NULL;
  static const symclone_student_kind kinds[KINDS] = {
      SYMCLONE_STUDENT_PLANAR, SYMCLONE_STUDENT_LIFTING, SYMCLONE_STUDENT_GROUP,
      SYMCLONE_STUDENT_DIHEDRAL_LIFTING, SYMCLONE_STUDENT_DIHEDRAL_GROUP};
  static const symclone_padding pads[KINDS] = {SYMCLONE_PADDING_VALID, SYMCLONE_PADDING_ZERO,
                                               SYMCLONE_PADDING_CIRCULAR, SYMCLONE_PADDING_VALID,
                                               SYMCLONE_PADDING_ZERO};
  ck_assert_int_eq(symclone_student_create(&s, kinds[which], 4, 3, 6, 5, pads[which], 7,
                                           100 + (uint64_t)which),
                   SYMCLONE_OK);
  /* blocks are zero at creation: give them values too */
  float *p = symclone_student_params(s);
  size_t nb = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_BLOCKS);
  for (size_t i = 0; i < nb; i++) p[i] = (float)((int)(i * 7919 % 201) - 100) / 37.0f;
  p[0] = -0.0f;
  return s;
}

static void assert_same(const symclone_student *a, const symclone_student *b) {
  ck_assert_int_eq(symclone_student_kind_of(a), symclone_student_kind_of(b));
  ck_assert_int_eq(symclone_student_orientations(a), symclone_student_orientations(b));
  ck_assert_int_eq(symclone_student_kernel(a), symclone_student_kernel(b));
  ck_assert_int_eq(symclone_student_blocks(a), symclone_student_blocks(b));
  ck_assert_int_eq(symclone_student_padding(a), symclone_student_padding(b));
  ck_assert_uint_eq(symclone_student_input_size(a), symclone_student_input_size(b));
  ck_assert_uint_eq(symclone_student_output_size(a), symclone_student_output_size(b));
  size_t n = symclone_student_param_count(a, SYMCLONE_STUDENT_PART_ALL);
  ck_assert_uint_eq(symclone_student_param_count(b, SYMCLONE_STUDENT_PART_ALL), n);
  ck_assert_int_eq(memcmp(symclone_student_params((symclone_student *)a),
                          symclone_student_params((symclone_student *)b), n * sizeof(float)),
                   0);
}

START_TEST(round_trip_is_bit_exact) {
  make_dir();
  static const symclone_format formats[2] = {SYMCLONE_FORMAT_SAFETENSORS, SYMCLONE_FORMAT_NPZ};
  for (int which = 0; which < KINDS; which++) {
    symclone_student *s = make(which);
    for (int f = 0; f < 2; f++) {
      const char *p = file(f ? "s.npz" : "s.safetensors");
      ck_assert_int_eq(symclone_student_export(s, p, formats[f]), SYMCLONE_OK);
      symclone_student *back = NULL;
      symclone_loader *loader;
      ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
      symclone_status st = symclone_student_import(&back, p, loader);
      ck_assert_msg(st == SYMCLONE_OK, "kind %d format %d: %s", which, f,
                    symclone_loader_last_error(loader));
      assert_same(s, back);
      /* the import's outputs are the original's */
      size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
      size_t th = symclone_student_theta_size(s);
      float *x = calloc(in, 4), *t = calloc(th, 4), *y0 = calloc(out, 4), *y1 = calloc(out, 4);
      for (size_t i = 0; i < in; i++) x[i] = (float)(i % 5) - 2.0f;
      for (size_t i = 0; i < th; i++) t[i] = (float)(i % 3) - 1.0f;
      ck_assert_int_eq(symclone_student_forward(s, t, 1, x, y0), SYMCLONE_OK);
      ck_assert_int_eq(symclone_student_forward(back, t, 1, x, y1), SYMCLONE_OK);
      ck_assert_int_eq(memcmp(y0, y1, out * 4), 0);
      free(x), free(t), free(y0), free(y1);
      symclone_student_free(back);
      symclone_loader_free(loader);
      /* the extension does not decide the format: the content does */
      char from[sizeof path];
      snprintf(from, sizeof from, "%s", p);
      ck_assert_int_eq(rename(from, file("renamed.bin")), 0);
      ck_assert_int_eq(symclone_student_import(&back, file("renamed.bin"), NULL), SYMCLONE_OK);
      assert_same(s, back);
      symclone_student_free(back);
    }
    symclone_student_free(s);
  }
  remove_dir();
}
END_TEST

/* The safetensors layout, read by a parser written for this test: the
 * header names the tensors with PyTorch shapes, the data are the
 * parameters in their documented order. */
START_TEST(safetensors_layout_is_documented) {
  make_dir();
  symclone_student *s = make(2); /* group, C4, k 3, 6x5 circular, 7 blocks */
  ck_assert_int_eq(symclone_student_export(s, file("g.safetensors"), SYMCLONE_FORMAT_SAFETENSORS),
                   SYMCLONE_OK);
  size_t len;
  unsigned char *b = slurp(path, &len);
  uint64_t n = le64(b);
  ck_assert_uint_eq(n % 8, 0);
  ck_assert_uint_le(n + 8, len);
  char *h = calloc(n + 1, 1);
  memcpy(h, b + 8, n);
  ck_assert_ptr_nonnull(strstr(h, "\"blocks\":{\"dtype\":\"F32\",\"shape\":[7,30,30]"));
  ck_assert_ptr_nonnull(strstr(h, "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[7,9]"));
  ck_assert_ptr_nonnull(strstr(h, "\"transforms\":{\"dtype\":\"F32\",\"shape\":[16,9,36]"));
  ck_assert_ptr_nonnull(strstr(h, "\"kind\":\"group\""));
  ck_assert_ptr_nonnull(strstr(h, "\"group\":\"C4\""));
  ck_assert_ptr_nonnull(strstr(h, "\"padding\":\"circular\""));
  ck_assert_ptr_nonnull(strstr(h, "\"library_version\":\"" SYMCLONE_VERSION_STRING "\""));
  const char *names[3] = {"\"blocks\"", "\"coeffs\"", "\"transforms\""};
  symclone_student_part parts[3] = {SYMCLONE_STUDENT_PART_BLOCKS, SYMCLONE_STUDENT_PART_COEFFS,
                                    SYMCLONE_STUDENT_PART_TRANSFORMS};
  for (int i = 0; i < 3; i++) {
    const char *o = strstr(strstr(h, names[i]), "\"data_offsets\":[");
    ck_assert_ptr_nonnull(o);
    unsigned long long beg, end;
    ck_assert_int_eq(sscanf(o, "\"data_offsets\":[%llu,%llu]", &beg, &end), 2);
    size_t count = symclone_student_param_count(s, parts[i]);
    ck_assert_uint_eq(end - beg, 4 * count);
    float *want = calloc(count, 4);
    ck_assert_int_eq(symclone_student_get_params(s, parts[i], want, count), SYMCLONE_OK);
    for (size_t k = 0; k < count; k++)
      ck_assert_msg(lef(b + 8 + n + beg + 4 * k) == want[k], "%s element %zu", names[i], k);
    free(want);
  }
  free(h);
  free(b);
  /* a dihedral group student: D4, 8 orientations in and out */
  symclone_student *d = make(4);
  ck_assert_int_eq(symclone_student_export(d, file("d.safetensors"), SYMCLONE_FORMAT_SAFETENSORS),
                   SYMCLONE_OK);
  b = slurp(path, &len);
  b[8 + le64(b)] = 0;
  ck_assert_ptr_nonnull(strstr((char *)b + 8, "\"transforms\":{\"dtype\":\"F32\",\"shape\":[64,9,72]"));
  ck_assert_ptr_nonnull(strstr((char *)b + 8, "\"kind\":\"dihedral_group\""));
  ck_assert_ptr_nonnull(strstr((char *)b + 8, "\"group\":\"D4\""));
  ck_assert_ptr_nonnull(strstr((char *)b + 8, "\"orientations\":\"4\""));
  free(b);
  symclone_student_free(d);
  /* a planar student has no transforms tensor */
  symclone_student *p = make(0);
  ck_assert_int_eq(symclone_student_export(p, file("p.safetensors"), SYMCLONE_FORMAT_SAFETENSORS),
                   SYMCLONE_OK);
  b = slurp(path, &len);
  b[len - 1 > 8 + le64(b) ? 8 + le64(b) : 0] = 0; /* end the header's text */
  ck_assert_ptr_null(strstr((char *)b + 8, "transforms"));
  ck_assert_ptr_nonnull(strstr((char *)b + 8, "\"blocks\":{\"dtype\":\"F32\",\"shape\":[7,12,30]"));
  free(b);
  symclone_student_free(p);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* The npz layout: a zip whose entries are .npy files with NumPy headers. */
START_TEST(npz_layout_is_documented) {
  make_dir();
  symclone_student *s = make(1); /* lifting, C4, zero padding: 30 -> 30 */
  ck_assert_int_eq(symclone_student_export(s, file("l.npz"), SYMCLONE_FORMAT_NPZ), SYMCLONE_OK);
  size_t len;
  unsigned char *b = slurp(path, &len);
  ck_assert_int_eq(memcmp(b, "PK\x03\x04", 4), 0);
  const char *hdrs[3] = {"{'descr': '<f4', 'fortran_order': False, 'shape': (7, 30, 30), }",
                         "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 9), }",
                         "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 9, 9), }"};
  const char *names[3] = {"blocks.npy", "coeffs.npy", "transforms.npy"};
  symclone_student_part parts[3] = {SYMCLONE_STUDENT_PART_BLOCKS, SYMCLONE_STUDENT_PART_COEFFS,
                                    SYMCLONE_STUDENT_PART_TRANSFORMS};
  for (int i = 0; i < 3; i++) {
    /* the first occurrence of the name is its local header's */
    size_t nl = strlen(names[i]), at = 0;
    while (at + 30 + nl < len && memcmp(b + at + 30, names[i], nl) != 0) at++;
    ck_assert_msg(at + 30 + nl < len, "%s not found", names[i]);
    ck_assert_int_eq(memcmp(b + at, "PK\x03\x04", 4), 0);
    const unsigned char *npy = b + at + 30 + nl;
    ck_assert_int_eq(memcmp(npy, "\x93NUMPY\x01\x00", 8), 0);
    size_t hl = npy[8] | (size_t)npy[9] << 8;
    ck_assert_uint_eq((10 + hl) % 64, 0);
    ck_assert_int_eq(memcmp(npy + 10, hdrs[i], strlen(hdrs[i])), 0);
    size_t count = symclone_student_param_count(s, parts[i]);
    float *want = calloc(count, 4);
    ck_assert_int_eq(symclone_student_get_params(s, parts[i], want, count), SYMCLONE_OK);
    for (size_t k = 0; k < count; k++) ck_assert(lef(npy + 10 + hl + 4 * k) == want[k]);
    free(want);
  }
  ck_assert_ptr_nonnull(memmem(b, len, "__metadata__.npy", 16));
  ck_assert_ptr_nonnull(memmem(b, len, "\"kind\": \"lifting\"", 17));
  free(b);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* ---- damaged safetensors files, each built here ---- */

/* A safetensors file of a planar 3x3-kernel student on 3x3 (valid: 1 output
 * pixel), 1 block: blocks [1,1,9], coeffs [1,9]; `tensors` is the JSON
 * after the metadata, `meta` the metadata object. */
static void write_st(const char *name, const char *meta, const char *tensors, size_t nfloats,
                     float fill) {
  char h[2048];
  int n = snprintf(h, sizeof h, "{\"__metadata__\":%s%s}", meta, tensors);
  ck_assert_int_lt(n, (int)sizeof h);
  size_t len = 8 + (size_t)n + 4 * nfloats;
  unsigned char *b = calloc(len, 1);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(b + 8, h, (size_t)n);
  for (size_t i = 0; i < nfloats; i++) memcpy(b + 8 + n + 4 * i, &fill, 4);
  spit(file(name), b, len);
  free(b);
}

#define META_OK                                                                                \
  "{\"format\":\"symclone-student\",\"format_version\":\"1\",\"kind\":\"planar\","            \
  "\"group\":\"T2\",\"orientations\":\"1\",\"kernel\":\"3\",\"height\":\"3\",\"width\":\"3\"," \
  "\"padding\":\"valid\",\"blocks\":\"1\"}"
#define TENSORS_OK                                                                \
  ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,1,9],\"data_offsets\":[0,36]},"   \
  "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[36,72]}"

static void expect(const char *name, symclone_status want, const char *words) {
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  symclone_student *s = NULL;
  symclone_status st = symclone_student_import(&s, file(name), loader);
  const char *msg = symclone_loader_last_error(loader);
  ck_assert_msg(st == want, "%s: %s (%s), expected %s", name, symclone_strerror(st), msg,
                symclone_strerror(want));
  if (want != SYMCLONE_OK) {
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(msg, words) != NULL, "%s: message '%s' lacks '%s'", name, msg, words);
  } else {
    symclone_student_free(s);
  }
  symclone_loader_free(loader);
}

START_TEST(safetensors_damage_is_refused) {
  make_dir();
  write_st("ok", META_OK, TENSORS_OK, 18, 0.5f);
  expect("ok", SYMCLONE_OK, "");
  /* the hand-built file holds what it says */
  symclone_student *s;
  ck_assert_int_eq(symclone_student_import(&s, file("ok"), NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_kind_of(s), SYMCLONE_STUDENT_PLANAR);
  ck_assert_uint_eq(symclone_student_output_size(s), 1);
  ck_assert(symclone_student_params(s)[17] == 0.5f);
  symclone_student_free(s);

  write_st("short-data", META_OK, TENSORS_OK, 17, 0.5f);
  expect("short-data", SYMCLONE_ERR_TRUNCATED, "outside the 68 data bytes");
  write_st("long-data", META_OK, TENSORS_OK, 19, 0.5f);
  expect("long-data", SYMCLONE_ERR_CORRUPT, "76 data bytes, the tensors cover 72");
  write_st("nan", META_OK, TENSORS_OK, 18, NAN);
  expect("nan", SYMCLONE_ERR_CORRUPT, "tensor 'blocks' element 0 is NaN");
  write_st("f16", META_OK,
           ",\"blocks\":{\"dtype\":\"F16\",\"shape\":[1,1,18],\"data_offsets\":[0,36]},"
           "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[36,72]}",
           18, 0.5f);
  expect("f16", SYMCLONE_ERR_UNSUPPORTED, "dtype 'F16'");
  write_st("dup", META_OK, TENSORS_OK ",\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[36,72]}",
           18, 0.5f);
  expect("dup", SYMCLONE_ERR_CORRUPT, "tensor 'coeffs' given twice");
  write_st("missing", META_OK,
           ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,1,9],\"data_offsets\":[0,36]}", 9, 0.5f);
  expect("missing", SYMCLONE_ERR_CORRUPT, "tensor 'coeffs' is missing");
  write_st("unknown", META_OK, TENSORS_OK ",\"bias\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[72,72]}",
           18, 0.5f);
  expect("unknown", SYMCLONE_ERR_CORRUPT, "unknown tensor 'bias'");
  write_st("shape", META_OK,
           ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,9,1],\"data_offsets\":[0,36]},"
           "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[36,72]}",
           18, 0.5f);
  expect("shape", SYMCLONE_ERR_CORRUPT, "shape [1, 9, 1], the geometry gives [1, 1, 9]");
  write_st("span", META_OK,
           ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,1,9],\"data_offsets\":[0,40]},"
           "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[40,72]}",
           18, 0.5f);
  expect("span", SYMCLONE_ERR_CORRUPT, "data_offsets span 40 bytes, its shape needs 36");
  write_st("overlap", META_OK,
           ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,1,9],\"data_offsets\":[0,36]},"
           "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[20,56]}",
           18, 0.5f);
  expect("overlap", SYMCLONE_ERR_CORRUPT, "overlap");
  write_st("huge-shape", META_OK,
           ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,9],"
           "\"data_offsets\":[0,36]},"
           "\"coeffs\":{\"dtype\":\"F32\",\"shape\":[1,9],\"data_offsets\":[36,72]}",
           18, 0.5f);
  expect("huge-shape", SYMCLONE_ERR_CORRUPT, "shape larger than the file");
  write_st("nometa-format",
           "{\"kind\":\"planar\"}", TENSORS_OK, 18, 0.5f);
  expect("nometa-format", SYMCLONE_ERR_FORMAT, "no metadata 'format'");
  write_st("kind",
           "{\"format\":\"symclone-student\",\"format_version\":\"1\",\"kind\":\"conv\","
           "\"group\":\"T2\",\"orientations\":\"1\",\"kernel\":\"3\",\"height\":\"3\","
           "\"width\":\"3\",\"padding\":\"valid\",\"blocks\":\"1\"}",
           TENSORS_OK, 18, 0.5f);
  expect("kind", SYMCLONE_ERR_CORRUPT, "kind='conv'");
  write_st("kernel",
           "{\"format\":\"symclone-student\",\"format_version\":\"1\",\"kind\":\"planar\","
           "\"group\":\"T2\",\"orientations\":\"1\",\"kernel\":\"4\",\"height\":\"3\","
           "\"width\":\"3\",\"padding\":\"valid\",\"blocks\":\"1\"}",
           TENSORS_OK, 18, 0.5f);
  expect("kernel", SYMCLONE_ERR_CORRUPT, "kernel=4");
  write_st("version",
           "{\"format\":\"symclone-student\",\"format_version\":\"2\",\"kind\":\"planar\","
           "\"group\":\"T2\",\"orientations\":\"1\",\"kernel\":\"3\",\"height\":\"3\","
           "\"width\":\"3\",\"padding\":\"valid\",\"blocks\":\"1\"}",
           TENSORS_OK, 18, 0.5f);
  expect("version", SYMCLONE_ERR_UNSUPPORTED, "format_version='2'");
  write_st("nogroup",
           "{\"format\":\"symclone-student\",\"format_version\":\"1\",\"kind\":\"planar\","
           "\"orientations\":\"1\",\"kernel\":\"3\",\"height\":\"3\","
           "\"width\":\"3\",\"padding\":\"valid\",\"blocks\":\"1\"}",
           TENSORS_OK, 18, 0.5f);
  expect("nogroup", SYMCLONE_ERR_CORRUPT, "metadata 'group' is missing");
  write_st("json", META_OK, ",\"blocks\":{\"dtype\":\"F32\",\"shape\":[1,1,9],]}", 18, 0.5f);
  expect("json", SYMCLONE_ERR_CORRUPT, "JSON at byte");

  /* the header length: beyond the file, and absurd */
  size_t len;
  unsigned char *b = slurp(file("ok"), &len);
  b[0] = 0xff;
  spit(file("hlen"), b, len);
  expect("hlen", SYMCLONE_ERR_TRUNCATED, "only");
  b[7] = 0x7f;
  spit(file("hlen-huge"), b, len);
  expect("hlen-huge", SYMCLONE_ERR_CORRUPT, "header length");
  free(b);
  spit(file("tiny"), "\x08\x00\x00\x00\x00\x00\x00\x00{", 9);
  expect("tiny", SYMCLONE_ERR_TRUNCATED, "only 1 bytes follow");
  spit(file("garbage"), "hello, world", 12);
  expect("garbage", SYMCLONE_ERR_FORMAT, "neither a safetensors nor an npz");
  remove_dir();
}
END_TEST

/* ---- damaged npz files: the library's export, changed in one place ---- */

static unsigned char *export_npz(size_t *len) {
  symclone_student *s = make(0);
  ck_assert_int_eq(symclone_student_export(s, file("base.npz"), SYMCLONE_FORMAT_NPZ), SYMCLONE_OK);
  symclone_student_free(s);
  return slurp(path, len);
}

static size_t find(const unsigned char *b, size_t len, const char *what, size_t from) {
  size_t n = strlen(what);
  for (size_t i = from; i + n <= len; i++)
    if (memcmp(b + i, what, n) == 0) return i;
  ck_abort_msg("'%s' not found", what);
  return 0;
}

START_TEST(npz_damage_is_refused) {
  make_dir();
  size_t len;
  unsigned char *b = export_npz(&len);
  expect("base.npz", SYMCLONE_OK, "");
  /* a flipped data byte: the entry's CRC-32 */
  unsigned char *c = malloc(len);
  memcpy(c, b, len);
  size_t at = find(c, len, "coeffs.npy", 0) + 10 + 64 + 3;
  c[at] ^= 0x40;
  spit(file("crc"), c, len);
  expect("crc", SYMCLONE_ERR_CORRUPT, "entry 'coeffs.npy': CRC-32 mismatch");
  /* cut short: no end record */
  spit(file("cut"), b, len - 5);
  expect("cut", SYMCLONE_ERR_TRUNCATED, "no zip end record");
  /* compressed (method 8) in the central directory */
  memcpy(c, b, len);
  size_t cd = find(c, len, "PK\x01\x02", 0);
  c[cd + 10] = 8;
  spit(file("deflate"), c, len);
  expect("deflate", SYMCLONE_ERR_UNSUPPORTED, "compressed (method 8)");
  /* an entry renamed in both headers: an unknown tensor; the CRC still holds */
  memcpy(c, b, len);
  size_t l = find(c, len, "coeffs.npy", 0), k = find(c, len, "coeffs.npy", cd);
  memcpy(c + l, "coefxx", 6);
  memcpy(c + k, "coefxx", 6);
  spit(file("unknown"), c, len);
  expect("unknown", SYMCLONE_ERR_CORRUPT, "unknown tensor 'coefxx'");
  /* the same entry name twice */
  memcpy(c, b, len);
  l = find(c, len, "coeffs.npy", 0), k = find(c, len, "coeffs.npy", cd);
  memcpy(c + l, "blocks", 6);
  memcpy(c + k, "blocks", 6);
  spit(file("dup"), c, len);
  expect("dup", SYMCLONE_ERR_CORRUPT, "entry 'blocks.npy' given twice");
  /* a local header offset past the central directory */
  memcpy(c, b, len);
  c[cd + 42 + 2] = 0x7f;
  spit(file("offset"), c, len);
  expect("offset", SYMCLONE_ERR_CORRUPT, "bad local header offset");
  /* the central directory's offset beyond the end record */
  memcpy(c, b, len);
  c[len - 22 + 16 + 3] = 0x7f;
  spit(file("cdoff"), c, len);
  expect("cdoff", SYMCLONE_ERR_CORRUPT, "central directory at");
  /* zip64 markers */
  memcpy(c, b, len);
  memset(c + len - 22 + 16, 0xff, 4);
  spit(file("zip64"), c, len);
  expect("zip64", SYMCLONE_ERR_UNSUPPORTED, "zip64");
  free(c);
  free(b);
  remove_dir();
}
END_TEST

START_TEST(paths_budget_and_arguments) {
  make_dir();
  symclone_student *s = make(1), *out = NULL;
  ck_assert_int_eq(symclone_student_export(NULL, file("x"), SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_export(s, NULL, SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_export(s, file("x"), (symclone_format)7), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), "format 7"));
  ck_assert_int_eq(symclone_student_export(s, dir, SYMCLONE_FORMAT_SAFETENSORS), SYMCLONE_ERR_PATH);
  ck_assert_int_eq(symclone_student_export(s, "/dev/null", SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_PATH);
  symclone_student_params(s)[5] = NAN;
  ck_assert_int_eq(symclone_student_export(s, file("x"), SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_DATA);
  ck_assert_ptr_nonnull(strstr(symclone_student_last_error(s), "parameter 5 is NaN"));
  symclone_student_params(s)[5] = 0.0f;
  ck_assert_int_eq(access(file("x"), F_OK), -1);
  ck_assert_int_eq(symclone_student_import(NULL, file("x"), NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_import(&out, NULL, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_student_import(&out, dir, NULL), SYMCLONE_ERR_PATH);
  ck_assert_int_eq(symclone_student_import(&out, file("none"), NULL), SYMCLONE_ERR_IO);
  ck_assert_ptr_null(out);
  /* the budget is checked before the file is read */
  ck_assert_int_eq(symclone_student_export(s, file("s.npz"), SYMCLONE_FORMAT_NPZ), SYMCLONE_OK);
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  double lo, hi, def;
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_LOADER_MAX_BYTES, &lo, &hi, &def), SYMCLONE_OK);
  ck_assert_int_eq(symclone_loader_set(loader, SYMCLONE_LOADER_MAX_BYTES, lo), SYMCLONE_OK);
  size_t len;
  free(slurp(file("s.npz"), &len));
  if ((double)len > lo / 2) {
    ck_assert_int_eq(symclone_student_import(&out, file("s.npz"), loader), SYMCLONE_ERR_BUDGET);
    ck_assert_ptr_nonnull(strstr(symclone_loader_last_error(loader), "budget"));
  }
  ck_assert_int_eq(symclone_loader_set(loader, SYMCLONE_LOADER_MAX_BYTES, (double)(2 * len)),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_import(&out, file("s.npz"), loader), SYMCLONE_OK);
  symclone_student_free(out);
  symclone_loader_free(loader);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* ---- networks ---- */

/* A network of every layer kind: cloned layers of three student kinds and
 * every plain layer, with non-zero parameters everywhere. */
static symclone_net *make_net(void) {
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 2, 1, 8, 8), SYMCLONE_OK);
  symclone_student *s;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_PLANAR, 1, 3, 8, 8,
                                           SYMCLONE_PADDING_ZERO, 5, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 3, SYMCLONE_CLONE_BREAK, 0.25), SYMCLONE_OK);
  symclone_student_free(s);
  ck_assert_int_eq(symclone_net_add_conv2d(net, 2, 3, SYMCLONE_PADDING_ZERO, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 4, 3, 8, 8,
                                           SYMCLONE_PADDING_CIRCULAR, 4, 2),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  symclone_student_free(s);
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_GROUP, 4, 3, 8, 8,
                                           SYMCLONE_PADDING_VALID, 3, 3),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_cloned(net, s, 2, SYMCLONE_CLONE_RETAIN, 0), SYMCLONE_OK);
  symclone_student_free(s);
  ck_assert_int_eq(symclone_net_add_group_conv(net, 2, 3, SYMCLONE_PADDING_ZERO, 0), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_maxpool2(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MEAN), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_lifting(net, 2, 2, 1, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_orient_pool(net, SYMCLONE_POOL_MAX), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_lifting(net, 4, 2, 3, SYMCLONE_PADDING_ZERO, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dihedral_group_conv(net, 2, 3, SYMCLONE_PADDING_CIRCULAR, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_global_avgpool(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 4, 1), SYMCLONE_OK);
  size_t np = symclone_net_param_count(net);
  float *p = malloc(np * sizeof *p);
  for (size_t i = 0; i < np; i++) p[i] = (float)((int)(i * 7919 % 201) - 100) / 157.0f;
  p[0] = -0.0f;
  ck_assert_int_eq(symclone_net_set_params(net, p, np), SYMCLONE_OK);
  free(p);
  return net;
}

static void net_outputs(symclone_net *net, float *y) {
  size_t in = symclone_net_input_size(net);
  float *x = malloc(3 * in * sizeof *x);
  for (size_t i = 0; i < 3 * in; i++) x[i] = (float)((int)(i * 37 % 19) - 9) / 9.0f;
  ck_assert_int_eq(symclone_net_forward(net, 3, x, y), SYMCLONE_OK);
  free(x);
}

START_TEST(net_round_trip_is_bit_exact) {
  make_dir();
  symclone_net *net = make_net();
  size_t np = symclone_net_param_count(net), out = symclone_net_output_size(net);
  float *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
  float *ya = malloc(3 * out * sizeof *ya), *yb = malloc(3 * out * sizeof *yb);
  ck_assert_int_eq(symclone_net_get_params(net, a, np), SYMCLONE_OK);
  net_outputs(net, ya);
  static const symclone_format formats[2] = {SYMCLONE_FORMAT_SAFETENSORS, SYMCLONE_FORMAT_NPZ};
  for (int f = 0; f < 2; f++) {
    const char *p = file(f ? "n.npz" : "n.safetensors");
    ck_assert_int_eq(symclone_net_export(net, p, formats[f]), SYMCLONE_OK);
    symclone_net *back = NULL;
    symclone_loader *loader;
    ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
    symclone_status st = symclone_net_import(&back, p, loader);
    ck_assert_msg(st == SYMCLONE_OK, "%s", symclone_loader_last_error(loader));
    symclone_loader_free(loader);
    ck_assert_int_eq(symclone_net_layer_count(back), symclone_net_layer_count(net));
    for (int l = 0; l < symclone_net_layer_count(net); l++) {
      size_t o1, c1, t1, o2, c2, t2;
      ck_assert_int_eq(symclone_net_layer_kind(back, l), symclone_net_layer_kind(net, l));
      symclone_net_layer_params(net, l, &o1, &c1, &t1);
      symclone_net_layer_params(back, l, &o2, &c2, &t2);
      ck_assert_uint_eq(o1, o2);
      ck_assert_uint_eq(c1, c2);
      ck_assert_uint_eq(t1, t2);
    }
    ck_assert_uint_eq(symclone_net_param_count(back), np);
    ck_assert_int_eq(symclone_net_get_params(back, b, np), SYMCLONE_OK);
    ck_assert_int_eq(memcmp(a, b, np * sizeof *a), 0);
    net_outputs(back, yb);
    ck_assert_int_eq(memcmp(ya, yb, 3 * out * sizeof *ya), 0);
    symclone_net_free(back);
  }
  /* the layout read back by hand: names, PyTorch shapes, metadata */
  size_t len;
  unsigned char *h = slurp(file("n.safetensors"), &len);
  h[8 + le64(h)] = '\0';
  const char *want[] = {
      "\"format\":\"symclone-net\"", "\"layers\":\"14\"", "\"input_shape\":\"2,1,8,8\"",
      "\"layers.0.kind\":\"cloned\"", "\"layers.0.mode\":\"break\"", "\"layers.0.beta\":\"0.25\"",
      "\"layers.0.student.kind\":\"planar\"", "\"layers.0.theta\":{\"dtype\":\"F32\",\"shape\":[3,2,3,3]",
      "\"layers.0.blocks\":{\"dtype\":\"F32\",\"shape\":[5,64,64]",
      "\"layers.1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,3,3]",
      "\"layers.1.bias\":{\"dtype\":\"F32\",\"shape\":[2]", "\"layers.4.student.group\":\"C4\"",
      "\"layers.4.theta\":{\"dtype\":\"F32\",\"shape\":[2,2,4,3,3]",
      "\"layers.5.weight\":{\"dtype\":\"F32\",\"shape\":[2,2,4,3,3]", "\"layers.5.bias\":\"0\"",
      "\"layers.7.mode\":\"mean\"", "\"layers.9.mode\":\"max\"", "\"layers.10.group\":\"D4\"",
      "\"layers.11.weight\":{\"dtype\":\"F32\",\"shape\":[2,2,8,3,3]",
      "\"layers.13.weight\":{\"dtype\":\"F32\",\"shape\":[4,16]",
      "\"library_version\":\"" SYMCLONE_VERSION_STRING "\""};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr((char *)h + 8, want[i]) != NULL, "header lacks %s", want[i]);
  ck_assert_ptr_null(strstr((char *)h + 8, "layers.5.bias\":{"));
  free(h);
  free(a);
  free(b);
  free(ya);
  free(yb);
  symclone_net_free(net);
  remove_dir();
}
END_TEST

static void expect_net(const char *name, symclone_status want, const char *words,
                       symclone_loader *loader) {
  symclone_net *net = NULL;
  symclone_status st = symclone_net_import(&net, file(name), loader);
  const char *msg = symclone_loader_last_error(loader);
  ck_assert_msg(st == want, "%s: %s (%s), expected %s", name, symclone_strerror(st), msg,
                symclone_strerror(want));
  if (want != SYMCLONE_OK) {
    ck_assert_ptr_null(net);
    ck_assert_msg(strstr(msg, words) != NULL, "%s: message '%s' lacks '%s'", name, msg, words);
  }
  symclone_net_free(net);
}

/* The export of a small network with one thing in its header replaced by
 * a text of the same length. */
static void damage(const unsigned char *b, size_t len, const char *name, const char *from,
                   const char *to) {
  ck_assert_uint_eq(strlen(from), strlen(to));
  unsigned char *c = malloc(len);
  memcpy(c, b, len);
  unsigned char *at = memmem(c, len, from, strlen(from));
  ck_assert_msg(at != NULL, "'%s' not found", from);
  memcpy(at, to, strlen(to));
  spit(file(name), c, len);
  free(c);
}

START_TEST(net_damage_is_refused) {
  make_dir();
  symclone_net *net;
  ck_assert_int_eq(symclone_net_create(&net, 1, 1, 5, 5), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_conv2d(net, 3, 3, SYMCLONE_PADDING_VALID, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_relu(net), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_add_dense(net, 2, 1), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_export(net, file("ok"), SYMCLONE_FORMAT_SAFETENSORS), SYMCLONE_OK);
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  expect_net("ok", SYMCLONE_OK, "", loader);
  size_t len;
  unsigned char *b = slurp(file("ok"), &len);
  damage(b, len, "format", "symclone-net", "symclone-nex");
  expect_net("format", SYMCLONE_ERR_FORMAT, "format='symclone-nex', not 'symclone-net'", loader);
  damage(b, len, "version", "\"format_version\":\"1\"", "\"format_version\":\"2\"");
  expect_net("version", SYMCLONE_ERR_UNSUPPORTED, "format_version='2'", loader);
  damage(b, len, "kind", "\"layers.1.kind\":\"relu\"", "\"layers.1.kind\":\"relx\"");
  expect_net("kind", SYMCLONE_ERR_CORRUPT, "layers.1.kind='relx' is not a layer kind", loader);
  damage(b, len, "chain", "\"layers.1.input_shape\":\"3,1,3,3\"",
         "\"layers.1.input_shape\":\"3,1,3,4\"");
  expect_net("chain", SYMCLONE_ERR_CORRUPT, "the layers do not chain", loader);
  damage(b, len, "output", "\"layers.2.output_shape\":\"2,1,1,1\"",
         "\"layers.2.output_shape\":\"1,2,1,1\"");
  expect_net("output", SYMCLONE_ERR_CORRUPT, "its output_shape says [1][2][1][1]", loader);
  damage(b, len, "padding", "\"layers.0.padding\":\"valid\"", "\"layers.0.padding\":\"vague\"");
  expect_net("padding", SYMCLONE_ERR_CORRUPT, "padding='vague'", loader);
  damage(b, len, "dtype", "\"layers.0.bias\":{\"dtype\":\"F32\"",
         "\"layers.0.bias\":{\"dtype\":\"I32\"");
  expect_net("dtype", SYMCLONE_ERR_UNSUPPORTED, "tensor 'layers.0.bias' has dtype 'I32'", loader);
  damage(b, len, "shape", "\"shape\":[3,1,3,3]", "\"shape\":[3,1,9,1]");
  expect_net("shape", SYMCLONE_ERR_CORRUPT, "has shape [3, 1, 9, 1], the layer gives [3, 1, 3, 3]",
             loader);
  damage(b, len, "missing", "\"layers.2.bias\":{", "\"layers.2.bixs\":{");
  expect_net("missing", SYMCLONE_ERR_CORRUPT, "tensor 'layers.2.bias' is missing", loader);
  damage(b, len, "unknown", "\"layers.2.bias\":\"1\"", "\"layers.2.bias\":\"0\"");
  expect_net("unknown", SYMCLONE_ERR_CORRUPT, "tensor 'layers.2.bias' for a layer without it",
             loader);
  damage(b, len, "layers", "\"layers\":\"3\"", "\"layers\":\"2\"");
  expect_net("layers", SYMCLONE_ERR_CORRUPT, "unknown tensor 'layers.2.", loader);
  damage(b, len, "count", "\"layers.2.in_features\":\"27\"", "\"layers.2.in_features\":\"28\"");
  expect_net("count", SYMCLONE_ERR_CORRUPT, "in_features=28 for an input of 27", loader);
  /* a NaN weight; data offsets beyond the data; a file cut short */
  unsigned char *c = malloc(len);
  memcpy(c, b, len);
  float nan = NAN;
  memcpy(c + 8 + le64(c), &nan, 4);
  spit(file("nan"), c, len);
  expect_net("nan", SYMCLONE_ERR_CORRUPT, "tensor 'layers.0.weight' element 0 is NaN", loader);
  free(c);
  spit(file("cut"), b, len - 4);
  expect_net("cut", SYMCLONE_ERR_TRUNCATED, "outside the", loader);
  /* a student export is not a network, nor the other way round */
  symclone_student *s = make(1);
  ck_assert_int_eq(symclone_student_export(s, file("student"), SYMCLONE_FORMAT_NPZ), SYMCLONE_OK);
  symclone_student_free(s);
  expect_net("student", SYMCLONE_ERR_FORMAT, "not 'symclone-net'", loader);
  ck_assert_int_eq(symclone_student_import(&s, file("ok"), loader), SYMCLONE_ERR_CORRUPT);
  /* the budget: the file fits, the network it makes does not */
  ck_assert_int_eq(symclone_loader_set(loader, SYMCLONE_LOADER_MAX_BYTES, (double)(2 * len + 64)),
                   SYMCLONE_OK);
  expect_net("ok", SYMCLONE_ERR_BUDGET, "more memory than the loader's budget", loader);
  symclone_loader_free(loader);
  /* export: arguments, an empty network, a NaN parameter */
  ck_assert_int_eq(symclone_net_export(NULL, file("x"), SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_export(net, NULL, SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_export(net, file("x"), (symclone_format)9), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_net_export(net, dir, SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_PATH);
  size_t np = symclone_net_param_count(net);
  float *p = malloc(np * sizeof *p);
  symclone_net_get_params(net, p, np);
  p[np - 1] = INFINITY;
  symclone_net_set_params(net, p, np);
  ck_assert_int_eq(symclone_net_export(net, file("x"), SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_DATA);
  ck_assert_ptr_nonnull(strstr(symclone_net_last_error(net), "of layer 2 is infinite"));
  ck_assert_int_eq(access(file("x"), F_OK), -1);
  free(p);
  symclone_net *empty;
  ck_assert_int_eq(symclone_net_create(&empty, 1, 1, 3, 3), SYMCLONE_OK);
  ck_assert_int_eq(symclone_net_export(empty, file("x"), SYMCLONE_FORMAT_NPZ), SYMCLONE_ERR_STATE);
  symclone_net_free(empty);
  symclone_net *out = NULL;
  ck_assert_int_eq(symclone_net_import(NULL, file("ok"), NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_import(&out, NULL, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_net_import(&out, file("none"), NULL), SYMCLONE_ERR_IO);
  ck_assert_ptr_null(out);
  free(b);
  symclone_net_free(net);
  remove_dir();
}
END_TEST

/* ---- teacher layers from kernel banks ---- */

/* An .npy file (version 1, or 2 with a u32 header length) of the given
 * descr and shape holding bytes. */
static void write_npy(const char *name, int version, const char *descr, const char *order,
                      const char *shape, const void *data, size_t bytes) {
  char dict[256];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                   descr, order, shape);
  size_t pre = version == 1 ? 10 : 12, total = (pre + (size_t)n + 1 + 63) / 64 * 64;
  unsigned char *b = calloc(total + bytes, 1);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)version;
  size_t hl = total - pre;
  for (size_t i = 0; i < pre - 8; i++) b[8 + i] = (unsigned char)(hl >> (8 * i));
  memcpy(b + pre, dict, (size_t)n);
  memset(b + pre + n, ' ', hl - (size_t)n - 1);
  b[total - 1] = '\n';
  memcpy(b + total, data, bytes);
  spit(file(name), b, total + bytes);
  free(b);
}

/* y[o][i][j] = b[o] + sum_c sum_u sum_v w[o][c][u][v] x[c][i+u-1][j+v-1],
 * zero outside: a 3x3 conv2d with zero padding, computed directly. */
static double direct_conv(const float *w, const float *bias, const float *x, int cin, int h,
                          int wd, int o, int i, int j) {
  double acc = bias ? bias[o] : 0.0;
  for (int c = 0; c < cin; c++)
    for (int u = 0; u < 3; u++)
      for (int v = 0; v < 3; v++) {
        int yy = i + u - 1, xx = j + v - 1;
        if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
        acc += (double)w[((o * cin + c) * 3 + u) * 3 + v] * x[(c * h + yy) * wd + xx];
      }
  return acc;
}

static symclone_status teacher(const char *name, const char *weight, const char *bias,
                               symclone_layer_kind kind, int rotations, symclone_loader *loader,
                               symclone_layer **out) {
  *out = NULL;
  return symclone_layer_import(out, file(name), weight, bias, kind, rotations, 6, 5,
                               SYMCLONE_PADDING_ZERO, loader);
}

static void expect_teacher(const char *name, const char *weight, const char *bias,
                           symclone_layer_kind kind, symclone_status want, const char *words) {
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  symclone_layer *l;
  symclone_status st = teacher(name, weight, bias, kind, 4, loader, &l);
  const char *msg = symclone_loader_last_error(loader);
  ck_assert_msg(st == want, "%s: %s (%s), expected %s", name, symclone_strerror(st), msg,
                symclone_strerror(want));
  ck_assert_ptr_null(l);
  ck_assert_msg(strstr(msg, words) != NULL, "%s: message '%s' lacks '%s'", name, msg, words);
  symclone_loader_free(loader);
}

START_TEST(teacher_banks_import) {
  make_dir();
  /* a conv2d bank [4, 2, 3, 3] and bias [4], as float32 and float64 */
  float w[72], bias[4], x[60], y[120];
  double w64[72];
  for (int i = 0; i < 72; i++) w[i] = (float)((i * 37 % 23) - 11) / 8.0f, w64[i] = w[i];
  for (int i = 0; i < 4; i++) bias[i] = 0.5f * (float)i - 1.0f;
  for (int i = 0; i < 60; i++) x[i] = (float)((i * 13 % 17) - 8) / 4.0f;
  write_npy("w.npy", 1, "<f4", "False", "(4, 2, 3, 3)", w, sizeof w);
  write_npy("w64.npy", 2, "<f8", "False", "(4, 2, 3, 3)", w64, sizeof w64);
  write_npy("b.npy", 1, "<f4", "False", "(4,)", bias, sizeof bias);
  const char *names[2] = {"w.npy", "w64.npy"};
  for (int f = 0; f < 2; f++) {
    symclone_layer *l;
    symclone_loader *loader;
    ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
    symclone_status st = teacher(names[f], NULL, bfile("b.npy"), SYMCLONE_LAYER_CONV2D, 1, loader, &l);
    ck_assert_msg(st == SYMCLONE_OK, "%s", symclone_loader_last_error(loader));
    symclone_loader_free(loader);
    ck_assert_int_eq(symclone_layer_kind_of(l), SYMCLONE_LAYER_CONV2D);
    ck_assert_uint_eq(symclone_layer_param_count(l), 76);
    float p[76];
    ck_assert_int_eq(symclone_layer_import_params(l, p, 76, file(names[f]), NULL, bfile("b.npy"),
                                                  NULL),
                     SYMCLONE_OK);
    ck_assert_int_eq(memcmp(p, w, sizeof w), 0);
    ck_assert_int_eq(memcmp(p + 72, bias, sizeof bias), 0);
    ck_assert_int_eq(symclone_layer_forward(l, p, 1, x, y, NULL), SYMCLONE_OK);
    for (int o = 0; o < 4; o++)
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 5; j++)
          ck_assert_double_eq_tol(y[(o * 6 + i) * 5 + j], direct_conv(w, bias, x, 2, 6, 5, o, i, j),
                                  1e-4);
    float small[75];
    ck_assert_int_eq(symclone_layer_import_params(l, small, 75, file(names[f]), NULL,
                                                  bfile("b.npy"), NULL),
                     SYMCLONE_ERR_SIZE);
    symclone_layer_free(l);
  }
  /* a C4 group bank as [2, 1, 4, 3, 3] (.npy) and [2, 4, 3, 3]
   * (safetensors, chosen by name): the same parameters */
  write_npy("g.npy", 1, "<f4", "False", "(2, 1, 4, 3, 3)", w, sizeof w);
  char h[512];
  int n = snprintf(h, sizeof h,
                   "{\"other\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                   "\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,4,3,3],"
                   "\"data_offsets\":[8,296]},\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[2],"
                   "\"data_offsets\":[296,304]}}");
  unsigned char st_file[1024];
  for (int i = 0; i < 8; i++) st_file[i] = (unsigned char)((uint64_t)n >> (8 * i));
  memcpy(st_file + 8, h, (size_t)n);
  memset(st_file + 8 + n, 0, 8);
  memcpy(st_file + 16 + n, w, 288);
  memcpy(st_file + 16 + n + 288, bias, 8);
  spit(file("g.safetensors"), st_file, 8 + (size_t)n + 304);
  symclone_layer *a, *b;
  ck_assert_int_eq(teacher("g.npy", NULL, NULL, SYMCLONE_LAYER_GROUP_CONV, 4, NULL, &a),
                   SYMCLONE_OK);
  ck_assert_int_eq(teacher("g.safetensors", "conv.weight", "conv.bias", SYMCLONE_LAYER_GROUP_CONV,
                           4, NULL, &b),
                   SYMCLONE_OK);
  ck_assert_uint_eq(symclone_layer_param_count(a), 72);
  ck_assert_uint_eq(symclone_layer_param_count(b), 74);
  float pa[72], pb[74];
  ck_assert_int_eq(symclone_layer_import_params(a, pa, 72, file("g.npy"), NULL, NULL, NULL),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_layer_import_params(b, pb, 74, file("g.safetensors"), "conv.weight",
                                                "conv.bias", NULL),
                   SYMCLONE_OK);
  ck_assert_int_eq(memcmp(pa, pb, sizeof pa), 0);
  ck_assert_int_eq(memcmp(pb + 72, bias, 8), 0);
  /* a bank that does not fit the layer it is read into */
  ck_assert_int_eq(symclone_layer_import_params(a, pa, 72, file("w.npy"), NULL, NULL, NULL),
                   SYMCLONE_ERR_SHAPE);
  symclone_layer_free(a);
  symclone_layer_free(b);

  /* refusals */
  write_npy("fortran", 1, "<f4", "True", "(4, 2, 3, 3)", w, sizeof w);
  expect_teacher("fortran", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_UNSUPPORTED,
                 "Fortran order");
  write_npy("int", 1, "<i4", "False", "(4, 2, 3, 3)", w, sizeof w);
  expect_teacher("int", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_UNSUPPORTED,
                 "dtype '<i4'");
  write_npy("big", 1, ">f4", "False", "(4, 2, 3, 3)", w, sizeof w);
  expect_teacher("big", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_UNSUPPORTED,
                 "descr '>f4'");
  write_npy("shape", 1, "<f4", "False", "(8, 9)", w, sizeof w);
  expect_teacher("shape", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_SHAPE,
                 "has shape [8, 9]");
  expect_teacher("w.npy", NULL, NULL, SYMCLONE_LAYER_GROUP_CONV, SYMCLONE_ERR_SHAPE,
                 "[out, in, G, k, k] or [out, in*G, k, k]");
  write_npy("size", 1, "<f4", "False", "(4, 2, 3, 3)", w, sizeof w - 4);
  expect_teacher("size", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_CORRUPT,
                 "its shape needs more than its 284 data bytes");
  w[5] = NAN;
  write_npy("nan", 1, "<f4", "False", "(4, 2, 3, 3)", w, sizeof w);
  expect_teacher("nan", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_CORRUPT,
                 "element 5 is NaN");
  w64[7] = 1e300;
  write_npy("range", 1, "<f8", "False", "(4, 2, 3, 3)", w64, sizeof w64);
  expect_teacher("range", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_CORRUPT,
                 "element 7 is beyond float32's range");
  write_npy("bias4", 1, "<f4", "False", "(3,)", bias, 12);
  expect_teacher("w.npy", NULL, bfile("bias4"), SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_SHAPE,
                 "has shape [3], not [4]");
  expect_teacher("w.npy", "weight", NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_ARG,
                 "the weight name must be NULL");
  expect_teacher("g.safetensors", "conv.w", NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_ARG,
                 "has no tensor 'conv.w'");
  expect_teacher("g.safetensors", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_ARG,
                 "holds 3 tensors");
  expect_teacher("g.safetensors", "other", NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_UNSUPPORTED,
                 "dtype 'I64'");
  expect_teacher("w.npy", NULL, NULL, SYMCLONE_LAYER_RELU, SYMCLONE_ERR_ARG, "kind 4");
  /* a bad header: length beyond the file, an unknown version, no magic */
  size_t len;
  unsigned char *b8 = slurp(file("w.npy"), &len);
  b8[8] = 0xff, b8[9] = 0xff;
  spit(file("hlen"), b8, len);
  expect_teacher("hlen", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_CORRUPT,
                 "header length 65535 beyond");
  b8 = memcpy(b8, "\x93NUMPY\x04\x00", 8);
  spit(file("v4"), b8, len);
  expect_teacher("v4", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_UNSUPPORTED,
                 "NPY format version 4.0");
  spit(file("garbage"), "hello, world", 12);
  expect_teacher("garbage", NULL, NULL, SYMCLONE_LAYER_CONV2D, SYMCLONE_ERR_FORMAT,
                 "neither an .npy, a safetensors nor an npz file");
  free(b8);
  symclone_layer *l = NULL;
  ck_assert_int_eq(symclone_layer_import(&l, NULL, NULL, NULL, SYMCLONE_LAYER_CONV2D, 1, 5, 5,
                                         SYMCLONE_PADDING_ZERO, NULL),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_layer_import(&l, dir, NULL, NULL, SYMCLONE_LAYER_CONV2D, 1, 5, 5,
                                         SYMCLONE_PADDING_ZERO, NULL),
                   SYMCLONE_ERR_PATH);
  ck_assert_int_eq(symclone_layer_import(&l, file("w.npy"), NULL, NULL, SYMCLONE_LAYER_CONV2D, 1,
                                         2, 2, SYMCLONE_PADDING_ZERO, NULL),
                   SYMCLONE_ERR_KERNEL);
  ck_assert_ptr_null(l);
  remove_dir();
}
END_TEST

int main(void) {
  Suite *su = suite_create("interchange");
  TCase *tc = tcase_create("interchange");
  tcase_add_test(tc, round_trip_is_bit_exact);
  tcase_add_test(tc, safetensors_layout_is_documented);
  tcase_add_test(tc, npz_layout_is_documented);
  tcase_add_test(tc, safetensors_damage_is_refused);
  tcase_add_test(tc, npz_damage_is_refused);
  tcase_add_test(tc, paths_budget_and_arguments);
  tcase_add_test(tc, net_round_trip_is_bit_exact);
  tcase_add_test(tc, net_damage_is_refused);
  tcase_add_test(tc, teacher_banks_import);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
