/*
 * Shared internals of the sync layer: the waiter node every primitive links
 * on the waiting task's stack, loop binding, and the lock that Condition
 * builds on.
 */
#ifndef WEFT_SYNC_INTERNAL_H
#define WEFT_SYNC_INTERNAL_H

#include <errno.h>

#include "../core/internal.h"
#include "weft/queue.h"
#include "weft/sync.h"

/* A task waiting on a primitive. Lives on that task's stack for as long as
 * it is parked; whoever wakes it unlinks it first. */
typedef struct weft__sync_node {
  weft__list link;
  weft_task *task;
  void *item; /* queues: the item handed over (get) or offered (put) */
  long value; /* barrier: the arrival index */
} weft__sync_node;

/* The waiter lists of zero-initialised objects are set up on first use. */
static inline weft__list *weft__sync_list(weft__list *l) {
  if (WEFT__UNLIKELY(!l->next))
    weft__list_init(l);
  return l;
}

static inline int weft__sync_has_waiters(const weft__list *l) {
  return l->next && !weft__list_empty(l);
}

static inline weft__sync_node *weft__sync_first(weft__list *l) {
  return weft__container_of(l->next, weft__sync_node, link);
}

/* Unlink the first waiter and wake it with code. */
static inline weft__sync_node *weft__sync_wake_first(weft__list *l, int code) {
  weft__sync_node *n = weft__sync_first(l);

  weft__list_remove(&n->link);
  weft__wake(n->task, code);
  return n;
}

/* Wake every waiter of l with code, in FIFO order. */
static inline void weft__sync_wake_all(weft__list *l, int code) {
  while (weft__sync_has_waiters(l))
    weft__sync_wake_first(l, code);
}

/* Bind the object to the loop using it; -EINVAL when a task or callback
 * of another loop uses it while it is busy (held, waited on, holding
 * items). An idle object follows its user, so a global object can serve
 * one weft_run after another. t may be NULL (a callback): the thread's
 * loop is used then. */
static inline int weft__sync_bind(weft_loop **slot, weft_task *t, int idle) {
  weft_loop *loop = t ? t->fut.loop : weft_loop_current();

  if (WEFT__LIKELY(*slot == loop))
    return 0;
  if (!*slot || idle) {
    *slot = loop;
    return 0;
  }
  return loop ? -EINVAL : 0;
}

/* Park the current task t with node linked at the tail of l. Returns 0
 * when woken by weft__sync_wake_*, else the wake or interruption code; the
 * node is unlinked in every case. */
int weft__sync_park(weft__list *l, weft__sync_node *node, weft_task *t, const char *what);
/* The cancellation or timeout pending for t, recorded as seen by the task
 * (as a suspension point would), or 0. */
int weft__sync_pending(weft_task *t);
/* Refuse to destroy an object tasks wait on: -EBUSY, or a panic listing
 * the waiting tasks when the loop is in debug mode. */
int weft__sync_check_idle(weft__list *waiters, weft_loop *loop, const char *what);

/* The lock (also used by Condition). */
typedef struct weft__lock {
  weft__list waiters;
  weft_loop *loop;
  weft_task *owner; /* NULL when free */
  void *spare_;
} weft__lock;

int weft__lock_acquire(weft__lock *l, weft_task *t);
int weft__lock_release(weft__lock *l, weft_task *t);

#endif
