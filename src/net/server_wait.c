/*
 * Servers: serve_forever, wait_closed with a grace period, and queries.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "net/server.h"

static void waiter_cancel(weft_task *t, void *obj) {
  srv_waiter *w = obj;

  WEFT__UNUSED(t);
  weft__list_remove(&w->link);
}

/* Park until the server's state changes. */
static int srv_park(weft_server *srv, const char *what) {
  srv_waiter w;
  int rc;

  w.task = weft__current();
  weft__list_init(&w.link);
  weft__list_insert_tail(&srv->waiters, &w.link);
  rc = weft__park(what, waiter_cancel, &w);
  weft__list_remove(&w.link);
  return rc;
}

int weft_server_serve_forever(weft_server *srv) {
  int rc = 0;

  if (!srv)
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  while (!srv->closed && rc == 0)
    rc = srv_park(srv, "serve_forever");
  if (rc)
    weft_server_close(srv);
  return rc;
}

static int srv_done(const weft_server *srv) {
  return srv->closed && srv->live == 0;
}

/* Wait for the connections, at most grace seconds. 1 when the grace period
 * ran out, 0 when done, or the task's code. */
static int wait_grace(weft_server *srv, double grace) {
  weft_scope sc;
  int rc = 0, expired;

  weft_timeout_enter(&sc, grace);
  while (!srv_done(srv) && rc == 0)
    rc = srv_park(srv, "wait_closed");
  expired = weft_timeout_expired(&sc);
  weft_timeout_leave(&sc);
  if (rc == -ETIMEDOUT && expired) {
    rc = weft__scope_pending(weft__current());
    return rc ? rc : 1;
  }
  return rc;
}

int weft_server_wait_closed(weft_server *srv, double grace_seconds) {
  int rc = 0;

  if (!srv)
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  if (grace_seconds >= 0 && isfinite(grace_seconds)) {
    while (!srv->closed && rc == 0)
      rc = srv_park(srv, "wait_closed");
    if (rc == 0 && (rc = wait_grace(srv, grace_seconds)) == 1) {
      weft_server_abort_clients(srv);
      rc = 0;
    }
  }
  while (!srv_done(srv) && rc == 0)
    rc = srv_park(srv, "wait_closed");
  return rc;
}

size_t weft_server_nsockets(const weft_server *srv) {
  return srv && !srv->closed ? srv->nls : 0;
}

int weft_server_sockname(const weft_server *srv, size_t i, struct sockaddr_storage *out) {
  if (!srv || !out || srv->closed || i >= srv->nls)
    return -EINVAL;
  *out = srv->ls[i].addr;
  return 0;
}

int weft_server_port(const weft_server *srv) {
  if (!srv || srv->nls == 0 || srv->is_unix)
    return 0;
  return weft_sockaddr_port((const struct sockaddr *)&srv->ls[0].addr);
}

size_t weft_server_connections(const weft_server *srv) {
  return srv ? srv->live : 0;
}

int weft_server_is_serving(const weft_server *srv) {
  return srv && !srv->closed;
}
