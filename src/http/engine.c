/*
 * The session's curl multi handle on the weft loop: curl reports the
 * sockets it wants watched (CURLMOPT_SOCKETFUNCTION), each gets a uv_poll
 * handle; one uv_timer wakes curl at its next deadline
 * (CURLMOPT_TIMERFUNCTION). Finished transfers are handed to xfer.c. No
 * thread, no polling: everything runs in loop callbacks.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "http/engine.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void) {
  curl_init_code = weft__http_curl_global_init();
}

void weft__http_session_release(weft_http_session *s) {
  if (!s->freed || s->handles > 0 || s->n_xfers > 0 || s->n_responses > 0)
    return;
  for (size_t i = 0; i < s->n_spare_bodies; i++)
    weft_free(s->spare_bodies[i].buf);
  weft_free(s->spare_bodies);
  for (size_t i = 0; i < s->n_owned; i++)
    weft_free(s->owned[i]);
  weft_free(s->owned);
  weft_free(s->cookie_header);
  weft_free(s->socks);
  weft__http_dns_free(s);
  if (s->curl_held)
    weft__http_curl_release();
  weft_free(s);
}

char *weft__http_body_take(weft_http_session *s, size_t want, size_t *cap) {
  for (size_t i = s->n_spare_bodies; i-- > 0;) {
    weft__http_spare sp = s->spare_bodies[i];

    if (sp.cap < want)
      continue;
    s->spare_bodies[i] = s->spare_bodies[--s->n_spare_bodies];
    *cap = sp.cap;
    return sp.buf;
  }
  return NULL;
}

/* Room for one more spare body; 0 if the session keeps no more. */
static int spare_room(weft_http_session *s) {
  weft__http_spare *p;
  size_t cap;

  if (s->n_spare_bodies < s->spare_bodies_cap)
    return 1;
  if (s->spare_bodies_cap >= s->keep)
    return 0;
  cap = s->spare_bodies_cap ? s->spare_bodies_cap * 2 : 16;
  if (cap > s->keep)
    cap = s->keep;
  if (!(p = weft_realloc(s->spare_bodies, cap * sizeof *p)))
    return 0;
  s->spare_bodies = p;
  s->spare_bodies_cap = cap;
  return 1;
}

void weft__http_body_give(weft_http_session *s, char *buf, size_t cap) {
  if (!buf || s->freed || cap > WEFT__HTTP_SPARE_BODY_MAX || !spare_room(s)) {
    weft_free(buf);
    return;
  }
  s->spare_bodies[s->n_spare_bodies++] = (weft__http_spare){buf, cap};
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
  s->entered = weft_time();
  curl_multi_socket_action(s->multi, fd, flags, &running);
  s->acting = 0;
  check_done(s);
}

static void poll_event(uv_poll_t *h, int status, int events);

/* Watch events on p (0: stop), skipping libuv when nothing changes: a
 * restart costs two epoll_ctl calls. */
static void poll_watch(weft__http_poll *p, int events) {
  if (events == p->events)
    return;
  p->events = events;
  if (events)
    uv_poll_start(&p->h, events, poll_event);
  else
    uv_poll_stop(&p->h);
}

static void poll_event(uv_poll_t *h, int status, int events) {
  weft__http_poll *p = h->data;
  int flags = 0;

  if (!p->wanted) {
    /* an idle connection's socket got data or was closed: curl checks
     * it before reusing it */
    poll_watch(p, 0);
    return;
  }
  if (status < 0) {
    /* POLLERR: libuv stopped the handle. Let curl read and write, so it
     * takes what arrived before the error and then the error's errno
     * (CURL_CSELECT_ERR alone fails with "select/poll returned error"). */
    int was = p->events;

    p->events = 0;
    act(p->s, p->fd, CURL_CSELECT_IN | CURL_CSELECT_OUT);
    if (p->wanted && !p->events && !uv_is_closing((uv_handle_t *)&p->h))
      poll_watch(p, was);
    return;
  }
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

  s->handles--;
  if (s->torn) {
    s->n_polls--;
    weft_free(p);
  } else {
    p->next = s->spare;
    s->spare = p;
  }
  weft__http_session_release(s);
}

static weft__http_sock *sock_of(weft_http_session *s, curl_socket_t fd) {
  if (fd < 0 || (size_t)fd >= s->n_socks)
    return NULL;
  return &s->socks[fd];
}

static void poll_close(weft_http_session *s, weft__http_poll *p) {
  weft__http_sock *k = sock_of(s, p->fd);

  if (k && k->poll == p)
    k->poll = NULL;
  if (p->kept && !p->wanted)
    s->n_idle--;
  weft__list_remove(&p->link);
  uv_close((uv_handle_t *)&p->h, poll_closed);
}

static weft__http_poll *poll_open(weft_http_session *s, curl_socket_t fd) {
  weft__http_sock *k = sock_of(s, fd);
  weft__http_poll *p = s->spare;

  if (p)
    s->spare = p->next;
  else if ((p = weft_calloc(1, sizeof *p)) != NULL)
    s->n_polls++;
  if (!p)
    return NULL;
  if (uv_poll_init_socket(&s->loop->uv, &p->h, fd) < 0) {
    p->next = s->spare;
    s->spare = p;
    return NULL;
  }
  p->s = s;
  p->fd = fd;
  p->events = 0;
  p->wanted = 1;
  p->kept = k && k->kept;
  p->h.data = p;
  s->handles++;
  weft__list_insert_tail(&s->polls, &p->link);
  if (p->kept)
    k->poll = p;
  return p;
}

/* curl is done with the socket for now. A connection's socket keeps its
 * handle, still readable (so the next request on it changes nothing); any
 * other socket's handle is closed. */
static void poll_unwant(weft_http_session *s, weft__http_poll *p) {
  if (!p->kept) {
    poll_close(s, p);
    curl_multi_assign(s->multi, p->fd, NULL);
    return;
  }
  p->wanted = 0;
  s->n_idle++;
  if (p->events & UV_WRITABLE)
    poll_watch(p, 0);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  weft_http_session *s = userp;
  weft__http_sock *k = sock_of(s, fd);
  weft__http_poll *p = socketp ? socketp : k ? k->poll : NULL;
  int events = 0;

  (void)easy;
  if (s->torn)
    return 0;
  if (what == CURL_POLL_REMOVE) {
    if (p && p->wanted)
      poll_unwant(s, p);
    return 0;
  }
  if (!p && !(p = poll_open(s, fd)))
    return -1; /* curl fails the transfers on this socket */
  if (!p->wanted) {
    p->wanted = 1;
    s->n_idle--;
  }
  if (p != socketp)
    curl_multi_assign(s->multi, fd, p);
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  poll_watch(p, events);
  return 0;
}

/* Room in s->socks for socket number fd. */
static int socks_grow(weft_http_session *s, curl_socket_t fd) {
  size_t n = s->n_socks ? s->n_socks : 64;
  weft__http_sock *v;

  while (n <= (size_t)fd)
    n *= 2;
  v = weft_realloc(s->socks, n * sizeof *v);
  if (!v)
    return -ENOMEM;
  memset(v + s->n_socks, 0, (n - s->n_socks) * sizeof *v);
  s->socks = v;
  s->n_socks = n;
  return 0;
}

/* curl created a connection's socket. Out of memory, it is not tracked:
 * its handle is then closed at every CURL_POLL_REMOVE, as other sockets'. */
static int sockopt_cb(void *clientp, curl_socket_t fd, curlsocktype purpose) {
  weft_http_session *s = clientp;
  weft__http_sock *k;

  if (purpose != CURLSOCKTYPE_IPCXN || s->torn || fd < 0)
    return CURL_SOCKOPT_OK;
  if ((size_t)fd >= s->n_socks && socks_grow(s, fd) < 0)
    return CURL_SOCKOPT_OK;
  k = &s->socks[fd];
  if (k->poll)
    poll_close(s, k->poll); /* a number closed behind our back, reused */
  k->kept = 1;
  return CURL_SOCKOPT_OK;
}

/* curl closes a socket: its handle first (libuv must not watch a closed
 * descriptor, whose number may come back at once). */
static int closesocket_cb(void *clientp, curl_socket_t fd) {
  weft_http_session *s = clientp;
  weft__http_sock *k = sock_of(s, fd);

  if (k && !s->torn) {
    if (k->poll)
      poll_close(s, k->poll);
    k->kept = 0;
  }
  return close(fd);
}

void weft__http_engine_easy(weft_http_session *s, weft__http_opts *co) {
  weft__http_opt_fn(co, CURLOPT_SOCKOPTFUNCTION, (void (*)(void))sockopt_cb, "socket callback");
  weft__http_opt_ptr(co, CURLOPT_SOCKOPTDATA, s, "socket callback");
  weft__http_opt_fn(co, CURLOPT_CLOSESOCKETFUNCTION, (void (*)(void))closesocket_cb,
                    "socket callback");
  weft__http_opt_ptr(co, CURLOPT_CLOSESOCKETDATA, s, "socket callback");
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
  /* keep as many idle connections as may be open at once, and as many
   * finished transfers and body buffers */
  curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, limit ? limit : 1000L);
  s->keep = limit > 64 ? (size_t)limit : limit ? 64 : 1000;
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
  weft__list_init(&s->polls);
  weft__list_init(&s->idle_xfers);
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
  weft__http_curl_hold();
  s->curl_held = 1;
  return 0;
}

int weft__http_engine_reserve(weft_http_session *s) {
  /* two sockets per transfer (happy eyeballs), plus one, besides those
   * of idle connections */
  while (s->n_polls < s->n_idle + 2 * (s->n_xfers + 1) + 1) {
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
  weft__http_xfer_drop_idle(s);
  while (!weft__list_empty(&s->polls))
    poll_close(s, weft__container_of(s->polls.next, weft__http_poll, link));
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
