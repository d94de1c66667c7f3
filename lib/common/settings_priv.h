/* Private: the one table of settings (every key of <symclone/settings.h>
 * with its name, bounds and default) and the one validator every object's
 * symclone_<object>_set/_get goes through.
 *
 * The keys of an object lie in [100 * object + 1, 100 * object + 99]; an
 * object keeps its values in an array of SYM_SETTINGS_SLOTS doubles indexed
 * by the key's slot, key - 100 * object (slot 0 is unused), so that a
 * trainer reads values[SYMCLONE_TRAINER_SEED] and a net
 * values[SYM_SETTING_SLOT(SYMCLONE_NET_SEED)]. */
#ifndef SYMCLONE_SETTINGS_PRIV_H
#define SYMCLONE_SETTINGS_PRIV_H

#include "internal.h"
#include <symclone/settings.h>

/* The objects that have settings; the value is the hundreds of their keys. */
typedef enum sym_settings_object {
  SYM_SETTINGS_TRAINER = 0,
  SYM_SETTINGS_NET = 1,
  SYM_SETTINGS_PICTURE = 2,
  SYM_SETTINGS_DIAG = 3,
  SYM_SETTINGS_LOADER = 4
} sym_settings_object;

/* Slots of an object's value array: every key's slot is below it (raise it
 * when an object's keys reach it). */
#define SYM_SETTINGS_SLOTS 24

/* The slot of a key within its object's value array. */
#define SYM_SETTING_SLOT(key) ((int)(key) % 100)

/* Fill values[SYM_SETTINGS_SLOTS] with the defaults of the object's keys
 * (unused slots 0). */
void sym_settings_init(sym_settings_object object, double *values);

/* SYMCLONE_OK if key is a setting of object; otherwise SYMCLONE_ERR_ARG
 * with a message in e (may be NULL) naming the key and, for a key of
 * another object, that object. */
symclone_status sym_settings_find(const sym_err *e, sym_settings_object object,
                                  symclone_setting key);

/* sym_settings_find, then SYMCLONE_ERR_SETTING with a message naming the
 * setting and its bounds if value is outside them. */
symclone_status sym_settings_check(const sym_err *e, sym_settings_object object,
                                   symclone_setting key, double value);

/* The body of every symclone_<object>_set: sym_settings_check, then
 * values[slot] = value. */
symclone_status sym_settings_store(const sym_err *e, sym_settings_object object, double *values,
                                   symclone_setting key, double value);

/* The body of every symclone_<object>_get: value NULL refused, then
 * sym_settings_find, then *value = values[slot]. */
symclone_status sym_settings_load(const sym_err *e, sym_settings_object object,
                                  const double *values, symclone_setting key, double *value);

#endif
