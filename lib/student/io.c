/* Student files: format versions 1 and 2 (docs/file-format.md).
 *
 *   offset size
 *   0      8    magic "SYMCLSTU"
 *   8      4    format version (1; 2 for a restricted student)
 *   12     4    header size in bytes (48)
 *   16     4    kind        20  orientations  24 kernel  28 height
 *   32     4    width       36  padding       40 blocks
 *   44     4    reserved (0)
 *   48     8    number of floats F
 *   56     4F   parameters, IEEE-754 binary32 little-endian
 *   version 2 only, the restriction (symclone_student_restrict):
 *   56+4F  4    group kind (2 cyclic, 3 dihedral)   60+4F  4  n
 *   64+4F  4    R, the number of subspace indices (1 <= R <= 1024)
 *   68+4F  4R   the indices
 *   end-4  4    CRC-32 (ISO-HDLC, as zlib's crc32) of all preceding bytes
 * All integers are unsigned little-endian.  An unrestricted student is
 * written as version 1. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "../common/loader_priv.h"
#include "student_priv.h"

#define MAGIC "SYMCLSTU"
#define FORMAT_VERSION 1u
#define FORMAT_VERSION_RESTRICTED 2u
#define MAX_RESTRICTION 1024u
#define HEADER_SIZE 48u
#define PREFIX_SIZE 56u
#define MAX_FILE ((size_t)1 << 34)

symclone_status symclone_student_save(const symclone_student *s, const char *path) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!path) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "path is NULL");
  /* The loader refuses a non-finite parameter: such a file is never written. */
  for (size_t i = 0; i < s->nparams; i++)
    if (!isfinite(s->params[i]))
      return sym_fail(&s->err, SYMCLONE_ERR_DATA, "cannot save to '%s': parameter %zu is %s",
                      path, i, isnan(s->params[i]) ? "NaN" : "infinite");
  size_t len, rbytes = s->r_count ? 12 + 4 * (size_t)s->r_count : 0;
  if (sym_mul_size(s->nparams, 4, &len) || sym_add_size(len, PREFIX_SIZE + 4 + rbytes, &len))
    return sym_fail(&s->err, SYMCLONE_ERR_OVERFLOW, "student too large to save");
  unsigned char *buf = sym_malloc(len);
  if (!buf) return sym_fail(&s->err, SYMCLONE_ERR_NOMEM, "cannot allocate %zu bytes", len);
  memset(buf, 0, PREFIX_SIZE);
  memcpy(buf, MAGIC, 8);
  sym_put_u32(buf + 8, s->r_count ? FORMAT_VERSION_RESTRICTED : FORMAT_VERSION);
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
  if (s->r_count) {
    unsigned char *r = buf + PREFIX_SIZE + 4 * s->nparams;
    sym_put_u32(r, (uint32_t)s->r_kind);
    sym_put_u32(r + 4, (uint32_t)s->r_n);
    sym_put_u32(r + 8, (uint32_t)s->r_count);
    for (int i = 0; i < s->r_count; i++) sym_put_u32(r + 12 + 4 * (size_t)i, (uint32_t)s->r_index[i]);
  }
  sym_put_u32(buf + len - 4, sym_crc32(0, buf, len - 4));
  int e = sym_write_file_atomic(path, buf, len);
  sym_free(buf);
  if (e) {
    char eb[160];
    return sym_fail(&s->err, sym_file_status(e), "cannot write '%s': %s", path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  return SYMCLONE_OK;
}

/* The fields of the geometry, by name, before anything is built from them:
 * a file that names an impossible geometry says which field is wrong. */
static symclone_status check_geometry(const sym_err *err, const char *path, const uint32_t g[7]) {
  static const char *const names[7] = {"kind",  "orientations", "kernel", "height",
                                       "width", "padding",      "blocks"};
  for (int i = 0; i < 7; i++)
    if (g[i] > 1u << 20)
      return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': %s=%u is out of range", path, names[i],
                      g[i]);
  if (!sym_student_kind_is_valid((symclone_student_kind)g[0]))
    return sym_fail(err, SYMCLONE_ERR_CORRUPT,
                    "'%s': kind=%u is not a student kind (1 planar, 2 lifting, 3 group, "
                    "4 dihedral lifting, 5 dihedral group)",
                    path, g[0]);
  if (g[0] != SYMCLONE_STUDENT_PLANAR && (g[1] < 1 || g[1] > 360))
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': orientations=%u is not in [1, 360]", path,
                    g[1]);
  if (g[3] < 1 || g[4] < 1)
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': height=%u, width=%u: both must be >= 1",
                    path, g[3], g[4]);
  if (g[2] < 1 || g[2] % 2 == 0 || g[2] > g[3] || g[2] > g[4])
    return sym_fail(err, SYMCLONE_ERR_CORRUPT,
                    "'%s': kernel=%u is not odd, >= 1 and at most height=%u and width=%u", path,
                    g[2], g[3], g[4]);
  if (g[5] != SYMCLONE_PADDING_VALID && g[5] != SYMCLONE_PADDING_ZERO &&
      g[5] != SYMCLONE_PADDING_CIRCULAR)
    return sym_fail(err, SYMCLONE_ERR_CORRUPT,
                    "'%s': padding=%u is not a padding (0 valid, 1 zero, 2 circular)", path, g[5]);
  if (g[6] < 1)
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': blocks=0 must be >= 1", path);
  return SYMCLONE_OK;
}

/* Every check of a student file's contents buf[len], in the order a
 * reader meets the fields: magic, version, header size, length, checksum,
 * reserved field, geometry (g[7] is filled), the float count the geometry
 * gives, and finite parameters; *rcount gets the number of the
 * restriction's indices (0 for version 1), which the loader checks once the
 * student is made.  Nothing is allocated. */
static symclone_status check_contents(const sym_err *err, const char *path,
                                      const unsigned char *buf, size_t len, uint32_t g[7],
                                      uint64_t *nfloats_out, uint32_t *rcount) {
  if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
    return len < 8 && memcmp(buf, MAGIC, len) == 0
               ? sym_fail(err, SYMCLONE_ERR_TRUNCATED, "'%s': truncated magic", path)
               : sym_fail(err, SYMCLONE_ERR_FORMAT, "'%s' is not a student file", path);
  }
  if (len < 12)
    return sym_fail(err, SYMCLONE_ERR_TRUNCATED, "'%s': truncated header", path);
  uint32_t version = sym_get_u32(buf + 8);
  if (version != FORMAT_VERSION && version != FORMAT_VERSION_RESTRICTED) {
    return sym_fail(err, SYMCLONE_ERR_VERSION,
                    "'%s': format version %u, this library reads versions %u and %u", path,
                    version, FORMAT_VERSION, FORMAT_VERSION_RESTRICTED);
  }
  if (len < PREFIX_SIZE + 4)
    return sym_fail(err, SYMCLONE_ERR_TRUNCATED, "'%s': truncated header (%zu bytes)", path, len);
  uint64_t nfloats = sym_get_u64(buf + 48);
  *nfloats_out = nfloats;
  uint32_t hsize = sym_get_u32(buf + 12);
  if (hsize != HEADER_SIZE) {
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': header size %u, not %u", path, hsize,
                    HEADER_SIZE);
  }
  if (nfloats > (MAX_FILE - PREFIX_SIZE - 4) / 4) {
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': %llu floats is out of range", path,
                    (unsigned long long)nfloats);
  }
  size_t expect = PREFIX_SIZE + 4 * (size_t)nfloats + 4;
  *rcount = 0;
  if (version == FORMAT_VERSION_RESTRICTED) {
    /* the restriction's count sits behind the floats */
    if (len < expect + 12)
      return sym_fail(err, SYMCLONE_ERR_TRUNCATED,
                      "'%s': %zu bytes, the header and restriction need at least %zu", path, len,
                      expect + 12);
    uint32_t r = sym_get_u32(buf + expect - 4 + 8);
    if (r < 1 || r > MAX_RESTRICTION)
      return sym_fail(err, SYMCLONE_ERR_CORRUPT,
                      "'%s': the restriction names %u subspaces (1 to %u)", path, r,
                      MAX_RESTRICTION);
    *rcount = r;
    expect += 12 + 4 * (size_t)r;
  }
  if (len < expect) {
    return sym_fail(err, SYMCLONE_ERR_TRUNCATED, "'%s': %zu bytes, the header announces %zu", path,
                    len, expect);
  }
  if (len > expect)
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': %zu trailing bytes", path, len - expect);
  uint32_t crc = sym_get_u32(buf + len - 4);
  if (crc != sym_crc32(0, buf, len - 4))
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': checksum mismatch", path);
  uint32_t reserved = sym_get_u32(buf + 44);
  if (reserved != 0) {
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': reserved field (offset 44) is %u, not 0",
                    path, reserved);
  }
  for (int i = 0; i < 7; i++)
    g[i] = sym_get_u32(buf + 16 + 4 * i);
  symclone_status st = check_geometry(err, path, g);
  if (st)
    return st;
  size_t expect_floats;
  if (sym_student_layout_count(g, &expect_floats)) {
    return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': the geometry's parameter count overflows",
                    path);
  }
  if (expect_floats != nfloats) {
    return sym_fail(err, SYMCLONE_ERR_CORRUPT,
                    "'%s': float count=%llu, the geometry (kind %u, orientations %u, kernel %u, "
                    "%ux%u, padding %u, blocks %u) has %zu",
                    path, (unsigned long long)nfloats, g[0], g[1], g[2], g[3], g[4], g[5], g[6],
                    expect_floats);
  }
  for (size_t i = 0; i < (size_t)nfloats; i++) {
    float v = sym_get_f32(buf + PREFIX_SIZE + 4 * i);
    if (!isfinite(v)) {
      return sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': parameter %zu is %s", path, i,
                      isnan(v) ? "NaN" : "infinite");
    }
  }
  return SYMCLONE_OK;
}

symclone_status symclone_student_load(symclone_student **out, const char *path,
                                      symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!out) return sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return sym_fail(err, SYMCLONE_ERR_NULL, "path is NULL");
  unsigned char *buf;
  size_t len;
  symclone_status st = sym_loader_read_whole(loader, path, MAX_FILE, "loading", &buf, &len);
  if (st) return st;
  symclone_student *s = NULL;
  uint32_t g[7], rcount = 0;
  uint64_t nfloats = 0;
  int *rindex = NULL;
  st = check_contents(err, path, buf, len, g, &nfloats, &rcount);
  if (st) goto done;
  st = symclone_student_create(&s, (symclone_student_kind)g[0], (int)g[1], (int)g[2], (int)g[3],
                               (int)g[4], (symclone_padding)g[5], (int)g[6], 0);
  if (st) {
    st = sym_fail(err, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                  "'%s': invalid geometry (%s)", path, symclone_strerror(st));
    s = NULL;
    goto done;
  }
  if (s->nparams != nfloats) {
    st = sym_fail(err, SYMCLONE_ERR_CORRUPT, "'%s': %llu floats for a geometry of %zu", path,
                  (unsigned long long)nfloats, s->nparams);
    goto done;
  }
  for (size_t i = 0; i < s->nparams; i++) s->params[i] = sym_get_f32(buf + PREFIX_SIZE + 4 * i);
  if (rcount) {
    const unsigned char *r = buf + PREFIX_SIZE + 4 * s->nparams;
    uint32_t gk = sym_get_u32(r), gn = sym_get_u32(r + 4);
    rindex = sym_malloc_array(rcount, sizeof *rindex);
    if (!rindex) {
      st = sym_fail(err, SYMCLONE_ERR_NOMEM, "'%s': cannot allocate the restriction", path);
      goto done;
    }
    for (uint32_t i = 0; i < rcount; i++) {
      uint32_t v = sym_get_u32(r + 12 + 4 * (size_t)i);
      rindex[i] = v > 1u << 20 ? -1 : (int)v;
    }
    char why[SYM_ERRMSG_LEN];
    sym_err rerr;
    sym_err_init(&rerr);
    st = sym_student_restrict_build(s, &rerr, gk > 16 ? 0 : (int)gk, gn > 360 ? 0 : (int)gn,
                                    rindex, (int)rcount);
    if (st) {
      snprintf(why, sizeof why, "%s", rerr.msg);
      st = sym_fail(err, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                    "'%s': invalid restriction: %s", path, why);
      goto done;
    }
  }
done:
  sym_free(rindex);
  sym_free(buf);
  if (st) {
    symclone_student_free(s);
    return st;
  }
  *out = s;
  return SYMCLONE_OK;
}
