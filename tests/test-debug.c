/* Introspection (dump_tasks, waiting_on, stack use) and debug warnings. */
#include "test.h"

int core_test_capture_begin(FILE **tmp);
void core_test_capture_end(FILE *tmp, int saved, char *buf, size_t len);

static void *sleeps(void *arg) {
  (void)arg;
  weft_sleep(10.0);
  return NULL;
}

static void *awaits(void *arg) {
  weft_await(arg, NULL);
  return NULL;
}

static void *awaits_future(void *arg) {
  weft_future_await(arg, NULL);
  return NULL;
}

static void *yields(void *arg) {
  (void)arg;
  while (weft_yield() == 0)
    ;
  return NULL;
}

/* The dump line of the task named name, or NULL. */
static const char *line_of(const char *dump, const char *name) {
  char key[64];

  snprintf(key, sizeof(key), "  %s ", name);
  return strstr(dump, key);
}

static int line_has(const char *dump, const char *name, const char *what) {
  const char *line = line_of(dump, name), *end;

  if (!line)
    return 0;
  end = strchr(line, '\n');
  const char *hit = strstr(line, what);
  return hit && (!end || hit < end);
}

static void *dump_main(void *arg) {
  weft_task *sl, *aw, *fu, *yi;
  weft_future *f;
  char dump[4096], size[32];
  FILE *out = tmpfile();
  size_t n;

  (void)arg;
  ASSERT_NOT_NULL(out);
  ASSERT_OK(weft_future_new(&f, NULL));
  ASSERT_OK(weft_spawn(&sl, sleeps, NULL, &(weft_spawn_opts){.name = "sleepy"}));
  ASSERT_OK(weft_spawn(&aw, awaits, sl, &(weft_spawn_opts){.name = "waiter"}));
  ASSERT_OK(weft_spawn(&fu, awaits_future, f,
                       &(weft_spawn_opts){.name = "fut-waiter", .stack_size = 65536}));
  ASSERT_OK(weft_spawn(&yi, yields, NULL, &(weft_spawn_opts){.name = "busy"}));
  ASSERT_OK(weft_sleep(0.001));

  ASSERT_STR_EQ("sleep", weft_task_waiting_on(sl));
  ASSERT_STR_EQ("await", weft_task_waiting_on(aw));
  ASSERT_STR_EQ("future", weft_task_waiting_on(fu));
  ASSERT_NULL(weft_task_waiting_on(weft_current_task())); /* running */
  ASSERT_GE(weft_task_stack_size(fu), 65536);
  ASSERT_LT(weft_task_stack_size(fu), 65536 + 8192);
  ASSERT_GT(weft_task_stack_used(sl), 0);
  ASSERT_LE(weft_task_stack_used(sl), weft_task_stack_size(sl));
  ASSERT_LT(weft_task_stack_used(sl), 64 * 1024); /* pages are committed as used */

  weft_dump_tasks(out);
  rewind(out);
  n = fread(dump, 1, sizeof(dump) - 1, out);
  dump[n] = '\0';
  fclose(out);
  ASSERT_NOT_NULL(strstr(dump, "weft: 5 task(s)"));
  ASSERT(line_has(dump, "main", "PENDING"));
  ASSERT(line_has(dump, "main", "(running)"));
  ASSERT(line_has(dump, "sleepy", "sleep"));
  ASSERT(line_has(dump, "waiter", "await"));
  ASSERT(line_has(dump, "fut-waiter", "future"));
  ASSERT(line_has(dump, "busy", "PENDING"));
  ASSERT(line_has(dump, "busy", "yield"));
  snprintf(size, sizeof(size), "stack %7zu", weft_task_stack_size(fu));
  ASSERT(line_has(dump, "fut-waiter", size));
  snprintf(size, sizeof(size), "used %7zu", weft_task_stack_used(sl));
  ASSERT(line_has(dump, "sleepy", size));

  weft_task_cancel(sl);
  weft_task_cancel(yi);
  ASSERT_OK(weft_future_set_result(f, NULL));
  ASSERT_OK(weft_await(aw, NULL));
  ASSERT_OK(weft_await(fu, NULL));
  ASSERT_OK(weft_await(yi, NULL));        /* it saw -ECANCELED and returned */
  ASSERT_NULL(weft_task_waiting_on(sl));  /* finished */
  ASSERT_EQ(0, weft_task_stack_size(sl)); /* its stack went back */
  weft_task_release(sl);
  weft_task_release(aw);
  weft_task_release(fu);
  weft_task_release(yi);
  weft_future_release(f);
  return NULL;
}

TEST_IMPL(debug_dump_tasks_and_waiting_on) {
  char buf[64];
  FILE *out = tmpfile();
  size_t n;

  ASSERT_NOT_NULL(out);
  weft_dump_tasks(out); /* no loop */
  rewind(out);
  n = fread(buf, 1, sizeof(buf) - 1, out);
  buf[n] = '\0';
  fclose(out);
  ASSERT_STR_EQ("weft: no loop\n", buf);
  ASSERT_OK(weft_test_run(dump_main, NULL, NULL));
  return 0;
}

/* ---- WEFT_DEBUG: slow steps ------------------------------------------ */

static void *hog(void *arg) {
  double until = weft_time() + 0.15;

  (void)arg;
  while (weft_time() < until)
    ; /* no suspension point for 150 ms */
  return NULL;
}

static void *quick(void *arg) {
  (void)arg;
  ASSERT_OK(weft_sleep(0.001));
  return NULL;
}

static void *slow_main(void *arg) {
  weft_task *a, *b;

  (void)arg;
  ASSERT_OK(weft_spawn(&a, hog, NULL, &(weft_spawn_opts){.name = "cpu-hog"}));
  ASSERT_OK(weft_spawn(&b, quick, NULL, &(weft_spawn_opts){.name = "polite"}));
  ASSERT_OK(weft_await(a, NULL));
  ASSERT_OK(weft_await(b, NULL));
  weft_task_release(a);
  weft_task_release(b);
  return NULL;
}

TEST_IMPL(debug_warns_about_slow_step) {
  char err[4096];
  FILE *tmp;
  int saved, rc;

  /* Off by default: no warning. */
  saved = core_test_capture_begin(&tmp);
  rc = weft_test_run(slow_main, NULL, NULL);
  core_test_capture_end(tmp, saved, err, sizeof(err));
  ASSERT_OK(rc);
  ASSERT_NULL(strstr(err, "cpu-hog"));
  /* WEFT_DEBUG=1 before the loop exists switches it on. */
  ASSERT_OK(setenv("WEFT_DEBUG", "1", 1));
  saved = core_test_capture_begin(&tmp);
  rc = weft_test_run(slow_main, NULL, NULL);
  core_test_capture_end(tmp, saved, err, sizeof(err));
  unsetenv("WEFT_DEBUG");
  ASSERT_OK(rc);
  ASSERT_NOT_NULL(strstr(err, "weft: debug: task 'cpu-hog' ran "));
  ASSERT_NOT_NULL(strstr(err, "without suspending"));
  ASSERT_NULL(strstr(err, "'polite'"));
  return 0;
}

static void stop_cb(void *arg) {
  weft_loop_stop(arg);
}

static void slow_callback(void *arg) {
  double until = weft_time() + 0.15;

  (void)arg;
  while (weft_time() < until)
    ;
}

TEST_IMPL(debug_set_debug_warns_about_slow_callback) {
  char err[4096];
  weft_loop *loop;
  FILE *tmp;
  int saved, rc;

  ASSERT_OK(weft_loop_new(&loop));
  weft_loop_set_debug(loop, 1);
  ASSERT_OK(weft_call_soon(loop, slow_callback, NULL, NULL));
  ASSERT_OK(weft_call_later(loop, 0.001, stop_cb, loop, NULL));
  saved = core_test_capture_begin(&tmp);
  rc = weft_loop_run_forever(loop);
  core_test_capture_end(tmp, saved, err, sizeof(err));
  ASSERT_OK(rc);
  ASSERT_NOT_NULL(strstr(err, "weft: debug: callback"));
  ASSERT_NOT_NULL(strstr(err, "without suspending"));
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}
