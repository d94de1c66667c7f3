/* Student export and import (<symclone/interchange.h>): the tensor and
 * metadata names, the JSON subset both formats use, the checks of a parsed
 * file and the public calls.  The formats themselves are in
 * safetensors.c and npz.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "../common/loader_priv.h"
#include "interchange_priv.h"
#include <symclone/version.h>

#define MAX_FILE ((size_t)1 << 34)
#define MAX_GEOMETRY (1u << 20)

const char *const sym_ix_tensor_names[SYM_IX_TENSORS] = {"blocks", "coeffs", "transforms"};

const char *const sym_ix_meta_names[SYM_IX_META] = {
    "format", "format_version", "kind",    "group",  "orientations",   "kernel",
    "height", "width",          "padding", "blocks", "library_version"};

static const char *const kind_names[6] = {NULL,    "planar",           "lifting",
                                           "group", "dihedral_lifting", "dihedral_group"};
static const char *const padding_names[3] = {"valid", "zero", "circular"};

symclone_status sym_ix_failf(sym_ix_fail *f, symclone_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->msg, sizeof f->msg, fmt, ap);
  va_end(ap);
  f->status = st;
  return st;
}

int sym_ix_tensor_index(const char *name) {
  for (int i = 0; i < SYM_IX_TENSORS; i++)
    if (strcmp(name, sym_ix_tensor_names[i]) == 0) return i;
  return -1;
}

void sym_ix_metadata(const symclone_student *s, char v[SYM_IX_META][SYM_IX_VALUE_LEN]) {
  int n = s->kind == SYMCLONE_STUDENT_PLANAR ? 1 : s->n;
  snprintf(v[SYM_IX_FORMAT], SYM_IX_VALUE_LEN, "symclone-student");
  snprintf(v[SYM_IX_FORMAT_VERSION], SYM_IX_VALUE_LEN, "1");
  snprintf(v[SYM_IX_KIND], SYM_IX_VALUE_LEN, "%s", kind_names[s->kind]);
  if (s->kind == SYMCLONE_STUDENT_PLANAR)
    snprintf(v[SYM_IX_GROUP], SYM_IX_VALUE_LEN, "T2");
  else
    snprintf(v[SYM_IX_GROUP], SYM_IX_VALUE_LEN, "%c%d",
             sym_student_is_dihedral(s->kind) ? 'D' : 'C', n);
  snprintf(v[SYM_IX_ORIENTATIONS], SYM_IX_VALUE_LEN, "%d", n);
  snprintf(v[SYM_IX_KERNEL], SYM_IX_VALUE_LEN, "%d", s->k);
  snprintf(v[SYM_IX_HEIGHT], SYM_IX_VALUE_LEN, "%d", s->h);
  snprintf(v[SYM_IX_WIDTH], SYM_IX_VALUE_LEN, "%d", s->w);
  snprintf(v[SYM_IX_PADDING], SYM_IX_VALUE_LEN, "%s", padding_names[s->pad]);
  snprintf(v[SYM_IX_BLOCKS_META], SYM_IX_VALUE_LEN, "%d", s->nblocks);
  snprintf(v[SYM_IX_LIBRARY_VERSION], SYM_IX_VALUE_LEN, "%s", SYMCLONE_VERSION_STRING);
}

void sym_ix_shape(const symclone_student *s, int i, int *ndim, uint64_t dims[SYM_IX_MAX_DIMS]) {
  switch (i) {
  case SYM_IX_BLOCKS:
    *ndim = 3;
    dims[0] = (uint64_t)s->nblocks, dims[1] = s->out_hw, dims[2] = s->in_hw;
    break;
  case SYM_IX_COEFFS:
    *ndim = 2;
    dims[0] = (uint64_t)s->nblocks, dims[1] = (uint64_t)s->pc;
    break;
  default:
    *ndim = s->tcount > s->tfirst ? 3 : 0;
    dims[0] = (uint64_t)(s->tcount - s->tfirst), dims[1] = (uint64_t)s->pc,
    dims[2] = (uint64_t)s->p;
    break;
  }
}

void sym_ix_span(const symclone_student *s, int i, size_t *offset, size_t *count) {
  if (i == SYM_IX_BLOCKS)
    *offset = 0, *count = s->off_coeffs;
  else if (i == SYM_IX_COEFFS)
    *offset = s->off_coeffs, *count = s->off_trans - s->off_coeffs;
  else
    *offset = s->off_trans, *count = s->nparams - s->off_trans;
}

/* ---- JSON ---- */

void sym_json_ws(sym_json *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static symclone_status json_fail(sym_json *j, sym_ix_fail *f, const char *what) {
  if (j->p >= j->end)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "JSON ends early, %s", what);
  return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "JSON at byte %zu: %s", (size_t)(j->p - j->start),
                      what);
}

symclone_status sym_json_expect(sym_json *j, char c, sym_ix_fail *f) {
  sym_json_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return SYMCLONE_OK;
  }
  char what[32];
  snprintf(what, sizeof what, "expected '%c'", c);
  return json_fail(j, f, what);
}

int sym_json_accept(sym_json *j, char c) {
  sym_json_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return 1;
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

symclone_status sym_json_string(sym_json *j, char *out, size_t cap, int *fits, sym_ix_fail *f) {
  symclone_status st = sym_json_expect(j, '"', f);
  if (st) return st;
  size_t n = 0;
  *fits = 1;
  for (;;) {
    if (j->p >= j->end) return json_fail(j, f, "unterminated string");
    unsigned char c = (unsigned char)*j->p;
    if (c == '"') {
      j->p++;
      break;
    }
    if (c < 0x20) return json_fail(j, f, "control character in a string");
    unsigned char enc[4];
    size_t elen = 1;
    enc[0] = c;
    j->p++;
    if (c == '\\') {
      if (j->p >= j->end) return json_fail(j, f, "unterminated string");
      char e = *j->p++;
      switch (e) {
      case '"': case '\\': case '/': enc[0] = (unsigned char)e; break;
      case 'b': enc[0] = '\b'; break;
      case 'f': enc[0] = '\f'; break;
      case 'n': enc[0] = '\n'; break;
      case 'r': enc[0] = '\r'; break;
      case 't': enc[0] = '\t'; break;
      case 'u': {
        unsigned u = 0;
        for (int i = 0; i < 4; i++) {
          int h = j->p < j->end ? hexval(*j->p) : -1;
          if (h < 0) return json_fail(j, f, "bad \\u escape");
          u = u * 16 + (unsigned)h;
          j->p++;
        }
        if (u == 0) return json_fail(j, f, "\\u0000 in a string");
        if (u < 0x80) {
          enc[0] = (unsigned char)u;
        } else if (u < 0x800) {
          enc[0] = (unsigned char)(0xc0 | (u >> 6)), enc[1] = (unsigned char)(0x80 | (u & 0x3f));
          elen = 2;
        } else {
          enc[0] = (unsigned char)(0xe0 | (u >> 12));
          enc[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
          enc[2] = (unsigned char)(0x80 | (u & 0x3f));
          elen = 3;
        }
        break;
      }
      default: j->p--; return json_fail(j, f, "bad escape in a string");
      }
    }
    if (n + elen < cap) {
      memcpy(out + n, enc, elen);
      n += elen;
    } else {
      *fits = 0;
    }
  }
  if (cap) out[n] = '\0';
  return SYMCLONE_OK;
}

symclone_status sym_json_uint(sym_json *j, uint64_t *v, sym_ix_fail *f) {
  sym_json_ws(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9')
    return json_fail(j, f, "expected a non-negative integer");
  uint64_t x = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    if (x > ((UINT64_C(1) << 63) - 10) / 10) return json_fail(j, f, "integer out of range");
    x = x * 10 + (uint64_t)(*j->p - '0');
    j->p++;
  }
  if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
    return json_fail(j, f, "expected an integer, not a fraction");
  *v = x;
  return SYMCLONE_OK;
}

symclone_status sym_json_metadata(sym_json *j, sym_ix_file *file, sym_ix_fail *f) {
  symclone_status st = sym_json_expect(j, '{', f);
  if (st) return st;
  file->has_meta = 1;
  if (sym_json_accept(j, '}')) return SYMCLONE_OK;
  do {
    char key[SYM_IX_VALUE_LEN], value[SYM_IX_VALUE_LEN];
    int key_fits, value_fits;
    if ((st = sym_json_string(j, key, sizeof key, &key_fits, f))) return st;
    if ((st = sym_json_expect(j, ':', f))) return st;
    if ((st = sym_json_string(j, value, sizeof value, &value_fits, f))) return st;
    if (!key_fits) continue;
    for (int i = 0; i < SYM_IX_META; i++) {
      if (strcmp(key, sym_ix_meta_names[i]) != 0) continue;
      if (file->meta_present[i])
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' given twice", key);
      if (!value_fits)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' is longer than %d bytes",
                            key, SYM_IX_VALUE_LEN - 1);
      file->meta_present[i] = 1;
      memcpy(file->meta[i], value, sizeof value);
    }
  } while (sym_json_accept(j, ','));
  return sym_json_expect(j, '}', f);
}

/* ---- checks of a parsed file ---- */

/* A decimal in [lo, MAX_GEOMETRY], no sign, no leading zero. */
static symclone_status meta_uint(const sym_ix_file *file, int key, uint32_t lo, uint32_t *v,
                                 sym_ix_fail *f) {
  const char *s = file->meta[key];
  uint64_t x = 0;
  int ok = s[0] != '\0' && !(s[0] == '0' && s[1] != '\0');
  for (const char *c = s; ok && *c; c++) {
    if (*c < '0' || *c > '9' || x > MAX_GEOMETRY)
      ok = 0;
    else
      x = x * 10 + (uint64_t)(*c - '0');
  }
  if (!ok || x < lo || x > MAX_GEOMETRY)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata %s='%s' is not an integer in [%u, %u]",
                        sym_ix_meta_names[key], s, lo, MAX_GEOMETRY);
  *v = (uint32_t)x;
  return SYMCLONE_OK;
}

static int name_index(const char *const *names, int count, const char *s) {
  for (int i = 0; i < count; i++)
    if (names[i] && strcmp(names[i], s) == 0) return i;
  return -1;
}

static void shape_text(int ndim, const uint64_t *dims, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < ndim && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, i ? ", %llu" : "%llu", (unsigned long long)dims[i]);
  if (n < len) snprintf(buf + n, len - n, "]");
}

symclone_status sym_ix_build(const sym_ix_file *file, symclone_student **out, sym_ix_fail *f) {
  if (!file->has_meta || !file->meta_present[SYM_IX_FORMAT])
    return sym_ix_failf(f, SYMCLONE_ERR_FORMAT,
                        "no metadata 'format': not a student export of libsymclone");
  if (strcmp(file->meta[SYM_IX_FORMAT], "symclone-student") != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_FORMAT, "metadata format='%s', not 'symclone-student'",
                        file->meta[SYM_IX_FORMAT]);
  for (int i = 0; i < SYM_IX_META; i++)
    if (i != SYM_IX_LIBRARY_VERSION && !file->meta_present[i])
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' is missing",
                          sym_ix_meta_names[i]);
  if (strcmp(file->meta[SYM_IX_FORMAT_VERSION], "1") != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                        "metadata format_version='%s', this library reads version 1",
                        file->meta[SYM_IX_FORMAT_VERSION]);
  /* geometry in the order of the student file header */
  uint32_t g[7];
  int kind = name_index(kind_names, 6, file->meta[SYM_IX_KIND]);
  if (kind < 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata kind='%s' is not planar, lifting, group, dihedral_lifting or "
                        "dihedral_group",
                        file->meta[SYM_IX_KIND]);
  int pad = name_index(padding_names, 3, file->meta[SYM_IX_PADDING]);
  if (pad < 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata padding='%s' is not valid, zero or circular",
                        file->meta[SYM_IX_PADDING]);
  g[0] = (uint32_t)kind;
  g[5] = (uint32_t)pad;
  symclone_status st;
  if ((st = meta_uint(file, SYM_IX_ORIENTATIONS, 1, &g[1], f)) ||
      (st = meta_uint(file, SYM_IX_KERNEL, 1, &g[2], f)) ||
      (st = meta_uint(file, SYM_IX_HEIGHT, 1, &g[3], f)) ||
      (st = meta_uint(file, SYM_IX_WIDTH, 1, &g[4], f)) ||
      (st = meta_uint(file, SYM_IX_BLOCKS_META, 1, &g[6], f)))
    return st;
  if (kind == SYMCLONE_STUDENT_PLANAR && g[1] != 1)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata orientations=%u for a planar student",
                        g[1]);
  if (g[1] > 360)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata orientations=%u is not in [1, 360]",
                        g[1]);
  char group[16];
  if (kind == SYMCLONE_STUDENT_PLANAR)
    snprintf(group, sizeof group, "T2");
  else
    snprintf(group, sizeof group, "%c%u",
             sym_student_is_dihedral((symclone_student_kind)kind) ? 'D' : 'C', g[1]);
  if (strcmp(group, file->meta[SYM_IX_GROUP]) != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata group='%s', a %s student of %u orientations has %s",
                        file->meta[SYM_IX_GROUP], kind_names[kind], g[1], group);
  if (g[2] % 2 == 0 || g[2] > g[3] || g[2] > g[4])
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata kernel=%u is not odd and at most height=%u and width=%u", g[2],
                        g[3], g[4]);
  size_t nparams;
  if (sym_student_layout_count(g, &nparams))
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "the geometry's parameter count overflows");

  /* the shapes the geometry gives, without a student yet */
  uint64_t ho = g[3], wo = g[4];
  if (pad == SYMCLONE_PADDING_VALID) ho = g[3] - g[2] + 1, wo = g[4] - g[2] + 1;
  uint64_t order = sym_student_is_dihedral((symclone_student_kind)kind) ? 2 * (uint64_t)g[1] : g[1];
  uint64_t in_n = sym_student_has_group_input((symclone_student_kind)kind) ? order : 1;
  uint64_t out_n = kind == SYMCLONE_STUDENT_PLANAR ? 1 : order;
  uint64_t pc = (uint64_t)g[2] * g[2];
  uint64_t want[SYM_IX_TENSORS][3] = {{g[6], ho * wo, (uint64_t)g[3] * g[4]},
                                      {g[6], pc, 0},
                                      {in_n * out_n, pc, pc * in_n}};
  int want_ndim[SYM_IX_TENSORS] = {3, 2, kind == SYMCLONE_STUDENT_PLANAR ? 0 : 3};
  uint64_t total = 0;
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    const sym_ix_tensor *t = &file->tensor[i];
    char got[96], exp[96];
    shape_text(want_ndim[i], want[i], exp, sizeof exp);
    if (!want_ndim[i]) {
      if (t->present)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' in a planar student",
                            sym_ix_tensor_names[i]);
      continue;
    }
    if (!t->present)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' is missing",
                          sym_ix_tensor_names[i]);
    shape_text(t->ndim, t->dims, got, sizeof got);
    int same = t->ndim == want_ndim[i];
    for (int d = 0; same && d < t->ndim; d++) same = t->dims[d] == want[i][d];
    if (!same)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' has shape %s, the geometry gives %s",
                          sym_ix_tensor_names[i], got, exp);
    /* dims match the geometry, whose count did not overflow */
    total += t->nbytes / 4;
    if (t->nbytes % 4 || t->nbytes / 4 != (want_ndim[i] == 2 ? want[i][0] * want[i][1]
                                                            : want[i][0] * want[i][1] * want[i][2]))
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s': %llu bytes for shape %s",
                          sym_ix_tensor_names[i], (unsigned long long)t->nbytes, got);
  }
  if (total != nparams)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%llu floats, the geometry has %zu",
                        (unsigned long long)total, nparams);
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    const sym_ix_tensor *t = &file->tensor[i];
    if (!t->present) continue;
    for (uint64_t e = 0; e < t->nbytes / 4; e++) {
      float v = sym_get_f32(t->data + 4 * e);
      if (!isfinite(v))
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' element %llu is %s",
                            sym_ix_tensor_names[i], (unsigned long long)e,
                            isnan(v) ? "NaN" : "infinite");
    }
  }
  symclone_student *s = NULL;
  st = symclone_student_create(&s, (symclone_student_kind)kind, (int)g[1], (int)g[2], (int)g[3],
                               (int)g[4], (symclone_padding)pad, (int)g[6], 0);
  if (st)
    return sym_ix_failf(f, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                        "invalid geometry (%s)", symclone_strerror(st));
  if (s->nparams != nparams) {
    symclone_student_free(s);
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%zu floats for a geometry of %zu", nparams,
                        s->nparams);
  }
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    size_t off, count;
    sym_ix_span(s, i, &off, &count);
    const sym_ix_tensor *t = &file->tensor[i];
    for (size_t e = 0; e < count; e++) s->params[off + e] = sym_get_f32(t->data + 4 * e);
  }
  *out = s;
  return SYMCLONE_OK;
}

/* ---- public calls ---- */

symclone_status symclone_student_export(const symclone_student *s, const char *path,
                                        symclone_format format) {
  if (!s) return SYMCLONE_ERR_NULL;
  if (!path) return sym_fail(&s->err, SYMCLONE_ERR_NULL, "path is NULL");
  for (size_t i = 0; i < s->nparams; i++)
    if (!isfinite(s->params[i]))
      return sym_fail(&s->err, SYMCLONE_ERR_DATA, "cannot export to '%s': parameter %zu is %s",
                      path, i, isnan(s->params[i]) ? "NaN" : "infinite");
  unsigned char *buf = NULL;
  size_t len = 0;
  symclone_status st;
  if (format == SYMCLONE_FORMAT_SAFETENSORS)
    st = sym_ix_write_safetensors(s, &buf, &len);
  else if (format == SYMCLONE_FORMAT_NPZ)
    st = sym_ix_write_npz(s, &buf, &len);
  else
    return sym_fail(&s->err, SYMCLONE_ERR_ARG,
                    "format %d is not SYMCLONE_FORMAT_SAFETENSORS or SYMCLONE_FORMAT_NPZ",
                    (int)format);
  if (st == SYMCLONE_ERR_NOMEM)
    return sym_fail(&s->err, st, "cannot allocate the file's content");
  if (st) return sym_fail(&s->err, st, "student too large to export");
  int e = sym_write_file_atomic(path, buf, len);
  sym_free(buf);
  if (e) {
    char eb[160];
    return sym_fail(&s->err, sym_file_status(e), "cannot write '%s': %s", path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  return SYMCLONE_OK;
}

symclone_status symclone_student_import(symclone_student **out, const char *path,
                                        symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!out) return sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return sym_fail(err, SYMCLONE_ERR_NULL, "path is NULL");
  unsigned char *buf;
  size_t len;
  symclone_status rst = sym_loader_read_whole(loader, path, MAX_FILE, "importing", &buf, &len);
  if (rst) return rst;
  sym_ix_file file;
  memset(&file, 0, sizeof file);
  sym_ix_fail f = {SYMCLONE_OK, ""};
  const char *what;
  symclone_status st;
  if (len >= 4 && memcmp(buf, "PK", 2) == 0) {
    what = "npz";
    st = sym_ix_read_npz(buf, len, &file, &f);
  } else if (len >= 9 && buf[8] == '{') {
    what = "safetensors";
    st = sym_ix_read_safetensors(buf, len, &file, &f);
  } else {
    sym_free(buf);
    return sym_fail(err, SYMCLONE_ERR_FORMAT, "'%s' is neither a safetensors nor an npz file",
                    path);
  }
  symclone_student *s = NULL;
  if (!st) st = sym_ix_build(&file, &s, &f);
  sym_free(buf);
  if (st) return sym_fail(err, st, "'%s' (%s): %s", path, what, f.msg);
  *out = s;
  return SYMCLONE_OK;
}
