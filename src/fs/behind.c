/*
 * Write-behind: the write buffer of a file open for writing is a ring of
 * segments. The task fills one; a full one is published to a writer job on
 * the thread pool, and the task goes on with the next while the job writes
 * the published ones in order. The job runs while segments keep coming, in
 * turns of 100 ms, and ends when the ring is empty, so a streaming write
 * costs one pool request per turn, not one per buffer. A task that finds
 * the ring full waits until the job has emptied half of it; the job wakes
 * it through the loop's thread-safe queue, which the loop polls briefly
 * before it sleeps. The ring is small (WEFT_FILE_BUFFER bytes) so the job
 * reads segments that the task's copy left in the processor's caches.
 *
 * A failed write stops the job: the segment it failed on and those after it
 * are kept with their offsets and the error, which the next call that needs
 * the job reports (a write that needs a segment, flush, and so read, seek,
 * truncate and close). The job then starts again from the kept segments
 * when data is next published or flushed.
 *
 * head and tail count the segments published (by the task) and written (by
 * the job); segment i is ring[i % nseg]. Everything else is owned by the
 * loop thread but the job's progress within a segment and its error.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SEGMENT (64u * 1024u)
#define NSEG (WEFT_FILE_BUFFER / SEGMENT)

typedef struct segment {
  size_t len;
  int64_t at; /* file offset, -1 for the kernel's (append mode, streams) */
} segment;

struct weft__fs_behind {
  uv_work_t work;
  weft__ts_node wake; /* posted by the job when the ring has room */
  weft_loop *loop;
  weft_file *file;   /* NULL once the file is gone (close outside a task) */
  uv_file fd;        /* the file's, set when a job starts */
  weft_task *waiter; /* the task waiting for room or for the job to end */
  _Atomic size_t head, tail;
  _Atomic int error;    /* the job's failure, not reported yet */
  _Atomic uint8_t want; /* the waiter wants room */
  _Atomic uint8_t posted;
  uint8_t running; /* a job is queued or running */
  size_t part;     /* bytes of segment tail written (by the job) */
  segment seg[NSEG];
  char ring[];
};

static char *segment_at(weft__fs_behind *b, size_t i) {
  return b->ring + (i % NSEG) * SEGMENT;
}

static size_t in_flight(weft__fs_behind *b) {
  return atomic_load(&b->head) - atomic_load(&b->tail);
}

/* ---- the job, on a pool thread ---------------------------------------- */

static int write_segment(weft__fs_behind *b, const char *p, const segment *s) {
  while (b->part < s->len) {
    size_t n = s->len - b->part;
    ssize_t w = s->at < 0 ? write(b->fd, p + b->part, n)
                          : pwrite(b->fd, p + b->part, n, (off_t)(s->at + (int64_t)b->part));

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return w < 0 ? -errno : -EIO;
    b->part += (size_t)w;
  }
  b->part = 0;
  return 0;
}

/* The task waits for room and half the ring is free: wake it (once until
 * the loop has run the wake-up). */
static void job_notify(weft__fs_behind *b) {
  if (!atomic_load(&b->want) || in_flight(b) > NSEG / 2)
    return;
  atomic_store(&b->want, 0);
  if (atomic_exchange(&b->posted, 1))
    return;
  if (weft__post_threadsafe(b->loop, &b->wake) != 0)
    atomic_store(&b->posted, 0);
}

/* One turn of the job lasts about this long, then it gives its pool thread
 * back: the loop starts it again at the back of the pool's queue, so files
 * written without pause do not keep the threads from other requests and
 * getaddrinfo for longer. Shorter turns cost throughput: a new start may
 * put the pool thread on the loop's core for a while (turns of 10 ms lost
 * a tenth of it). */
#define JOB_TURN_NS 100000000u

static void job_work(uv_work_t *work) {
  weft__fs_behind *b = weft__container_of(work, weft__fs_behind, work);
  size_t t = atomic_load(&b->tail);
  uint64_t end = weft__now() + JOB_TURN_NS;
  int rc;

  while (t != atomic_load(&b->head) && weft__now() < end) {
    if ((rc = write_segment(b, segment_at(b, t), &b->seg[t % NSEG])) != 0) {
      atomic_store(&b->error, rc);
      return;
    }
    atomic_store(&b->tail, ++t);
    job_notify(b);
  }
}

/* ---- the loop thread ---------------------------------------------------- */

static void behind_free(weft__fs_behind *b) {
  weft_free(b);
}

static void wake_waiter(weft__fs_behind *b) {
  weft_task *t = b->waiter;

  b->waiter = NULL;
  if (t)
    weft__wake(t, 0);
}

static void wake_cb(void *arg) {
  weft__fs_behind *b = arg;

  atomic_store(&b->posted, 0);
  if (!b->file && !b->running)
    behind_free(b);
  else
    wake_waiter(b);
}

static int job_start(weft__fs_behind *b);

/* All written: in append mode the kernel knows where the end went. */
static void job_settled(weft__fs_behind *b) {
  weft_file *f = b->file;
  off_t end;

  if ((f->flags & WEFT__F_APPEND) && (end = lseek(f->fd, 0, SEEK_CUR)) >= 0)
    f->raw_pos = (int64_t)end;
}

static void job_after(uv_work_t *work, int status) {
  weft__fs_behind *b = weft__container_of(work, weft__fs_behind, work);

  WEFT__UNUSED(status);
  b->running = 0;
  /* Its turn ended, or more was published after it looked for the last
   * time: all that is published gets written, orphan or not. */
  if (!atomic_load(&b->error) && in_flight(b) && job_start(b) == 0)
    return;
  if (!b->file) {
    close(b->fd);
    if (!atomic_load(&b->posted))
      behind_free(b);
    return;
  }
  if (!in_flight(b))
    job_settled(b);
  wake_waiter(b);
}

static _Thread_local uint64_t job_starts;

uint64_t weft__fs_behind_job_starts(void) {
  return job_starts;
}

static int job_start(weft__fs_behind *b) {
  int rc;

  if (b->file)
    b->fd = b->file->fd;
  rc = uv_queue_work(&b->loop->uv, &b->work, job_work, job_after);

  if (rc == 0) {
    b->running = 1;
    job_starts++;
  }
  return rc;
}

/* Start the job if it is not running and has something to write. */
static int job_kick(weft__fs_behind *b) {
  if (b->running || atomic_load(&b->error) || !in_flight(b))
    return 0;
  return job_start(b);
}

static void wait_interrupted(weft_task *t, void *obj) {
  weft__fs_behind *b = obj;

  WEFT__UNUSED(t);
  b->waiter = NULL;
  atomic_store(&b->want, 0);
}

/* Park until the job wakes the task; want: for room (the job posts as soon
 * as half the ring is free), else for the job's end. */
static int wait_job(weft__fs_behind *b, int want) {
  int rc;

  b->waiter = weft__current();
  if (want) {
    atomic_store(&b->want, 1);
    if (in_flight(b) <= NSEG / 2 || !b->running) { /* the job came first */
      atomic_store(&b->want, 0);
      b->waiter = NULL;
      return 0;
    }
    b->loop->ts_expected++;
  }
  rc = weft__park("fs", wait_interrupted, b);
  if (want)
    b->loop->ts_expected--;
  return rc;
}

/* The job's failure, once; it stopped on it. */
static int take_error(weft__fs_behind *b) {
  return atomic_exchange(&b->error, 0);
}

static int behind_begin(weft__fs_behind *b) {
  weft_task *t = weft__current();

  if (!t)
    return -EPERM;
  if (!b->running)
    b->loop = t->fut.loop; /* the job reads it */
  if (weft__scope_pending(t))
    return weft__park("fs", NULL, NULL); /* delivered: no job starts */
  return 0;
}

int weft__file_behind_room(weft_file *f) {
  weft__fs_behind *b = f->behind;
  int rc;

  if (weft__stream_inline(f))
    return -EAGAIN; /* the loop thread writes it */
  if ((rc = behind_begin(b)) != 0)
    return rc;
  while (in_flight(b) > NSEG - 2) {
    if (!b->running && atomic_load(&b->error))
      return take_error(b);
    if ((rc = job_kick(b)) != 0 || (rc = wait_job(b, 1)) != 0)
      return rc;
  }
  if (!b->running && atomic_load(&b->error))
    return take_error(b); /* report it as soon as it is known */
  return 0;
}

void weft__file_behind_push(weft_file *f) {
  weft__fs_behind *b = f->behind;
  size_t h = atomic_load(&b->head);
  segment *s = &b->seg[h % NSEG];
  int rc;

  s->len = f->wlen;
  s->at = weft__file_write_at(f);
  f->raw_pos += (int64_t)f->wlen; /* where the next segment goes */
  atomic_store(&b->head, h + 1);
  f->wbuf = segment_at(b, h + 1);
  f->wlen = 0;
  if ((rc = job_kick(b)) != 0)
    atomic_store(&b->error, rc); /* reported by the next call */
}

int weft__file_behind_flush(weft_file *f) {
  weft__fs_behind *b = f->behind;
  int rc;

  if (!b || (!f->wlen && !weft__file_behind_unflushed(f)))
    return 0;
  if (f->wlen) {
    if ((rc = weft__file_behind_room(f)) != 0)
      return rc;
    weft__file_behind_push(f);
  } else if ((rc = behind_begin(b)) != 0)
    return rc;
  for (;;) {
    if (b->running) {
      if ((rc = wait_job(b, 0)) != 0)
        return rc;
    } else if (atomic_load(&b->error)) {
      return take_error(b);
    } else if (!in_flight(b)) {
      return 0;
    } else if ((rc = job_start(b)) != 0) {
      return rc;
    }
  }
}

int weft__file_behind_new(weft_file *f) {
  weft__fs_behind *b = weft_malloc(sizeof *b + NSEG * SEGMENT);

  if (!b)
    return -ENOMEM;
  memset(b, 0, sizeof *b); /* not the ring: its pages are touched when used */
  b->file = f;
  b->wake.cb = wake_cb;
  b->wake.arg = b;
  f->behind = b;
  f->wbuf = b->ring;
  f->wcap = SEGMENT;
  return 0;
}

int weft__file_behind_unflushed(const weft_file *f) {
  weft__fs_behind *b = f->behind;

  return b->running || atomic_load(&b->error) || in_flight(b);
}

int weft__file_behind_release(weft_file *f) {
  weft__fs_behind *b = f->behind;

  f->behind = NULL;
  f->wbuf = NULL;
  f->wlen = f->wcap = 0;
  if (!b)
    return 0;
  if (!b->running && !atomic_load(&b->posted)) {
    behind_free(b);
    return 0;
  }
  b->file = NULL; /* closed outside a task: the job finishes alone */
  return b->running;
}
