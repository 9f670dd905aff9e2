/*
 * Lock and Event, and the waiting helpers every primitive shares.
 *
 * Releasing a lock with waiters hands it to the first one directly (the
 * owner changes before that task even runs), so no other task can barge in
 * and the waiters are served in FIFO order.
 */
#include <stdio.h>

#include "internal.h"

_Static_assert(sizeof(weft__lock) <= sizeof(weft_lock), "weft_lock too small");

/* ---- shared helpers ------------------------------------------------- */

static void node_unlink(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  weft__list_remove(&((weft__sync_node *)obj)->link);
}

int weft__sync_park(weft__list *l, weft__sync_node *node, weft_task *t, const char *what) {
  int rc;

  node->task = t;
  weft__list_insert_tail(weft__sync_list(l), &node->link);
  rc = weft__park(what, node_unlink, node);
  if (rc)
    weft__list_remove(&node->link); /* never parked, or already unlinked */
  return rc;
}

int weft__sync_pending(weft_task *t) {
  if (WEFT__LIKELY(!weft__scope_pending(t)))
    return 0;
  /* With a cancellation pending, weft__park returns it at once, and notes
   * that the task has seen it (which decides the task's outcome). */
  return weft__park("sync", NULL, NULL);
}

int weft__sync_check_idle(weft__list *waiters, weft_loop *loop, const char *what) {
  if (!weft__sync_has_waiters(waiters))
    return 0;
  if (loop && loop->debug) {
    fprintf(stderr, "weft: %s destroyed while tasks wait on it:", what);
    for (weft__list *l = waiters->next; l != waiters; l = l->next)
      fprintf(stderr, " '%s'", weft_task_name(weft__container_of(l, weft__sync_node, link)->task));
    weft__panic("\nweft: destroying a %s with waiters", what);
  }
  return -EBUSY;
}

/* ---- Lock ----------------------------------------------------------- */

static weft__lock *lock_of(weft_lock *lock) {
  return (weft__lock *)(void *)lock;
}

/* Hand the lock to the first waiter, or free it. */
static void lock_pass(weft__lock *l) {
  if (weft__sync_has_waiters(&l->waiters)) {
    l->owner = weft__sync_first(&l->waiters)->task;
    weft__sync_wake_first(&l->waiters, 0);
  } else {
    l->owner = NULL;
  }
}

static int lock_wait(weft__lock *l, weft_task *t) {
  weft__sync_node node;
  int rc = weft__sync_park(&l->waiters, &node, t, "lock");

  if (rc)
    return rc;
  /* We own the lock now. Cancelled between the hand-off and now: as in
   * asyncio, give it to the next waiter rather than sit on it. */
  rc = weft__sync_pending(t);
  if (rc)
    lock_pass(l);
  return rc;
}

int weft__lock_acquire(weft__lock *l, weft_task *t) {
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&l->loop, t, !l->owner)) != 0)
    return rc;
  if (WEFT__LIKELY(!l->owner)) {
    l->owner = t;
    return 0;
  }
  if (l->owner == t)
    return -EDEADLK;
  return lock_wait(l, t);
}

int weft__lock_release(weft__lock *l, weft_task *t) {
  int rc = weft__sync_bind(&l->loop, t, !l->owner);

  if (rc)
    return rc;
  if (!l->owner || (t && l->owner != t))
    return -EPERM;
  lock_pass(l);
  return 0;
}

void weft_lock_init(weft_lock *lock) {
  *lock = (weft_lock)WEFT_LOCK_INIT;
}

int weft_lock_destroy(weft_lock *lock) {
  weft__lock *l = lock_of(lock);

  return weft__sync_check_idle(&l->waiters, l->loop, "lock");
}

int weft_lock_acquire(weft_lock *lock) {
  return weft__lock_acquire(lock_of(lock), weft__current());
}

int weft_lock_try_acquire(weft_lock *lock) {
  weft__lock *l = lock_of(lock);
  weft_task *t = weft__current();
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&l->loop, t, !l->owner)) != 0)
    return rc;
  if (l->owner)
    return -EBUSY;
  l->owner = t;
  return 0;
}

int weft_lock_release(weft_lock *lock) {
  return weft__lock_release(lock_of(lock), weft__current());
}

int weft_lock_locked(const weft_lock *lock) {
  return ((const weft__lock *)(const void *)lock)->owner != NULL;
}

/* ---- Event ---------------------------------------------------------- */

typedef struct weft__event {
  weft__list waiters;
  weft_loop *loop;
  long set;
} weft__event;

_Static_assert(sizeof(weft__event) <= sizeof(weft_event), "weft_event too small");

static weft__event *event_of(weft_event *ev) {
  return (weft__event *)(void *)ev;
}

void weft_event_init(weft_event *ev) {
  *ev = (weft_event)WEFT_EVENT_INIT;
}

int weft_event_destroy(weft_event *ev) {
  weft__event *e = event_of(ev);

  return weft__sync_check_idle(&e->waiters, e->loop, "event");
}

int weft_event_set(weft_event *ev) {
  weft__event *e = event_of(ev);
  int rc = weft__sync_bind(&e->loop, weft__current(), !weft__sync_has_waiters(&e->waiters));

  if (rc)
    return rc;
  if (!e->set) {
    e->set = 1;
    weft__sync_wake_all(&e->waiters, 0);
  }
  return 0;
}

int weft_event_clear(weft_event *ev) {
  weft__event *e = event_of(ev);
  int rc = weft__sync_bind(&e->loop, weft__current(), !weft__sync_has_waiters(&e->waiters));

  if (rc)
    return rc;
  e->set = 0;
  return 0;
}

int weft_event_is_set(const weft_event *ev) {
  return ((const weft__event *)(const void *)ev)->set != 0;
}

int weft_event_wait(weft_event *ev) {
  weft__event *e = event_of(ev);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&e->loop, t, !weft__sync_has_waiters(&e->waiters))) != 0)
    return rc;
  if (e->set)
    return 0;
  return weft__sync_park(&e->waiters, &node, t, "event");
}
