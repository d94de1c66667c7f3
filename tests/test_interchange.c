/* Interchange of students (<symclone/interchange.h>): round trips through
 * safetensors and npz, the layout read back by an independent parser, and
 * the readers' refusals of damaged files (each built here by hand). */
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

int main(void) {
  Suite *su = suite_create("interchange");
  TCase *tc = tcase_create("interchange");
  tcase_add_test(tc, round_trip_is_bit_exact);
  tcase_add_test(tc, safetensors_layout_is_documented);
  tcase_add_test(tc, npz_layout_is_documented);
  tcase_add_test(tc, safetensors_damage_is_refused);
  tcase_add_test(tc, npz_damage_is_refused);
  tcase_add_test(tc, paths_budget_and_arguments);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
