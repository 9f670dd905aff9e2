/*
 * Signal handlers (add_signal_handler) and signal waits on libuv signal
 * watchers. A watcher's memory is freed in its close callback.
 */
#include <signal.h>

#include "internal.h"

struct weft_signal {
  uv_signal_t uv;
  weft_loop *loop;
  weft_signal_fn cb;
  void *arg;
  int signo;
  uint8_t removed;
};

typedef struct sig_wait {
  uv_signal_t uv;
  weft_loop *loop;
  weft_task *task; /* NULL once woken or interrupted */
  int signo;
} sig_wait;

static void handler_cb(uv_signal_t *h, int signo);
static void wait_cb(uv_signal_t *h, int signo);

int weft__signal_is_ours(const uv_signal_t *h) {
  return h->signal_cb == handler_cb || h->signal_cb == wait_cb;
}

int weft__signal_check(int signo) {
  if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
    return -EINVAL;
  return 0;
}

static void free_on_close(uv_handle_t *h) {
  weft_free(h->data);
}

static void handler_cb(uv_signal_t *h, int signo) {
  weft_signal *s = h->data;

  s->cb(signo, s->arg);
}

/* Start a watcher of signo on loop; on failure the memory is released. */
static int watch_start(weft_loop *loop, uv_signal_t *uv, void *owner, uv_signal_cb cb, int signo,
                       int oneshot) {
  int rc = uv_signal_init(&loop->uv, uv);

  uv->data = owner;
  if (rc) {
    weft_free(owner);
    return rc;
  }
  if ((rc = weft__sigint_claim(loop, signo)) != 0)
    goto fail_close;
  rc = oneshot ? uv_signal_start_oneshot(uv, cb, signo) : uv_signal_start(uv, cb, signo);
  if (rc)
    goto fail_release;
  return 0;
fail_release:
  weft__sigint_release(loop, signo);
fail_close:
  uv_close((uv_handle_t *)uv, free_on_close);
  return rc;
}

static weft_loop *usable_loop(void) {
  weft_loop *loop = weft_loop_current();

  return loop && !loop->closed ? loop : NULL;
}

int weft_signal_add(int signo, weft_signal_fn cb, void *arg, weft_signal **out) {
  weft_loop *loop = usable_loop();
  weft_signal *s;
  int rc;

  if (weft__signal_check(signo) || !cb || !out || !loop)
    return -EINVAL;
  if (!(s = weft_calloc(1, sizeof *s)))
    return -ENOMEM;
  s->loop = loop;
  s->cb = cb;
  s->arg = arg;
  s->signo = signo;
  if ((rc = watch_start(loop, &s->uv, s, handler_cb, signo, 0)) != 0)
    return rc;
  *out = s;
  return 0;
}

int weft_signal_signo(const weft_signal *h) {
  return h ? h->signo : -EINVAL;
}

int weft_signal_remove(weft_signal *h) {
  if (!h || h->removed)
    return -EINVAL;
  h->removed = 1;
  uv_signal_stop(&h->uv);
  weft__sigint_release(h->loop, h->signo);
  uv_close((uv_handle_t *)&h->uv, free_on_close);
  return 0;
}

/* ---- waiting -------------------------------------------------------- */

static void wait_close(sig_wait *w) {
  uv_signal_stop(&w->uv);
  weft__sigint_release(w->loop, w->signo);
  uv_close((uv_handle_t *)&w->uv, free_on_close);
}

static void wait_cb(uv_signal_t *h, int signo) {
  sig_wait *w = h->data;
  weft_task *t = w->task;

  WEFT__UNUSED(signo);
  w->task = NULL;
  wait_close(w);
  if (t)
    weft__wake(t, 0);
}

static void wait_interrupted(weft_task *t, void *obj) {
  sig_wait *w = obj;

  WEFT__UNUSED(t);
  w->task = NULL;
  wait_close(w);
}

int weft_signal_wait(int signo) {
  weft_task *t = weft__current();
  sig_wait *w;
  int rc;

  if (!t)
    return -EPERM;
  if (weft__signal_check(signo))
    return -EINVAL;
  if ((rc = weft__scope_pending(t)) != 0)
    return weft__park("signal", NULL, NULL);
  if (!(w = weft_calloc(1, sizeof *w)))
    return -ENOMEM;
  w->loop = t->fut.loop;
  w->task = t;
  w->signo = signo;
  if ((rc = watch_start(w->loop, &w->uv, w, wait_cb, signo, 1)) != 0)
    return rc;
  return weft__park("signal", wait_interrupted, w);
}
