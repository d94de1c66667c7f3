/* Pictures: the PNG writer (8-bit RGB through libpng). */
#include <string.h>

#include "picture_priv.h"

#if SYMCLONE_HAVE_PNG

#include <png.h>

typedef struct png_state {
  const sym_err *err;
  int nomem; /* an allocation failed */
} png_state;

static void on_error(png_structp png, png_const_charp text) {
  png_state *s = png_get_error_ptr(png);
  sym_fail(s->err, SYMCLONE_ERR_IO, "libpng: %s", text);
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

#ifdef PNG_USER_MEM_SUPPORTED
static png_voidp on_malloc(png_structp png, png_alloc_size_t size) {
  void *p = sym_malloc(size);
  if (!p) {
    png_state *s = png_get_mem_ptr(png);
    s->nomem = 1;
  }
  return p;
}

static void on_free(png_structp png, png_voidp p) {
  (void)png;
  sym_free(p);
}
#endif

/* Everything that may longjmp, kept apart from the caller's locals. */
static int write_body(png_structp png, png_infop info, FILE *f, const sym_canvas *c,
                      unsigned char *row) {
  if (setjmp(png_jmpbuf(png))) return -1;
  png_init_io(png, f);
#ifdef PNG_SET_USER_LIMITS_SUPPORTED
  png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
#endif
  png_set_IHDR(png, info, (png_uint_32)c->width, (png_uint_32)c->height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  long long cached = -2;
  for (int y = 0; y < c->height; y++) {
    sym_canvas_row(c, y, row, &cached);
    png_write_row(png, row);
  }
  png_write_end(png, info);
  return 0;
}

symclone_status sym_picture_write_png(FILE *f, const sym_canvas *c, unsigned char *row,
                                      const sym_err *err) {
  png_state s = {err, 0};
#ifdef PNG_USER_MEM_SUPPORTED
  png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning,
                                              &s, on_malloc, on_free);
#else
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
#endif
  if (!png)
    return sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot create a PNG writer");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    return sym_fail(err, SYMCLONE_ERR_NOMEM, "cannot create a PNG writer");
  }
  int bad = write_body(png, info, f, c, row);
  png_destroy_write_struct(&png, &info);
  if (bad)
    return s.nomem ? sym_fail(err, SYMCLONE_ERR_NOMEM, "libpng: out of memory") : SYMCLONE_ERR_IO;
  return SYMCLONE_OK;
}

#else

symclone_status sym_picture_write_png(FILE *f, const sym_canvas *c, unsigned char *row,
                                      const sym_err *err) {
  (void)f;
  (void)c;
  (void)row;
  return sym_fail(err, SYMCLONE_ERR_NOT_AVAILABLE, "this build has no PNG support (libpng)");
}

#endif
