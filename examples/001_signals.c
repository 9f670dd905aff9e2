/*
 * Signals (loop.add_signal_handler): a SIGUSR1 handler that reports each
 * signal, and a graceful stop on SIGINT. A worker task does its rounds;
 * the program sends itself SIGUSR1 three times (kill(getpid(), ...)), then
 * SIGINT, as Ctrl-C would. The main task waits for SIGINT with
 * weft_signal_wait, which holds weft_run's own Ctrl-C handling back while
 * it waits, then stops the worker cleanly and exits with status 0.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <weft.h>

static int usr1_count;

static void on_usr1(int signo, void *arg) {
  (void)arg;
  printf("handler: got %s (%d so far)\n", signo == SIGUSR1 ? "SIGUSR1" : "?", ++usr1_count);
}

static void *worker(void *arg) {
  int rounds = 0, rc;

  (void)arg;
  while ((rc = weft_sleep(0.05)) == 0)
    rounds++;
  printf("worker: stopped after %d rounds\n", rounds);
  return weft_fail(rc, "stopped");
}

/* The program pokes itself: SIGUSR1 three times, then SIGINT. */
static void *poker(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; i++) {
    weft_sleep(0.1);
    printf("sending SIGUSR1\n");
    kill(getpid(), SIGUSR1);
  }
  weft_sleep(0.2);
  printf("sending SIGINT\n");
  kill(getpid(), SIGINT);
  return NULL;
}

static void *main_task(void *arg) {
  weft_task *w, *p;
  weft_signal *h;
  int rc;

  (void)arg;
  if ((rc = weft_signal_add(SIGUSR1, on_usr1, NULL, &h)) != 0)
    return weft_fail(rc, "signal_add");
  weft_spawn(&w, worker, NULL, NULL);
  weft_spawn(&p, poker, NULL, NULL);
  printf("running; waiting for SIGINT\n");
  rc = weft_signal_wait(SIGINT);
  printf("SIGINT received (%s): shutting down\n", weft_strerror(rc));
  weft_task_cancel(w);
  weft_await(w, NULL);
  weft_await(p, NULL);
  weft_task_release(w);
  weft_task_release(p);
  weft_signal_remove(h);
  printf("clean exit after %d SIGUSR1\n", usr1_count);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  return weft_run(main_task, NULL, NULL) == 0 ? 0 : 1;
}
