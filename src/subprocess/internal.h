/* Subprocess layer internals shared by its files. */
#ifndef WEFT_SUBPROCESS_INTERNAL_H
#define WEFT_SUBPROCESS_INTERNAL_H

#include "core/internal.h"
#include "weft/subprocess.h"

/* A task waiting for the child's exit (on the waiting task's stack). */
typedef struct weft__sp_waiter {
  weft__list link;
  weft_task *task;
} weft__sp_waiter;

struct weft_subprocess {
  uv_process_t proc;
  weft_loop *loop;
  weft_stream *pipes[3]; /* stdin, stdout, stderr: NULL unless PIPE */
  pid_t pid;
  int returncode;
  uint8_t exited;
  uint8_t freed;    /* the user let go of it */
  uint8_t detached; /* the loop shut down while it ran: no longer watched */
  unsigned refs;    /* the user, the libuv handle, the watcher task */
  weft__list waiters;
  weft_task *watcher; /* parked until the child exits or the loop shuts down */
  weft__waiter watch_done;
  char name[48]; /* the program, for messages */
};

/* Record this thread's error message; returns code. */
int weft__sp_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After uv_spawn succeeded: start watching the child. 0 or -ENOMEM. */
int weft__sp_watch(weft_subprocess *p);
void weft__sp_exit_cb(uv_process_t *proc, int64_t status, int term_signal);
void weft__sp_unref(weft_subprocess *p);
void weft__sp_close_cb(uv_handle_t *h);
void weft__sp_free_pipes(weft_subprocess *p);

#endif
