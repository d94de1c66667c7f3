/* Private: the loader handle (<symclone/loader.h>), read by every loader
 * of the library (students, IDX). */
#ifndef SYMCLONE_LOADER_PRIV_H
#define SYMCLONE_LOADER_PRIV_H

#include <symclone/loader.h>

#include "internal.h"
#include "settings_priv.h"

struct symclone_loader {
  double setting[SYM_SETTINGS_SLOTS]; /* by SYM_SETTING_SLOT(key) */
  sym_err err;
};

/* The memory budget of one load: the loader's, or the default for NULL. */
size_t sym_loader_budget(const symclone_loader *loader);

/* Where a load keeps its message: the loader's slot, or NULL (status
 * only) for a NULL loader. */
const sym_err *sym_loader_err(const symclone_loader *loader);

/* Read the file at path whole for a load that costs about twice its
 * length (the file, then the object made from it): the length is checked
 * against half the loader's budget, and against max_len, before anything is
 * allocated.  On failure the message names path and what the caller does
 * with the file (`doing`: "loading", "importing"), and *buf is untouched;
 * on success the caller frees *buf with sym_free. */
symclone_status sym_loader_read_whole(const symclone_loader *loader, const char *path,
                                      size_t max_len, const char *doing, unsigned char **buf,
                                      size_t *len);

#endif
