/* The loader handle: the memory budget of a load and the message of the
 * last failing load. */
#include <stdint.h>

#include "loader_priv.h"

#define DEFAULT_MAX_BYTES ((size_t)1 << 30)

symclone_status symclone_loader_create(symclone_loader **out) {
  if (!out) return SYMCLONE_ERR_NULL;
  symclone_loader *l = sym_calloc(1, sizeof *l);
  if (!l) return SYMCLONE_ERR_NOMEM;
  l->max_bytes = DEFAULT_MAX_BYTES;
  sym_err_init(&l->err);
  *out = l;
  return SYMCLONE_OK;
}

void symclone_loader_free(symclone_loader *loader) { sym_free(loader); }

const char *symclone_loader_last_error(const symclone_loader *loader) {
  return loader ? loader->err.msg : "";
}

size_t sym_loader_budget(const symclone_loader *loader) {
  return loader ? loader->max_bytes : DEFAULT_MAX_BYTES;
}

const sym_err *sym_loader_err(const symclone_loader *loader) {
  return loader ? &loader->err : NULL;
}
