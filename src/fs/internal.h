/* File layer internals shared by its files. */
#ifndef WEFT_FS_INTERNAL_H
#define WEFT_FS_INTERNAL_H

#include "core/internal.h"
#include "weft/fs.h"

/* One fs request: started by the caller with weft__fs_cb, then waited for
 * with weft__fs_wait (on the caller's stack: it always completes before
 * the wait returns). */
typedef struct weft__fs_req {
  uv_fs_t req;
  weft_task *task;
  uint8_t done;
} weft__fs_req;

void weft__fs_cb(uv_fs_t *req);
/* Prepare r for a request of the current task: -EPERM outside a task, the
 * pending cancellation code (seen) if there is one, else 0. */
int weft__fs_begin(weft__fs_req *r, weft_loop **loop);
/* Wait for the request started with rc (the uv_fs_* return). Returns the
 * interruption code (-ECANCELED, -ETIMEDOUT) if the task was interrupted,
 * else 0; the request's own result is in r->req.result. uv_fs_req_cleanup
 * is left to the caller. */
int weft__fs_wait(weft__fs_req *r, int rc);
/* Both: the code of an interruption, else the request's result (>= 0 or a
 * negative errno). Cleans the request up. */
int64_t weft__fs_finish(weft__fs_req *r, int rc);

/* Record "op 'path': message" as this thread's fs error; returns code. */
int weft__fs_fail(int code, const char *op, const char *path);
int weft__fs_fail2(int code, const char *op, const char *from, const char *to);

/* The read buffer doubles up to this while whole buffers are consumed. */
#define WEFT__READ_BUFFER_MAX (1024u * 1024u)
/* Writes of this much or more go from the caller's memory, not through
 * the write buffer. */
#define WEFT__WRITE_BUFFER_MAX (4u * 1024u * 1024u)

enum {
  WEFT__F_READ = 1,
  WEFT__F_WRITE = 2,
  WEFT__F_APPEND = 4,
  WEFT__F_NO_INLINE = 8,   /* the file system refused RWF_NOWAIT: pool reads only */
  WEFT__F_STREAM = 16,     /* a pipe, socket or terminal: no offsets, no seeking */
  WEFT__F_STREAM_POOL = 32 /* a stream on the pool (open both ways, or not pollable) */
};

struct weft_file {
  uv_file fd;
  int flags; /* WEFT__F_* */
  char *path;
  int64_t raw_pos; /* where the next request reads or writes */
  char *rbuf;      /* read buffer: rbuf[rpos..rlen) is unread */
  size_t rpos, rlen;
  size_t rcap; /* grows while the file is read sequentially */
  /* The current read call: where it started (seekable files), and for a
   * stream the start of what it took from rbuf, kept until it returns. */
  int64_t read_start;
  size_t mark;
  char *wbuf; /* write buffer (a segment of behind's ring): wbuf[0..wlen) */
  size_t wlen;
  size_t wcap;
  char *line; /* the last line returned */
  size_t line_cap;
  struct weft__fs_behind *behind; /* write-behind (behind.c), files open for writing */
  uint8_t busy;                   /* a task's call on f is under way (turn.c) */
  weft__list turns;               /* the calls waiting for their turn */
  struct weft__fs_poll *poll;     /* a stream's readiness (stream_io.c) */
};

/* Streams read or written on the loop thread (stream_io.c). */
typedef struct weft__fs_poll weft__fs_poll;
/* Whether f is a stream that the loop thread reads or writes. */
int weft__stream_inline(const weft_file *f);
/* Read (writing 0) or write up to n bytes of such a stream: the count (0
 * at EOF), an errno, or -EAGAIN when the pool must do it. An interruption
 * while it waited for the pipe goes to *code (the count is then 0). */
int64_t weft__stream_io(weft_file *f, char *buf, size_t n, int writing, int *code);
/* Close the poll handle, if any (its memory goes with its close callback). */
void weft__stream_poll_close(weft_file *f);

/* The calls of tasks sharing a file take turns (turn.c), as Python's
 * buffered files take their lock. A free turn is taken without suspending.
 * 0; -EBADF (NULL f); -ECANCELED / -ETIMEDOUT while waiting; -EPERM
 * outside a task when the turn is taken. The failure is recorded as op's. */
int weft__file_wait_turn(weft_file *f, const char *op);
void weft__file_pass_turn(weft_file *f);

static inline int weft__file_enter(weft_file *f, const char *op) {
  if (f && !f->busy) {
    f->busy = 1;
    return 0;
  }
  return weft__file_wait_turn(f, op);
}

static inline void weft__file_leave(weft_file *f) {
  if (weft__list_empty(&f->turns))
    f->busy = 0;
  else
    weft__file_pass_turn(f);
}
/* flush() with the lock held (write.c). */
int weft__file_flush(weft_file *f);

/* Parse a mode string into open(2) flags and WEFT__F_*; -EINVAL if bad. */
int weft__fs_mode(const char *mode, int *oflags, int *fflags);
/* The offset of the next write: -1 (the kernel's) in append mode and for
 * streams. */
static inline int64_t weft__file_write_at(const weft_file *f) {
  return (f->flags & (WEFT__F_APPEND | WEFT__F_STREAM)) ? -1 : f->raw_pos;
}
/* n bytes were written: move raw_pos (read back from the kernel in append
 * mode). */
void weft__file_wrote(weft_file *f, int64_t n);
/* Write-behind (behind.c): the write buffer of a file open for writing is
 * a ring of segments written by a job on the thread pool. */
typedef struct weft__fs_behind weft__fs_behind;
/* Make the ring and point the write buffer at its first segment; -ENOMEM. */
int weft__file_behind_new(weft_file *f);
/* Wait until the write buffer can be published without waiting. 0;
 * -EAGAIN for a stream the loop thread writes (write it from the task);
 * -EPERM outside a task; the failure of an earlier write (the job stopped
 * on it and keeps its data); -ECANCELED / -ETIMEDOUT. */
int weft__file_behind_room(weft_file *f);
/* Publish the write buffer (after behind_room) and take the next segment;
 * a failure to start the job is reported by the next call. */
void weft__file_behind_push(weft_file *f);
/* Publish the write buffer and wait until everything published is written;
 * the codes of behind_room. */
int weft__file_behind_flush(weft_file *f);
/* Whether published data is not written yet or a failure waits (f->behind
 * set). */
int weft__file_behind_unflushed(const weft_file *f);
/* Whether written data has not all reached the OS, or a failure waits. */
static inline int weft__file_unflushed(const weft_file *f) {
  return f->wlen || (f->behind && weft__file_behind_unflushed(f));
}
/* How many write jobs this thread's loops started (for tests). */
uint64_t weft__fs_behind_job_starts(void);
/* Free the ring (the write buffer goes with it); 1 if the job still runs
 * (closing outside a task): it then closes f's descriptor when it ends. */
int weft__file_behind_release(weft_file *f);

/* Forget unread buffered data (the position does not move). */
void weft__file_drop_read(weft_file *f);
/* Read up to n bytes at raw_pos into buf (one request); returns the count,
 * 0 at EOF, or an error / interruption code. */
int64_t weft__file_pread(weft_file *f, char *buf, size_t n);
/* Read up to n bytes at raw_pos on the loop thread if the page cache holds
 * them (read_inline.c); returns the count, 0 at EOF, -EAGAIN when the read
 * must go to the thread pool, or the code of an interruption delivered
 * while it yielded. */
int64_t weft__file_pread_inline(weft_file *f, char *buf, size_t n);
/* A read went to the thread pool (the task suspends): the inline budget
 * starts again. */
void weft__file_pread_pooled(void);
/* This thread's counts of inline reads (for tests). */
typedef struct weft__fs_inline_stats {
  uint64_t reads;  /* served inline */
  uint64_t missed; /* tried inline, not cached or refused */
  uint64_t pooled; /* sent to the thread pool */
  uint64_t yields; /* turns given to the other tasks */
} weft__fs_inline_stats;
weft__fs_inline_stats weft__fs_inline_stats_get(void);
/* Refill the read buffer (a stream's is added to, keeping what the current
 * call took); returns the count (0 at EOF) or a code. */
int64_t weft__file_fill(weft_file *f);
/* Start a read call: checks the file, flushes pending writes, notes where
 * the call starts. */
int weft__file_read_begin(weft_file *f, const char *op);
/* Undo a read call interrupted part way: back to where it started (a
 * stream gets back what the call took from the buffer). */
int weft__file_read_abort(weft_file *f, int code, const char *op);
/* Size of the open file (fstat on the pool). */
int weft__file_size(weft_file *f, int64_t *size);
/* Fill a weft_stat from libuv's. */
void weft__fs_stat_fill(weft_stat *st, const uv_stat_t *s);

#endif
