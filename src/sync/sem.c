/*
 * Semaphore and BoundedSemaphore.
 *
 * A released unit goes straight to the first waiter, so a free unit (value
 * > 0) implies that nobody waits, and acquire can take it without a look at
 * the waiter list.
 */
#include "internal.h"

typedef struct weft__sem {
  weft__list waiters;
  weft_loop *loop;
  long value;
  long initial;
  long bounded;
} weft__sem;

_Static_assert(sizeof(weft__sem) == sizeof(weft_sem), "weft_sem layout");
_Static_assert(offsetof(weft__sem, value) == offsetof(weft_sem, value_), "weft_sem layout");
_Static_assert(offsetof(weft__sem, bounded) == offsetof(weft_sem, bounded_), "weft_sem layout");

static weft__sem *sem_of(weft_sem *sem) {
  return (weft__sem *)(void *)sem;
}

static int sem_setup(weft_sem *sem, long value, long bounded) {
  if (value < 0)
    return -EINVAL;
  *sem = (weft_sem)WEFT_SEM_INIT(value);
  sem->bounded_ = bounded;
  return 0;
}

int weft_sem_init(weft_sem *sem, long value) {
  return sem_setup(sem, value, 0);
}

int weft_bounded_sem_init(weft_sem *sem, long value) {
  return sem_setup(sem, value, 1);
}

int weft_sem_destroy(weft_sem *sem) {
  weft__sem *s = sem_of(sem);

  return weft__sync_check_idle(&s->waiters, s->loop, "semaphore");
}

/* Give a unit to the first waiter, or back to the pool. */
static void sem_pass(weft__sem *s) {
  if (weft__sync_has_waiters(&s->waiters))
    weft__sync_wake_first(&s->waiters, 0);
  else
    s->value++;
}

int weft_sem_acquire(weft_sem *sem) {
  weft__sem *s = sem_of(sem);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&s->loop, t, !weft__sync_has_waiters(&s->waiters))) != 0)
    return rc;
  if (WEFT__LIKELY(s->value > 0)) {
    s->value--;
    return 0;
  }
  if ((rc = weft__sync_park(&s->waiters, &node, t, "semaphore")) != 0)
    return rc;
  if ((rc = weft__sync_pending(t)) != 0)
    sem_pass(s); /* handed a unit, then cancelled: the next waiter gets it */
  return rc;
}

int weft_sem_try_acquire(weft_sem *sem) {
  weft__sem *s = sem_of(sem);
  int rc = weft__sync_bind(&s->loop, weft__current(), !weft__sync_has_waiters(&s->waiters));

  if (rc)
    return rc;
  if (s->value <= 0)
    return -EAGAIN;
  s->value--;
  return 0;
}

int weft_sem_release(weft_sem *sem) {
  weft__sem *s = sem_of(sem);
  int rc = weft__sync_bind(&s->loop, weft__current(), !weft__sync_has_waiters(&s->waiters));

  if (rc)
    return rc;
  if (s->bounded && s->value >= s->initial)
    return -EOVERFLOW;
  sem_pass(s);
  return 0;
}

long weft_sem_value(const weft_sem *sem) {
  return sem->value_;
}

int weft_sem_locked(const weft_sem *sem) {
  return sem->value_ <= 0;
}
