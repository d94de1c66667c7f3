#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *symclone_strerror(int status) {
  switch (status) {
  case SYMCLONE_OK: return "success";
  case SYMCLONE_ERR_NULL: return "a required pointer argument is NULL";
  case SYMCLONE_ERR_SIZE: return "a size or count is zero, negative or out of range";
  case SYMCLONE_ERR_OVERFLOW: return "the product of the sizes overflows";
  case SYMCLONE_ERR_KERNEL: return "kernel size even, < 1, or larger than the input";
  case SYMCLONE_ERR_SHAPE: return "shapes do not match";
  case SYMCLONE_ERR_GROUP: return "invalid group, group element, or group/field mismatch";
  case SYMCLONE_ERR_NOMEM: return "out of memory";
  case SYMCLONE_ERR_ARG: return "an argument has an invalid value";
  case SYMCLONE_ERR_SETTING: return "a setting value is outside its bounds";
  case SYMCLONE_ERR_UNSUPPORTED: return "operation not supported by this object";
  case SYMCLONE_ERR_IO: return "input/output error";
  case SYMCLONE_ERR_FORMAT: return "not a file of the expected format";
  case SYMCLONE_ERR_VERSION: return "unsupported file format version";
  case SYMCLONE_ERR_TRUNCATED: return "file or stream truncated";
  case SYMCLONE_ERR_CORRUPT: return "corrupt content (checksum or consistency)";
  case SYMCLONE_ERR_DIVERGED: return "training diverged (NaN or Inf)";
  case SYMCLONE_ERR_STATE: return "call not valid in the object's current state";
  case SYMCLONE_ERR_NOT_AVAILABLE: return "feature not compiled into this build";
  case SYMCLONE_ERR_CANCELLED: return "cancelled by a callback";
  case SYMCLONE_ERR_DATA: return "invalid data content";
  case SYMCLONE_ERR_PATH: return "not a regular file, or the same file twice";
  case SYMCLONE_ERR_BUDGET: return "content exceeds the memory budget";
  default: return "unknown status";
  }
}

const char *symclone_version_string(void) { return SYMCLONE_VERSION_STRING; }

unsigned symclone_version_number(void) { return (unsigned)SYMCLONE_VERSION_NUMBER; }

void sym_err_init(sym_err *e) {
  atomic_flag_clear(&e->lock);
  e->msg[0] = '\0';
}

symclone_status sym_fail(const sym_err *e, symclone_status status, const char *fmt, ...) {
  if (e) {
    /* The message is the one part of a handle a failing call writes, even
     * through a const pointer; it is written under the handle's own lock. */
    sym_err *m = (sym_err *)e;
    while (atomic_flag_test_and_set_explicit(&m->lock, memory_order_acquire)) {
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->msg, sizeof m->msg, fmt, ap);
    va_end(ap);
    atomic_flag_clear_explicit(&m->lock, memory_order_release);
  }
  return status;
}
