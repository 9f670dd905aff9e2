/*
 * Condition: a waiter list plus a lock (its own, or one it shares).
 *
 * wait releases the lock, parks, then re-acquires the lock inside a shield
 * scope, so the lock is held again whenever wait returns — errors included
 * — and cancellation cannot make it spin (asyncio loops on acquire for the
 * same reason).
 */
#include "internal.h"

typedef struct weft__cond {
  weft__lock *lock; /* shared lock, or NULL for own */
  weft__list waiters;
  weft_loop *loop;
  weft__lock own;
} weft__cond;

_Static_assert(sizeof(weft__cond) <= sizeof(weft_cond), "weft_cond too small");
_Static_assert(offsetof(weft__cond, lock) == 0, "WEFT_COND_INIT_LOCK sets the first word");

static weft__cond *cond_of(weft_cond *cond) {
  return (weft__cond *)(void *)cond;
}

static weft__lock *cond_lock(weft__cond *c) {
  return c->lock ? c->lock : &c->own;
}

void weft_cond_init(weft_cond *cond, weft_lock *lock) {
  *cond = (weft_cond)WEFT_COND_INIT;
  cond_of(cond)->lock = (weft__lock *)(void *)lock;
}

int weft_cond_destroy(weft_cond *cond) {
  weft__cond *c = cond_of(cond);
  int rc = weft__sync_check_idle(&c->waiters, c->loop, "condition");

  if (rc == 0 && !c->lock)
    rc = weft__sync_check_idle(&c->own.waiters, c->own.loop, "condition's lock");
  return rc;
}

weft_lock *weft_cond_lock(weft_cond *cond) {
  return (weft_lock *)(void *)cond_lock(cond_of(cond));
}

int weft_cond_acquire(weft_cond *cond) {
  return weft__lock_acquire(cond_lock(cond_of(cond)), weft__current());
}

int weft_cond_release(weft_cond *cond) {
  return weft__lock_release(cond_lock(cond_of(cond)), weft__current());
}

int weft_cond_locked(const weft_cond *cond) {
  const weft__cond *c = (const weft__cond *)(const void *)cond;

  return (c->lock ? c->lock : &c->own)->owner != NULL;
}

static void cond_notify(weft__cond *c, size_t n) {
  while (n-- > 0 && weft__sync_has_waiters(&c->waiters))
    weft__sync_wake_first(&c->waiters, 0);
}

/* Re-acquire the lock, deaf to cancellation: the caller must get it back. */
static void cond_reacquire(weft__lock *l, weft_task *t) {
  weft__scope shield;

  weft__scope_push(t, &shield, WEFT__SCOPE_SHIELD);
  weft__lock_acquire(l, t); /* cannot fail: shielded, same loop, not held */
  weft__scope_pop(t, &shield);
}

/* Checks shared by wait and wait_for: the caller holds the lock. */
static int cond_check(weft__cond *c, weft_task *t) {
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&c->loop, t, !weft__sync_has_waiters(&c->waiters))) != 0)
    return rc;
  if ((rc = weft__sync_bind(&cond_lock(c)->loop, t, !cond_lock(c)->owner)) != 0)
    return rc;
  return cond_lock(c)->owner == t ? 0 : -EPERM;
}

static int cond_wait(weft__cond *c, weft_task *t) {
  weft__lock *l = cond_lock(c);
  weft__sync_node node;
  int rc;

  /* Releasing only readies the next holder; it runs after we have parked,
   * so a notify cannot slip between the two. */
  weft__lock_release(l, t);
  rc = weft__sync_park(&c->waiters, &node, t, "condition");
  cond_reacquire(l, t);
  if (rc == 0 && (rc = weft__sync_pending(t)) != 0)
    cond_notify(c, 1); /* notified but cancelled meanwhile: pass it on */
  return rc;
}

int weft_cond_wait(weft_cond *cond) {
  weft__cond *c = cond_of(cond);
  weft_task *t = weft__current();
  int rc = cond_check(c, t);

  return rc ? rc : cond_wait(c, t);
}

int weft_cond_wait_for(weft_cond *cond, weft_cond_pred pred, void *arg) {
  weft__cond *c = cond_of(cond);
  weft_task *t = weft__current();
  int rc = cond_check(c, t);

  if (rc)
    return rc;
  if (!pred)
    return -EINVAL;
  while (!pred(arg))
    if ((rc = cond_wait(c, t)) != 0)
      return rc;
  return 0;
}

int weft_cond_notify(weft_cond *cond, size_t n) {
  weft__cond *c = cond_of(cond);
  int rc = weft__sync_bind(&c->loop, weft__current(), !weft__sync_has_waiters(&c->waiters));

  if (rc)
    return rc;
  if (!cond_lock(c)->owner)
    return -EPERM; /* asyncio: cannot notify on un-acquired lock */
  cond_notify(c, n);
  return 0;
}

int weft_cond_notify_all(weft_cond *cond) {
  return weft_cond_notify(cond, SIZE_MAX);
}
