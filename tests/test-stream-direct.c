/*
 * Large reads land in the stream's memory without a copy: in the buffer of
 * a reader already waiting, or at the free tail of the stream's buffer.
 * The bytes arrive whole and in order on every path, and a read cancelled
 * while waiting loses nothing.
 */
#include <stdlib.h>

#include "test-stream-peer.h"

#define BIG (64u * 1024u)

static char pattern_byte(size_t i) {
  return (char)('a' + (i * 7 + i / 251) % 26);
}

/* Send n bytes of the pattern starting at offset `from` (blocking). */
static void send_pattern(sp_pair *p, size_t from, size_t n) {
  char *buf = malloc(n);
  size_t off = 0;

  ASSERT_NOT_NULL(buf);
  for (size_t i = 0; i < n; i++)
    buf[i] = pattern_byte(from + i);
  while (off < n) {
    ssize_t w = write(p->peer, buf + off, n - off);

    ASSERT_GT(w, 0);
    off += (size_t)w;
  }
  free(buf);
}

static void check_pattern(const char *data, size_t from, size_t n) {
  for (size_t i = 0; i < n; i++)
    ASSERT_EQ(pattern_byte(from + i), data[i]);
}

typedef struct big_read {
  weft_stream *s;
  char *buf;
  size_t got;
  double timeout; /* 0: none */
} big_read;

static void *big_reader(void *arg) {
  big_read *r = arg;
  weft_scope sc;
  int rc, lrc;

  if (r->timeout <= 0)
    return (void *)(intptr_t)weft_stream_read(r->s, r->buf, BIG, &r->got);
  ASSERT_OK(weft_timeout_enter(&sc, r->timeout));
  rc = weft_stream_read(r->s, r->buf, BIG, &r->got);
  lrc = weft_timeout_leave(&sc);
  return (void *)(intptr_t)(rc ? rc : lrc);
}

/* Read until `total` pattern bytes from `from` arrived, in reads of up to
 * BIG bytes. */
static void read_all_pattern(weft_stream *s, char *buf, size_t from, size_t total) {
  size_t have = 0, got;

  while (have < total) {
    ASSERT_OK(weft_stream_read(s, buf, BIG, &got));
    ASSERT_GT(got, 0u);
    ASSERT_LE(have + got, total);
    check_pattern(buf, from + have, got);
    have += got;
  }
}

static void *waiting_reader(void *arg) {
  big_read r = {0};
  sp_pair p;
  weft_task *t;

  (void)arg;
  sp_open(&p);
  r.s = p.s;
  r.buf = malloc(BIG);
  ASSERT_NOT_NULL(r.buf);
  t = spawn_named(big_reader, &r, "reader");
  sp_settle(); /* parked with an empty buffer */
  send_pattern(&p, 0, 40000);
  ASSERT_EQ(0, await_rc(t));
  ASSERT_GT(r.got, 0u);
  check_pattern(r.buf, 0, r.got);
  read_all_pattern(p.s, r.buf, r.got, 40000 - r.got);
  /* Nobody waits now: the data is buffered, then read in order. */
  send_pattern(&p, 40000, 20000);
  sp_settle();
  TORTURE_EXIT_UNLESS(weft_stream_error(p.s) != -ENOMEM); /* no read buffer */
  ASSERT_EQ(20000u, weft_stream_buffered(p.s));
  send_pattern(&p, 60000, 90000);
  read_all_pattern(p.s, r.buf, 40000, 110000);
  free(r.buf);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_large_into_waiting_buffer) {
  return weft_test_run(waiting_reader, NULL, NULL);
}

/* A large read that times out while waiting: the data that comes after
 * goes to the next read, none of it into the abandoned buffer. */
static void *cancelled_reader(void *arg) {
  big_read r = {0};
  sp_pair p;
  weft_task *t;
  char *buf = malloc(BIG);

  (void)arg;
  ASSERT_NOT_NULL(buf);
  sp_open(&p);
  r.s = p.s;
  r.buf = malloc(BIG);
  r.timeout = 0.05;
  ASSERT_NOT_NULL(r.buf);
  memset(r.buf, 0, BIG);
  t = spawn_named(big_reader, &r, "reader");
  ASSERT_EQ(-ETIMEDOUT, await_rc(t));
  ASSERT_EQ(0u, r.got);
  send_pattern(&p, 0, 30000);
  sp_settle();
  ASSERT_EQ(0, r.buf[0]); /* nothing went to the abandoned buffer */
  ASSERT_EQ(30000u, weft_stream_buffered(p.s));
  read_all_pattern(p.s, buf, 0, 30000);
  /* Cancelled after the data was sent but before the loop read it. */
  r.timeout = 0;
  t = spawn_named(big_reader, &r, "reader");
  sp_settle();
  send_pattern(&p, 30000, 30000);
  ASSERT_EQ(1, weft_task_cancel(t));
  ASSERT_EQ(-ECANCELED, await_rc(t));
  read_all_pattern(p.s, buf, 30000, 30000);
  free(r.buf);
  free(buf);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_cancel_large_read_keeps_bytes) {
  return weft_test_run(cancelled_reader, NULL, NULL);
}

/* Views over large messages: the stream buffer's free tail takes the
 * reads once it is large; every view holds the right bytes. */
static void *large_views(void *arg) {
  const size_t msg = 100u * 1024u;
  sp_pair p;
  const char *v;
  size_t len, have;

  (void)arg;
  sp_open(&p);
  for (size_t round = 0; round < 4; round++) {
    send_pattern(&p, round * msg, msg);
    for (have = 0; have < msg; have += len) {
      ASSERT_OK(weft_stream_read_view(p.s, msg - have, &v, &len));
      ASSERT_GT(len, 0u);
      check_pattern(v, round * msg + have, len);
    }
  }
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_view_large_messages) {
  return weft_test_run(large_views, NULL, NULL);
}

/* With a small limit the stream still stops reading near 2 * limit when
 * the reads go to its buffer's tail. */
static void *tail_limit(void *arg) {
  sp_pair p;
  const char *v;
  size_t len;
  char *buf = malloc(BIG);

  (void)arg;
  ASSERT_NOT_NULL(buf);
  sp_open(&p);
  send_pattern(&p, 0, 200000); /* grows the stream buffer */
  sp_settle();
  ASSERT_OK(weft_stream_read_view(p.s, 200000, &v, &len));
  check_pattern(v, 0, len);
  read_all_pattern(p.s, buf, len, 200000 - len);
  ASSERT_OK(weft_stream_set_limit(p.s, 1024));
  send_pattern(&p, 200000, 150000);
  sp_settle();
  ASSERT_LE(weft_stream_buffered(p.s), 256u * 1024u);
  read_all_pattern(p.s, buf, 200000, 150000);
  free(buf);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_tail_respects_limit) {
  return weft_test_run(tail_limit, NULL, NULL);
}
