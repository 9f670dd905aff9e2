/*
 * weft queues: asyncio's Queue, LifoQueue and PriorityQueue, for void *
 * items, with Python 3.13's shutdown.
 *
 * A weft_queue is embeddable storage. Its item buffer (a ring for FIFO and
 * LIFO, a binary heap for priority queues) is allocated on first need and
 * grows by doubling; waiting never allocates (wait nodes live on the waiting
 * task's stack). FIFO and LIFO operations are O(1), priority ones O(log n).
 *
 * An item put while a task waits in get is handed to that task directly.
 * Waits are suspension points: -EPERM outside a task, -ECANCELED and
 * -ETIMEDOUT when interrupted. A get that has been handed an item returns it
 * (0), even if its task is cancelled before it runs again: the cancellation
 * shows at the task's next suspension point, and the item is never lost or
 * delivered twice. A queue belongs to the loop that first uses it (-EINVAL
 * from another loop).
 */
#ifndef WEFT_QUEUE_H
#define WEFT_QUEUE_H

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_queue {
  void *opaque_[16];
} weft_queue;

typedef enum weft_queue_kind {
  WEFT_QUEUE_FIFO = 0,     /* asyncio.Queue */
  WEFT_QUEUE_LIFO = 1,     /* asyncio.LifoQueue */
  WEFT_QUEUE_PRIORITY = 2, /* asyncio.PriorityQueue */
} weft_queue_kind;

/* Priority order: negative when a must come out before b. Items that
 * compare equal come out in the order they were put. */
typedef int (*weft_queue_cmp)(const void *a, const void *b);
/* Receives the items a queue discards (immediate shutdown, destroy). */
typedef void (*weft_queue_drop_fn)(void *item, void *arg);

/* An unbounded FIFO queue. */
#define WEFT_QUEUE_INIT \
  {                     \
    { 0 }               \
  }

/* maxsize 0 means unbounded. cmp is required for priority queues and
 * ignored otherwise. 0, or -EINVAL (unknown kind, priority without cmp).
 * Re-initialising a queue that holds items or a buffer leaks them: destroy
 * it first. */
int weft_queue_init(weft_queue *q, weft_queue_kind kind, size_t maxsize, weft_queue_cmp cmp);
/* Free the buffer; remaining items go to drop(item, arg) when drop is set.
 * The queue is then empty and usable again (same kind and maxsize).
 * 0, or -EBUSY while tasks wait on it (debug mode aborts with their names). */
int weft_queue_destroy(weft_queue *q, weft_queue_drop_fn drop, void *arg);

/*
 * Put an item, suspending while the queue is full. 0, -ESHUTDOWN (shut
 * down before or while waiting; the item was not added), -ENOMEM (the buffer
 * could not grow), -ECANCELED, -ETIMEDOUT (the item was not added), -EPERM,
 * -EINVAL.
 */
int weft_queue_put(weft_queue *q, void *item);
/* 0, -EAGAIN (full: QueueFull), -ESHUTDOWN, -ENOMEM, -EINVAL. */
int weft_queue_put_nowait(weft_queue *q, void *item);
/*
 * Remove and return an item in *item, suspending while the queue is empty.
 * 0, -ESHUTDOWN (shut down and empty), -ECANCELED, -ETIMEDOUT, -EPERM,
 * -EINVAL.
 */
int weft_queue_get(weft_queue *q, void **item);
/* 0, -EAGAIN (empty: QueueEmpty), -ESHUTDOWN (shut down and empty). */
int weft_queue_get_nowait(weft_queue *q, void **item);

size_t weft_queue_qsize(const weft_queue *q);
size_t weft_queue_maxsize(const weft_queue *q);
int weft_queue_empty(const weft_queue *q);
int weft_queue_full(const weft_queue *q);

/* Mark one item gotten earlier as processed. 0, or -EINVAL when called
 * more times than items were put (asyncio's ValueError). */
int weft_queue_task_done(weft_queue *q);
/* Suspend until every item put has been marked done. 0, -ECANCELED,
 * -ETIMEDOUT, -EPERM, -EINVAL. */
int weft_queue_join(weft_queue *q);

/*
 * Shut the queue down (Python 3.13). Later puts fail with -ESHUTDOWN and
 * blocked putters wake with it. Graceful (immediate = 0): gets go on until
 * the queue is empty, then fail with -ESHUTDOWN. Immediate: remaining items
 * are removed now, handed to drop(item, arg) when drop is set, and counted
 * as done (join may return); every blocked getter wakes with -ESHUTDOWN.
 * 0 or -EINVAL. Shutting down twice is allowed (an immediate shutdown after
 * a graceful one drains the queue).
 */
int weft_queue_shutdown(weft_queue *q, int immediate, weft_queue_drop_fn drop, void *arg);
int weft_queue_is_shutdown(const weft_queue *q);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_QUEUE_H */
