/*
 * Queue, LifoQueue and PriorityQueue.
 *
 * Items live in a ring (FIFO, LIFO) or a binary heap (priority) allocated
 * on first need. Hand-offs keep two invariants that make every operation
 * cheap: getters wait only while the buffer is empty (a put gives its item
 * straight to the first getter), and putters wait only while it is full (a
 * get moves the first putter's item into the slot it just freed, which
 * needs no allocation).
 */
#include <string.h>

#include "internal.h"

typedef struct heap_ent {
  void *item;
  uint64_t seq; /* put order: equal priorities come out FIFO */
} heap_ent;

typedef struct weft__queue {
  weft__list getters, putters, joiners;
  weft_loop *loop;
  void *buf; /* void *[cap] ring, or heap_ent[cap] */
  size_t cap, head, len;
  size_t maxsize;
  size_t unfinished;
  weft_queue_cmp cmp;
  uint64_t seq;
  uint8_t kind;
  uint8_t shutdown;
} weft__queue;

_Static_assert(sizeof(weft__queue) <= sizeof(weft_queue), "weft_queue too small");

static weft__queue *queue_of(weft_queue *q) {
  return (weft__queue *)(void *)q;
}

static const weft__queue *cqueue_of(const weft_queue *q) {
  return (const weft__queue *)(const void *)q;
}

static int q_full(const weft__queue *q) {
  return q->maxsize && q->len >= q->maxsize;
}

/* Nothing in it, nobody waiting: free to move to another loop. */
static int q_idle(const weft__queue *q) {
  return q->len == 0 && q->unfinished == 0 && !weft__sync_has_waiters(&q->getters) &&
         !weft__sync_has_waiters(&q->putters);
}

/* ---- the ring (FIFO and LIFO) ---------------------------------------- */

static void **ring(weft__queue *q) {
  return q->buf;
}

static void ring_push(weft__queue *q, void *item) {
  ring(q)[(q->head + q->len++) & (q->cap - 1)] = item;
}

static void *ring_pop(weft__queue *q) {
  void *item;

  if (q->kind == WEFT_QUEUE_LIFO)
    return ring(q)[(q->head + --q->len) & (q->cap - 1)];
  item = ring(q)[q->head];
  q->head = (q->head + 1) & (q->cap - 1);
  q->len--;
  return item;
}

/* ---- the heap (priority) --------------------------------------------- */

static int heap_before(const weft__queue *q, const heap_ent *a, const heap_ent *b) {
  int c = q->cmp(a->item, b->item);

  return c < 0 || (c == 0 && a->seq < b->seq);
}

static void heap_push(weft__queue *q, void *item) {
  heap_ent *h = q->buf;
  heap_ent e = {item, q->seq++};
  size_t i = q->len++;

  while (i > 0 && heap_before(q, &e, &h[(i - 1) / 2])) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = e;
}

static void *heap_pop(weft__queue *q) {
  heap_ent *h = q->buf;
  void *top = h[0].item;
  heap_ent last = h[--q->len];
  size_t i = 0, n = q->len;

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && heap_before(q, &h[c + 1], &h[c]))
      c++;
    if (!heap_before(q, &h[c], &last))
      break;
    h[i] = h[c];
    i = c;
  }
  if (n)
    h[i] = last;
  return top;
}

/* ---- buffer ---------------------------------------------------------- */

static size_t ent_size(const weft__queue *q) {
  return q->kind == WEFT_QUEUE_PRIORITY ? sizeof(heap_ent) : sizeof(void *);
}

/* Double the buffer (rings stay a power of two and are unwrapped). */
/* Double the ring in place (realloc extends large blocks without copying
 * them); the wrapped-around prefix, if any, moves to just after the old
 * end, so the items stay contiguous from head. */
static int buf_grow(weft__queue *q) {
  size_t ncap = q->cap ? q->cap * 2 : 8, es = ent_size(q), wrap;
  char *nbuf;

  if (ncap > SIZE_MAX / es)
    return -ENOMEM;
  nbuf = weft_realloc(q->buf, ncap * es);
  if (!nbuf)
    return -ENOMEM;
  wrap = q->head + q->len > q->cap ? q->head + q->len - q->cap : 0;
  if (wrap)
    memcpy(nbuf + q->cap * es, nbuf, wrap * es);
  q->buf = nbuf;
  q->cap = ncap;
  return 0;
}

/* Store an item; the caller checked that the queue is not full. */
static int buf_push(weft__queue *q, void *item) {
  int rc;

  if (WEFT__UNLIKELY(q->len == q->cap) && (rc = buf_grow(q)) != 0)
    return rc;
  if (q->kind == WEFT_QUEUE_PRIORITY)
    heap_push(q, item);
  else
    ring_push(q, item);
  q->unfinished++;
  return 0;
}

static void *buf_pop(weft__queue *q) {
  return q->kind == WEFT_QUEUE_PRIORITY ? heap_pop(q) : ring_pop(q);
}

/* ---- init and destroy ------------------------------------------------ */

int weft_queue_init(weft_queue *qq, weft_queue_kind kind, size_t maxsize, weft_queue_cmp cmp) {
  weft__queue *q = queue_of(qq);

  if ((unsigned)kind > WEFT_QUEUE_PRIORITY || (kind == WEFT_QUEUE_PRIORITY && !cmp))
    return -EINVAL;
  *qq = (weft_queue)WEFT_QUEUE_INIT;
  q->kind = (uint8_t)kind;
  q->maxsize = maxsize;
  q->cmp = kind == WEFT_QUEUE_PRIORITY ? cmp : NULL;
  return 0;
}

static void drain(weft__queue *q, weft_queue_drop_fn drop, void *arg) {
  while (q->len) {
    void *item = buf_pop(q);
    if (drop)
      drop(item, arg);
  }
}

int weft_queue_destroy(weft_queue *qq, weft_queue_drop_fn drop, void *arg) {
  weft__queue *q = queue_of(qq);
  int rc;

  if ((rc = weft__sync_check_idle(&q->getters, q->loop, "queue")) != 0 ||
      (rc = weft__sync_check_idle(&q->putters, q->loop, "queue")) != 0 ||
      (rc = weft__sync_check_idle(&q->joiners, q->loop, "queue")) != 0)
    return rc;
  drain(q, drop, arg);
  weft_free(q->buf);
  q->buf = NULL;
  q->cap = q->head = q->unfinished = 0;
  q->shutdown = 0;
  return 0;
}

/* ---- put ------------------------------------------------------------- */

/* The part of put that never suspends: -EAGAIN when the caller must wait. */
static int put_now(weft__queue *q, void *item) {
  if (q->shutdown)
    return -ESHUTDOWN;
  if (weft__sync_has_waiters(&q->getters)) {
    weft__sync_first(&q->getters)->item = item;
    weft__sync_wake_first(&q->getters, 0);
    q->unfinished++;
    return 0;
  }
  if (q_full(q))
    return -EAGAIN;
  return buf_push(q, item);
}

int weft_queue_put_nowait(weft_queue *qq, void *item) {
  weft__queue *q = queue_of(qq);
  int rc = weft__sync_bind(&q->loop, weft__current(), q_idle(q));

  return rc ? rc : put_now(q, item);
}

int weft_queue_put(weft_queue *qq, void *item) {
  weft__queue *q = queue_of(qq);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&q->loop, t, q_idle(q))) != 0)
    return rc;
  rc = put_now(q, item);
  if (rc != -EAGAIN)
    return rc;
  node.item = item;
  /* 0: a getter moved our item into the queue; -ESHUTDOWN: it was not. */
  return weft__sync_park(&q->putters, &node, t, "queue put");
}

/* ---- get ------------------------------------------------------------- */

/* Take the next item and let the first blocked putter fill the freed slot. */
static void *take(weft__queue *q) {
  void *item = buf_pop(q);

  if (weft__sync_has_waiters(&q->putters)) {
    weft__sync_node *p = weft__sync_first(&q->putters);
    buf_push(q, p->item); /* a slot was just freed: cannot fail */
    weft__sync_wake_first(&q->putters, 0);
  }
  return item;
}

int weft_queue_get_nowait(weft_queue *qq, void **item) {
  weft__queue *q = queue_of(qq);
  int rc = weft__sync_bind(&q->loop, weft__current(), q_idle(q));

  if (rc)
    return rc;
  if (q->len) {
    *item = take(q);
    return 0;
  }
  return q->shutdown ? -ESHUTDOWN : -EAGAIN;
}

int weft_queue_get(weft_queue *qq, void **item) {
  weft__queue *q = queue_of(qq);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&q->loop, t, q_idle(q))) != 0)
    return rc;
  if (WEFT__LIKELY(q->len)) {
    *item = take(q);
    return 0;
  }
  if (q->shutdown)
    return -ESHUTDOWN;
  rc = weft__sync_park(&q->getters, &node, t, "queue get");
  if (rc == 0)
    *item = node.item; /* ours even if cancelled since: never lose it */
  return rc;
}

/* ---- sizes ------------------------------------------------------------ */

size_t weft_queue_qsize(const weft_queue *q) {
  return cqueue_of(q)->len;
}

size_t weft_queue_maxsize(const weft_queue *q) {
  return cqueue_of(q)->maxsize;
}

int weft_queue_empty(const weft_queue *q) {
  return cqueue_of(q)->len == 0;
}

int weft_queue_full(const weft_queue *q) {
  return q_full(cqueue_of(q));
}

/* ---- task_done and join ------------------------------------------------ */

int weft_queue_task_done(weft_queue *qq) {
  weft__queue *q = queue_of(qq);
  int rc = weft__sync_bind(&q->loop, weft__current(), q_idle(q));

  if (rc)
    return rc;
  if (q->unfinished == 0)
    return -EINVAL;
  if (--q->unfinished == 0)
    weft__sync_wake_all(&q->joiners, 0);
  return 0;
}

int weft_queue_join(weft_queue *qq) {
  weft__queue *q = queue_of(qq);
  weft_task *t = weft__current();
  weft__sync_node node;
  int rc;

  if (!t)
    return -EPERM;
  if ((rc = weft__sync_bind(&q->loop, t, q_idle(q))) != 0)
    return rc;
  if (q->unfinished == 0)
    return 0;
  return weft__sync_park(&q->joiners, &node, t, "queue join");
}

/* ---- shutdown --------------------------------------------------------- */

int weft_queue_shutdown(weft_queue *qq, int immediate, weft_queue_drop_fn drop, void *arg) {
  weft__queue *q = queue_of(qq);
  int rc = weft__sync_bind(&q->loop, weft__current(), q_idle(q));

  if (rc)
    return rc;
  q->shutdown = 1;
  if (immediate && q->len) {
    size_t n = q->len;
    drain(q, drop, arg);
    q->unfinished = q->unfinished > n ? q->unfinished - n : 0;
    if (q->unfinished == 0)
      weft__sync_wake_all(&q->joiners, 0);
  }
  /* Getters only wait on an empty queue, putters on a full one: all fail. */
  weft__sync_wake_all(&q->getters, -ESHUTDOWN);
  weft__sync_wake_all(&q->putters, -ESHUTDOWN);
  return 0;
}

int weft_queue_is_shutdown(const weft_queue *q) {
  return cqueue_of(q)->shutdown;
}
