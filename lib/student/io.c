/* Student files: format version 1 (docs/file-format.md).
 *
 *   offset size
 *   0      8    magic "SYMCLSTU"
 *   8      4    format version (1)
 *   12     4    header size in bytes (48)
 *   16     4    kind        20  orientations  24 kernel  28 height
 *   32     4    width       36  padding       40 blocks
 *   44     4    reserved (0)
 *   48     8    number of floats F
 *   56     4F   parameters, IEEE-754 binary32 little-endian
 *   56+4F  4    CRC-32 (ISO-HDLC, as zlib's crc32) of all preceding bytes
 * All integers are unsigned little-endian. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "student_priv.h"

#define MAGIC "SYMCLSTU"
#define FORMAT_VERSION 1u
#define HEADER_SIZE 48u
#define PREFIX_SIZE 56u
#define MAX_FILE ((size_t)1 << 34)

static symclone_status io_fail(char *errbuf, size_t errlen, symclone_status st, const char *fmt,
                               ...) {
  if (errbuf && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
  }
  return st;
}

symclone_status symclone_student_save(const symclone_student *s, const char *path) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!path) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "path is NULL");
  size_t len;
  if (sym_mul_size(s->nparams, 4, &len) || sym_add_size(len, PREFIX_SIZE + 4, &len))
    return sym_fail(&s->err, SYMCLONE_ERR_OVERFLOW, "student too large to save");
  unsigned char *buf = sym_malloc(len);
  if (!buf) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu bytes", len);
  memset(buf, 0, PREFIX_SIZE);
  memcpy(buf, MAGIC, 8);
  sym_put_u32(buf + 8, FORMAT_VERSION);
  sym_put_u32(buf + 12, HEADER_SIZE);
  sym_put_u32(buf + 16, (uint32_t)s->kind);
  sym_put_u32(buf + 20, (uint32_t)s->n);
  sym_put_u32(buf + 24, (uint32_t)s->k);
  sym_put_u32(buf + 28, (uint32_t)s->h);
  sym_put_u32(buf + 32, (uint32_t)s->w);
  sym_put_u32(buf + 36, (uint32_t)s->pad);
  sym_put_u32(buf + 40, (uint32_t)s->nblocks);
  sym_put_u64(buf + 48, (uint64_t)s->nparams);
  for (size_t i = 0; i < s->nparams; i++) sym_put_f32(buf + PREFIX_SIZE + 4 * i, s->params[i]);
  sym_put_u32(buf + len - 4, sym_crc32(0, buf, len - 4));
  int e = sym_write_file_atomic(path, buf, len);
  sym_free(buf);
  if (e)
    return sym_fail(&s->err, e == ENOMEM ? SYMCLONE_ERR_NOMEM : SYMCLONE_ERR_IO,
                    "cannot write '%s': %s", path, strerror(e));
  return SYMCLONE_OK;
}

symclone_status symclone_student_load(symclone_student **out, const char *path, char *errbuf,
                                      size_t errlen) {
  if (errbuf && errlen) errbuf[0] = '\0';
  if (!out) return io_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return io_fail(errbuf, errlen, SYMCLONE_ERR_NULL, "path is NULL");
  unsigned char *buf;
  size_t len;
  int e = sym_read_file(path, MAX_FILE, &buf, &len);
  if (e)
    return io_fail(errbuf, errlen, e == ENOMEM ? SYMCLONE_ERR_NOMEM : SYMCLONE_ERR_IO,
                   "cannot read '%s': %s", path, sym_file_strerror(e));
  symclone_status st = SYMCLONE_OK;
  symclone_student *s = NULL;
  if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
    st = len < 8 && memcmp(buf, MAGIC, len) == 0
             ? io_fail(errbuf, errlen, SYMCLONE_ERR_TRUNCATED, "'%s': truncated magic", path)
             : io_fail(errbuf, errlen, SYMCLONE_ERR_FORMAT, "'%s' is not a student file", path);
    goto done;
  }
  if (len < 12) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_TRUNCATED, "'%s': truncated header", path);
    goto done;
  }
  uint32_t version = sym_get_u32(buf + 8);
  if (version != FORMAT_VERSION) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_VERSION,
                 "'%s': format version %u, this library reads version %u", path, version,
                 FORMAT_VERSION);
    goto done;
  }
  if (len < PREFIX_SIZE + 4) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_TRUNCATED, "'%s': truncated header (%zu bytes)",
                 path, len);
    goto done;
  }
  uint64_t nfloats = sym_get_u64(buf + 48);
  if (sym_get_u32(buf + 12) != HEADER_SIZE || nfloats > (MAX_FILE - PREFIX_SIZE - 4) / 4) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT, "'%s': inconsistent header", path);
    goto done;
  }
  size_t expect = PREFIX_SIZE + 4 * (size_t)nfloats + 4;
  if (len < expect) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_TRUNCATED,
                 "'%s': %zu bytes, the header announces %zu", path, len, expect);
    goto done;
  }
  if (len > expect) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT, "'%s': %zu trailing bytes", path,
                 len - expect);
    goto done;
  }
  uint32_t crc = sym_get_u32(buf + len - 4);
  if (crc != sym_crc32(0, buf, len - 4)) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT, "'%s': checksum mismatch", path);
    goto done;
  }
  uint32_t g[7];
  for (int i = 0; i < 7; i++) g[i] = sym_get_u32(buf + 16 + 4 * i);
  for (int i = 0; i < 7; i++)
    if (g[i] > 1u << 20) {
      st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT, "'%s': geometry out of range", path);
      goto done;
    }
  size_t expect_floats;
  if (sym_student_layout_count(g, &expect_floats) || expect_floats != nfloats) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT,
                 "'%s': %llu floats do not match the geometry", path,
                 (unsigned long long)nfloats);
    goto done;
  }
  st = symclone_student_create(&s, (symclone_student_kind)g[0], (int)g[1], (int)g[2], (int)g[3],
                               (int)g[4], (symclone_padding)g[5], (int)g[6], 0);
  if (st) {
    st = io_fail(errbuf, errlen, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                 "'%s': invalid geometry (%s)", path, symclone_strerror(st));
    s = NULL;
    goto done;
  }
  if (s->nparams != nfloats) {
    st = io_fail(errbuf, errlen, SYMCLONE_ERR_CORRUPT,
                 "'%s': %llu floats for a geometry of %zu", path, (unsigned long long)nfloats,
                 s->nparams);
    goto done;
  }
  for (size_t i = 0; i < s->nparams; i++) s->params[i] = sym_get_f32(buf + PREFIX_SIZE + 4 * i);
done:
  sym_free(buf);
  if (st) {
    symclone_student_free(s);
    return st;
  }
  *out = s;
  return SYMCLONE_OK;
}
