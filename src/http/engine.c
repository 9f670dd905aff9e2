/*
 * The session's curl multi handle on the weft loop: curl reports the
 * sockets it wants watched (CURLMOPT_SOCKETFUNCTION), each gets a uv_poll
 * handle; one uv_timer wakes curl at its next deadline
 * (CURLMOPT_TIMERFUNCTION). Finished transfers are handed to xfer.c. No
 * thread, no polling: everything runs in loop callbacks.
 */
#include <errno.h>
#include <pthread.h>

#include "http/engine.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void) {
  curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void weft__http_session_release(weft_http_session *s) {
  if (!s->freed || s->handles > 0 || s->n_xfers > 0)
    return;
  for (size_t i = 0; i < s->n_owned; i++)
    weft_free(s->owned[i]);
  weft_free(s->owned);
  weft_free(s->cookie_header);
  weft_free(s);
}

/* Hand every finished transfer to its owner. */
static void check_done(weft_http_session *s) {
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
    weft__http_xfer *x = NULL;

    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    if (x)
      weft__http_xfer_finished(x, msg->data.result);
  }
}

static void act(weft_http_session *s, curl_socket_t fd, int flags) {
  int running;

  if (s->torn || s->acting)
    return;
  s->acting = 1;
  curl_multi_socket_action(s->multi, fd, flags, &running);
  s->acting = 0;
  check_done(s);
}

static void poll_event(uv_poll_t *h, int status, int events) {
  weft__http_poll *p = h->data;
  int flags = 0;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  act(p->s, p->fd, flags);
}

/* curl may finish a transfer here, in libuv's timer phase, and wake its
 * task: stop uv_run so the loop runs the task instead of blocking in poll. */
static void timer_fire(uv_timer_t *t) {
  act(t->data, CURL_SOCKET_TIMEOUT, 0);
  uv_stop(t->loop);
}

static void poll_closed(uv_handle_t *h) {
  weft__http_poll *p = h->data;
  weft_http_session *s = p->s;

  p->next = s->spare;
  s->spare = p;
  s->handles--;
  if (s->torn) {
    s->spare = p->next;
    s->n_polls--;
    weft_free(p);
  }
  weft__http_session_release(s);
}

static void poll_close(weft_http_session *s, weft__http_poll *p) {
  weft__http_poll **pp = &s->polls;

  while (*pp && *pp != p)
    pp = &(*pp)->next;
  if (*pp)
    *pp = p->next;
  uv_close((uv_handle_t *)&p->h, poll_closed);
}

static weft__http_poll *poll_open(weft_http_session *s, curl_socket_t fd) {
  weft__http_poll *p = s->spare;

  if (p)
    s->spare = p->next;
  else if ((p = weft_calloc(1, sizeof *p)) != NULL)
    s->n_polls++;
  if (!p)
    return NULL;
  p->s = s;
  p->fd = fd;
  if (uv_poll_init_socket(&s->loop->uv, &p->h, fd) < 0) {
    p->next = s->spare;
    s->spare = p;
    return NULL;
  }
  p->h.data = p;
  s->handles++;
  p->next = s->polls;
  s->polls = p;
  return p;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  weft_http_session *s = userp;
  weft__http_poll *p = socketp;
  int events = 0;

  (void)easy;
  if (s->torn)
    return 0;
  if (what == CURL_POLL_REMOVE) {
    if (p) {
      poll_close(s, p);
      curl_multi_assign(s->multi, fd, NULL);
    }
    return 0;
  }
  if (!p) {
    p = poll_open(s, fd);
    if (!p)
      return -1; /* curl fails the transfers on this socket */
    curl_multi_assign(s->multi, fd, p);
  }
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&p->h, events, poll_event);
  return 0;
}

static int timer_cb(CURLM *multi, long ms, void *userp) {
  weft_http_session *s = userp;

  (void)multi;
  if (s->torn)
    return 0;
  if (ms < 0)
    uv_timer_stop(s->timer);
  else
    uv_timer_start(s->timer, timer_fire, (uint64_t)ms, 0);
  return 0;
}

static void multi_options(weft_http_session *s) {
  const weft_http_session_opts *o = &s->opts;
  long limit = o->limit == 0 ? 100 : o->limit < 0 ? 0 : o->limit;
  long per_host = o->limit_per_host > 0 ? o->limit_per_host : 0;

  curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, limit);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
  /* keep as many idle connections as may be open at once */
  curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, limit ? limit : 1000L);
  curl_multi_setopt(s->multi, CURLMOPT_PIPELINING,
                    o->http2 ? (long)CURLPIPE_MULTIPLEX : (long)CURLPIPE_NOTHING);
}

static void timer_closed(uv_handle_t *h) {
  weft_http_session *s = h->data;

  weft_free(h);
  s->handles--;
  weft__http_session_release(s);
}

int weft__http_engine_init(weft_http_session *s) {
  pthread_once(&curl_once, curl_init);
  if (curl_init_code != CURLE_OK)
    return weft__http_fail(-ENOMEM, "curl_global_init failed: %s",
                           curl_easy_strerror(curl_init_code));
  s->timer = weft_calloc(1, sizeof *s->timer);
  if (!s->timer)
    return weft__http_fail(-ENOMEM, NULL);
  s->multi = curl_multi_init();
  if (!s->multi) {
    weft_free(s->timer);
    s->timer = NULL;
    return weft__http_fail(-ENOMEM, "curl_multi_init failed");
  }
  uv_timer_init(&s->loop->uv, s->timer);
  s->timer->data = s;
  s->handles++;
  multi_options(s);
  return 0;
}

int weft__http_engine_reserve(weft_http_session *s) {
  /* two sockets per transfer (happy eyeballs), plus one */
  while (s->n_polls < 2 * (s->n_xfers + 1) + 1) {
    weft__http_poll *p = weft_calloc(1, sizeof *p);

    if (!p)
      return -ENOMEM;
    p->next = s->spare;
    s->spare = p;
    s->n_polls++;
  }
  return 0;
}

void weft__http_engine_teardown(weft_http_session *s) {
  if (s->torn || !s->multi)
    return;
  while (s->polls)
    poll_close(s, s->polls);
  s->torn = 1;
  curl_multi_cleanup(s->multi);
  s->multi = NULL;
  while (s->spare) {
    weft__http_poll *p = s->spare;

    s->spare = p->next;
    s->n_polls--;
    weft_free(p);
  }
  uv_close((uv_handle_t *)s->timer, timer_closed);
}
