/*
 * weft process layer (aiomultiprocess): run functions in child processes,
 * each with its own loop, and await their results from tasks.
 *
 * Children are fork()ed, so a worker function is a plain C function pointer
 * that stays valid in the child. Arguments and results cross the process
 * boundary as byte buffers (weft_buf): nothing may depend on a pointer
 * surviving it.
 *
 * A worker function runs as a task inside the child's own loop (weft_run is
 * called in the child), so it may use every weft suspension point. On entry
 * *out is {scratch, 0}: scratch is WEFT_POOL_SCRATCH bytes the runtime owns,
 * valid until the function returns (suspensions included). A result that
 * fits is written there, with out->len set; a larger one replaces out->data
 * with a buffer from weft_malloc (the child frees it once sent). Leaving
 * out->len 0 gives a result of 0 bytes. It fails with
 * `return weft_fail(code, fmt, ...)`, and the parent sees that code and
 * message.
 *
 * What is safe in a child: the child is a copy of the parent at fork time,
 * running on a fresh thread with a fresh loop. Threads of the parent
 * (executors, thread bridges) do not exist in it; loops, tasks, futures,
 * streams and handles of the parent must not be touched there (their memory
 * is a stale copy). Global data is a copy too: writes stay in the child.
 */
#ifndef WEFT_PROCESS_H
#define WEFT_PROCESS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte buffer. Owned buffers come from weft_malloc. */
typedef struct weft_buf {
  void *data;
  size_t len;
} weft_buf;

/* Free an owned buffer and empty it. */
void weft_buf_free(weft_buf *b);

/* Pack n buffers into one (for starmap): *out is owned by the caller.
 * 0, -ENOMEM. */
int weft_buf_pack(weft_buf *out, const weft_buf *args, size_t n);
/* Unpack a packed buffer: args[i] point into packed (no copy), *n gets the
 * count. 0, -EINVAL (malformed), -ENOSPC (more than cap parts). */
int weft_buf_unpack(const weft_buf *packed, weft_buf *args, size_t cap, size_t *n);

/* A worker function (see above). Its return value is ignored unless it
 * failed with weft_fail. */
typedef void *(*weft_pool_fn)(const weft_buf *arg, weft_buf *out);

/* The bytes at out->data when a worker function starts (see above). */
#define WEFT_POOL_SCRATCH 256

/* The largest item or result, in bytes (4 GiB - 32): lengths travel as
 * 32 bits. */
#define WEFT_POOL_BUF_MAX ((size_t)UINT32_MAX - 31)

/* The outcome of one item: its result (owned), or its error. */
typedef struct weft_pool_result {
  weft_buf buf;  /* the result, owned by the caller */
  int code;      /* 0, or the item's error code */
  char *message; /* the error message (owned) or NULL */
} weft_pool_result;

/* Free what a result owns and empty it. */
void weft_pool_result_clear(weft_pool_result *r);

/* The error code of an item whose worker process died: the message says
 * "worker N killed by signal S" or "worker N exited with status S". */
#define WEFT_POOL_WORKER_DIED (-ECHILD)

/* ------------------------------------------------------------------ */
/* Pool                                                                */
/* ------------------------------------------------------------------ */

typedef struct weft_pool weft_pool;

typedef struct weft_pool_opts {
  size_t processes;        /* 0: the number of cores */
  size_t childconcurrency; /* items run at once in each child; 0: 16 */
  size_t maxtasksperchild; /* a child exits and is replaced after this many
                            * items; 0: no limit */
  /* Run in each child, in a task on its loop, before any item. */
  void (*initializer)(void *arg);
  void *initarg;
  /* Items sent to a child in one frame (multiprocessing's chunksize); a
   * child has up to max(childconcurrency, 2 * chunksize) items in flight.
   * 0: per map, ceil(items / (4 * processes)), as multiprocessing does. */
  size_t chunksize;
} weft_pool_opts;

/*
 * Start a pool on the current loop: fork the children now. Must be called
 * from the loop's thread (inside a task or not). Inside a task, returns once
 * every child is ready (its loop running, its initializer returned) or has
 * died trying. Returns 0, -ENOMEM, -EINVAL (no loop), the error of
 * fork/socketpair as a negative errno, or -ECANCELED/-ETIMEDOUT if the
 * caller is interrupted while the children start (the pool is terminated
 * and freed; *out is untouched).
 */
int weft_pool_new(weft_pool **out, const weft_pool_opts *opts);

/* apply: run fn(arg) in a child and wait. Returns 0 and res, the item's code
 * (res->message says why), -ECANCELED/-ETIMEDOUT if the caller is
 * interrupted, -ESHUTDOWN, -EMSGSIZE (arg over WEFT_POOL_BUF_MAX bytes:
 * nothing runs), -ENOMEM, -EPERM outside a task. */
int weft_pool_apply(weft_pool *p, weft_pool_fn fn, const weft_buf *arg, weft_pool_result *res);

/*
 * map: run fn over n items; results[i] is the outcome of items[i]. The
 * items are read while the call runs (keep them unchanged until it
 * returns). Returns 0 when every item succeeded, else the first failing
 * code in input order (every result is filled either way, and owned by the
 * caller); -ECANCELED/-ETIMEDOUT if the caller is interrupted (then no
 * result holds anything, items not started are dropped); -ESHUTDOWN;
 * -EMSGSIZE (an item over WEFT_POOL_BUF_MAX bytes: nothing runs); -ENOMEM;
 * -EPERM.
 */
int weft_pool_map(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                  weft_pool_result *results);
/* starmap: map over packed argument tuples (weft_buf_pack); the worker
 * unpacks them with weft_buf_unpack. Same returns as map. */
int weft_pool_starmap(weft_pool *p, weft_pool_fn fn, const weft_buf *packed, size_t n,
                      weft_pool_result *results);

/* The outcome of item i in a weft_pool_results: len bytes at data + off
 * are its result (code 0), or its error message (code != 0; followed by a
 * NUL, and empty if memory ran out for it). */
typedef struct weft_pool_span {
  size_t off;
  uint32_t len;
  int32_t code;
} weft_pool_span;

/* Every outcome of one map in two blocks owned by the caller. Zero it
 * before the first map; a later map reuses (and overwrites) its blocks. */
typedef struct weft_pool_results {
  char *data;            /* every result's (and message's) bytes */
  size_t len, cap;       /* bytes used, bytes allocated */
  weft_pool_span *items; /* items[i]: the outcome of the map's items[i] */
  size_t n, ncap;        /* outcomes held, spans allocated */
} weft_pool_results;

/*
 * map_arena: run fn over n items, as weft_pool_map, with every result in
 * out's blocks instead of one allocation per result. The items are read
 * while the call runs (keep them unchanged until it returns). Returns 0
 * when every item succeeded, else the first failing code in input order
 * (out->n is n, every span filled, either way); -ECANCELED/-ETIMEDOUT if
 * the caller is interrupted (out->n is 0; items not started are dropped);
 * -ESHUTDOWN; -EMSGSIZE (an item over WEFT_POOL_BUF_MAX bytes: nothing
 * runs, out->n is 0); -ENOMEM (no room for the spans: out->n is 0); -EPERM outside
 * a task.
 */
int weft_pool_map_arena(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                        weft_pool_results *out);
/* Result i of r as a buffer into r->data (not owned), or {NULL, 0} for a
 * failed item. Valid until r is reused or freed. */
weft_buf weft_pool_results_buf(const weft_pool_results *r, size_t i);
/* The error message of item i (into r->data), NULL if it succeeded. */
const char *weft_pool_results_message(const weft_pool_results *r, size_t i);
/* Free both blocks and zero r. */
void weft_pool_results_free(weft_pool_results *r);

/* Streaming map: results as they complete. */
typedef struct weft_pool_stream weft_pool_stream;
/* Submit every item now. 0, -ESHUTDOWN, -EMSGSIZE (an item over
 * WEFT_POOL_BUF_MAX bytes), -ENOMEM. */
int weft_pool_stream_new(weft_pool_stream **out, weft_pool *p, weft_pool_fn fn,
                         const weft_buf *items, size_t n);
/* The next item to complete: 0 (or the item's code) with *index and *res
 * filled, WEFT_DONE when every item was returned, -ECANCELED/-ETIMEDOUT
 * if the caller is interrupted (the stream stays usable), -EPERM. */
int weft_pool_stream_next(weft_pool_stream *s, size_t *index, weft_pool_result *res);
/* Free the stream; items still pending are dropped, results not taken
 * are freed. */
void weft_pool_stream_free(weft_pool_stream *s);

/* Refuse new items; children exit once the items already submitted are
 * done. Idempotent. Returns 0. */
int weft_pool_close(weft_pool *p);
/* Kill every child (SIGKILL) and fail every pending and running item with
 * -ECANCELED. Idempotent. Returns 0. */
int weft_pool_terminate(weft_pool *p);
/* Wait until every child has exited and has been reaped (close or
 * terminate first, else -EINVAL). 0, -ECANCELED/-ETIMEDOUT, -EPERM. */
int weft_pool_join(weft_pool *p);
/* Free a pool. A pool not joined is terminated; its memory is released
 * once libuv has closed its handles (on the next loop iteration). */
void weft_pool_free(weft_pool *p);
/* The number of children alive now and the pid of child i (0 if none). */
size_t weft_pool_processes(const weft_pool *p);
pid_t weft_pool_pid(const weft_pool *p, size_t i);

/* ------------------------------------------------------------------ */
/* Process and Worker                                                  */
/* ------------------------------------------------------------------ */

typedef struct weft_process weft_process;

/* Process / Worker: start fn(arg) in a new child process with its own loop.
 * arg is copied. 0, -ENOMEM, -EINVAL (no loop), a fork error. */
int weft_process_start(weft_process **out, weft_pool_fn fn, const weft_buf *arg);
/* Wait for the child to exit. *exitcode (may be NULL) gets its exit status,
 * 1 if fn failed with weft_fail, or -S when killed by signal S (as Python's
 * Process.exitcode; -1 also when other code's waitpid collected the status).
 * Returns 0, -ENOMEM (the child has exited but its result was lost to an
 * allocation failure in this process: weft_process_result says -ENOMEM),
 * -ECANCELED/-ETIMEDOUT, -EPERM. */
int weft_process_join(weft_process *p, int *exitcode);
/* Worker: after join, the result of fn: 0 and *res (moved, call once), fn's
 * error code (res->message), WEFT_POOL_WORKER_DIED if the child died before
 * answering, -EINVAL before join or when taken already. */
int weft_process_result(weft_process *p, weft_pool_result *res);
pid_t weft_process_pid(const weft_process *p);
/* Kill the child (SIGKILL). 0, or -ESRCH once it has exited. */
int weft_process_terminate(weft_process *p);
/* Free (a child still running is killed). */
void weft_process_free(weft_process *p);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_PROCESS_H */
