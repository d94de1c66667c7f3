/* The loader handle: the memory budget of a load and the message of the
 * last failing load. */
#include <stdint.h>

#include "fileio.h"
#include "loader_priv.h"

symclone_status symclone_loader_create(symclone_loader **out) {
  if (!out) return SYMCLONE_ERR_NULL;
  symclone_loader *l = sym_calloc(1, sizeof *l);
  if (!l) return SYMCLONE_ERR_NOMEM;
  sym_settings_init(SYM_SETTINGS_LOADER, l->setting);
  sym_err_init(&l->err);
  *out = l;
  return SYMCLONE_OK;
}

void symclone_loader_free(symclone_loader *loader) { sym_free(loader); }

symclone_status symclone_loader_set(symclone_loader *loader, symclone_setting key, double value) {
  if (!loader) return SYMCLONE_ERR_NULL;
  return sym_settings_store(&loader->err, SYM_SETTINGS_LOADER, loader->setting, key, value);
}

symclone_status symclone_loader_get(const symclone_loader *loader, symclone_setting key,
                                    double *value) {
  if (!loader) return SYMCLONE_ERR_NULL;
  return sym_settings_load(&loader->err, SYM_SETTINGS_LOADER, loader->setting, key, value);
}

const char *symclone_loader_last_error(const symclone_loader *loader) {
  return loader ? loader->err.msg : "";
}

size_t sym_loader_budget(const symclone_loader *loader) {
  double v;
  if (loader)
    v = loader->setting[SYM_SETTING_SLOT(SYMCLONE_LOADER_MAX_BYTES)];
  else
    symclone_setting_bounds(SYMCLONE_LOADER_MAX_BYTES, NULL, NULL, &v);
  return v >= (double)SIZE_MAX ? SIZE_MAX : (size_t)v;
}

const sym_err *sym_loader_err(const symclone_loader *loader) {
  return loader ? &loader->err : NULL;
}

symclone_status sym_loader_read_whole(const symclone_loader *loader, const char *path,
                                      size_t max_len, const char *doing, unsigned char **buf,
                                      size_t *len) {
  const sym_err *err = sym_loader_err(loader);
  size_t budget = sym_loader_budget(loader), limit = budget / 2;
  if (limit > max_len) limit = max_len;
  int e = sym_read_file(path, limit, buf, len);
  if (!e) return SYMCLONE_OK;
  char eb[160];
  if (e == SYM_FILE_TOO_BIG)
    return sym_fail(err, SYMCLONE_ERR_BUDGET,
                    "'%s': %s it needs about twice its length, more than the loader's budget of "
                    "%zu bytes",
                    path, doing, budget);
  return sym_fail(err, sym_file_status(e), "cannot read '%s': %s", path,
                  sym_file_strerror(e, eb, sizeof eb));
}
