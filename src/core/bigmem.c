/*
 * Big buffers: blocks of WEFT__BIG_MIN bytes or more in mappings of whole
 * 2 MiB units, aligned to 2 MiB and marked for transparent huge pages. The
 * first write to a fresh buffer then costs one page fault per 2 MiB instead
 * of one per 4 KiB page; in a virtual machine a 4 KiB fault can cost 10-20
 * microseconds, so a buffer of a few MiB used once pays more for its pages
 * than for its contents.
 *
 * weft_free and weft_realloc recognise big blocks (a block starts on a
 * 2 MiB boundary, which malloc's blocks almost never do, and is then looked
 * up in the table), so a big block is freed like any other. A few freed
 * blocks are kept for reuse, excluded from fork (MADV_DONTFORK): a child
 * writing to a huge page shared with its parent would copy it 4 KiB at a
 * time. With an allocator set by weft_set_allocator, every block comes
 * from it (weft__big_alloc is then weft_malloc).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "core/internal.h"

#ifdef WEFT__ASAN
#include <sanitizer/asan_interface.h>
#define BIG_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BIG_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define BIG_POISON(p, n) ((void)(p), (void)(n))
#define BIG_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define BIG_UNIT ((size_t)2 << 20)
#define BIG_SLOTS 64 /* blocks live or kept at once; beyond: malloc */
#define BIG_KEEP 8   /* freed blocks kept for reuse */

enum { SLOT_EMPTY, SLOT_LIVE, SLOT_KEPT };

typedef struct big_slot {
  char *p;
  size_t len;
  int state;
  int private; /* live and out of fork (weft__big_private) */
} big_slot;

static big_slot slots[BIG_SLOTS];
static size_t nkept;
static pthread_mutex_t big_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t big_once = PTHREAD_ONCE_INIT;

static void big_lock(void) {
  pthread_mutex_lock(&big_mu);
}

static void big_unlock(void) {
  pthread_mutex_unlock(&big_mu);
}

/* Kept and private blocks are not mapped in a child (MADV_DONTFORK):
 * forget them. */
static void big_after_fork_child(void) {
  for (size_t i = 0; i < BIG_SLOTS; i++)
    if (slots[i].state == SLOT_KEPT || slots[i].private)
      slots[i] = (big_slot){0};
  nkept = 0;
  big_unlock();
}

static void big_init(void) {
  pthread_atfork(big_lock, big_unlock, big_after_fork_child);
}

/* A fresh mapping of len bytes (a multiple of BIG_UNIT) on a BIG_UNIT
 * boundary: map one unit more and trim. NULL if out of address space. */
static char *big_map(size_t len) {
  char *m = mmap(NULL, len + BIG_UNIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *p;
  size_t head;

  if (m == MAP_FAILED)
    return NULL;
  p = (char *)(((uintptr_t)m + BIG_UNIT - 1) & ~(uintptr_t)(BIG_UNIT - 1));
  head = (size_t)(p - m);
  if (head)
    munmap(m, head);
  munmap(p + len, BIG_UNIT - head);
#ifdef MADV_HUGEPAGE
  madvise(p, len, MADV_HUGEPAGE); /* EINVAL without THP: 4 KiB pages */
#endif
  return p;
}

/* The smallest kept block of at least len bytes, taken out; or a free
 * slot for a new one (p NULL); or NULL when every slot is taken. */
static big_slot *slot_for(size_t len) {
  big_slot *best = NULL, *empty = NULL;

  for (size_t i = 0; i < BIG_SLOTS; i++) {
    big_slot *s = &slots[i];

    if (s->state == SLOT_EMPTY && !empty)
      empty = s;
    else if (s->state == SLOT_KEPT && s->len >= len && (!best || s->len < best->len))
      best = s;
  }
  if (best) {
    nkept--;
    madvise(best->p, best->len, MADV_DOFORK);
    return best;
  }
  return empty;
}

void *weft__big_alloc(size_t size, size_t *cap) {
  size_t len = (size + BIG_UNIT - 1) & ~(BIG_UNIT - 1);
  big_slot *s;
  void *p;

  if (len < size) /* within 2 MiB of SIZE_MAX: no memory can hold it */
    return NULL;
  if (size < WEFT__BIG_MIN || !weft__alloc_is_default())
    goto small;
  pthread_once(&big_once, big_init);
  big_lock();
  if ((s = slot_for(len)) != NULL && !s->p && (s->p = big_map(len)) != NULL)
    s->len = len;
  if (s && s->p)
    s->state = SLOT_LIVE;
  big_unlock();
  if (!s || !s->p)
    goto small;
  BIG_UNPOISON(s->p, s->len);
  *cap = s->len;
  return s->p;
small:
  *cap = size;
  p = weft_malloc(size);
  return p;
}

/* The slot of live block p, or NULL. Called with the lock held. */
static big_slot *slot_of(const void *p) {
  for (size_t i = 0; i < BIG_SLOTS; i++)
    if (slots[i].state == SLOT_LIVE && slots[i].p == p)
      return &slots[i];
  return NULL;
}

size_t weft__big_size(const void *p) {
  big_slot *s;
  size_t len = 0;

  if (!weft__big_maybe(p))
    return 0;
  big_lock();
  if ((s = slot_of(p)) != NULL)
    len = s->len;
  big_unlock();
  return len;
}

void weft__big_private(void *p) {
  big_slot *s;

  if (!weft__big_maybe(p))
    return;
  big_lock();
  if ((s = slot_of(p)) != NULL && !s->private && madvise(s->p, s->len, MADV_DONTFORK) == 0)
    s->private = 1;
  big_unlock();
}

int weft__big_release(void *p) {
  big_slot *s;
  char *unmap = NULL;
  size_t len = 0;

  big_lock();
  if (!(s = slot_of(p))) {
    big_unlock();
    return 0;
  }
  if (nkept < BIG_KEEP && (s->private || madvise(s->p, s->len, MADV_DONTFORK) == 0)) {
    s->state = SLOT_KEPT;
    s->private = 0;
    nkept++;
    BIG_POISON(s->p, s->len);
  } else {
    unmap = s->p;
    len = s->len;
    *s = (big_slot){0};
  }
  big_unlock();
  if (unmap)
    munmap(unmap, len);
  return 1;
}
