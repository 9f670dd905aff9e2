/*
 * Generators: a function on its own stack that its caller resumes (next,
 * send, throw, close) and that switches back at each yield.
 *
 * The body runs as whoever resumed it. From a task T, the body is T running
 * on another stack: T->cur_stack points at the generator's stack while the
 * body runs, so when the body suspends (weft_sleep ...) T's context is saved
 * on that stack and the scheduler resumes it there, with the right fiber
 * bounds and overflow checks. From plain code there is no task, and the
 * running generators form a thread-local chain.
 *
 * The body finds its own generator through a pointer kept at the top of its
 * stack (task case) or the thread-local chain (plain case); so a yield may
 * happen at any call depth of the body.
 *
 * Stacks come from the core allocator without a loop: a generator can be
 * created, driven and released outside any loop and may outlive the loop
 * that drove it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "weft/gen.h"

#ifdef WEFT__ASAN
#include <sanitizer/asan_interface.h>
#endif

#define GEN_MAGIC 0x5745474eu /* "WEGN" */
#define GEN_DEAD 0xdeadbeefu
/* Bytes reserved at the top of a generator's stack for the pointer back to
 * the generator; a multiple of 16 keeps the body's stack top aligned. */
#define GEN_TOP 64

struct weft_gen {
  uint32_t magic;
  uint32_t refs;
  uint8_t state;
  int in_code;     /* what the pending yield returns: 0, thrown code, EXIT */
  void *in_value;  /* the value sent */
  int out_code;    /* 0 yielded, WEFT_GEN_DONE, or the body's error */
  int fail_code;   /* set by weft_gen_fail */
  void *out_value; /* yielded or returned value */
  weft_gen_fn fn;
  void *arg;
  weft__ctx ctx;        /* the body, while the caller runs */
  weft__ctx caller_ctx; /* the caller, while the body runs */
  weft__stack *stack;
  weft_task *task;           /* the task the body runs as; NULL: plain code */
  weft__stack *caller_stack; /* task->cur_stack to restore after the body */
  weft_gen *outer;           /* plain code: the generator around this one */
  void *body_fake, *caller_fake;
  const void *caller_lo;   /* the caller's stack, for ASan */
  void *caller_tsan_fiber; /* the caller's fiber, for TSan */
  size_t caller_size;
  char *name;
};

static __thread weft_gen *plain_current;
/* The generator this thread resumed last and its stack bounds: a yield
 * running inside those bounds belongs to it (a stack can only be reused by
 * a generator resumed later, which overwrites this), so the common case
 * finds its generator without a lookup or a dereference. */
static __thread struct {
  weft_gen *g;
  const char *lo, *hi;
} last_resumed;

static void gen_free(weft_gen *g);

static int gen_ok(const weft_gen *g) {
  return g && g->magic == GEN_MAGIC;
}

static weft_gen **stack_slot(const weft__stack *s) {
  return (weft_gen **)(void *)(s->lo + s->size - GEN_TOP);
}

static int on_own_stack(const weft_gen *g) {
  const char *sp = __builtin_frame_address(0);

  return g->stack && sp >= g->stack->lo && sp < g->stack->lo + g->stack->size;
}

/* The generator whose body is running here. Only generators move a task's
 * cur_stack off its own stack. */
static inline weft_gen *gen_running(void) {
  const char *sp = __builtin_frame_address(0);
  weft_task *t;

  if (WEFT__LIKELY(sp >= last_resumed.lo && sp < last_resumed.hi))
    return last_resumed.g;
  t = weft__current();

  if (t)
    return t->cur_stack != t->stack ? *stack_slot(t->cur_stack) : NULL;
  /* The check keeps a loop callback run from inside a body (a body may
   * run a loop) from yielding on the body's behalf. */
  return plain_current && on_own_stack(plain_current) ? plain_current : NULL;
}

static void gen_drop_stack(weft_gen *g) {
  if (!g->stack)
    return;
  if (last_resumed.g == g)
    last_resumed.g = NULL, last_resumed.lo = last_resumed.hi = NULL;
#ifdef WEFT__ASAN
  /* A body abandoned at a yield leaves its frames' red zones poisoned. */
  if (g->state != WEFT_GEN_CLOSED)
    __asan_unpoison_memory_region(g->stack->lo, g->stack->size);
#endif
  weft__stack_free(NULL, g->stack);
  g->stack = NULL;
}

/* ---- the body's side ------------------------------------------------ */

/* Switch from the body back to its caller; returns when resumed. */
static void gen_switch_out(weft_gen *g, int dying) {
  if (g->task)
    weft__stack_check(g->task, g->stack);
  weft__fiber_start(dying ? NULL : &g->body_fake, g->caller_lo, g->caller_size);
  weft__tsan_switch(g->caller_tsan_fiber);
  weft__ctx_switch(&g->ctx, &g->caller_ctx);
  weft__fiber_finish(g->body_fake, &g->caller_lo, &g->caller_size);
}

static void gen_entry(void *arg) {
  weft_gen *g = arg;
  void *result;

  weft__fiber_finish(NULL, &g->caller_lo, &g->caller_size);
  result = g->fn(g->arg);
  g->out_code = g->fail_code ? g->fail_code : WEFT_GEN_DONE;
  g->out_value = g->fail_code ? NULL : result;
  g->state = WEFT_GEN_CLOSED;
  gen_switch_out(g, 1);
  weft__panic("weft: finished generator '%s' resumed", weft_gen_name(g));
}

int weft_yield_value(void *value, void **sent) {
  weft_gen *g = gen_running();

  if (sent)
    *sent = NULL;
  if (!g)
    return -EPERM;
  g->out_code = 0;
  g->out_value = value;
  g->state = WEFT_GEN_SUSPENDED;
  gen_switch_out(g, 0);
  if (sent && g->in_code == 0)
    *sent = g->in_value;
  return g->in_code;
}

void *weft_gen_fail(int code) {
  weft_gen *g = gen_running();

  if (g)
    g->fail_code = code < 0 ? code : -EINVAL;
  return NULL;
}

weft_gen *weft_gen_current(void) {
  return gen_running();
}

/* ---- the caller's side ---------------------------------------------- */

/* Run the body until it yields or returns; return its out code. Inlined
 * into its callers: every return between a context switch and the user's
 * code costs a mispredicted branch, so the fewer frames the better. */
static inline __attribute__((always_inline)) int gen_resume(weft_gen *g, int code, void *sent,
                                                            void **value) {
  weft_task *t = weft__current();
  int rc;

  g->in_code = code;
  g->in_value = sent;
  g->state = WEFT_GEN_RUNNING;
  g->refs++; /* a release from inside the body must not free it under us */
  g->task = t;
  last_resumed.g = g;
  last_resumed.lo = g->stack->lo;
  last_resumed.hi = g->stack->lo + g->stack->size;
  if (t) {
    g->caller_stack = t->cur_stack;
    t->cur_stack = g->stack;
  } else {
    g->outer = plain_current;
    plain_current = g;
  }
  weft__fiber_start(&g->caller_fake, g->stack->lo, g->stack->size);
  g->caller_tsan_fiber = weft__tsan_current();
  weft__tsan_switch(g->stack->tsan_fiber);
  weft__ctx_switch(&g->caller_ctx, &g->ctx);
  weft__fiber_finish(g->caller_fake, NULL, NULL);
  /* The body ran as t (a suspension inside it parks and resumes t), so t
   * is the task that continues here. */
  if (t)
    t->cur_stack = g->caller_stack;
  else
    plain_current = g->outer;
  if (g->state == WEFT_GEN_CLOSED)
    gen_drop_stack(g);
  rc = g->out_code;
  if (value)
    *value = g->out_value;
  g->out_value = NULL;
  if (WEFT__UNLIKELY(--g->refs == 0)) /* released while the body ran */
    gen_free(g);
  return rc;
}

/* 0 when g can be resumed now. */
static int gen_check(const weft_gen *g) {
  if (!gen_ok(g))
    return -EINVAL;
  return g->state == WEFT_GEN_RUNNING ? -EBUSY : 0;
}

static void gen_mark_closed(weft_gen *g) {
  g->state = WEFT_GEN_CLOSED;
  gen_drop_stack(g);
}

int weft_gen_send(weft_gen *g, void *sent, void **value) {
  int rc = gen_check(g);

  if (value)
    *value = NULL;
  if (rc)
    return rc;
  if (g->state == WEFT_GEN_CLOSED)
    return WEFT_GEN_DONE;
  if (g->state == WEFT_GEN_CREATED && sent)
    return -EINVAL; /* TypeError: can't send non-None value to a just-started generator */
  return gen_resume(g, 0, sent, value);
}

int weft_gen_next(weft_gen *g, void **value) {
  return weft_gen_send(g, NULL, value);
}

int weft_gen_throw(weft_gen *g, int code, void **value) {
  int rc = gen_check(g);

  if (value)
    *value = NULL;
  if (rc)
    return rc;
  if (code >= 0)
    return -EINVAL;
  if (g->state == WEFT_GEN_CREATED)
    gen_mark_closed(g); /* raised before the first line: the body never runs */
  if (g->state == WEFT_GEN_CLOSED)
    return code;
  return gen_resume(g, code, NULL, value);
}

int weft_gen_close(weft_gen *g) {
  int rc = gen_check(g);

  if (rc)
    return rc;
  if (g->state == WEFT_GEN_CREATED)
    gen_mark_closed(g);
  if (g->state == WEFT_GEN_CLOSED)
    return 0;
  rc = gen_resume(g, WEFT_GEN_EXIT, NULL, NULL);
  if (rc == 0)
    return -EINVAL; /* RuntimeError: generator ignored GeneratorExit */
  return rc == WEFT_GEN_DONE || rc == WEFT_GEN_EXIT ? 0 : rc;
}

int weft_gen_aclose(weft_gen *g) {
  if (!gen_ok(g))
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  return weft_gen_close(g);
}

int weft_gen_prime(weft_gen *g) {
  if (!gen_ok(g) || g->state != WEFT_GEN_CREATED)
    return -EINVAL;
  return gen_resume(g, 0, NULL, NULL);
}

int weft_gen_for_each(weft_gen *g, int (*fn)(void *value, void *arg), void *arg) {
  void *v;
  int rc;

  if (!fn)
    return -EINVAL;
  while ((rc = weft_gen_next(g, &v)) == 0)
    if ((rc = fn(v, arg)) != 0)
      return rc;
  return rc == WEFT_GEN_DONE ? 0 : rc;
}

/* PEP 380 with stackful bodies: a loop in the delegating body that passes
 * values out and sends / throws in. */
int weft_yield_from(weft_gen *sub, void **result) {
  void *y = NULL, *s;
  int rc, in;

  if (result)
    *result = NULL;
  if (!gen_running())
    return -EPERM;
  rc = weft_gen_next(sub, &y);
  while (rc == 0) {
    in = weft_yield_value(y, &s);
    if (in == WEFT_GEN_EXIT) {
      rc = weft_gen_close(sub);
      return rc ? rc : WEFT_GEN_EXIT;
    }
    rc = in ? weft_gen_throw(sub, in, &y) : weft_gen_send(sub, s, &y);
  }
  if (rc != WEFT_GEN_DONE)
    return rc;
  if (result)
    *result = y;
  return 0;
}

/* ---- life cycle ----------------------------------------------------- */

int weft_gen_new(weft_gen **out, weft_gen_fn fn, void *arg, const weft_gen_opts *opts) {
  static const weft_gen_opts defaults;
  weft_gen *g;
  size_t size;
  int rc;

  if (!opts)
    opts = &defaults;
  if (out)
    *out = NULL;
  size = opts->stack_size ? opts->stack_size : weft_default_stack_size();
  if (!out || !fn || size < WEFT_STACK_MIN)
    return -EINVAL;
  g = weft_calloc(1, sizeof(*g));
  if (!g)
    return -ENOMEM;
  if (opts->name && !(g->name = weft_strdup(opts->name))) {
    weft_free(g);
    return -ENOMEM;
  }
  if ((rc = weft__stack_alloc(NULL, size, &g->stack)) != 0) {
    weft_free(g->name);
    weft_free(g);
    return rc;
  }
  *stack_slot(g->stack) = g;
  weft__ctx_make(&g->ctx, g->stack->lo, g->stack->size - GEN_TOP, gen_entry, g);
  g->magic = GEN_MAGIC;
  g->refs = 1;
  g->state = WEFT_GEN_CREATED;
  g->fn = fn;
  g->arg = arg;
  if (opts->primed && (rc = weft_gen_prime(g)) != 0) {
    weft_gen_release(g);
    return rc;
  }
  *out = g;
  return 0;
}

weft_gen *weft_gen_retain(weft_gen *g) {
  if (gen_ok(g))
    g->refs++;
  return g;
}

/* The last reference went away while the body sits at a yield: close it
 * as Python does when a suspended generator is collected. */
static int gen_close_orphan(weft_gen *g) {
  int rc;

  g->refs = 1; /* alive while its cleanup runs */
  rc = weft_gen_close(g);
  if (rc == -EINVAL)
    fprintf(stderr, "weft: generator '%s' ignored WEFT_GEN_EXIT; its stack is dropped\n",
            weft_gen_name(g));
  else if (rc < 0)
    fprintf(stderr, "weft: generator '%s' failed while being closed: %s (%s)\n", weft_gen_name(g),
            weft_strerror(rc), weft_err_name(rc));
  return --g->refs; /* the cleanup may have retained it */
}

/* The last reference is gone. */
static void gen_free(weft_gen *g) {
  if (g->state == WEFT_GEN_SUSPENDED && gen_close_orphan(g) > 0)
    return;
  g->magic = GEN_DEAD;
  gen_drop_stack(g);
  weft_free(g->name);
  weft_free(g);
}

void weft_gen_release(weft_gen *g) {
  if (!g)
    return;
  if (!gen_ok(g))
    weft__panic("weft: weft_gen_release on something that is not a generator");
  if (--g->refs == 0)
    gen_free(g);
}

/* ---- introspection -------------------------------------------------- */

weft_gen_state weft_gen_state_get(const weft_gen *g) {
  return gen_ok(g) ? (weft_gen_state)g->state : WEFT_GEN_CLOSED;
}

const char *weft_gen_state_name(const weft_gen *g) {
  static const char *names[] = {"GEN_CREATED", "GEN_RUNNING", "GEN_SUSPENDED", "GEN_CLOSED"};

  return names[weft_gen_state_get(g)];
}

const char *weft_gen_name(const weft_gen *g) {
  if (!gen_ok(g))
    return "(invalid)";
  return g->name ? g->name : "generator";
}
