/*
 * Port of seed 001, "简单例子(Semaphore(信号量))": a semaphore bounds how many
 * of 100 tasks do their work at the same time. The seed's work is an HTTP
 * GET (see the http examples for that part); here each task holds the
 * semaphore for a 0.1 s sleep, so the effect of the limit shows in the
 * counts and the total time: 100 tasks, 10 at a time, take about 1 s.
 */
#include <math.h>
#include <stdio.h>
#include <weft.h>

#define NTASKS 100
#define LIMIT 10

static weft_sem sem = WEFT_SEM_INIT(LIMIT); /* 最大并发数 */
static int in_flight, max_in_flight;

static void *fetch(void *arg) {
  int id = (int)(intptr_t)arg;
  int rc = weft_sem_acquire(&sem);

  if (rc)
    return weft_fail(rc, NULL);
  if (++in_flight > max_in_flight)
    max_in_flight = in_flight;
  rc = weft_sleep(0.1); /* the request */
  printf("task %3d done (%d in flight)\n", id, in_flight);
  in_flight--;
  weft_sem_release(&sem);
  return rc ? weft_fail(rc, NULL) : NULL;
}

static void *amain(void *arg) {
  weft_task *tasks[NTASKS] = {0};
  double t0 = weft_time();
  int rc = 0;

  (void)arg;
  for (int i = 0; i < NTASKS && rc == 0; i++)
    rc = weft_spawn(&tasks[i], fetch, (void *)(intptr_t)i, NULL);
  if (rc == 0)
    rc = weft_wait(tasks, NTASKS, WEFT_ALL_COMPLETED, INFINITY, NULL, NULL);
  for (int i = 0; i < NTASKS; i++)
    weft_task_release(tasks[i]);
  if (rc)
    return weft_fail(rc, NULL);
  printf("%d tasks, at most %d at a time (limit %d), %.2f s\n", NTASKS, max_in_flight, LIMIT,
         weft_time() - t0);
  return NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
