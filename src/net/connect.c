/*
 * weft_create_connection: resolve, then try the addresses in order (one at
 * a time, or staggered by the happy-eyeballs delay) until one connects.
 * The attempts live on the heap (their handles outlive a cancelled
 * caller); the race that follows them lives on the caller's stack and is
 * detached from every attempt before the call returns.
 */
#include <errno.h>
#include <string.h>

#include "core/internal.h"
#include "net/tlshook.h"
#include "net/uvstream.h"

typedef struct race race;

typedef struct attempt {
  weft__uvs *u; /* NULL once finished */
  race *r;
} attempt;

struct race {
  weft_task *task;
  weft_loop *loop;
  attempt *att;
  size_t pending;
  int last_err;
  weft__uvs *winner;
  const weft_connect_opts *opts;
  weft__addrs local;
};

static void on_connect(uv_connect_t *req, int status) {
  weft__uvs *u = req->data;
  attempt *a = u->connect_ctx;
  race *r;

  if (!a)
    return; /* abandoned: the handle is closing */
  r = a->r;
  u->connect_ctx = NULL;
  a->u = NULL;
  r->pending--;
  if (status == 0 && !r->winner) {
    r->winner = u;
  } else {
    if (status)
      r->last_err = status;
    weft__uvs_discard(u);
  }
  weft__wake(r->task, 0);
}

static int bind_local(race *r, weft__uvs *u, const struct sockaddr *to) {
  for (size_t i = 0; i < r->local.n; i++) {
    const struct sockaddr *la = (const struct sockaddr *)&r->local.v[i];

    if (la->sa_family == to->sa_family)
      return uv_tcp_bind(&u->u.tcp, la, 0);
  }
  return -EADDRNOTAVAIL;
}

static int start_attempt(race *r, attempt *a, const struct sockaddr *sa) {
  weft__uvs *u;
  int rc = weft__uvs_new_tcp(r->loop, sa->sa_family, &u);

  if (rc)
    goto fail;
  if (r->local.n && (rc = bind_local(r, u, sa)) != 0)
    goto fail_handle;
  if ((rc = uv_tcp_connect(&u->creq, &u->u.tcp, sa, on_connect)) != 0)
    goto fail_handle;
  a->u = u;
  a->r = r;
  u->connect_ctx = a;
  r->pending++;
  return 0;
fail_handle:
  weft__uvs_discard(u);
fail:
  r->last_err = rc;
  return rc;
}

/* Park until an attempt finishes or, with delay > 0, until delay passes.
 * Returns 0, 1 when the delay passed, or the task's code. */
static int race_park(double delay) {
  weft_scope sc;
  int rc, expired;

  if (delay <= 0)
    return weft__park("create_connection", NULL, NULL);
  weft_timeout_enter(&sc, delay);
  rc = weft__park("create_connection", NULL, NULL);
  expired = weft_timeout_expired(&sc);
  weft_timeout_leave(&sc);
  if (rc == -ETIMEDOUT && expired) {
    rc = weft__scope_pending(weft__current());
    return rc ? rc : 1;
  }
  return rc;
}

static int race_run(race *r, const weft__addrs *addrs) {
  double delay = r->opts ? r->opts->happy_eyeballs_delay : 0;
  size_t next = 0;
  int rc;

  for (;;) {
    while (r->pending == 0 && !r->winner && next < addrs->n) {
      start_attempt(r, &r->att[next], (const struct sockaddr *)&addrs->v[next]);
      next++;
    }
    if (r->winner)
      return 0;
    if (r->pending == 0)
      return r->last_err ? r->last_err : -ECONNREFUSED;
    rc = race_park(next < addrs->n ? delay : 0);
    if (rc == 1) {
      start_attempt(r, &r->att[next], (const struct sockaddr *)&addrs->v[next]);
      next++;
    } else if (rc) {
      return rc;
    }
  }
}

static void race_abandon(race *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    weft__uvs *u = r->att[i].u;

    if (!u)
      continue;
    u->connect_ctx = NULL;
    r->att[i].u = NULL;
    weft__uvs_discard(u);
  }
}

static int check_proto(const weft_protocol *proto) {
  return proto && proto->data_received ? 0 : -EINVAL;
}

static int resolve_local(race *r, const weft_connect_opts *o) {
  if (!o || (!o->local_host && !o->local_port))
    return 0;
  return weft__resolve(o->local_host, o->local_port, o->family, 1, o->resolver, &r->local);
}

static int connect_addrs(race *r, const weft__addrs *addrs) {
  int rc;

  if (!(r->att = weft_calloc(addrs->n, sizeof *r->att)))
    return -ENOMEM;
  rc = race_run(r, addrs);
  race_abandon(r, addrs->n);
  weft_free(r->att);
  if (rc && r->winner) {
    weft__uvs_discard(r->winner);
    r->winner = NULL;
  }
  return rc;
}

/* Set up the connected transport and hand it to the protocol (through TLS
 * when asked). */
int weft__connect_finish(weft__uvs *u, const char *host, const weft_protocol *proto, void *arg,
                         const weft_connect_opts *o, weft_transport **out) {
  weft_transport *tr = &u->base;

  if (o && (o->write_high || o->write_low))
    weft_transport_set_write_buffer_limits(tr, o->write_high,
                                           o->write_low ? o->write_low : SIZE_MAX);
  if (o && o->tls)
    return weft__tls_client(u, host, proto, arg, o, out); /* closes u on failure */
  weft__uvs_start(u, proto, arg);
  *out = tr;
  return 0;
}

int weft_create_connection(const char *host, int port, const weft_protocol *proto, void *arg,
                           const weft_connect_opts *opts, weft_transport **out) {
  weft_task *t = weft__current();
  race r = {0};
  weft__addrs addrs = {0};
  int rc;

  if (!out || !host || port < 0 || port > 65535 || check_proto(proto))
    return -EINVAL;
  if (!t)
    return -EPERM;
  r.task = t;
  r.loop = t->fut.loop;
  r.opts = opts;
  if ((rc = weft__resolve(host, port, opts ? opts->family : AF_UNSPEC, 0,
                          opts ? opts->resolver : NULL, &addrs)) != 0)
    return rc;
  if ((rc = resolve_local(&r, opts)) != 0)
    goto done;
  if ((rc = connect_addrs(&r, &addrs)) != 0)
    goto done;
  weft__uvs_tcp_setup(r.winner, opts ? opts->nodelay_off : 0, opts ? opts->keepalive : 0);
  rc = weft__connect_finish(r.winner, host, proto, arg, opts, out);
done:
  weft__addrs_free(&r.local);
  weft__addrs_free(&addrs);
  return rc;
}
