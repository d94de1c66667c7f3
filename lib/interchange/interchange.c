/* Student export and import (<symclone/interchange.h>): the tensor and
 * metadata lists of a file, the JSON subset both formats use, a student's
 * tensors and metadata and their checks, and the public calls.  The
 * formats themselves are in safetensors.c and npz.c, networks in
 * network.c, teacher layers in teacher.c. */
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

const char *const sym_ix_kind_names[6] = {NULL,    "planar",           "lifting",
                                           "group", "dihedral_lifting", "dihedral_group"};
const char *const sym_ix_padding_names[3] = {"valid", "zero", "circular"};

symclone_status sym_ix_failf(sym_ix_fail *f, symclone_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->msg, sizeof f->msg, fmt, ap);
  va_end(ap);
  f->status = st;
  return st;
}

/* ---- the lists ---- */

void sym_ix_file_free(sym_ix_file *file) {
  sym_free(file->tensor);
  sym_free(file->meta);
  file->tensor = NULL;
  file->meta = NULL;
  file->ntensors = file->tcap = file->nmeta = file->mcap = 0;
}

/* Room for one more element in a list of `size`-byte elements. */
static int grow(void **list, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return 0;
  size_t ncap = *cap ? 2 * *cap : 16;
  void *p = sym_malloc_array(ncap, size);
  if (!p) return -1;
  if (n) memcpy(p, *list, n * size);
  sym_free(*list);
  *list = p;
  *cap = ncap;
  return 0;
}

symclone_status sym_ix_new_tensor(sym_ix_file *file, const char *name, int fits,
                                  sym_ix_tensor **out, sym_ix_fail *f) {
  if (fits)
    for (size_t i = 0; i < file->ntensors; i++)
      if (file->tensor[i].name_fits && strcmp(file->tensor[i].name, name) == 0)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' given twice", name);
  if (file->ntensors == SYM_IX_MAX_TENSORS)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "more than %d tensors", SYM_IX_MAX_TENSORS);
  if (grow((void **)&file->tensor, &file->tcap, file->ntensors, sizeof *file->tensor))
    return sym_ix_failf(f, SYMCLONE_ERR_NOMEM, "cannot allocate the list of tensors");
  sym_ix_tensor *t = &file->tensor[file->ntensors++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  t->name_fits = fits;
  *out = t;
  return SYMCLONE_OK;
}

symclone_status sym_ix_put_tensor(sym_ix_file *file, const char *name, int ndim,
                                  const uint64_t *dims, const float *floats, size_t count) {
  sym_ix_fail f;
  sym_ix_tensor *t;
  symclone_status st = sym_ix_new_tensor(file, name, 1, &t, &f);
  if (st) return st;
  snprintf(t->dtype, sizeof t->dtype, "F32");
  t->elsize = 4;
  t->ndim = ndim;
  memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
  t->floats = floats;
  t->count = count;
  return SYMCLONE_OK;
}

symclone_status sym_ix_put_meta(sym_ix_file *file, const char *key, int value_fits,
                                const char *value, int check, sym_ix_fail *f) {
  if (check && sym_ix_meta_find(file, key))
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' given twice", key);
  if (file->nmeta == SYM_IX_MAX_META)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "more than %d metadata entries",
                        SYM_IX_MAX_META);
  if (grow((void **)&file->meta, &file->mcap, file->nmeta, sizeof *file->meta))
    return sym_ix_failf(f, SYMCLONE_ERR_NOMEM, "cannot allocate the metadata");
  sym_ix_meta *m = &file->meta[file->nmeta++];
  snprintf(m->key, sizeof m->key, "%s", key);
  snprintf(m->value, sizeof m->value, "%s", value);
  m->value_fits = value_fits && strlen(value) < sizeof m->value;
  return SYMCLONE_OK;
}

const sym_ix_tensor *sym_ix_find(const sym_ix_file *file, const char *name) {
  for (size_t i = 0; i < file->ntensors; i++)
    if (file->tensor[i].name_fits && strcmp(file->tensor[i].name, name) == 0)
      return &file->tensor[i];
  return NULL;
}

const sym_ix_meta *sym_ix_meta_find(const sym_ix_file *file, const char *key) {
  for (size_t i = 0; i < file->nmeta; i++)
    if (strcmp(file->meta[i].key, key) == 0) return &file->meta[i];
  return NULL;
}

int sym_ix_dtype_size(const char *d) {
  static const struct {
    const char *name;
    int size;
  } sizes[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},    {"I32", 4},
               {"I16", 2}, {"I8", 1},  {"U64", 8}, {"U32", 4},  {"U16", 2},    {"U8", 1},
               {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (strcmp(d, sizes[i].name) == 0) return sizes[i].size;
  return 0;
}

uint64_t sym_ix_elements(const sym_ix_tensor *t) {
  uint64_t count = 1;
  for (int i = 0; i < t->ndim; i++) count *= t->dims[i];
  return count;
}

int sym_ix_float_kind(const sym_ix_tensor *t) {
  if (strcmp(t->dtype, "F32") == 0 || strcmp(t->dtype, "<f4") == 0) return 1;
  if (strcmp(t->dtype, "F64") == 0 || strcmp(t->dtype, "<f8") == 0) return 2;
  return 0;
}

double sym_ix_value(const sym_ix_tensor *t, uint64_t e) {
  if (sym_ix_float_kind(t) == 2) {
    uint64_t u = sym_get_u64(t->data + 8 * e);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
  }
  return sym_get_f32(t->data + 4 * e);
}

void sym_ix_shape_text(int ndim, const uint64_t *dims, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < ndim && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, i ? ", %llu" : "%llu", (unsigned long long)dims[i]);
  if (n < len) snprintf(buf + n, len - n, "]");
}

void sym_ix_metadata(const symclone_student *s, char v[SYM_IX_META][SYM_IX_VALUE_LEN]) {
  int n = s->kind == SYMCLONE_STUDENT_PLANAR ? 1 : s->n;
  snprintf(v[SYM_IX_FORMAT], SYM_IX_VALUE_LEN, "symclone-student");
  snprintf(v[SYM_IX_FORMAT_VERSION], SYM_IX_VALUE_LEN, "1");
  snprintf(v[SYM_IX_KIND], SYM_IX_VALUE_LEN, "%s", sym_ix_kind_names[s->kind]);
  if (s->kind == SYMCLONE_STUDENT_PLANAR)
    snprintf(v[SYM_IX_GROUP], SYM_IX_VALUE_LEN, "T2");
  else
    snprintf(v[SYM_IX_GROUP], SYM_IX_VALUE_LEN, "%c%d",
             sym_student_is_dihedral(s->kind) ? 'D' : 'C', n);
  snprintf(v[SYM_IX_ORIENTATIONS], SYM_IX_VALUE_LEN, "%d", n);
  snprintf(v[SYM_IX_KERNEL], SYM_IX_VALUE_LEN, "%d", s->k);
  snprintf(v[SYM_IX_HEIGHT], SYM_IX_VALUE_LEN, "%d", s->h);
  snprintf(v[SYM_IX_WIDTH], SYM_IX_VALUE_LEN, "%d", s->w);
  snprintf(v[SYM_IX_PADDING], SYM_IX_VALUE_LEN, "%s", sym_ix_padding_names[s->pad]);
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
    char key[SYM_IX_KEY_LEN], value[SYM_IX_VALUE_LEN];
    int key_fits, value_fits;
    if ((st = sym_json_string(j, key, sizeof key, &key_fits, f))) return st;
    if ((st = sym_json_expect(j, ':', f))) return st;
    if ((st = sym_json_string(j, value, sizeof value, &value_fits, f))) return st;
    if (!key_fits) continue; /* no key read back is that long */
    if ((st = sym_ix_put_meta(file, key, value_fits, value, 1, f))) return st;
  } while (sym_json_accept(j, ','));
  return sym_json_expect(j, '}', f);
}

/* ---- students ---- */

symclone_status sym_ix_student_put(sym_ix_file *file, const symclone_student *s,
                                   const float *params, const char *tprefix, const char *mprefix) {
  int with_format = mprefix[0] == '\0';
  char meta[SYM_IX_META][SYM_IX_VALUE_LEN], name[SYM_IX_NAME_LEN + SYM_IX_KEY_LEN];
  sym_ix_metadata(s, meta);
  sym_ix_fail f;
  symclone_status st;
  for (int i = 0; i < SYM_IX_META; i++) {
    int top = i == SYM_IX_FORMAT || i == SYM_IX_FORMAT_VERSION || i == SYM_IX_LIBRARY_VERSION;
    if (top && !with_format) continue;
    snprintf(name, sizeof name, "%s%s", mprefix, sym_ix_meta_names[i]);
    if ((st = sym_ix_put_meta(file, name, 1, meta[i], 0, &f))) return f.status;
  }
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    int ndim;
    uint64_t dims[SYM_IX_MAX_DIMS];
    size_t off, count;
    sym_ix_shape(s, i, &ndim, dims);
    if (!ndim) continue;
    sym_ix_span(s, i, &off, &count);
    snprintf(name, sizeof name, "%s%s", tprefix, sym_ix_tensor_names[i]);
    if ((st = sym_ix_put_tensor(file, name, ndim, dims, params + off, count))) return st;
  }
  return SYMCLONE_OK;
}

/* A decimal in [lo, MAX_GEOMETRY], no sign, no leading zero. */
static symclone_status meta_uint(const char *key, const char *s, uint32_t lo, uint32_t *v,
                                 sym_ix_fail *f) {
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
                        key, s, lo, MAX_GEOMETRY);
  *v = (uint32_t)x;
  return SYMCLONE_OK;
}

static int name_index(const char *const *names, int count, const char *s) {
  for (int i = 0; i < count; i++)
    if (names[i] && strcmp(names[i], s) == 0) return i;
  return -1;
}

/* A tensor's floats, checked finite; to is NULL to check only. */
static symclone_status finite_floats(const sym_ix_tensor *t, float *to, sym_ix_fail *f) {
  for (uint64_t e = 0; e < t->nbytes / 4; e++) {
    float v = sym_get_f32(t->data + 4 * e);
    if (!isfinite(v))
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' element %llu is %s", t->name,
                          (unsigned long long)e, isnan(v) ? "NaN" : "infinite");
    if (to) to[e] = v;
  }
  return SYMCLONE_OK;
}

/* The student's metadata value of key i (prefixed), or NULL if absent;
 * a value too long is refused. */
static symclone_status student_meta(const sym_ix_file *file, const char *prefix, int i,
                                    const char **value, sym_ix_fail *f) {
  char key[SYM_IX_KEY_LEN + 32];
  snprintf(key, sizeof key, "%s%s", prefix, sym_ix_meta_names[i]);
  const sym_ix_meta *m = sym_ix_meta_find(file, key);
  *value = NULL;
  if (!m) return SYMCLONE_OK;
  if (!m->value_fits)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s' is longer than %d bytes", key,
                        SYM_IX_VALUE_LEN - 1);
  *value = m->value;
  return SYMCLONE_OK;
}

symclone_status sym_ix_student_build(const sym_ix_file *file, const char *tprefix,
                                     const char *prefix, symclone_student **out, sym_ix_fail *f) {
  int top = prefix[0] == '\0';
  const char *meta[SYM_IX_META];
  symclone_status st;
  for (int i = 0; i < SYM_IX_META; i++)
    if ((st = student_meta(file, prefix, i, &meta[i], f))) return st;
  if (top) {
    if (!file->has_meta || !meta[SYM_IX_FORMAT])
      return sym_ix_failf(f, SYMCLONE_ERR_FORMAT,
                          "no metadata 'format': not a student export of libsymclone");
    if (strcmp(meta[SYM_IX_FORMAT], "symclone-student") != 0)
      return sym_ix_failf(f, SYMCLONE_ERR_FORMAT, "metadata format='%s', not 'symclone-student'",
                          meta[SYM_IX_FORMAT]);
  }
  for (int i = 0; i < SYM_IX_META; i++) {
    if (i == SYM_IX_LIBRARY_VERSION || (!top && i == SYM_IX_FORMAT_VERSION) ||
        (!top && i == SYM_IX_FORMAT))
      continue;
    if (!meta[i])
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata '%s%s' is missing", prefix,
                          sym_ix_meta_names[i]);
  }
  if (top && strcmp(meta[SYM_IX_FORMAT_VERSION], "1") != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                        "metadata format_version='%s', this library reads version 1",
                        meta[SYM_IX_FORMAT_VERSION]);
  /* geometry in the order of the student file header */
  uint32_t g[7];
  int kind = name_index(sym_ix_kind_names, 6, meta[SYM_IX_KIND]);
  if (kind < 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata %skind='%s' is not planar, lifting, group, dihedral_lifting or "
                        "dihedral_group",
                        prefix, meta[SYM_IX_KIND]);
  int pad = name_index(sym_ix_padding_names, 3, meta[SYM_IX_PADDING]);
  if (pad < 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata %spadding='%s' is not valid, zero or circular", prefix,
                        meta[SYM_IX_PADDING]);
  g[0] = (uint32_t)kind;
  g[5] = (uint32_t)pad;
  static const int geo_keys[5] = {SYM_IX_ORIENTATIONS, SYM_IX_KERNEL, SYM_IX_HEIGHT, SYM_IX_WIDTH,
                                  SYM_IX_BLOCKS_META};
  static const int geo_slots[5] = {1, 2, 3, 4, 6};
  for (int i = 0; i < 5; i++) {
    char key[SYM_IX_KEY_LEN + 32];
    snprintf(key, sizeof key, "%s%s", prefix, sym_ix_meta_names[geo_keys[i]]);
    if ((st = meta_uint(key, meta[geo_keys[i]], 1, &g[geo_slots[i]], f))) return st;
  }
  if (kind == SYMCLONE_STUDENT_PLANAR && g[1] != 1)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata %sorientations=%u for a planar student", prefix, g[1]);
  if (g[1] > 360)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "metadata orientations=%u is not in [1, 360]",
                        g[1]);
  char group[16];
  if (kind == SYMCLONE_STUDENT_PLANAR)
    snprintf(group, sizeof group, "T2");
  else
    snprintf(group, sizeof group, "%c%u",
             sym_student_is_dihedral((symclone_student_kind)kind) ? 'D' : 'C', g[1]);
  if (strcmp(group, meta[SYM_IX_GROUP]) != 0)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                        "metadata group='%s', a %s student of %u orientations has %s",
                        meta[SYM_IX_GROUP], sym_ix_kind_names[kind], g[1], group);
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
  const sym_ix_tensor *tensors[SYM_IX_TENSORS];
  uint64_t total = 0;
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    char tname[SYM_IX_NAME_LEN + 32];
    snprintf(tname, sizeof tname, "%s%s", tprefix, sym_ix_tensor_names[i]);
    const sym_ix_tensor *t = tensors[i] = sym_ix_find(file, tname);
    char got[96], exp[96];
    sym_ix_shape_text(want_ndim[i], want[i], exp, sizeof exp);
    if (!want_ndim[i]) {
      if (t)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' in a planar student", tname);
      continue;
    }
    if (!t) return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' is missing", tname);
    if (sym_ix_float_kind(t) != 1)
      return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                          "tensor '%s' has dtype '%s'; only F32 is read", tname, t->dtype);
    sym_ix_shape_text(t->ndim, t->dims, got, sizeof got);
    int same = t->ndim == want_ndim[i];
    for (int d = 0; same && d < t->ndim; d++) same = t->dims[d] == want[i][d];
    if (!same)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "tensor '%s' has shape %s, the geometry gives %s", tname, got, exp);
    /* dims match the geometry, whose count did not overflow */
    total += t->nbytes / 4;
    if (t->nbytes % 4 || t->nbytes / 4 != (want_ndim[i] == 2 ? want[i][0] * want[i][1]
                                                            : want[i][0] * want[i][1] * want[i][2]))
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s': %llu bytes for shape %s", tname,
                          (unsigned long long)t->nbytes, got);
  }
  if (total != nparams)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%llu floats, the geometry has %zu",
                        (unsigned long long)total, nparams);
  for (int i = 0; i < SYM_IX_TENSORS; i++)
    if (tensors[i] && (st = finite_floats(tensors[i], NULL, f))) return st;
  symclone_student *s = NULL;
  st = symclone_student_create(&s, (symclone_student_kind)kind, (int)g[1], (int)g[2], (int)g[3],
                               (int)g[4], (symclone_padding)pad, (int)g[6], 0);
  if (st)
    return sym_ix_failf(f, st == SYMCLONE_ERR_NOMEM ? st : SYMCLONE_ERR_CORRUPT,
                        "invalid geometry (%s)", symclone_strerror(st));
  if (s->nparams != nparams) {
    size_t have = s->nparams;
    symclone_student_free(s);
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%zu floats for a geometry of %zu", nparams,
                        have);
  }
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    size_t off, count;
    sym_ix_span(s, i, &off, &count);
    if (tensors[i]) finite_floats(tensors[i], s->params + off, f);
  }
  *out = s;
  return SYMCLONE_OK;
}

/* ---- files ---- */

symclone_status sym_ix_write(const sym_ix_file *file, const char *path, symclone_format format,
                             const sym_err *err) {
  unsigned char *buf = NULL;
  size_t len = 0;
  symclone_status st;
  if (format == SYMCLONE_FORMAT_SAFETENSORS)
    st = sym_ix_write_safetensors(file, &buf, &len);
  else if (format == SYMCLONE_FORMAT_NPZ)
    st = sym_ix_write_npz(file, &buf, &len);
  else
    return sym_fail(err, SYMCLONE_ERR_ARG,
                    "format %d is not SYMCLONE_FORMAT_SAFETENSORS or SYMCLONE_FORMAT_NPZ",
                    (int)format);
  if (st == SYMCLONE_ERR_NOMEM) return sym_fail(err, st, "cannot allocate the file's content");
  if (st) return sym_fail(err, st, "too large to export");
  int e = sym_write_file_atomic(path, buf, len);
  sym_free(buf);
  if (e) {
    char eb[160];
    return sym_fail(err, sym_file_status(e), "cannot write '%s': %s", path,
                    sym_file_strerror(e, eb, sizeof eb));
  }
  return SYMCLONE_OK;
}

symclone_status sym_ix_load(const char *path, symclone_loader *loader, unsigned char **out,
                            size_t *out_len, sym_ix_file *file, const char **what,
                            sym_ix_fail *f) {
  const sym_err *err = sym_loader_err(loader);
  unsigned char *buf;
  size_t len;
  memset(file, 0, sizeof *file);
  *what = "file";
  symclone_status st = sym_loader_read_whole(loader, path, MAX_FILE, "importing", &buf, &len);
  if (st) return sym_ix_failf(f, st, "%s", "cannot read");
  if (len >= 4 && memcmp(buf, "PK", 2) == 0) {
    *what = "npz";
    st = sym_ix_read_npz(buf, len, file, f);
  } else if (len >= 9 && buf[8] == '{') {
    *what = "safetensors";
    st = sym_ix_read_safetensors(buf, len, file, f);
  } else {
    sym_free(buf);
    return sym_fail(err, SYMCLONE_ERR_FORMAT, "'%s' is neither a safetensors nor an npz file",
                    path);
  }
  if (st) {
    sym_free(buf);
    sym_ix_file_free(file);
    return sym_fail(err, st, "'%s' (%s): %s", path, *what, f->msg);
  }
  *out = buf;
  *out_len = len;
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
  if (format != SYMCLONE_FORMAT_SAFETENSORS && format != SYMCLONE_FORMAT_NPZ)
    return sym_ix_write(NULL, path, format, &s->err);
  sym_ix_file file;
  memset(&file, 0, sizeof file);
  symclone_status st = sym_ix_student_put(&file, s, s->params, "", "");
  if (st) {
    sym_ix_file_free(&file);
    return sym_fail(&s->err, st, "cannot allocate the file's content");
  }
  st = sym_ix_write(&file, path, format, &s->err);
  sym_ix_file_free(&file);
  return st;
}

symclone_status symclone_student_import(symclone_student **out, const char *path,
                                        symclone_loader *loader) {
  const sym_err *err = sym_loader_err(loader);
  if (!out) return sym_fail(err, SYMCLONE_ERR_NULL, "out is NULL");
  if (!path) return sym_fail(err, SYMCLONE_ERR_NULL, "path is NULL");
  unsigned char *buf;
  sym_ix_file file;
  sym_ix_fail f = {SYMCLONE_OK, ""};
  const char *what;
  size_t len;
  symclone_status st = sym_ix_load(path, loader, &buf, &len, &file, &what, &f);
  if (st) return st;
  for (size_t i = 0; i < file.ntensors && !st; i++) {
    const sym_ix_tensor *t = &file.tensor[i];
    int known = 0;
    for (int k = 0; k < SYM_IX_TENSORS; k++)
      known |= t->name_fits && strcmp(t->name, sym_ix_tensor_names[k]) == 0;
    if (!known)
      st = sym_ix_failf(&f, SYMCLONE_ERR_CORRUPT, "unknown tensor '%s%s'", t->name,
                        t->name_fits ? "" : "...");
    else if (sym_ix_float_kind(t) != 1)
      st = sym_ix_failf(&f, SYMCLONE_ERR_UNSUPPORTED,
                        "tensor '%s' has dtype '%s'; only F32 is read", t->name, t->dtype);
  }
  symclone_student *s = NULL;
  if (!st) st = sym_ix_student_build(&file, "", "", &s, &f);
  sym_free(buf);
  sym_ix_file_free(&file);
  if (st) return sym_fail(err, st, "'%s' (%s): %s", path, what, f.msg);
  *out = s;
  return SYMCLONE_OK;
}
