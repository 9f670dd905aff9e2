/*
 * weft signals: loop.add_signal_handler / remove_signal_handler, and
 * waiting for a signal as a suspension point. Built on libuv's signal
 * watchers, so handlers run as ordinary callbacks on the loop thread (never
 * in signal context).
 *
 * Several loops: a handler belongs to the loop that registered it and runs
 * on that loop's thread. A signal reaches every loop that has a handler or
 * a waiter for it (signals are process-wide).
 *
 * SIGINT: while at least one handler or waiter for SIGINT is registered on
 * a loop, the Ctrl-C handling of weft_run on that loop is suspended: SIGINT
 * goes to the user's code only and no task is cancelled. When the last one
 * is removed, weft_run's handling is back (the next SIGINT cancels every
 * task). Loops without a SIGINT handler keep their own handling.
 */
#ifndef WEFT_SIGNAL_H
#define WEFT_SIGNAL_H

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_signal weft_signal;

/* A signal handler: runs on the loop thread, outside any task (it may spawn
 * tasks). Several deliveries of one signal between two loop iterations may
 * be merged into one call, as with any Unix signal. */
typedef void (*weft_signal_fn)(int signo, void *arg);

/*
 * add_signal_handler: call cb(signo, arg) on the current loop each time
 * signo arrives, until weft_signal_remove. *out gets the handle.
 * Several handlers may watch one signal; each is called.
 * Returns 0, -EINVAL (signo out of range, SIGKILL or SIGSTOP, cb or out
 * NULL, no current loop, closed loop), -ENOMEM, or a libuv error.
 */
int weft_signal_add(int signo, weft_signal_fn cb, void *arg, weft_signal **out);

/* The signal a handle watches. */
int weft_signal_signo(const weft_signal *h);

/*
 * remove_signal_handler: stop and free the handler (its memory is released
 * once libuv has closed the watcher, on the next loop iteration). Call it
 * on the thread of the loop that registered it, before that loop is closed.
 * Returns 0, -EINVAL (h NULL or already removed).
 */
int weft_signal_remove(weft_signal *h);

/*
 * Suspend the current task until signo arrives (a suspension point).
 * Only signals arriving while the task waits count. Returns 0,
 * -ECANCELED / -ETIMEDOUT (cancelled, or the deadline of an enclosing
 * timeout scope passed), -EINVAL (bad signo, as weft_signal_add), -EPERM
 * outside a task, -ENOMEM, or a libuv error.
 */
int weft_signal_wait(int signo);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_SIGNAL_H */
