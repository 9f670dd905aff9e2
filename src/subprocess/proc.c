/*
 * A running child: its exit, the tasks waiting for it, signals, and what
 * happens to it when it is freed or the loop shuts down first.
 */
#include <signal.h>
#include <stdio.h>

#include "internal.h"

void weft__sp_unref(weft_subprocess *p) {
  if (--p->refs == 0)
    weft_free(p);
}

void weft__sp_close_cb(uv_handle_t *h) {
  weft__sp_unref(h->data);
}

void weft__sp_free_pipes(weft_subprocess *p) {
  for (int i = 0; i < 3; i++) {
    if (p->pipes[i])
      weft_stream_free(p->pipes[i]);
    p->pipes[i] = NULL;
  }
}

void weft__sp_exit_cb(uv_process_t *proc, int64_t status, int term_signal) {
  weft_subprocess *p = proc->data;

  p->returncode = term_signal ? -term_signal : (int)status;
  p->exited = 1;
  while (!weft__list_empty(&p->waiters)) {
    weft__sp_waiter *w = weft__container_of(p->waiters.next, weft__sp_waiter, link);
    weft__list_remove(&w->link);
    weft__wake(w->task, 0);
  }
  if (p->watcher)
    weft__wake(p->watcher, 0);
  uv_close((uv_handle_t *)&p->proc, weft__sp_close_cb); /* reaped: done with it */
}

/* The loop shuts down with the child still running: let it go. */
static void sp_detach(weft_subprocess *p) {
  fprintf(stderr, "weft: subprocess %d (%s) still running at loop close, left detached\n",
          (int)p->pid, p->name);
  p->detached = 1;
  uv_close((uv_handle_t *)&p->proc, weft__sp_close_cb);
}

/* Parks until the child exits; cancelled only when the loop shuts down
 * (weft_run cancels the tasks left after main). */
static void *sp_watch(void *arg) {
  weft_subprocess *p = arg;
  int rc = 0;

  while (!p->exited && rc == 0)
    rc = weft__park("subprocess", NULL, NULL);
  return NULL;
}

/* Run when the watcher ends, even if it was cancelled before it ran. */
static void sp_watch_done(weft__waiter *w, weft__fut *f) {
  weft_subprocess *p = weft__container_of(w, weft_subprocess, watch_done);

  WEFT__UNUSED(f);
  if (!p->exited && !p->detached)
    sp_detach(p);
  p->watcher = NULL;
  weft__sp_unref(p);
}

int weft__sp_watch(weft_subprocess *p) {
  weft_spawn_opts so = {.name = "subprocess watcher", .stack_size = 64 * 1024};
  int rc = weft_spawn(&p->watcher, sp_watch, p, &so);

  if (rc)
    return rc;
  p->watch_done.fn = sp_watch_done;
  weft__list_insert_tail(&p->watcher->fut.waiters, &p->watch_done.link);
  weft_task_release(p->watcher); /* the loop keeps it until it ends */
  p->refs++;
  return 0;
}

static void waiter_cancel(weft_task *t, void *obj) {
  weft__sp_waiter *w = obj;

  WEFT__UNUSED(t);
  if (weft__list_linked(&w->link))
    weft__list_remove(&w->link);
}

int weft_subprocess_wait(weft_subprocess *p, int *returncode) {
  weft__sp_waiter w;
  int rc = 0;

  if (!p)
    return -EINVAL;
  if (!(w.task = weft__current()))
    return -EPERM;
  while (!p->exited && !p->detached && rc == 0) {
    weft__list_insert_tail(&p->waiters, &w.link);
    rc = weft__park("subprocess wait", waiter_cancel, &w);
    waiter_cancel(w.task, &w);
  }
  if (rc)
    return rc;
  if (!p->exited)
    return -ECHILD;
  if (returncode)
    *returncode = p->returncode;
  return 0;
}

int weft_subprocess_returncode(const weft_subprocess *p, int *returncode) {
  if (!p || !p->exited)
    return 0;
  if (returncode)
    *returncode = p->returncode;
  return 1;
}

pid_t weft_subprocess_pid(const weft_subprocess *p) {
  return p ? p->pid : 0;
}

int weft_subprocess_send_signal(weft_subprocess *p, int sig) {
  if (!p || sig < 0 || sig >= NSIG)
    return -EINVAL;
  if (p->exited || p->detached)
    return -ESRCH;
  return kill(p->pid, sig) == 0 ? 0 : -errno;
}

int weft_subprocess_terminate(weft_subprocess *p) {
  return weft_subprocess_send_signal(p, SIGTERM);
}

int weft_subprocess_kill(weft_subprocess *p) {
  return weft_subprocess_send_signal(p, SIGKILL);
}

int weft_subprocess_killpg(weft_subprocess *p, int sig) {
  if (!p || sig < 0 || sig >= NSIG)
    return -EINVAL;
  if (p->exited || p->detached)
    return -ESRCH;
  return kill(-p->pid, sig) == 0 ? 0 : -errno;
}

weft_stream *weft_subprocess_stdin(weft_subprocess *p) {
  return p ? p->pipes[0] : NULL;
}

weft_stream *weft_subprocess_stdout(weft_subprocess *p) {
  return p ? p->pipes[1] : NULL;
}

weft_stream *weft_subprocess_stderr(weft_subprocess *p) {
  return p ? p->pipes[2] : NULL;
}

void weft_subprocess_free(weft_subprocess *p) {
  if (!p)
    return;
  p->freed = 1;
  weft__sp_free_pipes(p);
  weft__sp_unref(p);
}
