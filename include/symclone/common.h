/** @file
 * libsymclone: status codes, export macro and version queries.
 *
 * Every fallible call of the library returns a symclone_status: 0 on success,
 * a negative value on error.  The numeric values are part of the ABI and never
 * change once released; new codes are only ever appended.  Detail on an error
 * (which argument, which shape) is kept in the handle the call was made on,
 * const or not, and read with that object's symclone_<object>_last_error();
 * calls with no handle to keep it (creation functions, setting bounds)
 * report through the status alone, and every code below names one kind of
 * fault precisely (docs/conventions.md, "Errors").
 *
 * Thread safety: everything in this header is safe to call from any thread.
 */
#ifndef SYMCLONE_COMMON_H
#define SYMCLONE_COMMON_H

#include <stddef.h>

#include <symclone/version.h>

/** @def SYMCLONE_API
 * Marks the functions the library exports (default visibility; dllexport
 * or dllimport on Windows unless SYMCLONE_STATIC is defined). */
#if defined(_WIN32) && !defined(SYMCLONE_STATIC)
#  ifdef SYMCLONE_BUILDING
#    define SYMCLONE_API __declspec(dllexport)
#  else
#    define SYMCLONE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define SYMCLONE_API __attribute__((visibility("default")))
#else
#  define SYMCLONE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes.  0 is success; errors are negative. */
typedef enum symclone_status {
  SYMCLONE_OK = 0, /**< success */
  SYMCLONE_ERR_NULL = -1,          /**< a required pointer argument is NULL */
  SYMCLONE_ERR_SIZE = -2,          /**< a size or count is zero, negative or out of range */
  SYMCLONE_ERR_OVERFLOW = -3,      /**< the product of the sizes does not fit in memory arithmetic */
  SYMCLONE_ERR_KERNEL = -4,        /**< kernel size even, < 1, or larger than the input */
  SYMCLONE_ERR_SHAPE = -5,         /**< shapes of two arguments do not match */
  SYMCLONE_ERR_GROUP = -6,         /**< invalid group, group element, or group/field mismatch */
  SYMCLONE_ERR_NOMEM = -7,         /**< an allocation failed */
  SYMCLONE_ERR_ARG = -8,           /**< an argument has an invalid value (unknown enum, key) */
  SYMCLONE_ERR_SETTING = -9,       /**< a setting value is outside its documented bounds */
  SYMCLONE_ERR_UNSUPPORTED = -10,  /**< the object does not support this operation */
  SYMCLONE_ERR_IO = -11,           /**< reading or writing a file failed (see errno) */
  SYMCLONE_ERR_FORMAT = -12,       /**< a file is not of the expected format (wrong magic) */
  SYMCLONE_ERR_VERSION = -13,      /**< a file's format version is not supported */
  SYMCLONE_ERR_TRUNCATED = -14,    /**< a file or stream ended early */
  SYMCLONE_ERR_CORRUPT = -15,      /**< checksum mismatch or inconsistent content */
  SYMCLONE_ERR_DIVERGED = -16,     /**< training produced NaN or Inf; nothing of the rejected
                                        step is applied */
  SYMCLONE_ERR_STATE = -17,        /**< the call is not valid in the object's current state */
  SYMCLONE_ERR_NOT_AVAILABLE = -18,/**< the feature was not compiled in (PNG, zlib) */
  SYMCLONE_ERR_CANCELLED = -19,    /**< a user callback asked to stop */
  SYMCLONE_ERR_DATA = -20,         /**< data content is invalid (for example a label out of range) */
  SYMCLONE_ERR_PATH = -21,         /**< a path names something other than a regular file where
                                        one is needed, or the same file twice */
  SYMCLONE_ERR_BUDGET = -22        /**< a file's declared content exceeds the loader's memory
                                        budget */
} symclone_status;

/** A short, static, human-readable name of a status ("kernel size even,
 * < 1, or larger than the input").  Never returns NULL; unknown values give
 * "unknown status". */
SYMCLONE_API const char *symclone_strerror(int status);

/** Version of the library that is loaded at run time, as "MAJOR.MINOR.PATCH".
 * Compare with SYMCLONE_VERSION_STRING from <symclone/version.h> to tell it
 * from the headers a program was compiled against. */
SYMCLONE_API const char *symclone_version_string(void);

/** The same as one number, SYMCLONE_VERSION_NUMBER's layout: 0x00MMmmpp. */
SYMCLONE_API unsigned symclone_version_number(void);

/** The code paths the library chose for this CPU at run time (it asks the
 * CPU once), as a static string of kernel=path pairs separated by spaces,
 * for example
 *   "product=avx512 adamw=avx512 gram=avx512 comb=avx512 sums=avx2 sgd=scalar"
 * The kernels: product (a cloned layer's and a convolution's products, the
 * trainer's products of short inner dimension), adamw (the AdamW update),
 * gram (the moment objective's Gram matrix), comb (its gradient), sums
 * (sums of squares, squared errors, dot products), sgd (the SGD update).  A
 * path is one of scalar, sse2, avx2 and avx512; product=blas means that the
 * BLAS does those products, the CPU having no fast vector code for them.
 * Every path gives the same bits. */
SYMCLONE_API const char *symclone_kernels_string(void);

#ifdef __cplusplus
}
#endif

#endif
