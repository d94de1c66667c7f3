/* The library's one clock: seconds on the monotonic clock. */
#include "clock.h"

#include <time.h>

double sym_now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
