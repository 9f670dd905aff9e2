/*
 * The stream read buffer: append/consume, separator search across the
 * whole buffer, views that survive growth, shrinking when empty.
 */
#include "test.h"
#include "net/stream.h"

TEST_IMPL(stream_buf_append_consume) {
  weft__sbuf b = {0};

  ASSERT_OK(weft__sbuf_append(&b, "hello ", 6));
  ASSERT_OK(weft__sbuf_append(&b, "world", 5));
  ASSERT_EQ(11u, b.len);
  ASSERT_OK(memcmp(weft__sbuf_head(&b), "hello world", 11));
  weft__sbuf_consume(&b, 6);
  ASSERT_OK(memcmp(weft__sbuf_head(&b), "world", 5));
  weft__sbuf_consume(&b, 5);
  ASSERT_EQ(0u, b.len);
  ASSERT_EQ(0u, b.off);
  ASSERT_OK(weft__sbuf_append(&b, "", 0));
  weft__sbuf_free(&b);
  ASSERT_EQ(0, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(stream_buf_find) {
  weft__sbuf b = {0};

  ASSERT_EQ(WEFT__SBUF_NPOS, weft__sbuf_find(&b, "\n", 1, 0));
  ASSERT_OK(weft__sbuf_append(&b, "ab\r\ncd\r", 7));
  ASSERT_EQ(2u, weft__sbuf_find(&b, "\r\n", 2, 0));
  ASSERT_EQ(WEFT__SBUF_NPOS, weft__sbuf_find(&b, "\r\n", 2, 3));
  ASSERT_EQ(6u, weft__sbuf_find(&b, "\r", 1, 3));
  ASSERT_EQ(WEFT__SBUF_NPOS, weft__sbuf_find(&b, "\r\n\r\n", 4, 0));
  ASSERT_EQ(WEFT__SBUF_NPOS, weft__sbuf_find(&b, "x", 0, 0));
  ASSERT_EQ(WEFT__SBUF_NPOS, weft__sbuf_find(&b, "ab\r\ncd\r!", 8, 0));
  ASSERT_EQ(0u, weft__sbuf_find(&b, "ab\r\ncd\r", 7, 0));
  /* the separator completed by a later append */
  ASSERT_OK(weft__sbuf_append(&b, "\n", 1));
  ASSERT_EQ(6u, weft__sbuf_find(&b, "\r\n", 2, 3));
  /* partial matches before the real one */
  weft__sbuf_consume(&b, b.len);
  ASSERT_OK(weft__sbuf_append(&b, "--a--b---c", 10));
  ASSERT_EQ(6u, weft__sbuf_find(&b, "---", 3, 0));
  weft__sbuf_free(&b);
  return 0;
}

TEST_IMPL(stream_buf_view_survives_growth) {
  weft__sbuf b = {0};
  static char big[200000];
  const char *v;

  memset(big, 'x', sizeof big);
  ASSERT_OK(weft__sbuf_append(&b, "line one\n", 9));
  v = weft__sbuf_take_view(&b, 9);
  /* growth while the view is out moves the live bytes, not the view's */
  ASSERT_OK(weft__sbuf_append(&b, big, sizeof big));
  ASSERT_OK(weft__sbuf_append(&b, big, sizeof big));
  ASSERT_OK(memcmp(v, "line one\n", 9));
  ASSERT_EQ(2 * sizeof big, b.len);
  ASSERT_NOT_NULL(b.retired);
  weft__sbuf_unpin(&b);
  ASSERT_NULL(b.retired);
  ASSERT_EQ('x', weft__sbuf_head(&b)[0]);
  weft__sbuf_consume(&b, b.len);
  /* a big empty buffer is given back */
  ASSERT_NULL(b.data);
  weft__sbuf_free(&b);
  ASSERT_EQ(0, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(stream_buf_compacts_in_place) {
  weft__sbuf b = {0};
  char chunk[1000];
  char *first;

  memset(chunk, 'y', sizeof chunk);
  for (int i = 0; i < 4; i++)
    ASSERT_OK(weft__sbuf_append(&b, chunk, sizeof chunk));
  first = b.data;
  /* steady state: consume and append without new allocations */
  for (int i = 0; i < 1000; i++) {
    weft__sbuf_consume(&b, 700);
    ASSERT_OK(weft__sbuf_append(&b, chunk, 700));
  }
  ASSERT_EQ(first, b.data);
  ASSERT_EQ(4000u, b.len);
  weft__sbuf_free(&b);
  return 0;
}
