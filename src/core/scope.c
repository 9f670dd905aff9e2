/*
 * Cancellation scopes. Every task has a root scope; timeouts, shields and
 * TaskGroup bodies push nested scopes on the task's scope chain. A cancelled
 * scope makes every suspension point inside it fail, until the task leaves
 * it. A shield scope hides what happens to the scopes outside it.
 */
#include <errno.h>
#include <math.h>

#include "internal.h"

_Static_assert(sizeof(weft__scope) <= sizeof(weft_scope), "weft_scope too small");

static void scope_timer_fired(weft__timer *tm) {
  weft__scope *s = weft__container_of(tm, weft__scope, timer);

  s->expired = 1;
  weft__scope_cancel(s, -ETIMEDOUT);
}

void weft__scope_push(weft_task *t, weft__scope *s, uint8_t kind) {
  s->parent = t->scope;
  s->task = t;
  s->code = 0;
  s->kind = kind;
  s->shield = kind == WEFT__SCOPE_SHIELD;
  s->expired = 0;
  weft__timer_init(&s->timer, scope_timer_fired);
  s->timer.when = UINT64_MAX;
  t->scope = s;
}

int weft__scope_pop(weft_task *t, weft__scope *s) {
  if (t->scope != s)
    return -EINVAL;
  weft__timer_stop(t->fut.loop, &s->timer);
  t->scope = s->parent;
  return 0;
}

int weft__scope_pending_walk(const weft_task *t) {
  int rc = 0;

  for (const weft__scope *s = t->scope; s; s = s->parent) {
    if (s->code == -ECANCELED)
      return -ECANCELED;
    if (s->code)
      rc = s->code;
    if (s->shield)
      break;
  }
  return rc;
}

void weft__scope_cancel(weft__scope *s, int code) {
  if (s->code == -ECANCELED || s->code == code)
    return;
  s->code = code;
  weft__interrupt(s->task);
}

/* ---- public timeouts and shields ------------------------------------ */

/* A deadline already passed expires at once rather than at the next timer
 * run, so even a bare yield (which never waits for timers) sees it. */
static int scope_arm(weft__scope *s, uint64_t ns) {
  weft_loop *loop = s->task->fut.loop;

  if (ns > weft__now())
    return weft__timer_start(loop, &s->timer, ns);
  weft__timer_stop(loop, &s->timer);
  s->timer.when = ns;
  s->expired = 1;
  weft__scope_cancel(s, -ETIMEDOUT);
  return 0;
}

static weft__scope *scope_of(weft_scope *scope) {
  return (weft__scope *)(void *)scope;
}

int weft_timeout_enter_at(weft_scope *scope, double when) {
  weft_task *t = weft__current();
  weft__scope *s = scope_of(scope);
  uint64_t ns;
  int rc;

  if (!t)
    return -EPERM;
  if (weft__when_to_ns(when, &ns) != 0)
    return -EINVAL;
  weft__scope_push(t, s, WEFT__SCOPE_TIMEOUT);
  if (ns == UINT64_MAX)
    return 0;
  rc = scope_arm(s, ns);
  if (rc != 0)
    weft__scope_pop(t, s);
  return rc;
}

int weft_timeout_enter(weft_scope *scope, double delay) {
  if (isnan(delay) || delay < 0)
    return -EINVAL;
  if (isinf(delay))
    return weft_timeout_enter_at(scope, INFINITY);
  return weft_timeout_enter_at(scope, weft_time() + delay);
}

int weft_timeout_reschedule(weft_scope *scope, double when) {
  weft__scope *s = scope_of(scope);
  uint64_t ns;

  if (s->kind != WEFT__SCOPE_TIMEOUT || s->expired || weft__when_to_ns(when, &ns) != 0)
    return -EINVAL;
  if (ns == UINT64_MAX) {
    weft__timer_stop(s->task->fut.loop, &s->timer);
    s->timer.when = UINT64_MAX;
    return 0;
  }
  return scope_arm(s, ns);
}

double weft_timeout_when(const weft_scope *scope) {
  const weft__scope *s = (const weft__scope *)(const void *)scope;

  if (s->timer.when == UINT64_MAX)
    return INFINITY;
  return (double)s->timer.when / 1e9;
}

int weft_timeout_expired(const weft_scope *scope) {
  return ((const weft__scope *)(const void *)scope)->expired;
}

int weft_timeout_leave(weft_scope *scope) {
  weft__scope *s = scope_of(scope);
  weft_task *t = weft__current();

  if (!t || s->kind != WEFT__SCOPE_TIMEOUT || weft__scope_pop(t, s) != 0)
    return -EINVAL;
  if (s->timer.when != UINT64_MAX && s->timer.when <= weft__now())
    s->expired = 1; /* the body ran past the deadline without suspending */
  return s->expired ? -ETIMEDOUT : 0;
}

int weft_shield_enter(weft_scope *scope) {
  weft_task *t = weft__current();

  if (!t)
    return -EPERM;
  weft__scope_push(t, scope_of(scope), WEFT__SCOPE_SHIELD);
  return 0;
}

int weft_shield_leave(weft_scope *scope) {
  weft__scope *s = scope_of(scope);
  weft_task *t = weft__current();

  if (!t || s->kind != WEFT__SCOPE_SHIELD)
    return -EINVAL;
  return weft__scope_pop(t, s);
}
