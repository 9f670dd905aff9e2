/* call_soon_threadsafe from other threads, and the debug thread check. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

int core_test_child(void (*fn)(void *), void *arg, int *status, char *err, size_t errlen);

#define NTHREADS 8
#define NCALLS 10000

typedef struct producer {
  weft_loop *loop;
  long id;
  pthread_t thread;
} producer;

static long next_seq[NTHREADS];
static long received, out_of_order;
static weft_future *all_in;

/* arg encodes (thread id, sequence number). */
static void receive(void *arg) {
  uintptr_t v = (uintptr_t)arg;
  long id = (long)(v >> 20), seq = (long)(v & 0xfffff);

  if (next_seq[id] != seq)
    out_of_order++;
  next_seq[id] = seq + 1;
  if (++received == (long)NTHREADS * NCALLS)
    ASSERT_OK(weft_future_set_result(all_in, NULL));
}

static void *produce(void *arg) {
  producer *p = arg;

  for (long i = 0; i < NCALLS; i++) {
    uintptr_t v = ((uintptr_t)p->id << 20) | (uintptr_t)i;
    ASSERT_OK(weft_call_soon_threadsafe(p->loop, receive, (void *)v));
    if (i % 1000 == 0)
      sched_yield(); /* let the loop drain while others produce */
  }
  return NULL;
}

static void *threads_main(void *arg) {
  producer ps[NTHREADS];

  (void)arg;
  ASSERT_OK(weft_future_new(&all_in, NULL));
  for (long i = 0; i < NTHREADS; i++) {
    ps[i].loop = weft_loop_current();
    ps[i].id = i;
    ASSERT_OK(pthread_create(&ps[i].thread, NULL, produce, &ps[i]));
  }
  /* Nothing else is scheduled: the loop blocks in its poll and only the
   * threads' wake-ups bring the calls in. */
  ASSERT_OK(weft_future_await(all_in, NULL));
  for (int i = 0; i < NTHREADS; i++)
    ASSERT_OK(pthread_join(ps[i].thread, NULL));
  weft_future_release(all_in);
  return NULL;
}

TEST_IMPL(threadsafe_many_threads_none_lost) {
  ASSERT_OK(weft_test_run(threads_main, NULL, NULL));
  ASSERT_EQ((long)NTHREADS * NCALLS, received);
  ASSERT_EQ(0, out_of_order);
  for (int i = 0; i < NTHREADS; i++)
    ASSERT_EQ(NCALLS, next_seq[i]);
  return 0;
}

static void stop_from_thread(void *arg) {
  weft_loop_stop(arg);
}

static void *stop_later(void *arg) {
  usleep(20000);
  ASSERT_OK(weft_call_soon_threadsafe(arg, stop_from_thread, arg));
  return NULL;
}

TEST_IMPL(threadsafe_wakes_idle_loop) {
  weft_loop *loop;
  pthread_t th;
  double t0;

  ASSERT_OK(weft_loop_new(&loop));
  ASSERT_OK(pthread_create(&th, NULL, stop_later, loop));
  t0 = weft_time();
  ASSERT_OK(weft_loop_run_forever(loop)); /* idle until the thread stops it */
  ASSERT(weft_time() - t0 >= 0.015);
  ASSERT_OK(pthread_join(th, NULL));
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  return 0;
}

/* ---- debug: the loop used from a thread that does not run it -------- */

static void never_runs(void *arg) {
  (void)arg;
}

static void *wrong_thread(void *arg) {
  weft_call_soon(arg, never_runs, NULL, NULL); /* must abort */
  return NULL;
}

static void *wrong_thread_main(void *arg) {
  pthread_t th;

  (void)arg;
  ASSERT_OK(pthread_create(&th, NULL, wrong_thread, weft_loop_current()));
  ASSERT_OK(weft_sleep(5.0));
  pthread_join(th, NULL);
  return NULL;
}

static void wrong_thread_child(void *arg) {
  (void)arg;
  setenv("WEFT_DEBUG", "1", 1);
  weft_run(wrong_thread_main, NULL, NULL);
  fprintf(stderr, "survived\n");
}

TEST_IMPL(threadsafe_debug_catches_wrong_thread) {
  char err[4096];
  int status;

  ASSERT_OK(core_test_child(wrong_thread_child, NULL, &status, err, sizeof(err)));
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(SIGABRT, WTERMSIG(status));
  ASSERT_NOT_NULL(strstr(err, "thread that does not run it"));
  ASSERT_NULL(strstr(err, "survived"));
  return 0;
}
