/* Datasets: the IDX reader on good files and on every kind of damaged file
 * (fixtures written here, gzip ones by an independent stored-block gzip
 * writer), the writer's round trip, the documented split, and the
 * transforms checked against independent loops and an independent copy of
 * the documented random draws. */
#include <dirent.h>
#include <limits.h>
#include <symclone/data.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

static char g_dir[1024]; /* a fresh temporary directory for this run */

static void tpath(char *buf, const char *name) { snprintf(buf, PATH_MAX, "%s/%s", g_dir, name); }

/* ---- fixtures ---- */

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

typedef struct blob {
  unsigned char *p;
  size_t n;
} blob;

static blob blob_new(size_t n) {
  blob b = {calloc(n ? n : 1, 1), n};
  ck_assert_ptr_nonnull(b.p);
  return b;
}

/* An IDX image file: magic, count, rows, cols, then `payload` pixel bytes
 * of a fixed pattern (which need not match the header). */
static blob idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols,
                       size_t payload) {
  blob b = blob_new(16 + payload);
  put_be32(b.p, magic);
  put_be32(b.p + 4, count);
  put_be32(b.p + 8, rows);
  put_be32(b.p + 12, cols);
  for (size_t t = 0; t < payload; t++) b.p[16 + t] = (unsigned char)((7 * t + 3 * (t / 5)) % 256);
  return b;
}

static blob idx_labels(uint32_t magic, uint32_t count, size_t payload) {
  blob b = blob_new(8 + payload);
  put_be32(b.p, magic);
  put_be32(b.p + 4, count);
  for (size_t t = 0; t < payload; t++) b.p[8 + t] = (unsigned char)(t % 10);
  return b;
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  if (n) ck_assert_uint_eq(fwrite(p, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

static uint32_t crc32_ref(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

/* gzip of b made of stored (uncompressed) deflate blocks, written without
 * zlib so the fixtures do not depend on the code under test. */
static blob gzip_stored(blob b) {
  size_t blocks = b.n / 65535 + 1;
  blob g = blob_new(10 + b.n + 5 * blocks + 8);
  static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  memcpy(g.p, head, 10);
  size_t o = 10, done = 0;
  for (size_t k = 0; k < blocks; k++) {
    size_t len = b.n - done > 65535 ? 65535 : b.n - done;
    g.p[o++] = k + 1 == blocks ? 1 : 0;
    g.p[o++] = (unsigned char)len;
    g.p[o++] = (unsigned char)(len >> 8);
    g.p[o++] = (unsigned char)~len;
    g.p[o++] = (unsigned char)(~len >> 8);
    memcpy(g.p + o, b.p + done, len);
    o += len;
    done += len;
  }
  uint32_t crc = crc32_ref(b.p, b.n);
  for (int i = 0; i < 4; i++) g.p[o++] = (unsigned char)(crc >> (8 * i));
  for (int i = 0; i < 4; i++) g.p[o++] = (unsigned char)(b.n >> (8 * i));
  ck_assert_uint_eq(o, g.n);
  return g;
}

static void write_blob(const char *name, blob b, int gz) {
  char path[PATH_MAX];
  tpath(path, name);
  if (gz) {
    blob g = gzip_stored(b);
    write_bytes(path, g.p, g.n);
    free(g.p);
  } else {
    write_bytes(path, b.p, b.n);
  }
}

/* A good pair of 6 images of 4x3 pixels, labels 0..5, under the names
 * <stem>-img and <stem>-lab. */
static void write_good_pair(const char *stem, int gz_images, int gz_labels) {
  char n1[64], n2[64];
  snprintf(n1, sizeof n1, "%s-img", stem);
  snprintf(n2, sizeof n2, "%s-lab", stem);
  blob im = idx_images(0x803, 6, 4, 3, 6 * 12), lb = idx_labels(0x801, 6, 6);
  im.p[16] = 0;
  im.p[17] = 255;
  im.p[18] = 128;
  write_blob(n1, im, gz_images);
  write_blob(n2, lb, gz_labels);
  free(im.p);
  free(lb.p);
}

/* Load <img>, <lab> from the temporary directory; returns the status and
 * checks that *out is untouched on failure. */
static symclone_status load(const char *img, const char *lab, int classes, char *msg, size_t msglen,
                            symclone_dataset **ds) {
  char p1[PATH_MAX], p2[PATH_MAX];
  tpath(p1, img);
  tpath(p2, lab);
  symclone_dataset *sentinel = (symclone_dataset *)&g_dir, *d = sentinel;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  symclone_status st = symclone_dataset_load_idx(&d, p1, p2, classes, loader);
  if (msg && msglen) snprintf(msg, msglen, "%s", symclone_loader_last_error(loader));
  symclone_loader_free(loader);
  if (st) {
    ck_assert_ptr_eq(d, sentinel);
    if (ds) *ds = NULL;
  } else {
    ck_assert_ptr_ne(d, sentinel);
    if (ds)
      *ds = d;
    else
      symclone_dataset_free(d);
  }
  return st;
}

/* Expect status st and a message containing `part`. */
static void expect_fail(const char *img, const char *lab, int classes, symclone_status st,
                        const char *part) {
  char msg[256];
  symclone_status got = load(img, lab, classes, msg, sizeof msg, NULL);
  ck_assert_msg(got == st, "%s/%s: got %d (%s), want %d: %s", img, lab, (int)got,
                symclone_strerror(got), (int)st, msg);
  ck_assert_msg(strstr(msg, part) != NULL, "message \"%s\" lacks \"%s\"", msg, part);
}

static void check_good(symclone_dataset *d) {
  ck_assert_uint_eq(symclone_dataset_count(d), 6);
  ck_assert_int_eq(symclone_dataset_rows(d), 4);
  ck_assert_int_eq(symclone_dataset_cols(d), 3);
  ck_assert_int_eq(symclone_dataset_num_classes(d), 10);
  blob ref = idx_images(0x803, 6, 4, 3, 72);
  ref.p[16] = 0;
  ref.p[17] = 255;
  ref.p[18] = 128;
  const float *x = symclone_dataset_images(d);
  for (int t = 0; t < 72; t++) ck_assert(x[t] == (float)ref.p[16 + t] / 255.0f);
  ck_assert(x[0] == 0.0f && x[1] == 1.0f);
  for (int i = 0; i < 6; i++) ck_assert_int_eq(symclone_dataset_labels(d)[i], i);
  free(ref.p);
}

/* ---- reading good files ---- */

START_TEST(load_plain_idx_reads_every_pixel_and_label) {
  write_good_pair("good", 0, 0);
  char msg[256] = "x";
  symclone_dataset *d;
  ck_assert_int_eq(load("good-img", "good-lab", 0, msg, sizeof msg, &d), SYMCLONE_OK);
  ck_assert_str_eq(msg, "");
  check_good(d);
  ck_assert_str_eq(symclone_dataset_last_error(d), "");
  symclone_dataset_free(d);
  /* without a message buffer, and with an explicit class count */
  ck_assert_int_eq(load("good-img", "good-lab", 6, NULL, 0, NULL), SYMCLONE_OK);
}
END_TEST

START_TEST(load_gzip_idx_gives_the_same_dataset) {
#if SYMCLONE_HAVE_ZLIB
  write_good_pair("gz", 1, 1);
  write_good_pair("mixed", 1, 0);
  symclone_dataset *d;
  ck_assert_int_eq(load("gz-img", "gz-lab", 0, NULL, 0, &d), SYMCLONE_OK);
  check_good(d);
  symclone_dataset_free(d);
  ck_assert_int_eq(load("mixed-img", "mixed-lab", 0, NULL, 0, &d), SYMCLONE_OK);
  check_good(d);
  symclone_dataset_free(d);
  /* a payload spanning several stored blocks and the reader's first buffer */
  blob im = idx_images(0x803, 3000, 28, 28, (size_t)3000 * 784), lb = idx_labels(0x801, 3000, 3000);
  write_blob("big-img", im, 1);
  write_blob("big-lab", lb, 1);
  ck_assert_int_eq(load("big-img", "big-lab", 0, NULL, 0, &d), SYMCLONE_OK);
  ck_assert_uint_eq(symclone_dataset_count(d), 3000);
  const float *x = symclone_dataset_images(d);
  for (size_t t = 0; t < (size_t)3000 * 784; t++) ck_assert(x[t] == (float)im.p[16 + t] / 255.0f);
  symclone_dataset_free(d);
  free(im.p);
  free(lb.p);
#else
  write_good_pair("gz", 1, 1);
  expect_fail("gz-img", "gz-lab", 0, SYMCLONE_ERR_NOT_AVAILABLE, "zlib");
#endif
}
END_TEST

/* ---- damaged files ---- */

START_TEST(wrong_magic_is_a_format_error_naming_both_values) {
  write_good_pair("m", 0, 0);
  blob im = idx_images(0x802, 6, 4, 3, 72), lb = idx_labels(0x803, 6, 6);
  write_blob("m-img2", im, 0);
  write_blob("m-lab2", lb, 0);
  expect_fail("m-img2", "m-lab", 0, SYMCLONE_ERR_FORMAT,
              "images: magic 0x00000802 is not 0x00000803 (ubyte images)");
  expect_fail("m-img", "m-lab2", 0, SYMCLONE_ERR_FORMAT,
              "labels: magic 0x00000803 is not 0x00000801 (ubyte labels)");
  /* the two files swapped */
  expect_fail("m-lab", "m-img", 0, SYMCLONE_ERR_FORMAT, "images: magic 0x00000801");
  /* a float IDX file (type 0x0d) is not accepted either */
  blob fl = idx_images(0x0d03, 6, 4, 3, 72);
  write_blob("m-float", fl, 0);
  expect_fail("m-float", "m-lab", 0, SYMCLONE_ERR_FORMAT, "magic 0x00000d03");
  free(im.p);
  free(lb.p);
  free(fl.p);
}
END_TEST

START_TEST(zero_dimension_is_a_format_error) {
  write_good_pair("z", 0, 0);
  const uint32_t dims[3][3] = {{0, 4, 3}, {6, 0, 3}, {6, 4, 0}};
  const char *names[3] = {"(count) is 0", "(rows) is 0", "(cols) is 0"};
  for (int k = 0; k < 3; k++) {
    blob im = idx_images(0x803, dims[k][0], dims[k][1], dims[k][2], 0);
    write_blob("z-img0", im, 0);
    expect_fail("z-img0", "z-lab", 0, SYMCLONE_ERR_FORMAT, names[k]);
    free(im.p);
  }
  blob lb = idx_labels(0x801, 0, 0);
  write_blob("z-lab0", lb, 0);
  expect_fail("z-img", "z-lab0", 0, SYMCLONE_ERR_FORMAT, "labels: dimension 0 (count) is 0");
  free(lb.p);
}
END_TEST

START_TEST(header_larger_than_the_file_is_truncated) {
  write_good_pair("t", 0, 0);
  /* 7 images announced, 6 present */
  blob im = idx_images(0x803, 7, 4, 3, 72), lb = idx_labels(0x801, 7, 6);
  write_blob("t-img7", im, 0);
  write_blob("t-lab7", lb, 0);
  expect_fail("t-img7", "t-lab", 0, SYMCLONE_ERR_TRUNCATED, "images: the header gives 84 bytes");
  /* rows x cols wrong for the file */
  blob im2 = idx_images(0x803, 6, 5, 3, 72);
  write_blob("t-img53", im2, 0);
  expect_fail("t-img53", "t-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  /* labels file short: counts agree, the file does not */
  blob im3 = idx_images(0x803, 7, 4, 3, 84);
  write_blob("t-img7full", im3, 0);
  expect_fail("t-img7full", "t-lab7", 0, SYMCLONE_ERR_TRUNCATED, "labels:");
  /* a header cut short */
  write_blob("t-short", (blob){im.p, 10}, 0);
  expect_fail("t-short", "t-lab", 0, SYMCLONE_ERR_TRUNCATED, "header ends after 10 of its 16");
  write_blob("t-3", (blob){im.p, 3}, 0);
  expect_fail("t-3", "t-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  free(im.p);
  free(lb.p);
  free(im2.p);
  free(im3.p);
}
END_TEST

START_TEST(truncated_gzip_stream_is_truncated) {
#if SYMCLONE_HAVE_ZLIB
  write_good_pair("tg", 0, 0);
  blob im = idx_images(0x803, 6, 4, 3, 72);
  blob g = gzip_stored(im);
  char path[PATH_MAX];
  /* cut in the middle of the content */
  tpath(path, "tg-mid");
  write_bytes(path, g.p, 10 + 5 + 40);
  expect_fail("tg-mid", "tg-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  /* cut inside the header of the IDX content */
  tpath(path, "tg-head");
  write_bytes(path, g.p, 10 + 5 + 6);
  expect_fail("tg-head", "tg-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  /* the whole content but no gzip trailer */
  tpath(path, "tg-trailer");
  write_bytes(path, g.p, g.n - 8);
  expect_fail("tg-trailer", "tg-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  /* a complete gzip stream whose content is shorter than its header says */
  blob im7 = idx_images(0x803, 7, 4, 3, 72), lb7 = idx_labels(0x801, 7, 7);
  write_blob("tg-img7", im7, 1);
  write_blob("tg-lab7", lb7, 1);
  expect_fail("tg-img7", "tg-lab7", 0, SYMCLONE_ERR_TRUNCATED, "images: the content ends after 72");
  /* only the gzip magic */
  tpath(path, "tg-magic");
  write_bytes(path, g.p, 2);
  expect_fail("tg-magic", "tg-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  free(im.p);
  free(g.p);
  free(im7.p);
  free(lb7.p);
#endif
}
END_TEST

START_TEST(trailing_bytes_are_corrupt) {
  write_good_pair("tr", 0, 0);
  blob im = idx_images(0x803, 6, 4, 3, 73), lb = idx_labels(0x801, 6, 7);
  write_blob("tr-img", im, 0);
  write_blob("tr-lab", lb, 0);
  expect_fail("tr-img", "tr-lab", 0, SYMCLONE_ERR_CORRUPT, "images: 1 bytes follow the 72");
  write_good_pair("tr2", 0, 0);
  expect_fail("tr2-img", "tr-lab", 0, SYMCLONE_ERR_CORRUPT, "labels:");
#if SYMCLONE_HAVE_ZLIB
  write_blob("trg-img", im, 1);
  expect_fail("trg-img", "tr2-lab", 0, SYMCLONE_ERR_CORRUPT, "images: bytes follow the 72");
#endif
  free(im.p);
  free(lb.p);
}
END_TEST

START_TEST(damaged_gzip_checksum_is_corrupt) {
#if SYMCLONE_HAVE_ZLIB
  write_good_pair("cr", 0, 0);
  blob im = idx_images(0x803, 6, 4, 3, 72);
  blob g = gzip_stored(im);
  g.p[g.n - 8] ^= 0x55; /* the CRC */
  char path[PATH_MAX];
  tpath(path, "cr-crc");
  write_bytes(path, g.p, g.n);
  expect_fail("cr-crc", "cr-lab", 0, SYMCLONE_ERR_CORRUPT, "images: damaged gzip stream");
  /* an invalid deflate block type */
  g.p[g.n - 8] ^= 0x55;
  g.p[10] = 0x07;
  write_bytes(path, g.p, g.n);
  expect_fail("cr-crc", "cr-lab", 0, SYMCLONE_ERR_CORRUPT, "images: damaged gzip stream");
  free(im.p);
  free(g.p);
#endif
}
END_TEST

START_TEST(count_mismatch_is_a_shape_error) {
  write_good_pair("cm", 0, 0);
  blob lb = idx_labels(0x801, 5, 5);
  write_blob("cm-lab5", lb, 0);
  expect_fail("cm-img", "cm-lab5", 0, SYMCLONE_ERR_SHAPE, "images: 6 images but labels: 5 labels");
  free(lb.p);
}
END_TEST

START_TEST(labels_out_of_range_are_a_data_error) {
  write_good_pair("lr", 0, 0);
  blob lb = idx_labels(0x801, 6, 6);
  lb.p[8 + 4] = 10;
  write_blob("lr-lab10", lb, 0);
  expect_fail("lr-img", "lr-lab10", 0, SYMCLONE_ERR_DATA,
              "labels: label 10 of item 4 is not below 10");
  ck_assert_int_eq(load("lr-img", "lr-lab10", 11, NULL, 0, NULL), SYMCLONE_OK);
  expect_fail("lr-img", "lr-lab", 5, SYMCLONE_ERR_DATA, "label 5 of item 5 is not below 5");
  lb.p[8 + 4] = 255;
  write_blob("lr-lab255", lb, 0);
  ck_assert_int_eq(load("lr-img", "lr-lab255", 256, NULL, 0, NULL), SYMCLONE_OK);
  expect_fail("lr-img", "lr-lab", 257, SYMCLONE_ERR_SIZE, "num_classes=257");
  expect_fail("lr-img", "lr-lab", -1, SYMCLONE_ERR_SIZE, "num_classes=-1");
  free(lb.p);
}
END_TEST

START_TEST(empty_file_is_truncated) {
  write_good_pair("e", 0, 0);
  char path[PATH_MAX];
  tpath(path, "e-empty");
  write_bytes(path, "", 0);
  expect_fail("e-empty", "e-lab", 0, SYMCLONE_ERR_TRUNCATED, "images:");
  expect_fail("e-img", "e-empty", 0, SYMCLONE_ERR_TRUNCATED, "labels:");
  expect_fail("e-empty", "e-lab", 0, SYMCLONE_ERR_TRUNCATED, "empty file");
}
END_TEST

START_TEST(missing_path_is_an_io_error_a_directory_a_path_error) {
  write_good_pair("io", 0, 0);
  expect_fail("no-such-file", "io-lab", 0, SYMCLONE_ERR_IO, "images: cannot open");
  expect_fail("io-img", "no-such-file", 0, SYMCLONE_ERR_IO, "labels: cannot open");
  char dir[PATH_MAX];
  tpath(dir, "io-dir");
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  expect_fail("io-dir", "io-lab", 0, SYMCLONE_ERR_PATH, "images: cannot open");
  expect_fail("io-img", "io-dir", 0, SYMCLONE_ERR_PATH, "not a regular file");
  rmdir(dir);
}
END_TEST

START_TEST(overflowing_dimensions_are_an_overflow_error) {
  write_good_pair("of", 0, 0);
  blob im = idx_images(0x803, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x7FFFFFFFu, 0);
  write_blob("of-img", im, 0);
  expect_fail("of-img", "of-lab", 0, SYMCLONE_ERR_OVERFLOW, "images:");
  blob im2 = idx_images(0x803, 1, 0x80000000u, 1, 0);
  write_blob("of-img2", im2, 0);
  expect_fail("of-img2", "of-lab", 0, SYMCLONE_ERR_OVERFLOW, "rows=2147483648 does not fit");
#if SYMCLONE_HAVE_ZLIB
  /* a gzip header announcing more than the budget: refused from the
   * header, before anything is read or allocated for the content */
  blob im3 = idx_images(0x803, 1000000, 1000, 1000, 100);
  write_blob("of-img3", im3, 1);
  blob lb3 = idx_labels(0x801, 1000000, 0);
  write_blob("of-lab3", lb3, 1);
  expect_fail("of-img3", "of-lab3", 0, SYMCLONE_ERR_BUDGET, "more than the loader's budget");
  /* within the budget, the stream's end is found by reading */
  blob im4 = idx_images(0x803, 1000, 28, 28, 100);
  write_blob("of-img4", im4, 1);
  blob lb4 = idx_labels(0x801, 1000, 1000);
  write_blob("of-lab4", lb4, 1);
  expect_fail("of-img4", "of-lab4", 0, SYMCLONE_ERR_TRUNCATED,
              "images: the content ends after 100");
  free(im3.p);
  free(lb3.p);
  free(im4.p);
  free(lb4.p);
#endif
  free(im.p);
  free(im2.p);
}
END_TEST

START_TEST(load_rejects_null_arguments_and_keeps_its_message) {
  write_good_pair("n", 0, 0);
  char p1[PATH_MAX], p2[PATH_MAX];
  tpath(p1, "n-img");
  tpath(p2, "n-lab");
  symclone_dataset *d = NULL;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  ck_assert_int_eq(symclone_dataset_load_idx(NULL, p1, p2, 0, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_load_idx(&d, NULL, p2, 0, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_load_idx(&d, p1, NULL, 0, loader), SYMCLONE_ERR_NULL);
  ck_assert_str_ne(symclone_loader_last_error(loader), "");
  ck_assert_ptr_null(d);
  /* NULL loader: the status alone */
  ck_assert_int_eq(symclone_dataset_load_idx(&d, p2, p1, 0, NULL), SYMCLONE_ERR_FORMAT);
  /* the loader keeps the message of its last failing load, a success
   * leaves it */
  ck_assert_int_eq(symclone_dataset_load_idx(&d, p2, p1, 0, loader), SYMCLONE_ERR_FORMAT);
  ck_assert_int_eq(strncmp(symclone_loader_last_error(loader), "images:", 7), 0);
  ck_assert_int_eq(symclone_dataset_load_idx(&d, p1, p2, 0, loader), SYMCLONE_OK);
  ck_assert_int_eq(strncmp(symclone_loader_last_error(loader), "images:", 7), 0);
  symclone_dataset_free(d);
  symclone_loader_free(loader);
}
END_TEST

/* ---- memory datasets and accessors ---- */

START_TEST(create_copies_and_validates) {
  float img[2 * 2 * 3] = {0, 0.5f, 1, 2, -1, 3, 4, 5, 6, 7, 8, 9};
  int lab[2] = {1, 2};
  symclone_dataset *d = NULL;
  ck_assert_int_eq(symclone_dataset_create(NULL, 2, 2, 3, 3, img, lab), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 3, NULL, lab), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 3, img, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_create(&d, 0, 2, 3, 3, img, lab), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 0, 3, 3, img, lab), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 0, 3, img, lab), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 0, img, lab), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 2, img, lab), SYMCLONE_ERR_DATA);
  ck_assert_int_eq(symclone_dataset_create(&d, SIZE_MAX / 2, INT_MAX, INT_MAX, 3, img, lab),
                   SYMCLONE_ERR_OVERFLOW);
  lab[0] = -1;
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 3, img, lab), SYMCLONE_ERR_DATA);
  lab[0] = 1;
  img[4] = NAN;
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 3, img, lab), SYMCLONE_ERR_DATA);
  img[4] = INFINITY;
  ck_assert_int_eq(symclone_dataset_create(&d, 2, 2, 3, 3, img, lab), SYMCLONE_ERR_DATA);
  ck_assert_ptr_null(d);
  img[4] = -1;
  TU_OK(symclone_dataset_create(&d, 2, 2, 3, 3, img, lab));
  img[0] = 42;
  lab[1] = 0;
  ck_assert(symclone_dataset_images(d)[0] == 0.0f);
  ck_assert(symclone_dataset_images(d)[4] == -1.0f);
  ck_assert_int_eq(symclone_dataset_labels(d)[1], 2);
  ck_assert_uint_eq(symclone_dataset_count(d), 2);
  ck_assert_int_eq(symclone_dataset_rows(d), 2);
  ck_assert_int_eq(symclone_dataset_cols(d), 3);
  ck_assert_int_eq(symclone_dataset_num_classes(d), 3);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(accessors_accept_null) {
  ck_assert_uint_eq(symclone_dataset_count(NULL), 0);
  ck_assert_int_eq(symclone_dataset_rows(NULL), 0);
  ck_assert_int_eq(symclone_dataset_cols(NULL), 0);
  ck_assert_int_eq(symclone_dataset_num_classes(NULL), 0);
  ck_assert_ptr_null(symclone_dataset_images(NULL));
  ck_assert_ptr_null(symclone_dataset_labels(NULL));
  ck_assert_str_eq(symclone_dataset_last_error(NULL), "");
  symclone_dataset_free(NULL);
  symclone_dataset *out = NULL, *o2 = NULL;
  ck_assert_int_eq(symclone_dataset_subset(NULL, NULL, 1, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_split(NULL, 1, 0, &out, &o2), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_rotate90(NULL, 1, 0, NULL, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_place(NULL, 4, 4, NULL, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_make_rotation_task(NULL, 0, NULL, &out), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_make_translation_task(NULL, 48, 5, 15, 15, 0, NULL, &out),
                   SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_save_idx(NULL, "a", "b", 0), SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(out);
}
END_TEST

/* count images of rows x cols; image i has every pixel distinct, and pixel
 * 0 equal to i (an id); labels i mod classes. */
static symclone_dataset *make_ids(size_t count, int rows, int cols, int classes, uint64_t seed) {
  size_t px = (size_t)rows * cols;
  float *img = tu_floats(count * px);
  int *lab = calloc(count, sizeof *lab);
  ck_assert_ptr_nonnull(lab);
  tu_rng r = tu_rng_make(seed);
  for (size_t i = 0; i < count; i++) {
    for (size_t t = 0; t < px; t++)
      img[i * px + t] = (float)(i * px + t) + (float)tu_uniform(&r) * 0.5f;
    img[i * px] = (float)i;
    lab[i] = (int)(i % (size_t)classes);
  }
  symclone_dataset *d = NULL;
  TU_OK(symclone_dataset_create(&d, count, rows, cols, classes, img, lab));
  free(img);
  free(lab);
  return d;
}

/* ---- the library's documented generator, written out independently ---- */

typedef struct ref_rng {
  uint64_t s[4];
} ref_rng;

static uint64_t ref_splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static ref_rng ref_seed(uint64_t seed) {
  ref_rng r;
  for (int i = 0; i < 4; i++) r.s[i] = ref_splitmix(&seed);
  return r;
}

static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t ref_next(ref_rng *r) { /* xoshiro256** */
  uint64_t *s = r->s, result = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = ref_rotl(s[3], 45);
  return result;
}

static uint64_t ref_below(ref_rng *r, uint64_t n) { /* uniform in [0, n) by rejection */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
  do v = ref_next(r);
  while (v >= limit);
  return v % n;
}

/* ---- selection ---- */

START_TEST(subset_takes_first_n_or_indices) {
  symclone_dataset *d = make_ids(10, 3, 2, 4, 1), *s = NULL;
  TU_OK(symclone_dataset_subset(d, NULL, 4, &s));
  ck_assert_uint_eq(symclone_dataset_count(s), 4);
  ck_assert_int_eq(
      memcmp(symclone_dataset_images(s), symclone_dataset_images(d), 24 * sizeof(float)), 0);
  symclone_dataset_free(s);
  size_t idx[5] = {9, 0, 9, 3, 7};
  TU_OK(symclone_dataset_subset(d, idx, 5, &s));
  ck_assert_int_eq(symclone_dataset_num_classes(s), 4);
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(memcmp(symclone_dataset_images(s) + 6 * i,
                            symclone_dataset_images(d) + 6 * idx[i], 6 * sizeof(float)),
                     0);
    ck_assert_int_eq(symclone_dataset_labels(s)[i], symclone_dataset_labels(d)[idx[i]]);
  }
  symclone_dataset_free(s);
  s = NULL;
  ck_assert_int_eq(symclone_dataset_subset(d, NULL, 0, &s), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_subset(d, NULL, 11, &s), SYMCLONE_ERR_SIZE);
  idx[2] = 10;
  ck_assert_int_eq(symclone_dataset_subset(d, idx, 5, &s), SYMCLONE_ERR_ARG);
  ck_assert_ptr_nonnull(strstr(symclone_dataset_last_error(d), "indices[2]=10"));
  ck_assert_int_eq(symclone_dataset_subset(d, idx, 5, NULL), SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(s);
  symclone_dataset_free(d);
}
END_TEST

static void ids_of(const symclone_dataset *d, size_t *ids) {
  size_t px = (size_t)symclone_dataset_rows(d) * symclone_dataset_cols(d);
  for (size_t i = 0; i < symclone_dataset_count(d); i++)
    ids[i] = (size_t)symclone_dataset_images(d)[i * px];
}

START_TEST(split_is_the_documented_shuffle_disjoint_and_complete) {
  const size_t n = 1000, nt = 200;
  symclone_dataset *d = make_ids(n, 2, 2, 10, 2), *tr, *te, *tr2, *te2;
  TU_OK(symclone_dataset_split(d, nt, 0, &tr, &te));
  ck_assert_uint_eq(symclone_dataset_count(tr), n - nt);
  ck_assert_uint_eq(symclone_dataset_count(te), nt);
  ck_assert_int_eq(symclone_dataset_num_classes(te), 10);
  size_t *ids = calloc(n, sizeof *ids), *perm = calloc(n, sizeof *perm);
  char *seen = calloc(n, 1);
  ids_of(tr, ids);
  ids_of(te, ids + (n - nt));
  /* the permutation of the header comment */
  for (size_t i = 0; i < n; i++) perm[i] = i;
  ref_rng r = ref_seed(0);
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)ref_below(&r, i + 1), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(ids[i], perm[i]);
    ck_assert(!seen[ids[i]]);
    seen[ids[i]] = 1;
  }
  for (size_t i = 0; i < nt; i++)
    ck_assert_int_eq(symclone_dataset_labels(te)[i], (int)(perm[n - nt + i] % 10));
  /* the same seed again: bit for bit the same; another seed: another split */
  TU_OK(symclone_dataset_split(d, nt, 0, &tr2, &te2));
  ck_assert_int_eq(memcmp(symclone_dataset_images(tr), symclone_dataset_images(tr2),
                          (n - nt) * 4 * sizeof(float)),
                   0);
  ck_assert_int_eq(
      memcmp(symclone_dataset_images(te), symclone_dataset_images(te2), nt * 4 * sizeof(float)), 0);
  symclone_dataset_free(tr2);
  symclone_dataset_free(te2);
  TU_OK(symclone_dataset_split(d, nt, 1, &tr2, &te2));
  ck_assert_int_ne(
      memcmp(symclone_dataset_images(te), symclone_dataset_images(te2), nt * 4 * sizeof(float)), 0);
  symclone_dataset_free(tr2);
  symclone_dataset_free(te2);
  tr2 = te2 = NULL;
  ck_assert_int_eq(symclone_dataset_split(d, 0, 0, &tr2, &te2), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_split(d, n, 0, &tr2, &te2), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_split(d, 1, 0, NULL, &te2), SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(tr2);
  ck_assert_ptr_null(te2);
  free(ids);
  free(perm);
  free(seen);
  symclone_dataset_free(tr);
  symclone_dataset_free(te);
  symclone_dataset_free(d);
}
END_TEST

/* ---- rotations ---- */

START_TEST(rotating_four_times_is_the_identity) {
  const int sizes[3] = {1, 7, 28};
  for (int s = 0; s < 3; s++) {
    int n = sizes[s];
    symclone_dataset *d = make_ids(5, n, n, 10, 3 + (uint64_t)s), *a, *b;
    TU_OK(symclone_dataset_rotate90(d, 0, 0, NULL, &a));
    ck_assert_int_eq(memcmp(symclone_dataset_images(a), symclone_dataset_images(d),
                            (size_t)5 * n * n * sizeof(float)),
                     0);
    for (int t = 0; t < 4; t++) {
      TU_OK(symclone_dataset_rotate90(a, 1, 0, NULL, &b));
      symclone_dataset_free(a);
      a = b;
      if (t < 3 && n > 1)
        ck_assert_int_ne(memcmp(symclone_dataset_images(a), symclone_dataset_images(d),
                                (size_t)5 * n * n * sizeof(float)),
                         0);
    }
    ck_assert_int_eq(memcmp(symclone_dataset_images(a), symclone_dataset_images(d),
                            (size_t)5 * n * n * sizeof(float)),
                     0);
    ck_assert_int_eq(
        memcmp(symclone_dataset_labels(a), symclone_dataset_labels(d), 5 * sizeof(int)), 0);
    symclone_dataset_free(a);
    /* k = 2 twice and k = 1 then k = 3 are the identity too */
    TU_OK(symclone_dataset_rotate90(d, 2, 0, NULL, &a));
    TU_OK(symclone_dataset_rotate90(a, 2, 0, NULL, &b));
    ck_assert(tu_equal(symclone_dataset_images(b), symclone_dataset_images(d), (size_t)5 * n * n));
    symclone_dataset_free(a);
    symclone_dataset_free(b);
    TU_OK(symclone_dataset_rotate90(d, 1, 0, NULL, &a));
    TU_OK(symclone_dataset_rotate90(a, 3, 0, NULL, &b));
    ck_assert(tu_equal(symclone_dataset_images(b), symclone_dataset_images(d), (size_t)5 * n * n));
    symclone_dataset_free(a);
    symclone_dataset_free(b);
    symclone_dataset_free(d);
  }
}
END_TEST

START_TEST(rotation_matches_numpy_rot90_loop) {
  const int n = 6;
  symclone_dataset *d = make_ids(4, n, n, 10, 9), *a;
  float *ref = tu_floats((size_t)n * n);
  for (int k = 0; k < 4; k++) {
    TU_OK(symclone_dataset_rotate90(d, k, 0, NULL, &a));
    for (int i = 0; i < 4; i++) {
      tu_rotq(symclone_dataset_images(d) + (size_t)i * n * n, ref, n, k);
      ck_assert(tu_equal(symclone_dataset_images(a) + (size_t)i * n * n, ref, (size_t)n * n));
    }
    symclone_dataset_free(a);
  }
  /* one quarter turn written out: out[y][x] = in[x][n-1-y], so the top-right
   * corner moves to the top-left (counter-clockwise as displayed) */
  TU_OK(symclone_dataset_rotate90(d, 1, 0, NULL, &a));
  const float *in = symclone_dataset_images(d), *out = symclone_dataset_images(a);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) ck_assert(out[y * n + x] == in[x * n + (n - 1 - y)]);
  ck_assert(out[0] == in[n - 1]);
  symclone_dataset_free(a);
  free(ref);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(random_turns_follow_the_seed_and_are_recorded) {
  const int n = 5;
  const size_t count = 400;
  symclone_dataset *d = make_ids(count, n, n, 10, 11), *a, *b;
  int *k = calloc(count, sizeof *k), *k2 = calloc(count, sizeof *k2), hist[4] = {0};
  TU_OK(symclone_dataset_rotate90(d, SYMCLONE_DATASET_RANDOM, 77, k, &a));
  TU_OK(symclone_dataset_rotate90(d, SYMCLONE_DATASET_RANDOM, 77, k2, &b));
  ck_assert_int_eq(memcmp(k, k2, count * sizeof *k), 0);
  ck_assert(tu_equal(symclone_dataset_images(a), symclone_dataset_images(b), count * n * n));
  ref_rng r = ref_seed(77);
  float *ref = tu_floats((size_t)n * n);
  for (size_t i = 0; i < count; i++) {
    ck_assert_int_eq(k[i], (int)ref_below(&r, 4));
    hist[k[i]]++;
    tu_rotq(symclone_dataset_images(d) + i * n * n, ref, n, k[i]);
    ck_assert(tu_equal(symclone_dataset_images(a) + i * n * n, ref, (size_t)n * n));
    ck_assert_int_eq(symclone_dataset_labels(a)[i], symclone_dataset_labels(d)[i]);
  }
  for (int q = 0; q < 4; q++) ck_assert_int_gt(hist[q], 60);
  ck_assert_int_eq(symclone_dataset_num_classes(a), 10);
  symclone_dataset_free(a);
  symclone_dataset_free(b);
  free(ref);
  free(k);
  free(k2);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(rotation_rejects_bad_turns_and_non_square_images) {
  symclone_dataset *d = make_ids(3, 2, 3, 10, 12), *a = NULL;
  int k[3] = {-7, -7, -7};
  ck_assert_int_eq(symclone_dataset_rotate90(d, 1, 0, k, &a), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_dataset_rotate90(d, 3, 0, k, &a), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_dataset_rotate90(d, SYMCLONE_DATASET_RANDOM, 0, k, &a),
                   SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_dataset_make_rotation_task(d, 0, k, &a), SYMCLONE_ERR_SHAPE);
  ck_assert_int_eq(symclone_dataset_rotate90(d, 4, 0, k, &a), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_dataset_rotate90(d, -2, 0, k, &a), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_dataset_rotate90(d, 1, 0, k, NULL), SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(a);
  ck_assert_int_eq(k[0], -7);
  /* a half turn works on any shape: out[y][x] = in[rows-1-y][cols-1-x] */
  TU_OK(symclone_dataset_rotate90(d, 2, 0, k, &a));
  ck_assert_int_eq(k[2], 2);
  const float *in = symclone_dataset_images(d), *out = symclone_dataset_images(a);
  for (int i = 0; i < 3; i++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 3; x++)
        ck_assert(out[i * 6 + y * 3 + x] == in[i * 6 + (1 - y) * 3 + (2 - x)]);
  symclone_dataset_free(a);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(rotation_task_relabels_half_turns_and_more) {
  const int n = 4;
  const size_t count = 300;
  symclone_dataset *d = make_ids(count, n, n, 10, 13), *t, *a;
  int *k = calloc(count, sizeof *k), *k2 = calloc(count, sizeof *k2);
  TU_OK(symclone_dataset_make_rotation_task(d, 5, k, &t));
  TU_OK(symclone_dataset_rotate90(d, SYMCLONE_DATASET_RANDOM, 5, k2, &a));
  ck_assert_int_eq(symclone_dataset_num_classes(t), 20);
  ck_assert_int_eq(memcmp(k, k2, count * sizeof *k), 0);
  ck_assert(tu_equal(symclone_dataset_images(t), symclone_dataset_images(a), count * n * n));
  int seen[2] = {0, 0};
  for (size_t i = 0; i < count; i++) {
    int l = symclone_dataset_labels(d)[i], lt = symclone_dataset_labels(t)[i];
    if (k[i] == 0 || k[i] == 1)
      ck_assert_int_eq(lt, l); /* 0 or 90 degrees: label kept */
    else
      ck_assert_int_eq(lt, l + 10); /* 180 or 270 degrees: label + 10 */
    seen[k[i] >= 2]++;
  }
  ck_assert_int_gt(seen[0], 100);
  ck_assert_int_gt(seen[1], 100);
  symclone_dataset_free(t);
  symclone_dataset_free(a);
  free(k);
  free(k2);
  symclone_dataset_free(d);
  /* 2C must fit an int */
  float px = 0.0f;
  int lab = 0;
  TU_OK(symclone_dataset_create(&d, 1, 1, 1, INT_MAX / 2 + 1, &px, &lab));
  t = NULL;
  ck_assert_int_eq(symclone_dataset_make_rotation_task(d, 0, NULL, &t), SYMCLONE_ERR_OVERFLOW);
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 4, 1, 1, 0, 0, NULL, &t),
                   SYMCLONE_ERR_OVERFLOW);
  ck_assert_ptr_null(t);
  symclone_dataset_free(d);
}
END_TEST

/* ---- canvases ---- */

/* Independent placement: canvas[Y][X] = img[Y - top][X - left] where that
 * is inside the image, else 0. */
static void place_ref(const float *img, int rows, int cols, float *canvas, int ch, int cw, int top,
                      int left) {
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++) {
      int sy = y - top, sx = x - left;
      canvas[y * cw + x] =
          (sy >= 0 && sy < rows && sx >= 0 && sx < cols) ? img[sy * cols + sx] : 0.0f;
    }
}

START_TEST(centred_digit_covers_rows_and_columns_10_to_37_of_48) {
  symclone_dataset *d = make_ids(2, 28, 28, 10, 14), *c;
  TU_OK(symclone_dataset_place(d, 48, 48, NULL, &c));
  ck_assert_int_eq(symclone_dataset_rows(c), 48);
  ck_assert_int_eq(symclone_dataset_cols(c), 48);
  const float *in = symclone_dataset_images(d), *out = symclone_dataset_images(c);
  for (int i = 0; i < 2; i++)
    for (int y = 0; y < 48; y++)
      for (int x = 0; x < 48; x++) {
        int inside = y >= 10 && y <= 37 && x >= 10 && x <= 37;
        float want = inside ? in[i * 784 + (y - 10) * 28 + (x - 10)] : 0.0f;
        ck_assert(out[i * 2304 + y * 48 + x] == want);
      }
  ck_assert_int_eq(symclone_dataset_labels(c)[1], 1);
  symclone_dataset_free(c);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(shifts_move_down_and_right_and_clip_at_the_border) {
  symclone_dataset *d = make_ids(6, 4, 5, 10, 15), *c;
  /* (dy, dx): right, left, down, up, off the canvas, far off */
  const int sh[12] = {0, 3, 0, -2, 2, 0, -3, 1, 0, 100, INT_MAX, INT_MIN};
  TU_OK(symclone_dataset_place(d, 9, 8, sh, &c));
  float ref[72];
  for (int i = 0; i < 6; i++) {
    /* top0 = floor((9 - 4) / 2) = 2, left0 = floor((8 - 5) / 2) = 1 */
    long long top = 2LL + sh[2 * i], left = 1LL + sh[2 * i + 1];
    if (top > 1000 || top < -1000) top = 1000;
    if (left > 1000 || left < -1000) left = 1000;
    place_ref(symclone_dataset_images(d) + i * 20, 4, 5, ref, 9, 8, (int)top, (int)left);
    ck_assert(tu_equal(symclone_dataset_images(c) + i * 72, ref, 72));
  }
  /* the first image moved 3 to the right: its first column at canvas column 4 */
  ck_assert(symclone_dataset_images(c)[2 * 8 + 4] == symclone_dataset_images(d)[0]);
  symclone_dataset_free(c);
  /* a canvas smaller than the image crops around the centre:
   * top0 = floor((2 - 4) / 2) = -1, left0 = floor((2 - 5) / 2) = -2 */
  TU_OK(symclone_dataset_place(d, 2, 2, NULL, &c));
  place_ref(symclone_dataset_images(d), 4, 5, ref, 2, 2, -1, -2);
  ck_assert(tu_equal(symclone_dataset_images(c), ref, 4));
  symclone_dataset_free(c);
  c = NULL;
  ck_assert_int_eq(symclone_dataset_place(d, 0, 8, NULL, &c), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_place(d, 8, -1, NULL, &c), SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_place(d, 8, 8, NULL, NULL), SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(c);
  symclone_dataset_free(d);
}
END_TEST

START_TEST(translation_task_follows_the_documented_rule) {
  const size_t count = 500;
  symclone_dataset *d = make_ids(count, 28, 28, 10, 16), *t, *t2;
  int *sh = calloc(2 * count, sizeof *sh), *sh2 = calloc(2 * count, sizeof *sh2);
  TU_OK(symclone_dataset_make_translation_task(d, 48, 5, 15, 15, 21, sh, &t));
  TU_OK(symclone_dataset_make_translation_task(d, 48, 5, 15, 15, 21, sh2, &t2));
  ck_assert_int_eq(memcmp(sh, sh2, 2 * count * sizeof *sh), 0);
  ck_assert(tu_equal(symclone_dataset_images(t), symclone_dataset_images(t2), count * 2304));
  ck_assert_int_eq(symclone_dataset_num_classes(t), 20);
  ck_assert_int_eq(symclone_dataset_rows(t), 48);
  ck_assert_int_eq(symclone_dataset_cols(t), 48);
  ref_rng r = ref_seed(21);
  float *ref = tu_floats(2304);
  int left = 0, right = 0, vmin = 99, vmax = -99, smin = 99, smax = -99;
  for (size_t i = 0; i < count; i++) {
    int side = (int)ref_below(&r, 2);
    int s = 5 + (int)ref_below(&r, 11);
    int dy = (int)ref_below(&r, 31) - 15;
    ck_assert_int_eq(sh[2 * i], dy);
    ck_assert_int_eq(sh[2 * i + 1], side ? s : -s);
    int l = symclone_dataset_labels(d)[i], lt = symclone_dataset_labels(t)[i];
    if (sh[2 * i + 1] < 0) { /* left by 5..15: label kept */
      ck_assert_int_eq(lt, l);
      left++;
    } else { /* right by 5..15: label + 10 */
      ck_assert_int_eq(lt, l + 10);
      right++;
    }
    int ax = abs(sh[2 * i + 1]);
    smin = ax < smin ? ax : smin;
    smax = ax > smax ? ax : smax;
    vmin = dy < vmin ? dy : vmin;
    vmax = dy > vmax ? dy : vmax;
    /* the digit's top-left pixel is at (10 + dy, 10 + dx) */
    place_ref(symclone_dataset_images(d) + i * 784, 28, 28, ref, 48, 48, 10 + dy,
              10 + sh[2 * i + 1]);
    ck_assert(tu_equal(symclone_dataset_images(t) + i * 2304, ref, 2304));
  }
  ck_assert_int_gt(left, 150);
  ck_assert_int_gt(right, 150);
  ck_assert_int_eq(smin, 5);
  ck_assert_int_eq(smax, 15);
  ck_assert_int_eq(vmin, -15);
  ck_assert_int_eq(vmax, 15);
  /* the shifts reproduce the task through symclone_dataset_place() */
  symclone_dataset_free(t2);
  TU_OK(symclone_dataset_place(d, 48, 48, sh, &t2));
  ck_assert(tu_equal(symclone_dataset_images(t), symclone_dataset_images(t2), count * 2304));
  symclone_dataset_free(t2);
  t2 = NULL;
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 0, 5, 15, 15, 0, NULL, &t2),
                   SYMCLONE_ERR_SIZE);
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 48, 0, 15, 15, 0, NULL, &t2),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 48, 6, 5, 15, 0, NULL, &t2),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 48, 5, 15, -1, 0, NULL, &t2),
                   SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_dataset_make_translation_task(d, 48, 5, 15, 15, 0, NULL, NULL),
                   SYMCLONE_ERR_NULL);
  ck_assert_ptr_null(t2);
  /* extreme ranges do not overflow */
  TU_OK(symclone_dataset_make_translation_task(d, 8, 1, INT_MAX, INT_MAX, 3, sh, &t2));
  symclone_dataset_free(t2);
  free(ref);
  free(sh);
  free(sh2);
  symclone_dataset_free(t);
  symclone_dataset_free(d);
}
END_TEST

/* ---- saving ---- */

static int count_dir_entries(void) {
  DIR *dir = opendir(g_dir);
  ck_assert_ptr_nonnull(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (strstr(e->d_name, "tmp")) n++; /* a temporary file left behind */
  closedir(dir);
  return n;
}

START_TEST(save_then_load_round_trips_exactly) {
  const size_t count = 50;
  float *img = tu_floats(count * 30);
  int *lab = calloc(count, sizeof *lab);
  tu_rng r = tu_rng_make(17);
  for (size_t t = 0; t < count * 30; t++) img[t] = (float)tu_below(&r, 256) / 255.0f;
  for (size_t i = 0; i < count; i++) lab[i] = tu_below(&r, 10);
  symclone_dataset *d, *e;
  TU_OK(symclone_dataset_create(&d, count, 5, 6, 10, img, lab));
  char p1[PATH_MAX], p2[PATH_MAX];
  for (int gz = 0; gz < 2; gz++) {
    tpath(p1, gz ? "rt-img.gz" : "rt-img");
    tpath(p2, gz ? "rt-lab.gz" : "rt-lab");
#if !SYMCLONE_HAVE_ZLIB
    if (gz) {
      ck_assert_int_eq(symclone_dataset_save_idx(d, p1, p2, 1), SYMCLONE_ERR_NOT_AVAILABLE);
      continue;
    }
#endif
    /* twice: the second call replaces the first files */
    for (int rep = 0; rep < 2; rep++) TU_OK(symclone_dataset_save_idx(d, p1, p2, gz));
    FILE *f = fopen(p1, "rb");
    ck_assert_ptr_nonnull(f);
    int c0 = fgetc(f), c1 = fgetc(f);
    fclose(f);
    ck_assert_int_eq(c0 == 0x1f && c1 == 0x8b, gz);
    ck_assert_int_eq(symclone_dataset_load_idx(&e, p1, p2, 10, NULL), SYMCLONE_OK);
    ck_assert_uint_eq(symclone_dataset_count(e), count);
    ck_assert_int_eq(symclone_dataset_rows(e), 5);
    ck_assert_int_eq(symclone_dataset_cols(e), 6);
    ck_assert(tu_equal(symclone_dataset_images(e), img, count * 30));
    ck_assert_int_eq(memcmp(symclone_dataset_labels(e), lab, count * sizeof *lab), 0);
    symclone_dataset_free(e);
  }
  ck_assert_int_eq(count_dir_entries(), 0);
  /* pixels are clamped to [0, 1] */
  img[0] = -3.0f;
  img[1] = 7.0f;
  symclone_dataset_free(d);
  TU_OK(symclone_dataset_create(&d, count, 5, 6, 10, img, lab));
  tpath(p1, "rt-clamp-img");
  tpath(p2, "rt-clamp-lab");
  TU_OK(symclone_dataset_save_idx(d, p1, p2, 0));
  ck_assert_int_eq(symclone_dataset_load_idx(&e, p1, p2, 10, NULL), SYMCLONE_OK);
  ck_assert(symclone_dataset_images(e)[0] == 0.0f && symclone_dataset_images(e)[1] == 1.0f);
  symclone_dataset_free(e);
  /* a directory that does not exist: an error, and nothing left behind */
  tpath(p1, "no-dir/img");
  ck_assert_int_eq(symclone_dataset_save_idx(d, p1, p2, 0), SYMCLONE_ERR_IO);
  ck_assert_ptr_nonnull(strstr(symclone_dataset_last_error(d), "cannot write"));
  tpath(p1, "rt-img2");
  tpath(p2, "no-dir/lab");
  ck_assert_int_eq(symclone_dataset_save_idx(d, p1, p2, 0), SYMCLONE_ERR_IO);
  ck_assert_int_eq(access(p1, F_OK), -1); /* the images were not renamed in */
  ck_assert_int_eq(count_dir_entries(), 0);
  ck_assert_int_eq(symclone_dataset_save_idx(d, NULL, p2, 0), SYMCLONE_ERR_NULL);
  symclone_dataset_free(d);
  /* labels above 255 do not fit IDX */
  lab[3] = 256;
  TU_OK(symclone_dataset_create(&d, count, 5, 6, 300, img, lab));
  tpath(p1, "rt-big-img");
  tpath(p2, "rt-big-lab");
  ck_assert_int_eq(symclone_dataset_save_idx(d, p1, p2, 0), SYMCLONE_ERR_DATA);
  ck_assert_int_eq(access(p1, F_OK), -1);
  symclone_dataset_free(d);
  free(img);
  free(lab);
}
END_TEST

/* FIFOs with no writer, as the images and as the labels: refused at once
 * (the alarm fails the test if a load blocks). */
START_TEST(fifos_are_refused_without_blocking) {
  write_good_pair("ff", 0, 0);
  char fifo[PATH_MAX];
  tpath(fifo, "ff-fifo");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  alarm(10);
  expect_fail("ff-fifo", "ff-lab", 0, SYMCLONE_ERR_PATH, "images: cannot open");
  expect_fail("ff-img", "ff-fifo", 0, SYMCLONE_ERR_PATH, "not a regular file");
  alarm(0);
  unlink(fifo);
}
END_TEST

/* A gzip stream longer than its header says is decompressed only up to
 * that size and refused: 12 images announced, 2,000 in the stream. */
START_TEST(gzip_stream_past_the_declared_size_is_corrupt) {
#if SYMCLONE_HAVE_ZLIB
  write_good_pair("past", 0, 0);
  blob im = idx_images(0x803, 6, 4, 3, (size_t)2000 * 12);
  write_blob("past-img", im, 1);
  expect_fail("past-img", "past-lab", 0, SYMCLONE_ERR_CORRUPT, "images: bytes follow the 72");
  free(im.p);
#endif
}
END_TEST

static void read_file(const char *path, blob *b) {
  FILE *f = fopen(path, "rb");
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  b->n = (size_t)ftell(f);
  rewind(f);
  b->p = malloc(b->n ? b->n : 1);
  ck_assert_uint_eq(fread(b->p, 1, b->n, f), b->n);
  fclose(f);
}

/* The images and labels of one save must be two files: the same path, a
 * symbolic link to it or a hard link to it is refused before anything is
 * written, and the file there keeps its content. */
START_TEST(save_refuses_the_same_file_twice) {
  float img[2 * 4] = {0, 0.5f, 1, 0, 1, 1, 0, 0};
  int lab[2] = {1, 2};
  symclone_dataset *d;
  TU_OK(symclone_dataset_create(&d, 2, 2, 2, 10, img, lab));
  char p[PATH_MAX], sym[PATH_MAX], hard[PATH_MAX], fresh[PATH_MAX], other[PATH_MAX];
  tpath(p, "same-file");
  tpath(sym, "same-sym");
  tpath(hard, "same-hard");
  tpath(fresh, "same-fresh");
  tpath(other, "same-other");
  /* a path that does not exist yet, twice: nothing is created */
  ck_assert_int_eq(symclone_dataset_save_idx(d, fresh, fresh, 0), SYMCLONE_ERR_PATH);
  ck_assert_ptr_nonnull(strstr(symclone_dataset_last_error(d), "same file"));
  ck_assert_int_eq(access(fresh, F_OK), -1);
  write_bytes(p, "keep", 4);
  ck_assert_int_eq(symlink("same-file", sym), 0);
  ck_assert_int_eq(link(p, hard), 0);
  for (int gz = 0; gz < 2; gz++) {
    ck_assert_int_eq(symclone_dataset_save_idx(d, p, p, gz), SYMCLONE_ERR_PATH);
    ck_assert_int_eq(symclone_dataset_save_idx(d, p, sym, gz), SYMCLONE_ERR_PATH);
    ck_assert_int_eq(symclone_dataset_save_idx(d, sym, p, gz), SYMCLONE_ERR_PATH);
    ck_assert_int_eq(symclone_dataset_save_idx(d, hard, p, gz), SYMCLONE_ERR_PATH);
  }
  blob b;
  read_file(p, &b);
  ck_assert_uint_eq(b.n, 4);
  ck_assert_int_eq(memcmp(b.p, "keep", 4), 0);
  free(b.p);
  /* two files, one through the symbolic link: written through it */
  TU_OK(symclone_dataset_save_idx(d, sym, other, 0));
  struct stat sb;
  ck_assert_int_eq(lstat(sym, &sb), 0);
  ck_assert(S_ISLNK(sb.st_mode));
  symclone_dataset *e;
  ck_assert_int_eq(symclone_dataset_load_idx(&e, p, other, 10, NULL), SYMCLONE_OK);
  ck_assert_uint_eq(symclone_dataset_count(e), 2);
  symclone_dataset_free(e);
  ck_assert_int_eq(count_dir_entries(), 0);
  unlink(p);
  unlink(sym);
  unlink(hard);
  unlink(other);
  symclone_dataset_free(d);
}
END_TEST

/* ---- real data, where this machine has it ---- */

static int exists(const char *p) { return access(p, R_OK) == 0; }

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

START_TEST(fashion_mnist_test_set_loads_with_1000_per_class) {
  symclone_dataset *d;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  ck_assert_msg(symclone_dataset_load_idx(&d, FASHION_DIR "/t10k-images-idx3-ubyte.gz",
                                          FASHION_DIR "/t10k-labels-idx1-ubyte.gz", 0,
                                          loader) == SYMCLONE_OK,
                "%s", symclone_loader_last_error(loader));
  symclone_loader_free(loader);
  ck_assert_uint_eq(symclone_dataset_count(d), 10000);
  ck_assert_int_eq(symclone_dataset_rows(d), 28);
  ck_assert_int_eq(symclone_dataset_cols(d), 28);
  int hist[10] = {0};
  for (size_t i = 0; i < 10000; i++) hist[symclone_dataset_labels(d)[i]]++;
  for (int c = 0; c < 10; c++) ck_assert_int_eq(hist[c], 1000);
  symclone_dataset_free(d);
}
END_TEST

/* The digits of scripts/fetch-mnist, found through SYMCLONE_DATA_DIR. */
static int mnist_paths(char *img, char *lab) {
  const char *dir = getenv("SYMCLONE_DATA_DIR");
  if (!dir || !*dir) return 0;
  snprintf(img, PATH_MAX, "%s/mnist10k-images-idx3-ubyte.gz", dir);
  snprintf(lab, PATH_MAX, "%s/mnist10k-labels-idx1-ubyte.gz", dir);
  return exists(img) && exists(lab);
}

START_TEST(fetched_mnist_digits_load_with_the_package_counts) {
  char img[PATH_MAX], lab[PATH_MAX];
  ck_assert(mnist_paths(img, lab));
  symclone_dataset *d, *tr, *te;
  symclone_loader *loader;
  ck_assert_int_eq(symclone_loader_create(&loader), SYMCLONE_OK);
  ck_assert_msg(symclone_dataset_load_idx(&d, img, lab, 0, loader) == SYMCLONE_OK, "%s",
                symclone_loader_last_error(loader));
  symclone_loader_free(loader);
  ck_assert_uint_eq(symclone_dataset_count(d), 10000);
  static const int want[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  int hist[10] = {0};
  for (size_t i = 0; i < 10000; i++) hist[symclone_dataset_labels(d)[i]]++;
  for (int c = 0; c < 10; c++) ck_assert_int_eq(hist[c], want[c]);
  TU_OK(symclone_dataset_split(d, 2000, 0, &tr, &te));
  ck_assert_uint_eq(symclone_dataset_count(tr), 8000);
  symclone_dataset_free(tr);
  symclone_dataset_free(te);
  symclone_dataset_free(d);
}
END_TEST

/* ---- 2x2 mean pooling ---- */

/* Each output pixel against the mean of its block in double, the labels and
 * geometry, commuting with quarter turns, and the refusals. */
START_TEST(downsample2_is_the_block_mean_and_commutes_with_quarter_turns) {
  const size_t count = 3;
  const int rows = 6, cols = 4;
  float *img = tu_normal_floats(count * rows * cols, 5);
  const int lab[3] = {2, 0, 1};
  symclone_dataset *d, *h;
  TU_OK(symclone_dataset_create(&d, count, rows, cols, 3, img, lab));
  TU_OK(symclone_dataset_downsample2(d, &h));
  ck_assert_uint_eq(symclone_dataset_count(h), count);
  ck_assert_int_eq(symclone_dataset_rows(h), 3);
  ck_assert_int_eq(symclone_dataset_cols(h), 2);
  ck_assert_int_eq(symclone_dataset_num_classes(h), 3);
  ck_assert_int_eq(memcmp(symclone_dataset_labels(h), lab, sizeof lab), 0);
  const float *out = symclone_dataset_images(h);
  for (size_t i = 0; i < count; i++)
    for (int y = 0; y < 3; y++)
      for (int x = 0; x < 2; x++) {
        const float *b = img + (i * rows + 2 * (size_t)y) * cols + 2 * x;
        double ref = ((double)b[0] + b[1] + b[cols] + b[cols + 1]) / 4.0;
        ck_assert_double_eq_tol(out[(i * 3 + (size_t)y) * 2 + (size_t)x], ref, 1e-6);
      }
  symclone_dataset_free(h);

  /* pool(rotate(x)) = rotate(pool(x)) on even square images */
  symclone_dataset *sq, *a, *b, *ra, *rb;
  float *sqi = tu_normal_floats(2 * 8 * 8, 6);
  TU_OK(symclone_dataset_create(&sq, 2, 8, 8, 3, sqi, lab));
  for (int k = 1; k < 4; k++) {
    TU_OK(symclone_dataset_rotate90(sq, k, 0, NULL, &ra));
    TU_OK(symclone_dataset_downsample2(ra, &a));
    TU_OK(symclone_dataset_downsample2(sq, &rb));
    TU_OK(symclone_dataset_rotate90(rb, k, 0, NULL, &b));
    ck_assert_double_le(tu_rel_err(symclone_dataset_images(a), symclone_dataset_images(b), 32),
                        1e-6);
    symclone_dataset_free(ra), symclone_dataset_free(rb);
    symclone_dataset_free(a), symclone_dataset_free(b);
  }

  /* odd sizes and NULL are refused, *out untouched */
  symclone_dataset *odd, *keep = (symclone_dataset *)&keep;
  TU_OK(symclone_dataset_create(&odd, 1, 5, 4, 3, img, lab));
  ck_assert_int_eq(symclone_dataset_downsample2(odd, &keep), SYMCLONE_ERR_SHAPE);
  ck_assert_ptr_eq(keep, (symclone_dataset *)&keep);
  ck_assert_ptr_nonnull(strstr(symclone_dataset_last_error(odd), "5x4"));
  symclone_dataset_free(odd);
  TU_OK(symclone_dataset_create(&odd, 1, 4, 3, 3, img, lab));
  ck_assert_int_eq(symclone_dataset_downsample2(odd, &keep), SYMCLONE_ERR_SHAPE);
  symclone_dataset_free(odd);
  ck_assert_int_eq(symclone_dataset_downsample2(NULL, &keep), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_dataset_downsample2(d, NULL), SYMCLONE_ERR_NULL);
  ck_assert_str_ne(symclone_dataset_last_error(d), "");
  symclone_dataset_free(sq);
  symclone_dataset_free(d);
  free(sqi);
  free(img);
}
END_TEST

/* ---- suite ---- */

static Suite *data_suite(void) {
  Suite *s = suite_create("data");
  TCase *tc = tcase_create("idx");
  tcase_add_test(tc, load_plain_idx_reads_every_pixel_and_label);
  tcase_add_test(tc, load_gzip_idx_gives_the_same_dataset);
  tcase_add_test(tc, wrong_magic_is_a_format_error_naming_both_values);
  tcase_add_test(tc, zero_dimension_is_a_format_error);
  tcase_add_test(tc, header_larger_than_the_file_is_truncated);
  tcase_add_test(tc, truncated_gzip_stream_is_truncated);
  tcase_add_test(tc, trailing_bytes_are_corrupt);
  tcase_add_test(tc, damaged_gzip_checksum_is_corrupt);
  tcase_add_test(tc, count_mismatch_is_a_shape_error);
  tcase_add_test(tc, labels_out_of_range_are_a_data_error);
  tcase_add_test(tc, empty_file_is_truncated);
  tcase_add_test(tc, missing_path_is_an_io_error_a_directory_a_path_error);
  tcase_add_test(tc, overflowing_dimensions_are_an_overflow_error);
  tcase_add_test(tc, load_rejects_null_arguments_and_keeps_its_message);
  tcase_add_test(tc, save_then_load_round_trips_exactly);
  tcase_add_test(tc, fifos_are_refused_without_blocking);
  tcase_add_test(tc, gzip_stream_past_the_declared_size_is_corrupt);
  tcase_add_test(tc, save_refuses_the_same_file_twice);
  suite_add_tcase(s, tc);

  tc = tcase_create("dataset");
  tcase_add_test(tc, create_copies_and_validates);
  tcase_add_test(tc, accessors_accept_null);
  tcase_add_test(tc, subset_takes_first_n_or_indices);
  tcase_add_test(tc, split_is_the_documented_shuffle_disjoint_and_complete);
  suite_add_tcase(s, tc);

  tc = tcase_create("transforms");
  tcase_add_test(tc, rotating_four_times_is_the_identity);
  tcase_add_test(tc, rotation_matches_numpy_rot90_loop);
  tcase_add_test(tc, random_turns_follow_the_seed_and_are_recorded);
  tcase_add_test(tc, rotation_rejects_bad_turns_and_non_square_images);
  tcase_add_test(tc, rotation_task_relabels_half_turns_and_more);
  tcase_add_test(tc, centred_digit_covers_rows_and_columns_10_to_37_of_48);
  tcase_add_test(tc, shifts_move_down_and_right_and_clip_at_the_border);
  tcase_add_test(tc, translation_task_follows_the_documented_rule);
  tcase_add_test(tc, downsample2_is_the_block_mean_and_commutes_with_quarter_turns);
  suite_add_tcase(s, tc);

  /* real data only where it is installed or fetched */
  char img[PATH_MAX], lab[PATH_MAX];
  int fashion = SYMCLONE_HAVE_ZLIB && exists(FASHION_DIR "/t10k-images-idx3-ubyte.gz") &&
                exists(FASHION_DIR "/t10k-labels-idx1-ubyte.gz");
  int mnist = SYMCLONE_HAVE_ZLIB && mnist_paths(img, lab);
  if (fashion || mnist) {
    tc = tcase_create("real");
    if (fashion) tcase_add_test(tc, fashion_mnist_test_set_loads_with_1000_per_class);
    if (mnist) tcase_add_test(tc, fetched_mnist_digits_load_with_the_package_counts);
    suite_add_tcase(s, tc);
  }
  return s;
}

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char p[PATH_MAX];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
      remove_tree(p);
    else
      unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

int main(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/symclone-data-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return EXIT_FAILURE;
  }
  int rc = tu_run(data_suite());
  remove_tree(g_dir);
  return rc;
}
