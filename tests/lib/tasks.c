/* Task helpers shared by tests (see tasks.h). */
#include <stdlib.h>

#include "tasks.h"

weft_task *spawn_named(weft_task_fn fn, void *arg, const char *name) {
  weft_task *t = NULL;

  ASSERT_OK(weft_spawn(&t, fn, arg, &(weft_spawn_opts){.name = name}));
  return t;
}

int await_rc(weft_task *t) {
  void *res = (void *)(intptr_t)12345;

  ASSERT_OK(weft_await(t, &res));
  weft_task_release(t);
  return (int)(intptr_t)res;
}

static void noop(void *arg) {
  (void)arg;
}

void timers_ready(void) {
  weft_handle *late;

  /* A far deadline first, then a near one: the near one cannot join the
   * in-order lane, so the heap gets its first block here. */
  ASSERT_OK(weft_call_later(NULL, 3600, noop, NULL, &late));
  ASSERT_OK(weft_sleep(1e-6));
  weft_handle_cancel(late);
  weft_handle_release(late);
}

void *sleeper(void *arg) {
  long ms = (long)arg;
  int rc = weft_sleep((double)labs(ms) / 1000);

  if (rc)
    return weft_fail(rc, "interrupted");
  if (ms < 0)
    return weft_fail(-EDOM, "division by zero");
  return arg;
}

void spawn_all(weft_task **t, const long *ms, size_t n) {
  for (size_t i = 0; i < n; i++)
    ASSERT_OK(weft_spawn(&t[i], sleeper, (void *)ms[i], NULL));
}

void finish_all(weft_task **t, size_t n) {
  for (size_t i = 0; i < n; i++)
    weft_task_cancel(t[i]);
  ASSERT_OK(weft_gather(t, n, WEFT_RETURN_EXCEPTIONS, NULL, NULL));
  for (size_t i = 0; i < n; i++)
    weft_task_release(t[i]);
}
