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
 * exactly, without gaps or overlaps.  Any tensor name and any of the
 * format's dtypes is read; what a file becomes decides which it needs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fileio.h"
#include "interchange_priv.h"

#define MAX_HEADER ((uint64_t)1 << 20)

/* ---- writing ---- */

/* A text built in two passes: measured with buf NULL, then written. */
typedef struct text {
  char *buf;
  size_t n, cap;
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
  int r = t->buf ? vsnprintf(t->buf + t->n, t->cap - t->n, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (r < 0 || (t->buf && (size_t)r >= t->cap - t->n) || (size_t)r > MAX_HEADER)
    t->overflow = 1;
  else
    t->n += (size_t)r;
}

static void header_text(const sym_ix_file *file, text *t) {
  put(t, "{\"__metadata__\":{");
  for (size_t i = 0; i < file->nmeta; i++)
    put(t, "%s\"%s\":\"%s\"", i ? "," : "", file->meta[i].key, file->meta[i].value);
  put(t, "}");
  size_t begin = 0;
  for (size_t i = 0; i < file->ntensors; i++) {
    const sym_ix_tensor *x = &file->tensor[i];
    put(t, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", x->name);
    for (int d = 0; d < x->ndim; d++) put(t, d ? ",%llu" : "%llu", (unsigned long long)x->dims[d]);
    put(t, "],\"data_offsets\":[%zu,%zu]}", begin, begin + 4 * x->count);
    begin += 4 * x->count;
  }
  put(t, "}");
  while (!t->overflow && t->n % 8) put(t, " "); /* data aligned to 8 bytes */
}

symclone_status sym_ix_write_safetensors(const sym_ix_file *file, unsigned char **out,
                                         size_t *out_len) {
  text t = {NULL, 0, 0, 0};
  header_text(file, &t);
  size_t floats = 0, len;
  for (size_t i = 0; i < file->ntensors; i++)
    if (sym_add_size(floats, file->tensor[i].count, &floats)) return SYMCLONE_ERR_OVERFLOW;
  if (t.overflow || sym_mul_size(floats, 4, &len) || sym_add_size(len, 8 + t.n + 1, &len))
    return SYMCLONE_ERR_OVERFLOW;
  unsigned char *buf = sym_malloc(len);
  if (!buf) return SYMCLONE_ERR_NOMEM;
  size_t hlen = t.n;
  t = (text){(char *)buf + 8, 0, hlen + 1, 0};
  header_text(file, &t);
  if (t.overflow || t.n != hlen) {
    sym_free(buf);
    return SYMCLONE_ERR_OVERFLOW;
  }
  sym_put_u64(buf, (uint64_t)hlen);
  unsigned char *d = buf + 8 + hlen;
  for (size_t i = 0; i < file->ntensors; i++) {
    const sym_ix_tensor *x = &file->tensor[i];
    for (size_t k = 0; k < x->count; k++) sym_put_f32(d + 4 * k, x->floats[k]);
    d += 4 * x->count;
  }
  *out = buf;
  *out_len = len - 1;
  return SYMCLONE_OK;
}

/* ---- reading ---- */

static symclone_status read_tensor(sym_json *j, sym_ix_tensor *t, sym_ix_fail *f) {
  const char *name = t->name;
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
        if ((st = sym_json_string(j, t->dtype, sizeof t->dtype, &fits, f))) return st;
        t->elsize = fits ? sym_ix_dtype_size(t->dtype) : 0;
        if (!t->elsize)
          return sym_ix_failf(f, SYMCLONE_ERR_UNSUPPORTED,
                              "tensor '%s' has dtype '%s'; only F32 is read", name, t->dtype);
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
        if ((st = sym_json_expect(j, '[', f)) || (st = sym_json_uint(j, &t->begin, f)) ||
            (st = sym_json_expect(j, ',', f)) || (st = sym_json_uint(j, &t->end, f)) ||
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

static int by_begin(const void *a, const void *b) {
  const sym_ix_tensor *x = *(const sym_ix_tensor *const *)a, *y = *(const sym_ix_tensor *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
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
  symclone_status st = sym_json_expect(&j, '{', f);
  if (st) return st;
  if (!sym_json_accept(&j, '}')) {
    do {
      char name[SYM_IX_NAME_LEN];
      int fits;
      if ((st = sym_json_string(&j, name, sizeof name, &fits, f))) return st;
      if ((st = sym_json_expect(&j, ':', f))) return st;
      if (fits && strcmp(name, "__metadata__") == 0) {
        if (file->has_meta)
          return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "'__metadata__' given twice");
        if ((st = sym_json_metadata(&j, file, f))) return st;
        continue;
      }
      sym_ix_tensor *t;
      if ((st = sym_ix_new_tensor(file, name, fits, &t, f))) return st;
      if ((st = read_tensor(&j, t, f))) return st;
    } while (sym_json_accept(&j, ','));
    if ((st = sym_json_expect(&j, '}', f))) return st;
  }
  sym_json_ws(&j);
  if (j.p != j.end)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "header byte %zu: text after the JSON object",
                        (size_t)(j.p - j.start));
  /* byte ranges: within the data, of the shape's size, covering it exactly */
  uint64_t covered = 0;
  for (size_t i = 0; i < file->ntensors; i++) {
    sym_ix_tensor *t = &file->tensor[i];
    uint64_t b = t->begin, e = t->end;
    if (b > e || e > data_len)
      return sym_ix_failf(f, e > data_len && b <= e ? SYMCLONE_ERR_TRUNCATED : SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': data_offsets [%llu, %llu] outside the %llu data bytes",
                          t->name, (unsigned long long)b, (unsigned long long)e,
                          (unsigned long long)data_len);
    uint64_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
      if (t->dims[d] && count > data_len / t->dims[d])
        return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensor '%s': shape larger than the file",
                            t->name);
      count *= t->dims[d];
    }
    if (count > data_len / (uint64_t)t->elsize)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': its shape needs more than the %llu data bytes", t->name,
                          (unsigned long long)data_len);
    if ((uint64_t)t->elsize * count != e - b)
      return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT,
                          "tensor '%s': data_offsets span %llu bytes, its shape needs %llu",
                          t->name, (unsigned long long)(e - b),
                          (unsigned long long)((uint64_t)t->elsize * count));
    t->data = data + b;
    t->nbytes = e - b;
    covered += e - b;
  }
  /* no two ranges overlap: sorted by their start, each ends before the next */
  if (file->ntensors > 1) {
    const sym_ix_tensor **order = sym_malloc_array(file->ntensors, sizeof *order);
    if (!order) return sym_ix_failf(f, SYMCLONE_ERR_NOMEM, "cannot allocate the tensor order");
    for (size_t i = 0; i < file->ntensors; i++) order[i] = &file->tensor[i];
    qsort(order, file->ntensors, sizeof *order, by_begin);
    const sym_ix_tensor *last = NULL; /* the non-empty range reaching furthest */
    for (size_t i = 0; i < file->ntensors; i++) {
      if (order[i]->begin == order[i]->end) continue;
      if (last && order[i]->begin < last->end) {
        st = sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "tensors '%s' and '%s' overlap", last->name,
                          order[i]->name);
        break;
      }
      if (!last || order[i]->end > last->end) last = order[i];
    }
    sym_free(order);
    if (st) return st;
  }
  if (covered != data_len)
    return sym_ix_failf(f, SYMCLONE_ERR_CORRUPT, "%llu data bytes, the tensors cover %llu",
                        (unsigned long long)data_len, (unsigned long long)covered);
  return SYMCLONE_OK;
}
