/*
 * The c-ares resolver's lifetime and its loop integration: c-ares reports
 * the sockets it wants watched (sock state callback) and each gets a
 * uv_poll handle; one uv_timer wakes c-ares at its next deadline
 * (retries, timeouts). Everything runs on the loop thread.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dns/internal.h"

/* The resolver's memory goes with its last handle. */
static void resolver_release(weft_resolver *r) {
  if (r->freed && r->handles == 0)
    weft_free(r);
}

int weft__dns_code(int s) {
  switch (s) {
  case ARES_SUCCESS:
    return 0;
  case ARES_ENOTFOUND:
    return WEFT_DNS_ENXDOMAIN;
  case ARES_ENODATA:
    return WEFT_DNS_ENODATA;
  case ARES_ESERVFAIL:
    return WEFT_DNS_ESERVFAIL;
  case ARES_EREFUSED:
    return WEFT_DNS_EREFUSED;
  case ARES_EBADRESP:
    return WEFT_DNS_EBADRESP;
  case ARES_EFORMERR:
    return WEFT_DNS_EFORMERR;
  case ARES_ENOTIMP:
    return WEFT_DNS_ENOTIMP;
  case ARES_EBADNAME:
    return WEFT_DNS_EBADNAME;
  case ARES_ECONNREFUSED:
  case ARES_EOF:
    return WEFT_DNS_ECONNREFUSED;
  case ARES_ETIMEOUT:
    return -ETIMEDOUT;
  case ARES_ENOMEM:
    return -ENOMEM;
  case ARES_ECANCELLED:
  case ARES_EDESTRUCTION:
    return -ECANCELED;
  case ARES_ENONAME:
    return WEFT_EAI_NONAME;
  case ARES_EBADFAMILY:
    return WEFT_EAI_FAMILY;
  case ARES_ESERVICE:
    return WEFT_EAI_SERVICE;
  case ARES_EBADQUERY:
  case ARES_EBADFLAGS:
  case ARES_EBADSTR:
  case ARES_EBADHINTS:
    return -EINVAL;
  default:
    return -EIO;
  }
}

static void timer_fire(uv_timer_t *t);

/* Arm the timer for c-ares' next deadline. ares_timeout walks every
 * pending query, so a running timer is left alone when it fires no later
 * than a new first try would time out: firing early only re-arms it. */
void weft__dns_arm(weft_resolver *r) {
  struct timeval tv, *next;
  uint64_t ms;

  if (!r->inflight) {
    uv_timer_stop(r->timer);
    return;
  }
  if (uv_is_active((uv_handle_t *)r->timer) && uv_timer_get_due_in(r->timer) <= r->first_try_ms)
    return;
  next = ares_timeout(r->channel, NULL, &tv);
  if (!next) {
    uv_timer_stop(r->timer);
    return;
  }
  ms = (uint64_t)next->tv_sec * 1000 + ((uint64_t)next->tv_usec + 999) / 1000;
  uv_timer_start(r->timer, timer_fire, ms, 0);
}

static void timer_fire(uv_timer_t *t) {
  weft_resolver *r = t->data;

  ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  uv_timer_stop(t); /* recompute from c-ares */
  weft__dns_arm(r);
}

static void poll_event(uv_poll_t *h, int status, int events) {
  weft__dns_poll *p = h->data;
  weft_resolver *r = p->r;
  ares_socket_t fd = p->fd;
  ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

  /* p may be closed by c-ares from here on */
  if (status < 0 || (events & UV_READABLE))
    rd = fd;
  if (status < 0 || (events & UV_WRITABLE))
    wr = fd;
  ares_process_fd(r->channel, rd, wr);
  weft__dns_arm(r);
}

static void poll_put(weft_resolver *r, weft__dns_poll *p) {
  if (!p->pooled) {
    weft_free(p);
    return;
  }
  p->next = r->spare;
  r->spare = p;
}

static void poll_closed(uv_handle_t *h) {
  weft__dns_poll *p = h->data;
  weft_resolver *r = p->r;

  poll_put(r, p);
  r->handles--;
  resolver_release(r);
}

static weft__dns_poll **poll_find(weft_resolver *r, ares_socket_t fd) {
  weft__dns_poll **pp = &r->polls;

  while (*pp && (*pp)->fd != fd)
    pp = &(*pp)->next;
  return pp;
}

static void poll_close(weft__dns_poll **pp) {
  weft__dns_poll *p = *pp;

  *pp = p->next;
  uv_close((uv_handle_t *)&p->h, poll_closed);
}

static weft__dns_poll *poll_open(weft_resolver *r, ares_socket_t fd) {
  weft__dns_poll *p = r->spare;

  if (p)
    r->spare = p->next;
  else if ((p = weft_calloc(1, sizeof *p)) == NULL)
    return NULL;
  p->r = r;
  if (uv_poll_init_socket(&r->loop->uv, &p->h, fd) < 0) {
    poll_put(r, p);
    return NULL;
  }
  r->handles++;
  p->h.data = p;
  p->fd = fd;
  p->next = r->polls;
  r->polls = p;
  return p;
}

/* c-ares: watch fd for reading and/or writing, or stop watching it. A
 * socket that cannot be watched is left to the timer: its queries time out
 * and fail over. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable) {
  weft_resolver *r = data;
  weft__dns_poll **pp = poll_find(r, fd);
  weft__dns_poll *p = *pp;

  if (!readable && !writable) {
    if (p)
      poll_close(pp);
    return;
  }
  if (!p)
    p = poll_open(r, fd);
  if (p)
    uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), poll_event);
}

/* "a,b,c" -> a NULL-terminated array of copies. */
static int split_domains(const char *csv, char **copyp, char ***out, int *n) {
  size_t len = strlen(csv), count = 1;
  char *copy, **v, *save = NULL;

  for (size_t i = 0; i < len; i++)
    count += csv[i] == ',';
  copy = weft_strdup(csv);
  v = weft_calloc(count + 1, sizeof *v);
  if (!copy || !v)
    goto fail;
  *n = 0;
  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
    v[(*n)++] = tok;
  *copyp = copy;
  *out = v;
  return 0;
fail:
  weft_free(copy);
  weft_free(v);
  return -ENOMEM;
}

static int opts_check(const weft_resolver_opts *o) {
  if (!o)
    return 0;
  if (isnan(o->timeout) || o->timeout < 0 || o->timeout > 86400 || o->tries < 0 || o->tries > 100 ||
      o->ndots < 0 || o->ndots > 15)
    return -EINVAL;
  return 0;
}

static int channel_init(weft_resolver *r, const weft_resolver_opts *o) {
  struct ares_options ao;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_FLAGS, rc;
  char **domains = NULL, *copy = NULL;

  memset(&ao, 0, sizeof ao);
  /* A SERVFAIL or REFUSED answer is the answer (its own code), not a
   * reason to try the next server; silence is. */
  ao.flags = ARES_FLAG_NOCHECKRESP;
  ao.sock_state_cb = sock_state;
  ao.sock_state_cb_data = r;
  ao.lookups = (char *)(o && o->no_hosts ? "b" : "fb");
  if (o && o->timeout > 0) {
    ao.timeout = (int)ceil(o->timeout * 1000);
    mask |= ARES_OPT_TIMEOUTMS;
  }
  if (o && o->tries > 0) {
    ao.tries = o->tries;
    mask |= ARES_OPT_TRIES;
  }
  if (o && o->ndots > 0) {
    ao.ndots = o->ndots;
    mask |= ARES_OPT_NDOTS;
  }
  mask |= o && o->rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE;
  if (o && o->domains) {
    if (split_domains(o->domains, &copy, &domains, &ao.ndomains) < 0)
      return -ENOMEM;
    ao.domains = domains;
    mask |= ARES_OPT_DOMAINS;
  }
  rc = ares_init_options(&r->channel, &ao, mask);
  weft_free(copy); /* c-ares keeps copies */
  weft_free(domains);
  return rc == ARES_SUCCESS ? 0 : rc == ARES_ENOMEM ? -ENOMEM : -EIO;
}

static int servers_set(weft_resolver *r, const char *csv) {
  int rc;

  if (!csv)
    return 0;
  if (!*csv)
    return -EINVAL;
  rc = ares_set_servers_ports_csv(r->channel, csv);
  if (rc == ARES_ENOMEM)
    return -ENOMEM;
  return rc == ARES_SUCCESS ? 0 : -EINVAL;
}

static void timer_closed(uv_handle_t *h) {
  weft_resolver *r = h->data;

  weft_free(h);
  r->handles--;
  resolver_release(r);
}

int weft_resolver_new(weft_resolver **out, const weft_resolver_opts *opts) {
  weft_loop *loop = weft_loop_current();
  weft_resolver *r;
  int rc;

  if (!out)
    return -EINVAL;
  *out = NULL;
  if (!loop)
    return -EPERM;
  rc = opts_check(opts);
  if (rc < 0)
    return rc;
  r = weft_calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->loop = loop;
  r->timer = weft_calloc(1, sizeof *r->timer);
  if (!r->timer)
    goto nomem;
  rc = channel_init(r, opts);
  if (rc < 0)
    goto fail;
  rc = servers_set(r, opts ? opts->nameservers : NULL);
  if (rc < 0)
    goto fail_channel;
  uv_timer_init(&loop->uv, r->timer);
  r->timer->data = r;
  r->handles = 1;
  for (int i = 0; i < WEFT__DNS_POLL_POOL; i++) {
    r->pool[i].pooled = 1;
    poll_put(r, &r->pool[i]);
  }
  /* c-ares' default first try is 5 s; a resolv.conf may shorten it */
  r->first_try_ms = opts && opts->timeout > 0 ? (uint64_t)ceil(opts->timeout * 1000) : 1000;
  r->cache_on = opts && opts->cache;
  r->cache_max_ttl = opts ? opts->cache_max_ttl : 0;
  *out = r;
  return 0;
fail_channel:
  ares_destroy(r->channel);
  goto fail;
nomem:
  rc = -ENOMEM;
fail:
  weft_free(r->timer);
  weft_free(r);
  return rc;
}

/* Pending queries are answered ARES_EDESTRUCTION (their tasks get
 * -ECANCELED), the sockets closed, the handles closed; the handles and the
 * resolver itself go with the last close callback the loop runs. */
void weft_resolver_free(weft_resolver *r) {
  if (!r)
    return;
  r->closing = 1;
  ares_destroy(r->channel);
  while (r->polls)
    poll_close(&r->polls);
  weft__dns_cache_free(r);
  r->freed = 1;
  uv_close((uv_handle_t *)r->timer, timer_closed);
}
