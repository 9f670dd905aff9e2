/* Thread layer internals shared by its files. */
#ifndef WEFT_THREAD_INTERNAL_H
#define WEFT_THREAD_INTERNAL_H

#include <math.h>
#include <pthread.h>
#include <time.h>

#include "core/internal.h"

/* The absolute CLOCK_REALTIME deadline (pthread_cond_timedwait's clock)
 * timeout seconds from now; INFINITY leaves ts untouched. 0, or -EINVAL for
 * a NaN or negative timeout. */
static inline int weft__thread_deadline(double timeout, struct timespec *ts) {
  if (isnan(timeout) || timeout < 0)
    return -EINVAL;
  if (isinf(timeout))
    return 0;
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += (time_t)timeout;
  ts->tv_nsec += (long)((timeout - floor(timeout)) * 1e9);
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
  return 0;
}

/* Wait on c until signalled or past ts (timeout INFINITY: no deadline).
 * Returns pthread's code (0 or ETIMEDOUT). */
static inline int weft__thread_wait(pthread_cond_t *c, pthread_mutex_t *m, double timeout,
                                    const struct timespec *ts) {
  if (isinf(timeout))
    return pthread_cond_wait(c, m);
  return pthread_cond_timedwait(c, m, ts);
}

#endif
