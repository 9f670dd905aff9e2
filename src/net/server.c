/*
 * Servers: listening sockets made by hand (SO_REUSEPORT, IPV6_V6ONLY,
 * abstract Unix names), watched with uv_poll so accepting is ours to pause:
 * at the connection cap, and after EMFILE/ENFILE (a timer retries instead
 * of spinning on a ready socket that cannot be accepted).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "net/server.h"
#include "net/tlshook.h"

#define ACCEPT_BATCH 64

static void srv_maybe_free(weft_server *srv);

static void srv_wake_all(weft_server *srv) {
  weft__list *n = srv->waiters.next;

  while (n != &srv->waiters) {
    srv_waiter *w = weft__container_of(n, srv_waiter, link);

    n = n->next;
    weft__wake(w->task, 0);
  }
}

static void srv_set_polling(weft_server *srv, int on);

static void on_retry(uv_timer_t *timer) {
  weft_server *srv = timer->data;

  srv->paused_emfile = 0;
  srv_set_polling(srv, 1);
}

static void srv_backoff(weft_server *srv) {
  double d = srv->opts.accept_retry_delay > 0 ? srv->opts.accept_retry_delay : 0.25;

  srv->paused_emfile = 1;
  srv_set_polling(srv, 0);
  uv_timer_start(&srv->retry, on_retry, (uint64_t)(d * 1000.0), 0);
}

static int srv_at_cap(const weft_server *srv) {
  return srv->opts.max_connections && srv->live >= srv->opts.max_connections;
}

static void on_readable(uv_poll_t *p, int status, int events);

static void srv_set_polling(weft_server *srv, int on) {
  int want = on && !srv->closed && !srv->paused_emfile && !srv_at_cap(srv);

  for (size_t i = 0; i < srv->nls; i++) {
    weft__listener *l = &srv->ls[i];

    if (want && !l->polling)
      uv_poll_start(&l->poll, UV_READABLE, on_readable);
    else if (!want && l->polling)
      uv_poll_stop(&l->poll);
    l->polling = (uint8_t)want;
  }
}

static void srv_link(weft_server *srv, weft_transport *tr) {
  tr->server = srv;
  tr->srv_prev = NULL;
  tr->srv_next = srv->conns;
  if (srv->conns)
    srv->conns->srv_prev = tr;
  srv->conns = tr;
  srv->live++;
}

void weft__server_connection_lost(weft_transport *tr) {
  weft_server *srv = tr->server;

  if (tr->srv_prev)
    tr->srv_prev->srv_next = tr->srv_next;
  else
    srv->conns = tr->srv_next;
  if (tr->srv_next)
    tr->srv_next->srv_prev = tr->srv_prev;
  tr->server = NULL;
  tr->srv_prev = tr->srv_next = NULL;
  srv->live--;
  srv_set_polling(srv, 1);
  if (srv->live == 0)
    srv_wake_all(srv);
}

/* The next connection's transport is made before accept: when memory is
 * short, connections wait in the listen backlog (accepting backs off as
 * after EMFILE) instead of being accepted and dropped. */
static int srv_make_spare(weft_server *srv) {
  if (srv->spare)
    return 0;
  return weft__uvs_new(srv->loop, srv->is_unix ? WEFT__UVS_PIPE : WEFT__UVS_TCP, &srv->spare);
}

static void srv_drop_spare(weft_server *srv) {
  if (!srv->spare)
    return;
  weft__uvs_discard(srv->spare);
  srv->spare = NULL;
}

static void srv_new_conn(weft_server *srv, int fd) {
  const weft_protocol *proto = NULL;
  void *parg = NULL;
  weft__uvs *u = srv->spare;

  srv->spare = NULL;
  if (weft__uvs_adopt(u, fd) != 0) {
    close(fd);
    weft__uvs_discard(u);
    return;
  }
  u->is_socket = 1;
  if (!srv->is_unix)
    weft__uvs_tcp_setup(u, srv->opts.nodelay_off, srv->opts.keepalive);
  if (srv->opts.write_high || srv->opts.write_low)
    weft_transport_set_write_buffer_limits(&u->base, srv->opts.write_high,
                                           srv->opts.write_low ? srv->opts.write_low : SIZE_MAX);
  srv_link(srv, &u->base);
  if (srv->factory(srv->factory_arg, &u->base, &proto, &parg) != 0 || !proto ||
      !proto->data_received) {
    weft__uvs_discard(u);
    return;
  }
  if (!srv->opts.tls) {
    weft__uvs_start(u, proto, parg);
    return;
  }
  if (weft__tls_server(u, proto, parg, &srv->opts) != 0)
    weft_transport_abort(&u->base);
}

/* 1: go on accepting, 0: stop for now. */
static int srv_accept_one(weft_server *srv, weft__listener *l) {
  int fd;

  if (srv_make_spare(srv) != 0) {
    srv_backoff(srv);
    return 0;
  }
  fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    srv_new_conn(srv, fd);
    return 1;
  }
  switch (errno) {
  case EINTR:
  case ECONNABORTED:
  case EPROTO:
    return 1;
  case EMFILE:
  case ENFILE:
  case ENOBUFS:
  case ENOMEM:
    srv_backoff(srv);
    return 0;
  default: /* EAGAIN, or an error the next readiness reports again */
    return 0;
  }
}

static void on_readable(uv_poll_t *p, int status, int events) {
  weft__listener *l = p->data;
  weft_server *srv = l->srv;

  WEFT__UNUSED(events);
  if (status < 0)
    return;
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    if (srv->closed || srv->paused_emfile || srv_at_cap(srv))
      break;
    if (!srv_accept_one(srv, l))
      break;
  }
  srv_set_polling(srv, 1);
}

/* ---- creation ------------------------------------------------------ */

static int sock_listen(const struct sockaddr *sa, socklen_t len, const weft_server_opts *o,
                       int v6only, int *fdp) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1, rc;

  if (fd < 0)
    return -errno;
  if (sa->sa_family != AF_UNIX && !o->reuse_address_off)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (o->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    goto fail;
  if (sa->sa_family == AF_INET6 && v6only)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, sa, len) != 0 || listen(fd, o->backlog > 0 ? o->backlog : 511) != 0)
    goto fail;
  *fdp = fd;
  return 0;
fail:
  rc = -errno;
  close(fd);
  return rc;
}

static void on_handle_closed(uv_handle_t *h) {
  weft_server *srv = h->data;

  srv->handles--;
  srv_maybe_free(srv);
}

static void on_poll_closed(uv_handle_t *h) {
  weft__listener *l = h->data;
  weft_server *srv = l->srv;

  srv->handles--;
  srv_maybe_free(srv);
}

static int srv_add_listener(weft_server *srv, int fd) {
  weft__listener *l = &srv->ls[srv->nls];
  socklen_t len = sizeof l->addr;
  int rc;

  memset(l, 0, sizeof *l);
  l->fd = fd;
  l->srv = srv;
  getsockname(fd, (struct sockaddr *)&l->addr, &len);
  if ((rc = uv_poll_init(&srv->loop->uv, &l->poll, fd)) != 0)
    return rc;
  l->poll.data = l;
  srv->handles++;
  srv->nls++;
  return 0;
}

static int srv_new(weft_server **out, size_t max_listeners, weft_protocol_factory factory,
                   void *farg, const weft_server_opts *opts) {
  weft_task *t = weft__current();
  weft_loop *loop = t ? t->fut.loop : weft_loop_current();
  weft_server *srv;

  if (!loop)
    return -EPERM;
  if (!(srv = weft_calloc(1, sizeof *srv)))
    return -ENOMEM;
  if (!(srv->ls = weft_calloc(max_listeners ? max_listeners : 1, sizeof *srv->ls))) {
    weft_free(srv);
    return -ENOMEM;
  }
  srv->loop = loop;
  srv->factory = factory;
  srv->factory_arg = farg;
  if (opts)
    srv->opts = *opts;
  weft__list_init(&srv->waiters);
  uv_timer_init(&loop->uv, &srv->retry);
  srv->retry.data = srv;
  srv->handles = 1;
  *out = srv;
  return 0;
}

/* Does the address list hold both families (then IPv6 sockets are v6-only,
 * as asyncio does, so both can bind the same port)? */
static int mixed_families(const weft__addrs *a) {
  int v4 = 0, v6 = 0;

  for (size_t i = 0; i < a->n; i++) {
    v4 |= a->v[i].ss_family == AF_INET;
    v6 |= a->v[i].ss_family == AF_INET6;
  }
  return v4 && v6;
}

static int srv_bind_all(weft_server *srv, const weft__addrs *a) {
  int v6only = mixed_families(a);

  for (size_t i = 0; i < a->n; i++) {
    const struct sockaddr *sa = (const struct sockaddr *)&a->v[i];
    int fd, rc = sock_listen(sa, weft__sockaddr_len(sa), &srv->opts, v6only, &fd);

    if (rc)
      return rc;
    if ((rc = srv_add_listener(srv, fd)) != 0) {
      close(fd);
      return rc;
    }
  }
  return 0;
}

static int resolve_hosts(const char *const *hosts, size_t nhosts, int port,
                         const weft_server_opts *o, weft__addrs *all) {
  size_t nh = hosts && nhosts ? nhosts : 1;
  int rc = 0;

  for (size_t i = 0; i < nh && rc == 0; i++) {
    weft__addrs one;
    struct sockaddr_storage *v;

    rc = weft__resolve(hosts && nhosts ? hosts[i] : NULL, port, o ? o->family : AF_UNSPEC, 1,
                       o ? o->resolver : NULL, &one);
    if (rc)
      break;
    if (!(v = weft_realloc(all->v, (all->n + one.n) * sizeof *v))) {
      rc = -ENOMEM;
    } else {
      memcpy(v + all->n, one.v, one.n * sizeof *v);
      all->v = v;
      all->n += one.n;
    }
    weft__addrs_free(&one);
  }
  return rc;
}

static int srv_start(weft_server *srv, weft_server **out) {
  srv_set_polling(srv, 1);
  *out = srv;
  return 0;
}

int weft_create_server(const char *const *hosts, size_t nhosts, int port,
                       weft_protocol_factory factory, void *factory_arg,
                       const weft_server_opts *opts, weft_server **out) {
  weft__addrs all = {0};
  weft_server *srv = NULL;
  int rc;

  if (!out || !factory || port < 0 || port > 65535)
    return -EINVAL;
  if ((rc = resolve_hosts(hosts, nhosts, port, opts, &all)) != 0)
    goto done;
  if ((rc = srv_new(&srv, all.n, factory, factory_arg, opts)) != 0)
    goto done;
  if ((rc = srv_bind_all(srv, &all)) != 0) {
    weft_server_free(srv);
    goto done;
  }
  rc = srv_start(srv, out);
done:
  weft__addrs_free(&all);
  return rc;
}

/* A socket file left by an earlier server is removed, as asyncio does. */
static void unlink_stale(const char *path) {
  struct stat st;

  if (path[0] != '@' && path[0] != '\0' && stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path);
}

int weft_create_unix_server(const char *path, weft_protocol_factory factory, void *factory_arg,
                            const weft_server_opts *opts, weft_server **out) {
  weft_server_opts o = opts ? *opts : (weft_server_opts)WEFT_SERVER_OPTS_INIT;
  struct sockaddr_un sun;
  weft_server *srv;
  socklen_t len;
  int fd, rc;

  if (!out || !factory || !path)
    return -EINVAL;
  if ((rc = weft__unix_addr(path, &sun, &len)) != 0)
    return rc;
  if ((rc = srv_new(&srv, 1, factory, factory_arg, &o)) != 0)
    return rc;
  srv->is_unix = 1;
  unlink_stale(path);
  if ((rc = sock_listen((struct sockaddr *)&sun, len, &o, 0, &fd)) != 0)
    goto fail;
  if (path[0] != '@' && path[0] != '\0' && !(srv->unix_path = weft_strdup(path))) {
    close(fd);
    rc = -ENOMEM;
    goto fail;
  }
  if ((rc = srv_add_listener(srv, fd)) != 0) {
    close(fd);
    goto fail;
  }
  return srv_start(srv, out);
fail:
  weft_server_free(srv);
  return rc;
}

/* ---- closing ------------------------------------------------------- */

void weft_server_close(weft_server *srv) {
  if (!srv || srv->closed)
    return;
  srv_set_polling(srv, 0);
  srv->closed = 1;
  uv_timer_stop(&srv->retry);
  srv_drop_spare(srv);
  /* uv_close takes the fd out of epoll at once, so the fd can close now
   * (and the port is free for a new server right away). */
  for (size_t i = 0; i < srv->nls; i++) {
    uv_close((uv_handle_t *)&srv->ls[i].poll, on_poll_closed);
    close(srv->ls[i].fd);
    srv->ls[i].fd = -1;
  }
  if (srv->unix_path)
    unlink(srv->unix_path);
  srv_wake_all(srv);
}

void weft_server_abort_clients(weft_server *srv) {
  weft_transport *tr = srv->conns;

  while (tr) {
    weft_transport *next = tr->srv_next;

    weft_transport_abort(tr);
    tr = next;
  }
}

static void srv_maybe_free(weft_server *srv) {
  if (!srv->freed || srv->handles)
    return;
  weft_free(srv->unix_path);
  weft_free(srv->ls);
  weft_free(srv);
}

void weft_server_free(weft_server *srv) {
  weft_transport *tr;

  if (!srv || srv->freed)
    return;
  weft_server_close(srv);
  for (tr = srv->conns; tr; tr = tr->srv_next)
    tr->server = NULL;
  srv->conns = NULL;
  srv->live = 0;
  srv->freed = 1;
  uv_close((uv_handle_t *)&srv->retry, on_handle_closed);
}
