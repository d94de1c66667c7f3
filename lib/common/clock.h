/* Private: the library's one clock. */
#ifndef SYMCLONE_CLOCK_H
#define SYMCLONE_CLOCK_H

/* Seconds on a monotonic clock (for differences only). */
double sym_now_seconds(void);

#endif
