/*
 * SIGINT and weft_run: while user code watches SIGINT on a loop, the other
 * SIGINT watchers on that loop (weft_run's Ctrl-C handling) are stopped, and
 * started again with their own callback when the last user watcher goes.
 * One record per loop, kept in a small list shared by every loop thread.
 */
#include <pthread.h>
#include <signal.h>

#include "internal.h"

#define SUSPENDED_MAX 4

typedef struct claim {
  struct claim *next;
  weft_loop *loop;
  size_t users;
  size_t nsuspended;
  uv_signal_t *suspended[SUSPENDED_MAX];
  uv_signal_cb cbs[SUSPENDED_MAX];
} claim;

static pthread_mutex_t claims_lock = PTHREAD_MUTEX_INITIALIZER;
static claim *claims;

static claim **claim_find(weft_loop *loop) {
  claim **p = &claims;

  while (*p && (*p)->loop != loop)
    p = &(*p)->next;
  return p;
}

/* Stop every active SIGINT watcher of the loop that is not a user's. */
static void suspend_walk(uv_handle_t *h, void *arg) {
  claim *c = arg;
  uv_signal_t *s = (uv_signal_t *)h;

  if (h->type != UV_SIGNAL || uv_is_closing(h) || !uv_is_active(h))
    return;
  if (s->signum != SIGINT || weft__signal_is_ours(s) || c->nsuspended == SUSPENDED_MAX)
    return;
  c->suspended[c->nsuspended] = s;
  c->cbs[c->nsuspended++] = s->signal_cb;
  uv_signal_stop(s);
}

int weft__sigint_claim(weft_loop *loop, int signo) {
  claim **p, *c;
  int rc = 0;

  if (signo != SIGINT)
    return 0;
  pthread_mutex_lock(&claims_lock);
  p = claim_find(loop);
  if (!*p) {
    if (!(c = weft_calloc(1, sizeof *c))) {
      rc = -ENOMEM;
      goto out;
    }
    c->loop = loop;
    *p = c;
    uv_walk(&loop->uv, suspend_walk, c);
  }
  (*p)->users++;
out:
  pthread_mutex_unlock(&claims_lock);
  return rc;
}

/* Restart the suspended watchers that weft_run has not closed meanwhile. */
static void claim_restore(claim *c) {
  for (size_t i = 0; i < c->nsuspended; i++)
    if (!uv_is_closing((uv_handle_t *)c->suspended[i]))
      uv_signal_start(c->suspended[i], c->cbs[i], SIGINT);
}

void weft__sigint_release(weft_loop *loop, int signo) {
  claim **p, *c;

  if (signo != SIGINT)
    return;
  pthread_mutex_lock(&claims_lock);
  p = claim_find(loop);
  c = *p;
  if (c && --c->users == 0) {
    *p = c->next;
    claim_restore(c);
    weft_free(c);
  }
  pthread_mutex_unlock(&claims_lock);
}
