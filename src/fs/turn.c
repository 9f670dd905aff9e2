/*
 * Turns: the calls of tasks sharing a file object take turns, as Python's
 * buffered files take their lock. Taking a free turn is a flag in
 * internal.h (a line read from the buffer costs tens of nanoseconds, a
 * general lock would add a quarter); this is the slow path: a call that
 * finds another task's call under way waits in FIFO order, and the turn
 * passes straight to the first waiter.
 */
#include "internal.h"

typedef struct turn_waiter {
  weft__list link;
  weft_task *task;
} turn_waiter;

static void turn_interrupted(weft_task *t, void *obj) {
  turn_waiter *w = obj;

  WEFT__UNUSED(t);
  weft__list_remove(&w->link);
}

int weft__file_wait_turn(weft_file *f, const char *op) {
  turn_waiter w;
  int rc;

  if (!f)
    return weft__fs_fail(-EBADF, op, NULL);
  if (!(w.task = weft__current()))
    return weft__fs_fail(-EPERM, op, f->path);
  weft__list_insert_tail(&f->turns, &w.link);
  rc = weft__park("fs", turn_interrupted, &w);
  if (weft__list_linked(&w.link))
    weft__list_remove(&w.link); /* a pending interruption: it never waited */
  return rc ? weft__fs_fail(rc, op, f->path) : 0;
}

void weft__file_pass_turn(weft_file *f) {
  turn_waiter *w = weft__container_of(f->turns.next, turn_waiter, link);

  weft__list_remove(&w->link);
  weft__wake(w->task, 0); /* busy stays set: the turn is w's now */
}
