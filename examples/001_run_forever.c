/*
 * Port of seed 001, run_forever / stop / close: a coroutine that stops the
 * loop stops it for everyone (the 3-second task is left pending); stopping
 * from a done callback of the gather of both tasks waits for the slower one
 * (3 s); a loop that is not closed can run again; a closed loop refuses to.
 */
#include <errno.h>
#include <stdio.h>
#include <weft.h>

typedef struct work {
  weft_loop *loop;
  int x;
  int stop; /* call loop.stop() when done */
} work;

static void *do_some_work(void *arg) {
  work *w = arg;
  int rc;

  printf("Waiting %d\n", w->x);
  if ((rc = weft_sleep(w->x)) != 0)
    return weft_fail(rc, NULL);
  printf("Done\n");
  if (w->stop)
    weft_loop_stop(w->loop);
  return NULL;
}

static int spawn_work(weft_task **out, work *w) {
  return weft_spawn(out, do_some_work, w, &(weft_spawn_opts){.loop = w->loop});
}

/* The first task to finish stops the loop: the second one has not ended. */
static int stop_in_coroutine(weft_loop *loop) {
  work w1 = {loop, 1, 1}, w3 = {loop, 3, 1};
  weft_task *t1 = NULL, *t3 = NULL;
  int rc = spawn_work(&t1, &w1);

  if (rc == 0)
    rc = spawn_work(&t3, &w3);
  if (rc == 0)
    rc = weft_loop_run_forever(loop);
  if (rc == 0) {
    printf("loop 已停止: do_some_work(loop, 3) %s\n", weft_task_state_name(t3));
    weft_task_cancel(t3); /* clean up before the next program */
    rc = weft_loop_run_until_complete(loop, t3, NULL);
    printf("取消后: %s\n", weft_task_state_name(t3));
    rc = rc == -ECANCELED ? 0 : rc;
  }
  weft_task_release(t1);
  weft_task_release(t3);
  return rc;
}

typedef struct pair {
  weft_task *tasks[2];
} pair;

static void *gather_pair(void *arg) {
  int rc = weft_gather(((pair *)arg)->tasks, 2, 0, NULL, NULL);

  return rc ? weft_fail(rc, NULL) : NULL;
}

static void done_callback(weft_task *futus, void *loop) {
  (void)futus;
  weft_loop_stop(loop);
}

/* futus = asyncio.gather(...); futus.add_done_callback(partial(done_callback, loop)) */
static int stop_in_callback(weft_loop *loop) {
  work w1 = {loop, 1, 0}, w3 = {loop, 3, 0};
  pair p = {{NULL, NULL}};
  weft_task *futus = NULL;
  double start = weft_time();
  int rc = spawn_work(&p.tasks[0], &w1);

  if (rc == 0)
    rc = spawn_work(&p.tasks[1], &w3);
  if (rc == 0)
    rc = weft_spawn(&futus, gather_pair, &p, &(weft_spawn_opts){.loop = loop});
  if (rc == 0)
    rc = weft_task_add_done_callback(futus, done_callback, loop);
  if (rc == 0)
    rc = weft_loop_run_forever(loop);
  if (rc == 0)
    printf("loop 已停止, 耗时 %.2f s\n", weft_time() - start);
  weft_task_release(futus);
  weft_task_release(p.tasks[0]);
  weft_task_release(p.tasks[1]);
  return rc;
}

static int run_work(weft_loop *loop, int x) {
  work w = {loop, x, 0};
  weft_task *t;
  int rc = spawn_work(&t, &w);

  if (rc)
    return rc;
  rc = weft_loop_run_until_complete(loop, t, NULL);
  weft_task_release(t);
  return rc;
}

/* A loop runs as often as needed until it is closed. */
static int run_twice_then_close(weft_loop *loop) {
  int rc = run_work(loop, 1);

  if (rc == 0)
    rc = run_work(loop, 3);
  if (rc == 0)
    rc = weft_loop_close(loop);
  return rc;
}

/* run_until_complete on a closed loop: the seed's "此处异常". */
static int closed_loop_refuses(void) {
  weft_loop *loop;
  int rc = weft_loop_new(&loop);

  if (rc)
    return rc;
  rc = run_work(loop, 1);
  if (rc == 0)
    rc = weft_loop_close(loop);
  if (rc == 0) {
    int err = run_work(loop, 3);
    printf("loop 已关闭, run_until_complete(do_some_work(loop, 3)): %s (%s)\n", weft_strerror(err),
           weft_err_name(err));
    err = weft_loop_run_forever(loop);
    printf("loop 已关闭, run_forever(): %s (%s)\n", weft_strerror(err), weft_err_name(err));
  }
  weft_loop_free(loop);
  return rc;
}

int main(void) {
  weft_loop *loop;
  int rc;

  if ((rc = weft_loop_new(&loop)) != 0) {
    fprintf(stderr, "weft_loop_new: %s\n", weft_strerror(rc));
    return 1;
  }
  printf("--- 在协程中调 stop ---\n");
  rc = stop_in_coroutine(loop);
  if (rc == 0) {
    printf("--- gather + 回调中 stop ---\n");
    rc = stop_in_callback(loop);
  }
  if (rc == 0) {
    printf("--- loop 只要不关闭,就还可以再运行 ---\n");
    rc = run_twice_then_close(loop);
  }
  weft_loop_free(loop);
  if (rc == 0) {
    printf("--- 关闭了,就不能再运行了 ---\n");
    rc = closed_loop_refuses();
  }
  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  return 0;
}
