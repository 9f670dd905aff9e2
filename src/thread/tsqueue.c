/*
 * janus: one FIFO queue with a blocking side for plain threads and an
 * awaitable side for tasks of any loop.
 *
 * Threads wait on condition variables. A task waits with a node on its own
 * stack, linked in the queue under the queue's mutex; whoever satisfies it
 * (any thread) unlinks it, stores the item or the code in it and posts the
 * node's wake-up to the task's loop. The node stays valid until that
 * wake-up runs: if the task is interrupted after being granted, the
 * interruption is dropped (wake_in_flight) and the cancellation is seen at
 * its next suspension point, so an item is never lost or duplicated.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "thread/internal.h"
#include "weft/thread.h"

typedef struct tsq_waiter {
  weft__list link;
  weft_tsqueue *q;
  weft_task *task;
  void *item;
  int result;
  int granted;
  weft__ts_node wake;
} tsq_waiter;

struct weft_tsqueue {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full, all_done;
  void **ring;
  size_t cap, head, len, maxsize, unfinished;
  size_t sync_getters, sync_putters;
  int closed;
  weft__list getters, putters, joiners; /* tasks */
};

int weft_tsqueue_new(weft_tsqueue **out, size_t maxsize) {
  weft_tsqueue *q = weft_calloc(1, sizeof(*q));

  if (!q)
    return -ENOMEM;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->not_empty, NULL);
  pthread_cond_init(&q->not_full, NULL);
  pthread_cond_init(&q->all_done, NULL);
  weft__list_init(&q->getters);
  weft__list_init(&q->putters);
  weft__list_init(&q->joiners);
  q->maxsize = maxsize;
  *out = q;
  return 0;
}

/* ---- the ring (under q->lock) --------------------------------------- */

static int ring_push(weft_tsqueue *q, void *item) {
  if (q->len == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 16;
    void **ring = weft_malloc(cap * sizeof(*ring));
    if (!ring)
      return -ENOMEM;
    for (size_t i = 0; i < q->len; i++)
      ring[i] = q->ring[(q->head + i) % q->cap];
    weft_free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
  }
  q->ring[(q->head + q->len++) % q->cap] = item;
  return 0;
}

static void *ring_pop(weft_tsqueue *q) {
  void *item = q->ring[q->head];

  q->head = (q->head + 1) % q->cap;
  q->len--;
  return item;
}

/* ---- waking tasks (under q->lock) ----------------------------------- */

static void waiter_wake_cb(void *arg) {
  tsq_waiter *w = arg;

  weft__wake(w->task, 0);
}

static void grant(tsq_waiter *w, int result) {
  weft__list_remove(&w->link);
  w->granted = 1;
  w->result = result;
  w->wake.cb = waiter_wake_cb;
  w->wake.arg = w;
  /* The task's loop runs until the task returns, so this cannot fail. */
  weft__post_threadsafe(w->task->fut.loop, &w->wake);
}

static tsq_waiter *first(weft__list *l) {
  return weft__list_empty(l) ? NULL : weft__container_of(l->next, tsq_waiter, link);
}

static void grant_all(weft__list *l, int result) {
  tsq_waiter *w;

  while ((w = first(l)) != NULL)
    grant(w, result);
}

/* ---- put and get (under q->lock) ------------------------------------ */

static int put_locked(weft_tsqueue *q, void *item) {
  tsq_waiter *g = first(&q->getters);
  int rc;

  if (q->closed)
    return -ESHUTDOWN;
  if (g) { /* a task waits for an item: hand it over */
    g->item = item;
    grant(g, 0);
    q->unfinished++;
    return 0;
  }
  if (q->maxsize && q->len >= q->maxsize)
    return -EAGAIN;
  if ((rc = ring_push(q, item)) != 0)
    return rc;
  q->unfinished++;
  if (q->sync_getters)
    pthread_cond_signal(&q->not_empty);
  return 0;
}

/* Take an item and let the first waiting putter fill the freed slot. */
static void *take_locked(weft_tsqueue *q) {
  void *item = ring_pop(q);
  tsq_waiter *p = first(&q->putters);

  if (p && ring_push(q, p->item) == 0) { /* a slot was just freed */
    q->unfinished++;
    grant(p, 0);
  } else if (q->sync_putters) {
    pthread_cond_signal(&q->not_full);
  }
  return item;
}

int weft_tsqueue_put_nowait(weft_tsqueue *q, void *item) {
  int rc;

  pthread_mutex_lock(&q->lock);
  rc = put_locked(q, item);
  pthread_mutex_unlock(&q->lock);
  return rc;
}

int weft_tsqueue_get_nowait(weft_tsqueue *q, void **item) {
  int rc = 0;

  pthread_mutex_lock(&q->lock);
  if (q->len)
    *item = take_locked(q);
  else
    rc = q->closed ? -ESHUTDOWN : -EAGAIN;
  pthread_mutex_unlock(&q->lock);
  return rc;
}

/* ---- thread side ---------------------------------------------------- */

int weft_tsqueue_sync_put(weft_tsqueue *q, void *item, double timeout) {
  struct timespec ts;
  int rc = weft__thread_deadline(timeout, &ts);

  if (rc)
    return rc;
  pthread_mutex_lock(&q->lock);
  while ((rc = put_locked(q, item)) == -EAGAIN) {
    q->sync_putters++;
    int w = weft__thread_wait(&q->not_full, &q->lock, timeout, &ts);
    q->sync_putters--;
    if (w == ETIMEDOUT) {
      rc = put_locked(q, item);
      rc = rc == -EAGAIN ? -ETIMEDOUT : rc;
      break;
    }
  }
  pthread_mutex_unlock(&q->lock);
  return rc;
}

int weft_tsqueue_sync_get(weft_tsqueue *q, void **item, double timeout) {
  struct timespec ts;
  int rc = weft__thread_deadline(timeout, &ts), w = 0;

  if (rc)
    return rc;
  pthread_mutex_lock(&q->lock);
  while (!q->len && !q->closed && w != ETIMEDOUT) {
    q->sync_getters++;
    w = weft__thread_wait(&q->not_empty, &q->lock, timeout, &ts);
    q->sync_getters--;
  }
  if (q->len)
    *item = take_locked(q);
  else
    rc = q->closed ? -ESHUTDOWN : -ETIMEDOUT;
  pthread_mutex_unlock(&q->lock);
  return rc;
}

int weft_tsqueue_sync_join(weft_tsqueue *q, double timeout) {
  struct timespec ts;
  int rc = weft__thread_deadline(timeout, &ts), w = 0;

  if (rc)
    return rc;
  pthread_mutex_lock(&q->lock);
  while (q->unfinished && w != ETIMEDOUT)
    w = weft__thread_wait(&q->all_done, &q->lock, timeout, &ts);
  rc = q->unfinished ? -ETIMEDOUT : 0;
  pthread_mutex_unlock(&q->lock);
  return rc;
}

/* ---- task side ------------------------------------------------------ */

/* Interrupted while parked: leave the list, unless already granted. */
static void waiter_unlink(weft_task *t, void *obj) {
  tsq_waiter *w = obj;
  weft_tsqueue *q = w->q;

  pthread_mutex_lock(&q->lock);
  if (w->granted)
    t->wake_in_flight = 1;
  else
    weft__list_remove(&w->link);
  pthread_mutex_unlock(&q->lock);
}

/* Called with q->lock held and the wait needed; releases it. A pending
 * cancellation is checked before the node is linked: once linked, only an
 * interruption of the parked task (on this thread) can end the wait. */
static int wait_locked(weft_tsqueue *q, weft__list *list, tsq_waiter *w, const char *what) {
  int rc = weft__scope_pending(w->task);

  if (rc) {
    pthread_mutex_unlock(&q->lock);
    return weft__park(what, NULL, NULL); /* returns the pending code */
  }
  w->granted = 0;
  w->q = q;
  weft__list_insert_tail(list, &w->link);
  pthread_mutex_unlock(&q->lock);
  rc = weft__park(what, waiter_unlink, w);
  return rc ? rc : w->result;
}

int weft_tsqueue_put(weft_tsqueue *q, void *item) {
  tsq_waiter w = {.task = weft__current(), .item = item};
  int rc;

  if (!w.task)
    return -EPERM;
  pthread_mutex_lock(&q->lock);
  rc = put_locked(q, item);
  if (rc != -EAGAIN) {
    pthread_mutex_unlock(&q->lock);
    return rc;
  }
  return wait_locked(q, &q->putters, &w, "tsqueue put");
}

int weft_tsqueue_get(weft_tsqueue *q, void **item) {
  tsq_waiter w = {.task = weft__current()};
  int rc;

  if (!w.task)
    return -EPERM;
  pthread_mutex_lock(&q->lock);
  if (q->len || q->closed) {
    rc = q->len ? 0 : -ESHUTDOWN;
    if (q->len)
      *item = take_locked(q);
    pthread_mutex_unlock(&q->lock);
    return rc;
  }
  rc = wait_locked(q, &q->getters, &w, "tsqueue get");
  if (rc == 0)
    *item = w.item;
  return rc;
}

int weft_tsqueue_join(weft_tsqueue *q) {
  tsq_waiter w = {.task = weft__current()};

  if (!w.task)
    return -EPERM;
  pthread_mutex_lock(&q->lock);
  if (!q->unfinished) {
    pthread_mutex_unlock(&q->lock);
    return 0;
  }
  return wait_locked(q, &q->joiners, &w, "tsqueue join");
}

/* ---- either side ---------------------------------------------------- */

int weft_tsqueue_task_done(weft_tsqueue *q) {
  int rc = 0;

  pthread_mutex_lock(&q->lock);
  if (q->unfinished == 0) {
    rc = -EINVAL;
  } else if (--q->unfinished == 0) {
    pthread_cond_broadcast(&q->all_done);
    grant_all(&q->joiners, 0);
  }
  pthread_mutex_unlock(&q->lock);
  return rc;
}

size_t weft_tsqueue_qsize(weft_tsqueue *q) {
  size_t n;

  pthread_mutex_lock(&q->lock);
  n = q->len;
  pthread_mutex_unlock(&q->lock);
  return n;
}

void weft_tsqueue_close(weft_tsqueue *q) {
  pthread_mutex_lock(&q->lock);
  q->closed = 1;
  grant_all(&q->getters, -ESHUTDOWN); /* they wait only when it is empty */
  grant_all(&q->putters, -ESHUTDOWN);
  pthread_cond_broadcast(&q->not_empty);
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->lock);
}

void weft_tsqueue_free(weft_tsqueue *q, void (*drop)(void *item, void *arg), void *arg) {
  if (!q)
    return;
  while (q->len) {
    void *item = ring_pop(q);
    if (drop)
      drop(item, arg);
  }
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
  pthread_cond_destroy(&q->all_done);
  weft_free(q->ring);
  weft_free(q);
}
