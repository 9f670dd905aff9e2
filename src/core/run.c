/*
 * weft_run (asyncio.run): a fresh loop, the main task, cancellation of
 * whatever is left, and Ctrl-C handling.
 */
#include <errno.h>
#include <signal.h>

#include "internal.h"

typedef struct run_state {
  weft_loop *loop;
  uv_signal_t sigint;
  int interrupted;
} run_state;

static void cancel_all(weft_loop *loop) {
  for (weft__list *l = loop->tasks.next; l != &loop->tasks; l = l->next)
    weft_task_cancel(weft__container_of(l, weft_task, all_link));
}

/* First SIGINT: cancel everything. Stopping the watcher restores the
 * default action, so a second SIGINT ends the process at once. */
static void sigint_cb(uv_signal_t *h, int signum) {
  run_state *rs = h->data;

  WEFT__UNUSED(signum);
  rs->interrupted = 1;
  uv_signal_stop(h);
  cancel_all(rs->loop);
}

int weft_run(weft_task_fn fn, void *arg, void **result) {
  weft_loop *prev = weft_loop_current();
  weft_task *main_task = NULL;
  run_state rs = {0};
  int rc;

  if (weft__current() || (prev && prev->running))
    return -EBUSY;
  if ((rc = weft_loop_new(&rs.loop)) != 0)
    return rc;
  weft_loop_set_current(rs.loop);
  rc = weft_spawn(&main_task, fn, arg, &(weft_spawn_opts){.name = "main"});
  if (rc)
    goto out_loop;
  uv_signal_init(&rs.loop->uv, &rs.sigint);
  rs.sigint.data = &rs;
  uv_signal_start(&rs.sigint, sigint_cb, SIGINT);
  uv_unref((uv_handle_t *)&rs.sigint);
  rc = weft_loop_run_until_complete(rs.loop, main_task, result);
  if (rs.loop->ntasks)
    weft__loop_drain(rs.loop);
  if (rs.loop->default_executor_shutdown)
    rs.loop->default_executor_shutdown(rs.loop);
  uv_close((uv_handle_t *)&rs.sigint, NULL);
  if (rs.interrupted)
    rc = -ECANCELED;
  weft_task_release(main_task);
out_loop:
  weft_loop_free(rs.loop);
  weft_loop_set_current(prev);
  return rc;
}
