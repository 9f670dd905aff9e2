/*
 * Process and Worker (aiomultiprocess): one function in one child, built on
 * a one-child pool that does not replace its child, so the child's exit
 * status is the process's.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "process/internal.h"

struct weft_process {
  weft_pool *pool;
  weft__pbatch *b;
  pid_t pid;
  int joined, taken, exitcode;
  int lost; /* the result was lost to an allocation failure here */
  weft_pool_result res;
};

/* The item failed here for want of memory, not in the child. */
static int lost_to_enomem(const weft_process *p) {
  return (p->b->state[0] & WEFT__PI_DONE) && (p->b->state[0] & WEFT__PI_LOCAL) &&
         p->res.code == -ENOMEM;
}

int weft_process_start(weft_process **out, weft_pool_fn fn, const weft_buf *arg) {
  weft_process *p = weft_calloc(1, sizeof *p);
  weft_buf none = {0};
  int rc;

  if (!p)
    return -ENOMEM;
  if ((rc = weft__pool_new_single(&p->pool)) != 0) {
    weft_free(p);
    return rc;
  }
  p->pid = weft_pool_pid(p->pool, 0);
  rc = weft__pool_batch(p->pool, fn, arg ? arg : &none, 1,
                        &(weft__psink){.res = &p->res, .copy = 1}, &p->b);
  if (rc != 0) {
    weft_pool_free(p->pool);
    weft_free(p);
    return rc;
  }
  weft_pool_close(p->pool); /* the child exits once its one item is done */
  if (lost_to_enomem(p)) {  /* the argument could not be sent */
    weft_process_free(p);
    return -ENOMEM;
  }
  *out = p;
  return 0;
}

static int exitcode_of(int status, int fn_failed) {
  if (status < 0)
    return -1;
  if (WIFSIGNALED(status))
    return -WTERMSIG(status);
  if (WEXITSTATUS(status) == 0 && fn_failed)
    return 1;
  return WEXITSTATUS(status);
}

int weft_process_join(weft_process *p, int *exitcode) {
  int rc, local;

  if (!p->joined) {
    if ((rc = weft__batch_wait(p->b, 0)) != 0)
      return rc;
    if ((rc = weft_pool_join(p->pool)) != 0)
      return rc;
    p->lost = lost_to_enomem(p);
    local = p->b->state[0] & WEFT__PI_LOCAL;
    weft__batch_abandon(p->b);
    p->b = NULL;
    p->joined = 1;
    p->exitcode = exitcode_of(weft__pool_last_status(p->pool), p->res.code && !local);
  }
  if (exitcode)
    *exitcode = p->exitcode;
  return p->lost ? -ENOMEM : 0;
}

int weft_process_result(weft_process *p, weft_pool_result *res) {
  if (!p->joined || p->taken)
    return -EINVAL;
  p->taken = 1;
  *res = p->res;
  p->res = (weft_pool_result){0};
  return res->code;
}

pid_t weft_process_pid(const weft_process *p) {
  return p->pid;
}

int weft_process_terminate(weft_process *p) {
  if (p->joined || weft_pool_processes(p->pool) == 0)
    return -ESRCH;
  return kill(p->pid, SIGKILL) == 0 ? 0 : -errno;
}

void weft_process_free(weft_process *p) {
  if (!p)
    return;
  if (p->b)
    weft__batch_abandon(p->b);
  weft_pool_free(p->pool);
  weft_pool_result_clear(&p->res);
  weft_free(p);
}
