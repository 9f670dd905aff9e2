/*
 * Reads served on the loop thread when the page cache already holds the
 * data. preadv2(RWF_NOWAIT) copies what is cached and never waits for the
 * disk: when the first byte is not cached it fails with EAGAIN and the read
 * goes to the thread pool as before. A thread-pool round trip (a queue, a
 * worker's wake-up, a wake-up of the loop) costs as much as copying tens of
 * KiB out of the page cache, so a cached file read this way keeps up with
 * plain blocking read(2).
 *
 * The loop stays responsive: a read over WEFT__INLINE_READ_MAX always goes
 * to the pool (its copy then runs on a pool thread), and once
 * WEFT__INLINE_BUDGET bytes were read inline without the reading task
 * suspending, it yields (a suspension point: -ECANCELED / -ETIMEDOUT can
 * come back) and lets every other task, timer and I/O callback run. A file
 * system that does not take RWF_NOWAIT (tmpfs, procfs, FUSE, kernels
 * before 4.14) makes the file use the pool from then on.
 */
#include <sys/uio.h>

#include "internal.h"

#define WEFT__INLINE_READ_MAX (1024u * 1024u)
#define WEFT__INLINE_BUDGET (4u * 1024u * 1024u)

/* Bytes this thread's loop read inline since the reading task last gave
 * the others a turn. */
static _Thread_local size_t inline_since_yield;
static _Thread_local weft__fs_inline_stats stats;

/* Let every other ready task, due timer and I/O callback run; the
 * interruption code if the task was cancelled or timed out meanwhile. */
static int take_turn(void) {
  inline_since_yield = 0;
  stats.yields++;
  return weft_yield();
}

int64_t weft__file_pread_inline(weft_file *f, char *buf, size_t n) {
  struct iovec v = {buf, n};
  ssize_t got;

  if (f->flags & WEFT__F_NO_INLINE || n == 0 || n > WEFT__INLINE_READ_MAX)
    return -EAGAIN;
  if (inline_since_yield >= WEFT__INLINE_BUDGET && (got = take_turn()) != 0)
    return got;
  got = preadv2(f->fd, &v, 1, f->raw_pos, RWF_NOWAIT);
  if (got < 0) {
    if (errno != EAGAIN)
      f->flags |= WEFT__F_NO_INLINE; /* the pool reports a real error */
    stats.missed++;
    return -EAGAIN;
  }
  f->raw_pos += got;
  inline_since_yield += (size_t)got;
  stats.reads++;
  return got;
}

void weft__file_pread_pooled(void) {
  inline_since_yield = 0;
  stats.pooled++;
}

weft__fs_inline_stats weft__fs_inline_stats_get(void) {
  return stats;
}
