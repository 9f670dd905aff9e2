/*
 * Task stacks.
 *
 * A stack is an anonymous MAP_NORESERVE mapping; pages are committed only
 * when touched, so a parked task costs the pages it used (usually one).
 * Its bookkeeping (weft__stack) sits at the very top of the mapping.
 *
 * Guard pages: while the process has fewer than `guard_budget` guarded
 * stacks, each stack gets its own mapping with a PROT_NONE page below it, and
 * an overflow faults there; the SIGSEGV handler (on an alternate signal
 * stack) names the task and aborts. Each guarded stack costs two kernel
 * mappings and vm.max_map_count is 65530 by default, so past the budget
 * stacks are carved from slabs of WEFT__SLAB_N stacks in one mapping. Those
 * are checked in software: every switch away from a task compares its stack
 * pointer with the bottom of its stack (plus a red zone), so deep use is
 * reported with the task's name at its next suspension. (A canary word at
 * the bottom would commit one more page per task.)
 *
 * Finished tasks return default-size stacks to a per-loop pool.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT__HAVE_VALGRIND 1
#endif
#endif

#define WEFT__SLAB_N 64
#define WEFT__POOL_MAX 4096

typedef struct weft__slab {
  char *base;
  size_t stride;     /* bytes per stack */
  uint64_t freemask; /* bit i set: slot i is free (never touches the slot) */
  struct weft__slab *next;
} weft__slab;

static size_t page_size;
static atomic_long guarded_count;
static long guard_budget;
static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;
static weft__slab *slabs;
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;

static void stack_globals_init(void) {
  long maps = 65530;
  FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

  page_size = (size_t)sysconf(_SC_PAGESIZE);
  if (f) {
    if (fscanf(f, "%ld", &maps) != 1)
      maps = 65530;
    fclose(f);
  }
  /* Leave a quarter of the mappings (at least 8192) to everything else. */
  guard_budget = (maps - (maps / 4 > 8192 ? maps / 4 : 8192)) / 2;
  if (guard_budget < 0)
    guard_budget = 0;
  if (getenv("WEFT_STACK_GUARD_BUDGET"))
    guard_budget = atol(getenv("WEFT_STACK_GUARD_BUDGET"));
}

static size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

/* Put the bookkeeping at the top of [lo, lo + bytes) and return it. */
static weft__stack *stack_place(char *lo, size_t bytes, uint8_t guard, weft__slab *slab) {
  weft__stack *s = (weft__stack *)(lo + bytes - round_up(sizeof(weft__stack), 64));

  s->lo = lo;
  s->size = (size_t)((char *)s - lo);
  s->guard = guard;
  s->slab = slab;
  s->next_free = NULL;
#ifdef WEFT__HAVE_VALGRIND
  s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->lo + s->size);
#endif
  s->tsan_fiber = weft__tsan_create();
  return s;
}

static int stack_map_guarded(size_t bytes, weft__stack **out) {
  char *base = mmap(NULL, bytes + page_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

  if (base == MAP_FAILED)
    return -ENOMEM;
  if (mprotect(base, page_size, PROT_NONE) != 0) {
    munmap(base, bytes + page_size);
    return -ENOMEM;
  }
  atomic_fetch_add(&guarded_count, 1);
  *out = stack_place(base + page_size, bytes, 1, NULL);
  return 0;
}

/* `slabs` lists only the slabs that have a free slot; full ones are found
 * again through weft__stack.slab when a slot comes back. */
static void slab_unlink(weft__slab *sl) {
  weft__slab **pp;

  for (pp = &slabs; *pp && *pp != sl; pp = &(*pp)->next)
    ;
  if (*pp)
    *pp = sl->next;
  sl->next = NULL;
}

static weft__slab *slab_new(size_t stride) {
  weft__slab *sl = weft_calloc(1, sizeof(*sl));

  if (!sl)
    return NULL;
  sl->base = mmap(NULL, stride * WEFT__SLAB_N, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (sl->base == MAP_FAILED) {
    weft_free(sl);
    return NULL;
  }
  sl->stride = stride;
  sl->freemask = ~(uint64_t)0;
  sl->next = slabs;
  slabs = sl;
  return sl;
}

static int stack_from_slab(size_t bytes, weft__stack **out) {
  weft__slab *sl;
  unsigned slot;
  char *lo;

  pthread_mutex_lock(&slab_lock);
  for (sl = slabs; sl; sl = sl->next)
    if (sl->stride == bytes)
      break;
  if (!sl && !(sl = slab_new(bytes))) {
    pthread_mutex_unlock(&slab_lock);
    return -ENOMEM;
  }
  slot = (unsigned)__builtin_ctzll(sl->freemask);
  sl->freemask &= ~((uint64_t)1 << slot);
  if (!sl->freemask)
    slab_unlink(sl);
  lo = sl->base + sl->stride * (size_t)slot;
  pthread_mutex_unlock(&slab_lock);
  *out = stack_place(lo, bytes, 0, sl);
  return 0;
}

static void slab_put(weft__stack *s) {
  weft__slab *sl = s->slab;
  size_t slot = (size_t)(s->lo - sl->base) / sl->stride;

  pthread_mutex_lock(&slab_lock);
  if (!sl->freemask) {
    sl->next = slabs;
    slabs = sl;
  }
  sl->freemask |= (uint64_t)1 << slot;
  if (sl->freemask == ~(uint64_t)0) {
    slab_unlink(sl);
    munmap(sl->base, sl->stride * WEFT__SLAB_N);
    weft_free(sl);
  }
  pthread_mutex_unlock(&slab_lock);
}

int weft__stack_alloc(weft_loop *loop, size_t size, weft__stack **out) {
  size_t bytes;

  /* Pooled stacks have the default size of when they were freed: any one at
   * least as large as asked for will do. */
  if (loop && loop->stack_pool && size == weft_default_stack_size() &&
      loop->stack_pool->size >= size) {
    *out = loop->stack_pool;
    loop->stack_pool = (*out)->next_free;
    loop->stack_pool_len--;
    return 0;
  }
  pthread_once(&stack_once, stack_globals_init);
  bytes = round_up(size + round_up(sizeof(weft__stack), 64), page_size);
  if (atomic_load(&guarded_count) < guard_budget)
    return stack_map_guarded(bytes, out);
  return stack_from_slab(bytes, out);
}

static void stack_unmap(weft__stack *s) {
#ifdef WEFT__HAVE_VALGRIND
  VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
  weft__tsan_destroy(s->tsan_fiber);
  if (s->slab) {
    slab_put(s);
    return;
  }
  size_t bytes = (size_t)((char *)s - s->lo) + round_up(sizeof(weft__stack), 64);
  munmap(s->lo - page_size, bytes + page_size);
  atomic_fetch_sub(&guarded_count, 1);
}

void weft__stack_free(weft_loop *loop, weft__stack *s) {
  if (loop &&
      s->size + round_up(sizeof(weft__stack), 64) ==
          round_up(weft_default_stack_size() + round_up(sizeof(weft__stack), 64), page_size) &&
      loop->stack_pool_len < WEFT__POOL_MAX && !loop->closed) {
    s->next_free = loop->stack_pool;
    loop->stack_pool = s;
    loop->stack_pool_len++;
    return;
  }
  stack_unmap(s);
}

void weft__stack_pool_drain(weft_loop *loop) {
  while (loop->stack_pool) {
    weft__stack *s = loop->stack_pool;
    loop->stack_pool = s->next_free;
    stack_unmap(s);
  }
  loop->stack_pool_len = 0;
}

size_t weft__stack_used(const weft__stack *s) {
  uintptr_t lo = (uintptr_t)s->lo & ~(uintptr_t)(page_size - 1);
  size_t len = round_up((uintptr_t)s->lo + s->size - lo, page_size);
  size_t pages = len / page_size, used = 0;
  unsigned char vec[4096];

  if (pages > sizeof(vec))
    return s->size;
  if (mincore((void *)lo, len, vec) != 0)
    return 0;
  for (size_t i = 0; i < pages; i++)
    used += vec[i] & 1;
  return used * page_size > s->size ? s->size : used * page_size;
}

/* Software overflow check for stacks without a guard page. At most the red
 * zone is left on the task's stack, too little for stdio (and below the first
 * stack of a slab nothing is mapped), so the report is made from the
 * scheduler's stack. */
void weft__stack_overflowed(weft_task *t) {
  weft_loop *loop = t->fut.loop;

  loop->stack_overflow = 1;
  weft__fiber_start(NULL, loop->sched_stack_lo, loop->sched_stack_size);
  weft__tsan_switch(loop->sched_tsan_fiber);
  weft__ctx_switch(&t->ctx, &loop->sched_ctx);
  abort(); /* not reached: the scheduler reports and aborts */
}

void weft__stack_overflow_report(weft_task *t) {
  fprintf(stderr, "weft: stack overflow in task '%s'\n", weft_task_name(t));
  abort();
}

/* ---- SIGSEGV on a guard page -------------------------------------- */

static struct sigaction old_segv;
static __thread char *altstack;

static void overflow_report(const char *name) {
  static const char pre[] = "weft: stack overflow in task '";
  ssize_t rc;

  rc = write(2, pre, sizeof(pre) - 1);
  rc = write(2, name, strlen(name));
  rc = write(2, "'\n", 2);
  (void)rc;
}

static void segv_handler(int sig, siginfo_t *si, void *uctx) {
  weft_task *t = weft__current();
  char *addr = si->si_addr;

  const weft__stack *st = t ? t->cur_stack : NULL;

  if (st && st->guard && addr >= st->lo - page_size - 65536 && addr < st->lo) {
    overflow_report(weft_task_name(t));
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  if (old_segv.sa_flags & SA_SIGINFO && old_segv.sa_sigaction) {
    old_segv.sa_sigaction(sig, si, uctx);
    return;
  }
  if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN &&
      !(old_segv.sa_flags & SA_SIGINFO)) {
    old_segv.sa_handler(sig);
    return;
  }
  signal(SIGSEGV, SIG_DFL); /* re-fault with the default action */
}

static void segv_install(void) {
  struct sigaction sa;

  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = segv_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &old_segv);
}

void weft__stack_install_overflow_handler(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  stack_t ss;

  pthread_once(&stack_once, stack_globals_init);
  pthread_once(&once, segv_install);
  if (altstack)
    return;
  if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE))
    return; /* the thread already has one (ASan sets one up) */
  altstack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (altstack == MAP_FAILED) {
    altstack = NULL;
    return;
  }
  ss.ss_sp = altstack;
  ss.ss_size = 65536;
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
}
