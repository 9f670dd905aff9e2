/*
 * Tasks: a function on its own stack, scheduled by its loop. Switching goes
 * task -> scheduler -> task; the scheduler runs on the thread's own stack.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static size_t default_stack_size = WEFT_STACK_DEFAULT;

void weft_set_default_stack_size(size_t bytes) {
  if (bytes >= WEFT_STACK_MIN)
    default_stack_size = bytes;
}

size_t weft_default_stack_size(void) {
  return default_stack_size;
}

static int task_ok(const weft_task *t) {
  if (t && t->fut.magic == WEFT__MAGIC_TASK)
    return 1;
  if (t && t->fut.magic == WEFT__MAGIC_DEAD)
    weft__panic("weft: use of released task '%s'", t->name_heap ? t->name_heap : t->name);
  return 0;
}

/* ---- switching ------------------------------------------------------ */

/* The next entry of the current batch, if it is a started task we can
 * switch to directly (saving the trip through the scheduler). */
static weft_task *next_direct(weft_loop *loop) {
  weft__runnable *r = loop->ready_head;
  weft_task *n;

  if (!loop->batch_left || !r || r->kind != WEFT__RUN_TASK || WEFT__UNLIKELY(loop->debug))
    return NULL;
  n = weft__container_of(r, weft_task, run);
  if (!n->started)
    return NULL;
  loop->ready_head = r->next;
  if (!loop->ready_head)
    loop->ready_tail = &loop->ready_head;
  loop->ready_len--;
  loop->batch_left--;
  n->queued = 0;
  return n;
}

void weft__switch_to_sched(weft_task *t, int dying) {
  weft_loop *loop = t->fut.loop;
  weft_task *next = dying ? NULL : next_direct(loop);

  weft__stack_check(t, t->cur_stack);
  if (next) {
    loop->current = next;
    weft__fiber_start(&t->asan_fake, next->cur_stack->lo, next->cur_stack->size);
    weft__tsan_switch(next->cur_stack->tsan_fiber);
    weft__ctx_switch(&t->ctx, &next->ctx);
  } else {
    weft__fiber_start(dying ? NULL : &t->asan_fake, loop->sched_stack_lo, loop->sched_stack_size);
    weft__tsan_switch(loop->sched_tsan_fiber);
    weft__ctx_switch(&t->ctx, &loop->sched_ctx);
  }
  weft__fiber_finish(t->asan_fake, NULL, NULL);
}

static void task_complete(weft_task *t, void *result) {
  uint8_t state = WEFT__FUT_DONE;
  int code = 0;
  char *msg = NULL;

  if (t->failed) {
    code = t->fail_code;
    msg = t->fail_message;
    t->fail_message = NULL;
    result = NULL;
  } else if (t->root.code == -ECANCELED && !t->cancel_seen) {
    code = -ECANCELED;
    result = NULL;
  }
  if (code == -ECANCELED)
    state = WEFT__FUT_CANCELLED;
  t->finishing = 1;
  weft__list_remove(&t->all_link);
  t->fut.loop->ntasks--;
  weft__timer_stop(t->fut.loop, &t->root.timer);
  weft__fut_finish(&t->fut, state, code, msg, result);
}

static void task_entry(void *arg) {
  weft_task *t = arg;
  weft_loop *loop = t->fut.loop;
  void *result;

  weft__fiber_finish(NULL, &loop->sched_stack_lo, &loop->sched_stack_size);
  result = t->fn(t->arg);
  /* A scope still open lived in a frame that is gone: its timer would fire
   * into a dead stack. Nothing can be salvaged, so say so loudly. */
  if (WEFT__UNLIKELY(t->scope != &t->root))
    weft__panic("weft: task '%s' returned without leaving a timeout, shield or "
                "TaskGroup scope",
                weft_task_name(t));
  task_complete(t, result);
  weft__switch_to_sched(t, 1);
}

/* After the last switch out of a finished task: give back its stack and
 * drop the loop's reference. */
static void task_retire(weft_loop *loop, weft_task *t) {
  if (t->stack) {
    weft__stack_free(loop, t->stack);
    t->stack = NULL;
  }
  weft_task_release(t);
}

void weft__task_run(weft_loop *loop, weft_task *t) {
  uint64_t t0 = 0;
  void *fake = NULL;

  t->queued = 0;
  if (!t->started) {
    t->started = 1;
    if (t->root.code) { /* cancelled before it ever ran: asyncio never runs it */
      task_complete(t, NULL);
      task_retire(loop, t);
      return;
    }
  }
  if (WEFT__UNLIKELY(loop->debug))
    t0 = weft__now();
  loop->current = t;
  weft__fiber_start(&fake, t->cur_stack->lo, t->cur_stack->size);
  weft__tsan_switch(t->cur_stack->tsan_fiber);
  weft__ctx_switch(&loop->sched_ctx, &t->ctx);
  weft__fiber_finish(fake, NULL, NULL);
  if (WEFT__UNLIKELY(loop->stack_overflow))
    weft__stack_overflow_report(loop->current);
  t = loop->current; /* tasks may have switched to one another meanwhile */
  loop->current = NULL;
  if (WEFT__UNLIKELY(loop->debug))
    weft__debug_slow(loop, "task", weft_task_name(t), weft__now() - t0);
  if (t->finishing)
    task_retire(loop, t);
}

/* ---- parking -------------------------------------------------------- */

static int note_code(weft_task *t, int rc) {
  if (rc == -ECANCELED && t->root.code == -ECANCELED)
    t->cancel_seen = 1;
  return rc;
}

int weft__park(const char *what, void (*wait_cancel)(weft_task *, void *), void *obj) {
  weft_task *t = weft__current();
  int rc;

  if (!t)
    return -EPERM;
  rc = weft__scope_pending(t);
  if (rc)
    return note_code(t, rc);
  t->wait_what = what;
  t->wait_cancel = wait_cancel;
  t->wait_obj = obj;
  t->wake_code = 0;
  t->queued = 0;
  t->parked = 1; /* parked */
  weft__switch_to_sched(t, 0);
  return note_code(t, t->wake_code);
}

void weft__task_ready(weft_task *t) {
  t->queued = 1;
  weft__ready_push(t->fut.loop, &t->run);
}

void weft__wake(weft_task *t, int code) {
  if (!t->parked)
    return;
  t->parked = 0;
  t->wake_code = code;
  t->wait_what = NULL;
  t->wait_cancel = NULL;
  t->wait_obj = NULL;
  weft__task_ready(t);
}

void weft__interrupt(weft_task *t) {
  int rc;

  if (!t->parked)
    return;
  rc = weft__scope_pending(t);
  if (!rc)
    return;
  t->wake_in_flight = 0;
  if (t->wait_cancel)
    t->wait_cancel(t, t->wait_obj);
  if (t->wake_in_flight)
    return; /* too late: what it waited for is on its way (see internal.h) */
  weft__wake(t, rc);
}

int weft_yield(void) {
  weft_task *t = weft__current();
  int rc;

  if (!t)
    return -EPERM;
  rc = weft__scope_pending(t);
  if (rc)
    return note_code(t, rc);
  t->wake_code = 0;
  t->wait_what = "yield";
  weft__task_ready(t);
  weft__switch_to_sched(t, 0);
  t->wait_what = NULL;
  /* A cancel or deadline that arrived while the task waited its turn. */
  return note_code(t, weft__scope_pending(t));
}

typedef struct sleeper {
  weft__timer timer;
  weft_task *task;
} sleeper;

static void sleep_fired(weft__timer *tm) {
  weft__wake(((sleeper *)tm)->task, 0);
}

static void sleep_cancel(weft_task *t, void *obj) {
  weft__timer_stop(t->fut.loop, &((sleeper *)obj)->timer);
}

int weft_sleep(double seconds) {
  sleeper sl;
  int rc;

  if (isnan(seconds))
    return -EINVAL;
  if (seconds <= 0)
    return weft_yield();
  sl.task = weft__current();
  if (!sl.task)
    return -EPERM;
  weft__timer_init(&sl.timer, sleep_fired);
  rc = weft__timer_start(sl.task->fut.loop, &sl.timer, weft__seconds_to_ns_deadline(seconds));
  if (rc)
    return rc;
  rc = weft__park("sleep", sleep_cancel, &sl);
  weft__timer_stop(sl.task->fut.loop, &sl.timer);
  return rc;
}

/* ---- spawning ------------------------------------------------------- */

static weft_task *task_alloc(weft_loop *loop);

static int task_copy_locals(weft_task *t, const weft_task *parent) {
  if (!parent || parent->nlocals == 0)
    return 0;
  t->locals = weft_malloc(parent->nlocals * sizeof(*t->locals));
  if (!t->locals)
    return -ENOMEM;
  memcpy(t->locals, parent->locals, parent->nlocals * sizeof(*t->locals));
  t->nlocals = parent->nlocals;
  return 0;
}

static int task_set_name(weft_task *t, const char *name) {
  size_t n = strlen(name);
  char *heap = NULL;

  if (n >= sizeof(t->name)) {
    heap = weft_strdup(name);
    if (!heap)
      return -ENOMEM;
  } else {
    memcpy(t->name, name, n + 1);
  }
  weft_free(t->name_heap);
  t->name_heap = heap;
  return 0;
}

static int task_init(weft_task *t, weft_loop *loop, size_t stack_size, const char *name) {
  weft_task *parent = weft__current();
  int rc;

  weft__fut_init(&t->fut, loop, WEFT__KIND_TASK);
  t->run.kind = WEFT__RUN_TASK;
  t->run.next = NULL;
  t->scope = &t->root;
  t->root.parent = NULL;
  t->root.task = t;
  t->root.kind = WEFT__SCOPE_ROOT;
  weft__timer_init(&t->root.timer, NULL);
  t->id = ++loop->next_task_id;
  if (name && (rc = task_set_name(t, name)) != 0)
    return rc;
  if ((rc = task_copy_locals(t, parent && parent->fut.loop == loop ? parent : NULL)) != 0)
    return rc;
  rc = weft__stack_alloc(loop, stack_size, &t->stack);
  t->cur_stack = t->stack;
  return rc;
}

int weft_spawn(weft_task **out, weft_task_fn fn, void *arg, const weft_spawn_opts *opts) {
  static const weft_spawn_opts defaults;
  weft_loop *loop;
  weft_task *t;
  size_t stack_size;
  int rc;

  if (!opts)
    opts = &defaults;
  loop = weft__loop_or_current(opts->loop);
  stack_size = opts->stack_size ? opts->stack_size : default_stack_size;
  if (!fn || !loop || loop->closed || stack_size < WEFT_STACK_MIN)
    return -EINVAL;
  weft__loop_check_thread(loop);
  t = task_alloc(loop);
  if (!t)
    return -ENOMEM;
  rc = task_init(t, loop, stack_size, opts->name);
  if (rc) {
    weft__task_free(t);
    return rc;
  }
  t->fn = fn;
  t->arg = arg;
  weft__ctx_make(&t->ctx, t->stack->lo, t->stack->size, task_entry, t);
  weft__list_insert_tail(&loop->tasks, &t->all_link);
  loop->ntasks++;
  weft__task_ready(t);
  if (out) {
    t->fut.refs++;
    *out = t;
  }
  return 0;
}

/* ---- results and state ---------------------------------------------- */

static __thread weft__fail_sink *fail_sink __attribute__((tls_model("initial-exec")));

weft__fail_sink *weft__set_fail_sink(weft__fail_sink *sink) {
  weft__fail_sink *old = fail_sink;

  fail_sink = sink;
  return old;
}

/* Record code and message in a task, or in the thread's fail sink (a job
 * running on an executor thread). */
void *weft_fail(int code, const char *fmt, ...) {
  weft_task *t = weft__current();
  weft__fail_sink *sink = t ? NULL : fail_sink;
  char *msg = NULL;
  va_list ap;

  if (!t && !sink)
    return NULL;
  if (fmt) {
    va_start(ap, fmt);
    msg = weft__vformat(fmt, ap);
    va_end(ap);
  }
  code = code < 0 ? code : -EINVAL;
  if (t) {
    t->failed = 1;
    t->fail_code = code;
    weft_free(t->fail_message);
    t->fail_message = msg;
  } else {
    sink->failed = 1;
    sink->code = code;
    weft_free(sink->message);
    sink->message = msg;
  }
  return NULL;
}

int weft__task_check_loop(weft_task *t) {
  weft_task *cur = weft__current();

  if (!task_ok(t))
    return -EINVAL;
  if (!cur)
    return -EPERM;
  if (cur == t)
    return -EDEADLK;
  if (cur->fut.loop != t->fut.loop)
    return -EINVAL;
  return 0;
}

int weft_await(weft_task *t, void **result) {
  int rc = weft__task_check_loop(t);

  if (rc)
    return rc;
  t->fut.awaited = 1;
  rc = weft__fut_wait(&t->fut, "await");
  if (rc) {
    weft_task_cancel(t); /* as asyncio: cancelling the awaiter cancels the awaited */
    return rc;
  }
  return weft__fut_outcome(&t->fut, result);
}

void weft__task_cancel_with(weft_task *t, int code) {
  weft__scope_cancel(&t->root, code);
}

int weft_task_cancel(weft_task *t) {
  if (!task_ok(t) || t->fut.state != WEFT__FUT_PENDING || t->finishing)
    return 0;
  weft__task_cancel_with(t, -ECANCELED);
  return 1;
}

int weft_task_done(const weft_task *t) {
  return task_ok(t) && t->fut.state != WEFT__FUT_PENDING;
}

int weft_task_cancelled(const weft_task *t) {
  return task_ok(t) && t->fut.state == WEFT__FUT_CANCELLED;
}

weft_task_state weft_task_state_get(const weft_task *t) {
  return task_ok(t) ? (weft_task_state)t->fut.state : WEFT_TASK_PENDING;
}

const char *weft_task_state_name(const weft_task *t) {
  static const char *names[] = {"PENDING", "FINISHED", "CANCELLED"};
  return names[weft_task_state_get(t)];
}

int weft_task_result(weft_task *t, void **result) {
  if (!task_ok(t))
    return -EINVAL;
  t->fut.awaited = 1;
  return weft__fut_outcome(&t->fut, result);
}

const char *weft_task_error(weft_task *t) {
  if (!task_ok(t))
    return NULL;
  t->fut.retrieved = 1;
  return t->fut.message;
}

const char *weft_task_name(weft_task *t) {
  if (!t)
    return "(none)";
  if (t->name_heap)
    return t->name_heap;
  if (!t->name[0])
    snprintf(t->name, sizeof(t->name), "Task-%llu", (unsigned long long)t->id);
  return t->name;
}

int weft_task_set_name(weft_task *t, const char *name) {
  if (!task_ok(t) || !name)
    return -EINVAL;
  return task_set_name(t, name);
}

weft_loop *weft_task_loop(const weft_task *t) {
  return task_ok(t) ? t->fut.loop : NULL;
}

int weft_task_add_done_callback(weft_task *t, weft_task_done_fn cb, void *arg) {
  if (!task_ok(t) || !cb)
    return -EINVAL;
  return weft__fut_add_callback(&t->fut, (void (*)(void *, void *))(void (*)(void))cb, arg);
}

size_t weft_task_remove_done_callback(weft_task *t, weft_task_done_fn cb, void *arg) {
  if (!task_ok(t))
    return 0;
  return weft__fut_remove_callback(&t->fut, (void (*)(void *, void *))(void (*)(void))cb, arg);
}

weft_task *weft_task_retain(weft_task *t) {
  if (task_ok(t))
    t->fut.refs++;
  return t;
}

static void task_report_unretrieved(weft_task *t) {
  if (t->fut.state == WEFT__FUT_DONE && t->fut.code != 0 && !t->fut.retrieved)
    fprintf(stderr, "weft: Task exception was never retrieved: task '%s': %s (%s)\n",
            weft_task_name(t), t->fut.message ? t->fut.message : weft_strerror(t->fut.code),
            weft_err_name(t->fut.code));
  else if (t->fut.loop->debug && t->fut.state == WEFT__FUT_DONE && !t->fut.awaited &&
           t->fut.refs == 0 && t->fut.callbacks == NULL && t->fut.code == 0 &&
           t->fut.result != NULL)
    fprintf(stderr, "weft: debug: result of task '%s' was never awaited\n", weft_task_name(t));
}

#define TASK_CACHE_MAX 4096

void weft__task_free(weft_task *t) {
  weft_loop *loop = t->fut.loop;

  weft__fut_clear(&t->fut);
  weft_free(t->fail_message);
  weft_free(t->locals);
  weft_free(t->name_heap);
  if (!loop->freed && !loop->closed && loop->task_cache_len < TASK_CACHE_MAX) {
    t->run.next = loop->task_cache;
    loop->task_cache = &t->run;
    loop->task_cache_len++;
  } else {
    weft_free(t);
  }
  weft__loop_obj_unref(loop);
}

static weft_task *task_alloc(weft_loop *loop) {
  weft_task *t;

  if (loop->task_cache) {
    t = weft__container_of(loop->task_cache, weft_task, run);
    loop->task_cache = t->run.next;
    loop->task_cache_len--;
    memset(t, 0, sizeof(*t));
  } else if (!(t = weft_calloc(1, sizeof(*t)))) {
    return NULL;
  }
  weft__loop_obj_ref(loop);
  return t;
}

void weft_task_release(weft_task *t) {
  if (!t)
    return;
  if (!task_ok(t))
    weft__panic("weft: weft_task_release on something that is not a task");
  if (--t->fut.refs > 0)
    return;
  task_report_unretrieved(t);
  t->fut.magic = WEFT__MAGIC_DEAD;
  if (t->fut.loop->debug) { /* keep it to catch a double release */
    weft__list_insert_tail(&t->fut.loop->quarantine, &t->all_link);
    return;
  }
  weft__task_free(t);
}

weft_task *weft_current_task(void) {
  return weft__current();
}

size_t weft_all_tasks(weft_loop *loop, weft_task **out, size_t cap) {
  size_t n = 0;

  loop = weft__loop_or_current(loop);
  if (!loop)
    return 0;
  for (weft__list *l = loop->tasks.next; l != &loop->tasks; l = l->next, n++)
    if (n < cap)
      out[n] = weft__container_of(l, weft_task, all_link);
  return n;
}

/* ---- task-local values ---------------------------------------------- */

int weft_local_set(const void *key, void *value) {
  weft_task *t = weft__current();
  weft__local *items;

  if (!t)
    return -EPERM;
  for (size_t i = 0; i < t->nlocals; i++)
    if (t->locals[i].key == key) {
      t->locals[i].value = value;
      return 0;
    }
  items = weft_realloc(t->locals, (t->nlocals + 1) * sizeof(*items));
  if (!items)
    return -ENOMEM;
  items[t->nlocals].key = key;
  items[t->nlocals].value = value;
  t->locals = items;
  t->nlocals++;
  return 0;
}

void *weft_local_get(const void *key) {
  weft_task *t = weft__current();

  if (!t)
    return NULL;
  for (size_t i = 0; i < t->nlocals; i++)
    if (t->locals[i].key == key)
      return t->locals[i].value;
  return NULL;
}

/* ---- introspection -------------------------------------------------- */

const char *weft_task_waiting_on(const weft_task *t) {
  return task_ok(t) ? t->wait_what : NULL;
}

size_t weft_task_stack_size(const weft_task *t) {
  return task_ok(t) && t->stack ? t->stack->size : 0;
}

size_t weft_task_stack_used(const weft_task *t) {
  return task_ok(t) && t->stack ? weft__stack_used(t->stack) : 0;
}
