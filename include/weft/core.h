/*
 * weft core: loop, tasks, futures, cancellation scopes, timeouts and
 * combinators.
 *
 * Conventions (see docs/api/core.md for the long form):
 *  - functions that can fail return 0 or a negative errno value;
 *  - suspension points may only be called from inside a task and return
 *    -EPERM otherwise;
 *  - handles (loop, task, future, handle, group, as_completed) are opaque;
 *    objects returned through an out-parameter carry one reference that the
 *    caller releases.
 */
#ifndef WEFT_CORE_H
#define WEFT_CORE_H

#include <errno.h>
#include <math.h> /* INFINITY: "no deadline" for timeouts */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION "0.1.0"

/* Returned by iterators (as_completed, generators) when nothing is left. */
#define WEFT_DONE 1

typedef struct weft_loop weft_loop;
typedef struct weft_task weft_task;
typedef struct weft_future weft_future;
typedef struct weft_handle weft_handle;
typedef struct weft_group weft_group;
typedef struct weft_as_completed weft_as_completed;

/* A task body: runs on its own stack, returns its result. */
typedef void *(*weft_task_fn)(void *arg);
/* A plain callback scheduled on a loop (call_soon, call_later, ...). */
typedef void (*weft_callback)(void *arg);
typedef void (*weft_task_done_fn)(weft_task *task, void *arg);
typedef void (*weft_future_done_fn)(weft_future *future, void *arg);

/* ------------------------------------------------------------------ */
/* Errors and memory                                                   */
/* ------------------------------------------------------------------ */

/* Human-readable text for any code weft returns (negative errno). Never NULL. */
const char *weft_strerror(int err);
/* Symbolic name ("ECANCELED") for a code; "UNKNOWN" for codes weft does not use. */
const char *weft_err_name(int err);

/*
 * Route every allocation weft makes through these functions. Call before
 * any other weft function. NULL restores libc. libuv keeps libc's allocator
 * (some libuv allocation failures abort inside libuv). Returns 0, or -EBUSY
 * once a loop has been created.
 */
int weft_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                       void (*free_fn)(void *));
void *weft_malloc(size_t size);
void *weft_calloc(size_t n, size_t size);
void *weft_realloc(void *ptr, size_t size);
void weft_free(void *ptr);
char *weft_strdup(const char *s);

/* ------------------------------------------------------------------ */
/* Loop                                                                */
/* ------------------------------------------------------------------ */

/* Create a loop. Returns 0, -ENOMEM, or a libuv error. The loop is not made
 * current; weft_loop_set_current() or running it does that. */
int weft_loop_new(weft_loop **out);
/* The loop running on this thread, else the one set with set_current, else
 * NULL. */
weft_loop *weft_loop_current(void);
void weft_loop_set_current(weft_loop *loop);
/* Run until task is done (and its done callbacks have run); returns the
 * task's code (0, its error, -ECANCELED), stores its result in *result when
 * non-NULL. -EAGAIN if the loop was stopped before the task finished, -EBUSY
 * if the loop is already running, -EINVAL if it is closed or the task
 * belongs to another loop. The caller must hold a reference to task. */
int weft_loop_run_until_complete(weft_loop *loop, weft_task *task, void **result);
/* Run until weft_loop_stop(). Returns 0, -EBUSY (running), -EINVAL (closed). */
int weft_loop_run_forever(weft_loop *loop);
/* Ask the loop to return after the current iteration (called before a run,
 * the run does one iteration and returns, as asyncio). */
void weft_loop_stop(weft_loop *loop);
/* Close: releases the loop's internal resources. -EBUSY while running or
 * while tasks are alive or libuv handles opened by the user remain. A closed
 * loop refuses to run (-EINVAL). Closing twice is a no-op. */
int weft_loop_close(weft_loop *loop);
/* Close (if needed) and free. The loop must not be running. */
void weft_loop_free(weft_loop *loop);
int weft_loop_is_running(const weft_loop *loop);
int weft_loop_is_closed(const weft_loop *loop);
/* The loop's libuv loop, for mixing in libuv code. */
struct uv_loop_s *weft_loop_uv(weft_loop *loop);
/* Monotonic clock in seconds, the base of call_at (asyncio's loop.time()). */
double weft_time(void);
/* Debug mode (also switched on by the environment: WEFT_DEBUG=1). */
void weft_loop_set_debug(weft_loop *loop, int on);
/* Poll-skip threshold in seconds: while work keeps arriving, I/O is polled at
 * most this often (default 0.00005). 0 polls every iteration. */
void weft_loop_set_poll_interval(weft_loop *loop, double seconds);

/*
 * asyncio.run: create a loop, run fn(arg) as task "main" to completion, cancel
 * whatever is left and wait for it, close and free the loop. Returns main's
 * code; *result gets its result. The first SIGINT cancels every task and
 * weft_run returns -ECANCELED once they finish; a second one kills the
 * process. Returns -EBUSY when called from inside a running loop.
 */
int weft_run(weft_task_fn fn, void *arg, void **result);

/* Callbacks. loop NULL means the current loop. When out is non-NULL it gets a
 * handle reference (release it with weft_handle_release). Return 0, -ENOMEM,
 * -EINVAL (no loop, closed loop, NaN time). */
int weft_call_soon(weft_loop *loop, weft_callback cb, void *arg, weft_handle **out);
int weft_call_later(weft_loop *loop, double delay, weft_callback cb, void *arg, weft_handle **out);
int weft_call_at(weft_loop *loop, double when, weft_callback cb, void *arg, weft_handle **out);
/* From any thread. Returns 0, -ENOMEM, -EINVAL (closed loop). */
int weft_call_soon_threadsafe(weft_loop *loop, weft_callback cb, void *arg);
/* 1 if the callback was cancelled before it ran, 0 if it already ran or was
 * cancelled before. */
int weft_handle_cancel(weft_handle *h);
int weft_handle_cancelled(const weft_handle *h);
/* The loop time a timer handle fires at (call_soon handles: when created). */
double weft_handle_when(const weft_handle *h);
void weft_handle_release(weft_handle *h);

/* ------------------------------------------------------------------ */
/* Tasks                                                               */
/* ------------------------------------------------------------------ */

typedef struct weft_spawn_opts {
  const char *name;  /* copied; default "Task-N" */
  size_t stack_size; /* bytes; 0 = weft_default_stack_size() */
  weft_loop *loop;   /* 0 = the current loop */
} weft_spawn_opts;

typedef enum weft_task_state {
  WEFT_TASK_PENDING = 0,
  WEFT_TASK_FINISHED = 1,
  WEFT_TASK_CANCELLED = 2,
} weft_task_state;

#define WEFT_STACK_MIN (16u * 1024u)
#define WEFT_STACK_DEFAULT (256u * 1024u)

/*
 * create_task: schedule fn(arg) on its own stack. It starts when the caller
 * next suspends (or when the loop runs). *out, when non-NULL, gets a
 * reference. Returns 0, -ENOMEM, -EINVAL (stack_size below WEFT_STACK_MIN,
 * no loop, closed loop).
 */
int weft_spawn(weft_task **out, weft_task_fn fn, void *arg, const weft_spawn_opts *opts);

/* Record an error for the current task and return NULL, so a task body can
 * `return weft_fail(-EDOM, "division by zero");`. The task then fails with
 * that code and message (code must be negative; -ECANCELED ends it
 * cancelled). Outside a task it does nothing. */
void *weft_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Await: suspend until task is done. Returns 0 and *result, the task's error
 * code, -ECANCELED (task cancelled, or the caller was). If the caller is
 * cancelled or times out while waiting, the awaited task is cancelled too
 * (as asyncio); use weft_shield to avoid that. -EPERM outside a task,
 * -EDEADLK on itself, -EINVAL on a task of another loop. */
int weft_await(weft_task *task, void **result);

/* Returns 1 if the task is not done (cancellation is requested, or was
 * already), 0 if it is done. */
int weft_task_cancel(weft_task *task);
int weft_task_done(const weft_task *task);
int weft_task_cancelled(const weft_task *task);
weft_task_state weft_task_state_get(const weft_task *task);
/* "PENDING", "FINISHED" or "CANCELLED" */
const char *weft_task_state_name(const weft_task *task);
/* Non-blocking result: 0 (and *result), the error code, -ECANCELED, or
 * -EAGAIN when the task is not done (InvalidStateError). Marks the error as
 * retrieved. */
int weft_task_result(weft_task *task, void **result);
/* The error message of a failed task (NULL if none); valid while the task is. */
const char *weft_task_error(weft_task *task);
const char *weft_task_name(weft_task *task);
int weft_task_set_name(weft_task *task, const char *name);
weft_loop *weft_task_loop(const weft_task *task);
/* Done callbacks run soon after the task finishes, in registration order.
 * Adding to a done task schedules the callback at once. */
int weft_task_add_done_callback(weft_task *task, weft_task_done_fn cb, void *arg);
/* Removes every registration of (cb, arg); returns how many. */
size_t weft_task_remove_done_callback(weft_task *task, weft_task_done_fn cb, void *arg);
weft_task *weft_task_retain(weft_task *task);
void weft_task_release(weft_task *task);

/* The running task, or NULL outside a task. */
weft_task *weft_current_task(void);
/* Unfinished tasks of loop (NULL: current). Fills up to cap borrowed
 * pointers and returns how many there are in all. */
size_t weft_all_tasks(weft_loop *loop, weft_task **out, size_t cap);

/* Task-local values (contextvars): a child task starts with a copy of its
 * parent's values. key is any unique address. */
int weft_local_set(const void *key, void *value);
void *weft_local_get(const void *key);

/* Suspension points. seconds <= 0 is a yield. -EINVAL for NaN. */
int weft_sleep(double seconds);
int weft_yield(void);

void weft_set_default_stack_size(size_t bytes);
size_t weft_default_stack_size(void);

/* ------------------------------------------------------------------ */
/* Futures                                                             */
/* ------------------------------------------------------------------ */

/* A future on loop (NULL: current). 0, -ENOMEM, -EINVAL (no loop). */
int weft_future_new(weft_future **out, weft_loop *loop);
/* 0, or -EINVAL when already done (InvalidStateError). */
int weft_future_set_result(weft_future *f, void *result);
int weft_future_set_error(weft_future *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int weft_future_cancel(weft_future *f);
int weft_future_done(const weft_future *f);
int weft_future_cancelled(const weft_future *f);
int weft_future_result(weft_future *f, void **result);
const char *weft_future_error(weft_future *f);
/* Suspend until done: 0 and *result, its error code, or -ECANCELED. A
 * cancelled awaiter does not cancel the future. */
int weft_future_await(weft_future *f, void **result);
int weft_future_add_done_callback(weft_future *f, weft_future_done_fn cb, void *arg);
size_t weft_future_remove_done_callback(weft_future *f, weft_future_done_fn cb, void *arg);
weft_future *weft_future_retain(weft_future *f);
void weft_future_release(weft_future *f);

/* ------------------------------------------------------------------ */
/* Cancellation scopes: timeouts and shields                           */
/* ------------------------------------------------------------------ */

/* Sized opaque storage for a scope that lives on the caller's stack. */
typedef struct weft_scope {
  void *opaque_[12];
} weft_scope;

/*
 * asyncio.timeout(delay): past the deadline every suspension point inside
 * the scope returns -ETIMEDOUT until the scope is left. delay = INFINITY
 * means no deadline. Scopes nest and must be left in reverse order.
 * Returns 0, -EINVAL (NaN or negative delay), -EPERM outside a task.
 */
int weft_timeout_enter(weft_scope *scope, double delay);
/* Same with an absolute loop time (weft_time()); a time in the past expires
 * at once. */
int weft_timeout_enter_at(weft_scope *scope, double when);
/* Move the deadline (absolute; INFINITY for none). -EINVAL if the scope has
 * already expired or when is NaN. */
int weft_timeout_reschedule(weft_scope *scope, double when);
/* The deadline, INFINITY if none. */
double weft_timeout_when(const weft_scope *scope);
int weft_timeout_expired(const weft_scope *scope);
/* Leave the scope: returns -ETIMEDOUT if its deadline has passed (whether
 * or not a suspension point saw it), else 0. -EINVAL if it is not the
 * innermost open scope. */
int weft_timeout_leave(weft_scope *scope);

/* A shield scope: cancellation and timeouts from outside it do not reach the
 * suspension points inside. Leave returns 0 or -EINVAL (not innermost). */
int weft_shield_enter(weft_scope *scope);
int weft_shield_leave(weft_scope *scope);

/* asyncio.shield(task): await task without cancelling it when the caller is
 * cancelled or times out. */
int weft_shield(weft_task *task, void **result);

/* asyncio.wait_for: await task with a timeout in seconds; at the deadline
 * cancel the task, wait for it to finish, return -ETIMEDOUT (or its result if
 * it returned one anyway). -EINVAL for NaN/negative timeout. */
int weft_wait_for(weft_task *task, double timeout, void **result);

/* ------------------------------------------------------------------ */
/* Combinators                                                         */
/* ------------------------------------------------------------------ */

#define WEFT_RETURN_EXCEPTIONS 1

/*
 * asyncio.gather: wait for every task; results[i] gets task i's result.
 * Without WEFT_RETURN_EXCEPTIONS the first failure is returned at once (the
 * other tasks keep running). With it, every task is waited for, errors[i]
 * gets each code (0 for success) and the call returns 0. If the caller is
 * cancelled while gathering, every unfinished child is cancelled.
 * results and errors may be NULL. Returns 0, a child's code, -ECANCELED,
 * -ETIMEDOUT (caller's scope), -EPERM, -EINVAL, -ENOMEM.
 */
int weft_gather(weft_task *const *tasks, size_t n, int flags, void **results, int *errors);

typedef enum weft_return_when {
  WEFT_ALL_COMPLETED = 0,
  WEFT_FIRST_COMPLETED = 1,
  WEFT_FIRST_EXCEPTION = 2,
} weft_return_when;

/*
 * asyncio.wait: wait until the condition holds or timeout seconds pass
 * (INFINITY: no timeout). done[i] is set to 1 for finished tasks, 0 for
 * pending ones; *ndone gets the count. A timeout is not an error (returns 0
 * with pending tasks). Tasks are never cancelled by wait.
 * Returns 0, -ECANCELED/-ETIMEDOUT (caller's scope), -EINVAL, -EPERM, -ENOMEM.
 */
int weft_wait(weft_task *const *tasks, size_t n, weft_return_when when, double timeout, int *done,
              size_t *ndone);

/* asyncio.as_completed: yields the tasks in the order they finish.
 * timeout INFINITY for none. */
int weft_as_completed_new(weft_as_completed **out, weft_task *const *tasks, size_t n,
                          double timeout);
/* 0 and *next (borrowed) for the next finished task, WEFT_DONE when all have
 * been returned, -ETIMEDOUT past the timeout, -ECANCELED. */
int weft_as_completed_next(weft_as_completed *ac, weft_task **next);
void weft_as_completed_free(weft_as_completed *ac);

/*
 * TaskGroup. weft_group_new opens the group's body scope in the current
 * task; weft_group_wait waits for every child, leaves that scope and returns
 * 0 or the first child error. When a child fails, its siblings are cancelled
 * and the body's suspension points return -ECANCELED until the body reaches
 * weft_group_wait; the parent task itself is not cancelled.
 */
int weft_group_new(weft_group **out);
int weft_group_spawn(weft_group *g, weft_task **out, weft_task_fn fn, void *arg,
                     const weft_spawn_opts *opts);
int weft_group_wait(weft_group *g);
/* Cancel the group: every child and the body. */
void weft_group_cancel(weft_group *g);
/* Errors kept by the group (every failed child, in order of failure). */
size_t weft_group_error_count(const weft_group *g);
int weft_group_error(const weft_group *g, size_t i, const char **message);
/* Free a group (after weft_group_wait). */
void weft_group_free(weft_group *g);

/* ------------------------------------------------------------------ */
/* Introspection                                                       */
/* ------------------------------------------------------------------ */

/* Every task of the current loop: name, state, what it waits on, stack size
 * and high-water mark. */
void weft_dump_tasks(FILE *out);
/* What a suspended task waits on ("sleep", "await", "lock" ...), or NULL. */
const char *weft_task_waiting_on(const weft_task *task);
/* Stack size and bytes touched so far (page granularity). */
size_t weft_task_stack_size(const weft_task *task);
size_t weft_task_stack_used(const weft_task *task);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_CORE_H */
