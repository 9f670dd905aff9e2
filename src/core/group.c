/*
 * TaskGroup. The group's body is a cancellation scope pushed on the parent
 * task: when a child fails, the siblings are cancelled and the body scope is
 * cancelled, so the parent's suspension points in the body return
 * -ECANCELED -- the parent task itself is never cancelled, and once
 * weft_group_wait pops the scope the parent goes on normally.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

typedef struct group_child {
  weft__waiter w;
  weft_group *g;
  weft_task *task;
  struct group_child *next;
} group_child;

struct weft_group {
  weft__scope body;
  weft_task *parent;
  group_child *children, **tail;
  size_t running;
  weft_task **failed; /* failed children, in order of failure */
  size_t nfailed, failed_cap;
  uint8_t aborting;  /* a child failed or the group was cancelled */
  uint8_t cancelled; /* weft_group_cancel */
  uint8_t exited;    /* weft_group_wait has returned */
  uint8_t waiting;
};

static void group_abort(weft_group *g) {
  if (g->aborting)
    return;
  g->aborting = 1;
  for (group_child *c = g->children; c; c = c->next)
    weft_task_cancel(c->task);
  if (!g->exited)
    weft__scope_cancel(&g->body, -ECANCELED);
}

/* Make room for one more child's error at spawn time, so that recording a
 * failure never allocates and no error can be lost. */
static int group_reserve(weft_group *g) {
  size_t need = g->nfailed + g->running + 1, cap = g->failed_cap ? g->failed_cap : 4;
  weft_task **f;

  if (need <= g->failed_cap)
    return 0;
  while (cap < need)
    cap *= 2;
  f = weft_realloc(g->failed, cap * sizeof(*f));
  if (!f)
    return -ENOMEM;
  g->failed = f;
  g->failed_cap = cap;
  return 0;
}

static void group_note_failure(weft_group *g, weft_task *t) {
  g->failed[g->nfailed++] = t; /* room reserved by weft_group_spawn */
  t->fut.retrieved = 1;
}

static void group_child_done(weft__waiter *w, weft__fut *f) {
  group_child *c = (group_child *)w;
  weft_group *g = c->g;

  g->running--;
  if (f->state == WEFT__FUT_DONE && f->code != 0) {
    group_note_failure(g, c->task);
    group_abort(g);
  }
  if (g->running == 0 && g->waiting)
    weft__wake(g->parent, 0);
}

int weft_group_new(weft_group **out) {
  weft_task *t = weft__current();
  weft_group *g;

  if (!t)
    return -EPERM;
  g = weft_calloc(1, sizeof(*g));
  if (!g)
    return -ENOMEM;
  g->parent = t;
  g->tail = &g->children;
  weft__scope_push(t, &g->body, WEFT__SCOPE_GROUP);
  *out = g;
  return 0;
}

int weft_group_spawn(weft_group *g, weft_task **out, weft_task_fn fn, void *arg,
                     const weft_spawn_opts *opts) {
  weft_spawn_opts o = opts ? *opts : (weft_spawn_opts){0};
  group_child *c;
  int rc;

  /* As asyncio: children may still be added while weft_group_wait waits,
   * only not once it has returned. */
  if (!g || (g->exited && g->running == 0))
    return -EINVAL;
  if (g->aborting)
    return -ESHUTDOWN;
  if (group_reserve(g) != 0)
    return -ENOMEM;
  c = weft_calloc(1, sizeof(*c));
  if (!c)
    return -ENOMEM;
  o.loop = g->parent->fut.loop;
  rc = weft_spawn(&c->task, fn, arg, &o);
  if (rc) {
    weft_free(c);
    return rc;
  }
  c->g = g;
  c->w.fn = group_child_done;
  weft__list_insert_tail(&c->task->fut.waiters, &c->w.link);
  *g->tail = c;
  g->tail = &c->next;
  g->running++;
  if (out)
    *out = weft_task_retain(c->task);
  return 0;
}

static void group_wait_unpark(weft_task *t, void *obj) {
  WEFT__UNUSED(t);
  WEFT__UNUSED(obj);
}

/* Wait until every child is done. If the parent is cancelled meanwhile,
 * cancel the children and keep waiting (shielded), as asyncio does. */
static int group_drain(weft_group *g) {
  weft__scope shield;
  int rc, outer = 0;

  while (g->running) {
    g->waiting = 1;
    rc = weft__park("group", group_wait_unpark, g);
    g->waiting = 0;
    if (rc && !outer) {
      outer = rc;
      group_abort(g);
      weft__scope_push(g->parent, &shield, WEFT__SCOPE_SHIELD);
    }
  }
  if (outer)
    weft__scope_pop(g->parent, &shield);
  return outer;
}

int weft_group_wait(weft_group *g) {
  int outer;

  if (!g || g->exited || weft__current() != g->parent)
    return -EINVAL;
  if (weft__scope_pop(g->parent, &g->body) != 0)
    return -EINVAL; /* a scope opened in the body is still open */
  g->exited = 1;
  outer = group_drain(g);
  if (g->nfailed)
    return g->failed[0]->fut.code;
  if (outer)
    return outer;
  return g->cancelled ? -ECANCELED : 0;
}

void weft_group_cancel(weft_group *g) {
  if (!g)
    return;
  g->cancelled = 1;
  group_abort(g);
}

size_t weft_group_error_count(const weft_group *g) {
  return g ? g->nfailed : 0;
}

int weft_group_error(const weft_group *g, size_t i, const char **message) {
  if (!g || i >= g->nfailed)
    return -EINVAL;
  if (message)
    *message = g->failed[i]->fut.message;
  return g->failed[i]->fut.code;
}

void weft_group_free(weft_group *g) {
  group_child *c;

  if (!g)
    return;
  if (!g->exited && weft__current() == g->parent)
    weft__scope_pop(g->parent, &g->body);
  while ((c = g->children) != NULL) {
    g->children = c->next;
    if (weft__list_linked(&c->w.link)) {
      weft__list_remove(&c->w.link);
      weft_task_cancel(c->task);
    }
    weft_task_release(c->task);
    weft_free(c);
  }
  weft_free(g->failed);
  weft_free(g);
}
