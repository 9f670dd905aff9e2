/*
 * Helpers for the stream tests: a stream over one end of a socketpair with
 * the other end driven by the test (plain blocking calls), a feeder task
 * that sends chunks with pauses in between, and blocking jobs run on the
 * default executor.
 */
#ifndef WEFT_TEST_STREAM_PEER_H
#define WEFT_TEST_STREAM_PEER_H

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "tasks.h"

typedef struct sp_pair {
  weft_stream *s;
  int peer; /* the test's end, blocking */
} sp_pair;

static inline void sp_open(sp_pair *p) {
  int sv[2];

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_OK(weft_stream_open_fd(sv[0], &p->s));
  p->peer = sv[1];
}

static inline void sp_send(sp_pair *p, const char *str) {
  size_t n = strlen(str);

  ASSERT_EQ((ssize_t)n, write(p->peer, str, n));
}

/* Let the loop take in what the peer sent. */
static inline void sp_settle(void) {
  ASSERT_OK(weft_sleep(0.02));
}

static inline void sp_close(sp_pair *p) {
  weft_stream_free(p->s);
  if (p->peer >= 0)
    close(p->peer);
}

/* A task sending each chunk after a short pause. */
typedef struct sp_feed {
  sp_pair *p;
  const char *const *chunks;
  size_t n;
  int close_after; /* close the peer's write side at the end */
} sp_feed;

static inline void *sp_feeder(void *arg) {
  sp_feed *f = arg;

  for (size_t i = 0; i < f->n; i++) {
    if (weft_sleep(0.01) != 0)
      return NULL;
    sp_send(f->p, f->chunks[i]);
  }
  if (f->close_after)
    shutdown(f->p->peer, SHUT_WR);
  return NULL;
}

static inline weft_task *sp_feed_start(sp_feed *f) {
  return spawn_named(sp_feeder, f, "feeder");
}

/* Read exactly n bytes from the peer's end (blocking). */
static inline void sp_recv(sp_pair *p, char *buf, size_t n) {
  size_t got = 0;

  while (got < n) {
    ssize_t r = read(p->peer, buf + got, n - got);

    ASSERT_GT(r, 0);
    got += (size_t)r;
  }
}

#endif
