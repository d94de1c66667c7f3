/* safetensors (docs/file-format.md, "Interchange"):
 *
 *   offset  size
 *   0       8    N, the header length, unsigned little-endian
 *   8       N    the header: a JSON object, padded with spaces
 *   8+N     ...  the data: every tensor's bytes, packed
 *
 * The header maps each tensor name to {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]} (byte offsets into the data) and
 * "__metadata__" to an object of strings.  The tensors cover the data
 * exactly, without gaps or overlaps. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/fileio.h"
#include "interchange_priv.h"

#define MAX_HEADER ((uint64_t)1 << 20)

/* ---- writing ---- */

typedef struct text {
  char buf[2048];
  size_t n;
  int overflow;
} text;

static void put(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(text *t, const char *fmt, ...) {
  if (t->overflow) return;
  va_list ap;
  va_start(ap, fmt);
  int r = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
  va_end(ap);
  if (r < 0 || (size_t)r >= sizeof t->buf - t->n)
    t->overflow = 1;
  else
    t->n += (size_t)r;
}

symclone_status sym_ix_write_safetensors(const symclone_student *s, unsigned char **out,
                                         size_t *out_len) {
  char meta[SYM_IX_META][SYM_IX_VALUE_LEN];
  sym_ix_metadata(s, meta);
  text t = {.n = 0, .overflow = 0};
  put(&t, "{\"__metadata__\":{");
  for (int i = 0; i < SYM_IX_META; i++)
    put(&t, "%s\"%s\":\"%s\"", i ? "," : "", sym_ix_meta_names[i], meta[i]);
  put(&t, "}");
  size_t begin = 0;
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    int ndim;
    uint64_t dims[SYM_IX_MAX_DIMS];
    size_t off, count;
    sym_ix_shape(s, i, &ndim, dims);
    if (!ndim) continue;
    sym_ix_span(s, i, &off, &count);
    put(&t, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", sym_ix_tensor_names[i]);
    for (int d = 0; d < ndim; d++) put(&t, d ? ",%llu" : "%llu", (unsigned long long)dims[d]);
    put(&t, "],\"data_offsets\":[%zu,%zu]}", begin, begin + 4 * count);
    begin += 4 * count;
  }
  put(&t, "}");
  while (!t.overflow && t.n % 8) put(&t, " "); /* data aligned to 8 bytes */
  if (t.overflow) return SYMCLONE_ERR_OVERFLOW;
  size_t len;
  if (sym_mul_size(s->nparams, 4, &len) || sym_add_size(len, 8 + t.n, &len))
    return SYMCLONE_ERR_OVERFLOW;
  unsigned char *buf = sym_malloc(len);
  if (!buf) return SYMCLONE_ERR_NOMEM;
  sym_put_u64(buf, (uint64_t)t.n);
  memcpy(buf + 8, t.buf, t.n);
  unsigned char *d = buf + 8 + t.n;
  /* tensors in the order of the flat parameters, which is data order */
  for (size_t i = 0; i < s->nparams; i++) sym_put_f32(d + 4 * i, s->params[i]);
  *out = buf;
  *out_len = len;
  return SYMCLONE_OK;
}

/* ---- reading ---- */

static symclone_status read_tensor(sym_json *j, const char *name, sym_ix_tensor *t,
                                   uint64_t offsets[2], sym_ix_fail *f) {
  symclone_status st = sym_json_expect(j, '{', f);
  if (st) return st;
  int have_dtype = 0, have_shape = 0, have_offsets = 0;
  if (!sym_json_accept(j, '}')) {
    do {
      char key[32];
      int fits;
      if ((st = sym_json_string(j, key, sizeof key, &fits, f))) return st;
      if ((st = sym_json_expect(j, ':', f))) return st;
      if (fits && strcmp(key, "dtype") == 0 && !have_dtype) {
        char dtype[16];
        if ((st = sym_json_string(j, dtype, sizeof dtype, &fits, f))) return st;
        if (!fits || strcmp(dtype, "F32") != 0)
          return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                              "tensor '%s' has dtype '%s'; only F32 is read", name, dtype);
        have_dtype = 1;
      } else if (fits && strcmp(key, "shape") == 0 && !have_shape) {
        if ((st = sym_json_expect(j, '[', f))) return st;
        t->ndim = 0;
        if (!sym_json_accept(j, ']')) {
          do {
            if (t->ndim == SYM_IX_MAX_DIMS)
              return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' has more than %d dims",
                                  name, SYM_IX_MAX_DIMS);
            if ((st = sym_json_uint(j, &t->dims[t->ndim], f))) return st;
            t->ndim++;
          } while (sym_json_accept(j, ','));
          if ((st = sym_json_expect(j, ']', f))) return st;
        }
        have_shape = 1;
      } else if (fits && strcmp(key, "data_offsets") == 0 && !have_offsets) {
        if ((st = sym_json_expect(j, '[', f)) || (st = sym_json_uint(j, &offsets[0], f)) ||
            (st = sym_json_expect(j, ',', f)) || (st = sym_json_uint(j, &offsets[1], f)) ||
            (st = sym_json_expect(j, ']', f)))
          return st;
        have_offsets = 1;
      } else {
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s': unexpected or repeated key '%s'",
                            name, key);
      }
    } while (sym_json_accept(j, ','));
    if ((st = sym_json_expect(j, '}', f))) return st;
  }
  if (!have_dtype || !have_shape || !have_offsets)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' lacks %s", name,
                        !have_dtype ? "a dtype" : !have_shape ? "a shape" : "data_offsets");
  return SYMCLONE_OK;
}

symclone_status sym_ix_read_safetensors(const unsigned char *buf, size_t len, sym_ix_file *file,
                                        sym_ix_fail *f) {
  if (len < 8) return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED, "shorter than its header length");
  uint64_t n = sym_get_u64(buf);
  if (n > MAX_HEADER)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "header length %llu is over %llu bytes",
                        (unsigned long long)n, (unsigned long long)MAX_HEADER);
  if (n > len - 8)
    return sym_ix_failf(f, SYMCLONE_ERR_TRUNCATED, "header length %llu, only %zu bytes follow",
                        (unsigned long long)n, len - 8);
  const unsigned char *data = buf + 8 + n;
  uint64_t data_len = len - 8 - n;
  sym_json j = {(const char *)buf + 8, (const char *)buf + 8, (const char *)buf + 8 + n};
  uint64_t offsets[SYM_IX_TENSORS][2];
  symclone_status st = sym_json_expect(&j, '{', f);
  if (st) return st;
  if (!sym_json_accept(&j, '}')) {
    do {
      char name[SYM_IX_VALUE_LEN];
      int fits;
      if ((st = sym_json_string(&j, name, sizeof name, &fits, f))) return st;
      if ((st = sym_json_expect(&j, ':', f))) return st;
      if (fits && strcmp(name, "__metadata__") == 0) {
        if (file->has_meta)
          return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "'__metadata__' given twice");
        if ((st = sym_json_metadata(&j, file, f))) return st;
        continue;
      }
      int i = fits ? sym_ix_tensor_index(name) : -1;
      if (i < 0)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "unknown tensor '%s%s'", name,
                            fits ? "" : "...");
      sym_ix_tensor *t = &file->tensor[i];
      if (t->present) return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s' given twice", name);
      if ((st = read_tensor(&j, name, t, offsets[i], f))) return st;
      t->present = 1;
    } while (sym_json_accept(&j, ','));
    if ((st = sym_json_expect(&j, '}', f))) return st;
  }
  sym_json_ws(&j);
  if (j.p != j.end)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "header byte %zu: text after the JSON object",
                        (size_t)(j.p - j.start));
  /* byte ranges: within the data, of the shape's size, covering it exactly */
  uint64_t covered = 0;
  for (int i = 0; i < SYM_IX_TENSORS; i++) {
    sym_ix_tensor *t = &file->tensor[i];
    if (!t->present) continue;
    uint64_t b = offsets[i][0], e = offsets[i][1];
    if (b > e || e > data_len)
      return sym_ix_failf(f, e > data_len && b <= e ? SYMCLONE_ERR_TRUNCATED : SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': data_offsets [%llu, %llu] outside the %llu data bytes",
                          sym_ix_tensor_names[i], (unsigned long long)b, (unsigned long long)e,
                          (unsigned long long)data_len);
    uint64_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
      if (t->dims[d] && count > data_len / t->dims[d])
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s': shape larger than the file",
                            sym_ix_tensor_names[i]);
      count *= t->dims[d];
    }
    if (count > data_len / 4)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': its shape needs more than the %llu data bytes",
                          sym_ix_tensor_names[i], (unsigned long long)data_len);
    if (4 * count != e - b)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': data_offsets span %llu bytes, its shape needs %llu",
                          sym_ix_tensor_names[i], (unsigned long long)(e - b),
                          (unsigned long long)(4 * count));
    for (int o = 0; o < SYM_IX_TENSORS; o++)
      if (o != i && file->tensor[o].present && b < offsets[o][1] && offsets[o][0] < e)
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensors '%s' and '%s' overlap",
                            sym_ix_tensor_names[i], sym_ix_tensor_names[o]);
    t->data = data + b;
    t->nbytes = e - b;
    covered += e - b;
  }
  if (covered != data_len)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%llu data bytes, the tensors cover %llu",
                        (unsigned long long)data_len, (unsigned long long)covered);
  return SYMCLONE_OK;
}
