/*
 * The loop's timers: a 4-ary min-heap ordered by (deadline, sequence), so
 * timers with the same deadline fire in the order they were started. Keys
 * live in the heap array (sifting touches no timer memory) and each timer
 * records its index, so an eager stop is O(log n). Callback handles are
 * cancelled lazily (weft__timer_kill): they stay in the heap, marked dead,
 * and the heap is compacted when more than half of it is dead.
 *
 * A timer whose deadline is not earlier than the newest one in the lane is
 * appended to the lane, a FIFO list kept in deadline order, instead: timers
 * of one length (timeouts, sleeps, call_later(d) in a loop) then cost O(1)
 * to start, stop and fire. Firing takes whichever of the lane head and the
 * heap top comes first by (deadline, sequence), so the order is exact.
 * One uv_timer_t wakes the libuv poll for the earliest deadline (loop.c).
 */
#include <errno.h>
#include <math.h>

#include "internal.h"

#define ARITY 4
#define COMPACT_MIN 1024

static int entry_less(const weft__heap_entry *a, const weft__heap_entry *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(weft__heap *h, size_t i, weft__heap_entry e) {
  h->items[i] = e;
  e.timer->index = i;
}

static void sift_up(weft__heap *h, size_t i) {
  weft__heap_entry e = h->items[i];

  while (i > 0) {
    size_t parent = (i - 1) / ARITY;
    if (!entry_less(&e, &h->items[parent]))
      break;
    heap_set(h, i, h->items[parent]);
    i = parent;
  }
  heap_set(h, i, e);
}

static void sift_down(weft__heap *h, size_t i) {
  weft__heap_entry e = h->items[i];

  for (;;) {
    size_t first = i * ARITY + 1, best = i;
    const weft__heap_entry *be = &e;

    for (size_t c = first; c < first + ARITY && c < h->len; c++)
      if (entry_less(&h->items[c], be)) {
        best = c;
        be = &h->items[c];
      }
    if (best == i)
      break;
    heap_set(h, i, *be);
    i = best;
  }
  heap_set(h, i, e);
}

static int heap_grow(weft__heap *h) {
  size_t cap = h->cap ? h->cap * 2 : 64;
  weft__heap_entry *items = weft_realloc(h->items, cap * sizeof(*items));

  if (!items)
    return -ENOMEM;
  h->items = items;
  h->cap = cap;
  return 0;
}

static void lane_append(weft__heap *h, weft__timer *t) {
  t->lane_next = NULL;
  t->lane_prev = h->lane_tail;
  if (h->lane_tail)
    h->lane_tail->lane_next = t;
  else
    h->lane_head = t;
  h->lane_tail = t;
  t->index = WEFT__TIMER_IN_LANE;
}

static void lane_remove(weft__heap *h, weft__timer *t) {
  if (t->lane_prev)
    t->lane_prev->lane_next = t->lane_next;
  else
    h->lane_head = t->lane_next;
  if (t->lane_next)
    t->lane_next->lane_prev = t->lane_prev;
  else
    h->lane_tail = t->lane_prev;
  t->index = SIZE_MAX;
}

int weft__timer_start(weft_loop *loop, weft__timer *t, uint64_t when) {
  weft__heap *h = &loop->heap;

  if (weft__timer_armed(t))
    weft__timer_stop(loop, t);
  if (!h->lane_tail || when >= h->lane_tail->when) {
    t->when = when;
    t->dead = 0;
    t->seq = h->seq++;
    lane_append(h, t);
    return 0;
  }
  if (h->len == h->cap && heap_grow(h) != 0)
    return -ENOMEM;
  t->when = when;
  t->dead = 0;
  h->items[h->len] = (weft__heap_entry){when, h->seq++, t};
  t->index = h->len++;
  sift_up(h, t->index);
  return 0;
}

void weft__timer_stop(weft_loop *loop, weft__timer *t) {
  weft__heap *h = &loop->heap;
  size_t i = t->index;
  weft__heap_entry last;

  if (i == SIZE_MAX)
    return;
  if (i == WEFT__TIMER_IN_LANE) {
    lane_remove(h, t);
    return;
  }
  t->index = SIZE_MAX;
  if (t->dead) {
    t->dead = 0;
    h->dead--;
  }
  last = h->items[--h->len];
  if (i == h->len)
    return;
  heap_set(h, i, last);
  if (i > 0 && entry_less(&last, &h->items[(i - 1) / ARITY]))
    sift_up(h, i);
  else
    sift_down(h, i);
}

/* Drop every dead timer and rebuild the heap: O(n), run when more than half
 * of the heap is dead, so cancelling stays O(1) amortised. */
static void heap_compact(weft__heap *h) {
  size_t j = 0;

  for (size_t i = 0; i < h->len; i++) {
    weft__timer *t = h->items[i].timer;
    if (t->dead) {
      t->dead = 0;
      t->index = SIZE_MAX;
      t->fn(t);
    } else {
      h->items[j++] = h->items[i];
    }
  }
  h->len = j;
  h->dead = 0;
  for (size_t i = 0; i < h->len; i++)
    h->items[i].timer->index = i;
  for (size_t i = h->len / ARITY + 1; i-- > 0;)
    if (i < h->len)
      sift_down(h, i);
}

void weft__timer_kill(weft_loop *loop, weft__timer *t) {
  weft__heap *h = &loop->heap;

  if (t->index == SIZE_MAX || t->dead)
    return;
  if (t->index == WEFT__TIMER_IN_LANE) { /* O(1) anyway: drop it now */
    lane_remove(h, t);
    t->fn(t);
    return;
  }
  t->dead = 1;
  if (++h->dead > COMPACT_MIN && h->dead * 2 > h->len)
    heap_compact(h);
}

/* The next timer to fire: the lane head or the heap top, by (when, seq). */
static weft__timer *timer_first(const weft__heap *h) {
  weft__timer *l = h->lane_head;

  if (!h->len)
    return l;
  if (!l)
    return h->items[0].timer;
  if (l->when < h->items[0].when || (l->when == h->items[0].when && l->seq < h->items[0].seq))
    return l;
  return h->items[0].timer;
}

uint64_t weft__timer_next(const weft_loop *loop) {
  weft__timer *t = timer_first(&loop->heap);

  return t ? t->when : UINT64_MAX;
}

weft__timer *weft__timer_pop_any(weft_loop *loop) {
  weft__timer *t = timer_first(&loop->heap);

  if (t)
    weft__timer_stop(loop, t);
  return t;
}

void weft__heap_free(weft__heap *h) {
  weft_free(h->items);
  h->items = NULL;
  h->len = h->cap = h->dead = 0;
  h->lane_head = h->lane_tail = NULL;
}

size_t weft__timers_run(weft_loop *loop, uint64_t now) {
  weft__timer *t;
  size_t n = 0;

  while ((t = timer_first(&loop->heap)) != NULL && t->when <= now) {
    weft__timer_stop(loop, t);
    t->fn(t);
    n++;
  }
  return n;
}

uint64_t weft__now(void) {
  return uv_hrtime();
}

double weft_time(void) {
  return (double)uv_hrtime() / 1e9;
}

/* seconds from now -> absolute ns; huge values saturate. */
uint64_t weft__seconds_to_ns_deadline(double seconds) {
  uint64_t now = weft__now();

  if (seconds <= 0)
    return now;
  if (seconds >= 1e9 || isinf(seconds))
    return UINT64_MAX;
  return now + (uint64_t)(seconds * 1e9);
}

/* Absolute loop time (seconds) -> ns. -EINVAL for NaN. */
int weft__when_to_ns(double when, uint64_t *out) {
  if (isnan(when))
    return -EINVAL;
  if (when <= 0)
    *out = 0;
  else if (when >= 1e10 || isinf(when))
    *out = UINT64_MAX;
  else
    *out = (uint64_t)(when * 1e9);
  return 0;
}
