/*
 * Stream reading over a socketpair whose other end the test drives: read,
 * read_exactly, read_until, read_line, line iteration, limits, views.
 */
#include "test-stream-peer.h"

static void *read_basic(void *arg) {
  sp_pair p;
  char buf[16];
  size_t got = 99;

  (void)arg;
  sp_open(&p);
  ASSERT_OK(weft_stream_read(p.s, buf, 0, &got)); /* n = 0: at once */
  ASSERT_EQ(0u, got);
  sp_send(&p, "hello world");
  ASSERT_OK(weft_stream_read(p.s, buf, 5, &got));
  ASSERT_EQ(5u, got);
  ASSERT_OK(memcmp(buf, "hello", 5));
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(6u, got);
  ASSERT_OK(memcmp(buf, " world", 6));
  ASSERT_EQ(0, weft_stream_at_eof(p.s));
  shutdown(p.peer, SHUT_WR);
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(0u, got);
  ASSERT_EQ(1, weft_stream_at_eof(p.s));
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got)); /* EOF again */
  ASSERT_EQ(0u, got);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_basic) {
  return weft_test_run(read_basic, NULL, NULL);
}

static void *read_view(void *arg) {
  static const char *const chunks[] = {"more data arriving"};
  sp_feed f;
  sp_pair p;
  const char *v, *line;
  size_t len;

  (void)arg;
  sp_open(&p);
  sp_send(&p, "first line\nabc");
  ASSERT_OK(weft_stream_read_line(p.s, &line, &len));
  ASSERT_EQ(11u, len);
  f = (sp_feed){&p, chunks, 1, 0};
  ASSERT_EQ(0, await_rc(sp_feed_start(&f)));
  sp_settle(); /* the buffer grows while the view is out */
  ASSERT_OK(memcmp(line, "first line\n", 11));
  ASSERT_OK(weft_stream_read_view(p.s, 3, &v, &len));
  ASSERT_EQ(3u, len);
  ASSERT_OK(memcmp(v, "abc", 3));
  ASSERT_OK(weft_stream_read_view(p.s, 100, &v, &len));
  ASSERT_EQ(18u, len);
  ASSERT_OK(memcmp(v, "more data arriving", 18));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_view_stays_valid) {
  return weft_test_run(read_view, NULL, NULL);
}

static void *until_split(void *arg) {
  static const char *const chunks[] = {
      "GET / HTTP/1.1\r", "\nHost: x\r\n\r", "\n", "tail--", "-", "-end"};
  sp_feed f;
  sp_pair p;
  weft_task *t;
  const char *v;
  size_t len;

  (void)arg;
  sp_open(&p);
  f = (sp_feed){&p, chunks, 6, 1};
  t = sp_feed_start(&f);
  ASSERT_OK(weft_stream_read_until(p.s, "\r\n", 2, &v, &len));
  ASSERT_EQ(16u, len);
  ASSERT_OK(memcmp(v, "GET / HTTP/1.1\r\n", 16));
  ASSERT_OK(weft_stream_read_until(p.s, "\r\n\r\n", 4, &v, &len));
  ASSERT_EQ(11u, len);
  ASSERT_OK(memcmp(v, "Host: x\r\n\r\n", 11));
  ASSERT_OK(weft_stream_read_until(p.s, "---", 3, &v, &len));
  ASSERT_EQ(7u, len);
  ASSERT_OK(memcmp(v, "tail---", 7));
  /* end of file before the separator: -EPIPE and the rest */
  ASSERT_EQ(-EPIPE, weft_stream_read_until(p.s, "\n", 1, &v, &len));
  ASSERT_EQ(4u, len);
  ASSERT_OK(memcmp(v, "-end", 4));
  ASSERT_EQ(-EPIPE, weft_stream_read_until(p.s, "\n", 1, &v, &len));
  ASSERT_EQ(0u, len);
  ASSERT_EQ(-EINVAL, weft_stream_read_until(p.s, "", 0, &v, &len));
  ASSERT_EQ(0, await_rc(t));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_until_split_separators) {
  return weft_test_run(until_split, NULL, NULL);
}

static void *limit_exact(void *arg) {
  sp_pair p;
  const char *v;
  char buf[64];
  size_t len, got;

  (void)arg;
  sp_open(&p);
  ASSERT_EQ(-EINVAL, weft_stream_set_limit(p.s, 0));
  ASSERT_OK(weft_stream_set_limit(p.s, 8));
  ASSERT_EQ(8u, weft_stream_limit(p.s));
  sp_send(&p, "12345678\n123456789\n");
  ASSERT_OK(weft_stream_read_line(p.s, &v, &len)); /* exactly the limit */
  ASSERT_EQ(9u, len);
  ASSERT_EQ(-ENOBUFS, weft_stream_read_line(p.s, &v, &len)); /* one over */
  ASSERT_EQ(10u, weft_stream_buffered(p.s));                 /* data stays */
  ASSERT_EQ(-ENOBUFS, weft_stream_read_until(p.s, "\n", 1, &v, &len));
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(10u, got);
  ASSERT_OK(memcmp(buf, "123456789\n", 10));
  /* no separator yet, but more than the limit buffered */
  sp_send(&p, "abcdefghijkl");
  sp_settle();
  ASSERT_EQ(-ENOBUFS, weft_stream_read_line(p.s, &v, &len));
  ASSERT_EQ(12u, weft_stream_buffered(p.s));
  ASSERT_OK(weft_stream_set_limit(p.s, 100));
  sp_send(&p, "\n");
  ASSERT_OK(weft_stream_read_line(p.s, &v, &len));
  ASSERT_EQ(13u, len);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_line_limit) {
  return weft_test_run(limit_exact, NULL, NULL);
}

static void *lines(void *arg) {
  static const char *const chunks[] = {"one\ntw", "o\n", "\nthree\nla", "st"};
  sp_feed f;
  sp_pair p;
  weft_task *t;
  const char *line;
  char all[64] = "";
  size_t len;
  int rc, n = 0;

  (void)arg;
  sp_open(&p);
  f = (sp_feed){&p, chunks, 4, 1};
  t = sp_feed_start(&f);
  while ((rc = weft_stream_next_line(p.s, &line, &len)) > 0) {
    strncat(all, line, len);
    strcat(all, "|");
    n++;
  }
  ASSERT_EQ(0, rc);
  ASSERT_EQ(5, n);
  ASSERT_STR_EQ("one\n|two\n|\n|three\n|last|", all);
  ASSERT_EQ(0, weft_stream_next_line(p.s, &line, &len));
  ASSERT_OK(weft_stream_read_line(p.s, &line, &len)); /* b"" at EOF */
  ASSERT_EQ(0u, len);
  ASSERT_EQ(0, await_rc(t));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_next_line_iteration) {
  return weft_test_run(lines, NULL, NULL);
}

static void *line_dup(void *arg) {
  sp_pair p;
  char *line;
  size_t len;

  (void)arg;
  sp_open(&p);
  sp_send(&p, "copy me\n");
  ASSERT_OK(weft_stream_read_line_dup(p.s, &line, &len));
  ASSERT_STR_EQ("copy me\n", line);
  ASSERT_EQ(8u, len);
  weft_free(line);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_line_dup) {
  return weft_test_run(line_dup, NULL, NULL);
}

static void *exactly(void *arg) {
  sp_pair p;
  char buf[16];
  size_t got;

  (void)arg;
  sp_open(&p);
  sp_send(&p, "0123456789abc");
  ASSERT_OK(weft_stream_read_exactly(p.s, buf, 0, &got));
  ASSERT_EQ(0u, got);
  ASSERT_OK(weft_stream_read_exactly(p.s, buf, 10, &got));
  ASSERT_EQ(10u, got);
  ASSERT_OK(memcmp(buf, "0123456789", 10));
  shutdown(p.peer, SHUT_WR);
  /* IncompleteReadError: the partial data is handed back */
  ASSERT_EQ(-EPIPE, weft_stream_read_exactly(p.s, buf, 10, &got));
  ASSERT_EQ(3u, got);
  ASSERT_OK(memcmp(buf, "abc", 3));
  ASSERT_EQ(-EPIPE, weft_stream_read_exactly(p.s, buf, 10, &got));
  ASSERT_EQ(0u, got);
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_exactly_at_eof) {
  return weft_test_run(exactly, NULL, NULL);
}

#define HUGE_LEN (8u * 1024u * 1024u)

static void *huge_writer(void *arg) {
  sp_pair *p = arg;
  char *data = malloc(HUGE_LEN);
  size_t off = 0;

  for (size_t i = 0; i < HUGE_LEN; i++)
    data[i] = (char)(i * 7 + i / 4096);
  while (off < HUGE_LEN) {
    ssize_t n = write(p->peer, data + off, HUGE_LEN - off);

    if (n <= 0)
      break;
    off += (size_t)n;
  }
  free(data);
  return (void *)off;
}

static void *exactly_huge(void *arg) {
  sp_pair p;
  char *buf = weft_malloc(HUGE_LEN);
  void *sent = NULL;
  weft_future *f;
  size_t got;

  (void)arg;
  TORTURE_EXIT_UNLESS(buf != NULL);
  ASSERT_NOT_NULL(buf);
  sp_open(&p);
  ASSERT_OK(weft_executor_submit(NULL, huge_writer, &p, NULL, &f));
  ASSERT_OK(weft_stream_read_exactly(p.s, buf, HUGE_LEN, &got));
  ASSERT_EQ(HUGE_LEN, got);
  ASSERT_OK(weft_future_await(f, &sent));
  weft_future_release(f);
  ASSERT_EQ(HUGE_LEN, (size_t)sent);
  for (size_t i = 0; i < HUGE_LEN; i += 4093)
    ASSERT_EQ((char)(i * 7 + i / 4096), buf[i]);
  weft_free(buf);
  sp_close(&p);
  return NULL;
}

TEST_TIMEOUT(stream_read_exactly_huge, 60);
TEST_IMPL(stream_read_exactly_huge) {
  return weft_test_run(exactly_huge, NULL, NULL);
}

static void *read_all(void *arg) {
  static const char *const chunks[] = {"a", "bc", "def"};
  sp_feed f;
  sp_pair p;
  weft_task *t;
  char *all;
  size_t len;

  (void)arg;
  sp_open(&p);
  f = (sp_feed){&p, chunks, 3, 1};
  t = sp_feed_start(&f);
  ASSERT_OK(weft_stream_read_all(p.s, &all, &len));
  ASSERT_EQ(6u, len);
  ASSERT_STR_EQ("abcdef", all);
  weft_free(all);
  ASSERT_OK(weft_stream_read_all(p.s, &all, &len)); /* nothing left */
  ASSERT_EQ(0u, len);
  ASSERT_STR_EQ("", all);
  weft_free(all);
  ASSERT_EQ(0, await_rc(t));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_all) {
  return weft_test_run(read_all, NULL, NULL);
}

static void *second_reader(void *arg) {
  weft_stream *s = arg;
  char buf[4];
  size_t got;

  return (void *)(intptr_t)weft_stream_read(s, buf, sizeof buf, &got);
}

static void *two_readers(void *arg) {
  sp_pair p;
  weft_task *t;
  char buf[4];
  size_t got;

  (void)arg;
  sp_open(&p);
  t = spawn_named(second_reader, p.s, "reader");
  ASSERT_OK(weft_yield()); /* it parks in read */
  ASSERT_EQ(-EBUSY, weft_stream_read(p.s, buf, sizeof buf, &got));
  sp_send(&p, "x");
  ASSERT_EQ(0, await_rc(t));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_one_reader_at_a_time) {
  return weft_test_run(two_readers, NULL, NULL);
}

/* A reader already waiting gets the data straight into its buffer; what
 * does not fit stays buffered for the next read. */
typedef struct small_read {
  weft_stream *s;
  char buf[4];
  size_t got;
} small_read;

static void *small_reader(void *arg) {
  small_read *r = arg;

  return (void *)(intptr_t)weft_stream_read(r->s, r->buf, sizeof r->buf, &r->got);
}

static void *direct(void *arg) {
  small_read r = {0};
  sp_pair p;
  weft_task *t;
  char buf[16];
  size_t got;

  (void)arg;
  sp_open(&p);
  r.s = p.s;
  t = spawn_named(small_reader, &r, "reader");
  sp_settle(); /* parked with an empty buffer */
  sp_send(&p, "abcdefgh");
  ASSERT_EQ(0, await_rc(t));
  ASSERT_EQ(4u, r.got);
  ASSERT_OK(memcmp(r.buf, "abcd", 4));
  ASSERT_OK(weft_stream_read(p.s, buf, sizeof buf, &got));
  ASSERT_EQ(4u, got);
  ASSERT_OK(memcmp(buf, "efgh", 4));
  sp_close(&p);
  return NULL;
}

TEST_IMPL(stream_read_direct_to_waiting_reader) {
  return weft_test_run(direct, NULL, NULL);
}
