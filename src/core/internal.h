/*
 * weft core internals, shared by the files of src/core and used by the
 * higher layers (sync, io, ...) to park and wake tasks.
 */
#ifndef WEFT_CORE_INTERNAL_H
#define WEFT_CORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "weft/core.h"
#include "ctx.h"
#include "list.h"

#define WEFT__UNUSED(x) ((void)(x))
#if defined(__x86_64__) || defined(__i386__)
#define WEFT__CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define WEFT__CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define WEFT__CPU_RELAX() ((void)0)
#endif
/* Spinning for another thread only helps when it can run meanwhile. */
int weft__can_spin(void);
#define WEFT__LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- debug aborts --------------------------------------------------- */
void weft__panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
extern int weft__debug_env; /* WEFT_DEBUG set in the environment */

/* ---- error codes of higher layers ---------------------------------- */
/* A layer with codes of its own (outside errno's range) registers their
 * names and texts, from a constructor, so weft_err_name and weft_strerror
 * know them. */
typedef struct weft__err_range {
  int lo, hi; /* inclusive */
  const char *(*name)(int err);
  const char *(*text)(int err);
  struct weft__err_range *next;
} weft__err_range;
void weft__err_register(weft__err_range *r);

/* ---- allocator ------------------------------------------------------ */
void weft__alloc_lock(void);      /* a loop exists: the allocator is fixed */
int weft__alloc_is_default(void); /* no weft_set_allocator in effect */

/* ---- big buffers (bigmem.c) ------------------------------------------ */
/* Buffers of this size and more may be big blocks: whole 2 MiB units on
 * transparent huge pages, one page fault per 2 MiB at first use. */
#define WEFT__BIG_MIN ((size_t)128 << 10)
/* A buffer of at least size bytes; *cap gets its usable size (a big block
 * rounds up to 2 MiB units: the caller may use all of it). Freed with
 * weft_free, resized with weft_realloc like any other. NULL if out of
 * memory. Smaller buffers, and every buffer with weft_set_allocator in
 * effect, are weft_malloc's. */
void *weft__big_alloc(size_t size, size_t *cap);
/* Could p be a big block? (They start on a 2 MiB boundary.) */
static inline int weft__big_maybe(const void *p) {
  return ((uintptr_t)p & (((uintptr_t)2 << 20) - 1)) == 0;
}
/* The size of big block p, 0 if p is not one. */
size_t weft__big_size(const void *p);
/* Big block p is the runtime's own, never read by a forked child: keep
 * it out of fork (MADV_DONTFORK), so that writing to it after a fork
 * copies nothing. No-op for other buffers. */
void weft__big_private(void *p);
/* Free p if it is a big block (1), else leave it (0). */
int weft__big_release(void *p);

/* ---- stacks (stack.c) ----------------------------------------------- */
typedef struct weft__stack {
  char *lo;         /* lowest usable byte */
  size_t size;      /* usable bytes */
  uint8_t guard;    /* 1: a PROT_NONE page sits below lo */
  void *tsan_fiber; /* ThreadSanitizer's fiber for this stack (TSan builds) */
  unsigned vg_id;   /* Valgrind stack id */
  struct weft__slab *slab;
  struct weft__stack *next_free;
} weft__stack;

/* loop NULL: bypass the loop's pool (stacks not tied to any loop). */
int weft__stack_alloc(weft_loop *loop, size_t size, weft__stack **out);
void weft__stack_free(weft_loop *loop, weft__stack *s);
void weft__stack_pool_drain(weft_loop *loop);
size_t weft__stack_used(const weft__stack *s);
/* Does not return. Not declared noreturn: ASan would precede the call with
 * __asan_handle_no_return, whose first (lazily bound) call needs more stack
 * than the red zone leaves. */
void weft__stack_overflowed(weft_task *t);
/* Called by the scheduler, on its own stack, after weft__stack_overflowed. */
void weft__stack_overflow_report(weft_task *t) __attribute__((noreturn));
/* Reaching this close to the bottom counts as an overflow; it must leave room
 * for one more frame and the switch to the scheduler that reports it. */
#define WEFT__RED_ZONE 1024
/* Software overflow check for stacks without a guard page. */
static inline void weft__stack_check(weft_task *t, const weft__stack *s) {
  char here;

  if (WEFT__UNLIKELY(!s->guard && &here < s->lo + WEFT__RED_ZONE))
    weft__stack_overflowed(t);
}
void weft__stack_install_overflow_handler(void);

/* ---- timers (timer.c): a min-heap of deadlines in ns ---------------- */
typedef struct weft__timer weft__timer;
typedef void (*weft__timer_fn)(weft__timer *t);
struct weft__timer {
  uint64_t when; /* uv_hrtime() ns */
  size_t index;  /* position in the heap, WEFT__TIMER_IN_LANE, or SIZE_MAX
                    when not armed */
  weft__timer_fn fn;
  uint8_t dead; /* cancelled lazily: fn still runs when it pops, and must
                   drop it (see weft__timer_kill) */
  uint64_t seq; /* lane timers only (heap entries carry their own) */
  weft__timer *lane_prev, *lane_next;
};
#define WEFT__TIMER_IN_LANE (SIZE_MAX - 1)

/* Heap entries carry their keys, so sifting never touches the timers. */
typedef struct weft__heap_entry {
  uint64_t when;
  uint64_t seq; /* FIFO among equal deadlines */
  weft__timer *timer;
} weft__heap_entry;

/* Timers whose deadline is not earlier than the last one started go to a
 * FIFO "lane" instead of the heap (O(1) in and out): the common case of
 * timeouts and sleeps of one length. The heap takes the rest. */
typedef struct weft__heap {
  weft__heap_entry *items;
  size_t len, cap;
  uint64_t seq;
  size_t dead;
  weft__timer *lane_head, *lane_tail;
} weft__heap;

static inline void weft__timer_init(weft__timer *t, weft__timer_fn fn) {
  t->index = SIZE_MAX;
  t->fn = fn;
  t->dead = 0;
}
static inline int weft__timer_armed(const weft__timer *t) {
  return t->index != SIZE_MAX;
}
int weft__timer_start(weft_loop *loop, weft__timer *t, uint64_t when);
void weft__timer_stop(weft_loop *loop, weft__timer *t);
/* O(1) cancel: a heap timer stays in the heap, marked dead, and its fn runs
 * when it pops (or at compaction); a lane timer is unlinked and its fn runs
 * at once. fn must then release it. */
void weft__timer_kill(weft_loop *loop, weft__timer *t);
/* The earliest deadline, UINT64_MAX when there is none. */
uint64_t weft__timer_next(const weft_loop *loop);
/* Disarm and return any armed timer (for draining at close), or NULL. */
weft__timer *weft__timer_pop_any(weft_loop *loop);
void weft__heap_free(weft__heap *h);
/* Fire due timers; returns how many. */
size_t weft__timers_run(weft_loop *loop, uint64_t now);
uint64_t weft__now(void);
uint64_t weft__seconds_to_ns_deadline(double seconds);
int weft__when_to_ns(double when, uint64_t *out);

/* An entry of the ready queue: a task, a callback handle, or the done
 * callbacks of a future. */
enum { WEFT__RUN_TASK = 1, WEFT__RUN_HANDLE = 2, WEFT__RUN_FUTCB = 3 };
typedef struct weft__runnable {
  struct weft__runnable *next;
  uint8_t kind;
} weft__runnable;

/* ---- futures (fut.c): the part a task and a future share ------------ */
enum { WEFT__FUT_PENDING = 0, WEFT__FUT_DONE = 1, WEFT__FUT_CANCELLED = 2 };
enum { WEFT__KIND_TASK = 1, WEFT__KIND_FUTURE = 2 };

typedef struct weft__fut weft__fut;
/* A completion hook run synchronously when a fut finishes (waiters). */
typedef struct weft__waiter {
  weft__list link;
  void (*fn)(struct weft__waiter *w, weft__fut *f);
} weft__waiter;

typedef struct weft__done_cb {
  struct weft__done_cb *next;
  void (*fn)(void *fut, void *arg);
  void *arg;
} weft__done_cb;

struct weft__fut {
  uint32_t magic;
  uint8_t kind;
  uint8_t state;
  uint8_t retrieved;
  uint8_t awaited;
  uint32_t refs;
  int code;      /* 0 or negative errno */
  char *message; /* owned, may be NULL */
  void *result;
  weft_loop *loop;
  weft__list waiters; /* weft__waiter */
  weft__done_cb *callbacks, **callbacks_tail;
  weft__runnable cb_run; /* queued to run the done callbacks */
  uint8_t cb_queued;
};

#define WEFT__MAGIC_TASK 0x5745544bu   /* "WETK" */
#define WEFT__MAGIC_FUTURE 0x57454655u /* "WEFU" */
#define WEFT__MAGIC_DEAD 0xdeadf00du

void weft__fut_init(weft__fut *f, weft_loop *loop, uint8_t kind);
/* Finish: set state, run waiters, schedule done callbacks. */
void weft__fut_finish(weft__fut *f, uint8_t state, int code, char *message, void *result);
int weft__fut_add_callback(weft__fut *f, void (*fn)(void *, void *), void *arg);
size_t weft__fut_remove_callback(weft__fut *f, void (*fn)(void *, void *), void *arg);
int weft__fut_outcome(weft__fut *f, void **result);
void weft__fut_clear(weft__fut *f);
/* Suspend the current task until f finishes. */
int weft__fut_wait(weft__fut *f, const char *what);
char *weft__vformat(const char *fmt, va_list ap);

/* ---- scopes (scope.c) ----------------------------------------------- */
enum { WEFT__SCOPE_ROOT, WEFT__SCOPE_TIMEOUT, WEFT__SCOPE_SHIELD, WEFT__SCOPE_GROUP };

typedef struct weft__scope {
  struct weft__scope *parent;
  weft_task *task;
  int code; /* 0, -ECANCELED or -ETIMEDOUT once cancelled */
  uint8_t kind;
  uint8_t shield; /* stops cancellation from outer scopes */
  uint8_t expired;
  weft__timer timer;
} weft__scope;

void weft__scope_push(weft_task *t, weft__scope *s, uint8_t kind);
int weft__scope_pop(weft_task *t, weft__scope *s);
/* Cancel s with code (-ECANCELED or -ETIMEDOUT) and interrupt its task if
 * it is parked inside s. */
void weft__scope_cancel(weft__scope *s, int code);
/* The pending code of t, walking its scope chain (see weft__scope_pending). */
int weft__scope_pending_walk(const weft_task *t);

/* ---- tasks ---------------------------------------------------------- */
typedef struct weft__local {
  const void *key;
  void *value;
} weft__local;

struct weft_task {
  weft__fut fut; /* must be first */
  weft__runnable run;
  uint8_t started;
  uint8_t finishing;
  uint8_t cancel_seen;
  uint8_t failed;
  uint8_t queued;
  uint8_t parked;
  /* Set by a wait_cancel callback that finds the wait already satisfied
   * from another thread, with the wake-up posted but not yet delivered: the
   * interruption is then dropped (the cancellation stays pending and is seen
   * at the next suspension point), so nothing handed over is lost. */
  uint8_t wake_in_flight;
  int fail_code;
  char *fail_message;
  weft_task_fn fn;
  void *arg;
  weft__ctx ctx;
  weft__stack *stack;
  /* The stack the task is executing on: its own, or a generator's while
   * the task drives one (switches and overflow checks use this). */
  weft__stack *cur_stack;
  void *asan_fake;
  weft__scope root;
  weft__scope *scope;
  /* parking */
  const char *wait_what;
  void (*wait_cancel)(weft_task *t, void *obj);
  void *wait_obj;
  int wake_code;
  uint64_t id;
  weft__list all_link;
  weft__local *locals;
  size_t nlocals;
  char *name_heap;
  char name[32];
};

/* The code suspension points of t return now (0 if none); the common case,
 * a task in no nested scope, needs no walk. */
static inline int weft__scope_pending(const weft_task *t) {
  if (t->scope == &t->root)
    return t->root.code;
  return weft__scope_pending_walk(t);
}

/* The task running on this thread's loop, NULL outside tasks. */
weft_task *weft__current(void);
/*
 * Park the current task. wait_cancel(t, obj) is called if the task is
 * interrupted (cancel/timeout) before being woken, to unlink it from
 * whatever it waits on. Returns the code given to weft__wake, or the
 * interruption code. If a cancellation is already pending, returns it at
 * once without parking. -EPERM outside a task.
 */
int weft__park(const char *what, void (*wait_cancel)(weft_task *, void *), void *obj);
/* Wake a parked task with code. No effect if it is not parked. */
void weft__wake(weft_task *t, int code);
/* Interrupt t if it is parked and a cancellation applies to it. */
void weft__interrupt(weft_task *t);
void weft__task_ready(weft_task *t);
void weft__task_run(weft_loop *loop, weft_task *t);
void weft__task_free(weft_task *t);
void weft__task_cancel_with(weft_task *t, int code);
int weft__task_check_loop(weft_task *t);

/* Where weft_fail records an error outside any task (executor jobs). */
typedef struct weft__fail_sink {
  int failed;
  int code;
  char *message;
} weft__fail_sink;
/* Set this thread's sink; returns the previous one. */
weft__fail_sink *weft__set_fail_sink(weft__fail_sink *sink);

/* ---- loop ----------------------------------------------------------- */
struct weft_handle {
  weft__runnable run;
  weft__timer timer;
  weft_loop *loop;
  weft_callback cb;
  void *arg;
  uint32_t refs;
  uint8_t cancelled;
  uint8_t done;
  uint8_t pending; /* in the ready queue or the heap */
  double when;
};

typedef struct weft__ts_call {
  weft_callback cb;
  void *arg;
} weft__ts_call;

/* A threadsafe call whose memory the caller provides, so posting it cannot
 * fail for lack of memory (executor completions). */
typedef struct weft__ts_node {
  struct weft__ts_node *next;
  weft_callback cb;
  void *arg;
} weft__ts_node;

struct weft_loop {
  uv_loop_t uv;
  uv_timer_t wake_timer;
  uv_async_t async;
  uint64_t wake_timer_at;
  weft__runnable *ready_head;
  weft__runnable **ready_tail;
  size_t ready_len;
  size_t batch_left; /* entries of the current batch not yet run */
  weft__heap heap;
  weft_task *current;
  weft__ctx sched_ctx;
  const void *sched_stack_lo; /* the loop thread's stack, for ASan */
  void *sched_tsan_fiber;     /* the loop thread's own fiber, for TSan */
  size_t sched_stack_size;
  weft__list tasks;
  size_t ntasks;
  uint64_t next_task_id;
  weft__stack *stack_pool;
  size_t stack_pool_len;
  uint64_t last_poll;
  uint64_t clock_cache; /* a recent weft__now() */
  unsigned iter_since_clock;
  uint64_t poll_interval_ns;
  uint8_t running;
  uint8_t stopping;
  uint8_t draining;
  uint8_t closed;
  uint8_t debug;
  uint8_t stack_overflow; /* the current task overflowed (software check) */
  pthread_t thread;
  /* call_soon_threadsafe */
  pthread_mutex_t ts_lock;
  weft__ts_call *ts_calls;
  size_t ts_len, ts_cap;
  weft__ts_call *ts_spare;
  size_t ts_spare_cap;
  weft__ts_node *ts_nodes, **ts_nodes_tail;
  /* Spin-then-block hand-off with other threads: while replies are expected
   * (executor jobs in flight), the loop spins briefly before blocking in the
   * poll, and posters skip the eventfd write while it spins. */
  atomic_int ts_posted; /* something was queued since the last flush */
  atomic_int ts_spinning;
  size_t ts_expected;  /* loop thread only: replies in flight */
  uint8_t ts_can_spin; /* more than one CPU to run on */
  /* debug: freed tasks kept to catch double release */
  weft__list quarantine;
  /* Finished task structs kept for reuse (linked through run.next). */
  weft__runnable *task_cache;
  size_t task_cache_len;
  weft__runnable *handle_cache; /* free handles, linked through run.next */
  struct handle_chunk *handle_chunks;
  /* Tasks and futures still referenced: the loop's memory outlives
   * weft_loop_free until they are released. */
  size_t live_objects;
  uint8_t freed;
  /* Where the loop's stream transports read (net layer): data is delivered
   * before the next read, so one buffer serves every transport of the
   * loop. Allocated on first use, freed when the loop closes. */
  char *read_buf;
  /* The default executor (thread layer), shut down by weft_run and by
   * weft_loop_close before the loop closes. */
  void *default_executor;
  void (*default_executor_shutdown)(weft_loop *loop);
};

void weft__ready_push(weft_loop *loop, weft__runnable *r);
static inline void weft__loop_obj_ref(weft_loop *loop) {
  loop->live_objects++;
}
void weft__loop_obj_unref(weft_loop *loop);
weft_loop *weft__loop_or_current(weft_loop *loop);
void weft__loop_check_thread(weft_loop *loop);
/* Switch from the current task back to the scheduler. */
void weft__switch_to_sched(weft_task *t, int dying);
int weft__loop_run_until(weft_loop *loop, weft__fut *until);
int weft__loop_drain(weft_loop *loop);
void weft__loop_flush_threadsafe(weft_loop *loop);
/* From any thread: run node->cb(node->arg) on the loop. -EINVAL if the loop
 * is closed. */
int weft__post_threadsafe(weft_loop *loop, weft__ts_node *node);
void weft__debug_slow(weft_loop *loop, const char *kind, const char *name, uint64_t ns);

/* ---- TSan fiber annotations (no-ops without TSan) -------------------- */
#if defined(__SANITIZE_THREAD__)
#define WEFT__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT__TSAN 1
#endif
#endif

#ifdef WEFT__TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
static inline void *weft__tsan_current(void) {
  return __tsan_get_current_fiber();
}
static inline void *weft__tsan_create(void) {
  return __tsan_create_fiber(0);
}
static inline void weft__tsan_destroy(void *fiber) {
  __tsan_destroy_fiber(fiber);
}
/* Call right before the context switch to the stack that fiber belongs to. */
static inline void weft__tsan_switch(void *fiber) {
  __tsan_switch_to_fiber(fiber, 0);
}
#else
static inline void *weft__tsan_current(void) {
  return NULL;
}
static inline void *weft__tsan_create(void) {
  return NULL;
}
static inline void weft__tsan_destroy(void *fiber) {
  (void)fiber;
}
static inline void weft__tsan_switch(void *fiber) {
  (void)fiber;
}
#endif

/* ---- ASan fiber annotations (no-ops without ASan) -------------------- */
#if defined(__SANITIZE_ADDRESS__)
#define WEFT__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT__ASAN 1
#endif
#endif

#ifdef WEFT__ASAN
#include <sanitizer/common_interface_defs.h>
static inline void weft__fiber_start(void **fake, const void *lo, size_t size) {
  __sanitizer_start_switch_fiber(fake, lo, size);
}
static inline void weft__fiber_finish(void *fake, const void **old_lo, size_t *old_size) {
  __sanitizer_finish_switch_fiber(fake, old_lo, old_size);
}
#else
static inline void weft__fiber_start(void **fake, const void *lo, size_t size) {
  (void)fake;
  (void)lo;
  (void)size;
}
static inline void weft__fiber_finish(void *fake, const void **old_lo, size_t *old_size) {
  (void)fake;
  (void)old_lo;
  (void)old_size;
}
#endif

#endif
