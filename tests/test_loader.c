/* Loaders and their memory budget: every loader refuses, before it
 * allocates for it, a file whose declared content exceeds the loader's
 * budget, and a gzip stream is decompressed only up to the size its header
 * declares.  The bytes the library asks for are counted by wrapping its
 * allocator (linked with -Wl,--wrap=sym_malloc and the like, against the
 * static test library), so "no large allocation" is measured, not assumed. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include <symclone/symclone.h>
#if SYMCLONE_HAVE_ZLIB
#include <zlib.h>
#endif

/* ---- counting the library's allocations ---- */

void *__real_sym_malloc(size_t size);
void *__real_sym_calloc(size_t count, size_t size);
void *__real_sym_malloc_array(size_t count, size_t size);
void *__wrap_sym_malloc(size_t size);
void *__wrap_sym_calloc(size_t count, size_t size);
void *__wrap_sym_malloc_array(size_t count, size_t size);

static size_t largest, total;

static void count(size_t bytes) {
  if (bytes > largest) largest = bytes;
  total += bytes;
}

void *__wrap_sym_malloc(size_t size) {
  count(size);
  return __real_sym_malloc(size);
}

void *__wrap_sym_calloc(size_t n, size_t size) {
  count(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
  return __real_sym_calloc(n, size);
}

void *__wrap_sym_malloc_array(size_t n, size_t size) {
  count(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
  return __real_sym_malloc_array(n, size);
}

static void counting_start(void) { largest = total = 0; }

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* ---- fixtures ---- */

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/symclone-loader-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static void path_of(char *out, const char *name) { snprintf(out, 128, "%s/%s", dir, name); }

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* An IDX file: the header of the given dimensions, then `zeros` zero
 * bytes (which need not match it), plain or gzip-compressed. */
static void write_idx(const char *path, uint32_t magic, int ndims, const uint32_t *dims,
                      size_t zeros, int gz) {
  unsigned char head[16];
  put_be32(head, magic);
  for (int d = 0; d < ndims; d++) put_be32(head + 4 + 4 * d, dims[d]);
  size_t hlen = 4 + 4 * (size_t)ndims;
  static const unsigned char block[64 * 1024];
#if SYMCLONE_HAVE_ZLIB
  if (gz) {
    gzFile f = gzopen(path, "wb9");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, head, (unsigned)hlen), (int)hlen);
    for (size_t done = 0; done < zeros;) {
      size_t n = zeros - done > sizeof block ? sizeof block : zeros - done;
      ck_assert_int_eq(gzwrite(f, block, (unsigned)n), (int)n);
      done += n;
    }
    ck_assert_int_eq(gzclose(f), Z_OK);
    return;
  }
#else
  ck_assert(!gz);
#endif
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(head, 1, hlen, f), hlen);
  for (size_t done = 0; done < zeros;) {
    size_t n = zeros - done > sizeof block ? sizeof block : zeros - done;
    ck_assert_uint_eq(fwrite(block, 1, n, f), n);
    done += n;
  }
  ck_assert_int_eq(fclose(f), 0);
}

static void write_images(const char *path, uint32_t count, uint32_t rows, uint32_t cols,
                         size_t zeros, int gz) {
  uint32_t dims[3] = {count, rows, cols};
  write_idx(path, 0x803, 3, dims, zeros, gz);
}

static void write_labels(const char *path, uint32_t count, int gz) {
  uint32_t dims[1] = {count};
  write_idx(path, 0x801, 1, dims, count, gz);
}

static symclone_loader *loader_of(double max_bytes) {
  symclone_loader *l;
  ck_assert_int_eq(symclone_loader_create(&l), SYMCLONE_OK);
  if (max_bytes > 0) ck_assert_int_eq(symclone_loader_set(l, SYMCLONE_LOADER_MAX_BYTES, max_bytes), SYMCLONE_OK);
  return l;
}

/* ---- the handle ---- */

START_TEST(loader_settings_have_documented_bounds) {
  symclone_loader *l;
  ck_assert_int_eq(symclone_loader_create(NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_loader_create(&l), SYMCLONE_OK);
  ck_assert_str_eq(symclone_loader_last_error(l), "");
  double v, lo, hi, def;
  ck_assert_int_eq(symclone_loader_get(l, SYMCLONE_LOADER_MAX_BYTES, &v), SYMCLONE_OK);
  ck_assert(v == 1073741824.0);
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_LOADER_MAX_BYTES, &lo, &hi, &def), SYMCLONE_OK);
  ck_assert(lo == 1024.0 && hi == 9007199254740992.0 && def == v);
  ck_assert_str_eq(symclone_setting_name(SYMCLONE_LOADER_MAX_BYTES), "max_bytes");
  ck_assert_int_eq(symclone_loader_set(l, SYMCLONE_LOADER_MAX_BYTES, 1023), SYMCLONE_ERR_SETTING);
  ck_assert_ptr_nonnull(strstr(symclone_loader_last_error(l), "max_bytes"));
  ck_assert_int_eq(symclone_loader_set(l, SYMCLONE_LOADER_MAX_BYTES, 4096.5), SYMCLONE_ERR_SETTING);
  ck_assert_int_eq(symclone_loader_set(l, SYMCLONE_TRAINER_SEED, 4096), SYMCLONE_ERR_ARG);
  ck_assert_int_eq(symclone_loader_get(l, SYMCLONE_LOADER_MAX_BYTES, &v), SYMCLONE_OK);
  ck_assert(v == 1073741824.0); /* refused values change nothing */
  ck_assert_int_eq(symclone_loader_set(l, SYMCLONE_LOADER_MAX_BYTES, 4096), SYMCLONE_OK);
  ck_assert_int_eq(symclone_loader_get(l, SYMCLONE_LOADER_MAX_BYTES, &v), SYMCLONE_OK);
  ck_assert(v == 4096.0);
  ck_assert_int_eq(symclone_loader_get(l, SYMCLONE_LOADER_MAX_BYTES, NULL), SYMCLONE_ERR_NULL);
  ck_assert_int_eq(symclone_loader_set(NULL, SYMCLONE_LOADER_MAX_BYTES, 4096), SYMCLONE_ERR_NULL);
  ck_assert_str_eq(symclone_loader_last_error(NULL), "");
  symclone_loader_free(l);
  symclone_loader_free(NULL);
}
END_TEST

/* ---- students ---- */

START_TEST(student_loader_checks_the_budget_before_allocating) {
  make_dir();
  char path[128];
  path_of(path, "s.scs");
  symclone_student *s, *back = NULL;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 4, 3, 16, 16,
                                           SYMCLONE_PADDING_ZERO, 9, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_student_save(s, path), SYMCLONE_OK);
  size_t bytes = 4 * symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL) + 60;
  ck_assert_uint_gt(bytes, 2 * MIB);
  /* a budget below the file: refused with no allocation of its size */
  symclone_loader *l = loader_of((double)MIB);
  counting_start();
  ck_assert_int_eq(symclone_student_load(&back, path, l), SYMCLONE_ERR_BUDGET);
  ck_assert_uint_lt(largest, 64 * KIB);
  ck_assert_ptr_nonnull(strstr(symclone_loader_last_error(l), "budget"));
  ck_assert_ptr_null(back);
  symclone_loader_free(l);
  /* above the file but below the file and the student it becomes */
  l = loader_of((double)(bytes + bytes / 2));
  counting_start();
  ck_assert_int_eq(symclone_student_load(&back, path, l), SYMCLONE_ERR_BUDGET);
  ck_assert_uint_lt(largest, 64 * KIB);
  symclone_loader_free(l);
  /* enough: it loads, and what it allocated stays within the budget */
  l = loader_of((double)(2 * bytes + 64 * KIB));
  counting_start();
  ck_assert_int_eq(symclone_student_load(&back, path, l), SYMCLONE_OK);
  ck_assert_uint_le(total, 2 * bytes + 64 * KIB);
  ck_assert_uint_ge(total, 2 * bytes - 64 * KIB); /* the counting sees the loads */
  symclone_student_free(back);
  symclone_loader_free(l);
  symclone_student_free(s);
  remove_dir();
}
END_TEST

/* ---- IDX ---- */

/* A plain pair of 2,000 28x28 images (1.5 MB): over a 1 MiB budget
 * before anything is allocated for it; within the default budget it loads. */
START_TEST(plain_idx_loader_checks_the_budget_before_allocating) {
  make_dir();
  char ip[128], lp[128];
  path_of(ip, "img");
  path_of(lp, "lab");
  write_images(ip, 2000, 28, 28, (size_t)2000 * 784, 0);
  write_labels(lp, 2000, 0);
  symclone_dataset *d = NULL;
  symclone_loader *l = loader_of((double)MIB);
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, l), SYMCLONE_ERR_BUDGET);
  ck_assert_uint_lt(largest, 64 * KIB);
  ck_assert_ptr_nonnull(strstr(symclone_loader_last_error(l), "budget"));
  ck_assert_ptr_null(d);
  symclone_loader_free(l);
  /* the cost is the documented one: count * rows * cols * 5 + count * (1 + sizeof(int)) */
  size_t cost = (size_t)2000 * 784 * 5 + 2000 * (1 + sizeof(int));
  l = loader_of((double)cost - 1);
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, l), SYMCLONE_ERR_BUDGET);
  symclone_loader_free(l);
  l = loader_of((double)cost);
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, l), SYMCLONE_OK);
  ck_assert_uint_le(total, cost + 64 * KIB);
  ck_assert_uint_ge(total, cost - 64 * KIB); /* the counting sees the loads */
  symclone_dataset_free(d);
  symclone_loader_free(l);
  remove_dir();
}
END_TEST

#if SYMCLONE_HAVE_ZLIB
/* Forged gzip headers over compressed zeros.  A header declaring 4 GiB of
 * images: refused by the default budget from the header alone.  A header
 * declaring 60,000 28x28 images (47 MB) over 4 MB of zeros: refused by a
 * 1 MiB budget before any allocation, and within the budget it costs
 * allocations of the size of what the stream holds, not of what the
 * header declares. */
START_TEST(gzip_idx_forged_header_costs_no_large_allocation) {
  make_dir();
  char ip[128], lp[128], ip2[128], lp2[128];
  path_of(ip, "img.gz");
  path_of(lp, "lab.gz");
  path_of(ip2, "img-huge.gz");
  path_of(lp2, "lab-huge.gz");
  write_images(ip, 60000, 28, 28, 4 * MIB, 1);
  write_labels(lp, 60000, 1);
  write_images(ip2, 4096, 1024, 1024, 4 * MIB, 1);
  write_labels(lp2, 4096, 1);
  symclone_dataset *d = NULL;
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip2, lp2, 0, NULL), SYMCLONE_ERR_BUDGET);
  ck_assert_uint_lt(largest, 64 * KIB);
  symclone_loader *l = loader_of((double)MIB);
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, l), SYMCLONE_ERR_BUDGET);
  ck_assert_uint_lt(largest, 64 * KIB);
  symclone_loader_free(l);
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, NULL), SYMCLONE_ERR_TRUNCATED);
  ck_assert_msg(largest <= 8 * MIB, "largest allocation %zu bytes for 4 MiB of content", largest);
  ck_assert_msg(total <= 16 * MIB, "%zu bytes allocated for 4 MiB of content", total);
  ck_assert_uint_ge(largest, 4 * MIB); /* the counting sees the content's buffer */
  ck_assert_ptr_null(d);
  remove_dir();
}
END_TEST

/* A header declaring 100 images over a stream of 64 MiB of zeros: the
 * stream is read only up to the declared size and refused; nothing of the
 * stream's size is allocated. */
START_TEST(gzip_idx_stops_at_the_declared_size) {
  make_dir();
  char ip[128], lp[128];
  path_of(ip, "img.gz");
  path_of(lp, "lab.gz");
  write_images(ip, 100, 28, 28, 64 * MIB, 1);
  write_labels(lp, 100, 1);
  symclone_dataset *d = NULL;
  symclone_loader *l = loader_of(0);
  counting_start();
  ck_assert_int_eq(symclone_dataset_load_idx(&d, ip, lp, 0, l), SYMCLONE_ERR_CORRUPT);
  ck_assert_ptr_nonnull(strstr(symclone_loader_last_error(l), "bytes follow the 78400"));
  ck_assert_uint_lt(largest, 256 * KIB);
  ck_assert_uint_lt(total, 512 * KIB);
  symclone_loader_free(l);
  remove_dir();
}
END_TEST
#endif

int main(void) {
  Suite *su = suite_create("loader");
  TCase *tc = tcase_create("budget");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, loader_settings_have_documented_bounds);
  tcase_add_test(tc, student_loader_checks_the_budget_before_allocating);
  tcase_add_test(tc, plain_idx_loader_checks_the_budget_before_allocating);
#if SYMCLONE_HAVE_ZLIB
  tcase_add_test(tc, gzip_idx_forged_header_costs_no_large_allocation);
  tcase_add_test(tc, gzip_idx_stops_at_the_declared_size);
#endif
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
