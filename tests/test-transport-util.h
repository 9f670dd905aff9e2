/*
 * Shared pieces of the transport and server tests: a recording protocol,
 * an echo server, waiting for a condition, fd counting.
 */
#ifndef WEFT_TEST_TRANSPORT_UTIL_H
#define WEFT_TEST_TRANSPORT_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"

/* Records every callback: log holds one letter per call in order
 * (M made, D data, E eof, L lost, P pause_writing, R resume_writing). */
typedef struct rec {
  char log[4096];
  size_t nlog;
  char *data;
  size_t len, cap;
  int lost_err;
  int keep_open; /* eof_received's answer */
  int lost;
  weft_transport *tr;
  /* Echo what arrives (server side of an echo). */
  int echo;
  /* On EOF with keep_open: write this, then close. */
  const char *reply_on_eof;
} rec;

static inline void rec_log(rec *r, char c) {
  if (r->nlog + 1 < sizeof r->log) {
    /* Consecutive data calls log one D. */
    if (c == 'D' && r->nlog && r->log[r->nlog - 1] == 'D')
      return;
    r->log[r->nlog++] = c;
    r->log[r->nlog] = '\0';
  }
}

static inline void rec_made(weft_transport *tr, void *arg) {
  rec *r = arg;

  r->tr = tr;
  rec_log(r, 'M');
}

static inline void rec_data(weft_transport *tr, const char *d, size_t n, void *arg) {
  rec *r = arg;

  rec_log(r, 'D');
  if (r->echo) {
    ASSERT_OK(weft_transport_write(tr, d, n));
    return;
  }
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 4096;

    while (cap < r->len + n)
      cap *= 2;
    r->data = realloc(r->data, cap);
    ASSERT_NOT_NULL(r->data);
    r->cap = cap;
  }
  memcpy(r->data + r->len, d, n);
  r->len += n;
}

static inline int rec_eof(weft_transport *tr, void *arg) {
  rec *r = arg;

  rec_log(r, 'E');
  if (r->reply_on_eof) {
    ASSERT_OK(weft_transport_write(tr, r->reply_on_eof, strlen(r->reply_on_eof)));
    weft_transport_close(tr);
    return 1;
  }
  return r->keep_open;
}

static inline void rec_lost(weft_transport *tr, int err, void *arg) {
  rec *r = arg;

  (void)tr;
  if (weft_test_torture && err == -ENOMEM) /* the connection's memory failed */
    weft_test_enomem_exit();
  rec_log(r, 'L');
  r->lost = 1;
  r->lost_err = err;
}

static inline void rec_pause(weft_transport *tr, void *arg) {
  (void)tr;
  rec_log(arg, 'P');
}

static inline void rec_resume(weft_transport *tr, void *arg) {
  (void)tr;
  rec_log(arg, 'R');
}

static const weft_protocol rec_proto = {
    .connection_made = rec_made,
    .data_received = rec_data,
    .eof_received = rec_eof,
    .connection_lost = rec_lost,
    .pause_writing = rec_pause,
    .resume_writing = rec_resume,
};

static inline void rec_free(rec *r) {
  free(r->data);
  r->data = NULL;
  r->len = r->cap = 0;
}

/* Server side: one rec per connection, up to 8 kept in a table, the rest
 * echo through a shared one. */
typedef struct srv_side {
  rec conns[8];
  int n;
  int echo;
  int keep_open;
  const char *reply_on_eof;
  int refuse;
} srv_side;

static inline int srv_factory(void *arg, weft_transport *tr, const weft_protocol **proto,
                              void **parg) {
  srv_side *s = arg;
  rec *r;

  (void)tr;
  if (s->refuse)
    return -EPERM;
  r = &s->conns[s->n < 8 ? s->n : 7];
  s->n++;
  r->echo = s->echo;
  r->keep_open = s->keep_open;
  r->reply_on_eof = s->reply_on_eof;
  *proto = &rec_proto;
  *parg = r;
  return 0;
}

/* Poll until cond(arg) holds; 0, or -ETIMEDOUT after seconds. */
/* Under --torture with every allocation failing from some point on, a
 * server keeps its connections in the backlog until memory comes back,
 * which it never does: a wait that runs out then ends the test. */
#define WAIT_UNTIL(cond, seconds)                                                     \
  do {                                                                                \
    double end_ = weft_time() + (seconds);                                            \
    while (!(cond)) {                                                                 \
      TORTURE_EXIT_UNLESS(weft_time() < end_ || !weft_test_alloc_failing_for_good()); \
      ASSERT_LT(weft_time(), end_);                                                   \
      ASSERT_OK(weft_sleep(0.002));                                                   \
    }                                                                                 \
  } while (0)

static inline int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own fd */
}

static inline int raise_nofile(rlim_t want) {
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -errno;
  if (rl.rlim_cur >= want)
    return 0;
  rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -errno;
  return rl.rlim_cur >= want ? 0 : -EMFILE;
}

/* An echo (or recording) server on 127.0.0.1, ephemeral port. */
static inline weft_server *start_server(srv_side *s, const weft_server_opts *opts) {
  static const char *const host[] = {"127.0.0.1"};
  weft_server *srv = NULL;

  ASSERT_OK(weft_create_server(host, 1, 0, srv_factory, s, opts, &srv));
  ASSERT_GT(weft_server_port(srv), 0);
  return srv;
}

static inline void stop_server(weft_server *srv) {
  weft_server_close(srv);
  ASSERT_OK(weft_server_wait_closed(srv, 1.0));
  weft_server_free(srv);
}

#endif
