/*
 * The child side of a pool: a fresh thread with a fresh loop (weft_run)
 * that reads items from the socket, runs each as a task and sends back
 * its result or error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process/internal.h"

typedef struct cstate {
  weft__chan ch;
  int fd;
  const weft_pool_opts *opts;
  size_t running;
  int eof;
  weft_future *idle;   /* set once nothing is left to do */
  weft_future *closed; /* set by the pipe's close callback */
} cstate;

typedef struct citem {
  cstate *cs;
  uint64_t id;
  weft_pool_fn fn;
  weft_buf arg;
  weft_buf out;
} citem;

static void check_idle(cstate *cs) {
  if (cs->eof && cs->running == 0 && cs->ch.writes == 0 && cs->idle && !weft_future_done(cs->idle))
    weft_future_set_result(cs->idle, NULL);
}

static void *item_main(void *arg) {
  citem *it = arg;

  return it->fn(&it->arg, &it->out);
}

/* A result that cannot be sent would leave the parent waiting forever:
 * exit instead, so it fails the items this child had in flight. */
static void send_or_exit(cstate *cs, const weft__pframe *h, const void *data, void *owned) {
  if (weft__chan_send(&cs->ch, h, data, owned) != 0) {
    fflush(NULL);
    _exit(WEFT__CHILD_FAILED);
  }
}

static void send_error(cstate *cs, uint64_t id, int code, const char *msg) {
  char *copy = weft_strdup(msg ? msg : weft_strerror(code));
  weft__pframe h = {.kind = WEFT__PF_ERROR, .code = code, .id = id};

  h.len = copy ? strlen(copy) : 0;
  send_or_exit(cs, &h, copy, copy);
}

static void item_done(weft_task *t, void *arg) {
  citem *it = arg;
  cstate *cs = it->cs;
  weft__pframe h = {.kind = WEFT__PF_RESULT, .id = it->id};
  int code = weft_task_result(t, NULL);

  if (code) {
    send_error(cs, it->id, code, weft_task_error(t));
    weft_buf_free(&it->out);
  } else {
    h.len = it->out.len;
    send_or_exit(cs, &h, it->out.data, it->out.data);
  }
  weft_buf_free(&it->arg);
  weft_free(it);
  cs->running--;
  check_idle(cs);
}

static int item_start(cstate *cs, const weft__pframe *h, const char *payload) {
  citem *it = weft_calloc(1, sizeof *it);
  weft_task *t = NULL;
  int rc;

  if (!it)
    return -ENOMEM;
  it->cs = cs;
  it->id = h->id;
  it->fn = (weft_pool_fn)(uintptr_t)h->fn;
  if (h->len && !(it->arg.data = weft_malloc(h->len))) {
    weft_free(it);
    return -ENOMEM;
  }
  if (h->len)
    memcpy(it->arg.data, payload, h->len);
  it->arg.len = h->len;
  if ((rc = weft_spawn(&t, item_main, it, NULL)) != 0 ||
      (rc = weft_task_add_done_callback(t, item_done, it)) != 0) {
    if (t)
      weft_task_cancel(t); /* never started: it ends without running fn */
    weft_task_release(t);
    weft_buf_free(&it->arg);
    weft_free(it);
    return rc;
  }
  weft_task_release(t);
  cs->running++;
  return 0;
}

static void on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  cstate *cs = ch->data;
  int rc;

  if (h->kind != WEFT__PF_ITEM)
    return;
  if ((rc = item_start(cs, h, payload)) != 0)
    send_error(cs, h->id, rc, "worker could not start the item");
}

static void on_eof(weft__chan *ch, int err) {
  cstate *cs = ch->data;

  WEFT__UNUSED(err);
  cs->eof = 1;
  check_idle(cs);
}

static void on_drain(weft__chan *ch) {
  check_idle(ch->data);
}

static void on_closed(uv_handle_t *h) {
  cstate *cs = ((weft__chan *)h->data)->data;

  weft_future_set_result(cs->closed, NULL);
}

static void *child_main(void *arg) {
  cstate *cs = arg;
  int rc;

  cs->ch.data = cs;
  cs->ch.on_frame = on_frame;
  cs->ch.on_eof = on_eof;
  cs->ch.on_drain = on_drain;
  if ((rc = weft_future_new(&cs->idle, NULL)) != 0 ||
      (rc = weft_future_new(&cs->closed, NULL)) != 0)
    return weft_fail(rc, "worker setup failed");
  if (cs->opts->initializer)
    cs->opts->initializer(cs->opts->initarg);
  if ((rc = weft__chan_open(&cs->ch, weft_loop_uv(weft_loop_current()), cs->fd)) != 0)
    return weft_fail(rc, "worker could not open its channel");
  weft_future_await(cs->idle, NULL);
  uv_close((uv_handle_t *)&cs->ch.pipe, on_closed);
  weft_future_await(cs->closed, NULL);
  weft_future_release(cs->idle);
  weft_future_release(cs->closed);
  weft__chan_dispose(&cs->ch);
  return NULL;
}

static void *child_thread(void *arg) {
  cstate *cs = arg;

  return (void *)(intptr_t)weft_run(child_main, cs, NULL);
}

/* The forking thread may be a task's stack of the parent's loop, whose
 * thread-local state (current loop and task) it still carries: a new
 * thread starts clean, so the child's loop is built there. */
void weft__child_run(int fd, const weft_pool_opts *opts) {
  cstate cs = {.fd = fd, .opts = opts};
  pthread_t th;
  void *ret = NULL;
  int status = WEFT__CHILD_FAILED;

  if (pthread_create(&th, NULL, child_thread, &cs) == 0 && pthread_join(th, &ret) == 0)
    status = ret ? WEFT__CHILD_FAILED : 0;
  fflush(NULL);
  _exit(status);
}
