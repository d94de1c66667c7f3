/* Size arithmetic that could overflow is refused with a status before
 * anything is allocated: counts whose products wrap around, and small
 * files that announce huge contents. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <symclone/symclone.h>

/* Some of these tests ask for terabytes on purpose and expect NULL (and a
 * SYMCLONE_ERR_NOMEM) back.  AddressSanitizer's allocator aborts on such a
 * request unless told to return NULL: a sanitizer build reads these options
 * at start-up (ASAN_OPTIONS in the environment still override them); other
 * builds never call this function. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

/* clone_stack copies n_inputs fields: n_inputs * input_size must not wrap
 * to a small buffer that the trainer then reads far beyond. */
START_TEST(clone_stack_refuses_wrapping_input_count) {
  symclone_layer *conv;
  ck_assert_int_eq(symclone_layer_create_conv2d(&conv, 1, 1, 3, 4, 4, SYMCLONE_PADDING_VALID, 0),
                   SYMCLONE_OK);
  float p[9] = {0}, inputs[4 * 16] = {0};
  symclone_student *tmpl_s, *out[1] = {NULL};
  symclone_trainer *tmpl;
  ck_assert_int_eq(symclone_student_create(&tmpl_s, SYMCLONE_STUDENT_PLANAR, 1, 3, 4, 4,
                                           SYMCLONE_PADDING_VALID, 9, 0),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_create(&tmpl, tmpl_s), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tmpl, SYMCLONE_TRAINER_MAX_STEPS, 1), SYMCLONE_OK);
  const symclone_layer *layers[1] = {conv};
  const float *params[1] = {p};
  /* 16 floats per field: (SIZE_MAX / 16 + 1) * 16 wraps to 0 */
  size_t wrap = SIZE_MAX / 16 + 1;
  symclone_status st = symclone_trainer_clone_stack(tmpl, layers, params, 1, inputs, wrap, 9, out);
  ck_assert_int_eq(st, SYMCLONE_ERR_OVERFLOW);
  ck_assert_ptr_null(out[0]);
  st = symclone_trainer_clone_stack(tmpl, layers, params, 1, inputs, SIZE_MAX / 2, 9, out);
  ck_assert_int_eq(st, SYMCLONE_ERR_OVERFLOW);
  /* and a real call still works */
  ck_assert_int_eq(symclone_trainer_clone_stack(tmpl, layers, params, 1, inputs, 4, 9, out), SYMCLONE_OK);
  symclone_student_free(out[0]);
  symclone_trainer_free(tmpl);
  symclone_student_free(tmpl_s);
  symclone_layer_free(conv);
}
END_TEST

/* The largest K and N the settings allow ask for K*N*out floats of
 * scratch: far more than memory, refused with a status, and the trainer
 * stays usable. */
START_TEST(trainer_survives_the_largest_settings) {
  symclone_student *s;
  symclone_trainer *tr;
  ck_assert_int_eq(symclone_student_create(&s, SYMCLONE_STUDENT_LIFTING, 4, 3, 8, 8,
                                           SYMCLONE_PADDING_ZERO, 9, 1),
                   SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_create(&tr, s), SYMCLONE_OK);
  double hi;
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_TRAINER_KERNELS, NULL, &hi, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, hi), SYMCLONE_OK);
  ck_assert_int_eq(symclone_setting_bounds(SYMCLONE_TRAINER_INPUTS, NULL, &hi, NULL), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, hi), SYMCLONE_OK);
  symclone_status st = symclone_trainer_step(tr, NULL, NULL);
  ck_assert_msg(st == SYMCLONE_ERR_NOMEM || st == SYMCLONE_ERR_OVERFLOW, "step returned %s",
                symclone_strerror(st));
  ck_assert_int_eq(symclone_trainer_steps_done(tr), 0);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_KERNELS, 2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_set(tr, SYMCLONE_TRAINER_INPUTS, 2), SYMCLONE_OK);
  ck_assert_int_eq(symclone_trainer_step(tr, NULL, NULL), SYMCLONE_OK);
  symclone_trainer_free(tr);
  symclone_student_free(s);
}
END_TEST

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static void put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A 64-byte student file with a correct checksum whose header announces a
 * 4096 x 4096 geometry (10^14 floats) and 1 float: refused as corrupt from
 * the header alone, never by trying to allocate the geometry (which would
 * be SYMCLONE_ERR_NOMEM, or worse, succeed). */
START_TEST(student_loader_checks_geometry_before_allocating) {
  unsigned char f[64] = "SYMCLSTU";
  put32(f + 8, 1);
  put32(f + 12, 48);
  uint32_t g[7] = {SYMCLONE_STUDENT_PLANAR, 1, 1, 4096, 4096, SYMCLONE_PADDING_ZERO, 1};
  for (int i = 0; i < 7; i++) put32(f + 16 + 4 * i, g[i]);
  put32(f + 48, 1); /* number of floats, low word */
  put32(f + 60, (uint32_t)crc32(0L, f, 60));
  char path[] = "/tmp/symclone-overflow.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  write_file(path, f, sizeof f);
  symclone_student *s = NULL;
  ck_assert_int_eq(symclone_student_load(&s, path, NULL), SYMCLONE_ERR_CORRUPT);
  ck_assert_ptr_null(s);
  /* a geometry whose size does not even fit size_t */
  g[3] = g[4] = 1u << 20;
  for (int i = 0; i < 7; i++) put32(f + 16 + 4 * i, g[i]);
  put32(f + 60, (uint32_t)crc32(0L, f, 60));
  write_file(path, f, sizeof f);
  ck_assert_int_eq(symclone_student_load(&s, path, NULL), SYMCLONE_ERR_CORRUPT);
  unlink(path);
}
END_TEST

int main(void) {
  Suite *su = suite_create("overflow");
  TCase *tc = tcase_create("sizes");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, clone_stack_refuses_wrapping_input_count);
  tcase_add_test(tc, trainer_survives_the_largest_settings);
  tcase_add_test(tc, student_loader_checks_geometry_before_allocating);
  suite_add_tcase(su, tc);
  SRunner *sr = srunner_create(su);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
