/*
 * weft synchronisation primitives: asyncio's Lock, Event, Condition,
 * Semaphore, BoundedSemaphore and Barrier.
 *
 * Every object is small, embeddable storage: declare it (in a struct, a
 * global or on a task's stack), initialise it with its WEFT_*_INIT macro or
 * its _init() function, and it is ready. Nothing is allocated, neither to
 * create an object nor to wait on it. An initialised object must not be
 * copied or moved while it is in use.
 *
 * Common rules (see docs/api/sync.md):
 *  - waiters are served in FIFO order; an acquire that finds the lock or
 *    semaphore free returns at once without suspending;
 *  - waits are suspension points: they return -EPERM outside a task, and
 *    -ECANCELED / -ETIMEDOUT when the task is cancelled or its timeout scope
 *    expires while waiting;
 *  - an object belongs to the loop of the first task (or callback) that uses
 *    it; using it from another loop returns -EINVAL;
 *  - _destroy returns -EBUSY while tasks wait on the object (in debug mode
 *    it aborts with their names instead).
 */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Lock                                                                */
/* ------------------------------------------------------------------ */

typedef struct weft_lock {
  void *opaque_[5];
} weft_lock;

/* A valid, unlocked lock. */
#define WEFT_LOCK_INIT \
  {                    \
    { 0 }              \
  }

void weft_lock_init(weft_lock *lock);
/* 0, or -EBUSY while tasks wait to acquire it. */
int weft_lock_destroy(weft_lock *lock);
/*
 * Acquire: returns 0 once the calling task holds the lock. A free lock is
 * taken without suspending. -EDEADLK if the caller already holds it (the
 * lock is not reentrant), -ECANCELED, -ETIMEDOUT, -EPERM (outside a task),
 * -EINVAL (other loop). A task cancelled just as the lock is handed to it
 * passes the lock on to the next waiter and returns -ECANCELED.
 */
int weft_lock_acquire(weft_lock *lock);
/* Take the lock only if it is free: 0 or -EBUSY (never suspends). */
int weft_lock_try_acquire(weft_lock *lock);
/*
 * Release: hands the lock to the first waiter, if any. Called from a task,
 * that task must hold it; a plain callback (call_soon, call_later) may
 * release a lock on behalf of its holder. -EPERM if the lock is not held or
 * is held by another task, -EINVAL (other loop).
 */
int weft_lock_release(weft_lock *lock);
/* 1 if held. */
int weft_lock_locked(const weft_lock *lock);

/* ------------------------------------------------------------------ */
/* Event                                                               */
/* ------------------------------------------------------------------ */

typedef struct weft_event {
  void *opaque_[4];
} weft_event;

/* A valid event, not set. */
#define WEFT_EVENT_INIT \
  {                     \
    { 0 }               \
  }

void weft_event_init(weft_event *ev);
int weft_event_destroy(weft_event *ev);
/* Set the flag and wake every waiter. 0 or -EINVAL (other loop). */
int weft_event_set(weft_event *ev);
/* Reset the flag. 0 or -EINVAL. */
int weft_event_clear(weft_event *ev);
int weft_event_is_set(const weft_event *ev);
/* Return 0 at once if the flag is set, else suspend until it is set.
 * -ECANCELED, -ETIMEDOUT, -EPERM, -EINVAL. */
int weft_event_wait(weft_event *ev);

/* ------------------------------------------------------------------ */
/* Condition                                                           */
/* ------------------------------------------------------------------ */

typedef struct weft_cond {
  void *opaque_[10];
} weft_cond;

/* A condition with its own lock. */
#define WEFT_COND_INIT \
  {                    \
    { 0 }              \
  }
/* A condition sharing the lock at address l (a weft_lock *). */
#define WEFT_COND_INIT_LOCK(l) \
  {                            \
    { (l) }                    \
  }

typedef int (*weft_cond_pred)(void *arg);

/* lock NULL: the condition uses its own lock. */
void weft_cond_init(weft_cond *cond, weft_lock *lock);
int weft_cond_destroy(weft_cond *cond);
/* The lock the condition uses. */
weft_lock *weft_cond_lock(weft_cond *cond);
/* Shorthands for weft_lock_acquire/release/locked on that lock. */
int weft_cond_acquire(weft_cond *cond);
int weft_cond_release(weft_cond *cond);
int weft_cond_locked(const weft_cond *cond);
/*
 * Release the lock, wait to be notified, re-acquire the lock. The lock is
 * held again whenever this returns, errors included (re-acquiring ignores
 * cancellation). Returns 0 when notified, -ECANCELED, -ETIMEDOUT, -EPERM
 * (the calling task does not hold the lock, or outside a task), -EINVAL.
 * A waiter notified and cancelled before it could run returns -ECANCELED
 * and passes the notification to the next waiter, so notify(1) always
 * reaches a live task.
 */
int weft_cond_wait(weft_cond *cond);
/* Wait until pred(arg) returns non-zero (checked first, then after each
 * wake-up, always with the lock held). 0 or the codes of weft_cond_wait. */
int weft_cond_wait_for(weft_cond *cond, weft_cond_pred pred, void *arg);
/* Wake up to n waiters. The lock must be held: 0 or -EPERM, -EINVAL. */
int weft_cond_notify(weft_cond *cond, size_t n);
int weft_cond_notify_all(weft_cond *cond);

/* ------------------------------------------------------------------ */
/* Semaphore and BoundedSemaphore                                      */
/* ------------------------------------------------------------------ */

typedef struct weft_sem {
  void *opaque_[3];
  long value_; /* private: set by the initialisers */
  long initial_;
  long bounded_;
} weft_sem;

/* Semaphore(n) and BoundedSemaphore(n); an all-zero weft_sem is a
 * Semaphore(0). */
#define WEFT_SEM_INIT(n) \
  { {0}, (n), (n), 0 }
#define WEFT_BOUNDED_SEM_INIT(n) \
  { {0}, (n), (n), 1 }

/* 0, or -EINVAL for a negative value (asyncio's ValueError). */
int weft_sem_init(weft_sem *sem, long value);
int weft_bounded_sem_init(weft_sem *sem, long value);
int weft_sem_destroy(weft_sem *sem);
/* Take one unit: at once if one is free, else suspend (FIFO). 0,
 * -ECANCELED, -ETIMEDOUT, -EPERM, -EINVAL. A task cancelled just as a unit
 * is handed to it gives the unit to the next waiter. */
int weft_sem_acquire(weft_sem *sem);
/* 0 or -EAGAIN when no unit is free (never suspends). */
int weft_sem_try_acquire(weft_sem *sem);
/* Give one unit back (to the first waiter, if any). Any task or callback may
 * release. -EOVERFLOW for a bounded semaphore released above its initial
 * value (asyncio's ValueError), -EINVAL (other loop). */
int weft_sem_release(weft_sem *sem);
/* Free units. */
long weft_sem_value(const weft_sem *sem);
/* 1 if an acquire would suspend. */
int weft_sem_locked(const weft_sem *sem);

/* ------------------------------------------------------------------ */
/* Barrier                                                             */
/* ------------------------------------------------------------------ */

typedef struct weft_barrier {
  void *opaque_[3];
  long parties_; /* private: set by the initialisers */
  long count_;
  long state_;
} weft_barrier;

#define WEFT_BARRIER_INIT(parties) \
  { {0}, (parties), 0, 0 }

/* 0, or -EINVAL when parties < 1. */
int weft_barrier_init(weft_barrier *b, long parties);
int weft_barrier_destroy(weft_barrier *b);
/*
 * Wait until `parties` tasks have called wait. Returns the caller's arrival
 * index (0 .. parties-1) once the barrier passes; the last to arrive does
 * not suspend. -EPIPE if the barrier is broken or is aborted or reset while
 * waiting (asyncio's BrokenBarrierError), -ECANCELED, -ETIMEDOUT (the
 * caller leaves, the others keep waiting), -EPERM, -EINVAL (other loop, or
 * parties < 1).
 */
long weft_barrier_wait(weft_barrier *b);
/* Put the barrier in the broken state: waiters and later callers get -EPIPE
 * until reset. 0 or -EINVAL. */
int weft_barrier_abort(weft_barrier *b);
/* Back to the empty state; current waiters get -EPIPE. 0 or -EINVAL. */
int weft_barrier_reset(weft_barrier *b);
long weft_barrier_parties(const weft_barrier *b);
/* Tasks waiting in the current cycle. */
long weft_barrier_n_waiting(const weft_barrier *b);
int weft_barrier_broken(const weft_barrier *b);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_SYNC_H */
